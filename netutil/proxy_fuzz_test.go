package netutil_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/gale-io/gale/netutil"
)

// FuzzParseProxyHeader checks, for any input, that the only outcomes are a
// header, ErrProxyNeedMore or a *ProxyError within the input and the
// limits; that every prefix gives ErrProxyNeedMore or the same outcome
// (the incremental property); that a header is complete at exactly its
// length; and that AppendProxyHeader writes a header that parses back to
// it. The seeds are the golden cases (also in testdata/fuzz).
func FuzzParseProxyHeader(f *testing.F) {
	for _, c := range proxyCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := netutil.ParseProxyHeader(b)
		limit := netutil.ProxyV2MaxLen
		if len(b) > 0 && b[0] == 'P' {
			limit = netutil.ProxyV1MaxLen
		}
		var pe *netutil.ProxyError
		switch {
		case err == nil:
			if n <= 0 || n > len(b) || n > limit {
				t.Fatalf("header of length %d from %d bytes", n, len(b))
			}
			if h.Version != netutil.ProxyV1 && h.Version != netutil.ProxyV2 {
				t.Fatalf("version %v", h.Version)
			}
			if _, _, err := netutil.ParseProxyHeader(b[:n-1]); err != netutil.ErrProxyNeedMore {
				t.Fatalf("header complete before its end: %v", err)
			}
			roundTrip(t, h)
		case err == netutil.ErrProxyNeedMore:
			if n != 0 || len(b) >= limit {
				t.Fatalf("need more after %d bytes (n %d)", len(b), n)
			}
		case errors.As(err, &pe):
			if n != 0 || pe.Offset < 0 || pe.Offset > len(b) || pe.Offset > limit || pe.Reason == "" {
				t.Fatalf("error %#v for %d bytes (n %d)", pe, len(b), n)
			}
		default:
			t.Fatalf("unexpected error %T %v", err, err)
		}
		for i := 0; i < len(b) && i < 300; i++ {
			ph, pn, perr := netutil.ParseProxyHeader(b[:i])
			if perr == netutil.ErrProxyNeedMore {
				continue
			}
			if !reflect.DeepEqual(perr, err) || pn != n || !sameHeader(ph, h) {
				t.Fatalf("prefix of %d bytes: %+v, %d, %v; all %d: %+v, %d, %v", i, ph, pn, perr, len(b), h, n, err)
			}
		}
	})
}

func sameHeader(a, b netutil.ProxyHeader) bool {
	if !bytes.Equal(a.TLVs, b.TLVs) {
		return false
	}
	a.TLVs, b.TLVs = nil, nil
	return reflect.DeepEqual(a, b)
}

func roundTrip(t *testing.T, h netutil.ProxyHeader) {
	t.Helper()
	enc, err := netutil.AppendProxyHeader(nil, &h)
	if err != nil {
		t.Fatalf("AppendProxyHeader(%+v): %v", h, err)
	}
	h2, n, err := netutil.ParseProxyHeader(enc)
	if err != nil || n != len(enc) || !sameHeader(h, h2) {
		t.Fatalf("%+v encoded as %q, parsed back as %+v, %d, %v", h, enc, h2, n, err)
	}
}
