package wsproto

// This file holds the Reader's state machine: its states, the kinds of frame
// that drive it, and the one table of transitions. A pair missing from the
// table is a protocol error naming the state and the frame kind. The table
// below is the transitions variable, drawn by TestTransitionTableDoc:
//
//	state \ frame  data      first     cont      last      ping      pong      close
//	Idle           Idle S E  InMsg S   -         -         Idle      Idle      Closed
//	InMessage      -         -         InMsg     Idle E    InMsg     InMsg     Closed
//	Closed         -         -         -         -         -         -         -
//
// data: Text or Binary with FIN; first: Text or Binary without FIN; cont and
// last: Continuation without and with FIN. S: the frame starts a message
// (MessageStart; RSV1 allowed when permessage-deflate was agreed). E: the
// message ends with the frame's payload (MessageEnd). In Closed no frame is
// parsed: the rest of the input is discarded.

// readState is where a Reader stands between two frames.
type readState uint8

const (
	// stateIdle: no message is in progress. May be followed by Idle (a
	// whole message or a control frame), InMessage (a first fragment) or
	// Closed.
	stateIdle readState = iota
	// stateInMessage: a fragmented message is in progress; only its
	// Continuation frames and control frames may come. May be followed by
	// InMessage, Idle (the final fragment) or Closed.
	stateInMessage
	// stateClosed: a Close frame was read. Nothing follows it.
	stateClosed
	numReadStates
)

func (s readState) String() string {
	switch s {
	case stateIdle:
		return "Idle"
	case stateInMessage:
		return "InMessage"
	case stateClosed:
		return "Closed"
	}
	return "readState(?)"
}

// frameKind classifies a frame header by opcode and FIN bit: the events of
// the state machine.
type frameKind uint8

const (
	kindData  frameKind = iota // Text or Binary with FIN set: a whole message
	kindFirst                  // Text or Binary with FIN clear: a message's first fragment
	kindCont                   // Continuation with FIN clear
	kindLast                   // Continuation with FIN set
	kindPing
	kindPong
	kindClose
	numFrameKinds
)

func (k frameKind) String() string {
	switch k {
	case kindData:
		return "data"
	case kindFirst:
		return "first fragment"
	case kindCont:
		return "continuation"
	case kindLast:
		return "final continuation"
	case kindPing:
		return "ping"
	case kindPong:
		return "pong"
	case kindClose:
		return "close"
	}
	return "frameKind(?)"
}

// classify returns the kind of a frame with opcode op; op must not be
// reserved and control frames must be final (the Reader checks both first).
func classify(op Opcode, fin bool) frameKind {
	switch op {
	case OpText, OpBinary:
		if fin {
			return kindData
		}
		return kindFirst
	case OpContinuation:
		if fin {
			return kindLast
		}
		return kindCont
	case OpPing:
		return kindPing
	case OpPong:
		return kindPong
	}
	return kindClose
}

// transition is one entry of the table.
type transition struct {
	ok     bool      // the frame is allowed in this state
	next   readState // state once the frame's header is read
	starts bool      // the frame starts a message: MessageStart, RSV1 allowed
	ends   bool      // the frame ends a message: MessageEnd after its payload
}

var transitions = [numReadStates][numFrameKinds]transition{
	stateIdle: {
		kindData:  {ok: true, next: stateIdle, starts: true, ends: true},
		kindFirst: {ok: true, next: stateInMessage, starts: true},
		kindPing:  {ok: true, next: stateIdle},
		kindPong:  {ok: true, next: stateIdle},
		kindClose: {ok: true, next: stateClosed},
	},
	stateInMessage: {
		kindCont:  {ok: true, next: stateInMessage},
		kindLast:  {ok: true, next: stateIdle, ends: true},
		kindPing:  {ok: true, next: stateInMessage},
		kindPong:  {ok: true, next: stateInMessage},
		kindClose: {ok: true, next: stateClosed},
	},
}

// lookup returns the transition for a frame of kind k in state s, or the
// protocol error that naming both when the table has no entry.
func lookup(s readState, k frameKind) (transition, error) {
	t := transitions[s][k]
	if !t.ok {
		return t, protocolError("unexpected " + k.String() + " frame in state " + s.String())
	}
	return t, nil
}
