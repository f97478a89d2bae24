/*
 * vm.c - user address spaces (see vm.h).
 *
 * Layers: VMA list operations (find, split, merge, insert, remove) under
 * mm->lock; page-table range walkers that free or re-protect the pages of
 * a range while skipping empty tables; the system-call level operations
 * (vm_mmap, vm_munmap, ...). vm_fault (vm_fault.c) maps a zeroed page on
 * the first touch of anonymous memory, or a file's page.
 *
 * File mappings: a file VMA holds a reference on its open file (taken by
 * insert_vma and vma_split, moved by mremap). A fault asks the inode for
 * the page (inode_ops.get_page) with mm->lock dropped, then maps it: a
 * shared VMA maps the file's page itself, a private one maps it read-only
 * marked PTE_COW and copies it on the first write. VMAs that go away under
 * the lock wait on mm->dead; vm_unlock releases them after unlocking:
 * dirty pages are written back (pagecache_writeback) and the file
 * reference dropped, both of which may sleep. Page-table dirty bits of
 * shared pages become PG_DIRTY when the entry is removed (munmap, exit)
 * or by msync (vm_msync, vm_file.c).
 *
 * Pages taken out of the page table are not freed at once: they wait on
 * mm->gather until every CPU has flushed its TLB (flush_and_free), so no
 * CPU can reach a page through a stale translation after it is reused.
 *
 * Memory accounting (commit_ok): a private writable mapping is refused
 * with -ENOMEM unless free memory holds it with a reserve to spare, so Go
 * reports "out of memory" itself; memory is still only taken when touched,
 * and a fault that finds none left kills the application (linux/fault.c),
 * never the kernel.
 *
 * Page faults and transparent huge pages are in vm_fault.c, mremap in
 * vm_remap.c, msync and the write-back of shared file mappings in
 * vm_file.c; what they share with this file is in vm_internal.h.
 */
#include "arch/x86_64/cpu.h"
#include "core/random.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "fs/vfs.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/vm.h"
#include "mm/vm_internal.h"
#include "sched/smp.h"

#define MMAP_TOP_DEFAULT 0x00007f0000000000ul

/* ---- address space life cycle ---- */

static void vma_discard(struct mm *mm, struct vma *v);

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    struct page *pg;
    uint64_t *pml4;

    if (mm == NULL)
        return NULL;
    pg = page_alloc(0, PA_ZERO);
    if (pg == NULL) {
        kfree(mm);
        return NULL;
    }
    mm->pml4 = page_to_phys(pg);
    pml4 = page_address(pg);
    memcpy(&pml4[256], (uint64_t *)phys_to_virt(kernel_pml4) + 256, 256 * sizeof(uint64_t));
    spin_init(&mm->lock);
    list_init(&mm->vmas);
    list_init(&mm->gather);
    list_init(&mm->dead);
    /* A little randomness in where mappings go (ASLR), page granular. */
    mm->mmap_top = MMAP_TOP_DEFAULT - ((random_u64() & 0xffff) << PAGE_SHIFT);
    mm->refs = 1;
    return mm;
}

uint64_t pte_flags(uint32_t prot)
{
    uint64_t f;

    if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0)
        return 0;
    f = PTE_PRESENT | PTE_USER;
    if (prot & PROT_WRITE)
        f |= PTE_WRITE;
    if (!(prot & PROT_EXEC))
        f |= PTE_NX & pte_nx;
    return f;
}

/* Replace a 2 MiB leaf by a table of 512 4 KiB leaves. 0 or -ENOMEM. */
int split_huge(uint64_t *pde)
{
    struct page *pg = page_alloc(0, 0);
    uint64_t *pt, base, flags;

    if (pg == NULL)
        return -ENOMEM;
    pt = page_address(pg);
    base = *pde & PTE_ADDR_MASK & ~(HUGE_PAGE_SIZE - 1);
    flags = *pde & ~PTE_ADDR_MASK & ~PTE_HUGE & ~(1ul << 12);
    for (int i = 0; i < 512; i++)
        pt[i] = (base + i * PAGE_SIZE) | flags;
    *pde = page_to_phys(pg) | PTE_PRESENT | PTE_WRITE | PTE_USER;
    tlb_flush_all();
    tlb_shootdown();
    return 0;
}

