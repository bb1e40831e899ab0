/*
 * sens.h - variance-based (Sobol) and elementary-effects (Morris) sensitivity
 * indices with bootstrap confidence intervals, and the designs they need.
 *
 * Saltelli design (Saltelli 2002; Saltelli et al. 2010): two independent n x d matrices A and
 * B of points in the unit cube and, for each input i, AB_i = A with column i taken from B
 * (and, for second-order indices, BA_i = B with column i taken from A).  A and B are the first
 * and last d coordinates of the points of a 2d-dimensional Sobol sequence (GSL's
 * gsl_qrng_sobol) numbered s, s + 1, ..., s + n - 1 from the start of the sequence (point 0 is
 * the origin), with s = max(16, the smallest power of two >= n): SALib's rule (Owen 2020 on
 * why the start matters); the first points of the sequence (the centre of the cube, then
 * 0.25 / 0.75 in every dimension) put A = B in some columns, so that AB_i repeats A and the
 * run is wasted.  Even from a power of two a few coordinates of A and B coincide (4 of 512 at
 * d = 4, n = 128), so the points get a random digital shift (L'Ecuyer & Lemieux 2002): the
 * binary digits of coordinate i of every point XOR one random 52-bit word w_i, which keeps the
 * net's stratification; w_i and w_{d+i} differ in the 22 digits below GSL's 30, so A_i = B_i
 * never happens.  Different shifts (seeds) give independent randomised designs.
 *
 * Two run orders of the same points (sens_saltelli_point):
 *   SENS_BLOCKS  blocks A, B, AB_1 .. AB_d [, BA_1 .. BA_d]: run k n + j is row j of block k;
 *   SENS_SALIB   per base row, SALib's order A, AB_1 .. AB_d [, BA_1 .. BA_d], B.
 *
 * Estimators (the outputs centred on their overall mean, as SALib's standardisation does, so
 * that the indices do not change when a constant is added to the output or when it is
 * scaled; V = variance of the rows of A and B together, divided by 2n, not 2n - 1):
 *   first order   S_i   = mean( f(B) (f(AB_i) - f(A)) ) / V         (Saltelli et al. 2010, eq. b)
 *   total         ST_i  = mean( (f(A) - f(AB_i))^2 ) / 2 / V        (Jansen 1999)
 *   second order  S_ik  = mean( f(BA_i) f(AB_k) - f(A) f(B) ) / V - S_i - S_k   (Saltelli 2002)
 * These are SALib's (SALib.analyze.sobol 1.4-1.5): on the same outputs they give the same
 * numbers to rounding.
 *
 * Noise.  When each output is the mean of R replicates with seeds of their own, every point
 * carries independent noise of variance s_p^2 / R (s_p^2: the within-point variance).  The
 * numerators of S_i and S_ik are then unbiased (the noise of different points is
 * independent), but V is inflated by the mean noise variance of the A and B points and the
 * Jansen numerator by half the noise variance of A plus that of AB_i.  Given the noise
 * variance of every point, sens_sobol also returns indices with those inflations taken out:
 *   V'    = V - mean over rows of (n_A + n_B) / 2
 *   S_i'  = mean( f(B) (f(AB_i) - f(A)) ) / V'
 *   ST_i' = mean( (f(A) - f(AB_i))^2 / 2 - (n_A + n_AB_i) / 2 ) / V'
 *   S_ik' = mean( f(BA_i) f(AB_k) - f(A) f(B) ) / V' - S_i' - S_k'
 * (they assume only that the noise of different runs is independent and that its variance at
 * each point is estimated without bias: the sample variance of the replicates over R).
 *
 * Morris design (Morris 1991; Campolongo, Cariboni & Saltelli 2007 for mu*): r trajectories of
 * d + 1 points on a p-level grid, each step moving one input by delta = p / (2 (p - 1)); the
 * elementary effect of input i on trajectory t is (f(x + delta e_i) - f(x)) / delta (with the
 * sign of the step), mu_i = mean EE_i, mu*_i = mean |EE_i|, sigma_i = SD of EE_i.
 *
 * Confidence intervals: percentile bootstrap over the base rows (Saltelli) or trajectories
 * (Morris), `boot` resamples drawn from the RNG given, 95% by default; `conf` is SALib's
 * half-width, z_{(1+level)/2} x the SD of the resampled estimates.  Runs whose output is NaN
 * (failed runs) are left out of every estimate that needs them.
 */
