/*
 * scenario.h - scenario files: named INI layers of parameter values.
 *
 * A scenario file is INI (read with libinih):
 *
 *     ; comment                       (also '#' at the start of a line)
 *     [scenario]
 *     name = baseline                 ; optional; default: the file stem
 *     description = free text         ; optional
 *     [schedule]                      ; any other section is a parameter category
 *     code_date = 2021-07-01
 *     [state]
 *     corruption_mean = 0.12
 *
 * Keys before the first section may be any parameter.  Under a category section
 * a key must belong to that category; [scenario] holds only `name`,
 * `description` and `base`.
 *
 * Inheritance: `base = FILE` (in [scenario]; a path relative to this file's
 * directory) loads FILE first (`base = none`: nothing, the defaults of params.def), with its own base if it has one, and this file's
 * values go on top; its dated changes are added after the base's.  A file may
 * not inherit from itself, directly or not (at most TYNDAU_SCENARIO_MAX_DEPTH
 * files deep).
 *
 * Dated changes: a section [from YYYY-MM-DD] holds parameters that take the given
 * values from that day on (at the start of the day), on top of the values in force
 * before; any parameter for which tyndau_params_dated() is 1 may appear, whatever
 * its category.  Of two changes of one parameter on one date the later (the
 * inheriting file's) wins.  The date must fall in the simulated period, which is
 * known only after every layer: tyndau_scenario_check says so with file and line.  Every key may appear once, values may not be empty, lines may
 * be at most TYNDAU_SCENARIO_MAX_LINE characters.  An inline comment needs a
 * space before its ';' ("x = 1 ; why"); "x = 1;why" is the value "1;why".  libinih
 * also accepts "key: value".  Leading whitespace is ignored (there are no
 * continuation lines).
 *
 * The values are applied, in file order, on top of a tyndau_params that holds
 * the defaults or an earlier layer; `--set key=value` overrides go on top.
 * Cross-parameter checks (tyndau_params_check) are the caller's job, after
 * the last layer.
 */
#ifndef TYNDAU_SCENARIO_H
#define TYNDAU_SCENARIO_H

#include <stddef.h>

#include "error.h"
#include "params.h"

/* Longest line (without its line ending) that a scenario file may hold. */
#define TYNDAU_SCENARIO_MAX_LINE 197
/* Longest chain of `base` files. */
#define TYNDAU_SCENARIO_MAX_DEPTH 16

/* Where a dated change was written. */
typedef struct {
    int date, param, line;
    double value;
    char *source;
} tyndau_scenario_change;

typedef struct {
    char *text;         /* the scenario text, verbatim (for the HDF5 /scenario group) */
    char *source;       /* path, or the name given for an embedded text */
    char name[64];      /* [scenario] name, or the file stem */
    char *description;  /* [scenario] description or empty string */
    char **overrides;   /* each --set as given, in order */
    size_t n_overrides;
    char **base_sources, **base_texts; /* the files inherited from, outermost first, and their texts */
    size_t n_bases;
    tyndau_scenario_change *changes; /* every dated change of the chain, in the order added */
    size_t n_changes;
    char *joined; /* tyndau_scenario_prepare: the inherited files' texts, then text */
    /* Where each parameter's value (on start_date) was set, [tyndau_n_params]: -1 the default
     * (params.def), k < n_bases the file base_sources[k], n_bases this file, n_bases + 1 a --set;
     * origin_line[i] the line of that file (0 for a default or --set).  NULL until loaded. */
    int *origin, *origin_line;
    int no_base;   /* the chain's outermost file says base = none */
    int calibrated; /* tyndau_scenario_prepare: the layer (as origin) that is the calibrated
                       baseline text, or -2 when the chain holds none */
} tyndau_scenario;

/* What tyndau_scenario_origin says of a parameter. */
typedef enum {
    TYNDAU_ORIGIN_DEFAULT,    /* params.def */
    TYNDAU_ORIGIN_CALIBRATED, /* a value of the calibrated baseline outside its [schedule] */
    TYNDAU_ORIGIN_BASELINE,   /* the calibrated baseline's schedule (the reform's dates) */
    TYNDAU_ORIGIN_FILE,       /* the scenario or a file it inherits from */
    TYNDAU_ORIGIN_SET,        /* a --set override */
    TYNDAU_N_ORIGIN
} tyndau_origin;
extern const char *const tyndau_origin_names[TYNDAU_N_ORIGIN]; /* "default", "calibrated", ... */

