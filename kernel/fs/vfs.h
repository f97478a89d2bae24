/*
 * vfs.h - the virtual file system: inodes, mounts, paths and open files.
 *
 * Layers, bottom up:
 *   inode      one file system object (file, directory, symlink, device,
 *              pipe...) with inode_ops for namespace operations and
 *              file_ops for I/O once opened; reference counted.
 *   mount      a file system grafted onto a directory; the root mount has
 *              none. A struct path is (mount, inode): where you are.
 *   namei      path resolution: ".", "..", symlinks (40 at most), mount
 *              crossings, AT_FDCWD and dirfd-relative starts, O_NOFOLLOW,
 *              trailing slashes (namei.c).
 *   file       an open file description: ops, position, flags, shared by
 *              every fd that dup()s it (file.c); the fd table maps numbers
 *              to files (fdtable.c).
 * I/O goes through a struct uio, which hides whether the buffers are in
 * user or kernel memory.
 *
 * Locking: inode->lock (a mutex) serializes changes to an inode and, for
 * directories, to its entries. Reference counts are atomic. mount_lock
 * guards the mount list.
 */
#pragma once

#include "lib/list.h"
#include "linux/uapi.h"
#include "sched/mutex.h"
#include "sched/waitq.h"

/* ---- Linux constants ---- */

#define O_ACCMODE 0003
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_ASYNC 020000
#define O_DIRECT 040000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_SYNC 04010000
#define O_PATH 010000000
#define O_TMPFILE 020200000

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_EACCESS 0x200

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

#define PATH_MAX 4096
#define NAME_MAX 255
#define MAX_SYMLINKS 40

/* Linux struct stat (x86-64), 144 bytes. */
struct k_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    struct k_timespec st_atim;
    struct k_timespec st_mtim;
    struct k_timespec st_ctim;
    int64_t reserved[3];
};
_Static_assert(sizeof(struct k_stat) == 144, "struct stat");

struct k_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};

struct k_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t pad1;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct k_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor;
    uint32_t stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
_Static_assert(sizeof(struct k_statx) == 256, "struct statx");
#define STATX_BASIC_STATS 0x7ffu

/* ---- I/O buffers ---- */

/*
 * A uio describes the buffers of one read or write: an iovec array in user
 * memory (readv/writev) or kernel memory. Copies advance it.
 */
struct uio {
    struct k_iovec *iov; /* kernel copy of the iovec array */
    int iovcnt;
    int idx;      /* current iovec */
    size_t off;   /* offset inside it */
    size_t resid; /* bytes left */
    bool user;    /* iov_base are user addresses */
};

/* One user buffer. */
void uio_init_user(struct uio *u, struct k_iovec *iov, void *buf, size_t len);
/* One kernel buffer. */
void uio_init_kernel(struct uio *u, struct k_iovec *iov, void *buf, size_t len);
/* Copy n bytes from src into the uio's buffers. Returns bytes copied or -EFAULT. */
ssize_t uio_copy_to(struct uio *u, const void *src, size_t n);
/* Copy n bytes out of the uio's buffers into dst. Returns bytes or -EFAULT. */
ssize_t uio_copy_from(struct uio *u, void *dst, size_t n);
/*
 * Copy and check a user iovec array of cnt entries (at most 1024): 0, a
 * kmalloc'd copy in *out (kfree it) and the byte total; -EINVAL, -EFAULT, -ENOMEM.
 */
int get_iovec(const struct k_iovec *uiov, int cnt, struct k_iovec **out, size_t *total);

/* ---- inodes ---- */

struct inode;
struct file;
struct super_block;
struct poll_table;
struct path;
struct page;

/* Attribute changes for setattr. */
struct iattr {
    uint32_t valid; /* ATTR_* */
    uint32_t mode;
    uint32_t uid, gid;
    uint64_t size;
    struct k_timespec atime, mtime;
};
#define ATTR_MODE 0x1
#define ATTR_UID 0x2
#define ATTR_GID 0x4
#define ATTR_SIZE 0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20

/* getdents callback: return false to stop (buffer full). */
typedef bool (*filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino, unsigned int type,
                          uint64_t next_cookie);

