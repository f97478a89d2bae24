/*
 * selftest_mm.c - in-kernel tests of the page allocator, page tables and
 * the heap (run with "selftest"; see core/selftest.h).
 */
#include "arch/x86_64/cpu.h"
#include "core/selftest.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/vmap.h"

/* A simple deterministic generator for test patterns. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Every order can be allocated, is aligned, and freeing restores the count. */
SELFTEST(page_alloc)
{
    struct page_stats before, after;
    struct page *pgs[PAGE_MAX_ORDER];

    /* Finish deferred initialization so the free count is stable. */
    while (page_init_deferred())
        ;
    page_stats(&before);
    for (unsigned int o = 0; o < PAGE_MAX_ORDER; o++) {
        pgs[o] = page_alloc(o, PA_ZERO);
        ST_CHECK(pgs[o] != NULL, "order %u allocation failed", o);
        if (pgs[o] == NULL)
            continue;
        ST_CHECK(IS_ALIGNED(page_to_phys(pgs[o]), PAGE_SIZE << o), "order %u block misaligned", o);
        uint64_t *p = page_address(pgs[o]);
        bool zero = true;
        for (size_t i = 0; i < (PAGE_SIZE << o) / 8; i++)
            zero &= p[i] == 0;
        ST_CHECK(zero, "order %u block not zeroed", o);
    }
    for (unsigned int o = 0; o < PAGE_MAX_ORDER; o++) {
        if (pgs[o] != NULL)
            page_free(pgs[o], o);
    }
    page_stats(&after);
    ST_CHECK(after.free_pages == before.free_pages, "free pages %lu, was %lu", after.free_pages,
             before.free_pages);
}

/*
 * All memory the machine has is usable: allocate every page, check that the
 * count matches what the allocator reported and that pages above 4 GiB are
 * among them when the machine has such memory, then free all.
 */
SELFTEST(memory_all)
{
    struct page_stats st;
    struct page *head = NULL;
    uint64_t n = 0, above4g = 0, highest = 0;

    while (page_init_deferred())
        ;
    page_stats(&st);
    for (;;) {
        struct page *pg = page_alloc(PAGE_MAX_ORDER - 1, 0);
        if (pg == NULL)
            pg = page_alloc(0, 0);
        if (pg == NULL)
            break;
        /* Chain blocks through their first word. */
        *(struct page **)page_address(pg) = head;
        head = pg;
        n += 1ul << pg->order;
        highest = MAX(highest, page_to_phys(pg));
        if (page_to_phys(pg) >= (4ul << 30))
            above4g += 1ul << pg->order;
    }
    ST_CHECK(n == st.free_pages, "allocated %lu pages, allocator reported %lu free", n,
             st.free_pages);
    if (st.total_pages > (3ul << 30) / PAGE_SIZE && page_map_count > (4ul << 30) / PAGE_SIZE)
        ST_CHECK(above4g > 0, "no memory above 4 GiB was handed out (highest %#lx)", highest);
    printk(LOG_INFO, "selftest: %lu MiB allocatable, %lu MiB above 4 GiB\n", n >> 8, above4g >> 8);
    while (head != NULL) {
        struct page *next = *(struct page **)page_address(head);
        page_free(head, head->order);
        head = next;
    }
    page_stats(&st);
    ST_CHECK(st.free_pages == n, "after freeing: %lu free, want %lu", st.free_pages, n);
}

