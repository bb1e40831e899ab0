/*
 * compare.c - `tyndau compare A.ini B.ini ...`: replicates of every scenario with common
 * random numbers, the headline measures (MODEL_BRIEF s8) per scenario and group, and
 * each scenario's difference from the first, with 95% confidence intervals.
 *
 * Jobs.  Scenario s (0 .. S-1) and replicate r (0 .. R-1) make job j = s R + r, run with the
 * model seed many_seed(root, K_COMPARE, r, 0): replicate r of every scenario has the same
 * seed, so, the model's random numbers being drawn citizen by citizen (docs/ODD.md s9), two
 * scenarios differ only where their parameters make citizens or offices act differently
 * (common random numbers).  With --independent the seed is many_seed(root, K_COMPARE, r,
 * s + 1): every run has its own, for measuring what common random numbers gain.
 *
 * The runs go through the studies' engine (src/engine/batch.c): OpenMP threads and MPI ranks, part
 * files, failures recorded, --resume.  On the merged file the summary is computed:
 *
 *   per scenario and output: the mean over the replicates that succeeded, its standard
 *   deviation and the 95% interval mean +- t(0.975, n-1) sd / sqrt(n);
 *   per scenario and output, the difference from the first scenario: with common random
 *   numbers, the mean of the paired differences over replicates where both runs
 *   succeeded, with its t interval; with --independent, the difference of the means
 *   with Welch's interval (Welch-Satterthwaite degrees of freedom).  Both widths are
 *   kept: the paired one and the unpaired one computed from the same runs'
 *   marginal spreads, i.e. what independent seeds would have given in expectation; and the
 *   spread over replicates of the paired difference (sd, 2.5% and 97.5% quantiles).
 *
 * --posterior CALIB.h5 (posterior.c): replicate r of every scenario at the calibrated parameters of
 * particle pick[r] of the calibration's final generation, and the extra jobs S R + j (/mc_only)
 * the same runs at the posterior medians, so that the spread of a difference with parameter
 * uncertainty and Monte Carlo noise stands beside that of Monte Carlo noise alone.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "cli.h"
#include "commands.h"
#include "compare/posterior.h"
#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/many.h"
#include "h5.h"
#include "headline.h"
#include "scenario.h"
#include "targets.h"
#include "tyndau.h"

#define SCHEMA_NAME "tyndau-compare"
#define SCHEMA_VERSION "2.2"
#define SCHEMA_MAJOR 2

enum { K_COMPARE = 201 };
#define MAX_SCENARIOS 64
#define N_OUT (N_HEADLINE * TYNDAU_N_GROUP + N_GAP)
/* --series: weekly values of these measures for the groups before TYNDAU_GROUP_SEX (all, age,
 * income, settlement), after the N_OUT whole-run outputs */
static const tyndau_headline series_measures[] = {HL_VOICE_RATE, HL_RESOLUTION_RATE, HL_TRUST_CENTRAL, HL_TRUST_LOCAL};
#define N_SERIES_MEASURES (sizeof series_measures / sizeof *series_measures)
#define N_SERIES_GROUPS TYNDAU_GROUP_SEX

typedef struct {
    size_t S, R, agents;
    uint64_t seed;
    int independent, series;
    size_t n_out, n_weeks; /* N_OUT, and with --series the weekly outputs too */
    tyndau_scenario sc[MAX_SCENARIOS];
    tyndau_params p[MAX_SCENARIOS];
    char (*out_name)[96]; /* [n_out] */
    const char **out_ptr;
    const char *command_line;
    char *sources, *texts; /* every scenario's source, and text with its inherited files: provenance */
    int ranks, threads;
    /* --posterior: the calibration's particles, replicate r's particle pick[r], and use[s][q]: 1 when
       scenario s takes calibrated parameter q from the posterior (0: it sets the parameter itself) */
    int posterior;
    cmp_posterior post;
    size_t *pick;
    unsigned char use[MAX_SCENARIOS][CMP_MAXQ];
    const char *inputs[MAX_SCENARIOS + 1];
} cmp_ctx;

static uint64_t seed_of(const cmp_ctx *c, size_t s, size_t r)
{
    return many_seed(c->seed, K_COMPARE, r, c->independent ? s + 1 : 0);
}

/* The outputs of a finished model: every headline measure of every group, then the gaps. */
static tyndau_status extract(const tyndau_model *m, double *out, tyndau_error *err, void *user)
{
    (void)err;
    const cmp_ctx *c = user;
    for (size_t o = 0; o < (size_t)N_HEADLINE * TYNDAU_N_GROUP; o++)
        out[o] = tyndau_model_headline(m, (tyndau_headline)(o / TYNDAU_N_GROUP), (int)(o % TYNDAU_N_GROUP));
    for (size_t g = 0; g < N_GAP; g++) out[(size_t)N_HEADLINE * TYNDAU_N_GROUP + g] = tyndau_model_gap(m, (tyndau_gap)g);
    /* weekly series: week w is days [7w, 7w + 7), the last one possibly shorter */
    int n_days = tyndau_model_days(m);
    double *o = out + N_OUT;
    for (size_t k = 0; c != NULL && c->series && k < N_SERIES_MEASURES; k++)
        for (int g = 0; g < N_SERIES_GROUPS; g++)
            for (size_t w = 0; w < c->n_weeks; w++) {
                int d0 = 7 * (int)w, d1 = d0 + 7 < n_days ? d0 + 7 : n_days;
                *o++ = tyndau_model_headline_days(m, series_measures[k], g, d0, d1);
            }
    return TYNDAU_OK;
}

