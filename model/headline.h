/*
 * headline.h - the headline measures a policy user asks for (MODEL_BRIEF s8), as
 * numbers of a finished run: the outputs of sweeps and scenario comparisons.
 *
 * Every measure is defined per group (codes.h; group 0 is the total) over the whole
 * simulated period, except the end-of-run shares, which are taken at the last day.
 * A measure whose denominator is zero is NaN.
 */
#ifndef TYNDAU_HEADLINE_H
#define TYNDAU_HEADLINE_H

#include "codes.h"

struct tyndau_model;

typedef enum {
    HL_VOICE_RATE,        /* appeals through any channel / problems met (problems include re-raised ones) */
    HL_RESOLUTION_RATE,   /* appeals resolved (by the office) / appeals decided */
    HL_FORMAL_RATE,       /* formal answers without resolution / appeals decided */
    HL_BRIBE_INCIDENCE,   /* bribes demanded (paid or refused) / appeals decided */
    HL_ANSWER_DAYS,       /* mean days from appeal to answer (the last histogram bin counts as its lower edge) */
    HL_PLATFORM_AWARE,    /* share who have heard of the platforms or know them, at the end */
    HL_TRUST_CENTRAL,     /* share whose evidence says central authorities pay attention, at the end */
    HL_TRUST_LOCAL,       /* the same for the akimat */
    N_HEADLINE
} tyndau_headline;

extern const char *const tyndau_headline_names[N_HEADLINE];

/* Measure h for group g (0 .. TYNDAU_N_GROUP-1) of a model that has run; NaN before the run or
 * where undefined. */
double tyndau_model_headline(const struct tyndau_model *m, tyndau_headline h, int g);

/* Measure h for group g over days [d0, d1) of a model that has run (day 0 = start_date), from the
 * daily series: rates over the appeals and outcomes of those days, shares on day d1 - 1.  NaN for
 * HL_ANSWER_DAYS (answer times are kept for the whole run only), outside the run, or where the
 * denominator is zero.  Over the whole run, [0, n_days), it equals tyndau_model_headline for every
 * measure but HL_ANSWER_DAYS (tests/test_headline.c). */
double tyndau_model_headline_days(const struct tyndau_model *m, tyndau_headline h, int g, int d0, int d1);

/* The responsiveness gaps: resolution rate of high minus low income, urban minus rural, 18-29
 * minus 61+. */
typedef enum { GAP_INCOME, GAP_SETTLEMENT, GAP_AGE, N_GAP } tyndau_gap;
extern const char *const tyndau_gap_names[N_GAP];
double tyndau_model_gap(const struct tyndau_model *m, tyndau_gap gap);

/* Index of the headline measure called `name`, or -1. */
int tyndau_headline_find(const char *name);

#endif
