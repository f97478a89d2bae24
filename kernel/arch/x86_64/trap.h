/*
 * trap.h - the register frame saved on entry to the kernel.
 *
 * entry.S builds one struct trapframe for every interrupt, exception and
 * system call, at the top of the kernel stack when coming from user space.
 * The layout is shared with assembly; keep the offsets below in sync.
 */
#pragma once

#define TF_VECTOR 120
#define TF_ERROR 128
#define TF_RIP 136
#define TF_CS 144
#define TF_RFLAGS 152
#define TF_RSP 160
#define TF_SS 168
#define TF_SIZE 176

/* Segment selectors (Linux's values, which signal frames expose). */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SEL 0x40

/* Exception vectors */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_NM 7
#define VEC_DF 8
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17
#define VEC_MC 18
#define VEC_XM 19
#define VEC_VE 20
#define VEC_CP 21

/* Device and IPI vectors */
#define VEC_IRQ_BASE 0x30 /* IOAPIC pins are routed from here up */
#define VEC_PIC_BASE 0x20 /* the masked 8259s, for their spurious IRQs */
#define VEC_RESCHED 0xf0  /* IPI: reschedule */
#define VEC_TLB 0xf1      /* IPI: TLB shootdown */
#define VEC_STOP 0xf2     /* IPI: stop (panic) */
#define VEC_CALL 0xf3     /* IPI: run a function */
#define VEC_TIMER 0xfd    /* LAPIC timer */
#define VEC_LAPIC_ERROR 0xfe
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL 0x100 /* not a real vector: marks a syscall frame */

/* IST slots (1-based as in the IDT) */
#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3

#ifndef __ASSEMBLER__
#include "lib/types.h"

struct cpu;

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(__builtin_offsetof(struct trapframe, vector) == TF_VECTOR, "trapframe");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "trapframe");
_Static_assert(__builtin_offsetof(struct trapframe, ss) == TF_SS, "trapframe");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe");

static inline bool tf_from_user(const struct trapframe *tf)
{
    return (tf->cs & 3) == 3;
}

/* Called by entry.S for every interrupt and exception. */
void trap_dispatch(struct trapframe *tf);

/* An interrupt handler for a device or IPI vector. */
typedef void (*irq_handler_t)(struct trapframe *tf, void *arg);

/*
 * irq_set_handler installs fn for vector (0x20..0xff); the handler runs
 * with IRQs off and must be short. The LAPIC EOI is sent by the dispatcher.
 * name (copied, cut to IRQ_NAME_MAX - 1 bytes) is what /proc/interrupts shows.
 */
#define IRQ_NAME_MAX 32
void irq_set_handler(unsigned int vector, irq_handler_t fn, void *arg, const char *name);

/*
 * The name of vector's handler into buf (size IRQ_NAME_MAX); false when
 * the vector has none.
 */
bool irq_handler_name(unsigned int vector, char *buf);

/* Allocate a free device vector; -1 when none is left. */
int irq_alloc_vector(void);

/* Print registers and a backtrace of the frame (panic and fault paths). */
void trap_dump(const struct trapframe *tf);

/* Set up the IDT (boot CPU) and load it (every CPU). */
void idt_init(void);
void idt_load(void);

/* GDT and TSS for CPU c, then load them. */
void gdt_init(struct cpu *c);

/* Enable SYSCALL/SYSRET on this CPU. */
void syscall_init(void);

/* Exception-table lookup: the fixup address for a faulting kernel RIP, or 0. */
uintptr_t extable_lookup(uintptr_t rip);
#endif
