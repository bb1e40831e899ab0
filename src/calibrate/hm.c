/*
 * hm.c - history matching in waves (`tyndau calibrate CALIB.ini --history-match`; Vernon,
 * Goldstein & Bower 2010; Andrianakis et al. 2015; docs/calibration.md s9).
 *
 * Wave k = 1 .. waves:
 *   1. the design: wave 1 a Latin hypercube over the prior (sweep_lhs, in the unit cube of the
 *      calibrated model parameters' prior CDFs); later waves drawn uniformly from the prior and
 *      kept when every earlier wave's emulator calls them non-implausible (rejection);
 *   2. every point run `replicates` times through the run-many engine (a failed run is recorded and
 *      left out; the wave goes on);
 *   3. per fitted published cell c, a GP emulator of the cell's logit (hm_gp.c) with the nugget of
 *      the replicate mean's variance; validated by closed-form leave-one-out: an emulator with more
 *      than loo_limit of its standardised LOO errors beyond 3 is not used (Bastos & O'Hagan 2009);
 *   4. implausibility I_c(x) = |z_c - E[f_c(x)]| / sqrt(V_obs + V_disc + V_ens + V_em) and the cut
 *      on its max or second max over the used cells (measure) at `cutoff`, at `samples` points of
 *      the prior (the same points every wave: the volumes are nested); the non-implausible share
 *      is the share of those points that no wave so far rules out;
 *   5. a cell is unreachable when it is implausible at every run of the wave and, if its emulator
 *      is valid, at every sample in the wave's region.
 * The waves stop after `waves`, when the share no longer shrinks (above 0.95 of the last wave's),
 * when it is 0, or when no emulator passed validation (no cut is made from it: the wave reports
 * the share of its runs that are non-implausible, from the simulator alone).
 *
 * Reproducibility: the design, the samples and the model seeds come from many_stream /
 * many_seed(seed, K_HM_*, wave, ...); the emulators are fitted one cell a thread in any order and
 * placed by cell, the samples evaluated one a thread and placed by sample: the same bits on any
 * thread or rank count.  --resume takes the runs of the waves in OUT.partial (written after every
 * wave) and redoes the rest, which is deterministic.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "hm.h"
#include "sweep/sweep.h"

enum { K_HM_DESIGN = 41, K_HM_SIM, K_HM_SAMPLE };
#define HM_CHUNK 2048

void calib_hm_defaults(calib_hm_cfg *h)
{
    h->waves = 3, h->runs_per_wave = 0, h->replicates = 2, h->samples = 10000;
    h->cutoff = 3.0, h->loo_limit = 0.05, h->measure = 2;
}

int calib_hm_key(calib_cfg *c, const char *name, const char *value)
{
    calib_hm_cfg *h = &c->hm;
    double x;
    if (strcmp(name, "waves") == 0) return cfg_key_count(&c->file, name, value, 1, 20, &h->waves);
    if (strcmp(name, "runs_per_wave") == 0) return cfg_key_count(&c->file, name, value, 10, 2000, &h->runs_per_wave);
    if (strcmp(name, "replicates") == 0) return cfg_key_count(&c->file, name, value, 2, 100, &h->replicates);
    if (strcmp(name, "samples") == 0) return cfg_key_count(&c->file, name, value, 100, 10000000, &h->samples);
    if (strcmp(name, "cutoff") == 0 || strcmp(name, "loo_limit") == 0) {
        int cut = name[0] == 'c';
        if (prior_parse_real(value, &x) != 0 || !(cut ? x > 0.0 && x <= 10.0 : x >= 0.0 && x < 1.0))
            return cfg_error(&c->file, "key '%s': expected %s, got '%s'", name,
                             cut ? "a number in (0, 10] (Pukelsheim's 3 sigma: 3)" : "a share in [0, 1)", value);
        *(cut ? &h->cutoff : &h->loo_limit) = x;
        return 1;
    }
    if (strcmp(name, "measure") == 0) {
        if (strcmp(value, "max") == 0) h->measure = 1;
        else if (strcmp(value, "second") == 0) h->measure = 2;
        else return cfg_error(&c->file, "key 'measure': expected max or second, got '%s'", value);
        return 1;
    }
    return cfg_error(&c->file, "unknown key '%s' in [history_match], expected waves, runs_per_wave, replicates, "
                     "samples, cutoff, measure or loo_limit", name);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double logit(double p)
{
    p = fmin(fmax(p, TYNDAU_OBS_PFLOOR), 1.0 - TYNDAU_OBS_PFLOOR);
    return log(p / (1.0 - p));
}

/* The prior mean of sd^2 (or of 1 / (1 + A) for a concentration): a midpoint rule over 4000 quantiles. */
static double prior_mean_of(const prior_t *p, int inverse_conc)
{
    double s = 0.0;
    for (int i = 0; i < 4000; i++) {
        double v = prior_quantile(p, (i + 0.5) / 4000.0);
        s += inverse_conc ? 1.0 / (1.0 + v) : v * v;
    }
    return s / 4000.0;
}