/*
 * Walk the present leaf entries of [start, end) in the lower half, skipping
 * absent tables wholesale. For each 4 KiB or 2 MiB leaf fully inside the
 * range, call fn. A 2 MiB leaf crossing an edge is split first (which can
 * fail for lack of memory: -ENOMEM). Flushes the TLB for changed entries.
 */
int walk_range(struct mm *mm, uintptr_t start, uintptr_t end, leaf_fn fn, uint64_t arg)
{
    uint64_t *pml4 = phys_to_virt(mm->pml4);
    uintptr_t va = start;
    uint64_t flushed = 0;

    while (va < end) {
        uint64_t *e4 = &pml4[(va >> 39) & 511];
        if (!(*e4 & PTE_PRESENT)) {
            va = ALIGN_DOWN(va, 1ul << 39) + (1ul << 39);
            continue;
        }
        uint64_t *e3 = (uint64_t *)phys_to_virt(*e4 & PTE_ADDR_MASK) + ((va >> 30) & 511);
        if (!(*e3 & PTE_PRESENT)) {
            va = ALIGN_DOWN(va, 1ul << 30) + (1ul << 30);
            continue;
        }
        uint64_t *e2 = (uint64_t *)phys_to_virt(*e3 & PTE_ADDR_MASK) + ((va >> 21) & 511);
        if (!(*e2 & LEAF_VALID)) {
            va = ALIGN_DOWN(va, HUGE_PAGE_SIZE) + HUGE_PAGE_SIZE;
            continue;
        }
        if (*e2 & PTE_HUGE) {
            if (IS_ALIGNED(va, HUGE_PAGE_SIZE) && end - va >= HUGE_PAGE_SIZE) {
                fn(mm, e2, va, 2, arg);
                flushed++;
                va += HUGE_PAGE_SIZE;
                continue;
            }
            /* Split the huge page into 4 KiB entries with the same flags. */
            if (split_huge(e2) != 0)
                return -ENOMEM;
            continue;
        }
        uint64_t *pt = phys_to_virt(*e2 & PTE_ADDR_MASK);
        uintptr_t table_end = MIN(end, ALIGN_DOWN(va, HUGE_PAGE_SIZE) + HUGE_PAGE_SIZE);
        for (; va < table_end; va += PAGE_SIZE) {
            uint64_t *e1 = &pt[(va >> 12) & 511];
            if (*e1 & LEAF_VALID) {
                fn(mm, e1, va, 1, arg);
                flushed++;
            }
        }
    }
    (void)flushed;
    return 0;
}

/* A store went through a shared mapping of pg: its file page needs writing back. */
void mark_page_dirty(struct page *pg)
{
    __atomic_fetch_or(&pg->flags, (uint16_t)PG_DIRTY, __ATOMIC_RELEASE);
}

void free_leaf(struct mm *mm, uint64_t *pte, uintptr_t va, int level, uint64_t arg)
{
    /* Swapped out atomically: the CPU may set the dirty bit until it is gone. */
    uint64_t old = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);
    struct page *pg = phys_to_page(old & PTE_ADDR_MASK & ~(level == 2 ? HUGE_PAGE_SIZE - 1 : 0));
    unsigned int npages = level == 2 ? 512 : 1;

    (void)arg;
    invlpg(va);
    /* Only file pages of shared VMAs are ever writable and shared with a
     * file; on an anonymous page the flag is dropped when it is freed. */
    if (pg != NULL && level == 1 && (old & PTE_DIRTY))
        mark_page_dirty(pg);
    /* A huge page is an order-9 block whose pages are freed one by one (the
     * buddy allocator merges them back), so it can also be split. File pages
     * are shared with the file: the last holder frees them. */
    for (unsigned int i = 0; i < npages; i++) {
        if (pg != NULL && page_unref(&pg[i]))
            list_add(&pg[i].link, &mm->gather);
    }
    mm->rss_pages -= npages;
}

/* After page-table changes: flush every CPU's TLB, then free what was unmapped. */
void flush_and_free(struct mm *mm)
{
    struct list_head *pos, *tmp;

    assert_held(&mm->lock);
    tlb_shootdown();
    list_for_each_safe (pos, tmp, &mm->gather) {
        list_del(pos);
        page_free(list_entry(pos, struct page, link), 0);
    }
}

