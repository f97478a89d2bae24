/*
 * pid.c - /proc/<pid>, /proc/self and /proc/thread-self: what Linux shows
 * of a process (exe, cwd, fd/, fdinfo/, maps, cmdline, environ, auxv, stat,
 * statm, status, mounts, mountinfo, cgroup, comm, task/<tid>/).
 *
 * EggOS runs one application, init_process, so a pid directory exists for
 * its pid only. Handlers get the struct proc_inode (pid, and the tid or fd
 * number as `num`) and read the process under its locks: mm->lock for the
 * VMA list, proc->lock for threads and signals, the fd table's lock for
 * fds (taking a file reference before looking further).
 */
#include "arch/x86_64/percpu.h"
#include "core/time.h"
#include "fs/internal.h"
#include "fs/proc/proc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/task.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/vm.h"

#define CLOCK_TICKS_PER_SEC 100 /* USER_HZ */
#define NSEC_PER_TICK (NSEC_PER_SEC / CLOCK_TICKS_PER_SEC)
/* Column where /proc/<pid>/maps puts a mapping's name (25 + 6 * 8 - 1 on 64-bit). */
#define MAPS_NAME_COLUMN 72

/* The process with this pid, or NULL. There is one: init_process. */
static struct process *proc_find(int pid)
{
    struct process *p = init_process;

    return p != NULL && p->pid == pid ? p : NULL;
}

static struct process *pi_process(const struct proc_inode *pi)
{
    return proc_find(pi->pid);
}

/* ---- the numbered directories ---- */

static int next_pid(const struct proc_inode *dir, int after)
{
    struct process *p = init_process;

    (void)dir;
    return p != NULL && p->pid > after ? p->pid : -ENOENT;
}

static int next_tid(const struct proc_inode *dir, int after)
{
    struct process *p = pi_process(dir);
    struct task *t;
    int best = -ENOENT;

    if (p == NULL)
        return -ENOENT;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    list_for_each_entry (t, &p->threads, proc_link) {
        if (t->tid > after && (best < 0 || t->tid < best))
            best = t->tid;
    }
    spin_unlock_irqrestore(&p->lock, irq);
    return best;
}

static int next_fd(const struct proc_inode *dir, int after)
{
    struct process *p = pi_process(dir);
    struct fdtable *t;
    int found = -ENOENT;

    if (p == NULL || p->files == NULL)
        return -ENOENT;
    t = p->files;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    for (unsigned int i = (unsigned int)(after + 1); i < t->size; i++) {
        if (t->fd[i] != NULL) {
            found = (int)i;
            break;
        }
    }
    spin_unlock_irqrestore(&t->lock, irq);
    return found;
}

/* The file at fd num of the inode's process, referenced, or NULL. */
static struct file *pi_file(const struct proc_inode *pi)
{
    struct process *p = pi_process(pi);
    struct file *f = NULL;

    if (p == NULL || p->files == NULL)
        return NULL;
    uint64_t irq = spin_lock_irqsave(&p->files->lock);
    if (pi->num >= 0 && (unsigned int)pi->num < p->files->size && p->files->fd[pi->num] != NULL) {
        f = p->files->fd[pi->num];
        file_get(f);
    }
    spin_unlock_irqrestore(&p->files->lock, irq);
    return f;
}

/* ---- links ---- */

static ssize_t copy_link(char *buf, size_t size, const char *text, size_t len)
{
    size_t n = MIN(size, len);

    memcpy(buf, text, n);
    return (ssize_t)n;
}

static ssize_t self_readlink(const struct proc_inode *pi, char *buf, size_t size)
{
    char tmp[16];
    int n = snprintf(tmp, sizeof(tmp), "%d", current_process()->pid);

    (void)pi;
    return copy_link(buf, size, tmp, (size_t)n);
}

static ssize_t thread_self_readlink(const struct proc_inode *pi, char *buf, size_t size)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof(tmp), "%d/task/%d", current_process()->pid, current_task()->tid);

    (void)pi;
    return copy_link(buf, size, tmp, (size_t)n);
}

static ssize_t exe_readlink(const struct proc_inode *pi, char *buf, size_t size)
{
    struct process *p = pi_process(pi);

    if (p == NULL)
        return -ENOENT;
    return copy_link(buf, size, p->exe, strlen(p->exe));
}

