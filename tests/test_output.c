/*
 * test_output.c - unit tests of the HDF5 run file writer and the survey
 * printer (model/output.c).
 *
 * The simulation cannot run here, so each test builds a tiny fake model by
 * hand (struct tyndau_model is defined in internal.h): 20 days of series with
 * known values, 2 offices with one bureaucrat each and 3 survey rows (one
 * published cell, in both samples).  Files go to a fresh temporary directory
 * per test, removed afterwards.  Run from the repository root: the schema
 * list is read from docs/output_schema.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "anchors.h"
#include "internal.h"
#include "output.h"
#include "tmpdir.h"

#define SCHEMA_DOC "docs/output_schema.md"
#define G TYNDAU_N_GROUP
#define N_DAYS 20 /* > 16: the date strings are chunked too */
#define CSV_HEADER "question,base,group_type,group,response,sample,simulated,observed,lo95,hi95,inside\n"

typedef struct {
    char dir[64];  /* temporary directory of this test */
    char path[128]; /* dir/out.h5 */
    tyndau_model *m;
    tyndau_meta meta;
} fixture;

static const char *const overrides[] = {"seed=12345", "agents=1000"};

static int64_t *series(size_t n, int64_t mul, int64_t add)
{
    int64_t *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = (int64_t)i * mul + add;
    return v;
}

static tyndau_survey_row survey_row(const char *response, int group, int quota, double sim, double obs,
                                    double lo, double hi, int inside)
{
    tyndau_survey_row r = {"aware_concept", "all", response, group, quota, sim, obs, lo, hi, 1200.0, inside};
    return r;
}

static tyndau_model *fake_model(void)
{
    tyndau_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    tyndau_params_default(&m->p0);
    m->p = m->p0;
    m->seed = 12345;
    m->scale = 2.5;
    m->c.n = 1000;
    m->n_days = N_DAYS;
    m->day = N_DAYS;
    m->s_problems = series((size_t)N_DAYS * G * N_DOMAIN, 3, 1);
    m->s_choices = series((size_t)N_DAYS * G * N_CHANNEL, 5, 2);
    m->s_outcomes = series((size_t)N_DAYS * G * N_OUTCOME, 1, 100);
    m->s_state = series((size_t)N_DAYS * G * N_STATE_SERIES, 11, 0);
    m->s_decided = series((size_t)N_DAYS * N_LEVEL * N_CHANNEL * N_OUTCOME, 2, 1);
    m->anchor_d0 = 5; /* a pretend anchor year: days 5 .. 14 */
    m->anchor_d1 = 15;
    m->anchor_decided = 40;
    m->anchor_bribe = 5;
    m->decisions[CH_OFFLINE][DEC_LATE] = 6;
    m->answer_wd[CH_SOCIAL][OUT_REDIRECTED][3] = 11;
    m->wait_hist[CH_ONLINE][5] = 42;
    m->wait_hist[CH_OFFLINE][TYNDAU_WAIT_MAX - 1] = 9;
    m->outcome_channel[CH_ONLINE][OUT_LATE_IGNORED] = 7;
    m->appeals_hist[0] = 900;
    m->bribes_hist[1] = 3;
    for (int g = 0; g < G; g++) m->group_size[g] = 1000 - g;

    m->n_offices = 2;
    m->office = calloc(2, sizeof *m->office);
    assert_non_null(m->office);
    for (int i = 0; i < 2; i++) {
        tyndau_office *o = &m->office[i];
        o->n_bureaucrats = 1;
        o->bur = calloc(1, sizeof *o->bur);
        assert_non_null(o->bur);
        o->bur[0] = (tyndau_bureaucrat){0.25f, 0.5f, 0.125f, 0.75f};
    }
    m->office[0] = (tyndau_office){.level = LEV_CENTRAL, .domain = -1, .region = -1, .staff = 12.5, .capacity = 3.25,
                                   .n_bureaucrats = 1, .bur = m->office[0].bur, .received = 10, .processed = 8,
                                   .wait_sum = 20, .max_queue = 4};
    m->office[0].by_outcome[OUT_RESOLVED] = 5;
    m->office[0].by_outcome[OUT_FORMAL] = 3;
    m->office[0].by_decision[DEC_EXTENDED] = 2;
    m->office[0].extended = 4;
    m->office[1] = (tyndau_office){.level = LEV_LOCAL, .domain = DOM_LAND, .region = 5, .staff = 2.0,
                                   .capacity = 0.5, .n_bureaucrats = 1, .bur = m->office[1].bur, .received = 1};

    m->n_survey = 3;
    m->survey = calloc(3, sizeof *m->survey);
    assert_non_null(m->survey);
    m->survey[0] = survey_row("fully_aware", TYNDAU_GROUP_TOTAL, 0, 11.0, 10.0, 8.3, 11.7, 1);
    m->survey[1] = survey_row("fully_aware", TYNDAU_GROUP_TOTAL, 1, 14.0, 10.0, 8.3, 11.7, 0);
    m->survey[2] = survey_row("first_time", TYNDAU_GROUP_AGE, 0, 50.25, NAN, NAN, NAN, -1);
    return m;
}

