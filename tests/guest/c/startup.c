/*
 * startup.c - what a program finds when it starts, checked against its own
 * ELF headers and the CPU: argc/argv/envp, every auxv entry the kernel
 * promises, PT_TLS, W^X on the loaded segments and the stack, and, built as
 * a static PIE, that the image was relocated. Prints PASS when all hold.
 *
 * Built twice by tests/programs_test.go (TestStartup): static ET_EXEC with
 * musl-gcc -static, and static-pie (ET_DYN, no interpreter) with musl's
 * rcrt1.o.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <elf.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

extern char _start[];
extern const Elf64_Ehdr __ehdr_start;
extern char **environ;

static int global = 42;
static int *global_ptr = &global; /* a relocation in a PIE */
static const char rodata[4096] __attribute__((aligned(4096))) = "read-only";
static unsigned char databuf[4096] __attribute__((aligned(4096)));

static __thread int tls_init = 1234;
static __thread char tls_zero[64];

static void check_auxv(const char *argv0)
{
    const Elf64_Ehdr *eh = &__ehdr_start; /* the linker's symbol for our own ELF header */
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    uintptr_t bias = UINTPTR_MAX;
    bool have_tls = false, stack_nx = false;

    CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ %lu", getauxval(AT_PAGESZ));
    CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr), "AT_PHENT %lu", getauxval(AT_PHENT));
    CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0, "no ELF header at %p", (void *)eh);
    CHECK((uintptr_t)ph == (uintptr_t)eh + eh->e_phoff, "AT_PHDR %p, headers at %p", (void *)ph,
          (void *)((uintptr_t)eh + eh->e_phoff));
    CHECK(phnum == eh->e_phnum, "AT_PHNUM %lu, e_phnum %u", phnum, eh->e_phnum);
    if ((uintptr_t)ph != (uintptr_t)eh + eh->e_phoff || phnum != eh->e_phnum)
        return;
    for (unsigned long i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
            bias = (uintptr_t)eh - ph[i].p_vaddr;
        if (ph[i].p_type == PT_TLS)
            have_tls = true;
        if (ph[i].p_type == PT_GNU_STACK)
            stack_nx = (ph[i].p_flags & PF_X) == 0;
    }
    CHECK(bias != UINTPTR_MAX, "no PT_LOAD holds the ELF header");
    CHECK(have_tls, "no PT_TLS (the test needs one)");
    CHECK(stack_nx, "PT_GNU_STACK asks for an executable stack");
    CHECK(bias % 4096 == 0, "load bias %#lx not page aligned", (unsigned long)bias);
    CHECK(getauxval(AT_ENTRY) == eh->e_entry + bias, "AT_ENTRY %#lx, e_entry %#lx + %#lx",
          getauxval(AT_ENTRY), (unsigned long)eh->e_entry, (unsigned long)bias);
    CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY %#lx, _start %p", getauxval(AT_ENTRY),
          (void *)_start);
    if (eh->e_type == ET_DYN) {
        CHECK(bias != 0, "a PIE loaded at its link address 0");
        CHECK(global_ptr == &global && *global_ptr == 42, "relocation: %p != %p", (void *)global_ptr,
              (void *)&global);
    } else {
        CHECK(eh->e_type == ET_EXEC && bias == 0, "type %u bias %#lx", eh->e_type,
              (unsigned long)bias);
    }
    printf("startup: %s, bias %#lx, %lu program headers\n", eh->e_type == ET_DYN ? "ET_DYN" : "ET_EXEC",
           (unsigned long)bias, phnum);

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    CHECK(rnd != NULL, "no AT_RANDOM");
    for (int i = 0; rnd != NULL && i < 16; i++)
        nonzero += rnd[i] != 0;
    CHECK(nonzero > 8, "AT_RANDOM has %d non-zero bytes of 16", nonzero);

    CHECK(getauxval(AT_UID) == 0 && getauxval(AT_EUID) == 0 && getauxval(AT_GID) == 0 &&
              getauxval(AT_EGID) == 0,
          "AT_UID/EUID/GID/EGID");
    CHECK(getauxval(AT_UID) == getuid() && getauxval(AT_GID) == getgid(), "auxv ids and getuid");
    CHECK(getauxval(AT_SECURE) == 0, "AT_SECURE %lu", getauxval(AT_SECURE));
    CHECK(getauxval(AT_CLKTCK) == 100 && sysconf(_SC_CLK_TCK) == 100, "AT_CLKTCK %lu",
          getauxval(AT_CLKTCK));

    unsigned int a, b, c, d;
    __cpuid(1, a, b, c, d);
    CHECK(getauxval(AT_HWCAP) == d, "AT_HWCAP %#lx, CPUID.1:EDX %#x", getauxval(AT_HWCAP), d);

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK(execfn != NULL && strcmp(execfn, argv0) == 0, "AT_EXECFN %s, argv[0] %s",
          execfn ? execfn : "(none)", argv0);

    const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
    CHECK(vdso != NULL && memcmp(vdso, ELFMAG, SELFMAG) == 0, "AT_SYSINFO_EHDR %p", (void *)vdso);
    CHECK(getauxval(AT_MINSIGSTKSZ) >= 2048, "AT_MINSIGSTKSZ %lu", getauxval(AT_MINSIGSTKSZ));
}

