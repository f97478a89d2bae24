/* Parsing PVH start_info and multiboot2 information, good and malformed. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/boot.h"
#include "host.h"
#include "lib/errno.h"

static uint8_t *mem;

static const void *phys(phys_addr_t pa, size_t len)
{
    if (pa + len < pa || pa + len > (1u << 20))
        return NULL;
    return mem + pa;
}

static void setup(void)
{
    mem = host_phys_arena(1u << 20);
    host_log_clear();
}

TestSuite(bootinfo, .init = setup);

static void put32(phys_addr_t pa, uint32_t v)
{
    memcpy(mem + pa, &v, 4);
}

static void put64(phys_addr_t pa, uint64_t v)
{
    memcpy(mem + pa, &v, 8);
}

Test(bootinfo, pvh)
{
    static struct bootinfo bi;

    /* start_info at 0x1000, cmdline at 0x2000, one module, two map entries. */
    put32(0x1000, 0x336ec578);
    put32(0x1004, 1);      /* version */
    put32(0x100c, 1);      /* nr_modules */
    put64(0x1010, 0x3000); /* modlist */
    put64(0x1018, 0x2000); /* cmdline */
    put64(0x1020, 0xf5000);
    put64(0x1028, 0x4000); /* memmap */
    put32(0x1030, 2);
    strcpy((char *)mem + 0x2000, "console=ttyS0 -- x");
    put64(0x3000, 0x800000);
    put64(0x3008, 12345);
    put64(0x4000, 0);
    put64(0x4008, 0x9fc00);
    put32(0x4010, 1);
    put64(0x4018, 0x100000);
    put64(0x4020, 0x7f00000);
    put32(0x4028, 1);

    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_PVH, 0x1000, phys), 0);
    cr_assert_str_eq(bi.cmdline, "console=ttyS0 -- x");
    cr_assert_eq(bi.rsdp, 0xf5000);
    cr_assert_eq(bi.nmods, 1);
    cr_assert_eq(bi.mods[0].base, 0x800000);
    cr_assert_eq(bi.mods[0].size, 12345);
    cr_assert_eq(bi.nmem, 2);
    cr_assert_eq(bi.mem[1].base, 0x100000);
    cr_assert_eq(bi.mem[1].type, MEM_RAM);
}

Test(bootinfo, pvh_bad_magic_and_unreadable_parts)
{
    static struct bootinfo bi;

    put32(0x1000, 0x12345678);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_PVH, 0x1000, phys), -EINVAL);
    /* Good magic, but the memory map points outside memory: skipped. */
    put32(0x1000, 0x336ec578);
    put32(0x1004, 1);
    put64(0x1028, 0xfffff000);
    put32(0x1030, 1000);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_PVH, 0x1000, phys), 0);
    cr_assert_eq(bi.nmem, 0);
    cr_assert(host_log_contains("memory map unreadable"));
    /* A start_info beyond memory. */
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_PVH, 0xfffffff0, phys), -EINVAL);
}

/* Append a multiboot2 tag at *off; returns its start. */
static size_t tag(size_t *off, uint32_t type, const void *body, uint32_t len)
{
    size_t start = *off;

    put32(start, type);
    put32(start + 4, 8 + len);
    if (len > 0)
        memcpy(mem + start + 8, body, len);
    *off = (start + 8 + len + 7) & ~7ul;
    return start;
}

Test(bootinfo, multiboot2)
{
    static struct bootinfo bi;
    size_t off = 0x5008;
    uint8_t mmap[8 + 2 * 24] = {0};
    uint32_t mod[2] = {0x900000, 0x901000};
    uint8_t rsdp[36] = "RSD PTR ";

    tag(&off, 1, "quiet loglevel=7", 17);
    tag(&off, 3, mod, 8);
    put32(0, 0);
    memcpy(mmap, &(uint32_t){24}, 4); /* entry size */
    memcpy(mmap + 8, &(uint64_t){0x100000}, 8);
    memcpy(mmap + 16, &(uint64_t){0x1000000}, 8);
    memcpy(mmap + 24, &(uint32_t){1}, 4);
    memcpy(mmap + 32, &(uint64_t){0xfec00000}, 8);
    memcpy(mmap + 40, &(uint64_t){0x1000}, 8);
    memcpy(mmap + 48, &(uint32_t){2}, 4);
    tag(&off, 6, mmap, sizeof(mmap));
    tag(&off, 15, rsdp, sizeof(rsdp));
    tag(&off, 0, NULL, 0);
    put32(0x5000, (uint32_t)(off - 0x5000));

    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), 0);
    cr_assert_str_eq(bi.cmdline, "quiet loglevel=7");
    cr_assert_eq(bi.nmods, 1);
    cr_assert_eq(bi.mods[0].size, 0x1000);
    cr_assert_eq(bi.nmem, 2);
    cr_assert_eq(bi.mem[1].type, MEM_RESERVED);
    cr_assert_eq(bi.rsdp_copy_len, 36);
    cr_assert_eq(memcmp(bi.rsdp_copy, "RSD PTR ", 8), 0);
}

Test(bootinfo, multiboot2_malformed)
{
    static struct bootinfo bi;

    /* Total size too small or too large. */
    put32(0x5000, 4);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), -EINVAL);
    put32(0x5000, 0x7fffffff);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), -EINVAL);
    /* A tag whose size runs past the end: parsing stops with a warning. */
    put32(0x5000, 64);
    put32(0x5008, 1);
    put32(0x500c, 4000);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), 0);
    cr_assert_str_eq(bi.cmdline, "");
    cr_assert(host_log_contains("malformed multiboot2 tag"));
    /* An entry size so large that 32-bit arithmetic would wrap (found by fuzzing). */
    put32(0x5008, 6);
    put32(0x500c, 40);
    put32(0x5010, 0xfffffff0);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), 0);
    cr_assert_eq(bi.nmem, 0);
    cr_assert(host_log_contains("entry size"));
    /* A memory map tag with a tiny entry size is ignored. */
    put32(0x5008, 6);
    put32(0x500c, 40);
    put32(0x5010, 4);
    cr_assert_eq(bootinfo_parse(&bi, BOOT_PROTO_MB2, 0x5000, phys), 0);
    cr_assert_eq(bi.nmem, 0);
}
