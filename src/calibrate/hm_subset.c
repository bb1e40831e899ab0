/*
 * hm_subset.c - the history match's non-implausible region when it is too small to be counted on
 * a fixed set of prior samples (docs/calibration.md s9).
 *
 * The region after wave k is R_k = {u : no wave up to k rules u out}.  While at least
 * HM_MIN_COUNT of the fixed samples survive, its volume is their share (a relative standard
 * error of at most 10%).  Below that the share is estimated by subset simulation (Au & Beck 2001,
 * Probabilistic Engineering Mechanics 16: 263-277): with g(u) wave k's implausibility measure and
 * N = `samples` points,
 *   1. start from the points S of R_{k-1} (uniform on it) and their g;
 *   2. the threshold c_i is the p0 quantile of the points' g (p0 = 0.1); if c_i <= cutoff, the
 *      conditional share is (prod of the earlier levels' shares) x the points' share at the cutoff;
 *   3. otherwise the p0 N points below c_i seed Markov chains (a random walk on the unit cube,
 *      reflected at its faces: symmetric, so with the uniform prior a proposal is accepted exactly
 *      when it lies in R_{k-1} and has g <= c_i) of 1/p0 states each: N points uniform on
 *      {g <= c_i}, and the level's share is p0; repeat.
 * The walk's step per parameter is lambda x the seeds' sd, lambda adapted between steps towards an
 * acceptance of 0.44 (Papaioannou et al. 2015, Probabilistic Engineering Mechanics 41: 89-103).  At
 * most HM_SS_LEVELS levels (a share down to 1e-16); a level whose threshold does not fall ends it
 * with no region found.
 * The points below the cutoff at the last level, grown by chains in the region to about N, are the
 * region's sample: the next wave's design is drawn from them and `--within` starts the SMC from
 * them.  Chain j of level i draws from its own stream (many_stream(seed, K_HM_SUBSET, wave x 64 +
 * level, j); level 63: the growth); the steps are synchronised over
 * the chains and the adaptation uses the step's acceptance over all chains: the same points on any
 * thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "hm.h"

enum { K_HM_SUBSET = 44 };
#define HM_SS_P0 0.1
#define HM_SS_LEVELS 16
#define HM_SS_ACCEPT 0.44

double hm_wave_measure(const hm_t *H, const hm_wave *w, const double *u, double thr, double *imp, double *work)
{
    int need = H->measure == 2 && w->n_valid >= 2 ? 2 : 1, over = 0;
    for (size_t c = 0; c < H->nc; c++) {
        imp[c] = NAN;
        if (!w->valid[c]) continue;
        double e, v0 = H->v_obs[c] + H->v_disc[c] + w->v_ens[c];
        hm_gp_predict(&w->gp[c], u, &e, NULL, work);
        /* the emulator's variance is at most sf2: beyond thr with it, beyond thr for certain */
        if (hm_implausibility(H->z[c], e, v0 + w->gp[c].sf2) > thr) {
            imp[c] = INFINITY;
        } else {
            imp[c] = hm_implausibility(H->z[c], e, v0 + hm_gp_var_from(&w->gp[c], work));
        }
        if (imp[c] > thr && ++over >= need) return INFINITY;
    }
    return hm_measure(imp, w->valid, H->nc, H->measure);
}

typedef struct {
    double g;
    size_t i;
} ss_pair;

