/*
 * uapi_kernel.c - sizes and offsets of Linux ABI structures, taken from the
 * host's UAPI headers. Kept apart from the kernel's own definitions (which
 * reuse the same macro names) and compared in test_uapi.c.
 */
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/signal.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <asm/termios.h>
#include <linux/eventpoll.h>
#include <linux/resource.h>
#include <linux/stat.h>
#include <linux/sysinfo.h>
#include <linux/time_types.h>
#include <linux/utsname.h>
#include <stddef.h>

#include "uapi_layout.h"

const struct layout linux_layout = {
    .stat_size = sizeof(struct stat),
    .stat_size_off = offsetof(struct stat, st_size),
    .stat_mtime_off = offsetof(struct stat, st_mtime),
    .statx_size = sizeof(struct statx),
    .statx_ino_off = offsetof(struct statx, stx_ino),
    .statx_mtime_off = offsetof(struct statx, stx_mtime),
    .statfs_size = sizeof(struct statfs),
    .statfs_fsid_off = offsetof(struct statfs, f_fsid),
    .statfs_namelen_off = offsetof(struct statfs, f_namelen),
    .statfs_flags_off = offsetof(struct statfs, f_flags),
    .siginfo_size = sizeof(siginfo_t),
    .siginfo_code_off = offsetof(siginfo_t, si_code),
    .siginfo_addr_off = offsetof(siginfo_t, si_addr),
    .siginfo_pid_off = offsetof(siginfo_t, si_pid),
    .siginfo_timerid_off = offsetof(siginfo_t, si_tid),
    .sigcontext_size = sizeof(struct sigcontext),
    .sigcontext_rsp_off = offsetof(struct sigcontext, rsp),
    .sigcontext_rip_off = offsetof(struct sigcontext, rip),
    .sigcontext_fpstate_off = offsetof(struct sigcontext, fpstate),
    .stack_size = sizeof(stack_t),
    .sigaction_size = sizeof(struct sigaction),
    .sigaction_mask_off = offsetof(struct sigaction, sa_mask),
    .epoll_event_size = sizeof(struct epoll_event),
    .termios_size = sizeof(struct termios),
    .termios_cc_off = offsetof(struct termios, c_cc),
    .winsize_size = sizeof(struct winsize),
    .utsname_size = sizeof(struct new_utsname),
    .sysinfo_size = sizeof(struct sysinfo),
    .sysinfo_mem_unit_off = offsetof(struct sysinfo, mem_unit),
    .rlimit_size = sizeof(struct rlimit),
    .rusage_size = sizeof(struct rusage),
    .timespec_size = sizeof(struct __kernel_timespec),
    .fpx_sw_bytes_size = sizeof(struct _fpx_sw_bytes),
};
