/*
 * sys.c - a static musl C program that checks system calls as Linux
 * answers them, where Go's and musl's everyday use does not reach: every
 * futex operation, the signals CPU faults raise, the calls EggOS refuses
 * (fork, vfork, execve, a new process through clone), bad pointers,
 * timer_create with SIGEV_THREAD_ID, the alternate signal stack
 * (SS_AUTODISARM, put back by rt_sigreturn), every clock, absolute sleeps, CPU
 * affinity, signals reaching a thread that spins on another CPU, and
 * 21,000 threads (1,000 at once) that leave no memory and no thread
 * behind.
 *
 * With no argument it runs every check and prints "PASS" (exit 0) only
 * when all held. "kill-segv", "kill-term" and "abort" end the program
 * through a signal's default action instead (tests/programs_test.go checks
 * the exit status 128+N and the kernel's message).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

/* linux/futex.h's values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)
#define FUTEX_REQUEUE_PRIVATE (3 | 128)
#define FUTEX_CMP_REQUEUE_PRIVATE (4 | 128)
#define FUTEX_WAIT_BITSET_PRIVATE (9 | 128)
#define FUTEX_WAKE_BITSET_PRIVATE (10 | 128)
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

static void sleep_ms(int ms)
{
    struct timespec ts = ns_ts((int64_t)ms * 1000000);
    nanosleep(&ts, NULL);
}

/* ---- futex ---- */

static uint32_t f1, f2;

struct waiter {
    uint32_t *addr;
    int op;
    uint32_t bitset;
    int64_t timeout_ns; /* relative; 0: none */
    long ret;
    int err;
    volatile int started;
};

static void *futex_waiter(void *arg)
{
    struct waiter *w = arg;
    struct timespec ts = ns_ts(w->timeout_ns);

    w->started = 1;
    w->ret = futex(w->addr, w->op, 0, w->timeout_ns ? &ts : NULL, NULL, w->bitset);
    w->err = w->ret < 0 ? errno : 0;
    return NULL;
}

/* Start a waiter and give it time to block. */
static pthread_t start_waiter(struct waiter *w)
{
    pthread_t t;

    pthread_create(&t, NULL, futex_waiter, w);
    while (!w->started)
        sched_yield();
    sleep_ms(20);
    return t;
}