/* Map, translate, protect and unmap in the kernel page table, 4 KiB and 2 MiB. */
SELFTEST(paging)
{
    const uintptr_t base = VMAP_BASE + VMAP_SIZE - (64ul << 20); /* unused tail of vmap */
    struct page *big = page_alloc(9, PA_ZERO);                   /* 2 MiB, 2 MiB aligned */
    struct page *small = page_alloc(0, PA_ZERO);
    int level;

    ST_CHECK(big != NULL && small != NULL, "allocation failed");
    if (big == NULL || small == NULL)
        return;
    ST_CHECK(pt_map(kernel_pml4, base, page_to_phys(big), HUGE_PAGE_SIZE, PTE_WRITE | PTE_NX) == 0,
             "map 2 MiB");
    ST_CHECK(pt_lookup(kernel_pml4, base, &level) != NULL && level == 2, "2 MiB page expected");
    ST_CHECK(pt_translate(kernel_pml4, base + 0x12345) == page_to_phys(big) + 0x12345,
             "translate inside huge page");
    /* Writes through the new mapping appear in the direct map. */
    *(volatile uint64_t *)(base + 0x1000) = 0x1122334455667788ul;
    ST_CHECK(((uint64_t *)page_address(big))[0x1000 / 8] == 0x1122334455667788ul,
             "write through mapping not visible");
    /* Unmapping one 4 KiB page splits the huge page; neighbours stay mapped. */
    ST_CHECK(pt_unmap(kernel_pml4, base + 0x1000, PAGE_SIZE) == 0, "unmap 4 KiB");
    ST_CHECK(pt_translate(kernel_pml4, base + 0x1000) == (phys_addr_t)-1, "page still mapped");
    ST_CHECK(pt_translate(kernel_pml4, base + 0x2000) == page_to_phys(big) + 0x2000,
             "neighbour lost");
    ST_CHECK(pt_lookup(kernel_pml4, base, &level) != NULL && level == 1, "split expected");
    /* Read-only protection is reflected in the entry. */
    ST_CHECK(pt_protect(kernel_pml4, base + 0x2000, PAGE_SIZE, PTE_NX) == 0, "protect");
    ST_CHECK((*pt_lookup(kernel_pml4, base + 0x2000, &level) & PTE_WRITE) == 0, "still writable");
    ST_CHECK(pt_unmap(kernel_pml4, base, HUGE_PAGE_SIZE) == 0, "unmap all");
    ST_CHECK(pt_translate(kernel_pml4, base + 0x3000) == (phys_addr_t)-1, "unmap incomplete");
    /* A 4 KiB mapping with PT_MAP_NO_HUGE. */
    ST_CHECK(pt_map(kernel_pml4, base, page_to_phys(small), PAGE_SIZE,
                    PTE_WRITE | PTE_NX | PT_MAP_NO_HUGE) == 0,
             "map 4 KiB");
    ST_CHECK(pt_translate(kernel_pml4, base + 5) == page_to_phys(small) + 5, "translate 4 KiB");
    pt_unmap(kernel_pml4, base, PAGE_SIZE);
    page_free(big, 9);
    page_free(small, 0);
}

/* Random allocations and frees; contents must survive, stats must balance. */
SELFTEST(heap_stress)
{
    enum { SLOTS = 512, ROUNDS = 20000 };
    static void *ptr[SLOTS];
    static size_t len[SLOTS];
    struct kmalloc_stats before, after;

    kmalloc_stats(&before);
    for (int r = 0; r < ROUNDS; r++) {
        unsigned int i = rnd() % SLOTS;
        if (ptr[i] != NULL) {
            uint8_t tag = (uint8_t)i;
            const uint8_t *p = ptr[i];
            bool ok = true;
            for (size_t k = 0; k < len[i]; k++)
                ok &= p[k] == (uint8_t)(tag + k);
            ST_CHECK(ok, "object %u (%zu bytes) corrupted", i, len[i]);
            if (!ok)
                return;
            kfree(ptr[i]);
            ptr[i] = NULL;
            continue;
        }
        /* Mostly small, sometimes large (several pages). */
        len[i] = (rnd() % 8 == 0) ? 1 + rnd() % 20000 : 1 + rnd() % 700;
        ptr[i] = kmalloc(len[i], 0);
        ST_CHECK(ptr[i] != NULL, "kmalloc(%zu) failed", len[i]);
        if (ptr[i] == NULL)
            return;
        ST_CHECK(ksize(ptr[i]) >= len[i], "ksize %zu < %zu", ksize(ptr[i]), len[i]);
        ST_CHECK(((uintptr_t)ptr[i] & 15) == 0, "misaligned %p", ptr[i]);
        for (size_t k = 0; k < len[i]; k++)
            ((uint8_t *)ptr[i])[k] = (uint8_t)((uint8_t)i + k);
    }
    for (int i = 0; i < SLOTS; i++) {
        kfree(ptr[i]);
        ptr[i] = NULL;
    }
    kmalloc_stats(&after);
    ST_CHECK(after.small_bytes == before.small_bytes && after.large_bytes == before.large_bytes,
             "heap accounting off: small %lu -> %lu, large %lu -> %lu", before.small_bytes,
             after.small_bytes, before.large_bytes, after.large_bytes);
}

