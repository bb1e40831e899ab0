/*
 * obs.c - the observation model (see obs.h and docs/calibration.md section 2).
 *
 * Counts.  The survey publishes percentages of n respondents; n is 1200 for a
 * total row and the (unpublished) group size for a group row.  Group sizes are
 * estimated from the cross-tabs (subgroups.c): income from the data alone, age
 * with the national age structure as a prior (the survey's age quotas followed
 * the population's).  concept_meaning is asked only of those aware of the
 * concept: its n is the group's n times the published aware share (1 -
 * first_time).  The counts are n * share with the shares of a complete row
 * normalised to sum to 1 (published rows are rounded to 0.1 and may sum to
 * 99.9 or 100.1); a row that publishes only some responses gets one more
 * category, the rest, with count n * (1 - sum of shares).
 *
 * Likelihood of a row with counts c_k (sum n) under model probabilities p_k:
 *   multinomial:           log Gamma(n+1) - sum log Gamma(c_k+1) + sum c_k log p_k
 *   Dirichlet-multinomial: log Gamma(n+1) - sum log Gamma(c_k+1) + log Gamma(A) - log Gamma(n+A)
 *                          + sum [log Gamma(c_k + A p_k) - log Gamma(A p_k)],  A = concentration
 * (Gamma of real counts: the counts are estimates, not integers).  The DM has the
 * multinomial's mean and variance inflated by (n + A) / (1 + A): model error that
 * does not vanish as n grows.
 */
#include "obs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "tyndau.h"

const char *const tyndau_obs_family_names[TYNDAU_N_FAM] = {"awareness", "attention", "contact", "meaning",
                                                          "principles", "other"};

tyndau_obs_family tyndau_obs_family_of(const char *q)
{
    static const struct {
        const char *prefix;
        tyndau_obs_family f;
    } map[] = {{"aware_", TYNDAU_FAM_AWARENESS}, {"attention_", TYNDAU_FAM_ATTENTION},
               {"authorities_contacted", TYNDAU_FAM_CONTACT}, {"concept_meaning", TYNDAU_FAM_MEANING},
               {"principle_", TYNDAU_FAM_PRINCIPLES}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strncmp(q, map[i].prefix, strlen(map[i].prefix)) == 0) return map[i].f;
    return TYNDAU_FAM_OTHER;
}

int tyndau_obs_find(const tyndau_obs *o, const char *question, const char *group_type,
                    const char *group)
{
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        if (strcmp(w->question, question) == 0 && strcmp(w->group_type, group_type) == 0 &&
            strcmp(w->group, group) == 0)
            return (int)r;
    }
    return -1;
}

void tyndau_obs_free(tyndau_obs *o)
{
    if (o == NULL) return;
    free(o->rows);
    memset(o, 0, sizeof *o);
}

/* Share of the survey's respondents in group `group` of `type` (1 for the total). */
static double group_share(const tyndau_obs *o, const char *type, const char *group)
{
    const tyndau_subgroups *s = NULL;
    if (strcmp(type, "total") == 0) return 1.0;
    if (strcmp(type, "age") == 0) s = &o->age;
    if (strcmp(type, "income") == 0) s = &o->income;
    if (s == NULL) return NAN;
    for (size_t g = 0; g < s->n_groups; g++)
        if (strcmp(s->group[g], group) == 0) return s->share[g];
    return NAN;
}

static tyndau_status solve_sizes(tyndau_obs *o, const tyndau_targets *t, const double age_prior[4],
                                 double age_prior_sd, tyndau_error *err)
{
    /* The age prior in the order the age groups appear in the targets. */
    double prior[TYNDAU_SUBGROUPS_MAX];
    int have_age = 0, have_income = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->cells[i].group_type, "age") == 0) have_age = 1;
        if (strcmp(t->cells[i].group_type, "income") == 0) have_income = 1;
    }
    if (have_income) {
        tyndau_status st = tyndau_subgroups_estimate(t, "income", NULL, 0.0, &o->income, err);
        if (st != TYNDAU_OK) return st;
    }
    if (have_age) {
        tyndau_subgroups names;
        memset(&names, 0, sizeof names);
        tyndau_status st = tyndau_subgroups_groups(t, "age", &names, err);
        if (st != TYNDAU_OK) return st;
        if (names.n_groups != N_AGE)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "targets: %zu age groups published, expected %d",
                              names.n_groups, N_AGE);
        for (size_t g = 0; g < names.n_groups; g++) {
            int k = -1;
            for (int a = 0; a < N_AGE; a++)
                if (strcmp(names.group[g], tyndau_age_names[a]) == 0) k = a;
            if (k < 0)
                return TYNDAU_ERR(err, TYNDAU_EINPUT, "targets: unknown age group '%s', expected one of "
                                  "18-29, 30-45, 46-60, 61+", names.group[g]);
            prior[g] = age_prior[k];
        }
        /* Weight of a prior row relative to a data equation: a data equation's error is the
         * rounding of published cells, TYNDAU_SUBGROUPS_ROUND_VAR (1 + sum w^2), sum w^2 about
         * 0.25 for four groups; the prior's is age_prior_sd^2. */
        double w = TYNDAU_SUBGROUPS_ROUND_VAR * 1.25 / (age_prior_sd * age_prior_sd);
        st = tyndau_subgroups_estimate(t, "age", prior, w, &o->age, err);
        if (st != TYNDAU_OK) return st;
    }
    return TYNDAU_OK;
}