static void test_futex(void)
{
    struct timespec ts;
    int64_t t0, deadline;

    /* WAIT on a changed value: EAGAIN at once. */
    f1 = 1;
    CHECK(futex(&f1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) == -1 && errno == EAGAIN, "errno %d",
          errno);
    f1 = 0;

    /* A relative timeout: ETIMEDOUT, not early. */
    ts = ns_ts(10000000);
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK(futex(&f1, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == -1 && errno == ETIMEDOUT, "errno %d",
          errno);
    CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 10000000, "relative wait returned early");

    /* WAIT_BITSET takes an absolute deadline, monotonic or (flag) realtime. */
    deadline = now_ns(CLOCK_MONOTONIC) + 10000000;
    ts = ns_ts(deadline);
    CHECK(futex(&f1, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY) == -1 &&
              errno == ETIMEDOUT,
          "errno %d", errno);
    CHECK(now_ns(CLOCK_MONOTONIC) >= deadline, "absolute monotonic wait returned early");
    deadline = now_ns(CLOCK_REALTIME) + 10000000;
    ts = ns_ts(deadline);
    CHECK(futex(&f1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &ts, NULL,
                FUTEX_BITSET_MATCH_ANY) == -1 &&
              errno == ETIMEDOUT,
          "errno %d", errno);
    CHECK(now_ns(CLOCK_REALTIME) >= deadline, "absolute realtime wait returned early");
    CHECK(futex(&f1, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0) == -1 && errno == EINVAL,
          "an empty bitset: errno %d", errno);

    /* WAKE_BITSET wakes only waiters whose bitset it shares. */
    struct waiter wb = {.addr = &f1, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 1};
    pthread_t t = start_waiter(&wb);
    CHECK(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 2) == 0, "woke a waiter of bitset 1");
    CHECK(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 3) == 1, "did not wake it");
    pthread_join(t, NULL);
    CHECK(wb.ret == 0, "the woken waiter returned %ld (errno %d)", wb.ret, wb.err);

    /* CMP_REQUEUE: refused when the value moved; else wakes some, moves the rest. */
    struct waiter w[3];
    pthread_t ts3[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter){.addr = &f1, .op = FUTEX_WAIT_PRIVATE};
        ts3[i] = start_waiter(&w[i]);
    }
    CHECK(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &f2, 7) == -1 && errno == EAGAIN,
          "CMP_REQUEUE with a wrong value: errno %d", errno);
    long r = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &f2, 0);
    CHECK(r == 3, "CMP_REQUEUE returned %ld, want 1 woken + 2 requeued", r);
    CHECK(futex(&f1, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 0, "a waiter stayed on f1");
    CHECK(futex(&f2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 2, "the requeued waiters were not on f2");
    for (int i = 0; i < 3; i++) {
        pthread_join(ts3[i], NULL);
        CHECK(w[i].ret == 0, "waiter %d returned %ld (errno %d)", i, w[i].ret, w[i].err);
    }

    /* A requeued waiter that times out leaves f2's queue as it should. */
    struct waiter tw = {.addr = &f1, .op = FUTEX_WAIT_PRIVATE, .timeout_ns = 60000000};
    t = start_waiter(&tw);
    CHECK(futex(&f1, FUTEX_REQUEUE_PRIVATE, 0, (void *)1, &f2, 0) == 0, "REQUEUE woke someone");
    pthread_join(t, NULL);
    CHECK(tw.ret == -1 && tw.err == ETIMEDOUT, "requeued waiter: %ld errno %d", tw.ret, tw.err);
    CHECK(futex(&f2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 0, "a timed-out waiter was woken");
}

/* Waiters time out while others requeue them and wake the target: the
 * queues must stay whole (a waiter once unlinked itself under the wrong
 * bucket's lock). */
static volatile int stress_stop;
static uint32_t sf1, sf2;

static void *stress_waiter(void *arg)
{
    (void)arg;
    while (!stress_stop) {
        struct timespec ts = ns_ts(200000);
        futex(&sf1, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    }
    return NULL;
}

static void *stress_mover(void *arg)
{
    (void)arg;
    while (!stress_stop) {
        futex(&sf1, FUTEX_REQUEUE_PRIVATE, 0, (void *)8, &sf2, 0);
        futex(&sf2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    return NULL;
}

static void test_futex_stress(void)
{
    pthread_t t[6];

    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, stress_waiter, NULL);
    for (int i = 4; i < 6; i++)
        pthread_create(&t[i], NULL, stress_mover, NULL);
    sleep_ms(500);
    stress_stop = 1;
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    /* Everyone left: nothing is waiting on either address. */
    CHECK(futex(&sf1, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0) == 0, "waiters left on sf1");
    CHECK(futex(&sf2, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0) == 0, "waiters left on sf2");
}

/* ---- signals from CPU faults ---- */

static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_code;
static volatile uintptr_t fault_addr;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(fault_jmp, 1);
}

extern char ud2_at[], int3_at[], div_at[];

static void do_ud2(void)
{
    __asm__ volatile(".globl ud2_at\nud2_at: ud2");
}

static void do_int3(void)
{
    __asm__ volatile(".globl int3_at\nint3_at: int3");
}

static void do_div(void)
{
    __asm__ volatile("xor %%ecx, %%ecx\n.globl div_at\ndiv_at: idiv %%ecx" ::"a"(1), "d"(0) : "ecx");
}

/* Run fn; return true when it raised a signal (caught by fault_handler). */
static int raises(void (*fn)(void))
{
    fault_sig = fault_code = 0;
    fault_addr = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        fn();
        return 0;
    }
    return 1;
}

static volatile char *bus_addr;

static void touch_bus(void)
{
    (void)*bus_addr;
}

static void test_fault_signals(void)
{
    struct sigaction sa = {.sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO};
    int sigs[] = {SIGILL, SIGTRAP, SIGFPE, SIGBUS};

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);

    CHECK(raises(do_ud2) && fault_sig == SIGILL && fault_code == ILL_ILLOPN &&
              fault_addr == (uintptr_t)ud2_at,
          "ud2: signal %d code %d addr %#lx", fault_sig, fault_code, (unsigned long)fault_addr);
    /* Linux reports int3 as sent by the kernel, without an address. */
    CHECK(raises(do_int3) && fault_sig == SIGTRAP && fault_code == SI_KERNEL && fault_addr == 0,
          "int3: signal %d code %d addr %#lx", fault_sig, fault_code, (unsigned long)fault_addr);
    CHECK(raises(do_div) && fault_sig == SIGFPE && fault_code == FPE_INTDIV &&
              fault_addr == (uintptr_t)div_at,
          "idiv by 0: signal %d code %d addr %#lx", fault_sig, fault_code, (unsigned long)fault_addr);

    /* A file mapping past the file's end: SIGBUS at the address. */
    int fd = memfd_create("bus", 0);
    long page = sysconf(_SC_PAGESIZE);
    CHECK(fd >= 0 && ftruncate(fd, page) == 0, "memfd");
    char *m = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap");
    bus_addr = m + page + 8;
    CHECK(raises(touch_bus) && fault_sig == SIGBUS && fault_code == BUS_ADRERR &&
              fault_addr == (uintptr_t)bus_addr,
          "past EOF: signal %d code %d addr %#lx", fault_sig, fault_code, (unsigned long)fault_addr);
    munmap(m, 2 * page);
    close(fd);
}

/* ---- what EggOS refuses, and bad pointers ---- */

static void test_refusals(void)
{
    char *argv[] = {"/init", NULL};

    CHECK(syscall(SYS_fork) == -1 && errno == ENOSYS, "fork: errno %d", errno);
    CHECK(syscall(SYS_vfork) == -1 && errno == ENOSYS, "vfork: errno %d", errno);
    CHECK(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == -1 && errno == ENOSYS, "clone(SIGCHLD): errno %d",
          errno);
    CHECK(syscall(SYS_execve, "/init", argv, NULL) == -1 && errno == ENOSYS, "execve: errno %d", errno);
    /* An unknown system call, twice: ENOSYS both times (the kernel logs it once). */
    CHECK(syscall(500) == -1 && errno == ENOSYS, "syscall 500: errno %d", errno);
    CHECK(syscall(500) == -1 && errno == ENOSYS, "syscall 500 again: errno %d", errno);
    CHECK(syscall(100000) == -1 && errno == ENOSYS, "syscall 100000: errno %d", errno);

    /* Bad pointers are EFAULT, kernel or user half. */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    CHECK(write(p[1], "x", 1) == 1, "write");
    CHECK(syscall(SYS_read, p[0], (void *)8, 1) == -1 && errno == EFAULT, "read into 8: errno %d",
          errno);
    CHECK(syscall(SYS_write, p[1], (void *)0xffffffff80000000ul, 4) == -1 && errno == EFAULT,
          "write from the kernel half: errno %d", errno);
    CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)16) == -1 && errno == EFAULT,
          "clock_gettime into 16: errno %d", errno);
    CHECK(syscall(SYS_uname, (void *)0x7ffffffff000ul) == -1 && errno == EFAULT, "uname: errno %d",
          errno);
    /* The last page below 2^47 is not user space, as on Linux: a hint there is moved, a fixed map fails. */
    void *top = (void *)0x7ffffffff000ul;
    void *m = mmap(top, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED && m != top, "mmap with the top page as hint gave %p", m);
    if (m != MAP_FAILED)
        munmap(m, 4096);
    CHECK(mmap(top, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED &&
              errno == ENOMEM,
          "MAP_FIXED at the top page: errno %d", errno);
    CHECK(syscall(SYS_uname, top) == -1 && errno == EFAULT, "uname into the top page: errno %d", errno);
    close(p[0]);
    close(p[1]);
}

