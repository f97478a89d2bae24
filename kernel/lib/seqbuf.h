/*
 * seqbuf.h - a text buffer that formatted output is appended to, for the
 * files of /proc and /sys.
 *
 * The caller owns the memory (buf, cap). Appending never writes past cap:
 * output that does not fit sets `overflow`, and the caller (procfs) retries
 * with a bigger buffer, as Linux's seq_file does. No kernel dependencies:
 * host-tested in tests/host/test_seqbuf.c.
 */
#pragma once

#include "lib/compiler.h"
#include "lib/types.h"
#include <stdarg.h>

struct seqbuf {
    char *buf;
    size_t len; /* bytes used */
    size_t cap;
    bool overflow; /* something did not fit: the text is incomplete */
};

static inline void seqbuf_init(struct seqbuf *s, char *buf, size_t cap)
{
    s->buf = buf;
    s->len = 0;
    s->cap = cap;
    s->overflow = false;
}

/* Append formatted text (printf formats of lib/printf.h). */
void seq_printf(struct seqbuf *s, const char *fmt, ...) __printf(2, 3);
void seq_vprintf(struct seqbuf *s, const char *fmt, va_list ap);
/* Append n bytes (may contain NULs: /proc/self/cmdline). */
void seq_write(struct seqbuf *s, const void *data, size_t n);
void seq_puts(struct seqbuf *s, const char *str);
void seq_putc(struct seqbuf *s, char c);
/* Append spaces until the current line is `col` characters long, then c (if not NUL). */
void seq_pad(struct seqbuf *s, size_t col, char c);
