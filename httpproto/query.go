package httpproto

import (
	"bytes"
	"iter"
	"strconv"
)

// Percent-encoding (RFC 3986 section 2.1) and the query strings of
// application/x-www-form-urlencoded (WHATWG URL, section 5).
//
// Decoding is strict: a '%' that is not followed by two hexadecimal digits
// is an error (ErrFormBadEscape, status 400), as in Go's net/url. Python's
// parse_qs, which Tornado uses, keeps such a '%' literally; gale refuses
// instead of guessing what the sender meant. Decoded bytes are not
// checked for UTF-8: a name or value is whatever octets were encoded.

// QueryUnescape decodes a query-string component: %XX escapes and '+'
// as space. It returns an *FormError (ErrFormBadEscape) for a malformed
// escape.
func QueryUnescape(s string) (string, error) { return unescapeString(s, true) }

// PathUnescape decodes %XX escapes in a path segment; '+' stays '+'. It
// returns an *FormError (ErrFormBadEscape) for a malformed escape.
func PathUnescape(s string) (string, error) { return unescapeString(s, false) }

func unescapeString(s string, plus bool) (string, error) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || plus && s[i] == '+' {
			n++
		}
	}
	if n == 0 {
		return s, nil
	}
	b, err := appendUnescape(make([]byte, 0, len(s)), []byte(s), plus)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendUnescape appends the percent-decoded src to dst; with plus, '+'
// decodes to a space. On error dst is returned as it was.
func appendUnescape(dst, src []byte, plus bool) ([]byte, error) {
	start := len(dst)
	for len(src) > 0 {
		i := 0
		for i < len(src) && src[i] != '%' && !(plus && src[i] == '+') {
			i++
		}
		dst = append(dst, src[:i]...)
		if i == len(src) {
			break
		}
		if src[i] == '+' {
			dst = append(dst, ' ')
			src = src[i+1:]
			continue
		}
		if i+2 >= len(src) || unhex[src[i+1]] > 15 || unhex[src[i+2]] > 15 {
			end := min(i+3, len(src))
			return dst[:start], &FormError{Code: FormBadEscape, Detail: "invalid escape " + quoteBytes(src[i:end])}
		}
		dst = append(dst, unhex[src[i+1]]<<4|unhex[src[i+2]])
		src = src[i+3:]
	}
	return dst, nil
}

// unhex maps a hexadecimal digit to its value and anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return
}()

const upperHex = "0123456789ABCDEF"

// escape modes: which bytes are left as they are.
const (
	escQuery    = iota // form component: unreserved kept, space as '+'
	escPath            // path segment: pchar kept, '/' escaped
	escUserinfo        // userinfo part: unreserved and sub-delims kept
	escNonASCII        // only CTL, space, and bytes >= 0x80 escaped
)

// keep[mode][c] reports whether byte c is written as is in mode.
var keep = func() (t [4][256]bool) {
	unreserved := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	subDelims := "!$&'()*+,;="
	for _, c := range unreserved {
		t[escQuery][c] = true
		t[escPath][c] = true
		t[escUserinfo][c] = true
	}
	for _, c := range subDelims {
		t[escPath][c] = true
		t[escUserinfo][c] = true
	}
	t[escPath][':'], t[escPath]['@'] = true, true
	for c := 0x21; c < 0x7f; c++ {
		t[escNonASCII][c] = true
	}
	return
}()

func appendEscape(dst []byte, s string, mode int) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case keep[mode][c]:
			dst = append(dst, c)
		case c == ' ' && mode == escQuery:
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// QueryEscape encodes s for a query-string or form component: letters,
// digits and "-._~" stay, a space becomes '+', every other byte %XX (upper
// case), like Python's quote_plus and Go's url.QueryEscape.
func QueryEscape(s string) string { return string(appendEscape(nil, s, escQuery)) }

