package httpproto

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// multipart/form-data (RFC 7578 on RFC 2046 section 5.1), parsed
// incrementally and in place.
//
// Strictness, with Tornado 6.5.5 as the baseline:
//   - The boundary is 1 to 70 bchars, not ending in a space (RFC 2046).
//   - A preamble before the first delimiter is skipped. The first
//     delimiter may open the body without a CRLF before it; every later one
//     is CRLF "--" boundary, where the CRLF may be the one that ends a
//     part's header block (a part without content).
//   - After a delimiter come optional transport padding (spaces and tabs,
//     counted against MaxPartHeaderBytes) and CRLF; after "--" boundary
//     "--" (the close delimiter) everything is epilogue and ignored. A
//     delimiter followed by anything else ("--boundaryX") is an error: the
//     sender chose a boundary that occurs in its content.
//   - Part header lines end with CRLF and hold no control byte other than
//     HTAB ([\x00-\x08\x0A-\x1F\x7F] is refused, so no bare CR or LF, as
//     Tornado 6.5.5); other bytes, UTF-8 included, are allowed. A name is a
//     token followed directly by ':'; obs-fold is refused.
//   - Every part has exactly one Content-Disposition: form-data with a
//     non-empty name, and at most one Content-Type. A body whose close
//     delimiter never comes is ErrFormIncomplete.
//   - A form with no fields ("--boundary--", as browsers send it) is
//     accepted.
//
// Every search is linear: the data state looks for CRLF "--" boundary with
// bytes.Index and keeps back only the bytes that could begin a delimiter;
// the header state remembers how far it has searched for the blank line.

// mpState is the state of a MultipartReader.
type mpState uint8

const (
	// mpPreamble: before the first delimiter; bytes are skipped. Next:
	// mpDelimiter.
	mpPreamble mpState = iota
	// mpDelimiter: the input starts with "--" boundary. Next: mpPadding
	// (a part follows) or mpEpilogue (close delimiter, Done).
	mpDelimiter
	// mpPadding: after a delimiter, before its CRLF. Next: mpHeaders.
	mpPadding
	// mpHeaders: in a part's header block. Next: mpData (PartBegin).
	mpHeaders
	// mpData: in a part's content. Next: mpDelimiter (PartEnd).
	mpData
	// mpEpilogue: after the close delimiter; terminal, input is ignored.
	mpEpilogue
	// mpFailed: an error was returned; terminal, Next returns it again.
	mpFailed
)

var mpStateNames = [...]string{"preamble", "delimiter", "padding", "part header", "part data", "epilogue", "failed"}

// String returns the state's name, for errors.
func (s mpState) String() string {
	if int(s) < len(mpStateNames) {
		return mpStateNames[s]
	}
	return "mpState(" + strconv.Itoa(int(s)) + ")"
}

// MultipartEventKind is the kind of a MultipartEvent. A body yields
// PartBegin, any number of PartData, PartEnd for each part, then Done;
// NeedData may come between any two of them.
type MultipartEventKind uint8

const (
	// MultipartNeedData: Next has used what it could of its input (it may
	// have consumed some, e.g. preamble or epilogue bytes) and needs more.
	// Any event may follow.
	MultipartNeedData MultipartEventKind = iota
	// MultipartPartBegin: a part's header block was parsed; Event.Part
	// (and Reader.Part) describe it. PartData or PartEnd follow.
	MultipartPartBegin
	// MultipartPartData: Event.Data is a piece of the current part's
	// content. PartData or PartEnd follow.
	MultipartPartData
	// MultipartPartEnd: the current part's content is complete. PartBegin
	// or Done follow.
	MultipartPartEnd
	// MultipartDone: the close delimiter was read. Only NeedData follows,
	// as Next consumes and ignores the epilogue.
	MultipartDone
)

var mpEventNames = [...]string{"NeedData", "PartBegin", "PartData", "PartEnd", "Done"}

// String returns the kind's name, e.g. "PartData".
func (k MultipartEventKind) String() string {
	if int(k) < len(mpEventNames) {
		return mpEventNames[k]
	}
	return "MultipartEventKind(" + strconv.Itoa(int(k)) + ")"
}

// MultipartEvent is one event from MultipartReader.Next.
type MultipartEvent struct {
	Kind MultipartEventKind
	// Data is the content piece of a PartData event: a view of the input
	// given to Next, valid as long as those bytes are.
	Data []byte
	// Part is the part that a PartBegin event opens (the reader's, see
	// MultipartReader.Part); nil for other kinds.
	Part *MultipartPart
}

