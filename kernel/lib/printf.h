/*
 * printf.h - formatted output into buffers.
 *
 * Supports the conversions the kernel uses: %d %i %u %x %X %o %p %s %c %%,
 * the length modifiers hh h l ll z t j, the flags - 0 + space #, a width and
 * a precision (both may be *). %p prints 0x followed by 16 hex digits.
 * Host-tested against the C library's snprintf (tests/host/test_printf.c).
 */
#pragma once

#include <stdarg.h>

#include "lib/types.h"

/*
 * vsnprintf writes at most size bytes including the terminating NUL and
 * returns the length the full output would have had (C99 semantics).
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * scnprintf is snprintf that returns the number of bytes actually written
 * (excluding the NUL), which is what callers appending to a buffer want.
 */
int scnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap);
