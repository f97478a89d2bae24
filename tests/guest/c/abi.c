/*
 * abi.c - a static musl C program that checks what C programs need from
 * EggOS: pthreads, mutexes, condition variables, malloc, stdio, and the
 * exact signal ABI (siginfo, ucontext, alternate stacks, masks) and that
 * AVX registers survive context switches and signal handlers.
 *
 * Prints "PASS" and exits 0 only when every check held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

/* ---- threads, mutexes, condition variables ---- */

#define NTHREADS 8
#define ITERS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter, queue, consumed;

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return (void *)(intptr_t)gettid();
}

static void *consumer(void *arg)
{
    long *mine = arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (queue == 0 && consumed < 10000)
            pthread_cond_wait(&cond, &mu);
        if (consumed >= 10000) {
            pthread_mutex_unlock(&mu);
            pthread_cond_broadcast(&cond);
            return NULL;
        }
        queue--;
        consumed++;
        (*mine)++;
        pthread_mutex_unlock(&mu);
    }
}

static void test_threads(void)
{
    pthread_t t[NTHREADS];
    long per[4] = {0};
    void *ret;

    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_create(&t[i], NULL, adder, NULL) == 0, "pthread_create");
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(pthread_join(t[i], &ret) == 0, "pthread_join");
        CHECK((intptr_t)ret > 1, "thread tid %ld", (long)(intptr_t)ret);
    }
    CHECK(counter == NTHREADS * ITERS, "counter %ld", counter);

    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, consumer, &per[i]);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&mu);
        queue++;
        pthread_mutex_unlock(&mu);
        pthread_cond_signal(&cond);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(consumed == 10000, "consumed %ld", consumed);

    /* A timed wait times out. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&mu);
    int r = pthread_cond_timedwait(&cond, &mu, &ts);
    pthread_mutex_unlock(&mu);
    CHECK(r == ETIMEDOUT, "timedwait returned %d", r);
}

/* ---- memory and stdio ---- */

static void test_malloc(void)
{
    char *blocks[1000];
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i * 97 % 5000) + 1;
        blocks[i] = malloc(n);
        CHECK(blocks[i] != NULL, "malloc(%zu)", n);
        memset(blocks[i], i & 0xff, n);
    }
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i * 97 % 5000) + 1;
        CHECK(blocks[i][n - 1] == (char)(i & 0xff), "block %d clobbered", i);
        free(blocks[i]);
    }
    /* A large allocation (mmap) and realloc growth (mremap). */
    char *big = malloc(8 << 20);
    CHECK(big != NULL, "malloc 8 MiB");
    big[0] = 1;
    big[(8 << 20) - 1] = 2;
    big = realloc(big, 64 << 20);
    CHECK(big != NULL && big[0] == 1 && big[(8 << 20) - 1] == 2, "realloc 64 MiB");
    big[(64 << 20) - 1] = 3;
    free(big);

    char buf[64];
    snprintf(buf, sizeof(buf), "%d %s %.2f %x", 42, "eggos", 3.25, 255);
    CHECK(strcmp(buf, "42 eggos 3.25 ff") == 0, "snprintf gave %s", buf);
}

/* ---- signals ---- */

static volatile int got_sig, got_code;
static volatile uintptr_t got_addr, handler_sp;
static volatile int on_altstack_flag;
static char altstack[64 * 1024];

static void segv_handler(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    char probe;

    got_sig = sig;
    got_code = si->si_code;
    got_addr = (uintptr_t)si->si_addr;
    handler_sp = (uintptr_t)&probe;
    on_altstack_flag = handler_sp >= (uintptr_t)altstack &&
                       handler_sp < (uintptr_t)altstack + sizeof(altstack);
    /* Skip the faulting instruction: 'movl $1, (%rax)' below is 6 bytes. */
    uc->uc_mcontext.gregs[REG_RIP] += 6;
}

static void test_fault_signal(void)
{
    struct sigaction sa = {0};
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};

    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    volatile uintptr_t bad = 0x1234560;
    /* Fault at a known address with a fixed-length instruction. */
    __asm__ __volatile__("movq %0, %%rax\n\t"
                         ".byte 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00\n\t" /* movl $1, (%rax) */
                         :
                         : "r"((uintptr_t)bad)
                         : "rax", "memory");
    CHECK(got_sig == SIGSEGV, "signal %d", got_sig);
    CHECK(got_code == SEGV_MAPERR, "si_code %d", got_code);
    CHECK(got_addr == 0x1234560, "si_addr %#lx", (unsigned long)got_addr);
    CHECK(on_altstack_flag, "handler ran on %#lx, not the alternate stack", (unsigned long)handler_sp);

    /* Write to a read-only page: SEGV_ACCERR. */
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    got_sig = 0;
    __asm__ __volatile__("movq %0, %%rax\n\t"
                         ".byte 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00\n\t"
                         :
                         : "r"((uintptr_t)ro)
                         : "rax", "memory");
    CHECK(got_sig == SIGSEGV && got_code == SEGV_ACCERR && got_addr == (uintptr_t)ro,
          "read-only write: sig %d code %d addr %#lx", got_sig, got_code, (unsigned long)got_addr);
    munmap(ro, 4096);
}

static volatile int usr1_count;
static volatile pid_t usr1_pid;