// MultipartPart describes one part of a multipart/form-data body. Its
// slices are owned by the MultipartReader and stay valid until the next
// PartBegin event or Reset; copy what must live longer.
type MultipartPart struct {
	// Name is the Content-Disposition name parameter, unquoted.
	Name []byte
	// Filename is the filename* parameter decoded (RFC 8187; UTF-8,
	// ISO-8859-1 and US-ASCII are supported, the result is UTF-8) or else
	// the filename parameter, unquoted; a filename* in another charset
	// gives way to a filename beside it, and is an error alone. A
	// filename* that decodes to a control byte other than HTAB is refused,
	// as such a byte is in a header line. It comes from the peer: never
	// use it as a path without sanitising it.
	Filename []byte
	// HasFilename reports whether the part had a filename or filename*
	// parameter, even an empty one (a browser sends filename="" for an
	// empty file input).
	HasFilename bool
	// ContentType is the Content-Type value, or nil when the part has none.
	ContentType []byte
	// Header holds every header field of the part in order, copied.
	Header Headers
}

// MultipartReader parses a multipart/form-data body incrementally and in
// place, so that a server can stream uploads without buffering them: the
// caller offers the unconsumed bytes of the body, Next reports one event
// and how many of them it consumed, and the caller drops those and calls
// again, adding input whenever the event is NeedData. Fed any split of a
// body (one byte at a time included), it reports the same parts, the same
// content and the same error as fed the body whole; only the division of
// content into PartData events differs.
//
// The unconsumed bytes Next leaves to the caller are bounded: a possible
// start of a delimiter (up to 75 bytes) or one part's header block (up to
// MaxPartHeaderBytes). Next never copies content; it copies only each
// part's header fields (into storage reused from part to part), so a
// reused reader does not allocate.
//
// A MultipartReader is not safe for concurrent use; it runs on the
// goroutine that owns the body (the loop's, in gale).
type MultipartReader struct {
	lim      FormLimits
	delim    []byte // CRLF "--" boundary
	state    mpState
	err      error
	consumed int64 // bytes of the body consumed so far
	parts    int   // delimiters opening a part seen so far
	hdrUsed  int   // header-budget bytes the current part has used (padding)
	scan     int   // header state: bytes of the block searched for CRLFCRLF
	part     MultipartPart
	vals     []byte // storage for part.Name and part.Filename

	// dataStart: in the data state, no content byte of the part is
	// consumed yet.
	dataStart bool
}

// NewMultipartReader returns a reader for a body with the given boundary
// (the Content-Type's boundary parameter, unquoted) and limits (nil for
// the defaults; see FormLimits). An invalid boundary is ErrFormBadBoundary.
func NewMultipartReader(boundary []byte, lim *FormLimits) (*MultipartReader, error) {
	r := new(MultipartReader)
	if err := r.Reset(boundary, lim); err != nil {
		return nil, err
	}
	return r, nil
}

// Reset readies r for a new body, keeping its storage.
func (r *MultipartReader) Reset(boundary []byte, lim *FormLimits) error {
	if err := validBoundary(boundary); err != nil {
		r.state, r.err = mpFailed, err
		return err
	}
	r.lim = lim.orDefault()
	r.delim = append(append(r.delim[:0], "\r\n--"...), boundary...)
	r.state, r.err = mpPreamble, nil
	r.consumed, r.parts, r.hdrUsed, r.scan = 0, 0, 0, 0
	r.dataStart = false
	r.clearPart()
	return nil
}

func (r *MultipartReader) clearPart() {
	r.part.Header.Reset()
	r.part.Name, r.part.Filename, r.part.ContentType, r.part.HasFilename = nil, nil, nil, false
	r.vals = r.vals[:0]
}

// bchars marks RFC 2046's boundary characters.
var bchars = func() (t [256]bool) {
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? " {
		t[c] = true
	}
	return
}()

func validBoundary(b []byte) error {
	if len(b) == 0 || len(b) > 70 {
		return formErr(FormBadBoundary, "boundary of "+strconv.Itoa(len(b))+" bytes, not 1 to 70")
	}
	for _, c := range b {
		if !bchars[c] {
			return formErr(FormBadBoundary, "invalid byte in boundary "+quoteBytes(limitBytes(b)))
		}
	}
	if b[len(b)-1] == ' ' {
		return formErr(FormBadBoundary, "boundary ends with a space")
	}
	return nil
}

