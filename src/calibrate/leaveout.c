/*
 * leaveout.c - leave-one-family-out predictions scored with proper scoring rules (leaveout.h has
 * the scores and the null models; docs/calibration.md s6).
 *
 * Random numbers: the null's and the prior predictive's new surveys come from their own streams,
 * many_stream(seed, K_LO_NULL or K_LO_PRIOR, draw, row), and the prior predictive's simulations
 * from the seeds many_seed(seed, K_LO_PRIOR_SIM, 0, draw), so the scores are the same bits on any
 * thread or rank count, and --leave-out all's family f is --leave-out f.  The kinds are numbered
 * apart from calib.h's (100+) so that the two lists can grow independently.
 */
#include "leaveout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "cli.h"

enum { K_LO_NULL = 101, K_LO_PRIOR, K_LO_PRIOR_SIM };

#define LEAVE_SCHEMA_NAME "tyndau-leave-out"
#define LEAVE_SCHEMA_VERSION "1.0"

/* The families of the issue, mapped onto the survey's questions (data/survey_2021/marginals.csv). */
const calib_leave_family calib_leave_families[CALIB_N_LEAVE] = {
    {"table6", "Table 6: the authorities' attention (attention_central, attention_local)",
     {"attention_central", "attention_local", NULL}, 0},
    {"table7", "Table 7: the authorities contacted the residents (authorities_contacted)",
     {"authorities_contacted", NULL, NULL}, 0},
    {"principles", "the principle block (the seven principle_* items)", {"principle_*", NULL, NULL}, 0},
    {"meaning", "concept meanings (concept_meaning, of those aware of the concept)", {"concept_meaning", NULL, NULL},
     0},
    {"age", "the age breakdown of Table 3 (aware_concept by age)", {"aware_concept:age", NULL, NULL}, 1},
    {"income", "the income breakdown of Table 3 (aware_concept by income)", {"aware_concept:income", NULL, NULL}, 1},
};

double calib_interval_score(double lo, double hi, double y, double alpha)
{
    double s = hi - lo;
    if (y < lo) s += 2.0 / alpha * (lo - y);
    if (y > hi) s += 2.0 / alpha * (y - hi);
    return s;
}

double calib_log_mean_exp(const double *v, size_t n)
{
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    if (n == 0 || !isfinite(m)) return -INFINITY;
    for (size_t i = 0; i < n; i++) s += exp(v[i] - m);
    return m + log(s / (double)n);
}

tyndau_status calib_leave_find(const char *name, int *family, tyndau_error *err)
{
    if (strcmp(name, "all") == 0) {
        *family = -1;
        return TYNDAU_OK;
    }
    for (int f = 0; f < CALIB_N_LEAVE; f++)
        if (strcmp(name, calib_leave_families[f].name) == 0) {
            *family = f;
            return TYNDAU_OK;
        }
    return TYNDAU_ERR(err, TYNDAU_EINPUT, "--leave-out '%s': expected a question family, one of table6, table7, "
                      "principles, meaning, age, income, or all", name);
}

tyndau_status calib_leave_holdout(tyndau_obs *o, int family, char *joined, size_t len, tyndau_error *err)
{
    const calib_leave_family *F = &calib_leave_families[family];
    for (int s = 0; s < 3 && F->spec[s]; s++) {
        const char *sp = F->spec[s];
        size_t l = strlen(sp);
        if (sp[l - 1] == '*') { /* every question with the prefix, once */
            int any = 0;
            for (size_t r = 0; r < o->n_rows; r++) {
                const char *q = o->rows[r].question;
                if (strncmp(q, sp, l - 1) != 0 || o->rows[r].held_out) continue;
                tyndau_status st = tyndau_obs_holdout(o, q, err);
                if (st != TYNDAU_OK) return st;
                any = 1;
            }
            if (!any)
                return TYNDAU_ERR(err, TYNDAU_EINPUT, "--leave-out %s: the targets publish no question '%s'", F->name,
                                  sp);
        } else {
            tyndau_status st = tyndau_obs_holdout(o, sp, err);
            if (st != TYNDAU_OK) return st;
        }
        if (strlen(joined) + l + 2 < len) {
            if (joined[0]) strcat(joined, " ");
            strcat(joined, sp);
        }
    }
    return TYNDAU_OK;
}

