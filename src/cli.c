/*
 * cli.c - what the commands share (see cli.h).
 *
 * The option parser reads each command's table: getopt_long does the splitting (options and
 * operands in any order, "--name value" and "--name=value"), the table says what each
 * value must be, so that every command says the same thing about a bad value.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/many.h"
#include "text.h"

extern const char tyndau_embedded_baseline[];  /* build/embedded.c */
extern const char tyndau_embedded_marginals[];
extern const char tyndau_build_commit[]; /* build/version.c, remade by every build */
extern const char tyndau_build_cflags[];

#define MAX_OPTS 24

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

/* A decimal number: strtod alone would also take leading blanks and hexadecimal ("0x1p-3"), as
 * no reader of tyndau's files does. */
static int parse_real(const char *s, double *out)
{
    if (strspn(s, "0123456789+-.eE") != strlen(s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || v != v) return -1;
    *out = v;
    return 0;
}

/* Store the value of option o; 0, or 2 after printing why it is bad. */
static int take(const cli_opt *o, const char *arg)
{
    uint64_t u;
    double x;
    /* an empty file name would otherwise mean "none given" (the embedded baseline or targets) */
    if ((o->kind == CLI_TEXT || o->kind == CLI_LIST) && arg[0] == '\0') {
        fprintf(stderr, "tyndau: --%s: expected a value, got an empty one\n", o->name);
        return 2;
    }
    switch (o->kind) {
    case CLI_FLAG: *(int *)o->value = 1; return 0;
    case CLI_TEXT: *(const char **)o->value = arg; return 0;
    case CLI_LIST: {
        cli_list *l = o->value;
        if (l->n == l->max) {
            fprintf(stderr, "tyndau: --%s: at most %zu\n", o->name, l->max);
            return 2;
        }
        l->v[l->n++] = arg;
        return 0;
    }
    case CLI_COUNT:
        if (parse_u64(arg, &u) != 0 || (double)u < o->lo || (double)u > o->hi) {
            fprintf(stderr, "tyndau: --%s: expected a whole number from %.0f to %.0f, got '%s'\n", o->name, o->lo,
                    o->hi, arg);
            return 2;
        }
        *(size_t *)o->value = (size_t)u;
        return 0;
    case CLI_U64:
        if (parse_u64(arg, &u) != 0) {
            fprintf(stderr, "tyndau: --%s: expected an unsigned 64-bit integer, got '%s'\n", o->name, arg);
            return 2;
        }
        *(uint64_t *)o->value = u;
        return 0;
    case CLI_REAL:
        if (parse_real(arg, &x) != 0 || !(x > o->lo && x < o->hi)) {
            fprintf(stderr, "tyndau: --%s: expected a number in (%g, %g), got '%s'\n", o->name, o->lo, o->hi, arg);
            return 2;
        }
        *(double *)o->value = x;
        return 0;
    }
    return 2;
}

size_t cli_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return SIZE_MAX;
    size_t d[66][66]; /* optimal string alignment: insertions, deletions, substitutions, swaps */
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *cli_suggest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX, len = strlen(word);
    for (size_t k = 0; k < n; k++) {
        size_t d = cli_edit_distance(word, names[k]);
        /* a prefix of at least 3 characters is what an abbreviation looks like */
        if (len >= 3 && strncmp(word, names[k], len) == 0) d = 1;
        if (d < best_d) best_d = d, best = names[k];
    }
    size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return best_d <= allowed ? best : NULL;
}

/* The usage describes option `name` when a line of its option list starts with it: blanks,
 * then "-X, --NAME" or "--NAME", then a blank or the end of the line (a mention in the
 * synopsis, "[--seed S]", is not a description). */
static int describes(const char *usage, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = usage; *line != '\0'; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        const char *u = line + strspn(line, " ");
        if (u == line) continue;
        if (u[0] == '-' && u[1] != '-' && u[1] != '\0' && u[2] == ',' && u[3] == ' ') u += 4;
        if (strncmp(u, "--", 2) == 0 && strncmp(u + 2, name, n) == 0 &&
            (u[2 + n] == ' ' || u[2 + n] == '\n' || u[2 + n] == '\0' || u[2 + n] == '='))
            return 1;
    }
    return 0;
}

/* Say what was wrong with the option argv[optind - 1] (getopt_long returned '?' or ':') and
 * what was probably meant, with where to find the list. */
