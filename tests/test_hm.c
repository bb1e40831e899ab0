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
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

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

/* hm_wave_measure stops early only when the answer is above thr: at and below thr it is the full
 * measure exactly, above it both are above (two cells on a 2-D design, many points and thresholds). */
static void test_wave_measure_early_exit(void **state)
{
    (void)state;
    enum { N = 25 };
    double X[2 * N], y[N], y2[N], work[N], ell[2] = {0.3, 0.4};
    design2(N, X, y);
    for (size_t i = 0; i < N; i++) y2[i] = 2.0 * y[i] - 0.3;
    hm_gp gp[2];
    assert_int_equal(hm_gp_fit(&gp[0], X, y, NULL, N, 2, 1.0, ell, 0), 0);
    assert_int_equal(hm_gp_fit(&gp[1], X, y2, NULL, N, 2, 1.0, ell, 0), 0);
    double z[2] = {0.4, 0.1}, vobs[2] = {0.01, 0.02}, vdisc[2] = {0.0, 0.01}, vens[2] = {0.001, 0.0}, imp[2];
    int valid[2] = {1, 1};
    hm_t H = {.dm = 2, .nc = 2, .z = z, .v_obs = vobs, .v_disc = vdisc, .cutoff = 3.0};
    hm_wave w = {.gp = gp, .valid = valid, .v_ens = vens, .n_valid = 2, .trained = N};
    size_t below = 0, above = 0;
    for (int measure = 1; measure <= 2; measure++)
        for (size_t k = 0; k < 400; k++) {
            H.measure = measure;
            double u[2] = {fmod(0.05 + 0.381966 * (double)k, 1.0), fmod(0.11 + 0.7236 * (double)k, 1.0)}, full[2], e, v;
            for (int c = 0; c < 2; c++) {
                hm_gp_predict(&gp[c], u, &e, &v, work);
                full[c] = hm_implausibility(z[c], e, vobs[c] + vdisc[c] + vens[c] + v);
            }
            double want = hm_measure(full, valid, 2, measure);
            for (double thr = 0.5; thr <= 8.0; thr *= 2.0) {
                double got = hm_wave_measure(&H, &w, u, thr, imp, work);
                if (want <= thr) assert_near(got, want, 0.0), below++;
                else assert_true(got > thr), above++;
            }
        }
    assert_true(below > 100 && above > 100); /* both branches seen */
    hm_gp_free(&gp[0]), hm_gp_free(&gp[1]);
}

/* Subset simulation of a region known in closed form: one GP trained at the centre c of the 6-D cube
 * (zero nugget, mean m, sf2 1, ell 0.1) has E = m + rho (y0 - m) and V = 1 - rho^2 with
 * rho = exp(-|u - c|^2 / (2 ell^2)); with z = y0 and V_obs 1 the implausibility
 * 10 (1 - rho) / sqrt(2 - rho^2) rises with |u - c|, so the region is the ball of the radius where it
 * is 3: volume pi^3 / 6 R^6, about 4.6e-6, inside the cube.  Over 8 seeds the mean estimate lies
 * within 3 standard errors (from the 8 estimates) of it; every point of the region's sample lies
 * in the ball; 1 and 2 threads give the same sample. */
static void test_subset_ball(void **state)
{
    (void)state;
    enum { D = 6, M = 4000, SEEDS = 8 };
    double X[D], y0 = 10.0, ell[D], z[1] = {10.0}, vobs[1] = {1.0}, vdisc[1] = {0.0}, vens[1] = {0.0};
    for (int j = 0; j < D; j++) X[j] = 0.5, ell[j] = 0.1;
    hm_gp gp;
    assert_int_equal(hm_gp_fit_at(&gp, X, &y0, NULL, 1, D, 0.0, 1.0, ell), 0);
    double lo = 0.0, hi = 1.0; /* rho at implausibility 3: bisection */
    for (int it = 0; it < 200; it++) {
        double r = 0.5 * (lo + hi);
        *(10.0 * (1.0 - r) / sqrt(2.0 - r * r) > 3.0 ? &lo : &hi) = r;
    }
    double R = 0.1 * sqrt(-2.0 * log(0.5 * (lo + hi))), truth = pow(M_PI, 3.0) / 6.0 * pow(R, 6.0);
    assert_true(R < 0.5);
    int valid[1] = {1};
    calib_t *C = calloc(1, sizeof *C);
    assert_non_null(C);
    double *S = malloc(M * D * sizeof *S), est[SEEDS], mean = 0.0, var = 0.0;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937); /* the region before the wave: the whole cube, uniform */
    for (size_t i = 0; r && i < M * D; i++) S[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    hm_wave w = {.gp = &gp, .valid = valid, .v_ens = vens, .n_valid = 1, .trained = 1};
    hm_t H = {.C = C, .dm = D, .nc = 1, .z = z, .v_obs = vobs, .v_disc = vdisc, .cutoff = 3.0, .measure = 1, .M = M,
              .w = &w, .n_w = 1};
    tyndau_error err;
    for (int s = 0; s < SEEDS; s++) {
        C->cfg.seed = 1000 + (uint64_t)s, C->mc.threads = 1;
        assert_int_equal(hm_subset(&H, 0, S, M, &est[s], &err), TYNDAU_OK);
        assert_true(w.subset_levels >= 4 && H.n_pop >= M);
        for (size_t i = 0; i < H.n_pop; i++) {
            double r2 = 0.0;
            for (size_t j = 0; j < D; j++) r2 += (H.pop[i * D + j] - 0.5) * (H.pop[i * D + j] - 0.5);
            assert_true(sqrt(r2) <= R * (1.0 + 1e-9));
        }
        if (s == 0) { /* two threads: the same sample */
            double *p1 = H.pop, e2;
            size_t n1 = H.n_pop;
            C->mc.threads = 2;
            assert_int_equal(hm_subset(&H, 0, S, M, &e2, &err), TYNDAU_OK);
            assert_true(e2 == est[0] && H.n_pop == n1 && memcmp(H.pop, p1, n1 * D * sizeof *p1) == 0);
            free(p1);
        }
        free(H.pop), H.pop = NULL;
        mean += est[s] / SEEDS;
    }
    for (int s = 0; s < SEEDS; s++) var += (est[s] - mean) * (est[s] - mean) / (SEEDS - 1);
    double se = sqrt(var / SEEDS);
    print_message("# subset simulation: truth %.4g, mean of %d estimates %.4g (se %.2g, cov of one %.2f)\n", truth, SEEDS,
                  mean, se, sqrt(var) / mean);
    assert_true(fabs(mean - truth) <= 3.0 * se);
    assert_true(sqrt(var) / mean < 0.5); /* and each estimate within a useful precision */
    /* a published value no point comes near (implausibility at least 100 / sqrt 2 everywhere): no region,
       share 0 and an empty sample after at most 16 levels */
    z[0] = 110.0;
    C->cfg.seed = 7, C->mc.threads = 2;
    double none = 1.0;
    assert_int_equal(hm_subset(&H, 0, S, M, &none, &err), TYNDAU_OK);
    assert_true(none == 0.0 && H.pop == NULL && H.n_pop == 0 && w.subset_levels <= 16);
    free(S), free(C);
    hm_gp_free(&gp);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_interpolates), cmocka_unit_test(test_loo_closed_form),
                                       cmocka_unit_test(test_ml_optimum), cmocka_unit_test(test_linear_implausibility),
                                       cmocka_unit_test(test_measure), cmocka_unit_test(test_wave_measure_early_exit),
                                       cmocka_unit_test(test_subset_ball)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
