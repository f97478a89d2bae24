/*
 * ext2 on the host: images made by mke2fs (-d fills them from a directory),
 * driven through the ext2 core over a file-backed block device, checked
 * by reading back after a remount and by `e2fsck -fn`.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/ext2/ext2.h"
#include "lib/errno.h"
#include "storage/filedev.h"

#define CACHE_BYTES (1 << 20)

struct img {
    char dir[64];
    char path[96];
    int file;
    struct filedev dev;
    struct ext2_fs fs;
};

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), fmt, a, b);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Make an image of mib MiB with block size bs, filled from a populated directory. */
static void img_make(struct img *im, int mib, int bs)
{
    char opts[64];

    strcpy(im->dir, "/tmp/ext2test.XXXXXX");
    cr_assert_not_null(mkdtemp(im->dir));
    snprintf(im->path, sizeof(im->path), "%s/disk.img", im->dir);
    sh("mkdir -p %s/src/sub/deeper && echo 'hello, ext2' > %s/src/hello.txt", im->dir, im->dir);
    sh("ln -s hello.txt %s/src/fast-link && head -c 300000 /dev/urandom > %s/src/sub/random.bin",
       im->dir, im->dir);
    sh("ln -s $(printf 'x%%.0s' $(seq 1 100))/target %s/src/slow-link && true %s", im->dir, "");
    snprintf(opts, sizeof(opts), "-b %d", bs);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 %s -d %s/src %s %dM >/dev/null", opts, im->dir,
             im->path, mib);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void img_mount(struct img *im, bool ro)
{
    struct stat st;

    im->file = open(im->path, O_RDWR);
    cr_assert_geq(im->file, 0);
    fstat(im->file, &st);
    filedev_init(&im->dev, im->file, (uint64_t)st.st_size);
    cr_assert_eq(ext2_mount(&im->fs, &im->dev.bd, ro, CACHE_BYTES), 0);
}

static void img_unmount(struct img *im)
{
    cr_assert_eq(ext2_unmount(&im->fs), 0);
    close(im->file);
}

static void img_fsck(struct img *im)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "e2fsck -fn %s > %s/fsck.log 2>&1", im->path, im->dir);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof(cmd), "cat %s/fsck.log >&2", im->dir);
        system(cmd);
    }
    cr_assert_eq(rc, 0, "e2fsck -fn reports problems");
}

static void img_remove(struct img *im)
{
    sh("rm -rf %s %s", im->dir, "");
}

static ssize_t copy_out(void *ctx, void *data, size_t n)
{
    uint8_t **p = ctx;
    memcpy(*p, data, n);
    *p += n;
    return (ssize_t)n;
}

static ssize_t copy_in(void *ctx, void *data, size_t n)
{
    const uint8_t **p = ctx;
    memcpy(data, *p, n);
    *p += n;
    return (ssize_t)n;
}

static ssize_t rd(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    return ext2_file_io(fs, ino, off, len, false, copy_out, &p);
}

static ssize_t wr(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    return ext2_file_io(fs, ino, off, len, true, copy_in, &p);
}

static uint32_t walk(struct ext2_fs *fs, const char *path)
{
    uint32_t ino = EXT2_ROOT_INO;
    char tmp[256], *save, *part;

    strcpy(tmp, path);
    for (part = strtok_r(tmp, "/", &save); part != NULL; part = strtok_r(NULL, "/", &save))
        cr_assert_eq(ext2_lookup(fs, ino, part, strlen(part), &ino), 0, "lookup %s", part);
    return ino;
}

