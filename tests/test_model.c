/*
 * test_model.c - the simulation library: degenerate parameters give exact
 * results, input rates and shares are recovered within k standard errors
 * (fixed seeds), and results do not depend on the thread count.
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
#include <omp.h>

#include "anchors.h"
#include "tyndau.h"

#define K_SE 4.0 /* tolerance in standard errors: a false alarm about once in 16,000 */

static tyndau_model *make(tyndau_params *p, size_t n, uint64_t seed)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_model *m = tyndau_model_new(p, n, seed, &err);
    if (m == NULL) fail_msg("tyndau_model_new: %s", err.msg);
    return m;
}

static tyndau_model *run(tyndau_params *p, size_t n, uint64_t seed)
{
    tyndau_model *m = make(p, n, seed);
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_model_run(m, NULL, NULL, &err) != TYNDAU_OK) fail_msg("tyndau_model_run: %s", err.msg);
    return m;
}

static void set(tyndau_params *p, const char *k, const char *v)
{
    tyndau_error err;
    if (tyndau_params_set(p, k, v, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
}

static uint64_t appeals(const tyndau_model *m)
{
    uint64_t s = 0;
    for (int c = 1; c < N_CHANNEL; c++) s += tyndau_model_total_channel(m, (tyndau_channel)c);
    return s;
}

static uint64_t outcomes(const tyndau_model *m)
{
    uint64_t s = 0;
    for (int o = 0; o < N_OUTCOME; o++) s += tyndau_model_total_outcome(m, (tyndau_outcome)o);
    return s;
}

static void test_no_problems_no_appeals(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "problem_rate", "0");
    tyndau_model *m = run(&p, 20000, 7);
    assert_int_equal(tyndau_model_total_problems(m), 0);
    assert_int_equal(appeals(m), 0);
    assert_int_equal(tyndau_model_total_channel(m, CH_SILENCE), 0);
    assert_int_equal(outcomes(m), 0);
    tyndau_model_free(m);
}

static void test_zero_corruption_zero_bribes(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "corruption_mean", "0");
    tyndau_model *m = run(&p, 40000, 7);
    assert_true(outcomes(m) > 1000); /* the test is not vacuous */
    assert_int_equal(tyndau_model_total_outcome(m, OUT_BRIBE_PAID), 0);
    assert_int_equal(tyndau_model_total_outcome(m, OUT_BRIBE_REFUSED), 0);
    for (size_t i = 0; i < tyndau_model_agents(m); i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        assert_int_equal(v.bribes, 0);
    }
    tyndau_model_free(m);
}

static int formal(int c) { return c == CH_ONLINE || c == CH_OFFLINE || c == CH_SOCIAL || c == CH_PRESIDENT; }

/* Decided cases through channel c with outcome o (-1: any), from the working-day histogram. */
static int64_t decided_channel(const tyndau_model *m, int c, int o)
{
    int64_t s = 0;
    for (int k = 0; k < N_OUTCOME; k++)
        if (o < 0 || k == o)
            for (int wd = 0; wd < TYNDAU_ANSWER_WD_MAX; wd++) s += tyndau_model_answer_wd(m, (tyndau_channel)c, (tyndau_outcome)k, wd);
    return s;
}

/* With no capacity no case is answered: every formal case is late, decided on exactly the last
 * working day of its deadline (15 working days after filing here, where both deadlines are 15,
 * no case is redirected and none extended): those not reached by capacity and those let lapse
 * alike.  An acquaintance's case has no deadline: none is decided, all are still held. */
static void test_zero_capacity_all_late(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "cases_per_day", "0");
    set(&p, "deadline_before_code", "15");
    set(&p, "redirect_share", "0");
    set(&p, "extension_base", "0");
    set(&p, "extension_monitor", "0");
    tyndau_model *m = run(&p, 40000, 7);
    assert_true(appeals(m) > 1000);
    assert_true(tyndau_model_total_channel(m, CH_INFORMAL) > 50);
    assert_int_equal(tyndau_model_total_outcome(m, OUT_RESOLVED), 0);
    assert_int_equal(outcomes(m), tyndau_model_total_outcome(m, OUT_LATE_IGNORED));
    assert_true(outcomes(m) > 1000);
    for (int c = 1; c < N_CHANNEL; c++) {
        for (int o = 0; o < N_OUTCOME; o++)
            for (int wd = 0; wd < TYNDAU_ANSWER_WD_MAX; wd++)
                if (!(formal(c) && o == OUT_LATE_IGNORED && wd == 15))
                    assert_int_equal(tyndau_model_answer_wd(m, (tyndau_channel)c, (tyndau_outcome)o, wd), 0);
        int64_t late = tyndau_model_decisions(m, (tyndau_channel)c, DEC_LATE) +
                       tyndau_model_decisions(m, (tyndau_channel)c, DEC_LAPSED);
        assert_int_equal(late, decided_channel(m, c, -1));
    }
    assert_int_equal(decided_channel(m, CH_INFORMAL, -1), 0);
    uint64_t received, processed, escalated, queued;
    tyndau_model_office_totals(m, &received, &processed, &escalated, &queued);
    assert_true(queued >= tyndau_model_total_channel(m, CH_INFORMAL));
    tyndau_model_free(m);
}

/* Day number of the last working day on or before `months` calendar months after `date` (the
 * day of the month kept, or the month's last day): written out here independently of offices.c. */
