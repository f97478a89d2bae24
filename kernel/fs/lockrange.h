/*
 * lockrange.h - the arithmetic of advisory file locks: which locks
 * conflict, and how setting or clearing a byte range splits and merges an
 * owner's existing locks.
 *
 * A lock_set is a list of lock_entry. Entries carry a key (the inode), a
 * space (POSIX/OFD byte-range locks and flock whole-file locks never
 * interact), an owner (a process for POSIX locks, an open file for OFD and
 * flock locks) and an inclusive byte range. Invariant kept by
 * lockset_apply: one owner's entries on one key never overlap, and two of
 * its entries of the same type are never adjacent.
 *
 * No allocation and no kernel dependencies (host-tested in
 * tests/host/test_lockrange.c): the caller passes spare entries in and
 * frees what comes back on the `freed` list. Locking is the caller's
 * (fs/locks.c holds its mutex).
 */
#pragma once

#include "lib/list.h"
#include "lib/types.h"

#define LOCK_RD 0 /* F_RDLCK */
#define LOCK_WR 1 /* F_WRLCK */
#define LOCK_UNLOCK 2
#define LOCK_END_MAX UINT64_MAX /* "to the end of the file" */

#define LOCK_SPACE_POSIX 0 /* fcntl F_SETLK and F_OFD_SETLK */
#define LOCK_SPACE_FLOCK 1 /* flock(2) */

struct lock_entry {
    struct list_head link;
    const void *key;   /* the inode */
    const void *owner; /* struct process (POSIX) or struct file (OFD, flock) */
    int space;
    int type;            /* LOCK_RD or LOCK_WR */
    uint64_t start, end; /* inclusive */
    int pid;             /* shown by F_GETLK: the owner's pid, -1 for OFD locks */
};

/* The first lock in set that conflicts with req (another owner, overlap, a writer), or NULL. */
struct lock_entry *lockset_conflict(struct list_head *set, const struct lock_entry *req);

/*
 * Make req's range of req's owner have req's type (LOCK_UNLOCK clears it).
 * spare[0] and spare[1] are unused entries; each one consumed is set to
 * NULL. Entries removed from the set are moved to freed.
 */
void lockset_apply(struct list_head *set, const struct lock_entry *req, struct lock_entry *spare[2],
                   struct list_head *freed);

/* Move every entry of (key, owner, space) to freed; key NULL matches any key. */
void lockset_remove_owner(struct list_head *set, const void *key, const void *owner, int space,
                          struct list_head *freed);
