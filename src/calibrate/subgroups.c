/*
 * subgroups.c - estimate a survey's unpublished subgroup sizes from its cross-tabs
 * (see subgroups.h).
 *
 * Model.  For a group type with groups g = 1..K of unknown sizes w_g (shares of the
 * respondents), every (question, response) cell published both as a total and for every
 * group satisfies, in the sample itself,
 *     total_r = sum_g w_g * share_gr,      w_g >= 0,  sum_g w_g = 1,
 * up to the rounding of the published cells.  Only cells on the whole sample (base "all")
 * are used: a total on a sub-base (e.g. those aware of the concept) weights each group by its
 * share of that sub-base, not of all respondents.
 *
 * One equation per question is redundant.  When a question's published responses are
 * complete (the total and every group row sum to 1 within the loader's 0.5 pp tolerance),
 * the equations of that question, summed over its responses, only say 1 = sum_g w_g; what is
 * left there after rounding (e.g. 99.9% rows) is noise that an unweighted fit would read as
 * information about the sizes.  So each complete question block is centred (its mean over
 * the responses subtracted from the total and from each group's shares), which projects that
 * direction out; such a block carries R - 1 independent equations for R responses.  A block
 * that is a published subset of the responses is used as it is (R equations).
 *
 * Solution (Lawson & Hanson, "Solving Least Squares Problems", Prentice-Hall 1974, repr.
 * SIAM 1995: ch. 20 for the equality constraint by elimination, ch. 23 for the active-set
 * treatment of the bounds).  The constraint sum w = 1 is eliminated by substitution
 * w_K = 1 - sum_{g<K} w_g, which leaves an ordinary weighted least-squares problem in K - 1
 * unknowns, solved by GSL's SVD-based gsl_multifit_wlinear_tsvd.  An optional prior adds
 * one row w_g = prior_g per group with weight prior_weight (data rows have weight 1).  GSL
 * has no bounded linear least squares, so the bounds w >= 0 are handled here: if the free
 * solution has a negative share, the problem is solved again on every support (the subset of
 * groups allowed a non-zero share; at most 2^8 - 1 of them, each tiny) and the feasible
 * solution of least objective is kept.  The objective is strictly convex once the full
 * problem has full rank, and the constrained optimum is the free optimum on its own support,
 * so this exhaustive active-set search finds the exact constrained least-squares solution.
 *
 * Uncertainty.  The covariance of the free shares is sigma^2 (X^T W X)^-1 (GSL returns the
 * unscaled inverse), propagated to the full set through w_K = 1 - sum of the others (so each
 * row of the covariance sums to 0); shares held at 0 get zero variance.  sigma^2, the error
 * variance of one data equation, is the residual variance chi^2 / (n_indep - p), but never
 * less than the variance that rounding every published cell to 0.1 pp alone puts into an
 * equation, ((0.001)^2 / 12) (1 + sum_g w_g^2) in shares (a uniform error of +-0.05 pp on the
 * total and on each group cell).  The floor matters: the identity above holds exactly within
 * the sample, so rounding is its main error, and with as many independent equations as
 * unknowns (the 2021 income cross-tab: one question, 2 equations, 2 unknowns) the residuals
 * are zero and say nothing.  The floor assumes figures published to 0.1 pp, as in
 * data/survey_2021; it makes the standard errors conservative for more precise input.  It
 * does not cover respondents missing from every group (e.g. refusing the income question):
 * such a departure shows only through the residuals, when there are spare equations.
 */
#include "subgroups.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K_MAX TYNDAU_SUBGROUPS_MAX
#define TOTAL_TYPE "total"
#define WHOLE_SAMPLE "all"
/* A question's rows are complete when they sum to 1 within the loader's tolerance (targets.c). */
#define ROW_SUM_TOL (0.005 + 1e-9)
#define ROUND_VAR TYNDAU_SUBGROUPS_ROUND_VAR
/* Relative singular value below which the cross-tabs are taken not to separate the groups. */
#define RANK_TOL 1e-10
/* Prior shares must sum to 1 within this. */
#define PRIOR_SUM_TOL 0.01