static void free_model(tyndau_model *m)
{
    free(m->s_problems);
    free(m->s_choices);
    free(m->s_outcomes);
    free(m->s_state);
    free(m->s_decided);
    for (int i = 0; i < m->n_offices; i++) free(m->office[i].bur);
    free(m->office);
    free(m->survey);
    free(m);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "tyndau_test_output"), 0);
    snprintf(f->path, sizeof f->path, "%s/out.h5", f->dir);
    f->m = fake_model();
    f->meta = (tyndau_meta){.program = "tyndau",
                            .command_line = "tyndau run scenarios/test.ini seed=12345 agents=1000",
                            .scenario_name = "test",
                            .scenario_source = "scenarios/test.ini",
                            .scenario_text = "# test scenario\nagents = 1000\n",
                            .overrides = overrides,
                            .n_overrides = 2,
                            .targets_source = "data/survey_2021/marginals.csv",
                            .threads = 2};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failed look-ups are expected; cmocka reports */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpdir_remove(f->dir);
    free_model(f->m);
    free(f);
    return 0;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL) fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void write_ok(fixture *f)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_model_write(f->m, f->path, &f->meta, &err);
    if (st != TYNDAU_OK) fail_msg("tyndau_model_write: %d: %s", st, err.msg);
}

/* Names in dir, one per line (sorted by readdir order is enough for equality of one entry). */
static size_t count_entries(const char *dir, char *names, size_t len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        n++;
        strncat(names, e->d_name, len - strlen(names) - 2);
        strcat(names, "\n");
    }
    closedir(d);
    return n;
}

/* ---- HDF5 read helpers ---- */

static hid_t open_file(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) fail_msg("cannot open %s", path);
    return file;
}

static char *attr_str(hid_t loc, const char *obj, const char *name)
{
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) fail_msg("no attribute %s of %s", name, obj);
    hid_t t = H5Aget_type(a);
    assert_true(t >= 0);
    assert_true(H5Tis_variable_str(t) > 0);
    char *v = NULL;
    assert_true(H5Aread(a, t, &v) >= 0);
    char *copy = strdup(v);
    assert_non_null(copy);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

static void assert_attr_str(hid_t loc, const char *obj, const char *name, const char *want)
{
    char *v = attr_str(loc, obj, name);
    if (strcmp(v, want) != 0) fail_msg("%s %s: got \"%s\", want \"%s\"", obj, name, v, want);
    free(v);
}

static void attr_num(hid_t loc, const char *obj, const char *name, hid_t mtype, void *out)
{
    hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) fail_msg("no attribute %s of %s", name, obj);
    assert_true(H5Aread(a, mtype, out) >= 0);
    H5Aclose(a);
}

/* Whole dataset as `mtype` into a new buffer; *n = elements. */
static void *read_all(hid_t file, const char *path, hid_t mtype, size_t *n)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) fail_msg("no dataset %s", path);
    hid_t sp = H5Dget_space(ds);
    hssize_t k = H5Sget_simple_extent_npoints(sp);
    assert_true(k >= 0);
    *n = (size_t)k;
    void *buf = calloc(*n + 1, H5Tget_size(mtype));
    assert_non_null(buf);
    if (*n > 0) assert_true(H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Sclose(sp);
    H5Dclose(ds);
    return buf;
}

