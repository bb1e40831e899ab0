/*
 * test_scenario.c - cmocka tests of model/scenario.c: reading scenario files,
 * the line numbers and wording of their errors, and --set overrides.
 *
 * Files are written under a mkdtemp directory made by the group setup and
 * removed by its teardown.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "params.h"
#include "scenario.h"

typedef struct {
    char dir[64];
} fixture;

static int group_setup(void **state)
{
    static fixture fx;
    snprintf(fx.dir, sizeof fx.dir, "/tmp/test_scenario.XXXXXX");
    if (mkdtemp(fx.dir) == NULL) return -1;
    *state = &fx;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *fx = *state;
    /* the files the tests wrote (unlink of one not written is harmless) */
    static const char *const names[] = {"good.ini", "high-corruption.ini", "crlf.ini", "nul.ini",
                                        "bad.ini",  "root.ini",            "mid.ini",  "leaf.ini",
                                        "loop1.ini", "loop2.ini",          "orphan.ini", "late.ini"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    return rmdir(fx->dir);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static double value_of(const tyndau_params *p, const char *name)
{
    int i = tyndau_params_find(name);
    assert_true(i >= 0);
    return tyndau_params_get(p, (size_t)i);
}

/* Every parameter except those named in `skip` (NULL-terminated) has its default. */
static void assert_defaults_except(const tyndau_params *p, const char *const *skip)
{
    tyndau_params def;
    tyndau_params_default(&def);
    for (size_t i = 0; i < tyndau_n_params; i++) {
        int skipped = 0;
        for (const char *const *k = skip; *k != NULL; k++)
            if (strcmp(*k, tyndau_param_table[i].name) == 0) skipped = 1;
        if (!skipped) assert_true(tyndau_params_get(p, i) == tyndau_params_get(&def, i));
    }
}

static int is_zeroed(const tyndau_scenario *s)
{
    static const tyndau_scenario zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

/* Load `text` as "t.ini": it must fail with TYNDAU_EINPUT, a message starting
 * "t.ini:LINE: " and holding the words given (NULL-terminated), leave the
 * scenario untouched, and the scenario must free cleanly. */
static void expect_error_at(const char *text, int line, ...)
{
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status rc = tyndau_scenario_load_text(&s, &p, text, "t.ini", &err);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "t.ini:%d: ", line);
    if (rc != TYNDAU_EINPUT || strncmp(err.msg, prefix, strlen(prefix)) != 0)
        print_error("text:\n%s\nexpected '%s...', got status %d: %s\n", text, prefix, (int)rc,
                    err.msg);
    assert_int_equal(rc, TYNDAU_EINPUT);
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_string_equal(strncmp(err.msg, prefix, strlen(prefix)) == 0 ? prefix : err.msg, prefix);
    va_list ap;
    va_start(ap, line);
    for (const char *w = va_arg(ap, const char *); w != NULL; w = va_arg(ap, const char *)) {
        if (strstr(err.msg, w) == NULL) print_error("'%s' not in: %s\n", w, err.msg);
        assert_non_null(strstr(err.msg, w));
    }
    va_end(ap);
    assert_true(is_zeroed(&s));
    tyndau_scenario_free(&s);
}

/* ---- good files ---- */

static const char good_text[] =
    "; a test scenario\n"
    "# another comment\n"
    "ties_max = 30              ; before any section: any parameter\n"
    "\n"
    "[scenario]\n"
    "name = high.corruption-2\n"
    "description = Corruption up, code early\n"
    "[schedule]\n"
    "code_date = 2021-03-01\n"
    "[state]\n"
    "corruption_mean = 0.25\n"
    "  [ digital ]\n"
    "    internet_share = 0.8   ; indented: not a continuation line\n"
    "  egov_share=0.2\n";

static void test_good_file(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/good.ini", fx->dir);
    write_file(path, good_text, strlen(good_text));

    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_OK);
    assert_string_equal(err.msg, "");

    assert_int_equal(p.ties_max, 30);
    assert_true(p.corruption_mean == 0.25);
    assert_true(p.internet_share == 0.8);
    assert_true(p.egov_share == 0.2);
    int d;
    assert_int_equal(tyndau_date_parse("2021-03-01", &d), 0);
    assert_int_equal(p.code_date, d);
    static const char *const set[] = {"ties_max", "corruption_mean", "internet_share",
                                      "egov_share", "code_date", NULL};
    assert_defaults_except(&p, set);

    assert_string_equal(s.name, "high.corruption-2");
    assert_string_equal(s.description, "Corruption up, code early");
    assert_string_equal(s.text, good_text);
    assert_string_equal(s.source, path);
    assert_int_equal(s.n_overrides, 0);
    assert_null(s.overrides);

    /* loading again replaces the old contents (ASan checks nothing leaks) */
    assert_int_equal(tyndau_scenario_load_text(&s, &p, "[state]\ncorruption_mean = 0.5\n",
                                               "(embedded baseline.ini)", &err),
                     TYNDAU_OK);
    assert_true(p.corruption_mean == 0.5);
    assert_int_equal(p.ties_max, 30); /* the earlier layer stays */
    assert_string_equal(s.name, "baseline");
    assert_string_equal(s.source, "(embedded baseline.ini)");
    assert_string_equal(s.description, "");
    tyndau_scenario_free(&s);
    assert_true(is_zeroed(&s));
    tyndau_scenario_free(&s); /* twice is fine */
}

