/*
 * targets.c - load and validate the published survey figures (see targets.h).
 *
 * Data structure: a growable array of tyndau_target in file order; while
 * parsing, cells[0..n) are the data lines read so far, each already checked
 * on its own (field count, lengths, percent).  Checks that span lines
 * (duplicates, row sums) run afterwards on a sorted array of pointers into
 * cells, so the cells themselves stay in file order.  On any failure the set
 * is freed, so a caller never sees a half-validated target set.
 *
 * The CSV dialect is deliberately small: comma-separated, no quoting (every
 * field is an identifier or a number), spaces around a field are ignored,
 * CRLF and a UTF-8 byte-order mark are tolerated, blank lines are skipped.
 */
#include "targets.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { COL_QUESTION, COL_BASE, COL_GROUP_TYPE, COL_GROUP, COL_RESPONSE, COL_PERCENT, NCOLS };

static const char *const col_names[NCOLS] = {"question", "base",     "group_type",
                                             "group",    "response", "percent"};

/* The article rounds each cell to 0.1, so a row of three or four cells can be
 * off by a few tenths; 0.5 accepts that rounding and nothing more.  SUM_EPS
 * absorbs binary floating-point error in the sum (99.5 must pass). */
#define SUM_TOL 0.5
#define SUM_EPS 1e-9

/*
 * Known quirks of the 2021 survey's published numbers, as documented in
 * data/survey_2021/README.md ("Known quirks of the published numbers" and the
 * concept_meaning row of the question table).  They are listed here, by name,
 * rather than loosening the tolerance for everyone, so that any new
 * inconsistency in the data is still an error.
 */
typedef enum {
    QUIRK_SUBSET,   /* only some responses are published: the row may sum to less than 100 */
    QUIRK_NORMALISE /* the published row is inconsistent: warn and rescale it to sum to 100 */
} quirk_kind;

typedef struct {
    const char *question;
    const char *group_type; /* NULL: every group_type of the question */
    quirk_kind kind;
    double published_sum;   /* QUIRK_NORMALISE: the (wrong) sum the article prints */
    const char *wrong_cell; /* QUIRK_NORMALISE: the response known to be wrong, or NULL */
} quirk;

static const quirk quirks[] = {
    /* README: "the four published shares sum to 91.4%, the rest is unpublished" */
    {"concept_meaning", NULL, QUIRK_SUBSET, 0.0, NULL},
    /* README: "the aware_platform total row sums to 102.3% (11.8 + 32.7 + 57.8)".
       "the article's text gives 44.5% as aware (11.8 + 32.7), so the 'first time'
       cell is the inconsistent one": that cell becomes the remainder (55.5), the
       others stay as published.  Only a row near the published sum is corrected:
       a different bad sum is a different mistake, and is reported as one. */
    {"aware_platform", "total", QUIRK_NORMALISE, 102.3, "first_time"},
};

static const quirk *find_quirk(const char *question, const char *group_type)
{
    for (size_t i = 0; i < sizeof quirks / sizeof quirks[0]; i++) {
        if (strcmp(quirks[i].question, question) != 0) continue;
        if (quirks[i].group_type != NULL && strcmp(quirks[i].group_type, group_type) != 0) continue;
        return &quirks[i];
    }
    return NULL;
}

static int is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int is_blank_line(const char *s)
{
    while (is_blank_char(*s)) s++;
    return *s == '\0';
}

/* Trim spaces and tabs in place; returns the start of the trimmed field. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) s[--len] = '\0';
    return s;
}

static size_t count_fields(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        if (*s == ',') n++;
    return n;
}

/* Split s in place at commas into exactly n trimmed fields (n == count_fields(s)). */
static void split_fields(char *s, char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(s, ',');
        if (comma != NULL) *comma = '\0';
        fields[i] = trim(s);
        s = comma != NULL ? comma + 1 : s + strlen(s);
    }
}

/*
 * A percent is a plain decimal number.  strtod alone would also accept "nan",
 * "inf" and hexadecimal floats, none of which a published percentage can be,
 * so the characters are restricted first.
 */
