package httpproto

import "strconv"

// Code identifies one kind of HTTP protocol error. Each code knows the
// status a server answers with (Status) and who is to blame (Local).
type Code uint8

// The error codes. The status a server answers with follows each.
const (
	// CodeBadRequestLine: the request line is not `method SP target SP
	// version` (400).
	CodeBadRequestLine Code = iota + 1
	// CodeBadTarget: the request target has a forbidden byte or a form the
	// method does not allow (400).
	CodeBadTarget
	// CodeURITooLong: the request line exceeds Limits.MaxRequestLine (414).
	CodeURITooLong
	// CodeBadVersion: the version is not HTTP/x.y (400).
	CodeBadVersion
	// CodeVersionNotSupported: a well-formed version other than HTTP/1.x
	// (505).
	CodeVersionNotSupported
	// CodeBadHeader: a malformed field line: invalid name, whitespace
	// before the colon, a control byte, a bare CR, obs-fold (400).
	CodeBadHeader
	// CodeHeaderTooLarge: the head exceeds Limits.MaxHeaderBytes (431).
	CodeHeaderTooLarge
	// CodeTooManyHeaders: more fields than Limits.MaxHeaderCount (431).
	CodeTooManyHeaders
	// CodeMissingHost: an HTTP/1.1 request without Host (400).
	CodeMissingHost
	// CodeBadHost: several Host fields, or an invalid value (400).
	CodeBadHost
	// CodeBadContentLength: not digits only, or several differing values
	// (400).
	CodeBadContentLength
	// CodeBadTransferEncoding: Transfer-Encoding with Content-Length,
	// chunked twice or not last, or in an HTTP/1.0 request (400).
	CodeBadTransferEncoding
	// CodeUnsupportedTransferEncoding: a transfer coding other than
	// chunked (501).
	CodeUnsupportedTransferEncoding
	// CodeBodyTooLarge: the body exceeds Limits.MaxBodySize (413).
	CodeBodyTooLarge
	// CodeBadChunk: a malformed chunk size line, chunk extension, chunk
	// terminator or trailer section (400).
	CodeBadChunk
	// CodeChunkLineTooLong: a chunk size line (with its extensions) longer
	// than Limits.MaxChunkLine, or more extension bytes in one message
	// than Limits.MaxChunkExtBytes (400).
	CodeChunkLineTooLong
	// CodeBadStatusLine: a response's status line is malformed (a client
	// error; Status 502 for a proxy's use).
	CodeBadStatusLine
	// CodeBadResponse: a response whose framing is invalid, such as a 1xx
	// or 204 with a body (502).
	CodeBadResponse
	// CodeIncomplete: the input ended inside a message (400 for a request;
	// a client reports it as is).
	CodeIncomplete
	// CodeInvalidOutput: the caller asked to send something invalid, such
	// as a header value with CR or LF, or more body bytes than declared.
	// The caller is at fault (Local), and no status is sent (500 if one
	// must be).
	CodeInvalidOutput
	// CodeUnexpectedInput: input arrived where none may (after a message
	// that closes the connection, or on a parser in the wrong state): a
	// caller error (Local).
	CodeUnexpectedInput
	codeCount
)

var codeInfo = [codeCount]struct {
	text   string
	status int
	local  bool
}{
	CodeBadRequestLine:              {"malformed request line", 400, false},
	CodeBadTarget:                   {"invalid request target", 400, false},
	CodeURITooLong:                  {"request line too long", 414, false},
	CodeBadVersion:                  {"malformed HTTP version", 400, false},
	CodeVersionNotSupported:         {"HTTP version not supported", 505, false},
	CodeBadHeader:                   {"malformed header field", 400, false},
	CodeHeaderTooLarge:              {"header section too large", 431, false},
	CodeTooManyHeaders:              {"too many header fields", 431, false},
	CodeMissingHost:                 {"missing Host header", 400, false},
	CodeBadHost:                     {"invalid Host header", 400, false},
	CodeBadContentLength:            {"invalid Content-Length", 400, false},
	CodeBadTransferEncoding:         {"invalid Transfer-Encoding", 400, false},
	CodeUnsupportedTransferEncoding: {"unsupported transfer coding", 501, false},
	CodeBodyTooLarge:                {"body too large", 413, false},
	CodeBadChunk:                    {"malformed chunked encoding", 400, false},
	CodeChunkLineTooLong:            {"chunk size line or extensions too long", 400, false},
	CodeBadStatusLine:               {"malformed status line", 502, false},
	CodeBadResponse:                 {"invalid response framing", 502, false},
	CodeIncomplete:                  {"message incomplete", 400, false},
	CodeInvalidOutput:               {"invalid output", 500, true},
	CodeUnexpectedInput:             {"unexpected input", 500, true},
}

