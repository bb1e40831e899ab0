/*
 * ties.c - implicit social ties.
 *
 * Storing a few dozen ties for 12 million citizens would cost more memory
 * than all other state together, so a tie is computed, not stored: the j-th
 * tie of citizen i is a hash of (seed, i, j).  It falls in i's own cell (same
 * region, same settlement) or, with probability ties_other_settlement, in the
 * other settlement cell of the same region.  Within that cell a member is drawn
 * uniformly; then, with probability ties_age_homophily, its age band is replaced by
 * i's own and, with probability ties_income_homophily, its income group by i's own,
 * and the tie goes to a uniform member of the (age band, income group) so chosen.
 * So the share of ties within one's own age band is
 *   ties_age_homophily + (1 - ties_age_homophily) x (the band's share of the cell),
 * and with both homophilies 0 the ties' groups are the cell's (McPherson,
 * Smith-Lovin & Cook 2001 on homophily).  A cell's members are laid out by stratum
 * (population.c), so finding a member of an (age, income) group costs a lookup, and
 * no other citizen's record is read.  Only the number of ties is stored.  Ties are
 * directed (i may tell k without k telling i); the network is fixed for the run.
 */
#include "internal.h"

/* The stratum of the member at index t of cell k: the last stratum starting at or before t
 * (empty strata start where the next one does). */
static int stratum_of(const tyndau_model *m, int k, size_t t)
{
    const size_t *start = m->stratum_start[k];
    int lo = 0, hi = N_STRATUM - 1; /* start[lo] <= t */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (start[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

uint64_t tyndau_tie_key(const tyndau_model *m, size_t i) { return tyndau_mix64(m->key_ties ^ (uint64_t)i); }

size_t tyndau_tie(const tyndau_model *m, size_t i, int j) { return tyndau_tie_of(m, i, tyndau_tie_key(m, i), j); }

size_t tyndau_tie_of(const tyndau_model *m, size_t i, uint64_t key, int j)
{
    const tyndau_citizen *c = &m->c.s[i];
    int k = 2 * (int)c->region + (int)DEMO_SETTLEMENT(c->demo);
    uint64_t h = tyndau_mix64(key ^ (uint64_t)j); /* tyndau_key(seed ^ TIES, i, j) */
    uint64_t h2 = tyndau_mix64(h);
    /* h: top 24 bits decide the cell, the low 40 bits the member; h2: the homophily draws;
       mix(h2): the member within a group */
    double u = (double)(h >> 40) * (1.0 / 16777216.0);
    if (u < m->p.ties_other_settlement) {
        int other = k ^ 1;
        if (m->cell_start[other + 1] > m->cell_start[other]) k = other;
    }
    size_t lo = m->cell_start[k], size = m->cell_start[k + 1] - lo;
    if (size == 0 || (size == 1 && lo == i)) return SIZE_MAX;
    size_t t = lo + (size_t)((h & 0xffffffffffULL) % size);
    double u_age = (double)(h2 >> 40) * (1.0 / 16777216.0);
    double u_inc = (double)((h2 >> 16) & 0xffffffULL) * (1.0 / 16777216.0);
    int same_age = u_age < m->p.ties_age_homophily, same_inc = u_inc < m->p.ties_income_homophily;
    if (same_age || same_inc) {
        int s = stratum_of(m, k, t);
        int age = same_age ? (int)DEMO_AGE(c->demo) : s / (N_INCOME * N_EDU);
        int inc = same_inc ? (int)DEMO_INCOME(c->demo) : s / N_EDU % N_INCOME;
        size_t g0 = m->stratum_start[k][STRATUM(age, inc, 0)], g1 = m->stratum_start[k][STRATUM(age, inc, 0) + N_EDU];
        size_t gsize = g1 - g0;
        /* an empty group (or one holding only i) leaves the uniform member */
        if (gsize > 1 || (gsize == 1 && g0 != i)) {
            lo = g0, size = gsize;
            t = lo + (size_t)((tyndau_mix64(h2) & 0xffffffffffULL) % size);
        }
    }
    if (t == i) t = lo + (t - lo + 1) % size; /* no self-ties */
    return t;
}
