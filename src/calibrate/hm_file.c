/*
 * hm_file.c - the history match's file (schema tyndau-history-match 1.0, docs/output_schema.md)
 * through the one HDF5 layer, and --resume's reading of OUT.partial.  OUT.partial is written
 * whole (temporary name, then rename) after every wave but the last; the final file at the end,
 * then OUT.partial is removed.  A resumed run takes the partial file's runs (design, seeds,
 * statuses, outputs) and recomputes the emulators from them, which is deterministic, so its file
 * holds the same values as an uninterrupted run's.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm.h"

static void write_wave(tyndau_h5 *h, hid_t loc, const hm_t *H, const hm_wave *w, size_t k)
{
    const calib_t *C = H->C;
    size_t P = w->P, R = H->R, nc = H->nc, dm = H->dm, d = C->cfg.d;
    char nm[32];
    snprintf(nm, sizeof nm, "w%02zu", k + 1);
    hid_t g = tyndau_h5_group(h, loc, nm, "one wave: its design, runs, emulators (one per cell), their leave-one-out "
                                          "validation and the cut");
    tyndau_h5_attr_f64(h, g, "non_implausible_share", w->volume);
    tyndau_h5_attr_f64(h, g, "runs_share", w->runs_share);
    tyndau_h5_attr_f64(h, g, "seconds", w->seconds);
    tyndau_h5_attr_i64(h, g, "points", (int64_t)P);
    tyndau_h5_attr_i64(h, g, "failed_runs", (int64_t)w->failed);
    tyndau_h5_attr_i64(h, g, "training_points", (int64_t)w->trained);
    tyndau_h5_attr_i64(h, g, "samples_in_region", (int64_t)w->samples_in);
    tyndau_h5_attr_i64(h, g, "valid_emulators", w->n_valid);
    tyndau_h5_attr_i64(h, g, "subset_levels", (int64_t)w->subset_levels);
    tyndau_h5_attr_str(h, g, "share_method", w->by_subset ? "subset simulation (Au & Beck 2001) from the region before the wave "
                                                            "(0 levels: the count on its sample)"
                                                          : "counted on the fixed prior samples");
    double *meas = tyndau_calloc(P ? P : 1, sizeof *meas);
    for (size_t p = 0; meas && p < P; p++) {
        int any = !isnan(w->imp_runs[p * nc]);
        meas[p] = any ? hm_measure(w->imp_runs + p * nc, NULL, nc, C->cfg.hm.measure) : NAN;
    }
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "unit", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {P, dm},
                                              .data = w->u, .axes = "point,parameter",
                                              .description = "The design point in the unit cube: each emulated "
                                                             "parameter's prior CDF.", .units = "1"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "x", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {P, d},
                                              .data = w->x, .axes = "point,quantity",
                                              .description = "The calibration's quantities at the point (those that "
                                                             "are no model parameter: their prior medians, unused).",
                                              .units = "the quantity's own"});
    tyndau_h5_vector(h, g, "seed", TYNDAU_H5_U64, P * R, w->seed, "run",
                     "Model seed of run i = point x replicates + replicate.", "none");
    tyndau_h5_vector(h, g, "status", TYNDAU_H5_I32, P * R, w->status, "run",
                     "0: the run succeeded; otherwise its status (recorded, left out of the emulators).", "code");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "output", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {P * R, nc},
                                              .data = w->out, .axes = "run,cell",
                                              .description = "The run's model probability of the cell on the logit "
                                                             "scale (NaN: the run failed).", .units = "logit"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "implausibility", .kind = TYNDAU_H5_F64, .rank = 2,
                                              .dims = {P, nc}, .data = w->imp_runs, .axes = "point,cell",
                                              .description = "Implausibility of the point's replicate mean (the "
                                                             "simulator, no emulator variance).", .units = "1"});
    if (meas)
        tyndau_h5_vector(h, g, "measure", TYNDAU_H5_F64, P, meas, "point",
                         "The point's cut measure over the cells (max or second max, root attribute measure).", "1");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "loo_standardised", .kind = TYNDAU_H5_F64, .rank = 2,
                                              .dims = {P, nc}, .data = w->loo_std, .axes = "point,cell",
                                              .description = "Standardised leave-one-out error of the cell's emulator "
                                                             "at the point (closed form; NaN: not a training point).",
                                              .units = "1"});
    static const char *const cn[9] = {"v_ens", "sf2", "mean", "lml", "loo_beyond3", "min_implausibility_runs",
                                      "min_implausibility_emulator", "share_beyond_cutoff", NULL};
    static const char *const cd[8] = {
        "Ensemble variance of one run (pooled within-point variance of the replicates).",
        "The emulator's signal variance (maximum marginal likelihood).", "The emulator's constant mean.",
        "The emulator's log marginal likelihood.", "Share of the emulator's standardised LOO errors beyond 3.",
        "Smallest implausibility of the cell over the wave's runs.",
        "Smallest emulated implausibility of the cell over the samples in the wave's region (NaN: emulator not used).",
        "Share of the samples in the region before the wave at which the cell's emulated implausibility exceeds the "
        "cutoff: the cells that rule out most (NaN: emulator not used)."};
    static const char *const cu[8] = {"logit^2", "logit^2", "logit", "1", "1", "1", "1", "1"};
    const double *cv[8] = {w->v_ens, w->sf2, w->mean, w->lml, w->loo_beyond3, w->min_imp_runs, w->min_imp_em, w->beyond};
    for (int j = 0; cn[j]; j++) tyndau_h5_vector(h, g, cn[j], TYNDAU_H5_F64, nc, cv[j], "cell", cd[j], cu[j]);
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "length_scale", .kind = TYNDAU_H5_F64, .rank = 2,
                                              .dims = {nc, dm}, .data = w->ell, .axes = "cell,parameter",
                                              .description = "The emulator's squared-exponential length scale per "
                                                             "parameter, on the unit cube.", .units = "1"});
    tyndau_h5_vector(h, g, "valid", TYNDAU_H5_I32, nc, w->valid, "cell",
                     "1: the emulator passed validation (LOO share beyond 3 at most loo_limit) and is used in the cut.",
                     "flag");
    tyndau_h5_vector(h, g, "unreachable", TYNDAU_H5_I32, nc, w->unreachable, "cell",
                     "1: the cell is implausible at every run of the wave and every emulator sample of its region: "
                     "the model cannot reach it.", "flag");
    free(meas);
    tyndau_h5_close_obj(h, g);
}

tyndau_status hm_write(hm_t *H, int final, tyndau_error *err)
{
    calib_t *C = H->C;
    const calib_cfg *c = &C->cfg;
    const calib_hm_cfg *hc = &c->hm;
    size_t nc = H->nc, dm = H->dm, W = H->n_w;
    const char *path = final ? C->out : C->partial;
    tyndau_h5 h;
    if (tyndau_h5_open(&h, path, TYNDAU_H5_CREATE, err) != TYNDAU_OK) return tyndau_h5_close(&h);
    tyndau_h5_prov prov = calib_provenance(C, HM_SCHEMA_NAME, HM_SCHEMA_VERSION,
        "the model's counter-based streams; the study's from the same generator (tyndau_ctr) at the 64-bit keys "
        "many_seed(seed, kind, wave, ...)");
    hid_t f = h.file;
    char buf[64];
    tyndau_h5_provenance(&h, f, &prov);
    tyndau_h5_attr_str(&h, f, "status", final ? "complete" : "running");
    tyndau_h5_attr_str(&h, f, "stop", final && H->stop ? H->stop : "");
    tyndau_h5_attr_str(&h, f, "calibration_file", c->file.path);
    tyndau_h5_attr_str(&h, f, "calibration_text", c->file.text);
    tyndau_h5_attr_str(&h, f, "targets_source", C->targets_source);
    tyndau_h5_attr_str(&h, f, "holdout", C->holdout_joined);
    snprintf(buf, sizeof buf, "%016" PRIx64, C->fingerprint);
    tyndau_h5_attr_str(&h, f, "fingerprint", buf);
    tyndau_h5_attr_str(&h, f, "method", "history matching in waves (Vernon, Goldstein & Bower 2010): per cell a GP "
                       "emulator of the logit (constant mean, squared-exponential kernel on the prior-CDF cube, nugget "
                       "from the replicates, maximum marginal likelihood), validated leave-one-out; implausibility "
                       "from observation, discrepancy, ensemble and emulator variances");
    tyndau_h5_attr_str(&h, f, "measure", hc->measure == 2 ? "second-max" : "max");
    tyndau_h5_attr_f64(&h, f, "cutoff", hc->cutoff);
    tyndau_h5_attr_f64(&h, f, "loo_limit", hc->loo_limit);
    tyndau_h5_attr_i64(&h, f, "replicates", (int64_t)H->R);
    tyndau_h5_attr_i64(&h, f, "runs_per_wave", (int64_t)hc->runs_per_wave);
    tyndau_h5_attr_i64(&h, f, "samples", (int64_t)H->M);
    tyndau_h5_attr_i64(&h, f, "agents", (int64_t)c->agents);
    tyndau_h5_attr_i64(&h, f, "n_waves", (int64_t)W);
    tyndau_h5_attr_f64(&h, f, "design_effect", c->deff);
    const char *qn[MAXD], *pn[MAXD];
    for (size_t k = 0; k < c->d; k++) qn[k] = c->prior[k].name;
    for (size_t j = 0; j < dm; j++) pn[j] = c->prior[H->dims[j]].name;
    hid_t g = tyndau_h5_group(&h, f, "parameters", "the calibration's quantities and the emulated model parameters");
    tyndau_h5_vector(&h, g, "quantity", TYNDAU_H5_STR, c->d, qn, "quantity", "The calibration's quantity.", "none");
    tyndau_h5_vector(&h, g, "parameter", TYNDAU_H5_STR, dm, pn, "parameter",
                     "The emulated model parameter (an axis of the unit cube).", "none");
    const char *shape[MAXD];
    double pv[4 * MAXD];
    for (size_t j = 0; j < dm; j++) {
        const prior_t *pr = &c->prior[H->dims[j]];
        shape[j] = shape_names[pr->shape];
        pv[j] = pr->a, pv[dm + j] = pr->b, pv[2 * dm + j] = pr->lo, pv[3 * dm + j] = pr->hi;
    }
    tyndau_h5_vector(&h, g, "prior_shape", TYNDAU_H5_STR, dm, shape, "parameter", "The parameter's prior.", "none");
    static const char *const pnm[4] = {"prior_a", "prior_b", "prior_lo", "prior_hi"};
    static const char *const pds[4] = {"The prior's first number (uniform, loguniform: LO; normal: the mean).",
                                       "The prior's second number (uniform, loguniform: HI; normal: the sd).",
                                       "The prior's support: lower end.", "The prior's support: upper end."};
    for (int j = 0; j < 4; j++)
        tyndau_h5_vector(&h, g, pnm[j], TYNDAU_H5_F64, dm, pv + (size_t)j * dm, "parameter", pds[j],
                         "the parameter's own");
    tyndau_h5_close_obj(&h, g);
    const char **q = tyndau_calloc(nc ? 4 * nc : 1, sizeof *q);
    if (q == NULL) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    for (size_t i = 0; q && i < nc; i++) {
        const tyndau_obs_row *r = &C->obs.rows[H->cell_row[i]];
        q[i] = r->question, q[nc + i] = r->group_type, q[2 * nc + i] = r->group, q[3 * nc + i] = r->response[H->cell_resp[i]];
    }
    g = tyndau_h5_group(&h, f, "cells", "the emulated published cells (every response of the fitted rows): the "
                                        "published logit and the variances of the implausibility");
    static const char *const cn[4] = {"question", "group_type", "group", "response"};
    for (int j = 0; q && j < 4; j++)
        tyndau_h5_vector(&h, g, cn[j], TYNDAU_H5_STR, nc, q + (size_t)j * nc, "cell", "The cell's row and response.",
                         "none");
    tyndau_h5_vector(&h, g, "z", TYNDAU_H5_F64, nc, H->z, "cell",
                     "The published share on the logit scale (continuity-corrected: (count / deff + 1/2) / (n_eff + K / 2)).",
                     "logit");
    tyndau_h5_vector(&h, g, "v_obs", TYNDAU_H5_F64, nc, H->v_obs, "cell",
                     "Observation variance: 1 / (n_eff p (1 - p)), n_eff = n / design_effect.", "logit^2");
    tyndau_h5_vector(&h, g, "v_disc", TYNDAU_H5_F64, nc, H->v_disc, "cell",
                     "Discrepancy variance at the discrepancy priors' mean variance (0 for the multinomial).",
                     "logit^2");
    tyndau_h5_close_obj(&h, g);
    free(q);
    double *vol = tyndau_calloc(W ? 3 * W : 1, sizeof *vol);
    int *unr = tyndau_calloc(nc ? nc : 1, sizeof *unr);
    if (!vol || !unr) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    for (size_t k = 0; vol && k < W; k++)
        vol[k] = H->w[k].volume, vol[W + k] = H->w[k].runs_share, vol[2 * W + k] = (double)H->w[k].n_valid;
    for (size_t i = 0; unr && W && i < nc; i++) unr[i] = H->w[W - 1].unreachable[i];
    g = tyndau_h5_group(&h, f, "volume", "per wave: the non-implausible share of the prior (emulator samples), the "
                                         "share of the wave's runs that are non-implausible, the valid emulators");
    if (vol && W) {
        tyndau_h5_vector(&h, g, "share", TYNDAU_H5_F64, W, vol, "wave",
                         "Share of the prior's samples that no wave up to this one rules out.", "1");
        tyndau_h5_vector(&h, g, "runs_share", TYNDAU_H5_F64, W, vol + W, "wave",
                         "Share of the wave's design points whose runs are non-implausible (simulator only).", "1");
        tyndau_h5_vector(&h, g, "valid_emulators", TYNDAU_H5_F64, W, vol + 2 * W, "wave",
                         "Emulators that passed leave-one-out validation.", "cells");
    }
    if (unr && W && nc)
        tyndau_h5_vector(&h, g, "unreachable", TYNDAU_H5_I32, nc, unr, "cell",
                         "1: the last wave finds the cell implausible everywhere: the model cannot reach it.", "flag");
    tyndau_h5_close_obj(&h, g);
    free(vol), free(unr);
    /* the region's sample after the last wave: the fixed samples still alive (independent), or subset
     * simulation's (Markov chains): --within starts the SMC from it */
    size_t nr = 0;
    double *reg = H->pop;
    if (reg != NULL) {
        nr = H->n_pop;
    } else {
        reg = hm_alive_points(H, &nr, NULL);
        if (reg == NULL) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
    }
    g = tyndau_h5_group(&h, f, "region", "points of the non-implausible region after the last wave, uniform on it");
    tyndau_h5_attr_str(&h, g, "method", H->pop ? "subset simulation's Markov chains (correlated points)"
                                               : "the fixed prior samples that no wave rules out (independent)");
    tyndau_h5_attr_i64(&h, g, "points", (int64_t)nr);
    if (reg && nr > 0)
        tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "unit", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {nr, dm},
                                                   .data = reg, .axes = "point,parameter",
                                                   .description = "A point of the region in the unit cube (each "
                                                                  "emulated parameter's prior CDF).", .units = "1"});
    tyndau_h5_close_obj(&h, g);
    if (reg != H->pop) free(reg);
    g = tyndau_h5_group(&h, f, "waves", "one group wNN per wave");
    tyndau_h5_attr_i64(&h, g, "n_waves", (int64_t)W);
    for (size_t k = 0; k < W; k++) write_wave(&h, g, H, &H->w[k], k);
    tyndau_h5_close_obj(&h, g);
    tyndau_status st = tyndau_h5_close(&h);
    if (st == TYNDAU_OK && final) unlink(C->partial);
    return st;
}

