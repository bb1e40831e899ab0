/*
 * hm_gp.c - the Gaussian-process emulator of history matching (hm.h has the model and its
 * invariant).  GSL's linear algebra (gsl_linalg_cholesky_*: already a dependency, Debian's
 * libgsl-dev, and every other study's; n is a few hundred runs, so dense O(n^3) factorisations
 * cost milliseconds) and GSL's multimin (vector_bfgs2, with the analytic gradient of the log
 * marginal likelihood, Rasmussen & Williams 2006 eq. 5.9).  Everything is deterministic: one
 * start, fixed iteration limits, no random numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include "hm.h"
#include "tyndau.h"

/* log hyperparameters are kept in a box: ell in [0.01, 100] on the unit cube (100: the output does
 * not depend on the input), sf2 in [1e-8, 1e4] on the logit scale */
#define LOG_ELL_LO (-4.605170185988091)
#define LOG_ELL_HI 4.605170185988091
#define LOG_SF2_LO (-18.420680743952367)
#define LOG_SF2_HI 9.210340371976184

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static double corr(const hm_gp *g, const double *a, const double *b, const double *ell)
{
    double s = 0.0;
    for (size_t k = 0; k < g->d; k++) {
        double t = (a[k] - b[k]) / ell[k];
        s += t * t;
    }
    return exp(-0.5 * s);
}

/* K = sf2 (C + jitter I) + diag(nugget) into M, then its Cholesky factor; 0 or -1. */
static int factor(const hm_gp *g, double sf2, const double *ell, gsl_matrix *M)
{
    size_t n = g->n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            double v = sf2 * corr(g, g->X + i * g->d, g->X + j * g->d, ell);
            gsl_matrix_set(M, i, j, v);
            gsl_matrix_set(M, j, i, v);
        }
        gsl_matrix_set(M, i, i, sf2 * (1.0 + HM_JITTER) + g->nugget[i]);
    }
    return gsl_linalg_cholesky_decomp1(M) == 0 ? 0 : -1;
}

/* -log marginal likelihood at the log hyperparameters t = (log sf2, log ell_1..d), and its
 * gradient (grad != NULL; then M ends as K^-1).  M: n x n, a: [n]. */
static double neg_lml(const hm_gp *g, const double *t, gsl_matrix *M, double *a, double *grad)
{
    size_t n = g->n, d = g->d;
    double sf2 = exp(clampd(t[0], LOG_SF2_LO, LOG_SF2_HI)), ell[HM_MAXD];
    for (size_t k = 0; k < d; k++) ell[k] = exp(clampd(t[1 + k], LOG_ELL_LO, LOG_ELL_HI));
    if (factor(g, sf2, ell, M) != 0) return INFINITY;
    gsl_vector_view av = gsl_vector_view_array(a, n);
    for (size_t i = 0; i < n; i++) a[i] = g->y[i] - g->mean;
    double quad = 0.0, logdet = 0.0;
    gsl_linalg_cholesky_svx(M, &av.vector);
    for (size_t i = 0; i < n; i++) quad += (g->y[i] - g->mean) * a[i], logdet += log(gsl_matrix_get(M, i, i));
    double v = 0.5 * quad + logdet + 0.5 * (double)n * log(2.0 * M_PI);
    if (grad == NULL) return v;
    gsl_linalg_cholesky_invert(M);
    /* d(-lml)/dt = -1/2 sum_ij (a_i a_j - Kinv_ij) dK_ij/dt */
    for (size_t k = 0; k <= d; k++) grad[k] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double w = (i == j ? 1.0 : 2.0) * (a[i] * a[j] - gsl_matrix_get(M, i, j));
            double c = i == j ? 1.0 + HM_JITTER : corr(g, g->X + i * d, g->X + j * d, ell);
            grad[0] -= 0.5 * w * sf2 * c;
            if (i == j) continue;
            for (size_t k = 0; k < d; k++) {
                double dx = (g->X[i * d + k] - g->X[j * d + k]) / ell[k];
                grad[1 + k] -= 0.5 * w * sf2 * c * dx * dx;
            }
        }
    /* outside the box the value does not change: no gradient there */
    if (t[0] < LOG_SF2_LO || t[0] > LOG_SF2_HI) grad[0] = 0.0;
    for (size_t k = 0; k < d; k++)
        if (t[1 + k] < LOG_ELL_LO || t[1 + k] > LOG_ELL_HI) grad[1 + k] = 0.0;
    return v;
}

