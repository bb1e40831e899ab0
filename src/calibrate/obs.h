/*
 * obs.h - the observation model: how a simulated survey is compared with the
 * published percentages (docs/calibration.md, section 2).
 *
 * The published cells are percentages of respondents.  tyndau_obs turns them
 * back into (estimated) counts of respondents, one multinomial "row" per
 * (question, group_type, group), and scores a model against them with a
 * multinomial or Dirichlet-multinomial log-likelihood.
 *
 * Data structure: an array of rows in target-file order.  Each row has its
 * published responses, the share of each, the estimated number of respondents
 * behind it, the counts n * share (real numbers: n is an estimate, so the
 * counts are not rounded), an extra "rest" category when the published
 * responses do not cover the row (concept_meaning), and a likelihood weight.
 *
 * Invariants after tyndau_obs_build: every row has 1..TYNDAU_OBS_MAX_RESP
 * responses, n > 0, counts >= 0 summing to n; held-out rows have weight 0;
 * the weights of fitted rows follow the breakdown rule (tyndau_obs_weigh).
 */
#ifndef TYNDAU_OBS_H
#define TYNDAU_OBS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "subgroups.h"
#include "targets.h"

#define TYNDAU_OBS_MAX_RESP 6

/* Question families: the unit of the logit-normal model's discrepancy (one sd per family).
 * A question is in the family whose prefix its name starts with; others are in "other". */
typedef enum {
    TYNDAU_FAM_AWARENESS,  /* aware_concept, aware_platform */
    TYNDAU_FAM_ATTENTION,  /* attention_central, attention_local */
    TYNDAU_FAM_CONTACT,    /* authorities_contacted */
    TYNDAU_FAM_MEANING,    /* concept_meaning */
    TYNDAU_FAM_PRINCIPLES, /* principle_* */
    TYNDAU_FAM_OTHER,
    TYNDAU_N_FAM
} tyndau_obs_family;
extern const char *const tyndau_obs_family_names[TYNDAU_N_FAM];
tyndau_obs_family tyndau_obs_family_of(const char *question);

/* The observation model's error terms for one evaluation of the likelihood.
 *   deff: the quota sample's design effect: every row counts n / deff respondents (1: simple
 *         random sampling, the multinomial as before);
 *   MULTINOMIAL: sampling alone; DM: alpha = concentration * p (one global model error);
 *   LOGIT_NORMAL: the published shares' additive log-ratios are Gaussian about the model's, with
 *         the covariance of multinomial sampling of n / deff respondents (delta method) plus model
 *         discrepancy: each response's log-probability perturbed by independent N(0, sd_f^2 / 2),
 *         sd_f of the row's family, so that a two-response row's logit moves with sd sd_f. */
typedef enum { TYNDAU_OBS_MULTINOMIAL, TYNDAU_OBS_DM, TYNDAU_OBS_LOGIT_NORMAL } tyndau_obs_kind;
/* The breakdowns with a structured slope discrepancy (obs_slope.c): the age groups and the income
 * groups, each an ordered index. */
typedef enum { TYNDAU_SLOPE_AGE, TYNDAU_SLOPE_INCOME, TYNDAU_N_SLOPE } tyndau_obs_slope_kind;
extern const char *const tyndau_obs_slope_names[TYNDAU_N_SLOPE];
typedef struct {
    tyndau_obs_kind kind;
    double deff;
    double concentration;
    double sd[TYNDAU_N_FAM];
    double slope[TYNDAU_N_SLOPE]; /* LOGIT_NORMAL: the slope discrepancy's sd per group step (0: none) */
} tyndau_obs_error;

struct tyndau_model;

typedef struct {
    char question[64], base[32], group_type[16], group[24];
    int group_index;      /* the model's group (codes.h), 0 = total */
    size_t n_resp;        /* published responses */
    char response[TYNDAU_OBS_MAX_RESP][48];
    size_t cell[TYNDAU_OBS_MAX_RESP]; /* index of each response's cell in the targets */
    double share[TYNDAU_OBS_MAX_RESP]; /* published share (after the targets' corrections) */
    int has_rest;         /* 1: the published responses are a subset; one more category, "rest" */
    double n;             /* estimated respondents behind the row */
    double count[TYNDAU_OBS_MAX_RESP + 1]; /* n * share, normalised; [n_resp] is the rest */
    double weight;        /* likelihood weight (0: held out) */
    int held_out;
    tyndau_obs_family family;
} tyndau_obs_row;

