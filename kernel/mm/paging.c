/*
 * paging.c - page-table walking and the kernel's own mappings.
 *
 * Table pages come from the page allocator, zeroed. Levels are numbered
 * from the leaf: 1 = PT (4 KiB), 2 = PD (2 MiB), 3 = PDPT (1 GiB), 4 = PML4.
 * paging_init replaces boot.S's temporary tables with: the direct map of
 * all memory up to the highest address in the boot map (1 GiB pages where
 * the CPU has them), the kernel image with W^X section permissions, and
 * empty top-level tables for the vmap area so every address space shares
 * them.
 */
#include "arch/x86_64/cpu.h"
#include "core/boot.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/paging.h"

phys_addr_t kernel_pml4;
uint64_t pte_nx;
uint64_t direct_map_top = 4ul << 30; /* boot.S maps 4 GiB */

static inline uint64_t *table_va(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR_MASK);
}

static inline unsigned int index_at(uintptr_t va, int level)
{
    return (va >> (12 + 9 * (level - 1))) & 511;
}

/*
 * Return the table at `level` (3, 2 or 1) covering va, creating it if
 * alloc. A huge page in the way is split into a table of smaller pages with
 * the same flags when alloc, or makes the walk return NULL otherwise.
 */
static uint64_t *walk(phys_addr_t pml4, uintptr_t va, int level, bool alloc)
{
    uint64_t *table = phys_to_virt(pml4);

    for (int l = 4; l > level; l--) {
        uint64_t *e = &table[index_at(va, l)];

        if (!(*e & PTE_PRESENT)) {
            struct page *pg;
            if (!alloc)
                return NULL;
            pg = page_alloc(0, PA_ZERO);
            if (pg == NULL)
                return NULL;
            /* Intermediate entries are permissive; leaves decide. */
            *e = page_to_phys(pg) | PTE_PRESENT | PTE_WRITE | (va < USER_TOP ? PTE_USER : 0);
        } else if (*e & PTE_HUGE) {
            struct page *pg;
            uint64_t *sub;
            uint64_t step = 1ul << (12 + 9 * (l - 2));
            uint64_t flags = *e & ~PTE_ADDR_MASK & ~(1ul << 12); /* PAT bit in huge form */
            uint64_t base = *e & PTE_ADDR_MASK & ~((step << 9) - 1);

            if (!alloc)
                return NULL;
            pg = page_alloc(0, 0);
            if (pg == NULL)
                return NULL;
            sub = page_address(pg);
            if (l - 1 == 1)
                flags &= ~PTE_HUGE;
            for (int i = 0; i < 512; i++)
                sub[i] = (base + i * step) | flags;
            *e = page_to_phys(pg) | PTE_PRESENT | PTE_WRITE | (va < USER_TOP ? PTE_USER : 0);
            tlb_flush_all();
        }
        table = table_va(*e);
    }
    return table;
}

int pt_map(phys_addr_t pml4, uintptr_t va, phys_addr_t pa, size_t size, uint64_t flags)
{
    uint64_t leaf = (flags & ~PT_MAP_NO_HUGE & ~PTE_NX) | PTE_PRESENT | (flags & PTE_NX & pte_nx);
    uintptr_t end = va + size;

    while (va < end) {
        bool huge = !(flags & PT_MAP_NO_HUGE) && IS_ALIGNED(va, HUGE_PAGE_SIZE) &&
                    IS_ALIGNED(pa, HUGE_PAGE_SIZE) && end - va >= HUGE_PAGE_SIZE;
        uint64_t *table = walk(pml4, va, huge ? 2 : 1, true);

        if (table == NULL)
            return -ENOMEM;
        if (huge) {
            uint64_t *e = &table[index_at(va, 2)];
            /* Replacing a table with a huge page leaks nothing we track: free it. */
            if ((*e & PTE_PRESENT) && !(*e & PTE_HUGE))
                page_free(phys_to_page(*e & PTE_ADDR_MASK), 0);
            *e = pa | leaf | PTE_HUGE;
            invlpg(va);
            va += HUGE_PAGE_SIZE;
            pa += HUGE_PAGE_SIZE;
        } else {
            table[index_at(va, 1)] = pa | leaf;
            invlpg(va);
            va += PAGE_SIZE;
            pa += PAGE_SIZE;
        }
    }
    return 0;
}

/*
 * Apply update(entry, arg) to the leaf entry of every mapped page in
 * [va, va+size), splitting huge pages that straddle the edges, and flush
 * each changed page from this CPU's TLB. 0 or -ENOMEM (a split failed).
 */
static int update_range(phys_addr_t pml4, uintptr_t va, size_t size,
                        void (*update)(uint64_t *e, uint64_t arg), uint64_t arg)
{
    uintptr_t end = va + size;

    while (va < end) {
        int level;
        uint64_t *e = pt_lookup(pml4, va, &level);
        uint64_t span;

        if (e == NULL) {
            va = ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE;
            continue;
        }
        span = 1ul << (12 + 9 * (level - 1));
        if (level > 1 && (!IS_ALIGNED(va, span) || end - va < span)) {
            /* Partial huge page: split it, then retry at 4 KiB. */
            if (walk(pml4, va, 1, true) == NULL)
                return -ENOMEM;
            continue;
        }
        update(e, arg);
        invlpg(va);
        va = ALIGN_DOWN(va, span) + span;
    }
    return 0;
}

