/*
 * calib.h - the calibration study (`tyndau calibrate CALIB.ini`): adaptive ABC-SMC against the
 * 2021 survey; what its files share.
 *
 * Method (docs/calibration.md has the full account and the references):
 *
 *   target_t(theta, u) ∝ prior(theta) · L(theta, u)^beta_t · p(u)
 *
 * where L(theta, u) is the observation model's likelihood (obs.c) of the published
 * counts given the survey simulated with parameters theta and model seed u.  The
 * multinomial likelihood tempered by beta is an ABC kernel with tolerance 1/beta
 * (Del Moral, Doucet & Jasra 2012, adaptive tolerance: each beta is chosen so that
 * the effective sample size falls to ess_fraction of the particles).  Each
 * generation: reweight by L^(beta_t - beta_{t-1}), resample (systematic), then
 * move every particle with `moves` Metropolis-Hastings steps on the extended space
 * (theta, u): a Gaussian random walk on the particles' transformed parameters z
 * with covariance (scale^2) × the particle covariance.  The first crn_moves steps
 * keep the particle's seed u (common random numbers: the proposal is simulated
 * with the same random numbers as the current state, so the likelihood ratio
 * reflects theta and not noise); the others draw a fresh seed (so u is explored
 * too).  Both are valid MH moves on the extended target, so the final generation
 * (beta = 1) samples prior(theta) E_u[L(theta, u)]: the posterior with the model's
 * stochasticity integrated out (pseudo-marginal; Andrieu & Roberts 2009).
 *
 * Reproducibility: every random number comes from a stream seeded by
 * many_seed(root seed, kind, generation·256 + move, particle), the particles'
 * simulations run through the run-many layer (src/engine/many.c), and every rank repeats the
 * (cheap) SMC arithmetic on identical inputs, so the posterior is the same bits
 * whatever the thread or rank count, and a resumed run repeats an uninterrupted one.
 *
 * The files: calibrate.c (the command), config.c (the calibration file), smc.c (the sampler),
 * posterior.c (summaries, the predictive check, the calibrated scenario), record.c (the HDF5
 * file and --resume), obs.c and subgroups.c (the observation model).
 *
 * Files: OUT.partial is rewritten (temporary name, then rename) after every
 * generation, so a kill leaves the last complete generation on disk; --resume
 * continues from it.  At the end OUT gets the whole record plus the posterior,
 * predictive check and identifiability report, and OUT's stem + ".ini" the
 * calibrated scenario.
 */
#ifndef TYNDAU_CALIB_H
#define TYNDAU_CALIB_H

#include <gsl/gsl_rng.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/cfgfile.h"
#include "engine/many.h"
#include "engine/prior.h"
#include "h5.h"
#include "obs.h"
#include "outfile.h"
#include "scenario.h"
#include "tyndau.h"

#define MAXD 48
#define CALIB_MOVED_SHARE 0.9 /* moves = adaptive: the share of particles that must have moved */
#define CALIB_ADAPTIVE_CAP 10 /* moves = adaptive: the default cap on move steps per generation */

/* The calling OpenMP thread's number (0 without OpenMP): its slice of a work array. */
static inline int calib_thread(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}
#define MAX_HOLDOUT 32
#define CALIB_SCHEMA_NAME "tyndau-calibration"
#define CALIB_SCHEMA_VERSION "1.6"
#define CALIB_SCHEMA_MAJOR 1

/* Stream kinds for many_seed. */
enum { K_PRIOR = 1, K_SIM, K_RESAMPLE, K_PROPOSE, K_PPC_SIM, K_PPC_SURVEY, K_PPC_SAMPLING,
       K_SBC_TRUTH, K_SBC_SIM, K_SBC_SURVEY, K_SBC_FIT, K_IDENT, K_OBS_STEP };

/* [history_match] (hm.c; docs/calibration.md s9): waves, design points a wave, replicates a
 * point, the implausibility cutoff, what is cut on (1 max, 2 second max), emulator samples, the
 * largest share of standardised LOO errors beyond 3 an emulator may have. */
typedef struct {
    size_t waves, runs_per_wave, replicates, samples;
    double cutoff, loo_limit;
    int measure;
} calib_hm_cfg;

