/*
 * tty.c - the console TTY device.
 *
 * Input: the UART's and the PS/2 keyboard's interrupts call tty_receive(), which runs the line discipline under the tty lock with
 * IRQs off and wakes readers. Output: write() goes to every console
 * (serial, screen). Output processing is the consoles': both turn \n into
 * \r\n (ONLCR) whatever the termios says, so a raw-mode program that
 * writes a bare \n still gets a carriage return (harmless for rendering;
 * the one difference from Linux here). Echo goes the same way, so the
 * line discipline echoes a newline as \n.
 * Signals from ^C/^\ go to the application.
 */
#include "core/printk.h"
#include "core/time.h"
#include "drivers/input/ps2kbd.h"
#include "drivers/serial/uart.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "sched/waitq.h"
#include "tty/ldisc.h"
#include "tty/tty.h"

static struct {
    spinlock_t lock; /* guards ld */
    struct ldisc ld;
    struct waitq readq; /* readers and pollers */
    struct k_winsize winsize;
    int pgrp;
} tty; /* set up by tty_init (an initializer would put 40 KiB into .data) */

static void echo_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    console_write_all(s, n);
}

static void send_signal(void *ctx, int sig)
{
    (void)ctx;
    if (init_process != NULL)
        signal_send_process(init_process, sig, SI_KERNEL);
}

void tty_receive(const char *buf, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);

    ldisc_receive(&tty.ld, buf, n);
    spin_unlock_irqrestore(&tty.lock, flags);
    waitq_notify(&tty.readq, EPOLLIN | EPOLLRDNORM);
}

static void uart_rx(uint8_t byte)
{
    char c = (char)byte;
    tty_receive(&c, 1);
}

static size_t readable(void)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    size_t n = ldisc_readable(&tty.ld);

    spin_unlock_irqrestore(&tty.lock, flags);
    return n;
}

/*
 * When a non-canonical read is done (termios VMIN/VTIME, as in Linux's
 * n_tty): with VMIN > 0 once min(VMIN, count) bytes are in, and with
 * VTIME > 0 when that many tenths of a second pass without input (before
 * the first byte if VMIN is 0, between bytes otherwise).
 */
static void raw_limits(size_t resid, size_t *min, uint64_t *timeout_ns)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    uint8_t vmin = tty.ld.termios.c_cc[VMIN];
    uint8_t vtime = tty.ld.termios.c_cc[VTIME];

    spin_unlock_irqrestore(&tty.lock, flags);
    *min = MIN((size_t)vmin, resid);
    *timeout_ns = (uint64_t)vtime * 100000000ull;
}

static bool is_canonical(void)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    bool canon = tty.ld.termios.c_lflag & ICANON;

    spin_unlock_irqrestore(&tty.lock, flags);
    return canon;
}

static ssize_t tty_read(struct file *f, struct uio *u, off_t *pos)
{
    char buf[256];
    ssize_t done = 0;

    (void)pos;
    if (u->resid == 0)
        return 0;
    for (;;) {
        bool eof = false;
        uint64_t flags = spin_lock_irqsave(&tty.lock);
        size_t n = ldisc_read(&tty.ld, buf, MIN(u->resid, sizeof(buf)), &eof);
        spin_unlock_irqrestore(&tty.lock, flags);
        if (n > 0) {
            ssize_t c = uio_copy_to(u, buf, n);
            if (c < 0)
                return done > 0 ? done : c;
            done += c;
            /* A canonical read returns one line (ldisc_read stops at its end). */
            if (is_canonical())
                return done;
            if (u->resid == 0)
                return done;
            continue;
        }
        if (eof)
            return done;

        uint64_t deadline = 0;
        if (is_canonical()) {
            if (done > 0)
                return done;
        } else {
            size_t min;
            uint64_t timeout;
            raw_limits((size_t)done + u->resid, &min, &timeout);
            if ((size_t)done >= min && (min > 0 || timeout == 0))
                return done;
            /* With VMIN > 0 the inter-byte timer starts at the first byte. */
            if (timeout > 0 && (min == 0 || done > 0))
                deadline = ktime_ns() + timeout;
        }
        if (f->flags & O_NONBLOCK)
            return done > 0 ? done : -EAGAIN;
        int err = wait_event(&tty.readq, readable() > 0, deadline, SLEEP_INTERRUPTIBLE);
        if (err == -ETIMEDOUT)
            return done;
        if (err != 0)
            return done > 0 ? done : -ERESTARTSYS;
    }
}