static void test_default_name_and_empty_file(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/high-corruption.ini", fx->dir);
    write_file(path, "", 0);
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_OK);
    assert_string_equal(s.name, "high-corruption");
    assert_string_equal(s.description, "");
    assert_string_equal(s.text, "");
    static const char *const none[] = {NULL};
    assert_defaults_except(&p, none);
    tyndau_scenario_free(&s);

    assert_int_equal(tyndau_scenario_load_text(&s, &p, "; nothing\n", "dir/my run.v2.ini", &err),
                     TYNDAU_OK);
    assert_string_equal(s.name, "my_run.v2");
    tyndau_scenario_free(&s);
}

static void test_crlf_bom_and_no_final_newline(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/crlf.ini", fx->dir);
    const char text[] = "\xEF\xBB\xBF[state]\r\ncorruption_mean = 0.3\r\n\r\n[ties]\r\nties_max=12";
    write_file(path, text, strlen(text));
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_OK);
    assert_true(p.corruption_mean == 0.3);
    assert_int_equal(p.ties_max, 12);
    assert_string_equal(s.text, text);
    tyndau_scenario_free(&s);
}

static void test_longest_line_accepted(void **state)
{
    (void)state;
    char text[400];
    /* "[state] ; xxxx": exactly TYNDAU_SCENARIO_MAX_LINE characters, then a key */
    int n = snprintf(text, sizeof text, "[state] ; ");
    while (n < TYNDAU_SCENARIO_MAX_LINE) text[n++] = 'x';
    snprintf(text + n, sizeof text - (size_t)n, "\r\ncorruption_mean = 0.4\n");
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    assert_int_equal(tyndau_scenario_load_text(&s, &p, text, "t.ini", &err), TYNDAU_OK);
    assert_true(p.corruption_mean == 0.4);
    tyndau_scenario_free(&s);
}

/* ---- errors ---- */

static void test_missing_and_unreadable_file(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/no-such.ini", fx->dir);
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_EINPUT);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot read scenario: %s", path, strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_true(is_zeroed(&s));

    /* a directory opens but cannot be read */
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_load_file(&s, &p, fx->dir, &err), TYNDAU_EINPUT);
    snprintf(want, sizeof want, "%s: cannot read scenario: ", fx->dir);
    assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
    assert_true(is_zeroed(&s));

    /* a NUL byte: not a text file, named with its line */
    snprintf(path, sizeof path, "%s/nul.ini", fx->dir);
    write_file(path, "; ok\n[state]\nx\0y\n", 17);
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_EINPUT);
    snprintf(want, sizeof want, "%s:3: ", path);
    assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
    assert_non_null(strstr(err.msg, "NUL"));
    tyndau_scenario_free(&s);
}

