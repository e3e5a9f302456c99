//go:build unix

package stream_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// CloseWrite while a Connect is in progress, with nothing queued: once
// connected, the peer must read end of file.
func TestCloseWriteDuringConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	res := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- err
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		var b [1]byte
		_, err = c.Read(b[:])
		res <- err
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	var serverErr error
	testloop.Run(t, l, func(done func()) {
		if err := s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		go func() {
			e := <-res
			l.Post(func() { serverErr = e; done() })
		}()
	})
	if serverErr != io.EOF {
		t.Fatalf("peer read after CloseWrite during connect: %v, want io.EOF", serverErr)
	}
}

// A Write made during a TLS handshake that then fails: its callback must
// be told (a *ClosedError), as for any write pending when the stream closes.
func TestWriteCallbackDuringFailedHandshake(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var hsErr, wErr error
	wCalled := false
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(ss.Server, true, func(error) {})
		// Default verification: the self-signed certificate is rejected.
		if err := cli.StartTLS(&tls.Config{ServerName: "localhost"}, false, func(err error) {
			hsErr = err
			l.CallLater(200*time.Millisecond, done)
		}); err != nil {
			t.Fatal(err)
		}
		if err := cli.Write([]byte("hello"), func(err error) { wCalled, wErr = true, err }); err != nil {
			t.Fatal(err)
		}
	})
	if hsErr == nil {
		t.Fatal("handshake succeeded")
	}
	if !wCalled || !errors.Is(wErr, stream.ErrClosed) {
		t.Fatalf("write callback called %v with %v; want a *ClosedError after the failed handshake", wCalled, wErr)
	}
}

// Close during a TLS handshake: the pending Write's callback must be told.
func TestWriteCallbackCloseDuringHandshake(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, _ := pair(t, l, nil)
	var wErr error
	wCalled := false
	closed := false
	testloop.Run(t, l, func(done func()) {
		cli.SetCloseCallback(func(error) { closed = true; l.CallLater(200*time.Millisecond, done) })
		if err := cli.StartTLS(ss.Client("localhost"), false, func(err error) {}); err != nil {
			t.Fatal(err)
		}
		cli.Write([]byte("hello"), func(err error) { wCalled, wErr = true, err })
		l.CallLater(20*time.Millisecond, cli.Close)
	})
	if !closed {
		t.Fatal("no close callback")
	}
	if !wCalled || !errors.Is(wErr, stream.ErrClosed) {
		t.Fatalf("write callback called %v with %v; want a *ClosedError after Close", wCalled, wErr)
	}
}

// AllowHalfOpen: after the peer's EOF, a read that cannot be satisfied
// fails wrapping io.EOF whether it was pending or started afterwards.
func TestHalfOpenReadAfterEOFCause(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, &stream.Options{AllowHalfOpen: true})
	var pendingErr, laterErr error
	testloop.Run(t, l, func(done func()) {
		r.ReadBytes(10, false, func(_ []byte, err error) {
			pendingErr = err
			laterErr = r.ReadBytes(10, false, func([]byte, error) {})
			done()
		})
		w.CloseWrite()
	})
	if !errors.Is(pendingErr, io.EOF) {
		t.Fatalf("pending read: %v, want io.EOF cause", pendingErr)
	}
	if !errors.Is(laterErr, stream.ErrClosed) || !errors.Is(laterErr, io.EOF) {
		t.Fatalf("read started after EOF: %v, want *ClosedError wrapping io.EOF (pending read got %v)", laterErr, pendingErr)
	}
}
