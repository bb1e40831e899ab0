/*
 * h5probe.c - a file read back, walked first in a child process (h5.h, tyndau_h5_probe).
 *
 * Why a child.  Bytes flipped in HDF5's own metadata (an object header, a B-tree node, the
 * global heap of variable-length text) can crash the HDF5 library itself (SIGSEGV, an
 * assertion, an endless loop) instead of giving an error: no check of ours inside the process
 * can prevent that.  So before a command trusts a file it reads back, a forked child opens it
 * and does everything a reader could do to it: it visits every object (groups by their links,
 * depth-first), reads every attribute whole, and of every dataset its type, dataspace and
 * filter pipeline and then all of its data in blocks of rows (so that Fletcher-32 checksums
 * are verified and compressed chunks decoded).  The child exits 0 when all of that worked; when
 * it dies of a signal, runs past its time limit or meets an error, the parent refuses the file.
 * The child also recomputes the file's content digest (tyndau_h5_content_digest: FNV-1a 64
 * over every value the walk reads, in a fixed order) and compares it with the root attribute
 * content_digest that tyndau_h5_close writes into every file written whole: variable-length
 * text (in HDF5's global heap), attributes and datasets of up to 16 elements have no HDF5
 * checksum, and a flipped byte there would otherwise be read as a valid value.  Files without
 * the attribute (earlier versions, part files: those have row digests, src/engine/parts.h)
 * are only walked.  The child writes nothing (its stdout and stderr are /dev/null) and leaves
 * by _exit, so neither the parent's buffered output nor its open HDF5 files are flushed twice.
 * The parent does not touch the file with HDF5 at all: even the test for an HDF5 file (its
 * signature) is the child's.
 *
 * The probe must run before the parent opens the file itself: HDF5 shares one open file
 * between handles of the same process, and the child inherits the parent's.  It uses no state
 * of its own (a function the program calls; the library stays re-entrant), but it forks:
 * call it from the program's one thread between parallel regions, as any HDF5 call.
 */
#include "h5.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5_private.h"

#define PROBE_BLOCK (16u << 20)        /* bytes of a dataset read at once */
#define PROBE_MAX_ATTR (64u << 20)     /* an attribute larger than this is not one tyndau wrote */
#define PROBE_MAX_DEPTH 32             /* groups within groups: deeper is a cycle of links */
#define PROBE_MAX_OBJECTS 1000000      /* objects visited: more is a cycle of links */

/* exit codes of the child */
enum { PROBE_OK = 0, PROBE_BROKEN = 1, PROBE_UNOPENED = 3, PROBE_CHANGED = 4 };

typedef struct {
    long objects;
    uint64_t hash; /* the content digest so far (FNV-1a 64) */
} probe_walk;

static void mix(probe_walk *w, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) w->hash = (w->hash ^ b[i]) * UINT64_C(0x100000001b3);
}

static int vlen_in(hid_t mtype)
{
    return H5Tdetect_class(mtype, H5T_VLEN) > 0 || H5Tis_variable_str(mtype) > 0;
}

static int reclaim(hid_t mtype, hid_t space, void *buf)
{
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(mtype, space, H5P_DEFAULT, buf) < 0 ? -1 : 0;
#else
    return H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf) < 0 ? -1 : 0;
#endif
}

/* The type values are read in: the file's own type (its bytes as stored, whatever the
 * machine), except for variable-length types, read as the machine's. */
static hid_t read_type(hid_t ft, int *vlen)
{
    *vlen = vlen_in(ft);
    return *vlen ? H5Tget_native_type(ft, H5T_DIR_ASCEND) : H5Tcopy(ft);
}

/* n values read in mtype into the digest: their bytes; variable-length text string by string
 * (the pointers are this process's); other variable-length values (netCDF's DIMENSION_LIST
 * of references) only by their count. */
static void mix_values(probe_walk *w, hid_t mtype, int vlen, const void *buf, size_t n)
{
    size_t size = H5Tget_size(mtype);
    if (!vlen) {
        mix(w, buf, n * size);
    } else if (H5Tis_variable_str(mtype) > 0) {
        for (size_t i = 0; i < n; i++) {
            const char *t = ((const char *const *)buf)[i];
            mix(w, t != NULL ? t : "", t != NULL ? strlen(t) + 1 : 0);
        }
    } else {
        uint64_t m = n;
        mix(w, &m, sizeof m);
    }
}

