/*
 * exec.c - load a static ELF into a new address space and start it.
 *
 * Check everything first (elf_parse), build the address space (segments,
 * break, stack), and only then commit: the calling kernel thread takes the
 * new mm, gets user registers and an FPU, and leaves for user space. A bad
 * file gives a clear message and an error; nothing is half-started.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/features.h"
#include "core/printk.h"
#include "core/random.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/auxv.h"
#include "linux/elf.h"
#include "linux/task.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "vdso/vdso.h"

#define HEADER_READ 4096
#define STACK_SIZE (8ul << 20)
#define STACK_TOP USER_TOP /* the stack ends where user space does */
#define PIE_BASE 0x0000555555554000ul
#define STACK_BUILD_SIZE (64 * 1024)

/* Copy the file bytes of a segment to its place in user memory. */
static int load_segment(struct file *f, const struct elf_segment *s, uint64_t bias)
{
    struct k_iovec iov;
    struct uio u;
    off_t pos = (off_t)s->offset;
    ssize_t n;

    if (s->filesz == 0)
        return 0;
    uio_init_user(&u, &iov, (void *)(s->vaddr + bias), s->filesz);
    n = f->ops->read(f, &u, &pos);
    if (n < 0)
        return (int)n;
    return (uint64_t)n == s->filesz ? 0 : -EIO;
}

static int map_image(struct mm *mm, struct file *f, const struct elf_info *info, uint64_t bias)
{
    uint64_t mapped_end = 0;
    int err;

    /* Map each segment's pages (shared boundary pages once), writable for loading. */
    for (unsigned int i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr + bias, PAGE_SIZE);
        uint64_t end = ALIGN_UP(s->vaddr + s->memsz + bias, PAGE_SIZE);
        if (start < mapped_end)
            start = mapped_end;
        if (start < end) {
            long r = vm_mmap(mm, start, end - start, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
            if (r < 0)
                return (int)r;
        }
        mapped_end = MAX(mapped_end, end);
    }
    for (unsigned int i = 0; i < info->nsegs; i++) {
        err = load_segment(f, &info->segs[i], bias);
        if (err != 0)
            return err;
    }
    /* Final permissions; a page shared by two segments gets both. */
    for (unsigned int i = 0; i < info->nsegs; i++) {
        const struct elf_segment *s = &info->segs[i];
        uint64_t start = ALIGN_DOWN(s->vaddr + bias, PAGE_SIZE);
        uint64_t end = ALIGN_UP(s->vaddr + s->memsz + bias, PAGE_SIZE);
        uint32_t prot = s->prot;
        for (unsigned int j = 0; j < info->nsegs; j++) {
            const struct elf_segment *o = &info->segs[j];
            if (j != i && ALIGN_DOWN(o->vaddr + bias, PAGE_SIZE) < end &&
                ALIGN_UP(o->vaddr + o->memsz + bias, PAGE_SIZE) > start)
                prot |= o->prot;
        }
        err = vm_mprotect(mm, start, end - start, (int)prot);
        if (err != 0)
            return err;
    }
    return 0;
}

