/*
 * regions.c - population and urban share of the 17 first-level regions of 2021.
 *
 * Sources: Bureau of National Statistics (BNS). The six largest regions'
 * populations (1 May 2021) are in the shared facts file (M: BNS via
 * tobyl-torgai.kz); the others are BNS start-of-2021 figures rounded to the
 * thousand and NOT in the facts file: treat them as approximate (L) until
 * checked against stat.gov.kz.  Urban shares: the three cities are wholly
 * urban; the others are approximate BNS figures for 2021 (L).  The facts
 * file's urban shares (Karaganda 81.7%, Almaty oblast 16.1%, Turkestan 24.7%)
 * are for 2024, after the 2022 splits moved districts to new regions, so they
 * are a check on the order of magnitude, not the values used.  The national
 * urban share they imply (about 59%) matches BNS 1 Jan 2021: 59.1% (facts: H).
 * The adult population is assumed to be distributed like the residents.
 */
#include "regions.h"

const tyndau_region tyndau_regions[TYNDAU_N_REGION] = {
    {"nur_sultan_city", 1200, 1.00},
    {"almaty_city", 1990, 1.00},
    {"shymkent_city", 1080, 1.00},
    {"akmola", 736, 0.48},
    {"aktobe", 894, 0.66},
    {"almaty_oblast", 2090, 0.23},
    {"atyrau", 657, 0.56},
    {"west_kazakhstan", 658, 0.52},
    {"zhambyl", 1130, 0.41},
    {"karaganda", 1380, 0.80},
    {"kostanay", 865, 0.55},
    {"kyzylorda", 813, 0.45},
    {"mangystau", 720, 0.41},
    {"pavlodar", 751, 0.71},
    {"north_kazakhstan", 543, 0.44},
    {"turkestan", 2050, 0.21},
    {"east_kazakhstan", 1360, 0.62},
};
