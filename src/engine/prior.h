/*
 * prior.h - distributions of model parameters for calibration priors and sweep designs.
 *
 *   uniform LO HI | loguniform LO HI | normal MEAN SD [LO HI]   (normal truncated to [LO, HI],
 *   by default the parameter's allowed range)
 *
 * Every distribution has a finite support [lo, hi].  For samplers that move parameters freely
 * (calibrate's random walk) a value x maps to z = logit((g(x) - g(lo)) / (g(hi) - g(lo))) with
 * g = log for loguniform and the identity otherwise; prior_log_density_z includes the Jacobian.
 * prior_from_unit maps a point of the unit interval to a value (the inverse CDF): what a design
 * in the unit cube (Latin hypercube, Sobol points) needs.
 */
#ifndef TYNDAU_PRIOR_H
#define TYNDAU_PRIOR_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "error.h"

typedef enum { SH_UNIFORM, SH_LOGUNIFORM, SH_NORMAL, N_SHAPE } shape_t;
extern const char *const shape_names[N_SHAPE];

typedef struct {
    char name[64];
    int param;     /* index into tyndau_param_table; -1 for a quantity that is not a model parameter */
    shape_t shape;
    double a, b;   /* uniform/loguniform: lo, hi; normal: mean, sd */
    double lo, hi; /* support */
    int line;      /* where it was read (0: unknown) */
} prior_t;

/* Parse `value` for quantity `key` whose allowed range is [pmin, pmax]: TYNDAU_OK, or TYNDAU_EINPUT
 * with a message "key 'KEY': ..." (no file or line: the caller adds them). */
tyndau_status prior_parse(prior_t *pr, const char *key, const char *value, double pmin, double pmax,
                          tyndau_error *err);

/* A finite number with nothing after it but blanks: 0, else -1. */
int prior_parse_real(const char *s, double *out);

double prior_g(const prior_t *p, double x);          /* log for loguniform, else x */
double prior_z_to_x(const prior_t *p, double z);
double prior_x_to_z(const prior_t *p, double x);
double prior_log_density_z(const prior_t *p, double z); /* up to a constant */
double prior_draw(const prior_t *p, gsl_rng *r);
double prior_quantile(const prior_t *p, double q);   /* q in [0, 1] */
double prior_from_unit(const prior_t *p, double u);  /* = prior_quantile, u in [0, 1) */
double prior_cdf(const prior_t *p, double x);        /* the inverse: x's place in [0, 1] */

#endif
