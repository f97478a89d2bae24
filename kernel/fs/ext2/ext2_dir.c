/*
 * ext2_dir.c - directories (linked lists of variable-length entries in
 * each directory block) and the namespace operations on top of them:
 * create, mkdir, symlink, link, unlink, rmdir, rename.
 *
 * Every entry is validated as it is read (record length, name length,
 * block boundary, inode number); a bad one fails the operation with
 * -EUCLEAN. Hashed directories (dir_index) are read as plain lists, which
 * they also are; the index flag is cleared when we change one, as the
 * hash tree would no longer match.
 *
 * Order of writes for crash safety: a new inode is written before the
 * entry naming it; a link count goes up before a new name and down after
 * a removed one, so a crash leaves at worst a count too high (e2fsck
 * fixes it), never a name pointing at a freed inode.
 */
#include "fs/ext2/ext2.h"
#include "lib/errno.h"
#include "lib/string.h"

#define EXT2_LINK_MAX 32000
#define MAX_ANCESTRY 4096 /* ".." steps before a directory tree is called looped */
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

#define MODE_TYPE(m) ((m)&0170000)
#define MODE_DIR 0040000
#define MODE_REG 0100000
#define MODE_LNK 0120000

static bool is_dir_mode(uint32_t mode)
{
    return MODE_TYPE(mode) == MODE_DIR;
}

static uint8_t file_type_of(const struct ext2_fs *fs, uint32_t mode)
{
    if (!(fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE))
        return EXT2_FT_UNKNOWN;
    switch (MODE_TYPE(mode)) {
    case 0100000:
        return EXT2_FT_REG_FILE;
    case 0040000:
        return EXT2_FT_DIR;
    case 0020000:
        return EXT2_FT_CHRDEV;
    case 0060000:
        return EXT2_FT_BLKDEV;
    case 0010000:
        return EXT2_FT_FIFO;
    case 0140000:
        return EXT2_FT_SOCK;
    case 0120000:
        return EXT2_FT_SYMLINK;
    default:
        return EXT2_FT_UNKNOWN;
    }
}

/* Is the entry at off of a block valid? */
static bool entry_ok(const struct ext2_fs *fs, const uint8_t *data, uint32_t off)
{
    const struct ext2_dir_entry *de = (const void *)(data + off);

    if (off + EXT2_DIR_ENTRY_HEADER > fs->block_size)
        return false;
    if (de->rec_len < EXT2_DIR_REC_LEN(1) - 4 || de->rec_len % 4 != 0 ||
        off + de->rec_len > fs->block_size)
        return false;
    if (de->inode != 0 && (EXT2_DIR_REC_LEN(de->name_len) > de->rec_len ||
                           de->inode > fs->sb.s_inodes_count || de->name_len == 0))
        return false;
    return true;
}

static bool name_is(const struct ext2_dir_entry *de, const char *name, size_t len)
{
    return de->inode != 0 && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* Where an entry was found. */
struct dir_slot {
    uint32_t pblock;
    uint32_t off;      /* of the entry */
    uint32_t prev_off; /* of the entry before it in the block, or off when first */
};

static int dir_inode(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip)
{
    int err = ext2_read_inode(fs, dir, ip);

    if (err != 0)
        return err;
    if (!is_dir_mode(ip->i_mode))
        return -ENOTDIR;
    if (ip->i_size % fs->block_size != 0)
        return -EUCLEAN;
    return 0;
}

/* Find name in dir. 0 and *slot / *ino, -ENOENT, or -errno. */
static int find_entry(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip, const char *name,
                      size_t len, struct dir_slot *slot, uint32_t *ino)
{
    uint64_t nblocks = ip->i_size / fs->block_size;

    for (uint64_t lb = 0; lb < nblocks; lb++) {
        uint32_t pblock, off = 0, prev = 0;
        struct buf *b;
        int err = ext2_bmap(fs, dir, ip, lb, false, &pblock);

        if (err != 0)
            return err;
        if (pblock == 0)
            continue;
        err = bcache_read(fs->cache, pblock, &b);
        if (err != 0)
            return err;
        while (off < fs->block_size) {
            const struct ext2_dir_entry *de = (const void *)(b->data + off);
            if (!entry_ok(fs, b->data, off)) {
                bcache_put(b);
                return -EUCLEAN;
            }
            if (name_is(de, name, len)) {
                if (slot != NULL)
                    *slot = (struct dir_slot){pblock, off, prev};
                *ino = de->inode;
                bcache_put(b);
                return 0;
            }
            prev = off;
            off += de->rec_len;
        }
        bcache_put(b);
    }
    return -ENOENT;
}

int ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino)
{
    struct ext2_inode ip;
    int err = dir_inode(fs, dir, &ip);

    if (err != 0)
        return err;
    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    err = find_entry(fs, dir, &ip, name, len, NULL, ino);
    if (err == 0 && (*ino == 0 || *ino > fs->sb.s_inodes_count))
        return -EUCLEAN;
    return err;
}

