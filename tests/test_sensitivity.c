/*
 * test_sensitivity.c - the sensitivity estimators and designs (src/sweep/sens.c) on functions
 * whose indices are known analytically.
 *
 *  - Ishigami (a = 7, b = 0.1; Ishigami & Homma 1990) on [-pi, pi]^3:
 *    S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437), S_13 = 0.2437, S_12 = S_23 = 0.
 *  - Sobol' G-function with a = (0, 1, 4.5, 9, 99, 99, 99, 99) on [0, 1]^8:
 *    V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1, S_i = V_i / V,
 *    ST_i = V_i prod_{j != i} (1 + V_j) / V.
 *  - Morris on a linear function: every elementary effect is the coefficient, exactly.
 * The true value must lie inside the 95% bootstrap interval (fixed seeds; Saltelli designs of
 * 8192 base rows); the indices must not move when a large constant is added to the output or
 * when it is scaled (the estimator that did not centre the output failed this: Ishigami + 100
 * gave S_1 = -0.07 [-4.7, 4.4]); over 50 independent small designs the intervals must cover
 * the true indices at least 90% of the time (test_coverage says how); replicate noise must be taken out by the
 * corrected indices; the SALib run order must hold the same points as the blocks; and no
 * coordinate of A may equal B's (a wasted run).
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

#include "sweep/sens.h"

#define N_BASE 8192
#define BOOT 400

static void check_inside(const char *what, size_t i, const sens_ci *c, double truth)
{
    if (!(c->lo <= truth && truth <= c->hi))
        fail_msg("%s[%zu]: true %.4f outside [%.4f, %.4f] (estimate %.4f)", what, i, truth, c->lo, c->hi,
                 c->value);
}

static double ishigami(const double *u)
{
    double x1 = M_PI * (2 * u[0] - 1), x2 = M_PI * (2 * u[1] - 1), x3 = M_PI * (2 * u[2] - 1);
    return sin(x1) + 7.0 * sin(x2) * sin(x2) + 0.1 * pow(x3, 4) * sin(x1);
}

/* Ishigami's analytic indices: S[3], ST[3], S13 */
static void ishigami_truth(double *S, double *ST, double *S13)
{
    const double a = 7.0, b = 0.1, pi4 = pow(M_PI, 4), pi8 = pow(M_PI, 8);
    double V = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5;
    double V1 = 0.5 * (1 + b * pi4 / 5) * (1 + b * pi4 / 5), V2 = a * a / 8;
    double V13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50);
    S[0] = V1 / V, S[1] = V2 / V, S[2] = 0.0;
    ST[0] = (V1 + V13) / V, ST[1] = V2 / V, ST[2] = V13 / V;
    *S13 = V13 / V;
}

static const double g_a[8] = {0, 1, 4.5, 9, 99, 99, 99, 99};

static double g_function(const double *u)
{
    double f = 1.0;
    for (size_t i = 0; i < 8; i++) f *= (fabs(4 * u[i] - 2) + g_a[i]) / (1 + g_a[i]);
    return f;
}

static void g_truth(double *S, double *ST)
{
    double Vi[8], prod = 1.0;
    for (size_t i = 0; i < 8; i++) {
        Vi[i] = 1.0 / (3.0 * (1 + g_a[i]) * (1 + g_a[i]));
        prod *= 1 + Vi[i];
    }
    for (size_t i = 0; i < 8; i++) S[i] = Vi[i] / (prod - 1.0), ST[i] = Vi[i] * prod / (1 + Vi[i]) / (prod - 1.0);
}

/* f over a block-order design of n base rows: y[r] = shift + scale f(x_r) */
static double *evaluate(double (*f)(const double *), const double *x, size_t runs, size_t d, double shift,
                        double scale)
{
    double *y = malloc(runs * sizeof *y);
    assert_non_null(y);
    for (size_t r = 0; r < runs; r++) y[r] = shift + scale * f(x + r * d);
    return y;
}

static void sobol(const double *y, const double *noise, size_t n, size_t d, int so, size_t boot, unsigned long seed,
                  sens_ci *s, sens_ci *st, sens_ci *s2, sens_ci *sa, sens_ci *sta)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, seed);
    sens_sobol_result res = {s, st, s2, sa, sta, NULL, {0, 0, 0, 0}, 0.0, 0.0};
    assert_int_equal(sens_sobol(y, noise, n, d, so, boot, 0.95, rng, &res), 0);
    gsl_rng_free(rng);
}