/*
 * Drop mm->lock, then release the file VMAs removed meanwhile (mm->dead):
 * pages stored through a shared mapping are written back, the file
 * reference dropped. Every operation that can remove VMAs unlocks here.
 */
void vm_unlock(struct mm *mm, uint64_t irq)
{
    struct list_head dead;
    struct vma *v, *tmp;

    list_init(&dead);
    list_for_each_entry_safe (v, tmp, &mm->dead, link) {
        list_del(&v->link);
        list_add_tail(&v->link, &dead);
    }
    spin_unlock_irqrestore(&mm->lock, irq);
    list_for_each_entry_safe (v, tmp, &dead, link) {
        list_del(&v->link);
        if (v->file != NULL && (v->flags & VMA_SHARED))
            pagecache_writeback(file_inode(v->file));
        file_put(v->file);
        kfree(v);
    }
}

/* flags: the new permission bits, or 0 for PROT_NONE. */
static void protect_leaf(struct mm *mm, uint64_t *pte, uintptr_t va, int level, uint64_t flags)
{
    (void)mm;
    if (*pte & PTE_COW)
        flags &= ~PTE_WRITE; /* still the file's page: the first write copies it */
    *pte = (*pte & (PTE_ADDR_MASK | PTE_ACCESSED | PTE_DIRTY | PTE_COW)) |
           (flags != 0 ? flags : PTE_PROTNONE) | (level == 2 ? PTE_HUGE : 0);
    invlpg(va);
}

/* Free every page table of the lower half (mm teardown). */
static void free_tables(phys_addr_t pml4_pa)
{
    uint64_t *pml4 = phys_to_virt(pml4_pa);

    for (int i = 0; i < 256; i++) {
        if (!(pml4[i] & PTE_PRESENT))
            continue;
        uint64_t *pdpt = phys_to_virt(pml4[i] & PTE_ADDR_MASK);
        for (int j = 0; j < 512; j++) {
            if (!(pdpt[j] & PTE_PRESENT) || (pdpt[j] & PTE_HUGE))
                continue;
            uint64_t *pd = phys_to_virt(pdpt[j] & PTE_ADDR_MASK);
            for (int k = 0; k < 512; k++) {
                if ((pd[k] & PTE_PRESENT) && !(pd[k] & PTE_HUGE)) /* a page table */
                    page_free(phys_to_page(pd[k] & PTE_ADDR_MASK), 0);
            }
            page_free(phys_to_page(pdpt[j] & PTE_ADDR_MASK), 0);
        }
        page_free(phys_to_page(pml4[i] & PTE_ADDR_MASK), 0);
    }
}

void mm_put(struct mm *mm)
{
    struct vma *v, *tmp;
    uint64_t flags;
    bool last;

    flags = spin_lock_irqsave(&mm->lock);
    last = --mm->refs == 0;
    spin_unlock_irqrestore(&mm->lock, flags);
    if (!last)
        return;
    /* Nobody else uses it; switch away from it before tearing it down. */
    if ((read_cr3() & PTE_ADDR_MASK) == mm->pml4)
        pt_activate(kernel_pml4);
    flags = spin_lock_irqsave(&mm->lock);
    walk_range(mm, 0, USER_TOP, free_leaf, 0);
    flush_and_free(mm);
    list_for_each_entry_safe (v, tmp, &mm->vmas, link)
        vma_discard(mm, v);
    vm_unlock(mm, flags);
    free_tables(mm->pml4);
    page_free(phys_to_page(mm->pml4), 0);
    kfree(mm);
}

/* ---- VMA list ---- */

/*
 * A VMA leaves the list: kept on mm->dead until vm_unlock when it maps a
 * file (its pages may need writing back, and the file reference dropping:
 * both may sleep), freed at once otherwise.
 */
static void vma_discard(struct mm *mm, struct vma *v)
{
    assert_held(&mm->lock);
    list_del(&v->link);
    if (mm->cache == v)
        mm->cache = NULL;
    mm->nvmas--;
    if (v->file != NULL)
        list_add_tail(&v->link, &mm->dead);
    else
        kfree(v);
}

/* The first VMA that ends above addr, or NULL. */
struct vma *vma_find(struct mm *mm, uintptr_t addr)
{
    struct vma *v;