static void bad_option(int c, char **argv, const cli_opt *opts, size_t n)
{
    const char *cmd = argv[0];
    const char *arg = argv[optind - 1];
    if (c == ':') {
        if (strncmp(arg, "--", 2) != 0 && optopt != 0 && optopt < 256)
            fprintf(stderr, "tyndau: %s: option '-%c' expects a value\n", cmd, optopt);
        else
            fprintf(stderr, "tyndau: %s: option '%.*s' expects a value\n", cmd, (int)strcspn(arg, "="), arg);
        return;
    }
    const char *eq = strchr(arg, '=');
    if (arg[0] == '-' && arg[1] == '-' && eq != NULL && optopt != 0) {
        /* getopt_long's '?' for "--flag=value": the option is known but takes no value */
        fprintf(stderr, "tyndau: %s: option '%.*s' takes no value\n", cmd, (int)(eq - arg), arg);
        return;
    }
    if (arg[0] == '-' && arg[1] == '-' && optopt == 0) {
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
        const char *names[MAX_OPTS + 1];
        size_t k = 0;
        for (; k < n; k++) names[k] = opts[k].name;
        names[k++] = "help";
        const char *guess = cli_suggest(word, names, k);
        if (guess != NULL)
            fprintf(stderr, "tyndau: %s: unknown option '--%s'; did you mean '--%s'?\n", cmd, word, guess);
        else
            fprintf(stderr, "tyndau: %s: unknown option '--%s'\n", cmd, word);
    } else {
        fprintf(stderr, "tyndau: %s: unknown option '-%c'\n", cmd, optopt ? optopt : '?');
    }
    fprintf(stderr, "'tyndau %s --help' lists the options\n", cmd);
}

