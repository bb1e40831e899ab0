/*
 * sensitivity.c - Sobol and Morris indices with bootstrap intervals (see sensitivity.h for the
 * designs, estimators and references).
 */
#include "sensitivity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

int sens_saltelli_design(size_t n, size_t d, size_t skip, double *out)
{
    if (d == 0 || 2 * d > 40) return -1; /* gsl_qrng_sobol: at most 40 dimensions */
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * d));
    double *p = malloc(2 * d * sizeof *p);
    if (q == NULL || p == NULL) {
        gsl_qrng_free(q);
        free(p);
        return -1;
    }
    for (size_t s = 0; s < skip; s++) gsl_qrng_get(q, p);
    for (size_t r = 0; r < n; r++) {
        gsl_qrng_get(q, p);
        double *a = out + r * d, *b = out + (n + r) * d;
        memcpy(a, p, d * sizeof *p);
        memcpy(b, p + d, d * sizeof *p);
        for (size_t i = 0; i < d; i++) {
            double *ab = out + ((2 + i) * n + r) * d;
            memcpy(ab, a, d * sizeof *p);
            ab[i] = b[i];
        }
    }
    gsl_qrng_free(q);
    free(p);
    return 0;
}

int sens_morris_design(size_t r, size_t d, int p, gsl_rng *rng, double *out)
{
    if (d == 0 || p < 2 || p % 2 != 0) return -1;
    double delta = (double)p / (2.0 * (p - 1));
    size_t *order = malloc(d * sizeof *order);
    if (order == NULL) return -1;
    for (size_t t = 0; t < r; t++) {
        double *x = out + t * (d + 1) * d;
        for (size_t i = 0; i < d; i++) x[i] = (double)gsl_rng_uniform_int(rng, (unsigned long)p) / (p - 1);
        for (size_t i = 0; i < d; i++) order[i] = i;
        gsl_ran_shuffle(rng, order, d, sizeof *order);
        for (size_t k = 0; k < d; k++) {
            double *prev = x + k * d, *next = x + (k + 1) * d;
            memcpy(next, prev, d * sizeof *prev);
            size_t i = order[k];
            next[i] = prev[i] + delta <= 1.0 + 1e-12 ? prev[i] + delta : prev[i] - delta;
        }
    }
    free(order);
    return 0;
}

/* Percentile interval of b[0..n) (sorted in place). */
static void percentile(double *b, size_t n, double level, double *lo, double *hi)
{
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    gsl_sort(b, 1, n);
    *lo = gsl_stats_quantile_from_sorted_data(b, 1, n, (1.0 - level) / 2.0);
    *hi = gsl_stats_quantile_from_sorted_data(b, 1, n, 1.0 - (1.0 - level) / 2.0);
}

/* The estimate `value` of input i with the percentile interval of its bootstrap replicates
 * boot_est[b * d + i] (NaN replicates left out); col is scratch of `boot` doubles. */
static void interval(double value, const double *boot_est, size_t boot, size_t d, size_t i, double level,
                     double *col, sens_ci *out)
{
    size_t k = 0;
    for (size_t b = 0; b < boot; b++)
        if (!isnan(boot_est[b * d + i])) col[k++] = boot_est[b * d + i];
    out->value = value;
    percentile(col, k, level, &out->lo, &out->hi);
}

/* Sobol estimates from the rows listed in idx (with repetition). */
static void sobol_once(const double *y, size_t n, size_t d, const size_t *idx, size_t m, double *first,
                       double *total)
{
    double s = 0.0, s2 = 0.0;
    size_t k = 0;
    for (size_t j = 0; j < m; j++) {
        double a = y[idx[j]], b = y[n + idx[j]];
        if (isnan(a) || isnan(b)) continue;
        s += a + b, s2 += a * a + b * b, k += 2;
    }
    double mean = k ? s / (double)k : NAN, var = k > 1 ? (s2 - (double)k * mean * mean) / (double)(k - 1) : NAN;
    for (size_t i = 0; i < d; i++) {
        double f = 0.0, t = 0.0;
        size_t c = 0;
        for (size_t j = 0; j < m; j++) {
            double a = y[idx[j]], b = y[n + idx[j]], ab = y[(2 + i) * n + idx[j]];
            if (isnan(a) || isnan(b) || isnan(ab)) continue;
            f += b * (ab - a);
            t += (a - ab) * (a - ab);
            c++;
        }
        first[i] = c && var > 0.0 ? f / (double)c / var : NAN;
        total[i] = c && var > 0.0 ? t / (double)c / 2.0 / var : NAN;
    }
}

