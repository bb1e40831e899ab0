/*
 * sensitivity.c - `tyndau sensitivity`: the sensitivity indices of a sweep file (docs/hpc.md
 * section 4; the estimators are in sens.c).
 *
 * Reads a complete tyndau-sweep file; for every output averages the replicates of each point
 * (failed runs left out), estimates each point's noise (from its replicates, from the sweep's
 * noise runs, or not at all with one replicate), puts the point means in the order the
 * sweep's layout says (saltelli blocks, SALib's per-row order or Morris trajectories),
 * computes the indices with bootstrap intervals, looks for what makes them unreliable
 * (warnings: printed and stored), prints a table and writes a tyndau-sensitivity file under a
 * temporary name, renamed when complete: on any failure nothing is left under the output's
 * name and the exit status is 1 (or 2 for a bad input).
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cli.h"
#include "commands.h"
#include "engine/many.h"
#include "h5.h"
#include "rng.h"
#include "sens.h"

#define SCHEMA_NAME "tyndau-sensitivity"
#define SCHEMA_VERSION "1.3"

/* the stream of the bootstrap's resamples: many_seed(seed, K_BOOT, output, 0) */
enum { K_BOOT = 103 };

/* fewer base rows (trajectories) than these and the analyst is told the design is small */
#define MIN_BASE_ROWS 64
#define MIN_TRAJECTORIES 10
#define NAME_LEN 160

static const char usage_sensitivity[] =
    "usage: tyndau sensitivity SWEEP.h5 [-o SENS.h5] [--boot B] [--seed S] [--level L]\n"
    "\n"
    "Sensitivity indices of every output of a sweep, each with a percentile bootstrap\n"
    "interval over base rows or trajectories (B resamples, default 1000; level L, default\n"
    "0.95) and SALib's conf (z x bootstrap SD):\n"
    "  design = saltelli or saltelli_salib (or csv with such a layout): first-order\n"
    "    (Saltelli et al. 2010), total (Jansen 1999) and, with second_order = yes,\n"
    "    second-order (Saltelli 2002) Sobol indices, as SALib.analyze.sobol computes them;\n"
    "  design = morris (or csv with layout = morris): mu*, mu and sigma of the elementary\n"
    "    effects (Morris 1991; Campolongo et al. 2007), as SALib.analyze.morris.\n"
    "Replicates are averaged per point first.  The replicate noise is estimated from the\n"
    "replicates (or the sweep's noise_runs): its share of the variance of the point means,\n"
    "and indices corrected for it.  Warnings say when the design is too small or the noise\n"
    "too large.  Prints a table and writes SENS.h5 (default: SWEEP stem + _sensitivity.h5).\n"
    "\n"
    "  -o, --output FILE   output (default: SWEEP stem + _sensitivity.h5)\n"
    "      --boot B        bootstrap resamples (default 1000)\n"
    "      --seed S        seed of the bootstrap (default 1)\n"
    "      --level L       level of the intervals, in (0, 1) (default 0.95)\n"
    "  -h, --help          this text\n";

/* ------------------------------------------------------------------------- */
/* The sweep file                                                              */

typedef enum { L_SALTELLI, L_SALTELLI_SALIB, L_MORRIS } layout_t;

typedef struct {
    char *design, *layout_name, *fingerprint, *git_commit, *seed, *scenario_source, *scenario_text;
    layout_t layout;
    int64_t P, R, n, levels, second_order, K, agents;
    size_t d, n_out;
    char **pn, **on;           /* the parameters' and outputs' names */
    double *x, *unit, *y, *ny; /* x, unit [P][d]; y [P R][n_out]; ny [K][n_out] */
    int *npoint;               /* [K] */
} sweep_in;

static void sweep_in_free(sweep_in *s)
{
    free(s->design), free(s->layout_name), free(s->fingerprint), free(s->git_commit), free(s->seed);
    free(s->scenario_source), free(s->scenario_text);
    tyndau_h5_free_strs(s->pn, s->d), tyndau_h5_free_strs(s->on, s->n_out);
    free(s->x), free(s->unit), free(s->y), free(s->ny), free(s->npoint);
}

static char *text_or(char *s, const char *dflt)
{
    if (s != NULL) return s;
    char *d = tyndau_calloc(strlen(dflt) + 1, 1);
    if (d != NULL) strcpy(d, dflt);
    return d;
}

