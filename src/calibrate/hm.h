/*
 * hm.h - history matching in waves (`tyndau calibrate CALIB.ini --history-match`; Vernon,
 * Goldstein & Bower 2010; Andrianakis et al. 2015) and its Gaussian-process emulator.
 * docs/calibration.md section 9 has the method; hm_gp.c the emulator, hm.c the waves, the
 * command and its file.
 *
 * The emulator of one output (hm_gp): training inputs X [n][d] in the unit cube (each calibrated
 * model parameter's prior CDF, so the prior is uniform there), outputs y [n] (a published cell's
 * logit, averaged over replicates), a constant mean m (the outputs' mean), the squared-exponential
 * kernel k(x, x') = sf2 exp(-1/2 sum_k (x_k - x'_k)^2 / ell_k^2) plus a known nugget on the
 * diagonal (the replicate mean's variance, per point) and a jitter of 1e-10 sf2; hyperparameters
 * (log sf2, log ell_k) by maximising the log marginal likelihood (GSL's BFGS, one start,
 * deterministic).  Invariant after a fit: L is the Cholesky factor of K, alpha = K^-1 (y - m),
 * Kinv_diag the diagonal of K^-1, and the closed-form leave-one-out means and sds (Rasmussen &
 * Williams 2006 s5.4.2, eq. 5.12) are those of a refit without point i at the same hyperparameters
 * and the same mean.  GSL's error handler must be off (gsl_set_error_handler_off): a matrix that
 * is not positive definite is then a status, not an abort.
 */
#ifndef TYNDAU_HM_H
#define TYNDAU_HM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_matrix.h>

#include "calib.h"

#define HM_MAXD MAXD
#define HM_JITTER 1e-10
#define HM_SCHEMA_NAME "tyndau-history-match"
#define HM_SCHEMA_VERSION "1.1"

typedef struct {
    size_t n, d;
    double *X;        /* [n][d] a copy of the inputs */
    double *y;        /* [n] a copy of the outputs */
    double *nugget;   /* [n] each point's noise variance */
    double mean, sf2; /* the constant mean and the signal variance */
    double ell[HM_MAXD];
    double lml;       /* log marginal likelihood at (sf2, ell) */
    gsl_matrix *L;    /* n x n: the Cholesky factor of K (lower triangle) */
    double *alpha;    /* [n] K^-1 (y - mean) */
    double *kinv;     /* [n] the diagonal of K^-1 */
    double *loo_mean, *loo_sd; /* [n] closed-form LOO prediction of y_i and its sd (nugget included) */
    double loo_beyond3;        /* share of the |standardised LOO errors| beyond 3 */
    int ok;                    /* 1 after a successful fit */
} hm_gp;

/* Fit a GP to n points: copies X, y and nugget (NULL: zero nugget).  optimise = 0 keeps sf2 and
 * ell as given (*sf2, ell[d]); 1 maximises the marginal likelihood starting from them (sf2 <= 0:
 * start at the outputs' variance and ell_k = 0.5).  0, or -1 (out of memory, K not positive
 * definite); hm_gp_free releases in both cases. */
int hm_gp_fit(hm_gp *g, const double *X, const double *y, const double *nugget, size_t n, size_t d, double sf2,
              const double *ell, int optimise);
/* The same at given hyperparameters and a given mean (the brute-force LOO of the tests). */
int hm_gp_fit_at(hm_gp *g, const double *X, const double *y, const double *nugget, size_t n, size_t d, double mean,
                 double sf2, const double *ell);
void hm_gp_free(hm_gp *g);

/* The posterior mean and variance of the latent function (no nugget) at x [d]; work [n]. */
void hm_gp_predict(const hm_gp *g, const double *x, double *mean, double *var, double *work);
/* The variance after hm_gp_predict(g, x, &mean, NULL, work) left the covariances k(x, X) in work
 * (overwritten); at most sf2. */
double hm_gp_var_from(const hm_gp *g, double *work);

/* The log marginal likelihood of the fitted data at other hyperparameters (for the tests); NAN
 * when K is not positive definite. */
double hm_gp_lml_at(const hm_gp *g, double sf2, const double *ell);

/* Implausibility of one output: |z - e| / sqrt(v), v the sum of the variances. */
double hm_implausibility(double z, double e, double v);

/* The value a point's implausibilities [nc] are cut on: the largest (measure 1) or the second
 * largest (measure 2; Vernon et al. 2010) over the cells with use[c] != 0 (use NULL: all). */