static int parse_percent(const char *s, double *out)
{
    if (*s == '\0') return 0;
    if (strspn(s, "0123456789.+-eE") != strlen(s)) return 0;
    if (strpbrk(s, "0123456789") == NULL) return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
    if (v < 0.0 || v > 100.0) return 0;
    *out = v;
    return 1;
}

/* Copy a text field into a fixed-size cell member, rejecting empty or overlong values. */
static tyndau_status copy_field(char *dst, size_t cap, const char *src, const char *name, int line,
                                const char *col, tyndau_error *err)
{
    size_t len = strlen(src);
    if (len == 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: column '%s' is empty, expected a value", name,
                          line, col);
    if (len >= cap)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "%s:%d: column '%s' is %zu characters long, expected at most %zu", name,
                          line, col, len, cap - 1);
    memcpy(dst, src, len + 1);
    return TYNDAU_OK;
}

/* Map the six required columns to their positions in the header. */
static tyndau_status parse_header(char *line_text, int line, const char *name, size_t *ncols,
                                  size_t col_index[NCOLS], tyndau_error *err)
{
    size_t n = count_fields(line_text);
    char **fields = tyndau_calloc(n, sizeof *fields);
    if (fields == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
    split_fields(line_text, fields, n);

    tyndau_status st = TYNDAU_OK;
    int found[NCOLS] = {0};
    for (size_t i = 0; i < n && st == TYNDAU_OK; i++) {
        for (size_t c = 0; c < NCOLS; c++) {
            if (strcmp(fields[i], col_names[c]) != 0) continue;
            if (found[c]) {
                /* Two 'percent' columns would make it ambiguous which one is meant. */
                st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                                "%s:%d: column '%s' appears twice in the header, expected it once",
                                name, line, col_names[c]);
                break;
            }
            found[c] = 1;
            col_index[c] = i;
        }
    }
    for (size_t c = 0; c < NCOLS && st == TYNDAU_OK; c++) {
        if (!found[c])
            st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                            "%s:%d: missing column '%s', expected a header with the columns "
                            "question, base, group_type, group, response, percent",
                            name, line, col_names[c]);
    }
    free(fields);
    *ncols = n;
    return st;
}

static tyndau_status parse_row(char *line_text, int line, const char *name, size_t ncols,
                               const size_t col_index[NCOLS], char **fields, tyndau_target *cell,
                               tyndau_error *err)
{
    if (strchr(line_text, '"') != NULL)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "%s:%d: a field contains a double quote, expected plain unquoted fields",
                          name, line);
    size_t n = count_fields(line_text);
    if (n != ncols)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: %zu fields, expected %zu as in the header",
                          name, line, n, ncols);
    split_fields(line_text, fields, n);

    memset(cell, 0, sizeof *cell);
    cell->line = line;
    struct {
        int col;
        char *dst;
        size_t cap;
    } text_cols[] = {
        {COL_QUESTION, cell->question, sizeof cell->question},
        {COL_BASE, cell->base, sizeof cell->base},
        {COL_GROUP_TYPE, cell->group_type, sizeof cell->group_type},
        {COL_GROUP, cell->group, sizeof cell->group},
        {COL_RESPONSE, cell->response, sizeof cell->response},
    };
    for (size_t i = 0; i < sizeof text_cols / sizeof text_cols[0]; i++) {
        int c = text_cols[i].col;
        tyndau_status st = copy_field(text_cols[i].dst, text_cols[i].cap, fields[col_index[c]],
                                      name, line, col_names[c], err);
        if (st != TYNDAU_OK) return st;
    }

    const char *pct = fields[col_index[COL_PERCENT]];
    if (!parse_percent(pct, &cell->percent))
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "%s:%d: column 'percent' is '%s', expected a finite number in [0, 100]",
                          name, line, pct);
    cell->share = cell->percent / 100.0;
    return TYNDAU_OK;
}