struct inode_ops {
    /* Find name in dir; 0 and a referenced *out, or -ENOENT. */
    int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
    /* Create a regular file, device, fifo or socket node (by mode). */
    int (*create)(struct inode *dir, const char *name, size_t len, uint32_t mode, uint32_t rdev,
                  struct inode **out);
    int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode,
                 struct inode **out);
    int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target);
    int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
    int (*unlink)(struct inode *dir, const char *name, size_t len);
    int (*rmdir)(struct inode *dir, const char *name, size_t len);
    int (*rename)(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                  const char *nname, size_t nlen, unsigned int flags);
    ssize_t (*readlink)(struct inode *inode, char *buf, size_t size);
    /*
     * A "magic" symlink (procfs fd/N, cwd): the object it stands for, not
     * a name to walk. 0 and a referenced *out; -ENOSYS when this link is
     * an ordinary one (use readlink); -ENXIO when the object cannot be
     * reopened (sockets and other files outside any file system).
     */
    int (*get_link)(struct inode *inode, struct path *out);
    int (*setattr)(struct inode *inode, const struct iattr *attr);
    /* Directory listing from *cookie (0: start); updates *cookie. */
    int (*getdents)(struct inode *dir, uint64_t *cookie, filldir_t fill, void *ctx);
    /* The inode is no longer referenced or linked: free its storage. */
    void (*evict)(struct inode *inode);
    /*
     * File mappings (docs/vfs.md, "File mappings"). get_page returns in
     * *out, referenced (page_put), the page holding the file's bytes
     * [pgoff * PAGE_SIZE, +PAGE_SIZE): the file's own storage (tmpfs) or
     * its page-cache copy (pagecache_get_page). -ENXIO when that page
     * lies wholly past the end of the file, -ENOMEM, -EIO. May sleep;
     * called with no lock held. NULL: the file cannot be mapped (ENODEV).
     */
    int (*get_page)(struct inode *inode, uint64_t pgoff, struct page **out);
    /* For pagecache.c: read one page of the file into buf, zero past the
     * end; write len bytes of buf at page pgoff (never past the end). 0 or -errno. */
    int (*read_page)(struct inode *inode, uint64_t pgoff, void *buf);
    int (*write_page)(struct inode *inode, uint64_t pgoff, const void *buf, size_t len);
};

struct inode {
    uint64_t ino;
    uint32_t mode;
    uint32_t uid, gid;
    uint32_t nlink;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    uint32_t rdev;
    uint32_t seals; /* memfd F_SEAL_* bits, with INODE_SEALABLE on memfds (memfd.c) */
    struct k_timespec atime, mtime, ctime;
    int refs; /* atomic */
    struct super_block *sb;
    const struct inode_ops *iops;
    const struct file_ops *fops; /* how an open file behaves */
    void *priv;                  /* owned by the file system */
    struct mutex lock;
    struct waitq pollq; /* for pollable nodes (fifos) */
    /* Pages of a mapped file system without its own page store (pagecache.c);
     * NULL until first mapped, set once (atomically), freed at eviction. */
    struct pagecache *pcache;
    /* A named FIFO's buffer while any end is open (pipe.c); guarded by lock. */
    struct pipe *fifo;
};

/* Linux struct statfs (x86-64), 120 bytes: what statfs and fstatfs return. */
struct k_statfs {
    int64_t f_type; /* the file system's magic number */
    int64_t f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail;
    uint64_t f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags; /* ST_RDONLY ... */
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct k_statfs) == 120, "struct statfs");
#define ST_RDONLY 0x1
#define ST_NOSUID 0x2
#define ST_NODEV 0x4
#define ST_NOEXEC 0x8
#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define EXT2_SUPER_MAGIC 0xef53

struct super_block {
    const char *fstype;
    uint32_t dev; /* st_dev */
    struct inode *root;
    uint32_t flags; /* MS_RDONLY ... */
    uint64_t next_ino;
    /* statfs: fill the struct k_statfs at out (NULL: a memory file system's defaults). */
    int (*statfs)(struct super_block *sb, void *out);
    int (*sync)(struct super_block *sb);
    void *priv;
};
#define SB_RDONLY 0x1

