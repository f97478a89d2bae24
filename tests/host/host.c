/*
 * host.c - the kernel environment for host unit tests (see host.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/printk.h"
#include "host.h"

uintptr_t host_direct_map_base;
int console_loglevel = LOG_WARNING;

static char log_buf[1 << 16];
static size_t log_len;

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

void vprintk(int level, const char *fmt, va_list ap)
{
    (void)level;
    if (log_len < sizeof(log_buf) - 1) {
        int n = kvsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
        if (n > 0)
            log_len += (size_t)n;
        if (log_len >= sizeof(log_buf))
            log_len = sizeof(log_buf) - 1;
    }
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

const char *host_log(void)
{
    log_buf[log_len] = '\0';
    return log_buf;
}

void host_log_clear(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

int host_log_contains(const char *s)
{
    return strstr(host_log(), s) != NULL;
}

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "panic: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

void *host_phys_arena(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        perror("mmap");
        abort();
    }
    host_direct_map_base = (uintptr_t)p;
    return p;
}

void host_load_acpi_dump(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    uint8_t *arena = (uint8_t *)host_direct_map_base;

    if (f == NULL) {
        perror(path);
        abort();
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long addr;
        char hex[160];
        if (line[0] == '#' || sscanf(line, "%lx %159s", &addr, hex) != 2)
            continue;
        for (size_t i = 0; hex[2 * i] != '\0' && hex[2 * i + 1] != '\0'; i++) {
            unsigned int b;
            sscanf(hex + 2 * i, "%2x", &b);
            arena[addr + i] = (uint8_t)b;
        }
    }
    fclose(f);
}
