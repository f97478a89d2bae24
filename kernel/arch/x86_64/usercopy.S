/*
 * usercopy.S - copying between kernel and user memory with fault recovery.
 *
 * Every instruction that touches user memory has an exception-table entry
 * (section __ex_table: the instruction and where to continue). A page fault
 * there first tries demand paging (linux/fault.c via traps.c); when the
 * address is truly bad, traps.c resumes at the fixup, which returns the
 * failure. Callers (uaccess.h) have checked that the range is below
 * USER_TOP; SMAP is lifted (stac) only for the duration of the copy.
 */

/* stac/clac fault (#UD) on CPUs without SMAP: only use them where present. */
.macro SMAP_ALLOW
	cmpb $0, cpu_has_smap(%rip)
	je 91f
	stac
91:
.endm

.macro SMAP_DENY
	cmpb $0, cpu_has_smap(%rip)
	je 92f
	clac
92:
.endm

.macro EXTABLE insn, fixup
	.pushsection __ex_table, "a"
	.balign 4
	.long \insn - .
	.long \fixup - .
	.popsection
.endm

	.text
/*
 * size_t raw_copy_user(void *dst, const void *src, size_t n): bytes NOT copied.
 *
 * Eight bytes per step (rep movsq), then the tail: QEMU's TCG steps string
 * instructions one element at a time, so this is about eight times faster
 * there than rep movsb and no slower on hardware. A fault in the quadword
 * loop restarts the rest byte by byte, so the count left is exact.
 */
	.globl raw_copy_user
raw_copy_user:
	mov %rdx, %rcx
	shr $3, %rcx
	and $7, %edx
	SMAP_ALLOW
1:	rep movsq
	mov %rdx, %rcx
2:	rep movsb
	SMAP_DENY
	xor %eax, %eax
	ret
3:	lea (%rdx, %rcx, 8), %rcx
	jmp 2b
4:	SMAP_DENY
	mov %rcx, %rax
	ret
	EXTABLE 1b, 3b
	EXTABLE 2b, 4b

/* size_t raw_clear_user(void *dst, size_t n): bytes NOT cleared (as above). */
	.globl raw_clear_user
raw_clear_user:
	mov %rsi, %rcx
	shr $3, %rcx
	and $7, %esi
	xor %eax, %eax
	SMAP_ALLOW
1:	rep stosq
	mov %rsi, %rcx
2:	rep stosb
	SMAP_DENY
	ret
3:	lea (%rsi, %rcx, 8), %rcx
	jmp 2b
4:	SMAP_DENY
	mov %rcx, %rax
	ret
	EXTABLE 1b, 3b
	EXTABLE 2b, 4b

/*
 * long raw_strncpy_user(char *dst, const char *src, size_t n):
 * length copied without the NUL (NUL included in the copy), n when no NUL
 * within n bytes, or -14 (EFAULT).
 */
	.globl raw_strncpy_user
raw_strncpy_user:
	xor %eax, %eax
	SMAP_ALLOW
3:	cmp %rdx, %rax
	je 5f
1:	movb (%rsi, %rax), %cl
	movb %cl, (%rdi, %rax)
	test %cl, %cl
	jz 5f
	inc %rax
	jmp 3b
5:	SMAP_DENY
	ret
2:	SMAP_DENY
	mov $-14, %rax
	ret
	EXTABLE 1b, 2b

/* int raw_get_user64(uint64_t *dst, const uint64_t *uptr): 0 or -EFAULT. */
	.globl raw_get_user64
raw_get_user64:
	SMAP_ALLOW
1:	mov (%rsi), %rax
	SMAP_DENY
	mov %rax, (%rdi)
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b

/* int raw_get_user32(uint32_t *dst, const uint32_t *uptr): 0 or -EFAULT. */
	.globl raw_get_user32
raw_get_user32:
	SMAP_ALLOW
1:	mov (%rsi), %eax
	SMAP_DENY
	mov %eax, (%rdi)
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b

/* int raw_put_user64(uint64_t *uptr, uint64_t v): 0 or -EFAULT. */
	.globl raw_put_user64
raw_put_user64:
	SMAP_ALLOW
1:	mov %rsi, (%rdi)
	SMAP_DENY
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b

/* int raw_put_user32(uint32_t *uptr, uint32_t v): 0 or -EFAULT. */
	.globl raw_put_user32
raw_put_user32:
	SMAP_ALLOW
1:	mov %esi, (%rdi)
	SMAP_DENY
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b

/*
 * int raw_cmpxchg_user32(uint32_t *uptr, uint32_t old, uint32_t new, uint32_t *cur):
 * atomically replace *uptr by new if it equals old; *cur gets the value
 * found. 0 or -EFAULT. (futex)
 */
	.globl raw_cmpxchg_user32
raw_cmpxchg_user32:
	mov %esi, %eax
	SMAP_ALLOW
1:	lock cmpxchg %edx, (%rdi)
	SMAP_DENY
	mov %eax, (%rcx)
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b

/*
 * int raw_atomic_op_user32(uint32_t *uptr, int op, uint32_t arg, uint32_t *old):
 * FUTEX_WAKE_OP's operations; a cmpxchg loop. op: 0 set, 1 add, 2 or,
 * 3 andn, 4 xor. 0 or -EFAULT.
 */
	.globl raw_atomic_op_user32
raw_atomic_op_user32:
	mov %rcx, %r9
	SMAP_ALLOW
1:	mov (%rdi), %eax
3:	mov %eax, %r8d
	cmp $0, %esi
	jne 10f
	mov %edx, %r8d
	jmp 20f
10:	cmp $1, %esi
	jne 11f
	add %edx, %r8d
	jmp 20f
11:	cmp $2, %esi
	jne 12f
	or %edx, %r8d
	jmp 20f
12:	cmp $3, %esi
	jne 13f
	mov %edx, %r10d
	not %r10d
	and %r10d, %r8d
	jmp 20f
13:	xor %edx, %r8d
20:
4:	lock cmpxchg %r8d, (%rdi)
	jnz 3b
	SMAP_DENY
	mov %eax, (%r9)
	xor %eax, %eax
	ret
2:	SMAP_DENY
	mov $-14, %eax
	ret
	EXTABLE 1b, 2b
	EXTABLE 4b, 2b