int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, ext2_dir_fn fn, void *ctx)
{
    struct ext2_inode ip;
    int err = dir_inode(fs, dir, &ip);

    if (err != 0)
        return err;
    while (*pos < ip.i_size) {
        uint64_t lb = *pos / fs->block_size;
        uint32_t start = (uint32_t)(*pos % fs->block_size), off = 0, pblock;
        struct buf *b;

        err = ext2_bmap(fs, dir, &ip, lb, false, &pblock);
        if (err != 0)
            return err;
        if (pblock == 0) {
            *pos = (lb + 1) * fs->block_size;
            continue;
        }
        err = bcache_read(fs->cache, pblock, &b);
        if (err != 0)
            return err;
        while (off < fs->block_size) {
            const struct ext2_dir_entry *de = (const void *)(b->data + off);
            uint64_t next;
            if (!entry_ok(fs, b->data, off)) {
                bcache_put(b);
                return -EUCLEAN;
            }
            next = lb * fs->block_size + off + de->rec_len;
            if (off >= start && de->inode != 0) {
                if (!fn(ctx, de->name, de->name_len, de->inode, de->file_type, next)) {
                    bcache_put(b);
                    return 0;
                }
            }
            if (off >= start)
                *pos = next;
            off += de->rec_len;
        }
        bcache_put(b);
        *pos = (lb + 1) * fs->block_size;
    }
    return 0;
}

static void touch_dir(struct ext2_fs *fs, struct ext2_inode *ip)
{
    ip->i_mtime = ip->i_ctime = ext2_now(fs);
    ip->i_flags &= ~EXT2_INDEX_FL;
}

/* Add (name -> ino) to dir, growing it by a block when no entry has room. */
static int add_entry(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip, const char *name,
                     size_t len, uint32_t ino, uint8_t ftype)
{
    uint32_t need = EXT2_DIR_REC_LEN(len);
    uint64_t nblocks = ip->i_size / fs->block_size;
    struct ext2_dir_entry *de;
    struct buf *b;
    uint32_t pblock;
    int err;

    for (uint64_t lb = 0; lb < nblocks; lb++) {
        uint32_t off = 0;
        err = ext2_bmap(fs, dir, ip, lb, false, &pblock);
        if (err != 0)
            return err;
        if (pblock == 0)
            continue;
        err = bcache_read(fs->cache, pblock, &b);
        if (err != 0)
            return err;
        while (off < fs->block_size) {
            de = (struct ext2_dir_entry *)(b->data + off);
            if (!entry_ok(fs, b->data, off)) {
                bcache_put(b);
                return -EUCLEAN;
            }
            uint32_t used = de->inode != 0 ? EXT2_DIR_REC_LEN(de->name_len) : 0;
            if (de->rec_len - used >= need) {
                if (used != 0) { /* split: the new entry takes the slack */
                    uint32_t rest = de->rec_len - used;
                    de->rec_len = (uint16_t)used;
                    de = (struct ext2_dir_entry *)(b->data + off + used);
                    de->rec_len = (uint16_t)rest;
                }
                de->inode = ino;
                de->name_len = (uint8_t)len;
                de->file_type = ftype;
                memcpy(de->name, name, len);
                bcache_mark_dirty(b);
                bcache_put(b);
                touch_dir(fs, ip);
                return ext2_write_inode(fs, dir, ip);
            }
            off += de->rec_len;
        }
        bcache_put(b);
    }
    /* A new block holding only this entry. */
    err = ext2_bmap(fs, dir, ip, nblocks, true, &pblock);
    if (err != 0)
        return err;
    err = bcache_read(fs->cache, pblock, &b);
    if (err != 0)
        return err;
    de = (struct ext2_dir_entry *)b->data;
    de->inode = ino;
    de->rec_len = (uint16_t)fs->block_size;
    de->name_len = (uint8_t)len;
    de->file_type = ftype;
    memcpy(de->name, name, len);
    bcache_mark_dirty(b);
    bcache_put(b);
    ip->i_size += fs->block_size;
    touch_dir(fs, ip);
    return ext2_write_inode(fs, dir, ip);
}

