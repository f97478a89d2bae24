/*
 * auxv.h - the initial stack of a new program: argc, argv, envp, auxv.
 */
#pragma once

#include "lib/types.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33 /* the vDSO's ELF header */
#define AT_MINSIGSTKSZ 51

#define STACK_MAX_AUXV 24
/* stack_build adds AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL. */
#define STACK_ADDED_AUXV 4

struct stack_spec {
    char *const *argv; /* kernel strings */
    unsigned int argc;
    char *const *envp;
    unsigned int envc;
    const char *execfn;
    uint8_t random[16];
    /* Entries whose values do not point into the stack; the builder adds
     * AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL. */
    uint64_t auxv[STACK_MAX_AUXV][2];
    unsigned int nauxv;
};

/*
 * stack_build lays out the initial stack in buf, a kernel copy of the user
 * memory [top - size, top): strings at the top, then the random bytes,
 * then (16-byte aligned) argc, argv[], NULL, envp[], NULL, auxv pairs,
 * AT_NULL. Returns the user address of argc (the initial RSP), or -E2BIG
 * when everything does not fit in size bytes.
 */
long stack_build(uint8_t *buf, size_t size, uint64_t top, const struct stack_spec *spec);
