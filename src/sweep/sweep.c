/*
 * sweep.c - `tyndau sweep`: a design of parameter points, replicates per point, run on OpenMP
 * threads and MPI ranks, results streamed into HDF5, failures recorded, resumable, shardable;
 * `tyndau merge` joins shard files (merge.c; `tyndau sensitivity`, on the files, is sensitivity.c).
 *
 * Jobs.  Point p (0 .. P-1) and replicate r (0 .. R-1) make job j = p R + r, run with the model
 * seed many_seed(root, K_SWEEP, p, r): the same whatever the ranks, threads, shards or resumes.
 * With noise_runs = K (one replicate per point), jobs P R + k run point floor(k P / K) again with
 * replicate index R, a seed of their own; batch.c keeps their rows apart, in /noise.
 *
 * Designs.  Points in the unit cube (factorial, lhs, sobol, saltelli, saltelli_salib, morris;
 * sens.h for the last three), mapped through each parameter's inverse CDF, or the rows
 * of a CSV file (whose /design/unit is each value's place in the parameter's allowed range).
 * A CSV may declare the run order of its rows (layout = saltelli | saltelli_salib | morris,
 * checked here row by row) so that `tyndau sensitivity` can read a SALib sample run through
 * tyndau.  The resume fingerprint covers the points themselves, not only the input texts.
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
#include "commands.h"

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

#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/h5w.h"
#include "headline.h"
#include "engine/many.h"
#include "engine/prior.h"
#include "scenario.h"
#include "sens.h"
#include "tyndau.h"

extern const char tyndau_embedded_baseline[];
extern const char tyndau_embedded_marginals[];

#define MAXD 40
#define MAXOUT 128
#define ROW_BLOCK 4096

enum { K_SWEEP = 101, K_DESIGN };

typedef enum { D_FACTORIAL, D_LHS, D_SOBOL, D_SALTELLI, D_SALTELLI_SALIB, D_MORRIS, D_CSV, N_DESIGN } design_t;
static const char *const design_names[N_DESIGN] = {"factorial", "lhs",    "sobol", "saltelli",
                                                   "saltelli_salib", "morris", "csv"};

static int is_saltelli(int design) { return design == D_SALTELLI || design == D_SALTELLI_SALIB; }

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
    int second_order; /* saltelli designs and layouts: the BA_i blocks too (0 when not given) */
    int layout;       /* design = csv: the design whose run order the rows follow, -1 none */
    size_t noise_runs;
    /* where keys were read, for the checks after the whole file is read (0: not given) */
    int line_second_order, line_layout, line_noise, line_points, line_levels;
    size_t rows;      /* design = csv: data rows (points); points is then the base rows */
    int *csv_line;    /* design = csv: the line of each row */
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

/* `survey:published`: every cell of the published survey (the embedded marginals, the file
 * `tyndau run` compares with), whole population, as outputs. */
static int published_cells(sweep_cfg *c)
{
    tyndau_targets t = {NULL, 0};
    tyndau_error e;
    tyndau_error_clear(&e);
    if (tyndau_targets_parse(&t, tyndau_embedded_marginals, "(embedded marginals.csv)", NULL, &e) != TYNDAU_OK)
        return cfg_error(&c->file, "key 'outputs': survey:published: %s", e.msg);
    int ok = 1;
    for (size_t k = 0; ok && k < t.n; k++) {
        const tyndau_target *g = &t.cells[k];
        char tok[200];
        snprintf(tok, sizeof tok, "survey:%s:%s:%s:%s", g->question, g->group_type, g->group, g->response);
        if (c->n_out == MAXOUT)
            ok = cfg_error(&c->file, "key 'outputs': survey:published adds %zu cells, more than the %d outputs a "
                           "sweep may have with the others", t.n, MAXOUT);
        else if ((ok = parse_output(c, tok, &c->out[c->n_out])) != 0)
            c->n_out++;
    }
    tyndau_targets_free(&t);
    return ok;
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
            if ((is_saltelli(k) || k == D_MORRIS) && strcmp(value, design_names[k]) == 0) {
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
            if (strcmp(value, design_names[k]) == 0) {
                c->design = (design_t)k;
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
            if (c->n_out == MAXOUT) return cfg_error(&c->file, "key 'outputs': more than %d outputs", MAXOUT);
            if (!parse_output(c, tok, &c->out[c->n_out])) return 0;
            c->n_out++;
        }
        return 1;
    }
    return cfg_error(&c->file, "unknown key '%s' in [sweep], expected scenario, agents, seed, replicates, "
                    "design, points, levels, second_order, csv, layout, outputs, noise_runs, max_runs or batch", name);
}

