/*
 * test_batch.c - unit tests of the run-many engine (src/engine/many.c, batch.c) on jobs that
 * need no model: seeds from coordinates, batches, failures recorded, part files, resume,
 * shards, extra jobs and the merge's refusals.  Each job j writes j * 10 + k into output k
 * (job 7 fails) and counts how often it ran.  Files go to a fresh temporary directory per test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/many.h"
#include "engine/parts.h"
#include "h5.h"
#include "rng.h"
#include "tmpdir.h"

#define N_JOBS 10
#define N_OUT 2
#define N_EXTRA 3

typedef struct {
    char dir[64], out[128];
    int calls[N_JOBS + N_EXTRA];
    many_ctx mc;
} fixture;

static const char *const out_names[N_OUT] = {"a", "b"};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "tyndau-batch"), 0);
    snprintf(f->out, sizeof f->out, "%s/out.h5", f->dir);
    tyndau_error err;
    int argc = 1;
    char *args[] = {"test", NULL}, **argv = args;
    assert_int_equal(many_init(&f->mc, &argc, &argv, 2, &err), TYNDAU_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpdir_remove(f->dir);
    many_finalize(&f->mc);
    free(f);
    return 0;
}

static tyndau_status job(size_t j, double *out, tyndau_error *err, void *user)
{
    fixture *f = user;
#pragma omp atomic
    f->calls[j]++;
    if (j == 7) return TYNDAU_ERR(err, TYNDAU_EINPUT, "job %zu is bad", j);
    for (size_t k = 0; k < N_OUT; k++) out[k] = (double)(j * 10 + k);
    return TYNDAU_OK;
}

static void header(tyndau_h5 *h, void *user)
{
    (void)user;
    tyndau_h5_provenance(h, h->file, &(tyndau_h5_prov){.schema_name = "tyndau-test", .schema_version = "1.0"});
}

static batch_spec spec_of(fixture *f, uint64_t fingerprint)
{
    return (batch_spec){.what = "test", .out = f->out, .quiet = 1, .n_jobs = N_JOBS, .n_out = N_OUT, .batch = 3,
                        .out_names = out_names, .fingerprint = fingerprint, .schema_name = "tyndau-test",
                        .schema_major = 1, .header = header, .job = job, .user = f};
}

/* /runs/y and /runs/status of a file. */
static void read_runs(const char *path, double y[N_JOBS * N_OUT], int st[N_JOBS])
{
    tyndau_error err;
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, path, TYNDAU_H5_READ, &err), TYNDAU_OK);
    tyndau_h5_read(&h, h.file, "/runs/y", TYNDAU_H5_F64, N_JOBS * N_OUT, y);
    tyndau_h5_read(&h, h.file, "/runs/status", TYNDAU_H5_I32, N_JOBS, st);
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
}

static void test_seeds(void **state)
{
    (void)state;
    assert_true(many_seed(1, 101, 2, 3) == many_seed(1, 101, 2, 3));
    assert_true(many_seed(1, 101, 2, 3) != many_seed(1, 101, 3, 2));
    assert_true(many_seed(1, 101, 2, 3) != many_seed(2, 101, 2, 3));
    for (uint64_t c = 0; c < 1000; c++) assert_true(many_seed(0, 0, 0, c) != 0);
}

/* The studies' streams (many_stream) are the model's counter-based generator at the full 64-bit key:
 * draw n at key k is SplitMix64's output n + 1 from state k.  Known answers: the SplitMix64 reference
 * (Vigna, splitmix64.c) from state 1234567, as published (Rosetta Code, "Pseudo-random numbers/
 * Splitmix64"), and from state 0; gsl_rng_get gives the top 32 bits, gsl_rng_uniform the top 53. */
