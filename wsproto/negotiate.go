package wsproto

import (
	"strconv"
	"strings"
)

// DeflateExtensionName is the extension token of RFC 7692.
const DeflateExtensionName = "permessage-deflate"

// Defaults of DeflateConfig.
const (
	// DefaultDeflateLevel is klauspost/compress/flate's level 1
	// (BestSpeed): on text-like messages its output is within 3% of levels
	// 2-3 and 8% of levels 5-6 (Tornado's zlib level 6 is closer to the
	// latter), it is the fastest, and its compressor is the smallest (about
	// 630 KiB against 0.9-1 MiB). See the package documentation.
	DefaultDeflateLevel = 1
	// DefaultDeflateThreshold: messages shorter than 128 bytes are sent
	// uncompressed. Below that size the flate encoder does no LZ77 matching
	// on a flush (it stores the bytes or Huffman-codes them, and drops its
	// history), so compressing saves a few bytes at best and costs the
	// compression context.
	DefaultDeflateThreshold = 128
)

// DeflateConfig is one endpoint's permessage-deflate configuration: what
// to ask for in the negotiation, and how to compress. A nil *DeflateConfig
// means all defaults; a zero field means that field's default. The
// functions taking one panic if a field is out of range (that is a bug in
// the program, not something a peer can cause).
type DeflateConfig struct {
	// Level is the compression level, 1 (fastest) to 9 (smallest output),
	// of github.com/klauspost/compress/flate. Default DefaultDeflateLevel.
	// It is ignored when the agreed window is smaller than 15 bits: the
	// small-window encoder has a single level (similar to level 5).
	Level int
	// Threshold: messages shorter than this many bytes are sent
	// uncompressed. Default DefaultDeflateThreshold.
	Threshold int
	// MaxDecompressedSize caps a message's size after decompression, in
	// bytes; beyond it the Inflater fails with ErrTooBig (close 1009), so a
	// small compressed message cannot expand without bound. Default
	// DefaultMaxMessageSize.
	MaxDecompressedSize int
	// ServerNoContextTakeover: the server resets its compressor after every
	// message, so it keeps no 32 KiB-plus history per connection between
	// messages. A server sets it in its answer; a client requests it.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the same for the client's compressor. A
	// server sets it in its answer (the client must comply); a client
	// announces it.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits limits the server's LZ77 window to 2^bits bytes,
	// 8 to 15. Default 15. A server applies it to itself; a client asks the
	// server for it.
	ServerMaxWindowBits int
	// ClientMaxWindowBits limits the client's window, 8 to 15. Default 15.
	// A server asks the client for it (only if the client's offer allows);
	// a client applies it to itself and announces it.
	ClientMaxWindowBits int
}

// norm returns c with the defaults filled in, panicking on values out of
// range.
func (c *DeflateConfig) norm() DeflateConfig {
	var n DeflateConfig
	if c != nil {
		n = *c
	}
	fill := func(v *int, def, lo, hi int, name string) {
		if *v == 0 {
			*v = def
		}
		if *v < lo || *v > hi {
			panic("wsproto: DeflateConfig." + name + " " + strconv.Itoa(*v) + " out of range")
		}
	}
	fill(&n.Level, DefaultDeflateLevel, 1, 9, "Level")
	fill(&n.Threshold, DefaultDeflateThreshold, 1, int(^uint(0)>>1), "Threshold")
	fill(&n.MaxDecompressedSize, DefaultMaxMessageSize, 1, int(^uint(0)>>1), "MaxDecompressedSize")
	fill(&n.ServerMaxWindowBits, 15, 8, 15, "ServerMaxWindowBits")
	fill(&n.ClientMaxWindowBits, 15, 8, 15, "ClientMaxWindowBits")
	return n
}

// DeflateParams are the permessage-deflate parameters a connection agreed on
// (RFC 7692 section 7.1). The window sizes are 8 to 15, 15 when the
// negotiation did not limit them.
type DeflateParams struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	ServerMaxWindowBits     int
	ClientMaxWindowBits     int
}

// offerParams are the parameters found in one permessage-deflate element.
type offerParams struct {
	serverNCT, clientNCT bool
	serverBits           int // 0 when absent
	clientBits           int // -1 when absent, 0 when present without a value
}

