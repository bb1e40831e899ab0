/*
 * batch.h - the engine of the studies that run many models into one result file (`tyndau
 * sweep`, `tyndau compare`): jobs handed out in batches over MPI ranks and OpenMP threads
 * (many.c), each rank streaming its results into a part file (OUT.partial.RANK), failures
 * recorded, --resume, shards, and the merge of the parts into OUT (temporary name, rename).
 *
 * A study describes its jobs with a batch_spec: how many, how many outputs each, the job
 * function (thread-safe; job j's seed must come from j alone), a header writer for its own
 * root attributes (provenance first) and groups, and an optional finish step run on the
 * merged file before it gets its final name (compare writes its summary there).  The file
 * holds /runs/output (the outputs' names), /runs/y [job][output], /runs/status, /runs/error
 * and /timing/seconds, plus the study's header.
 *
 * Extra jobs.  A study may add n_extra jobs after its n_jobs (numbered n_jobs .. n_jobs +
 * n_extra - 1, handed out, resumed, sharded and merged like the others) whose rows live in a
 * group of their own, /EXTRA/y, /EXTRA/status, /EXTRA/error and /timing/EXTRA_seconds, so
 * that /runs keeps its documented shape (sweep's noise runs).
 */
#ifndef TYNDAU_BATCH_H
#define TYNDAU_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "h5.h"
#include "many.h"
#include "scenario.h"

typedef struct {
    const char *what; /* "sweep", "compare": the prefix of messages */
    const char *out;  /* the result file */
    const char *const *inputs; /* the study's input files and scenarios (their bases count): */
    size_t n_inputs;           /* OUT may be none of them (cli_claim_output) */
    const tyndau_scenario *scenarios;
    size_t n_scenarios;
    int resume, quiet;
    int shard_i, shard_n; /* only jobs j with j mod shard_n == shard_i; shard_n 0: all */
    size_t n_jobs, n_out, batch; /* batch 0: two jobs per thread */
    const char *const *out_names; /* n_out names, /runs/output */
    uint64_t fingerprint; /* of the inputs: a part file with another one is refused on resume */
    const char *schema_name; /* of the study's files, and the major version written: a part */
    int schema_major;        /* file of another major is refused on resume */
    void (*header)(tyndau_h5 *h, void *user); /* the study's root attributes and groups */
    many_job_fn job;                          /* job index j (not the batch position) */
    /* on rank 0, on the merged file before it gets its name: h->st set on failure */
    void (*finish)(tyndau_h5 *h, void *user);
    void *user;
    size_t n_extra;          /* extra jobs after the n_jobs, stored in /extra_group (0: none) */
    const char *extra_group; /* its name ("noise") */
    const char *extra_desc;  /* its description attribute */
} batch_spec;

/* Run the spec's jobs (every rank calls it).  The same status on every rank: TYNDAU_OK, or the
 * failure with its message in *err (on rank 0).  Failed jobs are recorded in the file and do
 * not make the status fail. */
tyndau_status batch_execute(const many_ctx *mc, const batch_spec *s, tyndau_error *err);

/*
 * For `tyndau merge`: merge the rows of the n open files src (the same fingerprint and layout:
 * n_jobs rows of n_out outputs in /runs, n_extra in /extra_group when it is not NULL) into
 * `out`, which has the layout already (its own rows kept).  A job done in two files is an
 * overlap: TYNDAU_EINPUT when refuse_overlap, else the first is kept.  *missing: the jobs done
 * nowhere, *first_missing the first of them.
 */
tyndau_status batch_merge_into(tyndau_h5 *out, tyndau_h5 *src, size_t n, size_t n_jobs, size_t n_out,
                               const char *extra_group, size_t n_extra, int refuse_overlap, size_t *missing,
                               size_t *first_missing);

#endif
