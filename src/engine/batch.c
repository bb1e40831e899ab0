/*
 * batch.c - running the jobs of a many-model study into one HDF5 file: the engine of
 * `tyndau sweep` and `tyndau compare` (see batch.h).
 *
 * Files.  Every result file has the full layout from the start: /runs/y [job][output] (NaN
 * until done), /runs/status [job] (-1 not run, 0 done, 1 or 2 failed with /runs/error).  A
 * part file's datasets are allocated when created and not filtered (tyndau_h5 in_place), so
 * that writing a result never changes the file's metadata: a process killed while writing
 * leaves a readable file whose status says which rows are complete (status is written, and
 * flushed, after the row's outputs).  Each rank of a run writes its own part file
 * OUT.partial.K (K = rank) and only the results of the jobs it ran; the writer holds one batch
 * of results at a time.  At the end rank 0 merges the part files block by block into OUT,
 * written whole (compressed and checksummed, temporary name, rename), and removes them.
 *
 * Distribution.  Under mpirun, batches of jobs are handed out dynamically: a shared counter on
 * rank 0 (MPI one-sided MPI_Fetch_and_op) gives each rank its next batch; within a rank the
 * batch runs on OpenMP threads, one model per thread.  Without MPI the same loop runs in one
 * process.  With a shard I/N only the jobs j with j mod N = I run, and OUT holds those.
 *
 * Resume.  --resume reads every OUT.partial.K and skips the jobs whose status is set.  Part
 * files are found by their exact name (OUT.partial. and digits, listed from OUT's directory),
 * never by a pattern: an output named 'o[1].h5' or 'o*.h5' finds its own parts and only them.
 *
 * Concurrent use.  Rank 0 claims OUT (tyndau_outfile_claim: a lock on OUT.lock) before it
 * looks at any part file, and holds it until the merged file has its name: a second sweep or
 * compare to the same OUT is refused at once, before it removes or reads a part.
 */
#include "batch.h"
#include "engine/parts.h"
#include "engine/progress.h"

#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "outfile.h"

#ifdef TYNDAU_MPI
#include <mpi.h>
#endif

#define ROW_BLOCK 4096

/* Rows [a, a+n) of a section: read (write 0) or write y, status, error and seconds. */
static void rows_io(tyndau_h5 *h, const part_section *q, int write, size_t a, size_t n, double *y, int *status,
                    char (*e)[MANY_ERRLEN], double *seconds)
{
    if (h->st != TYNDAU_OK) return;
    hid_t g = H5Gopen2(h->file, q->group, H5P_DEFAULT), t = H5Gopen2(h->file, "timing", H5P_DEFAULT);
    if (g < 0 || t < 0) {
        tyndau_h5_fail(h, write ? TYNDAU_EINTERNAL : TYNDAU_EINPUT, "%s: no /%s or /timing group", h->path,
                       q->group);
    } else {
        tyndau_h5_rows(h, g, "y", TYNDAU_H5_F64, 0, write, a, n, y);
        tyndau_h5_rows(h, g, "error", TYNDAU_H5_FIXSTR, MANY_ERRLEN, write, a, n, e);
        tyndau_h5_rows(h, t, q->seconds, TYNDAU_H5_F64, 0, write, a, n, seconds);
        tyndau_h5_rows(h, g, "status", TYNDAU_H5_I32, 0, write, a, n, status);
    }
    if (t >= 0) H5Gclose(t);
    if (g >= 0) H5Gclose(g);
    H5Eclear2(H5E_DEFAULT);
}

/* Write the rows of jobs job[0..n) (outputs y[k * n_out ..]) and flush: outputs, errors, times
 * and digests first, statuses after them, so that a status never says a row is there before
 * it is. */
