package wsproto_test

import (
	"errors"
	"fmt"

	"github.com/gale-io/gale/wsproto"
)

// A server decodes what a client sent: a masked text message and a ping
// (RFC 6455 section 5.7), arriving in two reads.
func Example() {
	reads := [][]byte{
		{0x81, 0x85, 0x37, 0xfa, 0x21}, // the header, and a read cut short
		{0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0x89, 0x82, 0, 0, 0, 0, 'h', 'i'},
	}
	r := wsproto.NewReader(wsproto.Server, nil)
	var buf []byte // what the stream holds, unconsumed
	for _, read := range reads {
		buf = append(buf, read...)
		for {
			ev, n, err := r.Next(buf)
			if err != nil {
				fmt.Println("fail the connection:", err)
				return
			}
			buf = buf[n:] // the stream drops what was consumed
			if ev.Kind == wsproto.NeedMore {
				break
			}
			switch ev.Kind {
			case wsproto.Data, wsproto.Ping:
				fmt.Printf("%v %q\n", ev, ev.Payload)
			default:
				fmt.Println(ev)
			}
		}
	}
	// Output:
	// MessageStart(Text)
	// Data(5 bytes) "Hello"
	// MessageEnd
	// Ping(2 bytes) "hi"
}

// A protocol violation is an *Error that says whom to blame and which close
// code to answer with.
func ExampleReader_Next_error() {
	r := wsproto.NewReader(wsproto.Server, nil)
	_, _, err := r.Next([]byte{0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}) // not masked
	var e *wsproto.Error
	if errors.As(err, &e) && errors.Is(err, wsproto.ErrProtocol) {
		fmt.Println(e.Code, e.Fault, e.Reason)
	}
	// Output:
	// ProtocolError peer unmasked frame from a client
}

func ExampleAppendFrame() {
	hello := []byte("Hello")
	fmt.Printf("% x\n", wsproto.AppendFrame(nil, true, false, wsproto.OpText, false, [4]byte{}, hello))
	fmt.Printf("% x\n", wsproto.AppendFrame(nil, true, false, wsproto.OpText, true, [4]byte{0x37, 0xfa, 0x21, 0x3d}, hello))
	fmt.Println(string(hello)) // the caller's payload is left alone
	// Output:
	// 81 05 48 65 6c 6c 6f
	// 81 85 37 fa 21 3d 7f 9f 4d 51 58
	// Hello
}

func ExampleAppendClose() {
	frame, err := wsproto.AppendClose(nil, false, [4]byte{}, wsproto.CloseGoingAway, "restart")
	fmt.Printf("% x %v\n", frame, err)
	_, err = wsproto.AppendClose(nil, false, [4]byte{}, wsproto.CloseAbnormal, "")
	fmt.Println(err)
	// Output:
	// 88 09 03 e9 72 65 73 74 61 72 74 <nil>
	// wsproto: close code 1006 may not be sent (local fault)
}

func ExampleAcceptKey() {
	// RFC 6455 section 1.3.
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Println(wsproto.ValidClientKey(key), wsproto.AcceptKey(key))
	// Output: true s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleNegotiateDeflateServer() {
	// A browser's offer: the first element is declined (unknown
	// parameter), the second accepted.
	offers, err := wsproto.ParseExtensions("permessage-deflate; x-unknown, permessage-deflate; client_max_window_bits")
	if err != nil {
		panic(err)
	}
	cfg := &wsproto.DeflateConfig{ServerNoContextTakeover: true}
	params, response, ok := wsproto.NegotiateDeflateServer(offers, cfg)
	fmt.Println(ok, response)
	fmt.Printf("%+v\n", params)
	// Output:
	// true permessage-deflate; server_no_context_takeover
	// {ServerNoContextTakeover:true ClientNoContextTakeover:false ServerMaxWindowBits:15 ClientMaxWindowBits:15}
}

// The client's side of the negotiation.
func ExampleAcceptDeflateResponse() {
	cfg := &wsproto.DeflateConfig{ClientMaxWindowBits: 12}
	fmt.Println(wsproto.OfferValue(cfg))
	params, err := wsproto.AcceptDeflateResponse("permessage-deflate; client_max_window_bits=10", cfg)
	fmt.Printf("%+v %v\n", params, err)
	_, err = wsproto.AcceptDeflateResponse("permessage-deflate; client_max_window_bits=14", cfg)
	fmt.Println(err)
	// Output:
	// permessage-deflate; client_max_window_bits=12
	// {ServerNoContextTakeover:false ClientNoContextTakeover:false ServerMaxWindowBits:15 ClientMaxWindowBits:10} <nil>
	// wsproto: client_max_window_bits=14 exceeds the offered 12 (peer fault, close 1002)
}

// Compressed messages: the sender's Deflater, the receiver's Inflater, and
// a UTF8Validator for text, since the Reader sees only DEFLATE data.
func ExampleDeflater() {
	var params wsproto.DeflateParams // as negotiated
	d := wsproto.NewDeflater(wsproto.Server, params, nil)
	f := wsproto.NewInflater(wsproto.Client, params, nil)
	msg := []byte(`[{"event":"tick","price":101.5},{"event":"tick","price":101.6},` +
		`{"event":"tick","price":101.7},{"event":"tick","price":101.8},{"event":"tick","price":101.9}]`)
	fmt.Println(d.ShouldCompress(len(msg)))
	for range 2 {
		payload := d.Compress(nil, msg) // the payload of a frame with RSV1 set
		out, err := f.Inflate(nil, payload, true)
		var v wsproto.UTF8Validator
		fmt.Println(string(out) == string(msg), err, v.Write(out) && v.Done(), len(payload) < len(msg))
	}
	// Output:
	// true
	// true <nil> true true
	// true <nil> true true
}

// The validator keeps its state between writes: a sequence may be split
// anywhere, and it fails as soon as no continuation could make it valid.
func ExampleUTF8Validator() {
	var v wsproto.UTF8Validator
	fmt.Println(v.Write([]byte{0xe2, 0x82}), v.Done()) // the start of "€"
	fmt.Println(v.Write([]byte{0xac}), v.Done())
	fmt.Println(v.Write([]byte{0xed, 0xa0}), v.Done()) // a surrogate: never valid
	// Output:
	// true false
	// true true
	// false false
}

func ExampleParseClosePayload() {
	code, reason, err := wsproto.ParseClosePayload([]byte{0x03, 0xe8, 'b', 'y', 'e'})
	fmt.Println(code, int(code), string(reason), err)
	code, _, _ = wsproto.ParseClosePayload(nil)
	fmt.Println(code)
	_, _, err = wsproto.ParseClosePayload([]byte{0x03, 0xed}) // 1005 may not be sent
	fmt.Println(errors.Is(err, wsproto.ErrProtocol))
	// Output:
	// Normal 1000 bye <nil>
	// NoStatusReceived
	// true
}

// A broadcast encoded once and sent to every connection.
func ExamplePreparedMessage() {
	m := wsproto.NewPreparedMessage(wsproto.OpText, []byte("tick"), nil)
	frame, compressed := m.Frame(nil)
	fmt.Printf("% x %v\n", frame, compressed)
	// Output: 81 04 74 69 63 6b false
}
