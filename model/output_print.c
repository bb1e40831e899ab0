/*
 * output_print.c - the /survey group of a run file, read back (through the HDF5 layer) and
 * printed as `tyndau survey` does: an aligned table per question with a fit summary, or CSV.
 * Every problem with the file is bad input (TYNDAU_EINPUT): a missing or unreadable file, one
 * that is not HDF5, of another schema or major version, or without /survey.
 */
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5.h"

enum { S_QUESTION, S_BASE, S_GTYPE, S_GROUP, S_RESPONSE, S_SAMPLE, N_SCOL };
enum { V_SIM, V_OBS, V_LO, V_HI, N_VCOL };
static const char *const scol_names[N_SCOL] = {"question", "base", "group_type", "group", "response", "sample"};
static const char *const vcol_names[N_VCOL] = {"simulated", "observed", "lo95", "hi95"};

/* The columns of /survey: n rows of text s, numbers v and inside. */
typedef struct {
    const char *path;
    size_t n;
    char **s[N_SCOL];
    double *v[N_VCOL];
    int *inside;
    char *citation;
} reader;

static void read_survey(tyndau_h5 *h, reader *r)
{
    tyndau_h5_check_schema(h, TYNDAU_SCHEMA_NAME, "a file written by 'tyndau run'", TYNDAU_SCHEMA_MAJOR,
                           TYNDAU_SCHEMA_MAJOR, NULL);
    if (h->st == TYNDAU_OK && !tyndau_h5_exists(h, h->file, "survey"))
        tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: no /survey group (was it written by 'tyndau run'?)", h->path);
    for (int k = 0; k < N_SCOL && h->st == TYNDAU_OK; k++) {
        char name[64];
        size_t n = 0;
        snprintf(name, sizeof name, "/survey/%s", scol_names[k]);
        r->s[k] = tyndau_h5_read_strs(h, h->file, name, &n);
        if (k == 0) r->n = n;
        if (h->st == TYNDAU_OK && n != r->n)
            tyndau_h5_fail(h, TYNDAU_EINPUT, "%s: %s has %zu rows, other columns %zu", h->path, name, n, r->n);
    }
    for (int k = 0; k < N_VCOL && h->st == TYNDAU_OK; k++) {
        char name[64];
        snprintf(name, sizeof name, "/survey/%s", vcol_names[k]);
        if ((r->v[k] = tyndau_calloc(r->n, sizeof(double))) == NULL)
            tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory", h->path);
        tyndau_h5_read(h, h->file, name, TYNDAU_H5_F64, r->n, r->v[k]);
    }
    if (h->st == TYNDAU_OK && (r->inside = tyndau_calloc(r->n, sizeof(int))) == NULL)
        tyndau_h5_fail(h, TYNDAU_EINTERNAL, "%s: out of memory", h->path);
    tyndau_h5_read(h, h->file, "/survey/inside", TYNDAU_H5_I32, r->n, r->inside);
    if (h->st == TYNDAU_OK) {
        hid_t g = H5Gopen2(h->file, "survey", H5P_DEFAULT);
        if (g >= 0) {
            r->citation = tyndau_h5_read_attr_str(h, g, "citation");
            H5Gclose(g);
        }
    }
}

static void reader_free(reader *r)
{
    for (int k = 0; k < N_SCOL; k++) tyndau_h5_free_strs(r->s[k], r->s[k] ? r->n : 0);
    for (int k = 0; k < N_VCOL; k++) free(r->v[k]);
    free(r->inside);
    free(r->citation);
}

static int published(const reader *r, size_t i)
{
    return r->inside[i] >= 0 && isfinite(r->v[V_OBS][i]);
}

/* CSV field, quoted when it holds a separator, a quote or a line break. */
static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, double v)
{
    fputc(',', out);
    if (isfinite(v)) fprintf(out, "%.2f", v);
}

static void print_csv(const reader *r, FILE *out)
{
    fputs("question,base,group_type,group,response,sample,simulated,observed,lo95,hi95,inside\n", out);
    for (size_t i = 0; i < r->n; i++) {
        for (int k = 0; k < N_SCOL; k++) {
            if (k > 0) fputc(',', out);
            csv_field(out, r->s[k][i]);
        }
        csv_number(out, r->v[V_SIM][i]);
        if (published(r, i)) {
            for (int k = V_OBS; k <= V_HI; k++) csv_number(out, r->v[k][i]);
            fprintf(out, ",%d\n", r->inside[i] > 0);
        } else {
            fputs(",,,,\n", out);
        }
    }
}

