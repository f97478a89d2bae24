/*
 * vgatext.c - the console on the VGA text screen (80x25 at 0xb8000).
 *
 * A terminal emulator (vt.c) interprets the output into a shadow grid in
 * RAM; after each write the changed cells are copied to video memory
 * (which QEMU emulates slowly) and the hardware cursor follows. Blinking
 * is switched off so all 16 background colours show. Used only when the
 * boot path leaves the screen in text mode (BIOS boots; not with a
 * multiboot2 framebuffer, and not when ACPI says there is no VGA).
 *
 * Status reports (DSR) are not answered from here: the serial line
 * carries the same output, and a terminal there answers for itself.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "core/boot.h"
#include "core/printk.h"
#include "drivers/video/vgatext.h"
#include "drivers/video/vt.h"
#include "lib/string.h"
#include "mm/layout.h"

#define COLS 80
#define ROWS 25

static volatile uint16_t *screen;
static uint16_t shadow[ROWS * COLS], alt_screen[ROWS * COLS];
static struct vt vt; /* guarded by the console lock */
static bool cursor_shown = true;

static void crtc_write(uint8_t reg, uint8_t val)
{
    outb(0x3d4, reg);
    outb(0x3d5, val);
}

static void update_cursor(void)
{
    uint16_t pos = (uint16_t)(MIN(vt.y, ROWS - 1) * COLS + MIN(vt.x, COLS - 1));

    if (vt.cursor_visible != cursor_shown) {
        /* Cursor start register: bit 5 hides the cursor; scan lines 14-15. */
        crtc_write(0x0a, vt.cursor_visible ? 0x0e : 0x20);
        crtc_write(0x0b, 0x0f);
        cursor_shown = vt.cursor_visible;
    }
    crtc_write(0x0f, pos & 0xff);
    crtc_write(0x0e, pos >> 8);
}

static void flush(void)
{
    unsigned int lo, hi;

    if (vt_take_dirty(&vt, &lo, &hi)) {
        for (unsigned int i = lo; i < hi; i++)
            screen[i] = shadow[i];
    }
    update_cursor();
}

static void vga_write(struct console *con, const char *buf, size_t len)
{
    (void)con;
    vt_write(&vt, buf, len);
    flush();
}

static struct console vga_console = {
    .name = "tty0",
    .write = vga_write,
    .enabled = true,
};

/* Attribute bit 7 selects a bright background instead of blinking. */
static void disable_blink(void)
{
    uint8_t mode;

    (void)inb(0x3da);  /* reset the attribute controller's flip-flop */
    outb(0x3c0, 0x30); /* mode control register, palette access kept on */
    mode = inb(0x3c1);
    outb(0x3c0, mode & ~0x08);
}

void vgatext_console_init(void)
{
    if (bootinfo.fb.addr != 0 && bootinfo.fb.type != 2)
        return; /* a graphics framebuffer, not text mode */
    if (acpi_present && acpi.has_fadt && (acpi.boot_arch & BOOT_ARCH_NO_VGA))
        return;
    screen = phys_to_virt(0xb8000);
    disable_blink();
    vt_init(&vt, ROWS, COLS, shadow, alt_screen, NULL, NULL);
    flush();
    console_register(&vga_console);
}
