/*
 * survey.c - the virtual 2021 survey (MODEL_BRIEF s6).
 *
 * Every question maps a citizen's state to a distribution of answers
 * (answer_all; the mapping is documented in docs/ODD.md).  The whole
 * population answers in expectation: probabilities are summed, with no
 * sampling noise, in 32.32 fixed point so that the sums are exact integers
 * and do not depend on the order of addition (hence on threads).  The quota
 * sample draws survey_n respondents with quotas by region x settlement x sex
 * x age (largest-remainder allocation), simple random sampling within each
 * stratum (Floyd's algorithm draws each stratum's ranks; Bentley & Floyd 1987), and
 * each respondent draws one answer from its probabilities.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "internal.h"
#include "regions.h"

#define MAX_RESP 5

typedef enum {
    Q_AWARE_CONCEPT,
    Q_CONCEPT_MEANING,
    Q_PRINCIPLE_HEAR,
    Q_PRINCIPLE_QUICK,
    Q_PRINCIPLE_ACCESSIBLE,
    Q_PRINCIPLE_NEEDS,
    Q_PRINCIPLE_CIVIL,
    Q_PRINCIPLE_MY_NEEDS,
    Q_PRINCIPLE_QUALITY,
    Q_AWARE_PLATFORM,
    Q_ATTENTION_CENTRAL,
    Q_ATTENTION_LOCAL,
    Q_CONTACTED,
    N_QUESTION
} question;

static const struct {
    const char *id, *base;
    int n;
    const char *resp[MAX_RESP];
} questions[N_QUESTION] = {
    {"aware_concept", "all", 3, {"fully_aware", "heard_something", "first_time"}},
    {"concept_meaning", "aware_of_concept", 5,
     {"president_responds_on_social_media", "officials_reply_on_blogs_and_social_media",
      "akims_react_on_social_media", "appeals_monitoring_system_works", "other"}},
    {"principle_officials_hear_problems", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_bodies_respond_quickly", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_officials_accessible", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_policy_reflects_needs", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_civil_society_involved", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_my_needs_heard", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"principle_quality_appeal_handling", "all", 3, {"implemented", "not_implemented", "dont_know"}},
    {"aware_platform", "all", 3, {"knows_how_to_use", "heard_not_how", "first_time"}},
    {"attention_central", "all", 3, {"pays_attention", "no_attention", "dont_know"}},
    {"attention_local", "all", 3, {"pays_attention", "no_attention", "dont_know"}},
    {"authorities_contacted", "all", 4, {"often", "rarely", "not_contacted", "dont_know"}},
};

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Probability of "yes" from evidence (pos, neg) with Beta pseudo-counts, shifted on the logit scale. */
static double yes_prob(const tyndau_params *p, unsigned pos, unsigned neg, double shift)
{
    double a = p->belief_prior;
    double mean = (pos + a) / (pos + neg + 2.0 * a);
    if (shift == 0.0) return mean;
    return logistic(log(mean / (1.0 - mean)) + shift);
}

/* Answer probabilities are carried in 32.32 fixed point (FIX_ONE = 1): sums over
 * millions of citizens are then exact integers, independent of the order of addition.
 * yes_prob for small evidence counts is tabulated once per survey (the population
 * survey asks it of every citizen nine times).  Index 0: no shift (attention);
 * 1..7: the principles. */
#define FIX_ONE 4294967296.0
#define YES_TAB 64
typedef struct {
    double shift[8];
    uint64_t yes[YES_TAB][YES_TAB][8]; /* [pos][neg][shift]: one cache line holds a citizen's eight */
} yes_table;

static uint64_t to_fix(double x) { return (uint64_t)(x * FIX_ONE + 0.5); } /* x in [0, 1] */

static void yes_table_init(const tyndau_params *p, yes_table *t)
{
    const double shift[8] = {0.0, p->principle_shift_hear, p->principle_shift_quick, p->principle_shift_accessible,
                             p->principle_shift_needs, p->principle_shift_civil, p->principle_shift_my_needs,
                             p->principle_shift_quality};
    for (int s = 0; s < 8; s++) {
        t->shift[s] = shift[s];
        for (unsigned a = 0; a < YES_TAB; a++)
            for (unsigned b = 0; b < YES_TAB; b++) t->yes[a][b][s] = to_fix(yes_prob(p, a, b, shift[s]));
    }
}

static uint64_t yes_lookup(const tyndau_params *p, const yes_table *t, int s, unsigned pos, unsigned neg)
{
    if (pos < YES_TAB && neg < YES_TAB) return t->yes[pos][neg][s];
    return to_fix(yes_prob(p, pos, neg, t->shift[s]));
}