/* Read what the estimators need; TYNDAU_EINPUT for a file that is not a complete sweep. */
static tyndau_status read_sweep(const char *in, sweep_in *s, tyndau_error *err)
{
    memset(s, 0, sizeof *s);
    tyndau_h5 h;
    if (tyndau_h5_probe(in, err) != TYNDAU_OK) return err->status; /* damaged metadata can crash HDF5 */
    if (tyndau_h5_open(&h, in, TYNDAU_H5_READ, err) == TYNDAU_OK)
        tyndau_h5_check_schema(&h, "tyndau-sweep", "a tyndau sweep file", 1, 2, NULL);
    hid_t f = h.file;
    char *status = tyndau_h5_read_attr_str(&h, f, "status");
    int64_t shard = 0;
    s->design = text_or(tyndau_h5_read_attr_str(&h, f, "design"), "");
    s->fingerprint = text_or(tyndau_h5_read_attr_str(&h, f, "fingerprint"), "");
    s->git_commit = text_or(tyndau_h5_read_attr_str(&h, f, "git_commit"), "unknown");
    s->seed = text_or(tyndau_h5_read_attr_str(&h, f, "seed"), ""); /* text in 1.x files, a number from 2.0 */
    s->scenario_source = text_or(tyndau_h5_read_attr_str(&h, f, "scenario_source"), "");
    s->scenario_text = text_or(tyndau_h5_read_attr_str(&h, f, "scenario_text"), "");
    tyndau_h5_read_attr_i64(&h, f, "points", &s->P);
    tyndau_h5_read_attr_i64(&h, f, "replicates", &s->R);
    tyndau_h5_read_attr_i64(&h, f, "base_points", &s->n);
    tyndau_h5_read_attr_i64(&h, f, "levels", &s->levels);
    tyndau_h5_read_attr_i64(&h, f, "shard_count", &shard);
    tyndau_h5_read_attr_i64(&h, f, "agents", &s->agents);
    tyndau_h5_read_attr_i64(&h, f, "second_order", &s->second_order);
    tyndau_h5_read_attr_i64(&h, f, "noise_runs", &s->K);
    /* tyndau-sweep 1.0 files have no layout: their saltelli design is in blocks, without BA_i */
    s->layout_name = tyndau_h5_read_attr_str(&h, f, "layout");
    if (h.st == TYNDAU_OK && s->layout_name == NULL)
        s->layout_name = text_or(NULL, strcmp(s->design, "saltelli") == 0 || strcmp(s->design, "morris") == 0 ? s->design
                                                                                                          : "none");
    if (h.st == TYNDAU_OK && (!s->design || !s->fingerprint || !s->git_commit || !s->seed || !s->layout_name ||
                              !s->scenario_source || !s->scenario_text))
        tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    if (h.st != TYNDAU_OK) {
    } else if (status == NULL || strncmp(status, "complete", 8) != 0 || shard != 0) {
        tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: %s; expected a complete sweep (merge the shards first)", in,
                       shard ? "a shard" : "an unfinished sweep");
    } else if (strcmp(s->layout_name, "saltelli") == 0 || strcmp(s->layout_name, "saltelli_salib") == 0 ||
               strcmp(s->layout_name, "morris") == 0) {
        s->layout = s->layout_name[0] == 'm' ? L_MORRIS : strcmp(s->layout_name, "saltelli") == 0 ? L_SALTELLI
                                                                                                 : L_SALTELLI_SALIB;
    } else if (strcmp(s->design, "csv") == 0) {
        tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: a csv design without a layout; sensitivity indices need the run order "
                       "of its rows: 'layout = saltelli', 'saltelli_salib' or 'morris' in the sweep file (then sweep "
                       "again)", in);
    } else {
        tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: a %s design; sensitivity indices need 'design = saltelli' or "
                       "'saltelli_salib' (Sobol indices), 'design = morris' (elementary effects), or a csv design with "
                       "such a layout", in, s->design);
    }
    free(status);
    s->pn = tyndau_h5_read_strs(&h, f, "/design/parameter", &s->d);
    s->on = tyndau_h5_read_strs(&h, f, "/runs/output", &s->n_out);
    if (h.st == TYNDAU_OK && (s->d == 0 || s->n_out == 0 || s->P <= 0 || s->R <= 0 || s->n <= 0 || s->K < 0))
        tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: no parameters, outputs, points or replicates", in);
    /* the attributes against the data they describe, before anything of their size is allocated */
    tyndau_h5_expect(&h, f, "/design/x", s->P, (int64_t)s->d, 1, "points x parameters");
    tyndau_h5_expect(&h, f, "/runs/y", s->P, s->R, (int64_t)s->n_out, "points x replicates x outputs");
    if (s->K > 0) tyndau_h5_expect(&h, f, "/noise/y", s->K, (int64_t)s->n_out, 1, "noise_runs x outputs");
    size_t P = (size_t)s->P, jobs = (size_t)(s->P * s->R), K = (size_t)s->K;
    if (h.st == TYNDAU_OK) {
        s->x = tyndau_calloc(P * s->d, sizeof *s->x), s->unit = tyndau_calloc(P * s->d, sizeof *s->unit);
        s->y = tyndau_calloc(jobs * s->n_out, sizeof *s->y), s->ny = tyndau_calloc(K * s->n_out, sizeof *s->ny);
        s->npoint = tyndau_calloc(K, sizeof *s->npoint);
        if (!s->x || !s->unit || !s->y || !s->ny || !s->npoint) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    }
    tyndau_h5_read(&h, f, "/design/x", TYNDAU_H5_F64, P * s->d, s->x);
    tyndau_h5_read(&h, f, "/design/unit", TYNDAU_H5_F64, P * s->d, s->unit);
    tyndau_h5_read(&h, f, "/runs/y", TYNDAU_H5_F64, jobs * s->n_out, s->y);
    if (K > 0) {
        tyndau_h5_read(&h, f, "/noise/y", TYNDAU_H5_F64, K * s->n_out, s->ny);
        tyndau_h5_read(&h, f, "/design/noise_point", TYNDAU_H5_I32, K, s->npoint);
    }
    size_t blocks = s->layout == L_MORRIS ? s->d + 1 : sens_saltelli_blocks(s->d, (int)s->second_order);
    if (h.st == TYNDAU_OK && P != (size_t)s->n * blocks)
        tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: %lld points, but a %s layout of %lld base rows for %zu parameters has "
                       "%zu", in, (long long)s->P, s->layout_name, (long long)s->n, s->d, (size_t)s->n * blocks);
    for (size_t k = 0; h.st == TYNDAU_OK && k < K; k++)
        if (s->npoint[k] < 0 || s->npoint[k] >= s->P)
            tyndau_h5_fail(&h, TYNDAU_EINPUT, "%s: /design/noise_point[%zu] = %d, outside the design's points", in, k,
                           s->npoint[k]);
    return tyndau_h5_close(&h);
}