// PathEscape encodes s as one path segment: RFC 3986 pchar (unreserved,
// sub-delims, ':' and '@') stays, every other byte, '/' and '?' included,
// becomes %XX.
func PathEscape(s string) string { return string(appendEscape(nil, s, escPath)) }

// SplitTarget splits an origin-form request target at the first '?' into
// the path and the query, without the '?' (Tornado's
// uri.partition("?")). Both are views of target. Nothing is decoded.
func SplitTarget(target []byte) (path, query []byte) {
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		return target[:i], target[i+1:]
	}
	return target, nil
}

// Args is an ordered list of name/value pairs that may repeat, as decoded
// from a query string or a form (Tornado's query_arguments and
// body_arguments; Go's url.Values, but keeping the order). Names are
// compared exactly (case-sensitively).
//
// Args owns its storage: parsed and added pairs are copied into it, so an
// Args does not depend on the buffer it was parsed from. The []byte views
// that At, All and Lookup return stay valid until Reset. The zero value is
// empty and ready to use; Reset keeps the storage, so an Args reused for
// request after request stops allocating. An Args is not safe for
// concurrent use.
type Args struct {
	pairs []argPair
	arena []byte // decoded names and values; never rewritten before Reset
}

type argPair struct{ name, value []byte }

// Len returns the number of pairs.
func (a *Args) Len() int { return len(a.pairs) }

// At returns the i'th pair, 0 <= i < Len(), as views valid until Reset.
func (a *Args) At(i int) (name, value []byte) { return a.pairs[i].name, a.pairs[i].value }

// All iterates over the pairs in order, as views valid until Reset.
func (a *Args) All() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for _, p := range a.pairs {
			if !yield(p.name, p.value) {
				return
			}
		}
	}
}

// Lookup returns a view of the first value of name and whether name is
// present.
func (a *Args) Lookup(name string) ([]byte, bool) {
	for _, p := range a.pairs {
		if string(p.name) == name {
			return p.value, true
		}
	}
	return nil, false
}

// Has reports whether name is present.
func (a *Args) Has(name string) bool {
	_, ok := a.Lookup(name)
	return ok
}

// Get returns the first value of name, or "" when absent. Unlike Tornado's
// get_argument, which returns the last, Get returns the first; use GetAll
// for every value.
func (a *Args) Get(name string) string {
	v, _ := a.Lookup(name)
	return string(v)
}

// GetAll returns copies of every value of name, in order, or nil.
func (a *Args) GetAll(name string) []string {
	var out []string
	for _, p := range a.pairs {
		if string(p.name) == name {
			out = append(out, string(p.value))
		}
	}
	return out
}

// Add appends a pair (copied).
func (a *Args) Add(name, value string) {
	s := len(a.arena)
	a.arena = append(a.arena, name...)
	m := len(a.arena)
	a.arena = append(a.arena, value...)
	a.push(s, m)
}

// AddBytes is Add for byte slices (copied).
func (a *Args) AddBytes(name, value []byte) {
	s := len(a.arena)
	a.arena = append(a.arena, name...)
	m := len(a.arena)
	a.arena = append(a.arena, value...)
	a.push(s, m)
}

// push records the pair whose name is arena[s:m] and value arena[m:]. The
// views are taken after all appends: had the arena grown in between,
// earlier views keep pointing at the old array, whose bytes never change.
func (a *Args) push(s, m int) {
	e := len(a.arena)
	a.pairs = append(a.pairs, argPair{a.arena[s:m:m], a.arena[m:e:e]})
}

// Set replaces every pair named name by one pair with value, at the
// position of the first (or at the end).
func (a *Args) Set(name, value string) {
	for i := range a.pairs {
		if string(a.pairs[i].name) == name {
			s := len(a.arena)
			a.arena = append(a.arena, value...)
			e := len(a.arena)
			a.pairs[i].value = a.arena[s:e:e]
			a.delFrom(i+1, name)
			return
		}
	}
	a.Add(name, value)
}

// Del removes every pair named name.
func (a *Args) Del(name string) { a.delFrom(0, name) }

