package tcpclient

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
)

// Error is the error of every failed Connect, like net.OpError for
// net.Dial. Err is the cause and stays reachable through errors.Is and
// errors.As:
//
//   - The resolver's error (Op "resolve"), such as a *net.DNSError.
//   - When every attempt failed, the last attempt's error (Op "connect",
//     Addr its address), kept as the *os.SyscallError of the failing call,
//     so errors.Is(err, syscall.ECONNREFUSED) works on Unix (on Windows
//     the errno is windows.WSAECONNREFUSED).
//   - At the deadline, Options.Timeout or ctx's, context.DeadlineExceeded
//     (Timeout reports true); when ctx is cancelled, context.Canceled. Op
//     names the step it interrupted: "resolve", "connect", or "tls" (with
//     Addr, the address the handshake ran on).
//   - When the TLS handshake fails (Op "tls"), its error, such as a
//     *tls.CertificateVerificationError.
//   - For bad arguments, a net.UnknownNetworkError or *net.AddrError.
//
// For ConnectUnix, Host is the socket's path and Port 0; the message names
// the target "unix PATH" ("tcpclient: connect unix /run/app.sock: ...").
type Error struct {
	Op   string         // "resolve", "connect" or "tls"
	Host string         // the host asked for (ConnectUnix: the socket's path)
	Port int            // the port asked for (ConnectUnix: 0)
	Addr netip.AddrPort // the address of the attempt that failed last; zero if none
	Err  error          // the cause
}

func (e *Error) Error() string {
	if e.unix() {
		s := "tcpclient: " + e.Op + " unix " + e.Host
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s
	}
	hp := net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
	s := "tcpclient: " + e.Op + " " + hp
	if e.Addr.IsValid() && e.Addr.String() != hp {
		s += " (" + e.Addr.String() + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// unix reports whether e is ConnectUnix's: Host is a socket path and
// Port 0, which Connect only reports for the bad port itself.
func (e *Error) unix() bool {
	if e.Port != 0 || e.Host == "" || e.Addr.IsValid() {
		return false
	}
	var ae *net.AddrError
	return !errors.As(e.Err, &ae) || ae.Err != "invalid port"
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the connect ran out of time, as net.Error's
// Timeout does.
func (e *Error) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &t) && t.Timeout())
}