static int cmp_row(const tyndau_target *a, const tyndau_target *b)
{
    int c = strcmp(a->question, b->question);
    if (c == 0) c = strcmp(a->group_type, b->group_type);
    if (c == 0) c = strcmp(a->group, b->group);
    return c;
}

static int cmp_cell(const tyndau_target *a, const tyndau_target *b)
{
    int c = cmp_row(a, b);
    return c != 0 ? c : strcmp(a->response, b->response);
}

static int cmp_line(const tyndau_target *a, const tyndau_target *b)
{
    return (a->line > b->line) - (a->line < b->line);
}

/* Ties are broken by line so that each run starts with its first line in the file. */
static int qsort_by_cell(const void *pa, const void *pb)
{
    const tyndau_target *a = *(const tyndau_target *const *)pa;
    const tyndau_target *b = *(const tyndau_target *const *)pb;
    int c = cmp_cell(a, b);
    return c != 0 ? c : cmp_line(a, b);
}

static int qsort_by_row(const void *pa, const void *pb)
{
    const tyndau_target *a = *(const tyndau_target *const *)pa;
    const tyndau_target *b = *(const tyndau_target *const *)pb;
    int c = cmp_row(a, b);
    return c != 0 ? c : cmp_line(a, b);
}

/* A run of cells sharing a row, identified by its first line in the file. */
typedef struct {
    size_t start, len;
    int first_line;
} row_run;

static int qsort_run_by_line(const void *pa, const void *pb)
{
    const row_run *a = pa, *b = pb;
    return (a->first_line > b->first_line) - (a->first_line < b->first_line);
}

/* Report the duplicate whose second occurrence comes first in the file, as a reader would find it. */
static tyndau_status check_duplicates(const tyndau_target **p, size_t n, const char *name,
                                      tyndau_error *err)
{
    qsort(p, n, sizeof *p, qsort_by_cell);
    const tyndau_target *first = NULL, *dup = NULL;
    size_t run_start = 0;
    for (size_t i = 1; i < n; i++) {
        if (cmp_cell(p[i - 1], p[i]) != 0) {
            run_start = i;
            continue;
        }
        if (dup == NULL || p[i]->line < dup->line) {
            dup = p[i];
            first = p[run_start];
        }
    }
    if (dup == NULL) return TYNDAU_OK;
    return TYNDAU_ERR(err, TYNDAU_EINPUT,
                      "%s:%d: duplicate cell question '%s', group_type '%s', group '%s', response "
                      "'%s' (also on line %d), expected each cell once",
                      name, dup->line, dup->question, dup->group_type, dup->group, dup->response,
                      first->line);
}

