/*
 * ident.c - identifiability from the eigen-spectrum of the sensitivity matrix, beside the
 * width-ratio report (posterior.c), which calls a parameter identified whenever its particles
 * are narrow, even when they are narrow because the sampler collapsed.
 *
 * At the posterior median (per quantity, on the sampler's unbounded scale z) the model is run
 * once and at z +- h e_k for every calibrated model parameter k (h = IDENT_STEP; all 2 d + 1 runs
 * with one model seed, many_seed(seed, K_IDENT, 0, 0): common random numbers, so a parameter that
 * moves nothing has an exactly zero column).  J[c][k] = (logit p_c(z + h e_k) - logit p_c(z - h
 * e_k)) / 2h for every fitted published cell c; w_c = row weight / var_c, var_c the logit-scale
 * variance of the published share under the observation model at the posterior median:
 * 1 / (n_eff p (1 - p)), times (n + A) / (1 + A) for the Dirichlet-multinomial, plus sd_f^2 for
 * the logit-normal model (n_eff = n / design_effect; cells treated as independent, an
 * approximation).  F = s^2 J' W J is the survey's Fisher information relative to a prior of
 * variance s^2 = pi^2 / 3 on z (the logistic: exactly the prior of a uniform quantity on z).
 * Its eigenvalues lambda_i, largest first, with eigenvectors v_i: a direction with lambda < 1
 * is one the survey constrains less than the prior does (a ridge when a combination of
 * parameters is flat), and the linear-Gaussian posterior / prior variance of parameter k is
 * [(F + I)^-1]_kk = sum_i v_ik^2 / (1 + lambda_i).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "calib.h"

#define IDENT_STEP 0.2

int calib_ident_spectrum(const double *J, const double *w, size_t nc, size_t d, double prior_var, double *eig,
                         double *vec, double *var_ratio)
{
    gsl_matrix *F = gsl_matrix_calloc(d, d), *V = gsl_matrix_alloc(d, d);
    gsl_vector *e = gsl_vector_alloc(d);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
    int rc = F && V && e && ws ? 0 : -1;
    for (size_t a = 0; rc == 0 && a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0.0;
            for (size_t c = 0; c < nc; c++) s += w[c] * J[c * d + a] * J[c * d + b];
            gsl_matrix_set(F, a, b, prior_var * s);
        }
    if (rc == 0 && gsl_eigen_symmv(F, e, V, ws) != 0) rc = -1;
    if (rc == 0) gsl_eigen_symmv_sort(e, V, GSL_EIGEN_SORT_VAL_DESC);
    for (size_t i = 0; rc == 0 && i < d; i++) {
        eig[i] = fmax(gsl_vector_get(e, i), 0.0); /* rounding can leave -1e-16 */
        for (size_t k = 0; k < d; k++) vec[i * d + k] = gsl_matrix_get(V, k, i);
    }
    for (size_t k = 0; rc == 0 && k < d; k++) {
        double v = 0.0;
        for (size_t i = 0; i < d; i++) v += vec[i * d + k] * vec[i * d + k] / (1.0 + eig[i]);
        var_ratio[k] = v;
    }
    gsl_matrix_free(F), gsl_matrix_free(V), gsl_vector_free(e), gsl_eigen_symmv_free(ws);
    return rc;
}

static double logit(double p)
{
    p = fmin(fmax(p, TYNDAU_OBS_PFLOOR), 1.0 - TYNDAU_OBS_PFLOOR);
    return log(p / (1.0 - p));
}

