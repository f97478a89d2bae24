/*
 * string.h - the C string and memory functions, plus a few kernel helpers.
 *
 * The standard ones (string.c) are built only into the kernel; the host
 * tests use their C library's. The helpers in strutil.c have names no C
 * library uses, so they build on both sides.
 */
#pragma once

#include "lib/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);

/*
 * strscpy copies at most size-1 bytes of src and always NUL-terminates dst
 * (size > 0). Returns the length copied, or -E2BIG when src was truncated.
 */
ssize_t strscpy(char *dst, const char *src, size_t size);

/* True when s starts with prefix. */
bool str_has_prefix(const char *s, const char *prefix);

/*
 * kstrtou64 parses all of s as an unsigned number in base (0: 0x for hex, 0
 * for octal, else decimal). An optional size suffix is not accepted here.
 * Returns 0 and sets *out, or -EINVAL for anything else (empty string,
 * trailing junk) and -ERANGE on overflow.
 */
int kstrtou64(const char *s, unsigned int base, uint64_t *out);
int kstrtoi64(const char *s, unsigned int base, int64_t *out);

/*
 * memparse parses a size like "64M", "2G", "4096", "16k" (suffixes K, M, G, T
 * in either case, powers of 1024). Returns 0 or -EINVAL/-ERANGE.
 */
int memparse(const char *s, uint64_t *out);
