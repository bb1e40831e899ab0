/*
 * posterior.h - `tyndau compare --posterior CALIB.h5`: the calibration's final particles as the
 * parameters of the comparison's replicates.
 *
 * The final generation of a tyndau calibration holds its particles after the move step, with
 * equal weights (docs/calibration.md), so a draw "by weight" is a uniform draw of a particle:
 * replicate r takes particle cmp_posterior_pick(seed, r), the same for every scenario, and runs
 * with the model seed it would have had anyway (common random numbers).  Each scenario takes the
 * drawn value of a calibrated parameter unless it sets that parameter itself (its value on the
 * start date differs from the first scenario's): then the scenario's own value is kept.
 */
#ifndef TYNDAU_CMP_POSTERIOR_H
#define TYNDAU_CMP_POSTERIOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CMP_MAXQ 64

typedef struct {
    char path[4096];
    char *status;             /* the calibration's status ("complete") */
    size_t N;                 /* final particles */
    size_t generation;        /* the final generation's index */
    double beta;              /* its tempering exponent (1: the posterior) */
    size_t k;                 /* calibrated quantities that are model parameters */
    int param[CMP_MAXQ];      /* their parameter indices */
    char name[CMP_MAXQ][80];  /* their names */
    double *x;                /* [N][k] their values in each particle */
    double median[CMP_MAXQ];  /* their posterior medians */
    char skipped[512];        /* quantities that are no model parameter (the DM concentration), space-separated */
} cmp_posterior;

/* Read the final particles of a calibration file: TYNDAU_EINPUT naming the file when it is no
 * tyndau calibration file of a known major version, did not finish (status other than
 * "complete": its last particles are not the posterior), or holds no parameter. */
tyndau_status cmp_posterior_load(cmp_posterior *p, const char *path, tyndau_error *err);
void cmp_posterior_free(cmp_posterior *p);

/* The particle of replicate r into *particle: a uniform draw from the stream many_stream(seed,
 * 202, r, 0).  0, or -1 when out of memory. */
int cmp_posterior_pick(const cmp_posterior *p, uint64_t seed, size_t r, size_t *particle);

#endif
