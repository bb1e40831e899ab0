/*
 * test_obs_slope.c - the slope discrepancy of the logit-normal model (src/calibrate/obs_slope.c)
 * against hand computations: two two-response rows at t = -1 and +1 have the 2 x 2 covariance
 * [[v1 + tau^2, -tau^2], [-tau^2, v2 + tau^2]]; three three-response rows against the explicit
 * 6 x 6 covariance (Cholesky, GSL); the same value whichever response is the reference; a slope of
 * zero gives the per-family model's likelihood exactly (the 2021 file, every row).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_linalg.h>

#include "calibrate/obs.h"
#include "targets.h"

static void assert_near(double a, double b, double tol)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%.17g != %.17g (tolerance %g)", a, b, tol);
}

/* An observation of income rows (group names in `groups`) of one question, n respondents each. */
static void rows(tyndau_obs *o, tyndau_obs_row *w, size_t G, const char *const *groups, size_t K,
                 const double *counts, double n)
{
    memset(o, 0, sizeof *o);
    memset(w, 0, G * sizeof *w);
    for (size_t g = 0; g < G; g++) {
        snprintf(w[g].question, sizeof w[g].question, "aware_concept");
        snprintf(w[g].group_type, sizeof w[g].group_type, "income");
        snprintf(w[g].group, sizeof w[g].group, "%s", groups[g]);
        w[g].family = TYNDAU_FAM_AWARENESS;
        w[g].n_resp = K, w[g].n = n, w[g].weight = 1.0;
        for (size_t k = 0; k < K; k++) w[g].count[k] = counts[g * K + k];
    }
    o->rows = w, o->n_rows = G;
}

static void test_two_rows_by_hand(void **state)
{
    (void)state;
    static const char *const gr[2] = {"low", "high"};
    const double cnt[4] = {30.0, 270.0, 75.0, 225.0}, n = 300.0, sd = 0.1, tau = 0.25, deff = 1.2;
    tyndau_obs o;
    tyndau_obs_row w[2];
    rows(&o, w, 2, gr, 2, cnt, n);
    double p[2 * TYNDAU_OBS_STRIDE] = {0.15, 0.85, 0, 0, 0, 0, 0, 0.2, 0.8};
    tyndau_obs_error e = {.kind = TYNDAU_OBS_LOGIT_NORMAL, .deff = deff};
    e.sd[TYNDAU_FAM_AWARENESS] = sd, e.slope[TYNDAU_SLOPE_INCOME] = tau;
    double x[2], v[2], ne = n / deff;
    for (int g = 0; g < 2; g++) {
        const double *q = p + g * TYNDAU_OBS_STRIDE;
        x[g] = log((cnt[2 * g] + 0.5) / (cnt[2 * g + 1] + 0.5)) - log(q[0] / q[1]);
        v[g] = 1.0 / (ne * q[0]) + 1.0 / (ne * q[1]) + sd * sd;
    }
    double a = v[0] + tau * tau, b = -tau * tau, c = v[1] + tau * tau, det = a * c - b * b; /* t = -1, +1 */
    double quad = (c * x[0] * x[0] - 2.0 * b * x[0] * x[1] + a * x[1] * x[1]) / det;
    double want = -0.5 * (2.0 * log(2.0 * M_PI) + log(det) + quad);
    assert_near(tyndau_obs_slope_block(&o, "aware_concept", TYNDAU_SLOPE_INCOME, p, &e, tau), want, 1e-12);
    assert_near(tyndau_obs_loglik_err(&o, p, &e), want, 1e-12);
    /* the slope's posterior mean: b ~ N(0, tau^2), x_g = t_g b + e_g, e_g ~ N(0, v_g):
       E[b | x] = tau^2 sum(t x / v) / (1 + tau^2 sum(t^2 / v)), t = -1, +1 */
    double wb[TYNDAU_OBS_MAX_RESP];
    assert_int_equal(tyndau_obs_slope_mean(&o, "aware_concept", TYNDAU_SLOPE_INCOME, p, &e, tau, wb), 1);
    double num = tau * tau * (-x[0] / v[0] + x[1] / v[1]), den = 1.0 + tau * tau * (1.0 / v[0] + 1.0 / v[1]);
    assert_near(wb[0], num / den, 1e-12);
    assert_int_equal(tyndau_obs_slope_mean(&o, "aware_concept", TYNDAU_SLOPE_INCOME, p, &e, 0.0, wb), 1);
    assert_true(wb[0] == 0.0);
    /* tau = 0: the rows apart, exactly */
    e.slope[TYNDAU_SLOPE_INCOME] = 0.0;
    double apart = tyndau_obs_row_loglik_err(&w[0], p, &e) + tyndau_obs_row_loglik_err(&w[1], p + TYNDAU_OBS_STRIDE, &e);
    assert_true(tyndau_obs_loglik_err(&o, p, &e) == apart);
    assert_true(tyndau_obs_slope_block(&o, "aware_concept", TYNDAU_SLOPE_INCOME, p, &e, 0.0) == apart);
}