static void read_mke2fs_image(int bs)
{
    struct img im;
    char buf[64] = {0};
    struct ext2_inode ip;
    uint32_t ino;
    uint8_t *data = malloc(300000), *want;
    FILE *f;

    img_make(&im, 8, bs);
    img_mount(&im, true);
    ino = walk(&im.fs, "hello.txt");
    cr_assert_eq(rd(&im.fs, ino, 0, buf, sizeof(buf)), 12);
    cr_assert_str_eq(buf, "hello, ext2\n");
    memset(buf, 0, sizeof(buf));
    ino = walk(&im.fs, "fast-link");
    cr_assert_eq(ext2_readlink(&im.fs, ino, buf, sizeof(buf)), 9);
    cr_assert_str_eq(buf, "hello.txt");
    ino = walk(&im.fs, "slow-link");
    char lbuf[256] = {0};
    cr_assert_eq(ext2_readlink(&im.fs, ino, lbuf, sizeof(lbuf)), 107);
    cr_assert(strncmp(lbuf + 100, "/target", 7) == 0);
    ino = walk(&im.fs, "sub/random.bin");
    cr_assert_eq(ext2_read_inode(&im.fs, ino, &ip), 0);
    cr_assert_eq(ext2_inode_size(&ip), 300000);
    cr_assert_eq(rd(&im.fs, ino, 0, data, 300000), 300000);
    want = malloc(300000);
    char p[128];
    snprintf(p, sizeof(p), "%s/src/sub/random.bin", im.dir);
    f = fopen(p, "rb");
    cr_assert_eq(fread(want, 1, 300000, f), 300000);
    fclose(f);
    cr_assert(memcmp(data, want, 300000) == 0, "file data differs (indirect blocks)");
    cr_assert_eq(ext2_lookup(&im.fs, EXT2_ROOT_INO, "nope", 4, &ino), -ENOENT);
    img_unmount(&im);
    img_remove(&im);
    free(data);
    free(want);
}

Test(ext2, reads_mke2fs_image_1k)
{
    read_mke2fs_image(1024);
}

Test(ext2, reads_mke2fs_image_4k)
{
    read_mke2fs_image(4096);
}

struct names {
    char seen[64][32];
    int n;
};

static bool collect(void *ctx, const char *name, size_t len, uint32_t ino, uint8_t type,
                    uint64_t next)
{
    struct names *ns = ctx;
    (void)ino;
    (void)type;
    (void)next;
    if (ns->n < 64) {
        memcpy(ns->seen[ns->n], name, len < 31 ? len : 31);
        ns->seen[ns->n][len < 31 ? len : 31] = 0;
        ns->n++;
    }
    return true;
}

static bool has(struct names *ns, const char *name)
{
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->seen[i], name) == 0)
            return true;
    return false;
}