tyndau_status tyndau_obs_build(tyndau_obs *o, const tyndau_targets *t, double survey_n,
                               const double age_prior[4], double age_prior_sd,
                               tyndau_error *err)
{
    memset(o, 0, sizeof *o);
    if (t == NULL || t->n == 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "targets: no published cells to fit");
    if (!(survey_n >= 1.0))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "survey size %g: expected at least 1 respondent", survey_n);
    if (!(age_prior_sd > 0.0))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "age prior SD %g: expected > 0", age_prior_sd);
    o->survey_n = survey_n;
    o->n_cells = t->n;
    o->rows = tyndau_calloc(t->n, sizeof *o->rows);
    if (o->rows == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    tyndau_status st = solve_sizes(o, t, age_prior, age_prior_sd, err);
    if (st != TYNDAU_OK) {
        tyndau_obs_free(o);
        return st;
    }
    /* Rows in order of first appearance. */
    for (size_t i = 0; i < t->n; i++) {
        const tyndau_target *c = &t->cells[i];
        int r = tyndau_obs_find(o, c->question, c->group_type, c->group);
        tyndau_obs_row *w;
        if (r < 0) {
            w = &o->rows[o->n_rows++];
            snprintf(w->question, sizeof w->question, "%s", c->question);
            snprintf(w->base, sizeof w->base, "%s", c->base);
            snprintf(w->group_type, sizeof w->group_type, "%s", c->group_type);
            snprintf(w->group, sizeof w->group, "%s", c->group);
            w->group_index = tyndau_group_find(c->group_type, c->group);
            w->family = tyndau_obs_family_of(c->question);
            if (w->group_index < 0 || isnan(group_share(o, c->group_type, c->group))) {
                st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                                "targets line %d: group '%s:%s' cannot be fitted, expected a group of "
                                "type total, age or income", c->line, c->group_type, c->group);
                tyndau_obs_free(o);
                return st;
            }
        } else {
            w = &o->rows[r];
        }
        if (w->n_resp == TYNDAU_OBS_MAX_RESP) {
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "targets line %d: more than %d responses in row %s/%s/%s",
                            c->line, TYNDAU_OBS_MAX_RESP, c->question, c->group_type, c->group);
            tyndau_obs_free(o);
            return st;
        }
        snprintf(w->response[w->n_resp], sizeof w->response[0], "%s", c->response);
        w->cell[w->n_resp] = i;
        w->share[w->n_resp] = c->share;
        w->n_resp++;
    }
    for (size_t r = 0; r < o->n_rows; r++) {
        tyndau_obs_row *w = &o->rows[r];
        double sum = 0.0;
        for (size_t k = 0; k < w->n_resp; k++) sum += w->share[k];
        w->n = survey_n * group_share(o, w->group_type, w->group);
        if (strcmp(w->base, "all") != 0) {
            /* A sub-base (those aware of the concept): n times the published aware share. */
            int a = tyndau_obs_find(o, "aware_concept", w->group_type, w->group);
            double first = NAN;
            if (a >= 0)
                for (size_t k = 0; k < o->rows[a].n_resp; k++)
                    if (strcmp(o->rows[a].response[k], "first_time") == 0) first = o->rows[a].share[k];
            if (isnan(first) || strcmp(w->base, "aware_of_concept") != 0) {
                st = TYNDAU_ERR(err, TYNDAU_EINPUT, "targets line %d: base '%s' of %s needs the "
                                "aware_concept first_time cell of the same group",
                                t->cells[w->cell[0]].line, w->base, w->question);
                tyndau_obs_free(o);
                return st;
            }
            w->n *= 1.0 - first;
        }
        /* A row well short of 100% is a published subset (targets.c allows that only for
           the documented quirk); otherwise the rounding is normalised away. */
        w->has_rest = sum < 0.995;
        if (w->has_rest) {
            for (size_t k = 0; k < w->n_resp; k++) w->count[k] = w->n * w->share[k];
            w->count[w->n_resp] = w->n * (1.0 - sum);
        } else {
            for (size_t k = 0; k < w->n_resp; k++) w->count[k] = w->n * w->share[k] / sum;
        }
    }
    tyndau_obs_weigh(o, TYNDAU_OBS_SPLIT);
    return TYNDAU_OK;
}

