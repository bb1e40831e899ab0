/*
 * main.c - the tyndau program: a thin layer over libtyndau that reads the
 * command line and the scenario, checks everything, creates the model, runs
 * it, writes the output and maps errors to exit codes (0 ok, 1 internal
 * error, 2 bad input).  All model logic lives in model/.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <hdf5.h>
#include <omp.h>
#endif

#include "anchors.h"
#include "cli.h"
#include "commands.h"
#include "engine/many.h"
#include "engine/progress.h"
#include "headline.h"
#include "output.h"
#include "scenario.h"
#include "tyndau.h"

extern const char tyndau_build_commit[]; /* build/version.c, remade by every build */
extern const char tyndau_build_cflags[];

static const char usage_main[] =
    "usage: tyndau COMMAND [OPTIONS]\n"
    "\n"
    "tyndau simulates whether Kazakhstan's 'Listening State' reform makes the state\n"
    "listen to its citizens, and compares a virtual copy of the August 2021 survey\n"
    "with the published figures (Kurmanov, Selteyev & Almaganbetov 2024).\n"
    "\n"
    "commands:\n"
    "  run [SCENARIO]     run a scenario (default: the embedded baseline), write HDF5\n"
    "  survey FILE.h5     print the virtual survey beside the published figures\n"
    "  params             list the parameters (--markdown for docs/parameters.md)\n"
    "  calibrate CALIB    calibrate against the survey by ABC-SMC (OpenMP, MPI)\n"
    "  compare A B ...    scenarios side by side: replicates, common random numbers, CIs\n"
    "  sweep SWEEP        run a design of parameter points (OpenMP, MPI, Slurm shards)\n"
    "  merge -o OUT ...   join the shard files of a sweep\n"
    "  sensitivity FILE   Sobol and Morris indices of a sweep\n"
    "\n"
    "'tyndau COMMAND --help' describes each.  Exit codes: 0 ok, 1 internal error,\n"
    "2 bad input (the message names the file, line, key and what was expected).\n";

static const char usage_run[] =
    "usage: tyndau run [SCENARIO.ini] [-o FILE.h5] [--agents N] [--seed S] [--threads T]\n"
    "                  [--set key=value ...] [--targets FILE.csv] [--quiet]\n"
    "\n"
    "Runs the scenario from start_date to end_date and writes FILE.h5 (default:\n"
    "NAME.h5 for the scenario's name), first under a temporary name, renamed when\n"
    "complete.  Without SCENARIO the embedded baseline (scenarios/baseline.ini) runs.\n"
    "\n"
    "  -o, --output FILE   output file\n"
    "  -n, --agents N      number of citizens (default 1000000; 11919241 is every adult)\n"
    "  -s, --seed S        random seed, an unsigned 64-bit integer (default 1)\n"
    "  -t, --threads T     OpenMP threads (default: OMP_NUM_THREADS, or all cores up\n"
    "                      to one per 131072 agents); results do not depend on it\n"
    "      --set k=v       override one parameter (repeatable; applied after the file)\n"
    "      --targets FILE  published survey figures (default: the embedded\n"
    "                      data/survey_2021/marginals.csv)\n"
    "  -q, --quiet         no progress bar, no survey table and no secondary anchors\n"
    "  -h, --help          this text\n";

static const char usage_survey[] =
    "usage: tyndau survey FILE.h5 [--csv]\n"
    "\n"
    "Prints every simulated cell of the virtual survey in the layout of\n"
    "marginals.csv, published cells beside the observed value and its 95%\n"
    "sampling interval, and a fit summary.  --csv prints the columns question,\n"
    "base, group_type, group, response, sample, simulated, observed, lo95, hi95,\n"
    "inside for machines.\n"
    "\n"
    "      --csv           machine-readable columns instead of the table\n"
    "  -h, --help          this text\n";

static const char usage_params[] =
    "usage: tyndau params [SCENARIO.ini] [--set key=value ...] [--markdown]\n"
    "\n"
    "Without SCENARIO, lists every parameter: name, default, allowed range, category\n"
    "and source.  With SCENARIO (or --set), shows the values a run of it would use,\n"
    "each with its origin: 'default' (model/params.def), 'calibrated' (the embedded\n"
    "scenarios/baseline.ini, which every scenario inherits unless it says base = none;\n"
    "'baseline' for its [schedule]), FILE:LINE (the scenario or a file it inherits\n"
    "from) or '--set'.\n"
    "\n"
    "      --set k=v       override one parameter (repeatable), as for 'tyndau run'\n"
    "      --markdown      print docs/parameters.md (the table of defaults)\n"
    "  -h, --help          this text\n";

