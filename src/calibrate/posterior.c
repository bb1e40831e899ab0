/*
 * posterior.c - what `tyndau calibrate` reports from its last generation: the posterior's
 * medians, 90% intervals and correlations with an identifiability report, the posterior
 * predictive check of every published cell (a new 1200-person survey simulated from posterior
 * draws), and the calibrated scenario that `tyndau run` accepts.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "calib.h"

extern const char tyndau_build_commit[];

void calib_summarise(const calib_t *C, calib_post *P)
{
    const calib_cfg *c = &C->cfg;
    const calib_gen *g = &C->gen[C->n_gen - 1];
    size_t N = c->particles, d = c->d;
    double *col = tyndau_calloc(N, sizeof *col), *gk = tyndau_calloc(N * d, sizeof *gk);
    if (!col || !gk) {
        free(col), free(gk);
        return;
    }
    for (size_t k = 0; k < d; k++) {
        for (size_t i = 0; i < N; i++) {
            col[i] = g->x[i * d + k];
            gk[k * N + i] = prior_g(&c->prior[k], col[i]);
        }
        gsl_sort(col, 1, N);
        P->median[k] = gsl_stats_median_from_sorted_data(col, 1, N);
        P->q05[k] = gsl_stats_quantile_from_sorted_data(col, 1, N, 0.05);
        P->q95[k] = gsl_stats_quantile_from_sorted_data(col, 1, N, 0.95);
        const prior_t *pr = &c->prior[k];
        double pw = prior_g(pr, prior_quantile(pr, 0.95)) - prior_g(pr, prior_quantile(pr, 0.05));
        P->ratio[k] = (prior_g(pr, P->q95[k]) - prior_g(pr, P->q05[k])) / pw;
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++)
            P->corr[a * d + b] = a == b ? 1.0 : gsl_stats_correlation(gk + a * N, 1, gk + b * N, 1, N);
    free(col), free(gk);
    /* identifiability report */
    size_t len = 0;
    char *r = P->report;
    size_t cap = sizeof P->report;
    len += (size_t)snprintf(r + len, cap - len, "posterior 90%% width / prior 90%% width (on the prior's scale: log "
                            "for loguniform):\n");
    for (size_t k = 0; k < d && len < cap; k++)
        len += (size_t)snprintf(r + len, cap - len, "  %-28s %.2f  %s\n", c->prior[k].name, P->ratio[k],
                                P->ratio[k] > 0.7 ? "weakly identified (posterior nearly as wide as the prior)"
                                : P->ratio[k] > 0.35 ? "partly identified" : "identified");
    int strong = 0;
    for (size_t a = 0; a < d && len < cap; a++)
        for (size_t b = a + 1; b < d && len < cap; b++)
            if (fabs(P->corr[a * d + b]) > 0.6) {
                if (!strong++) len += (size_t)snprintf(r + len, cap - len, "strong posterior correlations (|r| > 0.6):\n");
                len += (size_t)snprintf(r + len, cap - len, "  %s ~ %s: r = %+.2f (the data constrain a combination)\n",
                                        c->prior[a].name, c->prior[b].name, P->corr[a * d + b]);
            }
    if (!strong && len < cap) snprintf(r + len, cap - len, "no posterior correlation beyond |r| = 0.6\n");
}

void calib_ppc_free(calib_ppc *p)
{
    free(p->row), free(p->resp), free(p->observed), free(p->median), free(p->lo90), free(p->hi90);
    free(p->pop_median), free(p->null_pred), free(p->inside), free(p->fitted);
    free(p->lo90s), free(p->hi90s), free(p->inside_s);
    free(p->draw_x), free(p->draw_probs), free(p->draw_status);
}

