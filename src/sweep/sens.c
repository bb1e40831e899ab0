/*
 * sens.c - Sobol and Morris indices with bootstrap intervals (see sens.h for the
 * designs, estimators and references).
 *
 * Every estimator is written once, as a function from a list of base rows (or trajectories,
 * with repetition) to a flat vector of estimates; the point estimate is that function on
 * rows 0 .. n-1 and the bootstrap calls it on resampled lists, so the two cannot drift apart.
 */
#include "sens.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "error.h"

const char *const sens_order_names[N_SENS_ORDER] = {"saltelli", "saltelli_salib"};

size_t sens_saltelli_blocks(size_t d, int second_order) { return second_order ? 2 * d + 2 : d + 2; }

size_t sens_saltelli_point(sens_order order, size_t n, size_t d, int second_order, size_t j, size_t k)
{
    if (order == SENS_BLOCKS) return k * n + j;
    size_t nb = sens_saltelli_blocks(d, second_order);
    /* SALib: A first, B last, AB_i at 1 + i and BA_i at 1 + d + i in between */
    return j * nb + (k == 0 ? 0 : k == 1 ? nb - 1 : k - 1);
}

size_t sens_sobol_skip(size_t n)
{
    size_t s = 16;
    while (s < n) s *= 2;
    return s;
}

/* 52 random bits */
static uint64_t bits52(gsl_rng *rng)
{
    uint64_t hi = gsl_rng_get(rng) & 0xffffffffu, lo = gsl_rng_get(rng) & 0xfffffu;
    return (hi << 20) | lo;
}

int sens_saltelli_design(size_t n, size_t d, int second_order, sens_order order, gsl_rng *shift, double *out)
{
    if (d == 0 || 2 * d > 40) return -1; /* gsl_qrng_sobol: at most 40 dimensions */
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * d));
    if (q == NULL) return -1;
    double p[40];
    uint64_t sh[40] = {0};
    const uint64_t low = (UINT64_C(1) << 22) - 1; /* below GSL's 30 bits: only the shift sets them */
    for (size_t i = 0; shift && i < 2 * d; i++) sh[i] = bits52(shift);
    for (size_t i = 0; shift && i < d; i++)
        while (((sh[i] ^ sh[d + i]) & low) == 0) sh[d + i] = bits52(shift);
    size_t nb = sens_saltelli_blocks(d, second_order), skip = sens_sobol_skip(n);
    /* GSL's sequence leaves out the origin: its first point is point 1 of the usual numbering */
    for (size_t s = 1; s < skip; s++) gsl_qrng_get(q, p);
    for (size_t j = 0; j < n; j++) {
        gsl_qrng_get(q, p);
        for (size_t i = 0; shift && i < 2 * d; i++) /* exact: p is a multiple of 2^-30 */
            p[i] = ldexp((double)(((uint64_t)ldexp(p[i], 52)) ^ sh[i]), -52);
        const double *a = p, *b = p + d;
        for (size_t k = 0; k < nb; k++) {
            double *row = out + sens_saltelli_point(order, n, d, second_order, j, k) * d;
            if (k == 0 || k == 1) {
                memcpy(row, k == 0 ? a : b, d * sizeof *row);
            } else if (k < 2 + d) { /* AB_i */
                memcpy(row, a, d * sizeof *row);
                row[k - 2] = b[k - 2];
            } else { /* BA_i */
                memcpy(row, b, d * sizeof *row);
                row[k - 2 - d] = a[k - 2 - d];
            }
        }
    }
    gsl_qrng_free(q);
    return 0;
}

