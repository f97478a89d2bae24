/*
 * sched.c - run queues, schedule(), wakeups and preemption.
 *
 * Each CPU has a run queue (FIFO of RUNNABLE threads that are not running)
 * guarded by its lock. The lock is held across the context switch: taken
 * by the outgoing thread in schedule(), released by the incoming one in
 * finish_switch() (or thread_first_run() for a new thread). That makes
 * "current" and "on_rq" consistent for thread_wake() on any CPU.
 *
 * A thread runs on the CPU whose queue it is on; wakeups from other CPUs
 * queue it there and send a reschedule IPI. A CPU about to go idle steals
 * a queued thread from a busier CPU (never one that is running), moving
 * it under both queue locks.
 *
 * Affinity (thread->cpus_allowed): steals take only threads allowed on the
 * thief. A thread whose CPU is no longer allowed is moved when it is woken
 * or switched out: it is then RUNNABLE but on no queue and running nowhere,
 * which wake() leaves alone, and migrate() queues it on an allowed CPU
 * under both queue locks.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "sched/sched.h"
#include "sched/smp.h"
#include "sched/spinlock.h"

struct runqueue {
    spinlock_t lock;
    struct list_head ready; /* guarded by lock */
    unsigned int nr_ready;  /* guarded by lock; read racily by idle */
    struct thread *prev;    /* the thread we switched away from */
    bool migrate_prev;      /* ...which may not run here: move it (finish_switch) */
};

static struct runqueue runqueues[MAX_CPUS];

static void rq_init(struct runqueue *rq)
{
    spin_init(&rq->lock);
    list_init(&rq->ready);
    rq->nr_ready = 0;
    rq->prev = NULL;
}

static void enqueue(struct runqueue *rq, struct thread *t)
{
    assert_held(&rq->lock);
    list_add_tail(&t->rq_link, &rq->ready);
    t->on_rq = true;
    rq->nr_ready++;
}

static struct thread *dequeue(struct runqueue *rq)
{
    struct thread *t;

    assert_held(&rq->lock);
    if (list_empty(&rq->ready))
        return NULL;
    t = list_first_entry(&rq->ready, struct thread, rq_link);
    list_del(&t->rq_link);
    t->on_rq = false;
    rq->nr_ready--;
    return t;
}

static bool cpu_allowed(const struct thread *t, unsigned int cpu)
{
    uint64_t mask = READ_ONCE(t->cpus_allowed);

    return mask == CPUS_ALL || (cpu < 64 && ((mask >> cpu) & 1));
}

/*
 * Take a waiting thread from another CPU's queue for CPU `me`, whose queue
 * lock is held (so the other lock is only tried, never waited for).
 */
static struct thread *steal(unsigned int me)
{
    for (unsigned int i = 1; i < ncpus; i++) {
        unsigned int victim = (me + i) % ncpus;
        struct runqueue *vrq = &runqueues[victim];
        struct thread *t = NULL, *cand;
        uint64_t flags;

        if (cpus[victim] == NULL || READ_ONCE(vrq->nr_ready) == 0)
            continue;
        if (!spin_trylock_irqsave(&vrq->lock, &flags))
            continue;
        /* From the back: the one that would wait longest there. */
        list_for_each_entry_reverse(cand, &vrq->ready, rq_link)
        {
            if (cpu_allowed(cand, me)) {
                t = cand;
                break;
            }
        }
        if (t != NULL) {
            list_del(&t->rq_link);
            t->on_rq = false;
            vrq->nr_ready--;
            WRITE_ONCE(t->cpu, (int)me);
        }
        spin_unlock_irqrestore(&vrq->lock, flags);
        if (t != NULL)
            return t;
    }
    return NULL;
}

/* An online CPU t may run on, an idle one if there is one; 0 if none. */
static unsigned int allowed_cpu(const struct thread *t)
{
    unsigned int fallback = ncpus;

    for (unsigned int i = 0; i < ncpus; i++) {
        struct cpu *c = cpus[i];
        if (c == NULL || !c->online || !cpu_allowed(t, i))
            continue;
        if (READ_ONCE(c->current) == c->idle)
            return i;
        if (fallback == ncpus)
            fallback = i;
    }
    return fallback == ncpus ? 0 : fallback;
}

/*
 * Queue t, RUNNABLE but on no queue and running nowhere, on a CPU it may
 * run on. No queue lock held; takes t's old queue and the new one in
 * index order.
 */