static int by_g(const void *a, const void *b)
{
    const ss_pair *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static double reflect(double x)
{
    x = fmod(fabs(x), 2.0);
    return x > 1.0 ? 2.0 - x : x;
}

/* ns Markov chains of len states each from the seeds x0 [ns][dm] (their g in g0), uniform on R_{k-1} and
 * {g <= c}: into x [ns * len][dm] and gx (chain s's states at s * len ...); *lambda adapted; key the streams'. */
static tyndau_status chains(hm_t *H, size_t k, double c, const double *x0, const double *g0, size_t ns, size_t len,
                            uint64_t key, double *x, double *gx, double *lambda, tyndau_error *err)
{
    const hm_wave *w = &H->w[k];
    size_t dm = H->dm, nc = H->nc, nw = hm_max_train(H);
    int threads = H->C->mc.threads > 0 ? H->C->mc.threads : 1;
    double *work = tyndau_calloc((size_t)threads * (nw + nc + dm), sizeof *work), *sig = tyndau_calloc(dm, sizeof *sig);
    unsigned char *acc = tyndau_calloc(ns, 1);
    gsl_rng **rng = tyndau_calloc(ns, sizeof *rng);
    tyndau_status st = TYNDAU_OK;
    if (!work || !sig || !acc || !rng) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    /* the seeds' sd per parameter sets the walk's scale */
    for (size_t j = 0; st == TYNDAU_OK && j < dm; j++) {
        double m = 0.0, v = 0.0;
        for (size_t s = 0; s < ns; s++) m += x0[s * dm + j];
        m /= (double)ns;
        for (size_t s = 0; s < ns; s++) v += (x0[s * dm + j] - m) * (x0[s * dm + j] - m);
        sig[j] = fmin(fmax(ns > 1 ? sqrt(v / (double)(ns - 1)) : 0.1, 1e-4), 0.5);
    }
    for (size_t s = 0; st == TYNDAU_OK && s < ns; s++) {
        memcpy(x + s * len * dm, x0 + s * dm, dm * sizeof *x);
        gx[s * len] = g0[s];
        rng[s] = many_stream(H->C->cfg.seed, K_HM_SUBSET, key, s);
        if (rng[s] == NULL) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t step = 1; st == TYNDAU_OK && step < len; step++) {
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
        for (size_t s = 0; s < ns; s++) {
            int t = calib_thread();
            double *wk = work + (size_t)t * (nw + nc + dm), *imp = wk + nw, *u = imp + nc;
            const double *from = x + (s * len + step - 1) * dm;
            for (size_t j = 0; j < dm; j++) u[j] = reflect(from[j] + *lambda * sig[j] * gsl_ran_gaussian(rng[s], 1.0));
            double gu = hm_plausible(H, k, u, imp, wk) ? hm_wave_measure(H, w, u, c, imp, wk) : INFINITY;
            acc[s] = gu <= c;
            memcpy(x + (s * len + step) * dm, acc[s] ? u : from, dm * sizeof *u);
            gx[s * len + step] = acc[s] ? gu : gx[s * len + step - 1];
        }
        size_t a = 0;
        for (size_t s = 0; s < ns; s++) a += acc[s];
        *lambda = fmin(fmax(*lambda * exp(((double)a / (double)ns - HM_SS_ACCEPT) / sqrt((double)step)), 1e-3), 10.0);
    }
    if (rng)
        for (size_t s = 0; s < ns; s++)
            if (rng[s]) gsl_rng_free(rng[s]);
    free(work), free(sig), free(acc), free(rng);
    return st;
}

tyndau_status hm_subset(hm_t *H, size_t k, const double *S, size_t n, double *share, tyndau_error *err)
{
    const hm_wave *w = &H->w[k];
    size_t dm = H->dm, nc = H->nc, N = H->M > n ? H->M : n, nw = hm_max_train(H);
    int threads = H->C->mc.threads > 0 ? H->C->mc.threads : 1;
    *share = 0.0;
    H->pop = NULL, H->n_pop = 0; /* the caller keeps S (it may be the old H->pop) */
    H->w[k].subset_levels = 0;
    if (n == 0) return TYNDAU_OK;
    size_t len = (size_t)ceil(1.0 / HM_SS_P0), cap = N + len * (size_t)ceil(HM_SS_P0 * (double)N);
    double *cur = tyndau_calloc(cap * dm, sizeof *cur), *nxt = tyndau_calloc(cap * dm, sizeof *nxt);
    double *g = tyndau_calloc(cap, sizeof *g), *gn = tyndau_calloc(cap, sizeof *gn), *g0 = tyndau_calloc(cap, sizeof *g0);
    double *x0 = tyndau_calloc(cap * dm, sizeof *x0);
    ss_pair *pr = tyndau_calloc(cap, sizeof *pr);
    double *work = tyndau_calloc((size_t)threads * (nw + nc), sizeof *work);
    tyndau_status st = TYNDAU_OK;
    if (!cur || !nxt || !g || !gn || !g0 || !x0 || !pr || !work) {
        st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
        goto done;
    }
    memcpy(cur, S, n * dm * sizeof *cur);
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
    for (size_t i = 0; i < n; i++) {
        int t = calib_thread();
        double *wk = work + (size_t)t * (nw + nc);
        g[i] = hm_wave_measure(H, w, cur + i * dm, INFINITY, wk + nw, wk);
    }
    double logshare = 0.0, c_prev = INFINITY, lambda = 2.38 / sqrt((double)dm);
    size_t cur_n = n;
    for (size_t level = 0;; level++) {
        for (size_t i = 0; i < cur_n; i++) pr[i].g = g[i], pr[i].i = i;
        qsort(pr, cur_n, sizeof *pr, by_g);
        size_t ns = (size_t)ceil(HM_SS_P0 * (double)cur_n), in = 0;
        for (size_t i = 0; i < cur_n; i++) in += g[i] <= H->cutoff;
        double c = pr[ns - 1].g;
        if (c <= H->cutoff) {
            /* the last level: its points below the cutoff, grown by chains in the region to about N,
             * are the region's sample */
            *share = exp(logshare) * (double)in / (double)cur_n;
            size_t glen = (N + in - 1) / in;
            for (size_t s = 0; s < in; s++) memcpy(x0 + s * dm, cur + pr[s].i * dm, dm * sizeof *x0), g0[s] = pr[s].g;
            H->pop = tyndau_calloc(in * glen * dm, sizeof *H->pop);
            double *gp = tyndau_calloc(in * glen, sizeof *gp);
            if (!H->pop || !gp) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
            else st = chains(H, k, H->cutoff, x0, g0, in, glen, k * 64 + 63, H->pop, gp, &lambda, err);
            free(gp);
            if (st == TYNDAU_OK) H->n_pop = in * glen;
            break;
        }
        if (level == HM_SS_LEVELS || !(c < c_prev) || !isfinite(c)) break; /* no region found */
        H->w[k].subset_levels = level + 1;
        logshare += log((double)ns / (double)cur_n);
        c_prev = c;
        for (size_t s = 0; s < ns; s++) memcpy(x0 + s * dm, cur + pr[s].i * dm, dm * sizeof *x0), g0[s] = pr[s].g;
        size_t clen = (N + ns - 1) / ns;
        st = chains(H, k, c, x0, g0, ns, clen, k * 64 + level, nxt, gn, &lambda, err);
        if (st != TYNDAU_OK) goto done;
        double *t = cur;
        cur = nxt, nxt = t;
        t = g, g = gn, gn = t;
        cur_n = ns * clen;
    }
done:
    if (st != TYNDAU_OK) free(H->pop), H->pop = NULL, H->n_pop = 0;
    free(cur), free(nxt), free(g), free(gn), free(g0), free(x0), free(pr), free(work);
    return st;
}