static void test_file_error_names_path(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/bad.ini", fx->dir);
    const char text[] = "[state]\n\ncorruption_mean = 1.5\n";
    write_file(path, text, strlen(text));
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    assert_int_equal(tyndau_scenario_load_file(&s, &p, path, &err), TYNDAU_EINPUT);
    char want[256];
    snprintf(want, sizeof want,
             "%s:3: key 'corruption_mean': expected a real in [0, 1] (probability), got '1.5'",
             path);
    assert_string_equal(err.msg, want);
    tyndau_scenario_free(&s);
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error_at("; c\n[state]\ncorruption_meen = 0.1\n", 3, "unknown parameter 'corruption_meen'",
                    "did you mean 'corruption_mean'?", NULL);
    expect_error_at("\n\nbogus_key = 1\n", 3, "unknown parameter 'bogus_key'", "did you mean",
                    NULL);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error_at("[state]\ncorruption_mean = 1.5\n", 2, "key 'corruption_mean'",
                    "expected a real in [0, 1]", "got '1.5'", NULL);
    expect_error_at("[state]\n; x\ncorruption_mean = abc\n", 3, "key 'corruption_mean'", "expected",
                    "got 'abc'", NULL);
    expect_error_at("[state]\ncorruption_mean = nan\n", 2, "key 'corruption_mean'", "got 'nan'",
                    NULL);
    expect_error_at("[state]\ncorruption_mean = inf\n", 2, "key 'corruption_mean'", "got 'inf'",
                    NULL);
    expect_error_at("[state]\ncorruption_mean = 0.1x\n", 2, "key 'corruption_mean'", "got '0.1x'",
                    NULL);
    /* ';' without a space before it is not a comment */
    expect_error_at("[state]\ncorruption_mean = 0.1;note\n", 2, "got '0.1;note'", NULL);
    expect_error_at("[ties]\nties_max = 2.5\n", 2, "key 'ties_max'", "expected an integer", NULL);
    expect_error_at("[schedule]\n\ncode_date = 2021-02-30\n", 3, "key 'code_date'",
                    "expected a date", "got '2021-02-30'", NULL);
    expect_error_at("code_date = 1.7.2021\n", 1, "key 'code_date'", "expected a date", NULL);
}

static void test_empty_value(void **state)
{
    (void)state;
    expect_error_at("[state]\ncorruption_mean =\n", 2, "key 'corruption_mean'", "expected a value",
                    NULL);
    expect_error_at("[state]\ncorruption_mean =    ; nothing\n", 2, "expected a value", NULL);
    expect_error_at("[state]\ncorruption_mean =; nothing\n", 2, "expected a value", NULL);
    expect_error_at("[scenario]\nname =\n", 2, "key 'name'", "expected a value", NULL);
    expect_error_at("[scenario]\ndescription = \n", 2, "key 'description'", "expected a value",
                    NULL);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    const char *mal = "malformed line: expected 'key = value', '[section]' or a comment";
    expect_error_at("[state]\ncorruption_mean 0.1\n", 2, mal, NULL);
    expect_error_at("; c\n[state\ncorruption_mean = 0.1\n", 2, mal, NULL);
    expect_error_at("[state]\n= 0.1\n", 2, mal, NULL);
    /* the first error in the file wins, whichever kind it is */
    expect_error_at("[state]\nnonsense\ncorruption_mean = 7\n", 2, mal, NULL);
    expect_error_at("[state]\ncorruption_mean = 7\nnonsense\n", 2, "key 'corruption_mean'", NULL);
    expect_error_at("[state]\nnonsense\n[scenario]\nfoo = 1\n", 2, mal, NULL);
    expect_error_at("[state]\nfoo = 1\nnonsense\n", 2, "unknown parameter 'foo'", NULL);
}

