/*
 * h5.c - the HDF5 layer (see h5.h for what it guarantees).
 *
 * Every HDF5 call goes through check(), which records the first failure and HDF5's reason
 * for it; every function returns at once when h->st is set, except to release what it
 * opened.  Dimension scales: a dataset's axes are looked up by name in its group (dim_scale)
 * and made there on first use, so every axis has one by construction.
 */
#include "h5.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5_hl.h>

#include "rng.h"
#include "tyndau.h"

#if defined(__clang__)
#define COMPILER __VERSION__ /* already says "clang" */
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

#define CHUNK_ELEMS 65536 /* elements per chunk: whole rows of the trailing axes, compresses well */
#define DEFLATE_LEVEL 4
#define DETAIL_LEN 320
#define OBJ_LEN 200
/* netCDF-4's mark of a dimension that has no coordinate variable (netCDF-C writes its size after it) */
#define NOT_A_VARIABLE "This is a netCDF dimension but not a netCDF variable."

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* Halves of a DETAIL_LEN line, so that "api: cause" always fits. */
#define TRACE_LEN ((DETAIL_LEN - 4) / 2)
typedef struct {
    char api[TRACE_LEN];   /* outermost entry: the API call and what it says */
    char cause[TRACE_LEN]; /* innermost entry: usually the real reason */
} h5_trace;

static herr_t trace_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_trace *t = data;
    if (e->desc == NULL || e->desc[0] == '\0') return 0;
    if (n == 0) snprintf(t->api, sizeof t->api, "%s(): %s", e->func_name ? e->func_name : "?", e->desc);
    snprintf(t->cause, sizeof t->cause, "%s", e->desc);
    return 0;
}

/* HDF5's error stack as one line, then cleared.  Must run right after the failing call. */
static void h5_reason(char *buf, size_t len)
{
    h5_trace t = {"", ""};
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, trace_cb, &t) < 0 || t.api[0] == '\0')
        snprintf(buf, len, "no reason given");
    else if (strstr(t.api, t.cause) != NULL)
        snprintf(buf, len, "%s", t.api);
    else
        snprintf(buf, len, "%s: %s", t.api, t.cause);
    H5Eclear2(H5E_DEFAULT);
}

static int reading(const tyndau_h5 *h) { return h->mode == TYNDAU_H5_READ; }

/* Record a failed HDF5 call (rc < 0) on `object` (and its attribute `attr`, if not NULL).
 * Returns nonzero when rc failed. */
static int check(tyndau_h5 *h, int64_t rc, const char *object, const char *attr)
{
    if (rc >= 0) return 0;
    char why[DETAIL_LEN];
    h5_reason(why, sizeof why);
    if (h->st != TYNDAU_OK) return 1;
    const char *verb = reading(h) ? "read" : "write";
    if (attr != NULL)
        h->st = TYNDAU_ERR(h->err, reading(h) ? TYNDAU_EINPUT : TYNDAU_EINTERNAL,
                           "%s: cannot %s attribute '%s' of %s: HDF5: %s", h->path, verb, attr, object, why);
    else
        h->st = TYNDAU_ERR(h->err, reading(h) ? TYNDAU_EINPUT : TYNDAU_EINTERNAL, "%s: cannot %s %s: HDF5: %s",
                           h->path, verb, object, why);
    return 1;
}

