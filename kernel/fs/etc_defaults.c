/*
 * etc_defaults.c - the files under /etc every Linux system has, made at
 * boot when the initramfs did not bring them: hostname, hosts, passwd and
 * group (root only), and resolv.conf (which network configuration may
 * rewrite later).
 *
 * Called once by start_application after the initramfs is unpacked.
 */
#include "fs/internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define ETC_FILE_MAX 512

extern char hostname[65]; /* linux/sys_misc.c */

/* Write text into the new file /etc/<name>; an existing file is left alone. */
static int etc_create(struct inode *etc, const char *name, const char *text)
{
    struct inode *inode;
    struct path p = {root_path.mnt, NULL};
    struct file *f;
    struct k_iovec iov;
    struct uio u;
    off_t pos = 0;
    ssize_t n;
    int err;

    err = etc->iops->create(etc, name, strlen(name), S_IFREG | 0644, 0, &inode);
    if (err != 0)
        return err == -EEXIST ? 0 : err;
    p.inode = inode;
    err = vfs_open(&p, O_WRONLY, &f);
    inode_put(inode);
    if (err != 0)
        return err;
    uio_init_kernel(&u, &iov, (void *)text, strlen(text));
    n = f->ops->write(f, &u, &pos);
    file_put(f);
    return n < 0 ? (int)n : 0;
}

void etc_defaults(void)
{
    struct inode *root = root_path.inode, *etc;
    struct path p;
    char *buf;

    if (root->iops->mkdir(root, "etc", 3, 0755, &etc) == 0)
        inode_put(etc);
    if (vfs_lookup(AT_FDCWD, "/etc", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p, NULL, NULL) != 0)
        return;
    buf = kmalloc(ETC_FILE_MAX, 0);
    if (buf != NULL) {
        snprintf(buf, ETC_FILE_MAX, "%s\n", hostname);
        etc_create(p.inode, "hostname", buf);
        snprintf(buf, ETC_FILE_MAX,
                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                 "127.0.1.1\t%s\n",
                 hostname);
        etc_create(p.inode, "hosts", buf);
        kfree(buf);
    }
    /* The root user and group, for os/user and programs that look names up. */
    etc_create(p.inode, "passwd", "root:x:0:0:root:/root:/bin/sh\n");
    etc_create(p.inode, "group", "root:x:0:\n");
    /* No name servers until the network is configured: resolvers then use their defaults. */
    etc_create(p.inode, "resolv.conf", "# written by EggOS at boot\n");
    path_put(&p);
}
