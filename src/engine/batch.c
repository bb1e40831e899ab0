/*
 * batch.c - running the jobs of a many-model command into one HDF5 file: the engine of
 * `tyndau sweep` and `tyndau compare` (see batch.h).
 *
 * Files.  Every result file has the full layout from the start: /runs/y [jobs x outputs]
 * (NaN until done), /runs/status [jobs] (-1 not run, 0 done, 1 or 2 failed with
 * /runs/error), chunked and allocated when created, so that writing a result never changes
 * the file's metadata: a process killed while writing leaves a readable file whose status
 * says which rows are complete (status is written, and flushed, after the row's outputs).
 * Each rank of a run writes its own part file OUT.partial.K (K = rank) and only the results of
 * the jobs it ran; the writer holds one batch of results at a time.  At the end rank 0 merges
 * the part files into OUT (temporary name, rename) block by block and removes them.
 *
 * Distribution.  Under mpirun, batches of jobs are handed out dynamically: a shared counter on
 * rank 0 (MPI one-sided MPI_Fetch_and_op) gives each rank its next batch; within a rank the
 * batch runs on OpenMP threads, one model per thread.  Without MPI the same loop runs in one
 * process.  With a shard I/N only the jobs j with j mod N = I run, and OUT holds those.
 *
 * Resume.  --resume reads every OUT.partial.* and skips the jobs whose status is set.
 */
#include "batch.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef TYNDAU_MPI
#include <mpi.h>
#endif

#include "cfgfile.h"

#define ROW_BLOCK 4096

static hid_t str_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

/* A fixed-size chunked dataset allocated at creation, with a fill value. */
static void dset(h5w *w, hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims, const void *fill)
{
    if (w->failed) return;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[2] = {dims[0] < 1024 ? (dims[0] ? dims[0] : 1) : 1024, rank > 1 ? dims[1] : 1};
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC);
    H5Pset_fill_value(dcpl, type, fill);
    hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) {
        w->failed = 1;
        cfg_say(w->msg, sizeof w->msg, "cannot create dataset %s", name);
    } else {
        H5Dclose(d);
    }
    H5Pclose(dcpl);
    H5Sclose(sp);
}

/* The rows of a file in sections: /runs holds jobs 0 .. n_jobs-1, an extra group (if any) the
 * next n_extra; a section's datasets and the jobs it holds. */
typedef struct {
    char y[96], status[96], error[96], seconds[96];
    size_t first, n;
} section;

static size_t sections_of(size_t n_jobs, const char *extra, size_t n_extra, section sec[2])
{
    snprintf(sec[0].y, sizeof sec[0].y, "/runs/y");
    snprintf(sec[0].status, sizeof sec[0].status, "/runs/status");
    snprintf(sec[0].error, sizeof sec[0].error, "/runs/error");
    snprintf(sec[0].seconds, sizeof sec[0].seconds, "/timing/seconds");
    sec[0].first = 0, sec[0].n = n_jobs;
    if (extra == NULL || n_extra == 0) return 1;
    snprintf(sec[1].y, sizeof sec[1].y, "/%s/y", extra);
    snprintf(sec[1].status, sizeof sec[1].status, "/%s/status", extra);
    snprintf(sec[1].error, sizeof sec[1].error, "/%s/error", extra);
    snprintf(sec[1].seconds, sizeof sec[1].seconds, "/timing/%s_seconds", extra);
    sec[1].first = n_jobs, sec[1].n = n_extra;
    return 2;
}

