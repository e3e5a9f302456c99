package httpproto

import (
	"strconv"
	"strings"
)

// URLConcat appends args, encoded as by Args.AppendEncoded, to the query
// of url, before its fragment (Tornado's url_concat): "/p?a=1#f" with b=2
// gives "/p?a=1&b=2#f". The existing query is kept byte for byte (Tornado
// re-encodes it); no '&' is added after a query that is empty or already
// ends with one. With no args url is returned unchanged. url is not
// validated.
func URLConcat(url string, args *Args) string {
	if args == nil || args.Len() == 0 {
		return url
	}
	frag := ""
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	b := make([]byte, 0, len(url)+len(frag)+16*args.Len())
	b = append(b, url...)
	switch i := strings.IndexByte(url, '?'); {
	case i < 0:
		b = append(b, '?')
	case i < len(url)-1 && url[len(url)-1] != '&':
		b = append(b, '&')
	}
	b = args.AppendEncoded(b)
	b = append(b, frag...)
	return string(b)
}

// URL is an absolute URL split for an HTTP or WebSocket client (RFC 3986
// section 3). A URL is a value: its methods do not modify it, so it may be
// read from several goroutines at once.
type URL struct {
	// Scheme is the scheme in lower case: "http", "https", "ws", "wss".
	Scheme string
	// Username and Password are the userinfo, percent-decoded; empty when
	// absent. A client sends them as Basic credentials and must drop them
	// on a cross-origin redirect (see SameOrigin).
	Username string
	Password string
	// Host is the host in lower case: a name, an IPv4 address, or an IPv6
	// address without its brackets.
	Host string
	// Port is the explicit port, or the scheme's default (DefaultPort)
	// when the URL has none; 0 if neither.
	Port int
	// Path is the path as written, still percent-encoded (bytes above
	// 0x7F are percent-encoded by the parser). Decode it with
	// PathUnescape.
	Path string
	// RawQuery is the query without its '?', still encoded; decode it with
	// ParseQuery.
	RawQuery string
	// Fragment is the fragment without its '#', still encoded. It is not
	// sent in requests.
	Fragment string

	authority bool // the URL has an authority ("//"), even an empty one
}

// DefaultPort returns the default port of scheme (lower case): 80 for
// http and ws, 443 for https and wss, 0 for any other.
func DefaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	}
	return 0
}

// URLError reports a URL that ParseURL or ResolveReference cannot use.
// errors.Is(err, ErrBadURL) matches any *URLError. The caller, not a peer,
// supplied the URL (a redirect's Location is the exception: a client
// reports it as the server's fault).
type URLError struct {
	// URL is the URL with any userinfo replaced by "***", cut to 200
	// bytes.
	URL string
	// Detail says what is wrong.
	Detail string
}

// ErrBadURL matches every *URLError with errors.Is.
var ErrBadURL = &URLError{Detail: "invalid URL"}

// Error returns "httpproto: invalid URL "<url>": <detail>".
func (e *URLError) Error() string {
	return "httpproto: invalid URL " + strconv.Quote(e.URL) + ": " + e.Detail
}

// Is matches any *URLError.
func (e *URLError) Is(target error) bool {
	_, ok := target.(*URLError)
	return ok
}

func urlErr(raw, detail string) *URLError {
	return &URLError{URL: redactURL(raw), Detail: detail}
}

// redactURL hides the userinfo of raw, so that errors do not leak
// passwords into logs.
func redactURL(raw string) string {
	if i := strings.Index(raw, "//"); i >= 0 {
		rest := raw[i+2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			raw = raw[:i+2] + "***" + rest[at:]
		}
	}
	if len(raw) > 200 {
		raw = raw[:200]
	}
	return raw
}

