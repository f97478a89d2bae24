/*
 * printk.h - kernel messages with Linux log levels.
 *
 * Every message goes into the log buffer; those more urgent than the console
 * log level are also written to the registered consoles. The console level
 * defaults to 5: errors and warnings are printed, the boot chatter is not
 * (quiet by default). "loglevel=N" and "quiet" (errors only, level 4) set
 * it as on Linux; "debug" shows everything.
 */
#pragma once

#include <stdarg.h>

#include "lib/list.h"
#include "lib/types.h"

#define LOG_EMERG 0
#define LOG_ALERT 1
#define LOG_CRIT 2
#define LOG_ERR 3
#define LOG_WARNING 4
#define LOG_NOTICE 5
#define LOG_INFO 6
#define LOG_DEBUG 7

void printk(int level, const char *fmt, ...) __printf(2, 3);
void vprintk(int level, const char *fmt, va_list ap);

#define pr_emerg(...) printk(LOG_EMERG, __VA_ARGS__)
#define pr_crit(...) printk(LOG_CRIT, __VA_ARGS__)
#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* A sink for kernel messages (serial port, VGA text screen, ...). */
struct console {
    const char *name;
    /* Write len bytes; called with the console lock held and IRQs off. */
    void (*write)(struct console *con, const char *buf, size_t len);
    bool enabled;
    struct list_head link; /* guarded by the console lock */
};

/* Register a console; it gets every message printed from now on. */
void console_register(struct console *con);

/* Write directly to every enabled console, bypassing levels (panic path). */
void console_write_all(const char *buf, size_t len);

/* The console log level: messages with level < this are printed. */
extern int console_loglevel;

/*
 * printk_emergency makes printk stop taking the console lock (a panicking
 * CPU must not wait for a lock the crashed code may hold).
 */
void printk_emergency(void);

/* Around an NMI's printing: the log lock is then waited for only briefly. */
void printk_nmi(bool enter);

/* Copy up to len bytes of the newest log text into buf; returns the count. */
size_t log_read_tail(char *buf, size_t len);
