/*
 * auxv.c - building the initial stack (see auxv.h), as Linux's
 * create_elf_tables does. Host-tested in tests/host/test_elf.c.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/auxv.h"

struct builder {
    uint8_t *buf;
    uint64_t top, base; /* user addresses of buf's end and start */
    uint64_t sp;        /* next free byte is below sp */
};

/* Push n bytes; returns their user address, or 0 when out of room. */
static uint64_t push(struct builder *b, const void *data, size_t n)
{
    if (b->sp - b->base < n)
        return 0;
    b->sp -= n;
    memcpy(b->buf + (b->sp - b->base), data, n);
    return b->sp;
}

static uint64_t push_string(struct builder *b, const char *s)
{
    return push(b, s, strlen(s) + 1);
}

long stack_build(uint8_t *buf, size_t size, uint64_t top, const struct stack_spec *spec)
{
    struct builder b = {.buf = buf, .top = top, .base = top - size, .sp = top};
    uint64_t zero = 0, execfn, platform, random;
    uint64_t *argv_addr = NULL, *envp_addr = NULL;
    size_t nwords;
    long ret = -E2BIG;

    if (spec->nauxv > STACK_MAX_AUXV)
        return -E2BIG;
    if (push(&b, &zero, 8) == 0)
        return -E2BIG;
    execfn = push_string(&b, spec->execfn);
    if (execfn == 0)
        return -E2BIG;
    /* Strings: environment above arguments, in order. */
    uint64_t addrs[160];
    if (spec->argc + spec->envc > ARRAY_SIZE(addrs))
        return -E2BIG;
    argv_addr = addrs;
    envp_addr = addrs + spec->argc;
    for (int i = (int)spec->envc - 1; i >= 0; i--) {
        envp_addr[i] = push_string(&b, spec->envp[i]);
        if (envp_addr[i] == 0)
            return -E2BIG;
    }
    for (int i = (int)spec->argc - 1; i >= 0; i--) {
        argv_addr[i] = push_string(&b, spec->argv[i]);
        if (argv_addr[i] == 0)
            return -E2BIG;
    }
    platform = push_string(&b, "x86_64");
    random = push(&b, spec->random, 16);
    if (platform == 0 || random == 0)
        return -E2BIG;
    b.sp = ALIGN_DOWN(b.sp, 16ul);

    /* argc + argv + NULL + envp + NULL + auxv pairs (+ 3 added + AT_NULL). */
    nwords = 1 + spec->argc + 1 + spec->envc + 1 + 2 * (spec->nauxv + STACK_ADDED_AUXV);
    if (nwords % 2 != 0) {
        if (push(&b, &zero, 8) == 0) /* keep the final RSP 16-byte aligned */
            return -E2BIG;
    }
    uint64_t tail[][2] = {
        {AT_RANDOM, random}, {AT_EXECFN, execfn}, {AT_PLATFORM, platform}, {AT_NULL, 0}};
    for (int i = 3; i >= 0; i--) {
        if (push(&b, tail[i], 16) == 0)
            return -E2BIG;
    }
    for (int i = (int)spec->nauxv - 1; i >= 0; i--) {
        if (push(&b, spec->auxv[i], 16) == 0)
            return -E2BIG;
    }
    if (push(&b, &zero, 8) == 0)
        return -E2BIG;
    for (int i = (int)spec->envc - 1; i >= 0; i--) {
        if (push(&b, &envp_addr[i], 8) == 0)
            return -E2BIG;
    }
    if (push(&b, &zero, 8) == 0)
        return -E2BIG;
    for (int i = (int)spec->argc - 1; i >= 0; i--) {
        if (push(&b, &argv_addr[i], 8) == 0)
            return -E2BIG;
    }
    uint64_t argc = spec->argc;
    ret = (long)push(&b, &argc, 8);
    return ret == 0 ? -E2BIG : ret;
}
