/*
 * h5.c - the HDF5 layer (see h5.h for what it guarantees).
 *
 * Every HDF5 call goes through tyndau_h5_check(), which records the first failure and HDF5's reason
 * for it; every function returns at once when h->st is set, except to release what it
 * opened.  Dimension scales: a dataset's axes are looked up by name in its group (dim_scale)
 * and made there on first use, so every axis has one by construction.
 */
#include "h5.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>

#include "h5_private.h"
#include "outfile.h"
#include "rng.h"
#include "tyndau.h"

#if defined(__clang__)
#define COMPILER __VERSION__ /* already says "clang" */
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif


/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* Halves of a DETAIL_LEN line, so that "api: cause" always fits. */
#define TRACE_LEN ((DETAIL_LEN - 4) / 2)
typedef struct {
    char api[TRACE_LEN];   /* outermost entry: the API call and what it says */
    char cause[TRACE_LEN]; /* innermost entry: usually the real reason */
    int sys_errno;         /* the system's error that HDF5 reports, 0 if none */
} h5_trace;

static herr_t trace_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_trace *t = data;
    if (e->desc == NULL || e->desc[0] == '\0') return 0;
    /* a failed write or read of the file names the system's errno ("errno = 28"): kept, so that
     * the message can say "No space left on device" in words */
    const char *en = strstr(e->desc, "errno = ");
    if (en != NULL && t->sys_errno == 0) t->sys_errno = atoi(en + 8);
    if (n == 0) snprintf(t->api, sizeof t->api, "%s(): %s", e->func_name ? e->func_name : "?", e->desc);
    snprintf(t->cause, sizeof t->cause, "%s", e->desc);
    return 0;
}

/* HDF5's error stack as one line, then cleared.  Must run right after the failing call. */
void tyndau_h5_reason(char *buf, size_t len)
{
    h5_trace t = {"", "", 0};
    const char *sys = "", *sep = "";
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, trace_cb, &t) >= 0 && t.sys_errno > 0)
        sys = strerror(t.sys_errno), sep = ": ";
    if (t.api[0] == '\0')
        snprintf(buf, len, "%s%sno reason given", sys, sep);
    else if (strstr(t.api, t.cause) != NULL)
        snprintf(buf, len, "%s%s%s", sys, sep, t.api);
    else
        snprintf(buf, len, "%s%s%s: %s", sys, sep, t.api, t.cause);
    for (char *c = buf; *c != '\0'; c++)
        if (*c == '\n' || *c == '\r') *c = ' '; /* HDF5's own lines break inside a message */
    H5Eclear2(H5E_DEFAULT);
}

int tyndau_h5_reading(const tyndau_h5 *h) { return h->mode == TYNDAU_H5_READ; }

/* Record the failure `why` of a call on `object` (and its attribute `attr`). */
static void record(tyndau_h5 *h, const char *why, const char *object, const char *attr)
{
    if (h->st != TYNDAU_OK) return;
    const char *verb = tyndau_h5_reading(h) ? "read" : "write";
    tyndau_status st = tyndau_h5_reading(h) ? TYNDAU_EINPUT : TYNDAU_EINTERNAL;
    if (attr != NULL)
        h->st = TYNDAU_ERR(h->err, st, "%s: cannot %s attribute '%s' of %s: HDF5: %s", h->path, verb, attr, object, why);
    else
        h->st = TYNDAU_ERR(h->err, st, "%s: cannot %s %s: HDF5: %s", h->path, verb, object, why);
}

int tyndau_h5_check(tyndau_h5 *h, int64_t rc, const char *object, const char *attr)
{
    if (rc >= 0) return 0;
    char why[DETAIL_LEN];
    tyndau_h5_reason(why, sizeof why);
    record(h, why, object, attr);
    return 1;
}

