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
 * Memory: the entries of the window's days still to come (about W/2 times the daily
 * share of citizens with an event, two bytes each: half a byte per citizen in the
 * baseline), instead of two bytes per citizen for a next-event array that would be
 * scanned every day.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"

/* Room for at least `need` entries. */
static int reserve(tyndau_duelist *l, uint32_t need)
{
    if (need <= l->cap) return 0;
    uint16_t *v = tyndau_reallocarray(l->v, need, sizeof *v);
    if (v == NULL) return -1;
    l->v = v;
    l->cap = need;
    return 0;
}

int tyndau_duelist_grow(tyndau_duelist *l) { return reserve(l, l->cap ? 2 * l->cap : 16); }

_Static_assert(offsetof(tyndau_citizen, t_problem) == 16 && offsetof(tyndau_citizen, t_retry) == 26 &&
                   offsetof(tyndau_citizen, draws) == 28,
               "the six event days are the uint16 lanes 0-5 of the record's second 16 bytes");

/* Nonzero when some t_* of citizen c is before `end` (all are at or after today, so its next
 * event then falls in the window): the t_* are the six uint16 from byte 16 of the record, the
 * test is eight saturating subtractions at once, the last two lanes (draws) masked off. */
static inline int some_before(const tyndau_citizen *c, uint16_t end)
{
#ifdef __SSE2__
    __m128i t = _mm_loadu_si128((const __m128i *)(const void *)&c->t_problem);
    t = _mm_or_si128(t, _mm_set_epi16(-1, -1, 0, 0, 0, 0, 0, 0));
    __m128i z = _mm_cmpeq_epi16(_mm_subs_epu16(t, _mm_set1_epi16((short)(end - 1))), _mm_setzero_si128());
    return _mm_movemask_epi8(z);
#else
    return tyndau_next_day(c) < end;
#endif
}

/* slot[k]: the window day (next % W) of each citizen whose next event falls in the window
 * that ends before `end`, else TYNDAU_WINDOW; count[] the citizens of each day. */
static void window_slots(const tyndau_citizen *s, size_t n, uint16_t end, uint8_t *slot, uint32_t *count)
{
    for (size_t k = 0; k < n; k++) {
        unsigned d = some_before(&s[k], end) ? tyndau_next_day(&s[k]) % TYNDAU_WINDOW : TYNDAU_WINDOW;
        slot[k] = (uint8_t)d;
        if (d < TYNDAU_WINDOW) count[d]++;
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <smmintrin.h>
/* The same with SSE4.1, which has the least of eight uint16 in one instruction (PHMINPOSUW). */
__attribute__((target("sse4.1"))) static void window_slots_sse41(const tyndau_citizen *s, size_t n, uint16_t end,
                                                                 uint8_t *slot, uint32_t *count)
{
    const __m128i draws = _mm_set_epi16(-1, -1, 0, 0, 0, 0, 0, 0);
    unsigned start = (unsigned)end - TYNDAU_WINDOW;
    for (size_t k = 0; k < n; k++) {
        __m128i t = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)&s[k].t_problem), draws);
        unsigned nx = (unsigned)_mm_cvtsi128_si32(_mm_minpos_epu16(t)) & 0xffffu;
        unsigned d = nx - start < TYNDAU_WINDOW ? nx % TYNDAU_WINDOW : TYNDAU_WINDOW;
        slot[k] = (uint8_t)d;
        count[d]++; /* count[TYNDAU_WINDOW] counts the rest */
    }
}
#define HAVE_SLOTS_SSE41 1
#endif

int tyndau_calendar_fill(tyndau_calendar *cal, const tyndau_citizen *s, size_t n, int day)
{
    /* each list sized once, to what it gets now and a quarter more for what comes while the
       window lasts (a day's list is freed when taken: memory is one window's entries) */
    uint8_t slot[TYNDAU_BLOCK]; /* the window day of each citizen, or TYNDAU_WINDOW */
    uint32_t count[TYNDAU_WINDOW + 1] = {0};
    uint16_t end = (uint16_t)(day + TYNDAU_WINDOW);
#ifdef HAVE_SLOTS_SSE41
    if (__builtin_cpu_supports("sse4.1"))
        window_slots_sse41(s, n, end, slot, count);
    else
#endif
        window_slots(s, n, end, slot, count);
    int failed = 0;
    for (int d = 0; d < TYNDAU_WINDOW; d++)
        if (count[d] > 0) failed |= reserve(&cal->day[d], cal->day[d].n + count[d] + count[d] / 4 + 4);
    if (failed) return -1;
    for (size_t k = 0; k < n; k++)
        if (slot[k] < TYNDAU_WINDOW) {
            tyndau_duelist *l = &cal->day[slot[k]];
            l->v[l->n++] = (uint16_t)k;
        }
    return 0;
}

_Static_assert(TYNDAU_BLOCK == 64 * 64, "a block's bitmap is 64 words, summarised in one");

size_t tyndau_calendar_take(tyndau_calendar *cal, int day, uint16_t *out)
{
    tyndau_duelist *l = &cal->day[day % TYNDAU_WINDOW];
    uint64_t bits[64], words = 0; /* words: which of bits[] hold an entry */
    memset(bits, 0, sizeof bits);
    for (uint32_t k = 0; k < l->n; k++) {
        unsigned v = l->v[k];
        bits[v >> 6] |= (uint64_t)1 << (v & 63u);
        words |= (uint64_t)1 << (v >> 6);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
    size_t n = 0;
    for (; words; words &= words - 1) {
        unsigned w = (unsigned)__builtin_ctzll(words);
        for (uint64_t x = bits[w]; x; x &= x - 1) out[n++] = (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(x));
    }
    return n;
}

void tyndau_calendar_free(tyndau_calendar *cal)
{
    for (int d = 0; d < TYNDAU_WINDOW; d++) free(cal->day[d].v);
    memset(cal, 0, sizeof *cal);
}
