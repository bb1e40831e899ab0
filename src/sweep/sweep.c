/*
 * sweep.c - `tyndau sweep`: a design of parameter points (design.c), replicates per point, run
 * on OpenMP threads and MPI ranks, results streamed into HDF5, failures recorded, resumable,
 * shardable (docs/hpc.md).  The engine (src/engine/batch.c) does the running and the files;
 * this file reads the sweep file and says what one run is and what the file records.
 *
 * Jobs.  Point p (0 .. P-1) and replicate r (0 .. R-1) make job j = p R + r, run with the model
 * seed many_seed(root, K_SWEEP, p, r): the same whatever the ranks, threads, shards or resumes.
 * With noise_runs = K (one replicate per point), jobs P R + k run point floor(k P / K) again with
 * replicate index R, a seed of their own; the engine keeps their rows apart, in /noise.  With
 * --shard I/N (or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) only the jobs j with j mod N = I
 * run; `tyndau merge` (merge.c) joins the N shard files.
 *
 * The resume fingerprint covers the input texts (the sweep file, the scenario joined with the
 * files it inherits from, the CSV) and the design's points themselves.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/many.h"
#include "headline.h"
#include "sweep.h"
#include "tyndau.h"

#define SCHEMA_NAME "tyndau-sweep"
#define SCHEMA_VERSION "2.1"
#define SCHEMA_MAJOR 2

/* One output name: MEASURE[:GROUP_TYPE:GROUP], gap_*, survey:QUESTION:GROUP_TYPE:GROUP:RESPONSE. */
/* The output just parsed, c->out[c->n_out], is not one listed before: 1, or 0 after cfg_error. */
static int listed_once(sweep_cfg *c)
{
    for (size_t k = 0; k < c->n_out; k++)
        if (strcmp(c->out[k].name, c->out[c->n_out].name) == 0)
            return cfg_error(&c->file, "key 'outputs': '%s' listed twice", c->out[k].name);
    return 1;
}

static int parse_output(sweep_cfg *c, const char *tok, sweep_out *o)
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
        o->group = tyndau_group_find(part[2], part[3]);
        if (o->group < 0)
            return cfg_error(&c->file, "key 'outputs': '%s': unknown group '%s:%s'", tok, part[2], part[3]);
        snprintf(o->question, sizeof o->question, "%s", part[1]);
        snprintf(o->response, sizeof o->response, "%s", part[4]);
        /* checked now, not by every run failing */
        int has = tyndau_survey_has_cell(part[1], part[4]);
        if (has == 0) return cfg_error(&c->file, "key 'outputs': '%s': unknown survey question '%s'", tok, part[1]);
        if (has < 0)
            return cfg_error(&c->file, "key 'outputs': '%s': question '%s' has no response '%s'", tok, part[1], part[4]);
        return 1;
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
    o->group = n == 3 ? tyndau_group_find(part[1], part[2]) : 0;
    if (o->group < 0)
        return cfg_error(&c->file, "key 'outputs': '%s': unknown group '%s:%s'", tok, part[1], part[2]);
    return 1;
}

/* `survey:published`: every cell of the published survey (the embedded marginals, the file
 * `tyndau run` compares with), whole population, as outputs. */