tyndau_status hm_read_partial(hm_t *H, tyndau_error *err)
{
    calib_t *C = H->C;
    tyndau_h5 h;
    tyndau_error e;
    int same = 0, opened = calib_open_partial(C, "history match", &h, &e, &same, err);
    if (opened != 0) return opened > 0 ? TYNDAU_OK : err->status;
    int major = 0;
    tyndau_status rc = TYNDAU_OK;
    if (tyndau_h5_check_schema(&h, HM_SCHEMA_NAME, "a tyndau history-match file", 1, 1, &major) != TYNDAU_OK)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s is not a partial history match of schema %s 1.x (a "
                        "calibration's?); remove it or run without --resume", C->partial, HM_SCHEMA_NAME);
    else if (!same)
        rc = calib_partial_other(C, err);
    hid_t g = rc == TYNDAU_OK ? H5Gopen2(h.file, "waves", H5P_DEFAULT) : -1;
    int64_t W = 0;
    if (rc == TYNDAU_OK && (g < 0 || tyndau_h5_read_attr_i64(&h, g, "n_waves", &W) != 1 || W < 0 ||
                            W > (int64_t)C->cfg.hm.waves))
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: no readable wave count (damaged file?)", C->partial);
    if (rc == TYNDAU_OK && W > 0 && (H->cached = tyndau_calloc((size_t)W, sizeof *H->cached)) == NULL)
        rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    size_t R = H->R, nc = H->nc, dm = H->dm;
    for (int64_t k = 0; rc == TYNDAU_OK && h.st == TYNDAU_OK && k < W; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "w%02d", (int)k + 1);
        hid_t wg = H5Gopen2(g, nm, H5P_DEFAULT);
        int64_t P = 0;
        if (wg < 0 || tyndau_h5_read_attr_i64(&h, wg, "points", &P) != 1 || P < 1 ||
            P > (int64_t)C->cfg.hm.runs_per_wave) {
            tyndau_h5_fail(&h, TYNDAU_EINPUT, "no wave %s", nm);
        } else {
            tyndau_h5_expect(&h, wg, "output", P * (int64_t)R, (int64_t)nc, 1, "points x replicates x cells");
            tyndau_h5_expect(&h, wg, "unit", P, (int64_t)dm, 1, "points x parameters");
        }
        hm_wave *w = &H->cached[k];
        size_t n = (size_t)P;
        if (h.st == TYNDAU_OK) {
            w->P = n;
            w->u = tyndau_calloc(n * dm, sizeof *w->u), w->seed = tyndau_calloc(n * R, sizeof *w->seed);
            w->status = tyndau_calloc(n * R, sizeof *w->status), w->out = tyndau_calloc(n * R * nc, sizeof *w->out);
            H->n_cached = (size_t)k + 1;
            if (!w->u || !w->seed || !w->status || !w->out) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
        }
        if (h.st == TYNDAU_OK) {
            tyndau_h5_read(&h, wg, "unit", TYNDAU_H5_F64, n * dm, w->u);
            tyndau_h5_read(&h, wg, "seed", TYNDAU_H5_U64, n * R, w->seed);
            tyndau_h5_read(&h, wg, "status", TYNDAU_H5_I32, n * R, w->status);
            tyndau_h5_read(&h, wg, "output", TYNDAU_H5_F64, n * R * nc, w->out);
            char *s = tyndau_h5_read_attr_str(&h, wg, "seconds");
            w->seconds = s ? atof(s) : 0.0;
            free(s);
        }
        if (wg >= 0) H5Gclose(wg);
    }
    if (rc == TYNDAU_OK && h.st != TYNDAU_OK)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: cannot read its waves (%s)", C->partial, h.err->msg);
    if (g >= 0) H5Gclose(g);
    tyndau_h5_close(&h);
    if (rc == TYNDAU_OK && C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "history match: resuming after wave %" PRId64 "\n", W);
    return rc;
}