static int extended_deadline(int date, int months)
{
    char buf[16];
    int y, mo, d;
    tyndau_date_format(date, buf, sizeof buf);
    assert_int_equal(sscanf(buf, "%d-%d-%d", &y, &mo, &d), 3);
    mo += months;
    y += (mo - 1) / 12;
    mo = (mo - 1) % 12 + 1;
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = dim[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    int e = TYNDAU_YMD(y, mo, d < last ? d : last);
    while (tyndau_weekday(e) >= 5) e--;
    return e;
}

/* A case whose preparation outlasts its deadline and is extended (probability 1) has until two
 * months after filing; prepared in about 100 working days, it is late on exactly the last working
 * day of those two months.  So the formal cases decided on each day are exactly those filed on the
 * days whose extended deadline it is. */
static void test_extension_two_months(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "extension_base", "1");
    set(&p, "prep_mean", "100");
    set(&p, "prep_size", "10000"); /* nearly Poisson(100): never under 50 */
    set(&p, "resistance_mean", "0");  /* nothing lapses */
    set(&p, "redirect_share", "0");
    set(&p, "monitor_deadline", "0"); /* no formal answer at the deadline */
    set(&p, "social_escalation", "0");
    tyndau_model *m = run(&p, 30000, 31);
    int n = tyndau_model_days(m);
    int64_t *want = calloc((size_t)n, sizeof *want);
    assert_non_null(want);
    int64_t filed = 0, moved = 0;
    for (int d = 0; d < n; d++) {
        int64_t f = 0;
        for (int c = 1; c < N_CHANNEL; c++)
            if (formal(c)) f += tyndau_model_day_choices(m, d, (tyndau_channel)c);
        int e = extended_deadline(p.start_date + d, p.extension_months) - p.start_date;
        assert_true(e - d > 21 + 7); /* later than either ordinary deadline (in calendar days) */
        if (e < n) want[e] += f, moved += f;
        filed += f;
    }
    int64_t got_total = 0;
    for (int d = 0; d < n; d++) {
        int64_t got = 0;
        for (int l = 0; l < N_LEVEL; l++)
            for (int c = 1; c < N_CHANNEL; c++)
                if (formal(c))
                    for (int o = 0; o < N_OUTCOME; o++)
                        got += tyndau_model_day_decided(m, d, (tyndau_level)l, (tyndau_channel)c, (tyndau_outcome)o);
        assert_int_equal(got, want[d]);
        got_total += got;
    }
    print_message("formal cases filed %lld, decided at two months %lld\n", (long long)filed, (long long)got_total);
    assert_true(got_total > 1000);
    for (int c = 1; c < N_CHANNEL; c++)
        if (formal(c)) assert_int_equal(tyndau_model_decisions(m, (tyndau_channel)c, DEC_LATE), decided_channel(m, c, -1));
    assert_true(tyndau_model_total_extended(m) >= (uint64_t)got_total);
    free(want);
    tyndau_model_free(m);
}

/* A formal case the office is not competent for is redirected within 3 working days of receipt
 * (or is late then), however long cases take to prepare and however short capacity is. */
static void test_redirect_within_three_days(void **state)
{
    (void)state;
    const char *capacity[2] = {"3", "0.3"};
    for (int k = 0; k < 2; k++) {
        tyndau_params p;
        tyndau_params_default(&p);
        set(&p, "prep_mean", "20");
        set(&p, "cases_per_day", capacity[k]);
        tyndau_model *m = run(&p, 30000, 37);
        int64_t redirected = 0, at3 = 0;
        for (int c = 1; c < N_CHANNEL; c++) {
            if (!formal(c)) continue;
            for (int wd = 0; wd < TYNDAU_ANSWER_WD_MAX; wd++) {
                int64_t r = tyndau_model_answer_wd(m, (tyndau_channel)c, OUT_REDIRECTED, wd);
                if (wd > p.redirect_days) assert_int_equal(r, 0);
                redirected += r;
                if (wd == p.redirect_days) at3 += r;
            }
        }
        print_message("cases_per_day %s: %lld redirected, %lld of them on the third working day\n", capacity[k],
                      (long long)redirected, (long long)at3);
        assert_true(redirected > (k == 0 ? 500 : 0) && at3 > 0); /* short capacity: most are late instead */
        tyndau_model_free(m);
    }
}

/* Resolved share (and its binomial variance) of the cases decided through channel c. */
static double resolved_share(const tyndau_model *m, int c, double *var)
{
    double n = (double)decided_channel(m, c, -1), r = (double)decided_channel(m, c, OUT_RESOLVED) / n;
    *var = r * (1.0 - r) / n;
    return r;
}

/* Favouritism moves a fixed effort (docs/ODD.md 7.4): with it, complainants an office sees as
 * less visible than its average (offline, the least visible channel) are resolved less often
 * than without it, more visible ones (social media) more often, and the mean over all cases stays
 * where it was, within K_SE standard errors (the runs share their seed, which only narrows it). */
static void test_favouritism_fixed_budget(void **state)
{
    (void)state;
    tyndau_model *m[2];
    const char *fav[2] = {"0", "1"};
    for (int k = 0; k < 2; k++) {
        tyndau_params p;
        tyndau_params_default(&p);
        set(&p, "favouritism_mean", fav[k]);
        m[k] = run(&p, 100000, 43);
    }
    double v0, v1;
    double off0 = resolved_share(m[0], CH_OFFLINE, &v0), off1 = resolved_share(m[1], CH_OFFLINE, &v1);
    print_message("offline resolved: %.4f without favouritism, %.4f with\n", off0, off1);
    assert_true(off0 - off1 > K_SE * sqrt(v0 + v1));
    double soc0 = resolved_share(m[0], CH_SOCIAL, &v0), soc1 = resolved_share(m[1], CH_SOCIAL, &v1);
    print_message("social media resolved: %.4f without favouritism, %.4f with\n", soc0, soc1);
    assert_true(soc1 - soc0 > K_SE * sqrt(v0 + v1));
    double all[2], var[2];
    for (int k = 0; k < 2; k++) {
        double n = (double)outcomes(m[k]);
        all[k] = (double)tyndau_model_total_outcome(m[k], OUT_RESOLVED) / n;
        var[k] = all[k] * (1.0 - all[k]) / n;
    }
    print_message("all resolved: %.4f without favouritism, %.4f with (+- %.4f)\n", all[0], all[1],
                  sqrt(var[0] + var[1]));
    assert_true(fabs(all[1] - all[0]) < K_SE * sqrt(var[0] + var[1]));
    for (int k = 0; k < 2; k++) tyndau_model_free(m[k]);
}

/* "Bake, Sake": an acquaintance pushes a case.  With no bribes, no favouritism, no monitoring and
 * deadlines that never bind, an offline case is resolved with probability resolve_base and an
 * acquaintance's with the odds raised by informal_resolve_odds, each within K_SE; it is prepared
 * in prep_mean x informal_prep_factor working days on average.  With resistance 1, every offline
 * case lapses while the acquaintance overcomes half: half lapse, and the rest are resolved with
 * the raised odds of resolve_base x (1 - 1/2). */
