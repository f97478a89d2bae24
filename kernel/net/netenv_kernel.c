/*
 * netenv_kernel.c - the network stack's environment inside EggOS.
 *
 * Implements netenv.h with the kernel's heap (kmalloc), monotonic clock
 * (ktime_ns), CSPRNG (random_bytes) and log (printk). Built only into the
 * kernel; the host tests link tests/host/net/netenv_host.c instead.
 */
#include <stdarg.h>

#include "core/panic.h"
#include "core/printk.h"
#include "core/random.h"
#include "core/time.h"
#include "lib/printf.h"
#include "mm/kmalloc.h"
#include "net/netenv.h"

void *netenv_alloc(size_t size)
{
    return kmalloc(size, 0);
}

void netenv_free(void *p)
{
    kfree(p);
}

uint64_t netenv_now_ns(void)
{
    return ktime_ns();
}

void netenv_random_bytes(void *buf, size_t n)
{
    random_bytes(buf, n);
}

void netenv_log(int level, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    printk(level, "net: %s\n", line);
}

void netenv_bug(const char *what)
{
    panic("net: %s", what);
}
