/* Fuzz target: ACPI table parsing (acpi/tables.c) on arbitrary "memory". */
#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"

static const uint8_t *input;
static size_t input_size;

static const void *phys(phys_addr_t pa, size_t len)
{
    if (pa > input_size || len > input_size - pa)
        return NULL;
    return input + pa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct acpi_info info;

    input = data;
    input_size = size;
    /* The RSDP at offset 0; tables wherever the input's pointers say. */
    acpi_tables_parse(&info, 0, NULL, phys);
    if (info.ncpus > MAX_CPUS || info.nioapics > ACPI_MAX_IOAPICS ||
        info.noverrides > ACPI_MAX_OVERRIDES)
        __builtin_trap();
    acpi_find_rsdp(phys);
    return 0;
}
