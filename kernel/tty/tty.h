/*
 * tty.h - the console terminal: one device backed by the serial line and
 * the screen, behind /dev/console, /dev/tty, /dev/ttyS0 and fds 0-2.
 */
#pragma once

#include "lib/types.h"

struct file;

/* Set up the console TTY and its devices (after the VFS). */
void tty_init(void);
/* Typed bytes from a keyboard or the serial line. Any context. */
void tty_receive(const char *buf, size_t n);
/* A file open on the console (for the application's fds 0, 1, 2). */
struct file *tty_open_console(void);