/* The name Linux gives an open file in /proc/<pid>/fd. */
static ssize_t file_name(struct file *f, char *buf, size_t size)
{
    struct inode *inode = file_inode(f);
    char tmp[64];
    int n;

    if (f->path.mnt != NULL) {
        char *path = kmalloc(PATH_MAX, 0);
        ssize_t len;
        if (path == NULL)
            return -ENOMEM;
        if (S_ISDIR(inode->mode))
            len = vfs_path_string(&f->path, path, PATH_MAX);
        else if (f->open_name != NULL)
            len = strscpy(path, f->open_name, PATH_MAX);
        else
            len = -ENOENT;
        if (len >= 0 && inode->nlink == 0 && !S_ISDIR(inode->mode))
            len += scnprintf(path + len, PATH_MAX - (size_t)len, " (deleted)");
        if (len >= 0)
            len = copy_link(buf, size, path, (size_t)len);
        kfree(path);
        return len;
    }
    if (f->open_name != NULL)
        return copy_link(buf, size, f->open_name, strlen(f->open_name));
    if (f->anon_name == NULL)
        n = snprintf(tmp, sizeof(tmp), "anon_inode:[%s]", "unknown");
    else if (str_has_prefix(f->anon_name, "anon_inode:"))
        n = snprintf(tmp, sizeof(tmp), "%s", f->anon_name);
    else
        n = snprintf(tmp, sizeof(tmp), "%s:[%lu]", f->anon_name, inode != NULL ? inode->ino : 0ul);
    return copy_link(buf, size, tmp, (size_t)MIN(n, (int)sizeof(tmp) - 1));
}

static ssize_t fd_readlink(const struct proc_inode *pi, char *buf, size_t size)
{
    struct file *f = pi_file(pi);
    ssize_t n;

    if (f == NULL)
        return -ENOENT;
    n = file_name(f, buf, size);
    file_put(f);
    return n;
}

/*
 * Opening /proc/<pid>/fd/N opens the same file again (a new open file
 * description), even when it was deleted or renamed, as on Linux. Files
 * outside any file system (pipes, sockets, eventfds) cannot be reopened
 * here: ENXIO (Linux reopens pipes; sockets give ENXIO there too).
 */
static int fd_get_link(const struct proc_inode *pi, struct path *out)
{
    struct file *f = pi_file(pi);
    int err = 0;

    if (f == NULL)
        return -ENOENT;
    if (f->path.mnt == NULL || f->path.inode == NULL) {
        err = -ENXIO;
    } else {
        *out = f->path;
        path_get(out);
    }
    file_put(f);
    return err;
}

static int cwd_get_link(const struct proc_inode *pi, struct path *out)
{
    struct process *p = pi_process(pi);

    if (p == NULL || p->fs == NULL)
        return -ENOENT;
    uint64_t irq = spin_lock_irqsave(&p->fs->lock);
    *out = p->fs->cwd;
    path_get(out);
    spin_unlock_irqrestore(&p->fs->lock, irq);
    return 0;
}

static ssize_t cwd_readlink(const struct proc_inode *pi, char *buf, size_t size)
{
    struct process *p = pi_process(pi);
    struct path cwd;
    char *path;
    ssize_t n;

    if (p == NULL || p->fs == NULL)
        return -ENOENT;
    uint64_t irq = spin_lock_irqsave(&p->fs->lock);
    cwd = p->fs->cwd;
    path_get(&cwd);
    spin_unlock_irqrestore(&p->fs->lock, irq);
    path = kmalloc(PATH_MAX, 0);
    n = path == NULL ? -ENOMEM : vfs_path_string(&cwd, path, PATH_MAX);
    if (n >= 0)
        n = copy_link(buf, size, path, (size_t)n);
    kfree(path);
    path_put(&cwd);
    return n;
}

/* ---- files ---- */

static int show_fdinfo(struct seqbuf *s, void *ctx)
{
    struct file *f = pi_file(ctx);

    if (f == NULL)
        return -ENOENT;
    seq_printf(s, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", (long)f->pos,
               f->flags | (fd_get_cloexec(((struct proc_inode *)ctx)->num) > 0 ? O_CLOEXEC : 0),
               f->path.mnt != NULL ? 1 : 0, file_inode(f) != NULL ? file_inode(f)->ino : 0ul);
    file_put(f);
    return 0;
}

/* The name shown for a VMA: the program, a mapped file, [heap], [stack],
 * [vdso], [vvar] or nothing. */
