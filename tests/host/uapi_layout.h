/* Sizes and offsets compared between the host's Linux headers and EggOS. */
#pragma once

#include <stddef.h>

struct layout {
    size_t stat_size, stat_size_off, stat_mtime_off;
    size_t statx_size, statx_ino_off, statx_mtime_off;
    size_t statfs_size, statfs_fsid_off, statfs_namelen_off, statfs_flags_off;
    size_t siginfo_size, siginfo_code_off, siginfo_addr_off, siginfo_pid_off, siginfo_timerid_off;
    size_t sigcontext_size, sigcontext_rsp_off, sigcontext_rip_off, sigcontext_fpstate_off;
    size_t stack_size, sigaction_size, sigaction_mask_off;
    size_t epoll_event_size;
    size_t termios_size, termios_cc_off, winsize_size;
    size_t utsname_size, sysinfo_size, sysinfo_mem_unit_off;
    size_t rlimit_size, rusage_size, timespec_size, fpx_sw_bytes_size;
};

extern const struct layout linux_layout;
