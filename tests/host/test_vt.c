/* The terminal emulator behind the VGA console (kernel/drivers/video/vt.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/video/vt.h"

#define ROWS 25
#define COLS 80

static struct vt vt;
static uint16_t cells[ROWS * COLS], alt[ROWS * COLS];
static char replies[256];
static size_t nreplies;

static void reply(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (nreplies + n >= sizeof(replies))
        return;
    memcpy(replies + nreplies, s, n);
    nreplies += n;
    replies[nreplies] = '\0';
}

static void setup(void)
{
    nreplies = 0;
    replies[0] = '\0';
    vt_init(&vt, ROWS, COLS, cells, alt, reply, NULL);
}

static void out(const char *s)
{
    vt_write(&vt, s, strlen(s));
}

static char ch(unsigned int row, unsigned int col)
{
    return (char)(cells[row * COLS + col] & 0xff);
}

static uint8_t attr(unsigned int row, unsigned int col)
{
    return (uint8_t)(cells[row * COLS + col] >> 8);
}

/* The text of a row without trailing blanks. */
static const char *row_text(unsigned int row)
{
    static char buf[COLS + 1];
    int n = COLS;

    for (int i = 0; i < COLS; i++)
        buf[i] = ch(row, (unsigned int)i);
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

TestSuite(vt, .init = setup);

Test(vt, text_and_newline)
{
    out("hello\nworld");
    cr_assert_str_eq(row_text(0), "hello");
    cr_assert_str_eq(row_text(1), "world");
    cr_assert_eq(vt.x, 5);
    cr_assert_eq(vt.y, 1);
    cr_assert_eq(attr(0, 0), 0x07, "default light grey on black");
}

Test(vt, deferred_wrap)
{
    char line[COLS + 1];

    memset(line, 'x', COLS);
    line[COLS] = '\0';
    out(line);
    cr_assert_eq(vt.y, 0, "a full row does not wrap by itself");
    out("\r");
    cr_assert_eq(vt.y, 0);
    cr_assert_eq(vt.x, 0);
    out(line);
    out("y");
    cr_assert_eq(vt.y, 1, "the next character wraps");
    cr_assert_eq(ch(1, 0), 'y');
}

Test(vt, autowrap_off)
{
    char line[COLS + 6];

    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    line[sizeof(line) - 2] = 'z';
    out("\033[?7l");
    out(line);
    cr_assert_eq(vt.y, 0);
    cr_assert_eq(ch(0, COLS - 1), 'z', "the last column is overwritten");
    cr_assert_str_eq(row_text(1), "");
}

Test(vt, scrolls_at_the_bottom)
{
    char buf[32];

    for (int i = 0; i < ROWS + 2; i++) {
        snprintf(buf, sizeof(buf), "line%d\n", i);
        out(buf);
    }
    cr_assert_str_eq(row_text(0), "line3");
    cr_assert_str_eq(row_text(ROWS - 2), "line26");
    cr_assert_str_eq(row_text(ROWS - 1), "");
}

Test(vt, cursor_position_and_moves)
{
    out("\033[5;10HX");
    cr_assert_eq(ch(4, 9), 'X');
    out("\033[2AY");
    cr_assert_eq(ch(2, 10), 'Y');
    out("\033[3BZ");
    cr_assert_eq(ch(5, 11), 'Z');
    out("\033[4DW");
    cr_assert_eq(ch(5, 8), 'W');
    out("\033[20G!");
    cr_assert_eq(ch(5, 19), '!');
    out("\033[10d#");
    cr_assert_eq(ch(9, 20), '#');
    out("\033[H@");
    cr_assert_eq(ch(0, 0), '@');
    out("\033[999;999H$");
    cr_assert_eq(ch(ROWS - 1, COLS - 1), '$', "positions clamp to the screen");
    out("\033[99999999999999999999A");
    cr_assert_eq(vt.y, 0);
}

Test(vt, erase)
{
    out("abcdef\r\nghijkl\r\nmnopqr");
    out("\033[2;3H\033[K");
    cr_assert_str_eq(row_text(1), "gh");
    out("\033[1;3H\033[1K");
    cr_assert_str_eq(row_text(0), "   def");
    out("\033[3;2H\033[2X");
    cr_assert_str_eq(row_text(2), "m  pqr");
    out("\033[2;1H\033[J");
    cr_assert_str_eq(row_text(1), "");
    cr_assert_str_eq(row_text(2), "");
    cr_assert_str_eq(row_text(0), "   def");
    out("\033[2J");
    cr_assert_str_eq(row_text(0), "");
}

Test(vt, insert_and_delete_characters)
{
    out("abcdef\033[1;3H\033[2@");
    cr_assert_str_eq(row_text(0), "ab  cdef");
    out("\033[3P");
    cr_assert_str_eq(row_text(0), "abdef");
}

Test(vt, colours)
{
    out("\033[31;44mA\033[1;32mB\033[0mC\033[91mD\033[7mE\033[27;39;49mF\033[38;5;3mG");
    cr_assert_eq(attr(0, 0), 0x14, "red on blue: %#x", attr(0, 0));
    cr_assert_eq(attr(0, 1), 0x1a, "bold green keeps the blue background: %#x", attr(0, 1));
    cr_assert_eq(attr(0, 2), 0x07);
    cr_assert_eq(attr(0, 3), 0x0c, "bright red");
    cr_assert_eq(attr(0, 4), 0xc0, "reverse: %#x", attr(0, 4));
    cr_assert_eq(attr(0, 5), 0x07);
    cr_assert_eq(attr(0, 6), 0x06, "256-colour 3 is yellow (VGA brown)");
    out("\033[0;44m\033[2K");
    cr_assert_eq(attr(0, 0), 0x17, "erase uses the current background");
}

Test(vt, scroll_region_and_lines)
{
    out("\033[2;4r");
    cr_assert_eq(vt.y, 0);
    out("\033[1;1Htop\033[2;1Ha\r\nb\r\nc\r\nd");
    cr_assert_str_eq(row_text(0), "top", "outside the region stays");
    cr_assert_str_eq(row_text(1), "b");
    cr_assert_str_eq(row_text(2), "c");
    cr_assert_str_eq(row_text(3), "d");
    cr_assert_str_eq(row_text(4), "");
    out("\033[2;1H\033[L");
    cr_assert_str_eq(row_text(1), "");
    cr_assert_str_eq(row_text(2), "b");
    cr_assert_str_eq(row_text(3), "c");
    out("\033[M");
    cr_assert_str_eq(row_text(1), "b");
    cr_assert_str_eq(row_text(3), "");
    out("\033[2;1H\033M");
    cr_assert_str_eq(row_text(1), "", "reverse index at the top scrolls down");
    cr_assert_str_eq(row_text(2), "b");
}

Test(vt, save_restore_and_alternate_screen)
{
    out("main\033[3;4H\0337\033[10;10H\0338X");
    cr_assert_eq(ch(2, 3), 'X');
    out("\033[?1049h");
    cr_assert_str_eq(row_text(0), "", "the alternate screen starts blank");
    out("alt");
    out("\033[?1049l");
    cr_assert_str_eq(row_text(0), "main");
    cr_assert_eq(vt.y, 2);
    cr_assert_eq(vt.x, 4);
}

Test(vt, status_reports)
{
    out("\033[3;5H\033[6n");
    cr_assert_str_eq(replies, "\033[3;5R");
    nreplies = 0;
    out("\033[5n\033[c");
    cr_assert_str_eq(replies, "\033[0n\033[?6c");
}

Test(vt, utf8_and_code_page_437)
{
    out("\xe2\x94\x80\xe2\x94\x82\xe2\x96\x88\xc3\xa9\xe4\xb8\xad");
    cr_assert_eq((uint8_t)ch(0, 0), 0xc4);
    cr_assert_eq((uint8_t)ch(0, 1), 0xb3);
    cr_assert_eq((uint8_t)ch(0, 2), 0xdb);
    cr_assert_eq((uint8_t)ch(0, 3), 0x82);
    cr_assert_eq(ch(0, 4), '?', "a character CP437 lacks");
    out("\r\n\xff\xe2\x94"
        "A");
    cr_assert_str_eq(row_text(1), "??A");
}

Test(vt, strings_and_controls_skipped)
{
    out("\033]0;window title\007X\033]2;t\033\\Y\033(BZ\a\x0e");
    cr_assert_str_eq(row_text(0), "XYZ");
    out("\r\n1\t2\b3");
    cr_assert_eq(ch(1, 0), '1');
    cr_assert_eq(ch(1, 8), '3');
}

Test(vt, cursor_visibility_and_dirty_range)
{
    unsigned int lo, hi;

    vt_take_dirty(&vt, &lo, &hi);
    cr_assert(!vt_take_dirty(&vt, &lo, &hi));
    out("\033[2;3HA");
    cr_assert(vt_take_dirty(&vt, &lo, &hi));
    cr_assert_eq(lo, COLS + 2);
    cr_assert_eq(hi, COLS + 3);
    out("\033[?25l");
    cr_assert(!vt.cursor_visible);
    out("\033[?25h");
    cr_assert(vt.cursor_visible);
}

/* Random output never writes outside the grid or moves the cursor off it. */
Test(vt, random_bytes)
{
    static uint16_t guard[ROWS * COLS + 64];
    char buf[4096];

    vt_init(&vt, ROWS, COLS, guard, NULL, reply, NULL);
    srand(7);
    for (int round = 0; round < 500; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            int r = rand() % 8;
            buf[i] = r == 0   ? '\033'
                     : r == 1 ? '['
                     : r == 2 ? (char)('0' + rand() % 10)
                              : (char)rand();
        }
        nreplies = 0;
        vt_write(&vt, buf, sizeof(buf));
        cr_assert_leq(vt.y, ROWS - 1);
        cr_assert_leq(vt.x, COLS);
        cr_assert_leq(vt.top, vt.bottom);
        cr_assert_leq(vt.bottom, ROWS - 1);
    }
    for (size_t i = ROWS * COLS; i < ARRAY_SIZE(guard); i++)
        cr_assert_eq(guard[i], 0, "wrote past the grid at %zu", i);
}
