/*
 * test_step.c - the stepping API: steps that cover the run give tyndau_model_run's results bit
 * for bit (daily series, run totals, headline measures, the survey), whatever the step sizes;
 * a change between steps gives the results of the same change dated in the scenario; what
 * cannot change between steps is refused with the key named; the caller's stop flag ends a step
 * at the end of a day, and the steps after it continue to the uninterrupted run's results.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "headline.h"
#include "tyndau.h"

#define AGENTS 20000

static tyndau_model *make(const tyndau_params *p, uint64_t seed)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_model *m = tyndau_model_new(p, AGENTS, seed, &err);
    if (m == NULL) fail_msg("tyndau_model_new: %s", err.msg);
    return m;
}

static void step(tyndau_model *m, int days)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_model_step(m, days, NULL, NULL, &err) != TYNDAU_OK) fail_msg("tyndau_model_step: %s", err.msg);
}

static void run(tyndau_model *m)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_model_run(m, NULL, NULL, &err) != TYNDAU_OK) fail_msg("tyndau_model_run: %s", err.msg);
}

/* Bit-for-bit equality of what a run gives: every day's channel choices and decisions, the
 * run totals, the headline measures of every group and every survey row. */
static void assert_same(const tyndau_model *a, const tyndau_model *b)
{
    assert_int_equal(tyndau_model_days_done(a), tyndau_model_days(a));
    assert_int_equal(tyndau_model_days_done(b), tyndau_model_days(b));
    int nd = tyndau_model_days(a);
    for (int d = 0; d < nd; d++)
        for (int c = 0; c < N_CHANNEL; c++) {
            assert_int_equal(tyndau_model_day_choices(a, d, (tyndau_channel)c), tyndau_model_day_choices(b, d, (tyndau_channel)c));
            for (int l = 0; l < N_LEVEL; l++)
                for (int o = 0; o < N_OUTCOME; o++)
                    assert_int_equal(tyndau_model_day_decided(a, d, (tyndau_level)l, (tyndau_channel)c, (tyndau_outcome)o),
                                     tyndau_model_day_decided(b, d, (tyndau_level)l, (tyndau_channel)c, (tyndau_outcome)o));
        }
    assert_int_equal(tyndau_model_total_problems(a), tyndau_model_total_problems(b));
    assert_int_equal(tyndau_model_total_retries(a), tyndau_model_total_retries(b));
    assert_int_equal(tyndau_model_total_escalated(a), tyndau_model_total_escalated(b));
    for (int e = 0; e < N_EVENT; e++) assert_int_equal(tyndau_model_events(a, (tyndau_event)e), tyndau_model_events(b, (tyndau_event)e));
    for (int c = 0; c < N_CHANNEL; c++)
        for (int o = 0; o < N_OUTCOME; o++)
            for (int w = 0; w < TYNDAU_ANSWER_WD_MAX; w++)
                assert_int_equal(tyndau_model_answer_wd(a, (tyndau_channel)c, (tyndau_outcome)o, w),
                                 tyndau_model_answer_wd(b, (tyndau_channel)c, (tyndau_outcome)o, w));
    for (int h = 0; h < N_HEADLINE; h++)
        for (int g = 0; g < TYNDAU_N_GROUP; g++) {
            double x = tyndau_model_headline(a, (tyndau_headline)h, g), y = tyndau_model_headline(b, (tyndau_headline)h, g);
            assert_true((isnan(x) && isnan(y)) || memcmp(&x, &y, sizeof x) == 0);
        }
    size_t na = 0, nb = 0;
    const tyndau_survey_row *ra = tyndau_model_survey(a, &na), *rb = tyndau_model_survey(b, &nb);
    assert_non_null(ra);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_string_equal(ra[i].question, rb[i].question);
        assert_string_equal(ra[i].response, rb[i].response);
        assert_int_equal(ra[i].group, rb[i].group);
        assert_memory_equal(&ra[i].simulated, &rb[i].simulated, sizeof ra[i].simulated);
    }
    /* the parameters as given, dated changes included, are the same too (the output's /parameters) */
    const tyndau_params *pa = tyndau_model_params(a), *pb = tyndau_model_params(b);
    assert_int_equal(pa->n_changes, pb->n_changes);
    assert_memory_equal(pa->changes, pb->changes, (size_t)pa->n_changes * sizeof pa->changes[0]);
}

/* The caller's stop flag: a run stops at the end of the day on which it is set, with a message;
 * cleared, steps continue to the results of an uninterrupted run; a flag set on the last day
 * stops nothing. */
static void test_stop_flag(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *a = make(&p, 7);
    run(a);
    tyndau_model *b = make(&p, 7);
    volatile sig_atomic_t stop = 0;
    tyndau_model_set_stop(b, &stop);
    step(b, 40);
    stop = 1;
    tyndau_error err;
    tyndau_error_clear(&err);
    int nd = tyndau_model_days(b);
    assert_int_equal(tyndau_model_run(b, NULL, NULL, &err), TYNDAU_EINTERNAL); /* run: only from day 0 */
    assert_int_equal(tyndau_model_step(b, nd, NULL, NULL, &err), TYNDAU_EINTERNAL);
    assert_int_equal(tyndau_model_days_done(b), 41);
    char want[64];
    snprintf(want, sizeof want, "stopped after day 41 of %d", nd);
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(tyndau_model_step(b, 1, NULL, NULL, &err), TYNDAU_OK); /* a one-day step: its end first */
    assert_int_equal(tyndau_model_days_done(b), 42);
    stop = 0;
    step(b, nd);
    assert_same(a, b);
    tyndau_model *c = make(&p, 7);
    tyndau_model_set_stop(c, &stop);
    stop = 1;
    assert_int_equal(tyndau_model_run(c, NULL, NULL, &err), TYNDAU_EINTERNAL);
    assert_int_equal(tyndau_model_days_done(c), 1);
    tyndau_model_free(a);
    tyndau_model_free(b);
    tyndau_model_free(c);
}

