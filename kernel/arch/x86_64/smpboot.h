/*
 * smpboot.h - starting application processors (see trampoline.S).
 */
#pragma once

/* Where the real-mode trampoline is copied: page 8, startup vector 0x08. */
#define TRAMPOLINE_PA 0x8000

#ifndef __ASSEMBLER__
#include "lib/types.h"

struct trampoline_params {
    uint64_t boot_cr3;   /* boot.S's tables: identity map for the switch */
    uint64_t efer;       /* EFER bits to set (LME, NXE, SCE) */
    uint64_t stack;      /* top of the AP's idle stack */
    uint64_t cpu;        /* its struct cpu */
    uint64_t kernel_cr3; /* kernel_pml4 */
    uint64_t entry;      /* ap_entry64 */
};
#endif
