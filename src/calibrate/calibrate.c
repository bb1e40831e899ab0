/*
 * calibrate.c - `tyndau calibrate CALIB.ini`: the command (calib.h describes the method and the
 * study's files): read the calibration file, its scenario, the targets and the observation
 * model, resume if asked, run the sampler, summarise, write the files.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "cli.h"
#include "commands.h"
#include "gradient.h"
#include "leaveout.h"

static const char usage_calibrate[] =
    "usage: tyndau calibrate CALIB.ini [-o FILE.h5] [--holdout QUESTION[:GROUP_TYPE] ...]\n"
    "                        [--leave-out FAMILY|all] [--resume] [--sbc S | --history-match]\n"
    "                        [--within HM.h5] [--threads T] [--quiet]\n"
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
    "      --leave-out F     fit without question family F (table6, table7,\n"
    "                        principles, meaning, age, income) and score its\n"
    "                        prediction against a null model (log predictive\n"
    "                        density, interval score); 'all': each family in turn,\n"
    "                        into FILE.h5 (default: the stem + _leave_out.h5)\n"
    "      --resume          continue from FILE.partial after a kill; the result is\n"
    "                        the same as an uninterrupted run\n"
    "      --sbc S           instead: simulation-based calibration of the method, S\n"
    "                        synthetic surveys from prior draws, each refitted; ranks\n"
    "                        and 50%/90% coverage per quantity into FILE.h5 (default:\n"
    "                        the stem + _sbc.h5; docs/calibration.md s6)\n"
    "      --within HM.h5    the SMC within a history match's non-implausible region\n"
    "                        (prior draws and proposals outside it rejected)\n"
    "      --history-match   instead: history matching in waves with Gaussian-process\n"
    "                        emulators ([history_match] section), into FILE.h5\n"
    "                        (default: the stem + _hm.h5; docs/calibration.md s9);\n"
    "                        --resume continues after the last complete wave\n"
    "  -t, --threads T       OpenMP threads per process (default: all cores); under\n"
    "                        mpirun the particles are also spread over the ranks;\n"
    "                        results depend on neither\n"
    "  -q, --quiet           no progress lines\n"
    "  -h, --help            this text\n";

/* Everything the sampler needs, checked: the calibration file, the scenario, the targets, the
 * observation model with its holdouts, and the resume fingerprint. */
static tyndau_status setup(calib_t *C, const char *cfg_path, tyndau_error *err)
{
    calib_cfg *c = &C->cfg;
    tyndau_status st = calib_config_load(c, cfg_path, err);
    if (st == TYNDAU_OK) st = cli_scenario(&C->sc, &C->base, c->scenario, NULL, 0, err);
    const char *targets_text = NULL;
    if (st == TYNDAU_OK) {
        C->targets_source = c->targets[0] ? c->targets : CLI_EMBEDDED_TARGETS;
        targets_text = cli_targets_text(c->targets, &C->targets_text, err);
        st = targets_text == NULL ? err->status
                                  : tyndau_targets_parse(&C->targets, targets_text, C->targets_source,
                                                         C->quiet || C->mc.rank ? NULL : stderr, err);
    }
    if (st == TYNDAU_OK) {
        const tyndau_params *b = &C->base;
        double age[4] = {b->age_share_18_29, b->age_share_30_45, b->age_share_46_60,
                         1.0 - b->age_share_18_29 - b->age_share_30_45 - b->age_share_46_60};
        st = tyndau_obs_build(&C->obs, &C->targets, (double)b->survey_n, age, c->age_prior_sd, err);
    }
    if (st == TYNDAU_OK) tyndau_obs_weigh(&C->obs, c->breakdown);
    for (size_t h = 0; st == TYNDAU_OK && h < C->n_holdout; h++) st = tyndau_obs_holdout(&C->obs, C->holdout[h], err);
    if (st == TYNDAU_OK && tyndau_obs_n_fitted(&C->obs) == 0)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "empty target set: every published row is held out, nothing is left to fit");
    if (st == TYNDAU_OK) st = calib_default_discrepancy(C, err);
    /* after the default discrepancies: a left-out family keeps its discrepancy, at its prior */
    if (st == TYNDAU_OK && C->leave_family >= 0)
        st = calib_leave_holdout(&C->obs, C->leave_family, C->holdout_joined, sizeof C->holdout_joined, err);
    if (st != TYNDAU_OK) return st;
    C->n_out = C->obs.n_rows * TYNDAU_OBS_STRIDE;
    /* the scenario as read, with the files it inherits from: a changed base file is noticed */
    uint64_t h = CFG_HASH_START;
    h = cfg_hash(h, c->file.text);
    h = cfg_hash(h, C->sc.joined);
    h = cfg_hash(h, targets_text);
    h = cfg_hash(h, C->holdout_joined);
    C->fingerprint = h;
    return TYNDAU_OK;
}