// Part returns the current part: the one the last PartBegin opened. Its
// contents are valid until the next PartBegin or Reset.
func (r *MultipartReader) Part() *MultipartPart { return &r.part }

// Next parses the start of p, which must begin with the bytes the previous
// call left unconsumed (the reader remembers how far it has searched
// them), and returns one event and the number of bytes of p it consumed.
// The caller drops those bytes, whatever the event, and calls again; on
// NeedData it calls again once it has more input, and once the body has
// ended it calls End.
//
// An error is a *FormError (400 or 413) and is final: Next returns it from
// then on.
func (r *MultipartReader) Next(p []byte) (MultipartEvent, int, error) {
	if r.err != nil {
		return MultipartEvent{}, 0, r.err
	}
	n := 0
	for {
		q := p[n:]
		switch r.state {
		case mpPreamble:
			db := r.delim[2:]
			if r.consumed == 0 && n == 0 {
				// The first delimiter may open the body without a CRLF.
				if bytes.HasPrefix(q, db) {
					r.state = mpDelimiter
					continue
				}
				if len(q) < len(db) && bytes.HasPrefix(db, q) {
					return r.emit(MultipartEvent{}, n)
				}
			}
			if i := bytes.Index(q, r.delim); i >= 0 {
				n += i + 2
				r.state = mpDelimiter
				continue
			}
			n += len(q) - partialSuffix(q, r.delim)
			return r.emit(MultipartEvent{}, n)

		case mpDelimiter:
			db := len(r.delim) - 2
			if len(q) <= db {
				return r.emit(MultipartEvent{}, n)
			}
			switch q[db] {
			case '-':
				if len(q) == db+1 {
					return r.emit(MultipartEvent{}, n)
				}
				if q[db+1] != '-' {
					return r.failAt(n, FormBadMultipart, "boundary delimiter followed by "+quoteBytes(q[db:db+2]))
				}
				n += db + 2
				r.state = mpEpilogue
				return r.emit(MultipartEvent{Kind: MultipartDone}, n)
			case ' ', '\t', '\r':
				r.parts++
				if r.lim.MaxParts >= 0 && r.parts > r.lim.MaxParts {
					return r.failAt(n, FormTooManyParts, "more than "+strconv.Itoa(r.lim.MaxParts)+" parts")
				}
				n += db
				r.state, r.hdrUsed = mpPadding, 0
			default:
				return r.failAt(n, FormBadMultipart, "boundary delimiter followed by "+quoteBytes(q[db:db+1]))
			}

		case mpPadding:
			i := 0
			for i < len(q) && (q[i] == ' ' || q[i] == '\t') {
				i++
			}
			if i > 0 {
				if lim := r.lim.MaxPartHeaderBytes; lim >= 0 && r.hdrUsed+i > lim {
					// Fed in pieces, the padding up to the budget may
					// have been consumed before the byte over it.
					return r.failAt(n+lim-r.hdrUsed, FormPartHeaderTooLarge, "transport padding over "+strconv.Itoa(lim)+" bytes")
				}
				r.hdrUsed += i
				n += i
				q = q[i:]
			}
			if len(q) == 0 || q[0] == '\r' && len(q) == 1 {
				return r.emit(MultipartEvent{}, n)
			}
			if q[0] != '\r' || q[1] != '\n' {
				return r.failAt(n, FormBadMultipart, "boundary delimiter not followed by CRLF")
			}
			n += 2
			r.state, r.scan = mpHeaders, 0

		case mpHeaders:
			if len(q) == 0 || q[0] == '\r' && len(q) == 1 {
				return r.emit(MultipartEvent{}, n)
			}
			if q[0] == '\r' && q[1] == '\n' {
				return r.failAt(n, FormBadPartHeader, "part without header fields (no Content-Disposition)")
			}
			win := q
			budget := -1
			if r.lim.MaxPartHeaderBytes >= 0 {
				budget = r.lim.MaxPartHeaderBytes - r.hdrUsed
				if len(win) > budget {
					win = win[:budget]
				}
			}
			from := r.scan - 3
			if from < 0 || from > len(win) {
				from = 0
			}
			i := bytes.Index(win[from:], crlfcrlf)
			if i < 0 {
				if budget >= 0 && len(q) >= budget {
					return r.failAt(n, FormPartHeaderTooLarge, "part header block over "+strconv.Itoa(r.lim.MaxPartHeaderBytes)+" bytes")
				}
				r.scan = len(win)
				return r.emit(MultipartEvent{}, n)
			}
			i += from
			if err := r.parseHeader(q[:i+2]); err != nil {
				if r.overLimit(n) {
					return r.tooLarge()
				}
				r.state, r.err = mpFailed, err
				return MultipartEvent{}, 0, err
			}
			n += i + 4
			r.state, r.dataStart = mpData, true
			return r.emit(MultipartEvent{Kind: MultipartPartBegin, Part: &r.part}, n)

		case mpData:
			if r.dataStart {
				// RFC 2046's body-part is MIME-part-headers [CRLF
				// *OCTET]: in "headers CRLF CRLF --boundary" the second
				// CRLF is the delimiter's, and the part is empty (Go's
				// mime/multipart and Tornado read it so).
				db := r.delim[2:]
				if bytes.HasPrefix(q, db) {
					r.state, r.dataStart = mpDelimiter, false
					return r.emit(MultipartEvent{Kind: MultipartPartEnd}, n)
				}
				if len(q) < len(db) && bytes.HasPrefix(db, q) {
					return r.emit(MultipartEvent{}, n)
				}
				r.dataStart = false
			}
			i := bytes.Index(q, r.delim)
			if i == 0 {
				n += 2
				r.state = mpDelimiter
				return r.emit(MultipartEvent{Kind: MultipartPartEnd}, n)
			}
			if i < 0 {
				i = len(q) - partialSuffix(q, r.delim)
				if i == 0 {
					return r.emit(MultipartEvent{}, n)
				}
			}
			n += i
			return r.emit(MultipartEvent{Kind: MultipartPartData, Data: q[:i:i]}, n)

		case mpEpilogue:
			return r.emit(MultipartEvent{}, n+len(q))

		default:
			return r.failAt(n, FormBadMultipart, "reader in state "+r.state.String())
		}
	}
}

