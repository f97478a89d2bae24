/*
 * check.h - the one assertion the C guest programs share: CHECK(cond, fmt,
 * ...) prints the failed condition with its function and line and counts
 * it in failures; a program prints PASS and exits 0 only when none failed.
 */
#pragma once

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);                               \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)
