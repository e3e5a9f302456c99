package httpproto

import "strconv"

// This file holds the parser's one transition table. Every change of
// Parser state goes through Parser.fire, which looks the (state, trigger)
// pair up here; a pair without an entry is an error naming both. Each
// State's comment lists the states that may follow it (the "Followed by"
// line), and a test checks those lines against the table.

// State is where a Parser stands in the input. It is printable; the table
// in states.go says which states may follow which.
type State uint8

// The parser states. The zero State means the Parser was never
// initialised.
const (
	stateUninit State = iota

	// StateIdle: between messages. No byte of the next head has been seen
	// (empty lines before a start line do not count), so the input may
	// end here cleanly.
	// Followed by: StateHead, StateBody, StateChunkSize, StateCloseBody,
	// StateIdle, StateSwitched, StateClosed, StateFailed.
	StateIdle

	// StateHead: part of a head has arrived; Next waits for the rest
	// without consuming it.
	// Followed by: StateBody, StateChunkSize, StateCloseBody, StateIdle,
	// StateSwitched, StateFailed.
	StateHead

	// StateBody: a body of known length (Content-Length, or none) is being
	// read; MessageDone follows its last byte.
	// Followed by: StateIdle, StateClosed, StatePaused, StateFailed.
	StateBody

	// StateChunkSize: a chunk-size line is expected.
	// Followed by: StateChunkData, StateTrailers, StateFailed.
	StateChunkSize

	// StateChunkData: the data of a chunk is being read.
	// Followed by: StateChunkEnd, StateFailed.
	StateChunkData

	// StateChunkEnd: the CRLF that ends a chunk's data is expected.
	// Followed by: StateChunkSize, StateFailed.
	StateChunkEnd

	// StateTrailers: the trailer section after the last chunk is being
	// read; MessageDone follows the empty line that ends it.
	// Followed by: StateIdle, StateClosed, StatePaused, StateFailed.
	StateTrailers

	// StateCloseBody: a response body that runs until the input ends is
	// being read; EOF gives its MessageDone.
	// Followed by: StateClosed, StateFailed.
	StateCloseBody

	// StatePaused: a request that asks to switch protocols (CONNECT, or
	// Upgrade) has ended. Next consumes nothing until Resume, which
	// declines the switch; a caller that accepts it stops using the
	// parser, and the bytes that follow belong to the new protocol.
	// Followed by: StateIdle, StateClosed.
	StatePaused

	// StateSwitched: a response switched protocols (101, or a 2xx answer
	// to CONNECT). Next reports Switched once, then None, and consumes
	// nothing: the bytes that follow the head belong to the new protocol.
	// Terminal until Reset.
	// Followed by: StateSwitched.
	StateSwitched

	// StateClosed: the last message on the connection has ended (it did
	// not keep the connection alive, or the input ended). Next discards
	// any further bytes without interpreting them. Terminal until Reset.
	// Followed by: StateClosed.
	StateClosed

	// StateFailed: Next or EOF returned an error; every later call returns
	// it again. Terminal until Reset.
	// Followed by: none.
	StateFailed

	stateCount
)

var stateNames = [stateCount]string{
	stateUninit:    "uninitialised",
	StateIdle:      "idle",
	StateHead:      "head",
	StateBody:      "body",
	StateChunkSize: "chunk-size",
	StateChunkData: "chunk-data",
	StateChunkEnd:  "chunk-end",
	StateTrailers:  "trailers",
	StateCloseBody: "close-delimited-body",
	StatePaused:    "paused",
	StateSwitched:  "switched",
	StateClosed:    "closed",
	StateFailed:    "failed",
}