// ParseURL parses an absolute URL (scheme ":" hier-part, RFC 3986 section
// 4.3), such as a client's request URL. Strictness:
//   - A scheme is required; it is lower-cased, as is the host.
//   - http, https, ws and wss URLs need a non-empty host (RFC 9110
//     section 4.2.1).
//   - Control bytes and spaces anywhere are refused; bytes above 0x7F in
//     the path, query and fragment are percent-encoded, as browsers do;
//     the path, query and fragment are not otherwise checked or decoded.
//   - The host is a registered name of unreserved and sub-delims
//     characters (no percent-encoding, no non-ASCII: use the xn-- form), an
//     IPv4 address or a bracketed IPv6 address (no zone identifier).
//   - The port is 1 to 65535; an empty port ("host:") means the default.
//   - Userinfo percent-escapes are decoded and must be well formed.
//
// Dot segments are kept as written; ResolveReference removes them.
func ParseURL(raw string) (URL, error) {
	r, err := splitRef(raw)
	if err != nil {
		return URL{}, err
	}
	if r.scheme == "" {
		return URL{}, urlErr(raw, "missing scheme")
	}
	u, err := r.build(raw)
	if err == nil {
		err = u.check(raw)
	}
	if err != nil {
		return URL{}, err
	}
	return u, nil
}

// uriRef is a URI reference split into its five components (RFC 3986
// section 5.2.1), with whether each optional one is defined.
type uriRef struct {
	scheme       string
	authority    string
	hasAuthority bool
	path         string
	query        string
	hasQuery     bool
	fragment     string
}

// splitRef splits a URI reference. It checks the scheme's syntax and
// refuses control bytes and spaces.
func splitRef(s string) (uriRef, error) {
	var r uriRef
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return r, urlErr(s, "control byte or space at offset "+strconv.Itoa(i))
		}
	}
	rest := s
	if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' {
		if i == 0 || !validScheme(s[:i]) {
			return r, urlErr(s, "invalid scheme")
		}
		r.scheme, rest = strings.ToLower(s[:i]), s[i+1:]
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		r.authority, r.hasAuthority, rest = rest[:end], true, rest[end:]
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		r.fragment, rest = rest[i+1:], rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		r.query, r.hasQuery, rest = rest[i+1:], true, rest[:i]
	}
	r.path = rest
	return r, nil
}

// validScheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if 'a' <= c && c <= 'z' {
			continue
		}
		if i == 0 || !('0' <= s[i] && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.') {
			return false
		}
	}
	return len(s) > 0
}

// build makes the URL of an absolute reference; raw is for errors.
func (r *uriRef) build(raw string) (URL, error) {
	u := URL{
		Scheme:   r.scheme,
		Path:     escapeNonASCII(r.path),
		RawQuery: escapeNonASCII(r.query),
		Fragment: escapeNonASCII(r.fragment),
	}
	if r.hasAuthority {
		if err := u.setAuthority(raw, r.authority); err != nil {
			return URL{}, err
		}
	}
	if u.Port == 0 {
		u.Port = DefaultPort(u.Scheme)
	}
	return u, nil
}

// check applies the rules that hold for every URL a client may use.
func (u *URL) check(raw string) error {
	if u.Host == "" && DefaultPort(u.Scheme) != 0 {
		return urlErr(raw, "missing host")
	}
	return nil
}

// setAuthority parses [ userinfo "@" ] host [ ":" port ] into u.
func (u *URL) setAuthority(raw, auth string) error {
	u.authority = true
	hostport := auth
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		userinfo := auth[:at]
		hostport = auth[at+1:]
		for i := 0; i < len(userinfo); i++ {
			if c := userinfo[i]; c < 0x80 && !keep[escUserinfo][c] && c != ':' && c != '%' {
				return urlErr(raw, "invalid byte "+strconv.QuoteRune(rune(c))+" in userinfo")
			}
		}
		user, pass, _ := strings.Cut(userinfo, ":")
		var err error
		if u.Username, err = PathUnescape(user); err == nil {
			u.Password, err = PathUnescape(pass)
		}
		if err != nil {
			return urlErr(raw, "userinfo: "+err.(*FormError).Detail)
		}
	}
	host, port := hostport, ""
	ipv6 := strings.HasPrefix(hostport, "[")
	if ipv6 {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return urlErr(raw, "unterminated IPv6 literal")
		}
		host, port = hostport[1:end], hostport[end+1:]
		if !validIPv6(host) {
			return urlErr(raw, "invalid IPv6 literal")
		}
		if port != "" && port[0] != ':' {
			return urlErr(raw, "junk after IPv6 literal")
		}
	} else if i := strings.IndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i:]
	}
	for i := 0; i < len(host) && !ipv6; i++ {
		if c := host[i]; c >= 0x80 || !keep[escUserinfo][c] {
			return urlErr(raw, "invalid byte "+strconv.QuoteRune(rune(c))+" in host")
		}
	}
	u.Host = strings.ToLower(host)
	if len(port) > 1 {
		n := 0
		for i := 1; i < len(port); i++ {
			c := port[i]
			if c < '0' || c > '9' {
				return urlErr(raw, "invalid port")
			}
			if n = n*10 + int(c-'0'); n > 65535 {
				return urlErr(raw, "port out of range")
			}
		}
		if n == 0 {
			return urlErr(raw, "port 0")
		}
		u.Port = n
	}
	return nil
}

