/* The bounded text buffer behind /proc files (kernel/lib/seqbuf.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/seqbuf.h"

Test(seqbuf, appends_and_formats)
{
    char buf[64];
    struct seqbuf s;

    seqbuf_init(&s, buf, sizeof(buf));
    seq_printf(&s, "MemTotal: %8lu kB\n", 1024ul);
    seq_puts(&s, "x");
    seq_putc(&s, 'y');
    seq_write(&s, "\0z", 2);
    cr_assert_not(s.overflow);
    cr_assert_eq(s.len, strlen("MemTotal:     1024 kB\n") + 4);
    cr_assert_eq(memcmp(buf, "MemTotal:     1024 kB\nxy\0z", s.len), 0);
}

Test(seqbuf, overflow_is_reported_and_sticky)
{
    char buf[8];
    struct seqbuf s;

    seqbuf_init(&s, buf, sizeof(buf));
    seq_puts(&s, "1234567");
    cr_assert_not(s.overflow);
    seq_printf(&s, "%d", 42); /* 7 + 2 > 8 - the NUL needs room too */
    cr_assert(s.overflow);
    seq_puts(&s, "");
    cr_assert(s.overflow);
    cr_assert_leq(s.len, sizeof(buf));

    seqbuf_init(&s, buf, sizeof(buf));
    seq_write(&s, "123456789", 9);
    cr_assert(s.overflow);
    cr_assert_eq(s.len, 0);
}

Test(seqbuf, pad_to_column)
{
    char buf[128];
    struct seqbuf s;

    seqbuf_init(&s, buf, sizeof(buf));
    seq_puts(&s, "first line\nabc");
    seq_pad(&s, 8, '|');
    cr_assert_eq(s.len, strlen("first line\n") + 9);
    cr_assert_eq(memcmp(buf + strlen("first line\n"), "abc     |", 9), 0);
    seq_pad(&s, 4, '\0'); /* already longer: nothing */
    cr_assert_eq(s.len, strlen("first line\n") + 9);
}
