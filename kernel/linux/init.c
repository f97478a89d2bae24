/*
 * init.c - from a booted kernel to the running application.
 *
 * Like Linux's init: the root is a tmpfs filled from the initramfs (or the
 * bare ELF given as initrd, which becomes /init), /dev is mounted, fds 0,
 * 1 and 2 are the console, and the program named by rdinit= (or init=, or
 * /init) runs as pid 1 with the command line's arguments and environment.
 * The "init" kernel thread itself becomes the application's main thread.
 */
#include "core/boot.h"
#include "core/main.h"
#include "core/panic.h"
#include "core/params.h"
#include "core/printk.h"
#include "fs/proc/proc.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/netdev.h"
#include "linux/futex.h"
#include "linux/task.h"
#include "mm/layout.h"
#include "sched/sched.h"
#include "tty/tty.h"

static char init_path[256];

static int set_init(const char *val)
{
    if (val == NULL || val[0] != '/')
        return -EINVAL;
    if (init_path[0] == '\0')
        strscpy(init_path, val, sizeof(init_path));
    return 0;
}
KERNEL_PARAM("init", set_init);

static int set_rdinit(const char *val)
{
    if (val == NULL || val[0] != '/')
        return -EINVAL;
    strscpy(init_path, val, sizeof(init_path)); /* rdinit= wins over init= */
    return 0;
}
KERNEL_PARAM("rdinit", set_rdinit);

static void mount_dev(void)
{
    struct super_block *dev = tmpfs_create("devtmpfs");
    struct inode *dir;
    struct path at;

    if (dev == NULL)
        panic("no memory for /dev");
    devfs_init(dev);
    if (root_path.inode->iops->mkdir(root_path.inode, "dev", 3, 0755, &dir) == 0)
        inode_put(dir);
    if (vfs_lookup(AT_FDCWD, "/dev", LOOKUP_FOLLOW, &at, NULL, NULL) == 0) {
        vfs_mount(dev, &at, "/dev");
        path_put(&at);
    }
}

bool disk_root_requested(void);
int disk_mount_root(void);
void disk_mount_extra(void);

void start_application(void)
{
    struct super_block *root = NULL;
    struct process *p;
    struct thread *th = current_thread();
    char *argv[INIT_MAX_ARGS + 2];
    char *envp[INIT_MAX_ENVS + 3];
    unsigned int argc = 0, envc = 0;
    const char *path = init_path[0] != '\0' ? init_path : "/init";
    int err;

    futex_init();
    /* root=/dev/vdX: the disk is the root and holds the application. */
    if (disk_root_requested() && disk_mount_root() == 0)
        goto root_ready;
    root = tmpfs_create("rootfs");
    if (root == NULL)
        panic("no memory for the root file system");
    vfs_set_root(root);

    if (bootinfo.nmods == 0) {
        pr_emerg("eggos: no application to run: boot with -initrd <initramfs.cpio | static ELF>\n");
        machine_exit(EXIT_NO_INIT);
    }
    net_write_etc(root); /* before the initramfs: its own files win */
    for (unsigned int i = 0; i < bootinfo.nmods; i++) {
        err = initramfs_unpack(root, phys_to_virt(bootinfo.mods[i].base), bootinfo.mods[i].size);
        if (err != 0)
            pr_err("eggos: boot module %u could not be fully unpacked\n", i);
    }

root_ready:
    /* pid 1, as init on Linux; kernel threads never take tid 1. */
    p = process_create(1);
    if (p == NULL)
        panic("no memory for the application");
    th->tid = 1;
    if (task_create(p, th) == NULL)
        panic("no memory for the application's first thread");
    p->files = fdtable_create();
    if (p->files == NULL)
        panic("no memory for the file table");
    init_process = p;

    mount_dev();
    procfs_mount();
    etc_defaults();
    /* A /tmp, as every Linux system has (Go's os.TempDir defaults to it). */
    struct inode *tmp;
    if (root_path.inode->iops->mkdir != NULL &&
        root_path.inode->iops->mkdir(root_path.inode, "tmp", 3, 01777, &tmp) == 0)
        inode_put(tmp);
    disk_mount_extra();
    tty_init();
    for (int fd = 0; fd < 3; fd++) {
        struct file *con = tty_open_console();
        if (con == NULL || fd_install(con, false, fd) != fd)
            panic("cannot open the console for fd %d", fd);
    }

    argv[argc++] = (char *)path;
    for (unsigned int i = 0; i < init_nargs; i++)
        argv[argc++] = init_args[i];
    argv[argc] = NULL;
    envp[envc++] = "HOME=/";
    envp[envc++] = "TERM=linux";
    for (unsigned int i = 0; i < init_nenvs; i++)
        envp[envc++] = init_envs[i];
    envp[envc] = NULL;

    err = exec_application(p, path, argv, argc, envp, envc);
    pr_emerg("eggos: could not start %s (error %d)\n", path, -err);
    machine_exit(err == -ENOENT ? EXIT_NO_INIT : EXIT_BAD_INIT);
}
