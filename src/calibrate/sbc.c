/*
 * sbc.c - simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018) of
 * `tyndau calibrate CALIB.ini --sbc S`: does the calibration's posterior mean what it says?
 *
 * For synthetic survey s = 0 .. S-1:
 *   1. truth theta_s drawn from the prior (stream many_stream(seed, K_SBC_TRUTH, s, 0));
 *   2. the model simulated at theta_s with the model seed many_seed(seed, K_SBC_SIM, s, 0);
 *   3. a synthetic survey drawn from the observation model at theta_s, exactly as the predictive
 *      check draws a new survey (the Dirichlet step or the family discrepancies, then a
 *      multinomial of n / design_effect respondents per row; stream many_stream(seed,
 *      K_SBC_SURVEY, s, row)), written over the published counts of every row;
 *   4. the same SMC refitted to it from the root seed many_seed(seed, K_SBC_FIT, s, 0);
 *   5. per quantity: the rank of theta_s among the N final particles (the number below it, 0..N)
 *      and whether theta_s lies in the central 50% and 90% posterior intervals; and the same rank of
 *      a joint test quantity, the log-likelihood of the synthetic survey at the truth and its own
 *      simulation (theta_s, u_s) among the final particles' log-likelihoods at theta_i, u_i (Modrak et
 *      al. 2023: the likelihood is the test quantity most sensitive to a posterior too narrow or
 *      too wide as a whole; on the sampler's extended space (theta, u) the truth is a posterior
 *      draw, so this rank too is uniform if the sampler is right).
 * With --within HM.h5 the prior is the prior restricted to the history match's region: the truths'
 * model parameters come from its region sample and every refit runs the SMC within the region (the
 * SBC of the second step of the default calibration, given the region).
 * If the posterior is right, every rank is uniform on 0..N and the coverages are 50% and 90%
 * (up to the SMC's own Monte Carlo error and the binomial error of S surveys).  Every random
 * number depends on (seed, s, ...) only, so the result is the same bits on any thread or rank
 * count.  The file (schema tyndau-sbc 1.2, docs/calibration.md s6) is written under a temporary
 * name and renamed.  OUT.partial, the same layout with status "running" and surveys_done, is
 * written at the start and after every survey but the last; --resume takes its surveys (each
 * survey's numbers depend on (seed, s) only, so the result equals an uninterrupted run's) and
 * SIGTERM / SIGINT stop the command at the next generation of a refit, the surveys done kept.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "calib.h"
#include "cli.h"
#include "h5.h"

#define SBC_SCHEMA_NAME "tyndau-sbc"
#define SBC_SCHEMA_VERSION "1.3"
#define SBC_BINS 10

typedef struct {
    size_t S, d, N;
    double *truth, *median, *q05, *q25, *q75, *q95; /* [S][d] */
    int64_t *rank;                                   /* [S][d] */
    int *in50, *in90;                                /* [S][d] */
    int *status; /* [S]: 0 complete, 1 budget ran out, 2 failed, -1 not yet run (a partial file) */
    double *beta, *sims, *seconds;                   /* [S] */
    double *ll_truth, *ll_median;                    /* [S] the truth's log-likelihood, the particles' median */
    int64_t *ll_rank;                                /* [S] final particles whose log-likelihood is below the truth's */
    int64_t ll_hist[SBC_BINS];
    double cov50[MAXD], cov90[MAXD];
    int64_t hist[MAXD * SBC_BINS];
    size_t n_ok;
} sbc_result;

static void sbc_free(sbc_result *r)
{
    free(r->truth), free(r->median), free(r->q05), free(r->q25), free(r->q75), free(r->q95);
    free(r->rank), free(r->in50), free(r->in90), free(r->status), free(r->beta), free(r->sims), free(r->seconds);
    free(r->ll_truth), free(r->ll_median), free(r->ll_rank);
}