/* Job j < S R: scenario s = j / R, replicate r = j % R; with --posterior at particle pick[r] of the
 * calibration, and jobs S R + j (the extra group /mc_only) the same run at the posterior medians:
 * Monte Carlo noise alone. */
static tyndau_status run_job(size_t j, double *out, tyndau_error *err, void *user)
{
    const cmp_ctx *c = user;
    size_t J = c->S * c->R, fixed = j >= J, jj = fixed ? j - J : j;
    size_t s = jj / c->R, r = jj % c->R;
    if (!c->posterior) return many_model(&c->p[s], NULL, NULL, 0, c->agents, seed_of(c, s, r), extract, (void *)c, out, err);
    tyndau_params p = c->p[s];
    const double *v = fixed ? c->post.median : c->post.x + c->pick[r] * c->post.k;
    for (size_t q = 0; q < c->post.k; q++)
        if (c->use[s][q]) tyndau_params_put(&p, (size_t)c->post.param[q], v[q]);
    return many_model(&p, NULL, NULL, 0, c->agents, seed_of(c, s, r), extract, (void *)c, out, err);
}

/* ---- the file ---- */

/* The dated changes of p as text, one "DATE NAME = VALUE" line each (the caller frees it). */
static char *dated_changes(const tyndau_params *p)
{
    char *text = tyndau_calloc((size_t)p->n_changes * 112 + 1, 1);
    tyndau_params q = *p;
    for (int k = 0; text && k < p->n_changes; k++) {
        char d[16], v[48], line[112];
        tyndau_date_format(p->changes[k].date, d, sizeof d);
        tyndau_params_put(&q, (size_t)p->changes[k].param, p->changes[k].value);
        tyndau_params_format(&q, (size_t)p->changes[k].param, v, sizeof v);
        snprintf(line, sizeof line, "%s %s = %s\n", d, tyndau_param_table[p->changes[k].param].name, v);
        strcat(text, line);
    }
    return text;
}

/* /posterior: where the replicates' parameters came from (--posterior). */
static void write_posterior(tyndau_h5 *h, const cmp_ctx *c)
{
    const cmp_posterior *q = &c->post;
    size_t k = q->k, R = c->R, S = c->S;
    hid_t g = tyndau_h5_group(h, h->file, "posterior",
                              "--posterior: replicate r of every scenario runs with the calibrated parameters of "
                              "particle[r] of the calibration's final generation (equal weights: a uniform draw from "
                              "many_stream(seed, 202, r, 0)), with its usual model seed (common random numbers); "
                              "/mc_only holds the same runs at the posterior medians (Monte Carlo noise alone). A "
                              "scenario whose own value of a parameter differs from the first scenario's keeps it "
                              "(uses = 0).");
    tyndau_h5_attr_str(h, g, "calibration", q->path);
    tyndau_h5_attr_i64(h, g, "generation", (int64_t)q->generation);
    tyndau_h5_attr_i64(h, g, "particles", (int64_t)q->N);
    tyndau_h5_attr_f64(h, g, "beta", q->beta);
    tyndau_h5_attr_str(h, g, "not_parameters", q->skipped);
    const char *nm[CMP_MAXQ];
    for (size_t i = 0; i < k; i++) nm[i] = q->name[i];
    tyndau_h5_vector(h, g, "parameter", TYNDAU_H5_STR, k, nm, "parameter", "The calibrated parameters.", "none");
    tyndau_h5_vector(h, g, "median", TYNDAU_H5_F64, k, q->median, "parameter",
                     "Posterior median of each (the parameters of /mc_only).", "each parameter's own");
    int64_t *pk = tyndau_calloc(R, sizeof *pk);
    double *v = tyndau_calloc(R * k, sizeof *v);
    int *use = tyndau_calloc(S * k, sizeof *use);
    if (!pk || !v || !use) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory");
    for (size_t r = 0; pk && v && r < R; r++) {
        pk[r] = (int64_t)c->pick[r];
        memcpy(v + r * k, q->x + c->pick[r] * k, k * sizeof *v);
    }
    for (size_t s = 0; use && s < S; s++)
        for (size_t i = 0; i < k; i++) use[s * k + i] = c->use[s][i];
    tyndau_h5_vector(h, g, "particle", TYNDAU_H5_I64, R, pk, "replicate", "The particle of each replicate.", "none");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "value", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {R, k},
                                              .data = v, .axes = "replicate,parameter",
                                              .description = "The calibrated parameters of each replicate.",
                                              .units = "each parameter's own"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "uses", .kind = TYNDAU_H5_I32, .rank = 2, .dims = {S, k},
                                              .data = use, .axes = "scenario,parameter",
                                              .description = "1: the scenario takes the parameter from the "
                                                             "posterior; 0: it sets the parameter itself.",
                                              .units = "none"});
    free(pk), free(v), free(use);
    tyndau_h5_close_obj(h, g);
}