/* Variable-length strings of a 1-D dataset (or scalar), copied; free with free_strings. */
static char **read_strings(hid_t file, const char *path, size_t *n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char **raw = read_all(file, path, t, n);
    char **copy = calloc(*n + 1, sizeof *copy);
    assert_non_null(copy);
    for (size_t i = 0; i < *n; i++) {
        copy[i] = strdup(raw[i] != NULL ? raw[i] : "");
        H5free_memory(raw[i]);
    }
    free(raw);
    H5Tclose(t);
    return copy;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* ---- the schema list of docs/output_schema.md ---- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s (run from the repository root)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Check one line of the schema block; returns 1 if it named an item. */
static int check_item(hid_t file, const char *line)
{
    char kind[16], path[256], name[128];
    int k = sscanf(line, "%15s %255s %127s", kind, path, name);
    if (k <= 0) return 0;
    if (strcmp(kind, "attr") == 0) {
        if (k != 3) fail_msg("bad schema line \"%s\"", line);
        if (H5Aexists_by_name(file, path, name, H5P_DEFAULT) <= 0) fail_msg("missing attribute %s of %s", name, path);
        return 1;
    }
    if (k != 2) fail_msg("bad schema line \"%s\"", line);
    H5I_type_t want = H5I_BADID;
    if (strcmp(kind, "group") == 0)
        want = H5I_GROUP;
    else if (strcmp(kind, "dataset") == 0)
        want = H5I_DATASET;
    else
        fail_msg("bad schema line \"%s\"", line);
    hid_t o = H5Oopen(file, path, H5P_DEFAULT);
    if (o < 0) fail_msg("missing %s %s", kind, path);
    if (H5Iget_type(o) != want) fail_msg("%s is not a %s", path, kind);
    H5Oclose(o);
    return 1;
}

static void test_schema_items(void **state)
{
    fixture *f = *state;
    write_ok(f);
    char *doc = read_text(SCHEMA_DOC);
    char *start = strstr(doc, "\n```schema\n");
    if (start == NULL) fail_msg("no ```schema block in %s", SCHEMA_DOC);
    start += strlen("\n```schema\n");
    char *end = strstr(start, "\n```");
    if (end == NULL) fail_msg("unterminated ```schema block in %s", SCHEMA_DOC);
    *end = '\0';

    hid_t file = open_file(f->path);
    int n = 0, n_group = 0, n_dataset = 0;
    for (char *save = NULL, *line = strtok_r(start, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        n += check_item(file, line);
        n_group += strncmp(line, "group ", 6) == 0;
        n_dataset += strncmp(line, "dataset ", 8) == 0;
    }
    assert_true(n > 80);
    assert_int_equal(n_group, 8); /* /parameters, /scenario, /timeseries, /distributions, /offices, /anchors, /survey, /headline */
    assert_true(n_dataset > 40);
    /* every parameter, not listed in the doc because params.def is its own list */
    for (size_t i = 0; i < tyndau_n_params; i++)
        if (H5Aexists_by_name(file, "/parameters", tyndau_param_table[i].name, H5P_DEFAULT) <= 0)
            fail_msg("missing /parameters attribute %s", tyndau_param_table[i].name);
    H5Fclose(file);
    free(doc);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    const tyndau_model *m = f->m;
    write_ok(f);
    hid_t file = open_file(f->path);

    assert_attr_str(file, "/", "schema_name", "tyndau-run");
    assert_attr_str(file, "/", "schema_version", TYNDAU_SCHEMA_VERSION);
    assert_attr_str(file, "/", "program_version", TYNDAU_VERSION);
    assert_attr_str(file, "/", "start_date", "2019-08-01");
    assert_attr_str(file, "/", "survey_date", "2021-08-15");
    assert_attr_str(file, "/", "command_line", f->meta.command_line);
    char *created = attr_str(file, "/", "created");
    assert_int_equal(strlen(created), 20); /* YYYY-MM-DDTHH:MM:SSZ */
    assert_int_equal(created[19], 'Z');
    free(created);
    uint64_t seed = 0, agents = 0;
    double scale = 0;
    int threads = 0, pop = 0;
    attr_num(file, "/", "seed", H5T_NATIVE_UINT64, &seed);
    attr_num(file, "/", "agents", H5T_NATIVE_UINT64, &agents);
    attr_num(file, "/", "scale", H5T_NATIVE_DOUBLE, &scale);
    attr_num(file, "/", "threads", H5T_NATIVE_INT, &threads);
    assert_true(seed == 12345 && agents == 1000 && scale == 2.5 && threads == 2);
    attr_num(file, "/parameters", "population_national", H5T_NATIVE_INT, &pop);
    assert_int_equal(pop, m->p.population_national);
    double share = 0;
    attr_num(file, "/parameters", "male_share", H5T_NATIVE_DOUBLE, &share);
    assert_true(share == m->p.male_share);
    assert_attr_str(file, "/parameters", "survey_date", "2021-08-15");

    /* the parameter table: survey_date's row */
    typedef struct {
        char *f[10];
    } prow;
    hid_t s = H5Tcopy(H5T_C_S1);
    H5Tset_size(s, H5T_VARIABLE);
    H5Tset_cset(s, H5T_CSET_UTF8);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(prow));
    static const char *const members[10] = {"name", "type",     "value",       "default", "min",
                                            "max",  "unit",     "category",    "description", "source"};
    for (size_t k = 0; k < 10; k++) assert_true(H5Tinsert(t, members[k], k * sizeof(char *), s) >= 0);
    size_t n;
    prow *rows = read_all(file, "/parameters/table", t, &n);
    assert_int_equal(n, tyndau_n_params);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].f[0], tyndau_param_table[i].name);
        if (strcmp(rows[i].f[0], "survey_date") == 0) {
            found = 1;
            assert_string_equal(rows[i].f[1], "date");
            assert_string_equal(rows[i].f[2], "2021-08-15");
            assert_string_equal(rows[i].f[3], "2021-08-15");
            assert_string_equal(rows[i].f[4], "2000-01-01");
            assert_string_equal(rows[i].f[6], "date");
        }
        for (size_t k = 0; k < 10; k++) H5free_memory(rows[i].f[k]);
    }
    assert_true(found);
    free(rows);
    H5Tclose(t);
    H5Tclose(s);

    /* scenario */
    char **txt = read_strings(file, "/scenario/text", &n);
    assert_int_equal(n, 1);
    assert_string_equal(txt[0], f->meta.scenario_text);
    free_strings(txt, n);
    char **ov = read_strings(file, "/scenario/overrides", &n);
    assert_int_equal(n, 2);
    assert_string_equal(ov[1], "agents=1000");
    free_strings(ov, n);
    assert_attr_str(file, "/scenario", "source", "scenarios/test.ini");

    /* time series: every value */
    int64_t *v = read_all(file, "/timeseries/problems", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)N_DAYS * G * N_DOMAIN);
    assert_memory_equal(v, m->s_problems, n * sizeof *v);
    free(v);
    v = read_all(file, "/timeseries/choices", H5T_NATIVE_INT64, &n);
    assert_memory_equal(v, m->s_choices, n * sizeof *v);
    free(v);
    v = read_all(file, "/timeseries/state", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)N_DAYS * G * N_STATE_SERIES);
    assert_memory_equal(v, m->s_state, n * sizeof *v);
    free(v);
    char **dates = read_strings(file, "/timeseries/date", &n);
    assert_int_equal(n, N_DAYS);
    assert_string_equal(dates[2], "2019-08-03");
    free_strings(dates, n);
    assert_attr_str(file, "/timeseries/choices", "dims", "day,group,channel");
    assert_attr_str(file, "/timeseries/choices", "channel_codes",
                    "silence,online_e_otinish,offline_reception,social_media,president_office,informal");
    assert_attr_str(file, "/timeseries/state", "state_codes",
                    "concept:first_time,concept:heard_something,concept:fully_aware,platform:first_time,"
                    "platform:heard_not_how,platform:knows_how_to_use,central:pays_attention,central:no_attention,"
                    "central:split,central:dont_know,local:pays_attention,local:no_attention,local:split,"
                    "local:dont_know");
    char *gt = attr_str(file, "/timeseries/problems", "group_type_codes");
    assert_true(strncmp(gt, "total,age,age,age,age,income,", 29) == 0);
    free(gt);

    /* big datasets are chunked and filtered: integers by scale-offset (the values above came back
       exactly), then Fletcher-32 */
    hid_t ds = H5Dopen2(file, "/timeseries/problems", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_nfilters(dcpl), 2);
    unsigned flags, cd[8];
    size_t n_cd = 8;
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &n_cd, cd, 0, NULL, NULL), H5Z_FILTER_SCALEOFFSET);
    n_cd = 8;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &n_cd, cd, 0, NULL, NULL), H5Z_FILTER_FLETCHER32);
    H5Pclose(dcpl);
    H5Dclose(ds);
    ds = H5Dopen2(file, "/timeseries/date", H5P_DEFAULT);
    dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_nfilters(dcpl), 2); /* no Fletcher-32 on strings */
    H5Pclose(dcpl);
    H5Dclose(ds);

    /* distributions */
    v = read_all(file, "/distributions/time_to_answer", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)N_CHANNEL * TYNDAU_WAIT_MAX);
    assert_int_equal(v[CH_ONLINE * TYNDAU_WAIT_MAX + 5], 42);
    assert_int_equal(v[CH_OFFLINE * TYNDAU_WAIT_MAX + TYNDAU_WAIT_MAX - 1], 9);
    free(v);
    v = read_all(file, "/distributions/beliefs_by_group", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)G * N_LEVEL * N_BELIEF);
    for (int g = 0; g < G; g++) {
        const int64_t *last = m->s_state + ((size_t)(N_DAYS - 1) * G + (size_t)g) * N_STATE_SERIES;
        assert_int_equal(v[(g * N_LEVEL + LEV_CENTRAL) * N_BELIEF + BEL_PAYS], last[N_CONCEPT + N_PLATFORM]);
        assert_int_equal(v[(g * N_LEVEL + LEV_LOCAL) * N_BELIEF + BEL_DK], last[N_STATE_SERIES - 1]);
    }
    free(v);
    v = read_all(file, "/distributions/group_size", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, G);
    assert_int_equal(v[G - 1], 1000 - (G - 1));
    free(v);

    /* offices */
    int8_t *b = read_all(file, "/offices/domain", H5T_NATIVE_INT8, &n);
    assert_int_equal(n, 2);
    assert_int_equal(b[0], -1);
    assert_int_equal(b[1], DOM_LAND);
    free(b);
    double *d = read_all(file, "/offices/mean_wait_days", H5T_NATIVE_DOUBLE, &n);
    assert_true(d[0] == 2.5 && isnan(d[1]));
    free(d);
    d = read_all(file, "/offices/sensitivity_mean", H5T_NATIVE_DOUBLE, &n);
    assert_true(d[0] == 0.75 && d[1] == 0.75);
    free(d);
    uint64_t *u = read_all(file, "/offices/outcomes", H5T_NATIVE_UINT64, &n);
    assert_int_equal(n, 2 * N_OUTCOME);
    assert_true(u[OUT_RESOLVED] == 5 && u[OUT_FORMAL] == 3 && u[N_OUTCOME + OUT_RESOLVED] == 0);
    free(u);
    char *rc = attr_str(file, "/offices/region", "region_codes");
    assert_true(strncmp(rc, "nur_sultan_city,almaty_city,", 28) == 0);
    free(rc);
    u = read_all(file, "/offices/decisions", H5T_NATIVE_UINT64, &n);
    assert_int_equal(n, 2 * N_DECISION);
    assert_true(u[DEC_EXTENDED] == 2 && u[N_DECISION + DEC_EXTENDED] == 0);
    free(u);
    u = read_all(file, "/offices/extended", H5T_NATIVE_UINT64, &n);
    assert_true(u[0] == 4 && u[1] == 0);
    free(u);
    assert_attr_str(file, "/offices/decisions", "decision_codes", "on_time,extended,rescued,late,lapsed,informal");

    /* the new series and tables, every value */
    v = read_all(file, "/timeseries/decided", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)N_DAYS * N_LEVEL * N_CHANNEL * N_OUTCOME);
    assert_memory_equal(v, m->s_decided, n * sizeof *v);
    free(v);
    assert_attr_str(file, "/timeseries/decided", "dims", "day,level,channel,outcome");
    v = read_all(file, "/distributions/decisions", H5T_NATIVE_INT64, &n);
    assert_int_equal(v[CH_OFFLINE * N_DECISION + DEC_LATE], 6);
    free(v);
    v = read_all(file, "/distributions/answer_working_days", H5T_NATIVE_INT64, &n);
    assert_int_equal(n, (size_t)N_CHANNEL * N_OUTCOME * TYNDAU_ANSWER_WD_MAX);
    assert_int_equal(v[(CH_SOCIAL * N_OUTCOME + OUT_REDIRECTED) * TYNDAU_ANSWER_WD_MAX + 3], 11);
    free(v);

    /* anchors: the rows tyndau_model_anchors computes, and the first two recomputed here */
    tyndau_anchor an[TYNDAU_N_ANCHOR_MAX];
    size_t na = tyndau_model_anchors(m, an);
    assert_true(na > 10);
    char **aname = read_strings(file, "/anchors/name", &n);
    assert_int_equal(n, na);
    d = read_all(file, "/anchors/value", H5T_NATIVE_DOUBLE, &n);
    int64_t formal = 0, president = 0;
    for (int day = 5; day < 15; day++) {
        president += m->s_choices[(size_t)day * G * N_CHANNEL + CH_PRESIDENT];
        for (int l = 0; l < N_LEVEL; l++)
            for (int ch = CH_ONLINE; ch <= CH_PRESIDENT; ch++)
                for (int o = 0; o < N_OUTCOME; o++)
                    formal += m->s_decided[(((size_t)day * N_LEVEL + (size_t)l) * N_CHANNEL + (size_t)ch) * N_OUTCOME + (size_t)o];
    }
    for (size_t k = 0; k < n; k++) {
        assert_string_equal(aname[k], an[k].name);
        assert_true(d[k] == an[k].value || (isnan(d[k]) && isnan(an[k].value)));
    }
    assert_string_equal(aname[0], "formal_appeals_decided");
    assert_true(d[0] == (double)formal * m->scale);
    assert_string_equal(aname[1], "president_appeals_filed");
    assert_true(d[1] == (double)president * m->scale);
    assert_string_equal(aname[2], "corruption_share");
    assert_true(d[2] == 100.0 * 5.0 / 40.0);
    free(d);
    free_strings(aname, n);
    char **src = read_strings(file, "/anchors/source", &n);
    assert_contains(src[0], "the President");
    free_strings(src, n);
    int ay = 0;
    attr_num(file, "/anchors", "anchor_year", H5T_NATIVE_INT, &ay);
    assert_int_equal(ay, TYNDAU_ANCHOR_YEAR);

    /* survey */
    char **grp = read_strings(file, "/survey/group", &n);
    assert_int_equal(n, 3);
    assert_string_equal(grp[2], "18-29");
    free_strings(grp, n);
    char **sample = read_strings(file, "/survey/sample", &n);
    assert_string_equal(sample[0], "population");
    assert_string_equal(sample[1], "quota");
    free_strings(sample, n);
    d = read_all(file, "/survey/observed", H5T_NATIVE_DOUBLE, &n);
    assert_true(d[0] == 10.0 && isnan(d[2]));
    free(d);
    int pub = -1, in_pop = -1, in_quota = -1;
    attr_num(file, "/survey", "n_published", H5T_NATIVE_INT, &pub);
    attr_num(file, "/survey", "n_inside_population", H5T_NATIVE_INT, &in_pop);
    attr_num(file, "/survey", "n_inside_quota", H5T_NATIVE_INT, &in_quota);
    assert_true(pub == 1 && in_pop == 1 && in_quota == 0);
    H5Fclose(file);
}