void tyndau_obs_weigh(tyndau_obs *o, tyndau_obs_breakdown rule)
{
    o->breakdown = rule;
    for (size_t r = 0; r < o->n_rows; r++) {
        tyndau_obs_row *w = &o->rows[r];
        if (w->held_out) {
            w->weight = 0.0;
            continue;
        }
        if (rule == TYNDAU_OBS_FULL) {
            w->weight = 1.0;
            continue;
        }
        /* Fitted group types of this question (same base). */
        char seen[8][16];
        int n_types = 0;
        for (size_t s = 0; s < o->n_rows; s++) {
            const tyndau_obs_row *v = &o->rows[s];
            if (v->held_out || strcmp(v->question, w->question) != 0) continue;
            int dup = 0;
            for (int k = 0; k < n_types; k++) dup |= strcmp(seen[k], v->group_type) == 0;
            if (!dup && n_types < 8) snprintf(seen[n_types++], sizeof seen[0], "%s", v->group_type);
        }
        w->weight = 1.0 / (double)n_types;
    }
}

size_t tyndau_obs_n_fitted(const tyndau_obs *o)
{
    size_t n = 0;
    for (size_t r = 0; r < o->n_rows; r++) n += o->rows[r].weight > 0.0;
    return n;
}

tyndau_status tyndau_obs_holdout(tyndau_obs *o, const char *spec, tyndau_error *err)
{
    char q[64], gt[16] = "";
    const char *colon = strchr(spec, ':');
    size_t lq = colon ? (size_t)(colon - spec) : strlen(spec);
    if (lq == 0 || lq >= sizeof q || (colon && strlen(colon + 1) >= sizeof gt) ||
        (colon && colon[1] == '\0'))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--holdout '%s': expected QUESTION or QUESTION:GROUP_TYPE",
                          spec);
    memcpy(q, spec, lq);
    q[lq] = '\0';
    if (colon) snprintf(gt, sizeof gt, "%s", colon + 1);
    int q_found = 0, hit = 0;
    char types[64] = "";
    for (size_t r = 0; r < o->n_rows; r++) {
        tyndau_obs_row *w = &o->rows[r];
        if (strcmp(w->question, q) != 0) continue;
        q_found = 1;
        if (strstr(types, w->group_type) == NULL && strlen(types) + strlen(w->group_type) + 3 < sizeof types) {
            if (types[0]) strcat(types, ", ");
            strcat(types, w->group_type);
        }
        if (gt[0] && strcmp(w->group_type, gt) != 0) continue;
        w->held_out = 1;
        hit = 1;
    }
    if (!q_found) {
        char list[1024] = "";
        for (size_t r = 0; r < o->n_rows; r++) {
            if (strstr(list, o->rows[r].question) != NULL) continue;
            if (strlen(list) + strlen(o->rows[r].question) + 3 >= sizeof list) break;
            if (list[0]) strcat(list, ", ");
            strcat(list, o->rows[r].question);
        }
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--holdout '%s': no published question '%s', expected one of: %s",
                          spec, q, list);
    }
    if (!hit)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--holdout '%s': question '%s' has no group type '%s', "
                          "expected one of: %s", spec, q, gt, types);
    tyndau_obs_weigh(o, o->breakdown);
    return TYNDAU_OK;
}

