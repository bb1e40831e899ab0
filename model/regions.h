/*
 * regions.h - the first-level regions of Kazakhstan in 2021 (14 oblasts and
 * 3 cities of republican significance): input data, not parameters.
 */
#ifndef TYNDAU_REGIONS_H
#define TYNDAU_REGIONS_H

#include "codes.h"

typedef struct {
    const char *name;  /* identifier used in outputs */
    double population; /* residents, start of 2021, thousands */
    double urban;      /* urban share of residents */
} tyndau_region;

extern const tyndau_region tyndau_regions[TYNDAU_N_REGION];

#endif
