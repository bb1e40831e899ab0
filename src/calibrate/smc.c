/*
 * smc.c - the sampler of `tyndau calibrate`: adaptive ABC-SMC (calib.h has the method).  Each
 * generation: the next beta (bisection on the effective sample size), systematic resampling,
 * then `moves` Metropolis-Hastings steps of every particle, the first crn_moves with the
 * particle's own seed (common random numbers); every simulation through the run-many layer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "calib.h"
#include "engine/progress.h"
#ifdef _OPENMP
#include <omp.h>
#endif

gsl_rng *calib_stream(uint64_t root, int kind, uint64_t a, uint64_t b)
{
    return many_stream(root, (uint64_t)kind, a, b);
}

/* A simulation's outputs: the observation model's probabilities of its survey. */
static tyndau_status extract(const tyndau_model *m, double *out, tyndau_error *err, void *user)
{
    return tyndau_obs_extract(user, m, out, err);
}

typedef struct {
    const calib_t *C;
    const double *x;      /* [n][d] parameter values of each job */
    const uint64_t *seed; /* [n] model seed of each job */
} sim_ctx;

static tyndau_status sim_job(size_t i, double *out, tyndau_error *err, void *user)
{
    const sim_ctx *s = user;
    const calib_cfg *c = &s->C->cfg;
    return many_model(&s->C->base, c->prior, s->x + i * c->d, c->d, c->agents, s->seed[i], extract,
                      (void *)&s->C->obs, out, err);
}

double calib_kappa(const calib_t *C, const double *x)
{
    const calib_cfg *c = &C->cfg;
    if (!c->dm) return 0.0;
    return c->conc_dim >= 0 ? x[c->conc_dim] : c->concentration;
}

tyndau_obs_error calib_obs_error(const calib_t *C, const double *x)
{
    const calib_cfg *c = &C->cfg;
    tyndau_obs_error e = {.kind = c->kind, .deff = c->deff, .concentration = calib_kappa(C, x)};
    for (int f = 0; f < TYNDAU_N_FAM; f++) e.sd[f] = c->disc_dim[f] >= 0 ? x[c->disc_dim[f]] : c->disc_fixed[f];
    for (int k = 0; k < TYNDAU_N_SLOPE; k++) e.slope[k] = c->slope_dim[k] >= 0 ? x[c->slope_dim[k]] : c->slope_fixed[k];
    return e;
}

/* Default discrepancy priors, half-normal on the logit scale (docs/calibration.md s2): elicited
 * from model error of about 2-3 pp on awareness and attention items and 1-2 pp on measurement
 * items (SCIENCE_NOTES s4), at p = 0.4 (d p = p (1 - p) d logit): medians 0.10 and 0.06, i.e.
 * half-normal scales 0.15 and 0.09; an assumption, not a measurement. */
tyndau_status calib_default_discrepancy(calib_t *C, tyndau_error *err)
{
    calib_cfg *c = &C->cfg;
    if (c->kind != TYNDAU_OBS_LOGIT_NORMAL) return TYNDAU_OK;
    for (int f = 0; f < TYNDAU_N_FAM; f++) {
        int used = 0;
        for (size_t r = 0; r < C->obs.n_rows; r++) used |= C->obs.rows[r].weight > 0 && (int)C->obs.rows[r].family == f;
        if (!used || c->disc_given[f]) continue;
        if (c->d == MAXD) return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: more than %d calibrated quantities with the "
                                            "default discrepancy priors", c->file.path, MAXD);
        char key[64];
        snprintf(key, sizeof key, "discrepancy_%s", tyndau_obs_family_names[f]);
        const char *value = f == TYNDAU_FAM_AWARENESS || f == TYNDAU_FAM_ATTENTION ? "normal 0 0.15 0 1"
                                                                                   : "normal 0 0.09 0 1";
        prior_t *pr = &c->prior[c->d];
        if (prior_parse(pr, key, value, 0.0, 5.0, err) != TYNDAU_OK) return err->status;
        snprintf(pr->name, sizeof pr->name, "%s", key);
        pr->param = -1;
        c->disc_dim[f] = (int)c->d++;
    }
    /* The slope discrepancies (obs_slope.c), half-normal 0.2 logit per group step: elicited from the
     * gradients the calibrated baseline misses (docs/calibration.md s7: fully aware, high against low
     * income, 16.3 against 6.6 published, 12.7 against 8.0 simulated: about 0.28 logit per income
     * step at p = 0.1; first time, 0.06; the age gradients are not linear); an assumption. */
    for (int k = 0; k < TYNDAU_N_SLOPE; k++) {
        int used = 0;
        double t;
        for (size_t r = 0; r < C->obs.n_rows; r++) used |= C->obs.rows[r].weight > 0 && tyndau_obs_slope_of(&C->obs.rows[r], &t) == k;
        if (!used || c->slope_given[k]) continue;
        if (c->d == MAXD) return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: more than %d calibrated quantities with the "
                                            "default slope priors", c->file.path, MAXD);
        char key[64];
        snprintf(key, sizeof key, "slope_%s", tyndau_obs_slope_names[k]);
        prior_t *pr = &c->prior[c->d];
        if (prior_parse(pr, key, "normal 0 0.2 0 1", 0.0, 5.0, err) != TYNDAU_OK) return err->status;
        snprintf(pr->name, sizeof pr->name, "%s", key);
        pr->param = -1;
        c->slope_dim[k] = (int)c->d++;
    }
    return TYNDAU_OK;
}

