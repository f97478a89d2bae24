#include "textflag.h"

// func vdsoCall2(fn, a, b uintptr) int64
// Calls a vDSO function with the C calling convention (two arguments) on a
// 16-byte aligned stack, as Go's runtime does in vdsoCall. The vDSO needs
// well under the stack guard Go leaves below a NOSPLIT frame.
TEXT ·vdsoCall2(SB), NOSPLIT, $0-32
	MOVQ fn+0(FP), AX
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), SI
	MOVQ SP, BX
	ANDQ $~15, SP
	CALL AX
	MOVQ BX, SP
	MOVQ AX, ret+24(FP)
	RET
