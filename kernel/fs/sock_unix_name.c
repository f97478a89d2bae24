/*
 * sock_unix_name.c - the names of AF_UNIX sockets: a path in the file
 * system (an S_IFSOCK node made through the VFS, found again by its inode)
 * or a name in the abstract namespace ("\0name"), bind with its errors as
 * Linux gives them, autobind (an unbound socket that connects or sends
 * gets "\0" and five hex digits), the lookup of a connect or sendto
 * target, and getsockname/getpeername.
 *
 * Every bound socket is on unix_names, guarded by unix_lock (sock_unix.c).
 */
#include "fs/sock_unix_internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/task.h"

/* ---- names ---- */

/* The bound socket with this abstract name or path node; unix_lock held. */
static struct unix_sock *name_find(const char *addr, size_t len, struct inode *inode)
{
    struct unix_sock *u;

    list_for_each_entry (u, &unix_names, bound) {
        if (inode != NULL
                ? u->inode == inode
                : u->inode == NULL && u->namelen == len && memcmp(u->name, addr, len) == 0)
            return u;
    }
    return NULL;
}

/* Make the S_IFSOCK node of a path name; 0 and a referenced *out, or -errno. */
static int path_create(const char *path, struct inode **out)
{
    struct path dir;
    const char *last;
    size_t lastlen;
    int err = vfs_lookup(AT_FDCWD, path, LOOKUP_PARENT, &dir, &last, &lastlen);

    if (err != 0)
        return err;
    if (lastlen == 0 || last[lastlen] == '/' || (lastlen == 1 && last[0] == '.') ||
        (lastlen == 2 && last[0] == '.' && last[1] == '.'))
        err = -EEXIST;
    else if (dir.inode->iops == NULL || dir.inode->iops->create == NULL)
        err = -EACCES;
    else if (dir.mnt->sb->flags & SB_RDONLY)
        err = -EROFS;
    else
        err = dir.inode->iops->create(dir.inode, last, lastlen,
                                      S_IFSOCK | (0777 & ~current_process()->umask), 0, out);
    if (err == -EEXIST)
        err = -EADDRINUSE;
    path_put(&dir);
    return err;
}

/* The node a path names (for connect and sendto); -ECONNREFUSED if not a socket. */
static int path_find(const char *path, struct inode **out)
{
    struct path p;
    int err = vfs_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &p, NULL, NULL);

    if (err != 0)
        return err;
    if (!S_ISSOCK(p.inode->mode)) {
        path_put(&p);
        return -ECONNREFUSED;
    }
    *out = p.inode;
    inode_get(*out);
    path_put(&p);
    return 0;
}

/* Linux's autobind: an abstract name of five hex digits. unix_lock held. */
static int autobind(struct unix_sock *u)
{
    static unsigned int next;
    char addr[8] = {AF_UNIX, 0, 0};

    for (int tries = 0; tries < 0x100000; tries++) {
        unsigned int v = (next++) & 0xfffff;
        for (int i = 0; i < 5; i++)
            addr[3 + i] = "0123456789abcdef"[(v >> (16 - 4 * i)) & 0xf];
        if (name_find(addr, sizeof(addr), NULL) == NULL) {
            memcpy(u->name, addr, sizeof(addr));
            u->namelen = sizeof(addr);
            list_add_tail(&u->bound, &unix_names);
            return 0;
        }
    }
    return -EADDRINUSE;
}

int unix_bind(struct socket *s, const void *addr, size_t len)
{
    struct unix_sock *u = us_of(s);
    char path[UNIX_PATH_MAX + 1];
    struct inode *inode = NULL;
    size_t pathlen;
    bool abstract;
    int err = unix_addr_parse(addr, len, &pathlen, &abstract);

    if (err != 0)
        return err;
    if (pathlen == 0) {
        mutex_lock(&unix_lock);
        err = u->namelen != 0 ? -EINVAL : autobind(u);
        mutex_unlock(&unix_lock);
        return err;
    }
    if (!abstract) {
        memcpy(path, (const char *)addr + 2, pathlen);
        path[pathlen] = '\0';
        mutex_lock(&unix_lock);
        bool bound = u->namelen != 0;
        mutex_unlock(&unix_lock);
        if (bound)
            return -EINVAL;
        err = path_create(path, &inode);
        if (err != 0)
            return err;
        len = 2 + pathlen + 1;
    }
    mutex_lock(&unix_lock);
    if (u->namelen != 0)
        err = -EINVAL;
    else if (abstract && name_find(addr, len, NULL) != NULL)
        err = -EADDRINUSE;
    if (err == 0) {
        memcpy(u->name, addr, len);
        if (!abstract)
            u->name[len - 1] = '\0';
        u->namelen = len;
        u->inode = inode;
        list_add_tail(&u->bound, &unix_names);
        inode = NULL;
    }
    mutex_unlock(&unix_lock);
    if (inode != NULL)
        inode_put(inode);
    return err;
}

/*
 * Find the socket an address names, referenced; -ECONNREFUSED when nobody
 * is bound there, -ENOENT when the path does not exist. unix_lock not held.
 */
int target_find(const void *addr, size_t len, struct unix_sock **out)
{
    char path[UNIX_PATH_MAX + 1];
    struct inode *inode = NULL;
    struct unix_sock *t;
    size_t pathlen;
    bool abstract;
    int err = unix_addr_parse(addr, len, &pathlen, &abstract);

    if (err != 0)
        return err;
    if (pathlen == 0)
        return -EINVAL;
    if (!abstract) {
        memcpy(path, (const char *)addr + 2, pathlen);
        path[pathlen] = '\0';
        err = path_find(path, &inode);
        if (err != 0)
            return err;
    }
    mutex_lock(&unix_lock);
    t = name_find(addr, len, inode);
    if (t != NULL)
        us_get(t);
    mutex_unlock(&unix_lock);
    if (inode != NULL)
        inode_put(inode);
    if (t == NULL)
        return -ECONNREFUSED;
    *out = t;
    return 0;
}

int unix_getname(struct socket *s, void *addr, size_t *len, bool peer)
{
    struct unix_sock *u = us_of(s), *src;
    int err = 0;

    mutex_lock(&unix_lock);
    src = peer ? u->peer : u;
    if (peer && (src == NULL || u->state != US_CONNECTED)) {
        err = -ENOTCONN;
    } else if (src->namelen == 0) {
        uint16_t family = AF_UNIX;
        memcpy(addr, &family, sizeof(family));
        *len = sizeof(family);
    } else {
        memcpy(addr, src->name, src->namelen);
        *len = src->namelen;
    }
    mutex_unlock(&unix_lock);
    return err;
}
