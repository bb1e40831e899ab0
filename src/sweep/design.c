/*
 * design.c - the points of a sweep (docs/hpc.md section 2): points in the unit cube
 * (factorial, lhs, sobol, saltelli, saltelli_salib, morris; sens.h for the last three), mapped
 * through each parameter's inverse CDF, or the rows of a CSV file (whose /design/unit is each
 * value's place in the parameter's allowed range).  A CSV may declare the run order of its
 * rows (layout = saltelli | saltelli_salib | morris, checked here row by row) so that `tyndau
 * sensitivity` can read a SALib sample run through tyndau.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "engine/many.h"
#include "params.h"
#include "sens.h"
#include "sweep.h"
#include "text.h"

const char *const sweep_design_names[N_DESIGN] = {"factorial", "lhs", "sobol", "saltelli", "saltelli_salib", "morris",
                                                  "csv"};

int sweep_is_saltelli(int design) { return design == D_SALTELLI || design == D_SALTELLI_SALIB; }

static tyndau_status csv_rows(sweep_cfg *c, char *text, double **x_out, tyndau_error *err);

/* The fields of one CSV line, split at commas (empty fields kept), each trimmed of blanks and
 * of one pair of double quotes; at most max are stored.  Returns the number of fields. */
static size_t csv_fields(char *line, char **field, size_t max)
{
    size_t n = 0;
    for (char *s = line;;) {
        char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        if (comma) *comma = '\0';
        while (*s == ' ' || *s == '\t') s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = '\0';
        if (end - s >= 2 && s[0] == '"' && end[-1] == '"') s++, *--end = '\0';
        if (n < max) field[n] = s;
        n++;
        if (comma == NULL) return n;
        s = comma + 1;
    }
}

/*
 * The CSV design: a header of parameter names, one row of numbers per point.  What numpy and
 * pandas write is read as they mean it: a header line that starts with '#' (np.savetxt's
 * header, after its comments = '# '), further lines that start with '#' (comments), and a
 * first column with an empty name (pandas' index, written by to_csv without index=False),
 * which is ignored.
 */