    assert_held(&mm->lock);
    if (mm->cache != NULL && mm->cache->start <= addr && addr < mm->cache->end)
        return mm->cache;
    list_for_each_entry (v, &mm->vmas, link) {
        if (v->end > addr) {
            if (v->start <= addr)
                mm->cache = v;
            return v;
        }
    }
    return NULL;
}

/* Adjacent with equal properties; file VMAs also continue each other's file offsets. */
static bool vma_compatible(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && a->file == b->file &&
           (a->file == NULL || a->offset + (a->end - a->start) == b->offset);
}

/* Merge v with its neighbours where possible. */
void vma_merge(struct mm *mm, struct vma *v)
{
    if (v->link.prev != &mm->vmas) {
        struct vma *prev = list_entry(v->link.prev, struct vma, link);
        if (vma_compatible(prev, v)) {
            prev->end = v->end;
            vma_discard(mm, v);
            v = prev;
        }
    }
    if (v->link.next != &mm->vmas) {
        struct vma *next = list_entry(v->link.next, struct vma, link);
        if (vma_compatible(v, next)) {
            v->end = next->end;
            vma_discard(mm, next);
        }
    }
}

/* Split v at addr (inside it); v keeps the lower part. 0 or -ENOMEM. */
static int vma_split(struct mm *mm, struct vma *v, uintptr_t addr)
{
    struct vma *hi = kmalloc(sizeof(*hi), 0);

    if (hi == NULL)
        return -ENOMEM;
    *hi = *v;
    hi->start = addr;
    if (v->file != NULL) {
        hi->offset = v->offset + (addr - v->start);
        file_get(hi->file);
    }
    v->end = addr;
    list_add(&hi->link, &v->link);
    mm->nvmas++;
    return 0;
}

/* Make VMA boundaries fall on start and end (no VMA straddles them). */
static int vma_isolate(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma *v = vma_find(mm, start);

    if (v != NULL && v->start < start && v->end > start) {
        if (vma_split(mm, v, start) != 0)
            return -ENOMEM;
    }
    v = vma_find(mm, end);
    if (v != NULL && v->start < end && v->end > end) {
        if (vma_split(mm, v, end) != 0)
            return -ENOMEM;
    }
    return 0;
}

/* Remove everything in [start, end): VMAs and pages. */
int unmap_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma *v, *tmp;
    int err;

    assert_held(&mm->lock);
    err = vma_isolate(mm, start, end);
    if (err != 0)
        return err;
    err = walk_range(mm, start, end, free_leaf, 0);
    flush_and_free(mm);
    if (err != 0)
        return err;
    list_for_each_entry_safe (v, tmp, &mm->vmas, link) {
        if (v->start >= end)
            break;
        if (v->end <= start)
            continue;
        if (v->prot & PROT_WRITE && !(v->flags & VMA_SHARED))
            mm->committed_pages -= (v->end - v->start) >> PAGE_SHIFT;
        vma_discard(mm, v);
    }
    return 0;
}

bool range_free(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma *v = vma_find(mm, start);

    return v == NULL || v->start >= end;
}

/* Highest gap of len bytes below mm->mmap_top, or 0. */
uintptr_t find_gap(struct mm *mm, size_t len)
{
    uintptr_t top = mm->mmap_top;
    struct vma *v;

    /* Walk VMAs from the highest down. */
    for (struct list_head *p = mm->vmas.prev; p != &mm->vmas; p = p->prev) {
        v = list_entry(p, struct vma, link);
        if (v->start >= top)
            continue;
        if (v->end <= top && top - v->end >= len)
            return top - len;
        top = MIN(top, v->start);
    }
    return top >= len + MMAP_MIN_ADDR ? top - len : 0;
}

/*
 * May a private writable mapping of this many pages be made now? Only
 * when free memory holds it with a reserve to spare (1/32 of RAM, at least
 * 1 MiB), so a program that grows its heap bit by bit is told ENOMEM by
 * mmap (Go then says "out of memory") while the pages it already has can
 * still be touched. Untouched earlier mappings are not held against it:
 * Go maps sparse indexes it never fills. A fault with no page left is the
 * last resort (SIGKILL, linux/fault.c). There is no swap and no cache to
 * shrink, so free pages are all there is.
 */
