/*
 * compare.c - `tyndau compare A.ini B.ini ...`: replicates of every scenario with common
 * random numbers, the headline measures (MODEL_BRIEF s8) per scenario and group, and
 * each scenario's difference from the first, with 95% confidence intervals.
 *
 * Jobs.  Scenario s (0 .. S-1) and replicate r (0 .. R-1) make job j = s R + r, run with the
 * model seed many_seed(root, K_COMPARE, r, 0): replicate r of every scenario has the same
 * seed, so, the model's random numbers being drawn citizen by citizen (docs/ODD.md s9), two
 * scenarios differ only where their parameters make citizens or offices act differently
 * (common random numbers).  With --independent the seed is many_seed(root, K_COMPARE, r,
 * s + 1): every run has its own, for measuring what common random numbers gain.
 *
 * The runs go through the sweep's engine (batch.c): OpenMP threads and MPI ranks, part
 * files, failures recorded, --resume.  On the merged file the summary is computed:
 *
 *   per scenario and output: the mean over the replicates that succeeded, its standard
 *   deviation and the 95% interval mean +- t(0.975, n-1) sd / sqrt(n);
 *   per scenario and output, the difference from the first scenario: with common random
 *   numbers, the mean of the paired differences over replicates where both runs
 *   succeeded, with its t interval; with --independent, the difference of the means
 *   with Welch's interval (Welch-Satterthwaite degrees of freedom).  Both widths are
 *   kept: the paired one and the unpaired one computed from the same runs'
 *   marginal spreads, i.e. what independent seeds would have given in expectation.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <hdf5.h>

#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/h5w.h"
#include "headline.h"
#include "engine/many.h"
#include "scenario.h"
#include "tyndau.h"

enum { K_COMPARE = 201 };
#define MAX_SCENARIOS 64
#define N_OUT (N_HEADLINE * TYNDAU_N_GROUP + N_GAP)

typedef struct {
    size_t S, R, agents;
    uint64_t seed;
    int independent;
    tyndau_scenario sc[MAX_SCENARIOS];
    tyndau_params p[MAX_SCENARIOS];
    char out_name[N_OUT][96];
    const char *out_ptr[N_OUT];
    const char *command_line;
} cmp_ctx;

static uint64_t seed_of(const cmp_ctx *c, size_t s, size_t r)
{
    return many_seed(c->seed, K_COMPARE, r, c->independent ? s + 1 : 0);
}

/* output o of a finished model */
static double output(const tyndau_model *m, size_t o)
{
    if (o < (size_t)N_HEADLINE * TYNDAU_N_GROUP)
        return tyndau_model_headline(m, (tyndau_headline)(o / TYNDAU_N_GROUP), (int)(o % TYNDAU_N_GROUP));
    return tyndau_model_gap(m, (tyndau_gap)(o - (size_t)N_HEADLINE * TYNDAU_N_GROUP));
}

static int run_job(size_t j, double *out, char errmsg[MANY_ERRLEN], void *user)
{
    const cmp_ctx *c = user;
    size_t s = j / c->R, r = j % c->R;
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_model *m = tyndau_model_new(&c->p[s], c->agents, seed_of(c, s, r), &err);
    tyndau_status st = m == NULL ? err.status : tyndau_model_run(m, NULL, NULL, &err);
    if (st == TYNDAU_OK)
        for (size_t o = 0; o < N_OUT; o++) out[o] = output(m, o);
    tyndau_model_free(m);
    if (st != TYNDAU_OK) {
        cfg_say(errmsg, MANY_ERRLEN, "%s", err.msg);
        return st;
    }
    return 0;
}

/* ---- the file ---- */