/* ---- every dataset has description and units ---- */

typedef struct {
    int datasets;
    char missing[1024];
} visit_state;

static void check_meta(hid_t obj, const char *name, visit_state *vs)
{
    static const char *const need[2] = {"description", "units"};
    vs->datasets++;
    for (int k = 0; k < 2; k++)
        if (H5Aexists_by_name(obj, name, need[k], H5P_DEFAULT) <= 0) {
            size_t len = strlen(vs->missing);
            snprintf(vs->missing + len, sizeof vs->missing - len, " %s:%s", name, need[k]);
        }
}

#if H5_VERSION_GE(1, 12, 0)
static herr_t visit_cb(hid_t obj, const char *name, const H5O_info2_t *info, void *data)
{
    if (info->type == H5O_TYPE_DATASET) check_meta(obj, name, data);
    return 0;
}
#define VISIT(f, vs) H5Ovisit3((f), H5_INDEX_NAME, H5_ITER_INC, visit_cb, (vs), H5O_INFO_BASIC)
#else
static herr_t visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    if (info->type == H5O_TYPE_DATASET) check_meta(obj, name, data);
    return 0;
}
#define VISIT(f, vs) H5Ovisit((f), H5_INDEX_NAME, H5_ITER_INC, visit_cb, (vs))
#endif