/* Remove the entry at slot (found by find_entry). */
static int remove_entry(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip,
                        const struct dir_slot *slot)
{
    struct buf *b;
    struct ext2_dir_entry *de, *prev;
    int err = bcache_read(fs->cache, slot->pblock, &b);

    if (err != 0)
        return err;
    de = (struct ext2_dir_entry *)(b->data + slot->off);
    if (slot->prev_off != slot->off) {
        prev = (struct ext2_dir_entry *)(b->data + slot->prev_off);
        prev->rec_len = (uint16_t)(prev->rec_len + de->rec_len);
    } else {
        de->inode = 0;
    }
    bcache_mark_dirty(b);
    bcache_put(b);
    touch_dir(fs, ip);
    return ext2_write_inode(fs, dir, ip);
}

/* Point the entry at slot to ino. */
static int retarget_entry(struct ext2_fs *fs, const struct dir_slot *slot, uint32_t ino,
                          uint8_t ftype)
{
    struct buf *b;
    struct ext2_dir_entry *de;
    int err = bcache_read(fs->cache, slot->pblock, &b);

    if (err != 0)
        return err;
    de = (struct ext2_dir_entry *)(b->data + slot->off);
    de->inode = ino;
    de->file_type = ftype;
    bcache_mark_dirty(b);
    bcache_put(b);
    return 0;
}

static bool empty_fn(void *ctx, const char *name, size_t len, uint32_t ino, uint8_t type,
                     uint64_t next)
{
    (void)ino;
    (void)type;
    (void)next;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    *(bool *)ctx = false;
    return false;
}

static int dir_is_empty(struct ext2_fs *fs, uint32_t dir, bool *empty)
{
    uint64_t pos = 0;

    *empty = true;
    return ext2_readdir(fs, dir, &pos, empty_fn, empty);
}

/* Make dir's ".." entry name parent. */
static int set_dotdot(struct ext2_fs *fs, uint32_t dir, uint32_t parent)
{
    struct ext2_inode ip;
    struct dir_slot slot;
    uint32_t old;
    int err = dir_inode(fs, dir, &ip);

    if (err == 0)
        err = find_entry(fs, dir, &ip, "..", 2, &slot, &old);
    if (err == -ENOENT)
        return -EUCLEAN;
    if (err != 0)
        return err;
    return retarget_entry(fs, &slot, parent, file_type_of(fs, MODE_DIR));
}

static int adjust_links(struct ext2_fs *fs, uint32_t ino, int delta)
{
    struct ext2_inode ip;
    int err = ext2_read_inode(fs, ino, &ip);

    if (err != 0)
        return err;
    if (delta < 0 && ip.i_links_count < (uint32_t)-delta)
        ip.i_links_count = 0;
    else
        ip.i_links_count = (uint16_t)(ip.i_links_count + delta);
    ip.i_ctime = ext2_now(fs);
    return ext2_write_inode(fs, ino, &ip);
}

/* ---- namespace operations ---- */

static int init_new_inode(struct ext2_fs *fs, uint32_t ino, uint32_t dir, uint32_t mode,
                          uint32_t uid, uint32_t gid, uint32_t rdev, const char *target,
                          struct ext2_inode *ip)
{
    uint32_t now = ext2_now(fs);
    int err;

