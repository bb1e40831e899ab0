/*
 * ties.c - implicit social ties.
 *
 * Storing a few dozen ties for 12 million citizens would cost more memory
 * than all other state together, so a tie is computed, not stored: the j-th
 * tie of citizen i is a hash of (seed, i, j) mapped into i's own cell (same
 * region, same settlement: homophily) or, with probability
 * ties_other_settlement, into the other settlement cell of the same region.
 * Only the number of ties is stored.  Ties are directed (i may tell k without
 * k telling i); the network is fixed for the run.
 */
#include "internal.h"

size_t tyndau_tie(const tyndau_model *m, size_t i, int j)
{
    int k = 2 * (int)m->c.s[i].region + (int)DEMO_SETTLEMENT(m->c.s[i].demo);
    uint64_t h = tyndau_key(m->seed ^ 0x7469657300000000ULL, (uint64_t)i, (uint64_t)j);
    /* top 24 bits decide the cell, the low 40 bits the member */
    double u = (double)(h >> 40) * (1.0 / 16777216.0);
    if (u < m->p.ties_other_settlement) {
        int other = k ^ 1;
        if (m->cell_start[other + 1] > m->cell_start[other]) k = other;
    }
    size_t lo = m->cell_start[k], size = m->cell_start[k + 1] - lo;
    if (size == 0 || (size == 1 && lo == i)) return SIZE_MAX;
    uint64_t r = h & 0xffffffffffULL;
    size_t t = lo + (size_t)(r % size);
    if (t == i) t = lo + (t - lo + 1) % size; /* no self-ties */
    return t;
}