/* Allocate an inode of sb with mode; refs = 1. NULL when out of memory. */
struct inode *inode_alloc(struct super_block *sb, uint32_t mode);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);
void inode_touch(struct inode *inode, bool atime, bool mtime, bool ctime);
void inode_stat(struct inode *inode, struct k_stat *st);
/* Register a character device's file_ops under (major, minor). */
int chrdev_register(uint32_t major, uint32_t minor, const struct file_ops *fops);
const struct file_ops *chrdev_lookup(uint32_t rdev);
/* The file_ops of block device rdev (drivers/block/bdev.c), or NULL. */
const struct file_ops *blkdev_lookup(uint32_t rdev);
#define MKDEV(ma, mi) (((uint32_t)(ma) << 8) | ((mi)&0xff) | (((uint32_t)(mi) & ~0xffu) << 12))
#define MAJOR(d) (((d) >> 8) & 0xfff)
#define MINOR(d) (((d)&0xff) | (((d) >> 12) & 0xfff00))

/* ---- mounts and paths ---- */

struct mount {
    struct super_block *sb;
    struct mount *parent;     /* NULL for the root mount */
    struct inode *mountpoint; /* in parent */
    char path[256];           /* where, for /proc/mounts */
    struct list_head link;    /* guarded by mount_lock */
};

struct path {
    struct mount *mnt;
    struct inode *inode;
};

void path_get(struct path *p);
void path_put(struct path *p);

/* The root of the namespace. */
extern struct path root_path;
/* Mount sb at the directory `at` (a path already resolved). 0 or -errno. */
int vfs_mount(struct super_block *sb, struct path *at, const char *where);
/* Make sb the root file system. */
void vfs_set_root(struct super_block *sb);
/* Format /proc/mounts. */
size_t vfs_format_mounts(char *buf, size_t size);

/* Per-process working directory, root and umask. */
struct fs_context {
    spinlock_t lock;
    struct path cwd;
    struct path root;
};

/* ---- name resolution (namei.c) ---- */

#define LOOKUP_FOLLOW 0x1    /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
#define LOOKUP_PARENT 0x4    /* stop at the parent of the last component */
#define LOOKUP_EMPTY 0x8     /* "" means the start directory itself */

/*
 * Resolve pathname (a kernel string) relative to dirfd (AT_FDCWD or an open
 * directory). On success *out holds a referenced path. With LOOKUP_PARENT,
 * *out is the parent directory and *last (with length *lastlen) the final component
 * (pointing into pathname; "." or ".." are rejected for create/remove by
 * callers). Errors: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EBADF.
 */
int vfs_lookup(int dirfd, const char *pathname, int flags, struct path *out, const char **last,
               size_t *lastlen);
/* Copy a user path into a kernel buffer of PATH_MAX. 0 or -errno. */
int getname(const char *upath, char *buf);
/* Write the absolute path of p into buf (getcwd, /proc). Returns the length or -errno. */
ssize_t vfs_path_string(const struct path *p, char *buf, size_t size);

/* ---- open files ---- */

