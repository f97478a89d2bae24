/*
 * paging.h - x86-64 four-level page tables.
 *
 * A page table is named by the physical address of its PML4. The kernel's
 * own (kernel_pml4) maps the direct map, the vmap area and the kernel image;
 * user address spaces copy its upper half and add their own lower half.
 * Functions here change entries; flushing the TLB of other CPUs is the
 * caller's business (mm/vm.c).
 */
#pragma once

#include "mm/layout.h"

#define PTE_PRESENT (1ul << 0)
#define PTE_WRITE (1ul << 1)
#define PTE_USER (1ul << 2)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_ACCESSED (1ul << 5)
#define PTE_DIRTY (1ul << 6)
#define PTE_HUGE (1ul << 7) /* PS: 2 MiB in a PD, 1 GiB in a PDPT */
#define PTE_GLOBAL (1ul << 8)
#define PTE_NX (1ul << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ul

/* Mapping requests for pt_map: combine PTE_WRITE/USER/NX/PCD/PWT/GLOBAL. */
#define PT_MAP_NO_HUGE (1ul << 9) /* software bit: force 4 KiB pages */

extern phys_addr_t kernel_pml4;
extern uint64_t pte_nx;         /* PTE_NX when the CPU has NX, else 0 */
extern uint64_t direct_map_top; /* physical addresses below this are mapped */

/*
 * pt_map maps [va, va+size) to [pa, pa+size) with the given flags, using
 * 2 MiB pages where both sides are aligned (unless PT_MAP_NO_HUGE), creating
 * intermediate tables as needed. Existing mappings are replaced. Returns 0
 * or -ENOMEM (what was mapped before the failure stays mapped).
 */
int pt_map(phys_addr_t pml4, uintptr_t va, phys_addr_t pa, size_t size, uint64_t flags);

/*
 * pt_unmap removes the mappings in [va, va+size), splitting 2 MiB pages at
 * the edges. Page frames are not freed. Intermediate tables are kept.
 * Returns 0 or -ENOMEM (a split needed a table and none was left).
 */
int pt_unmap(phys_addr_t pml4, uintptr_t va, size_t size);

/* pt_protect sets new flags on present pages of [va, va+size). 0 or -ENOMEM. */
int pt_protect(phys_addr_t pml4, uintptr_t va, size_t size, uint64_t flags);

/*
 * pt_lookup finds the mapping of va. Returns a pointer to the leaf entry
 * (4 KiB or 2 MiB/1 GiB) and sets *level (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB),
 * or NULL when nothing maps va.
 */
uint64_t *pt_lookup(phys_addr_t pml4, uintptr_t va, int *level);

/* pt_translate: the physical address va maps to, or -1 when unmapped. */
phys_addr_t pt_translate(phys_addr_t pml4, uintptr_t va);

/* Build the kernel's page tables and switch to them (boot CPU, once). */
void paging_init(void);

/* Load a page table into CR3. */
void pt_activate(phys_addr_t pml4);

/* Flush one page of this CPU's TLB. */
void tlb_flush_page(uintptr_t va);
/* Flush this CPU's whole TLB (non-global entries). */
void tlb_flush_all(void);
