/*
 * test_targets.c - unit tests of the survey target loader (model/targets.c).
 *
 * Each test builds its own tyndau_targets and frees it; invariant checked
 * throughout: a failed parse returns TYNDAU_EINPUT, leaves the set empty and
 * puts the file name, the offending line and the key words in err.msg.
 * Run from the repository root (the real data file is opened by a relative path).
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

#include "targets.h"

#define MARGINALS "data/survey_2021/marginals.csv"
#define HEADER "question,base,group_type,group,response,percent\n"

/* Captures what the loader writes to its warning stream. */
typedef struct {
    FILE *f;
    char *buf;
    size_t size;
} capture;

static void capture_open(capture *c)
{
    c->buf = NULL;
    c->size = 0;
    c->f = open_memstream(&c->buf, &c->size);
    assert_non_null(c->f);
}

/* Close the stream and return its text (owned by c). */
static const char *capture_text(capture *c)
{
    if (c->f != NULL) {
        fclose(c->f);
        c->f = NULL;
    }
    return c->buf != NULL ? c->buf : "";
}

static void capture_free(capture *c)
{
    capture_text(c);
    free(c->buf);
    c->buf = NULL;
}

/* cmocka's assert_float_equal works in float; these tolerances need double. */
#define assert_near(a, b, tol) assert_near_at((a), (b), (tol), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%s:%d: %.17g differs from %.17g by more than %g", file, line, a, b, tol);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* Parse text that must be rejected; every key in the NULL-terminated list must be in the message. */
static void expect_einput(const char *text, const char *const *keys)
{
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_targets_parse(&t, text, "bad.csv", NULL, &err);
    if (st != TYNDAU_EINPUT) fail_msg("expected TYNDAU_EINPUT for:\n%s\ngot %d: %s", text, st, err.msg);
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_null(t.cells);
    assert_int_equal(t.n, 0);
    for (size_t i = 0; keys[i] != NULL; i++) assert_contains(err.msg, keys[i]);
    assert_contains(err.msg, "expected");
}

static void expect_ok(const char *text, tyndau_targets *t, FILE *warn)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_targets_parse(t, text, "ok.csv", warn, &err);
    if (st != TYNDAU_OK) fail_msg("unexpected error %d: %s", st, err.msg);
}

static size_t count_data_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    size_t nonblank = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strspn(line, " \t\r\n") != strlen(line)) nonblank++;
    }
    fclose(f);
    return nonblank - 1; /* the header */
}

/* ---- the real data file ---- */

static void test_real_file(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    tyndau_error_clear(&err);
    capture w;
    capture_open(&w);
    tyndau_status st = tyndau_targets_load(&t, MARGINALS, w.f, &err);
    if (st != TYNDAU_OK) fail_msg("%s", err.msg);
    size_t expected = count_data_lines(MARGINALS);
    assert_int_equal(expected, 62);
    assert_int_equal(t.n, expected);

    /* The 102.3 row is rescaled, and only it. */
    double sum = 0.0;
    size_t nnorm = 0;
    for (size_t i = 0; i < t.n; i++) {
        const tyndau_target *c = &t.cells[i];
        assert_true(c->share >= 0.0 && c->share <= 1.0);
        if (c->normalised) {
            nnorm++;
            assert_string_equal(c->question, "aware_platform");
            assert_string_equal(c->group_type, "total");
            sum += c->share;
        } else {
            assert_near(c->share, c->percent / 100.0, 1e-15);
        }
    }
    assert_int_equal(nnorm, 3);
    assert_near(sum, 1.0, 1e-12);

    const char *warning = capture_text(&w);
    assert_contains(warning, MARGINALS ":51:");
    assert_contains(warning, "102.3");
    assert_contains(warning, "normalised");
    assert_contains(warning, "aware_platform");
    assert_non_null(strchr(warning, '\n'));
    assert_null(strchr(strchr(warning, '\n') + 1, '\n')); /* exactly one warning */
    capture_free(&w);
    tyndau_targets_free(&t);
    assert_null(t.cells);
    assert_int_equal(t.n, 0);
}