static void migrate(struct thread *t)
{
    unsigned int from = (unsigned int)t->cpu, to = allowed_cpu(t);
    struct runqueue *a = &runqueues[MIN(from, to)], *b = &runqueues[MAX(from, to)];
    uint64_t flags = spin_lock_irqsave(&a->lock);

    if (b != a)
        spin_acquire(&b->lock);
    WRITE_ONCE(t->cpu, (int)to);
    enqueue(&runqueues[to], t);
    if (b != a)
        spin_release(&b->lock);
    spin_unlock_irqrestore(&a->lock, flags);
    if (to != cpu_id())
        smp_send_resched(to);
    else
        this_cpu()->need_resched = true;
}

/* Adopt the code running now (boot stack) as the CPU's idle thread. */
static void adopt_idle(struct cpu *c, struct thread *idle)
{
    idle->tid = 0;
    idle->state = THREAD_RUNNABLE;
    idle->cpu = c->id;
    list_init(&idle->rq_link);
    list_init(&idle->all_link);
    timer_init(&idle->sleep_timer, NULL, NULL);
    c->idle = idle;
    c->current = idle;
    c->stats.running = CPU_TIME_IDLE;
    c->stats.since = ktime_ns();
}

void sched_init(void)
{
    static struct thread boot_idle = {.name = "idle/0"};
    extern char boot_stack[];

    for (unsigned int i = 0; i < MAX_CPUS; i++)
        rq_init(&runqueues[i]);
    boot_idle.kstack = boot_stack;
    adopt_idle(this_cpu(), &boot_idle);
}

void sched_init_ap(void)
{
    struct thread *idle = this_cpu()->idle;

    adopt_idle(this_cpu(), idle);
}

/* Second half of a switch, run by the thread switched to. */
static void finish_switch(struct runqueue *rq)
{
    struct thread *prev = rq->prev;
    bool move = rq->migrate_prev;

    rq->prev = NULL;
    rq->migrate_prev = false;
    spin_release(&rq->lock);
    if (prev != NULL && prev->state == THREAD_DEAD)
        thread_reap(prev);
    else if (move)
        migrate(prev);
}

void thread_first_run(void)
{
    finish_switch(&runqueues[cpu_id()]);
    timers_rearm();
    irq_enable();
}

static int time_kind(struct cpu *c, struct thread *t)
{
    return t == c->idle ? CPU_TIME_IDLE : t->task != NULL ? CPU_TIME_USER : CPU_TIME_KTHREAD;
}

/* Charge the time since the last switch to what ran, for /proc/stat. IRQs off. */
static void account_switch(struct cpu *c, struct thread *next, uint64_t now)
{
    struct cpu_stats *st = &c->stats;

    st->switches++;
    st->ns[st->running] += now - st->since;
    WRITE_ONCE(st->since, now);
    WRITE_ONCE(st->running, time_kind(c, next));
}

