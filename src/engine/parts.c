/*
 * parts.c - the part files of the run-many engine: found by exact name, their rows checked
 * against their digests, a damaged one set aside (parts.h).
 */
#include "engine/parts.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERIFY_BLOCK 4096

size_t part_sections(size_t n_jobs, const char *extra, size_t n_extra, part_section sec[2])
{
    snprintf(sec[0].group, sizeof sec[0].group, "runs");
    snprintf(sec[0].seconds, sizeof sec[0].seconds, "seconds");
    sec[0].first = 0, sec[0].n = n_jobs;
    if (extra == NULL || n_extra == 0) return 1;
    snprintf(sec[1].group, sizeof sec[1].group, "%s", extra);
    snprintf(sec[1].seconds, sizeof sec[1].seconds, "%s_seconds", extra);
    sec[1].first = n_jobs, sec[1].n = n_extra;
    return 2;
}

void part_list_free(part_list *pl)
{
    for (size_t k = 0; k < pl->n; k++) free(pl->v[k]);
    free(pl->v);
    pl->v = NULL, pl->n = 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int part_list_of(const char *out, part_list *pl)
{
    pl->v = NULL, pl->n = 0;
    const char *slash = strrchr(out, '/'), *base = slash ? slash + 1 : out;
    size_t dlen = slash ? (size_t)(slash - out) + 1 : 0, blen = strlen(base);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", dlen ? (int)dlen : 1, dlen ? out : ".");
    DIR *d = opendir(dir);
    if (d == NULL) return 1;
    struct dirent *e;
    int bad = 0;
    while (!bad && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strncmp(n, base, blen) != 0 || strncmp(n + blen, ".partial.", 9) != 0) continue;
        const char *k = n + blen + 9;
        if (*k == '\0' || strspn(k, "0123456789") != strlen(k)) continue;
        size_t len = dlen + strlen(n) + 1;
        char *path = malloc(len), **g = path ? tyndau_reallocarray(pl->v, pl->n + 1, sizeof *g) : NULL;
        if (g == NULL) {
            free(path);
            bad = 1;
            break;
        }
        snprintf(path, len, "%.*s%s", (int)dlen, out, n);
        pl->v = g;
        pl->v[pl->n++] = path;
    }
    closedir(d);
    if (bad) {
        part_list_free(pl);
        return -1;
    }
    if (pl->n > 1) qsort(pl->v, pl->n, sizeof *pl->v, by_name);
    return pl->n > 0 ? 0 : 1;
}

/* FNV-1a, 64 bits, over n bytes, continuing from h */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

uint64_t part_row_digest(size_t job, int status, const double *y, size_t n_out, const char *error, double seconds)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325), j = job;
    int32_t st = status;
    h = fnv(h, &j, sizeof j);
    h = fnv(h, &st, sizeof st);
    h = fnv(h, y, n_out * sizeof *y);
    size_t elen = status != 0 && error != NULL ? strnlen(error, MANY_ERRLEN) : 0;
    h = fnv(h, error != NULL ? error : "", elen);
    h = fnv(h, &elen, sizeof elen);
    h = fnv(h, &seconds, sizeof seconds);
    return h == 0 ? 1 : h; /* 0 is the digest of a row not written */
}

