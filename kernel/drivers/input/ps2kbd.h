/*
 * ps2kbd.h - the PS/2 keyboard (i8042 controller, US layout).
 */
#pragma once

#include "lib/types.h"

/*
 * Find and set up the keyboard; from then on every key press is turned
 * into terminal input and handed to receive (from the interrupt handler).
 * Does nothing, with an info message, on a machine without one.
 */
void ps2kbd_init(void (*receive)(const char *buf, size_t n));