/* Write rows job[0..n) (outputs y[k * n_out ..], status, error) and flush; status last. */
static int write_rows(hid_t f, const section *sec, size_t n_sec, size_t n_out, const size_t *job, size_t n,
                      const double *y, const int *status, char (*errmsg)[MANY_ERRLEN], const double *seconds)
{
    hid_t dy[2] = {-1, -1}, ds[2] = {-1, -1}, de[2] = {-1, -1}, dt[2] = {-1, -1};
    int rc = 0;
    for (size_t q = 0; q < n_sec; q++) {
        dy[q] = H5Dopen2(f, sec[q].y, H5P_DEFAULT), ds[q] = H5Dopen2(f, sec[q].status, H5P_DEFAULT);
        de[q] = H5Dopen2(f, sec[q].error, H5P_DEFAULT), dt[q] = H5Dopen2(f, sec[q].seconds, H5P_DEFAULT);
        if (dy[q] < 0 || ds[q] < 0 || de[q] < 0 || dt[q] < 0) rc = -1;
    }
    hid_t st = str_type(MANY_ERRLEN);
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t k = 0; k < n && rc == 0; k++) {
            size_t q = n_sec > 1 && job[k] >= sec[1].first ? 1 : 0;
            hsize_t start[2] = {job[k] - sec[q].first, 0}, count[2] = {1, n_out};
            hid_t d = pass == 0 ? dy[q] : ds[q];
            hid_t fs = H5Dget_space(d);
            hid_t ms = H5Screate_simple(pass == 0 ? 2 : 1, count, NULL);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
            if (H5Dwrite(d, pass == 0 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, ms, fs, H5P_DEFAULT,
                         pass == 0 ? (const void *)(y + k * n_out) : (const void *)&status[k]) < 0)
                rc = -1;
            if (pass == 0 && rc == 0) {
                hid_t ft = H5Dget_space(dt[q]);
                hsize_t one[1] = {1};
                hid_t mt = H5Screate_simple(1, one, NULL);
                H5Sselect_hyperslab(ft, H5S_SELECT_SET, start, NULL, one, NULL);
                if (H5Dwrite(dt[q], H5T_NATIVE_DOUBLE, mt, ft, H5P_DEFAULT, &seconds[k]) < 0) rc = -1;
                H5Sclose(mt);
                H5Sclose(ft);
            }
            if (pass == 0 && rc == 0 && status[k] != 0) {
                hid_t fe = H5Dget_space(de[q]);
                hsize_t one[1] = {1};
                hid_t me = H5Screate_simple(1, one, NULL);
                H5Sselect_hyperslab(fe, H5S_SELECT_SET, start, NULL, one, NULL);
                if (H5Dwrite(de[q], st, me, fe, H5P_DEFAULT, errmsg[k]) < 0) rc = -1;
                H5Sclose(me);
                H5Sclose(fe);
            }
            H5Sclose(ms);
            H5Sclose(fs);
        }
        /* outputs and errors on disk before any status says they are there */
        if (rc == 0 && H5Fflush(f, H5F_SCOPE_LOCAL) < 0) rc = -1;
    }
    H5Tclose(st);
    for (size_t q = 0; q < n_sec; q++) {
        if (dy[q] >= 0) H5Dclose(dy[q]);
        if (ds[q] >= 0) H5Dclose(ds[q]);
        if (de[q] >= 0) H5Dclose(de[q]);
        if (dt[q] >= 0) H5Dclose(dt[q]);
    }
    return rc;
}

int batch_read_attr_str(hid_t f, const char *name, char *buf, size_t len)
{
    char *v = NULL;
    if (h5r_attr_str(f, name, &v) != 0 || v == NULL) return -1;
    snprintf(buf, len, "%s", v);
    free(v);
    return 0;
}

