/* common/base/error.c — see base/error.h. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Noreturn void vdie(int status, const char *fmt, va_list ap)
{
    fflush(stdout);   // keep what the program printed before the error, in order
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    exit(status);
}

void dl_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(DL_EXIT_ERROR, fmt, ap);
}

void dl_die_status(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdie(status, fmt, ap);
}

void *dl_malloc(size_t bytes, const char *what)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) dl_die("out of memory: %zu bytes for %s", bytes, what);
    return p;
}
