/*
 * capi.c - the C side of the Python package: libtyndau through plain types (pointers to
 * opaque handles, strings, numbers), so that ctypes calls it without knowing a struct.
 * Built into libtyndau.so only (with the build's provenance, version.o).
 *
 * A scenario handle owns a prepared scenario and its parameters; a model handle owns a model
 * and keeps its scenario (the Python object holds both).  Every fallible call returns a
 * tyndau_status and copies the library's message (file, line, key) into msg.  Nothing here
 * is global: the handles are all the state.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "headline.h"
#include "scenario.h"
#include "targets.h"
#include "tyndau.h"

/* room for one parameter's origin: "calibrated, " and a path with its line */
#define ORIGIN_LEN (PATH_MAX + 64)

extern const char tyndau_build_commit[], tyndau_build_cflags[];

typedef struct {
    tyndau_scenario sc;
    tyndau_params p;
} py_scenario;

typedef struct {
    tyndau_model *m;
    const py_scenario *s;
    char *targets_name;
    int threads;
} py_model;

/* Exported for ctypes; prototypes here keep -Wmissing-prototypes honest. */
const char *tyndau_py_version(void);
size_t tyndau_py_count(const char *what);
int tyndau_py_scenario_new(const char *path, const char *text, const char *source, const char *const *sets,
                           size_t n_sets, py_scenario **out, char *msg, size_t len);
void tyndau_py_scenario_free(py_scenario *s);
const char *tyndau_py_scenario_text(const py_scenario *s, const char *what);
void tyndau_py_scenario_value(const py_scenario *s, size_t i, char *buf, size_t len);
int tyndau_py_scenario_change(const py_scenario *s, int k, int *date, int *param, double *value);
void tyndau_py_param_info(size_t i, const char **name, int *type, double *def, double *lo, double *hi,
                          const char **unit, const char **category, int *dated, const char **desc,
                          const char **source);
void tyndau_py_date_format(int days, char *buf, size_t len);
int tyndau_py_model_new(const py_scenario *s, const char *targets_text, const char *targets_name, size_t agents,
                        uint64_t seed, int threads, py_model **out, char *msg, size_t len);
void tyndau_py_model_free(py_model *pm);
int tyndau_py_model_step(py_model *pm, int days, char *msg, size_t len);
int tyndau_py_model_set(py_model *pm, const char *key, const char *value, char *msg, size_t len);
int tyndau_py_model_days(const py_model *pm, int *done, int *start_date);
int tyndau_py_model_threads(const py_model *pm);
int tyndau_py_model_write(const py_model *pm, const char *path, const char *command_line, char *msg, size_t len);
double tyndau_py_model_headline(const py_model *pm, int h, int g);
double tyndau_py_model_gap(const py_model *pm, int gap);
size_t tyndau_py_model_survey(const py_model *pm, size_t i, const char **question, const char **base,
                              const char **response, int *group, int *quota, double v[5], int *inside);
const char *tyndau_py_name(const char *what, int i);
int64_t tyndau_py_model_day_choices(const py_model *pm, int day, int channel);

static int fail(const tyndau_error *err, char *msg, size_t len)
{
    if (msg != NULL && len > 0) snprintf(msg, len, "%s", err->msg);
    return err->status == TYNDAU_OK ? (int)TYNDAU_EINTERNAL : (int)err->status;
}

const char *tyndau_py_version(void) { return TYNDAU_VERSION; }

/* Sizes of the library's tables, by name: what the Python side iterates over. */
size_t tyndau_py_count(const char *what)
{
    if (strcmp(what, "params") == 0) return tyndau_n_params;
    if (strcmp(what, "headline") == 0) return N_HEADLINE;
    if (strcmp(what, "gap") == 0) return N_GAP;
    if (strcmp(what, "group") == 0) return TYNDAU_N_GROUP;
    if (strcmp(what, "channel") == 0) return N_CHANNEL;
    return 0;
}

/* Names of codes: "headline", "gap", "group" (its name), "group_type" (of group i), "channel". */
const char *tyndau_py_name(const char *what, int i)
{
    if (strcmp(what, "headline") == 0 && i >= 0 && i < N_HEADLINE) return tyndau_headline_names[i];
    if (strcmp(what, "gap") == 0 && i >= 0 && i < N_GAP) return tyndau_gap_names[i];
    if (strcmp(what, "group") == 0 && i >= 0 && i < TYNDAU_N_GROUP) return tyndau_group_name(i);
    if (strcmp(what, "group_type") == 0 && i >= 0 && i < TYNDAU_N_GROUP) return tyndau_gtype_names[tyndau_group_type(i)];
    if (strcmp(what, "channel") == 0 && i >= 0 && i < N_CHANNEL) return tyndau_channel_names[i];
    return NULL;
}