static bool commit_ok(size_t pages)
{
    struct page_stats st;
    uint64_t reserve;

    page_stats(&st);
    reserve = MAX(st.total_pages / 32, (uint64_t)(1 << 20) / PAGE_SIZE);
    return st.free_pages > reserve && pages <= st.free_pages - reserve;
}

int insert_vma(struct mm *mm, uintptr_t start, uintptr_t end, uint32_t prot, uint32_t flags,
               struct file *file, uint64_t offset)
{
    struct vma *v = kmalloc(sizeof(*v), 0);
    struct vma *pos;

    if (v == NULL)
        return -ENOMEM;
    *v = (struct vma){
        .start = start, .end = end, .prot = prot, .flags = flags, .file = file, .offset = offset};
    if (file != NULL)
        file_get(file);
    pos = vma_find(mm, start);
    if (pos == NULL)
        list_add_tail(&v->link, &mm->vmas);
    else
        list_add_tail(&v->link, &pos->link);
    mm->nvmas++;
    if ((prot & PROT_WRITE) && !(flags & VMA_SHARED))
        mm->committed_pages += (end - start) >> PAGE_SHIFT;
    vma_merge(mm, v);
    return 0;
}

long vm_mmap(struct mm *mm, uintptr_t addr, size_t len, int prot, int flags, struct file *file,
             uint64_t offset)
{
    uintptr_t start, end;
    uint32_t vflags = 0;
    uint64_t irq;
    long ret;

    if (len == 0 || len > USER_TOP)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    if ((flags & MAP_TYPE) == MAP_SHARED || (flags & MAP_TYPE) == MAP_SHARED_VALIDATE)
        vflags |= VMA_SHARED;
    else if ((flags & MAP_TYPE) != MAP_PRIVATE)
        return -EINVAL;
    if (flags & MAP_GROWSDOWN)
        vflags |= VMA_GROWSDOWN;
    if ((prot & PROT_WRITE) && !(vflags & VMA_SHARED) && !(flags & MAP_NORESERVE) &&
        !commit_ok(len >> PAGE_SHIFT))
        return -ENOMEM;

    irq = spin_lock_irqsave(&mm->lock);
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        start = addr;
        if (start < MMAP_MIN_ADDR || start + len > USER_TOP || start + len < start) {
            ret = start + len > USER_TOP ? -ENOMEM : -EPERM;
            goto out;
        }
        if (!range_free(mm, start, start + len)) {
            if (flags & MAP_FIXED_NOREPLACE) {
                ret = -EEXIST;
                goto out;
            }
            ret = unmap_locked(mm, start, start + len);
            if (ret != 0)
                goto out;
        }
    } else {
        start = ALIGN_DOWN(addr, PAGE_SIZE);
        if (start < MMAP_MIN_ADDR || start + len > USER_TOP || start + len < start ||
            !range_free(mm, start, start + len))
            start = find_gap(mm, len);
        if (start == 0) {
            ret = -ENOMEM;
            goto out;
        }
    }
    end = start + len;
    ret = insert_vma(mm, start, end, prot, vflags, file, offset);
    if (ret == 0)
        ret = (long)start;
out:
    vm_unlock(mm, irq);
    if (ret > 0 && (flags & MAP_POPULATE))
        vm_populate(mm, start, len, prot & PROT_WRITE);
    return ret;
}

long vm_map_special(struct mm *mm, const struct vm_special *runs, unsigned int n)
{
    uintptr_t start, va;
    size_t len = 0;
    uint64_t irq;
    long ret = 0;

    for (unsigned int i = 0; i < n; i++)
        len += (size_t)runs[i].npages << PAGE_SHIFT;
    if (len == 0)
        return -EINVAL;
    irq = spin_lock_irqsave(&mm->lock);
    start = find_gap(mm, len);
    if (start == 0) {
        ret = -ENOMEM;
        goto out;
    }
    va = start;
    for (unsigned int i = 0; i < n && ret == 0; i++) {
        const struct vm_special *r = &runs[i];
        uintptr_t end = va + ((size_t)r->npages << PAGE_SHIFT);
        ret = insert_vma(mm, va, end, (uint32_t)r->prot, r->vflags, NULL, 0);
        for (unsigned int k = 0; k < r->npages && ret == 0; k++, va += PAGE_SIZE) {
            if (pt_map(mm->pml4, va, page_to_phys(r->pages[k]), PAGE_SIZE,
                       pte_flags((uint32_t)r->prot) | PT_MAP_NO_HUGE) != 0) {
                ret = -ENOMEM;
                break;
            }
            page_get(r->pages[k]);
            mm->rss_pages++;
        }
    }
    if (ret != 0)
        unmap_locked(mm, start, start + len);
    else
        ret = (long)start;
out:
    vm_unlock(mm, irq);
    return ret;
}