var crlfcrlf = []byte("\r\n\r\n")

// emit accounts for n consumed bytes against MaxMultipartBytes and
// returns ev.
func (r *MultipartReader) emit(ev MultipartEvent, n int) (MultipartEvent, int, error) {
	if r.overLimit(n) {
		return r.tooLarge()
	}
	r.consumed += int64(n)
	return ev, n, nil
}

// overLimit reports whether consuming n more bytes passes MaxMultipartBytes.
func (r *MultipartReader) overLimit(n int) bool {
	return r.lim.MaxMultipartBytes >= 0 && r.consumed+int64(n) > r.lim.MaxMultipartBytes
}

// failAt fails with c for an error found after n bytes of this call's
// input were consumed. Those bytes count against MaxMultipartBytes first:
// fed in pieces, an earlier call would have emitted them and failed with
// FormTooLarge, and the error must not depend on the split.
func (r *MultipartReader) failAt(n int, c FormCode, detail string) (MultipartEvent, int, error) {
	if r.overLimit(n) {
		return r.tooLarge()
	}
	return r.fail(c, detail)
}

func (r *MultipartReader) tooLarge() (MultipartEvent, int, error) {
	return r.fail(FormTooLarge, "multipart body over "+strconv.FormatInt(r.lim.MaxMultipartBytes, 10)+" bytes")
}

func (r *MultipartReader) fail(c FormCode, detail string) (MultipartEvent, int, error) {
	r.state = mpFailed
	r.err = formErr(c, detail)
	return MultipartEvent{}, 0, r.err
}

// End reports whether the body ended where it may: nil once the close
// delimiter has been read, the error Next returned if it failed, and
// ErrFormIncomplete otherwise.
func (r *MultipartReader) End() error {
	if r.err != nil {
		return r.err
	}
	if r.state != mpEpilogue {
		r.err = formErr(FormIncomplete, "body ended in "+r.state.String())
		r.state = mpFailed
	}
	return r.err
}

// partialSuffix returns the length of the longest suffix of q that is a
// proper prefix of delim: the bytes that might begin a delimiter. delim
// has a single CR, at its start, so each candidate fails at the next CR
// and the whole scan is O(len(delim)).
func partialSuffix(q, delim []byte) int {
	for i := max(len(q)-len(delim)+1, 0); i < len(q); i++ {
		if q[i] == '\r' && bytes.HasPrefix(delim, q[i:]) {
			return len(q) - i
		}
	}
	return 0
}