typedef struct {
    const hm_gp *g;
    gsl_matrix *M;
    double *a;
} opt_ctx;

static double f_only(const gsl_vector *t, void *p)
{
    opt_ctx *o = p;
    double v = neg_lml(o->g, t->data, o->M, o->a, NULL);
    return isfinite(v) ? v : 1e300;
}

static void f_df(const gsl_vector *t, void *p, double *f, gsl_vector *df)
{
    opt_ctx *o = p;
    double grad[HM_MAXD + 1];
    double v = neg_lml(o->g, t->data, o->M, o->a, grad);
    for (size_t k = 0; k <= o->g->d; k++) gsl_vector_set(df, k, isfinite(v) ? grad[k] : 0.0);
    *f = isfinite(v) ? v : 1e300;
}

static void df_only(const gsl_vector *t, void *p, gsl_vector *df)
{
    double f;
    f_df(t, p, &f, df);
}

/* BFGS on the log hyperparameters from t (d + 1), the best point back into t. */
static void optimise(const hm_gp *g, gsl_matrix *M, double *a, double *t)
{
    size_t m = g->d + 1;
    opt_ctx o = {g, M, a};
    gsl_multimin_function_fdf fn = {f_only, df_only, f_df, m, &o};
    gsl_vector *x = gsl_vector_alloc(m);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, m);
    if (x == NULL || s == NULL) {
        gsl_vector_free(x);
        gsl_multimin_fdfminimizer_free(s);
        return;
    }
    /* BFGS from t; restarted from where it stopped (a fresh Hessian estimate) while that helps */
    double best = INFINITY;
    for (int restart = 0; restart < 4; restart++) {
        for (size_t k = 0; k < m; k++) gsl_vector_set(x, k, t[k]);
        gsl_multimin_fdfminimizer_set(s, &fn, x, 0.1, 0.1);
        int done = 0;
        for (int it = 0; it < 200; it++) {
            if (gsl_multimin_fdfminimizer_iterate(s) != GSL_SUCCESS) break;
            if (gsl_multimin_test_gradient(s->gradient, 1e-4) == GSL_SUCCESS) {
                done = 1;
                break;
            }
        }
        double v = gsl_multimin_fdfminimizer_minimum(s);
        if (!(v < best)) break;
        best = v;
        for (size_t k = 0; k < m; k++) t[k] = gsl_vector_get(s->x, k);
        if (done) break;
    }
    t[0] = clampd(t[0], LOG_SF2_LO, LOG_SF2_HI);
    for (size_t k = 1; k < m; k++) t[k] = clampd(t[k], LOG_ELL_LO, LOG_ELL_HI);
    gsl_multimin_fdfminimizer_free(s);
    gsl_vector_free(x);
}

void hm_gp_free(hm_gp *g)
{
    free(g->X), free(g->y), free(g->nugget), free(g->alpha), free(g->kinv), free(g->loo_mean), free(g->loo_sd);
    gsl_matrix_free(g->L);
    memset(g, 0, sizeof *g);
}