int vm_munmap(struct mm *mm, uintptr_t addr, size_t len)
{
    uint64_t irq;
    int err;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || len == 0 || addr >= USER_TOP ||
        ALIGN_UP(len, PAGE_SIZE) > USER_TOP - addr)
        return -EINVAL;
    irq = spin_lock_irqsave(&mm->lock);
    err = unmap_locked(mm, addr, addr + ALIGN_UP(len, PAGE_SIZE));
    vm_unlock(mm, irq);
    return err;
}

int vm_mprotect(struct mm *mm, uintptr_t addr, size_t len, int prot)
{
    uintptr_t end;
    struct vma *v, *tmp;
    uint64_t irq;
    int err = 0;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || addr >= USER_TOP)
        return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (len > USER_TOP - addr)
        return -ENOMEM;
    if (len == 0)
        return 0;
    end = addr + len;
    if ((prot & PROT_WRITE) && !commit_ok(len >> PAGE_SHIFT))
        return -ENOMEM;

    irq = spin_lock_irqsave(&mm->lock);
    /* Every page of the range must be mapped, as on Linux. */
    uintptr_t cursor = addr;
    list_for_each_entry (v, &mm->vmas, link) {
        if (v->end <= cursor)
            continue;
        if (v->start > cursor || cursor >= end)
            break;
        cursor = v->end;
    }
    if (cursor < end) {
        err = -ENOMEM;
        goto out;
    }
    /* The vDSO's pages are shared by every process: never writable. */
    list_for_each_entry (v, &mm->vmas, link) {
        if (v->start >= end)
            break;
        if (v->end > addr && (v->flags & VMA_SPECIAL) && (prot & PROT_WRITE)) {
            err = -EACCES;
            goto out;
        }
    }
    err = vma_isolate(mm, addr, end);
    if (err != 0)
        goto out;
    list_for_each_entry_safe (v, tmp, &mm->vmas, link) {
        if (v->start >= end)
            break;
        if (v->end <= addr)
            continue;
        bool was_committed = (v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED);
        bool now_committed = (prot & PROT_WRITE) && !(v->flags & VMA_SHARED);
        if (was_committed != now_committed) {
            uint64_t pages = (v->end - v->start) >> PAGE_SHIFT;
            mm->committed_pages += now_committed ? pages : -pages;
        }
        v->prot = prot;
    }
    err = walk_range(mm, addr, end, protect_leaf, pte_flags(prot));
    flush_and_free(mm);
    /* Merge the pieces back with neighbours of equal properties. */
    list_for_each_entry_safe (v, tmp, &mm->vmas, link) {
        if (v->start >= end)
            break;
        if (v->end >= addr) {
            vma_merge(mm, v);
            break;
        }
    }
out:
    vm_unlock(mm, irq);
    return err;
}

/* MADV_(NO)HUGEPAGE: mark the VMAs of the range (split at its edges). */
static int set_huge_policy(struct mm *mm, uintptr_t addr, size_t len, bool huge)
{
    uint64_t irq = spin_lock_irqsave(&mm->lock);
    struct vma *v;
    int err = vma_isolate(mm, addr, addr + len);

    if (err == 0) {
        list_for_each_entry (v, &mm->vmas, link) {
            if (v->start >= addr + len)
                break;
            if (v->end <= addr)
                continue;
            v->flags = (v->flags & ~(VMA_HUGE | VMA_NOHUGE)) | (huge ? VMA_HUGE : VMA_NOHUGE);
        }
    }
    vm_unlock(mm, irq);
    return err;
}

/*
 * Check a user range [addr, addr+*len) and round *len up to pages: 0,
 * -EINVAL for an unaligned or kernel addr, too_long when it runs past the
 * user half (the callers' system calls differ there).
 */
