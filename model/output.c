/*
 * output.c - the HDF5 run file (schema "tyndau-run" 1.0, docs/output_schema.md)
 * and the reader that prints its /survey group.
 *
 * Writing: the file is built under a temporary name beside `path` and renamed
 * onto it only once it is complete and closed, so a reader never sees a half
 * written file and a failed run never destroys an earlier result.
 *
 * Error handling in the writer is "sticky": every HDF5 call goes through
 * check(), which records the first failure (with HDF5's own reason, read at
 * once because the next API call clears the error stack) in writer.st; every
 * helper does nothing once st is set, except release what it opened.  That
 * keeps the section writers straight-line code while no call goes unchecked.
 *
 * The reader treats every problem with the file as bad input (TYNDAU_EINPUT) and
 * ignores the results of closing its read-only handles, which cannot lose data.
 *
 * The serial HDF5 library is not thread-safe and its error-printing switch is
 * process-wide: callers must not use HDF5 from another thread meanwhile.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>

#include "anchors.h"
#include "internal.h"

/* Build provenance, supplied by the Makefile with -D (string literals). */
#if defined(__clang__)
#define COMPILER __VERSION__ /* already says "clang" */
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

#define CITATION                                                                                  \
    "Kurmanov, B., Selteyev, U. & Almaganbetov, A. (2024). 'Listening State?': exploring "        \
    "citizens' perceptions of Open Government in Tokayev's Kazakhstan. Central Asian Survey "     \
    "43(2), 235-256. doi:10.1080/02634937.2023.2268652"
#define RNG_TEXT                                                                                  \
    "counter-based SplitMix64 streams (GSL generator type tyndau_ctr): one per citizen, "        \
    "appeal, bureaucrat trait and the survey, keyed by SplitMix64(seed, kind, index)"

#define SMALL_ELEMS 16     /* datasets up to this size stay contiguous: filters would only add overhead */
#define CHUNK_ELEMS 65536  /* elements per chunk: whole rows of the trailing axes, compresses well */
#define DEFLATE_LEVEL 1    /* of the datasets that are not integers (set_filters) */
#define XFER_BUFFER 65536  /* bytes of HDF5's type-conversion buffer (writer_init) */
#define DETAIL_LEN 320
#define OBJ_LEN 160

/* ------------------------------------------------------------------------ */
/* HDF5 error text                                                          */

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

/* Turns HDF5's automatic error printing off (the library never prints) and back. */
typedef struct {
    H5E_auto2_t fn;
    void *data;
    int saved;
} h5_quiet;

static void quiet_on(h5_quiet *q)
{
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* if this fails HDF5 merely prints: nothing to undo */
}

static herr_t quiet_off(const h5_quiet *q)
{
    return q->saved ? H5Eset_auto2(H5E_DEFAULT, q->fn, q->data) : 0;
}

/* ------------------------------------------------------------------------ */
/* Comma-joined name lists (the *_codes attributes)                         */

typedef struct {
    char *s;
    size_t n, cap;
    int failed;
} strbuf;

static void sb_add(strbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->failed) return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = 2 * (b->n + k + 1);
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, k + 1);
    b->n += k;
}

/* Append names[0..n-1], each as "prefix:name" when prefix is given. */
static void sb_names(strbuf *b, const char *prefix, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b->n > 0) sb_add(b, ",");
        if (prefix != NULL) {
            sb_add(b, prefix);
            sb_add(b, ":");
        }
        sb_add(b, names[i]);
    }
}

/* The joined string (caller frees), or NULL when out of memory. */
static char *sb_take(strbuf *b)
{
    if (!b->failed && b->s == NULL) sb_add(b, "");
    if (b->failed) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                   */

/* Coded axes: a dataset axis (or a dataset's values) named here gets an
 * attribute "<name>_codes" listing what index 0, 1, ... mean. */
enum { AX_NONE, AX_GROUP, AX_GROUP_TYPE, AX_DOMAIN, AX_CHANNEL, AX_OUTCOME, AX_STATE, AX_LEVEL, AX_BELIEF,
       AX_REGION, AX_DECISION, N_AX };
static const char *const axis_names[N_AX] = {"",      "group", "group_type", "domain", "channel", "outcome",
                                             "state", "level", "belief",     "region", "decision"};

typedef struct {
    const char *path; /* final file name, for messages */
    tyndau_error *err;
    tyndau_status st; /* first failure; once set, helpers only release what they hold */
    hid_t str;        /* variable-length UTF-8 string */
    hid_t xfer;       /* dataset transfer: a type-conversion buffer of XFER_BUFFER bytes */
    char *codes[N_AX];
} writer;

/* Record a failed HDF5 call (rc < 0) on `object` (and its attribute `attr`).
 * Returns nonzero when rc failed. */
static int check(writer *w, int64_t rc, const char *object, const char *attr)
{
    if (rc >= 0) return 0;
    char why[DETAIL_LEN];
    h5_reason(why, sizeof why);
    if (w->st != TYNDAU_OK) return 1;
    if (attr != NULL)
        w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write attribute '%s' of %s: HDF5: %s",
                           w->path, attr, object, why);
    else
        w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write %s: HDF5: %s", w->path, object, why);
    return 1;
}

static void out_of_memory(writer *w, const char *object)
{
    if (w->st == TYNDAU_OK)
        w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: out of memory writing %s", w->path, object);
}

static void writer_init(writer *w, const char *path, tyndau_error *err)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->err = err;
    w->st = TYNDAU_OK;
    /* HDF5 allocates and clears its type-conversion buffer, 1 MiB by default, at every H5Dwrite:
       for a file of ~90 datasets that was half the time of writing a small model's file, most
       of it page faults on memory just returned to the system; the largest element written
       (a row of the parameter table) is far smaller */
    w->xfer = H5Pcreate(H5P_DATASET_XFER);
    if (!check(w, w->xfer, "the transfer properties", NULL))
        check(w, H5Pset_buffer(w->xfer, XFER_BUFFER, NULL, NULL), "the transfer properties", NULL);
    w->str = H5Tcopy(H5T_C_S1);
    if (!check(w, w->str, "the string type", NULL)) {
        check(w, H5Tset_size(w->str, H5T_VARIABLE), "the string type", NULL);
        check(w, H5Tset_cset(w->str, H5T_CSET_UTF8), "the string type", NULL);
    }

    const char *gname[TYNDAU_N_GROUP], *gtype[TYNDAU_N_GROUP], *rname[TYNDAU_N_REGION];
    for (int g = 0; g < TYNDAU_N_GROUP; g++) {
        gname[g] = tyndau_group_name(g);
        gtype[g] = tyndau_gtype_names[tyndau_group_type(g)];
    }
    for (int r = 0; r < TYNDAU_N_REGION; r++) rname[r] = tyndau_group_name(TYNDAU_GROUP_REGION + r);

    for (int a = AX_GROUP; a < N_AX; a++) {
        strbuf b = {NULL, 0, 0, 0};
        switch (a) {
        case AX_GROUP: sb_names(&b, NULL, gname, TYNDAU_N_GROUP); break;
        case AX_GROUP_TYPE: sb_names(&b, NULL, gtype, TYNDAU_N_GROUP); break;
        case AX_DOMAIN: sb_names(&b, NULL, tyndau_domain_names, N_DOMAIN); break;
        case AX_CHANNEL: sb_names(&b, NULL, tyndau_channel_names, N_CHANNEL); break;
        case AX_OUTCOME: sb_names(&b, NULL, tyndau_outcome_names, N_OUTCOME); break;
        case AX_STATE: /* the column order of s_state (N_STATE_SERIES) */
            sb_names(&b, "concept", tyndau_concept_names, N_CONCEPT);
            sb_names(&b, "platform", tyndau_platform_names, N_PLATFORM);
            sb_names(&b, "central", tyndau_belief_names, N_BELIEF);
            sb_names(&b, "local", tyndau_belief_names, N_BELIEF);
            break;
        case AX_LEVEL: sb_names(&b, NULL, tyndau_level_names, N_LEVEL); break;
        case AX_BELIEF: sb_names(&b, NULL, tyndau_belief_names, N_BELIEF); break;
        case AX_DECISION: sb_names(&b, NULL, tyndau_decision_names, N_DECISION); break;
        default: sb_names(&b, NULL, rname, TYNDAU_N_REGION); break;
        }
        w->codes[a] = sb_take(&b);
        if (w->codes[a] == NULL) out_of_memory(w, "the code lists");
    }
}

static void writer_free(writer *w)
{
    if (w->str >= 0) check(w, H5Tclose(w->str), "the string type", NULL);
    if (w->xfer >= 0) check(w, H5Pclose(w->xfer), "the transfer properties", NULL);
    for (int a = 0; a < N_AX; a++) free(w->codes[a]);
}

