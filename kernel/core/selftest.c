/*
 * selftest.c - the selftest runner and the deliberate faults.
 *
 * The deliberate faults exist so tests can check the crash path: the
 * backtrace must name the function that faulted, and the machine must exit
 * with EXIT_KERNEL_PANIC. Each fault lives in its own non-inlined function
 * with a recognizable name (fault_trigger_*).
 */
#include "arch/x86_64/cpu.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/selftest.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "sched/sched.h"

int selftest_failures;
static bool requested;
static char only[256]; /* comma-separated names, empty: all */
static char fault_kind[16];

extern const struct selftest __start_selftests[], __stop_selftests[];

static int set_selftest(const char *val)
{
    requested = true;
    if (val != NULL)
        strscpy(only, val, sizeof(only));
    return 0;
}
KERNEL_PARAM("selftest", set_selftest);

bool selftest_requested(void)
{
    return requested;
}

static bool wanted(const char *name)
{
    size_t n = strlen(name);

    if (only[0] == '\0')
        return true;
    for (const char *p = only; *p != '\0';) {
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        p++;
    }
    return false;
}

void selftest_run(void)
{
    int ran = 0, failed = 0;

    /* Quiesce boot-time background work (deferred memory init) first. */
    while (page_init_deferred())
        ;
    thread_sleep_until(ktime_ns() + 20 * NSEC_PER_MSEC, 0);

    for (const struct selftest *t = __start_selftests; t < __stop_selftests; t++) {
        int before = selftest_failures;
        uint64_t start;

        if (!wanted(t->name))
            continue;
        start = ktime_ns();
        t->fn();
        ran++;
        if (selftest_failures != before)
            failed++;
        printk(LOG_ERR, "selftest %s: %s (%lu ms)\n", t->name,
               selftest_failures == before ? "ok" : "FAILED", (ktime_ns() - start) / NSEC_PER_MSEC);
    }
    printk(LOG_ERR, "selftest: %d run, %d failed\n", ran, failed);
    machine_exit(ran > 0 && failed == 0 ? 0 : 1);
}

/* ---- deliberate faults ---- */

static int set_fault(const char *val)
{
    if (val == NULL)
        return -EINVAL;
    strscpy(fault_kind, val, sizeof(fault_kind));
    return 0;
}
KERNEL_PARAM("fault", set_fault);

bool fault_requested(void)
{
    return fault_kind[0] != '\0';
}

static volatile int fault_sink;

static __noinline void fault_trigger_pagefault(void)
{
    fault_sink = *(volatile int *)0xdead0000ul;
}

static __noinline void fault_trigger_invalid_opcode(void)
{
    ud2();
}

static __noinline void fault_trigger_divide(void)
{
    /* Both volatile: with a constant numerator GCC replaces idiv by a cmov. */
    volatile int zero = 0, one = 1;
    fault_sink = one / zero;
}

static __noinline void fault_trigger_panic(void)
{
    panic("deliberate panic (fault=panic)");
}

static __noinline int fault_trigger_stack_overflow(int depth)
{
    volatile char pad[512];

    pad[0] = (char)depth;
    if (fault_sink == -1) /* never true; keeps the compiler from calling this infinite */
        return 0;
    return fault_trigger_stack_overflow(depth + 1) + pad[0];
}

void fault_trigger(void)
{
    printk(LOG_ERR, "eggos: triggering a deliberate fault: %s\n", fault_kind);
    if (strcmp(fault_kind, "pagefault") == 0)
        fault_trigger_pagefault();
    else if (strcmp(fault_kind, "ud") == 0)
        fault_trigger_invalid_opcode();
    else if (strcmp(fault_kind, "divide") == 0)
        fault_trigger_divide();
    else if (strcmp(fault_kind, "panic") == 0)
        fault_trigger_panic();
    else if (strcmp(fault_kind, "stack") == 0)
        fault_sink = fault_trigger_stack_overflow(0);
    printk(LOG_ERR, "eggos: unknown fault kind '%s' (pagefault, ud, divide, panic, stack)\n",
           fault_kind);
    machine_exit(1);
}
