/*
 * signal.c - sending, delivering and returning from signals (see signal.h).
 *
 * Call flow: kill/tgkill/faults -> signal_send_* (mark pending, wake a
 * thread) ... -> exit_to_user -> signal_deliver -> setup_frame; the handler
 * returns into sa_restorer -> rt_sigreturn -> restore_frame.
 *
 * Pending sets are per thread and per process; each signal number keeps
 * one siginfo (real-time signals are not queued more than once each). An
 * ignored signal is dropped when sent, unless a thread blocks it or waits
 * for it in rt_sigtimedwait, which unblocks its set for the wait
 * (real_blocked keeps the mask) so that the signal wakes it.
 */
#include "arch/x86_64/context.h"
#include "arch/x86_64/features.h"
#include "core/printk.h"
#include "core/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/uaccess.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"
#include "sched/smp.h"

/* What the application's sa_restorer returns into. */
struct rt_sigframe {
    uint64_t pretcode;
    struct k_ucontext uc;
    struct k_siginfo info;
};

static const char *const names[] = {
    [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
    [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
    [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
    [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT",
    [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
    [SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ",     [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH",   [SIGIO] = "SIGIO",         [SIGPWR] = "SIGPWR",
    [SIGSYS] = "SIGSYS",
};

const char *signal_name(int sig)
{
    if (sig > 0 && sig < (int)ARRAY_SIZE(names) && names[sig] != NULL)
        return names[sig];
    return sig >= SIGRTMIN && sig <= NSIG ? "SIGRT" : "?";
}

static bool valid_sig(int sig)
{
    return sig >= 1 && sig <= NSIG;
}

/* Signals whose default action is to do nothing. Stop signals are ignored
 * too: EggOS has no job control, and stopping the only application would
 * only hang the machine. */
static bool default_ignored(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return true;
    default:
        return false;
    }
}

static bool is_ignored(struct process *p, int sig)
{
    uint64_t h = p->actions[sig].handler;
    return sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && default_ignored(sig)));
}

void signal_recalc(struct task *t)
{
    struct process *p = t->proc;
    uint64_t ready = (t->pending.set | p->shared_pending.set) & ~t->blocked;

    t->thread->sigpending = ready != 0 || p->exiting;
}

bool signal_pending(void)
{
    return current_thread()->sigpending;
}

/* Make t notice a signal: wake it from an interruptible sleep, or poke its CPU. */
static void kick(struct task *t)
{
    struct thread *th = t->thread;

    if (!thread_wake_interruptible(th) && th != current_thread())
        smp_send_resched((unsigned int)th->cpu);
}

int signal_send_thread(struct task *t, const struct k_siginfo *info)
{
    struct process *p = t->proc;
    int sig = info->si_signo;
    uint64_t flags;

    if (!valid_sig(sig))
        return -EINVAL;
    flags = spin_lock_irqsave(&p->lock);
    if (is_ignored(p, sig) && !((t->blocked | t->real_blocked) & sigmask(sig))) {
        spin_unlock_irqrestore(&p->lock, flags);
        return 0;
    }
    t->pending.set |= sigmask(sig);
    t->pending.info[sig - 1] = *info;
    signal_recalc(t);
    bool notice = t->thread->sigpending;
    spin_unlock_irqrestore(&p->lock, flags);
    if (notice)
        kick(t);
    return 0;
}

int signal_send_process(struct process *p, int sig, int code)
{
    struct task *t, *target = NULL;
    struct k_siginfo info = {.si_signo = sig, .si_code = code};
    uint64_t flags;

    if (!valid_sig(sig))
        return -EINVAL;
    info.kill.pid = code == SI_USER ? p->pid : 0;
    flags = spin_lock_irqsave(&p->lock);
    /* An ignored signal is dropped, unless a thread blocks it or waits for it. */
    if (is_ignored(p, sig)) {
        bool keep = false;
        list_for_each_entry (t, &p->threads, proc_link)
            keep |= ((t->blocked | t->real_blocked) & sigmask(sig)) != 0;
        if (!keep) {
            spin_unlock_irqrestore(&p->lock, flags);
            return 0;
        }
    }
    p->shared_pending.set |= sigmask(sig);
    p->shared_pending.info[sig - 1] = info;
    /* Prefer a thread that does not block it; the main thread first. */
    list_for_each_entry (t, &p->threads, proc_link) {
        signal_recalc(t);
        if (target == NULL && !(t->blocked & sigmask(sig)))
            target = t;
    }
    spin_unlock_irqrestore(&p->lock, flags);
    if (target != NULL)
        kick(target);
    return 0;
}

void signal_force_fault(int sig, int code, uint64_t addr)
{
    struct task *t = current_task();
    struct process *p = t->proc;
    struct k_siginfo info = {.si_signo = sig, .si_code = code, .addr = addr};
    uint64_t flags = spin_lock_irqsave(&p->lock);

    /* A blocked or ignored synchronous fault cannot be handled: default it. */
    if ((t->blocked & sigmask(sig)) || p->actions[sig].handler == SIG_IGN) {
        t->blocked &= ~sigmask(sig);
        p->actions[sig].handler = SIG_DFL;
    }
    t->pending.set |= sigmask(sig);
    t->pending.info[sig - 1] = info;
    signal_recalc(t);
    spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * t blocks the signals of mask again (rt_sigtimedwait's end): if some of
 * them are pending for the whole process, another thread that does not
 * block them must notice (Linux's retarget_shared_pending). Returns the
 * thread to kick once p->lock is dropped, or NULL.
 */
static struct task *retarget_shared(struct task *t, uint64_t mask)
{
    struct process *p = t->proc;
    uint64_t left = p->shared_pending.set & mask & t->blocked;
    struct task *o;

    assert_held(&p->lock);
    if (left == 0)
        return NULL;
    list_for_each_entry (o, &p->threads, proc_link) {
        if (o != t && (left & ~o->blocked) != 0) {
            signal_recalc(o);
            return o;
        }
    }
    return NULL;
}

/* Take the next deliverable signal (thread's first, synchronous ones first). */
static int dequeue(struct task *t, uint64_t allowed, struct k_siginfo *info)
{
    struct process *p = t->proc;
    static const int sync_first[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS};
    struct sigpending *sets[2] = {&t->pending, &p->shared_pending};

    assert_held(&p->lock);
    for (int s = 0; s < 2; s++) {
        uint64_t ready = sets[s]->set & allowed;
        int sig = 0;
        if (ready == 0)
            continue;
        for (size_t i = 0; i < ARRAY_SIZE(sync_first); i++) {
            if (ready & sigmask(sync_first[i])) {
                sig = sync_first[i];
                break;
            }
        }
        if (sig == 0)
            sig = __builtin_ctzl(ready) + 1;
        sets[s]->set &= ~sigmask(sig);
        *info = sets[s]->info[sig - 1];
        return sig;
    }
    return 0;
}

static bool on_altstack(struct task *t, uint64_t sp)
{
    return t->altstack.ss_size != 0 && !(t->altstack.ss_flags & SS_DISABLE) &&
           sp > t->altstack.ss_sp && sp - t->altstack.ss_sp <= t->altstack.ss_size;
}

static size_t fpstate_size(void)
{
    return cpu_features.xsave ? fpu_size() + 4 : 512;
}

/* Copy the thread's FPU state into the frame's fpstate area. */
static int save_fpstate(struct thread *th, uint64_t ufp)
{
    uint8_t *area = th->fpu;
    struct k_fpx_sw_bytes sw = {0};
    uint32_t magic2 = FP_XSTATE_MAGIC2;

    fpu_save(th);
    if (cpu_features.xsave) {
        sw.magic1 = FP_XSTATE_MAGIC1;
        sw.extended_size = (uint32_t)fpu_size() + 4;
        sw.xfeatures = cpu_features.xcr0;
        sw.xstate_size = (uint32_t)fpu_size();
    }
    memcpy(area + FP_SW_BYTES_OFFSET, &sw, sizeof(sw));
    if (copy_to_user((void *)ufp, area, fpu_size()) != 0)
        return -EFAULT;
    if (cpu_features.xsave && copy_to_user((void *)(ufp + fpu_size()), &magic2, 4) != 0)
        return -EFAULT;
    return 0;
}

/* Load FPU state from user memory, refusing what XRSTOR would fault on. */
static int restore_fpstate(struct thread *th, uint64_t ufp)
{
    uint8_t *tmp = kmalloc(fpu_size(), 0);
    int err = -EFAULT;

    if (tmp == NULL)
        return -ENOMEM;
    if (copy_from_user(tmp, (void *)ufp, fpu_size()) != 0)
        goto out;
    uint32_t mxcsr;
    memcpy(&mxcsr, tmp + 24, 4);
    if (mxcsr & 0xffff0000u)
        goto out; /* reserved MXCSR bits: FXRSTOR/XRSTOR would #GP */
    if (cpu_features.xsave) {
        uint64_t hdr[8];
        memcpy(hdr, tmp + 512, sizeof(hdr));
        /* xstate_bv within XCR0, standard (not compacted) form, reserved zero. */
        if ((hdr[0] & ~cpu_features.xcr0) != 0 || hdr[1] != 0)
            goto out;
        for (int i = 2; i < 8; i++) {
            if (hdr[i] != 0)
                goto out;
        }
    }
    memcpy(th->fpu, tmp, fpu_size());
    fpu_restore(th);
    err = 0;
out:
    kfree(tmp);
    return err;
}

/*
 * Build the handler's frame on the user stack and point tf at the handler.
 * false when it cannot be built; *why and *at then say what failed where.
 */
static bool setup_frame(struct trapframe *tf, int sig, const struct k_sigaction *ka,
                        const struct k_siginfo *info, uint64_t oldmask, const char **why,
                        uint64_t *at)
{
    struct task *t = current_task();
    struct thread *th = t->thread;
    struct rt_sigframe frame;
    uint64_t sp = tf->rsp, ufp, uframe;
    bool was_on_alt = on_altstack(t, sp);

    if ((ka->flags & SA_ONSTACK) && t->altstack.ss_size != 0 && !was_on_alt &&
        !(t->altstack.ss_flags & SS_DISABLE))
        sp = t->altstack.ss_sp + t->altstack.ss_size;
    else
        sp -= 128; /* the red zone below the interrupted code's stack */
    ufp = ALIGN_DOWN(sp - fpstate_size(), 64ul);
    uframe = ALIGN_DOWN(ufp - sizeof(frame), 16ul) - 8;

    memset(&frame, 0, sizeof(frame));
    frame.pretcode = ka->restorer;
    frame.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    /* As Linux saves it: what sigaltstack set, which rt_sigreturn puts back. */
    frame.uc.uc_stack = t->altstack;
    struct k_sigcontext *sc = &frame.uc.uc_mcontext;
    sc->r8 = tf->r8;
    sc->r9 = tf->r9;
    sc->r10 = tf->r10;
    sc->r11 = tf->r11;
    sc->r12 = tf->r12;
    sc->r13 = tf->r13;
    sc->r14 = tf->r14;
    sc->r15 = tf->r15;
    sc->rdi = tf->rdi;
    sc->rsi = tf->rsi;
    sc->rbp = tf->rbp;
    sc->rbx = tf->rbx;
    sc->rdx = tf->rdx;
    sc->rax = tf->rax;
    sc->rcx = tf->rcx;
    sc->rsp = tf->rsp;
    sc->rip = tf->rip;
    sc->eflags = tf->rflags;
    sc->cs = USER_CS;
    sc->ss = USER_DS;
    sc->err = tf->vector < 32 ? tf->error : 0;
    sc->trapno = tf->vector < 32 ? tf->vector : 0;
    sc->oldmask = oldmask;
    sc->cr2 = info->addr;
    sc->fpstate = ufp;
    frame.uc.uc_sigmask = oldmask;
    frame.info = *info;

    *at = ufp;
    if (!(ka->flags & SA_RESTORER)) {
        *why = "no SA_RESTORER";
        return false;
    }
    if (save_fpstate(th, ufp) != 0) {
        *why = was_on_alt || sp != tf->rsp - 128 ? "FPU state not writable (signal stack)"
                                                 : "FPU state not writable";
        return false;
    }
    *at = uframe;
    if (copy_to_user((void *)uframe, &frame, sizeof(frame)) != 0) {
        *why = "frame not writable";
        return false;
    }

    /* The handler starts with a clean FPU, as on Linux. */
    fpu_reset(th);
    tf->rsp = uframe;
    tf->rip = ka->handler;
    tf->rdi = (uint64_t)sig;
    tf->rsi = uframe + __builtin_offsetof(struct rt_sigframe, info);
    tf->rdx = uframe + __builtin_offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_RF);
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    if (t->altstack.ss_flags & SS_AUTODISARM) {
        t->altstack.ss_sp = 0;
        t->altstack.ss_size = 0;
        t->altstack.ss_flags = SS_DISABLE;
    }
    /* RCX/R11 carry garbage into the handler: fine, but use IRET anyway so
     * every register the frame describes is exactly what the handler sees. */
    t->full_restore = true;
    return true;
}

/* The interrupted syscall's fate once we know whether a handler runs. */
static void syscall_restart(struct task *t, struct trapframe *tf, const struct k_sigaction *ka)
{
    long ret = (long)tf->rax;

    if (t->syscall_nr < 0)
        return;
    switch (ret) {
    case -ERESTARTSYS:
        if (ka != NULL && !(ka->flags & SA_RESTART)) {
            tf->rax = (uint64_t)-EINTR;
            break;
        }
        __fallthrough;
    case -ERESTARTNOHAND:
        if (ka != NULL && ret == -ERESTARTNOHAND) {
            tf->rax = (uint64_t)-EINTR;
            break;
        }
        tf->rax = (uint64_t)t->syscall_nr;
        tf->rip -= 2; /* back over the 2-byte SYSCALL instruction */
        break;
    default:
        break;
    }
    t->syscall_nr = -1;
}

void signal_deliver(struct trapframe *tf)
{
    struct task *t = current_task();
    struct process *p = t->proc;

    for (;;) {
        struct k_siginfo info;
        struct k_sigaction ka;
        uint64_t flags, oldmask;
        int sig;

        flags = spin_lock_irqsave(&p->lock);
        if (p->exiting) {
            spin_unlock_irqrestore(&p->lock, flags);
            task_exit(p->exit_status);
        }
        sig = dequeue(t, ~t->blocked, &info);
        if (sig == 0) {
            signal_recalc(t);
            spin_unlock_irqrestore(&p->lock, flags);
            break;
        }
        ka = p->actions[sig];
        if (ka.handler == SIG_IGN || (ka.handler == SIG_DFL && default_ignored(sig))) {
            signal_recalc(t);
            spin_unlock_irqrestore(&p->lock, flags);
            continue;
        }
        if (ka.handler == SIG_DFL) {
            spin_unlock_irqrestore(&p->lock, flags);
            process_kill(sig);
        }
        oldmask = t->restore_sigmask ? t->saved_sigmask : t->blocked;
        t->restore_sigmask = false;
        t->blocked |= ka.mask;
        if (!(ka.flags & SA_NODEFER))
            t->blocked |= sigmask(sig);
        t->blocked &= ~UNBLOCKABLE;
        if (ka.flags & SA_RESETHAND)
            p->actions[sig].handler = SIG_DFL;
        signal_recalc(t);
        spin_unlock_irqrestore(&p->lock, flags);

        syscall_restart(t, tf, &ka);
        const char *why = "";
        uint64_t at = 0;
        if (!setup_frame(tf, sig, &ka, &info, oldmask, &why, &at)) {
            printk(LOG_ERR,
                   "eggos: cannot deliver %s to thread %d: %s at %#lx (sp %#lx, alt stack "
                   "%#lx+%#lx flags %#x, handler flags %#lx)\n",
                   signal_name(sig), t->tid, why, at, tf->rsp, t->altstack.ss_sp,
                   t->altstack.ss_size, t->altstack.ss_flags, ka.flags);
            process_kill(SIGSEGV);
        }
        return; /* one handler at a time; more are delivered after it */
    }
    /* No handler ran: restart an interrupted call, put a saved mask back. */
    syscall_restart(t, tf, NULL);
    if (t->restore_sigmask) {
        uint64_t flags = spin_lock_irqsave(&p->lock);
        t->blocked = t->saved_sigmask;
        t->restore_sigmask = false;
        signal_recalc(t);
        spin_unlock_irqrestore(&p->lock, flags);
    }
}

/* ---- system calls ---- */

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct k_sigaction *, act, struct k_sigaction *, oact,
                size_t, sigsetsize)
{
    struct process *p = current_process();
    struct k_sigaction new_action, old;
    uint64_t flags;

    if (sigsetsize != 8)
        return -EINVAL;
    if (!valid_sig(sig) || (act != NULL && (sig == SIGKILL || sig == SIGSTOP)))
        return -EINVAL;
    if (act != NULL && copy_from_user(&new_action, act, sizeof(new_action)) != 0)
        return -EFAULT;
    flags = spin_lock_irqsave(&p->lock);
    old = p->actions[sig];
    if (act != NULL) {
        new_action.mask &= ~UNBLOCKABLE;
        p->actions[sig] = new_action;
        /* Setting SIG_IGN discards what is pending (POSIX). */
        if (is_ignored(p, sig)) {
            struct task *t;
            p->shared_pending.set &= ~sigmask(sig);
            list_for_each_entry (t, &p->threads, proc_link) {
                t->pending.set &= ~sigmask(sig);
                signal_recalc(t);
            }
        }
    }
    spin_unlock_irqrestore(&p->lock, flags);
    if (oact != NULL && copy_to_user(oact, &old, sizeof(old)) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, const uint64_t *, set, uint64_t *, oset, size_t,
                sigsetsize)
{
    struct task *t = current_task();
    uint64_t new_set = 0, old;
    uint64_t flags;

    if (sigsetsize != 8)
        return -EINVAL;
    if (set != NULL && copy_from_user(&new_set, set, 8) != 0)
        return -EFAULT;
    if (set != NULL && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
        return -EINVAL;
    flags = spin_lock_irqsave(&t->proc->lock);
    old = t->blocked;
    if (set != NULL) {
        if (how == SIG_BLOCK)
            t->blocked |= new_set;
        else if (how == SIG_UNBLOCK)
            t->blocked &= ~new_set;
        else
            t->blocked = new_set;
        t->blocked &= ~UNBLOCKABLE;
        signal_recalc(t);
    }
    spin_unlock_irqrestore(&t->proc->lock, flags);
    if (oset != NULL && copy_to_user(oset, &old, 8) != 0)
        return -EFAULT;
    return 0;
}

/* Install ns as t's alternate stack, for code running at sp. */
static long altstack_set(struct task *t, const k_stack_t *ns, uint64_t sp)
{
    if (on_altstack(t, sp))
        return -EPERM;
    uint32_t mode = (uint32_t)ns->ss_flags & ~SS_AUTODISARM;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
        return -EINVAL;
    if (mode == SS_DISABLE) {
        t->altstack = (k_stack_t){.ss_flags = SS_DISABLE};
        return 0;
    }
    if (ns->ss_size < MINSIGSTKSZ)
        return -ENOMEM;
    t->altstack = *ns;
    t->altstack.ss_flags = (int32_t)((uint32_t)ns->ss_flags & SS_AUTODISARM);
    return 0;
}

SYSCALL_DEFINE2(sigaltstack, const k_stack_t *, ss, k_stack_t *, oss)
{
    struct task *t = current_task();
    k_stack_t old = t->altstack, ns;

    old.ss_flags = (t->altstack.ss_flags & SS_DISABLE)
                       ? SS_DISABLE
                       : (on_altstack(t, t->thread->utf->rsp) ? SS_ONSTACK : 0) |
                             (t->altstack.ss_flags & SS_AUTODISARM);
    if (ss != NULL) {
        if (copy_from_user(&ns, ss, sizeof(ns)) != 0)
            return -EFAULT;
        long err = altstack_set(t, &ns, t->thread->utf->rsp);
        if (err != 0)
            return err;
    }
    if (oss != NULL && copy_to_user(oss, &old, sizeof(old)) != 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE0(rt_sigreturn)
{
    struct task *t = current_task();
    struct trapframe *tf = t->thread->utf;
    uint64_t uframe = tf->rsp - 8; /* the handler's ret popped pretcode */
    struct rt_sigframe frame;
    struct k_sigcontext *sc = &frame.uc.uc_mcontext;
    uint64_t flags;

    if (copy_from_user(&frame, (void *)uframe, sizeof(frame)) != 0 || sc->rip >= USER_TOP) {
        printk(LOG_ERR, "eggos: rt_sigreturn with a bad frame at %#lx\n", uframe);
        process_kill(SIGSEGV);
    }
    if (sc->fpstate != 0 && restore_fpstate(t->thread, sc->fpstate) != 0) {
        printk(LOG_ERR, "eggos: rt_sigreturn with a bad FPU state at %#lx\n", sc->fpstate);
        process_kill(SIGSEGV);
    }
    tf->r8 = sc->r8;
    tf->r9 = sc->r9;
    tf->r10 = sc->r10;
    tf->r11 = sc->r11;
    tf->r12 = sc->r12;
    tf->r13 = sc->r13;
    tf->r14 = sc->r14;
    tf->r15 = sc->r15;
    tf->rdi = sc->rdi;
    tf->rsi = sc->rsi;
    tf->rbp = sc->rbp;
    tf->rbx = sc->rbx;
    tf->rdx = sc->rdx;
    tf->rcx = sc->rcx;
    tf->rsp = sc->rsp;
    tf->rip = sc->rip;
    /* User-changeable flags only; IF stays on, IOPL stays 0. */
    tf->rflags = (tf->rflags & ~0x254dd5ul) | (sc->eflags & 0x254dd5ul) | RFLAGS_IF;
    tf->cs = USER_CS;
    tf->ss = USER_DS;

    /*
     * The alternate stack as the frame says, as Linux does (errors ignored,
     * as there): this re-arms an SS_AUTODISARM stack the delivery disarmed,
     * and applies a handler's change to uc_stack.
     */
    (void)altstack_set(t, &frame.uc.uc_stack, tf->rsp);

    flags = spin_lock_irqsave(&t->proc->lock);
    t->blocked = frame.uc.uc_sigmask & ~UNBLOCKABLE;
    signal_recalc(t);
    spin_unlock_irqrestore(&t->proc->lock, flags);

    t->full_restore = true;
    t->syscall_nr = -1; /* never restart rt_sigreturn itself */
    return (long)sc->rax;
}

SYSCALL_DEFINE2(rt_sigpending, uint64_t *, set, size_t, sigsetsize)
{
    struct task *t = current_task();
    uint64_t pending, flags;

    if (sigsetsize != 8)
        return -EINVAL;
    flags = spin_lock_irqsave(&t->proc->lock);
    pending = (t->pending.set | t->proc->shared_pending.set) & t->blocked;
    spin_unlock_irqrestore(&t->proc->lock, flags);
    return copy_to_user(set, &pending, 8);
}

SYSCALL_DEFINE2(rt_sigsuspend, const uint64_t *, mask, size_t, sigsetsize)
{
    struct task *t = current_task();
    uint64_t newmask, flags;

    if (sigsetsize != 8)
        return -EINVAL;
    if (copy_from_user(&newmask, mask, 8) != 0)
        return -EFAULT;
    flags = spin_lock_irqsave(&t->proc->lock);
    t->saved_sigmask = t->blocked;
    t->restore_sigmask = true;
    t->blocked = newmask & ~UNBLOCKABLE;
    signal_recalc(t);
    spin_unlock_irqrestore(&t->proc->lock, flags);
    while (!signal_pending())
        thread_sleep_until(UINT64_MAX, SLEEP_INTERRUPTIBLE);
    return -ERESTARTNOHAND;
}

SYSCALL_DEFINE0(pause)
{
    while (!signal_pending())
        thread_sleep_until(UINT64_MAX, SLEEP_INTERRUPTIBLE);
    return -ERESTARTNOHAND;
}

SYSCALL_DEFINE4(rt_sigtimedwait, const uint64_t *, uset, struct k_siginfo *, uinfo,
                const struct k_timespec *, uts, size_t, sigsetsize)
{
    struct task *t = current_task(), *target;
    uint64_t set, deadline = 0, flags;
    struct k_timespec ts;
    struct k_siginfo info;
    long ret;
    int sig;

    if (sigsetsize != 8)
        return -EINVAL;
    if (copy_from_user(&set, uset, 8) != 0)
        return -EFAULT;
    set &= ~UNBLOCKABLE;
    if (uts != NULL) {
        if (copy_from_user(&ts, uts, sizeof(ts)) != 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
            return -EINVAL;
        deadline = ktime_ns() + (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    }
    /*
     * As Linux does: while the thread waits, the set is unblocked (the mask
     * kept in real_blocked), so a signal of the set makes sigpending true
     * and signal_send_* wake the thread as for any signal; a process-
     * directed one picks this thread, which no longer blocks it. The mask
     * comes back before the call returns.
     */
    flags = spin_lock_irqsave(&t->proc->lock);
    t->real_blocked = t->blocked;
    t->blocked &= ~set;
    for (;;) {
        sig = dequeue(t, set, &info);
        signal_recalc(t);
        if (sig != 0) {
            ret = sig;
            break;
        }
        /* Nothing of the set is pending, so what sigpending says is another signal. */
        if (t->thread->sigpending) {
            ret = -EINTR;
            break;
        }
        if (deadline != 0 && ktime_ns() >= deadline) {
            ret = -EAGAIN;
            break;
        }
        spin_unlock_irqrestore(&t->proc->lock, flags);
        thread_sleep_until(deadline != 0 ? deadline : UINT64_MAX, SLEEP_INTERRUPTIBLE);
        flags = spin_lock_irqsave(&t->proc->lock);
    }
    t->blocked = t->real_blocked;
    t->real_blocked = 0;
    signal_recalc(t);
    target = retarget_shared(t, set);
    spin_unlock_irqrestore(&t->proc->lock, flags);
    if (target != NULL)
        kick(target);
    if (ret > 0 && uinfo != NULL && copy_to_user(uinfo, &info, sizeof(info)) != 0)
        return -EFAULT;
    return ret;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
    struct process *p = current_process();

    if (pid != p->pid && pid != 0 && pid != -1 && pid != -p->pid)
        return -ESRCH;
    if (sig == 0)
        return 0;
    return signal_send_process(p, sig, SI_USER);
}

static long do_tkill(int tgid, int tid, int sig, int code)
{
    struct process *p = current_process();
    struct k_siginfo info = {.si_signo = sig, .si_code = code};
    struct task *t;
    uint64_t flags;

    if (tid <= 0 || (tgid != -1 && tgid != p->pid) || (sig != 0 && !valid_sig(sig)))
        return tid <= 0 || sig < 0 || sig > NSIG ? -EINVAL : -ESRCH;
    info.kill.pid = p->pid;
    flags = spin_lock_irqsave(&p->lock);
    t = task_find(p, tid);
    spin_unlock_irqrestore(&p->lock, flags);
    if (t == NULL)
        return -ESRCH;
    if (sig == 0)
        return 0;
    return signal_send_thread(t, &info);
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
    if (tgid <= 0)
        return -EINVAL;
    return do_tkill(tgid, tid, sig, SI_TKILL);
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
    return do_tkill(-1, tid, sig, SI_TKILL);
}

SYSCALL_DEFINE3(rt_sigqueueinfo, int, pid, int, sig, const struct k_siginfo *, uinfo)
{
    struct process *p = current_process();
    struct k_siginfo info;

    if (pid != p->pid)
        return -ESRCH;
    if (copy_from_user(&info, uinfo, sizeof(info)) != 0)
        return -EFAULT;
    if (info.si_code >= 0 || info.si_code == SI_TKILL)
        return -EPERM;
    return signal_send_process(p, sig, info.si_code);
}

SYSCALL_DEFINE4(rt_tgsigqueueinfo, int, tgid, int, tid, int, sig, const struct k_siginfo *, uinfo)
{
    struct k_siginfo info;

    if (copy_from_user(&info, uinfo, sizeof(info)) != 0)
        return -EFAULT;
    if (info.si_code >= 0 || info.si_code == SI_TKILL)
        return -EPERM;
    return do_tkill(tgid, tid, sig, info.si_code);
}
