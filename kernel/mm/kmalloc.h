/*
 * kmalloc.h - the kernel heap.
 *
 * Requests up to KMALLOC_MAX_SMALL bytes come from slabs of fixed-size
 * objects (size classes); larger ones get whole pages from the buddy
 * allocator. Memory is 16-byte aligned (large: page aligned). Debug builds
 * (KDEBUG) poison freed objects and guard each one with a red zone.
 */
#pragma once

#include "lib/types.h"

#define KMALLOC_MAX_SMALL 2048

#define KM_ZERO 0x1 /* zero the memory */

/* Returns NULL when memory is exhausted; never sleeps. IRQ-safe. */
void *kmalloc(size_t size, int flags);
void *kzalloc(size_t size);
/* Free p (NULL is ignored). A bad pointer is a kernel bug and panics. */
void kfree(void *p);
/* Usable size of an allocation (>= what was asked). */
size_t ksize(const void *p);

/* Bytes currently handed out, per the allocator's accounting. */
struct kmalloc_stats {
    uint64_t small_bytes; /* sum of size classes of live small objects */
    uint64_t large_bytes; /* pages of live large allocations */
    uint64_t slab_pages;
};
void kmalloc_stats(struct kmalloc_stats *st);