static int published_cells(sweep_cfg *c)
{
    tyndau_targets t = {NULL, 0};
    tyndau_error e;
    tyndau_error_clear(&e);
    if (cli_targets(&t, NULL, NULL, &e) != TYNDAU_OK)
        return cfg_error(&c->file, "key 'outputs': survey:published: %s", e.msg);
    int ok = 1;
    for (size_t k = 0; ok && k < t.n; k++) {
        const tyndau_target *g = &t.cells[k];
        char tok[200];
        snprintf(tok, sizeof tok, "survey:%s:%s:%s:%s", g->question, g->group_type, g->group, g->response);
        if (c->n_out == SWEEP_MAXOUT)
            ok = cfg_error(&c->file, "key 'outputs': survey:published adds %zu cells, more than the %d outputs a "
                           "sweep may have with the others", t.n, SWEEP_MAXOUT);
        else if ((ok = parse_output(c, tok, &c->out[c->n_out]) && listed_once(c)) != 0)
            c->n_out++;
    }
    tyndau_targets_free(&t);
    return ok;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    sweep_cfg *c = user;
    if (c->file.err.status != TYNDAU_OK) return 0;
    int sec = strcmp(section, "sweep") == 0 ? 1 : strcmp(section, "parameters") == 0 ? 2 : 0;
    if (sec == 0) return cfg_error(&c->file, "unknown section [%s], expected [sweep] or [parameters]", section);
    /* outputs may be listed on several lines (one line holds at most the INI reader's limit) */
    if (strcmp(name, "outputs") != 0 && cfg_seen(&c->file, section, name))
        return cfg_error(&c->file, "key '%s' appears twice", name);
    if (value[0] == '\0') return cfg_error(&c->file, "key '%s': empty value", name);
    if (sec == 2) {
        if (c->d == SWEEP_MAXD) return cfg_error(&c->file, "more than %d parameters", SWEEP_MAXD);
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
        c->line_points = c->file.lineno;
        return 1;
    }
    if (strcmp(name, "second_order") == 0) {
        c->line_second_order = c->file.lineno;
        if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
            c->second_order = strcmp(value, "yes") == 0;
            return 1;
        }
        return cfg_error(&c->file, "key 'second_order': expected yes or no, got '%s'", value);
    }
    if (strcmp(name, "layout") == 0) {
        c->line_layout = c->file.lineno;
        for (int k = 0; k < N_DESIGN; k++)
            if ((sweep_is_saltelli(k) || k == D_MORRIS) && strcmp(value, sweep_design_names[k]) == 0) {
                c->layout = k;
                return 1;
            }
        return cfg_error(&c->file, "key 'layout': expected saltelli, saltelli_salib or morris (the design whose run "
                         "order the CSV rows follow), got '%s'", value);
    }
    if (strcmp(name, "noise_runs") == 0) {
        c->line_noise = c->file.lineno;
        return cfg_key_count(&c->file, name, value, 2, 100000, &c->noise_runs);
    }
    if (strcmp(name, "max_runs") == 0) return cfg_key_count(&c->file, name, value, 1, 1000000000, &c->max_runs);
    if (strcmp(name, "batch") == 0) return cfg_key_count(&c->file, name, value, 1, 100000, &c->batch);
    if (strcmp(name, "levels") == 0) {
        c->line_levels = c->file.lineno;
        if (cfg_count(value, 2, 1000, &u) != 0)
            return cfg_error(&c->file, "key 'levels': expected a whole number from 2 to 1000, got '%s'", value);
        c->levels = (int)u;
        return 1;
    }
    if (strcmp(name, "design") == 0) {
        for (int k = 0; k < N_DESIGN; k++)
            if (strcmp(value, sweep_design_names[k]) == 0) {
                c->design = (sweep_design_t)k;
                c->have_design = 1;
                return 1;
            }
        return cfg_error(&c->file, "key 'design': expected factorial, lhs, sobol, saltelli, saltelli_salib, morris or "
                         "csv, got '%s'", value);
    }
    if (strcmp(name, "outputs") == 0) {
        char buf[CFG_MAX_LINE + 1];
        snprintf(buf, sizeof buf, "%s", value);
        for (char *tok = strtok(buf, " \t,"); tok; tok = strtok(NULL, " \t,")) {
            if (strcmp(tok, "survey:published") == 0) {
                if (!published_cells(c)) return 0;
                continue;
            }
            if (c->n_out == SWEEP_MAXOUT) return cfg_error(&c->file, "key 'outputs': more than %d outputs", SWEEP_MAXOUT);
            if (!parse_output(c, tok, &c->out[c->n_out]) || !listed_once(c)) return 0;
            c->n_out++;
        }
        return 1;
    }
    return cfg_error(&c->file, "unknown key '%s' in [sweep], expected scenario, agents, seed, replicates, "
                    "design, points, levels, second_order, csv, layout, outputs, noise_runs, max_runs or batch", name);
}

/* ------------------------------------------------------------------------- */
/* One run                                                                     */

typedef struct {
    const sweep_cfg *cfg;
    tyndau_scenario sc;
    tyndau_params base;
    double *x, *u; /* [P][d] */
    size_t P, R;
    int *noise_point; /* [noise_runs]: the point of each noise run */
    const char *command_line;
    int ranks, threads;
} sweep_run;

/* Noise run k of K: at point floor(k P / K), spread over the design, with replicate index R
 * (a seed that no run of /runs has). */