/* ------------------------------------------------------------------------- */
/* Point means and noise                                                       */

typedef struct {
    double *mean;     /* [P]: the mean of the point's finite replicates (NaN: none) */
    double *noise;    /* [P]: the noise variance of that mean, or NULL when it cannot be estimated */
    double share;     /* mean noise variance of the point means / their variance (NaN: unknown) */
    double noise_var; /* the mean noise variance of a point mean */
    size_t empty;     /* points without a finite replicate */
    size_t pairs;     /* noise runs used */
} point_stats;

static void point_means(const sweep_in *s, size_t o, point_stats *ps)
{
    size_t P = (size_t)s->P, R = (size_t)s->R, no = s->n_out;
    double pooled = 0.0, within = 0.0;
    size_t np = 0;
    ps->empty = 0, ps->pairs = 0;
    for (size_t p = 0; p < P; p++) {
        double sum = 0.0, sum2 = 0.0;
        size_t k = 0;
        for (size_t r = 0; r < R; r++) {
            double v = s->y[(p * R + r) * no + o];
            if (isnan(v)) continue;
            sum += v, sum2 += v * v, k++;
        }
        ps->mean[p] = k ? sum / (double)k : NAN;
        ps->empty += k == 0;
        ps->noise[p] = NAN;
        if (k > 1) {
            double s2 = fmax(0.0, (sum2 - sum * sum / (double)k) / (double)(k - 1));
            ps->noise[p] = s2 / (double)k;
            pooled += s2, within += s2 / (double)k, np++;
        }
    }
    double mean = 0.0, var = 0.0;
    size_t k = 0;
    for (size_t p = 0; p < P; p++)
        if (!isnan(ps->mean[p])) mean += ps->mean[p], k++;
    mean /= (double)(k ? k : 1);
    for (size_t p = 0; p < P; p++)
        if (!isnan(ps->mean[p])) var += (ps->mean[p] - mean) * (ps->mean[p] - mean);
    var /= (double)(k > 1 ? k - 1 : 1);
    if (R > 1 && np > 0) {
        /* a point with one finite replicate left gets the pooled within-point variance */
        pooled /= (double)np;
        for (size_t p = 0; p < P; p++)
            if (isnan(ps->noise[p]) && !isnan(ps->mean[p])) ps->noise[p] = pooled;
        ps->noise_var = within / (double)np;
    } else if (R == 1 && s->K > 0) {
        /* one replicate: a noise run and its point's run are two replicates, (a - b)^2 / 2 estimates s^2 */
        double s2 = 0.0;
        for (size_t j = 0; j < (size_t)s->K; j++) {
            double a = ps->mean[s->npoint[j]], b = s->ny[j * no + o];
            if (isnan(a) || isnan(b)) continue;
            s2 += 0.5 * (a - b) * (a - b), ps->pairs++;
        }
        ps->noise_var = ps->pairs ? s2 / (double)ps->pairs : NAN;
        for (size_t p = 0; p < P; p++) ps->noise[p] = ps->noise_var;
    } else {
        ps->noise_var = NAN;
    }
    ps->share = !isnan(ps->noise_var) && var > 0.0 ? ps->noise_var / var : NAN;
}