    memset(ip, 0, sizeof(*ip));
    ip->i_mode = (uint16_t)mode;
    ip->i_uid = (uint16_t)uid;
    ip->i_uid_high = (uint16_t)(uid >> 16);
    ip->i_gid = (uint16_t)gid;
    ip->i_gid_high = (uint16_t)(gid >> 16);
    ip->i_atime = ip->i_ctime = ip->i_mtime = now;
    ip->i_links_count = is_dir_mode(mode) ? 2 : 1;
    if (MODE_TYPE(mode) == 0020000 || MODE_TYPE(mode) == 0060000) {
        if (rdev <= 0xffff)
            ip->i_block[0] = rdev;
        else
            ip->i_block[1] = rdev;
    }
    if (target != NULL) {
        size_t tlen = strlen(target);
        ext2_inode_set_size(fs, ip, tlen);
        if (tlen < EXT2_FAST_SYMLINK_MAX) {
            memcpy(ip->i_block, target, tlen);
        } else {
            uint32_t pblock;
            struct buf *b;
            err = ext2_bmap(fs, ino, ip, 0, true, &pblock);
            if (err != 0)
                return err;
            err = bcache_read(fs->cache, pblock, &b);
            if (err != 0)
                return err;
            memcpy(b->data, target, tlen);
            bcache_mark_dirty(b);
            bcache_put(b);
        }
    }
    if (is_dir_mode(mode)) {
        uint32_t pblock;
        struct buf *b;
        struct ext2_dir_entry *de;
        err = ext2_bmap(fs, ino, ip, 0, true, &pblock);
        if (err != 0)
            return err;
        err = bcache_read(fs->cache, pblock, &b);
        if (err != 0)
            return err;
        de = (struct ext2_dir_entry *)b->data;
        de->inode = ino;
        de->rec_len = (uint16_t)EXT2_DIR_REC_LEN(1);
        de->name_len = 1;
        de->file_type = file_type_of(fs, MODE_DIR);
        de->name[0] = '.';
        de = (struct ext2_dir_entry *)(b->data + EXT2_DIR_REC_LEN(1));
        de->inode = dir;
        de->rec_len = (uint16_t)(fs->block_size - EXT2_DIR_REC_LEN(1));
        de->name_len = 2;
        de->file_type = file_type_of(fs, MODE_DIR);
        de->name[0] = de->name[1] = '.';
        bcache_mark_dirty(b);
        bcache_put(b);
        ip->i_size = fs->block_size;
    }
    return ext2_write_inode(fs, ino, ip);
}

int ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t mode,
                uint32_t uid, uint32_t gid, uint32_t rdev, const char *target, uint32_t *ino)
{
    struct ext2_inode dip, ip;
    uint32_t existing, new_ino;
    bool is_dir = is_dir_mode(mode);
    int err;

    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    if (target != NULL && strlen(target) >= fs->block_size)
        return -ENAMETOOLONG;
    err = dir_inode(fs, dir, &dip);
    if (err != 0)
        return err;
    if (dip.i_links_count == 0)
        return -ENOENT; /* a removed directory */
    err = find_entry(fs, dir, &dip, name, len, NULL, &existing);
    if (err == 0)
        return -EEXIST;
    if (err != -ENOENT)
        return err;
    if (is_dir && dip.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    err = ext2_begin_change(fs);
    if (err != 0)
        return err;
    err = ext2_alloc_inode(fs, (dir - 1) / fs->sb.s_inodes_per_group, is_dir, &new_ino);
    if (err != 0)
        return err;
    err = init_new_inode(fs, new_ino, dir, mode, uid, gid, rdev, target, &ip);
    if (err == 0 && is_dir)
        err = adjust_links(fs, dir, 1);
    if (err == 0) {
        err = dir_inode(fs, dir, &dip); /* re-read: links changed */
        if (err == 0)
            err = add_entry(fs, dir, &dip, name, len, new_ino, file_type_of(fs, mode));
        if (err != 0 && is_dir)
            adjust_links(fs, dir, -1);
    }
    if (err != 0) {
        ip.i_links_count = 0;
        ext2_write_inode(fs, new_ino, &ip);
        ext2_release_inode(fs, new_ino);
        return err;
    }
    *ino = new_ino;
    return 0;
}

int ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino)
{
    struct ext2_inode dip, ip;
    uint32_t existing;
    int err;

    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    err = ext2_read_inode(fs, ino, &ip);
    if (err != 0)
        return err;
    if (is_dir_mode(ip.i_mode))
        return -EPERM;
    if (ip.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    if (ip.i_links_count == 0)
        return -ENOENT;
    err = dir_inode(fs, dir, &dip);
    if (err != 0)
        return err;
    if (dip.i_links_count == 0)
        return -ENOENT;
    err = find_entry(fs, dir, &dip, name, len, NULL, &existing);
    if (err == 0)
        return -EEXIST;
    if (err != -ENOENT)
        return err;
    err = ext2_begin_change(fs);
    if (err == 0)
        err = adjust_links(fs, ino, 1);
    if (err != 0)
        return err;
    err = add_entry(fs, dir, &dip, name, len, ino, file_type_of(fs, ip.i_mode));
    if (err != 0)
        adjust_links(fs, ino, -1);
    return err;
}

int ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, bool rmdir,
                uint32_t *ino, bool *last)
{
    struct ext2_inode dip, ip;
    struct dir_slot slot;
    bool empty;
    int err;

    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    err = dir_inode(fs, dir, &dip);
    if (err == 0)
        err = find_entry(fs, dir, &dip, name, len, &slot, ino);
    if (err == 0)
        err = ext2_read_inode(fs, *ino, &ip);
    if (err != 0)
        return err;
    if (rmdir) {
        if (!is_dir_mode(ip.i_mode))
            return -ENOTDIR;
        err = dir_is_empty(fs, *ino, &empty);
        if (err != 0)
            return err;
        if (!empty)
            return -ENOTEMPTY;
    } else if (is_dir_mode(ip.i_mode)) {
        return -EISDIR;
    }
    err = ext2_begin_change(fs);
    if (err == 0)
        err = remove_entry(fs, dir, &dip, &slot);
    if (err != 0)
        return err;
    if (rmdir) {
        ip.i_links_count = 0;
        ip.i_ctime = ext2_now(fs);
        err = ext2_write_inode(fs, *ino, &ip);
        if (err == 0)
            err = adjust_links(fs, dir, -1);
        *last = true;
        return err;
    }
    err = adjust_links(fs, *ino, -1);
    if (err == 0)
        err = ext2_read_inode(fs, *ino, &ip);
    *last = err == 0 && ip.i_links_count == 0;
    return err;
}

