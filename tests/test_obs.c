/*
 * test_obs.c - unit tests of the observation model (src/calibrate/obs.c).
 *
 * Known answers: the rows built from the real 2021 file (row count, respondents behind each
 * row, the concept_meaning remainder, the breakdown weights), exact likelihood identities
 * (a multinomial is maximised by the observed shares and equals its saturated value there;
 * a Dirichlet-multinomial of one respondent is the multinomial; a Dirichlet-multinomial
 * tends to the multinomial as the concentration grows), the holdout errors, and the
 * generator and the likelihood in agreement (an SBC with an exact posterior).  Run from the
 * repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "calibrate/obs.h"
#include "rng.h"
#include "targets.h"

#define MARGINALS "data/survey_2021/marginals.csv"

static const double age_prior[4] = {0.24, 0.32, 0.24, 0.20};

#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%s:%d: %.17g differs from %.17g by more than %g", file, line, a, b, tol);
}

static void load(tyndau_targets *t, tyndau_obs *o)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_targets_load(t, MARGINALS, NULL, &err), TYNDAU_OK);
    if (tyndau_obs_build(o, t, 1200.0, age_prior, 0.02, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
}

/* Rows, respondents and counts of the real file. */
static void test_rows_of_the_2021_file(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_obs o;
    load(&t, &o);
    /* 8 aware_concept rows (total, 4 age, 3 income) + concept_meaning + 7 principles +
       aware_platform + 2 attention + contacted = 20 */
    assert_int_equal(o.n_rows, 20);
    assert_int_equal(o.n_cells, 62);
    double sum_age = 0.0, sum_income = 0.0;
    for (size_t r = 0; r < o.n_rows; r++) {
        const tyndau_obs_row *w = &o.rows[r];
        double c = 0.0;
        for (size_t k = 0; k < w->n_resp + (size_t)w->has_rest; k++) c += w->count[k];
        assert_near(c, w->n, 1e-9 * w->n); /* counts add up to the respondents */
        if (strcmp(w->group_type, "total") == 0 && strcmp(w->base, "all") == 0) assert_near(w->n, 1200.0, 0.0);
        if (strcmp(w->group_type, "age") == 0) sum_age += w->n;
        if (strcmp(w->group_type, "income") == 0) sum_income += w->n;
    }
    assert_near(sum_age, 1200.0, 1e-9);
    assert_near(sum_income, 1200.0, 1e-9);
    /* concept_meaning: asked of the 50% aware (first_time 50.0) = 600, publishes 91.4%: a rest of 8.6% */
    int cm = tyndau_obs_find(&o, "concept_meaning", "total", "all");
    assert_true(cm >= 0);
    assert_int_equal(o.rows[cm].has_rest, 1);
    assert_near(o.rows[cm].n, 600.0, 1e-9);
    assert_near(o.rows[cm].count[4], 600.0 * 0.086, 1e-6);
    /* income sizes from the data alone (subgroups.c): the published estimate, 27.2 / 45.0 / 27.8 % */
    assert_near(o.income.share[0], 0.272, 0.0015);
    assert_near(o.income.share[1], 0.450, 0.0015);
    assert_near(o.income.share[2], 0.278, 0.0015);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

/* Breakdown weights: aware_concept has total, age and income: 1/3 each under split. */
static void test_breakdown_weights(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_obs o;
    tyndau_error err;
    load(&t, &o);
    for (size_t r = 0; r < o.n_rows; r++)
        assert_near(o.rows[r].weight, strcmp(o.rows[r].question, "aware_concept") == 0 ? 1.0 / 3.0 : 1.0, 1e-15);
    assert_int_equal(tyndau_obs_holdout(&o, "aware_concept:income", &err), TYNDAU_OK);
    for (size_t r = 0; r < o.n_rows; r++) {
        const tyndau_obs_row *w = &o.rows[r];
        if (strcmp(w->question, "aware_concept") != 0) continue;
        if (strcmp(w->group_type, "income") == 0) {
            assert_int_equal(w->held_out, 1);
            assert_near(w->weight, 0.0, 0.0);
        } else {
            assert_near(w->weight, 0.5, 1e-15);
        }
    }
    assert_int_equal(tyndau_obs_n_fitted(&o), 17);
    tyndau_obs_weigh(&o, TYNDAU_OBS_FULL);
    assert_near(o.rows[0].weight, 1.0, 0.0);
    assert_int_equal(tyndau_obs_holdout(&o, "attention_local", &err), TYNDAU_OK);
    assert_int_equal(tyndau_obs_n_fitted(&o), 16);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

static void test_holdout_errors(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_obs o;
    tyndau_error err;
    load(&t, &o);
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_obs_holdout(&o, "no_such_question", &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "no published question 'no_such_question'"));
    assert_non_null(strstr(err.msg, "aware_concept"));
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_obs_holdout(&o, "aware_concept:region", &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "has no group type 'region'"));
    assert_non_null(strstr(err.msg, "total, age, income"));
    assert_int_equal(tyndau_obs_holdout(&o, "attention_local:", &err), TYNDAU_EINPUT);
    assert_int_equal(tyndau_obs_holdout(&o, ":total", &err), TYNDAU_EINPUT);
    assert_int_equal(tyndau_obs_n_fitted(&o), 20); /* failures change nothing */
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

/* Multinomial: at p = the observed shares the log-likelihood is the saturated one (computed
 * here independently), and any other p scores lower (Gibbs' inequality). */
static void test_multinomial_maximum(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_obs o;
    load(&t, &o);
    double *p = calloc(o.n_rows * TYNDAU_OBS_STRIDE, sizeof *p);
    assert_non_null(p);
    double saturated = 0.0;
    for (size_t r = 0; r < o.n_rows; r++) {
        const tyndau_obs_row *w = &o.rows[r];
        size_t K = w->n_resp + (size_t)w->has_rest;
        double s = lgamma(w->n + 1.0);
        for (size_t k = 0; k < K; k++) {
            p[r * TYNDAU_OBS_STRIDE + k] = w->count[k] / w->n;
            s += -lgamma(w->count[k] + 1.0) + (w->count[k] > 0 ? w->count[k] * log(w->count[k] / w->n) : 0.0);
        }
        saturated += w->weight * s;
    }
    double best = tyndau_obs_loglik(&o, p, 0.0);
    assert_near(best, saturated, 1e-9 * fabs(saturated));
    /* move probability between the first two responses of every row */
    for (int step = 1; step <= 3; step++) {
        double *q = malloc(o.n_rows * TYNDAU_OBS_STRIDE * sizeof *q);
        memcpy(q, p, o.n_rows * TYNDAU_OBS_STRIDE * sizeof *q);
        for (size_t r = 0; r < o.n_rows; r++) {
            double d = 0.01 * step * q[r * TYNDAU_OBS_STRIDE + 1];
            q[r * TYNDAU_OBS_STRIDE + 0] += d;
            q[r * TYNDAU_OBS_STRIDE + 1] -= d;
        }
        assert_true(tyndau_obs_loglik(&o, q, 0.0) < best);
        free(q);
    }
    free(p);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

/* Dirichlet-multinomial: one respondent's probability is the multinomial's (exactly p_k for the
 * observed response); a huge concentration gives back the multinomial. */
static void test_dirichlet_multinomial(void **state)
{
    (void)state;
    tyndau_obs_row w;
    memset(&w, 0, sizeof w);
    w.n_resp = 3;
    w.n = 1.0;
    w.count[0] = 0.0, w.count[1] = 1.0, w.count[2] = 0.0;
    double p[TYNDAU_OBS_STRIDE] = {0.2, 0.5, 0.3};
    /* exact in real arithmetic; in doubles the lgamma terms of size lgamma(a) cancel, leaving
       rounding of a few ulps of lgamma(a) */
    for (double a = 0.5; a < 1e6; a *= 10.0)
        assert_near(tyndau_obs_row_loglik(&w, p, a), log(0.5), 1e-14 * (1.0 + fabs(lgamma(a + 2.0))));
    assert_near(tyndau_obs_row_loglik(&w, p, 0.0), log(0.5), 1e-15);
    /* a real row: DM -> multinomial as A grows; DM below the multinomial at the truth */
    w.n = 1200.0;
    w.count[0] = 240.0, w.count[1] = 600.0, w.count[2] = 360.0;
    double mn = tyndau_obs_row_loglik(&w, p, 0.0);
    /* at the truth (c = n p) log DM - log MN = -(K-1) n / (2A) + O(n/A^2): bounded by twice that */
    for (double a = 1e5; a <= 1e7; a *= 10.0) {
        double diff = tyndau_obs_row_loglik(&w, p, a) - mn;
        assert_true(diff < 0.0);
        assert_near(diff, -2.0 * 1200.0 / (2.0 * a), 2.0 * 1200.0 / (2.0 * a));
    }
    assert_true(tyndau_obs_row_loglik(&w, p, 100.0) < mn);
    /* far from the truth the DM's heavier tails win */
    double far[TYNDAU_OBS_STRIDE] = {0.4, 0.3, 0.3};
    assert_true(tyndau_obs_row_loglik(&w, far, 100.0) > tyndau_obs_row_loglik(&w, far, 0.0));
    /* a NaN probability (a failed simulation) scores -inf */
    double bad[TYNDAU_OBS_STRIDE] = {NAN, 0.5, 0.5};
    assert_true(isinf(tyndau_obs_row_loglik(&w, bad, 0.0)));
}

/* The logit-normal row (obs.h), by hand: a two-response row's logit is Gaussian about the model's
 * with variance 1/(n_eff p1) + 1/(n_eff p2) + sd^2; a three-response row against the explicit 2x2
 * covariance; the same value whichever response is the reference; the design effect of the
 * multinomial is the multinomial of n / deff; deff = 1 gives the old values exactly. */
static double ln_row(tyndau_obs_row *w, const double *p, double deff, double sd)
{
    tyndau_obs_error e = {.kind = TYNDAU_OBS_LOGIT_NORMAL, .deff = deff};
    for (int f = 0; f < TYNDAU_N_FAM; f++) e.sd[f] = f == (int)w->family ? sd : NAN;
    return tyndau_obs_row_loglik_err(w, p, &e);
}

static void test_logit_normal(void **state)
{
    (void)state;
    tyndau_obs_row w;
    memset(&w, 0, sizeof w);
    w.family = TYNDAU_FAM_PRINCIPLES;
    w.n_resp = 2, w.n = 400.0, w.count[0] = 120.0, w.count[1] = 280.0;
    double p2[TYNDAU_OBS_STRIDE] = {0.25, 0.75};
    double neff = 200.0, sd = 0.3;
    double x = log(120.5 / 280.5) - log(0.25 / 0.75);
    double v = 1.0 / (neff * 0.25) + 1.0 / (neff * 0.75) + sd * sd;
    assert_near(ln_row(&w, p2, 2.0, sd), -0.5 * (log(2.0 * M_PI * v) + x * x / v), 1e-12);
    /* three responses: covariance [[d1 + u, u], [u, d2 + u]] written out */
    w.n_resp = 3, w.n = 600.0, w.count[0] = 90.0, w.count[1] = 330.0, w.count[2] = 180.0;
    double p3[TYNDAU_OBS_STRIDE] = {0.2, 0.5, 0.3};
    double h = 0.5 * sd * sd, n3 = 600.0 / 1.5;
    double d1 = 1.0 / (n3 * 0.2) + h, d2 = 1.0 / (n3 * 0.5) + h, u = 1.0 / (n3 * 0.3) + h;
    double x1 = log(90.5 / 180.5) - log(0.2 / 0.3), x2 = log(330.5 / 180.5) - log(0.5 / 0.3);
    double a = d1 + u, b = u, c = d2 + u, det = a * c - b * b;
    double quad = (c * x1 * x1 - 2.0 * b * x1 * x2 + a * x2 * x2) / det;
    double want = -0.5 * (2.0 * log(2.0 * M_PI) + log(det) + quad);
    assert_near(ln_row(&w, p3, 1.5, sd), want, 1e-12);
    /* the reference response does not matter: every rotation of the responses, four of them */
    w.n_resp = 4, w.n = 1000.0;
    double cnt[4] = {100.0, 450.0, 300.0, 150.0}, pr[4] = {0.12, 0.40, 0.33, 0.15};
    double ref = NAN;
    for (int rot = 0; rot < 4; rot++) {
        double q[TYNDAU_OBS_STRIDE];
        for (int k = 0; k < 4; k++) w.count[k] = cnt[(k + rot) % 4], q[k] = pr[(k + rot) % 4];
        double ll = ln_row(&w, q, 1.3, 0.2);
        if (rot == 0) ref = ll;
        else assert_near(ll, ref, 1e-10);
    }
    /* discrepancy: a model far off scores better with it, the truth worse */
    double far[TYNDAU_OBS_STRIDE] = {0.30, 0.30, 0.25, 0.15};
    for (int k = 0; k < 4; k++) w.count[k] = cnt[k];
    assert_true(ln_row(&w, far, 1.0, 0.3) > ln_row(&w, far, 1.0, 0.0));
    double near[TYNDAU_OBS_STRIDE] = {0.1, 0.45, 0.3, 0.15};
    assert_true(ln_row(&w, near, 1.0, 0.3) < ln_row(&w, near, 1.0, 0.0));
    /* a NaN probability scores -inf */
    double bad[TYNDAU_OBS_STRIDE] = {NAN, 0.5, 0.3, 0.2};
    assert_true(isinf(ln_row(&w, bad, 1.0, 0.1)));
    /* multinomial and DM: deff = 1 is the old value exactly; deff = 2 the row of n / 2 */
    tyndau_obs_error mn = {.kind = TYNDAU_OBS_MULTINOMIAL, .deff = 1.0};
    tyndau_obs_error dm = {.kind = TYNDAU_OBS_DM, .deff = 1.0, .concentration = 300.0};
    assert_true(tyndau_obs_row_loglik_err(&w, pr, &mn) == tyndau_obs_row_loglik(&w, pr, 0.0));
    assert_true(tyndau_obs_row_loglik_err(&w, pr, &dm) == tyndau_obs_row_loglik(&w, pr, 300.0));
    tyndau_obs_row half = w;
    half.n = 500.0;
    for (int k = 0; k < 4; k++) half.count[k] = cnt[k] / 2.0;
    mn.deff = 2.0;
    assert_true(tyndau_obs_row_loglik_err(&w, pr, &mn) == tyndau_obs_row_loglik(&half, pr, 0.0));
}

/* The logit-normal row is a calibrated error model: without discrepancy, rows drawn from the
 * multinomial at p give standardised logit residuals whose mean square is 1 (2000 rows, fixed
 * seed; the mean of z^2 has sd sqrt(2 / 2000) = 0.032: tolerance 4 sd); with discrepancy sd,
 * rows drawn with it (each log-probability moved by N(0, sd^2 / 2)) likewise. */
static void test_logit_normal_coverage(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    assert_non_null(r);
    tyndau_ctr_seek(r, 2021, 0);
    for (int pass = 0; pass < 2; pass++) {
        double sd = pass ? 0.25 : 0.0, p[2] = {0.3, 0.7}, sum = 0.0;
        const unsigned int n = 800;
        for (int i = 0; i < 2000; i++) {
            double q0 = p[0] * exp(gsl_ran_gaussian(r, sd / sqrt(2.0))), q1 = p[1] * exp(gsl_ran_gaussian(r, sd / sqrt(2.0)));
            unsigned int k = gsl_ran_binomial(r, q0 / (q0 + q1), n);
            double x = log((k + 0.5) / (n - k + 0.5)) - log(p[0] / p[1]);
            double v = 1.0 / (n * p[0]) + 1.0 / (n * p[1]) + sd * sd;
            sum += x * x / v;
        }
        assert_near(sum / 2000.0, 1.0, 4.0 * sqrt(2.0 / 2000.0));
    }
    gsl_rng_free(r);
}

/* The observation model's generator and its likelihood agree: simulation-based calibration with
 * an exact posterior (Talts et al. 2018).  At fixed model probabilities (the 2021 file's published
 * shares, floored at 1%), the seven observation quantities (the five family discrepancies and the
 * two slopes) are drawn from the default calibration's priors (half-normal, sd 0.15, 0.15, 0.09,
 * 0.09, 0.09, 0.2, 0.2, truncated at 1; calibration/baseline.ini); a synthetic survey is drawn as
 * sbc.c draws one (tyndau_obs_slope_draw, then tyndau_obs_draw_row row by row); its posterior is
 * the prior weighted by the likelihood over M fresh prior draws (importance sampling: no sampler
 * between the two).  Every row counted fully (breakdowns = full: the likelihood is then the
 * generator's density but for the delta method and the continuity correction), the truth's
 * posterior CDF is uniform: the coverage of the central 90% and 50% intervals, pooled over the
 * quantities and S surveys, within 4 binomial SE of 0.90 and 0.50 (SE sqrt(0.09 / 7S) = 0.008 and
 * sqrt(0.25 / 7S) = 0.013 at S = 200), each quantity's 90% coverage within 4 SE (0.085).  Measured
 * at S = 1000, M = 20000: pooled 0.898 and 0.507, quantities 0.888-0.913.  With breakdowns =
 * split (the default's composite likelihood, weights 1/B) the posterior is wider than the
 * generator's: pooled 0.911, aware 0.942.  The test fails when the generator moves each
 * log-probability by sd instead of sd / sqrt(2), or the likelihood ignores the design effect. */
#define EXACT_D 7
static double exact_prior_draw(gsl_rng *r, int k)
{
    static const double sd[EXACT_D] = {0.15, 0.15, 0.09, 0.09, 0.09, 0.2, 0.2};
    double x;
    do x = fabs(gsl_ran_gaussian(r, sd[k]));
    while (x > 1.0);
    return x;
}

static tyndau_obs_error exact_error(const double *th)
{
    tyndau_obs_error e = {TYNDAU_OBS_LOGIT_NORMAL, 1.5, 0.0, {0}, {0}};
    for (int f = 0; f < 5; f++) e.sd[f] = th[f]; /* awareness .. principles (TYNDAU_FAM_*) */
    e.slope[TYNDAU_SLOPE_AGE] = th[5], e.slope[TYNDAU_SLOPE_INCOME] = th[6];
    return e;
}

static void test_exact_sbc(void **state)
{
    (void)state;
    enum { S = 200, M = 3000 };
    tyndau_targets t;
    tyndau_obs o;
    load(&t, &o);
    tyndau_obs_weigh(&o, TYNDAU_OBS_FULL);
    size_t R = o.n_rows;
    assert_true(R <= 64);
    double *p = calloc(R * TYNDAU_OBS_STRIDE, sizeof *p), *th = malloc((size_t)M * EXACT_D * sizeof *th);
    double *lw = malloc((size_t)M * sizeof *lw);
    tyndau_obs_row *pub = malloc(R * sizeof *pub);
    assert_true(p && th && lw && pub);
    for (size_t r = 0; r < R; r++) {
        const tyndau_obs_row *w = &o.rows[r];
        size_t K = w->n_resp + (size_t)w->has_rest;
        double tot = 0.0;
        for (size_t k = 0; k < K; k++) tot += w->count[k];
        for (size_t k = 0; k < K; k++) p[r * TYNDAU_OBS_STRIDE + k] = fmax(w->count[k] / tot, 0.01);
    }
    memcpy(pub, o.rows, R * sizeof *pub);
    gsl_rng *g = gsl_rng_alloc(tyndau_rng_ctr);
    assert_non_null(g);
    tyndau_ctr_seek(g, 2018, 0);
    int in90[EXACT_D] = {0}, in50 = 0, all90 = 0;
    for (int s = 0; s < S; s++) {
        double truth[EXACT_D], shift[TYNDAU_OBS_STRIDE * 64];
        for (int k = 0; k < EXACT_D; k++) truth[k] = exact_prior_draw(g, k);
        tyndau_obs_error e = exact_error(truth);
        memcpy(o.rows, pub, R * sizeof *pub);
        tyndau_obs_slope_draw(&o, &e, g, shift);
        for (size_t r = 0; r < R; r++) {
            tyndau_obs_row *w = &o.rows[r];
            double q[TYNDAU_OBS_STRIDE];
            unsigned int cnt[TYNDAU_OBS_STRIDE];
            size_t K = tyndau_obs_row_probs(w, p + r * TYNDAU_OBS_STRIDE, q);
            unsigned int n = tyndau_obs_draw_row(w, q, shift + r * TYNDAU_OBS_STRIDE, &e, g, cnt);
            for (size_t j = 0; j < K; j++) w->count[j] = (double)cnt[j] * w->n / (double)n;
        }
        double top = -INFINITY, sum = 0.0;
        for (int m = 0; m < M; m++) {
            for (int k = 0; k < EXACT_D; k++) th[m * EXACT_D + k] = exact_prior_draw(g, k);
            tyndau_obs_error em = exact_error(th + m * EXACT_D);
            lw[m] = tyndau_obs_loglik_err(&o, p, &em);
            top = fmax(top, lw[m]);
        }
        for (int m = 0; m < M; m++) sum += lw[m] = exp(lw[m] - top);
        for (int k = 0; k < EXACT_D; k++) {
            double cdf = 0.0;
            for (int m = 0; m < M; m++) cdf += th[m * EXACT_D + k] < truth[k] ? lw[m] : 0.0;
            cdf /= sum;
            in90[k] += cdf >= 0.05 && cdf <= 0.95, in50 += cdf >= 0.25 && cdf <= 0.75;
        }
    }
    for (int k = 0; k < EXACT_D; k++) {
        all90 += in90[k];
        assert_near((double)in90[k] / S, 0.90, 4.0 * sqrt(0.09 / S));
    }
    assert_near((double)all90 / (S * EXACT_D), 0.90, 4.0 * sqrt(0.09 / (S * EXACT_D)));
    assert_near((double)in50 / (S * EXACT_D), 0.50, 4.0 * sqrt(0.25 / (S * EXACT_D)));
    gsl_rng_free(g);
    memcpy(o.rows, pub, R * sizeof *pub);
    free(p), free(th), free(lw), free(pub);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

static void test_families(void **state)
{
    (void)state;
    assert_int_equal(tyndau_obs_family_of("aware_concept"), TYNDAU_FAM_AWARENESS);
    assert_int_equal(tyndau_obs_family_of("aware_platform"), TYNDAU_FAM_AWARENESS);
    assert_int_equal(tyndau_obs_family_of("attention_local"), TYNDAU_FAM_ATTENTION);
    assert_int_equal(tyndau_obs_family_of("authorities_contacted"), TYNDAU_FAM_CONTACT);
    assert_int_equal(tyndau_obs_family_of("concept_meaning"), TYNDAU_FAM_MEANING);
    assert_int_equal(tyndau_obs_family_of("principle_my_needs_heard"), TYNDAU_FAM_PRINCIPLES);
    assert_int_equal(tyndau_obs_family_of("something_else"), TYNDAU_FAM_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_of_the_2021_file), cmocka_unit_test(test_breakdown_weights),
        cmocka_unit_test(test_holdout_errors),        cmocka_unit_test(test_multinomial_maximum),
        cmocka_unit_test(test_dirichlet_multinomial), cmocka_unit_test(test_logit_normal),
        cmocka_unit_test(test_logit_normal_coverage), cmocka_unit_test(test_families),
        cmocka_unit_test(test_exact_sbc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