static void test_stream_known_answers(void **state)
{
    (void)state;
    static const uint64_t from_1234567[5] = {6457827717110365317u, 3203168211198807973u, 9817491932198370423u,
                                             4593380528125082431u, 16408922859458223821u};
    static const uint64_t from_0[3] = {0xe220a8397b1dcdafu, 0x6e789e6aa1b965f4u, 0x06c45d188009454fu};
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    assert_non_null(r);
    tyndau_ctr_seek(r, 1234567, 0);
    for (int n = 0; n < 5; n++) assert_true(tyndau_ctr_u64((tyndau_ctr_state *)r->state) == from_1234567[n]);
    tyndau_ctr_seek(r, 0, 0);
    for (int n = 0; n < 3; n++) assert_true(gsl_rng_get(r) == (unsigned long)(from_0[n] >> 32));
    tyndau_ctr_seek(r, 0, 1);
    assert_true(gsl_rng_uniform(r) == (double)(from_0[1] >> 11) * 0x1.0p-53);
    gsl_rng_free(r);
    /* many_stream: the generator at key many_seed(root, a, b, c), position 0, all 64 bits kept:
       keys that differ only above bit 31 give different streams */
    gsl_rng *s = many_stream(5, 7, 11, 13);
    assert_non_null(s);
    const tyndau_ctr_state *st = s->state;
    assert_true(st->key == many_seed(5, 7, 11, 13) && st->pos == 0);
    tyndau_ctr_state ref = {many_seed(5, 7, 11, 13), 0};
    for (int n = 0; n < 4; n++) assert_true(gsl_rng_uniform(s) == tyndau_ctr_uniform(&ref));
    gsl_rng_free(s);
    gsl_rng *a = gsl_rng_alloc(tyndau_rng_ctr), *b = gsl_rng_alloc(tyndau_rng_ctr);
    tyndau_ctr_seek(a, 0x00000001deadbeefu, 0), tyndau_ctr_seek(b, 0x00000002deadbeefu, 0);
    assert_true(gsl_rng_get(a) != gsl_rng_get(b));
    gsl_rng_free(a), gsl_rng_free(b);
}

/* Every job once, in batches over the threads; a failure recorded with its message and NaN. */
static void test_run_and_failures(void **state)
{
    fixture *f = *state;
    batch_spec s = spec_of(f, 1);
    tyndau_error err;
    if (batch_execute(&f->mc, &s, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
    for (int j = 0; j < N_JOBS; j++) assert_int_equal(f->calls[j], 1);
    double y[N_JOBS * N_OUT];
    int st[N_JOBS];
    read_runs(f->out, y, st);
    for (int j = 0; j < N_JOBS; j++) {
        assert_int_equal(st[j], j == 7 ? TYNDAU_EINPUT : 0);
        if (j == 7)
            assert_true(isnan(y[j * N_OUT]) && isnan(y[j * N_OUT + 1]));
        else
            assert_true(y[j * N_OUT + 1] == j * 10 + 1);
    }
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->out, TYNDAU_H5_READ, &err), TYNDAU_OK);
    char *status = tyndau_h5_read_attr_str(&h, h.file, "status");
    assert_string_equal(status, "complete, with failed runs");
    free(status);
    char msg[MANY_ERRLEN];
    hid_t g = H5Gopen2(h.file, "runs", H5P_DEFAULT);
    tyndau_h5_rows(&h, g, "error", TYNDAU_H5_FIXSTR, MANY_ERRLEN, 0, 7, 1, msg);
    H5Gclose(g);
    assert_string_equal(msg, "job 7 is bad");
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_OK);
    assert_int_equal(tmpdir_count(f->dir), 1); /* the part files are gone */
}

/* Dataset `name` of file read whole in the file's own type into buf. */
static void read_raw(hid_t file, const char *name, hid_t type, void *buf)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT), t = type >= 0 ? type : H5Dget_type(ds);
    assert_true(ds >= 0 && t >= 0 && H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    if (type < 0) H5Tclose(t);
    H5Dclose(ds);
}

/* What a kill after job 3 leaves, made from a complete output: rows 4.. marked not run, the
 * others with the row digests of a part file (engine/parts.h), and no content digest (a part
 * file, written in place, has none). */