/* Read rows [a, a+n) of a section's status into st. */
static int read_status(hid_t f, const section *sec, size_t a, size_t n, int *st)
{
    hid_t d = H5Dopen2(f, sec->status, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t fs = H5Dget_space(d);
    hsize_t start[1] = {a}, count[1] = {n};
    hid_t ms = H5Screate_simple(1, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    int rc = H5Dread(d, H5T_NATIVE_INT, ms, fs, H5P_DEFAULT, st) < 0 ? -1 : 0;
    H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    return rc;
}

/* Rows [a, a+n) of a section: read (dir 0) or write (dir 1) y, status and error. */
static int rows_io(hid_t f, const section *q, int dir, size_t a, size_t n, size_t n_out, double *y, int *status,
                   char (*e)[MANY_ERRLEN], double *sec)
{
    const char *names[4] = {q->y, q->status, q->error, q->seconds};
    hid_t st = str_type(MANY_ERRLEN);
    hid_t types[4] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_INT, st, H5T_NATIVE_DOUBLE};
    void *bufs[4] = {y, status, e, sec};
    int rc = 0;
    for (int k = 0; k < 4 && rc == 0; k++) {
        hid_t d = H5Dopen2(f, names[k], H5P_DEFAULT);
        if (d < 0) {
            rc = -1;
            break;
        }
        hid_t fs = H5Dget_space(d);
        hsize_t start[2] = {a, 0}, count[2] = {n, n_out};
        int rank = k == 0 ? 2 : 1;
        hid_t ms = H5Screate_simple(rank, count, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        herr_t r = dir == 0 ? H5Dread(d, types[k], ms, fs, H5P_DEFAULT, bufs[k])
                            : H5Dwrite(d, types[k], ms, fs, H5P_DEFAULT, bufs[k]);
        if (r < 0) rc = -1;
        H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    }
    H5Tclose(st);
    return rc;
}

/*
 * Merge `n` source files (same fingerprint and layout) into `out`, which must already have the
 * layout (status -1 everywhere).  A job done in two sources is an overlap: an error when
 * `refuse_overlap`, else the first is kept.  On return *missing is the number of jobs not done
 * anywhere and *first_missing the first of them.
 */
int batch_merge_into(hid_t out, const char *out_name, hid_t *src, size_t n, size_t n_jobs, size_t n_out,
                     const char *extra_group, size_t n_extra, int refuse_overlap, const char *const *names,
                     size_t *missing, size_t *first_missing, char *err, size_t errlen)
{
    section sec[2];
    size_t n_sec = sections_of(n_jobs, extra_group, n_extra, sec);
    double *y = malloc(ROW_BLOCK * n_out * sizeof *y), *ys = malloc(ROW_BLOCK * n_out * sizeof *ys);
    int *s = malloc(ROW_BLOCK * sizeof *s), *ss = malloc(ROW_BLOCK * sizeof *ss);
    char(*e)[MANY_ERRLEN] = malloc(ROW_BLOCK * sizeof *e), (*es)[MANY_ERRLEN] = malloc(ROW_BLOCK * sizeof *es);
    int *from = malloc(ROW_BLOCK * sizeof *from);
    double *t = malloc(ROW_BLOCK * sizeof *t), *ts = malloc(ROW_BLOCK * sizeof *ts);
    int rc = 0;
    *missing = 0;
    *first_missing = SIZE_MAX;
    if (!y || !ys || !s || !ss || !e || !es || !from || !t || !ts) rc = 1;
    for (size_t q = 0; rc == 0 && q < n_sec; q++) {
        for (size_t a = 0; rc == 0 && a < sec[q].n; a += ROW_BLOCK) {
            size_t m = sec[q].n - a < ROW_BLOCK ? sec[q].n - a : ROW_BLOCK;
            if (rows_io(out, &sec[q], 0, a, m, n_out, y, s, e, t) != 0) rc = 1;
            for (size_t k = 0; k < m; k++) from[k] = s[k] >= 0 ? INT_MAX : -1; /* INT_MAX: in `out` already */
            for (size_t i = 0; rc == 0 && i < n; i++) {
                if (rows_io(src[i], &sec[q], 0, a, m, n_out, ys, ss, es, ts) != 0) {
                    cfg_say(err, errlen, "%s: cannot read %s", names[i], sec[q].y);
                    rc = 2;
                    break;
                }
                for (size_t k = 0; k < m; k++) {
                    if (ss[k] < 0) continue;
                    if (from[k] >= 0) {
                        if (refuse_overlap) {
                            cfg_say(err, errlen, "overlapping files: job %zu is in both %s and %s", sec[q].first + a + k,
                                from[k] == INT_MAX ? out_name : names[from[k]], names[i]);
                            rc = 2;
                            break;
                        }
                        continue;
                    }
                    from[k] = (int)i;
                    s[k] = ss[k];
                    memcpy(y + k * n_out, ys + k * n_out, n_out * sizeof *y);
                    memcpy(e[k], es[k], MANY_ERRLEN);
                    t[k] = ts[k];
                }
            }
            for (size_t k = 0; rc == 0 && k < m; k++)
                if (s[k] < 0) {
                    if (*first_missing == SIZE_MAX) *first_missing = sec[q].first + a + k;
                    (*missing)++;
                }
            if (rc == 0 && rows_io(out, &sec[q], 1, a, m, n_out, y, s, e, t) != 0) rc = 1;
        }
    }
    free(y), free(ys), free(s), free(ss), free(e), free(es), free(from), free(t), free(ts);
    return rc;
}

static const char *const out_desc =
    "y: outputs of each run (the command defines the job index), NaN until done or when failed; "
    "status: -1 not run, 0 done, 1 internal error, 2 bad input (error says why)";

/* A result file with the full layout: the command's header, then /runs and /timing. */
static int create_file(const char *path, const batch_spec *s, char *err, size_t errlen)
{
    h5w w;
    if (h5w_create(&w, path) != 0) {
        cfg_say(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return 1;
    }
    hid_t f = w.file;
    char buf[64];
    snprintf(buf, sizeof buf, "%016" PRIx64, s->fingerprint);
    h5w_attr_str(&w, f, "fingerprint", buf);
    h5w_attr_int(&w, f, "shard_index", s->shard_n ? s->shard_i : -1);
    h5w_attr_int(&w, f, "shard_count", s->shard_n);
    if (s->header != NULL) s->header(&w, s->user);
    hid_t g = h5w_group(&w, f, "runs");
    h5w_attr_str(&w, g, "description", out_desc);
    h5w_strs(&w, g, "output", s->out_names, s->n_out);
    hsize_t dy[2] = {s->n_jobs, s->n_out}, dj[1] = {s->n_jobs};
    double nan = NAN;
    int minus1 = -1;
    char empty[MANY_ERRLEN] = "";
    hid_t st = str_type(MANY_ERRLEN);
    dset(&w, g, "y", H5T_NATIVE_DOUBLE, 2, dy, &nan);
    dset(&w, g, "status", H5T_NATIVE_INT, 1, dj, &minus1);
    dset(&w, g, "error", st, 1, dj, empty);
    H5Tclose(st);
    h5w_close_group(&w, g);
    if (s->n_extra > 0 && s->extra_group != NULL) {
        hsize_t ey[2] = {s->n_extra, s->n_out}, ej[1] = {s->n_extra};
        g = h5w_group(&w, f, s->extra_group);
        h5w_attr_str(&w, g, "description", s->extra_desc ? s->extra_desc : out_desc);
        st = str_type(MANY_ERRLEN);
        dset(&w, g, "y", H5T_NATIVE_DOUBLE, 2, ey, &nan);
        dset(&w, g, "status", H5T_NATIVE_INT, 1, ej, &minus1);
        dset(&w, g, "error", st, 1, ej, empty);
        H5Tclose(st);
        h5w_close_group(&w, g);
    }
    g = h5w_group(&w, f, "timing");
    h5w_attr_str(&w, g, "description", "seconds: wall time of each run (model creation, run and outputs) on its "
                                        "thread; not reproducible, so kept apart from /runs");
    dset(&w, g, "seconds", H5T_NATIVE_DOUBLE, 1, dj, &nan);
    if (s->n_extra > 0 && s->extra_group != NULL) {
        char nm[96];
        hsize_t ej[1] = {s->n_extra};
        snprintf(nm, sizeof nm, "%s_seconds", s->extra_group);
        dset(&w, g, nm, H5T_NATIVE_DOUBLE, 1, ej, &nan);
    }
    h5w_close_group(&w, g);
    if (h5w_close(&w) != 0) {
        cfg_say(err, errlen, "%s: %s", path, w.msg);
        return 1;
    }
    return 0;
}

typedef struct {
    const batch_spec *s;
    const size_t *job; /* the batch's job indices */
    double *seconds;   /* the batch's run times */
} wrap_ctx;

static int wrap_job(size_t k, double *out, char errmsg[MANY_ERRLEN], void *user)
{
    const wrap_ctx *w = user;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = w->s->job(w->job[k], out, errmsg, w->s->user);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w->seconds[k] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}

int batch_execute(const many_ctx *mc, const batch_spec *s, char *err, size_t errlen)
{
    const char *out = s->out;
    int rc = 0;
    char part[PATH_MAX + 32];
    snprintf(part, sizeof part, "%s.partial.%d", out, mc->rank);
    section sec[2];
    size_t n_sec = sections_of(s->n_jobs, s->extra_group, s->n_extra, sec);
    size_t total = s->n_jobs + (n_sec > 1 ? s->n_extra : 0);
    /* what is done already (resume): every part file of this output */
    unsigned char *done = rc == 0 ? calloc(total ? total : 1, 1) : NULL;
    if (rc == 0 && done == NULL) rc = 1;
    size_t n_done = 0;
    if (rc == 0 && s->resume) {
        char pat[PATH_MAX + 32];
        snprintf(pat, sizeof pat, "%s.partial.*", out);
        glob_t gl;
        int gr = glob(pat, 0, NULL, &gl);
        if (gr == GLOB_NOMATCH) {
            /* nothing to resume: an output of this sweep that is complete is left as it is
               (a resubmitted batch job); otherwise the sweep starts */
            hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
            char fp[64] = "", want[64], stat_s[64] = "";
            snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
            if (f >= 0) {
                batch_read_attr_str(f, "fingerprint", fp, sizeof fp);
                batch_read_attr_str(f, "status", stat_s, sizeof stat_s);
                H5Fclose(f);
            }
            if (f >= 0 && strcmp(fp, want) == 0 && strncmp(stat_s, "complete", 8) == 0) {
                if (mc->rank == 0 && !s->quiet)
                    fprintf(stderr, "%s: %s is complete already; nothing to do\n", s->what, out);
                free(done);
                return 0;
            }
            if (mc->rank == 0 && !s->quiet) fprintf(stderr, "%s: --resume: no %s.partial.*; starting\n", s->what, out);
        }
        int *st = malloc(ROW_BLOCK * sizeof *st);
        for (size_t k = 0; rc == 0 && gr == 0 && k < gl.gl_pathc; k++) {
            hid_t f = H5Fopen(gl.gl_pathv[k], H5F_ACC_RDONLY, H5P_DEFAULT);
            char fp[64] = "", want[64];
            snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
            if (f < 0 || batch_read_attr_str(f, "fingerprint", fp, sizeof fp) != 0 || strcmp(fp, want) != 0) {
                cfg_say(err, errlen, "--resume: %s is not a part of this %s (different input files); remove it or run "
                    "without --resume", gl.gl_pathv[k], s->what);
                rc = 2;
            }
            for (size_t q = 0; q < n_sec; q++)
                for (size_t a = 0; rc == 0 && a < sec[q].n; a += ROW_BLOCK) {
                    size_t m = sec[q].n - a < ROW_BLOCK ? sec[q].n - a : ROW_BLOCK, at = sec[q].first + a;
                    if (st == NULL || read_status(f, &sec[q], a, m, st) != 0) {
                        cfg_say(err, errlen, "--resume: %s: cannot read %s", gl.gl_pathv[k], sec[q].status);
                        rc = 2;
                    }
                    for (size_t j = 0; rc == 0 && j < m; j++)
                        if (st[j] >= 0 && !done[at + j]) done[at + j] = 1, n_done++;
                }
            if (f >= 0) H5Fclose(f);
        }
        free(st);
        if (gr == 0) globfree(&gl);
    }
    if (rc == 0 && !s->resume && mc->rank == 0) {
        /* a fresh start: the parts of an earlier, unfinished sweep to this output go */
        char pat[PATH_MAX + 32];
        snprintf(pat, sizeof pat, "%s.partial.*", out);
        glob_t gl;
        if (glob(pat, 0, NULL, &gl) == 0) {
            if (!s->quiet)
                fprintf(stderr, "%s: removing %zu part file(s) of an earlier unfinished run to %s (use --resume "
                        "to continue one)\n", s->what, gl.gl_pathc, out);
            for (size_t k = 0; k < gl.gl_pathc; k++) unlink(gl.gl_pathv[k]);
            globfree(&gl);
        }
    }
    rc = many_bcast_int(mc, rc);
    if (rc != 0) {
        free(done);
        return rc;
    }
    /* my part file: kept on resume (its rows stay), else created */
    struct stat sb;
    if (!(s->resume && stat(part, &sb) == 0) && create_file(part, s, err, errlen) != 0)
        rc = 2;
    hid_t pf = rc == 0 ? H5Fopen(part, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
    if (rc == 0 && pf < 0) {
        cfg_say(err, errlen, "%s: cannot open for writing", part);
        rc = 1;
    }
    /* the jobs to run: this shard's, not done */
    size_t n_todo = 0;
    size_t *todo = malloc((total ? total : 1) * sizeof *todo);
    if (rc == 0 && todo == NULL) rc = 1;
    for (size_t j = 0; rc == 0 && j < total; j++)
        if (!done[j] && (s->shard_n == 0 || (int)(j % (size_t)s->shard_n) == s->shard_i)) todo[n_todo++] = j;
    size_t batch = s->batch ? s->batch : (size_t)(2 * mc->threads);
    if (rc == 0 && mc->rank == 0 && !s->quiet)
        fprintf(stderr, "%s: %zu runs%s, %zu to run, %d rank(s) x %d thread(s), batches of %zu\n", s->what,
                total, s->shard_n ? " in all, this shard's" : "", n_todo, mc->size, mc->threads, batch);
    double *y = malloc(batch * (s->n_out ? s->n_out : 1) * sizeof *y);
    int *status = malloc(batch * sizeof *status);
    char(*msgs)[MANY_ERRLEN] = malloc(batch * sizeof *msgs);
    size_t *job = malloc(batch * sizeof *job);
    double *seconds = malloc(batch * sizeof *seconds);
    if (rc == 0 && (!y || !status || !msgs || !job || !seconds)) rc = 1;
    /* a shared counter of batches handed out */
#ifdef TYNDAU_MPI
    MPI_Win win = MPI_WIN_NULL;
    long *counter = NULL;
    if (mc->mpi && mc->size > 1) {
        MPI_Win_allocate(mc->rank == 0 ? (MPI_Aint)sizeof(long) : 0, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD,
                         &counter, &win);
        if (mc->rank == 0) *counter = 0;
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Win_lock_all(0, win);
    }
#endif
    long next_local = 0;
    size_t ran = 0, failed = 0;
    double t0 = (double)time(NULL), last_report = t0;
    wrap_ctx ctx = {s, job, seconds};
    int write_failed = 0;
    while (rc == 0 && !write_failed) {
        long start;
#ifdef TYNDAU_MPI
        if (win != MPI_WIN_NULL) {
            long inc = (long)batch;
            MPI_Fetch_and_op(&inc, &start, MPI_LONG, 0, 0, MPI_SUM, win);
            MPI_Win_flush(0, win);
        } else
#endif
        {
            start = next_local;
            next_local += (long)batch;
        }
        if ((size_t)start >= n_todo) break;
        size_t n = n_todo - (size_t)start < batch ? n_todo - (size_t)start : batch;
        for (size_t k = 0; k < n; k++) job[k] = todo[(size_t)start + k];
        many_ctx local = *mc;
        local.size = 1, local.rank = 0, local.mpi = 0; /* this batch runs on this rank's threads */
        failed += many_run(&local, n, s->n_out, wrap_job, &ctx, y, status, msgs);
        if (write_rows(pf, sec, n_sec, s->n_out, job, n, y, status, msgs, seconds) != 0) {
            cfg_say(err, errlen, "%s: cannot write results", part);
            write_failed = 1;
        }
        ran += n;
        double now = (double)time(NULL);
        if (!s->quiet && now - last_report >= 10.0) {
            fprintf(stderr, "%s: rank %d: %zu runs done (%zu failed), %.0f s\n", s->what, mc->rank, ran, failed,
                    now - t0);
            last_report = now;
        }
    }
#ifdef TYNDAU_MPI
    if (win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(win);
        MPI_Win_free(&win);
    }
#endif
    if (pf >= 0) H5Fclose(pf);
    if (write_failed) rc = 1;
    /* every rank done: rank 0 merges the part files into the output */
#ifdef TYNDAU_MPI
    if (mc->mpi) {
        MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        unsigned long long tot[2] = {ran, failed};
        MPI_Allreduce(MPI_IN_PLACE, tot, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        ran = tot[0], failed = tot[1];
    }
#endif
    if (rc == 0 && mc->rank == 0) {
        char pat[PATH_MAX + 32], tmp[PATH_MAX + 32];
        snprintf(pat, sizeof pat, "%s.partial.*", out);
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        glob_t gl;
        if (glob(pat, 0, NULL, &gl) != 0) {
            cfg_say(err, errlen, "%s: no part files to merge", out);
            rc = 1;
        }
        hid_t *src = rc == 0 ? calloc(gl.gl_pathc, sizeof *src) : NULL;
        if (rc == 0 && create_file(tmp, s, err, errlen) != 0) rc = 1;
        hid_t of = rc == 0 ? H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
        for (size_t k = 0; rc == 0 && src && k < gl.gl_pathc; k++) src[k] = H5Fopen(gl.gl_pathv[k], H5F_ACC_RDONLY, H5P_DEFAULT);
        size_t missing = 0, first = 0;
        if (rc == 0 && of >= 0)
            rc = batch_merge_into(of, tmp, src, gl.gl_pathc, s->n_jobs, s->n_out, s->extra_group, s->n_extra, 0,
                            (const char *const *)gl.gl_pathv,
                            &missing, &first, err, errlen);
        size_t expect_missing = 0;
        if (s->shard_n)
            for (size_t j = 0; j < total; j++) expect_missing += (int)(j % (size_t)s->shard_n) != s->shard_i;
        if (rc == 0 && missing != expect_missing) {
            cfg_say(err, errlen, "%zu runs are missing after the merge (first: job %zu)", missing - expect_missing, first);
            rc = 1;
        }
        if (rc == 0 && of >= 0 && s->finish != NULL) rc = s->finish(of, s->user, err, errlen);
        if (of >= 0) {
            h5w w = {of, 0, ""};
            h5w_attr_str(&w, of, "status", failed ? "complete, with failed runs" : "complete");
            H5Fclose(of);
        }
        for (size_t k = 0; src && k < gl.gl_pathc; k++)
            if (src[k] >= 0) H5Fclose(src[k]);
        if (rc == 0 && rename(tmp, out) != 0) {
            cfg_say(err, errlen, "%s: cannot rename: %s", out, strerror(errno));
            rc = 1;
        }
        if (rc == 0)
            for (size_t k = 0; k < gl.gl_pathc; k++) unlink(gl.gl_pathv[k]);
        else
            unlink(tmp);
        free(src);
        if (gl.gl_pathc) globfree(&gl);
        if (rc == 0 && !s->quiet)
            fprintf(stderr, "%s: wrote %s: %zu runs this time (%zu failed, recorded), %zu from earlier parts\n", s->what,
                    out, ran, failed, n_done);
    }
    rc = many_bcast_int(mc, rc);
    free(done), free(todo), free(y), free(status), free(msgs), free(job), free(seconds);
    return rc;
}
