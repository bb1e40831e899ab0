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
#include "commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/h5w.h"
#include "engine/many.h"
#include "engine/prior.h"
#include "sens.h"

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
    "too large.  Prints a table and writes SENS.h5 (default: SWEEP stem + _sensitivity.h5).\n";

/* ------------------------------------------------------------------------- */
/* The sweep file                                                              */

typedef enum { L_SALTELLI, L_SALTELLI_SALIB, L_MORRIS } layout_t;

typedef struct {
    char design[32], layout_name[32], fingerprint[64], git_commit[96], seed[32];
    layout_t layout;
    long long P, R, n, levels, second_order, K, agents;
    size_t d, n_out;
    char (*pn)[NAME_LEN], (*on)[NAME_LEN];
    double *x, *unit, *y, *ny; /* x, unit [P][d]; y [P R][n_out]; ny [K][n_out] */
    int *npoint;               /* [K] */
} sweep_in;

static void sweep_in_free(sweep_in *s)
{
    free(s->pn), free(s->on), free(s->x), free(s->unit), free(s->y), free(s->ny), free(s->npoint);
}

static int read_strings_ds(hid_t f, const char *name, size_t n, char (*out)[NAME_LEN])
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    char **v = calloc(n ? n : 1, sizeof *v);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = v && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < n; k++) snprintf(out[k], NAME_LEN, "%s", v[k] ? v[k] : "");
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
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp), H5Dclose(d);
    return (size_t)dims[0];
}

static int read_ints(hid_t f, const char *name, int *v, size_t n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return -1;
    int rc = n == 0 || H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0 : -1;
    H5Dclose(d);
    return rc;
}

