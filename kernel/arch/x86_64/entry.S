/*
 * entry.S - every way into and out of the kernel.
 *
 *   isr_N        one stub per IDT vector: push a dummy error code where the
 *                CPU pushes none, push the vector, go to the common path.
 *   intr_common  swapgs when coming from user space, save the registers as
 *                a struct trapframe (trap.h), call trap_dispatch(tf).
 *   paranoid_common  the same for NMI, double fault and machine check, which
 *                may arrive at any instruction (even between syscall and
 *                swapgs), so GS is judged by the GS base MSR, not by CS.
 *   syscall_entry  the SYSCALL instruction: switch to the thread's kernel
 *                stack, build the same trapframe, call syscall_dispatch(tf);
 *                return with SYSRET, or IRET when syscall_dispatch says the
 *                frame needs a full restore (signal return, odd RIP).
 *   context_switch  save callee-saved registers and switch kernel stacks.
 */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"

#define MSR_GS_BASE 0xc0000101

.macro PUSH_REGS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro POP_REGS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.text
.altmacro
.macro ISR_STUB n
	.balign 16
isr_\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	push $0
	.endif
	push $\n
	.if (\n == VEC_NMI) || (\n == VEC_DF) || (\n == VEC_MC)
	jmp paranoid_common
	.else
	jmp intr_common
	.endif
.endm

	.balign 16
	.globl isr_stubs_start
isr_stubs_start:
.set vec, 0
.rept 256
	ISR_STUB %vec
	.set vec, vec + 1
.endr

.macro ISR_ADDR n
	.quad isr_\n
.endm
	.section .rodata
	.balign 8
	.globl isr_table
isr_table:
.set vec, 0
.rept 256
	ISR_ADDR %vec
	.set vec, vec + 1
.endr
	.text
.noaltmacro

intr_common:
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:	PUSH_REGS
	mov %rsp, %rdi
	cld
	call trap_dispatch
	/* fall through */

	.globl trap_return
trap_return:
	POP_REGS
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	add $16, %rsp
	iretq

paranoid_common:
	PUSH_REGS
	mov $MSR_GS_BASE, %ecx
	rdmsr
	xor %ebx, %ebx
	test %edx, %edx
	js 1f
	swapgs
	mov $1, %ebx
1:	mov %rsp, %rdi
	cld
	call trap_dispatch
	test %ebx, %ebx
	jz 2f
	swapgs
2:	POP_REGS
	add $16, %rsp
	iretq

	.globl syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:CPU_OFF_USER_RSP
	mov %gs:CPU_OFF_KERNEL_RSP, %rsp
	push $USER_DS
	push %gs:CPU_OFF_USER_RSP
	push %r11
	push $USER_CS
	push %rcx
	push $0
	push $VEC_SYSCALL
	PUSH_REGS
	mov %rsp, %rdi
	cld
	call syscall_dispatch
	test %eax, %eax
	jnz trap_return
	/* SYSRET: RIP from RCX, RFLAGS from R11. IRQs are off here. */
	POP_REGS
	add $16, %rsp
	mov 0(%rsp), %rcx
	mov 16(%rsp), %r11
	mov 24(%rsp), %rsp
	swapgs
	sysretq

/* void context_switch(uint64_t *save_rsp, uint64_t new_rsp) */
	.globl context_switch
context_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/*
 * A new thread's first context_switch returns here, with r12 = function and
 * r13 = argument placed by thread_create().
 */
	.globl thread_trampoline
thread_trampoline:
	call thread_first_run
	mov %r13, %rdi
	call *%r12
	call thread_exit
	ud2

/* void enter_user(struct trapframe *tf): leave for user space through tf. */
	.globl enter_user
enter_user:
	mov %rdi, %rsp
	jmp trap_return