/* One scalar attribute; ftype is how it is stored, mtype how `value` is laid out. */
static void put_attr(writer *w, hid_t obj, const char *object, const char *name, hid_t ftype, hid_t mtype,
                     const void *value)
{
    if (w->st != TYNDAU_OK) return;
    hid_t space = H5Screate(H5S_SCALAR);
    if (check(w, space, object, name)) return;
    hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (!check(w, a, object, name)) {
        check(w, H5Awrite(a, mtype, value), object, name);
        check(w, H5Aclose(a), object, name);
    }
    check(w, H5Sclose(space), object, name);
}

static void put_str(writer *w, hid_t obj, const char *object, const char *name, const char *value)
{
    const char *v = value != NULL ? value : "";
    put_attr(w, obj, object, name, w->str, w->str, &v);
}
static void put_int(writer *w, hid_t obj, const char *object, const char *name, int value)
{
    put_attr(w, obj, object, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}
static void put_u64(writer *w, hid_t obj, const char *object, const char *name, uint64_t value)
{
    put_attr(w, obj, object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value);
}
static void put_f64(writer *w, hid_t obj, const char *object, const char *name, double value)
{
    put_attr(w, obj, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

typedef enum { K_I8, K_I32, K_I64, K_U64, K_F64, K_STR, K_TYPE } kind;

/* A dataset to write; designated initialisers leave unused fields zero. */
typedef struct {
    const char *name;
    kind k;
    hid_t type; /* K_TYPE only: memory and file type */
    int rank;   /* 0 = scalar */
    hsize_t dims[4];
    const void *data; /* C order; K_STR: const char *[] */
    const char *description, *units;
    const char *axes; /* comma-separated axis names, one per dimension (NULL for a scalar) */
    int value_codes;  /* AX_* naming the values (attribute "<name>_codes"), AX_NONE if not coded */
} dspec;

static void kind_types(const writer *w, const dspec *d, hid_t *mem, hid_t *file)
{
    switch (d->k) {
    case K_I8: *mem = H5T_NATIVE_INT8, *file = H5T_STD_I8LE; break;
    case K_I32: *mem = H5T_NATIVE_INT32, *file = H5T_STD_I32LE; break;
    case K_I64: *mem = H5T_NATIVE_INT64, *file = H5T_STD_I64LE; break;
    case K_U64: *mem = H5T_NATIVE_UINT64, *file = H5T_STD_U64LE; break;
    case K_F64: *mem = H5T_NATIVE_DOUBLE, *file = H5T_IEEE_F64LE; break;
    case K_STR: *mem = *file = w->str; break;
    default: *mem = *file = d->type; break;
    }
}

/* Chunk = whole trailing axes times as many leading rows as fit CHUNK_ELEMS:
 * readers take whole days or whole offices, and such chunks compress well. */
static void set_filters(writer *w, hid_t dcpl, const dspec *d, const char *object)
{
    hsize_t chunk[4], inner = 1;
    for (int i = 1; i < d->rank; i++) {
        chunk[i] = d->dims[i];
        inner *= d->dims[i];
    }
    chunk[0] = inner >= CHUNK_ELEMS ? 1 : CHUNK_ELEMS / inner;
    if (chunk[0] > d->dims[0]) chunk[0] = d->dims[0];
    check(w, H5Pset_chunk(dcpl, d->rank, chunk), object, NULL);
    /* Integers (the time series above all) by scale-offset, lossless: each chunk's values less
       their minimum, packed in the bits their range needs; no entropy coder, so a file costs
       about a third of the time it took with shuffle and deflate 4, for half as many bytes
       again (1.7 MB instead of 1.1; BENCHMARKS.md).  Everything else by shuffle and deflate 1. */
    if (d->k == K_I64 || d->k == K_U64 || d->k == K_I32) {
        check(w, H5Pset_scaleoffset(dcpl, H5Z_SO_INT, H5Z_SO_INT_MINBITS_DEFAULT), object, NULL);
    } else {
        check(w, H5Pset_shuffle(dcpl), object, NULL);
        check(w, H5Pset_deflate(dcpl, DEFLATE_LEVEL), object, NULL);
    }
    /* HDF5 refuses Fletcher-32 on variable-length strings; it would only checksum heap references. */
    if (d->k != K_STR) check(w, H5Pset_fletcher32(dcpl), object, NULL);
}

/* Attributes "<axis>_codes" for each coded axis in d->axes (a group axis also gets group_type_codes). */
static void put_axis_codes(writer *w, hid_t ds, const char *object, const char *axes)
{
    const char *p = axes;
    while (*p != '\0') {
        size_t k = strcspn(p, ",");
        for (int a = AX_GROUP; a < N_AX; a++) {
            if (strlen(axis_names[a]) != k || strncmp(p, axis_names[a], k) != 0) continue;
            char name[64];
            snprintf(name, sizeof name, "%s_codes", axis_names[a]);
            put_str(w, ds, object, name, w->codes[a]);
            if (a == AX_GROUP) put_str(w, ds, object, "group_type_codes", w->codes[AX_GROUP_TYPE]);
        }
        p += k + (p[k] == ',');
    }
}

static void write_dataset(writer *w, hid_t loc, const char *where, const dspec *d)
{
    if (w->st != TYNDAU_OK) return;
    char object[OBJ_LEN];
    snprintf(object, sizeof object, "%s/%s", strcmp(where, "/") == 0 ? "" : where, d->name);
    hsize_t n = 1;
    for (int i = 0; i < d->rank; i++) n *= d->dims[i];
    hid_t mem, file;
    kind_types(w, d, &mem, &file);

    hid_t space = d->rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(d->rank, d->dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (!check(w, space, object, NULL) && !check(w, dcpl, object, NULL)) {
        if (n > SMALL_ELEMS) set_filters(w, dcpl, d, object);
        if (w->st == TYNDAU_OK) {
            ds = H5Dcreate2(loc, d->name, file, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            check(w, ds, object, NULL);
        }
        if (ds >= 0 && n > 0) check(w, H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, w->xfer, d->data), object, NULL);
        if (ds >= 0) {
            put_str(w, ds, object, "description", d->description);
            put_str(w, ds, object, "units", d->units);
            if (d->axes != NULL) {
                put_str(w, ds, object, "dims", d->axes);
                put_axis_codes(w, ds, object, d->axes);
            }
            if (d->value_codes != AX_NONE) {
                char name[64];
                snprintf(name, sizeof name, "%s_codes", d->name);
                put_str(w, ds, object, name, w->codes[d->value_codes]);
            }
        }
    }
    if (ds >= 0) check(w, H5Dclose(ds), object, NULL);
    if (dcpl >= 0) check(w, H5Pclose(dcpl), object, NULL);
    if (space >= 0) check(w, H5Sclose(space), object, NULL);
}

/* Create group `path` with its description; -1 (and w->st set) on failure.  Close with close_group. */
static hid_t open_group(writer *w, hid_t file, const char *path, const char *description)
{
    if (w->st != TYNDAU_OK) return -1;
    hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (check(w, g, path, NULL)) return -1;
    put_str(w, g, path, "description", description);
    return g;
}

static void close_group(writer *w, hid_t g, const char *path)
{
    if (g >= 0) check(w, H5Gclose(g), path, NULL);
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                 */

static const char *text_or_empty(const char *s) { return s != NULL ? s : ""; }

static void write_root(writer *w, hid_t file, const tyndau_model *m, const tyndau_meta *meta)
{
    char created[32] = "unknown", hdf5v[32] = "unknown", start[16], end[16], survey[16];
    time_t now = time(NULL);
    struct tm utc;
    if (now != (time_t)-1 && gmtime_r(&now, &utc) != NULL)
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
    unsigned maj, min, rel;
    if (!check(w, H5get_libversion(&maj, &min, &rel), "/", "hdf5_version"))
        snprintf(hdf5v, sizeof hdf5v, "%u.%u.%u", maj, min, rel);
    tyndau_date_format(m->p.start_date, start, sizeof start);
    tyndau_date_format(m->p.end_date, end, sizeof end);
    tyndau_date_format(m->p.survey_date, survey, sizeof survey);

    put_str(w, file, "/", "schema_name", TYNDAU_SCHEMA_NAME);
    put_str(w, file, "/", "schema_version", TYNDAU_SCHEMA_VERSION);
    put_str(w, file, "/", "program", meta != NULL && meta->program != NULL ? meta->program : "tyndau");
    put_str(w, file, "/", "program_version", TYNDAU_VERSION);
    put_str(w, file, "/", "git_commit", meta != NULL && meta->git_commit != NULL ? meta->git_commit : "unknown");
    put_str(w, file, "/", "compiler", COMPILER);
    put_str(w, file, "/", "cflags", meta != NULL && meta->cflags != NULL ? meta->cflags : "unknown");
    put_str(w, file, "/", "gsl_version", gsl_version);
    put_str(w, file, "/", "hdf5_version", hdf5v);
    put_u64(w, file, "/", "seed", m->seed);
    put_str(w, file, "/", "rng", RNG_TEXT);
    put_int(w, file, "/", "threads", meta != NULL ? meta->threads : 0);
    put_str(w, file, "/", "created", created);
    put_str(w, file, "/", "command_line", meta != NULL ? meta->command_line : NULL);
    put_u64(w, file, "/", "agents", (uint64_t)m->c.n);
    put_f64(w, file, "/", "scale", m->scale);
    put_str(w, file, "/", "start_date", start);
    put_str(w, file, "/", "end_date", end);
    put_str(w, file, "/", "survey_date", survey);
    put_str(w, file, "/", "scenario_name", meta != NULL ? meta->scenario_name : NULL);
    put_str(w, file, "/", "targets_source", meta != NULL ? meta->targets_source : NULL);
}

/* Bounds and defaults in the form the reader accepts (as tyndau_params_format does for values). */
static void format_value(tyndau_param_type type, double v, char *buf, size_t len)
{
    switch (type) {
    case TYNDAU_PT_REAL:
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v && !isnan(v)) snprintf(buf, len, "%.17g", v);
        break;
    case TYNDAU_PT_INT: snprintf(buf, len, "%.0f", v); break;
    default: tyndau_date_format((int)v, buf, len); break;
    }
}

enum { PF_NAME, PF_TYPE, PF_VALUE, PF_DEFAULT, PF_MIN, PF_MAX, PF_UNIT, PF_CATEGORY, PF_DESCRIPTION,
       PF_SOURCE, N_PF };
static const char *const pf_names[N_PF] = {"name", "type",     "value",       "default", "min",
                                           "max",  "unit",     "category",    "description", "source"};
static const char *const ptype_names[TYNDAU_N_PT] = {"real", "integer", "date"};

typedef struct {
    const char *f[N_PF];
} param_row;
typedef struct {
    char v[4][48]; /* value, default, min, max */
} param_text;

static void write_parameters(writer *w, hid_t file, const tyndau_params *p)
{
    const char *where = "/parameters";
    hid_t g = open_group(w, file, where,
                         "Every model parameter: one scalar attribute each (REAL double, INT int32, "
                         "DATE YYYY-MM-DD string), and the full table with bounds and sources.");
    if (g < 0) return;
    for (size_t i = 0; i < tyndau_n_params; i++) {
        const tyndau_param_info *in = &tyndau_param_table[i];
        double v = tyndau_params_get(p, i);
        char date[16];
        switch (in->type) {
        case TYNDAU_PT_REAL: put_f64(w, g, where, in->name, v); break;
        case TYNDAU_PT_INT: put_int(w, g, where, in->name, (int)v); break;
        default:
            tyndau_date_format((int)v, date, sizeof date);
            put_str(w, g, where, in->name, date);
            break;
        }
    }

    size_t n = tyndau_n_params;
    param_row *rows = tyndau_calloc(n, sizeof *rows);
    param_text *text = tyndau_calloc(n, sizeof *text);
    hid_t t = -1;
    if (rows == NULL || text == NULL) out_of_memory(w, "/parameters/table");
    if (w->st == TYNDAU_OK) {
        for (size_t i = 0; i < n; i++) {
            const tyndau_param_info *in = &tyndau_param_table[i];
            tyndau_params_format(p, i, text[i].v[0], sizeof text[i].v[0]);
            format_value(in->type, in->def, text[i].v[1], sizeof text[i].v[1]);
            format_value(in->type, in->min, text[i].v[2], sizeof text[i].v[2]);
            format_value(in->type, in->max, text[i].v[3], sizeof text[i].v[3]);
            rows[i].f[PF_NAME] = in->name;
            rows[i].f[PF_TYPE] = ptype_names[in->type];
            for (int k = 0; k < 4; k++) rows[i].f[PF_VALUE + k] = text[i].v[k];
            rows[i].f[PF_UNIT] = text_or_empty(in->unit);
            rows[i].f[PF_CATEGORY] = text_or_empty(in->category);
            rows[i].f[PF_DESCRIPTION] = text_or_empty(in->description);
            rows[i].f[PF_SOURCE] = text_or_empty(in->source);
        }
        t = H5Tcreate(H5T_COMPOUND, sizeof(param_row));
        if (!check(w, t, "/parameters/table", NULL))
            for (int k = 0; k < N_PF; k++) {
                size_t off = offsetof(param_row, f) + (size_t)k * sizeof(const char *);
                check(w, H5Tinsert(t, pf_names[k], off, w->str), "/parameters/table", NULL);
            }
    }
    write_dataset(w, g, where,
                  &(dspec){.name = "table",
                           .k = K_TYPE,
                           .type = t,
                           .rank = 1,
                           .dims = {n},
                           .data = rows,
                           .description = "One row per parameter, in params.def order: name, type (real, "
                                          "integer, date), value as used in this run, default, min, max "
                                          "(text in the form the scenario reader accepts), unit, category, "
                                          "description, source.",
                           .units = "none (see the unit column)",
                           .axes = "parameter"});
    if (t >= 0) check(w, H5Tclose(t), "/parameters/table", NULL);
    free(rows);
    free(text);

    /* dated changes: three parallel string arrays (possibly empty) */
    size_t nc = (size_t)p->n_changes;
    char (*buf)[2][40] = tyndau_calloc(nc ? nc : 1, sizeof *buf);
    const char **cd = tyndau_calloc(nc ? nc : 1, sizeof *cd), **cp = tyndau_calloc(nc ? nc : 1, sizeof *cp);
    const char **cv = tyndau_calloc(nc ? nc : 1, sizeof *cv);
    if (buf == NULL || cd == NULL || cp == NULL || cv == NULL) out_of_memory(w, "/parameters/change_*");
    if (w->st == TYNDAU_OK) {
        tyndau_params q = *p;
        for (size_t k = 0; k < nc; k++) {
            const tyndau_change *c = &p->changes[k];
            tyndau_date_format(c->date, buf[k][0], sizeof buf[k][0]);
            tyndau_params_put(&q, (size_t)c->param, c->value);
            tyndau_params_format(&q, (size_t)c->param, buf[k][1], sizeof buf[k][1]);
            cd[k] = buf[k][0];
            cp[k] = tyndau_param_table[c->param].name;
            cv[k] = buf[k][1];
        }
        const char *names[3] = {"change_date", "change_parameter", "change_value"};
        const char **cols[3] = {cd, cp, cv};
        const char *desc[3] = {"Dated changes: the day (YYYY-MM-DD) from which the parameter takes the value; "
                               "the attributes and the table hold the values on start_date.",
                               "Dated changes: the parameter's name.",
                               "Dated changes: the new value, as text in the form the scenario reader accepts."};
        for (int k = 0; k < 3; k++)
            write_dataset(w, g, where,
                          &(dspec){.name = names[k],
                                   .k = K_STR,
                                   .rank = 1,
                                   .dims = {nc},
                                   .data = cols[k],
                                   .description = desc[k],
                                   .units = "none",
                                   .axes = "change"});
    }
    free(buf), free(cd), free(cp), free(cv);
    close_group(w, g, where);
}

static void write_scenario(writer *w, hid_t file, const tyndau_meta *meta)
{
    const char *where = "/scenario";
    hid_t g = open_group(w, file, where, "The scenario the run was configured with, verbatim.");
    if (g < 0) return;
    put_str(w, g, where, "name", meta != NULL ? meta->scenario_name : NULL);
    put_str(w, g, where, "source", meta != NULL ? meta->scenario_source : NULL);
    const char *text = meta != NULL ? text_or_empty(meta->scenario_text) : "";
    write_dataset(w, g, where,
                  &(dspec){.name = "text",
                           .k = K_STR,
                           .rank = 0,
                           .data = &text,
                           .description = "The scenario file's text, verbatim (empty if none was given).",
                           .units = "none"});
    size_t n = meta != NULL && meta->overrides != NULL ? meta->n_overrides : 0;
    const char **ov = tyndau_calloc(n, sizeof *ov);
    if (ov == NULL) out_of_memory(w, "/scenario/overrides");
    for (size_t i = 0; ov != NULL && i < n; i++) ov[i] = text_or_empty(meta->overrides[i]);
    write_dataset(w, g, where,
                  &(dspec){.name = "overrides",
                           .k = K_STR,
                           .rank = 1,
                           .dims = {n},
                           .data = ov,
                           .description = "Parameter overrides given on the command line (KEY=VALUE), "
                                          "applied after the scenario, in order.",
                           .units = "none",
                           .axes = "override"});
    free(ov);
    /* inherited files (base = ...), outermost first */
    size_t nb = meta != NULL && meta->base_sources != NULL && meta->base_texts != NULL ? meta->n_bases : 0;
    const char **bs = tyndau_calloc(nb ? nb : 1, sizeof *bs), **bt = tyndau_calloc(nb ? nb : 1, sizeof *bt);
    if (bs == NULL || bt == NULL) out_of_memory(w, "/scenario/base_*");
    for (size_t i = 0; bs != NULL && bt != NULL && i < nb; i++) {
        bs[i] = text_or_empty(meta->base_sources[i]);
        bt[i] = text_or_empty(meta->base_texts[i]);
    }
    const char *names[2] = {"base_sources", "base_texts"}, **cols[2] = {bs, bt};
    const char *desc[2] = {"The files the scenario inherits from (base = ...), outermost first: each is applied "
                           "before the next and the scenario last.",
                           "The text of each inherited file, verbatim, in base_sources order."};
    for (int k = 0; k < 2 && bs != NULL && bt != NULL; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = names[k],
                               .k = K_STR,
                               .rank = 1,
                               .dims = {nb},
                               .data = cols[k],
                               .description = desc[k],
                               .units = "none",
                               .axes = "base"});
    free(bs), free(bt);
    close_group(w, g, where);
}

static void write_timeseries(writer *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/timeseries";
    hsize_t nd = m->n_days > 0 ? (hsize_t)m->n_days : 0, G = TYNDAU_N_GROUP;
    if (nd > 0 && (m->s_problems == NULL || m->s_choices == NULL || m->s_outcomes == NULL || m->s_state == NULL ||
                   m->s_decided == NULL)) {
        if (w->st == TYNDAU_OK)
            w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /timeseries: the model has no series",
                               w->path);
        return;
    }
    hid_t g = open_group(w, file, where,
                         "Daily counts by population group, in agents: multiply by the attribute scale "
                         "for adults nationally.  Day 0 is start_date.");
    if (g < 0) return;
    char start[16];
    tyndau_date_format(m->p.start_date, start, sizeof start);
    put_f64(w, g, where, "scale", m->scale);
    put_str(w, g, where, "start_date", start);

    char(*dbuf)[16] = tyndau_calloc((size_t)nd, sizeof *dbuf);
    const char **dates = tyndau_calloc((size_t)nd, sizeof *dates);
    int32_t *day = tyndau_calloc((size_t)nd, sizeof *day);
    if (dbuf == NULL || dates == NULL || day == NULL) out_of_memory(w, "/timeseries/date");
    for (size_t d = 0; w->st == TYNDAU_OK && d < nd; d++) {
        tyndau_date_format(m->p.start_date + (int)d, dbuf[d], sizeof dbuf[d]);
        dates[d] = dbuf[d];
        day[d] = (int32_t)d;
    }
    write_dataset(w, g, where,
                  &(dspec){.name = "date", .k = K_STR, .rank = 1, .dims = {nd}, .data = dates,
                           .description = "Calendar date of each simulated day.", .units = "YYYY-MM-DD",
                           .axes = "day"});
    write_dataset(w, g, where,
                  &(dspec){.name = "day", .k = K_I32, .rank = 1, .dims = {nd}, .data = day,
                           .description = "Day index, 0 = start_date.", .units = "days since start_date",
                           .axes = "day"});
    write_dataset(w, g, where,
                  &(dspec){.name = "problems", .k = K_I64, .rank = 3, .dims = {nd, G, N_DOMAIN},
                           .data = m->s_problems,
                           .description = "Problems that arose that day, by policy domain.",
                           .units = "agents", .axes = "day,group,domain"});
    write_dataset(w, g, where,
                  &(dspec){.name = "choices", .k = K_I64, .rank = 3, .dims = {nd, G, N_CHANNEL},
                           .data = m->s_choices,
                           .description = "What citizens with a problem chose that day: stay silent or "
                                          "appeal through a channel.",
                           .units = "agents", .axes = "day,group,channel"});
    write_dataset(w, g, where,
                  &(dspec){.name = "outcomes", .k = K_I64, .rank = 3, .dims = {nd, G, N_OUTCOME},
                           .data = m->s_outcomes,
                           .description = "Appeals that reached an outcome that day, by outcome.",
                           .units = "agents", .axes = "day,group,outcome"});
    write_dataset(w, g, where,
                  &(dspec){.name = "decided", .k = K_I64, .rank = 4, .dims = {nd, N_LEVEL, N_CHANNEL, N_OUTCOME},
                           .data = m->s_decided,
                           .description = "Cases decided by offices that day (the outcome sent to the complainant), "
                                          "by the office's level, the channel the case came through and the "
                                          "outcome.  Summed over level and channel it is the group 'all' of "
                                          "outcomes.",
                           .units = "agents", .axes = "day,level,channel,outcome"});
    write_dataset(w, g, where,
                  &(dspec){.name = "state", .k = K_I64, .rank = 3, .dims = {nd, G, N_STATE_SERIES},
                           .data = m->s_state,
                           .description = "Citizens in each state at the end of the day: concept awareness, "
                                          "platform awareness, belief that central / local government pays "
                                          "attention.  Each of the four blocks sums to the group size.",
                           .units = "agents", .axes = "day,group,state"});
    free(dbuf);
    free(dates);
    free(day);
    close_group(w, g, where);
}

static void write_distributions(writer *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/distributions";
    const hsize_t G = TYNDAU_N_GROUP;
    hid_t g = open_group(w, file, where,
                         "Distributions over the whole run, in agents (multiply by the attribute scale "
                         "for adults nationally).");
    if (g < 0) return;
    put_f64(w, g, where, "scale", m->scale);
    put_u64(w, g, where, "retries", (uint64_t)m->retries);
    put_u64(w, g, where, "escalated", (uint64_t)m->escalated);
    put_u64(w, g, where, "told", (uint64_t)m->told);
    put_u64(w, g, where, "messages", (uint64_t)m->messages);
    put_int(w, g, where, "anchor_year", TYNDAU_ANCHOR_YEAR);

    /* Beliefs at the end of the run: the central and local blocks of the last day's state row. */
    int64_t beliefs[TYNDAU_N_GROUP][N_LEVEL][N_BELIEF];
    for (int gr = 0; gr < TYNDAU_N_GROUP; gr++) {
        const int64_t *row = m->n_days > 0 && m->s_state != NULL
                                 ? m->s_state + ((size_t)(m->n_days - 1) * TYNDAU_N_GROUP + (size_t)gr) *
                                                    N_STATE_SERIES
                                 : m->s_state0[gr];
        for (int l = 0; l < N_LEVEL; l++)
            for (int b = 0; b < N_BELIEF; b++) beliefs[gr][l][b] = row[N_CONCEPT + N_PLATFORM + l * N_BELIEF + b];
    }
    write_dataset(w, g, where,
                  &(dspec){.name = "time_to_answer", .k = K_I64, .rank = 2, .dims = {N_CHANNEL, TYNDAU_WAIT_MAX},
                           .data = m->wait_hist,
                           .description = "Appeals processed, by channel and days from submission to "
                                          "processing (bin d = d days; the last bin is open-ended).",
                           .units = "agents", .axes = "channel,wait_days"});
    write_dataset(w, g, where,
                  &(dspec){.name = "time_to_answer_by_group", .k = K_I64, .rank = 2,
                           .dims = {TYNDAU_N_GROUP, TYNDAU_WAIT_MAX}, .data = m->wait_group_hist,
                           .description = "Appeals processed, by the complainant's group and days from "
                                          "submission to processing (bin d = d days; the last bin is open-ended).",
                           .units = "agents", .axes = "group,wait_days"});
    write_dataset(w, g, where,
                  &(dspec){.name = "time_to_resolution", .k = K_I64, .rank = 2, .dims = {N_CHANNEL, TYNDAU_WAIT_MAX},
                           .data = m->resolve_wait_hist,
                           .description = "Appeals resolved (outcomes resolved and bribe_paid), by channel and days "
                                          "from submission to resolution (bin d = d days; the last bin is open-ended).",
                           .units = "agents", .axes = "channel,wait_days"});
    write_dataset(w, g, where,
                  &(dspec){.name = "outcome_by_group_channel", .k = K_I64, .rank = 3,
                           .dims = {TYNDAU_N_GROUP, N_CHANNEL, N_OUTCOME}, .data = m->outcome_group_channel,
                           .description = "Appeals that reached an outcome, by the complainant's group, channel and "
                                          "outcome: resolution rates and the responsiveness gap by group and channel.",
                           .units = "agents", .axes = "group,channel,outcome"});
    write_dataset(w, g, where,
                  &(dspec){.name = "answer_working_days", .k = K_I64, .rank = 3,
                           .dims = {N_CHANNEL, N_OUTCOME, TYNDAU_ANSWER_WD_MAX}, .data = m->answer_wd,
                           .description = "Cases decided, by channel, outcome and working days (Monday to Friday) "
                                          "from filing to the decision (bin k = k working days; the last bin "
                                          "is open-ended).  Deadlines are counted in these days.",
                           .units = "agents", .axes = "channel,outcome,working_days"});
    write_dataset(w, g, where,
                  &(dspec){.name = "answer_working_days_anchor_year", .k = K_I64, .rank = 2,
                           .dims = {N_CHANNEL, TYNDAU_ANSWER_WD_MAX}, .data = m->answer_wd_year,
                           .description = "The same for the cases decided in the anchor year (attribute "
                                          "anchor_year), all outcomes.",
                           .units = "agents", .axes = "channel,working_days"});
    write_dataset(w, g, where,
                  &(dspec){.name = "decisions", .k = K_I64, .rank = 2, .dims = {N_CHANNEL, N_DECISION},
                           .data = m->decisions,
                           .description = "Cases decided, by channel and by how they met their deadline: "
                                          "on_time, extended (answered within the extended deadline), rescued "
                                          "(not prepared: a formal answer on the deadline day under monitoring), "
                                          "late (not answered by the deadline), lapsed (let lapse, reported at "
                                          "the deadline), informal (no deadline).",
                           .units = "agents", .axes = "channel,decision"});
    write_dataset(w, g, where,
                  &(dspec){.name = "decisions_anchor_year", .k = K_I64, .rank = 2, .dims = {N_CHANNEL, N_DECISION},
                           .data = m->decisions_year,
                           .description = "The same for the cases decided in the anchor year.",
                           .units = "agents", .axes = "channel,decision"});
    write_dataset(w, g, where,
                  &(dspec){.name = "outcome_by_channel", .k = K_I64, .rank = 2, .dims = {N_CHANNEL, N_OUTCOME},
                           .data = m->outcome_channel,
                           .description = "Appeals that reached an outcome, by channel and outcome.",
                           .units = "agents", .axes = "channel,outcome"});
    write_dataset(w, g, where,
                  &(dspec){.name = "appeals_per_citizen", .k = K_I64, .rank = 1, .dims = {TYNDAU_COUNT_MAX},
                           .data = m->appeals_hist,
                           .description = "Citizens by number of appeals made during the run (bin k = k "
                                          "appeals; the last bin is open-ended).",
                           .units = "agents", .axes = "count"});
    write_dataset(w, g, where,
                  &(dspec){.name = "bribes_per_citizen", .k = K_I64, .rank = 1, .dims = {TYNDAU_COUNT_MAX},
                           .data = m->bribes_hist,
                           .description = "Citizens by number of bribes paid during the run (bin k = k "
                                          "bribes; the last bin is open-ended).",
                           .units = "agents", .axes = "count"});
    write_dataset(w, g, where,
                  &(dspec){.name = "beliefs_by_group", .k = K_I64, .rank = 3, .dims = {G, N_LEVEL, N_BELIEF},
                           .data = beliefs,
                           .description = "Citizens at the end of the last day by belief that the level of "
                                          "government pays attention (from /timeseries/state).",
                           .units = "agents", .axes = "group,level,belief"});
    write_dataset(w, g, where,
                  &(dspec){.name = "group_size", .k = K_I64, .rank = 1, .dims = {G}, .data = m->group_size,
                           .description = "Citizens in each population group.", .units = "agents",
                           .axes = "group"});
    close_group(w, g, where);
}

static void write_offices(writer *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/offices";
    size_t no = m->n_offices > 0 ? (size_t)m->n_offices : 0;
    hid_t g = open_group(w, file, where,
                         "One entry per state office (appeal handler) of the model, with its "
                         "statistics over the run.");
    if (g < 0) return;
    enum { B_LEVEL, B_DOMAIN, B_REGION, N_B };                                             /* int8 */
    enum { D_STAFF, D_CAPACITY, D_WAIT, D_CORR, D_RESIST, D_FAV, D_SENS, D_VIS, N_D };    /* double */
    enum { U_RECEIVED, U_PROCESSED, U_MAXQ, U_ESCALATED, U_EXTENDED, U_PENDING, N_U };     /* uint64 */
    int8_t *b = tyndau_calloc(no * N_B, sizeof *b);
    double *d = tyndau_calloc(no * N_D, sizeof *d);
    uint64_t *u = tyndau_calloc(no * (N_U + N_OUTCOME + N_DECISION), sizeof *u);
    int32_t *nbur = tyndau_calloc(no, sizeof *nbur);
    if (b == NULL || d == NULL || u == NULL || nbur == NULL) out_of_memory(w, where);
    if (no > 0 && m->office == NULL && w->st == TYNDAU_OK)
        w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /offices: the model has no offices", w->path);
    uint64_t *outc = u + no * N_U;                /* [office][outcome] */
    uint64_t *decs = outc + no * N_OUTCOME;       /* [office][decision] */
    for (size_t i = 0; w->st == TYNDAU_OK && i < no; i++) {
        const tyndau_office *o = &m->office[i];
        b[B_LEVEL * no + i] = (int8_t)o->level;
        b[B_DOMAIN * no + i] = (int8_t)o->domain;
        b[B_REGION * no + i] = (int8_t)o->region;
        d[D_STAFF * no + i] = o->staff;
        d[D_CAPACITY * no + i] = o->capacity;
        d[D_WAIT * no + i] = o->processed > 0 ? (double)o->wait_sum / (double)o->processed : NAN;
        double sum[4] = {0, 0, 0, 0};
        for (int k = 0; k < o->n_bureaucrats; k++) {
            sum[0] += o->bur[k].corruption;
            sum[1] += o->bur[k].resistance;
            sum[2] += o->bur[k].favouritism;
            sum[3] += o->bur[k].sensitivity;
        }
        for (int k = 0; k < 4; k++)
            d[(size_t)(D_CORR + k) * no + i] = o->n_bureaucrats > 0 ? sum[k] / o->n_bureaucrats : NAN;
        nbur[i] = o->n_bureaucrats;
        u[U_RECEIVED * no + i] = o->received;
        u[U_PROCESSED * no + i] = o->processed;
        u[U_MAXQ * no + i] = o->max_queue;
        u[U_ESCALATED * no + i] = o->escalated;
        u[U_EXTENDED * no + i] = o->extended;
        u[U_PENDING * no + i] = tyndau_office_pending(o);
        d[D_VIS * no + i] = o->vis_n > 0.0 ? o->vis_sum / o->vis_n : NAN;
        for (int k = 0; k < N_OUTCOME; k++) outc[i * N_OUTCOME + (size_t)k] = o->by_outcome[k];
        for (int k = 0; k < N_DECISION; k++) decs[i * N_DECISION + (size_t)k] = o->by_decision[k];
    }
    static const struct {
        const char *name, *description, *units;
    } dd[N_D] = {
        {"staff", "Appeal handlers the office stands for, at national scale.", "persons"},
        {"capacity", "Cases the office can process per working day, at the model's scale.",
         "agents per working day"},
        {"mean_wait_days", "Mean days from submission to processing of the appeals it processed (NaN if none).",
         "days"},
        {"corruption_mean", "Mean corruption of the office's bureaucrats.", "probability"},
        {"resistance_mean", "Mean resistance of the office's bureaucrats.", "probability"},
        {"favouritism_mean", "Mean favouritism of the office's bureaucrats.", "probability"},
        {"sensitivity_mean", "Mean sensitivity of the office's bureaucrats.", "probability"},
        {"visibility_mean", "The office's running mean visibility of the cases it registered, at the end "
                            "(favour_window; favouritism moves effort relative to it); NaN if none.",
         "visibility"},
    };
    write_dataset(w, g, where,
                  &(dspec){.name = "level", .k = K_I8, .rank = 1, .dims = {no}, .data = b + B_LEVEL * no,
                           .description = "Level of government.", .units = "code", .axes = "office",
                           .value_codes = AX_LEVEL});
    write_dataset(w, g, where,
                  &(dspec){.name = "domain", .k = K_I8, .rank = 1, .dims = {no}, .data = b + B_DOMAIN * no,
                           .description = "Policy domain handled; -1 = the President's office (all domains).",
                           .units = "code", .axes = "office", .value_codes = AX_DOMAIN});
    write_dataset(w, g, where,
                  &(dspec){.name = "region", .k = K_I8, .rank = 1, .dims = {no}, .data = b + B_REGION * no,
                           .description = "Region of a local office; -1 = central.", .units = "code",
                           .axes = "office", .value_codes = AX_REGION});
    for (int k = 0; k < N_D; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = dd[k].name, .k = K_F64, .rank = 1, .dims = {no}, .data = d + (size_t)k * no,
                               .description = dd[k].description, .units = dd[k].units, .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "bureaucrats", .k = K_I32, .rank = 1, .dims = {no}, .data = nbur,
                           .description = "Bureaucrat agents in the office.", .units = "agents", .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "received", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_RECEIVED * no,
                           .description = "Appeals received during the run.", .units = "agents",
                           .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "processed", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_PROCESSED * no,
                           .description = "Appeals processed during the run.", .units = "agents",
                           .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "max_queue", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_MAXQ * no,
                           .description = "Most prepared cases waiting for capacity at once during the run.",
                           .units = "agents", .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "extended", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_EXTENDED * no,
                           .description = "Cases whose deadline was extended (their preparation outlasted it), "
                                          "answered in time or not.",
                           .units = "agents", .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "pending", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_PENDING * no,
                           .description = "Cases held at the end of the run: received, in preparation or waiting "
                                          "for capacity.",
                           .units = "agents", .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "decisions", .k = K_U64, .rank = 2, .dims = {no, N_DECISION}, .data = decs,
                           .description = "Cases decided, by how they met their deadline (see "
                                          "/distributions/decisions).",
                           .units = "agents", .axes = "office,decision"});
    write_dataset(w, g, where,
                  &(dspec){.name = "escalated", .k = K_U64, .rank = 1, .dims = {no}, .data = u + U_ESCALATED * no,
                           .description = "Social-media complaints it left unresolved that were passed to the "
                                          "ministry of their domain (counted there again when processed).",
                           .units = "agents", .axes = "office"});
    write_dataset(w, g, where,
                  &(dspec){.name = "outcomes", .k = K_U64, .rank = 2, .dims = {no, N_OUTCOME}, .data = outc,
                           .description = "Appeals processed, by outcome.", .units = "agents",
                           .axes = "office,outcome"});
    free(b);
    free(d);
    free(u);
    free(nbur);
    close_group(w, g, where);
}

static void write_anchors(writer *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/anchors";
    tyndau_anchor a[TYNDAU_N_ANCHOR_MAX];
    size_t n = tyndau_model_anchors(m, a);
    hid_t g = open_group(w, file, where,
                         "The secondary anchors: figures reported outside the survey beside the model's "
                         "values (outputs, not fitted; docs/ODD.md 7.12).  One row per anchor.");
    if (g < 0) return;
    put_int(w, g, where, "anchor_year", TYNDAU_ANCHOR_YEAR);
    enum { A_NAME, A_DEF, A_UNIT, A_TEXT, A_SOURCE, N_AS };
    enum { A_VALUE, A_REPORTED, N_AD };
    enum { A_YEAR, A_RYEAR, A_COMPLETE, N_AI };
    const char **sv = tyndau_calloc(N_AS * (n ? n : 1), sizeof *sv);
    double *dv = tyndau_calloc(N_AD * (n ? n : 1), sizeof *dv);
    int32_t *iv = tyndau_calloc(N_AI * (n ? n : 1), sizeof *iv);
    if (sv == NULL || dv == NULL || iv == NULL) out_of_memory(w, where);
    for (size_t i = 0; w->st == TYNDAU_OK && i < n; i++) {
        sv[A_NAME * n + i] = a[i].name;
        sv[A_DEF * n + i] = a[i].definition;
        sv[A_UNIT * n + i] = a[i].unit;
        sv[A_TEXT * n + i] = a[i].reported_text;
        sv[A_SOURCE * n + i] = a[i].source;
        dv[A_VALUE * n + i] = a[i].value;
        dv[A_REPORTED * n + i] = a[i].reported;
        iv[A_YEAR * n + i] = a[i].year;
        iv[A_RYEAR * n + i] = a[i].reported_year;
        iv[A_COMPLETE * n + i] = a[i].complete;
    }
    static const struct {
        const char *name, *description, *units;
    } sd[N_AS] = {{"name", "Anchor.", "none"},
                  {"definition", "What the model counts.", "none"},
                  {"unit", "Unit of value and reported.", "none"},
                  {"reported_text", "The reported figure as reported (empty where none).", "none"},
                  {"source", "Where the figure was reported, with the facts file's confidence (empty where none).",
                   "none"}},
      dd[N_AD] = {{"value", "The model's value (NaN where its denominator is zero); national counts are agents "
                            "times scale.", "see unit"},
                  {"reported", "The reported figure (NaN where none).", "see unit"}},
      id[N_AI] = {{"year", "Year of the model's value.", "year"},
                  {"reported_year", "Year of the reported figure (0 where none).", "year"},
                  {"complete", "1 if the run covers the whole year, 0 if the value covers part of it.", "none"}};
    for (int k = 0; k < N_AS; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = sd[k].name, .k = K_STR, .rank = 1, .dims = {n}, .data = sv + (size_t)k * n,
                               .description = sd[k].description, .units = sd[k].units, .axes = "anchor"});
    for (int k = 0; k < N_AD; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = dd[k].name, .k = K_F64, .rank = 1, .dims = {n}, .data = dv + (size_t)k * n,
                               .description = dd[k].description, .units = dd[k].units, .axes = "anchor"});
    for (int k = 0; k < N_AI; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = id[k].name, .k = K_I32, .rank = 1, .dims = {n}, .data = iv + (size_t)k * n,
                               .description = id[k].description, .units = id[k].units, .axes = "anchor"});
    free(sv);
    free(dv);
    free(iv);
    close_group(w, g, where);
}