tyndau_status calib_predictive(calib_t *C, calib_ppc *out, tyndau_error *err)
{
    const calib_cfg *c = &C->cfg;
    const tyndau_obs *o = &C->obs;
    const calib_gen *g = &C->gen[C->n_gen - 1];
    size_t D = c->predictive_draws, N = c->particles, d = c->d;
    memset(out, 0, sizeof *out);
    out->draws = D;
    double *x = tyndau_calloc(D * d, sizeof *x), *probs = tyndau_calloc(D * C->n_out, sizeof *probs);
    uint64_t *seed = tyndau_calloc(D, sizeof *seed);
    int *status = tyndau_calloc(D, sizeof *status);
    char(*msgs)[MANY_ERRLEN] = tyndau_calloc(D, sizeof *msgs);
    size_t nc = 0;
    for (size_t r = 0; r < o->n_rows; r++) nc += o->rows[r].n_resp;
    out->n_cells = nc;
    out->row = tyndau_calloc(nc, sizeof *out->row), out->resp = tyndau_calloc(nc, sizeof *out->resp);
    out->observed = tyndau_calloc(nc, sizeof(double)), out->median = tyndau_calloc(nc, sizeof(double));
    out->lo90 = tyndau_calloc(nc, sizeof(double)), out->hi90 = tyndau_calloc(nc, sizeof(double));
    out->pop_median = tyndau_calloc(nc, sizeof(double)), out->null_pred = tyndau_calloc(nc, sizeof(double));
    out->inside = tyndau_calloc(nc, sizeof(int)), out->fitted = tyndau_calloc(nc, sizeof(int));
    out->lo90s = tyndau_calloc(nc, sizeof(double)), out->hi90s = tyndau_calloc(nc, sizeof(double));
    out->inside_s = tyndau_calloc(nc, sizeof(int));
    double *sv = tyndau_calloc(D * nc, sizeof *sv), *pv = tyndau_calloc(D * nc, sizeof *pv), *ss = tyndau_calloc(D * nc, sizeof *ss);
    double *sb = tyndau_calloc(2 * D * nc, sizeof *sb); /* sampling alone at design effects 1 and 2 */
    if (!x || !probs || !seed || !status || !msgs || !out->row || !out->resp || !out->observed || !out->median ||
        !out->lo90 || !out->hi90 || !out->pop_median || !out->null_pred || !out->inside || !out->fitted || !sv || !pv ||
        !ss || !sb || !out->lo90s || !out->hi90s || !out->inside_s) {
        free(x), free(probs), free(seed), free(status), free(msgs), free(sv), free(pv), free(ss), free(sb);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    for (size_t k = 0; k < D; k++) {
        size_t i = (k * N) / D;
        memcpy(x + k * d, g->x + i * d, d * sizeof *x);
        seed[k] = many_seed(c->seed, K_PPC_SIM, 0, k);
    }
    calib_simulate(C, x, seed, D, probs, status, msgs, &out->failed);
    size_t D_ok = 0;
    double *shift = tyndau_calloc(C->n_out, sizeof *shift);
    for (size_t k = 0; shift != NULL && k < D; k++) {
        if (status[k]) continue;
        const double *pk = probs + k * C->n_out;
        tyndau_obs_error e = calib_obs_error(C, x + k * d);
        gsl_rng *rsl = calib_stream(c->seed, K_PPC_SURVEY, k, o->n_rows); /* the slope discrepancy (obs_slope.c) */
        if (rsl != NULL) tyndau_obs_slope_draw(o, &e, rsl, shift);
        gsl_rng_free(rsl);
        size_t cell = 0;
        for (size_t r = 0; r < o->n_rows; r++) {
            const tyndau_obs_row *w = &o->rows[r];
            double q[TYNDAU_OBS_STRIDE];
            unsigned int cnt[TYNDAU_OBS_STRIDE], cs[TYNDAU_OBS_STRIDE];
            gsl_rng *rr = calib_stream(c->seed, K_PPC_SURVEY, k, r);
            size_t K = tyndau_obs_row_probs(w, pk + r * TYNDAU_OBS_STRIDE, q);
            /* survey sampling alone, n / deff respondents, from its own stream (the intervals above
               stay as they are) */
            unsigned int n = (unsigned int)lround(w->n / c->deff);
            if (n == 0) n = 1;
            gsl_rng *rs = calib_stream(c->seed, K_PPC_SAMPLING, k, r);
            gsl_ran_multinomial(rs, K, n, q, cs);
            gsl_rng_free(rs);
            /* and at the bracket of a quota sample's design effect, 1 and 2 (SCIENCE_NOTES s4), each
               from a stream of its own (the stated one's draws when it is 1 or 2) */
            unsigned int cb[2][TYNDAU_OBS_STRIDE], nb[2];
            for (int v = 0; v < 2; v++) {
                if (c->deff == 1.0 + v) {
                    memcpy(cb[v], cs, sizeof cs);
                    nb[v] = n;
                    continue;
                }
                nb[v] = (unsigned int)lround(w->n / (1.0 + v));
                if (nb[v] == 0) nb[v] = 1;
                gsl_rng *rb = calib_stream(c->seed, K_PPC_SAMPLING, k, (1u + (unsigned)v) * 4096u + r);
                if (rb != NULL) gsl_ran_multinomial(rb, K, nb[v], q, cb[v]);
                else memset(cb[v], 0, sizeof cb[v]);
                gsl_rng_free(rb);
            }
            /* and with the model's error (the Dirichlet step or the family's discrepancy) */
            tyndau_obs_draw_row(w, q, shift + r * TYNDAU_OBS_STRIDE, &e, rr, cnt);
            gsl_rng_free(rr);
            for (size_t j = 0; j < w->n_resp; j++, cell++) {
                sv[cell * D + D_ok] = 100.0 * cnt[j] / (double)n;
                ss[cell * D + D_ok] = 100.0 * cs[j] / (double)n;
                for (int v = 0; v < 2; v++) sb[(size_t)v * D * nc + cell * D + D_ok] = 100.0 * cb[v][j] / (double)nb[v];
                pv[cell * D + D_ok] = 100.0 * pk[r * TYNDAU_OBS_STRIDE + j];
            }
        }
        D_ok++;
    }
    free(shift);
    size_t cell = 0;
    double *tmp = tyndau_calloc(D_ok, sizeof *tmp);
    for (size_t r = 0; r < o->n_rows; r++) {
        const tyndau_obs_row *w = &o->rows[r];
        int tot = tyndau_obs_find(o, w->question, "total", "all");
        for (size_t j = 0; j < w->n_resp; j++, cell++) {
            out->row[cell] = r, out->resp[cell] = j;
            out->observed[cell] = 100.0 * w->share[j];
            out->fitted[cell] = !w->held_out;
            out->null_pred[cell] = NAN;
            if (tot >= 0 && (size_t)tot != r)
                for (size_t k = 0; k < o->rows[tot].n_resp; k++)
                    if (strcmp(o->rows[tot].response[k], w->response[j]) == 0)
                        out->null_pred[cell] = 100.0 * o->rows[tot].share[k];
            if (D_ok == 0 || tmp == NULL) {
                out->median[cell] = out->lo90[cell] = out->hi90[cell] = out->pop_median[cell] = NAN;
                out->lo90s[cell] = out->hi90s[cell] = NAN;
                continue;
            }
            memcpy(tmp, ss + cell * D, D_ok * sizeof *tmp);
            gsl_sort(tmp, 1, D_ok);
            out->lo90s[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.05);
            out->hi90s[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.95);
            double lo95s = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.025);
            double hi95s = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.975);
            double lo95b[2], hi95b[2];
            for (int v = 0; v < 2; v++) {
                memcpy(tmp, sb + (size_t)v * D * nc + cell * D, D_ok * sizeof *tmp);
                gsl_sort(tmp, 1, D_ok);
                lo95b[v] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.025);
                hi95b[v] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.975);
            }
            memcpy(tmp, sv + cell * D, D_ok * sizeof *tmp);
            gsl_sort(tmp, 1, D_ok);
            out->median[cell] = gsl_stats_median_from_sorted_data(tmp, 1, D_ok);
            out->lo90[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.05);
            out->hi90[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.95);
            double lo95 = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.025);
            double hi95 = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.975);
            memcpy(tmp, pv + cell * D, D_ok * sizeof *tmp);
            gsl_sort(tmp, 1, D_ok);
            out->pop_median[cell] = gsl_stats_median_from_sorted_data(tmp, 1, D_ok);
            double obs = out->observed[cell];
            out->inside[cell] = obs >= out->lo90[cell] - 1e-9 && obs <= out->hi90[cell] + 1e-9;
            out->inside_s[cell] = obs >= out->lo90s[cell] - 1e-9 && obs <= out->hi90s[cell] + 1e-9;
            double abs_err = fabs(out->pop_median[cell] - obs);
            if (out->fitted[cell]) {
                out->n_fit++;
                out->n_fit_inside += (size_t)out->inside[cell];
                out->n_fit_inside_s += (size_t)out->inside_s[cell];
                out->n_fit_inside95 += obs >= lo95 - 1e-9 && obs <= hi95 + 1e-9;
                out->n_fit_inside95_s += obs >= lo95s - 1e-9 && obs <= hi95s + 1e-9;
                for (int v = 0; v < 2; v++) out->n_fit_inside95_b[v] += obs >= lo95b[v] - 1e-9 && obs <= hi95b[v] + 1e-9;
                out->mae_model_fit += abs_err;
            } else {
                out->n_ho++;
                out->n_ho_inside += (size_t)out->inside[cell];
                out->mae_model_ho_all += abs_err;
                if (!isnan(out->null_pred[cell])) {
                    out->n_ho_null++;
                    out->mae_model_ho += abs_err;
                    out->mae_null_ho += fabs(out->null_pred[cell] - obs);
                }
            }
        }
    }
    out->mae_model_fit = out->n_fit ? out->mae_model_fit / (double)out->n_fit : NAN;
    out->mae_model_ho_all = out->n_ho ? out->mae_model_ho_all / (double)out->n_ho : NAN;
    out->mae_model_ho = out->n_ho_null ? out->mae_model_ho / (double)out->n_ho_null : NAN;
    out->mae_null_ho = out->n_ho_null ? out->mae_null_ho / (double)out->n_ho_null : NAN;
    out->draw_x = x, out->draw_probs = probs, out->draw_status = status; /* kept for leaveout.c */
    free(tmp), free(seed), free(msgs), free(sv), free(pv), free(ss), free(sb);
    if (D_ok == 0) return TYNDAU_ERR(err, TYNDAU_EINPUT, "every predictive simulation failed");
    return TYNDAU_OK;
}

