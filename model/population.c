/*
 * population.c - the synthetic adult population (MODEL_BRIEF s1).
 *
 * Citizens are laid out cell by cell (region x settlement, largest-remainder
 * allocation of the agents to the regions' adult populations) and, within a cell,
 * stratum by stratum (age band x income group x education, STRATUM order), each
 * stratum's size the largest-remainder allocation of the cell's agents to the
 * stratum's expected share.  The strata make the population's group shares exact
 * and let ties find a member of a given age band and income group in O(1)
 * (ties.c).  Then each citizen draws its other attributes from its own creation
 * stream.  Shares that are sourced nationally (education, low and high income,
 * internet, full eGov, disengagement) are matched in expectation: the intercept of
 * each logistic model is solved against the population's composition, and only the
 * odds ratios are assumptions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "internal.h"
#include "regions.h"

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ln_or(double odds_ratio) { return log(odds_ratio); }

/* Composition used to solve intercepts: age shares and the rural share, age
 * independent of settlement. */
typedef struct {
    double age[N_AGE];
    double rural;
} composition;

/* Shift of the cumulative logit of education for (age, rural). */
static double edu_shift(const tyndau_params *p, int age, int rural)
{
    return (rural ? ln_or(p->edu_odds_rural) : 0.0) + (age == AGE_18_29 ? ln_or(p->edu_odds_18_29) : 0.0) +
           (age == AGE_61P ? ln_or(p->edu_odds_61plus) : 0.0);
}

/* P(education = e | age, rural) for cut points c[0] (vocational or higher), c[1] (higher). */
static double p_edu(const tyndau_params *p, const double c[2], int age, int rural, int e)
{
    double x = edu_shift(p, age, rural);
    double ge1 = logistic(c[0] + x), ge2 = logistic(c[1] + x);
    if (ge2 > ge1) ge2 = ge1; /* cut points out of order only when a target share is 0 */
    return e == EDU_HIGHER ? ge2 : e == EDU_VOCATIONAL ? ge1 - ge2 : 1.0 - ge1;
}

static double p_low(const tyndau_params *p, double a, int age, int rural, int e)
{
    return logistic(a + (rural ? ln_or(p->income_low_odds_rural) : 0.0) +
                    (age == AGE_61P ? ln_or(p->income_low_odds_61plus) : 0.0) + ln_or(p->income_low_odds_edu) * (e - 1));
}

/* P(high | not low, education) */
static double p_high_given(const tyndau_params *p, double b, int e)
{
    return logistic(b + ln_or(p->income_high_odds_edu) * (e - 1));
}

static double digital_logit(const tyndau_params *p, double c, int age, int income, int edu, int rural)
{
    double x = c;
    if (rural) x += log(p->digital_odds_rural);
    if (age == AGE_46_60) x += log(p->digital_odds_46_60);
    if (age == AGE_61P) x += log(p->digital_odds_61plus);
    if (income == INC_LOW) x += log(p->digital_odds_low_income);
    if (income == INC_HIGH) x -= log(p->digital_odds_low_income);
    x += log(p->digital_odds_edu) * (edu - 1);
    return x;
}

typedef enum { SOLVE_EDU1, SOLVE_EDU2, SOLVE_LOW, SOLVE_HIGH, SOLVE_INTERNET, SOLVE_EGOV } solve_kind;

/* P(age, income, education | rural) with the intercepts solved so far and the one being solved
 * (kind k at value x) in place. */
static void strata(const tyndau_model *m, const double cut[2], double a_low, double b_high, int age, int rural,
                   double out[N_INCOME][N_EDU])
{
    const tyndau_params *p = &m->p;
    for (int e = 0; e < N_EDU; e++) {
        double pe = p_edu(p, cut, age, rural, e), lo = p_low(p, a_low, age, rural, e);
        double hi = (1.0 - lo) * p_high_given(p, b_high, e);
        out[INC_LOW][e] = pe * lo;
        out[INC_HIGH][e] = pe * hi;
        out[INC_MIDDLE][e] = pe * (1.0 - lo - hi);
    }
}