static void test_ishigami(void **state)
{
    (void)state;
    const size_t d = 3, n = N_BASE, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x);
    assert_int_equal(sens_saltelli_design(n, d, 0, SENS_BLOCKS, NULL, x), 0);
    double *y = evaluate(ishigami, x, runs, d, 0.0, 1.0);
    sens_ci s[3], st[3];
    sobol(y, NULL, n, d, 0, BOOT, 1, s, st, NULL, NULL, NULL);
    double S[3], ST[3], S13;
    ishigami_truth(S, ST, &S13);
    for (size_t i = 0; i < d; i++) {
        check_inside("Ishigami S", i, &s[i], S[i]);
        check_inside("Ishigami ST", i, &st[i], ST[i]);
        assert_true(s[i].conf > 0.0 && st[i].conf > 0.0);
    }
    free(x), free(y);
}

static void test_g_function(void **state)
{
    (void)state;
    const size_t d = 8, n = N_BASE, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x);
    gsl_rng *shift = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(shift, 7);
    assert_int_equal(sens_saltelli_design(n, d, 0, SENS_BLOCKS, shift, x), 0);
    gsl_rng_free(shift);
    double *y = evaluate(g_function, x, runs, d, 0.0, 1.0);
    sens_ci s[8], st[8];
    sobol(y, NULL, n, d, 0, BOOT, 2, s, st, NULL, NULL, NULL);
    double S[8], ST[8];
    g_truth(S, ST);
    for (size_t i = 0; i < d; i++) {
        check_inside("G S", i, &s[i], S[i]);
        check_inside("G ST", i, &st[i], ST[i]);
    }
    free(x), free(y);
}

/* Second order (Saltelli 2002) on Ishigami: S_13 = V_13 / V, the other pairs 0. */
static void test_second_order(void **state)
{
    (void)state;
    const size_t d = 3, n = N_BASE, runs = n * (2 * d + 2);
    double *x = malloc(runs * d * sizeof *x);
    assert_int_equal(sens_saltelli_design(n, d, 1, SENS_BLOCKS, NULL, x), 0);
    double *y = evaluate(ishigami, x, runs, d, 0.0, 1.0);
    sens_ci s[3], st[3], s2[9];
    sobol(y, NULL, n, d, 1, BOOT, 5, s, st, s2, NULL, NULL);
    double S[3], ST[3], S13;
    ishigami_truth(S, ST, &S13);
    check_inside("Ishigami S12", 0, &s2[0 * 3 + 1], 0.0);
    check_inside("Ishigami S13", 0, &s2[0 * 3 + 2], S13);
    check_inside("Ishigami S23", 0, &s2[1 * 3 + 2], 0.0);
    for (size_t i = 0; i < d; i++) {
        check_inside("Ishigami S (second-order design)", i, &s[i], S[i]);
        for (size_t k = 0; k <= i; k++) assert_true(isnan(s2[i * 3 + k].value));
    }
    free(x), free(y);
}

/* The same indices (and intervals) after y -> c + k y, for large c and for k far from 1. */
static void shifted_scaled(double (*f)(const double *), size_t d, int so, const double *truth_s)
{
    const size_t n = 1024, runs = n * sens_saltelli_blocks(d, so);
    double *x = malloc(runs * d * sizeof *x);
    assert_int_equal(sens_saltelli_design(n, d, so, SENS_BLOCKS, NULL, x), 0);
    const double shifts[4][2] = {{100.0, 1.0}, {1e6, 1.0}, {0.0, 1e-3}, {-5e4, 250.0}};
    double *y0 = evaluate(f, x, runs, d, 0.0, 1.0);
    sens_ci s0[8], st0[8], s20[64], s[8], st[8], s2[64];
    sobol(y0, NULL, n, d, so, 200, 9, s0, st0, so ? s20 : NULL, NULL, NULL);
    for (int c = 0; c < 4; c++) {
        double *y = evaluate(f, x, runs, d, shifts[c][0], shifts[c][1]);
        sobol(y, NULL, n, d, so, 200, 9, s, st, so ? s2 : NULL, NULL, NULL);
        /* rounding: the constant is 1e6 times the output's spread at most, so 1e-9 is ample */
        for (size_t i = 0; i < d; i++) {
            const sens_ci *a[2] = {&s[i], &st[i]}, *b[2] = {&s0[i], &st0[i]};
            for (int k = 0; k < 2; k++)
                if (fabs(a[k]->value - b[k]->value) > 1e-8 || fabs(a[k]->lo - b[k]->lo) > 1e-8 ||
                    fabs(a[k]->hi - b[k]->hi) > 1e-8)
                    fail_msg("%s[%zu] after y -> %g + %g y: %.12f [%.12f, %.12f], before %.12f [%.12f, %.12f]",
                             k ? "ST" : "S", i, shifts[c][0], shifts[c][1], a[k]->value, a[k]->lo, a[k]->hi,
                             b[k]->value, b[k]->lo, b[k]->hi);
            check_inside("S after the shift", i, &s[i], truth_s[i]);
            for (size_t k = i + 1; so && k < d; k++)
                if (fabs(s2[i * d + k].value - s20[i * d + k].value) > 1e-8)
                    fail_msg("S2[%zu][%zu] after y -> %g + %g y: %.12f, before %.12f", i, k, shifts[c][0],
                             shifts[c][1], s2[i * d + k].value, s20[i * d + k].value);
        }
        free(y);
    }
    free(x), free(y0);
}

