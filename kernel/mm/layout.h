/*
 * layout.h - the kernel's virtual address map.
 *
 *   0x0000000000000000 - 0x00007fffffffefff  the application (user space)
 *   0xffff800000000000 - 0xffffbfffffffffff  direct map of all physical memory
 *   0xffffc00000000000 - 0xffffc07fffffffff  vmap: kernel stacks with guard
 *                                            pages, device registers (MMIO)
 *   0xffffffff80000000 - 0xffffffffffffffff  the kernel image (linked here,
 *                                            loaded at physical 1 MiB)
 *
 * Kernel-half PML4 entries are created once at boot and shared by every
 * address space, so later kernel mappings are visible everywhere without
 * synchronising page tables.
 */
#pragma once

#ifndef __ASSEMBLER__
#include "lib/types.h"
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define HUGE_PAGE_SHIFT 21
#define HUGE_PAGE_SIZE (1ul << HUGE_PAGE_SHIFT)
#define GIGA_PAGE_SIZE (1ul << 30)

/*
 * The end of user space, as Linux's TASK_SIZE_MAX: one page short of the
 * canonical boundary. The last page is never mapped, so no instruction can
 * end at the boundary (SYSRET to a non-canonical address faults in ring
 * 0), and a program may rely on 0x7ffffffff000 being a bad pointer as it
 * is on Linux: an mmap hint there is refused and placed elsewhere.
 */
#define USER_TOP 0x00007ffffffff000ul
#if defined(HOST_TEST) && !defined(__ASSEMBLER__)
/* Host unit tests map "physical memory" at an arena they allocate. */
extern uintptr_t host_direct_map_base;
#define DIRECT_MAP_BASE host_direct_map_base
#define DIRECT_MAP_SIZE 0x0000010000000000ul
#else
#define DIRECT_MAP_BASE 0xffff800000000000ul
#define DIRECT_MAP_SIZE 0x0000400000000000ul /* 64 TiB */
#endif
#define VMAP_BASE 0xffffc00000000000ul
#define VMAP_SIZE 0x0000008000000000ul /* 512 GiB: one PML4 entry */
#define KERNEL_VMA 0xffffffff80000000ul
#define KERNEL_PHYS 0x100000ul

#ifndef __ASSEMBLER__
static inline void *phys_to_virt(phys_addr_t pa)
{
    return (void *)(pa + DIRECT_MAP_BASE);
}

/* Physical address of a direct-map or kernel-image address. */
static inline phys_addr_t virt_to_phys(const void *va)
{
    uintptr_t v = (uintptr_t)va;
    if (v >= KERNEL_VMA)
        return v - KERNEL_VMA;
    return v - DIRECT_MAP_BASE;
}
#endif
