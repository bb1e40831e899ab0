/*
 * test_hm.c - the history match's Gaussian-process emulator (src/calibrate/hm_gp.c) on answers
 * known without it: with zero nugget it interpolates its training points; its closed-form
 * leave-one-out equals refits without each point; on a 1-D function the signal variance it finds
 * is the closed-form maximiser sf2 = r' C^-1 r / n at its length scale, and no length scale of a
 * fine grid has a higher profile likelihood; on a linear response with a known observation
 * variance the non-implausible interval is the one computed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "calibrate/hm.h"

static void assert_near(double a, double b, double tol)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%.17g != %.17g (tolerance %g)", a, b, tol);
}

/* n points of a 2-D function on a fixed, irregular design */
static void design2(size_t n, double *X, double *y)
{
    for (size_t i = 0; i < n; i++) {
        double a = fmod(0.137 + 0.618034 * (double)i, 1.0), b = fmod(0.291 + 0.754878 * (double)i, 1.0);
        X[2 * i] = a, X[2 * i + 1] = b;
        y[i] = sin(3.0 * a) + 0.5 * cos(5.0 * b) + a * b;
    }
}

static void test_interpolates(void **state)
{
    (void)state;
    enum { N = 10 };
    double X[2 * N], y[N], ell[2] = {0.4, 0.3}, work[N];
    design2(N, X, y);
    hm_gp g;
    assert_int_equal(hm_gp_fit(&g, X, y, NULL, N, 2, 1.0, ell, 0), 0);
    for (size_t i = 0; i < N; i++) {
        double m, v;
        hm_gp_predict(&g, X + 2 * i, &m, &v, work);
        assert_near(m, y[i], 1e-6); /* the jitter of 1e-10 sf2 only */
        assert_near(v, 0.0, 1e-8);
    }
    /* away from the points: a variance above zero and below sf2 */
    double m, v, x[2] = {0.5, 0.5};
    hm_gp_predict(&g, x, &m, &v, work);
    assert_true(v > 0.0 && v < 1.0);
    hm_gp_free(&g);
}

static void test_loo_closed_form(void **state)
{
    (void)state;
    enum { N = 14 };
    double X[2 * N], y[N], nug[N], work[N];
    design2(N, X, y);
    for (size_t i = 0; i < N; i++) nug[i] = 0.001 * (1.0 + (double)(i % 3));
    hm_gp g;
    assert_int_equal(hm_gp_fit(&g, X, y, nug, N, 2, 0.0, NULL, 1), 0);
    for (size_t i = 0; i < N; i++) {
        /* the brute-force refit without point i, at the same hyperparameters and the same mean */
        double Xi[2 * N], yi[N], ni[N];
        size_t m = 0;
        for (size_t j = 0; j < N; j++)
            if (j != i) Xi[2 * m] = X[2 * j], Xi[2 * m + 1] = X[2 * j + 1], yi[m] = y[j], ni[m++] = nug[j];
        hm_gp r;
        assert_int_equal(hm_gp_fit_at(&r, Xi, yi, ni, m, 2, g.mean, g.sf2, g.ell), 0);
        double mu, v;
        hm_gp_predict(&r, X + 2 * i, &mu, &v, work);
        assert_near(g.loo_mean[i], mu, 1e-10);
        assert_near(g.loo_sd[i], sqrt(v + nug[i] + HM_JITTER * g.sf2), 1e-10); /* the jitter is noise too */
        hm_gp_free(&r);
    }
    hm_gp_free(&g);
}

/* the profile log marginal likelihood of a 1-D GP at length scale ell: sf2 = r' C^-1 r / n */
static double profile(const hm_gp *g, double ell, double *sf2)
{
    /* lml(sf2) = -n/2 log sf2 - r'C^-1 r / (2 sf2) + const: maximised at r'C^-1 r / n; the
     * quadratic form from the lml at sf2 = 1 and sf2 = 2 */
    double l1 = hm_gp_lml_at(g, 1.0, &ell), l2 = hm_gp_lml_at(g, 2.0, &ell);
    double n = (double)g->n, q = 4.0 * (0.5 * n * log(2.0) - (l1 - l2)); /* l1 - l2 = n/2 log 2 - q/4 */
    *sf2 = q / n;
    return hm_gp_lml_at(g, *sf2, &ell);
}

