/*
 * sweep.c - `tyndau sweep`: a design of parameter points, replicates per point, run on OpenMP
 * threads and MPI ranks, results streamed into HDF5, failures recorded, resumable, shardable;
 * `tyndau merge` joins shard files; `tyndau sensitivity` computes Sobol and Morris indices.
 *
 * Jobs.  Point p (0 .. P-1) and replicate r (0 .. R-1) make job j = p R + r, run with the model
 * seed many_seed(root, K_SWEEP, p, r): the same whatever the ranks, threads, shards or resumes.
 *
 * Files.  Every result file has the full layout from the start: /runs/y [jobs x outputs]
 * (NaN until done), /runs/status [jobs] (-1 not run, 0 done, 1 or 2 failed with
 * /runs/error), chunked and allocated when created, so that writing a result never changes
 * the file's metadata: a process killed while writing leaves a readable file whose status
 * says which rows are complete (status is written, and flushed, after the row's outputs).
 * Each rank of a run writes its own part file OUT.partial.K (K = rank) and only the results of
 * the jobs it ran; the writer holds one batch of results at a time.  At the end rank 0 merges
 * the part files into OUT (temporary name, rename) block by block and removes them.
 *
 * Distribution.  Under mpirun, batches of jobs are handed out dynamically: a shared counter on
 * rank 0 (MPI one-sided MPI_Fetch_and_op) gives each rank its next batch; within a rank the
 * batch runs on OpenMP threads, one model per thread.  Without MPI the same loop runs in one
 * process.  With --shard I/N (or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) only the jobs
 * j with j mod N = I run, and OUT holds those; `tyndau merge` joins the N shard files.
 *
 * Resume.  --resume reads every OUT.partial.* and skips the jobs whose status is set.
 */
#include "sweep.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <hdf5.h>
#ifdef TYNDAU_MPI
#include <mpi.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "batch.h"
#include "cfgfile.h"
#include "h5w.h"
#include "headline.h"
#include "many.h"
#include "prior.h"
#include "scenario.h"
#include "sensitivity.h"
#include "tyndau.h"

extern const char tyndau_embedded_baseline[];
extern const char tyndau_build_commit[];

#define MAXD 40
#define MAXOUT 64
#define ROW_BLOCK 4096

enum { K_SWEEP = 101, K_DESIGN, K_BOOT };

typedef enum { D_FACTORIAL, D_LHS, D_SOBOL, D_SALTELLI, D_MORRIS, D_CSV, N_DESIGN } design_t;
static const char *const design_names[N_DESIGN] = {"factorial", "lhs", "sobol", "saltelli", "morris", "csv"};

typedef enum { O_HEADLINE, O_GAP, O_SURVEY } out_kind;
typedef struct {
    out_kind kind;
    int which; /* headline or gap */
    int group;
    char question[64], response[48];
    char name[160];
} out_spec;

typedef struct {
    cfg_file file; /* the sweep file: path, text, parse state, first error */
    char *csv_text, *scenario_text;
    char scenario[PATH_MAX], csv[PATH_MAX];
    size_t agents, replicates, points, max_runs, batch;
    uint64_t seed;
    design_t design;
    int levels, have_design, have_points;
    prior_t par[MAXD];
    size_t d;
    out_spec out[MAXOUT];
    size_t n_out;
} sweep_cfg;

static int group_named(const char *type, const char *group)
{
    for (int g = 0; g < TYNDAU_N_GROUP; g++)
        if (strcmp(tyndau_gtype_names[tyndau_group_type(g)], type) == 0 && strcmp(tyndau_group_name(g), group) == 0)
            return g;
    return -1;
}