int user_range(uintptr_t addr, size_t *len, int too_long)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || addr >= USER_TOP)
        return -EINVAL;
    *len = ALIGN_UP(*len, PAGE_SIZE);
    return *len > USER_TOP - addr ? too_long : 0;
}

int vm_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice)
{
    uint64_t irq;
    int err = user_range(addr, &len, -EINVAL);

    if (err != 0)
        return err;
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
        return set_huge_policy(mm, addr, len, advice == MADV_HUGEPAGE);
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_COLD:
    case MADV_PAGEOUT:
        return 0; /* hints: nothing to do for a single address space in RAM */
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
        break;
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
        return vm_populate(mm, addr, len, advice == MADV_POPULATE_WRITE);
    default:
        return -EINVAL;
    }
    /* Discard: private anonymous pages read back as zeros afterwards. */
    irq = spin_lock_irqsave(&mm->lock);
    struct vma *v = vma_find(mm, addr);
    if (v == NULL || v->start >= addr + len) {
        err = -ENOMEM;
    } else {
        err = walk_range(mm, addr, addr + len, free_leaf, 0);
        flush_and_free(mm);
    }
    vm_unlock(mm, irq);
    return err;
}

uintptr_t vm_brk(struct mm *mm, uintptr_t brk)
{
    uintptr_t old_end, new_end;
    uint64_t irq;

    irq = spin_lock_irqsave(&mm->lock);
    if (brk < mm->brk_start || brk >= USER_TOP)
        goto out;
    old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
    new_end = ALIGN_UP(brk, PAGE_SIZE);
    if (new_end > old_end) {
        if (!range_free(mm, old_end, new_end) || !commit_ok((new_end - old_end) >> PAGE_SHIFT))
            goto out;
        if (insert_vma(mm, old_end, new_end, PROT_READ | PROT_WRITE, VMA_HEAP, NULL, 0) != 0)
            goto out;
    } else if (new_end < old_end) {
        if (unmap_locked(mm, new_end, old_end) != 0)
            goto out;
    }
    mm->brk = brk;
out:
    brk = mm->brk;
    vm_unlock(mm, irq);
    return brk;
}

int vm_mincore(struct mm *mm, uintptr_t addr, size_t len, uint8_t *vec)
{
    uint64_t irq;
    int err = user_range(addr, &len, -ENOMEM);

    if (err != 0)
        return err;
    irq = spin_lock_irqsave(&mm->lock);
    for (size_t i = 0; i < len / PAGE_SIZE; i++) {
        uintptr_t va = addr + i * PAGE_SIZE;
        struct vma *v = vma_find(mm, va);
        int level;
        if (v == NULL || v->start > va) {
            err = -ENOMEM;
            break;
        }
        uint64_t *e = pt_lookup(mm->pml4, va, &level);
        vec[i] = e != NULL ? 1 : 0;
    }
    vm_unlock(mm, irq);
    return err;
}

size_t vm_format_maps(struct mm *mm, char *buf, size_t size)
{
    struct vma *v;
    size_t n = 0;
    uint64_t irq = spin_lock_irqsave(&mm->lock);

    list_for_each_entry (v, &mm->vmas, link) {
        const char *name = "";
        if (v->flags & VMA_HEAP)
            name = "[heap]";
        else if (v->flags & VMA_STACK)
            name = "[stack]";
        n += scnprintf(buf + n, size - n, "%08lx-%08lx %c%c%c%c %08lx 00:00 0%*s%s\n", v->start,
                       v->end, (v->prot & PROT_READ) ? 'r' : '-',
                       (v->prot & PROT_WRITE) ? 'w' : '-', (v->prot & PROT_EXEC) ? 'x' : '-',
                       (v->flags & VMA_SHARED) ? 's' : 'p', v->offset, name[0] ? 20 : 0, "", name);
    }
    vm_unlock(mm, irq);
    return n;
}

uint64_t vm_rss_pages(struct mm *mm)
{
    return READ_ONCE(mm->rss_pages);
}

uint64_t vm_total_pages(struct mm *mm)
{
    struct vma *v;
    uint64_t pages = 0;
    uint64_t irq = spin_lock_irqsave(&mm->lock);

    list_for_each_entry (v, &mm->vmas, link)
        pages += (v->end - v->start) >> PAGE_SHIFT;
    vm_unlock(mm, irq);
    return pages;
}