/* ------------------------------------------------------------------------- */
/* Warnings                                                                    */

typedef struct {
    char (*text)[400];
    size_t n, cap;
    int failed;
} warnings;

static void warn(warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(warnings *w, const char *fmt, ...)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        char(*t)[400] = tyndau_reallocarray(w->text, cap, sizeof *t);
        if (t == NULL) {
            w->failed = 1;
            return;
        }
        w->text = t, w->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text[w->n++], sizeof w->text[0], fmt, ap);
    va_end(ap);
}

/* An index whose whole interval lies outside [0, 1]: the design is too small for it. */
static void check_range(warnings *w, const char *output, const char *what, const char *param, const sens_ci *c)
{
    if (isnan(c->lo) || isnan(c->hi) || (c->hi >= 0.0 && c->lo <= 1.0)) return;
    warn(w, "%s: the %s index of %s is %.3f [%.3f, %.3f], outside [0, 1] beyond its interval: the design is too "
         "small for this output (more base rows), or chance (about 1 in 40 intervals of an index that is 0)", output,
         what, param, c->value, c->lo, c->hi);
}

static const char estimators_text[] =
    "outputs centred on their overall mean (as SALib's standardisation); V = variance of the A and B rows "
    "(divided by 2n); S_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli et al. 2010); ST_i = mean((f(A) - "
    "f(AB_i))^2) / 2V (Jansen 1999); S_ik = mean(f(BA_i) f(AB_k) - f(A) f(B)) / V - S_i - S_k (Saltelli 2002); "
    "the same numbers as SALib.analyze.sobol on the same outputs. *_adj: V less the mean noise variance of the A "
    "and B points, the Jansen numerator less (n_A + n_AB_i) / 2 (noise variance of each point mean n_p, "
    "independent between runs)";
static const char morris_text[] =
    "elementary effects EE_i = (f(x') - f(x)) / step on each trajectory step moving input i (native designs: "
    "the step of the unit-cube point; csv designs: +-delta = levels / (2 (levels - 1)) with the sign of the "
    "change, as SALib.analyze.morris); mu* = mean |EE| (Campolongo et al. 2007), mu = mean EE, sigma = SD of EE "
    "(n - 1) (Morris 1991)";
static const char references_text[] =
    "Saltelli A. (2002) Comput. Phys. Commun. 145, 280-297; Saltelli A. et al. (2010) Comput. Phys. Commun. 181, "
    "259-270; Jansen M.J.W. (1999) Comput. Phys. Commun. 117, 35-43; Morris M.D. (1991) Technometrics 33, "
    "161-174; Campolongo F., Cariboni J. & Saltelli A. (2007) Environ. Model. Softw. 22, 1509-1518; "
    "Herman J. & Usher W. (2017) SALib, J. Open Source Softw. 2(9), 97";

/* ------------------------------------------------------------------------- */
/* The indices of every output                                                 */

/* What is computed: per output o, d entries (d * d for second order) from o * d (o * d * d). */
typedef struct {
    int sobol, so, noisy;
    size_t d, dd, no, n, P;
    sens_ci *first, *total, *second, *first_adj, *total_adj, *second_adj, *fsum;
    double *share, *nvar, *var, *yb, *nb, *buf;
    point_stats ps;
    warnings w;
    gsl_rng *rng;
} results;

static void results_free(results *r)
{
    free(r->first), free(r->total), free(r->second), free(r->first_adj), free(r->total_adj), free(r->second_adj);
    free(r->fsum), free(r->share), free(r->nvar), free(r->var), free(r->yb), free(r->nb), free(r->buf);
    free(r->ps.mean), free(r->ps.noise), free(r->w.text);
    if (r->rng) gsl_rng_free(r->rng);
}