int tyndau_h5_check_obj(tyndau_h5 *h, int64_t rc, hid_t obj, const char *attr)
{
    if (rc >= 0) return 0;
    char why[DETAIL_LEN], object[OBJ_LEN] = "/";
    tyndau_h5_reason(why, sizeof why);
    if (H5Iget_name(obj, object, sizeof object) < 0) H5Eclear2(H5E_DEFAULT);
    record(h, why, object, attr);
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

void tyndau_h5_oom(tyndau_h5 *h, const char *object)
{
    tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory for %s", h->path, object);
}

void tyndau_h5_where(hid_t loc, const char *name, char *buf, size_t len)
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
    h->file = h->str = h->scalar = -1;
    h->quiet_saved = H5Eget_auto2(H5E_DEFAULT, &h->quiet_fn, &h->quiet_data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* if this fails HDF5 merely prints: nothing to undo */

    if (mode == TYNDAU_H5_READ || mode == TYNDAU_H5_RDWR) {
        /* a FIFO would block the open, a device would be read for ever */
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read: not a regular file", path);
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
            tyndau_h5_reason(why, sizeof why);
            return h->st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot open as HDF5 (HDF5: %s)", path, why);
        }
    } else {
        const char *target = path;
        tyndau_status ok = tyndau_outfile_check(path, NULL, 0, err);
        if (ok != TYNDAU_OK) return h->st = ok;
        if (mode == TYNDAU_H5_CREATE || mode == TYNDAU_H5_CREATE_PART) {
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
        if (!tyndau_h5_check(h, fapl, "the file", NULL)) {
            /* SEMI: H5Fclose fails if anything is still open, instead of silently keeping the file alive. */
            tyndau_h5_check(h, H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "the file", NULL);
            if (h->st == TYNDAU_OK) {
                h->file = H5Fcreate(target, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
                tyndau_h5_check(h, h->file, "the file", NULL);
            }
            tyndau_h5_check(h, H5Pclose(fapl), "the file", NULL);
        }
    }
    h->fresh = mode == TYNDAU_H5_CREATE || mode == TYNDAU_H5_CREATE_PART;
    h->str = H5Tcopy(H5T_C_S1);
    if (!tyndau_h5_check(h, h->str, "the string type", NULL)) {
        tyndau_h5_check(h, H5Tset_size(h->str, H5T_VARIABLE), "the string type", NULL);
        tyndau_h5_check(h, H5Tset_cset(h->str, H5T_CSET_UTF8), "the string type", NULL);
    }
    h->scalar = H5Screate(H5S_SCALAR);
    tyndau_h5_check(h, h->scalar, "a dataspace", NULL);
    return h->st;
}

tyndau_status tyndau_h5_open_copy(tyndau_h5 *h, const char *path, const char *from, tyndau_error *err)
{
    /* the temporary made as for any new file, then the copy over it, then opened for writing */
    if (tyndau_h5_open(h, path, TYNDAU_H5_CREATE, err) != TYNDAU_OK) return h->st;
    h->fresh = 0; /* the copy has attributes */
    tyndau_h5_check(h, H5Fclose(h->file), "the file", NULL);
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
            tyndau_h5_reason(why, sizeof why);
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: cannot open as HDF5 (HDF5: %s)", from, why);
        }
    }
    return h->st;
}

/* A scale's REFERENCE_LIST (the datasets attached to it, H5DS's layout) with the n entries
 * of v after those it has already (a scale attached to before its group was last closed). */