/* ---- timers, clocks, sleeps ---- */

static volatile int timer_hits, timer_wrong_thread;
static volatile pid_t timer_tid;

static void timer_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code != SI_TIMER || gettid() != timer_tid)
        timer_wrong_thread++;
    timer_hits++;
}

struct timer_arg {
    clockid_t clock;
    volatile int done;
};

/* A thread makes a timer that signals it alone (SIGEV_THREAD_ID), as Go's profiler does. */
static void *timer_thread(void *arg)
{
    struct timer_arg *ta = arg;
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2};
    struct itimerspec its = {.it_value = ns_ts(5000000), .it_interval = ns_ts(5000000)};
    int id = 0;

    timer_tid = gettid();
    sev.sigev_notify_thread_id = timer_tid;
    CHECK(syscall(SYS_timer_create, ta->clock, &sev, &id) == 0, "timer_create(%d): errno %d",
          ta->clock, errno);
    CHECK(syscall(SYS_timer_settime, id, 0, &its, NULL) == 0, "timer_settime: errno %d", errno);
    /* Burn CPU (the CPU-time clock needs it) until enough expirations came. */
    int64_t end = now_ns(CLOCK_MONOTONIC) + 3000000000ll;
    while (timer_hits < 5 && now_ns(CLOCK_MONOTONIC) < end)
        ;
    CHECK(syscall(SYS_timer_delete, id) == 0, "timer_delete: errno %d", errno);
    ta->done = 1;
    return NULL;
}