static tyndau_status compute(const sweep_in *s, size_t boot, double level, uint64_t seed, results *r,
                             tyndau_error *err)
{
    memset(r, 0, sizeof *r);
    int sobol = r->sobol = s->layout != L_MORRIS, so = r->so = sobol && s->second_order != 0;
    size_t d = r->d = s->d, no = r->no = s->n_out, n = r->n = (size_t)s->n, P = r->P = (size_t)s->P;
    size_t dd = r->dd = so ? d * d : 0; /* second-order entries per output */
    int noisy = r->noisy = s->R > 1 || s->K > 0;
    size_t cells = no * d, cells2 = no * (dd ? dd : 1);
    r->first = tyndau_calloc(cells, sizeof *r->first), r->total = tyndau_calloc(cells, sizeof *r->total);
    r->second = tyndau_calloc(cells2, sizeof *r->second);
    r->first_adj = tyndau_calloc(cells, sizeof *r->first_adj), r->total_adj = tyndau_calloc(cells, sizeof *r->total_adj);
    r->second_adj = tyndau_calloc(cells2, sizeof *r->second_adj), r->fsum = tyndau_calloc(no, sizeof *r->fsum);
    r->share = tyndau_calloc(no, sizeof *r->share), r->nvar = tyndau_calloc(no, sizeof *r->nvar);
    r->var = tyndau_calloc(no, sizeof *r->var);
    r->yb = tyndau_calloc(P, sizeof *r->yb), r->nb = tyndau_calloc(P, sizeof *r->nb);
    r->buf = tyndau_calloc(no * (dd > d ? dd : d), sizeof *r->buf);
    r->ps = (point_stats){tyndau_calloc(P, sizeof(double)), tyndau_calloc(P, sizeof(double)), NAN, NAN, 0, 0};
    r->rng = gsl_rng_alloc(tyndau_rng_ctr);
    if (!r->first || !r->total || !r->second || !r->first_adj || !r->total_adj || !r->second_adj || !r->fsum ||
        !r->share || !r->nvar || !r->var || !r->yb || !r->nb || !r->buf || !r->ps.mean || !r->ps.noise || !r->rng)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    const char *unit_name = sobol ? "base rows" : "trajectories";
    if (n < (sobol ? MIN_BASE_ROWS : MIN_TRAJECTORIES))
        warn(&r->w, "only %zu %s (fewer than %d): the indices and their intervals are rough; use %s", n, unit_name,
             sobol ? MIN_BASE_ROWS : MIN_TRAJECTORIES, sobol ? "256 or more base rows" : "20 or more trajectories");
    if (!noisy)
        warn(&r->w, "one replicate per point and no noise runs: replicate noise cannot be separated from the "
             "parameters' effects (every index includes it; a parameter that does nothing shows a total index "
             "about the noise share); add replicates, or 'noise_runs = K' to the sweep file");
    for (size_t o = 0; o < no; o++) {
        point_stats *q = &r->ps;
        point_means(s, o, q);
        r->share[o] = q->share, r->nvar[o] = q->noise_var;
        const double *noise = noisy && !isnan(q->noise_var) ? q->noise : NULL;
        if (q->empty)
            warn(&r->w, "%s: %zu of %zu points have no finite output (failed runs): left out of the estimates that need "
                 "them", s->on[o], q->empty, P);
        if (q->share > 0.5)
            warn(&r->w, "%s: replicate noise is %.0f%% of the variance of the point means (more than half): the indices "
                 "mostly measure noise; use more agents or replicates", s->on[o], 100 * q->share);
        tyndau_ctr_seek(r->rng, many_seed(seed, K_BOOT, o, 0), 0);
        if (sobol) {
            sens_order order = s->layout == L_SALTELLI ? SENS_BLOCKS : SENS_SALIB;
            size_t blocks = sens_saltelli_blocks(d, so);
            for (size_t j = 0; j < n; j++)
                for (size_t k = 0; k < blocks; k++) {
                    size_t p = sens_saltelli_point(order, n, d, so, j, k);
                    r->yb[k * n + j] = q->mean[p];
                    r->nb[k * n + j] = noise ? noise[p] : NAN;
                }
            sens_sobol_result res = {r->first + o * d,     r->total + o * d,     so ? r->second + o * dd : NULL,
                                     r->first_adj + o * d, r->total_adj + o * d, so ? r->second_adj + o * dd : NULL,
                                     {0, 0, 0, 0},      0.0,               0.0};
            if (sens_sobol(r->yb, noise ? r->nb : NULL, n, d, so, boot, level, r->rng, &res) != 0)
                return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
            if (!noise)
                for (size_t i = 0; i < d; i++) {
                    r->first_adj[o * d + i] = (sens_ci){NAN, NAN, NAN, NAN};
                    r->total_adj[o * d + i] = (sens_ci){NAN, NAN, NAN, NAN};
                }
            for (size_t k = 0; !noise && k < dd; k++) r->second_adj[o * dd + k] = (sens_ci){NAN, NAN, NAN, NAN};
            r->fsum[o] = res.first_sum, r->var[o] = res.var;
            if (noise && isnan(r->first_adj[o * d].value) && res.var > 0.0)
                warn(&r->w, "%s: the replicate noise is as large as the variance of the outputs: no noise-corrected "
                     "indices", s->on[o]);
            for (size_t i = 0; i < d; i++) {
                check_range(&r->w, s->on[o], "first-order", s->pn[i], &r->first[o * d + i]);
                check_range(&r->w, s->on[o], "total", s->pn[i], &r->total[o * d + i]);
                for (size_t k = i + 1; so && k < d; k++) {
                    char pair[2 * NAME_LEN + 8];
                    snprintf(pair, sizeof pair, "%s x %s", s->pn[i], s->pn[k]);
                    check_range(&r->w, s->on[o], "second-order", pair, &r->second[o * dd + i * d + k]);
                }
            }
            if (r->fsum[o].lo > 1.0)
                warn(&r->w, "%s: the first-order indices sum to %.3f [%.3f, %.3f], more than 1 beyond their uncertainty: "
                     "the design is too small for this output (more base rows)", s->on[o], r->fsum[o].value, r->fsum[o].lo,
                     r->fsum[o].hi);
        } else {
            /* native designs: elementary effects on the unit cube; csv: SALib's +-delta */
            int native = strcmp(s->design, "morris") == 0;
            double delta = native ? 0.0 : (double)s->levels / (2.0 * (double)(s->levels - 1));
            if (sens_morris(native ? s->unit : s->x, q->mean, n, d, delta, boot, level, r->rng, r->first + o * d,
                            r->total + o * d, r->first_adj + o * d) != 0)
                return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
            r->var[o] = NAN, r->fsum[o] = (sens_ci){NAN, NAN, NAN, NAN};
        }
    }
    if (r->w.failed) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    return TYNDAU_OK;
}