static void header(tyndau_h5 *h, void *user)
{
    const cmp_ctx *c = user;
    hid_t f = h->file;
    tyndau_h5_prov prov = cli_provenance(SCHEMA_NAME, SCHEMA_VERSION, c->command_line);
    prov.seed = c->seed;
    prov.threads = c->threads, prov.ranks = c->ranks;
    prov.scenario_source = c->sources;
    prov.scenario_text = c->texts;
    prov.legacy_names = 1;
    tyndau_h5_provenance(h, f, &prov);
    tyndau_h5_attr_i64(h, f, "agents", (int64_t)c->agents);
    tyndau_h5_attr_i64(h, f, "scenarios", (int64_t)c->S);
    tyndau_h5_attr_i64(h, f, "replicates", (int64_t)c->R);
    tyndau_h5_attr_str(h, f, "random_numbers", c->independent ? "independent" : "common");
    tyndau_h5_attr_str(h, f, "seeds",
                       c->independent
                           ? "model seed of run (scenario s, replicate r) = many_seed(seed, 201, r, s + 1) "
                             "(src/engine/many.c)"
                           : "model seed of run (scenario s, replicate r) = many_seed(seed, 201, r, 0): the same for "
                             "every scenario (common random numbers)");
    tyndau_h5_attr_str(h, f, "jobs", "job j = s x replicates + r for scenario s, replicate r (rows of /runs)");
    tyndau_h5_attr_str(h, f, "citation", "Survey figures: " TYNDAU_SURVEY_CITATION);
    hid_t g = tyndau_h5_group(h, f, "scenarios",
                              "The scenarios in command-line order (the first is the reference of the differences): "
                              "name, source, description, text and inherited files verbatim, every parameter on "
                              "start_date (parameter_value [scenario x parameter], parameter_name) and the dated "
                              "changes as text.");
    const char *names[MAX_SCENARIOS], *src[MAX_SCENARIOS], *desc[MAX_SCENARIOS], *text[MAX_SCENARIOS];
    const char *inherited[MAX_SCENARIOS];
    char *bases[MAX_SCENARIOS], *changes[MAX_SCENARIOS];
    for (size_t s = 0; s < c->S; s++) {
        names[s] = c->sc[s].name;
        src[s] = c->sc[s].source;
        desc[s] = c->sc[s].description;
        text[s] = c->sc[s].text;
        bases[s] = tyndau_scenario_joined_text(&c->sc[s], NULL);
        changes[s] = dated_changes(&c->p[s]);
        inherited[s] = bases[s] ? bases[s] : "";
        if (bases[s] == NULL || changes[s] == NULL) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory");
    }
    const char *sd = "scenario";
    tyndau_h5_vector(h, g, "name", TYNDAU_H5_STR, c->S, names, sd, "The scenario's name.", "none");
    tyndau_h5_vector(h, g, "source", TYNDAU_H5_STR, c->S, src, sd, "The scenario file.", "none");
    tyndau_h5_vector(h, g, "description", TYNDAU_H5_STR, c->S, desc, sd, "The scenario's description.", "none");
    tyndau_h5_vector(h, g, "text", TYNDAU_H5_STR, c->S, text, sd, "The scenario file's text, verbatim.", "none");
    tyndau_h5_vector(h, g, "inherited", TYNDAU_H5_STR, c->S, inherited, sd,
                     "The texts of the files the scenario inherits from, outermost first, each after a line "
                     "'; ---- inherited: SOURCE'.", "none");
    tyndau_h5_vector(h, g, "dated_changes", TYNDAU_H5_STR, c->S, (const char *const *)changes, sd,
                     "The dated changes, one 'YYYY-MM-DD NAME = VALUE' line each.", "none");
    const char *pn[512];
    size_t np = tyndau_n_params < 512 ? tyndau_n_params : 512;
    double *pv = tyndau_calloc(c->S * np, sizeof *pv);
    if (pv == NULL) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory");
    for (size_t i = 0; i < np; i++) pn[i] = tyndau_param_table[i].name;
    for (size_t s = 0; pv && s < c->S; s++)
        for (size_t i = 0; i < np; i++) pv[s * np + i] = tyndau_params_get(&c->p[s], i);
    tyndau_h5_vector(h, g, "parameter_name", TYNDAU_H5_STR, np, pn, "parameter", "Every parameter's name.", "none");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "parameter_value", .kind = TYNDAU_H5_F64, .rank = 2,
                                              .dims = {c->S, np}, .data = pv, .axes = "scenario,parameter",
                                              .description = "Every parameter of each scenario on start_date (dates "
                                                             "as days since 1970-01-01).",
                                              .units = "each parameter's own (docs/parameters.md)"});
    free(pv);
    for (size_t s = 0; s < c->S; s++) free(bases[s]), free(changes[s]);
    tyndau_h5_close_obj(h, g);
    if (c->posterior) write_posterior(h, c);
}

/* t quantile for a two-sided 95% interval; NaN without degrees of freedom */
static double t975(double df) { return df > 0 ? gsl_cdf_tdist_Pinv(0.975, df) : NAN; }

typedef struct {
    double *mean, *sd, *lo, *hi, *n;                      /* [S][O] */
    double *dmean, *dlo, *dhi, *dhalf_paired, *dhalf_unpaired; /* [S][O] */
} summary;

