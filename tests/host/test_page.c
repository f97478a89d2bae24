/* The buddy allocator over a fake physical memory with holes. */
#include <criterion/criterion.h>
#include <signal.h>

#include "host.h"
#include "mm/page.h"

#define MB (1ull << 20)

static void setup(void)
{
    /* 64 MiB of "RAM" from 1 MiB, with a hole at [20, 24) MiB. */
    struct mem_range usable[] = {{1 * MB, 19 * MB, MEM_RAM}, {24 * MB, 40 * MB, MEM_RAM}};

    host_phys_arena(64 * MB);
    cr_assert_eq(page_init(usable, 2), 0);
}

TestSuite(page, .init = setup);

Test(page, totals_exclude_the_page_map)
{
    struct page_stats st;

    page_stats(&st);
    /* 59 MiB of pages minus the page map (64 MiB / 4 KiB entries of 32 bytes). */
    cr_assert_eq(st.total_pages, (59 * MB - 512 * 1024) / PAGE_SIZE);
    cr_assert_eq(st.free_pages, st.total_pages);
}

Test(page, orders_alignment_and_hole)
{
    for (unsigned int o = 0; o < PAGE_MAX_ORDER; o++) {
        struct page *pg = page_alloc(o, PA_ZERO);
        cr_assert_not_null(pg, "order %u", o);
        phys_addr_t pa = page_to_phys(pg);
        cr_assert_eq(pa % (PAGE_SIZE << o), 0, "order %u misaligned", o);
        cr_assert(pa + (PAGE_SIZE << o) <= 20 * MB || pa >= 24 * MB, "block in the hole");
        cr_assert_geq(pa, 1 * MB);
    }
}

Test(page, exhaust_then_free_restores_everything)
{
    struct page_stats st0, st1;
    static struct page *got[20000];
    size_t n = 0;

    page_stats(&st0);
    while (n < 20000 && (got[n] = page_alloc(0, 0)) != NULL) {
        /* No page is handed out twice. */
        *(uint64_t *)page_address(got[n]) = n;
        n++;
    }
    cr_assert_eq(n, st0.free_pages);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(*(uint64_t *)page_address(got[i]), i);
    cr_assert_null(page_alloc(0, 0));
    /* Free in an interleaved order; buddies must merge back. */
    for (size_t i = 0; i < n; i += 2)
        page_free(got[i], 0);
    for (size_t i = 1; i < n; i += 2)
        page_free(got[i], 0);
    page_stats(&st1);
    cr_assert_eq(st1.free_pages, st0.free_pages);
    /* Merged: a 4 MiB block is available again. */
    cr_assert_not_null(page_alloc(PAGE_MAX_ORDER - 1, 0));
}

Test(page, too_large_order_fails_cleanly)
{
    cr_assert_null(page_alloc(PAGE_MAX_ORDER, 0));
    cr_assert_null(page_alloc(200, 0));
}

Test(page, double_free_panics, .signal = SIGABRT)
{
    struct page *pg = page_alloc(0, 0);

    page_free(pg, 0);
    page_free(pg, 0);
}

Test(page, deferred_init_covers_all_memory)
{
    /* A larger machine: only part is initialized at first. */
    struct mem_range usable[] = {{1 * MB, 1023 * MB, MEM_RAM}};
    struct page_stats st;
    uint64_t n = 0;

    host_phys_arena(1024 * MB);
    cr_assert_eq(page_init(usable, 1), 0);
    page_stats(&st);
    cr_assert_eq(st.free_pages, st.total_pages);
    /* Allocation pulls in deferred memory on demand. */
    while (page_alloc(PAGE_MAX_ORDER - 1, 0) != NULL)
        n += 1u << (PAGE_MAX_ORDER - 1);
    while (page_alloc(0, 0) != NULL)
        n++;
    cr_assert_eq(n, st.total_pages);
    cr_assert(!page_init_deferred());
}