static tyndau_status load_csv(sweep_cfg *c, double **x_out, tyndau_error *err)
{
    if (tyndau_text_read(&c->csv_text, c->csv, NULL, 0, err) != TYNDAU_OK) return err->status;
    /* the fields are cut out of a copy: csv_text stays the file's text (the fingerprint's) */
    char *copy = tyndau_calloc(strlen(c->csv_text) + 1, 1);
    if (copy == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    strcpy(copy, c->csv_text);
    tyndau_status rc = csv_rows(c, copy, x_out, err);
    free(copy);
    return rc;
}

/* The next line of *pos (its '\n' cut off), or NULL at the end: every line counts, empty ones
 * too, so that the line numbers of messages are the file's (strtok would skip empty lines). */
static char *next_line(char **pos)
{
    char *l = *pos;
    if (l == NULL || *l == '\0') return NULL;
    char *nl = strchr(l, '\n');
    if (nl != NULL) *nl = '\0', *pos = nl + 1;
    else *pos = NULL;
    return l;
}

static tyndau_status csv_rows(sweep_cfg *c, char *text, double **x_out, tyndau_error *err)
{
    if ((unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb && (unsigned char)text[2] == 0xbf)
        text += 3; /* a UTF-8 byte-order mark (spreadsheets write one) */
    char *save = text, *line = next_line(&save);
    int lineno = 1;
    while (line && strspn(line, " \r\t") == strlen(line)) line = next_line(&save), lineno++;
    if (line == NULL) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:1: empty file, expected a header of parameter names", c->csv);
    }
    int header_line = lineno;
    char *h = line + strspn(line, " \t");
    if (*h == '#') h += 1 + strspn(h + 1, " \t"); /* numpy: np.savetxt(..., header="a,b,c") writes "# a,b,c" */
    char *name[SWEEP_MAXD + 2];
    size_t nf = csv_fields(h, name, SWEEP_MAXD + 2), skip = 0;
    if (nf > 1 && name[0][0] == '\0') skip = 1; /* pandas' index column */
    if (nf - skip > SWEEP_MAXD) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: %zu columns, more than the %d parameters a sweep may have",
            c->csv, header_line, nf - skip, SWEEP_MAXD);
    }
    c->d = 0;
    for (size_t k = skip; k < nf; k++) {
        const char *tok = name[k];
        int i = tok[0] ? tyndau_params_find(tok) : -1;
        if (tok[0] == '\0') {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: column %zu has no name, expected parameter names (only a "
                "first column may be unnamed: pandas' index)", c->csv, header_line, k + 1);
        }
        if (i < 0 || tyndau_param_table[i].type != TYNDAU_PT_REAL) {
            int numeric = prior_parse_real(tok, &(double){0}) == 0;
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: column '%s' is not a real-valued parameter, expected "
                "parameter names%s", c->csv, header_line, tok,
                numeric ? " (the first line is a number: the file has no header; np.savetxt writes one with "
                          "header=\",\".join(names))" : "");
        }
        for (size_t j = 0; j < c->d; j++)
            if (c->par[j].param == i) {
                return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: column '%s' appears twice", c->csv, header_line, tok);
            }
        prior_t *pr = &c->par[c->d++];
        memset(pr, 0, sizeof *pr);
        snprintf(pr->name, sizeof pr->name, "%s", tok);
        pr->param = i;
        pr->lo = tyndau_param_table[i].min, pr->hi = tyndau_param_table[i].max;
        pr->line = header_line;
    }
    size_t cap = 64, n = 0, want = c->d + skip;
    double *x = tyndau_calloc(cap * c->d, sizeof *x);
    int *where = tyndau_calloc(cap, sizeof *where);
    char *field[SWEEP_MAXD + 2];
    tyndau_status rc = x && where ? TYNDAU_OK : TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    for (line = next_line(&save); rc == TYNDAU_OK && line; line = next_line(&save)) {
        lineno++;
        const char *t = line + strspn(line, " \t");
        if (strspn(line, " \r\t") == strlen(line) || *t == '#') continue;
        if (n == cap) {
            cap *= 2;
            double *nx = tyndau_reallocarray(x, cap * c->d, sizeof *x);
            if (nx) x = nx;
            int *nw = tyndau_reallocarray(where, cap, sizeof *where);
            if (nw) where = nw;
            if (!nx || !nw) {
                rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
                break;
            }
        }
        size_t k = csv_fields(line, field, SWEEP_MAXD + 2);
        if (k != want) {
            const char *hint = "";
            if (k == want + 1 && !skip)
                hint = "; one more value than names on every row is pandas' index column: write the file with "
                       "to_csv(..., index=False), or keep the index and leave its header empty";
            else if (skip && k + 1 == want)
                hint = "; the header starts with an empty name (taken as pandas' index column), but this row has no "
                       "value for it";
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: %zu values, expected %zu (the header's columns%s)%s", c->csv,
                lineno, k, want, skip ? ", with the index" : "", hint);
            break;
        }
        for (size_t i = 0; i < c->d && rc == TYNDAU_OK; i++) {
            double v;
            const prior_t *pr = &c->par[i];
            if (prior_parse_real(field[i + skip], &v) != 0 || v < pr->lo || v > pr->hi) {
                rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: column %zu ('%s'): expected a number inside the "
                    "parameter's allowed range [%g, %g], got '%s'", c->csv, lineno, i + skip + 1, pr->name, pr->lo,
                    pr->hi, field[i + skip]);
            } else {
                x[n * c->d + i] = v;
            }
        }
        where[n++] = lineno;
    }
    if (rc == TYNDAU_OK && n == 0) {
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: no data rows, expected one row per point", c->csv);
    }
    if (rc != TYNDAU_OK) {
        free(x), free(where);
        return rc;
    }
    c->rows = n;
    c->csv_line = where;
    *x_out = x;
    return TYNDAU_OK;
}

/* A CSV design's rows in the run order its `layout` declares: Saltelli blocks (AB_i equal to A
 * but for column i, which is B's; BA_i the other way round) or Morris trajectories (one
 * parameter moving per row, each once).  Sets c->points to the base rows / trajectories. */
