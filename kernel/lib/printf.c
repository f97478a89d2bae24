/*
 * printf.c - a small, complete vsnprintf.
 *
 * One pass over the format; output goes through put(), which counts every
 * byte and stores only those that fit, so the return value is the untruncated
 * length as C requires.
 */
#include "lib/printf.h"
#include "lib/string.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

enum {
    F_LEFT = 1,
    F_ZERO = 2,
    F_PLUS = 4,
    F_SPACE = 8,
    F_ALT = 16,
};

static void put_number(struct out *o, uint64_t v, bool negative, unsigned int base, bool upper,
                       int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    char sign = 0;
    const char *prefix = "";
    int prefix_len = 0;
    int zeros;
    int total;

    if (negative)
        sign = '-';
    else if (flags & F_PLUS)
        sign = '+';
    else if (flags & F_SPACE)
        sign = ' ';

    /* Precision 0 with value 0 prints no digits, as in C. */
    if (!(v == 0 && prec == 0)) {
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v != 0);
    }
    if (flags & F_ALT) {
        if (base == 16 && n > 0 && !(n == 1 && tmp[0] == '0')) {
            prefix = upper ? "0X" : "0x";
            prefix_len = 2;
        } else if (base == 8 && (n == 0 || tmp[n - 1] != '0')) {
            prefix = "0";
            prefix_len = 1;
        }
    }

    zeros = prec > n ? prec - n : 0;
    total = n + zeros + prefix_len + (sign != 0);
    if (prec < 0 && (flags & F_ZERO) && !(flags & F_LEFT) && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!(flags & F_LEFT))
        put_repeat(o, ' ', width - total);
    if (sign != 0)
        put(o, sign);
    for (int i = 0; i < prefix_len; i++)
        put(o, prefix[i]);
    put_repeat(o, '0', zeros);
    while (n > 0)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        put_repeat(o, ' ', width - total);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};

    for (const char *p = fmt; *p != '\0'; p++) {
        int flags = 0, width = 0, prec = -1;
        int len = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        uint64_t uv;
        int64_t sv;

        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        for (;; p++) {
            if (*p == '-')
                flags |= F_LEFT;
            else if (*p == '0')
                flags |= F_ZERO;
            else if (*p == '+')
                flags |= F_PLUS;
            else if (*p == ' ')
                flags |= F_SPACE;
            else if (*p == '#')
                flags |= F_ALT;
            else
                break;
        }
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        for (;; p++) {
            if (*p == 'h')
                len--;
            else if (*p == 'l')
                len++;
            else if (*p == 'z' || *p == 't' || *p == 'j')
                len = 1;
            else
                break;
        }

        switch (*p) {
        case 'd':
        case 'i':
            if (len >= 1)
                sv = va_arg(ap, long);
            else
                sv = va_arg(ap, int);
            if (len == -1)
                sv = (short)sv;
            else if (len <= -2)
                sv = (signed char)sv;
            put_number(&o, sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv, sv < 0, 10, false, flags,
                       width, prec);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (len >= 1)
                uv = va_arg(ap, unsigned long);
            else
                uv = va_arg(ap, unsigned int);
            if (len == -1)
                uv = (unsigned short)uv;
            else if (len <= -2)
                uv = (unsigned char)uv;
            put_number(&o, uv, false,
                       *p == 'u'   ? 10
                       : *p == 'o' ? 8
                                   : 16,
                       *p == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, F_ZERO, 16, -1);
            break;
        case 'c':
            if (!(flags & F_LEFT))
                put_repeat(&o, ' ', width - 1);
            put(&o, (char)va_arg(ap, int));
            if (flags & F_LEFT)
                put_repeat(&o, ' ', width - 1);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n;

            if (s == NULL)
                s = "(null)";
            n = prec >= 0 ? (int)strnlen(s, prec) : (int)strlen(s);
            if (!(flags & F_LEFT))
                put_repeat(&o, ' ', width - n);
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (flags & F_LEFT)
                put_repeat(&o, ' ', width - n);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--; /* a lone '%' at the end: stop cleanly */
            break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, size, fmt, ap);

    if (size == 0)
        return 0;
    return (size_t)n < size ? n : (int)(size - 1);
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vscnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
