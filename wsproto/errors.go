package wsproto

import (
	"errors"
	"strconv"
)

// Fault says who broke a rule: the peer (its bytes are wrong) or the local
// caller (it asked this package for something the protocol forbids).
type Fault uint8

const (
	// PeerFault: the peer sent something RFC 6455 or RFC 7692 forbids. The
	// connection must be failed: send a Close frame with Error.Code (when a
	// connection is established), then close it.
	PeerFault Fault = iota + 1
	// LocalFault: the caller passed an argument the protocol forbids (a close
	// reason too long, a reserved close code, ...). Nothing was written and
	// the connection is intact.
	LocalFault
)

// String returns "peer" or "local".
func (f Fault) String() string {
	switch f {
	case PeerFault:
		return "peer"
	case LocalFault:
		return "local"
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// The kinds of *Error, for errors.Is. Every error this package returns is an
// *Error matching exactly one of them.
var (
	// ErrProtocol: a frame broke RFC 6455's framing rules (reserved bits or
	// opcodes, bad masking, bad fragmentation, bad close payload). Close
	// code 1002.
	ErrProtocol = errors.New("wsproto: protocol error")
	// ErrInvalidData: a text message or close reason is not UTF-8, or a
	// compressed message is not valid DEFLATE data. Close code 1007.
	ErrInvalidData = errors.New("wsproto: invalid payload data")
	// ErrTooBig: a frame or message exceeds a configured limit, before or
	// after decompression. Close code 1009.
	ErrTooBig = errors.New("wsproto: message too big")
	// ErrHandshake: a handshake header value (Sec-WebSocket-Extensions,
	// or a token list such as Sec-WebSocket-Protocol) is malformed, or a
	// server's permessage-deflate answer is not one the client may accept
	// (RFC 7692 section 5), so the client must fail the connection. Code
	// 1002, although no Close frame can be sent before the handshake
	// completes: a server answers 400, a client closes the connection.
	ErrHandshake = errors.New("wsproto: invalid handshake")
	// ErrInvalidArgument: the local caller asked for something the protocol
	// forbids. Fault is LocalFault and Code is 0.
	ErrInvalidArgument = errors.New("wsproto: invalid argument")
)

// Error is the error of every function in this package. It says what went
// wrong (Reason), who is to blame (Fault) and which close code to send
// (Code). Match the kind with errors.Is (ErrProtocol, ErrInvalidData,
// ErrTooBig, ErrHandshake, ErrInvalidArgument) and read the fields with
// errors.As. An Error is immutable; it is safe to share between goroutines.
type Error struct {
	// Code is the close code to send to the peer: 1002, 1007 or 1009 for
	// a PeerFault, 0 for a LocalFault (nothing needs to be sent).
	Code CloseCode
	// Reason describes the violation in plain ASCII of at most
	// MaxCloseReasonLen bytes, so it may be sent as the Close frame's
	// reason unchanged.
	Reason string
	// Fault is PeerFault or LocalFault.
	Fault Fault
	// Err is the underlying cause (for example a flate.CorruptInputError),
	// or nil. Unwrap returns it.
	Err error

	kind error
}

// Error returns "wsproto: <reason> (<fault> fault, close <code>)".
func (e *Error) Error() string {
	s := "wsproto: " + e.Reason + " (" + e.Fault.String() + " fault"
	if e.Code != 0 {
		s += ", close " + strconv.Itoa(int(e.Code))
	}
	s += ")"
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is this error's kind, so errors.Is(err,
// ErrProtocol) and the like work.
func (e *Error) Is(target error) bool { return target == e.kind }

// Unwrap returns the underlying cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

func peerError(kind error, code CloseCode, reason string) *Error {
	if len(reason) > MaxCloseReasonLen {
		reason = reason[:MaxCloseReasonLen]
	}
	return &Error{Code: code, Reason: reason, Fault: PeerFault, kind: kind}
}

func protocolError(reason string) *Error {
	return peerError(ErrProtocol, CloseProtocolError, reason)
}

func invalidDataError(reason string) *Error {
	return peerError(ErrInvalidData, CloseInvalidPayload, reason)
}

func tooBigError(reason string) *Error {
	return peerError(ErrTooBig, CloseMessageTooBig, reason)
}

func handshakeError(reason string) *Error {
	return peerError(ErrHandshake, CloseProtocolError, reason)
}

func argumentError(reason string) *Error {
	return &Error{Reason: reason, Fault: LocalFault, kind: ErrInvalidArgument}
}