static void summarise(const cmp_ctx *c, const double *y, const int *status, summary *m)
{
    size_t S = c->S, R = c->R, O = c->n_out;
    for (size_t s = 0; s < S; s++)
        for (size_t o = 0; o < O; o++) {
            size_t k = s * O + o;
            double sum = 0, sum2 = 0, n = 0;
            for (size_t r = 0; r < R; r++) {
                double v = y[(s * R + r) * O + o];
                if (status[s * R + r] != 0 || !isfinite(v)) continue;
                sum += v, n += 1;
            }
            double mu = n > 0 ? sum / n : NAN;
            for (size_t r = 0; r < R; r++) {
                double v = y[(s * R + r) * O + o];
                if (status[s * R + r] != 0 || !isfinite(v)) continue;
                sum2 += (v - mu) * (v - mu);
            }
            double sd = n > 1 ? sqrt(sum2 / (n - 1)) : NAN, half = t975(n - 1) * sd / sqrt(n);
            m->mean[k] = mu, m->sd[k] = sd, m->n[k] = n;
            m->lo[k] = mu - half, m->hi[k] = mu + half;
        }
    for (size_t s = 0; s < S; s++)
        for (size_t o = 0; o < O; o++) {
            size_t k = s * O + o;
            /* paired: replicates where both runs succeeded and the measure is defined */
            double sum = 0, sum2 = 0, n = 0;
            for (size_t r = 0; r < R; r++) {
                double a = y[(s * R + r) * O + o], b = y[r * O + o];
                if (status[s * R + r] != 0 || status[r] != 0 || !isfinite(a) || !isfinite(b)) continue;
                sum += a - b, n += 1;
            }
            double dmu = n > 0 ? sum / n : NAN;
            for (size_t r = 0; r < R; r++) {
                double a = y[(s * R + r) * O + o], b = y[r * O + o];
                if (status[s * R + r] != 0 || status[r] != 0 || !isfinite(a) || !isfinite(b)) continue;
                sum2 += (a - b - dmu) * (a - b - dmu);
            }
            double half_p = n > 1 ? t975(n - 1) * sqrt(sum2 / (n - 1)) / sqrt(n) : NAN;
            /* unpaired (Welch), from the two scenarios' own spreads */
            double v1 = m->sd[k] * m->sd[k] / m->n[k], v0 = m->sd[o] * m->sd[o] / m->n[o];
            double df = (v1 + v0) * (v1 + v0) /
                        (v1 * v1 / (m->n[k] - 1) + v0 * v0 / (m->n[o] - 1));
            double half_u = v1 + v0 > 0 ? t975(df) * sqrt(v1 + v0) : (v1 + v0 == 0 ? 0.0 : NAN);
            if (s == 0) dmu = 0.0, half_p = 0.0, half_u = 0.0;
            m->dhalf_paired[k] = half_p;
            m->dhalf_unpaired[k] = half_u;
            if (c->independent) dmu = m->mean[k] - m->mean[o];
            double half = c->independent ? half_u : half_p;
            m->dmean[k] = dmu;
            m->dlo[k] = dmu - half, m->dhi[k] = dmu + half;
        }
}

/* The spread over replicates of each scenario's paired difference from the first: its sd and its
 * 2.5% and 97.5% quantiles (where the difference of one replicate falls: with --posterior, parameter
 * uncertainty and Monte Carlo noise together), [S][O] each. */
static void spread(const cmp_ctx *c, const double *y, const int *status, double *sd, double *q025, double *q975)
{
    size_t S = c->S, R = c->R, O = c->n_out;
    double *d = tyndau_calloc(R, sizeof *d);
    for (size_t s = 0; s < S; s++)
        for (size_t o = 0; o < O; o++) {
            size_t n = 0, k = s * O + o;
            for (size_t r = 0; d && r < R; r++) {
                double a = y[(s * R + r) * O + o], b = y[r * O + o];
                if (status[s * R + r] != 0 || status[r] != 0 || !isfinite(a) || !isfinite(b)) continue;
                d[n++] = a - b;
            }
            sd[k] = n > 1 ? gsl_stats_sd(d, 1, n) : NAN;
            if (n > 0) gsl_sort(d, 1, n);
            q025[k] = n > 0 ? gsl_stats_quantile_from_sorted_data(d, 1, n, 0.025) : NAN;
            q975[k] = n > 0 ? gsl_stats_quantile_from_sorted_data(d, 1, n, 0.975) : NAN;
        }
    free(d);
}

/* With --posterior: the runs of /mc_only (the posterior medians) summarised as /runs are, and the
 * spreads side by side, into /summary (mc_*, spread_ratio). */
