/*
 * vm.h - user address spaces.
 *
 * An mm is one page table (the kernel half shared with kernel_pml4) plus
 * the list of virtual memory areas (VMAs) that say what may be mapped
 * where. Pages are mapped lazily, on the first fault.
 */
#pragma once

#include "mm/paging.h"

struct mm {
    phys_addr_t pml4;
};

static inline void vm_activate(struct mm *mm)
{
    pt_activate(mm->pml4);
}