static void make_part(const char *part)
{
    hid_t file = H5Fopen(part, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0 && H5Adelete(file, "content_digest") >= 0);
    static double y[N_JOBS * N_OUT], sec[N_JOBS];
    static int st[N_JOBS];
    static char e[N_JOBS][MANY_ERRLEN];
    static uint64_t dg[N_JOBS];
    read_raw(file, "/runs/y", H5T_NATIVE_DOUBLE, y);
    read_raw(file, "/runs/status", H5T_NATIVE_INT, st);
    read_raw(file, "/timing/seconds", H5T_NATIVE_DOUBLE, sec);
    read_raw(file, "/runs/error", -1, e);
    for (int j = 0; j < N_JOBS; j++) {
        dg[j] = j < 4 ? part_row_digest((size_t)j, st[j], y + j * N_OUT, N_OUT, e[j], sec[j]) : 0;
        if (j >= 4) st[j] = -1;
    }
    hid_t ds = H5Dopen2(file, "/runs/status", H5P_DEFAULT);
    assert_true(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) >= 0);
    H5Dclose(ds);
    hsize_t n = N_JOBS;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    ds = H5Dcreate2(file, "/runs/digest", H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, dg) >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(file);
}

/* A run killed after some jobs leaves its part file (make_part); --resume runs only the others
 * and gives the same file; a complete output is left as it is; a part of other inputs is
 * refused; without --resume a stale part goes. */
