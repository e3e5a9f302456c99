package wsproto_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

func TestValidWireCloseCode(t *testing.T) {
	for c := 0; c <= 0xFFFF; c++ {
		want := (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
		if got := wsproto.ValidWireCloseCode(wsproto.CloseCode(c)); got != want {
			t.Errorf("ValidWireCloseCode(%d) = %v", c, got)
		}
	}
}

func TestCloseCodeString(t *testing.T) {
	want := map[wsproto.CloseCode]string{
		1000: "Normal", 1001: "GoingAway", 1002: "ProtocolError", 1003: "UnsupportedData",
		1004: "CloseCode(1004)", 1005: "NoStatusReceived", 1006: "Abnormal", 1007: "InvalidPayload",
		1008: "PolicyViolation", 1009: "MessageTooBig", 1010: "MandatoryExtension", 1011: "InternalError",
		1012: "ServiceRestart", 1013: "TryAgainLater", 1014: "BadGateway", 1015: "TLSHandshake",
		1016: "CloseCode(1016)", 999: "CloseCode(999)", 4000: "CloseCode(4000)",
	}
	for c, s := range want {
		if got := c.String(); got != s {
			t.Errorf("CloseCode(%d).String() = %q, want %q", c, got, s)
		}
	}
	if wsproto.CloseTLSHandshake != 1015 || wsproto.CloseNormal != 1000 || wsproto.CloseMessageTooBig != 1009 {
		t.Error("close code constants")
	}
}

// closeCases are shared by ParseClosePayload and AppendClosePayload.
var closeCases = []struct {
	name    string
	payload string
	code    wsproto.CloseCode
	reason  string
	err     error // for parsing
}{
	{"empty", "", wsproto.CloseNoStatusReceived, "", nil},
	{"code", "\x03\xe8", 1000, "", nil},
	{"reason", "\x03\xe9bye", 1001, "bye", nil},
	{"utf8 reason", "\x0f\xa0κόσμε", 4000, "κόσμε", nil},
	{"123 bytes", "\x03\xe8" + pattern(123), 1000, pattern(123), nil},
	{"one byte", "\x03", 0, "", wsproto.ErrProtocol},
	{"1005", "\x03\xed", 0, "", wsproto.ErrProtocol},
	{"999", "\x03\xe7", 0, "", wsproto.ErrProtocol},
	{"5000", "\x13\x88", 0, "", wsproto.ErrProtocol},
	{"bad utf8", "\x03\xe8\xc0\xaf", 0, "", wsproto.ErrInvalidData},
	{"124 bytes", "\x03\xe8" + pattern(124), 0, "", wsproto.ErrProtocol},
}

func TestClosePayload(t *testing.T) {
	for _, c := range closeCases {
		code, reason, err := wsproto.ParseClosePayload([]byte(c.payload))
		if c.err != nil {
			var e *wsproto.Error
			if !errors.Is(err, c.err) || !errors.As(err, &e) || e.Fault != wsproto.PeerFault {
				t.Errorf("%s: Parse error %v, want %v", c.name, err, c.err)
			}
			continue
		}
		if err != nil || code != c.code || string(reason) != c.reason {
			t.Errorf("%s: Parse = %d %q %v, want %d %q", c.name, code, reason, err, c.code, c.reason)
		}
		enc := c.code
		if c.payload == "" {
			enc = 0
		}
		got, err := wsproto.AppendClosePayload([]byte("x"), enc, c.reason)
		if err != nil || string(got) != "x"+c.payload {
			t.Errorf("%s: Append = %q %v, want %q", c.name, got, err, "x"+c.payload)
		}
	}
	// No status is also spelled CloseNoStatusReceived.
	if got, err := wsproto.AppendClosePayload(nil, wsproto.CloseNoStatusReceived, ""); err != nil || len(got) != 0 {
		t.Errorf("AppendClosePayload(1005) = %q, %v", got, err)
	}
}

func TestAppendClosePayloadErrors(t *testing.T) {
	for _, c := range []struct {
		code   wsproto.CloseCode
		reason string
	}{
		{0, "reason without code"}, {1005, "x"}, {1006, ""}, {1015, ""}, {999, ""}, {2000, ""}, {5000, ""},
		{1000, pattern(124)}, {1000, "\xff"},
	} {
		dst := []byte("keep")
		got, err := wsproto.AppendClosePayload(dst, c.code, c.reason)
		var e *wsproto.Error
		if !errors.Is(err, wsproto.ErrInvalidArgument) || !errors.As(err, &e) || e.Fault != wsproto.LocalFault || e.Code != 0 {
			t.Errorf("AppendClosePayload(%d, %q): error %v, want a local ErrInvalidArgument", c.code, c.reason, err)
		}
		if string(got) != "keep" {
			t.Errorf("AppendClosePayload(%d, %q) changed dst to %q", c.code, c.reason, got)
		}
	}
}

func TestControlFrames(t *testing.T) {
	payload := []byte(pattern(125))
	orig := bytes.Clone(payload)
	for _, op := range []wsproto.Opcode{wsproto.OpPing, wsproto.OpPong, wsproto.OpClose} {
		got, err := wsproto.AppendControl(nil, op, true, testKey, payload)
		if err != nil || !bytes.Equal(got, rawFrame(0x80|byte(op), true, payload, 0)) {
			t.Errorf("AppendControl(%v): % x, %v", op, head(got), err)
		}
	}
	if !bytes.Equal(payload, orig) {
		t.Error("AppendControl masked the caller's payload")
	}
	for _, c := range []struct {
		op wsproto.Opcode
		n  int
	}{{wsproto.OpPing, 126}, {wsproto.OpText, 1}, {wsproto.OpContinuation, 0}, {0xB, 0}} {
		got, err := wsproto.AppendControl([]byte("x"), c.op, false, testKey, make([]byte, c.n))
		if !errors.Is(err, wsproto.ErrInvalidArgument) || string(got) != "x" {
			t.Errorf("AppendControl(%v, %d bytes) = %q, %v; want ErrInvalidArgument", c.op, c.n, got, err)
		}
	}
	got, err := wsproto.AppendClose([]byte("x"), false, testKey, 1000, strings.Repeat("é", 62))
	if !errors.Is(err, wsproto.ErrInvalidArgument) || string(got) != "x" {
		t.Errorf("AppendClose(124-byte reason) = %q, %v", got, err)
	}
}

func TestErrorFormat(t *testing.T) {
	_, _, err := wsproto.ParseClosePayload([]byte{3})
	if got, want := err.Error(), "wsproto: close payload of 1 byte (peer fault, close 1002)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = wsproto.AppendClosePayload(nil, 1005, "x")
	if got, want := err.Error(), "wsproto: close reason without a close code (local fault)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Is(err, wsproto.ErrProtocol) || errors.Unwrap(err) != nil {
		t.Error("local error matches ErrProtocol or has a cause")
	}
	if wsproto.PeerFault.String() != "peer" || wsproto.LocalFault.String() != "local" || wsproto.Fault(0).String() != "Fault(0)" {
		t.Error("Fault.String")
	}
}