#ifndef TYNDAU_SENS_H
#define TYNDAU_SENS_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

typedef enum { SENS_BLOCKS, SENS_SALIB, N_SENS_ORDER } sens_order;
extern const char *const sens_order_names[N_SENS_ORDER]; /* "saltelli", "saltelli_salib" */

/* Blocks per base row: d + 2, or 2 d + 2 with second order. */
size_t sens_saltelli_blocks(size_t d, int second_order);

/* The run (point index) of block k of base row j, k = 0 A, 1 B, 2 + i AB_i, 2 + d + i BA_i. */
size_t sens_saltelli_point(sens_order order, size_t n, size_t d, int second_order, size_t j, size_t k);

/* The Sobol points skipped before the first base row: max(16, 2^ceil(log2 n)), counted from
 * the sequence's origin. */
size_t sens_sobol_skip(size_t n);

/* Points of a Saltelli design: n base rows, d inputs; out has n sens_saltelli_blocks(d, so)
 * rows of d values in [0, 1), in the given order; the digital shift is drawn from `shift`
 * (NULL: none, the plain Sobol points).  0 on success, -1 if d is too large for GSL's Sobol
 * generator (2d > 40) or out of memory. */
int sens_saltelli_design(size_t n, size_t d, int second_order, sens_order order, gsl_rng *shift, double *out);

/* Points of a Morris design: r trajectories of d + 1 points on a p-level grid (p even, >= 2);
 * out has r (d + 1) rows of d values in [0, 1]. */
int sens_morris_design(size_t r, size_t d, int p, gsl_rng *rng, double *out);

typedef struct {
    double value, lo, hi; /* estimate and its percentile bootstrap interval */
    double conf;          /* z x bootstrap SD (SALib's S1_conf, ST_conf, mu_star_conf); NaN without resamples */
} sens_ci;

/* What sens_sobol fills; the caller owns the arrays.  first, total: d each; second: d x d
 * (entry i d + k for i < k, NaN elsewhere) or NULL when not wanted; first_adj, total_adj,
 * second_adj: the noise-corrected indices (same shapes), NULL when no noise is given. */
typedef struct {
    sens_ci *first, *total, *second;
    sens_ci *first_adj, *total_adj, *second_adj;
    sens_ci first_sum;    /* sum of the first-order indices */
    double var;           /* V */
    double noise_var;     /* mean noise variance of the A and B points (NaN when not given) */
} sens_sobol_result;

/* Sobol indices from the outputs y in block order (y[k n + j]: block k, base row j; 2 + d
 * blocks, 2 + 2d with second order).  noise: the noise variance of each y (same layout), or
 * NULL.  0 on success, -1 out of memory. */
int sens_sobol(const double *y, const double *noise, size_t n, size_t d, int second_order, size_t boot,
               double level, gsl_rng *rng, sens_sobol_result *res);

/* Morris indices from a design x (r (d + 1) rows of d) and its outputs y.  delta 0: the
 * elementary effects divide by the step of x itself (x in the unit cube); delta > 0: by
 * delta with the step's sign, whatever the scale of x (SALib's rule, for designs given in the
 * parameters' units).  mu may be NULL. */
int sens_morris(const double *x, const double *y, size_t r, size_t d, double delta, size_t boot, double level,
                gsl_rng *rng, sens_ci *mu_star, sens_ci *sigma, sens_ci *mu);

#endif