static void header(h5w *w, void *user)
{
    const cmp_ctx *c = user;
    hid_t f = w->file;
    char buf[64];
    h5w_provenance(w, f, "tyndau-compare", c->command_line);
    snprintf(buf, sizeof buf, "%" PRIu64, c->seed);
    h5w_attr_str(w, f, "seed", buf);
    h5w_attr_int(w, f, "agents", (long long)c->agents);
    h5w_attr_int(w, f, "scenarios", (long long)c->S);
    h5w_attr_int(w, f, "replicates", (long long)c->R);
    h5w_attr_str(w, f, "random_numbers", c->independent ? "independent" : "common");
    h5w_attr_str(w, f, "seeds",
                 c->independent
                     ? "model seed of run (scenario s, replicate r) = many_seed(seed, 201, r, s + 1) (src/engine/many.c)"
                     : "model seed of run (scenario s, replicate r) = many_seed(seed, 201, r, 0): the same for "
                       "every scenario (common random numbers)");
    h5w_attr_str(w, f, "jobs", "job j = s x replicates + r for scenario s, replicate r (rows of /runs)");
    h5w_attr_str(w, f, "citation",
                 "Survey figures: Kurmanov, B., Selteyev, U. & Almaganbetov, A. (2024). 'Listening State?': "
                 "exploring citizens' perceptions of Open Government in Tokayev's Kazakhstan. Central Asian "
                 "Survey 43(2), 235-256. doi:10.1080/02634937.2023.2268652");
    hid_t g = h5w_group(w, f, "scenarios");
    h5w_attr_str(w, g, "description",
                 "The scenarios in command-line order (the first is the reference of the differences): name, "
                 "source, description, text and inherited files verbatim, every parameter on start_date "
                 "(parameter_value [scenario x parameter], parameter_name) and the dated changes as text.");
    const char *names[MAX_SCENARIOS], *src[MAX_SCENARIOS], *desc[MAX_SCENARIOS], *text[MAX_SCENARIOS];
    char *bases[MAX_SCENARIOS], *changes[MAX_SCENARIOS];
    for (size_t s = 0; s < c->S; s++) {
        names[s] = c->sc[s].name;
        src[s] = c->sc[s].source;
        desc[s] = c->sc[s].description;
        text[s] = c->sc[s].text;
        bases[s] = tyndau_scenario_joined_text(&c->sc[s], NULL);
        const tyndau_params *p = &c->p[s];
        changes[s] = calloc((size_t)p->n_changes * 96 + 1, 1);
        tyndau_params q = *p;
        for (int k = 0; changes[s] && k < p->n_changes; k++) {
            char d[16], v[48], line[112];
            tyndau_date_format(p->changes[k].date, d, sizeof d);
            tyndau_params_put(&q, (size_t)p->changes[k].param, p->changes[k].value);
            tyndau_params_format(&q, (size_t)p->changes[k].param, v, sizeof v);
            snprintf(line, sizeof line, "%s %s = %s\n", d, tyndau_param_table[p->changes[k].param].name, v);
            strcat(changes[s], line);
        }
    }
    h5w_strs(w, g, "name", names, c->S);
    h5w_strs(w, g, "source", src, c->S);
    h5w_strs(w, g, "description", desc, c->S);
    h5w_strs(w, g, "text", text, c->S);
    const char *inherited[MAX_SCENARIOS];
    for (size_t s = 0; s < c->S; s++) inherited[s] = bases[s] ? bases[s] : "";
    h5w_strs(w, g, "inherited", inherited, c->S);
    h5w_strs(w, g, "dated_changes", (const char *const *)changes, c->S);
    const char *pn[512];
    size_t np = tyndau_n_params < 512 ? tyndau_n_params : 512;
    double *pv = calloc(c->S * np, sizeof *pv);
    for (size_t i = 0; i < np; i++) pn[i] = tyndau_param_table[i].name;
    for (size_t s = 0; pv && s < c->S; s++)
        for (size_t i = 0; i < np; i++) pv[s * np + i] = tyndau_params_get(&c->p[s], i);
    h5w_strs(w, g, "parameter_name", pn, np);
    if (pv) h5w_f64(w, g, "parameter_value", pv, c->S, np);
    free(pv);
    for (size_t s = 0; s < c->S; s++) free(bases[s]), free(changes[s]);
    h5w_close_group(w, g);
}

