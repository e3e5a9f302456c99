package stream

import (
	"net"
	"net/netip"
	"time"
)

// Connect starts a non-blocking connect of the stream's socket (created
// unconnected, e.g. by tcpclient) to addr and calls cb when it completes:
// nil once connected, or a *ClosedError whose cause is the connect error
// (ECONNREFUSED, a timeout the caller imposed with Close, ...), after
// which the stream is closed (closing the stream while it connects also
// ends it that way). Writes made before the connect completes
// are queued and sent after it, and cb runs before their callbacks. cb
// may be nil (writes and reads learn of a failure).
func (s *Stream) Connect(addr netip.AddrPort, cb func(err error)) error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if cb == nil {
		cb = func(error) {}
	}
	err := sysConnect(s.fd, addr)
	switch {
	case err == nil:
		// Connected at once (common on loopback for Unix sockets): report
		// it on the loop, never inline.
		s.l.Post(func() { cb(nil) })
	case isInProgress(err):
		s.flags |= fConnecting
		s.ext().connect = cb
	default:
		err = wrapSyscall("connect", err)
		s.closeWith(err)
		cerr := s.closedErr()
		s.l.Post(func() { cb(cerr) })
		return nil
	}
	s.settle()
	return nil
}

// finishConnect runs when a connecting socket becomes writable (or
// reports an error): SO_ERROR tells which.
func (s *Stream) finishConnect() {
	s.flags &^= fConnecting
	cb := s.x.connect
	s.x.connect = nil
	if err := sysSocketError(s.fd); err != nil {
		// Not logged: the callback gets it.
		s.wq.failAll()
		s.closeWith(wrapSyscall("connect", err))
		cb(s.closedErr())
		return
	}
	cb(nil)
	// Send what was written while connecting, then a CloseWrite made
	// meanwhile (flush shuts the write side once the queue is empty).
	if s.flags&fClosed == 0 && (s.wq.pending() > 0 || s.flags&(fShutWrite|fShutDone) == fShutWrite) {
		s.flush()
	}
}

// SetNoDelay sets TCP_NODELAY: on, small writes go out at once instead of
// waiting to be coalesced (Nagle's algorithm). Errors from sockets that
// are not TCP are ignored, as in Tornado.
func (s *Stream) SetNoDelay(on bool) error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if s.flags&fNotSocket != 0 {
		return nil
	}
	if err := sysSetNoDelay(s.fd, on); err != nil && !isNotTCP(err) {
		return err
	}
	return nil
}

// SetKeepAlive turns TCP keepalive probes on or off; with idle > 0, probes
// start after that much silence and repeat at that interval where the
// platform allows (rounded up to whole seconds).
func (s *Stream) SetKeepAlive(on bool, idle time.Duration) error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if s.flags&fNotSocket != 0 {
		return nil // NewPipe: socket options do nothing
	}
	return sysSetKeepAlive(s.fd, on, idle)
}

// LocalAddr returns the socket's own address, or nil (on a closed stream:
// its descriptor number may belong to another socket by now).
func (s *Stream) LocalAddr() net.Addr {
	if s.flags&fClosed != 0 {
		return nil
	}
	return sysLocalAddr(s.fd)
}

// RemoteAddr returns the peer's address (asked of the kernel each time), or
// the one SetRemoteAddr gave, or nil.
func (s *Stream) RemoteAddr() net.Addr {
	if s.x != nil && s.x.remote != nil {
		return s.x.remote
	}
	if s.flags&fClosed != 0 {
		return nil
	}
	return sysRemoteAddr(s.fd)
}

// RemoteAddrPort returns an IP peer's address and port, as RemoteAddr
// does, or the zero AddrPort (not valid) for a peer that is not IP (a Unix
// socket, a pipe), a closed stream, or an error. Unlike RemoteAddr it does
// not allocate (on Linux), which matters to a server that wants the
// address of every connection.
func (s *Stream) RemoteAddrPort() netip.AddrPort {
	if s.x != nil && s.x.remote != nil {
		return addrPortOf(s.x.remote)
	}
	if s.flags&fClosed != 0 {
		return netip.AddrPort{}
	}
	return sysRemoteAddrPort(s.fd)
}

// addrPortOf returns a's address and port if it is an IP address.
func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	case interface{ AddrPort() netip.AddrPort }:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// SetRemoteAddr overrides what RemoteAddr reports: the client's address
// when a proxy relays the connection (tcpserver sets it from a PROXY
// protocol header).
func (s *Stream) SetRemoteAddr(addr net.Addr) { s.ext().remote = addr }
