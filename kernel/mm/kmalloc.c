/*
 * kmalloc.c - slab-style size classes over the page allocator.
 *
 * Each class keeps a list of its slabs that have free objects. A slab is one
 * page (two for the largest classes) whose struct page holds the freelist
 * head and the free count; an object's first word links it to the next free
 * object. kfree finds the slab from the object's address through the page
 * map, so no header precedes objects. A slab that becomes entirely free is
 * returned to the page allocator unless it is the class's last one.
 *
 * Debug builds (KDEBUG): each object slot is the class size plus a 16-byte
 * tail: 8 bytes of red zone and 8 bytes holding the requested size. Bytes
 * past the request up to the end of the red zone are filled with RED_BYTE
 * and checked on free; freed objects are filled with POISON_BYTE and
 * checked when handed out again, catching writes after free.
 *
 * One spinlock guards all classes (contention is not an issue at this scale;
 * per-CPU caches would come first if it were).
 */
#include "core/panic.h"
#include "core/printk.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "sched/spinlock.h"

#define RED_BYTE 0xcc
#define POISON_BYTE 0x6b
#ifdef KDEBUG
#define DEBUG_TAIL 16
#else
#define DEBUG_TAIL 0
#endif

struct size_class {
    uint32_t size;            /* usable object size */
    uint32_t slot;            /* size + DEBUG_TAIL */
    uint32_t order;           /* slab size: 2^order pages */
    uint32_t per_slab;        /* objects per slab */
    struct list_head partial; /* slabs with free objects; guarded by heap.lock */
    uint32_t nslabs;          /* guarded by heap.lock */
};

static struct size_class classes[] = {
    {.size = 16},  {.size = 32},   {.size = 48},   {.size = 64},   {.size = 96},
    {.size = 128}, {.size = 192},  {.size = 256},  {.size = 384},  {.size = 512},
    {.size = 768}, {.size = 1024}, {.size = 1536}, {.size = 2048},
};

static struct {
    spinlock_t lock;
    bool ready;
    struct kmalloc_stats stats; /* guarded by lock */
} heap = {.lock = SPINLOCK_INIT};

static void heap_setup(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
        struct size_class *c = &classes[i];
        c->slot = c->size + DEBUG_TAIL;
        c->order = c->slot > 512 ? 1 : 0;
        c->per_slab = (PAGE_SIZE << c->order) / c->slot;
        list_init(&c->partial);
    }
    heap.ready = true;
}

static int class_index(size_t size)
{
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
        if (size <= classes[i].size)
            return (int)i;
    }
    return -1;
}

/* Carve a fresh slab into a freelist. Called with heap.lock held. */
static struct page *slab_new(int ci)
{
    struct size_class *c = &classes[ci];
    struct page *pg = page_alloc(c->order, 0);
    char *base;

    if (pg == NULL)
        return NULL;
    base = page_address(pg);
    pg->flags |= PG_SLAB;
    pg->slab_class = (uint8_t)ci;
    pg->slab_free = c->per_slab;
    pg->freelist = NULL;
    for (int i = (int)c->per_slab - 1; i >= 0; i--) {
        void **obj = (void **)(base + (size_t)i * c->slot);
#ifdef KDEBUG
        memset(obj, POISON_BYTE, c->slot);
#endif
        *obj = pg->freelist;
        pg->freelist = obj;
    }
    list_add(&pg->link, &c->partial);
    c->nslabs++;
    heap.stats.slab_pages += 1ul << c->order;
    return pg;
}

#ifdef KDEBUG
static void debug_on_alloc(struct size_class *c, char *obj, size_t size)
{
    /* Word 0 held the freelist link; the rest must still be poison. */
    for (size_t i = sizeof(void *); i < c->slot; i++) {
        if ((uint8_t)obj[i] != POISON_BYTE)
            panic("kmalloc: object %p (class %u) written after free at offset %zu", obj, c->size,
                  i);
    }
    memset(obj + size, RED_BYTE, c->size + 8 - size);
    memcpy(obj + c->size + 8, &size, sizeof(size));
}

static void debug_on_free(struct size_class *c, char *obj)
{
    size_t size;

    memcpy(&size, obj + c->size + 8, sizeof(size));
    if (size > c->size)
        panic("kfree: %p has a corrupted size record (%zu)", obj, size);
    for (size_t i = size; i < c->size + 8; i++) {
        if ((uint8_t)obj[i] != RED_BYTE)
            panic("kfree: red zone of %p (size %zu) overwritten at offset %zu", obj, size, i);
    }
    memset(obj, POISON_BYTE, c->slot);
}
#endif