static void test_informal_route(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        tyndau_params p;
        tyndau_params_default(&p);
        set(&p, "corruption_mean", "0");
        set(&p, "favouritism_mean", "0");
        set(&p, "monitor_platform", "0");
        set(&p, "monitor_code", "0");
        set(&p, "deadline_before_code", "365");
        set(&p, "deadline_code", "365");
        set(&p, "prep_mean", "4");
        set(&p, "cases_per_day", "100"); /* capacity never binds */
        set(&p, "informal_tie_share", "1");
        set(&p, "resistance_mean", k == 0 ? "0" : "1");
        tyndau_model *m = run(&p, 60000, 47);
        double base = p.resolve_base * (k == 0 ? 1.0 : 1.0 - p.informal_resistance_cut), o = p.informal_resolve_odds;
        double want_inf = (k == 0 ? 1.0 : 1.0 - p.informal_resistance_cut) * o * base / (1.0 - base + o * base);
        double v_off, v_inf;
        double off = resolved_share(m, CH_OFFLINE, &v_off), inf = resolved_share(m, CH_INFORMAL, &v_inf);
        double n_inf = (double)decided_channel(m, CH_INFORMAL, -1);
        double se_inf = sqrt(want_inf * (1.0 - want_inf) / n_inf);
        print_message("resistance %d: offline resolved %.4f (designed %.4f), informal %.4f (designed %.4f +- %.4f), "
                      "%.0f informal cases\n", k, off, k == 0 ? p.resolve_base : 0.0, inf, want_inf, se_inf, n_inf);
        assert_true(n_inf > 2000);
        assert_true(fabs(inf - want_inf) < K_SE * se_inf);
        if (k == 0) {
            double se_off = sqrt(p.resolve_base * (1.0 - p.resolve_base) / (double)decided_channel(m, CH_OFFLINE, -1));
            assert_true(fabs(off - p.resolve_base) < K_SE * se_off);
            /* preparation: the mean working days to a decision, against the negative binomial's */
            double mu = p.prep_mean * p.informal_prep_factor, sd = sqrt(mu + mu * mu / p.prep_size), s = 0.0;
            for (int oc = 0; oc < N_OUTCOME; oc++)
                for (int wd = 0; wd < TYNDAU_ANSWER_WD_MAX; wd++)
                    s += wd * (double)tyndau_model_answer_wd(m, CH_INFORMAL, (tyndau_outcome)oc, wd);
            print_message("informal: %.3f working days to a decision, designed %.3f\n", s / n_inf, mu);
            assert_true(fabs(s / n_inf - mu) < K_SE * sd / sqrt(n_inf));
        } else {
            /* offline: every case lapses, none is resolved */
            assert_int_equal(decided_channel(m, CH_OFFLINE, OUT_RESOLVED), 0);
            assert_int_equal(decided_channel(m, CH_OFFLINE, OUT_LATE_IGNORED), decided_channel(m, CH_OFFLINE, -1));
            double lapse = (double)decided_channel(m, CH_INFORMAL, OUT_LATE_IGNORED) / n_inf;
            assert_true(fabs(lapse - 0.5) < K_SE * sqrt(0.25 / n_inf));
        }
        tyndau_model_free(m);
    }
}

/* The anchors are the run's own counters: appeals to the President filed in 2020 times scale is
 * the sum of the daily choices series over 2020 times scale, exactly; formal appeals decided, of
 * the daily decided series; the corruption share, a recount of the citizens' anchor bits. */
static void test_anchors_identities(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *m = run(&p, 30000, 53);
    tyndau_anchor a[TYNDAU_N_ANCHOR_MAX];
    size_t n = tyndau_model_anchors(m, a);
    assert_true(n > 10);
    int d0 = TYNDAU_YMD(2020, 1, 1) - p.start_date, d1 = TYNDAU_YMD(2021, 1, 1) - p.start_date;
    int64_t president = 0, formal_decided = 0, bribes = 0, decided = 0, filed[N_CHANNEL] = {0}, all = 0;
    for (int d = d0; d < d1; d++) {
        president += tyndau_model_day_choices(m, d, CH_PRESIDENT);
        for (int c = 1; c < N_CHANNEL; c++) filed[c] += tyndau_model_day_choices(m, d, (tyndau_channel)c);
        for (int l = 0; l < N_LEVEL; l++)
            for (int c = 1; c < N_CHANNEL; c++)
                for (int o = 0; o < N_OUTCOME; o++) {
                    int64_t k = tyndau_model_day_decided(m, d, (tyndau_level)l, (tyndau_channel)c, (tyndau_outcome)o);
                    decided += k;
                    if (formal(c)) formal_decided += k;
                    if (o == OUT_BRIBE_PAID || o == OUT_BRIBE_REFUSED) bribes += k;
                }
    }
    for (int c = 1; c < N_CHANNEL; c++) all += filed[c];
    assert_true(all > 1000);
    double scale = (double)p.population_national / 30000.0;
    int64_t cit_decided = 0, cit_bribe = 0;
    for (size_t i = 0; i < tyndau_model_agents(m); i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        cit_decided += v.anchor_decided;
        cit_bribe += v.anchor_bribe;
        assert_true(v.anchor_decided || !v.anchor_bribe);
    }
    double shares = 0.0;
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(a[k].year, strncmp(a[k].name, "akimat_resolved", 15) == 0 ? 2021 : 2020);
        assert_true(a[k].complete);
        if (strcmp(a[k].name, "president_appeals_filed") == 0) assert_true(a[k].value == (double)president * scale), seen++;
        if (strcmp(a[k].name, "formal_appeals_decided") == 0) assert_true(a[k].value == (double)formal_decided * scale), seen++;
        if (strcmp(a[k].name, "corruption_share") == 0)
            assert_true(a[k].value == 100.0 * ((double)cit_bribe / (double)cit_decided)), seen++;
        if (strncmp(a[k].name, "channel_share_", 14) == 0) shares += a[k].value, seen++;
    }
    assert_int_equal(seen, 3 + 5);
    assert_true(fabs(shares - 100.0) < 1e-9);
    /* a citizen is counted once however many of its appeals were decided */
    print_message("2020: %lld decided, %lld citizens; %lld bribe demands, %lld citizens\n", (long long)decided,
                  (long long)cit_decided, (long long)bribes, (long long)cit_bribe);
    assert_true(cit_decided > 0 && cit_decided <= decided);
    assert_true(cit_bribe > 0 && cit_bribe <= bribes);
    /* the decided series adds up to the outcome totals */
    for (int o = 0; o < N_OUTCOME; o++) {
        int64_t s = 0;
        for (int d = 0; d < tyndau_model_days(m); d++)
            for (int l = 0; l < N_LEVEL; l++)
                for (int c = 1; c < N_CHANNEL; c++) s += tyndau_model_day_decided(m, d, (tyndau_level)l, (tyndau_channel)c, (tyndau_outcome)o);
        assert_int_equal(s, tyndau_model_total_outcome(m, (tyndau_outcome)o));
    }
    tyndau_model_free(m);
}

