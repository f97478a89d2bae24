/*
 * internal.h - helpers shared by the files of fs/ and nobody else.
 *
 * The public VFS interface is vfs.h; what is here may change freely.
 */
#pragma once

#include "fs/vfs.h"

/* Linux renameat2 flags. */
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4

/*
 * Copy a user path into a new PATH_MAX kernel buffer. Returns the buffer
 * (free it with kfree) or NULL with *err set (-EFAULT, -ENAMETOOLONG,
 * -ENOMEM).
 */
char *getname_alloc(const char *upath, long *err);

/* vfs_lookup of a user path: 0 and a referenced *out, or -errno. */
long user_path_lookup(int dirfd, const char *upath, int flags, struct path *out);

/* The path fd was opened on (referenced), or -EBADF (bad fd, anonymous file). */
long fd_path(int fd, struct path *out);

/* Open the regular file at (dirfd, pathname) as the open syscalls do; returns an fd or -errno. */
long do_openat(int dirfd, const char *pathname, uint32_t flags, uint32_t mode);

/* The mount whose mountpoint is (mnt, inode), or NULL (inode.c). */
struct mount *mount_lookup(struct mount *mnt, struct inode *inode);

static inline bool mount_is_mountpoint(struct mount *mnt, struct inode *inode)
{
    return mount_lookup(mnt, inode) != NULL;
}

struct seqbuf;
/* /proc/mounts and /proc/<pid>/mountinfo text (inode.c). */
void vfs_format_mounts_seq(struct seqbuf *s);
void vfs_format_mountinfo(struct seqbuf *s);

/* Advisory locks (locks.c): a close of fd f drops the process's POSIX locks on its inode;
 * the last reference of f drops its OFD and flock locks. */
void locks_close_posix(struct file *f);
void locks_release_file(struct file *f);

/* memfd seals (memfd.c): F_ADD_SEALS / F_GET_SEALS, and whether inode may change size. */
long memfd_fcntl(struct file *f, unsigned int cmd, uint32_t seals);
int memfd_check_resize(struct inode *inode, uint64_t new_size);
/* A shared writable mapping of inode: -EPERM when write-sealed, else 0. */
int memfd_check_map_write(struct inode *inode);

/* The file_ops of every opened named FIFO (pipe.c). */
extern const struct file_ops fifo_fops;