// String returns the code's description, e.g. "header section too large".
func (c Code) String() string {
	if c == 0 || c >= codeCount {
		return "Code(" + strconv.Itoa(int(c)) + ")"
	}
	return codeInfo[c].text
}

// Status returns the HTTP status a server answers this error with.
func (c Code) Status() int {
	if c == 0 || c >= codeCount {
		return 500
	}
	return codeInfo[c].status
}

// Local reports whether the local caller, not the peer, is at fault.
func (c Code) Local() bool {
	if c == 0 || c >= codeCount {
		return true
	}
	return codeInfo[c].local
}

// Error is an HTTP protocol error. errors.Is(err, ErrX) matches by Code
// (the sentinels below carry no Detail), and errors.As gives the Code, the
// Status to answer with and the Detail.
type Error struct {
	Code   Code
	Detail string // what exactly was wrong; may be empty
}

func newError(c Code, detail string) *Error { return &Error{Code: c, Detail: detail} }

// Error returns "httpproto: <code>: <detail>".
func (e *Error) Error() string {
	if e.Detail == "" {
		return "httpproto: " + e.Code.String()
	}
	return "httpproto: " + e.Code.String() + ": " + e.Detail
}

// Status returns the HTTP status to answer with (400, 413, 414, 431, 501,
// 505, ...).
func (e *Error) Status() int { return e.Code.Status() }

// Local reports whether the caller rather than the peer is at fault.
func (e *Error) Local() bool { return e.Code.Local() }

// Is matches any *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is, one per Code.
var (
	ErrBadRequestLine              = &Error{Code: CodeBadRequestLine}
	ErrBadTarget                   = &Error{Code: CodeBadTarget}
	ErrURITooLong                  = &Error{Code: CodeURITooLong}
	ErrBadVersion                  = &Error{Code: CodeBadVersion}
	ErrVersionNotSupported         = &Error{Code: CodeVersionNotSupported}
	ErrBadHeader                   = &Error{Code: CodeBadHeader}
	ErrHeaderTooLarge              = &Error{Code: CodeHeaderTooLarge}
	ErrTooManyHeaders              = &Error{Code: CodeTooManyHeaders}
	ErrMissingHost                 = &Error{Code: CodeMissingHost}
	ErrBadHost                     = &Error{Code: CodeBadHost}
	ErrBadContentLength            = &Error{Code: CodeBadContentLength}
	ErrBadTransferEncoding         = &Error{Code: CodeBadTransferEncoding}
	ErrUnsupportedTransferEncoding = &Error{Code: CodeUnsupportedTransferEncoding}
	ErrBodyTooLarge                = &Error{Code: CodeBodyTooLarge}
	ErrBadChunk                    = &Error{Code: CodeBadChunk}
	ErrChunkLineTooLong            = &Error{Code: CodeChunkLineTooLong}
	ErrBadStatusLine               = &Error{Code: CodeBadStatusLine}
	ErrBadResponse                 = &Error{Code: CodeBadResponse}
	ErrIncomplete                  = &Error{Code: CodeIncomplete}
	ErrInvalidOutput               = &Error{Code: CodeInvalidOutput}
	ErrUnexpectedInput             = &Error{Code: CodeUnexpectedInput}
)