/* How rows of one question published for several group types (total, age, income)
 * share their respondents: SPLIT gives each group type weight 1/(number of fitted group
 * types of that question), so the 1200 respondents count once; FULL counts them once
 * per group type (for comparison only). */
typedef enum { TYNDAU_OBS_SPLIT, TYNDAU_OBS_FULL } tyndau_obs_breakdown;

typedef struct {
    tyndau_obs_row *rows;
    size_t n_rows;
    size_t n_cells;             /* published cells (all rows) */
    double survey_n;            /* respondents in the survey */
    tyndau_subgroups age, income; /* estimated group sizes used for n */
    tyndau_obs_breakdown breakdown;
} tyndau_obs;

/*
 * Build the rows from the targets.  survey_n: respondents (1200).  age_prior: the national
 * age structure in the order of tyndau_age_names (4 shares summing to 1) and age_prior_sd its
 * standard deviation in shares (it sets the weight of the prior rows in the least-squares solve
 * for the age group sizes, subgroups.c).  Income group sizes come from the cross-tabs alone.
 * Only the group types total, age and income are supported (the published ones); another
 * group type, an unknown group or a row with more than TYNDAU_OBS_MAX_RESP responses is
 * TYNDAU_EINPUT.
 */
tyndau_status tyndau_obs_build(tyndau_obs *o, const tyndau_targets *t, double survey_n,
                               const double age_prior[4], double age_prior_sd,
                               tyndau_error *err);
void tyndau_obs_free(tyndau_obs *o);

/* Hold out "QUESTION" (all its rows) or "QUESTION:GROUP_TYPE".  TYNDAU_EINPUT when no
 * published row matches (message names what exists).  Re-weighs the fitted rows. */
tyndau_status tyndau_obs_holdout(tyndau_obs *o, const char *spec, tyndau_error *err);

/* Recompute the weights of the fitted rows for a breakdown rule. */
void tyndau_obs_weigh(tyndau_obs *o, tyndau_obs_breakdown rule);

/* Number of fitted rows (weight > 0). */
size_t tyndau_obs_n_fitted(const tyndau_obs *o);

/* Stride of a probability vector: n_rows * TYNDAU_OBS_STRIDE doubles. */
#define TYNDAU_OBS_STRIDE (TYNDAU_OBS_MAX_RESP + 1)

/*
 * Model probabilities for every row from a model whose survey has run (population sample):
 * prob[r * TYNDAU_OBS_STRIDE + k] for the row's responses k < n_resp, and the rest at
 * [n_resp] when has_rest.  Each row sums to 1.  TYNDAU_EINPUT if the survey has not run or
 * lacks a row.
 */
tyndau_status tyndau_obs_extract(const tyndau_obs *o, const struct tyndau_model *m, double *prob,
                                 tyndau_error *err);

/*
 * Weighted log-likelihood of the fitted rows (held-out rows excluded) given model
 * probabilities.  concentration <= 0: multinomial; > 0: Dirichlet-multinomial with
 * alpha = concentration * p.  Probabilities are floored at TYNDAU_OBS_PFLOOR (and the row
 * renormalised) so that a response the model never gives costs a finite amount.
 * Includes the normalising constants, so that a perfect multinomial fit of a row scores
 * its saturated log-likelihood.  Returns -INFINITY for a NaN probability.
 */
#define TYNDAU_OBS_PFLOOR 1e-6
double tyndau_obs_loglik(const tyndau_obs *o, const double *prob, double concentration);

/* Log-likelihood of one row, unweighted (same conventions). */
double tyndau_obs_row_loglik(const tyndau_obs_row *r, const double *prob, double concentration);