/* As `tyndau run`: a file (path) or a text with its name (text, source), then the --set
 * overrides, checked as a whole (tyndau_scenario_prepare). */
int tyndau_py_scenario_new(const char *path, const char *text, const char *source, const char *const *sets,
                           size_t n_sets, py_scenario **out, char *msg, size_t len)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    *out = NULL;
    py_scenario *s = tyndau_calloc(1, sizeof *s);
    if (s == NULL) return TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory"), fail(&err, msg, len);
    if (tyndau_scenario_prepare(&s->sc, &s->p, path, text, source, sets, n_sets, &err) != TYNDAU_OK) {
        tyndau_py_scenario_free(s);
        return fail(&err, msg, len);
    }
    *out = s;
    return TYNDAU_OK;
}

void tyndau_py_scenario_free(py_scenario *s)
{
    if (s == NULL) return;
    tyndau_scenario_free(&s->sc);
    free(s);
}

const char *tyndau_py_scenario_text(const py_scenario *s, const char *what)
{
    if (strcmp(what, "name") == 0) return s->sc.name;
    if (strcmp(what, "description") == 0) return s->sc.description;
    if (strcmp(what, "source") == 0) return s->sc.source;
    if (strcmp(what, "text") == 0) return s->sc.text;
    if (strcmp(what, "joined") == 0) return s->sc.joined ? s->sc.joined : s->sc.text;
    return NULL;
}

void tyndau_py_scenario_value(const py_scenario *s, size_t i, char *buf, size_t len)
{
    tyndau_params_format(&s->p, i, buf, len);
}

/* Dated change k of the scenario: 1 and its fields, 0 past the last. */
int tyndau_py_scenario_change(const py_scenario *s, int k, int *date, int *param, double *value)
{
    if (k < 0 || k >= s->p.n_changes) return 0;
    *date = s->p.changes[k].date;
    *param = s->p.changes[k].param;
    *value = s->p.changes[k].value;
    return 1;
}

void tyndau_py_param_info(size_t i, const char **name, int *type, double *def, double *lo, double *hi,
                          const char **unit, const char **category, int *dated, const char **desc,
                          const char **source)
{
    const tyndau_param_info *in = &tyndau_param_table[i];
    *name = in->name;
    *type = (int)in->type;
    *def = in->def;
    *lo = in->min;
    *hi = in->max;
    *unit = in->unit;
    *category = in->category;
    *dated = in->dated;
    *desc = in->description;
    *source = in->source;
}

void tyndau_py_date_format(int days, char *buf, size_t len) { tyndau_date_format(days, buf, len); }

/* The thread count as `tyndau run` chooses it: `threads` when given (> 0), else OMP_NUM_THREADS
 * when set, else one thread per TYNDAU_AGENTS_PER_THREAD agents of the cores. */
int tyndau_py_model_new(const py_scenario *s, const char *targets_text, const char *targets_name, size_t agents,
                        uint64_t seed, int threads, py_model **out, char *msg, size_t len)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    *out = NULL;
    tyndau_targets t = {NULL, 0};
    if (tyndau_targets_parse(&t, targets_text, targets_name, NULL, &err) != TYNDAU_OK) return fail(&err, msg, len);
    py_model *pm = tyndau_calloc(1, sizeof *pm);
    if (pm == NULL || (pm->targets_name = strdup(targets_name)) == NULL) {
        free(pm);
        tyndau_targets_free(&t);
        return TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory"), fail(&err, msg, len);
    }
    pm->s = s;
#ifdef _OPENMP
    int before = omp_get_max_threads();
    if (threads > 0)
        omp_set_num_threads(threads);
    else if (getenv("OMP_NUM_THREADS") == NULL)
        omp_set_num_threads(tyndau_model_threads_for(agents, before));
    pm->threads = omp_get_max_threads();
#else
    (void)threads;
    pm->threads = 1;
#endif
    pm->m = tyndau_model_new(&s->p, agents, seed, &err);
#ifdef _OPENMP
    omp_set_num_threads(before);
#endif
    if (pm->m == NULL || tyndau_model_set_targets(pm->m, &t, &err) != TYNDAU_OK) {
        tyndau_targets_free(&t);
        tyndau_py_model_free(pm);
        return fail(&err, msg, len);
    }
    tyndau_targets_free(&t);
    *out = pm;
    return TYNDAU_OK;
}