tyndau_status tyndau_obs_extract(const tyndau_obs *o, const tyndau_model *m, double *prob,
                                 tyndau_error *err)
{
    size_t n_sr = 0;
    const tyndau_survey_row *sr = tyndau_model_survey(m, &n_sr);
    if (sr == NULL) return TYNDAU_ERR(err, TYNDAU_EINPUT, "the survey has not run (survey_date outside the run?)");
    for (size_t r = 0; r < o->n_rows; r++) {
        double *p = prob + r * TYNDAU_OBS_STRIDE;
        for (size_t k = 0; k < TYNDAU_OBS_STRIDE; k++) p[k] = NAN;
    }
    for (size_t i = 0; i < n_sr; i++) {
        if (sr[i].quota) continue;
        for (size_t r = 0; r < o->n_rows; r++) {
            const tyndau_obs_row *w = &o->rows[r];
            if (w->group_index != sr[i].group || strcmp(w->question, sr[i].question) != 0) continue;
            for (size_t k = 0; k < w->n_resp; k++)
                if (strcmp(w->response[k], sr[i].response) == 0)
                    prob[r * TYNDAU_OBS_STRIDE + k] = sr[i].simulated / 100.0;
        }
    }
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        double *p = prob + r * TYNDAU_OBS_STRIDE;
        double sum = 0.0;
        for (size_t k = 0; k < w->n_resp; k++) {
            if (isnan(p[k]))
                return TYNDAU_ERR(err, TYNDAU_EINPUT, "the simulated survey has no cell %s/%s/%s/%s",
                                  w->question, w->group_type, w->group, w->response[k]);
            sum += p[k];
        }
        if (w->has_rest) {
            p[w->n_resp] = fmax(0.0, 1.0 - sum);
        } else if (sum > 0.0) {
            for (size_t k = 0; k < w->n_resp; k++) p[k] /= sum;
        }
    }
    return TYNDAU_OK;
}

/* The row's simulated shares floored at TYNDAU_OBS_PFLOOR into q (not renormalised); their sum,
 * or NaN when a share is missing (the row then has log-likelihood -infinity). */
static double floored(const tyndau_obs_row *w, const double *p, double *q)
{
    size_t nk = w->n_resp + (size_t)w->has_rest;
    double sum = 0.0;
    for (size_t k = 0; k < nk; k++) {
        if (isnan(p[k])) return NAN;
        q[k] = fmax(p[k], TYNDAU_OBS_PFLOOR);
        sum += q[k];
    }
    return sum;
}

double tyndau_obs_row_loglik(const tyndau_obs_row *w, const double *p, double concentration)
{
    size_t nk = w->n_resp + (size_t)w->has_rest;
    double q[TYNDAU_OBS_STRIDE], sum = floored(w, p, q);
    if (isnan(sum)) return -INFINITY;
    double ll = lgamma(w->n + 1.0);
    for (size_t k = 0; k < nk; k++) ll -= lgamma(w->count[k] + 1.0);
    if (concentration > 0.0) {
        ll += lgamma(concentration) - lgamma(w->n + concentration);
        for (size_t k = 0; k < nk; k++) {
            double a = concentration * q[k] / sum;
            ll += lgamma(w->count[k] + a) - lgamma(a);
        }
    } else {
        for (size_t k = 0; k < nk; k++) ll += w->count[k] * log(q[k] / sum);
    }
    return ll;
}

double tyndau_obs_loglik(const tyndau_obs *o, const double *prob, double concentration)
{
    tyndau_obs_error e = {concentration > 0.0 ? TYNDAU_OBS_DM : TYNDAU_OBS_MULTINOMIAL, 1.0, concentration, {0}, {0}};
    return tyndau_obs_loglik_err(o, prob, &e);
}

/* The logit-normal row: see obs.h.  With x = alr(y) - alr(p) and the covariance diag(d) + u 11',
 * d_k = 1 / (n_eff p_k) + sd^2 / 2, u = 1 / (n_eff p_K) + sd^2 / 2:
 *   log det = sum log d_k + log(1 + u sum 1/d_k),
 *   x' inv x = sum x_k^2 / d_k - u (sum x_k / d_k)^2 / (1 + u sum 1/d_k). */