/* The same under an observation model's error terms (tyndau_obs_error); MULTINOMIAL and DM with
 * deff = 1 give exactly tyndau_obs_loglik's values.  LOGIT_NORMAL: the density of the observed
 * additive log-ratios log(y_k / y_K), y_k = (c_k + 1/2) / (n + K/2) (a continuity correction: a
 * published 0% stays finite), K the row's last response, under N(alr(p), S / n_eff + D), S =
 * diag(1/p_k) + 11'/p_K, D = (sd^2 / 2)(I + 11'): a diagonal plus a rank-one matrix, so its
 * determinant and inverse are closed-form (Sherman-Morrison).  The value does not depend on which
 * response is the reference K (tested). */
double tyndau_obs_loglik_err(const tyndau_obs *o, const double *prob, const tyndau_obs_error *e);
double tyndau_obs_row_loglik_err(const tyndau_obs_row *r, const double *prob, const tyndau_obs_error *e);

/*
 * The slope discrepancy of the logit-normal model (obs_slope.c; docs/calibration.md s2): the rows
 * of one question's age (or income) breakdown share a discrepancy linear in the ordered group
 * index t_g (age 18-29, 30-45, 46-60, 61+: -1.5, -0.5, 0.5, 1.5; income low, middle, high: -1, 0,
 * 1): each response's log-probability moves by t_g c_j, c_j ~ N(0, tau^2 / 2) independent and the
 * same for every group, so that a two-response row's logit slope has sd tau per group step.  On
 * the rows' additive log-ratios the block's covariance is block-diag(A_g) + U B U', U = t (x) I,
 * B = (tau^2 / 2)(I + 11'): a low-rank update, whose density is closed-form (Woodbury; the
 * determinant lemma).  tau = 0 leaves the rows independent, the per-family model exactly.
 */
/* The breakdown of a row (-1 none) and its group index t into *t. */
int tyndau_obs_slope_of(const tyndau_obs_row *w, double *t);
/* The log density of the fitted rows of `question`'s breakdown `kind`, jointly, at slope sd tau
 * (unweighted); the rows' indices, in order, are those with weight > 0. */
double tyndau_obs_slope_block(const tyndau_obs *o, const char *question, int kind, const double *prob,
                              const tyndau_obs_error *e, double tau);
/* The posterior mean of the block's slope given its residuals, E[b | x] (b the slope of the rows'
 * log-ratios log(p_j / p_K) per group step, K the rows' last response): m = K - 1 values into w;
 * the number m, 0 when the block cannot be evaluated; zeros at tau = 0.  How much of the
 * published gradient the model misses, at one simulation and one tau. */
size_t tyndau_obs_slope_mean(const tyndau_obs *o, const char *question, int kind, const double *prob,
                             const tyndau_obs_error *e, double tau, double *w);
/* A draw of the slope discrepancy for a new survey: shift[r * TYNDAU_OBS_STRIDE + j], the log-probability
 * shift of response j of row r (0 outside the breakdowns, or at tau = 0), from the stream r. */
void tyndau_obs_slope_draw(const tyndau_obs *o, const tyndau_obs_error *e, gsl_rng *r, double *shift);

/* A new survey of row w (the predictive check, SBC, leave-out predictions).  tyndau_obs_row_probs:
 * the model's probabilities p of the row floored at TYNDAU_OBS_PFLOOR and normalised into q;
 * returns K, the row's responses with its rest.  tyndau_obs_draw_row: q [K] (so made) moved in
 * place by the error terms e (Dirichlet-multinomial: a Dirichlet step at e->concentration > 0;
 * logit-normal: every log-probability moved by N(0, sd_f^2 / 2) of the row's family plus
 * shift [K], the slope discrepancy, or nothing when shift is NULL), then the counts of n / deff
 * respondents (at least 1) from r into cnt [K]; returns that n. */
size_t tyndau_obs_row_probs(const tyndau_obs_row *w, const double *p, double *q);
unsigned int tyndau_obs_draw_row(const tyndau_obs_row *w, double *q, const double *shift, const tyndau_obs_error *e,
                                 gsl_rng *r, unsigned int *cnt);

/* Index of the row holding question/group_type/group, or -1. */
int tyndau_obs_find(const tyndau_obs *o, const char *question, const char *group_type,
                    const char *group);

#endif
