/*
 * features.h - what this CPU can do, read once at boot by cpu_init().
 */
#pragma once

#include "lib/types.h"

struct cpu_features {
    char vendor[13];
    char model_name[49];
    uint32_t family, model, stepping;
    bool sse3, ssse3, sse41, sse42, popcnt, avx, avx2, avx512f, fma, bmi1, bmi2, aes, pclmul;
    bool xsave, xsaveopt, osxsave, fsgsbase, rdrand, rdseed, x2apic, tsc_deadline, invariant_tsc;
    bool nx, pdpe1gb, smep, smap, umip, erms, hypervisor;
    uint32_t clflush_size;
    uint64_t xcr0;       /* state components enabled (XSAVE) */
    uint32_t xsave_size; /* bytes of the XSAVE area for xcr0 */
    uint32_t hwcap;      /* CPUID.1:EDX, what Linux puts in AT_HWCAP */
};

extern struct cpu_features cpu_features;
extern bool cpu_has_smap;

/* Read features (boot CPU) and set CR0/CR4/XCR0 (every CPU). */
void cpu_features_init(void);
void cpu_setup(void);

/* Print the feature summary (boot log). */
void cpu_features_log(void);
