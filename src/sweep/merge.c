/*
 * merge.c - `tyndau merge -o OUT SHARD.h5 ...`: the shard files of one sweep (tyndau sweep
 * --shard I/N, or a Slurm array) joined into OUT, which is then the same as an unsharded run
 * (docs/hpc.md section 3).  Refuses shards of different sweeps, a missing or repeated shard, a
 * job found in two shards and a job found in none; OUT is written under a temporary name.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "commands.h"
#include "engine/batch.h"
#include "engine/cfgfile.h"
#include "engine/h5w.h"

static const char usage_merge[] =
    "usage: tyndau merge -o FILE.h5 SHARD.h5 ...\n"
    "\n"
    "Joins the shard files of one sweep (tyndau sweep --shard I/N, or a Slurm array) into\n"
    "FILE.h5, which is then the same as an unsharded run.  Refuses shards of different sweeps,\n"
    "a missing or repeated shard, a job found in two shards, and a job found in none.\n";

static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    int rc = 0;
    if (a == NULL || b == NULL) {
        cfg_say(err, errlen, "%s: cannot copy to %s: %s", from, to, strerror(errno));
        rc = 1;
    }
    char buf[1 << 16];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) rc = 1;
    if (a) fclose(a);
    if (b && fclose(b) != 0) rc = 1;
    if (rc != 0 && !err[0]) cfg_say(err, errlen, "%s: cannot write", to);
    return rc;
}

static void replace_attr_int(hid_t obj, const char *name, long long v)
{
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    h5w w = {obj, 0, ""};
    h5w_attr_int(&w, obj, name, v);
}

int tyndau_cmd_merge(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    const char *out = NULL;
    int c;
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'h') {
            fputs(usage_merge, stdout);
            return 0;
        } else {
            fputs(usage_merge, stderr);
            return 2;
        }
    }
    size_t n = (size_t)(argc - optind);
    if (out == NULL || n == 0) {
        fprintf(stderr, "tyndau: merge: expected -o FILE.h5 and at least one shard file\n%s", usage_merge);
        return 2;
    }
    h5w_quiet();
    const char *const *names = (const char *const *)(argv + optind);
    hid_t *src = calloc(n, sizeof *src);
    char err[800] = "", fp0[64] = "";
    long long count0 = -1, jobs0 = 0, outs0 = 0, noise0 = 0;
    int rc = src ? 0 : 1;
    int *seen = NULL;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        src[k] = H5Fopen(names[k], H5F_ACC_RDONLY, H5P_DEFAULT);
        char schema[64] = "", fp[64] = "";
        long long idx = -1, cnt = -1, P = 0, R = 0;
        if (src[k] < 0 || batch_read_attr_str(src[k], "schema", schema, sizeof schema) != 0 ||
            strcmp(schema, "tyndau-sweep") != 0) {
            cfg_say(err, sizeof err, "%s: not a tyndau sweep file", names[k]);
            rc = 2;
            break;
        }
        batch_read_attr_str(src[k], "fingerprint", fp, sizeof fp);
        h5r_attr_int(src[k], "shard_index", &idx);
        h5r_attr_int(src[k], "shard_count", &cnt);
        h5r_attr_int(src[k], "points", &P);
        h5r_attr_int(src[k], "replicates", &R);
        hid_t d = H5Dopen2(src[k], "/runs/y", H5P_DEFAULT);
        hsize_t dims[2] = {0, 0}, nd[2] = {0, 0};
        if (d >= 0) {
            hid_t sp = H5Dget_space(d);
            H5Sget_simple_extent_dims(sp, dims, NULL);
            H5Sclose(sp), H5Dclose(d);
        }
        if (H5Lexists(src[k], "noise", H5P_DEFAULT) > 0 && (d = H5Dopen2(src[k], "/noise/y", H5P_DEFAULT)) >= 0) {
            hid_t sp = H5Dget_space(d);
            H5Sget_simple_extent_dims(sp, nd, NULL);
            H5Sclose(sp), H5Dclose(d);
        }
        if (k == 0) {
            snprintf(fp0, sizeof fp0, "%s", fp);
            count0 = cnt, jobs0 = P * R, outs0 = (long long)dims[1], noise0 = (long long)nd[0];
            if (cnt < 1) {
                cfg_say(err, sizeof err, "%s: not a shard (made without --shard); expected the files of one sharded sweep",
                    names[k]);
                rc = 2;
                break;
            }
            seen = calloc((size_t)cnt, sizeof *seen);
            if (seen == NULL) rc = 1;
            for (long long i = 0; seen && i < cnt; i++) seen[i] = -1;
        }
        if (rc == 0 && (strcmp(fp, fp0) != 0 || cnt != count0 || (long long)dims[0] != jobs0 ||
                        (long long)dims[1] != outs0 || (long long)nd[0] != noise0)) {
            cfg_say(err, sizeof err, "%s is a shard of a different sweep than %s (sweep file, scenario, design or shard "
                "count differ)", names[k], names[0]);
            rc = 2;
        }
        if (rc == 0 && (idx < 0 || idx >= cnt)) {
            cfg_say(err, sizeof err, "%s: shard index %lld outside 0..%lld", names[k], idx, cnt - 1);
            rc = 2;
        }
        if (rc == 0 && seen[idx] >= 0) {
            cfg_say(err, sizeof err, "shard %lld/%lld given twice: %s and %s", idx, cnt, names[seen[idx]], names[k]);
            rc = 2;
        }
        if (rc == 0) seen[idx] = (int)k;
    }
    for (long long i = 0; rc == 0 && i < count0; i++)
        if (seen[i] < 0) {
            char list[300] = "";
            for (long long j = i; j < count0 && strlen(list) < 250; j++)
                if (seen[j] < 0) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%lld", list[0] ? ", " : "", j);
            cfg_say(err, sizeof err, "missing shard(s) %s of %lld: expected one file per shard 0..%lld", list, count0,
                count0 - 1);
            rc = 2;
        }
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    if (rc == 0) {
        H5Fclose(src[0]);
        src[0] = -1;
        rc = copy_file(names[0], tmp, err, sizeof err);
    }
    hid_t of = rc == 0 ? H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
    if (rc == 0 && of < 0) {
        cfg_say(err, sizeof err, "%s: cannot open", tmp);
        rc = 1;
    }
    size_t missing = 0, first = 0;
    if (rc == 0)
        rc = batch_merge_into(of, names[0], src + 1, n - 1, (size_t)jobs0, (size_t)outs0, noise0 ? "noise" : NULL,
                              (size_t)noise0, 1, names + 1, &missing, &first, err, sizeof err);
    if (rc == 0 && missing > 0) {
        cfg_say(err, sizeof err, "%zu runs are in no shard (first: job %zu): a shard is incomplete; rerun it with --resume",
            missing, first);
        rc = 2;
    }
    if (of >= 0) {
        if (rc == 0) {
            replace_attr_int(of, "shard_index", -1);
            replace_attr_int(of, "shard_count", 0);
        }
        H5Fclose(of);
    }
    for (size_t k = 0; src && k < n; k++)
        if (src[k] >= 0) H5Fclose(src[k]);
    if (rc == 0 && rename(tmp, out) != 0) {
        cfg_say(err, sizeof err, "%s: cannot rename: %s", out, strerror(errno));
        rc = 1;
    }
    if (rc != 0) {
        unlink(tmp);
        fprintf(stderr, "tyndau: %s\n", err);
    } else {
        fprintf(stderr, "merge: wrote %s from %zu shards (%lld runs)\n", out, n, jobs0);
    }
    free(src), free(seen);
    return rc;
}
