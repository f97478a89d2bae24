/* Fuzz target: ELF header validation (linux/elf.c). */
#include <stddef.h>
#include <stdint.h>

#include "linux/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct elf_info info;
    char why[128];

    if (elf_parse(data, size, size, &info, why, sizeof(why)) == 0) {
        /* Whatever is accepted must be self-consistent. */
        for (unsigned int i = 0; i < info.nsegs; i++) {
            if (info.segs[i].filesz > info.segs[i].memsz ||
                info.segs[i].offset + info.segs[i].filesz > size)
                __builtin_trap();
        }
        if (info.entry < info.lo || info.entry >= info.hi)
            __builtin_trap();
    }
    return 0;
}