/* The calibration file (config.c; docs/calibration.md section 4). */
typedef struct {
    cfg_file file; /* the calibration file: path, text, parse state */
    char scenario[PATH_MAX], targets[PATH_MAX];
    size_t agents;
    uint64_t seed;
    size_t particles;
    double ess_fraction;
    int moves, crn_moves, max_generations;
    int adaptive; /* moves = adaptive [CAP]: move steps until CALIB_MOVED_SHARE of the particles have moved, at most moves (the cap) */
    int surrogate_steps; /* surrogate transitions: steps of each move's chain on the emulators (0: off; --within only) */
    int obs_steps;       /* observation steps: Metropolis steps of the quantities that no simulation depends on, at
                            each particle's own simulated probabilities, after each move step (0: off) */
    size_t max_simulations, predictive_draws;
    double age_prior_sd;
    int dm;
    double concentration; /* fixed DM concentration (when no prior) */
    int conc_dim;         /* dimension of the concentration, -1 when fixed or multinomial */
    tyndau_obs_kind kind; /* the likelihood: multinomial, dirichlet-multinomial or logit-normal */
    double deff;          /* the quota sample's design effect (design_effect, default 1) */
    int deff_given;
    /* logit-normal: each family's discrepancy sd, a calibrated quantity (disc_dim >= 0) or fixed
       (disc_fixed); disc_line: the line of the first discrepancy key (0: none) */
    int disc_dim[TYNDAU_N_FAM], disc_line;
    double disc_fixed[TYNDAU_N_FAM];
    int disc_given[TYNDAU_N_FAM];
    /* logit-normal: the slope discrepancy's sd per breakdown (obs_slope.c), as the discrepancies */
    int slope_dim[TYNDAU_N_SLOPE], slope_given[TYNDAU_N_SLOPE], slope_line;
    double slope_fixed[TYNDAU_N_SLOPE];
    tyndau_obs_breakdown breakdown;
    prior_t prior[MAXD];
    size_t d;
    calib_hm_cfg hm;
} calib_cfg;

/* One generation: its particles (after the move step, equal weights) and its statistics. */
typedef struct {
    double beta, ess, acceptance, scale, elapsed, ll_median, ll_max;
    size_t sims, failed;
    /* diagnostics (smc.c): distinct particles after resampling and after the moves, the share
       of particles that moved at least once, the move steps made */
    double unique_resampled, unique, moved, move_steps;
    double surrogate_scale, surrogate_acceptance; /* the surrogate chains' (NaN: no surrogate transitions) */
    double obs_scale, obs_acceptance;             /* the observation steps' (NaN: none) */
    double *x, *z, *ll;
    uint64_t *seed;
} calib_gen;

/* The whole calibration: its inputs, the generations so far, where it writes. */
typedef struct {
    calib_cfg cfg;
    tyndau_params base;
    tyndau_scenario sc;
    tyndau_targets targets;
    const char *targets_source;
    char *targets_text;
    tyndau_obs obs;
    const char *holdout[MAX_HOLDOUT];
    size_t n_holdout;
    char holdout_joined[1024];
    uint64_t fingerprint;
    many_ctx mc;
    const char *out, *command_line;
    char partial[PATH_MAX + 16], ini_path[PATH_MAX + 16];
    tyndau_outfile claim; /* OUT, locked on rank 0 for the whole calibration */
    int quiet;
    calib_gen *gen;
    size_t n_gen, cap_gen;
    const char *status; /* "running", "complete", "budget_exhausted" */
    size_t n_out;       /* doubles per simulation */
    void *within;       /* --within HM.h5: the history match's non-implausible region (hm_file.c), or NULL */
    const char *within_path;
    int leave_family;   /* --leave-out FAMILY: its index in leaveout.c's table, -1 none */
    const struct calib_leave_result *leave; /* its scores, for the final file (record.c) */
    const struct calib_gradient *gradient;  /* the missed gradients (gradient.c), for the final file */
} calib_t;