/* Three rows of three responses, t = -1, 0, 1 (low, middle, high): the 6 x 6 covariance
 * blockdiag(A_g) + (t t') (x) B written out, B = (tau^2 / 2)(I + 11'), A_g = diag(1/(n p_k) +
 * sd^2/2) + (1/(n p_K) + sd^2/2) 11'. */
static double explicit6(const double *cnt, const double *p, double n, double sd, double tau, int rot)
{
    const double t[3] = {-1.0, 0.0, 1.0}, h = 0.5 * sd * sd, hb = 0.5 * tau * tau;
    gsl_matrix *S = gsl_matrix_alloc(6, 6);
    double x[6];
    for (int g = 0; g < 3; g++) {
        int K = (2 + rot) % 3, i0 = rot % 3, i1 = (1 + rot) % 3; /* reference K, coordinates i0, i1 */
        int idx[2] = {i0, i1};
        const double *q = p + g * TYNDAU_OBS_STRIDE, *c = cnt + 3 * g;
        for (int a = 0; a < 2; a++) {
            x[2 * g + a] = log((c[idx[a]] + 0.5) / (c[K] + 0.5)) - log(q[idx[a]] / q[K]);
            for (int gg = 0; gg < 3; gg++)
                for (int bb = 0; bb < 2; bb++) {
                    double v = t[g] * t[gg] * hb * (1.0 + (a == bb));
                    if (gg == g) v += (a == bb ? 1.0 / (n * q[idx[a]]) + h : 0.0) + 1.0 / (n * q[K]) + h;
                    gsl_matrix_set(S, (size_t)(2 * g + a), (size_t)(2 * gg + bb), v);
                }
        }
    }
    gsl_linalg_cholesky_decomp1(S);
    double logdet = 0.0, quad = 0.0, y[6];
    for (int i = 0; i < 6; i++) { /* L y = x */
        double s = x[i];
        for (int j = 0; j < i; j++) s -= gsl_matrix_get(S, (size_t)i, (size_t)j) * y[j];
        y[i] = s / gsl_matrix_get(S, (size_t)i, (size_t)i);
        quad += y[i] * y[i];
        logdet += 2.0 * log(gsl_matrix_get(S, (size_t)i, (size_t)i));
    }
    gsl_matrix_free(S);
    return -0.5 * (6.0 * log(2.0 * M_PI) + logdet + quad);
}

static void test_three_rows_explicit(void **state)
{
    (void)state;
    static const char *const gr[3] = {"low", "middle", "high"};
    const double cnt[9] = {20, 110, 170, 25, 125, 150, 50, 120, 130}, n = 300.0, sd = 0.15, tau = 0.3;
    const double p[3 * TYNDAU_OBS_STRIDE] = {0.08, 0.38, 0.54, 0, 0, 0, 0, 0.10, 0.41, 0.49, 0, 0, 0, 0,
                                             0.13, 0.41, 0.46};
    tyndau_obs o;
    tyndau_obs_row w[3];
    tyndau_obs_error e = {.kind = TYNDAU_OBS_LOGIT_NORMAL, .deff = 1.0};
    e.sd[TYNDAU_FAM_AWARENESS] = sd, e.slope[TYNDAU_SLOPE_INCOME] = tau;
    for (int rot = 0; rot < 3; rot++) { /* every reference response: the same density */
        double c2[9], p2[3 * TYNDAU_OBS_STRIDE] = {0};
        for (int g = 0; g < 3; g++)
            for (int k = 0; k < 3; k++)
                c2[3 * g + k] = cnt[3 * g + (k + rot) % 3], p2[g * TYNDAU_OBS_STRIDE + k] = p[g * TYNDAU_OBS_STRIDE + (k + rot) % 3];
        rows(&o, w, 3, gr, 3, c2, n);
        double got = tyndau_obs_loglik_err(&o, p2, &e);
        assert_near(got, explicit6(cnt, p, n, sd, tau, rot), 1e-9);
        assert_near(got, explicit6(cnt, p, n, sd, tau, 0), 1e-9);
    }
    /* a model that misses the gradient scores better with the slope term than without */
    rows(&o, w, 3, gr, 3, cnt, n);
    double flat[3 * TYNDAU_OBS_STRIDE] = {0};
    for (int g = 0; g < 3; g++) flat[g * TYNDAU_OBS_STRIDE] = 0.10, flat[g * TYNDAU_OBS_STRIDE + 1] = 0.40, flat[g * TYNDAU_OBS_STRIDE + 2] = 0.50;
    double with = tyndau_obs_loglik_err(&o, flat, &e);
    e.slope[TYNDAU_SLOPE_INCOME] = 0.0;
    assert_true(with > tyndau_obs_loglik_err(&o, flat, &e));
}