static void test_real_file_values(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    assert_int_equal(tyndau_targets_load(&t, MARGINALS, NULL, &err), TYNDAU_OK);

    const tyndau_target *c = tyndau_targets_find(&t, "aware_concept", "total", "all", "fully_aware");
    assert_non_null(c);
    assert_near(c->percent, 10.0, 0.0);
    assert_near(c->share, 0.1, 1e-15);
    assert_int_equal(c->line, 2);
    assert_string_equal(c->base, "all");
    assert_int_equal(c->normalised, 0);

    c = tyndau_targets_find(&t, "aware_concept", "age", "61+", "first_time");
    assert_non_null(c);
    assert_near(c->percent, 58.1, 1e-12);
    assert_int_equal(c->line, 16);

    c = tyndau_targets_find(&t, "concept_meaning", "total", "all", "appeals_monitoring_system_works");
    assert_non_null(c);
    assert_near(c->percent, 15.1, 1e-12);
    assert_string_equal(c->base, "aware_of_concept");
    assert_int_equal(c->line, 29);
    assert_int_equal(c->normalised, 0);

    c = tyndau_targets_find(&t, "authorities_contacted", "total", "all", "often");
    assert_non_null(c);
    assert_near(c->percent, 4.8, 1e-12);
    assert_int_equal(c->line, 60);

    c = tyndau_targets_find(&t, "aware_platform", "total", "all", "first_time");
    assert_non_null(c);
    assert_near(c->percent, 57.8, 1e-12); /* as published */
    assert_near(c->share, 0.555, 1e-12); /* 100 - 11.8 - 32.7: the article's 44.5% aware */
    assert_int_equal(c->normalised, 1);
    assert_int_equal(c->line, 53);
    c = tyndau_targets_find(&t, "aware_platform", "total", "all", "knows_how_to_use");
    assert_near(c->share, 0.118, 1e-12); /* kept as published */

    assert_null(tyndau_targets_find(&t, "aware_concept", "total", "all", "no_such_response"));
    assert_null(tyndau_targets_find(&t, "principle_pluralism", "total", "all", "implemented"));
    assert_null(tyndau_targets_find(&t, "aware_platform", "age", "18-29", "first_time"));
    tyndau_targets_free(&t);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_targets_load(&t, "data/no_such_dir/none.csv", NULL, &err), TYNDAU_EINPUT);
    assert_contains(err.msg, "data/no_such_dir/none.csv: cannot read: ");
    assert_contains(err.msg, "No such file");
    assert_null(t.cells);
    assert_int_equal(t.n, 0);
}

/* ---- dialect: what must be accepted ---- */

static void test_dialect_tolerated(void **state)
{
    (void)state;
    /* Columns reordered, an extra column, CRLF, blank lines, a BOM, no final newline. */
    const char *text = "\xEF\xBB\xBF"
                       "percent,response,note,group,group_type,base,question\r\n"
                       "\r\n"
                       "60.0,yes,x,all,total,all,q1\r\n"
                       "   \r\n"
                       "40.0,no,y,all,total,all,q1\r\n"
                       "\n"
                       "99.5, only ,z, all ,total,all,q2";
    tyndau_targets t = {NULL, 0};
    expect_ok(text, &t, NULL);
    assert_int_equal(t.n, 3);
    const tyndau_target *c = tyndau_targets_find(&t, "q1", "total", "all", "no");
    assert_non_null(c);
    assert_int_equal(c->line, 5);
    assert_near(c->share, 0.4, 1e-15);
    c = tyndau_targets_find(&t, "q2", "total", "all", "only");
    assert_non_null(c);
    assert_int_equal(c->line, 7);
    tyndau_targets_free(&t);
}