static void mix_space(probe_walk *w, hid_t sp)
{
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK] = {0};
    if (rank > 0 && rank <= H5S_MAX_RANK) H5Sget_simple_extent_dims(sp, dims, NULL);
    int32_t r = rank;
    mix(w, &r, sizeof r);
    mix(w, dims, (size_t)(rank > 0 && rank <= H5S_MAX_RANK ? rank : 0) * sizeof *dims);
}

typedef struct {
    probe_walk *w;
    int root; /* the root's attribute TYNDAU_H5_DIGEST_ATTR is not part of the digest */
} attr_walk;

/* Read attribute `name` of loc whole into the digest: 0 or -1. */
static herr_t read_attr(hid_t loc, const char *name, const H5A_info_t *info, void *user)
{
    (void)info;
    attr_walk *aw = user;
    if (aw->root && strcmp(name, TYNDAU_H5_DIGEST_ATTR) == 0) return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), ft = -1, mt = -1, sp = -1;
    int rc = -1, vlen = 0;
    void *buf = NULL;
    if (a < 0 || (ft = H5Aget_type(a)) < 0 || (mt = read_type(ft, &vlen)) < 0 || (sp = H5Aget_space(a)) < 0) goto out;
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    size_t size = H5Tget_size(mt);
    if (n < 0 || size == 0 || (size_t)n > PROBE_MAX_ATTR / size) goto out;
    mix(aw->w, name, strlen(name) + 1);
    mix_space(aw->w, sp);
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if ((buf = calloc((size_t)n, size)) == NULL || H5Aread(a, mt, buf) < 0) goto out;
    mix_values(aw->w, mt, vlen, buf, (size_t)n);
    rc = vlen ? reclaim(mt, sp, buf) : 0;
out:
    free(buf);
    if (sp >= 0) H5Sclose(sp);
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* A dataset's type, space, filters and all of its data, in blocks of rows: 0 or -1. */
static int read_dataset(hid_t ds, probe_walk *w)
{
    hid_t ft = H5Dget_type(ds), mt = -1, sp = H5Dget_space(ds), pl = H5Dget_create_plist(ds), ms = -1;
    int rc = -1, vlen = 0;
    char *buf = NULL;
    if (ft < 0 || sp < 0 || pl < 0 || (mt = read_type(ft, &vlen)) < 0) goto out;
    int nf = H5Pget_nfilters(pl);
    for (int k = 0; k < nf; k++) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        char fname[64];
        if (H5Pget_filter2(pl, (unsigned)k, &flags, &ncd, cd, sizeof fname, fname, NULL) < 0) goto out;
    }
    if (nf < 0) goto out;
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK];
    size_t size = H5Tget_size(mt);
    if (rank < 0 || rank > H5S_MAX_RANK || size == 0 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) goto out;
    mix_space(w, sp);
    if (rank == 0) { /* a scalar (or a null dataspace: nothing to read) */
        if (H5Sget_simple_extent_type(sp) == H5S_NULL) {
            rc = 0;
            goto out;
        }
        if ((buf = calloc(1, size)) == NULL || H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) goto out;
        mix_values(w, mt, vlen, buf, 1);
        rc = vlen ? reclaim(mt, sp, buf) : 0;
        goto out;
    }
    size_t row = size, per_row = 1; /* bytes and values of one row: every axis but the first */
    for (int d = 1; d < rank; d++) {
        if (dims[d] != 0 && row > PROBE_BLOCK / dims[d]) goto out; /* a row this large is no file of ours */
        row *= (size_t)dims[d], per_row *= (size_t)dims[d];
    }
    if (row == 0 || dims[0] == 0) {
        rc = 0;
        goto out;
    }
    hsize_t per = PROBE_BLOCK / row ? PROBE_BLOCK / row : 1, start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
    if (per > dims[0]) per = dims[0];
    if ((buf = malloc((size_t)per * row)) == NULL) goto out;
    memcpy(count, dims, sizeof count);
    rc = 0;
    for (hsize_t a = 0; rc == 0 && a < dims[0]; a += per) {
        start[0] = a;
        count[0] = dims[0] - a < per ? dims[0] - a : per;
        ms = H5Screate_simple(rank, count, NULL);
        if (ms < 0 || H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(ds, mt, ms, sp, H5P_DEFAULT, buf) < 0) {
            rc = -1;
        } else {
            mix_values(w, mt, vlen, buf, (size_t)count[0] * per_row);
            if (vlen && reclaim(mt, ms, buf) < 0) rc = -1;
        }
        if (ms >= 0) H5Sclose(ms);
        ms = -1;
    }