/* The posterior's summaries and the identifiability report (posterior.c). */
typedef struct {
    double median[MAXD], q05[MAXD], q95[MAXD], ratio[MAXD], corr[MAXD * MAXD];
    char report[4096];
    /* ident.c: the sensitivity matrix's spectrum over the ident_d model parameters ident_q[] */
    int ident_ok;
    size_t ident_d;
    int ident_q[MAXD];
    double eig[MAXD], vec[MAXD * MAXD], var_ratio[MAXD]; /* vec[i * ident_d + k]: eigenvector i */
    char ident_report[4096];
} calib_post;

/* The posterior predictive check of every published cell (posterior.c). */
typedef struct {
    size_t n_cells;
    size_t *row, *resp;
    double *observed, *median, *lo90, *hi90, *pop_median, *null_pred;
    double *lo90s, *hi90s; /* survey sampling only: no model error (the Dirichlet step left out) */
    int *inside, *fitted, *inside_s;
    size_t n_fit, n_fit_inside, n_ho, n_ho_inside, n_ho_null, n_fit_inside_s;
    size_t n_fit_inside95, n_fit_inside95_s; /* the same counts for 95% intervals */
    size_t n_fit_inside95_b[2]; /* 95%, survey sampling alone at the design effect's bracket, 1 and 2 */
    double mae_model_ho, mae_null_ho, mae_model_ho_all, mae_model_fit;
    size_t draws, failed;
    /* the draws themselves, kept for leaveout.c: parameters [draws][d], the simulations'
       observation-model probabilities [draws][n_out], status (0: simulated) */
    double *draw_x, *draw_probs;
    int *draw_status;
} calib_ppc;

/* config.c: read and check the calibration file. */
tyndau_status calib_config_load(calib_cfg *c, const char *path, tyndau_error *err);

/* smc.c */
gsl_rng *calib_stream(uint64_t root, int kind, uint64_t a, uint64_t b); /* NULL when out of memory */
double calib_kappa(const calib_t *C, const double *x);                  /* the DM concentration of x, 0 multinomial */
/* The observation model's error terms at particle x (design effect, concentration, discrepancies). */
tyndau_obs_error calib_obs_error(const calib_t *C, const double *x);
/* The log-likelihood of a simulation's probabilities [n_out] under the observation model at particle x. */
double calib_loglik(const calib_t *C, const double *probs, const double *x);
/* Give every family of the fitted rows that has no discrepancy key its default prior (logit-normal;
 * docs/calibration.md s2): TYNDAU_EINPUT when the quantities would exceed MAXD. */
tyndau_status calib_default_discrepancy(calib_t *C, tyndau_error *err);
calib_gen *calib_new_gen(calib_t *C);                                    /* NULL when out of memory */
/* Every generation's arrays freed; none left (n_gen = 0). */
void calib_free_gens(calib_t *C);
/* Distinct particles among n (rows of x [n][d] with their seeds; the model parameters, prior[k].param >= 0,
 * and the seed compared bit for bit: observation steps alone do not make a particle distinct). */
size_t calib_unique(const prior_t *prior, const double *x, const uint64_t *seed, size_t n, size_t d);
/* Simulate models at x [n][d] with seeds: each one's observation-model probabilities in probs, its
 * status and message; *failed counts the failures. */
void calib_simulate(calib_t *C, const double *x, const uint64_t *seed, size_t n, double *probs, int *status,
                    char (*msgs)[MANY_ERRLEN], size_t *failed);
/* The sampler as init / test / iterate (the caller writes the partial file after each
 * generation): a workspace allocated once; init makes generation 0 from the prior (unless
 * generations were resumed); test is 1 when beta = 1 or the budget ran out (C->status says
 * which); iterate adds one generation. */
typedef struct calib_work calib_work;
calib_work *calib_smc_alloc(const calib_t *C); /* NULL when out of memory */
void calib_smc_free(calib_work *w);
tyndau_status calib_smc_init(calib_t *C, calib_work *w, tyndau_error *err);
int calib_smc_test(calib_t *C);
tyndau_status calib_smc_iterate(calib_t *C, calib_work *w, tyndau_error *err);

/* posterior.c */
void calib_summarise(const calib_t *C, calib_post *P);
tyndau_status calib_predictive(calib_t *C, calib_ppc *out, tyndau_error *err);
void calib_ppc_free(calib_ppc *p);
char *calib_scenario_ini(const calib_t *C, const calib_post *P); /* the calibrated scenario; NULL out of memory */
void calib_print_report(const calib_t *C, const calib_post *P, const calib_ppc *Q);

