/*
 * merge.c - `tyndau merge -o OUT SHARD.h5 ...`: the shard files of one sweep (tyndau sweep
 * --shard I/N, or a Slurm array) joined into OUT, which is then the same as an unsharded run
 * (docs/hpc.md section 3).  Refuses shards of different sweeps, a missing or repeated shard, a
 * job found in two shards and a job found in none.  OUT starts as a copy of the first shard
 * (its header and design), gets the others' rows and is renamed into place when complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "engine/batch.h"
#include "h5.h"

static const char usage_merge[] =
    "usage: tyndau merge -o FILE.h5 SHARD.h5 ...\n"
    "\n"
    "Joins the shard files of one sweep (tyndau sweep --shard I/N, or a Slurm array) into\n"
    "FILE.h5, which is then the same as an unsharded run.  Refuses shards of different sweeps,\n"
    "a missing or repeated shard, a job found in two shards, and a job found in none.\n"
    "\n"
    "  -o, --output FILE   the merged sweep file (required)\n"
    "  -h, --help          this text\n";

/* What a shard says about itself. */
typedef struct {
    char *fingerprint, *version;
    int64_t index, count, jobs;
    size_t outs, noise;
} shard_info;

static void read_info(tyndau_h5 *h, shard_info *si)
{
    memset(si, 0, sizeof *si);
    si->index = si->count = -1;
    int64_t P = 0, R = 0;
    if (tyndau_h5_check_schema(h, "tyndau-sweep", "a tyndau sweep file", 1, 2, NULL) != TYNDAU_OK) return;
    si->fingerprint = tyndau_h5_read_attr_str(h, h->file, "fingerprint");
    si->version = tyndau_h5_read_attr_str(h, h->file, "schema_version");
    tyndau_h5_read_attr_i64(h, h->file, "shard_index", &si->index);
    tyndau_h5_read_attr_i64(h, h->file, "shard_count", &si->count);
    tyndau_h5_read_attr_i64(h, h->file, "points", &P);
    tyndau_h5_read_attr_i64(h, h->file, "replicates", &R);
    si->outs = tyndau_h5_size(h, h->file, "/runs/output");
    /* the attributes against the rows they describe: a forged points or replicates is found here */
    tyndau_h5_expect(h, h->file, "/runs/status", P, R, 1, "points x replicates");
    si->jobs = h->st == TYNDAU_OK ? P * R : 0;
    size_t ny = tyndau_h5_size(h, h->file, "/noise/y");
    si->noise = si->outs ? ny / si->outs : 0;
}

static int same_sweep(const shard_info *a, const shard_info *b)
{
    return a->fingerprint && b->fingerprint && strcmp(a->fingerprint, b->fingerprint) == 0 && a->version &&
           b->version && strcmp(a->version, b->version) == 0 && a->count == b->count && a->jobs == b->jobs &&
           a->outs == b->outs && a->noise == b->noise;
}

/* The shards 0 .. count-1 each once (seen[index] = the file), or a message naming what is wrong. */
static tyndau_status check_shards(const char *const *names, const shard_info *si, size_t n, int *seen,
                                  tyndau_error *err)
{
    if (si[0].count < 1)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: not a shard (made without --shard); expected the files of one "
                          "sharded sweep", names[0]);
    for (int64_t i = 0; i < si[0].count; i++) seen[i] = -1;
    for (size_t k = 0; k < n; k++) {
        if (!same_sweep(&si[k], &si[0]))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s is a shard of a different sweep than %s (sweep file, scenario, "
                              "design, shard count or tyndau version differ)", names[k], names[0]);
        if (si[k].index < 0 || si[k].index >= si[k].count)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: shard index %lld outside 0..%lld", names[k],
                              (long long)si[k].index, (long long)si[k].count - 1);
        if (seen[si[k].index] >= 0)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "shard %lld/%lld given twice: %s and %s", (long long)si[k].index,
                              (long long)si[k].count, names[seen[si[k].index]], names[k]);
        seen[si[k].index] = (int)k;
    }
    char list[300] = "";
    for (int64_t j = 0; j < si[0].count && strlen(list) < 250; j++)
        if (seen[j] < 0) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%lld", list[0] ? ", " : "", (long long)j);
    if (list[0])
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "missing shard(s) %s of %lld: expected one file per shard 0..%lld", list,
                          (long long)si[0].count, (long long)si[0].count - 1);
    return TYNDAU_OK;
}