tyndau_status tyndau_h5_fail(tyndau_h5 *h, tyndau_status st, const char *fmt, ...)
{
    if (h->st != TYNDAU_OK) return h->st;
    char msg[sizeof h->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->st = TYNDAU_ERR(h->err, st, "%s", msg);
    return h->st;
}

static void out_of_memory(tyndau_h5 *h, const char *object)
{
    tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory for %s", h->path, object);
}

/* "/group/name" of `name` under loc, for messages. */
static void object_name(hid_t loc, const char *name, char *buf, size_t len)
{
    char where[OBJ_LEN] = "";
    if (H5Iget_name(loc, where, sizeof where) < 0) H5Eclear2(H5E_DEFAULT);
    snprintf(buf, len, "%s/%s", strcmp(where, "/") == 0 ? "" : where, name);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

tyndau_status tyndau_h5_open(tyndau_h5 *h, const char *path, tyndau_h5_mode mode, tyndau_error *err)
{
    memset(h, 0, sizeof *h);
    h->path = path;
    h->mode = mode;
    h->err = err;
    h->file = h->str = -1;
    h->quiet_saved = H5Eget_auto2(H5E_DEFAULT, &h->quiet_fn, &h->quiet_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* if this fails HDF5 merely prints: nothing to undo */

    if (mode == TYNDAU_H5_READ || mode == TYNDAU_H5_RDWR) {
        FILE *probe = fopen(path, mode == TYNDAU_H5_READ ? "rb" : "r+b");
        if (probe == NULL)
            return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot %s: %s", path,
                                      mode == TYNDAU_H5_READ ? "read" : "open for writing", strerror(errno));
        fclose(probe);
        if (H5Fis_hdf5(path) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: not an HDF5 file", path);
        }
        h->file = H5Fopen(path, mode == TYNDAU_H5_READ ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
        if (h->file < 0) {
            char why[DETAIL_LEN];
            h5_reason(why, sizeof why);
            return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot open as HDF5 (HDF5: %s)", path, why);
        }
    } else {
        const char *target = path;
        if (mode == TYNDAU_H5_CREATE) {
            size_t len = strlen(path);
            h->tmp = tyndau_calloc(len + sizeof ".tmp-XXXXXX", 1);
            if (h->tmp == NULL) return h->st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
            memcpy(h->tmp, path, len);
            memcpy(h->tmp + len, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
            int fd = mkstemp(h->tmp);
            int e = errno;
            /* mkstemp creates the file 0600; give the result the permissions any other output
             * would get.  umask can only be read by setting it, so set it straight back. */
            mode_t mask = umask(0);
            umask(mask);
            int failed = fd < 0 || fchmod(fd, (mode_t)(0666 & ~mask)) != 0;
            if (fd >= 0 && failed) e = errno;
            if (fd >= 0 && close(fd) != 0 && !failed) failed = 1, e = errno;
            if (failed) {
                if (fd >= 0) unlink(h->tmp);
                free(h->tmp);
                h->tmp = NULL;
                return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(e));
            }
            target = h->tmp;
        }
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (!check(h, fapl, "the file", NULL)) {
            /* SEMI: H5Fclose fails if anything is still open, instead of silently keeping the file alive. */
            check(h, H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "the file", NULL);
            if (h->st == TYNDAU_OK) {
                h->file = H5Fcreate(target, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
                check(h, h->file, "the file", NULL);
            }
            check(h, H5Pclose(fapl), "the file", NULL);
        }
    }
    h->str = H5Tcopy(H5T_C_S1);
    if (!check(h, h->str, "the string type", NULL)) {
        check(h, H5Tset_size(h->str, H5T_VARIABLE), "the string type", NULL);
        check(h, H5Tset_cset(h->str, H5T_CSET_UTF8), "the string type", NULL);
    }
    return h->st;
}

tyndau_status tyndau_h5_open_copy(tyndau_h5 *h, const char *path, const char *from, tyndau_error *err)
{
    /* the temporary made as for any new file, then the copy over it, then opened for writing */
    if (tyndau_h5_open(h, path, TYNDAU_H5_CREATE, err) != TYNDAU_OK) return h->st;
    check(h, H5Fclose(h->file), "the file", NULL);
    h->file = -1;
    FILE *a = fopen(from, "rb"), *b = a != NULL ? fopen(h->tmp, "wb") : NULL;
    if (a == NULL || b == NULL)
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot copy %s: %s", path, from, strerror(errno));
    char buf[1 << 16];
    size_t n;
    while (h->st == TYNDAU_OK && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(errno));
    if (h->st == TYNDAU_OK && ferror(a)) tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot read: %s", from, strerror(errno));
    if (a != NULL) fclose(a);
    if (b != NULL && fclose(b) != 0) tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(errno));
    if (h->st == TYNDAU_OK) {
        h->file = H5Fopen(h->tmp, H5F_ACC_RDWR, H5P_DEFAULT);
        if (h->file < 0) {
            char why[DETAIL_LEN];
            h5_reason(why, sizeof why);
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot open as HDF5 (HDF5: %s)", from, why);
        }
    }
    return h->st;
}

tyndau_status tyndau_h5_close(tyndau_h5 *h)
{
    if (h->str >= 0) check(h, H5Tclose(h->str), "the string type", NULL);
    if (h->file >= 0) check(h, H5Fclose(h->file), "the file", NULL);
    h->str = h->file = -1;
    if (h->quiet_saved && H5Eset_auto2(H5E_DEFAULT, h->quiet_fn, h->quiet_data) < 0 && h->st == TYNDAU_OK)
        h->st = TYNDAU_ERR(h->err, TYNDAU_EINTERNAL, "%s: cannot restore HDF5 error reporting", h->path);
    h->quiet_saved = 0;
    if (h->tmp != NULL) {
        if (h->st == TYNDAU_OK) {
            /* Data on disk before the name: after a crash the path is the old file or the whole new one. */
            int fd = open(h->tmp, O_RDONLY);
            if (fd < 0 || fsync(fd) != 0 || rename(h->tmp, h->path) != 0)
                h->st = TYNDAU_ERR(h->err, TYNDAU_EINPUT, "%s: cannot write output: %s", h->path, strerror(errno));
            if (fd >= 0) close(fd);
        }
        if (h->st != TYNDAU_OK) unlink(h->tmp);
        free(h->tmp);
        h->tmp = NULL;
    }
    return h->st;
}

/* ------------------------------------------------------------------------ */
/* Groups and attributes                                                    */

hid_t tyndau_h5_group(tyndau_h5 *h, hid_t loc, const char *name, const char *description)
{
    if (h->st != TYNDAU_OK) return -1;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (check(h, g, object, NULL)) return -1;
    tyndau_h5_attr_str(h, g, "description", description);
    return g;
}

void tyndau_h5_close_obj(tyndau_h5 *h, hid_t obj)
{
    if (obj < 0) return;
    H5I_type_t t = H5Iget_type(obj);
    herr_t rc = t == H5I_GROUP ? H5Gclose(obj) : t == H5I_DATASET ? H5Dclose(obj) : H5Oclose(obj);
    check(h, rc, "an object", NULL);
}

/* One scalar attribute; ftype is how it is stored, mtype how `value` is laid out. */
static void put_attr(tyndau_h5 *h, hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value)
{
    if (h->st != TYNDAU_OK || obj < 0) return;
    char object[OBJ_LEN] = "/";
    if (H5Iget_name(obj, object, sizeof object) < 0) H5Eclear2(H5E_DEFAULT);
    htri_t ex = H5Aexists(obj, name);
    if (check(h, ex, object, name)) return;
    if (ex > 0 && check(h, H5Adelete(obj, name), object, name)) return;
    hid_t space = H5Screate(H5S_SCALAR);
    if (check(h, space, object, name)) return;
    hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (!check(h, a, object, name)) {
        check(h, H5Awrite(a, mtype, value), object, name);
        check(h, H5Aclose(a), object, name);
    }
    check(h, H5Sclose(space), object, name);
}

void tyndau_h5_attr_str(tyndau_h5 *h, hid_t obj, const char *name, const char *value)
{
    const char *v = value != NULL ? value : "";
    put_attr(h, obj, name, h->str, h->str, &v);
}
void tyndau_h5_attr_int(tyndau_h5 *h, hid_t obj, const char *name, int value)
{
    put_attr(h, obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}
void tyndau_h5_attr_i64(tyndau_h5 *h, hid_t obj, const char *name, int64_t value)
{
    put_attr(h, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}
void tyndau_h5_attr_u64(tyndau_h5 *h, hid_t obj, const char *name, uint64_t value)
{
    put_attr(h, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}
void tyndau_h5_attr_f64(tyndau_h5 *h, hid_t obj, const char *name, double value)
{
    put_attr(h, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void tyndau_h5_axis_codes(tyndau_h5 *h, const char *axis, const char *attr, const char *text, int labels)
{
    if (h->st != TYNDAU_OK) return;
    if (h->n_codes == TYNDAU_H5_MAX_CODES) {
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: more than %d code lists", h->path, TYNDAU_H5_MAX_CODES);
        return;
    }
    h->codes[h->n_codes].axis = axis;
    h->codes[h->n_codes].attr = attr;
    h->codes[h->n_codes].text = text;
    h->codes[h->n_codes].labels = labels;
    h->n_codes++;
}

void tyndau_h5_describe(tyndau_h5 *h, hid_t loc, const char *name, const char *description)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (check(h, o, object, "description")) return;
    tyndau_h5_attr_str(h, o, "description", description);
    check(h, H5Oclose(o), object, NULL);
}

/* ------------------------------------------------------------------------ */
/* Datasets                                                                 */

/* Memory and file type of a kind; *owned is a type to close afterwards (or -1). */
static void kind_types(tyndau_h5 *h, tyndau_h5_kind k, hid_t compound, size_t len, hid_t *mem, hid_t *file,
                       hid_t *owned)
{
    *owned = -1;
    switch (k) {
    case TYNDAU_H5_I8: *mem = H5T_NATIVE_INT8, *file = H5T_STD_I8LE; break;
    case TYNDAU_H5_I32: *mem = H5T_NATIVE_INT32, *file = H5T_STD_I32LE; break;
    case TYNDAU_H5_I64: *mem = H5T_NATIVE_INT64, *file = H5T_STD_I64LE; break;
    case TYNDAU_H5_U64: *mem = H5T_NATIVE_UINT64, *file = H5T_STD_U64LE; break;
    case TYNDAU_H5_F64: *mem = H5T_NATIVE_DOUBLE, *file = H5T_IEEE_F64LE; break;
    case TYNDAU_H5_STR: *mem = *file = h->str; break;
    case TYNDAU_H5_FIXSTR:
        *owned = H5Tcopy(H5T_C_S1);
        if (!check(h, *owned, "a text type", NULL)) {
            check(h, H5Tset_size(*owned, len ? len : 1), "a text type", NULL);
            check(h, H5Tset_strpad(*owned, H5T_STR_NULLTERM), "a text type", NULL);
        }
        *mem = *file = *owned;
        break;
    default: *mem = *file = compound; break;
    }
}

/* Comma-separated item k of list (its length in *n), or NULL past the end. */
static const char *list_item(const char *list, int k, size_t *n)
{
    const char *p = list;
    for (int i = 0; p != NULL && i < k; i++) {
        p = strchr(p, ',');
        if (p != NULL) p++;
    }
    if (p == NULL) return NULL;
    *n = strcspn(p, ",");
    return p;
}

/* The labels registered for an axis (its coordinate values), or NULL. */
static const char *axis_labels(const tyndau_h5 *h, const char *axis)
{
    for (size_t k = 0; k < h->n_codes; k++)
        if (h->codes[k].labels && strcmp(h->codes[k].axis, axis) == 0) return h->codes[k].text;
    return NULL;
}

/* A coordinate of the names in `labels` (comma-joined), if there are exactly n. */
static int write_labels(tyndau_h5 *h, hid_t loc, const char *axis, const char *labels, size_t n)
{
    size_t count = 1, k;
    for (const char *p = labels; *p; p++) count += *p == ',';
    if (count != n || n == 0) return 0;
    char *copy = tyndau_calloc(strlen(labels) + 1, 1);
    const char **v = tyndau_calloc(n, sizeof *v);
    if (copy == NULL || v == NULL) {
        out_of_memory(h, axis);
    } else {
        strcpy(copy, labels);
        v[0] = copy;
        k = 1;
        for (char *p = copy; *p; p++)
            if (*p == ',') *p = '\0', v[k++] = p + 1;
        char desc[256];
        snprintf(desc, sizeof desc, "The name of each entry of the axis %s (as in the attribute %s_codes).", axis,
                 axis);
        tyndau_h5_write(h, loc, &(tyndau_h5_dspec){.name = axis, .kind = TYNDAU_H5_STR, .rank = 1, .dims = {n},
                                                    .data = v, .description = desc, .units = "none", .axes = axis});
    }
    free(copy);
    free(v);
    return 1;
}

/* The dimension scale of `axis` (n entries) in loc, made if it is not there: a coordinate of
 * the axis's labels, or a scale without values. */
static hid_t dim_scale(tyndau_h5 *h, hid_t loc, const char *axis, size_t n, const char *user)
{
    char object[OBJ_LEN];
    object_name(loc, axis, object, sizeof object);
    htri_t ex = H5Lexists(loc, axis, H5P_DEFAULT);
    if (check(h, ex, object, NULL)) return -1;
    const char *labels = ex == 0 ? axis_labels(h, axis) : NULL;
    if (ex == 0 && (labels == NULL || !write_labels(h, loc, axis, labels, n))) {
        hsize_t dim[1] = {n};
        hid_t space = H5Screate_simple(1, dim, NULL);
        if (check(h, space, object, NULL)) return -1;
        hid_t ds = H5Dcreate2(loc, axis, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        check(h, H5Sclose(space), object, NULL);
        if (check(h, ds, object, NULL)) return -1;
        char name[sizeof NOT_A_VARIABLE + 16], desc[200];
        snprintf(name, sizeof name, "%s%10zu", NOT_A_VARIABLE, n);
        check(h, H5DSset_scale(ds, name), object, "NAME");
        snprintf(desc, sizeof desc, "The dimension %s (%zu entries) of the datasets that name it in dims; it holds "
                 "no values.", axis, n);
        tyndau_h5_attr_str(h, ds, "description", desc);
        tyndau_h5_attr_str(h, ds, "units", "none");
        return ds;
    }
    if (h->st != TYNDAU_OK) return -1;
    hid_t ds = H5Dopen2(loc, axis, H5P_DEFAULT);
    if (check(h, ds, object, NULL)) return -1;
    hid_t space = H5Dget_space(ds);
    hsize_t dim[1] = {0};
    int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, dim, NULL) == 1 &&
             H5DSis_scale(ds) > 0;
    if (space >= 0) H5Sclose(space);
    H5Eclear2(H5E_DEFAULT);
    if (!ok || dim[0] != n) {
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: axis '%s' of %s has %zu entries, but %s is %s", h->path, axis, user,
                       n, object, ok ? "another length" : "not a dimension scale");
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

/* Attach a dimension scale to every axis of ds, and its code names. */
static void put_axes(tyndau_h5 *h, hid_t loc, hid_t ds, const char *object, const tyndau_h5_dspec *d)
{
    tyndau_h5_attr_str(h, ds, "dims", d->axes);
    int n_axes = 1;
    for (const char *p = d->axes; *p; p++) n_axes += *p == ',';
    if (n_axes != d->rank) {
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: dims '%s' does not name %d axes", h->path, object, d->axes,
                       d->rank);
        return;
    }
    for (int k = 0; k < d->rank; k++) {
        size_t n = 0;
        const char *a = list_item(d->axes, k, &n);
        char axis[64];
        if (a == NULL || n == 0 || n >= sizeof axis) {
            tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: dims '%s' does not name %d axes", h->path, object, d->axes,
                           d->rank);
            return;
        }
        memcpy(axis, a, n);
        axis[n] = '\0';
        for (size_t c = 0; c < h->n_codes; c++)
            if (strcmp(h->codes[c].axis, axis) == 0) tyndau_h5_attr_str(h, ds, h->codes[c].attr, h->codes[c].text);
        if (h->st != TYNDAU_OK) return;
        if (d->rank == 1 && strcmp(axis, d->name) == 0) { /* a coordinate: the scale of its own axis */
            check(h, H5DSset_scale(ds, axis), object, "CLASS");
            continue;
        }
        hid_t scale = dim_scale(h, loc, axis, d->dims[k], object);
        if (scale >= 0) {
            check(h, H5DSattach_scale(ds, scale, (unsigned)k), object, "DIMENSION_LIST");
            check(h, H5Dclose(scale), object, NULL);
        }
    }
}

/* Chunk = whole trailing axes times as many leading rows as fit CHUNK_ELEMS: readers take
 * whole days or whole rows, and such chunks compress well. */
static void set_layout(tyndau_h5 *h, hid_t dcpl, const tyndau_h5_dspec *d, hid_t mem, size_t n, const char *object)
{
    if (d->data == NULL && d->fill != NULL) check(h, H5Pset_fill_value(dcpl, mem, d->fill), object, NULL);
    if (n <= TYNDAU_H5_SMALL && !d->in_place) return;
    hsize_t chunk[TYNDAU_H5_MAX_RANK], inner = 1;
    for (int i = 1; i < d->rank; i++) {
        chunk[i] = d->dims[i] ? d->dims[i] : 1;
        inner *= chunk[i];
    }
    chunk[0] = inner >= CHUNK_ELEMS ? 1 : CHUNK_ELEMS / inner;
    if (chunk[0] > d->dims[0]) chunk[0] = d->dims[0] ? d->dims[0] : 1;
    check(h, H5Pset_chunk(dcpl, d->rank, chunk), object, NULL);
    if (d->in_place) {
        /* every chunk allocated (and filled) now: writing a row later never changes the file's metadata */
        check(h, H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), object, NULL);
        check(h, H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), object, NULL);
        return;
    }
    check(h, H5Pset_shuffle(dcpl), object, NULL);
    check(h, H5Pset_deflate(dcpl, DEFLATE_LEVEL), object, NULL);
    /* HDF5 refuses Fletcher-32 on variable-length strings; it would only checksum heap references. */
    if (d->kind != TYNDAU_H5_STR) check(h, H5Pset_fletcher32(dcpl), object, NULL);
}

void tyndau_h5_write(tyndau_h5 *h, hid_t loc, const tyndau_h5_dspec *d)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    object_name(loc, d->name, object, sizeof object);
    if (d->rank < 0 || d->rank > TYNDAU_H5_MAX_RANK || (d->rank > 0 && d->axes == NULL) ||
        (d->data == NULL && d->fill == NULL)) {
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: bad dataset description", h->path, object);
        return;
    }
    hsize_t dims[TYNDAU_H5_MAX_RANK];
    size_t n = 1;
    for (int i = 0; i < d->rank; i++) n *= dims[i] = d->dims[i];
    hid_t mem, file, owned;
    kind_types(h, d->kind, d->type, d->len, &mem, &file, &owned);

    hid_t space = d->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(d->rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (!check(h, space, object, NULL) && !check(h, dcpl, object, NULL)) {
        set_layout(h, dcpl, d, mem, n, object);
        if (h->st == TYNDAU_OK) {
            ds = H5Dcreate2(loc, d->name, file, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            check(h, ds, object, NULL);
        }
        if (ds >= 0 && n > 0 && d->data != NULL)
            check(h, H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->data), object, NULL);
        if (ds >= 0) {
            tyndau_h5_attr_str(h, ds, "description", d->description);
            tyndau_h5_attr_str(h, ds, "units", d->units);
            if (d->calendar != NULL) tyndau_h5_attr_str(h, ds, "calendar", d->calendar);
            if (d->codes != NULL) {
                char name[96];
                snprintf(name, sizeof name, "%s_codes", d->name);
                tyndau_h5_attr_str(h, ds, name, d->codes);
            }
            if (d->rank > 0) put_axes(h, loc, ds, object, d);
        }
    }
    if (ds >= 0) check(h, H5Dclose(ds), object, NULL);
    if (dcpl >= 0) check(h, H5Pclose(dcpl), object, NULL);
    if (space >= 0) check(h, H5Sclose(space), object, NULL);
    if (owned >= 0) check(h, H5Tclose(owned), object, NULL);
}

void tyndau_h5_vector(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t n, const void *data,
                      const char *axis, const char *description, const char *units)
{
    tyndau_h5_write(h, loc, &(tyndau_h5_dspec){.name = name, .kind = kind, .rank = 1, .dims = {n}, .data = data,
                                                .description = description, .units = units, .axes = axis});
}

void tyndau_h5_rows(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t len, int write,
                    size_t first, size_t n, void *buf)
{
    if (h->st != TYNDAU_OK || n == 0) return;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    hid_t mem, file, owned;
    kind_types(h, kind, -1, len, &mem, &file, &owned);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t fs = ds >= 0 ? H5Dget_space(ds) : -1;
    if (!check(h, ds, object, NULL) && !check(h, fs, object, NULL)) {
        hsize_t dims[TYNDAU_H5_MAX_RANK] = {0}, start[TYNDAU_H5_MAX_RANK] = {0}, count[TYNDAU_H5_MAX_RANK];
        int rank = H5Sget_simple_extent_ndims(fs);
        if (!check(h, rank, object, NULL) && (rank < 1 || rank > TYNDAU_H5_MAX_RANK))
            tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: not a dataset of rows", h->path, object);
        if (h->st == TYNDAU_OK) check(h, H5Sget_simple_extent_dims(fs, dims, NULL), object, NULL);
        if (h->st == TYNDAU_OK && first + n > dims[0])
            tyndau_h5_fail(h, reading(h) ? TYNDAU_EINPUT : TYNDAU_EINTERNAL, "%s: %s has %llu rows, not %zu",
                           h->path, object, (unsigned long long)dims[0], first + n);
        for (int i = 0; i < rank && i < TYNDAU_H5_MAX_RANK; i++) count[i] = dims[i];
        start[0] = first, count[0] = n;
        hid_t ms = h->st == TYNDAU_OK ? H5Screate_simple(rank, count, NULL) : -1;
        if (!check(h, ms, object, NULL)) {
            check(h, H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL), object, NULL);
            if (h->st == TYNDAU_OK)
                check(h, write ? H5Dwrite(ds, mem, ms, fs, H5P_DEFAULT, buf) : H5Dread(ds, mem, ms, fs, H5P_DEFAULT, buf),
                      object, NULL);
            check(h, H5Sclose(ms), object, NULL);
        }
    }
    if (fs >= 0) H5Sclose(fs);
    if (ds >= 0) check(h, H5Dclose(ds), object, NULL);
    if (owned >= 0) H5Tclose(owned);
}

void tyndau_h5_flush(tyndau_h5 *h)
{
    if (h->st == TYNDAU_OK) check(h, H5Fflush(h->file, H5F_SCOPE_LOCAL), "the file", NULL);
}

/* ------------------------------------------------------------------------ */
/* Provenance                                                               */

void tyndau_h5_provenance(tyndau_h5 *h, hid_t obj, const tyndau_h5_prov *p)
{
    char created[32] = "unknown", hdf5v[32] = "unknown";
    time_t now = time(NULL);
    struct tm utc;
    if (now != (time_t)-1 && gmtime_r(&now, &utc) != NULL)
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
    unsigned maj, min, rel;
    if (!check(h, H5get_libversion(&maj, &min, &rel), "/", "hdf5_version"))
        snprintf(hdf5v, sizeof hdf5v, "%u.%u.%u", maj, min, rel);
    tyndau_h5_attr_str(h, obj, "schema_name", p->schema_name);
    tyndau_h5_attr_str(h, obj, "schema_version", p->schema_version);
    tyndau_h5_attr_str(h, obj, "program", p->program != NULL ? p->program : "tyndau");
    tyndau_h5_attr_str(h, obj, "program_version", TYNDAU_VERSION);
    tyndau_h5_attr_str(h, obj, "git_commit", p->git_commit != NULL ? p->git_commit : "unknown");
    tyndau_h5_attr_str(h, obj, "compiler", COMPILER);
    tyndau_h5_attr_str(h, obj, "cflags", p->cflags != NULL ? p->cflags : "unknown");
    tyndau_h5_attr_str(h, obj, "gsl_version", gsl_version);
    tyndau_h5_attr_str(h, obj, "hdf5_version", hdf5v);
    tyndau_h5_attr_str(h, obj, "mpi_version", p->mpi_version != NULL ? p->mpi_version : "none");
    tyndau_h5_attr_u64(h, obj, "seed", p->seed);
    tyndau_h5_attr_str(h, obj, "rng", p->rng != NULL ? p->rng : TYNDAU_RNG_TEXT);
    tyndau_h5_attr_int(h, obj, "threads", p->threads);
    tyndau_h5_attr_int(h, obj, "ranks", p->ranks > 0 ? p->ranks : 1);
    tyndau_h5_attr_str(h, obj, "created", created);
    tyndau_h5_attr_str(h, obj, "command_line", p->command_line);
    tyndau_h5_attr_str(h, obj, "scenario_source", p->scenario_source);
    tyndau_h5_attr_str(h, obj, "scenario_text", p->scenario_text);
    if (p->legacy_names) {
        tyndau_h5_attr_str(h, obj, "schema", p->schema_name);
        tyndau_h5_attr_str(h, obj, "version", TYNDAU_VERSION);
    }
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */

int tyndau_h5_exists(const tyndau_h5 *h, hid_t loc, const char *path)
{
    if (h->st != TYNDAU_OK || loc < 0) return 0;
    /* each component in turn: H5Lexists fails on a path whose parent is missing */
    char buf[OBJ_LEN];
    snprintf(buf, sizeof buf, "%s", path);
    int ok = 1;
    for (char *p = buf + (buf[0] == '/'); ok;) {
        char *slash = strchr(p, '/');
        if (slash) *slash = '\0';
        ok = H5Lexists(loc, buf, H5P_DEFAULT) > 0;
        if (!slash) break;
        *slash = '/';
        p = slash + 1;
    }
    H5Eclear2(H5E_DEFAULT);
    return ok;
}

static char *dup_n(const char *s, size_t max)
{
    size_t k = 0;
    if (s == NULL) s = "";
    while (k < max && s[k] != '\0') k++;
    char *c = tyndau_calloc(k + 1, 1);
    if (c != NULL) memcpy(c, s, k);
    return c;
}

/* Read n strings stored in `type` (variable or fixed length) from an attribute (attr >= 0) or
 * a dataset into malloc'd copies in out[0..n-1]: 0, -1 (HDF5 failed) or -2 (out of memory). */
static int read_strings(hid_t attr, hid_t ds, hid_t type, hid_t space, size_t n, char **out)
{
    htri_t var = H5Tis_variable_str(type);
    if (var < 0) return -1;
    size_t size = var ? sizeof(char *) : H5Tget_size(type);
    if (size == 0) return -1;
    hid_t mtype = H5Tget_native_type(type, H5T_DIR_ASCEND);
    if (mtype < 0) return -1;
    char *buf = tyndau_calloc(n, size);
    if (buf == NULL) {
        H5Tclose(mtype);
        return -2;
    }
    herr_t rc = n == 0 ? 0 : attr >= 0 ? H5Aread(attr, mtype, buf) : H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    int res = rc < 0 ? -1 : 0;
    for (size_t i = 0; res == 0 && i < n; i++) {
        out[i] = var ? dup_n(((char **)(void *)buf)[i], SIZE_MAX) : dup_n(buf + i * size, size);
        if (out[i] == NULL) res = -2;
    }
    if (var && rc >= 0 && n > 0) {
#if H5_VERSION_GE(1, 12, 0)
        if (H5Treclaim(mtype, space, H5P_DEFAULT, buf) < 0 && res == 0) res = -1;
#else
        if (H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf) < 0 && res == 0) res = -1;
#endif
    }
    H5Tclose(mtype);
    free(buf);
    return res;
}

char *tyndau_h5_read_attr_str(tyndau_h5 *h, hid_t obj, const char *name)
{
    if (h->st != TYNDAU_OK || obj < 0) return NULL;
    char object[OBJ_LEN] = "/";
    if (H5Iget_name(obj, object, sizeof object) < 0) H5Eclear2(H5E_DEFAULT);
    htri_t ex = H5Aexists(obj, name);
    if (check(h, ex, object, name) || ex == 0) return NULL;
    char *value = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t type = a >= 0 ? H5Aget_type(a) : -1;
    hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    if (!check(h, a, object, name) && !check(h, type, object, name) && !check(h, space, object, name)) {
        H5T_class_t cls = H5Tget_class(type);
        if (H5Sget_simple_extent_npoints(space) != 1) {
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: attribute '%s' of %s is not one value", h->path, name, object);
        } else if (cls == H5T_STRING) {
            int rc = read_strings(a, -1, type, space, 1, &value);
            if (rc == -2) out_of_memory(h, name);
            if (rc == -1) check(h, -1, object, name);
        } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            char buf[40];
            if (cls == H5T_FLOAT) {
                double v = 0;
                if (!check(h, H5Aread(a, H5T_NATIVE_DOUBLE, &v), object, name)) snprintf(buf, sizeof buf, "%.17g", v);
            } else if (H5Tget_sign(type) == H5T_SGN_NONE) {
                uint64_t v = 0;
                if (!check(h, H5Aread(a, H5T_NATIVE_UINT64, &v), object, name)) snprintf(buf, sizeof buf, "%" PRIu64, v);
            } else {
                int64_t v = 0;
                if (!check(h, H5Aread(a, H5T_NATIVE_INT64, &v), object, name)) snprintf(buf, sizeof buf, "%" PRId64, v);
            }
            if (h->st == TYNDAU_OK && (value = dup_n(buf, sizeof buf)) == NULL) out_of_memory(h, name);
        } else {
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: attribute '%s' of %s is not a text", h->path, name, object);
        }
    }
    if (space >= 0) H5Sclose(space); /* read-only handles: a failed close loses nothing */
    if (type >= 0) H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return value;
}

static int read_attr_num(tyndau_h5 *h, hid_t obj, const char *name, hid_t mtype, void *out)
{
    if (h->st != TYNDAU_OK || obj < 0) return -1;
    char object[OBJ_LEN] = "/";
    if (H5Iget_name(obj, object, sizeof object) < 0) H5Eclear2(H5E_DEFAULT);
    htri_t ex = H5Aexists(obj, name);
    if (check(h, ex, object, name)) return -1;
    if (ex == 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = check(h, a, object, name) || check(h, H5Aread(a, mtype, out), object, name) ? -1 : 1;
    if (a >= 0) H5Aclose(a);
    return rc;
}

int tyndau_h5_read_attr_i64(tyndau_h5 *h, hid_t obj, const char *name, int64_t *out)
{
    return read_attr_num(h, obj, name, H5T_NATIVE_INT64, out);
}

int tyndau_h5_read_attr_u64(tyndau_h5 *h, hid_t obj, const char *name, uint64_t *out)
{
    return read_attr_num(h, obj, name, H5T_NATIVE_UINT64, out);
}

size_t tyndau_h5_size(tyndau_h5 *h, hid_t loc, const char *name)
{
    if (!tyndau_h5_exists(h, loc, name)) return 0;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    check(h, n, object, NULL);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    return n > 0 ? (size_t)n : 0;
}

void tyndau_h5_read(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t n, void *buf)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    if (!tyndau_h5_exists(h, loc, name)) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: no dataset %s", h->path, object);
        return;
    }
    size_t have = tyndau_h5_size(h, loc, name);
    if (h->st == TYNDAU_OK && have != n) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s has %zu values, expected %zu", h->path, object, have, n);
        return;
    }
    hid_t mem, file, owned;
    kind_types(h, kind, -1, 0, &mem, &file, &owned);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (!check(h, ds, object, NULL) && n > 0) check(h, H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), object, NULL);
    if (ds >= 0) H5Dclose(ds);
    if (owned >= 0) H5Tclose(owned);
}