static void test_line_too_long(void **state)
{
    (void)state;
    char text[1024];
    int n = snprintf(text, sizeof text, "[state]\n; ");
    while (n < 8 + TYNDAU_SCENARIO_MAX_LINE + 1) text[n++] = 'x';
    snprintf(text + n, sizeof text - (size_t)n, "\ncorruption_mean = 0.1\n");
    expect_error_at(text, 2, "line too long", "expected at most 197 characters", "got 198", NULL);

    /* a long line after an error: the earlier error is reported */
    n = snprintf(text, sizeof text, "[state]\nfoo = 1\n; ");
    while (n < 600) text[n++] = 'x';
    snprintf(text + n, sizeof text - (size_t)n, "\ncorruption_mean = 0.1\n");
    expect_error_at(text, 2, "unknown parameter 'foo'", NULL);

    /* a long line before a malformed one, then: the long line */
    n = snprintf(text, sizeof text, "[state]\ndescription = ");
    while (n < 600) text[n++] = 'y';
    snprintf(text + n, sizeof text - (size_t)n, "\n\nnonsense\n");
    expect_error_at(text, 2, "line too long", NULL);
}

static void test_duplicate_key(void **state)
{
    (void)state;
    expect_error_at("[state]\ncorruption_mean = 0.1\n; c\ncorruption_mean = 0.2\n", 4,
                    "key 'corruption_mean' given twice (first on line 2)", NULL);
    /* outside any section and in its own section: still the same key */
    expect_error_at("corruption_mean = 0.1\n[state]\ncorruption_mean = 0.2\n", 3,
                    "key 'corruption_mean' given twice (first on line 1)", NULL);
    expect_error_at("[scenario]\nname = a\n\nname = b\n", 4, "key 'name' given twice (first on line 2)",
                    NULL);
}

static void test_wrong_and_unknown_section(void **state)
{
    (void)state;
    expect_error_at("[state]\ncode_date = 2021-07-01\n", 2,
                    "key 'code_date' belongs in section [schedule], not [state]", NULL);
    expect_error_at("[scenario]\ncorruption_mean = 0.1\n", 2,
                    "key 'corruption_mean' belongs in section [state], not [scenario]", NULL);
    expect_error_at("[scenario]\nbasis = baseline\n", 2, "unknown key 'basis' in [scenario]",
                    "expected 'name', 'description' or 'base'", NULL);
    /* reported on the header's line */
    expect_error_at("; c\n[stat]\n\ncorruption_mean = 0.1\n", 2,
                    "unknown section [stat]; expected [scenario] or a parameter category such as "
                    "[state]",
                    NULL);
    expect_error_at("[nope]\nbogus = 1\n", 1, "unknown section [nope]", NULL);
    /* a section without keys (inih never shows it to the handler): its header's line */
    expect_error_at("[scenario]\nname = x\n[nope]\n[state]\ncorruption_mean = 0.1\n", 3, "unknown section [nope]",
                    NULL);
    expect_error_at("[from]\n", 1, "unknown section [from]", NULL);
    /* the header comes before a malformed line between it and the first key */
    expect_error_at("[zzz]\nnonsense\nties_max = 3\n", 1, "unknown section [zzz]",
                    "such as [ties]", NULL);
}

static void test_bad_name(void **state)
{
    (void)state;
    expect_error_at("[scenario]\nname = has space\n", 2, "key 'name'",
                    "expected a short identifier", "got 'has space'", NULL);
    char text[256];
    int n = snprintf(text, sizeof text, "[scenario]\nname = ");
    for (int i = 0; i < 64; i++) text[n++] = 'a';
    snprintf(text + n, sizeof text - (size_t)n, "\n");
    expect_error_at(text, 2, "at most 63 characters", NULL);
}