/* ---- --within HM.h5: the SMC restricted to a history match's non-implausible region ---- */

typedef struct {
    hm_t H;
    double *imp, *work, *u;
    double *region; /* [n_region][dm] the region's sample (/region/unit), or NULL */
    size_t n_region;
} within_t;

static void within_free(within_t *W)
{
    if (W == NULL) return;
    for (size_t k = 0; k < W->H.n_w; k++) hm_wave_free(&W->H.w[k], W->H.nc);
    free(W->H.w), free(W->H.cell_row), free(W->H.cell_resp), free(W->H.z), free(W->H.v_obs), free(W->H.v_disc);
    free(W->imp), free(W->work), free(W->u), free(W->region);
    free(W);
}

void calib_within_free(calib_t *C)
{
    within_free(C->within);
    C->within = NULL;
}

/* 0 when the text dataset `name` under g holds exactly the n strings want(i), else -1 (h->st set on a read failure) */
static int same_names(tyndau_h5 *h, hid_t g, const char *name, size_t n, const char *(*want)(const hm_t *, size_t, int),
                      const hm_t *H, int field)
{
    size_t m = 0;
    char **s = tyndau_h5_read_strs(h, g, name, &m);
    int rc = s != NULL && m == n ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) rc = strcmp(s[i], want(H, i, field)) == 0 ? 0 : -1;
    if (s) tyndau_h5_free_strs(s, m);
    return rc;
}

