// Package httpproto is gale's HTTP/1.1 codec: a pure, incremental parser
// for requests and responses and the functions that serialise them. It
// does no I/O: bytes go in, events come out, and heads and chunks are
// appended to the caller's buffers. The server and client that bind it to
// gale's streams are httpproto/httpserver and httpproto/httpclient.
package httpproto