out:
    free(buf);
    if (pl >= 0) H5Pclose(pl);
    if (sp >= 0) H5Sclose(sp);
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    return rc;
}

/* Object obj: its attributes, its data (a dataset) or its members (a group, by name),
 * recursively, everything read into the digest. */
static int walk(hid_t obj, probe_walk *w, int depth)
{
    if (++w->objects > PROBE_MAX_OBJECTS || depth > PROBE_MAX_DEPTH) return -1;
    hsize_t at = 0;
    attr_walk aw = {w, depth == 0};
    if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &at, read_attr, &aw) < 0) return -1;
    H5I_type_t t = H5Iget_type(obj);
    if (t == H5I_DATASET) return read_dataset(obj, w);
    if (t != H5I_GROUP) return t == H5I_DATATYPE ? 0 : -1;
    H5G_info_t gi;
    if (H5Gget_info(obj, &gi) < 0) return -1;
    for (hsize_t k = 0; k < gi.nlinks; k++) {
        char name[1024];
        ssize_t len = H5Lget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, k, name, sizeof name, H5P_DEFAULT);
        if (len < 0 || (size_t)len >= sizeof name) return -1;
        H5L_info_t li;
        if (H5Lget_info(obj, name, &li, H5P_DEFAULT) < 0) return -1;
        if (li.type != H5L_TYPE_HARD) continue; /* tyndau writes none; a soft link names no data */
        mix(w, name, (size_t)len + 1);
        hid_t o = H5Oopen(obj, name, H5P_DEFAULT);
        if (o < 0) return -1;
        int rc = walk(o, w, depth + 1);
        H5Oclose(o);
        if (rc < 0) return -1;
    }
    return 0;
}

int tyndau_h5_content_digest(hid_t file, uint64_t *digest)
{
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    probe_walk w = {0, UINT64_C(0xcbf29ce484222325)};
    int rc = root >= 0 ? walk(root, &w, 0) : -1;
    if (root >= 0 && H5Gclose(root) < 0) rc = -1;
    *digest = w.hash;
    return rc;
}

/* The child: never returns. */
static void probe_child(const char *path, unsigned seconds)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    signal(SIGALRM, SIG_DFL);
    alarm(seconds);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0) _exit(PROBE_UNOPENED);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) _exit(PROBE_UNOPENED);
    uint64_t got = 0, stored = 0;
    int rc = tyndau_h5_content_digest(f, &got);
    /* a file written whole records its digest (files of earlier versions do not) */
    htri_t has = rc == 0 ? H5Aexists(f, TYNDAU_H5_DIGEST_ATTR) : 0;
    if (has < 0) rc = -1;
    if (has > 0) {
        hid_t a = H5Aopen(f, TYNDAU_H5_DIGEST_ATTR, H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, &stored) < 0) rc = -1;
        else if (stored != got) rc = -2;
        if (a >= 0) H5Aclose(a);
    }
    if (H5Fclose(f) < 0) rc = -1;
    _exit(rc == 0 ? PROBE_OK : rc == -2 ? PROBE_CHANGED : PROBE_BROKEN);
}

tyndau_status tyndau_h5_probe(const char *path, tyndau_error *err)
{
    struct stat sb;
    /* what is not a regular HDF5 file the reader's own open refuses, with its own message */
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || access(path, R_OK) != 0) return TYNDAU_OK;
    /* a minute, and a second per 4 MiB more: reading is far faster than that, an endless loop is not */
    unsigned seconds = 60u + (unsigned)((unsigned long long)sb.st_size / (4u << 20));
    pid_t pid = fork();
    if (pid < 0)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot check the file: fork: %s", path, strerror(errno));
    if (pid == 0) probe_child(path, seconds);
    int ws = 0;
    pid_t r;
    while ((r = waitpid(pid, &ws, 0)) < 0 && errno == EINTR) {
    }
    if (r < 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot check the file: waitpid: %s", path, strerror(errno));
    if (WIFEXITED(ws) && (WEXITSTATUS(ws) == PROBE_OK || WEXITSTATUS(ws) == PROBE_UNOPENED)) return TYNDAU_OK;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == PROBE_CHANGED)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: damaged (what it holds does not match its content_digest: changed "
                          "since it was written)", path);
    return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: damaged (the HDF5 library failed reading its structure)", path);
}
