/* The command-line tokenizer: spaces, quotes, name=value, "--". */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/cmdline.h"

static int split(const char *line, char params[][64], char vals[][64])
{
    char buf[512];
    char *next, *p, *v;
    int n = 0;

    strcpy(buf, line);
    for (next = buf; (next = cmdline_next(next, &p, &v)) != NULL; n++) {
        strcpy(params[n], p);
        strcpy(vals[n], v != NULL ? v : "(none)");
    }
    return n;
}

Test(cmdline, words_and_values)
{
    char p[8][64], v[8][64];
    int n = split("  console=ttyS0   quiet loglevel=7 -- -flag value ", p, v);

    cr_assert_eq(n, 6);
    cr_assert_str_eq(p[0], "console");
    cr_assert_str_eq(v[0], "ttyS0");
    cr_assert_str_eq(p[1], "quiet");
    cr_assert_str_eq(v[1], "(none)");
    cr_assert_str_eq(p[2], "loglevel");
    cr_assert_str_eq(v[2], "7");
    cr_assert_str_eq(p[3], "--");
    cr_assert_str_eq(p[4], "-flag");
    cr_assert_str_eq(p[5], "value");
}

Test(cmdline, quotes)
{
    char p[8][64], v[8][64];
    int n = split("msg=\"hello world\" \"a b=c d\" x==y", p, v);

    cr_assert_eq(n, 3);
    cr_assert_str_eq(p[0], "msg");
    cr_assert_str_eq(v[0], "hello world");
    cr_assert_str_eq(p[1], "a b");
    cr_assert_str_eq(v[1], "c d");
    cr_assert_str_eq(p[2], "x");
    cr_assert_str_eq(v[2], "=y");
}

Test(cmdline, unterminated_quote_and_empty)
{
    char p[8][64], v[8][64];

    cr_assert_eq(split("", p, v), 0);
    cr_assert_eq(split("    ", p, v), 0);
    cr_assert_eq(split("a=\"open ended", p, v), 1);
    cr_assert_str_eq(v[0], "open ended");
    cr_assert_eq(split("=novalue", p, v), 1);
    cr_assert_str_eq(p[0], "");
    cr_assert_str_eq(v[0], "novalue");
}
