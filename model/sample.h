/*
 * sample.h - samplers that draw from a stream state directly (rng.h), for the paths a
 * citizen's events take every day.  Each gives exactly the variate of the GSL sampler
 * it names, from the same uniforms, so a stream's numbers do not change with the path.
 */
#ifndef TYNDAU_SAMPLE_H
#define TYNDAU_SAMPLE_H

#include <math.h>
#include <stddef.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

/* Exp(mean mu) by inversion, -mu log1p(-U): gsl_ran_exponential. */
static inline double tyndau_ctr_exponential(tyndau_ctr_state *s, double mu)
{
    return -mu * log1p(-tyndau_ctr_uniform(s));
}

/* Walker's alias method on GSL's table: gsl_ran_discrete.  GSL keeps F[k] in Knuth's
 * convention, (k + f_k) / K, so one uniform both picks the column and decides within it. */
static inline size_t tyndau_ctr_discrete(tyndau_ctr_state *s, const gsl_ran_discrete_t *g)
{
    double u = tyndau_ctr_uniform(s);
    size_t c = (size_t)(u * (double)g->K);
    return u < g->F[c] ? c : g->A[c];
}

#endif