/* The calibrated scenario: the base scenario's non-default values with the posterior medians on top. */
char *calib_scenario_ini(const calib_t *C, const calib_post *P)
{
    const calib_cfg *c = &C->cfg;
    tyndau_params p = C->base, def;
    tyndau_params_default(&def);
    for (size_t k = 0; k < c->d; k++)
        if (c->prior[k].param >= 0) tyndau_params_put(&p, (size_t)c->prior[k].param, P->median[k]);
    size_t cap = 65536, len = 0;
    char *s = tyndau_calloc(cap, 1);
    if (s == NULL) return NULL;
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
#define ADD(...) (len += (size_t)snprintf(s + len, len < cap ? cap - len : 0, __VA_ARGS__))
    ADD("; Calibrated scenario written by 'tyndau calibrate' (tyndau %s, commit %s) on %s.\n", TYNDAU_VERSION,
        tyndau_build_commit, date);
    ADD("; Calibration file %s, seed %" PRIu64 ", %zu particles, %zu agents per simulation, %zu simulations;\n",
        c->file.path, c->seed, c->particles, c->agents, C->gen[C->n_gen - 1].sims);
    ADD("; base scenario %s; status %s%s%s.\n", C->sc.source, C->status, C->n_holdout ? "; held out: " : "",
        C->holdout_joined);
    ADD("; Calibrated values are posterior medians, with the 90%% posterior interval beside each.\n");
    ADD("; Survey figures: Kurmanov, Selteyev & Almaganbetov (2024), Central Asian Survey 43(2),\n");
    ADD("; 235-256, doi:10.1080/02634937.2023.2268652.\n\n[scenario]\nname = %s_calibrated\n", C->sc.name);
    ADD("description = %s, calibrated (seed %" PRIu64 ")\n", C->sc.name, c->seed);
    const char *cats[64];
    size_t ncat = 0;
    for (size_t i = 0; i < tyndau_n_params; i++) {
        int seen = 0;
        for (size_t k = 0; k < ncat; k++) seen |= strcmp(cats[k], tyndau_param_table[i].category) == 0;
        if (!seen && ncat < 64) cats[ncat++] = tyndau_param_table[i].category;
    }
    for (size_t k = 0; k < ncat; k++) {
        int header = 0;
        for (size_t i = 0; i < tyndau_n_params; i++) {
            if (strcmp(tyndau_param_table[i].category, cats[k]) != 0) continue;
            int cal = -1;
            for (size_t j = 0; j < c->d; j++)
                if (c->prior[j].param == (int)i) cal = (int)j;
            if (cal < 0 && tyndau_params_get(&p, i) == tyndau_params_get(&def, i)) continue;
            if (!header++) ADD("\n[%s]\n", cats[k]);
            char v[64];
            tyndau_params_format(&p, i, v, sizeof v);
            if (cal >= 0) /* six digits: far finer than the posterior's width */
                ADD("%s = %.6g ; calibrated: 90%% interval [%.4g, %.4g]\n", tyndau_param_table[i].name,
                    P->median[cal], P->q05[cal], P->q95[cal]);
            else
                ADD("%s = %s\n", tyndau_param_table[i].name, v);
        }
    }
#undef ADD
    if (len >= cap) {
        free(s);
        return NULL;
    }
    return s;
}

