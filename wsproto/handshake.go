package wsproto

import (
	"crypto/sha1"
	"encoding/base64"
)

// keyGUID is the GUID RFC 6455 section 1.3 appends to the client's key.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value answering the client's
// Sec-WebSocket-Key: the base64 of the SHA-1 of the key followed by the
// protocol's GUID (RFC 6455 section 4.2.2). A client compares the server's
// answer with AcceptKey of the key it sent.
func AcceptKey(clientKey string) string {
	var b [AcceptKeyLen]byte
	return string(AppendAcceptKey(b[:0], clientKey))
}

// AcceptKeyLen is the length of a Sec-WebSocket-Accept value.
const AcceptKeyLen = 28

// AppendAcceptKey appends AcceptKey(clientKey) to dst, without
// allocating when dst has room for AcceptKeyLen more bytes.
func AppendAcceptKey(dst []byte, clientKey string) []byte {
	var buf [64]byte
	in := append(append(buf[:0], clientKey...), keyGUID...)
	sum := sha1.Sum(in)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// ValidClientKey reports whether key is a valid Sec-WebSocket-Key: the
// base64 encoding, with padding, of 16 bytes (RFC 6455 section 4.1). Tornado
// does not check it; gale's server does.
func ValidClientKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var buf [18]byte
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(key))
	return err == nil && n == 16
}

// ParseTokenList parses a comma-separated list of tokens, such as a
// Sec-WebSocket-Protocol or Connection header value: 1#token with optional
// whitespace around the commas (RFC 9110 section 5.6.1). Empty elements are
// skipped. Anything else than tokens is an ErrHandshake error. The strings
// alias value.
func ParseTokenList(value string) ([]string, error) {
	var list []string
	i := 0
	for {
		i = skipOWS(value, i)
		if i == len(value) {
			return list, nil
		}
		if value[i] == ',' {
			i++
			continue
		}
		tok, j := scanToken(value, i)
		if tok == "" {
			return nil, tokenListError(value, i)
		}
		list = append(list, tok)
		i = skipOWS(value, j)
		if i == len(value) {
			return list, nil
		}
		if value[i] != ',' {
			return nil, tokenListError(value, i)
		}
		i++
	}
}

func tokenListError(value string, i int) *Error {
	e := extSyntaxError(value, i, "a token or \",\"")
	e.Reason = "malformed token list" + e.Reason[len("malformed Sec-WebSocket-Extensions"):]
	return e
}

// SelectSubprotocol returns the first of the client's offered subprotocols
// (in the client's order of preference, RFC 6455 section 4.1) that the
// server supports, comparing exactly (subprotocol names are case-sensitive).
// ok is false if there is none: the server then answers without a
// Sec-WebSocket-Protocol header.
func SelectSubprotocol(offered, supported []string) (protocol string, ok bool) {
	for _, o := range offered {
		for _, s := range supported {
			if o == s {
				return o, true
			}
		}
	}
	return "", false
}