static void test_everyone_aware_survey_says_100(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "init_aware_full", "1");
    tyndau_model *m = run(&p, 30000, 7);
    size_t n;
    const tyndau_survey_row *r = tyndau_model_survey(m, &n);
    assert_true(n > 0);
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
        if (strcmp(r[k].question, "aware_concept") != 0) continue;
        double want = strcmp(r[k].response, "fully_aware") == 0 ? 100.0 : 0.0;
        assert_true(r[k].simulated == want); /* exact, both samples, every group */
        seen++;
    }
    assert_int_equal(seen, 2 * 3 * TYNDAU_N_GROUP);
    tyndau_model_free(m);
}

/* Every appeal is accounted for: those submitted equal those processed, plus those
 * passed on to a ministry (received there again), plus those still queued; every
 * processed appeal has one outcome.  No escalation at all when its probability is 0. */
static void test_appeals_conserved(void **state)
{
    (void)state;
    const char *esc[2] = {"0", "1"};
    for (int k = 0; k < 2; k++) {
        tyndau_params p;
        tyndau_params_default(&p);
        set(&p, "social_escalation", esc[k]);
        set(&p, "cases_per_day", "1"); /* queues left at the end */
        tyndau_model *m = run(&p, 30000, 19);
        uint64_t received, processed, escalated, queued;
        tyndau_model_office_totals(m, &received, &processed, &escalated, &queued);
        assert_int_equal(received, appeals(m) + escalated);
        assert_int_equal(received, processed + escalated + queued);
        assert_int_equal(processed, outcomes(m));
        assert_int_equal(escalated, tyndau_model_total_escalated(m));
        assert_true(queued > 0);
        if (k == 0)
            assert_int_equal(escalated, 0);
        else
            assert_true(escalated > 100);
        tyndau_model_free(m);
    }
}

/* Mean and variance of the number of new problems: a Bernoulli process per citizen-day
 * with probability 1 - exp(-rate) (docs/ODD.md), a sum of independent Bernoullis. */
static void expected_problems(const tyndau_model *m, const tyndau_params *p, double *mean, double *var)
{
    int days = tyndau_model_days(m);
    *mean = *var = 0.0;
    for (size_t i = 0; i < tyndau_model_agents(m); i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        double rate = p->problem_rate / 365.25 * (v.income == INC_LOW ? p->problem_mult_low_income : 1.0) *
                      (v.settlement == SET_RURAL ? p->problem_mult_rural : 1.0) *
                      (v.age == AGE_61P ? p->problem_mult_61plus : 1.0);
        double q = 1.0 - exp(-rate);
        *mean += days * q;
        *var += days * q * (1.0 - q);
    }
}

/* Citizens who are all disengaged and never have a problem of their own never learn
 * anything about the state: the survey reports 100% "don't know" on attention. */
static void test_all_disengaged_dont_know(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "prior_disengaged", "1");
    set(&p, "problem_rate", "0");
    tyndau_model *m = run(&p, 20000, 7);
    size_t n;
    const tyndau_survey_row *r = tyndau_model_survey(m, &n);
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
        if (strncmp(r[k].question, "attention_", 10) != 0 || r[k].group != 0) continue;
        assert_true(r[k].simulated == (strcmp(r[k].response, "dont_know") == 0 ? 100.0 : 0.0));
        seen++;
    }
    assert_int_equal(seen, 2 * 2 * 3); /* two questions, two samples, three responses */
    tyndau_model_free(m);
}

/* Problems arrive as a Bernoulli process per citizen-day with probability
 * 1 - exp(-rate) (docs/ODD.md); the count is a sum of independent Bernoullis. */
static void test_problem_rate_recovered(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "problem_persist", "0");
    size_t n = 30000;
    tyndau_model *m = run(&p, n, 11);
    double mean, var;
    expected_problems(m, &p, &mean, &var);
    double got = (double)tyndau_model_total_problems(m);
    print_message("problems: %.0f, expected %.1f +- %.1f\n", got, mean, sqrt(var));
    assert_true(fabs(got - mean) < K_SE * sqrt(var));
    tyndau_model_free(m);
}

/* New problems keep arriving at their rate while unresolved ones are raised again
 * (a retry once took the place of the next new problem). */
static void test_retries_do_not_replace_new_problems(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "problem_persist", "1");
    set(&p, "problem_persist_days", "5");
    set(&p, "resolve_base", "0"); /* nothing is resolved: every answered appeal is retried */
    set(&p, "corruption_mean", "0");
    size_t n = 30000;
    tyndau_model *m = run(&p, n, 13);
    double mean, var;
    expected_problems(m, &p, &mean, &var);
    double retries = (double)tyndau_model_total_retries(m);
    double fresh = (double)tyndau_model_total_problems(m) - retries;
    print_message("new problems: %.0f, expected %.1f +- %.1f; retries %.0f\n", fresh, mean, sqrt(var), retries);
    assert_true(retries > 1000);
    assert_true(fabs(fresh - mean) < K_SE * sqrt(var));
    tyndau_model_free(m);
}

/* Table 7 as community outreach.  Degenerate: with no outreach events at all nobody heard
 * of any, so "not contacted" is exactly the engaged share and "don't know" exactly the
 * disengaged share; with only the annual reporting meeting and certain hearing, everyone
 * heard of exactly one ("rarely" is 100%). */
static double survey_cell(const tyndau_model *m, const char *q, int group, const char *resp, int quota)
{
    size_t n;
    const tyndau_survey_row *r = tyndau_model_survey(m, &n);
    for (size_t k = 0; k < n; k++)
        if (strcmp(r[k].question, q) == 0 && r[k].group == group && strcmp(r[k].response, resp) == 0 &&
            r[k].quota == quota)
            return r[k].simulated;
    fail_msg("no survey cell %s %d %s", q, group, resp);
    return NAN;
}