static size_t noise_point(size_t k, size_t K, size_t P) { return (size_t)((double)k * (double)P / (double)K); }

static double output_value(const tyndau_model *m, const sweep_out *o, int *missing)
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

static tyndau_status extract(const tyndau_model *m, double *out, tyndau_error *err, void *user)
{
    const sweep_cfg *c = user;
    for (size_t o = 0; o < c->n_out; o++) {
        int missing = 0;
        out[o] = output_value(m, &c->out[o], &missing);
        if (missing)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "output '%s': the survey has no such cell", c->out[o].name);
    }
    return TYNDAU_OK;
}

static tyndau_status run_job(size_t j, double *out, tyndau_error *err, void *user)
{
    const sweep_run *s = user;
    const sweep_cfg *c = s->cfg;
    size_t p = j / s->R, r = j % s->R;
    if (j >= s->P * s->R) p = (size_t)s->noise_point[j - s->P * s->R], r = s->R;
    return many_model(&s->base, c->par, s->x + p * c->d, c->d, c->agents, many_seed(c->seed, K_SWEEP, p, r), extract,
                      (void *)c, out, err);
}

/* ------------------------------------------------------------------------- */
/* The file (the engine adds /runs and /timing)                                */

static const char noise_desc[] =
    "noise runs (noise_runs = K in the sweep file): run k at point /design/noise_point[k] with a seed of its own "
    "(replicate index = replicates), so that y[k] minus the point's /runs/y is two replicates' difference: what "
    "tyndau sensitivity estimates the replicate noise from when each point has one replicate; status and error "
    "as in /runs";

/* The sweep's root attributes and /design. */
static void header(tyndau_h5 *h, void *user)
{
    const sweep_run *s = user;
    const sweep_cfg *c = s->cfg;
    tyndau_h5_prov prov = cli_provenance(SCHEMA_NAME, SCHEMA_VERSION, s->command_line);
    prov.seed = c->seed;
    prov.threads = s->threads, prov.ranks = s->ranks;
    prov.scenario_source = s->sc.source;
    prov.scenario_text = s->sc.joined;
    prov.legacy_names = 1;
    tyndau_h5_provenance(h, h->file, &prov);
    hid_t f = h->file;
    tyndau_h5_attr_str(h, f, "sweep_file", c->file.path);
    tyndau_h5_attr_str(h, f, "sweep_text", c->file.text);
    tyndau_h5_attr_str(h, f, "design", sweep_design_names[c->design]);
    tyndau_h5_attr_i64(h, f, "agents", (int64_t)c->agents);
    tyndau_h5_attr_i64(h, f, "points", (int64_t)s->P);
    tyndau_h5_attr_i64(h, f, "replicates", (int64_t)s->R);
    tyndau_h5_attr_i64(h, f, "base_points", (int64_t)c->points);
    tyndau_h5_attr_i64(h, f, "levels", c->levels);
    /* the run order the estimators need: the design's, or the one a csv design declares */
    int layout = c->design == D_CSV               ? c->layout
                 : sweep_is_saltelli(c->design) || c->design == D_MORRIS ? (int)c->design
                                                                          : -1;
    tyndau_h5_attr_str(h, f, "layout", layout >= 0 ? sweep_design_names[layout] : "none");
    tyndau_h5_attr_i64(h, f, "second_order", sweep_is_saltelli(layout) ? c->second_order : 0);
    tyndau_h5_attr_i64(h, f, "noise_runs", (int64_t)c->noise_runs);
    tyndau_h5_attr_str(h, f, "seeds", "model seed of run (point p, replicate r) = many_seed(seed, 101, p, r) "
                                      "(src/engine/many.c); noise run k: point /design/noise_point[k], replicate "
                                      "index = replicates");
    const char *pn[SWEEP_MAXD];
    for (size_t i = 0; i < c->d; i++) pn[i] = c->par[i].name;
    hid_t g = tyndau_h5_group(h, f, "design", c->design == D_CSV
                                                  ? "x: parameter values of each point; unit: (x - min) / (max - "
                                                    "min) over the parameter's allowed range (docs/parameters.md); "
                                                    "noise_point: the point of each noise run"
                                                  : "x: parameter values of each point; unit: the design's point in "
                                                    "the unit cube; noise_point: the point of each noise run");
    tyndau_h5_vector(h, g, "parameter", TYNDAU_H5_STR, c->d, pn, "parameter", "The swept parameters (the columns of "
                     "x and unit).", "none");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "x", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {s->P, c->d},
                                              .data = s->x, .axes = "point,parameter",
                                              .description = "The parameter values of each point.",
                                              .units = "each parameter's own (docs/parameters.md)"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "unit", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {s->P, c->d},
                                              .data = s->u, .axes = "point,parameter",
                                              .description = c->design == D_CSV ? "(x - min) / (max - min) over the "
                                                                                  "parameter's allowed range."
                                                                                : "The point in the unit cube.",
                                              .units = "1"});
    tyndau_h5_vector(h, g, "noise_point", TYNDAU_H5_I32, c->noise_runs, s->noise_point, "noise_run",
                     "The point of each noise run (/noise).", "index");
    tyndau_h5_close_obj(h, g);
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
    "  -q, --quiet         no progress lines\n"
    "  -h, --help          this text\n";

