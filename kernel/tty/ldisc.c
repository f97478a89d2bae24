/*
 * ldisc.c - the line discipline (see ldisc.h).
 *
 * Canonical mode editing, as in a shell's readline, kept deliberately
 * small: Backspace/^H, ^U (kill line), ^W (kill word), left/right arrows,
 * Home/End (and ^A/^E), Delete, insertion anywhere in the line, up/down
 * through the last LDISC_HISTORY lines. Echo redraws the tail of the line
 * after an insertion or deletion in the middle using ANSI cursor moves
 * (ESC [ n D), which both the serial terminal and the VGA console
 * understand.
 */
#include "lib/string.h"
#include "linux/uapi.h"
#include "tty/ldisc.h"

#define CTRL(c) ((c)&0x1f)
#define DEL 0x7f

void ldisc_init(struct ldisc *l, void (*echo)(void *, const char *, size_t),
                void (*signal)(void *, int), void *ctx)
{
    memset(l, 0, sizeof(*l));
    l->termios.c_iflag = ICRNL | IXON | IUTF8;
    l->termios.c_oflag = OPOST | ONLCR;
    l->termios.c_cflag = B38400 | CS8 | CREAD;
    l->termios.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    l->termios.c_cc[VINTR] = CTRL('C');
    l->termios.c_cc[VQUIT] = CTRL('\\');
    l->termios.c_cc[VERASE] = DEL;
    l->termios.c_cc[VKILL] = CTRL('U');
    l->termios.c_cc[VEOF] = CTRL('D');
    l->termios.c_cc[VTIME] = 0;
    l->termios.c_cc[VMIN] = 1;
    l->termios.c_cc[VSTART] = CTRL('Q');
    l->termios.c_cc[VSTOP] = CTRL('S');
    l->termios.c_cc[VSUSP] = CTRL('Z');
    l->termios.c_cc[VREPRINT] = CTRL('R');
    l->termios.c_cc[VWERASE] = CTRL('W');
    l->termios.c_cc[VLNEXT] = CTRL('V');
    l->echo = echo;
    l->signal = signal;
    l->ctx = ctx;
}

static bool canonical(const struct ldisc *l)
{
    return l->termios.c_lflag & ICANON;
}

static bool echoing(const struct ldisc *l)
{
    return l->termios.c_lflag & ECHO;
}

static void out(struct ldisc *l, const char *s, size_t n)
{
    if (n > 0 && l->echo != NULL)
        l->echo(l->ctx, s, n);
}

static void outs(struct ldisc *l, const char *s)
{
    out(l, s, strlen(s));
}

/* Move the terminal cursor left n columns. */
static void cursor_left(struct ldisc *l, size_t n)
{
    char seq[16];
    int k = 0;

    if (n == 0)
        return;
    /* "\x1b[" n "D", n in decimal. */
    seq[k++] = 0x1b;
    seq[k++] = '[';
    char digits[8];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0 && nd < 7);
    while (nd > 0)
        seq[k++] = digits[--nd];
    seq[k++] = 'D';
    out(l, seq, (size_t)k);
}

static void queue_slot(struct ldisc *l, char c, bool eof)
{
    if (l->count == LDISC_BUF_SIZE)
        return; /* full: drop, as a real terminal would */
    size_t i = (l->head + l->count) % LDISC_BUF_SIZE;
    l->buf[i] = c;
    l->eof[i] = eof;
    l->count++;
    if (eof)
        l->eof_count++;
}

static void queue_byte(struct ldisc *l, char c)
{
    queue_slot(l, c, false);
}

static void drop_queue(struct ldisc *l)
{
    l->count = 0;
    l->eof_count = 0;
}

/* Redraw from the cursor to the end of the line, clearing `extra` cells. */
static void redraw_tail(struct ldisc *l, size_t extra)
{
    if (!echoing(l))
        return;
    out(l, l->line + l->cursor, l->len - l->cursor);
    for (size_t i = 0; i < extra; i++)
        out(l, " ", 1);
    cursor_left(l, l->len - l->cursor + extra);
}

static void insert_char(struct ldisc *l, char c)
{
    if (l->len + 1 >= LDISC_LINE_MAX)
        return;
    memmove(l->line + l->cursor + 1, l->line + l->cursor, l->len - l->cursor);
    l->line[l->cursor] = c;
    l->len++;
    if (echoing(l)) {
        if ((uint8_t)c < 0x20 && (l->termios.c_lflag & ECHOCTL)) {
            char caret[2] = {'^', (char)(c + '@')};
            out(l, caret, 2);
        } else {
            out(l, &c, 1);
        }
    }
    l->cursor++;
    if (l->cursor < l->len)
        redraw_tail(l, 0);
}

