/*
 * sensitivity.h - variance-based (Sobol) and elementary-effects (Morris) sensitivity
 * indices with bootstrap confidence intervals, and the designs they need.
 *
 * Saltelli design (Saltelli 2002; Saltelli et al. 2010): two independent n x d matrices A and
 * B of points in the unit cube (rows of a 2d-dimensional Sobol sequence, GSL's gsl_qrng_sobol)
 * and, for each input i, AB_i = A with column i taken from B.  The model is run at the rows of
 * A, B, AB_1 .. AB_d: n (d + 2) runs, in that order (run r of block k is row r of that block).
 *
 *   first order  S_i  = mean( f(B) (f(AB_i) - f(A)) ) / V          (Saltelli et al. 2010, eq. b)
 *   total        ST_i = mean( (f(A) - f(AB_i))^2 ) / 2 / V         (Jansen 1999)
 *   V = variance of f over the rows of A and B together.
 *
 * Morris design (Morris 1991; Campolongo, Cariboni & Saltelli 2007 for mu*): r trajectories of
 * d + 1 points on a p-level grid, each step moving one input by delta = p / (2 (p - 1)); the
 * elementary effect of input i on trajectory t is (f(x + delta e_i) - f(x)) / delta (with the
 * sign of the step), mu*_i = mean |EE_i|, sigma_i = SD of EE_i.
 *
 * Confidence intervals: percentile bootstrap over the base rows (Saltelli) or trajectories
 * (Morris), `boot` resamples drawn from the RNG given, 95% by default.  Runs whose output is NaN
 * (failed runs) are left out of every estimate that needs them.
 */
#ifndef TYNDAU_SENSITIVITY_H
#define TYNDAU_SENSITIVITY_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

/* Points of a Saltelli design: n base rows, d inputs; out has n (d + 2) rows of d values in
 * [0, 1).  skip: initial Sobol points skipped (the first is the cube's corner).  0 on success,
 * -1 if d is too large for GSL's Sobol generator (2d > 40) or out of memory. */
int sens_saltelli_design(size_t n, size_t d, size_t skip, double *out);

/* Points of a Morris design: r trajectories of d + 1 points on a p-level grid (p even, >= 2);
 * out has r (d + 1) rows of d values in [0, 1]. */
int sens_morris_design(size_t r, size_t d, int p, gsl_rng *rng, double *out);

typedef struct {
    double value, lo, hi; /* estimate and its confidence interval */
} sens_ci;

/* Sobol indices from the outputs y (n (d + 2) values, design order).  first[i], total[i]. */
int sens_sobol(const double *y, size_t n, size_t d, size_t boot, double level, gsl_rng *rng,
               sens_ci *first, sens_ci *total);

/* Morris indices from a design x (r (d + 1) rows of d) and its outputs y. */
int sens_morris(const double *x, const double *y, size_t r, size_t d, size_t boot, double level,
                gsl_rng *rng, sens_ci *mu_star, sens_ci *sigma);

#endif
