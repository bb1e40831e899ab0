/*
 * test_sensitivity.c - the sensitivity estimators (src/sensitivity.c) on functions whose
 * indices are known analytically.
 *
 *  - Ishigami (a = 7, b = 0.1; Ishigami & Homma 1990) on [-pi, pi]^3:
 *    S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
 *  - Sobol' G-function with a = (0, 1, 4.5, 9, 99, 99, 99, 99) on [0, 1]^8:
 *    V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1, S_i = V_i / V,
 *    ST_i = V_i prod_{j != i} (1 + V_j) / V.
 *  - Morris on a linear function: every elementary effect is the coefficient, exactly.
 * The true value must lie inside the 95% bootstrap interval (fixed seeds); the design is the
 * Saltelli design of sensitivity.h with 8192 base rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "sensitivity.h"

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

static void test_ishigami(void **state)
{
    (void)state;
    const size_t d = 3, n = N_BASE, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x), *y = malloc(runs * sizeof *y);
    assert_int_equal(sens_saltelli_design(n, d, 1, x), 0);
    for (size_t r = 0; r < runs; r++) y[r] = ishigami(x + r * d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 1);
    sens_ci s[3], st[3];
    assert_int_equal(sens_sobol(y, n, d, BOOT, 0.95, rng, s, st), 0);
    const double a = 7.0, b = 0.1, pi4 = pow(M_PI, 4), pi8 = pow(M_PI, 8);
    double V = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5;
    double V1 = 0.5 * (1 + b * pi4 / 5) * (1 + b * pi4 / 5), V2 = a * a / 8;
    double V13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50);
    double S[3] = {V1 / V, V2 / V, 0.0}, ST[3] = {(V1 + V13) / V, V2 / V, V13 / V};
    for (size_t i = 0; i < d; i++) {
        check_inside("Ishigami S", i, &s[i], S[i]);
        check_inside("Ishigami ST", i, &st[i], ST[i]);
    }
    gsl_rng_free(rng);
    free(x), free(y);
}

static void test_g_function(void **state)
{
    (void)state;
    const double a[8] = {0, 1, 4.5, 9, 99, 99, 99, 99};
    const size_t d = 8, n = N_BASE, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x), *y = malloc(runs * sizeof *y);
    assert_int_equal(sens_saltelli_design(n, d, 1, x), 0);
    for (size_t r = 0; r < runs; r++) {
        double f = 1.0;
        for (size_t i = 0; i < d; i++) f *= (fabs(4 * x[r * d + i] - 2) + a[i]) / (1 + a[i]);
        y[r] = f;
    }
    double Vi[8], prod = 1.0;
    for (size_t i = 0; i < d; i++) {
        Vi[i] = 1.0 / (3.0 * (1 + a[i]) * (1 + a[i]));
        prod *= 1 + Vi[i];
    }
    double V = prod - 1.0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 2);
    sens_ci s[8], st[8];
    assert_int_equal(sens_sobol(y, n, d, BOOT, 0.95, rng, s, st), 0);
    for (size_t i = 0; i < d; i++) {
        check_inside("G S", i, &s[i], Vi[i] / V);
        check_inside("G ST", i, &st[i], Vi[i] * prod / (1 + Vi[i]) / V);
    }
    gsl_rng_free(rng);
    free(x), free(y);
}

/* A failed run (NaN) is left out, not propagated. */
static void test_nan_runs_left_out(void **state)
{
    (void)state;
    const size_t d = 3, n = 2048, runs = n * (d + 2);
    double *x = malloc(runs * d * sizeof *x), *y = malloc(runs * sizeof *y);
    assert_int_equal(sens_saltelli_design(n, d, 1, x), 0);
    for (size_t r = 0; r < runs; r++) y[r] = r % 97 == 5 ? NAN : ishigami(x + r * d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(rng, 3);
    sens_ci s[3], st[3];
    assert_int_equal(sens_sobol(y, n, d, 100, 0.95, rng, s, st), 0);
    for (size_t i = 0; i < d; i++) assert_true(isfinite(s[i].value) && isfinite(st[i].value));
    gsl_rng_free(rng);
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
    sens_ci mu[4], sd[4];
    assert_int_equal(sens_morris(x, y, r, d, 100, 0.95, rng, mu, sd), 0);
    for (size_t i = 0; i < d; i++) {
        if (fabs(mu[i].value - fabs(c[i])) > 1e-12) fail_msg("mu*[%zu] = %.17g, expected %g", i, mu[i].value, fabs(c[i]));
        if (fabs(sd[i].value) > 1e-12) fail_msg("sigma[%zu] = %.17g, expected 0", i, sd[i].value);
    }
    gsl_rng_free(rng);
    free(x), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ishigami),
        cmocka_unit_test(test_g_function),
        cmocka_unit_test(test_nan_runs_left_out),
        cmocka_unit_test(test_morris_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