static void test_failed_load_keeps_scenario(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    assert_int_equal(
        tyndau_scenario_load_text(&s, &p, "[scenario]\nname = first\n", "a.ini", &err), TYNDAU_OK);
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, "ties_max=9", &err), TYNDAU_OK);
    assert_int_equal(tyndau_scenario_load_text(&s, &p, "[scenario]\nname = second\nx\n", "b.ini",
                                               &err),
                     TYNDAU_EINPUT);
    assert_string_equal(s.name, "first");
    assert_string_equal(s.source, "a.ini");
    assert_int_equal(s.n_overrides, 1);
    tyndau_scenario_free(&s);
}

/* ---- --set ---- */

static void test_set_good(void **state)
{
    (void)state;
    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, "  corruption_mean = 0.3 ", &err),
                     TYNDAU_OK);
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, "code_date=2021-01-15", &err), TYNDAU_OK);
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, "ties_max=\t7", &err), TYNDAU_OK);
    assert_true(p.corruption_mean == 0.3);
    assert_int_equal(p.ties_max, 7);
    int d;
    assert_int_equal(tyndau_date_parse("2021-01-15", &d), 0);
    assert_int_equal(p.code_date, d);
    assert_true(value_of(&p, "corruption_mean") == 0.3);
    static const char *const set[] = {"corruption_mean", "code_date", "ties_max", NULL};
    assert_defaults_except(&p, set);
    assert_int_equal(s.n_overrides, 3);
    assert_string_equal(s.overrides[0], "  corruption_mean = 0.3 ");
    assert_string_equal(s.overrides[1], "code_date=2021-01-15");
    assert_string_equal(s.overrides[2], "ties_max=\t7");
    tyndau_scenario_free(&s);
    assert_true(is_zeroed(&s));
}

static void expect_set_error(const char *kv, const char *w1, const char *w2)
{
    tyndau_params p, def;
    tyndau_params_default(&p);
    tyndau_params_default(&def);
    tyndau_scenario s;
    memset(&s, 0, sizeof s);
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, kv, &err), TYNDAU_EINPUT);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "--set '%s': ", kv);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || strstr(err.msg, w1) == NULL ||
        (w2 != NULL && strstr(err.msg, w2) == NULL))
        print_error("--set '%s' gave: %s\n", kv, err.msg);
    assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
    assert_non_null(strstr(err.msg, w1));
    if (w2 != NULL) assert_non_null(strstr(err.msg, w2));
    assert_int_equal(s.n_overrides, 0);
    assert_memory_equal(&p, &def, sizeof p); /* nothing applied */
    tyndau_scenario_free(&s);
}

static void test_set_malformed(void **state)
{
    (void)state;
    expect_set_error("corruption_mean", "expected key=value", NULL);
    expect_set_error("=0.3", "expected key=value", NULL);
    expect_set_error("  = 0.3", "expected key=value", NULL);
    expect_set_error("corruption_mean=", "expected key=value", NULL);
    expect_set_error("corruption_mean =  ", "expected key=value", NULL);
    expect_set_error("", "expected key=value", NULL);
    expect_set_error("corruption_meen=0.1", "unknown parameter 'corruption_meen'",
                     "did you mean 'corruption_mean'?");
    expect_set_error("corruption_mean=2", "key 'corruption_mean': expected a real in [0, 1]",
                     "got '2'");
    expect_set_error("corruption_mean=0.1=2", "key 'corruption_mean'", "got '0.1=2'");
    expect_set_error("code_date=2021-13-01", "key 'code_date': expected a date", NULL);
}

/* Load `name` from the fixture directory; returns the status, err filled. */
static tyndau_status load_named(const fixture *fx, const char *name, tyndau_scenario *s, tyndau_params *p,
                                tyndau_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    tyndau_params_default(p);
    memset(s, 0, sizeof *s);
    tyndau_error_clear(err);
    return tyndau_scenario_load_file(s, p, path, err);
}

static void put(const fixture *fx, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    write_file(path, text, strlen(text));
}

