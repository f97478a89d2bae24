/*
 * disk_mounts.c - mounting disks named on the kernel command line.
 *
 *   root=/dev/vda       the root file system is ext2 on vda (Linux style);
 *   rootfstype=ext2     accepted (ext2 is the only disk file system)
 *   ro / rw             mount the root read-only / read-write (default rw)
 *   mount=/dev/vdb:/data[:ro]
 *                       mount ext2 on vdb at /data (created if missing);
 *                       may be given several times
 *
 * With root=, the init program is looked up on the disk (init=, default
 * /init) and boot modules are not unpacked. If the root cannot be mounted
 * the kernel says why and falls back to the initramfs, when there is one.
 */
#include "core/params.h"
#include "core/printk.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"

#define MAX_DISK_MOUNTS 8

int ext2_mount_device(const char *dev, bool readonly, struct super_block **out);

static char root_dev[64];
static bool root_ro;
static struct {
    char dev[64];
    char path[192];
    bool ro;
} extra[MAX_DISK_MOUNTS];
static unsigned int nextra;

static int set_root(const char *val)
{
    if (val == NULL || strscpy(root_dev, val, sizeof(root_dev)) < 0)
        return -EINVAL;
    return 0;
}
KERNEL_PARAM("root", set_root);

static int set_rootfstype(const char *val)
{
    return val != NULL && strcmp(val, "ext2") == 0 ? 0 : -EINVAL;
}
KERNEL_PARAM("rootfstype", set_rootfstype);

static int set_ro(const char *val)
{
    (void)val;
    root_ro = true;
    return 0;
}
KERNEL_PARAM("ro", set_ro);

static int set_rw(const char *val)
{
    (void)val;
    root_ro = false;
    return 0;
}
KERNEL_PARAM("rw", set_rw);

/* mount=DEV:PATH[:ro] */
static int set_mount(const char *val)
{
    const char *colon, *path;
    size_t devlen, pathlen;

    if (val == NULL || nextra >= MAX_DISK_MOUNTS || (colon = strchr(val, ':')) == NULL)
        return -EINVAL;
    devlen = (size_t)(colon - val);
    path = colon + 1;
    pathlen = strlen(path);
    extra[nextra].ro = false;
    if (pathlen > 3 && strcmp(path + pathlen - 3, ":ro") == 0) {
        extra[nextra].ro = true;
        pathlen -= 3;
    }
    if (devlen == 0 || devlen >= sizeof(extra[0].dev) || pathlen == 0 ||
        pathlen >= sizeof(extra[0].path) || path[0] != '/')
        return -EINVAL;
    memcpy(extra[nextra].dev, val, devlen);
    extra[nextra].dev[devlen] = '\0';
    memcpy(extra[nextra].path, path, pathlen);
    extra[nextra].path[pathlen] = '\0';
    nextra++;
    return 0;
}
KERNEL_PARAM("mount", set_mount);

bool disk_root_requested(void)
{
    return root_dev[0] != '\0';
}

int disk_mount_root(void)
{
    struct super_block *sb;
    int err;

    if (!disk_root_requested())
        return -ENOENT;
    err = ext2_mount_device(root_dev, root_ro, &sb);
    if (err != 0) {
        pr_emerg("eggos: cannot mount root=%s as ext2 (error %d)\n", root_dev, -err);
        return err;
    }
    vfs_set_root(sb);
    return 0;
}

/* Find path, creating its last component as a directory when missing. */
static int mountpoint(const char *path, struct path *out)
{
    struct path parent;
    const char *last;
    size_t lastlen;
    struct inode *dir;
    int err = vfs_lookup(AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, out, NULL, NULL);

    if (err != -ENOENT)
        return err;
    err = vfs_lookup(AT_FDCWD, path, LOOKUP_PARENT, &parent, &last, &lastlen);
    if (err != 0)
        return err;
    err = parent.inode->iops->mkdir == NULL
              ? -EPERM
              : parent.inode->iops->mkdir(parent.inode, last, lastlen, 0755, &dir);
    if (err == 0)
        inode_put(dir);
    path_put(&parent);
    if (err != 0)
        return err;
    return vfs_lookup(AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, out, NULL, NULL);
}

void disk_mount_extra(void)
{
    for (unsigned int i = 0; i < nextra; i++) {
        struct super_block *sb;
        struct path at;
        int err = mountpoint(extra[i].path, &at);

        if (err != 0) {
            pr_err("eggos: mount=%s:%s: no mount point (error %d)\n", extra[i].dev, extra[i].path,
                   -err);
            continue;
        }
        err = ext2_mount_device(extra[i].dev, extra[i].ro, &sb);
        if (err == 0)
            err = vfs_mount(sb, &at, extra[i].path);
        if (err != 0)
            pr_err("eggos: mount=%s:%s failed (error %d)\n", extra[i].dev, extra[i].path, -err);
        path_put(&at);
    }
}
