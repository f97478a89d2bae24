/*
 * time.c - TSC calibration, the monotonic clock and the timer interrupt.
 *
 * Calibration, in order of trust:
 *   1. CPUID 0x15 with the crystal frequency filled in (exact, no waiting);
 *   2. the HPET main counter, over a 5 ms window;
 *   3. the PIT (channel 0 count-down, polled), over a 5 ms window;
 *   4. CPUID 0x16's nominal frequency, as a last resort.
 * The LAPIC timer uses TSC-deadline mode when available; otherwise its
 * count rate is measured in the same window and it runs in one-shot mode.
 * Conversions use a 32.32 fixed-point multiplier with 128-bit products.
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

uint64_t tsc_hz;
const char *tsc_source = "none";
static uint64_t tsc_base;       /* TSC at kernel entry: monotonic time 0 */
static uint64_t ns_mult;        /* ns = tsc * ns_mult >> 32 */
static uint64_t tsc_mult;       /* tsc = ns * tsc_mult >> 32 */
static uint64_t lapic_hz;       /* one-shot mode: LAPIC timer counts per second */
static int64_t realtime_offset; /* realtime = monotonic + offset */

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

void ktime_set_real(uint64_t ns)
{
    WRITE_ONCE(realtime_offset, (int64_t)(ns - ktime_ns()));
}

void udelay_ns(uint64_t ns)
{
    uint64_t end = rdtsc() + ns_to_tsc(ns);

    while ((int64_t)(rdtsc() - end) < 0)
        cpu_relax();
}

/* HPET: count for `femtos` femtoseconds; returns elapsed TSC and LAPIC counts. */
static bool calibrate_hpet(uint64_t window_ns, uint64_t *tsc_delta, uint32_t *lapic_delta)
{
    volatile uint64_t *hpet;
    uint64_t period_fs, ticks, start, t0, t1;
    uint32_t l0, l1;

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
    start = hpet[30];
    /* Align to a tick edge so the window starts on a fresh count. */
    while (hpet[30] == start)
        cpu_relax();
    start = hpet[30];
    t0 = rdtsc_ordered();
    l0 = lapic_timer_current();
    while (hpet[30] - start < ticks)
        cpu_relax();
    t1 = rdtsc_ordered();
    l1 = lapic_timer_current();
    ticks = hpet[30] - start;
    /* Scale to exactly window_ns using the ticks actually elapsed. */
    *tsc_delta = mul_div_u64(t1 - t0, window_ns * 1000000, ticks * period_fs);
    *lapic_delta = l0 - l1;
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

static bool calibrate_pit(uint64_t window_ns, uint64_t *tsc_delta, uint32_t *lapic_delta)
{
    uint64_t want = window_ns * PIT_HZ / NSEC_PER_SEC;
    uint64_t t0, t1, elapsed = 0;
    uint16_t last, now;
    uint32_t l0, l1;

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
    last = now;
    t0 = rdtsc_ordered();
    l0 = lapic_timer_current();
    while (elapsed < want) {
        now = pit_read_count();
        elapsed += (uint16_t)(last - now);
        last = now;
    }
    t1 = rdtsc_ordered();
    l1 = lapic_timer_current();
    *tsc_delta = mul_div_u64(t1 - t0, want, elapsed);
    *lapic_delta = l0 - l1;
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
    uint64_t tsc_delta = 0;
    uint32_t lapic_delta = 0;
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
        if (calibrate_hpet(window, &tsc_delta, &lapic_delta)) {
            measured = true;
            if (tsc_hz == 0)
                tsc_source = "HPET";
        } else if (calibrate_pit(window, &tsc_delta, &lapic_delta)) {
            measured = true;
            if (tsc_hz == 0)
                tsc_source = "PIT";
        }
        if (tsc_hz == 0 && measured)
            set_tsc_hz(tsc_delta * (NSEC_PER_SEC / window));
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
        lapic_hz = measured ? (uint64_t)lapic_delta * (NSEC_PER_SEC / window) : 0;
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
