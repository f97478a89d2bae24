/*
 * ext2_inode.c - on-disk inodes, the block map and file data.
 *
 * The block map: i_block[0..11] are direct; i_block[12], [13], [14] root
 * trees of one, two and three levels of indirect blocks (addr_per_block
 * entries each). A zero entry is a hole. New blocks are taken near the
 * previous block of the file (or the inode's group) and start zeroed.
 */
#include "drivers/block/blkenv.h"
#include "fs/ext2/ext2.h"
#include "lib/errno.h"
#include "lib/string.h"

#define EXT2_READAHEAD_BYTES (128u * 1024) /* read ahead on a sequential miss */
#define SIZE_2G (1ull << 31)

/* ---- inodes ---- */

static int inode_location(struct ext2_fs *fs, uint32_t ino, uint32_t *block, uint32_t *off)
{
    uint32_t g, index;
    uint64_t byte;

    if (ino == 0 || ino > fs->sb.s_inodes_count)
        return -EUCLEAN;
    g = (ino - 1) / fs->sb.s_inodes_per_group;
    index = (ino - 1) % fs->sb.s_inodes_per_group;
    byte = (uint64_t)index * fs->inode_size;
    *block = fs->gd[g].bg_inode_table + (uint32_t)(byte / fs->block_size);
    *off = (uint32_t)(byte % fs->block_size);
    return 0;
}

int ext2_read_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *out)
{
    uint32_t block, off;
    struct buf *b;
    int err = inode_location(fs, ino, &block, &off);

    if (err != 0)
        return err;
    err = bcache_read(fs->cache, block, &b);
    if (err != 0)
        return err;
    memcpy(out, b->data + off, sizeof(*out));
    bcache_put(b);
    return 0;
}

int ext2_write_inode(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
    uint32_t block, off;
    struct buf *b;
    int err = inode_location(fs, ino, &block, &off);

    if (err != 0)
        return err;
    if (fs->readonly)
        return -EROFS;
    err = bcache_read(fs->cache, block, &b);
    if (err != 0)
        return err;
    memcpy(b->data + off, in, sizeof(*in));
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

uint64_t ext2_inode_size(const struct ext2_inode *ip)
{
    uint64_t size = ip->i_size;

    if ((ip->i_mode & 0170000) == 0100000)
        size |= (uint64_t)ip->i_size_high << 32;
    return size;
}

void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t size)
{
    ip->i_size = (uint32_t)size;
    if ((ip->i_mode & 0170000) == 0100000) {
        ip->i_size_high = (uint32_t)(size >> 32);
        if (size >= SIZE_2G && !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
            /* Files past 2 GiB need the large_file feature (revision 1). */
            fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
            fs->dirty = true;
        }
    }
}

uint64_t ext2_max_size(const struct ext2_fs *fs)
{
    uint64_t a = fs->addr_per_block;
    uint64_t blocks = EXT2_NDIR_BLOCKS + a + a * a + a * a * a;
    /* i_blocks counts 512-byte units in 32 bits. */
    uint64_t by_iblocks = (0xffffffffull * SECTOR_SIZE) / 2;
    uint64_t max = blocks * fs->block_size;

    if (fs->inode_size == EXT2_GOOD_OLD_INODE_SIZE && fs->sb.s_rev_level == EXT2_GOOD_OLD_REV)
        max = max < SIZE_2G - 1 ? max : SIZE_2G - 1;
    return max < by_iblocks ? max : by_iblocks;
}

/* ---- the block map ---- */

static int new_block(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t goal, uint32_t *out)
{
    struct buf *b;
    int err = ext2_alloc_block(fs, goal, out);

    if (err != 0)
        return err;
    err = bcache_zero(fs->cache, *out, &b);
    if (err != 0) {
        ext2_free_block(fs, *out);
        return err;
    }
    bcache_put(b);
    ip->i_blocks += fs->block_size / SECTOR_SIZE;
    return 0;
}

static uint32_t goal_for(struct ext2_fs *fs, uint32_t ino, uint32_t near)
{
    if (near != 0)
        return near + 1;
    return fs->sb.s_first_data_block +
           ((ino - 1) / fs->sb.s_inodes_per_group) * fs->sb.s_blocks_per_group;
}