/* The stacked equations of one group type. */
typedef struct {
    size_t k;                /* groups */
    size_t m;                /* equations: (question, response) cells used */
    size_t n_indep;          /* independent equations (m less one per complete question) */
    double *b, *s;           /* centred total (m) and group shares (m x k, row-major) */
    double *b_raw, *s_raw;   /* the same as published, for the residual report */
    const double *prior;     /* k shares, or NULL */
    double lambda;           /* weight of each prior row; > 0 iff prior != NULL */
    /* GSL storage for the largest problem, (m + k) x (k - 1); smaller ones use views */
    gsl_multifit_linear_workspace *ws;
    gsl_matrix *X, *cov;
    gsl_vector *y, *wt, *c;
} lsq_system;

/* One candidate solution: the shares on a support and their unscaled covariance. */
typedef struct {
    double w[K_MAX];
    double cov[K_MAX][K_MAX]; /* (X^T W X)^-1 propagated to the shares */
    double objective;         /* weighted sum of squared residuals, prior rows included */
    size_t n_free;            /* free parameters: support size - 1 */
    size_t rank;
} candidate;

static void system_free(lsq_system *sys)
{
    free(sys->b);
    free(sys->s);
    free(sys->b_raw);
    free(sys->s_raw);
    if (sys->ws != NULL) gsl_multifit_linear_free(sys->ws);
    if (sys->X != NULL) gsl_matrix_free(sys->X);
    if (sys->cov != NULL) gsl_matrix_free(sys->cov);
    if (sys->y != NULL) gsl_vector_free(sys->y);
    if (sys->wt != NULL) gsl_vector_free(sys->wt);
    if (sys->c != NULL) gsl_vector_free(sys->c);
    memset(sys, 0, sizeof *sys);
}

/* The group types present in the targets other than "total", as "a, b, c" (for messages). */
static void list_group_types(const tyndau_targets *t, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        const char *gt = t->cells[i].group_type;
        if (strcmp(gt, TOTAL_TYPE) == 0) continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(t->cells[j].group_type, gt) == 0;
        if (seen) continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len > 0 ? ", " : "", gt);
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
    if (len == 0) snprintf(buf, cap, "(none)");
}

tyndau_status tyndau_subgroups_groups(const tyndau_targets *t, const char *group_type,
                                     tyndau_subgroups *out, tyndau_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tyndau_target *c = &t->cells[i];
        if (strcmp(c->group_type, group_type) != 0) continue;
        int seen = 0;
        for (size_t g = 0; g < k && !seen; g++) seen = strcmp(out->group[g], c->group) == 0;
        if (seen) continue;
        if (k == K_MAX)
            return TYNDAU_ERR(err, TYNDAU_EINPUT,
                              "group type '%s' has more than %d groups, expected at most %d",
                              group_type, K_MAX, K_MAX);
        /* both fields are char[24]: the name fits */
        memcpy(out->group[k], c->group, sizeof out->group[k]);
        k++;
    }
    if (k == 0) {
        char types[256];
        list_group_types(t, types, sizeof types);
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s' has no cross-tab in the targets, expected one of: %s",
                          group_type, types);
    }
    if (k < 2)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s' has one group ('%s'), expected at least 2 to estimate "
                          "their sizes",
                          group_type, out->group[0]);
    out->n_groups = k;
    return TYNDAU_OK;
}

/* Centre each complete question block and count the independent equations. */
static void centre_blocks(lsq_system *sys, const tyndau_target **totals)
{
    const size_t m = sys->m, k = sys->k;
    for (size_t i = 0; i < m; i++) {
        /* each question's block is handled at its first equation */
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(totals[j]->question, totals[i]->question) != 0;
        if (!first) continue;

        size_t r = 0;
        double sum_b = 0.0, sum_s[K_MAX] = {0.0};
        for (size_t j = i; j < m; j++) {
            if (strcmp(totals[j]->question, totals[i]->question) != 0) continue;
            r++;
            sum_b += sys->b_raw[j];
            for (size_t g = 0; g < k; g++) sum_s[g] += sys->s_raw[j * k + g];
        }
        int complete = fabs(sum_b - 1.0) <= ROW_SUM_TOL;
        for (size_t g = 0; g < k && complete; g++) complete = fabs(sum_s[g] - 1.0) <= ROW_SUM_TOL;
        sys->n_indep += complete ? r - 1 : r;
        if (!complete) continue;
        for (size_t j = i; j < m; j++) {
            if (strcmp(totals[j]->question, totals[i]->question) != 0) continue;
            sys->b[j] -= sum_b / (double)r;
            for (size_t g = 0; g < k; g++) sys->s[j * k + g] -= sum_s[g] / (double)r;
        }
    }
}

