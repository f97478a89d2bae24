/*
 * ext2.h - the ext2 file system core: everything that reads or changes
 * the on-disk structures, working on inode numbers through the block
 * cache. It has no VFS or scheduler dependencies, so the host unit tests
 * run it over an image file made by mke2fs and check the result with
 * e2fsck. ext2_vfs.c connects it to the kernel's VFS.
 *
 * Layers, bottom up (files):
 *   ext2_super.c   mount-time validation of the superblock and group
 *                  descriptors; block and inode bitmaps; sync
 *   ext2_inode.c   on-disk inodes, the block map (direct, 1-, 2-, 3-level
 *                  indirect), file data, truncation
 *   ext2_dir.c     directory entries, and the namespace operations built
 *                  on them (create, link, unlink, rename)
 *
 * Locking: none here. Every function expects the caller to serialize all
 * calls for one file system (ext2_vfs.c holds fs->lock around them).
 *
 * Robustness: every number read from the disk is checked before use; a
 * bad one gives -EUCLEAN (Linux's EFSCORRUPTED) and a message, never a
 * crash. I/O errors give -EIO.
 */
#pragma once

#include "drivers/block/bdev.h"
#include "fs/ext2/ext2_fs.h"

#ifndef EUCLEAN
#define EUCLEAN 117 /* "Structure needs cleaning": Linux's EFSCORRUPTED */
#endif

struct ext2_fs {
    struct block_device *bd;
    struct bcache *cache;
    struct ext2_super_block sb; /* in-memory copy; written back by ext2_sync */
    uint32_t block_size;
    uint32_t addr_per_block; /* block numbers per indirect block */
    uint32_t groups;
    uint32_t inode_size;
    uint32_t first_ino;
    uint32_t gd_block; /* first block of the group descriptor table */
    uint32_t gd_blocks;
    struct ext2_group_desc *gd; /* in-memory copy of the table */
    bool readonly;
    bool dirty;   /* superblock or descriptors changed since the last sync */
    bool clean;   /* the disk's s_state says VALID (everything synced) */
    uint32_t now; /* test hook: fixed time when non-zero */
};

/* ---- ext2_super.c ---- */

/*
 * Mount the file system on bd: read and validate the superblock and the
 * group descriptors. readonly is forced when the device or the features
 * require it. cache_bytes bounds the block cache. 0, -EINVAL (not ext2 or
 * unsupported features: a message says which), -EUCLEAN, -EIO, -ENOMEM.
 */
int ext2_mount(struct ext2_fs *fs, struct block_device *bd, bool readonly, size_t cache_bytes);
/* Write back everything, flush the device (ordered), free the memory. */
int ext2_unmount(struct ext2_fs *fs);
/* Write the superblock, descriptors and every dirty block, then flush. */
int ext2_sync(struct ext2_fs *fs);
/* Before the first change after a sync: mark the disk "not clean". 0 or -errno. */
int ext2_begin_change(struct ext2_fs *fs);

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
void ext2_free_block(struct ext2_fs *fs, uint32_t block);
/* A new inode number near group `group_hint`; is_dir spreads directories out. */
int ext2_alloc_inode(struct ext2_fs *fs, uint32_t group_hint, bool is_dir, uint32_t *out);
void ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool is_dir);
bool ext2_block_valid(const struct ext2_fs *fs, uint32_t block);
uint32_t ext2_now(const struct ext2_fs *fs);

/* ---- ext2_inode.c ---- */

int ext2_read_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *out);
int ext2_write_inode(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
uint64_t ext2_inode_size(const struct ext2_inode *ip);
void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t size);
/* Largest file size this block size allows. */
uint64_t ext2_max_size(const struct ext2_fs *fs);

/*
 * Map logical block lblock of ip to a disk block in *out (0: a hole).
 * With alloc, holes are filled with new zeroed blocks (ip's i_blocks and
 * i_block change: the caller writes ip back). 0 or -errno.
 */
int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint64_t lblock, bool alloc,
              uint32_t *out);

/* Copy n bytes between a block's data and the caller's buffer. Returns n or -errno. */
typedef ssize_t (*ext2_copy_fn)(void *ctx, void *data, size_t n);

/*
 * Read (write false) or write len bytes of file ino at off, moving data
 * with copy. Reads stop at the end of file; writes extend it, filling
 * holes, and update size/mtime/ctime. Returns the bytes moved or -errno
 * (-EFBIG past the largest size, -ENOSPC when the disk is full).
 */
ssize_t ext2_file_io(struct ext2_fs *fs, uint32_t ino, uint64_t off, size_t len, bool write,
                     ext2_copy_fn copy, void *ctx);
/* Set the size of ino, freeing blocks past the end. 0 or -errno. */
int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);
/* ino's last link and last user are gone: free its blocks and the inode. */
int ext2_release_inode(struct ext2_fs *fs, uint32_t ino);
/* Read a symlink's target (fast or slow) into buf; returns its length or -errno. */
ssize_t ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size);

/* ---- ext2_dir.c ---- */

/* Called per entry; return false to stop. pos is the offset after the entry. */
typedef bool (*ext2_dir_fn)(void *ctx, const char *name, size_t len, uint32_t ino,
                            uint8_t file_type, uint64_t next_pos);

int ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino);
/* List dir from byte offset *pos (0: start); advances *pos past delivered entries. */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, ext2_dir_fn fn, void *ctx);

/*
 * Create name in dir: a regular file, device, fifo or socket (mode's
 * type), a directory (with . and ..), or with target != NULL a symlink.
 * 0 and *ino, or -EEXIST, -ENOSPC, -ENAMETOOLONG, -EMLINK, -EUCLEAN, -EIO.
 */
int ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t mode,
                uint32_t uid, uint32_t gid, uint32_t rdev, const char *target, uint32_t *ino);
/* A hard link to ino (not a directory) as name in dir. */
int ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino);
/*
 * Remove name from dir (rmdir: it must be an empty directory; else it
 * must not be a directory). *ino gets the removed inode and *last whether
 * that was its last link (the caller frees it with ext2_release_inode once
 * nobody has it open).
 */
int ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, bool rmdir,
                uint32_t *ino, bool *last);
/*
 * rename(2) within the file system: replaces an existing target of a
 * compatible type (a directory only if empty). *victim and *last report a
 * replaced inode as for unlink (*victim 0: none). RENAME_NOREPLACE and
 * RENAME_EXCHANGE flags as Linux. The caller checks that a directory is
 * not moved into itself.
 */
int ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname, size_t olen, uint32_t ndir,
                const char *nname, size_t nlen, unsigned int flags, uint32_t *victim, bool *last);
/* Is dir an ancestor of (or equal to) ino? Walks "..". */
int ext2_is_ancestor(struct ext2_fs *fs, uint32_t dir, uint32_t ino, bool *result);
