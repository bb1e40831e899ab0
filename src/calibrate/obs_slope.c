/*
 * obs_slope.c - the structured slope discrepancy of the logit-normal model (obs.h; docs/calibration.md
 * s2): the rows of one question's age or income breakdown share a discrepancy linear in the
 * ordered group index, so that the posterior of its sd says how much of the gradient the model
 * misses.
 *
 * Block density.  Row g of the breakdown has additive log-ratio residuals x_g (m = K - 1 of them)
 * with the per-row covariance A_g = diag(d) + u 11' of obs.c.  The slope adds t_g b to x_g, b ~
 * N(0, B), B = (tau^2 / 2)(I + 11'), the same b for every group.  With U = t (x) I_m,
 *   Sigma = A + U B U',  A = blockdiag(A_g),
 *   log det Sigma = sum_g log det A_g + log det(I + B M),            M = U' A^-1 U = sum_g t_g^2 A_g^-1,
 *   x' Sigma^-1 x = sum_g x_g' A_g^-1 x_g - v' (I + B M)^-1 B v,      v = U' A^-1 x = sum_g t_g A_g^-1 x_g
 * (the matrix determinant lemma and Woodbury's identity), so the block's log density is the sum of
 * its rows' (obs.c, unchanged) plus -1/2 [log det(I + B M) - v' (I + B M)^-1 B v]: an m x m solve.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "codes.h"
#include "obs.h"

const char *const tyndau_obs_slope_names[TYNDAU_N_SLOPE] = {"age", "income"};

int tyndau_obs_slope_of(const tyndau_obs_row *w, double *t)
{
    if (strcmp(w->group_type, "age") == 0) {
        for (int a = 0; a < N_AGE; a++)
            if (strcmp(w->group, tyndau_age_names[a]) == 0) {
                *t = (double)a - 0.5 * (N_AGE - 1);
                return TYNDAU_SLOPE_AGE;
            }
    } else if (strcmp(w->group_type, "income") == 0) {
        static const char *const order[3] = {"low", "middle", "high"};
        for (int k = 0; k < 3; k++)
            if (strcmp(w->group, order[k]) == 0) {
                *t = (double)k - 1.0;
                return TYNDAU_SLOPE_INCOME;
            }
    }
    *t = 0.0;
    return -1;
}

/* Row w's residuals x and the inverse of its covariance A (m x m, row-major) under e; m, or 0
 * when the row cannot be evaluated (a NaN probability, one response). */
static size_t row_inverse(const tyndau_obs_row *w, const double *p, const tyndau_obs_error *e, double *x, double *Ai)
{
    size_t nk = w->n_resp + (size_t)w->has_rest, m = nk - 1;
    if (nk < 2) return 0;
    double q[TYNDAU_OBS_STRIDE], sum = 0.0, ntot = 0.0, neff = w->n / e->deff;
    for (size_t k = 0; k < nk; k++) {
        if (isnan(p[k])) return 0;
        sum += q[k] = fmax(p[k], TYNDAU_OBS_PFLOOR);
        ntot += w->count[k];
    }
    for (size_t k = 0; k < nk; k++) q[k] /= sum;
    double half = 0.5 * e->sd[w->family] * e->sd[w->family], u = 1.0 / (neff * q[m]) + half, d[TYNDAU_OBS_STRIDE];
    double yK = (w->count[m] + 0.5) / (ntot + 0.5 * (double)nk), s_inv = 0.0;
    for (size_t k = 0; k < m; k++) {
        double y = (w->count[k] + 0.5) / (ntot + 0.5 * (double)nk);
        x[k] = log(y / yK) - log(q[k] / q[m]);
        d[k] = 1.0 / (neff * q[k]) + half;
        s_inv += 1.0 / d[k];
    }
    double c = u / (1.0 + u * s_inv); /* (diag(d) + u 11')^-1 = diag(1/d) - c (1/d)(1/d)' */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) Ai[i * m + j] = (i == j ? 1.0 / d[i] : 0.0) - c / (d[i] * d[j]);
    return m;
}

/* The block's log density; with wout, also E[b | x] (m values into wout, m into *mout): the
 * posterior mean of the slope given the residuals, (B^-1 + M)^-1 v = (I + B M)^-1 B v, the
 * solve's solution. */
