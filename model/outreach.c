/*
 * outreach.c - community outreach, what the survey's Table 7 asks about ("did the
 * authorities contact the residents to discuss problems or projects?").
 *
 * The item is about the residents, not the respondent: it is answered from the
 * outreach events of one's locality that one has heard of (MODEL_BRIEF s2).  Each cell
 * (region x settlement) is divided into localities (rural okrugs; city districts and
 * towns), a citizen's locality a hash of (seed, citizen).  In the 12 months up to the
 * survey day a locality holds the akim's annual reporting meeting (probability
 * outreach_report) and K other events, K ~ Poisson(the locality's rate summed over
 * those days: outreach_extra_* per year, times outreach_reform from the announcement
 * on, dated changes included); every resident of the locality shares them.  A resident
 * hears of each event independently with probability 1 - exp(-outreach_hear_*): by attending
 * or from neighbours, which does not take the attention to politics that the mass media do
 * (so not scaled by the reception multiplier).  Outreach is not evidence that appeals are
 * attended to: it changes no belief.
 *
 * Every draw comes from streams of their own, the locality's (KEY_OUTREACH_LOCALITY)
 * and the citizen's (KEY_OUTREACH), not from the citizen's life stream, so the count is
 * a pure function of the seed, the parameters and the citizen's attributes, the same
 * whenever it is computed (the survey, tyndau_model_citizen).  The survey draws every
 * locality's events once (tyndau_outreach_events_init); each resident's count is then a
 * binomial of them, by inversion from one uniform of the resident's stream.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "internal.h"

/* The keys of the per-citizen hashes and streams: tyndau_key(seed, kind, i) = mix(kind's ^ i). */
static uint64_t kind_key(const tyndau_model *m, uint64_t kind) { return tyndau_mix64(tyndau_mix64(m->seed) ^ kind); }

/* The locality (0 .. localities[k] - 1) citizen i of cell k lives in; key = kind_key(LOCALITY_OF). */
static uint64_t locality_of(const tyndau_model *m, uint64_t key, size_t i, int k)
{
    return tyndau_mix64(key ^ (uint64_t)i) % (uint64_t)m->localities[k];
}

/* Events of locality `loc` of cell k in the window, from the locality's own stream. */
static unsigned locality_events(const tyndau_model *m, gsl_rng *r, int k, uint64_t loc)
{
    const tyndau_params *p = &m->p;
    /* the window (survey_day - 365, survey_day], clipped to the run */
    int sd = m->survey_day < m->n_days ? m->survey_day : m->n_days - 1;
    int first = sd - 364 > 0 ? sd - 364 : 0;
    size_t n1 = (size_t)m->n_days + 1;
    const double *lam = m->lam_outreach + (size_t)(k % 2) * n1;
    double rate = lam[sd + 1] - lam[first];
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_OUTREACH_LOCALITY, (uint64_t)k << 32 | loc), 0);
    return (gsl_rng_uniform(r) < p->outreach_report) + (rate > 0.0 ? gsl_ran_poisson(r, rate) : 0u);
}

/* The probability that a resident does not hear of one event, exp(-hear). */
static double miss_prob(const tyndau_model *m, int rural)
{
    const tyndau_params *p = &m->p;
    return exp(-(rural ? p->outreach_hear_rural : p->outreach_hear_urban));
}

int tyndau_outreach_events_init(const tyndau_model *m, tyndau_outreach_events *ev)
{
    for (int rural = 0; rural < 2; rural++) ev->miss[rural] = miss_prob(m, rural);
    ev->key_of = kind_key(m, KEY_OUTREACH_LOCALITY_OF);
    ev->key_heard = kind_key(m, KEY_OUTREACH);
    ev->start[0] = 0;
    for (int k = 0; k < 2 * TYNDAU_N_REGION; k++) ev->start[k + 1] = ev->start[k] + (size_t)m->localities[k];
    ev->events = tyndau_calloc(ev->start[2 * TYNDAU_N_REGION], sizeof *ev->events);
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    int ok = ev->events != NULL && r != NULL;
    for (int k = 0; ok && k < 2 * TYNDAU_N_REGION; k++)
        for (int loc = 0; loc < m->localities[k]; loc++) ev->events[ev->start[k] + (size_t)loc] = locality_events(m, r, k, (uint64_t)loc);
    if (r) gsl_rng_free(r);
    if (!ok) {
        free(ev->events);
        ev->events = NULL;
    }
    return ok ? 0 : -1;
}

/* Binomial(n, 1 - q) by inversion from one uniform: P(0) = q^n, P(j+1) / P(j) = (n - j)/(j + 1) (1 - q)/q. */
static unsigned binomial_inversion(tyndau_ctr_state *s, unsigned n, double q)
{
    if (n == 0 || q >= 1.0) return 0;
    if (q <= 0.0) return n;
    double qn = 1.0;
    for (unsigned j = 0; j < n; j++) qn *= q;
    double u = tyndau_ctr_uniform(s), pj = qn, cdf = pj, odds = (1.0 - q) / q;
    unsigned j = 0;
    while (u >= cdf && j < n) {
        pj *= (double)(n - j) / (double)(j + 1) * odds;
        cdf += pj;
        j++;
    }
    return j;
}

/* Citizen i's count given its locality's events, each heard of with probability 1 - q;
 * key = kind_key(KEY_OUTREACH). */
static int heard_given(uint64_t key, size_t i, unsigned events, double q)
{
    if (events == 0 || !(q < 1.0)) return 0;
    tyndau_ctr_state s = {tyndau_mix64(key ^ (uint64_t)i), 0};
    return (int)binomial_inversion(&s, events, q);
}

static int cell_of(const tyndau_citizen *c) { return 2 * (int)c->region + (int)DEMO_SETTLEMENT(c->demo); }

int tyndau_outreach_heard_of(const tyndau_model *m, size_t i, const tyndau_outreach_events *ev)
{
    const tyndau_citizen *c = &m->c.s[i];
    int k = cell_of(c);
    return heard_given(ev->key_heard, i, ev->events[ev->start[k] + (size_t)locality_of(m, ev->key_of, i, k)],
                       ev->miss[DEMO_SETTLEMENT(c->demo)]);
}

int tyndau_outreach_heard(const tyndau_model *m, size_t i)
{
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    if (r == NULL) return -1;
    const tyndau_citizen *c = &m->c.s[i];
    int k = cell_of(c);
    unsigned events = locality_events(m, r, k, locality_of(m, kind_key(m, KEY_OUTREACH_LOCALITY_OF), i, k));
    gsl_rng_free(r);
    return heard_given(kind_key(m, KEY_OUTREACH), i, events, miss_prob(m, DEMO_SETTLEMENT(c->demo)));
}