/* One output name: MEASURE[:GROUP_TYPE:GROUP], gap_*, survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE. */
static int parse_output(sweep_cfg *c, const char *tok, out_spec *o)
{
    char buf[160], *part[6];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", tok);
    snprintf(o->name, sizeof o->name, "%s", tok);
    for (char *s = buf; n < 6;) {
        part[n++] = s;
        char *colon = strchr(s, ':');
        if (colon == NULL) break;
        *colon = '\0';
        s = colon + 1;
    }
    if (strcmp(part[0], "survey") == 0) {
        if (n != 5)
            return cfg_error(&c->file, "key 'outputs': '%s': expected survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE", tok);
        o->kind = O_SURVEY;
        o->group = group_named(part[2], part[3]);
        if (o->group < 0)
            return cfg_error(&c->file, "key 'outputs': '%s': unknown group '%s:%s'", tok, part[2], part[3]);
        snprintf(o->question, sizeof o->question, "%s", part[1]);
        snprintf(o->response, sizeof o->response, "%s", part[4]);
        return 1; /* the question and response are checked against the first run's survey */
    }
    for (int g = 0; g < N_GAP; g++)
        if (strcmp(part[0], tyndau_gap_names[g]) == 0 && n == 1) {
            o->kind = O_GAP;
            o->which = g;
            return 1;
        }
    int h = tyndau_headline_find(part[0]);
    if (h < 0 || (n != 1 && n != 3)) {
        char list[400] = "";
        for (int k = 0; k < N_HEADLINE; k++) {
            strcat(list, tyndau_headline_names[k]);
            strcat(list, ", ");
        }
        return cfg_error(&c->file, "key 'outputs': unknown output '%s', expected one of %sgap_income, "
                        "gap_settlement, gap_age (a measure may take :GROUP_TYPE:GROUP), or "
                        "survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE", tok, list);
    }
    o->kind = O_HEADLINE;
    o->which = h;
    o->group = n == 3 ? group_named(part[1], part[2]) : 0;
    if (o->group < 0)
        return cfg_error(&c->file, "key 'outputs': '%s': unknown group '%s:%s'", tok, part[1], part[2]);
    return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    sweep_cfg *c = user;
    if (c->file.err[0]) return 0;
    int sec = strcmp(section, "sweep") == 0 ? 1 : strcmp(section, "parameters") == 0 ? 2 : 0;
    if (sec == 0) return cfg_error(&c->file, "unknown section [%s], expected [sweep] or [parameters]", section);
    if (cfg_seen(&c->file, section, name)) return cfg_error(&c->file, "key '%s' appears twice", name);
    if (value[0] == '\0') return cfg_error(&c->file, "key '%s': empty value", name);
    if (sec == 2) {
        if (c->d == MAXD) return cfg_error(&c->file, "more than %d parameters", MAXD);
        prior_t *pr = &c->par[c->d];
        if (!cfg_key_param(&c->file, name, value, "swept", pr)) return 0;
        if (pr->lo == pr->hi) return cfg_error(&c->file, "key '%s': empty range", name);
        c->d++;
        return 1;
    }
    size_t u;
    if (strcmp(name, "scenario") == 0) return cfg_key_path(&c->file, name, value, c->scenario);
    if (strcmp(name, "csv") == 0) return cfg_key_path(&c->file, name, value, c->csv);
    if (strcmp(name, "agents") == 0) return cfg_key_count(&c->file, name, value, 100, 100000000, &c->agents);
    if (strcmp(name, "seed") == 0) return cfg_key_u64(&c->file, name, value, &c->seed);
    if (strcmp(name, "replicates") == 0) return cfg_key_count(&c->file, name, value, 1, 10000, &c->replicates);
    if (strcmp(name, "points") == 0) {
        if (cfg_count(value, 1, 100000000, &c->points) != 0)
            return cfg_error(&c->file, "key 'points': expected a whole number from 1 to 100000000, got '%s'", value);
        c->have_points = 1;
        return 1;
    }
    if (strcmp(name, "max_runs") == 0) return cfg_key_count(&c->file, name, value, 1, 1000000000, &c->max_runs);
    if (strcmp(name, "batch") == 0) return cfg_key_count(&c->file, name, value, 1, 100000, &c->batch);
    if (strcmp(name, "levels") == 0) {
        if (cfg_count(value, 2, 1000, &u) != 0)
            return cfg_error(&c->file, "key 'levels': expected a whole number from 2 to 1000, got '%s'", value);
        c->levels = (int)u;
        return 1;
    }
    if (strcmp(name, "design") == 0) {
        for (int k = 0; k < N_DESIGN; k++)
            if (strcmp(value, design_names[k]) == 0) {
                c->design = (design_t)k;
                c->have_design = 1;
                return 1;
            }
        return cfg_error(&c->file, "key 'design': expected factorial, lhs, sobol, saltelli, morris or csv, got '%s'",
                        value);
    }
    if (strcmp(name, "outputs") == 0) {
        char buf[CFG_MAX_LINE + 1];
        snprintf(buf, sizeof buf, "%s", value);
        for (char *tok = strtok(buf, " \t,"); tok; tok = strtok(NULL, " \t,")) {
            if (c->n_out == MAXOUT) return cfg_error(&c->file, "key 'outputs': more than %d outputs", MAXOUT);
            if (!parse_output(c, tok, &c->out[c->n_out])) return 0;
            c->n_out++;
        }
        return 1;
    }
    return cfg_error(&c->file, "unknown key '%s' in [sweep], expected scenario, agents, seed, replicates, "
                    "design, points, levels, csv, outputs, max_runs or batch", name);
}

/* The CSV design: a header of parameter names, one row of numbers per point. */
static int load_csv(sweep_cfg *c, double **x_out)
{
    c->csv_text = cfg_slurp(c->csv, c->file.err, sizeof c->file.err);
    if (c->csv_text == NULL) return 2;
    char *save = NULL, *line = strtok_r(c->csv_text, "\n", &save);
    int lineno = 1;
    if (line == NULL) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:1: empty file, expected a header of parameter names", c->csv);
        return 2;
    }
    char *hs = NULL;
    c->d = 0;
    for (char *tok = strtok_r(line, ",\r", &hs); tok; tok = strtok_r(NULL, ",\r", &hs)) {
        while (*tok == ' ') tok++;
        int i = tyndau_params_find(tok);
        if (i < 0 || tyndau_param_table[i].type != TYNDAU_PT_REAL) {
            cfg_say(c->file.err, sizeof c->file.err, "%s:1: column '%s' is not a real-valued parameter, expected parameter names",
                c->csv, tok);
            return 2;
        }
        if (c->d == MAXD) {
            cfg_say(c->file.err, sizeof c->file.err, "%s:1: more than %d columns", c->csv, MAXD);
            return 2;
        }
        prior_t *pr = &c->par[c->d++];
        memset(pr, 0, sizeof *pr);
        snprintf(pr->name, sizeof pr->name, "%s", tok);
        pr->param = i;
        pr->lo = tyndau_param_table[i].min, pr->hi = tyndau_param_table[i].max;
    }
    size_t cap = 64, n = 0;
    double *x = malloc(cap * c->d * sizeof *x);
    for (line = strtok_r(NULL, "\n", &save); line && x; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (strspn(line, " \r\t") == strlen(line)) continue;
        if (n == cap) {
            double *nx = realloc(x, (cap *= 2) * c->d * sizeof *x);
            if (nx == NULL) free(x);
            x = nx;
            if (x == NULL) break;
        }
        size_t k = 0;
        char *cs = NULL;
        for (char *tok = strtok_r(line, ",\r", &cs); tok; tok = strtok_r(NULL, ",\r", &cs), k++) {
            double v;
            if (k >= c->d || prior_parse_real(tok, &v) != 0 || v < c->par[k].lo || v > c->par[k].hi) {
                cfg_say(c->file.err, sizeof c->file.err, k >= c->d ? "%s:%d: more values than the header's %zu columns"
                                                     : "%s:%d: column %zu: expected a number inside the parameter's "
                                                       "allowed range",
                    c->csv, lineno, k >= c->d ? c->d : k + 1);
                free(x);
                return 2;
            }
            x[n * c->d + k] = v;
        }
        if (k != c->d) {
            cfg_say(c->file.err, sizeof c->file.err, "%s:%d: %zu values, expected %zu (the header's columns)", c->csv, lineno, k, c->d);
            free(x);
            return 2;
        }
        n++;
    }
    if (x == NULL) return 1;
    if (n == 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no data rows, expected one row per point", c->csv);
        free(x);
        return 2;
    }
    c->points = n;
    *x_out = x;
    return 0;
}

