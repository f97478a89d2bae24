/*
 * bdev.h - block devices and the block cache.
 *
 * A block device (virtio-blk, or a file in the host tests) moves 512-byte
 * sectors through bdev_ops.rw, which takes a batch of requests, keeps as
 * many in flight as the device allows and returns when all are done. The
 * block cache (bcache.c) sits on top: file systems read, modify and mark
 * dirty fixed-size blocks; dirty blocks are written back (write-back, in
 * batches) when the cache is full or on bcache_sync, which then sends a
 * cache flush so the data is on stable storage when it returns.
 *
 * Devices appear in /dev as vda, vdb... (block major 254, as Linux's
 * virtio-blk usually gets) and can be read and written there.
 *
 * Locking: bdev_lock (spinlock) guards the device list. Each bcache has a
 * mutex (cache->lock) guarding its hash, LRU list and every buffer's
 * refs/valid/dirty; a buffer's data belongs to whoever holds a reference
 * and the file system's own lock (ext2 serializes with its fs lock).
 */
#pragma once

#include "lib/list.h"
#include "lib/types.h"
#include "sched/mutex.h"

#define SECTOR_SIZE 512
#define SECTOR_SHIFT 9
#define BLOCK_MAJOR 254

enum bio_op { BIO_READ, BIO_WRITE, BIO_FLUSH };

/* One request: op, position, and a physically contiguous kernel buffer. */
struct bio {
    enum bio_op op;
    uint64_t sector;
    void *buf;
    uint32_t len; /* bytes, a multiple of SECTOR_SIZE; 0 for FLUSH */
    int status;   /* set by rw: 0 or -EIO */
};

struct block_device;

struct bdev_ops {
    /* Run n requests, several at once when possible. 0, or the first -errno. */
    int (*rw)(struct block_device *bd, struct bio *bios, unsigned int n);
};

struct block_device {
    char name[16]; /* "vda" */
    uint32_t rdev; /* MKDEV(BLOCK_MAJOR, minor) */
    uint64_t nsectors;
    bool readonly;
    bool can_flush; /* the device has a volatile write cache we can flush */
    const struct bdev_ops *ops;
    void *priv;
    struct mutex raw_lock; /* serializes /dev/vdX writes (partial-sector read-modify-write) */
    struct list_head link; /* guarded by bdev_lock */
};

/* Name the device (vda, vdb, ...) and make it known. 0 or -errno. */
int bdev_register(struct block_device *bd);
/* Find a registered device by name ("vda" or "/dev/vda"); NULL if none. */
struct block_device *bdev_find(const char *name);
/* Synchronous helpers: byte offsets and lengths must be sector multiples. */
int bdev_read(struct block_device *bd, uint64_t off, void *buf, size_t len);
int bdev_write(struct block_device *bd, uint64_t off, const void *buf, size_t len);
int bdev_flush(struct block_device *bd);

struct inode;
/* Create a block device node in dir for every registered device (devfs). */
void blkdev_devfs_init(struct inode *dir);

/* ---- the block cache (bcache.c) ---- */

struct bcache;

struct buf {
    uint64_t blockno;
    uint8_t *data;
    struct bcache *cache;
    int refs;   /* guarded by cache->lock */
    bool valid; /* data holds the disk's contents (or newer) */
    bool dirty; /* data is newer than the disk */
    struct buf *hash_next;
    struct list_head lru; /* least recently used first */
};

struct bcache {
    struct block_device *bd;
    uint32_t block_size;
    size_t max_bufs;
    size_t nbufs;
    size_t ndirty;
    struct mutex lock;
    struct buf **hash;
    size_t hash_size;
    struct list_head lru;
    /* statistics */
    uint64_t hits, misses, writes, flushes;
};

/* A cache of block_size blocks over bd holding at most max_bytes. NULL: no memory. */
struct bcache *bcache_create(struct block_device *bd, uint32_t block_size, size_t max_bytes);
void bcache_destroy(struct bcache *c);
/* A referenced buffer with block blockno's contents. 0, -EIO or -ENOMEM. */
int bcache_read(struct bcache *c, uint64_t blockno, struct buf **out);
/* A referenced, zero-filled, dirty buffer for a block about to be overwritten. */
int bcache_zero(struct bcache *c, uint64_t blockno, struct buf **out);
/* Start reads of up to n blocks from blockno that are not cached (read-ahead). */
void bcache_prefetch(struct bcache *c, uint64_t blockno, unsigned int n);
void bcache_mark_dirty(struct buf *b);
void bcache_put(struct buf *b);
/* A block was freed: its pending write is pointless. */
void bcache_forget(struct bcache *c, uint64_t blockno);
/* Write every dirty block, then flush the device's cache. 0 or -EIO. */
int bcache_sync(struct bcache *c);

/* Kernel only: every registered sync hook runs at sync(2) and power-off. */
struct sync_hook {
    int (*sync)(void *arg);
    void *arg;
    struct list_head link;
};
void sync_hook_add(struct sync_hook *h);
void sync_hook_remove(struct sync_hook *h);
