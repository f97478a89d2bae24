/*
 * time.c - TSC calibration, the monotonic clock and the timer interrupt.
 *
 * Calibration, in order of trust:
 *   1. CPUID 0x15 with the crystal frequency filled in (exact, no waiting);
 *   2. the HPET main counter, over a 5 ms window;
 *   3. the PIT (channel 0 count-down, polled), over a 5 ms window;
 *   4. CPUID 0x16's nominal frequency, as a last resort.
 * The LAPIC timer uses TSC-deadline mode when available; otherwise its
 * count rate is measured against the TSC in the same window and it runs in
 * one-shot mode. Each reading pairs two counters at one instant (see
 * calibrate_hpet); a pair skewed by an emulator's host made timers fire up
 * to twice late before.
 * Conversions use a 32.32 fixed-point multiplier with 128-bit products.
 *
 * The vDSO (kernel/vdso) computes the same clocks in user space from the
 * vvar page this file publishes (time_vdso_attach): the TSC base, the
 * multiplier and the realtime offset, the last one rewritten under the
 * page's sequence count by ktime_set_real.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/boot.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/time.h"
#include "mm/vmap.h"
#include "sched/spinlock.h"
#include "vdso/vdso_data.h"

uint64_t tsc_hz;
const char *tsc_source = "none";
static uint64_t tsc_base;       /* TSC at kernel entry: monotonic time 0 */
static uint64_t ns_mult;        /* ns = tsc * ns_mult >> 32 */
static uint64_t tsc_mult;       /* tsc = ns * tsc_mult >> 32 */
static uint64_t lapic_hz;       /* one-shot mode: LAPIC timer counts per second */
static int64_t realtime_offset; /* realtime = monotonic + offset; written under vclock_lock */

/* The coarse clocks' resolution clock_getres reports, as Linux with HZ=250. */
#define COARSE_RES_NS 4000000

/*
 * The vvar page's clock (NULL before time_vdso_attach). vclock_lock
 * serialises writers of realtime_offset and vclock (clock_settime on two
 * CPUs); readers of vclock are the vDSO's lock-free sequence loop.
 */
static struct vdso_clock *vclock;
static spinlock_t vclock_lock = SPINLOCK_INIT;

uint64_t tsc_to_ns(uint64_t d)
{
    return (uint64_t)(((unsigned __int128)d * ns_mult) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
}

uint64_t ktime_ns(void)
{
    if (ns_mult == 0)
        return 0;
    return tsc_to_ns(rdtsc() - tsc_base);
}

uint64_t ktime_real_ns(void)
{
    return ktime_ns() + READ_ONCE(realtime_offset);
}

/* Make vclock odd (readers retry), let fill() store, make it even again. */
static void vclock_write_begin(struct vdso_clock *vc)
{
    WRITE_ONCE(vc->seq, vc->seq + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void vclock_write_end(struct vdso_clock *vc)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
    WRITE_ONCE(vc->seq, vc->seq + 1);
}

void ktime_set_real(uint64_t ns)
{
    uint64_t irq = spin_lock_irqsave(&vclock_lock);
    int64_t offset = (int64_t)(ns - ktime_ns());

    WRITE_ONCE(realtime_offset, offset);
    if (vclock != NULL) {
        vclock_write_begin(vclock);
        WRITE_ONCE(vclock->realtime_ofs, offset);
        vclock_write_end(vclock);
    }
    spin_unlock_irqrestore(&vclock_lock, irq);
}

void time_vdso_attach(struct vdso_clock *vc)
{
    uint64_t irq = spin_lock_irqsave(&vclock_lock);

    vclock_write_begin(vc);
    vc->tsc_base = tsc_base;
    vc->ns_mult = ns_mult;
    vc->realtime_ofs = realtime_offset;
    vc->coarse_res = COARSE_RES_NS;
    /* Without a multiplier ktime_ns() reads 0: let the kernel answer. */
    vc->use_syscall = ns_mult == 0;
    vclock_write_end(vc);
    vclock = vc;
    spin_unlock_irqrestore(&vclock_lock, irq);
}

void udelay_ns(uint64_t ns)
{
    uint64_t end = rdtsc() + ns_to_tsc(ns);

    while ((int64_t)(rdtsc() - end) < 0)
        cpu_relax();
}

/*
 * Calibration reads pairs of counters (a reference and the TSC, or the
 * LAPIC timer and the TSC) that must describe one instant. Under emulation
 * each device read is an exit to the emulator, and a host that deschedules
 * it between two reads would skew the pair by milliseconds: so every pair
 * is read between two TSC reads, several times, and the tightest wins.
 */
#define PAIR_TRIES 5

struct calib {
    uint64_t tsc_delta;   /* TSC counts in exactly window_ns */
    uint32_t lapic_delta; /* LAPIC timer counts in lapic_tsc TSC counts */
    uint64_t lapic_tsc;
};

/* The LAPIC timer's current count and the TSC at the same moment. */
static void lapic_pair(uint32_t *count, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < PAIR_TRIES; i++) {
        uint64_t a = rdtsc_ordered();
        uint32_t c = lapic_timer_current();
        uint64_t b = rdtsc_ordered();
        if (b - a < best) {
            best = b - a;
            *count = c;
            *tsc = a + (b - a) / 2;
        }
    }
}

static uint64_t hpet_read(volatile uint64_t *hpet)
{
    return hpet[30];
}

/* The HPET main counter and the TSC at the same moment. */
static void hpet_pair(volatile uint64_t *hpet, uint64_t *count, uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < PAIR_TRIES; i++) {
        uint64_t a = rdtsc_ordered();
        uint64_t c = hpet_read(hpet);
        uint64_t b = rdtsc_ordered();
        if (b - a < best) {
            best = b - a;
            *count = c;
            *tsc = a + (b - a) / 2;
        }
    }
}

