/*
 * vm_fault.c - page faults on user memory (see vm.h, and vm.c for the
 * address spaces and VMAs they resolve against).
 *
 * An anonymous page is mapped zeroed on its first touch; a whole 2 MiB page
 * when the area is large, private and writable (transparent_hugepage=).
 * A file VMA's page comes from the inode (inode_ops.get_page) with
 * mm->lock dropped; a shared VMA maps the file's page itself, a private one
 * maps it read-only marked PTE_COW and copies it on the first write.
 */
#include "arch/x86_64/cpu.h"
#include "core/params.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "fs/vfs.h"
#include "mm/page.h"
#include "mm/vm.h"
#include "mm/vm_internal.h"

/* Anonymous areas from this size up get 2 MiB pages without MADV_HUGEPAGE (Go's arenas). */
#define HUGE_MIN_VMA (64ul << 20)

/* transparent_hugepage=always|madvise|never (Linux's names). */
enum { THP_ALWAYS, THP_MADVISE, THP_NEVER };
static int thp_mode = THP_ALWAYS;

static int set_thp(const char *val)
{
    if (val == NULL)
        return -EINVAL;
    if (strcmp(val, "always") == 0)
        thp_mode = THP_ALWAYS;
    else if (strcmp(val, "madvise") == 0)
        thp_mode = THP_MADVISE;
    else if (strcmp(val, "never") == 0)
        thp_mode = THP_NEVER;
    else
        return -EINVAL;
    return 0;
}
KERNEL_PARAM("transparent_hugepage", set_thp);

/*
 * Whether a fault at addr should map a whole 2 MiB page: the area is
 * private anonymous writable memory meant to be filled (64 MiB or more,
 * like Go's heap arenas, or MADV_HUGEPAGE), the aligned 2 MiB around addr
 * lies inside it, and nothing is mapped there yet. One fault and one TLB
 * entry instead of 512. Caller holds mm->lock.
 */
static bool huge_fits(struct mm *mm, struct vma *v, uintptr_t addr)
{
    uintptr_t start = ALIGN_DOWN(addr, HUGE_PAGE_SIZE);
    uint64_t *e;

    if (thp_mode == THP_NEVER || v->file != NULL ||
        (v->flags & (VMA_SHARED | VMA_NOHUGE | VMA_STACK)) || !(v->prot & PROT_WRITE) ||
        start < v->start || start + HUGE_PAGE_SIZE > v->end)
        return false;
    if (!(v->flags & VMA_HUGE) && (thp_mode == THP_MADVISE || v->end - v->start < HUGE_MIN_VMA))
        return false;
    /* The page directory entry must be empty (no 4 KiB pages there). */
    e = (uint64_t *)phys_to_virt(mm->pml4) + ((start >> 39) & 511);
    if (!(*e & PTE_PRESENT))
        return true;
    e = (uint64_t *)phys_to_virt(*e & PTE_ADDR_MASK) + ((start >> 30) & 511);
    if (!(*e & PTE_PRESENT))
        return true;
    e = (uint64_t *)phys_to_virt(*e & PTE_ADDR_MASK) + ((start >> 21) & 511);
    return !(*e & (PTE_PRESENT | PTE_PROTNONE));
}

/* Map the zeroed 2 MiB block pg at the aligned 2 MiB around addr. */
static bool huge_map(struct mm *mm, uintptr_t addr, struct page *pg, uint64_t flags)
{
    if (pt_map(mm->pml4, ALIGN_DOWN(addr, HUGE_PAGE_SIZE), page_to_phys(pg), HUGE_PAGE_SIZE,
               flags) != 0)
        return false;
    /* The pages of the block are freed one by one later: count each. */
    for (unsigned int i = 0; i < 512; i++)
        pg[i].refcount = 1;
    pg->order = 0;
    mm->rss_pages += 512;
    return true;
}

/*
 * A write to a private file page (PTE_COW) at page, entry e: the VMA gets
 * its own copy, writable with flags. Caller holds mm->lock.
 */