static const char *vma_name(const struct process *p, const struct mm *mm, const struct vma *v)
{
    if (v->flags & VMA_HEAP)
        return "[heap]";
    if (v->flags & VMA_STACK)
        return "[stack]";
    if (v->flags & VMA_VDSO)
        return "[vdso]";
    if (v->flags & VMA_VVAR)
        return "[vvar]";
    if (v->file != NULL)
        return v->file->open_name;
    if (v->start >= mm->image_start && v->end <= mm->image_end && mm->image_end != 0)
        return p->exe;
    return NULL;
}

static int show_maps(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);
    struct k_stat exe = {0};
    struct path ep;
    struct mm *mm;
    struct vma *v;

    if (p == NULL || p->mm == NULL)
        return -ENOENT;
    mm = p->mm;
    if (vfs_lookup(AT_FDCWD, p->exe, LOOKUP_FOLLOW, &ep, NULL, NULL) == 0) {
        inode_stat(ep.inode, &exe);
        path_put(&ep);
    }
    /* seqbuf only touches kernel memory: safe under the mm spinlock. */
    uint64_t irq = spin_lock_irqsave(&mm->lock);
    list_for_each_entry (v, &mm->vmas, link) {
        const char *name = vma_name(p, mm, v);
        bool image = name != NULL && name == p->exe;
        struct inode *mapped = v->file != NULL ? file_inode(v->file) : NULL;
        uint32_t dev = image                                  ? (uint32_t)exe.st_dev
                       : mapped != NULL && mapped->sb != NULL ? mapped->sb->dev
                                                              : 0;
        seq_printf(s, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", v->start, v->end,
                   (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
                   (v->prot & PROT_EXEC) ? 'x' : '-', (v->flags & VMA_SHARED) ? 's' : 'p',
                   image ? v->start - mm->image_start : v->offset, MAJOR(dev), MINOR(dev),
                   image            ? exe.st_ino
                   : mapped != NULL ? mapped->ino
                                    : 0ul);
        if (name != NULL) {
            seq_pad(s, MAPS_NAME_COLUMN, ' ');
            seq_puts(s, name);
        }
        seq_putc(s, '\n');
    }
    spin_unlock_irqrestore(&mm->lock, irq);
    return 0;
}

static int show_cmdline(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);

    if (p == NULL)
        return -ENOENT;
    if (p->cmdline != NULL)
        seq_write(s, p->cmdline, p->cmdline_len);
    return 0;
}

static int show_environ(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);

    if (p == NULL)
        return -ENOENT;
    if (p->environ != NULL)
        seq_write(s, p->environ, p->environ_len);
    return 0;
}

static int show_auxv(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);

    if (p == NULL)
        return -ENOENT;
    if (p->auxv != NULL)
        seq_write(s, p->auxv, p->auxv_len);
    return 0;
}

static int show_comm(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);

    if (p == NULL)
        return -ENOENT;
    seq_printf(s, "%s\n", p->comm);
    return 0;
}

static ssize_t write_comm(const char *buf, size_t len, void *ctx)
{
    struct process *p = pi_process(ctx);
    size_t n = MIN(len, sizeof(p->comm) - 1);

    if (p == NULL)
        return -ENOENT;
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    memcpy(p->comm, buf, n);
    p->comm[n] = '\0';
    spin_unlock_irqrestore(&p->lock, irq);
    return (ssize_t)len;
}

/* CPU time of the live threads plus the exited ones, in ns. */
static void cpu_times(struct process *p, uint64_t *user, uint64_t *sys)
{
    struct task *t;

    *user = p->dead_threads_cpu_ns;
    *sys = 0;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    list_for_each_entry (t, &p->threads, proc_link) {
        *user += t->user_ns;
        *sys += t->sys_ns;
    }
    spin_unlock_irqrestore(&p->lock, irq);
}