int part_verify(tyndau_h5 *h, const part_section *sec, size_t n_sec, size_t n_out, char *why, size_t len)
{
    size_t no = n_out ? n_out : 1;
    double *y = tyndau_calloc(VERIFY_BLOCK * no, sizeof *y), *t = tyndau_calloc(VERIFY_BLOCK, sizeof *t);
    int *s = tyndau_calloc(VERIFY_BLOCK, sizeof *s);
    uint64_t *dg = tyndau_calloc(VERIFY_BLOCK, sizeof *dg);
    char(*e)[MANY_ERRLEN] = tyndau_calloc(VERIFY_BLOCK, sizeof *e);
    int rc = y && t && s && dg && e ? 0 : -1;
    for (size_t q = 0; rc == 0 && q < n_sec; q++) {
        hid_t g = H5Gopen2(h->file, sec[q].group, H5P_DEFAULT), tg = H5Gopen2(h->file, "timing", H5P_DEFAULT);
        if (g < 0 || tg < 0) {
            snprintf(why, len, "no /%s or /timing group", sec[q].group);
            rc = 1;
        } else if (!tyndau_h5_exists(h, g, "digest")) {
            snprintf(why, len, "no /%s/digest (written by an earlier tyndau, without row digests)", sec[q].group);
            rc = 1;
        }
        for (size_t a = 0; rc == 0 && a < sec[q].n; a += VERIFY_BLOCK) {
            size_t m = sec[q].n - a < VERIFY_BLOCK ? sec[q].n - a : VERIFY_BLOCK;
            tyndau_h5_rows(h, g, "status", TYNDAU_H5_I32, 0, 0, a, m, s);
            tyndau_h5_rows(h, g, "y", TYNDAU_H5_F64, 0, 0, a, m, y);
            tyndau_h5_rows(h, g, "error", TYNDAU_H5_FIXSTR, MANY_ERRLEN, 0, a, m, e);
            tyndau_h5_rows(h, g, "digest", TYNDAU_H5_U64, 0, 0, a, m, dg);
            tyndau_h5_rows(h, tg, sec[q].seconds, TYNDAU_H5_F64, 0, 0, a, m, t);
            if (h->st != TYNDAU_OK) {
                snprintf(why, len, "%s", h->err->msg);
                rc = 1;
            }
            for (size_t k = 0; rc == 0 && k < m; k++) {
                if (s[k] < 0) continue;
                size_t job = sec[q].first + a + k;
                if (part_row_digest(job, s[k], y + k * n_out, n_out, e[k], t[k]) != dg[k]) {
                    snprintf(why, len, "the row of job %zu does not match its digest", job);
                    rc = 1;
                }
            }
        }
        if (tg >= 0) H5Gclose(tg);
        if (g >= 0) H5Gclose(g);
        H5Eclear2(H5E_DEFAULT);
    }
    free(y), free(t), free(s), free(dg), free(e);
    return rc;
}

/* path renamed to the first free PATH.damaged[.N] (never over a file): 0, or -1 with errno */
static int set_aside(const char *path, char *aside, size_t len)
{
    for (int k = 0; k < 1000; k++) {
        if (k == 0) snprintf(aside, len, "%s.damaged", path);
        else snprintf(aside, len, "%s.damaged.%d", path, k);
        if (link(path, aside) == 0) return unlink(path) == 0 ? 0 : -1;
        if (errno != EEXIST) return -1;
    }
    errno = EEXIST;
    return -1;
}

int part_screen(const char *path, const char *want_fp, const part_section *sec, size_t n_sec, size_t n_out,
                char *aside, size_t aside_len, char *why, size_t len)
{
    tyndau_error e;
    tyndau_error_clear(&e);
    int rc = 0;
    tyndau_status probed = tyndau_h5_probe(path, &e);
    if (probed != TYNDAU_OK && probed != TYNDAU_EINPUT) {
        snprintf(why, len, "%s", e.msg);
        return -2;
    }
    /* a file whose content digest differs was walked whole: safe to open, and one of another
     * study (another fingerprint) is the caller's to refuse, whatever else is wrong with it */
    int changed = probed != TYNDAU_OK && strstr(e.msg, "content_digest") != NULL;
    if (probed != TYNDAU_OK && !changed) {
        snprintf(why, len, "the HDF5 library failed reading its structure");
        rc = 1;
    } else {
        tyndau_h5 h;
        char *fp = NULL;
        if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, &e) == TYNDAU_OK) fp = tyndau_h5_read_attr_str(&h, h.file, "fingerprint");
        if (h.st != TYNDAU_OK) {
            snprintf(why, len, "%s", e.msg);
            rc = 1;
        } else if (fp != NULL && strcmp(fp, want_fp) == 0 && changed) {
            snprintf(why, len, "what it holds does not match its content_digest");
            rc = 1;
        } else if (fp != NULL && strcmp(fp, want_fp) == 0) {
            rc = part_verify(&h, sec, n_sec, n_out, why, len);
        }
        free(fp);
        tyndau_h5_close(&h);
        if (rc < 0) {
            snprintf(why, len, "out of memory");
            return -2;
        }
    }
    if (rc == 0) return 0;
    if (set_aside(path, aside, aside_len) != 0) {
        size_t at = strlen(why);
        snprintf(why + at, len - at, "; cannot set it aside: %s", strerror(errno));
        return -1;
    }
    return 1;
}