static void write_rows(tyndau_h5 *h, const part_section *sec, size_t n_sec, size_t n_out, const size_t *job, size_t n,
                       double *y, int *status, char (*errmsg)[MANY_ERRLEN], double *seconds)
{
    hid_t g[2] = {-1, -1}, t = H5Gopen2(h->file, "timing", H5P_DEFAULT);
    for (size_t q = 0; q < n_sec; q++) g[q] = H5Gopen2(h->file, sec[q].group, H5P_DEFAULT);
    if (t < 0 || g[0] < 0 || (n_sec > 1 && g[1] < 0))
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: no /runs or /timing group", h->path);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < n; k++) {
            size_t q = n_sec > 1 && job[k] >= sec[1].first ? 1 : 0, row = job[k] - sec[q].first;
            if (pass == 1) {
                tyndau_h5_rows(h, g[q], "status", TYNDAU_H5_I32, 0, 1, row, 1, &status[k]);
                continue;
            }
            uint64_t digest = part_row_digest(job[k], status[k], y + k * n_out, n_out, errmsg[k], seconds[k]);
            tyndau_h5_rows(h, g[q], "y", TYNDAU_H5_F64, 0, 1, row, 1, y + k * n_out);
            tyndau_h5_rows(h, t, sec[q].seconds, TYNDAU_H5_F64, 0, 1, row, 1, &seconds[k]);
            if (status[k] != 0) tyndau_h5_rows(h, g[q], "error", TYNDAU_H5_FIXSTR, MANY_ERRLEN, 1, row, 1, errmsg[k]);
            tyndau_h5_rows(h, g[q], "digest", TYNDAU_H5_U64, 0, 1, row, 1, &digest);
        }
        tyndau_h5_flush(h);
    }
    for (size_t q = 0; q < n_sec; q++)
        if (g[q] >= 0) H5Gclose(g[q]);
    if (t >= 0) H5Gclose(t);
    H5Eclear2(H5E_DEFAULT);
}

tyndau_status batch_merge_into(tyndau_h5 *out, tyndau_h5 *src, size_t n, size_t n_jobs, size_t n_out,
                               const char *extra_group, size_t n_extra, int refuse_overlap, size_t *missing,
                               size_t *first_missing)
{
    part_section sec[2];
    size_t n_sec = part_sections(n_jobs, extra_group, n_extra, sec), no = n_out ? n_out : 1;
    double *y = tyndau_calloc(ROW_BLOCK * no, sizeof *y), *ys = tyndau_calloc(ROW_BLOCK * no, sizeof *ys);
    int *s = tyndau_calloc(ROW_BLOCK, sizeof *s), *ss = tyndau_calloc(ROW_BLOCK, sizeof *ss);
    char(*e)[MANY_ERRLEN] = tyndau_calloc(ROW_BLOCK, sizeof *e), (*es)[MANY_ERRLEN] = tyndau_calloc(ROW_BLOCK, sizeof *es);
    size_t *from = tyndau_calloc(ROW_BLOCK, sizeof *from);
    double *t = tyndau_calloc(ROW_BLOCK, sizeof *t), *ts = tyndau_calloc(ROW_BLOCK, sizeof *ts);
    *missing = 0;
    *first_missing = SIZE_MAX;
    const size_t in_out = SIZE_MAX; /* a row that `out` holds already */
    if (!y || !ys || !s || !ss || !e || !es || !from || !t || !ts)
        tyndau_h5_fail(out, TYNDAU_EINTERNAL, "%s: out of memory for the merge", out->path);
    for (size_t q = 0; out->st == TYNDAU_OK && q < n_sec; q++) {
        for (size_t a = 0; out->st == TYNDAU_OK && a < sec[q].n; a += ROW_BLOCK) {
            size_t m = sec[q].n - a < ROW_BLOCK ? sec[q].n - a : ROW_BLOCK;
            rows_io(out, &sec[q], 0, a, m, y, s, e, t);
            for (size_t k = 0; k < m; k++) from[k] = s[k] >= 0 ? in_out : n; /* n: no file yet */
            for (size_t i = 0; out->st == TYNDAU_OK && i < n; i++) {
                rows_io(&src[i], &sec[q], 0, a, m, ys, ss, es, ts);
                if (src[i].st != TYNDAU_OK) {
                    out->st = src[i].st; /* the message is in the shared tyndau_error */
                    break;
                }
                for (size_t k = 0; k < m; k++) {
                    if (ss[k] < 0) continue;
                    if (from[k] != n) {
                        if (refuse_overlap) {
                            tyndau_h5_fail(out, TYNDAU_EINPUT, "overlapping files: job %zu is in both %s and %s",
                                           sec[q].first + a + k, from[k] == in_out ? out->path : src[from[k]].path,
                                           src[i].path);
                            break;
                        }
                        continue;
                    }
                    from[k] = i;
                    s[k] = ss[k];
                    memcpy(y + k * n_out, ys + k * n_out, n_out * sizeof *y);
                    memcpy(e[k], es[k], MANY_ERRLEN);
                    t[k] = ts[k];
                }
            }
            for (size_t k = 0; out->st == TYNDAU_OK && k < m; k++)
                if (s[k] < 0) {
                    if (*first_missing == SIZE_MAX) *first_missing = sec[q].first + a + k;
                    (*missing)++;
                }
            rows_io(out, &sec[q], 1, a, m, y, s, e, t);
        }
    }
    free(y), free(ys), free(s), free(ss), free(e), free(es), free(from), free(t), free(ts);
    return out->st;
}

