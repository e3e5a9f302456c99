package stream

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed matches (with errors.Is) every error about a closed stream.
	// The concrete error is a *ClosedError carrying the cause.
	ErrClosed = errors.New("stream: closed")
	// ErrAlreadyReading is returned by a read started while another read is
	// pending: a stream has at most one read at a time.
	ErrAlreadyReading = errors.New("stream: already reading")
	// ErrBufferFull is the cause when the read buffer would exceed
	// Options.MaxBufferSize (the stream is closed), and the error of a
	// Write that would exceed Options.MaxWriteBufferSize (the stream stays
	// open).
	ErrBufferFull = errors.New("stream: buffer full")
	// ErrWriteClosed is returned by writes after CloseWrite.
	ErrWriteClosed = errors.New("stream: write side closed")
)

// ClosedError is the error of an operation on a closed stream, or one that
// could not complete because the stream closed. Cause is what closed it:
// nil for a local Close, io.EOF when the peer closed, a syscall error (kept
// as *os.SyscallError) on a failure, under TLS an error of the TLS layer
// itself (a *net.OpError "remote error" for an alert the peer sent,
// io.ErrUnexpectedEOF for a record cut short), an
// *UnsatisfiableReadError, or ErrBufferFull.
type ClosedError struct {
	Cause error
}

func (e *ClosedError) Error() string {
	if e.Cause == nil {
		return "stream: closed"
	}
	return "stream: closed: " + e.Cause.Error()
}

// Unwrap returns the cause.
func (e *ClosedError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrClosed) true.
func (e *ClosedError) Is(target error) bool { return target == ErrClosed }

// UnsatisfiableReadError is the cause of the close when a delimiter or
// pattern read did not find its match within its max-bytes limit; as in
// Tornado, the stream is closed.
type UnsatisfiableReadError struct {
	What     string // what was sought, e.g. the delimiter quoted
	MaxBytes int
}

func (e *UnsatisfiableReadError) Error() string {
	return fmt.Sprintf("stream: unsatisfiable read: %s not found within %d bytes", e.What, e.MaxBytes)
}

// PanicError is the cause of the close when one of the stream's callbacks
// panicked; the panic itself goes on to the loop, which logs it.
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string { return fmt.Sprintf("stream: callback panicked: %v", e.Value) }
