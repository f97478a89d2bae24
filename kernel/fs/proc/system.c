/*
 * system.c - the system-wide files of /proc and /sys: meminfo, cpuinfo,
 * uptime, loadavg, stat, interrupts, version, filesystems, mounts, the sysctls under
 * /proc/sys, and the one /sys file Go's runtime reads
 * (kernel/mm/transparent_hugepage/hpage_pmd_size).
 *
 * Each is a proc_create() show handler formatting live kernel state: the
 * page allocator's counters, CPUID, the clocks, the hostname.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "core/random.h"
#include "core/time.h"
#include "fs/internal.h"
#include "fs/proc/proc_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "linux/task.h"
#include "mm/kmalloc.h"
#include "mm/page.h"

/* As uname(2) reports them (linux/sys_misc.c). */
#define OS_RELEASE "6.1.0-eggos"
#define OS_VERSION "#1 SMP EggOS"
#define HOSTNAME_MAX 64
#define PID_MAX 4194304
#define SOMAXCONN 4096
#define THP_PMD_SIZE (2ul << 20)
#define USER_HZ 100

extern char hostname[HOSTNAME_MAX + 1]; /* linux/sys_misc.c */

static char boot_id[37];

static int show_meminfo(struct seqbuf *s, void *ctx)
{
    struct page_stats st;
    struct kmalloc_stats heap;
    uint64_t total, free, slab;

    (void)ctx;
    page_stats(&st);
    kmalloc_stats(&heap);
    total = st.total_pages * (PAGE_SIZE / 1024);
    free = st.free_pages * (PAGE_SIZE / 1024);
    /* Slab: the kernel heap, its slab pages and its page-sized allocations. */
    slab = heap.slab_pages * (PAGE_SIZE / 1024) + heap.large_bytes / 1024;
    seq_printf(s, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
               total, free, free);
    seq_printf(s, "Buffers:        %8lu kB\nCached:         %8lu kB\nSwapCached:     %8lu kB\n",
               0ul, 0ul, 0ul);
    seq_printf(s, "Active:         %8lu kB\nInactive:       %8lu kB\n", total - free, 0ul);
    seq_printf(s, "SwapTotal:      %8lu kB\nSwapFree:       %8lu kB\nDirty:          %8lu kB\n",
               0ul, 0ul, 0ul);
    seq_printf(s, "Writeback:      %8lu kB\nAnonPages:      %8lu kB\nMapped:         %8lu kB\n",
               0ul, total - free, 0ul);
    seq_printf(s, "Shmem:          %8lu kB\nSlab:           %8lu kB\n", 0ul, slab);
    seq_printf(s, "SReclaimable:   %8lu kB\nSUnreclaim:     %8lu kB\n", 0ul, slab);
    seq_printf(s, "CommitLimit:    %8lu kB\nCommitted_AS:   %8lu kB\n", total, total - free);
    seq_printf(s, "VmallocTotal:   %8lu kB\nVmallocUsed:    %8lu kB\n", 34359738367ul, 0ul);
    seq_printf(s, "HugePages_Total:   %5u\nHugePages_Free:    %5u\nHugepagesize:   %8lu kB\n", 0, 0,
               THP_PMD_SIZE / 1024);
    return 0;
}

/* CPUID feature bits with their /proc/cpuinfo names. */
struct cpu_flag {
    uint32_t leaf;
    char reg; /* 'b', 'c' or 'd' */
    uint8_t bit;
    const char *name;
};

