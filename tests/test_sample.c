/*
 * test_sample.c - the day loop's samplers and tables against what they replace or stand
 * for: the inline samplers give exactly GSL's variates from the same stream, the ziggurat
 * is Exp(1) (moments and tail probabilities within k standard errors, a fixed seed), the
 * indexed intensity search gives exactly the binary search's day, and the calendar takes
 * each entered citizen once, in index order.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "internal.h"

#define K_SE 4.0

static void test_inline_samplers_are_gsl(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    double w[37];
    for (int k = 0; k < 37; k++) w[k] = 1.0 + (k * 7919 % 13) + (k == 5 ? 40.0 : 0.0);
    gsl_ran_discrete_t *g = gsl_ran_discrete_preproc(37, w);
    assert_non_null(r);
    assert_non_null(g);
    for (uint64_t k = 0; k < 200000; k++) {
        tyndau_ctr_state s = {tyndau_mix64(k), k % 17};
        tyndau_ctr_seek(r, s.key, s.pos);
        assert_true(tyndau_ctr_uniform(&s) == gsl_rng_uniform(r));
        assert_true(tyndau_ctr_exponential(&s, 2.5) == gsl_ran_exponential(r, 2.5));
        assert_int_equal(tyndau_ctr_discrete(&s, g), gsl_ran_discrete(r, g));
        assert_int_equal(s.pos, tyndau_ctr_pos(r));
    }
    gsl_ran_discrete_free(g);
    gsl_rng_free(r);
}

/* Mean 1, variance 1, and P(X > t) = exp(-t) across the layers, the wedges and the tail. */
static void test_ziggurat_is_exponential(void **state)
{
    (void)state;
    tyndau_zig z;
    tyndau_zig_init(&z);
    const double t[] = {0.01, 0.1, 0.5, 1.0, 2.0, 4.0, 7.0, 7.69711747013104972, 9.0, 11.0};
    enum { NT = sizeof t / sizeof *t };
    long above[NT] = {0};
    const long n = 20000000;
    double sum = 0.0, sum2 = 0.0;
    tyndau_ctr_state s = {tyndau_mix64(42), 0};
    for (long k = 0; k < n; k++) {
        double x = tyndau_zig_exp(&z, &s);
        assert_true(x >= 0.0);
        sum += x;
        sum2 += x * x;
        for (int j = 0; j < NT; j++) above[j] += x > t[j];
    }
    double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;
    print_message("ziggurat: mean %.5f, variance %.5f, draws per variate %.4f\n", mean, var, (double)s.pos / (double)n);
    assert_true(fabs(mean - 1.0) < K_SE * 1.0 / sqrt((double)n));
    assert_true(fabs(var - 1.0) < K_SE * sqrt(8.0 / (double)n)); /* Var(X^2) = 20, Var(s^2) ~ 8/n */
    for (int j = 0; j < NT; j++) {
        double p = exp(-t[j]), se = sqrt(p * (1.0 - p) / (double)n);
        print_message("  P(X > %g): %.3g, expected %.3g\n", t[j], (double)above[j] / (double)n, p);
        assert_true(fabs((double)above[j] / (double)n - p) < K_SE * se + 1e-12);
    }
    assert_true((double)s.pos / (double)n < 1.04); /* 2.2% of draws leave the fast path */
}

/* A table with days of no events, smooth stretches and spikes. */
static void test_indexed_search_is_binary_search(void **state)
{
    (void)state;
    enum { N = 1000 };
    double *lam = calloc(N + 1, sizeof *lam);
    assert_non_null(lam);
    for (int d = 0; d < N; d++) {
        double rate = d < 100 ? 0.0 : d < 400 ? 0.002 : d % 97 == 0 ? 3.0 : d < 700 ? 0.0 : 0.0005 * (d % 5);
        lam[d + 1] = lam[d] + rate;
    }
    tyndau_intensity t;
    assert_int_equal(tyndau_intensity_init(&t, lam, N), 0);
    tyndau_ctr_state s = {tyndau_mix64(7), 0};
    for (int k = 0; k < 300000; k++) {
        int day = (int)(tyndau_ctr_uniform(&s) * (N + 1)) - 1;
        double e = k % 101 == 0 ? 0.0 : k % 103 == 0 ? lam[N] : -log1p(-tyndau_ctr_uniform(&s)) * (k % 7 + 0.01);
        assert_int_equal(tyndau_next_from_index(&t, day, e), tyndau_next_from_table(lam, N, day, e));
    }
    free(t.start);
    /* no events at all */
    memset(lam, 0, (N + 1) * sizeof *lam);
    assert_int_equal(tyndau_intensity_init(&t, lam, N), 0);
    assert_int_equal(tyndau_next_from_index(&t, 3, 0.5), TYNDAU_NEVER);
    assert_int_equal(tyndau_next_from_index(&t, 3, 0.0), tyndau_next_from_table(lam, N, 3, 0.0));
    free(t.start);
    free(lam);
}

static void test_calendar_takes_each_once_in_order(void **state)
{
    (void)state;
    tyndau_calendar cal;
    memset(&cal, 0, sizeof cal);
    const uint16_t in[] = {4095, 7, 64, 7, 0, 63, 4095, 1000, 65};
    const uint16_t want[] = {0, 7, 63, 64, 65, 1000, 4095};
    for (size_t k = 0; k < sizeof in / sizeof *in; k++) assert_int_equal(tyndau_calendar_enter(&cal, in[k], 70, 65), 0);
    assert_int_equal(tyndau_calendar_enter(&cal, 9, 128, 65), 0); /* beyond the window of day 65: not entered */
    uint16_t out[TYNDAU_BLOCK];
    size_t n = tyndau_calendar_take(&cal, 70, out);
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t k = 0; k < n; k++) assert_int_equal(out[k], want[k]);
    assert_int_equal(tyndau_calendar_take(&cal, 70, out), 0); /* taken: the day is empty */
    assert_int_equal(tyndau_calendar_take(&cal, 128, out), 0);
    tyndau_calendar_free(&cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_samplers_are_gsl),
        cmocka_unit_test(test_ziggurat_is_exponential),
        cmocka_unit_test(test_indexed_search_is_binary_search),
        cmocka_unit_test(test_calendar_takes_each_once_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