/* Is row r of o in the family? (the specs above, matched as tyndau_obs_holdout matches them) */
static int in_family(const tyndau_obs_row *w, int family)
{
    const calib_leave_family *F = &calib_leave_families[family];
    for (int s = 0; s < 3 && F->spec[s]; s++) {
        const char *sp = F->spec[s], *colon = strchr(sp, ':');
        size_t l = colon ? (size_t)(colon - sp) : strlen(sp);
        if (sp[l - 1] == '*') {
            if (strncmp(w->question, sp, l - 1) == 0) return 1;
        } else if (strlen(w->question) == l && strncmp(w->question, sp, l) == 0 &&
                   (!colon || strcmp(w->group_type, colon + 1) == 0)) {
            return 1;
        }
    }
    return 0;
}

/* A new survey of row w at probabilities p under the error terms e (as the predictive check
 * draws one, obs.h): the percent of each published response into pct. */
static void draw_row(const tyndau_obs_row *w, const double *p, const double *shift, const tyndau_obs_error *e,
                     gsl_rng *r, double *pct)
{
    double q[TYNDAU_OBS_STRIDE];
    unsigned int cnt[TYNDAU_OBS_STRIDE];
    tyndau_obs_row_probs(w, p, q);
    unsigned int n = tyndau_obs_draw_row(w, q, shift, e, r, cnt);
    for (size_t j = 0; j < w->n_resp; j++) pct[j] = 100.0 * cnt[j] / (double)n;
}

/* The null "each group equals its total row" of a family's rows as probabilities [n_rows][STRIDE]
 * (NaN where the total lacks a response); 0, or -1 when a row has no total row. */
static int total_row_null(const tyndau_obs *o, int family, double *p)
{
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        for (size_t j = 0; j < TYNDAU_OBS_STRIDE; j++) p[r * TYNDAU_OBS_STRIDE + j] = NAN;
        if (!in_family(w, family)) continue;
        int t = tyndau_obs_find(o, w->question, "total", "all");
        if (t < 0 || (size_t)t == r) return -1;
        const tyndau_obs_row *v = &o->rows[t];
        double sum = 0.0;
        for (size_t j = 0; j < w->n_resp; j++)
            for (size_t k = 0; k < v->n_resp; k++)
                if (strcmp(v->response[k], w->response[j]) == 0) sum += p[r * TYNDAU_OBS_STRIDE + j] = v->share[k];
        if (w->has_rest) p[r * TYNDAU_OBS_STRIDE + w->n_resp] = fmax(0.0, 1.0 - sum);
        else
            for (size_t j = 0; j < w->n_resp; j++) p[r * TYNDAU_OBS_STRIDE + j] /= sum;
    }
    return 0;
}

/* A predictive distribution over the family: D draws, each with its parameters x [D][d] (their
 * error terms) and probabilities [D][n_out] (or one fixed vector `fixed` for every draw), status 0
 * when simulated.  Its log predictive density into *lpd, and, when kind > 0, its 90% interval of
 * every family cell into lo, hi from new surveys of stream kind. */
typedef struct {
    size_t D;
    const double *x, *probs, *fixed;
    const int *status;
} predictive;

