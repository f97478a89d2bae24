/*
 * ext2_super.c - mounting (superblock and group descriptor validation),
 * the block and inode bitmaps, and write-back of the global metadata.
 *
 * The superblock and the group descriptor table are kept in memory and
 * written to their primary locations at every sync; backups are left as
 * mke2fs wrote them (e2fsck does not compare free counts of backups).
 *
 * Clean flag: s_state says VALID only while everything is on disk. The
 * first change after a sync clears it on disk (written and flushed before
 * the change can reach the disk); ext2_sync sets it again last. After a
 * crash the disk therefore says "not clean", as Linux's ext2 does.
 */
#include "core/printk.h"
#include "drivers/block/blkenv.h"
#include "fs/ext2/ext2.h"
#include "lib/errno.h"
#include "lib/string.h"

#define EXT2_MAX_GROUPS (1u << 20)

bool ext2_block_valid(const struct ext2_fs *fs, uint32_t block)
{
    return block >= fs->sb.s_first_data_block && block < fs->sb.s_blocks_count;
}

uint32_t ext2_now(const struct ext2_fs *fs)
{
    return fs->now != 0 ? fs->now : (uint32_t)blk_time_now();
}

static int corrupt(const char *what, uint64_t value)
{
    pr_err("ext2: corrupt file system: %s (%lu)\n", what, (unsigned long)value);
    return -EUCLEAN;
}

static int check_super(struct ext2_fs *fs)
{
    struct ext2_super_block *s = &fs->sb;
    uint64_t dev_blocks;

    if (s->s_magic != EXT2_MAGIC) {
        pr_err("ext2: no ext2 file system (magic %#x)\n", s->s_magic);
        return -EINVAL;
    }
    if (s->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
        return corrupt("block size", s->s_log_block_size);
    fs->block_size = 1024u << s->s_log_block_size;
    if (fs->block_size > 4096) {
        pr_err("ext2: block size %u is not supported (at most 4096)\n", fs->block_size);
        return -EINVAL;
    }
    fs->addr_per_block = fs->block_size / 4;
    if (s->s_rev_level == EXT2_GOOD_OLD_REV) {
        fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
        fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    } else {
        fs->inode_size = s->s_inode_size;
        fs->first_ino = s->s_first_ino;
        if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
            (fs->inode_size & (fs->inode_size - 1)) != 0)
            return corrupt("inode size", fs->inode_size);
        if (s->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED) {
            pr_err("ext2: unsupported incompatible features %#x\n",
                   s->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED);
            return -EINVAL;
        }
        if (s->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED) {
            pr_warn("ext2: read-only compatible features %#x: mounting read-only\n",
                    s->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED);
            fs->readonly = true;
        }
        if (s->s_feature_compat & EXT2_FEATURE_COMPAT_HAS_JOURNAL) {
            pr_warn("ext2: the file system has a journal (ext3): mounting read-only\n");
            fs->readonly = true;
        }
    }
    if (s->s_blocks_per_group == 0 || s->s_blocks_per_group > fs->block_size * 8)
        return corrupt("blocks per group", s->s_blocks_per_group);
    if (s->s_inodes_per_group == 0 || s->s_inodes_per_group > fs->block_size * 8)
        return corrupt("inodes per group", s->s_inodes_per_group);
    if (s->s_first_data_block != (fs->block_size == 1024 ? 1u : 0u))
        return corrupt("first data block", s->s_first_data_block);
    if (s->s_blocks_count <= s->s_first_data_block)
        return corrupt("block count", s->s_blocks_count);
    dev_blocks = fs->bd->nsectors / (fs->block_size / SECTOR_SIZE);
    if (s->s_blocks_count > dev_blocks)
        return corrupt("block count beyond the device", s->s_blocks_count);
    fs->groups = (s->s_blocks_count - s->s_first_data_block + s->s_blocks_per_group - 1) /
                 s->s_blocks_per_group;
    if (fs->groups == 0 || fs->groups > EXT2_MAX_GROUPS)
        return corrupt("group count", fs->groups);
    if ((uint64_t)fs->groups * s->s_inodes_per_group != s->s_inodes_count)
        return corrupt("inode count", s->s_inodes_count);
    if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino >= s->s_inodes_count)
        return corrupt("first inode", fs->first_ino);
    return 0;
}

