package httpproto

import (
	"bytes"
	"strconv"
)

// FormCode identifies one kind of error in a query string, a form body or
// a multipart body. Each code knows the status a server answers with.
type FormCode uint8

// The form error codes, with the status a server answers with.
const (
	// FormBadEscape: a '%' not followed by two hexadecimal digits (400).
	FormBadEscape FormCode = iota + 1
	// FormTooManyFields: more pairs than FormLimits.MaxFields (413).
	FormTooManyFields
	// FormTooLarge: a query or urlencoded body over FormLimits.MaxBytes, or
	// a multipart body over FormLimits.MaxMultipartBytes (413).
	FormTooLarge
	// FormBadMediaType: a malformed Content-Type or Content-Disposition
	// value (400).
	FormBadMediaType
	// FormBadBoundary: multipart/form-data without a boundary, or one that
	// is not 1 to 70 RFC 2046 bchars (400).
	FormBadBoundary
	// FormBadMultipart: malformed multipart framing, such as a boundary
	// delimiter followed by anything but "--" or CRLF (400).
	FormBadMultipart
	// FormBadPartHeader: a malformed part header line (control byte, no
	// colon, invalid name, obs-fold), a missing or repeated
	// Content-Disposition, or a part without a name (400).
	FormBadPartHeader
	// FormPartHeaderTooLarge: a part's header block over
	// FormLimits.MaxPartHeaderBytes (413).
	FormPartHeaderTooLarge
	// FormTooManyParts: more parts than FormLimits.MaxParts (413).
	FormTooManyParts
	// FormIncomplete: the multipart body ended before its close delimiter
	// (400).
	FormIncomplete
	formCodeCount
)

var formCodeInfo = [formCodeCount]struct {
	text   string
	status int
}{
	FormBadEscape:          {"invalid percent-encoding", 400},
	FormTooManyFields:      {"too many form fields", 413},
	FormTooLarge:           {"form too large", 413},
	FormBadMediaType:       {"malformed media type", 400},
	FormBadBoundary:        {"invalid multipart boundary", 400},
	FormBadMultipart:       {"malformed multipart body", 400},
	FormBadPartHeader:      {"malformed multipart part header", 400},
	FormPartHeaderTooLarge: {"multipart part header too large", 413},
	FormTooManyParts:       {"too many multipart parts", 413},
	FormIncomplete:         {"multipart body incomplete", 400},
}

// String returns the code's description, e.g. "too many form fields".
func (c FormCode) String() string {
	if c == 0 || c >= formCodeCount {
		return "FormCode(" + strconv.Itoa(int(c)) + ")"
	}
	return formCodeInfo[c].text
}

// Status returns the HTTP status a server answers this error with.
func (c FormCode) Status() int {
	if c == 0 || c >= formCodeCount {
		return 500
	}
	return formCodeInfo[c].status
}

// FormError is an error in a query string, form or multipart body sent by
// the peer: the peer is at fault (Local is false) and the server answers
// with Status. errors.Is(err, ErrFormX) matches by Code; errors.As gives
// the Code and the Detail. Like *Error it has Status and Local methods, so
// glue code can answer either with interface{ Status() int }.
type FormError struct {
	Code   FormCode
	Detail string // what exactly was wrong; may be empty
}

// Error returns "httpproto: <code>: <detail>".
func (e *FormError) Error() string {
	if e.Detail == "" {
		return "httpproto: " + e.Code.String()
	}
	return "httpproto: " + e.Code.String() + ": " + e.Detail
}

// Status returns the HTTP status to answer with (400 or 413).
func (e *FormError) Status() int { return e.Code.Status() }

// Local reports whether the caller rather than the peer is at fault:
// always false, input errors are the peer's.
func (e *FormError) Local() bool { return false }

