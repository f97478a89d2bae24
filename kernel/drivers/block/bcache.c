/*
 * bcache.c - the block cache: fixed-size blocks of one device, looked up
 * by number in a hash table, reused least recently used first, written
 * back in batches (see bdev.h for the contract and the lock rules).
 *
 * Ordering: bcache_sync writes every dirty block and waits for all of
 * them, then sends one FLUSH; only after the flush completes does it
 * return, so fsync's promise holds even with the host's write cache on.
 */
#include "drivers/block/bdev.h"
#include "drivers/block/blkenv.h"
#include "lib/errno.h"
#include "lib/string.h"

#define BCACHE_MIN_BUFS 64
#define BCACHE_BATCH 64 /* requests handed to the device at once */

static size_t hash_of(const struct bcache *c, uint64_t blockno)
{
    return (size_t)((blockno * 0x9e3779b97f4a7c15ull) >> 20) & (c->hash_size - 1);
}

struct bcache *bcache_create(struct block_device *bd, uint32_t block_size, size_t max_bytes)
{
    struct bcache *c = blk_zalloc(sizeof(*c));
    size_t hs = 1;

    if (c == NULL)
        return NULL;
    c->bd = bd;
    c->block_size = block_size;
    c->max_bufs = max_bytes / block_size;
    if (c->max_bufs < BCACHE_MIN_BUFS)
        c->max_bufs = BCACHE_MIN_BUFS;
    while (hs < c->max_bufs)
        hs <<= 1;
    c->hash_size = hs;
    c->hash = blk_zalloc(hs * sizeof(*c->hash));
    if (c->hash == NULL) {
        blk_free(c);
        return NULL;
    }
    mutex_init(&c->lock);
    list_init(&c->lru);
    return c;
}

static void hash_remove(struct bcache *c, struct buf *b)
{
    struct buf **pp = &c->hash[hash_of(c, b->blockno)];

    while (*pp != NULL && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp == b)
        *pp = b->hash_next;
}

static void buf_free(struct bcache *c, struct buf *b)
{
    hash_remove(c, b);
    list_del(&b->lru);
    c->nbufs--;
    blk_free(b->data);
    blk_free(b);
}

void bcache_destroy(struct bcache *c)
{
    struct buf *b, *tmp;

    list_for_each_entry_safe (b, tmp, &c->lru, lru)
        buf_free(c, b);
    blk_free(c->hash);
    blk_free(c);
}

static struct buf *lookup(struct bcache *c, uint64_t blockno)
{
    struct buf *b = c->hash[hash_of(c, blockno)];

    while (b != NULL && b->blockno != blockno)
        b = b->hash_next;
    return b;
}

static uint64_t block_sector(const struct bcache *c, uint64_t blockno)
{
    return blockno * (c->block_size / SECTOR_SIZE);
}

/* Write the dirty buffers in list (n of them). Caller holds c->lock. */
static int write_batch(struct bcache *c, struct buf **list, unsigned int n)
{
    struct bio bios[BCACHE_BATCH];
    int err;

    for (unsigned int i = 0; i < n; i++)
        bios[i] = (struct bio){BIO_WRITE, block_sector(c, list[i]->blockno), list[i]->data,
                               c->block_size, 0};
    err = c->bd->ops->rw(c->bd, bios, n);
    for (unsigned int i = 0; i < n; i++) {
        if (bios[i].status == 0 && list[i]->dirty) {
            list[i]->dirty = false;
            c->ndirty--;
        }
    }
    c->writes += n;
    return err;
}

/* Write back every dirty buffer. Caller holds c->lock. */
static int writeback_locked(struct bcache *c)
{
    struct buf *batch[BCACHE_BATCH];
    struct buf *b;
    unsigned int n = 0;
    int err = 0, e;

    list_for_each_entry (b, &c->lru, lru) {
        if (!b->dirty)
            continue;
        batch[n++] = b;
        if (n == BCACHE_BATCH) {
            e = write_batch(c, batch, n);
            err = err != 0 ? err : e;
            n = 0;
        }
    }
    if (n > 0) {
        e = write_batch(c, batch, n);
        err = err != 0 ? err : e;
    }
    return err;
}

/* Make room for one more buffer. Caller holds c->lock. */
static void make_room(struct bcache *c)
{
    struct buf *b, *tmp;

    if (c->nbufs < c->max_bufs)
        return;
    /* Too many dirty buffers to find clean ones quickly: write back first. */
    if (c->ndirty * 2 > c->max_bufs)
        writeback_locked(c);
    list_for_each_entry_safe (b, tmp, &c->lru, lru) {
        if (b->refs == 0 && !b->dirty) {
            buf_free(c, b);
            if (c->nbufs < c->max_bufs)
                return;
        }
    }
    /* Everything left is dirty or in use: write back and retry once. */
    writeback_locked(c);
    list_for_each_entry_safe (b, tmp, &c->lru, lru) {
        if (b->refs == 0 && !b->dirty) {
            buf_free(c, b);
            return;
        }
    }
    /* All buffers are referenced: grow past the limit rather than fail. */
}