char **tyndau_h5_read_strs(tyndau_h5 *h, hid_t loc, const char *name, size_t *n)
{
    *n = 0;
    if (h->st != TYNDAU_OK) return NULL;
    char object[OBJ_LEN];
    object_name(loc, name, object, sizeof object);
    if (!tyndau_h5_exists(h, loc, name)) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: no dataset %s", h->path, object);
        return NULL;
    }
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1, type = ds >= 0 ? H5Dget_type(ds) : -1;
    char **out = NULL;
    if (!check(h, ds, object, NULL) && !check(h, space, object, NULL) && !check(h, type, object, NULL)) {
        hssize_t k = H5Sget_simple_extent_npoints(space);
        if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_ndims(space) > 1 || k < 0) {
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s is not a list of texts", h->path, object);
        } else if ((out = tyndau_calloc((size_t)k, sizeof *out)) == NULL) {
            out_of_memory(h, object);
        } else {
            int rc = read_strings(-1, ds, type, space, (size_t)k, out);
            if (rc == -2) out_of_memory(h, object);
            if (rc == -1) check(h, -1, object, NULL);
            if (rc != 0) {
                tyndau_h5_free_strs(out, (size_t)k);
                out = NULL;
            } else {
                *n = (size_t)k;
            }
        }
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    return out;
}