/* t quantile for a two-sided 95% interval; NaN without degrees of freedom */
static double t975(double df) { return df > 0 ? gsl_cdf_tdist_Pinv(0.975, df) : NAN; }

typedef struct {
    double *mean, *sd, *lo, *hi, *n;                      /* [S][O] */
    double *dmean, *dlo, *dhi, *dhalf_paired, *dhalf_unpaired; /* [S][O] */
} summary;

static void summarise(const cmp_ctx *c, const double *y, const int *status, summary *m)
{
    size_t S = c->S, R = c->R, O = N_OUT;
    for (size_t s = 0; s < S; s++)
        for (size_t o = 0; o < O; o++) {
            size_t k = s * O + o;
            double sum = 0, sum2 = 0, n = 0;
            for (size_t r = 0; r < R; r++) {
                double v = y[(s * R + r) * O + o];
                if (status[s * R + r] != 0 || !isfinite(v)) continue;
                sum += v, n += 1;
            }
            double mu = n > 0 ? sum / n : NAN;
            for (size_t r = 0; r < R; r++) {
                double v = y[(s * R + r) * O + o];
                if (status[s * R + r] != 0 || !isfinite(v)) continue;
                sum2 += (v - mu) * (v - mu);
            }
            double sd = n > 1 ? sqrt(sum2 / (n - 1)) : NAN, half = t975(n - 1) * sd / sqrt(n);
            m->mean[k] = mu, m->sd[k] = sd, m->n[k] = n;
            m->lo[k] = mu - half, m->hi[k] = mu + half;
        }
    for (size_t s = 0; s < S; s++)
        for (size_t o = 0; o < O; o++) {
            size_t k = s * O + o;
            /* paired: replicates where both runs succeeded and the measure is defined */
            double sum = 0, sum2 = 0, n = 0;
            for (size_t r = 0; r < R; r++) {
                double a = y[(s * R + r) * O + o], b = y[r * O + o];
                if (status[s * R + r] != 0 || status[r] != 0 || !isfinite(a) || !isfinite(b)) continue;
                sum += a - b, n += 1;
            }
            double dmu = n > 0 ? sum / n : NAN;
            for (size_t r = 0; r < R; r++) {
                double a = y[(s * R + r) * O + o], b = y[r * O + o];
                if (status[s * R + r] != 0 || status[r] != 0 || !isfinite(a) || !isfinite(b)) continue;
                sum2 += (a - b - dmu) * (a - b - dmu);
            }
            double half_p = n > 1 ? t975(n - 1) * sqrt(sum2 / (n - 1)) / sqrt(n) : NAN;
            /* unpaired (Welch), from the two scenarios' own spreads */
            double v1 = m->sd[k] * m->sd[k] / m->n[k], v0 = m->sd[o] * m->sd[o] / m->n[o];
            double df = (v1 + v0) * (v1 + v0) /
                        (v1 * v1 / (m->n[k] - 1) + v0 * v0 / (m->n[o] - 1));
            double half_u = v1 + v0 > 0 ? t975(df) * sqrt(v1 + v0) : (v1 + v0 == 0 ? 0.0 : NAN);
            if (s == 0) dmu = 0.0, half_p = 0.0, half_u = 0.0;
            m->dhalf_paired[k] = half_p;
            m->dhalf_unpaired[k] = half_u;
            if (c->independent) dmu = m->mean[k] - m->mean[o];
            double half = c->independent ? half_u : half_p;
            m->dmean[k] = dmu;
            m->dlo[k] = dmu - half, m->dhi[k] = dmu + half;
        }
}

