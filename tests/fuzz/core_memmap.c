/* Fuzz target: memory-map sanitizing (mm/memmap.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mm/memmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem_range in[64], out[64];
    unsigned int n = (unsigned int)(size / 17);

    if (n > 64)
        n = 64;
    for (unsigned int i = 0; i < n; i++) {
        memcpy(&in[i].base, data + 17 * i, 8);
        memcpy(&in[i].size, data + 17 * i + 8, 8);
        in[i].type = data[17 * i + 16] % 6;
    }
    unsigned int k = memmap_usable(in, n, NULL, 0, out, 64);
    for (unsigned int i = 0; i < k; i++) {
        if (out[i].base % 4096 || out[i].size % 4096 || out[i].size == 0 || out[i].base < 0x100000)
            __builtin_trap();
        if (i > 0 && out[i].base < out[i - 1].base + out[i - 1].size)
            __builtin_trap(); /* sorted, disjoint */
    }
    return 0;
}
