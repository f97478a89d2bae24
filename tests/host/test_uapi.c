/* EggOS's ABI structures match the host's Linux UAPI headers, field by field. */
#include <criterion/criterion.h>

#include "fs/poll.h"
#include "fs/vfs.h"
#include "linux/uapi.h"
#include "tty/termios.h"
#include "uapi_layout.h"

#define SAME(ours, field)                                                                          \
    cr_assert_eq((size_t)(ours), linux_layout.field, #field ": %zu vs Linux %zu", (size_t)(ours),  \
                 linux_layout.field)

Test(uapi, files)
{
    SAME(sizeof(struct k_stat), stat_size);
    SAME(offsetof(struct k_stat, st_size), stat_size_off);
    SAME(offsetof(struct k_stat, st_mtim), stat_mtime_off);
    SAME(sizeof(struct k_statx), statx_size);
    SAME(offsetof(struct k_statx, stx_ino), statx_ino_off);
    SAME(offsetof(struct k_statx, stx_mtime), statx_mtime_off);
    SAME(sizeof(struct k_statfs), statfs_size);
    SAME(offsetof(struct k_statfs, f_fsid), statfs_fsid_off);
    SAME(offsetof(struct k_statfs, f_namelen), statfs_namelen_off);
    SAME(offsetof(struct k_statfs, f_flags), statfs_flags_off);
    SAME(sizeof(struct k_epoll_event), epoll_event_size);
}

Test(uapi, signals)
{
    SAME(sizeof(struct k_siginfo), siginfo_size);
    SAME(offsetof(struct k_siginfo, si_code), siginfo_code_off);
    SAME(offsetof(struct k_siginfo, addr), siginfo_addr_off);
    SAME(offsetof(struct k_siginfo, kill.pid), siginfo_pid_off);
    SAME(offsetof(struct k_siginfo, timer.tid), siginfo_timerid_off);
    SAME(sizeof(struct k_sigcontext), sigcontext_size);
    SAME(offsetof(struct k_sigcontext, rsp), sigcontext_rsp_off);
    SAME(offsetof(struct k_sigcontext, rip), sigcontext_rip_off);
    SAME(offsetof(struct k_sigcontext, fpstate), sigcontext_fpstate_off);
    SAME(sizeof(k_stack_t), stack_size);
    SAME(sizeof(struct k_sigaction), sigaction_size);
    SAME(offsetof(struct k_sigaction, mask), sigaction_mask_off);
    SAME(sizeof(struct k_fpx_sw_bytes), fpx_sw_bytes_size);
}

Test(uapi, terminal_and_system)
{
    SAME(sizeof(struct k_termios), termios_size);
    SAME(offsetof(struct k_termios, c_cc), termios_cc_off);
    SAME(sizeof(struct k_winsize), winsize_size);
    SAME(sizeof(struct k_utsname), utsname_size);
    SAME(sizeof(struct k_sysinfo), sysinfo_size);
    SAME(offsetof(struct k_sysinfo, mem_unit), sysinfo_mem_unit_off);
    SAME(sizeof(struct k_rlimit), rlimit_size);
    SAME(sizeof(struct k_rusage), rusage_size);
    SAME(sizeof(struct k_timespec), timespec_size);
}
