/*
 * ksyms.c - look up addresses in the generated symbol table (see ksyms.h).
 */
#include "core/ksyms.h"
#include "lib/string.h"
#include "mm/layout.h"

extern const struct ksym ksyms_table[];
extern const uint32_t ksyms_count;
extern const char ksyms_names[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset, uintptr_t *size)
{
    uint32_t lo = 0, hi = ksyms_count;
    uint64_t rel;

    if (addr < KERNEL_VMA || addr - KERNEL_VMA > UINT32_MAX)
        return NULL;
    rel = addr - KERNEL_VMA;
    /* Find the last symbol whose address is <= rel. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ksyms_table[mid].addr <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct ksym *s = &ksyms_table[lo - 1];
    if (rel - s->addr >= s->size)
        return NULL;
    *offset = rel - s->addr;
    *size = s->size;
    return &ksyms_names[s->name];
}

uintptr_t ksym_address(const char *name)
{
    for (uint32_t i = 0; i < ksyms_count; i++) {
        if (strcmp(&ksyms_names[ksyms_table[i].name], name) == 0)
            return KERNEL_VMA + ksyms_table[i].addr;
    }
    return 0;
}