static int width_of(const reader *r, int col, int min)
{
    int w = min;
    for (size_t i = 0; i < r->n; i++) {
        size_t k = strlen(r->s[col][i]);
        if (k > (size_t)w) w = k > 60 ? 60 : (int)k;
    }
    return w;
}

/* Returns -1 when out of memory. */
static int print_table(const reader *r, FILE *out, int published_only)
{
    if (r->n == 0) {
        fprintf(out, "%s: no survey rows (the survey did not run)\n", r->path);
        return 0;
    }
    int wt = width_of(r, S_GTYPE, 10), wg = width_of(r, S_GROUP, 5), wr = width_of(r, S_RESPONSE, 8),
        ws = width_of(r, S_SAMPLE, 6);
    if (published_only)
        fprintf(out, "Simulated survey against the published figures (percent): published cells only\n"
                     "('tyndau survey FILE' prints every simulated cell).\n");
    else
        fprintf(out, "Simulated survey against the published figures (percent); * = published cell,\n"
                     "shown with its observed value and 95%% interval.\n");
    char *done = tyndau_calloc(r->n, 1); /* rows already printed under their question */
    if (done == NULL) return -1;
    for (size_t i = 0; i < r->n; i++) {
        if (done[i] || (published_only && !published(r, i))) continue;
        const char *q = r->s[S_QUESTION][i], *b = r->s[S_BASE][i];
        fprintf(out, "\n%s (base: %s)\n", q, b);
        fprintf(out, "    %-*s  %-*s  %-*s  %-*s  %9s  %8s  %-16s  %s\n", wt, "group_type", wg, "group", wr,
                "response", ws, "sample", "simulated", "observed", "95% interval", "fit");
        for (size_t j = i; j < r->n; j++) {
            if (done[j] || strcmp(r->s[S_QUESTION][j], q) != 0 || strcmp(r->s[S_BASE][j], b) != 0) continue;
            done[j] = 1;
            int pub = published(r, j);
            if (published_only && !pub) continue;
            fprintf(out, "  %c %-*s  %-*s  %-*s  %-*s  %9.1f", pub ? '*' : ' ', wt, r->s[S_GTYPE][j], wg,
                    r->s[S_GROUP][j], wr, r->s[S_RESPONSE][j], ws, r->s[S_SAMPLE][j], r->v[V_SIM][j]);
            if (pub)
                fprintf(out, "  %8.1f  [%5.1f, %5.1f]    %s", r->v[V_OBS][j], r->v[V_LO][j], r->v[V_HI][j],
                        r->inside[j] > 0 ? "inside" : "OUTSIDE");
            fputc('\n', out);
        }
    }
    free(done);

    fprintf(out, "\nFit: published cells whose simulated value lies inside the observed 95%% interval\n");
    static const char *const samples[2] = {"population", "quota"};
    for (int k = 0; k < 2; k++) {
        size_t n_pub = 0, n_in = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (strcmp(r->s[S_SAMPLE][i], samples[k]) != 0 || !published(r, i)) continue;
            n_pub++;
            n_in += r->inside[i] > 0;
        }
        fprintf(out, "  %-10s sample: %zu of %zu inside\n", samples[k], n_in, n_pub);
    }
    if (r->citation != NULL) fprintf(out, "Observed: %s\n", r->citation);
    return 0;
}

tyndau_status tyndau_output_print_survey(const char *path, tyndau_print_mode mode, FILE *out, tyndau_error *err)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    tyndau_h5 h;
    if (tyndau_h5_open(&h, path, TYNDAU_H5_READ, err) == TYNDAU_OK) read_survey(&h, &r);
    tyndau_status st = tyndau_h5_close(&h);
    if (st == TYNDAU_OK) {
        if (mode == TYNDAU_PRINT_CSV)
            print_csv(&r, out);
        else if (print_table(&r, out, mode == TYNDAU_PRINT_PUBLISHED) < 0)
            st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
        if (st == TYNDAU_OK && (fflush(out) != 0 || ferror(out)))
            st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot print the survey: %s", path, strerror(errno));
    }
    reader_free(&r);
    return st;
}
