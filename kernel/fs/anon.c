/*
 * anon.c - inodes for files without a name: pipes, eventfds, epoll
 * instances, sockets. They live in a private super block so that fstat,
 * /proc/self/fd and epoll see them like any other file.
 */
#include "fs/anon.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

static struct super_block anon_sb = {.fstype = "anon_inodefs", .dev = 0x0d};

struct file *anon_file(const struct file_ops *ops, void *priv, uint32_t flags, uint32_t mode,
                       const char *kind)
{
    struct inode *inode = inode_alloc(&anon_sb, mode);
    struct file *f;

    if (inode == NULL)
        return NULL;
    f = file_alloc(ops, priv, flags);
    if (f == NULL) {
        inode_put(inode);
        return NULL;
    }
    f->path.inode = inode; /* the file holds the only reference */
    f->anon_name = kind;
    return f;
}