static void test_timers(void)
{
    struct sigaction sa = {.sa_sigaction = timer_handler, .sa_flags = SA_SIGINFO | SA_RESTART};
    clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        struct timer_arg ta = {.clock = clocks[i]};
        pthread_t t;
        timer_hits = timer_wrong_thread = 0;
        pthread_create(&t, NULL, timer_thread, &ta);
        pthread_join(t, NULL);
        CHECK(timer_hits >= 5, "clock %d: %d expirations", clocks[i], timer_hits);
        CHECK(timer_wrong_thread == 0, "clock %d: %d signals to the wrong thread or code",
              clocks[i], timer_wrong_thread);
    }
    CHECK(syscall(SYS_timer_create, 12345, NULL, &(timer_t){0}) == -1 && errno == EINVAL,
          "timer_create on a bad clock: errno %d", errno);
    /* A timer deleted without ever being armed (this once crashed the kernel). */
    int unarmed = -1;
    CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &unarmed) == 0, "timer_create: errno %d",
          errno);
    CHECK(syscall(SYS_timer_delete, unarmed) == 0, "timer_delete of an unarmed timer: errno %d", errno);
    CHECK(syscall(SYS_timer_delete, unarmed) == -1 && errno == EINVAL, "deleted twice: errno %d",
          errno);

    /* Every clock reads and has a resolution. */
    clockid_t all[] = {CLOCK_REALTIME,         CLOCK_MONOTONIC,       CLOCK_PROCESS_CPUTIME_ID,
                       CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,   CLOCK_REALTIME_COARSE,
                       CLOCK_MONOTONIC_COARSE,  CLOCK_BOOTTIME};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        struct timespec ts = {0}, res = {0};
        CHECK(syscall(SYS_clock_gettime, all[i], &ts) == 0 && (ts.tv_sec > 0 || ts.tv_nsec > 0),
              "clock_gettime(%d): errno %d", all[i], errno);
        CHECK(syscall(SYS_clock_getres, all[i], &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
              "clock_getres(%d): errno %d, %ld ns", all[i], errno, res.tv_nsec);
    }
    CHECK(syscall(SYS_clock_getres, 999, NULL) == -1 && errno == EINVAL, "clock_getres(999): errno %d",
          errno);

    /* clock_nanosleep with TIMER_ABSTIME ends at (not before) the deadline. */
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + 15000000;
    struct timespec dl = ns_ts(deadline);
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == 0, "clock_nanosleep");
    CHECK(now_ns(CLOCK_MONOTONIC) >= deadline, "absolute sleep ended early");
    dl = ns_ts(1); /* long past */
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == 0, "past deadline");
    CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 1000000000, "a past deadline slept");
}

/* ---- CPU affinity ---- */