/* A model-error sd's line of the report (a family's discrepancy, a breakdown's slope): the
 * posterior median and 90% interval of calibrated quantity k, about pp at p = 0.4; or the fixed
 * value given; nothing when neither. */
static void print_sd(const calib_post *P, const char *name, int k, int given, double fixed)
{
    if (k >= 0)
        printf("  %-12s %.3f [%.3f, %.3f]  ~%.1f pp\n", name, P->median[k], P->q05[k], P->q95[k],
               100.0 * 0.24 * P->median[k]);
    else if (given)
        printf("  %-12s %.3f (fixed)\n", name, fixed);
}

void calib_print_report(const calib_t *C, const calib_post *P, const calib_ppc *Q)
{
    if (C->mc.rank != 0) return;
    const calib_cfg *c = &C->cfg;
    const calib_gen *g = &C->gen[C->n_gen - 1];
    printf("calibration: %s (%s), %zu generations, %zu simulations of %zu agents, final beta %.4g\n", c->file.path,
           C->status, C->n_gen - 1, g->sims, c->agents, g->beta);
    printf("\n%-30s %12s %12s %12s %12s %12s\n", "parameter", "median", "q05", "q95", "prior q05", "prior q95");
    for (size_t k = 0; k < c->d; k++)
        printf("%-30s %12.4g %12.4g %12.4g %12.4g %12.4g\n", c->prior[k].name, P->median[k], P->q05[k], P->q95[k],
               prior_quantile(&c->prior[k], 0.05), prior_quantile(&c->prior[k], 0.95));
    size_t rl = strlen(P->report); /* a report cut at its buffer's end still ends its line */
    printf("\nidentifiability\n%s%s%s", P->report, rl && P->report[rl - 1] != '\n' ? "\n" : "", P->ident_report);
    printf("\nposterior predictive check (90%% intervals of a new 1200-person survey)\n");
    printf("%-40s %-14s %7s %7s %15s %s\n", "question", "group", "obs", "median", "90% interval", "");
    const tyndau_obs *o = &C->obs;
    for (size_t i = 0; i < Q->n_cells; i++) {
        const tyndau_obs_row *r = &o->rows[Q->row[i]];
        char qn[96], gn[48], iv[48];
        snprintf(qn, sizeof qn, "%s/%s", r->question, r->response[Q->resp[i]]);
        snprintf(gn, sizeof gn, "%s", r->group);
        snprintf(iv, sizeof iv, "[%.1f, %.1f]", Q->lo90[i], Q->hi90[i]);
        printf("%-40.40s %-14s %7.1f %7.1f %15s %s%s\n", qn, gn, Q->observed[i], Q->median[i], iv,
               Q->inside[i] ? "inside" : "OUTSIDE", Q->fitted[i] ? "" : " (held out)");
    }
    printf("\nfitted cells inside their 90%% predictive interval: %zu of %zu (%.1f%%); mean absolute error %.2f pp\n",
           Q->n_fit_inside, Q->n_fit, Q->n_fit ? 100.0 * (double)Q->n_fit_inside / (double)Q->n_fit : 0.0,
           Q->mae_model_fit);
    if (c->dm || c->kind == TYNDAU_OBS_LOGIT_NORMAL)
        printf("the same without the model-error term (survey sampling only, design effect %g): %zu of %zu inside\n",
               c->deff, Q->n_fit_inside_s, Q->n_fit);
    printf("inside their 95%% intervals: %zu of %zu with the model-error term, %zu with survey sampling alone "
           "(design effect %g; %zu at 1 and %zu at 2, the bracket of a quota sample's)\n",
           Q->n_fit_inside95, Q->n_fit, Q->n_fit_inside95_s, c->deff, Q->n_fit_inside95_b[0], Q->n_fit_inside95_b[1]);
    if (c->kind == TYNDAU_OBS_LOGIT_NORMAL) {
        printf("model discrepancy by question family (logit-scale sd; posterior median [90%%], about pp at p = 0.4):\n");
        for (int f = 0; f < TYNDAU_N_FAM; f++)
            print_sd(P, tyndau_obs_family_names[f], c->disc_dim[f], c->disc_given[f], c->disc_fixed[f]);
        printf("slope discrepancy by breakdown (logit-scale sd of the gradient the model misses, per group step; "
               "posterior median [90%%], about pp per step at p = 0.4):\n");
        for (int k = 0; k < TYNDAU_N_SLOPE; k++)
            print_sd(P, tyndau_obs_slope_names[k], c->slope_dim[k], c->slope_given[k], c->slope_fixed[k]);
    }
    if (Q->n_ho) {
        printf("held-out cells inside: %zu of %zu; mean absolute error %.2f pp\n", Q->n_ho_inside, Q->n_ho,
               Q->mae_model_ho_all);
        if (Q->n_ho_null)
            printf("held-out group cells (%zu): model MAE %.2f pp, null model (group = its total row) MAE %.2f pp\n",
                   Q->n_ho_null, Q->mae_model_ho, Q->mae_null_ho);
    }
    printf("\nwrote %s and %s\n", C->out, C->ini_path);
}
