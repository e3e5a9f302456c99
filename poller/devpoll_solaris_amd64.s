#include "textflag.h"

// func sysvicall6(trap, nargs, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err syscall.Errno)
//
// Package syscall's sysvicall6 (which the runtime implements) makes the
// libc call on the system stack; jump to it with the frame unchanged.
TEXT ·sysvicall6(SB),NOSPLIT,$0-88
	JMP	syscall·sysvicall6(SB)