static const char *param_name(const hm_t *H, size_t i, int field)
{
    (void)field;
    return H->C->cfg.prior[H->dims[i]].name;
}

static const char *prior_shape(const hm_t *H, size_t i, int field)
{
    (void)field;
    return shape_names[H->C->cfg.prior[H->dims[i]].shape];
}

static const char *cell_field(const hm_t *H, size_t i, int field)
{
    const tyndau_obs_row *r = &H->C->obs.rows[H->cell_row[i]];
    return field == 0 ? r->question : field == 1 ? r->group_type : field == 2 ? r->group : r->response[H->cell_resp[i]];
}

/* Wave k's emulators rebuilt from the file at its hyperparameters (the same training data and nuggets). */
static void load_wave(tyndau_h5 *h, hid_t wg, hm_t *H, hm_wave *w)
{
    size_t R = H->R, nc = H->nc, dm = H->dm;
    int64_t P = 0;
    if (tyndau_h5_read_attr_i64(h, wg, "points", &P) != 1 || P < 1 || P > 100000) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "a wave without a readable point count");
        return;
    }
    size_t n = (size_t)P;
    tyndau_h5_expect(h, wg, "output", P * (int64_t)R, (int64_t)nc, 1, "points x replicates x cells");
    tyndau_h5_expect(h, wg, "unit", P, (int64_t)dm, 1, "points x parameters");
    tyndau_h5_expect(h, wg, "length_scale", (int64_t)nc, (int64_t)dm, 1, "cells x parameters");
    if (h->st != TYNDAU_OK) return;
    w->P = n;
    w->u = tyndau_calloc(n * dm, sizeof *w->u), w->status = tyndau_calloc(n * R, sizeof *w->status);
    w->out = tyndau_calloc(n * R * nc, sizeof *w->out), w->v_ens = tyndau_calloc(nc, sizeof *w->v_ens);
    w->sf2 = tyndau_calloc(nc, sizeof *w->sf2), w->mean = tyndau_calloc(nc, sizeof *w->mean);
    w->ell = tyndau_calloc(nc * dm, sizeof *w->ell), w->valid = tyndau_calloc(nc, sizeof *w->valid);
    w->gp = tyndau_calloc(nc, sizeof *w->gp);
    double *X = tyndau_calloc(n * dm, sizeof *X), *y = tyndau_calloc(n, sizeof *y), *nug = tyndau_calloc(n, sizeof *nug);
    double *reps = tyndau_calloc(n, sizeof *reps);
    size_t *idx = tyndau_calloc(n, sizeof *idx);
    if (!w->u || !w->status || !w->out || !w->v_ens || !w->sf2 || !w->mean || !w->ell || !w->valid || !w->gp || !X ||
        !y || !nug || !reps || !idx)
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "out of memory");
    tyndau_h5_read(h, wg, "unit", TYNDAU_H5_F64, n * dm, w->u);
    tyndau_h5_read(h, wg, "status", TYNDAU_H5_I32, n * R, w->status);
    tyndau_h5_read(h, wg, "output", TYNDAU_H5_F64, n * R * nc, w->out);
    tyndau_h5_read(h, wg, "v_ens", TYNDAU_H5_F64, nc, w->v_ens);
    tyndau_h5_read(h, wg, "sf2", TYNDAU_H5_F64, nc, w->sf2);
    tyndau_h5_read(h, wg, "mean", TYNDAU_H5_F64, nc, w->mean);
    tyndau_h5_read(h, wg, "length_scale", TYNDAU_H5_F64, nc * dm, w->ell);
    tyndau_h5_read(h, wg, "valid", TYNDAU_H5_I32, nc, w->valid);
    size_t m = 0;
    for (size_t p = 0; h->st == TYNDAU_OK && p < n; p++) {
        for (size_t r = 0; r < R; r++) reps[p] += w->status[p * R + r] == 0;
        if (reps[p] > 0) memcpy(X + m * dm, w->u + p * dm, dm * sizeof *X), idx[m++] = p;
    }
    w->trained = m;
    for (size_t c = 0; h->st == TYNDAU_OK && c < nc; c++) {
        if (!w->valid[c]) continue;
        for (size_t i = 0; i < m; i++) {
            double s = 0.0;
            for (size_t r = 0; r < R; r++)
                if (w->status[idx[i] * R + r] == 0) s += w->out[(idx[i] * R + r) * nc + c];
            y[i] = s / reps[idx[i]], nug[i] = w->v_ens[c] / reps[idx[i]];
        }
        if (m < 3 || hm_gp_fit_at(&w->gp[c], X, y, nug, m, dm, w->mean[c], w->sf2[c], w->ell + c * dm) != 0)
            tyndau_h5_fail(h, TYNDAU_EINPUT, "cell %zu's emulator cannot be rebuilt from the file", c);
        w->n_valid++;
    }
    free(X), free(y), free(nug), free(reps), free(idx);
}