static void write_back_refs(tyndau_h5 *h, hid_t scale, const tyndau_h5_backref *v, size_t n)
{
    const char *object = "a dimension scale", *attr = "REFERENCE_LIST";
    hid_t type = H5Tcreate(H5T_COMPOUND, sizeof *v);
    if (tyndau_h5_check(h, type, object, attr)) return;
    tyndau_h5_check(h, H5Tinsert(type, "dataset", offsetof(tyndau_h5_backref, ref), H5T_STD_REF_OBJ), object, attr);
    tyndau_h5_check(h, H5Tinsert(type, "dimension", offsetof(tyndau_h5_backref, dim_idx), H5T_NATIVE_INT), object,
                    attr);
    tyndau_h5_backref *all = NULL;
    size_t old = 0;
    htri_t ex = H5Aexists(scale, attr);
    if (!tyndau_h5_check(h, ex, object, attr) && ex > 0) {
        hid_t a = H5Aopen(scale, attr, H5P_DEFAULT), space = a >= 0 ? H5Aget_space(a) : -1;
        hssize_t m = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
        if (!tyndau_h5_check(h, m, object, attr)) {
            old = (size_t)m;
            all = tyndau_calloc(old + n, sizeof *all);
            if (all == NULL) tyndau_h5_oom(h, object);
            else tyndau_h5_check(h, H5Aread(a, type, all), object, attr);
        }
        if (space >= 0) H5Sclose(space);
        if (a >= 0) H5Aclose(a);
        if (h->st == TYNDAU_OK) tyndau_h5_check(h, H5Adelete(scale, attr), object, attr);
    }
    if (h->st == TYNDAU_OK && all != NULL) memcpy(all + old, v, n * sizeof *v);
    hsize_t dim[1] = {(hsize_t)(old + n)};
    hid_t space = h->st == TYNDAU_OK ? H5Screate_simple(1, dim, NULL) : -1;
    if (h->st == TYNDAU_OK && !tyndau_h5_check(h, space, object, attr)) {
        hid_t a = H5Acreate2(scale, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (!tyndau_h5_check(h, a, object, attr)) {
            tyndau_h5_check(h, H5Awrite(a, type, all != NULL ? all : v), object, attr);
            tyndau_h5_check(h, H5Aclose(a), object, attr);
        }
    }
    if (space >= 0) H5Sclose(space);
    H5Tclose(type);
    free(all);
}

/* Close the dimension scales kept open for loc (every one when loc is -1), writing the back
 * references of what was attached to them: they are the handle's, cached by h5data.c for the
 * datasets that follow. */
static void forget_scales(tyndau_h5 *h, hid_t loc)
{
    size_t kept = 0;
    for (size_t k = 0; k < h->n_scales; k++) {
        if (loc < 0 || h->scales[k].loc == loc) {
            if (h->scales[k].n_refs > 0 && h->st == TYNDAU_OK)
                write_back_refs(h, h->scales[k].ds, h->scales[k].refs, h->scales[k].n_refs);
            free(h->scales[k].refs);
            tyndau_h5_check(h, H5Dclose(h->scales[k].ds), "a dimension scale", NULL);
        } else {
            h->scales[kept++] = h->scales[k];
        }
    }
    h->n_scales = kept;
}

tyndau_status tyndau_h5_close(tyndau_h5 *h)
{
    forget_scales(h, -1);
    if (h->tmp != NULL && h->mode == TYNDAU_H5_CREATE && h->file >= 0 && h->st == TYNDAU_OK) {
        /* a file written whole records the digest of all it holds: a reader's probe finds a
         * value changed since (text and small datasets have no checksum of HDF5's) */
        uint64_t digest = 0;
        if (tyndau_h5_content_digest(h->file, &digest) != 0) {
            char why[DETAIL_LEN];
            tyndau_h5_reason(why, sizeof why);
            tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: cannot read back what was written (HDF5: %s)", h->path, why);
        }
        tyndau_h5_attr_u64(h, h->file, TYNDAU_H5_DIGEST_ATTR, digest);
    }
    if (h->str >= 0) tyndau_h5_check(h, H5Tclose(h->str), "the string type", NULL);
    if (h->scalar >= 0) tyndau_h5_check(h, H5Sclose(h->scalar), "a dataspace", NULL);
    if (h->file >= 0) tyndau_h5_check(h, H5Fclose(h->file), "the file", NULL);
    h->str = h->scalar = h->file = -1;
    if (h->quiet_saved && H5Eset_auto2(H5E_DEFAULT, h->quiet_fn, h->quiet_data) < 0 && h->st == TYNDAU_OK)
        h->st = TYNDAU_ERR(h->err, TYNDAU_EINTERNAL, "%s: cannot restore HDF5 error reporting", h->path);
    h->quiet_saved = 0;
    if (h->tmp != NULL) {
        if (h->st == TYNDAU_OK) {
            /* Data on disk before the name: after a crash the path is the old file or the whole new one. */
            int fd = open(h->tmp, O_RDONLY);
            if (fd < 0 || fsync(fd) != 0)
                h->st = TYNDAU_ERR(h->err, TYNDAU_EINTERNAL, "%s: cannot write output: %s", h->path, strerror(errno));
            if (fd >= 0 && close(fd) != 0 && h->st == TYNDAU_OK)
                h->st = TYNDAU_ERR(h->err, TYNDAU_EINTERNAL, "%s: cannot write output: %s", h->path, strerror(errno));
            /* what is at the name now (made since the command began) must still be a file to replace */
            if (h->st == TYNDAU_OK) h->st = tyndau_outfile_check(h->path, NULL, 0, h->err);
            if (h->st == TYNDAU_OK && rename(h->tmp, h->path) != 0)
                h->st = TYNDAU_ERR(h->err, TYNDAU_EINPUT, "%s: cannot write output: %s", h->path, strerror(errno));
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
    tyndau_h5_where(loc, name, object, sizeof object);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (tyndau_h5_check(h, g, object, NULL)) return -1;
    tyndau_h5_attr_str(h, g, "description", description);
    return g;
}

void tyndau_h5_close_obj(tyndau_h5 *h, hid_t obj)
{
    if (obj < 0) return;
    forget_scales(h, obj);
    H5I_type_t t = H5Iget_type(obj);
    herr_t rc = t == H5I_GROUP ? H5Gclose(obj) : t == H5I_DATASET ? H5Dclose(obj) : H5Oclose(obj);
    tyndau_h5_check(h, rc, "an object", NULL);
}

/* One scalar attribute; ftype is how it is stored, mtype how `value` is laid out.  An attribute
 * of that name is replaced, except in a file this handle created empty (it cannot have one). */
static void put_attr(tyndau_h5 *h, hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value)
{
    if (h->st != TYNDAU_OK || obj < 0) return;
    if (!h->fresh) {
        htri_t ex = H5Aexists(obj, name);
        if (tyndau_h5_check_obj(h, ex, obj, name)) return;
        if (ex > 0 && tyndau_h5_check_obj(h, H5Adelete(obj, name), obj, name)) return;
    }
    hid_t a = H5Acreate2(obj, name, ftype, h->scalar, H5P_DEFAULT, H5P_DEFAULT);
    if (!tyndau_h5_check_obj(h, a, obj, name)) {
        tyndau_h5_check_obj(h, H5Awrite(a, mtype, value), obj, name);
        tyndau_h5_check_obj(h, H5Aclose(a), obj, name);
    }
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
    tyndau_h5_where(loc, name, object, sizeof object);
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (tyndau_h5_check(h, o, object, "description")) return;
    tyndau_h5_attr_str(h, o, "description", description);
    tyndau_h5_check(h, H5Oclose(o), object, NULL);
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
    if (!tyndau_h5_check(h, H5get_libversion(&maj, &min, &rel), "/", "hdf5_version"))
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

