/*
 * main.c - the tyndau program: a thin layer over libtyndau that reads the
 * command line and the scenario, checks everything, creates the model, runs
 * it, writes the output and maps errors to exit codes (0 ok, 1 internal
 * error, 2 bad input).  All model logic lives in model/.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "anchors.h"
#include "calib.h"
#include "compare.h"
#include "sweep.h"
#include "output.h"
#include "scenario.h"
#include "tyndau.h"

extern const char tyndau_embedded_baseline[];
extern const char tyndau_embedded_marginals[];
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

static int fail(const tyndau_error *err)
{
    fprintf(stderr, "tyndau: %s\n", err->msg);
    return err->status == TYNDAU_OK ? 1 : (int)err->status;
}

static int bad(const char *fmt, const char *arg)
{
    fputs("tyndau: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 2;
}

/* Strict unsigned integer: digits only, no sign, no junk, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE) return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Memory the run may use: the least of MemAvailable, the cgroup's limit (v2) and
 * the address-space limit, so that a container or `ulimit -v` is respected. */
static size_t available_memory(void)
{
    size_t avail = SIZE_MAX;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        size_t kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1) {
                avail = kb * 1024;
                break;
            }
        fclose(f);
    }
    if (avail == SIZE_MAX) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
        if (pages > 0 && size > 0) avail = (size_t)pages * (size_t)size;
    }
    size_t max = 0, cur = 0;
    f = fopen("/sys/fs/cgroup/memory.max", "r");
    if (f) {
        if (fscanf(f, "%zu", &max) == 1) {
            FILE *g = fopen("/sys/fs/cgroup/memory.current", "r");
            if (g) {
                if (fscanf(g, "%zu", &cur) != 1) cur = 0;
                fclose(g);
            }
            if (max > cur && max - cur < avail) avail = max - cur;
        }
        fclose(f); /* "max" (no limit) does not scan as a number */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (size_t)rl.rlim_cur < avail)
        avail = (size_t)rl.rlim_cur;
    return avail;
}

/* An output path is checked before the run: a run of minutes must not end in "cannot write". */
static int check_writable(const char *path)
{
    char *dir = strdup(path);
    if (dir == NULL) return 1;
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash == dir)
        d = "/";
    else if (slash) {
        *slash = '\0';
        d = dir;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "tyndau: %s: cannot write output: is a directory\n", path);
        free(dir);
        return 2;
    }
    size_t len = strlen(d) + 32;
    char *probe = malloc(len);
    if (probe == NULL) {
        free(dir);
        return 1;
    }
    snprintf(probe, len, "%s/.tyndau-probe-XXXXXX", d);
    int fd = mkstemp(probe);
    if (fd < 0) {
        fprintf(stderr, "tyndau: %s: cannot write output: %s\n", path, strerror(errno));
        free(probe);
        free(dir);
        return 2;
    }
    close(fd);
    unlink(probe);
    free(probe);
    free(dir);
    return 0;
}

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

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = calloc(len, 1);
    if (s == NULL) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int cmd_run(int argc, char **argv, char *command_line)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"agents", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},   {"threads", required_argument, NULL, 't'},
        {"set", required_argument, NULL, 'S'},    {"targets", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *output = NULL, *targets_path = NULL;
    uint64_t agents = 1000000, seed = 1, threads = 0;
    int quiet = 0;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t n_sets = 0;
    if (sets == NULL) return 1;
    int c, rc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:n:s:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'n':
            if (parse_u64(optarg, &agents) != 0 || agents == 0 || agents > UINT32_MAX - 1) {
                free(sets);
                return bad("--agents: expected a whole number from 1 to 4294967294, got '%s'", optarg);
            }
            break;
        case 's':
            if (parse_u64(optarg, &seed) != 0) {
                free(sets);
                return bad("--seed: expected an unsigned 64-bit integer, got '%s'", optarg);
            }
            break;
        case 't':
            if (parse_u64(optarg, &threads) != 0 || threads == 0 || threads > 1024) {
                free(sets);
                return bad("--threads: expected a whole number from 1 to 1024, got '%s'", optarg);
            }
            break;
        case 'S': sets[n_sets++] = optarg; break;
        case 'T': targets_path = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_run, stdout); free(sets); return 0;
        default: fputs(usage_run, stderr); free(sets); return 2;
        }
    }
    if (argc - optind > 1) {
        free(sets);
        return bad("run: expected at most one scenario file, got '%s' too", argv[optind + 1]);
    }
    const char *scenario_path = optind < argc ? argv[optind] : NULL;

    tyndau_params p;
    tyndau_params_default(&p);
    tyndau_scenario sc;
    memset(&sc, 0, sizeof sc);
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_targets targets = {NULL, 0};
    tyndau_model *m = NULL;
    char *out_alloc = NULL;
    tyndau_status st = scenario_path ? tyndau_scenario_load_file(&sc, &p, scenario_path, &err)
                                     : tyndau_scenario_load_text(&sc, &p, tyndau_embedded_baseline,
                                                                 "(embedded baseline.ini)", &err);
    for (size_t k = 0; st == TYNDAU_OK && k < n_sets; k++) st = tyndau_scenario_apply_set(&sc, &p, sets[k], &err);
    if (st == TYNDAU_OK) st = tyndau_scenario_check(&sc, &p, &err);
    if (st == TYNDAU_OK) st = tyndau_params_check(&p, &err);
    if (st == TYNDAU_OK)
        st = targets_path ? tyndau_targets_load(&targets, targets_path, stderr, &err)
                          : tyndau_targets_parse(&targets, tyndau_embedded_marginals,
                                                 "(embedded data/survey_2021/marginals.csv)", stderr, &err);
    if (st != TYNDAU_OK) {
        rc = fail(&err);
        goto done;
    }
    if (output == NULL) {
        size_t len = strlen(sc.name) + 4;
        out_alloc = malloc(len);
        if (out_alloc == NULL) {
            rc = 1;
            goto done;
        }
        snprintf(out_alloc, len, "%s.h5", sc.name);
        output = out_alloc;
    }
    size_t need = tyndau_model_bytes(&p, (size_t)agents), have = available_memory();
    if (need > have) {
        fprintf(stderr,
                "tyndau: --agents %" PRIu64 ": needs about %.2f GiB but %.2f GiB of memory is available; "
                "expected at most %.0f agents\n",
                agents, (double)need / 1073741824.0, (double)have / 1073741824.0,
                (double)agents * (double)have / (double)need);
        rc = 2;
        goto done;
    }
    if ((rc = check_writable(output)) != 0) goto done;