/* Kernel stacks come with a guard page right below them. */
SELFTEST(kstack_guard)
{
    void *s = kstack_alloc();

    ST_CHECK(s != NULL, "kstack_alloc failed");
    if (s == NULL)
        return;
    ST_CHECK(vmap_is_guard((uintptr_t)s - 1), "no guard below the stack");
    ST_CHECK(pt_translate(kernel_pml4, (uintptr_t)s - 1) == (phys_addr_t)-1, "guard is mapped");
    ST_CHECK(!vmap_is_guard((uintptr_t)s), "stack start reported as guard");
    memset(s, 0xab, KSTACK_SIZE);
    kstack_free(s);
}

/* User address spaces: demand paging, 2 MiB pages where they pay, splitting. */
SELFTEST(vm_hugepages)
{
    struct mm *mm = mm_create();
    const uintptr_t big = 0x10000000;
    int level;
    long r;

    ST_CHECK(mm != NULL, "mm_create");
    if (mm == NULL)
        return;
    /* MAP_NORESERVE: the test must run on a 32 MiB machine too. */
    r = vm_mmap(mm, big, 64ul << 20, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, NULL, 0);
    ST_CHECK(r == (long)big, "mmap 64 MiB: %ld", r);
    /* A fault in a 64 MiB area maps a whole 2 MiB page. */
    ST_CHECK(vm_fault(mm, big + 0x300123, FAULT_WRITE | FAULT_USER) == VM_FAULT_OK, "fault");
    ST_CHECK(pt_lookup(mm->pml4, big + 0x200000, &level) != NULL && level == 2,
             "no 2 MiB page (level %d)", level);
    ST_CHECK(vm_rss_pages(mm) == 512, "rss %lu", vm_rss_pages(mm));
    /* Unmapping 4 KiB inside it splits it; the rest stays. */
    ST_CHECK(vm_munmap(mm, big + 0x201000, PAGE_SIZE) == 0, "munmap 4 KiB");
    ST_CHECK(pt_lookup(mm->pml4, big + 0x201000, &level) == NULL, "unmapped page still there");
    ST_CHECK(pt_lookup(mm->pml4, big + 0x202000, &level) != NULL && level == 1, "split expected");
    ST_CHECK(vm_rss_pages(mm) == 511, "rss after split %lu", vm_rss_pages(mm));
    /* MADV_NOHUGEPAGE areas get 4 KiB pages. */
    ST_CHECK(vm_madvise(mm, big + (8ul << 20), 8ul << 20, MADV_NOHUGEPAGE) == 0, "madvise");
    ST_CHECK(vm_fault(mm, big + (9ul << 20), FAULT_WRITE | FAULT_USER) == VM_FAULT_OK, "fault 2");
    ST_CHECK(pt_lookup(mm->pml4, big + (9ul << 20), &level) != NULL && level == 1,
             "NOHUGEPAGE area got level %d", level);
    /* A small area gets 4 KiB pages. */
    r = vm_mmap(mm, 0, 4ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    ST_CHECK(r > 0, "mmap 4 MiB");
    if (r > 0) {
        ST_CHECK(vm_fault(mm, (uintptr_t)r + 0x200000, FAULT_WRITE | FAULT_USER) == VM_FAULT_OK,
                 "fault small");
        ST_CHECK(pt_lookup(mm->pml4, (uintptr_t)r + 0x200000, &level) != NULL && level == 1,
                 "small area got level %d", level);
    }
    /* Reading a PROT_NONE area fails; so does a write to a read-only one. */
    ST_CHECK(vm_mprotect(mm, big, 2ul << 20, PROT_NONE) == 0, "mprotect");
    ST_CHECK(vm_fault(mm, big + 5, FAULT_USER) == VM_FAULT_ACCERR, "PROT_NONE fault allowed");
    ST_CHECK(vm_fault(mm, 0x5000, FAULT_USER) == VM_FAULT_MAPERR, "fault at an unmapped address");
    struct page_stats before, after;
    page_stats(&before);
    mm_put(mm);
    page_stats(&after);
    ST_CHECK(after.free_pages > before.free_pages + 500, "mm_put freed only %lu pages",
             after.free_pages - before.free_pages);
}