static void write_survey(writer *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/survey";
    size_t n = m->survey != NULL ? m->n_survey : 0;
    hid_t g = open_group(w, file, where,
                         "The virtual survey at survey_date beside the published figures.  One row per "
                         "(question, group, response, sample): question, base (who was asked), group_type "
                         "and group (population subgroup), response, sample (quota: a simulated sample like "
                         "the survey's quota sample; population: every agent), simulated (percent), "
                         "observed (published percent, NaN if unpublished), lo95 and hi95 (observed's 95% "
                         "Wilson interval, NaN if unpublished), n_base (estimated respondents behind "
                         "observed), inside (1 if simulated lies in [lo95, hi95], 0 if not, -1 if "
                         "unpublished).");
    if (g < 0) return;
    enum { S_QUESTION, S_BASE, S_GTYPE, S_GROUP, S_RESPONSE, S_SAMPLE, N_S };
    enum { V_SIM, V_OBS, V_LO, V_HI, V_NBASE, N_V };
    const char **s = tyndau_calloc(n * N_S, sizeof *s);
    double *v = tyndau_calloc(n * N_V, sizeof *v);
    int8_t *inside = tyndau_calloc(n, sizeof *inside);
    if (s == NULL || v == NULL || inside == NULL) out_of_memory(w, where);
    int n_pub = 0, n_in_pop = 0, n_in_quota = 0;
    for (size_t i = 0; w->st == TYNDAU_OK && i < n; i++) {
        const tyndau_survey_row *r = &m->survey[i];
        if (r->group < 0 || r->group >= TYNDAU_N_GROUP) {
            w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /survey: row %zu has group %d",
                               w->path, i, r->group);
            break;
        }
        s[S_QUESTION * n + i] = text_or_empty(r->question);
        s[S_BASE * n + i] = text_or_empty(r->base);
        s[S_GTYPE * n + i] = tyndau_gtype_names[tyndau_group_type(r->group)];
        s[S_GROUP * n + i] = tyndau_group_name(r->group);
        s[S_RESPONSE * n + i] = text_or_empty(r->response);
        s[S_SAMPLE * n + i] = r->quota ? "quota" : "population";
        v[V_SIM * n + i] = r->simulated;
        v[V_OBS * n + i] = r->observed;
        v[V_LO * n + i] = r->lo95;
        v[V_HI * n + i] = r->hi95;
        v[V_NBASE * n + i] = r->n_base;
        inside[i] = (int8_t)(r->inside > 0 ? 1 : r->inside == 0 ? 0 : -1);
        if (!r->quota && r->inside >= 0) n_pub++;
        if (r->inside > 0 && r->quota) n_in_quota++;
        if (r->inside > 0 && !r->quota) n_in_pop++;
    }
    static const char *const sname[N_S] = {"question", "base", "group_type", "group", "response", "sample"};
    static const char *const sdesc[N_S] = {
        "Survey question (as in data/survey_2021/marginals.csv).",
        "Who was asked the question (all, or those aware of the concept, ...).",
        "Type of the population subgroup.",
        "Population subgroup.",
        "Response option.",
        "quota: a simulated sample drawn like the survey's quota sample; population: every agent."};
    static const struct {
        const char *name, *description, *units;
    } vd[N_V] = {
        {"simulated", "Simulated share giving the response, among the base in the group.", "percent"},
        {"observed", "Published share (NaN where unpublished).", "percent"},
        {"lo95", "Lower bound of observed's 95% Wilson interval (NaN where unpublished).", "percent"},
        {"hi95", "Upper bound of observed's 95% Wilson interval (NaN where unpublished).", "percent"},
        {"n_base", "Estimated respondents behind the observed value.", "respondents"},
    };
    for (int k = 0; k < N_S; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = sname[k], .k = K_STR, .rank = 1, .dims = {n}, .data = s + (size_t)k * n,
                               .description = sdesc[k], .units = "none", .axes = "row"});
    for (int k = 0; k < N_V; k++)
        write_dataset(w, g, where,
                      &(dspec){.name = vd[k].name, .k = K_F64, .rank = 1, .dims = {n}, .data = v + (size_t)k * n,
                               .description = vd[k].description, .units = vd[k].units, .axes = "row"});
    write_dataset(w, g, where,
                  &(dspec){.name = "inside", .k = K_I8, .rank = 1, .dims = {n}, .data = inside,
                           .description = "1 if simulated lies in [lo95, hi95], 0 if not, -1 if unpublished.",
                           .units = "none", .axes = "row"});
    put_int(w, g, where, "n_published", n_pub);
    put_int(w, g, where, "n_inside_population", n_in_pop);
    put_int(w, g, where, "n_inside_quota", n_in_quota);
    put_str(w, g, where, "citation", CITATION);
    free(s);
    free(v);
    free(inside);
    close_group(w, g, where);
}

