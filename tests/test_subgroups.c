/*
 * test_subgroups.c - unit tests of the subgroup-size estimator (src/calibrate/subgroups.c).
 *
 * Known answers: synthetic cross-tabs are built from known group sizes (each total row the
 * exact size-weighted mean of its group rows), written as marginals CSV text and read back
 * through tyndau_targets_parse, so the estimator sees exactly what it would see in a file.
 * Exact data must give the sizes back to 1e-9; data rounded to 0.1 pp, as published, within a
 * few standard errors.  Run from the repository root (the real data file is opened by a
 * relative path).
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

#include "calibrate/subgroups.h"
#include "targets.h"

#define MARGINALS "data/survey_2021/marginals.csv"
#define HEADER "question,base,group_type,group,response,percent\n"

static const char *const age_groups[] = {"18-29", "30-45", "46-60", "61+"};
static const double age_sizes[] = {0.22, 0.31, 0.26, 0.21};
static const char *const income_groups[] = {"high", "middle", "low"};
static const double income_sizes[] = {0.3, 0.45, 0.25};

/* cmocka's assert_float_equal works in float; these tolerances need double. */
#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol))
        fail_msg("%s:%d: %.17g differs from %.17g by more than %g", file, line, a, b, tol);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL) fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* Percent written either exactly (%.17g) or rounded to 0.1 as the article publishes. */
static void put_cell(FILE *f, int rounded, const char *question, const char *base,
                     const char *group_type, const char *group, const char *response, double share)
{
    if (rounded)
        fprintf(f, "%s,%s,%s,%s,%s,%.1f\n", question, base, group_type, group, response,
                100.0 * share);
    else
        fprintf(f, "%s,%s,%s,%s,%s,%.17g\n", question, base, group_type, group, response,
                100.0 * share);
}

/*
 * One question of the synthetic survey: nresp responses, group shares made up from a fixed
 * formula (arbitrary, but different between groups), normalised so each row sums to 1; the
 * total is the size-weighted mean, which then sums to 1 as well.
 */
static void put_question(FILE *f, int rounded, size_t q, size_t nresp, const char *group_type,
                         const char *const *groups, const double *sizes, size_t k)
{
    char question[32];
    snprintf(question, sizeof question, "q%zu", q);
    static const char *const responses[] = {"yes", "no", "dont_know", "other"};
    double share[8][4], total[4] = {0.0};
    for (size_t g = 0; g < k; g++) {
        double sum = 0.0;
        for (size_t r = 0; r < nresp; r++) {
            share[g][r] = 1.0 + (double)((g * 7 + r * 3 + q * 5 + g * r * q) % 11);
            sum += share[g][r];
        }
        for (size_t r = 0; r < nresp; r++) share[g][r] /= sum;
    }
    for (size_t r = 0; r < nresp; r++)
        for (size_t g = 0; g < k; g++) total[r] += sizes[g] * share[g][r];
    for (size_t r = 0; r < nresp; r++)
        put_cell(f, rounded, question, "all", "total", "all", responses[r], total[r]);
    for (size_t g = 0; g < k; g++)
        for (size_t r = 0; r < nresp; r++)
            put_cell(f, rounded, question, "all", group_type, groups[g], responses[r], share[g][r]);
}

/*
 * A survey with age and income cross-tabs for 5 questions (3 with 3 responses, 2 with 4), plus
 * cells the estimator must ignore: a cross-tab on a sub-base whose totals are not the weighted
 * mean, and a question published only as a total.
 */
static char *synthetic_csv(int rounded)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    fputs(HEADER, f);
    for (size_t q = 0; q < 5; q++) {
        size_t nresp = q < 3 ? 3 : 4;
        put_question(f, rounded, q, nresp, "age", age_groups, age_sizes, 4);
        put_question(f, rounded, q + 10, nresp, "income", income_groups, income_sizes, 3);
    }
    /* sub-base: shares of those aware; the totals deliberately break the identity */
    fputs("sub,aware,total,all,yes,90\nsub,aware,total,all,no,10\n", f);
    for (size_t g = 0; g < 4; g++) fprintf(f, "sub,aware,age,%s,yes,20\nsub,aware,age,%s,no,80\n",
                                           age_groups[g], age_groups[g]);
    fputs("only_total,all,total,all,yes,40\nonly_total,all,total,all,no,60\n", f);
    fclose(f);
    return buf;
}

