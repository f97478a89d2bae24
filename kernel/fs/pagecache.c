/*
 * pagecache.c - the pages of mapped files on file systems that keep their
 * data elsewhere (ext2: on the disk, through its block cache).
 *
 * tmpfs maps its own pages; a disk file system instead gives read_page and
 * write_page (inode_ops) and sets get_page = pagecache_get_page. The first
 * fault on such a file creates inode->pcache, a hash of file page number ->
 * page, each page read once through read_page. Every mapping of the file
 * (shared or private, any process) then maps the same page, so shared
 * mappings see each other at once; MAP_PRIVATE copies it on the first write
 * (mm/vm.c).
 *
 * Coherence with read()/write(): the file system's read copies the cached
 * bytes over what it read from the disk (pagecache_read_overlay) and its
 * write copies the new bytes into cached pages (pagecache_write_through),
 * so read() sees stores made through a shared mapping and a mapping sees
 * write() at once. Stores reach the disk when mm/vm.c has moved the page
 * table's dirty bits onto the pages (PG_DIRTY; msync, munmap, exit) and
 * pagecache_writeback writes those pages with write_page.
 *
 * Page lifetime: the cache holds one reference on each page, each page
 * table entry another (page_get/page_put); the last holder frees it.
 *
 * Locking: pagecache.lock (a mutex) guards the hash and PG_DIRTY changes
 * made here. It is held while calling read_page/write_page, so the order
 * is pagecache.lock -> the file system's lock; the file system never calls
 * in here holding its own lock. No user memory is touched under it.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

#define PCACHE_BUCKETS 64

struct pcache_entry {
    uint64_t pgoff;
    struct page *page; /* referenced by the cache */
    struct pcache_entry *next;
};

struct pagecache {
    struct mutex lock;
    struct pcache_entry *buckets[PCACHE_BUCKETS]; /* guarded by lock */
};

static struct pagecache *pcache_of(struct inode *inode)
{
    return __atomic_load_n(&inode->pcache, __ATOMIC_ACQUIRE);
}

/* The inode's cache, created on first use; NULL when out of memory. */
static struct pagecache *pcache_get_or_create(struct inode *inode)
{
    struct pagecache *pc = pcache_of(inode), *expected = NULL;

