/*
 * cpu.h - the door to the x86-64 instruction set.
 *
 * Every inline assembly statement outside the .S files of kernel/arch/x86_64 lives here,
 * as a small function named for what it does. Other code includes this
 * header instead of writing asm. Register bit names used across the kernel
 * are defined here too.
 */
#pragma once

#include "lib/types.h"

/* CR0 */
#define CR0_PE (1ul << 0)
#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_PG (1ul << 31)

/* CR4 */
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_UMIP (1ul << 11)
#define CR4_FSGSBASE (1ul << 16)
#define CR4_OSXSAVE (1ul << 18)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

/* RFLAGS */
#define RFLAGS_CF (1ul << 0)
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_IOPL (3ul << 12)
#define RFLAGS_NT (1ul << 14)
#define RFLAGS_RF (1ul << 16)
#define RFLAGS_AC (1ul << 18)
#define RFLAGS_ID (1ul << 21)

/* MSRs */
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

#define EFER_SCE (1ul << 0)
#define EFER_LME (1ul << 8)
#define EFER_NXE (1ul << 11)

/* XCR0 state components */
#define XSTATE_X87 (1ul << 0)
#define XSTATE_SSE (1ul << 1)
#define XSTATE_AVX (1ul << 2)
#define XSTATE_OPMASK (1ul << 5)
#define XSTATE_ZMM_HI256 (1ul << 6)
#define XSTATE_HI16_ZMM (1ul << 7)

static __always_inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static __always_inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static __always_inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static __always_inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static __always_inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static __always_inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static __always_inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static __always_inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                         : "memory");
}

static __always_inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* rdtsc that is not executed before earlier loads (lfence is dispatch-serializing). */
static __always_inline uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static __always_inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
    return r;
}

#define DEFINE_CR_ACCESS(n)                                                                        \
    static __always_inline uint64_t read_cr##n(void)                                               \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));                                      \
        return v;                                                                                  \
    }                                                                                              \
    static __always_inline void write_cr##n(uint64_t v)                                            \
    {                                                                                              \
        __asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");                             \
    }
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static __always_inline uint64_t xgetbv(uint32_t index)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
    return ((uint64_t)hi << 32) | lo;
}

static __always_inline void xsetbv(uint32_t index, uint64_t v)
{
    __asm__ __volatile__("xsetbv" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static __always_inline void invlpg(uintptr_t va)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static __always_inline void cpu_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}

static __always_inline void halt(void)
{
    __asm__ __volatile__("hlt" ::: "memory");
}

static __always_inline void irq_disable(void)
{
    __asm__ __volatile__("cli" ::: "memory");
}

static __always_inline void irq_enable(void)
{
    __asm__ __volatile__("sti" ::: "memory");
}

/* Enable interrupts and halt with no window between them (sti shadow). */
static __always_inline void irq_enable_and_halt(void)
{
    __asm__ __volatile__("sti; hlt" ::: "memory");
}

static __always_inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ __volatile__("pushfq; popq %0" : "=r"(f) : : "memory");
    return f;
}

static __always_inline bool irqs_enabled(void)
{
    return (read_rflags() & RFLAGS_IF) != 0;
}

/* Disable interrupts and return the previous RFLAGS for irq_restore(). */
static __always_inline uint64_t irq_save(void)
{
    uint64_t f;
    __asm__ __volatile__("pushfq; popq %0; cli" : "=r"(f) : : "memory");
    return f;
}

static __always_inline void irq_restore(uint64_t flags)
{
    if (flags & RFLAGS_IF)
        irq_enable();
}

/* SMAP: allow (stac) or forbid (clac) supervisor access to user pages. */
static __always_inline void user_access_begin(void)
{
    extern bool cpu_has_smap;
    if (cpu_has_smap)
        __asm__ __volatile__("stac" ::: "memory", "cc");
}

static __always_inline void user_access_end(void)
{
    extern bool cpu_has_smap;
    if (cpu_has_smap)
        __asm__ __volatile__("clac" ::: "memory", "cc");
}

static __always_inline void lgdt(const void *desc)
{
    __asm__ __volatile__("lgdt (%0)" : : "r"(desc) : "memory");
}

static __always_inline void lidt(const void *desc)
{
    __asm__ __volatile__("lidt (%0)" : : "r"(desc) : "memory");
}

static __always_inline void ltr(uint16_t sel)
{
    __asm__ __volatile__("ltr %0" : : "r"(sel));
}

/* rdrand/rdseed: return false when the CPU had no entropy to give this time. */
static __always_inline bool rdrand64(uint64_t *v)
{
    bool ok;
    __asm__ __volatile__("rdrand %0" : "=r"(*v), "=@ccc"(ok));
    return ok;
}

static __always_inline bool rdseed64(uint64_t *v)
{
    bool ok;
    __asm__ __volatile__("rdseed %0" : "=r"(*v), "=@ccc"(ok));
    return ok;
}

/* Save and restore extended FPU state (XSAVE area, 64-byte aligned). */
static __always_inline void xsave(void *area, uint64_t mask)
{
    __asm__ __volatile__("xsave64 (%0)"
                         :
                         : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                         : "memory");
}

static __always_inline void xsaveopt(void *area, uint64_t mask)
{
    __asm__ __volatile__("xsaveopt64 (%0)"
                         :
                         : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                         : "memory");
}

static __always_inline void xrstor(const void *area, uint64_t mask)
{
    __asm__ __volatile__("xrstor64 (%0)"
                         :
                         : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                         : "memory");
}

static __always_inline void fxsave(void *area)
{
    __asm__ __volatile__("fxsave64 (%0)" : : "r"(area) : "memory");
}

static __always_inline void fxrstor(const void *area)
{
    __asm__ __volatile__("fxrstor64 (%0)" : : "r"(area) : "memory");
}

static __always_inline void fninit(void)
{
    __asm__ __volatile__("fninit");
}

static __always_inline void ldmxcsr(uint32_t v)
{
    __asm__ __volatile__("ldmxcsr %0" : : "m"(v));
}

/*
 * a * b / c with a 128-bit intermediate product (mulq, divq); saturates to
 * UINT64_MAX when the quotient does not fit. The kernel does not link
 * libgcc, so 128-bit division must not be written in C.
 */
static __always_inline uint64_t mul_div_u64(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t hi, lo, q, r;

    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
    if (hi >= c)
        return UINT64_MAX;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c) : "cc");
    return q;
}

/* The frame pointer of the caller's frame, for backtraces. */
static __always_inline uintptr_t read_rbp(void)
{
    uintptr_t v;
    __asm__ __volatile__("mov %%rbp, %0" : "=r"(v));
    return v;
}

static __always_inline uintptr_t read_rsp(void)
{
    uintptr_t v;
    __asm__ __volatile__("mov %%rsp, %0" : "=r"(v));
    return v;
}

/* Execute ud2: used by the deliberate-fault test. */
static __always_inline void ud2(void)
{
    __asm__ __volatile__("ud2");
}
