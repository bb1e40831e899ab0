/*
 * leaveout.h - predictions of what was not fitted (`tyndau calibrate CALIB.ini --leave-out FAMILY|all`;
 * docs/calibration.md s6, "Leave-one-family-out predictions").
 *
 * A question family (the table below, one place) is removed from the likelihood, the rest is
 * fitted, and the family's cells are predicted from the posterior predictive check's draws.
 * Each left-out family is scored with two proper scoring rules against a null model:
 *   - the log predictive density of the published counts, log (1/D) sum_k L(y | draw k), L the
 *     observation model's likelihood of the family's rows (unweighted: the rows of a family are
 *     disjoint groups of respondents) at draw k's probabilities and error terms;
 *   - the interval score of the central 90% interval (Gneiting & Raftery 2007, eq. 43), per cell
 *     in percentage points, averaged over the family's cells:
 *       IS = (u - l) + (2/alpha)(l - y)[y < l] + (2/alpha)(y - u)[y > u],  alpha = 0.1.
 * Higher log density is better, lower interval score is better.  The null model of a breakdown
 * family (age, income) is "each group equals its total row" (the published total's shares under
 * the same observation model and the same draws' error terms); of the other families, the prior
 * predictive (the model at parameters drawn from the prior, no fitting at all).  The prior
 * predictive is reported for every family as a second reference.
 */
#ifndef TYNDAU_LEAVEOUT_H
#define TYNDAU_LEAVEOUT_H

#include "calib.h"

#define CALIB_N_LEAVE 6
#define CALIB_LEAVE_MAX_CELLS 64
#define CALIB_LEAVE_ALPHA 0.1

/* One question family: its name on the command line, what it is in the article, the holdout
 * specs that remove it (QUESTION[:GROUP_TYPE]; "principle_*" is every question with that prefix)
 * and whether its rows are breakdowns of a published total (then the null is the total row). */
typedef struct {
    const char *name, *title;
    const char *spec[3];
    int breakdown;
} calib_leave_family;
extern const calib_leave_family calib_leave_families[CALIB_N_LEAVE];

/* The scores of one left-out family. */
typedef struct calib_leave_result {
    int family;
    size_t n_rows, n_cells;
    size_t row[CALIB_LEAVE_MAX_CELLS], resp[CALIB_LEAVE_MAX_CELLS]; /* each cell's row and response */
    double observed[CALIB_LEAVE_MAX_CELLS], median[CALIB_LEAVE_MAX_CELLS];
    double lo[CALIB_LEAVE_MAX_CELLS], hi[CALIB_LEAVE_MAX_CELLS];           /* the model's 90% interval */
    double null_lo[CALIB_LEAVE_MAX_CELLS], null_hi[CALIB_LEAVE_MAX_CELLS]; /* the null's */
    double prior_lo[CALIB_LEAVE_MAX_CELLS], prior_hi[CALIB_LEAVE_MAX_CELLS];
    double lpd, lpd_null, lpd_prior; /* log predictive densities */
    double is, is_null, is_prior;    /* mean interval scores, pp */
    size_t n_inside, n_inside_null, draws, sims;
    double seconds;
    const char *null_kind;
} calib_leave_result;

/* The interval score of [lo, hi] as a central (1 - alpha) interval for y; the log of the mean of
 * exp(v) over n values (-infinity when every value is); exported for the tests. */
double calib_interval_score(double lo, double hi, double y, double alpha);
double calib_log_mean_exp(const double *v, size_t n);

/* The family named `name` into *family (-1 for "all"); TYNDAU_EINPUT naming the families. */
tyndau_status calib_leave_find(const char *name, int *family, tyndau_error *err);
/* Hold the family's rows out of o (tyndau_obs_holdout) and append its specs to `joined`. */
tyndau_status calib_leave_holdout(tyndau_obs *o, int family, char *joined, size_t len, tyndau_error *err);
/* Score the left-out family of C from its predictive check Q (which keeps its draws): simulates
 * the prior predictive (predictive_draws simulations). */
tyndau_status calib_leave_score(calib_t *C, const calib_ppc *Q, int family, calib_leave_result *R,
                                tyndau_error *err);
/* --leave-out all: every family in turn, each fitted from the calibration file's seed (so family
 * f's scores are those of --leave-out f), into C->out; OUT.partial after each family, --resume
 * continues after the last complete one. */
tyndau_status calib_leave_all(calib_t *C, int resume, tyndau_error *err);
/* The /leave_out group (record.c's final file and calib_leave_all's). */
void calib_leave_write(tyndau_h5 *h, const calib_t *C, const calib_leave_result *R, size_t n);
void calib_leave_print(const calib_t *C, const calib_leave_result *R, size_t n);

#endif