    if (pc != NULL)
        return pc;
    pc = kzalloc(sizeof(*pc));
    if (pc == NULL)
        return NULL;
    mutex_init(&pc->lock);
    if (!__atomic_compare_exchange_n(&inode->pcache, &expected, pc, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        kfree(pc); /* another fault created it first */
        return expected;
    }
    return pc;
}

static struct pcache_entry **bucket_of(struct pagecache *pc, uint64_t pgoff)
{
    return &pc->buckets[pgoff % PCACHE_BUCKETS];
}

static struct pcache_entry *pcache_find(struct pagecache *pc, uint64_t pgoff)
{
    for (struct pcache_entry *e = *bucket_of(pc, pgoff); e != NULL; e = e->next) {
        if (e->pgoff == pgoff)
            return e;
    }
    return NULL;
}

int pagecache_get_page(struct inode *inode, uint64_t pgoff, struct page **out)
{
    struct pagecache *pc;
    struct pcache_entry *e;
    struct page *pg;
    int err;

    if (inode->iops->read_page == NULL)
        return -ENODEV;
    if (pgoff >= DIV_ROUND_UP(inode->size, PAGE_SIZE))
        return -ENXIO;
    pc = pcache_get_or_create(inode);
    if (pc == NULL)
        return -ENOMEM;
    mutex_lock(&pc->lock);
    e = pcache_find(pc, pgoff);
    if (e != NULL) {
        page_get(e->page);
        *out = e->page;
        mutex_unlock(&pc->lock);
        return 0;
    }
    e = kmalloc(sizeof(*e), 0);
    pg = page_alloc(0, PA_ZERO);
    if (e == NULL || pg == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    err = inode->iops->read_page(inode, pgoff, page_address(pg));
    if (err != 0)
        goto fail;
    e->pgoff = pgoff;
    e->page = pg;
    e->next = *bucket_of(pc, pgoff);
    *bucket_of(pc, pgoff) = e;
    page_get(pg); /* one for the cache, one for the caller */
    *out = pg;
    mutex_unlock(&pc->lock);
    return 0;
fail:
    mutex_unlock(&pc->lock);
    kfree(e);
    if (pg != NULL)
        page_free(pg, 0);
    return err;
}

/*
 * Visit the cached pages overlapping [pos, pos+n): fn(page bytes, offset
 * into buf, length). Caller holds pc->lock.
 */
static void for_each_cached(struct pagecache *pc, uint64_t pos, size_t n,
                            void (*fn)(uint8_t *page, uint8_t *buf, size_t len), uint8_t *buf)
{
    uint64_t end = pos + n;

    for (uint64_t p = pos; p < end;) {
        uint64_t pgoff = p / PAGE_SIZE, in = p % PAGE_SIZE;
        size_t len = (size_t)MIN(PAGE_SIZE - in, end - p);
        struct pcache_entry *e = pcache_find(pc, pgoff);

        if (e != NULL)
            fn((uint8_t *)page_address(e->page) + in, buf + (p - pos), len);
        p += len;
    }
}

static void copy_page_to_buf(uint8_t *page, uint8_t *buf, size_t len)
{
    memcpy(buf, page, len);
}

static void copy_buf_to_page(uint8_t *page, uint8_t *buf, size_t len)
{
    memcpy(page, buf, len);
}

void pagecache_read_overlay(struct inode *inode, uint64_t pos, void *buf, size_t n)
{
    struct pagecache *pc = pcache_of(inode);

    if (pc == NULL || n == 0)
        return;
    mutex_lock(&pc->lock);
    for_each_cached(pc, pos, n, copy_page_to_buf, buf);
    mutex_unlock(&pc->lock);
}

void pagecache_write_through(struct inode *inode, uint64_t pos, const void *buf, size_t n)
{
    struct pagecache *pc = pcache_of(inode);

    if (pc == NULL || n == 0)
        return;
    mutex_lock(&pc->lock);
    for_each_cached(pc, pos, n, copy_buf_to_page, (uint8_t *)buf);
    mutex_unlock(&pc->lock);
}

/* Clear PG_DIRTY; true when it was set (mm/vm.c sets it without pc->lock). */
static bool test_and_clear_dirty(struct page *pg)
{
    return __atomic_fetch_and(&pg->flags, (uint16_t)~PG_DIRTY, __ATOMIC_ACQ_REL) & PG_DIRTY;
}

int pagecache_writeback(struct inode *inode)
{
    struct pagecache *pc = pcache_of(inode);
    int first_err = 0;

    if (pc == NULL || inode->iops->write_page == NULL)
        return 0;
    mutex_lock(&pc->lock);
    for (unsigned int b = 0; b < PCACHE_BUCKETS; b++) {
        for (struct pcache_entry *e = pc->buckets[b]; e != NULL; e = e->next) {
            uint64_t pos = e->pgoff * PAGE_SIZE;
            int err;

            if (!test_and_clear_dirty(e->page) || pos >= inode->size)
                continue; /* clean, or stores past the end of the file: not kept */
            err = inode->iops->write_page(inode, e->pgoff, page_address(e->page),
                                          (size_t)MIN((uint64_t)PAGE_SIZE, inode->size - pos));
            if (err != 0 && first_err == 0)
                first_err = err;
        }
    }
    mutex_unlock(&pc->lock);
    return first_err;
}

void pagecache_truncate(struct inode *inode, uint64_t size)
{
    struct pagecache *pc = pcache_of(inode);
    uint64_t keep = DIV_ROUND_UP(size, PAGE_SIZE);

    if (pc == NULL)
        return;
    mutex_lock(&pc->lock);
    for (unsigned int b = 0; b < PCACHE_BUCKETS; b++) {
        struct pcache_entry **pp = &pc->buckets[b];
        while (*pp != NULL) {
            struct pcache_entry *e = *pp;
            if (e->pgoff < keep) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            page_put(e->page);
            kfree(e);
        }
    }
    /* The part of the last page past the new end reads as zeros again. */
    if (size % PAGE_SIZE != 0) {
        struct pcache_entry *e = pcache_find(pc, size / PAGE_SIZE);
        if (e != NULL)
            memset((uint8_t *)page_address(e->page) + size % PAGE_SIZE, 0,
                   PAGE_SIZE - size % PAGE_SIZE);
    }
    mutex_unlock(&pc->lock);
}

void pagecache_release(struct inode *inode)
{
    struct pagecache *pc = inode->pcache;

    if (pc == NULL)
        return;
    for (unsigned int b = 0; b < PCACHE_BUCKETS; b++) {
        struct pcache_entry *e = pc->buckets[b], *next;
        for (; e != NULL; e = next) {
            next = e->next;
            page_put(e->page);
            kfree(e);
        }
    }
    kfree(pc);
    inode->pcache = NULL;
}