static void finish_posterior(tyndau_h5 *h, const cmp_ctx *c, hid_t g, const double *diff_sd)
{
    size_t S = c->S, R = c->R, O = c->n_out, J = S * R;
    double *y = tyndau_calloc(J * O, sizeof *y), *buf = tyndau_calloc(14 * S * O, sizeof *buf);
    int *status = tyndau_calloc(J, sizeof *status);
    if (!y || !status || !buf) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory for the summary");
    tyndau_h5_read(h, h->file, "/mc_only/y", TYNDAU_H5_F64, J * O, y);
    tyndau_h5_read(h, h->file, "/mc_only/status", TYNDAU_H5_I32, J, status);
    if (h->st == TYNDAU_OK) {
        double *b[14];
        for (int k = 0; k < 14; k++) b[k] = buf + (size_t)k * S * O;
        summary m = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]};
        summarise(c, y, status, &m);
        spread(c, y, status, b[10], b[11], b[12]);
        for (size_t k = 0; k < S * O; k++) b[13][k] = k >= O && b[10][k] > 0 ? diff_sd[k] / b[10][k] : NAN;
        static const struct {
            int col;
            const char *name, *what;
        } w[] = {{0, "mc_mean", "/mc_only (posterior medians, Monte Carlo noise alone): mean over the replicates."},
                 {1, "mc_sd", "/mc_only: standard deviation over the replicates."},
                 {5, "mc_diff_mean", "/mc_only: difference from the first scenario."},
                 {6, "mc_diff_lo", "/mc_only: lower end of the difference's 95% interval."},
                 {7, "mc_diff_hi", "/mc_only: upper end of the difference's 95% interval."},
                 {10, "mc_diff_sd", "/mc_only: sd over replicates of the paired difference."},
                 {11, "mc_diff_q025", "/mc_only: 2.5% quantile over replicates of the paired difference."},
                 {12, "mc_diff_q975", "/mc_only: 97.5% quantile over replicates of the paired difference."},
                 {13, "spread_ratio", "diff_sd / mc_diff_sd: how much wider the spread of a replicate's difference "
                                      "is with the posterior's parameter uncertainty than with Monte Carlo noise "
                                      "alone (NaN for the first scenario)."}};
        for (size_t k = 0; k < sizeof w / sizeof *w; k++)
            tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = w[k].name, .kind = TYNDAU_H5_F64, .rank = 2,
                                                      .dims = {S, O}, .data = b[w[k].col], .axes = "scenario,output",
                                                      .description = w[k].what,
                                                      .units = w[k].col == 13 ? "1" : "each output's own"});
    }
    free(y), free(status), free(buf);
}

static void finish(tyndau_h5 *h, void *user)
{
    const cmp_ctx *c = user;
    size_t S = c->S, R = c->R, O = c->n_out, J = S * R;
    double *y = tyndau_calloc(J * O, sizeof *y);
    int *status = tyndau_calloc(J, sizeof *status);
    double *buf = tyndau_calloc(13 * S * O, sizeof *buf);
    if (!y || !status || !buf) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory for the summary");
    tyndau_h5_read(h, h->file, "/runs/y", TYNDAU_H5_F64, J * O, y);
    tyndau_h5_read(h, h->file, "/runs/status", TYNDAU_H5_I32, J, status);
    if (h->st == TYNDAU_OK) {
        summary m = {buf, buf + S * O, buf + 2 * S * O, buf + 3 * S * O, buf + 4 * S * O,
                     buf + 5 * S * O, buf + 6 * S * O, buf + 7 * S * O, buf + 8 * S * O, buf + 9 * S * O};
        summarise(c, y, status, &m);
        hid_t g = tyndau_h5_group(h, h->file, "summary",
                                  "Per scenario (rows, /scenarios order) and output (columns, /runs/output): mean over "
                                  "the replicates that succeeded (n), sd, 95% interval [lo, hi] = mean +- t(0.975, "
                                  "n-1) sd/sqrt(n); the difference from the first scenario (diff_mean, 95% interval "
                                  "[diff_lo, diff_hi]: paired over replicates under common random numbers, Welch's "
                                  "otherwise), and the half-widths of the difference's interval paired "
                                  "(diff_halfwidth_paired) and unpaired (diff_halfwidth_unpaired, from the two "
                                  "scenarios' own spreads: what independent seeds give in expectation); the spread "
                                  "over replicates of the paired difference (diff_sd, diff_q025, diff_q975); with "
                                  "--posterior the same of /mc_only (mc_*) and spread_ratio = diff_sd / mc_diff_sd.");
        tyndau_h5_attr_str(h, g, "random_numbers", c->independent ? "independent" : "common");
        tyndau_h5_attr_str(h, g, "interval", "95%, Student t");
        tyndau_h5_vector(h, g, "output", TYNDAU_H5_STR, O, c->out_ptr, "output", "Name of each output (the columns).",
                         "none");
        static const char *const nm[10] = {"mean", "sd", "lo", "hi", "n", "diff_mean", "diff_lo", "diff_hi",
                                           "diff_halfwidth_paired", "diff_halfwidth_unpaired"};
        spread(c, y, status, buf + 10 * S * O, buf + 11 * S * O, buf + 12 * S * O);
        static const char *const nm2[3] = {"diff_sd", "diff_q025", "diff_q975"};
        static const char *const what2[3] = {
            "Standard deviation over the replicates of the paired difference from the first scenario.",
            "2.5% quantile over the replicates of the paired difference (with --posterior: parameter "
            "uncertainty and Monte Carlo noise).",
            "97.5% quantile over the replicates of the paired difference."};
        static const char *const what[10] = {
            "Mean over the replicates that succeeded.", "Standard deviation over the replicates.",
            "Lower end of the mean's 95% interval.", "Upper end of the mean's 95% interval.",
            "Replicates that succeeded (and gave a finite value).", "Difference from the first scenario.",
            "Lower end of the difference's 95% interval.", "Upper end of the difference's 95% interval.",
            "Half-width of the paired interval of the difference.",
            "Half-width of the unpaired (Welch) interval of the difference."};
        for (int k = 0; k < 10; k++)
            tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = nm[k], .kind = TYNDAU_H5_F64, .rank = 2, .dims = {S, O},
                                                      .data = buf + (size_t)k * S * O, .axes = "scenario,output",
                                                      .description = what[k],
                                                      .units = k == 4 ? "replicates" : "each output's own"});
        for (int k = 0; k < 3; k++)
            tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = nm2[k], .kind = TYNDAU_H5_F64, .rank = 2, .dims = {S, O},
                                                      .data = buf + (size_t)(10 + k) * S * O, .axes = "scenario,output",
                                                      .description = what2[k], .units = "each output's own"});
        if (c->posterior) finish_posterior(h, c, g, buf + 10 * S * O);
        tyndau_h5_close_obj(h, g);
    }
    free(y), free(status), free(buf);
}