int sens_sobol(const double *y, size_t n, size_t d, size_t boot, double level, gsl_rng *rng,
               sens_ci *first, sens_ci *total)
{
    size_t *idx = malloc(n * sizeof *idx);
    double *f = malloc(d * sizeof *f), *t = malloc(d * sizeof *t);
    double *bf = malloc((boot ? boot : 1) * d * sizeof *bf), *bt = malloc((boot ? boot : 1) * d * sizeof *bt);
    double *col = malloc((boot ? boot : 1) * sizeof *col);
    if (!idx || !f || !t || !bf || !bt || !col) {
        free(idx), free(f), free(t), free(bf), free(bt), free(col);
        return -1;
    }
    for (size_t j = 0; j < n; j++) idx[j] = j;
    sobol_once(y, n, d, idx, n, f, t);
    for (size_t b = 0; b < boot; b++) {
        for (size_t j = 0; j < n; j++) idx[j] = (size_t)gsl_rng_uniform_int(rng, (unsigned long)n);
        sobol_once(y, n, d, idx, n, bf + b * d, bt + b * d);
    }
    for (size_t i = 0; i < d; i++) {
        interval(f[i], bf, boot, d, i, level, col, &first[i]);
        interval(t[i], bt, boot, d, i, level, col, &total[i]);
    }
    free(idx), free(f), free(t), free(bf), free(bt), free(col);
    return 0;
}

/* Elementary effects ee[t * d + i] (NaN where a run failed). */
static void effects(const double *x, const double *y, size_t r, size_t d, double *ee)
{
    for (size_t t = 0; t < r * d; t++) ee[t] = NAN;
    for (size_t t = 0; t < r; t++)
        for (size_t k = 0; k < d; k++) {
            const double *p = x + (t * (d + 1) + k) * d, *q = p + d;
            double y0 = y[t * (d + 1) + k], y1 = y[t * (d + 1) + k + 1];
            for (size_t i = 0; i < d; i++)
                if (q[i] != p[i]) ee[t * d + i] = (y1 - y0) / (q[i] - p[i]);
        }
}

static void morris_once(const double *ee, size_t d, const size_t *idx, size_t m, double *mu, double *sd)
{
    for (size_t i = 0; i < d; i++) {
        double s = 0.0, sa = 0.0, s2 = 0.0;
        size_t c = 0;
        for (size_t j = 0; j < m; j++) {
            double e = ee[idx[j] * d + i];
            if (isnan(e)) continue;
            s += e, sa += fabs(e), s2 += e * e, c++;
        }
        mu[i] = c ? sa / (double)c : NAN;
        sd[i] = c > 1 ? sqrt(fmax(0.0, (s2 - s * s / (double)c) / (double)(c - 1))) : NAN;
    }
}

int sens_morris(const double *x, const double *y, size_t r, size_t d, size_t boot, double level,
                gsl_rng *rng, sens_ci *mu_star, sens_ci *sigma)
{
    double *ee = malloc(r * d * sizeof *ee), *mu = malloc(d * sizeof *mu), *sd = malloc(d * sizeof *sd);
    double *bm = malloc((boot ? boot : 1) * d * sizeof *bm), *bs = malloc((boot ? boot : 1) * d * sizeof *bs);
    double *col = malloc((boot ? boot : 1) * sizeof *col);
    size_t *idx = malloc(r * sizeof *idx);
    if (!ee || !mu || !sd || !bm || !bs || !col || !idx) {
        free(ee), free(mu), free(sd), free(bm), free(bs), free(col), free(idx);
        return -1;
    }
    effects(x, y, r, d, ee);
    for (size_t j = 0; j < r; j++) idx[j] = j;
    morris_once(ee, d, idx, r, mu, sd);
    for (size_t b = 0; b < boot; b++) {
        for (size_t j = 0; j < r; j++) idx[j] = (size_t)gsl_rng_uniform_int(rng, (unsigned long)r);
        morris_once(ee, d, idx, r, bm + b * d, bs + b * d);
    }
    for (size_t i = 0; i < d; i++) {
        interval(mu[i], bm, boot, d, i, level, col, &mu_star[i]);
        interval(sd[i], bs, boot, d, i, level, col, &sigma[i]);
    }
    free(ee), free(mu), free(sd), free(bm), free(bs), free(col), free(idx);
    return 0;
}
