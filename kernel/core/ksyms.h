/*
 * ksyms.h - the kernel's own symbol table, for backtraces.
 *
 * The build links the kernel twice: the second link adds a table of every
 * function's address, size and name, generated from the first link by
 * tools/ksyms. The table lives after all code, so code addresses are the
 * same in both links.
 */
#pragma once

#include "lib/types.h"

struct ksym {
    uint32_t addr; /* offset from KERNEL_VMA */
    uint32_t size;
    uint32_t name; /* offset into ksyms_names */
};

/*
 * ksym_lookup finds the function containing addr. Returns its name and sets
 * *offset and *size, or returns NULL when addr is in no known function.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset, uintptr_t *size);

/* The address of a function by name, or 0 (tests use it). */
uintptr_t ksym_address(const char *name);