int cli_parse(int argc, char **argv, const cli_opt *opts, const char *usage, int *first)
{
    struct option lo[MAX_OPTS + 2];
    char shorts[3 * MAX_OPTS + 4] = ":h"; /* ':': a missing value is told apart from an unknown option */
    size_t n = 0, ns = 2;
    for (; opts[n].name != NULL && n < MAX_OPTS; n++) {
        int arg = opts[n].kind == CLI_FLAG ? no_argument : required_argument;
        lo[n] = (struct option){opts[n].name, arg, NULL, 256 + (int)n};
        if (opts[n].letter) {
            lo[n].val = opts[n].letter;
            shorts[ns++] = opts[n].letter;
            if (arg == required_argument) shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    int c;
    const char *given[MAX_OPTS] = {NULL}; /* the value each option had, to refuse a second one */
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (c == 'h') {
            /* the usage is the one description of the options (and of the man pages): an option
             * it leaves out is this program's error */
            for (size_t k = 0; k < n; k++)
                if (!describes(usage, opts[k].name)) {
                    fprintf(stderr, "tyndau: %s: internal error: --help does not describe --%s\n", argv[0],
                            opts[k].name);
                    return 1;
                }
            fputs(usage, stdout);
            return CLI_DONE;
        }
        const cli_opt *o = NULL;
        for (size_t k = 0; k < n && o == NULL; k++)
            if (c == 256 + (int)k || (opts[k].letter && c == opts[k].letter)) o = &opts[k];
        if (o == NULL) {
            bad_option(c, argv, opts, n);
            return 2;
        }
        size_t k = (size_t)(o - opts);
        if (given[k] != NULL && o->kind != CLI_LIST && o->kind != CLI_FLAG) {
            /* the later one would silently win: a script's default and its override are two values */
            fprintf(stderr, "tyndau: %s: option '--%s' given twice ('%s', then '%s'): give it once\n", argv[0], o->name,
                    given[k], optarg);
            return 2;
        }
        given[k] = optarg != NULL ? optarg : "";
        if (take(o, optarg) != 0) return 2;
    }
    for (int i = optind; i < argc; i++)
        if (argv[i][0] == '\0') {
            fprintf(stderr, "tyndau: %s: argument %d is empty, expected a file name\n", argv[0], i - optind + 1);
            return 2;
        }
    *first = optind;
    return 0;
}

int cli_fail(const tyndau_error *err)
{
    fprintf(stderr, "tyndau: %s\n", err->msg[0] ? err->msg : "failed (no reason recorded)");
    return err->status == TYNDAU_OK ? 1 : (int)err->status;
}

char *cli_command_line(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = tyndau_calloc(len, 1);
    if (s == NULL) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

tyndau_status cli_scenario(tyndau_scenario *s, tyndau_params *p, const char *path, const char *const *sets,
                           size_t n_sets, tyndau_error *err)
{
    int embedded = path == NULL || path[0] == '\0';
    return tyndau_scenario_prepare(s, p, embedded ? NULL : path, tyndau_embedded_baseline, CLI_EMBEDDED_BASELINE,
                                   sets, n_sets, err);
}

const char *cli_targets_text(const char *path, char **owned, tyndau_error *err)
{
    *owned = NULL;
    if (path == NULL || path[0] == '\0') return tyndau_embedded_marginals;
    return tyndau_text_read(owned, path, NULL, 0, err) == TYNDAU_OK ? *owned : NULL;
}

tyndau_status cli_targets(tyndau_targets *t, const char *path, FILE *warnings, tyndau_error *err)
{
    if (path == NULL || path[0] == '\0')
        return tyndau_targets_parse(t, tyndau_embedded_marginals, CLI_EMBEDDED_TARGETS, warnings, err);
    return tyndau_targets_load(t, path, warnings, err);
}

char *cli_slurp(const char *path, tyndau_error *err)
{
    char *text;
    return tyndau_text_read(&text, path, NULL, 0, err) == TYNDAU_OK ? text : NULL;
}

tyndau_status cli_claim_output(tyndau_outfile *o, const char *path, const char *const *inputs, size_t n_inputs,
                               const tyndau_scenario *scs, size_t n_scs, tyndau_error *err)
{
    size_t n = n_inputs;
    for (size_t s = 0; s < n_scs; s++) n += scs[s].n_bases;
    const char **all = tyndau_calloc(n + 1, sizeof *all);
    if (all == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
    n = 0;
    for (size_t k = 0; k < n_inputs; k++) all[n++] = inputs[k];
    for (size_t s = 0; s < n_scs; s++)
        for (size_t k = 0; k < scs[s].n_bases; k++) all[n++] = scs[s].base_sources[k];
    tyndau_status rc = tyndau_outfile_claim(o, path, all, n, err);
    free(all);
    return rc;
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

tyndau_status cli_check_memory(const tyndau_params *p, size_t agents, int models, const char *what,
                               tyndau_error *err)
{
    size_t one = tyndau_model_bytes(p, agents), have = available_memory();
    double need = (double)one * (double)(models > 0 ? models : 1);
    if (need <= (double)have) return TYNDAU_OK;
    return TYNDAU_ERR(err, TYNDAU_EINPUT,
                      "%s %zu: %d model(s) at once need about %.2f GiB but %.2f GiB of memory is available; "
                      "expected at most %.0f agents%s",
                      what, agents, models > 0 ? models : 1, need / 1073741824.0, (double)have / 1073741824.0,
                      (double)agents * (double)have / need, models > 1 ? " (or fewer --threads)" : "");
}

tyndau_h5_prov cli_provenance(const char *schema_name, const char *schema_version, const char *command_line)
{
    return (tyndau_h5_prov){.schema_name = schema_name,
                            .schema_version = schema_version,
                            .program = "tyndau",
                            .git_commit = tyndau_build_commit,
                            .cflags = tyndau_build_cflags,
                            .mpi_version = many_mpi_version(),
                            .command_line = command_line,
                            .threads = 1,
                            .ranks = 1};
}

void cli_origin_summary(const tyndau_scenario *s, FILE *out)
{
    size_t n[TYNDAU_N_ORIGIN] = {0};
    char buf[64];
    for (size_t i = 0; i < tyndau_n_params; i++) n[tyndau_scenario_origin(s, i, buf, sizeof buf)]++;
    const char *cal = s->calibrated < 0                     ? NULL
                      : (size_t)s->calibrated < s->n_bases ? s->base_sources[s->calibrated]
                                                            : s->source;
    int paren = cal != NULL && cal[0] == '(';
    fprintf(out, "tyndau: parameters of '%s': %zu calibrated and %zu more from the baseline%s%s%s, %zu from "
                 "the scenario's file%s, %zu from --set, %zu defaults (params.def)%s\n",
            s->name, n[TYNDAU_ORIGIN_CALIBRATED], n[TYNDAU_ORIGIN_BASELINE], cal && !paren ? " (" : cal ? " " : "",
            cal ? cal : "", cal && !paren ? ")" : "", n[TYNDAU_ORIGIN_FILE], n[TYNDAU_ORIGIN_FILE] == 1 ? "" : "s", n[TYNDAU_ORIGIN_SET],
            n[TYNDAU_ORIGIN_DEFAULT],
            s->no_base ? "; base = none: not the calibrated model" : "");
}

char **cli_origins(const tyndau_scenario *s)
{
    char **o = tyndau_calloc(tyndau_n_params + 1, sizeof *o);
    for (size_t i = 0; o != NULL && i < tyndau_n_params; i++) {
        char buf[PATH_MAX + 64];
        tyndau_scenario_origin(s, i, buf, sizeof buf);
        if ((o[i] = tyndau_calloc(strlen(buf) + 1, 1)) == NULL) {
            cli_origins_free(o);
            return NULL;
        }
        strcpy(o[i], buf);
    }
    return o;
}

void cli_origins_free(char **o)
{
    for (size_t i = 0; o != NULL && o[i] != NULL; i++) free(o[i]);
    free(o);
}

void cli_size_warning(size_t agents, FILE *out)
{
    if (out == NULL || agents >= CLI_OFFICE_AGENTS) return;
    fprintf(out,
            "tyndau: warning: %zu agents: office-level measures (days to answer, late decisions) depend on "
            "model size below %d agents (days to answer 10.06 +- 0.02 at 100,000 and 10.01 +- 0.01 at 200,000 "
            "against 9.97 +- 0.004 at 400,000 and 9.965 +- 0.003 at 1,000,000; docs/ODD.md s11): compare them "
            "at %d agents or more\n",
            agents, CLI_OFFICE_AGENTS, CLI_OFFICE_AGENTS);
}
