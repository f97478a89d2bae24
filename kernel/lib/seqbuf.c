/*
 * seqbuf.c - appending formatted text to a bounded buffer (see seqbuf.h).
 */
#include "lib/seqbuf.h"
#include "lib/printf.h"
#include "lib/string.h"

void seq_vprintf(struct seqbuf *s, const char *fmt, va_list ap)
{
    size_t room = s->cap - s->len;
    int n;

    if (s->overflow)
        return;
    /* vsnprintf reports the full length: more than the room means it was cut. */
    n = vsnprintf(s->buf + s->len, room, fmt, ap);
    if (n < 0 || (size_t)n >= room) {
        s->overflow = true;
        return;
    }
    s->len += (size_t)n;
}

void seq_printf(struct seqbuf *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    seq_vprintf(s, fmt, ap);
    va_end(ap);
}

void seq_write(struct seqbuf *s, const void *data, size_t n)
{
    if (s->overflow || n > s->cap - s->len) {
        s->overflow = true;
        return;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
}

void seq_puts(struct seqbuf *s, const char *str)
{
    seq_write(s, str, strlen(str));
}

void seq_putc(struct seqbuf *s, char c)
{
    seq_write(s, &c, 1);
}

void seq_pad(struct seqbuf *s, size_t col, char c)
{
    size_t line = s->len;

    while (line > 0 && s->buf[line - 1] != '\n')
        line--;
    while (!s->overflow && s->len - line < col)
        seq_putc(s, ' ');
    if (c != '\0')
        seq_putc(s, c);
}