static void __schedule(bool preempt)
{
    uint64_t flags = irq_save();
    struct cpu *c = this_cpu();
    struct runqueue *rq = &runqueues[c->id];
    struct thread *prev = c->current, *next;
    uint64_t now = ktime_ns();

    if (prev->preempt_count != 0 && preempt)
        goto out_irq;
    spin_acquire(&rq->lock);
    c->need_resched = false;
    /* A preempted thread stays runnable whatever it was about to do. */
    bool move = false;
    if (prev != c->idle && prev->state != THREAD_DEAD &&
        (prev->state == THREAD_RUNNABLE || preempt)) {
        if (prev->state == THREAD_RUNNABLE && !cpu_allowed(prev, c->id))
            move = true; /* to a CPU it may run on, once switched out */
        else
            enqueue(rq, prev);
    }
    next = dequeue(rq);
    if (next == NULL)
        next = steal(c->id);
    if (next == NULL)
        next = c->idle;
    if (next == prev) { /* not when moving: prev is on no queue then */
        prev->slice_end = now + SCHED_SLICE_NS;
        spin_release(&rq->lock);
        goto out_irq;
    }
    /*
     * The idle loop may be switched away from in the middle of its poll
     * (an interrupt woke a thread and preempted it): the flag must not
     * outlive the poll, or every IPI to this CPU, a signal's kick among
     * them, would be skipped while a thread spins here in user mode.
     * Cleared under the queue lock, so a waker that enqueues after us sees
     * it; the fence orders it before this CPU's next look at sigpending.
     */
    if (prev == c->idle && READ_ONCE(c->idle_polling)) {
        WRITE_ONCE(c->idle_polling, false);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    prev->runtime_ns += now - prev->switched_in;
    account_switch(c, next, now);
    next->switched_in = now;
    next->slice_end = now + SCHED_SLICE_NS;
    rq->prev = prev;
    rq->migrate_prev = move;
    c->current = next;
    arch_switch_to(prev, next);
    /* Back in prev, possibly much later. */
    finish_switch(&runqueues[cpu_id()]);
    timers_rearm();
out_irq:
    irq_restore(flags);
}

void schedule(void)
{
    __schedule(false);
}

void sched_yield(void)
{
    __schedule(true);
}

void sched_preempt_irq(void)
{
    struct cpu *c = this_cpu();

    if (c->need_resched && c->current->preempt_count == 0)
        __schedule(true);
}

void sched_block(int flags)
{
    struct thread *t = current_thread();

    t->sleep_flags = flags;
    WRITE_ONCE(t->state, THREAD_BLOCKED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void sched_unblock_self(void)
{
    WRITE_ONCE(current_thread()->state, THREAD_RUNNABLE);
}

static bool wake(struct thread *t, bool only_interruptible)
{
    struct runqueue *rq;
    bool woke = false, rearm = false, move = false;
    uint64_t flags;

    /* t->cpu changes only under its queue lock (stealing): lock, recheck. */
    for (;;) {
        int cpu = READ_ONCE(t->cpu);
        rq = &runqueues[cpu];
        flags = spin_lock_irqsave(&rq->lock);
        if (READ_ONCE(t->cpu) == cpu)
            break;
        spin_unlock_irqrestore(&rq->lock, flags);
    }

    if (t->state == THREAD_BLOCKED &&
        (!only_interruptible || (t->sleep_flags & SLEEP_INTERRUPTIBLE))) {
        t->state = THREAD_RUNNABLE;
        woke = true;
        /* Running (not yet switched out) or preempted threads need no queueing. */
        if (!t->on_rq && cpus[t->cpu]->current != t && !cpu_allowed(t, (unsigned int)t->cpu)) {
            move = true; /* its affinity changed while it slept */
        } else if (!t->on_rq && cpus[t->cpu]->current != t) {
            enqueue(rq, t);
            if ((unsigned int)t->cpu != cpu_id())
                smp_send_resched(t->cpu);
            else if (this_cpu()->current == this_cpu()->idle)
                this_cpu()->need_resched = true;
            else
                rearm = true;
        }
    }
    spin_unlock_irqrestore(&rq->lock, flags);
    /*
     * A thread now waits behind the running one on this CPU: the timer must
     * end the running thread's slice, or a thread spinning in user mode
     * would keep the CPU until some unrelated interrupt came.
     */
    if (rearm)
        timers_rearm();
    if (move)
        migrate(t);
    return woke;
}

bool thread_wake(struct thread *t)
{
    return wake(t, false);
}

bool thread_wake_interruptible(struct thread *t)
{
    return wake(t, true);
}

static void sleep_timer_fn(struct timer *tm)
{
    thread_wake(tm->arg);
}

void schedule_until(uint64_t deadline)
{
    struct thread *t = current_thread();

    if (deadline != 0) {
        if (deadline <= ktime_ns()) {
            sched_unblock_self();
            return;
        }
        uint64_t slack = t->timer_slack_ns;
        timer_init(&t->sleep_timer, sleep_timer_fn, t);
        timer_add_slack(&t->sleep_timer,
                        deadline > UINT64_MAX - slack ? UINT64_MAX : deadline + slack, slack);
    }
    schedule();
    if (deadline != 0)
        timer_cancel(&t->sleep_timer);
}

int thread_sleep_until(uint64_t deadline, int flags)
{
    struct thread *t = current_thread();

    for (;;) {
        sched_block(flags);
        if (ktime_ns() >= deadline) {
            sched_unblock_self();
            return 0;
        }
        if ((flags & SLEEP_INTERRUPTIBLE) && t->sigpending) {
            sched_unblock_self();
            return -EINTR;
        }
        schedule_until(deadline);
    }
}

void sched_tick(uint64_t now)
{
    struct cpu *c = this_cpu();
    struct runqueue *rq = &runqueues[c->id];

    if (READ_ONCE(rq->nr_ready) > 0 && (c->current == c->idle || now >= c->current->slice_end))
        c->need_resched = true;
}

uint64_t sched_slice_deadline(void)
{
    struct cpu *c = this_cpu();

    /* Nothing waits, or a reschedule is already due: no slice interrupt. */
    if (c->current == c->idle || c->need_resched || READ_ONCE(runqueues[c->id].nr_ready) == 0)
        return UINT64_MAX;
    return c->current->slice_end;
}

unsigned int sched_nr_ready(void)
{
    return READ_ONCE(runqueues[cpu_id()].nr_ready);
}

void sched_enqueue_new(struct thread *t, int cpu)
{
    struct runqueue *rq;
    uint64_t flags;

    if (!cpu_allowed(t, (unsigned int)cpu))
        cpu = (int)allowed_cpu(t);
    rq = &runqueues[cpu];
    flags = spin_lock_irqsave(&rq->lock);

    t->cpu = cpu;
    t->state = THREAD_RUNNABLE;
    enqueue(rq, t);
    bool rearm = false;
    if ((unsigned int)cpu != cpu_id())
        smp_send_resched(cpu);
    else if (this_cpu()->current == this_cpu()->idle)
        this_cpu()->need_resched = true;
    else
        rearm = true; /* end the running thread's slice (see wake()) */
    spin_unlock_irqrestore(&rq->lock, flags);
    if (rearm)
        timers_rearm();
}

int sched_set_affinity(struct thread *t, uint64_t mask)
{
    uint64_t online = sched_get_affinity(NULL);

    if ((mask & online) == 0)
        return -EINVAL;
    /* Every online CPU allowed: the same as no restriction (CPUs >= 64 too). */
    WRITE_ONCE(t->cpus_allowed, (mask & online) == online ? CPUS_ALL : mask);
    if (t == current_thread() && !cpu_allowed(t, cpu_id()))
        sched_yield(); /* switched out here, queued on an allowed CPU */
    return 0;
}

uint64_t sched_get_affinity(struct thread *t)
{
    uint64_t online = 0;

    for (unsigned int i = 0; i < ncpus && i < 64; i++)
        if (cpus[i] != NULL && cpus[i]->online && (t == NULL || cpu_allowed(t, i)))
            online |= 1ul << i;
    return online;
}

void preempt_disable(void)
{
    current_thread()->preempt_count++;
    barrier();
}

void preempt_enable(void)
{
    barrier();
    current_thread()->preempt_count--;
}

/* Does another CPU have threads waiting that this idle CPU could run? */
static bool others_busy(unsigned int me)
{
    for (unsigned int i = 0; i < ncpus; i++) {
        if (i != me && READ_ONCE(runqueues[i].nr_ready) > 0)
            return true;
    }
    return false;
}

/*
 * How long an idle CPU polls its run queue before it halts (idle_poll_us=,
 * default IDLE_POLL_NS). A halted CPU must be woken by an IPI: an exit to
 * the hypervisor for the waker and an interrupt for this CPU. Work that
 * comes within the poll is picked up without either.
 */
#define IDLE_POLL_NS (50 * NSEC_PER_USEC)
static uint64_t idle_poll_ns = IDLE_POLL_NS;

static int set_idle_poll(const char *val)
{
    return param_us_to_ns(val, 10000, &idle_poll_ns);
}
KERNEL_PARAM("idle_poll_us", set_idle_poll);

static bool idle_has_work(struct cpu *c)
{
    return c->need_resched || READ_ONCE(runqueues[c->id].nr_ready) > 0 || others_busy(c->id);
}

void sched_idle(void)
{
    struct cpu *c = this_cpu();

    for (;;) {
        if (idle_poll_ns != 0 && !idle_has_work(c)) {
            uint64_t end = ktime_ns() + idle_poll_ns;
            WRITE_ONCE(c->idle_polling, true);
            while (!idle_has_work(c) && ktime_ns() < end)
                cpu_relax();
            WRITE_ONCE(c->idle_polling, false);
            /* Wakers read idle_polling after their enqueue (smp_send_resched). */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
        }
        irq_disable();
        if (idle_has_work(c)) {
            irq_enable();
            schedule();
            continue;
        }
        irq_enable_and_halt();
    }
}
