/*
 * boot.S - from the boot loader to 64-bit C.
 *
 * Two ways in, both in 32-bit protected mode with paging off:
 *   - PVH (QEMU -kernel, Firecracker, Cloud Hypervisor): the Xen ELF note
 *     below names _start_pvh; %ebx holds the hvm_start_info address.
 *   - Multiboot2 (GRUB, BIOS and UEFI): the ELF entry _start_mb2; %eax holds
 *     the multiboot2 magic and %ebx the boot information address.
 * Both join boot32, which builds temporary page tables (identity and direct
 * map of the first 4 GiB, kernel image at -2 GiB), enters long mode and
 * jumps to kmain(protocol, info, entry_tsc, unpacked_tsc) in the higher
 * half. mm/paging.c replaces these tables once it knows the memory map.
 *
 * This code and its tables live in .boot, linked at their physical address.
 * In the packed image (build/eggos.elf) the unpacker (unpack.S) runs first,
 * decodes the kernel to where it is linked and jumps here the same way.
 */
#include "mm/layout.h"
#include "core/boot.h"
#include "arch/x86_64/bootheader.S.inc"

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	MB2_HEADER
	PVH_NOTE _start_pvh

	.section .boot.text, "ax"
	.code32
	.globl _start_pvh
_start_pvh:
	cli
	cld
	mov $BOOT_PROTO_PVH, %esi
	mov %ebx, %edi
	jmp boot32

	.globl _start_mb2
_start_mb2:
	cli
	cld
	cmp $MB2_BOOT_MAGIC, %eax
	jne boot_fail
	mov $BOOT_PROTO_MB2, %esi
	mov %ebx, %edi

boot32:
	/* Timestamp the entry before anything else, unless the unpacker
	 * (unpack.S) came first: then it wrote the time it was entered, and
	 * the time it was done to boot_unpacked_tsc. */
	mov boot_entry_tsc, %eax
	or boot_entry_tsc + 4, %eax
	jnz 0f
	rdtsc
	mov %eax, boot_entry_tsc
	mov %edx, boot_entry_tsc + 4
0:	lgdt boot_gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $boot_stack_top, %esp

	/* Long mode needs CPUID leaf 0x80000001 with LM set. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb boot_fail
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc boot_fail
	mov %edx, %ebp /* keep the extended feature bits: NX is bit 20 */

	/* Clear the table area (the loader should have, but do not rely on it). */
	mov %edi, boot_info_save
	mov $boot_tables, %edi
	xor %eax, %eax
	mov $(boot_tables_end - boot_tables) / 4, %ecx
	rep stosl
	mov boot_info_save, %edi

	/* PML4: entry 0 (identity) and 256 (direct map) share one PDPT; 511 -> high PDPT. */
	mov $boot_pdpt_low + PTE_P + PTE_W, %eax
	mov %eax, boot_pml4
	mov %eax, boot_pml4 + 256 * 8
	mov $boot_pdpt_high + PTE_P + PTE_W, %eax
	mov %eax, boot_pml4 + 511 * 8
	/* Low PDPT: four page directories covering 4 GiB. */
	mov $boot_pd, %eax
	or $(PTE_P + PTE_W), %eax
	xor %ecx, %ecx
2:	mov %eax, boot_pdpt_low(, %ecx, 8)
	add $0x1000, %eax
	inc %ecx
	cmp $4, %ecx
	jb 2b
	/* High PDPT entry 510 (-2 GiB) reuses the first directory: phys 0..1 GiB. */
	mov $boot_pd + PTE_P + PTE_W, %eax
	mov %eax, boot_pdpt_high + 510 * 8
	/* 2048 2 MiB pages. */
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P + PTE_W + PTE_PS), %eax
	mov %eax, boot_pd(, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax
	mov %eax, boot_pd + 4(, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jb 3b

	/* PAE on, CR3, EFER.LME (+NXE when the CPU has NX), then paging. */
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	bt $20, %ebp
	jnc 4f
	or $0x800, %eax
4:	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax /* PG | WP | PE */
	mov %eax, %cr0
	ljmp $0x18, $boot64

boot_fail:
	/* No long mode or a bad boot magic: say so on COM1 and stop. */
	mov $boot_fail_msg, %esi
5:	lodsb
	test %al, %al
	jz 6f
	mov $0x3f8, %dx
	out %al, %dx
	jmp 5b
6:	hlt
	jmp 6b

	.code64
boot64:
	mov $0x20, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	/* Arguments for kmain: protocol (esi), info (edi), entry TSC, unpacked TSC. */
	mov %esi, %esi
	mov %edi, %edi
	mov boot_entry_tsc, %rdx
	mov boot_unpacked_tsc, %rcx
	movabs $kstart64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
	/* Written by the unpacker, when there is one: keep them together. */
	.globl boot_entry_tsc
boot_entry_tsc:
	.quad 0
boot_unpacked_tsc:
	.quad 0
boot_info_save:
	.long 0
boot_fail_msg:
	.asciz "EggOS: this CPU has no 64-bit long mode or the boot loader is not multiboot2/PVH\r\n"
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff /* 0x10: 32-bit data */
	.quad 0x00af9a000000ffff /* 0x18: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x20: data */
boot_gdt_end:
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_tables:
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_tables_end:
	.skip 1024
boot_stack_top:

	/* The 64-bit half: set a stack and call C. */
	.text
	.globl kstart64
kstart64:
	lea boot_stack_top_hi(%rip), %rsp
	xor %ebp, %ebp
	/* rdi = protocol, rsi = info, rdx = entry tsc, rcx = unpacked tsc */
	xchg %rdi, %rsi
	mov %esi, %esi
	call kmain
7:	hlt
	jmp 7b

	.bss
	.balign 16
	.globl boot_stack, boot_stack_top_hi
boot_stack:
	.skip 16384
boot_stack_top_hi:
