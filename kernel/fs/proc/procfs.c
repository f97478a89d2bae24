/*
 * procfs.c - the file system that shows proc_node trees: /proc and /sys.
 *
 * Inodes are made on every lookup from (node, pid, num) and freed when the
 * last reference goes; nothing is cached, so what a directory lists is
 * always current (processes, fds). Opening a file runs its show handler
 * once into a buffer (grown and retried while the text overflows, up to
 * PROC_MAX_TEXT); reads page through that snapshot, as with Linux's
 * single_open files. Writes go straight to the write handler.
 *
 * Callers: vfs (lookup, getdents, open/read/write) and boot
 * (procfs_mount from start_application).
 */
#include "fs/internal.h"
#include "fs/proc/proc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/task.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "sched/mutex.h"

#define PROC_FIRST_TEXT 4096
#define PROC_MAX_TEXT (4ul << 20)
#define PROC_MAX_WRITE PAGE_SIZE
/* getdents cookies: 0 ".", 1 "..", 2+i static child i, DYN_COOKIE+n after entry n. */
#define DYN_COOKIE (1ull << 32)

static struct mutex proc_tree_lock = MUTEX_INIT(proc_tree_lock);
static uint64_t proc_next_ino = 1;
static struct proc_node proc_root_node = {
    .name = "",
    .mode = S_IFDIR | 0555,
    .ino = 1,
    .children = LIST_HEAD_INIT(proc_root_node.children),
};
static struct proc_node sys_root_node = {
    .name = "",
    .mode = S_IFDIR | 0555,
    .ino = 1,
    .children = LIST_HEAD_INIT(sys_root_node.children),
};
static struct super_block proc_sb = {.fstype = "proc"};
static struct super_block sys_sb = {.fstype = "sysfs"};

static const struct inode_ops proc_dir_iops, proc_file_iops, proc_link_iops;
static const struct file_ops proc_file_fops;

/* Caller holds proc_tree_lock. */
static struct proc_node *child_find(struct proc_node *dir, const char *name, size_t len)
{
    struct proc_node *c;

    list_for_each_entry (c, &dir->children, sibling) {
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

struct proc_node *proc_node_add(struct proc_node *parent, const char *name, uint32_t mode)
{
    struct proc_node *n;

    if (parent == NULL)
        parent = &proc_root_node;
    n = kzalloc(sizeof(*n));
    if (n == NULL)
        return NULL;
    n->name = name;
    n->mode = mode;
    n->parent = parent;
    list_init(&n->children);
    n->ino = __atomic_add_fetch(&proc_next_ino, 1, __ATOMIC_RELAXED) + 1;
    mutex_lock(&proc_tree_lock);
    if (child_find(parent, name, strlen(name)) != NULL) {
        mutex_unlock(&proc_tree_lock);
        kfree(n);
        return NULL;
    }
    list_add_tail(&n->sibling, &parent->children);
    mutex_unlock(&proc_tree_lock);
    return n;
}

/*
 * Walk "a/b/c" from root, creating missing directories; return the parent
 * of the last component and a kmalloc'd copy of its name in *leaf.
 */
static struct proc_node *walk_create(struct proc_node *root, const char *path, char **leaf)
{
    struct proc_node *dir = root;
    const char *p = path;

    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || len > NAME_MAX)
            return NULL;
        if (slash == NULL) {
            *leaf = kmalloc(len + 1, 0);
            if (*leaf == NULL)
                return NULL;
            memcpy(*leaf, p, len + 1);
            return dir;
        }
        mutex_lock(&proc_tree_lock);
        struct proc_node *next = child_find(dir, p, len);
        mutex_unlock(&proc_tree_lock);
        if (next == NULL) {
            char *name = kmalloc(len + 1, 0);
            if (name == NULL)
                return NULL;
            memcpy(name, p, len);
            name[len] = '\0';
            next = proc_node_add(dir, name, S_IFDIR | 0555);
            if (next == NULL) { /* lost a race with another registration */
                kfree(name);
                mutex_lock(&proc_tree_lock);
                next = child_find(dir, p, len);
                mutex_unlock(&proc_tree_lock);
                if (next == NULL)
                    return NULL;
            }
        }
        if (!S_ISDIR(next->mode))
            return NULL;
        dir = next;
        p = slash + 1;
    }
}

static struct proc_node *create_at(struct proc_node *root, const char *path, uint32_t mode,
                                   int *err)
{
    char *leaf = NULL;
    struct proc_node *dir = walk_create(root, path, &leaf);
    struct proc_node *n;

    if (dir == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    n = proc_node_add(dir, leaf, mode);
    if (n == NULL) {
        kfree(leaf);
        *err = -EEXIST;
    }
    return n;
}

static int create_file(struct proc_node *root, const char *path, uint32_t mode, proc_show_t show,
                       proc_write_t write, void *ctx)
{
    int err = 0;
    struct proc_node *n = create_at(root, path, S_IFREG | (mode & 0777), &err);

    if (n == NULL)
        return err;
    n->show = show;
    n->write = write;
    n->ctx = ctx;
    return 0;
}

int proc_create(const char *path, uint32_t mode, proc_show_t show, void *ctx)
{
    return create_file(&proc_root_node, path, mode, show, NULL, ctx);
}

int proc_create_rw(const char *path, uint32_t mode, proc_show_t show, proc_write_t write, void *ctx)
{
    return create_file(&proc_root_node, path, mode, show, write, ctx);
}

int sysfs_create(const char *path, uint32_t mode, proc_show_t show, void *ctx)
{
    return create_file(&sys_root_node, path, mode, show, NULL, ctx);
}

int proc_symlink(const char *path, const char *target)
{
    int err = 0;
    struct proc_node *n = create_at(&proc_root_node, path, S_IFLNK | 0777, &err);

    if (n == NULL)
        return err;
    n->target = target;
    return 0;
}

/* ---- inodes ---- */

static struct inode *proc_inode_new(struct super_block *sb, struct proc_node *node, int pid,
                                    int num)
{
    struct proc_inode *pi = kmalloc(sizeof(*pi), 0);
    struct inode *inode;

    if (pi == NULL)
        return NULL;
    inode = inode_alloc(sb, node->mode);
    if (inode == NULL) {
        kfree(pi);
        return NULL;
    }
    *pi = (struct proc_inode){node, pid, num};
    inode->priv = pi;
    /* Stable numbers: the same name gives the same inode number. */
    inode->ino = node->ino | ((uint64_t)(uint32_t)pid << 24) | ((uint64_t)(uint32_t)num << 44);
    inode->nlink = S_ISDIR(node->mode) ? 2 : 1;
    if (S_ISDIR(node->mode)) {
        inode->iops = &proc_dir_iops;
    } else if (S_ISLNK(node->mode)) {
        inode->iops = &proc_link_iops;
        inode->size = 64;
    } else {
        inode->iops = &proc_file_iops;
        inode->fops = &proc_file_fops;
    }
    return inode;
}

static void proc_evict(struct inode *inode)
{
    kfree(inode->priv);
}

static int proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    struct proc_inode *pi = dir->priv;
    struct proc_node *c;
    const struct proc_dyn *dyn = pi->node->dyn;

    if (len == 2 && name[0] == '.' && name[1] == '.') {
        struct proc_node *up = pi->node->parent != NULL ? pi->node->parent : pi->node;
        bool top = up == &proc_root_node || up == &sys_root_node;
        *out = proc_inode_new(dir->sb, up, top ? 0 : pi->pid, top ? 0 : pi->num);
        return *out != NULL ? 0 : -ENOMEM;
    }
    mutex_lock(&proc_tree_lock);
    c = child_find(pi->node, name, len);
    mutex_unlock(&proc_tree_lock);
    if (c != NULL) {
        *out = proc_inode_new(dir->sb, c, pi->pid, pi->num);
        return *out != NULL ? 0 : -ENOMEM;
    }
    if (dyn != NULL) {
        char buf[16];
        uint64_t num;
        if (len == 0 || len >= sizeof(buf))
            return -ENOENT;
        memcpy(buf, name, len);
        buf[len] = '\0';
        if (kstrtou64(buf, 10, &num) != 0 || num > INT32_MAX || (len > 1 && buf[0] == '0'))
            return -ENOENT;
        /* The entry exists when it is the next one after num - 1. */
        if (dyn->next(pi, (int)num - 1) != (int)num)
            return -ENOENT;
        *out = proc_inode_new(dir->sb, dyn->child, dyn->sets_pid ? (int)num : pi->pid, (int)num);
        return *out != NULL ? 0 : -ENOMEM;
    }
    return -ENOENT;
}

static unsigned int dtype(uint32_t mode)
{
    return S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK : DT_REG;
}

static int proc_getdents(struct inode *dir, uint64_t *cookie, filldir_t fill, void *ctx)
{
    struct proc_inode *pi = dir->priv;
    const struct proc_dyn *dyn = pi->node->dyn;
    struct proc_node *c;
    uint64_t i = 2;

    if (*cookie == 0) {
        if (!fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        *cookie = 1;
    }
    if (*cookie == 1) {
        if (!fill(ctx, "..", 2, dir->ino, DT_DIR, 2))
            return 0;
        *cookie = 2;
    }
    mutex_lock(&proc_tree_lock);
    list_for_each_entry (c, &pi->node->children, sibling) {
        if (i++ < *cookie)
            continue;
        uint64_t ino = c->ino | ((uint64_t)(uint32_t)pi->pid << 24);
        if (!fill(ctx, c->name, strlen(c->name), ino, dtype(c->mode), i)) {
            mutex_unlock(&proc_tree_lock);
            return 0;
        }
        *cookie = i;
    }
    mutex_unlock(&proc_tree_lock);
    if (dyn == NULL)
        return 0;
    int after = *cookie >= DYN_COOKIE ? (int)(*cookie - DYN_COOKIE) : -1;
    for (;;) {
        int num = dyn->next(pi, after);
        char name[16];
        if (num < 0)
            return 0;
        int len = snprintf(name, sizeof(name), "%d", num);
        uint64_t ino = dyn->child->ino | ((uint64_t)(uint32_t)num << 44);
        if (!fill(ctx, name, (size_t)len, ino, dtype(dyn->child->mode), DYN_COOKIE + (uint64_t)num))
            return 0;
        *cookie = DYN_COOKIE + (uint64_t)num;
        after = num;
    }
}

static int proc_get_link(struct inode *inode, struct path *out)
{
    struct proc_inode *pi = inode->priv;

    if (pi->node->get_link == NULL)
        return -ENOSYS;
    return pi->node->get_link(pi, out);
}

static ssize_t proc_readlink(struct inode *inode, char *buf, size_t size)
{
    struct proc_inode *pi = inode->priv;

    if (pi->node->readlink != NULL)
        return pi->node->readlink(pi, buf, size);
    if (pi->node->target == NULL)
        return -EINVAL;
    size_t n = MIN(size, strlen(pi->node->target));
    memcpy(buf, pi->node->target, n);
    return (ssize_t)n;
}

static int proc_setattr(struct inode *inode, const struct iattr *a)
{
    (void)inode;
    (void)a;
    return -EPERM;
}

/* ---- open files ---- */

struct proc_text {
    char *buf;
    size_t len;
};

static void *handler_ctx(struct proc_inode *pi)
{
    return pi->node->per_pid ? pi : pi->node->ctx;
}

/* Run the show handler into a buffer big enough for its text. */
static int proc_render(struct proc_inode *pi, struct proc_text *t)
{
    size_t cap = PROC_FIRST_TEXT;

    for (;;) {
        struct seqbuf s;
        char *buf = kmalloc(cap, 0);
        int err;

        if (buf == NULL)
            return -ENOMEM;
        seqbuf_init(&s, buf, cap);
        err = pi->node->show(&s, handler_ctx(pi));
        if (err != 0) {
            kfree(buf);
            return err;
        }
        if (!s.overflow) {
            t->buf = buf;
            t->len = s.len;
            return 0;
        }
        kfree(buf);
        if (cap >= PROC_MAX_TEXT)
            return -EFBIG;
        cap *= 2;
    }
}

static int proc_open(struct inode *inode, struct file *f)
{
    struct proc_inode *pi = inode->priv;
    struct proc_text *t;
    int err;

    if (file_writable(f) && pi->node->write == NULL)
        return -EACCES;
    if (!file_readable(f) || pi->node->show == NULL)
        return 0;
    t = kzalloc(sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    err = proc_render(pi, t);
    if (err != 0) {
        kfree(t);
        return err;
    }
    f->priv = t;
    return 0;
}

static void proc_release(struct file *f)
{
    struct proc_text *t = f->priv;

    if (t != NULL) {
        kfree(t->buf);
        kfree(t);
    }
}

static ssize_t proc_read(struct file *f, struct uio *u, off_t *pos)
{
    struct proc_text *t = f->priv;
    ssize_t n;

    if (t == NULL)
        return -EINVAL;
    if ((uint64_t)*pos >= t->len)
        return 0;
    n = uio_copy_to(u, t->buf + *pos, MIN(u->resid, t->len - (size_t)*pos));
    if (n > 0)
        *pos += n;
    return n;
}

static ssize_t proc_write(struct file *f, struct uio *u, off_t *pos)
{
    struct proc_inode *pi = file_inode(f)->priv;
    size_t len = MIN(u->resid, (size_t)PROC_MAX_WRITE);
    char *buf;
    ssize_t n;

    if (pi->node->write == NULL)
        return -EINVAL;
    buf = kmalloc(len + 1, 0);
    if (buf == NULL)
        return -ENOMEM;
    n = uio_copy_from(u, buf, len);
    if (n >= 0) {
        buf[n] = '\0';
        n = pi->node->write(buf, (size_t)n, handler_ctx(pi));
        if (n > 0)
            *pos += n;
    }
    kfree(buf);
    return n;
}

static const struct inode_ops proc_dir_iops = {
    .lookup = proc_lookup,
    .getdents = proc_getdents,
    .setattr = proc_setattr,
    .evict = proc_evict,
};

static const struct inode_ops proc_file_iops = {
    .setattr = proc_setattr,
    .evict = proc_evict,
};

static const struct inode_ops proc_link_iops = {
    .readlink = proc_readlink,
    .get_link = proc_get_link,
    .evict = proc_evict,
};

static const struct file_ops proc_file_fops = {
    .open = proc_open,
    .release = proc_release,
    .read = proc_read,
    .write = proc_write,
};

/* ---- mounting ---- */

static int proc_statfs(struct super_block *sb, void *out)
{
    struct k_statfs *st = out;

    st->f_type = sb == &proc_sb ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
    st->f_bsize = PAGE_SIZE;
    st->f_frsize = PAGE_SIZE;
    st->f_namelen = NAME_MAX;
    st->f_fsid[0] = (int32_t)sb->dev;
    st->f_flags = ST_NOSUID | ST_NODEV | ST_NOEXEC;
    return 0;
}

static void mount_tree(struct super_block *sb, struct proc_node *root, const char *where)
{
    struct inode *dir;
    struct path at;

    sb->root = proc_inode_new(sb, root, 0, 0);
    if (sb->root == NULL)
        return;
    sb->statfs = proc_statfs;
    /* The mountpoint: made in the root file system when the initramfs lacks it. */
    if (root_path.inode->iops->mkdir(root_path.inode, where + 1, strlen(where + 1), 0555, &dir) ==
        0)
        inode_put(dir);
    if (vfs_lookup(AT_FDCWD, where, LOOKUP_FOLLOW, &at, NULL, NULL) == 0) {
        vfs_mount(sb, &at, where);
        path_put(&at);
    }
}

void procfs_mount(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    proc_sb.dev = 0x16;
    sys_sb.dev = 0x15;
    proc_pid_init(&proc_root_node);
    proc_system_init();
    mount_tree(&proc_sb, &proc_root_node, "/proc");
    mount_tree(&sys_sb, &sys_root_node, "/sys");
}
