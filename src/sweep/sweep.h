/*
 * sweep.h - the sweep study's own parts, shared by its files: the sweep file as read
 * (sweep.c) and the design built from it (design.c).  docs/hpc.md describes both.
 */
#ifndef TYNDAU_SWEEP_H
#define TYNDAU_SWEEP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cfgfile.h"
#include "engine/prior.h"
#include "error.h"

#include <gsl/gsl_rng.h>

#define SWEEP_MAXD 40    /* parameters of a design */
#define SWEEP_MAXOUT 128 /* outputs of a run */

/* Stream kinds of many_seed: the runs' model seeds and the design's points. */
enum { K_SWEEP = 101, K_DESIGN };

typedef enum { D_FACTORIAL, D_LHS, D_SOBOL, D_SALTELLI, D_SALTELLI_SALIB, D_MORRIS, D_CSV, N_DESIGN } sweep_design_t;
extern const char *const sweep_design_names[N_DESIGN];
int sweep_is_saltelli(int design);

/* One output of a run: a headline measure of a group, a gap, or a survey cell. */
typedef enum { O_HEADLINE, O_GAP, O_SURVEY } sweep_out_kind;
typedef struct {
    sweep_out_kind kind;
    int which; /* headline or gap */
    int group;
    char question[64], response[48];
    char name[160];
} sweep_out;

typedef struct {
    cfg_file file; /* the sweep file: path, text, parse state, first error */
    char *csv_text; /* design = csv: the CSV file's text as read */
    char scenario[PATH_MAX], csv[PATH_MAX];
    size_t agents, replicates, points, max_runs, batch;
    uint64_t seed;
    sweep_design_t design;
    int levels, have_design, have_points;
    int second_order; /* saltelli designs and layouts: the BA_i blocks too (0 when not given) */
    int layout;       /* design = csv: the design whose run order the rows follow, -1 none */
    size_t noise_runs;
    /* where keys were read, for the checks after the whole file is read (0: not given) */
    int line_second_order, line_layout, line_noise, line_points, line_levels;
    size_t rows;      /* design = csv: data rows (points); points is then the base rows */
    int *csv_line;    /* design = csv: the line of each row */
    prior_t par[SWEEP_MAXD];
    size_t d;
    sweep_out out[SWEEP_MAXOUT];
    size_t n_out;
} sweep_cfg;

/* Read the sweep file `path` into c (zeroed first, then the defaults), with the checks of its
 * keys that need the whole file: "FILE:LINE: ..." messages; free c->file.text afterwards. */
tyndau_status sweep_config_load(sweep_cfg *c, const char *path, tyndau_error *err);

/* The design of a sweep file that has been read: *P points, their values x [P][d] and their
 * places u [P][d] in the unit cube (design = csv: in each parameter's allowed range), both
 * malloc'd; the checks that need the whole file (the design's keys, max_runs, noise_runs) with
 * "FILE:LINE: ..." messages. */
tyndau_status sweep_design(sweep_cfg *c, double **x, double **u, size_t *P, tyndau_error *err);

/* A Latin hypercube of P points in the unit cube [P][d] from rng (each axis: a random permutation
 * of the P strata, a uniform point in each); also calibrate's history matching (src/calibrate/hm.c).
 * 0, or -1 out of memory. */
int sweep_lhs(gsl_rng *rng, size_t P, size_t d, double *u);

#endif