static int finish(hid_t f, void *user, char *err, size_t errlen)
{
    const cmp_ctx *c = user;
    size_t S = c->S, R = c->R, O = N_OUT, J = S * R;
    double *y = malloc(J * O * sizeof *y);
    int *status = malloc(J * sizeof *status);
    double *buf = calloc(10 * S * O, sizeof *buf);
    int rc = 0;
    if (!y || !status || !buf) {
        cfg_say(err, errlen, "out of memory for the summary");
        rc = 1;
    }
    if (rc == 0) {
        hid_t d = H5Dopen2(f, "/runs/y", H5P_DEFAULT), ds = H5Dopen2(f, "/runs/status", H5P_DEFAULT);
        if (d < 0 || ds < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y) < 0 ||
            H5Dread(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0) {
            cfg_say(err, errlen, "cannot read /runs back for the summary");
            rc = 1;
        }
        if (d >= 0) H5Dclose(d);
        if (ds >= 0) H5Dclose(ds);
    }
    if (rc == 0) {
        summary m = {buf, buf + S * O, buf + 2 * S * O, buf + 3 * S * O, buf + 4 * S * O,
                     buf + 5 * S * O, buf + 6 * S * O, buf + 7 * S * O, buf + 8 * S * O, buf + 9 * S * O};
        summarise(c, y, status, &m);
        h5w w = {f, 0, ""};
        hid_t g = h5w_group(&w, f, "summary");
        h5w_attr_str(&w, g, "description",
                     "Per scenario (rows, /scenarios order) and output (columns, /runs/output): mean over the "
                     "replicates that succeeded (n), sd, 95% interval [lo, hi] = mean +- t(0.975, n-1) sd/sqrt(n); "
                     "the difference from the first scenario (diff_mean, 95% interval [diff_lo, diff_hi]: paired "
                     "over replicates under common random numbers, Welch's otherwise), and the half-widths of the "
                     "difference's interval paired (diff_halfwidth_paired) and unpaired (diff_halfwidth_unpaired, "
                     "from the two scenarios' own spreads: what independent seeds give in expectation).");
        h5w_attr_str(&w, g, "random_numbers", c->independent ? "independent" : "common");
        h5w_attr_str(&w, g, "interval", "95%, Student t");
        h5w_strs(&w, g, "output", (const char *const *)c->out_ptr, O);
        const char *nm[10] = {"mean", "sd", "lo", "hi", "n", "diff_mean", "diff_lo", "diff_hi",
                              "diff_halfwidth_paired", "diff_halfwidth_unpaired"};
        for (int k = 0; k < 10; k++) h5w_f64(&w, g, nm[k], buf + (size_t)k * S * O, S, O);
        h5w_close_group(&w, g);
        if (w.failed) {
            cfg_say(err, errlen, "cannot write /summary: %s", w.msg);
            rc = 1;
        }
    }
    free(y), free(status), free(buf);
    return rc;
}

/* ---- the terminal table ---- */

static void print_table(const char *path, const cmp_ctx *c)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return;
    size_t S = c->S, O = N_OUT;
    double *mean = malloc(S * O * sizeof *mean), *dm = malloc(S * O * sizeof *dm);
    double *dlo = malloc(S * O * sizeof *dlo), *dhi = malloc(S * O * sizeof *dhi);
    if (mean && dm && dlo && dhi && h5r_f64(f, "/summary/mean", mean, S * O) == 0 &&
        h5r_f64(f, "/summary/diff_mean", dm, S * O) == 0 && h5r_f64(f, "/summary/diff_lo", dlo, S * O) == 0 &&
        h5r_f64(f, "/summary/diff_hi", dhi, S * O) == 0) {
        /* the total group's measures and the gaps */
        size_t cols[N_HEADLINE + N_GAP];
        size_t nc = 0;
        for (int h = 0; h < N_HEADLINE; h++) cols[nc++] = (size_t)h * TYNDAU_N_GROUP + TYNDAU_GROUP_TOTAL;
        for (int g = 0; g < N_GAP; g++) cols[nc++] = (size_t)N_HEADLINE * TYNDAU_N_GROUP + (size_t)g;
        printf("\n%zu replicates each, %s random numbers; value, then difference from '%s' [95%% CI]\n", c->R,
               c->independent ? "independent" : "common", c->sc[0].name);
        for (size_t k = 0; k < nc; k++) {
            size_t o = cols[k];
            printf("\n%s\n", c->out_name[o]);
            for (size_t s = 0; s < S; s++) {
                printf("  %-28s %10.4f", c->sc[s].name, mean[s * O + o]);
                if (s > 0) printf("   %+9.4f [%+9.4f, %+9.4f]", dm[s * O + o], dlo[s * O + o], dhi[s * O + o]);
                printf("\n");
            }
        }
    }
    free(mean), free(dm), free(dlo), free(dhi);
    H5Fclose(f);
}