static int check_groups(struct ext2_fs *fs)
{
    uint32_t itable_blocks =
        (fs->sb.s_inodes_per_group * fs->inode_size + fs->block_size - 1) / fs->block_size;

    for (uint32_t g = 0; g < fs->groups; g++) {
        struct ext2_group_desc *d = &fs->gd[g];
        if (!ext2_block_valid(fs, d->bg_block_bitmap))
            return corrupt("block bitmap location", d->bg_block_bitmap);
        if (!ext2_block_valid(fs, d->bg_inode_bitmap))
            return corrupt("inode bitmap location", d->bg_inode_bitmap);
        if (!ext2_block_valid(fs, d->bg_inode_table) ||
            (uint64_t)d->bg_inode_table + itable_blocks > fs->sb.s_blocks_count)
            return corrupt("inode table location", d->bg_inode_table);
    }
    return 0;
}

static int read_gdt(struct ext2_fs *fs)
{
    size_t per_block = fs->block_size / sizeof(struct ext2_group_desc);

    fs->gd_block = fs->sb.s_first_data_block + 1;
    fs->gd_blocks = (uint32_t)((fs->groups + per_block - 1) / per_block);
    fs->gd = blk_zalloc((size_t)fs->gd_blocks * fs->block_size);
    if (fs->gd == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < fs->gd_blocks; i++) {
        struct buf *b;
        int err = bcache_read(fs->cache, fs->gd_block + i, &b);
        if (err != 0)
            return err;
        memcpy((uint8_t *)fs->gd + (size_t)i * fs->block_size, b->data, fs->block_size);
        bcache_put(b);
    }
    return check_groups(fs);
}