#define ONE ((uint64_t)1 << 32)

/* An answer distribution: at most two responses have nonzero probability, k[0] with p0 and
 * k[1] with ONE - p0 (fixed point); a single response is k[0] == k[1] with p0 == ONE, so
 * that sums add both parts without asking which it is. */
typedef struct {
    int asked;   /* 0: outside the question's base */
    uint8_t k[2]; /* response indices */
    uint64_t p0;
} answer;

static void one(answer *a, int k)
{
    a->asked = 1;
    a->k[0] = a->k[1] = (uint8_t)k;
    a->p0 = ONE;
}

static void two(answer *a, int k0, uint64_t p0, int k1)
{
    a->asked = 1;
    a->k[0] = (uint8_t)k0;
    a->k[1] = (uint8_t)k1;
    a->p0 = p0;
}

/* The survey's measurement model: the distributions of citizen i's answers to every
 * question, ans[q]; ans[q].asked == 0 when i is outside question q's base.
 * docs/ODD.md section 8 states the same mapping in words. */
static void answer_all(const tyndau_model *m, const yes_table *yt, const tyndau_outreach_events *outreach, size_t i,
                       answer ans[N_QUESTION])
{
    const tyndau_params *p = &m->p;
    const tyndau_citizen *c = &m->c.s[i];
    uint8_t a = c->aware;
    const uint8_t *ev = c->evidence;
    one(&ans[Q_AWARE_CONCEPT], 2 - (int)AW_CONCEPT(a));
    if (AW_CONCEPT(a) == CA_NONE)
        ans[Q_CONCEPT_MEANING].asked = 0; /* asked only of those aware of the concept */
    else
        one(&ans[Q_CONCEPT_MEANING], (int)AW_CCHANNEL(a));
    one(&ans[Q_AWARE_PLATFORM], 2 - (int)AW_PLATFORM(a));
    for (int lev = 0; lev < N_LEVEL; lev++) {
        answer *an = &ans[lev == LEV_CENTRAL ? Q_ATTENTION_CENTRAL : Q_ATTENTION_LOCAL];
        unsigned pos = ev[EV(lev, 0)], neg = ev[EV(lev, 1)];
        if (pos + neg == 0)
            one(an, 2); /* don't know */
        else
            two(an, 0, yes_lookup(p, yt, 0, pos, neg), 1);
    }
    /* the seven principles: evidence about both levels together, a shift each; the quality of
       appeal handling is judged from experience of the bodies that handle most appeals, the
       akimats (local_share): without local evidence (own, told, or from before the reform) the
       answer is "don't know" */
    unsigned pos = (unsigned)ev[0] + ev[2], neg = (unsigned)ev[1] + ev[3];
    int local_experience = ev[EV(LEV_LOCAL, 0)] + ev[EV(LEV_LOCAL, 1)] > 0;
    for (int q = Q_PRINCIPLE_HEAR; q <= Q_PRINCIPLE_QUALITY; q++) {
        if (pos + neg == 0 || (q == Q_PRINCIPLE_QUALITY && !local_experience))
            one(&ans[q], 2); /* don't know */
        else
            two(&ans[q], 0, yes_lookup(p, yt, 1 + q - Q_PRINCIPLE_HEAR, pos, neg), 1);
    }
    /* Table 7: the locality's outreach events the citizen heard of; those who heard of none say
       they were not contacted, or, if disengaged from public affairs, that they do not know */
    int k = tyndau_outreach_heard_of(m, i, outreach);
    if (k >= p->contact_often)
        one(&ans[Q_CONTACTED], 0);
    else if (k >= 1)
        one(&ans[Q_CONTACTED], 1);
    else
        one(&ans[Q_CONTACTED], tyndau_disengaged(c) ? 3 : 2);
}

/* Fine cells for the population sums (internal.h): every group is a union of cells. */
#define N_CELL TYNDAU_N_FINE_CELL

typedef struct {
    uint64_t sum[N_QUESTION][MAX_RESP]; /* fixed point 32.32 */
    uint64_t base[N_QUESTION];
} cell_acc;

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static tyndau_status add_rows(tyndau_model *m, int quota, double (*sim)[N_QUESTION][MAX_RESP],
                              const double (*base)[N_QUESTION], tyndau_error *err);

