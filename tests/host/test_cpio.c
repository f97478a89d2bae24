/* The newc cpio reader on good and corrupt archives. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fs/cpio.h"
#include "lib/errno.h"

static size_t put_entry(uint8_t *buf, size_t off, const char *name, uint32_t mode, const char *data)
{
    size_t namesize = strlen(name) + 1, size = data ? strlen(data) : 0;
    char hdr[111];

    snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 7,
             mode, 0, 0, 1, 1700000000, (unsigned)size, 0, 0, 0, 0, (unsigned)namesize, 0);
    memcpy(buf + off, hdr, 110);
    off += 110;
    memcpy(buf + off, name, namesize);
    off += namesize;
    while (off % 4)
        buf[off++] = 0;
    if (size) {
        memcpy(buf + off, data, size);
        off += size;
    }
    while (off % 4)
        buf[off++] = 0;
    return off;
}

Test(cpio, entries_and_trailer)
{
    static uint8_t buf[2048];
    size_t len = 0, off = 0;
    struct cpio_entry e;

    len = put_entry(buf, len, "etc", 040755, NULL);
    len = put_entry(buf, len, "etc/hosts", 0100644, "127.0.0.1 localhost\n");
    len = put_entry(buf, len, "link", 0120777, "etc/hosts");
    len = put_entry(buf, len, "TRAILER!!!", 0, NULL);
    memset(buf + len, 0, 512);
    len += 512; /* zero padding after the trailer */

    cr_assert_eq(cpio_next(buf, len, &off, &e), 1);
    cr_assert_eq(e.namelen, 3);
    cr_assert_eq(e.mode, 040755);
    cr_assert_eq(cpio_next(buf, len, &off, &e), 1);
    cr_assert_eq(memcmp(e.name, "etc/hosts", 9), 0);
    cr_assert_eq(e.size, 20);
    cr_assert_eq(memcmp(e.data, "127.0.0.1", 9), 0);
    cr_assert_eq(e.mtime, 1700000000);
    cr_assert_eq(cpio_next(buf, len, &off, &e), 1);
    cr_assert_eq(e.mode & 0170000, 0120000);
    cr_assert_eq(cpio_next(buf, len, &off, &e), 0, "trailer");
    cr_assert_eq(cpio_next(buf, len, &off, &e), 0, "padding then end");
    cr_assert_eq(off, len);
}

Test(cpio, corrupt)
{
    static uint8_t buf[1024];
    size_t len, off;
    struct cpio_entry e;

    len = put_entry(buf, 0, "file", 0100644, "data");
    /* Bad magic. */
    buf[5] = '7';
    off = 0;
    cr_assert_eq(cpio_next(buf, len, &off, &e), -EINVAL);
    buf[5] = '1';
    /* Non-hex digit in a field. */
    buf[20] = 'z';
    off = 0;
    cr_assert_eq(cpio_next(buf, len, &off, &e), -EINVAL);
    len = put_entry(buf, 0, "file", 0100644, "data");
    /* Truncated: the data runs past the end. */
    off = 0;
    cr_assert_eq(cpio_next(buf, len - 4, &off, &e), -EINVAL);
    /* Truncated header. */
    off = 0;
    cr_assert_eq(cpio_next(buf, 50, &off, &e), -EINVAL);
    /* Name size 0 or absurdly large. */
    memcpy(buf + 94, "00000000", 8);
    off = 0;
    cr_assert_eq(cpio_next(buf, len, &off, &e), -EINVAL);
    memcpy(buf + 94, "7fffffff", 8);
    off = 0;
    cr_assert_eq(cpio_next(buf, len, &off, &e), -EINVAL);
    /* File size larger than the archive. */
    len = put_entry(buf, 0, "file", 0100644, "data");
    memcpy(buf + 54, "ffffffff", 8);
    off = 0;
    cr_assert_eq(cpio_next(buf, len, &off, &e), -EINVAL);
}
