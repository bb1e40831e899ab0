/*
 * subgroups.h - estimate a survey's unpublished subgroup sizes from its cross-tabs.
 *
 * A published total row is the size-weighted mean of its group rows: for every
 * (question, response) published both as a total and for every group g of a
 * group type, total = sum_g w_g * share_g, where w_g is group g's share of the
 * respondents (w_g >= 0, sum_g w_g = 1).  tyndau_subgroups_estimate stacks
 * these equations and solves them by constrained least squares, optionally
 * pulled toward a prior (e.g. the national age structure); see subgroups.c for
 * the method, its reference and the error model behind the standard errors.
 */
#ifndef TYNDAU_SUBGROUPS_H
#define TYNDAU_SUBGROUPS_H

#include <stddef.h>

#include "error.h"
#include "targets.h"

/* Variance of a published cell rounded to 0.1 pp, in shares (uniform on +-0.0005): the error
 * of one data equation is this times (1 + sum of squared weights). */
#define TYNDAU_SUBGROUPS_ROUND_VAR (0.001 * 0.001 / 12.0)

/* The most groups one group type may have (the size of the arrays below). */
#define TYNDAU_SUBGROUPS_MAX 8

typedef struct {
    char group_type[16];
    size_t n_groups;
    char group[8][24];     /* group names in the order used: first appearance in the targets */
    double share[8];       /* estimated share of respondents in each group, sums to 1 */
    double se[8];          /* standard error of each share (0 for a share held at the bound 0) */
    double cov[8][8];      /* covariance of the shares (each row sums to 0: the shares sum to 1) */
    size_t n_equations;    /* (question, response) cells used */
    double rms_residual;   /* percentage points: total rows minus the fitted weighted means */
} tyndau_subgroups;

/*
 * Estimate the shares of respondents in the groups of group_type (e.g. "age", "income").
 * Uses only cells on the whole sample (base "all") whose total and every group of the type are
 * published.  prior: NULL, or n_groups shares (same order as the groups appear in the targets)
 * pulled toward with weight prior_weight >= 0; the weight is relative to one data equation
 * (1 / prior_weight is the variance of a prior row in units of a data equation's variance).
 * On success fills *out; on failure *out is zeroed and err says why: TYNDAU_EINPUT for an
 * unknown group type or one without a usable cross-tab, fewer independent equations than
 * unknown shares, a cross-tab that cannot tell the groups apart, or a bad prior;
 * TYNDAU_EINTERNAL for a NULL argument or no memory.
 */
tyndau_status tyndau_subgroups_estimate(const tyndau_targets *t, const char *group_type,
                                        const double *prior, double prior_weight,
                                        tyndau_subgroups *out, tyndau_error *err);

/* Only the group names of group_type, in order of first appearance in the targets (the order
 * of the shares and of a prior): fills out->group and out->n_groups; TYNDAU_EINPUT for fewer
 * than 2 groups or more than TYNDAU_SUBGROUPS_MAX. */
tyndau_status tyndau_subgroups_groups(const tyndau_targets *t, const char *group_type,
                                     tyndau_subgroups *out, tyndau_error *err);

#endif
