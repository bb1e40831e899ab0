/*
 * targets.h - the published survey figures the model is calibrated against.
 *
 * Data structure: tyndau_targets is a flat, caller-owned array of published
 * cells (one per data line of a marginals CSV such as
 * data/survey_2021/marginals.csv), kept in file order.  A "row" is the set of
 * cells sharing (question, group_type, group): the answers to one question in
 * one subgroup.
 *
 * Invariant after a successful parse or load: n >= 1; no two cells share
 * (question, group_type, group, response); every percent is finite and in
 * [0, 100]; every share is in [0, 1]; the percents of each row sum to
 * 100 +- 0.5, except the known quirks documented in targets.c, whose rows are
 * either a published subset (sum <= 100.5) or rescaled so that their shares
 * sum to 1 (normalised = 1).  After a failure, or after tyndau_targets_free,
 * the set is empty (cells == NULL, n == 0).
 */
#ifndef TYNDAU_TARGETS_H
#define TYNDAU_TARGETS_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* The published survey the figures come from, as every file that uses them cites it. */
#define TYNDAU_SURVEY_CITATION                                                                   \
    "Kurmanov, B., Selteyev, U. & Almaganbetov, A. (2024). 'Listening State?': exploring "        \
    "citizens' perceptions of Open Government in Tokayev's Kazakhstan. Central Asian Survey "     \
    "43(2), 235-256. doi:10.1080/02634937.2023.2268652"

typedef struct {
    char question[64], base[32], group_type[16], group[24], response[48];
    double percent;  /* as published in the file */
    double share;    /* fraction in [0,1] used for comparison: percent/100, or rescaled for a normalised row */
    int line;        /* 1-based line number in the source text */
    int normalised;  /* 1 when this cell's row was rescaled to sum to 100 */
} tyndau_target;

typedef struct {
    tyndau_target *cells;
    size_t n;
} tyndau_targets;

/* Parse CSV text (name is used in messages, e.g. the file path). Warnings go to `warn` (may be NULL).
   On bad input returns TYNDAU_EINPUT with err->msg = "NAME:LINE: <what is wrong>, expected <what>". */
tyndau_status tyndau_targets_parse(tyndau_targets *t, const char *text, const char *name, FILE *warn,
                                   tyndau_error *err);
/* Read the file then parse; an unreadable/missing file is TYNDAU_EINPUT "PATH: cannot read: <strerror>". */
tyndau_status tyndau_targets_load(tyndau_targets *t, const char *path, FILE *warn, tyndau_error *err);
/* Release the cells and leave *t empty; safe on an empty or already freed set. */
void tyndau_targets_free(tyndau_targets *t);
/* Find a cell, NULL if not published. */
const tyndau_target *tyndau_targets_find(const tyndau_targets *t, const char *question,
                                         const char *group_type, const char *group,
                                         const char *response);
/* 95% Wilson score interval for a proportion p (0..1) observed in n respondents (n > 0); writes lo, hi in [0,1].
   p outside [0,1] is clamped; n <= 0 carries no information and gives [0, 1]; a NaN p or n gives NaN bounds. */
void tyndau_wilson95(double p, double n, double *lo, double *hi);

#endif