static void print_num(double v)
{
    if (isnan(v)) printf("  %8s", "-");
    else printf("  %8.3f", v);
}

static void print_ci(const sens_ci *c)
{
    if (isnan(c->value)) printf("  %24s", "-");
    else printf("  %7.3f [%6.3f, %6.3f]", c->value, c->lo, c->hi);
}

static void print_tables(const char *in, const sweep_in *s, const results *r, size_t boot, double level)
{
    int sobol = r->sobol, so = r->so, noisy = r->noisy;
    size_t d = r->d, dd = r->dd, no = r->no, n = r->n;
    const char *unit_name = sobol ? "base rows" : "trajectories";
    printf("sensitivity of %s (%s design, %s run order%s, %zu %s, %lld replicate%s averaged per point; %g%% "
           "bootstrap intervals, %zu resamples)\n",
           in, s->design, s->layout_name, so ? " with second order" : "", n, unit_name, (long long)s->R, s->R == 1 ? "" : "s",
           100 * level, boot);
    const char *na = sobol ? "S1 (first order)" : "mu*", *nbn = sobol ? "ST (total)" : "sigma";
    for (size_t o = 0; o < no; o++) {
        if (!isnan(r->share[o]))
            printf("\n%s (replicate noise: %.1f%% of the variance of the point means, from %s)\n", s->on[o],
                   100 * r->share[o], s->R > 1 ? "the replicates" : "the noise runs");
        else
            printf("\n%s (replicate noise: cannot be separated with one replicate per point)\n", s->on[o]);
        printf("  %-28s  %24s  %24s", "parameter", na, nbn);
        if (sobol && noisy) printf("  %8s  %8s", "S1 adj", "ST adj");
        if (!sobol) printf("  %24s", "mu");
        printf("\n");
        for (size_t i = 0; i < d; i++) {
            printf("  %-28s", s->pn[i]);
            print_ci(&r->first[o * d + i]);
            print_ci(&r->total[o * d + i]);
            if (sobol && noisy) {
                print_num(r->first_adj[o * d + i].value);
                print_num(r->total_adj[o * d + i].value);
            }
            if (!sobol) print_ci(&r->first_adj[o * d + i]);
            printf("\n");
        }
        if (sobol) {
            printf("  %-28s", "sum of S1");
            print_ci(&r->fsum[o]);
            printf("\n");
        }
        for (size_t i = 0; so && i < d; i++)
            for (size_t k = i + 1; k < d; k++) {
                char pair[2 * NAME_LEN + 8];
                snprintf(pair, sizeof pair, "S2 %s x %s", s->pn[i], s->pn[k]);
                printf("  %-54s", pair);
                print_ci(&r->second[o * dd + i * d + k]);
                printf("\n");
            }
    }
}

/* ------------------------------------------------------------------------- */
/* The sensitivity file                                                        */

/* name, name_lo, name_hi, name_conf from v ([output][parameter], or [output][parameter][parameter_k] when
 * cube, or [output] when cols is 0) */