static tyndau_status score(const calib_t *C, const predictive *P, int family, int kind, double *lpd, double *lo,
                           double *hi, tyndau_error *err)
{
    const tyndau_obs *o = &C->obs;
    size_t D = P->D, d = C->cfg.d, nc = 0;
    for (size_t r = 0; r < o->n_rows; r++) nc += in_family(&o->rows[r], family) ? o->rows[r].n_resp : 0;
    double *ll = tyndau_calloc(D, sizeof *ll), *pct = tyndau_calloc(D * (nc ? nc : 1), sizeof *pct);
    double *shift = tyndau_calloc(C->n_out, sizeof *shift);
    if (ll == NULL || pct == NULL || shift == NULL) {
        free(ll), free(pct), free(shift);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    size_t n_ok = 0;
    for (size_t k = 0; k < D; k++) {
        if (P->status[k]) continue;
        tyndau_obs_error e = calib_obs_error(C, P->x + k * d);
        const double *pk = P->fixed ? P->fixed : P->probs + k * C->n_out;
        double s = 0.0;
        size_t c = 0;
        if (kind > 0) { /* the slope discrepancy of the new surveys (obs_slope.c) */
            gsl_rng *rs = many_stream(C->cfg.seed, (uint64_t)kind, k, o->n_rows);
            if (rs != NULL) tyndau_obs_slope_draw(o, &e, rs, shift);
            gsl_rng_free(rs);
        }
        for (size_t r = 0; r < o->n_rows; r++) {
            const tyndau_obs_row *w = &o->rows[r];
            if (!in_family(w, family)) continue;
            s += tyndau_obs_row_loglik_err(w, pk + r * TYNDAU_OBS_STRIDE, &e);
            if (kind > 0) {
                double v[TYNDAU_OBS_STRIDE];
                gsl_rng *rr = many_stream(C->cfg.seed, (uint64_t)kind, k, r);
                if (rr == NULL) {
                    free(ll), free(pct), free(shift);
                    return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
                }
                draw_row(w, pk + r * TYNDAU_OBS_STRIDE, shift + r * TYNDAU_OBS_STRIDE, &e, rr, v);
                gsl_rng_free(rr);
                for (size_t j = 0; j < w->n_resp; j++, c++) pct[c * D + n_ok] = v[j];
            }
        }
        ll[n_ok++] = s;
    }
    *lpd = calib_log_mean_exp(ll, n_ok);
    for (size_t c = 0; kind > 0 && c < nc; c++) {
        double *v = pct + c * D;
        gsl_sort(v, 1, n_ok);
        lo[c] = n_ok ? gsl_stats_quantile_from_sorted_data(v, 1, n_ok, 0.5 * CALIB_LEAVE_ALPHA) : NAN;
        hi[c] = n_ok ? gsl_stats_quantile_from_sorted_data(v, 1, n_ok, 1.0 - 0.5 * CALIB_LEAVE_ALPHA) : NAN;
    }
    free(ll), free(pct), free(shift);
    return TYNDAU_OK;
}

/* The prior predictive: predictive_draws particles of generation 0 (the prior sample), spread
 * evenly, simulated with their own seeds. */
static tyndau_status prior_predictive(calib_t *C, double **x, double **probs, int **status, size_t *failed,
                                      tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    size_t D = c->predictive_draws, N = c->particles, d = c->d;
    *x = tyndau_calloc(D * d, sizeof **x), *probs = tyndau_calloc(D * C->n_out, sizeof **probs);
    *status = tyndau_calloc(D, sizeof **status);
    uint64_t *seed = tyndau_calloc(D, sizeof *seed);
    char(*msgs)[MANY_ERRLEN] = tyndau_calloc(D, sizeof *msgs);
    if (!*x || !*probs || !*status || !seed || !msgs) {
        free(seed), free(msgs);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t k = 0; k < D; k++) {
        memcpy(*x + k * d, C->gen[0].x + ((k * N) / D) * d, d * sizeof **x);
        seed[k] = many_seed(c->seed, K_LO_PRIOR_SIM, 0, k);
    }
    calib_simulate(C, *x, seed, D, *probs, *status, msgs, failed);
    free(seed), free(msgs);
    return TYNDAU_OK;
}

/* The scores of family f given the posterior predictive Q and the prior predictive pp. */
static tyndau_status score_family(calib_t *C, const calib_ppc *Q, const predictive *pp, int family,
                                  calib_leave_result *R, tyndau_error *err)
{
    const tyndau_obs *o = &C->obs;
    memset(R, 0, sizeof *R);
    R->family = family;
    R->draws = Q->draws;
    for (size_t i = 0; i < Q->n_cells; i++) {
        if (!in_family(&o->rows[Q->row[i]], family)) continue;
        if (R->n_cells == CALIB_LEAVE_MAX_CELLS)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "--leave-out %s: more than %d cells", calib_leave_families[family].name,
                              CALIB_LEAVE_MAX_CELLS);
        size_t c = R->n_cells++;
        R->row[c] = Q->row[i], R->resp[c] = Q->resp[i];
        R->observed[c] = Q->observed[i], R->median[c] = Q->median[i];
        R->lo[c] = Q->lo90[i], R->hi[c] = Q->hi90[i];
    }
    for (size_t r = 0; r < o->n_rows; r++) R->n_rows += (size_t)in_family(&o->rows[r], family);
    predictive post = {Q->draws, Q->draw_x, Q->draw_probs, NULL, Q->draw_status};
    tyndau_status st = score(C, &post, family, 0, &R->lpd, NULL, NULL, err);
    if (st == TYNDAU_OK) st = score(C, pp, family, K_LO_PRIOR, &R->lpd_prior, R->prior_lo, R->prior_hi, err);
    if (st != TYNDAU_OK) return st;
    double *pn = tyndau_calloc(C->n_out, sizeof *pn);
    if (pn == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (calib_leave_families[family].breakdown && total_row_null(o, family, pn) == 0) {
        R->null_kind = "each group equals its total row (the published total's shares, the same observation model)";
        predictive nul = {Q->draws, Q->draw_x, NULL, pn, Q->draw_status};
        st = score(C, &nul, family, K_LO_NULL, &R->lpd_null, R->null_lo, R->null_hi, err);
    } else {
        R->null_kind = "the prior predictive (the model at parameters drawn from the prior, not fitted)";
        R->lpd_null = R->lpd_prior;
        memcpy(R->null_lo, R->prior_lo, sizeof R->null_lo);
        memcpy(R->null_hi, R->prior_hi, sizeof R->null_hi);
    }
    free(pn);
    double a = CALIB_LEAVE_ALPHA;
    for (size_t c = 0; c < R->n_cells; c++) {
        double y = R->observed[c];
        R->is += calib_interval_score(R->lo[c], R->hi[c], y, a) / (double)R->n_cells;
        R->is_null += calib_interval_score(R->null_lo[c], R->null_hi[c], y, a) / (double)R->n_cells;
        R->is_prior += calib_interval_score(R->prior_lo[c], R->prior_hi[c], y, a) / (double)R->n_cells;
        R->n_inside += y >= R->lo[c] - 1e-9 && y <= R->hi[c] + 1e-9;
        R->n_inside_null += y >= R->null_lo[c] - 1e-9 && y <= R->null_hi[c] + 1e-9;
    }
    return st;
}

tyndau_status calib_leave_score(calib_t *C, const calib_ppc *Q, int family, calib_leave_result *R, tyndau_error *err)
{
    double *x = NULL, *probs = NULL;
    int *status = NULL;
    size_t failed = 0;
    tyndau_status st = prior_predictive(C, &x, &probs, &status, &failed, err);
    predictive pp = {C->cfg.predictive_draws, x, probs, NULL, status};
    if (st == TYNDAU_OK) st = score_family(C, Q, &pp, family, R, err);
    R->sims = C->gen[C->n_gen - 1].sims;
    R->seconds = C->gen[C->n_gen - 1].elapsed; /* the fit's; the predictions' are not counted */
    free(x), free(probs), free(status);
    return st;
}

static const char *verdict(double diff_lpd)
{
    return diff_lpd > 0.0 ? "better" : diff_lpd < 0.0 ? "worse" : "neither better nor worse";
}

void calib_leave_write(tyndau_h5 *h, const calib_t *C, const calib_leave_result *R, size_t n)
{
    const tyndau_obs *o = &C->obs;
    const char *fam[CALIB_N_LEAVE], *title[CALIB_N_LEAVE], *nullk[CALIB_N_LEAVE], *verd[CALIB_N_LEAVE];
    double v[10][CALIB_N_LEAVE];
    int64_t cnt[4][CALIB_N_LEAVE];
    char vbuf[CALIB_N_LEAVE][160];
    for (size_t i = 0; i < n && i < CALIB_N_LEAVE; i++) {
        const calib_leave_result *r = &R[i];
        fam[i] = calib_leave_families[r->family].name, title[i] = calib_leave_families[r->family].title;
        nullk[i] = r->null_kind;
        double dv[10] = {r->lpd, r->lpd_null, r->lpd - r->lpd_null, r->lpd_prior, r->is, r->is_null,
                         r->is - r->is_null, r->is_prior, r->seconds, (double)r->sims};
        for (int k = 0; k < 10; k++) v[k][i] = dv[k];
        cnt[0][i] = (int64_t)r->n_cells, cnt[1][i] = (int64_t)r->n_inside, cnt[2][i] = (int64_t)r->n_inside_null;
        cnt[3][i] = (int64_t)r->n_rows;
        snprintf(vbuf[i], sizeof vbuf[i], "the model predicts %s %s than the null by log predictive density "
                 "(%+.2f), %s by interval score (%+.2f pp)", fam[i], verdict(r->lpd - r->lpd_null),
                 r->lpd - r->lpd_null, verdict(r->is_null - r->is), r->is - r->is_null);
        verd[i] = vbuf[i];
    }
    hid_t g = tyndau_h5_group(h, h->file, "leave_out",
                              "leave-one-family-out predictions (docs/calibration.md s6): each family fitted without "
                              "its cells, then predicted from the posterior predictive draws; log predictive density "
                              "of the published counts under the observation model (higher is better) and the mean "
                              "interval score of the 90% intervals (Gneiting & Raftery 2007; pp, lower is better), "
                              "against the null model and the prior predictive");
    tyndau_h5_attr_f64(h, g, "alpha", CALIB_LEAVE_ALPHA);
    const char *a = "family";
    tyndau_h5_vector(h, g, "family", TYNDAU_H5_STR, n, fam, a, "The left-out question family.", "none");
    tyndau_h5_vector(h, g, "title", TYNDAU_H5_STR, n, title, a, "What the family is in the article.", "none");
    tyndau_h5_vector(h, g, "null_model", TYNDAU_H5_STR, n, nullk, a, "The null model of the family.", "none");
    tyndau_h5_vector(h, g, "verdict", TYNDAU_H5_STR, n, verd, a, "The comparison in words.", "none");
    static const struct {
        const char *name, *what, *units;
    } cols[10] = {
        {"lpd", "Log predictive density of the family's published counts under the posterior predictive.", "1"},
        {"lpd_null", "The same under the null model.", "1"},
        {"lpd_difference", "lpd - lpd_null: > 0, the model predicts the family better than the null.", "1"},
        {"lpd_prior", "The same under the prior predictive.", "1"},
        {"interval_score", "Mean interval score of the family's cells' 90% predictive intervals.", "pp"},
        {"interval_score_null", "The same of the null model's intervals.", "pp"},
        {"interval_score_difference", "interval_score - interval_score_null: < 0, the model is better.", "pp"},
        {"interval_score_prior", "The same of the prior predictive's intervals.", "pp"},
        {"seconds", "Wall time of the family's fit and predictions.", "s"},
        {"simulations", "Simulations of the family's fit.", "simulations"},
    };
    for (int k = 0; k < 10; k++) tyndau_h5_vector(h, g, cols[k].name, TYNDAU_H5_F64, n, v[k], a, cols[k].what, cols[k].units);
    tyndau_h5_vector(h, g, "n_cells", TYNDAU_H5_I64, n, cnt[0], a, "Published cells of the family.", "cells");
    tyndau_h5_vector(h, g, "n_inside", TYNDAU_H5_I64, n, cnt[1], a, "Cells inside the model's 90% interval.", "cells");
    tyndau_h5_vector(h, g, "n_inside_null", TYNDAU_H5_I64, n, cnt[2], a, "Cells inside the null's 90% interval.",
                     "cells");
    tyndau_h5_vector(h, g, "n_rows", TYNDAU_H5_I64, n, cnt[3], a, "Rows (question x group) of the family.", "rows");
    for (size_t i = 0; i < n; i++) {
        const calib_leave_result *r = &R[i];
        size_t nc = r->n_cells;
        const char *cq[CALIB_LEAVE_MAX_CELLS], *cg[CALIB_LEAVE_MAX_CELLS], *cr[CALIB_LEAVE_MAX_CELLS];
        for (size_t c = 0; c < nc; c++) {
            const tyndau_obs_row *w = &o->rows[r->row[c]];
            cq[c] = w->question, cg[c] = w->group, cr[c] = w->response[r->resp[c]];
        }
        hid_t k = tyndau_h5_group(h, g, fam[i], "the family's cells: published percent, the model's posterior "
                                                "predictive median and 90% interval, the null's and the prior "
                                                "predictive's 90% intervals");
        const char *ax = "cell";
        tyndau_h5_vector(h, k, "question", TYNDAU_H5_STR, nc, cq, ax, "The survey question.", "none");
        tyndau_h5_vector(h, k, "group", TYNDAU_H5_STR, nc, cg, ax, "The population group.", "none");
        tyndau_h5_vector(h, k, "response", TYNDAU_H5_STR, nc, cr, ax, "The response.", "none");
        const double *col[7] = {r->observed, r->median, r->lo, r->hi, r->null_lo, r->null_hi, r->prior_lo};
        static const char *const cn[8] = {"observed", "median", "lo90", "hi90", "null_lo90", "null_hi90",
                                          "prior_lo90", "prior_hi90"};
        static const char *const cw[8] = {"The published percent.", "The posterior predictive median.",
                                          "Lower end of the model's 90% predictive interval.",
                                          "Upper end of the model's 90% predictive interval.",
                                          "Lower end of the null model's 90% interval.",
                                          "Upper end of the null model's 90% interval.",
                                          "Lower end of the prior predictive's 90% interval.",
                                          "Upper end of the prior predictive's 90% interval."};
        for (int c = 0; c < 8; c++)
            tyndau_h5_vector(h, k, cn[c], TYNDAU_H5_F64, nc, c < 7 ? col[c] : r->prior_hi, ax, cw[c], "percent");
        tyndau_h5_close_obj(h, k);
    }
    tyndau_h5_close_obj(h, g);
}

void calib_leave_print(const calib_t *C, const calib_leave_result *R, size_t n)
{
    if (C->mc.rank != 0) return;
    printf("\nleave-one-family-out predictions (90%% intervals; log predictive density: higher is better; interval "
           "score: lower is better)\n");
    printf("%-11s %5s %9s %9s %9s %9s %8s %8s %8s %7s\n", "family", "cells", "lpd", "lpd null", "difference",
           "lpd prior", "IS", "IS null", "IS prior", "inside");
    for (size_t i = 0; i < n; i++) {
        const calib_leave_result *r = &R[i];
        printf("%-11s %5zu %9.2f %9.2f %+10.2f %9.2f %8.2f %8.2f %8.2f %3zu/%-3zu\n",
               calib_leave_families[r->family].name, r->n_cells, r->lpd, r->lpd_null, r->lpd - r->lpd_null,
               r->lpd_prior, r->is, r->is_null, r->is_prior, r->n_inside, r->n_cells);
    }
    for (size_t i = 0; i < n; i++) {
        const calib_leave_result *r = &R[i];
        const char *name = calib_leave_families[r->family].title;
        printf("  the model predicts %s %s than the null by log predictive density (%+.2f) and %s by interval "
               "score (%+.2f pp); null: %s\n", name, verdict(r->lpd - r->lpd_null), r->lpd - r->lpd_null,
               verdict(r->is_null - r->is), r->is - r->is_null, r->null_kind);
    }
}

/* --leave-out all: OUT (and OUT.partial after each family). */
static tyndau_status write_all(const calib_t *C, const char *path, const calib_leave_result *R, size_t n,
                               tyndau_error *err)
{
    if (C->mc.rank != 0) return TYNDAU_OK;
    char buf[32];
    tyndau_h5 h;
    if (tyndau_h5_open(&h, path, TYNDAU_H5_CREATE, err) != TYNDAU_OK) return tyndau_h5_close(&h);
    tyndau_h5_prov prov = calib_provenance(C, LEAVE_SCHEMA_NAME, LEAVE_SCHEMA_VERSION,
        "the model's counter-based streams; the study's from the same generator (tyndau_ctr) at the 64-bit keys "
        "many_seed(seed, kind, ...), every family fitted from the calibration file's seed");
    tyndau_h5_provenance(&h, h.file, &prov);
    tyndau_h5_attr_str(&h, h.file, "calibration_file", C->cfg.file.path);
    tyndau_h5_attr_str(&h, h.file, "calibration_text", C->cfg.file.text);
    tyndau_h5_attr_str(&h, h.file, "holdout", C->holdout_joined);
    snprintf(buf, sizeof buf, "%016" PRIx64, C->fingerprint);
    tyndau_h5_attr_str(&h, h.file, "fingerprint", buf);
    tyndau_h5_attr_str(&h, h.file, "status", n == CALIB_N_LEAVE ? "complete" : "running");
    tyndau_h5_attr_i64(&h, h.file, "families_done", (int64_t)n);
    tyndau_h5_attr_i64(&h, h.file, "agents", (int64_t)C->cfg.agents);
    tyndau_h5_attr_i64(&h, h.file, "particles", (int64_t)C->cfg.particles);
    calib_leave_write(&h, C, R, n);
    return tyndau_h5_close(&h);
}

/* --resume: the families of OUT.partial, after checking that the same study wrote it. */
static tyndau_status read_partial(const calib_t *C, const char *path, calib_leave_result *R, size_t *n,
                                  tyndau_error *err)
{
    *n = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) return TYNDAU_OK;
    tyndau_h5 h;
    tyndau_error e;
    if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, &e) != TYNDAU_OK) {
        tyndau_h5_close(&h);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: not a readable HDF5 file", path);
    }
    char want[32], *fp = tyndau_h5_read_attr_str(&h, h.file, "fingerprint");
    snprintf(want, sizeof want, "%016" PRIx64, C->fingerprint);
    int64_t done = 0;
    tyndau_status rc = TYNDAU_OK;
    if (fp == NULL || strcmp(fp, want) != 0 || tyndau_h5_read_attr_i64(&h, h.file, "families_done", &done) != 1 ||
        done < 0 || done > CALIB_N_LEAVE)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s was made by a different study (the calibration file, its "
                        "scenario or the files it inherits from, the targets or the holdouts differ); remove it or run "
                        "without --resume", path);
    free(fp);
    hid_t g = rc == TYNDAU_OK && done > 0 ? H5Gopen2(h.file, "leave_out", H5P_DEFAULT) : -1;
    if (rc == TYNDAU_OK && done > 0 && g < 0) rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: no /leave_out", path);
    size_t D = (size_t)done;
    double v[8][CALIB_N_LEAVE];
    static const char *const names[8] = {"lpd", "lpd_null", "lpd_prior", "interval_score", "interval_score_null",
                                         "interval_score_prior", "seconds", "simulations"};
    for (int k = 0; rc == TYNDAU_OK && k < 8 && D > 0; k++) tyndau_h5_read(&h, g, names[k], TYNDAU_H5_F64, D, v[k]);
    for (size_t i = 0; rc == TYNDAU_OK && h.st == TYNDAU_OK && i < D; i++) {
        calib_leave_result *r = &R[i];
        /* the cells again from the observation model, the numbers from the file */
        memset(r, 0, sizeof *r);
        r->family = (int)i;
        r->lpd = v[0][i], r->lpd_null = v[1][i], r->lpd_prior = v[2][i];
        r->is = v[3][i], r->is_null = v[4][i], r->is_prior = v[5][i], r->seconds = v[6][i];
        r->sims = (size_t)v[7][i];
        r->null_kind = calib_leave_families[i].breakdown
                           ? "each group equals its total row (the published total's shares, the same observation model)"
                           : "the prior predictive (the model at parameters drawn from the prior, not fitted)";
        const tyndau_obs *o = &C->obs;
        for (size_t rr = 0; rr < o->n_rows; rr++) {
            if (!in_family(&o->rows[rr], (int)i)) continue;
            r->n_rows++;
            for (size_t j = 0; j < o->rows[rr].n_resp && r->n_cells < CALIB_LEAVE_MAX_CELLS; j++)
                r->row[r->n_cells] = rr, r->resp[r->n_cells++] = j;
        }
        hid_t k = H5Gopen2(g, calib_leave_families[i].name, H5P_DEFAULT);
        if (k < 0) {
            tyndau_h5_fail(&h, TYNDAU_EINPUT, "no /leave_out/%s", calib_leave_families[i].name);
            break;
        }
        double *col[8] = {r->observed, r->median, r->lo, r->hi, r->null_lo, r->null_hi, r->prior_lo, r->prior_hi};
        static const char *const cn[8] = {"observed", "median", "lo90", "hi90", "null_lo90", "null_hi90",
                                          "prior_lo90", "prior_hi90"};
        for (int c = 0; c < 8; c++) tyndau_h5_read(&h, k, cn[c], TYNDAU_H5_F64, r->n_cells, col[c]);
        H5Gclose(k);
        for (size_t c = 0; c < r->n_cells; c++) {
            double y = r->observed[c];
            r->n_inside += y >= r->lo[c] - 1e-9 && y <= r->hi[c] + 1e-9;
            r->n_inside_null += y >= r->null_lo[c] - 1e-9 && y <= r->null_hi[c] + 1e-9;
        }
    }
    if (rc == TYNDAU_OK && h.st != TYNDAU_OK)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: cannot read its families (damaged file?)", path);
    if (g >= 0) H5Gclose(g);
    tyndau_h5_close(&h);
    if (rc == TYNDAU_OK) *n = D;
    return rc;
}