/* Step 3: the synthetic survey of model probabilities p at x into rows (a copy of the published). */
static void synthetic_survey(const calib_t *C, const double *x, const double *p, size_t s, tyndau_obs_row *rows)
{
    const calib_cfg *c = &C->cfg;
    tyndau_obs_error e = calib_obs_error(C, x);
    double shift[TYNDAU_OBS_STRIDE * 64] = {0}; /* the slope discrepancy (obs_slope.c) */
    gsl_rng *rsl = C->obs.n_rows <= 64 ? many_stream(c->seed, K_SBC_SURVEY, s, C->obs.n_rows) : NULL;
    if (rsl != NULL) tyndau_obs_slope_draw(&C->obs, &e, rsl, shift);
    gsl_rng_free(rsl);
    for (size_t r = 0; r < C->obs.n_rows; r++) {
        tyndau_obs_row *w = &rows[r];
        double q[TYNDAU_OBS_STRIDE];
        unsigned int cnt[TYNDAU_OBS_STRIDE];
        size_t K = tyndau_obs_row_probs(w, p + r * TYNDAU_OBS_STRIDE, q);
        gsl_rng *rr = many_stream(c->seed, K_SBC_SURVEY, s, r);
        if (rr == NULL) continue; /* out of memory: the row keeps the published counts */
        unsigned int n = tyndau_obs_draw_row(w, q, r < 64 ? shift + r * TYNDAU_OBS_STRIDE : NULL, &e, rr, cnt);
        gsl_rng_free(rr);
        for (size_t j = 0; j < K; j++) w->count[j] = (double)cnt[j] * w->n / (double)n;
        for (size_t j = 0; j < w->n_resp; j++) w->share[j] = (double)cnt[j] / (double)n;
    }
}

/* Step 4: the SMC on the synthetic survey; the final particles into xs [N][d] and their log-likelihoods
 * into ll [N]: 0, -1, or the signal that stopped it (SIGTERM / SIGINT, > 0). */
static int refit(const calib_t *C, size_t s, double *xs, double *ll, double *beta, double *sims, tyndau_error *err)
{
    calib_t *F = tyndau_calloc(1, sizeof *F);
    if (F == NULL) return -1;
    *F = *C;
    F->cfg.seed = many_seed(C->cfg.seed, K_SBC_FIT, s, 0);
    F->gen = NULL, F->n_gen = F->cap_gen = 0;
    F->quiet = 1;
    F->status = "running";
    calib_work *w = calib_smc_alloc(F);
    tyndau_status st = w ? calib_smc_init(F, w, err) : TYNDAU_EINTERNAL;
    int sig = 0;
    while (st == TYNDAU_OK && !calib_smc_test(F) && (sig = (int)many_bcast_int(&F->mc, many_stop_signal())) == 0)
        st = calib_smc_iterate(F, w, err);
    calib_smc_free(w);
    int rc = st == TYNDAU_OK && sig == 0 ? 0 : sig ? sig : -1;
    if (rc == 0) {
        const calib_gen *g = &F->gen[F->n_gen - 1];
        memcpy(xs, g->x, C->cfg.particles * C->cfg.d * sizeof *xs);
        memcpy(ll, g->ll, C->cfg.particles * sizeof *ll);
        *beta = g->beta, *sims = (double)g->sims;
    }
    calib_free_gens(F);
    free(F);
    return rc;
}

static void summarise(sbc_result *R)
{
    size_t S = R->S, d = R->d;
    memset(R->hist, 0, sizeof R->hist);
    memset(R->ll_hist, 0, sizeof R->ll_hist);
    R->n_ok = 0;
    for (size_t s = 0; s < S; s++) {
        R->n_ok += R->status[s] == 0;
        size_t b = (size_t)((double)R->ll_rank[s] * SBC_BINS / (double)(R->N + 1));
        if (R->status[s] == 0) R->ll_hist[b < SBC_BINS ? b : SBC_BINS - 1]++;
    }
    for (size_t k = 0; k < d; k++) {
        double c50 = 0.0, c90 = 0.0;
        for (size_t s = 0; s < S; s++) {
            if (R->status[s] != 0) continue;
            c50 += R->in50[s * d + k], c90 += R->in90[s * d + k];
            size_t b = (size_t)((double)R->rank[s * d + k] * SBC_BINS / (double)(R->N + 1));
            R->hist[k * SBC_BINS + (b < SBC_BINS ? b : SBC_BINS - 1)]++;
        }
        R->cov50[k] = R->n_ok ? c50 / (double)R->n_ok : NAN;
        R->cov90[k] = R->n_ok ? c90 / (double)R->n_ok : NAN;
    }
}

