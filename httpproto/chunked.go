package httpproto

// The chunked transfer coding (RFC 9112 section 7.1):
//
//	chunked-body = *chunk last-chunk trailer-section CRLF
//	chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	last-chunk   = 1*("0") [ chunk-ext ] CRLF
//	chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//
// Inside the chunked framing every line ends with CRLF: a bare LF, which
// the parser accepts at the end of a head line, is refused here, as is a
// bare CR, since parsers that disagree on where a chunk ends are a known
// request-smuggling vector. Extensions are checked against the grammar and
// then ignored (RFC 9112 section 7.1.1 lets a recipient ignore them);
// trailer fields are checked as header fields and exposed by
// Parser.Trailers (section 7.1.2).

// nextChunked reads chunk framing silently and reports chunk data, then
// MessageDone after the trailer section.
func (p *Parser) nextChunked(in []byte) (Event, int, error) {
	n := 0
	for {
		switch p.state {
		case StateChunkSize:
			k, e := p.chunkSizeLine(in)
			if e != nil {
				return p.fail(e)
			}
			if k == 0 {
				return Event{}, n, nil
			}
			in, n = in[k:], n+k
		case StateChunkData:
			if len(in) == 0 {
				return Event{}, n, nil
			}
			take := int64(len(in))
			if take > p.remaining {
				take = p.remaining
			}
			p.remaining -= take
			if p.remaining == 0 {
				if e := p.fire(trChunkData); e != nil {
					return p.fail(e)
				}
			}
			return Event{Kind: BodyData, Data: in[:take:take]}, n + int(take), nil
		case StateChunkEnd:
			if len(in) == 0 {
				return Event{}, n, nil
			}
			want := byte('\r')
			if p.sawCR {
				want = '\n'
			}
			if in[0] != want {
				return p.fail(newError(CodeBadChunk, "chunk data not followed by CRLF"))
			}
			in, n = in[1:], n+1
			if !p.sawCR {
				p.sawCR = true
				continue
			}
			p.sawCR = false
			if e := p.fire(trChunkCRLF); e != nil {
				return p.fail(e)
			}
		case StateTrailers:
			ev, k, err := p.trailerSection(in)
			if err != nil || ev.Kind == None {
				// An incomplete trailer section stays unconsumed; the
				// framing before it in this call is consumed.
				if err != nil {
					return ev, 0, err
				}
				return ev, n, nil
			}
			return ev, n + k, nil
		default:
			return p.fail(newError(CodeUnexpectedInput, "chunked reader in state "+p.state.String()))
		}
	}
}

// chunkSizeLine parses the chunk-size line at the start of in. It returns
// its length with the CRLF, or 0 while it is incomplete (it stays
// unconsumed; the scan position is kept).
func (p *Parser) chunkSizeLine(in []byte) (int, *Error) {
	if len(in) < p.scan {
		return 0, contractError()
	}
	if len(in) == 0 {
		return 0, nil
	}
	if hexValue[in[0]] < 0 {
		// Fail at once on " 5", "-1", "0x5" given with a first byte.
		return 0, newError(CodeBadChunk, "chunk size is not hexadecimal")
	}
	window := p.lim.MaxChunkLine + 2
	_, lf, ok, bareCR := p.nextLine(in, min(len(in), window))
	if !ok {
		switch {
		case bareCR:
			return 0, newError(CodeBadChunk, "bare CR in a chunk-size line")
		case len(in) >= window:
			return 0, newError(CodeChunkLineTooLong, "chunk-size line longer than MaxChunkLine")
		}
		return 0, nil
	}
	p.scan, p.lineStart = 0, 0
	if lf == 0 || in[lf-1] != '\r' {
		return 0, newError(CodeBadChunk, "chunk-size line not ended by CRLF")
	}
	size, ext, e := parseChunkLine(in[:lf-1])
	if e != nil {
		return 0, e
	}
	p.extBytes += ext
	if p.extBytes > p.lim.MaxChunkExtBytes {
		return 0, newError(CodeChunkLineTooLong, "chunk extensions longer than MaxChunkExtBytes")
	}
	if size == 0 {
		p.spans = p.spans[:0]
		if e := p.fire(trLastChunk); e != nil {
			return 0, e
		}
		return lf + 1, nil
	}
	if size > p.maxBody-p.bodyTotal {
		return 0, newError(CodeBodyTooLarge, "chunked body larger than the body size limit")
	}
	p.bodyTotal += size
	p.remaining = size
	if e := p.fire(trChunkSize); e != nil {
		return 0, e
	}
	return lf + 1, nil
}

