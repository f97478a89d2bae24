/*
 * trampoline.S - how an application processor gets from real mode to C.
 *
 * The boot CPU copies this blob to TRAMPOLINE_PA (below 1 MiB) and fills the
 * parameter block at its end, then sends INIT and STARTUP IPIs. The AP
 * starts in 16-bit real mode at TRAMPOLINE_PA, switches to protected mode
 * and then long mode on boot.S's page tables (which identity-map the first
 * 4 GiB), and jumps to ap_entry64 in the higher half, which loads the
 * kernel's page tables and calls ap_main(cpu).
 *
 * The blob is assembled to run at TRAMPOLINE_PA: every absolute address is
 * written as (label - trampoline_start + TRAMPOLINE_PA).
 */
#include "arch/x86_64/smpboot.h"

#define ABS(x) ((x) - trampoline_start + TRAMPOLINE_PA)

	.section .rodata
	.balign 16
	.globl trampoline_start, trampoline_end
trampoline_start:
	.code16
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl ABS(tr_gdt_desc)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ABS(tr_pm32)

	.code32
tr_pm32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %cr4, %eax
	or $0x20, %eax /* PAE */
	mov %eax, %cr4
	mov ABS(tr_boot_cr3), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or ABS(tr_efer), %eax /* LME, and NXE/SCE as the boot CPU has them */
	wrmsr
	mov %cr0, %eax
	or $0x80010000, %eax /* PG | WP */
	mov %eax, %cr0
	ljmpl $0x18, $ABS(tr_lm64)

	.code64
tr_lm64:
	mov $0x20, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov ABS(tr_stack), %rsp
	mov ABS(tr_cpu), %rdi
	mov ABS(tr_kernel_cr3), %rsi
	mov ABS(tr_entry), %rax
	jmp *%rax

	.balign 16
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
	.quad 0x00af9a000000ffff /* 0x18: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x20: data */
tr_gdt_end:
tr_gdt_desc:
	.word tr_gdt_end - tr_gdt - 1
	.long ABS(tr_gdt)

	/* Parameter block, filled by the boot CPU (offsets in smpboot.h). */
	.balign 8
	.globl trampoline_params
trampoline_params:
tr_boot_cr3:
	.quad 0
tr_efer:
	.quad 0
tr_stack:
	.quad 0
tr_cpu:
	.quad 0
tr_kernel_cr3:
	.quad 0
tr_entry:
	.quad 0
trampoline_end:

	.text
	.code64
/* rdi = struct cpu *, rsi = kernel page table, rsp = the AP's idle stack. */
	.globl ap_entry64
ap_entry64:
	mov %rsi, %cr3
	xor %ebp, %ebp
	call ap_main
1:	hlt
	jmp 1b
