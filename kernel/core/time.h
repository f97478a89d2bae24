/*
 * time.h - the kernel's clocks.
 *
 * The monotonic clock counts nanoseconds since kernel entry, from the TSC
 * (calibrated at boot against CPUID leaf 0x15, the HPET or the PIT). The
 * realtime clock is the monotonic clock plus an offset set from the CMOS
 * RTC at boot (and by clock_settime later).
 */
#pragma once

#include "lib/types.h"

#define NSEC_PER_SEC 1000000000ul
#define NSEC_PER_MSEC 1000000ul
#define NSEC_PER_USEC 1000ul

/* Nanoseconds since kernel entry; 0 until time_init() has run. */
uint64_t ktime_ns(void);
/* Nanoseconds since the Unix epoch. */
uint64_t ktime_real_ns(void);
/* Set the realtime clock (nanoseconds since the epoch). */
void ktime_set_real(uint64_t ns);

uint64_t tsc_to_ns(uint64_t tsc_delta);
uint64_t ns_to_tsc(uint64_t ns);
extern uint64_t tsc_hz;
extern const char *tsc_source; /* how the TSC was calibrated */

struct vdso_clock;
/*
 * Publish the clocks in the vvar page vc (vdso_data.h) from now on:
 * filled at once, and updated under its sequence count whenever the
 * realtime offset changes. Boot CPU, after time_init.
 */
void time_vdso_attach(struct vdso_clock *vc);

/* Calibrate the TSC and the LAPIC timer, read the RTC (boot CPU). */
void time_init(void);

/*
 * timer_hw_arm programs this CPU's timer interrupt for the monotonic time
 * deadline_ns (past deadlines fire at once). Called with IRQs off.
 */
void timer_hw_arm(uint64_t deadline_ns);
/* Set up this CPU's LAPIC timer with vector (every CPU). */
void timer_hw_init(uint8_t vector);

/* Busy-wait for ns nanoseconds (early boot, drivers' short delays). */
void udelay_ns(uint64_t ns);

/* Read the CMOS RTC; returns seconds since the epoch or 0 if unavailable. */
uint64_t rtc_read_epoch(void);
