/*
 * proc_internal.h - the node tree behind /proc and /sys, shared by
 * procfs.c (the file system), pid.c and system.c (the contents).
 *
 * A proc_node is a registered name: a directory, a file with show/write
 * handlers, or a symbolic link. Nodes are created once and never freed.
 * A directory may also generate numbered entries (pids, tids, fds) through
 * a proc_dyn, each an instance of one template node. An inode of procfs
 * is (node, pid, num): which template, for which process and which number.
 *
 * Locking: proc_tree_lock (a mutex) guards every node's children list;
 * handlers run without it.
 */
#pragma once

#include "fs/proc/proc.h"
#include "fs/vfs.h"
#include "lib/list.h"

struct proc_inode;

/* Generated numbered entries of a directory. */
struct proc_dyn {
    struct proc_node *child; /* what each entry is */
    bool sets_pid;           /* the number is a pid for everything below */
    /* The smallest entry number > after, or -ENOENT when none is left. */
    int (*next)(const struct proc_inode *dir, int after);
};

struct proc_node {
    const char *name;
    uint32_t mode; /* S_IFDIR, S_IFREG or S_IFLNK and permissions */
    uint64_t ino;
    proc_show_t show;
    proc_write_t write;
    void *ctx;
    const char *target; /* fixed symlink target */
    /* A symlink whose target depends on the inode (self, exe, fd/N). */
    ssize_t (*readlink)(const struct proc_inode *pi, char *buf, size_t size);
    /* A magic link (fd/N, cwd): the object itself (inode_ops.get_link). */
    int (*get_link)(const struct proc_inode *pi, struct path *out);
    const struct proc_dyn *dyn;
    bool per_pid; /* show/write get the struct proc_inode as ctx */
    struct proc_node *parent;
    struct list_head children; /* guarded by proc_tree_lock */
    struct list_head sibling;
};

/* What a procfs inode's priv points to. */
struct proc_inode {
    struct proc_node *node;
    int pid; /* 0 outside /proc/<pid> */
    int num; /* the generated entry's number (fd, tid) or 0 */
};

/*
 * Add a node under parent (NULL: the /proc root). Returns it or NULL (no
 * memory, or the name exists). name is not copied.
 */
struct proc_node *proc_node_add(struct proc_node *parent, const char *name, uint32_t mode);

/* The per-process and system-wide entries (pid.c, system.c). */
void proc_pid_init(struct proc_node *root);
void proc_system_init(void);
