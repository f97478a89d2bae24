/*
 * uapi.h - Linux x86-64 ABI types and constants, written for EggOS.
 *
 * Every structure here is what applications see in memory; layouts are
 * checked with _Static_assert here and against the host's Linux headers by
 * tests/host/test_uapi.c.
 */
#pragma once

#include "lib/types.h"

struct k_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct k_timeval {
    int64_t tv_sec;
    int64_t tv_usec;
};

struct k_itimerval {
    struct k_timeval it_interval;
    struct k_timeval it_value;
};

struct k_itimerspec {
    struct k_timespec it_interval;
    struct k_timespec it_value;
};

struct k_iovec {
    void *iov_base;
    size_t iov_len;
};

/* ---- signals ---- */

#define NSIG 64
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32

#define SIG_DFL 0ul
#define SIG_IGN 1ul

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_UNSUPPORTED 0x00000400u
#define SA_EXPOSE_TAGBITS 0x00000800u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define ILL_ILLOPN 2
#define ILL_PRVOPC 5
#define FPE_INTDIV 1
#define FPE_FLTDIV 3
#define FPE_FLTINV 7
#define TRAP_BRKPT 1

struct k_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

typedef struct {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
} k_stack_t;

struct k_siginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t pad;
    union {
        uint64_t addr; /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
        struct {
            int32_t pid;
            uint32_t uid;
            uint64_t value; /* sigqueue */
        } kill;
        struct {
            int32_t tid;
            int32_t overrun;
            uint64_t value;
        } timer;
        uint8_t bytes[112];
    };
};

struct k_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
    uint64_t rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the FPU state, 0 if none */
    uint64_t reserved1[8];
};

struct k_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    k_stack_t uc_stack;
    struct k_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* In the FXSAVE area's software-reserved bytes (offset 464). */
struct k_fpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
    uint32_t padding[7];
};
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define FP_SW_BYTES_OFFSET 464

#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

struct k_sigevent {
    uint64_t sigev_value;
    int32_t sigev_signo;
    int32_t sigev_notify;
    int32_t sigev_tid; /* SIGEV_THREAD_ID */
    int32_t pad[11];
};

/* ---- processes ---- */

struct k_rlimit {
    uint64_t rlim_cur;
    uint64_t rlim_max;
};
#define RLIM_INFINITY (~0ul)
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_LOCKS 10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIMIT_RTTIME 15
#define RLIM_NLIMITS 16

struct k_utsname {
    char sysname[65];
    char nodename[65];
    char release[65];
    char version[65];
    char machine[65];
    char domainname[65];
};

struct k_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram;
    uint64_t freeram;
    uint64_t sharedram;
    uint64_t bufferram;
    uint64_t totalswap;
    uint64_t freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2;
    uint64_t totalhigh;
    uint64_t freehigh;
    uint32_t mem_unit;
    char f[4];
};

struct k_rusage {
    struct k_timeval ru_utime;
    struct k_timeval ru_stime;
    int64_t rest[14];
};

struct k_tms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};

/* clone flags */
#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_IO 0x80000000

/* ---- time ---- */

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

/* ---- files ---- */

#define AT_FDCWD (-100)

/* ---- compile-time layout checks (also compared with the host headers) ---- */
_Static_assert(sizeof(struct k_sigaction) == 32, "sigaction");
_Static_assert(sizeof(k_stack_t) == 24, "stack_t");
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo");
_Static_assert(__builtin_offsetof(struct k_siginfo, si_code) == 8, "si_code");
_Static_assert(__builtin_offsetof(struct k_siginfo, addr) == 16, "si_addr");
_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext");
_Static_assert(__builtin_offsetof(struct k_ucontext, uc_mcontext) == 40, "uc_mcontext");
_Static_assert(__builtin_offsetof(struct k_ucontext, uc_mcontext.rsp) == 160, "rsp");
_Static_assert(__builtin_offsetof(struct k_ucontext, uc_mcontext.rip) == 168, "rip");
_Static_assert(__builtin_offsetof(struct k_ucontext, uc_mcontext.fpstate) == 224, "fpstate");
_Static_assert(__builtin_offsetof(struct k_ucontext, uc_sigmask) == 296, "uc_sigmask");
_Static_assert(sizeof(struct k_fpx_sw_bytes) == 48, "fpx_sw_bytes");
_Static_assert(sizeof(struct k_sigevent) == 64, "sigevent");
_Static_assert(sizeof(struct k_utsname) == 390, "utsname");
_Static_assert(sizeof(struct k_sysinfo) == 112, "sysinfo");
_Static_assert(sizeof(struct k_rusage) == 144, "rusage");