static int show_stat(struct seqbuf *s, void *ctx)
{
    const struct proc_inode *pi = ctx;
    struct process *p = pi_process(pi);
    uint64_t user, sys, vsize, rss;

    if (p == NULL)
        return -ENOENT;
    cpu_times(p, &user, &sys);
    vsize = p->mm != NULL ? vm_total_pages(p->mm) * PAGE_SIZE : 0;
    rss = p->mm != NULL ? vm_rss_pages(p->mm) : 0;
    /* The 52 fields of proc(5); what EggOS does not track reads 0. */
    seq_printf(s, "%d (%s) R 0 %d %d 0 -1 4194560 0 0 0 0 %lu %lu 0 0 20 0 %u 0 %lu %lu %lu %lu ",
               pi->num != 0 ? pi->num : p->pid, p->comm, p->pid, p->pid, user / NSEC_PER_TICK,
               sys / NSEC_PER_TICK, p->nthreads, p->start_ns / NSEC_PER_TICK, vsize, rss,
               (unsigned long)p->rlimits[RLIMIT_RSS].rlim_cur);
    seq_printf(s, "%lu %lu %lu %lu %lu 0 0 0 0 0 0 0 17 0 0 0 0 0 0 ",
               p->mm != NULL ? p->mm->image_start : 0ul, p->mm != NULL ? p->mm->image_end : 0ul,
               p->mm != NULL ? p->mm->stack_top : 0ul, 0ul, 0ul);
    seq_printf(s, "0 0 %lu %lu %lu %lu %lu %d\n", p->mm != NULL ? p->mm->brk_start : 0ul,
               p->mm != NULL ? p->mm->arg_start : 0ul, p->mm != NULL ? p->mm->arg_end : 0ul,
               p->mm != NULL ? p->mm->env_start : 0ul, p->mm != NULL ? p->mm->env_end : 0ul,
               p->exiting ? p->exit_status : 0);
    return 0;
}

static int show_statm(struct seqbuf *s, void *ctx)
{
    struct process *p = pi_process(ctx);
    uint64_t size, rss, text;

    if (p == NULL || p->mm == NULL)
        return -ENOENT;
    size = vm_total_pages(p->mm);
    rss = vm_rss_pages(p->mm);
    text = (p->mm->image_end - p->mm->image_start) >> PAGE_SHIFT;
    seq_printf(s, "%lu %lu 0 %lu 0 %lu 0\n", size, rss, text, size > text ? size - text : 0);
    return 0;
}

static int count_bits(uint64_t v)
{
    int n = 0;

    for (; v != 0; v &= v - 1)
        n++;
    return n;
}

/* Signal sets of status: the ignored and the caught ones. */
static void signal_sets(struct process *p, uint64_t *ign, uint64_t *cgt, uint64_t *pend)
{
    *ign = *cgt = 0;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    for (int sig = 1; sig <= NSIG; sig++) {
        uint64_t h = p->actions[sig].handler;
        if (h == SIG_IGN)
            *ign |= 1ull << (sig - 1);
        else if (h != SIG_DFL)
            *cgt |= 1ull << (sig - 1);
    }
    *pend = p->shared_pending.set;
    spin_unlock_irqrestore(&p->lock, irq);
}

static uint64_t task_blocked(struct process *p, int tid)
{
    uint64_t mask = 0;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    struct task *t = task_find(p, tid);

    if (t != NULL)
        mask = t->blocked;
    spin_unlock_irqrestore(&p->lock, irq);
    return mask;
}

