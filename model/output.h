/*
 * output.h - the HDF5 run file of tyndau: schema constants and the survey
 * reader used by the command line.  The writer itself is tyndau_model_write
 * (tyndau.h); the layout is documented in docs/output_schema.md.
 *
 * Schema versions are MAJOR.MINOR: a minor bump only adds items, a major bump
 * changes or removes some, so readers accept any minor of the one major they
 * know and refuse every other major.
 */
#ifndef TYNDAU_OUTPUT_H
#define TYNDAU_OUTPUT_H

#include <stdio.h>

#include "error.h"
#include "h5.h"

#define TYNDAU_SCHEMA_NAME "tyndau-run"
#define TYNDAU_SCHEMA_VERSION "1.4"
#define TYNDAU_SCHEMA_MAJOR 1

/* Read /survey of the run file at `path` and print it to `out`: csv = 1 gives
 * the columns question,base,group_type,group,response,sample,simulated,
 * observed,lo95,hi95,inside (observed..inside empty where unpublished);
 * csv = 0 gives an aligned table per question and a fit summary.  A missing
 * or unreadable file, a file that is not HDF5, one without /survey or with a
 * schema major version other than TYNDAU_SCHEMA_MAJOR is TYNDAU_EINPUT.
 * Uses the serial HDF5 library: do not call while another thread uses HDF5. */
typedef enum {
    TYNDAU_PRINT_TABLE,     /* every simulated cell, aligned, with the fit summary */
    TYNDAU_PRINT_CSV,       /* every cell, the columns of `tyndau survey --csv` */
    TYNDAU_PRINT_PUBLISHED  /* the published cells only, aligned, with the fit summary */
} tyndau_print_mode;

tyndau_status tyndau_output_print_survey(const char *path, tyndau_print_mode mode, FILE *out, tyndau_error *err);

/* The run file's /headline group (output_headline.c), for tyndau_model_write. */
struct tyndau_model;
void tyndau_output_headline(tyndau_h5 *w, hid_t file, const struct tyndau_model *m);

#endif