/* Build the equations: one per (question, response) with the total (base "all") and every group. */
static tyndau_status build_system(const tyndau_targets *t, const tyndau_subgroups *out,
                                  lsq_system *sys, tyndau_error *err)
{
    const size_t k = out->n_groups;
    sys->k = k;
    const tyndau_target **totals = tyndau_calloc(t->n, sizeof *totals);
    sys->b = tyndau_calloc(t->n, sizeof *sys->b);
    sys->b_raw = tyndau_calloc(t->n, sizeof *sys->b_raw);
    sys->s = tyndau_calloc(t->n, k * sizeof *sys->s);
    sys->s_raw = tyndau_calloc(t->n, k * sizeof *sys->s_raw);
    if (totals == NULL || sys->b == NULL || sys->b_raw == NULL || sys->s == NULL ||
        sys->s_raw == NULL) {
        free(totals);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "subgroup sizes: out of memory");
    }

    for (size_t i = 0; i < t->n; i++) {
        const tyndau_target *tot = &t->cells[i];
        if (strcmp(tot->group_type, TOTAL_TYPE) != 0 || strcmp(tot->base, WHOLE_SAMPLE) != 0)
            continue;
        const tyndau_target *cell[K_MAX];
        int all = 1;
        for (size_t g = 0; g < k && all; g++) {
            cell[g] = tyndau_targets_find(t, tot->question, out->group_type, out->group[g],
                                          tot->response);
            all = cell[g] != NULL && strcmp(cell[g]->base, tot->base) == 0;
        }
        if (!all) continue;
        const size_t e = sys->m++;
        totals[e] = tot;
        sys->b[e] = sys->b_raw[e] = tot->share;
        for (size_t g = 0; g < k; g++) sys->s[e * k + g] = sys->s_raw[e * k + g] = cell[g]->share;
    }
    if (sys->m == 0) {
        free(totals);
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s': no question is published both as a total (base '%s') "
                          "and for each of its %zu groups, expected at least one such cross-tab",
                          out->group_type, WHOLE_SAMPLE, k);
    }
    centre_blocks(sys, totals);
    free(totals);
    return TYNDAU_OK;
}

static tyndau_status alloc_gsl(lsq_system *sys, tyndau_error *err)
{
    /* largest problem: every data row plus a prior row per group, K - 1 free shares */
    const size_t rows = sys->m + sys->k, p = sys->k - 1;
    sys->ws = gsl_multifit_linear_alloc(rows, p);
    sys->X = gsl_matrix_alloc(rows, p);
    sys->cov = gsl_matrix_alloc(p, p);
    sys->y = gsl_vector_alloc(rows);
    sys->wt = gsl_vector_alloc(rows);
    sys->c = gsl_vector_alloc(p);
    if (sys->ws == NULL || sys->X == NULL || sys->cov == NULL || sys->y == NULL ||
        sys->wt == NULL || sys->c == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "subgroup sizes: out of memory");
    return TYNDAU_OK;
}

/* Weighted sum of squared residuals of shares w: data rows (centred) plus prior rows. */
static double objective(const lsq_system *sys, const double *w)
{
    double sum = 0.0;
    for (size_t i = 0; i < sys->m; i++) {
        double r = sys->b[i];
        for (size_t g = 0; g < sys->k; g++) r -= w[g] * sys->s[i * sys->k + g];
        sum += r * r;
    }
    if (sys->prior != NULL)
        for (size_t g = 0; g < sys->k; g++) {
            double r = w[g] - sys->prior[g];
            sum += sys->lambda * r * r;
        }
    return sum;
}

/*
 * Solve on the support `mask` (bit g set: group g may have a non-zero share; the others are 0).
 * The last group of the support is eliminated: w_piv = 1 - sum of the free ones.
 */
