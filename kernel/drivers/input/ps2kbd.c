/*
 * ps2kbd.c - the PS/2 keyboard behind an i8042 controller (ISA IRQ 1).
 *
 * Set-up: make sure a controller answers (a port that reads 0xff means
 * none, as on -M microvm; ACPI's IAPC_BOOT_ARCH 8042 flag is not trusted,
 * since QEMU's -M pc leaves it clear while emulating one), disable both ports, drain stale bytes, turn on
 * the first port's interrupt and scancode translation (so we decode set 1
 * only), self-test the controller, enable the port and scanning. Each
 * interrupt reads the waiting bytes; keymap.c turns them into what a
 * terminal sends, which goes to the receiver (the TTY) from the interrupt
 * handler. Bytes from the second (mouse) port are dropped.
 *
 * Every wait on the controller is bounded: broken or missing hardware
 * makes the driver give up with a message, never hang the boot.
 */
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/printk.h"
#include "drivers/input/keymap.h"
#include "drivers/input/ps2kbd.h"
#include "sched/spinlock.h"

#define I8042_DATA 0x60
#define I8042_STATUS 0x64 /* read */
#define I8042_CMD 0x64    /* write */

#define STATUS_OUT_FULL 0x01 /* a byte waits at I8042_DATA */
#define STATUS_IN_FULL 0x02  /* the controller has not taken our last byte */
#define STATUS_AUX 0x20      /* the waiting byte is from the second port */

#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_DISABLE_AUX 0xa7
#define CMD_SELF_TEST 0xaa
#define CMD_DISABLE_KBD 0xad
#define CMD_ENABLE_KBD 0xae

#define CONFIG_KBD_IRQ 0x01
#define CONFIG_AUX_IRQ 0x02
#define CONFIG_KBD_CLOCK_OFF 0x10
#define CONFIG_TRANSLATE 0x40

#define KBD_SET_LEDS 0xed
#define KBD_ENABLE_SCAN 0xf4
#define KBD_ACK 0xfa

static struct {
    spinlock_t lock; /* guards km; taken in the interrupt handler */
    struct keymap km;
    void (*receive)(const char *buf, size_t n);
} kbd = {.lock = SPINLOCK_INIT};

static bool wait_writable(void)
{
    for (int i = 0; i < 100000; i++) {
        if (!(inb(I8042_STATUS) & STATUS_IN_FULL))
            return true;
        cpu_relax();
    }
    return false;
}

static int read_byte(void)
{
    for (int i = 0; i < 100000; i++) {
        if (inb(I8042_STATUS) & STATUS_OUT_FULL)
            return inb(I8042_DATA);
        cpu_relax();
    }
    return -1;
}

static bool command(uint8_t cmd)
{
    if (!wait_writable())
        return false;
    outb(I8042_CMD, cmd);
    return true;
}

static bool write_data(uint8_t b)
{
    if (!wait_writable())
        return false;
    outb(I8042_DATA, b);
    return true;
}

static void drain(void)
{
    for (int i = 0; i < 64 && (inb(I8042_STATUS) & STATUS_OUT_FULL); i++)
        (void)inb(I8042_DATA);
}

/* Caps lock LED (bit 2). The ACK arrives as an interrupt and is ignored. */
static void set_leds(unsigned int mods)
{
    if (write_data(KBD_SET_LEDS))
        write_data((mods & KM_CAPS) ? 0x04 : 0x00);
}

static void kbd_interrupt(struct trapframe *tf, void *arg)
{
    (void)tf;
    (void)arg;
    for (int i = 0; i < 32; i++) {
        uint8_t status = inb(I8042_STATUS);
        if (!(status & STATUS_OUT_FULL))
            break;
        uint8_t code = inb(I8042_DATA);
        if (status & STATUS_AUX)
            continue;

        char out[KEYMAP_OUT_MAX];
        bool leds;
        uint64_t flags = spin_lock_irqsave(&kbd.lock);
        size_t n = keymap_feed(&kbd.km, code, out, &leds);
        unsigned int mods = kbd.km.mods;
        spin_unlock_irqrestore(&kbd.lock, flags);
        if (leds)
            set_leds(mods);
        if (n > 0 && kbd.receive != NULL)
            kbd.receive(out, n);
    }
}

static const char *setup(void)
{
    int config, r;

    if (inb(I8042_STATUS) == 0xff)
        return "no controller";
    if (!command(CMD_DISABLE_KBD) || !command(CMD_DISABLE_AUX))
        return "controller does not take commands";
    drain();
    if (!command(CMD_READ_CONFIG) || (config = read_byte()) < 0)
        return "cannot read the configuration byte";
    config &= ~(CONFIG_KBD_IRQ | CONFIG_AUX_IRQ);
    if (!command(CMD_WRITE_CONFIG) || !write_data((uint8_t)config))
        return "cannot write the configuration byte";
    if (!command(CMD_SELF_TEST) || (r = read_byte()) != 0x55)
        return "controller self-test failed";
    /* The self-test may reset the configuration: write it again, enabled. */
    config = (config | CONFIG_KBD_IRQ | CONFIG_TRANSLATE) & ~CONFIG_KBD_CLOCK_OFF;
    if (!command(CMD_WRITE_CONFIG) || !write_data((uint8_t)config))
        return "cannot write the configuration byte";
    if (!command(CMD_ENABLE_KBD))
        return "cannot enable the keyboard port";
    if (!write_data(KBD_ENABLE_SCAN) || read_byte() != KBD_ACK)
        return "no keyboard";
    drain();
    return NULL;
}

void ps2kbd_init(void (*receive)(const char *buf, size_t n))
{
    const char *err;
    int vec;

    err = setup();
    if (err != NULL) {
        pr_info("ps2kbd: %s, keyboard disabled\n", err);
        return;
    }
    vec = irq_alloc_vector();
    if (vec < 0) {
        pr_warn("ps2kbd: no interrupt vector\n");
        return;
    }
    kbd.receive = receive;
    irq_set_handler((unsigned int)vec, kbd_interrupt, NULL, "i8042 keyboard");
    ioapic_route_isa(1, (uint8_t)vec, lapic_id());
    pr_info("ps2kbd: keyboard on IRQ 1 (vector %d)\n", vec);
}
