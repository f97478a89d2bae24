/* Fuzz target: the newc cpio reader (fs/cpio.c). */
#include <stddef.h>
#include <stdint.h>

#include "fs/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cpio_entry e;
    size_t off = 0;

    for (int i = 0; i < 10000; i++) {
        size_t before = off;
        int r = cpio_next(data, size, &off, &e);
        if (r < 0)
            break;
        if (r == 1 && (e.data < data || e.data + e.size > data + size))
            __builtin_trap(); /* an entry pointing outside the archive */
        if (off > size || (off <= before && r != 0))
            __builtin_trap(); /* no progress or past the end */
        if (r == 0 && off >= size)
            break;
    }
    return 0;
}
