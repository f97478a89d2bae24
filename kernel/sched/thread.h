/*
 * thread.h - kernel threads, the unit the scheduler runs.
 *
 * Every thread has a kernel stack (with a guard page below it). A user
 * thread additionally has a trapframe at the top of that stack, an FPU
 * (XSAVE) area, an FS base and a pointer to its Linux-side state (signals,
 * the process it belongs to); see linux/task.h. Kernel threads leave those
 * NULL/0.
 *
 * Life cycle: thread_create() -> RUNNABLE (running, or waiting on a run
 * queue) <-> BLOCKED (waiting; woken by thread_wake()) -> DEAD
 * (thread_exit(); the stack is freed by the next thread to run on that CPU).
 */
#pragma once

#include "arch/x86_64/trap.h"
#include "lib/list.h"
#include "sched/timer.h"

enum thread_state {
    THREAD_RUNNABLE, /* running, or queued to run */
    THREAD_BLOCKED,  /* waiting for thread_wake() */
    THREAD_DEAD,
};

/* Sleep flags */
#define SLEEP_INTERRUPTIBLE 0x1 /* a signal ends the sleep (-EINTR) */

struct task;
struct mm;

struct thread {
    uint64_t saved_rsp; /* kernel RSP while switched out (context_switch) */
    void *kstack;       /* lowest address of the kernel stack */
    int tid;
    char name[16];

    /*
     * state, on_rq and rq_link are guarded by the run queue lock of cpu; a
     * running thread may set its own state to BLOCKED (sched_block) without
     * it. A thread is never on a run queue while it runs.
     */
    volatile int state;
    int sleep_flags;
    int cpu;
    bool on_rq;
    struct list_head rq_link;
    int preempt_count;
    /*
     * CPUs the thread may run on: bit i for CPU i (0-63); CPUS_ALL lets it
     * run anywhere, the only mask that admits CPUs from 64 up. Written by
     * sched_set_affinity, read by the scheduler; a change takes effect at
     * the thread's next scheduling point (wakeup or switch).
     */
    uint64_t cpus_allowed;
    uint64_t slice_end;  /* monotonic ns when the time slice ends */
    uint64_t runtime_ns; /* CPU time used */
    uint64_t switched_in;

    struct timer sleep_timer; /* wakes the thread from timed sleeps */
    uint64_t timer_slack_ns;  /* its timed sleeps may end this much late (timer.h) */

    /* Architecture state of user threads. */
    struct trapframe *utf; /* user registers, top of kstack */
    void *fpu;             /* XSAVE area (64-byte aligned) */
    void *fpu_alloc;       /* what kmalloc returned for fpu */
    uint64_t fs_base;
    struct mm *mm; /* address space, NULL for kernel threads */

    struct task *task;        /* Linux-side state; NULL for kernel threads */
    volatile bool sigpending; /* set by the signal code: interrupt sleeps */

    struct list_head all_link; /* guarded by threads_lock */
};

/*
 * thread_create makes a kernel thread that runs fn(arg) and exits when fn
 * returns. It is not yet runnable: call thread_start(). Returns NULL when
 * out of memory.
 */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);

#define CPUS_ALL UINT64_MAX

/* Put a new thread on a run queue (this CPU's unless cpu >= 0; one it may run on). */
void thread_start(struct thread *t, int cpu);

/* End the calling thread. */
void thread_exit(void) __noreturn;

/* Print every thread and what it is doing (NMI, debugging). */
void thread_dump(void);

/* Number of threads alive (not DEAD), for tests and /proc. */
unsigned int thread_count(void);

/* Called by thread_trampoline on a new thread's first run. */
void thread_first_run(void);

/* Free a thread that was created but never started. */
void thread_discard(struct thread *t);

/* Free a dead thread's stack and memory (the scheduler calls this). */
void thread_reap(struct thread *t);

/* Allocate a thread id (never reused within a boot). */
int tid_alloc(void);