/* Find or create the buffer for blockno (not necessarily valid). Caller holds c->lock. */
static struct buf *get_locked(struct bcache *c, uint64_t blockno)
{
    struct buf *b = lookup(c, blockno);
    size_t h;

    if (b != NULL) {
        list_del(&b->lru);
        list_add_tail(&b->lru, &c->lru);
        b->refs++;
        return b;
    }
    make_room(c);
    b = blk_zalloc(sizeof(*b));
    if (b == NULL)
        return NULL;
    b->data = blk_zalloc(c->block_size);
    if (b->data == NULL) {
        blk_free(b);
        return NULL;
    }
    b->blockno = blockno;
    b->cache = c;
    b->refs = 1;
    h = hash_of(c, blockno);
    b->hash_next = c->hash[h];
    c->hash[h] = b;
    list_add_tail(&b->lru, &c->lru);
    c->nbufs++;
    return b;
}

static bool block_in_range(const struct bcache *c, uint64_t blockno)
{
    uint64_t per = c->block_size / SECTOR_SIZE;

    return blockno < c->bd->nsectors / per;
}

int bcache_read(struct bcache *c, uint64_t blockno, struct buf **out)
{
    struct buf *b;
    struct bio bio;
    int err;

    if (!block_in_range(c, blockno))
        return -EIO;
    mutex_lock(&c->lock);
    b = get_locked(c, blockno);
    if (b == NULL) {
        mutex_unlock(&c->lock);
        return -ENOMEM;
    }
    if (!b->valid) {
        c->misses++;
        bio = (struct bio){BIO_READ, block_sector(c, blockno), b->data, c->block_size, 0};
        err = c->bd->ops->rw(c->bd, &bio, 1);
        if (err != 0) {
            b->refs--;
            mutex_unlock(&c->lock);
            return -EIO;
        }
        b->valid = true;
    } else {
        c->hits++;
    }
    mutex_unlock(&c->lock);
    *out = b;
    return 0;
}

void bcache_prefetch(struct bcache *c, uint64_t blockno, unsigned int n)
{
    struct bio bios[BCACHE_BATCH];
    struct buf *bufs[BCACHE_BATCH];
    unsigned int k = 0;

    if (n > BCACHE_BATCH)
        n = BCACHE_BATCH;
    mutex_lock(&c->lock);
    /* Never push more than a quarter of the cache out for read-ahead. */
    if (n > c->max_bufs / 4)
        n = (unsigned int)(c->max_bufs / 4);
    for (unsigned int i = 0; i < n; i++) {
        uint64_t bn = blockno + i;
        struct buf *b;
        if (!block_in_range(c, bn) || lookup(c, bn) != NULL)
            continue;
        b = get_locked(c, bn);
        if (b == NULL)
            break;
        bufs[k] = b;
        bios[k] = (struct bio){BIO_READ, block_sector(c, bn), b->data, c->block_size, 0};
        k++;
    }
    if (k > 0)
        c->bd->ops->rw(c->bd, bios, k);
    for (unsigned int i = 0; i < k; i++) {
        bufs[i]->valid = bios[i].status == 0;
        bufs[i]->refs--;
        c->misses++;
    }
    mutex_unlock(&c->lock);
}

int bcache_zero(struct bcache *c, uint64_t blockno, struct buf **out)
{
    struct buf *b;

    if (!block_in_range(c, blockno))
        return -EIO;
    mutex_lock(&c->lock);
    b = get_locked(c, blockno);
    if (b == NULL) {
        mutex_unlock(&c->lock);
        return -ENOMEM;
    }
    memset(b->data, 0, c->block_size);
    b->valid = true;
    if (!b->dirty) {
        b->dirty = true;
        c->ndirty++;
    }
    mutex_unlock(&c->lock);
    *out = b;
    return 0;
}

void bcache_mark_dirty(struct buf *b)
{
    struct bcache *c = b->cache;

    mutex_lock(&c->lock);
    if (!b->dirty) {
        b->dirty = true;
        c->ndirty++;
    }
    mutex_unlock(&c->lock);
}

void bcache_put(struct buf *b)
{
    struct bcache *c;

    if (b == NULL)
        return;
    c = b->cache;
    mutex_lock(&c->lock);
    b->refs--;
    mutex_unlock(&c->lock);
}

void bcache_forget(struct bcache *c, uint64_t blockno)
{
    struct buf *b;

    mutex_lock(&c->lock);
    b = lookup(c, blockno);
    if (b != NULL && b->refs == 0) {
        if (b->dirty)
            c->ndirty--;
        buf_free(c, b);
    }
    mutex_unlock(&c->lock);
}

int bcache_sync(struct bcache *c)
{
    struct bio flush = {BIO_FLUSH, 0, NULL, 0, 0};
    int err;

    mutex_lock(&c->lock);
    err = writeback_locked(c);
    if (err == 0 && c->bd->can_flush) {
        err = c->bd->ops->rw(c->bd, &flush, 1);
        c->flushes++;
    }
    mutex_unlock(&c->lock);
    return err;
}