tyndau_status sweep_config_load(sweep_cfg *c, const char *path, tyndau_error *err)
{
    memset(c, 0, sizeof *c);
    c->agents = 20000;
    c->seed = 1;
    c->replicates = 1;
    c->levels = 4;
    c->max_runs = 1000000;
    c->layout = -1;
    static const char *const sections[] = {"sweep", "parameters", NULL};
    if (cfg_parse(&c->file, path, sections, on_key, c) != TYNDAU_OK) {
        *err = c->file.err;
        return err->status;
    }
    if (!c->have_design) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: no design: expected 'design = "
            "factorial|lhs|sobol|saltelli|saltelli_salib|morris|csv' in [sweep]", path);
    }
    if (c->line_layout && c->design != D_CSV) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'layout': only for design = csv (it declares the run order "
            "of the CSV's rows); a %s design has its own", path, c->line_layout, sweep_design_names[c->design]);
    }
    if (c->line_second_order && !sweep_is_saltelli(c->design) && !(c->design == D_CSV && sweep_is_saltelli(c->layout))) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'second_order': only for design = saltelli or "
            "saltelli_salib, or design = csv with such a layout; this is design = %s%s", path, c->line_second_order,
            sweep_design_names[c->design], c->design == D_CSV ? " without one" : "");
    }
    if (c->line_noise && c->replicates > 1) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'noise_runs': with replicates = %zu the replicates measure "
            "the noise already; expected noise_runs only with replicates = 1", path, c->line_noise, c->replicates);
    }
    if (c->design == D_CSV && c->layout == D_MORRIS && c->levels % 2 != 0) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'levels': a morris layout needs the even number of grid "
            "levels its design was made with (SALib's num_levels), got %d", path, c->line_levels, c->levels);
    }
    if (c->n_out == 0) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: no outputs: expected 'outputs = MEASURE ...' in [sweep]", path);
    }
    return TYNDAU_OK;
}

static int parse_shard(const char *s, int *i, int *n)
{
    /* digits, '/', digits: strtol alone would take blanks and signs */
    size_t da = strspn(s, "0123456789"), db = s[da] == '/' ? strspn(s + da + 1, "0123456789") : 0;
    if (da == 0 || da > 7 || db == 0 || db > 7 || s[da + 1 + db] != '\0') return -1;
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/') return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return -1;
    *i = (int)a, *n = (int)b;
    return 0;
}

/* --shard I/N, or the Slurm array's task: 0 and *n = 0 when neither. */
static tyndau_status shard_of(const char *arg, int *i, int *n, tyndau_error *err)
{
    *i = -1, *n = 0;
    if (arg != NULL && parse_shard(arg, i, n) != 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--shard '%s': expected I/N with 0 <= I < N", arg);
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    if (arg == NULL && id != NULL && count != NULL) {
        char sb[64];
        snprintf(sb, sizeof sb, "%s/%s", id, count);
        if (parse_shard(sb, i, n) != 0)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT = %s: expected I/N with "
                              "0 <= I < N (an array numbered from 0)", sb);
    }
    return TYNDAU_OK;
}