/* Check each row's sum in file order, rescaling the known inconsistent row. */
static tyndau_status check_rows(const tyndau_target **p, tyndau_target *cells, size_t n,
                                const char *name, FILE *warn, tyndau_error *err)
{
    qsort(p, n, sizeof *p, qsort_by_row);
    row_run *runs = tyndau_calloc(n, sizeof *runs);
    if (runs == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cmp_row(p[i - 1], p[i]) != 0)
            runs[nruns++] = (row_run){.start = i, .len = 0, .first_line = p[i]->line};
        runs[nruns - 1].len++;
    }
    /* File order, so the first error reported is the first one a reader meets. */
    qsort(runs, nruns, sizeof *runs, qsort_run_by_line);

    tyndau_status st = TYNDAU_OK;
    for (size_t r = 0; r < nruns && st == TYNDAU_OK; r++) {
        const tyndau_target *const *row = p + runs[r].start;
        size_t len = runs[r].len;
        double sum = 0.0;
        for (size_t i = 0; i < len; i++) sum += row[i]->percent;
        const tyndau_target *c0 = row[0];
        const quirk *q = find_quirk(c0->question, c0->group_type);

        if (q != NULL && q->kind == QUIRK_SUBSET) {
            if (sum <= 100.0 + SUM_TOL + SUM_EPS) continue;
            st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                            "%s:%d: row question '%s', group_type '%s', group '%s' sums to %.6g, "
                            "expected at most 100.5 (its published responses are a subset)",
                            name, c0->line, c0->question, c0->group_type, c0->group, sum);
            break;
        }
        if (fabs(sum - 100.0) <= SUM_TOL + SUM_EPS) continue;
        if (q != NULL && q->kind == QUIRK_NORMALISE &&
            fabs(sum - q->published_sum) <= SUM_TOL + SUM_EPS) {
            /* the wrong cell, if the row has it, becomes the remainder; else rescale all */
            size_t wrong = len;
            for (size_t i = 0; q->wrong_cell != NULL && i < len; i++)
                if (strcmp(row[i]->response, q->wrong_cell) == 0) wrong = i;
            double others = sum - (wrong < len ? row[wrong]->percent : 0.0);
            if (wrong < len && others > 100.0) wrong = len; /* no remainder to give it */
            if (warn != NULL) {
                if (wrong < len)
                    fprintf(warn,
                            "%s:%d: warning: row question '%s', group_type '%s', group '%s' sums to "
                            "%.6g, a known inconsistency of the published article (see "
                            "data/survey_2021/README.md); normalised: its '%s' cell is taken as "
                            "%.6g, 100 minus the others\n",
                            name, c0->line, c0->question, c0->group_type, c0->group, sum, q->wrong_cell,
                            100.0 - others);
                else
                    fprintf(warn,
                            "%s:%d: warning: row question '%s', group_type '%s', group '%s' sums to "
                            "%.6g, a known inconsistency of the published article (see "
                            "data/survey_2021/README.md); normalised: its shares are rescaled to sum to 1\n",
                            name, c0->line, c0->question, c0->group_type, c0->group, sum);
            }
            /* row[] is const for the checks; the cells it points at are ours to correct. */
            for (size_t i = 0; i < len; i++) {
                tyndau_target *c = &cells[row[i] - cells];
                if (wrong == len)
                    c->share = c->percent / sum;
                else
                    c->share = i == wrong ? (100.0 - others) / 100.0 : c->percent / 100.0;
                c->normalised = 1;
            }
            continue;
        }
        st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                        "%s:%d: row question '%s', group_type '%s', group '%s' sums to %.6g, "
                        "expected 100 ± 0.5",
                        name, c0->line, c0->question, c0->group_type, c0->group, sum);
    }
    free(runs);
    return st;
}

static tyndau_status validate(tyndau_targets *t, const char *name, FILE *warn, tyndau_error *err)
{
    const tyndau_target **p = tyndau_calloc(t->n, sizeof *p);
    if (p == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
    for (size_t i = 0; i < t->n; i++) p[i] = &t->cells[i];
    tyndau_status st = check_duplicates(p, t->n, name, err);
    if (st == TYNDAU_OK) st = check_rows(p, t->cells, t->n, name, warn, err);
    free(p);
    return st;
}

tyndau_status tyndau_targets_parse(tyndau_targets *t, const char *text, const char *name,
                                   FILE *warn, tyndau_error *err)
{
    if (t == NULL || text == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_targets_parse: NULL argument");
    if (name == NULL) name = "<targets>";
    t->cells = NULL;
    t->n = 0;

    /* A private copy, so fields can be split in place without touching the caller's text. */
    size_t text_len = strlen(text);
    char *buf = tyndau_calloc(text_len + 1, 1);
    char **fields = NULL;
    size_t cap = 0, ncols = 0;
    size_t col_index[NCOLS] = {0};
    int have_header = 0, header_line = 0, line = 0;
    tyndau_status st = TYNDAU_OK;
    if (buf == NULL) {
        st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
        goto done;
    }
    memcpy(buf, text, text_len + 1);

    for (char *s = buf; s != NULL && st == TYNDAU_OK;) {
        char *nl = strchr(s, '\n');
        if (nl != NULL) *nl = '\0';
        char *next = nl != NULL ? nl + 1 : NULL;
        if (line == INT_MAX) {
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: more than %d lines, expected fewer", name,
                            INT_MAX);
            break;
        }
        line++;
        /* Windows line endings: the '\r' belongs to the line break, not to the last field. */
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == '\r') s[--len] = '\0';
        /* Spreadsheet programs often save a UTF-8 byte-order mark at the start. */
        if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
        if (is_blank_line(s)) {
            s = next;
            continue;
        }

        if (!have_header) {
            st = parse_header(s, line, name, &ncols, col_index, err);
            if (st != TYNDAU_OK) break;
            fields = tyndau_calloc(ncols, sizeof *fields);
            if (fields == NULL) {
                st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
                break;
            }
            have_header = 1;
            header_line = line;
            s = next;
            continue;
        }

        if (t->n == cap) {
            size_t new_cap = cap ? 2 * cap : 64;
            tyndau_target *grown = tyndau_reallocarray(t->cells, new_cap, sizeof *grown);
            if (grown == NULL) {
                st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", name);
                break;
            }
            t->cells = grown;
            cap = new_cap;
        }
        st = parse_row(s, line, name, ncols, col_index, fields, &t->cells[t->n], err);
        if (st != TYNDAU_OK) break;
        t->n++;
        s = next;
    }

    if (st == TYNDAU_OK && !have_header)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                        "%s:1: the file is empty, expected a header line and published cells",
                        name);
    else if (st == TYNDAU_OK && t->n == 0)
        /* Calibrating against nothing would silently succeed; refuse it here. */
        st = TYNDAU_ERR(err, TYNDAU_EINPUT,
                        "%s:%d: no data rows after the header, expected at least one published cell",
                        name, header_line);
    if (st == TYNDAU_OK) st = validate(t, name, warn, err);

