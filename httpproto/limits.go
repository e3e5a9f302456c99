package httpproto

// The default limits. They follow Tornado where Tornado has one
// (max_header_size 64 KiB, max_body_size 100 MiB) and common servers
// otherwise.
const (
	DefaultMaxRequestLine   = 8192
	DefaultMaxHeaderBytes   = 64 << 10
	DefaultMaxHeaderCount   = 100
	DefaultMaxBodySize      = 100 << 20
	DefaultMaxChunkLine     = 4096
	DefaultMaxChunkExtBytes = 64 << 10
)

// maxLeadingEmptyLines is how many empty lines (CRLF or LF) may precede a
// start line. RFC 9112 section 2.2 has a server ignore at least one, which
// some clients send after a POST body; a few more are harmless, and they
// count against MaxHeaderBytes.
const maxLeadingEmptyLines = 4

// Limits bounds every size and count a peer controls. A zero or negative
// field means its default; no limit can be switched off, but any can be
// raised: MaxBodySize up to math.MaxInt64, the others up to 1 GiB (larger
// values are capped). Each field names the error, and so the status, that
// exceeding it gives.
type Limits struct {
	// MaxRequestLine caps the request line, or a response's status line,
	// without its line end, in bytes. Default 8192. Exceeding it gives
	// CodeURITooLong (414), as soon as that many bytes arrived without a
	// line end; for a status line, CodeBadStatusLine.
	MaxRequestLine int
	// MaxHeaderBytes caps the whole head, from the first byte (leading
	// empty lines and the start line included) to the empty line that ends
	// it, in bytes; and separately a chunked message's trailer section.
	// Default 65536 (Tornado's max_header_size). Exceeding it gives
	// CodeHeaderTooLarge (431).
	MaxHeaderBytes int
	// MaxHeaderCount caps the number of header fields, and separately of
	// trailer fields. Default 100. Exceeding it gives CodeTooManyHeaders
	// (431).
	MaxHeaderCount int
	// MaxBodySize caps a message body in bytes (the decoded payload of a
	// chunked body). Default 100 MiB (Tornado's max_body_size). A
	// Content-Length above it is refused before any body byte is
	// delivered; a chunked body as soon as a chunk size would take it
	// over; a close-delimited response after the last byte within it.
	// Exceeding it gives CodeBodyTooLarge (413). Parser.SetMaxBodySize
	// changes it for one message.
	MaxBodySize int64
	// MaxChunkLine caps one chunk-size line, extensions included, without
	// its CRLF, in bytes. Default 4096. Exceeding it gives
	// CodeChunkLineTooLong (400).
	MaxChunkLine int
	// MaxChunkExtBytes caps the chunk-extension bytes summed over all the
	// chunks of one message, against a stream of tiny chunks that carry
	// large extensions. Default 65536. Exceeding it gives
	// CodeChunkLineTooLong (400).
	MaxChunkExtBytes int
}

// maxByteLimit caps the byte-count limits other than MaxBodySize, so that
// offsets computed from them cannot overflow.
const maxByteLimit = 1 << 30

// withDefaults returns l (nil allowed) with every unset field at its
// default and every byte limit at most maxByteLimit.
func (l *Limits) withDefaults() Limits {
	var out Limits
	if l != nil {
		out = *l
	}
	for _, v := range []*int{&out.MaxRequestLine, &out.MaxHeaderBytes, &out.MaxHeaderCount, &out.MaxChunkLine, &out.MaxChunkExtBytes} {
		*v = min(*v, maxByteLimit)
	}
	if out.MaxRequestLine <= 0 {
		out.MaxRequestLine = DefaultMaxRequestLine
	}
	if out.MaxHeaderBytes <= 0 {
		out.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if out.MaxHeaderCount <= 0 {
		out.MaxHeaderCount = DefaultMaxHeaderCount
	}
	if out.MaxBodySize <= 0 {
		out.MaxBodySize = DefaultMaxBodySize
	}
	if out.MaxChunkLine <= 0 {
		out.MaxChunkLine = DefaultMaxChunkLine
	}
	if out.MaxChunkExtBytes <= 0 {
		out.MaxChunkExtBytes = DefaultMaxChunkExtBytes
	}
	return out
}
