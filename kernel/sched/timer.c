/*
 * timer.c - per-CPU timer lists and the timer interrupt.
 *
 * The hardware timer of a CPU always fires by the earlier of its first
 * pending timer and the end of the running thread's time slice (when
 * another thread is waiting), possibly before: a deadline that moved later
 * is not reprogrammed, the interrupt just finds nothing due and arms the
 * next one. With nothing to do the timer is left idle (tickless). Callbacks run after their timer is unlinked and the list
 * lock dropped, so a callback may take run queue locks (thread_wake).
 */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/time.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "sched/timer.h"

struct timer_base {
    spinlock_t lock;
    struct list_head pending; /* sorted by deadline; guarded by lock */
    uint64_t armed;           /* the hardware fires by then (UINT64_MAX: not armed) */
};

static struct timer_base bases[MAX_CPUS];

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->cpu = -1;
    t->running = false;
    t->deadline = 0;
    t->slack = 0;
    list_init(&t->link);
}

/*
 * Make sure the hardware fires by the earliest event. Called with
 * base->lock held. A timer already armed for that time or earlier is left
 * alone: when it fires, the interrupt finds what is due and arms the next
 * one. Programming the timer is an exit to the hypervisor (the LAPIC is
 * emulated), and every context switch asks: moving a slice end later at
 * each switch cost a write each time; now it costs an early interrupt per
 * slice at most.
 */
static void rearm_locked(struct timer_base *b)
{
    uint64_t next = sched_slice_deadline();

    if (!list_empty(&b->pending)) {
        struct timer *first = list_first_entry(&b->pending, struct timer, link);
        next = MIN(next, first->deadline);
    }
    if (next >= b->armed)
        return;
    b->armed = next;
    timer_hw_arm(next);
}

void timers_rearm(void)
{
    struct timer_base *b = &bases[cpu_id()];
    uint64_t flags = spin_lock_irqsave(&b->lock);

    rearm_locked(b);
    spin_unlock_irqrestore(&b->lock, flags);
}

static bool unlink_timer(struct timer *t)
{
    int cpu = READ_ONCE(t->cpu);
    struct timer_base *b;
    uint64_t flags;

    if (cpu < 0)
        return false;
    b = &bases[cpu];
    flags = spin_lock_irqsave(&b->lock);
    if (t->cpu != cpu) {
        /* Fired or moved meanwhile. */
        spin_unlock_irqrestore(&b->lock, flags);
        return false;
    }
    list_del(&t->link);
    t->cpu = -1;
    spin_unlock_irqrestore(&b->lock, flags);
    return true;
}

void timer_add(struct timer *t, uint64_t deadline)
{
    timer_add_slack(t, deadline, 0);
}

void timer_add_slack(struct timer *t, uint64_t deadline, uint64_t slack)
{
    struct timer_base *b;
    struct list_head *pos;
    uint64_t flags;

    unlink_timer(t);
    flags = irq_save();
    b = &bases[cpu_id()];
    spin_acquire(&b->lock);
    t->deadline = deadline;
    t->slack = MIN(MIN(slack, TIMER_SLACK_MAX), deadline);
    t->cpu = cpu_id();
    /* Insert before the first timer that expires later (FIFO among equals). */
    list_for_each (pos, &b->pending) {
        if (list_entry(pos, struct timer, link)->deadline > deadline)
            break;
    }
    list_add_tail(&t->link, pos);
    if (deadline < b->armed)
        rearm_locked(b);
    spin_release(&b->lock);
    irq_restore(flags);
}

void timer_del(struct timer *t)
{
    unlink_timer(t);
}

bool timer_cancel(struct timer *t)
{
    bool was_pending = unlink_timer(t);

    while (READ_ONCE(t->running))
        spin_relax();
    return was_pending;
}

static void timer_interrupt(struct trapframe *tf, void *arg)
{
    struct timer_base *b = &bases[cpu_id()];
    uint64_t now = ktime_ns();

    (void)tf;
    (void)arg;
    spin_acquire(&b->lock);
    for (;;) {
        struct timer *t, *due = NULL;
        /* Every timer whose range has begun; past now + TIMER_SLACK_MAX none has. */
        list_for_each_entry (t, &b->pending, link) {
            if (t->deadline > now + TIMER_SLACK_MAX)
                break;
            if (t->deadline - t->slack <= now) {
                due = t;
                break;
            }
        }
        if (due == NULL)
            break;
        list_del(&due->link);
        due->cpu = -1;
        due->running = true;
        spin_release(&b->lock);
        due->fn(due);
        WRITE_ONCE(due->running, false);
        spin_acquire(&b->lock);
        now = ktime_ns();
    }
    sched_tick(now);
    b->armed = UINT64_MAX;
    rearm_locked(b);
    spin_release(&b->lock);
}

void timers_dump(void)
{
    uint64_t now = ktime_ns();

    for (unsigned int c = 0; c < ncpus; c++) {
        struct timer_base *b = &bases[c];
        struct timer *t;
        uint64_t flags;
        int n = 0;

        if (!spin_trylock_irqsave(&b->lock, &flags)) {
            printk(LOG_EMERG, "timers cpu %u: busy\n", c);
            continue;
        }
        printk(LOG_EMERG, "timers cpu %u: now %lu armed %lu\n", c, now, b->armed);
        list_for_each_entry (t, &b->pending, link) {
            if (n++ < 8)
                printk(LOG_EMERG, "  timer %p deadline %lu (%+ld ms) fn %p\n", (void *)t,
                       t->deadline, ((int64_t)t->deadline - (int64_t)now) / 1000000, (void *)t->fn);
        }
        spin_unlock_irqrestore(&b->lock, flags);
    }
}

void timers_init_cpu(void)
{
    struct timer_base *b = &bases[cpu_id()];

    spin_init(&b->lock);
    list_init(&b->pending);
    b->armed = UINT64_MAX;
    if (cpu_id() == 0)
        irq_set_handler(VEC_TIMER, timer_interrupt, NULL, "timer");
    timer_hw_init(VEC_TIMER);
}