/* ident.c: the eigen-spectrum of the sensitivity matrix at the posterior median into P (2 d + 1
 * simulations); and its arithmetic, for the tests: F = prior_var J' diag(w) J of J [nc][d], its
 * eigenvalues eig (largest first), eigenvectors vec[i * d + k] and [(F + I)^-1]_kk; 0 or -1. */
tyndau_status calib_identify(calib_t *C, calib_post *P, tyndau_error *err);
int calib_ident_spectrum(const double *J, const double *w, size_t nc, size_t d, double prior_var, double *eig,
                         double *vec, double *var_ratio);

/* sbc.c: simulation-based calibration of S synthetic surveys into C->out (--sbc S), resume: from
 * C->partial's surveys (--resume). */
tyndau_status calib_sbc(calib_t *C, size_t S, int resume, tyndau_error *err);

/* hm.c: history matching (--history-match): [history_match]'s defaults and keys (1, or 0 after
 * cfg_error), and the waves into C->out. */
void calib_hm_defaults(calib_hm_cfg *h);
int calib_hm_key(calib_cfg *c, const char *name, const char *value);
tyndau_status calib_history_match(calib_t *C, int resume, tyndau_error *err);
/* --within HM.h5 (hm_file.c): load the region of a history match of the same calibrated parameters
 * and cells into C->within; 1 when the quantities x [d] lie in it (or there is none); free. */
tyndau_status calib_within_load(calib_t *C, const char *path, tyndau_error *err);
int calib_within(const calib_t *C, const double *x);
/* --within: the model parameters of x [d] set from a point of the region's sample drawn with r
 * (the other quantities kept); 1, or 0 when the file has no sample (the caller draws by
 * rejection). */
int calib_within_draw(const calib_t *C, gsl_rng *r, double *x);
/* calib_simulate of the n proposals x that lie in C->within (all of them without --within) and are not
 * skipped (skip NULL: none; skip[i] = 1: proposal i is not run); the others: status -1, NaN, no run; the
 * number simulated. */
size_t calib_simulate_within(calib_t *C, const double *x, const uint64_t *seed, size_t n, double *probs, int *status,
                             char (*msgs)[MANY_ERRLEN], size_t *failed, const unsigned char *skip);
/* Surrogate transitions (docs/calibration.md s3): 1 when --within's file has a valid emulator of every
 * cell in some wave (and the last wave some); the doubles of work one evaluation needs; the surrogate
 * log-likelihood at x, the observation model at the emulated cells (the means of each cell's latest
 * valid emulator), -INFINITY outside the last wave's cut at those means (work: calib_surrogate_work
 * doubles, one buffer per thread). */
int calib_surrogate_ok(const calib_t *C);
size_t calib_surrogate_work(const calib_t *C);
double calib_surrogate_loglik(const calib_t *C, const double *x, double *work);
void calib_within_free(calib_t *C);

/* record.c */
/* The provenance every calibration-made file carries (schema, seed, streams, threads, ranks,
 * scenario), for record.c's files and sbc.c's. */
tyndau_h5_prov calib_provenance(const calib_t *C, const char *schema, const char *version, const char *rng);
tyndau_status calib_write_partial(calib_t *C, tyndau_error *err);
tyndau_status calib_write_final(calib_t *C, const calib_post *P, const calib_ppc *Q, const char *ini,
                                tyndau_error *err);
tyndau_status calib_resume(calib_t *C, tyndau_error *err);
/* --resume's partial file C->partial, calibrate's or the history match's, opened for reading:
 * 1 when there is none (said on stderr as "WHAT: --resume: no FILE; starting"; nothing open);
 * 0 with h open (its errors into herr, which must outlive it) and *same telling whether its
 * fingerprint is this calibration's; -1 when it is damaged or unreadable (err set, nothing open). */
int calib_open_partial(const calib_t *C, const char *what, tyndau_h5 *h, tyndau_error *herr, int *same,
                       tyndau_error *err);
/* The refusal of a partial file that another calibration made. */
tyndau_status calib_partial_other(const calib_t *C, tyndau_error *err);

#endif