static const char *const out_desc =
    "y: outputs of each run (the command defines the job index), NaN until done or when failed; "
    "status: -1 not run, 0 done, 1 internal error, 2 bad input (error says why)";

/* The rows of one section: /GROUP/output (the outputs' names), y, status, error. */
static void section_layout(tyndau_h5 *h, const batch_spec *s, const char *name, const char *description,
                           size_t rows, int in_place)
{
    hid_t g = tyndau_h5_group(h, h->file, name, description);
    double nan = NAN;
    int minus1 = -1;
    char empty[MANY_ERRLEN] = "";
    tyndau_h5_vector(h, g, "output", TYNDAU_H5_STR, s->n_out, s->out_names, "output",
                     "Name of each output (the columns of y).", "none");
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "y", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {rows, s->n_out},
                                              .fill = &nan, .in_place = in_place, .axes = "job,output",
                                              .description = "The outputs of each run; NaN until done or when the "
                                                             "run failed.",
                                              .units = "each output's own (docs/hpc.md)"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "status", .kind = TYNDAU_H5_I32, .rank = 1, .dims = {rows},
                                              .fill = &minus1, .in_place = in_place, .axes = "job",
                                              .description = "-1 not run, 0 done, 1 internal error, 2 bad input "
                                                             "(error says why).",
                                              .units = "code"});
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "error", .kind = TYNDAU_H5_FIXSTR, .len = MANY_ERRLEN,
                                              .rank = 1, .dims = {rows}, .fill = empty, .in_place = in_place,
                                              .axes = "job", .description = "Why a run failed (empty otherwise).",
                                              .units = "none"});
    uint64_t zero = 0;
    if (in_place) /* a part file: the digest of each row (parts.h), by which a damaged one is found */
        tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "digest", .kind = TYNDAU_H5_U64, .rank = 1, .dims = {rows},
                                                  .fill = &zero, .in_place = 1, .axes = "job",
                                                  .description = "FNV-1a 64 of each row written (job, status, y, "
                                                                 "error, seconds; src/engine/parts.h); 0 not written.",
                                                  .units = "none"});
    tyndau_h5_close_obj(h, g);
}

/* A result file with the full layout: the study's header, then /runs (and the extra group)
 * and /timing.  in_place: a part file, written row by row where it lies. */
static void create_layout(tyndau_h5 *h, const batch_spec *s, int in_place)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%016" PRIx64, s->fingerprint);
    if (s->header != NULL) s->header(h, s->user);
    tyndau_h5_attr_str(h, h->file, "fingerprint", buf);
    tyndau_h5_attr_i64(h, h->file, "shard_index", s->shard_n ? s->shard_i : -1);
    tyndau_h5_attr_i64(h, h->file, "shard_count", s->shard_n);
    section_layout(h, s, "runs", out_desc, s->n_jobs, in_place);
    int extra = s->n_extra > 0 && s->extra_group != NULL;
    if (extra) section_layout(h, s, s->extra_group, s->extra_desc ? s->extra_desc : out_desc, s->n_extra, in_place);
    hid_t g = tyndau_h5_group(h, h->file, "timing", "seconds: wall time of each run (model creation, run and "
                                                    "outputs) on its thread; not reproducible, so kept apart from /runs");
    double nan = NAN;
    tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = "seconds", .kind = TYNDAU_H5_F64, .rank = 1, .dims = {s->n_jobs},
                                              .fill = &nan, .in_place = in_place, .axes = "job",
                                              .description = "Wall time of each run of /runs.", .units = "s"});
    if (extra) {
        char nm[96], axis[96], desc[160];
        snprintf(nm, sizeof nm, "%s_seconds", s->extra_group);
        snprintf(axis, sizeof axis, "%s_job", s->extra_group);
        snprintf(desc, sizeof desc, "Wall time of each run of /%s.", s->extra_group);
        tyndau_h5_write(h, g, &(tyndau_h5_dspec){.name = nm, .kind = TYNDAU_H5_F64, .rank = 1, .dims = {s->n_extra},
                                                  .fill = &nan, .in_place = in_place, .axes = axis,
                                                  .description = desc, .units = "s"});
    }
    tyndau_h5_close_obj(h, g);
}