int tyndau_cmd_sweep(int argc, char **argv, const char *command_line)
{
    const char *out = NULL, *shard_arg = NULL;
    int resume = 0, quiet = 0, first = 0;
    size_t threads = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &out, 0, 0},      {"resume", 0, CLI_FLAG, &resume, 0, 0},
                            {"shard", 0, CLI_TEXT, &shard_arg, 0, 0},   {"threads", 't', CLI_COUNT, &threads, 1, 1024},
                            {"quiet", 'q', CLI_FLAG, &quiet, 0, 0},     {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_sweep, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    if (argc - first != 1 || out == NULL) {
        fprintf(stderr, "tyndau: sweep: expected one sweep file and -o FILE.h5\n%s", usage_sweep);
        return 2;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    int shard_i, shard_n;
    if (shard_of(shard_arg, &shard_i, &shard_n, &err) != TYNDAU_OK) return cli_fail(&err);
    many_ctx mc;
    if (many_init(&mc, &argc, &argv, (int)threads, &err) != TYNDAU_OK) return cli_fail(&err);
    static sweep_cfg cfg; /* large: not on the stack */
    sweep_run s;
    memset(&s, 0, sizeof s);
    s.cfg = &cfg;
    s.command_line = command_line;
    s.ranks = mc.size, s.threads = mc.threads;
    tyndau_status st = sweep_config_load(&cfg, argv[first], &err);
    if (st == TYNDAU_OK) st = sweep_design(&cfg, &s.x, &s.u, &s.P, &err);
    if (st == TYNDAU_OK) st = cli_scenario(&s.sc, &s.base, cfg.scenario, NULL, 0, &err);
    char what[PATH_MAX + 32];
    snprintf(what, sizeof what, "%s: key 'agents' =", argv[first]);
    if (st == TYNDAU_OK) st = cli_check_memory(&s.base, cfg.agents, mc.threads, what, &err);
    s.R = cfg.replicates;
    if (st == TYNDAU_OK && (s.noise_point = tyndau_calloc(cfg.noise_runs, sizeof *s.noise_point)) == NULL)
        st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t k = 0; st == TYNDAU_OK && k < cfg.noise_runs; k++)
        s.noise_point[k] = (int)noise_point(k, cfg.noise_runs, s.P);
    if (st == TYNDAU_OK) {
        /* the inputs' texts and the design's points themselves: parts made by a program whose
           design differs (an older one's saltelli points, say) are refused on resume and merge */
        uint64_t fp = cfg_hash(cfg_hash(cfg_hash(CFG_HASH_START, cfg.file.text), s.sc.joined), cfg.csv_text);
        fp = cfg_hash_bytes(fp, s.x, s.P * cfg.d * sizeof *s.x);
        fp = cfg_hash_bytes(fp, s.u, s.P * cfg.d * sizeof *s.u);
        const char *on[SWEEP_MAXOUT];
        for (size_t o = 0; o < cfg.n_out; o++) on[o] = cfg.out[o].name;
        const char *inputs[] = {argv[first], cfg.scenario, cfg.design == D_CSV ? cfg.csv : NULL};
        batch_spec spec = {.what = "sweep", .out = out, .resume = resume, .quiet = quiet, .shard_i = shard_i,
                           .shard_n = shard_n, .n_jobs = s.P * s.R, .n_out = cfg.n_out, .batch = cfg.batch,
                           .out_names = on, .fingerprint = fp, .schema_name = SCHEMA_NAME,
                           .schema_major = SCHEMA_MAJOR, .header = header, .job = run_job, .user = &s,
                           .n_extra = cfg.noise_runs, .extra_group = "noise", .extra_desc = noise_desc,
                           .inputs = inputs, .n_inputs = 3, .scenarios = &s.sc, .n_scenarios = 1};
        if (mc.rank == 0 && !quiet)
            fprintf(stderr, "sweep: %s design, %zu points x %zu replicates%s%s%s\n", sweep_design_names[cfg.design],
                    s.P, s.R, cfg.noise_runs ? " + noise runs" : "", shard_n ? ", shard " : "",
                    shard_n ? shard_arg ? shard_arg : "from Slurm" : "");
        st = batch_execute(&mc, &spec, &err);
    }
    rc = st == TYNDAU_OK ? 0 : mc.rank == 0 ? cli_fail(&err) : (int)st;
    free(s.x), free(s.u), free(s.noise_point), free(cfg.file.text), free(cfg.csv_text), free(cfg.csv_line);
    tyndau_scenario_free(&s.sc);
    many_finalize(&mc);
    return rc;
}