/* The cells (every published response of the fitted rows), their logits and the observation and
 * discrepancy variances (docs/calibration.md s9). */
tyndau_status hm_setup_cells(hm_t *H, tyndau_error *err)
{
    calib_t *C = H->C;
    const calib_cfg *c = &C->cfg;
    size_t nc = 0;
    for (size_t r = 0; r < C->obs.n_rows; r++)
        if (C->obs.rows[r].weight > 0) nc += C->obs.rows[r].n_resp;
    H->nc = nc;
    H->cell_row = tyndau_calloc(nc, sizeof *H->cell_row), H->cell_resp = tyndau_calloc(nc, sizeof *H->cell_resp);
    H->z = tyndau_calloc(nc, sizeof *H->z), H->v_obs = tyndau_calloc(nc, sizeof *H->v_obs);
    H->v_disc = tyndau_calloc(nc, sizeof *H->v_disc);
    if (!H->cell_row || !H->cell_resp || !H->z || !H->v_obs || !H->v_disc)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    /* each family's prior mean of sd^2 (logit-normal), or of 1 / (1 + A) (DM) */
    double fam[TYNDAU_N_FAM] = {0}, conc = 0.0;
    for (int f = 0; f < TYNDAU_N_FAM; f++)
        fam[f] = c->disc_dim[f] >= 0 ? prior_mean_of(&c->prior[c->disc_dim[f]], 0) : c->disc_fixed[f] * c->disc_fixed[f];
    if (c->kind == TYNDAU_OBS_DM)
        conc = c->conc_dim >= 0 ? prior_mean_of(&c->prior[c->conc_dim], 1) : 1.0 / (1.0 + c->concentration);
    double slope[TYNDAU_N_SLOPE] = {0}; /* the slope discrepancies' prior mean of tau^2 (logit-normal) */
    for (int k = 0; k < TYNDAU_N_SLOPE && c->kind == TYNDAU_OBS_LOGIT_NORMAL; k++)
        slope[k] = c->slope_dim[k] >= 0 ? prior_mean_of(&c->prior[c->slope_dim[k]], 0) : c->slope_fixed[k] * c->slope_fixed[k];
    size_t i = 0;
    for (size_t r = 0; r < C->obs.n_rows; r++) {
        const tyndau_obs_row *w = &C->obs.rows[r];
        if (!(w->weight > 0)) continue;
        double neff = w->n / c->deff, q[TYNDAU_OBS_STRIDE], tot = 0.0;
        size_t K = w->n_resp + (size_t)w->has_rest;
        /* the continuity-corrected shares (a published 0% stays finite), as the logit-normal model's */
        for (size_t k = 0; k < K; k++) tot += q[k] = w->count[k] / c->deff + 0.5;
        for (size_t k = 0; k < K; k++) q[k] /= tot;
        for (size_t k = 0; k < w->n_resp; k++, i++) {
            double p = q[k];
            H->cell_row[i] = r, H->cell_resp[i] = k;
            H->z[i] = logit(p);
            H->v_obs[i] = 1.0 / (neff * p * (1.0 - p)); /* the delta method: var logit(y) */
            if (c->kind == TYNDAU_OBS_LOGIT_NORMAL) {
                /* log p_j moved by independent N(0, sd^2 / 2): var logit p_k = sd^2/2 (1 + sum_j!=k p_j^2/(1-p_k)^2) */
                double s = 0.0;
                for (size_t j = 0; j < K; j++)
                    if (j != k) s += q[j] * q[j] / ((1.0 - p) * (1.0 - p));
                /* and the breakdown's slope: log p_j moved by t_g c_j, c_j ~ N(0, tau^2 / 2) (obs.h) */
                double tg = 0.0;
                int sk = tyndau_obs_slope_of(w, &tg);
                double sl = sk >= 0 ? slope[sk] * tg * tg : 0.0;
                H->v_disc[i] = 0.5 * (fam[w->family] + sl) * (1.0 + s);
            } else if (c->kind == TYNDAU_OBS_DM) {
                H->v_disc[i] = conc / (p * (1.0 - p)); /* var p = p (1 - p) / (1 + A), to the logit scale */
            }
        }
    }
    return TYNDAU_OK;
}

