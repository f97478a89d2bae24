/*
 * syscall.c - the system call table, dispatch, and strace.
 *
 * entry.S calls syscall_dispatch(tf) with the registers saved; arguments are
 * rdi, rsi, rdx, r10, r8, r9 and the number is in rax. The handler runs with
 * IRQs on; its result goes back in rax. exit_to_user then delivers signals
 * (possibly restarting the call) before the return to user space.
 */
#include "arch/x86_64/cpu.h"
#include "core/params.h"
#include "core/printk.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/entry.h"
#include "linux/syscall.h"
#include "linux/task.h"
#include "linux/uaccess.h"

static const struct syscall_entry table[NR_SYSCALLS] = {
#define SYSCALL(name, fmt) [__NR_##name] = {sys_##name, fmt},
#include "linux/syscalls.def"
#undef SYSCALL
};

bool strace_enabled;
static uint64_t unknown_logged[(NR_SYSCALLS + 63) / 64 + 1];

static int set_strace(const char *val)
{
    (void)val;
    strace_enabled = true;
    return 0;
}
KERNEL_PARAM("strace", set_strace);

const char *syscall_name(long nr, char *buf, size_t len)
{
    if (nr >= 0 && nr < NR_SYSCALLS && syscall_names[nr] != NULL)
        return syscall_names[nr];
    snprintf(buf, len, "syscall_%ld", nr);
    return buf;
}

static void log_unknown(uint64_t nr)
{
    char buf[32];
    uint64_t slot = nr < NR_SYSCALLS ? nr : NR_SYSCALLS;

    if (__atomic_fetch_or(&unknown_logged[slot / 64], 1ul << (slot % 64), __ATOMIC_RELAXED) &
        (1ul << (slot % 64)))
        return;
    pr_warn("eggos: unsupported system call %s (%lu): returning ENOSYS\n",
            syscall_name((long)nr, buf, sizeof(buf)), nr);
}

/* ---- strace ---- */

static size_t format_arg(char *buf, size_t size, char kind, uint64_t v)
{
    switch (kind) {
    case 'd':
        return scnprintf(buf, size, "%d", (int)v);
    case 'l':
        return scnprintf(buf, size, "%ld", (long)v);
    case 'u':
        return scnprintf(buf, size, "%lu", v);
    case 'o':
        return scnprintf(buf, size, "%#lo", v);
    case 'f':
        if ((int)v == AT_FDCWD)
            return scnprintf(buf, size, "AT_FDCWD");
        return scnprintf(buf, size, "%d", (int)v);
    case 's': {
        char str[48];
        long n;
        if (v == 0)
            return scnprintf(buf, size, "NULL");
        n = strncpy_from_user(str, (const char *)v, sizeof(str));
        if (n == -EFAULT)
            return scnprintf(buf, size, "%#lx", v);
        return scnprintf(buf, size, "\"%s\"%s", str, n < 0 ? "..." : "");
    }
    case 'p':
        if (v == 0)
            return scnprintf(buf, size, "NULL");
        return scnprintf(buf, size, "%#lx", v);
    case 'x':
    default:
        return scnprintf(buf, size, "%#lx", v);
    }
}

static void strace_print(uint64_t nr, const uint64_t *args, long ret, bool returns)
{
    char line[320], name_buf[32];
    const char *fmt = nr < NR_SYSCALLS && table[nr].fn != NULL ? table[nr].format : "xxxxxx";
    size_t n = 0;

    n += scnprintf(line + n, sizeof(line) - n, "[%d] %s(", current_task()->tid,
                   syscall_name((long)nr, name_buf, sizeof(name_buf)));
    for (int i = 0; fmt[i] != '\0' && i < 6; i++) {
        if (i > 0)
            n += scnprintf(line + n, sizeof(line) - n, ", ");
        n += format_arg(line + n, sizeof(line) - n, fmt[i], args[i]);
    }
    if (!returns)
        n += scnprintf(line + n, sizeof(line) - n, ") = ?\n");
    else if (ret < 0 && ret >= -MAX_ERRNO && errno_name((int)-ret) != NULL)
        n += scnprintf(line + n, sizeof(line) - n, ") = -1 %s\n", errno_name((int)-ret));
    else if (ret < 0 && ret >= -MAX_ERRNO)
        n += scnprintf(line + n, sizeof(line) - n, ") = -1 (errno %ld)\n", -ret);
    else if (nr == __NR_mmap || nr == __NR_mremap || nr == __NR_brk)
        n += scnprintf(line + n, sizeof(line) - n, ") = %#lx\n", ret);
    else
        n += scnprintf(line + n, sizeof(line) - n, ") = %ld\n", ret);
    printk(LOG_EMERG, "%s", line);
}

long syscall_dispatch(struct trapframe *tf)
{
    struct task *task = current_task();
    uint64_t nr = tf->rax;
    uint64_t args[6] = {tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9};
    long ret;
    bool iret;

    irq_enable();
    task->syscall_nr = (long)nr;
    if (strace_enabled && (nr == __NR_exit || nr == __NR_exit_group))
        strace_print(nr, args, 0, false);
    if (nr < NR_SYSCALLS && table[nr].fn != NULL) {
        ret = table[nr].fn(args);
    } else {
        log_unknown(nr);
        ret = -ENOSYS;
    }
    if (strace_enabled && nr != __NR_rt_sigreturn)
        strace_print(nr, args, ret, true);
    tf->rax = (uint64_t)ret;
    exit_to_user(tf);
    task->syscall_nr = -1;
    /* SYSRET to a non-canonical RIP would fault in ring 0: use IRET then. */
    iret = task->full_restore || tf->rip >= USER_TOP - PAGE_SIZE;
    task->full_restore = false;
    return iret;
}
