/*
 * h5w.h - small HDF5 helpers for the run-many commands (calibrate, compare, sweep):
 * write groups, attributes and 1-D/2-D datasets with one sticky error flag, and read
 * them back for --resume.
 *
 * A writer records its FIRST failure (object and HDF5's reason) and turns every
 * later call into a no-op, so callers write a whole file and check once.
 */
#ifndef TYNDAU_H5W_H
#define TYNDAU_H5W_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    hid_t file;
    int failed;
    char msg[512];
} h5w;

/* Create (truncate) path. */
int h5w_create(h5w *w, const char *path);
/* Close; returns 0 when every call succeeded, else -1 with w->msg set. */
int h5w_close(h5w *w);

hid_t h5w_group(h5w *w, hid_t loc, const char *name);
void h5w_close_group(h5w *w, hid_t g);

void h5w_attr_str(h5w *w, hid_t obj, const char *name, const char *value);
void h5w_attr_int(h5w *w, hid_t obj, const char *name, long long value);
void h5w_attr_f64(h5w *w, hid_t obj, const char *name, double value);

/* The provenance every result file starts with, on obj: schema (name, version 1.0),
 * program, version, git_commit, cflags (of this build) and the command line. */
void h5w_provenance(h5w *w, hid_t obj, const char *schema, const char *command_line);
/* The same with a schema version other than 1.0. */
void h5w_provenance_version(h5w *w, hid_t obj, const char *schema, const char *version, const char *command_line);

/* Datasets: rows x cols doubles (cols = 0 for 1-D), n uint64, n ints, n strings. */
void h5w_f64(h5w *w, hid_t loc, const char *name, const double *v, size_t rows, size_t cols);
/* A 3-D dataset a x b x c of doubles (row-major). */
void h5w_f64_3d(h5w *w, hid_t loc, const char *name, const double *v, size_t a, size_t b, size_t c);
/* A string attribute "description" on the dataset or group `name` under loc. */
void h5w_describe(h5w *w, hid_t loc, const char *name, const char *text);
void h5w_u64(h5w *w, hid_t loc, const char *name, const uint64_t *v, size_t n);
void h5w_int(h5w *w, hid_t loc, const char *name, const int *v, size_t n);
void h5w_strs(h5w *w, hid_t loc, const char *name, const char *const *v, size_t n);

/* Reading (for resume): 0 on success.  The caller frees what *out gets. */
int h5r_attr_str(hid_t obj, const char *name, char **out);
int h5r_attr_int(hid_t obj, const char *name, long long *out);
/* Read a dataset of exactly n elements (of any shape) into v. */
int h5r_f64(hid_t loc, const char *name, double *v, size_t n);
int h5r_u64(hid_t loc, const char *name, uint64_t *v, size_t n);

/* Silence HDF5's automatic error printing (the callers report errors themselves). */
void h5w_quiet(void);

#endif
