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
 * whenever it is computed (the survey, tyndau_model_citizen).
 */
#include <math.h>

#include <gsl/gsl_randist.h>

#include "internal.h"

int tyndau_outreach_heard(const tyndau_model *m, gsl_rng *r, size_t i)
{
    const tyndau_params *p = &m->p;
    const tyndau_citizen *c = &m->c.s[i];
    int rural = DEMO_SETTLEMENT(c->demo), k = 2 * (int)c->region + rural;
    uint64_t loc = tyndau_key(m->seed, KEY_OUTREACH_LOCALITY_OF, (uint64_t)i) % (uint64_t)m->localities[k];
    /* the window (survey_day - 365, survey_day], clipped to the run */
    int sd = m->survey_day < m->n_days ? m->survey_day : m->n_days - 1;
    int first = sd - 364 > 0 ? sd - 364 : 0;
    size_t n1 = (size_t)m->n_days + 1;
    const double *lam = m->lam_outreach + (size_t)rural * n1;
    double rate = lam[sd + 1] - lam[first];
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_OUTREACH_LOCALITY, (uint64_t)k << 32 | loc), 0);
    unsigned events = (gsl_rng_uniform(r) < p->outreach_report) + (rate > 0.0 ? gsl_ran_poisson(r, rate) : 0u);
    if (events == 0) return 0;
    double hear = rural ? p->outreach_hear_rural : p->outreach_hear_urban;
    double ph = 1.0 - exp(-hear);
    if (ph <= 0.0) return 0;
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_OUTREACH, (uint64_t)i), 0);
    return (int)gsl_ran_binomial(r, ph, events);
}
