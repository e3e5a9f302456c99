package httpproto

import (
	"iter"
	"strconv"
	"strings"
)

// Field is one header field. Name and Value are views: for a parsed message
// they point into the parser's input (valid as long as those bytes are, see
// the package doc on buffer ownership); for fields added with Add or Set
// they point into the Headers' own storage, valid until Reset.
type Field struct {
	Name  []byte
	Value []byte
}

// Headers is an ordered, multi-valued, case-insensitive collection of
// header fields, the counterpart of Tornado's HTTPHeaders. Parsed fields
// keep their wire spelling and order; Add and Set store the canonical
// spelling of the name (Content-Type, X-Forwarded-For). Lookups compare
// names ASCII-case-insensitively without allocating.
//
// The zero value is empty and ready to use. A Headers is not safe for
// concurrent use. Reset keeps its storage, so a Headers reused for one
// message after another stops allocating once it has seen the largest.
type Headers struct {
	fields []Field
	arena  []byte // storage for fields added by Add/Set and by Retain
}

// Len returns the number of fields.
func (h *Headers) Len() int { return len(h.fields) }

// At returns the i'th field, 0 <= i < Len().
func (h *Headers) At(i int) Field { return h.fields[i] }

// All iterates over the fields in order, as name, value pairs.
func (h *Headers) All() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for _, f := range h.fields {
			if !yield(f.Name, f.Value) {
				return
			}
		}
	}
}

// Get returns the value of the first field named name (any case), or nil.
// A present field with an empty value returns a non-nil empty slice.
func (h *Headers) Get(name string) []byte {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			v := h.fields[i].Value
			if v == nil {
				v = []byte{}
			}
			return v
		}
	}
	return nil
}

// GetString is Get as a string (a copy); "" when absent.
func (h *Headers) GetString(name string) string {
	return string(h.Get(name))
}

// Has reports whether a field named name is present.
func (h *Headers) Has(name string) bool {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			return true
		}
	}
	return false
}

// Count returns how many fields are named name.
func (h *Headers) Count(name string) int {
	n := 0
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			n++
		}
	}
	return n
}

// Values returns copies of the values of every field named name, in order.
func (h *Headers) Values(name string) []string {
	var out []string
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			out = append(out, string(h.fields[i].Value))
		}
	}
	return out
}

// AppendValues appends views of the values of every field named name to
// dst, in order, without allocating beyond dst's growth.
func (h *Headers) AppendValues(dst [][]byte, name string) [][]byte {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			dst = append(dst, h.fields[i].Value)
		}
	}
	return dst
}

// HasToken reports whether any field named name holds token as one of its
// comma-separated elements, compared case-insensitively after trimming
// spaces and tabs (RFC 9110 section 5.6.1), as for Connection: close or
// Transfer-Encoding: chunked.
func (h *Headers) HasToken(name, token string) bool {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) && listHasToken(h.fields[i].Value, token) {
			return true
		}
	}
	return false
}

// Add appends a field. The name is stored in canonical form (see
// CanonicalName); both are copied, so the caller may reuse its strings.
// Add does not validate: names and values are checked when a head is
// serialised (AppendResponseHead, AppendRequestHead), which refuses CR, LF
// and other control bytes rather than send a header a peer could split.
func (h *Headers) Add(name, value string) { addCopy(h, name, value) }

// AddBytes is Add for byte slices (copied).
func (h *Headers) AddBytes(name, value []byte) { addCopy(h, name, value) }

// AddInt appends a field whose value is n in decimal (Content-Length),
// formatted straight into h's storage.
func (h *Headers) AddInt(name string, n int64) {
	start := len(h.arena)
	h.arena = appendCanonical(h.arena, name)
	nameEnd := len(h.arena)
	h.arena = strconv.AppendInt(h.arena, n, 10)
	h.fields = append(h.fields, Field{
		Name:  h.arena[start:nameEnd:nameEnd],
		Value: h.arena[nameEnd:len(h.arena):len(h.arena)],
	})
}

func addCopy[T string | []byte](h *Headers, name, value T) {
	start := len(h.arena)
	h.arena = appendCanonical(h.arena, name)
	nameEnd := len(h.arena)
	h.arena = append(h.arena, value...)
	// Views are taken after both appends: if the arena grew, earlier
	// fields keep pointing at the old array, whose bytes never change.
	h.fields = append(h.fields, Field{
		Name:  h.arena[start:nameEnd:nameEnd],
		Value: h.arena[nameEnd:len(h.arena):len(h.arena)],
	})
}

// addView appends a field whose slices are views the caller owns (the
// parser's input); nothing is copied.
func (h *Headers) addView(name, value []byte) {
	h.fields = append(h.fields, Field{Name: name, Value: value})
}

// Set replaces every field named name by one field with value, at the
// position of the first one (or at the end).
func (h *Headers) Set(name, value string) {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			start := len(h.arena)
			h.arena = append(h.arena, value...)
			h.fields[i].Value = h.arena[start:len(h.arena):len(h.arena)]
			h.delFrom(i+1, name)
			return
		}
	}
	h.Add(name, value)
}

// Del removes every field named name.
func (h *Headers) Del(name string) { h.delFrom(0, name) }

func (h *Headers) delFrom(from int, name string) {
	j := from
	for i := from; i < len(h.fields); i++ {
		if !equalFold(h.fields[i].Name, name) {
			h.fields[j] = h.fields[i]
			j++
		}
	}
	clear(h.fields[j:])
	h.fields = h.fields[:j]
}

// Reset empties h, keeping its storage for reuse.
func (h *Headers) Reset() {
	clear(h.fields)
	h.fields = h.fields[:0]
	h.arena = h.arena[:0]
}

