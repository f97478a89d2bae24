/*
 * vdso_data.h - the layout of the vvar page: what the kernel publishes for
 * the vDSO's clock reads (kernel/vdso/vdso.c, user space) and what
 * kernel/arch/x86_64/time.c fills in. Shared by both sides, so it uses
 * only <stdint.h> types; the offsets are part of the vDSO's contract with
 * the kernel that embeds it (both are built from the same tree).
 *
 * Readers (the vDSO, on any CPU, without locks) follow a sequence count:
 * read seq, retry while it is odd; read the fields; retry if seq changed.
 * The writer (time.c, under its lock) makes seq odd, stores, makes it even.
 */
#pragma once

#include <stdint.h>

struct vdso_clock {
    uint32_t seq;         /* odd while the kernel updates the fields below */
    uint32_t use_syscall; /* nonzero: the vDSO must ask the kernel (no usable TSC data) */
    uint64_t tsc_base;    /* TSC value at monotonic time 0 */
    uint64_t ns_mult;     /* ns = (tsc - tsc_base) * ns_mult >> VDSO_NS_SHIFT */
    int64_t realtime_ofs; /* realtime = monotonic + realtime_ofs (ns) */
    uint64_t coarse_res;  /* resolution reported for the *_COARSE clocks (ns) */
};

/* The fixed-point shift of ns_mult, as time.c's tsc_to_ns uses it. */
#define VDSO_NS_SHIFT 32

/* The vvar page is mapped this many bytes below the vDSO's ELF header. */
#define VDSO_VVAR_SIZE 4096

_Static_assert(sizeof(struct vdso_clock) == 40, "vvar layout is shared with the vDSO");