static double block(const tyndau_obs *o, const char *question, int kind, const double *prob,
                    const tyndau_obs_error *e, double tau, double *wout, size_t *mout)
{
    enum { S = TYNDAU_OBS_MAX_RESP };
    double M[S * S] = {0}, v[S] = {0}, ll = 0.0;
    size_t m = 0;
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        double t;
        if (w->weight <= 0.0 || strcmp(w->question, question) != 0 || tyndau_obs_slope_of(w, &t) != kind) continue;
        const double *p = prob + r * TYNDAU_OBS_STRIDE;
        if (w->n_resp + (size_t)w->has_rest < 2) continue; /* one response: nothing observed */
        ll += tyndau_obs_row_loglik_err(w, p, e);
        double x[S], Ai[S * S];
        size_t mr = row_inverse(w, p, e, x, Ai);
        if (mr == 0 || (m != 0 && mr != m)) return -INFINITY; /* a NaN probability; rows of other shapes */
        m = mr;
        for (size_t i = 0; i < m; i++) {
            double s = 0.0;
            for (size_t j = 0; j < m; j++) {
                M[i * m + j] += t * t * Ai[i * m + j];
                s += Ai[i * m + j] * x[j];
            }
            v[i] += t * s;
        }
    }
    if (mout) *mout = m;
    for (size_t i = 0; wout && i < m; i++) wout[i] = 0.0;
    if (m == 0 || !isfinite(ll) || tau <= 0.0) return ll;
    /* C = I + B M, B = (tau^2/2)(I + 11'): (B M)_ij = (tau^2/2)(M_ij + sum_k M_kj); Bv likewise */
    double h = 0.5 * tau * tau, colsum[S] = {0}, vs = 0.0, Bv[S];
    for (size_t j = 0; j < m; j++)
        for (size_t k = 0; k < m; k++) colsum[j] += M[k * m + j];
    for (size_t k = 0; k < m; k++) vs += v[k];
    gsl_matrix *C = gsl_matrix_alloc(m, m);
    gsl_permutation *perm = gsl_permutation_alloc(m);
    gsl_vector *b = gsl_vector_alloc(m), *sol = gsl_vector_alloc(m);
    if (!C || !perm || !b || !sol) {
        gsl_matrix_free(C), gsl_permutation_free(perm), gsl_vector_free(b), gsl_vector_free(sol);
        return NAN;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < m; j++) gsl_matrix_set(C, i, j, (i == j) + h * (M[i * m + j] + colsum[j]));
        Bv[i] = h * (v[i] + vs);
        gsl_vector_set(b, i, Bv[i]);
    }
    int sign = 0;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int bad = gsl_linalg_LU_decomp(C, perm, &sign) || gsl_linalg_LU_solve(C, perm, b, sol);
    gsl_set_error_handler(old);
    double logdet = bad ? NAN : gsl_linalg_LU_lndet(C), corr = 0.0;
    for (size_t i = 0; !bad && i < m; i++) corr += v[i] * gsl_vector_get(sol, i);
    for (size_t i = 0; wout && i < m; i++) wout[i] = bad ? NAN : gsl_vector_get(sol, i);
    gsl_matrix_free(C), gsl_permutation_free(perm), gsl_vector_free(b), gsl_vector_free(sol);
    return bad ? -INFINITY : ll - 0.5 * (logdet - corr);
}

double tyndau_obs_slope_block(const tyndau_obs *o, const char *question, int kind, const double *prob,
                              const tyndau_obs_error *e, double tau)
{
    return block(o, question, kind, prob, e, tau, NULL, NULL);
}

size_t tyndau_obs_slope_mean(const tyndau_obs *o, const char *question, int kind, const double *prob,
                             const tyndau_obs_error *e, double tau, double *w)
{
    size_t m = 0;
    double ll = block(o, question, kind, prob, e, tau, w, &m);
    return isfinite(ll) ? m : 0;
}

void tyndau_obs_slope_draw(const tyndau_obs *o, const tyndau_obs_error *e, gsl_rng *r, double *shift)
{
    for (size_t k = 0; k < o->n_rows * TYNDAU_OBS_STRIDE; k++) shift[k] = 0.0;
    if (e->kind != TYNDAU_OBS_LOGIT_NORMAL) return;
    for (size_t a = 0; a < o->n_rows; a++) {
        double t;
        int kind = tyndau_obs_slope_of(&o->rows[a], &t);
        if (kind < 0 || !(e->slope[kind] > 0.0)) continue;
        int first = 1; /* one draw per (question, breakdown), at its first row */
        for (size_t b = 0; b < a && first; b++)
            first = !(strcmp(o->rows[b].question, o->rows[a].question) == 0 && tyndau_obs_slope_of(&o->rows[b], &t) == kind);
        if (!first) continue;
        double c[TYNDAU_OBS_STRIDE];
        for (size_t j = 0; j < TYNDAU_OBS_STRIDE; j++) c[j] = gsl_ran_gaussian(r, e->slope[kind] / sqrt(2.0));
        for (size_t b = a; b < o->n_rows; b++)
            if (strcmp(o->rows[b].question, o->rows[a].question) == 0 && tyndau_obs_slope_of(&o->rows[b], &t) == kind)
                for (size_t j = 0; j < TYNDAU_OBS_STRIDE; j++) shift[b * TYNDAU_OBS_STRIDE + j] = t * c[j];
    }
}