void tyndau_h5_free_strs(char **s, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) free(s[i]);
    free(s);
}

tyndau_status tyndau_h5_check_schema(tyndau_h5 *h, const char *schema_name, const char *what, int major_lo,
                                     int major_hi, int *major)
{
    if (h->st != TYNDAU_OK) return h->st;
    char *name = tyndau_h5_read_attr_str(h, h->file, "schema_name");
    if (name == NULL && h->st == TYNDAU_OK) name = tyndau_h5_read_attr_str(h, h->file, "schema");
    char *version = tyndau_h5_read_attr_str(h, h->file, "schema_version");
    if (h->st != TYNDAU_OK) {
    } else if (version == NULL) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: no schema_version attribute: not %s", h->path, what);
    } else if (name != NULL && strcmp(name, schema_name) != 0) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: not %s (its schema is '%.64s', not '%s')", h->path, what, name,
                       schema_name);
    } else {
        char *end;
        errno = 0;
        long m = strtol(version, &end, 10);
        if (errno != 0 || end == version || (*end != '.' && *end != '\0') || m < major_lo || m > major_hi) {
            char reads[32];
            if (major_lo == major_hi)
                snprintf(reads, sizeof reads, "%d.x", major_lo);
            else
                snprintf(reads, sizeof reads, "%d.x to %d.x", major_lo, major_hi);
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s schema version '%.32s' is not supported (this program reads %s)",
                           h->path, schema_name, version, reads);
        } else if (major != NULL) {
            *major = (int)m;
        }
    }
    free(name);
    free(version);
    return h->st;
}