/* The fields of one CSV line, split at commas (empty fields kept), each trimmed of blanks and
 * of one pair of double quotes; at most max are stored.  Returns the number of fields. */
static size_t csv_fields(char *line, char **field, size_t max)
{
    size_t n = 0;
    for (char *s = line;;) {
        char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        if (comma) *comma = '\0';
        while (*s == ' ' || *s == '\t') s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = '\0';
        if (end - s >= 2 && s[0] == '"' && end[-1] == '"') s++, *--end = '\0';
        if (n < max) field[n] = s;
        n++;
        if (comma == NULL) return n;
        s = comma + 1;
    }
}

/*
 * The CSV design: a header of parameter names, one row of numbers per point.  What numpy and
 * pandas write is read as they mean it: a header line that starts with '#' (np.savetxt's
 * header, after its comments = '# '), further lines that start with '#' (comments), and a
 * first column with an empty name (pandas' index, written by to_csv without index=False),
 * which is ignored.
 */
static int load_csv(sweep_cfg *c, double **x_out)
{
    c->csv_text = cfg_slurp(c->csv, c->file.err, sizeof c->file.err);
    if (c->csv_text == NULL) return 2;
    char *text = c->csv_text;
    if ((unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb && (unsigned char)text[2] == 0xbf)
        text += 3; /* a UTF-8 byte-order mark (spreadsheets write one) */
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    int lineno = 1;
    while (line && strspn(line, " \r\t") == strlen(line)) line = strtok_r(NULL, "\n", &save), lineno++;
    if (line == NULL) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:1: empty file, expected a header of parameter names", c->csv);
        return 2;
    }
    int header_line = lineno;
    char *h = line + strspn(line, " \t");
    if (*h == '#') h += 1 + strspn(h + 1, " \t"); /* numpy: np.savetxt(..., header="a,b,c") writes "# a,b,c" */
    char *name[MAXD + 2];
    size_t nf = csv_fields(h, name, MAXD + 2), skip = 0;
    if (nf > 1 && name[0][0] == '\0') skip = 1; /* pandas' index column */
    if (nf - skip > MAXD) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: %zu columns, more than the %d parameters a sweep may have",
            c->csv, header_line, nf - skip, MAXD);
        return 2;
    }
    c->d = 0;
    for (size_t k = skip; k < nf; k++) {
        const char *tok = name[k];
        int i = tok[0] ? tyndau_params_find(tok) : -1;
        if (tok[0] == '\0') {
            cfg_say(c->file.err, sizeof c->file.err, "%s:%d: column %zu has no name, expected parameter names (only a "
                "first column may be unnamed: pandas' index)", c->csv, header_line, k + 1);
            return 2;
        }
        if (i < 0 || tyndau_param_table[i].type != TYNDAU_PT_REAL) {
            int numeric = prior_parse_real(tok, &(double){0}) == 0;
            cfg_say(c->file.err, sizeof c->file.err, "%s:%d: column '%s' is not a real-valued parameter, expected "
                "parameter names%s", c->csv, header_line, tok,
                numeric ? " (the first line is a number: the file has no header; np.savetxt writes one with "
                          "header=\",\".join(names))" : "");
            return 2;
        }
        for (size_t j = 0; j < c->d; j++)
            if (c->par[j].param == i) {
                cfg_say(c->file.err, sizeof c->file.err, "%s:%d: column '%s' appears twice", c->csv, header_line, tok);
                return 2;
            }
        prior_t *pr = &c->par[c->d++];
        memset(pr, 0, sizeof *pr);
        snprintf(pr->name, sizeof pr->name, "%s", tok);
        pr->param = i;
        pr->lo = tyndau_param_table[i].min, pr->hi = tyndau_param_table[i].max;
        pr->line = header_line;
    }
    size_t cap = 64, n = 0, want = c->d + skip;
    double *x = malloc(cap * c->d * sizeof *x);
    int *where = malloc(cap * sizeof *where);
    char *field[MAXD + 2];
    int rc = x && where ? 0 : 1;
    for (line = strtok_r(NULL, "\n", &save); rc == 0 && line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        const char *t = line + strspn(line, " \t");
        if (strspn(line, " \r\t") == strlen(line) || *t == '#') continue;
        if (n == cap) {
            cap *= 2;
            double *nx = realloc(x, cap * c->d * sizeof *x);
            if (nx) x = nx;
            int *nw = realloc(where, cap * sizeof *where);
            if (nw) where = nw;
            if (!nx || !nw) {
                rc = 1;
                break;
            }
        }
        size_t k = csv_fields(line, field, MAXD + 2);
        if (k != want) {
            const char *hint = "";
            if (k == want + 1 && !skip)
                hint = "; one more value than names on every row is pandas' index column: write the file with "
                       "to_csv(..., index=False), or keep the index and leave its header empty";
            else if (skip && k + 1 == want)
                hint = "; the header starts with an empty name (taken as pandas' index column), but this row has no "
                       "value for it";
            cfg_say(c->file.err, sizeof c->file.err, "%s:%d: %zu values, expected %zu (the header's columns%s)%s", c->csv,
                lineno, k, want, skip ? ", with the index" : "", hint);
            rc = 2;
            break;
        }
        for (size_t i = 0; i < c->d && rc == 0; i++) {
            double v;
            const prior_t *pr = &c->par[i];
            if (prior_parse_real(field[i + skip], &v) != 0 || v < pr->lo || v > pr->hi) {
                cfg_say(c->file.err, sizeof c->file.err, "%s:%d: column %zu ('%s'): expected a number inside the "
                    "parameter's allowed range [%g, %g], got '%s'", c->csv, lineno, i + skip + 1, pr->name, pr->lo,
                    pr->hi, field[i + skip]);
                rc = 2;
            } else {
                x[n * c->d + i] = v;
            }
        }
        where[n++] = lineno;
    }
    if (rc == 1) cfg_say(c->file.err, sizeof c->file.err, "out of memory");
    if (rc == 0 && n == 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no data rows, expected one row per point", c->csv);
        rc = 2;
    }
    if (rc != 0) {
        free(x), free(where);
        return rc;
    }
    c->rows = n;
    c->csv_line = where;
    *x_out = x;
    return 0;
}