static tyndau_status solve_support(lsq_system *sys, unsigned mask, candidate *cand,
                                   tyndau_error *err)
{
    const size_t k = sys->k, m = sys->m;
    size_t idx[K_MAX], n_sup = 0;
    for (size_t g = 0; g < k; g++)
        if (mask & (1u << g)) idx[n_sup++] = g;
    memset(cand, 0, sizeof *cand);
    const size_t piv = idx[n_sup - 1], p = n_sup - 1;
    cand->n_free = p;
    if (p == 0) { /* one group holds everyone */
        cand->w[piv] = 1.0;
        cand->objective = objective(sys, cand->w);
        return TYNDAU_OK;
    }

    const size_t rows = m + (sys->prior != NULL ? n_sup : 0);
    gsl_matrix_view X = gsl_matrix_submatrix(sys->X, 0, 0, rows, p);
    gsl_matrix_view C = gsl_matrix_submatrix(sys->cov, 0, 0, p, p);
    gsl_vector_view y = gsl_vector_subvector(sys->y, 0, rows);
    gsl_vector_view wt = gsl_vector_subvector(sys->wt, 0, rows);
    gsl_vector_view c = gsl_vector_subvector(sys->c, 0, p);

    /* data: b - s_piv = sum_j w_j (s_j - s_piv) */
    for (size_t i = 0; i < m; i++) {
        const double *s = sys->s + i * k;
        for (size_t j = 0; j < p; j++) gsl_matrix_set(&X.matrix, i, j, s[idx[j]] - s[piv]);
        gsl_vector_set(&y.vector, i, sys->b[i] - s[piv]);
        gsl_vector_set(&wt.vector, i, 1.0);
    }
    /* prior on the support: w_j = prior_j; for the pivot -sum_j w_j = prior_piv - 1.
       Prior rows of groups held at 0 are constants: they enter only the objective. */
    for (size_t q = 0; q + m < rows; q++) {
        const size_t i = m + q, g = idx[q];
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(&X.matrix, i, j, g == piv ? -1.0 : (j == q ? 1.0 : 0.0));
        gsl_vector_set(&y.vector, i, g == piv ? sys->prior[g] - 1.0 : sys->prior[g]);
        gsl_vector_set(&wt.vector, i, sys->lambda);
    }

    double chisq = 0.0;
    size_t rank = 0;
    int gst = gsl_multifit_wlinear_tsvd(&X.matrix, &wt.vector, &y.vector, RANK_TOL, &c.vector,
                                        &C.matrix, &chisq, &rank, sys->ws);
    if (gst != 0)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "subgroup sizes: GSL least squares failed (%d)",
                          gst);
    cand->rank = rank;

    double rest = 1.0;
    for (size_t j = 0; j < p; j++) {
        cand->w[idx[j]] = gsl_vector_get(&c.vector, j);
        rest -= cand->w[idx[j]];
    }
    cand->w[piv] = rest;
    /* covariance of the shares: J C J^T, J = d w / d (free shares) */
    for (size_t a = 0; a < n_sup; a++)
        for (size_t bb = 0; bb < n_sup; bb++) {
            double v = 0.0;
            for (size_t i = 0; i < p; i++)
                for (size_t j = 0; j < p; j++) {
                    double ja = idx[a] == piv ? -1.0 : (i == a ? 1.0 : 0.0);
                    double jb = idx[bb] == piv ? -1.0 : (j == bb ? 1.0 : 0.0);
                    v += ja * gsl_matrix_get(&C.matrix, i, j) * jb;
                }
            cand->cov[idx[a]][idx[bb]] = v;
        }
    cand->objective = objective(sys, cand->w);
    return TYNDAU_OK;
}

static int feasible(const candidate *cand, size_t k)
{
    for (size_t g = 0; g < k; g++)
        if (!(cand->w[g] >= 0.0)) return 0;
    return 1;
}

/* The constrained least-squares solution: free if feasible, else the best feasible support. */
static tyndau_status solve(lsq_system *sys, const char *group_type, candidate *best,
                           tyndau_error *err)
{
    const size_t k = sys->k;
    const unsigned all = (1u << k) - 1u;
    tyndau_status st = solve_support(sys, all, best, err);
    if (st != TYNDAU_OK) return st;
    if (best->rank < k - 1)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s': the cross-tabs cannot tell its groups apart (rank %zu "
                          "of %zu unknowns), expected group rows that differ; add cross-tabs or a "
                          "prior",
                          group_type, best->rank, k - 1);
    if (feasible(best, k)) return TYNDAU_OK;

    candidate cand;
    int found = 0;
    for (unsigned mask = 1; mask < all; mask++) {
        st = solve_support(sys, mask, &cand, err);
        if (st != TYNDAU_OK) return st;
        if (cand.rank < cand.n_free || !feasible(&cand, k)) continue;
        if (!found || cand.objective < best->objective) *best = cand;
        found = 1;
    }
    /* a one-group support is always feasible and of full rank */
    if (!found)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "subgroup sizes: no feasible support found");
    return TYNDAU_OK;
}

