/*
 * gradient.h - how much of each breakdown's gradient the model misses (docs/calibration.md s2):
 * the posterior mean of the slope discrepancy, E[b | x] (obs_slope.c), at every posterior
 * predictive draw, summarised as its median and 90% interval over the draws, per breakdown and
 * log-ratio of responses.
 */
#ifndef TYNDAU_GRADIENT_H
#define TYNDAU_GRADIENT_H

#include "calib.h"

#define CALIB_GRADIENT_MAX 32

typedef struct calib_gradient {
    size_t n; /* entries: (question, breakdown, log-ratio) */
    char question[CALIB_GRADIENT_MAX][64], label[CALIB_GRADIENT_MAX][112];
    int kind[CALIB_GRADIENT_MAX];
    double median[CALIB_GRADIENT_MAX], q05[CALIB_GRADIENT_MAX], q95[CALIB_GRADIENT_MAX];
} calib_gradient;

/* From the predictive check's draws (logit-normal with a slope discrepancy; n = 0 otherwise). */
tyndau_status calib_gradient_compute(const calib_t *C, const calib_ppc *Q, calib_gradient *G, tyndau_error *err);
void calib_gradient_print(const calib_t *C, const calib_gradient *G);
void calib_gradient_write(tyndau_h5 *h, const calib_gradient *G); /* /slope_gradient, when n > 0 */

#endif