static void test_sum_boundaries_accepted(void **state)
{
    (void)state;
    /* Rounding to 0.1 leaves rows at 99.9 or 100.1; 99.5 and 100.5 are the edges. */
    const char *text = HEADER "a,all,total,all,x,33.3\n"
                              "a,all,total,all,y,33.3\n"
                              "a,all,total,all,z,33.3\n"
                              "b,all,total,all,x,50.3\n"
                              "b,all,total,all,y,50.2\n"
                              "c,all,age,18-29,x,100\n"
                              "c,all,age,30-45,x,1e2\n"
                              "c,all,age,46-60,x,0.0\n"
                              "c,all,age,46-60,y,+100.\n";
    tyndau_targets t = {NULL, 0};
    expect_ok(text, &t, NULL);
    assert_int_equal(t.n, 9);
    tyndau_targets_free(&t);
}

static void test_free_is_idempotent(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    tyndau_targets_free(&t);
    tyndau_targets_free(&t);
    tyndau_targets_free(NULL);
    assert_null(tyndau_targets_find(&t, "a", "b", "c", "d"));
    assert_null(tyndau_targets_find(NULL, "a", "b", "c", "d"));
}

/* ---- validation rules: what must be rejected ---- */

static void test_missing_column(void **state)
{
    (void)state;
    expect_einput("question,base,group_type,group,response,pct\n"
                  "a,all,total,all,x,100\n",
                  (const char *const[]){"bad.csv:1:", "missing column 'percent'", NULL});
    expect_einput("\n\nquestion,base,group,response,percent\n",
                  (const char *const[]){"bad.csv:3:", "missing column 'group_type'", NULL});
    expect_einput("question,base,group_type,group,response,percent,percent\n"
                  "a,all,total,all,x,100,100\n",
                  (const char *const[]){"bad.csv:1:", "'percent'", "twice", NULL});
}

static void test_field_count(void **state)
{
    (void)state;
    expect_einput(HEADER "a,all,total,all,x,50\n"
                         "a,all,total,all,50\n",
                  (const char *const[]){"bad.csv:3:", "5 fields", "expected 6", NULL});
    expect_einput(HEADER "\n"
                         "a,all,total,all,x,50,extra\n",
                  (const char *const[]){"bad.csv:3:", "7 fields", "expected 6", NULL});
    expect_einput(HEADER "\"a,b\",all,total,all,x,100\n",
                  (const char *const[]){"bad.csv:2:", "quote", NULL});
}

static void test_bad_percent(void **state)
{
    (void)state;
    const char *bad[] = {"12.3x", "nan", "NAN", "inf", "-inf", "", "  ", "-1", "100.1",
                         "1e3", "0x10", ".", "1..2", "1e", "5%", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, HEADER "a,all,total,all,x,100\n\nb,all,total,all,x,%s\n", bad[i]);
        expect_einput(text, (const char *const[]){"bad.csv:4:", "'percent'",
                                                  "finite number in [0, 100]", NULL});
    }
}

static void test_bad_text_fields(void **state)
{
    (void)state;
    expect_einput(HEADER "a,all,,all,x,100\n",
                  (const char *const[]){"bad.csv:2:", "'group_type'", "empty", NULL});
    char text[512];
    snprintf(text, sizeof text, HEADER "a,all,total,%s,x,100\n",
             "a_group_name_longer_than_23"); /* group holds at most 23 characters */
    expect_einput(text, (const char *const[]){"bad.csv:2:", "'group'", "at most 23", NULL});
}

static void test_duplicate(void **state)
{
    (void)state;
    expect_einput(HEADER "a,all,total,all,x,50\n"
                         "a,all,total,all,y,50\n"
                         "b,all,total,all,x,100\n"
                         "a,other_base,total,all,x,50\n",
                  (const char *const[]){"bad.csv:5:", "duplicate", "line 2", "'a'", "'x'", NULL});
}

static void test_row_sum(void **state)
{
    (void)state;
    /* The first failing row (by its first line) is the one reported. */
    expect_einput(HEADER "a,all,total,all,x,50\n"
                         "a,all,total,all,y,50\n"
                         "b,all,age,18-29,x,40\n"
                         "c,all,total,all,x,30\n"
                         "b,all,age,18-29,y,59.4\n"
                         "c,all,total,all,y,30\n",
                  (const char *const[]){"bad.csv:4:", "'b'", "'18-29'", "99.4",
                                        "expected 100 ± 0.5", NULL});
    expect_einput(HEADER "a,all,total,all,x,50\n"
                         "a,all,total,all,y,50.6\n",
                  (const char *const[]){"bad.csv:2:", "'a'", "100.6", "expected 100 ± 0.5", NULL});
}