/* The day loop's progress: days done of the run's days, the rate and the time left. */
static void progress(int day, int n_days, void *user)
{
    progress_t *ps = user;
    ps->total = (size_t)n_days;
    progress_update(ps, (size_t)day, 0, NULL, 0);
}

/* The headline measures of a finished run, by group, and the gaps. */
static void print_headline(const tyndau_model *m, FILE *out)
{
    fprintf(out, "\nheadline measures (whole run; rates in %%, answer_days in days; regions in the file's "
                 "/headline):\n%-16s", "group");
    for (int h = 0; h < N_HEADLINE; h++) fprintf(out, " %*s", h == HL_BRIBE_INCIDENCE ? 15 : 14, tyndau_headline_names[h]);
    fputc('\n', out);
    for (int g = 0; g < TYNDAU_GROUP_REGION; g++) {
        char name[64];
        snprintf(name, sizeof name, "%s:%s", tyndau_gtype_names[tyndau_group_type(g)], tyndau_group_name(g));
        fprintf(out, "%-16s", name);
        for (int h = 0; h < N_HEADLINE; h++) {
            double v = tyndau_model_headline(m, (tyndau_headline)h, g);
            fprintf(out, " %*.*f", h == HL_BRIBE_INCIDENCE ? 15 : 14, h == HL_ANSWER_DAYS ? 2 : 1,
                    h == HL_ANSWER_DAYS ? v : 100.0 * v);
        }
        fputc('\n', out);
    }
    fprintf(out, "responsiveness gaps (resolution rate, pp):");
    for (int k = 0; k < N_GAP; k++) fprintf(out, " %s %+.1f", tyndau_gap_names[k], 100.0 * tyndau_model_gap(m, (tyndau_gap)k));
    fputc('\n', out);
}