int ext2_is_ancestor(struct ext2_fs *fs, uint32_t dir, uint32_t ino, bool *result)
{
    uint32_t cur = ino;

    for (int steps = 0; steps < MAX_ANCESTRY; steps++) {
        uint32_t parent;
        int err;
        if (cur == dir) {
            *result = true;
            return 0;
        }
        if (cur == EXT2_ROOT_INO) {
            *result = false;
            return 0;
        }
        err = ext2_lookup(fs, cur, "..", 2, &parent);
        if (err != 0)
            return err == -ENOENT ? -EUCLEAN : err;
        cur = parent;
    }
    return -EUCLEAN;
}

static int rename_exchange(struct ext2_fs *fs, uint32_t odir, struct ext2_inode *odip,
                           const struct dir_slot *oslot, uint32_t oino, uint32_t ndir,
                           struct ext2_inode *ndip, const struct dir_slot *nslot, uint32_t nino)
{
    struct ext2_inode oip, nip;
    int err = ext2_read_inode(fs, oino, &oip);

    if (err == 0)
        err = ext2_read_inode(fs, nino, &nip);
    if (err == 0)
        err = ext2_begin_change(fs);
    if (err == 0)
        err = retarget_entry(fs, nslot, oino, file_type_of(fs, oip.i_mode));
    if (err == 0)
        err = retarget_entry(fs, oslot, nino, file_type_of(fs, nip.i_mode));
    if (err != 0 || odir == ndir)
        goto out;
    /* Directories changing parents: fix "..", and the parents' link counts. */
    if (is_dir_mode(oip.i_mode)) {
        err = set_dotdot(fs, oino, ndir);
        if (err == 0)
            err = adjust_links(fs, ndir, 1);
        if (err == 0)
            err = adjust_links(fs, odir, -1);
    }
    if (err == 0 && is_dir_mode(nip.i_mode)) {
        err = set_dotdot(fs, nino, odir);
        if (err == 0)
            err = adjust_links(fs, odir, 1);
        if (err == 0)
            err = adjust_links(fs, ndir, -1);
    }
out:
    if (err == 0 && dir_inode(fs, odir, odip) == 0) {
        touch_dir(fs, odip);
        err = ext2_write_inode(fs, odir, odip);
    }
    if (err == 0 && ndir != odir && dir_inode(fs, ndir, ndip) == 0) {
        touch_dir(fs, ndip);
        err = ext2_write_inode(fs, ndir, ndip);
    }
    return err;
}

int ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
                const char *nname, size_t nlen, unsigned int flags, uint32_t *victim, bool *last)
{
    struct ext2_inode odip, ndip, ip, vip;
    struct dir_slot oslot, nslot;
    uint32_t ino, vino = 0;
    bool src_dir, empty;
    int err;

    *victim = 0;
    *last = false;
    if (olen > EXT2_NAME_LEN || nlen > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
        return -EINVAL;
    err = dir_inode(fs, odir, &odip);
    if (err == 0)
        err = dir_inode(fs, ndir, &ndip);
    if (err == 0)
        err = find_entry(fs, odir, &odip, oname, olen, &oslot, &ino);
    if (err == 0)
        err = ext2_read_inode(fs, ino, &ip);
    if (err != 0)
        return err;
    src_dir = is_dir_mode(ip.i_mode);
    err = find_entry(fs, ndir, &ndip, nname, nlen, &nslot, &vino);
    if (err != 0 && err != -ENOENT)
        return err;
    if (err == -ENOENT)
        vino = 0;
    if (flags & RENAME_EXCHANGE) {
        if (vino == 0)
            return -ENOENT;
        if (vino == ino)
            return 0;
        return rename_exchange(fs, odir, &odip, &oslot, ino, ndir, &ndip, &nslot, vino);
    }
    if (vino != 0) {
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
        if (vino == ino)
            return 0; /* two names of one inode: nothing to do */
        err = ext2_read_inode(fs, vino, &vip);
        if (err != 0)
            return err;
        if (src_dir && !is_dir_mode(vip.i_mode))
            return -ENOTDIR;
        if (!src_dir && is_dir_mode(vip.i_mode))
            return -EISDIR;
        if (is_dir_mode(vip.i_mode)) {
            err = dir_is_empty(fs, vino, &empty);
            if (err != 0)
                return err;
            if (!empty)
                return -ENOTEMPTY;
        }
    } else if (src_dir && odir != ndir && ndip.i_links_count >= EXT2_LINK_MAX) {
        return -EMLINK;
    }
    err = ext2_begin_change(fs);
    if (err != 0)
        return err;
    /* The new name first. */
    if (vino != 0) {
        err = retarget_entry(fs, &nslot, ino, file_type_of(fs, ip.i_mode));
        if (err == 0) {
            touch_dir(fs, &ndip);
            err = ext2_write_inode(fs, ndir, &ndip);
        }
    } else {
        err = add_entry(fs, ndir, &ndip, nname, nlen, ino, file_type_of(fs, ip.i_mode));
    }
    if (err != 0)
        return err;
    /* Then the old name goes (re-found: adding may have moved nothing, but be sure). */
    err = dir_inode(fs, odir, &odip);
    if (err == 0)
        err = find_entry(fs, odir, &odip, oname, olen, &oslot, &ino);
    if (err == 0)
        err = remove_entry(fs, odir, &odip, &oslot);
    if (err != 0)
        return err;
    if (src_dir && odir != ndir) {
        err = set_dotdot(fs, ino, ndir);
        if (err == 0)
            err = adjust_links(fs, odir, -1);
        if (err == 0 && (vino == 0 || !is_dir_mode(vip.i_mode)))
            err = adjust_links(fs, ndir, 1);
    } else if (src_dir && vino != 0 && is_dir_mode(vip.i_mode)) {
        /* Same parent: the replaced directory's ".." link goes away. */
        err = adjust_links(fs, ndir, -1);
    }
    if (err == 0) {
        err = ext2_read_inode(fs, ino, &ip);
        if (err == 0) {
            ip.i_ctime = ext2_now(fs);
            err = ext2_write_inode(fs, ino, &ip);
        }
    }
    if (err == 0 && vino != 0) {
        /* The replaced inode loses this name (a directory loses both links). */
        if (is_dir_mode(vip.i_mode)) {
            vip.i_links_count = 0;
            vip.i_ctime = ext2_now(fs);
            err = ext2_write_inode(fs, vino, &vip);
        } else {
            err = adjust_links(fs, vino, -1);
            if (err == 0)
                err = ext2_read_inode(fs, vino, &vip);
        }
        *victim = vino;
        *last = err == 0 && vip.i_links_count == 0;
    }
    return err;
}
