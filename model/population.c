/*
 * population.c - the synthetic adult population (MODEL_BRIEF s1).
 *
 * Citizens are laid out cell by cell (region x settlement, largest-remainder
 * allocation of the agents to the regions' adult populations), then each
 * block of TYNDAU_BLOCK citizens draws its members' attributes from its own
 * RNG stream.  Shares that are sourced nationally (low income, internet, full
 * eGov) are matched exactly in expectation: the intercept of each logistic
 * model is solved against the population's composition, and only the odds
 * ratios are assumptions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "internal.h"
#include "regions.h"

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Composition of the population used to solve intercepts: weights over
 * (age, rural) assuming age independent of settlement. */
typedef struct {
    double age[N_AGE];
    double rural;
} composition;

static double p_low(const tyndau_params *p, double a, int rural, int old)
{
    return logistic(a + (rural ? log(p->income_low_odds_rural) : 0.0) +
                    (old ? log(p->income_low_odds_61plus) : 0.0));
}

static double p_high(const tyndau_params *p, double plow)
{
    double h = p->income_low_share < 1.0 ? p->income_high_share / (1.0 - p->income_low_share) : 0.0;
    return h * (1.0 - plow);
}

static double digital_logit(const tyndau_params *p, double c, int age, int income, int rural)
{
    double x = c;
    if (rural) x += log(p->digital_odds_rural);
    if (age == AGE_46_60) x += log(p->digital_odds_46_60);
    if (age == AGE_61P) x += log(p->digital_odds_61plus);
    if (income == INC_LOW) x += log(p->digital_odds_low_income);
    if (income == INC_HIGH) x -= log(p->digital_odds_low_income);
    return x;
}

typedef enum { SOLVE_LOW, SOLVE_INTERNET, SOLVE_EGOV } solve_kind;

/* Expected national share for an intercept x (given the intercepts already solved). */
static double expected_share(const tyndau_model *m, const composition *w, solve_kind k, double x)
{
    const tyndau_params *p = &m->p;
    double total = 0.0;
    for (int a = 0; a < N_AGE; a++)
        for (int r = 0; r < 2; r++) {
            double wr = w->age[a] * (r ? w->rural : 1.0 - w->rural);
            double lo = p_low(p, k == SOLVE_LOW ? x : m->intercept_low, r, a == AGE_61P);
            if (k == SOLVE_LOW) {
                total += wr * lo;
                continue;
            }
            double hi = p_high(p, lo);
            double pinc[N_INCOME] = {lo, 1.0 - lo - hi, hi};
            for (int i = 0; i < N_INCOME; i++) {
                double pi = logistic(digital_logit(p, k == SOLVE_INTERNET ? x : m->intercept_internet, a, i, r));
                double pe = k == SOLVE_EGOV ? logistic(digital_logit(p, x, a, i, r)) : 1.0;
                total += wr * pinc[i] * pi * pe;
            }
        }
    return total;
}

/* Intercept giving the target share; +-inf for shares of exactly 1 or 0 so that
 * degenerate parameters give exact results. */