// validIPv6 reports whether s is an RFC 3986 IPv6address.
func validIPv6(s string) bool {
	groups, ellipsis := 0, false
	i := 0
	if strings.HasPrefix(s, "::") {
		ellipsis, i = true, 2
	}
	for i < len(s) {
		j := i
		for j < len(s) && unhex[s[j]] < 16 {
			j++
		}
		if j < len(s) && s[j] == '.' {
			if !validIPv4(s[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		if i = j; i == len(s) {
			break
		}
		if s[i] != ':' || i+1 == len(s) {
			return false
		}
		if i++; s[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			i++
		}
	}
	if ellipsis {
		return groups <= 7
	}
	return groups == 8
}

// validIPv4 reports whether s is four dec-octets (no leading zeros).
func validIPv4(s string) bool {
	for k := range 4 {
		i, n := 0, 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
			if i > 3 {
				return false
			}
		}
		if i == 0 || n > 255 || i > 1 && s[0] == '0' {
			return false
		}
		s = s[i:]
		if k < 3 {
			if len(s) == 0 || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
	}
	return s == ""
}

// escapeNonASCII percent-encodes the bytes of s above 0x7F.
func escapeNonASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return string(appendEscape([]byte(s[:i]), s[i:], escNonASCII))
		}
	}
	return s
}

// String reassembles u: scheme "://" [userinfo "@"] host [":" port] path
// ["?" query] ["#" fragment]. The port is left out when it is the
// scheme's default, an empty query or fragment is left out, and an IPv6
// host gets its brackets back. Userinfo is re-encoded.
func (u URL) String() string {
	b := make([]byte, 0, len(u.Scheme)+len(u.Host)+len(u.Path)+len(u.RawQuery)+len(u.Fragment)+16)
	if u.Scheme != "" {
		b = append(b, u.Scheme...)
		b = append(b, ':')
	}
	path := u.Path
	if u.authority || u.Host != "" || u.Username != "" || u.Password != "" {
		b = append(b, '/', '/')
		if u.Username != "" || u.Password != "" {
			b = appendEscape(b, u.Username, escUserinfo)
			if u.Password != "" {
				b = append(b, ':')
				b = appendEscape(b, u.Password, escUserinfo)
			}
			b = append(b, '@')
		}
		b = append(b, u.Authority()...)
		if path != "" && path[0] != '/' {
			b = append(b, '/')
		}
	} else if strings.HasPrefix(path, "//") {
		b = append(b, '/', '.') // keep "//x" from reading as an authority
	}
	b = append(b, path...)
	if u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	if u.Fragment != "" {
		b = append(b, '#')
		b = append(b, u.Fragment...)
	}
	return string(b)
}

// RequestURI returns the origin-form request target: the path ("/" when
// empty) and, if not empty, '?' and the query. The fragment is not part
// of it.
func (u URL) RequestURI() string {
	p := u.Path
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		return p + "?" + u.RawQuery
	}
	return p
}