static void parse_ok(tyndau_targets *t, const char *text)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_targets_parse(t, text, "synthetic.csv", NULL, &err);
    if (st != TYNDAU_OK) fail_msg("parse failed (%d): %s", st, err.msg);
}

static void estimate_ok(const tyndau_targets *t, const char *group_type, const double *prior,
                        double prior_weight, tyndau_subgroups *out)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_subgroups_estimate(t, group_type, prior, prior_weight, out, &err);
    if (st != TYNDAU_OK) fail_msg("estimate '%s' failed (%d): %s", group_type, st, err.msg);
}

static void expect_einput(const tyndau_targets *t, const char *group_type, const double *prior,
                          double prior_weight, const char *key)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_subgroups out;
    out.n_groups = 99;
    tyndau_status st = tyndau_subgroups_estimate(t, group_type, prior, prior_weight, &out, &err);
    if (st != TYNDAU_EINPUT) fail_msg("expected TYNDAU_EINPUT for '%s', got %d: %s", group_type, st, err.msg);
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_contains(err.msg, key);
    assert_contains(err.msg, "expected");
    assert_int_equal(out.n_groups, 0); /* zeroed on failure */
}

/* Invariants of any estimate: shares in [0,1] summing to 1, se = sqrt(diag cov), rows of cov sum to 0. */
static void check_invariants(const tyndau_subgroups *s)
{
    double sum = 0.0;
    for (size_t g = 0; g < s->n_groups; g++) {
        assert_true(s->share[g] >= 0.0 && s->share[g] <= 1.0);
        assert_true(isfinite(s->se[g]) && s->se[g] >= 0.0);
        assert_near(s->se[g], sqrt(s->cov[g][g]), 1e-15);
        double row = 0.0, scale = 0.0;
        for (size_t h = 0; h < s->n_groups; h++) {
            assert_near(s->cov[g][h], s->cov[h][g], 1e-15);
            row += s->cov[g][h];
            scale += fabs(s->cov[g][h]);
        }
        assert_near(row, 0.0, 1e-9 * scale + 1e-300);
        sum += s->share[g];
    }
    assert_near(sum, 1.0, 1e-12);
    assert_true(isfinite(s->rms_residual) && s->rms_residual >= 0.0);
}

static void print_estimate(const char *label, const tyndau_subgroups *s)
{
    print_message("%s: %zu cells, rms residual %.3f pp\n", label, s->n_equations, s->rms_residual);
    for (size_t g = 0; g < s->n_groups; g++)
        print_message("    %-8s %6.2f%%  se %5.2f pp\n", s->group[g], 100.0 * s->share[g],
                      100.0 * s->se[g]);
}

/* ---- synthetic cross-tabs from known sizes ---- */

static void test_exact_recovery(void **state)
{
    (void)state;
    char *csv = synthetic_csv(0);
    tyndau_targets t = {NULL, 0};
    parse_ok(&t, csv);

    tyndau_subgroups s;
    estimate_ok(&t, "age", NULL, 0.0, &s);
    check_invariants(&s);
    assert_string_equal(s.group_type, "age");
    assert_int_equal(s.n_groups, 4);
    assert_int_equal(s.n_equations, 3 * 3 + 2 * 4); /* the sub-base cells are not used */
    for (size_t g = 0; g < 4; g++) {
        assert_string_equal(s.group[g], age_groups[g]);
        assert_near(s.share[g], age_sizes[g], 1e-9);
    }
    assert_true(s.rms_residual < 1e-9);

    estimate_ok(&t, "income", NULL, 0.0, &s);
    check_invariants(&s);
    assert_int_equal(s.n_groups, 3);
    assert_int_equal(s.n_equations, 17);
    for (size_t g = 0; g < 3; g++) {
        assert_string_equal(s.group[g], income_groups[g]);
        assert_near(s.share[g], income_sizes[g], 1e-9);
        /* exact data: only the 0.1 pp rounding floor is left in the errors */
        assert_true(s.se[g] > 0.0 && s.se[g] < 0.01);
    }

    /* a prior that agrees with the data changes nothing, whatever its weight */
    estimate_ok(&t, "age", age_sizes, 1.0, &s);
    for (size_t g = 0; g < 4; g++) assert_near(s.share[g], age_sizes[g], 1e-9);
    /* weight 0 is no prior */
    static const double off[] = {0.4, 0.3, 0.2, 0.1};
    estimate_ok(&t, "age", off, 0.0, &s);
    for (size_t g = 0; g < 4; g++) assert_near(s.share[g], age_sizes[g], 1e-9);
    /* a prior that disagrees pulls the estimate toward it, more with more weight */
    tyndau_subgroups weak, strong;
    estimate_ok(&t, "age", off, 1e-3, &weak);
    estimate_ok(&t, "age", off, 1e3, &strong);
    check_invariants(&weak);
    check_invariants(&strong);
    assert_true(fabs(weak.share[0] - age_sizes[0]) < fabs(strong.share[0] - age_sizes[0]));
    assert_near(strong.share[0], off[0], 1e-3);

    tyndau_targets_free(&t);
    free(csv);
}