double calib_loglik(const calib_t *C, const double *probs, const double *x)
{
    tyndau_obs_error e = calib_obs_error(C, x);
    return tyndau_obs_loglik_err(&C->obs, probs, &e);
}

void calib_free_gens(calib_t *C)
{
    for (size_t t = 0; t < C->n_gen; t++) free(C->gen[t].x), free(C->gen[t].z), free(C->gen[t].ll), free(C->gen[t].seed);
    free(C->gen);
    C->gen = NULL, C->n_gen = C->cap_gen = 0;
}

calib_gen *calib_new_gen(calib_t *C)
{
    if (C->n_gen == C->cap_gen) {
        size_t cap = C->cap_gen ? 2 * C->cap_gen : 16;
        calib_gen *g = tyndau_reallocarray(C->gen, cap, sizeof *g);
        if (g == NULL) return NULL;
        C->gen = g;
        C->cap_gen = cap;
    }
    size_t N = C->cfg.particles, d = C->cfg.d;
    calib_gen *g = &C->gen[C->n_gen];
    memset(g, 0, sizeof *g);
    g->x = tyndau_calloc(N * d, sizeof *g->x);
    g->z = tyndau_calloc(N * d, sizeof *g->z);
    g->ll = tyndau_calloc(N, sizeof *g->ll);
    g->seed = tyndau_calloc(N, sizeof *g->seed);
    if (!g->x || !g->z || !g->ll || !g->seed) {
        free(g->x), free(g->z), free(g->ll), free(g->seed);
        return NULL;
    }
    C->n_gen++;
    return g;
}

size_t calib_unique(const prior_t *prior, const double *x, const uint64_t *seed, size_t n, size_t d)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = seed[i] == seed[j];
            for (size_t k = 0; k < d && seen; k++)
                seen = prior[k].param < 0 || memcmp(x + i * d + k, x + j * d + k, sizeof *x) == 0;
        }
        u += !seen;
    }
    return u;
}

static void gen_stats(const calib_t *C, calib_gen *g)
{
    size_t N = C->cfg.particles;
    double *tmp = tyndau_calloc(N, sizeof *tmp);
    size_t n = 0;
    g->ll_max = -INFINITY;
    for (size_t i = 0; i < N; i++)
        if (isfinite(g->ll[i])) {
            if (tmp) tmp[n++] = g->ll[i];
            g->ll_max = fmax(g->ll_max, g->ll[i]);
        }
    if (tmp && n) {
        gsl_sort(tmp, 1, n);
        g->ll_median = gsl_stats_median_from_sorted_data(tmp, 1, n);
    } else {
        g->ll_median = NAN;
    }
    free(tmp);
}

static double ess_of(const double *ll, size_t N, double dbeta, double llmax)
{
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < N; i++) {
        if (!isfinite(ll[i])) continue;
        double w = exp(dbeta * (ll[i] - llmax));
        s += w;
        s2 += w * w;
    }
    return s2 > 0.0 ? s * s / s2 : 0.0;
}

static void progress_line(const calib_t *C, const calib_gen *g, size_t t)
{
    if (C->quiet || C->mc.rank != 0) return;
    /* the sampler ends at beta = 1 or at the budget, whichever comes first: the time to the
     * budget at the rate so far is what can be promised, an upper bound */
    double rate = g->elapsed > 0.0 ? (double)g->sims / g->elapsed : 0.0;
    char el[32], left[32] = "?";
    progress_duration(g->elapsed, el, sizeof el);
    if (rate > 0.0 && C->cfg.max_simulations > g->sims)
        progress_duration((double)(C->cfg.max_simulations - g->sims) / rate, left, sizeof left);
    else if (C->cfg.max_simulations <= g->sims)
        snprintf(left, sizeof left, "0 s");
    fprintf(stderr,
            "calibrate: generation %zu/%d  beta %.4g of 1  tolerance %.4g  ESS %.1f/%zu  acceptance %.3f  "
            "median loglik %.2f  simulations %zu/%zu (budget)  failed %zu  %.3g sims/s  %s, at most %s left\n",
            t, C->cfg.max_generations, g->beta, g->beta > 0 ? 1.0 / g->beta : INFINITY, g->ess, C->cfg.particles,
            g->acceptance, g->ll_median, g->sims, C->cfg.max_simulations, g->failed, rate, el, left);
    if (isfinite(g->surrogate_acceptance))
        fprintf(stderr, "calibrate: generation %zu: surrogate chains' scale %.3g, acceptance %.3f; %.0f%% of the "
                "particles moved\n", t, g->surrogate_scale, g->surrogate_acceptance, 100.0 * g->moved);
    if (isfinite(g->obs_acceptance))
        fprintf(stderr, "calibrate: generation %zu: observation steps' scale %.3g, acceptance %.3f\n", t, g->obs_scale,
                g->obs_acceptance);
}

