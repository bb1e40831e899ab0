/*
 * record.c - the calibration file (schema tyndau-calibration, docs/output_schema.md) and
 * --resume: OUT.partial holds every completed generation and is rewritten whole (temporary
 * name, rename) after each one; OUT gets the same record plus the posterior and the predictive
 * check, and OUT's stem + "_calibrated.ini" the calibrated scenario.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calib.h"
#include "cli.h"
#include "h5.h"
#include "gradient.h"
#include "leaveout.h"
#include "targets.h"

/* A 1-D double dataset along `axis`. */
static void f64(tyndau_h5 *h, hid_t g, const char *name, const double *v, size_t n, const char *axis,
                const char *description, const char *units)
{
    tyndau_h5_vector(h, g, name, TYNDAU_H5_F64, n, v, axis, description, units);
}

static void write_priors(tyndau_h5 *h, const calib_cfg *c)
{
    size_t d = c->d;
    const char *names[MAXD], *shapes[MAXD];
    double a[MAXD], b[MAXD], lo[MAXD], hi[MAXD], q05[MAXD], q95[MAXD];
    for (size_t k = 0; k < d; k++) {
        names[k] = c->prior[k].name;
        shapes[k] = shape_names[c->prior[k].shape];
        a[k] = c->prior[k].a, b[k] = c->prior[k].b, lo[k] = c->prior[k].lo, hi[k] = c->prior[k].hi;
        q05[k] = prior_quantile(&c->prior[k], 0.05);
        q95[k] = prior_quantile(&c->prior[k], 0.95);
    }
    hid_t g = tyndau_h5_group(h, h->file, "priors", "one entry per calibrated quantity; uniform/loguniform: a = lo, "
                                                    "b = hi; normal: a = mean, b = sd, truncated to [lo, hi]");
    const char *q = "quantity", *u = "the quantity's own (docs/parameters.md)";
    tyndau_h5_vector(h, g, "name", TYNDAU_H5_STR, d, names, q, "The calibrated quantity.", "none");
    tyndau_h5_vector(h, g, "shape", TYNDAU_H5_STR, d, shapes, q, "The prior's shape.", "none");
    f64(h, g, "a", a, d, q, "uniform/loguniform: lo; normal: mean.", u);
    f64(h, g, "b", b, d, q, "uniform/loguniform: hi; normal: sd.", u);
    f64(h, g, "lo", lo, d, q, "Lower end of the support.", u);
    f64(h, g, "hi", hi, d, q, "Upper end of the support.", u);
    f64(h, g, "q05", q05, d, q, "The prior's 5% quantile.", u);
    f64(h, g, "q95", q95, d, q, "The prior's 95% quantile.", u);
    tyndau_h5_close_obj(h, g);
}