/* Number of runs of the design, or 0 if it overflows. */
static size_t design_points(const sweep_cfg *c)
{
    switch (c->design) {
    case D_FACTORIAL: {
        size_t p = 1;
        for (size_t i = 0; i < c->d; i++) {
            if (p > SIZE_MAX / (size_t)c->levels) return 0;
            p *= (size_t)c->levels;
        }
        return p;
    }
    case D_SALTELLI: return c->points * (c->d + 2);
    case D_MORRIS: return c->points * (c->d + 1);
    default: return c->points;
    }
}

/* Unit-cube points of the design (P x d), then mapped through each parameter's distribution. */
static int make_design(sweep_cfg *c, size_t P, double *u, double *x)
{
    size_t d = c->d;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    if (rng == NULL) return -1;
    gsl_rng_set(rng, (unsigned long)many_seed(c->seed, K_DESIGN, 0, 0));
    int rc = 0;
    switch (c->design) {
    case D_FACTORIAL:
        for (size_t p = 0; p < P; p++) {
            size_t rest = p;
            for (size_t i = d; i-- > 0;) {
                u[p * d + i] = (double)(rest % (size_t)c->levels) / (double)(c->levels - 1);
                rest /= (size_t)c->levels;
            }
        }
        break;
    case D_LHS: {
        size_t *perm = malloc(P * sizeof *perm);
        if (perm == NULL) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < d; i++) {
            for (size_t p = 0; p < P; p++) perm[p] = p;
            gsl_ran_shuffle(rng, perm, P, sizeof *perm);
            for (size_t p = 0; p < P; p++) u[p * d + i] = ((double)perm[p] + gsl_rng_uniform(rng)) / (double)P;
        }
        free(perm);
        break;
    }
    case D_SOBOL: {
        gsl_qrng *q = d <= 40 ? gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d) : NULL;
        if (q == NULL) {
            rc = -1;
            break;
        }
        double pt[MAXD];
        gsl_qrng_get(q, pt); /* skip the corner */
        for (size_t p = 0; p < P; p++) {
            gsl_qrng_get(q, pt);
            memcpy(u + p * d, pt, d * sizeof *pt);
        }
        gsl_qrng_free(q);
        break;
    }
    case D_SALTELLI: rc = sens_saltelli_design(c->points, d, 1, u); break;
    case D_MORRIS: rc = sens_morris_design(c->points, d, c->levels, rng, u); break;
    case D_CSV:
    case N_DESIGN: break;
    }
    gsl_rng_free(rng);
    if (rc == 0 && c->design != D_CSV)
        for (size_t p = 0; p < P; p++)
            for (size_t i = 0; i < d; i++) x[p * d + i] = prior_from_unit(&c->par[i], fmin(u[p * d + i], 1.0));
    return rc;
}

/* ------------------------------------------------------------------------- */
/* One run                                                                     */

typedef struct {
    const sweep_cfg *cfg;
    const tyndau_params *base;
    const double *x, *u; /* [P][d] */
    size_t P, R;
    const char *command_line;
} run_ctx;

static double output_value(const tyndau_model *m, const out_spec *o, int *missing)
{
    if (o->kind == O_HEADLINE) return tyndau_model_headline(m, (tyndau_headline)o->which, o->group);
    if (o->kind == O_GAP) return tyndau_model_gap(m, (tyndau_gap)o->which);
    size_t n = 0;
    const tyndau_survey_row *s = tyndau_model_survey(m, &n);
    for (size_t i = 0; s && i < n; i++)
        if (!s[i].quota && s[i].group == o->group && strcmp(s[i].question, o->question) == 0 &&
            strcmp(s[i].response, o->response) == 0)
            return s[i].simulated;
    *missing = 1;
    return NAN;
}

