/*
 * unpack.S - the packed boot image: unpacks the kernel, then boots it.
 *
 * build/eggos.elf is this code, the kernel's loadable bytes compressed in
 * the LZ4 block format (tools/kpack, internal/lz4), and the same boot
 * headers as the kernel (bootheader.S.inc). unpack.ld links it; the generated
 * kpack.ld gives the addresses (KPACK_*). The image's first segment
 * reserves, without file bytes, the physical range the kernel will occupy,
 * so loaders place nothing there; the code and payload sit above it.
 *
 * A loader enters in 32-bit protected mode with paging off, as it would
 * enter the kernel: unpack_pvh (the PVH note; %ebx: hvm_start_info) or
 * unpack_mb2 (the ELF entry; %eax: multiboot2 magic, %ebx: its
 * information). We timestamp the entry, decode the payload to
 * KPACK_DEST, write the timestamp to the kernel's boot_entry_tsc (so its
 * clock still starts at the first instruction) and the time we are done
 * to boot_unpacked_tsc right after it, restore %eax and %ebx and
 * jump to the kernel's own entry for the same protocol. The decoder checks
 * every length against the input and the output, and a payload that does
 * not end exactly at KPACK_END stops with a message on COM1 and the
 * kernel's panic status.
 *
 * Not part of the kernel objects: the Makefile assembles and links it alone.
 */
#include "arch/x86_64/bootheader.S.inc"

	MB2_HEADER
	PVH_NOTE unpack_pvh

/* For the decoder: a length field of 15 goes on in the input's next
 * bytes, added up to the first below 255. */
.macro LENGTH_BYTES len, tmp
more\@:
	cmp %ebx, %esi
	jae corrupt
	movzbl (%esi), \tmp
	inc %esi
	add \tmp, \len
	cmp $255, \tmp
	je more\@
.endm

	.text
	.code32
	.globl unpack_pvh, unpack_mb2
unpack_pvh:
	cli
	cld
	movl $KPACK_PVH_ENTRY, next_entry
	jmp unpack
unpack_mb2:
	cli
	cld
	movl $KPACK_MB2_ENTRY, next_entry

unpack:
	mov %eax, saved_eax
	mov %ebx, saved_ebx
	rdtsc
	mov %eax, entry_tsc
	mov %edx, entry_tsc + 4

	/* A CPU without long mode gets the kernel's message, not a fault on
	 * an SSE instruction below (every 64-bit CPU has SSE2). */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode

	/* SSE for 16-byte copies; the kernel gets CR0 and CR4 back as the
	 * loader left them. */
	mov %cr0, %eax
	mov %eax, saved_cr0
	and $~0xc, %eax /* EM, TS */
	or $0x2, %eax   /* MP */
	mov %eax, %cr0
	mov %cr4, %eax
	mov %eax, saved_cr4
	or $0x600, %eax /* OSFXSR, OSXMMEXCPT */
	mov %eax, %cr4

	mov $payload, %esi
	mov $payload_end, %ebx
	mov $KPACK_DEST, %edi
	mov $KPACK_END, %ebp

	/*
	 * LZ4 block decoder. %esi: input, %ebx: input end, %edi: output,
	 * %ebp: output end. Each sequence: a token, literals, a 16-bit
	 * offset and a match; the last one ends after its literals. Copies
	 * go 16 bytes at a time and may write up to 15 bytes past their
	 * end, which later sequences overwrite, so only where at least
	 * that much output is left; the payload is followed by 16 bytes of
	 * padding for the same reason. Everything else goes byte by byte.
	 * No stack: loaders do not give one, so spills go to saved_input.
	 */
sequence:
	cmp %ebx, %esi
	jae corrupt
	movzbl (%esi), %eax /* token */
	inc %esi
	mov %eax, %ecx
	shr $4, %ecx /* literal length */
	cmp $15, %ecx
	jne 2f
	LENGTH_BYTES %ecx, %edx
2:	mov %ebx, %edx
	sub %esi, %edx
	cmp %edx, %ecx
	ja corrupt /* past the input */
	mov %ebp, %edx
	sub %edi, %edx
	cmp %edx, %ecx
	ja corrupt /* past the output */
	/* Most literal runs are short: one 16-byte copy. */
	cmp $16, %ecx
	ja 3f
	cmp $16, %edx
	jb 3f
	movdqu (%esi), %xmm0
	movdqu %xmm0, (%edi)
	add %ecx, %esi
	add %ecx, %edi
	jmp 4f