/* A CSV design's rows in the run order its `layout` declares: Saltelli blocks (AB_i equal to A
 * but for column i, which is B's; BA_i the other way round) or Morris trajectories (one
 * parameter moving per row, each once).  Sets c->points to the base rows / trajectories. */
static int check_layout(sweep_cfg *c, const double *x)
{
    size_t d = c->d, P = c->rows;
    const char *lay = design_names[c->layout];
    size_t nb = c->layout == D_MORRIS ? d + 1 : sens_saltelli_blocks(d, c->second_order);
    char what[160];
    snprintf(what, sizeof what, "%s layout%s: %zu rows per %s for %zu parameters", lay,
             is_saltelli(c->layout) ? c->second_order ? " with second_order = yes" : " (second_order = no)" : "", nb,
             c->layout == D_MORRIS ? "trajectory" : "base row", d);
    if (P % nb != 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'layout': %s has %zu rows, not a multiple of %zu (the %s)",
            c->file.path, c->line_layout, c->csv, P, nb, what);
        return 2;
    }
    size_t n = P / nb;
    if (c->have_points && c->points != n) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'points': %zu %s declared, but %s has %zu rows, %zu for a %s",
            c->file.path, c->line_points, c->points, c->layout == D_MORRIS ? "trajectories" : "base rows", c->csv, P, n,
            what);
        return 2;
    }
    c->points = n;
    if (c->layout == D_MORRIS) {
        for (size_t t = 0; t < n; t++) {
            int moved[MAXD] = {0};
            for (size_t k = 0; k < d; k++) {
                const double *p = x + (t * (d + 1) + k) * d, *q = p + d;
                size_t changed = 0, which = 0;
                for (size_t i = 0; i < d; i++)
                    if (q[i] != p[i]) changed++, which = i;
                int line = c->csv_line[t * (d + 1) + k + 1];
                if (changed != 1 || moved[which]) {
                    cfg_say(c->file.err, sizeof c->file.err, "%s:%d: row %zu of trajectory %zu %s, expected one parameter "
                        "to move per row and each once per trajectory (the %s)", c->csv, line, k + 2, t + 1,
                        changed != 1 ? changed == 0 ? "moves no parameter" : "moves more than one parameter"
                                     : "moves a parameter that moved before in it",
                        what);
                    return 2;
                }
                moved[which] = 1;
            }
        }
        return 0;
    }
    sens_order order = c->layout == D_SALTELLI ? SENS_BLOCKS : SENS_SALIB;
    for (size_t j = 0; j < n; j++) {
        size_t pa = sens_saltelli_point(order, n, d, c->second_order, j, 0);
        size_t pb = sens_saltelli_point(order, n, d, c->second_order, j, 1);
        const double *a = x + pa * d, *b = x + pb * d;
        for (size_t k = 2; k < nb; k++) {
            size_t pk = sens_saltelli_point(order, n, d, c->second_order, j, k), i = k < 2 + d ? k - 2 : k - 2 - d;
            const double *row = x + pk * d, *base = k < 2 + d ? a : b, *other = k < 2 + d ? b : a;
            for (size_t m = 0; m < d; m++) {
                double want = m == i ? other[m] : base[m];
                if (row[m] == want) continue;
                cfg_say(c->file.err, sizeof c->file.err, "%s:%d: this row should be %s_%zu of base row %zu (%s, line %d, "
                    "with '%s' from %s, line %d), but its '%s' is %.17g, not %.17g: are the rows in the order of the %s?",
                    c->csv, c->csv_line[pk], k < 2 + d ? "AB" : "BA", i + 1, j + 1, k < 2 + d ? "A" : "B",
                    c->csv_line[k < 2 + d ? pa : pb], c->par[i].name, k < 2 + d ? "B" : "A",
                    c->csv_line[k < 2 + d ? pb : pa], c->par[m].name, row[m], want, what);
                return 2;
            }
        }
    }
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
    case D_SALTELLI:
    case D_SALTELLI_SALIB: return c->points * sens_saltelli_blocks(c->d, c->second_order);
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
    case D_SALTELLI:
    case D_SALTELLI_SALIB:
        rc = sens_saltelli_design(c->points, d, c->second_order, c->design == D_SALTELLI ? SENS_BLOCKS : SENS_SALIB,
                                  rng, u);
        break;
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
    const int *noise_point; /* [noise_runs]: the point of each noise run */
} run_ctx;