int tyndau_cmd_merge(int argc, char **argv, const char *command_line)
{
    const char *out = NULL;
    int first = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_TEXT, &out, 0, 0}, {NULL, 0, CLI_FLAG, NULL, 0, 0}};
    int rc = cli_parse(argc, argv, opts, usage_merge, &first);
    if (rc != 0) return rc == CLI_DONE ? 0 : rc;
    size_t n = (size_t)(argc - first);
    if (out == NULL || n == 0) {
        fprintf(stderr, "tyndau: merge: expected -o FILE.h5 and at least one shard file\n%s", usage_merge);
        return 2;
    }
    const char *const *names = (const char *const *)(argv + first);
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_h5 *src = tyndau_calloc(n, sizeof *src);
    shard_info *si = tyndau_calloc(n, sizeof *si);
    int *seen = NULL;
    size_t opened = 0;
    tyndau_status st = src && si ? TYNDAU_OK : TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    tyndau_outfile claim = TYNDAU_OUTFILE_NONE;
    if (st == TYNDAU_OK) st = cli_claim_output(&claim, out, names, n, NULL, 0, &err);
    /* every shard walked in a child first (damaged metadata can crash HDF5), then opened */
    for (size_t k = 0; st == TYNDAU_OK && k < n; k++) st = tyndau_h5_probe(names[k], &err);
    for (; st == TYNDAU_OK && opened < n; opened++) {
        if (tyndau_h5_open(&src[opened], names[opened], TYNDAU_H5_READ, &err) == TYNDAU_OK)
            read_info(&src[opened], &si[opened]);
        st = src[opened].st;
    }
    /* a shard count is at most the files given (each shard is one): checked before it sizes anything */
    if (st == TYNDAU_OK && si[0].count > (int64_t)n) {
        char list[300] = ""; /* the first missing ones, found without a table of count entries */
        for (int64_t j = 0; j < si[0].count && strlen(list) < 250; j++) {
            int found = 0;
            for (size_t k = 0; k < n && !found; k++) found = si[k].index == j;
            if (!found) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%lld", list[0] ? ", " : "", (long long)j);
        }
        st = TYNDAU_ERR(&err, TYNDAU_EINPUT, "missing shard(s) %s of %lld: expected one file per shard 0..%lld", list,
                        (long long)si[0].count, (long long)si[0].count - 1);
    }
    if (st == TYNDAU_OK && si[0].count > 0 && (seen = tyndau_calloc((size_t)si[0].count, sizeof *seen)) == NULL)
        st = TYNDAU_ERR(&err, TYNDAU_EINTERNAL, "out of memory");
    if (st == TYNDAU_OK) st = check_shards(names, si, n, seen, &err);
    if (st == TYNDAU_OK) {
        tyndau_h5 h;
        if (tyndau_h5_open_copy(&h, out, names[0], &err) == TYNDAU_OK) {
            size_t missing = 0, first_missing = 0;
            batch_merge_into(&h, src + 1, n - 1, (size_t)si[0].jobs, si[0].outs, si[0].noise ? "noise" : NULL,
                             si[0].noise, 1, &missing, &first_missing);
            if (h.st == TYNDAU_OK && missing > 0)
                tyndau_h5_fail(&h, TYNDAU_EINPUT, "%zu runs are in no shard (first: job %zu): a shard is incomplete; "
                               "rerun it with --resume", missing, first_missing);
            /* failed runs of any shard: the merged file says so */
            int failed = 0;
            for (size_t k = 0; h.st == TYNDAU_OK && k < n; k++) {
                char *status = tyndau_h5_read_attr_str(&src[k], src[k].file, "status");
                failed |= status != NULL && strstr(status, "failed") != NULL;
                free(status);
            }
            tyndau_h5_attr_i64(&h, h.file, "shard_index", -1);
            tyndau_h5_attr_i64(&h, h.file, "shard_count", 0);
            tyndau_h5_attr_str(&h, h.file, "status", failed ? "complete, with failed runs" : "complete");
            tyndau_h5_attr_str(&h, h.file, "merge_command_line", command_line);
        }
        st = tyndau_h5_close(&h);
    }
    long long jobs = si != NULL ? (long long)si[0].jobs : 0;
    while (opened-- > 0) {
        free(si[opened].fingerprint), free(si[opened].version);
        tyndau_h5_close(&src[opened]);
    }
    free(src), free(si), free(seen);
    tyndau_outfile_release(&claim);
    if (st != TYNDAU_OK) return cli_fail(&err);
    fprintf(stderr, "merge: wrote %s from %zu shards (%lld runs)\n", out, n, jobs);
    return 0;
}
