/*
 * features.c - CPUID feature detection and control-register setup.
 *
 * cpu_setup() turns on what the kernel relies on or protects itself with:
 * SSE (for applications), XSAVE with x87/SSE/AVX/AVX-512 state, SMEP and
 * SMAP (the kernel can neither run nor, outside copy_*_user, touch user
 * pages), UMIP, write protection in ring 0. NX was enabled by boot.S.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "core/printk.h"
#include "lib/printf.h"
#include "lib/string.h"

struct cpu_features cpu_features;
bool cpu_has_smap;

void cpu_features_init(void)
{
    struct cpu_features *f = &cpu_features;
    struct cpuid_regs r = cpuid(0, 0);
    uint32_t max_leaf = r.eax, max_ext;

    memcpy(f->vendor, &r.ebx, 4);
    memcpy(f->vendor + 4, &r.edx, 4);
    memcpy(f->vendor + 8, &r.ecx, 4);
    f->vendor[12] = '\0';

    r = cpuid(1, 0);
    f->stepping = r.eax & 0xf;
    f->model = (r.eax >> 4) & 0xf;
    f->family = (r.eax >> 8) & 0xf;
    if (f->family == 0xf)
        f->family += (r.eax >> 20) & 0xff;
    if (f->family >= 6)
        f->model |= ((r.eax >> 16) & 0xf) << 4;
    f->hwcap = r.edx;
    f->clflush_size = ((r.ebx >> 8) & 0xff) * 8;
    f->sse3 = r.ecx & 1;
    f->pclmul = (r.ecx >> 1) & 1;
    f->ssse3 = (r.ecx >> 9) & 1;
    f->fma = (r.ecx >> 12) & 1;
    f->sse41 = (r.ecx >> 19) & 1;
    f->sse42 = (r.ecx >> 20) & 1;
    f->x2apic = (r.ecx >> 21) & 1;
    f->popcnt = (r.ecx >> 23) & 1;
    f->tsc_deadline = (r.ecx >> 24) & 1;
    f->aes = (r.ecx >> 25) & 1;
    f->xsave = (r.ecx >> 26) & 1;
    f->avx = (r.ecx >> 28) & 1;
    f->rdrand = (r.ecx >> 30) & 1;
    f->hypervisor = (r.ecx >> 31) & 1;

    if (max_leaf >= 7) {
        r = cpuid(7, 0);
        f->fsgsbase = r.ebx & 1;
        f->bmi1 = (r.ebx >> 3) & 1;
        f->avx2 = (r.ebx >> 5) & 1;
        f->smep = (r.ebx >> 7) & 1;
        f->bmi2 = (r.ebx >> 8) & 1;
        f->erms = (r.ebx >> 9) & 1;
        f->avx512f = (r.ebx >> 16) & 1;
        f->rdseed = (r.ebx >> 18) & 1;
        f->smap = (r.ebx >> 20) & 1;
        f->umip = (r.ecx >> 2) & 1;
    }

    max_ext = cpuid(0x80000000, 0).eax;
    if (max_ext >= 0x80000001) {
        r = cpuid(0x80000001, 0);
        f->nx = (r.edx >> 20) & 1;
        f->pdpe1gb = (r.edx >> 26) & 1;
    }
    if (max_ext >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            r = cpuid(0x80000002 + i, 0);
            memcpy(f->model_name + 16 * i, &r, 16);
        }
        f->model_name[48] = '\0';
    }
    if (max_ext >= 0x80000007)
        f->invariant_tsc = (cpuid(0x80000007, 0).edx >> 8) & 1;

    if (f->xsave && max_leaf >= 0xd) {
        r = cpuid(0xd, 0);
        uint64_t supported = ((uint64_t)r.edx << 32) | r.eax;
        f->xcr0 = XSTATE_X87 | XSTATE_SSE;
        if (f->avx && (supported & XSTATE_AVX))
            f->xcr0 |= XSTATE_AVX;
        if (f->avx512f && (supported & (XSTATE_OPMASK | XSTATE_ZMM_HI256 | XSTATE_HI16_ZMM)) ==
                              (XSTATE_OPMASK | XSTATE_ZMM_HI256 | XSTATE_HI16_ZMM))
            f->xcr0 |= XSTATE_OPMASK | XSTATE_ZMM_HI256 | XSTATE_HI16_ZMM;
        f->xsaveopt = cpuid(0xd, 1).eax & 1;
    } else {
        f->xsave = false;
        f->avx = f->avx2 = f->avx512f = false; /* unusable without XSAVE */
    }
}

void cpu_setup(void)
{
    struct cpu_features *f = &cpu_features;
    uint64_t cr4 = read_cr4();

    write_cr0((read_cr0() | CR0_MP | CR0_NE | CR0_WP) & ~(CR0_EM | CR0_TS));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (f->xsave)
        cr4 |= CR4_OSXSAVE;
    if (f->smep)
        cr4 |= CR4_SMEP;
    if (f->smap)
        cr4 |= CR4_SMAP;
    if (f->umip)
        cr4 |= CR4_UMIP;
    write_cr4(cr4);
    cpu_has_smap = f->smap;
    if (f->xsave) {
        xsetbv(0, f->xcr0);
        /* EBX of leaf 0xd now reports the size for the enabled components. */
        f->xsave_size = cpuid(0xd, 0).ebx;
        f->osxsave = true;
    } else {
        f->xsave_size = 512; /* FXSAVE area */
    }
    fninit();
    ldmxcsr(0x1f80);
}

void cpu_features_log(void)
{
    struct cpu_features *f = &cpu_features;
    char buf[256];
    size_t n = 0;
    struct {
        bool on;
        const char *name;
    } flags[] = {
        {f->sse3, "sse3"},
        {f->ssse3, "ssse3"},
        {f->sse41, "sse4.1"},
        {f->sse42, "sse4.2"},
        {f->popcnt, "popcnt"},
        {f->aes, "aes"},
        {f->avx, "avx"},
        {f->avx2, "avx2"},
        {f->avx512f, "avx512f"},
        {f->fma, "fma"},
        {f->bmi2, "bmi2"},
        {f->xsave, "xsave"},
        {f->xsaveopt, "xsaveopt"},
        {f->rdrand, "rdrand"},
        {f->rdseed, "rdseed"},
        {f->nx, "nx"},
        {f->smep, "smep"},
        {f->smap, "smap"},
        {f->umip, "umip"},
        {f->pdpe1gb, "pdpe1gb"},
        {f->x2apic, "x2apic"},
        {f->tsc_deadline, "tsc-deadline"},
        {f->invariant_tsc, "invtsc"},
        {f->fsgsbase, "fsgsbase"},
        {f->hypervisor, "hypervisor"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
        if (flags[i].on)
            n += scnprintf(buf + n, sizeof(buf) - n, " %s", flags[i].name);
    }
    pr_info("cpu: %s family %u model %u stepping %u: %s\n", f->vendor, f->family, f->model,
            f->stepping, f->model_name[0] ? f->model_name : "(no brand string)");
    pr_info("cpu: features:%s\n", buf);
    pr_info("cpu: xsave area %u bytes, xcr0 %#lx\n", f->xsave_size, f->xcr0);
}
