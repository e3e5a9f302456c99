// Package codecbench compares HTTP/1.1 request parsers on the same inputs:
// gale's httpproto.Parser (strict, incremental, in place), net/http's
// http.ReadRequest and fasthttp's Request.Read. It holds only benchmarks
// and the test that checks every parser reads the inputs the same way:
//
//	cd bench && go test -run '^$' -bench . -benchmem ./internal/codecbench/
package codecbench
