/* PS/2 set-1 scancodes to terminal bytes (kernel/drivers/input/keymap.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "drivers/input/keymap.h"

static struct keymap km;

static void setup(void)
{
    memset(&km, 0, sizeof(km));
}

TestSuite(keymap, .init = setup);

/* Feed the bytes and return everything they produced as a string. */
static const char *feed(const uint8_t *codes, size_t n)
{
    static char all[256];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char out[KEYMAP_OUT_MAX];
        bool leds = false;
        size_t k = keymap_feed(&km, codes[i], out, &leds);
        cr_assert_leq(k, KEYMAP_OUT_MAX);
        memcpy(all + len, out, k);
        len += k;
    }
    all[len] = '\0';
    return all;
}

#define FEED(...)                                                                                  \
    ({                                                                                             \
        const uint8_t c_[] = {__VA_ARGS__};                                                        \
        feed(c_, sizeof(c_));                                                                      \
    })

#define REL(c) ((uint8_t)((c) | 0x80))

enum {
    K_A = 0x1e,
    K_C = 0x2e,
    K_X = 0x2d,
    K_1 = 0x02,
    K_LSHIFT = 0x2a,
    K_RSHIFT = 0x36,
    K_CTRL = 0x1d,
    K_ALT = 0x38,
    K_CAPS = 0x3a,
    K_ENTER = 0x1c,
    K_BS = 0x0e,
    K_F1 = 0x3b,
    K_F12 = 0x58
};

Test(keymap, letters_digits_and_releases)
{
    cr_expect_str_eq(FEED(K_A, REL(K_A)), "a");
    cr_expect_str_eq(FEED(K_1, REL(K_1)), "1");
    cr_expect_str_eq(FEED(K_ENTER), "\r");
    cr_expect_str_eq(FEED(K_BS), "\x7f");
}

Test(keymap, shift_is_held_until_released)
{
    cr_expect_str_eq(FEED(K_LSHIFT, K_A, K_1, REL(K_LSHIFT), K_A), "A!a");
    cr_expect_str_eq(FEED(K_RSHIFT, K_A, REL(K_RSHIFT), K_A), "Aa");
}

Test(keymap, caps_lock_toggles_letters_only)
{
    char out[KEYMAP_OUT_MAX];
    bool leds = false;
    keymap_feed(&km, K_CAPS, out, &leds);
    cr_expect(leds, "caps lock changes the LEDs");
    cr_expect_str_eq(FEED(REL(K_CAPS), K_A, K_1), "A1");
    cr_expect_str_eq(FEED(K_LSHIFT, K_A, REL(K_LSHIFT)), "a", "shift undoes caps for letters");
    cr_expect_str_eq(FEED(K_CAPS, REL(K_CAPS), K_A), "a");
}

Test(keymap, ctrl_and_alt)
{
    cr_expect_str_eq(FEED(K_CTRL, K_C, REL(K_C), REL(K_CTRL)), "\x03");
    cr_expect_str_eq(FEED(K_ALT, K_X, REL(K_X), REL(K_ALT)), "\x1bx");
    cr_expect_str_eq(FEED(K_X), "x", "modifiers released");
    /* Right ctrl comes with the E0 prefix. */
    cr_expect_str_eq(FEED(0xe0, K_CTRL, K_C, 0xe0, REL(K_CTRL), K_C), "\x03"
                                                                      "c");
}

Test(keymap, cursor_and_editing_keys)
{
    cr_expect_str_eq(FEED(0xe0, 0x48), "\x1b[A");
    cr_expect_str_eq(FEED(0xe0, 0x50), "\x1b[B");
    cr_expect_str_eq(FEED(0xe0, 0x4d), "\x1b[C");
    cr_expect_str_eq(FEED(0xe0, 0x4b), "\x1b[D");
    cr_expect_str_eq(FEED(0xe0, 0x47), "\x1b[H");
    cr_expect_str_eq(FEED(0xe0, 0x4f), "\x1b[F");
    cr_expect_str_eq(FEED(0xe0, 0x53), "\x1b[3~");
    cr_expect_str_eq(FEED(0xe0, REL(0x53)), "", "release of an extended key");
}

Test(keymap, function_keys)
{
    cr_expect_str_eq(FEED(K_F1), "\x1bOP");
    cr_expect_str_eq(FEED(K_F12), "\x1b[24~");
}

Test(keymap, fake_shifts_and_pause_produce_nothing)
{
    /* Print Screen: E0 2A E0 37; the E0 2A is a fake shift, not a real one. */
    FEED(0xe0, 0x2a, 0xe0, 0x37, 0xe0, REL(0x37), 0xe0, REL(0x2a));
    cr_expect_str_eq(FEED(K_A), "a", "no shift left held");
    cr_expect_str_eq(FEED(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5), "");
    cr_expect_str_eq(FEED(K_A), "a");
}

Test(keymap, every_byte_is_safe)
{
    for (unsigned int prefix = 0; prefix < 3; prefix++) {
        for (unsigned int c = 0; c < 256; c++) {
            char out[KEYMAP_OUT_MAX];
            bool leds;
            if (prefix == 1)
                keymap_feed(&km, 0xe0, out, &leds);
            if (prefix == 2)
                keymap_feed(&km, 0xe1, out, &leds);
            cr_assert_leq(keymap_feed(&km, (uint8_t)c, out, &leds), KEYMAP_OUT_MAX);
        }
    }
}
