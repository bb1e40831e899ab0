/*
 * h5.h - the one HDF5 layer of tyndau: every file the program writes or reads (run, sweep,
 * merged sweep, compare, calibration and sensitivity files) goes through it.
 *
 * A tyndau_h5 is one open file with a sticky status.  Every HDF5 call is checked; the first
 * failure, with HDF5's own reason (read at once: the next call clears HDF5's error stack), is
 * kept in h->st and *h->err, and every later call does nothing but release what it holds, so
 * that a writer is straight-line code checked once, at tyndau_h5_close.  A failure while
 * writing is TYNDAU_EINTERNAL; while reading, a file that does not hold what it should is
 * the user's (TYNDAU_EINPUT).
 *
 * Datasets (tyndau_h5_write) carry the attributes description, units and dims (the axis
 * names, outermost first) and, where given, the names of their codes; datasets of more than
 * TYNDAU_H5_SMALL elements (coordinates of names: TYNDAU_H5_SMALL_TEXT) are chunked (whole
 * trailing axes), compressed (32- and 64-bit integers by scale-offset, the rest shuffled and
 * deflated) and Fletcher-32 checksummed (not variable-length text: HDF5 refuses a checksum
 * there); text is variable-length UTF-8, or fixed-length for datasets rewritten in place.
 *
 * Every axis is a netCDF-4 dimension, so that xarray.open_dataset(FILE, group=G,
 * engine="h5netcdf") names every dimension: a dimension scale named after the axis in the
 * dataset's group.  That is the dataset of that name when there is one (a coordinate: a 1-D
 * dataset whose one axis is its own name, written before the datasets that use it; one with
 * .calendar, in "days since YYYY-MM-DD", is CF time); else, for an axis whose code names were
 * given (tyndau_h5_axis_codes), a coordinate of those names made on first use; else a scale
 * without values ("This is a netCDF dimension but not a netCDF variable", netCDF-4's own).
 *
 * A file written whole (TYNDAU_H5_CREATE) is built under a temporary name beside its path and
 * renamed onto it by tyndau_h5_close only when complete and on disk, so that a reader never
 * sees half a file and a failure never destroys an earlier one; on failure nothing is left.
 * The run-many engine's part files are made whole the same way (TYNDAU_H5_CREATE_PART: a kill
 * while their layout is written leaves a temporary, never half a part file under the name) and
 * are then written row by row in place (TYNDAU_H5_RDWR); they carry no content digest.
 *
 * A file read back is probed first (tyndau_h5_probe, h5probe.c): HDF5 itself can crash on
 * damaged metadata, so a child process reads it whole before the command trusts it.
 *
 * The serial HDF5 library is not thread-safe: use one thread at a time.  HDF5's automatic
 * error printing is off while a handle is open (the library never prints); close handles in
 * the reverse order of opening.
 */
#ifndef TYNDAU_H5_H
#define TYNDAU_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Datasets up to this many elements stay contiguous: filters would only add overhead. */
#define TYNDAU_H5_SMALL 16
/* A coordinate of names (text) up to this many entries stays contiguous too (h5data.c says why). */
#define TYNDAU_H5_SMALL_TEXT 256
#define TYNDAU_H5_MAX_RANK 4
#define TYNDAU_H5_MAX_CODES 24
#define TYNDAU_H5_MAX_SCALES 64

typedef enum {
    TYNDAU_H5_READ,            /* an existing file, read only */
    TYNDAU_H5_RDWR,            /* an existing file, written in place */
    TYNDAU_H5_CREATE,          /* a new file under a temporary name, renamed when closed */
    TYNDAU_H5_CREATE_PART      /* a part file: made like CREATE (a temporary name, renamed when
                                  closed) but without a content digest, for it is written to in
                                  place afterwards (TYNDAU_H5_RDWR) */
} tyndau_h5_mode;

/* Element kinds of datasets and of tyndau_h5_rows. */
typedef enum {
    TYNDAU_H5_I8,
    TYNDAU_H5_I32, /* int32_t (and int) */
    TYNDAU_H5_I64,
    TYNDAU_H5_U64,
    TYNDAU_H5_F64,
    TYNDAU_H5_STR,     /* variable-length UTF-8: data is const char *[] */
    TYNDAU_H5_FIXSTR,  /* fixed-length, NUL-terminated: data is char [][len] */
    TYNDAU_H5_COMPOUND /* .type is the memory and file type */
} tyndau_h5_kind;

/* One entry of a dimension scale's REFERENCE_LIST (HDF5's ds_list_t): a dataset the scale is
 * attached to, and which of its axes. */
typedef struct {
    hobj_ref_t ref;
    unsigned int dim_idx;
} tyndau_h5_backref;

