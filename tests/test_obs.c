/*
 * test_obs.c - unit tests of the observation model (src/calibrate/obs.c).
 *
 * Known answers: the rows built from the real 2021 file (row count, respondents behind each
 * row, the concept_meaning remainder, the breakdown weights), exact likelihood identities
 * (a multinomial is maximised by the observed shares and equals its saturated value there;
 * a Dirichlet-multinomial of one respondent is the multinomial; a Dirichlet-multinomial
 * tends to the multinomial as the concentration grows), and the holdout errors.  Run from
 * the repository root.
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

#include "calibrate/obs.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_of_the_2021_file), cmocka_unit_test(test_breakdown_weights),
        cmocka_unit_test(test_holdout_errors),        cmocka_unit_test(test_multinomial_maximum),
        cmocka_unit_test(test_dirichlet_multinomial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
