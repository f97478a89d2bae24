/*
 * netenv_host.c - the network stack's environment for host tests and
 * fuzzers (see kernel/net/netenv.h).
 *
 * Allocation goes through malloc with a small header, so tests can see
 * exactly how much memory the stack holds (netenv_host_mem_*), cap it, or
 * make the n-th allocation fail. Time is a virtual clock the test moves.
 * Randomness is a seeded xorshift generator, so every run of a test sees
 * the same "random" ports, ISNs and jitter. Log lines go to a buffer tests
 * can search, and to stderr when NET_TEST_LOG is set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netenv.h"
#include "nettest.h"

struct alloc_hdr {
    size_t size;
    uint64_t magic;
} __attribute__((aligned(16)));
#define ALLOC_MAGIC 0x6e6574616c6c6f63ull

static uint64_t now_ns = 1000000000ull; /* start at 1 s: 0 means "unset" to some code */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static size_t live_bytes, peak_bytes, live_allocs, limit_bytes;
static long fail_countdown = -1;
static unsigned long fail_every, alloc_count;
static char log_buf[1 << 16];
static size_t log_len;

void *netenv_alloc(size_t size)
{
    struct alloc_hdr *h;

    if (fail_countdown == 0) {
        fail_countdown = -1;
        return NULL;
    }
    if (fail_countdown > 0)
        fail_countdown--;
    if (fail_every != 0 && ++alloc_count % fail_every == 0)
        return NULL;
    if (limit_bytes != 0 && live_bytes + size > limit_bytes)
        return NULL;
    /* 16-byte aligned like kmalloc; the header keeps that alignment. */
    if (posix_memalign((void **)&h, 16, sizeof(*h) + size) != 0)
        return NULL;
    h->size = size;
    h->magic = ALLOC_MAGIC;
    live_bytes += size;
    live_allocs++;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    /* Like the kernel's debug heap: never hand out zeroes by accident. */
    memset(h + 1, 0xa5, size);
    return h + 1;
}

void netenv_free(void *p)
{
    struct alloc_hdr *h;

    if (p == NULL)
        return;
    h = (struct alloc_hdr *)p - 1;
    if (h->magic != ALLOC_MAGIC) {
        fprintf(stderr, "netenv_free: bad or double free of %p\n", p);
        abort();
    }
    h->magic = 0;
    live_bytes -= h->size;
    live_allocs--;
    free(h);
}

uint64_t netenv_now_ns(void)
{
    return now_ns;
}

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

void netenv_random_bytes(void *buf, size_t n)
{
    uint8_t *b = buf;

    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rng_next() >> 56);
}

void netenv_log(int level, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (getenv("NET_TEST_LOG") != NULL)
        fprintf(stderr, "[%llu.%06llu] <%d> %s\n", (unsigned long long)(now_ns / 1000000000ull),
                (unsigned long long)(now_ns / 1000 % 1000000), level, line);
    if (log_len + strlen(line) + 2 < sizeof(log_buf)) {
        memcpy(log_buf + log_len, line, strlen(line));
        log_len += strlen(line);
        log_buf[log_len++] = '\n';
        log_buf[log_len] = '\0';
    }
}

void netenv_bug(const char *what)
{
    fprintf(stderr, "net bug: %s\n", what);
    abort();
}

/* ---- test controls ---- */

void netenv_host_set_time(uint64_t ns)
{
    if (ns > now_ns)
        now_ns = ns;
}

void netenv_host_advance(uint64_t ns)
{
    now_ns += ns;
}

void netenv_host_seed(uint64_t seed)
{
    rng_state = seed != 0 ? seed : 1;
}

size_t netenv_host_mem_live(void)
{
    return live_bytes;
}

size_t netenv_host_mem_peak(void)
{
    return peak_bytes;
}

size_t netenv_host_allocs_live(void)
{
    return live_allocs;
}

void netenv_host_mem_reset_peak(void)
{
    peak_bytes = live_bytes;
}

void netenv_host_mem_limit(size_t bytes)
{
    limit_bytes = bytes;
}

void netenv_host_fail_alloc_after(long n)
{
    fail_countdown = n;
}

void netenv_host_fail_alloc_every(unsigned long n)
{
    fail_every = n;
    alloc_count = 0;
}

bool netenv_host_log_contains(const char *s)
{
    return strstr(log_buf, s) != NULL;
}

const char *netenv_host_log(void)
{
    return log_buf;
}

void netenv_host_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}
