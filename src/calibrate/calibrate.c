/*
 * calibrate.c - `tyndau calibrate CALIB.ini`: adaptive ABC-SMC against the 2021 survey.
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
 * simulations run through the run-many layer (many.c), and every rank repeats the
 * (cheap) SMC arithmetic on identical inputs, so the posterior is the same bits
 * whatever the thread or rank count, and a resumed run repeats an uninterrupted one.
 *
 * Files: OUT.partial is rewritten (temporary name, then rename) after every
 * generation, so a kill leaves the last complete generation on disk; --resume
 * continues from it.  At the end OUT gets the whole record plus the posterior,
 * predictive check and identifiability report, and OUT's stem + ".ini" the
 * calibrated scenario.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "engine/cfgfile.h"
#include "engine/h5w.h"
#include "engine/many.h"
#include "obs.h"
#include "engine/prior.h"
#include "scenario.h"
#include "tyndau.h"

extern const char tyndau_embedded_baseline[];
extern const char tyndau_embedded_marginals[];
extern const char tyndau_build_commit[];

#define MAXD 48
#define MAX_HOLDOUT 32

/* Stream kinds for many_seed. */
enum { K_PRIOR = 1, K_SIM, K_RESAMPLE, K_PROPOSE, K_PPC_SIM, K_PPC_SURVEY, K_PPC_SAMPLING };

static const char usage_calibrate[] =
    "usage: tyndau calibrate CALIB.ini [-o FILE.h5] [--holdout QUESTION[:GROUP_TYPE] ...]\n"
    "                        [--resume] [--threads T] [--quiet]\n"
    "\n"
    "Calibrates the scenario named in CALIB.ini against the published survey by\n"
    "ABC-SMC (docs/calibration.md) and writes FILE.h5 (default: the calibration\n"
    "file's stem + .h5) with every generation, the posterior, the posterior\n"
    "predictive check and an identifiability report, and FILE_calibrated.ini, the\n"
    "calibrated scenario (posterior medians) that 'tyndau run' accepts.\n"
    "\n"
    "  -o, --output FILE     output file (FILE.partial while running)\n"
    "      --holdout Q[:GT]  leave question Q (or only its GT rows: total, age,\n"
    "                        income) out of the fit and predict it (repeatable)\n"
    "      --resume          continue from FILE.partial after a kill; the result is\n"
    "                        the same as an uninterrupted run\n"
    "  -t, --threads T       OpenMP threads per process (default: all cores); under\n"
    "                        mpirun the particles are also spread over the ranks;\n"
    "                        results depend on neither\n"
    "  -q, --quiet           no progress lines\n"
    "  -h, --help            this text\n";

typedef struct {
    cfg_file file; /* the calibration file: path, text, parse state */
    char scenario[PATH_MAX], targets[PATH_MAX];
    size_t agents;
    uint64_t seed;
    size_t particles;
    double ess_fraction;
    int moves, crn_moves, max_generations;
    size_t max_simulations, predictive_draws;
    double age_prior_sd;
    int dm;
    double concentration; /* fixed DM concentration (when no prior) */
    int conc_dim;         /* dimension of the concentration, -1 when fixed or multinomial */
    tyndau_obs_breakdown breakdown;
    prior_t prior[MAXD];
    size_t d;
} cfg_t;

/* ------------------------------------------------------------------------- */
/* Errors                                                                      */

static int parse_prior(cfg_t *c, prior_t *pr, const char *key, const char *value, double pmin, double pmax)
{
    char msg[300];
    if (prior_parse(pr, key, value, pmin, pmax, msg, sizeof msg) != 0) return cfg_error(&c->file, "%s", msg);
    pr->line = c->file.lineno;
    return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    cfg_t *c = user;
    if (c->file.err[0]) return 0;
    int sec = strcmp(section, "calibration") == 0 ? 1 : strcmp(section, "likelihood") == 0 ? 2
            : strcmp(section, "priors") == 0 ? 3 : 0;
    if (sec == 0)
        return cfg_error(&c->file, "unknown section [%s], expected [calibration], [likelihood] or [priors]",
                        section);
    if (cfg_seen(&c->file, section, name)) return cfg_error(&c->file, "key '%s' appears twice", name);
    if (value[0] == '\0') return cfg_error(&c->file, "key '%s': empty value", name);
    size_t u;
    double x;
    if (sec == 1) {
        if (strcmp(name, "scenario") == 0) return cfg_key_path(&c->file, name, value, c->scenario);
        if (strcmp(name, "targets") == 0) return cfg_key_path(&c->file, name, value, c->targets);
        if (strcmp(name, "agents") == 0) return cfg_key_count(&c->file, name, value, 100, 100000000, &c->agents);
        if (strcmp(name, "seed") == 0) return cfg_key_u64(&c->file, name, value, &c->seed);
        if (strcmp(name, "particles") == 0) return cfg_key_count(&c->file, name, value, 8, 100000, &c->particles);
        if (strcmp(name, "ess_fraction") == 0) {
            if (prior_parse_real(value, &x) != 0 || !(x > 0.05 && x < 0.99))
                return cfg_error(&c->file, "key 'ess_fraction': expected a number in (0.05, 0.99), got '%s'", value);
            c->ess_fraction = x;
            return 1;
        }
        if (strcmp(name, "moves") == 0 || strcmp(name, "crn_moves") == 0 ||
            strcmp(name, "max_generations") == 0) {
            size_t lo = strcmp(name, "moves") == 0 ? 1 : 0, hi = strcmp(name, "max_generations") == 0 ? 1000 : 20;
            if (strcmp(name, "max_generations") == 0) lo = 1;
            if (cfg_count(value, lo, hi, &u) != 0)
                return cfg_error(&c->file, "key '%s': expected a whole number from %zu to %zu, got '%s'", name, lo, hi, value);
            if (name[0] == 'm' && name[1] == 'o') c->moves = (int)u;
            else if (name[0] == 'c') c->crn_moves = (int)u;
            else c->max_generations = (int)u;
            return 1;
        }
        if (strcmp(name, "max_simulations") == 0) return cfg_key_count(&c->file, name, value, 1, 100000000, &c->max_simulations);
        if (strcmp(name, "predictive_draws") == 0) return cfg_key_count(&c->file, name, value, 10, 100000, &c->predictive_draws);
        if (strcmp(name, "age_prior_sd") == 0) {
            if (prior_parse_real(value, &x) != 0 || !(x > 0.0 && x <= 1.0))
                return cfg_error(&c->file, "key 'age_prior_sd': expected a share in (0, 1], got '%s'", value);
            c->age_prior_sd = x;
            return 1;
        }
        return cfg_error(&c->file, "unknown key '%s' in [calibration], expected scenario, targets, agents, seed, "
                        "particles, ess_fraction, moves, crn_moves, max_generations, max_simulations, "
                        "predictive_draws or age_prior_sd", name);
    }
    if (sec == 2) {
        if (strcmp(name, "model") == 0) {
            if (strcmp(value, "multinomial") == 0) c->dm = 0;
            else if (strcmp(value, "dirichlet-multinomial") == 0) c->dm = 1;
            else return cfg_error(&c->file, "key 'model': expected multinomial or dirichlet-multinomial, got '%s'", value);
            return 1;
        }
        if (strcmp(name, "breakdowns") == 0) {
            if (strcmp(value, "split") == 0) c->breakdown = TYNDAU_OBS_SPLIT;
            else if (strcmp(value, "full") == 0) c->breakdown = TYNDAU_OBS_FULL;
            else return cfg_error(&c->file, "key 'breakdowns': expected split or full, got '%s'", value);
            return 1;
        }
        if (strcmp(name, "concentration") == 0) {
            if (prior_parse_real(value, &x) == 0) {
                if (!(x > 0.0)) return cfg_error(&c->file, "key 'concentration': expected > 0, got '%s'", value);
                c->concentration = x;
                return 1;
            }
            if (c->d == MAXD) return cfg_error(&c->file, "more than %d calibrated quantities", MAXD);
            prior_t *pr = &c->prior[c->d];
            if (!parse_prior(c, pr, name, value, 1e-3, 1e9)) return 0;
            pr->param = -1;
            c->conc_dim = (int)c->d++;
            return 1;
        }
        return cfg_error(&c->file, "unknown key '%s' in [likelihood], expected model, concentration or breakdowns", name);
    }
    /* [priors] */
    if (c->d == MAXD) return cfg_error(&c->file, "more than %d calibrated quantities", MAXD);
    if (!cfg_key_param(&c->file, name, value, "calibrated", &c->prior[c->d])) return 0;
    c->d++;
    return 1;
}

