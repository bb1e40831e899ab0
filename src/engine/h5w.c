/*
 * h5w.c - small HDF5 helpers (see h5w.h).
 */
#include "h5w.h"

#include "tyndau.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h5w_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static void fail(h5w *w, const char *fmt, ...)
{
    if (w->failed) return;
    w->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
}

int h5w_create(h5w *w, const char *path)
{
    memset(w, 0, sizeof *w);
    w->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        fail(w, "%s: cannot create the HDF5 file", path);
        return -1;
    }
    return 0;
}

int h5w_close(h5w *w)
{
    if (w->file >= 0 && H5Fclose(w->file) < 0) fail(w, "cannot close the HDF5 file");
    w->file = -1;
    return w->failed ? -1 : 0;
}

hid_t h5w_group(h5w *w, hid_t loc, const char *name)
{
    if (w->failed) return -1;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) fail(w, "cannot create group %s", name);
    return g;
}

void h5w_close_group(h5w *w, hid_t g)
{
    if (g >= 0 && H5Gclose(g) < 0) fail(w, "cannot close a group");
}

static void attr(h5w *w, hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    if (w->failed || obj < 0) return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, v) < 0) fail(w, "cannot write attribute %s", name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
}

void h5w_attr_str(h5w *w, hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    const char *v = value != NULL ? value : "";
    attr(w, obj, name, t, t, &v);
    H5Tclose(t);
}

extern const char tyndau_build_commit[];
extern const char tyndau_build_cflags[];

void h5w_provenance(h5w *w, hid_t obj, const char *schema, const char *command_line)
{
    h5w_provenance_version(w, obj, schema, "1.0", command_line);
}

void h5w_provenance_version(h5w *w, hid_t obj, const char *schema, const char *version, const char *command_line)
{
    h5w_attr_str(w, obj, "schema", schema);
    h5w_attr_str(w, obj, "schema_version", version);
    h5w_attr_str(w, obj, "program", "tyndau");
    h5w_attr_str(w, obj, "version", TYNDAU_VERSION);
    h5w_attr_str(w, obj, "git_commit", tyndau_build_commit);
    h5w_attr_str(w, obj, "cflags", tyndau_build_cflags);
    h5w_attr_str(w, obj, "command_line", command_line);
}

void h5w_attr_int(h5w *w, hid_t obj, const char *name, long long value)
{
    attr(w, obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}

void h5w_attr_f64(h5w *w, hid_t obj, const char *name, double value)
{
    attr(w, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

static void dataset(h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v,
                    int rank, const hsize_t *dims)
{
    if (w->failed || loc < 0) return;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || (dims[0] > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0))
        fail(w, "cannot write dataset %s", name);
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
}

void h5w_f64(h5w *w, hid_t loc, const char *name, const double *v, size_t rows, size_t cols)
{
    hsize_t dims[2] = {rows, cols};
    dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, cols ? 2 : 1, dims);
}

void h5w_f64_3d(h5w *w, hid_t loc, const char *name, const double *v, size_t a, size_t b, size_t c)
{
    hsize_t dims[3] = {a, b, c};
    dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, 3, dims);
}

void h5w_describe(h5w *w, hid_t loc, const char *name, const char *text)
{
    if (w->failed || loc < 0) return;
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0) {
        fail(w, "cannot open %s to describe it", name);
        return;
    }
    h5w_attr_str(w, o, "description", text);
    H5Oclose(o);
}

void h5w_u64(h5w *w, hid_t loc, const char *name, const uint64_t *v, size_t n)
{
    hsize_t dims[1] = {n};
    dataset(w, loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v, 1, dims);
}

void h5w_int(h5w *w, hid_t loc, const char *name, const int *v, size_t n)
{
    hsize_t dims[1] = {n};
    dataset(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, v, 1, dims);
}

void h5w_strs(h5w *w, hid_t loc, const char *name, const char *const *v, size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dims[1] = {n};
    dataset(w, loc, name, t, t, v, 1, dims);
    H5Tclose(t);
}

int h5r_attr_str(hid_t obj, const char *name, char **out)
{
    *out = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL;
    int rc = H5Aread(a, t, &v) < 0 ? -1 : 0;
    if (rc == 0 && v != NULL) {
        *out = strdup(v);
        H5free_memory(v);
        if (*out == NULL) rc = -1;
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int h5r_attr_int(hid_t obj, const char *name, long long *out)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Aread(a, H5T_NATIVE_LLONG, out) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

static int read_n(hid_t loc, const char *name, hid_t mtype, void *v, size_t n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    int rc = -1;
    if (np >= 0 && (size_t)np == n) rc = (n == 0 || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

int h5r_f64(hid_t loc, const char *name, double *v, size_t n) { return read_n(loc, name, H5T_NATIVE_DOUBLE, v, n); }
int h5r_u64(hid_t loc, const char *name, uint64_t *v, size_t n) { return read_n(loc, name, H5T_NATIVE_UINT64, v, n); }
