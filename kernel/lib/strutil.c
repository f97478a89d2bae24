/*
 * strutil.c - string helpers with kernel names: bounded copy and strict
 * number parsing. Host-tested (tests/host/test_strutil.c).
 */
#include "lib/errno.h"
#include "lib/string.h"

ssize_t strscpy(char *dst, const char *src, size_t size)
{
    size_t i;

    if (size == 0)
        return -E2BIG;
    for (i = 0; i < size - 1 && src[i] != '\0'; i++)
        dst[i] = src[i];
    dst[i] = '\0';
    return src[i] == '\0' ? (ssize_t)i : -E2BIG;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parse a prefix of s; *end is set past the digits. Needs at least one digit. */
static int parse_u64(const char *s, unsigned int base, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;

    if (base == 0) {
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
            base = 16;
            p += 2;
        } else if (p[0] == '0' && p[1] != '\0') {
            base = 8;
            p++;
        } else {
            base = 10;
        }
    } else if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
    }
    if (base < 2 || base > 36 || digit_value(*p) >= (int)base)
        return -EINVAL;
    for (; digit_value(*p) < (int)base; p++) {
        unsigned int d = digit_value(*p);
        if (v > (UINT64_MAX - d) / base)
            return -ERANGE;
        v = v * base + d;
    }
    *out = v;
    *end = p;
    return 0;
}

int kstrtou64(const char *s, unsigned int base, uint64_t *out)
{
    const char *end;
    uint64_t v;
    int err;

    if (*s == '+')
        s++;
    err = parse_u64(s, base, &v, &end);
    if (err != 0)
        return err;
    if (*end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

int kstrtoi64(const char *s, unsigned int base, int64_t *out)
{
    bool neg = false;
    uint64_t v;
    int err;

    if (*s == '-') {
        neg = true;
        s++;
    } else if (*s == '+') {
        s++;
    }
    err = kstrtou64(s, base, &v);
    if (err != 0)
        return err;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int memparse(const char *s, uint64_t *out)
{
    const char *end;
    unsigned int shift = 0;
    uint64_t v;
    int err;

    err = parse_u64(s, 0, &v, &end);
    if (err != 0)
        return err;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    case '\0':
        break;
    default:
        return -EINVAL;
    }
    if (shift != 0 && end[1] != '\0')
        return -EINVAL;
    if (shift != 0 && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}
