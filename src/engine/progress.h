/*
 * progress.h - progress of long work on stderr: done/total, rate and time left.
 *
 * On a terminal one line is rewritten in place (at most once a second, "\r"); elsewhere (a
 * log file, a Slurm job) a plain line is printed at most once a minute, so that logs stay
 * short.  The state is the caller's: no global, several may run at once.
 */
#ifndef TYNDAU_PROGRESS_H
#define TYNDAU_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *what, *unit; /* "compare", "runs" */
    size_t total;            /* 0: unknown (no ETA) */
    int enabled, tty, shown; /* shown: a terminal line is open (needs a newline at the end) */
    double t0, last;         /* monotonic seconds */
    FILE *out;
    double interval;         /* seconds between lines: 1 on a terminal, 60 elsewhere */
} progress_t;

/* Start: `total` units of work (0: unknown); enabled 0 prints nothing. */
void progress_init(progress_t *p, const char *what, const char *unit, size_t total, int enabled, FILE *out);

/* `done` units done (`failed` of them failed; `extra` a short text to append, or NULL): a line
 * when one is due, or always when force is 1. */
void progress_update(progress_t *p, size_t done, size_t failed, const char *extra, int force);

/* The last line: done, the time taken, and a newline that ends a terminal line. */
void progress_end(progress_t *p, size_t done, size_t failed);

/* "1 h 02 min", "3 min 20 s", "42 s" into buf. */
void progress_duration(double seconds, char *buf, size_t len);

#endif
