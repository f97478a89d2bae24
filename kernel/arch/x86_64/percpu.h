/*
 * percpu.h - the per-CPU block, reached through the GS base.
 *
 * In the kernel, GS base points at this CPU's struct cpu; the first field
 * points back at it so this_cpu() is one load. Entry from user space swaps
 * GS (swapgs) so the user's GS base is kept in KERNEL_GS_BASE meanwhile.
 * Fields read by assembly have fixed offsets, checked below.
 */
#pragma once

#ifndef __ASSEMBLER__
#include "lib/types.h"
#endif

#define MAX_CPUS 256

/* Offsets used by entry.S. */
#define CPU_OFF_CURRENT 8
#define CPU_OFF_KERNEL_RSP 16
#define CPU_OFF_USER_RSP 24

#ifndef __ASSEMBLER__
struct thread;

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

#define GDT_ENTRIES 10

/* What a CPU spends its time on (struct cpu_stats). */
#define CPU_TIME_KTHREAD 0 /* kernel threads */
#define CPU_TIME_USER 1    /* application threads, their system calls included */
#define CPU_TIME_IDLE 2

struct cpu {
    struct cpu *self;
    struct thread *current;
    uint64_t kernel_rsp; /* top of the current thread's kernel stack */
    uint64_t user_rsp;   /* scratch for the syscall entry */
    uint32_t id;         /* 0 .. ncpus-1; 0 is the boot CPU */
    uint32_t apic_id;
    bool need_resched; /* set by the timer or a wakeup; checked on IRQ exit */
    bool online;
    volatile uint32_t tlb_pending; /* another CPU changed page tables: flush */
    volatile uint32_t resched_ipi; /* a rescheduling IPI is on its way (smp.c) */
    volatile bool idle_polling;    /* the idle loop watches the run queue: no IPI needed */
    struct thread *idle;
    /*
     * For /proc/stat and /proc/interrupts: written only by this CPU (with
     * IRQs off or from its own interrupt path), read by anyone, unlocked.
     */
    struct cpu_stats {
        uint64_t irqs[256]; /* interrupts and exceptions taken, by vector */
        uint64_t switches;  /* context switches */
        /* Time up to the last switch, by what ran: CPU_TIME_* */
        uint64_t ns[3];
        uint64_t since; /* the last switch (monotonic ns) */
        int running;    /* CPU_TIME_* of the thread running since then */
    } stats;
    uint64_t gdt[GDT_ENTRIES] __aligned(16);
    struct tss tss __aligned(16);
    void *ist_stacks[3];
};

_Static_assert(__builtin_offsetof(struct cpu, current) == CPU_OFF_CURRENT, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, kernel_rsp) == CPU_OFF_KERNEL_RSP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_OFF_USER_RSP, "cpu layout");

extern struct cpu *cpus[MAX_CPUS];
extern unsigned int ncpus;

static __always_inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
    return c;
}

static __always_inline struct thread *current_thread(void)
{
    struct thread *t;
    __asm__ __volatile__("movq %%gs:8, %0" : "=r"(t));
    return t;
}

static __always_inline unsigned int cpu_id(void)
{
    unsigned int id;
    __asm__ __volatile__("movl %%gs:%c1, %0" : "=r"(id) : "i"(__builtin_offsetof(struct cpu, id)));
    return id;
}

/* Point GS base at c; done once per CPU at bring-up. */
void percpu_install(struct cpu *c);

/* Flush this CPU's TLB for a pending shootdown (sched/smp.c). */
void tlb_flush_pending(void);

/*
 * Busy-wait step: every loop that spins (locks, waiting for another CPU)
 * uses this, so a TLB shootdown aimed at this CPU is served even while it
 * spins with interrupts off, and shootdowns can never deadlock.
 */
static __always_inline void spin_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
    if (__builtin_expect(this_cpu()->tlb_pending != 0, 0))
        tlb_flush_pending();
}
#endif