static void test_outreach_degenerate(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "outreach_report", "0");
    set(&p, "outreach_extra_urban", "0");
    set(&p, "outreach_extra_rural", "0");
    size_t n = 20000;
    tyndau_model *m = run(&p, n, 31);
    size_t dis = 0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        dis += (size_t)v.disengaged;
        assert_int_equal(v.contacts, 0);
    }
    assert_true(fabs(survey_cell(m, "authorities_contacted", 0, "dont_know", 0) - 100.0 * (double)dis / (double)n) < 1e-9);
    assert_true(fabs(survey_cell(m, "authorities_contacted", 0, "not_contacted", 0) - 100.0 * (double)(n - dis) / (double)n) < 1e-9);
    assert_true(survey_cell(m, "authorities_contacted", 0, "often", 0) == 0.0);
    tyndau_model_free(m);
    tyndau_params_default(&p);
    set(&p, "outreach_report", "1");
    set(&p, "outreach_extra_urban", "0");
    set(&p, "outreach_extra_rural", "0");
    set(&p, "outreach_hear_urban", "50");
    set(&p, "outreach_hear_rural", "50");
    set(&p, "reception_scale", "0");
    m = run(&p, n, 31);
    assert_true(survey_cell(m, "authorities_contacted", 0, "rarely", 0) == 100.0);
    assert_true(survey_cell(m, "authorities_contacted", 0, "rarely", 1) == 100.0);
    tyndau_model_free(m);
}

/* The number of outreach events a resident heard of: the reporting meeting and a Poisson
 * number of other events in its locality, each heard with probability 1 - exp(-hear).  With one locality per resident (localities capped at the cell's
 * size; a few residents share one by hash collision, which the tolerance allows for) the
 * counts are independent: mean and variance from the parameters, the 12-month window and
 * the reform's multiplier. */
static void test_outreach_recovered(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "outreach_localities_urban", "1000000");
    set(&p, "outreach_localities_rural", "1000000");
    set(&p, "outreach_report", "0.7");
    set(&p, "outreach_extra_urban", "1.5");
    set(&p, "outreach_extra_rural", "2.5");
    set(&p, "outreach_hear_urban", "0.3");
    set(&p, "outreach_hear_rural", "0.6");
    size_t n = 40000;
    tyndau_model *m = run(&p, n, 37);
    int survey = p.survey_date - p.start_date;
    double lam[2] = {0, 0};
    for (int d = survey - 364; d <= survey; d++)
        for (int s = 0; s < 2; s++)
            lam[s] += (s ? p.outreach_extra_rural : p.outreach_extra_urban) / 365.25 *
                      (p.start_date + d >= p.announcement_date ? p.outreach_reform : 1.0);
    double mean = 0.0, var = 0.0, got = 0.0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        got += v.contacts;
        int s = v.settlement == SET_RURAL;
        double h = 1.0 - exp(-(s ? p.outreach_hear_rural : p.outreach_hear_urban));
        /* heard = Bernoulli(0.7 h) + Poisson(lam h) */
        double pr = p.outreach_report * h;
        mean += pr + lam[s] * h;
        var += pr * (1.0 - pr) + lam[s] * h;
    }
    print_message("outreach events heard: %.0f, expected %.1f +- %.1f\n", got, mean, sqrt(var));
    assert_true(fabs(got - mean) < K_SE * sqrt(var) * 1.05);
    tyndau_model_free(m);
}

/* Without word of mouth, a citizen has heard of the concept iff a media exposure
 * reached it: probability 1 - exp(-(L_tv r + L_soc s)), L_tv and L_soc the cumulative
 * intensities of television and of social media of its class (internet, age) over the run,
 * recomputed here from the parameters, r and s its reception multipliers.  With
 * reception_scale 0 every multiplier is exactly 1 (equal exposure in every group); with
 * reception_social 1 the two are the same; the multipliers average 1 over the population. */
static void media_reach_check(const char *reception, const char *social, uint64_t seed)
{
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "wom_concept", "0");
    set(&p, "reception_scale", reception);
    set(&p, "reception_social", social);
    size_t n = 40000;
    tyndau_model *m = run(&p, n, seed);
    /* television and the news, social media: cumulative intensity by internet and age */
    double tv[2][N_AGE] = {{0}}, soc[2][N_AGE] = {{0}};
    for (int in = 0; in < 2; in++)
        for (int a = 0; a < N_AGE; a++) {
            double social_reach = !in ? 0.0 : a == AGE_61P ? p.social_reach_61plus : a == AGE_46_60 ? p.social_reach_46_60 : 1.0;
            for (int date = p.start_date; date <= p.end_date; date++) {
                double cov = date < p.platform_start_date ? 0.0
                             : date >= p.platform_full_date
                                 ? 1.0
                                 : (double)(date - p.platform_start_date) / (p.platform_full_date - p.platform_start_date);
                double pres = date >= p.announcement_date ? p.media_president : 0.0;
                double off = date >= p.officials_social_date ? p.media_officials + p.media_akims : 0.0;
                tv[in][a] += p.tv_relay * pres + p.media_monitoring * cov;
                soc[in][a] += social_reach * (pres + off);
            }
        }
    double mean = 0.0, var = 0.0, got = 0.0, rsum = 0.0, ssum = 0.0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        if (strcmp(reception, "0") == 0) assert_true(v.reception == 1.0 && v.reception_social == 1.0);
        if (strcmp(social, "1") == 0) assert_true(fabs(v.reception_social - v.reception) < 1e-5 * v.reception);
        rsum += v.reception;
        ssum += v.reception_social;
        got += v.concept != CA_NONE;
        int in = v.digital != DIG_NONE;
        double q = 1.0 - exp(-(tv[in][v.age] * v.reception + soc[in][v.age] * v.reception_social));
        mean += q;
        var += q * (1.0 - q);
    }
    print_message("reception %s, social %s: heard of the concept: %.0f, expected %.1f +- %.1f; mean multipliers %.4f %.4f\n",
                  reception, social, got, mean, sqrt(var), rsum / (double)n, ssum / (double)n);
    assert_true(fabs(got - mean) < K_SE * sqrt(var));
    tyndau_model_free(m);
}