tyndau_status tyndau_model_write(const tyndau_model *m, const char *path, const tyndau_meta *meta,
                                 tyndau_error *err)
{
    if (m == NULL || path == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_model_write: no model or no path");
    size_t len = strlen(path);
    char *tmp = malloc(len + sizeof ".tmp-XXXXXX");
    if (tmp == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(e));
    }
    /* mkstemp creates the file 0600; give the result the permissions any other output
     * would get.  umask can only be read by setting it, so set it straight back. */
    mode_t mask = umask(0);
    umask(mask);
    int fail = fchmod(fd, (mode_t)(0666 & ~mask)) != 0;
    int e = errno;
    if (close(fd) != 0 && !fail) fail = 1, e = errno;
    if (fail) {
        unlink(tmp);
        free(tmp);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(e));
    }

    h5_quiet q;
    quiet_on(&q);
    writer w;
    writer_init(&w, path, err);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (!check(&w, fapl, "the file", NULL)) {
        /* SEMI: H5Fclose fails if anything is still open, instead of silently keeping the file alive. */
        check(&w, H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "the file", NULL);
        hid_t file = w.st == TYNDAU_OK ? H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
        if (w.st == TYNDAU_OK && !check(&w, file, "the file", NULL)) {
            write_root(&w, file, m, meta);
            write_parameters(&w, file, &m->p0);
            write_scenario(&w, file, meta);
            write_timeseries(&w, file, m);
            write_distributions(&w, file, m);
            write_offices(&w, file, m);
            write_anchors(&w, file, m);
            write_survey(&w, file, m);
            check(&w, H5Fclose(file), "the file", NULL);
        }
        check(&w, H5Pclose(fapl), "the file", NULL);
    }
    writer_free(&w);
    if (quiet_off(&q) < 0 && w.st == TYNDAU_OK)
        w.st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot restore HDF5 error reporting", path);

    if (w.st == TYNDAU_OK) {
        /* Data on disk before the name: after a crash `path` is the old file or the whole new one. */
        int rfd = open(tmp, O_RDONLY);
        if (rfd < 0 || fsync(rfd) != 0 || rename(tmp, path) != 0) {
            e = errno;
            w.st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", path, strerror(e));
        }
        if (rfd >= 0) close(rfd);
    }
    if (w.st != TYNDAU_OK) unlink(tmp);
    free(tmp);
    return w.st;
}

