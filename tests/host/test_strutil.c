/* Bounded copies and strict number parsing. */
#include <criterion/criterion.h>

#include "lib/errno.h"
#include "lib/string.h"

Test(strutil, strscpy)
{
    char buf[5];

    cr_assert_eq(strscpy(buf, "abc", sizeof(buf)), 3);
    cr_assert_str_eq(buf, "abc");
    cr_assert_eq(strscpy(buf, "abcdef", sizeof(buf)), -E2BIG);
    cr_assert_str_eq(buf, "abcd");
    cr_assert_eq(strscpy(buf, "x", 0), -E2BIG);
}

Test(strutil, kstrtou64)
{
    uint64_t v;

    cr_assert_eq(kstrtou64("1234", 10, &v), 0);
    cr_assert_eq(v, 1234);
    cr_assert_eq(kstrtou64("0x1f", 0, &v), 0);
    cr_assert_eq(v, 31);
    cr_assert_eq(kstrtou64("017", 0, &v), 0);
    cr_assert_eq(v, 15);
    cr_assert_eq(kstrtou64("0", 0, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(kstrtou64("18446744073709551615", 10, &v), 0);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(kstrtou64("18446744073709551616", 10, &v), -ERANGE);
    cr_assert_eq(kstrtou64("", 10, &v), -EINVAL);
    cr_assert_eq(kstrtou64("12x", 10, &v), -EINVAL);
    cr_assert_eq(kstrtou64("-1", 10, &v), -EINVAL);
    cr_assert_eq(kstrtou64("abc", 10, &v), -EINVAL);
}

Test(strutil, kstrtoi64)
{
    int64_t v;

    cr_assert_eq(kstrtoi64("-42", 10, &v), 0);
    cr_assert_eq(v, -42);
    cr_assert_eq(kstrtoi64("-9223372036854775808", 10, &v), 0);
    cr_assert_eq(v, INT64_MIN);
    cr_assert_eq(kstrtoi64("9223372036854775808", 10, &v), -ERANGE);
    cr_assert_eq(kstrtoi64("--1", 10, &v), -EINVAL);
}

Test(strutil, memparse)
{
    uint64_t v;

    cr_assert_eq(memparse("64M", &v), 0);
    cr_assert_eq(v, 64ull << 20);
    cr_assert_eq(memparse("2g", &v), 0);
    cr_assert_eq(v, 2ull << 30);
    cr_assert_eq(memparse("4096", &v), 0);
    cr_assert_eq(v, 4096);
    cr_assert_eq(memparse("16KB", &v), -EINVAL);
    cr_assert_eq(memparse("M", &v), -EINVAL);
    cr_assert_eq(memparse("99999999999T", &v), -ERANGE);
}