/* base = ...: the chain is applied outermost first, the inheriting file on top; dated
 * changes accumulate in date order, and on one date the inheriting file's wins. */
static void test_inheritance_and_dated_changes(void **state)
{
    fixture *fx = *state;
    put(fx, "root.ini",
        "[scenario]\nname = root\n[state]\ncorruption_mean = 0.2\ndetection = 0.1\n"
        "[from 2020-06-01]\ndetection = 0.3\nasc_online = -2\n");
    put(fx, "mid.ini", "[scenario]\nbase = root.ini\n[state]\ndetection = 0.15\n[from 2020-03-01]\n"
                       "resistance_mean = 0.1\n");
    put(fx, "leaf.ini", "; leaf\n[scenario]\nname = leaf\nbase = mid.ini\n[state]\ncorruption_mean = 0.05\n"
                        "[from 2020-06-01]\ndetection = 0.9\n[from 2021-01-01]\nhelp_access = 0.5\n");
    tyndau_params p;
    tyndau_scenario s;
    tyndau_error err;
    tyndau_status rc = load_named(fx, "leaf.ini", &s, &p, &err);
    if (rc != TYNDAU_OK) print_error("%s\n", err.msg);
    assert_int_equal(rc, TYNDAU_OK);
    assert_string_equal(s.name, "leaf");
    /* values on start_date: leaf over mid over root */
    assert_true(p.corruption_mean == 0.05 && p.detection == 0.15);
    assert_defaults_except(&p, (const char *const[]){"corruption_mean", "detection", NULL});
    /* the bases, outermost first, with their texts */
    assert_int_equal(s.n_bases, 2);
    assert_non_null(strstr(s.base_sources[0], "root.ini"));
    assert_non_null(strstr(s.base_sources[1], "mid.ini"));
    assert_non_null(strstr(s.base_texts[0], "name = root"));
    /* five dated changes, sorted by date; of the two on 2020-06-01 for detection the leaf's is later */
    assert_int_equal(p.n_changes, 5);
    for (int k = 1; k < p.n_changes; k++) assert_true(p.changes[k - 1].date <= p.changes[k].date);
    tyndau_params on, defaults;
    tyndau_params_default(&defaults);
    tyndau_params_on(&p, TYNDAU_YMD(2020, 2, 29), &on);
    assert_true(on.resistance_mean == defaults.resistance_mean && on.detection == 0.15 &&
                on.asc_online == defaults.asc_online);
    tyndau_params_on(&p, TYNDAU_YMD(2020, 3, 1), &on);
    assert_true(on.resistance_mean == 0.1 && on.detection == 0.15);
    tyndau_params_on(&p, TYNDAU_YMD(2020, 6, 1), &on);
    assert_true(on.detection == 0.9 && on.asc_online == -2.0 && on.help_access == 0.0);
    tyndau_params_on(&p, TYNDAU_YMD(2021, 1, 1), &on);
    assert_true(on.help_access == 0.5 && on.corruption_mean == 0.05);
    /* every change knows its file and line */
    assert_int_equal(s.n_changes, 5);
    int found = 0;
    for (size_t k = 0; k < s.n_changes; k++)
        if (s.changes[k].param == tyndau_params_find("help_access")) {
            assert_non_null(strstr(s.changes[k].source, "leaf.ini"));
            assert_int_equal(s.changes[k].line, 10);
            found = 1;
        }
    assert_true(found);
    assert_int_equal(tyndau_scenario_check(&s, &p, &err), TYNDAU_OK);
    assert_int_equal(tyndau_params_check(&p, &err), TYNDAU_OK);
    tyndau_scenario_free(&s);
}