static void test_rounded_recovery(void **state)
{
    (void)state;
    char *csv = synthetic_csv(1);
    tyndau_targets t = {NULL, 0};
    parse_ok(&t, csv);

    tyndau_subgroups s;
    estimate_ok(&t, "age", NULL, 0.0, &s);
    check_invariants(&s);
    print_estimate("synthetic age, rounded to 0.1 pp (true 22/31/26/21)", &s);
    for (size_t g = 0; g < 4; g++) {
        assert_true(s.se[g] > 0.0 && s.se[g] < 0.05);
        if (fabs(s.share[g] - age_sizes[g]) > 4.0 * s.se[g])
            fail_msg("age %s: %.5f vs true %.5f, more than 4 se (%.5f)", age_groups[g], s.share[g],
                     age_sizes[g], s.se[g]);
    }
    assert_true(s.rms_residual > 0.0 && s.rms_residual < 0.1);

    estimate_ok(&t, "income", NULL, 0.0, &s);
    check_invariants(&s);
    print_estimate("synthetic income, rounded to 0.1 pp (true 30/45/25)", &s);
    for (size_t g = 0; g < 3; g++) {
        assert_true(s.se[g] > 0.0 && s.se[g] < 0.05);
        if (fabs(s.share[g] - income_sizes[g]) > 4.0 * s.se[g])
            fail_msg("income %s: %.5f vs true %.5f, more than 4 se (%.5f)", income_groups[g],
                     s.share[g], income_sizes[g], s.se[g]);
    }
    tyndau_targets_free(&t);
    free(csv);
}

/*
 * Non-negativity.  Totals 1.2 s_a - 0.1 s_b - 0.1 s_c lie outside the groups' hull: the free
 * solution is (1.2, -0.1, -0.1).  With s_b and s_c on the same side of s_a (positive inner
 * products of their differences from s_a), moving away from the vertex a raises the objective,
 * so the constrained solution is exactly (1, 0, 0).
 */
static void test_bounds_active(void **state)
{
    (void)state;
    const char *csv = HEADER
        "q1,all,total,all,r1,55\nq1,all,total,all,r2,29\nq1,all,total,all,r3,16\n"
        "q1,all,tier,a,r1,50\nq1,all,tier,a,r2,30\nq1,all,tier,a,r3,20\n"
        "q1,all,tier,b,r1,30\nq1,all,tier,b,r2,40\nq1,all,tier,b,r3,30\n"
        "q1,all,tier,c,r1,20\nq1,all,tier,c,r2,30\nq1,all,tier,c,r3,50\n"
        "q2,all,total,all,r1,45\nq2,all,total,all,r2,40\nq2,all,total,all,r3,15\n"
        "q2,all,tier,a,r1,40\nq2,all,tier,a,r2,40\nq2,all,tier,a,r3,20\n"
        "q2,all,tier,b,r1,20\nq2,all,tier,b,r2,50\nq2,all,tier,b,r3,30\n"
        "q2,all,tier,c,r1,10\nq2,all,tier,c,r2,30\nq2,all,tier,c,r3,60\n";
    tyndau_targets t = {NULL, 0};
    parse_ok(&t, csv);
    tyndau_subgroups s;
    estimate_ok(&t, "tier", NULL, 0.0, &s);
    check_invariants(&s);
    assert_near(s.share[0], 1.0, 1e-12);
    assert_near(s.share[1], 0.0, 1e-12);
    assert_near(s.share[2], 0.0, 1e-12);
    for (size_t g = 0; g < 3; g++) assert_near(s.se[g], 0.0, 1e-12); /* all held at bounds */
    assert_true(s.rms_residual > 1.0); /* the data are not a mixture */
    tyndau_targets_free(&t);
}