tyndau_status calib_within_load(calib_t *C, const char *path, tyndau_error *err)
{
    within_t *W = tyndau_calloc(1, sizeof *W);
    if (W == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    hm_t *H = &W->H;
    H->C = C;
    for (size_t k = 0; k < C->cfg.d; k++)
        if (C->cfg.prior[k].param >= 0) H->dims[H->dm++] = (int)k;
    tyndau_status st = hm_setup_cells(H, err);
    if (st != TYNDAU_OK) {
        within_free(W);
        return st;
    }
    tyndau_h5 h;
    tyndau_error e;
    if (tyndau_h5_probe(path, &e) != TYNDAU_OK) { /* damaged metadata can crash HDF5 itself */
        within_free(W);
        return TYNDAU_ERR(err, e.status, "--within %s", e.msg);
    }
    if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, &e) != TYNDAU_OK) {
        tyndau_h5_close(&h);
        within_free(W);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: %s", path, e.msg);
    }
    int major = 0;
    if (tyndau_h5_check_schema(&h, HM_SCHEMA_NAME, "a tyndau history-match file", 1, 1, &major) != TYNDAU_OK)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: %s", path, h.err->msg);
    char *status = st == TYNDAU_OK ? tyndau_h5_read_attr_str(&h, h.file, "status") : NULL;
    if (st == TYNDAU_OK && (status == NULL || strcmp(status, "complete") != 0))
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: the history match is not complete (status %s)", path,
                        status ? status : "missing");
    free(status);
    hid_t pg = st == TYNDAU_OK ? H5Gopen2(h.file, "parameters", H5P_DEFAULT) : -1;
    hid_t cg = st == TYNDAU_OK ? H5Gopen2(h.file, "cells", H5P_DEFAULT) : -1;
    if (st == TYNDAU_OK && (pg < 0 || same_names(&h, pg, "parameter", H->dm, param_name, H, 0) != 0))
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: it emulates other model parameters than %s calibrates "
                        "(expected the same names in the same order)", path, C->cfg.file.path);
    /* the same priors: the unit cube is their CDFs */
    double pv[MAXD];
    static const char *const pnm[4] = {"prior_a", "prior_b", "prior_lo", "prior_hi"};
    for (int j = 0; st == TYNDAU_OK && j < 4; j++) {
        if (pg >= 0) tyndau_h5_read(&h, pg, pnm[j], TYNDAU_H5_F64, H->dm, pv);
        for (size_t k = 0; h.st == TYNDAU_OK && k < H->dm; k++) {
            const prior_t *pr = &C->cfg.prior[H->dims[k]];
            double want = j == 0 ? pr->a : j == 1 ? pr->b : j == 2 ? pr->lo : pr->hi;
            if (pv[k] != want)
                st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: parameter '%s' has another prior there (%s %.6g, "
                                "here %.6g): the history match's region is in the CDFs of its priors", path, pr->name,
                                pnm[j], pv[k], want);
        }
        if (st == TYNDAU_OK && h.st != TYNDAU_OK)
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: no readable priors (%s)", path, h.err->msg);
    }
    if (st == TYNDAU_OK && (pg < 0 || same_names(&h, pg, "prior_shape", H->dm, prior_shape, H, 0) != 0))
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: the priors' shapes differ from %s's", path, C->cfg.file.path);
    static const char *const cf[4] = {"question", "group_type", "group", "response"};
    for (int j = 0; st == TYNDAU_OK && j < 4; j++)
        if (cg < 0 || same_names(&h, cg, cf[j], H->nc, cell_field, H, j) != 0)
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: its cells differ from the fitted cells of %s (the "
                            "targets or the holdouts differ)", path, C->cfg.file.path);
    if (pg >= 0) H5Gclose(pg);
    if (cg >= 0) H5Gclose(cg);
    int64_t R = 0, nw = 0;
    char *cut = NULL, *meas = NULL, *fp = NULL;
    if (st == TYNDAU_OK) {
        cut = tyndau_h5_read_attr_str(&h, h.file, "cutoff");
        meas = tyndau_h5_read_attr_str(&h, h.file, "measure");
        fp = tyndau_h5_read_attr_str(&h, h.file, "fingerprint");
        if (tyndau_h5_read_attr_i64(&h, h.file, "replicates", &R) != 1 || R < 1 || R > 100 || !cut || !meas || !fp ||
            tyndau_h5_read_attr_i64(&h, h.file, "n_waves", &nw) != 1 || nw < 1 || nw > 20)
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: no readable replicates, cutoff, measure, fingerprint or "
                            "wave count (damaged file?)", path);
    }
    if (st == TYNDAU_OK) {
        H->R = (size_t)R, H->cutoff = atof(cut), H->measure = strcmp(meas, "max") == 0 ? 1 : 2;
        C->fingerprint = cfg_hash(cfg_hash(C->fingerprint, path), fp); /* a resume sees another region */
        H->w = tyndau_calloc((size_t)nw, sizeof *H->w);
        if (H->w == NULL) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    free(cut), free(meas), free(fp);
    hid_t g = st == TYNDAU_OK ? H5Gopen2(h.file, "waves", H5P_DEFAULT) : -1;
    for (int64_t k = 0; st == TYNDAU_OK && h.st == TYNDAU_OK && k < nw; k++) {
        char nm[16];
        snprintf(nm, sizeof nm, "w%02d", (int)k + 1);
        hid_t wg = g >= 0 ? H5Gopen2(g, nm, H5P_DEFAULT) : -1;
        H->n_w = (size_t)k + 1;
        if (wg < 0) tyndau_h5_fail(&h, TYNDAU_EINPUT, "no wave %s", nm);
        else load_wave(&h, wg, H, &H->w[k]);
        if (wg >= 0) H5Gclose(wg);
    }
    if (st == TYNDAU_OK && h.st != TYNDAU_OK)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: cannot read its waves (%s)", path, h.err->msg);
    if (g >= 0) H5Gclose(g);
    /* the region's sample (files before it have none: the SMC then draws by rejection) */
    hid_t rg = st == TYNDAU_OK && H5Lexists(h.file, "region", H5P_DEFAULT) > 0 ? H5Gopen2(h.file, "region", H5P_DEFAULT) : -1;
    int64_t nr = 0;
    if (rg >= 0 && tyndau_h5_read_attr_i64(&h, rg, "points", &nr) == 1 && nr > 0 && nr <= 100000000) {
        tyndau_h5_expect(&h, rg, "unit", nr, (int64_t)H->dm, 1, "points x parameters");
        W->region = tyndau_calloc((size_t)nr * H->dm, sizeof *W->region);
        if (W->region == NULL) tyndau_h5_fail(&h, TYNDAU_EINTERNAL, "out of memory");
        tyndau_h5_read(&h, rg, "unit", TYNDAU_H5_F64, (size_t)nr * H->dm, W->region);
        W->n_region = (size_t)nr;
        if (h.st != TYNDAU_OK)
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--within %s: cannot read its region's sample (%s)", path, h.err->msg);
    }
    if (rg >= 0) H5Gclose(rg);
    tyndau_h5_close(&h);
    W->imp = tyndau_calloc(H->nc ? H->nc : 1, sizeof *W->imp);
    W->work = tyndau_calloc(hm_max_train(H), sizeof *W->work);
    W->u = tyndau_calloc(H->dm, sizeof *W->u);
    if (st == TYNDAU_OK && (!W->imp || !W->work || !W->u)) st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (st != TYNDAU_OK) {
        within_free(W);
        return st;
    }
    C->within = W;
    C->within_path = path;
    return TYNDAU_OK;
}