static void test_resume(void **state)
{
    fixture *f = *state;
    batch_spec s = spec_of(f, 2);
    tyndau_error err;
    assert_int_equal(batch_execute(&f->mc, &s, &err), TYNDAU_OK);
    double y0[N_JOBS * N_OUT], y1[N_JOBS * N_OUT];
    int st0[N_JOBS], st1[N_JOBS];
    read_runs(f->out, y0, st0);
    char part[160], cmd[600];
    snprintf(part, sizeof part, "%s.partial.0", f->out);
    snprintf(cmd, sizeof cmd, "cp %s %s", f->out, part);
    assert_int_equal(system(cmd), 0);
    unlink(f->out);
    make_part(part);

    memset(f->calls, 0, sizeof f->calls);
    s.resume = 1;
    if (batch_execute(&f->mc, &s, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
    for (int j = 0; j < N_JOBS; j++) assert_int_equal(f->calls[j], j >= 4);
    read_runs(f->out, y1, st1);
    assert_memory_equal(st0, st1, sizeof st0);
    for (int k = 0; k < N_JOBS * N_OUT; k++) assert_true(y0[k] == y1[k] || (isnan(y0[k]) && isnan(y1[k])));
    assert_int_equal(access(part, F_OK), -1);

    memset(f->calls, 0, sizeof f->calls); /* complete already: nothing runs */
    assert_int_equal(batch_execute(&f->mc, &s, &err), TYNDAU_OK);
    for (int j = 0; j < N_JOBS; j++) assert_int_equal(f->calls[j], 0);

    /* a part whose row 2 changed after it was written: set aside, its jobs run again, the same file */
    assert_int_equal(system(cmd), 0);
    unlink(f->out);
    make_part(part);
    hid_t file = H5Fopen(part, H5F_ACC_RDWR, H5P_DEFAULT), ds = H5Dopen2(file, "/runs/y", H5P_DEFAULT);
    double yd[N_JOBS * N_OUT];
    assert_true(ds >= 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, yd) >= 0);
    yd[2 * N_OUT] += 1;
    assert_true(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, yd) >= 0);
    H5Dclose(ds);
    H5Fclose(file);
    memset(f->calls, 0, sizeof f->calls);
    if (batch_execute(&f->mc, &s, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
    for (int j = 0; j < N_JOBS; j++) assert_int_equal(f->calls[j], 1);
    read_runs(f->out, y1, st1);
    assert_memory_equal(st0, st1, sizeof st0);
    for (int k = 0; k < N_JOBS * N_OUT; k++) assert_true(y0[k] == y1[k] || (isnan(y0[k]) && isnan(y1[k])));
    char aside[200];
    snprintf(aside, sizeof aside, "%s.damaged", part);
    assert_int_equal(access(aside, F_OK), 0);
    unlink(aside);

    assert_int_equal(system(cmd), 0); /* a part file of other inputs is refused */
    s.fingerprint = 3;
    assert_int_equal(batch_execute(&f->mc, &s, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "is not a part of this test (different input files)"));
    s.resume = 0; /* without --resume the stale part goes and the run starts afresh */
    assert_int_equal(batch_execute(&f->mc, &s, &err), TYNDAU_OK);
    assert_int_equal(tmpdir_count(f->dir), 1);
}

/* Shards run only their jobs; extra jobs live in their own group; merging refuses overlaps. */
static void test_shards_extra_merge(void **state)
{
    fixture *f = *state;
    batch_spec s = spec_of(f, 4);
    s.n_extra = N_EXTRA, s.extra_group = "extra", s.extra_desc = "extra jobs";
    char shard[2][160];
    tyndau_error err;
    for (int i = 0; i < 2; i++) {
        snprintf(shard[i], sizeof shard[i], "%s/shard%d.h5", f->dir, i);
        s.out = shard[i], s.shard_i = i, s.shard_n = 2;
        memset(f->calls, 0, sizeof f->calls);
        if (batch_execute(&f->mc, &s, &err) != TYNDAU_OK) fail_msg("%s", err.msg);
        for (int j = 0; j < N_JOBS + N_EXTRA; j++) assert_int_equal(f->calls[j], j % 2 == i);
    }
    tyndau_h5 src[2], out;
    for (int i = 0; i < 2; i++) assert_int_equal(tyndau_h5_open(&src[i], shard[i], TYNDAU_H5_READ, &err), TYNDAU_OK);
    /* shard 1 merged into a copy of shard 0: every job, in both groups */
    assert_int_equal(tyndau_h5_open_copy(&out, f->out, shard[0], &err), TYNDAU_OK);
    size_t missing = 99, first = 99;
    assert_int_equal(batch_merge_into(&out, &src[1], 1, N_JOBS, N_OUT, "extra", N_EXTRA, 1, &missing, &first),
                     TYNDAU_OK);
    assert_int_equal(missing, 0);
    assert_int_equal(tyndau_h5_close(&out), TYNDAU_OK);
    double y[N_JOBS * N_OUT], ey[N_EXTRA * N_OUT];
    int st[N_JOBS];
    read_runs(f->out, y, st);
    for (int j = 0; j < N_JOBS; j++) assert_int_equal(st[j], j == 7 ? 2 : 0);
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->out, TYNDAU_H5_READ, &err), TYNDAU_OK);
    tyndau_h5_read(&h, h.file, "/extra/y", TYNDAU_H5_F64, N_EXTRA * N_OUT, ey);
    assert_int_equal(tyndau_h5_size(&h, h.file, "/timing/extra_seconds"), N_EXTRA);
    tyndau_h5_close(&h);
    for (int k = 0; k < N_EXTRA; k++) assert_true(ey[k * N_OUT] == (N_JOBS + k) * 10);
    /* the same shard twice overlaps; alone, half the jobs are missing */
    assert_int_equal(tyndau_h5_open_copy(&out, f->out, shard[0], &err), TYNDAU_OK);
    assert_int_equal(batch_merge_into(&out, &src[0], 1, N_JOBS, N_OUT, "extra", N_EXTRA, 1, &missing, &first),
                     TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "overlapping files: job 0 is in both"));
    tyndau_h5_close(&out);
    assert_int_equal(tyndau_h5_open_copy(&out, f->out, shard[0], &err), TYNDAU_OK);
    assert_int_equal(batch_merge_into(&out, NULL, 0, N_JOBS, N_OUT, "extra", N_EXTRA, 1, &missing, &first), TYNDAU_OK);
    assert_int_equal(missing, 6); /* 5 of /runs and 1 of /extra */
    assert_int_equal(first, 1);
    tyndau_h5_close(&out);
    for (int i = 1; i >= 0; i--) tyndau_h5_close(&src[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_stream_known_answers),
        cmocka_unit_test_setup_teardown(test_run_and_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shards_extra_merge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