/* ---- the terminal table ---- */

static void print_table(const char *path, const cmp_ctx *c)
{
    tyndau_error err;
    tyndau_h5 h;
    size_t S = c->S, O = c->n_out;
    double *mean = tyndau_calloc(S * O, sizeof *mean), *dm = tyndau_calloc(S * O, sizeof *dm);
    double *dlo = tyndau_calloc(S * O, sizeof *dlo), *dhi = tyndau_calloc(S * O, sizeof *dhi);
    /* --posterior: the spreads over replicates, with the posterior and with Monte Carlo noise alone */
    double *sp = tyndau_calloc(5 * S * O, sizeof *sp);
    static const char *const spn[5] = {"diff_sd", "mc_diff_sd", "diff_q025", "diff_q975", "spread_ratio"};
    if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, &err) == TYNDAU_OK && mean && dm && dlo && dhi && sp) {
        tyndau_h5_read(&h, h.file, "/summary/mean", TYNDAU_H5_F64, S * O, mean);
        tyndau_h5_read(&h, h.file, "/summary/diff_mean", TYNDAU_H5_F64, S * O, dm);
        tyndau_h5_read(&h, h.file, "/summary/diff_lo", TYNDAU_H5_F64, S * O, dlo);
        tyndau_h5_read(&h, h.file, "/summary/diff_hi", TYNDAU_H5_F64, S * O, dhi);
        for (int k = 0; c->posterior && k < 5; k++) {
            char nm[64];
            snprintf(nm, sizeof nm, "/summary/%s", spn[k]);
            tyndau_h5_read(&h, h.file, nm, TYNDAU_H5_F64, S * O, sp + (size_t)k * S * O);
        }
    }
    if (h.st == TYNDAU_OK && mean && dm && dlo && dhi && sp) {
        /* the total group's measures and the gaps */
        size_t cols[N_HEADLINE + N_GAP];
        size_t nc = 0;
        for (int k = 0; k < N_HEADLINE; k++) cols[nc++] = (size_t)k * TYNDAU_N_GROUP + TYNDAU_GROUP_TOTAL;
        for (int g = 0; g < N_GAP; g++) cols[nc++] = (size_t)N_HEADLINE * TYNDAU_N_GROUP + (size_t)g;
        printf("\n%zu replicates each, %s random numbers; value, then difference from '%s' [95%% CI]\n", c->R,
               c->independent ? "independent" : "common", c->sc[0].name);
        if (c->posterior)
            printf("parameters drawn from the posterior of %s (%zu particles); below each difference: its sd over "
                   "replicates with the posterior vs with Monte Carlo noise alone (the posterior medians), their "
                   "ratio, and where 95%% of the replicates' differences fall\n", c->post.path, c->post.N);
        for (size_t k = 0; k < nc; k++) {
            size_t o = cols[k];
            printf("\n%s\n", c->out_name[o]);
            for (size_t s = 0; s < S; s++) {
                printf("  %-28s %10.4f", c->sc[s].name, mean[s * O + o]);
                if (s > 0) printf("   %+9.4f [%+9.4f, %+9.4f]", dm[s * O + o], dlo[s * O + o], dhi[s * O + o]);
                printf("\n");
                size_t e = s * O + o, so = S * O;
                if (s > 0 && c->posterior)
                    printf("  %-28s %10s   sd %.4f posterior vs %.4f MC only (x%.2f); 95%% of replicates in "
                           "[%+.4f, %+.4f]\n", "", "", sp[e], sp[so + e], sp[4 * so + e], sp[2 * so + e],
                           sp[3 * so + e]);
            }
        }
    }
    free(mean), free(dm), free(dlo), free(dhi), free(sp);
    tyndau_h5_close(&h);
}

/* ---- the command ---- */

static const char usage_compare[] =
    "usage: tyndau compare A.ini B.ini ... [-o FILE.h5] [--replicates R] [--agents N] [--seed S]\n"
    "                      [--threads T] [--independent] [--posterior CALIB.h5] [--series] [--resume]\n"
    "                      [--quiet]\n"
    "\n"
    "Runs R replicates of every scenario (replicate r of each with the same seed: common\n"
    "random numbers), then reports the headline measures per scenario and group and each\n"
    "scenario's difference from the first, with 95% confidence intervals.  All scenarios\n"
    "must simulate the same period.  Under mpirun the runs are spread over ranks.\n"
    "\n"
    "  -o, --output FILE    output (default compare.h5), written under a temporary name\n"
    "  -r, --replicates R   replicates per scenario (default 20)\n"
    "  -n, --agents N       citizens per run (default 1000000)\n"
    "  -s, --seed S         root seed (default 1)\n"
    "  -t, --threads T      OpenMP threads (one model per thread)\n"
    "      --independent    a seed of its own for every run (to measure what common\n"
    "                       random numbers gain)\n"
    "      --posterior CALIB.h5  replicate r's calibrated parameters drawn from the final\n"
    "                       particles of a calibration (the same draw for every scenario),\n"
    "                       and the same runs again at the posterior medians (Monte Carlo\n"
    "                       noise alone, /mc_only): twice the runs; the summary gives both\n"
    "      --resume         continue an interrupted comparison to the same output\n"
    "      --series         also the weekly voice rate, resolution rate and trust (central,\n"
    "                       local) of all citizens and by age, income and settlement, as\n"
    "                       outputs series:MEASURE:GROUP_TYPE:GROUP:WEEK (about 4,300 more\n"
    "                       per run for 2 years: 34 KB a run in /runs/y and 340 KB a\n"
    "                       scenario in /summary)\n"
    "  -q, --quiet          no progress and no table\n"
    "  -h, --help           this text\n";