// parseDeflateParams checks one permessage-deflate element (RFC 7692
// section 7.1): known parameters only, none twice, no value on the
// no_context_takeover ones, window bits 8-15 written without leading zeros.
// In a response client_max_window_bits needs a value. It returns a reason
// for rejecting the element, or "".
func parseDeflateParams(e Extension, response bool) (offerParams, string) {
	o := offerParams{clientBits: -1}
	var seen [4]bool
	for _, p := range e.Params {
		i := -1
		for j, name := range [...]string{"server_no_context_takeover", "client_no_context_takeover",
			"server_max_window_bits", "client_max_window_bits"} {
			if strings.EqualFold(p.Name, name) {
				i = j
				break
			}
		}
		if i < 0 {
			return o, "unknown permessage-deflate parameter " + strconv.Quote(p.Name)
		}
		if seen[i] {
			return o, "repeated permessage-deflate parameter " + strconv.Quote(p.Name)
		}
		seen[i] = true
		switch i {
		case 0, 1:
			if p.HasValue {
				return o, p.Name + " takes no value"
			}
			if i == 0 {
				o.serverNCT = true
			} else {
				o.clientNCT = true
			}
		case 2, 3:
			bits := 0
			if p.HasValue || i == 2 || response {
				var ok bool
				if bits, ok = windowBits(p.Value); !ok {
					return o, "invalid " + p.Name + " " + strconv.Quote(p.Value)
				}
			}
			if i == 2 {
				o.serverBits = bits
			} else {
				o.clientBits = bits
			}
		}
	}
	return o, ""
}

// windowBits parses a window size: a decimal 8 to 15 without leading zeros.
func windowBits(s string) (int, bool) {
	switch {
	case len(s) == 1 && (s[0] == '8' || s[0] == '9'):
		return int(s[0] - '0'), true
	case len(s) == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5':
		return 10 + int(s[1]-'0'), true
	}
	return 0, false
}

// NegotiateDeflateServer picks, for a server configured with cfg, the first
// acceptable permessage-deflate offer among a client's offers (as
// ParseExtensions returns them), and returns the agreed parameters and the
// value of the Sec-WebSocket-Extensions response header. ok is false if no
// offer is acceptable: the server then answers without the header and
// without compression. An offer with an unknown, repeated or invalid
// parameter is declined and the next one considered (RFC 7692 section
// 5.1), rather than failing the handshake.
//
// Every valid offer can be accepted:
//   - server_no_context_takeover and server_max_window_bits=N constrain the
//     server's own compressor, and it can honour both: it resets between
//     messages, and for N < 15 it compresses with a window of 2^N bytes
//     (klauspost/compress/flate's NewWriterWindow). The answer repeats
//     them; it names server_max_window_bits also when cfg asks for a
//     smaller window than the client did, and
//     server_no_context_takeover when cfg asks for it.
//   - client_no_context_takeover is echoed (or added when cfg asks for it),
//     so the server may drop its decompression history between messages.
//   - client_max_window_bits (with or without a value) tells that the client
//     can limit its window; the answer sets it when cfg or the offer's value
//     is below 15. Without it in the offer the answer cannot limit the
//     client, which is fine: the decompressor accepts any window up to 15.
func NegotiateDeflateServer(offers []Extension, cfg *DeflateConfig) (p DeflateParams, response string, ok bool) {
	c := cfg.norm()
	for _, e := range offers {
		if !strings.EqualFold(e.Name, DeflateExtensionName) {
			continue
		}
		o, bad := parseDeflateParams(e, false)
		if bad != "" {
			continue
		}
		p = DeflateParams{
			ServerNoContextTakeover: o.serverNCT || c.ServerNoContextTakeover,
			ClientNoContextTakeover: o.clientNCT || c.ClientNoContextTakeover,
			ServerMaxWindowBits:     c.ServerMaxWindowBits,
			ClientMaxWindowBits:     15,
		}
		if o.serverBits > 0 && o.serverBits < p.ServerMaxWindowBits {
			p.ServerMaxWindowBits = o.serverBits
		}
		if o.clientBits >= 0 {
			p.ClientMaxWindowBits = c.ClientMaxWindowBits
			if o.clientBits > 0 && o.clientBits < p.ClientMaxWindowBits {
				p.ClientMaxWindowBits = o.clientBits
			}
		}
		return p, p.value(o.serverBits > 0), true
	}
	return DeflateParams{}, "", false
}

// value formats p as a Sec-WebSocket-Extensions element. Window sizes of
// 15 are left out, except the server's when serverBits is set. With both
// windows at 15, what nearly every handshake agrees, the answer is one of
// eight made once (fullWindowValues), so it costs no allocation per
// connection.
func (p DeflateParams) value(serverBits bool) string {
	if p.ServerMaxWindowBits >= 15 && p.ClientMaxWindowBits >= 15 {
		return fullWindowValues[fullWindowIndex(p.ServerNoContextTakeover, p.ClientNoContextTakeover, serverBits)]
	}
	return p.format(serverBits)
}