/* OUT (default: the calibration file's stem + .h5), OUT.partial and the calibrated scenario's name. */
static tyndau_status names(calib_t *C, const char *cfg_path, char *out_buf, size_t len, tyndau_error *err)
{
    if (C->out == NULL) {
        const char *base = strrchr(cfg_path, '/');
        base = base ? base + 1 : cfg_path;
        const char *dot = strrchr(base, '.');
        int n = dot ? (int)(dot - base) : (int)strlen(base);
        snprintf(out_buf, len, "%.*s.h5", n, base);
        C->out = out_buf;
    }
    const char *dot = strrchr(C->out, '.'), *slash = strrchr(C->out, '/');
    int n = dot && (!slash || dot > slash) ? (int)(dot - C->out) : (int)strlen(C->out);
    snprintf(C->ini_path, sizeof C->ini_path, "%.*s_calibrated.ini", n, C->out);
    snprintf(C->partial, sizeof C->partial, "%s.partial", C->out);
    if (strcmp(C->ini_path, cfg_path) == 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "-o %s: the calibrated scenario would overwrite the calibration file %s",
                          C->out, cfg_path);
    char what[PATH_MAX + 32];
    snprintf(what, sizeof what, "%s: key 'agents' =", cfg_path);
    tyndau_status mem = cli_check_memory(&C->base, C->cfg.agents, C->mc.threads, what, err);
    if (mem != TYNDAU_OK || C->mc.rank != 0) return mem;
    const char *inputs[] = {cfg_path, C->cfg.scenario, C->cfg.targets};
    tyndau_status st = tyndau_outfile_check(C->ini_path, inputs, 3, err);
    if (st == TYNDAU_OK) st = tyndau_outfile_check(C->partial, inputs, 3, err);
    return st == TYNDAU_OK ? cli_claim_output(&C->claim, C->out, inputs, 3, &C->sc, 1, err) : st;
}

/* All a calibration holds, at the end of every mode (SMC, SBC, leave-out, history match). */
static void release(calib_t *C)
{
    calib_free_gens(C);
    free(C->cfg.file.text);
    free(C->targets_text);
    tyndau_obs_free(&C->obs);
    tyndau_targets_free(&C->targets);
    tyndau_scenario_free(&C->sc);
    tyndau_outfile_release(&C->claim);
    calib_within_free(C);
    many_finalize(&C->mc);
}

