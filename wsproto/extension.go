package wsproto

import (
	"strconv"
	"strings"
)

// Extension is one element of a Sec-WebSocket-Extensions header value (RFC
// 6455 section 9.1): an offer when a client sends it, an acceptance when a
// server does.
type Extension struct {
	Name   string
	Params []ExtensionParam
}

// ExtensionParam is one parameter of an Extension. Value is unquoted;
// HasValue tells "p" (false) from "p=..." (true).
type ExtensionParam struct {
	Name     string
	Value    string
	HasValue bool
}

// String formats e as it appears in a header: "name; p; q=v".
func (e Extension) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if p.HasValue {
			b.WriteByte('=')
			if isToken(p.Value) {
				b.WriteString(p.Value)
			} else {
				b.WriteString(strconv.Quote(p.Value))
			}
		}
	}
	return b.String()
}

// ParseExtensions parses a Sec-WebSocket-Extensions header value:
//
//	1#( token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] ) )
//
// (RFC 6455 section 9.1, with RFC 9110's list and whitespace rules). A
// quoted value must be a token once unquoted. Empty list elements are
// skipped; several header lines may be joined with commas first. Names keep
// their case (compare them with strings.EqualFold). Extension strings alias
// value, except unescaped quoted values.
//
// It checks syntax only, in one pass (linear time). Whether parameters are
// known, repeated or well formed is for the extension's negotiation to judge
// (NegotiateDeflateServer declines such an offer and tries the next).
// Malformed input is an ErrHandshake error.
func ParseExtensions(value string) ([]Extension, error) {
	return AppendExtensions(nil, value)
}

// AppendExtensions is ParseExtensions appending to dst[:0]'s array: it
// reuses the capacity of dst, and of the Params of the elements there, so
// that a server parsing every handshake's offer with one scratch slice
// allocates nothing once the scratch has grown. On error it returns nil.
func AppendExtensions(dst []Extension, value string) ([]Extension, error) {
	exts := dst[:0]
	i := 0
	for {
		i = skipOWS(value, i)
		if i == len(value) {
			return exts, nil
		}
		if value[i] == ',' {
			i++
			continue
		}
		name, j := scanToken(value, i)
		if name == "" {
			return nil, extSyntaxError(value, i, "an extension name")
		}
		var ext *Extension
		if n := len(exts); n < cap(exts) {
			exts = exts[:n+1]
			exts[n] = Extension{Name: name, Params: exts[n].Params[:0]}
			ext = &exts[n]
		} else {
			exts = append(exts, Extension{Name: name})
			ext = &exts[n]
		}
		i = skipOWS(value, j)
		for i < len(value) && value[i] == ';' {
			i = skipOWS(value, i+1)
			pname, j := scanToken(value, i)
			if pname == "" {
				return nil, extSyntaxError(value, i, "a parameter name")
			}
			p := ExtensionParam{Name: pname}
			i = skipOWS(value, j)
			if i < len(value) && value[i] == '=' {
				i = skipOWS(value, i+1)
				var v string
				if i < len(value) && value[i] == '"' {
					var ok bool
					v, j, ok = scanQuoted(value, i)
					if !ok {
						return nil, extSyntaxError(value, i, "a closed quoted string")
					}
					if !isToken(v) {
						return nil, extSyntaxError(value, i, "a token in the quoted string")
					}
				} else {
					v, j = scanToken(value, i)
					if v == "" {
						return nil, extSyntaxError(value, i, "a parameter value")
					}
				}
				p.Value, p.HasValue = v, true
				i = skipOWS(value, j)
			}
			ext.Params = append(ext.Params, p)
		}
		if i == len(value) {
			return exts, nil
		}
		if value[i] != ',' {
			return nil, extSyntaxError(value, i, `";" or ","`)
		}
		i++
	}
}

func extSyntaxError(value string, i int, want string) *Error {
	got := "end of value"
	if i < len(value) {
		got = strconv.QuoteRune(rune(value[i]))
		if value[i] >= 0x80 {
			got = "byte 0x" + strconv.FormatUint(uint64(value[i]), 16)
		}
	}
	return handshakeError("malformed Sec-WebSocket-Extensions at byte " + strconv.Itoa(i) +
		": want " + want + ", got " + got)
}

// tchar is RFC 9110's token character set.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// scanToken returns the (possibly empty) token at s[i:] and the index after it.
func scanToken(s string, i int) (string, int) {
	j := i
	for j < len(s) && tchar[s[j]] {
		j++
	}
	return s[i:j], j
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// scanQuoted decodes the quoted-string at s[i:] (s[i] == '"'), returning
// its unescaped content and the index after the closing quote.
func scanQuoted(s string, i int) (v string, end int, ok bool) {
	var b []byte // nil until the first escape
	start := i + 1
	for j := start; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			if b == nil {
				return s[start:j], j + 1, true
			}
			return string(b), j + 1, true
		case c == '\\':
			if j+1 == len(s) || !quotedPairChar(s[j+1]) {
				return "", 0, false
			}
			if b == nil {
				b = append([]byte(nil), s[start:j]...)
			}
			j++
			b = append(b, s[j])
		case qdtext(c):
			if b != nil {
				b = append(b, c)
			}
		default:
			return "", 0, false
		}
	}
	return "", 0, false
}

func qdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c != 0x7F)
}

func quotedPairChar(c byte) bool {
	return c == '\t' || (c >= 0x20 && c != 0x7F)
}