static void usr1_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    usr1_count++;
    usr1_pid = si->si_pid;
}

static void test_masks_and_waits(void)
{
    struct sigaction sa = {0};
    sigset_t block, old, pending, waitset;

    sa.sa_sigaction = usr1_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    /* Blocked: stays pending until unblocked, then is delivered once. */
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    kill(getpid(), SIGUSR1);
    CHECK(usr1_count == 0, "delivered while blocked");
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR1), "not pending");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(usr1_count == 1, "delivered %d times after unblock", usr1_count);
    CHECK(usr1_pid == getpid(), "si_pid %d", usr1_pid);

    /* sigsuspend: wait with the signal unblocked. */
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    sigset_t none;
    sigemptyset(&none);
    int r = sigsuspend(&none);
    CHECK(r == -1 && errno == EINTR && usr1_count == 2, "sigsuspend r=%d errno=%d count=%d", r,
          errno, usr1_count);

    /* sigtimedwait: take a blocked signal synchronously; time out without one. */
    sigemptyset(&waitset);
    sigaddset(&waitset, SIGUSR2);
    sigprocmask(SIG_BLOCK, &waitset, NULL);
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    struct timespec zero = {0, 0}, short_wait = {0, 20 * 1000 * 1000};
    CHECK(sigtimedwait(&waitset, &si, &zero) == SIGUSR2 && si.si_signo == SIGUSR2,
          "sigtimedwait did not return SIGUSR2");
    errno = 0;
    CHECK(sigtimedwait(&waitset, &si, &short_wait) == -1 && errno == EAGAIN,
          "empty sigtimedwait errno %d", errno);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* SA_RESETHAND: the second delivery uses the default (ignore for SIGWINCH). */
    struct sigaction once = {0};
    once.sa_sigaction = usr1_handler;
    once.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGWINCH, &once, NULL);
    int before = usr1_count;
    raise(SIGWINCH);
    raise(SIGWINCH);
    CHECK(usr1_count == before + 1, "SA_RESETHAND handler ran %d times", usr1_count - before);

    /* Errors. */
    CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "sigaction(SIGKILL) allowed");
    CHECK(kill(99999, SIGUSR1) == -1 && errno == ESRCH, "kill(99999) errno %d", errno);
}

/* ---- AVX state ---- */

static int have_avx(void)
{
    unsigned int a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 28)) || !(c & (1u << 27)))
        return 0;
    unsigned int lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

static void set_ymm(uint64_t seed)
{
    uint64_t v[4] = {seed, seed * 3, seed * 5, seed * 7};
    __asm__ __volatile__("vmovdqu %0, %%ymm7\n\tvmovdqu %0, %%ymm12" : : "m"(v) : "xmm7", "xmm12");
}

static int check_ymm(uint64_t seed)
{
    uint64_t a[4], b[4];
    __asm__ __volatile__("vmovdqu %%ymm7, %0\n\tvmovdqu %%ymm12, %1" : "=m"(a), "=m"(b));
    return a[0] == seed && a[3] == seed * 7 && b[1] == seed * 3 && b[2] == seed * 5;
}

static void avx_handler(int sig)
{
    (void)sig;
    set_ymm(0xdeadbeefcafe); /* clobber: rt_sigreturn must restore */
}

static void *avx_worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        set_ymm(seed + i);
        sched_yield(); /* another thread with other values runs here */
        if (!check_ymm(seed + i))
            bad++;
    }
    return (void *)(intptr_t)bad;
}

static void test_avx(void)
{
    pthread_t t[4];
    void *bad;

    if (!have_avx()) {
        printf("     avx: this CPU has no AVX; checking SSE state only\n");
        return;
    }
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, avx_worker, (void *)(uintptr_t)((i + 1) * 1000003));
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &bad);
        CHECK(bad == NULL, "thread %d lost its ymm registers %ld times", i, (long)(intptr_t)bad);
    }
    signal(SIGUSR2, avx_handler);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    set_ymm(424242);
    kill(getpid(), SIGUSR2); /* the handler clobbers ymm7/ymm12 */
    CHECK(check_ymm(424242), "ymm registers not restored after a signal handler");
}

/* ---- time ---- */

static volatile int alarms;

static void alarm_handler(int s)
{
    (void)s;
    alarms++;
}

static void test_time(void)
{
    struct timespec a, b, res;
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(10000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    CHECK(ns >= 10000000, "usleep(10ms) took %ld ns", ns);
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
          "clock_getres");
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    volatile unsigned long x = 0;
    for (int i = 0; i < 20000000; i++)
        x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    CHECK(b.tv_sec > a.tv_sec || b.tv_nsec > a.tv_nsec, "process CPU clock did not advance");
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1600000000, "gettimeofday %ld",
          (long)tv.tv_sec);

    /* setitimer(ITIMER_REAL) delivers SIGALRM. */
    signal(SIGALRM, alarm_handler);
    struct itimerval it = {{0, 5000}, {0, 5000}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (alarms < 3)
        pause();
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(alarms >= 3, "alarms %d", alarms);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IONBF, 0);
    test_threads();
    test_malloc();
    test_fault_signal();
    test_masks_and_waits();
    test_avx();
    test_time();
    printf("%s\n", failures ? "FAILED" : "PASS");
    return failures ? 1 : 0;
}