/* Delete n characters before the cursor. */
static void erase_back(struct ldisc *l, size_t n)
{
    n = MIN(n, l->cursor);
    if (n == 0)
        return;
    memmove(l->line + l->cursor - n, l->line + l->cursor, l->len - l->cursor);
    l->cursor -= n;
    l->len -= n;
    if (echoing(l)) {
        cursor_left(l, n);
        redraw_tail(l, n);
    }
}

static void delete_forward(struct ldisc *l)
{
    if (l->cursor == l->len)
        return;
    memmove(l->line + l->cursor, l->line + l->cursor + 1, l->len - l->cursor - 1);
    l->len--;
    redraw_tail(l, 1);
}

static void move_to(struct ldisc *l, size_t pos)
{
    if (pos < l->cursor) {
        if (echoing(l))
            cursor_left(l, l->cursor - pos);
    } else if (pos > l->cursor && echoing(l)) {
        out(l, l->line + l->cursor, pos - l->cursor);
    }
    l->cursor = pos;
}

/* Replace the whole line (history browsing). */
static void set_line(struct ldisc *l, const char *s, size_t n)
{
    size_t old = l->len;

    move_to(l, 0);
    n = MIN(n, (size_t)LDISC_LINE_MAX - 1);
    memcpy(l->line, s, n);
    l->len = n;
    l->cursor = 0;
    if (echoing(l)) {
        out(l, l->line, n);
        l->cursor = n;
        if (old > n) {
            for (size_t i = n; i < old; i++)
                out(l, " ", 1);
            cursor_left(l, old - n);
        }
    } else {
        l->cursor = n;
    }
}

static void history_add(struct ldisc *l)
{
    size_t n = MIN(l->len, (size_t)LDISC_HISTORY_LINE - 1);

    if (n == 0)
        return;
    /* Skip a repeat of the newest entry. */
    if (l->hist_count > 0) {
        const char *last = l->history[(l->hist_next + LDISC_HISTORY - 1) % LDISC_HISTORY];
        if (strlen(last) == n && memcmp(last, l->line, n) == 0)
            return;
    }
    memcpy(l->history[l->hist_next], l->line, n);
    l->history[l->hist_next][n] = '\0';
    l->hist_next = (l->hist_next + 1) % LDISC_HISTORY;
    if (l->hist_count < LDISC_HISTORY)
        l->hist_count++;
}

static void history_move(struct ldisc *l, int dir)
{
    unsigned int target = l->hist_browse;

    if (dir > 0 && target < l->hist_count)
        target++;
    else if (dir < 0 && target > 0)
        target--;
    else
        return;
    if (l->hist_browse == 0) {
        /* Keep what was typed so Down can bring it back. */
        l->saved_len = MIN(l->len, (size_t)LDISC_HISTORY_LINE - 1);
        memcpy(l->saved_line, l->line, l->saved_len);
    }
    l->hist_browse = target;
    if (target == 0) {
        set_line(l, l->saved_line, l->saved_len);
    } else {
        const char *h = l->history[(l->hist_next + LDISC_HISTORY - target) % LDISC_HISTORY];
        set_line(l, h, strlen(h));
    }
}

/* End the line: queue it with its newline, or with an end-of-file mark. */
static void commit_line(struct ldisc *l, bool newline)
{
    for (size_t i = 0; i < l->len; i++)
        queue_byte(l, l->line[i]);
    if (!newline)
        queue_slot(l, 0, true);
    if (newline) {
        queue_byte(l, '\n');
        if (echoing(l) || (l->termios.c_lflag & ECHONL)) {
            move_to(l, l->len);
            outs(l, "\n");
        }
        history_add(l);
    }
    l->len = 0;
    l->cursor = 0;
    l->hist_browse = 0;
}

static void handle_escape(struct ldisc *l, char c)
{
    l->esc_buf[l->esc_len++] = c;
    /* ESC [ X, ESC O X, ESC [ n ~ */
    if (l->esc_len == 1)
        return; /* after ESC, wait for [ or O */
    if (l->esc_len == 2 && c != '[' && c != 'O') {
        l->esc_state = 0;
        return;
    }
    if (l->esc_len == 2)
        return;
    if (c >= '0' && c <= '9' && l->esc_len < sizeof(l->esc_buf) - 1)
        return;
    l->esc_state = 0;
    switch (c) {
    case 'A':
        history_move(l, 1);
        break;
    case 'B':
        history_move(l, -1);
        break;
    case 'C':
        if (l->cursor < l->len)
            move_to(l, l->cursor + 1);
        break;
    case 'D':
        if (l->cursor > 0)
            move_to(l, l->cursor - 1);
        break;
    case 'H':
        move_to(l, 0);
        break;
    case 'F':
        move_to(l, l->len);
        break;
    case '~':
        if (l->esc_buf[2] == '1' || l->esc_buf[2] == '7')
            move_to(l, 0);
        else if (l->esc_buf[2] == '4' || l->esc_buf[2] == '8')
            move_to(l, l->len);
        else if (l->esc_buf[2] == '3')
            delete_forward(l);
        break;
    default:
        break;
    }
}

