/*
 * gradient.c - the missed gradients of the age and income breakdowns (gradient.h): per draw k of
 * the posterior predictive check, E[b | x] of every breakdown with a slope discrepancy at draw
 * k's simulation and error terms (obs_slope.c), then the median and 90% interval over the draws.
 * b is the slope per group step of log(p_j / p_K) (K the rows' last response) that the published
 * rows show beyond the model's: positive when the published gradient is steeper upwards.
 */
#include "gradient.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

tyndau_status calib_gradient_compute(const calib_t *C, const calib_ppc *Q, calib_gradient *G, tyndau_error *err)
{
    memset(G, 0, sizeof *G);
    const tyndau_obs *o = &C->obs;
    const calib_cfg *c = &C->cfg;
    if (c->kind != TYNDAU_OBS_LOGIT_NORMAL || Q->draw_probs == NULL) return TYNDAU_OK;
    size_t D = Q->draws, d = c->d;
    double *v = tyndau_calloc(D ? D : 1, sizeof *v);
    if (v == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        double t;
        int kind = tyndau_obs_slope_of(w, &t), first = w->weight > 0.0;
        if (kind < 0 || !(c->slope_dim[kind] >= 0 || c->slope_fixed[kind] > 0.0)) continue;
        for (size_t b = 0; b < r && first; b++)
            first = !(o->rows[b].weight > 0.0 && strcmp(o->rows[b].question, w->question) == 0 &&
                      tyndau_obs_slope_of(&o->rows[b], &t) == kind);
        if (!first) continue;
        size_t m = w->n_resp + (size_t)w->has_rest - 1;
        for (size_t j = 0; j < m && G->n < CALIB_GRADIENT_MAX; j++) {
            size_t n_ok = 0;
            for (size_t k = 0; k < D; k++) {
                if (Q->draw_status[k]) continue;
                tyndau_obs_error e = calib_obs_error(C, Q->draw_x + k * d);
                double wb[TYNDAU_OBS_MAX_RESP];
                if (tyndau_obs_slope_mean(o, w->question, kind, Q->draw_probs + k * C->n_out, &e, e.slope[kind], wb) == m)
                    v[n_ok++] = wb[j];
            }
            size_t i = G->n++;
            snprintf(G->question[i], sizeof G->question[i], "%s", w->question);
            snprintf(G->label[i], sizeof G->label[i], "log(%s / %s)", w->response[j],
                     w->has_rest ? "rest" : w->response[m]);
            G->kind[i] = kind;
            gsl_sort(v, 1, n_ok);
            G->median[i] = n_ok ? gsl_stats_median_from_sorted_data(v, 1, n_ok) : NAN;
            G->q05[i] = n_ok ? gsl_stats_quantile_from_sorted_data(v, 1, n_ok, 0.05) : NAN;
            G->q95[i] = n_ok ? gsl_stats_quantile_from_sorted_data(v, 1, n_ok, 0.95) : NAN;
        }
    }
    free(v);
    return TYNDAU_OK;
}

void calib_gradient_print(const calib_t *C, const calib_gradient *G)
{
    if (C->mc.rank != 0 || G->n == 0) return;
    printf("missed gradients (the slope per group step of each log-ratio that the published rows show beyond the "
           "model's, E[b | data]; median [90%%] over the predictive draws):\n");
    for (size_t i = 0; i < G->n; i++)
        printf("  %-6s %-16s %-44s %+.3f [%+.3f, %+.3f]\n", tyndau_obs_slope_names[G->kind[i]], G->question[i],
               G->label[i], G->median[i], G->q05[i], G->q95[i]);
}

void calib_gradient_write(tyndau_h5 *h, const calib_gradient *G)
{
    if (G->n == 0) return;
    const char *q[CALIB_GRADIENT_MAX], *l[CALIB_GRADIENT_MAX], *k[CALIB_GRADIENT_MAX];
    for (size_t i = 0; i < G->n; i++) q[i] = G->question[i], l[i] = G->label[i], k[i] = tyndau_obs_slope_names[G->kind[i]];
    hid_t g = tyndau_h5_group(h, h->file, "slope_gradient",
                              "the gradient the model misses (docs/calibration.md s2): per breakdown and log-ratio "
                              "of responses, the posterior mean of the slope discrepancy given the published rows, "
                              "E[b | data], per group step, over the posterior predictive draws");
    const char *a = "entry";
    tyndau_h5_vector(h, g, "breakdown", TYNDAU_H5_STR, G->n, k, a, "age or income.", "none");
    tyndau_h5_vector(h, g, "question", TYNDAU_H5_STR, G->n, q, a, "The survey question.", "none");
    tyndau_h5_vector(h, g, "log_ratio", TYNDAU_H5_STR, G->n, l, a, "The log-ratio of two responses.", "none");
    tyndau_h5_vector(h, g, "median", TYNDAU_H5_F64, G->n, G->median, a, "Median over the draws.", "logit per step");
    tyndau_h5_vector(h, g, "q05", TYNDAU_H5_F64, G->n, G->q05, a, "5% quantile over the draws.", "logit per step");
    tyndau_h5_vector(h, g, "q95", TYNDAU_H5_F64, G->n, G->q95, a, "95% quantile over the draws.", "logit per step");
    tyndau_h5_close_obj(h, g);
}