static int cfg_load(cfg_t *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->agents = 50000;
    c->seed = 1;
    c->particles = 200;
    c->ess_fraction = 0.5;
    c->moves = 2;
    c->crn_moves = 1;
    c->max_generations = 60;
    c->max_simulations = 40000;
    c->predictive_draws = 200;
    c->age_prior_sd = 0.02;
    c->conc_dim = -1;
    c->breakdown = TYNDAU_OBS_SPLIT;
    int rc = cfg_parse(&c->file, path, on_key, c);
    if (rc != 0) return rc;
    if (c->d == 0 || (c->d == 1 && c->conc_dim == 0)) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: no parameters to calibrate: expected a [priors] section with at "
                 "least one 'parameter = SHAPE ...' line", path);
        return 2;
    }
    if (c->crn_moves > c->moves) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: crn_moves (%d) exceeds moves (%d)", path, c->crn_moves, c->moves);
        return 2;
    }
    if (!c->dm && (c->conc_dim >= 0 || c->concentration > 0.0)) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: a concentration is given but the likelihood model is multinomial; "
                 "expected 'model = dirichlet-multinomial'", path);
        return 2;
    }
    if (c->dm && c->conc_dim < 0 && !(c->concentration > 0.0)) {
        cfg_say(c->file.err, sizeof c->file.err, "%s: the dirichlet-multinomial model needs 'concentration' (a number or "
                 "a prior) in [likelihood]", path);
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Random streams                                                              */

static gsl_rng *stream(uint64_t root, int kind, uint64_t a, uint64_t b)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r != NULL) gsl_rng_set(r, (unsigned long)many_seed(root, (uint64_t)kind, a, b));
    return r;
}

/* ------------------------------------------------------------------------- */
/* Simulations through the run-many layer                                      */

typedef struct {
    const cfg_t *cfg;
    const tyndau_params *base;
    const tyndau_obs *obs;
    const double *x;       /* [n][d] parameter values of each job */
    const uint64_t *seed;  /* [n] model seed of each job */
} sim_ctx;

