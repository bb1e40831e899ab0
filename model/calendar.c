/*
 * calendar.c - which citizens of a block are due on which day.
 *
 * A block's calendar covers one window of TYNDAU_WINDOW days at a time, the window
 * of day d being [d - d % W, d - d % W + W).  On the window's first day every citizen
 * of the block whose next event (the least of its t_*, tyndau_next_day) falls in the
 * window is entered on that day; while the window lasts, a citizen whose next event
 * moves to another day of the window is entered on that day too.  Invariant: every
 * citizen whose next event is a day of the current window not yet run has an entry
 * on that day.  An entry can go stale (the citizen's next event moved after it was
 * entered) or be repeated; a day's entries are therefore taken once each, in index
 * order (a bitmap), and the day loop skips a citizen that is no longer due.  So the
 * citizens visited on a day, and their order, are exactly those with next == day in
 * index order, whatever the window: the calendar changes no result.
 *
 * Memory: the entries of one window (about W times the daily share of citizens with
 * an event, two bytes each), instead of two bytes per citizen for a next-event array
 * that would be scanned every day.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tyndau_duelist_push(tyndau_duelist *l, uint16_t k)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 16;
        uint16_t *v = tyndau_reallocarray(l->v, cap, sizeof *v);
        if (v == NULL) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = k;
    return 0;
}

int tyndau_calendar_fill(tyndau_calendar *cal, const tyndau_citizen *s, size_t n, int day)
{
    int failed = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned ahead = (unsigned)tyndau_next_day(&s[k]) - (unsigned)day; /* wraps for NEVER - day > W */
        if (ahead < TYNDAU_WINDOW) failed |= tyndau_duelist_push(&cal->day[((unsigned)day + ahead) % TYNDAU_WINDOW], (uint16_t)k);
    }
    return failed;
}

size_t tyndau_calendar_take(tyndau_calendar *cal, int day, uint16_t *out)
{
    tyndau_duelist *l = &cal->day[day % TYNDAU_WINDOW];
    uint64_t bits[TYNDAU_BLOCK / 64];
    memset(bits, 0, sizeof bits);
    for (uint32_t k = 0; k < l->n; k++) bits[l->v[k] >> 6] |= (uint64_t)1 << (l->v[k] & 63u);
    l->n = 0;
    size_t n = 0;
    for (unsigned w = 0; w < TYNDAU_BLOCK / 64; w++)
        for (uint64_t x = bits[w]; x; x &= x - 1) out[n++] = (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(x));
    return n;
}

void tyndau_calendar_free(tyndau_calendar *cal)
{
    for (int d = 0; d < TYNDAU_WINDOW; d++) free(cal->day[d].v);
    memset(cal, 0, sizeof *cal);
}