static void test_affinity(void)
{
    cpu_set_t all, one, got;
    int n;

    CHECK(sched_getaffinity(0, sizeof(all), &all) == 0, "sched_getaffinity: errno %d", errno);
    n = CPU_COUNT(&all);
    CHECK(n == sysconf(_SC_NPROCESSORS_ONLN), "affinity has %d CPUs, %ld online", n,
          sysconf(_SC_NPROCESSORS_ONLN));
    for (int cpu = 0; cpu < CPU_SETSIZE && cpu < 8; cpu++) {
        if (!CPU_ISSET(cpu, &all))
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to %d: errno %d", cpu, errno);
        CHECK(sched_getaffinity(0, sizeof(got), &got) == 0 && CPU_EQUAL(&got, &one),
              "affinity after pinning to %d has %d CPUs", cpu, CPU_COUNT(&got));
        /* Pinned: every look at the CPU finds that one, across sleeps and yields. */
        int wrong = 0;
        for (int i = 0; i < 50; i++) {
            if (sched_getcpu() != cpu)
                wrong++;
            if (i % 10 == 0)
                sleep_ms(1);
            else
                sched_yield();
        }
        CHECK(wrong == 0, "pinned to CPU %d, ran elsewhere %d times of 50", cpu, wrong);
    }
    CPU_ZERO(&one);
    CHECK(sched_setaffinity(0, sizeof(one), &one) == -1 && errno == EINVAL, "an empty set: errno %d",
          errno);
    CPU_ZERO(&one);
    CPU_SET(CPU_SETSIZE - 1, &one);
    CHECK(sched_setaffinity(0, sizeof(one), &one) == -1 && errno == EINVAL,
          "only offline CPUs: errno %d", errno);
    CHECK(sched_setaffinity(0, sizeof(all), &all) == 0, "unpin: errno %d", errno);
}

/* ---- the alternate signal stack: SS_AUTODISARM, and rt_sigreturn puts it back ---- */

static char alt_mem[65536] __attribute__((aligned(16)));
static volatile uintptr_t alt_local, alt_uc_sp;
static volatile int alt_uc_flags, alt_now_flags;

static void alt_handler(int sig, siginfo_t *si, void *ucp)
{
    ucontext_t *uc = ucp;
    stack_t now;
    int here;

    (void)sig;
    (void)si;
    alt_local = (uintptr_t)&here;
    alt_uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
    alt_uc_flags = uc->uc_stack.ss_flags;
    sigaltstack(NULL, &now);
    alt_now_flags = now.ss_flags;
}

static void test_altstack(void)
{
    stack_t ss = {.ss_sp = alt_mem, .ss_size = sizeof(alt_mem), .ss_flags = (int)SS_AUTODISARM};
    stack_t cur;
    struct sigaction sa = {.sa_sigaction = alt_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    uintptr_t lo = (uintptr_t)alt_mem, hi = lo + sizeof(alt_mem);

    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack: errno %d", errno);
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction: errno %d", errno);
    for (int round = 1; round <= 2; round++) {
        alt_local = 0;
        raise(SIGUSR2);
        CHECK(alt_local >= lo && alt_local < hi, "round %d: the handler ran at %#lx, not on the stack",
              round, (unsigned long)alt_local);
        CHECK(alt_uc_sp == lo && (unsigned)alt_uc_flags == SS_AUTODISARM,
              "round %d: uc_stack %#lx flags %#x", round, (unsigned long)alt_uc_sp, alt_uc_flags);
        CHECK(alt_now_flags == SS_DISABLE, "round %d: in the handler the stack's flags are %#x", round,
              alt_now_flags);
    }
    CHECK(sigaltstack(NULL, &cur) == 0 && (uintptr_t)cur.ss_sp == lo &&
              cur.ss_size == sizeof(alt_mem) && (unsigned)cur.ss_flags == SS_AUTODISARM,
          "after the handlers: stack %p size %zu flags %#x", cur.ss_sp, cur.ss_size, cur.ss_flags);
    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0, "disable: errno %d", errno);
    signal(SIGUSR2, SIG_DFL);
}

/*
 * ---- a signal reaches a thread spinning in user mode on another CPU ----
 *
 * The spinner sleeps a few microseconds, so its CPU goes idle and the
 * timer interrupt that ends the sleep switches to it from the idle loop;
 * then it spins without system calls until the signal's handler has run.
 * Only an IPI from the sender's CPU can make it notice (Go's asynchronous
 * preemption is exactly this: sysmon's tgkill of a spinning goroutine's
 * thread). Each round allows a second; a late round is a lost kick.
 */
#define KICK_ROUNDS 300

static volatile int kick_round, kick_got, kick_late;
static int64_t kick_worst_ns;

