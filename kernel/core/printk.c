/*
 * printk.c - formatting kernel messages into the log and onto consoles.
 *
 * Messages are formatted on the stack, prefixed with the time since boot
 * ("[    1.234567] ") and appended to a ring buffer; then every enabled
 * console gets them if the level passes console_loglevel. One spinlock
 * guards the ring and the console list; it is taken with IRQs off so
 * interrupt handlers may printk. After printk_emergency() the lock is no
 * longer taken (panic). While an NMI is being handled (printk_nmi) the
 * lock is waited for at most NMI_LOCK_WAIT_NS and then done without: the
 * NMI may have interrupted this very CPU inside printk, and a dump that
 * interleaves beats one that never comes.
 */
#include "core/params.h"
#include "core/printk.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "sched/spinlock.h"

#define LOG_BUF_SIZE (64 * 1024)

int console_loglevel = LOG_NOTICE;

static char log_buf[LOG_BUF_SIZE]; /* ring: byte i of the log is log_buf[i % size] */

static struct {
    spinlock_t lock;
    uint64_t head; /* bytes ever written */
    struct list_head consoles;
    bool emergency;
    bool at_line_start;
} log = {
    .lock = SPINLOCK_INIT,
    .consoles = LIST_HEAD_INIT(log.consoles),
    .at_line_start = true,
};

static void log_append(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_buf[(log.head + i) % LOG_BUF_SIZE] = s[i];
    log.head += n;
}

static void consoles_write(const char *s, size_t n)
{
    struct console *con;

    list_for_each_entry (con, &log.consoles, link) {
        if (con->enabled)
            con->write(con, s, n);
    }
}

static size_t strcspn_comma(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0' && s[n] != ',')
        n++;
    return n;
}

#define NMI_LOCK_WAIT_NS (10 * NSEC_PER_MSEC)

static int nmi_depth; /* NMIs being handled, on any CPU */

void printk_nmi(bool enter)
{
    __atomic_add_fetch(&nmi_depth, enter ? 1 : -1, __ATOMIC_SEQ_CST);
}

/* Take the log lock as the context allows; false when going without it. */
static bool log_lock(uint64_t *flags)
{
    if (log.emergency)
        return false;
    if (__atomic_load_n(&nmi_depth, __ATOMIC_SEQ_CST) == 0) {
        *flags = spin_lock_irqsave(&log.lock);
        return true;
    }
    uint64_t end = ktime_ns() + NMI_LOCK_WAIT_NS;
    do {
        if (spin_trylock_irqsave(&log.lock, flags))
            return true;
        spin_relax();
    } while (ktime_ns() < end);
    return false;
}

void vprintk(int level, const char *fmt, va_list ap)
{
    char msg[512];
    char prefix[32];
    size_t plen = 0, mlen;
    uint64_t flags = 0;

    mlen = vscnprintf(msg, sizeof(msg), fmt, ap);
    bool locked = log_lock(&flags);

    /* Timestamp only at the start of a line; continuation prints do not. */
    if (log.at_line_start) {
        uint64_t ns = ktime_ns();
        plen = scnprintf(prefix, sizeof(prefix), "[%5lu.%06lu] ", (unsigned long)(ns / 1000000000),
                         (unsigned long)(ns / 1000 % 1000000));
    }
    log.at_line_start = mlen > 0 && msg[mlen - 1] == '\n';
    log_append(prefix, plen);
    log_append(msg, mlen);
    if (level < console_loglevel) {
        consoles_write(prefix, plen);
        consoles_write(msg, mlen);
    }

    if (locked)
        spin_unlock_irqrestore(&log.lock, flags);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

/* console= parameters: when any is given, only the named consoles print. */
static char wanted[4][16]; /* guarded by log.lock */
static unsigned int nwanted;

static bool console_wanted(const char *name)
{
    if (nwanted == 0)
        return true;
    for (unsigned int i = 0; i < nwanted; i++) {
        if (strcmp(wanted[i], name) == 0)
            return true;
    }
    return false;
}

void console_register(struct console *con)
{
    uint64_t flags = spin_lock_irqsave(&log.lock);

    con->enabled = console_wanted(con->name);
    list_add_tail(&con->link, &log.consoles);
    spin_unlock_irqrestore(&log.lock, flags);
}

/* console=ttyS0[,options] or console=tty0; options are accepted and ignored. */
static int set_console(const char *val)
{
    struct console *con;
    char name[16];
    uint64_t flags;
    size_t n;

    if (val == NULL || *val == '\0')
        return -EINVAL;
    n = strcspn_comma(val);
    if (n >= sizeof(name))
        return -EINVAL;
    memcpy(name, val, n);
    name[n] = '\0';
    if (strcmp(name, "ttyS0") != 0 && strcmp(name, "tty0") != 0 && strcmp(name, "tty") != 0) {
        pr_warn("console: unknown console '%s' (have ttyS0 and tty0)\n", name);
        return 0;
    }
    if (strcmp(name, "tty") == 0)
        strscpy(name, "tty0", sizeof(name));
    flags = spin_lock_irqsave(&log.lock);
    if (nwanted < ARRAY_SIZE(wanted))
        strscpy(wanted[nwanted++], name, sizeof(wanted[0]));
    list_for_each_entry (con, &log.consoles, link)
        con->enabled = console_wanted(con->name);
    spin_unlock_irqrestore(&log.lock, flags);
    return 0;
}
KERNEL_PARAM("console", set_console);

void console_write_all(const char *buf, size_t len)
{
    uint64_t flags = 0;
    bool locked = log_lock(&flags);

    consoles_write(buf, len);
    if (locked)
        spin_unlock_irqrestore(&log.lock, flags);
}

void printk_emergency(void)
{
    log.emergency = true;
}

size_t log_read_tail(char *buf, size_t len)
{
    uint64_t flags = spin_lock_irqsave(&log.lock);
    uint64_t avail = MIN(log.head, (uint64_t)LOG_BUF_SIZE);
    size_t n = MIN((uint64_t)len, avail);

    for (size_t i = 0; i < n; i++)
        buf[i] = log_buf[(log.head - n + i) % LOG_BUF_SIZE];
    spin_unlock_irqrestore(&log.lock, flags);
    return n;
}