/* The file (done = S: OUT, complete) or OUT.partial after `done` surveys. */
static tyndau_status write_sbc(const calib_t *C, const sbc_result *R, size_t done, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    size_t S = R->S, d = R->d;
    tyndau_h5 h;
    char fp[32];
    if (tyndau_h5_open(&h, done == S ? C->out : C->partial, TYNDAU_H5_CREATE, err) != TYNDAU_OK)
        return tyndau_h5_close(&h);
    tyndau_h5_prov prov = calib_provenance(C, SBC_SCHEMA_NAME, SBC_SCHEMA_VERSION,
        "the model's counter-based streams; the study's from the same generator (tyndau_ctr) at the 64-bit "
        "keys many_seed(seed, kind, survey, ...)");
    tyndau_h5_provenance(&h, h.file, &prov);
    tyndau_h5_attr_str(&h, h.file, "calibration_file", c->file.path);
    tyndau_h5_attr_str(&h, h.file, "calibration_text", c->file.text);
    tyndau_h5_attr_str(&h, h.file, "method", "simulation-based calibration (Talts et al. 2018): truths from the "
                                              "prior, synthetic surveys from the observation model, the SMC refitted "
                                              "to each; ranks of the truths among the final particles");
    tyndau_h5_attr_i64(&h, h.file, "surveys", (int64_t)S);
    tyndau_h5_attr_i64(&h, h.file, "particles", (int64_t)R->N);
    tyndau_h5_attr_i64(&h, h.file, "agents", (int64_t)c->agents);
    tyndau_h5_attr_i64(&h, h.file, "surveys_complete", (int64_t)R->n_ok);
    tyndau_h5_attr_i64(&h, h.file, "surveys_done", (int64_t)done);
    tyndau_h5_attr_str(&h, h.file, "status", done == S ? "complete" : "running");
    snprintf(fp, sizeof fp, "%016" PRIx64, C->fingerprint);
    tyndau_h5_attr_str(&h, h.file, "fingerprint", fp);
    const char *names[MAXD];
    for (size_t k = 0; k < d; k++) names[k] = c->prior[k].name;
    hid_t g = tyndau_h5_group(&h, h.file, "sbc",
                              "per synthetic survey (rows) and calibrated quantity (columns): the truth, the "
                              "refitted posterior's quantiles, the truth's rank among the final particles (0 .. "
                              "particles), and whether it lies in the central 50% and 90% intervals; per quantity "
                              "the coverages over the surveys whose refit completed and the rank histogram");
    const char *q = "quantity", *sq = "survey,quantity";
    tyndau_h5_vector(&h, g, "quantity", TYNDAU_H5_STR, d, names, q, "The calibrated quantity.", "none");
    static const char *const nm[6] = {"truth", "median", "q05", "q25", "q75", "q95"};
    static const char *const what[6] = {"The truth drawn from the prior.", "Posterior median of the refit.",
                                        "Posterior 5% quantile.", "Posterior 25% quantile.",
                                        "Posterior 75% quantile.", "Posterior 95% quantile."};
    const double *val[6] = {R->truth, R->median, R->q05, R->q25, R->q75, R->q95};
    for (int k = 0; k < 6; k++)
        tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = nm[k], .kind = TYNDAU_H5_F64, .rank = 2, .dims = {S, d},
                                                   .data = val[k], .axes = sq, .description = what[k],
                                                   .units = "the quantity's own"});
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "rank", .kind = TYNDAU_H5_I64, .rank = 2, .dims = {S, d},
                                               .data = R->rank, .axes = sq,
                                               .description = "Final particles below the truth (0 .. particles).",
                                               .units = "particles"});
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "inside50", .kind = TYNDAU_H5_I32, .rank = 2, .dims = {S, d},
                                               .data = R->in50, .axes = sq,
                                               .description = "1: the truth lies in [q25, q75].", .units = "none"});
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "inside90", .kind = TYNDAU_H5_I32, .rank = 2, .dims = {S, d},
                                               .data = R->in90, .axes = sq,
                                               .description = "1: the truth lies in [q05, q95].", .units = "none"});
    tyndau_h5_vector(&h, g, "status", TYNDAU_H5_I32, S, R->status, "survey",
                     "0: the refit reached beta = 1; 1: its budget ran out first (left out of the coverages); 2: "
                     "the simulation at the truth or the refit failed; -1: not yet run (a partial file).", "code");
    tyndau_h5_vector(&h, g, "beta", TYNDAU_H5_F64, S, R->beta, "survey", "The refit's final beta.", "1");
    tyndau_h5_vector(&h, g, "simulations", TYNDAU_H5_F64, S, R->sims, "survey", "The refit's simulations.",
                     "simulations");
    tyndau_h5_vector(&h, g, "seconds", TYNDAU_H5_F64, S, R->seconds, "survey", "Wall time of the survey's refit.",
                     "s");
    tyndau_h5_vector(&h, g, "loglik_truth", TYNDAU_H5_F64, S, R->ll_truth, "survey",
                     "Log-likelihood of the synthetic survey at the truth and the simulation that made it (NaN: "
                     "not run).", "nats");
    tyndau_h5_vector(&h, g, "loglik_median", TYNDAU_H5_F64, S, R->ll_median, "survey",
                     "Median log-likelihood of the refit's final particles (each at its own parameters and seed).",
                     "nats");
    tyndau_h5_vector(&h, g, "loglik_rank", TYNDAU_H5_I64, S, R->ll_rank, "survey",
                     "Final particles whose log-likelihood is below the truth's (0 .. particles): uniform if the "
                     "sampler is right; high: the refit misses the truth's likelihood, low: it concentrates on "
                     "lucky simulations.", "particles");
    tyndau_h5_vector(&h, g, "loglik_rank_histogram", TYNDAU_H5_I64, SBC_BINS, R->ll_hist, "bin",
                     "Completed surveys per bin of loglik_rank (floor(rank x 10 / (particles + 1))).", "surveys");
    tyndau_h5_vector(&h, g, "coverage50", TYNDAU_H5_F64, d, R->cov50, q,
                     "Share of the completed surveys whose truth lies in the central 50% interval.", "1");
    tyndau_h5_vector(&h, g, "coverage90", TYNDAU_H5_F64, d, R->cov90, q,
                     "Share of the completed surveys whose truth lies in the central 90% interval.", "1");
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "rank_histogram", .kind = TYNDAU_H5_I64, .rank = 2,
                                               .dims = {d, SBC_BINS}, .data = R->hist, .axes = "quantity,bin",
                                               .description = "Completed surveys per rank bin: bin b holds ranks "
                                                              "with floor(rank x 10 / (particles + 1)) = b.",
                                               .units = "surveys"});
    tyndau_h5_close_obj(&h, g);
    tyndau_status st = tyndau_h5_close(&h);
    if (st == TYNDAU_OK && done == S) unlink(C->partial);
    return st;
}