static void kick_handler(int sig)
{
    (void)sig;
    __atomic_store_n(&kick_got, kick_round, __ATOMIC_SEQ_CST);
}

static void pin_self(int cpu)
{
    cpu_set_t one;

    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to CPU %d: errno %d", cpu, errno);
}

static void *kick_spinner(void *arg)
{
    struct timespec nap = {.tv_nsec = 10000};

    (void)arg;
    pin_self(1);
    for (int r = 1; r <= KICK_ROUNDS; r++) {
        nanosleep(&nap, NULL);
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        __atomic_store_n(&kick_round, r, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&kick_got, __ATOMIC_SEQ_CST) != r &&
               now_ns(CLOCK_MONOTONIC) - t0 < 1000000000)
            ;
        int64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
        if (__atomic_load_n(&kick_got, __ATOMIC_SEQ_CST) != r)
            kick_late++;
        if (dt > kick_worst_ns)
            kick_worst_ns = dt;
        /* A late signal arrives at the next system call: wait for it. */
        while (__atomic_load_n(&kick_got, __ATOMIC_SEQ_CST) != r)
            sched_yield();
    }
    return NULL;
}

static void test_signal_kick(void)
{
    cpu_set_t all;
    pthread_t th;

    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        printf("signal kick: one CPU, nothing to check\n");
        return;
    }
    CHECK(sched_getaffinity(0, sizeof(all), &all) == 0, "sched_getaffinity: errno %d", errno);
    signal(SIGUSR1, kick_handler);
    pin_self(0);
    CHECK(pthread_create(&th, NULL, kick_spinner, NULL) == 0, "pthread_create");
    for (int r = 1; r <= KICK_ROUNDS; r++) {
        while (__atomic_load_n(&kick_round, __ATOMIC_SEQ_CST) != r)
            ;
        CHECK(pthread_kill(th, SIGUSR1) == 0, "pthread_kill");
        while (__atomic_load_n(&kick_got, __ATOMIC_SEQ_CST) != r)
            sched_yield();
    }
    pthread_join(th, NULL);
    CHECK(kick_late == 0, "%d of %d signals to a spinning thread waited over a second", kick_late,
          KICK_ROUNDS);
    printf("signal kick: %d rounds, %d late, worst %lld us\n", KICK_ROUNDS, kick_late,
           (long long)(kick_worst_ns / 1000));
    sched_setaffinity(0, sizeof(all), &all);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- threads come and go without a limit, and leave nothing behind ---- */

static long meminfo_kb(const char *field)
{
    char line[128];
    long v = -1;
    FILE *f = fopen("/proc/meminfo", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
            v = strtol(line + strlen(field) + 1, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return v;
}

static int status_threads(void)
{
    char line[128];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "Threads:", 8) == 0)
            n = atoi(line + 8);
    }
    if (f != NULL)
        fclose(f);
    return n;
}

static void *short_lived(void *arg)
{
    return arg;
}

static void *waiting(void *arg)
{
    pthread_barrier_wait(arg);
    return NULL;
}

/* ---- sigtimedwait woken by the signal ---- */

struct sigsender {
    pthread_t target;
    int sig;
    int directed; /* 1: pthread_kill(target), 0: kill(getpid()) */
};

static void *sigsender_run(void *arg)
{
    struct sigsender *s = arg;
    struct timespec nap = {0, 30 * 1000 * 1000};

    nanosleep(&nap, NULL);
    if (s->directed)
        pthread_kill(s->target, s->sig);
    else
        kill(getpid(), s->sig);
    return NULL;
}

/*
 * A thread waits in sigtimedwait for a signal it blocks and another thread
 * sends it: process-directed, thread-directed, and SIGCHLD, which is ignored
 * by default and must still be queued for a thread that blocks it (Linux
 * keeps a blocked ignored signal). Afterwards the mask is what it was.
 */