int sens_morris_design(size_t r, size_t d, int p, gsl_rng *rng, double *out)
{
    if (d == 0 || p < 2 || p % 2 != 0) return -1;
    double delta = (double)p / (2.0 * (p - 1));
    size_t *order = tyndau_calloc(d, sizeof *order);
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

/* ------------------------------------------------------------------------- */
/* Bootstrap                                                                   */

/* An estimator: the vector est[0..k) from the rows idx[0..m) (with repetition). */
typedef void (*estimator_fn)(const void *data, const size_t *idx, size_t m, double *est);

/* Point estimates est[0..k) (rows 0..n-1) and their intervals: `boot` resamples of n rows. */
static int bootstrap(estimator_fn fn, const void *data, size_t n, size_t k, size_t boot, double level, gsl_rng *rng,
                     sens_ci *out)
{
    size_t *idx = tyndau_calloc(n, sizeof *idx);
    double *est = tyndau_calloc(k, sizeof *est), *rep = tyndau_calloc((boot ? boot : 1) * k, sizeof *rep);
    double *col = tyndau_calloc(boot, sizeof *col);
    if (!idx || !est || !rep || !col) {
        free(idx), free(est), free(rep), free(col);
        return -1;
    }
    for (size_t j = 0; j < n; j++) idx[j] = j;
    fn(data, idx, n, est);
    for (size_t b = 0; b < boot; b++) {
        for (size_t j = 0; j < n; j++) idx[j] = (size_t)gsl_rng_uniform_int(rng, (unsigned long)n);
        fn(data, idx, n, rep + b * k);
    }
    double z = gsl_cdf_ugaussian_Pinv(0.5 + level / 2.0);
    for (size_t e = 0; e < k; e++) {
        size_t c = 0;
        for (size_t b = 0; b < boot; b++)
            if (!isnan(rep[b * k + e])) col[c++] = rep[b * k + e];
        out[e].value = est[e];
        out[e].lo = out[e].hi = out[e].conf = NAN;
        if (c > 1) out[e].conf = z * gsl_stats_sd(col, 1, c); /* SD with c - 1, as numpy's ddof=1 */
        if (c > 0) {
            gsl_sort(col, 1, c);
            out[e].lo = gsl_stats_quantile_from_sorted_data(col, 1, c, (1.0 - level) / 2.0);
            out[e].hi = gsl_stats_quantile_from_sorted_data(col, 1, c, 1.0 - (1.0 - level) / 2.0);
        }
    }
    free(idx), free(est), free(rep), free(col);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Sobol                                                                       */

typedef struct {
    const double *y, *noise;
    size_t n, d;
    int second_order;
    double centre; /* the mean of every finite output: the estimates do not move with a constant */
    /* offsets into the estimate vector; SIZE_MAX where absent */
    size_t first, total, second, first_adj, total_adj, second_adj, sum, k;
} sobol_data;

static double yv(const sobol_data *s, size_t block, size_t j) { return s->y[block * s->n + j] - s->centre; }
static double nv(const sobol_data *s, size_t block, size_t j) { return s->noise[block * s->n + j]; }

static void sobol_once(const void *data, const size_t *idx, size_t m, double *est)
{
    const sobol_data *s = data;
    size_t d = s->d;
    int noisy = s->noise != NULL;
    for (size_t e = 0; e < s->k; e++) est[e] = NAN;
    /* V over the rows of A and B (divided by their number, as numpy's var), and its noise */
    double sum = 0.0, sum2 = 0.0, nsum = 0.0;
    size_t c = 0;
    for (size_t t = 0; t < m; t++) {
        double a = yv(s, 0, idx[t]), b = yv(s, 1, idx[t]);
        if (isnan(a) || isnan(b)) continue;
        sum += a + b, sum2 += a * a + b * b, c += 2;
        if (noisy) nsum += nv(s, 0, idx[t]) + nv(s, 1, idx[t]);
    }
    if (c == 0) return;
    double mean = sum / (double)c, var = sum2 / (double)c - mean * mean;
    double vadj = noisy ? var - nsum / (double)c : NAN;
    if (!(var > 0.0)) return;
    if (!(vadj > 0.0)) vadj = NAN; /* the noise is as large as the variance: no corrected index */
    double fsum = 0.0;
    for (size_t i = 0; i < d; i++) {
        double f = 0.0, tt = 0.0, tn = 0.0;
        size_t ci = 0;
        for (size_t t = 0; t < m; t++) {
            size_t j = idx[t];
            double a = yv(s, 0, j), b = yv(s, 1, j), ab = yv(s, 2 + i, j);
            if (isnan(a) || isnan(b) || isnan(ab)) continue;
            f += b * (ab - a);
            tt += (a - ab) * (a - ab);
            if (noisy) tn += 0.5 * (nv(s, 0, j) + nv(s, 2 + i, j));
            ci++;
        }
        if (ci == 0) continue;
        est[s->first + i] = f / (double)ci / var;
        est[s->total + i] = tt / (double)ci / 2.0 / var;
        if (noisy) {
            est[s->first_adj + i] = f / (double)ci / vadj;
            est[s->total_adj + i] = (tt / (double)ci / 2.0 - tn / (double)ci) / vadj;
        }
        fsum += est[s->first + i];
    }
    est[s->sum] = fsum;
    if (!s->second_order) return;
    for (size_t i = 0; i < d; i++)
        for (size_t k = i + 1; k < d; k++) {
            double v = 0.0;
            size_t ci = 0;
            for (size_t t = 0; t < m; t++) {
                size_t j = idx[t];
                double a = yv(s, 0, j), b = yv(s, 1, j), ba = yv(s, 2 + d + i, j), ab = yv(s, 2 + k, j);
                if (isnan(a) || isnan(b) || isnan(ba) || isnan(ab)) continue;
                v += ba * ab - a * b;
                ci++;
            }
            if (ci == 0) continue;
            est[s->second + i * d + k] = v / (double)ci / var - est[s->first + i] - est[s->first + k];
            if (noisy)
                est[s->second_adj + i * d + k] =
                    v / (double)ci / vadj - est[s->first_adj + i] - est[s->first_adj + k];
        }
}

int sens_sobol(const double *y, const double *noise, size_t n, size_t d, int second_order, size_t boot,
               double level, gsl_rng *rng, sens_sobol_result *res)
{
    sobol_data s = {y, noise, n, d, second_order, 0.0, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t nb = sens_saltelli_blocks(d, second_order), k = 0, c = 0;
    double sum = 0.0;
    for (size_t r = 0; r < n * nb; r++)
        if (!isnan(y[r])) sum += y[r], c++;
    s.centre = c ? sum / (double)c : 0.0;
    /* the estimate vector: first, total, [second], [first_adj, total_adj, [second_adj]], sum */
    s.first = k;
    k += d;
    s.total = k;
    k += d;
    s.second = second_order ? k : SIZE_MAX;
    k += second_order ? d * d : 0;
    s.first_adj = noise ? k : SIZE_MAX;
    k += noise ? d : 0;
    s.total_adj = noise ? k : SIZE_MAX;
    k += noise ? d : 0;
    s.second_adj = noise && second_order ? k : SIZE_MAX;
    k += noise && second_order ? d * d : 0;
    s.sum = k++;
    s.k = k;
    sens_ci *ci = tyndau_calloc(k, sizeof *ci);
    if (ci == NULL || bootstrap(sobol_once, &s, n, k, boot, level, rng, ci) != 0) {
        free(ci);
        return -1;
    }
    memcpy(res->first, ci + s.first, d * sizeof *ci);
    memcpy(res->total, ci + s.total, d * sizeof *ci);
    if (res->second && second_order) memcpy(res->second, ci + s.second, d * d * sizeof *ci);
    if (res->first_adj && noise) memcpy(res->first_adj, ci + s.first_adj, d * sizeof *ci);
    if (res->total_adj && noise) memcpy(res->total_adj, ci + s.total_adj, d * sizeof *ci);
    if (res->second_adj && noise && second_order) memcpy(res->second_adj, ci + s.second_adj, d * d * sizeof *ci);
    res->first_sum = ci[s.sum];
    free(ci);
    /* V and the noise of the full sample (reported beside the indices) */
    double vs = 0.0, vs2 = 0.0, ns = 0.0;
    size_t vc = 0;
    for (size_t j = 0; j < n; j++) {
        double a = yv(&s, 0, j), b = yv(&s, 1, j);
        if (isnan(a) || isnan(b)) continue;
        vs += a + b, vs2 += a * a + b * b, vc += 2;
        if (noise) ns += nv(&s, 0, j) + nv(&s, 1, j);
    }
    res->var = vc ? vs2 / (double)vc - (vs / (double)vc) * (vs / (double)vc) : NAN;
    res->noise_var = noise && vc ? ns / (double)vc : NAN;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Morris                                                                      */

/* Elementary effects ee[t * d + i] (NaN where a run failed). */
static void effects(const double *x, const double *y, size_t r, size_t d, double delta, double *ee)
{
    for (size_t t = 0; t < r * d; t++) ee[t] = NAN;
    for (size_t t = 0; t < r; t++)
        for (size_t k = 0; k < d; k++) {
            const double *p = x + (t * (d + 1) + k) * d, *q = p + d;
            double y0 = y[t * (d + 1) + k], y1 = y[t * (d + 1) + k + 1];
            for (size_t i = 0; i < d; i++)
                if (q[i] != p[i]) {
                    double step = delta > 0.0 ? (q[i] > p[i] ? delta : -delta) : q[i] - p[i];
                    ee[t * d + i] = (y1 - y0) / step;
                }
        }
}

typedef struct {
    const double *ee;
    size_t d;
} morris_data;

/* est: mu* [0, d), sigma [d, 2d), mu [2d, 3d) */
static void morris_once(const void *data, const size_t *idx, size_t m, double *est)
{
    const morris_data *md = data;
    size_t d = md->d;
    for (size_t i = 0; i < d; i++) {
        double s = 0.0, sa = 0.0, s2 = 0.0;
        size_t c = 0;
        for (size_t j = 0; j < m; j++) {
            double e = md->ee[idx[j] * d + i];
            if (isnan(e)) continue;
            s += e, sa += fabs(e), s2 += e * e, c++;
        }
        est[i] = c ? sa / (double)c : NAN;
        est[d + i] = c > 1 ? sqrt(fmax(0.0, (s2 - s * s / (double)c) / (double)(c - 1))) : NAN;
        est[2 * d + i] = c ? s / (double)c : NAN;
    }
}

int sens_morris(const double *x, const double *y, size_t r, size_t d, double delta, size_t boot, double level,
                gsl_rng *rng, sens_ci *mu_star, sens_ci *sigma, sens_ci *mu)
{
    double *ee = tyndau_calloc(r * d, sizeof *ee);
    sens_ci *ci = tyndau_calloc(3 * d, sizeof *ci);
    if (ee == NULL || ci == NULL) {
        free(ee), free(ci);
        return -1;
    }
    effects(x, y, r, d, delta, ee);
    morris_data md = {ee, d};
    int rc = bootstrap(morris_once, &md, r, 3 * d, boot, level, rng, ci);
    if (rc == 0) {
        memcpy(mu_star, ci, d * sizeof *ci);
        memcpy(sigma, ci + d, d * sizeof *ci);
        if (mu) memcpy(mu, ci + 2 * d, d * sizeof *ci);
    }
    free(ee), free(ci);
    return rc;
}
