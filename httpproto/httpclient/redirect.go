package httpclient

import (
	"fmt"

	"github.com/gale-io/gale/httpproto"
)

// shouldFollow decides, at the head of a response, whether the client
// follows it (then its body is read and dropped, and the callbacks do not
// see it). Tornado follows 301, 302, 303, 307 and 308 with a Location,
// while max_redirects lasts.
func (f *fetch) shouldFollow(resp *Response) bool {
	switch resp.Status {
	case 301, 302, 303, 307, 308:
	default:
		return false
	}
	if !f.follow || !resp.Header.Has("Location") {
		return false
	}
	if f.redirLeft <= 0 {
		resp.RedirectLimit = true
		return false
	}
	if f.producer != nil && f.bodyStart && !becomesGet(resp.Status, f.method) {
		// A produced body cannot be sent again; one not started yet (held
		// for 100 Continue) is produced on the next hop instead (produce
		// does not start it on this one).
		return false
	}
	return true
}

// becomesGet reports whether a redirect turns the request into a GET
// without a body: any 303 but for HEAD, and 301/302 for POST (RFC 9110
// section 15.4 allows it; browsers and Tornado do it).
func becomesGet(status int, method string) bool {
	return status == 303 && method != "HEAD" || (status == 301 || status == 302) && method == "POST"
}

// redirect points the request at the response's Location and queues it
// again, releasing its slot first (as Tornado does).
func (f *fetch) redirect(resp *Response) error {
	loc := resp.Header.GetString("Location")
	nu, err := httpproto.ResolveReference(f.url, loc)
	if err == nil && nu.Scheme != "http" && nu.Scheme != "https" {
		err = fmt.Errorf("%w: redirect to scheme %q", ErrUnsupported, nu.Scheme)
	}
	if err != nil {
		return &Error{Op: "redirect", URL: f.urlString(), Err: err}
	}
	if nu.Fragment == "" {
		nu.Fragment = f.url.Fragment // RFC 9110 section 10.2.2
	}
	if becomesGet(resp.Status, f.method) {
		f.method = "GET"
		f.body, f.producer = nil, nil
		for _, name := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Expect"} {
			f.header.Del(name)
		}
	}
	f.header.Del("Host")
	if !httpproto.SameOrigin(f.url, nu) {
		// Credentials and cookies are for the origin they were given to
		// (Tornado 6.5.6, CVE-2026-49853). The request's Proxy-Authorization
		// is the proxy's, kept for it (userProxyAuth), unless its first hop
		// went to the origin directly.
		for _, name := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
			f.header.Del(name)
		}
		f.user, f.pass, f.hasAuth = "", "", false
		if f.proxyAuthFor == "" {
			f.proxyAuth = ""
		}
		nu.Username, nu.Password = "", ""
	}
	f.url, f.rawURL = nu, loc
	f.redirects++
	f.redirLeft--
	f.retried = false // the next hop is a request of its own, with its own retry
	f.endHop()
	f.state = stQueued
	f.c.release(f)
	if f.c.closed {
		return &Error{Op: "queue", URL: f.urlString(), Err: ErrClosed}
	}
	f.c.enqueue(f)
	return nil
}