static char *join_strings(char *const v[], unsigned int n, size_t *len)
{
    size_t total = 0;
    char *buf, *p;

    for (unsigned int i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    buf = kmalloc(total + 1, 0);
    if (buf == NULL)
        return NULL;
    p = buf;
    for (unsigned int i = 0; i < n; i++) {
        size_t k = strlen(v[i]) + 1;
        memcpy(p, v[i], k);
        p += k;
    }
    *len = total;
    return buf;
}

/* A copy of the auxiliary vector of the stack stack_build made at sp (argc first). */
static void *copy_auxv(const uint8_t *stack, const struct stack_spec *spec, size_t *len)
{
    size_t off = sizeof(uint64_t) * (1 + spec->argc + 1 + spec->envc + 1);
    void *copy;

    *len = 2 * sizeof(uint64_t) * (spec->nauxv + STACK_ADDED_AUXV);
    copy = kmalloc(*len, 0);
    if (copy != NULL)
        memcpy(copy, stack + off, *len);
    return copy;
}

int exec_application(struct process *p, const char *path, char *const argv[], unsigned int argc,
                     char *const envp[], unsigned int envc)
{
    struct thread *th = current_thread();
    struct elf_info *info = NULL;
    struct stack_spec *spec = NULL;
    uint8_t *hdr = NULL, *stackbuf = NULL;
    struct file *f = NULL;
    struct mm *mm = NULL;
    struct path pth;
    char why[128];
    uint64_t bias = 0, stack_top;
    ssize_t n;
    long sp;
    int err;

    err = vfs_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &pth, NULL, NULL);
    if (err != 0) {
        printk(LOG_ERR, "eggos: cannot find %s: error %d\n", path, -err);
        return err;
    }
    if (!S_ISREG(pth.inode->mode)) {
        path_put(&pth);
        printk(LOG_ERR, "eggos: %s is not a regular file\n", path);
        return -EACCES;
    }
    err = vfs_open(&pth, O_RDONLY, &f);
    uint64_t file_size = pth.inode->size;
    path_put(&pth);
    if (err != 0)
        return err;

    err = -ENOMEM;
    hdr = kmalloc(HEADER_READ, 0);
    info = kmalloc(sizeof(*info), 0);
    spec = kzalloc(sizeof(*spec));
    stackbuf = kmalloc(STACK_BUILD_SIZE, 0);
    if (hdr == NULL || info == NULL || spec == NULL || stackbuf == NULL)
        goto out;
    n = kernel_read(f, hdr, HEADER_READ, 0);
    if (n < 0) {
        err = (int)n;
        goto out;
    }
    err = elf_parse(hdr, (size_t)n, file_size, info, why, sizeof(why));
    if (err != 0) {
        printk(LOG_ERR, "eggos: cannot run %s: %s\n", path, why);
        goto out;
    }
    if (info->pie)
        bias = PIE_BASE + ((uint64_t)(random_u32() & 0xffff) << PAGE_SHIFT) - info->lo;

    err = -ENOMEM;
    mm = mm_create();
    if (mm == NULL)
        goto out;
    /* Work in the new address space from here on (copy_to_user targets it). */
    struct mm *old_mm = th->mm;
    th->mm = mm;
    vm_activate(mm);
    err = map_image(mm, f, info, bias);
    if (err != 0) {
        printk(LOG_ERR, "eggos: cannot load %s: error %d\n", path, -err);
        goto restore_mm;
    }
    mm->brk_start = mm->brk = info->hi + bias;
    mm->image_start = info->lo + bias;
    mm->image_end = info->hi + bias;

    /* The stack: 8 MiB reserved, touched on demand, just below the top. */
    stack_top = STACK_TOP - ((uint64_t)(random_u32() & 0x3ff) << PAGE_SHIFT);
    if (vm_mmap(mm, stack_top - STACK_SIZE, STACK_SIZE,
                PROT_READ | PROT_WRITE | (info->exec_stack ? PROT_EXEC : 0),
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, NULL, 0) < 0) {
        err = -ENOMEM;
        goto restore_mm;
    }
    mm->stack_top = stack_top;
    /* The vDSO and its vvar page, in the mmap area (0: none to map). */
    long vdso_base = vdso_map(mm);
    if (vdso_base < 0) {
        err = (int)vdso_base;
        goto restore_mm;
    }

    spec->argv = argv;
    spec->argc = argc;
    spec->envp = envp;
    spec->envc = envc;
    spec->execfn = path;
    random_bytes(spec->random, sizeof(spec->random));
    unsigned int k = 0;
    spec->auxv[k][0] = AT_HWCAP, spec->auxv[k++][1] = cpu_features.hwcap;
    spec->auxv[k][0] = AT_PAGESZ, spec->auxv[k++][1] = PAGE_SIZE;
    spec->auxv[k][0] = AT_CLKTCK, spec->auxv[k++][1] = 100;
    spec->auxv[k][0] = AT_PHDR, spec->auxv[k++][1] = info->phdr_vaddr ? info->phdr_vaddr + bias : 0;
    spec->auxv[k][0] = AT_PHENT, spec->auxv[k++][1] = 56;
    spec->auxv[k][0] = AT_PHNUM, spec->auxv[k++][1] = info->phnum;
    spec->auxv[k][0] = AT_BASE, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_FLAGS, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_ENTRY, spec->auxv[k++][1] = info->entry + bias;
    spec->auxv[k][0] = AT_UID, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_EUID, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_GID, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_EGID, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_SECURE, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_HWCAP2, spec->auxv[k++][1] = 0;
    spec->auxv[k][0] = AT_MINSIGSTKSZ, spec->auxv[k++][1] = 2048 + fpu_size();
    if (vdso_base != 0)
        spec->auxv[k][0] = AT_SYSINFO_EHDR, spec->auxv[k++][1] = (uint64_t)vdso_base;
    spec->nauxv = k;
    sp = stack_build(stackbuf, STACK_BUILD_SIZE, stack_top, spec);
    if (sp < 0) {
        printk(LOG_ERR, "eggos: arguments and environment too large for the stack\n");
        err = (int)sp;
        goto restore_mm;
    }
    if (copy_to_user((void *)sp, stackbuf + (sp - (long)(stack_top - STACK_BUILD_SIZE)),
                     stack_top - (uint64_t)sp) != 0) {
        err = -EFAULT;
        goto restore_mm;
    }

    /* Commit. */
    err = fpu_alloc(th);
    if (err != 0)
        goto restore_mm;
    p->mm = mm;
    strscpy(p->exe, path, sizeof(p->exe));
    const char *base = strrchr(path, '/');
    strscpy(p->comm, base != NULL ? base + 1 : path, sizeof(p->comm));
    strscpy(th->name, p->comm, sizeof(th->name));
    p->cmdline = join_strings(argv, argc, &p->cmdline_len);
    p->environ = join_strings(envp, envc, &p->environ_len);
    kfree(p->auxv);
    p->auxv = copy_auxv(stackbuf + (sp - (long)(stack_top - STACK_BUILD_SIZE)), spec, &p->auxv_len);
    if (old_mm != NULL)
        mm_put(old_mm);
    uint64_t entry = info->entry + bias;
    file_put(f);
    kfree(hdr);
    kfree(info);
    kfree(spec);
    kfree(stackbuf);

    struct trapframe *tf = th->utf;
    memset(tf, 0, sizeof(*tf));
    tf->rip = entry;
    tf->rsp = (uint64_t)sp;
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    tf->rflags = RFLAGS_IF | 0x2;
    th->fs_base = 0;
    irq_disable();
    wrmsr(MSR_FS_BASE, 0);
    fpu_restore(th);
    enter_user(tf);

restore_mm:
    th->mm = old_mm;
    if (old_mm != NULL)
        vm_activate(old_mm);
    else
        pt_activate(kernel_pml4);
    mm_put(mm);
out:
    if (f != NULL)
        file_put(f);
    kfree(hdr);
    kfree(info);
    kfree(spec);
    kfree(stackbuf);
    return err;
}
