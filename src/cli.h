/*
 * cli.h - what the commands of the tyndau program share: one option parser (a table of
 * options per command), the command line as typed, the scenario (a file or the embedded
 * baseline) and the survey targets, the provenance of this build, and the one way errors
 * end: the library's tyndau_error, printed once, by the command, as "tyndau: MESSAGE".
 */
#ifndef TYNDAU_CLI_H
#define TYNDAU_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "h5.h"
#include "outfile.h"
#include "scenario.h"
#include "tyndau.h"

/* What an option's value is, and where it goes. */
typedef enum {
    CLI_FLAG,  /* int *: set to 1 */
    CLI_TEXT,  /* const char **: the argument */
    CLI_LIST,  /* cli_list *: the arguments of a repeatable option, in order */
    CLI_COUNT, /* size_t *: a whole number in [lo, hi] */
    CLI_U64,   /* uint64_t *: an unsigned 64-bit integer */
    CLI_REAL   /* double *: a number in (lo, hi) */
} cli_kind;

typedef struct {
    const char **v;
    size_t n, max; /* max: most arguments allowed; v holds max entries */
} cli_list;

typedef struct {
    const char *name; /* the long name, without "--"; NULL ends the table */
    char letter;      /* the short name, or 0 */
    cli_kind kind;
    void *value;
    double lo, hi;
} cli_opt;

/* Parse a command's options (argv[0] is the command's name) by the table opts; -h and --help
 * are always known.  Returns 0 with the operands in argv[*first .. argc); CLI_DONE after
 * --help (the usage printed on stdout: exit 0); or 2 for a bad option or value (the message,
 * "tyndau: --NAME: expected ..., got 'VALUE'", or "tyndau: CMD: unknown option '--X'; did
 * you mean '--Y'?" on stderr), or 1 when the usage does not describe every option of the
 * table (the usage is the one text of --help and the man pages, so it must). */
#define CLI_DONE (-1)
int cli_parse(int argc, char **argv, const cli_opt *opts, const char *usage, int *first);

/* The edit distance of a and b (optimal string alignment: insertions, deletions,
 * substitutions and swaps of neighbours); SIZE_MAX for words over 64 characters. */
size_t cli_edit_distance(const char *a, const char *b);

/* The one of names[0 .. n) that `word` was most likely meant to be (closest by edit
 * distance, at most 1 for words up to 4 characters, 2 up to 8, 3 beyond; a prefix of at
 * least 3 characters counts as distance 1), or NULL. */
const char *cli_suggest(const char *word, const char *const *names, size_t n);

/* Print "tyndau: MESSAGE" on stderr and return err's status as the exit status (1 if none). */
int cli_fail(const tyndau_error *err);

/* argv[0 .. argc) joined by spaces, for the files' command_line; the caller frees it. */
char *cli_command_line(int argc, char **argv);

/* The name a file records for the embedded scenarios/baseline.ini. */
#define CLI_EMBEDDED_BASELINE "(embedded baseline.ini)"
#define CLI_EMBEDDED_TARGETS "(embedded data/survey_2021/marginals.csv)"

/* The scenario file at path, or the embedded baseline when path is NULL or "", with the
 * overrides, checked: tyndau_scenario_prepare. */
tyndau_status cli_scenario(tyndau_scenario *s, tyndau_params *p, const char *path, const char *const *sets,
                           size_t n_sets, tyndau_error *err);

/* One line: how many of the scenario's parameters are calibrated, from the rest of the
 * baseline, from the scenario's files, from --set, and defaults (tyndau_scenario_origin). */
void cli_origin_summary(const tyndau_scenario *s, FILE *out);

/* tyndau_scenario_origin of every parameter, as a NULL-ended array for tyndau_meta's
 * param_origins (NULL when out of memory); cli_origins_free releases it (NULL is fine). */
char **cli_origins(const tyndau_scenario *s);
void cli_origins_free(char **o);

/* Below this many agents office-level measures depend on the model's size: measured on the calibrated
 * baseline of commit 5963a62 (mean +- SE over seeds 1-4, 1-8 at 200,000), days to answer 10.062 +- 0.018
 * at 100,000, 10.009 +- 0.010 at 200,000, 9.973 +- 0.004 at 400,000, 9.965 +- 0.003 at 1,000,000
 * (docs/ODD.md s11). */
#define CLI_OFFICE_AGENTS 400000
/* The warning that says so, on out (NULL: none), for agents below CLI_OFFICE_AGENTS. */
void cli_size_warning(size_t agents, FILE *out);

/* The published survey figures: the file at path, or the embedded marginals (path NULL or
 * ""); warnings about the data go to `warnings` (NULL: none). */
tyndau_status cli_targets(tyndau_targets *t, const char *path, FILE *warnings, tyndau_error *err);
/* The text cli_targets reads: the file's (malloc'd into *owned) or the embedded one. */
const char *cli_targets_text(const char *path, char **owned, tyndau_error *err);

/* A whole file's text, malloc'd (the caller frees), or NULL with "PATH: cannot read: why". */
char *cli_slurp(const char *path, tyndau_error *err);

/* The output of a command, claimed before its first run (tyndau_outfile_claim, outfile.h):
 * absent or a regular file, none of the inputs (the n named, and the files the n_scs
 * scenarios scs inherit), in a directory that can be written, and locked against a second
 * writer until tyndau_outfile_release. */
tyndau_status cli_claim_output(tyndau_outfile *o, const char *path, const char *const *inputs, size_t n_inputs,
                               const tyndau_scenario *scs, size_t n_scs, tyndau_error *err);

/* Enough memory for `models` models of `agents` citizens at once (one per thread): the least
 * of MemAvailable, the cgroup's limit (v2) and the address-space limit, so that a container or
 * `ulimit -v` is respected; TYNDAU_EINPUT "WHAT N: ..." naming the most agents that fit, before
 * any run (what: "--agents", or the file and key that set it). */
tyndau_status cli_check_memory(const tyndau_params *p, size_t agents, int models, const char *what,
                               tyndau_error *err);

/* The provenance of this build (schema, program, commit, compiler flags, MPI library) with
 * the command line; the command fills in the seed, threads, ranks and scenario. */
tyndau_h5_prov cli_provenance(const char *schema_name, const char *schema_version, const char *command_line);

#endif
