package httpserver

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func adapterMux(t *testing.T, flushed chan struct{}, canceled chan error) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Name", r.PathValue("name"))
		fmt.Fprintf(w, "hello %s %s %s", r.PathValue("name"), r.URL.Query().Get("q"), r.Header.Get("X-Test"))
	})
	mux.HandleFunc("POST /sum", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		fmt.Fprintf(w, "%x", sha256.Sum256(b))
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		<-flushed // the client has read "first;" before the handler goes on
		io.WriteString(w, "second")
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for range 160 { // 10 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		canceled <- r.Context().Err()
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("handler panic")
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString(strings.ToUpper(line))
			brw.Flush()
		}
	})
	return mux
}

func TestNetHTTPAdapter(t *testing.T) {
	flushed := make(chan struct{})
	canceled := make(chan error, 1)
	_, addr := start(t, NetHTTP(adapterMux(t, flushed, canceled)), &Options{Logger: slog.New(slog.DiscardHandler)})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	base := "http://" + addr

	req, _ := http.NewRequest("GET", base+"/hello/gale?q=1", nil)
	req.Header.Set("X-Test", "t")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello gale 1 t" || resp.Header.Get("X-Name") != "gale" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("hello: %q %v", body, resp.Header)
	}

	payload := bytes.Repeat([]byte("payload "), 100000)
	resp, err = client.Post(base+"/sum", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("%x", sha256.Sum256(payload)); string(body) != want {
		t.Fatalf("sum %s, want %s", body, want)
	}

	resp, err = client.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len("first;"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
		t.Fatalf("streamed first part %q %v", first, err)
	}
	close(flushed)
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != "second" {
		t.Fatalf("streamed rest %q", rest)
	}

	resp, err = client.Get(base + "/big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 10<<20 {
		t.Fatalf("big: %d bytes, %v", n, err)
	}

	resp, err = client.Get(base + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("panic: %v", resp.Status)
	}

	resp, err = client.Get(base + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("404: %v", resp.Status)
	}
}

func TestNetHTTPContextCanceledWhenClientLeaves(t *testing.T) {
	canceled := make(chan error, 1)
	_, addr := start(t, NetHTTP(adapterMux(t, nil, canceled)), nil)
	c := dial(t, addr)
	c.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	// Whether the close arrives with the request or after the handler
	// started, the context must end.
	c.c.Close()
	select {
	case err := <-canceled:
		if err == nil {
			t.Fatal("context done without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request context not canceled after the client left")
	}
}

func TestNetHTTPHijack(t *testing.T) {
	_, addr := start(t, NetHTTP(adapterMux(t, nil, nil)), nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\nearly line\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("hijack response: %v %v", resp, err)
	}
	for _, want := range []string{"EARLY LINE\n", "LATE LINE\n"} {
		if want == "LATE LINE\n" {
			io.WriteString(c, "late line\n")
		}
		line, err := br.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("got %q %v, want %q", line, err, want)
		}
	}
}

func TestNetHTTPChunkedRequestLooksLikeNetHTTP(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %v %q %s", r.ContentLength, r.TransferEncoding, r.Header.Get("Transfer-Encoding"), b)
	})), nil)
	c := dial(t, addr)
	c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	if _, body := c.response("POST"); body != `-1 [chunked] "" abc` {
		t.Fatalf("handler saw %q", body)
	}
}