static void test_shift_scale_ishigami(void **state)
{
    (void)state;
    double S[3], ST[3], S13;
    ishigami_truth(S, ST, &S13);
    shifted_scaled(ishigami, 3, 1, S);
}

static void test_shift_scale_g(void **state)
{
    (void)state;
    double S[8], ST[8];
    g_truth(S, ST);
    shifted_scaled(g_function, 8, 0, S);
}

/*
 * Coverage: 50 independent designs of 256 base rows, Ishigami + 100.
 *  - tyndau's own designs (Sobol points, 50 random digital shifts): every index's 95% interval
 *    must hold the true value in at least 45 of the 50 (the bootstrap over rows ignores the
 *    net's stratification, so these intervals are conservative: 1000 of 1000 at n = 256);
 *  - rows of independent uniform points (the case the bootstrap assumes; true coverage
 *    0.93-0.96 per index at n = 256, measured over 1000 designs): at least 90% of the 300
 *    intervals, and at least 40 of 50 for each index.
 */
static void coverage(int sobol_points, size_t *hit_s, size_t *hit_st)
{
    const size_t d = 3, n = 256, runs = n * (d + 2), trials = 50;
    double S[3], ST[3], S13;
    ishigami_truth(S, ST, &S13);
    double *x = malloc(runs * d * sizeof *x), *y = malloc(runs * sizeof *y);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 2024);
    for (size_t t = 0; t < trials; t++) {
        if (sobol_points) {
            assert_int_equal(sens_saltelli_design(n, d, 0, SENS_BLOCKS, rng, x), 0);
        } else {
            for (size_t j = 0; j < n; j++) {
                double a[3], b[3];
                for (size_t i = 0; i < d; i++) a[i] = gsl_rng_uniform(rng), b[i] = gsl_rng_uniform(rng);
                memcpy(x + j * d, a, sizeof a);
                memcpy(x + (n + j) * d, b, sizeof b);
                for (size_t i = 0; i < d; i++) {
                    memcpy(x + ((2 + i) * n + j) * d, a, sizeof a);
                    x[((2 + i) * n + j) * d + i] = b[i];
                }
            }
        }
        for (size_t r = 0; r < runs; r++) y[r] = 100.0 + ishigami(x + r * d);
        sens_ci s[3], st[3];
        sobol(y, NULL, n, d, 0, 300, 100 + t, s, st, NULL, NULL, NULL);
        for (size_t i = 0; i < d; i++) {
            hit_s[i] += s[i].lo <= S[i] && S[i] <= s[i].hi;
            hit_st[i] += st[i].lo <= ST[i] && ST[i] <= st[i].hi;
        }
    }
    for (size_t i = 0; i < d; i++)
        print_message("coverage of the 95%% intervals (%s), input %zu: S %zu/%zu, ST %zu/%zu\n",
                      sobol_points ? "shifted Sobol designs" : "independent rows", i + 1, hit_s[i], trials, hit_st[i],
                      trials);
    gsl_rng_free(rng);
    free(x), free(y);
}