void calib_simulate(calib_t *C, const double *x, const uint64_t *seed, size_t n, double *probs, int *status,
                    char (*msgs)[MANY_ERRLEN], size_t *failed)
{
    sim_ctx s = {C, x, seed};
    size_t nf = many_run(&C->mc, n, C->n_out, sim_job, &s, probs, status, msgs);
    *failed += nf;
    if (nf > 0 && C->mc.rank == 0 && !C->quiet) {
        for (size_t i = 0; i < n; i++)
            if (status[i] != 0) {
                fprintf(stderr, "calibrate: %zu of %zu simulations failed (recorded, likelihood 0); first: %s\n",
                        nf, n, msgs[i]);
                break;
            }
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The sampler's workspace: buffers of one generation's proposals, allocated once. */
struct calib_work {
    double *probs, *xp, *zp, *wts;
    double *lt0, *lt1;     /* surrogate transitions: the surrogate log-likelihood at the start and the end of each chain */
    double *swork;         /* [threads][calib_surrogate_work] */
    size_t swork_n;
    unsigned char *skip;   /* 1: the proposal is the particle itself, with its seed (not simulated) */
    size_t s_acc, s_prop;  /* the surrogate chains' accepted and proposed steps in this generation */
    int *status;
    char (*msgs)[MANY_ERRLEN];
    uint64_t *sp;
    size_t *idx;
    unsigned char *mflag; /* 1: the particle has moved in this generation */
    /* observation steps: each particle's simulated probabilities [N][n_out] (pp_ok: known), the
       resampling's copy, the observation quantities (dims [n_obs]) and their proposal sds */
    double *pp, *pp2, obs_sd[MAXD];
    unsigned char *pp_ok, *pp_ok2;
    size_t obs_dims[MAXD], n_obs, o_acc, o_prop;
    gsl_matrix *L;
    double t0; /* when the generation now running started */
};

calib_work *calib_smc_alloc(const calib_t *C)
{
    size_t N = C->cfg.particles, d = C->cfg.d;
    calib_work *w = tyndau_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->probs = tyndau_calloc(N * C->n_out, sizeof *w->probs);
    w->status = tyndau_calloc(N, sizeof *w->status);
    w->msgs = tyndau_calloc(N, sizeof *w->msgs);
    w->xp = tyndau_calloc(N * d, sizeof *w->xp), w->zp = tyndau_calloc(N * d, sizeof *w->zp);
    w->sp = tyndau_calloc(N, sizeof *w->sp);
    w->idx = tyndau_calloc(N, sizeof *w->idx);
    w->wts = tyndau_calloc(N, sizeof *w->wts);
    w->mflag = tyndau_calloc(N, sizeof *w->mflag);
    w->L = gsl_matrix_alloc(d, d);
    w->t0 = now_s();
    int sur = C->cfg.surrogate_steps > 0 && calib_surrogate_ok(C);
    int threads = C->mc.threads > 0 ? C->mc.threads : 1;
    w->swork_n = sur ? calib_surrogate_work(C) : 0;
    w->lt0 = tyndau_calloc(N, sizeof *w->lt0), w->lt1 = tyndau_calloc(N, sizeof *w->lt1);
    w->skip = tyndau_calloc(N, sizeof *w->skip);
    w->swork = tyndau_calloc(sur ? (size_t)threads * w->swork_n : 1, sizeof *w->swork);
    for (size_t k = 0; k < d && C->cfg.obs_steps > 0; k++)
        if (C->cfg.prior[k].param < 0) w->obs_dims[w->n_obs++] = k; /* no simulation depends on it */
    size_t npp = w->n_obs > 0 ? N * C->n_out : 1;
    w->pp = tyndau_calloc(npp, sizeof *w->pp), w->pp2 = tyndau_calloc(npp, sizeof *w->pp2);
    w->pp_ok = tyndau_calloc(N, sizeof *w->pp_ok), w->pp_ok2 = tyndau_calloc(N, sizeof *w->pp_ok2);
    if (!w->probs || !w->status || !w->msgs || !w->xp || !w->zp || !w->sp || !w->idx || !w->wts || !w->L || !w->mflag ||
        !w->lt0 || !w->lt1 || !w->skip || !w->swork || !w->pp || !w->pp2 || !w->pp_ok || !w->pp_ok2) {
        calib_smc_free(w);
        return NULL;
    }
    return w;
}

void calib_smc_free(calib_work *w)
{
    if (w == NULL) return;
    free(w->probs), free(w->status), free(w->msgs), free(w->xp), free(w->zp), free(w->sp), free(w->idx);
    free(w->wts), free(w->mflag), free(w->lt0), free(w->lt1), free(w->skip), free(w->swork);
    free(w->pp), free(w->pp2), free(w->pp_ok), free(w->pp_ok2);
    gsl_matrix_free(w->L);
    free(w);
}

tyndau_status calib_smc_init(calib_t *C, calib_work *w, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    size_t N = c->particles, d = c->d;
    if (C->n_gen > 0) {
        if (C->mc.rank == 0 && !C->quiet)
            fprintf(stderr, "calibrate: resuming after generation %zu (beta %.4g, %zu simulations)\n", C->n_gen - 1,
                    C->gen[C->n_gen - 1].beta, C->gen[C->n_gen - 1].sims);
        if (w->n_obs > 0) { /* observation steps: the particles' probabilities again (the same bits; not counted) */
            const calib_gen *g = &C->gen[C->n_gen - 1];
            size_t failed = 0;
            calib_simulate(C, g->x, g->seed, N, w->pp, w->status, w->msgs, &failed);
            for (size_t i = 0; i < N; i++) {
                w->pp_ok[i] = w->status[i] == 0;
                /* the steps compare against the file's log-likelihoods: the simulations must reproduce them */
                double ll = w->pp_ok[i] ? calib_loglik(C, w->pp + i * C->n_out, g->x + i * d) : -INFINITY;
                if (memcmp(&ll, &g->ll[i], sizeof ll) != 0 && !(isinf(ll) && isinf(g->ll[i])))
                    return TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: particle %zu of generation %zu simulates to "
                                      "log-likelihood %.17g, not the partial file's %.17g: the file was made by "
                                      "another build or model; remove %s to start again", i, C->n_gen - 1, ll,
                                      g->ll[i], C->partial);
            }
        }
        return TYNDAU_OK;
    }
    if (c->obs_steps > 0 && w->n_obs == 0 && C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "tyndau: warning: obs_steps = %d: every calibrated quantity is a model parameter, so there is "
                "nothing for observation steps to move (ignored)\n", c->obs_steps);
    /* generation 0: the prior */
    calib_gen *g = calib_new_gen(C);
    if (g == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t i = 0; i < N; i++) {
        gsl_rng *r = calib_stream(c->seed, K_PRIOR, 0, i);
        /* --within: the model parameters from the history match's region sample (uniform on the
         * region: the prior restricted to it), or draws outside the region rejected, the next from
         * the same stream (a file without a sample) */
        for (size_t tries = 0; tries == 0 || (!calib_within(C, g->x + i * d) && tries < 1000000); tries++) {
            for (size_t k = 0; k < d; k++) {
                g->x[i * d + k] = prior_draw(&c->prior[k], r);
                g->z[i * d + k] = prior_x_to_z(&c->prior[k], g->x[i * d + k]);
                g->x[i * d + k] = prior_z_to_x(&c->prior[k], g->z[i * d + k]);
            }
            if (calib_within_draw(C, r, g->x + i * d))
                for (size_t k = 0; k < d; k++) {
                    g->z[i * d + k] = prior_x_to_z(&c->prior[k], g->x[i * d + k]);
                    g->x[i * d + k] = prior_z_to_x(&c->prior[k], g->z[i * d + k]);
                }
        }
        g->seed[i] = many_seed(c->seed, K_SIM, 0, i);
        gsl_rng_free(r);
        if (!calib_within(C, g->x + i * d))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: no prior draw of 1000000 is non-implausible",
                              C->within_path);
    }
    calib_simulate(C, g->x, g->seed, N, w->probs, w->status, w->msgs, &g->failed);
    for (size_t i = 0; i < N; i++)
        g->ll[i] = w->status[i] ? -INFINITY
                                : calib_loglik(C, w->probs + i * C->n_out, g->x + i * d);
    if (w->n_obs > 0) {
        memcpy(w->pp, w->probs, N * C->n_out * sizeof *w->pp);
        for (size_t i = 0; i < N; i++) w->pp_ok[i] = w->status[i] == 0;
    }
    g->beta = 0.0;
    g->ess = (double)N;
    g->acceptance = NAN;
    g->scale = 2.38 / sqrt((double)d);
    g->sims = N;
    g->elapsed = now_s() - w->t0;
    w->t0 = now_s();
    gen_stats(C, g);
    g->unique_resampled = (double)N, g->moved = NAN, g->move_steps = 0.0;
    g->surrogate_acceptance = g->surrogate_scale = NAN;
    g->obs_acceptance = g->obs_scale = NAN;
    g->unique = (double)calib_unique(c->prior, g->x, g->seed, N, d);
    if (g->failed == N)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "every simulation of the prior sample failed; first: %s", w->msgs[0]);
    progress_line(C, g, 0);
    return TYNDAU_OK;
}