static void clear_entry(uint64_t *e, uint64_t arg)
{
    (void)arg;
    *e = 0;
}

static void set_flags(uint64_t *e, uint64_t set)
{
    const uint64_t keep = PTE_ADDR_MASK | PTE_ACCESSED | PTE_DIRTY | PTE_HUGE;
    *e = (*e & keep) | set;
}

int pt_unmap(phys_addr_t pml4, uintptr_t va, size_t size)
{
    return update_range(pml4, va, size, clear_entry, 0);
}

int pt_protect(phys_addr_t pml4, uintptr_t va, size_t size, uint64_t flags)
{
    uint64_t set = (flags & ~(PT_MAP_NO_HUGE | PTE_NX | PTE_ADDR_MASK | PTE_HUGE)) | PTE_PRESENT |
                   (flags & PTE_NX & pte_nx);
    return update_range(pml4, va, size, set_flags, set);
}

uint64_t *pt_lookup(phys_addr_t pml4, uintptr_t va, int *level)
{
    uint64_t *table = phys_to_virt(pml4);

    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_PRESENT))
            return NULL;
        if (l == 1 || (l <= 3 && (*e & PTE_HUGE))) {
            *level = l;
            return e;
        }
        table = table_va(*e);
    }
    return NULL;
}

phys_addr_t pt_translate(phys_addr_t pml4, uintptr_t va)
{
    int level;
    uint64_t *e = pt_lookup(pml4, va, &level);
    uint64_t span;

    if (e == NULL)
        return (phys_addr_t)-1;
    span = 1ul << (12 + 9 * (level - 1));
    return (*e & PTE_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
}

void pt_activate(phys_addr_t pml4)
{
    write_cr3(pml4);
}

void tlb_flush_page(uintptr_t va)
{
    invlpg(va);
}

void tlb_flush_all(void)
{
    write_cr3(read_cr3());
}

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[], _end[];

static void map_kernel_section(const char *start, const char *end, uint64_t flags)
{
    uintptr_t s = ALIGN_DOWN((uintptr_t)start, PAGE_SIZE);
    uintptr_t e = ALIGN_UP((uintptr_t)end, PAGE_SIZE);

    if (pt_map(kernel_pml4, s, s - KERNEL_VMA, e - s, flags | PTE_GLOBAL | PT_MAP_NO_HUGE) != 0)
        panic("paging: out of memory mapping the kernel");
}

void paging_init(void)
{
    struct cpuid_regs r = cpuid(0x80000001, 0);
    bool gbpages = (r.edx >> 26) & 1;
    uint64_t top = 0;
    struct page *pg;

    pte_nx = ((r.edx >> 20) & 1) ? PTE_NX : 0;
    pg = page_alloc(0, PA_ZERO);
    if (pg == NULL)
        panic("paging: no memory for the kernel page table");
    kernel_pml4 = page_to_phys(pg);

    /* Direct map: everything up to the end of the highest RAM range. */
    for (unsigned int i = 0; i < bootinfo.nmem; i++) {
        if (bootinfo.mem[i].type == MEM_RAM)
            top = MAX(top, bootinfo.mem[i].base + bootinfo.mem[i].size);
    }
    top = ALIGN_UP(MAX(top, 4ul << 30), GIGA_PAGE_SIZE);
    if (top > DIRECT_MAP_SIZE)
        top = DIRECT_MAP_SIZE;
    for (uint64_t pa = 0; pa < top; pa += GIGA_PAGE_SIZE) {
        uintptr_t va = DIRECT_MAP_BASE + pa;
        if (gbpages) {
            uint64_t *pdpt = walk(kernel_pml4, va, 3, true);
            if (pdpt == NULL)
                panic("paging: out of memory for the direct map");
            pdpt[index_at(va, 3)] = pa | PTE_PRESENT | PTE_WRITE | PTE_HUGE | PTE_GLOBAL | pte_nx;
        } else if (pt_map(kernel_pml4, va, pa, GIGA_PAGE_SIZE, PTE_WRITE | PTE_GLOBAL | PTE_NX) !=
                   0) {
            panic("paging: out of memory for the direct map");
        }
    }
    direct_map_top = top;

    /* Shared top-level slots for vmap and the kernel image. */
    if (walk(kernel_pml4, VMAP_BASE, 3, true) == NULL)
        panic("paging: out of memory for the vmap area");

    /* The kernel image: text RX, rodata R, data and bss RW; all but text NX. */
    map_kernel_section(_text_start, _text_end, 0);
    map_kernel_section(_rodata_start, _rodata_end, PTE_NX);
    map_kernel_section(_data_start, _end, PTE_WRITE | PTE_NX);

    write_cr4(read_cr4() | CR4_PGE);
    pt_activate(kernel_pml4);
}