static tyndau_status check_layout(sweep_cfg *c, const double *x, tyndau_error *err)
{
    size_t d = c->d, P = c->rows;
    const char *lay = sweep_design_names[c->layout];
    size_t nb = c->layout == D_MORRIS ? d + 1 : sens_saltelli_blocks(d, c->second_order);
    char what[160];
    snprintf(what, sizeof what, "%s layout%s: %zu rows per %s for %zu parameters", lay,
             sweep_is_saltelli(c->layout) ? c->second_order ? " with second_order = yes" : " (second_order = no)" : "", nb,
             c->layout == D_MORRIS ? "trajectory" : "base row", d);
    if (P % nb != 0) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'layout': %s has %zu rows, not a multiple of %zu (the %s)",
            c->file.path, c->line_layout, c->csv, P, nb, what);
    }
    size_t n = P / nb;
    if (c->have_points && c->points != n) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'points': %zu %s declared, but %s has %zu rows, %zu for a %s",
            c->file.path, c->line_points, c->points, c->layout == D_MORRIS ? "trajectories" : "base rows", c->csv, P, n,
            what);
    }
    c->points = n;
    if (c->layout == D_MORRIS) {
        for (size_t t = 0; t < n; t++) {
            int moved[SWEEP_MAXD] = {0};
            for (size_t k = 0; k < d; k++) {
                const double *p = x + (t * (d + 1) + k) * d, *q = p + d;
                size_t changed = 0, which = 0;
                for (size_t i = 0; i < d; i++)
                    if (q[i] != p[i]) changed++, which = i;
                int line = c->csv_line[t * (d + 1) + k + 1];
                if (changed != 1 || moved[which]) {
                    return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: row %zu of trajectory %zu %s, expected one parameter "
                        "to move per row and each once per trajectory (the %s)", c->csv, line, k + 2, t + 1,
                        changed != 1 ? changed == 0 ? "moves no parameter" : "moves more than one parameter"
                                     : "moves a parameter that moved before in it",
                        what);
                }
                moved[which] = 1;
            }
        }
        return TYNDAU_OK;
    }
    sens_order order = c->layout == D_SALTELLI ? SENS_BLOCKS : SENS_SALIB;
    for (size_t j = 0; j < n; j++) {
        size_t pa = sens_saltelli_point(order, n, d, c->second_order, j, 0);
        size_t pb = sens_saltelli_point(order, n, d, c->second_order, j, 1);
        const double *a = x + pa * d, *b = x + pb * d;
        for (size_t k = 2; k < nb; k++) {
            size_t pk = sens_saltelli_point(order, n, d, c->second_order, j, k), i = k < 2 + d ? k - 2 : k - 2 - d;
            const double *row = x + pk * d, *base = k < 2 + d ? a : b, *other = k < 2 + d ? b : a;
            for (size_t m = 0; m < d; m++) {
                double want = m == i ? other[m] : base[m];
                if (row[m] == want) continue;
                return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: this row should be %s_%zu of base row %zu (%s, line %d, "
                    "with '%s' from %s, line %d), but its '%s' is %.17g, not %.17g: are the rows in the order of the %s?",
                    c->csv, c->csv_line[pk], k < 2 + d ? "AB" : "BA", i + 1, j + 1, k < 2 + d ? "A" : "B",
                    c->csv_line[k < 2 + d ? pa : pb], c->par[i].name, k < 2 + d ? "B" : "A",
                    c->csv_line[k < 2 + d ? pb : pa], c->par[m].name, row[m], want, what);
            }
        }
    }
    return TYNDAU_OK;
}

/* Number of runs of the design, or 0 if it overflows. */
static size_t design_points(const sweep_cfg *c)
{
    switch (c->design) {
    case D_FACTORIAL: {
        size_t p = 1;
        for (size_t i = 0; i < c->d; i++) {
            if (p > SIZE_MAX / (size_t)c->levels) return 0;
            p *= (size_t)c->levels;
        }
        return p;
    }
    case D_SALTELLI:
    case D_SALTELLI_SALIB: return c->points * sens_saltelli_blocks(c->d, c->second_order);
    case D_MORRIS: return c->points * (c->d + 1);
    default: return c->points;
    }
}

int sweep_lhs(gsl_rng *rng, size_t P, size_t d, double *u)
{
    size_t *perm = tyndau_calloc(P, sizeof *perm);
    if (perm == NULL) return -1;
    for (size_t i = 0; i < d; i++) {
        for (size_t p = 0; p < P; p++) perm[p] = p;
        gsl_ran_shuffle(rng, perm, P, sizeof *perm);
        for (size_t p = 0; p < P; p++) u[p * d + i] = ((double)perm[p] + gsl_rng_uniform(rng)) / (double)P;
    }
    free(perm);
    return 0;
}

