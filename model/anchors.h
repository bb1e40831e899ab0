/*
 * anchors.h - the secondary anchors: what a finished run says about the figures that
 * were reported outside the survey (appeals considered in 2020, appeals to the President,
 * the share meeting corruption, the channel mix, answer times), each beside its reported
 * figure, source and year (docs/ODD.md 7.12).  They are outputs, not constraints: nothing
 * in the model is tuned to them here.
 *
 * The anchor year is fixed at 2020 because the reported figures are for 2020 (the
 * President's figures of January 2021; Transparency Kazakhstan / UNDP's 2020 monitoring):
 * another year would have nothing to compare with.  Every value is computed from the
 * run's integer counters (the daily series and whole-run tables of model.c), so it does
 * not depend on the thread count.
 */
#ifndef TYNDAU_ANCHORS_H
#define TYNDAU_ANCHORS_H

#include <stdio.h>

#include "codes.h"

#define TYNDAU_ANCHOR_YEAR 2020
#define TYNDAU_N_ANCHOR_MAX 48

struct tyndau_model;

typedef struct {
    const char *name;       /* e.g. "formal_appeals_decided" */
    const char *definition; /* what the model counts */
    const char *unit;       /* "appeals", "percent", "working days", "ratio" */
    double value;           /* the model's value (NaN where its denominator is zero) */
    int year;               /* the year of the model's value */
    int complete;           /* 1 if the run covers that whole year, else the value covers part of it */
    double reported;        /* the reported figure in `unit`, NaN where none is reported */
    const char *reported_text; /* as reported ("more than 1.9 million"); "" where none */
    int reported_year;      /* 0 where none */
    const char *source;     /* "" where none */
} tyndau_anchor;

/* Fill out[0 .. n-1] with the anchors of a model that has run; returns n (0 before the run). */
size_t tyndau_model_anchors(const struct tyndau_model *m, tyndau_anchor out[TYNDAU_N_ANCHOR_MAX]);

/* Print them as a table (the lines `tyndau run` prints after the fit summary). */
void tyndau_anchors_print(const tyndau_anchor *a, size_t n, FILE *out);

#endif
