/*
 * h5data.c - datasets through the HDF5 layer (h5.h): their layout (chunked, compressed,
 * Fletcher-32; allocated in place for part files), their attributes, the dimension
 * scale of every axis (kept open while its group is, so the datasets of an axis find it at
 * once), rows written and read in place.
 */
#include "h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>

#include "h5_private.h"

#define CHUNK_ELEMS 65536 /* elements per chunk: whole rows of the trailing axes, compresses well */
#define DEFLATE_LEVEL 1   /* of the datasets that are not integers (set_layout) */
/* netCDF-4's mark of a dimension that has no coordinate variable (netCDF-C writes its size after it) */
#define NOT_A_VARIABLE "This is a netCDF dimension but not a netCDF variable."

/* Keep the scale ds of axis in loc open for the next dataset; 0 if there is no room (then the
 * caller closes it). */
static int remember_scale(tyndau_h5 *h, hid_t loc, const char *axis, hid_t ds)
{
    if (h->n_scales == TYNDAU_H5_MAX_SCALES || strlen(axis) >= sizeof h->scales[0].axis) return 0;
    h->scales[h->n_scales].loc = loc;
    h->scales[h->n_scales].ds = ds;
    strcpy(h->scales[h->n_scales].axis, axis);
    h->scales[h->n_scales].refs = NULL;
    h->scales[h->n_scales].n_refs = h->scales[h->n_scales].cap_refs = 0;
    h->n_scales++;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Datasets                                                                 */

void tyndau_h5_types(tyndau_h5 *h, tyndau_h5_kind k, hid_t compound, size_t len, hid_t *mem, hid_t *file,
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
        if (!tyndau_h5_check(h, *owned, "a text type", NULL)) {
            tyndau_h5_check(h, H5Tset_size(*owned, len ? len : 1), "a text type", NULL);
            tyndau_h5_check(h, H5Tset_strpad(*owned, H5T_STR_NULLTERM), "a text type", NULL);
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

/* A coordinate `name` of the names in `labels` (comma-joined), if there are exactly n. */
static int write_labels(tyndau_h5 *h, hid_t loc, const char *name, const char *axis, const char *labels, size_t n)
{
    size_t count = 1, k;
    for (const char *p = labels; *p; p++) count += *p == ',';
    if (count != n || n == 0) return 0;
    char *copy = tyndau_calloc(strlen(labels) + 1, 1);
    const char **v = tyndau_calloc(n, sizeof *v);
    if (copy == NULL || v == NULL) {
        tyndau_h5_oom(h, axis);
    } else {
        strcpy(copy, labels);
        v[0] = copy;
        k = 1;
        for (char *p = copy; *p; p++)
            if (*p == ',') *p = '\0', v[k++] = p + 1;
        char desc[256];
        snprintf(desc, sizeof desc, "The name of each entry of the axis %s (as in the attribute %s_codes).", axis,
                 axis);
        tyndau_h5_write(h, loc, &(tyndau_h5_dspec){.name = name, .kind = TYNDAU_H5_STR, .rank = 1, .dims = {n},
                                                    .data = v, .description = desc, .units = "none", .axes = name});
    }
    free(copy);
    free(v);
    return 1;
}

/* 1 if loc holds a dataset `name` that is not a dimension scale (0 if it is one or is absent). */
static int taken(tyndau_h5 *h, hid_t loc, const char *name, const char *object)
{
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (tyndau_h5_check(h, ex, object, NULL) || ex == 0) return 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    int not_scale = ds >= 0 && H5DSis_scale(ds) <= 0;
    if (ds >= 0) H5Dclose(ds);
    H5Eclear2(H5E_DEFAULT);
    return not_scale;
}

/* The dimension scale of `axis` (n entries) in loc, made if it is not there: a coordinate of
 * the axis's labels, or a scale without values.  It is named after the axis, or AXIS_dim where
 * a dataset of the axis's name is no scale of it (/timeseries/state has an axis state): in
 * netCDF a variable may not share its name with a dimension it is not the coordinate of. */
static hid_t find_scale(tyndau_h5 *h, hid_t loc, const char *axis, size_t n, const char *user)
{
    char name[80], object[OBJ_LEN];
    snprintf(name, sizeof name, "%s", axis);
    tyndau_h5_where(loc, name, object, sizeof object);
    if (taken(h, loc, name, object)) {
        snprintf(name, sizeof name, "%s_dim", axis);
        tyndau_h5_where(loc, name, object, sizeof object);
    }
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (tyndau_h5_check(h, ex, object, NULL)) return -1;
    const char *labels = ex == 0 ? axis_labels(h, axis) : NULL;
    if (ex == 0 && (labels == NULL || !write_labels(h, loc, name, axis, labels, n))) {
        hsize_t dim[1] = {n};
        hid_t space = H5Screate_simple(1, dim, NULL);
        if (tyndau_h5_check(h, space, object, NULL)) return -1;
        hid_t ds = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        tyndau_h5_check(h, H5Sclose(space), object, NULL);
        if (tyndau_h5_check(h, ds, object, NULL)) return -1;
        char scale[sizeof NOT_A_VARIABLE + 16], desc[200];
        snprintf(scale, sizeof scale, "%s%10zu", NOT_A_VARIABLE, n);
        tyndau_h5_check(h, H5DSset_scale(ds, scale), object, "NAME");
        snprintf(desc, sizeof desc, "The dimension %s (%zu entries) of the datasets that name it in dims; it holds "
                 "no values.", axis, n);
        tyndau_h5_attr_str(h, ds, "description", desc);
        tyndau_h5_attr_str(h, ds, "units", "none");
        return ds;
    }
    if (h->st != TYNDAU_OK) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (tyndau_h5_check(h, ds, object, NULL)) return -1;
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

/* The same, kept open in the cache: *owned 1 when the caller must close it (no room). */
static hid_t cached_scale(const tyndau_h5 *h, hid_t loc, const char *axis)
{
    for (size_t k = 0; k < h->n_scales; k++)
        if (h->scales[k].loc == loc && strcmp(h->scales[k].axis, axis) == 0) return h->scales[k].ds;
    return -1;
}

static hid_t dim_scale(tyndau_h5 *h, hid_t loc, const char *axis, size_t n, const char *user, int *owned)
{
    *owned = 0;
    for (size_t k = 0; k < h->n_scales; k++)
        if (h->scales[k].loc == loc && strcmp(h->scales[k].axis, axis) == 0) {
            hsize_t dim[1] = {0};
            hid_t space = H5Dget_space(h->scales[k].ds);
            int ok = space >= 0 && H5Sget_simple_extent_dims(space, dim, NULL) == 1 && dim[0] == n;
            if (space >= 0) H5Sclose(space);
            if (!ok) {
                tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: axis '%s' of %s has %zu entries, but its dimension scale "
                               "another length", h->path, axis, user, n);
                return -1;
            }
            return h->scales[k].ds;
        }
    hid_t ds = find_scale(h, loc, axis, n, user);
    hid_t known = cached_scale(h, loc, axis); /* a coordinate of labels, made just now, is kept already */
    if (ds >= 0 && known >= 0) {
        tyndau_h5_check(h, H5Dclose(ds), user, NULL);
        return known;
    }
    if (ds >= 0 && !remember_scale(h, loc, axis, ds)) *owned = 1;
    return ds;
}

/* Attach scale[k] to axis k of the new dataset ds, every axis at once: its DIMENSION_LIST
 * written whole, and each scale's back reference kept with the scale, whose REFERENCE_LIST is
 * written once when it is closed (h5.c).  The same attributes as H5DSattach_scale's, which
 * rewrites both lists at every call (a scale of many datasets costs their square); it serves
 * where a scale is not kept (owned[k]). */
static void attach_scales(tyndau_h5 *h, hid_t ds, const char *object, const hid_t *scale, const int *owned, int rank)
{
    int kept = 1;
    for (int k = 0; k < rank; k++) kept &= !owned[k];
    if (!kept) {
        for (int k = 0; k < rank; k++)
            tyndau_h5_check(h, H5DSattach_scale(ds, scale[k], (unsigned)k), object, "DIMENSION_LIST");
        return;
    }
    hobj_ref_t to_scale[TYNDAU_H5_MAX_RANK], to_ds;
    hvl_t list[TYNDAU_H5_MAX_RANK];
    if (tyndau_h5_check(h, H5Rcreate(&to_ds, ds, ".", H5R_OBJECT, -1), object, "DIMENSION_LIST")) return;
    for (int k = 0; k < rank; k++) {
        if (tyndau_h5_check(h, H5Rcreate(&to_scale[k], scale[k], ".", H5R_OBJECT, -1), object, "DIMENSION_LIST"))
            return;
        list[k].len = 1;
        list[k].p = &to_scale[k];
    }
    hsize_t n[1] = {(hsize_t)rank};
    hid_t type = H5Tvlen_create(H5T_STD_REF_OBJ), space = H5Screate_simple(1, n, NULL);
    tyndau_h5_check(h, type, object, "DIMENSION_LIST");
    tyndau_h5_check(h, space, object, "DIMENSION_LIST");
    if (h->st == TYNDAU_OK) {
        hid_t a = H5Acreate2(ds, "DIMENSION_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (!tyndau_h5_check(h, a, object, "DIMENSION_LIST")) {
            tyndau_h5_check(h, H5Awrite(a, type, list), object, "DIMENSION_LIST");
            tyndau_h5_check(h, H5Aclose(a), object, "DIMENSION_LIST");
        }
    }
    if (space >= 0) tyndau_h5_check(h, H5Sclose(space), object, "DIMENSION_LIST");
    if (type >= 0) tyndau_h5_check(h, H5Tclose(type), object, "DIMENSION_LIST");
    for (int k = 0; k < rank && h->st == TYNDAU_OK; k++)
        for (size_t c = 0; c < h->n_scales; c++) {
            if (h->scales[c].ds != scale[k]) continue;
            if (h->scales[c].n_refs == h->scales[c].cap_refs) {
                size_t cap = h->scales[c].cap_refs ? 2 * h->scales[c].cap_refs : 8;
                tyndau_h5_backref *v = tyndau_reallocarray(h->scales[c].refs, cap, sizeof *v);
                if (v == NULL) {
                    tyndau_h5_oom(h, object);
                    return;
                }
                h->scales[c].refs = v;
                h->scales[c].cap_refs = cap;
            }
            h->scales[c].refs[h->scales[c].n_refs++] = (tyndau_h5_backref){to_ds, (unsigned)k};
            break;
        }
}

/* Attach a dimension scale to every axis of ds, and its code names. */
static void put_axes(tyndau_h5 *h, hid_t loc, hid_t ds, const char *object, const tyndau_h5_dspec *d)
{
    hid_t scale[TYNDAU_H5_MAX_RANK];
    int owned[TYNDAU_H5_MAX_RANK] = {0}, n_scale = 0;
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
        if (d->rank == 1 && strcmp(axis, d->name) == 0) { /* a coordinate: the scale of its own axis */
            tyndau_h5_check(h, H5DSset_scale(ds, axis), object, "CLASS");
            continue;
        }
        for (size_t c = 0; c < h->n_codes; c++)
            if (strcmp(h->codes[c].axis, axis) == 0) tyndau_h5_attr_str(h, ds, h->codes[c].attr, h->codes[c].text);
        if (h->st != TYNDAU_OK) return;
        scale[k] = dim_scale(h, loc, axis, d->dims[k], object, &owned[k]);
        if (scale[k] < 0) break;
        n_scale = k + 1;
    }
    if (n_scale == d->rank && h->st == TYNDAU_OK) attach_scales(h, ds, object, scale, owned, d->rank);
    for (int k = 0; k < n_scale; k++)
        if (owned[k]) tyndau_h5_check(h, H5Dclose(scale[k]), object, NULL);
}

/* Chunk = whole trailing axes times as many leading rows as fit CHUNK_ELEMS: readers take
 * whole days or whole rows, and such chunks compress well. */
static void set_layout(tyndau_h5 *h, hid_t dcpl, const tyndau_h5_dspec *d, hid_t mem, size_t n, const char *object)
{
    if (d->data == NULL && d->fill != NULL) tyndau_h5_check(h, H5Pset_fill_value(dcpl, mem, d->fill), object, NULL);
    if (n <= TYNDAU_H5_SMALL && !d->in_place) return;
    /* a coordinate of names: variable-length text keeps its characters in the file's heap, so a
       filter would only see the heap references, which for a few dozen names cost more to
       compress than they save */
    if (d->kind == TYNDAU_H5_STR && d->rank == 1 && d->axes != NULL && strcmp(d->axes, d->name) == 0 &&
        n <= TYNDAU_H5_SMALL_TEXT && !d->in_place)
        return;
    hsize_t chunk[TYNDAU_H5_MAX_RANK], inner = 1;
    for (int i = 1; i < d->rank; i++) {
        chunk[i] = d->dims[i] ? d->dims[i] : 1;
        inner *= chunk[i];
    }
    chunk[0] = inner >= CHUNK_ELEMS ? 1 : CHUNK_ELEMS / inner;
    if (chunk[0] > d->dims[0]) chunk[0] = d->dims[0] ? d->dims[0] : 1;
    tyndau_h5_check(h, H5Pset_chunk(dcpl, d->rank, chunk), object, NULL);
    if (d->in_place) {
        /* every chunk allocated (and filled) now: writing a row later never changes the file's metadata */
        tyndau_h5_check(h, H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), object, NULL);
        tyndau_h5_check(h, H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), object, NULL);
        return;
    }
    /* Integers (the time series above all) by scale-offset, lossless: each chunk's values less
       their minimum, packed in the bits their range needs; no entropy coder, so a run file costs
       about a third of the time it took with shuffle and deflate 4, for half as many bytes
       again (BENCHMARKS.md).  Everything else by shuffle and deflate 1. */
    if (d->kind == TYNDAU_H5_I32 || d->kind == TYNDAU_H5_I64 || d->kind == TYNDAU_H5_U64) {
        tyndau_h5_check(h, H5Pset_scaleoffset(dcpl, H5Z_SO_INT, H5Z_SO_INT_MINBITS_DEFAULT), object, NULL);
    } else {
        tyndau_h5_check(h, H5Pset_shuffle(dcpl), object, NULL);
        tyndau_h5_check(h, H5Pset_deflate(dcpl, DEFLATE_LEVEL), object, NULL);
    }
    /* HDF5 refuses Fletcher-32 on variable-length strings; it would only checksum heap references. */
    if (d->kind != TYNDAU_H5_STR) tyndau_h5_check(h, H5Pset_fletcher32(dcpl), object, NULL);
}