static void write_and_check(int bs)
{
    struct img im;
    uint32_t dir, f, l, victim;
    bool last;
    struct ext2_inode ip;
    static uint8_t big[200000], back[200000];
    struct names ns = {0};
    uint64_t pos = 0;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + i / 251);
    img_make(&im, 16, bs);
    img_mount(&im, false);
    cr_assert_eq(ext2_create(&im.fs, EXT2_ROOT_INO, "dir", 3, 040755, 0, 0, 0, NULL, &dir), 0);
    cr_assert_eq(ext2_create(&im.fs, dir, "file", 4, 0100644, 1000, 1000, 0, NULL, &f), 0);
    cr_assert_eq(ext2_create(&im.fs, dir, "file", 4, 0100644, 0, 0, 0, NULL, &l), -EEXIST);
    cr_assert_eq(wr(&im.fs, f, 0, big, sizeof(big)), (ssize_t)sizeof(big));
    /* A sparse file reaching past 4 GiB (triple indirect with 1 KiB blocks). */
    cr_assert_eq(ext2_create(&im.fs, dir, "sparse", 6, 0100600, 0, 0, 0, NULL, &l), 0);
    cr_assert_eq(wr(&im.fs, l, (5ull << 30) + 123, "tail", 4), 4);
    cr_assert_eq(wr(&im.fs, l, 10, "head", 4), 4);
    cr_assert_eq(ext2_create(&im.fs, dir, "sym", 3, 0120777, 0, 0, 0, "file", &l), 0);
    cr_assert_eq(ext2_link(&im.fs, EXT2_ROOT_INO, "hard", 4, f), 0);
    cr_assert_eq(ext2_create(&im.fs, dir, "gone", 4, 0100644, 0, 0, 0, NULL, &l), 0);
    cr_assert_eq(wr(&im.fs, l, 0, big, 50000), 50000);
    cr_assert_eq(ext2_unlink(&im.fs, dir, "gone", 4, false, &l, &last), 0);
    cr_assert(last);
    cr_assert_eq(ext2_release_inode(&im.fs, l), 0);
    cr_assert_eq(ext2_create(&im.fs, dir, "sub", 3, 040700, 0, 0, 0, NULL, &l), 0);
    cr_assert_eq(ext2_rename(&im.fs, dir, "sub", 3, EXT2_ROOT_INO, "moved", 5, 0, &victim, &last),
                 0);
    cr_assert_eq(ext2_unlink(&im.fs, EXT2_ROOT_INO, "dir", 3, true, &l, &last), -ENOTEMPTY);
    cr_assert_eq(ext2_unlink(&im.fs, EXT2_ROOT_INO, "hello.txt", 9, false, &l, &last), 0);
    cr_assert_eq(ext2_release_inode(&im.fs, l), 0);
    cr_assert_eq(ext2_truncate(&im.fs, walk(&im.fs, "sub/random.bin"), 5000), 0);
    img_unmount(&im);
    img_fsck(&im);

    img_mount(&im, false);
    f = walk(&im.fs, "dir/file");
    cr_assert_eq(rd(&im.fs, f, 0, back, sizeof(back)), (ssize_t)sizeof(back));
    cr_assert(memcmp(big, back, sizeof(big)) == 0);
    cr_assert_eq(walk(&im.fs, "hard"), f);
    cr_assert_eq(ext2_read_inode(&im.fs, f, &ip), 0);
    cr_assert_eq(ip.i_links_count, 2);
    cr_assert_eq(ip.i_uid, 1000);
    l = walk(&im.fs, "dir/sparse");
    cr_assert_eq(ext2_read_inode(&im.fs, l, &ip), 0);
    cr_assert_eq(ext2_inode_size(&ip), (5ull << 30) + 127);
    cr_assert_lt(ip.i_blocks, 64, "a sparse file stays sparse");
    char b4[5] = {0};
    cr_assert_eq(rd(&im.fs, l, (5ull << 30) + 123, b4, 4), 4);
    cr_assert_str_eq(b4, "tail");
    cr_assert_eq(rd(&im.fs, l, 3ull << 30, b4, 4), 4);
    cr_assert(memcmp(b4, "\0\0\0\0", 4) == 0, "holes read as zeros");
    cr_assert_eq(ext2_readdir(&im.fs, walk(&im.fs, "dir"), &pos, collect, &ns), 0);
    cr_assert(has(&ns, ".") && has(&ns, "..") && has(&ns, "file") && has(&ns, "sym"));
    cr_assert_not(has(&ns, "gone") || has(&ns, "sub"));
    cr_assert_eq(ext2_lookup(&im.fs, walk(&im.fs, "moved"), "..", 2, &l), 0);
    cr_assert_eq(l, EXT2_ROOT_INO);
    /* Rename over an existing file, then free everything in dir. */
    cr_assert_eq(ext2_rename(&im.fs, EXT2_ROOT_INO, "hard", 4, walk(&im.fs, "dir"), "sym", 3, 0,
                             &victim, &last),
                 0);
    cr_assert(last);
    cr_assert_eq(ext2_release_inode(&im.fs, victim), 0);
    cr_assert_eq(ext2_truncate(&im.fs, walk(&im.fs, "dir/sparse"), 0), 0);
    img_unmount(&im);
    img_fsck(&im);
    img_remove(&im);
}

Test(ext2, write_remount_fsck_1k)
{
    write_and_check(1024);
}

Test(ext2, write_remount_fsck_4k)
{
    write_and_check(4096);
}

Test(ext2, fills_up_with_enospc)
{
    struct img im;
    uint32_t f;
    static uint8_t chunk[65536];
    ssize_t n = 0;
    uint64_t off = 0;

    img_make(&im, 4, 1024);
    img_mount(&im, false);
    cr_assert_eq(ext2_create(&im.fs, EXT2_ROOT_INO, "fill", 4, 0100644, 0, 0, 0, NULL, &f), 0);
    while ((n = wr(&im.fs, f, off, chunk, sizeof(chunk))) == (ssize_t)sizeof(chunk))
        off += (uint64_t)n;
    if (n > 0) {
        off += (uint64_t)n;
        n = wr(&im.fs, f, off, chunk, sizeof(chunk));
    }
    cr_assert_eq(n, -ENOSPC);
    img_unmount(&im);
    img_fsck(&im);
    img_remove(&im);
}

Test(ext2, fsync_order_flush_after_writes)
{
    struct img im;
    uint32_t f;

    img_make(&im, 8, 4096);
    img_mount(&im, false);
    cr_assert_eq(ext2_create(&im.fs, EXT2_ROOT_INO, "x", 1, 0100644, 0, 0, 0, NULL, &f), 0);
    cr_assert_eq(wr(&im.fs, f, 0, "data", 4), 4);
    unsigned long w = im.dev.writes;
    cr_assert_eq(ext2_sync(&im.fs), 0);
    cr_assert_gt(im.dev.writes, w, "sync wrote the dirty blocks");
    cr_assert_eq(im.dev.writes_at_flush, im.dev.writes, "the last flush came after the last write");
    img_unmount(&im);
    img_remove(&im);
}