tyndau_status calib_identify(calib_t *C, calib_post *P, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    const calib_gen *g = &C->gen[C->n_gen - 1];
    const tyndau_obs *o = &C->obs;
    size_t N = c->particles, d = c->d, m = 0;
    P->ident_ok = 0;
    for (size_t k = 0; k < d; k++)
        if (c->prior[k].param >= 0) P->ident_q[m++] = (int)k;
    P->ident_d = m;
    size_t J = 2 * m + 1, nc = 0;
    for (size_t r = 0; r < o->n_rows; r++) nc += o->rows[r].weight > 0.0 ? o->rows[r].n_resp : 0;
    double *z0 = tyndau_calloc(d, sizeof *z0), *col = tyndau_calloc(N, sizeof *col);
    double *x = tyndau_calloc(J * d, sizeof *x), *probs = tyndau_calloc(J * C->n_out, sizeof *probs);
    double *jac = tyndau_calloc(nc * m + 1, sizeof *jac), *w = tyndau_calloc(nc + 1, sizeof *w);
    uint64_t *seed = tyndau_calloc(J, sizeof *seed);
    int *status = tyndau_calloc(J, sizeof *status);
    char(*msgs)[MANY_ERRLEN] = tyndau_calloc(J, sizeof *msgs);
    tyndau_status st = TYNDAU_OK;
    if (!z0 || !col || !x || !probs || !jac || !w || !seed || !status || !msgs)
        st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t k = 0; st == TYNDAU_OK && k < d; k++) {
        for (size_t i = 0; i < N; i++) col[i] = g->z[i * d + k];
        gsl_sort(col, 1, N);
        z0[k] = gsl_stats_median_from_sorted_data(col, 1, N);
    }
    for (size_t j = 0; st == TYNDAU_OK && j < J; j++) {
        for (size_t k = 0; k < d; k++) {
            double z = z0[k];
            if (j > 0 && (size_t)P->ident_q[(j - 1) / 2] == k) z += (j % 2 ? IDENT_STEP : -IDENT_STEP);
            x[j * d + k] = prior_z_to_x(&c->prior[k], z);
        }
        seed[j] = many_seed(c->seed, K_IDENT, 0, 0);
    }
    size_t failed = 0;
    if (st == TYNDAU_OK && m > 0) calib_simulate(C, x, seed, J, probs, status, msgs, &failed);
    if (st == TYNDAU_OK && m > 0 && failed == 0) {
        tyndau_obs_error e = calib_obs_error(C, x);
        size_t cell = 0;
        for (size_t r = 0; r < o->n_rows; r++) {
            const tyndau_obs_row *row = &o->rows[r];
            if (row->weight <= 0.0) continue;
            double neff = row->n / e.deff;
            for (size_t q = 0; q < row->n_resp; q++, cell++) {
                size_t at = r * TYNDAU_OBS_STRIDE + q;
                double p = fmin(fmax(probs[at], TYNDAU_OBS_PFLOOR), 1.0 - TYNDAU_OBS_PFLOOR);
                double var = 1.0 / (neff * p * (1.0 - p));
                if (e.kind == TYNDAU_OBS_DM && e.concentration > 0.0)
                    var *= (row->n + e.concentration) / (1.0 + e.concentration);
                if (e.kind == TYNDAU_OBS_LOGIT_NORMAL) var += e.sd[row->family] * e.sd[row->family];
                w[cell] = row->weight / var;
                for (size_t k = 0; k < m; k++) {
                    const double *hi = probs + (1 + 2 * k) * C->n_out, *lo = probs + (2 + 2 * k) * C->n_out;
                    jac[cell * m + k] = (logit(hi[at]) - logit(lo[at])) / (2.0 * IDENT_STEP);
                }
            }
        }
        P->ident_ok = calib_ident_spectrum(jac, w, nc, m, M_PI * M_PI / 3.0, P->eig, P->vec, P->var_ratio) == 0;
    }
    /* the report */
    size_t len = 0, cap = sizeof P->ident_report;
    char *t = P->ident_report;
    t[0] = '\0';
    if (st == TYNDAU_OK && !P->ident_ok)
        snprintf(t, cap, "sensitivity matrix: not computed (%s)\n",
                 m == 0 ? "no model parameter" : failed ? msgs[0] : "the eigen-decomposition failed");
    if (st == TYNDAU_OK && P->ident_ok) {
        size_t strong = 0;
        for (size_t i = 0; i < m; i++) strong += P->eig[i] > 1.0;
        len += (size_t)snprintf(t + len, cap - len,
                                "sensitivity matrix at the posterior median (%zu simulations, common random numbers): "
                                "%zu of %zu directions constrained by the survey more than by the prior (eigenvalue "
                                "of the information relative to the prior > 1); largest %.3g, smallest %.3g\n",
                                J, strong, m, P->eig[0], P->eig[m - 1]);
        for (size_t i = m; i-- > 0 && i + 3 >= m && len < cap;) {
            len += (size_t)snprintf(t + len, cap - len, "  among the three weakest directions, eigenvalue %.3g:", P->eig[i]);
            size_t idx[MAXD];
            double mag[MAXD];
            for (size_t k = 0; k < m; k++) mag[k] = fabs(P->vec[i * m + k]);
            gsl_sort_largest_index(idx, m < 3 ? m : 3, mag, 1, m);
            for (size_t a = 0; a < (m < 3 ? m : 3) && len < cap; a++)
                len += (size_t)snprintf(t + len, cap - len, " %+.2f %s", P->vec[i * m + idx[a]],
                                        c->prior[P->ident_q[idx[a]]].name);
            if (len < cap) len += (size_t)snprintf(t + len, cap - len, "\n");
        }
        for (size_t k = 0; k < m && len < cap; k++) {
            size_t q = (size_t)P->ident_q[k];
            double local = sqrt(P->var_ratio[k]);
            if (P->ratio[q] < 0.35 && local > 0.7)
                len += (size_t)snprintf(t + len, cap - len,
                                        "  %s: particles %.2f of the prior's width, but the survey's local "
                                        "information leaves %.2f: a narrow posterior the data do not explain "
                                        "(collapsed particles?)\n", c->prior[q].name, P->ratio[q], local);
        }
    }
    free(z0), free(col), free(x), free(probs), free(jac), free(w), free(seed), free(status), free(msgs);
    return st;
}