/* --resume: the surveys of OUT.partial into R, *done how many (0 without a partial file). */
static tyndau_status sbc_resume(calib_t *C, sbc_result *R, size_t *done, tyndau_error *err)
{
    tyndau_h5 h;
    tyndau_error e;
    int same = 0, opened = calib_open_partial(C, "calibrate --sbc", &h, &e, &same, err), major = 0;
    *done = 0;
    if (opened != 0) return opened > 0 ? TYNDAU_OK : err->status;
    size_t S = R->S, d = R->d;
    int64_t s_file = 0, n_file = 0, k = 0;
    tyndau_status rc = TYNDAU_OK;
    if (!same)
        rc = calib_partial_other(C, err);
    else if (tyndau_h5_check_schema(&h, SBC_SCHEMA_NAME, "a tyndau SBC file", 1, 1000, &major) != TYNDAU_OK ||
             major != 1)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s is not a partial SBC file of schema %s 1.x; remove it or run "
                        "without --resume", C->partial, SBC_SCHEMA_NAME);
    else if (tyndau_h5_read_attr_i64(&h, h.file, "surveys", &s_file) != 1 ||
             tyndau_h5_read_attr_i64(&h, h.file, "particles", &n_file) != 1 ||
             tyndau_h5_read_attr_i64(&h, h.file, "surveys_done", &k) != 1 || k < 0 || k > s_file)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: no readable surveys, particles or surveys_done (damaged "
                        "file?)", C->partial);
    else if ((size_t)s_file != S || (size_t)n_file != R->N)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s is an SBC of %" PRId64 " surveys of %" PRId64 " particles, "
                        "not %zu of %zu; run the same --sbc S, or remove it", C->partial, s_file, n_file, S, R->N);
    hid_t g = rc == TYNDAU_OK ? H5Gopen2(h.file, "sbc", H5P_DEFAULT) : -1;
    if (rc == TYNDAU_OK && g < 0) rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s has no /sbc", C->partial);
    static const char *const nm[6] = {"truth", "median", "q05", "q25", "q75", "q95"};
    double *val[6] = {R->truth, R->median, R->q05, R->q25, R->q75, R->q95};
    for (int j = 0; rc == TYNDAU_OK && j < 6; j++) {
        tyndau_h5_expect(&h, g, nm[j], (int64_t)S, (int64_t)d, 1, "surveys x quantities");
        tyndau_h5_read(&h, g, nm[j], TYNDAU_H5_F64, S * d, val[j]);
    }
    if (rc == TYNDAU_OK) {
        tyndau_h5_read(&h, g, "rank", TYNDAU_H5_I64, S * d, R->rank);
        tyndau_h5_read(&h, g, "inside50", TYNDAU_H5_I32, S * d, R->in50);
        tyndau_h5_read(&h, g, "inside90", TYNDAU_H5_I32, S * d, R->in90);
        tyndau_h5_read(&h, g, "status", TYNDAU_H5_I32, S, R->status);
        tyndau_h5_read(&h, g, "beta", TYNDAU_H5_F64, S, R->beta);
        tyndau_h5_read(&h, g, "simulations", TYNDAU_H5_F64, S, R->sims);
        tyndau_h5_read(&h, g, "seconds", TYNDAU_H5_F64, S, R->seconds);
        tyndau_h5_read(&h, g, "loglik_truth", TYNDAU_H5_F64, S, R->ll_truth);
        tyndau_h5_read(&h, g, "loglik_median", TYNDAU_H5_F64, S, R->ll_median);
        tyndau_h5_read(&h, g, "loglik_rank", TYNDAU_H5_I64, S, R->ll_rank);
        if (h.st != TYNDAU_OK) rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: %s", C->partial, h.err->msg);
    }
    for (size_t s = 0; rc == TYNDAU_OK && s < S; s++)
        if ((s < (size_t)k) != (R->status[s] >= 0 && R->status[s] <= 2))
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: survey %zu's status %d does not match surveys_done %"
                            PRId64 " (damaged file?)", C->partial, s + 1, R->status[s], k);
    if (g >= 0) H5Gclose(g);
    tyndau_h5_close(&h);
    if (rc == TYNDAU_OK) {
        *done = (size_t)k;
        if (C->mc.rank == 0 && !C->quiet)
            fprintf(stderr, "calibrate --sbc: resuming after survey %zu of %zu (%s)\n", *done, S, C->partial);
    }
    return rc;
}