/* Write the superblock copy into its block. */
static int put_super(struct ext2_fs *fs)
{
    uint32_t blk = EXT2_SUPER_OFFSET / fs->block_size;
    uint32_t off = EXT2_SUPER_OFFSET % fs->block_size;
    struct buf *b;
    int err = bcache_read(fs->cache, blk, &b);

    if (err != 0)
        return err;
    memcpy(b->data + off, &fs->sb, sizeof(fs->sb));
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

static int put_gdt(struct ext2_fs *fs)
{
    for (uint32_t i = 0; i < fs->gd_blocks; i++) {
        struct buf *b;
        int err = bcache_read(fs->cache, fs->gd_block + i, &b);
        if (err != 0)
            return err;
        memcpy(b->data, (uint8_t *)fs->gd + (size_t)i * fs->block_size, fs->block_size);
        bcache_mark_dirty(b);
        bcache_put(b);
    }
    return 0;
}

int ext2_mount(struct ext2_fs *fs, struct block_device *bd, bool readonly, size_t cache_bytes)
{
    uint8_t *raw = blk_zalloc(EXT2_SUPER_SIZE);
    int err;

    memset(fs, 0, sizeof(*fs));
    fs->bd = bd;
    fs->readonly = readonly || bd->readonly;
    if (raw == NULL)
        return -ENOMEM;
    if (bd->nsectors < (EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE) / SECTOR_SIZE) {
        blk_free(raw);
        return -EINVAL;
    }
    err = bdev_read(bd, EXT2_SUPER_OFFSET, raw, EXT2_SUPER_SIZE);
    if (err == 0) {
        memcpy(&fs->sb, raw, sizeof(fs->sb));
        err = check_super(fs);
    }
    blk_free(raw);
    if (err != 0)
        return err;
    fs->cache = bcache_create(bd, fs->block_size, cache_bytes);
    if (fs->cache == NULL)
        return -ENOMEM;
    err = read_gdt(fs);
    if (err != 0)
        goto fail;
    fs->clean = (fs->sb.s_state & EXT2_VALID_FS) != 0;
    if (!fs->clean)
        pr_warn("ext2: %s was not cleanly unmounted; run e2fsck\n", bd->name);
    if (fs->sb.s_state & EXT2_ERROR_FS)
        pr_warn("ext2: %s has errors recorded; run e2fsck\n", bd->name);
    if (!fs->readonly) {
        fs->sb.s_mnt_count++;
        fs->sb.s_mtime = ext2_now(fs);
        fs->dirty = true;
    }
    return 0;
fail:
    blk_free(fs->gd);
    bcache_destroy(fs->cache);
    fs->gd = NULL;
    fs->cache = NULL;
    return err;
}

int ext2_begin_change(struct ext2_fs *fs)
{
    int err;

    if (fs->readonly)
        return -EROFS;
    fs->dirty = true;
    if (!fs->clean)
        return 0;
    fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
    err = put_super(fs);
    if (err == 0)
        err = bcache_sync(fs->cache);
    if (err == 0)
        fs->clean = false;
    return err;
}

int ext2_sync(struct ext2_fs *fs)
{
    int err;

    if (fs->readonly)
        return 0;
    if (!fs->dirty && fs->clean)
        return bcache_sync(fs->cache);
    /* Everything but the clean flag first, then the flag (ordered by a flush). */
    fs->sb.s_wtime = ext2_now(fs);
    err = put_gdt(fs);
    if (err == 0)
        err = put_super(fs);
    if (err == 0)
        err = bcache_sync(fs->cache);
    if (err != 0)
        return err;
    fs->sb.s_state |= EXT2_VALID_FS;
    err = put_super(fs);
    if (err == 0)
        err = bcache_sync(fs->cache);
    if (err == 0) {
        fs->clean = true;
        fs->dirty = false;
    }
    return err;
}

int ext2_unmount(struct ext2_fs *fs)
{
    int err = ext2_sync(fs);

    bcache_destroy(fs->cache);
    blk_free(fs->gd);
    fs->cache = NULL;
    fs->gd = NULL;
    return err;
}

/* ---- bitmaps ---- */

/*
 * Find and set a zero bit in the bitmap block of group g among nbits,
 * starting near `start`. Returns the bit or -ENOSPC / -errno.
 */
static int64_t bitmap_take(struct ext2_fs *fs, uint32_t bitmap_block, uint32_t nbits,
                           uint32_t start)
{
    struct buf *b;
    int err = bcache_read(fs->cache, bitmap_block, &b);

    if (err != 0)
        return err;
    if (start >= nbits)
        start = 0;
    for (uint32_t k = 0; k < nbits; k++) {
        uint32_t bit = (start + k) % nbits;
        if (b->data[bit / 8] == 0xff) {
            k += 7 - bit % 8; /* skip the rest of a full byte */
            continue;
        }
        if (!(b->data[bit / 8] & (1u << (bit % 8)))) {
            b->data[bit / 8] |= (uint8_t)(1u << (bit % 8));
            bcache_mark_dirty(b);
            bcache_put(b);
            return bit;
        }
    }
    bcache_put(b);
    return -ENOSPC;
}

/* Clear a bit; returns 1 if it was set, 0 if already clear, or -errno. */
static int bitmap_clear(struct ext2_fs *fs, uint32_t bitmap_block, uint32_t bit)
{
    struct buf *b;
    int err = bcache_read(fs->cache, bitmap_block, &b);
    int was;

    if (err != 0)
        return err;
    was = (b->data[bit / 8] >> (bit % 8)) & 1;
    b->data[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
    if (was)
        bcache_mark_dirty(b);
    bcache_put(b);
    return was;
}

static uint32_t group_blocks(const struct ext2_fs *fs, uint32_t g)
{
    uint32_t first = fs->sb.s_first_data_block + g * fs->sb.s_blocks_per_group;
    uint32_t n = fs->sb.s_blocks_count - first;

    return n < fs->sb.s_blocks_per_group ? n : fs->sb.s_blocks_per_group;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    uint32_t bpg = fs->sb.s_blocks_per_group;
    uint32_t g0, start;

    if (fs->sb.s_free_blocks_count == 0)
        return -ENOSPC;
    if (!ext2_block_valid(fs, goal))
        goal = fs->sb.s_first_data_block;
    g0 = (goal - fs->sb.s_first_data_block) / bpg;
    start = (goal - fs->sb.s_first_data_block) % bpg;
    for (uint32_t k = 0; k < fs->groups; k++) {
        uint32_t g = (g0 + k) % fs->groups;
        int64_t bit;
        if (fs->gd[g].bg_free_blocks_count == 0)
            continue;
        bit = bitmap_take(fs, fs->gd[g].bg_block_bitmap, group_blocks(fs, g), k == 0 ? start : 0);
        if (bit == -ENOSPC)
            continue; /* the descriptor's count was wrong */
        if (bit < 0)
            return (int)bit;
        fs->gd[g].bg_free_blocks_count--;
        fs->sb.s_free_blocks_count--;
        fs->dirty = true;
        *out = fs->sb.s_first_data_block + g * bpg + (uint32_t)bit;
        return 0;
    }
    return -ENOSPC;
}

void ext2_free_block(struct ext2_fs *fs, uint32_t block)
{
    uint32_t g, bit;

    if (!ext2_block_valid(fs, block)) {
        corrupt("freeing a block outside the file system", block);
        return;
    }
    g = (block - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
    bit = (block - fs->sb.s_first_data_block) % fs->sb.s_blocks_per_group;
    bcache_forget(fs->cache, block);
    if (bitmap_clear(fs, fs->gd[g].bg_block_bitmap, bit) == 1) {
        fs->gd[g].bg_free_blocks_count++;
        fs->sb.s_free_blocks_count++;
        fs->dirty = true;
    }
}

int ext2_alloc_inode(struct ext2_fs *fs, uint32_t group_hint, bool is_dir, uint32_t *out)
{
    uint32_t ipg = fs->sb.s_inodes_per_group;
    uint32_t g0 = group_hint < fs->groups ? group_hint : 0;

    if (fs->sb.s_free_inodes_count == 0)
        return -ENOSPC;
    if (is_dir) {
        /* Spread directories: the group with the most free inodes. */
        for (uint32_t g = 0; g < fs->groups; g++) {
            if (fs->gd[g].bg_free_inodes_count > fs->gd[g0].bg_free_inodes_count)
                g0 = g;
        }
    }
    for (uint32_t k = 0; k < fs->groups; k++) {
        uint32_t g = (g0 + k) % fs->groups;
        int64_t bit;
        if (fs->gd[g].bg_free_inodes_count == 0)
            continue;
        /* Reserved inodes (below first_ino) live in group 0 and stay taken. */
        bit = bitmap_take(fs, fs->gd[g].bg_inode_bitmap, ipg, g == 0 ? fs->first_ino - 1 : 0);
        if (bit == -ENOSPC)
            continue;
        if (bit < 0)
            return (int)bit;
        if (g == 0 && (uint32_t)bit + 1 < fs->first_ino) {
            /* The scan wrapped into the reserved inodes: give it back. */
            bitmap_clear(fs, fs->gd[g].bg_inode_bitmap, (uint32_t)bit);
            continue;
        }
        fs->gd[g].bg_free_inodes_count--;
        fs->sb.s_free_inodes_count--;
        if (is_dir)
            fs->gd[g].bg_used_dirs_count++;
        fs->dirty = true;
        *out = g * ipg + (uint32_t)bit + 1;
        return 0;
    }
    return -ENOSPC;
}

void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool is_dir)
{
    uint32_t g, bit;

    if (ino < fs->first_ino || ino > fs->sb.s_inodes_count) {
        corrupt("freeing a reserved or out-of-range inode", ino);
        return;
    }
    g = (ino - 1) / fs->sb.s_inodes_per_group;
    bit = (ino - 1) % fs->sb.s_inodes_per_group;
    if (bitmap_clear(fs, fs->gd[g].bg_inode_bitmap, bit) == 1) {
        fs->gd[g].bg_free_inodes_count++;
        fs->sb.s_free_inodes_count++;
        if (is_dir && fs->gd[g].bg_used_dirs_count > 0)
            fs->gd[g].bg_used_dirs_count--;
        fs->dirty = true;
    }
}