/* Corrupt images fail with -EINVAL / -EUCLEAN, never crash. */
static void patch(const char *path, long off, const void *bytes, size_t n)
{
    int fd = open(path, O_RDWR);
    cr_assert_eq(pwrite(fd, bytes, n, off), (ssize_t)n);
    close(fd);
}

Test(ext2, corrupt_superblocks_are_rejected)
{
    struct img im;
    struct {
        long off;
        uint32_t v;
        int want;
    } cases[] = {
        {1024 + 56, 0x1234, -EINVAL},      /* magic */
        {1024 + 24, 30, -EUCLEAN},         /* log block size */
        {1024 + 32, 0, -EUCLEAN},          /* blocks per group */
        {1024 + 40, 0xffffffff, -EUCLEAN}, /* inodes per group */
        {1024 + 4, 0x7fffffff, -EUCLEAN},  /* blocks count beyond the device */
        {1024 + 0, 7, -EUCLEAN},           /* inodes count */
        {2048 + 8, 0x7ffffff0, -EUCLEAN},  /* inode table of group 0 */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stat st;
        img_make(&im, 8, 1024);
        patch(im.path, cases[i].off, &cases[i].v, cases[i].off == 1024 + 56 ? 2 : 4);
        im.file = open(im.path, O_RDWR);
        fstat(im.file, &st);
        filedev_init(&im.dev, im.file, (uint64_t)st.st_size);
        cr_assert_eq(ext2_mount(&im.fs, &im.dev.bd, false, CACHE_BYTES), cases[i].want, "case %zu",
                     i);
        close(im.file);
        img_remove(&im);
    }
}

Test(ext2, corrupt_directory_and_block_pointers)
{
    struct img im;
    struct ext2_inode ip;
    uint32_t ino, pblock;
    char buf[16];
    uint64_t pos = 0;
    struct names ns = {0};

    img_make(&im, 8, 1024);
    img_mount(&im, false);
    /* Scribble over the root directory's first block. */
    cr_assert_eq(ext2_read_inode(&im.fs, EXT2_ROOT_INO, &ip), 0);
    pblock = ip.i_block[0];
    img_unmount(&im);
    uint8_t junk[1024];
    memset(junk, 0xa5, sizeof(junk));
    patch(im.path, (long)pblock * 1024, junk, sizeof(junk));
    img_mount(&im, false);
    cr_assert_eq(ext2_lookup(&im.fs, EXT2_ROOT_INO, "hello.txt", 9, &ino), -EUCLEAN);
    cr_assert_eq(ext2_readdir(&im.fs, EXT2_ROOT_INO, &pos, collect, &ns), -EUCLEAN);
    cr_assert_eq(ext2_create(&im.fs, EXT2_ROOT_INO, "new", 3, 0100644, 0, 0, 0, NULL, &ino),
                 -EUCLEAN);
    /* An inode whose block pointer leaves the disk. */
    memset(&ip, 0, sizeof(ip));
    ip.i_mode = 0100644;
    ip.i_links_count = 1;
    ip.i_size = 4096;
    ip.i_block[1] = 0x7fffffff;
    cr_assert_eq(ext2_write_inode(&im.fs, 12, &ip), 0);
    ssize_t got = rd(&im.fs, 12, 0, buf, sizeof(buf));
    cr_assert_eq(got, sizeof(buf), "block 0 is a hole: got %zd", got);
    cr_assert_eq(rd(&im.fs, 12, 1024, buf, sizeof(buf)), -EUCLEAN);
    cr_assert_eq(ext2_read_inode(&im.fs, 0, &ip), -EUCLEAN);
    cr_assert_eq(ext2_read_inode(&im.fs, 0x7fffffff, &ip), -EUCLEAN);
    im.fs.readonly = true; /* do not write the damage back */
    ext2_unmount(&im.fs);
    close(im.file);
    img_remove(&im);
}

Test(ext2, io_errors_are_reported)
{
    struct img im;
    uint32_t ino;

    img_make(&im, 8, 1024);
    img_mount(&im, true);
    im.dev.fail_io = true;
    cr_assert_eq(ext2_lookup(&im.fs, EXT2_ROOT_INO, "hello.txt", 9, &ino), -EIO);
    im.dev.fail_io = false;
    img_unmount(&im);
    img_remove(&im);
}