static int cmd_run(int argc, char **argv, const char *command_line)
{
    const char *output = NULL, *targets_path = NULL;
    size_t agents = 1000000, threads = 0;
    uint64_t seed = 1;
    int quiet = 0, first = 0;
    const char **sets = tyndau_calloc((size_t)argc + 1, sizeof *sets);
    if (sets == NULL) return 1;
    cli_list set_list = {sets, 0, (size_t)argc};
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &output, 0, 0},
                            {"agents", 'n', CLI_COUNT, &agents, 1, UINT32_MAX - 1},
                            {"seed", 's', CLI_U64, &seed, 0, 0},
                            {"threads", 't', CLI_COUNT, &threads, 1, 1024},
                            {"set", 0, CLI_LIST, &set_list, 0, 0},
                            {"targets", 0, CLI_TEXT, &targets_path, 0, 0},
                            {"quiet", 'q', CLI_FLAG, &quiet, 0, 0},
                            {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_run, &first);
    if (rc != 0) {
        free(sets);
        return rc == CLI_DONE ? 0 : rc;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    if (argc - first > 1) {
        free(sets);
        TYNDAU_ERR(&err, TYNDAU_EINPUT, "run: expected at most one scenario file, got '%s' too", argv[first + 1]);
        return cli_fail(&err);
    }
    const char *scenario_path = first < argc ? argv[first] : NULL;

    tyndau_params p;
    tyndau_scenario sc;
    memset(&sc, 0, sizeof sc);
    tyndau_targets targets = {NULL, 0};
    tyndau_model *m = NULL;
    char **origins = NULL;
    char out_name[sizeof sc.name + 4];
    tyndau_status st = cli_scenario(&sc, &p, scenario_path, sets, set_list.n, &err);
    if (st == TYNDAU_OK) st = cli_targets(&targets, targets_path, quiet ? NULL : stderr, &err);
    if (st == TYNDAU_OK && output == NULL) {
        snprintf(out_name, sizeof out_name, "%s.h5", sc.name);
        output = out_name;
    }
    if (st == TYNDAU_OK) st = cli_check_memory(&p, agents, 1, "--agents", &err);
    tyndau_outfile claim = TYNDAU_OUTFILE_NONE;
    const char *inputs[] = {scenario_path, targets_path};
    many_catch_stop(); /* SIGTERM, SIGINT from here on: the run stops at the end of a day, the claim is given back */
    if (st == TYNDAU_OK) st = cli_claim_output(&claim, output, inputs, 2, &sc, 1, &err);
    if (st != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    cli_size_warning(agents, quiet ? NULL : stderr);
#ifdef _OPENMP
    if (threads > 0)
        omp_set_num_threads((int)threads);
    else if (getenv("OMP_NUM_THREADS") == NULL)
        omp_set_num_threads(tyndau_model_threads_for((size_t)agents, omp_get_max_threads()));
    int n_threads = omp_get_max_threads();
#else
    int n_threads = 1;
#endif
    m = tyndau_model_new(&p, agents, seed, &err);
    progress_t ps;
    progress_init(&ps, "run", "days", 0, !quiet, stderr);
    st = m == NULL ? err.status : tyndau_model_set_targets(m, &targets, &err);
    /* SIGTERM, SIGINT: the day loop ends at the end of the day (tyndau_model_set_stop), nothing is written */
    if (st == TYNDAU_OK) tyndau_model_set_stop(m, many_stop_flag());
    if (st == TYNDAU_OK) st = tyndau_model_run(m, progress, &ps, &err);
    if (many_stop_signal() != 0 && m != NULL)
        st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "run: stopped by %s after day %d of %d; nothing written to %s",
                        many_signal_name(many_stop_signal()), tyndau_model_days_done(m), tyndau_model_days(m), output);
    if (ps.tty) progress_end(&ps, ps.total, 0);
    if (st != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    origins = cli_origins(&sc);
    tyndau_meta meta = {"tyndau", command_line, sc.name, sc.source, sc.text,
                        (const char *const *)sc.overrides, sc.n_overrides,
                        targets_path ? targets_path : CLI_EMBEDDED_TARGETS, n_threads,
                        tyndau_build_commit, tyndau_build_cflags,
                        (const char *const *)sc.base_sources, (const char *const *)sc.base_texts, sc.n_bases,
                        many_mpi_version(), sc.joined, (const char *const *)origins};
    if (origins == NULL) {
        TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "%s: out of memory", output);
        rc = cli_fail(&err);
        goto done;
    }
    if (tyndau_model_write(m, output, &meta, &err) != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (many_stop_signal() != 0) { /* it came while the file was written: the run was stopped, the file goes */
        unlink(output);
        TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "run: stopped by %s while %s was written; nothing written to it",
                   many_signal_name(many_stop_signal()), output);
        rc = cli_fail(&err);
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "tyndau: wrote %s\n", output);
        if (tyndau_output_print_survey(output, TYNDAU_PRINT_PUBLISHED, stdout, &err) != TYNDAU_OK) rc = cli_fail(&err);
        tyndau_anchor anchors[TYNDAU_N_ANCHOR_MAX];
        size_t n_anchors = tyndau_model_anchors(m, anchors);
        tyndau_anchors_print(anchors, n_anchors, stdout);
        print_headline(m, stdout);
        cli_origin_summary(&sc, stdout);
    }
done:
    tyndau_outfile_release(&claim);
    cli_origins_free(origins);
    tyndau_model_free(m);
    tyndau_targets_free(&targets);
    tyndau_scenario_free(&sc);
    free(sets);
    return rc;
}

