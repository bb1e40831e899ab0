/* error.c - the error-reporting path and checked allocation (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tyndau_status tyndau_error_set(tyndau_error *err, tyndau_status st, const char *src_file,
                               int src_line, const char *fmt, ...)
{
    if (err == NULL) return st;
    err->status = st;
    err->src_file = src_file;
    err->src_line = src_line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

void tyndau_error_clear(tyndau_error *err)
{
    if (err == NULL) return;
    err->status = TYNDAU_OK;
    err->msg[0] = '\0';
    err->src_file = NULL;
    err->src_line = 0;
}

void *tyndau_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

void *tyndau_reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    return realloc(p, bytes ? bytes : 1);
}

char *tyndau_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tyndau_calloc(n, 1);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

const char *tyndau_path_shown(const char *path, tyndau_shown *buf)
{
    size_t n = strlen(path);
    if (n <= TYNDAU_SHOWN_MAX) return path;
    snprintf(buf->s, sizeof buf->s, "%.100s...%s", path, path + n - (TYNDAU_SHOWN_MAX - 103));
    return buf->s;
}