static void test_sigtimedwait_wake(void)
{
    static const struct sigsender cases[] = {{0, SIGUSR2, 0}, {0, SIGUSR2, 1}, {0, SIGCHLD, 0}};
    sigset_t set, old, now;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sigsender s = cases[i];
        struct timespec limit = {5, 0}, t0, t1;
        siginfo_t si;
        pthread_t th;
        int r;

        signal(s.sig, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, s.sig);
        pthread_sigmask(SIG_BLOCK, &set, &old);
        s.target = pthread_self();
        CHECK(pthread_create(&th, NULL, sigsender_run, &s) == 0, "pthread_create");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = sigtimedwait(&set, &si, &limit);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pthread_join(th, NULL);
        double waited = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        CHECK(r == s.sig && si.si_signo == s.sig,
              "sigtimedwait case %zu: got %d (errno %d) after %.3f s, want signal %d", i, r,
              r < 0 ? errno : 0, waited, s.sig);
        CHECK(waited < 4.0, "sigtimedwait case %zu: woken only after %.3f s", i, waited);
        pthread_sigmask(SIG_SETMASK, NULL, &now);
        CHECK(sigismember(&now, s.sig) == 1, "sigtimedwait case %zu: the mask lost signal %d", i,
              s.sig);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

static void test_thread_churn(void)
{
    enum { CHURN = 20000, CONCURRENT = 1000 };
    pthread_attr_t attr;
    pthread_t *many = calloc(CONCURRENT, sizeof(*many));
    pthread_barrier_t barrier;
    long before, after;
    int failed = 0;

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    /* Warm up musl's and the kernel's caches, then measure. */
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, short_lived, NULL) == 0)
            pthread_join(t, NULL);
    }
    before = meminfo_kb("MemFree");
    for (int i = 0; i < CHURN; i++) {
        pthread_t t;
        void *r = NULL;
        if (pthread_create(&t, &attr, short_lived, (void *)(intptr_t)i) != 0 ||
            pthread_join(t, &r) != 0 || r != (void *)(intptr_t)i)
            failed++;
    }
    CHECK(failed == 0, "%d of %d create/join rounds failed", failed, CHURN);

    /* Many at once: no fixed limit on threads. */
    pthread_barrier_init(&barrier, NULL, CONCURRENT + 1);
    failed = 0;
    for (int i = 0; i < CONCURRENT; i++)
        if (pthread_create(&many[i], &attr, waiting, &barrier) != 0)
            failed++;
    CHECK(failed == 0, "%d of %d concurrent threads not created", failed, CONCURRENT);
    if (failed == 0) {
        CHECK(status_threads() == CONCURRENT + 1, "/proc/self/status says %d threads, want %d",
              status_threads(), CONCURRENT + 1);
        pthread_barrier_wait(&barrier);
        for (int i = 0; i < CONCURRENT; i++)
            pthread_join(many[i], NULL);
    }
    pthread_barrier_destroy(&barrier);
    free(many);
    for (int i = 0; i < 100 && status_threads() != 1; i++)
        sleep_ms(1); /* a joined thread's last steps can trail its futex wake */
    CHECK(status_threads() == 1, "%d threads left after joining all", status_threads());
    after = meminfo_kb("MemFree");
    /* Exited threads' kernel stacks and structures are freed: at most 1 MiB drift. */
    CHECK(before > 0 && after > 0 && before - after < 1024,
          "MemFree %ld kB before %d threads, %ld kB after", before, CHURN + CONCURRENT, after);
    printf("threads: %d created and joined, %d at once; MemFree %ld -> %ld kB\n", CHURN, CONCURRENT,
           before, after);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) {
        if (strcmp(argv[1], "kill-segv") == 0) {
            signal(SIGSEGV, SIG_DFL);
            bus_addr = (volatile char *)(uintptr_t)strlen(argv[1]); /* 9: an unmapped address */
            *bus_addr = 1;
        } else if (strcmp(argv[1], "kill-term") == 0) {
            kill(getpid(), SIGTERM);
            pause();
        } else if (strcmp(argv[1], "abort") == 0) {
            abort();
        }
        printf("mode %s did not end the program\n", argv[1]);
        return 1;
    }
    test_futex();
    test_futex_stress();
    test_fault_signals();
    test_altstack();
    test_refusals();
    test_timers();
    test_affinity();
    test_signal_kick();
    test_sigtimedwait_wake();
    test_thread_churn();
    printf("%s\n", failures ? "FAILED" : "PASS");
    return failures ? 1 : 0;
}