func (a *Args) delFrom(from int, name string) {
	j := from
	for i := from; i < len(a.pairs); i++ {
		if string(a.pairs[i].name) != name {
			a.pairs[j] = a.pairs[i]
			j++
		}
	}
	clear(a.pairs[j:])
	a.pairs = a.pairs[:j]
}

// Reset empties a, keeping its storage. Views obtained before are invalid
// afterwards.
func (a *Args) Reset() {
	clear(a.pairs)
	a.pairs = a.pairs[:0]
	a.arena = a.arena[:0]
}

// Clone returns a deep copy of a that shares nothing with it.
func (a *Args) Clone() Args {
	var c Args
	n := 0
	for _, p := range a.pairs {
		n += len(p.name) + len(p.value)
	}
	c.arena = make([]byte, 0, n)
	c.pairs = make([]argPair, 0, len(a.pairs))
	for _, p := range a.pairs {
		c.AddBytes(p.name, p.value)
	}
	return c
}

// truncate drops the pairs and arena bytes added after a snapshot, undoing
// a failed parse.
func (a *Args) truncate(pairs, arena int) {
	clear(a.pairs[pairs:])
	a.pairs = a.pairs[:pairs]
	a.arena = a.arena[:arena]
}

// AppendEncoded appends the pairs in application/x-www-form-urlencoded
// form, in order ("a=1&b=x+y"), to dst. A pair with an empty value is
// written "name=".
func (a *Args) AppendEncoded(dst []byte) []byte {
	for i, p := range a.pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = appendEscape(dst, string(p.name), escQuery)
		dst = append(dst, '=')
		dst = appendEscape(dst, string(p.value), escQuery)
	}
	return dst
}

// Encode returns the pairs encoded as by AppendEncoded.
func (a *Args) Encode() string { return string(a.AppendEncoded(nil)) }

// ParseQuery decodes a query string or application/x-www-form-urlencoded
// body and appends its pairs to dst (call dst.Reset first to reuse it).
//
// Pairs are separated by '&' only (';' is data, as in Python 3.10+ and
// Go 1.17+); empty pairs ("a=1&&b=2") are skipped; a pair without '=' is a
// name with an empty value (Tornado's keep_blank_values); '+' decodes to a
// space and %XX escapes are decoded strictly.
//
// Limits (nil lim means the defaults, see FormLimits): a query longer than
// MaxBytes fails with ErrFormTooLarge, more than MaxFields pairs with
// ErrFormTooManyFields (both status 413); a malformed escape with
// ErrFormBadEscape (400). On error dst is left as it was. With a reused
// dst, ParseQuery does not allocate.
func ParseQuery(dst *Args, query []byte, lim *FormLimits) error {
	l := lim.orDefault()
	if l.MaxBytes >= 0 && len(query) > l.MaxBytes {
		return &FormError{Code: FormTooLarge, Detail: "query of " + strconv.Itoa(len(query)) + " bytes"}
	}
	np, na := len(dst.pairs), len(dst.arena)
	n := 0
	for len(query) > 0 {
		var pair []byte
		if i := bytes.IndexByte(query, '&'); i >= 0 {
			pair, query = query[:i], query[i+1:]
		} else {
			pair, query = query, nil
		}
		if len(pair) == 0 {
			continue
		}
		n++
		if l.MaxFields >= 0 && n > l.MaxFields {
			dst.truncate(np, na)
			return &FormError{Code: FormTooManyFields, Detail: "more than " + strconv.Itoa(l.MaxFields) + " fields"}
		}
		name, value := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		s := len(dst.arena)
		var err error
		dst.arena, err = appendUnescape(dst.arena, name, true)
		if err == nil {
			m := len(dst.arena)
			dst.arena, err = appendUnescape(dst.arena, value, true)
			if err == nil {
				dst.push(s, m)
				continue
			}
		}
		dst.truncate(np, na)
		return err
	}
	return nil
}