static void test_dataset_metadata(void **state)
{
    fixture *f = *state;
    write_ok(f);
    hid_t file = open_file(f->path);
    visit_state vs = {0, ""};
    assert_true(VISIT(file, &vs) >= 0);
    H5Fclose(file);
    assert_true(vs.datasets > 40);
    if (vs.missing[0] != '\0') fail_msg("datasets without metadata:%s", vs.missing);
}

/* ---- atomic write ---- */

static void test_no_temporaries(void **state)
{
    fixture *f = *state;
    write_ok(f);
    f->m->seed = 777; /* overwrite an existing file */
    write_ok(f);
    char names[1024];
    assert_int_equal(count_entries(f->dir, names, sizeof names), 1);
    assert_string_equal(names, "out.h5\n");
    hid_t file = open_file(f->path);
    uint64_t seed = 0;
    attr_num(file, "/", "seed", H5T_NATIVE_UINT64, &seed);
    assert_true(seed == 777);
    H5Fclose(file);
    /* mkstemp's 0600 is widened to what the umask allows */
    mode_t mask = umask(0);
    umask(mask);
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0666 & ~mask);
}

static void test_missing_directory(void **state)
{
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/out.h5", f->dir);
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_model_write(f->m, path, &f->meta, &err), TYNDAU_EINPUT);
    assert_int_equal(err.status, TYNDAU_EINPUT);
    assert_contains(err.msg, path);
    assert_contains(err.msg, "cannot write output: No such file or directory");
    char names[256];
    assert_int_equal(count_entries(f->dir, names, sizeof names), 0);
}