/* The quota sample's strata: region x settlement x sex x age. */
enum { N_STRATA = TYNDAU_N_REGION * N_SETTLEMENT * N_SEX * N_AGE };
#define QUOTA_STRATUM(region, demo) \
    ((((int)(region)*N_SETTLEMENT + (int)DEMO_SETTLEMENT(demo)) * N_SEX + (int)DEMO_SEX(demo)) * N_AGE + (int)DEMO_AGE(demo))

/* What the survey's parts share: the population's sums by thread and cell, the tables, and the
 * citizens of each block by quota stratum (so that the quota sample finds its respondents
 * without a serial pass over the population). */
struct tyndau_survey_work {
    cell_acc *acc; /* [thread][cell] */
    yes_table *yt;
    tyndau_outreach_events outreach;
    uint16_t (*in_block)[N_STRATA]; /* [block][stratum] */
};

static void survey_work_free(tyndau_survey_work *w)
{
    if (w == NULL) return;
    free(w->outreach.events);
    free(w->yt);
    free(w->acc);
    free(w->in_block);
    free(w);
}

tyndau_survey_work *tyndau_survey_begin(tyndau_model *m)
{
    tyndau_survey_work *w = tyndau_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->acc = tyndau_calloc((size_t)m->n_threads * N_CELL, sizeof *w->acc);
    w->yt = tyndau_calloc(1, sizeof *w->yt);
    w->in_block = tyndau_calloc(m->n_blocks, sizeof *w->in_block);
    /* the outreach events of every locality (outreach.c), drawn once */
    if (!w->acc || !w->yt || !w->in_block || tyndau_outreach_events_init(m, &w->outreach) != 0) {
        survey_work_free(w);
        return NULL;
    }
    yes_table_init(&m->p, w->yt);
    return w;
}

/* The whole population, in expectation: citizens [i0, i1), in thread tid. */
void tyndau_survey_part(const tyndau_model *m, tyndau_survey_work *w, int tid, size_t i0, size_t i1)
{
    const tyndau_citizens *c = &m->c;
    cell_acc *acc = &w->acc[(size_t)tid * N_CELL];
    for (size_t i = i0; i < i1; i++) {
        cell_acc *ca = &acc[tyndau_fine_cell(c->s[i].demo, c->s[i].region)];
        w->in_block[i / TYNDAU_BLOCK][QUOTA_STRATUM(c->s[i].region, c->s[i].demo)]++; /* parts are whole blocks */
        answer ans[N_QUESTION];
        answer_all(m, w->yt, &w->outreach, i, ans);
        for (int q = 0; q < N_QUESTION; q++) {
            if (!ans[q].asked) continue;
            ca->base[q]++;
            ca->sum[q][ans[q].k[0]] += ans[q].p0;
            ca->sum[q][ans[q].k[1]] += ONE - ans[q].p0;
        }
    }
}

