/*
 * page.c - buddy allocator over the page map (see page.h).
 *
 * Blocks of order k start at a pfn that is a multiple of 2^k; the buddy of
 * the block at pfn is at pfn ^ 2^k. A free block's head page has PG_FREE
 * and its order; its other pages have no flags. Pages that were never
 * free (holes, firmware, the kernel, the page map) keep zeroed entries, so
 * a merge never crosses into them. Host-tested in tests/host/test_page.c.
 */
#include "core/panic.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "sched/spinlock.h"

struct page *page_map;
uint64_t page_map_count;

#define MAX_DEFERRED_RANGES (BOOT_MAX_RANGES + 32)
#define CHUNK_PAGES (16384ul)                    /* 64 MiB of memory per init step */
#define BOOT_INIT_PAGES (65536ul)                /* initialize 256 MiB at boot */
#define INIT_ALIGN (1ul << (PAGE_MAX_ORDER - 1)) /* largest block, in pages */

static struct {
    spinlock_t lock;
    struct list_head free_lists[PAGE_MAX_ORDER]; /* guarded by lock */
    uint64_t free_pages;                         /* guarded by lock */
    uint64_t total_pages;
    /* Usable memory not yet given to the free lists (deferred init). */
    struct mem_range pending[MAX_DEFERRED_RANGES]; /* guarded by lock */
    unsigned int npending, next_pending;
    uint64_t pending_pages;
    uint64_t zeroed_to; /* page map entries below this pfn are initialized */
} pa = {.lock = SPINLOCK_INIT};

static void free_block(uint64_t pfn, unsigned int order)
{
    assert_held(&pa.lock);
    while (order + 1 < PAGE_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ul << order);
        struct page *b;

        if (buddy >= page_map_count)
            break;
        b = &page_map[buddy];
        if (!(b->flags & PG_FREE) || b->order != order)
            break;
        list_del(&b->link);
        b->flags &= ~PG_FREE;
        pfn &= ~(1ul << order);
        order++;
    }
    page_map[pfn].flags = PG_FREE;
    page_map[pfn].order = order;
    list_add(&page_map[pfn].link, &pa.free_lists[order]);
}

/*
 * Give up to `budget` more pages of pending memory to the free lists,
 * lowest addresses first. Page map entries are zeroed up to the end of the
 * largest-block-aligned span covering what is freed, so a merge only ever
 * looks at initialized entries. Returns the number of pages freed.
 */
static uint64_t init_pending(uint64_t budget)
{
    uint64_t done = 0;

    assert_held(&pa.lock);
    while (done < budget && pa.next_pending < pa.npending) {
        struct mem_range *r = &pa.pending[pa.next_pending];
        uint64_t start = r->base >> PAGE_SHIFT;
        uint64_t end = MIN((r->base + r->size) >> PAGE_SHIFT, start + (budget - done));
        uint64_t zero_end = MIN(ALIGN_UP(end, INIT_ALIGN), page_map_count);

        if (zero_end > pa.zeroed_to) {
            memset(&page_map[pa.zeroed_to], 0, (zero_end - pa.zeroed_to) * sizeof(struct page));
            pa.zeroed_to = zero_end;
        }
        for (uint64_t pfn = start; pfn < end;) {
            unsigned int order = 0;
            /* The largest aligned block that fits. */
            while (order + 1 < PAGE_MAX_ORDER && (pfn & ((2ul << order) - 1)) == 0 &&
                   pfn + (2ul << order) <= end)
                order++;
            free_block(pfn, order);
            pa.free_pages += 1ul << order;
            pfn += 1ul << order;
        }
        done += end - start;
        pa.pending_pages -= end - start;
        r->size -= (end - start) << PAGE_SHIFT;
        r->base = end << PAGE_SHIFT;
        if (r->size == 0)
            pa.next_pending++;
    }
    return done;
}

