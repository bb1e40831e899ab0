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
    free(c->demo);
    free(c->region);
    free(c->skill);
    free(c->ties);
    free(c->aware);
    free(c->news);
    free(c->problem);
    free(c->severity);
    free(c->evidence);
    free(c->contacts);
    free(c->appeals);
    free(c->bribes);
    free(c->next);
    free(c->t_problem);
    free(c->t_media);
    free(c->t_platform);
    free(c->t_contact);
    free(c->t_tell);
    memset(c, 0, sizeof *c);
}

static int citizens_alloc(tyndau_citizens *c, size_t n)
{
    c->n = n;
    c->demo = tyndau_calloc(n, 1);
    c->region = tyndau_calloc(n, 1);
    c->skill = tyndau_calloc(n, 1);
    c->ties = tyndau_calloc(n, 1);
    c->aware = tyndau_calloc(n, 1);
    c->news = tyndau_calloc(n, 1);
    c->problem = tyndau_calloc(n, 1);
    c->severity = tyndau_calloc(n, 1);
    c->evidence = tyndau_calloc(n, sizeof *c->evidence);
    c->contacts = tyndau_calloc(n, 1);
    c->appeals = tyndau_calloc(n, 1);
    c->bribes = tyndau_calloc(n, 1);
    c->next = tyndau_calloc(n, 2);
    c->t_problem = tyndau_calloc(n, 2);
    c->t_media = tyndau_calloc(n, 2);
    c->t_platform = tyndau_calloc(n, 2);
    c->t_contact = tyndau_calloc(n, 2);
    c->t_tell = tyndau_calloc(n, 2);
    return c->demo && c->region && c->skill && c->ties && c->aware && c->news && c->problem &&
                   c->severity && c->evidence && c->contacts && c->appeals && c->bribes && c->next &&
                   c->t_problem && c->t_media && c->t_platform && c->t_contact && c->t_tell
               ? 0
               : -1;
}

static uint8_t to_byte(double x)
{
    double v = floor(x * 255.0 + 0.5);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static uint8_t sat8(unsigned v) { return (uint8_t)(v > 255 ? 255 : v); }

/* Draw one citizen's attributes and first events. */
static void init_citizen(tyndau_model *m, gsl_rng *r, size_t i, int region, int rural)
{
    const tyndau_params *p = &m->p;
    tyndau_citizens *c = &m->c;
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
    double lo = p_low(p, m->intercept_low, rural, age == AGE_61P), hi = p_high(p, lo);
    u = gsl_rng_uniform(r);
    int income = u < lo ? INC_LOW : u < lo + hi ? INC_HIGH : INC_MIDDLE;
    int digital = DIG_NONE;
    if (gsl_rng_uniform(r) < logistic(digital_logit(p, m->intercept_internet, age, income, rural)))
        digital = gsl_rng_uniform(r) < logistic(digital_logit(p, m->intercept_egov, age, income, rural))
                      ? DIG_EGOV
                      : DIG_INTERNET;
    c->demo[i] = (uint8_t)(age | income << 2 | rural << 4 | sex << 5 | digital << 6);
    c->region[i] = (uint8_t)region;
    double mean = digital == DIG_EGOV ? p->skill_mean_egov
                  : digital == DIG_INTERNET ? p->skill_mean_internet
                                            : p->skill_mean_offline;
    c->skill[i] = to_byte(gsl_ran_beta(r, mean * p->skill_concentration, (1.0 - mean) * p->skill_concentration));
    /* ties: 1 + NegBin with mean ties_mean - 1 (gsl: mean n(1-q)/q) */
    unsigned ties = 1;
    if (p->ties_mean > 1.0) {
        double nb = p->ties_dispersion, q = nb / (nb + p->ties_mean - 1.0);
        ties += gsl_ran_negative_binomial(r, q, nb);
    }
    if (ties > (unsigned)p->ties_max) ties = (unsigned)p->ties_max;
    c->ties[i] = (uint8_t)ties;
    for (int lev = 0; lev < N_LEVEL; lev++) {
        double mu = p->prior_evidence * (age == AGE_61P ? 1.5 : 1.0);
        unsigned n = gsl_ran_poisson(r, mu);
        double trust = lev == LEV_CENTRAL ? p->prior_trust_central : p->prior_trust_local;
        unsigned pos = n ? gsl_ran_binomial(r, trust, n) : 0;
        c->evidence[i][EV(lev, 0)] = sat8(pos);
        c->evidence[i][EV(lev, 1)] = sat8(n - pos);
    }
    int full = gsl_rng_uniform(r) < p->init_aware_full;
    c->aware[i] = AW_MAKE(full ? CA_FULL : CA_NONE, CC_OTHER, PA_NONE);
    /* first events */
    int n_days = m->n_days;
    size_t n1 = (size_t)n_days + 1;
    double rate = m->problem_rate[income == INC_LOW][rural][age == AGE_61P];
    double t = rate > 0 ? gsl_ran_exponential(r, 1.0) / rate : INFINITY;
    c->t_problem[i] = t < (double)n_days ? (uint16_t)t : TYNDAU_NEVER;
    int cls = (digital != DIG_NONE) * N_AGE + age;
    c->t_media[i] = tyndau_next_from_table(m->lam_media + (size_t)cls * n1, n_days, -1, gsl_ran_exponential(r, 1.0));
    c->t_platform[i] = tyndau_next_from_table(m->lam_platform, n_days, -1, gsl_ran_exponential(r, 1.0));
    c->t_contact[i] = tyndau_next_from_table(m->lam_contact + (size_t)rural * n1, n_days, -1,
                                             gsl_ran_exponential(r, 1.0));
    c->t_tell[i] = TYNDAU_NEVER;
    uint16_t nx = c->t_problem[i];
    if (c->t_media[i] < nx) nx = c->t_media[i];
    if (c->t_platform[i] < nx) nx = c->t_platform[i];
    if (c->t_contact[i] < nx) nx = c->t_contact[i];
    c->next[i] = nx;
}

tyndau_status tyndau_population_init(tyndau_model *m, tyndau_error *err)
{
    const tyndau_params *p = &m->p;
    size_t n = m->c.n;
    if (citizens_alloc(&m->c, n) != 0)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for %zu citizens", n);

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
    for (int lo = 0; lo < 2; lo++)
        for (int ru = 0; ru < 2; ru++)
            for (int old = 0; old < 2; old++)
                m->problem_rate[lo][ru][old] = p->problem_rate / 365.25 * (lo ? p->problem_mult_low_income : 1.0) *
                                               (ru ? p->problem_mult_rural : 1.0) *
                                               (old ? p->problem_mult_61plus : 1.0);

    /* attributes, block by block: block b draws from its own init stream */
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(| : bad)
    for (size_t b = 0; b < m->n_blocks; b++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        if (r == NULL) {
            bad = 1;
            continue;
        }
        gsl_rng_set(r, m->init_seed[b]);
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
