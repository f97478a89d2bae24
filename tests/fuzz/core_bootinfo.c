/* Fuzz target: multiboot2 and PVH boot information (core/bootinfo.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/boot.h"

static const uint8_t *input;
static size_t input_size;

/* The input is "physical memory" starting at address 0x1000. */
static const void *phys(phys_addr_t pa, size_t len)
{
    if (pa < 0x1000 || pa - 0x1000 > input_size || len > input_size - (pa - 0x1000))
        return NULL;
    return input + (pa - 0x1000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bootinfo bi;

    input = data;
    input_size = size;
    bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x1000, phys);
    if (bi.nmem > BOOT_MAX_RANGES || bi.nmods > BOOT_MAX_MODULES ||
        strnlen(bi.cmdline, sizeof(bi.cmdline)) == sizeof(bi.cmdline))
        __builtin_trap();
    bootinfo_parse(&bi, BOOT_PROTO_PVH, 0x1000, phys);
    if (bi.nmem > BOOT_MAX_RANGES || bi.nmods > BOOT_MAX_MODULES)
        __builtin_trap();
    return 0;
}