int calib_smc_test(calib_t *C)
{
    const calib_cfg *c = &C->cfg;
    const calib_gen *prev = &C->gen[C->n_gen - 1];
    if (prev->beta >= 1.0) {
        C->status = "complete";
        return 1;
    }
    if ((int)C->n_gen > c->max_generations || prev->sims + c->particles * (size_t)c->moves > c->max_simulations) {
        C->status = "budget_exhausted";
        if (C->mc.rank == 0)
            fprintf(stderr, "tyndau: warning: the budget (max_generations %d, max_simulations %zu) ran out at "
                    "beta %.4g < 1: the particles are NOT the posterior\n", c->max_generations, c->max_simulations,
                    prev->beta);
        return 1;
    }
    return 0;
}

/* A random-walk proposal in the prior's normal scores: zq = z + scale L e, e ~ N(0, I) from r (d
 * draws), and its parameters xq. */
static void propose(const calib_cfg *c, const gsl_matrix *L, double scale, gsl_rng *r, const double *z, double *zq,
                    double *xq)
{
    double e[MAXD];
    for (size_t k = 0; k < c->d; k++) e[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (size_t k = 0; k < c->d; k++) {
        double v = 0.0;
        for (size_t j = 0; j <= k; j++) v += gsl_matrix_get(L, k, j) * e[j];
        zq[k] = z[k] + scale * v;
        xq[k] = prior_z_to_x(&c->prior[k], zq[k]);
    }
}

static double prior_log_z(const calib_cfg *c, const double *z)
{
    double s = 0.0;
    for (size_t k = 0; k < c->d; k++) s += prior_log_density_z(&c->prior[k], z[k]);
    return s;
}

/* One chain of `steps` random-walk Metropolis steps from (zc, xc) on the surrogate target prior x
 * exp(beta x the emulated log-likelihood), restricted to the region (a chain reversible for it):
 * zc, xc moved in place; *lc the surrogate log-likelihood there (on entry: at the start); the
 * accepted steps. */
static size_t surrogate_chain(const calib_t *C, const gsl_matrix *L, double scale, double beta, int steps, gsl_rng *r,
                              double *zc, double *xc, double *lc, double *wk)
{
    const calib_cfg *c = &C->cfg;
    size_t d = c->d, acc = 0;
    double zq[MAXD], xq[MAXD], pc = prior_log_z(c, zc);
    for (int s = 0; s < steps && isfinite(*lc); s++) {
        propose(c, L, scale, r, zc, zq, xq);
        double lq = calib_surrogate_loglik(C, xq, wk), pq = prior_log_z(c, zq);
        if (isfinite(lq) && log(gsl_rng_uniform_pos(r)) < beta * (lq - *lc) + pq - pc) {
            memcpy(zc, zq, d * sizeof *zc), memcpy(xc, xq, d * sizeof *xc);
            *lc = lq, pc = pq;
            acc++;
        }
    }
    return acc;
}

/* A chain of `steps` Metropolis steps at `scale` from particle i of g, on streams r: its accepted
 * steps, or -1 when the particle cannot make them (pilot_scale's runner; ctx: what the chain needs
 * besides). */
typedef long (*chain_fn)(calib_t *C, calib_work *w, const calib_gen *g, size_t i, double scale, double beta,
                         int steps, gsl_rng *r, const void *ctx);

/* A chain's scale for generation t: a pilot of PILOT_STEPS steps from PILOT particles (spread over
 * the population) at each of the scales base x 2^-6 .. 2^1; the one whose acceptance is nearest
 * 0.234 (Roberts, Gelman & Gilks 1997), the larger on a tie.  It depends on the particles and the
 * seed only (streams of their own: kind, t * 256 + 255 - q; the moves use 0 .. 100), so a resumed
 * run repeats it. */
#define PILOT 32
#define PILOT_STEPS 5
#define PILOT_SCALES 8
static double pilot_scale(calib_t *C, calib_work *w, const calib_gen *g, double base, double beta, size_t t, int kind,
                          chain_fn run, const void *ctx)
{
    const calib_cfg *c = &C->cfg;
    size_t N = c->particles, np = N < PILOT ? N : PILOT;
    int threads = C->mc.threads > 0 ? C->mc.threads : 1;
    double best = base, gap = INFINITY;
    for (int q = 0; q < PILOT_SCALES; q++) {
        double scale = base * ldexp(1.0, q - 6);
        size_t acc = 0, n = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(+ : acc, n)
        for (size_t j = 0; j < np; j++) {
            size_t i = j * N / np;
            gsl_rng *r = calib_stream(c->seed, kind, t * 256 + 255 - (size_t)q, i);
            long got = r != NULL ? run(C, w, g, i, scale, beta, PILOT_STEPS, r, ctx) : 0;
            if (got >= 0) acc += (size_t)got, n++;
            gsl_rng_free(r);
        }
        double a = n > 0 ? (double)acc / (double)(n * PILOT_STEPS) : NAN;
        if (n > 0 && fabs(a - 0.234) <= gap) gap = fabs(a - 0.234), best = scale;
    }
    return best;
}

/* pilot_scale's runner for the surrogate chains (ctx: the proposal's Cholesky factor L). */
static long surrogate_pilot(calib_t *C, calib_work *w, const calib_gen *g, size_t i, double scale, double beta,
                            int steps, gsl_rng *r, const void *ctx)
{
    size_t d = C->cfg.d;
    double *wk = w->swork + (size_t)calib_thread() * w->swork_n, zc[MAXD], xc[MAXD];
    memcpy(zc, g->z + i * d, d * sizeof *zc), memcpy(xc, g->x + i * d, d * sizeof *xc);
    double lc = calib_surrogate_loglik(C, xc, wk);
    return (long)surrogate_chain(C, ctx, scale, beta, steps, r, zc, xc, &lc, wk);
}

/* ---- observation steps (obs_steps; docs/calibration.md s3) ----
 * The quantities no simulation depends on (the discrepancies, the slopes, a DM concentration)
 * move at each particle's own simulated probabilities p: Metropolis-within-Gibbs on the space of
 * (parameters, seed), whose simulation is a function of the model parameters and the seed alone,
 * so that steps that keep both keep the target prior x L^beta; they cost no simulation. */

/* `steps` random-walk Metropolis steps of the observation quantities of (z, x), each moved by
 * scale x obs_sd x N(0, 1), at probabilities p: z, x moved in place, *ll (on entry: at the start);
 * the accepted steps. */
static size_t obs_chain(const calib_t *C, const calib_work *w, const double *p, double scale, double beta, int steps,
                        gsl_rng *r, double *z, double *x, double *ll)
{
    const calib_cfg *c = &C->cfg;
    size_t acc = 0;
    double zq[MAXD], xq[MAXD];
    memcpy(zq, z, c->d * sizeof *zq), memcpy(xq, x, c->d * sizeof *xq);
    for (int s = 0; s < steps && isfinite(*ll); s++) {
        double lr = 0.0;
        for (size_t j = 0; j < w->n_obs; j++) {
            size_t k = w->obs_dims[j];
            zq[k] = z[k] + scale * w->obs_sd[j] * gsl_ran_gaussian_ziggurat(r, 1.0);
            xq[k] = prior_z_to_x(&c->prior[k], zq[k]);
            lr += prior_log_density_z(&c->prior[k], zq[k]) - prior_log_density_z(&c->prior[k], z[k]);
        }
        double lq = calib_loglik(C, p, xq);
        int ok = isfinite(lq) && log(gsl_rng_uniform_pos(r)) < beta * (lq - *ll) + lr;
        for (size_t j = 0; j < w->n_obs; j++) {
            size_t k = w->obs_dims[j];
            if (ok) z[k] = zq[k], x[k] = xq[k];
            else zq[k] = z[k], xq[k] = x[k];
        }
        if (ok) *ll = lq, acc++;
    }
    return acc;
}

/* pilot_scale's runner for the observation steps (-1: a particle without probabilities, or a
 * failed one). */
static long obs_pilot(calib_t *C, calib_work *w, const calib_gen *g, size_t i, double scale, double beta, int steps,
                      gsl_rng *r, const void *ctx)
{
    (void)ctx;
    size_t d = C->cfg.d;
    if (!w->pp_ok[i] || !isfinite(g->ll[i])) return -1;
    double zc[MAXD], xc[MAXD], lc = g->ll[i];
    memcpy(zc, g->z + i * d, d * sizeof *zc), memcpy(xc, g->x + i * d, d * sizeof *xc);
    return (long)obs_chain(C, w, w->pp + i * C->n_out, scale, beta, steps, r, zc, xc, &lc);
}

/* The observation steps of move step mv of generation t: every particle whose probabilities are
 * known, c->obs_steps steps at g->obs_scale, in parallel (each particle on its own stream). */
static void obs_steps(calib_t *C, calib_work *w, calib_gen *g, double beta, size_t t, int mv)
{
    const calib_cfg *c = &C->cfg;
    size_t N = c->particles, d = c->d, acc = 0, prop = 0;
    int threads = C->mc.threads > 0 ? C->mc.threads : 1;
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads) reduction(+ : acc, prop)
    for (size_t i = 0; i < N; i++) {
        if (!w->pp_ok[i] || !isfinite(g->ll[i])) continue;
        gsl_rng *r = calib_stream(c->seed, K_OBS_STEP, t * 256 + (size_t)mv, i);
        if (r == NULL) continue; /* out of memory: no steps */
        acc += obs_chain(C, w, w->pp + i * C->n_out, g->obs_scale, beta, c->obs_steps, r, g->z + i * d, g->x + i * d,
                         &g->ll[i]);
        prop += (size_t)c->obs_steps;
        gsl_rng_free(r);
    }
    w->o_acc += acc, w->o_prop += prop;
}

