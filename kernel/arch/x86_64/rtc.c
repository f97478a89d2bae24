/*
 * rtc.c - read the wall-clock time from the CMOS real-time clock.
 *
 * Read twice until two reads agree (the RTC may update between bytes),
 * decode BCD and 12-hour formats, take the century from the FADT's CMOS
 * index when there is one. A machine without an RTC (ACPI says so, or the
 * values make no sense) yields 0.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "core/printk.h"
#include "core/time.h"
#include "lib/string.h"

struct rtc_time {
    unsigned int sec, min, hour, day, mon, year, century;
};

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, 0x80 | reg); /* bit 7 keeps NMIs disabled during the access */
    return inb(0x71);
}

static void rtc_read_raw(struct rtc_time *t)
{
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++) /* update in progress */
        cpu_relax();
    t->sec = cmos_read(0x00);
    t->min = cmos_read(0x02);
    t->hour = cmos_read(0x04);
    t->day = cmos_read(0x07);
    t->mon = cmos_read(0x08);
    t->year = cmos_read(0x09);
    t->century = acpi.century != 0 ? cmos_read(acpi.century) : 0;
}

static unsigned int bcd(unsigned int v)
{
    return (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
    y -= m <= 2;
    uint64_t era = y / 400;
    uint64_t yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
    struct rtc_time a, b;
    uint8_t status_b;
    bool pm;

    if (acpi_present && acpi.has_fadt && (acpi.boot_arch & BOOT_ARCH_NO_CMOS_RTC))
        return 0;
    rtc_read_raw(&b);
    for (int tries = 0; tries < 5; tries++) {
        a = b;
        rtc_read_raw(&b);
        if (memcmp(&a, &b, sizeof(a)) == 0)
            break;
    }
    status_b = cmos_read(0x0b);
    pm = b.hour & 0x80;
    b.hour &= 0x7f;
    if (!(status_b & 0x04)) { /* BCD */
        b.sec = bcd(b.sec);
        b.min = bcd(b.min);
        b.hour = bcd(b.hour);
        b.day = bcd(b.day);
        b.mon = bcd(b.mon);
        b.year = bcd(b.year);
        b.century = bcd(b.century);
    }
    if (!(status_b & 0x02)) { /* 12-hour clock */
        b.hour %= 12;
        if (pm)
            b.hour += 12;
    }
    b.year += (b.century >= 19 && b.century <= 99) ? b.century * 100 : 2000;
    if (b.sec > 59 || b.min > 59 || b.hour > 23 || b.day < 1 || b.day > 31 || b.mon < 1 ||
        b.mon > 12)
        return 0;
    return days_from_civil(b.year, b.mon, b.day) * 86400 + b.hour * 3600 + b.min * 60 + b.sec;
}
