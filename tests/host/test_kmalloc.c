/* The kernel heap: size classes, large allocations, debug red zones. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "host.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

#define MB (1ull << 20)

static void setup(void)
{
    struct mem_range usable[] = {{1 * MB, 63 * MB, MEM_RAM}};

    host_phys_arena(64 * MB);
    cr_assert_eq(page_init(usable, 1), 0);
}

TestSuite(kmalloc, .init = setup);

Test(kmalloc, sizes_alignment_and_independence)
{
    static const size_t sizes[] = {1, 8, 16, 17, 100, 500, 2048, 2049, 4096, 10000, 100000};
    void *p[11];

    for (size_t i = 0; i < 11; i++) {
        p[i] = kmalloc(sizes[i], 0);
        cr_assert_not_null(p[i]);
        cr_assert_eq((uintptr_t)p[i] % 16, 0);
        cr_assert_geq(ksize(p[i]), sizes[i]);
        memset(p[i], (int)i, sizes[i]);
    }
    for (size_t i = 0; i < 11; i++) {
        for (size_t k = 0; k < sizes[i]; k++)
            cr_assert_eq(((uint8_t *)p[i])[k], (uint8_t)i, "object %zu clobbered", i);
        kfree(p[i]);
    }
}

Test(kmalloc, zeroed_and_stats_balance)
{
    struct kmalloc_stats a, b;
    uint8_t *p;

    kmalloc_stats(&a);
    p = kzalloc(300);
    for (int i = 0; i < 300; i++)
        cr_assert_eq(p[i], 0);
    void *big = kmalloc(3 * PAGE_SIZE, KM_ZERO);
    kfree(p);
    kfree(big);
    kfree(NULL);
    kmalloc_stats(&b);
    cr_assert_eq(a.small_bytes, b.small_bytes);
    cr_assert_eq(a.large_bytes, b.large_bytes);
}

Test(kmalloc, empty_slabs_return_to_the_page_allocator)
{
    struct page_stats before, after;
    static void *p[4000];

    /* Warm up one slab of the class so the retained slab is not counted. */
    kfree(kmalloc(64, 0));
    page_stats(&before);
    for (int i = 0; i < 4000; i++)
        p[i] = kmalloc(64, 0);
    for (int i = 0; i < 4000; i++)
        kfree(p[i]);
    page_stats(&after);
    cr_assert_eq(after.free_pages, before.free_pages);
}

Test(kmalloc, exhaustion_returns_null)
{
    size_t n = 0;

    while (kmalloc(1 << 20, 0) != NULL)
        n++;
    cr_assert_gt(n, 10);
    cr_assert_null(kmalloc(1 << 20, 0));
}

Test(kmalloc, foreign_pointer_panics, .signal = SIGABRT)
{
    static char not_heap[64];

    kfree(not_heap);
}

Test(kmalloc, interior_pointer_panics, .signal = SIGABRT)
{
    char *p = kmalloc(100, 0);

    kfree(p + 16);
}

#ifdef KDEBUG
Test(kmalloc, red_zone_overwrite_panics, .signal = SIGABRT)
{
    char *p = kmalloc(20, 0);

    p[20] = 'x'; /* one past the end */
    kfree(p);
}

Test(kmalloc, write_after_free_panics, .signal = SIGABRT)
{
    char *p = kmalloc(40, 0);

    kfree(p);
    p[20] = 'x';
    /* The next allocation of the class hands the object out again. */
    for (int i = 0; i < 1000; i++)
        kmalloc(40, 0);
}

Test(kmalloc, double_free_panics, .signal = SIGABRT)
{
    char *p = kmalloc(40, 0);

    kfree(p);
    kfree(p);
}

Test(kmalloc, freed_memory_is_poisoned)
{
    uint8_t *p = kmalloc(64, 0);

    kfree(p);
    for (int i = 8; i < 64; i++)
        cr_assert_eq(p[i], 0x6b);
}
#endif
