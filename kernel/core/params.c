/*
 * params.c - apply the kernel command line (see params.h).
 */
#include "core/boot.h"
#include "core/params.h"
#include "core/printk.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"

char saved_cmdline[BOOT_CMDLINE_MAX];
static char work[BOOT_CMDLINE_MAX];
char *init_args[INIT_MAX_ARGS + 1];
unsigned int init_nargs;
char *init_envs[INIT_MAX_ENVS + 1];
unsigned int init_nenvs;

extern const struct kernel_param __start_kparams[], __stop_kparams[];

static const struct kernel_param *find_param(const char *name)
{
    for (const struct kernel_param *p = __start_kparams; p < __stop_kparams; p++) {
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static void add_arg(char *arg)
{
    if (init_nargs == INIT_MAX_ARGS) {
        pr_warn("cmdline: too many arguments for the application; dropping '%s'\n", arg);
        return;
    }
    init_args[init_nargs++] = arg;
}

static void add_env(char *param, char *val)
{
    if (init_nenvs == INIT_MAX_ENVS) {
        pr_warn("cmdline: too many environment variables; dropping '%s'\n", param);
        return;
    }
    /* cmdline_next split name and value; put the '=' back. */
    val[-1] = '=';
    init_envs[init_nenvs++] = param;
}

int param_us_to_ns(const char *val, uint64_t max_us, uint64_t *ns)
{
    uint64_t us;

    if (val == NULL || kstrtou64(val, 10, &us) != 0 || us > max_us)
        return -EINVAL;
    *ns = us * 1000;
    return 0;
}

void params_parse(const char *cmdline)
{
    char *next, *param, *val;
    bool after_dashes = false;

    strscpy(saved_cmdline, cmdline, sizeof(saved_cmdline));
    strscpy(work, cmdline, sizeof(work));
    init_nargs = 0;
    init_nenvs = 0;
    {
        int quotes = 0;
        for (const char *c = cmdline; *c != '\0'; c++)
            quotes += *c == '"';
        if (quotes % 2 != 0)
            pr_warn("cmdline: unterminated quote; it runs to the end of the line\n");
    }

    for (next = work; (next = cmdline_next(next, &param, &val)) != NULL;) {
        const struct kernel_param *p;

        if (after_dashes) {
            if (val != NULL)
                val[-1] = '=';
            add_arg(param);
            continue;
        }
        if (strcmp(param, "--") == 0 && val == NULL) {
            after_dashes = true;
            continue;
        }
        p = find_param(param);
        if (p != NULL) {
            if (p->set(val) != 0)
                pr_warn("cmdline: bad value '%s' for %s=; using the default\n",
                        val != NULL ? val : "", param);
            continue;
        }
        {
            char *dot = strchr(param, '.');
            if (dot != NULL)
                continue; /* module option on Linux: ignored */
        }
        if (val != NULL)
            add_env(param, val);
        else
            add_arg(param);
    }
    init_args[init_nargs] = NULL;
    init_envs[init_nenvs] = NULL;
}

/* ---- parameters of the core ---- */

static int set_loglevel(const char *val)
{
    int64_t v;

    if (val == NULL || kstrtoi64(val, 10, &v) != 0 || v < 0 || v > 15)
        return -EINVAL;
    console_loglevel = (int)v;
    return 0;
}
KERNEL_PARAM("loglevel", set_loglevel);

static int set_quiet(const char *val)
{
    (void)val;
    console_loglevel = LOG_WARNING; /* as Linux: only errors and worse */
    return 0;
}
KERNEL_PARAM("quiet", set_quiet);

static int set_debug(const char *val)
{
    (void)val;
    console_loglevel = 10;
    return 0;
}
KERNEL_PARAM("debug", set_debug);