/*
 * Follow (or with alloc, build) the path of indirect indices idx[0..depth-1]
 * from the pointer *root. Returns the data block in *out (0 for a hole).
 */
static int walk(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint32_t *root,
                const uint32_t *idx, int depth, bool alloc, uint32_t *out)
{
    uint32_t blk = *root, goal = 0;
    int err;

    if (blk == 0) {
        if (!alloc) {
            *out = 0;
            return 0;
        }
        err = new_block(fs, ip, goal_for(fs, ino, ip->i_block[0]), &blk);
        if (err != 0)
            return err;
        *root = blk;
    } else if (!ext2_block_valid(fs, blk)) {
        return -EUCLEAN;
    }
    for (int level = 0; level < depth; level++) {
        struct buf *b;
        uint32_t *slots, next;

        err = bcache_read(fs->cache, blk, &b);
        if (err != 0)
            return err;
        slots = (uint32_t *)b->data;
        next = slots[idx[level]];
        if (next == 0 && alloc) {
            goal = idx[level] > 0 && slots[idx[level] - 1] != 0 ? slots[idx[level] - 1] : blk;
            err = new_block(fs, ip, goal + 1, &next);
            if (err != 0) {
                bcache_put(b);
                return err;
            }
            slots[idx[level]] = next;
            bcache_mark_dirty(b);
        }
        bcache_put(b);
        if (next == 0) {
            *out = 0;
            return 0;
        }
        if (!ext2_block_valid(fs, next))
            return -EUCLEAN;
        blk = next;
    }
    *out = blk;
    return 0;
}

int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint64_t lblock, bool alloc,
              uint32_t *out)
{
    uint64_t a = fs->addr_per_block;
    uint32_t idx[3];
    int slot;

    if (lblock < EXT2_NDIR_BLOCKS) {
        uint32_t blk = ip->i_block[lblock];
        if (blk == 0 && alloc) {
            uint32_t prev = lblock > 0 ? ip->i_block[lblock - 1] : 0;
            int err = new_block(fs, ip, goal_for(fs, ino, prev), &blk);
            if (err != 0)
                return err;
            ip->i_block[lblock] = blk;
        } else if (blk != 0 && !ext2_block_valid(fs, blk)) {
            return -EUCLEAN;
        }
        *out = blk;
        return 0;
    }
    lblock -= EXT2_NDIR_BLOCKS;
    if (lblock < a) {
        idx[0] = (uint32_t)lblock;
        slot = EXT2_IND_BLOCK;
        return walk(fs, ino, ip, &ip->i_block[slot], idx, 1, alloc, out);
    }
    lblock -= a;
    if (lblock < a * a) {
        idx[0] = (uint32_t)(lblock / a);
        idx[1] = (uint32_t)(lblock % a);
        return walk(fs, ino, ip, &ip->i_block[EXT2_DIND_BLOCK], idx, 2, alloc, out);
    }
    lblock -= a * a;
    if (lblock < a * a * a) {
        idx[0] = (uint32_t)(lblock / (a * a));
        idx[1] = (uint32_t)(lblock / a % a);
        idx[2] = (uint32_t)(lblock % a);
        return walk(fs, ino, ip, &ip->i_block[EXT2_TIND_BLOCK], idx, 3, alloc, out);
    }
    return -EFBIG;
}

/* ---- file data ---- */

static bool is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *ip)
{
    uint32_t ea = ip->i_file_acl != 0 ? fs->block_size / SECTOR_SIZE : 0;

    return (ip->i_mode & 0170000) == 0120000 && ip->i_blocks - ea == 0;
}

