/*
 * namei.c - from path names to (mount, inode) pairs.
 *
 * vfs_lookup walks a path one component at a time: "." stays, ".." goes to
 * the parent (across the mount boundary at a file system root, never above
 * the process root), a name is looked up in the directory and, when a file
 * system is mounted there, replaced by that file system's root. Symbolic
 * links are followed for every component but the last (the last too with
 * LOOKUP_FOLLOW or a trailing slash); a link's target is walked
 * recursively, at most MAX_SYMLINKS links per lookup (ELOOP beyond).
 * A magic link (inode_ops.get_link: /proc/<pid>/fd/N) is not walked: it
 * leads to the open file's own (mount, inode), so a deleted file reopens.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"

#include "fs/internal.h"

int getname(const char *upath, char *buf)
{
    long n = strncpy_from_user(buf, upath, PATH_MAX);

    if (n == -ENAMETOOLONG)
        return -ENAMETOOLONG;
    return n < 0 ? (int)n : 0;
}

static void path_set(struct path *dst, struct mount *mnt, struct inode *inode)
{
    struct path old = *dst;

    dst->mnt = mnt;
    dst->inode = inode;
    path_get(dst);
    path_put(&old);
}

static bool same_path(const struct path *a, const struct path *b)
{
    return a->mnt == b->mnt && a->inode == b->inode;
}

/* Step cur to its parent directory. */
static int step_up(struct path *cur, const struct path *root)
{
    struct inode *parent;
    int err;

    for (;;) {
        if (same_path(cur, root))
            return 0;
        if (cur->inode != cur->mnt->sb->root || cur->mnt->parent == NULL)
            break;
        /* At the root of a mounted file system: continue from its mountpoint. */
        path_set(cur, cur->mnt->parent, cur->mnt->mountpoint);
    }
    if (cur->inode == cur->mnt->sb->root)
        return 0; /* the namespace root: ".." is itself */
    err = cur->inode->iops->lookup(cur->inode, "..", 2, &parent);
    if (err != 0)
        return err;
    path_set(cur, cur->mnt, parent);
    inode_put(parent);
    return 0;
}

/* Step cur into child `name`, crossing mounts. */
static int step_down(struct path *cur, const char *name, size_t len)
{
    struct inode *child;
    struct mount *m;
    int err;

    if (!S_ISDIR(cur->inode->mode))
        return -ENOTDIR;
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    if (cur->inode->iops == NULL || cur->inode->iops->lookup == NULL)
        return -ENOTDIR;
    err = cur->inode->iops->lookup(cur->inode, name, len, &child);
    if (err != 0)
        return err;
    path_set(cur, cur->mnt, child);
    inode_put(child);
    while ((m = mount_lookup(cur->mnt, cur->inode)) != NULL)
        path_set(cur, m, m->sb->root);
    return 0;
}

static int walk(struct path *cur, const char *p, int flags, int *links, const char **last,
                size_t *lastlen);

/* cur is a symlink reached from dir: replace cur by the link's target. */
static int follow_link(struct path *cur, struct path *dir, int *links)
{
    char *target;
    ssize_t n;
    int err;

    if (++*links > MAX_SYMLINKS)
        return -ELOOP;
    if (cur->inode->iops != NULL && cur->inode->iops->get_link != NULL) {
        struct path obj;
        err = cur->inode->iops->get_link(cur->inode, &obj);
        if (err != -ENOSYS) {
            if (err == 0) {
                path_put(cur);
                *cur = obj;
            }
            return err;
        }
    }
    if (cur->inode->iops == NULL || cur->inode->iops->readlink == NULL)
        return -EINVAL;
    target = kmalloc(PATH_MAX, 0);
    if (target == NULL)
        return -ENOMEM;
    n = cur->inode->iops->readlink(cur->inode, target, PATH_MAX - 1);
    if (n < 0) {
        kfree(target);
        return (int)n;
    }
    target[n] = '\0';
    if (n == 0) {
        kfree(target);
        return -ENOENT;
    }
    /* Walk the target from the directory holding the link (or the root). */
    struct path start = *dir;
    path_get(&start);
    if (target[0] == '/') {
        struct path root = current_process()->fs->root;
        path_set(&start, root.mnt, root.inode);
    }
    err = walk(&start, target, LOOKUP_FOLLOW, links, NULL, NULL);
    kfree(target);
    if (err != 0) {
        path_put(&start);
        return err;
    }
    path_put(cur);
    *cur = start;
    return 0;
}

/*
 * Walk p from cur (which is updated in place). With LOOKUP_PARENT, stop
 * before the last component and return it in *last.
 */