/* Noise run k of K: at point floor(k P / K), spread over the design, with replicate index R
 * (a seed that no run of /runs has). */
static size_t noise_point(size_t k, size_t K, size_t P) { return (size_t)((double)k * (double)P / (double)K); }

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
    if (j >= rc->P * rc->R) p = (size_t)rc->noise_point[j - rc->P * rc->R], r = rc->R;
    tyndau_params par = *rc->base;
    for (size_t i = 0; i < c->d; i++) tyndau_params_put(&par, (size_t)c->par[i].param, rc->x[p * c->d + i]);
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
    h5w_provenance_version(w, f, "tyndau-sweep", "1.1", rc->command_line);
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
    /* the run order the estimators need: the design's, or the one a csv design declares */
    int layout = c->design == D_CSV ? c->layout : is_saltelli(c->design) || c->design == D_MORRIS ? (int)c->design : -1;
    h5w_attr_str(w, f, "layout", layout >= 0 ? design_names[layout] : "none");
    h5w_attr_int(w, f, "second_order", is_saltelli(layout) ? c->second_order : 0);
    h5w_attr_int(w, f, "noise_runs", (long long)c->noise_runs);
    h5w_attr_str(w, f, "seeds", "model seed of run (point p, replicate r) = many_seed(seed, 101, p, r) (src/engine/many.c); "
                                "noise run k: point /design/noise_point[k], replicate index = replicates");
    const char *pn[MAXD];
    for (size_t i = 0; i < c->d; i++) pn[i] = c->par[i].name;
    hid_t g = h5w_group(w, f, "design");
    h5w_attr_str(w, g, "description", c->design == D_CSV
                                          ? "x: parameter values of each point; unit: (x - min) / (max - min) over "
                                            "the parameter's allowed range (docs/parameters.md); noise_point: the "
                                            "point of each noise run"
                                          : "x: parameter values of each point; unit: the design's point in the unit "
                                            "cube; noise_point: the point of each noise run");
    h5w_strs(w, g, "parameter", pn, c->d);
    h5w_f64(w, g, "x", rc->x, rc->P, c->d);
    h5w_f64(w, g, "unit", rc->u, rc->P, c->d);
    h5w_int(w, g, "noise_point", rc->noise_point, c->noise_runs);
    h5w_close_group(w, g);
}