static int sim_job(size_t i, double *out, char errmsg[MANY_ERRLEN], void *user)
{
    const sim_ctx *s = user;
    const cfg_t *c = s->cfg;
    tyndau_params p = *s->base;
    for (size_t k = 0; k < c->d; k++) {
        if (c->prior[k].param < 0) continue;
        const tyndau_param_info *pi = &tyndau_param_table[c->prior[k].param];
        *(double *)(void *)((char *)&p + pi->offset) = s->x[i * c->d + k];
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_params_check(&p, &err) != TYNDAU_OK) {
        cfg_say(errmsg, MANY_ERRLEN, "%s", err.msg);
        return err.status;
    }
    tyndau_model *m = tyndau_model_new(&p, c->agents, s->seed[i], &err);
    tyndau_status st = m ? tyndau_model_run(m, NULL, NULL, &err) : err.status;
    if (st == TYNDAU_OK) st = tyndau_obs_extract(s->obs, m, out, &err);
    tyndau_model_free(m);
    if (st != TYNDAU_OK) {
        cfg_say(errmsg, MANY_ERRLEN, "%s", err.msg);
        return st;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* State                                                                       */

typedef struct {
    double beta, ess, acceptance, scale, elapsed, ll_median, ll_max;
    size_t sims, failed;
    double *x, *z, *ll;
    uint64_t *seed;
} gen_t;

typedef struct {
    cfg_t cfg;
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
    int quiet;
    gen_t *gen;
    size_t n_gen, cap_gen;
    const char *status; /* "running", "complete", "budget_exhausted" */
    size_t n_out;       /* doubles per simulation */
} calib_t;

static double kappa_of(const calib_t *C, const double *x)
{
    const cfg_t *c = &C->cfg;
    if (!c->dm) return 0.0;
    return c->conc_dim >= 0 ? x[c->conc_dim] : c->concentration;
}

static gen_t *new_gen(calib_t *C)
{
    if (C->n_gen == C->cap_gen) {
        size_t cap = C->cap_gen ? 2 * C->cap_gen : 16;
        gen_t *g = realloc(C->gen, cap * sizeof *g);
        if (g == NULL) return NULL;
        C->gen = g;
        C->cap_gen = cap;
    }
    size_t N = C->cfg.particles, d = C->cfg.d;
    gen_t *g = &C->gen[C->n_gen];
    memset(g, 0, sizeof *g);
    g->x = calloc(N * d, sizeof *g->x);
    g->z = calloc(N * d, sizeof *g->z);
    g->ll = calloc(N, sizeof *g->ll);
    g->seed = calloc(N, sizeof *g->seed);
    if (!g->x || !g->z || !g->ll || !g->seed) {
        free(g->x), free(g->z), free(g->ll), free(g->seed);
        return NULL;
    }
    C->n_gen++;
    return g;
}

static void gen_stats(const calib_t *C, gen_t *g)
{
    size_t N = C->cfg.particles;
    double *tmp = malloc(N * sizeof *tmp);
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

/* ------------------------------------------------------------------------- */
/* Output                                                                      */

static void write_common(calib_t *C, h5w *w)
{
    const cfg_t *c = &C->cfg;
    hid_t f = w->file;
    char buf[64];
    h5w_provenance(w, f, "tyndau-calibration", C->command_line);
    h5w_attr_str(w, f, "status", C->status);
    h5w_attr_str(w, f, "calibration_file", c->file.path);
    h5w_attr_str(w, f, "calibration_text", c->file.text);
    h5w_attr_str(w, f, "scenario_source", C->sc.source);
    h5w_attr_str(w, f, "scenario_text", C->sc.text);
    h5w_attr_str(w, f, "targets_source", C->targets_source);
    h5w_attr_str(w, f, "holdout", C->holdout_joined);
    snprintf(buf, sizeof buf, "%016" PRIx64, C->fingerprint);
    h5w_attr_str(w, f, "fingerprint", buf);
    h5w_attr_int(w, f, "seed", (long long)c->seed);
    h5w_attr_str(w, f, "seed_text", (snprintf(buf, sizeof buf, "%" PRIu64, c->seed), buf));
    h5w_attr_int(w, f, "agents", (long long)c->agents);
    h5w_attr_int(w, f, "particles", (long long)c->particles);
    h5w_attr_int(w, f, "ranks", C->mc.size);
    h5w_attr_int(w, f, "threads_per_rank", C->mc.threads);
    h5w_attr_str(w, f, "likelihood", c->dm ? "dirichlet-multinomial" : "multinomial");
    h5w_attr_str(w, f, "breakdowns", c->breakdown == TYNDAU_OBS_SPLIT ? "split" : "full");
    h5w_attr_str(w, f, "method", "adaptive ABC-SMC, likelihood-tempered multinomial kernel, pseudo-marginal "
                                  "MH moves with common random numbers (docs/calibration.md)");
    h5w_attr_str(w, f, "citation", "Kurmanov, Selteyev & Almaganbetov (2024), Central Asian Survey 43(2), "
                                    "235-256, doi:10.1080/02634937.2023.2268652");

    /* priors */
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
    hid_t g = h5w_group(w, f, "priors");
    h5w_attr_str(w, g, "description", "one entry per calibrated quantity; uniform/loguniform: a = lo, b = hi; "
                                       "normal: a = mean, b = sd, truncated to [lo, hi]");
    h5w_strs(w, g, "name", names, d);
    h5w_strs(w, g, "shape", shapes, d);
    h5w_f64(w, g, "a", a, d, 0);
    h5w_f64(w, g, "b", b, d, 0);
    h5w_f64(w, g, "lo", lo, d, 0);
    h5w_f64(w, g, "hi", hi, d, 0);
    h5w_f64(w, g, "q05", q05, d, 0);
    h5w_f64(w, g, "q95", q95, d, 0);
    h5w_close_group(w, g);

    /* observation model */
    const tyndau_obs *o = &C->obs;
    size_t R = o->n_rows;
    const char **q = calloc(R, sizeof *q), **gt = calloc(R, sizeof *gt), **gr = calloc(R, sizeof *gr);
    double *n = calloc(R, sizeof *n), *wt = calloc(R, sizeof *wt);
    int *ho = calloc(R, sizeof *ho);
    if (q && gt && gr && n && wt && ho) {
        for (size_t r = 0; r < R; r++) {
            q[r] = o->rows[r].question, gt[r] = o->rows[r].group_type, gr[r] = o->rows[r].group;
            n[r] = o->rows[r].n, wt[r] = o->rows[r].weight, ho[r] = o->rows[r].held_out;
        }
        g = h5w_group(w, f, "observation");
        h5w_attr_str(w, g, "description", "multinomial rows: estimated respondents n, likelihood weight, held out");
        h5w_attr_f64(w, g, "survey_n", o->survey_n);
        h5w_attr_f64(w, g, "concentration_fixed", c->dm && c->conc_dim < 0 ? c->concentration : NAN);
        h5w_strs(w, g, "question", q, R);
        h5w_strs(w, g, "group_type", gt, R);
        h5w_strs(w, g, "group", gr, R);
        h5w_f64(w, g, "n", n, R, 0);
        h5w_f64(w, g, "weight", wt, R, 0);
        h5w_int(w, g, "held_out", ho, R);
        const tyndau_subgroups *sg[2] = {&o->age, &o->income};
        const char *sgn[2] = {"age", "income"};
        for (int s = 0; s < 2; s++) {
            if (sg[s]->n_groups == 0) continue;
            hid_t h = h5w_group(w, g, sgn[s]);
            const char *gn[TYNDAU_SUBGROUPS_MAX];
            for (size_t k = 0; k < sg[s]->n_groups; k++) gn[k] = sg[s]->group[k];
            h5w_attr_str(w, h, "description", "estimated share of respondents per group (subgroups.c) and its SE");
            h5w_strs(w, h, "group", gn, sg[s]->n_groups);
            h5w_f64(w, h, "share", sg[s]->share, sg[s]->n_groups, 0);
            h5w_f64(w, h, "se", sg[s]->se, sg[s]->n_groups, 0);
            h5w_close_group(w, h);
        }
        h5w_close_group(w, g);
    } else {
        w->failed = 1;
        snprintf(w->msg, sizeof w->msg, "out of memory");
    }
    free(q), free(gt), free(gr), free(n), free(wt), free(ho);

    /* generations */
    size_t G = C->n_gen, N = c->particles;
    double *col = calloc(G ? G : 1, sizeof *col);
    g = h5w_group(w, f, "generations");
    h5w_attr_int(w, g, "n_generations", (long long)G);
    h5w_attr_str(w, g, "description", "one entry per completed generation (0: the prior sample); gNNN holds "
                                       "the particles after that generation's move step (equal weights)");
    if (col) {
#define COL(field, nm)                                                                    \
    do {                                                                                  \
        for (size_t t = 0; t < G; t++) col[t] = (double)C->gen[t].field;                  \
        h5w_f64(w, g, nm, col, G, 0);                                                     \
    } while (0)
        COL(beta, "beta");
        for (size_t t = 0; t < G; t++) col[t] = C->gen[t].beta > 0 ? 1.0 / C->gen[t].beta : INFINITY;
        h5w_f64(w, g, "tolerance", col, G, 0);
        COL(ess, "ess");
        COL(acceptance, "acceptance");
        COL(scale, "scale");
        COL(sims, "simulations");
        COL(failed, "failed");
        COL(elapsed, "elapsed_s");
        COL(ll_median, "loglik_median");
        COL(ll_max, "loglik_max");
#undef COL
    }
    free(col);
    for (size_t t = 0; t < G; t++) {
        char nm[32];
        snprintf(nm, sizeof nm, "g%03zu", t);
        hid_t h = h5w_group(w, g, nm);
        h5w_f64(w, h, "x", C->gen[t].x, N, c->d);
        h5w_f64(w, h, "z", C->gen[t].z, N, c->d);
        h5w_f64(w, h, "loglik", C->gen[t].ll, N, 0);
        h5w_u64(w, h, "seed", C->gen[t].seed, N);
        h5w_close_group(w, h);
    }
    h5w_close_group(w, g);
}

static int write_partial(calib_t *C)
{
    if (C->mc.rank != 0) return 0;
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", C->partial);
    h5w w;
    if (h5w_create(&w, tmp) == 0) write_common(C, &w);
    if (h5w_close(&w) != 0 || rename(tmp, C->partial) != 0) {
        fprintf(stderr, "tyndau: %s: %s\n", C->partial, w.failed ? w.msg : strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Resume                                                                      */

static int resume(calib_t *C, char *err, size_t errlen)
{
    struct stat st;
    if (stat(C->partial, &st) != 0) {
        cfg_say(err, errlen, "--resume: %s does not exist (nothing to resume; run without --resume)", C->partial);
        return 2;
    }
    hid_t f = H5Fopen(C->partial, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        cfg_say(err, errlen, "--resume: %s: not a readable HDF5 file", C->partial);
        return 2;
    }
    char *fp = NULL;
    char want[32];
    snprintf(want, sizeof want, "%016" PRIx64, C->fingerprint);
    int rc = 0;
    long long G = 0;
    hid_t g = -1;
    if (h5r_attr_str(f, "fingerprint", &fp) != 0 || strcmp(fp, want) != 0) {
        cfg_say(err, errlen, "--resume: %s was made by a different calibration (the calibration file, its "
                 "scenario, the targets or the holdouts differ); remove it or run without --resume", C->partial);
        rc = 2;
        goto out;
    }
    g = H5Gopen2(f, "generations", H5P_DEFAULT);
    if (g < 0 || h5r_attr_int(g, "n_generations", &G) != 0 || G < 1) {
        cfg_say(err, errlen, "--resume: %s holds no complete generation", C->partial);
        rc = 2;
        goto out;
    }
    size_t N = C->cfg.particles, d = C->cfg.d;
    double *col = calloc((size_t)G, sizeof *col);
    if (col == NULL) {
        rc = 1;
        goto out;
    }
    for (long long t = 0; t < G; t++)
        if (new_gen(C) == NULL) rc = 1;
#define RD(field, nm, type)                                                                   \
    if (rc == 0 && h5r_f64(g, nm, col, (size_t)G) != 0) rc = 2;                              \
    for (long long t = 0; rc == 0 && t < G; t++) C->gen[t].field = (type)col[t];
    RD(beta, "beta", double)
    RD(ess, "ess", double)
    RD(acceptance, "acceptance", double)
    RD(scale, "scale", double)
    RD(sims, "simulations", size_t)
    RD(failed, "failed", size_t)
    RD(elapsed, "elapsed_s", double)
    RD(ll_median, "loglik_median", double)
    RD(ll_max, "loglik_max", double)
#undef RD
    free(col);
    for (long long t = 0; rc == 0 && t < G; t++) {
        char nm[32];
        snprintf(nm, sizeof nm, "g%03lld", t);
        hid_t h = H5Gopen2(g, nm, H5P_DEFAULT);
        if (h < 0 || h5r_f64(h, "x", C->gen[t].x, N * d) != 0 || h5r_f64(h, "z", C->gen[t].z, N * d) != 0 ||
            h5r_f64(h, "loglik", C->gen[t].ll, N) != 0 || h5r_u64(h, "seed", C->gen[t].seed, N) != 0)
            rc = 2;
        if (h >= 0) H5Gclose(h);
    }
    if (rc != 0) cfg_say(err, errlen, "--resume: %s: cannot read its generations (damaged file?)", C->partial);
out:
    free(fp);
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* SMC                                                                         */

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

static void progress_line(const calib_t *C, const gen_t *g, size_t t)
{
    if (C->quiet || C->mc.rank != 0) return;
    fprintf(stderr,
            "calibrate: generation %zu  beta %.4g  tolerance %.4g  ESS %.1f/%zu  acceptance %.3f  "
            "median loglik %.2f  simulations %zu  failed %zu  %.1f s\n",
            t, g->beta, g->beta > 0 ? 1.0 / g->beta : INFINITY, g->ess, C->cfg.particles,
            g->acceptance, g->ll_median, g->sims, g->failed, g->elapsed);
}

static int simulate(calib_t *C, const double *x, const uint64_t *seed, size_t n, double *probs,
                    int *status, char (*msgs)[MANY_ERRLEN], size_t *failed)
{
    sim_ctx s = {&C->cfg, &C->base, &C->obs, x, seed};
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
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_smc(calib_t *C)
{
    const cfg_t *c = &C->cfg;
    size_t N = c->particles, d = c->d;
    double *probs = malloc(N * C->n_out * sizeof *probs);
    int *status = malloc(N * sizeof *status);
    char(*msgs)[MANY_ERRLEN] = malloc(N * sizeof *msgs);
    double *xp = malloc(N * d * sizeof *xp), *zp = malloc(N * d * sizeof *zp);
    uint64_t *sp = malloc(N * sizeof *sp);
    size_t *idx = malloc(N * sizeof *idx);
    double *wts = malloc(N * sizeof *wts);
    gsl_matrix *L = gsl_matrix_alloc(d, d);
    if (!probs || !status || !msgs || !xp || !zp || !sp || !idx || !wts || !L) {
        fprintf(stderr, "tyndau: out of memory\n");
        return 1;
    }
    int rc = 0;
    double t0 = now_s();
    if (C->n_gen == 0) {
        /* generation 0: the prior */
        gen_t *g = new_gen(C);
        if (g == NULL) return 1;
        for (size_t i = 0; i < N; i++) {
            gsl_rng *r = stream(c->seed, K_PRIOR, 0, i);
            for (size_t k = 0; k < d; k++) {
                g->x[i * d + k] = prior_draw(&c->prior[k], r);
                g->z[i * d + k] = prior_x_to_z(&c->prior[k], g->x[i * d + k]);
                g->x[i * d + k] = prior_z_to_x(&c->prior[k], g->z[i * d + k]);
            }
            g->seed[i] = many_seed(c->seed, K_SIM, 0, i);
            gsl_rng_free(r);
        }
        simulate(C, g->x, g->seed, N, probs, status, msgs, &g->failed);
        for (size_t i = 0; i < N; i++)
            g->ll[i] = status[i] ? -INFINITY : tyndau_obs_loglik(&C->obs, probs + i * C->n_out, kappa_of(C, g->x + i * d));
        g->beta = 0.0;
        g->ess = (double)N;
        g->acceptance = NAN;
        g->scale = 2.38 / sqrt((double)d);
        g->sims = N;
        g->elapsed = now_s() - t0;
        gen_stats(C, g);
        if (g->failed == N) {
            if (C->mc.rank == 0) fprintf(stderr, "tyndau: every simulation of the prior sample failed; first: %s\n", msgs[0]);
            rc = 2;
            goto done;
        }
        progress_line(C, g, 0);
        if (write_partial(C) != 0) {
            rc = 1;
            goto done;
        }
    } else if (C->mc.rank == 0 && !C->quiet) {
        fprintf(stderr, "calibrate: resuming after generation %zu (beta %.4g, %zu simulations)\n", C->n_gen - 1,
                C->gen[C->n_gen - 1].beta, C->gen[C->n_gen - 1].sims);
    }
    C->status = "running";
    for (;;) {
        size_t t = C->n_gen;
        gen_t *prev = &C->gen[t - 1];
        if (prev->beta >= 1.0) {
            C->status = "complete";
            break;
        }
        if ((int)t > c->max_generations || prev->sims + N * (size_t)c->moves > c->max_simulations) {
            C->status = "budget_exhausted";
            if (C->mc.rank == 0)
                fprintf(stderr, "tyndau: warning: the budget (max_generations %d, max_simulations %zu) ran out at "
                        "beta %.4g < 1: the particles are NOT the posterior\n", c->max_generations,
                        c->max_simulations, prev->beta);
            break;
        }
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
        gsl_rng *rr = stream(c->seed, K_RESAMPLE, t, 0);
        double u0 = gsl_rng_uniform(rr) / (double)N, cum = wts[0] / tot;
        gsl_rng_free(rr);
        for (size_t i = 0, j = 0; i < N; i++) {
            double ui = u0 + (double)i / (double)N;
            while (ui > cum && j + 1 < N) cum += wts[++j] / tot;
            idx[i] = j;
        }
        gen_t *g = new_gen(C);
        if (g == NULL) {
            rc = 1;
            break;
        }
        prev = &C->gen[t - 1]; /* new_gen may move the array */
        for (size_t i = 0; i < N; i++) {
            memcpy(g->x + i * d, prev->x + idx[i] * d, d * sizeof *g->x);
            memcpy(g->z + i * d, prev->z + idx[i] * d, d * sizeof *g->z);
            g->ll[i] = prev->ll[idx[i]];
            g->seed[i] = prev->seed[idx[i]];
        }
        g->beta = beta;
        g->ess = ess;
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
        size_t accepted = 0, proposed = 0;
        for (int mv = 0; mv < c->moves; mv++) {
            for (size_t i = 0; i < N; i++) {
                gsl_rng *r = stream(c->seed, K_PROPOSE, t * 256 + (size_t)mv, i);
                double e[MAXD];
                for (size_t k = 0; k < d; k++) e[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
                for (size_t k = 0; k < d; k++) {
                    double s = 0.0;
                    for (size_t j = 0; j <= k; j++) s += gsl_matrix_get(L, k, j) * e[j];
                    zp[i * d + k] = g->z[i * d + k] + scale * s;
                    xp[i * d + k] = prior_z_to_x(&c->prior[k], zp[i * d + k]);
                }
                sp[i] = mv < c->crn_moves ? g->seed[i] : many_seed(c->seed, K_SIM, t * 256 + (size_t)mv, i);
                wts[i] = log(gsl_rng_uniform_pos(r)); /* the MH uniform, drawn now so it is fixed */
                gsl_rng_free(r);
            }
            simulate(C, xp, sp, N, probs, status, msgs, &g->failed);
            g->sims += N;
            for (size_t i = 0; i < N; i++) {
                double llp = status[i] ? -INFINITY
                                       : tyndau_obs_loglik(&C->obs, probs + i * C->n_out, kappa_of(C, xp + i * d));
                double lr = 0.0;
                for (size_t k = 0; k < d; k++)
                    lr += prior_log_density_z(&c->prior[k], zp[i * d + k]) - prior_log_density_z(&c->prior[k], g->z[i * d + k]);
                double la = isfinite(llp) ? (isfinite(g->ll[i]) ? beta * (llp - g->ll[i]) : INFINITY) + lr : -INFINITY;
                proposed++;
                if (wts[i] < la) {
                    memcpy(g->z + i * d, zp + i * d, d * sizeof *zp);
                    memcpy(g->x + i * d, xp + i * d, d * sizeof *xp);
                    g->ll[i] = llp;
                    g->seed[i] = sp[i];
                    accepted++;
                }
            }
        }
        g->acceptance = (double)accepted / (double)proposed;
        g->elapsed = prev->elapsed + (now_s() - t0);
        t0 = now_s();
        gen_stats(C, g);
        progress_line(C, g, t);
        if (g->beta >= 1.0) C->status = "complete";
        if (write_partial(C) != 0) {
            rc = 1;
            break;
        }
    }
done:
    free(probs), free(status), free(msgs), free(xp), free(zp), free(sp), free(idx), free(wts);
    gsl_matrix_free(L);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Posterior summaries, predictive check, calibrated scenario                  */

typedef struct {
    double median[MAXD], q05[MAXD], q95[MAXD], ratio[MAXD], corr[MAXD * MAXD];
    char report[4096];
} post_t;

static void summarise(const calib_t *C, post_t *P)
{
    const cfg_t *c = &C->cfg;
    const gen_t *g = &C->gen[C->n_gen - 1];
    size_t N = c->particles, d = c->d;
    double *col = malloc(N * sizeof *col), *gk = malloc(N * d * sizeof *gk);
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

typedef struct {
    size_t n_cells;
    size_t *row, *resp;
    double *observed, *median, *lo90, *hi90, *pop_median, *null_pred;
    double *lo90s, *hi90s; /* survey sampling only: no model error (the Dirichlet step left out) */
    int *inside, *fitted, *inside_s;
    size_t n_fit, n_fit_inside, n_ho, n_ho_inside, n_ho_null, n_fit_inside_s;
    double mae_model_ho, mae_null_ho, mae_model_ho_all, mae_model_fit;
    size_t draws, failed;
} ppc_t;

static void ppc_free(ppc_t *p)
{
    free(p->row), free(p->resp), free(p->observed), free(p->median), free(p->lo90), free(p->hi90);
    free(p->pop_median), free(p->null_pred), free(p->inside), free(p->fitted);
    free(p->lo90s), free(p->hi90s), free(p->inside_s);
}

static int predictive(calib_t *C, ppc_t *out)
{
    const cfg_t *c = &C->cfg;
    const tyndau_obs *o = &C->obs;
    const gen_t *g = &C->gen[C->n_gen - 1];
    size_t D = c->predictive_draws, N = c->particles, d = c->d;
    memset(out, 0, sizeof *out);
    out->draws = D;
    double *x = malloc(D * d * sizeof *x), *probs = malloc(D * C->n_out * sizeof *probs);
    uint64_t *seed = malloc(D * sizeof *seed);
    int *status = malloc(D * sizeof *status);
    char(*msgs)[MANY_ERRLEN] = malloc(D * sizeof *msgs);
    size_t nc = 0;
    for (size_t r = 0; r < o->n_rows; r++) nc += o->rows[r].n_resp;
    out->n_cells = nc;
    out->row = calloc(nc, sizeof *out->row), out->resp = calloc(nc, sizeof *out->resp);
    out->observed = calloc(nc, sizeof(double)), out->median = calloc(nc, sizeof(double));
    out->lo90 = calloc(nc, sizeof(double)), out->hi90 = calloc(nc, sizeof(double));
    out->pop_median = calloc(nc, sizeof(double)), out->null_pred = calloc(nc, sizeof(double));
    out->inside = calloc(nc, sizeof(int)), out->fitted = calloc(nc, sizeof(int));
    out->lo90s = calloc(nc, sizeof(double)), out->hi90s = calloc(nc, sizeof(double));
    out->inside_s = calloc(nc, sizeof(int));
    double *sv = malloc(D * nc * sizeof *sv), *pv = malloc(D * nc * sizeof *pv), *ss = malloc(D * nc * sizeof *ss);
    if (!x || !probs || !seed || !status || !msgs || !out->row || !out->resp || !out->observed || !out->median ||
        !out->lo90 || !out->hi90 || !out->pop_median || !out->null_pred || !out->inside || !out->fitted || !sv || !pv ||
        !ss || !out->lo90s || !out->hi90s || !out->inside_s) {
        free(x), free(probs), free(seed), free(status), free(msgs), free(sv), free(pv), free(ss);
        return 1;
    }
    for (size_t k = 0; k < D; k++) {
        size_t i = (k * N) / D;
        memcpy(x + k * d, g->x + i * d, d * sizeof *x);
        seed[k] = many_seed(c->seed, K_PPC_SIM, 0, k);
    }
    simulate(C, x, seed, D, probs, status, msgs, &out->failed);
    size_t D_ok = 0;
    for (size_t k = 0; k < D; k++) {
        if (status[k]) continue;
        const double *pk = probs + k * C->n_out;
        double kappa = kappa_of(C, x + k * d);
        size_t cell = 0;
        for (size_t r = 0; r < o->n_rows; r++) {
            const tyndau_obs_row *w = &o->rows[r];
            size_t K = w->n_resp + (size_t)w->has_rest;
            double q[TYNDAU_OBS_STRIDE], alpha[TYNDAU_OBS_STRIDE];
            unsigned int cnt[TYNDAU_OBS_STRIDE];
            gsl_rng *rr = stream(c->seed, K_PPC_SURVEY, k, r);
            double sum = 0.0;
            for (size_t j = 0; j < K; j++) sum += q[j] = fmax(pk[r * TYNDAU_OBS_STRIDE + j], TYNDAU_OBS_PFLOOR);
            for (size_t j = 0; j < K; j++) q[j] /= sum;
            unsigned int n = (unsigned int)lround(w->n);
            if (n == 0) n = 1;
            /* survey sampling alone, from its own stream (the intervals above stay as they are) */
            gsl_rng *rs = stream(c->seed, K_PPC_SAMPLING, k, r);
            unsigned int cs[TYNDAU_OBS_STRIDE];
            gsl_ran_multinomial(rs, K, n, q, cs);
            gsl_rng_free(rs);
            if (kappa > 0.0) {
                for (size_t j = 0; j < K; j++) alpha[j] = kappa * q[j];
                gsl_ran_dirichlet(rr, K, alpha, q);
            }
            gsl_ran_multinomial(rr, K, n, q, cnt);
            gsl_rng_free(rr);
            for (size_t j = 0; j < w->n_resp; j++, cell++) {
                sv[cell * D + D_ok] = 100.0 * cnt[j] / (double)n;
                ss[cell * D + D_ok] = 100.0 * cs[j] / (double)n;
                pv[cell * D + D_ok] = 100.0 * pk[r * TYNDAU_OBS_STRIDE + j];
            }
        }
        D_ok++;
    }
    size_t cell = 0;
    double *tmp = malloc((D_ok ? D_ok : 1) * sizeof *tmp);
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
            memcpy(tmp, sv + cell * D, D_ok * sizeof *tmp);
            gsl_sort(tmp, 1, D_ok);
            out->median[cell] = gsl_stats_median_from_sorted_data(tmp, 1, D_ok);
            out->lo90[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.05);
            out->hi90[cell] = gsl_stats_quantile_from_sorted_data(tmp, 1, D_ok, 0.95);
            memcpy(tmp, pv + cell * D, D_ok * sizeof *tmp);
            gsl_sort(tmp, 1, D_ok);
            out->pop_median[cell] = gsl_stats_median_from_sorted_data(tmp, 1, D_ok);
            double obs = out->observed[cell];
            out->inside[cell] = obs >= out->lo90[cell] - 1e-9 && obs <= out->hi90[cell] + 1e-9;
            out->inside_s[cell] = obs >= out->lo90s[cell] - 1e-9 && obs <= out->hi90s[cell] + 1e-9;
            double err = fabs(out->pop_median[cell] - obs);
            if (out->fitted[cell]) {
                out->n_fit++;
                out->n_fit_inside += (size_t)out->inside[cell];
                out->n_fit_inside_s += (size_t)out->inside_s[cell];
                out->mae_model_fit += err;
            } else {
                out->n_ho++;
                out->n_ho_inside += (size_t)out->inside[cell];
                out->mae_model_ho_all += err;
                if (!isnan(out->null_pred[cell])) {
                    out->n_ho_null++;
                    out->mae_model_ho += err;
                    out->mae_null_ho += fabs(out->null_pred[cell] - obs);
                }
            }
        }
    }
    out->mae_model_fit = out->n_fit ? out->mae_model_fit / (double)out->n_fit : NAN;
    out->mae_model_ho_all = out->n_ho ? out->mae_model_ho_all / (double)out->n_ho : NAN;
    out->mae_model_ho = out->n_ho_null ? out->mae_model_ho / (double)out->n_ho_null : NAN;
    out->mae_null_ho = out->n_ho_null ? out->mae_null_ho / (double)out->n_ho_null : NAN;
    free(tmp), free(x), free(probs), free(seed), free(status), free(msgs), free(sv), free(pv), free(ss);
    return D_ok == 0 ? 2 : 0;
}

/* The calibrated scenario: the base scenario's non-default values with the posterior medians on top. */
static char *scenario_ini(const calib_t *C, const post_t *P)
{
    const cfg_t *c = &C->cfg;
    tyndau_params p = C->base, def;
    tyndau_params_default(&def);
    for (size_t k = 0; k < c->d; k++)
        if (c->prior[k].param >= 0)
            *(double *)(void *)((char *)&p + tyndau_param_table[c->prior[k].param].offset) = P->median[k];
    size_t cap = 65536, len = 0;
    char *s = malloc(cap);
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

static int write_final(calib_t *C, const post_t *P, const ppc_t *Q, const char *ini)
{
    if (C->mc.rank != 0) return 0;
    const cfg_t *c = &C->cfg;
    const tyndau_obs *o = &C->obs;
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", C->out);
    h5w w;
    if (h5w_create(&w, tmp) == 0) {
        write_common(C, &w);
        h5w_attr_str(&w, w.file, "calibrated_scenario", ini);
        size_t d = c->d;
        const char *names[MAXD];
        for (size_t k = 0; k < d; k++) names[k] = c->prior[k].name;
        hid_t g = h5w_group(&w, w.file, "posterior");
        h5w_attr_str(&w, g, "description", "from the last generation's particles (equal weights); correlations of the "
                                            "parameters on the prior's scale (log for loguniform)");
        h5w_attr_str(&w, g, "identifiability", P->report);
        h5w_strs(&w, g, "name", names, d);
        h5w_f64(&w, g, "median", P->median, d, 0);
        h5w_f64(&w, g, "q05", P->q05, d, 0);
        h5w_f64(&w, g, "q95", P->q95, d, 0);
        h5w_f64(&w, g, "width_ratio", P->ratio, d, 0);
        h5w_f64(&w, g, "correlation", P->corr, d, d);
        h5w_close_group(&w, g);
        size_t nc = Q->n_cells;
        const char **cq = calloc(nc, sizeof *cq), **cgt = calloc(nc, sizeof *cgt), **cg = calloc(nc, sizeof *cg),
                   **cr = calloc(nc, sizeof *cr);
        if (cq && cgt && cg && cr) {
            for (size_t i = 0; i < nc; i++) {
                const tyndau_obs_row *r = &o->rows[Q->row[i]];
                cq[i] = r->question, cgt[i] = r->group_type, cg[i] = r->group, cr[i] = r->response[Q->resp[i]];
            }
            g = h5w_group(&w, w.file, "predictive");
            h5w_attr_str(&w, g, "description",
                         "posterior predictive check per published cell: a new 1200-person survey simulated from "
                         "posterior draws (model noise, parameter uncertainty and survey sampling included); "
                         "median and 90% interval in percent; population_median: the model's population percent "
                         "(no sampling); null_prediction: the total row's observed percent (group rows only); "
                         "*_sampling_only: the same interval without the model-error (Dirichlet) step");
            h5w_attr_int(&w, g, "draws", (long long)Q->draws);
            h5w_attr_int(&w, g, "failed_draws", (long long)Q->failed);
            h5w_attr_int(&w, g, "n_fitted_cells", (long long)Q->n_fit);
            h5w_attr_int(&w, g, "n_inside_fitted", (long long)Q->n_fit_inside);
            h5w_attr_int(&w, g, "n_inside_fitted_sampling_only", (long long)Q->n_fit_inside_s);
            h5w_attr_int(&w, g, "n_holdout_cells", (long long)Q->n_ho);
            h5w_attr_int(&w, g, "n_inside_holdout", (long long)Q->n_ho_inside);
            h5w_attr_f64(&w, g, "mae_fitted", Q->mae_model_fit);
            h5w_attr_f64(&w, g, "mae_holdout", Q->mae_model_ho_all);
            h5w_attr_f64(&w, g, "mae_holdout_vs_null_model", Q->mae_model_ho);
            h5w_attr_f64(&w, g, "mae_holdout_null", Q->mae_null_ho);
            h5w_attr_int(&w, g, "n_holdout_with_null", (long long)Q->n_ho_null);
            h5w_strs(&w, g, "question", cq, nc);
            h5w_strs(&w, g, "group_type", cgt, nc);
            h5w_strs(&w, g, "group", cg, nc);
            h5w_strs(&w, g, "response", cr, nc);
            h5w_int(&w, g, "fitted", Q->fitted, nc);
            h5w_f64(&w, g, "observed", Q->observed, nc, 0);
            h5w_f64(&w, g, "median", Q->median, nc, 0);
            h5w_f64(&w, g, "lo90", Q->lo90, nc, 0);
            h5w_f64(&w, g, "hi90", Q->hi90, nc, 0);
            h5w_f64(&w, g, "lo90_sampling_only", Q->lo90s, nc, 0);
            h5w_f64(&w, g, "hi90_sampling_only", Q->hi90s, nc, 0);
            h5w_int(&w, g, "inside_sampling_only", Q->inside_s, nc);
            h5w_int(&w, g, "inside", Q->inside, nc);
            h5w_f64(&w, g, "population_median", Q->pop_median, nc, 0);
            h5w_f64(&w, g, "null_prediction", Q->null_pred, nc, 0);
            h5w_close_group(&w, g);
        }
        free(cq), free(cgt), free(cg), free(cr);
    }
    if (h5w_close(&w) != 0) {
        fprintf(stderr, "tyndau: %s: %s\n", tmp, w.msg);
        unlink(tmp);
        return 1;
    }
    char itmp[PATH_MAX + 32];
    snprintf(itmp, sizeof itmp, "%s.tmp", C->ini_path);
    FILE *f = fopen(itmp, "w");
    if (f == NULL || fputs(ini, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "tyndau: %s: cannot write: %s\n", itmp, strerror(errno));
        unlink(tmp);
        unlink(itmp);
        return 1;
    }
    if (rename(tmp, C->out) != 0 || rename(itmp, C->ini_path) != 0) {
        fprintf(stderr, "tyndau: %s: cannot rename: %s\n", C->out, strerror(errno));
        return 1;
    }
    unlink(C->partial);
    return 0;
}

static void print_report(const calib_t *C, const post_t *P, const ppc_t *Q)
{
    if (C->mc.rank != 0) return;
    const cfg_t *c = &C->cfg;
    const gen_t *g = &C->gen[C->n_gen - 1];
    printf("calibration: %s (%s), %zu generations, %zu simulations of %zu agents, final beta %.4g\n", c->file.path,
           C->status, C->n_gen - 1, g->sims, c->agents, g->beta);
    printf("\n%-30s %12s %12s %12s %12s %12s\n", "parameter", "median", "q05", "q95", "prior q05", "prior q95");
    for (size_t k = 0; k < c->d; k++)
        printf("%-30s %12.4g %12.4g %12.4g %12.4g %12.4g\n", c->prior[k].name, P->median[k], P->q05[k], P->q95[k],
               prior_quantile(&c->prior[k], 0.05), prior_quantile(&c->prior[k], 0.95));
    printf("\nidentifiability\n%s", P->report);
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
    if (c->dm)
        printf("the same without the model-error term (survey sampling only): %zu of %zu inside\n", Q->n_fit_inside_s,
               Q->n_fit);
    if (Q->n_ho) {
        printf("held-out cells inside: %zu of %zu; mean absolute error %.2f pp\n", Q->n_ho_inside, Q->n_ho,
               Q->mae_model_ho_all);
        if (Q->n_ho_null)
            printf("held-out group cells (%zu): model MAE %.2f pp, null model (group = its total row) MAE %.2f pp\n",
                   Q->n_ho_null, Q->mae_model_ho, Q->mae_null_ho);
    }
    printf("\nwrote %s and %s\n", C->out, C->ini_path);
}

/* ------------------------------------------------------------------------- */
/* Command                                                                     */

static int setup(calib_t *C, const char *cfg_path, char *err, size_t errlen)
{
    cfg_t *c = &C->cfg;
    int rc = cfg_load(c, cfg_path);
    if (rc != 0) {
        cfg_say(err, errlen, "%s", c->file.err);
        return rc;
    }
    tyndau_error e;
    tyndau_error_clear(&e);
    tyndau_params_default(&C->base);
    tyndau_status st = c->scenario[0] ? tyndau_scenario_load_file(&C->sc, &C->base, c->scenario, &e)
                                      : tyndau_scenario_load_text(&C->sc, &C->base, tyndau_embedded_baseline,
                                                                  "(embedded baseline.ini)", &e);
    if (st == TYNDAU_OK) st = tyndau_scenario_check(&C->sc, &C->base, &e);
    if (st == TYNDAU_OK) st = tyndau_params_check(&C->base, &e);
    if (st == TYNDAU_OK) {
        if (c->targets[0]) {
            C->targets_source = c->targets;
            C->targets_text = cfg_slurp(c->targets, err, errlen);
            if (C->targets_text == NULL) return 2;
            st = tyndau_targets_parse(&C->targets, C->targets_text, c->targets, C->quiet ? NULL : stderr, &e);
        } else {
            C->targets_source = "(embedded data/survey_2021/marginals.csv)";
            st = tyndau_targets_parse(&C->targets, tyndau_embedded_marginals, C->targets_source,
                                      C->quiet || C->mc.rank ? NULL : stderr, &e);
        }
    }
    if (st == TYNDAU_OK) {
        const tyndau_params *b = &C->base;
        double age[4] = {b->age_share_18_29, b->age_share_30_45, b->age_share_46_60,
                          1.0 - b->age_share_18_29 - b->age_share_30_45 - b->age_share_46_60};
        st = tyndau_obs_build(&C->obs, &C->targets, (double)b->survey_n, age, c->age_prior_sd, &e);
    }
    if (st == TYNDAU_OK) tyndau_obs_weigh(&C->obs, c->breakdown);
    for (size_t h = 0; st == TYNDAU_OK && h < C->n_holdout; h++) st = tyndau_obs_holdout(&C->obs, C->holdout[h], &e);
    if (st != TYNDAU_OK) {
        cfg_say(err, errlen, "%s", e.msg);
        return st == TYNDAU_EINPUT ? 2 : 1;
    }
    if (tyndau_obs_n_fitted(&C->obs) == 0) {
        cfg_say(err, errlen, "empty target set: every published row is held out, nothing is left to fit");
        return 2;
    }
    C->n_out = C->obs.n_rows * TYNDAU_OBS_STRIDE;
    uint64_t h = CFG_HASH_START;
    h = cfg_hash(h, c->file.text);
    h = cfg_hash(h, C->sc.text);
    h = cfg_hash(h, c->targets[0] ? C->targets_text : tyndau_embedded_marginals);
    h = cfg_hash(h, C->holdout_joined);
    C->fingerprint = h;
    return 0;
}

int tyndau_cmd_calibrate(int argc, char **argv, const char *command_line)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"holdout", required_argument, NULL, 'H'},
        {"resume", no_argument, NULL, 'r'},       {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static calib_t C0;
    calib_t *C = &C0;
    memset(C, 0, sizeof *C);
    C->command_line = command_line;
    C->status = "running";
    int do_resume = 0, c;
    uint64_t threads = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': C->out = optarg; break;
        case 'H':
            if (C->n_holdout == MAX_HOLDOUT) {
                fprintf(stderr, "tyndau: --holdout: at most %d\n", MAX_HOLDOUT);
                return 2;
            }
            C->holdout[C->n_holdout++] = optarg;
            if (strlen(C->holdout_joined) + strlen(optarg) + 2 < sizeof C->holdout_joined) {
                if (C->holdout_joined[0]) strcat(C->holdout_joined, " ");
                strcat(C->holdout_joined, optarg);
            }
            break;
        case 'r': do_resume = 1; break;
        case 't':
            if (cfg_u64(optarg, &threads) != 0 || threads == 0 || threads > 1024) {
                fprintf(stderr, "tyndau: --threads: expected a whole number from 1 to 1024, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'q': C->quiet = 1; break;
        case 'h': fputs(usage_calibrate, stdout); return 0;
        default: fputs(usage_calibrate, stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "tyndau: calibrate: expected one calibration file\n%s", usage_calibrate);
        return 2;
    }
    const char *cfg_path = argv[optind];
    if (many_init(&C->mc, &argc, &argv, (int)threads) != 0) return 1;
    h5w_quiet();
    char err[700] = "", out_buf[PATH_MAX];
    int rc = setup(C, cfg_path, err, sizeof err);
    if (rc == 0 && C->out == NULL) {
        const char *base = strrchr(cfg_path, '/');
        base = base ? base + 1 : cfg_path;
        const char *dot = strrchr(base, '.');
        int n = dot ? (int)(dot - base) : (int)strlen(base);
        snprintf(out_buf, sizeof out_buf, "%.*s.h5", n, base);
        C->out = out_buf;
    }
    if (rc == 0) {
        const char *dot = strrchr(C->out, '.'), *slash = strrchr(C->out, '/');
        int n = dot && (!slash || dot > slash) ? (int)(dot - C->out) : (int)strlen(C->out);
        snprintf(C->ini_path, sizeof C->ini_path, "%.*s_calibrated.ini", n, C->out);
        snprintf(C->partial, sizeof C->partial, "%s.partial", C->out);
        if (strcmp(C->ini_path, cfg_path) == 0) {
            cfg_say(err, sizeof err, "-o %s: the calibrated scenario would overwrite the calibration file %s",
                     C->out, cfg_path);
            rc = 2;
        }
    }
    if (rc == 0 && C->mc.rank == 0) {
        /* writable? */
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s.probe", C->out);
        FILE *f = fopen(probe, "w");
        if (f == NULL) {
            cfg_say(err, sizeof err, "%s: cannot write there: %s", C->out, strerror(errno));
            rc = 2;
        } else {
            fclose(f);
            unlink(probe);
        }
    }
    rc = many_bcast_int(&C->mc, rc);
    if (rc == 0 && do_resume) rc = resume(C, err, sizeof err);
    if (rc != 0) {
        if (C->mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
        many_finalize(&C->mc);
        return rc;
    }
    if (C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "calibrate: %zu quantities, %zu particles, %zu agents, %zu fitted rows of %zu, %d rank(s) x "
                "%d thread(s)\n", C->cfg.d, C->cfg.particles, C->cfg.agents, tyndau_obs_n_fitted(&C->obs),
                C->obs.n_rows, C->mc.size, C->mc.threads);
    rc = run_smc(C);
    post_t P;
    ppc_t Q;
    memset(&P, 0, sizeof P);
    memset(&Q, 0, sizeof Q);
    if (rc == 0) {
        summarise(C, &P);
        rc = predictive(C, &Q);
        if (rc != 0 && C->mc.rank == 0) fprintf(stderr, "tyndau: every predictive simulation failed\n");
    }
    char *ini = rc == 0 ? scenario_ini(C, &P) : NULL;
    if (rc == 0 && ini == NULL) rc = 1;
    if (rc == 0) rc = write_final(C, &P, &Q, ini);
    if (rc == 0 && !C->quiet) print_report(C, &P, &Q);
    free(ini);
    ppc_free(&Q);
    for (size_t t = 0; t < C->n_gen; t++) free(C->gen[t].x), free(C->gen[t].z), free(C->gen[t].ll), free(C->gen[t].seed);
    free(C->gen);
    free(C->cfg.file.text);
    free(C->targets_text);
    tyndau_obs_free(&C->obs);
    tyndau_targets_free(&C->targets);
    tyndau_scenario_free(&C->sc);
    many_finalize(&C->mc);
    return rc;
}
