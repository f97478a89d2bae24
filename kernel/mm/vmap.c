/*
 * vmap.c - kernel stacks with guard pages, and MMIO mappings.
 *
 * The vmap area is split in two halves: stacks from the bottom in fixed
 * slots of KSTACK_SIZE plus one guard page (slot i's guard is its lowest
 * page), MMIO from the middle, bump-allocated. Freed stack slots go on a
 * free list and keep their page-table entries' tables; their frames return
 * to the page allocator.
 */
#include "core/panic.h"
#include "core/printk.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vmap.h"
#include "sched/smp.h"
#include "sched/spinlock.h"

#define SLOT_SIZE (KSTACK_SIZE + PAGE_SIZE)
#define STACK_AREA_END (VMAP_BASE + VMAP_SIZE / 2)
#define MMIO_BASE STACK_AREA_END
#define MMIO_END (VMAP_BASE + VMAP_SIZE)

#define MAX_FREE_SLOTS 1024
static uintptr_t slot_store[MAX_FREE_SLOTS];

static struct {
    spinlock_t lock;
    uintptr_t next_slot;   /* guarded by lock */
    uintptr_t *free_slots; /* recycled stack bases (slot_store); guarded by lock */
    unsigned int nfree;
    uintptr_t next_mmio;
} vm = {.lock = SPINLOCK_INIT,
        .next_slot = VMAP_BASE,
        .next_mmio = MMIO_BASE,
        .free_slots = slot_store};

void *kstack_alloc(void)
{
    uintptr_t base = 0;
    struct page *pg;
    uint64_t irq;

    /* A stack is 4 contiguous pages: one order-2 block. */
    pg = page_alloc(page_order_for(KSTACK_SIZE), 0);
    if (pg == NULL)
        return NULL;

    irq = spin_lock_irqsave(&vm.lock);
    if (vm.nfree > 0) {
        base = vm.free_slots[--vm.nfree];
    } else if (vm.next_slot + SLOT_SIZE <= STACK_AREA_END) {
        base = vm.next_slot + PAGE_SIZE;
        vm.next_slot += SLOT_SIZE;
    }
    spin_unlock_irqrestore(&vm.lock, irq);
    if (base == 0)
        goto free_pages;

    if (pt_map(kernel_pml4, base, page_to_phys(pg), KSTACK_SIZE,
               PTE_WRITE | PTE_NX | PTE_GLOBAL | PT_MAP_NO_HUGE) != 0)
        goto free_slot;
    return (void *)base;

free_slot:
    irq = spin_lock_irqsave(&vm.lock);
    vm.free_slots[vm.nfree++] = base;
    spin_unlock_irqrestore(&vm.lock, irq);
free_pages:
    page_free(pg, page_order_for(KSTACK_SIZE));
    return NULL;
}

void kstack_free(void *base)
{
    uintptr_t va = (uintptr_t)base;
    phys_addr_t pa = pt_translate(kernel_pml4, va);
    uint64_t irq;

    if (pa == (phys_addr_t)-1)
        panic("kstack_free: %p is not a mapped stack", base);
    pt_unmap(kernel_pml4, va, KSTACK_SIZE);
    /* Other CPUs may cache the old (global) translation: flush them
     * before the frames or the slot are used again. */
    tlb_shootdown();
    page_free(phys_to_page(pa), page_order_for(KSTACK_SIZE));

    irq = spin_lock_irqsave(&vm.lock);
    if (vm.nfree < MAX_FREE_SLOTS)
        vm.free_slots[vm.nfree++] = va;
    spin_unlock_irqrestore(&vm.lock, irq);
}

void *ioremap(phys_addr_t pa, size_t size)
{
    phys_addr_t start = ALIGN_DOWN(pa, PAGE_SIZE);
    size_t len = ALIGN_UP(pa + size, PAGE_SIZE) - start;
    uintptr_t va;
    uint64_t irq;

    irq = spin_lock_irqsave(&vm.lock);
    va = vm.next_mmio;
    if (va + len > MMIO_END) {
        spin_unlock_irqrestore(&vm.lock, irq);
        return NULL;
    }
    vm.next_mmio += len + PAGE_SIZE; /* a gap page between mappings */
    spin_unlock_irqrestore(&vm.lock, irq);

    if (pt_map(kernel_pml4, va, start, len,
               PTE_WRITE | PTE_NX | PTE_PCD | PTE_PWT | PTE_GLOBAL | PT_MAP_NO_HUGE) != 0)
        return NULL;
    return (void *)(va + (pa - start));
}

bool vmap_is_guard(uintptr_t va)
{
    return va >= VMAP_BASE && va < STACK_AREA_END && ((va - VMAP_BASE) % SLOT_SIZE) < PAGE_SIZE;
}