static void write_observation(tyndau_h5 *h, const calib_t *C)
{
    const calib_cfg *c = &C->cfg;
    const tyndau_obs *o = &C->obs;
    size_t R = o->n_rows;
    const char **q = tyndau_calloc(R, sizeof *q), **gt = tyndau_calloc(R, sizeof *gt), **gr = tyndau_calloc(R, sizeof *gr);
    double *n = tyndau_calloc(R, sizeof *n), *wt = tyndau_calloc(R, sizeof *wt);
    const char **fam = tyndau_calloc(R, sizeof *fam);
    int *ho = tyndau_calloc(R, sizeof *ho);
    if (!q || !gt || !gr || !n || !wt || !ho || !fam) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory", h->path);
    for (size_t r = 0; h->st == TYNDAU_OK && r < R; r++) {
        q[r] = o->rows[r].question, gt[r] = o->rows[r].group_type, gr[r] = o->rows[r].group;
        n[r] = o->rows[r].n, wt[r] = o->rows[r].weight, ho[r] = o->rows[r].held_out;
        fam[r] = tyndau_obs_family_names[o->rows[r].family];
    }
    hid_t g = tyndau_h5_group(h, h->file, "observation",
                              "multinomial rows: estimated respondents n, likelihood weight, held out");
    tyndau_h5_attr_f64(h, g, "survey_n", o->survey_n);
    tyndau_h5_attr_f64(h, g, "concentration_fixed", c->dm && c->conc_dim < 0 ? c->concentration : NAN);
    tyndau_h5_attr_f64(h, g, "design_effect", c->deff);
    tyndau_h5_attr_str(h, g, "design_effect_source",
                       c->deff_given ? "the calibration file (key design_effect)"
                                     : "default 1 (simple random sampling): an assumption; the survey reports none, "
                                       "and a quota sample's is bracketed 1-2 (docs/calibration.md s2)");
    tyndau_h5_vector(h, g, "question", TYNDAU_H5_STR, R, q, "row", "The survey question.", "none");
    tyndau_h5_vector(h, g, "group_type", TYNDAU_H5_STR, R, gt, "row", "The group's type.", "none");
    tyndau_h5_vector(h, g, "group", TYNDAU_H5_STR, R, gr, "row", "The population group.", "none");
    f64(h, g, "n", n, R, "row", "Estimated respondents behind the row.", "respondents");
    f64(h, g, "weight", wt, R, "row", "The row's weight in the likelihood.", "1");
    tyndau_h5_vector(h, g, "held_out", TYNDAU_H5_I32, R, ho, "row", "1: left out of the fit (--holdout).", "none");
    tyndau_h5_vector(h, g, "family", TYNDAU_H5_STR, R, fam, "row",
                     "The question family (its discrepancy_FAMILY under the logit-normal model).", "none");
    const tyndau_subgroups *sg[2] = {&o->age, &o->income};
    const char *sgn[2] = {"age", "income"};
    for (int s = 0; s < 2; s++) {
        if (sg[s]->n_groups == 0) continue;
        hid_t k = tyndau_h5_group(h, g, sgn[s], "estimated share of respondents per group (subgroups.c) and its SE");
        const char *gn[TYNDAU_SUBGROUPS_MAX];
        for (size_t j = 0; j < sg[s]->n_groups; j++) gn[j] = sg[s]->group[j];
        tyndau_h5_vector(h, k, "group", TYNDAU_H5_STR, sg[s]->n_groups, gn, "group", "The group.", "none");
        f64(h, k, "share", sg[s]->share, sg[s]->n_groups, "group", "Estimated share of respondents.", "share");
        f64(h, k, "se", sg[s]->se, sg[s]->n_groups, "group", "Its standard error.", "share");
        tyndau_h5_close_obj(h, k);
    }
    tyndau_h5_close_obj(h, g);
    free(q), free(gt), free(gr), free(n), free(wt), free(ho), free(fam);
}

static void write_generations(tyndau_h5 *h, const calib_t *C)
{
    const calib_cfg *c = &C->cfg;
    size_t G = C->n_gen, N = c->particles;
    double *col = tyndau_calloc(G, sizeof *col);
    if (col == NULL) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory", h->path);
    hid_t g = tyndau_h5_group(h, h->file, "generations",
                              "one entry per completed generation (0: the prior sample); gNNN holds the particles "
                              "after that generation's move step (equal weights)");
    tyndau_h5_attr_i64(h, g, "n_generations", (int64_t)G);
    static const struct {
        const char *name, *description, *units;
    } cols[] = {
        {"beta", "The tempering exponent of the likelihood.", "1"},
        {"tolerance", "1 / beta: the ABC tolerance.", "1"},
        {"ess", "Effective sample size of the reweighting.", "particles"},
        {"acceptance", "Acceptance rate of the move steps.", "1"},
        {"scale", "Scale of the random walk.", "1"},
        {"simulations", "Simulations so far.", "simulations"},
        {"failed", "Failed simulations so far in this generation.", "simulations"},
        {"elapsed_s", "Wall time so far.", "s"},
        {"loglik_median", "Median log-likelihood of the particles.", "1"},
        {"loglik_max", "Largest log-likelihood of the particles.", "1"},
        {"unique_resampled", "Distinct particles after resampling (generation 0: all).", "particles"},
        {"unique", "Distinct particles (model parameters and seed) after the move step.", "particles"},
        {"moved", "Share of the particles that moved at least once in the move step (NaN: generation 0).", "1"},
        {"move_steps", "Metropolis-Hastings steps made per particle (moves = adaptive: until 90% moved, capped).",
         "steps"},
        {"surrogate_scale", "Surrogate transitions: the scale of the surrogate chains' random walk (NaN: none).", "1"},
        {"surrogate_acceptance", "Surrogate transitions: the acceptance of the surrogate chains' steps (NaN: none).",
         "1"},
        {"obs_scale", "Observation steps: the scale of their random walk (NaN: none).", "1"},
        {"obs_acceptance", "Observation steps: their acceptance (NaN: none).", "1"},
    };
    for (size_t k = 0; col != NULL && k < sizeof cols / sizeof *cols; k++) {
        for (size_t t = 0; t < G; t++) {
            const calib_gen *e = &C->gen[t];
            double v[18] = {e->beta, e->beta > 0 ? 1.0 / e->beta : INFINITY, e->ess, e->acceptance, e->scale,
                            (double)e->sims, (double)e->failed, e->elapsed, e->ll_median, e->ll_max,
                            e->unique_resampled, e->unique, e->moved, e->move_steps, e->surrogate_scale,
                            e->surrogate_acceptance, e->obs_scale, e->obs_acceptance};
            col[t] = v[k];
        }
        f64(h, g, cols[k].name, col, G, "generation", cols[k].description, cols[k].units);
    }
    free(col);
    for (size_t t = 0; t < G; t++) {
        char nm[32];
        snprintf(nm, sizeof nm, "g%03zu", t);
        hid_t k = tyndau_h5_group(h, g, nm, "The particles after this generation's move step (equal weights).");
        tyndau_h5_write(h, k, &(tyndau_h5_dspec){.name = "x", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {N, c->d},
                                                  .data = C->gen[t].x, .axes = "particle,quantity",
                                                  .description = "Each particle's calibrated quantities.",
                                                  .units = "the quantities' own"});
        tyndau_h5_write(h, k, &(tyndau_h5_dspec){.name = "z", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {N, c->d},
                                                  .data = C->gen[t].z, .axes = "particle,quantity",
                                                  .description = "The same on the sampler's unbounded scale.",
                                                  .units = "1"});
        f64(h, k, "loglik", C->gen[t].ll, N, "particle", "Each particle's log-likelihood.", "1");
        tyndau_h5_vector(h, k, "seed", TYNDAU_H5_U64, N, C->gen[t].seed, "particle", "Each particle's model seed.",
                         "none");
        tyndau_h5_close_obj(h, k);
    }
    tyndau_h5_close_obj(h, g);
}