typedef struct {
    const batch_spec *s;
    const size_t *job; /* the batch's job indices */
    double *seconds;   /* the batch's run times */
} wrap_ctx;

static tyndau_status wrap_job(size_t k, double *out, tyndau_error *err, void *user)
{
    const wrap_ctx *w = user;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tyndau_status rc = w->s->job(w->job[k], out, err, w->s->user);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w->seconds[k] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}

/* Is `out` a complete result of this very spec (a resubmitted job that finished)? */
static int complete_already(const batch_spec *s)
{
    tyndau_error e;
    tyndau_h5 h = TYNDAU_H5_CLOSED;
    int done = 0;
    /* a damaged output (tyndau_h5_probe) is not complete: the study runs and replaces it */
    if (access(s->out, R_OK) == 0 && tyndau_h5_probe(s->out, &e) == TYNDAU_OK &&
        tyndau_h5_open(&h, s->out, TYNDAU_H5_READ, &e) == TYNDAU_OK) {
        char want[64], *fp = tyndau_h5_read_attr_str(&h, h.file, "fingerprint");
        char *status = tyndau_h5_read_attr_str(&h, h.file, "status");
        snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
        done = fp != NULL && status != NULL && strcmp(fp, want) == 0 && strncmp(status, "complete", 8) == 0;
        free(fp), free(status);
    }
    tyndau_h5_close(&h);
    return done;
}

/* --resume, rank 0, before anything is read: every part file probed and its rows checked
 * against their digests; a damaged one is set aside (NAME.damaged) so that its jobs run again. */
static tyndau_status screen_parts(const batch_spec *s, const part_section *sec, size_t n_sec, tyndau_error *err)
{
    part_list gl;
    int found = part_list_of(s->out, &gl);
    if (found < 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    char want[64];
    snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
    tyndau_status rc = TYNDAU_OK;
    for (size_t k = 0; rc == TYNDAU_OK && found == 0 && k < gl.n; k++) {
        char aside[PATH_MAX + 64], why[600];
        int r = part_screen(gl.v[k], want, sec, n_sec, s->n_out, aside, sizeof aside, why, sizeof why);
        if (r == 1)
            fprintf(stderr, "%s: --resume: %s: damaged (%s); set aside as %s, its runs run again\n", s->what,
                    gl.v[k], why, aside);
        else if (r == -1)
            rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "--resume: %s: damaged (%s)", gl.v[k], why);
        else if (r == -2)
            rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "--resume: %s: %s", gl.v[k], why);
    }
    part_list_free(&gl);
    return rc;
}

/* --resume: mark in done[] the jobs every part file of this output has; n_done counts them,
 * n_failed those of them that failed (the merged file's status must say so after a resume). */
