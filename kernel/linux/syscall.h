/*
 * syscall.h - how system calls are declared and dispatched.
 *
 * A handler is written with SYSCALL_DEFINEn(name, type1, arg1, ...) in the
 * file of its family (sys_mm.c, sys_thread.c, ...) and listed in
 * syscalls.def with its strace argument format. Handlers return a value or
 * -errno, exactly as the Linux syscall would.
 *
 * strace formats, one letter per argument:
 *   d int  l long  u unsigned long  x hex  p pointer  s string (user)
 *   f file descriptor (AT_FDCWD shown by name)  o octal mode
 */
#pragma once

#include "linux/syscall_nr.h"
#include "lib/errno.h"
#include "lib/types.h"

typedef long (*syscall_fn)(const uint64_t *args);

struct syscall_entry {
    syscall_fn fn;
    const char *format;
};

extern const char *const syscall_names[NR_SYSCALLS];

#define SYSCALL_DEFINE0(name) long sys_##name(const uint64_t *args __unused)

#define SYSCALL_DEFINE1(name, t1, a1)                                                              \
    static long do_sys_##name(t1 a1);                                                              \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0]);                                                         \
    }                                                                                              \
    static long do_sys_##name(t1 a1)

#define SYSCALL_DEFINE2(name, t1, a1, t2, a2)                                                      \
    static long do_sys_##name(t1 a1, t2 a2);                                                       \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0], (t2)args[1]);                                            \
    }                                                                                              \
    static long do_sys_##name(t1 a1, t2 a2)

#define SYSCALL_DEFINE3(name, t1, a1, t2, a2, t3, a3)                                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3);                                                \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0], (t2)args[1], (t3)args[2]);                               \
    }                                                                                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3)

#define SYSCALL_DEFINE4(name, t1, a1, t2, a2, t3, a3, t4, a4)                                      \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4);                                         \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0], (t2)args[1], (t3)args[2], (t4)args[3]);                  \
    }                                                                                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4)

#define SYSCALL_DEFINE5(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);                                  \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0], (t2)args[1], (t3)args[2], (t4)args[3], (t5)args[4]);     \
    }                                                                                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)

#define SYSCALL_DEFINE6(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6)                      \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6);                           \
    long sys_##name(const uint64_t *args)                                                          \
    {                                                                                              \
        return do_sys_##name((t1)args[0], (t2)args[1], (t3)args[2], (t4)args[3], (t5)args[4],      \
                             (t6)args[5]);                                                         \
    }                                                                                              \
    static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6)

/* Declarations of every handler listed in syscalls.def. */
#define SYSCALL(name, fmt) long sys_##name(const uint64_t *args);
#include "linux/syscalls.def"
#undef SYSCALL

/* Name of a syscall number for messages ("syscall_123" when unknown). */
const char *syscall_name(long nr, char *buf, size_t len);

/* True when "strace" was on the command line. */
extern bool strace_enabled;