func (p DeflateParams) format(serverBits bool) string {
	var buf [128]byte
	b := append(buf[:0], DeflateExtensionName...)
	if p.ServerNoContextTakeover {
		b = append(b, "; server_no_context_takeover"...)
	}
	if p.ClientNoContextTakeover {
		b = append(b, "; client_no_context_takeover"...)
	}
	if serverBits || p.ServerMaxWindowBits < 15 {
		b = append(b, "; server_max_window_bits="...)
		b = strconv.AppendInt(b, int64(p.ServerMaxWindowBits), 10)
	}
	if p.ClientMaxWindowBits < 15 {
		b = append(b, "; client_max_window_bits="...)
		b = strconv.AppendInt(b, int64(p.ClientMaxWindowBits), 10)
	}
	return string(b)
}

func fullWindowIndex(serverNCT, clientNCT, serverBits bool) int {
	i := 0
	if serverNCT {
		i |= 1
	}
	if clientNCT {
		i |= 2
	}
	if serverBits {
		i |= 4
	}
	return i
}

// fullWindowValues are value's answers with both windows at 15, by
// fullWindowIndex.
var fullWindowValues = func() (v [8]string) {
	for i := range v {
		p := DeflateParams{ServerNoContextTakeover: i&1 != 0, ClientNoContextTakeover: i&2 != 0,
			ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
		v[i] = p.format(i&4 != 0)
	}
	return v
}()

// OfferValue returns the Sec-WebSocket-Extensions value with which a client
// configured with cfg offers permessage-deflate. It always includes
// client_max_window_bits (with cfg's value when below 15): the client can
// compress with any window the server asks for.
func OfferValue(cfg *DeflateConfig) string {
	c := cfg.norm()
	s := DeflateExtensionName
	if c.ServerNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if c.ClientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if c.ServerMaxWindowBits < 15 {
		s += "; server_max_window_bits=" + strconv.Itoa(c.ServerMaxWindowBits)
	}
	s += "; client_max_window_bits"
	if c.ClientMaxWindowBits < 15 {
		s += "=" + strconv.Itoa(c.ClientMaxWindowBits)
	}
	return s
}

// AcceptDeflateResponse validates, for a client that sent OfferValue(cfg),
// the server's Sec-WebSocket-Extensions response value, and returns the
// agreed parameters. Per RFC 7692 section 5 the client must fail the
// connection (an ErrHandshake error) if the answer names another
// extension or more than one, has an unknown, repeated or invalid
// parameter, or does not grant what the offer required: the
// server_no_context_takeover and server_max_window_bits the client asked
// for, and windows no larger than the ones it offered. Call it only when
// the response has the header; without it, compression is off.
func AcceptDeflateResponse(value string, cfg *DeflateConfig) (DeflateParams, error) {
	c := cfg.norm()
	exts, err := ParseExtensions(value)
	if err != nil {
		return DeflateParams{}, err
	}
	switch {
	case len(exts) == 0:
		return DeflateParams{}, handshakeError("empty Sec-WebSocket-Extensions response")
	case !strings.EqualFold(exts[0].Name, DeflateExtensionName):
		return DeflateParams{}, handshakeError("server accepted extension " + strconv.Quote(exts[0].Name) + ", which was not offered")
	case len(exts) > 1:
		return DeflateParams{}, handshakeError("server accepted " + strconv.Itoa(len(exts)) + " extensions; one was offered")
	}
	o, bad := parseDeflateParams(exts[0], true)
	if bad != "" {
		return DeflateParams{}, handshakeError(bad)
	}
	p := DeflateParams{
		ServerNoContextTakeover: o.serverNCT,
		ClientNoContextTakeover: o.clientNCT || c.ClientNoContextTakeover,
		ServerMaxWindowBits:     15,
		ClientMaxWindowBits:     c.ClientMaxWindowBits,
	}
	if c.ServerNoContextTakeover && !o.serverNCT {
		return DeflateParams{}, handshakeError("server did not accept server_no_context_takeover")
	}
	switch {
	case o.serverBits > c.ServerMaxWindowBits:
		return DeflateParams{}, handshakeError("server_max_window_bits=" + strconv.Itoa(o.serverBits) +
			" exceeds the offered " + strconv.Itoa(c.ServerMaxWindowBits))
	case o.serverBits > 0:
		p.ServerMaxWindowBits = o.serverBits
	case c.ServerMaxWindowBits < 15:
		return DeflateParams{}, handshakeError("server did not accept server_max_window_bits")
	}
	if o.clientBits > 0 {
		if o.clientBits > c.ClientMaxWindowBits {
			return DeflateParams{}, handshakeError("client_max_window_bits=" + strconv.Itoa(o.clientBits) +
				" exceeds the offered " + strconv.Itoa(c.ClientMaxWindowBits))
		}
		p.ClientMaxWindowBits = o.clientBits
	}
	return p, nil
}