static const struct cpu_flag cpu_flags[] = {
    {1, 'd', 0, "fpu"},
    {1, 'd', 4, "tsc"},
    {1, 'd', 5, "msr"},
    {1, 'd', 6, "pae"},
    {1, 'd', 8, "cx8"},
    {1, 'd', 9, "apic"},
    {1, 'd', 15, "cmov"},
    {1, 'd', 19, "clflush"},
    {1, 'd', 23, "mmx"},
    {1, 'd', 24, "fxsr"},
    {1, 'd', 25, "sse"},
    {1, 'd', 26, "sse2"},
    {1, 'c', 0, "pni"},
    {1, 'c', 1, "pclmulqdq"},
    {1, 'c', 9, "ssse3"},
    {1, 'c', 12, "fma"},
    {1, 'c', 13, "cx16"},
    {1, 'c', 19, "sse4_1"},
    {1, 'c', 20, "sse4_2"},
    {1, 'c', 22, "movbe"},
    {1, 'c', 23, "popcnt"},
    {1, 'c', 25, "aes"},
    {1, 'c', 26, "xsave"},
    {1, 'c', 28, "avx"},
    {1, 'c', 29, "f16c"},
    {1, 'c', 30, "rdrand"},
    {1, 'c', 31, "hypervisor"},
    {7, 'b', 0, "fsgsbase"},
    {7, 'b', 3, "bmi1"},
    {7, 'b', 5, "avx2"},
    {7, 'b', 8, "bmi2"},
    {7, 'b', 9, "erms"},
    {7, 'b', 16, "avx512f"},
    {7, 'b', 18, "rdseed"},
    {7, 'b', 19, "adx"},
    {7, 'b', 29, "sha_ni"},
    {0x80000001, 'd', 11, "syscall"},
    {0x80000001, 'd', 20, "nx"},
    {0x80000001, 'd', 27, "rdtscp"},
    {0x80000001, 'd', 29, "lm"},
    {0x80000001, 'c', 0, "lahf_lm"},
    {0x80000001, 'c', 5, "abm"},
};

static uint32_t cpuid_reg(struct cpuid_regs r, char reg)
{
    return reg == 'b' ? r.ebx : reg == 'c' ? r.ecx : r.edx;
}

static void cpu_model_name(char name[49])
{
    uint32_t *w = (uint32_t *)name;

    memset(name, 0, 49);
    if (cpuid(0x80000000, 0).eax < 0x80000004) {
        strscpy(name, "Unknown CPU", 49);
        return;
    }
    for (uint32_t i = 0; i < 3; i++) {
        struct cpuid_regs r = cpuid(0x80000002 + i, 0);
        w[i * 4] = r.eax;
        w[i * 4 + 1] = r.ebx;
        w[i * 4 + 2] = r.ecx;
        w[i * 4 + 3] = r.edx;
    }
}

static int show_cpuinfo(struct seqbuf *s, void *ctx)
{
    struct cpuid_regs r0 = cpuid(0, 0), r1 = cpuid(1, 0);
    uint32_t max_leaf = r0.eax, max_ext = cpuid(0x80000000, 0).eax;
    char vendor[13], model[49];
    uint32_t family = (r1.eax >> 8) & 0xf, mdl = (r1.eax >> 4) & 0xf;
    uint64_t mhz = tsc_hz / 1000000, khz_frac = (tsc_hz / 1000) % 1000;

    (void)ctx;
    memcpy(vendor, &r0.ebx, 4);
    memcpy(vendor + 4, &r0.edx, 4);
    memcpy(vendor + 8, &r0.ecx, 4);
    vendor[12] = '\0';
    cpu_model_name(model);
    if (family == 0xf)
        family += (r1.eax >> 20) & 0xff;
    if (family >= 6)
        mdl |= ((r1.eax >> 16) & 0xf) << 4;
    for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
        seq_printf(s, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", cpu,
                   vendor, family, mdl);
        seq_printf(s, "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\n", model,
                   r1.eax & 0xf, mhz, khz_frac);
        seq_printf(s, "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n", ncpus,
                   cpu, ncpus);
        seq_printf(s, "apicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n",
                   cpu, cpu);
        seq_printf(s, "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:", max_leaf);
        for (size_t i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]); i++) {
            const struct cpu_flag *f = &cpu_flags[i];
            if ((f->leaf >= 0x80000000 ? max_ext : max_leaf) < f->leaf)
                continue;
            if (cpuid_reg(cpuid(f->leaf, 0), f->reg) & (1u << f->bit))
                seq_printf(s, " %s", f->name);
        }
        seq_printf(s, "\nbogomips\t: %lu.%02lu\nclflush size\t: 64\ncache_alignment\t: 64\n",
                   mhz * 2, 0ul);
        seq_printf(s, "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
                   max_ext >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xff : 36,
                   max_ext >= 0x80000008 ? (cpuid(0x80000008, 0).eax >> 8) & 0xff : 48);
    }
    return 0;
}