static int run_job(size_t j, double *out, char errmsg[MANY_ERRLEN], void *user)
{
    const run_ctx *rc = user;
    const sweep_cfg *c = rc->cfg;
    size_t p = j / rc->R, r = j % rc->R;
    tyndau_params par = *rc->base;
    for (size_t i = 0; i < c->d; i++)
        *(double *)(void *)((char *)&par + tyndau_param_table[c->par[i].param].offset) = rc->x[p * c->d + i];
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_status st = tyndau_params_check(&par, &err);
    tyndau_model *m = NULL;
    if (st == TYNDAU_OK) m = tyndau_model_new(&par, c->agents, many_seed(c->seed, K_SWEEP, p, r), &err);
    if (st == TYNDAU_OK && m == NULL) st = err.status;
    if (st == TYNDAU_OK) st = tyndau_model_run(m, NULL, NULL, &err);
    if (st == TYNDAU_OK) {
        int missing = 0;
        for (size_t o = 0; o < c->n_out; o++) {
            out[o] = output_value(m, &c->out[o], &missing);
            if (missing) {
                cfg_say(err.msg, sizeof err.msg, "output '%s': the survey has no such cell", c->out[o].name);
                st = TYNDAU_EINPUT;
                break;
            }
        }
    }
    tyndau_model_free(m);
    if (st != TYNDAU_OK) {
        cfg_say(errmsg, MANY_ERRLEN, "%s", err.msg);
        return st;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Files (the layout and the engine are in batch.c)                            */

/* The sweep's own attributes and /design (batch.c adds /runs and /timing). */
static void sweep_header(h5w *w, void *user)
{
    const run_ctx *rc = user;
    const sweep_cfg *c = rc->cfg;
    hid_t f = w->file;
    char buf[64];
    h5w_provenance(w, f, "tyndau-sweep", rc->command_line);
    h5w_attr_str(w, f, "sweep_file", c->file.path);
    h5w_attr_str(w, f, "sweep_text", c->file.text);
    h5w_attr_str(w, f, "scenario_source", c->scenario[0] ? c->scenario : "(embedded baseline.ini)");
    h5w_attr_str(w, f, "scenario_text", c->scenario_text);
    h5w_attr_str(w, f, "design", design_names[c->design]);
    snprintf(buf, sizeof buf, "%" PRIu64, c->seed);
    h5w_attr_str(w, f, "seed", buf);
    h5w_attr_int(w, f, "agents", (long long)c->agents);
    h5w_attr_int(w, f, "points", (long long)rc->P);
    h5w_attr_int(w, f, "replicates", (long long)rc->R);
    h5w_attr_int(w, f, "base_points", (long long)c->points);
    h5w_attr_int(w, f, "levels", c->levels);
    h5w_attr_str(w, f, "seeds", "model seed of run (point p, replicate r) = many_seed(seed, 101, p, r) (src/many.c)");
    const char *pn[MAXD];
    for (size_t i = 0; i < c->d; i++) pn[i] = c->par[i].name;
    hid_t g = h5w_group(w, f, "design");
    h5w_attr_str(w, g, "description", "x: parameter values of each point; unit: the design's point in the unit cube");
    h5w_strs(w, g, "parameter", pn, c->d);
    h5w_f64(w, g, "x", rc->x, rc->P, c->d);
    h5w_f64(w, g, "unit", rc->u, rc->P, c->d);
    h5w_close_group(w, g);
}

static const char usage_sweep[] =
    "usage: tyndau sweep SWEEP.ini -o FILE.h5 [--resume] [--shard I/N] [--threads T] [--quiet]\n"
    "\n"
    "Runs the design of SWEEP.ini (points x replicates) and streams the outputs of every\n"
    "run into FILE.h5 (docs/hpc.md).  A failed run is recorded (status, error, NaN outputs)\n"
    "and the sweep goes on.  Under mpirun, batches of runs are handed out dynamically over\n"
    "the ranks; the results do not depend on the ranks, threads, shards or resumes.\n"
    "\n"
    "  -o, --output FILE   result file (FILE.partial.K while running)\n"
    "      --resume        continue after a kill or a walltime limit: runs already in\n"
    "                      FILE.partial.* are kept, the rest run\n"
    "      --shard I/N     run only the jobs j with j mod N = I (0 <= I < N); default from\n"
    "                      SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT when set; join the\n"
    "                      shard files with 'tyndau merge'\n"
    "  -t, --threads T     OpenMP threads per rank (default: all cores)\n"
    "  -q, --quiet         no progress lines\n";

static int load_sweep(sweep_cfg *c, const char *path, tyndau_params *base, double **x, double **u, size_t *P)
{
    memset(c, 0, sizeof *c);
    c->agents = 20000;
    c->seed = 1;
    c->replicates = 1;
    c->levels = 4;
    c->max_runs = 1000000;
    int rc = cfg_parse(&c->file, path, on_key, c);
    if (rc != 0) return rc;
    if (!c->have_design) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no design: expected 'design = factorial|lhs|sobol|saltelli|morris|csv' in [sweep]",
            path);
        return 2;
    }
    if (c->n_out == 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no outputs: expected 'outputs = MEASURE ...' in [sweep]", path);
        return 2;
    }
    *x = NULL;
    if (c->design == D_CSV) {
        if (c->d > 0) {
            cfg_say(c->file.err, sizeof c->file.err, "%s:%d: a csv design takes its parameters from the CSV header; "
                "expected no [parameters] section", path, c->par[0].line);
            return 2;
        }
        if (!c->csv[0]) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: design = csv needs 'csv = FILE' in [sweep]", path);
            return 2;
        }
        rc = load_csv(c, x);
        if (rc != 0) return rc;
    } else {
        if (c->d == 0) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: no parameters: expected a [parameters] section with 'name = uniform LO HI' lines",
                path);
            return 2;
        }
        if (c->design != D_FACTORIAL && !c->have_points) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: design = %s needs 'points = N' in [sweep]", path, design_names[c->design]);
            return 2;
        }
        if (c->design == D_MORRIS && c->levels % 2 != 0) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: the morris design needs an even number of levels, got %d", path, c->levels);
            return 2;
        }
        if ((c->design == D_SALTELLI && 2 * c->d > 40) || (c->design == D_SOBOL && c->d > 40)) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: %zu parameters are too many for the %s design (GSL's Sobol sequence has "
                "at most 40 dimensions%s)", path, c->d, design_names[c->design],
                c->design == D_SALTELLI ? "; Saltelli uses 2 per parameter" : "");
            return 2;
        }
    }
    *P = c->design == D_CSV ? c->points : design_points(c);
    if (*P == 0 || *P > c->max_runs / c->replicates) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: the %s design needs %s%zu runs (%zu points x %zu replicates), more than "
            "max_runs = %zu", path, design_names[c->design], *P == 0 ? "more than " : "",
            *P == 0 ? SIZE_MAX : *P * c->replicates, *P, c->replicates, c->max_runs);
        return 2;
    }
    size_t d = c->d;
    *u = calloc(*P * d, sizeof **u);
    if (*x == NULL) *x = calloc(*P * d, sizeof **x);
    if (*u == NULL || *x == NULL) {
        cfg_say(c->file.err, sizeof c->file.err, "out of memory");
        return 1;
    }
    if (c->design != D_CSV && make_design(c, *P, *u, *x) != 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: cannot build the %s design", path, design_names[c->design]);
        return 1;
    }
    tyndau_params_default(base);
    tyndau_scenario sc;
    memset(&sc, 0, sizeof sc);
    tyndau_error e;
    tyndau_status st = c->scenario[0] ? tyndau_scenario_load_file(&sc, base, c->scenario, &e)
                                      : tyndau_scenario_load_text(&sc, base, tyndau_embedded_baseline,
                                                                  "(embedded baseline.ini)", &e);
    if (st == TYNDAU_OK) st = tyndau_scenario_check(&sc, base, &e);
    if (st == TYNDAU_OK) st = tyndau_params_check(base, &e);
    if (st != TYNDAU_OK) {
        cfg_say(c->file.err, sizeof c->file.err, "%s", e.msg);
        tyndau_scenario_free(&sc);
        return st == TYNDAU_EINPUT ? 2 : 1;
    }
    /* the scenario as it was read: its inherited files, then its own text (for the file and the
       resume fingerprint, so that a changed base file is noticed) */
    c->scenario_text = tyndau_scenario_joined_text(&sc, sc.text);
    tyndau_scenario_free(&sc);
    if (c->scenario_text == NULL) {
        cfg_say(c->file.err, sizeof c->file.err, "out of memory");
        return 1;
    }
    return 0;
}