static double solve_intercept(const tyndau_model *m, const composition *w, solve_kind k, double target)
{
    if (target <= 0.0) return -INFINITY;
    if (target >= 1.0) return INFINITY;
    double lo = -60.0, hi = 60.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (expected_share(m, w, k, mid) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Largest-remainder allocation of n items to weights (deterministic). */
static void allocate(size_t n, const double *w, int k, size_t *out)
{
    double sum = 0.0;
    for (int i = 0; i < k; i++) sum += w[i];
    size_t given = 0;
    double rem[2 * TYNDAU_N_REGION + 8];
    for (int i = 0; i < k; i++) {
        double exact = sum > 0 ? (double)n * w[i] / sum : 0.0;
        out[i] = (size_t)floor(exact);
        rem[i] = exact - (double)out[i];
        given += out[i];
    }
    while (given < n) {
        int best = 0;
        for (int i = 1; i < k; i++)
            if (rem[i] > rem[best]) best = i;
        out[best]++;
        rem[best] = -1.0;
        given++;
    }
}

void tyndau_citizens_free(tyndau_citizens *c)
{
    free(c->s);
    free(c->next);
    memset(c, 0, sizeof *c);
}

static int citizens_alloc(tyndau_citizens *c, size_t n)
{
    c->n = n;
    size_t bytes = n * sizeof *c->s;
    if (n > SIZE_MAX / sizeof *c->s - 1) return -1;
    bytes = (bytes + 63) / 64 * 64; /* aligned_alloc wants a multiple of the alignment */
    /* not cleared here: init_citizen writes every byte, in parallel, so that the
     * pages are first touched by the threads that will use them */
    c->s = aligned_alloc(64, bytes);
    c->next = malloc(n * sizeof *c->next);
    return c->s == NULL || c->next == NULL ? -1 : 0;
}

/* Table of P(round(255 X) = k), k = 0..255, for X ~ Beta with the given mean and
 * concentration: the exact distribution of a skill or severity byte. */
static gsl_ran_discrete_t *byte_beta_table(double mean, double conc)
{
    double a = mean * conc, b = (1.0 - mean) * conc, pmf[256], prev = 0.0;
    for (int k = 0; k < 256; k++) {
        double cdf = k == 255 ? 1.0 : gsl_cdf_beta_P((k + 0.5) / 255.0, a, b);
        pmf[k] = cdf - prev;
        if (pmf[k] < 0.0) pmf[k] = 0.0;
        prev = cdf;
    }
    return gsl_ran_discrete_preproc(256, pmf);
}

/* Poisson(mu) on 0..255 with the tail folded into 255 (evidence is a byte). */
static gsl_ran_discrete_t *poisson_table(double mu)
{
    double pmf[256], sum = 0.0;
    for (unsigned k = 0; k < 255; k++) sum += (pmf[k] = gsl_ran_poisson_pdf(k, mu));
    pmf[255] = sum < 1.0 ? 1.0 - sum : 0.0;
    return gsl_ran_discrete_preproc(256, pmf);
}

/* ties - 1 ~ negative binomial with mean ties_mean - 1 (size ties_dispersion), the
 * tail folded into ties_max - 1. */
static gsl_ran_discrete_t *ties_table(const tyndau_params *p)
{
    int kmax = p->ties_max - 1;
    double *pmf = tyndau_calloc((size_t)kmax + 1, sizeof *pmf), sum = 0.0;
    if (pmf == NULL) return NULL;
    double mu = p->ties_mean - 1.0, nb = p->ties_dispersion, q = nb / (nb + mu);
    for (int k = 0; k < kmax; k++) sum += (pmf[k] = mu > 0 ? gsl_ran_negative_binomial_pdf((unsigned)k, q, nb) : k == 0);
    pmf[kmax] = sum < 1.0 ? 1.0 - sum : 0.0;
    gsl_ran_discrete_t *t = gsl_ran_discrete_preproc((size_t)kmax + 1, pmf);
    free(pmf);
    return t;
}

tyndau_status tyndau_population_tables(tyndau_model *m, tyndau_error *err)
{
    const tyndau_params *p = &m->p;
    const double skill[N_DIGITAL] = {p->skill_mean_offline, p->skill_mean_internet, p->skill_mean_egov};
    for (int d = 0; d < N_DIGITAL; d++) m->skill_table[d] = byte_beta_table(skill[d], p->skill_concentration);
    m->severity_table = byte_beta_table(p->severity_mean, p->severity_concentration);
    m->ties_table = ties_table(p);
    m->prior_table[0] = poisson_table(p->prior_evidence);
    m->prior_table[1] = poisson_table(p->prior_evidence * p->prior_evidence_61plus);
    for (int d = 0; d < N_DIGITAL; d++)
        if (m->skill_table[d] == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (!m->severity_table || !m->ties_table || !m->prior_table[0] || !m->prior_table[1])
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    return TYNDAU_OK;
}

/* Draw one citizen's attributes and first events. */
static void init_citizen(tyndau_model *m, gsl_rng *r, size_t i, int region, int rural)
{
    const tyndau_params *p = &m->p;
    tyndau_citizens *c = &m->c;
    memset(&c->s[i], 0, sizeof c->s[i]);
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_CITIZEN_INIT, i), 0);
    double u = gsl_rng_uniform(r);
    int age = AGE_61P;
    double cum = 0.0;
    const double shares[3] = {p->age_share_18_29, p->age_share_30_45, p->age_share_46_60};
    for (int a = 0; a < 3; a++) {
        cum += shares[a];
        if (u < cum) {
            age = a;
            break;
        }
    }
    int sex = gsl_rng_uniform(r) < p->male_share ? SEX_MALE : SEX_FEMALE;
    double lo = m->p_low[rural][age == AGE_61P], hi = m->p_high[rural][age == AGE_61P];
    u = gsl_rng_uniform(r);
    int income = u < lo ? INC_LOW : u < lo + hi ? INC_HIGH : INC_MIDDLE;
    int digital = DIG_NONE;
    if (gsl_rng_uniform(r) < m->p_internet[age][income][rural])
        digital = gsl_rng_uniform(r) < m->p_egov[age][income][rural] ? DIG_EGOV : DIG_INTERNET;
    c->s[i].demo = (uint8_t)(age | income << 2 | rural << 4 | sex << 5 | digital << 6);
    c->s[i].region = (uint8_t)region;
    c->s[i].skill = (uint8_t)gsl_ran_discrete(r, m->skill_table[digital]);
    c->s[i].ties = (uint8_t)(1 + gsl_ran_discrete(r, m->ties_table));
    int engaged = gsl_rng_uniform(r) >= p->prior_disengaged;
    c->s[i].disengaged = (uint8_t)!engaged;
    for (int lev = 0; lev < N_LEVEL; lev++) {
        unsigned n = engaged ? (unsigned)gsl_ran_discrete(r, m->prior_table[age == AGE_61P]) : 0;
        double trust = lev == LEV_CENTRAL ? p->prior_trust_central : p->prior_trust_local;
        unsigned pos = n ? gsl_ran_binomial(r, trust, n) : 0;
        c->s[i].evidence[EV(lev, 0)] = (uint8_t)pos;
        c->s[i].evidence[EV(lev, 1)] = (uint8_t)(n - pos);
    }
    int full = gsl_rng_uniform(r) < p->init_aware_full;
    c->s[i].aware = AW_MAKE(full ? CA_FULL : CA_NONE, CC_OTHER, PA_NONE);
    /* first events */
    int n_days = m->n_days;
    size_t n1 = (size_t)n_days + 1;
    double rate = m->problem_rate[income == INC_LOW][rural][age == AGE_61P];
    double t = rate > 0 ? gsl_ran_exponential(r, 1.0) / rate : INFINITY;
    c->s[i].t_problem = t < (double)n_days ? (uint16_t)t : TYNDAU_NEVER;
    int cls = tyndau_media_class(c->s[i].demo);
    c->s[i].t_media = tyndau_next_from_table(m->lam_media + (size_t)cls * n1, n_days, -1, gsl_ran_exponential(r, 1.0));
    c->s[i].t_platform = tyndau_next_from_table(m->lam_platform, n_days, -1, gsl_ran_exponential(r, 1.0));
    c->s[i].t_contact = tyndau_next_from_table(m->lam_contact + (size_t)rural * n1, n_days, -1,
                                             gsl_ran_exponential(r, 1.0));
    c->s[i].t_tell = TYNDAU_NEVER;
    c->s[i].t_retry = TYNDAU_NEVER;
    uint16_t nx = c->s[i].t_problem;
    if (c->s[i].t_media < nx) nx = c->s[i].t_media;
    if (c->s[i].t_platform < nx) nx = c->s[i].t_platform;
    if (c->s[i].t_contact < nx) nx = c->s[i].t_contact;
    c->next[i] = nx;
}

tyndau_status tyndau_population_init(tyndau_model *m, tyndau_error *err)
{
    const tyndau_params *p = &m->p;
    size_t n = m->c.n;
    if (citizens_alloc(&m->c, n) != 0)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for %zu citizens", n);
    if (tyndau_population_tables(m, err) != TYNDAU_OK) return err ? err->status : TYNDAU_EINTERNAL;

    /* cells */
    double w[2 * TYNDAU_N_REGION], popsum = 0.0, rural = 0.0;
    for (int r = 0; r < TYNDAU_N_REGION; r++) {
        w[2 * r + SET_URBAN] = tyndau_regions[r].population * tyndau_regions[r].urban;
        w[2 * r + SET_RURAL] = tyndau_regions[r].population * (1.0 - tyndau_regions[r].urban);
        popsum += tyndau_regions[r].population;
        rural += w[2 * r + SET_RURAL];
    }
    size_t cnt[2 * TYNDAU_N_REGION];
    allocate(n, w, 2 * TYNDAU_N_REGION, cnt);
    m->cell_start[0] = 0;
    for (int k = 0; k < 2 * TYNDAU_N_REGION; k++) m->cell_start[k + 1] = m->cell_start[k] + cnt[k];

    /* intercepts */
    composition comp;
    comp.age[AGE_18_29] = p->age_share_18_29;
    comp.age[AGE_30_45] = p->age_share_30_45;
    comp.age[AGE_46_60] = p->age_share_46_60;
    comp.age[AGE_61P] = 1.0 - p->age_share_18_29 - p->age_share_30_45 - p->age_share_46_60;
    comp.rural = rural / popsum;
    m->intercept_low = solve_intercept(m, &comp, SOLVE_LOW, p->income_low_share);
    m->intercept_internet = solve_intercept(m, &comp, SOLVE_INTERNET, p->internet_share);
    m->intercept_egov = p->internet_share > 0
                            ? solve_intercept(m, &comp, SOLVE_EGOV, p->egov_share)
                            : -INFINITY;
    /* the cell probabilities the intercepts imply, once (not per citizen) */
    for (int ru = 0; ru < 2; ru++)
        for (int old = 0; old < 2; old++) {
            m->p_low[ru][old] = p_low(p, m->intercept_low, ru, old);
            m->p_high[ru][old] = p_high(p, m->p_low[ru][old]);
        }
    for (int a = 0; a < N_AGE; a++)
        for (int inc = 0; inc < N_INCOME; inc++)
            for (int ru = 0; ru < 2; ru++) {
                m->p_internet[a][inc][ru] = logistic(digital_logit(p, m->intercept_internet, a, inc, ru));
                m->p_egov[a][inc][ru] = logistic(digital_logit(p, m->intercept_egov, a, inc, ru));
            }
    for (int lo = 0; lo < 2; lo++)
        for (int ru = 0; ru < 2; ru++)
            for (int old = 0; old < 2; old++)
                m->problem_rate[lo][ru][old] = p->problem_rate / 365.25 * (lo ? p->problem_mult_low_income : 1.0) *
                                               (ru ? p->problem_mult_rural : 1.0) *
                                               (old ? p->problem_mult_61plus : 1.0);


    /* attributes, block by block; each citizen draws from its own stream */
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(| : bad)
    for (size_t b = 0; b < m->n_blocks; b++) {
        gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
        if (r == NULL) {
            bad = 1;
            continue;
        }
        size_t i0 = b * TYNDAU_BLOCK, i1 = i0 + TYNDAU_BLOCK < n ? i0 + TYNDAU_BLOCK : n;
        int k = 0;
        while (m->cell_start[k + 1] <= i0) k++;
        for (size_t i = i0; i < i1; i++) {
            while (m->cell_start[k + 1] <= i) k++;
            init_citizen(m, r, i, k / 2, k % 2);
        }
        gsl_rng_free(r);
    }
    if (bad) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the initial RNG streams");
    return TYNDAU_OK;
}