void *kmalloc(size_t size, int flags)
{
    void *obj;
    int ci;

    if (size == 0)
        size = 1;
    ci = class_index(size);
    if (ci < 0) {
        unsigned int order = page_order_for(size);
        struct page *pg = page_alloc(order, (flags & KM_ZERO) ? PA_ZERO : 0);
        if (pg == NULL)
            return NULL;
        pg->flags |= PG_LARGE;
        pg->order = order;
        uint64_t irq = spin_lock_irqsave(&heap.lock);
        heap.stats.large_bytes += PAGE_SIZE << order;
        spin_unlock_irqrestore(&heap.lock, irq);
        return page_address(pg);
    }

    uint64_t irq = spin_lock_irqsave(&heap.lock);
    if (!heap.ready)
        heap_setup();
    struct size_class *c = &classes[ci];
    struct page *pg;
    if (list_empty(&c->partial)) {
        if (slab_new(ci) == NULL) {
            spin_unlock_irqrestore(&heap.lock, irq);
            return NULL;
        }
    }
    pg = list_first_entry(&c->partial, struct page, link);
    obj = pg->freelist;
    pg->freelist = *(void **)obj;
    if (--pg->slab_free == 0)
        list_del(&pg->link);
    heap.stats.small_bytes += c->size;
#ifdef KDEBUG
    debug_on_alloc(c, obj, size);
#endif
    spin_unlock_irqrestore(&heap.lock, irq);

    if (flags & KM_ZERO)
        memset(obj, 0, size);
    return obj;
}

void *kzalloc(size_t size)
{
    return kmalloc(size, KM_ZERO);
}

/* The slab page and class of a small object; panics on a foreign pointer. */
static struct page *object_page(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    struct page *pg;

    if (v < DIRECT_MAP_BASE || v >= DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
        panic("kfree: %p is not a heap address", p);
    pg = virt_to_page(p);
    if (pg == NULL)
        panic("kfree: %p is beyond physical memory", p);
    /* Slabs of order 1: the head page carries the metadata. */
    if (!(pg->flags & (PG_SLAB | PG_LARGE)) && pg > page_map && (pg[-1].flags & PG_SLAB) &&
        pg[-1].order == 1)
        pg--;
    return pg;
}

void kfree(void *p)
{
    struct page *pg;

    if (p == NULL)
        return;
    pg = object_page(p);
    if (pg->flags & PG_LARGE) {
        if (p != page_address(pg))
            panic("kfree: %p is inside a large allocation", p);
        unsigned int order = pg->order;
        pg->flags &= ~PG_LARGE;
        uint64_t irq = spin_lock_irqsave(&heap.lock);
        heap.stats.large_bytes -= PAGE_SIZE << order;
        spin_unlock_irqrestore(&heap.lock, irq);
        page_free(pg, order);
        return;
    }
    if (!(pg->flags & PG_SLAB))
        panic("kfree: %p was not allocated by kmalloc", p);

    struct size_class *c = &classes[pg->slab_class];
    size_t off = (uintptr_t)p - (uintptr_t)page_address(pg);
    if (off % c->slot != 0 || off / c->slot >= c->per_slab)
        panic("kfree: %p is not the start of an object", p);

    uint64_t irq = spin_lock_irqsave(&heap.lock);
#ifdef KDEBUG
    /* Catch double frees: the object must not already be on the freelist. */
    for (void *f = pg->freelist; f != NULL; f = *(void **)f) {
        if (f == p)
            panic("kfree: double free of %p", p);
    }
    debug_on_free(c, p);
#endif
    *(void **)p = pg->freelist;
    pg->freelist = p;
    heap.stats.small_bytes -= c->size;
    if (pg->slab_free++ == 0)
        list_add(&pg->link, &c->partial);
    if (pg->slab_free == c->per_slab && c->nslabs > 1) {
        list_del(&pg->link);
        c->nslabs--;
        heap.stats.slab_pages -= 1ul << c->order;
        pg->flags &= ~PG_SLAB;
        spin_unlock_irqrestore(&heap.lock, irq);
        page_free(pg, c->order);
        return;
    }
    spin_unlock_irqrestore(&heap.lock, irq);
}

size_t ksize(const void *p)
{
    struct page *pg = object_page(p);

    if (pg->flags & PG_LARGE)
        return PAGE_SIZE << pg->order;
    return classes[pg->slab_class].size;
}

void kmalloc_stats(struct kmalloc_stats *st)
{
    uint64_t irq = spin_lock_irqsave(&heap.lock);

    *st = heap.stats;
    spin_unlock_irqrestore(&heap.lock, irq);
}
