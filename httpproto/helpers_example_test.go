package httpproto_test

import (
	"errors"
	"fmt"

	"github.com/gale-io/gale/httpproto"
)

func ExampleParseQuery() {
	path, query := httpproto.SplitTarget([]byte("/search?q=gale+loop&tag=go&tag=net&page=2"))
	var args httpproto.Args
	if err := httpproto.ParseQuery(&args, query, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s q=%q tags=%q page=%s\n", path, args.Get("q"), args.GetAll("tag"), args.Get("page"))

	err := httpproto.ParseQuery(&args, []byte("x=100%"), nil)
	var fe *httpproto.FormError
	if errors.As(err, &fe) {
		fmt.Println(fe.Status(), err)
	}
	// Output:
	// /search q="gale loop" tags=["go" "net"] page=2
	// 400 httpproto: invalid percent-encoding: invalid escape "%"
}

func ExampleURLConcat() {
	var args httpproto.Args
	args.Add("page", "2")
	args.Add("q", "a&b")
	fmt.Println(httpproto.URLConcat("https://example.com/list?sort=asc#top", &args))
	// Output:
	// https://example.com/list?sort=asc&page=2&q=a%26b#top
}

func ExampleParseBodyArguments() {
	body := []byte("--XyZ\r\n" +
		"Content-Disposition: form-data; name=\"title\"\r\n\r\n" +
		"Holiday\r\n" +
		"--XyZ\r\n" +
		"Content-Disposition: form-data; name=\"photo\"; filename=\"beach.jpg\"\r\n" +
		"Content-Type: image/jpeg\r\n\r\n" +
		"JPEG...\r\n" +
		"--XyZ--\r\n")
	var args httpproto.Args
	var files httpproto.Files
	err := httpproto.ParseBodyArguments([]byte(`multipart/form-data; boundary="XyZ"`), body, &args, &files, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("title:", args.Get("title"))
	f, _ := files.Get("photo")
	fmt.Printf("photo: %s (%s) %q\n", f.Filename, f.ContentType, f.Body)
	// Output:
	// title: Holiday
	// photo: beach.jpg (image/jpeg) "JPEG..."
}

// A server streams an upload through a MultipartReader: the body arrives
// in pieces, and content is handed on as it comes, never buffered.
func ExampleMultipartReader() {
	body := "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello, world\r\n--b--\r\n"
	reads := []string{body[:20], body[20:60], body[60:70], body[70:]} // as a socket delivers it

	r, err := httpproto.NewMultipartReader([]byte("b"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf []byte // the stream's unconsumed bytes
	for len(reads) > 0 || len(buf) > 0 {
		ev, n, err := r.Next(buf)
		if err != nil {
			fmt.Println(err)
			return
		}
		buf = buf[n:]
		switch ev.Kind {
		case httpproto.MultipartPartBegin:
			fmt.Printf("begin %s %s\n", ev.Part.Name, ev.Part.Filename)
		case httpproto.MultipartPartData:
			fmt.Printf("data %q\n", ev.Data)
		case httpproto.MultipartPartEnd:
			fmt.Println("end")
		case httpproto.MultipartDone:
			fmt.Println("done")
		case httpproto.MultipartNeedData:
			if len(reads) == 0 {
				buf = nil
				break
			}
			buf = append(buf, reads[0]...)
			reads = reads[1:]
		}
	}
	fmt.Println("complete:", r.End() == nil)
	// Output:
	// begin f a.txt
	// data "hel"
	// data "lo, world"
	// end
	// done
	// complete: true
}

func ExampleParseCookies() {
	cookies := httpproto.ParseCookies(nil, []byte(`session=abc123; theme="dark"; lang=en`))
	for _, c := range cookies {
		fmt.Printf("%s=%s\n", c.Name, c.Value)
	}
	v, _ := httpproto.FindCookie(cookies, "theme")
	fmt.Println("theme:", string(v))
	// Output:
	// session=abc123
	// theme=dark
	// lang=en
	// theme: dark
}

func ExampleAppendSetCookie() {
	c := httpproto.SetCookie{
		Name: "session", Value: "abc123", Path: "/",
		Expires:  1767225600, // 2026-01-01T00:00:00Z
		HttpOnly: true, Secure: true, SameSite: httpproto.SameSiteLax,
	}
	h, err := httpproto.AppendSetCookie([]byte("Set-Cookie: "), &c)
	fmt.Println(string(h), err)

	c.Value = "has space"
	_, err = httpproto.AppendSetCookie(nil, &c)
	fmt.Println(err)
	// Output:
	// Set-Cookie: session=abc123; Path=/; Expires=Thu, 01 Jan 2026 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax <nil>
	// httpproto: invalid output: cookie "session": value is not cookie-octets (encode it first)
}

func ExampleParseSetCookie() {
	c, err := httpproto.ParseSetCookie([]byte("id=a3fWa; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Secure; HttpOnly; SameSite=strict"))
	fmt.Printf("%s=%s expires=%d secure=%v samesite=%v %v\n", c.Name, c.Value, c.Expires, c.Secure, c.SameSite, err)
	// Output:
	// id=a3fWa expires=1445412480 secure=true samesite=Strict <nil>
}

func ExampleParseURL() {
	u, err := httpproto.ParseURL("HTTPS://alice:s%40cret@Example.com/a/b?x=1#top")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Scheme, u.Username, u.Password, u.Host, u.Port)
	fmt.Println(u.Authority(), u.HostPort(), u.RequestURI())
	fmt.Println(u)

	u, _ = httpproto.ParseURL("http://[::1]:8080")
	fmt.Println(u.Host, u.HostPort(), u.RequestURI())
	// Output:
	// https alice s@cret example.com 443
	// example.com example.com:443 /a/b?x=1
	// https://alice:s%40cret@example.com/a/b?x=1#top
	// ::1 [::1]:8080 /
}

// A client following a redirect resolves Location against the request
// URL and drops credentials when the origin changes.
func ExampleResolveReference() {
	req, _ := httpproto.ParseURL("https://alice:pw@example.com/a/b/c")
	for _, loc := range []string{"../d?x=1", "//cdn.example.com/img", "http://example.com/c"} {
		next, err := httpproto.ResolveReference(req, loc)
		if err != nil {
			fmt.Println(err)
			continue
		}
		if !httpproto.SameOrigin(req, next) {
			next.Username, next.Password = "", ""
		}
		fmt.Println(next, httpproto.SameOrigin(req, next))
	}
	// Output:
	// https://alice:pw@example.com/a/d?x=1 true
	// https://cdn.example.com/img false
	// http://example.com/c false
}

func ExampleParseMediaType() {
	m, err := httpproto.ParseMediaType([]byte(`Multipart/Form-Data; boundary="----x y"; charset=utf-8`))
	b, _ := m.Param("boundary")
	fmt.Printf("%s %q %v\n", m.Type, b, err)
	// Output:
	// multipart/form-data "----x y" <nil>
}