ssize_t ext2_file_io(struct ext2_fs *fs, uint32_t ino, uint64_t off, size_t len, bool write,
                     ext2_copy_fn copy, void *ctx)
{
    struct ext2_inode ip;
    uint64_t size;
    size_t done = 0;
    int err = ext2_read_inode(fs, ino, &ip);

    if (err != 0)
        return err;
    size = ext2_inode_size(&ip);
    if (write) {
        if (fs->readonly)
            return -EROFS;
        if (off >= ext2_max_size(fs))
            return len == 0 ? 0 : -EFBIG;
        if (off + len > ext2_max_size(fs))
            len = (size_t)(ext2_max_size(fs) - off);
        err = ext2_begin_change(fs);
        if (err != 0)
            return err;
    } else {
        if (off >= size)
            return 0;
        if (off + len > size)
            len = (size_t)(size - off);
    }
    while (done < len) {
        uint64_t lblock = (off + done) / fs->block_size;
        uint32_t in = (uint32_t)((off + done) % fs->block_size);
        size_t n = fs->block_size - in;
        uint32_t pblock;
        struct buf *b;
        ssize_t c;

        if (n > len - done)
            n = len - done;
        err = ext2_bmap(fs, ino, &ip, lblock, write, &pblock);
        if (err != 0)
            break;
        if (pblock == 0) { /* a hole, when reading */
            static uint8_t zeros[4096];
            c = copy(ctx, zeros, n);
        } else {
            bool whole = write && in == 0 && n == fs->block_size;
            unsigned int ra = EXT2_READAHEAD_BYTES / fs->block_size;
            if (!write && in == 0 && lblock % ra == 0)
                bcache_prefetch(fs->cache, pblock, ra);
            err = whole ? bcache_zero(fs->cache, pblock, &b) : bcache_read(fs->cache, pblock, &b);
            if (err != 0)
                break;
            c = copy(ctx, b->data + in, n);
            if (write && c > 0)
                bcache_mark_dirty(b);
            bcache_put(b);
        }
        if (c < 0) {
            err = (int)c;
            break;
        }
        done += (size_t)c;
        if ((size_t)c < n)
            break;
    }
    if (write) {
        if (done > 0) {
            if (off + done > size)
                ext2_inode_set_size(fs, &ip, off + done);
            ip.i_mtime = ip.i_ctime = ext2_now(fs);
        }
        /* Blocks may have been allocated even when nothing was copied. */
        int werr = ext2_write_inode(fs, ino, &ip);
        if (err == 0)
            err = werr;
    }
    if (done > 0)
        return (ssize_t)done;
    return err;
}

/*
 * Free the blocks of the tree at *ptr (depth levels of indirection, 0 =
 * a data block) that map logical blocks >= first, where the tree starts
 * at logical block base and spans span blocks per top-level entry.
 */
static int free_tree(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t *ptr, int depth,
                     uint64_t base, uint64_t first)
{
    uint64_t span = 1;
    struct buf *b;
    uint32_t *slots;
    bool empty = true;
    int err;

    if (*ptr == 0)
        return 0;
    if (!ext2_block_valid(fs, *ptr))
        return -EUCLEAN;
    for (int i = 0; i < depth - 1; i++)
        span *= fs->addr_per_block;
    if (depth == 0) {
        if (base >= first) {
            ext2_free_block(fs, *ptr);
            ip->i_blocks -= fs->block_size / SECTOR_SIZE;
            *ptr = 0;
        }
        return 0;
    }
    err = bcache_read(fs->cache, *ptr, &b);
    if (err != 0)
        return err;
    slots = (uint32_t *)b->data;
    for (uint32_t i = 0; i < fs->addr_per_block; i++) {
        uint64_t child = base + i * span;
        if (slots[i] != 0 && child + span > first) {
            uint32_t before = slots[i];
            err = free_tree(fs, ip, &slots[i], depth - 1, child, first);
            if (slots[i] != before)
                bcache_mark_dirty(b);
            if (err != 0)
                break;
        }
        if (slots[i] != 0)
            empty = false;
    }
    bcache_put(b);
    if (err == 0 && empty) {
        ext2_free_block(fs, *ptr);
        ip->i_blocks -= fs->block_size / SECTOR_SIZE;
        *ptr = 0;
    }
    return err;
}