tyndau_status tyndau_survey_end(tyndau_model *m, tyndau_survey_work *w, tyndau_error *err)
{
    const tyndau_citizens *c = &m->c;
    size_t n = c->n;
    int nt = m->n_threads;
    cell_acc *acc = w->acc;
    const yes_table *yt = w->yt;
    const tyndau_outreach_events *outreach = &w->outreach;
    double (*sim)[N_QUESTION][MAX_RESP] = tyndau_calloc(2 * TYNDAU_N_GROUP, sizeof *sim);
    double (*base)[N_QUESTION] = tyndau_calloc(2 * TYNDAU_N_GROUP, sizeof *base);
    if (!sim || !base) {
        free(sim);
        free(base);
        survey_work_free(w);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the survey");
    }
    for (int cell = 0; cell < N_CELL; cell++) {
        int age = cell % N_AGE, inc = cell / N_AGE % N_INCOME, set = cell / (N_AGE * N_INCOME) % N_SETTLEMENT;
        int sex = cell / (N_AGE * N_INCOME * N_SETTLEMENT) % N_SEX, reg = cell / (N_AGE * N_INCOME * N_SETTLEMENT * N_SEX);
        uint8_t demo = (uint8_t)(age | inc << 2 | set << 4 | sex << 5);
        int g[N_GTYPE];
        tyndau_groups_of(demo, (uint8_t)reg, g);
        /* exact integer sum over threads first, so the doubles below do not depend on them */
        cell_acc *ca = &acc[cell];
        for (int t = 1; t < nt; t++) {
            const cell_acc *ct = &acc[(size_t)t * N_CELL + (size_t)cell];
            for (int q = 0; q < N_QUESTION; q++) {
                ca->base[q] += ct->base[q];
                for (int k = 0; k < MAX_RESP; k++) ca->sum[q][k] += ct->sum[q][k];
            }
        }
        {
            for (int q = 0; q < N_QUESTION; q++) {
                if (ca->base[q] == 0) continue;
                for (int gt = 0; gt < N_GTYPE; gt++) {
                    base[g[gt]][q] += (double)ca->base[q];
                    for (int k = 0; k < questions[q].n; k++) sim[g[gt]][q][k] += (double)ca->sum[q][k] / FIX_ONE;
                }
            }
        }
    }

    /* quota sample: quotas by stratum, then simple random sampling within each */
    size_t *remaining = tyndau_calloc(N_STRATA, sizeof *remaining), *need = tyndau_calloc(N_STRATA, sizeof *need);
    size_t *first = tyndau_calloc(N_STRATA + 1, sizeof *first);
    double *wt = tyndau_calloc(N_STRATA, sizeof *wt);
    size_t sample_n = (size_t)m->p.survey_n < n ? (size_t)m->p.survey_n : n;
    size_t *rank = tyndau_calloc(sample_n, sizeof *rank), *resp = tyndau_calloc(sample_n, sizeof *resp);
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    if (!remaining || !need || !first || !wt || !rank || !resp || !r) {
        free(remaining), free(need), free(first), free(wt), free(rank), free(resp);
        free(sim), free(base);
        if (r) gsl_rng_free(r);
        survey_work_free(w);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the survey");
    }
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_SURVEY, 0), 0);
    /* stratum sizes from the population's cells (every citizen answers aware_concept) */
    for (int cell = 0; cell < N_CELL; cell++) {
        int age = cell % N_AGE, set = cell / (N_AGE * N_INCOME) % N_SETTLEMENT;
        int sex = cell / (N_AGE * N_INCOME * N_SETTLEMENT) % N_SEX, reg = cell / (N_AGE * N_INCOME * N_SETTLEMENT * N_SEX);
        remaining[QUOTA_STRATUM(reg, (uint8_t)(age | set << 4 | sex << 5))] += acc[cell].base[Q_AWARE_CONCEPT];
    }
    /* largest remainder */
    size_t given = 0;
    for (int st = 0; st < N_STRATA; st++) {
        double exact = (double)sample_n * (double)remaining[st] / (double)n;
        need[st] = (size_t)floor(exact);
        wt[st] = exact - (double)need[st];
        given += need[st];
    }
    while (given < sample_n) {
        int best = 0;
        for (int st = 1; st < N_STRATA; st++)
            if (wt[st] > wt[best]) best = st;
        need[best]++;
        wt[best] = -1.0;
        given++;
    }
    /* the ranks (0-based, within the stratum, in citizen order) of each stratum's
     * respondents: need[s] distinct of remaining[s] (Floyd's algorithm, Bentley &
     * Floyd, CACM 30(9), 1987), sorted */
    for (int st = 0; st < N_STRATA; st++) {
        first[st + 1] = first[st] + need[st];
        size_t *rk = rank + first[st], k = 0;
        for (size_t j = remaining[st] - need[st]; j < remaining[st]; j++) {
            size_t t = (size_t)gsl_rng_uniform_int(r, (unsigned long)j + 1);
            int dup = 0;
            for (size_t x = 0; x < k && !dup; x++) dup = rk[x] == t;
            rk[k++] = dup ? j : t;
        }
        qsort(rk, k, sizeof *rk, cmp_size);
    }
    /* the respondents: the citizen of each rank, found by the blocks' counts and a look inside
       the one block that holds it, then taken in citizen order */
    size_t n_resp = 0;
    for (int st = 0; st < N_STRATA; st++) {
        size_t b = 0, before = 0; /* citizens of the stratum in blocks < b */
        for (size_t x = first[st]; x < first[st + 1]; x++) {
            while (before + w->in_block[b][st] <= rank[x]) before += w->in_block[b++][st];
            size_t i = b * TYNDAU_BLOCK, left = rank[x] - before;
            for (;; i++)
                if (QUOTA_STRATUM(c->s[i].region, c->s[i].demo) == st && left-- == 0) break;
            resp[n_resp++] = i;
        }
    }
    qsort(resp, n_resp, sizeof *resp, cmp_size);
    double (*qsim)[N_QUESTION][MAX_RESP] = sim + TYNDAU_N_GROUP;
    double (*qbase)[N_QUESTION] = base + TYNDAU_N_GROUP;
    for (size_t x = 0; x < n_resp; x++) {
        size_t i = resp[x];
        int g[N_GTYPE];
        tyndau_groups_of(c->s[i].demo, c->s[i].region, g);
        answer ans[N_QUESTION];
        answer_all(m, yt, outreach, i, ans);
        for (int q = 0; q < N_QUESTION; q++) {
            if (!ans[q].asked) continue;
            uint64_t u = (uint64_t)(gsl_rng_uniform(r) * FIX_ONE); /* < ONE */
            int k = u < ans[q].p0 ? ans[q].k[0] : ans[q].k[1];
            for (int gt = 0; gt < N_GTYPE; gt++) {
                qbase[g[gt]][q] += 1.0;
                qsim[g[gt]][q][k] += 1.0;
            }
        }
    }
    free(first);
    free(rank);
    free(resp);
    gsl_rng_free(r);
    survey_work_free(w);
    free(remaining);
    free(need);
    free(wt);
    tyndau_status st = add_rows(m, 0, sim, base, err);
    if (st == TYNDAU_OK) st = add_rows(m, 1, qsim, qbase, err);
    free(sim);
    free(base);
    return st;
}

