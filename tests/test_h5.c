/*
 * test_h5.c - unit tests of the HDF5 layer (model/h5.c): what every dataset carries, the
 * dimension scales, provenance, rows written in place, the readers, the schema check and
 * atomic files.  Files go to a fresh temporary directory per test, removed afterwards.
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

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5.h"
#include "tmpdir.h"

typedef struct {
    char dir[64], path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "tyndau-h5"), 0);
    snprintf(f->path, sizeof f->path, "%s/f.h5", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static const char *const names[3] = {"alpha", "beta", "gamma"};

/* A file with a coordinate in days, a coded axis, a 2-D and a text dataset. */
static void write_sample(const char *path)
{
    tyndau_error err;
    tyndau_error_clear(&err);
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    tyndau_h5_provenance(&h, h.file, &(tyndau_h5_prov){.schema_name = "tyndau-test", .schema_version = "3.1",
                                                        .seed = 18446744073709551615ull, .threads = 2,
                                                        .command_line = "tyndau test", .scenario_text = "x = 1"});
    tyndau_h5_axis_codes(&h, "kind", "kind_codes", "alpha,beta,gamma", 1);
    hid_t g = tyndau_h5_group(&h, h.file, "series", "Daily values.");
    int32_t day[20];
    double v[20 * 3];
    for (int i = 0; i < 20; i++) day[i] = i;
    for (int i = 0; i < 60; i++) v[i] = i * 0.5;
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "day", .kind = TYNDAU_H5_I32, .rank = 1, .dims = {20},
                                               .data = day, .description = "Day.", .units = "days since 2019-08-01",
                                               .axes = "day", .calendar = "proleptic_gregorian"});
    tyndau_h5_write(&h, g, &(tyndau_h5_dspec){.name = "value", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {20, 3},
                                               .data = v, .description = "A value.", .units = "agents",
                                               .axes = "day,kind"});
    tyndau_h5_vector(&h, g, "label", TYNDAU_H5_STR, 3, names, "row", "Labels.", "none");
    tyndau_h5_close_obj(&h, g);
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
}

static void test_dataset_layout(void **state)
{
    fixture *f = *state;
    write_sample(f->path);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t ds = H5Dopen2(file, "/series/value", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_nfilters(dcpl), 3); /* floats: shuffle, deflate, Fletcher-32 */
    unsigned flags, cd[8];
    size_t n_cd = 8;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &n_cd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
    H5Pclose(dcpl);
    /* every axis has a scale named after it: the coordinate day, the labels of kind */
    char name[64];
    assert_int_equal(H5DSget_num_scales(ds, 0), 1);
    assert_int_equal(H5DSget_num_scales(ds, 1), 1);
    hid_t day = H5Dopen2(file, "/series/day", H5P_DEFAULT), kind = H5Dopen2(file, "/series/kind", H5P_DEFAULT);
    assert_true(H5DSis_attached(ds, day, 0) > 0);
    assert_true(H5DSis_attached(ds, kind, 1) > 0);
    assert_true(H5DSget_scale_name(day, name, sizeof name) > 0);
    assert_string_equal(name, "day");
    assert_true(H5Aexists(ds, "kind_codes") > 0 && H5Aexists(ds, "description") > 0 && H5Aexists(ds, "units") > 0);
    assert_true(H5Aexists(day, "calendar") > 0);
    char *kinds[3];
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    assert_true(H5Dread(kind, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, kinds) >= 0);
    assert_string_equal(kinds[2], "gamma");
    for (int i = 0; i < 3; i++) H5free_memory(kinds[i]);
    H5Tclose(t);
    H5Dclose(kind), H5Dclose(day), H5Dclose(ds);
    /* an axis without names: a scale that is no variable (netCDF-4), described all the same */
    hid_t row = H5Dopen2(file, "/series/row", H5P_DEFAULT);
    assert_true(H5DSis_scale(row) > 0);
    assert_true(H5DSget_scale_name(row, name, sizeof name) > 0);
    assert_non_null(strstr(name, "This is a netCDF dimension but not a netCDF variable."));
    assert_true(H5Aexists(row, "description") > 0 && H5Aexists(row, "units") > 0);
    H5Dclose(row);
    H5Fclose(file);
}

/* Integers go through scale-offset and come back exactly, the extremes of each type included
 * (full-range 64-bit seeds need every bit). */