/* Unit-cube points of the design (P x d), then mapped through each parameter's distribution. */
static int make_design(sweep_cfg *c, size_t P, double *u, double *x)
{
    size_t d = c->d;
    gsl_rng *rng = many_stream(c->seed, K_DESIGN, 0, 0);
    if (rng == NULL) return -1;
    int rc = 0;
    switch (c->design) {
    case D_FACTORIAL:
        for (size_t p = 0; p < P; p++) {
            size_t rest = p;
            for (size_t i = d; i-- > 0;) {
                u[p * d + i] = (double)(rest % (size_t)c->levels) / (double)(c->levels - 1);
                rest /= (size_t)c->levels;
            }
        }
        break;
    case D_LHS: rc = sweep_lhs(rng, P, d, u); break;
    case D_SOBOL: {
        gsl_qrng *q = d <= 40 ? gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d) : NULL;
        if (q == NULL) {
            rc = -1;
            break;
        }
        double pt[SWEEP_MAXD];
        gsl_qrng_get(q, pt); /* skip the corner */
        for (size_t p = 0; p < P; p++) {
            gsl_qrng_get(q, pt);
            memcpy(u + p * d, pt, d * sizeof *pt);
        }
        gsl_qrng_free(q);
        break;
    }
    case D_SALTELLI:
    case D_SALTELLI_SALIB:
        rc = sens_saltelli_design(c->points, d, c->second_order, c->design == D_SALTELLI ? SENS_BLOCKS : SENS_SALIB,
                                  rng, u);
        break;
    case D_MORRIS: rc = sens_morris_design(c->points, d, c->levels, rng, u); break;
    case D_CSV:
    case N_DESIGN: break;
    }
    gsl_rng_free(rng);
    if (rc == 0 && c->design != D_CSV)
        for (size_t p = 0; p < P; p++)
            for (size_t i = 0; i < d; i++) x[p * d + i] = prior_from_unit(&c->par[i], fmin(u[p * d + i], 1.0));
    return rc;
}

tyndau_status sweep_design(sweep_cfg *c, double **x, double **u, size_t *P, tyndau_error *err)
{
    *x = NULL;
    if (c->design == D_CSV) {
        if (c->d > 0) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: a csv design takes its parameters from the CSV header; "
                "expected no [parameters] section", c->file.path, c->par[0].line);
        }
        if (!c->csv[0]) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: design = csv needs 'csv = FILE' in [sweep]", c->file.path);
        }
        tyndau_status rc = load_csv(c, x, err);
        if (rc == TYNDAU_OK && c->layout >= 0) rc = check_layout(c, *x, err);
        else if (rc == TYNDAU_OK) c->points = c->rows;
        if (rc != TYNDAU_OK) return rc;
    } else {
        if (c->d == 0) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: no parameters: expected a [parameters] section with 'name = uniform LO HI' lines",
                c->file.path);
        }
        if (c->design != D_FACTORIAL && !c->have_points) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: design = %s needs 'points = N' in [sweep]", c->file.path, sweep_design_names[c->design]);
        }
        if (c->design == D_MORRIS && c->levels % 2 != 0) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: the morris design needs an even number of levels, got %d", c->file.path, c->levels);
        }
        if ((sweep_is_saltelli(c->design) && 2 * c->d > 40) || (c->design == D_SOBOL && c->d > 40)) {
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: %zu parameters are too many for the %s design (GSL's Sobol sequence has "
                "at most 40 dimensions%s)", c->file.path, c->d, sweep_design_names[c->design],
                sweep_is_saltelli(c->design) ? "; Saltelli uses 2 per parameter" : "");
        }
    }
    *P = c->design == D_CSV ? c->rows : design_points(c);
    if (c->noise_runs > *P) {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'noise_runs': %zu, more than the design's %zu points; "
            "expected at most one noise run per point", c->file.path, c->line_noise, c->noise_runs, *P);
    }
    if (*P == 0 || *P > c->max_runs / c->replicates || *P * c->replicates + c->noise_runs > c->max_runs) {
        char extra[64] = "";
        if (c->noise_runs) snprintf(extra, sizeof extra, " + %zu noise runs", c->noise_runs);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: the %s design needs %s%zu runs (%zu points x %zu replicates%s), more "
            "than max_runs = %zu", c->file.path, sweep_design_names[c->design], *P == 0 ? "more than " : "",
            *P == 0 ? SIZE_MAX : *P * c->replicates + c->noise_runs, *P, c->replicates, extra, c->max_runs);
    }
    size_t d = c->d;
    *u = tyndau_calloc(*P * d, sizeof **u);
    if (*x == NULL) *x = tyndau_calloc(*P * d, sizeof **x);
    if (*u == NULL || *x == NULL) {
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    }
    if (c->design != D_CSV && make_design(c, *P, *u, *x) != 0) {
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot build the %s design", c->file.path, sweep_design_names[c->design]);
    }
    if (c->design == D_CSV) /* the point's place in the parameter's allowed range */
        for (size_t p = 0; p < *P; p++)
            for (size_t i = 0; i < d; i++)
                (*u)[p * d + i] = ((*x)[p * d + i] - c->par[i].lo) / (c->par[i].hi - c->par[i].lo);
    return TYNDAU_OK;
}
