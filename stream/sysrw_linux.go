//go:build linux

package stream

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the stream's reads and writes are raw system calls. The
// descriptors are non-blocking, so the calls never wait, and skipping the
// runtime's entersyscall/exitsyscall bookkeeping (which a blocking call
// needs so the scheduler can run other goroutines meanwhile) saves a
// measurable share of the CPU per message. This is what the Go runtime's
// own netpoller does for its non-blocking calls.

var zero byte

func sysRead(fd int, p []byte) (int, error) { return rawIO(unix.SYS_READ, fd, p, 0) }

func sysWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p, 0) }

// sysRecv and sysSend are sysRead and sysWrite for sockets: recvfrom and
// sendto reach the socket layer directly, skipping the file layer's work
// that read and write do first (the position lock, the permission and
// notification hooks), a few percent of a small message's CPU.
// MSG_NOSIGNAL makes a write to a reset connection fail with EPIPE without
// raising SIGPIPE, which the runtime would otherwise field and ignore.
func sysRecv(fd int, p []byte) (int, error) { return rawIO(unix.SYS_RECVFROM, fd, p, 0) }

func sysSend(fd int, p []byte) (int, error) {
	return rawIO(unix.SYS_SENDTO, fd, p, unix.MSG_NOSIGNAL)
}

// rawIO makes a read, write, recvfrom or sendto system call (the last two
// with flags and no address; read and write ignore the extra arguments),
// retrying on EINTR.
func rawIO(trap uintptr, fd int, p []byte, flags uintptr) (int, error) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.RawSyscall6(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)), flags, 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}

const maxIovecs = 8

func sysWritev(fd int, bufs [][]byte) (int, error) {
	if len(bufs) == 1 {
		return sysWrite(fd, bufs[0])
	}
	var iov [maxIovecs]unix.Iovec
	k := 0
	for _, b := range bufs {
		if k == maxIovecs {
			break
		}
		if len(b) == 0 {
			continue
		}
		iov[k].Base = &b[0]
		iov[k].SetLen(len(b))
		k++
	}
	if k == 0 {
		return 0, nil
	}
	for {
		n, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}

// sysRemoteAddrPort asks the kernel for an IP peer's address without
// allocating: x/sys's Getpeername lets its sockaddr buffer escape and boxes
// the result, three allocations per call.
func sysRemoteAddrPort(fd int) netip.AddrPort {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	_, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd),
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return netip.AddrPort{}
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), sa.Port>>8|sa.Port<<8)
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		if sa.Scope_id != 0 {
			break // a zone needs its interface's name: the slow path
		}
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), sa.Port>>8|sa.Port<<8)
	}
	return addrPortOf(sysRemoteAddr(fd))
}
