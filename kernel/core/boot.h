/*
 * boot.h - what the boot loader handed over, in one normalized form.
 *
 * arch/x86_64/boot.S enters kmain() with the protocol (PVH or multiboot2)
 * and the physical address of the loader's information block. core/bootinfo.c
 * copies what the kernel needs out of it into struct bootinfo before the
 * memory it lives in can be reused.
 */
#pragma once

#define BOOT_PROTO_PVH 1
#define BOOT_PROTO_MB2 2

#ifndef __ASSEMBLER__
#include "lib/types.h"

/* E820 memory types, shared by PVH and multiboot2. */
#define MEM_RAM 1
#define MEM_RESERVED 2
#define MEM_ACPI 3
#define MEM_NVS 4
#define MEM_UNUSABLE 5

#define BOOT_MAX_RANGES 128
#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 4096

struct mem_range {
    uint64_t base;
    uint64_t size;
    uint32_t type;
};

struct boot_module {
    phys_addr_t base;
    uint64_t size;
};

struct boot_framebuffer {
    phys_addr_t addr; /* 0: none */
    uint32_t pitch, width, height;
    uint8_t bpp;
    uint8_t type; /* multiboot2: 0 indexed, 1 RGB, 2 EGA text */
};

struct bootinfo {
    int proto;
    uint64_t entry_tsc;
    uint64_t unpacked_tsc; /* the unpacker's end (unpack.S); 0: booted unpacked */
    char cmdline[BOOT_CMDLINE_MAX];
    struct mem_range mem[BOOT_MAX_RANGES];
    unsigned int nmem;
    struct boot_module mods[BOOT_MAX_MODULES];
    unsigned int nmods;
    phys_addr_t rsdp;      /* 0: see rsdp_copy, else search the BIOS areas */
    uint8_t rsdp_copy[36]; /* multiboot2 hands over a copy of the RSDP */
    uint32_t rsdp_copy_len;
    struct boot_framebuffer fb;
};

extern struct bootinfo bootinfo;

/*
 * Parse the loader's block into *bi. phys(pa, len) returns a pointer through
 * which len bytes at physical address pa can be read, or NULL when that range
 * is out of reach. Returns 0, or -EINVAL when the block is not of the given
 * protocol (bad magic); what is malformed inside is skipped with a warning.
 */
int bootinfo_parse(struct bootinfo *bi, int proto, phys_addr_t info,
                   const void *(*phys)(phys_addr_t pa, size_t len));
#endif