// Authority returns the value of a Host header for u: the host (an IPv6
// address in brackets) and ":port" unless the port is the scheme's
// default or 0. It never includes userinfo.
func (u URL) Authority() string {
	h := u.Host
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if u.Port != 0 && u.Port != DefaultPort(u.Scheme) {
		h += ":" + strconv.Itoa(u.Port)
	}
	return h
}

// HostPort returns "host:port" to dial (an IPv6 host in brackets), with
// the default port filled in.
func (u URL) HostPort() string {
	h := u.Host
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(u.Port)
}

// SameOrigin reports whether a and b have the same origin: scheme, host
// and port (the default port filled in, so "http://a" and "http://a:80"
// are the same origin). A client following a redirect to a different
// origin must drop the Authorization and Cookie headers and any
// credentials (Tornado 6.5.6, CVE-2026-49853).
func SameOrigin(a, b URL) bool {
	pa, pb := a.Port, b.Port
	if pa == 0 {
		pa = DefaultPort(a.Scheme)
	}
	if pb == 0 {
		pb = DefaultPort(b.Scheme)
	}
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host) && pa == pb
}

// ResolveReference resolves ref, such as a redirect's Location, against
// the absolute URL base (RFC 3986 section 5.2, strict: a ref with a scheme
// is absolute). Dot segments are removed from the result's path (section
// 5.2.4). The result must satisfy ParseURL's rules, so "http:g", which
// RFC 3986 resolves to itself, is refused: RFC 9110 section 4.2.1 tells a
// recipient to reject an http URI without a host. A fragment of base is
// not inherited; RFC 9110 section 10.2.2 asks a client to keep the
// original fragment when a Location has none, which is the client's to
// do.
func ResolveReference(base URL, ref string) (URL, error) {
	t, err := resolve(base, ref)
	if err == nil {
		err = t.check(ref)
	}
	if err != nil {
		return URL{}, err
	}
	return t, nil
}

// resolve is RFC 3986 section 5.2.2 without ParseURL's final check.
func resolve(base URL, ref string) (URL, error) {
	r, err := splitRef(ref)
	if err != nil {
		return URL{}, err
	}
	if base.Scheme == "" {
		return URL{}, urlErr(base.String(), "base URL is not absolute")
	}
	if r.scheme != "" || r.hasAuthority {
		if r.scheme == "" {
			r.scheme = base.Scheme
		}
		r.path = removeDotSegments(r.path)
		return r.build(ref)
	}
	t := base
	t.Fragment = escapeNonASCII(r.fragment)
	switch {
	case r.path == "":
		if r.hasQuery {
			t.RawQuery = escapeNonASCII(r.query)
		}
	case r.path[0] == '/':
		t.Path = escapeNonASCII(removeDotSegments(r.path))
		t.RawQuery = escapeNonASCII(r.query)
	default:
		t.Path = escapeNonASCII(removeDotSegments(mergePaths(&base, r.path)))
		t.RawQuery = escapeNonASCII(r.query)
	}
	return t, nil
}

// mergePaths merges a relative-path reference with the base path (RFC
// 3986 section 5.2.3).
func mergePaths(base *URL, ref string) string {
	if (base.authority || base.Host != "") && base.Path == "" {
		return "/" + ref
	}
	i := strings.LastIndexByte(base.Path, '/')
	return base.Path[:i+1] + ref
}

// removeDotSegments is RFC 3986 section 5.2.4, in linear time: each ".."
// drops the output's last segment, which only it scans.
func removeDotSegments(in string) string {
	if !strings.Contains(in, ".") {
		return in
	}
	out := make([]byte, 0, len(in))
	for len(in) > 0 {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			out = dropLastSegment(out)
		case in == "/..":
			in = "/"
			out = dropLastSegment(out)
		case in == "." || in == "..":
			in = ""
		default:
			j := strings.IndexByte(in[1:], '/') + 1
			if j == 0 {
				j = len(in)
			}
			out = append(out, in[:j]...)
			in = in[j:]
		}
	}
	return string(out)
}

func dropLastSegment(out []byte) []byte {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '/' {
			return out[:i]
		}
	}
	return out[:0]
}