static tyndau_status read_parts(const batch_spec *s, const part_section *sec, size_t n_sec, const part_list *gl,
                                unsigned char *done, size_t *n_done, size_t *n_failed, tyndau_error *err)
{
    int *st = tyndau_calloc(ROW_BLOCK, sizeof *st);
    if (st == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    char want[64];
    snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
    tyndau_status rc = TYNDAU_OK;
    for (size_t k = 0; rc == TYNDAU_OK && k < gl->n; k++) {
        const char *part = gl->v[k];
        tyndau_h5 h;
        char *fp = NULL;
        int major = 0;
        tyndau_error e;
        if (tyndau_h5_open(&h, part, TYNDAU_H5_READ, &e) == TYNDAU_OK) fp = tyndau_h5_read_attr_str(&h, h.file, "fingerprint");
        if (fp == NULL || strcmp(fp, want) != 0) {
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s is not a part of this %s (different input files); "
                            "remove it or run without --resume", part, s->what);
        } else if (tyndau_h5_check_schema(&h, s->schema_name, "a part file of this study", 1, 1000, &major) !=
                       TYNDAU_OK ||
                   major != s->schema_major) {
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s was written by a tyndau with another %s schema (major "
                            "version %d, not %d); remove it or run without --resume", part, s->schema_name, major,
                            s->schema_major);
        }
        for (size_t q = 0; rc == TYNDAU_OK && q < n_sec; q++)
            for (size_t a = 0; rc == TYNDAU_OK && a < sec[q].n; a += ROW_BLOCK) {
                size_t m = sec[q].n - a < ROW_BLOCK ? sec[q].n - a : ROW_BLOCK, at = sec[q].first + a;
                hid_t g = H5Gopen2(h.file, sec[q].group, H5P_DEFAULT);
                if (g < 0) tyndau_h5_fail(&h, TYNDAU_EINPUT, "no /%s", sec[q].group);
                tyndau_h5_rows(&h, g, "status", TYNDAU_H5_I32, 0, 0, a, m, st);
                if (g >= 0) H5Gclose(g);
                if (h.st != TYNDAU_OK)
                    rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "--resume: %s: cannot read /%s/status", part, sec[q].group);
                for (size_t j = 0; rc == TYNDAU_OK && j < m; j++)
                    if (st[j] >= 0 && !done[at + j]) done[at + j] = 1, (*n_done)++, *n_failed += st[j] > 0;
            }
        free(fp);
        tyndau_h5_close(&h);
    }
    free(st);
    return rc;
}