tyndau_h5_prov calib_provenance(const calib_t *C, const char *schema, const char *version, const char *rng)
{
    tyndau_h5_prov prov = cli_provenance(schema, version, C->command_line);
    prov.seed = C->cfg.seed;
    prov.rng = rng;
    prov.threads = C->mc.threads, prov.ranks = C->mc.size;
    prov.scenario_source = C->sc.source;
    prov.scenario_text = C->sc.joined;
    return prov;
}

/* What the partial and the final file share: provenance, the inputs, priors, observation
 * model, generations. */
static void write_common(tyndau_h5 *h, const calib_t *C)
{
    const calib_cfg *c = &C->cfg;
    hid_t f = h->file;
    char buf[64];
    tyndau_h5_prov prov = calib_provenance(C, CALIB_SCHEMA_NAME, CALIB_SCHEMA_VERSION,
        "the model's counter-based streams (its seed from many_seed(seed, 2, ...)); the sampler's from the "
        "same generator (tyndau_ctr) at the 64-bit key many_seed(seed, kind, generation x 256 + move, particle)");
    prov.legacy_names = 1;
    tyndau_h5_provenance(h, f, &prov);
    tyndau_h5_attr_str(h, f, "status", C->status);
    tyndau_h5_attr_str(h, f, "calibration_file", c->file.path);
    tyndau_h5_attr_str(h, f, "calibration_text", c->file.text);
    tyndau_h5_attr_str(h, f, "targets_source", C->targets_source);
    tyndau_h5_attr_str(h, f, "holdout", C->holdout_joined);
    snprintf(buf, sizeof buf, "%016" PRIx64, C->fingerprint);
    tyndau_h5_attr_str(h, f, "fingerprint", buf);
    tyndau_h5_attr_str(h, f, "seed_text", (snprintf(buf, sizeof buf, "%" PRIu64, c->seed), buf));
    tyndau_h5_attr_i64(h, f, "agents", (int64_t)c->agents);
    tyndau_h5_attr_i64(h, f, "particles", (int64_t)c->particles);
    tyndau_h5_attr_i64(h, f, "threads_per_rank", C->mc.threads);
    tyndau_h5_attr_str(h, f, "likelihood", c->kind == TYNDAU_OBS_LOGIT_NORMAL ? "logit-normal"
                                           : c->dm                            ? "dirichlet-multinomial"
                                                                              : "multinomial");
    tyndau_h5_attr_str(h, f, "breakdowns", c->breakdown == TYNDAU_OBS_SPLIT ? "split" : "full");
    tyndau_h5_attr_str(h, f, "method", "adaptive ABC-SMC, likelihood-tempered multinomial kernel, pseudo-marginal "
                                       "MH moves with common random numbers (docs/calibration.md)");
    tyndau_h5_attr_str(h, f, "citation", TYNDAU_SURVEY_CITATION);
    write_priors(h, c);
    write_observation(h, C);
    write_generations(h, C);
}