// parseChunkLine parses chunk-size [ chunk-ext ] (without the CRLF) and
// returns the size and the length of the extensions. The size is 1*HEXDIG
// with no sign, prefix or space; one above 2^63-1 is an overflow (400).
func parseChunkLine(line []byte) (size int64, ext int, err *Error) {
	i := 0
	for ; i < len(line); i++ {
		d := hexValue[line[i]]
		if d < 0 {
			break
		}
		if size>>59 != 0 {
			return 0, 0, newError(CodeBadChunk, "chunk size overflows")
		}
		size = size<<4 | int64(d)
	}
	if i == 0 {
		return 0, 0, newError(CodeBadChunk, "chunk size is not hexadecimal")
	}
	if i < len(line) && !validChunkExt(line[i:]) {
		return 0, 0, newError(CodeBadChunk, "malformed chunk extension")
	}
	return size, len(line) - i, nil
}

// validChunkExt checks chunk-ext, the rest of a chunk-size line after the
// size: each extension is BWS ";" BWS token [ BWS "=" BWS ( token /
// quoted-string ) ]. Whitespace is allowed only where BWS is: "5 " and
// "5;a " are invalid, as is "5;" (no name).
func validChunkExt(b []byte) bool {
	i := 0
	skipWS := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
	}
	token := func() bool {
		j := i
		for i < len(b) && tchar[b[i]] {
			i++
		}
		return i > j
	}
	for i < len(b) {
		skipWS()
		if i == len(b) || b[i] != ';' {
			return false
		}
		i++
		skipWS()
		if !token() {
			return false
		}
		j := i
		skipWS()
		if i == len(b) || b[i] != '=' {
			i = j // the whitespace must lead to another ";"
			continue
		}
		i++
		skipWS()
		if i < len(b) && b[i] == '"' {
			k := quotedStringLen(b[i:])
			if k < 0 {
				return false
			}
			i += k
		} else if !token() {
			return false
		}
	}
	return true
}

// quotedStringLen returns the length of the quoted-string at the start of
// b (RFC 9110 section 5.6.4), or -1 if there is none.
func quotedStringLen(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++
			if i == len(b) || !fieldVchar[b[i]] {
				return -1
			}
		case !fieldVchar[c]:
			return -1
		}
	}
	return -1
}

// trailerSection reads the trailer fields after the last chunk and the
// empty line that ends them, all unconsumed until complete. Then it
// reports MessageDone with n the section's length.
func (p *Parser) trailerSection(in []byte) (Event, int, error) {
	if len(in) < p.scan {
		return p.fail(contractError())
	}
	end := min(len(in), p.lim.MaxHeaderBytes)
	for {
		start, lf, ok, bareCR := p.nextLine(in, end)
		if !ok {
			switch {
			case bareCR:
				return p.fail(newError(CodeBadChunk, "bare CR in the trailer section"))
			case len(in) >= p.lim.MaxHeaderBytes:
				return p.fail(newError(CodeHeaderTooLarge, "trailer section larger than MaxHeaderBytes"))
			}
			return Event{}, 0, nil
		}
		if lf == start || in[lf-1] != '\r' {
			return p.fail(newError(CodeBadChunk, "trailer line not ended by CRLF"))
		}
		line := in[start : lf-1]
		if len(line) == 0 {
			p.fillHeader(&p.trailers, in)
			return p.messageDone(lf + 1)
		}
		for _, c := range line {
			if c == '\r' {
				return p.fail(newError(CodeBadChunk, "bare CR in the trailer section"))
			}
		}
		if _, _, e := p.fieldLine(line, start); e != nil {
			return p.fail(e)
		}
	}
}
