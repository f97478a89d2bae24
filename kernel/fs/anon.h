/*
 * anon.h - files without a name (pipes, eventfd, epoll, sockets).
 */
#pragma once

#include "fs/vfs.h"

/*
 * A new file with its own inode of the given mode (S_IFIFO|0600 for pipes,
 * S_IFSOCK for sockets, 0600 for others); kind names it in /proc/self/fd
 * ("pipe", "anon_inode:[eventfd]"). NULL when out of memory.
 */
struct file *anon_file(const struct file_ops *ops, void *priv, uint32_t flags, uint32_t mode,
                       const char *kind);
