/*
 * main.c - the tyndau program: a thin layer over libtyndau that reads the
 * command line and the scenario, checks everything, creates the model, runs
 * it, writes the output and maps errors to exit codes (0 ok, 1 internal
 * error, 2 bad input).  All model logic lives in model/.
 */
#include <inttypes.h>
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
    "inside for machines.\n";

static const char usage_params[] =
    "usage: tyndau params [--markdown]\n"
    "\n"
    "Lists every parameter: name, default, allowed range, unit and source.\n"
    "--markdown prints docs/parameters.md.\n";

typedef struct {
    int enabled;
    time_t start;
    int last;
} progress_state;

static void progress(int day, int n_days, void *user)
{
    progress_state *ps = user;
    if (!ps->enabled) return;
    int pct = (int)(100L * day / n_days);
    if (pct == ps->last && day != n_days) return;
    ps->last = pct;
    int width = 40, fill = width * day / n_days;
    fprintf(stderr, "\r[%.*s%*s] %3d%%  day %d/%d  %lds", fill, "########################################",
            width - fill, "", pct, day, n_days, (long)(time(NULL) - ps->start));
    if (day == n_days) fputc('\n', stderr);
    fflush(stderr);
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
    char out_name[sizeof sc.name + 4];
    tyndau_status st = cli_scenario(&sc, &p, scenario_path, sets, set_list.n, &err);
    if (st == TYNDAU_OK) st = cli_targets(&targets, targets_path, stderr, &err);
    if (st == TYNDAU_OK && output == NULL) {
        snprintf(out_name, sizeof out_name, "%s.h5", sc.name);
        output = out_name;
    }
    if (st == TYNDAU_OK) st = cli_check_memory(&p, agents, 1, "--agents", &err);
    tyndau_outfile claim = TYNDAU_OUTFILE_NONE;
    const char *inputs[] = {scenario_path, targets_path};
    if (st == TYNDAU_OK) st = cli_claim_output(&claim, output, inputs, 2, &sc, 1, &err);
    if (st != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
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
    progress_state ps = {!quiet && isatty(STDERR_FILENO), time(NULL), -1};
    st = m == NULL ? err.status : tyndau_model_set_targets(m, &targets, &err);
    if (st == TYNDAU_OK) st = tyndau_model_run(m, progress, &ps, &err);
    if (st != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    tyndau_meta meta = {"tyndau", command_line, sc.name, sc.source, sc.text,
                        (const char *const *)sc.overrides, sc.n_overrides,
                        targets_path ? targets_path : CLI_EMBEDDED_TARGETS, n_threads,
                        tyndau_build_commit, tyndau_build_cflags,
                        (const char *const *)sc.base_sources, (const char *const *)sc.base_texts, sc.n_bases,
                        many_mpi_version(), sc.joined};
    if (tyndau_model_write(m, output, &meta, &err) != TYNDAU_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "tyndau: wrote %s\n", output);
        if (tyndau_output_print_survey(output, TYNDAU_PRINT_PUBLISHED, stdout, &err) != TYNDAU_OK) rc = cli_fail(&err);
        tyndau_anchor anchors[TYNDAU_N_ANCHOR_MAX];
        size_t n_anchors = tyndau_model_anchors(m, anchors);
        tyndau_anchors_print(anchors, n_anchors, stdout);
    }
done:
    tyndau_outfile_release(&claim);
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
        fputs(usage_survey, stderr);
        return 2;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_output_print_survey(argv[first], csv ? TYNDAU_PRINT_CSV : TYNDAU_PRINT_TABLE, stdout, &err) != TYNDAU_OK)
        return cli_fail(&err);
    return 0;
}

static int cmd_params(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    int md = 0, first = 0;
    const cli_opt opts[] = {{"markdown", 0, CLI_FLAG, &md, 0, 0}, {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_params, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    if (first < argc) {
        fputs(usage_params, stderr);
        return 2;
    }
    if (md) {
        tyndau_params_markdown(stdout);
        return 0;
    }
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
    return 0;
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
    fprintf(stderr, "tyndau: unknown command '%s'; expected run, survey, params, calibrate, compare, sweep, "
                    "merge or sensitivity\n", cmd);
    fputs(usage_main, stderr);
    return 2;
}
