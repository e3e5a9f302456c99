package wsproto

import (
	"strconv"
)

// Role is the side of a connection an endpoint plays. It decides masking: a
// client masks every frame it sends and a server none (RFC 6455 section
// 5.1), so each rejects frames masked the other way.
type Role uint8

const (
	// Server is the endpoint that accepted the connection.
	Server Role = iota + 1
	// Client is the endpoint that opened it.
	Client
)

// String returns "Server" or "Client".
func (r Role) String() string {
	switch r {
	case Server:
		return "Server"
	case Client:
		return "Client"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// EventKind tells what Reader.Next found.
type EventKind uint8

const (
	// NeedMore: the input ends inside a frame header or control frame;
	// call Next again once more bytes have arrived. The first event, and
	// the one after MessageEnd, Ping, Pong or any Data.
	NeedMore EventKind = iota
	// MessageStart: a Text or Binary message begins. Followed by zero or
	// more Data events, with Ping and Pong events possibly in between, then
	// MessageEnd (or Close, which abandons the message).
	MessageStart
	// Data: a piece of the current message's payload, never empty. Pieces
	// follow frame boundaries and whatever the input held; their
	// concatenation is the message (still compressed if MessageStart said
	// so). Followed by more Data, Ping, Pong, Close, MessageEnd or NeedMore.
	Data
	// MessageEnd: the current message is complete (and, for an
	// uncompressed text message, valid UTF-8). Followed by anything but
	// Data.
	MessageEnd
	// Ping: a whole Ping frame; answer it with a Pong carrying Payload.
	Ping
	// Pong: a whole Pong frame.
	Pong
	// Close: a Close frame, with Code and the reason in Payload. Nothing
	// follows it: the Reader discards all later input.
	Close
)

var eventKindNames = [...]string{"NeedMore", "MessageStart", "Data", "MessageEnd", "Ping", "Pong", "Close"}

// String returns the kind's name, "NeedMore" to "Close".
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one result of Reader.Next. Payload aliases the input given to
// Next (unmasked in place) and stays valid as long as those bytes do.
type Event struct {
	Kind EventKind
	// Opcode is OpText or OpBinary in a MessageStart event.
	Opcode Opcode
	// Compressed reports, in a MessageStart event, that RSV1 was set: the
	// message's Data is DEFLATE data to feed to an Inflater (RFC 7692).
	Compressed bool
	// Payload is the bytes of a Data, Ping or Pong event, or the reason of
	// a Close event (valid UTF-8, possibly empty).
	Payload []byte
	// Code is the status of a Close event; CloseNoStatusReceived when the
	// frame had no payload.
	Code CloseCode
}

// String describes the event for logs and tests, for example
// "MessageStart(Text)", "Data(5 bytes)" or "Close(1000 Normal)".
func (e Event) String() string {
	switch e.Kind {
	case MessageStart:
		s := "MessageStart(" + e.Opcode.String()
		if e.Compressed {
			s += ", compressed"
		}
		return s + ")"
	case Data, Ping, Pong:
		return e.Kind.String() + "(" + strconv.Itoa(len(e.Payload)) + " bytes)"
	case Close:
		return "Close(" + strconv.Itoa(int(e.Code)) + " " + e.Code.String() + ", " + strconv.Quote(string(e.Payload)) + ")"
	}
	return e.Kind.String()
}

// DefaultMaxMessageSize is the default limit on a message's size, on the
// wire and after decompression: 10 MiB, as Tornado's max_message_size.
const DefaultMaxMessageSize = 10 << 20

// ReaderOptions configure a Reader. A nil *ReaderOptions means all
// defaults; a zero (or negative) size means that size's default.
type ReaderOptions struct {
	// MaxMessageSize caps a message's payload on the wire, in bytes: the
	// sum of its frames' lengths, compressed if it is. A frame header that
	// would take a message past it is an ErrTooBig error (close 1009)
	// before any of its payload is read. Default DefaultMaxMessageSize.
	MaxMessageSize int
	// MaxFrameSize caps one data frame's payload length, in bytes; longer
	// frames are ErrTooBig errors. Default MaxMessageSize.
	MaxFrameSize int
	// Deflate says permessage-deflate was negotiated: RSV1 may then be set
	// on the first frame of a data message (RFC 7692 section 6), and the
	// message's Data is compressed. Default false: RSV1 is a protocol error.
	Deflate bool
}

// A Reader decodes the frames of one direction of one connection, without
// doing any I/O: the caller hands it the bytes it has, it reports one event
// and how many bytes it used. It enforces RFC 6455: masking by role, reserved
// bits and opcodes, fragmentation, control frame rules, minimal length
// encoding, UTF-8 of uncompressed text messages and close reasons, close
// codes, and the size limits. It produces the same events whatever the split
// of the input into calls.
//
// A Reader is not safe for concurrent use; each connection has its own,
// used by the goroutine (the loop) that reads that connection.
type Reader struct {
	// The limits (set by Init) and the frame and message in progress. The
	// small fields are packed together at the end: a Reader lives as long
	// as its connection, so its size counts per idle connection.
	maxMsg    int64
	maxFrame  int64
	remaining int64 // payload bytes left in the data frame being read
	msgLen    int64 // bytes of the message in progress so far
	err       error // sticky: once set, every Next returns it
	key       [4]byte
	utf8      UTF8Validator
	role      Role
	deflate   bool
	state     readState
	inFrame   bool // a data frame's payload is being read
	ends      bool // the frame ends its message
	masked    bool
	text      bool  // uncompressed text: validate UTF-8
	keyPos    uint8 // the mask key's offset for the next payload byte
}

// NewReader returns a Reader for an endpoint playing role (Server reads
// what a client sends). It panics if role is neither Server nor Client.
func NewReader(role Role, opts *ReaderOptions) *Reader {
	r := new(Reader)
	r.Init(role, opts)
	return r
}

// Init makes r a fresh Reader for role with opts, as NewReader does, for a
// Reader embedded in a larger structure (a connection) rather than
// allocated on its own. It panics if role is neither Server nor Client.
func (r *Reader) Init(role Role, opts *ReaderOptions) {
	if role != Server && role != Client {
		panic("wsproto: NewReader: invalid role " + role.String())
	}
	*r = Reader{role: role, maxMsg: DefaultMaxMessageSize}
	if opts != nil {
		r.deflate = opts.Deflate
		if opts.MaxMessageSize > 0 {
			r.maxMsg = int64(opts.MaxMessageSize)
		}
		if opts.MaxFrameSize > 0 {
			r.maxFrame = int64(opts.MaxFrameSize)
		}
	}
	if r.maxFrame == 0 || r.maxFrame > r.maxMsg {
		r.maxFrame = r.maxMsg
	}
}

// Reset makes r ready for a new connection, with the same role and options.
func (r *Reader) Reset() {
	*r = Reader{role: r.role, deflate: r.deflate, maxMsg: r.maxMsg, maxFrame: r.maxFrame}
}

// Next decodes the next event from in, the bytes received and not yet
// consumed, and returns it with n, the number of bytes of in it consumed.
// The caller drops those n bytes and passes the rest, with whatever has
// arrived since, to the next call. On NeedMore, n may be positive (a
// frame header was consumed): call again once more input is there.
//
// Next modifies in: it unmasks payload bytes in place, so Data, Ping and
// Pong payloads and Close reasons are slices of in. They stay valid until
// the caller reuses that memory; copy what must outlive it.
//
// Data events deliver a data frame's payload as it arrives, in as many
// pieces as the input was split into. A control frame (at most 131 bytes
// on the wire) is delivered whole: Next waits, consuming nothing, until all
// of it is in in.
//
// Errors are *Error values: ErrProtocol, ErrInvalidData or ErrTooBig, with
// PeerFault and the close code to send. They are reported as soon as the
// offending byte is seen, so a text message's valid prefix may be
// delivered before its invalid byte fails the connection. An error is
// final: every later call returns it. After a Close event, all further
// input is consumed and ignored (NeedMore, n == len(in)): RFC 6455 section
// 5.5.1 forbids the peer to send anything after its Close frame, and the
// connection is closing anyway, so a strict check would only turn a clean
// close into an error.
func (r *Reader) Next(in []byte) (ev Event, n int, err error) {
	if r.err != nil {
		return Event{}, 0, r.err
	}
	for {
		if r.state == stateClosed {
			return Event{Kind: NeedMore}, len(in), nil
		}
		if !r.inFrame {
			ev, hl, err := r.header(in[n:])
			if err != nil {
				r.err = err
				return Event{}, n, err
			}
			if hl == 0 {
				return Event{Kind: NeedMore}, n, nil
			}
			n += hl
			if ev.Kind != NeedMore {
				return ev, n, nil
			}
			continue // a continuation frame: go on to its payload
		}
		if r.remaining == 0 {
			r.inFrame = false
			if r.ends {
				return r.endMessage(n)
			}
			continue
		}
		avail := len(in) - n
		if avail == 0 {
			return Event{Kind: NeedMore}, n, nil
		}
		k := avail
		if r.remaining < int64(avail) {
			k = int(r.remaining)
		}
		p := in[n : n+k]
		if r.masked {
			r.keyPos = uint8(Mask(r.key, int(r.keyPos), p))
		}
		r.remaining -= int64(k)
		if r.text {
			if i := r.utf8.check(p); i >= 0 {
				// Deliver the prefix that could still be valid; the
				// next call reports the error.
				r.err = invalidDataError("text message is not valid UTF-8")
				if i == 0 {
					return Event{}, n, r.err
				}
				return Event{Kind: Data, Payload: p[:i]}, n + i, nil
			}
		}
		return Event{Kind: Data, Payload: p}, n + k, nil
	}
}

func (r *Reader) endMessage(n int) (Event, int, error) {
	if r.text && !r.utf8.Done() {
		r.err = invalidDataError("text message ends inside a UTF-8 sequence")
		return Event{}, n, r.err
	}
	r.msgLen = 0
	r.text = false
	return Event{Kind: MessageEnd}, n, nil
}

// header decodes the frame header at the start of b. It returns hl == 0 if
// b holds too little to go on. For a data frame it consumes the header and
// returns MessageStart for a first frame, NeedMore for a continuation; for
// a control frame it consumes the whole frame and returns its event. The
// checks run in the order of the bytes they need, so an error is the same
// whatever the split of the input.
func (r *Reader) header(b []byte) (Event, int, error) {
	if len(b) == 0 {
		return Event{}, 0, nil
	}
	b0 := b[0]
	if b0&(rsv2Bit|rsv3Bit) != 0 {
		return Event{}, 0, protocolError("reserved bit RSV2 or RSV3 set")
	}
	op := Opcode(b0 & opMask)
	if op.IsReserved() {
		return Event{}, 0, protocolError("reserved opcode 0x" + strconv.FormatUint(uint64(op), 16))
	}
	fin := b0&finBit != 0
	if op.IsControl() && !fin {
		return Event{}, 0, protocolError("fragmented " + op.String() + " frame")
	}
	t, err := lookup(r.state, classify(op, fin))
	if err != nil {
		return Event{}, 0, err
	}
	compressed := b0&rsv1Bit != 0
	if compressed && !(r.deflate && t.starts) {
		if r.deflate {
			return Event{}, 0, protocolError("RSV1 set on a " + op.String() + " frame")
		}
		return Event{}, 0, protocolError("RSV1 set without a negotiated extension")
	}
	if len(b) < 2 {
		return Event{}, 0, nil
	}
	masked := b[1]&maskBit != 0
	if masked != (r.role == Server) {
		if masked {
			return Event{}, 0, protocolError("masked frame from a server")
		}
		return Event{}, 0, protocolError("unmasked frame from a client")
	}
	if op.IsControl() && b[1]&^maskBit > maxControlPayload {
		return Event{}, 0, protocolError(op.String() + " frame longer than 125 bytes")
	}
	length, hl, err := lengthField(b)
	if err != nil || hl == 0 {
		return Event{}, 0, err
	}
	if op.IsControl() {
		return r.control(b, op, t, hl, int(length), masked)
	}
	if length > r.maxFrame {
		return Event{}, 0, tooBigError("frame of " + strconv.FormatInt(length, 10) +
			" bytes exceeds the limit of " + strconv.FormatInt(r.maxFrame, 10))
	}
	msgLen := r.msgLen
	if t.starts {
		msgLen = 0
	}
	if length > r.maxMsg-msgLen {
		return Event{}, 0, tooBigError("message exceeds the limit of " + strconv.FormatInt(r.maxMsg, 10) + " bytes")
	}
	if masked {
		if len(b) < hl+4 {
			return Event{}, 0, nil
		}
		copy(r.key[:], b[hl:hl+4])
		hl += 4
	}
	r.state = t.next
	r.inFrame = true
	r.ends = t.ends
	r.masked = masked
	r.remaining = length
	r.keyPos = 0
	r.msgLen = msgLen + length
	if !t.starts {
		return Event{Kind: NeedMore}, hl, nil
	}
	r.text = op == OpText && !compressed
	r.utf8.Reset()
	return Event{Kind: MessageStart, Opcode: op, Compressed: compressed}, hl, nil
}

// control finishes a control frame whose header (without the key) is hl
// bytes long, once all of it is in b.
func (r *Reader) control(b []byte, op Opcode, t transition, hl, length int, masked bool) (Event, int, error) {
	if op == OpClose && length == 1 {
		return Event{}, 0, protocolError("close payload of 1 byte")
	}
	start := hl
	if masked {
		start += 4
	}
	end := start + length
	if len(b) < end {
		return Event{}, 0, nil
	}
	p := b[start:end]
	if masked {
		Mask([4]byte(b[hl:start]), 0, p)
	}
	switch op {
	case OpPing:
		r.state = t.next
		return Event{Kind: Ping, Payload: p}, end, nil
	case OpPong:
		r.state = t.next
		return Event{Kind: Pong, Payload: p}, end, nil
	}
	code, reason, err := ParseClosePayload(p)
	if err != nil {
		return Event{}, 0, err
	}
	r.state = t.next
	return Event{Kind: Close, Code: code, Payload: reason}, end, nil
}
