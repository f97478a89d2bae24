/*
 * vmap.h - kernel virtual memory outside the direct map.
 *
 * Two users: kernel stacks, which get an unmapped guard page below them so
 * an overflow faults instead of corrupting memory, and device registers
 * (MMIO), mapped uncached.
 */
#pragma once

#include "lib/types.h"

#define KSTACK_SIZE (16 * 1024)

/* A kernel stack of KSTACK_SIZE bytes; returns its lowest address or NULL. */
void *kstack_alloc(void);
void kstack_free(void *base);

/*
 * ioremap maps size bytes of device memory at physical pa, uncached, and
 * returns the virtual address of pa (or NULL when out of memory).
 * Mappings are never removed (devices live as long as the machine).
 */
void *ioremap(phys_addr_t pa, size_t size);

/* True when va lies in a kernel stack's guard page (for fault reports). */
bool vmap_is_guard(uintptr_t va);
