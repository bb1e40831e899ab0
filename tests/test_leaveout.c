/*
 * test_leaveout.c - the leave-one-family-out study's arithmetic and its family table
 * (src/calibrate/leaveout.c), on known answers: the interval score of Gneiting & Raftery (2007)
 * on hand numbers, the log of a mean of exponentials, and the families mapped onto the real 2021
 * file (which rows and cells each removes, none twice); and the SMC's count of distinct particles
 * (src/calibrate/smc.c) on a constructed population.  Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "calibrate/leaveout.h"

#define MARGINALS "data/survey_2021/marginals.csv"

static void assert_near(double a, double b, double tol)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%.17g != %.17g (tolerance %g)", a, b, tol);
}

/* IS = (u - l) + (2/alpha)(l - y)[y < l] + (2/alpha)(y - u)[y > u] */
static void test_interval_score(void **state)
{
    (void)state;
    assert_near(calib_interval_score(10.0, 14.0, 12.0, 0.1), 4.0, 1e-15);       /* inside: the width */
    assert_near(calib_interval_score(10.0, 14.0, 10.0, 0.1), 4.0, 1e-15);       /* on the edge */
    assert_near(calib_interval_score(10.0, 14.0, 9.0, 0.1), 4.0 + 20.0, 1e-13); /* 1 below: + 2/0.1 */
    assert_near(calib_interval_score(10.0, 14.0, 16.5, 0.1), 4.0 + 50.0, 1e-13);
    assert_near(calib_interval_score(10.0, 14.0, 16.5, 0.5), 4.0 + 10.0, 1e-13);
    assert_near(calib_interval_score(3.0, 3.0, 3.0, 0.1), 0.0, 0.0); /* a point on the truth: 0, the best */
}

static void test_log_mean_exp(void **state)
{
    (void)state;
    double v[3] = {log(1.0), log(2.0), log(6.0)};
    assert_near(calib_log_mean_exp(v, 3), log(3.0), 1e-15);
    double big[2] = {-1000.0, -1000.0 + log(3.0)}; /* no underflow: log((1 + 3) / 2) - 1000 */
    assert_near(calib_log_mean_exp(big, 2), -1000.0 + log(2.0), 1e-12);
    double inf[2] = {-INFINITY, log(4.0)};
    assert_near(calib_log_mean_exp(inf, 2), log(2.0), 1e-15);
    double none[1] = {-INFINITY};
    assert_true(isinf(calib_log_mean_exp(none, 1)) && calib_log_mean_exp(none, 1) < 0);
    assert_true(isinf(calib_log_mean_exp(v, 0)));
}

/* Each family removes the rows and cells it names in the 2021 file; no row is in two families;
 * what is left is aware_concept's total row and aware_platform. */
static void test_families_of_the_2021_file(void **state)
{
    (void)state;
    static const size_t rows[CALIB_N_LEAVE] = {2, 1, 7, 1, 4, 3}, cells[CALIB_N_LEAVE] = {6, 4, 21, 4, 12, 9};
    tyndau_targets t;
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_targets_load(&t, MARGINALS, NULL, &err), TYNDAU_OK);
    const double age_prior[4] = {0.24, 0.32, 0.24, 0.20};
    int owner[64];
    for (int r = 0; r < 64; r++) owner[r] = -1;
    for (int f = 0; f < CALIB_N_LEAVE; f++) {
        tyndau_obs o;
        if (tyndau_obs_build(&o, &t, 1200.0, age_prior, 0.02, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
        char joined[256] = "";
        int found = -2;
        assert_int_equal(calib_leave_find(calib_leave_families[f].name, &found, &err), TYNDAU_OK);
        assert_int_equal(found, f);
        assert_int_equal(calib_leave_holdout(&o, f, joined, sizeof joined, &err), TYNDAU_OK);
        size_t nr = 0, nc = 0;
        for (size_t r = 0; r < o.n_rows; r++) {
            if (!o.rows[r].held_out) continue;
            nr++, nc += o.rows[r].n_resp;
            if (owner[r] >= 0) fail_msg("row %zu in families %d and %d", r, owner[r], f);
            owner[r] = f;
            assert_true(o.rows[r].weight == 0.0);
        }
        if (nr != rows[f] || nc != cells[f])
            fail_msg("%s: %zu rows, %zu cells held out, expected %zu and %zu", calib_leave_families[f].name, nr, nc,
                     rows[f], cells[f]);
        assert_non_null(strstr(joined, calib_leave_families[f].spec[0]));
        if (calib_leave_families[f].breakdown) /* the total row stays, now weighed 1/2 */
            assert_true(o.rows[tyndau_obs_find(&o, "aware_concept", "total", "all")].weight == 0.5);
        tyndau_obs_free(&o);
    }
    tyndau_obs o;
    if (tyndau_obs_build(&o, &t, 1200.0, age_prior, 0.02, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
    for (size_t r = 0; r < o.n_rows; r++) {
        const char *q = o.rows[r].question;
        int rest = strcmp(q, "aware_platform") == 0 ||
                   (strcmp(q, "aware_concept") == 0 && strcmp(o.rows[r].group_type, "total") == 0);
        assert_int_equal(owner[r] < 0, rest);
    }
    int f = 0;
    assert_int_equal(calib_leave_find("all", &f, &err), TYNDAU_OK);
    assert_int_equal(f, -1);
    assert_int_equal(calib_leave_find("table3", &f, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "table6, table7, principles, meaning, age, income, or all"));
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
}

/* Distinct particles: the same model parameters with another seed are another particle; a copy is
 * not; -0.0 and 0.0 differ in their bits and count apart (bit for bit, as resampling copies them);
 * a quantity that is no model parameter (prior param -1: a discrepancy, moved by observation steps
 * alone) does not make a particle distinct. */
static void test_unique_particles(void **state)
{
    (void)state;
    enum { N = 7, D = 2 };
    prior_t pr[D];
    memset(pr, 0, sizeof pr);
    pr[0].param = 0, pr[1].param = 1; /* two model parameters */
    const double x[N * D] = {0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.3, 0.2, 0.3, 0.2, 0.0, 1.0, -0.0, 1.0};
    const uint64_t seed[N] = {5, 5, 6, 5, 5, 9, 9};
    /* (0.1, 0.2) seed 5 twice, (0.1, 0.2) seed 6, (0.3, 0.2) seed 5 twice, (0, 1) and (-0, 1): 5 */
    assert_int_equal(calib_unique(pr, x, seed, N, D), 5);
    assert_int_equal(calib_unique(pr, x, seed, 2, D), 1);
    assert_int_equal(calib_unique(pr, x, seed, 0, D), 0);
    const double same[4 * D] = {1, 1, 1, 1, 1, 1, 1, 1};
    const uint64_t s4[4] = {1, 1, 1, 1};
    assert_int_equal(calib_unique(pr, same, s4, 4, D), 1);
    /* the second quantity an observation quantity: rows differing in it alone are one particle */
    const double obs[3 * D] = {0.1, 0.2, 0.1, 0.9, 0.3, 0.2};
    const uint64_t s3[3] = {5, 5, 5};
    assert_int_equal(calib_unique(pr, obs, s3, 3, D), 3);
    pr[1].param = -1;
    assert_int_equal(calib_unique(pr, obs, s3, 3, D), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_particles),
        cmocka_unit_test(test_interval_score),
        cmocka_unit_test(test_log_mean_exp),
        cmocka_unit_test(test_families_of_the_2021_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