tyndau_status calib_write_partial(calib_t *C, tyndau_error *err)
{
    if (C->mc.rank != 0) return TYNDAU_OK;
    tyndau_h5 h;
    if (tyndau_h5_open(&h, C->partial, TYNDAU_H5_CREATE, err) == TYNDAU_OK) write_common(&h, C);
    return tyndau_h5_close(&h);
}

static void write_posterior(tyndau_h5 *h, const calib_t *C, const calib_post *P)
{
    const calib_cfg *c = &C->cfg;
    size_t d = c->d;
    const char *names[MAXD];
    for (size_t k = 0; k < d; k++) names[k] = c->prior[k].name;
    hid_t g = tyndau_h5_group(h, h->file, "posterior", "from the last generation's particles (equal weights); "
                                                       "correlations of the parameters on the prior's scale (log for "
                                                       "loguniform)");
    tyndau_h5_attr_str(h, g, "identifiability", P->report);
    const char *q = "quantity", *u = "the quantity's own";
    tyndau_h5_vector(h, g, "name", TYNDAU_H5_STR, d, names, q, "The calibrated quantity.", "none");
    f64(h, g, "median", P->median, d, q, "Posterior median.", u);
    f64(h, g, "q05", P->q05, d, q, "Posterior 5% quantile.", u);
    f64(h, g, "q95", P->q95, d, q, "Posterior 95% quantile.", u);
    f64(h, g, "width_ratio", P->ratio, d, q, "Posterior 90% width / prior 90% width (on the prior's scale).", "1");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "correlation", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {d, d},
                                              .data = P->corr, .axes = "quantity,quantity_2",
                                              .description = "Posterior correlation of two quantities (on the "
                                                             "prior's scale).",
                                              .units = "1"});
    tyndau_h5_close_obj(h, g);
    if (!P->ident_ok) return;
    size_t m = P->ident_d;
    const char *pn[MAXD];
    for (size_t k = 0; k < m; k++) pn[k] = c->prior[P->ident_q[k]].name;
    g = tyndau_h5_group(h, h->file, "identifiability",
                        "the eigen-spectrum of the sensitivity matrix at the posterior median (src/calibrate/ident.c): "
                        "F = (pi^2/3) J' W J, J the logit-scale sensitivity of every fitted cell to each model "
                        "parameter on the sampler's scale (central differences, common random numbers), W the "
                        "observation model's precision of each cell; eigenvalues > 1: directions the survey "
                        "constrains more than the prior");
    tyndau_h5_attr_str(h, g, "report", P->ident_report);
    tyndau_h5_vector(h, g, "parameter", TYNDAU_H5_STR, m, pn, "parameter", "The calibrated model parameters.", "none");
    f64(h, g, "eigenvalue", P->eig, m, "direction", "Eigenvalues of F, largest first.", "1");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "eigenvector", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {m, m},
                                              .data = P->vec, .axes = "direction,parameter",
                                              .description = "Unit eigenvector of each direction.", .units = "1"});
    f64(h, g, "local_variance_ratio", P->var_ratio, m, "parameter",
        "[(F + I)^-1]_kk: the linear-Gaussian posterior / prior variance of each parameter.", "1");
    tyndau_h5_close_obj(h, g);
}