/* Rank 0, every rank done: the part files merged into the output, then removed. */
static tyndau_status merge_parts(const batch_spec *s, size_t total, size_t failed, size_t failed_before, size_t ran,
                                 size_t n_done, tyndau_error *err)
{
    part_list gl;
    int found = part_list_of(s->out, &gl);
    if (found < 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (found != 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: no part files to merge", s->out);
    tyndau_h5 *src = tyndau_calloc(gl.n, sizeof *src), out;
    size_t opened = 0;
    tyndau_status rc = src == NULL ? TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory") : TYNDAU_OK;
    /* each part checked whole first: a row damaged since it was written is not merged */
    char want[64];
    snprintf(want, sizeof want, "%016" PRIx64, s->fingerprint);
    part_section sec[2];
    size_t n_sec = part_sections(s->n_jobs, s->extra_group, s->n_extra, sec);
    for (size_t k = 0; rc == TYNDAU_OK && k < gl.n; k++) {
        char aside[PATH_MAX + 64], why[600];
        int r = part_screen(gl.v[k], want, sec, n_sec, s->n_out, aside, sizeof aside, why, sizeof why);
        if (r == 1)
            rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: %s was damaged after it was written (%s); set aside as %s: run "
                            "the same command with --resume to run its runs again", s->what, gl.v[k], why, aside);
        else if (r != 0)
            rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: %s: %s", s->what, gl.v[k], why);
    }
    for (; rc == TYNDAU_OK && opened < gl.n; opened++)
        rc = tyndau_h5_open(&src[opened], gl.v[opened], TYNDAU_H5_READ, err);
    if (rc == TYNDAU_OK) {
        if (tyndau_h5_open(&out, s->out, TYNDAU_H5_CREATE, err) == TYNDAU_OK) {
        create_layout(&out, s, 0);
        size_t missing = 0, first = 0, expect_missing = 0;
        batch_merge_into(&out, src, gl.n, s->n_jobs, s->n_out, s->extra_group, s->n_extra, 0, &missing,
                         &first);
        for (size_t j = 0; s->shard_n && j < total; j++) expect_missing += (int)(j % (size_t)s->shard_n) != s->shard_i;
        if (out.st == TYNDAU_OK && missing != expect_missing)
            tyndau_h5_fail(&out, TYNDAU_EINTERNAL, "%zu runs are missing after the merge (first: job %zu)",
                           missing - expect_missing, first);
        if (out.st == TYNDAU_OK && s->finish != NULL) s->finish(&out, s->user);
        tyndau_h5_attr_str(&out, out.file, "status", failed + failed_before ? "complete, with failed runs" : "complete");
        }
        rc = tyndau_h5_close(&out);
    }
    while (opened-- > 0) tyndau_h5_close(&src[opened]); /* in the reverse order of opening */
    free(src);
    if (rc == TYNDAU_OK) {
        for (size_t k = 0; k < gl.n; k++) unlink(gl.v[k]);
        if (!s->quiet)
            fprintf(stderr, "%s: wrote %s: %zu runs this time (%zu failed, recorded), %zu from earlier parts\n",
                    s->what, s->out, ran, failed, n_done);
    }
    part_list_free(&gl);
    return rc;
}

tyndau_status batch_execute(const many_ctx *mc, const batch_spec *s, tyndau_error *err)
{
    char part[PATH_MAX + 32];
    snprintf(part, sizeof part, "%s.partial.%d", s->out, mc->rank);
    part_section sec[2];
    size_t n_sec = part_sections(s->n_jobs, s->extra_group, s->n_extra, sec);
    size_t total = s->n_jobs + (n_sec > 1 ? s->n_extra : 0), n_done = 0, failed_before = 0;
    size_t batch = s->batch ? s->batch : (size_t)(2 * mc->threads), no = s->n_out ? s->n_out : 1;
    /* what is done already (resume): every part file of this output */
    unsigned char *done = tyndau_calloc(total, 1);
    size_t *todo = tyndau_calloc(total, sizeof *todo), *job = tyndau_calloc(batch, sizeof *job);
    double *y = tyndau_calloc(batch * no, sizeof *y), *seconds = tyndau_calloc(batch, sizeof *seconds);
    int *status = tyndau_calloc(batch, sizeof *status);
    char(*msgs)[MANY_ERRLEN] = tyndau_calloc(batch, sizeof *msgs);
    tyndau_status rc = TYNDAU_OK;
    if (!done || !todo || !job || !y || !seconds || !status || !msgs) rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    many_catch_stop(); /* SIGTERM, SIGINT from here on: the loop below stops between batches */
    /* the output claimed first: no other writer, and nothing to replace but a regular file */
    tyndau_outfile claim = TYNDAU_OUTFILE_NONE;
    if (rc == TYNDAU_OK && mc->rank == 0) rc = cli_claim_output(&claim, s->out, s->inputs, s->n_inputs, s->scenarios, s->n_scenarios, err);
    rc = (tyndau_status)many_bcast_int(mc, (int)rc);
    if (rc == TYNDAU_OK && s->resume && mc->rank == 0) rc = screen_parts(s, sec, n_sec, err);
    rc = (tyndau_status)many_bcast_int(mc, (int)rc);
    part_list gl = {NULL, 0};
    int none = rc == TYNDAU_OK ? part_list_of(s->out, &gl) : 1;
    if (none < 0) rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory"), none = 1;
    if (rc == TYNDAU_OK && s->resume && none) {
        /* nothing to resume: an output of this study that is complete is left as it is (a
           resubmitted batch job); otherwise the study starts */
        int complete = complete_already(s);
        if (complete) {
            if (mc->rank == 0 && !s->quiet) fprintf(stderr, "%s: %s is complete already; nothing to do\n", s->what, s->out);
            tyndau_outfile_release(&claim);
            free(done), free(todo), free(job), free(y), free(seconds), free(status), free(msgs);
            return TYNDAU_OK;
        }
        if (mc->rank == 0 && !s->quiet) fprintf(stderr, "%s: --resume: no %s.partial.*; starting\n", s->what, s->out);
    }
    if (rc == TYNDAU_OK && s->resume && !none) rc = read_parts(s, sec, n_sec, &gl, done, &n_done, &failed_before, err);
    if (rc == TYNDAU_OK && !s->resume && mc->rank == 0 && !none) {
        /* a fresh start: the parts of an earlier, unfinished run to this output go */
        if (!s->quiet)
            fprintf(stderr, "%s: removing %zu part file(s) of an earlier unfinished run to %s (use --resume "
                    "to continue one)\n", s->what, gl.n, s->out);
        for (size_t k = 0; k < gl.n; k++) unlink(gl.v[k]);
    }
    part_list_free(&gl);
    /* every rank done reading before rank 0 opens its part file for writing (HDF5 locks a file
       open for writing against readers): a reduction, not a broadcast, which the root may leave
       before the others have read; the worst status of any rank */
    int worst_read = (int)rc;
#ifdef TYNDAU_MPI
    if (mc->mpi) MPI_Allreduce(MPI_IN_PLACE, &worst_read, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
    if (rc != TYNDAU_OK && mc->rank != 0 && err->msg[0] != '\0') fprintf(stderr, "tyndau: rank %d: %s\n", mc->rank, err->msg);
    if (rc == TYNDAU_OK && worst_read != TYNDAU_OK)
        rc = TYNDAU_ERR(err, (tyndau_status)worst_read, "%s: another rank could not read the part files (its message "
                        "is on its stderr)", s->what);
    /* my part file: kept on resume (its rows stay), else created */
    struct stat sb;
    if (rc == TYNDAU_OK && !(s->resume && stat(part, &sb) == 0)) {
        tyndau_h5 c;
        if (tyndau_h5_open(&c, part, TYNDAU_H5_CREATE_PART, err) == TYNDAU_OK) create_layout(&c, s, 1);
        rc = tyndau_h5_close(&c);
        /* on failure tyndau_h5_close removed the temporary: nothing under the part's name */
    }
    tyndau_h5 h = TYNDAU_H5_CLOSED;
    if (rc == TYNDAU_OK) rc = tyndau_h5_open(&h, part, TYNDAU_H5_RDWR, err);
    /* the jobs to run: this shard's, not done */
    size_t n_todo = 0;
    for (size_t j = 0; rc == TYNDAU_OK && j < total; j++)
        if (!done[j] && (s->shard_n == 0 || (int)(j % (size_t)s->shard_n) == s->shard_i)) todo[n_todo++] = j;
    if (rc == TYNDAU_OK && mc->rank == 0 && !s->quiet)
        fprintf(stderr, "%s: %zu runs%s, %zu to run, %d rank(s) x %d thread(s), batches of %zu\n", s->what,
                total, s->shard_n ? " in all, this shard's" : "", n_todo, mc->size, mc->threads, batch);
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
    /* progress on rank 0: its own runs on one rank; under MPI the runs handed out to every rank
     * before its latest batch (the shared counter), which is what it can know without asking */
    progress_t prog;
    progress_init(&prog, s->what, mc->size > 1 ? "runs (all ranks)" : "runs", n_todo, !s->quiet && mc->rank == 0,
                  stderr);
    size_t handed = 0;
    wrap_ctx ctx = {s, job, seconds};
    while (rc == TYNDAU_OK && h.st == TYNDAU_OK) {
        int sig = many_stop_signal();
        if (sig != 0) {
            /* the batches done are on disk (each row flushed): the part file is a resumable state */
            rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: stopped by %s after %zu runs on rank %d; %s kept: run the same "
                            "command with --resume to continue", s->what, many_signal_name(sig), ran, mc->rank, part);
            break;
        }
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
        handed = (size_t)start;
        size_t n = n_todo - (size_t)start < batch ? n_todo - (size_t)start : batch;
        for (size_t k = 0; k < n; k++) job[k] = todo[(size_t)start + k];
        many_ctx local = *mc;
        local.size = 1, local.rank = 0, local.mpi = 0; /* this batch runs on this rank's threads */
        failed += many_run(&local, n, s->n_out, wrap_job, &ctx, y, status, msgs);
        write_rows(&h, sec, n_sec, s->n_out, job, n, y, status, msgs, seconds);
        ran += n;
        progress_update(&prog, mc->size > 1 ? handed : ran, failed, NULL, 0);
    }
    if (mc->size == 1) progress_end(&prog, ran, failed);
    else if (prog.tty && prog.shown) fputc('\n', stderr);
#ifdef TYNDAU_MPI
    if (win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(win);
        MPI_Win_free(&win);
    }
#endif
    tyndau_status closed = tyndau_h5_close(&h);
    if (rc == TYNDAU_OK) rc = closed;
    /* every rank done: rank 0 merges the part files into the output */
    int worst = (int)rc;
#ifdef TYNDAU_MPI
    if (mc->mpi) {
        MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        unsigned long long tot[2] = {ran, failed};
        MPI_Allreduce(MPI_IN_PLACE, tot, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
        ran = tot[0], failed = tot[1];
    }
#endif
    if (rc == TYNDAU_OK && worst != TYNDAU_OK)
        rc = TYNDAU_ERR(err, (tyndau_status)worst, "%s: another rank failed (its message is on its stderr)", s->what);
    if (rc == TYNDAU_OK && mc->rank == 0) rc = merge_parts(s, total, failed, failed_before, ran, n_done, err);
    rc = (tyndau_status)many_bcast_int(mc, (int)rc);
    tyndau_outfile_release(&claim);
    free(done), free(todo), free(job), free(y), free(seconds), free(status), free(msgs);
    return rc;
}