/* Surrogate transitions (Liu 2001, s9.4.3; docs/calibration.md s3): each particle's proposal of move mv
 * is the end of surrogate_steps steps of surrogate_chain at the pilot's scale; the exact MH step then
 * corrects by the exact target over the surrogate one.  Into w->zp, xp, sp, wts (the final uniform),
 * lt0 / lt1 (the surrogate at the chain's start and end) and skip (the chain did not move and the seed
 * is kept: the simulation would repeat the particle's own).  Each particle's numbers come from its own
 * stream, so the result does not depend on the threads. */
static void surrogate_chains(calib_t *C, calib_work *w, const calib_gen *g, const gsl_matrix *L, double scale,
                             double beta, size_t t, int mv)
{
    const calib_cfg *c = &C->cfg;
    size_t N = c->particles, d = c->d, acc = 0;
    int threads = C->mc.threads > 0 ? C->mc.threads : 1;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) reduction(+ : acc)
    for (size_t i = 0; i < N; i++) {
        double *wk = w->swork + (size_t)calib_thread() * w->swork_n;
        gsl_rng *r = calib_stream(c->seed, K_PROPOSE, t * 256 + (size_t)mv, i);
        double *zc = w->zp + i * d, *xc = w->xp + i * d;
        memcpy(zc, g->z + i * d, d * sizeof *zc);
        memcpy(xc, g->x + i * d, d * sizeof *xc);
        double lc = calib_surrogate_loglik(C, xc, wk);
        w->lt0[i] = lc;
        if (r != NULL) acc += surrogate_chain(C, L, scale, beta, c->surrogate_steps, r, zc, xc, &lc, wk);
        w->lt1[i] = lc;
        w->sp[i] = mv < c->crn_moves ? g->seed[i] : many_seed(c->seed, K_SIM, t * 256 + (size_t)mv, i);
        w->skip[i] = w->sp[i] == g->seed[i] && memcmp(zc, g->z + i * d, d * sizeof *zc) == 0;
        w->wts[i] = r != NULL ? log(gsl_rng_uniform_pos(r)) : INFINITY; /* out of memory: no move */
        gsl_rng_free(r);
    }
    w->s_acc += acc, w->s_prop += N * (size_t)c->surrogate_steps;
}

