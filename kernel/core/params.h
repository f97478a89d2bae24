/*
 * params.h - the kernel command line, Linux style.
 *
 * Parameters the kernel knows are registered with KERNEL_PARAM() and run
 * their setter at boot. Everything else goes to the application, as Linux
 * passes it to init: after " -- " all words are arguments; before it, an
 * unknown name=value becomes an environment variable and an unknown word
 * an argument. Parameters containing a '.' before any '=' are module
 * options on Linux and are ignored here too. A setter that rejects its
 * value makes the kernel print a warning and keep the default.
 */
#pragma once

#include "lib/types.h"

struct kernel_param {
    const char *name; /* "loglevel" matches loglevel=N; "quiet" matches quiet */
    /* val is NULL when the parameter had no '='. Returns 0 or -EINVAL. */
    int (*set)(const char *val);
} __aligned(16);

#define KERNEL_PARAM(pname, fn)                                                                    \
    static const struct kernel_param __kparam_##fn __used __section(".kparams") = {pname, fn}

#define INIT_MAX_ARGS 64
#define INIT_MAX_ENVS 64

/* The command line as the boot loader gave it (for /proc/cmdline). */
extern char saved_cmdline[];
/* Arguments (without argv[0]) and environment for the application. */
extern char *init_args[INIT_MAX_ARGS + 1];
extern unsigned int init_nargs;
extern char *init_envs[INIT_MAX_ENVS + 1];
extern unsigned int init_nenvs;

/*
 * For setters of durations in microseconds: parse val (decimal, at most
 * max_us) into *ns. 0 or -EINVAL (*ns untouched).
 */
int param_us_to_ns(const char *val, uint64_t max_us, uint64_t *ns);

/* Parse the command line (once, early at boot). */
void params_parse(const char *cmdline);
