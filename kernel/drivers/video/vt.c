/*
 * vt.c - the terminal emulator (see vt.h).
 *
 * A byte goes through a small state machine (ground, ESC, CSI, OSC and a
 * skip state for charset designations), as ECMA-48 and xterm's ctlseqs
 * describe. Every change of a cell widens the dirty range, so a screen
 * driver copies only what changed.
 */
#include "drivers/video/vt.h"
#include "lib/printf.h"
#include "lib/string.h"

enum { S_GROUND, S_ESC, S_CSI, S_OSC, S_OSC_ESC, S_CHARSET };

#define DEFAULT_FG 7
#define DEFAULT_BG 0

/* ANSI colour order (black red green yellow blue magenta cyan white) to VGA's. */
static const uint8_t ansi_to_vga[8] = {0, 4, 2, 6, 1, 5, 3, 7};

/* Unicode characters code page 437 has, sorted by code point. */
static const struct {
    uint16_t cp;
    uint8_t glyph;
} cp437[] = {
    {0x00a1, 0xad}, {0x00a3, 0x9c}, {0x00a5, 0x9d}, {0x00ab, 0xae}, {0x00b0, 0xf8}, {0x00b1, 0xf1},
    {0x00b2, 0xfd}, {0x00b5, 0xe6}, {0x00b7, 0xfa}, {0x00bb, 0xaf}, {0x00bf, 0xa8}, {0x00c4, 0x8e},
    {0x00d1, 0xa5}, {0x00d6, 0x99}, {0x00dc, 0x9a}, {0x00df, 0xe1}, {0x00e0, 0x85}, {0x00e1, 0xa0},
    {0x00e4, 0x84}, {0x00e7, 0x87}, {0x00e8, 0x8a}, {0x00e9, 0x82}, {0x00ed, 0xa1}, {0x00f1, 0xa4},
    {0x00f3, 0xa2}, {0x00f6, 0x94}, {0x00f7, 0xf6}, {0x00fa, 0xa3}, {0x00fc, 0x81}, {0x03c0, 0xe3},
    {0x2022, 0x07}, {0x2190, 0x1b}, {0x2191, 0x18}, {0x2192, 0x1a}, {0x2193, 0x19}, {0x221a, 0xfb},
    {0x221e, 0xec}, {0x2264, 0xf3}, {0x2265, 0xf2}, {0x2500, 0xc4}, {0x2502, 0xb3}, {0x250c, 0xda},
    {0x2510, 0xbf}, {0x2514, 0xc0}, {0x2518, 0xd9}, {0x251c, 0xc3}, {0x2524, 0xb4}, {0x252c, 0xc2},
    {0x2534, 0xc1}, {0x253c, 0xc5}, {0x2550, 0xcd}, {0x2551, 0xba}, {0x2554, 0xc9}, {0x2557, 0xbb},
    {0x255a, 0xc8}, {0x255d, 0xbc}, {0x2560, 0xcc}, {0x2563, 0xb9}, {0x2566, 0xcb}, {0x2569, 0xca},
    {0x256c, 0xce}, {0x2580, 0xdf}, {0x2584, 0xdc}, {0x2588, 0xdb}, {0x258c, 0xdd}, {0x2590, 0xde},
    {0x2591, 0xb0}, {0x2592, 0xb1}, {0x2593, 0xb2}, {0x25a0, 0xfe},
};

