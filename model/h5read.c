/*
 * h5read.c - reading through the HDF5 layer (h5.h): attributes (text or numbers), datasets of
 * a known size, lists of texts, and the schema check every reader makes first.  A file that
 * does not hold what it should is bad input (TYNDAU_EINPUT).
 */
#include "h5.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_private.h"

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
    if (tyndau_h5_check(h, ex, object, name) || ex == 0) return NULL;
    char *value = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t type = a >= 0 ? H5Aget_type(a) : -1;
    hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    if (!tyndau_h5_check(h, a, object, name) && !tyndau_h5_check(h, type, object, name) && !tyndau_h5_check(h, space, object, name)) {
        H5T_class_t cls = H5Tget_class(type);
        if (H5Sget_simple_extent_npoints(space) != 1) {
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: attribute '%s' of %s is not one value", h->path, name, object);
        } else if (cls == H5T_STRING) {
            int rc = read_strings(a, -1, type, space, 1, &value);
            if (rc == -2) tyndau_h5_oom(h, name);
            if (rc == -1) tyndau_h5_check(h, -1, object, name);
        } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            char buf[40];
            if (cls == H5T_FLOAT) {
                double v = 0;
                if (!tyndau_h5_check(h, H5Aread(a, H5T_NATIVE_DOUBLE, &v), object, name)) snprintf(buf, sizeof buf, "%.17g", v);
            } else if (H5Tget_sign(type) == H5T_SGN_NONE) {
                uint64_t v = 0;
                if (!tyndau_h5_check(h, H5Aread(a, H5T_NATIVE_UINT64, &v), object, name)) snprintf(buf, sizeof buf, "%" PRIu64, v);
            } else {
                int64_t v = 0;
                if (!tyndau_h5_check(h, H5Aread(a, H5T_NATIVE_INT64, &v), object, name)) snprintf(buf, sizeof buf, "%" PRId64, v);
            }
            if (h->st == TYNDAU_OK && (value = dup_n(buf, sizeof buf)) == NULL) tyndau_h5_oom(h, name);
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
    if (tyndau_h5_check(h, ex, object, name)) return -1;
    if (ex == 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = tyndau_h5_check(h, a, object, name) || tyndau_h5_check(h, H5Aread(a, mtype, out), object, name) ? -1 : 1;
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
    tyndau_h5_where(loc, name, object, sizeof object);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    tyndau_h5_check(h, n, object, NULL);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    return n > 0 ? (size_t)n : 0;
}

/* The dataset's path in object (for messages); 0 after failing when there is no such dataset. */
static int dataset_found(tyndau_h5 *h, hid_t loc, const char *name, char *object, size_t len)
{
    tyndau_h5_where(loc, name, object, len);
    if (tyndau_h5_exists(h, loc, name)) return 1;
    tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: no dataset %s", h->path, object);
    return 0;
}

void tyndau_h5_expect(tyndau_h5 *h, hid_t loc, const char *name, int64_t a, int64_t b, int64_t c, const char *what)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    if (!dataset_found(h, loc, name, object, sizeof object)) return;
    size_t have = tyndau_h5_size(h, loc, name);
    int ok = a >= 0 && b >= 0 && c >= 0;
    uint64_t want = 1;
    const int64_t f[3] = {a, b, c};
    for (int k = 0; ok && k < 3; k++) {
        if (f[k] != 0 && want > UINT64_MAX / (uint64_t)f[k]) ok = 0;
        else want *= (uint64_t)f[k];
    }
    if (h->st == TYNDAU_OK && (!ok || want != (uint64_t)have))
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s has %zu values, but the file's attributes say %lld x %lld x %lld (%s): "
                       "a damaged or altered file", h->path, object, have, (long long)a, (long long)b, (long long)c,
                       what);
}

void tyndau_h5_read(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t n, void *buf)
{
    if (h->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    if (!dataset_found(h, loc, name, object, sizeof object)) return;
    size_t have = tyndau_h5_size(h, loc, name);
    if (h->st == TYNDAU_OK && have != n) {
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s has %zu values, expected %zu", h->path, object, have, n);
        return;
    }
    hid_t mem, file, owned;
    tyndau_h5_types(h, kind, -1, 0, &mem, &file, &owned);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (!tyndau_h5_check(h, ds, object, NULL) && n > 0) tyndau_h5_check(h, H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), object, NULL);
    if (ds >= 0) H5Dclose(ds);
    if (owned >= 0) H5Tclose(owned);
}

char **tyndau_h5_read_strs(tyndau_h5 *h, hid_t loc, const char *name, size_t *n)
{
    *n = 0;
    if (h->st != TYNDAU_OK) return NULL;
    char object[OBJ_LEN];
    if (!dataset_found(h, loc, name, object, sizeof object)) return NULL;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1, type = ds >= 0 ? H5Dget_type(ds) : -1;
    char **out = NULL;
    if (!tyndau_h5_check(h, ds, object, NULL) && !tyndau_h5_check(h, space, object, NULL) && !tyndau_h5_check(h, type, object, NULL)) {
        hssize_t k = H5Sget_simple_extent_npoints(space);
        if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_ndims(space) > 1 || k < 0) {
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s is not a list of texts", h->path, object);
        } else if ((out = tyndau_calloc((size_t)k, sizeof *out)) == NULL) {
            tyndau_h5_oom(h, object);
        } else {
            int rc = read_strings(-1, ds, type, space, (size_t)k, out);
            if (rc == -2) tyndau_h5_oom(h, object);
            if (rc == -1) tyndau_h5_check(h, -1, object, NULL);
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