int calib_within(const calib_t *C, const double *x)
{
    within_t *W = C->within;
    if (W == NULL) return 1;
    const hm_t *H = &W->H;
    for (size_t j = 0; j < H->dm; j++) W->u[j] = prior_cdf(&C->cfg.prior[H->dims[j]], x[H->dims[j]]);
    return hm_plausible(H, H->n_w, W->u, W->imp, W->work);
}

int calib_within_draw(const calib_t *C, gsl_rng *r, double *x)
{
    const within_t *W = C->within;
    if (W == NULL || W->region == NULL || W->n_region == 0) return 0;
    const double *u = W->region + gsl_rng_uniform_int(r, W->n_region) * W->H.dm;
    for (size_t j = 0; j < W->H.dm; j++)
        x[W->H.dims[j]] = prior_from_unit(&C->cfg.prior[W->H.dims[j]], u[j]);
    return 1;
}

/* ---- surrogate transitions (docs/calibration.md s3): the last wave's emulators as a cheap likelihood ---- */

/* The latest wave with a valid emulator of cell c, or -1. */
static int surrogate_wave(const hm_t *H, size_t c)
{
    for (size_t k = H->n_w; k-- > 0;)
        if (H->w[k].valid[c]) return (int)k;
    return -1;
}

int calib_surrogate_ok(const calib_t *C)
{
    const within_t *W = C->within;
    if (W == NULL || W->H.n_w == 0 || W->H.w[W->H.n_w - 1].n_valid == 0) return 0;
    for (size_t c = 0; c < W->H.nc; c++)
        if (surrogate_wave(&W->H, c) < 0) return 0;
    return 1;
}