/* ------------------------------------------------------------------------ */
/* Reader: /survey                                                          */

enum { S_QUESTION, S_BASE, S_GTYPE, S_GROUP, S_RESPONSE, S_SAMPLE, N_SCOL };
enum { V_SIM, V_OBS, V_LO, V_HI, N_VCOL };
static const char *const scol_names[N_SCOL] = {"question", "base", "group_type", "group", "response", "sample"};
static const char *const vcol_names[N_VCOL] = {"simulated", "observed", "lo95", "hi95"};

typedef struct {
    const char *path;
    tyndau_error *err;
    tyndau_status st;
    size_t n; /* rows; set by the first column read */
    int have_n;
    char **s[N_SCOL];
    double *v[N_VCOL];
    int *inside;
    char *citation;
} reader;

/* A problem with the file (not with tyndau): TYNDAU_EINPUT, first one wins. */
static void bad_file(reader *r, const char *what, int h5)
{
    char why[DETAIL_LEN] = "";
    if (h5) h5_reason(why, sizeof why);
    if (r->st != TYNDAU_OK) return;
    if (h5)
        r->st = TYNDAU_ERR(r->err, TYNDAU_EINPUT, "%s: %s (HDF5: %s)", r->path, what, why);
    else
        r->st = TYNDAU_ERR(r->err, TYNDAU_EINPUT, "%s: %s", r->path, what);
}

