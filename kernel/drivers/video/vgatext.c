/*
 * vgatext.c - mirror the console on the VGA text screen.
 *
 * Handles newline, carriage return, backspace and tab, and scrolls. The
 * hardware cursor follows the text. Used only when the boot path leaves
 * the screen in text mode (BIOS boots; not with a multiboot2 framebuffer,
 * and not when ACPI says there is no VGA).
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "core/boot.h"
#include "core/printk.h"
#include "drivers/video/vgatext.h"
#include "lib/string.h"
#include "mm/layout.h"

#define COLS 80
#define ROWS 25
#define ATTR 0x0700 /* light grey on black */

static volatile uint16_t *screen;
static unsigned int row, col;

static void move_cursor(void)
{
    uint16_t pos = row * COLS + col;

    outb(0x3d4, 0x0f);
    outb(0x3d5, pos & 0xff);
    outb(0x3d4, 0x0e);
    outb(0x3d5, pos >> 8);
}

static void scroll(void)
{
    for (unsigned int i = 0; i < (ROWS - 1) * COLS; i++)
        screen[i] = screen[i + COLS];
    for (unsigned int i = (ROWS - 1) * COLS; i < ROWS * COLS; i++)
        screen[i] = ATTR | ' ';
    row = ROWS - 1;
}

static void put(char c)
{
    switch (c) {
    case '\n':
        col = 0;
        row++;
        break;
    case '\r':
        col = 0;
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    case '\t':
        col = (col + 8) & ~7u;
        break;
    default:
        screen[row * COLS + col] = ATTR | (uint8_t)c;
        col++;
        break;
    }
    if (col >= COLS) {
        col = 0;
        row++;
    }
    if (row >= ROWS)
        scroll();
}

static void vga_write(struct console *con, const char *buf, size_t len)
{
    (void)con;
    for (size_t i = 0; i < len; i++)
        put(buf[i]);
    move_cursor();
}

static struct console vga_console = {
    .name = "tty0",
    .write = vga_write,
    .enabled = true,
};

void vgatext_console_init(void)
{
    if (bootinfo.fb.addr != 0 && bootinfo.fb.type != 2)
        return; /* a graphics framebuffer, not text mode */
    if (acpi_present && acpi.has_fadt && (acpi.boot_arch & BOOT_ARCH_NO_VGA))
        return;
    screen = phys_to_virt(0xb8000);
    row = 0;
    col = 0;
    for (unsigned int i = 0; i < ROWS * COLS; i++)
        screen[i] = ATTR | ' ';
    console_register(&vga_console);
}