/* Every scenario's source, one a line, and its text with its inherited files, each after a
 * line "; ==== scenario K: SOURCE": what the file's provenance records (the caller frees both). */
static int joined_scenarios(cmp_ctx *c)
{
    size_t ls = 1, lt = 1;
    for (size_t s = 0; s < c->S; s++) {
        ls += strlen(c->sc[s].source) + 1;
        lt += strlen(c->sc[s].source) + strlen(c->sc[s].joined) + 40;
    }
    c->sources = tyndau_calloc(ls, 1), c->texts = tyndau_calloc(lt, 1);
    if (c->sources == NULL || c->texts == NULL) return -1;
    char *p = c->sources, *q = c->texts;
    for (size_t s = 0; s < c->S; s++) {
        p += sprintf(p, "%s%s", s ? "\n" : "", c->sc[s].source);
        q += sprintf(q, "; ==== scenario %zu: %s\n%s", s + 1, c->sc[s].source, c->sc[s].joined);
    }
    return 0;
}

/* --posterior: the calibration's particles, each replicate's draw, which scenario takes which
 * parameter, and all of it into the resume fingerprint. */
static tyndau_status posterior_setup(cmp_ctx *c, const char *path, uint64_t *fp, tyndau_error *err)
{
    tyndau_status st = cmp_posterior_load(&c->post, path, err);
    if (st != TYNDAU_OK) return st;
    c->posterior = 1;
    c->pick = tyndau_calloc(c->R, sizeof *c->pick);
    if (c->pick == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t r = 0; r < c->R; r++)
        if (cmp_posterior_pick(&c->post, c->seed, r, &c->pick[r]) != 0)
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t s = 0; s < c->S; s++)
        for (size_t q = 0; q < c->post.k; q++) {
            size_t i = (size_t)c->post.param[q];
            c->use[s][q] = tyndau_params_get(&c->p[s], i) == tyndau_params_get(&c->p[0], i);
        }
    *fp = cfg_hash(*fp, "posterior");
    *fp = cfg_hash_bytes(*fp, c->post.x, c->post.N * c->post.k * sizeof *c->post.x);
    for (size_t q = 0; q < c->post.k; q++) *fp = cfg_hash(*fp, c->post.name[q]);
    return TYNDAU_OK;
}

