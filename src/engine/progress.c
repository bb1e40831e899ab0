/*
 * progress.c - progress lines (see progress.h).  The rate is done / elapsed since the start,
 * the time left (total - done) / rate: over many runs of about equal length the plain mean is
 * the estimate with the least fuss, and it does not jump when one run is slow.
 */
#include "engine/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0.0)) s = 0.0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld h %02ld min", t / 3600, (t % 3600) / 60);
    else if (t >= 60)
        snprintf(buf, len, "%ld min %02ld s", t / 60, t % 60);
    else
        snprintf(buf, len, "%ld s", t);
}

void progress_init(progress_t *p, const char *what, const char *unit, size_t total, int enabled, FILE *out)
{
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->enabled = enabled;
    p->out = out != NULL ? out : stderr;
    p->tty = isatty(fileno(p->out));
    p->shown = 0;
    p->t0 = p->last = now();
    p->interval = p->tty ? 1.0 : 60.0;
}

void progress_update(progress_t *p, size_t done, size_t failed, const char *extra, int force)
{
    if (!p->enabled) return;
    double t = now();
    if (!force && t - p->last < p->interval) return;
    p->last = t;
    double el = t - p->t0, rate = el > 0.0 ? (double)done / el : 0.0;
    char elapsed[32], left[48] = "";
    progress_duration(el, elapsed, sizeof elapsed);
    if (p->total > 0 && done > 0 && done < p->total && rate > 0.0) {
        char d[32];
        progress_duration((double)(p->total - done) / rate, d, sizeof d);
        snprintf(left, sizeof left, ", ETA %s", d);
    }
    char head[64];
    if (p->total > 0)
        snprintf(head, sizeof head, "%zu/%zu %s (%.0f%%)", done, p->total, p->unit,
                 100.0 * (double)done / (double)p->total);
    else
        snprintf(head, sizeof head, "%zu %s", done, p->unit);
    char fails[32] = "", rates[32];
    if (failed > 0) snprintf(fails, sizeof fails, ", %zu failed", failed);
    snprintf(rates, sizeof rates, rate >= 100.0 ? "%.0f" : "%.3g", rate);
    fprintf(p->out, "%s%s: %s%s, %s %s/s, %s%s%s%s", p->tty ? "\r" : "", p->what, head, fails, rates,
            strncmp(p->unit, "runs", 4) == 0 ? "runs" : p->unit, elapsed, left, extra ? ", " : "", extra ? extra : "");
    if (p->tty) {
        fputs("\033[K", p->out); /* clear what a longer line left */
        p->shown = 1;
    } else {
        fputc('\n', p->out);
    }
    fflush(p->out);
}

void progress_end(progress_t *p, size_t done, size_t failed)
{
    if (!p->enabled) return;
    progress_update(p, done, failed, "done", 1);
    if (p->tty && p->shown) fputc('\n', p->out);
    p->shown = 0;
}