int page_init(const struct mem_range *usable, unsigned int n)
{
    uint64_t max_pfn = 0, map_bytes, map_pa = 0;
    unsigned int map_range = n;
    uint64_t flags;

    for (unsigned int i = 0; i < PAGE_MAX_ORDER; i++)
        list_init(&pa.free_lists[i]);
    for (unsigned int i = 0; i < n; i++)
        max_pfn = MAX(max_pfn, (usable[i].base + usable[i].size) >> PAGE_SHIFT);
    map_bytes = ALIGN_UP(max_pfn * sizeof(struct page), PAGE_SIZE);

    /* Place the page map at the start of the first range that holds it. */
    for (unsigned int i = 0; i < n; i++) {
        if (usable[i].size >= map_bytes) {
            map_range = i;
            map_pa = usable[i].base;
            break;
        }
    }
    if (map_range == n)
        return -ENOMEM;
    page_map = phys_to_virt(map_pa);
    page_map_count = max_pfn;

    /*
     * Zeroed entries are "in use": never merged with, never handed out.
     * Zeroing the whole map at once costs a fraction of a second on large
     * machines (first touch of the memory), so only the first chunk is
     * initialized now and the rest as page_init_deferred() or an empty
     * free list asks for it (like Linux's deferred struct page init).
     */
    flags = spin_lock_irqsave(&pa.lock);
    pa.npending = 0;
    pa.next_pending = 0;
    pa.pending_pages = 0;
    pa.free_pages = 0;
    for (unsigned int i = 0; i < n && pa.npending < MAX_DEFERRED_RANGES; i++) {
        struct mem_range r = usable[i];
        if (i == map_range) {
            r.base += map_bytes;
            r.size -= map_bytes;
        }
        if (r.size == 0)
            continue;
        pa.pending[pa.npending++] = r;
        pa.pending_pages += r.size >> PAGE_SHIFT;
    }
    pa.total_pages = pa.pending_pages;
    pa.zeroed_to = 0;
    init_pending(BOOT_INIT_PAGES);
    spin_unlock_irqrestore(&pa.lock, flags);
    return 0;
}

bool page_init_deferred(void)
{
    uint64_t flags = spin_lock_irqsave(&pa.lock);
    bool more;

    init_pending(CHUNK_PAGES);
    more = pa.next_pending < pa.npending;
    spin_unlock_irqrestore(&pa.lock, flags);
    return more;
}

struct page *page_alloc(unsigned int order, int flags)
{
    struct page *pg = NULL;
    unsigned int k;
    uint64_t irq;

    if (order >= PAGE_MAX_ORDER)
        return NULL;
    irq = spin_lock_irqsave(&pa.lock);
    for (;;) {
        for (k = order; k < PAGE_MAX_ORDER; k++) {
            if (!list_empty(&pa.free_lists[k]))
                break;
        }
        /* Out of initialized memory: initialize more, if any is left. */
        if (k < PAGE_MAX_ORDER || init_pending(MAX(CHUNK_PAGES, 1ul << order)) == 0)
            break;
    }
    if (k < PAGE_MAX_ORDER) {
        uint64_t pfn;

        pg = list_first_entry(&pa.free_lists[k], struct page, link);
        list_del(&pg->link);
        pg->flags &= ~PG_FREE;
        pfn = pg - page_map;
        /* Split: hand the upper halves back until the block is the right size. */
        while (k > order) {
            k--;
            struct page *upper = &page_map[pfn + (1ul << k)];
            upper->flags = PG_FREE;
            upper->order = k;
            list_add(&upper->link, &pa.free_lists[k]);
        }
        pg->order = order;
        pa.free_pages -= 1ul << order;
    }
    spin_unlock_irqrestore(&pa.lock, irq);

    if (pg != NULL) {
        pg->refcount = 1;
        pg->private = 0;
        if (flags & PA_ZERO)
            memset(page_address(pg), 0, PAGE_SIZE << order);
    }
    return pg;
}

void page_free(struct page *pg, unsigned int order)
{
    uint64_t pfn = pg - page_map;
    uint64_t irq;

    if (pfn >= page_map_count || (pg->flags & PG_FREE) || (pfn & ((1ul << order) - 1)) != 0)
        panic("page_free: bad page %#lx (flags %#x, order %u)", pfn << PAGE_SHIFT, pg->flags,
              order);
    irq = spin_lock_irqsave(&pa.lock);
    pg->flags = 0;
    free_block(pfn, order);
    pa.free_pages += 1ul << order;
    spin_unlock_irqrestore(&pa.lock, irq);
}

void page_put(struct page *pg)
{
    if (page_unref(pg))
        page_free(pg, 0);
}

void *page_alloc_va(unsigned int order, int flags)
{
    struct page *pg = page_alloc(order, flags);
    return pg == NULL ? NULL : page_address(pg);
}

void page_free_va(void *va, unsigned int order)
{
    page_free(virt_to_page(va), order);
}

void page_stats(struct page_stats *st)
{
    uint64_t irq = spin_lock_irqsave(&pa.lock);

    st->total_pages = pa.total_pages;
    st->free_pages = pa.free_pages + pa.pending_pages;
    spin_unlock_irqrestore(&pa.lock, irq);
}