static void test_ml_optimum(void **state)
{
    (void)state;
    enum { N = 12 };
    double X[N], y[N];
    for (size_t i = 0; i < N; i++) X[i] = ((double)i + 0.3) / N, y[i] = sin(10.0 * X[i]) + 0.5 * cos(23.0 * X[i]);
    hm_gp g;
    assert_int_equal(hm_gp_fit(&g, X, y, NULL, N, 1, 0.0, NULL, 1), 0);
    double sf2;
    double best = profile(&g, g.ell[0], &sf2);
    print_message("sf2 %.10g closed form %.10g ell %.10g lml %.12g\n", g.sf2, sf2, g.ell[0], g.lml);
    assert_near(g.sf2 / sf2, 1.0, 1e-4); /* the closed-form maximiser in sf2 */
    assert_near(g.lml, best, 1e-6);
    /* no length scale of a fine grid does better (up to the grid's and the optimiser's tolerance) */
    double grid_best = -INFINITY, grid_ell = 0.0;
    for (double e = 0.05; e < 3.0; e *= 1.01) {
        double s, l = profile(&g, e, &s);
        if (l > grid_best) grid_best = l, grid_ell = e;
    }
    assert_true(g.lml >= grid_best - 1e-6);
    assert_near(g.ell[0] / grid_ell, 1.0, 0.011);
    hm_gp_free(&g);
}

/* f(u) = a + b u, emulated from 15 runs with a tiny nugget; z with observation variance V: the
 * non-implausible set is |z - a - b u| <= 3 sqrt(V + V_em), V_em ~ 0 inside the design: the
 * interval [(z - a - 3 sqrt V) / b, (z - a + 3 sqrt V) / b] */
static void test_linear_implausibility(void **state)
{
    (void)state;
    enum { N = 15, G = 100000 };
    const double a = -1.0, b = 2.0, z = 0.0, V = 0.01;
    double X[N], y[N], nug[N], work[N];
    for (size_t i = 0; i < N; i++) X[i] = (double)i / (N - 1), y[i] = a + b * X[i], nug[i] = 1e-8;
    hm_gp g;
    assert_int_equal(hm_gp_fit(&g, X, y, nug, N, 1, 0.0, NULL, 1), 0);
    assert_true(g.loo_beyond3 == 0.0);
    size_t in = 0;
    for (size_t k = 0; k < G; k++) {
        double u = ((double)k + 0.5) / G, m, v, imp;
        hm_gp_predict(&g, &u, &m, &v, work);
        imp = hm_implausibility(z, m, V + v);
        double use[1] = {imp};
        in += hm_measure(use, NULL, 1, 2) <= 3.0; /* one cell: the second max is the max */
    }
    double lo = (z - a - 3.0 * sqrt(V)) / b, hi = (z - a + 3.0 * sqrt(V)) / b; /* 0.35 .. 0.65 */
    assert_near((double)in / G, hi - lo, 1e-3);
    hm_gp_free(&g);
}

static void test_measure(void **state)
{
    (void)state;
    double imp[4] = {1.0, 5.0, 2.0, 4.0};
    int use[4] = {1, 1, 1, 0};
    assert_near(hm_measure(imp, NULL, 4, 1), 5.0, 0.0);
    assert_near(hm_measure(imp, NULL, 4, 2), 4.0, 0.0);
    assert_near(hm_measure(imp, use, 4, 2), 2.0, 0.0);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_interpolates), cmocka_unit_test(test_loo_closed_form),
                                       cmocka_unit_test(test_ml_optimum), cmocka_unit_test(test_linear_implausibility),
                                       cmocka_unit_test(test_measure)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
