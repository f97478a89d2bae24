/* Sanitizing boot memory maps: overlaps, odd alignment, reserved wins. */
#include <criterion/criterion.h>

#include "mm/memmap.h"

#define MB (1ull << 20)

static unsigned int usable(const struct mem_range *in, unsigned int n, const struct mem_range *resv,
                           unsigned int nr, struct mem_range *out)
{
    return memmap_usable(in, n, resv, nr, out, 32);
}

Test(memmap, simple_pc_map)
{
    struct mem_range in[] = {
        {0, 0x9fc00, MEM_RAM},
        {0x9fc00, 0x400, MEM_RESERVED},
        {0xf0000, 0x10000, MEM_RESERVED},
        {0x100000, 255 * MB, MEM_RAM},
    };
    struct mem_range resv[] = {{0x100000, 0x40000, MEM_RESERVED}};
    struct mem_range out[32];
    unsigned int n = usable(in, 4, resv, 1, out);

    cr_assert_eq(n, 1);
    cr_assert_eq(out[0].base, 0x140000);
    cr_assert_eq(out[0].base + out[0].size, 256 * MB);
}

Test(memmap, overlapping_and_unsorted)
{
    struct mem_range in[] = {
        {64 * MB, 64 * MB, MEM_RAM},
        {1 * MB, 100 * MB, MEM_RAM},        /* overlaps the first */
        {32 * MB, 1 * MB, MEM_ACPI},        /* punches a hole */
        {200 * MB, 0, MEM_RAM},             /* empty */
        {300 * MB + 123, 10 * MB, MEM_RAM}, /* unaligned */
    };
    struct mem_range out[32];
    unsigned int n = usable(in, 5, NULL, 0, out);

    cr_assert_eq(n, 3);
    cr_assert_eq(out[0].base, 1 * MB);
    cr_assert_eq(out[0].size, 31 * MB);
    cr_assert_eq(out[1].base, 33 * MB);
    cr_assert_eq(out[1].base + out[1].size, 128 * MB);
    cr_assert_eq(out[2].base, 300 * MB + 4096);
    cr_assert_eq(out[2].base + out[2].size, 310 * MB);
}

Test(memmap, reserved_wins_over_ram)
{
    struct mem_range in[] = {{0, 64 * MB, MEM_RAM}, {0, 64 * MB, MEM_RESERVED}};
    struct mem_range out[32];

    cr_assert_eq(usable(in, 2, NULL, 0, out), 0);
}

Test(memmap, below_1mib_is_never_used)
{
    struct mem_range in[] = {{0, 0xa0000, MEM_RAM}};
    struct mem_range out[32];

    cr_assert_eq(usable(in, 1, NULL, 0, out), 0);
}

Test(memmap, ranges_beyond_52_bits_are_ignored)
{
    /* Near the top of the address space: must not wrap to address 0 (found by fuzzing). */
    struct mem_range in[] = {{0xfffffffffffff0a0ull, 0xffff, MEM_RAM}};
    struct mem_range out[32];

    cr_assert_eq(usable(in, 1, NULL, 0, out), 0);
}

Test(memmap, wrapping_range_is_clamped)
{
    struct mem_range in[] = {{0xfffffffffff00000ull, 0x200000, MEM_RAM}, {2 * MB, 2 * MB, MEM_RAM}};
    struct mem_range out[32];
    unsigned int n = usable(in, 2, NULL, 0, out);

    cr_assert_geq(n, 1);
    cr_assert_eq(out[0].base, 2 * MB);
}
