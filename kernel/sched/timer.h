/*
 * timer.h - one-shot kernel timers with nanosecond deadlines.
 *
 * Each CPU keeps its pending timers in a list sorted by deadline, guarded
 * by that CPU's timer lock, and programs its LAPIC timer for the earliest
 * one (or the end of the running thread's time slice). Callbacks run in
 * interrupt context with IRQs off, after the timer has been removed from
 * its list; they must not sleep.
 *
 * Slack, as Linux's hrtimer ranges: a timer with slack s may run anywhere
 * in [deadline - s, deadline]. The hardware is programmed for deadlines,
 * the latest allowed times, and an interrupt runs every timer whose range
 * has begun, so timers near each other share one interrupt. Each thread's
 * sleeps get its timer_slack_ns (prctl PR_SET_TIMERSLACK), 50 us for
 * applications as on Linux: they end up to that much late, never early.
 */
#pragma once

#include "lib/list.h"
#include "lib/types.h"

struct timer {
    uint64_t deadline; /* monotonic ns: the latest it may run */
    uint64_t slack;    /* it may run this much before deadline */
    void (*fn)(struct timer *t);
    void *arg;
    int cpu;               /* whose list it is on; -1 when not pending */
    volatile bool running; /* the callback is executing right now */
    struct list_head link;
};

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *arg);

/* The most slack a timer may have (the interrupt looks this far ahead). */
#define TIMER_SLACK_MAX (10ull * 1000 * 1000)
/* An application thread's slack, as Linux's default timer_slack_ns. */
#define TIMER_SLACK_USER (50ull * 1000)

/* Arm (or re-arm) t for deadline on this CPU. */
void timer_add(struct timer *t, uint64_t deadline);
/* The same, to run in [deadline - slack, deadline]; slack <= TIMER_SLACK_MAX. */
void timer_add_slack(struct timer *t, uint64_t deadline, uint64_t slack);

/*
 * Disarm t. Returns true when it was pending. When its callback is running
 * on another CPU, waits for it to finish, so afterwards the callback is
 * neither pending nor running.
 */
bool timer_cancel(struct timer *t);

/*
 * Disarm t without waiting for a callback that may be running elsewhere
 * (for callers holding a lock the callback takes; the callback must then
 * recheck its own state).
 */
void timer_del(struct timer *t);

/* Print every CPU's pending timers (NMI debugging). */
void timers_dump(void);

/* Set up the timer interrupt on this CPU. */
void timers_init_cpu(void);

/* Reprogram this CPU's timer interrupt (after a time slice changed). */
void timers_rearm(void);