3:	rep movsb
4:	cmp %ebx, %esi
	je done /* the last sequence has no match */

	mov %ebx, %edx
	sub %esi, %edx
	cmp $2, %edx
	jb corrupt
	movzwl (%esi), %edx /* offset */
	add $2, %esi
	and $15, %eax
	lea 4(%eax), %ecx /* match length */
	cmp $15, %eax
	jne 6f
	LENGTH_BYTES %ecx, %eax
6:	mov %edi, %eax
	sub $KPACK_DEST, %eax
	test %edx, %edx
	jz corrupt
	cmp %eax, %edx
	ja corrupt /* before the output's start */
	mov %ebp, %eax
	sub %edi, %eax
	cmp %eax, %ecx
	ja corrupt /* past the output */
	sub %ecx, %eax
	cmp $15, %eax
	jb bytes /* too near the end for 16-byte copies */
	mov %esi, saved_input
	mov %edi, %esi
	sub %edx, %esi /* the match's source */
	cmp $16, %edx
	jae wide
	/*
	 * Offset below 16: a repeating pattern. Copy its first k bytes one
	 * by one, k the smallest multiple of the offset >= 16; after that
	 * the output repeats with period k too, so the rest can be copied
	 * from k back, 16 bytes at a time.
	 */
	mov %edx, %eax
7:	cmp $16, %eax
	jae 8f
	add %edx, %eax
	jmp 7b
8:	cmp %eax, %ecx
	jbe 9f /* no longer than k: all by bytes */
	mov %eax, %edx /* k, the offset from now on */
	sub %edx, %ecx
	mov %ecx, %eax /* what is left after the first k */
	mov %edx, %ecx
	rep movsb
	mov %eax, %ecx
	mov %edi, %esi
	sub %edx, %esi
	jmp wide
9:	rep movsb
	mov saved_input, %esi
	jmp sequence
	/* The source is at least 16 bytes back: every 16 bytes read are
	 * final before they are read. */
wide:
	movdqu (%esi), %xmm0
	movdqu %xmm0, (%edi)
	add $16, %esi
	add $16, %edi
	sub $16, %ecx
	ja wide
	add %ecx, %edi /* back over the overshoot (%ecx is 0 or negative) */
	mov saved_input, %esi
	jmp sequence
bytes:
	mov %esi, saved_input
	mov %edi, %esi
	sub %edx, %esi
	rep movsb
	mov saved_input, %esi
	jmp sequence

done:
	cmp %ebp, %edi
	jne corrupt
	/* The kernel's boot_entry_tsc, then boot_unpacked_tsc. */
	mov entry_tsc, %eax
	mov %eax, KPACK_ENTRY_TSC
	mov entry_tsc + 4, %eax
	mov %eax, KPACK_ENTRY_TSC + 4
	rdtsc
	mov %eax, KPACK_ENTRY_TSC + 8
	mov %edx, KPACK_ENTRY_TSC + 12
	mov saved_cr4, %eax
	mov %eax, %cr4
	mov saved_cr0, %eax
	mov %eax, %cr0
	mov saved_eax, %eax
	mov saved_ebx, %ebx
	jmp *next_entry

no_long_mode:
	mov $no_long_mode_msg, %esi
	jmp fail
corrupt:
	mov $corrupt_msg, %esi
	/* Say why on COM1; under a hypervisor, exit through QEMU's
	 * isa-debug-exit with the kernel's panic status (EXIT_KERNEL_PANIC,
	 * 125), as panic() does; where that is not there, halt. */
fail:
	lodsb
	test %al, %al
	jz 1f
	mov $0x3f8, %dx
	out %al, %dx
	jmp fail
1:	mov $1, %eax
	cpuid
	bt $31, %ecx
	jnc 2f
	mov $125, %eax
	mov $0xf4, %dx
	out %eax, %dx
2:	hlt
	jmp 2b

	.section .rodata
corrupt_msg:
	.asciz "EggOS: the packed kernel image is corrupt; rebuild it\r\n"
no_long_mode_msg:
	.asciz "EggOS: this CPU has no 64-bit long mode\r\n"

	.section .payload, "a"
payload:
	.incbin KPACK_PAYLOAD
payload_end:
	.fill 16 /* read, never used, by the last 16-byte copy */

	.bss
	.balign 8
entry_tsc:
	.quad 0
saved_eax:
	.long 0
saved_ebx:
	.long 0
saved_cr0:
	.long 0
saved_cr4:
	.long 0
next_entry:
	.long 0
saved_input:
	.long 0