static void test_integers_lossless(void **state)
{
    fixture *f = *state;
    enum { N = 40 };
    int32_t a[N], a2[N];
    int64_t b[N], b2[N];
    uint64_t c[N], c2[N];
    for (int i = 0; i < N; i++) {
        a[i] = i % 3 == 0 ? INT32_MIN : i % 3 == 1 ? INT32_MAX : i - 20;
        b[i] = i % 3 == 0 ? INT64_MIN : i % 3 == 1 ? INT64_MAX : (int64_t)i * 1000003;
        c[i] = i % 3 == 0 ? (uint64_t)0 : i % 3 == 1 ? (uint64_t)UINT64_MAX : (uint64_t)0x9e3779b97f4a7c15ull * (uint64_t)i;
    }
    tyndau_error err;
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    tyndau_h5_vector(&h, h.file, "a", TYNDAU_H5_I32, N, a, "n", "A.", "none");
    tyndau_h5_vector(&h, h.file, "b", TYNDAU_H5_I64, N, b, "n", "B.", "none");
    tyndau_h5_vector(&h, h.file, "c", TYNDAU_H5_U64, N, c, "n", "C.", "none");
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_READ, &err), TYNDAU_OK);
    tyndau_h5_read(&h, h.file, "a", TYNDAU_H5_I32, N, a2);
    tyndau_h5_read(&h, h.file, "b", TYNDAU_H5_I64, N, b2);
    tyndau_h5_read(&h, h.file, "c", TYNDAU_H5_U64, N, c2);
    hid_t ds = H5Dopen2(h.file, "c", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ds);
    unsigned flags, cd[8];
    size_t n_cd = 8;
    assert_int_equal(H5Pget_nfilters(dcpl), 2);
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &n_cd, cd, 0, NULL, NULL), H5Z_FILTER_SCALEOFFSET);
    H5Pclose(dcpl);
    H5Dclose(ds);
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
    assert_memory_equal(a, a2, sizeof a);
    assert_memory_equal(b, b2, sizeof b);
    assert_memory_equal(c, c2, sizeof c);
}

static void test_provenance_and_readers(void **state)
{
    fixture *f = *state;
    write_sample(f->path);
    tyndau_error err;
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_READ, &err), TYNDAU_OK);
    static const char *const prov[] = {"schema_name", "schema_version", "program", "program_version", "git_commit",
                                       "compiler",    "cflags",         "gsl_version", "hdf5_version", "mpi_version",
                                       "seed",        "rng",            "threads",     "ranks",        "created",
                                       "command_line", "scenario_source", "scenario_text"};
    for (size_t k = 0; k < sizeof prov / sizeof *prov; k++)
        if (H5Aexists(h.file, prov[k]) <= 0) fail_msg("no root attribute %s", prov[k]);
    uint64_t seed = 0;
    assert_int_equal(tyndau_h5_read_attr_u64(&h, h.file, "seed", &seed), 1);
    assert_true(seed == 18446744073709551615ull);
    char *s = tyndau_h5_read_attr_str(&h, h.file, "seed"); /* a number reads as its text */
    assert_string_equal(s, "18446744073709551615");
    free(s);
    assert_null(tyndau_h5_read_attr_str(&h, h.file, "no_such"));
    assert_int_equal(h.st, TYNDAU_OK);
    int64_t threads = 0;
    assert_int_equal(tyndau_h5_read_attr_i64(&h, h.file, "threads", &threads), 1);
    assert_int_equal(threads, 2);
    size_t n = 0;
    char **lab = tyndau_h5_read_strs(&h, h.file, "/series/label", &n);
    assert_int_equal(n, 3);
    assert_string_equal(lab[1], "beta");
    tyndau_h5_free_strs(lab, n);
    assert_int_equal(tyndau_h5_size(&h, h.file, "/series/value"), 60);
    assert_int_equal(tyndau_h5_size(&h, h.file, "/series/none"), 0);
    double v[60];
    tyndau_h5_read(&h, h.file, "/series/value", TYNDAU_H5_F64, 60, v);
    assert_true(v[59] == 29.5);
    int major = 0;
    assert_int_equal(tyndau_h5_check_schema(&h, "tyndau-test", "a test file", 3, 3, &major), TYNDAU_OK);
    assert_int_equal(major, 3);
    tyndau_h5_read(&h, h.file, "/series/value", TYNDAU_H5_F64, 59, v); /* the wrong size */
    assert_int_equal(h.st, TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "/series/value has 60 values, expected 59"));
    tyndau_h5_close(&h);

    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_READ, &err), TYNDAU_OK);
    assert_int_equal(tyndau_h5_check_schema(&h, "tyndau-test", "a test file", 1, 2, NULL), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "schema version '3.1' is not supported (this program reads 1.x to 2.x)"));
    tyndau_h5_close(&h);
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_READ, &err), TYNDAU_OK);
    assert_int_equal(tyndau_h5_check_schema(&h, "tyndau-sweep", "a tyndau sweep file", 1, 1, NULL), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "not a tyndau sweep file"));
    tyndau_h5_close(&h);
}

