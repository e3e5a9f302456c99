package wsproto

import "encoding/binary"

// UTF8Validator checks, incrementally, that a byte stream is UTF-8 as RFC
// 3629 defines it: no overlong forms, no surrogates (U+D800-U+DFFF), nothing
// above U+10FFFF. It fails as soon as the bytes so far can no longer begin a
// valid string (RFC 6455 section 8.1 asks endpoints to fail fast), whatever
// the split between calls: a sequence may straddle any number of Writes.
// The zero value is ready; Reset makes it so again. A validator is not
// safe for concurrent use.
//
// The Reader validates uncompressed text messages itself. For compressed
// ones it cannot (it sees DEFLATE data), so whoever inflates them runs the
// decompressed bytes through a UTF8Validator and calls Done at the end.
type UTF8Validator struct {
	need   uint8 // continuation bytes still expected
	lo, hi uint8 // range allowed for the next continuation byte
	failed bool
}

// utf8Range is the range allowed for the byte after a lead byte (Unicode
// table 3-7); later continuation bytes are always 0x80-0xBF.
type utf8Range struct{ lo, hi uint8 }

var utf8Ranges = [...]utf8Range{
	{0x80, 0xBF}, // most leads
	{0xA0, 0xBF}, // E0: no overlong 3-byte forms
	{0x80, 0x9F}, // ED: no surrogates
	{0x90, 0xBF}, // F0: no overlong 4-byte forms
	{0x80, 0x8F}, // F4: nothing above U+10FFFF
}

// utf8Leads maps a byte >= 0x80 to (continuation count << 4 | range index),
// or 0 if it cannot start a sequence (continuation bytes, C0, C1, F5-FF).
var utf8Leads = func() (t [256]uint8) {
	for c := 0xC2; c <= 0xDF; c++ {
		t[c] = 1 << 4
	}
	for c := 0xE1; c <= 0xEF; c++ {
		t[c] = 2 << 4
	}
	t[0xE0] = 2<<4 | 1
	t[0xED] = 2<<4 | 2
	t[0xF0] = 3<<4 | 3
	for c := 0xF1; c <= 0xF3; c++ {
		t[c] = 3 << 4
	}
	t[0xF4] = 3<<4 | 4
	return t
}()

// Write feeds b and reports whether the input so far can still become valid
// UTF-8. Once it has returned false it always does.
func (v *UTF8Validator) Write(b []byte) bool { return v.check(b) < 0 }

// Done reports whether the input so far is complete, valid UTF-8: false
// after a failure or in the middle of a multi-byte sequence. Call it at the
// end of a message.
func (v *UTF8Validator) Done() bool { return !v.failed && v.need == 0 }

// Reset makes v ready for a new message.
func (v *UTF8Validator) Reset() { *v = UTF8Validator{} }

// check is Write that also says where it failed: it returns -1 if the input
// can still become valid, else the index in b of the first byte that makes
// it invalid (0 if v had failed before).
func (v *UTF8Validator) check(b []byte) int {
	if v.failed {
		return 0
	}
	i := 0
	// Finish the sequence a previous Write left open.
	for v.need > 0 {
		if i == len(b) {
			return -1
		}
		if c := b[i]; c < v.lo || c > v.hi {
			v.failed = true
			return i
		}
		i++
		v.need--
		v.lo, v.hi = 0x80, 0xBF
	}
	for i < len(b) {
		for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i == len(b) {
			break
		}
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		e := utf8Leads[c]
		if e == 0 {
			v.failed = true
			return i
		}
		n := int(e >> 4)
		r := utf8Ranges[e&0xF]
		if i+n < len(b) {
			// The whole sequence is here.
			if c1 := b[i+1]; c1 < r.lo || c1 > r.hi {
				v.failed = true
				return i + 1
			}
			for j := 2; j <= n; j++ {
				if b[i+j]&0xC0 != 0x80 {
					v.failed = true
					return i + j
				}
			}
			i += n + 1
			continue
		}
		// The sequence continues in a later Write: check what is here.
		v.need, v.lo, v.hi = uint8(n), r.lo, r.hi
		for i++; i < len(b); i++ {
			if c := b[i]; c < v.lo || c > v.hi {
				v.failed = true
				return i
			}
			v.need--
			v.lo, v.hi = 0x80, 0xBF
		}
		return -1
	}
	return -1
}