/* HPET: measure the TSC (and the LAPIC timer) over about window_ns. */
static bool calibrate_hpet(uint64_t window_ns, struct calib *out)
{
    volatile uint64_t *hpet;
    uint64_t period_fs, ticks, h0 = 0, h1 = 0, t0 = 0, t1 = 0, lt0 = 0, lt1 = 0;
    uint32_t l0 = 0, l1 = 0;

    if (!acpi.has_hpet)
        return false;
    hpet = ioremap(acpi.hpet_addr, 1024);
    if (hpet == NULL)
        return false;
    period_fs = hpet[0] >> 32;
    if (period_fs == 0 || period_fs > 100000000) /* spec: at most 100 ns */
        return false;
    hpet[2] |= 1; /* ENABLE_CNF */
    ticks = window_ns * 1000000 / period_fs;
    lapic_pair(&l0, &lt0);
    hpet_pair(hpet, &h0, &t0);
    while (hpet_read(hpet) - h0 < ticks)
        cpu_relax();
    hpet_pair(hpet, &h1, &t1);
    lapic_pair(&l1, &lt1);
    /* Scale to exactly window_ns using the ticks actually elapsed. */
    out->tsc_delta = mul_div_u64(t1 - t0, window_ns * 1000000, (h1 - h0) * period_fs);
    out->lapic_delta = l0 - l1;
    out->lapic_tsc = lt1 - lt0;
    return true;
}

#define PIT_HZ 1193182

static uint16_t pit_read_count(void)
{
    uint8_t lo, hi;

    outb(0x43, 0x00); /* latch channel 0 */
    lo = inb(0x40);
    hi = inb(0x40);
    return ((uint16_t)hi << 8) | lo;
}

static bool calibrate_pit(uint64_t window_ns, struct calib *out)
{
    uint64_t want = window_ns * PIT_HZ / NSEC_PER_SEC;
    uint64_t t0, t1 = 0, lt0 = 0, lt1 = 0, elapsed = 0;
    uint16_t last, now;
    uint32_t l0 = 0, l1 = 0;

    /* Channel 0, lobyte/hibyte, mode 2 (rate generator), count 65536. */
    outb(0x43, 0x34);
    outb(0x40, 0);
    outb(0x40, 0);
    last = pit_read_count();
    /* A missing PIT reads as 0xffff forever. */
    for (int i = 0; i < 1000 && pit_read_count() == last; i++)
        cpu_relax();
    now = pit_read_count();
    if (now == last)
        return false;
    lapic_pair(&l0, &lt0);
    /* The PIT read is three port accesses: pair it with the TSC read
     * right after it, as tightly as it gets. */
    last = pit_read_count();
    t0 = rdtsc_ordered();
    while (elapsed < want) {
        now = pit_read_count();
        t1 = rdtsc_ordered();
        elapsed += (uint16_t)(last - now);
        last = now;
    }
    lapic_pair(&l1, &lt1);
    out->tsc_delta = mul_div_u64(t1 - t0, want, elapsed);
    out->lapic_delta = l0 - l1;
    out->lapic_tsc = lt1 - lt0;
    return true;
}