static int show_uptime(struct seqbuf *s, void *ctx)
{
    uint64_t up = ktime_ns() / (NSEC_PER_SEC / 100);

    (void)ctx;
    /* Idle time is not tracked: reported as 0. */
    seq_printf(s, "%lu.%02lu 0.00\n", up / 100, up % 100);
    return 0;
}

static int show_loadavg(struct seqbuf *s, void *ctx)
{
    struct process *p = init_process;
    unsigned int threads = p != NULL ? p->nthreads : 0;

    (void)ctx;
    /* Load is not tracked: reported as 0; running/total counts the application's threads. */
    seq_printf(s, "0.00 0.00 0.00 1/%u %d\n", threads, p != NULL ? p->pid : 0);
    return 0;
}

/* CPU c's time by CPU_TIME_*, up to now (struct cpu_stats, read unlocked). */
static void cpu_times(const struct cpu *c, uint64_t now, uint64_t ns[3])
{
    uint64_t since = READ_ONCE(c->stats.since);
    int running = READ_ONCE(c->stats.running);

    for (int i = 0; i < 3; i++)
        ns[i] = READ_ONCE(c->stats.ns[i]);
    if (now > since && running >= 0 && running < 3)
        ns[running] += now - since;
}

static uint64_t irqs_total(const struct cpu *c)
{
    uint64_t n = 0;

    for (unsigned int v = 0; v < ARRAY_SIZE(c->stats.irqs); v++)
        n += READ_ONCE(c->stats.irqs[v]);
    return n;
}

/*
 * As Linux: jiffies (USER_HZ) per CPU as user, nice, system, idle, iowait,
 * irq, softirq, steal, guest, guest_nice. Application threads count as
 * user (their system calls included: the kernel does not split them) and
 * kernel threads as system.
 */
static int show_stat(struct seqbuf *s, void *ctx)
{
    uint64_t now = ktime_ns(), boot = (ktime_real_ns() - now) / NSEC_PER_SEC;
    uint64_t all[3] = {0}, ns[3], intr = 0, ctxt = 0;
    const uint64_t tick = NSEC_PER_SEC / USER_HZ;

    (void)ctx;
    for (unsigned int i = 0; i < ncpus; i++) {
        const struct cpu *c = cpus[i];
        if (c == NULL)
            continue;
        cpu_times(c, now, ns);
        for (int k = 0; k < 3; k++)
            all[k] += ns[k];
        intr += irqs_total(c);
        ctxt += READ_ONCE(c->stats.switches);
    }
    seq_printf(s, "cpu  %lu 0 %lu %lu 0 0 0 0 0 0\n", all[CPU_TIME_USER] / tick,
               all[CPU_TIME_KTHREAD] / tick, all[CPU_TIME_IDLE] / tick);
    for (unsigned int i = 0; i < ncpus; i++) {
        if (cpus[i] == NULL)
            continue;
        cpu_times(cpus[i], now, ns);
        seq_printf(s, "cpu%u %lu 0 %lu %lu 0 0 0 0 0 0\n", i, ns[CPU_TIME_USER] / tick,
                   ns[CPU_TIME_KTHREAD] / tick, ns[CPU_TIME_IDLE] / tick);
    }
    seq_printf(s,
               "intr %lu\nctxt %lu\nbtime %lu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n"
               "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
               intr, ctxt, boot);
    return 0;
}

/*
 * Like Linux's: a column per CPU, a row per vector that has a handler
 * (named by its driver), then the exceptions taken (page faults mostly).
 */