static int parse_shard(const char *s, int *i, int *n)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return -1;
    *i = (int)a, *n = (int)b;
    return 0;
}

int tyndau_cmd_sweep(int argc, char **argv, const char *command_line)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"resume", no_argument, NULL, 'r'},
                                         {"shard", required_argument, NULL, 'S'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *shard_arg = NULL;
    int resume = 0, quiet = 0, c;
    size_t threads = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r': resume = 1; break;
        case 'S': shard_arg = optarg; break;
        case 't':
            if (cfg_count(optarg, 1, 1024, &threads) != 0) {
                fprintf(stderr, "tyndau: --threads: expected a whole number from 1 to 1024, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_sweep, stdout); return 0;
        default: fputs(usage_sweep, stderr); return 2;
        }
    }
    if (argc - optind != 1 || out == NULL) {
        fprintf(stderr, "tyndau: sweep: expected one sweep file and -o FILE.h5\n%s", usage_sweep);
        return 2;
    }
    int shard_i = -1, shard_n = 0;
    if (shard_arg && parse_shard(shard_arg, &shard_i, &shard_n) != 0) {
        fprintf(stderr, "tyndau: --shard '%s': expected I/N with 0 <= I < N\n", shard_arg);
        return 2;
    }
    if (!shard_arg && getenv("SLURM_ARRAY_TASK_ID") && getenv("SLURM_ARRAY_TASK_COUNT")) {
        char sb[64];
        snprintf(sb, sizeof sb, "%s/%s", getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT"));
        if (parse_shard(sb, &shard_i, &shard_n) != 0) {
            fprintf(stderr, "tyndau: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT = %s: expected I/N with 0 <= I < N "
                    "(an array numbered from 0)\n", sb);
            return 2;
        }
    }
    many_ctx mc;
    if (many_init(&mc, &argc, &argv, (int)threads) != 0) return 1;
    h5w_quiet();
    static sweep_cfg cfg;
    tyndau_params base;
    double *x = NULL, *u = NULL;
    size_t P = 0;
    int rc = load_sweep(&cfg, argv[optind], &base, &x, &u, &P);
    char err[800] = "";
    if (rc != 0) cfg_say(err, sizeof err, "%s", cfg.file.err);
    uint64_t fingerprint = cfg_hash(cfg_hash(cfg_hash(CFG_HASH_START, cfg.file.text), cfg.scenario_text), cfg.csv_text);
    if (rc != 0) {
        if (mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
        free(x), free(u), free(cfg.file.text), free(cfg.csv_text), free(cfg.scenario_text);
        many_finalize(&mc);
        return rc;
    }
    const char *on[MAXOUT];
    for (size_t o = 0; o < cfg.n_out; o++) on[o] = cfg.out[o].name;
    run_ctx ctx = {&cfg, &base, x, u, P, cfg.replicates, command_line};
    batch_spec spec = {"sweep", out, resume, quiet, shard_i, shard_n, P * cfg.replicates, cfg.n_out, cfg.batch,
                       on, fingerprint, sweep_header, run_job, NULL, &ctx};
    if (mc.rank == 0 && !quiet)
        fprintf(stderr, "sweep: %s design, %zu points x %zu replicates%s%s\n", design_names[cfg.design], P,
                cfg.replicates, shard_n ? ", shard " : "", shard_n ? shard_arg ? shard_arg : "from Slurm" : "");
    rc = batch_execute(&mc, &spec, err, sizeof err);
    if (rc != 0 && mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
    free(x), free(u), free(cfg.file.text), free(cfg.csv_text), free(cfg.scenario_text);
    many_finalize(&mc);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* tyndau merge                                                                */

static const char usage_merge[] =
    "usage: tyndau merge -o FILE.h5 SHARD.h5 ...\n"
    "\n"
    "Joins the shard files of one sweep (tyndau sweep --shard I/N, or a Slurm array) into\n"
    "FILE.h5, which is then the same as an unsharded run.  Refuses shards of different sweeps,\n"
    "a missing or repeated shard, a job found in two shards, and a job found in none.\n";

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    int rc = 0;
    if (a == NULL || b == NULL) {
        cfg_say(err, errlen, "%s: cannot copy to %s: %s", from, to, strerror(errno));
        rc = 1;
    }
    char buf[1 << 16];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) rc = 1;
    if (a) fclose(a);
    if (b && fclose(b) != 0) rc = 1;
    if (rc != 0 && !err[0]) cfg_say(err, errlen, "%s: cannot write", to);
    return rc;
}

static void replace_attr_int(hid_t obj, const char *name, long long v)
{
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    h5w w = {obj, 0, ""};
    h5w_attr_int(&w, obj, name, v);
}

int tyndau_cmd_merge(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    const char *out = NULL;
    int c;
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'h') {
            fputs(usage_merge, stdout);
            return 0;
        } else {
            fputs(usage_merge, stderr);
            return 2;
        }
    }
    size_t n = (size_t)(argc - optind);
    if (out == NULL || n == 0) {
        fprintf(stderr, "tyndau: merge: expected -o FILE.h5 and at least one shard file\n%s", usage_merge);
        return 2;
    }
    h5w_quiet();
    const char *const *names = (const char *const *)(argv + optind);
    hid_t *src = calloc(n, sizeof *src);
    char err[800] = "", fp0[64] = "";
    long long count0 = -1, jobs0 = 0, outs0 = 0;
    int rc = src ? 0 : 1;
    int *seen = NULL;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        src[k] = H5Fopen(names[k], H5F_ACC_RDONLY, H5P_DEFAULT);
        char schema[64] = "", fp[64] = "";
        long long idx = -1, cnt = -1, P = 0, R = 0;
        if (src[k] < 0 || batch_read_attr_str(src[k], "schema", schema, sizeof schema) != 0 ||
            strcmp(schema, "tyndau-sweep") != 0) {
            cfg_say(err, sizeof err, "%s: not a tyndau sweep file", names[k]);
            rc = 2;
            break;
        }
        batch_read_attr_str(src[k], "fingerprint", fp, sizeof fp);
        h5r_attr_int(src[k], "shard_index", &idx);
        h5r_attr_int(src[k], "shard_count", &cnt);
        h5r_attr_int(src[k], "points", &P);
        h5r_attr_int(src[k], "replicates", &R);
        hid_t d = H5Dopen2(src[k], "/runs/y", H5P_DEFAULT);
        hsize_t dims[2] = {0, 0};
        if (d >= 0) {
            hid_t sp = H5Dget_space(d);
            H5Sget_simple_extent_dims(sp, dims, NULL);
            H5Sclose(sp), H5Dclose(d);
        }
        if (k == 0) {
            snprintf(fp0, sizeof fp0, "%s", fp);
            count0 = cnt, jobs0 = P * R, outs0 = (long long)dims[1];
            if (cnt < 1) {
                cfg_say(err, sizeof err, "%s: not a shard (made without --shard); expected the files of one sharded sweep",
                    names[k]);
                rc = 2;
                break;
            }
            seen = calloc((size_t)cnt, sizeof *seen);
            if (seen == NULL) rc = 1;
            for (long long i = 0; seen && i < cnt; i++) seen[i] = -1;
        }
        if (rc == 0 && (strcmp(fp, fp0) != 0 || cnt != count0 || (long long)dims[0] != jobs0 || (long long)dims[1] != outs0)) {
            cfg_say(err, sizeof err, "%s is a shard of a different sweep than %s (sweep file, scenario, design or shard "
                "count differ)", names[k], names[0]);
            rc = 2;
        }
        if (rc == 0 && (idx < 0 || idx >= cnt)) {
            cfg_say(err, sizeof err, "%s: shard index %lld outside 0..%lld", names[k], idx, cnt - 1);
            rc = 2;
        }
        if (rc == 0 && seen[idx] >= 0) {
            cfg_say(err, sizeof err, "shard %lld/%lld given twice: %s and %s", idx, cnt, names[seen[idx]], names[k]);
            rc = 2;
        }
        if (rc == 0) seen[idx] = (int)k;
    }
    for (long long i = 0; rc == 0 && i < count0; i++)
        if (seen[i] < 0) {
            char list[300] = "";
            for (long long j = i; j < count0 && strlen(list) < 250; j++)
                if (seen[j] < 0) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%lld", list[0] ? ", " : "", j);
            cfg_say(err, sizeof err, "missing shard(s) %s of %lld: expected one file per shard 0..%lld", list, count0,
                count0 - 1);
            rc = 2;
        }
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    if (rc == 0) {
        H5Fclose(src[0]);
        src[0] = -1;
        rc = copy_file(names[0], tmp, err, sizeof err);
    }
    hid_t of = rc == 0 ? H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
    if (rc == 0 && of < 0) {
        cfg_say(err, sizeof err, "%s: cannot open", tmp);
        rc = 1;
    }
    size_t missing = 0, first = 0;
    if (rc == 0)
        rc = batch_merge_into(of, names[0], src + 1, n - 1, (size_t)jobs0, (size_t)outs0, 1, names + 1, &missing, &first,
                        err, sizeof err);
    if (rc == 0 && missing > 0) {
        cfg_say(err, sizeof err, "%zu runs are in no shard (first: job %zu): a shard is incomplete; rerun it with --resume",
            missing, first);
        rc = 2;
    }
    if (of >= 0) {
        if (rc == 0) {
            replace_attr_int(of, "shard_index", -1);
            replace_attr_int(of, "shard_count", 0);
        }
        H5Fclose(of);
    }
    for (size_t k = 0; src && k < n; k++)
        if (src[k] >= 0) H5Fclose(src[k]);
    if (rc == 0 && rename(tmp, out) != 0) {
        cfg_say(err, sizeof err, "%s: cannot rename: %s", out, strerror(errno));
        rc = 1;
    }
    if (rc != 0) {
        unlink(tmp);
        fprintf(stderr, "tyndau: %s\n", err);
    } else {
        fprintf(stderr, "merge: wrote %s from %zu shards (%lld runs)\n", out, n, jobs0);
    }
    free(src), free(seen);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* tyndau sensitivity                                                          */