static void reader_oom(reader *r)
{
    if (r->st == TYNDAU_OK) r->st = TYNDAU_ERR(r->err, TYNDAU_EINTERNAL, "%s: out of memory", r->path);
}

static char *dup_n(const char *s, size_t max)
{
    size_t k = 0;
    if (s == NULL) s = "";
    while (k < max && s[k] != '\0') k++;
    char *c = malloc(k + 1);
    if (c != NULL) {
        memcpy(c, s, k);
        c[k] = '\0';
    }
    return c;
}

/* Read n strings stored in `type` (variable or fixed length) from an attribute
 * (attr >= 0) or a dataset (ds >= 0) into malloc'd copies in out[0..n-1]. */
static int read_strings(hid_t attr, hid_t ds, hid_t type, hid_t space, size_t n, char **out)
{
    htri_t var = H5Tis_variable_str(type);
    if (var < 0) return -1;
    size_t size = var ? sizeof(char *) : H5Tget_size(type);
    if (size == 0) return -1;
    char *buf = tyndau_calloc(n, size);
    if (buf == NULL) return -2;
    herr_t rc = n == 0      ? 0
                : attr >= 0 ? H5Aread(attr, type, buf)
                            : H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    int res = rc < 0 ? -1 : 0;
    for (size_t i = 0; res == 0 && i < n; i++) {
        out[i] = var ? dup_n(((char **)(void *)buf)[i], SIZE_MAX) : dup_n(buf + i * size, size);
        if (out[i] == NULL) res = -2;
    }
    if (var && rc >= 0 && n > 0) {
#if H5_VERSION_GE(1, 12, 0)
        if (H5Treclaim(type, space, H5P_DEFAULT, buf) < 0 && res == 0) res = -1;
#else
        if (H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf) < 0 && res == 0) res = -1;
#endif
    }
    free(buf);
    return res;
}

