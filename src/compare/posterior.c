/*
 * posterior.c - the calibration's final particles for `tyndau compare --posterior` (see
 * posterior.h).
 */
#include "compare/posterior.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "engine/many.h"
#include "h5.h"
#include "params.h"

enum { K_POSTERIOR_DRAW = 202 };

static tyndau_status bad(tyndau_h5 *h, tyndau_error *err, const char *path, const char *what)
{
    tyndau_h5_close(h);
    return TYNDAU_ERR(err, TYNDAU_EINPUT, "--posterior: %s: %s", path, what);
}

tyndau_status cmp_posterior_load(cmp_posterior *p, const char *path, tyndau_error *err)
{
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    tyndau_h5 h;
    tyndau_error e;
    if (tyndau_h5_probe(path, &e) != TYNDAU_OK) /* damaged metadata can crash HDF5 itself */
        return TYNDAU_ERR(err, e.status, "--posterior: %s", e.msg);
    if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, &e) != TYNDAU_OK) {
        tyndau_h5_close(&h);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--posterior: %s", e.msg);
    }
    int major = 0;
    if (tyndau_h5_check_schema(&h, "tyndau-calibration", "a tyndau calibration file", 1, 1, &major) != TYNDAU_OK) {
        tyndau_status st = TYNDAU_ERR(err, TYNDAU_EINPUT, "--posterior: %s", e.msg);
        tyndau_h5_close(&h);
        return st;
    }
    p->status = tyndau_h5_read_attr_str(&h, h.file, "status");
    if (p->status == NULL || strcmp(p->status, "complete") != 0) {
        char what[256];
        snprintf(what, sizeof what, "the calibration did not finish (status '%s', expected 'complete'): its last "
                 "particles are not the posterior", p->status ? p->status : "none");
        return bad(&h, err, path, what);
    }
    size_t d = 0;
    char **names = tyndau_h5_read_strs(&h, h.file, "/priors/name", &d);
    if (names == NULL || d == 0 || d > CMP_MAXQ) {
        tyndau_h5_free_strs(names, d);
        return bad(&h, err, path, "no /priors/name (or more than 64 quantities)");
    }
    int64_t G = 0;
    hid_t g = H5Gopen2(h.file, "generations", H5P_DEFAULT);
    if (g < 0 || tyndau_h5_read_attr_i64(&h, g, "n_generations", &G) != 1 || G < 1) {
        if (g >= 0) H5Gclose(g);
        tyndau_h5_free_strs(names, d);
        return bad(&h, err, path, "no completed generation in /generations");
    }
    p->generation = (size_t)(G - 1);
    double *beta = tyndau_calloc((size_t)G, sizeof *beta);
    char xname[64];
    snprintf(xname, sizeof xname, "g%03zu/x", p->generation);
    size_t n = tyndau_h5_size(&h, g, xname);
    double *x = n > 0 && n % d == 0 ? tyndau_calloc(n, sizeof *x) : NULL;
    if (beta != NULL) tyndau_h5_read(&h, g, "beta", TYNDAU_H5_F64, (size_t)G, beta);
    if (x != NULL) tyndau_h5_read(&h, g, xname, TYNDAU_H5_F64, n, x);
    H5Gclose(g);
    p->beta = beta ? beta[G - 1] : NAN;
    free(beta);
    if (x == NULL || h.st != TYNDAU_OK) {
        free(x);
        tyndau_h5_free_strs(names, d);
        return bad(&h, err, path, "the final generation's particles (/generations/gNNN/x) are missing or unreadable");
    }
    p->N = n / d;
    int col[CMP_MAXQ];
    for (size_t q = 0; q < d; q++) {
        int i = tyndau_params_find(names[q]);
        if (i >= 0) {
            col[p->k] = (int)q;
            p->param[p->k] = i;
            snprintf(p->name[p->k], sizeof p->name[p->k], "%s", names[q]);
            p->k++;
        } else if (strlen(p->skipped) + strlen(names[q]) + 2 < sizeof p->skipped) {
            if (p->skipped[0]) strcat(p->skipped, " ");
            strcat(p->skipped, names[q]);
        }
    }
    tyndau_h5_free_strs(names, d);
    p->x = p->k ? tyndau_calloc(p->N * p->k, sizeof *p->x) : NULL;
    double *v = tyndau_calloc(p->N, sizeof *v);
    if (p->x == NULL || v == NULL) {
        free(x), free(v);
        return bad(&h, err, path, p->k ? "out of memory" : "no calibrated quantity is a model parameter");
    }
    for (size_t j = 0; j < p->k; j++) {
        for (size_t i = 0; i < p->N; i++) p->x[i * p->k + j] = v[i] = x[i * d + (size_t)col[j]];
        gsl_sort(v, 1, p->N);
        p->median[j] = gsl_stats_median_from_sorted_data(v, 1, p->N);
    }
    free(x), free(v);
    if (tyndau_h5_close(&h) != TYNDAU_OK) return TYNDAU_ERR(err, TYNDAU_EINPUT, "--posterior: %s", e.msg);
    return TYNDAU_OK;
}

void cmp_posterior_free(cmp_posterior *p)
{
    free(p->x), free(p->status);
    p->x = NULL, p->status = NULL;
}

int cmp_posterior_pick(const cmp_posterior *p, uint64_t seed, size_t r, size_t *particle)
{
    gsl_rng *g = many_stream(seed, K_POSTERIOR_DRAW, r, 0);
    if (g == NULL) return -1;
    *particle = (size_t)gsl_rng_uniform_int(g, (unsigned long)p->N);
    gsl_rng_free(g);
    return 0;
}