static uint8_t glyph(uint32_t cp)
{
    unsigned int lo = 0, hi = ARRAY_SIZE(cp437);

    if (cp < 0x80)
        return (uint8_t)cp;
    while (lo < hi) {
        unsigned int mid = (lo + hi) / 2;
        if (cp437[mid].cp == cp)
            return cp437[mid].glyph;
        if (cp437[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return '?';
}

uint8_t vt_attr(const struct vt *vt)
{
    uint8_t fg = vt->fg, bg = vt->bg, t;

    if (vt->bold && fg < 8)
        fg += 8;
    if (vt->reverse) {
        t = fg;
        fg = bg;
        bg = t;
    }
    fg = ansi_to_vga[fg & 7] | (fg & 8);
    bg = ansi_to_vga[bg & 7] | (bg & 8);
    return (uint8_t)(bg << 4 | fg);
}

static uint16_t blank(const struct vt *vt)
{
    return (uint16_t)(vt_attr(vt) << 8 | ' ');
}

static void mark(struct vt *vt, unsigned int lo, unsigned int hi)
{
    if (lo >= hi)
        return;
    if (vt->dirty_lo >= vt->dirty_hi) {
        vt->dirty_lo = lo;
        vt->dirty_hi = hi;
        return;
    }
    vt->dirty_lo = MIN(vt->dirty_lo, lo);
    vt->dirty_hi = MAX(vt->dirty_hi, hi);
}

bool vt_take_dirty(struct vt *vt, unsigned int *lo, unsigned int *hi)
{
    if (vt->dirty_lo >= vt->dirty_hi)
        return false;
    *lo = vt->dirty_lo;
    *hi = vt->dirty_hi;
    vt->dirty_lo = vt->dirty_hi = 0;
    return true;
}

/* Blank count cells from index start. */
static void erase(struct vt *vt, unsigned int start, unsigned int count)
{
    uint16_t b = blank(vt);

    for (unsigned int i = 0; i < count; i++)
        vt->cells[start + i] = b;
    mark(vt, start, start + count);
}

/* Move rows top+n..bottom up by n; blank the n rows freed at the bottom. */
static void scroll_up(struct vt *vt, unsigned int top, unsigned int bottom, unsigned int n)
{
    unsigned int height = bottom - top + 1, cols = vt->cols;

    n = MIN(n, height);
    memmove(&vt->cells[top * cols], &vt->cells[(top + n) * cols],
            (size_t)(height - n) * cols * sizeof(uint16_t));
    erase(vt, (bottom + 1 - n) * cols, n * cols);
    mark(vt, top * cols, (bottom + 1) * cols);
}

/* Move rows top..bottom-n down by n; blank the n rows freed at the top. */
static void scroll_down(struct vt *vt, unsigned int top, unsigned int bottom, unsigned int n)
{
    unsigned int height = bottom - top + 1, cols = vt->cols;

    n = MIN(n, height);
    memmove(&vt->cells[(top + n) * cols], &vt->cells[top * cols],
            (size_t)(height - n) * cols * sizeof(uint16_t));
    erase(vt, top * cols, n * cols);
    mark(vt, top * cols, (bottom + 1) * cols);
}

/* A pending wrap ends when the cursor moves. */
static void settle(struct vt *vt)
{
    if (vt->x >= vt->cols)
        vt->x = vt->cols - 1;
}

static void index_down(struct vt *vt)
{
    if (vt->y == vt->bottom)
        scroll_up(vt, vt->top, vt->bottom, 1);
    else if (vt->y + 1 < vt->rows)
        vt->y++;
}

static void index_up(struct vt *vt)
{
    if (vt->y == vt->top)
        scroll_down(vt, vt->top, vt->bottom, 1);
    else if (vt->y > 0)
        vt->y--;
}

static void put_glyph(struct vt *vt, uint8_t g)
{
    unsigned int at;

    if (vt->x >= vt->cols) {
        if (vt->autowrap) {
            vt->x = 0;
            index_down(vt);
        } else {
            vt->x = vt->cols - 1;
        }
    }
    at = vt->y * vt->cols + vt->x;
    vt->cells[at] = (uint16_t)(vt_attr(vt) << 8 | g);
    mark(vt, at, at + 1);
    if (vt->x + 1 < vt->cols || vt->autowrap)
        vt->x++;
}

static void save_cursor(struct vt *vt)
{
    vt->saved.x = vt->x;
    vt->saved.y = vt->y;
    vt->saved.fg = vt->fg;
    vt->saved.bg = vt->bg;
    vt->saved.bold = vt->bold;
    vt->saved.reverse = vt->reverse;
}

static void restore_cursor(struct vt *vt)
{
    vt->x = MIN(vt->saved.x, vt->cols - 1);
    vt->y = MIN(vt->saved.y, vt->rows - 1);
    vt->fg = vt->saved.fg;
    vt->bg = vt->saved.bg;
    vt->bold = vt->saved.bold;
    vt->reverse = vt->saved.reverse;
}

static void reset(struct vt *vt)
{
    vt->x = vt->y = 0;
    vt->cursor_visible = true;
    vt->autowrap = true;
    vt->top = 0;
    vt->bottom = vt->rows - 1;
    vt->fg = DEFAULT_FG;
    vt->bg = DEFAULT_BG;
    vt->bold = vt->reverse = false;
    vt->state = S_GROUND;
    vt->utf8_need = 0;
    save_cursor(vt);
    erase(vt, 0, vt->rows * vt->cols);
}

void vt_init(struct vt *vt, unsigned int rows, unsigned int cols, uint16_t *cells, uint16_t *alt,
             void (*reply)(void *ctx, const char *s, size_t n), void *ctx)
{
    memset(vt, 0, sizeof(*vt));
    vt->rows = rows;
    vt->cols = cols;
    vt->cells = cells;
    vt->alt = alt;
    vt->reply = reply;
    vt->ctx = ctx;
    reset(vt);
}

static void send_reply(struct vt *vt, const char *s)
{
    if (vt->reply != NULL)
        vt->reply(vt->ctx, s, strlen(s));
}

static void alt_screen(struct vt *vt, bool on)
{
    size_t bytes = (size_t)vt->rows * vt->cols * sizeof(uint16_t);

    if (vt->alt == NULL || vt->alt_active == on)
        return;
    vt->alt_active = on;
    if (on) {
        memcpy(vt->alt, vt->cells, bytes); /* keep the main screen */
        erase(vt, 0, vt->rows * vt->cols);
    } else {
        memcpy(vt->cells, vt->alt, bytes);
        mark(vt, 0, vt->rows * vt->cols);
    }
}

static unsigned int param(const struct vt *vt, unsigned int i, unsigned int def)
{
    return i < vt->nparams && vt->params[i] != 0 ? vt->params[i] : def;
}

/* An SGR colour index from 38;5;n or 48;5;n: the first 16 exactly, others grey. */
static uint8_t colour256(unsigned int n)
{
    return n < 16 ? (uint8_t)n : DEFAULT_FG;
}

static void sgr(struct vt *vt)
{
    if (vt->nparams == 0) {
        vt->fg = DEFAULT_FG;
        vt->bg = DEFAULT_BG;
        vt->bold = vt->reverse = false;
        return;
    }
    for (unsigned int i = 0; i < vt->nparams; i++) {
        unsigned int p = vt->params[i];
        if (p == 0) {
            vt->fg = DEFAULT_FG;
            vt->bg = DEFAULT_BG;
            vt->bold = vt->reverse = false;
        } else if (p == 1) {
            vt->bold = true;
        } else if (p == 22) {
            vt->bold = false;
        } else if (p == 7) {
            vt->reverse = true;
        } else if (p == 27) {
            vt->reverse = false;
        } else if (p >= 30 && p <= 37) {
            vt->fg = (uint8_t)(p - 30);
        } else if (p == 39) {
            vt->fg = DEFAULT_FG;
        } else if (p >= 40 && p <= 47) {
            vt->bg = (uint8_t)(p - 40);
        } else if (p == 49) {
            vt->bg = DEFAULT_BG;
        } else if (p >= 90 && p <= 97) {
            vt->fg = (uint8_t)(p - 90 + 8);
        } else if (p >= 100 && p <= 107) {
            vt->bg = (uint8_t)(p - 100 + 8);
        } else if (p == 38 || p == 48) {
            uint8_t c = DEFAULT_FG;
            if (i + 2 < vt->nparams && vt->params[i + 1] == 5) {
                c = colour256(vt->params[i + 2]);
                i += 2;
            } else if (i + 4 < vt->nparams && vt->params[i + 1] == 2) {
                i += 4; /* true colour: keep the current colour */
                continue;
            } else {
                break;
            }
            if (p == 38)
                vt->fg = c;
            else
                vt->bg = c == DEFAULT_FG ? DEFAULT_BG : c;
        }
    }
}

static void dec_mode(struct vt *vt, bool on)
{
    for (unsigned int i = 0; i < vt->nparams; i++) {
        switch (vt->params[i]) {
        case 7:
            vt->autowrap = on;
            break;
        case 25:
            vt->cursor_visible = on;
            break;
        case 47:
        case 1047:
            alt_screen(vt, on);
            break;
        case 1049:
            if (on) {
                save_cursor(vt);
                alt_screen(vt, true);
            } else {
                alt_screen(vt, false);
                restore_cursor(vt);
            }
            break;
        default:
            break;
        }
    }
}

static void csi_dispatch(struct vt *vt, char final)
{
    unsigned int n = param(vt, 0, 1), cols = vt->cols, row = vt->y * cols;
    char buf[32];

    if (vt->private_mark == '?') {
        if (final == 'h' || final == 'l')
            dec_mode(vt, final == 'h');
        return;
    }
    if (vt->private_mark != 0)
        return;
    settle(vt);
    switch (final) {
    case 'A':
        vt->y = vt->y >= vt->top ? MAX(vt->top, vt->y - MIN(n, vt->y)) : vt->y - MIN(n, vt->y);
        break;
    case 'B':
        vt->y = MIN(vt->y + n, vt->y <= vt->bottom ? vt->bottom : vt->rows - 1);
        break;
    case 'C':
        vt->x = MIN(vt->x + n, cols - 1);
        break;
    case 'D':
        vt->x -= MIN(n, vt->x);
        break;
    case 'E':
        vt->y = MIN(vt->y + n, vt->rows - 1);
        vt->x = 0;
        break;
    case 'F':
        vt->y -= MIN(n, vt->y);
        vt->x = 0;
        break;
    case 'G':
    case '`':
        vt->x = MIN(n, cols) - 1;
        break;
    case 'd':
        vt->y = MIN(n, vt->rows) - 1;
        break;
    case 'H':
    case 'f':
        vt->y = MIN(param(vt, 0, 1), vt->rows) - 1;
        vt->x = MIN(param(vt, 1, 1), cols) - 1;
        break;
    case 'J':
        switch (param(vt, 0, 0)) {
        case 0:
            erase(vt, row + vt->x, vt->rows * cols - row - vt->x);
            break;
        case 1:
            erase(vt, 0, row + vt->x + 1);
            break;
        default:
            erase(vt, 0, vt->rows * cols);
            break;
        }
        break;
    case 'K':
        switch (param(vt, 0, 0)) {
        case 0:
            erase(vt, row + vt->x, cols - vt->x);
            break;
        case 1:
            erase(vt, row, vt->x + 1);
            break;
        default:
            erase(vt, row, cols);
            break;
        }
        break;
    case 'X':
        erase(vt, row + vt->x, MIN(n, cols - vt->x));
        break;
    case '@':
        n = MIN(n, cols - vt->x);
        memmove(&vt->cells[row + vt->x + n], &vt->cells[row + vt->x],
                (size_t)(cols - vt->x - n) * sizeof(uint16_t));
        erase(vt, row + vt->x, n);
        mark(vt, row + vt->x, row + cols);
        break;
    case 'P':
        n = MIN(n, cols - vt->x);
        memmove(&vt->cells[row + vt->x], &vt->cells[row + vt->x + n],
                (size_t)(cols - vt->x - n) * sizeof(uint16_t));
        erase(vt, row + cols - n, n);
        mark(vt, row + vt->x, row + cols);
        break;
    case 'L':
        if (vt->y >= vt->top && vt->y <= vt->bottom)
            scroll_down(vt, vt->y, vt->bottom, n);
        vt->x = 0;
        break;
    case 'M':
        if (vt->y >= vt->top && vt->y <= vt->bottom)
            scroll_up(vt, vt->y, vt->bottom, n);
        vt->x = 0;
        break;
    case 'S':
        scroll_up(vt, vt->top, vt->bottom, n);
        break;
    case 'T':
        if (vt->nparams <= 1)
            scroll_down(vt, vt->top, vt->bottom, n);
        break;
    case 'm':
        sgr(vt);
        break;
    case 'r': {
        unsigned int top = param(vt, 0, 1) - 1, bottom = param(vt, 1, vt->rows) - 1;
        if (bottom >= vt->rows)
            bottom = vt->rows - 1;
        if (top < bottom) {
            vt->top = top;
            vt->bottom = bottom;
            vt->x = vt->y = 0;
        }
        break;
    }
    case 's':
        save_cursor(vt);
        break;
    case 'u':
        restore_cursor(vt);
        break;
    case 'n':
        if (param(vt, 0, 0) == 5) {
            send_reply(vt, "\033[0n");
        } else if (param(vt, 0, 0) == 6) {
            snprintf(buf, sizeof(buf), "\033[%u;%uR", vt->y + 1, vt->x + 1);
            send_reply(vt, buf);
        }
        break;
    case 'c':
        if (param(vt, 0, 0) == 0)
            send_reply(vt, "\033[?6c"); /* a VT102 */
        break;
    default:
        break;
    }
}

static void esc_dispatch(struct vt *vt, char c)
{
    vt->state = S_GROUND;
    switch (c) {
    case '[':
        vt->state = S_CSI;
        vt->nparams = 0;
        vt->private_mark = 0;
        memset(vt->params, 0, sizeof(vt->params));
        break;
    case ']':
        vt->state = S_OSC;
        break;
    case '(':
    case ')':
    case '*':
    case '+':
        vt->state = S_CHARSET;
        break;
    case '7':
        save_cursor(vt);
        break;
    case '8':
        restore_cursor(vt);
        break;
    case 'c':
        alt_screen(vt, false);
        reset(vt);
        break;
    case 'D':
        settle(vt);
        index_down(vt);
        break;
    case 'E':
        vt->x = 0;
        index_down(vt);
        break;
    case 'M':
        settle(vt);
        index_up(vt);
        break;
    default:
        break; /* keypad modes, unknown sequences */
    }
}

/* C0 control characters, in any state but OSC. */
static void control(struct vt *vt, char c)
{
    switch (c) {
    case '\n':
    case '\v':
    case '\f':
        vt->x = 0; /* newline mode: LF also returns the carriage */
        index_down(vt);
        break;
    case '\r':
        vt->x = 0;
        break;
    case '\b':
        settle(vt);
        if (vt->x > 0)
            vt->x--;
        break;
    case '\t':
        settle(vt);
        vt->x = MIN((vt->x + 8) & ~7u, vt->cols - 1);
        break;
    case 0x18: /* CAN and SUB abort a sequence */
    case 0x1a:
        vt->state = S_GROUND;
        break;
    case 0x1b:
        vt->state = S_ESC;
        break;
    default:
        break; /* BEL, NUL, SO/SI... */
    }
}

static void csi_byte(struct vt *vt, char c)
{
    if (c >= '0' && c <= '9') {
        if (vt->nparams == 0)
            vt->nparams = 1;
        unsigned int *p = &vt->params[vt->nparams - 1];
        *p = MIN(*p * 10 + (unsigned int)(c - '0'), 9999u);
    } else if (c == ';' || c == ':') {
        if (vt->nparams == 0)
            vt->nparams = 1;
        if (vt->nparams < VT_MAX_PARAMS)
            vt->nparams++;
    } else if ((c == '?' || c == '>' || c == '=' || c == '<') && vt->nparams == 0) {
        vt->private_mark = c;
    } else if (c >= 0x40 && c <= 0x7e) {
        vt->state = S_GROUND;
        csi_dispatch(vt, c);
    }
    /* Intermediate bytes (0x20-0x2f) are ignored. */
}

static void utf8_byte(struct vt *vt, uint8_t b)
{
    if (vt->utf8_need > 0 && (b & 0xc0) == 0x80) {
        vt->utf8_cp = vt->utf8_cp << 6 | (b & 0x3f);
        if (--vt->utf8_need == 0)
            put_glyph(vt, glyph(vt->utf8_cp));
        return;
    }
    if (vt->utf8_need > 0) /* a sequence cut short */
        put_glyph(vt, '?');
    vt->utf8_need = 0;
    if (b < 0x80) {
        put_glyph(vt, b);
    } else if ((b & 0xe0) == 0xc0) {
        vt->utf8_cp = b & 0x1f;
        vt->utf8_need = 1;
    } else if ((b & 0xf0) == 0xe0) {
        vt->utf8_cp = b & 0x0f;
        vt->utf8_need = 2;
    } else if ((b & 0xf8) == 0xf0) {
        vt->utf8_cp = b & 0x07;
        vt->utf8_need = 3;
    } else {
        put_glyph(vt, '?');
    }
}

void vt_write(struct vt *vt, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        uint8_t b = (uint8_t)c;

        switch (vt->state) {
        case S_OSC:
            if (c == '\a')
                vt->state = S_GROUND;
            else if (c == 0x1b)
                vt->state = S_OSC_ESC;
            continue;
        case S_OSC_ESC: /* ESC \ ends it; anything else too, to be safe */
            vt->state = S_GROUND;
            if (c != '\\')
                vt->state = c == ']' ? S_OSC : S_GROUND;
            continue;
        case S_CHARSET:
            vt->state = S_GROUND;
            continue;
        default:
            break;
        }
        if (b < 0x20 || b == 0x7f) {
            if (b != 0x7f)
                control(vt, c);
            continue;
        }
        switch (vt->state) {
        case S_ESC:
            esc_dispatch(vt, c);
            break;
        case S_CSI:
            csi_byte(vt, c);
            break;
        default:
            if (b >= 0x80 || vt->utf8_need > 0)
                utf8_byte(vt, b);
            else
                put_glyph(vt, b);
            break;
        }
    }
}
