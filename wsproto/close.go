package wsproto

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// CloseCode is the status code of a Close frame (RFC 6455 section 7.4).
// ValidWireCloseCode tells which codes may appear on the wire; the others
// exist only in APIs (1005, 1006, 1015).
type CloseCode uint16

// The codes RFC 6455 section 7.4.1 defines, plus 1012-1014 from the IANA
// registry. 3000-3999 are registered by libraries and frameworks, 4000-4999
// are private to applications.
const (
	CloseNormal          CloseCode = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway       CloseCode = 1001 // server shutting down, browser leaving the page
	CloseProtocolError   CloseCode = 1002 // the peer broke the protocol
	CloseUnsupportedData CloseCode = 1003 // a data type the endpoint cannot accept
	// 1004 is reserved.
	CloseNoStatusReceived   CloseCode = 1005 // never sent: the Close frame had no payload
	CloseAbnormal           CloseCode = 1006 // never sent: the connection dropped without a Close frame
	CloseInvalidPayload     CloseCode = 1007 // data inconsistent with its type (UTF-8 in text)
	ClosePolicyViolation    CloseCode = 1008 // a generic policy violation
	CloseMessageTooBig      CloseCode = 1009 // a message too big to process
	CloseMandatoryExtension CloseCode = 1010 // sent by a client: the server did not negotiate a needed extension
	CloseInternalError      CloseCode = 1011 // sent by a server: an unexpected condition
	CloseServiceRestart     CloseCode = 1012 // the service is restarting
	CloseTryAgainLater      CloseCode = 1013 // temporary overload
	CloseBadGateway         CloseCode = 1014 // a gateway received an invalid response
	CloseTLSHandshake       CloseCode = 1015 // never sent: the TLS handshake failed
)

var closeCodeNames = [...]string{
	"Normal", "GoingAway", "ProtocolError", "UnsupportedData", "", "NoStatusReceived",
	"Abnormal", "InvalidPayload", "PolicyViolation", "MessageTooBig", "MandatoryExtension",
	"InternalError", "ServiceRestart", "TryAgainLater", "BadGateway", "TLSHandshake",
}

// String returns the code's name without the Close prefix ("Normal",
// "ProtocolError", ...), or "CloseCode(N)" for codes without a name.
func (c CloseCode) String() string {
	if c >= 1000 && int(c-1000) < len(closeCodeNames) && closeCodeNames[c-1000] != "" {
		return closeCodeNames[c-1000]
	}
	return "CloseCode(" + strconv.Itoa(int(c)) + ")"
}

// ValidWireCloseCode reports whether c may be sent in a Close frame (RFC
// 6455 section 7.4): 1000-1003, 1007-1014 and 3000-4999. 0-999 are unused,
// 1004 is reserved, 1005, 1006 and 1015 only report conditions locally, and
// 1016-2999 are reserved for future revisions of the protocol; a Close frame
// carrying one of those is a protocol error.
func ValidWireCloseCode(c CloseCode) bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// MaxCloseReasonLen is the longest close reason: a control frame carries at
// most 125 bytes, two of which are the code.
const MaxCloseReasonLen = 123

// ParseClosePayload decodes the payload of a Close frame (RFC 6455 section
// 5.5.1). An empty payload means no status: code CloseNoStatusReceived and
// no reason. Otherwise the first two bytes are a code ValidWireCloseCode
// accepts and the rest is a UTF-8 reason. A 1-byte payload or an invalid code
// is an ErrProtocol error, a reason that is not UTF-8 an ErrInvalidData error.
// reason aliases p.
func ParseClosePayload(p []byte) (code CloseCode, reason []byte, err error) {
	switch {
	case len(p) == 0:
		return CloseNoStatusReceived, nil, nil
	case len(p) == 1:
		return 0, nil, protocolError("close payload of 1 byte")
	case len(p) > maxControlPayload:
		return 0, nil, protocolError("close payload longer than 125 bytes")
	}
	code = CloseCode(binary.BigEndian.Uint16(p))
	if !ValidWireCloseCode(code) {
		return 0, nil, protocolError("invalid close code " + strconv.Itoa(int(code)))
	}
	reason = p[2:]
	if !utf8.Valid(reason) {
		return 0, nil, invalidDataError("close reason is not valid UTF-8")
	}
	return code, reason, nil
}

// AppendClosePayload appends the payload of a Close frame to dst. A code of
// 0 or CloseNoStatusReceived with an empty reason gives the empty payload
// ("no status"). Otherwise the code must satisfy ValidWireCloseCode and the
// reason must be valid UTF-8 of at most MaxCloseReasonLen bytes; if not,
// dst is returned unchanged with an ErrInvalidArgument error.
func AppendClosePayload(dst []byte, code CloseCode, reason string) ([]byte, error) {
	if code == 0 || code == CloseNoStatusReceived {
		if reason != "" {
			return dst, argumentError("close reason without a close code")
		}
		return dst, nil
	}
	if !ValidWireCloseCode(code) {
		return dst, argumentError("close code " + strconv.Itoa(int(code)) + " may not be sent")
	}
	if len(reason) > MaxCloseReasonLen {
		return dst, argumentError("close reason of " + strconv.Itoa(len(reason)) + " bytes exceeds 123")
	}
	if !utf8.ValidString(reason) {
		return dst, argumentError("close reason is not valid UTF-8")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...), nil
}
