/*
 * error.h - status codes and the one error-reporting path of libtyndau.
 *
 * Every fallible function returns a tyndau_status and, on failure, fills a
 * caller-owned tyndau_error through TYNDAU_ERR, which records the message a
 * user should read (file, line, key, what was expected) and, separately, the
 * source location that raised it.  Nothing in the library exits or prints on
 * its own: only the command-line layer decides what to do with an error.
 */
#ifndef TYNDAU_ERROR_H
#define TYNDAU_ERROR_H

#include <stddef.h>

/* Exit codes of the tyndau program use the same numbers. */
typedef enum {
    TYNDAU_OK = 0,        /* success */
    TYNDAU_EINTERNAL = 1, /* internal error: a bug, out of memory, an I/O or HDF5 failure */
    TYNDAU_EINPUT = 2     /* bad input: the user can fix it */
} tyndau_status;

typedef struct {
    tyndau_status status;
    char msg[1024];       /* user-facing: "FILE:LINE: key 'k': expected ..., got '...'" */
    const char *src_file; /* where in tyndau the error was raised */
    int src_line;
} tyndau_error;

/* Fill *err (may be NULL) and return st.  A breakpoint here catches every error. */
tyndau_status tyndau_error_set(tyndau_error *err, tyndau_status st, const char *src_file,
                               int src_line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define TYNDAU_ERR(err, st, ...) tyndau_error_set((err), (st), __FILE__, __LINE__, __VA_ARGS__)

/* Reset an error to TYNDAU_OK with an empty message. */
void tyndau_error_clear(tyndau_error *err);

/* A path as a message shows it: itself up to TYNDAU_SHOWN_MAX characters, else its start, "...",
 * and its end (a message holds 1024 bytes: a 4000-character path would push out the reason). */
#define TYNDAU_SHOWN_MAX 240
typedef struct {
    char s[TYNDAU_SHOWN_MAX + 8];
} tyndau_shown;
const char *tyndau_path_shown(const char *path, tyndau_shown *buf);

/* Checked allocation: NULL on overflow or failure (n * size checked). */
void *tyndau_calloc(size_t n, size_t size);
void *tyndau_reallocarray(void *p, size_t n, size_t size);
/* A copy of the string s (NULL when out of memory). */
char *tyndau_strdup(const char *s);

#endif