typedef struct {
    const char *path;  /* the file's name, for messages */
    char *tmp;         /* TYNDAU_H5_CREATE and _PART: the temporary name */
    tyndau_h5_mode mode;
    tyndau_error *err;
    tyndau_status st;  /* first failure; once set, calls only release what they hold */
    hid_t file;
    hid_t str;         /* variable-length UTF-8 string type */
    hid_t scalar;      /* a scalar dataspace, for attributes */
    int fresh;         /* the file was created empty by this handle: no attribute is replaced */
    H5E_auto2_t quiet_fn; /* HDF5's error printing, restored at close */
    void *quiet_data;
    int quiet_saved;
    size_t n_scales; /* dimension scales kept open while their group is: found again at once */
    struct {
        hid_t loc, ds;
        char axis[64];
        tyndau_h5_backref *refs; /* attachments not yet in its REFERENCE_LIST (written at close) */
        size_t n_refs, cap_refs;
    } scales[TYNDAU_H5_MAX_SCALES];
    size_t n_codes;
    struct {
        const char *axis, *attr, *text; /* text: comma-joined names, caller-owned */
        int labels;                     /* 1: the axis's coordinate values */
    } codes[TYNDAU_H5_MAX_CODES];
} tyndau_h5;

/* A handle not opened yet, safe to close. */
#define TYNDAU_H5_CLOSED {.file = -1, .str = -1, .scalar = -1}

/* A dataset; designated initialisers leave unused fields zero. */
typedef struct {
    const char *name;
    tyndau_h5_kind kind;
    hid_t type;       /* TYNDAU_H5_COMPOUND only */
    size_t len;       /* TYNDAU_H5_FIXSTR: bytes per string, the NUL included */
    int rank;         /* 0 = scalar */
    size_t dims[TYNDAU_H5_MAX_RANK];
    const void *data; /* C order; NULL: created with .fill, written later (tyndau_h5_rows) */
    const void *fill; /* the fill value (one element), for datasets written later */
    int in_place;     /* written later row by row where it lies: allocated at creation, no filters */
    const char *description, *units;
    const char *axes;     /* comma-separated axis names, one per dimension (NULL for a scalar) */
    const char *codes;    /* names of coded values, comma-joined: attribute NAME_codes */
    const char *calendar; /* a coordinate in "days since DATE": its CF calendar */
} tyndau_h5_dspec;

/* Before a file read back is trusted: a child process (fork) opens `path`, visits every object,
 * reads every attribute and all of every dataset (h5probe.c says why).  TYNDAU_OK when it
 * could, or when the file cannot be opened at all (the reader's own open says why); else
 * TYNDAU_EINPUT "PATH: damaged (the HDF5 library failed reading its structure)" (the child
 * crashed, failed or ran past its time) or "PATH: damaged (what it holds does not match its
 * content_digest ...)" (a file written whole, changed since).  Call it before this process opens `path`. */
tyndau_status tyndau_h5_probe(const char *path, tyndau_error *err);
/* Open `path`: nonzero st (and *err) on failure (a file that cannot be opened for reading is
 * TYNDAU_EINPUT; one that cannot be created, TYNDAU_EINPUT with the system's reason). */
tyndau_status tyndau_h5_open(tyndau_h5 *h, const char *path, tyndau_h5_mode mode, tyndau_error *err);
/* A new file at path, written whole like TYNDAU_H5_CREATE, that starts as a copy of the file
 * `from` (TYNDAU_EINPUT if that cannot be read). */
tyndau_status tyndau_h5_open_copy(tyndau_h5 *h, const char *path, const char *from, tyndau_error *err);
/* Close; TYNDAU_H5_CREATE: rename onto the path if every call succeeded, else remove.  Returns
 * h->st.  Safe after a failed open. */
tyndau_status tyndau_h5_close(tyndau_h5 *h);
/* Record the failure of an HDF5 call of the caller's own (rc < 0) on `object` (and its
 * attribute `attr`, or NULL) with HDF5's reason, as every call of the layer does; nonzero when
 * rc failed.  Call it right after the call: the next one clears HDF5's error stack. */