size_t calib_surrogate_work(const calib_t *C)
{
    const within_t *W = C->within;
    return W == NULL ? 1 : W->H.dm + W->H.nc + hm_max_train(&W->H) + C->n_out;
}

double calib_surrogate_loglik(const calib_t *C, const double *x, double *work)
{
    const within_t *W = C->within;
    const hm_t *H = &W->H;
    const hm_wave *w = &H->w[H->n_w - 1];
    double *u = work, *imp = u + H->dm, *wk = imp + H->nc, *probs = wk + hm_max_train(H);
    for (size_t j = 0; j < H->dm; j++) u[j] = prior_cdf(&C->cfg.prior[H->dims[j]], x[H->dims[j]]);
    for (size_t i = 0; i < C->n_out; i++) probs[i] = 1.0 / TYNDAU_OBS_STRIDE; /* rows not fitted: not used */
    for (size_t c = 0; c < H->nc; c++) { /* each cell's emulated logit (the latest wave's valid emulator) */
        double m;
        hm_gp_predict(&H->w[surrogate_wave(H, c)].gp[c], u, &m, NULL, wk);
        probs[H->cell_row[c] * TYNDAU_OBS_STRIDE + H->cell_resp[c]] = 1.0 / (1.0 + exp(-m));
        imp[c] = hm_implausibility(H->z[c], m, H->v_obs[c] + H->v_disc[c] + w->v_ens[c]);
    }
    /* the surrogate's region: the last wave's cut (its valid cells) at these means, without the emulators' variance (a
     * stricter, cheaper cut; the exact region is checked before any simulation, so this choice changes
     * the proposals only, not the target) */
    if (hm_measure(imp, w->valid, H->nc, H->measure) > H->cutoff) return -INFINITY;
    for (size_t r = 0; r < C->obs.n_rows; r++) { /* "rest": 1 minus the published responses, as the model's */
        const tyndau_obs_row *row = &C->obs.rows[r];
        if (!(row->weight > 0) || !row->has_rest) continue;
        double t = 0.0;
        for (size_t k = 0; k < row->n_resp; k++) t += probs[r * TYNDAU_OBS_STRIDE + k];
        probs[r * TYNDAU_OBS_STRIDE + row->n_resp] = fmax(1.0 - t, TYNDAU_OBS_PFLOOR);
    }
    return calib_loglik(C, probs, x);
}