static void test_steps_cover_the_run(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *a = make(&p, 7);
    run(a);
    /* steps of 1, 30 and 100 days, and one past the end (shortened) */
    tyndau_model *b = make(&p, 7);
    int nd = tyndau_model_days(b), sizes[] = {1, 30, 100, 1, 250};
    assert_int_equal(tyndau_model_days_done(b), 0);
    for (int k = 0; tyndau_model_days_done(b) < nd; k++) {
        int before = tyndau_model_days_done(b), s = sizes[k % 5];
        step(b, s);
        assert_int_equal(tyndau_model_days_done(b), before + s < nd ? before + s : nd);
    }
    assert_same(a, b);
    /* one step of the whole run */
    tyndau_model *c = make(&p, 7);
    step(c, nd);
    assert_same(a, c);
    /* a different seed differs (the comparison can fail) */
    tyndau_model *d = make(&p, 8);
    run(d);
    assert_true(tyndau_model_total_problems(a) != tyndau_model_total_problems(d));
    tyndau_model_free(a);
    tyndau_model_free(b);
    tyndau_model_free(c);
    tyndau_model_free(d);
}

static void test_survey_only_after_its_day(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *m = make(&p, 3);
    int survey_day = p.survey_date - p.start_date;
    size_t n = 0;
    step(m, survey_day); /* days 0 .. survey_day-1 */
    assert_null(tyndau_model_survey(m, &n));
    assert_true(isnan(tyndau_model_headline(m, HL_RESOLUTION_RATE, 0)));
    step(m, 1);
    assert_non_null(tyndau_model_survey(m, &n));
    assert_true(n > 0);
    tyndau_model_free(m);
}

static void test_change_between_steps_is_a_dated_change(void **state)
{
    (void)state;
    /* resolve_base and corruption_mean from day 300 on, once in the scenario, once between steps */
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_error err;
    tyndau_error_clear(&err);
    int date = p.start_date + 300;
    assert_int_equal(tyndau_params_add_change(&p, date, (size_t)tyndau_params_find("resolve_base"), 0.5, &err), TYNDAU_OK);
    assert_int_equal(tyndau_params_add_change(&p, date, (size_t)tyndau_params_find("corruption_mean"), 0.01, &err), TYNDAU_OK);
    tyndau_model *a = make(&p, 11);
    run(a);
    tyndau_params_default(&p);
    tyndau_model *b = make(&p, 11);
    step(b, 300);
    assert_int_equal(tyndau_model_set(b, "resolve_base", "0.5", &err), TYNDAU_OK);
    assert_int_equal(tyndau_model_set(b, "corruption_mean", "0.01", &err), TYNDAU_OK);
    assert_true(tyndau_model_params_now(b)->resolve_base != 0.5); /* in force from the next day */
    step(b, tyndau_model_days(b));
    assert_true(tyndau_model_params_now(b)->resolve_base == 0.5);
    assert_same(a, b);
    /* and it changed the results: the run without it differs */
    tyndau_model *c = make(&p, 11);
    run(c);
    assert_true(tyndau_model_headline(a, HL_RESOLUTION_RATE, 0) > tyndau_model_headline(c, HL_RESOLUTION_RATE, 0));
    tyndau_model_free(a);
    tyndau_model_free(b);
    tyndau_model_free(c);
}

static void expect_refused(tyndau_model *m, const char *key, const char *value, const char *says)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    const tyndau_params before = *tyndau_model_params(m);
    assert_int_equal(tyndau_model_set(m, key, value, &err), TYNDAU_EINPUT);
    if (strstr(err.msg, says) == NULL) fail_msg("'%s = %s': expected a message with '%s', got '%s'", key, value, says, err.msg);
    assert_int_equal(tyndau_model_params(m)->n_changes, before.n_changes); /* nothing half-done */
}

static void test_what_cannot_change_between_steps(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *m = make(&p, 5);
    expect_refused(m, "resolve_base", "0.5", "key 'resolve_base': no day has run yet");
    step(m, 10);
    expect_refused(m, "resolve_bse", "0.5", "unknown parameter 'resolve_bse' (did you mean 'resolve_base'?)");
    expect_refused(m, "resolve_base", "1.5", "key 'resolve_base'");
    expect_refused(m, "population_national", "100", "cannot change on a date");
    /* a rate of the schedule's tables: events are drawn ahead from them */
    expect_refused(m, "campaign_social", "0.5", "key 'campaign_social': cannot change between steps");
    /* a value that leaves the tables as they are is accepted (the default again) */
    tyndau_error err;
    char def[64];
    tyndau_params_format(&p, (size_t)tyndau_params_find("campaign_social"), def, sizeof def);
    assert_int_equal(tyndau_model_set(m, "campaign_social", def, &err), TYNDAU_OK);
    assert_int_equal(tyndau_model_step(m, 0, NULL, NULL, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "days: expected 1 or more"));
    step(m, tyndau_model_days(m));
    assert_int_equal(tyndau_model_step(m, 1, NULL, NULL, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "the run is over"));
    expect_refused(m, "resolve_base", "0.5", "the run is over");
    assert_int_equal(tyndau_model_run(m, NULL, NULL, &err), TYNDAU_EINTERNAL);
    tyndau_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_cover_the_run),
        cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_survey_only_after_its_day),
        cmocka_unit_test(test_change_between_steps_is_a_dated_change),
        cmocka_unit_test(test_what_cannot_change_between_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