tyndau_status calib_smc_iterate(calib_t *C, calib_work *w, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    size_t N = c->particles, d = c->d, t = C->n_gen;
    double *probs = w->probs, *xp = w->xp, *zp = w->zp, *wts = w->wts;
    int *status = w->status;
    uint64_t *sp = w->sp;
    size_t *idx = w->idx;
    gsl_matrix *L = w->L;
    calib_gen *prev = &C->gen[t - 1];
    /* 1. next beta: ESS of the incremental weights = ess_fraction * N */
    double llmax = -INFINITY;
    for (size_t i = 0; i < N; i++)
        if (isfinite(prev->ll[i])) llmax = fmax(llmax, prev->ll[i]);
    double target = c->ess_fraction * (double)N, room = 1.0 - prev->beta, dbeta;
    if (ess_of(prev->ll, N, room, llmax) >= target) {
        dbeta = room;
    } else {
        double lo = 0.0, hi = room;
        for (int it = 0; it < 100; it++) {
            double mid = 0.5 * (lo + hi);
            if (ess_of(prev->ll, N, mid, llmax) >= target) lo = mid;
            else hi = mid;
        }
        dbeta = lo > 0.0 ? lo : hi;
    }
    double beta = prev->beta + dbeta;
    if (beta > 1.0 - 1e-12) beta = 1.0;
    double ess = ess_of(prev->ll, N, beta - prev->beta, llmax);
    /* 2. systematic resampling */
    double tot = 0.0;
    for (size_t i = 0; i < N; i++) {
        wts[i] = isfinite(prev->ll[i]) ? exp((beta - prev->beta) * (prev->ll[i] - llmax)) : 0.0;
        tot += wts[i];
    }
    gsl_rng *rr = calib_stream(c->seed, K_RESAMPLE, t, 0);
    double u0 = gsl_rng_uniform(rr) / (double)N, cum = wts[0] / tot;
    gsl_rng_free(rr);
    for (size_t i = 0, j = 0; i < N; i++) {
        double ui = u0 + (double)i / (double)N;
        while (ui > cum && j + 1 < N) cum += wts[++j] / tot;
        idx[i] = j;
    }
    calib_gen *g = calib_new_gen(C);
    if (g == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    prev = &C->gen[t - 1]; /* new_gen may move the array */
    for (size_t i = 0; i < N; i++) {
        memcpy(g->x + i * d, prev->x + idx[i] * d, d * sizeof *g->x);
        memcpy(g->z + i * d, prev->z + idx[i] * d, d * sizeof *g->z);
        g->ll[i] = prev->ll[idx[i]];
        g->seed[i] = prev->seed[idx[i]];
    }
    if (w->n_obs > 0) { /* the particles' probabilities follow them */
        for (size_t i = 0; i < N; i++) {
            memcpy(w->pp2 + i * C->n_out, w->pp + idx[i] * C->n_out, C->n_out * sizeof *w->pp);
            w->pp_ok2[i] = w->pp_ok[idx[i]];
        }
        double *tp = w->pp;
        unsigned char *tk = w->pp_ok;
        w->pp = w->pp2, w->pp2 = tp, w->pp_ok = w->pp_ok2, w->pp_ok2 = tk;
    }
    g->beta = beta;
    g->ess = ess;
    { /* distinct particles after resampling: distinct indices (idx is sorted) */
        size_t u = N > 0;
        for (size_t i = 1; i < N; i++) u += idx[i] != idx[i - 1];
        g->unique_resampled = (double)u;
    }
    g->sims = prev->sims;
    /* 3. proposal: scale adapted to the last acceptance rate, covariance of the particles */
    double scale = prev->scale;
    if (t >= 2 && isfinite(prev->acceptance)) scale *= exp(prev->acceptance - 0.25);
    scale = fmin(fmax(scale, 0.02), 3.0);
    g->scale = scale;
    double mean[MAXD] = {0};
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < d; k++) mean[k] += g->z[i * d + k] / (double)N;
    double jitter = 0.0;
    for (int attempt = 0; attempt < 30; attempt++) {
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++) {
                double s = 0.0;
                for (size_t i = 0; i < N; i++)
                    s += (g->z[i * d + a] - mean[a]) * (g->z[i * d + b] - mean[b]);
                s /= (double)(N > 1 ? N - 1 : 1);
                if (a == b) s += jitter;
                gsl_matrix_set(L, a, b, s);
                gsl_matrix_set(L, b, a, s);
            }
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int bad = gsl_linalg_cholesky_decomp1(L);
        gsl_set_error_handler(old);
        if (!bad) break;
        jitter = jitter > 0 ? jitter * 10 : 1e-8;
    }
    /* 4. moves */
    size_t accepted = 0, proposed = 0, n_moved = 0;
    int mv = 0, sur = w->swork_n > 0;
    w->s_acc = w->s_prop = 0;
    for (size_t i = 0; i < N; i++) w->mflag[i] = 0;
    /* GSL's error handler off for the whole move step: obs_slope.c's solve runs in the surrogate's
     * threads, and its own switch then writes the value that is already there */
    gsl_error_handler_t *old_handler = gsl_set_error_handler_off();
    g->surrogate_scale = sur ? pilot_scale(C, w, g, 2.38 / sqrt((double)d), beta, t, K_PROPOSE, surrogate_pilot, L) : NAN;
    w->o_acc = w->o_prop = 0;
    if (w->n_obs > 0) { /* the observation steps' proposal: each quantity's sd over the particles, and its scale */
        for (size_t j = 0; j < w->n_obs; j++) {
            double s1 = 0.0, s2 = 0.0;
            for (size_t i = 0; i < N; i++) s1 += g->z[i * d + w->obs_dims[j]];
            for (size_t i = 0; i < N; i++) s2 += pow(g->z[i * d + w->obs_dims[j]] - s1 / (double)N, 2.0);
            w->obs_sd[j] = fmax(sqrt(s2 / (double)(N > 1 ? N - 1 : 1)), 1e-3);
        }
        g->obs_scale = pilot_scale(C, w, g, 2.38 / sqrt((double)w->n_obs), beta, t, K_OBS_STEP, obs_pilot, NULL);
    } else {
        g->obs_scale = NAN;
    }
    for (mv = 0; mv < c->moves; mv++) {
        /* moves = adaptive: stop once the stated share has moved (the cap is c->moves) */
        if (c->adaptive && mv > 0 && (double)n_moved >= CALIB_MOVED_SHARE * (double)N) break;
        if (sur) surrogate_chains(C, w, g, L, g->surrogate_scale, beta, t, mv);
        for (size_t i = 0; i < N && !sur; i++) {
            gsl_rng *r = calib_stream(c->seed, K_PROPOSE, t * 256 + (size_t)mv, i);
            propose(c, L, scale, r, g->z + i * d, zp + i * d, xp + i * d);
            sp[i] = mv < c->crn_moves ? g->seed[i] : many_seed(c->seed, K_SIM, t * 256 + (size_t)mv, i);
            wts[i] = log(gsl_rng_uniform_pos(r)); /* the MH uniform, drawn now so it is fixed */
            gsl_rng_free(r);
        }
        g->sims += calib_simulate_within(C, xp, sp, N, probs, status, w->msgs, &g->failed, sur ? w->skip : NULL);
        for (size_t i = 0; i < N; i++) {
            double llp = status[i] ? -INFINITY
                                   : calib_loglik(C, probs + i * C->n_out, xp + i * d);
            double lr = 0.0;
            /* a surrogate chain's end: its target (the prior and the emulated likelihood at beta) was
             * reversible, so the ratio is the exact target's over the surrogate's (Liu 2001 s9.4.3) */
            if (sur) lr = isfinite(w->lt0[i]) && isfinite(w->lt1[i]) ? -beta * (w->lt1[i] - w->lt0[i]) : -INFINITY;
            for (size_t k = 0; k < d && !sur; k++)
                lr += prior_log_density_z(&c->prior[k], zp[i * d + k]) - prior_log_density_z(&c->prior[k], g->z[i * d + k]);
            double la = isfinite(llp) ? (isfinite(g->ll[i]) ? beta * (llp - g->ll[i]) : INFINITY) + lr : -INFINITY;
            proposed++;
            if (wts[i] < la) {
                memcpy(g->z + i * d, zp + i * d, d * sizeof *zp);
                memcpy(g->x + i * d, xp + i * d, d * sizeof *xp);
                g->ll[i] = llp;
                g->seed[i] = sp[i];
                accepted++;
                n_moved += !w->mflag[i];
                w->mflag[i] = 1;
                if (w->n_obs > 0) memcpy(w->pp + i * C->n_out, probs + i * C->n_out, C->n_out * sizeof *w->pp), w->pp_ok[i] = 1;
            }
        }
        if (w->n_obs > 0) obs_steps(C, w, g, beta, t, mv);
    }
    gsl_set_error_handler(old_handler);
    g->acceptance = (double)accepted / (double)proposed;
    g->surrogate_acceptance = w->s_prop > 0 ? (double)w->s_acc / (double)w->s_prop : NAN;
    g->obs_acceptance = w->o_prop > 0 ? (double)w->o_acc / (double)w->o_prop : NAN;
    g->moved = (double)n_moved / (double)N, g->move_steps = (double)mv;
    g->unique = (double)calib_unique(c->prior, g->x, g->seed, N, d);
    g->elapsed = prev->elapsed + (now_s() - w->t0);
    w->t0 = now_s();
    gen_stats(C, g);
    progress_line(C, g, t);
    if (g->beta >= 1.0) C->status = "complete";
    return TYNDAU_OK;
}