static int show_interrupts(struct seqbuf *s, void *ctx)
{
    char name[IRQ_NAME_MAX];

    (void)ctx;
    seq_puts(s, "     ");
    for (unsigned int i = 0; i < ncpus; i++)
        seq_printf(s, " %10s%-2u", "CPU", i);
    seq_puts(s, "\n");
    for (unsigned int v = 0; v < 256; v++) {
        bool exception = v < 32;
        uint64_t sum = 0;
        if (!exception && !irq_handler_name(v, name))
            continue;
        for (unsigned int i = 0; i < ncpus; i++)
            if (cpus[i] != NULL)
                sum += READ_ONCE(cpus[i]->stats.irqs[v]);
        if (exception && sum == 0)
            continue;
        seq_printf(s, "%4u:", v);
        for (unsigned int i = 0; i < ncpus; i++)
            seq_printf(s, " %12lu", cpus[i] != NULL ? READ_ONCE(cpus[i]->stats.irqs[v]) : 0ul);
        seq_printf(s, "   %s\n", exception ? "exception" : name);
    }
    return 0;
}

static int show_version(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    seq_printf(s, "Linux version %s (eggos) %s\n", OS_RELEASE, OS_VERSION);
    return 0;
}

static int show_filesystems(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    seq_puts(s, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\tpipefs\n"
                "nodev\tanon_inodefs\n");
    return 0;
}

/* A file whose text is ctx, a constant string. */
static int show_string(struct seqbuf *s, void *ctx)
{
    seq_puts(s, ctx);
    return 0;
}

/* A file showing the number ctx. */
static int show_number(struct seqbuf *s, void *ctx)
{
    seq_printf(s, "%lu\n", (unsigned long)(uintptr_t)ctx);
    return 0;
}

static int show_hostname(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    seq_printf(s, "%s\n", hostname);
    return 0;
}

static ssize_t write_hostname(const char *buf, size_t len, void *ctx)
{
    size_t n = len;

    (void)ctx;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
        n--;
    if (n > HOSTNAME_MAX)
        return -EINVAL;
    memcpy(hostname, buf, n);
    hostname[n] = '\0';
    return (ssize_t)len;
}

/* A version-4 UUID in its text form (37 bytes with the NUL). */
static void make_uuid(char out[37])
{
    uint8_t b[16];

    random_bytes(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int show_boot_id(struct seqbuf *s, void *ctx)
{
    (void)ctx;
    seq_printf(s, "%s\n", boot_id);
    return 0;
}

static int show_uuid(struct seqbuf *s, void *ctx)
{
    char uuid[37];

    (void)ctx;
    make_uuid(uuid);
    seq_printf(s, "%s\n", uuid);
    return 0;
}

void proc_system_init(void)
{
    make_uuid(boot_id);
    proc_create("meminfo", 0444, show_meminfo, NULL);
    proc_create("cpuinfo", 0444, show_cpuinfo, NULL);
    proc_create("uptime", 0444, show_uptime, NULL);
    proc_create("loadavg", 0444, show_loadavg, NULL);
    proc_create("stat", 0444, show_stat, NULL);
    proc_create("interrupts", 0444, show_interrupts, NULL);
    proc_create("version", 0444, show_version, NULL);
    proc_create("filesystems", 0444, show_filesystems, NULL);
    proc_symlink("mounts", "self/mounts");
    proc_create_rw("sys/kernel/hostname", 0644, show_hostname, write_hostname, NULL);
    proc_create("sys/kernel/ostype", 0444, show_string, "Linux\n");
    proc_create("sys/kernel/osrelease", 0444, show_string, OS_RELEASE "\n");
    proc_create("sys/kernel/pid_max", 0444, show_number, (void *)(uintptr_t)PID_MAX);
    proc_create("sys/kernel/random/boot_id", 0444, show_boot_id, NULL);
    proc_create("sys/kernel/random/uuid", 0444, show_uuid, NULL);
    proc_create("sys/net/core/somaxconn", 0444, show_number, (void *)(uintptr_t)SOMAXCONN);
    proc_create("sys/vm/overcommit_memory", 0444, show_number, (void *)0);
    sysfs_create("kernel/mm/transparent_hugepage/hpage_pmd_size", 0444, show_number,
                 (void *)THP_PMD_SIZE);
    sysfs_create("kernel/mm/transparent_hugepage/enabled", 0444, show_string,
                 "always [madvise] never\n");
}