void tyndau_py_model_free(py_model *pm)
{
    if (pm == NULL) return;
    tyndau_model_free(pm->m);
    free(pm->targets_name);
    free(pm);
}

int tyndau_py_model_step(py_model *pm, int days, char *msg, size_t len)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    return tyndau_model_step(pm->m, days, NULL, NULL, &err) == TYNDAU_OK ? TYNDAU_OK : fail(&err, msg, len);
}

int tyndau_py_model_set(py_model *pm, const char *key, const char *value, char *msg, size_t len)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    return tyndau_model_set(pm->m, key, value, &err) == TYNDAU_OK ? TYNDAU_OK : fail(&err, msg, len);
}

/* Days of the run; *done those run so far, *start_date the first (days since 1970-01-01). */
int tyndau_py_model_days(const py_model *pm, int *done, int *start_date)
{
    *done = tyndau_model_days_done(pm->m);
    *start_date = tyndau_model_params(pm->m)->start_date;
    return tyndau_model_days(pm->m);
}

int tyndau_py_model_threads(const py_model *pm) { return pm->threads; }

/* The file `tyndau run` writes, with the same provenance: program "tyndau", the build's commit
 * and flags, the scenario's texts and overrides; only the command line is the caller's. */
int tyndau_py_model_write(const py_model *pm, const char *path, const char *command_line, char *msg, size_t len)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_model_days_done(pm->m) < tyndau_model_days(pm->m))
        return TYNDAU_ERR(&err, TYNDAU_EINPUT, "%s: cannot write a run that is not over (%d of %d days done)", path,
                          tyndau_model_days_done(pm->m), tyndau_model_days(pm->m)),
               fail(&err, msg, len);
    const tyndau_scenario *sc = &pm->s->sc;
    /* each parameter's origin, as `tyndau run` records it (/scenario/origin) */
    char *buf = tyndau_calloc(tyndau_n_params, ORIGIN_LEN);
    const char **origins = tyndau_calloc(tyndau_n_params + 1, sizeof *origins);
    if (buf == NULL || origins == NULL) {
        free(buf);
        free(origins);
        return TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "%s: out of memory", path), fail(&err, msg, len);
    }
    for (size_t i = 0; i < tyndau_n_params; i++) {
        tyndau_scenario_origin(sc, i, buf + i * ORIGIN_LEN, ORIGIN_LEN);
        origins[i] = buf + i * ORIGIN_LEN;
    }
    tyndau_meta meta = {"tyndau", command_line, sc->name, sc->source, sc->text,
                        (const char *const *)sc->overrides, sc->n_overrides, pm->targets_name, pm->threads,
                        tyndau_build_commit, tyndau_build_cflags,
                        (const char *const *)sc->base_sources, (const char *const *)sc->base_texts, sc->n_bases,
                        NULL, sc->joined, origins};
    int rc = tyndau_model_write(pm->m, path, &meta, &err) == TYNDAU_OK ? TYNDAU_OK : fail(&err, msg, len);
    free(origins);
    free(buf);
    return rc;
}

double tyndau_py_model_headline(const py_model *pm, int h, int g)
{
    return tyndau_model_headline(pm->m, (tyndau_headline)h, g);
}

double tyndau_py_model_gap(const py_model *pm, int gap) { return tyndau_model_gap(pm->m, (tyndau_gap)gap); }

/* Survey row i (v: simulated, observed, lo95, hi95, n_base); returns the number of rows (0
 * before the survey has run), filling nothing when i is past the last or question is NULL. */
size_t tyndau_py_model_survey(const py_model *pm, size_t i, const char **question, const char **base,
                              const char **response, int *group, int *quota, double v[5], int *inside)
{
    size_t n = 0;
    const tyndau_survey_row *r = tyndau_model_survey(pm->m, &n);
    if (r == NULL || i >= n || question == NULL) return r == NULL ? 0 : n;
    *question = r[i].question;
    *base = r[i].base;
    *response = r[i].response;
    *group = r[i].group;
    *quota = r[i].quota;
    v[0] = r[i].simulated;
    v[1] = r[i].observed;
    v[2] = r[i].lo95;
    v[3] = r[i].hi95;
    v[4] = r[i].n_base;
    *inside = r[i].inside;
    return n;
}

/* Citizens who chose channel c on day `day` (silence included), everyone; -1 for a day not run. */
int64_t tyndau_py_model_day_choices(const py_model *pm, int day, int channel)
{
    if (day < 0 || day >= tyndau_model_days_done(pm->m) || channel < 0 || channel >= N_CHANNEL) return -1;
    return tyndau_model_day_choices(pm->m, day, (tyndau_channel)channel);
}
