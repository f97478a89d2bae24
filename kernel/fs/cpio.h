/*
 * cpio.h - reading "newc" cpio archives (the initramfs format).
 */
#pragma once

#include "lib/types.h"

struct cpio_entry {
    const char *name; /* not NUL-terminated; namelen bytes */
    size_t namelen;
    uint32_t ino, mode, uid, gid, nlink;
    uint64_t mtime;
    uint32_t devmajor, devminor, rdevmajor, rdevminor;
    const uint8_t *data;
    size_t size;
};

/*
 * cpio_next parses the entry at *off of the archive buf[0..len). Returns 1
 * with *e filled and *off moved past the entry, 0 at the trailer or at the
 * end of the data (trailing zero padding allowed), or -EINVAL for a
 * malformed header, a bad magic, or sizes that run past the end.
 */
int cpio_next(const uint8_t *buf, size_t len, size_t *off, struct cpio_entry *e);
