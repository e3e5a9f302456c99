//go:build unix

package netutil_test

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// bindUnix calls BindUnixSocket and closes the listener at the end.
func bindUnix(t testing.TB, path string, mode os.FileMode) *netutil.Listener {
	t.Helper()
	ln, err := netutil.BindUnixSocket(path, mode, 0)
	if err != nil {
		t.Fatalf("BindUnixSocket(%q): %v", path, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func dialUnix(t testing.TB, path string) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c.Close()
}

func TestBindUnixSocketMode(t *testing.T) {
	for _, c := range []struct {
		mode, want os.FileMode
	}{{0, 0o600}, {0o660, 0o660}, {0o777, 0o777}} {
		path := filepath.Join(t.TempDir(), "s")
		ln := bindUnix(t, path, c.mode)
		checkFlags(t, ln.FD())
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != c.want {
			t.Errorf("mode %v: file is %v, want a socket with %v", c.mode, fi.Mode(), c.want)
		}
		if a, ok := ln.Addr().(*net.UnixAddr); !ok || a.Name != path || a.Net != "unix" {
			t.Errorf("Addr() = %#v", ln.Addr())
		}
		dialUnix(t, path)
	}
}

// A socket file nobody listens on is replaced; the file stays after Close.
func TestBindUnixSocketStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	ln, err := netutil.BindUnixSocket(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("Close removed the socket file: %v", err)
	}
	bindUnix(t, path, 0)
	dialUnix(t, path)
}

// A socket somebody still listens on is not stolen.
func TestBindUnixSocketLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	bindUnix(t, path, 0)
	_, err := netutil.BindUnixSocket(path, 0, 0)
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("second bind: %v, want EADDRINUSE", err)
	}
	dialUnix(t, path) // the first one still works
}

// Any other file is left alone.
func TestBindUnixSocketNotASocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := netutil.BindUnixSocket(path, 0, 0)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("bind over a file: %v, want fs.ErrExist", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
		t.Fatalf("file changed: %q, %v", b, err)
	}
}

func TestBindUnixSocketAbstract(t *testing.T) {
	name := "@gale-netutil-test-" + itoa(os.Getpid())
	if runtime.GOOS != "linux" {
		if _, err := netutil.BindUnixSocket(name, 0, 0); !errors.Is(err, netutil.ErrUnsupported) {
			t.Fatalf("abstract name on %s: %v, want ErrUnsupported", runtime.GOOS, err)
		}
		return
	}
	ln := bindUnix(t, name, 0)
	if a := ln.Addr().(*net.UnixAddr); a.Name != name {
		t.Fatalf("Addr() = %v", a)
	}
	dialUnix(t, name)
	// Tornado's spelling, a leading NUL, names the same socket.
	if _, err := netutil.BindUnixSocket("\x00"+name[1:], 0, 0); !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("second bind: %v, want EADDRINUSE", err)
	}
}

func TestAcceptUnixListener(t *testing.T) {
	l := newLoop(t)
	path := filepath.Join(t.TempDir(), "s")
	ln := bindUnix(t, path, 0)
	got := make(chan net.Addr, 1)
	var a *netutil.Acceptor
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, peer net.Addr) {
		checkFlags(t, fd)
		closeFD(fd)
		got <- peer
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	dialMany(t, "unix", path, 1)
	peer := await(t, got, "the accepted connection")
	if u, ok := peer.(*net.UnixAddr); !ok || u.Net != "unix" {
		t.Fatalf("peer %#v, want a *net.UnixAddr", peer)
	}
	onLoop(t, l, func() error { a.Stop(); return nil })
}

// A Unix-domain peer is named as Go's net package names it (and as
// BindUnixSocket and the PROXY parser write abstract names): a path as it
// is, an abstract name with a leading '@', an unnamed peer "".
func TestAcceptUnixPeerNames(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract names are Linux's")
	}
	l := newLoop(t)
	path := filepath.Join(t.TempDir(), "s")
	ln := bindUnix(t, path, 0)
	peers := make(chan string, 1)
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, peer net.Addr) {
		closeFD(fd)
		name := "not a *net.UnixAddr"
		if u, ok := peer.(*net.UnixAddr); ok {
			name = u.Name
		}
		peers <- name
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	abstract := "@gale-netutil-peer-" + itoa(os.Getpid())
	named := filepath.Join(t.TempDir(), "client")
	for _, local := range []string{abstract, named, ""} {
		var laddr *net.UnixAddr
		if local != "" {
			laddr = &net.UnixAddr{Name: local, Net: "unix"}
		}
		c, err := net.DialUnix("unix", laddr, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatalf("dial from %q: %v", local, err)
		}
		if got := await(t, peers, "an accepted connection"); got != local {
			t.Errorf("peer bound to %q reported as %q", local, got)
		}
		c.Close()
	}
	onLoop(t, l, func() error { a.Stop(); return nil })
}