done:
    free(fields);
    free(buf);
    if (st != TYNDAU_OK) tyndau_targets_free(t);
    return st;
}

tyndau_status tyndau_targets_load(tyndau_targets *t, const char *path, FILE *warn,
                                  tyndau_error *err)
{
    if (t == NULL || path == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_targets_load: NULL argument");
    t->cells = NULL;
    t->n = 0;

    char *buf;
    tyndau_status st = tyndau_text_read(&buf, path, NULL, 0, err);
    if (st == TYNDAU_OK) st = tyndau_targets_parse(t, buf, path, warn, err);
    free(buf);
    return st;
}

void tyndau_targets_free(tyndau_targets *t)
{
    if (t == NULL) return;
    free(t->cells);
    t->cells = NULL;
    t->n = 0;
}

/* Linear search: a target file holds tens to hundreds of cells, looked up rarely. */
const tyndau_target *tyndau_targets_find(const tyndau_targets *t, const char *question,
                                         const char *group_type, const char *group,
                                         const char *response)
{
    if (t == NULL || question == NULL || group_type == NULL || group == NULL || response == NULL)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        const tyndau_target *c = &t->cells[i];
        if (strcmp(c->question, question) == 0 && strcmp(c->group_type, group_type) == 0 &&
            strcmp(c->group, group) == 0 && strcmp(c->response, response) == 0)
            return c;
    }
    return NULL;
}

void tyndau_wilson95(double p, double n, double *lo, double *hi)
{
    /* The 0.975 quantile of the standard normal distribution. */
    const double z = 1.959963984540054;
    double l, h;
    if (isnan(p) || isnan(n)) {
        l = h = NAN;
    } else if (!(n > 0.0)) {
        l = 0.0;
        h = 1.0;
    } else {
        if (p < 0.0) p = 0.0;
        if (p > 1.0) p = 1.0;
        double z2n = z * z / n;
        double denom = 1.0 + z2n;
        double centre = (p + z2n / 2.0) / denom;
        double half = z * sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / denom;
        l = centre - half;
        h = centre + half;
        /* Exact at the ends (the formula leaves rounding residue there), and
           rounding must never push p outside its own interval. */
        if (p <= 0.0) l = 0.0;
        if (p >= 1.0) h = 1.0;
        l = fmax(0.0, fmin(l, p));
        h = fmin(1.0, fmax(h, p));
    }
    if (lo != NULL) *lo = l;
    if (hi != NULL) *hi = h;
}