static void erase_word(struct ldisc *l)
{
    size_t p = l->cursor;

    while (p > 0 && l->line[p - 1] == ' ')
        p--;
    while (p > 0 && l->line[p - 1] != ' ')
        p--;
    erase_back(l, l->cursor - p);
}

static void receive_canonical(struct ldisc *l, char c)
{
    const uint8_t *cc = l->termios.c_cc;

    if (l->esc_state) {
        handle_escape(l, c);
        return;
    }
    if (c == 0x1b && (l->termios.c_lflag & IEXTEN)) {
        l->esc_state = 1;
        l->esc_len = 0;
        handle_escape(l, c);
        return;
    }
    if (c == '\n' || (cc[VEOL] != 0 && (uint8_t)c == cc[VEOL])) {
        commit_line(l, true);
        return;
    }
    if ((uint8_t)c == cc[VEOF]) {
        commit_line(l, false);
        return;
    }
    if ((uint8_t)c == cc[VERASE] || c == CTRL('H')) {
        erase_back(l, 1);
        return;
    }
    if ((uint8_t)c == cc[VKILL]) {
        move_to(l, l->len);
        erase_back(l, l->len);
        return;
    }
    if ((uint8_t)c == cc[VWERASE] && (l->termios.c_lflag & IEXTEN)) {
        erase_word(l);
        return;
    }
    if (c == CTRL('A') && (l->termios.c_lflag & IEXTEN)) {
        move_to(l, 0);
        return;
    }
    if (c == CTRL('E') && (l->termios.c_lflag & IEXTEN)) {
        move_to(l, l->len);
        return;
    }
    insert_char(l, c);
}

void ldisc_receive(struct ldisc *l, const char *in, size_t n)
{
    const uint8_t *cc = l->termios.c_cc;

    for (size_t i = 0; i < n; i++) {
        char c = in[i];

        if (l->termios.c_iflag & ISTRIP)
            c &= 0x7f;
        if (c == '\r') {
            if (l->termios.c_iflag & IGNCR)
                continue;
            if (l->termios.c_iflag & ICRNL)
                c = '\n';
        } else if (c == '\n' && (l->termios.c_iflag & INLCR)) {
            c = '\r';
        }
        if (l->termios.c_lflag & ISIG) {
            int sig = 0;
            if ((uint8_t)c == cc[VINTR])
                sig = SIGINT;
            else if ((uint8_t)c == cc[VQUIT])
                sig = SIGQUIT;
            else if ((uint8_t)c == cc[VSUSP])
                sig = SIGTSTP;
            if (sig != 0) {
                if (!(l->termios.c_lflag & NOFLSH)) {
                    l->len = l->cursor = 0;
                    drop_queue(l);
                    l->hist_browse = 0;
                    l->esc_state = 0;
                }
                if (echoing(l) && (l->termios.c_lflag & ECHOCTL)) {
                    char caret[2] = {'^', (char)(c + '@')};
                    out(l, caret, 2);
                    outs(l, "\n");
                }
                if (l->signal != NULL)
                    l->signal(l->ctx, sig);
                continue;
            }
        }
        if (canonical(l)) {
            receive_canonical(l, c);
        } else {
            queue_byte(l, c);
            if (echoing(l))
                out(l, &c, 1);
        }
    }
}

static void consume_slot(struct ldisc *l)
{
    if (l->eof[l->head])
        l->eof_count--;
    l->head = (l->head + 1) % LDISC_BUF_SIZE;
    l->count--;
}

size_t ldisc_readable(const struct ldisc *l)
{
    size_t bytes = l->count - l->eof_count;
    return bytes > 0 || l->eof_count == 0 ? bytes : 1;
}

size_t ldisc_read(struct ldisc *l, char *dst, size_t n, bool *eof)
{
    size_t done = 0;

    *eof = false;
    while (done < n && l->count > 0) {
        size_t i = l->head;
        bool mark = l->eof[i];
        char c = l->buf[i];
        if (mark && !canonical(l)) {
            /* A ^D typed before a switch to raw mode means nothing now. */
            consume_slot(l);
            continue;
        }
        consume_slot(l);
        if (mark) {
            *eof = done == 0;
            break;
        }
        dst[done++] = c;
        if (canonical(l) && c == '\n')
            break;
    }
    return done;
}

void ldisc_set_termios(struct ldisc *l, const struct k_termios *t)
{
    bool was_canonical = canonical(l);

    l->termios = *t;
    if (was_canonical && !canonical(l) && l->len > 0) {
        /* Leaving canonical mode: the partial line becomes readable input. */
        for (size_t i = 0; i < l->len; i++)
            queue_byte(l, l->line[i]);
        l->len = l->cursor = 0;
    }
}

void ldisc_flush(struct ldisc *l)
{
    drop_queue(l);
    l->head = 0;
    l->len = 0;
    l->cursor = 0;
}