struct file_ops {
    ssize_t (*read)(struct file *f, struct uio *u, off_t *pos);
    ssize_t (*write)(struct file *f, struct uio *u, off_t *pos);
    /* Current readiness (EPOLL* bits); registers on wait queues through pt. */
    uint32_t (*poll)(struct file *f, struct poll_table *pt);
    long (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
    /* Called when a file is opened on an inode with these ops. */
    int (*open)(struct inode *inode, struct file *f);
    /* The last reference is gone. */
    void (*release)(struct file *f);
    int (*fsync)(struct file *f, bool datasync);
    /* Stream files (pipes, sockets, ttys) ignore positions and cannot seek. */
    bool stream;
};

struct file {
    int refs;       /* atomic */
    uint32_t flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK ... */
    const struct file_ops *ops;
    void *priv;
    struct path path; /* inode and mount; inode NULL for anonymous files */
    struct mutex pos_lock;
    off_t pos;
    uint64_t dir_cookie;      /* getdents position */
    const char *anon_name;    /* "pipe:[ino]" style name for anonymous files */
    struct list_head epitems; /* epoll watches on this file, guarded by epoll's lock */
    /* The absolute path open() was given (kmalloc'd, freed with the file), for
     * /proc/<pid>/fd of non-directories; NULL for anonymous files. Not updated by rename. */
    char *open_name;
};

static inline struct inode *file_inode(const struct file *f)
{
    return f->path.inode;
}

/* A new file with refs = 1; NULL when out of memory. */
struct file *file_alloc(const struct file_ops *ops, void *priv, uint32_t flags);
void file_get(struct file *f);
void file_put(struct file *f);
/* Open the inode at path with O_* flags (after lookup). */
int vfs_open(struct path *p, uint32_t flags, struct file **out);
bool file_readable(const struct file *f);
bool file_writable(const struct file *f);
/*
 * May f be mapped (mmap)? 0, or -ENODEV (not a regular file that can be
 * mapped: pipes, sockets, devices, directories), -EACCES (not open for
 * reading, or a shared writable mapping of a file not open for writing),
 * -EPERM (a write-sealed memfd), -EBADF (O_PATH).
 */
int file_mmap_check(struct file *f, bool prot_write, bool shared);

/* Kernel-internal reads (ELF loading). Returns bytes or -errno. */
ssize_t kernel_read(struct file *f, void *buf, size_t len, off_t pos);

/* ---- the fd table (fdtable.c) ---- */

struct fdtable {
    spinlock_t lock;
    struct file **fd;  /* guarded by lock */
    uint8_t *cloexec;  /* guarded by lock */
    unsigned int size; /* slots allocated */
    int refs;
};

struct fdtable *fdtable_create(void);
void fdtable_put(struct fdtable *t);
/* A referenced file for fd, or NULL (EBADF). Drop it with file_put. */
struct file *fd_get(int fd);
/* Install f at the lowest free fd >= min; returns the fd or -EMFILE. */
int fd_install(struct file *f, bool cloexec, int min);
/*
 * 0 when a descriptor is free below RLIMIT_NOFILE, else -EMFILE: open
 * checks first, as Linux reserves the fd before opening (a FIFO's open
 * must not wait when no descriptor could hold it).
 */
int fd_check_room(void);
/* Install f at exactly fd, closing what was there. 0 or -errno. */
int fd_install_at(struct file *f, int fd, bool cloexec);
int fd_close(int fd);
void vfs_close_all(void); /* at the end of the application: close every fd */
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);
/* Visit every open fd (for /proc/self/fd). */
void fd_foreach(void (*fn)(int fd, struct file *f, void *ctx), void *ctx);

/* ---- the page cache of mapped files (pagecache.c) ---- */

/* inode_ops.get_page for file systems with read_page/write_page. */
int pagecache_get_page(struct inode *inode, uint64_t pgoff, struct page **out);
/* read(): copy the cached bytes of [pos, pos+n) over buf (they are newer than the disk). */
void pagecache_read_overlay(struct inode *inode, uint64_t pos, void *buf, size_t n);
/* write(): copy the bytes just written at [pos, pos+n) into cached pages. */
void pagecache_write_through(struct inode *inode, uint64_t pos, const void *buf, size_t n);
/* Write dirty pages (PG_DIRTY, set from page tables by mm/vm.c) back. 0 or the first -errno. */
int pagecache_writeback(struct inode *inode);
/* The file shrank to size: drop the pages past it (mappings keep their own reference). */
void pagecache_truncate(struct inode *inode, uint64_t size);
/* Eviction: drop every page (no mapping remains: mappings hold the inode). */
void pagecache_release(struct inode *inode);

/* ---- file systems ---- */

struct super_block *tmpfs_create(const char *fstype);
int initramfs_unpack(struct super_block *sb, const void *data, size_t len);
void devfs_init(struct super_block *sb);
/* Create /etc/hostname, hosts and resolv.conf when the initramfs lacks them (boot). */
void etc_defaults(void);