static void test_coverage(void **state)
{
    (void)state;
    size_t hs[3] = {0}, ht[3] = {0}, ms[3] = {0}, mt[3] = {0}, all = 0;
    coverage(1, hs, ht);
    coverage(0, ms, mt);
    for (size_t i = 0; i < 3; i++) {
        if (hs[i] < 45 || ht[i] < 45)
            fail_msg("shifted Sobol designs, input %zu: the intervals hold the true S in %zu and ST in %zu of 50, "
                     "expected >= 45", i + 1, hs[i], ht[i]);
        if (ms[i] < 40 || mt[i] < 40)
            fail_msg("independent rows, input %zu: the intervals hold the true S in %zu and ST in %zu of 50, "
                     "expected >= 40", i + 1, ms[i], mt[i]);
        all += ms[i] + mt[i];
    }
    if (all < 270) fail_msg("independent rows: %zu of 300 intervals hold the true index, expected >= 270 (90%%)", all);
}

/*
 * Replicate noise: f = x1 + 0.5 x2 (x3 does nothing) plus N(0, s^2) per run, R runs averaged per
 * point.  The raw indices are those of f + noise (x3's total index is the noise share, S_1 is
 * too small); the corrected ones recover f's: S = (0.8, 0.2, 0) = ST.
 */
static void test_noise_correction(void **state)
{
    (void)state;
    const size_t d = 3, n = 4096, runs = n * (d + 2), R = 4;
    const double sd = 0.25; /* s^2 / R = 0.0156 against V(f) = 1.25 / 12 = 0.104: 13% of the variance */
    double *x = malloc(runs * d * sizeof *x), *y = malloc(runs * sizeof *y), *nv = malloc(runs * sizeof *nv);
    assert_int_equal(sens_saltelli_design(n, d, 0, SENS_BLOCKS, NULL, x), 0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 11);
    for (size_t r = 0; r < runs; r++) {
        double f = x[r * d] + 0.5 * x[r * d + 1], s = 0.0, s2 = 0.0;
        for (size_t k = 0; k < R; k++) {
            double v = f + gsl_ran_gaussian(rng, sd);
            s += v, s2 += v * v;
        }
        y[r] = s / (double)R;
        nv[r] = (s2 - s * s / (double)R) / (double)(R - 1) / (double)R; /* the variance of this mean */
    }
    gsl_rng_free(rng);
    sens_ci s[3], st[3], sa[3], sta[3];
    sobol(y, nv, n, d, 0, 300, 12, s, st, NULL, sa, sta);
    const double truth[3] = {0.8, 0.2, 0.0};
    for (size_t i = 0; i < d; i++) {
        check_inside("noise-corrected S", i, &sa[i], truth[i]);
        check_inside("noise-corrected ST", i, &sta[i], truth[i]);
    }
    /* the raw indices are biased: the dummy's total index is the noise share, far from 0 */
    if (!(st[2].lo > 0.05)) fail_msg("raw ST of the dummy input: %.4f [%.4f, %.4f], expected about 0.13", st[2].value,
                                     st[2].lo, st[2].hi);
    if (!(s[0].hi < 0.8)) fail_msg("raw S_1: %.4f [%.4f, %.4f], expected below 0.8", s[0].value, s[0].lo, s[0].hi);
    free(x), free(y), free(nv);
}

/* SALib's order holds the same points as the blocks, in its places; no A_i equals B_i. */
static void test_orders_and_shift(void **state)
{
    (void)state;
    const size_t dims[3] = {2, 4, 8}, ns[3] = {100, 128, 512};
    for (int so = 0; so < 2; so++)
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3; b++) {
                size_t d = dims[a], n = ns[b], nb = sens_saltelli_blocks(d, so), runs = n * nb;
                double *xb = malloc(runs * d * sizeof *xb), *xs = malloc(runs * d * sizeof *xs);
                gsl_rng *r1 = gsl_rng_alloc(gsl_rng_taus2), *r2 = gsl_rng_alloc(gsl_rng_taus2);
                gsl_rng_set(r1, 3), gsl_rng_set(r2, 3);
                assert_int_equal(sens_saltelli_design(n, d, so, SENS_BLOCKS, r1, xb), 0);
                assert_int_equal(sens_saltelli_design(n, d, so, SENS_SALIB, r2, xs), 0);
                for (size_t j = 0; j < n; j++) {
                    /* SALib: A, AB_1 .. AB_d, [BA_1 .. BA_d,] B */
                    assert_memory_equal(xs + (j * nb) * d, xb + j * d, d * sizeof *xb);
                    assert_memory_equal(xs + (j * nb + nb - 1) * d, xb + (n + j) * d, d * sizeof *xb);
                    for (size_t k = 2; k < nb; k++)
                        assert_memory_equal(xs + (j * nb + k - 1) * d, xb + (k * n + j) * d, d * sizeof *xb);
                    for (size_t i = 0; i < d; i++) {
                        double ai = xb[j * d + i], bi = xb[(n + j) * d + i];
                        if (ai == bi) fail_msg("d %zu, n %zu: A = B in column %zu of base row %zu (%.17g)", d, n, i, j, ai);
                        assert_true(ai >= 0.0 && ai < 1.0 && bi >= 0.0 && bi < 1.0);
                    }
                }
                gsl_rng_free(r1), gsl_rng_free(r2);
                free(xb), free(xs);
            }
    /* the skip: 16 at least, else the power of two at or above n */
    assert_int_equal(sens_sobol_skip(1), 16);
    assert_int_equal(sens_sobol_skip(100), 128);
    assert_int_equal(sens_sobol_skip(128), 128);
    assert_int_equal(sens_sobol_skip(129), 256);
}