// Retain copies every field into h's own storage, so that h stays valid
// after the buffer it was parsed from is reused. It allocates only when the
// storage must grow.
func (h *Headers) Retain() {
	need := 0
	for _, f := range h.fields {
		need += len(f.Name) + len(f.Value)
	}
	if cap(h.arena)-len(h.arena) < need {
		// Grow once, before taking any view, so that every view below
		// points into one array.
		grown := make([]byte, len(h.arena), len(h.arena)+need)
		copy(grown, h.arena)
		h.arena = grown
	}
	for i := range h.fields {
		f := &h.fields[i]
		s := len(h.arena)
		h.arena = append(h.arena, f.Name...)
		f.Name = h.arena[s:len(h.arena):len(h.arena)]
		s = len(h.arena)
		h.arena = append(h.arena, f.Value...)
		f.Value = h.arena[s:len(h.arena):len(h.arena)]
	}
}

// Clone returns a deep copy of h that shares nothing with it.
func (h *Headers) Clone() Headers {
	var c Headers
	c.fields = make([]Field, len(h.fields))
	copy(c.fields, h.fields)
	c.Retain()
	return c
}

// AppendTo appends the fields in wire format, "Name: value\r\n" each, to
// dst. It does not validate; see ValidateFields.
func (h *Headers) AppendTo(dst []byte) []byte {
	for _, f := range h.fields {
		dst = appendField(dst, f)
	}
	return dst
}

// appendField appends one field line.
func appendField(dst []byte, f Field) []byte {
	dst = append(dst, f.Name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, f.Value...)
	return append(dst, '\r', '\n')
}

// Validate checks every field as a sender must (RFC 9110 section 5): a
// name is a non-empty token; a value holds no control byte other than
// horizontal tab (so no CR or LF that could split the message) and has no
// leading or trailing whitespace. It returns an *Error with
// CodeInvalidOutput naming the first bad field.
func (h *Headers) Validate() error {
	for _, f := range h.fields {
		if !ValidFieldName(f.Name) {
			return newError(CodeInvalidOutput, "invalid header name "+quoteBytes(f.Name))
		}
		if !ValidFieldValue(f.Value) {
			return newError(CodeInvalidOutput, "invalid value for header "+string(f.Name))
		}
	}
	return nil
}

// String returns the fields in wire format, for debugging.
func (h *Headers) String() string { return string(h.AppendTo(nil)) }

// CanonicalName returns the canonical spelling of a header name: the first
// letter and every letter after a hyphen upper case, the rest lower case
// (content-TYPE → Content-Type). A name that is not a valid token is
// returned unchanged.
func CanonicalName(name string) string {
	if !validTokenString(name) {
		return name
	}
	canonical := true
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
			break
		}
		upper = c == '-'
	}
	if canonical {
		return name
	}
	return string(appendCanonical(nil, name))
}

// appendCanonical appends name in canonical form (see CanonicalName), or
// unchanged if it is not a valid token.
func appendCanonical[T string | []byte](dst []byte, name T) []byte {
	// One bulk copy, then the case fixed in place in the same pass as the
	// token check: a byte-at-a-time append would check the capacity for
	// every byte.
	start := len(dst)
	dst = append(dst, name...)
	out := dst[start:]
	upper := true
	for i, c := range out {
		if !tchar[c] {
			copy(out, name) // not a token: appended unchanged
			return dst
		}
		if upper && 'a' <= c && c <= 'z' {
			out[i] = c - ('a' - 'A')
		} else if !upper && 'A' <= c && c <= 'Z' {
			out[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return dst
}

// equalFold reports whether b and s are equal under ASCII case folding.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// EqualFold reports whether b equals s under ASCII case folding (header
// names, tokens), without allocating.
func EqualFold(b []byte, s string) bool { return equalFold(b, s) }

// listHasToken reports whether the comma-separated list v holds token.
func listHasToken(v []byte, token string) bool {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		if equalFold(trimOWS(v[:i]), token) {
			return true
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return false
}

// trimOWS strips spaces and horizontal tabs at both ends (RFC 9110 OWS).
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// tchar is RFC 9110's token character set (section 5.6.2).
var tchar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

func isTchar(c byte) bool { return tchar[c] }

// ValidToken reports whether b is a non-empty RFC 9110 token (header
// names, methods, transfer codings).
func ValidToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return true
}

func validTokenString(s string) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// ValidFieldName reports whether name may be sent as a header name.
func ValidFieldName(name []byte) bool { return ValidToken(name) }

// ValidFieldValue reports whether v may be sent as a header value: visible
// ASCII, obs-text (0x80-0xFF), spaces and tabs, with no whitespace at
// either end (RFC 9110 section 5.5).
func ValidFieldValue(v []byte) bool {
	for _, c := range v {
		if !fieldVchar[c] {
			return false
		}
	}
	if len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		return false
	}
	return true
}

// fieldVchar: bytes allowed inside a field value (VCHAR, obs-text, SP,
// HTAB). Everything else, notably CR, LF, NUL and DEL, is not.
var fieldVchar = func() (t [256]bool) {
	for c := 0x21; c <= 0x7e; c++ {
		t[c] = true
	}
	for c := 0x80; c <= 0xff; c++ {
		t[c] = true
	}
	t[' '], t['\t'] = true, true
	return
}()

func quoteBytes(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			const hex = "0123456789abcdef"
			sb.WriteString(`\x`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
			continue
		}
		sb.WriteByte(c)
	}
	sb.WriteByte('"')
	return sb.String()
}
