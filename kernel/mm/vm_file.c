/*
 * vm_file.c - write-back of shared file mappings.
 *
 * A store through a shared mapping sets the page-table entry's dirty bit;
 * the page's PG_DIRTY, which the page cache writes back, is set from it
 * when the entry goes (munmap, exit: free_leaf in vm.c) or here: msync
 * and fsync harvest the bits of the file's VMAs, then ask the page cache
 * to write back (and fsync for MS_SYNC). Truncating a file removes the
 * pages past its new end from every mapping, private copies too, as Linux
 * does.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "mm/paging.h"
#include "mm/vm.h"
#include "mm/vm_internal.h"

/* msync: a shared page's dirty bit moves to the page (PG_DIRTY), for writeback. */
static void harvest_dirty_leaf(struct mm *mm, uint64_t *pte, uintptr_t va, int level, uint64_t arg)
{
    (void)mm;
    (void)arg;
    if (level != 1 || !(*pte & PTE_DIRTY))
        return;
    __atomic_fetch_and(pte, ~PTE_DIRTY, __ATOMIC_ACQ_REL);
    invlpg(va);
    mark_page_dirty(phys_to_page(*pte & PTE_ADDR_MASK));
}

/*
 * Sync the shared file VMA at cursor (up to end), or skip another VMA.
 * Returns where the next VMA of the range starts, or 0 when cursor is
 * unmapped; *err gets the first write-back error.
 */
static uintptr_t msync_one(struct mm *mm, uintptr_t cursor, uintptr_t end, bool sync, int *err)
{
    uint64_t irq = spin_lock_irqsave(&mm->lock);
    struct vma *v = vma_find(mm, cursor);
    struct file *file = NULL;
    uintptr_t stop = 0;
    int e;

    if (v != NULL && v->start <= cursor) {
        stop = MIN(v->end, end);
        if (v->file != NULL && (v->flags & VMA_SHARED)) {
            walk_range(mm, cursor, stop, harvest_dirty_leaf, 0);
            flush_and_free(mm);
            file = v->file;
            file_get(file);
        }
    }
    vm_unlock(mm, irq);
    if (file == NULL)
        return stop;
    e = pagecache_writeback(file_inode(file));
    if (e == 0 && sync && file->ops != NULL && file->ops->fsync != NULL)
        e = file->ops->fsync(file, true);
    if (*err == 0)
        *err = e;
    file_put(file);
    return stop;
}

void vm_harvest_dirty(struct mm *mm, struct inode *inode)
{
    uint64_t irq = spin_lock_irqsave(&mm->lock);
    struct vma *v;

    list_for_each_entry (v, &mm->vmas, link) {
        if (v->file != NULL && (v->flags & VMA_SHARED) && file_inode(v->file) == inode)
            walk_range(mm, v->start, v->end, harvest_dirty_leaf, 0);
    }
    flush_and_free(mm);
    vm_unlock(mm, irq);
}

void vm_writeback_all(struct mm *mm)
{
    int err = 0;

    for (uintptr_t cursor = 0;;) {
        uint64_t irq = spin_lock_irqsave(&mm->lock);
        struct vma *v = vma_find(mm, cursor);
        uintptr_t start = v != NULL ? MAX(v->start, cursor) : 0, end = v != NULL ? v->end : 0;

        vm_unlock(mm, irq);
        if (v == NULL)
            return;
        cursor = msync_one(mm, start, end, false, &err);
        if (cursor == 0)
            cursor = end; /* unmapped meanwhile */
    }
}

void vm_truncate_file(struct mm *mm, struct inode *inode, uint64_t size)
{
    uint64_t keep = ALIGN_UP(size, PAGE_SIZE); /* file offset of the first page to go */
    uint64_t irq = spin_lock_irqsave(&mm->lock);
    struct vma *v;

    list_for_each_entry (v, &mm->vmas, link) {
        if (v->file == NULL || file_inode(v->file) != inode ||
            v->offset + (v->end - v->start) <= keep)
            continue;
        /* Private copies go too, as Linux's truncate does. */
        walk_range(mm, keep > v->offset ? v->start + (keep - v->offset) : v->start, v->end,
                   free_leaf, 0);
    }
    flush_and_free(mm);
    vm_unlock(mm, irq);
}

int vm_msync(struct mm *mm, uintptr_t addr, size_t len, bool sync)
{
    uintptr_t end, cursor;
    int err = user_range(addr, &len, -ENOMEM);

    if (err != 0)
        return err;
    end = addr + len;
    for (cursor = addr; cursor < end;) {
        cursor = msync_one(mm, cursor, end, sync, &err);
        if (cursor == 0)
            return -ENOMEM; /* part of the range is not mapped, as on Linux */
    }
    return err;
}
