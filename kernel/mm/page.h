/*
 * page.h - the physical page allocator (buddy system).
 *
 * Every physical page frame from 0 to the highest usable address has a
 * struct page in one array (the "page map"), placed at boot in the first
 * usable range large enough. Free memory is kept in blocks of 2^order pages
 * (order 0 .. PAGE_MAX_ORDER-1), naturally aligned; freeing merges a block
 * with its free buddy. Entries of holes, firmware areas and the kernel
 * stay zero forever, which the allocator reads as "in use". One spinlock guards the free lists and the flags of
 * free pages; an allocated page belongs to its allocator.
 */
#pragma once

#include "core/boot.h"
#include "lib/list.h"
#include "mm/layout.h"

#define PAGE_MAX_ORDER 11 /* largest block: 2^10 pages = 4 MiB */

/* struct page flags */
#define PG_FREE 0x02  /* head of a free block on free_lists[order] */
#define PG_SLAB 0x04  /* kmalloc slab page */
#define PG_LARGE 0x08 /* head of a large kmalloc allocation */
#define PG_DIRTY 0x10 /* page-cache page written through a shared mapping (fs/pagecache.c) */

struct page {
    struct list_head link; /* free list, slab list, LRU: owner's choice */
    uint16_t flags;
    uint8_t order;      /* free block or kmalloc large: log2 of its pages */
    uint8_t slab_class; /* PG_SLAB: size class index */
    union {
        int32_t refcount;   /* user pages: mappings + references */
        uint32_t slab_free; /* PG_SLAB: free objects in this slab */
    };
    union {
        void *freelist; /* PG_SLAB: first free object */
        uint64_t private;
    };
};

_Static_assert(sizeof(struct page) == 32, "struct page should stay small");

/*
 * Initialize one more chunk of memory that page_init left for later.
 * Returns true while more remains (a kernel thread loops on it at boot).
 */
bool page_init_deferred(void);

/* Allocation flags */
#define PA_ZERO 0x1 /* zero the pages */

/*
 * page_init takes the usable ranges (see memmap_usable) and gives all of
 * them to the allocator except what the page map itself occupies: the
 * first 256 MiB at once, the rest later (page_init_deferred) or when an
 * allocation finds the free lists empty. Returns 0, or -ENOMEM when no
 * range can hold the page map.
 */
int page_init(const struct mem_range *usable, unsigned int n);

/*
 * page_alloc returns the head of a free block of 2^order pages, or NULL
 * when none is left (the caller reports -ENOMEM). Any context; IRQ-safe.
 */
struct page *page_alloc(unsigned int order, int flags);

/* Give back a block from page_alloc with the same order. */
void page_free(struct page *pg, unsigned int order);

/*
 * Shared user pages (file pages mapped by VMAs and held by a file's page
 * array) count their holders in refcount; the last page_put frees the
 * page. Atomic: holders lock different things (mm->lock, inode locks).
 */
static inline void page_get(struct page *pg)
{
    __atomic_add_fetch(&pg->refcount, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; true when it was the last (the caller frees the page). */
static inline bool page_unref(struct page *pg)
{
    return __atomic_sub_fetch(&pg->refcount, 1, __ATOMIC_ACQ_REL) == 0;
}

/* Drop a reference to an order-0 page and free it when it was the last. */
void page_put(struct page *pg);

/* Direct-map pointer versions of the two above. */
void *page_alloc_va(unsigned int order, int flags);
void page_free_va(void *va, unsigned int order);

extern struct page *page_map;
extern uint64_t page_map_count; /* number of entries (max pfn + 1) */

static inline phys_addr_t page_to_phys(const struct page *pg)
{
    return (phys_addr_t)(pg - page_map) << PAGE_SHIFT;
}

/* NULL when pa is beyond the page map. */
static inline struct page *phys_to_page(phys_addr_t pa)
{
    uint64_t pfn = pa >> PAGE_SHIFT;
    return pfn < page_map_count ? &page_map[pfn] : NULL;
}

static inline void *page_address(const struct page *pg)
{
    return phys_to_virt(page_to_phys(pg));
}

static inline struct page *virt_to_page(const void *va)
{
    return phys_to_page(virt_to_phys(va));
}

struct page_stats {
    uint64_t total_pages; /* given to the allocator at boot */
    uint64_t free_pages;
};
void page_stats(struct page_stats *st);

/* Smallest order whose block holds size bytes. */
static inline unsigned int page_order_for(size_t size)
{
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < size)
        order++;
    return order;
}
