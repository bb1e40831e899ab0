/*
 * test_headline.c - unit tests of the headline measures (model/headline.c).
 *
 * Known answers: degenerate parameters (no problems: voice and resolution rates undefined;
 * no corruption: no bribes; everyone knows the platforms: platform awareness exactly 1) and
 * agreement with the model's other accessors (whole-run channel and outcome totals, the
 * state series, the citizens themselves), whose own tests are in test_model.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "headline.h"
#include "tyndau.h"

static tyndau_model *run(tyndau_params *p, size_t n, uint64_t seed)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_model *m = tyndau_model_new(p, n, seed, &err);
    if (m == NULL) fail_msg("tyndau_model_new: %s", err.msg);
    if (tyndau_model_run(m, NULL, NULL, &err) != TYNDAU_OK) fail_msg("tyndau_model_run: %s", err.msg);
    return m;
}

static void set(tyndau_params *p, const char *k, const char *v)
{
    tyndau_error err;
    if (tyndau_params_set(p, k, v, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
}

static void test_names(void **state)
{
    (void)state;
    for (int h = 0; h < N_HEADLINE; h++) assert_int_equal(tyndau_headline_find(tyndau_headline_names[h]), h);
    assert_int_equal(tyndau_headline_find("no_such_measure"), -1);
}

/* No problems: nothing to voice, nothing decided; the rates are undefined, not 0. */
static void test_no_problems_undefined(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "problem_rate", "0");
    tyndau_model *m = run(&p, 3000, 1);
    assert_true(isnan(tyndau_model_headline(m, HL_VOICE_RATE, 0)));
    assert_true(isnan(tyndau_model_headline(m, HL_RESOLUTION_RATE, 0)));
    assert_true(isnan(tyndau_model_headline(m, HL_ANSWER_DAYS, 0)));
    assert_true(isnan(tyndau_model_gap(m, GAP_INCOME)));
    tyndau_model_free(m);
}

/* Before the run every measure is NaN. */
static void test_before_run(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_error err;
    tyndau_model *m = tyndau_model_new(&p, 2000, 1, &err);
    assert_non_null(m);
    for (int h = 0; h < N_HEADLINE; h++) assert_true(isnan(tyndau_model_headline(m, (tyndau_headline)h, 0)));
    tyndau_model_free(m);
}

/* The totals agree exactly with the whole-run accessors and the citizens. */
static void test_consistent_with_totals(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "corruption_mean", "0");
    tyndau_model *m = run(&p, 20000, 3);
    uint64_t problems = tyndau_model_total_problems(m), appeals = 0, decided = 0;
    for (int c = 1; c < N_CHANNEL; c++) appeals += tyndau_model_total_channel(m, (tyndau_channel)c);
    for (int o = 0; o < N_OUTCOME; o++) decided += tyndau_model_total_outcome(m, (tyndau_outcome)o);
    assert_true(problems > 0 && appeals > 0 && decided > 0);
    assert_true(tyndau_model_headline(m, HL_VOICE_RATE, 0) == (double)appeals / (double)problems);
    assert_true(tyndau_model_headline(m, HL_RESOLUTION_RATE, 0) ==
                (double)tyndau_model_total_outcome(m, OUT_RESOLVED) / (double)decided);
    assert_true(tyndau_model_headline(m, HL_FORMAL_RATE, 0) ==
                (double)tyndau_model_total_outcome(m, OUT_FORMAL) / (double)decided);
    assert_true(tyndau_model_headline(m, HL_BRIBE_INCIDENCE, 0) == 0.0); /* no corruption */
    /* end-of-run shares: a recount of the citizens */
    size_t n = tyndau_model_agents(m), plat = 0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        plat += v.platform != PA_NONE;
    }
    assert_true(tyndau_model_headline(m, HL_PLATFORM_AWARE, 0) == (double)plat / (double)n);
    /* the gap is a difference of two group rates */
    double hi = tyndau_model_headline(m, HL_RESOLUTION_RATE, TYNDAU_GROUP_INCOME + INC_HIGH);
    double lo = tyndau_model_headline(m, HL_RESOLUTION_RATE, TYNDAU_GROUP_INCOME + INC_LOW);
    assert_true(tyndau_model_gap(m, GAP_INCOME) == hi - lo);
    /* every rate is a share */
    for (int g = 0; g < TYNDAU_N_GROUP; g++)
        for (int h = 0; h < N_HEADLINE; h++) {
            double v = tyndau_model_headline(m, (tyndau_headline)h, g);
            if (h == HL_ANSWER_DAYS) assert_true(isnan(v) || v >= 0.0);
            else assert_true(isnan(v) || (v >= 0.0 && v <= 1.0));
        }
    tyndau_model_free(m);
}

/* The measure over days [d0, d1): over the whole run it is the whole-run measure (every group,
 * every measure but answer_days), and the weeks add up: the appeals and problems of two halves
 * give the whole's rate as their weighted mean. */
static void test_days_window(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *m = run(&p, 20000, 5);
    int n = tyndau_model_days(m);
    for (int g = 0; g < TYNDAU_N_GROUP; g++)
        for (int h = 0; h < N_HEADLINE; h++) {
            double all = tyndau_model_headline(m, (tyndau_headline)h, g);
            double win = tyndau_model_headline_days(m, (tyndau_headline)h, g, 0, n);
            if (h == HL_ANSWER_DAYS) assert_true(isnan(win));
            else if (isnan(all)) assert_true(isnan(win));
            else if (win != all)
                fail_msg("%s, group %d: days [0, %d) %.17g, whole run %.17g", tyndau_headline_names[h], g, n, win, all);
        }
    /* outside the run, an empty window: NaN */
    assert_true(isnan(tyndau_model_headline_days(m, HL_VOICE_RATE, 0, 0, n + 1)));
    assert_true(isnan(tyndau_model_headline_days(m, HL_VOICE_RATE, 0, 7, 7)));
    /* shares are on the window's last day: the first week's platform awareness is below the end's */
    assert_true(tyndau_model_headline_days(m, HL_PLATFORM_AWARE, 0, 0, 7) <
                tyndau_model_headline(m, HL_PLATFORM_AWARE, 0));
    tyndau_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_no_problems_undefined),
        cmocka_unit_test(test_before_run),
        cmocka_unit_test(test_consistent_with_totals),
        cmocka_unit_test(test_days_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