/* A failure after the file was created removes the temporary and leaves no output. */
static void test_failure_cleans_up(void **state)
{
    fixture *f = *state;
    f->m->survey[2].group = G; /* out of range: the writer refuses */
    tyndau_error err;
    tyndau_error_clear(&err);
    assert_int_equal(tyndau_model_write(f->m, f->path, &f->meta, &err), TYNDAU_EINTERNAL);
    assert_contains(err.msg, "/survey");
    char names[256];
    assert_int_equal(count_entries(f->dir, names, sizeof names), 0);
}

/* No survey, no offices, no overrides, no meta: empty datasets, zero counts. */
static void test_empty_parts(void **state)
{
    fixture *f = *state;
    free(f->m->survey);
    f->m->survey = NULL;
    f->m->n_survey = 0;
    for (int i = 0; i < f->m->n_offices; i++) free(f->m->office[i].bur);
    free(f->m->office);
    f->m->office = NULL;
    f->m->n_offices = 0;
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_model_write(f->m, f->path, NULL, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
    hid_t file = open_file(f->path);
    size_t n = 99;
    double *d = read_all(file, "/survey/simulated", H5T_NATIVE_DOUBLE, &n);
    assert_int_equal(n, 0);
    free(d);
    char **ov = read_strings(file, "/scenario/overrides", &n);
    assert_int_equal(n, 0);
    free_strings(ov, n);
    uint64_t *u = read_all(file, "/offices/outcomes", H5T_NATIVE_UINT64, &n);
    assert_int_equal(n, 0);
    free(u);
    int pub = -1;
    attr_num(file, "/survey", "n_published", H5T_NATIVE_INT, &pub);
    assert_int_equal(pub, 0);
    assert_attr_str(file, "/", "program", "tyndau");
    H5Fclose(file);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(tyndau_output_print_survey(f->path, 1, out, &err), TYNDAU_OK);
    fclose(out);
    assert_string_equal(text, CSV_HEADER);
    free(text);
}

/* ---- the survey printer ---- */

static char *print_survey(const char *path, int csv, tyndau_status want, tyndau_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    tyndau_error_clear(err);
    tyndau_status st = tyndau_output_print_survey(path, csv, out, err);
    fclose(out);
    if (st != want) fail_msg("tyndau_output_print_survey(%s): got %d (%s), want %d", path, st, err->msg, want);
    return text;
}

static void test_print_csv(void **state)
{
    fixture *f = *state;
    write_ok(f);
    tyndau_error err;
    char *text = print_survey(f->path, 1, TYNDAU_OK, &err);
    assert_true(strncmp(text, CSV_HEADER, strlen(CSV_HEADER)) == 0);
    assert_contains(text, "\naware_concept,all,total,all,fully_aware,population,11.00,10.00,8.30,11.70,1\n");
    assert_contains(text, "\naware_concept,all,total,all,fully_aware,quota,14.00,10.00,8.30,11.70,0\n");
    assert_contains(text, "\naware_concept,all,age,18-29,first_time,population,50.25,,,,\n");
    free(text);
}

static void test_print_table(void **state)
{
    fixture *f = *state;
    write_ok(f);
    tyndau_error err;
    char *text = print_survey(f->path, 0, TYNDAU_OK, &err);
    assert_contains(text, "aware_concept (base: all)");
    assert_contains(text, "* total");
    assert_contains(text, "[  8.3,  11.7]");
    assert_contains(text, "OUTSIDE");
    assert_contains(text, "population sample: 1 of 1 inside");
    assert_contains(text, "quota      sample: 0 of 1 inside");
    assert_contains(text, "doi:10.1080/02634937.2023.2268652");
    free(text);
}

/* Rewrite root attribute schema_version of an existing file. */
static void set_version(const char *path, const char *version)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    if (H5Aexists(file, "schema_version") > 0) assert_true(H5Adelete(file, "schema_version") >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(file, "schema_version", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, t, &version) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(file);
}

static void test_print_errors(void **state)
{
    fixture *f = *state;
    tyndau_error err;
    char path[256], *text;

    snprintf(path, sizeof path, "%s/missing.h5", f->dir);
    text = print_survey(path, 1, TYNDAU_EINPUT, &err);
    assert_contains(err.msg, "cannot read: No such file or directory");
    assert_string_equal(text, "");
    free(text);

    snprintf(path, sizeof path, "%s/text.h5", f->dir);
    FILE *t = fopen(path, "w");
    assert_non_null(t);
    fputs("not hdf5\n", t);
    fclose(t);
    free(print_survey(path, 1, TYNDAU_EINPUT, &err));
    assert_contains(err.msg, "not an HDF5 file");

    /* HDF5, right schema, but no /survey */
    snprintf(path, sizeof path, "%s/nosurvey.h5", f->dir);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(file >= 0);
    H5Fclose(file);
    free(print_survey(path, 0, TYNDAU_EINPUT, &err));
    assert_contains(err.msg, "schema_version");
    set_version(path, "1.3");
    free(print_survey(path, 0, TYNDAU_EINPUT, &err));
    assert_contains(err.msg, "no /survey group");

    /* a newer major version is refused, a newer minor accepted */
    write_ok(f);
    set_version(f->path, "2.0");
    free(print_survey(f->path, 1, TYNDAU_EINPUT, &err));
    assert_contains(err.msg, "'2.0' is not supported");
    set_version(f->path, "1.7");
    free(print_survey(f->path, 1, TYNDAU_OK, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dataset_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