/* Expected national share for intercept x of kind k (given the intercepts already solved). */
static double expected_share(const tyndau_model *m, const composition *w, solve_kind k, double x)
{
    const tyndau_params *p = &m->p;
    double cut[2] = {m->edu_cut[0], m->edu_cut[1]};
    double a_low = m->intercept_low, b_high = m->intercept_high;
    if (k == SOLVE_EDU1) cut[0] = x, cut[1] = -INFINITY;
    if (k == SOLVE_EDU2) cut[1] = x;
    if (k == SOLVE_LOW) a_low = x;
    if (k == SOLVE_HIGH) b_high = x;
    double total = 0.0;
    for (int a = 0; a < N_AGE; a++)
        for (int r = 0; r < 2; r++) {
            double wr = w->age[a] * (r ? w->rural : 1.0 - w->rural);
            if (k == SOLVE_EDU1 || k == SOLVE_EDU2) {
                total += wr * (k == SOLVE_EDU1 ? 1.0 - p_edu(p, cut, a, r, EDU_SECONDARY) : p_edu(p, cut, a, r, EDU_HIGHER));
                continue;
            }
            double s[N_INCOME][N_EDU];
            strata(m, cut, a_low, b_high, a, r, s);
            for (int y = 0; y < N_INCOME; y++)
                for (int e = 0; e < N_EDU; e++) {
                    if (k == SOLVE_LOW) {
                        if (y == INC_LOW) total += wr * s[y][e];
                        continue;
                    }
                    if (k == SOLVE_HIGH) {
                        if (y == INC_HIGH) total += wr * s[y][e];
                        continue;
                    }
                    double pi = logistic(digital_logit(p, k == SOLVE_INTERNET ? x : m->intercept_internet, a, y, e, r));
                    double pe = k == SOLVE_EGOV ? logistic(digital_logit(p, x, a, y, e, r)) : 1.0;
                    total += wr * s[y][e] * pi * pe;
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

/* Largest-remainder allocation of n items to k weights (deterministic; ties to the first). */
static void allocate(size_t n, const double *w, int k, size_t *out)
{
    double sum = 0.0;
    for (int i = 0; i < k; i++) sum += w[i];
    size_t given = 0;
    double rem[2 * TYNDAU_N_REGION + N_STRATUM];
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
    memset(c, 0, sizeof *c);
}

#define HUGE_PAGE ((size_t)2 << 20)

static int citizens_alloc(tyndau_citizens *c, size_t n)
{
    c->n = n;
    size_t bytes = n * sizeof *c->s;
    if (n > SIZE_MAX / sizeof *c->s - 1) return -1;
    /* Records are read at random (the day's due citizens, messages' targets): with 4 KiB
     * pages nearly every such read also misses the TLB, so a large array asks for huge pages
     * (transparent huge pages, where the system grants them; a hint, not a requirement). */
    size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : 64;
    bytes = (bytes + align - 1) / align * align; /* aligned_alloc wants a multiple of the alignment */
    /* not cleared here: init_citizen writes every byte, in parallel, so that the
     * pages are first touched by the threads that will use them */
    c->s = aligned_alloc(align, bytes);
#ifdef MADV_HUGEPAGE
    if (c->s != NULL && align == HUGE_PAGE) (void)madvise(c->s, bytes, MADV_HUGEPAGE);
#endif
    return c->s == NULL ? -1 : 0;
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

/* ties - 1 ~ negative binomial with mean `mean` - 1 (size ties_dispersion), the tail folded
 * into ties_max - 1. */
static gsl_ran_discrete_t *ties_table(const tyndau_params *p, double mean)
{
    int kmax = p->ties_max - 1;
    double *pmf = tyndau_calloc((size_t)kmax + 1, sizeof *pmf), sum = 0.0;
    if (pmf == NULL) return NULL;
    double mu = mean - 1.0, nb = p->ties_dispersion, q = nb / (nb + mu);
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
    m->ties_table[0] = ties_table(p, p->ties_mean);
    m->ties_table[1] = ties_table(p, 1.0 + (p->ties_mean - 1.0) * p->ties_61plus_ratio);
    /* prior evidence: n ~ Poisson(mu) pieces, each positive with probability `trust`, i.e. the
       positive and the negative counts independent Poisson(mu trust) and Poisson(mu (1 - trust))
       (thinning), drawn from one table each */
    for (int lev = 0; lev < N_LEVEL; lev++) {
        double trust = lev == LEV_CENTRAL ? p->prior_trust_central : p->prior_trust_local;
        for (int old = 0; old < 2; old++) {
            double mu = p->prior_evidence * (old ? p->prior_evidence_61plus : 1.0);
            m->prior_table[lev][old][0] = poisson_table(mu * trust);
            m->prior_table[lev][old][1] = poisson_table(mu * (1.0 - trust));
        }
    }
    for (int d = 0; d < N_DIGITAL; d++)
        if (m->skill_table[d] == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (!m->severity_table || !m->ties_table[0] || !m->ties_table[1])
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (int k = 0; k < N_LEVEL * 2 * 2; k++)
        if ((&m->prior_table[0][0][0])[k] == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    return TYNDAU_OK;
}

/* Mean political involvement of (age, education): the group's offset from 30-45 and vocational. */
static double involvement_mean(const tyndau_params *p, int age, int edu)
{
    const double by_age[N_AGE] = {p->involvement_age_18_29, 0.0, p->involvement_age_46_60, p->involvement_age_61plus};
    return by_age[age] + p->involvement_edu * (edu - 1);
}

/* Standard-normal quantile of bucket b's lower edge (b = 0..256). */
static double bucket_edge(int b)
{
    return b <= 0 ? -INFINITY : b >= 256 ? INFINITY : gsl_cdf_ugaussian_Pinv(b / 256.0);
}

/* The involvement model: the threshold below which a citizen is disengaged (the national share
 * prior_disengaged) and the reception multipliers of every (age, education, bucket), of television and
 * the news and of social media, each normalised
 * to mean 1 over the national composition w[age][edu].  A bucket stands for the mean of the
 * standard normal within it, E[e | bucket] = 256 (phi(lower) - phi(upper)). */
static void involvement_tables(tyndau_model *m, const double w[N_AGE][N_EDU])
{
    const tyndau_params *p = &m->p;
    double target = p->prior_disengaged, lo = -60.0, hi = 60.0;
    if (target <= 0.0)
        m->involvement_cut = -INFINITY;
    else if (target >= 1.0)
        m->involvement_cut = INFINITY;
    else {
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi), share = 0.0;
            for (int a = 0; a < N_AGE; a++)
                for (int e = 0; e < N_EDU; e++) share += w[a][e] * gsl_cdf_ugaussian_P(mid - involvement_mean(p, a, e));
            if (share < target)
                lo = mid;
            else
                hi = mid;
        }
        m->involvement_cut = 0.5 * (lo + hi);
    }
    double centre[256];
    for (int b = 0; b < 256; b++) {
        double zl = bucket_edge(b), zh = bucket_edge(b + 1);
        double fl = isinf(zl) ? 0.0 : gsl_ran_ugaussian_pdf(zl), fh = isinf(zh) ? 0.0 : gsl_ran_ugaussian_pdf(zh);
        centre[b] = 256.0 * (fl - fh);
    }
    /* television and the news at reception_scale, social media at reception_social times it */
    for (int kind = 0; kind < 2; kind++) {
        double s = p->reception_scale * (kind ? p->reception_social : 1.0), mean = 0.0;
        float(*out)[N_EDU][256] = kind ? m->reception_soc : m->reception;
        for (int a = 0; a < N_AGE; a++)
            for (int e = 0; e < N_EDU; e++)
                for (int b = 0; b < 256; b++) mean += w[a][e] / 256.0 * exp(s * (involvement_mean(p, a, e) + centre[b]));
        for (int a = 0; a < N_AGE; a++)
            for (int e = 0; e < N_EDU; e++)
                for (int b = 0; b < 256; b++)
                    out[a][e][b] = s == 0.0 ? 1.0f : (float)(exp(s * (involvement_mean(p, a, e) + centre[b])) / mean);
    }
}

/* What the citizens of one stratum of one cell share. */
typedef struct {
    int region, rural, age, income, edu, old;
    double p_internet, p_egov, engaged_u, problem_rate;
} stratum_of;

static stratum_of stratum_at(const tyndau_model *m, int cell, int stratum)
{
    stratum_of st;
    st.region = cell / 2;
    st.rural = cell % 2;
    st.age = stratum / (N_INCOME * N_EDU);
    st.income = stratum / N_EDU % N_INCOME;
    st.edu = stratum % N_EDU;
    st.old = st.age == AGE_61P;
    st.p_internet = m->p_internet[st.age][st.income][st.edu][st.rural];
    st.p_egov = m->p_egov[st.age][st.income][st.edu][st.rural];
    st.engaged_u = m->engaged_u[st.age][st.edu];
    st.problem_rate = m->problem_rate[st.income == INC_LOW][st.rural][st.old];
    return st;
}

/* Draw citizen i's attributes (its stratum given) and first events, from its creation stream. */
static void init_citizen(tyndau_model *m, tyndau_ctr_state *r, size_t i, const stratum_of *st)
{
    const tyndau_params *p = &m->p;
    tyndau_citizen *c = &m->c.s[i];
    int age = st->age, income = st->income, rural = st->rural, edu = st->edu, old = st->old;
    memset(c, 0, sizeof *c);
    r->key = tyndau_mix64(m->key_init ^ (uint64_t)i); /* tyndau_key(seed, KEY_CITIZEN_INIT, i) */
    r->pos = 0;
    int sex = tyndau_ctr_uniform(r) < p->male_share ? SEX_MALE : SEX_FEMALE;
    int digital = DIG_NONE;
    if (tyndau_ctr_uniform(r) < st->p_internet) digital = tyndau_ctr_uniform(r) < st->p_egov ? DIG_EGOV : DIG_INTERNET;
    c->demo = (uint8_t)(age | income << 2 | rural << 4 | sex << 5 | digital << 6);
    c->region = (uint8_t)st->region;
    c->skill = (uint8_t)tyndau_ctr_discrete(r, m->skill_table[digital]);
    c->ties = (uint8_t)(1 + tyndau_ctr_discrete(r, m->ties_table[old]));
    /* political involvement: its quantile u, whose bucket is kept; disengaged below the
       threshold, mean(age, edu) + Phi^-1(u) < involvement_cut, i.e. u < engaged_u */
    double u;
    do u = tyndau_ctr_uniform(r);
    while (u == 0.0);
    int bucket = (int)(u * 256.0);
    c->attention = (uint8_t)(bucket > 255 ? 255 : bucket);
    int engaged = u >= st->engaged_u;
    c->flags = (uint8_t)((engaged ? 0u : FL_DISENGAGED) | (unsigned)edu << 1);
    if (engaged)
        for (int lev = 0; lev < N_LEVEL; lev++) {
            c->evidence[EV(lev, 0)] = (uint8_t)tyndau_ctr_discrete(r, m->prior_table[lev][old][0]);
            c->evidence[EV(lev, 1)] = (uint8_t)tyndau_ctr_discrete(r, m->prior_table[lev][old][1]);
        }
    int full = tyndau_ctr_uniform(r) < p->init_aware_full;
    c->aware = AW_MAKE(full ? CA_FULL : CA_NONE, CC_OTHER, PA_NONE);
    /* first events; the media at the citizen's reception multipliers */
    int n_days = m->n_days;
    double rate = st->problem_rate;
    double t = rate > 0 ? tyndau_zig_exp(&m->zig, r) / rate : INFINITY;
    c->t_problem = t < (double)n_days ? (uint16_t)t : TYNDAU_NEVER;
    double rec = tyndau_reception(m, c);
    double e1 = tyndau_zig_exp(&m->zig, r), e2 = tyndau_zig_exp(&m->zig, r);
    c->t_media = tyndau_next_media(m, c, -1, e1);
    c->t_platform = rec > 0 ? tyndau_next_from_index(&m->iplatform, -1, e2 / rec) : TYNDAU_NEVER;
    double e3 = tyndau_zig_exp(&m->zig, r);
    c->t_portal = digital == DIG_EGOV ? tyndau_next_from_index(&m->iportal, -1, e3) : TYNDAU_NEVER;
    c->t_tell = TYNDAU_NEVER;
    c->t_retry = TYNDAU_NEVER;
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

    /* intercepts, in the order each needs the ones before */
    composition comp;
    comp.age[AGE_18_29] = p->age_share_18_29;
    comp.age[AGE_30_45] = p->age_share_30_45;
    comp.age[AGE_46_60] = p->age_share_46_60;
    comp.age[AGE_61P] = 1.0 - p->age_share_18_29 - p->age_share_30_45 - p->age_share_46_60;
    comp.rural = rural / popsum;
    m->edu_cut[1] = -INFINITY;
    m->edu_cut[0] = solve_intercept(m, &comp, SOLVE_EDU1, p->edu_share_vocational + p->edu_share_higher);
    m->edu_cut[1] = solve_intercept(m, &comp, SOLVE_EDU2, p->edu_share_higher);
    m->intercept_high = 0.0;
    m->intercept_low = solve_intercept(m, &comp, SOLVE_LOW, p->income_low_share);
    m->intercept_high = solve_intercept(m, &comp, SOLVE_HIGH, p->income_high_share);
    m->intercept_internet = solve_intercept(m, &comp, SOLVE_INTERNET, p->internet_share);
    m->intercept_egov = p->internet_share > 0 ? solve_intercept(m, &comp, SOLVE_EGOV, p->egov_share) : -INFINITY;
    /* what the intercepts imply, once (not per citizen) */
    double national[N_AGE][N_EDU] = {{0}};
    for (int ru = 0; ru < 2; ru++)
        for (int a = 0; a < N_AGE; a++) {
            double s[N_INCOME][N_EDU];
            strata(m, m->edu_cut, m->intercept_low, m->intercept_high, a, ru, s);
            for (int y = 0; y < N_INCOME; y++)
                for (int e = 0; e < N_EDU; e++) {
                    double pr = comp.age[a] * s[y][e];
                    m->stratum_p[ru][STRATUM(a, y, e)] = pr > 0.0 ? pr : 0.0;
                    national[a][e] += (ru ? comp.rural : 1.0 - comp.rural) * (pr > 0.0 ? pr : 0.0);
                    m->p_internet[a][y][e][ru] = logistic(digital_logit(p, m->intercept_internet, a, y, e, ru));
                    m->p_egov[a][y][e][ru] = logistic(digital_logit(p, m->intercept_egov, a, y, e, ru));
                }
        }
    involvement_tables(m, national);
    for (int lo = 0; lo < 2; lo++)
        for (int ru = 0; ru < 2; ru++)
            for (int old = 0; old < 2; old++)
                m->problem_rate[lo][ru][old] = p->problem_rate / 365.25 * (lo ? p->problem_mult_low_income : 1.0) *
                                               (ru ? p->problem_mult_rural : 1.0) *
                                               (old ? p->problem_mult_61plus : 1.0);
    /* strata of each cell */
    for (int k = 0; k < 2 * TYNDAU_N_REGION; k++) {
        size_t sc[N_STRATUM];
        allocate(cnt[k], m->stratum_p[k % 2], N_STRATUM, sc);
        m->stratum_start[k][0] = m->cell_start[k];
        for (int s = 0; s < N_STRATUM; s++) m->stratum_start[k][s + 1] = m->stratum_start[k][s] + sc[s];
    }
    /* outreach localities: the national number of each settlement type shared out over the cells */
    size_t by_type[2] = {0, 0};
    for (int k = 0; k < 2 * TYNDAU_N_REGION; k++) by_type[k % 2] += cnt[k];
    for (int k = 0; k < 2 * TYNDAU_N_REGION; k++) {
        int national_loc = k % 2 == SET_RURAL ? p->outreach_localities_rural : p->outreach_localities_urban;
        double share = by_type[k % 2] > 0 ? (double)cnt[k] / (double)by_type[k % 2] : 0.0;
        double l = floor(national_loc * share + 0.5);
        m->localities[k] = l < 1.0 ? 1 : l > (double)(cnt[k] > 0 ? cnt[k] : 1) ? (int)(cnt[k] > 0 ? cnt[k] : 1) : (int)l;
    }

    m->key_init = tyndau_mix64(tyndau_mix64(m->seed) ^ KEY_CITIZEN_INIT);
    for (int a = 0; a < N_AGE; a++)
        for (int e = 0; e < N_EDU; e++) m->engaged_u[a][e] = gsl_cdf_ugaussian_P(m->involvement_cut - involvement_mean(p, a, e));

    /* attributes, block by block; each citizen draws from its own stream; the state at the
       start is counted on the way, by fine cell, per thread (integer sums: any order) */
    tyndau_state_cells *total = tyndau_calloc(1, sizeof *total);
    if (total == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    int bad = 0;
    long nb = (long)m->n_blocks;
    /* a thread takes four blocks at a time: more threads than that makes only waiting */
    int nt = (int)(nb / 4 < m->n_threads ? nb / 4 : m->n_threads);
#pragma omp parallel num_threads(nt > 1 ? nt : 1) reduction(| : bad)
    {
        tyndau_state_cells *own = tyndau_calloc(1, sizeof *own);
        bad = own == NULL;
#pragma omp for schedule(dynamic, 4) nowait
        for (long b = 0; b < nb; b++) {
            tyndau_ctr_state r;
            size_t i0 = (size_t)b * TYNDAU_BLOCK, i1 = i0 + TYNDAU_BLOCK < n ? i0 + TYNDAU_BLOCK : n;
            int k = 0, s = 0;
            while (m->cell_start[k + 1] <= i0) k++;
            while (m->stratum_start[k][s + 1] <= i0) s++;
            for (size_t i = i0; i < i1;) {
                /* the run of the block in stratum s of cell k */
                size_t end = m->stratum_start[k][s + 1] < i1 ? m->stratum_start[k][s + 1] : i1;
                stratum_of st = stratum_at(m, k, s);
                for (; i < end; i++) {
                    init_citizen(m, &r, i, &st);
                    if (own) tyndau_state_cells_add(*own, &m->c.s[i]);
                }
                while (k < 2 * TYNDAU_N_REGION && i < i1 && m->cell_start[k + 1] <= i) k++, s = 0;
                while (i < i1 && m->stratum_start[k][s + 1] <= i) s++;
            }
        }
        if (own) {
#pragma omp critical(tyndau_population_count)
            for (size_t k = 0; k < sizeof *own / sizeof(uint32_t); k++) (&(*total)[0][0][0])[k] += (&(*own)[0][0][0])[k];
            free(own);
        }
    }
    if (!bad) tyndau_state_cells_expand(*total, m->s_state0, m->group_size);
    free(total);
    if (bad) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the state counts");
    return TYNDAU_OK;
}
