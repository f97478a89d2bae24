/*
 * vt.h - a VT100/xterm-style terminal emulator over a grid of text cells.
 *
 * Applications write bytes; the emulator interprets control characters,
 * escape sequences (ECMA-48 CSI, a few ESC and DEC private ones) and UTF-8,
 * and updates a cell grid in the VGA text format (character in the low
 * byte, attribute in the high byte). What a screen driver does with the
 * grid is its business: vgatext.c copies the changed cells to video
 * memory. Pure logic, so it is tested on the host (tests/host/test_vt.c).
 *
 * Supported: cursor movement (CUU CUD CUF CUB CNL CPL CHA VPA CUP HVP),
 * erase (ED EL ECH), insert/delete (ICH DCH IL DL), scrolling (SU SD IND
 * RI NEL, scroll regions DECSTBM), SGR colours (8 + bright, bold, reverse,
 * defaults), save/restore cursor (DECSC/DECRC, CSI s/u), cursor visibility
 * (DECTCEM), autowrap (DECAWM) with xterm's deferred wrap, the alternate
 * screen (1049/47/1047), device status reports (DSR 5/6, answered through
 * the reply callback), full reset (RIS). OSC strings are skipped. UTF-8 is
 * decoded and shown in code page 437 where it has the character
 * (box drawing, blocks, some Latin-1), otherwise as '?'.
 *
 * Line feed also returns the carriage (newline mode): the kernel's own
 * messages and cooked-mode output rely on it. Not thread-safe: the caller
 * serializes writes.
 */
#pragma once

#include "lib/types.h"

#define VT_MAX_PARAMS 16

struct vt {
    unsigned int rows, cols;
    uint16_t *cells; /* rows * cols, the visible screen */
    uint16_t *alt;   /* rows * cols for the other screen, or NULL */
    bool alt_active;
    /* Cursor. x == cols means a wrap is pending (the last column was written). */
    unsigned int x, y;
    bool cursor_visible, autowrap;
    /* Scroll region, rows top..bottom inclusive. */
    unsigned int top, bottom;
    /* Current rendition. Colours are ANSI numbers 0-7 (+8 bright). */
    uint8_t fg, bg;
    bool bold, reverse;
    /* Saved cursor (DECSC). */
    struct {
        unsigned int x, y;
        uint8_t fg, bg;
        bool bold, reverse;
    } saved;
    /* Parser. */
    int state;
    unsigned int params[VT_MAX_PARAMS];
    unsigned int nparams;
    char private_mark; /* '?' or '>' after CSI, else 0 */
    uint32_t utf8_cp;
    unsigned int utf8_need;
    /* Cells changed since the driver last looked: [dirty_lo, dirty_hi). */
    unsigned int dirty_lo, dirty_hi;
    /* Answers to status reports go back as typed input. */
    void (*reply)(void *ctx, const char *s, size_t n);
    void *ctx;
};

/*
 * Set up vt over cells (and alt, which may be NULL) of rows x cols and
 * clear the screen. reply may be NULL.
 */
void vt_init(struct vt *vt, unsigned int rows, unsigned int cols, uint16_t *cells, uint16_t *alt,
             void (*reply)(void *ctx, const char *s, size_t n), void *ctx);
/* Interpret n bytes of output. */
void vt_write(struct vt *vt, const char *buf, size_t n);
/* The attribute byte (VGA format) of the current rendition. */
uint8_t vt_attr(const struct vt *vt);
/* Take the changed range of cells and reset it; false when nothing changed. */
bool vt_take_dirty(struct vt *vt, unsigned int *lo, unsigned int *hi);