/* ---- the command ---- */

static const char usage_compare[] =
    "usage: tyndau compare A.ini B.ini ... [-o FILE.h5] [--replicates R] [--agents N] [--seed S]\n"
    "                      [--threads T] [--independent] [--resume] [--quiet]\n"
    "\n"
    "Runs R replicates of every scenario (replicate r of each with the same seed: common\n"
    "random numbers), then reports the headline measures per scenario and group and each\n"
    "scenario's difference from the first, with 95% confidence intervals.  All scenarios\n"
    "must simulate the same period.  Under mpirun the runs are spread over ranks.\n"
    "\n"
    "  -o, --output FILE    output (default compare.h5), written under a temporary name\n"
    "  -r, --replicates R   replicates per scenario (default 20)\n"
    "  -n, --agents N       citizens per run (default 1000000)\n"
    "  -s, --seed S         root seed (default 1)\n"
    "  -t, --threads T      OpenMP threads (one model per thread)\n"
    "      --independent    a seed of its own for every run (to measure what common\n"
    "                       random numbers gain)\n"
    "      --resume         continue an interrupted comparison to the same output\n"
    "  -q, --quiet          no progress and no table\n";

int tyndau_cmd_compare(int argc, char **argv, const char *command_line)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"replicates", required_argument, NULL, 'r'},
                                         {"agents", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"independent", no_argument, NULL, 'I'},
                                         {"resume", no_argument, NULL, 'R'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static cmp_ctx c;
    memset(&c, 0, sizeof c);
    c.R = 20;
    c.agents = 1000000;
    c.seed = 1;
    c.command_line = command_line;
    const char *out = "compare.h5";
    int resume = 0, quiet = 0, opt;
    size_t threads = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:r:n:s:t:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'r':
            if (cfg_count(optarg, 2, 100000, &c.R) != 0) {
                fprintf(stderr, "tyndau: --replicates: expected a whole number from 2 to 100000, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'n':
            if (cfg_count(optarg, 1, UINT32_MAX - 1, &c.agents) != 0) {
                fprintf(stderr, "tyndau: --agents: expected a whole number from 1 to %u, got '%s'\n", UINT32_MAX - 1,
                        optarg);
                return 2;
            }
            break;
        case 's':
            if (cfg_u64(optarg, &c.seed) != 0) {
                fprintf(stderr, "tyndau: --seed: expected an unsigned 64-bit integer, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 't':
            if (cfg_count(optarg, 1, 1024, &threads) != 0) {
                fprintf(stderr, "tyndau: --threads: expected a whole number from 1 to 1024, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'I': c.independent = 1; break;
        case 'R': resume = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_compare, stdout); return 0;
        default: fputs(usage_compare, stderr); return 2;
        }
    }
    c.S = (size_t)(argc - optind);
    if (c.S < 1 || c.S > MAX_SCENARIOS) {
        fprintf(stderr, "tyndau: compare: expected 1 to %d scenario files, got %zu\n%s", MAX_SCENARIOS, c.S,
                usage_compare);
        return 2;
    }
    many_ctx mc;
    if (many_init(&mc, &argc, &argv, (int)threads) != 0) return 1;
    h5w_quiet();
    /* every scenario, checked before anything runs */
    char err[800] = "";
    int rc = 0;
    uint64_t fp = cfg_hash(CFG_HASH_START, c.independent ? "independent" : "common");
    for (size_t s = 0; rc == 0 && s < c.S; s++) {
        tyndau_error e;
        tyndau_error_clear(&e);
        tyndau_params_default(&c.p[s]);
        tyndau_status st = tyndau_scenario_load_file(&c.sc[s], &c.p[s], argv[optind + (int)s], &e);
        if (st == TYNDAU_OK) st = tyndau_scenario_check(&c.sc[s], &c.p[s], &e);
        if (st == TYNDAU_OK) st = tyndau_params_check(&c.p[s], &e);
        if (st != TYNDAU_OK) {
            cfg_say(err, sizeof err, "%s", e.msg);
            rc = st == TYNDAU_EINPUT ? 2 : 1;
            break;
        }
        if (s > 0 && (c.p[s].start_date != c.p[0].start_date || c.p[s].end_date != c.p[0].end_date)) {
            char a[16], b[16], a0[16], b0[16];
            tyndau_date_format(c.p[s].start_date, a, sizeof a), tyndau_date_format(c.p[s].end_date, b, sizeof b);
            tyndau_date_format(c.p[0].start_date, a0, sizeof a0), tyndau_date_format(c.p[0].end_date, b0, sizeof b0);
            cfg_say(err, sizeof err,
                    "%s: simulates %s to %s but %s simulates %s to %s: expected scenarios over the same period "
                    "(their differences would mix the policy with the period)",
                    c.sc[s].source, a, b, c.sc[0].source, a0, b0);
            rc = 2;
            break;
        }
        fp = cfg_hash(fp, c.sc[s].text);
        for (size_t k = 0; k < c.sc[s].n_bases; k++) fp = cfg_hash(fp, c.sc[s].base_texts[k]);
    }
    char num[64];
    snprintf(num, sizeof num, "%zu %zu %" PRIu64, c.R, c.agents, c.seed);
    fp = cfg_hash(fp, num);
    if (rc == 0) {
        for (size_t o = 0; o < N_OUT; o++) {
            if (o < (size_t)N_HEADLINE * TYNDAU_N_GROUP) {
                int g = (int)(o % TYNDAU_N_GROUP);
                snprintf(c.out_name[o], sizeof c.out_name[o], "%s:%s:%s",
                         tyndau_headline_names[o / TYNDAU_N_GROUP], tyndau_gtype_names[tyndau_group_type(g)],
                         tyndau_group_name(g));
            } else {
                snprintf(c.out_name[o], sizeof c.out_name[o], "%s",
                         tyndau_gap_names[o - (size_t)N_HEADLINE * TYNDAU_N_GROUP]);
            }
            c.out_ptr[o] = c.out_name[o];
        }
    }
    if (rc == 0) {
        batch_spec spec = {"compare", out, resume, quiet, 0, 0, c.S * c.R, N_OUT, 0, c.out_ptr, fp, header,
                           run_job, finish, &c, 0, NULL, NULL};
        if (mc.rank == 0 && !quiet)
            fprintf(stderr, "compare: %zu scenarios x %zu replicates of %zu agents, %s random numbers\n", c.S, c.R,
                    c.agents, c.independent ? "independent" : "common");
        rc = batch_execute(&mc, &spec, err, sizeof err);
    }
    if (rc != 0 && mc.rank == 0) fprintf(stderr, "tyndau: %s\n", err);
    if (rc == 0 && mc.rank == 0 && !quiet) print_table(out, &c);
    for (size_t s = 0; s < c.S; s++) tyndau_scenario_free(&c.sc[s]);
    many_finalize(&mc);
    return rc;
}