static void test_media_reach_recovered(void **state)
{
    (void)state;
    media_reach_check("0", "0.3", 29);
    media_reach_check("1.2", "1", 41);
    media_reach_check("1.2", "0.2", 61);
}

/* Reception rises with involvement: with a positive education gradient of involvement the
 * mean multiplier of the higher educated is above the general-secondary one's, and the mean
 * over everyone is 1 (normalised over the expected composition; sampling and the cells'
 * rounding allow a few per mille). */
static void test_reception_by_group(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "reception_scale", "1");
    set(&p, "involvement_edu", "0.5");
    set(&p, "involvement_age_18_29", "0"); /* so that the education groups differ by education only */
    set(&p, "involvement_age_46_60", "0");
    set(&p, "involvement_age_61plus", "0");
    size_t n = 60000;
    tyndau_model *m = make(&p, n, 43);
    double sum[N_EDU] = {0}, cnt[N_EDU] = {0}, all = 0, all2 = 0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        sum[v.edu] += v.reception;
        cnt[v.edu] += 1;
        all += v.reception;
        all2 += v.reception * v.reception;
    }
    double mean = all / (double)n, se = sqrt((all2 / (double)n - mean * mean) / (double)n);
    print_message("reception: mean %.4f +- %.4f; by education %.3f %.3f %.3f\n", mean, se, sum[0] / cnt[0],
                  sum[1] / cnt[1], sum[2] / cnt[2]);
    assert_true(fabs(mean - 1.0) < K_SE * se + 0.002);
    /* exp(0.5) between adjacent education levels, for the group means of a lognormal */
    double ratio = (sum[2] / cnt[2]) / (sum[1] / cnt[1]);
    assert_true(fabs(ratio - exp(0.5)) < 0.08);
    tyndau_model_free(m);
}

/* Shares solved against the population's composition are matched in expectation;
 * the allocation of agents to cells and to the strata of each cell adds at most
 * 34 x 37 agents of rounding. */
static void check_share(const char *what, double got_count, double target, size_t n)
{
    double se = sqrt(target * (1.0 - target) / (double)n), got = got_count / (double)n;
    print_message("%s: %.5f, expected %.5f +- %.5f\n", what, got, target, se);
    assert_true(fabs(got - target) < K_SE * se + 34.0 * 37.0 / (double)n);
}

static void test_population_shares(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    size_t n = 200000;
    tyndau_model *m = make(&p, n, 3);
    double internet = 0, egov = 0, low = 0, high = 0, male = 0, old = 0, rural = 0, higher = 0, vocational = 0,
           disengaged = 0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        internet += v.digital != DIG_NONE;
        egov += v.digital == DIG_EGOV;
        low += v.income == INC_LOW;
        high += v.income == INC_HIGH;
        male += v.sex == SEX_MALE;
        old += v.age == AGE_61P;
        rural += v.settlement == SET_RURAL;
        higher += v.edu == EDU_HIGHER;
        vocational += v.edu == EDU_VOCATIONAL;
        disengaged += v.disengaged;
        assert_true(v.ties >= 1 && v.ties <= p.ties_max);
        assert_true(v.skill >= 0.0 && v.skill <= 1.0);
    }
    check_share("internet", internet, p.internet_share, n);
    check_share("egov", egov, p.egov_share, n);
    check_share("low income", low, p.income_low_share, n);
    check_share("high income", high, p.income_high_share, n);
    check_share("male", male, p.male_share, n);
    check_share("higher education", higher, p.edu_share_higher, n);
    check_share("vocational education", vocational, p.edu_share_vocational, n);
    check_share("disengaged", disengaged, p.prior_disengaged, n);
    check_share("61+", old, 1.0 - p.age_share_18_29 - p.age_share_30_45 - p.age_share_46_60, n);
    assert_true(rural / (double)n > 0.35 && rural / (double)n < 0.45); /* regions table: 40.9% (BNS) */
    tyndau_model_free(m);
}

static void test_ties_homophilous(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    size_t n = 100000;
    tyndau_model *m = make(&p, n, 5);
    double total = 0, same_settlement = 0;
    for (size_t i = 0; i < n; i += 7) {
        tyndau_citizen_view v, w;
        tyndau_model_citizen(m, i, &v);
        for (int j = 0; j < v.ties; j++) {
            size_t t = tyndau_model_tie(m, i, j);
            assert_true(t < n);
            assert_true(t != i);
            assert_int_equal(tyndau_model_tie(m, i, j), t); /* fixed network */
            tyndau_model_citizen(m, t, &w);
            assert_int_equal(w.region, v.region);
            total++;
            same_settlement += w.settlement == v.settlement;
        }
    }
    /* cities are wholly urban, so other-settlement draws fall back to the same cell:
     * the share of same-settlement ties is at least 1 - ties_other_settlement */
    double q = 1.0 - p.ties_other_settlement, se = sqrt(q * (1 - q) / total);
    assert_true(same_settlement / total > q - K_SE * se);
    tyndau_model_free(m);
}

/* Homophily by age band and income: a tie stays in the citizen's own age band with
 * probability h + (1 - h) x (the band's share of the cell), and likewise for income; with
 * no homophily the ties' age bands are the cells' (the population's) shares.  Ties to the
 * other settlement are switched off so the cell is known; the expectation is summed tie by
 * tie from the cell's composition (self-ties are moved to the next member, a bias of about
 * one over the group's size). */