/* Rows written in place: allocated and filled at creation, no filters; read back by rows.  The
 * part file is made under a temporary name (a kill while its layout is written leaves nothing
 * under the name) and carries no content digest (its rows change after). */
static void test_rows_in_place(void **state)
{
    fixture *f = *state;
    tyndau_error err;
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE_PART, &err), TYNDAU_OK);
    assert_int_equal(access(f->path, F_OK), -1);
    double nan = NAN;
    char empty[8] = "";
    tyndau_h5_write(&h, h.file, &(tyndau_h5_dspec){.name = "y", .kind = TYNDAU_H5_F64, .rank = 2, .dims = {100, 2},
                                                    .fill = &nan, .in_place = 1, .description = "y", .units = "none",
                                                    .axes = "job,output"});
    tyndau_h5_write(&h, h.file, &(tyndau_h5_dspec){.name = "e", .kind = TYNDAU_H5_FIXSTR, .len = 8, .rank = 1,
                                                    .dims = {100}, .fill = empty, .in_place = 1, .description = "e",
                                                    .units = "none", .axes = "job"});
    assert_int_equal(access(f->path, F_OK), -1);
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_OK);
    assert_int_equal(access(f->path, F_OK), 0);
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_RDWR, &err), TYNDAU_OK);
    assert_int_equal(H5Aexists(h.file, "content_digest"), 0);
    double row[4] = {1, 2, 3, 4};
    char msg[2][8] = {"bad", "worse"};
    tyndau_h5_rows(&h, h.file, "y", TYNDAU_H5_F64, 0, 1, 50, 2, row);
    tyndau_h5_rows(&h, h.file, "e", TYNDAU_H5_FIXSTR, 8, 1, 98, 2, msg);
    tyndau_h5_flush(&h);
    double back[6];
    tyndau_h5_rows(&h, h.file, "y", TYNDAU_H5_F64, 0, 0, 49, 3, back);
    assert_true(isnan(back[0]) && back[2] == 1 && back[5] == 4);
    tyndau_h5_rows(&h, h.file, "y", TYNDAU_H5_F64, 0, 0, 99, 2, back); /* past the end */
    assert_int_equal(h.st, TYNDAU_EINTERNAL);
    assert_non_null(strstr(err.msg, "has 100 rows"));
    tyndau_h5_close(&h);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "/y", H5P_DEFAULT), dcpl = H5Dget_create_plist(ds);
    assert_int_equal(H5Pget_nfilters(dcpl), 0);
    H5D_alloc_time_t at;
    H5Pget_alloc_time(dcpl, &at);
    assert_int_equal(at, H5D_ALLOC_TIME_EARLY);
    H5Pclose(dcpl), H5Dclose(ds), H5Fclose(file);
}

/* A failed file leaves nothing behind, an earlier file under the name included. */
/* A scale's back references: written when its group closes, and kept when a later handle
 * attaches another dataset to it (the REFERENCE_LIST then holds both). */
static void test_attach_later(void **state)
{
    fixture *f = *state;
    tyndau_error err;
    tyndau_h5 h;
    int32_t v[4] = {1, 2, 3, 4};
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    hid_t g = tyndau_h5_group(&h, h.file, "g", "A group.");
    tyndau_h5_vector(&h, g, "a", TYNDAU_H5_I32, 4, v, "n", "A.", "none");
    tyndau_h5_close_obj(&h, g);
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_RDWR, &err), TYNDAU_OK);
    g = H5Gopen2(h.file, "g", H5P_DEFAULT);
    assert_true(g >= 0);
    tyndau_h5_vector(&h, g, "b", TYNDAU_H5_I32, 4, v, "n", "B.", "none");
    tyndau_h5_close_obj(&h, g);
    if (tyndau_h5_close(&h) != TYNDAU_OK) fail_msg("%s", err.msg);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = H5Dopen2(file, "/g/a", H5P_DEFAULT), b = H5Dopen2(file, "/g/b", H5P_DEFAULT);
    hid_t n = H5Dopen2(file, "/g/n", H5P_DEFAULT);
    assert_true(a >= 0 && b >= 0 && n >= 0);
    assert_true(H5DSis_attached(a, n, 0) > 0);
    assert_true(H5DSis_attached(b, n, 0) > 0);
    hid_t ref = H5Aopen(n, "REFERENCE_LIST", H5P_DEFAULT), space = H5Aget_space(ref);
    assert_int_equal(H5Sget_simple_extent_npoints(space), 2);
    H5Sclose(space), H5Aclose(ref);
    H5Dclose(n), H5Dclose(b), H5Dclose(a);
    H5Fclose(file);
}