int tyndau_cmd_compare(int argc, char **argv, const char *command_line)
{
    static cmp_ctx c; /* large: not on the stack */
    memset(&c, 0, sizeof c);
    c.R = 20;
    c.agents = 1000000;
    c.seed = 1;
    c.command_line = command_line;
    const char *out = "compare.h5", *posterior = NULL;
    int resume = 0, quiet = 0, first = 0;
    size_t threads = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &out, 0, 0},
                            {"replicates", 'r', CLI_COUNT, &c.R, 2, 100000},
                            {"agents", 'n', CLI_COUNT, &c.agents, 1, UINT32_MAX - 1},
                            {"seed", 's', CLI_U64, &c.seed, 0, 0},
                            {"threads", 't', CLI_COUNT, &threads, 1, 1024},
                            {"independent", 0, CLI_FLAG, &c.independent, 0, 0},
                            {"posterior", 0, CLI_TEXT, &posterior, 0, 0},
                            {"series", 0, CLI_FLAG, &c.series, 0, 0},
                            {"resume", 0, CLI_FLAG, &resume, 0, 0},
                            {"quiet", 'q', CLI_FLAG, &quiet, 0, 0},
                            {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_compare, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    c.S = (size_t)(argc - first);
    if (c.S < 1 || c.S > MAX_SCENARIOS) {
        fprintf(stderr, "tyndau: compare: expected 1 to %d scenario files, got %zu\n%s", MAX_SCENARIOS, c.S,
                usage_compare);
        return 2;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    many_ctx mc;
    if (many_init(&mc, &argc, &argv, (int)threads, &err) != TYNDAU_OK) return cli_fail(&err);
    c.ranks = mc.size, c.threads = mc.threads;
    /* every scenario, checked before anything runs */
    tyndau_status st = TYNDAU_OK;
    uint64_t fp = cfg_hash(CFG_HASH_START, c.independent ? "independent" : "common");
    if (c.series) fp = cfg_hash(fp, "series");
    for (size_t s = 0; st == TYNDAU_OK && s < c.S; s++) {
        st = cli_scenario(&c.sc[s], &c.p[s], argv[first + (int)s], NULL, 0, &err);
        if (st == TYNDAU_OK && s > 0 &&
            (c.p[s].start_date != c.p[0].start_date || c.p[s].end_date != c.p[0].end_date)) {
            char a[16], b[16], a0[16], b0[16];
            tyndau_date_format(c.p[s].start_date, a, sizeof a), tyndau_date_format(c.p[s].end_date, b, sizeof b);
            tyndau_date_format(c.p[0].start_date, a0, sizeof a0), tyndau_date_format(c.p[0].end_date, b0, sizeof b0);
            st = TYNDAU_ERR(&err, TYNDAU_EINPUT,
                            "%s: simulates %s to %s but %s simulates %s to %s: expected scenarios over the same "
                            "period (their differences would mix the policy with the period)",
                            c.sc[s].source, a, b, c.sc[0].source, a0, b0);
        }
        if (st == TYNDAU_OK) fp = cfg_hash(fp, c.sc[s].joined);
    }
    if (st == TYNDAU_OK) st = cli_check_memory(&c.p[0], c.agents, mc.threads, "--agents", &err);
    char num[64];
    snprintf(num, sizeof num, "%zu %zu %" PRIu64, c.R, c.agents, c.seed);
    fp = cfg_hash(fp, num);
    if (st == TYNDAU_OK && posterior != NULL) st = posterior_setup(&c, posterior, &fp, &err);
    if (st == TYNDAU_OK && joined_scenarios(&c) != 0) st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    int n_days = c.p[0].end_date - c.p[0].start_date + 1;
    c.n_weeks = c.series ? (size_t)(n_days + 6) / 7 : 0;
    c.n_out = N_OUT + N_SERIES_MEASURES * N_SERIES_GROUPS * c.n_weeks;
    c.out_name = tyndau_calloc(c.n_out, sizeof *c.out_name);
    c.out_ptr = tyndau_calloc(c.n_out, sizeof *c.out_ptr);
    if (st == TYNDAU_OK && (c.out_name == NULL || c.out_ptr == NULL))
        st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t o = 0; st == TYNDAU_OK && o < c.n_out; o++) {
        if (o < (size_t)N_HEADLINE * TYNDAU_N_GROUP) {
            int g = (int)(o % TYNDAU_N_GROUP);
            snprintf(c.out_name[o], sizeof c.out_name[o], "%s:%s:%s", tyndau_headline_names[o / TYNDAU_N_GROUP],
                     tyndau_gtype_names[tyndau_group_type(g)], tyndau_group_name(g));
        } else if (o < N_OUT) {
            snprintf(c.out_name[o], sizeof c.out_name[o], "%s", tyndau_gap_names[o - (size_t)N_HEADLINE * TYNDAU_N_GROUP]);
        } else { /* series:MEASURE:GROUP_TYPE:GROUP:WEEK_START */
            size_t q = o - N_OUT, w = q % c.n_weeks, g = (q / c.n_weeks) % N_SERIES_GROUPS;
            size_t k = q / (c.n_weeks * N_SERIES_GROUPS);
            char d[16];
            tyndau_date_format(c.p[0].start_date + 7 * (int)w, d, sizeof d);
            snprintf(c.out_name[o], sizeof c.out_name[o], "series:%s:%s:%s:%s", tyndau_headline_names[series_measures[k]],
                     tyndau_gtype_names[tyndau_group_type((int)g)], tyndau_group_name((int)g), d);
        }
        c.out_ptr[o] = c.out_name[o];
    }
    size_t n_inputs = 0; /* the scenario files and the calibration: OUT may be none of them */
    for (size_t k = 0; k < c.S; k++) c.inputs[n_inputs++] = argv[first + (int)k];
    if (posterior != NULL) c.inputs[n_inputs++] = posterior;
    if (st == TYNDAU_OK) {
        batch_spec spec = {.what = "compare", .out = out, .resume = resume, .quiet = quiet, .n_jobs = c.S * c.R,
                           .n_out = c.n_out, .out_names = c.out_ptr, .fingerprint = fp, .schema_name = SCHEMA_NAME,
                           .schema_major = SCHEMA_MAJOR, .header = header, .job = run_job, .finish = finish,
                           .user = &c, .inputs = c.inputs, .n_inputs = n_inputs, .scenarios = c.sc,
                           .n_scenarios = c.S, .n_extra = c.posterior ? c.S * c.R : 0, .extra_group = "mc_only",
                           .extra_desc = "--posterior: the runs of /runs again (job j = s x replicates + r) at the "
                                         "posterior medians of the calibrated parameters: Monte Carlo noise alone"};
        if (mc.rank == 0 && !quiet)
            fprintf(stderr, "compare: %zu scenarios x %zu replicates of %zu agents, %s random numbers%s\n", c.S, c.R,
                    c.agents, c.independent ? "independent" : "common",
                    c.posterior ? "; parameters from the posterior, and again at its medians" : "");
        cli_size_warning(c.agents, mc.rank == 0 && !quiet ? stderr : NULL);
        st = batch_execute(&mc, &spec, &err);
    }
    rc = st == TYNDAU_OK ? 0 : mc.rank == 0 ? cli_fail(&err) : (int)st;
    if (rc == 0 && mc.rank == 0 && !quiet) print_table(out, &c);
    for (size_t s = 0; s < c.S; s++) tyndau_scenario_free(&c.sc[s]);
    free(c.sources), free(c.texts), free(c.pick);
    free(c.out_name), free(c.out_ptr);
    cmp_posterior_free(&c.post);
    many_finalize(&mc);
    return rc;
}