// String returns the state's name, e.g. "chunk-size".
func (s State) String() string {
	if s < stateCount {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// trigger is what happened in the input (or what the caller did) that
// moves the parser from one state to another.
type trigger uint8

const (
	_             trigger = iota
	trPartial             // the first bytes of a head, not yet all of it
	trHeadLength          // a complete head; the body has a known length (maybe 0)
	trHeadChunked         // a complete head; the body is chunked
	trHeadClose           // a complete response head; the body runs until EOF
	trHeadInterim         // a complete 1xx response head other than 101
	trHeadSwitch          // a complete 101 head, or a 2xx head answering CONNECT
	trChunkSize           // a chunk-size line with a size above 0
	trLastChunk           // the chunk-size line of the last chunk (size 0)
	trChunkData           // the last byte of a chunk's data
	trChunkCRLF           // the CRLF after a chunk's data
	trKeep                // the message ended; the connection carries another
	trClose               // the message ended; the connection carries no other
	trPause               // the message ended; it asked to switch protocols
	trResume              // Resume: the switch was declined; the connection goes on
	trResumeClose         // Resume: the switch was declined; the request closes the connection
	trEOF                 // the input ended where it may
	trFail                // the input (or the caller) broke the protocol
	triggerCount
)

var triggerNames = [triggerCount]string{
	trPartial:     "partial head",
	trHeadLength:  "head with sized body",
	trHeadChunked: "head with chunked body",
	trHeadClose:   "head with close-delimited body",
	trHeadInterim: "interim head",
	trHeadSwitch:  "switching head",
	trChunkSize:   "chunk size",
	trLastChunk:   "last chunk",
	trChunkData:   "end of chunk data",
	trChunkCRLF:   "chunk CRLF",
	trKeep:        "message done (keep-alive)",
	trClose:       "message done (close)",
	trPause:       "message done (switch requested)",
	trResume:      "resume",
	trResumeClose: "resume (close)",
	trEOF:         "end of input",
	trFail:        "error",
}

func (t trigger) String() string {
	if t < triggerCount && triggerNames[t] != "" {
		return triggerNames[t]
	}
	return "trigger(" + strconv.Itoa(int(t)) + ")"
}

// transitions is the parser's state machine: transitions[s][t] is the
// state that follows s on t; the zero State marks a missing entry.
var transitions = [stateCount][triggerCount]State{
	StateIdle: {
		trPartial:     StateHead,
		trHeadLength:  StateBody,
		trHeadChunked: StateChunkSize,
		trHeadClose:   StateCloseBody,
		trHeadInterim: StateIdle,
		trHeadSwitch:  StateSwitched,
		trEOF:         StateClosed,
		trFail:        StateFailed,
	},
	StateHead: {
		trHeadLength:  StateBody,
		trHeadChunked: StateChunkSize,
		trHeadClose:   StateCloseBody,
		trHeadInterim: StateIdle,
		trHeadSwitch:  StateSwitched,
		trFail:        StateFailed,
	},
	StateBody: {
		trKeep:  StateIdle,
		trClose: StateClosed,
		trPause: StatePaused,
		trEOF:   StateClosed, // only once the body is complete
		trFail:  StateFailed,
	},
	StateChunkSize: {
		trChunkSize: StateChunkData,
		trLastChunk: StateTrailers,
		trFail:      StateFailed,
	},
	StateChunkData: {
		trChunkData: StateChunkEnd,
		trFail:      StateFailed,
	},
	StateChunkEnd: {
		trChunkCRLF: StateChunkSize,
		trFail:      StateFailed,
	},
	StateTrailers: {
		trKeep:  StateIdle,
		trClose: StateClosed,
		trPause: StatePaused,
		trFail:  StateFailed,
	},
	StateCloseBody: {
		trEOF:  StateClosed,
		trFail: StateFailed,
	},
	StatePaused: {
		trResume:      StateIdle,
		trResumeClose: StateClosed,
		trEOF:         StateClosed,
	},
	StateSwitched: {
		trEOF: StateSwitched,
	},
	StateClosed: {
		trEOF: StateClosed,
	},
}

// fire moves the parser along the table. A missing entry leaves the state
// as it is and returns an error naming the state and the trigger: a bug in
// the parser, or a caller that used it out of order (Resume while not
// paused).
func (p *Parser) fire(t trigger) *Error {
	next := transitions[p.state][t]
	if next == stateUninit {
		return newError(CodeUnexpectedInput, "no transition from state "+p.state.String()+" on "+t.String())
	}
	p.state = next
	if next == StateIdle {
		p.beginMessage()
	}
	return nil
}