static ssize_t tty_write(struct file *f, struct uio *u, off_t *pos)
{
    char buf[256];
    ssize_t done = 0;

    (void)f;
    (void)pos;
    while (u->resid > 0) {
        ssize_t c = uio_copy_from(u, buf, MIN(u->resid, sizeof(buf)));
        if (c <= 0)
            return done > 0 ? done : c;
        console_write_all(buf, (size_t)c);
        done += c;
    }
    return done;
}

static uint32_t tty_poll(struct file *f, struct poll_table *pt)
{
    poll_wait(f, &tty.readq, pt);
    return (readable() > 0 ? EPOLLIN | EPOLLRDNORM : 0) | EPOLLOUT | EPOLLWRNORM;
}

static long tty_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct k_termios t;
    uint64_t flags;

    (void)f;
    switch (cmd) {
    case TCGETS:
        flags = spin_lock_irqsave(&tty.lock);
        t = tty.ld.termios;
        spin_unlock_irqrestore(&tty.lock, flags);
        return copy_to_user((void *)arg, &t, sizeof(t));
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        if (copy_from_user(&t, (void *)arg, sizeof(t)) != 0)
            return -EFAULT;
        flags = spin_lock_irqsave(&tty.lock);
        if (cmd == TCSETSF)
            ldisc_flush(&tty.ld);
        ldisc_set_termios(&tty.ld, &t);
        spin_unlock_irqrestore(&tty.lock, flags);
        waitq_notify(&tty.readq, EPOLLIN);
        return 0;
    case TCFLSH:
        flags = spin_lock_irqsave(&tty.lock);
        if (arg == 0 || arg == 2)
            ldisc_flush(&tty.ld);
        spin_unlock_irqrestore(&tty.lock, flags);
        return 0;
    case TIOCGWINSZ:
        return copy_to_user((void *)arg, &tty.winsize, sizeof(tty.winsize));
    case TIOCSWINSZ: {
        struct k_winsize w;
        if (copy_from_user(&w, (void *)arg, sizeof(w)) != 0)
            return -EFAULT;
        tty.winsize = w;
        if (init_process != NULL)
            signal_send_process(init_process, SIGWINCH, SI_KERNEL);
        return 0;
    }
    case TIOCGPGRP:
        return put_user_u32((void *)arg, (uint32_t)tty.pgrp);
    case TIOCSPGRP: {
        uint32_t pg;
        if (get_user_u32(&pg, (void *)arg) != 0)
            return -EFAULT;
        tty.pgrp = (int)pg;
        return 0;
    }
    case TIOCSCTTY:
    case TIOCNOTTY:
        return 0;
    case FIONREAD:
        return put_user_u32((void *)arg, (uint32_t)readable());
    case TIOCOUTQ:
        return put_user_u32((void *)arg, 0);
    default:
        return -ENOTTY;
    }
}

static const struct file_ops tty_fops = {
    .read = tty_read,
    .write = tty_write,
    .poll = tty_poll,
    .ioctl = tty_ioctl,
    .stream = true,
};

struct file *tty_open_console(void)
{
    struct path p;
    struct file *f;

    if (vfs_lookup(AT_FDCWD, "/dev/console", LOOKUP_FOLLOW, &p, NULL, NULL) == 0) {
        int err = vfs_open(&p, O_RDWR, &f);
        path_put(&p);
        if (err == 0)
            return f;
    }
    return file_alloc(&tty_fops, NULL, O_RDWR);
}

void tty_init(void)
{
    spin_init(&tty.lock);
    waitq_init(&tty.readq);
    ldisc_init(&tty.ld, echo_out, send_signal, NULL);
    tty.winsize = (struct k_winsize){.ws_row = 25, .ws_col = 80};
    tty.pgrp = 1;
    chrdev_register(5, 0, &tty_fops);
    chrdev_register(5, 1, &tty_fops);
    chrdev_register(4, 64, &tty_fops);
    chrdev_register(4, 0, &tty_fops);
    uart_enable_rx(uart_rx);
    ps2kbd_init(tty_receive);
}
