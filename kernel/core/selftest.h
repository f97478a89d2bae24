/*
 * selftest.h - in-kernel tests for what only runs on the machine.
 *
 * Booting with "selftest" runs every registered test (or "selftest=a,b"
 * the named ones) in a kernel thread after boot, prints one line per test
 * and exits with status 0 when all passed, 1 otherwise. Tests report with
 * ST_CHECK, which records a failure and goes on.
 */
#pragma once

#include "core/printk.h"
#include "lib/types.h"

struct selftest {
    const char *name;
    void (*fn)(void);
} __aligned(16);

#define SELFTEST(tname)                                                                            \
    static void selftest_##tname(void);                                                            \
    static const struct selftest __selftest_##tname __used __section(".selftests") = {             \
        #tname, selftest_##tname};                                                                 \
    static void selftest_##tname(void)

extern int selftest_failures;

#define ST_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            selftest_failures++;                                                                   \
            printk(LOG_ERR, "selftest: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);     \
            printk(LOG_ERR, __VA_ARGS__);                                                          \
            printk(LOG_ERR, "\n");                                                                 \
        }                                                                                          \
    } while (0)

/* True when "selftest" was on the command line. */
bool selftest_requested(void);
/* Run the requested tests and exit the machine (never returns). */
void selftest_run(void) __noreturn;

/* "fault=KIND" on the command line: trigger that fault (never returns). */
bool fault_requested(void);
void fault_trigger(void) __noreturn;