double hm_measure(const double *imp, const int *use, size_t nc, int measure);

/* ---- the waves (hm.c) and their file (hm_file.c) ---- */

/* One wave: its design, runs, emulators and cut. */
typedef struct {
    size_t P;          /* design points (each run `replicates` times) */
    double *u;         /* [P][dm] the points in the unit cube */
    double *x;         /* [P][d] the calibration's quantities there (non-model ones: prior medians) */
    uint64_t *seed;    /* [P * R] model seeds */
    int *status;       /* [P * R] 0, or the failed run's status */
    double *out;       /* [P * R][nc] each run's cells on the logit scale (NaN: failed) */
    double *imp_runs;  /* [P][nc] implausibility of the replicate mean (simulator only; NaN: no run) */
    double *loo_std;   /* [P][nc] standardised LOO error of each emulator (NaN: not a training point) */
    double *v_ens;     /* [nc] the ensemble (replicate) variance of one run */
    double *sf2, *mean, *lml, *loo_beyond3; /* [nc] */
    double *ell;       /* [nc][dm] */
    int *valid;        /* [nc] 1: the emulator passed validation and is used in the cut */
    double *min_imp_runs, *min_imp_em; /* [nc] the smallest implausibility over the runs, the samples */
    int *unreachable;  /* [nc] implausible at every run and every emulator sample */
    hm_gp *gp;         /* [nc] */
    double volume, runs_share, seconds;
    size_t failed, trained, samples_in; /* failed runs, training points, samples in the wave's region */
    size_t subset_levels;              /* subset simulation's levels (0: its first level was the count) */
    int by_subset;                     /* 1: the share from hm_subset; 0: counted on the fixed samples */
    double *beyond;    /* [nc] share of the region's samples before the cut at which the cell's
                        * implausibility exceeds the cutoff (NaN: emulator not used) */
    int n_valid, resumed;
} hm_wave;

typedef struct {
    calib_t *C;
    size_t dm, nc, R;
    int dims[HM_MAXD]; /* the calibrated model parameters' places in the calibration's quantities */
    size_t *cell_row, *cell_resp; /* [nc] */
    double *z, *v_obs, *v_disc;   /* [nc] the published cell's logit and its variances */
    size_t M;
    double *samples;   /* [M][dm] the emulator samples (uniform in the unit cube: the prior) */
    unsigned char *alive;
    hm_wave *w;
    size_t n_w;
    const char *stop;  /* why the waves ended */
    double cutoff;
    int measure;
    /* resumed waves (hm_file.c): their seeds, statuses and outputs, to be used instead of runs */
    size_t n_cached;
    hm_wave *cached;
    /* the region once it is too small for the fixed samples (hm_subset.c): points of the unit cube
     * uniform on it (from subset simulation's chains), the volume they stand for */
    double *pop;
    size_t n_pop;
} hm_t;

/* hm.c: the cells and their variances (H->C set); 1 when no wave before `upto` rules out the
 * point u of the unit cube (imp [nc], work [hm_max_train]); the most training points of a wave. */
tyndau_status hm_setup_cells(hm_t *H, tyndau_error *err);
int hm_plausible(const hm_t *H, size_t upto, const double *u, double *imp, double *work);
size_t hm_max_train(const hm_t *H);
/* The fixed samples no wave has ruled out, copied [*n][dm], and (at != NULL) their indices [*n];
 * NULL when out of memory. */
double *hm_alive_points(const hm_t *H, size_t *n, size_t **at);

/* hm_subset.c: wave w's measure at u, exact when it is at most thr, else a value above thr (the
 * cells stop once enough exceed it; imp [nc], work [w->trained]); and the region after wave k when
 * fewer than HM_MIN_COUNT of the points S [n][dm] of the region before it survive: subset
 * simulation (Au & Beck 2001) from S, *share the new region's volume over the old's (0: none
 * found), H->pop / n_pop its points, w->subset_levels the levels. */
#define HM_MIN_COUNT 100
double hm_wave_measure(const hm_t *H, const hm_wave *w, const double *u, double thr, double *imp, double *work);
tyndau_status hm_subset(hm_t *H, size_t k, const double *S, size_t n, double *share, tyndau_error *err);

/* hm_file.c: the file (final = 0: OUT.partial) and --resume's reading of OUT.partial. */
tyndau_status hm_write(hm_t *H, int final, tyndau_error *err);
tyndau_status hm_read_partial(hm_t *H, tyndau_error *err);
void hm_wave_free(hm_wave *w, size_t nc);

#endif
