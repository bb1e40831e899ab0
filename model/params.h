/*
 * params.h - the model's parameters, generated from params.def.
 *
 * tyndau_params is a plain struct (one field per table row) so the hot loops
 * read parameters at the cost of a load.  Everything that must know about
 * every parameter (reader, range check, HDF5 writer, docs) iterates over
 * tyndau_param_table instead of naming fields, so adding a row to params.def
 * is the whole change.
 */
#ifndef TYNDAU_PARAMS_H
#define TYNDAU_PARAMS_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Days since 1970-01-01 of a proleptic Gregorian date, as a constant expression
 * (Howard Hinnant's days_from_civil, years >= 1). */
#define TYNDAU_YMD_Y(y, m) ((y) - ((m) <= 2))
#define TYNDAU_YMD(y, m, d)                                                                 \
    ((TYNDAU_YMD_Y(y, m) / 400) * 146097 +                                                  \
     (TYNDAU_YMD_Y(y, m) % 400) * 365 + (TYNDAU_YMD_Y(y, m) % 400) / 4 -                    \
     (TYNDAU_YMD_Y(y, m) % 400) / 100 + (153 * ((m) + ((m) > 2 ? -3 : 9)) + 2) / 5 + (d) - 1 - \
     719468)

typedef enum { TYNDAU_PT_REAL, TYNDAU_PT_INT, TYNDAU_PT_DATE, TYNDAU_N_PT } tyndau_param_type;

#define TYNDAU_CTYPE_REAL double
#define TYNDAU_CTYPE_INT int
#define TYNDAU_CTYPE_DATE int

/* A dated change: parameter `param` (table index) takes `value` from `date` (days since
 * 1970-01-01) on, at the start of that day. */
typedef struct {
    int date;
    int param;
    double value;
} tyndau_change;

/* Most dated changes one set of parameters may carry. */
#define TYNDAU_MAX_CHANGES 64

typedef struct {
#define TYNDAU_PARAM(name, type, def, lo, hi, unit, cat, dated, desc, src) TYNDAU_CTYPE_##type name;
#include "params.def"
#undef TYNDAU_PARAM
    /* The fields above hold the values on start_date.  Dated changes, sorted by date
     * (stable: of two changes of one parameter on one date the later wins); only
     * parameters for which tyndau_params_dated() is 1 may change on a date. */
    int n_changes;
    tyndau_change changes[TYNDAU_MAX_CHANGES];
} tyndau_params;

/* The column `dated` of params.def: whether a parameter may change on a date. */
#define TYNDAU_DATED 1
#define TYNDAU_FIXED 0

typedef struct {
    const char *name;
    tyndau_param_type type;
    size_t offset; /* into tyndau_params */
    double def, min, max;
    const char *unit, *category;
    int dated; /* TYNDAU_DATED: read as the model runs, so it may change on a date */
    const char *description, *source;
} tyndau_param_info;

extern const tyndau_param_info tyndau_param_table[];
extern const size_t tyndau_n_params;

/* Fill every field with its default. */
void tyndau_params_default(tyndau_params *p);

/* Index of a parameter by name, or -1. */
int tyndau_params_find(const char *name);

/* The parameter name closest to `name` (edit distance), for "did you mean". */
const char *tyndau_params_nearest(const char *name);

/* Parse `value` for parameter `name` and store it.  On failure TYNDAU_EINPUT with a
 * message "key 'NAME': expected ..., got 'VALUE'" (the caller adds file and line);
 * an unknown name gives "unknown parameter 'NAME' (did you mean 'X'?)". */
tyndau_status tyndau_params_set(tyndau_params *p, const char *name, const char *value,
                                tyndau_error *err);

/* Value of entry i as a double (dates as day numbers). */
double tyndau_params_get(const tyndau_params *p, size_t i);

/* Store v (a double; rounded for integers and dates) into entry i. */
void tyndau_params_put(tyndau_params *p, size_t i, double v);

/* 1 if parameter i may change on a date during a run: the column `dated` of
 * params.def (DATED: it is read while the model runs; FIXED: it is used when the
 * citizens, their ties and the offices are created). */
int tyndau_params_dated(size_t i);

/* Add a dated change, keeping the list sorted by date (after changes of the same
 * date).  TYNDAU_EINPUT when the parameter may not change on a date or the list is
 * full; the value and the date are checked by tyndau_params_check. */
tyndau_status tyndau_params_add_change(tyndau_params *p, int date, size_t param, double value,
                                       tyndau_error *err);

/* The parameters in effect on `date`: *p with every change dated on or before it. */
void tyndau_params_on(const tyndau_params *p, int date, tyndau_params *out);

/* Value of entry i as text in the form the reader accepts (dates YYYY-MM-DD). */
void tyndau_params_format(const tyndau_params *p, size_t i, char *buf, size_t len);

/* Range checks of every field and the checks that involve several (shares that must
 * sum to at most 1, dates in order), on start_date and after each dated change; a
 * dated change must fall from start_date to end_date.  TYNDAU_EINPUT with a message
 * naming the keys. */
tyndau_status tyndau_params_check(const tyndau_params *p, tyndau_error *err);

/* docs/parameters.md, generated. */
void tyndau_params_markdown(FILE *out);

/* Dates: parse "YYYY-MM-DD" strictly (0 on success), format into buf (>= 11 bytes). */
int tyndau_date_parse(const char *s, int *days);
void tyndau_date_format(int days, char *buf, size_t len);
/* 0 = Monday ... 6 = Sunday. */
int tyndau_weekday(int days);

#endif