static void *tls_thread(void *arg)
{
    (void)arg;
    CHECK(tls_init == 1234, "thread: tls_init %d", tls_init);
    for (int i = 0; i < 64; i++)
        CHECK(tls_zero[i] == 0, "thread: tls_zero[%d]", i);
    tls_init = 99;
    return &tls_init;
}

static void check_tls(void)
{
    pthread_t t;
    void *theirs = NULL;

    CHECK(tls_init == 1234, "tls_init %d", tls_init);
    for (int i = 0; i < 64; i++)
        CHECK(tls_zero[i] == 0, "tls_zero[%d]", i);
    tls_init = 5;
    pthread_create(&t, NULL, tls_thread, NULL);
    pthread_join(t, &theirs);
    CHECK(theirs != &tls_init && tls_init == 5, "threads share TLS (%p, %p, %d)", theirs,
          (void *)&tls_init, tls_init);
}

static sigjmp_buf jump;
static volatile int fault_code;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(jump, 1);
}

/* Does touching p (writing, or calling it) fault with SEGV_ACCERR at p? */
static bool accerr(void *p, bool call)
{
    fault_code = 0;
    fault_addr = NULL;
    if (sigsetjmp(jump, 1) == 0) {
        if (call)
            ((void (*)(void))p)();
        else
            *(volatile char *)p = 1;
        return false;
    }
    return fault_code == SEGV_ACCERR && fault_addr == p;
}

static void check_protection(void)
{
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    unsigned char stackbuf[64];

    sigaction(SIGSEGV, &sa, NULL);
    CHECK(accerr((void *)_start, false), "text is writable (code %d)", fault_code);
    CHECK(accerr((void *)rodata, false), "rodata is writable (code %d)", fault_code);
    databuf[0] = 0xc3; /* ret */
    CHECK(accerr(databuf, true), "data is executable (code %d)", fault_code);
    stackbuf[0] = 0xc3;
    CHECK(accerr(stackbuf, true), "the stack is executable (code %d)", fault_code);
    signal(SIGSEGV, SIG_DFL);
}

int main(int argc, char **argv)
{
    char **envp = argv + argc + 1;

    CHECK(argc >= 1 && argv[argc] == NULL, "argc %d", argc);
    CHECK(envp == environ, "envp %p, environ %p", (void *)envp, (void *)environ);
    CHECK(argc == 3 && strcmp(argv[1], "one") == 0 && strcmp(argv[2], "two words") == 0,
          "arguments");
    CHECK(getenv("STARTUP_VAR") != NULL && strcmp(getenv("STARTUP_VAR"), "x=y") == 0,
          "environment");
    check_auxv(argv[0]);
    check_tls();
    check_protection();
    if (failures != 0) {
        printf("startup: %d failures\n", failures);
        return 1;
    }
    printf("PASS\n");
    return 0;
}