int tyndau_cmd_calibrate(int argc, char **argv, const char *command_line)
{
    static calib_t C0; /* large: not on the stack */
    calib_t *C = &C0;
    memset(C, 0, sizeof *C);
    C->claim = (tyndau_outfile)TYNDAU_OUTFILE_NONE;
    C->command_line = command_line;
    C->status = "running";
    int do_resume = 0, first = 0, hm = 0;
    size_t threads = 0, sbc = 0;
    const char *leave = NULL, *within = NULL;
    C->leave_family = -1;
    cli_list holdouts = {C->holdout, 0, MAX_HOLDOUT};
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &C->out, 0, 0},  {"holdout", 0, CLI_LIST, &holdouts, 0, 0},
                            {"resume", 0, CLI_FLAG, &do_resume, 0, 0}, {"threads", 't', CLI_COUNT, &threads, 1, 1024},
                            {"sbc", 0, CLI_COUNT, &sbc, 1, 100000},  {"leave-out", 0, CLI_TEXT, &leave, 0, 0},
                            {"history-match", 0, CLI_FLAG, &hm, 0, 0}, {"within", 0, CLI_TEXT, &within, 0, 0},
                            {"quiet", 'q', CLI_FLAG, &C->quiet, 0, 0}, {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_calibrate, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    C->n_holdout = holdouts.n;
    for (size_t k = 0; k < C->n_holdout; k++)
        if (strlen(C->holdout_joined) + strlen(C->holdout[k]) + 2 < sizeof C->holdout_joined) {
            if (C->holdout_joined[0]) strcat(C->holdout_joined, " ");
            strcat(C->holdout_joined, C->holdout[k]);
        }
    if (argc - first != 1) {
        fprintf(stderr, "tyndau: calibrate: expected one calibration file\n%s", usage_calibrate);
        return 2;
    }
    const char *cfg_path = argv[first];
    tyndau_error err;
    tyndau_error_clear(&err);
    if (many_init(&C->mc, &argc, &argv, (int)threads, &err) != TYNDAU_OK) return cli_fail(&err);
    many_catch_stop(); /* from the start: a signal during the first generation stops after it */
    char out_buf[PATH_MAX];
    int leave_all = 0;
    if (leave != NULL) {
        tyndau_status ls = calib_leave_find(leave, &C->leave_family, &err);
        if (ls == TYNDAU_OK && sbc > 0) ls = TYNDAU_ERR(&err, TYNDAU_EINPUT, "--leave-out and --sbc: expected one of them");
        if (ls != TYNDAU_OK) {
            many_finalize(&C->mc);
            return cli_fail(&err);
        }
        leave_all = C->leave_family < 0;
    }
    if (leave_all && C->out == NULL) {
        const char *base = strrchr(cfg_path, '/'), *dot;
        base = base ? base + 1 : cfg_path;
        dot = strrchr(base, '.');
        snprintf(out_buf, sizeof out_buf, "%.*s_leave_out.h5", dot ? (int)(dot - base) : (int)strlen(base), base);
        C->out = out_buf;
    }
    if ((hm && (sbc > 0 || within != NULL)) || ((hm || within) && leave)) { /* --sbc --within: the SBC of the SMC in a region */
        fprintf(stderr, "tyndau: calibrate: --sbc, --history-match, --within and --leave-out: expected one of them\n");
        many_finalize(&C->mc);
        return 2;
    }
    if ((sbc > 0 || hm) && C->out == NULL) {
        const char *base = strrchr(cfg_path, '/'), *dot;
        base = base ? base + 1 : cfg_path;
        dot = strrchr(base, '.');
        snprintf(out_buf, sizeof out_buf, "%.*s_%s.h5", dot ? (int)(dot - base) : (int)strlen(base), base,
                 hm ? "hm" : "sbc");
        C->out = out_buf;
    }
    tyndau_status st = setup(C, cfg_path, &err);
    if (st == TYNDAU_OK && within) st = calib_within_load(C, within, &err);
    if (st == TYNDAU_OK) st = names(C, cfg_path, out_buf, sizeof out_buf, &err);
    st = (tyndau_status)many_bcast_int(&C->mc, (int)st);
    if (st == TYNDAU_OK && (sbc > 0 || leave_all || hm)) {
        if (C->mc.rank == 0 && !C->quiet && sbc > 0)
            fprintf(stderr, "calibrate: simulation-based calibration, %zu synthetic surveys of %zu quantities, %zu "
                    "particles, %zu agents\n", sbc, C->cfg.d, C->cfg.particles, C->cfg.agents);
        st = hm        ? calib_history_match(C, do_resume, &err)
             : sbc > 0 ? calib_sbc(C, sbc, do_resume, &err)
                       : calib_leave_all(C, do_resume, &err);
        rc = st == TYNDAU_OK ? 0 : C->mc.rank == 0 ? cli_fail(&err) : (int)st;
        release(C);
        return rc;
    }
    if (st == TYNDAU_OK && do_resume) st = calib_resume(C, &err);
    if (st == TYNDAU_OK && C->mc.rank == 0 && !C->quiet)
        fprintf(stderr, "calibrate: %zu quantities, %zu particles, %zu agents, %zu fitted rows of %zu, %d rank(s) x "
                "%d thread(s)\n", C->cfg.d, C->cfg.particles, C->cfg.agents, tyndau_obs_n_fitted(&C->obs),
                C->obs.n_rows, C->mc.size, C->mc.threads);
    calib_work *w = st == TYNDAU_OK ? calib_smc_alloc(C) : NULL;
    if (st == TYNDAU_OK && w == NULL) st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    int fresh = C->n_gen == 0;
    if (st == TYNDAU_OK) st = calib_smc_init(C, w, &err);
    if (st == TYNDAU_OK && fresh) st = calib_write_partial(C, &err);
    C->status = "running";
    while (st == TYNDAU_OK && !calib_smc_test(C)) {
        /* SIGTERM, SIGINT: stop between generations, every one so far in OUT.partial */
        int sig = (int)many_bcast_int(&C->mc, many_stop_signal());
        if (sig != 0) {
            st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "calibrate: stopped by %s after generation %zu; %s kept: run the "
                            "same command with --resume to continue", many_signal_name(sig), C->n_gen, C->partial);
            break;
        }
        st = calib_smc_iterate(C, w, &err);
        if (st == TYNDAU_OK) st = calib_write_partial(C, &err);
    }
    calib_smc_free(w);
    calib_post P;
    calib_ppc Q;
    memset(&P, 0, sizeof P);
    memset(&Q, 0, sizeof Q);
    if (st == TYNDAU_OK) {
        calib_summarise(C, &P);
        st = calib_predictive(C, &Q, &err);
        if (st == TYNDAU_OK) st = calib_identify(C, &P, &err);
    }
    static calib_gradient Gr; /* large: not on the stack */
    if (st == TYNDAU_OK && (st = calib_gradient_compute(C, &Q, &Gr, &err)) == TYNDAU_OK) C->gradient = &Gr;
    calib_leave_result L;
    if (st == TYNDAU_OK && C->leave_family >= 0 && (st = calib_leave_score(C, &Q, C->leave_family, &L, &err)) == TYNDAU_OK)
        C->leave = &L;
    char *ini = st == TYNDAU_OK ? calib_scenario_ini(C, &P) : NULL;
    if (st == TYNDAU_OK && ini == NULL) st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    if (st == TYNDAU_OK) st = calib_write_final(C, &P, &Q, ini, &err);
    if (st == TYNDAU_OK && !C->quiet) calib_print_report(C, &P, &Q);
    if (st == TYNDAU_OK && !C->quiet) calib_gradient_print(C, &Gr);
    if (st == TYNDAU_OK && !C->quiet && C->leave) calib_leave_print(C, C->leave, 1);
    rc = st == TYNDAU_OK ? 0 : C->mc.rank == 0 ? cli_fail(&err) : (int)st;
    free(ini);
    calib_ppc_free(&Q);
    release(C);
    return rc;
}