static int cow_break(struct mm *mm, uint64_t *e, uintptr_t page, uint64_t flags)
{
    struct page *old = phys_to_page(*e & PTE_ADDR_MASK);
    struct page *copy = page_alloc(0, 0);

    if (copy == NULL || old == NULL) {
        if (copy != NULL)
            page_free(copy, 0);
        return VM_FAULT_OOM;
    }
    memcpy(page_address(copy), page_address(old), PAGE_SIZE);
    *e = page_to_phys(copy) | flags;
    invlpg(page);
    if (page_unref(old))
        list_add(&old->link, &mm->gather);
    /* No CPU may keep reading the file's page through a stale entry. */
    flush_and_free(mm);
    return VM_FAULT_OK;
}

/* Whether v still maps file page pgoff of file at page, the way the fault saw it. */
static bool file_vma_same(const struct vma *v, uintptr_t page, const struct file *file,
                          uint64_t pgoff, uint32_t vflags)
{
    return v != NULL && v->start <= page && v->file == file && v->flags == vflags &&
           v->offset + (page - v->start) == pgoff << PAGE_SHIFT;
}

/*
 * A fault at page (no entry yet, or a write to a PTE_COW entry) in the file
 * VMA v. Entered with mm->lock held (irq: the saved flags), returns with it
 * dropped: the page is read (get_page, which may sleep) unlocked, then the
 * VMA is looked up again and the page mapped if nothing changed; otherwise
 * the access simply faults again.
 */
static int file_fault(struct mm *mm, struct vma *v, uintptr_t page, uint64_t error, uint64_t irq)
{
    bool write = (error & FAULT_WRITE) != 0, shared = (v->flags & VMA_SHARED) != 0;
    uint64_t pgoff = (v->offset + (page - v->start)) >> PAGE_SHIFT, flags;
    uint32_t vflags = v->flags;
    struct file *file = v->file;
    struct inode *inode = file_inode(file);
    struct page *pg, *copy = NULL;
    int level, ret, err;
    uint64_t *e;

    e = pt_lookup(mm->pml4, page, &level);
    if (e != NULL) {
        flags = pte_flags(v->prot);
        if (write && (*e & PTE_COW))
            ret = cow_break(mm, e, page, flags);
        else /* another CPU mapped it meanwhile, or a stale TLB entry: retry */
            ret = (*e & flags) != flags ? VM_FAULT_ACCERR : VM_FAULT_OK;
        vm_unlock(mm, irq);
        return ret;
    }
    file_get(file);
    vm_unlock(mm, irq);

    err = inode->iops->get_page(inode, pgoff, &pg);
    if (err != 0) {
        file_put(file);
        return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
    }
    if (!shared && write) {
        /* The first touch is a write: copy at once, never map the file's page. */
        copy = page_alloc(0, 0);
        if (copy != NULL)
            memcpy(page_address(copy), page_address(pg), PAGE_SIZE);
        page_put(pg);
        if (copy == NULL) {
            file_put(file);
            return VM_FAULT_OOM;
        }
        pg = copy;
    }

    ret = VM_FAULT_OK;
    irq = spin_lock_irqsave(&mm->lock);
    v = vma_find(mm, page);
    if (file_vma_same(v, page, file, pgoff, vflags) && pt_lookup(mm->pml4, page, &level) == NULL) {
        flags = pte_flags(v->prot);
        if (flags != 0 && !shared && pg != copy)
            flags = (flags & ~PTE_WRITE) | PTE_COW;
        if (flags == 0) {
            /* Made PROT_NONE meanwhile: fault again and be refused. */
        } else if (pt_map(mm->pml4, page, page_to_phys(pg), PAGE_SIZE, flags | PT_MAP_NO_HUGE) !=
                   0) {
            ret = VM_FAULT_OOM;
        } else {
            mm->rss_pages++;
            pg = NULL; /* the page table holds the reference now */
        }
    }
    vm_unlock(mm, irq);
    if (pg != NULL)
        page_put(pg);
    file_put(file);
    return ret;
}

