/*
 * keymap.c - set 1 scancodes to terminal input (see keymap.h).
 */
#include "drivers/input/keymap.h"
#include "lib/string.h"

/* US layout, unshifted and shifted, indexed by make code (0x00-0x39). */
static const char plain[0x3a] = {
    0,    0x1b, '1', '2', '3', '4', '5', '6', '7', '8', '9',  '0', '-', '=',  0x7f,
    '\t', 'q',  'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p',  '[', ']', '\r', 0,
    'a',  's',  'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,   '\\', 'z',
    'x',  'c',  'v', 'b', 'n', 'm', ',', '.', '/', 0,   '*',  0,   ' ',
};
static const char shifted[0x3a] = {
    0,    0x1b, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',  0x7f,
    '\t', 'Q',  'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0,
    'A',  'S',  'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|',  'Z',
    'X',  'C',  'V', 'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' ',
};

/* Keypad without the E0 prefix (num lock treated as on): 0x47-0x53. */
static const char keypad[0x53 - 0x47 + 1] = {
    '7', '8', '9', '-', '4', '5', '6', '+', '1', '2', '3', '0', '.',
};

/* Function keys F1-F10 (0x3b-0x44), F11 (0x57), F12 (0x58), as xterm sends them. */
static const char *const fkeys[12] = {
    "\x1bOP",   "\x1bOQ",   "\x1bOR",   "\x1bOS",   "\x1b[15~", "\x1b[17~",
    "\x1b[18~", "\x1b[19~", "\x1b[20~", "\x1b[21~", "\x1b[23~", "\x1b[24~",
};

/* Keys behind the E0 prefix that send a sequence. */
static const char *extended_seq(uint8_t code)
{
    switch (code) {
    case 0x48:
        return "\x1b[A"; /* up */
    case 0x50:
        return "\x1b[B"; /* down */
    case 0x4d:
        return "\x1b[C"; /* right */
    case 0x4b:
        return "\x1b[D"; /* left */
    case 0x47:
        return "\x1b[H"; /* home */
    case 0x4f:
        return "\x1b[F"; /* end */
    case 0x52:
        return "\x1b[2~"; /* insert */
    case 0x53:
        return "\x1b[3~"; /* delete */
    case 0x49:
        return "\x1b[5~"; /* page up */
    case 0x51:
        return "\x1b[6~"; /* page down */
    case 0x1c:
        return "\r"; /* keypad enter */
    case 0x35:
        return "/"; /* keypad slash */
    default:
        return NULL;
    }
}

/* Modifier bit for a make code (0 if not a modifier). */
static unsigned int modifier(uint8_t code, bool e0)
{
    switch (code) {
    case 0x2a:
        return e0 ? 0 : KM_LSHIFT; /* E0 2A is a fake shift around some keys */
    case 0x36:
        return e0 ? 0 : KM_RSHIFT;
    case 0x1d:
        return e0 ? KM_RCTRL : KM_LCTRL;
    case 0x38:
        return e0 ? KM_RALT : KM_LALT;
    default:
        return 0;
    }
}

static size_t emit(char out[KEYMAP_OUT_MAX], bool alt, const char *s, size_t n)
{
    size_t k = 0;

    if (alt && n + 1 <= KEYMAP_OUT_MAX)
        out[k++] = 0x1b;
    n = MIN(n, (size_t)KEYMAP_OUT_MAX - k);
    memcpy(out + k, s, n);
    return k + n;
}

size_t keymap_feed(struct keymap *km, uint8_t code, char out[KEYMAP_OUT_MAX], bool *leds_changed)
{
    bool e0 = km->e0;
    bool release = code & 0x80;
    uint8_t make = code & 0x7f;
    bool shift = km->mods & (KM_LSHIFT | KM_RSHIFT);
    bool ctrl = km->mods & (KM_LCTRL | KM_RCTRL);
    bool alt = km->mods & (KM_LALT | KM_RALT);
    char c;

    *leds_changed = false;
    km->e0 = false;
    if (km->e1 > 0) {
        km->e1--;
        return 0;
    }
    if (code == 0xe0) {
        km->e0 = true;
        return 0;
    }
    if (code == 0xe1) {
        km->e1 = 5; /* Pause: E1 1D 45 E1 9D C5, no release, ignored */
        return 0;
    }
    /* Buffer errors, ACK and resend are not keys (0xaa is not ignored: it is
     * left shift's release as well as the keyboard's self-test result). */
    if (code == 0x00 || code == 0xfa || code == 0xfe || code == 0xff)
        return 0;

    unsigned int m = modifier(make, e0);
    if (m != 0) {
        if (release)
            km->mods &= ~m;
        else
            km->mods |= m;
        return 0;
    }
    if (release)
        return 0;
    if (e0) {
        const char *s = extended_seq(make);
        return s != NULL ? emit(out, alt, s, strlen(s)) : 0;
    }
    if (make == 0x3a) {
        km->mods ^= KM_CAPS;
        *leds_changed = true;
        return 0;
    }
    if (make >= 0x3b && make <= 0x44)
        return emit(out, alt, fkeys[make - 0x3b], strlen(fkeys[make - 0x3b]));
    if (make == 0x57 || make == 0x58)
        return emit(out, alt, fkeys[10 + make - 0x57], strlen(fkeys[10 + make - 0x57]));
    if (make >= 0x47 && make <= 0x53 && keypad[make - 0x47] != 0)
        return emit(out, alt, &keypad[make - 0x47], 1);
    if (make >= sizeof(plain) || plain[make] == 0)
        return 0;

    c = shift ? shifted[make] : plain[make];
    if ((km->mods & KM_CAPS) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        c ^= 0x20; /* caps lock inverts the case of letters only */
    if (ctrl) {
        if (c >= '@' && c <= '~')
            c &= 0x1f; /* ^A..^Z, ^[ ^\ ^] ^^ ^_ */
        else if (c == ' ' || c == '2')
            c = 0; /* ^@ */
        else if (c == 0x7f)
            c = 0x08;
    }
    return emit(out, alt, &c, 1);
}