static int cmd_survey(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    int csv = 0, first = 0;
    const cli_opt opts[] = {{"csv", 0, CLI_FLAG, &csv, 0, 0}, {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_survey, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    if (argc - first != 1) {
        fprintf(stderr, "tyndau: survey: expected one run file, got %d arguments\n%s", argc - first, usage_survey);
        return 2;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    /* walked in a child first: damaged metadata can crash HDF5 itself */
    if (tyndau_h5_probe(argv[first], &err) != TYNDAU_OK ||
        tyndau_output_print_survey(argv[first], csv ? TYNDAU_PRINT_CSV : TYNDAU_PRINT_TABLE, stdout, &err) != TYNDAU_OK)
        return cli_fail(&err);
    return 0;
}

/* The parameter table: name, default, range, category, source. */
static void params_table(void)
{
    tyndau_params p;
    tyndau_params_default(&p);
    printf("%-28s %-12s %-12s %-12s %-10s %s\n", "name", "default", "min", "max", "category", "source");
    for (size_t i = 0; i < tyndau_n_params; i++) {
        const tyndau_param_info *in = &tyndau_param_table[i];
        char def[40], lo[40], hi[40];
        tyndau_params_format(&p, i, def, sizeof def);
        if (in->type == TYNDAU_PT_DATE) {
            tyndau_date_format((int)in->min, lo, sizeof lo);
            tyndau_date_format((int)in->max, hi, sizeof hi);
        } else {
            snprintf(lo, sizeof lo, "%g", in->min);
            snprintf(hi, sizeof hi, "%g", in->max);
        }
        printf("%-28s %-12s %-12s %-12s %-10s %s\n", in->name, def, lo, hi, in->category, in->source);
    }
}

/* The values a run of the scenario (the embedded baseline when path is NULL) would start
 * with, each with where it came from. */
static int params_resolved(const char *path, const char *const *sets, size_t n_sets)
{
    tyndau_params p;
    tyndau_scenario sc;
    memset(&sc, 0, sizeof sc);
    tyndau_error err;
    tyndau_error_clear(&err);
    if (cli_scenario(&sc, &p, path, sets, n_sets, &err) != TYNDAU_OK) return cli_fail(&err);
    printf("%-28s %-14s %-10s %s\n", "name", "value", "category", "origin");
    for (size_t i = 0; i < tyndau_n_params; i++) {
        char value[48], origin[PATH_MAX + 64];
        tyndau_params_format(&p, i, value, sizeof value);
        tyndau_scenario_origin(&sc, i, origin, sizeof origin);
        printf("%-28s %-14s %-10s %s\n", tyndau_param_table[i].name, value, tyndau_param_table[i].category, origin);
    }
    for (size_t k = 0; k < sc.n_changes; k++) {
        char d[16];
        tyndau_date_format(sc.changes[k].date, d, sizeof d);
        printf("from %s: %s = %g (%s:%d)\n", d, tyndau_param_table[sc.changes[k].param].name, sc.changes[k].value,
               sc.changes[k].source, sc.changes[k].line);
    }
    cli_origin_summary(&sc, stdout);
    tyndau_scenario_free(&sc);
    return 0;
}

static int cmd_params(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    int md = 0, first = 0;
    const char **sets = tyndau_calloc((size_t)argc + 1, sizeof *sets);
    if (sets == NULL) return 1;
    cli_list set_list = {sets, 0, (size_t)argc};
    const cli_opt opts[] = {{"markdown", 0, CLI_FLAG, &md, 0, 0},
                            {"set", 0, CLI_LIST, &set_list, 0, 0},
                            {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_params, &first);
    if (rc == 0 && (argc - first > 1 || (md && (first < argc || set_list.n > 0)))) {
        fprintf(stderr, "tyndau: params: expected at most one scenario file, and none with --markdown\n%s",
                usage_params);
        rc = 2;
    }
    if (rc == 0 && (first < argc || set_list.n > 0)) rc = params_resolved(first < argc ? argv[first] : NULL, sets, set_list.n);
    else if (rc == 0 && md)
        tyndau_params_markdown(stdout);
    else if (rc == 0)
        params_table();
    free(sets);
    return rc == CLI_DONE ? 0 : rc;
}

/* The command table: every command takes its arguments (argv[0] its name) and the command
 * line as typed, and returns the exit status. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv, const char *command_line);
} commands[] = {
    {"run", cmd_run},
    {"survey", cmd_survey},
    {"params", cmd_params},
    {"calibrate", tyndau_cmd_calibrate},
    {"compare", tyndau_cmd_compare},
    {"sweep", tyndau_cmd_sweep},
    {"merge", tyndau_cmd_merge},
    {"sensitivity", tyndau_cmd_sensitivity},
};

int main(int argc, char **argv)
{
    /* HDF5 must not close its files again at exit: after a failed close (a full disk) that
     * second close crashes.  Every file is closed, checked, by the command. */
    H5dont_atexit();
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
#ifdef TYNDAU_MPI
        printf("tyndau %s (with MPI)\n", TYNDAU_VERSION);
#else
        printf("tyndau %s (without MPI)\n", TYNDAU_VERSION);
#endif
        return 0;
    }
    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
        if (strcmp(cmd, commands[k].name) == 0) {
            char *cl = cli_command_line(argc, argv);
            int rc = commands[k].fn(argc - 1, argv + 1, cl ? cl : "");
            free(cl);
            return rc;
        }
    const char *names[sizeof commands / sizeof *commands + 1];
    size_t n_names = 0;
    for (; n_names < sizeof commands / sizeof *commands; n_names++) names[n_names] = commands[n_names].name;
    names[n_names++] = "help";
    const char *guess = cli_suggest(cmd, names, n_names);
    if (guess != NULL)
        fprintf(stderr, "tyndau: unknown command '%s'; did you mean '%s'?\n", cmd, guess);
    else
        fprintf(stderr, "tyndau: unknown command '%s'; expected run, survey, params, calibrate, compare, sweep, "
                        "merge or sensitivity\n", cmd);
    fputs("'tyndau --help' lists the commands\n", stderr);
    return 2;
}