tyndau_status calib_sbc(calib_t *C, size_t S, int resume, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    size_t d = c->d, N = c->particles, SD = S * d;
    sbc_result R = {.S = S, .d = d, .N = N};
    R.truth = tyndau_calloc(SD, sizeof(double)), R.median = tyndau_calloc(SD, sizeof(double));
    R.q05 = tyndau_calloc(SD, sizeof(double)), R.q25 = tyndau_calloc(SD, sizeof(double));
    R.q75 = tyndau_calloc(SD, sizeof(double)), R.q95 = tyndau_calloc(SD, sizeof(double));
    R.rank = tyndau_calloc(SD, sizeof(int64_t)), R.in50 = tyndau_calloc(SD, sizeof(int));
    R.in90 = tyndau_calloc(SD, sizeof(int)), R.status = tyndau_calloc(S, sizeof(int));
    R.beta = tyndau_calloc(S, sizeof(double)), R.sims = tyndau_calloc(S, sizeof(double));
    R.seconds = tyndau_calloc(S, sizeof(double));
    R.ll_truth = tyndau_calloc(S, sizeof(double)), R.ll_median = tyndau_calloc(S, sizeof(double));
    R.ll_rank = tyndau_calloc(S, sizeof(int64_t));
    tyndau_obs_row *published = C->obs.rows, *rows = tyndau_calloc(C->obs.n_rows, sizeof *rows);
    double *probs = tyndau_calloc(C->n_out, sizeof *probs), *xs = tyndau_calloc(N * d, sizeof *xs);
    double *v = tyndau_calloc(N, sizeof *v), *lls = tyndau_calloc(N, sizeof *lls);
    tyndau_status st = TYNDAU_OK;
    if (!R.truth || !R.median || !R.q05 || !R.q25 || !R.q75 || !R.q95 || !R.rank || !R.in50 || !R.in90 ||
        !R.status || !R.beta || !R.sims || !R.seconds || !R.ll_truth || !R.ll_median || !R.ll_rank || !rows || !probs ||
        !xs || !v || !lls)
        st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t s = 0; st == TYNDAU_OK && s < S; s++) R.status[s] = -1, R.ll_truth[s] = R.ll_median[s] = NAN;
    size_t done = 0;
    if (st == TYNDAU_OK && resume) st = sbc_resume(C, &R, &done, err);
    st = (tyndau_status)many_bcast_int(&C->mc, (int)st); /* every rank has read OUT.partial before rank 0 writes it */
    if (st == TYNDAU_OK && C->mc.rank == 0 && done < S) {
        summarise(&R);
        st = write_sbc(C, &R, done, err);
    }
    for (size_t s = done; st == TYNDAU_OK && s < S; s++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        double *x = R.truth + s * d;
        gsl_rng *r = many_stream(c->seed, K_SBC_TRUTH, s, 0);
        if (r == NULL) {
            st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
            break;
        }
        for (size_t k = 0; k < d; k++) x[k] = prior_draw(&c->prior[k], r);
        /* --within: the truth's model parameters from the history match's region sample, as the refit's
           prior is the prior restricted to the region (calib_smc_init draws the same way) */
        int in_region = C->within == NULL;
        for (int tries = 0; !in_region && tries < 1000 && calib_within_draw(C, r, x); tries++) in_region = calib_within(C, x);
        gsl_rng_free(r);
        if (!in_region) {
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--sbc --within %s: no point of its region sample is non-implausible "
                            "(a history match without /region?)", C->within_path);
            break;
        }
        uint64_t seed = many_seed(c->seed, K_SBC_SIM, s, 0);
        int status = 0;
        char msg[1][MANY_ERRLEN];
        size_t failed = 0;
        calib_simulate(C, x, &seed, 1, probs, &status, msg, &failed);
        tyndau_error e;
        tyndau_error_clear(&e);
        R.status[s] = 2;
        if (failed == 0) {
            memcpy(rows, published, C->obs.n_rows * sizeof *rows);
            synthetic_survey(C, x, probs, s, rows);
            C->obs.rows = rows;
            R.ll_truth[s] = calib_loglik(C, probs, x);
            int rc = refit(C, s, xs, lls, &R.beta[s], &R.sims[s], &e);
            C->obs.rows = published;
            if (rc == 0) R.status[s] = R.beta[s] >= 1.0 ? 0 : 1;
            if (rc > 0) { /* SIGTERM / SIGINT: this survey is dropped, the ones before kept */
                R.status[s] = -1, R.ll_truth[s] = NAN;
                st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "calibrate --sbc: stopped by %s during survey %zu of %zu; %s "
                                "kept with %zu surveys: run the same command with --resume to continue",
                                many_signal_name(rc), s + 1, S, C->partial, s);
                break;
            }
        }
        if (R.status[s] != 2) {
            int64_t below = 0;
            for (size_t i = 0; i < N; i++) below += (v[i] = lls[i]) < R.ll_truth[s];
            gsl_sort(v, 1, N);
            R.ll_rank[s] = below;
            R.ll_median[s] = gsl_stats_median_from_sorted_data(v, 1, N);
        }
        for (size_t k = 0; R.status[s] != 2 && k < d; k++) {
            int64_t below = 0;
            for (size_t i = 0; i < N; i++) below += (v[i] = xs[i * d + k]) < x[k];
            gsl_sort(v, 1, N);
            size_t j = s * d + k;
            R.rank[j] = below;
            R.median[j] = gsl_stats_median_from_sorted_data(v, 1, N);
            R.q05[j] = gsl_stats_quantile_from_sorted_data(v, 1, N, 0.05);
            R.q25[j] = gsl_stats_quantile_from_sorted_data(v, 1, N, 0.25);
            R.q75[j] = gsl_stats_quantile_from_sorted_data(v, 1, N, 0.75);
            R.q95[j] = gsl_stats_quantile_from_sorted_data(v, 1, N, 0.95);
            R.in50[j] = x[k] >= R.q25[j] && x[k] <= R.q75[j];
            R.in90[j] = x[k] >= R.q05[j] && x[k] <= R.q95[j];
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        R.seconds[s] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (C->mc.rank == 0 && !C->quiet)
            fprintf(stderr, "sbc: survey %zu of %zu: %s, beta %.3g, %.0f simulations, %.1f s\n", s + 1, S,
                    R.status[s] == 0 ? "refit complete" : R.status[s] == 1 ? "budget ran out" : "failed", R.beta[s],
                    R.sims[s], R.seconds[s]);
        if (C->mc.rank == 0 && s + 1 < S) {
            summarise(&R);
            st = write_sbc(C, &R, s + 1, err);
        }
    }
    if (st == TYNDAU_OK) {
        summarise(&R);
        if (C->mc.rank == 0) st = write_sbc(C, &R, S, err);
    }
    if (st == TYNDAU_OK && C->mc.rank == 0 && !C->quiet) {
        printf("simulation-based calibration: %zu synthetic surveys, %zu refits complete, %zu particles each\n", S,
               R.n_ok, N);
        printf("%-30s %10s %10s   rank histogram (%d bins)\n", "quantity", "cover 50%", "cover 90%", SBC_BINS);
        for (size_t k = 0; k < d; k++) {
            printf("%-30s %10.2f %10.2f  ", c->prior[k].name, R.cov50[k], R.cov90[k]);
            for (size_t b = 0; b < SBC_BINS; b++) printf(" %" PRId64, R.hist[k * SBC_BINS + b]);
            printf("\n");
        }
        printf("%-30s %21s  ", "log-likelihood at the truth", "(joint test quantity)");
        for (size_t b = 0; b < SBC_BINS; b++) printf(" %" PRId64, R.ll_hist[b]);
        printf("\n\nwrote %s\n", C->out);
    }
    sbc_free(&R);
    free(rows), free(probs), free(xs), free(v), free(lls);
    return st;
}