int tyndau_h5_check(tyndau_h5 *h, int64_t rc, const char *object, const char *attr);
/* Record a failure of the caller's own (out of memory, a bad value) in the sticky status. */
tyndau_status tyndau_h5_fail(tyndau_h5 *h, tyndau_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- writing ---- */

/* Create group `name` under loc with its description: -1 on failure (then h->st is set). */
hid_t tyndau_h5_group(tyndau_h5 *h, hid_t loc, const char *name, const char *description);
/* Close a group or dataset handle (ignores -1); close groups written into with it (their
 * dimension scales are kept open until then). */
void tyndau_h5_close_obj(tyndau_h5 *h, hid_t obj);

/* Scalar attributes of obj (replacing one of the same name). */
void tyndau_h5_attr_str(tyndau_h5 *h, hid_t obj, const char *name, const char *value);
void tyndau_h5_attr_int(tyndau_h5 *h, hid_t obj, const char *name, int value);
void tyndau_h5_attr_i64(tyndau_h5 *h, hid_t obj, const char *name, int64_t value);
void tyndau_h5_attr_u64(tyndau_h5 *h, hid_t obj, const char *name, uint64_t value);
void tyndau_h5_attr_f64(tyndau_h5 *h, hid_t obj, const char *name, double value);

/* Datasets that have an axis `axis` get attribute `attr` = text (comma-joined names); labels 1:
 * text names the entries of the axis, which then becomes a coordinate of these names.  Kept
 * until close; text must live as long. */
void tyndau_h5_axis_codes(tyndau_h5 *h, const char *axis, const char *attr, const char *text, int labels);

/* Write a dataset under loc (see the top of this file). */
void tyndau_h5_write(tyndau_h5 *h, hid_t loc, const tyndau_h5_dspec *d);
/* The same for a 1-D dataset of n elements along `axis`: the common case. */
void tyndau_h5_vector(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t n, const void *data,
                      const char *axis, const char *description, const char *units);
/* Describe an existing object (dataset or group) under loc: attribute description. */
void tyndau_h5_describe(tyndau_h5 *h, hid_t loc, const char *name, const char *description);

/* Rows [first, first + n) of dataset `name` under loc (rows = the first axis, every other
 * axis whole): write (1) or read (0) them from/to buf, laid out like the dataset. */
void tyndau_h5_rows(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t len, int write,
                    size_t first, size_t n, void *buf);
/* Flush what is written to disk (before a status says it is there). */
void tyndau_h5_flush(tyndau_h5 *h);

/* ---- provenance: the root attributes of every file kind ---- */

typedef struct {
    const char *schema_name, *schema_version;
    const char *program;          /* NULL: "tyndau" */
    const char *git_commit, *cflags; /* of the program's build; NULL: "unknown" */
    const char *mpi_version;      /* the MPI library's own text; NULL: none */
    uint64_t seed;
    const char *rng;              /* NULL: the model's streams (TYNDAU_RNG_TEXT) */
    int threads, ranks;           /* threads per rank; ranks 0 counts as 1 */
    const char *command_line;
    const char *scenario_source;  /* the scenario file(s) */
    const char *scenario_text;    /* their texts joined with the files they inherit from */
    int legacy_names;             /* also `schema` and `version`, the names of the first run-many files */
} tyndau_h5_prov;

/* Write schema_name, schema_version, program, program_version, git_commit, compiler, cflags,
 * gsl_version, hdf5_version, mpi_version, seed, rng, threads, ranks, created, command_line,
 * scenario_source and scenario_text on obj (docs/output_schema.md, "Provenance"). */
void tyndau_h5_provenance(tyndau_h5 *h, hid_t obj, const tyndau_h5_prov *p);

/* ---- reading ---- */

/* 1 if `path` (relative to loc) names an object, else 0 (never an error). */
int tyndau_h5_exists(const tyndau_h5 *h, hid_t loc, const char *path);
/* A string attribute as a malloc'd copy, or NULL when absent (h->st unset) or unreadable
 * (h->st set).  An integer or float attribute is given as its decimal text. */
char *tyndau_h5_read_attr_str(tyndau_h5 *h, hid_t obj, const char *name);
/* A numeric attribute: 1 read, 0 absent (then *out is left), -1 unreadable (h->st set). */
int tyndau_h5_read_attr_i64(tyndau_h5 *h, hid_t obj, const char *name, int64_t *out);
int tyndau_h5_read_attr_u64(tyndau_h5 *h, hid_t obj, const char *name, uint64_t *out);
/* Elements of dataset `name` (any shape; 0 if it does not exist). */
size_t tyndau_h5_size(tyndau_h5 *h, hid_t loc, const char *name);
/* The file's own account of a dataset checked before anything is allocated for it: TYNDAU_EINPUT
 * in h->st unless dataset `name` exists and holds exactly a x b x c values, the counts its
 * attributes give (`what` names them: "points x replicates x outputs"); a negative count or an
 * overflowing product is a mismatch too.  A forged or damaged attribute is found here, not by
 * an allocation of its size. */
void tyndau_h5_expect(tyndau_h5 *h, hid_t loc, const char *name, int64_t a, int64_t b, int64_t c, const char *what);
/* Read exactly n elements of a numeric dataset into buf; a different size is a failure. */
void tyndau_h5_read(tyndau_h5 *h, hid_t loc, const char *name, tyndau_h5_kind kind, size_t n, void *buf);
/* A 1-D text dataset as n malloc'd strings (free with tyndau_h5_free_strs); NULL on failure. */
char **tyndau_h5_read_strs(tyndau_h5 *h, hid_t loc, const char *name, size_t *n);
void tyndau_h5_free_strs(char **s, size_t n);

/* Refuse a file of another schema, or of a major version of it this program does not know
 * (accepted: major_lo .. major_hi): TYNDAU_EINPUT "PATH: ...", `what` naming the kind wanted
 * ("a tyndau sweep file").  A file of the first run-many
 * programs names its schema in `schema` instead of `schema_name`; both are read.  The major
 * version found goes to *major (may be NULL). */
tyndau_status tyndau_h5_check_schema(tyndau_h5 *h, const char *schema_name, const char *what, int major_lo,
                                     int major_hi, int *major);

#endif