static void put_ci(tyndau_h5 *h, const char *name, const sens_ci *v, size_t rows, size_t cols, int cube,
                   const char *desc, const char *units, double *buf)
{
    size_t m = rows * (cols ? cols : 1) * (cube ? cols : 1);
    const char *suffix[4] = {"", "_lo", "_hi", "_conf"};
    const char *what[4] = {"estimate", "lower end of the percentile bootstrap interval",
                           "upper end of the percentile bootstrap interval",
                           "SALib's conf: z x the SD of the bootstrap estimates (half-width of a normal interval)"};
    for (int part = 0; part < 4; part++) {
        char nm[64], text[600];
        for (size_t k = 0; k < m; k++)
            buf[k] = part == 0 ? v[k].value : part == 1 ? v[k].lo : part == 2 ? v[k].hi : v[k].conf;
        snprintf(nm, sizeof nm, "%s%s", name, suffix[part]);
        snprintf(text, sizeof text, "%s: %s; %s", name, what[part], desc);
        tyndau_h5_write(h, h->file,
                        &(tyndau_h5_dspec){.name = nm, .kind = TYNDAU_H5_F64, .rank = cols ? cube ? 3 : 2 : 1,
                                           .dims = {rows, cols, cols}, .data = buf, .description = text, .units = units,
                                           .axes = cols ? cube ? "output,parameter,parameter_k" : "output,parameter"
                                                        : "output"});
    }
}

static tyndau_status write_file(const char *out, const char *in, const sweep_in *s, const results *r, size_t boot,
                                double level, uint64_t seed, const char *command_line, tyndau_error *err)
{
    int sobol = r->sobol, so = r->so;
    size_t d = r->d, no = r->no;
    char text[400];
    tyndau_h5 h;
    if (tyndau_h5_open(&h, out, TYNDAU_H5_CREATE, err) != TYNDAU_OK) return tyndau_h5_close(&h);
    hid_t f = h.file;
    tyndau_h5_prov prov = cli_provenance(SCHEMA_NAME, SCHEMA_VERSION, command_line);
    prov.seed = seed;
    prov.rng = "the model's counter-based generator (tyndau_ctr) at the 64-bit key many_seed(seed, 103, output, 0) "
               "(src/engine/many.c): the bootstrap resamples of each output";
    prov.scenario_source = s->scenario_source; /* the sweep's */
    prov.scenario_text = s->scenario_text;
    prov.legacy_names = 1;
    tyndau_h5_provenance(&h, f, &prov);
    tyndau_h5_attr_str(&h, f, "sweep_file", in);
    tyndau_h5_attr_str(&h, f, "sweep_fingerprint", s->fingerprint);
    tyndau_h5_attr_str(&h, f, "sweep_git_commit", s->git_commit);
    tyndau_h5_attr_str(&h, f, "sweep_seed", s->seed);
    tyndau_h5_attr_i64(&h, f, "sweep_agents", s->agents);
    tyndau_h5_attr_str(&h, f, "design", s->design);
    tyndau_h5_attr_str(&h, f, "layout", s->layout_name);
    tyndau_h5_attr_i64(&h, f, "second_order", so);
    tyndau_h5_attr_i64(&h, f, "base_rows", (int64_t)r->n);
    tyndau_h5_attr_i64(&h, f, "replicates", s->R);
    tyndau_h5_attr_i64(&h, f, "noise_runs", s->K);
    snprintf(text, sizeof text, "the %lld replicate(s) of each point are averaged (failed runs left out) before the "
             "indices are computed: the indices are those of the point means", (long long)s->R);
    tyndau_h5_attr_str(&h, f, "replicate_handling", text);
    tyndau_h5_attr_str(&h, f, "noise_source", s->R > 1 ? "replicates" : s->K > 0 ? "noise_runs" : "none");
    tyndau_h5_attr_str(&h, f, "method", sobol ? "Sobol indices: first order (Saltelli et al. 2010), total (Jansen "
                                                "1999), second order (Saltelli 2002), as SALib.analyze.sobol"
                                              : "Morris elementary effects: mu* (Campolongo et al. 2007), mu, sigma "
                                                "(Morris 1991), as SALib.analyze.morris");
    tyndau_h5_attr_str(&h, f, "estimators", sobol ? estimators_text : morris_text);
    tyndau_h5_attr_str(&h, f, "references", references_text);
    tyndau_h5_attr_i64(&h, f, "bootstrap", (int64_t)boot);
    tyndau_h5_attr_f64(&h, f, "level", level);
    snprintf(text, sizeof text, "%" PRIu64, seed);
    tyndau_h5_attr_str(&h, f, "bootstrap_seed", text);
    const char **ww = tyndau_calloc(r->w.n, sizeof *ww);
    if (ww == NULL) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    for (size_t k = 0; ww != NULL && k < r->w.n; k++) ww[k] = r->w.text[k];
    tyndau_h5_vector(&h, f, "parameter", TYNDAU_H5_STR, d, s->pn, "parameter", "The sweep's parameters.", "none");
    tyndau_h5_vector(&h, f, "output", TYNDAU_H5_STR, no, s->on, "output", "The sweep's outputs.", "none");
    tyndau_h5_vector(&h, f, "warnings", TYNDAU_H5_STR, r->w.n, ww, "warning",
                     "What makes these indices unreliable (also printed).", "none");
    free(ww);
    tyndau_h5_vector(&h, f, "noise_share", TYNDAU_H5_F64, no, r->share, "output",
                     "Mean noise variance of a point mean / variance of the point means; NaN: one replicate and no "
                     "noise runs.", "1");
    tyndau_h5_vector(&h, f, "noise_variance", TYNDAU_H5_F64, no, r->nvar, "output",
                     "Mean noise variance of a point mean: within-point variance / replicates, or from the noise "
                     "runs.", "the output's units squared");
    if (sobol) {
        put_ci(&h, "first", r->first, no, d, 0, "first-order Sobol index", "1", r->buf);
        put_ci(&h, "total", r->total, no, d, 0, "total Sobol index", "1", r->buf);
        if (so) put_ci(&h, "second", r->second, no, d, 1, "second-order Sobol index of parameters i < k (NaN elsewhere)",
                       "1", r->buf);
        if (r->noisy) {
            put_ci(&h, "first_adj", r->first_adj, no, d, 0, "first-order index corrected for replicate noise", "1", r->buf);
            put_ci(&h, "total_adj", r->total_adj, no, d, 0, "total index corrected for replicate noise", "1", r->buf);
            if (so)
                put_ci(&h, "second_adj", r->second_adj, no, d, 1, "second-order index corrected for replicate noise",
                       "1", r->buf);
        }
        put_ci(&h, "first_sum", r->fsum, no, 0, 0, "sum of the first-order indices", "1", r->buf);
        tyndau_h5_vector(&h, f, "variance", TYNDAU_H5_F64, no, r->var, "output",
                         "V: variance of the point means of the A and B rows (divided by 2n).",
                         "the output's units squared");
    } else {
        const char *eu = "the output's units per unit of the design's scale";
        put_ci(&h, "mu_star", r->first, no, d, 0, "mean |elementary effect|", eu, r->buf);
        put_ci(&h, "sigma", r->total, no, d, 0, "SD of the elementary effects", eu, r->buf);
        put_ci(&h, "mu", r->first_adj, no, d, 0, "mean elementary effect", eu, r->buf);
    }
    return tyndau_h5_close(&h);
}

