/*
 * keymap.h - PC keyboard scancodes (set 1) to the bytes a terminal sends.
 *
 * The i8042 controller translates the keyboard's set 2 into set 1, so
 * this is the only set we decode. A key press becomes what an xterm sends
 * for it: printable characters from the US layout with shift and caps
 * lock, control characters with ctrl (ctrl-C is 0x03), an ESC prefix with
 * alt, and escape sequences for the cursor and editing keys (ESC [ A for
 * up, ESC [ 3 ~ for delete, ESC [ H / ESC [ F for home and end, ESC O P
 * for F1...). The line discipline and full-screen programs read those.
 *
 * Pure logic with its state in struct keymap: tested on the host
 * (tests/host/test_keymap.c).
 */
#pragma once

#include "lib/types.h"

/* Modifier state bits. */
#define KM_LSHIFT 0x01
#define KM_RSHIFT 0x02
#define KM_LCTRL 0x04
#define KM_RCTRL 0x08
#define KM_LALT 0x10
#define KM_RALT 0x20
#define KM_CAPS 0x40

/* The longest sequence one scancode can produce ("\x1b\x1b[15~"). */
#define KEYMAP_OUT_MAX 8

struct keymap {
    unsigned int mods;
    bool e0; /* the previous byte was the 0xE0 prefix */
    int e1;  /* bytes of the 0xE1 (Pause) sequence still to skip */
};

/*
 * Feed one byte from the keyboard. Writes what the key produces (nothing
 * for releases, modifiers and prefixes) into out and returns its length.
 * *leds_changed is set when caps lock toggled (the caller updates the
 * keyboard LEDs).
 */
size_t keymap_feed(struct keymap *km, uint8_t code, char out[KEYMAP_OUT_MAX], bool *leds_changed);