#ifdef _OPENMP
    if (threads > 0)
        omp_set_num_threads((int)threads);
    else if (getenv("OMP_NUM_THREADS") == NULL)
        omp_set_num_threads(tyndau_model_threads_for((size_t)agents, omp_get_max_threads()));
    int n_threads = omp_get_max_threads();
#else
    int n_threads = 1;
#endif
    m = tyndau_model_new(&p, (size_t)agents, seed, &err);
    if (m == NULL) {
        rc = fail(&err);
        goto done;
    }
    if (tyndau_model_set_targets(m, &targets, &err) != TYNDAU_OK) {
        rc = fail(&err);
        goto done;
    }
    progress_state ps = {!quiet && isatty(STDERR_FILENO), time(NULL), -1};
    if (tyndau_model_run(m, progress, &ps, &err) != TYNDAU_OK) {
        rc = fail(&err);
        goto done;
    }
    tyndau_meta meta = {"tyndau", command_line, sc.name, sc.source, sc.text,
                        (const char *const *)sc.overrides, sc.n_overrides,
                        targets_path ? targets_path : "(embedded data/survey_2021/marginals.csv)", n_threads,
                        tyndau_build_commit, tyndau_build_cflags,
                        (const char *const *)sc.base_sources, (const char *const *)sc.base_texts, sc.n_bases};
    if (tyndau_model_write(m, output, &meta, &err) != TYNDAU_OK) {
        rc = fail(&err);
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "tyndau: wrote %s\n", output);
        if (tyndau_output_print_survey(output, TYNDAU_PRINT_PUBLISHED, stdout, &err) != TYNDAU_OK) rc = fail(&err);
        tyndau_anchor anchors[TYNDAU_N_ANCHOR_MAX];
        size_t n_anchors = tyndau_model_anchors(m, anchors);
        tyndau_anchors_print(anchors, n_anchors, stdout);
    }
done:
    tyndau_model_free(m);
    tyndau_targets_free(&targets);
    tyndau_scenario_free(&sc);
    free(out_alloc);
    free(sets);
    return rc;
}

static int cmd_survey(int argc, char **argv)
{
    static const struct option opts[] = {{"csv", no_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int csv = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c')
            csv = 1;
        else if (c == 'h') {
            fputs(usage_survey, stdout);
            return 0;
        } else {
            fputs(usage_survey, stderr);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fputs(usage_survey, stderr);
        return 2;
    }
    tyndau_error err;
    tyndau_error_clear(&err);
    if (tyndau_output_print_survey(argv[optind], csv ? TYNDAU_PRINT_CSV : TYNDAU_PRINT_TABLE, stdout, &err) != TYNDAU_OK)
        return fail(&err);
    return 0;
}

static int cmd_params(int argc, char **argv)
{
    static const struct option opts[] = {{"markdown", no_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int md = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'm')
            md = 1;
        else if (c == 'h') {
            fputs(usage_params, stdout);
            return 0;
        } else {
            fputs(usage_params, stderr);
            return 2;
        }
    }
    if (optind < argc) {
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

int main(int argc, char **argv)
{
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
    if (strcmp(cmd, "run") == 0) {
        char *cl = join_args(argc, argv);
        int rc = cmd_run(argc - 1, argv + 1, cl ? cl : "");
        free(cl);
        return rc;
    }
    if (strcmp(cmd, "survey") == 0) return cmd_survey(argc - 1, argv + 1);
    if (strcmp(cmd, "params") == 0) return cmd_params(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0) {
        char *cl = join_args(argc, argv);
        int rc = tyndau_cmd_calibrate(argc - 1, argv + 1, cl ? cl : "");
        free(cl);
        return rc;
    }
    int (*many_cmd)(int, char **, const char *) = strcmp(cmd, "sweep") == 0         ? tyndau_cmd_sweep
                                                  : strcmp(cmd, "compare") == 0     ? tyndau_cmd_compare
                                                  : strcmp(cmd, "merge") == 0       ? tyndau_cmd_merge
                                                  : strcmp(cmd, "sensitivity") == 0 ? tyndau_cmd_sensitivity
                                                                                    : NULL;
    if (many_cmd != NULL) {
        char *cl = join_args(argc, argv);
        int rc = many_cmd(argc - 1, argv + 1, cl ? cl : "");
        free(cl);
        return rc;
    }
    fprintf(stderr, "tyndau: unknown command '%s'; expected run, survey, params, calibrate, compare, sweep, "
                    "merge or sensitivity\n", cmd);
    fputs(usage_main, stderr);
    return 2;
}