static int walk(struct path *cur, const char *p, int flags, int *links, const char **last,
                size_t *lastlen)
{
    const struct path *root = &current_process()->fs->root;

    while (*p == '/')
        p++;
    while (*p != '\0') {
        const char *name = p;
        size_t len = 0;
        bool final, trailing_slash;
        int err;

        while (name[len] != '\0' && name[len] != '/')
            len++;
        p = name + len;
        trailing_slash = *p == '/';
        while (*p == '/')
            p++;
        final = *p == '\0';

        if (final && (flags & LOOKUP_PARENT)) {
            if (len > NAME_MAX)
                return -ENAMETOOLONG;
            if (!S_ISDIR(cur->inode->mode))
                return -ENOTDIR;
            *last = name;
            *lastlen = len;
            return 0;
        }
        if (len == 1 && name[0] == '.') {
            if (!S_ISDIR(cur->inode->mode))
                return -ENOTDIR; /* "file/." */
            continue;
        }
        if (len == 2 && name[0] == '.' && name[1] == '.') {
            if (!S_ISDIR(cur->inode->mode))
                return -ENOTDIR;
            err = step_up(cur, root);
            if (err != 0)
                return err;
            continue;
        }
        struct path dir = *cur;
        path_get(&dir);
        err = step_down(cur, name, len);
        if (err == 0 && S_ISLNK(cur->inode->mode) &&
            (!final || trailing_slash || (flags & LOOKUP_FOLLOW)))
            err = follow_link(cur, &dir, links);
        path_put(&dir);
        if (err != 0)
            return err;
        if (final && trailing_slash && !S_ISDIR(cur->inode->mode))
            return -ENOTDIR;
    }
    if (flags & LOOKUP_PARENT) {
        /* The path had no last component ("/" or "a/."): nothing to create. */
        *last = ".";
        *lastlen = 1;
    }
    return 0;
}

int vfs_lookup(int dirfd, const char *pathname, int flags, struct path *out, const char **last,
               size_t *lastlen)
{
    struct fs_context *fs = current_process()->fs;
    struct path cur = {0};
    int links = 0;
    int err;

    if (pathname[0] == '/') {
        cur = fs->root;
        path_get(&cur);
    } else if (dirfd == AT_FDCWD) {
        uint64_t irq = spin_lock_irqsave(&fs->lock);
        cur = fs->cwd;
        path_get(&cur);
        spin_unlock_irqrestore(&fs->lock, irq);
    } else {
        struct file *f = fd_get(dirfd);
        if (f == NULL)
            return -EBADF;
        if (f->path.inode == NULL) {
            file_put(f);
            return -ENOTDIR;
        }
        cur = f->path;
        path_get(&cur);
        file_put(f);
        if (pathname[0] != '\0' && !S_ISDIR(cur.inode->mode)) {
            path_put(&cur);
            return -ENOTDIR;
        }
    }
    if (pathname[0] == '\0' && !(flags & LOOKUP_EMPTY)) {
        path_put(&cur);
        return -ENOENT;
    }
    err = walk(&cur, pathname, flags, &links, last, lastlen);
    if (err == 0 && (flags & LOOKUP_DIRECTORY) && !(flags & LOOKUP_PARENT) &&
        !S_ISDIR(cur.inode->mode))
        err = -ENOTDIR;
    if (err != 0) {
        path_put(&cur);
        return err;
    }
    *out = cur;
    return 0;
}

/* getdents callback that finds the name of inode number want. */
struct name_search {
    uint64_t want;
    char *name;
    size_t len;
    bool found;
};

static bool find_name(void *ctx, const char *name, size_t len, uint64_t ino, unsigned int type,
                      uint64_t next)
{
    struct name_search *s = ctx;

    (void)type;
    (void)next;
    if (ino != s->want || (len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    memcpy(s->name, name, MIN(len, (size_t)NAME_MAX));
    s->len = MIN(len, (size_t)NAME_MAX);
    s->found = true;
    return false;
}

ssize_t vfs_path_string(const struct path *p, char *buf, size_t size)
{
    const struct path *root = &current_process()->fs->root;
    struct path cur = *p;
    char *tmp = kmalloc(PATH_MAX, 0);
    char name[NAME_MAX + 1];
    size_t pos = PATH_MAX; /* build right to left in tmp */
    ssize_t ret;

    if (tmp == NULL)
        return -ENOMEM;
    if (!S_ISDIR(p->inode->mode)) {
        kfree(tmp);
        return -ENOTDIR; /* only directories know their parent */
    }
    path_get(&cur);
    for (;;) {
        while (!same_path(&cur, root) && cur.inode == cur.mnt->sb->root && cur.mnt->parent)
            path_set(&cur, cur.mnt->parent, cur.mnt->mountpoint);
        if (same_path(&cur, root) || cur.inode == cur.mnt->sb->root)
            break;
        struct path parent = cur;
        path_get(&parent);
        ret = step_up(&parent, root);
        if (ret != 0) {
            path_put(&parent);
            goto out;
        }
        struct name_search s = {.want = cur.inode->ino, .name = name};
        uint64_t cookie = 0;
        if (parent.inode->iops->getdents == NULL ||
            (parent.inode->iops->getdents(parent.inode, &cookie, find_name, &s), !s.found)) {
            path_put(&parent);
            ret = -ENOENT; /* unlinked directory */
            goto out;
        }
        if (pos < s.len + 1) {
            path_put(&parent);
            ret = -ENAMETOOLONG;
            goto out;
        }
        pos -= s.len;
        memcpy(tmp + pos, name, s.len);
        tmp[--pos] = '/';
        path_put(&cur);
        cur = parent;
    }
    if (pos == PATH_MAX)
        tmp[--pos] = '/';
    ret = (ssize_t)(PATH_MAX - pos);
    if ((size_t)ret + 1 > size) {
        ret = -ERANGE;
        goto out;
    }
    memcpy(buf, tmp + pos, (size_t)ret);
    buf[ret] = '\0';
out:
    path_put(&cur);
    kfree(tmp);
    return ret;
}
