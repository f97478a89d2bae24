/*
 * host.h - helpers for the host unit tests of kernel code.
 *
 * host.c provides what the kernel code under test calls but the host does
 * not have: printk (captured into a buffer the tests can search), panic
 * (aborts, so a test can expect SIGABRT) and the "physical memory" arena
 * behind phys_to_virt().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Everything printk'd since the last host_log_clear(). */
const char *host_log(void);
void host_log_clear(void);
int host_log_contains(const char *s);

/*
 * Allocate `size` bytes of zeroed "physical memory" starting at physical
 * address 0; phys_to_virt() then points into it. Returns its host address.
 */
void *host_phys_arena(size_t size);

/* Read a recorded ACPI dump (tests/host/data/acpi-*.txt) into the arena. */
void host_load_acpi_dump(const char *path);

/* The kernel's printf, renamed on the host (see HOST_RENAME in the Makefile). */
int ksnprintf(char *buf, size_t size, const char *fmt, ...);
int kscnprintf(char *buf, size_t size, const char *fmt, ...);