/* One family: fit without it (the calibration file's seed), predict, score. */
static tyndau_status one_family(const calib_t *C, int family, predictive *pp, double **pp_x, double **pp_probs,
                                int **pp_status, calib_leave_result *R, tyndau_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    calib_t *F = tyndau_calloc(1, sizeof *F);
    tyndau_obs_row *rows = tyndau_calloc(C->obs.n_rows, sizeof *rows);
    if (F == NULL || rows == NULL) {
        free(F), free(rows);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    *F = *C;
    memcpy(rows, C->obs.rows, C->obs.n_rows * sizeof *rows);
    F->obs.rows = rows;
    F->gen = NULL, F->n_gen = F->cap_gen = 0;
    F->quiet = 1;
    F->status = "running";
    char joined[1024] = "";
    tyndau_status st = calib_leave_holdout(&F->obs, family, joined, sizeof joined, err);
    calib_work *w = st == TYNDAU_OK ? calib_smc_alloc(F) : NULL;
    if (st == TYNDAU_OK && w == NULL) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (st == TYNDAU_OK) st = calib_smc_init(F, w, err);
    while (st == TYNDAU_OK && !calib_smc_test(F)) st = calib_smc_iterate(F, w, err);
    calib_smc_free(w);
    if (st == TYNDAU_OK && strcmp(F->status, "complete") != 0 && C->mc.rank == 0)
        fprintf(stderr, "tyndau: warning: --leave-out %s: the fit's budget ran out before beta = 1: its predictions "
                "are not the posterior's\n", calib_leave_families[family].name);
    calib_ppc Q;
    memset(&Q, 0, sizeof Q);
    if (st == TYNDAU_OK) st = calib_predictive(F, &Q, err);
    size_t failed = 0;
    if (st == TYNDAU_OK && *pp_x == NULL) { /* the prior sample is the same for every family: once */
        st = prior_predictive(F, pp_x, pp_probs, pp_status, &failed, err);
        *pp = (predictive){C->cfg.predictive_draws, *pp_x, *pp_probs, NULL, *pp_status};
    }
    if (st == TYNDAU_OK) st = score_family(F, &Q, pp, family, R, err);
    if (st == TYNDAU_OK) R->sims = F->gen[F->n_gen - 1].sims;
    calib_ppc_free(&Q);
    calib_free_gens(F);
    free(rows), free(F);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    R->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return st;
}

tyndau_status calib_leave_all(calib_t *C, int resume, tyndau_error *err)
{
    calib_leave_result *R = tyndau_calloc(CALIB_N_LEAVE, sizeof *R);
    if (R == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    char partial[PATH_MAX + 16];
    snprintf(partial, sizeof partial, "%s.partial", C->out);
    size_t done = 0;
    tyndau_status st = resume ? read_partial(C, partial, R, &done, err) : TYNDAU_OK;
    st = (tyndau_status)many_bcast_int(&C->mc, (int)st);
    if (st == TYNDAU_OK && resume && C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "calibrate: --resume: %zu of %d families done in %s\n", done, CALIB_N_LEAVE, partial);
    predictive pp = {0};
    double *ppx = NULL, *ppp = NULL;
    int *pps = NULL;
    for (size_t f = done; st == TYNDAU_OK && f < CALIB_N_LEAVE; f++) {
        int sig = (int)many_bcast_int(&C->mc, many_stop_signal());
        if (sig != 0) {
            st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "calibrate: stopped by %s after %zu families; %s kept: run the same "
                            "command with --resume to continue", many_signal_name(sig), f, partial);
            break;
        }
        st = one_family(C, (int)f, &pp, &ppx, &ppp, &pps, &R[f], err);
        if (st == TYNDAU_OK && C->mc.rank == 0 && !C->quiet)
            fprintf(stderr, "calibrate: leave-out %zu of %d: %-10s lpd %.2f (null %.2f), interval score %.2f pp (null "
                    "%.2f), %zu simulations, %.1f s\n", f + 1, CALIB_N_LEAVE, calib_leave_families[f].name, R[f].lpd,
                    R[f].lpd_null, R[f].is, R[f].is_null, R[f].sims, R[f].seconds);
        if (st == TYNDAU_OK && f + 1 < CALIB_N_LEAVE) st = write_all(C, partial, R, f + 1, err);
    }
    free(ppx), free(ppp), free(pps);
    if (st == TYNDAU_OK) st = write_all(C, C->out, R, CALIB_N_LEAVE, err);
    if (st == TYNDAU_OK && C->mc.rank == 0) unlink(partial);
    if (st == TYNDAU_OK && !C->quiet) {
        calib_leave_print(C, R, CALIB_N_LEAVE);
        if (C->mc.rank == 0) printf("\nwrote %s\n", C->out);
    }
    free(R);
    return st;
}