/* String attribute `name` of obj: a malloc'd copy, or NULL if absent (or on error, then r->st is set). */
static char *read_str_attr(reader *r, hid_t obj, const char *obj_name, const char *name)
{
    char what[128];
    snprintf(what, sizeof what, "cannot read attribute '%s' of %s", name, obj_name);
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0) bad_file(r, what, 1);
    if (ex <= 0) return NULL;
    char *value = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t type = a >= 0 ? H5Aget_type(a) : -1;
    hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    if (a < 0 || type < 0 || space < 0) {
        bad_file(r, what, 1);
    } else if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1) {
        snprintf(what, sizeof what, "attribute '%s' of %s is not a text", name, obj_name);
        bad_file(r, what, 0);
    } else {
        int rc = read_strings(a, -1, type, space, 1, &value);
        if (rc == -2) reader_oom(r);
        if (rc == -1) bad_file(r, what, 1);
    }
    if (space >= 0) H5Sclose(space); /* read-only handles: a failed close loses nothing */
    if (type >= 0) H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return value;
}

/* Read 1-D dataset /survey/name into r: column `si` of strings, `vi` of doubles, or inside (both < 0). */
static void read_column(reader *r, hid_t g, const char *name, int si, int vi)
{
    if (r->st != TYNDAU_OK) return;
    char what[128];
    htri_t ex = H5Lexists(g, name, H5P_DEFAULT);
    if (ex <= 0) {
        snprintf(what, sizeof what, "/survey has no dataset '%s'", name);
        bad_file(r, what, ex < 0);
        return;
    }
    snprintf(what, sizeof what, "cannot read /survey/%s", name);
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hid_t type = ds >= 0 ? H5Dget_type(ds) : -1;
    hsize_t dims[1] = {0};
    if (ds < 0 || space < 0 || type < 0) {
        bad_file(r, what, 1);
        goto done;
    }
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, dims, NULL) != 1) {
        snprintf(what, sizeof what, "/survey/%s is not one-dimensional", name);
        bad_file(r, what, 0);
        goto done;
    }
    if (r->have_n && (size_t)dims[0] != r->n) {
        snprintf(what, sizeof what, "/survey/%s has %llu rows, other columns %zu", name,
                 (unsigned long long)dims[0], r->n);
        bad_file(r, what, 0);
        goto done;
    }
    r->n = (size_t)dims[0];
    r->have_n = 1;
    H5T_class_t cls = H5Tget_class(type);
    if (si >= 0) {
        if (cls != H5T_STRING) {
            snprintf(what, sizeof what, "/survey/%s is not text", name);
            bad_file(r, what, 0);
            goto done;
        }
        r->s[si] = tyndau_calloc(r->n, sizeof(char *));
        if (r->s[si] == NULL) {
            reader_oom(r);
            goto done;
        }
        int rc = read_strings(-1, ds, type, space, r->n, r->s[si]);
        if (rc == -2) reader_oom(r);
        if (rc == -1) bad_file(r, what, 1);
    } else {
        if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
            snprintf(what, sizeof what, "/survey/%s is not numeric", name);
            bad_file(r, what, 0);
            goto done;
        }
        void *buf = vi >= 0 ? (void *)(r->v[vi] = tyndau_calloc(r->n, sizeof(double)))
                            : (void *)(r->inside = tyndau_calloc(r->n, sizeof(int)));
        if (buf == NULL) {
            reader_oom(r);
            goto done;
        }
        if (r->n > 0 &&
            H5Dread(ds, vi >= 0 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            bad_file(r, what, 1);
    }
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
}

