/*
 * vdso_map.c - the kernel side of the vDSO (vdso.h).
 *
 * At boot the image embedded by blob.S is copied into pages from the page
 * allocator, so that, like the vvar page, it can be mapped into user space
 * with a page reference per mapping: the kernel keeps one reference of its
 * own, so no process unmapping them ever frees them. exec calls vdso_map
 * for every new address space. The clocks' fields in the vvar page are
 * owned by kernel/arch/x86_64/time.c (time_vdso_attach).
 */
#include "core/params.h"
#include "core/printk.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/vm.h"
#include "vdso/vdso.h"
#include "vdso/vdso_data.h"

#define VDSO_MAX_PAGES 4

_Static_assert(VDSO_VVAR_SIZE == PAGE_SIZE, "the vvar page is one page below the vDSO");

extern const uint8_t vdso_image_start[], vdso_image_end[];

/* Set once by vdso_init (boot CPU, before any process), read-only after. */
static struct page *vdso_pages[VDSO_MAX_PAGES];
static unsigned int vdso_npages;
static struct page *vvar_pages[1];

/* "vdso=0" on the command line: map no vDSO (as Linux); clock reads use the syscalls. */
static bool vdso_enabled = true;

static int set_vdso(const char *val)
{
    if (val == NULL || (strcmp(val, "0") != 0 && strcmp(val, "1") != 0))
        return -EINVAL;
    vdso_enabled = val[0] == '1';
    return 0;
}
KERNEL_PARAM("vdso", set_vdso);

/* The image must at least be an ELF file: it is our build's, but say so if not. */
static bool image_ok(size_t size)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};

    return size >= sizeof(magic) && memcmp(vdso_image_start, magic, sizeof(magic)) == 0 &&
           size <= VDSO_MAX_PAGES * PAGE_SIZE;
}

void vdso_init(void)
{
    size_t size = (size_t)(vdso_image_end - vdso_image_start);
    unsigned int n = (unsigned int)(ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT);

    if (!vdso_enabled)
        return;
    if (!image_ok(size)) {
        pr_warn("vdso: embedded image is not a vDSO (%zu bytes); none mapped\n", size);
        return;
    }
    vvar_pages[0] = page_alloc(0, PA_ZERO);
    if (vvar_pages[0] == NULL)
        goto nomem;
    for (unsigned int i = 0; i < n; i++) {
        vdso_pages[i] = page_alloc(0, PA_ZERO);
        if (vdso_pages[i] == NULL)
            goto nomem;
        size_t off = (size_t)i * PAGE_SIZE;
        memcpy(page_address(vdso_pages[i]), vdso_image_start + off, MIN(PAGE_SIZE, size - off));
    }
    time_vdso_attach(page_address(vvar_pages[0]));
    vdso_npages = n;
    return;
nomem:
    pr_warn("vdso: out of memory; none mapped\n");
}

long vdso_map(struct mm *mm)
{
    const struct vm_special runs[] = {
        {.pages = vvar_pages, .npages = 1, .prot = PROT_READ, .vflags = VMA_VVAR},
        {.pages = vdso_pages,
         .npages = vdso_npages,
         .prot = PROT_READ | PROT_EXEC,
         .vflags = VMA_VDSO},
    };
    long base;

    if (vdso_npages == 0)
        return 0;
    base = vm_map_special(mm, runs, ARRAY_SIZE(runs));
    return base < 0 ? base : base + VDSO_VVAR_SIZE;
}