// Is matches any *FormError with the same Code.
func (e *FormError) Is(target error) bool {
	t, ok := target.(*FormError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is, one per FormCode.
var (
	ErrFormBadEscape          = &FormError{Code: FormBadEscape}
	ErrFormTooManyFields      = &FormError{Code: FormTooManyFields}
	ErrFormTooLarge           = &FormError{Code: FormTooLarge}
	ErrFormBadMediaType       = &FormError{Code: FormBadMediaType}
	ErrFormBadBoundary        = &FormError{Code: FormBadBoundary}
	ErrFormBadMultipart       = &FormError{Code: FormBadMultipart}
	ErrFormBadPartHeader      = &FormError{Code: FormBadPartHeader}
	ErrFormPartHeaderTooLarge = &FormError{Code: FormPartHeaderTooLarge}
	ErrFormTooManyParts       = &FormError{Code: FormTooManyParts}
	ErrFormIncomplete         = &FormError{Code: FormIncomplete}
)

func formErr(c FormCode, detail string) *FormError { return &FormError{Code: c, Detail: detail} }

// FormLimits bounds what a peer can make the form parsers hold or do. A
// nil *FormLimits means every default; a zero field means its default; a
// negative field means no limit.
type FormLimits struct {
	// MaxFields is the most name=value pairs in one query string or
	// urlencoded body (ErrFormTooManyFields). Default 1000.
	MaxFields int
	// MaxBytes is the largest query string or urlencoded body, in bytes
	// (ErrFormTooLarge). Default 10 MiB.
	MaxBytes int
	// MaxParts is the most parts in a multipart body, the close delimiter
	// not counted (ErrFormTooManyParts). Default 100, as Tornado 6.5.5's
	// ParseMultipartConfig.max_parts.
	MaxParts int
	// MaxPartHeaderBytes is the most bytes of one part's header block,
	// counting the transport padding after its boundary and the CRLFs
	// (ErrFormPartHeaderTooLarge). Default 10 KiB, as Tornado 6.5.5's
	// max_part_header_size.
	MaxPartHeaderBytes int
	// MaxMultipartBytes is the largest multipart body, in bytes, preamble
	// and epilogue included (ErrFormTooLarge). Default 100 MiB, Tornado's
	// default max_body_size; raise it (or use -1) for large uploads
	// streamed through a MultipartReader.
	MaxMultipartBytes int64
}

const (
	defaultMaxFields          = 1000
	defaultMaxFormBytes       = 10 << 20
	defaultMaxParts           = 100
	defaultMaxPartHeaderBytes = 10 << 10
	defaultMaxMultipartBytes  = 100 << 20
)

// orDefault returns l with zero fields replaced by their defaults.
func (l *FormLimits) orDefault() FormLimits {
	var v FormLimits
	if l != nil {
		v = *l
	}
	if v.MaxFields == 0 {
		v.MaxFields = defaultMaxFields
	}
	if v.MaxBytes == 0 {
		v.MaxBytes = defaultMaxFormBytes
	}
	if v.MaxParts == 0 {
		v.MaxParts = defaultMaxParts
	}
	if v.MaxPartHeaderBytes == 0 {
		v.MaxPartHeaderBytes = defaultMaxPartHeaderBytes
	}
	if v.MaxMultipartBytes == 0 {
		v.MaxMultipartBytes = defaultMaxMultipartBytes
	}
	return v
}

// ParseURLEncodedForm decodes an application/x-www-form-urlencoded body
// and appends its pairs to dst. The rules, limits and errors are
// ParseQuery's; a charset parameter of the Content-Type is not consulted
// (names and values are the decoded octets).
func ParseURLEncodedForm(dst *Args, body []byte, lim *FormLimits) error {
	return ParseQuery(dst, body, lim)
}

// FormFile is an uploaded file: a multipart/form-data part whose
// Content-Disposition carries a non-empty filename (Tornado's HTTPFile).
type FormFile struct {
	// Name is the form field name (the name parameter).
	Name string
	// Filename is the filename parameter, or the decoded filename*
	// parameter (RFC 8187) when the part has one. It comes from the peer:
	// never use it as a path without sanitising it.
	Filename string
	// ContentType is the part's Content-Type value, or
	// "application/unknown" when it has none (as Tornado).
	ContentType string
	// Body is the part's content: a view of the body given to
	// ParseMultipartForm or ParseBodyArguments, not a copy. It is valid as
	// long as those bytes are; copy it to keep it longer.
	Body []byte
}

// Files is the list of uploaded files of a form, in order.
type Files []FormFile

// Get returns the first file uploaded under the field name.
func (fs Files) Get(name string) (FormFile, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return FormFile{}, false
}

// GetAll returns every file uploaded under the field name, in order.
func (fs Files) GetAll(name string) []FormFile {
	var out []FormFile
	for _, f := range fs {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// ParseBodyArguments parses a request body according to its Content-Type,
// as Tornado's parse_body_arguments: an application/x-www-form-urlencoded
// body appends its pairs to args; a multipart/form-data body appends its
// fields to args and its files to files (see ParseMultipartForm). Any
// other media type, or an empty contentType, is ignored and nil returned.
// Matching is on the type/subtype, case-insensitively.
//
// The body must already be free of any Content-Encoding: ParseBodyArguments
// does not decompress. A nil args or files drops what would go there. A
// malformed Content-Type parameter list or boundary, and every error of
// the parsers, is a *FormError (400 or 413).
func ParseBodyArguments(contentType, body []byte, args *Args, files *Files, lim *FormLimits) error {
	typ, rest, ok := splitMediaType(contentType)
	if !ok {
		return nil
	}
	switch {
	case equalFold(typ, "application/x-www-form-urlencoded"):
		if err := checkParams(rest); err != nil {
			return err
		}
		if args == nil {
			args = new(Args)
		}
		return ParseQuery(args, body, lim)
	case equalFold(typ, "multipart/form-data"):
		var boundary []byte
		found := false
		it := paramIter{s: rest}
		for {
			name, value, quoted, ok := it.next()
			if !ok {
				break
			}
			if !equalFold(name, "boundary") {
				continue
			}
			if found {
				return formErr(FormBadBoundary, "boundary parameter repeated")
			}
			found = true
			boundary = value
			if quoted {
				boundary = appendUnquoted(nil, value)
			}
		}
		if it.err != "" {
			return formErr(FormBadMediaType, it.err)
		}
		if !found {
			return formErr(FormBadBoundary, "no boundary parameter")
		}
		return ParseMultipartForm(boundary, body, args, files, lim)
	}
	return nil
}

// MediaType is a parsed media type (RFC 9110 section 8.3.1), the value of
// a Content-Type header.
type MediaType struct {
	// Type is "type/subtype" in lower case.
	Type string
	// Params are the parameters in order: names in lower case, values
	// with quoted-string quoting removed.
	Params []MediaParam
}

// MediaParam is one parameter of a MediaType.
type MediaParam struct {
	Name  string
	Value string
}

// Param returns the value of the parameter name (compared
// case-insensitively) and whether it is present.
func (m *MediaType) Param(name string) (string, bool) {
	for _, p := range m.Params {
		if equalFold([]byte(p.Name), name) {
			return p.Value, true
		}
	}
	return "", false
}

// maxMediaParams bounds the parameters ParseMediaType accepts, which keeps
// its check for repeated names linear in the input.
const maxMediaParams = 64

// ParseMediaType parses a Content-Type value: type "/" subtype, then
// parameters `*( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )`
// (RFC 9110 sections 5.6.6 and 8.3.1). It runs in time linear in len(v).
//
// It accepts optional whitespace around '=' and empty parameters (";;"),
// which are unambiguous, and refuses the rest: a missing subtype, a
// parameter without a value, an unterminated quoted string, a control
// byte, a repeated parameter name and more than 64 parameters are
// ErrFormBadMediaType. In a quoted string `\"` and `\\` are unescaped and
// any other backslash is kept as it is, because browsers do not escape
// backslashes in multipart filenames (HTML's form encoding; Tornado does
// the same).
func ParseMediaType(v []byte) (MediaType, error) {
	typ, rest, ok := splitMediaType(v)
	if !ok {
		return MediaType{}, formErr(FormBadMediaType, "expected type/subtype in "+quoteBytes(limitBytes(v)))
	}
	m := MediaType{Type: string(lowerASCII(nil, typ))}
	it := paramIter{s: rest}
	for {
		name, value, quoted, ok := it.next()
		if !ok {
			break
		}
		if len(m.Params) == maxMediaParams {
			return MediaType{}, formErr(FormBadMediaType, "more than "+strconv.Itoa(maxMediaParams)+" parameters")
		}
		for _, p := range m.Params {
			if equalFold(name, p.Name) {
				return MediaType{}, formErr(FormBadMediaType, "parameter "+p.Name+" repeated")
			}
		}
		if quoted {
			value = appendUnquoted(nil, value)
		}
		m.Params = append(m.Params, MediaParam{Name: string(lowerASCII(nil, name)), Value: string(value)})
	}
	if it.err != "" {
		return MediaType{}, formErr(FormBadMediaType, it.err)
	}
	return m, nil
}

// splitMediaType returns the type/subtype at the start of v (after
// optional whitespace) and the rest of v. It reports false when v does not
// start with token "/" token.
func splitMediaType(v []byte) (typ, rest []byte, ok bool) {
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	start := i
	for i < len(v) && isTchar(v[i]) {
		i++
	}
	if i == start || i == len(v) || v[i] != '/' {
		return nil, nil, false
	}
	i++
	sub := i
	for i < len(v) && isTchar(v[i]) {
		i++
	}
	if i == sub {
		return nil, nil, false
	}
	return v[start:i], v[i:], true
}

// checkParams validates a parameter list, ignoring its content.
func checkParams(rest []byte) error {
	it := paramIter{s: rest}
	for {
		if _, _, _, ok := it.next(); !ok {
			break
		}
	}
	if it.err != "" {
		return formErr(FormBadMediaType, it.err)
	}
	return nil
}

// paramIter walks a parameter list, *( OWS ";" OWS [ parameter ] ) (RFC
// 9110 section 5.6.6), one parameter per call, in linear time.
type paramIter struct {
	s   []byte
	err string // why the list is malformed; "" if it is not
}

// next returns the next parameter's name and value as views. A quoted
// value is returned without its quotes but with its backslash escapes
// (see appendUnquoted). ok is false at the end of the list or on error.
func (it *paramIter) next() (name, value []byte, quoted, ok bool) {
	s := it.s
	for {
		s = trimLeftOWS(s)
		if len(s) == 0 {
			it.s = s
			return nil, nil, false, false
		}
		if s[0] != ';' {
			it.err = "expected ';' before " + quoteBytes(limitBytes(s))
			return nil, nil, false, false
		}
		s = trimLeftOWS(s[1:])
		if len(s) > 0 && s[0] != ';' {
			break
		}
	}
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	if i == 0 {
		it.err = "invalid parameter name at " + quoteBytes(limitBytes(s))
		return nil, nil, false, false
	}
	name = s[:i]
	s = trimLeftOWS(s[i:])
	if len(s) == 0 || s[0] != '=' {
		it.err = "parameter " + quoteBytes(name) + " has no value"
		return nil, nil, false, false
	}
	s = trimLeftOWS(s[1:])
	if len(s) > 0 && s[0] == '"' {
		i = 1
		for ; i < len(s) && s[i] != '"'; i++ {
			c := s[i]
			if c == '\\' {
				i++
				if i == len(s) {
					break
				}
				c = s[i]
			}
			if !qdtext[c] {
				it.err = "invalid byte in quoted string of parameter " + quoteBytes(name)
				return nil, nil, false, false
			}
		}
		if i >= len(s) {
			it.err = "unterminated quoted string in parameter " + quoteBytes(name)
			return nil, nil, false, false
		}
		it.s = s[i+1:]
		return name, s[1:i], true, true
	}
	i = 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	if i == 0 {
		it.err = "parameter " + quoteBytes(name) + " has no value"
		return nil, nil, false, false
	}
	it.s = s[i:]
	return name, s[:i], false, true
}

// qdtext: bytes allowed in a quoted-string, as qdtext or after a
// backslash (RFC 9110 section 5.6.4): HTAB, SP, VCHAR, obs-text.
var qdtext = func() (t [256]bool) {
	for c := 0x20; c <= 0xff; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return
}()

// appendUnquoted appends the content of a quoted string (without its
// quotes) to dst, turning `\"` into `"` and `\\` into `\` and keeping any
// other backslash.
func appendUnquoted(dst, q []byte) []byte {
	for len(q) > 0 {
		i := bytes.IndexByte(q, '\\')
		if i < 0 || i+1 == len(q) {
			return append(dst, q...)
		}
		dst = append(dst, q[:i]...)
		if c := q[i+1]; c == '"' || c == '\\' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '\\', c)
		}
		q = q[i+2:]
	}
	return dst
}

func trimLeftOWS(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func lowerASCII(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// limitBytes shortens b for an error message.
func limitBytes(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