static void ties_homophily_check(const char *h_age, const char *h_inc, uint64_t seed)
{
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "ties_other_settlement", "0");
    set(&p, "ties_age_homophily", h_age);
    set(&p, "ties_income_homophily", h_inc);
    size_t n = 60000;
    tyndau_model *m = make(&p, n, seed);
    static double cell_n[2 * TYNDAU_N_REGION], age_n[2 * TYNDAU_N_REGION][N_AGE], inc_n[2 * TYNDAU_N_REGION][N_INCOME];
    memset(cell_n, 0, sizeof cell_n), memset(age_n, 0, sizeof age_n), memset(inc_n, 0, sizeof inc_n);
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        int k = 2 * v.region + (int)v.settlement;
        cell_n[k]++, age_n[k][v.age]++, inc_n[k][v.income]++;
    }
    double ha = p.ties_age_homophily, hi = p.ties_income_homophily;
    double got_a = 0, want_a = 0, var_a = 0, got_i = 0, want_i = 0, var_i = 0;
    for (size_t i = 0; i < n; i += 3) {
        tyndau_citizen_view v, w;
        tyndau_model_citizen(m, i, &v);
        int k = 2 * v.region + (int)v.settlement;
        double qa = ha + (1 - ha) * age_n[k][v.age] / cell_n[k], qi = hi + (1 - hi) * inc_n[k][v.income] / cell_n[k];
        for (int j = 0; j < v.ties; j++) {
            size_t t = tyndau_model_tie(m, i, j);
            assert_true(t < n && t != i);
            tyndau_model_citizen(m, t, &w);
            assert_int_equal(w.region, v.region);
            assert_int_equal(w.settlement, v.settlement);
            got_a += w.age == v.age, want_a += qa, var_a += qa * (1 - qa);
            got_i += w.income == v.income, want_i += qi, var_i += qi * (1 - qi);
        }
    }
    print_message("homophily %s/%s: same age %.0f, expected %.1f +- %.1f; same income %.0f, expected %.1f +- %.1f\n",
                  h_age, h_inc, got_a, want_a, sqrt(var_a), got_i, want_i, sqrt(var_i));
    /* ties of one citizen share nothing but the citizen, so they are independent given it */
    assert_true(fabs(got_a - want_a) < K_SE * sqrt(var_a) + 0.002 * want_a);
    assert_true(fabs(got_i - want_i) < K_SE * sqrt(var_i) + 0.002 * want_i);
    tyndau_model_free(m);
}

static void test_ties_age_income_homophily(void **state)
{
    (void)state;
    ties_homophily_check("0", "0", 47);
    ties_homophily_check("0.5", "0.3", 53);
}

/* Citizens aged 61+ have ties_61plus_ratio times as many ties beyond the first as the
 * younger (both negative binomial; the fold into ties_max is negligible at these means). */
static void test_ties_fewer_after_60(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "ties_61plus_ratio", "0.5");
    size_t n = 60000;
    tyndau_model *m = make(&p, n, 59);
    double s[2] = {0, 0}, s2[2] = {0, 0}, c[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        int old = v.age == AGE_61P;
        s[old] += v.ties - 1, s2[old] += (double)(v.ties - 1) * (v.ties - 1), c[old]++;
    }
    for (int old = 0; old < 2; old++) {
        double mean = s[old] / c[old], se = sqrt((s2[old] / c[old] - mean * mean) / c[old]);
        double want = (p.ties_mean - 1.0) * (old ? p.ties_61plus_ratio : 1.0);
        print_message("ties - 1, %s: %.3f +- %.3f, expected %.3f\n", old ? "61+" : "under 61", mean, se, want);
        assert_true(fabs(mean - want) < K_SE * se + 0.01 * want);
    }
    tyndau_model_free(m);
}

/* Identical results with 1, 2 and 8 threads: every citizen's final state, every
 * outcome total and every survey cell, bit for bit. */
static void test_threads_identical(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    size_t n = 50000;
    const int threads[3] = {1, 2, 8};
    tyndau_model *m[3];
    for (int k = 0; k < 3; k++) {
        omp_set_num_threads(threads[k]);
        m[k] = run(&p, n, 99);
    }
    for (int k = 1; k < 3; k++) {
        for (int o = 0; o < N_OUTCOME; o++)
            assert_int_equal(tyndau_model_total_outcome(m[0], (tyndau_outcome)o),
                             tyndau_model_total_outcome(m[k], (tyndau_outcome)o));
        for (size_t i = 0; i < n; i++) {
            tyndau_citizen_view a, b;
            memset(&a, 0, sizeof a); /* padding */
            memset(&b, 0, sizeof b);
            tyndau_model_citizen(m[0], i, &a);
            tyndau_model_citizen(m[k], i, &b);
            assert_memory_equal(&a, &b, sizeof a);
        }
        size_t na, nb;
        const tyndau_survey_row *ra = tyndau_model_survey(m[0], &na), *rb = tyndau_model_survey(m[k], &nb);
        assert_int_equal(na, nb);
        for (size_t r = 0; r < na; r++)
            assert_memory_equal(&ra[r].simulated, &rb[r].simulated, sizeof(double));
    }
    for (int k = 0; k < 3; k++) tyndau_model_free(m[k]);
    omp_set_num_threads(2);
}

/* Two models in one process, run interleaved, do not disturb each other. */
static void test_reentrant(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *a = make(&p, 20000, 5), *b = make(&p, 20000, 5), *c = make(&p, 20000, 6);
    tyndau_error err;
    assert_int_equal(tyndau_model_run(a, NULL, NULL, &err), TYNDAU_OK);
    assert_int_equal(tyndau_model_run(c, NULL, NULL, &err), TYNDAU_OK);
    assert_int_equal(tyndau_model_run(b, NULL, NULL, &err), TYNDAU_OK);
    for (int o = 0; o < N_OUTCOME; o++)
        assert_int_equal(tyndau_model_total_outcome(a, (tyndau_outcome)o), tyndau_model_total_outcome(b, (tyndau_outcome)o));
    assert_true(tyndau_model_total_problems(a) != tyndau_model_total_problems(c)); /* the seed matters */
    tyndau_model_free(a);
    tyndau_model_free(b);
    tyndau_model_free(c);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_error err;
    assert_null(tyndau_model_new(&p, 0, 1, &err));
    assert_int_equal(err.status, TYNDAU_EINPUT);
    p.age_share_18_29 = 0.9; /* with the others, more than 1 */
    assert_null(tyndau_model_new(&p, 100, 1, &err));
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "age_share"));
}

/* The virtual survey's quota sample has survey_n respondents: each total row of the
 * quota sample is a count over survey_n, so every cell is a multiple of 100/survey_n. */
static void test_quota_sample(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_model *m = run(&p, 30000, 21);
    size_t n;
    const tyndau_survey_row *r = tyndau_model_survey(m, &n);
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
        if (!r[k].quota || r[k].group != 0 || strcmp(r[k].question, "aware_concept") != 0) continue;
        double count = r[k].simulated * p.survey_n / 100.0;
        assert_true(fabs(count - round(count)) < 1e-9);
        sum += r[k].simulated;
    }
    assert_true(fabs(sum - 100.0) < 1e-9);
    tyndau_model_free(m);
}

