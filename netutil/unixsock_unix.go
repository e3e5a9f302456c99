//go:build unix

package netutil

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

func bindUnix(path string, mode os.FileMode, backlog int) (*Listener, error) {
	opErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"}, Err: err}
	}
	abstract := len(path) > 0 && (path[0] == '@' || path[0] == 0)
	if abstract {
		if runtime.GOOS != "linux" && runtime.GOOS != "android" {
			return nil, unsupported("abstract Unix socket name " + fmt.Sprintf("%q", path))
		}
		path = "@" + path[1:] // x/sys/unix writes a leading '@' as the NUL
	} else if err := removeStaleSocket(path); err != nil {
		return nil, opErr(err)
	}
	fd, err := newSocket(unix.AF_UNIX)
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return nil, opErr(os.NewSyscallError("bind", err))
	}
	if !abstract {
		if err := os.Chmod(path, mode); err != nil {
			os.Remove(path)
			return nil, opErr(err)
		}
	}
	if err := unix.Listen(fd, backlog); err != nil {
		if !abstract {
			os.Remove(path)
		}
		return nil, opErr(os.NewSyscallError("listen", err))
	}
	ok = true
	return newListener(fd, &net.UnixAddr{Name: path, Net: "unix"}), nil
}

// removeStaleSocket removes the socket file at path if nothing listens on
// it. A live socket is an EADDRINUSE error; a file that is not a socket is
// an error wrapping fs.ErrExist.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // nothing there (or bind will say what is wrong)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return &fs.PathError{Op: "bind", Path: path, Err: errNotSocket}
	}
	switch err := probeUnix(path); err {
	case unix.ECONNREFUSED:
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	case unix.ENOENT:
		return nil // removed meanwhile
	case nil, unix.EAGAIN, unix.EINPROGRESS:
		return os.NewSyscallError("bind", unix.EADDRINUSE) // a server listens there
	default:
		return os.NewSyscallError("connect", err)
	}
}

// probeUnix tries a non-blocking connect to the socket at path: nil,
// EAGAIN or EINPROGRESS mean something listens there.
func probeUnix(path string) error {
	fd, err := newSocket(unix.AF_UNIX)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Connect(fd, &unix.SockaddrUnix{Name: path})
}
