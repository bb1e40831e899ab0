/*
 * sample.h - samplers that draw from a stream state directly (rng.h), for the paths a
 * citizen's events take every day.  tyndau_ctr_exponential and tyndau_ctr_discrete give
 * exactly the variates of the GSL samplers they name, from the same uniforms;
 * tyndau_zig_exp is the ziggurat, the model's exponential sampler.
 */
#ifndef TYNDAU_SAMPLE_H
#define TYNDAU_SAMPLE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>

#include "rng.h"

/* Exp(mean mu) by inversion, -mu log1p(-U): gsl_ran_exponential. */
static inline double tyndau_ctr_exponential(tyndau_ctr_state *s, double mu)
{
    return -mu * log1p(-tyndau_ctr_uniform(s));
}

/*
 * Exp(1) by the ziggurat method (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8)), exact in
 * distribution: the area under exp(-x) is covered by 256 layers of equal area, layer 0 the
 * base strip with the tail beyond R, layer i >= 1 the rectangle [0, x_i] x [f(x_i), f(x_{i+1})]
 * (x_0 > x_1 = R > ... > x_256 = 0, f = exp(-x)).  One 64-bit draw picks a layer (its low 8
 * bits) and a point x uniform on [0, x_i] (its top 53 bits); x is accepted at once when
 * x < x_{i+1}, below the curve whatever the height (98% of draws: one draw and no log()).
 * Otherwise layer 0 returns R + Exp(1) by inversion (the tail is memoryless), and a higher
 * layer draws the height and accepts x under the curve, or starts again.
 */
#define TYNDAU_ZIG_N 256
typedef struct {
    uint64_t k[TYNDAU_ZIG_N];     /* 2^53 x_{i+1} / x_i: accept at once when the 53 bits are below */
    double w[TYNDAU_ZIG_N];       /* x_i 2^-53 */
    double f[TYNDAU_ZIG_N + 1];   /* exp(-x_i) */
    double r;
} tyndau_zig;

void tyndau_zig_init(tyndau_zig *z);
/* The tail and the wedges, for a draw that left the fast path in layer i at x (sample.c). */
double tyndau_zig_exp_slow(const tyndau_zig *z, tyndau_ctr_state *s, unsigned i, double x);

static inline double tyndau_zig_exp(const tyndau_zig *z, tyndau_ctr_state *s)
{
    uint64_t b = tyndau_ctr_u64(s);
    unsigned i = (unsigned)(b & (TYNDAU_ZIG_N - 1));
    uint64_t j = b >> 11;
    double x = (double)(int64_t)j * z->w[i];
    if (__builtin_expect(j < z->k[i], 1)) return x;
    return tyndau_zig_exp_slow(z, s, i, x);
}

/* Walker's alias method on GSL's table: gsl_ran_discrete.  GSL keeps F[k] in Knuth's
 * convention, (k + f_k) / K, so one uniform both picks the column and decides within it. */
static inline size_t tyndau_ctr_discrete(tyndau_ctr_state *s, const gsl_ran_discrete_t *g)
{
    double u = tyndau_ctr_uniform(s);
    unsigned c = (unsigned)(u * (double)(unsigned)g->K); /* K < 2^32: the same product, cheaper conversions */
    return u < g->F[c] ? c : g->A[c];
}

#endif
