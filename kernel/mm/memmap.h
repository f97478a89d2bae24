/*
 * memmap.h - turn the boot memory map into ranges the page allocator owns.
 */
#pragma once

#include "core/boot.h"

/*
 * memmap_usable computes the page-aligned ranges of RAM that no other map
 * entry and no range in resv covers, sorted and merged, and writes at most
 * max of them to out. Input may be unsorted and overlapping; a range typed
 * anything but RAM wins over RAM where they overlap. Memory below 1 MiB is
 * never returned (firmware areas, the SMP trampoline). Returns the count.
 */
unsigned int memmap_usable(const struct mem_range *in, unsigned int nin,
                           const struct mem_range *resv, unsigned int nresv, struct mem_range *out,
                           unsigned int max);