/* Read what the estimators need: 0, or 2 (not a usable sweep) / 1 (out of memory) with err. */
static int read_sweep(const char *in, sweep_in *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    char schema[64] = "", status[64] = "";
    long long shard = 0;
    hid_t f = H5Fopen(in, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0 || batch_read_attr_str(f, "schema", schema, sizeof schema) != 0 || strcmp(schema, "tyndau-sweep") != 0) {
        cfg_say(err, errlen, "%s: not a tyndau sweep file", in);
        if (f >= 0) H5Fclose(f);
        return 2;
    }
    batch_read_attr_str(f, "design", s->design, sizeof s->design);
    batch_read_attr_str(f, "status", status, sizeof status);
    batch_read_attr_str(f, "fingerprint", s->fingerprint, sizeof s->fingerprint);
    batch_read_attr_str(f, "git_commit", s->git_commit, sizeof s->git_commit);
    batch_read_attr_str(f, "seed", s->seed, sizeof s->seed);
    h5r_attr_int(f, "points", &s->P);
    h5r_attr_int(f, "replicates", &s->R);
    h5r_attr_int(f, "base_points", &s->n);
    h5r_attr_int(f, "levels", &s->levels);
    h5r_attr_int(f, "shard_count", &shard);
    h5r_attr_int(f, "agents", &s->agents);
    /* tyndau-sweep 1.0 files have no layout: their saltelli design is in blocks, without BA_i */
    if (batch_read_attr_str(f, "layout", s->layout_name, sizeof s->layout_name) != 0)
        snprintf(s->layout_name, sizeof s->layout_name, "%s",
                 strcmp(s->design, "saltelli") == 0 || strcmp(s->design, "morris") == 0 ? s->design : "none");
    h5r_attr_int(f, "second_order", &s->second_order);
    h5r_attr_int(f, "noise_runs", &s->K);
    int rc = 0;
    if (strncmp(status, "complete", 8) != 0 || shard != 0) {
        cfg_say(err, errlen, "%s: %s; expected a complete sweep (merge the shards first)", in,
                shard ? "a shard" : "an unfinished sweep");
        rc = 2;
    } else if (strcmp(s->layout_name, "saltelli") == 0 || strcmp(s->layout_name, "saltelli_salib") == 0 ||
               strcmp(s->layout_name, "morris") == 0) {
        s->layout = s->layout_name[0] == 'm' ? L_MORRIS : strcmp(s->layout_name, "saltelli") == 0 ? L_SALTELLI
                                                                                                 : L_SALTELLI_SALIB;
    } else if (strcmp(s->design, "csv") == 0) {
        cfg_say(err, errlen, "%s: a csv design without a layout; sensitivity indices need the run order of its rows: "
                "'layout = saltelli', 'saltelli_salib' or 'morris' in the sweep file (then sweep again)", in);
        rc = 2;
    } else {
        cfg_say(err, errlen, "%s: a %s design; sensitivity indices need 'design = saltelli' or 'saltelli_salib' (Sobol "
                "indices), 'design = morris' (elementary effects), or a csv design with such a layout", in, s->design);
        rc = 2;
    }
    if (rc == 0) {
        s->d = ds_len(f, "/design/parameter"), s->n_out = ds_len(f, "/runs/output");
        size_t P = (size_t)s->P, jobs = (size_t)(s->P * s->R), d = s->d ? s->d : 1, no = s->n_out ? s->n_out : 1;
        size_t K = (size_t)s->K;
        s->pn = calloc(d, sizeof *s->pn), s->on = calloc(no, sizeof *s->on);
        s->x = malloc(P * d * sizeof *s->x), s->unit = malloc(P * d * sizeof *s->unit);
        s->y = malloc(jobs * no * sizeof *s->y), s->ny = malloc((K ? K : 1) * no * sizeof *s->ny);
        s->npoint = malloc((K ? K : 1) * sizeof *s->npoint);
        if (!s->pn || !s->on || !s->x || !s->unit || !s->y || !s->ny || !s->npoint) {
            cfg_say(err, errlen, "out of memory");
            rc = 1;
        }
    }
    if (rc == 0 && (s->d == 0 || s->n_out == 0 || s->P <= 0 || s->R <= 0 || s->n <= 0 ||
                    read_strings_ds(f, "/design/parameter", s->d, s->pn) != 0 ||
                    read_strings_ds(f, "/runs/output", s->n_out, s->on) != 0 ||
                    h5r_f64(f, "/design/x", s->x, (size_t)s->P * s->d) != 0 ||
                    h5r_f64(f, "/design/unit", s->unit, (size_t)s->P * s->d) != 0 ||
                    h5r_f64(f, "/runs/y", s->y, (size_t)(s->P * s->R) * s->n_out) != 0 ||
                    (s->K > 0 && (h5r_f64(f, "/noise/y", s->ny, (size_t)s->K * s->n_out) != 0 ||
                                  read_ints(f, "/design/noise_point", s->npoint, (size_t)s->K) != 0)))) {
        cfg_say(err, errlen, "%s: cannot read the design or the runs", in);
        rc = 2;
    }
    size_t blocks = s->layout == L_MORRIS ? s->d + 1 : sens_saltelli_blocks(s->d, (int)s->second_order);
    if (rc == 0 && (size_t)s->P != (size_t)s->n * blocks) {
        cfg_say(err, errlen, "%s: %lld points, but a %s layout of %lld base rows for %zu parameters has %zu", in, s->P,
                s->layout_name, s->n, s->d, (size_t)s->n * blocks);
        rc = 2;
    }
    for (long long k = 0; rc == 0 && k < s->K; k++)
        if (s->npoint[k] < 0 || s->npoint[k] >= s->P) {
            cfg_say(err, errlen, "%s: /design/noise_point[%lld] = %d, outside the design's points", in, k, s->npoint[k]);
            rc = 2;
        }
    H5Fclose(f);
    return rc;
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
        char(*t)[400] = realloc(w->text, cap * sizeof *t);
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

/* ------------------------------------------------------------------------- */
/* The sensitivity file                                                        */

/* name, name_lo, name_hi, name_conf from v (rows x cols, or rows x cols x cols when cube) */
static void put_ci(h5w *w, hid_t f, const char *name, const sens_ci *v, size_t rows, size_t cols, int cube,
                   const char *desc, double *buf)
{
    size_t m = rows * (cols ? cols : 1) * (cube ? cols : 1); /* cols 0: a 1-D dataset of rows */
    const char *suffix[4] = {"", "_lo", "_hi", "_conf"};
    const char *what[4] = {"estimate", "lower end of the percentile bootstrap interval",
                           "upper end of the percentile bootstrap interval",
                           "SALib's conf: z x the SD of the bootstrap estimates (half-width of a normal interval)"};
    for (int part = 0; part < 4; part++) {
        char nm[64], text[600];
        for (size_t k = 0; k < m; k++)
            buf[k] = part == 0 ? v[k].value : part == 1 ? v[k].lo : part == 2 ? v[k].hi : v[k].conf;
        snprintf(nm, sizeof nm, "%s%s", name, suffix[part]);
        if (cube) h5w_f64_3d(w, f, nm, buf, rows, cols, cols);
        else h5w_f64(w, f, nm, buf, rows, cols);
        snprintf(text, sizeof text, "%s: %s; %s", name, what[part], desc);
        h5w_describe(w, f, nm, text);
    }
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
/* The command                                                                 */

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
    char err[800] = "", outbuf[PATH_MAX + 32];
    sweep_in s;
    int rc = read_sweep(in, &s, err, sizeof err);
    int sobol = s.layout != L_MORRIS, so = sobol && s.second_order != 0;
    size_t d = s.d, no = s.n_out, n = (size_t)s.n, P = (size_t)s.P;
    size_t dd = so ? d * d : 0; /* second-order entries per output */
    int noisy = s.R > 1 || s.K > 0;
    /* per output o: d entries (d * d for second order) from o * d (o * d * d) */
    sens_ci *first = NULL, *total = NULL, *second = NULL, *first_adj = NULL, *total_adj = NULL, *second_adj = NULL;
    sens_ci *fsum = NULL;
    double *share = NULL, *nvar = NULL, *var = NULL, *yb = NULL, *nb = NULL, *buf = NULL;
    point_stats ps = {NULL, NULL, NAN, NAN, 0, 0};
    warnings w = {NULL, 0, 0, 0};
    gsl_rng *rng = NULL;
    if (rc == 0) {
        size_t cells = no * d, cells2 = no * (dd ? dd : 1);
        first = calloc(cells, sizeof *first), total = calloc(cells, sizeof *total);
        second = calloc(cells2, sizeof *second);
        first_adj = calloc(cells, sizeof *first_adj), total_adj = calloc(cells, sizeof *total_adj);
        second_adj = calloc(cells2, sizeof *second_adj), fsum = calloc(no, sizeof *fsum);
        share = malloc(no * sizeof *share), nvar = malloc(no * sizeof *nvar), var = malloc(no * sizeof *var);
        yb = malloc(P * sizeof *yb), nb = malloc(P * sizeof *nb);
        buf = malloc(no * (dd > d ? dd : d) * sizeof *buf);
        ps.mean = malloc(P * sizeof *ps.mean), ps.noise = malloc(P * sizeof *ps.noise);
        rng = gsl_rng_alloc(gsl_rng_taus2);
        if (!first || !total || !second || !first_adj || !total_adj || !second_adj || !fsum || !share || !nvar || !var ||
            !yb || !nb || !buf || !ps.mean || !ps.noise || !rng) {
            cfg_say(err, sizeof err, "out of memory");
            rc = 1;
        }
    }
    const char *unit_name = sobol ? "base rows" : "trajectories";
    if (rc == 0) {
        if (n < (sobol ? MIN_BASE_ROWS : MIN_TRAJECTORIES))
            warn(&w, "only %zu %s (fewer than %d): the indices and their intervals are rough; use %s", n, unit_name,
                 sobol ? MIN_BASE_ROWS : MIN_TRAJECTORIES, sobol ? "256 or more base rows" : "20 or more trajectories");
        if (!noisy)
            warn(&w, "one replicate per point and no noise runs: replicate noise cannot be separated from the "
                 "parameters' effects (every index includes it; a parameter that does nothing shows a total index "
                 "about the noise share); add replicates, or 'noise_runs = K' to the sweep file");
    }
    for (size_t o = 0; rc == 0 && o < no; o++) {
        point_stats *q = &ps;
        point_means(&s, o, q);
        share[o] = q->share, nvar[o] = q->noise_var;
        const double *noise = noisy && !isnan(q->noise_var) ? q->noise : NULL;
        if (q->empty)
            warn(&w, "%s: %zu of %zu points have no finite output (failed runs): left out of the estimates that need "
                 "them", s.on[o], q->empty, P);
        if (q->share > 0.5)
            warn(&w, "%s: replicate noise is %.0f%% of the variance of the point means (more than half): the indices "
                 "mostly measure noise; use more agents or replicates", s.on[o], 100 * q->share);
        gsl_rng_set(rng, (unsigned long)many_seed(seed, K_BOOT, o, 0));
        if (sobol) {
            sens_order order = s.layout == L_SALTELLI ? SENS_BLOCKS : SENS_SALIB;
            size_t blocks = sens_saltelli_blocks(d, so);
            for (size_t j = 0; j < n; j++)
                for (size_t k = 0; k < blocks; k++) {
                    size_t p = sens_saltelli_point(order, n, d, so, j, k);
                    yb[k * n + j] = q->mean[p];
                    nb[k * n + j] = noise ? noise[p] : NAN;
                }
            sens_sobol_result res = {first + o * d,     total + o * d,     so ? second + o * dd : NULL,
                                     first_adj + o * d, total_adj + o * d, so ? second_adj + o * dd : NULL,
                                     {0, 0, 0, 0},      0.0,               0.0};
            if (sens_sobol(yb, noise ? nb : NULL, n, d, so, boot, level, rng, &res) != 0) {
                cfg_say(err, sizeof err, "out of memory");
                rc = 1;
                break;
            }
            if (!noise)
                for (size_t i = 0; i < d; i++) {
                    first_adj[o * d + i] = (sens_ci){NAN, NAN, NAN, NAN};
                    total_adj[o * d + i] = (sens_ci){NAN, NAN, NAN, NAN};
                }
            for (size_t k = 0; !noise && k < dd; k++) second_adj[o * dd + k] = (sens_ci){NAN, NAN, NAN, NAN};
            fsum[o] = res.first_sum, var[o] = res.var;
            if (noise && isnan(first_adj[o * d].value) && res.var > 0.0)
                warn(&w, "%s: the replicate noise is as large as the variance of the outputs: no noise-corrected "
                     "indices", s.on[o]);
            for (size_t i = 0; i < d; i++) {
                check_range(&w, s.on[o], "first-order", s.pn[i], &first[o * d + i]);
                check_range(&w, s.on[o], "total", s.pn[i], &total[o * d + i]);
                for (size_t k = i + 1; so && k < d; k++) {
                    char pair[2 * NAME_LEN + 8];
                    snprintf(pair, sizeof pair, "%s x %s", s.pn[i], s.pn[k]);
                    check_range(&w, s.on[o], "second-order", pair, &second[o * dd + i * d + k]);
                }
            }
            if (fsum[o].lo > 1.0)
                warn(&w, "%s: the first-order indices sum to %.3f [%.3f, %.3f], more than 1 beyond their uncertainty: "
                     "the design is too small for this output (more base rows)", s.on[o], fsum[o].value, fsum[o].lo,
                     fsum[o].hi);
        } else {
            /* native designs: elementary effects on the unit cube; csv: SALib's +-delta */
            int native = strcmp(s.design, "morris") == 0;
            double delta = native ? 0.0 : (double)s.levels / (2.0 * (double)(s.levels - 1));
            if (sens_morris(native ? s.unit : s.x, q->mean, n, d, delta, boot, level, rng, first + o * d,
                            total + o * d, first_adj + o * d) != 0) {
                cfg_say(err, sizeof err, "out of memory");
                rc = 1;
                break;
            }
            var[o] = NAN, fsum[o] = (sens_ci){NAN, NAN, NAN, NAN};
        }
    }
    if (rc == 0 && w.failed) {
        cfg_say(err, sizeof err, "out of memory");
        rc = 1;
    }
    if (rc == 0) {
        if (out == NULL) {
            const char *dot = strrchr(in, '.');
            int len = dot ? (int)(dot - in) : (int)strlen(in);
            snprintf(outbuf, sizeof outbuf, "%.*s_sensitivity.h5", len, in);
            out = outbuf;
        }
        printf("sensitivity of %s (%s design, %s run order%s, %zu %s, %lld replicate%s averaged per point; %g%% "
               "bootstrap intervals, %zu resamples)\n",
               in, s.design, s.layout_name, so ? " with second order" : "", n, unit_name, s.R, s.R == 1 ? "" : "s",
               100 * level, boot);
        const char *na = sobol ? "S1 (first order)" : "mu*", *nbn = sobol ? "ST (total)" : "sigma";
        for (size_t o = 0; o < no; o++) {
            if (!isnan(share[o]))
                printf("\n%s (replicate noise: %.1f%% of the variance of the point means, from %s)\n", s.on[o],
                       100 * share[o], s.R > 1 ? "the replicates" : "the noise runs");
            else
                printf("\n%s (replicate noise: cannot be separated with one replicate per point)\n", s.on[o]);
            printf("  %-28s  %24s  %24s", "parameter", na, nbn);
            if (sobol && noisy) printf("  %8s  %8s", "S1 adj", "ST adj");
            if (!sobol) printf("  %24s", "mu");
            printf("\n");
            for (size_t i = 0; i < d; i++) {
                printf("  %-28s", s.pn[i]);
                print_ci(&first[o * d + i]);
                print_ci(&total[o * d + i]);
                if (sobol && noisy) {
                    print_num(first_adj[o * d + i].value);
                    print_num(total_adj[o * d + i].value);
                }
                if (!sobol) print_ci(&first_adj[o * d + i]);
                printf("\n");
            }
            if (sobol) {
                printf("  %-28s", "sum of S1");
                print_ci(&fsum[o]);
                printf("\n");
            }
            for (size_t i = 0; so && i < d; i++)
                for (size_t k = i + 1; k < d; k++) {
                    char pair[2 * NAME_LEN + 8];
                    snprintf(pair, sizeof pair, "S2 %s x %s", s.pn[i], s.pn[k]);
                    printf("  %-54s", pair);
                    print_ci(&second[o * dd + i * d + k]);
                    printf("\n");
                }
        }
        fflush(stdout); /* the warnings after the table they are about */
        for (size_t k = 0; k < w.n; k++) fprintf(stderr, "tyndau: sensitivity: warning: %s\n", w.text[k]);
        char tmp[PATH_MAX + 48];
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        h5w hw;
        if (h5w_create(&hw, tmp) == 0) {
            hid_t f = hw.file;
            char text[400];
            h5w_provenance_version(&hw, f, "tyndau-sensitivity", "1.1", command_line);
            h5w_attr_str(&hw, f, "sweep_file", in);
            h5w_attr_str(&hw, f, "sweep_fingerprint", s.fingerprint);
            h5w_attr_str(&hw, f, "sweep_git_commit", s.git_commit);
            h5w_attr_str(&hw, f, "sweep_seed", s.seed);
            h5w_attr_int(&hw, f, "sweep_agents", s.agents);
            h5w_attr_str(&hw, f, "design", s.design);
            h5w_attr_str(&hw, f, "layout", s.layout_name);
            h5w_attr_int(&hw, f, "second_order", so);
            h5w_attr_int(&hw, f, "base_rows", (long long)n);
            h5w_attr_int(&hw, f, "replicates", s.R);
            h5w_attr_int(&hw, f, "noise_runs", s.K);
            snprintf(text, sizeof text, "the %lld replicate(s) of each point are averaged (failed runs left out) "
                     "before the indices are computed: the indices are those of the point means", s.R);
            h5w_attr_str(&hw, f, "replicate_handling", text);
            h5w_attr_str(&hw, f, "noise_source", s.R > 1 ? "replicates" : s.K > 0 ? "noise_runs" : "none");
            h5w_attr_str(&hw, f, "method", sobol ? "Sobol indices: first order (Saltelli et al. 2010), total (Jansen "
                                                   "1999), second order (Saltelli 2002), as SALib.analyze.sobol"
                                                 : "Morris elementary effects: mu* (Campolongo et al. 2007), mu, "
                                                   "sigma (Morris 1991), as SALib.analyze.morris");
            h5w_attr_str(&hw, f, "estimators", sobol ? estimators_text : morris_text);
            h5w_attr_str(&hw, f, "references", references_text);
            h5w_attr_int(&hw, f, "bootstrap", (long long)boot);
            h5w_attr_f64(&hw, f, "level", level);
            snprintf(text, sizeof text, "%" PRIu64, seed);
            h5w_attr_str(&hw, f, "bootstrap_seed", text);
            const char **pp = malloc(d * sizeof *pp), **oo = malloc(no * sizeof *oo);
            const char **ww = malloc((w.n ? w.n : 1) * sizeof *ww);
            if (!pp || !oo || !ww) {
                free(pp), free(oo), free(ww);
                h5w_close(&hw);
                unlink(tmp);
                cfg_say(err, sizeof err, "out of memory");
                rc = 1;
            } else {
                for (size_t i = 0; i < d; i++) pp[i] = s.pn[i];
                for (size_t o = 0; o < no; o++) oo[o] = s.on[o];
                for (size_t k = 0; k < w.n; k++) ww[k] = w.text[k];
                h5w_strs(&hw, f, "parameter", pp, d);
                h5w_strs(&hw, f, "output", oo, no);
                h5w_strs(&hw, f, "warnings", ww, w.n);
                h5w_describe(&hw, f, "warnings", "what makes these indices unreliable (also printed)");
                h5w_f64(&hw, f, "noise_share", share, no, 0);
                h5w_describe(&hw, f, "noise_share", "mean noise variance of a point mean / variance of the point "
                             "means; NaN: one replicate and no noise runs");
                h5w_f64(&hw, f, "noise_variance", nvar, no, 0);
                h5w_describe(&hw, f, "noise_variance", "mean noise variance of a point mean (the output's units "
                             "squared): within-point variance / replicates, or from the noise runs");
                if (sobol) {
                    const char *dims = "[output][parameter]", *dims2 = "[output][parameter i][parameter k], i < k "
                                                                      "(NaN elsewhere)";
                    put_ci(&hw, f, "first", first, no, d, 0, dims, buf);
                    put_ci(&hw, f, "total", total, no, d, 0, dims, buf);
                    if (so) put_ci(&hw, f, "second", second, no, d, 1, dims2, buf);
                    if (noisy) {
                        put_ci(&hw, f, "first_adj", first_adj, no, d, 0, "corrected for replicate noise; [output][parameter]",
                               buf);
                        put_ci(&hw, f, "total_adj", total_adj, no, d, 0, "corrected for replicate noise; [output][parameter]",
                               buf);
                        if (so)
                            put_ci(&hw, f, "second_adj", second_adj, no, d, 1,
                                   "corrected for replicate noise; [output][parameter i][parameter k]", buf);
                    }
                    put_ci(&hw, f, "first_sum", fsum, no, 0, 0, "sum of the first-order indices; [output]", buf);
                    h5w_f64(&hw, f, "variance", var, no, 0);
                    h5w_describe(&hw, f, "variance", "V: variance of the point means of the A and B rows (divided by "
                                 "2n), the output's units squared");
                } else {
                    put_ci(&hw, f, "mu_star", first, no, d, 0, "mean |elementary effect|; [output][parameter]", buf);
                    put_ci(&hw, f, "sigma", total, no, d, 0, "SD of the elementary effects; [output][parameter]", buf);
                    put_ci(&hw, f, "mu", first_adj, no, d, 0, "mean elementary effect; [output][parameter]", buf);
                }
                free(pp), free(oo), free(ww);
            }
        }
        if (rc == 0) {
            if (h5w_close(&hw) != 0) {
                cfg_say(err, sizeof err, "%s: cannot write: %s", out, hw.msg);
                unlink(tmp);
                rc = 1;
            } else if (rename(tmp, out) != 0) {
                cfg_say(err, sizeof err, "%s: cannot rename %s to it", out, tmp);
                unlink(tmp);
                rc = 1;
            } else {
                printf("\nwrote %s%s\n", out, w.n ? " (with warnings: see above and /warnings)" : "");
            }
        }
    }
    if (rc != 0) fprintf(stderr, "tyndau: %s\n", err);
    gsl_rng_free(rng);
    sweep_in_free(&s);
    free(first), free(total), free(second), free(first_adj), free(total_adj), free(second_adj), free(fsum);
    free(share), free(nvar), free(var), free(yb), free(nb), free(buf), free(ps.mean), free(ps.noise), free(w.text);
    return rc;
}