static tyndau_status check_prior(const double *prior, double prior_weight, size_t k,
                                 const char *group_type, tyndau_error *err)
{
    if (!isfinite(prior_weight) || prior_weight < 0.0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s': prior weight is %g, expected a finite number >= 0",
                          group_type, prior_weight);
    double sum = 0.0;
    for (size_t g = 0; g < k; g++) {
        if (!isfinite(prior[g]) || prior[g] < 0.0 || prior[g] > 1.0)
            return TYNDAU_ERR(err, TYNDAU_EINPUT,
                              "group type '%s': prior share %zu is %g, expected a number in [0, 1]",
                              group_type, g + 1, prior[g]);
        sum += prior[g];
    }
    if (fabs(sum - 1.0) > PRIOR_SUM_TOL)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s': the %zu prior shares sum to %g, expected 1", group_type,
                          k, sum);
    return TYNDAU_OK;
}

tyndau_status tyndau_subgroups_estimate(const tyndau_targets *t, const char *group_type,
                                        const double *prior, double prior_weight,
                                        tyndau_subgroups *out, tyndau_error *err)
{
    if (out != NULL) memset(out, 0, sizeof *out);
    if (t == NULL || group_type == NULL || out == NULL || (t->n > 0 && t->cells == NULL))
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_subgroups_estimate: NULL argument");
    if (strcmp(group_type, TOTAL_TYPE) == 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "group type '%s' is the whole sample, expected a group type such as "
                          "age or income",
                          group_type);

    tyndau_subgroups res;
    memset(&res, 0, sizeof res);
    lsq_system sys;
    memset(&sys, 0, sizeof sys);
    tyndau_status st = tyndau_subgroups_groups(t, group_type, &res, err);
    if (st != TYNDAU_OK) return st;
    /* it matched a cell's group_type, so it fits */
    memcpy(res.group_type, group_type, strlen(group_type) + 1);
    const size_t k = res.n_groups;

    if (prior != NULL) {
        st = check_prior(prior, prior_weight, k, group_type, err);
        if (st != TYNDAU_OK) return st;
        if (prior_weight > 0.0) {
            sys.prior = prior;
            sys.lambda = prior_weight;
        }
    }

    st = build_system(t, &res, &sys, err);
    if (st == TYNDAU_OK && sys.prior == NULL && sys.n_indep < k - 1)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                        "group type '%s': the cross-tabs give %zu independent equations (%zu "
                        "published cells, less one per question whose rows sum to 100%%), fewer "
                        "than the %zu unknown group shares; expected more cross-tabs or a prior",
                        group_type, sys.n_indep, sys.m, k - 1);
    if (st == TYNDAU_OK) st = alloc_gsl(&sys, err);
    candidate best;
    if (st == TYNDAU_OK) st = solve(&sys, group_type, &best, err);

    if (st == TYNDAU_OK) {
        /* error variance of one data equation: residual variance, floored by rounding */
        const size_t n_obs = sys.n_indep + (sys.prior != NULL ? k : 0);
        double sum_w2 = 0.0;
        for (size_t g = 0; g < k; g++) sum_w2 += best.w[g] * best.w[g];
        double sigma2 = ROUND_VAR * (1.0 + sum_w2);
        if (n_obs > best.n_free) sigma2 = fmax(sigma2, best.objective / (double)(n_obs - best.n_free));

        double rss = 0.0;
        for (size_t i = 0; i < sys.m; i++) {
            double r = sys.b_raw[i];
            for (size_t g = 0; g < k; g++) r -= best.w[g] * sys.s_raw[i * k + g];
            rss += r * r;
        }
        for (size_t g = 0; g < k; g++) {
            res.share[g] = best.w[g];
            for (size_t h = 0; h < k; h++) res.cov[g][h] = sigma2 * best.cov[g][h];
            res.se[g] = sqrt(fmax(res.cov[g][g], 0.0));
        }
        res.n_equations = sys.m;
        res.rms_residual = 100.0 * sqrt(rss / (double)sys.m);
        *out = res;
    }
    system_free(&sys);
    return st;
}
