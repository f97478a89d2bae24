/*
 * string.c - freestanding C string and memory functions for the kernel.
 *
 * The compiler may emit calls to memcpy/memset/memmove/memcmp itself, so
 * these must exist with their standard names. The bulk moves 8 bytes per
 * step (rep movsq/stosq): as fast as rep movsb on CPUs with ERMS, and
 * about eight times faster under emulators that step string instructions
 * one element at a time (QEMU TCG), where page zeroing dominates.
 */
#include "lib/string.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *ret = dst;
    size_t words = n / 8, tail = n % 8;

    __asm__ __volatile__("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
    __asm__ __volatile__("rep movsb" : "+D"(dst), "+S"(src), "+c"(tail) : : "memory");
    return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards. */
    d += n - 1;
    s += n - 1;
    __asm__ __volatile__("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memset(void *dst, int c,
                                                                           size_t n)
{
    uint64_t pattern = 0x0101010101010101ul * (uint8_t)c;
    unsigned char *p = dst;

    while (n > 0 && ((uintptr_t)p & 7) != 0) {
        *p++ = (unsigned char)c;
        n--;
    }
    for (; n >= 32; n -= 32, p += 32) {
        ((uint64_t *)p)[0] = pattern;
        ((uint64_t *)p)[1] = pattern;
        ((uint64_t *)p)[2] = pattern;
        ((uint64_t *)p)[3] = pattern;
    }
    for (; n > 0; n--)
        *p++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] - y[i];
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (size_t i = 0; i < n; i++) {
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    }
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (*a == '\0')
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == '\0')
            return (char *)last;
    }
}

char *strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay != '\0'; hay++) {
        if (strncmp(hay, needle, n) == 0)
            return (char *)hay;
    }
    return n == 0 ? (char *)hay : NULL;
}