static hm_wave *new_wave(hm_t *H, size_t P)
{
    hm_wave *nw = tyndau_reallocarray(H->w, H->n_w + 1, sizeof *nw);
    if (nw == NULL) return NULL;
    H->w = nw;
    hm_wave *w = &H->w[H->n_w++];
    memset(w, 0, sizeof *w);
    size_t nc = H->nc, R = H->R, d = H->C->cfg.d;
    w->P = P;
    w->u = tyndau_calloc(P * H->dm, sizeof *w->u), w->x = tyndau_calloc(P * d, sizeof *w->x);
    w->seed = tyndau_calloc(P * R, sizeof *w->seed), w->status = tyndau_calloc(P * R, sizeof *w->status);
    w->out = tyndau_calloc(P * R * nc, sizeof *w->out);
    w->imp_runs = tyndau_calloc(P * nc, sizeof *w->imp_runs), w->loo_std = tyndau_calloc(P * nc, sizeof *w->loo_std);
    w->v_ens = tyndau_calloc(nc, sizeof *w->v_ens), w->sf2 = tyndau_calloc(nc, sizeof *w->sf2);
    w->mean = tyndau_calloc(nc, sizeof *w->mean), w->lml = tyndau_calloc(nc, sizeof *w->lml);
    w->loo_beyond3 = tyndau_calloc(nc, sizeof *w->loo_beyond3), w->ell = tyndau_calloc(nc * H->dm, sizeof *w->ell);
    w->valid = tyndau_calloc(nc, sizeof *w->valid), w->unreachable = tyndau_calloc(nc, sizeof *w->unreachable);
    w->min_imp_runs = tyndau_calloc(nc, sizeof *w->min_imp_runs), w->min_imp_em = tyndau_calloc(nc, sizeof *w->min_imp_em);
    w->gp = tyndau_calloc(nc, sizeof *w->gp), w->beyond = tyndau_calloc(nc, sizeof *w->beyond);
    if (!w->beyond || !w->u || !w->x || !w->seed || !w->status || !w->out || !w->imp_runs || !w->loo_std || !w->v_ens || !w->sf2 ||
        !w->mean || !w->lml || !w->loo_beyond3 || !w->ell || !w->valid || !w->unreachable || !w->min_imp_runs ||
        !w->min_imp_em || !w->gp) {
        hm_wave_free(w, nc);
        H->n_w--;
        return NULL;
    }
    return w;
}

void hm_wave_free(hm_wave *w, size_t nc)
{
    if (w->gp)
        for (size_t c = 0; c < nc; c++) hm_gp_free(&w->gp[c]);
    free(w->u), free(w->x), free(w->seed), free(w->status), free(w->out), free(w->imp_runs), free(w->loo_std);
    free(w->v_ens), free(w->sf2), free(w->mean), free(w->lml), free(w->loo_beyond3), free(w->ell), free(w->valid);
    free(w->unreachable), free(w->min_imp_runs), free(w->min_imp_em), free(w->gp), free(w->beyond);
    memset(w, 0, sizeof *w);
}

/* Wave w's emulated implausibility of every cell at u into imp [nc] (NaN for unused cells); work [n]. */
static void emulate(const hm_t *H, const hm_wave *w, const double *u, double *imp, double *work)
{
    for (size_t c = 0; c < H->nc; c++) {
        imp[c] = NAN;
        if (!w->valid[c]) continue;
        double e, v;
        hm_gp_predict(&w->gp[c], u, &e, &v, work);
        imp[c] = hm_implausibility(H->z[c], e, H->v_obs[c] + H->v_disc[c] + w->v_ens[c] + v);
    }
}

int hm_plausible(const hm_t *H, size_t upto, const double *u, double *imp, double *work)
{
    for (size_t k = 0; k < upto; k++) {
        const hm_wave *w = &H->w[k];
        if (w->n_valid == 0) continue;
        if (hm_wave_measure(H, w, u, H->cutoff, imp, work) > H->cutoff) return 0;
    }
    return 1;
}

size_t hm_max_train(const hm_t *H)
{
    size_t n = 1;
    for (size_t k = 0; k < H->n_w; k++) n = H->w[k].trained > n ? H->w[k].trained : n;
    return n;
}

/* The wave's design: a Latin hypercube (wave 0) or rejection from the earlier waves' emulators;
 * *P the points found (fewer than asked when the region is small: at most 1000 x asked candidates). */