/* Respondents behind an observed cell: the group's share of the sample, times the share
 * in the question's base (for concept_meaning: those aware, as published for the group
 * when available, else as simulated). */
static double observed_n(const tyndau_model *m, int q, int g, double (*sim)[N_QUESTION][MAX_RESP],
                         const double (*base)[N_QUESTION])
{
    double n = m->p.survey_n * (double)m->group_size[g] / (double)m->c.n;
    if (q != Q_CONCEPT_MEANING) return n;
    const tyndau_target *t = m->have_targets
                                 ? tyndau_targets_find(&m->targets, "aware_concept", tyndau_gtype_names[tyndau_group_type(g)],
                                                       tyndau_group_name(g), "first_time")
                                 : NULL;
    double aware = t ? 1.0 - t->share
                     : (base[g][Q_AWARE_CONCEPT] > 0 ? 1.0 - sim[g][Q_AWARE_CONCEPT][2] / base[g][Q_AWARE_CONCEPT] : 0.0);
    return n * aware;
}

static tyndau_status add_rows(tyndau_model *m, int quota, double (*sim)[N_QUESTION][MAX_RESP],
                              const double (*base)[N_QUESTION], tyndau_error *err)
{
    size_t add = 0;
    for (int q = 0; q < N_QUESTION; q++) add += (size_t)questions[q].n * TYNDAU_N_GROUP;
    tyndau_survey_row *rows = tyndau_reallocarray(m->survey, m->n_survey + add, sizeof *rows);
    if (rows == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the survey");
    m->survey = rows;
    double (*psim)[N_QUESTION][MAX_RESP] = quota ? sim - TYNDAU_N_GROUP : sim;
    const double (*pbase)[N_QUESTION] = quota ? base - TYNDAU_N_GROUP : base;
    for (int q = 0; q < N_QUESTION; q++)
        for (int g = 0; g < TYNDAU_N_GROUP; g++)
            for (int k = 0; k < questions[q].n; k++) {
                tyndau_survey_row *row = &m->survey[m->n_survey++];
                row->question = questions[q].id;
                row->base = questions[q].base;
                row->response = questions[q].resp[k];
                row->group = g;
                row->quota = quota;
                row->simulated = base[g][q] > 0 ? 100.0 * sim[g][q][k] / base[g][q] : NAN;
                row->observed = row->lo95 = row->hi95 = NAN;
                row->inside = -1;
                row->n_base = observed_n(m, q, g, psim, pbase);
                const tyndau_target *t =
                    m->have_targets ? tyndau_targets_find(&m->targets, row->question,
                                                          tyndau_gtype_names[tyndau_group_type(g)],
                                                          tyndau_group_name(g), row->response)
                                    : NULL;
                if (t == NULL) continue;
                double lo, hi;
                tyndau_wilson95(t->share, row->n_base, &lo, &hi);
                row->observed = 100.0 * t->share;
                row->lo95 = 100.0 * lo;
                row->hi95 = 100.0 * hi;
                row->inside = row->simulated >= row->lo95 && row->simulated <= row->hi95;
            }
    return TYNDAU_OK;
}

int tyndau_survey_has_cell(const char *id, const char *reply)
{
    for (int q = 0; q < N_QUESTION; q++)
        if (strcmp(questions[q].id, id) == 0) {
            for (int k = 0; k < questions[q].n; k++)
                if (strcmp(questions[q].resp[k], reply) == 0) return 1;
            return -1;
        }
    return 0;
}