static void write_predictive(tyndau_h5 *h, const calib_t *C, const calib_ppc *Q)
{
    const tyndau_obs *o = &C->obs;
    size_t nc = Q->n_cells;
    const char **cq = tyndau_calloc(nc, sizeof *cq), **cgt = tyndau_calloc(nc, sizeof *cgt);
    const char **cg = tyndau_calloc(nc, sizeof *cg), **cr = tyndau_calloc(nc, sizeof *cr);
    if (!cq || !cgt || !cg || !cr) tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory", h->path);
    for (size_t i = 0; h->st == TYNDAU_OK && i < nc; i++) {
        const tyndau_obs_row *r = &o->rows[Q->row[i]];
        cq[i] = r->question, cgt[i] = r->group_type, cg[i] = r->group, cr[i] = r->response[Q->resp[i]];
    }
    hid_t g = tyndau_h5_group(h, h->file, "predictive",
                              "posterior predictive check per published cell: a new 1200-person survey simulated "
                              "from posterior draws (model noise, parameter uncertainty and survey sampling "
                              "included); median and 90% interval in percent; population_median: the model's "
                              "population percent (no sampling); null_prediction: the total row's observed percent "
                              "(group rows only); *_sampling_only: the same interval without the model-error "
                              "(Dirichlet) step");
    tyndau_h5_attr_i64(h, g, "draws", (int64_t)Q->draws);
    tyndau_h5_attr_i64(h, g, "failed_draws", (int64_t)Q->failed);
    tyndau_h5_attr_i64(h, g, "n_fitted_cells", (int64_t)Q->n_fit);
    tyndau_h5_attr_i64(h, g, "n_inside_fitted", (int64_t)Q->n_fit_inside);
    tyndau_h5_attr_i64(h, g, "n_inside_fitted_sampling_only", (int64_t)Q->n_fit_inside_s);
    tyndau_h5_attr_i64(h, g, "n_inside95_fitted", (int64_t)Q->n_fit_inside95);
    tyndau_h5_attr_i64(h, g, "n_inside95_fitted_sampling_only", (int64_t)Q->n_fit_inside95_s);
    tyndau_h5_attr_i64(h, g, "n_inside95_fitted_sampling_deff1", (int64_t)Q->n_fit_inside95_b[0]);
    tyndau_h5_attr_i64(h, g, "n_inside95_fitted_sampling_deff2", (int64_t)Q->n_fit_inside95_b[1]);
    tyndau_h5_attr_i64(h, g, "n_holdout_cells", (int64_t)Q->n_ho);
    tyndau_h5_attr_i64(h, g, "n_inside_holdout", (int64_t)Q->n_ho_inside);
    tyndau_h5_attr_f64(h, g, "mae_fitted", Q->mae_model_fit);
    tyndau_h5_attr_f64(h, g, "mae_holdout", Q->mae_model_ho_all);
    tyndau_h5_attr_f64(h, g, "mae_holdout_vs_null_model", Q->mae_model_ho);
    tyndau_h5_attr_f64(h, g, "mae_holdout_null", Q->mae_null_ho);
    tyndau_h5_attr_i64(h, g, "n_holdout_with_null", (int64_t)Q->n_ho_null);
    const char *a = "cell";
    tyndau_h5_vector(h, g, "question", TYNDAU_H5_STR, nc, cq, a, "The survey question.", "none");
    tyndau_h5_vector(h, g, "group_type", TYNDAU_H5_STR, nc, cgt, a, "The group's type.", "none");
    tyndau_h5_vector(h, g, "group", TYNDAU_H5_STR, nc, cg, a, "The population group.", "none");
    tyndau_h5_vector(h, g, "response", TYNDAU_H5_STR, nc, cr, a, "The response.", "none");
    tyndau_h5_vector(h, g, "fitted", TYNDAU_H5_I32, nc, Q->fitted, a, "1: fitted; 0: held out.", "none");
    f64(h, g, "observed", Q->observed, nc, a, "The published percent.", "percent");
    f64(h, g, "median", Q->median, nc, a, "Median of the simulated surveys.", "percent");
    f64(h, g, "lo90", Q->lo90, nc, a, "Lower end of their 90% interval.", "percent");
    f64(h, g, "hi90", Q->hi90, nc, a, "Upper end of their 90% interval.", "percent");
    f64(h, g, "lo90_sampling_only", Q->lo90s, nc, a, "The same without the model-error step.", "percent");
    f64(h, g, "hi90_sampling_only", Q->hi90s, nc, a, "The same without the model-error step.", "percent");
    tyndau_h5_vector(h, g, "inside_sampling_only", TYNDAU_H5_I32, nc, Q->inside_s, a,
                     "1: observed inside the sampling-only interval.", "none");
    tyndau_h5_vector(h, g, "inside", TYNDAU_H5_I32, nc, Q->inside, a, "1: observed inside the 90% interval.", "none");
    f64(h, g, "population_median", Q->pop_median, nc, a, "The model's population percent (median over draws).",
        "percent");
    f64(h, g, "null_prediction", Q->null_pred, nc, a, "The total row's observed percent (group rows; NaN else).",
        "percent");
    tyndau_h5_close_obj(h, g);
    free(cq), free(cgt), free(cg), free(cr);
}