static int show_status(struct seqbuf *s, void *ctx)
{
    const struct proc_inode *pi = ctx;
    struct process *p = pi_process(pi);
    uint64_t ign, cgt, pend, kb_size = 0, kb_rss = 0;
    int tid;

    if (p == NULL)
        return -ENOENT;
    tid = pi->num != 0 ? pi->num : p->pid;
    signal_sets(p, &ign, &cgt, &pend);
    if (p->mm != NULL) {
        kb_size = vm_total_pages(p->mm) * (PAGE_SIZE / 1024);
        kb_rss = vm_rss_pages(p->mm) * (PAGE_SIZE / 1024);
    }
    seq_printf(s, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n",
               p->comm, p->umask, p->pid, tid);
    seq_printf(s, "PPid:\t0\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
    seq_printf(s, "FDSize:\t%u\nGroups:\t\n", p->files != NULL ? p->files->size : 0);
    seq_printf(s, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n", kb_size,
               kb_size, 0ul, 0ul);
    seq_printf(s, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n",
               kb_rss, kb_rss, kb_rss, 0ul);
    seq_printf(s, "RssShmem:\t%8lu kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\n", 0ul,
               kb_size, 8192ul,
               p->mm != NULL ? (p->mm->image_end - p->mm->image_start) / 1024 : 0ul);
    seq_printf(s, "VmLib:\t%8lu kB\nVmPTE:\t%8lu kB\nVmSwap:\t%8lu kB\n", 0ul, 0ul, 0ul);
    seq_printf(s, "Threads:\t%u\nSigQ:\t%d/%lu\nSigPnd:\t%016lx\nShdPnd:\t%016lx\n", p->nthreads,
               count_bits(pend), (unsigned long)p->rlimits[RLIMIT_SIGPENDING].rlim_cur, 0ul, pend);
    seq_printf(s, "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n", task_blocked(p, tid), ign,
               cgt);
    seq_printf(s, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
                  "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"
                  "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n");
    seq_printf(s, "Cpus_allowed:\t%lx\nCpus_allowed_list:\t0-%u\n",
               ncpus >= 64 ? ~0ul : (1ul << ncpus) - 1, ncpus - 1);
    seq_printf(s, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    return 0;
}

static int show_mounts(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    vfs_format_mounts_seq(s);
    return 0;
}

static int show_mountinfo(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    vfs_format_mountinfo(s);
    return 0;
}

static int show_cgroup(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    seq_puts(s, "0::/\n");
    return 0;
}

/* ---- the tree ---- */

static struct proc_node *add_show(struct proc_node *dir, const char *name, proc_show_t show)
{
    struct proc_node *n = proc_node_add(dir, name, S_IFREG | 0444);

    if (n != NULL) {
        n->show = show;
        n->per_pid = true;
    }
    return n;
}

static struct proc_node *add_link(struct proc_node *dir, const char *name,
                                  ssize_t (*fn)(const struct proc_inode *, char *, size_t))
{
    struct proc_node *n = proc_node_add(dir, name, S_IFLNK | 0777);

    if (n != NULL)
        n->readlink = fn;
    return n;
}

/* A detached node: the template of generated entries, not listed anywhere. */
static struct proc_node *template(const char *name, uint32_t mode)
{
    struct proc_node *n = kzalloc(sizeof(*n));
    static uint64_t next_template_ino = 0x800;

    if (n == NULL)
        return NULL;
    n->name = name;
    n->mode = mode;
    n->ino = next_template_ino++;
    list_init(&n->children);
    return n;
}

static struct proc_dyn pid_dyn = {.sets_pid = true, .next = next_pid};
static struct proc_dyn tid_dyn = {.next = next_tid};
static struct proc_dyn fd_dyn = {.next = next_fd};
static struct proc_dyn fdinfo_dyn = {.next = next_fd};

/* The files every process and thread directory has. */
static void add_task_files(struct proc_node *dir)
{
    struct proc_node *n;

    add_link(dir, "exe", exe_readlink);
    n = add_link(dir, "cwd", cwd_readlink);
    if (n != NULL)
        n->get_link = cwd_get_link;
    n = proc_node_add(dir, "root", S_IFLNK | 0777);
    if (n != NULL)
        n->target = "/";
    n = proc_node_add(dir, "fd", S_IFDIR | 0500);
    if (n != NULL)
        n->dyn = &fd_dyn;
    n = proc_node_add(dir, "fdinfo", S_IFDIR | 0500);
    if (n != NULL)
        n->dyn = &fdinfo_dyn;
    add_show(dir, "maps", show_maps);
    add_show(dir, "cmdline", show_cmdline);
    add_show(dir, "environ", show_environ);
    add_show(dir, "auxv", show_auxv);
    add_show(dir, "stat", show_stat);
    add_show(dir, "statm", show_statm);
    add_show(dir, "status", show_status);
    add_show(dir, "mounts", show_mounts);
    add_show(dir, "mountinfo", show_mountinfo);
    add_show(dir, "cgroup", show_cgroup);
    n = add_show(dir, "comm", show_comm);
    if (n != NULL) {
        n->mode = S_IFREG | 0644;
        n->write = write_comm;
    }
}

void proc_pid_init(struct proc_node *root)
{
    struct proc_node *pid = template("pid", S_IFDIR | 0555);
    struct proc_node *tid = template("tid", S_IFDIR | 0555);
    struct proc_node *n;

    fd_dyn.child = template("fd", S_IFLNK | 0700);
    fdinfo_dyn.child = template("fdinfo", S_IFREG | 0444);
    if (pid == NULL || tid == NULL || fd_dyn.child == NULL || fdinfo_dyn.child == NULL)
        return;
    fd_dyn.child->readlink = fd_readlink;
    fd_dyn.child->get_link = fd_get_link;
    fdinfo_dyn.child->show = show_fdinfo;
    fdinfo_dyn.child->per_pid = true;
    add_task_files(pid);
    add_task_files(tid);
    n = proc_node_add(pid, "task", S_IFDIR | 0555);
    if (n != NULL)
        n->dyn = &tid_dyn;
    pid->parent = root;
    tid->parent = n;
    tid_dyn.child = tid;
    pid_dyn.child = pid;
    root->dyn = &pid_dyn;
    add_link(root, "self", self_readlink);
    add_link(root, "thread-self", thread_self_readlink);
}