// parseHeader parses a part's header block, lines each ending in CRLF
// without the blank line, into r.part.
func (r *MultipartReader) parseHeader(block []byte) error {
	r.clearPart()
	p := &r.part
	var disp []byte
	ndisp, nctype := 0, 0
	for len(block) > 0 {
		i := bytes.Index(block, crlfcrlf[:2])
		line := block[:i]
		block = block[i+2:]
		for _, c := range line {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return formErr(FormBadPartHeader, "control byte in part header line "+quoteBytes(limitBytes(line)))
			}
		}
		if line[0] == ' ' || line[0] == '\t' {
			return formErr(FormBadPartHeader, "obs-fold in part header")
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return formErr(FormBadPartHeader, "no colon in part header line "+quoteBytes(limitBytes(line)))
		}
		name := line[:colon]
		if !ValidToken(name) {
			return formErr(FormBadPartHeader, "invalid part header name "+quoteBytes(limitBytes(name)))
		}
		value := trimOWS(line[colon+1:])
		p.Header.addView(name, value)
		switch {
		case equalFold(name, "Content-Disposition"):
			ndisp++
			disp = value
		case equalFold(name, "Content-Type"):
			nctype++
		}
	}
	if ndisp != 1 {
		if ndisp == 0 {
			return formErr(FormBadPartHeader, "part without Content-Disposition")
		}
		return formErr(FormBadPartHeader, "Content-Disposition repeated")
	}
	if nctype > 1 {
		return formErr(FormBadPartHeader, "Content-Type repeated")
	}
	if err := r.parseDisposition(disp); err != nil {
		return err
	}
	p.Header.Retain()
	if v := p.Header.Get("Content-Type"); v != nil {
		p.ContentType = v
	}
	return nil
}

// parseDisposition parses `form-data; name="x"; filename="y"` (RFC 7578
// section 4.2, RFC 6266) into r.part.Name and Filename.
func (r *MultipartReader) parseDisposition(v []byte) error {
	i := 0
	for i < len(v) && isTchar(v[i]) {
		i++
	}
	if !equalFold(v[:i], "form-data") {
		return formErr(FormBadPartHeader, "Content-Disposition is not form-data: "+quoteBytes(limitBytes(v)))
	}
	var name, filename, filenameStar []byte
	var hasName, hasFilename, hasStar, nameQuoted, filenameQuoted bool
	it := paramIter{s: v[i:]}
	for {
		k, val, quoted, ok := it.next()
		if !ok {
			break
		}
		var seen *bool
		switch {
		case equalFold(k, "name"):
			seen, name, nameQuoted = &hasName, val, quoted
		case equalFold(k, "filename"):
			seen, filename, filenameQuoted = &hasFilename, val, quoted
		case equalFold(k, "filename*"):
			seen, filenameStar = &hasStar, val
		default:
			continue
		}
		if *seen {
			return formErr(FormBadPartHeader, "Content-Disposition parameter "+string(k)+" repeated")
		}
		*seen = true
	}
	if it.err != "" {
		return formErr(FormBadPartHeader, "Content-Disposition: "+it.err)
	}
	if len(name) == 0 {
		return formErr(FormBadPartHeader, "part without a name")
	}
	p := &r.part
	r.vals = r.vals[:0]
	if nameQuoted {
		r.vals = appendUnquoted(r.vals, name)
	} else {
		r.vals = append(r.vals, name...)
	}
	nameEnd := len(r.vals)
	switch {
	case hasStar && !(hasFilename && !extCharsetKnown(filenameStar)):
		// A filename* in a charset not decoded here falls back to the
		// filename sent beside it (RFC 6266 section 4.3 and appendix D;
		// Go's mime ignores such a filename*); alone, it is an error.
		var err error
		if r.vals, err = appendExtValue(r.vals, filenameStar); err != nil {
			return err
		}
	case filenameQuoted:
		r.vals = appendUnquoted(r.vals, filename)
	default:
		r.vals = append(r.vals, filename...)
	}
	p.Name = r.vals[:nameEnd:nameEnd]
	p.Filename = r.vals[nameEnd:len(r.vals):len(r.vals)]
	p.HasFilename = hasFilename || hasStar
	return nil
}

// extCharsetKnown reports whether appendExtValue decodes the charset of
// the ext-value v (true too when v has no charset: that is malformed).
func extCharsetKnown(v []byte) bool {
	q1 := bytes.IndexByte(v, '\'')
	if q1 < 0 {
		return true
	}
	cs := v[:q1]
	return equalFold(cs, "utf-8") || equalFold(cs, "iso-8859-1") || equalFold(cs, "us-ascii")
}

