/*
 * headline.c - the headline measures (see headline.h), computed from the run's
 * integer counters (model.c): the daily series of problems, channel choices and
 * states, and the whole-run outcome and waiting-time tables.  All sums are of
 * integers, so the measures do not depend on the thread count.
 */
#include "headline.h"

#include <math.h>
#include <string.h>

#include "internal.h"

const char *const tyndau_headline_names[N_HEADLINE] = {
    "voice_rate",       "resolution_rate", "formal_rate",    "bribe_incidence",
    "answer_days",      "platform_aware",  "trust_central",  "trust_local"};

const char *const tyndau_gap_names[N_GAP] = {"gap_income", "gap_settlement", "gap_age"};

int tyndau_headline_find(const char *name)
{
    for (int h = 0; h < N_HEADLINE; h++)
        if (strcmp(tyndau_headline_names[h], name) == 0) return h;
    return -1;
}

static double ratio(int64_t a, int64_t b) { return b > 0 ? (double)a / (double)b : NAN; }

double tyndau_model_headline(const tyndau_model *m, tyndau_headline h, int g)
{
    if (m == NULL || g < 0 || g >= TYNDAU_N_GROUP || m->day < m->n_days || m->n_days <= 0) return NAN;
    const size_t G = TYNDAU_N_GROUP;
    int64_t outcomes[N_OUTCOME] = {0}, decided = 0;
    for (int ch = 0; ch < N_CHANNEL; ch++)
        for (int o = 0; o < N_OUTCOME; o++) outcomes[o] += m->outcome_group_channel[g][ch][o];
    for (int o = 0; o < N_OUTCOME; o++) decided += outcomes[o];
    const int64_t *last = m->s_state + (size_t)(m->n_days - 1) * G * N_STATE_SERIES + (size_t)g * N_STATE_SERIES;
    int64_t size = m->group_size[g];
    switch (h) {
    case HL_VOICE_RATE: {
        int64_t problems = 0, appeals = 0;
        for (int d = 0; d < m->n_days; d++) {
            const int64_t *pr = m->s_problems + ((size_t)d * G + (size_t)g) * N_DOMAIN;
            const int64_t *ch = m->s_choices + ((size_t)d * G + (size_t)g) * N_CHANNEL;
            for (int k = 0; k < N_DOMAIN; k++) problems += pr[k];
            for (int k = 0; k < N_CHANNEL; k++)
                if (k != CH_SILENCE) appeals += ch[k];
        }
        return ratio(appeals, problems);
    }
    case HL_RESOLUTION_RATE: return ratio(outcomes[OUT_RESOLVED], decided);
    case HL_FORMAL_RATE: return ratio(outcomes[OUT_FORMAL], decided);
    case HL_BRIBE_INCIDENCE: return ratio(outcomes[OUT_BRIBE_PAID] + outcomes[OUT_BRIBE_REFUSED], decided);
    case HL_ANSWER_DAYS: {
        double s = 0.0;
        int64_t n = 0;
        for (int d = 0; d < TYNDAU_WAIT_MAX; d++) {
            s += (double)d * (double)m->wait_group_hist[g][d];
            n += m->wait_group_hist[g][d];
        }
        return n > 0 ? s / (double)n : NAN;
    }
    case HL_PLATFORM_AWARE: return ratio(last[N_CONCEPT + PA_HEARD] + last[N_CONCEPT + PA_KNOWS], size);
    case HL_TRUST_CENTRAL: return ratio(last[N_CONCEPT + N_PLATFORM + BEL_PAYS], size);
    case HL_TRUST_LOCAL: return ratio(last[N_CONCEPT + N_PLATFORM + N_BELIEF + BEL_PAYS], size);
    case N_HEADLINE: break;
    }
    return NAN;
}

double tyndau_model_gap(const tyndau_model *m, tyndau_gap gap)
{
    int a, b;
    switch (gap) {
    case GAP_INCOME: a = TYNDAU_GROUP_INCOME + INC_HIGH, b = TYNDAU_GROUP_INCOME + INC_LOW; break;
    case GAP_SETTLEMENT: a = TYNDAU_GROUP_SETTLEMENT + SET_URBAN, b = TYNDAU_GROUP_SETTLEMENT + SET_RURAL; break;
    case GAP_AGE: a = TYNDAU_GROUP_AGE + AGE_18_29, b = TYNDAU_GROUP_AGE + AGE_61P; break;
    default: return NAN;
    }
    return tyndau_model_headline(m, HL_RESOLUTION_RATE, a) - tyndau_model_headline(m, HL_RESOLUTION_RATE, b);
}

double tyndau_model_headline_days(const tyndau_model *m, tyndau_headline h, int g, int d0, int d1)
{
    if (m == NULL || g < 0 || g >= TYNDAU_N_GROUP || m->day < m->n_days || d0 < 0 || d1 > m->n_days || d0 >= d1)
        return NAN;
    const size_t G = TYNDAU_N_GROUP;
    int64_t problems = 0, appeals = 0, outcomes[N_OUTCOME] = {0}, decided = 0;
    for (int d = d0; d < d1; d++) {
        const int64_t *pr = m->s_problems + ((size_t)d * G + (size_t)g) * N_DOMAIN;
        const int64_t *ch = m->s_choices + ((size_t)d * G + (size_t)g) * N_CHANNEL;
        const int64_t *oc = m->s_outcomes + ((size_t)d * G + (size_t)g) * N_OUTCOME;
        for (int k = 0; k < N_DOMAIN; k++) problems += pr[k];
        for (int k = 0; k < N_CHANNEL; k++)
            if (k != CH_SILENCE) appeals += ch[k];
        for (int k = 0; k < N_OUTCOME; k++) outcomes[k] += oc[k], decided += oc[k];
    }
    const int64_t *last = m->s_state + (size_t)(d1 - 1) * G * N_STATE_SERIES + (size_t)g * N_STATE_SERIES;
    int64_t size = m->group_size[g];
    switch (h) {
    case HL_VOICE_RATE: return ratio(appeals, problems);
    case HL_RESOLUTION_RATE: return ratio(outcomes[OUT_RESOLVED], decided);
    case HL_FORMAL_RATE: return ratio(outcomes[OUT_FORMAL], decided);
    case HL_BRIBE_INCIDENCE: return ratio(outcomes[OUT_BRIBE_PAID] + outcomes[OUT_BRIBE_REFUSED], decided);
    case HL_PLATFORM_AWARE: return ratio(last[N_CONCEPT + PA_HEARD] + last[N_CONCEPT + PA_KNOWS], size);
    case HL_TRUST_CENTRAL: return ratio(last[N_CONCEPT + N_PLATFORM + BEL_PAYS], size);
    case HL_TRUST_LOCAL: return ratio(last[N_CONCEPT + N_PLATFORM + N_BELIEF + BEL_PAYS], size);
    case HL_ANSWER_DAYS:
    case N_HEADLINE: break;
    }
    return NAN;
}