static tyndau_status design(hm_t *H, size_t wave, size_t want, double *u, size_t *P, tyndau_error *err)
{
    size_t dm = H->dm, nc = H->nc;
    gsl_rng *r = many_stream(H->C->cfg.seed, K_HM_DESIGN, wave, 0);
    if (r == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (wave == 0) {
        int rc = sweep_lhs(r, want, dm, u);
        gsl_rng_free(r);
        *P = want;
        return rc == 0 ? TYNDAU_OK : TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    if (H->pop != NULL) { /* the region from subset simulation: the design drawn from its sample */
        size_t m = want < H->n_pop ? want : H->n_pop;
        size_t *all = tyndau_calloc(H->n_pop, sizeof *all), *pick = tyndau_calloc(m ? m : 1, sizeof *pick);
        if (!all || !pick) {
            free(all), free(pick), gsl_rng_free(r);
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
        }
        for (size_t i = 0; i < H->n_pop; i++) all[i] = i;
        gsl_ran_choose(r, pick, m, all, H->n_pop, sizeof *all);
        for (size_t i = 0; i < m; i++) memcpy(u + i * dm, H->pop + pick[i] * dm, dm * sizeof *u);
        free(all), free(pick), gsl_rng_free(r);
        *P = m;
        return TYNDAU_OK;
    }
    size_t nw = hm_max_train(H), found = 0;
    double *cand = tyndau_calloc(HM_CHUNK * dm, sizeof *cand);
    unsigned char *ok = tyndau_calloc(HM_CHUNK, 1);
    int threads = H->C->mc.threads > 0 ? H->C->mc.threads : 1;
    double *work = tyndau_calloc((size_t)threads * (nw + nc), sizeof *work);
    if (!cand || !ok || !work) {
        free(cand), free(ok), free(work), gsl_rng_free(r);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t tried = 0; found < want && tried < 1000 * want; tried += HM_CHUNK) {
        for (size_t i = 0; i < HM_CHUNK * dm; i++) cand[i] = gsl_rng_uniform(r);
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
        for (size_t i = 0; i < HM_CHUNK; i++) {
            int t = calib_thread();
            double *wk = work + (size_t)t * (nw + nc);
            ok[i] = (unsigned char)hm_plausible(H, wave, cand + i * dm, wk + nw, wk);
        }
        for (size_t i = 0; i < HM_CHUNK && found < want; i++)
            if (ok[i]) memcpy(u + found++ * dm, cand + i * dm, dm * sizeof *u);
    }
    free(cand), free(ok), free(work), gsl_rng_free(r);
    *P = found;
    return TYNDAU_OK;
}

/* Fit every cell's emulator of wave w from its runs (means over replicates, the pooled within-point
 * variance as ensemble variance, its share 1 / R_p as each point's nugget) and validate it. */
static tyndau_status fit(hm_t *H, hm_wave *w, tyndau_error *err)
{
    size_t nc = H->nc, R = H->R, dm = H->dm, P = w->P;
    const calib_hm_cfg *h = &H->C->cfg.hm;
    size_t *idx = tyndau_calloc(P, sizeof *idx), n = 0;
    double *ybar = tyndau_calloc(P * nc, sizeof *ybar), *reps = tyndau_calloc(P, sizeof *reps);
    double *X = tyndau_calloc(P * dm, sizeof *X);
    if (!idx || !ybar || !reps || !X) {
        free(idx), free(ybar), free(reps), free(X);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t p = 0; p < P; p++) {
        for (size_t r = 0; r < R; r++) reps[p] += w->status[p * R + r] == 0;
        if (reps[p] > 0) memcpy(X + n * dm, w->u + p * dm, dm * sizeof *X), idx[n++] = p;
    }
    w->trained = n;
    for (size_t c = 0; c < nc; c++) {
        double ss = 0.0, dof = 0.0;
        for (size_t p = 0; p < P; p++) {
            double s = 0.0;
            if (reps[p] == 0) continue;
            for (size_t r = 0; r < R; r++)
                if (w->status[p * R + r] == 0) s += w->out[(p * R + r) * nc + c];
            ybar[p * nc + c] = s / reps[p];
            for (size_t r = 0; r < R; r++)
                if (w->status[p * R + r] == 0) {
                    double e = w->out[(p * R + r) * nc + c] - ybar[p * nc + c];
                    ss += e * e;
                }
            dof += reps[p] - 1.0;
        }
        w->v_ens[c] = dof > 0 ? ss / dof : 0.0;
    }
    int threads = H->C->mc.threads > 0 ? H->C->mc.threads : 1;
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(| : bad)
    for (size_t c = 0; c < nc; c++) {
        double *y = tyndau_calloc(n ? n : 1, sizeof *y), *nug = tyndau_calloc(n ? n : 1, sizeof *nug);
        if (!y || !nug) {
            bad = 1;
        } else {
            for (size_t i = 0; i < n; i++)
                y[i] = ybar[idx[i] * nc + c], nug[i] = w->v_ens[c] / reps[idx[i]];
            hm_gp *g = &w->gp[c];
            if (n >= 3 && hm_gp_fit(g, X, y, nug, n, dm, 0.0, NULL, 1) == 0) {
                w->sf2[c] = g->sf2, w->mean[c] = g->mean, w->lml[c] = g->lml, w->loo_beyond3[c] = g->loo_beyond3;
                memcpy(w->ell + c * dm, g->ell, dm * sizeof *g->ell);
                w->valid[c] = g->loo_beyond3 <= h->loo_limit;
            } else {
                w->sf2[c] = w->mean[c] = w->lml[c] = w->loo_beyond3[c] = NAN;
                for (size_t k = 0; k < dm; k++) w->ell[c * dm + k] = NAN;
            }
            for (size_t p = 0; p < P; p++) w->loo_std[p * nc + c] = NAN;
            for (size_t i = 0; g->ok && i < n; i++)
                w->loo_std[idx[i] * nc + c] = (y[i] - g->loo_mean[i]) / g->loo_sd[i];
        }
        free(y), free(nug);
    }
    w->n_valid = 0;
    for (size_t c = 0; c < nc; c++) w->n_valid += w->valid[c];
    /* the runs' own implausibility: the replicate mean has variance V_ens / R_p beside the V_ens of the world's one realisation */
    size_t ok_runs = 0;
    for (size_t c = 0; c < nc; c++) w->min_imp_runs[c] = INFINITY;
    for (size_t p = 0; p < P; p++) {
        for (size_t c = 0; c < nc; c++) {
            double v = H->v_obs[c] + H->v_disc[c] + w->v_ens[c] * (1.0 + (reps[p] > 0 ? 1.0 / reps[p] : 0.0));
            double *ip = &w->imp_runs[p * nc + c];
            *ip = reps[p] > 0 ? hm_implausibility(H->z[c], ybar[p * nc + c], v) : NAN;
            if (reps[p] > 0) w->min_imp_runs[c] = fmin(w->min_imp_runs[c], *ip);
        }
        if (reps[p] > 0) ok_runs += hm_measure(w->imp_runs + p * nc, NULL, nc, h->measure) <= h->cutoff;
    }
    w->runs_share = n > 0 ? (double)ok_runs / (double)n : NAN;
    free(idx), free(ybar), free(reps), free(X);
    return bad ? TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory") : TYNDAU_OK;
}

double *hm_alive_points(const hm_t *H, size_t *n, size_t **at)
{
    size_t m = 0, dm = H->dm;
    for (size_t s = 0; s < H->M; s++) m += H->alive[s];
    double *S = tyndau_calloc(m ? m * dm : 1, sizeof *S);
    size_t *idx = at ? tyndau_calloc(m ? m : 1, sizeof *idx) : NULL;
    if (S == NULL || (at && idx == NULL)) {
        free(S), free(idx);
        return NULL;
    }
    for (size_t s = 0, i = 0; s < H->M; s++)
        if (H->alive[s]) {
            memcpy(S + i * dm, H->samples + s * dm, dm * sizeof *S);
            if (idx) idx[i] = s;
            i++;
        }
    if (at) *at = idx;
    *n = m;
    return S;
}

/* The cut of wave k at the points of the region before it (the fixed samples still alive, or the
 * region's sample from subset simulation); the volume, each cell's share beyond the cutoff there
 * and the unreachable cells. */
static tyndau_status cut(hm_t *H, size_t k, tyndau_error *err)
{
    hm_wave *w = &H->w[k];
    size_t nc = H->nc, M = H->M, dm = H->dm, n = 0;
    const calib_hm_cfg *h = &H->C->cfg.hm;
    int threads = H->C->mc.threads > 0 ? H->C->mc.threads : 1;
    size_t nw = w->trained ? w->trained : 1;
    double *work = tyndau_calloc((size_t)threads * (nw + nc), sizeof *work);
    double *mins = tyndau_calloc((size_t)threads * nc, sizeof *mins);
    size_t *over = tyndau_calloc((size_t)threads * nc, sizeof *over), *at = NULL;
    double *S = H->pop, *old_pop = H->pop;
    if (S != NULL) {
        n = H->n_pop;
    } else {
        S = hm_alive_points(H, &n, &at);
    }
    unsigned char *ruled = tyndau_calloc(n ? n : 1, 1);
    if (!work || !mins || !over || !S || (old_pop == NULL && !at) || !ruled) {
        free(work), free(mins), free(over), free(ruled), free(at);
        if (old_pop == NULL) free(S);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t i = 0; i < (size_t)threads * nc; i++) mins[i] = INFINITY;
    w->samples_in = n;
    if (w->n_valid > 0) {
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads)
        for (size_t s = 0; s < n; s++) {
            int t = calib_thread();
            double *wk = work + (size_t)t * (nw + nc), *imp = wk + nw, *mn = mins + (size_t)t * nc;
            size_t *ov = over + (size_t)t * nc;
            emulate(H, w, S + s * dm, imp, wk);
            for (size_t c = 0; c < nc; c++)
                if (w->valid[c]) mn[c] = fmin(mn[c], imp[c]), ov[c] += imp[c] > H->cutoff; /* the same whichever thread saw it */
            ruled[s] = hm_measure(imp, w->valid, nc, H->measure) > H->cutoff;
        }
    }
    size_t pass = 0;
    for (size_t s = 0; s < n; s++) pass += !ruled[s];
    double before = k == 0 ? 1.0 : H->w[k - 1].volume;
    tyndau_status st = TYNDAU_OK;
    if (H->pop == NULL && (pass >= HM_MIN_COUNT || w->n_valid == 0)) { /* counted on the fixed samples */
        for (size_t s = 0; s < n; s++)
            if (ruled[s]) H->alive[at[s]] = 0;
        w->volume = (double)pass / (double)M;
    } else if (w->n_valid == 0) { /* no cut: the region's sample stays */
        w->volume = before;
    } else { /* too few left to count, or the region's sample already from subset simulation: subset
              * simulation from the region before the wave (its first level is the count when at least
              * a tenth survive), the sample grown back to `samples` points */
        double share = 0.0;
        w->by_subset = 1;
        if (old_pop == NULL) memset(H->alive, 0, M); /* the fixed samples stand for the region no more */
        st = hm_subset(H, k, S, n, &share, err);
        w->volume = before * share;
    }
    for (size_t c = 0; c < nc; c++) {
        double m = INFINITY;
        size_t o = 0;
        for (int t = 0; t < threads; t++) m = fmin(m, mins[(size_t)t * nc + c]), o += over[(size_t)t * nc + c];
        w->min_imp_em[c] = w->valid[c] && n > 0 ? m : NAN;
        w->beyond[c] = w->valid[c] && n > 0 ? (double)o / (double)n : NAN;
        w->unreachable[c] = w->trained > 0 && w->min_imp_runs[c] > h->cutoff &&
                            (!w->valid[c] || n == 0 || w->min_imp_em[c] > h->cutoff);
    }
    free(work), free(mins), free(over), free(ruled), free(at);
    if (old_pop == NULL) free(S);            /* the alive samples' copy */
    else if (H->pop != old_pop) free(old_pop); /* replaced by subset simulation's sample */
    return st;
}

/* Run the wave's design (or take the resumed runs), fit, cut. */
static tyndau_status run_wave(hm_t *H, size_t k, tyndau_error *err)
{
    calib_t *C = H->C;
    const calib_cfg *c = &C->cfg;
    size_t want = c->hm.runs_per_wave, dm = H->dm, d = c->d, R = H->R, nc = H->nc, P = 0;
    double t0 = now_s();
    double *u = tyndau_calloc(want * dm, sizeof *u);
    if (u == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    tyndau_status st = design(H, k, want, u, &P, err);
    if (st != TYNDAU_OK || P == 0) {
        free(u);
        if (st == TYNDAU_OK) H->stop = "no non-implausible design point found for the next wave";
        return st;
    }
    hm_wave *w = new_wave(H, P);
    if (w == NULL) {
        free(u);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    memcpy(w->u, u, P * dm * sizeof *u);
    free(u);
    for (size_t p = 0; p < P; p++)
        for (size_t q = 0; q < d; q++) w->x[p * d + q] = prior_quantile(&c->prior[q], 0.5);
    for (size_t p = 0; p < P; p++)
        for (size_t j = 0; j < dm; j++)
            w->x[p * d + (size_t)H->dims[j]] = prior_from_unit(&c->prior[H->dims[j]], w->u[p * dm + j]);
    for (size_t i = 0; i < P * R; i++) w->seed[i] = many_seed(c->seed, K_HM_SIM, k, i);
    const hm_wave *cw = k < H->n_cached ? &H->cached[k] : NULL;
    if (cw && (cw->P != P || memcmp(cw->u, w->u, P * dm * sizeof *w->u) != 0 ||
               memcmp(cw->seed, w->seed, P * R * sizeof *w->seed) != 0))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: wave %zu's design differs from this run's (damaged file?)",
                          C->partial, k + 1);
    if (cw) {
        memcpy(w->status, cw->status, P * R * sizeof *w->status);
        memcpy(w->out, cw->out, P * R * nc * sizeof *w->out);
        w->resumed = 1, w->seconds = cw->seconds;
    } else {
        double *xr = tyndau_calloc(P * R * d, sizeof *xr), *probs = tyndau_calloc(P * R * C->n_out, sizeof *probs);
        char(*msgs)[MANY_ERRLEN] = tyndau_calloc(P * R, sizeof *msgs);
        if (!xr || !probs || !msgs) {
            free(xr), free(probs), free(msgs);
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
        }
        for (size_t i = 0; i < P * R; i++) memcpy(xr + i * d, w->x + (i / R) * d, d * sizeof *xr);
        calib_simulate(C, xr, w->seed, P * R, probs, w->status, msgs, &w->failed);
        for (size_t i = 0; i < P * R; i++)
            for (size_t q = 0; q < nc; q++)
                w->out[i * nc + q] = w->status[i] ? NAN
                                     : logit(probs[i * C->n_out + H->cell_row[q] * TYNDAU_OBS_STRIDE + H->cell_resp[q]]);
        free(xr), free(probs), free(msgs);
    }
    w->failed = 0;
    for (size_t i = 0; i < P * R; i++) w->failed += w->status[i] != 0;
    st = fit(H, w, err);
    if (st == TYNDAU_OK) st = cut(H, k, err);
    if (!cw) w->seconds = now_s() - t0;
    return st;
}

static void print_wave(const hm_t *H, const hm_wave *w, size_t k)
{
    const calib_t *C = H->C;
    if (C->quiet || C->mc.rank != 0) return;
    size_t un = 0;
    for (size_t c = 0; c < H->nc; c++) un += w->unreachable[c] != 0;
    char how[64] = "";
    if (w->by_subset && w->subset_levels == 0) snprintf(how, sizeof how, ", counted on the region's sample");
    else if (w->by_subset) snprintf(how, sizeof how, " by subset simulation, %zu level%s", w->subset_levels,
                                    w->subset_levels > 1 ? "s" : "");
    fprintf(stderr, "history match: wave %zu: %zu points x %zu replicates (%zu failed)%s, %d of %zu emulators valid "
            "(LOO), non-implausible share %.4g (of the prior%s; runs: %.3g), %zu unreachable cells, %.1f s\n", k + 1,
            w->P, H->R, w->failed, w->resumed ? " resumed" : "", w->n_valid, H->nc, w->volume, how, w->runs_share, un,
            w->seconds);
}

static void hm_free(hm_t *H)
{
    for (size_t k = 0; k < H->n_w; k++) hm_wave_free(&H->w[k], H->nc);
    for (size_t k = 0; k < H->n_cached; k++) hm_wave_free(&H->cached[k], H->nc);
    free(H->w), free(H->cached), free(H->cell_row), free(H->cell_resp), free(H->z), free(H->v_obs), free(H->v_disc);
    free(H->samples), free(H->alive), free(H->pop);
}

tyndau_status calib_history_match(calib_t *C, int resume, tyndau_error *err)
{
    calib_cfg *c = &C->cfg;
    hm_t H0, *H = &H0;
    memset(H, 0, sizeof *H);
    H->C = C;
    H->R = c->hm.replicates;
    H->cutoff = c->hm.cutoff, H->measure = c->hm.measure;
    for (size_t k = 0; k < c->d; k++)
        if (c->prior[k].param >= 0) H->dims[H->dm++] = (int)k;
    if (c->hm.runs_per_wave == 0) c->hm.runs_per_wave = 10 * H->dm > 20 ? 10 * H->dm : 20;
    tyndau_status st = hm_setup_cells(H, err);
    H->M = c->hm.samples;
    H->samples = tyndau_calloc(H->M * H->dm, sizeof *H->samples);
    H->alive = tyndau_calloc(H->M, 1);
    gsl_rng *r = many_stream(c->seed, K_HM_SAMPLE, 0, 0);
    if (st == TYNDAU_OK && (!H->samples || !H->alive || !r)) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (size_t i = 0; st == TYNDAU_OK && i < H->M * H->dm; i++) H->samples[i] = gsl_rng_uniform(r);
    if (r) gsl_rng_free(r);
    if (H->alive) memset(H->alive, 1, H->M);
    if (st == TYNDAU_OK && resume) st = hm_read_partial(H, err);
    if (st == TYNDAU_OK && C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "history match: %zu model parameters, %zu cells, up to %zu waves of %zu points x %zu "
                "replicates, %zu agents, cut at %s implausibility %.3g, %d rank(s) x %d thread(s)\n", H->dm, H->nc,
                c->hm.waves, c->hm.runs_per_wave, H->R, c->agents, c->hm.measure == 2 ? "second-max" : "max",
                c->hm.cutoff, C->mc.size, C->mc.threads);
    gsl_error_handler_t *old = gsl_set_error_handler_off(); /* a matrix that is not positive definite: a status */
    for (size_t k = 0; st == TYNDAU_OK && k < c->hm.waves && H->stop == NULL; k++) {
        int sig = (int)many_bcast_int(&C->mc, many_stop_signal());
        if (sig != 0) {
            st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "calibrate --history-match: stopped by %s after wave %zu; %s kept: "
                            "run the same command with --resume to continue", many_signal_name(sig), k, C->partial);
            break;
        }
        st = run_wave(H, k, err);
        if (st != TYNDAU_OK || H->n_w <= k) break;
        hm_wave *w = &H->w[k];
        print_wave(H, w, k);
        if (w->n_valid == 0) H->stop = "no emulator passed validation: no cut (the runs' own share is reported)";
        else if (w->volume == 0.0) H->stop = "no point of the prior is non-implausible (subset simulation found none)";
        else if (k > 0 && w->volume > 0.95 * H->w[k - 1].volume) H->stop = "the non-implausible share stopped shrinking";
        if (st == TYNDAU_OK && C->mc.rank == 0 && k + 1 < c->hm.waves && H->stop == NULL) st = hm_write(H, 0, err);
    }
    gsl_set_error_handler(old);
    if (st == TYNDAU_OK && H->stop == NULL) H->stop = "the waves asked for are done";
    if (st == TYNDAU_OK && C->mc.rank == 0) st = hm_write(H, 1, err);
    if (st == TYNDAU_OK && C->mc.rank == 0 && !C->quiet && H->n_w > 0) {
        const hm_wave *w = &H->w[H->n_w - 1];
        printf("history match: %zu waves (%s)\n", H->n_w, H->stop);
        printf("%-6s %8s %12s %12s %10s\n", "wave", "points", "share", "runs share", "valid");
        for (size_t k = 0; k < H->n_w; k++)
            printf("%-6zu %8zu %12.4g %12.3g %7d/%zu\n", k + 1, H->w[k].P, H->w[k].volume, H->w[k].runs_share,
                   H->w[k].n_valid, H->nc);
        size_t un = 0;
        for (size_t q = 0; q < H->nc; q++) un += w->unreachable[q] != 0;
        printf("the model cannot reach these cells (implausible at every run and emulator sample of wave %zu): %s\n",
               H->n_w, un ? "" : "none");
        for (size_t q = 0; q < H->nc; q++)
            if (w->unreachable[q]) {
                const tyndau_obs_row *row = &C->obs.rows[H->cell_row[q]];
                printf("  %s %s %s %s: published logit %.3f, the nearest run's implausibility %.2f\n", row->question,
                       row->group_type, row->group, row->response[H->cell_resp[q]], H->z[q], w->min_imp_runs[q]);
            }
        /* the cells that rule out most of the region before the last wave */
        size_t top[5], nt = 0;
        for (size_t q = 0; q < H->nc; q++) {
            if (!(w->beyond[q] > 0) || (nt == 5 && !(w->beyond[q] > w->beyond[top[4]]))) continue;
            size_t j = nt < 5 ? nt++ : 4;
            top[j] = q;
            for (; j > 0 && w->beyond[top[j]] > w->beyond[top[j - 1]]; j--) {
                size_t t = top[j];
                top[j] = top[j - 1], top[j - 1] = t;
            }
        }
        if (nt > 0) printf("the cells that rule out most of wave %zu's region (share of its samples beyond %.3g):\n", H->n_w,
                           H->cutoff);
        for (size_t j = 0; j < nt; j++) {
            const tyndau_obs_row *row = &C->obs.rows[H->cell_row[top[j]]];
            printf("  %s %s %s %s: %.3f\n", row->question, row->group_type, row->group,
                   row->response[H->cell_resp[top[j]]], w->beyond[top[j]]);
        }
        printf("\nwrote %s\n", C->out);
    }
    hm_free(H);
    return st;
}
