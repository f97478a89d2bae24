/*
 * cmdline.h - split a kernel command line into parameters, Linux style.
 *
 * Parameters are separated by spaces; double quotes group spaces into one
 * parameter ("name=a b" or name="a b"), and the quotes are removed. The
 * caller decides what each parameter means (core/params.c).
 */
#pragma once

#include "lib/types.h"

/*
 * cmdline_next parses the parameter at the start of args (after leading
 * spaces), writing NULs into args. *param gets the name; *val the value after
 * the first '=' or NULL when there is none. Returns where parsing continues,
 * or NULL when args holds no more parameters. An unterminated quote runs to
 * the end of the string.
 */
char *cmdline_next(char *args, char **param, char **val);