/* ------------------------------------------------------------------------- */
/* The command                                                                 */

int tyndau_cmd_sensitivity(int argc, char **argv, const char *command_line)
{
    const char *out = NULL;
    size_t boot = 1000;
    uint64_t seed = 1;
    double level = 0.95;
    int first = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &out, 0, 0},  {"boot", 0, CLI_COUNT, &boot, 0, 1000000},
                            {"seed", 0, CLI_U64, &seed, 0, 0},      {"level", 0, CLI_REAL, &level, 0, 1},
                            {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_sensitivity, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    if (argc - first != 1) {
        fprintf(stderr, "tyndau: sensitivity: expected one sweep file\n%s", usage_sensitivity);
        return 2;
    }
    const char *in = argv[first];
    char outbuf[PATH_MAX + 32];
    if (out == NULL) {
        const char *dot = strrchr(in, '.');
        int len = dot ? (int)(dot - in) : (int)strlen(in);
        snprintf(outbuf, sizeof outbuf, "%.*s_sensitivity.h5", len, in);
        out = outbuf;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    sweep_in s;
    results r;
    memset(&r, 0, sizeof r);
    tyndau_outfile claim = TYNDAU_OUTFILE_NONE;
    tyndau_status st = cli_claim_output(&claim, out, &in, 1, NULL, 0, &err);
    if (st == TYNDAU_OK) st = read_sweep(in, &s, &err);
    else memset(&s, 0, sizeof s);
    if (st == TYNDAU_OK) st = compute(&s, boot, level, seed, &r, &err);
    if (st == TYNDAU_OK) {
        print_tables(in, &s, &r, boot, level);
        fflush(stdout); /* the warnings after the table they are about */
        for (size_t k = 0; k < r.w.n; k++) fprintf(stderr, "tyndau: sensitivity: warning: %s\n", r.w.text[k]);
        st = write_file(out, in, &s, &r, boot, level, seed, command_line, &err);
    }
    if (st == TYNDAU_OK) printf("\nwrote %s%s\n", out, r.w.n ? " (with warnings: see above and /warnings)" : "");
    rc = st == TYNDAU_OK ? 0 : cli_fail(&err);
    tyndau_outfile_release(&claim);
    results_free(&r);
    sweep_in_free(&s);
    return rc;
}