static const char noise_desc[] =
    "noise runs (noise_runs = K in the sweep file): run k at point /design/noise_point[k] with a seed of its own "
    "(replicate index = replicates), so that y[k] minus the point's /runs/y is two replicates' difference: what "
    "tyndau sensitivity estimates the replicate noise from when each point has one replicate; status and error "
    "as in /runs";

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
    c->layout = -1;
    int rc = cfg_parse(&c->file, path, on_key, c);
    if (rc != 0) return rc;
    if (!c->have_design) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no design: expected 'design = "
            "factorial|lhs|sobol|saltelli|saltelli_salib|morris|csv' in [sweep]", path);
        return 2;
    }
    if (c->line_layout && c->design != D_CSV) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'layout': only for design = csv (it declares the run order "
            "of the CSV's rows); a %s design has its own", path, c->line_layout, design_names[c->design]);
        return 2;
    }
    if (c->line_second_order && !is_saltelli(c->design) && !(c->design == D_CSV && is_saltelli(c->layout))) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'second_order': only for design = saltelli or "
            "saltelli_salib, or design = csv with such a layout; this is design = %s%s", path, c->line_second_order,
            design_names[c->design], c->design == D_CSV ? " without one" : "");
        return 2;
    }
    if (c->line_noise && c->replicates > 1) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'noise_runs': with replicates = %zu the replicates measure "
            "the noise already; expected noise_runs only with replicates = 1", path, c->line_noise, c->replicates);
        return 2;
    }
    if (c->design == D_CSV && c->layout == D_MORRIS && c->levels % 2 != 0) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'levels': a morris layout needs the even number of grid "
            "levels its design was made with (SALib's num_levels), got %d", path, c->line_levels, c->levels);
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
        if (rc == 0 && c->layout >= 0) rc = check_layout(c, *x);
        else if (rc == 0) c->points = c->rows;
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
        if ((is_saltelli(c->design) && 2 * c->d > 40) || (c->design == D_SOBOL && c->d > 40)) {
            cfg_say(c->file.err, sizeof c->file.err, "%s: %zu parameters are too many for the %s design (GSL's Sobol sequence has "
                "at most 40 dimensions%s)", path, c->d, design_names[c->design],
                is_saltelli(c->design) ? "; Saltelli uses 2 per parameter" : "");
            return 2;
        }
    }
    *P = c->design == D_CSV ? c->rows : design_points(c);
    if (c->noise_runs > *P) {
        cfg_say(c->file.err, sizeof c->file.err, "%s:%d: key 'noise_runs': %zu, more than the design's %zu points; "
            "expected at most one noise run per point", path, c->line_noise, c->noise_runs, *P);
        return 2;
    }
    if (*P == 0 || *P > c->max_runs / c->replicates || *P * c->replicates + c->noise_runs > c->max_runs) {
        char extra[64] = "";
        if (c->noise_runs) snprintf(extra, sizeof extra, " + %zu noise runs", c->noise_runs);
        cfg_say(c->file.err, sizeof c->file.err, "%s: the %s design needs %s%zu runs (%zu points x %zu replicates%s), more "
            "than max_runs = %zu", path, design_names[c->design], *P == 0 ? "more than " : "",
            *P == 0 ? SIZE_MAX : *P * c->replicates + c->noise_runs, *P, c->replicates, extra, c->max_runs);
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
    if (c->design == D_CSV) /* the point's place in the parameter's allowed range */
        for (size_t p = 0; p < *P; p++)
            for (size_t i = 0; i < d; i++)
                (*u)[p * d + i] = ((*x)[p * d + i] - c->par[i].lo) / (c->par[i].hi - c->par[i].lo);
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
    int *npoint = rc == 0 ? malloc((cfg.noise_runs ? cfg.noise_runs : 1) * sizeof *npoint) : NULL;
    if (rc == 0 && npoint == NULL) {
        cfg_say(err, sizeof err, "out of memory");
        rc = 1;
    }
    for (size_t k = 0; rc == 0 && k < cfg.noise_runs; k++) npoint[k] = (int)noise_point(k, cfg.noise_runs, P);
    /* the inputs' texts and the design's points themselves: parts made by a program whose
       design differs (an older one's saltelli points, say) are refused on resume and merge */
    uint64_t fingerprint = cfg_hash(cfg_hash(cfg_hash(CFG_HASH_START, cfg.file.text), cfg.scenario_text), cfg.csv_text);
    if (rc == 0) {
        fingerprint = cfg_hash_bytes(fingerprint, x, P * cfg.d * sizeof *x);
        fingerprint = cfg_hash_bytes(fingerprint, u, P * cfg.d * sizeof *u);
    }
    if (rc != 0) {
        if (mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
        free(x), free(u), free(npoint), free(cfg.file.text), free(cfg.csv_text), free(cfg.scenario_text);
        free(cfg.csv_line);
        many_finalize(&mc);
        return rc;
    }
    const char *on[MAXOUT];
    for (size_t o = 0; o < cfg.n_out; o++) on[o] = cfg.out[o].name;
    run_ctx ctx = {&cfg, &base, x, u, P, cfg.replicates, command_line, npoint};
    batch_spec spec = {"sweep", out, resume, quiet, shard_i, shard_n, P * cfg.replicates, cfg.n_out, cfg.batch,
                       on, fingerprint, sweep_header, run_job, NULL, &ctx, cfg.noise_runs, "noise", noise_desc};
    if (mc.rank == 0 && !quiet)
        fprintf(stderr, "sweep: %s design, %zu points x %zu replicates%s%s%s\n", design_names[cfg.design], P,
                cfg.replicates, cfg.noise_runs ? " + noise runs" : "", shard_n ? ", shard " : "",
                shard_n ? shard_arg ? shard_arg : "from Slurm" : "");
    rc = batch_execute(&mc, &spec, err, sizeof err);
    if (rc != 0 && mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
    free(x), free(u), free(npoint), free(cfg.file.text), free(cfg.csv_text), free(cfg.scenario_text);
    free(cfg.csv_line);
    many_finalize(&mc);
    return rc;
}
