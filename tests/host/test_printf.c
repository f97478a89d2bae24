/* The kernel's vsnprintf against the C library's, format by format. */
/* Some formats below are deliberately odd: the comparison is the point. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "host.h"

#define CHECK_FMT(fmt, ...)                                                                        \
    do {                                                                                           \
        char want[256], got[256];                                                                  \
        int wn = snprintf(want, sizeof(want), fmt, __VA_ARGS__);                                   \
        int gn = ksnprintf(got, sizeof(got), fmt, __VA_ARGS__);                                    \
        cr_assert_str_eq(got, want, "format \"%s\"", fmt);                                         \
        cr_assert_eq(gn, wn, "length for \"%s\": %d, want %d", fmt, gn, wn);                       \
    } while (0)

Test(printf, integers)
{
    CHECK_FMT("%d %i %u", 42, -17, 3000000000u);
    CHECK_FMT("%ld %lu %lld", -9223372036854775807L - 1, 18446744073709551615UL, 123LL);
    CHECK_FMT("%x %X %o %#x %#o %#X", 0xbeef, 0xbeef, 8, 255, 8, 0xabc);
    CHECK_FMT("%hhd %hd %hhu %hu", 300, 70000, 300, 70000);
    CHECK_FMT("%zu %zd %td", (size_t)77, (ssize_t)-5, (ptrdiff_t)-9);
    CHECK_FMT("%#x %#o", 0, 0);
}

Test(printf, width_precision_flags)
{
    CHECK_FMT("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
    CHECK_FMT("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, 7, 7);
    CHECK_FMT("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
    CHECK_FMT("[%.0d] [%.0x] [%5.0d]", 0, 0, 0);
    CHECK_FMT("[%#010x] [%-#10x] [%+05d]", 0x1f, 0x1f, -3);
    CHECK_FMT("[%*d]", -4, 9);
}

Test(printf, strings_and_chars)
{
    CHECK_FMT("[%s] [%10s] [%-10s] [%.2s] [%c] [%3c] [%-3c]", "abc", "abc", "abc", "abc", 'x', 'y',
              'z');
    CHECK_FMT("%% [%5.1s]", "hello");
}

Test(printf, pointer)
{
    char got[64];

    ksnprintf(got, sizeof(got), "%p", (void *)0x1234);
    cr_assert_str_eq(got, "0x0000000000001234");
}

Test(printf, truncation)
{
    char buf[8];
    int n = ksnprintf(buf, sizeof(buf), "%s", "0123456789");

    cr_assert_eq(n, 10);
    cr_assert_str_eq(buf, "0123456");
    n = ksnprintf(buf, 0, "%d", 12345);
    cr_assert_eq(n, 5);
    n = kscnprintf(buf, sizeof(buf), "%s", "0123456789");
    cr_assert_eq(n, 7);
}

Test(printf, bad_format_is_harmless)
{
    char got[32];

    ksnprintf(got, sizeof(got), "a%qb%");
    cr_assert_str_eq(got, "a%qb");
}