static int fit(hm_gp *g, const double *X, const double *y, const double *nugget, size_t n, size_t d,
               const double *fixed_mean, double sf2, const double *ell, int opt)
{
    memset(g, 0, sizeof *g);
    if (n == 0 || d == 0 || d > HM_MAXD) return -1;
    g->n = n, g->d = d;
    g->X = tyndau_calloc(n * d, sizeof *g->X);
    g->y = tyndau_calloc(n, sizeof *g->y), g->nugget = tyndau_calloc(n, sizeof *g->nugget);
    g->alpha = tyndau_calloc(n, sizeof *g->alpha), g->kinv = tyndau_calloc(n, sizeof *g->kinv);
    g->loo_mean = tyndau_calloc(n, sizeof *g->loo_mean), g->loo_sd = tyndau_calloc(n, sizeof *g->loo_sd);
    g->L = gsl_matrix_alloc(n, n);
    gsl_matrix *M = gsl_matrix_alloc(n, n);
    if (!g->X || !g->y || !g->nugget || !g->alpha || !g->kinv || !g->loo_mean || !g->loo_sd || !g->L || !M) {
        gsl_matrix_free(M);
        hm_gp_free(g);
        return -1;
    }
    memcpy(g->X, X, n * d * sizeof *X);
    memcpy(g->y, y, n * sizeof *y);
    if (nugget) memcpy(g->nugget, nugget, n * sizeof *nugget);
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) s += y[i];
    g->mean = fixed_mean ? *fixed_mean : s / (double)n;
    for (size_t i = 0; i < n; i++) s2 += (y[i] - g->mean) * (y[i] - g->mean);
    double t[HM_MAXD + 1];
    double v0 = n > 1 ? s2 / (double)(n - 1) : 1.0;
    t[0] = log(sf2 > 0.0 ? sf2 : fmax(v0, 1e-6));
    for (size_t k = 0; k < d; k++) t[1 + k] = log(ell && sf2 > 0.0 ? ell[k] : 0.5);
    if (opt) optimise(g, M, g->alpha, t);
    g->sf2 = exp(t[0]);
    for (size_t k = 0; k < d; k++) g->ell[k] = exp(t[1 + k]);
    double v = neg_lml(g, t, g->L, g->alpha, NULL);
    if (!isfinite(v)) {
        gsl_matrix_free(M);
        hm_gp_free(g);
        return -1;
    }
    g->lml = -v;
    /* the diagonal of K^-1 and the closed-form LOO (R&W eq. 5.12) */
    gsl_matrix_memcpy(M, g->L);
    gsl_linalg_cholesky_invert(M);
    size_t beyond = 0;
    for (size_t i = 0; i < n; i++) {
        g->kinv[i] = gsl_matrix_get(M, i, i);
        g->loo_mean[i] = y[i] - g->alpha[i] / g->kinv[i];
        g->loo_sd[i] = sqrt(1.0 / g->kinv[i]);
        beyond += fabs((y[i] - g->loo_mean[i]) / g->loo_sd[i]) > 3.0;
    }
    g->loo_beyond3 = (double)beyond / (double)n;
    gsl_matrix_free(M);
    g->ok = 1;
    return 0;
}

int hm_gp_fit(hm_gp *g, const double *X, const double *y, const double *nugget, size_t n, size_t d, double sf2,
              const double *ell, int optimise)
{
    return fit(g, X, y, nugget, n, d, NULL, sf2, ell, optimise);
}

int hm_gp_fit_at(hm_gp *g, const double *X, const double *y, const double *nugget, size_t n, size_t d, double mean,
                 double sf2, const double *ell)
{
    return fit(g, X, y, nugget, n, d, &mean, sf2, ell, 0);
}

void hm_gp_predict(const hm_gp *g, const double *x, double *mean, double *var, double *work)
{
    size_t n = g->n;
    double m = g->mean;
    for (size_t i = 0; i < n; i++) {
        work[i] = g->sf2 * corr(g, x, g->X + i * g->d, g->ell);
        m += work[i] * g->alpha[i];
    }
    *mean = m;
    if (var != NULL) *var = hm_gp_var_from(g, work);
}

double hm_gp_var_from(const hm_gp *g, double *work)
{
    /* v = L^-1 k, var = sf2 - v'v */
    size_t n = g->n;
    gsl_vector_view w = gsl_vector_view_array(work, n);
    gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, g->L, &w.vector);
    double vv = 0.0;
    for (size_t i = 0; i < n; i++) vv += work[i] * work[i];
    return fmax(g->sf2 - vv, 0.0);
}

double hm_gp_lml_at(const hm_gp *g, double sf2, const double *ell)
{
    double t[HM_MAXD + 1];
    t[0] = log(sf2);
    for (size_t k = 0; k < g->d; k++) t[1 + k] = log(ell[k]);
    gsl_matrix *M = gsl_matrix_alloc(g->n, g->n);
    double *a = tyndau_calloc(g->n, sizeof *a);
    double v = M && a ? neg_lml(g, t, M, a, NULL) : INFINITY;
    gsl_matrix_free(M);
    free(a);
    return isfinite(v) ? -v : NAN;
}

double hm_implausibility(double z, double e, double v) { return fabs(z - e) / sqrt(v); }

double hm_measure(const double *imp, const int *use, size_t nc, int measure)
{
    double first = -INFINITY, second = -INFINITY;
    for (size_t c = 0; c < nc; c++) {
        if (use && !use[c]) continue;
        double v = imp[c];
        if (v > first) second = first, first = v;
        else if (v > second) second = v;
    }
    double r = measure == 2 && isfinite(second) ? second : first;
    return isfinite(r) ? r : 0.0;
}
