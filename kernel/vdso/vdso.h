/*
 * vdso.h - the vDSO seen from the kernel: the embedded image copied into
 * pages of its own at boot, and mapped (with the vvar page the clocks are
 * published in) into every process at exec. See vdso_map.c, vdso.c (the
 * user-space side) and docs/architecture.md, "The vDSO".
 */
#pragma once

#include "lib/types.h"

struct mm;

/*
 * Copy the embedded vDSO into its pages, allocate the vvar page and hand
 * it to the clocks (time_vdso_attach). Boot CPU, after time_init. With
 * "vdso=0" on the command line, without memory or with a broken image,
 * processes get no vDSO (they then use the system calls).
 */
void vdso_init(void);

/*
 * Map the vvar page and, just above it, the vDSO into mm (read-only,
 * shared by every process). Returns the vDSO's base (its ELF header: the
 * value of AT_SYSINFO_EHDR), 0 when there is no vDSO, or -ENOMEM.
 */
long vdso_map(struct mm *mm);