static double logit_normal_row(const tyndau_obs_row *w, const double *q, double neff, double sd)
{
    size_t nk = w->n_resp + (size_t)w->has_rest, K = nk - 1;
    if (nk < 2) return 0.0; /* one response: nothing observed */
    double ntot = 0.0;
    for (size_t k = 0; k < nk; k++) ntot += w->count[k];
    double y[TYNDAU_OBS_STRIDE];
    for (size_t k = 0; k < nk; k++) y[k] = (w->count[k] + 0.5) / (ntot + 0.5 * (double)nk);
    double half = 0.5 * sd * sd, u = 1.0 / (neff * q[K]) + half;
    double logdet = 0.0, s_inv = 0.0, s_x = 0.0, s_xx = 0.0;
    for (size_t k = 0; k < K; k++) {
        double dk = 1.0 / (neff * q[k]) + half;
        double x = log(y[k] / y[K]) - log(q[k] / q[K]);
        logdet += log(dk);
        s_inv += 1.0 / dk, s_x += x / dk, s_xx += x * x / dk;
    }
    double a = 1.0 + u * s_inv;
    logdet += log(a);
    double quad = s_xx - u * s_x * s_x / a;
    return -0.5 * ((double)K * log(2.0 * M_PI) + logdet + quad);
}

double tyndau_obs_row_loglik_err(const tyndau_obs_row *w, const double *p, const tyndau_obs_error *e)
{
    if (e->kind != TYNDAU_OBS_LOGIT_NORMAL) {
        if (e->deff == 1.0) return tyndau_obs_row_loglik(w, p, e->kind == TYNDAU_OBS_DM ? e->concentration : 0.0);
        tyndau_obs_row v = *w; /* n / deff respondents */
        v.n = w->n / e->deff;
        for (size_t k = 0; k <= TYNDAU_OBS_MAX_RESP; k++) v.count[k] = w->count[k] / e->deff;
        return tyndau_obs_row_loglik(&v, p, e->kind == TYNDAU_OBS_DM ? e->concentration : 0.0);
    }
    size_t nk = w->n_resp + (size_t)w->has_rest;
    double q[TYNDAU_OBS_STRIDE], sum = floored(w, p, q);
    if (isnan(sum)) return -INFINITY;
    for (size_t k = 0; k < nk; k++) q[k] /= sum;
    return logit_normal_row(w, q, w->n / e->deff, e->sd[w->family]);
}

double tyndau_obs_loglik_err(const tyndau_obs *o, const double *prob, const tyndau_obs_error *e)
{
    double ll = 0.0;
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        if (w->weight <= 0.0) continue;
        double t;
        int k = e->kind == TYNDAU_OBS_LOGIT_NORMAL ? tyndau_obs_slope_of(w, &t) : -1;
        if (k >= 0 && e->slope[k] > 0.0) { /* a breakdown with a slope discrepancy: jointly, at its first row */
            int first = 1;
            for (size_t b = 0; b < r && first; b++)
                first = !(o->rows[b].weight > 0.0 && strcmp(o->rows[b].question, w->question) == 0 &&
                          tyndau_obs_slope_of(&o->rows[b], &t) == k);
            if (first) ll += w->weight * tyndau_obs_slope_block(o, w->question, k, prob, e, e->slope[k]);
            continue;
        }
        ll += w->weight * tyndau_obs_row_loglik_err(w, prob + r * TYNDAU_OBS_STRIDE, e);
    }
    return ll;
}

size_t tyndau_obs_row_probs(const tyndau_obs_row *w, const double *p, double *q)
{
    size_t K = w->n_resp + (size_t)w->has_rest;
    double sum = 0.0;
    for (size_t j = 0; j < K; j++) sum += q[j] = fmax(p[j], TYNDAU_OBS_PFLOOR);
    for (size_t j = 0; j < K; j++) q[j] /= sum;
    return K;
}

unsigned int tyndau_obs_draw_row(const tyndau_obs_row *w, double *q, const double *shift, const tyndau_obs_error *e,
                                 gsl_rng *r, unsigned int *cnt)
{
    size_t K = w->n_resp + (size_t)w->has_rest;
    if (e->kind == TYNDAU_OBS_DM && e->concentration > 0.0) {
        double alpha[TYNDAU_OBS_STRIDE];
        for (size_t j = 0; j < K; j++) alpha[j] = e->concentration * q[j];
        gsl_ran_dirichlet(r, K, alpha, q);
    } else if (e->kind == TYNDAU_OBS_LOGIT_NORMAL) {
        double sdf = e->sd[w->family] / sqrt(2.0), t = 0.0;
        for (size_t j = 0; j < K; j++) t += q[j] *= exp(gsl_ran_gaussian(r, sdf) + (shift != NULL ? shift[j] : 0.0));
        for (size_t j = 0; j < K; j++) q[j] /= t;
    }
    unsigned int n = (unsigned int)lround(w->n / e->deff);
    if (n == 0) n = 1;
    gsl_ran_multinomial(r, K, n, q, cnt);
    return n;
}
