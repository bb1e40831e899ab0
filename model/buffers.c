/*
 * buffers.c - the growable arrays the day's phases hand work through: word-of-mouth and
 * outcome messages (tyndau_msgbuf) and appeals on their way to an office (tyndau_appealbuf).
 *
 * Invariant: v[0 .. n) are the entries in the order pushed, cap >= n; a push that cannot grow
 * the array returns -1 and leaves it as it was (the caller records alloc_failed).  Capacity
 * doubles, so pushes are amortised O(1); buffers are emptied (n = 0) but kept for the next day.
 */
#include "internal.h"

int tyndau_msgbuf_push(tyndau_msgbuf *b, tyndau_msg msg)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        tyndau_msg *v = tyndau_reallocarray(b->v, cap, sizeof *v);
        if (v == NULL) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = msg;
    return 0;
}

int tyndau_appealbuf_push(tyndau_appealbuf *b, tyndau_appeal a)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        tyndau_appeal *v = tyndau_reallocarray(b->v, cap, sizeof *v);
        if (v == NULL) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = a;
    return 0;
}
