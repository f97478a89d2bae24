/*
 * panic.h - stopping the machine when a kernel invariant is broken.
 *
 * panic() is only for bugs in the kernel itself. Anything an application,
 * a packet, a disk image or the command line can cause is an error return.
 */
#pragma once

#include "lib/types.h"

/* Exit statuses the kernel itself reports through machine_exit(). */
#define EXIT_KERNEL_PANIC 125
#define EXIT_BAD_INIT 126
#define EXIT_NO_INIT 127

/* Print the message, registers and a backtrace; exit with EXIT_KERNEL_PANIC. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

/* Print a backtrace starting at frame pointer rbp (and rip, if non-zero). */
void backtrace_print(uintptr_t rip, uintptr_t rbp);

/* True once some CPU has begun to panic. */
bool panic_in_progress(void);

/*
 * machine_exit ends the run with status: written to QEMU's isa-debug-exit
 * port when running under a hypervisor (QEMU exits with (status<<1)|1),
 * then ACPI power-off; if both fail the CPU halts forever.
 */
void machine_exit(int status) __noreturn;

#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (unlikely(cond))                                                                        \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                                  \
    } while (0)
