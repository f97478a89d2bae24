/* Fuzz target: the kernel command-line tokenizer (lib/cmdline.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[4096];
    char *next, *param, *val;

    if (size >= sizeof(buf))
        size = sizeof(buf) - 1;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (next = buf; (next = cmdline_next(next, &param, &val)) != NULL;) {
        if (next < buf || next > buf + size)
            __builtin_trap();
        (void)strlen(param);
        if (val != NULL)
            (void)strlen(val);
    }
    return 0;
}