/* The origin of parameter i of a prepared scenario, with its place as text in buf: "default",
 * "calibrated, SOURCE:LINE", "baseline, SOURCE:LINE", "SOURCE:LINE" or "--set" (an embedded
 * source "(NAME)" shown as NAME). */
tyndau_origin tyndau_scenario_origin(const tyndau_scenario *s, size_t i, char *buf, size_t len);

/* A cross-parameter check's message (tyndau_params_check) names its keys ("key 'end_date':
 * expected a date not before 'start_date'") but not where they were set: *err's message is put
 * after the --set of the first named key that one set, else the file and line of the first one
 * s's own file set, else of the first an inherited file set, else s's source.  Returns
 * err->status. */
tyndau_status tyndau_scenario_where_set(const tyndau_scenario *s, tyndau_error *err);

/*
 * Read and apply a scenario file on top of *p (which holds defaults or an
 * earlier layer).  *s must be zero-initialised or hold an earlier load; on
 * success its old contents (overrides included) are released and replaced.
 *
 * On failure (TYNDAU_EINPUT for anything in the file, with a message
 * "SOURCE:LINE: ..."; TYNDAU_EINTERNAL for out of memory) *s is left as it was
 * and stays safe to free, but *p may hold some of the file's values: callers
 * must discard it.
 */
tyndau_status tyndau_scenario_load_file(tyndau_scenario *s, tyndau_params *p, const char *path,
                                        tyndau_error *err);

/* Same for text already in memory; `source` names it in messages and gives the
 * default name: the stem of its last path component, or of the last word of a
 * parenthesised source ("(embedded baseline.ini)" gives "baseline"), with
 * characters not allowed in a name replaced by '_'. */
tyndau_status tyndau_scenario_load_text(tyndau_scenario *s, tyndau_params *p, const char *text,
                                        const char *source, tyndau_error *err);

/* Apply one "--set key=value" (whitespace around key and value trimmed) and, on
 * success, append kv as given to s->overrides.  Errors start "--set 'KV': ".
 * On failure *p is unchanged. */
tyndau_status tyndau_scenario_apply_set(tyndau_scenario *s, tyndau_params *p, const char *kv,
                                        tyndau_error *err);

/* Check that every dated change falls in the simulated period of *p (the final
 * parameters, after every layer): TYNDAU_EINPUT "SOURCE:LINE: ..." otherwise. */
tyndau_status tyndau_scenario_check(const tyndau_scenario *s, const tyndau_params *p, tyndau_error *err);

/* The texts of the files *s inherits from, outermost first, each after a line
 * "; ---- inherited: SOURCE", followed by `own` (may be NULL); a string the caller
 * frees, NULL when out of memory. */
char *tyndau_scenario_joined_text(const tyndau_scenario *s, const char *own);

/*
 * The one way to get checked parameters from a scenario, for every command: *p gets the
 * defaults, then the scenario (the file at `path`, or `text` named `source` when path is
 * NULL) with the files it inherits from, the outermost of which inherits from `text` (the
 * calibrated baseline) unless it says `base = none` or is that text itself (text NULL: no
 * such base), then the n_sets overrides "key=value" in order; the
 * dated changes and the parameters are checked (tyndau_scenario_check, tyndau_params_check);
 * and s->joined gets the texts read (tyndau_scenario_joined_text of s->text), what a file
 * records of its scenario and what a resume fingerprint covers, so that a changed base file
 * is noticed.  *s must be zero-initialised; on failure it is freed and *p must be discarded.
 */
tyndau_status tyndau_scenario_prepare(tyndau_scenario *s, tyndau_params *p, const char *path, const char *text,
                                      const char *source, const char *const *sets, size_t n_sets,
                                      tyndau_error *err);

/* Release everything *s holds and zero it; safe on a zeroed struct and after a
 * failed load. */
void tyndau_scenario_free(tyndau_scenario *s);

#endif