static int free_blocks_from(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t first)
{
    uint64_t a = fs->addr_per_block, base = EXT2_NDIR_BLOCKS;
    int err;

    for (uint64_t i = first; i < EXT2_NDIR_BLOCKS; i++) {
        if (ip->i_block[i] != 0 && ext2_block_valid(fs, ip->i_block[i])) {
            ext2_free_block(fs, ip->i_block[i]);
            ip->i_blocks -= fs->block_size / SECTOR_SIZE;
        }
        ip->i_block[i] = 0;
    }
    err = free_tree(fs, ip, &ip->i_block[EXT2_IND_BLOCK], 1, base, first);
    base += a;
    if (err == 0)
        err = free_tree(fs, ip, &ip->i_block[EXT2_DIND_BLOCK], 2, base, first);
    base += a * a;
    if (err == 0)
        err = free_tree(fs, ip, &ip->i_block[EXT2_TIND_BLOCK], 3, base, first);
    return err;
}

/* Zero the bytes of the block holding `size` past it, so a later extension reads zeros. */
static int zero_tail(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint64_t size)
{
    uint32_t in = (uint32_t)(size % fs->block_size), pblock;
    struct buf *b;
    int err;

    if (in == 0)
        return 0;
    err = ext2_bmap(fs, ino, ip, size / fs->block_size, false, &pblock);
    if (err != 0 || pblock == 0)
        return err;
    err = bcache_read(fs->cache, pblock, &b);
    if (err != 0)
        return err;
    memset(b->data + in, 0, fs->block_size - in);
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
    struct ext2_inode ip;
    uint64_t old;
    int err = ext2_read_inode(fs, ino, &ip);

    if (err != 0)
        return err;
    if (size > ext2_max_size(fs))
        return -EFBIG;
    err = ext2_begin_change(fs);
    if (err != 0)
        return err;
    old = ext2_inode_size(&ip);
    if (size < old) {
        err = zero_tail(fs, ino, &ip, size);
        if (err == 0)
            err = free_blocks_from(fs, &ip, (size + fs->block_size - 1) / fs->block_size);
    } else if (size > old) {
        err = zero_tail(fs, ino, &ip, old);
    }
    if (err != 0)
        return err;
    ext2_inode_set_size(fs, &ip, size);
    ip.i_mtime = ip.i_ctime = ext2_now(fs);
    return ext2_write_inode(fs, ino, &ip);
}

int ext2_release_inode(struct ext2_fs *fs, uint32_t ino)
{
    struct ext2_inode ip;
    bool is_dir;
    int err = ext2_read_inode(fs, ino, &ip);

    if (err != 0)
        return err;
    if (ip.i_links_count != 0)
        return 0;
    err = ext2_begin_change(fs);
    if (err != 0)
        return err;
    is_dir = (ip.i_mode & 0170000) == 0040000;
    if (!is_fast_symlink(fs, &ip)) {
        err = free_blocks_from(fs, &ip, 0);
        if (err != 0)
            return err;
    }
    if (ip.i_file_acl != 0 && ext2_block_valid(fs, ip.i_file_acl)) {
        /* Extended attribute blocks may be shared; we never create them, leave them. */
        ip.i_file_acl = 0;
    }
    ip.i_dtime = ext2_now(fs);
    ip.i_size = 0;
    ip.i_size_high = 0;
    err = ext2_write_inode(fs, ino, &ip);
    if (err == 0)
        ext2_free_inode(fs, ino, is_dir);
    return err;
}

ssize_t ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size)
{
    struct ext2_inode ip;
    uint64_t len;
    uint32_t pblock;
    struct buf *b;
    int err = ext2_read_inode(fs, ino, &ip);

    if (err != 0)
        return err;
    if ((ip.i_mode & 0170000) != 0120000)
        return -EINVAL;
    len = ext2_inode_size(&ip);
    if (len >= fs->block_size)
        return -EUCLEAN;
    if (len > size)
        len = size;
    if (is_fast_symlink(fs, &ip)) {
        if (len > EXT2_FAST_SYMLINK_MAX)
            return -EUCLEAN;
        memcpy(buf, ip.i_block, len);
        return (ssize_t)len;
    }
    err = ext2_bmap(fs, ino, &ip, 0, false, &pblock);
    if (err != 0)
        return err;
    if (pblock == 0)
        return -EUCLEAN;
    err = bcache_read(fs->cache, pblock, &b);
    if (err != 0)
        return err;
    memcpy(buf, b->data, len);
    bcache_put(b);
    return (ssize_t)len;
}
