/* The line discipline (kernel/tty/ldisc.c): editing, history, signals, EOF, raw mode. */
#include <criterion/criterion.h>
#include <string.h>

#include "linux/uapi.h"
#include "tty/ldisc.h"

static struct ldisc ld;
static char echoed[4096];
static size_t nechoed;
static int signals[8];
static int nsignals;

static void echo(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (nechoed + n >= sizeof(echoed))
        return;
    memcpy(echoed + nechoed, s, n);
    nechoed += n;
    echoed[nechoed] = '\0';
}

static void sig(void *ctx, int signo)
{
    (void)ctx;
    if (nsignals < 8)
        signals[nsignals++] = signo;
}

static void setup(void)
{
    nechoed = 0;
    echoed[0] = '\0';
    nsignals = 0;
    ldisc_init(&ld, echo, sig, NULL);
}

TestSuite(ldisc, .init = setup);

static void type(const char *s)
{
    ldisc_receive(&ld, s, strlen(s));
}

/* One read of up to n bytes as a string; *eof as ldisc_read reports it. */
static const char *read_str(size_t n, bool *eof)
{
    static char buf[LDISC_BUF_SIZE + 1];
    bool e;
    size_t got = ldisc_read(&ld, buf, n, &e);
    buf[got] = '\0';
    if (eof != NULL)
        *eof = e;
    return buf;
}

static void expect_line(const char *typed, const char *want)
{
    type(typed);
    cr_expect_str_eq(read_str(sizeof(ld.buf), NULL), want, "typed %s", typed);
}

Test(ldisc, canonical_line_waits_for_enter)
{
    type("abc");
    cr_expect_eq(ldisc_readable(&ld), 0, "a line being edited is not readable");
    type("\r"); /* ICRNL turns Enter into a newline */
    cr_expect_eq(ldisc_readable(&ld), 4);
    cr_expect_str_eq(read_str(100, NULL), "abc\n");
    cr_expect_str_eq(echoed, "abc\n");
}

Test(ldisc, reads_stop_at_each_line)
{
    type("one\rtwo\r");
    cr_expect_str_eq(read_str(100, NULL), "one\n");
    cr_expect_str_eq(read_str(100, NULL), "two\n");
}

Test(ldisc, short_reads_take_the_rest_later)
{
    type("abcdef\r");
    cr_expect_str_eq(read_str(2, NULL), "ab");
    cr_expect_str_eq(read_str(100, NULL), "cdef\n");
}

Test(ldisc, editing_keys)
{
    expect_line("abcd\x7f\x7fXY\r", "abXY\n"); /* backspace */
    expect_line("foo bar\x15"
                "baz\r",
                "baz\n");                             /* ^U */
    expect_line("one two\x17three\r", "one three\n"); /* ^W */
    expect_line("ac\x1b[Db\r", "abc\n");              /* left, insert */
    expect_line("bc\x1b[Ha\x1b[Fd\r", "abcd\n");      /* home, end */
    expect_line("abc\x1b[D\x1b[D\x1b[3~\r", "ac\n");  /* delete */
    expect_line("ab\x01X\x05Y\r", "XabY\n");          /* ^A, ^E */
}

Test(ldisc, history_up_and_down)
{
    expect_line("first\r", "first\n");
    expect_line("second\r", "second\n");
    expect_line("\x1b[A\x1b[A\r", "first\n");
    expect_line("new\x1b[A\x1b[B\r", "new\n"); /* down returns to the line being typed */
    expect_line("\x1b[A!\r", "new!\n");        /* the newest entry is now "new" */
}

Test(ldisc, interrupt_signals_and_discards_the_line)
{
    type("abc\x03");
    cr_assert_eq(nsignals, 1);
    cr_expect_eq(signals[0], SIGINT);
    cr_expect(strstr(echoed, "^C\n") != NULL, "echo: %s", echoed);
    expect_line("x\r", "x\n");
    type("\x1c");
    cr_assert_eq(nsignals, 2);
    cr_expect_eq(signals[1], SIGQUIT);
}

Test(ldisc, ctrl_d_ends_a_partial_line_then_reads_eof)
{
    bool eof;
    type("part\x04\x04");
    cr_expect_str_eq(read_str(100, &eof), "part");
    cr_expect_not(eof);
    cr_expect_str_eq(read_str(100, &eof), "");
    cr_expect(eof, "the second ^D is end of file");
    cr_expect_eq(ldisc_readable(&ld), 0);
}

Test(ldisc, eof_keeps_its_place_among_lines)
{
    bool eof;
    type("abc\r\x04"
         "def\r");
    cr_expect_str_eq(read_str(100, &eof), "abc\n");
    cr_expect_eq(ldisc_readable(&ld), 4, "def is readable behind the mark");
    cr_expect_str_eq(read_str(100, &eof), "");
    cr_expect(eof);
    cr_expect_str_eq(read_str(100, &eof), "def\n");
    cr_expect_not(eof);
}

Test(ldisc, eof_alone_is_readable)
{
    type("\x04");
    cr_expect_eq(ldisc_readable(&ld), 1, "poll must wake the reader for end of file");
}

Test(ldisc, raw_mode_passes_bytes_through)
{
    struct k_termios t = ld.termios;
    t.c_lflag &= ~(ICANON | ECHO | ISIG);
    t.c_iflag &= ~ICRNL;
    ldisc_set_termios(&ld, &t);
    type("q\x03x\r\x04");
    cr_expect_eq(nsignals, 0, "no signals without ISIG");
    cr_expect_str_eq(echoed, "", "no echo without ECHO");
    char buf[16];
    bool eof;
    size_t n = ldisc_read(&ld, buf, sizeof(buf), &eof);
    cr_assert_eq(n, 5);
    cr_expect_arr_eq(buf, "q\x03x\r\x04", 5);
}

Test(ldisc, leaving_canonical_mode_keeps_the_partial_line)
{
    type("half");
    struct k_termios t = ld.termios;
    t.c_lflag &= ~ICANON;
    ldisc_set_termios(&ld, &t);
    cr_expect_eq(ldisc_readable(&ld), 4);
    cr_expect_str_eq(read_str(100, NULL), "half");
}

Test(ldisc, flush_drops_everything)
{
    type("abc\rdef");
    ldisc_flush(&ld);
    cr_expect_eq(ldisc_readable(&ld), 0);
    expect_line("g\r", "g\n");
}

Test(ldisc, a_full_queue_drops_input_without_harm)
{
    struct k_termios t = ld.termios;
    t.c_lflag &= ~(ICANON | ECHO);
    ldisc_set_termios(&ld, &t);
    static char lots[LDISC_BUF_SIZE + 100];
    memset(lots, 'z', sizeof(lots));
    ldisc_receive(&ld, lots, sizeof(lots));
    cr_expect_eq(ldisc_readable(&ld), LDISC_BUF_SIZE);
}

Test(ldisc, an_overlong_line_is_cut_not_overflowed)
{
    static char lots[LDISC_LINE_MAX + 100];
    memset(lots, 'y', sizeof(lots));
    ldisc_receive(&ld, lots, sizeof(lots));
    type("\r");
    size_t n = ldisc_readable(&ld);
    cr_expect(n > 0 && n <= LDISC_LINE_MAX + 1, "readable %zu", n);
}