static const char usage_sensitivity[] =
    "usage: tyndau sensitivity SWEEP.h5 [-o SENS.h5] [--boot B] [--seed S] [--level L]\n"
    "\n"
    "Sensitivity indices of every output of a sweep: first-order and total Sobol indices\n"
    "(Saltelli and Jansen estimators) for a saltelli design, Morris mu* and sigma for a\n"
    "morris design, each with a percentile bootstrap interval (B resamples, default 1000;\n"
    "level L, default 0.95).  Replicates are averaged per point first; noise_share is the part\n"
    "of the variance of those means that is replicate noise.  Prints a table and writes SENS.h5\n"
    "(default: SWEEP stem + _sensitivity.h5).\n";

static int read_strings_ds(hid_t f, const char *name, size_t n, char (*out)[80])
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    char **v = calloc(n ? n : 1, sizeof *v);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = v && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < n; k++) snprintf(out[k], 80, "%s", v[k] ? v[k] : "");
    if (rc == 0) {
        hid_t sp = H5Dget_space(d);
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, v);
        H5Sclose(sp);
    }
    free(v);
    H5Tclose(t);
    H5Dclose(d);
    return rc;
}

static size_t ds_len(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp), H5Dclose(d);
    return (size_t)dims[0];
}

int tyndau_cmd_sensitivity(int argc, char **argv, const char *command_line)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {"boot", required_argument, NULL, 'b'},
                                         {"seed", required_argument, NULL, 's'},   {"level", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    size_t boot = 1000;
    uint64_t seed = 1;
    double level = 0.95;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        size_t v;
        switch (c) {
        case 'o': out = optarg; break;
        case 'b':
            if (cfg_count(optarg, 0, 1000000, &boot) != 0) {
                fprintf(stderr, "tyndau: --boot: expected a whole number from 0 to 1000000, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (cfg_count(optarg, 0, SIZE_MAX, &v) != 0) {
                fprintf(stderr, "tyndau: --seed: expected an unsigned integer, got '%s'\n", optarg);
                return 2;
            }
            seed = v;
            break;
        case 'l':
            if (prior_parse_real(optarg, &level) != 0 || !(level > 0 && level < 1)) {
                fprintf(stderr, "tyndau: --level: expected a number in (0, 1), got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage_sensitivity, stdout); return 0;
        default: fputs(usage_sensitivity, stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "tyndau: sensitivity: expected one sweep file\n%s", usage_sensitivity);
        return 2;
    }
    const char *in = argv[optind];
    h5w_quiet();
    char err[800] = "", design[32] = "", schema[64] = "", status[64] = "", outbuf[PATH_MAX + 32];
    int rc = 0;
    hid_t f = H5Fopen(in, H5F_ACC_RDONLY, H5P_DEFAULT);
    long long P = 0, R = 0, nb = 0, shard = 0;
    if (f < 0 || batch_read_attr_str(f, "schema", schema, sizeof schema) != 0 || strcmp(schema, "tyndau-sweep") != 0) {
        cfg_say(err, sizeof err, "%s: not a tyndau sweep file", in);
        rc = 2;
    }
    if (rc == 0) {
        batch_read_attr_str(f, "design", design, sizeof design);
        batch_read_attr_str(f, "status", status, sizeof status);
        h5r_attr_int(f, "points", &P);
        h5r_attr_int(f, "replicates", &R);
        h5r_attr_int(f, "base_points", &nb);
        h5r_attr_int(f, "shard_count", &shard);
        if (strncmp(status, "complete", 8) != 0 || shard != 0) {
            cfg_say(err, sizeof err, "%s: %s; expected a complete sweep (merge the shards first)", in,
                shard ? "a shard" : "an unfinished sweep");
            rc = 2;
        } else if (strcmp(design, "saltelli") != 0 && strcmp(design, "morris") != 0) {
            cfg_say(err, sizeof err, "%s: a %s design; sensitivity indices need 'design = saltelli' (Sobol indices) or "
                "'design = morris' (elementary effects)", in, design);
            rc = 2;
        }
    }
    size_t d = rc == 0 ? ds_len(f, "/design/parameter") : 0, n_out = rc == 0 ? ds_len(f, "/runs/output") : 0;
    size_t n_jobs = (size_t)(P * R);
    char(*pn)[80] = calloc(d ? d : 1, sizeof *pn), (*on)[80] = calloc(n_out ? n_out : 1, sizeof *on);
    double *unit = malloc((size_t)P * (d ? d : 1) * sizeof *unit), *y = malloc(n_jobs * (n_out ? n_out : 1) * sizeof *y);
    if (rc == 0 && (!pn || !on || !unit || !y)) rc = 1;
    if (rc == 0 && (read_strings_ds(f, "/design/parameter", d, pn) != 0 || read_strings_ds(f, "/runs/output", n_out, on) != 0 ||
                    h5r_f64(f, "/design/unit", unit, (size_t)P * d) != 0 || h5r_f64(f, "/runs/y", y, n_jobs * n_out) != 0)) {
        cfg_say(err, sizeof err, "%s: cannot read the design or the runs", in);
        rc = 2;
    }
    if (f >= 0) H5Fclose(f);
    size_t nr = (size_t)nb;
    double *fm = malloc((size_t)P * sizeof *fm);
    sens_ci *a = calloc(n_out * (d ? d : 1), sizeof *a), *b = calloc(n_out * (d ? d : 1), sizeof *b);
    double *noise = calloc(n_out ? n_out : 1, sizeof *noise);
    if (rc == 0 && (!fm || !a || !b || !noise)) rc = 1;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    int sobol = strcmp(design, "saltelli") == 0;
    for (size_t o = 0; rc == 0 && o < n_out; o++) {
        double within = 0.0;
        size_t nw = 0;
        for (size_t p = 0; p < (size_t)P; p++) {
            double s = 0.0, s2 = 0.0;
            size_t k = 0;
            for (size_t r = 0; r < (size_t)R; r++) {
                double v = y[(p * (size_t)R + r) * n_out + o];
                if (isnan(v)) continue;
                s += v, s2 += v * v, k++;
            }
            fm[p] = k ? s / (double)k : NAN;
            if (k > 1) within += (s2 - s * s / (double)k) / (double)(k - 1) / (double)k, nw++;
        }
        double mean = 0.0, var = 0.0;
        size_t k = 0;
        for (size_t p = 0; p < (size_t)P; p++)
            if (!isnan(fm[p])) mean += fm[p], k++;
        mean /= (double)(k ? k : 1);
        for (size_t p = 0; p < (size_t)P; p++)
            if (!isnan(fm[p])) var += (fm[p] - mean) * (fm[p] - mean);
        var /= (double)(k > 1 ? k - 1 : 1);
        noise[o] = nw && var > 0.0 ? (within / (double)nw) / var : NAN;
        gsl_rng_set(rng, (unsigned long)many_seed(seed, K_BOOT, o, 0));
        if (sobol) rc = sens_sobol(fm, nr, d, boot, level, rng, a + o * d, b + o * d) ? 1 : 0;
        else rc = sens_morris(unit, fm, nr, d, boot, level, rng, a + o * d, b + o * d) ? 1 : 0;
    }
    gsl_rng_free(rng);
    if (rc == 0) {
        if (out == NULL) {
            const char *dot = strrchr(in, '.');
            int len = dot ? (int)(dot - in) : (int)strlen(in);
            snprintf(outbuf, sizeof outbuf, "%.*s_sensitivity.h5", len, in);
            out = outbuf;
        }
        const char *na = sobol ? "first" : "mu_star", *nbn = sobol ? "total" : "sigma";
        printf("sensitivity of %s (%s design, %lld base %s, %lld replicates; %g%% bootstrap intervals, %zu resamples)\n",
               in, design, nb, sobol ? "rows" : "trajectories", R, 100 * level, boot);
        for (size_t o = 0; o < n_out; o++) {
            printf("\n%s (replicate noise: %.1f%% of the variance of point means)\n", on[o], 100 * noise[o]);
            printf("  %-28s %24s %24s\n", "parameter", na, nbn);
            for (size_t i = 0; i < d; i++) {
                const sens_ci *p = &a[o * d + i], *q = &b[o * d + i];
                printf("  %-28s %7.3f [%6.3f, %6.3f] %7.3f [%6.3f, %6.3f]\n", pn[i], p->value, p->lo, p->hi, q->value,
                       q->lo, q->hi);
            }
        }
        char tmp[PATH_MAX + 48];
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        h5w w;
        if (h5w_create(&w, tmp) == 0) {
            h5w_attr_str(&w, w.file, "schema", "tyndau-sensitivity");
            h5w_attr_str(&w, w.file, "schema_version", "1.0");
            h5w_attr_str(&w, w.file, "program", "tyndau");
            h5w_attr_str(&w, w.file, "version", TYNDAU_VERSION);
            h5w_attr_str(&w, w.file, "git_commit", tyndau_build_commit);
            h5w_attr_str(&w, w.file, "command_line", command_line);
            h5w_attr_str(&w, w.file, "sweep_file", in);
            h5w_attr_str(&w, w.file, "method", sobol ? "Sobol indices: first order (Saltelli et al. 2010), total (Jansen 1999)"
                                                     : "Morris elementary effects on the unit cube: mu* (Campolongo et al. 2007), sigma");
            h5w_attr_int(&w, w.file, "bootstrap", (long long)boot);
            h5w_attr_f64(&w, w.file, "level", level);
            const char *pp[MAXD], *oo[MAXOUT];
            for (size_t i = 0; i < d && i < MAXD; i++) pp[i] = pn[i];
            for (size_t o = 0; o < n_out && o < MAXOUT; o++) oo[o] = on[o];
            h5w_strs(&w, w.file, "parameter", pp, d);
            h5w_strs(&w, w.file, "output", oo, n_out);
            h5w_f64(&w, w.file, "noise_share", noise, n_out, 0);
            double *tmpv = malloc(n_out * d * sizeof *tmpv);
            const sens_ci *src2[2] = {a, b};
            const char *nm2[2] = {na, nbn};
            for (int s = 0; s < 2 && tmpv; s++) {
                char nm[64];
                for (int part = 0; part < 3; part++) {
                    for (size_t k = 0; k < n_out * d; k++)
                        tmpv[k] = part == 0 ? src2[s][k].value : part == 1 ? src2[s][k].lo : src2[s][k].hi;
                    snprintf(nm, sizeof nm, "%s%s", nm2[s], part == 0 ? "" : part == 1 ? "_lo" : "_hi");
                    h5w_f64(&w, w.file, nm, tmpv, n_out, d);
                }
            }
            free(tmpv);
        }
        if (h5w_close(&w) != 0 || rename(tmp, out) != 0) {
            cfg_say(err, sizeof err, "%s: cannot write", out);
            unlink(tmp);
            rc = 1;
        } else {
            printf("\nwrote %s\n", out);
        }
    }
    if (rc != 0) fprintf(stderr, "tyndau: %s\n", err);
    free(pn), free(on), free(unit), free(y), free(fm), free(a), free(b), free(noise);
    return rc;
}
