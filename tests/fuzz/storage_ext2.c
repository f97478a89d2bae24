/*
 * storage_ext2.c - libFuzzer target: the ext2 core on an arbitrary image.
 * The input (padded to IMAGE_SIZE) is the disk; the target mounts it, walks
 * and reads everything reachable from the root, then creates, writes,
 * renames and removes, and syncs. Any crash or sanitizer report is a bug:
 * a corrupt image must only give -EUCLEAN / -EIO / -EINVAL.
 * Seeds: small images made by mke2fs -d (tests/host/storage.mk).
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/block/blkenv.h"
#include "fs/ext2/ext2.h"

#define IMAGE_SIZE (256 * 1024)
#define MAX_VISITS 64

static uint8_t *disk;

void *blk_zalloc(size_t size)
{
    return calloc(1, size);
}

void blk_free(void *p)
{
    free(p);
}

int64_t blk_time_now(void)
{
    return 1700000000;
}

static int mem_rw(struct block_device *bd, struct bio *bios, unsigned int n)
{
    (void)bd;
    for (unsigned int i = 0; i < n; i++) {
        uint64_t off = bios[i].sector * SECTOR_SIZE;
        bios[i].status = 0;
        if (bios[i].op == BIO_FLUSH)
            continue;
        if (off + bios[i].len > IMAGE_SIZE) {
            bios[i].status = -5;
            continue;
        }
        if (bios[i].op == BIO_READ)
            memcpy(bios[i].buf, disk + off, bios[i].len);
        else
            memcpy(disk + off, bios[i].buf, bios[i].len);
    }
    return 0;
}

static const struct bdev_ops mem_ops = {.rw = mem_rw};

static ssize_t sink(void *ctx, void *data, size_t n)
{
    volatile uint8_t *acc = ctx;
    for (size_t i = 0; i < n; i += 64)
        *acc ^= ((uint8_t *)data)[i];
    return (ssize_t)n;
}

static ssize_t source(void *ctx, void *data, size_t n)
{
    (void)ctx;
    memset(data, 'z', n);
    return (ssize_t)n;
}

struct walk {
    uint32_t inos[MAX_VISITS];
    int n;
};

static bool note(void *ctx, const char *name, size_t len, uint32_t ino, uint8_t type, uint64_t next)
{
    struct walk *w = ctx;
    (void)type;
    (void)next;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    if (w->n < MAX_VISITS)
        w->inos[w->n++] = ino;
    return w->n < MAX_VISITS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct block_device bd = {
        .nsectors = IMAGE_SIZE / SECTOR_SIZE, .can_flush = true, .ops = &mem_ops};
    struct ext2_fs fs;
    struct walk w = {.n = 0};
    uint8_t acc = 0;
    uint64_t pos = 0;
    uint32_t ino, victim;
    bool last;
    char link[128];

    disk = calloc(1, IMAGE_SIZE);
    memcpy(disk, data, size < IMAGE_SIZE ? size : IMAGE_SIZE);
    if (ext2_mount(&fs, &bd, false, 64 * 1024) != 0) {
        free(disk);
        return 0;
    }
    ext2_readdir(&fs, EXT2_ROOT_INO, &pos, note, &w);
    for (int i = 0; i < w.n; i++) {
        struct ext2_inode ip;
        uint64_t p2 = 0;
        if (ext2_read_inode(&fs, w.inos[i], &ip) != 0)
            continue;
        ext2_file_io(&fs, w.inos[i], 0, 65536, false, sink, &acc);
        ext2_readlink(&fs, w.inos[i], link, sizeof(link));
        ext2_readdir(&fs, w.inos[i], &p2, note, &w);
    }
    if (ext2_create(&fs, EXT2_ROOT_INO, "fz", 2, 0100644, 0, 0, 0, NULL, &ino) == 0) {
        ext2_file_io(&fs, ino, 5000, 9000, true, source, NULL);
        ext2_truncate(&fs, ino, 100);
        ext2_rename(&fs, EXT2_ROOT_INO, "fz", 2, EXT2_ROOT_INO, "fy", 2, 0, &victim, &last);
        if (ext2_unlink(&fs, EXT2_ROOT_INO, "fy", 2, false, &victim, &last) == 0 && last)
            ext2_release_inode(&fs, victim);
    }
    if (ext2_create(&fs, EXT2_ROOT_INO, "dz", 2, 040755, 0, 0, 0, NULL, &ino) == 0)
        ext2_unlink(&fs, EXT2_ROOT_INO, "dz", 2, true, &victim, &last);
    for (int i = 0; i < w.n && i < 4; i++) {
        if (ext2_unlink(&fs, EXT2_ROOT_INO, "x", 1, false, &victim, &last) == 0 && last)
            ext2_release_inode(&fs, victim);
        ext2_truncate(&fs, w.inos[i], 0);
    }
    ext2_unmount(&fs);
    free(disk);
    return 0;
}
