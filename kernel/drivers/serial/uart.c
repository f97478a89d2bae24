/*
 * uart.c - 16550 UART driver for COM1 (I/O port 0x3f8, ISA IRQ 4).
 *
 * Output is polled (wait for the transmit holding register, then write),
 * which keeps printk usable from any context including panics. Input is
 * interrupt driven once a receiver is set (the TTY layer).
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/printk.h"
#include "drivers/serial/uart.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_SCRATCH 7
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static bool present;
static void (*rx_handler)(uint8_t byte);

static void put_raw(char c)
{
    /* Bounded wait: a wedged UART must not hang the kernel. */
    for (int i = 0; i < 100000 && !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY); i++)
        cpu_relax();
    outb(COM1 + REG_DATA, (uint8_t)c);
}

void uart_write(const char *buf, size_t len)
{
    if (!present)
        return;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            put_raw('\r');
        put_raw(buf[i]);
    }
}

static void console_write(struct console *con, const char *buf, size_t len)
{
    (void)con;
    uart_write(buf, len);
}

static struct console uart_console = {
    .name = "ttyS0",
    .write = console_write,
    .enabled = true,
};

bool uart_present(void)
{
    return present;
}

void uart_console_init(void)
{
    /* Probe with the scratch register: absent ports read back 0xff. */
    outb(COM1 + REG_SCRATCH, 0x5a);
    if (inb(COM1 + REG_SCRATCH) != 0x5a)
        return;
    outb(COM1 + REG_IER, 0x00);
    outb(COM1 + REG_LCR, 0x80); /* DLAB: set the divisor */
    outb(COM1 + REG_DATA, 1);   /* 115200 baud */
    outb(COM1 + REG_IER, 0);
    outb(COM1 + REG_LCR, 0x03); /* 8N1 */
    outb(COM1 + REG_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + REG_MCR, 0x0b); /* DTR, RTS, OUT2 (IRQ line enable) */
    present = true;
    console_register(&uart_console);
}

static void uart_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    while (inb(COM1 + REG_LSR) & LSR_DATA_READY) {
        uint8_t b = inb(COM1 + REG_DATA);
        if (rx_handler != NULL)
            rx_handler(b);
    }
}

void uart_enable_rx(void (*rx)(uint8_t byte))
{
    int vec;

    if (!present)
        return;
    vec = irq_alloc_vector();
    if (vec < 0)
        return;
    rx_handler = rx;
    irq_set_handler(vec, uart_interrupt, NULL, "serial");
    ioapic_route_isa(4, vec, lapic_id());
    outb(COM1 + REG_IER, 0x01); /* received data available */
}