/*
 * Zeroing 2 MiB takes long, so it is done with mm->lock dropped: the
 * first pass only notes that a huge page fits, the block is allocated and
 * zeroed unlocked, and the fault is evaluated again from the start (the
 * address space may have changed meanwhile). A 4 KiB page is used when
 * no 2 MiB block is free.
 */
int vm_fault(struct mm *mm, uintptr_t addr, uint64_t error)
{
    uintptr_t page = ALIGN_DOWN(addr, PAGE_SIZE);
    struct page *pg, *huge = NULL;
    bool huge_tried = false;
    struct vma *v;
    uint64_t irq, flags;
    int level, ret;
    uint64_t *e;

    if (addr >= USER_TOP)
        return VM_FAULT_MAPERR;
again:
    ret = VM_FAULT_OK;
    irq = spin_lock_irqsave(&mm->lock);
    v = vma_find(mm, addr);
    if (v == NULL || v->start > addr) {
        ret = VM_FAULT_MAPERR;
        goto out;
    }
    if ((v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0 ||
        ((error & FAULT_WRITE) && !(v->prot & PROT_WRITE)) ||
        ((error & FAULT_EXEC) && !(v->prot & PROT_EXEC))) {
        ret = VM_FAULT_ACCERR;
        goto out;
    }
    if (v->flags & VMA_SPECIAL) {
        /* Mapped whole by vm_map_special: a present page is a stale TLB
         * entry (retry); a missing one is a page mremap grew. */
        flags = pte_flags(v->prot);
        e = pt_lookup(mm->pml4, page, &level);
        if (e == NULL || (*e & flags) != flags)
            ret = VM_FAULT_SIGBUS;
        goto out;
    }
    if (v->file != NULL) {
        ret = file_fault(mm, v, page, error, irq);
        if (huge != NULL) /* the area was replaced by a file mapping meanwhile */
            page_free(huge, HUGE_PAGE_SHIFT - PAGE_SHIFT);
        return ret;
    }
    flags = pte_flags(v->prot);
    if (huge_fits(mm, v, addr)) {
        if (huge != NULL && huge_map(mm, addr, huge, flags)) {
            huge = NULL;
            goto out;
        }
        if (!huge_tried) {
            vm_unlock(mm, irq);
            huge = page_alloc(HUGE_PAGE_SHIFT - PAGE_SHIFT, PA_ZERO);
            huge_tried = true;
            goto again;
        }
    }
    e = pt_lookup(mm->pml4, page, &level);
    if (e != NULL) {
        /* Another CPU mapped it meanwhile, or a stale TLB entry: retry. */
        if ((*e & flags) != flags)
            ret = VM_FAULT_ACCERR;
        goto out;
    }
    pg = page_alloc(0, PA_ZERO);
    if (pg == NULL) {
        ret = VM_FAULT_OOM;
        goto out;
    }
    if (pt_map(mm->pml4, page, page_to_phys(pg), PAGE_SIZE, flags | PT_MAP_NO_HUGE) != 0) {
        page_free(pg, 0);
        ret = VM_FAULT_OOM;
        goto out;
    }
    mm->rss_pages++;
out:
    vm_unlock(mm, irq);
    if (huge != NULL)
        page_free(huge, HUGE_PAGE_SHIFT - PAGE_SHIFT);
    return ret;
}

int vm_populate(struct mm *mm, uintptr_t addr, size_t len, bool write)
{
    uintptr_t end = ALIGN_UP(addr + len, PAGE_SIZE);

    for (uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < end; va += PAGE_SIZE) {
        int r = vm_fault(mm, va, FAULT_USER | (write ? FAULT_WRITE : 0));
        if (r == VM_FAULT_OOM)
            return -ENOMEM;
        if (r != VM_FAULT_OK)
            return -EFAULT;
    }
    return 0;
}
