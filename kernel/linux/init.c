/*
 * init.c - start the application.
 */
#include "core/boot.h"
#include "core/main.h"
#include "core/panic.h"
#include "core/printk.h"

void start_application(void)
{
    if (bootinfo.nmods == 0) {
        pr_emerg("eggos: no application to run: boot with -initrd <initramfs.cpio | static ELF>\n");
        machine_exit(EXIT_NO_INIT);
    }
    pr_emerg("eggos: running applications is not implemented yet\n");
    machine_exit(EXIT_BAD_INIT);
}