/* Outputs of one run agree: the daily state series (kept up to date by events)
 * equals a recount of the citizens, and the survey's awareness question. */
static void test_state_series_consistent(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    size_t n = 40000;
    tyndau_model *m = run(&p, n, 17);
    int64_t concept[N_CONCEPT] = {0}, platform[N_PLATFORM] = {0};
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        concept[v.concept]++;
        platform[v.platform]++;
    }
    int64_t series[N_CONCEPT + N_PLATFORM];
    tyndau_model_state_total(m, tyndau_model_days(m) - 1, series);
    for (int k = 0; k < N_CONCEPT; k++) assert_int_equal(series[k], concept[k]);
    for (int k = 0; k < N_PLATFORM; k++) assert_int_equal(series[N_CONCEPT + k], platform[k]);
    size_t nr;
    const tyndau_survey_row *r = tyndau_model_survey(m, &nr);
    for (size_t k = 0; k < nr; k++) {
        if (r[k].quota || r[k].group != 0 || strcmp(r[k].question, "aware_concept") != 0) continue;
        int c = strcmp(r[k].response, "fully_aware") == 0 ? CA_FULL
                : strcmp(r[k].response, "heard_something") == 0 ? CA_HEARD : CA_NONE;
        assert_true(fabs(r[k].simulated - 100.0 * (double)concept[c] / (double)n) < 1e-9);
    }
    tyndau_model_free(m);
}

/* A dated change takes effect on its day, not before: with every other source of news
 * off, nobody has heard of the concept at the end of the day before a targeted campaign
 * starts, and from its first day on only its targets (61+ or low income) have. */
static void test_dated_change_on_its_day(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    const char *off[] = {"media_president", "media_officials", "media_akims", "media_monitoring", "wom_concept"};
    for (size_t k = 0; k < sizeof off / sizeof *off; k++) set(&p, off[k], "0");
    tyndau_error err;
    tyndau_error_clear(&err);
    int date = TYNDAU_YMD(2020, 3, 2), idx = tyndau_params_find("campaign_targeted");
    assert_int_equal(tyndau_params_add_change(&p, date, (size_t)idx, 0.05, &err), TYNDAU_OK);
    size_t n = 20000;
    tyndau_model *m = run(&p, n, 41);
    int d = date - p.start_date;
    int64_t before[N_CONCEPT + N_PLATFORM], after[N_CONCEPT + N_PLATFORM];
    tyndau_model_state_total(m, d - 1, before);
    tyndau_model_state_total(m, d, after);
    print_message("heard of the concept: %lld the day before, %lld on the first day\n",
                  (long long)(n - (size_t)before[CA_NONE]), (long long)(n - (size_t)after[CA_NONE]));
    assert_int_equal(before[CA_NONE], (int64_t)n);
    /* about n x 0.05 x (share targeted, about 0.4) on the first day */
    assert_true(after[CA_NONE] < (int64_t)n - 100);
    size_t aware = 0;
    for (size_t i = 0; i < n; i++) {
        tyndau_citizen_view v;
        tyndau_model_citizen(m, i, &v);
        if (v.concept == CA_NONE) continue;
        aware++;
        assert_true(v.age == AGE_61P || v.income == INC_LOW);
    }
    assert_true(aware > n / 10);
    /* the model reports the parameters as given and as in force at the end */
    assert_true(tyndau_model_params(m)->campaign_targeted == 0.0);
    assert_true(tyndau_model_params_now(m)->campaign_targeted == 0.05);
    tyndau_model_free(m);

    /* out of the simulated period: refused */
    tyndau_params q;
    tyndau_params_default(&q);
    assert_int_equal(tyndau_params_add_change(&q, TYNDAU_YMD(2022, 1, 1), (size_t)idx, 0.05, &err), TYNDAU_OK);
    assert_null(tyndau_model_new(&q, 100, 1, &err));
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "expected a date in the simulated period"));
}

/* Help centres: without any eGov account nobody can file online, unless a centre's staff
 * files for those it serves. */
static void test_help_centres_open_online_channel(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    set(&p, "egov_share", "0");
    tyndau_model *m = run(&p, 20000, 43);
    assert_true(appeals(m) > 500);
    assert_int_equal(tyndau_model_total_channel(m, CH_ONLINE), 0);
    tyndau_model_free(m);
    set(&p, "help_access", "1");
    m = run(&p, 20000, 43);
    print_message("online appeals through help centres: %llu\n",
                  (unsigned long long)tyndau_model_total_channel(m, CH_ONLINE));
    assert_true(tyndau_model_total_channel(m, CH_ONLINE) > 0);
    tyndau_model_free(m);
}

int main(void)
{
    omp_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_problems_no_appeals),
        cmocka_unit_test(test_zero_corruption_zero_bribes),
        cmocka_unit_test(test_zero_capacity_all_late),
        cmocka_unit_test(test_extension_two_months),
        cmocka_unit_test(test_redirect_within_three_days),
        cmocka_unit_test(test_favouritism_fixed_budget),
        cmocka_unit_test(test_informal_route),
        cmocka_unit_test(test_anchors_identities),
        cmocka_unit_test(test_everyone_aware_survey_says_100),
        cmocka_unit_test(test_all_disengaged_dont_know),
        cmocka_unit_test(test_appeals_conserved),
        cmocka_unit_test(test_problem_rate_recovered),
        cmocka_unit_test(test_retries_do_not_replace_new_problems),
        cmocka_unit_test(test_outreach_degenerate),
        cmocka_unit_test(test_outreach_recovered),
        cmocka_unit_test(test_media_reach_recovered),
        cmocka_unit_test(test_reception_by_group),
        cmocka_unit_test(test_population_shares),
        cmocka_unit_test(test_ties_homophilous),
        cmocka_unit_test(test_ties_age_income_homophily),
        cmocka_unit_test(test_ties_fewer_after_60),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_reentrant),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_quota_sample),
        cmocka_unit_test(test_state_series_consistent),
        cmocka_unit_test(test_dated_change_on_its_day),
        cmocka_unit_test(test_help_centres_open_online_channel),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