/* The 2021 file: a slope of zero is the per-family model exactly; a slope changes only the
 * breakdown rows' part; the group index of every breakdown row. */
static void test_2021_file(void **state)
{
    (void)state;
    tyndau_targets t;
    tyndau_obs o;
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_targets_load(&t, "data/survey_2021/marginals.csv", NULL, &err), TYNDAU_OK);
    const double age_prior[4] = {0.24, 0.32, 0.24, 0.20};
    assert_int_equal(tyndau_obs_build(&o, &t, 1200.0, age_prior, 0.02, &err), TYNDAU_OK);
    double p[64 * TYNDAU_OBS_STRIDE];
    assert_true(o.n_rows <= 64);
    for (size_t r = 0; r < o.n_rows; r++) { /* the published shares, moved a little */
        size_t K = o.rows[r].n_resp + (size_t)o.rows[r].has_rest;
        double s = 0.0;
        for (size_t k = 0; k < K; k++) s += p[r * TYNDAU_OBS_STRIDE + k] = o.rows[r].count[k] / o.rows[r].n + 0.01 * (double)(k + 1);
        for (size_t k = 0; k < K; k++) p[r * TYNDAU_OBS_STRIDE + k] /= s;
    }
    tyndau_obs_error e = {.kind = TYNDAU_OBS_LOGIT_NORMAL, .deff = 1.5};
    for (int f = 0; f < TYNDAU_N_FAM; f++) e.sd[f] = 0.05 * (f + 1);
    double sum = 0.0, rest = 0.0;
    for (size_t r = 0; r < o.n_rows; r++) {
        double ll = o.rows[r].weight * tyndau_obs_row_loglik_err(&o.rows[r], p + r * TYNDAU_OBS_STRIDE, &e), tt;
        sum += ll;
        if (tyndau_obs_slope_of(&o.rows[r], &tt) < 0) rest += ll;
    }
    assert_true(tyndau_obs_loglik_err(&o, p, &e) == sum);
    e.slope[TYNDAU_SLOPE_AGE] = 0.2, e.slope[TYNDAU_SLOPE_INCOME] = 0.3;
    double blocks = (1.0 / 3.0) * (tyndau_obs_slope_block(&o, "aware_concept", TYNDAU_SLOPE_AGE, p, &e, 0.2) +
                                   tyndau_obs_slope_block(&o, "aware_concept", TYNDAU_SLOPE_INCOME, p, &e, 0.3));
    assert_near(tyndau_obs_loglik_err(&o, p, &e), rest + blocks, 1e-9);
    int n_age = 0, n_inc = 0;
    for (size_t r = 0; r < o.n_rows; r++) {
        double tt;
        int k = tyndau_obs_slope_of(&o.rows[r], &tt);
        n_age += k == TYNDAU_SLOPE_AGE, n_inc += k == TYNDAU_SLOPE_INCOME;
        if (strcmp(o.rows[r].group, "61+") == 0) assert_near(tt, 1.5, 0.0);
        if (strcmp(o.rows[r].group, "18-29") == 0) assert_near(tt, -1.5, 0.0);
        if (strcmp(o.rows[r].group, "low") == 0) assert_near(tt, -1.0, 0.0);
        if (strcmp(o.rows[r].group, "high") == 0) assert_near(tt, 1.0, 0.0);
    }
    assert_int_equal(n_age, 4);
    assert_int_equal(n_inc, 3);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_rows_by_hand),
        cmocka_unit_test(test_three_rows_explicit),
        cmocka_unit_test(test_2021_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
