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

// sysRead reads the descriptor: recv on a socket, read on a pipe. A
// descriptor given to New that is not a socket after all (New asks for
// one; NewPipe is for the rest) is found out on its first read or write
// and handled as NewPipe's from then on.
func (s *Stream) sysRead(p []byte) (int, error) {
	if s.flags&fNotSocket == 0 {
		n, err := sysRecv(s.fd, p)
		if !notSocket(err) {
			return n, err
		}
		s.flags |= fNotSocket
	}
	return sysRead(s.fd, p)
}

// sysWrite writes the descriptor: send on a socket, write on a pipe.
func (s *Stream) sysWrite(p []byte) (int, error) {
	if s.flags&fNotSocket == 0 {
		n, err := sysSend(s.fd, p)
		if !notSocket(err) {
			return n, err
		}
		s.flags |= fNotSocket
	}
	return sysWrite(s.fd, p)
}
