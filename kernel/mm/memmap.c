/*
 * memmap.c - sanitize the firmware memory map (see memmap.h).
 *
 * The map from the loader may list ranges in any order, overlap, or mark the
 * same bytes as RAM and reserved. We cut the address space at every range
 * boundary and classify each elementary piece, which makes every odd case
 * the same case. Host-tested in tests/host/test_memmap.c.
 */
#include "mm/memmap.h"
#include "mm/layout.h"

#define LOW_MEMORY_END 0x100000ul
/* x86-64 physical addresses have at most 52 bits; anything above is junk. */
#define PHYS_LIMIT (1ul << 52)
#define MAX_POINTS (2 * (BOOT_MAX_RANGES + 32))

static uint64_t range_start(const struct mem_range *r)
{
    return MIN(r->base, PHYS_LIMIT);
}

static uint64_t range_end(const struct mem_range *r)
{
    uint64_t end = r->base + r->size;
    return end < r->base || end > PHYS_LIMIT ? PHYS_LIMIT : end;
}

static bool covered(const struct mem_range *rs, unsigned int n, uint64_t a, uint64_t b,
                    bool want_ram)
{
    for (unsigned int i = 0; i < n; i++) {
        if ((rs[i].type == MEM_RAM) != want_ram)
            continue;
        if (rs[i].size != 0 && range_start(&rs[i]) <= a && range_end(&rs[i]) >= b)
            return true;
    }
    return false;
}

static bool overlaps_any(const struct mem_range *rs, unsigned int n, bool only_non_ram, uint64_t a,
                         uint64_t b)
{
    for (unsigned int i = 0; i < n; i++) {
        if (only_non_ram && rs[i].type == MEM_RAM)
            continue;
        if (rs[i].size != 0 && range_start(&rs[i]) < b && range_end(&rs[i]) > a)
            return true;
    }
    return false;
}

static void sort_points(uint64_t *p, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++) {
        uint64_t v = p[i];
        unsigned int j = i;
        while (j > 0 && p[j - 1] > v) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = v;
    }
}

unsigned int memmap_usable(const struct mem_range *in, unsigned int nin,
                           const struct mem_range *resv, unsigned int nresv, struct mem_range *out,
                           unsigned int max)
{
    uint64_t points[MAX_POINTS];
    unsigned int np = 0, nout = 0;
    uint64_t run_start = 0, run_end = 0;
    bool in_run = false;

    if (nin > BOOT_MAX_RANGES)
        nin = BOOT_MAX_RANGES;
    if (nresv > 32)
        nresv = 32;
    points[np++] = LOW_MEMORY_END;
    for (unsigned int i = 0; i < nin; i++) {
        points[np++] = range_start(&in[i]);
        points[np++] = range_end(&in[i]);
    }
    for (unsigned int i = 0; i < nresv; i++) {
        points[np++] = range_start(&resv[i]);
        points[np++] = range_end(&resv[i]);
    }
    sort_points(points, np);

    for (unsigned int i = 0; i + 1 < np; i++) {
        uint64_t a = points[i], b = points[i + 1];
        bool usable;

        if (a == b)
            continue;
        usable = a >= LOW_MEMORY_END && covered(in, nin, a, b, true) &&
                 !overlaps_any(in, nin, true, a, b) && !overlaps_any(resv, nresv, false, a, b);
        if (usable && in_run && a == run_end) {
            run_end = b;
            continue;
        }
        if (in_run) {
            uint64_t s = ALIGN_UP(run_start, PAGE_SIZE), e = ALIGN_DOWN(run_end, PAGE_SIZE);
            if (e > s && nout < max)
                out[nout++] = (struct mem_range){s, e - s, MEM_RAM};
            in_run = false;
        }
        if (usable) {
            run_start = a;
            run_end = b;
            in_run = true;
        }
    }
    if (in_run) {
        uint64_t s = ALIGN_UP(run_start, PAGE_SIZE), e = ALIGN_DOWN(run_end, PAGE_SIZE);
        if (e > s && nout < max)
            out[nout++] = (struct mem_range){s, e - s, MEM_RAM};
    }
    return nout;
}