static void set_tsc_hz(uint64_t hz)
{
    tsc_hz = hz;
    ns_mult = mul_div_u64(NSEC_PER_SEC, 1ul << 32, hz);
    tsc_mult = mul_div_u64(hz, 1ul << 32, NSEC_PER_SEC);
}

void time_init(void)
{
    const uint64_t window = 5 * NSEC_PER_MSEC;
    struct cpuid_regs r = cpuid(0, 0);
    struct calib cal = {0};
    bool measured = false;
    uint64_t epoch;

    tsc_base = bootinfo.entry_tsc != 0 ? bootinfo.entry_tsc : rdtsc();

    /* The LAPIC timer counts down during the window for one-shot mode. */
    if (!lapic_timer_has_deadline_mode()) {
        lapic_timer_init(VEC_TIMER);
        lapic_timer_arm_count(UINT32_MAX);
    }

    if (r.eax >= 0x15) {
        struct cpuid_regs c = cpuid(0x15, 0);
        if (c.eax != 0 && c.ebx != 0 && c.ecx != 0) {
            set_tsc_hz((uint64_t)c.ecx * c.ebx / c.eax);
            tsc_source = "CPUID 0x15";
        }
    }
    if (tsc_hz == 0 || !lapic_timer_has_deadline_mode()) {
        if (calibrate_hpet(window, &cal)) {
            measured = true;
            if (tsc_hz == 0)
                tsc_source = "HPET";
        } else if (calibrate_pit(window, &cal)) {
            measured = true;
            if (tsc_hz == 0)
                tsc_source = "PIT";
        }
        if (tsc_hz == 0 && measured)
            set_tsc_hz(cal.tsc_delta * (NSEC_PER_SEC / window));
    }
    if (tsc_hz == 0 && r.eax >= 0x16 && (cpuid(0x16, 0).eax & 0xffff) != 0) {
        set_tsc_hz((uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000000);
        tsc_source = "CPUID 0x16";
    }
    if (tsc_hz == 0) {
        pr_warn("time: no way to calibrate the TSC; assuming 1 GHz\n");
        set_tsc_hz(1000000000);
        tsc_source = "guess";
    }
    if (!lapic_timer_has_deadline_mode()) {
        /* Against the TSC, not the window: the pairs are exact, the
         * window's end is only approximately window_ns. */
        lapic_hz = measured && cal.lapic_tsc != 0
                       ? mul_div_u64(cal.lapic_delta, tsc_hz, cal.lapic_tsc)
                       : 0;
        if (lapic_hz == 0) {
            pr_warn("time: LAPIC timer rate unknown; assuming 100 MHz / 16\n");
            lapic_hz = 6250000;
        }
    }
    pr_info("time: TSC %lu.%03lu MHz (%s)%s\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000, tsc_source,
            (cpuid(0x80000007, 0).edx >> 8) & 1 ? ", invariant" : "");

    epoch = rtc_read_epoch();
    if (epoch != 0)
        ktime_set_real(epoch * NSEC_PER_SEC);
    else
        pr_warn("time: no usable CMOS RTC; the wall clock starts at 1970\n");
}

void timer_hw_init(uint8_t vector)
{
    lapic_timer_init(vector);
}

void timer_hw_arm(uint64_t deadline_ns)
{
    if (lapic_timer_has_deadline_mode()) {
        lapic_timer_arm_tsc(tsc_base + ns_to_tsc(deadline_ns));
        return;
    }
    uint64_t now = ktime_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t count = mul_div_u64(delta, lapic_hz, NSEC_PER_SEC);
    /* A deadline beyond the counter's range fires early; the caller re-arms. */
    lapic_timer_arm_count(count > UINT32_MAX ? UINT32_MAX : (uint32_t)count);
}
