/*
 * batch.h - the engine of the commands that run many models into one result file
 * (`tyndau sweep`, `tyndau compare`): jobs handed out in batches over MPI ranks and
 * OpenMP threads (src/many.c), each rank streaming its results into a part file
 * (OUT.partial.RANK), failures recorded, --resume, shards, and the merge of the parts
 * into OUT (temporary name, rename).
 *
 * A command describes its jobs with a batch_spec: how many, how many outputs each, the
 * job function (thread-safe; job j's seed must come from j alone), a header writer for
 * its own attributes and groups, and an optional finish step run on the merged file
 * before it gets its final name (compare writes its summary there).  The file holds
 * /runs/y [jobs x outputs], /runs/status, /runs/error, /runs/output and
 * /timing/seconds, plus the command's header.
 *
 * Extra jobs.  A command may add n_extra jobs after its n_jobs (numbered n_jobs ..
 * n_jobs + n_extra - 1, handed out, resumed, sharded and merged like the others) whose rows
 * live in a group of their own, /EXTRA/y, /EXTRA/status, /EXTRA/error and
 * /timing/EXTRA_seconds, so that /runs keeps its documented shape (sweep's noise runs).
 */
#ifndef TYNDAU_BATCH_H
#define TYNDAU_BATCH_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "h5w.h"
#include "many.h"

typedef struct {
    const char *what; /* "sweep", "compare": the prefix of messages */
    const char *out;  /* the result file */
    int resume, quiet;
    int shard_i, shard_n; /* only jobs j with j mod shard_n == shard_i; shard_n 0: all */
    size_t n_jobs, n_out, batch; /* batch 0: two jobs per thread */
    const char *const *out_names; /* n_out names, /runs/output */
    uint64_t fingerprint; /* of the inputs: a part file with another one is refused on resume */
    void (*header)(h5w *w, void *user); /* the command's attributes and groups */
    many_job_fn job;                     /* job index j (not the batch position) */
    /* on rank 0, on the merged file before the rename; 0 or an exit status with err */
    int (*finish)(hid_t file, void *user, char *err, size_t errlen);
    void *user;
    size_t n_extra;          /* extra jobs after the n_jobs, stored in /extra_group (0: none) */
    const char *extra_group; /* its name ("noise") */
    const char *extra_desc;  /* its description attribute */
} batch_spec;

/* Run the spec's jobs (every rank calls it).  Returns the exit status on every rank:
 * 0, or 1 / 2 with a message in err (on rank 0).  Failed jobs are recorded in the file
 * and do not make the status nonzero. */
int batch_execute(const many_ctx *mc, const batch_spec *s, char *err, size_t errlen);

/* For `tyndau merge`: a string attribute of the root; merge n result files into `out`
 * (which must have the layout, status -1 everywhere; n_extra rows in /extra_group when
 * extra_group is not NULL); see batch.c. */
int batch_read_attr_str(hid_t f, const char *name, char *buf, size_t len);
int batch_merge_into(hid_t out, const char *out_name, hid_t *src, size_t n, size_t n_jobs, size_t n_out,
                     const char *extra_group, size_t n_extra, int refuse_overlap, const char *const *names,
                     size_t *missing, size_t *first_missing, char *err, size_t errlen);

#endif