/* A failed run (NaN) is left out, not propagated. */
static void test_nan_runs_left_out(void **state)
{
    (void)state;
    const size_t d = 3, n = 2048, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x);
    assert_int_equal(sens_saltelli_design(n, d, 0, SENS_BLOCKS, NULL, x), 0);
    double *y = evaluate(ishigami, x, runs, d, 0.0, 1.0);
    for (size_t r = 0; r < runs; r++)
        if (r % 97 == 5) y[r] = NAN;
    sens_ci s[3], st[3];
    sobol(y, NULL, n, d, 0, 100, 3, s, st, NULL, NULL, NULL);
    for (size_t i = 0; i < d; i++) assert_true(isfinite(s[i].value) && isfinite(st[i].value));
    free(x), free(y);
}

static void test_morris_linear(void **state)
{
    (void)state;
    const size_t d = 4, r = 20;
    const double c[4] = {2.0, -1.0, 0.5, 0.0};
    double *x = malloc(r * (d + 1) * d * sizeof *x), *y = malloc(r * (d + 1) * sizeof *y);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 4);
    assert_int_equal(sens_morris_design(r, d, 4, rng, x), 0);
    for (size_t k = 0; k < r * (d + 1); k++) {
        y[k] = 0.0;
        for (size_t i = 0; i < d; i++) {
            assert_true(x[k * d + i] >= 0.0 && x[k * d + i] <= 1.0);
            y[k] += c[i] * x[k * d + i];
        }
    }
    sens_ci mu[4], sd[4], m[4];
    assert_int_equal(sens_morris(x, y, r, d, 0.0, 100, 0.95, rng, mu, sd, m), 0);
    for (size_t i = 0; i < d; i++) {
        if (fabs(mu[i].value - fabs(c[i])) > 1e-12) fail_msg("mu*[%zu] = %.17g, expected %g", i, mu[i].value, fabs(c[i]));
        if (fabs(m[i].value - c[i]) > 1e-12) fail_msg("mu[%zu] = %.17g, expected %g", i, m[i].value, c[i]);
        if (fabs(sd[i].value) > 1e-12) fail_msg("sigma[%zu] = %.17g, expected 0", i, sd[i].value);
    }
    /* SALib's rule (+-delta with the step's sign) on the same design in other units: the same */
    double *xs = malloc(r * (d + 1) * d * sizeof *xs);
    for (size_t k = 0; k < r * (d + 1) * d; k++) xs[k] = 10.0 + 3.0 * x[k];
    sens_ci mu2[4], sd2[4];
    assert_int_equal(sens_morris(xs, y, r, d, 4.0 / 6.0, 100, 0.95, rng, mu2, sd2, NULL), 0);
    for (size_t i = 0; i < d; i++) assert_true(fabs(mu2[i].value - mu[i].value) < 1e-12);
    gsl_rng_free(rng);
    free(x), free(y), free(xs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ishigami),
        cmocka_unit_test(test_g_function),
        cmocka_unit_test(test_second_order),
        cmocka_unit_test(test_shift_scale_ishigami),
        cmocka_unit_test(test_shift_scale_g),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_noise_correction),
        cmocka_unit_test(test_orders_and_shift),
        cmocka_unit_test(test_nan_runs_left_out),
        cmocka_unit_test(test_morris_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