tyndau_status calib_write_final(calib_t *C, const calib_post *P, const calib_ppc *Q, const char *ini,
                                tyndau_error *err)
{
    if (C->mc.rank != 0) return TYNDAU_OK;
    /* the calibrated scenario first, under a temporary name: both files appear, or neither */
    char itmp[PATH_MAX + 32];
    snprintf(itmp, sizeof itmp, "%s.tmp", C->ini_path);
    FILE *f = fopen(itmp, "w");
    if (f == NULL || fputs(ini, f) < 0 || fclose(f) != 0) {
        unlink(itmp);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write: %s", itmp, strerror(errno));
    }
    tyndau_h5 h;
    if (tyndau_h5_open(&h, C->out, TYNDAU_H5_CREATE, err) == TYNDAU_OK) {
        write_common(&h, C);
        tyndau_h5_attr_str(&h, h.file, "calibrated_scenario", ini);
        write_posterior(&h, C, P);
        write_predictive(&h, C, Q);
        if (C->leave != NULL) calib_leave_write(&h, C, C->leave, 1);
        if (C->gradient != NULL) calib_gradient_write(&h, C->gradient);
    }
    tyndau_status st = tyndau_h5_close(&h);
    if (st != TYNDAU_OK) {
        unlink(itmp);
        return st;
    }
    if (rename(itmp, C->ini_path) != 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot rename: %s", C->ini_path, strerror(errno));
    unlink(C->partial);
    return TYNDAU_OK;
}

int calib_open_partial(const calib_t *C, const char *what, tyndau_h5 *h, tyndau_error *herr, int *same,
                       tyndau_error *err)
{
    struct stat sb;
    if (stat(C->partial, &sb) != 0) { /* nothing to resume: a start, as sweep and compare do */
        if (C->mc.rank == 0 && !C->quiet) fprintf(stderr, "%s: --resume: no %s; starting\n", what, C->partial);
        return 1;
    }
    if (tyndau_h5_probe(C->partial, herr) != TYNDAU_OK) { /* damaged metadata can crash HDF5 itself */
        TYNDAU_ERR(err, herr->status, "--resume: %s", herr->msg);
        return -1;
    }
    if (tyndau_h5_open(h, C->partial, TYNDAU_H5_READ, herr) != TYNDAU_OK) {
        tyndau_h5_close(h);
        TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: not a readable HDF5 file", C->partial);
        return -1;
    }
    char want[32], *fp = tyndau_h5_read_attr_str(h, h->file, "fingerprint");
    snprintf(want, sizeof want, "%016" PRIx64, C->fingerprint);
    *same = fp != NULL && strcmp(fp, want) == 0;
    free(fp);
    return 0;
}

tyndau_status calib_partial_other(const calib_t *C, tyndau_error *err)
{
    return TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s was made by a different calibration (the calibration file, "
                      "its scenario or the files it inherits from, the targets or the holdouts differ); remove it "
                      "or run without --resume", C->partial);
}

tyndau_status calib_resume(calib_t *C, tyndau_error *err)
{
    tyndau_h5 h;
    tyndau_error e;
    int same = 0, opened = calib_open_partial(C, "calibrate", &h, &e, &same, err);
    if (opened != 0) return opened > 0 ? TYNDAU_OK : err->status;
    int major = 0;
    tyndau_status rc = TYNDAU_OK;
    if (!same)
        rc = calib_partial_other(C, err);
    else if (tyndau_h5_check_schema(&h, CALIB_SCHEMA_NAME, "a tyndau calibration file", 1, 1000, &major) !=
                 TYNDAU_OK ||
             major != CALIB_SCHEMA_MAJOR)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s was written by a tyndau with another %s schema (major "
                        "version %d, not %d); remove it or run without --resume", C->partial, CALIB_SCHEMA_NAME,
                        major, CALIB_SCHEMA_MAJOR);
    hid_t g = rc == TYNDAU_OK ? H5Gopen2(h.file, "generations", H5P_DEFAULT) : -1;
    int64_t G = 0;
    if (rc == TYNDAU_OK && (g < 0 || tyndau_h5_read_attr_i64(&h, g, "n_generations", &G) != 1 || G < 1))
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s holds no complete generation", C->partial);
    size_t N = C->cfg.particles, d = C->cfg.d;
    /* n_generations against the data it describes, before it sizes anything */
    if (rc == TYNDAU_OK) tyndau_h5_expect(&h, g, "beta", G, 1, 1, "n_generations");
    if (rc == TYNDAU_OK && h.st != TYNDAU_OK) rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s", h.err->msg);
    double *col = rc == TYNDAU_OK ? tyndau_calloc((size_t)G, sizeof *col) : NULL;
    if (rc == TYNDAU_OK && col == NULL) rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (int64_t t = 0; rc == TYNDAU_OK && t < G; t++)
        if (calib_new_gen(C) == NULL) rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    static const char *const names[9] = {"beta", "ess", "acceptance", "scale", "simulations", "failed", "elapsed_s",
                                         "loglik_median", "loglik_max"};
    for (int k = 0; rc == TYNDAU_OK && k < 9; k++) {
        tyndau_h5_read(&h, g, names[k], TYNDAU_H5_F64, (size_t)G, col);
        for (int64_t t = 0; h.st == TYNDAU_OK && t < G; t++) {
            calib_gen *gt = &C->gen[t];
            double v = col[t];
            switch (k) {
            case 0: gt->beta = v; break;
            case 1: gt->ess = v; break;
            case 2: gt->acceptance = v; break;
            case 3: gt->scale = v; break;
            case 4: gt->sims = (size_t)v; break;
            case 5: gt->failed = (size_t)v; break;
            case 6: gt->elapsed = v; break;
            case 7: gt->ll_median = v; break;
            default: gt->ll_max = v; break;
            }
        }
    }
    /* the diagnostics (schema 1.3); a partial file of 1.2 has none: NaN, and unique from the particles */
    static const char *const diag[8] = {"unique_resampled", "unique", "moved", "move_steps", "surrogate_scale",
                                        "surrogate_acceptance", "obs_scale", "obs_acceptance"};
    for (int k = 0; rc == TYNDAU_OK && col != NULL && k < 8; k++) {
        int have = tyndau_h5_exists(&h, g, diag[k]);
        if (have) tyndau_h5_read(&h, g, diag[k], TYNDAU_H5_F64, (size_t)G, col);
        for (int64_t t = 0; h.st == TYNDAU_OK && t < G; t++) {
            double v = have ? col[t] : NAN;
            calib_gen *gt = &C->gen[t];
            if (k == 0) gt->unique_resampled = v;
            else if (k == 1) gt->unique = v;
            else if (k == 2) gt->moved = v;
            else if (k == 3) gt->move_steps = v;
            else if (k == 4) gt->surrogate_scale = v;
            else if (k == 5) gt->surrogate_acceptance = v;
            else if (k == 6) gt->obs_scale = v;
            else gt->obs_acceptance = v;
        }
    }
    free(col);
    for (int64_t t = 0; rc == TYNDAU_OK && h.st == TYNDAU_OK && t < G; t++) {
        char nm[32];
        snprintf(nm, sizeof nm, "g%03lld", (long long)t);
        hid_t k = H5Gopen2(g, nm, H5P_DEFAULT);
        if (k < 0) tyndau_h5_fail(&h, TYNDAU_EINPUT, "no %s", nm);
        tyndau_h5_read(&h, k, "x", TYNDAU_H5_F64, N * d, C->gen[t].x);
        tyndau_h5_read(&h, k, "z", TYNDAU_H5_F64, N * d, C->gen[t].z);
        tyndau_h5_read(&h, k, "loglik", TYNDAU_H5_F64, N, C->gen[t].ll);
        tyndau_h5_read(&h, k, "seed", TYNDAU_H5_U64, N, C->gen[t].seed);
        if (h.st == TYNDAU_OK && isnan(C->gen[t].unique))
            C->gen[t].unique = (double)calib_unique(C->cfg.prior, C->gen[t].x, C->gen[t].seed, N, d);
        if (k >= 0) H5Gclose(k);
    }
    if (rc == TYNDAU_OK && h.st != TYNDAU_OK)
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: cannot read its generations (damaged file?)", C->partial);
    if (g >= 0) H5Gclose(g);
    tyndau_h5_close(&h);
    return rc;
}
