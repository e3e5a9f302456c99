package httpproto

import (
	"bytes"
	"strconv"
	"strings"
)

// Cookie is one name/value pair of a Cookie request header. Name and
// Value are views of the header value given to ParseCookies.
type Cookie struct {
	Name  []byte
	Value []byte
}

// ParseCookies parses a Cookie request header value ("a=1; b=2", RFC 6265
// sections 4.2.1 and 5.4) and appends its pairs to dst, in order, as
// views of v; it allocates only if dst must grow.
//
// It is lenient, as browsers send more than RFC 6265's grammar (Tornado's
// parse_cookie, the Django algorithm, is the model): pairs are separated
// by ';'; spaces and tabs around names and values are trimmed; a pair
// without '=' is a cookie with an empty name and that value (how browsers
// send a nameless cookie); one pair of double quotes around a value is
// removed (Python's octal escapes inside them are not decoded). Pairs
// that are empty, or that hold a control byte (0x00-0x1F, 0x7F), are
// skipped. Several pairs may share a name: browsers list the cookie with
// the longest path first, so FindCookie returns the first.
func ParseCookies(dst []Cookie, v []byte) []Cookie {
	for len(v) > 0 {
		var chunk []byte
		if i := bytes.IndexByte(v, ';'); i >= 0 {
			chunk, v = v[:i], v[i+1:]
		} else {
			chunk, v = v, nil
		}
		var name, value []byte
		if i := bytes.IndexByte(chunk, '='); i >= 0 {
			name, value = trimOWS(chunk[:i]), trimOWS(chunk[i+1:])
		} else {
			value = trimOWS(chunk)
		}
		if len(name) == 0 && len(value) == 0 || hasCTL(name) || hasCTL(value) {
			continue
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		dst = append(dst, Cookie{Name: name, Value: value})
	}
	return dst
}

// FindCookie returns the value of the first cookie named name in cs.
func FindCookie(cs []Cookie, name string) ([]byte, bool) {
	for _, c := range cs {
		if string(c.Name) == name {
			return c.Value, true
		}
	}
	return nil, false
}

func hasCTL(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// SameSite is the SameSite attribute of a cookie (RFC 6265bis section
// 5.7.5). Each value may be replaced by any other.
type SameSite uint8

const (
	// SameSiteDefault writes no SameSite attribute: the browser's default
	// (Lax in current browsers) applies.
	SameSiteDefault SameSite = iota
	// SameSiteLax sends the cookie on same-site requests and on top-level
	// cross-site navigations with a safe method.
	SameSiteLax
	// SameSiteStrict sends the cookie on same-site requests only.
	SameSiteStrict
	// SameSiteNone sends the cookie on cross-site requests too; browsers
	// require Secure with it.
	SameSiteNone
)

var sameSiteNames = [...]string{"Default", "Lax", "Strict", "None"}

// String returns "Default", "Lax", "Strict" or "None".
func (s SameSite) String() string {
	if int(s) < len(sameSiteNames) {
		return sameSiteNames[s]
	}
	return "SameSite(" + strconv.Itoa(int(s)) + ")"
}

// SetCookie is a cookie as a Set-Cookie response header carries it (RFC
// 6265 section 4.1), for AppendSetCookie to write and ParseSetCookie to
// read.
type SetCookie struct {
	// Name is a token (RFC 9110 section 5.6.2). Names starting with
	// "__Secure-" or "__Host-" carry the rules of those prefixes.
	Name string
	// Value is cookie-octets: visible ASCII except '"', ',', ';' and '\',
	// optionally within double quotes. Encode anything else (base64 or
	// percent-encoding) before setting it.
	Value string
	// Domain, if not empty, is the host (and its subdomains) the cookie is
	// sent to: dot-separated non-empty labels of letters, digits, '-' and
	// '_'. One leading dot is dropped, as browsers ignore it.
	Domain string
	// Path, if not empty, restricts the cookie to that path and below: any
	// ASCII except control bytes and ';'.
	Path string
	// Expires is the expiry in Unix seconds (UTC), written as an
	// IMF-fixdate by AppendHTTPDate. Zero means no Expires attribute (a
	// session cookie, unless MaxAge is set). A negative value means "in
	// the past" and is written as the epoch, Thu, 01 Jan 1970 00:00:00
	// GMT: set Expires to -1 (or MaxAge < 0) to delete a cookie. Times
	// after 9999 are refused.
	Expires int64
	// MaxAge is the lifetime in seconds. Zero means no Max-Age attribute;
	// a negative value writes Max-Age=0, which deletes the cookie.
	MaxAge int
	// Secure restricts the cookie to secure (https) connections.
	Secure bool
	// HttpOnly hides the cookie from scripts.
	HttpOnly bool
	// Partitioned keys the cookie to the top-level site (CHIPS); browsers
	// require Secure with it.
	Partitioned bool
	// SameSite restricts cross-site sending.
	SameSite SameSite
}

// AppendSetCookie appends the value of a Set-Cookie header for c to dst
// ("name=value; Path=/; Domain=example.com; Expires=...; Max-Age=60;
// HttpOnly; Secure; SameSite=Lax; Partitioned"), without the header name
// and CRLF.
//
// It refuses (a CodeInvalidOutput *Error, dst returned unchanged) what a
// browser would misread or silently drop: a name that is not a token, a
// value outside cookie-octets, a Path with a control byte, a byte above
// 0x7E or ';', a Domain with an empty label or a byte other than letters,
// digits, '-', '_' and '.', an Expires after 9999, SameSite=None or
// Partitioned without Secure, a "__Secure-" name without Secure, and a
// "__Host-" name without Secure, with a Domain or with a Path other than
// "/" (the prefixes are matched case-insensitively, as RFC 6265bis
// does).
func AppendSetCookie(dst []byte, c *SetCookie) ([]byte, error) {
	if err := c.validate(); err != nil {
		return dst, err
	}
	dst = append(dst, c.Name...)
	dst = append(dst, '=')
	dst = append(dst, c.Value...)
	if c.Path != "" {
		dst = append(dst, "; Path="...)
		dst = append(dst, c.Path...)
	}
	if d := trimDot(c.Domain); d != "" {
		dst = append(dst, "; Domain="...)
		dst = append(dst, d...)
	}
	if c.Expires != 0 {
		dst = append(dst, "; Expires="...)
		dst = AppendHTTPDate(dst, max(c.Expires, 0))
	}
	if c.MaxAge > 0 {
		dst = append(dst, "; Max-Age="...)
		dst = strconv.AppendInt(dst, int64(c.MaxAge), 10)
	} else if c.MaxAge < 0 {
		dst = append(dst, "; Max-Age=0"...)
	}
	if c.HttpOnly {
		dst = append(dst, "; HttpOnly"...)
	}
	if c.Secure {
		dst = append(dst, "; Secure"...)
	}
	if c.SameSite != SameSiteDefault {
		dst = append(dst, "; SameSite="...)
		dst = append(dst, c.SameSite.String()...)
	}
	if c.Partitioned {
		dst = append(dst, "; Partitioned"...)
	}
	return dst, nil
}

// maxCookieDate is 9999-12-31T23:59:59Z in Unix seconds.
const maxCookieDate = 253402300799

func (c *SetCookie) validate() error {
	bad := func(what string) error { return newError(CodeInvalidOutput, "cookie "+strconv.Quote(c.Name)+": "+what) }
	if !validTokenString(c.Name) {
		return bad("invalid name")
	}
	if !validCookieValue(c.Value) {
		return bad("value is not cookie-octets (encode it first)")
	}
	if d := trimDot(c.Domain); c.Domain != "" {
		if d == "" || d[0] == '.' || d[len(d)-1] == '.' || strings.Contains(d, "..") {
			return bad("empty label in Domain")
		}
		for i := 0; i < len(d); i++ {
			if b := d[i]; !(b == '-' || b == '.' || b == '_' || '0' <= b && b <= '9' || 'a' <= b|0x20 && b|0x20 <= 'z') {
				return bad("invalid byte in Domain")
			}
		}
	}
	for i := 0; i < len(c.Path); i++ {
		if b := c.Path[i]; b < 0x20 || b >= 0x7f || b == ';' {
			return bad("invalid byte in Path")
		}
	}
	if c.Expires > maxCookieDate {
		return bad("Expires after 9999")
	}
	if c.SameSite > SameSiteNone {
		return bad("invalid SameSite " + c.SameSite.String())
	}
	if !c.Secure {
		switch {
		case c.SameSite == SameSiteNone:
			return bad("SameSite=None requires Secure")
		case c.Partitioned:
			return bad("Partitioned requires Secure")
		case hasPrefixFold(c.Name, "__Secure-"), hasPrefixFold(c.Name, "__Host-"):
			return bad("prefix requires Secure")
		}
	}
	if hasPrefixFold(c.Name, "__Host-") && (c.Domain != "" || c.Path != "/") {
		return bad("__Host- prefix requires Path=/ and no Domain")
	}
	return nil
}

// validCookieValue reports whether v is cookie-value (RFC 6265 section
// 4.1.1): *cookie-octet, or the same within double quotes.
func validCookieValue(v string) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

func trimDot(d string) string {
	if len(d) > 0 && d[0] == '.' {
		return d[1:]
	}
	return d
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold([]byte(s[:len(prefix)]), prefix)
}

// ParseSetCookie parses a Set-Cookie header value as a user agent does
// (RFC 6265 section 5.2, with RFC 6265bis's additions), for a client's
// cookie handling. It is lenient about attributes, which it ignores when
// malformed: an unparsable Expires or Max-Age, an empty Domain, a Path
// not starting with '/' (left empty: the default path applies) and
// unknown attributes. The last occurrence of an attribute wins.
//
// Name and Value are kept as sent, quotes included. A Domain loses one
// leading dot and is lower-cased; Expires is parsed with the cookie-date
// algorithm of section 5.1.1, and one at or before the epoch becomes -1
// (in the past, see SetCookie.Expires); a Max-Age of zero or less
// becomes -1.
//
// It fails (an *Error with CodeBadHeader) only where a user agent ignores
// the whole header: a control byte other than HTAB, no name and no value,
// or a name and value longer than 4096 bytes together.
func ParseSetCookie(v []byte) (SetCookie, error) {
	var c SetCookie
	for _, b := range v {
		if b < 0x20 && b != '\t' || b == 0x7f {
			return c, newError(CodeBadHeader, "control byte in Set-Cookie")
		}
	}
	nv, attrs := v, []byte(nil)
	if i := bytes.IndexByte(v, ';'); i >= 0 {
		nv, attrs = v[:i], v[i+1:]
	}
	var name, value []byte
	if i := bytes.IndexByte(nv, '='); i >= 0 {
		name, value = trimOWS(nv[:i]), trimOWS(nv[i+1:])
	} else {
		value = trimOWS(nv) // RFC 6265bis: a nameless cookie
	}
	if len(name) == 0 && len(value) == 0 {
		return c, newError(CodeBadHeader, "Set-Cookie without name and value")
	}
	if len(name)+len(value) > 4096 {
		return c, newError(CodeBadHeader, "Set-Cookie name and value over 4096 bytes")
	}
	c.Name, c.Value = string(name), string(value)
	for len(attrs) > 0 {
		var av []byte
		if i := bytes.IndexByte(attrs, ';'); i >= 0 {
			av, attrs = attrs[:i], attrs[i+1:]
		} else {
			av, attrs = attrs, nil
		}
		an, aval := trimOWS(av), []byte(nil)
		if i := bytes.IndexByte(av, '='); i >= 0 {
			an, aval = trimOWS(av[:i]), trimOWS(av[i+1:])
		}
		if len(aval) > 1024 {
			continue
		}
		switch {
		case equalFold(an, "expires"):
			if t, ok := parseCookieDate(aval); ok {
				if t <= 0 {
					t = -1 // at or before the epoch: in the past
				}
				c.Expires = t
			}
		case equalFold(an, "max-age"):
			if n, ok := parseMaxAge(aval); ok {
				c.MaxAge = n
			}
		case equalFold(an, "domain"):
			if len(aval) > 0 && aval[0] == '.' {
				aval = aval[1:]
			}
			if len(aval) > 0 {
				c.Domain = string(lowerASCII(nil, aval))
			}
		case equalFold(an, "path"):
			c.Path = ""
			if len(aval) > 0 && aval[0] == '/' {
				c.Path = string(aval)
			}
		case equalFold(an, "secure"):
			c.Secure = true
		case equalFold(an, "httponly"):
			c.HttpOnly = true
		case equalFold(an, "partitioned"):
			c.Partitioned = true
		case equalFold(an, "samesite"):
			switch {
			case equalFold(aval, "lax"):
				c.SameSite = SameSiteLax
			case equalFold(aval, "strict"):
				c.SameSite = SameSiteStrict
			case equalFold(aval, "none"):
				c.SameSite = SameSiteNone
			default:
				c.SameSite = SameSiteDefault
			}
		}
	}
	return c, nil
}

// parseMaxAge parses a Max-Age value (RFC 6265 section 5.2.2): an
// optional '-' and digits. Zero or less is returned as -1, values too
// large saturate.
func parseMaxAge(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<31 {
			n = n*10 + int(c-'0')
		}
	}
	if neg || n == 0 {
		return -1, true
	}
	return min(n, 1<<31-1), true
}

// parseCookieDate implements RFC 6265 section 5.1.1 and returns Unix
// seconds.
func parseCookieDate(v []byte) (int64, bool) {
	var (
		foundTime, foundDay, foundMonth, foundYear bool
		hour, minute, sec, day, month, year        int
	)
	for len(v) > 0 {
		i := 0
		for i < len(v) && cookieDateDelim(v[i]) {
			i++
		}
		v = v[i:]
		i = 0
		for i < len(v) && !cookieDateDelim(v[i]) {
			i++
		}
		tok := v[:i]
		v = v[i:]
		if len(tok) == 0 {
			continue
		}
		if !foundTime {
			if h, m, s, ok := cookieTime(tok); ok {
				foundTime, hour, minute, sec = true, h, m, s
				continue
			}
		}
		if !foundDay {
			if d, ok := leadingDigits(tok, 1, 2); ok {
				foundDay, day = true, d
				continue
			}
		}
		if !foundMonth && len(tok) >= 3 {
			if m := monthIndex(tok[:3]); m > 0 {
				foundMonth, month = true, m
				continue
			}
		}
		if !foundYear {
			if y, ok := leadingDigits(tok, 2, 4); ok {
				foundYear, year = true, y
				continue
			}
		}
	}
	if !foundTime || !foundDay || !foundMonth || !foundYear {
		return 0, false
	}
	if 70 <= year && year <= 99 {
		year += 1900
	} else if year <= 69 {
		year += 2000
	}
	if day < 1 || day > daysIn(month, year) || year < 1601 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	return dateDaysFromCivil(int64(year), int64(month), int64(day))*86400 + int64(hour*3600+minute*60+sec), true
}

// cookieDateDelim: delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 /
// %x7B-7E.
func cookieDateDelim(c byte) bool {
	return c == 0x09 || 0x20 <= c && c <= 0x2f || 0x3b <= c && c <= 0x40 || 0x5b <= c && c <= 0x60 || 0x7b <= c && c <= 0x7e
}

// leadingDigits matches lo*hi DIGIT ( non-digit *OCTET ).
func leadingDigits(tok []byte, lo, hi int) (int, bool) {
	n, i := 0, 0
	for i < len(tok) && '0' <= tok[i] && tok[i] <= '9' {
		if i == hi {
			return 0, false
		}
		n = n*10 + int(tok[i]-'0')
		i++
	}
	return n, i >= lo
}

// cookieTime matches hms-time ( non-digit *OCTET ), hms-time being
// time-field ":" time-field ":" time-field and time-field 1*2DIGIT.
func cookieTime(tok []byte) (h, m, s int, ok bool) {
	var f [3]int
	for k := range 3 {
		i := 0
		for i < len(tok) && i < 3 && '0' <= tok[i] && tok[i] <= '9' {
			f[k] = f[k]*10 + int(tok[i]-'0')
			i++
		}
		if i == 0 || i == 3 {
			return 0, 0, 0, false
		}
		tok = tok[i:]
		if k < 2 {
			if len(tok) == 0 || tok[0] != ':' {
				return 0, 0, 0, false
			}
			tok = tok[1:]
		}
	}
	return f[0], f[1], f[2], true
}

const monthNames = "janfebmaraprmayjunjulaugsepoctnovdec"

func monthIndex(b []byte) int {
	for m := 0; m < 12; m++ {
		if equalFold(b, monthNames[3*m:3*m+3]) {
			return m + 1
		}
	}
	return 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