static void test_concept_meaning_subset(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    expect_ok(HEADER "concept_meaning,aware,total,all,a,31.1\n"
                     "concept_meaning,aware,total,all,b,60.3\n",
              &t, NULL);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.cells[0].normalised, 0);
    tyndau_targets_free(&t);
    expect_ok(HEADER "concept_meaning,aware,total,all,a,60.0\n"
                     "concept_meaning,aware,total,all,b,40.5\n",
              &t, NULL);
    tyndau_targets_free(&t);
    expect_einput(HEADER "x,all,total,all,a,100\n"
                         "concept_meaning,aware,total,all,a,60.0\n"
                         "concept_meaning,aware,total,all,b,41.0\n",
                  (const char *const[]){"bad.csv:3:", "concept_meaning", "101", "at most 100.5", NULL});
}

static void test_aware_platform_normalised(void **state)
{
    (void)state;
    tyndau_targets t = {NULL, 0};
    capture w;
    capture_open(&w);
    expect_ok(HEADER "aware_platform,all,total,all,a,11.8\n"
                     "aware_platform,all,total,all,b,32.7\n"
                     "aware_platform,all,total,all,c,57.8\n",
              &t, w.f);
    const char *warning = capture_text(&w);
    assert_contains(warning, "ok.csv:2:");
    assert_contains(warning, "102.3");
    assert_contains(warning, "normalised");
    assert_contains(warning, "rescaled"); /* no 'first_time' cell here: proportional */
    double sum = 0.0;
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.cells[i].normalised, 1);
        sum += t.cells[i].share;
    }
    assert_near(sum, 1.0, 1e-12);
    assert_near(t.cells[2].share, 57.8 / 102.3, 1e-12);
    capture_free(&w);
    tyndau_targets_free(&t);

    /* With the response the article's text shows to be wrong, that cell takes the remainder. */
    capture_open(&w);
    expect_ok(HEADER "aware_platform,all,total,all,knows_how_to_use,11.8\n"
                     "aware_platform,all,total,all,heard_not_how,32.7\n"
                     "aware_platform,all,total,all,first_time,57.8\n",
              &t, w.f);
    assert_contains(capture_text(&w), "'first_time' cell is taken as 55.5");
    assert_near(t.cells[0].share, 0.118, 1e-12);
    assert_near(t.cells[1].share, 0.327, 1e-12);
    assert_near(t.cells[2].share, 0.555, 1e-12);
    capture_free(&w);
    tyndau_targets_free(&t);

    /* A NULL warning stream is allowed. */
    expect_ok(HEADER "aware_platform,all,total,all,a,11.8\n"
                     "aware_platform,all,total,all,b,32.7\n"
                     "aware_platform,all,total,all,c,57.8\n",
              &t, NULL);
    assert_int_equal(t.cells[2].normalised, 1);
    tyndau_targets_free(&t);

    /* A corrected total row that sums to 100 is simply accepted, not rescaled. */
    capture_open(&w);
    expect_ok(HEADER "aware_platform,all,total,all,a,11.8\n"
                     "aware_platform,all,total,all,b,32.7\n"
                     "aware_platform,all,total,all,c,55.5\n",
              &t, w.f);
    assert_string_equal(capture_text(&w), "");
    assert_int_equal(t.cells[0].normalised, 0);
    capture_free(&w);
    tyndau_targets_free(&t);
}

static void test_aware_platform_other_rows_rejected(void **state)
{
    (void)state;
    /* The quirk covers only the total row. */
    expect_einput(HEADER "aware_platform,all,total,all,a,11.8\n"
                         "aware_platform,all,total,all,b,32.7\n"
                         "aware_platform,all,total,all,c,57.8\n"
                         "aware_platform,all,age,18-29,a,11.8\n"
                         "aware_platform,all,age,18-29,b,32.7\n"
                         "aware_platform,all,age,18-29,c,57.8\n",
                  (const char *const[]){"bad.csv:5:", "aware_platform", "'18-29'", "102.3",
                                        "expected 100 ± 0.5", NULL});
    /* ... and only the published inconsistency, not any bad sum of that row. */
    expect_einput(HEADER "aware_platform,all,total,all,a,11.8\n"
                         "aware_platform,all,total,all,b,32.7\n"
                         "aware_platform,all,total,all,c,75.5\n",
                  (const char *const[]){"bad.csv:2:", "aware_platform", "120", "expected 100 ± 0.5",
                                        NULL});
}