// appendExtValue decodes an RFC 8187 ext-value, charset "'" [language] "'"
// value-chars, appending the value in UTF-8 to dst. The charsets are
// UTF-8 and ISO-8859-1, which RFC 8187 requires, and RFC 2231's US-ASCII.
func appendExtValue(dst, v []byte) ([]byte, error) {
	q1 := bytes.IndexByte(v, '\'')
	if q1 < 0 {
		return dst, formErr(FormBadPartHeader, "filename* without a charset")
	}
	q2 := bytes.IndexByte(v[q1+1:], '\'')
	if q2 < 0 {
		return dst, formErr(FormBadPartHeader, "filename* without a language")
	}
	charset, enc := v[:q1], v[q1+1+q2+1:]
	start := len(dst)
	dst, err := appendUnescape(dst, enc, false)
	if err != nil {
		return dst, formErr(FormBadPartHeader, "filename*: "+err.(*FormError).Detail)
	}
	// The control bytes a part header line may not hold must not come
	// back percent-encoded: "%0D%0A" or "%00" in a Filename.
	for _, c := range dst[start:] {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return dst[:start], formErr(FormBadPartHeader, "control byte in filename*")
		}
	}
	switch {
	case equalFold(charset, "utf-8"):
		if !utf8.Valid(dst[start:]) {
			return dst[:start], formErr(FormBadPartHeader, "filename* is not valid UTF-8")
		}
	case equalFold(charset, "us-ascii"):
		for _, c := range dst[start:] {
			if c >= 0x80 {
				return dst[:start], formErr(FormBadPartHeader, "filename* is not US-ASCII")
			}
		}
	case equalFold(charset, "iso-8859-1"):
		// Latin-1 bytes are the code points U+0000 to U+00FF: widen each
		// byte >= 0x80 to two UTF-8 bytes, in place from the end.
		high := 0
		for _, c := range dst[start:] {
			if c >= 0x80 {
				high++
			}
		}
		old := len(dst)
		dst = append(dst, make([]byte, high)...)
		w := len(dst)
		for i := old - 1; i >= start; i-- {
			if c := dst[i]; c < 0x80 {
				w--
				dst[w] = c
			} else {
				w -= 2
				dst[w], dst[w+1] = 0xc0|c>>6, 0x80|c&0x3f
			}
		}
	default:
		return dst[:start], formErr(FormBadPartHeader, "filename* charset "+quoteBytes(limitBytes(charset))+" not supported")
	}
	return dst, nil
}

// ParseMultipartForm parses a whole multipart/form-data body, as Tornado's
// parse_multipart_form_data: a part whose filename is non-empty goes to
// files, with its Body a view of body (no copy); any other part to args,
// its content copied (so a browser's empty file input, filename="", is an
// empty argument, as in Tornado). A nil args or files drops what would go
// there. It is MultipartReader fed the whole body; see it and FormLimits
// for the rules and limits. On error args and files are left as they
// were.
func ParseMultipartForm(boundary, body []byte, args *Args, files *Files, lim *FormLimits) error {
	var r MultipartReader
	if err := r.Reset(boundary, lim); err != nil {
		return err
	}
	if args == nil {
		args = new(Args)
	}
	if files == nil {
		files = new(Files)
	}
	np, na, nf := len(args.pairs), len(args.arena), len(*files)
	off, start := 0, 0
	for {
		ev, n, err := r.Next(body[off:])
		if err != nil {
			args.truncate(np, na)
			clear((*files)[nf:])
			*files = (*files)[:nf]
			return err
		}
		switch ev.Kind {
		case MultipartPartBegin:
			start = off + n
		case MultipartPartEnd:
			content := body[start:off:off]
			if p := &r.part; len(p.Filename) > 0 {
				ct := "application/unknown"
				if p.ContentType != nil {
					ct = string(p.ContentType)
				}
				*files = append(*files, FormFile{
					Name:        string(p.Name),
					Filename:    string(p.Filename),
					ContentType: ct,
					Body:        content,
				})
			} else {
				args.AddBytes(p.Name, content)
			}
		}
		off += n
		if ev.Kind == MultipartNeedData {
			break
		}
	}
	if err := r.End(); err != nil {
		args.truncate(np, na)
		clear((*files)[nf:])
		*files = (*files)[:nf]
		return err
	}
	return nil
}