/* ---- the published 2021 data ---- */

static void test_real_data(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_targets_load(&t, MARGINALS, NULL, &err) != TYNDAU_OK) fail_msg("%s", err.msg);

    tyndau_subgroups s;
    estimate_ok(&t, "income", NULL, 0.0, &s);
    check_invariants(&s);
    print_estimate("2021 survey, income (no prior)", &s);
    assert_int_equal(s.n_groups, 3);
    assert_int_equal(s.n_equations, 3);
    for (size_t g = 0; g < 3; g++) {
        assert_true(s.share[g] >= 0.1 && s.share[g] <= 0.6);
        assert_true(s.se[g] > 0.0);
    }
    assert_string_equal(s.group[0], "high");
    assert_string_equal(s.group[1], "middle");
    assert_string_equal(s.group[2], "low");

    /* one question gives 2 independent equations: too few for 3 free age shares */
    expect_einput(&t, "age", NULL, 0.0, "fewer");

    /* with the national age structure as a prior, weak and strong */
    static const double national[] = {0.24, 0.32, 0.24, 0.20};
    static const double weights[] = {1e-4, 1.0};
    for (size_t i = 0; i < 2; i++) {
        estimate_ok(&t, "age", national, weights[i], &s);
        check_invariants(&s);
        char label[96];
        snprintf(label, sizeof label, "2021 survey, age (prior 24/32/24/20, weight %g)", weights[i]);
        print_estimate(label, &s);
        assert_int_equal(s.n_groups, 4);
        for (size_t g = 0; g < 4; g++) {
            assert_true(s.share[g] >= 0.05 && s.share[g] <= 0.6);
            assert_true(s.se[g] > 0.0);
        }
    }
    tyndau_targets_free(&t);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_targets_load(&t, MARGINALS, NULL, &err) != TYNDAU_OK) fail_msg("%s", err.msg);

    expect_einput(&t, "region", NULL, 0.0, "region");
    expect_einput(&t, "region", NULL, 0.0, "age, income"); /* says which types exist */
    expect_einput(&t, "total", NULL, 0.0, "total");

    static const double national[] = {0.24, 0.32, 0.24, 0.20};
    expect_einput(&t, "age", national, -1.0, "prior weight");
    expect_einput(&t, "age", national, NAN, "prior weight");
    static const double bad_sum[] = {0.5, 0.5, 0.5, 0.5};
    expect_einput(&t, "age", bad_sum, 1.0, "sum to 2");
    static const double negative[] = {-0.1, 0.5, 0.3, 0.3};
    expect_einput(&t, "age", negative, 1.0, "prior share 1");

    tyndau_subgroups s;
    assert_int_equal(tyndau_subgroups_estimate(NULL, "age", NULL, 0.0, &s, &err), TYNDAU_EINTERNAL);
    assert_int_equal(tyndau_subgroups_estimate(&t, NULL, NULL, 0.0, &s, &err), TYNDAU_EINTERNAL);
    assert_int_equal(tyndau_subgroups_estimate(&t, "age", NULL, 0.0, NULL, &err), TYNDAU_EINTERNAL);
    tyndau_targets_free(&t);

    /* a cross-tab whose groups are published only on a sub-base has no usable equation */
    const char *sub = HEADER "q,aware,total,all,yes,50\nq,aware,total,all,no,50\n"
                             "q,aware,g,a,yes,40\nq,aware,g,a,no,60\nq,aware,g,b,yes,60\nq,aware,g,b,no,40\n";
    parse_ok(&t, sub);
    expect_einput(&t, "g", NULL, 0.0, "no question");
    tyndau_targets_free(&t);

    /* a cross-tab whose groups answer alike cannot tell them apart */
    const char *alike = HEADER "q,all,total,all,yes,50\nq,all,total,all,no,50\n"
                               "q,all,g,a,yes,50\nq,all,g,a,no,50\nq,all,g,b,yes,50\nq,all,g,b,no,50\n";
    parse_ok(&t, alike);
    expect_einput(&t, "g", NULL, 0.0, "cannot tell");
    tyndau_targets_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_recovery),
        cmocka_unit_test(test_rounded_recovery),
        cmocka_unit_test(test_bounds_active),
        cmocka_unit_test(test_real_data),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