static void test_empty(void **state)
{
    (void)state;
    expect_einput(HEADER, (const char *const[]){"bad.csv:1:", "no data rows", NULL});
    expect_einput("\n" HEADER "\n\n", (const char *const[]){"bad.csv:2:", "no data rows", NULL});
    expect_einput("", (const char *const[]){"bad.csv:1:", "empty", NULL});
    expect_einput("\r\n \n", (const char *const[]){"bad.csv:1:", "empty", NULL});
}

/* ---- Wilson interval ---- */

static void test_wilson_known(void **state)
{
    (void)state;
    double lo, hi;
    tyndau_wilson95(0.5, 100.0, &lo, &hi);
    assert_near(lo, 0.4038, 1e-4);
    assert_near(hi, 0.5962, 1e-4);

    /* p = 0.1, n = 1200 (the survey's N): 0.0843 .. 0.1183. */
    tyndau_wilson95(0.1, 1200.0, &lo, &hi);
    assert_near(lo, 0.08428, 1e-4);
    assert_near(hi, 0.11827, 1e-4);

    tyndau_wilson95(0.0, 100.0, &lo, &hi);
    assert_true(lo == 0.0);
    assert_near(hi, 0.03699, 1e-4); /* z^2 / (n + z^2) */

    tyndau_wilson95(1.0, 100.0, &lo, &hi);
    assert_true(hi == 1.0);
    assert_near(lo, 1.0 - 0.03699, 1e-4);

    tyndau_wilson95(0.3, 0.0, &lo, &hi); /* no respondents: no information */
    assert_true(lo == 0.0 && hi == 1.0);
}

static void test_wilson_grid(void **state)
{
    (void)state;
    const double ns[] = {1, 2, 5, 10, 37, 100, 1200, 1e6};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        double prev_width = INFINITY;
        for (int i = 0; i <= 1000; i++) {
            double p = i / 1000.0;
            double lo, hi;
            tyndau_wilson95(p, ns[k], &lo, &hi);
            if (!(0.0 <= lo && lo <= p && p <= hi && hi <= 1.0))
                fail_msg("p=%g n=%g: [%g, %g]", p, ns[k], lo, hi);
            if (i == 500) prev_width = hi - lo;
        }
        /* Symmetric about 0.5. */
        double lo1, hi1, lo2, hi2;
        tyndau_wilson95(0.2, ns[k], &lo1, &hi1);
        tyndau_wilson95(0.8, ns[k], &lo2, &hi2);
        assert_near(lo1, 1.0 - hi2, 1e-12);
        assert_near(hi1, 1.0 - lo2, 1e-12);
        /* More respondents, narrower interval. */
        if (k + 1 < sizeof ns / sizeof ns[0]) {
            double lo, hi;
            tyndau_wilson95(0.5, ns[k + 1], &lo, &hi);
            assert_true(hi - lo < prev_width);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_file),
        cmocka_unit_test(test_real_file_values),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_dialect_tolerated),
        cmocka_unit_test(test_sum_boundaries_accepted),
        cmocka_unit_test(test_free_is_idempotent),
        cmocka_unit_test(test_missing_column),
        cmocka_unit_test(test_field_count),
        cmocka_unit_test(test_bad_percent),
        cmocka_unit_test(test_bad_text_fields),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_row_sum),
        cmocka_unit_test(test_concept_meaning_subset),
        cmocka_unit_test(test_aware_platform_normalised),
        cmocka_unit_test(test_aware_platform_other_rows_rejected),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_wilson_known),
        cmocka_unit_test(test_wilson_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