/* Refuse files of another schema or another major version (see output.h). */
static void check_schema(reader *r, hid_t file)
{
    char *name = read_str_attr(r, file, "/", "schema_name");
    char *version = read_str_attr(r, file, "/", "schema_version");
    char what[256];
    if (r->st != TYNDAU_OK) {
    } else if (version == NULL) {
        bad_file(r, "no schema_version attribute: not a file written by 'tyndau run'", 0);
    } else if (name != NULL && strcmp(name, TYNDAU_SCHEMA_NAME) != 0) {
        snprintf(what, sizeof what, "schema '%.64s' is not '%s'", name, TYNDAU_SCHEMA_NAME);
        bad_file(r, what, 0);
    } else {
        char *end;
        errno = 0;
        long major = strtol(version, &end, 10);
        if (errno != 0 || end == version || (*end != '.' && *end != '\0') || major != TYNDAU_SCHEMA_MAJOR) {
            snprintf(what, sizeof what, "output schema version '%.32s' is not supported (this program reads %d.x)",
                     version, TYNDAU_SCHEMA_MAJOR);
            bad_file(r, what, 0);
        }
    }
    free(name);
    free(version);
}

static void read_survey(reader *r)
{
    htri_t is = H5Fis_hdf5(r->path);
    if (is <= 0) {
        bad_file(r, "not an HDF5 file", 0);
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    hid_t file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        bad_file(r, "cannot open as HDF5", 1);
        return;
    }
    check_schema(r, file);
    hid_t g = -1;
    if (r->st == TYNDAU_OK) {
        htri_t ex = H5Lexists(file, "survey", H5P_DEFAULT);
        g = ex > 0 ? H5Gopen2(file, "survey", H5P_DEFAULT) : -1;
        if (g < 0) bad_file(r, "no /survey group (was it written by 'tyndau run'?)", 0);
        H5Eclear2(H5E_DEFAULT);
    }
    for (int k = 0; k < N_SCOL; k++) read_column(r, g, scol_names[k], k, -1);
    for (int k = 0; k < N_VCOL; k++) read_column(r, g, vcol_names[k], -1, k);
    read_column(r, g, "inside", -1, -1);
    if (r->st == TYNDAU_OK) r->citation = read_str_attr(r, g, "/survey", "citation");
    if (g >= 0) H5Gclose(g);
    H5Fclose(file);
}

static void reader_free(reader *r)
{
    for (int k = 0; k < N_SCOL; k++) {
        for (size_t i = 0; r->s[k] != NULL && i < r->n; i++) free(r->s[k][i]);
        free(r->s[k]);
    }
    for (int k = 0; k < N_VCOL; k++) free(r->v[k]);
    free(r->inside);
    free(r->citation);
}

static int published(const reader *r, size_t i)
{
    return r->inside[i] >= 0 && isfinite(r->v[V_OBS][i]);
}

/* CSV field, quoted when it holds a separator, a quote or a line break. */
static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, double v)
{
    fputc(',', out);
    if (isfinite(v)) fprintf(out, "%.2f", v);
}

static void print_csv(const reader *r, FILE *out)
{
    fputs("question,base,group_type,group,response,sample,simulated,observed,lo95,hi95,inside\n", out);
    for (size_t i = 0; i < r->n; i++) {
        for (int k = 0; k < N_SCOL; k++) {
            if (k > 0) fputc(',', out);
            csv_field(out, r->s[k][i]);
        }
        csv_number(out, r->v[V_SIM][i]);
        if (published(r, i)) {
            for (int k = V_OBS; k <= V_HI; k++) csv_number(out, r->v[k][i]);
            fprintf(out, ",%d\n", r->inside[i] > 0);
        } else {
            fputs(",,,,\n", out);
        }
    }
}

static int width_of(const reader *r, int col, int min)
{
    int w = min;
    for (size_t i = 0; i < r->n; i++) {
        size_t k = strlen(r->s[col][i]);
        if (k > (size_t)w) w = k > 60 ? 60 : (int)k;
    }
    return w;
}

/* Returns -1 when out of memory. */
static int print_table(const reader *r, FILE *out, int published_only)
{
    if (r->n == 0) {
        fprintf(out, "%s: no survey rows (the survey did not run)\n", r->path);
        return 0;
    }
    int wt = width_of(r, S_GTYPE, 10), wg = width_of(r, S_GROUP, 5), wr = width_of(r, S_RESPONSE, 8),
        ws = width_of(r, S_SAMPLE, 6);
    if (published_only)
        fprintf(out, "Simulated survey against the published figures (percent): published cells only\n"
                     "('tyndau survey FILE' prints every simulated cell).\n");
    else
        fprintf(out, "Simulated survey against the published figures (percent); * = published cell,\n"
                     "shown with its observed value and 95%% interval.\n");
    char *done = tyndau_calloc(r->n, 1); /* rows already printed under their question */
    if (done == NULL) return -1;
    for (size_t i = 0; i < r->n; i++) {
        if (done[i] || (published_only && !published(r, i))) continue;
        const char *q = r->s[S_QUESTION][i], *b = r->s[S_BASE][i];
        fprintf(out, "\n%s (base: %s)\n", q, b);
        fprintf(out, "    %-*s  %-*s  %-*s  %-*s  %9s  %8s  %-16s  %s\n", wt, "group_type", wg, "group", wr,
                "response", ws, "sample", "simulated", "observed", "95% interval", "fit");
        for (size_t j = i; j < r->n; j++) {
            if (done[j] || strcmp(r->s[S_QUESTION][j], q) != 0 || strcmp(r->s[S_BASE][j], b) != 0) continue;
            done[j] = 1;
            int pub = published(r, j);
            if (published_only && !pub) continue;
            fprintf(out, "  %c %-*s  %-*s  %-*s  %-*s  %9.1f", pub ? '*' : ' ', wt, r->s[S_GTYPE][j], wg,
                    r->s[S_GROUP][j], wr, r->s[S_RESPONSE][j], ws, r->s[S_SAMPLE][j], r->v[V_SIM][j]);
            if (pub)
                fprintf(out, "  %8.1f  [%5.1f, %5.1f]    %s", r->v[V_OBS][j], r->v[V_LO][j], r->v[V_HI][j],
                        r->inside[j] > 0 ? "inside" : "OUTSIDE");
            fputc('\n', out);
        }
    }
    free(done);

    fprintf(out, "\nFit: published cells whose simulated value lies inside the observed 95%% interval\n");
    static const char *const samples[2] = {"population", "quota"};
    for (int k = 0; k < 2; k++) {
        size_t n_pub = 0, n_in = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->s[S_SAMPLE][i], samples[k]) != 0 || !published(r, i)) continue;
            n_pub++;
            n_in += r->inside[i] > 0;
        }
        fprintf(out, "  %-10s sample: %zu of %zu inside\n", samples[k], n_in, n_pub);
    }
    if (r->citation != NULL) fprintf(out, "Observed: %s\n", r->citation);
    return 0;
}

tyndau_status tyndau_output_print_survey(const char *path, tyndau_print_mode mode, FILE *out, tyndau_error *err)
{
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read: %s", path, strerror(errno));
    fclose(probe);

    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.err = err;
    r.st = TYNDAU_OK;
    h5_quiet q;
    quiet_on(&q);
    read_survey(&r);
    quiet_off(&q); /* failing to restore printing loses nothing the caller asked for */
    if (r.st == TYNDAU_OK) {
        if (mode == TYNDAU_PRINT_CSV)
            print_csv(&r, out);
        else if (print_table(&r, out, mode == TYNDAU_PRINT_PUBLISHED) < 0)
            reader_oom(&r);
        if (r.st == TYNDAU_OK && (fflush(out) != 0 || ferror(out)))
            r.st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot print the survey: %s", path, strerror(errno));
    }
    reader_free(&r);
    return r.st;
}