/* Write all of ds.  Text and compounds of text are converted (pointers to heap entries): HDF5's
 * conversion buffer defaults to 1 MiB, zeroed at every write, which costs more than writing a
 * small dataset (the run file has dozens); a buffer the size of the data is enough. */
static void write_data(tyndau_h5 *h, hid_t ds, hid_t mem, size_t n, const void *data, const char *object)
{
    hid_t dxpl = H5P_DEFAULT;
    size_t elem = H5Tget_size(mem);
    int convert = H5Tdetect_class(mem, H5T_VLEN) > 0 || H5Tis_variable_str(mem) > 0;
    if (convert && elem > 0) {
        size_t bytes = n * (elem > 16 ? elem : 16) * 2;
        bytes = bytes < 4096 ? 4096 : bytes > (1u << 20) ? (1u << 20) : bytes;
        dxpl = H5Pcreate(H5P_DATASET_XFER);
        if (tyndau_h5_check(h, dxpl, object, NULL) || tyndau_h5_check(h, H5Pset_buffer(dxpl, bytes, NULL, NULL), object, NULL)) {
            if (dxpl >= 0) H5Pclose(dxpl);
            return;
        }
    }
    H5Eclear2(H5E_DEFAULT);
    tyndau_h5_check(h, H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, dxpl, data), object, NULL);
    if (dxpl != H5P_DEFAULT) tyndau_h5_check(h, H5Pclose(dxpl), object, NULL);
}

