package stream

import (
	"errors"
	"os"
)

var (
	errNegative   = errors.New("stream: negative byte count")
	errEmptyDelim = errors.New("stream: empty delimiter")
)

// wrapSyscall keeps an OS error's cause (errors.Is works on the errno) and
// names the call.
func wrapSyscall(call string, err error) error { return os.NewSyscallError(call, err) }

// sysRead reads the descriptor: recv on a socket, read on a pipe.
func (s *Stream) sysRead(p []byte) (int, error) {
	if s.flags&fNotSocket != 0 {
		return sysRead(s.fd, p)
	}
	return sysRecv(s.fd, p)
}

// sysWrite writes the descriptor: send on a socket, write on a pipe.
func (s *Stream) sysWrite(p []byte) (int, error) {
	if s.flags&fNotSocket != 0 {
		return sysWrite(s.fd, p)
	}
	return sysSend(s.fd, p)
}
