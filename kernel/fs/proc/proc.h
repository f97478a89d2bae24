/*
 * proc.h - /proc and /sys: files whose text a function writes when they are
 * opened.
 *
 * A subsystem registers a file under /proc with proc_create("net/tcp",
 * 0444, show, ctx): opening it calls show(seqbuf, ctx), which appends the
 * whole text with seq_printf; reads then page through that snapshot.
 * proc_create_rw adds a write handler that receives each write(2)'s bytes
 * (at most a page). Directories on the way are created as needed; entries
 * are never removed. Registration may happen before or after /proc is
 * mounted, from any thread that may sleep.
 *
 * Per-process directories (/proc/<pid>, /proc/self) are built in
 * (fs/proc/pid.c); the system-wide files in fs/proc/system.c.
 */
#pragma once

#include "lib/seqbuf.h"
#include "lib/types.h"

/* Append the file's text to s; 0 or -errno (read(2) returns it). */
typedef int (*proc_show_t)(struct seqbuf *s, void *ctx);
/* Take len bytes written to the file; returns len (or fewer) or -errno. */
typedef ssize_t (*proc_write_t)(const char *buf, size_t len, void *ctx);

/* A read-only file at path (relative to /proc). 0, -EEXIST or -ENOMEM. */
int proc_create(const char *path, uint32_t mode, proc_show_t show, void *ctx);
/* A file that can also be written. */
int proc_create_rw(const char *path, uint32_t mode, proc_show_t show, proc_write_t write,
                   void *ctx);
/* A symbolic link at path with a fixed target. */
int proc_symlink(const char *path, const char *target);
/* A read-only file under /sys. */
int sysfs_create(const char *path, uint32_t mode, proc_show_t show, void *ctx);

/* Mount /proc and /sys (boot, after the root file system exists). */
void procfs_mount(void);