size_t calib_simulate_within(calib_t *C, const double *x, const uint64_t *seed, size_t n, double *probs, int *status,
                             char (*msgs)[MANY_ERRLEN], size_t *failed, const unsigned char *skip)
{
    if (C->within == NULL && skip == NULL) {
        calib_simulate(C, x, seed, n, probs, status, msgs, failed);
        return n;
    }
    size_t d = C->cfg.d, m = 0, no = C->n_out;
    size_t *idx = tyndau_calloc(n ? n : 1, sizeof *idx);
    double *xc = tyndau_calloc(n * d > 0 ? n * d : 1, sizeof *xc), *pc = tyndau_calloc(n * no > 0 ? n * no : 1, sizeof *pc);
    uint64_t *sc = tyndau_calloc(n ? n : 1, sizeof *sc);
    int *stc = tyndau_calloc(n ? n : 1, sizeof *stc);
    char(*mc)[MANY_ERRLEN] = tyndau_calloc(n ? n : 1, sizeof *mc);
    if (!idx || !xc || !pc || !sc || !stc || !mc) { /* out of memory: every proposal simulated, as without --within */
        free(idx), free(xc), free(pc), free(sc), free(stc), free(mc);
        calib_simulate(C, x, seed, n, probs, status, msgs, failed);
        for (size_t i = 0; i < n; i++)
            if ((skip && skip[i]) || !calib_within(C, x + i * d)) status[i] = -1;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        status[i] = -1; /* outside the region: no run, rejected (its restricted prior density is 0) */
        snprintf(msgs[i], MANY_ERRLEN, skip && skip[i] ? "the same parameters and seed as the particle: not simulated"
                                                       : "outside the history match's non-implausible region: not simulated");
        for (size_t k = 0; k < no; k++) probs[i * no + k] = NAN;
        if ((skip && skip[i]) || !calib_within(C, x + i * d)) continue;
        memcpy(xc + m * d, x + i * d, d * sizeof *xc);
        sc[m] = seed[i];
        idx[m++] = i;
    }
    if (m > 0) calib_simulate(C, xc, sc, m, pc, stc, mc, failed);
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        status[i] = stc[j];
        memcpy(msgs[i], mc[j], MANY_ERRLEN);
        memcpy(probs + i * no, pc + j * no, no * sizeof *pc);
    }
    free(idx), free(xc), free(pc), free(sc), free(stc), free(mc);
    return m;
}