static void test_atomic(void **state)
{
    fixture *f = *state;
    write_sample(f->path);
    tyndau_error err;
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    assert_int_equal(tmpdir_count(f->dir), 2); /* the old file and the temporary */
    tyndau_h5_vector(&h, h.file, "x", TYNDAU_H5_I32, 2, (int[]){1, 2}, "x,y", "x", "none");
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_EINTERNAL);
    assert_non_null(strstr(err.msg, "does not name"));
    assert_int_equal(tmpdir_count(f->dir), 1);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT); /* the old one, whole */
    assert_true(file >= 0 && H5Lexists(file, "series", H5P_DEFAULT) > 0);
    H5Fclose(file);
    /* a caller's own failure, and an axis whose scale has another length */
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    tyndau_h5_vector(&h, h.file, "a", TYNDAU_H5_I32, 2, (int[]){1, 2}, "n", "a", "none");
    tyndau_h5_vector(&h, h.file, "b", TYNDAU_H5_I32, 3, (int[]){1, 2, 3}, "n", "b", "none");
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_EINTERNAL);
    assert_non_null(strstr(err.msg, "axis 'n' of /b has 3 entries"));
    char path[256];
    snprintf(path, sizeof path, "%s/no/dir/f.h5", f->dir);
    assert_int_equal(tyndau_h5_open(&h, path, TYNDAU_H5_CREATE, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "cannot write output: No such file or directory"));
    tyndau_h5_close(&h);
    assert_int_equal(tyndau_h5_open(&h, path, TYNDAU_H5_READ, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "cannot read: No such file or directory"));
    tyndau_h5_close(&h);
    assert_int_equal(tmpdir_count(f->dir), 1);
}

/* The probe: a file written whole passes; one whose small (unchecksummed) dataset changed
 * afterwards fails on its content digest; without the digest it is only walked; a file that is
 * not HDF5 is left to the reader's own open. */
static void test_probe(void **state)
{
    fixture *f = *state;
    tyndau_error err;
    tyndau_error_clear(&err);
    write_sample(f->path);
    tyndau_h5 h;
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_RDWR, &err), TYNDAU_OK);
    tyndau_h5_vector(&h, h.file, "small", TYNDAU_H5_I32, 3, (int[]){1, 2, 3}, "three", "Three values.", "none");
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_OK);
    /* written in place afterwards: the digest of the file written whole no longer holds */
    assert_int_equal(tyndau_h5_probe(f->path, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "content_digest"));
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_CREATE, &err), TYNDAU_OK);
    tyndau_h5_vector(&h, h.file, "small", TYNDAU_H5_I32, 3, (int[]){1, 2, 3}, "three", "Three values.", "none");
    assert_int_equal(tyndau_h5_close(&h), TYNDAU_OK);
    assert_int_equal(tyndau_h5_probe(f->path, &err), TYNDAU_OK);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT), ds = H5Dopen2(file, "small", H5P_DEFAULT);
    assert_true(file >= 0 && ds >= 0);
    assert_true(H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, (int[]){1, 2, 4}) >= 0);
    H5Dclose(ds);
    H5Fclose(file);
    assert_int_equal(tyndau_h5_probe(f->path, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "f.h5: damaged (what it holds does not match its content_digest"));
    file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0 && H5Adelete(file, "content_digest") >= 0);
    H5Fclose(file);
    assert_int_equal(tyndau_h5_probe(f->path, &err), TYNDAU_OK);
    FILE *t = fopen(f->path, "w");
    assert_non_null(t);
    fputs("not HDF5\n", t);
    fclose(t);
    assert_int_equal(tyndau_h5_probe(f->path, &err), TYNDAU_OK);
    assert_int_equal(tyndau_h5_open(&h, f->path, TYNDAU_H5_READ, &err), TYNDAU_EINPUT);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
    tyndau_h5_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dataset_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integers_lossless, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provenance_and_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