static void test_inheritance_errors(void **state)
{
    fixture *fx = *state;
    tyndau_params p;
    tyndau_scenario s;
    tyndau_error err;
    char want[256];
    /* a missing base: the inheriting file's line */
    put(fx, "orphan.ini", "[scenario]\n\nbase = no-such.ini\n");
    assert_int_equal(load_named(fx, "orphan.ini", &s, &p, &err), TYNDAU_EINPUT);
    snprintf(want, sizeof want, "%s/orphan.ini:3: key 'base': cannot read '%s/no-such.ini': %s", fx->dir, fx->dir,
             strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_true(is_zeroed(&s));
    /* circular, through two files */
    put(fx, "loop1.ini", "[scenario]\nbase = loop2.ini\n");
    put(fx, "loop2.ini", "[state]\ndetection = 0.2\n[scenario]\nbase = loop1.ini\n");
    assert_int_equal(load_named(fx, "loop1.ini", &s, &p, &err), TYNDAU_EINPUT);
    snprintf(want, sizeof want, "%s/loop2.ini:4: key 'base': circular inheritance: ", fx->dir);
    if (strncmp(err.msg, want, strlen(want)) != 0) print_error("%s\n", err.msg);
    assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
    assert_true(is_zeroed(&s));
    /* a dated change outside the simulated period: known after the last layer */
    put(fx, "late.ini", "[scenario]\nbase = root.ini\n[from 2030-01-01]\ndetection = 0.5\n");
    assert_int_equal(load_named(fx, "late.ini", &s, &p, &err), TYNDAU_OK);
    assert_int_equal(tyndau_scenario_check(&s, &p, &err), TYNDAU_EINPUT);
    snprintf(want, sizeof want,
             "%s/late.ini:4: dated change of 'detection' on 2030-01-01: expected a date in the simulated period, "
             "2019-08-01 to 2021-08-15",
             fx->dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(tyndau_params_check(&p, &err), TYNDAU_EINPUT); /* the model refuses it too */
    /* with the period extended by a later layer it is fine */
    assert_int_equal(tyndau_scenario_apply_set(&s, &p, "end_date=2030-12-31", &err), TYNDAU_OK);
    assert_int_equal(tyndau_scenario_check(&s, &p, &err), TYNDAU_OK);
    assert_int_equal(tyndau_params_check(&p, &err), TYNDAU_OK);
    tyndau_scenario_free(&s);
}

static void test_dated_section_errors(void **state)
{
    (void)state;
    expect_error_at("[from 2020-01-01]\nbogus_key = 1\n", 2, "unknown parameter 'bogus_key'", NULL);
    expect_error_at("[from 2020-01-01]\nproblem_rate = 1\n", 2, "key 'problem_rate' cannot change on a date",
                    "section [problems]", NULL);
    expect_error_at("[from 2020-01-01]\ncode_date = 2020-02-01\n", 2, "cannot change on a date", NULL);
    expect_error_at("\n[from 2020-02-30]\ndetection = 1\n", 2, "expected [from YYYY-MM-DD]", NULL);
    expect_error_at("[from 2020-01-01]\ndetection = 1.5\n", 2, "key 'detection': expected a real in [0, 1]",
                    NULL);
    expect_error_at("[from 2020-01-01]\ndetection = 0.1\n[from 2020-01-01]\ndetection = 0.2\n", 4,
                    "key 'detection' given twice for 2020-01-01 (first on line 2)", NULL);
    expect_error_at("[from 2020-01-01]\ndetection =\n", 2, "key 'detection': expected a value", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_default_name_and_empty_file),
        cmocka_unit_test(test_crlf_bom_and_no_final_newline),
        cmocka_unit_test(test_longest_line_accepted),
        cmocka_unit_test(test_missing_and_unreadable_file),
        cmocka_unit_test(test_file_error_names_path),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_empty_value),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_wrong_and_unknown_section),
        cmocka_unit_test(test_bad_name),
        cmocka_unit_test(test_failed_load_keeps_scenario),
        cmocka_unit_test(test_set_good),
        cmocka_unit_test(test_inheritance_and_dated_changes),
        cmocka_unit_test(test_inheritance_errors),
        cmocka_unit_test(test_dated_section_errors),
        cmocka_unit_test(test_set_malformed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
