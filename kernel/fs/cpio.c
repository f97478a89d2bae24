/*
 * cpio.c - the newc cpio parser (see cpio.h). The input is untrusted (it
 * comes from the boot loader): every field is checked before use. Both
 * "070701" (newc) and "070702" (newc with checksums; the sums are not
 * verified, as Linux does not either) are accepted. Host-tested and
 * fuzzed (tests/host/test_cpio.c, tests/fuzz).
 */
#include "fs/cpio.h"
#include "lib/errno.h"
#include "lib/string.h"

#define HEADER_LEN 110

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -EINVAL;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

int cpio_next(const uint8_t *buf, size_t len, size_t *off, struct cpio_entry *e)
{
    uint32_t f[13];
    size_t pos = *off, name_end, data_end;

    /* Skip zero padding between concatenated archives and at the end. */
    while (pos < len && buf[pos] == 0)
        pos++;
    if (pos >= len) {
        *off = len;
        return 0;
    }
    if (len - pos < HEADER_LEN)
        return -EINVAL;
    if (memcmp(buf + pos, "07070", 5) != 0 || (buf[pos + 5] != '1' && buf[pos + 5] != '2'))
        return -EINVAL;
    for (int i = 0; i < 13; i++) {
        if (hex8(buf + pos + 6 + 8 * i, &f[i]) != 0)
            return -EINVAL;
    }
    e->ino = f[0];
    e->mode = f[1];
    e->uid = f[2];
    e->gid = f[3];
    e->nlink = f[4];
    e->mtime = f[5];
    e->size = f[6];
    e->devmajor = f[7];
    e->devminor = f[8];
    e->rdevmajor = f[9];
    e->rdevminor = f[10];
    if (f[11] == 0 || f[11] > 4096)
        return -EINVAL; /* namesize includes the NUL */
    name_end = pos + HEADER_LEN + f[11];
    if (name_end > len || buf[name_end - 1] != '\0')
        return -EINVAL;
    e->name = (const char *)buf + pos + HEADER_LEN;
    e->namelen = f[11] - 1;
    if (memchr(e->name, '\0', e->namelen) != NULL)
        return -EINVAL;
    pos = ALIGN_UP(name_end, 4ul);
    if (pos > len || e->size > len - pos)
        return -EINVAL;
    e->data = buf + pos;
    data_end = pos + e->size;
    *off = MIN(ALIGN_UP(data_end, 4ul), len);
    if (e->namelen == 10 && memcmp(e->name, "TRAILER!!!", 10) == 0)
        return 0;
    return 1;
}
