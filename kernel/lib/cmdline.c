/*
 * cmdline.c - the command-line tokenizer (see cmdline.h).
 */
#include "lib/cmdline.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Remove the double quotes from s in place. */
static void strip_quotes(char *s)
{
    char *w = s;

    for (char *r = s; *r != '\0'; r++) {
        if (*r != '"')
            *w++ = *r;
    }
    *w = '\0';
}

char *cmdline_next(char *args, char **param, char **val)
{
    bool in_quote = false;
    char *end;
    char *eq = NULL;

    while (is_space(*args))
        args++;
    if (*args == '\0')
        return NULL;

    for (end = args; *end != '\0'; end++) {
        if (*end == '"')
            in_quote = !in_quote;
        else if (!in_quote && is_space(*end))
            break;
        else if (*end == '=' && eq == NULL)
            eq = end;
    }
    if (*end != '\0')
        *end++ = '\0';

    *param = args;
    *val = NULL;
    if (eq != NULL) {
        *eq = '\0';
        *val = eq + 1;
        strip_quotes(*val);
    }
    strip_quotes(*param);
    return end;
}
