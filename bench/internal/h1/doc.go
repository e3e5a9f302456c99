// Package h1 is the minimal HTTP/1.1 message framing that the benchmark's
// own code needs: where a message's head ends, the few header fields that
// frame it (Content-Length, Transfer-Encoding: chunked, Connection: close),
// and an incremental body reader for sized and chunked bodies (RFC 9112
// section 6 and 7.1). The load generator uses it to frame responses and
// the gnet server (bench/internal/httpbench) to frame requests.
//
// It is deliberately not a general HTTP parser: it checks what framing
// needs and nothing else (no header syntax checks beyond that, no
// obsolete line folding, trailers skipped). gale's real codec is
// httpproto; this package exists so that the benchmark does not measure
// gale with gale.
//
//	head.go  the end of a head, the start lines, the framing fields
//	body.go  Body: a sized or chunked body, fed any split of the input
package h1
