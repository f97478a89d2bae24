/*
 * vgatext.h - the VGA text screen (80x25 at 0xb8000) as a console mirror.
 */
#pragma once

#include "lib/types.h"

/* Register the screen as a console when the machine has VGA text mode. */
void vgatext_console_init(void);
