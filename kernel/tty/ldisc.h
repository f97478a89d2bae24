/*
 * ldisc.h - the line discipline: what a terminal does with typed bytes.
 *
 * Canonical mode (ICANON) collects a line with echo and editing, and hands
 * it to read() when Enter (or ^D) ends it; raw and cbreak modes hand bytes
 * over as they come (VMIN/VTIME as reads ask). ISIG turns ^C, ^\ and ^Z
 * into signals. Pure logic: output and signals go through callbacks, so
 * it is tested on the host (tests/host/test_ldisc.c).
 */
#pragma once

#include "tty/termios.h"

#define LDISC_LINE_MAX 4096
#define LDISC_BUF_SIZE 8192
#define LDISC_HISTORY 32
#define LDISC_HISTORY_LINE 1024

struct ldisc {
    struct k_termios termios;
    /* The line being edited (canonical mode). */
    char line[LDISC_LINE_MAX];
    size_t len, cursor;
    /* Escape-sequence parser state for arrow keys etc. */
    int esc_state;
    char esc_buf[8];
    size_t esc_len;
    /*
     * Input ready for read(): a ring of slots. A slot is a byte, or (with
     * its eof flag set) the end-of-file mark a ^D leaves: a canonical read
     * consumes the mark and stops there, so "part^D" reads "part" and a ^D
     * on an empty line reads 0 bytes, in the order they were typed.
     */
    char buf[LDISC_BUF_SIZE];
    bool eof[LDISC_BUF_SIZE];
    size_t head, count;
    size_t eof_count; /* eof marks in the ring */
    /* Earlier lines for up/down: a ring, newest at (hist_next - 1). */
    char history[LDISC_HISTORY][LDISC_HISTORY_LINE];
    unsigned int hist_count, hist_next;
    unsigned int hist_browse; /* 0: editing a new line; k: k-th newest entry */
    char saved_line[LDISC_HISTORY_LINE];
    size_t saved_len;
    /* Callbacks. */
    void (*echo)(void *ctx, const char *s, size_t n);
    void (*signal)(void *ctx, int sig);
    void *ctx;
};

/* Set defaults (canonical, echo, ISIG, ICRNL, OPOST|ONLCR) and callbacks. */
void ldisc_init(struct ldisc *l, void (*echo)(void *, const char *, size_t),
                void (*signal)(void *, int), void *ctx);
/* Feed typed bytes. */
void ldisc_receive(struct ldisc *l, const char *in, size_t n);
/* Bytes ready for read(); at least 1 while an end-of-file mark waits. */
size_t ldisc_readable(const struct ldisc *l);
/*
 * Take up to n ready bytes into out. Canonical reads stop after a newline.
 * Returns the count; 0 with *eof set means end of file (^D).
 */
size_t ldisc_read(struct ldisc *l, char *out, size_t n, bool *eof);
/* Replace the settings (TCSETS); switching modes keeps typed input. */
void ldisc_set_termios(struct ldisc *l, const struct k_termios *t);
/* Drop pending input (TCSETSF, TCFLSH). */
void ldisc_flush(struct ldisc *l);