void tyndau_h5_write(tyndau_h5 *h, hid_t loc, const tyndau_h5_dspec *d)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    tyndau_h5_where(loc, d->name, object, sizeof object);
    if (d->rank < 0 || d->rank > TYNDAU_H5_MAX_RANK || (d->rank > 0 && d->axes == NULL) ||
        (d->data == NULL && d->fill == NULL)) {
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: bad dataset description", h->path, object);
        return;
    }
    hsize_t dims[TYNDAU_H5_MAX_RANK];
    size_t n = 1;
    for (int i = 0; i < d->rank; i++) n *= dims[i] = d->dims[i];
    hid_t mem, file, owned;
    tyndau_h5_types(h, d->kind, d->type, d->len, &mem, &file, &owned);

    hid_t space = d->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(d->rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (!tyndau_h5_check(h, space, object, NULL) && !tyndau_h5_check(h, dcpl, object, NULL)) {
        set_layout(h, dcpl, d, mem, n, object);
        if (h->st == TYNDAU_OK) {
            ds = H5Dcreate2(loc, d->name, file, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            tyndau_h5_check(h, ds, object, NULL);
        }
        if (ds >= 0 && n > 0 && d->data != NULL) write_data(h, ds, mem, n, d->data, object);
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
    /* a coordinate stays open: the datasets of its axis are written next */
    int coordinate = d->rank == 1 && strcmp(d->axes, d->name) == 0;
    if (ds >= 0 && !(coordinate && h->st == TYNDAU_OK && remember_scale(h, loc, d->name, ds)))
        tyndau_h5_check(h, H5Dclose(ds), object, NULL);
    if (dcpl >= 0) tyndau_h5_check(h, H5Pclose(dcpl), object, NULL);
    if (space >= 0) tyndau_h5_check(h, H5Sclose(space), object, NULL);
    if (owned >= 0) tyndau_h5_check(h, H5Tclose(owned), object, NULL);
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
    tyndau_h5_where(loc, name, object, sizeof object);
    hid_t mem, file, owned;
    tyndau_h5_types(h, kind, -1, len, &mem, &file, &owned);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t fs = ds >= 0 ? H5Dget_space(ds) : -1;
    if (!tyndau_h5_check(h, ds, object, NULL) && !tyndau_h5_check(h, fs, object, NULL)) {
        hsize_t dims[TYNDAU_H5_MAX_RANK] = {0}, start[TYNDAU_H5_MAX_RANK] = {0}, count[TYNDAU_H5_MAX_RANK];
        int rank = H5Sget_simple_extent_ndims(fs);
        if (!tyndau_h5_check(h, rank, object, NULL) && (rank < 1 || rank > TYNDAU_H5_MAX_RANK))
            tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: %s: not a dataset of rows", h->path, object);
        if (h->st == TYNDAU_OK) tyndau_h5_check(h, H5Sget_simple_extent_dims(fs, dims, NULL), object, NULL);
        if (h->st == TYNDAU_OK && first + n > dims[0])
            tyndau_h5_fail(h, tyndau_h5_reading(h) ? TYNDAU_EINPUT : TYNDAU_EINTERNAL, "%s: %s has %llu rows, not %zu",
                           h->path, object, (unsigned long long)dims[0], first + n);
        for (int i = 0; i < rank && i < TYNDAU_H5_MAX_RANK; i++) count[i] = dims[i];
        start[0] = first, count[0] = n;
        hid_t ms = h->st == TYNDAU_OK ? H5Screate_simple(rank, count, NULL) : -1;
        if (!tyndau_h5_check(h, ms, object, NULL)) {
            tyndau_h5_check(h, H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL), object, NULL);
            if (h->st == TYNDAU_OK)
                tyndau_h5_check(h, write ? H5Dwrite(ds, mem, ms, fs, H5P_DEFAULT, buf) : H5Dread(ds, mem, ms, fs, H5P_DEFAULT, buf),
                      object, NULL);
            tyndau_h5_check(h, H5Sclose(ms), object, NULL);
        }
    }
    if (fs >= 0) H5Sclose(fs);
    if (ds >= 0) tyndau_h5_check(h, H5Dclose(ds), object, NULL);
    if (owned >= 0) H5Tclose(owned);
}

void tyndau_h5_flush(tyndau_h5 *h)
{
    if (h->st == TYNDAU_OK) tyndau_h5_check(h, H5Fflush(h->file, H5F_SCOPE_LOCAL), "the file", NULL);
}

