/*
 * params.c - reader, checks and documentation generated from params.def.
 *
 * Invariant: tyndau_param_table[i] describes the i-th row of params.def, and
 * its offset points at the field of tyndau_params that the same row made.
 */
#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const tyndau_param_info tyndau_param_table[] = {
#define TYNDAU_PARAM(name, type, def, lo, hi, unit, cat, dated, desc, src) \
    {#name, TYNDAU_PT_##type, offsetof(tyndau_params, name), (double)(def), (double)(lo), (double)(hi), unit, cat, \
     TYNDAU_##dated, desc, src},
#include "params.def"
#undef TYNDAU_PARAM
};
const size_t tyndau_n_params = sizeof tyndau_param_table / sizeof tyndau_param_table[0];

static const char *const type_names[TYNDAU_N_PT] = {"real", "integer", "date"};

static double *real_field(tyndau_params *p, size_t i)
{
    return (double *)(void *)((char *)p + tyndau_param_table[i].offset);
}
static int *int_field(tyndau_params *p, size_t i)
{
    return (int *)(void *)((char *)p + tyndau_param_table[i].offset);
}

double tyndau_params_get(const tyndau_params *p, size_t i)
{
    const char *base = (const char *)p + tyndau_param_table[i].offset;
    if (tyndau_param_table[i].type == TYNDAU_PT_REAL) return *(const double *)(const void *)base;
    return (double)*(const int *)(const void *)base;
}

void tyndau_params_default(tyndau_params *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < tyndau_n_params; i++) {
        if (tyndau_param_table[i].type == TYNDAU_PT_REAL)
            *real_field(p, i) = tyndau_param_table[i].def;
        else
            *int_field(p, i) = (int)tyndau_param_table[i].def;
    }
}

int tyndau_params_find(const char *name)
{
    for (size_t i = 0; i < tyndau_n_params; i++)
        if (strcmp(tyndau_param_table[i].name, name) == 0) return (int)i;
    return -1;
}

/* Levenshtein distance with one row of workspace; names are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *tyndau_params_nearest(const char *name)
{
    const char *best = tyndau_param_table[0].name;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < tyndau_n_params; i++) {
        size_t d = edit_distance(name, tyndau_param_table[i].name);
        if (d < best_d) {
            best_d = d;
            best = tyndau_param_table[i].name;
        }
    }
    return best;
}

int tyndau_date_parse(const char *s, int *days)
{
    int y, m, d, n = 0;
    /* exactly DDDD-DD-DD: sscanf alone would take signs and blanks */
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int k = 0; k < 10; k++)
        if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9')) return -1;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10) return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1) return -1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return -1;
    *days = TYNDAU_YMD(y, m, d);
    return 0;
}

void tyndau_date_format(int days, char *buf, size_t len)
{
    /* Hinnant's civil_from_days */
    long z = (long)days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(buf, len, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
}

int tyndau_weekday(int days)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int w = (days + 3) % 7;
    return w < 0 ? w + 7 : w;
}

void tyndau_params_format(const tyndau_params *p, size_t i, char *buf, size_t len)
{
    double v = tyndau_params_get(p, i);
    switch (tyndau_param_table[i].type) {
    case TYNDAU_PT_REAL:
        /* shortest form that reads back to the same double */
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v) snprintf(buf, len, "%.17g", v);
        break;
    case TYNDAU_PT_INT: snprintf(buf, len, "%d", (int)v); break;
    default: tyndau_date_format((int)v, buf, len); break;
    }
}

static void format_bound(const tyndau_param_info *in, double v, char *buf, size_t len)
{
    if (in->type == TYNDAU_PT_DATE)
        tyndau_date_format((int)v, buf, len);
    else
        snprintf(buf, len, "%g", v);
}

static tyndau_status range_error(const tyndau_param_info *in, const char *value, tyndau_error *err)
{
    char lo[32], hi[32];
    format_bound(in, in->min, lo, sizeof lo);
    format_bound(in, in->max, hi, sizeof hi);
    return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected %s %s in [%s, %s] (%s), got '%s'",
                      in->name, in->type == TYNDAU_PT_INT ? "an" : "a", type_names[in->type], lo, hi,
                      in->unit, value);
}

tyndau_status tyndau_params_set(tyndau_params *p, const char *name, const char *value,
                                tyndau_error *err)
{
    int idx = tyndau_params_find(name);
    if (idx < 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "unknown parameter '%s' (did you mean '%s'?)", name,
                          tyndau_params_nearest(name));
    size_t i = (size_t)idx;
    const tyndau_param_info *in = &tyndau_param_table[i];
    double v;
    if (in->type == TYNDAU_PT_DATE) {
        int d;
        if (tyndau_date_parse(value, &d) != 0) return range_error(in, value, err);
        v = d;
    } else {
        char *end = NULL;
        errno = 0;
        v = strtod(value, &end);
        /* strtod accepts "nan", "inf" and hex; a parameter is a finite decimal. */
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v) ||
            strpbrk(value, "xXnNiI") != NULL)
            return range_error(in, value, err);
        if (in->type == TYNDAU_PT_INT && v != floor(v)) return range_error(in, value, err);
        if (v == 0.0) v = 0.0; /* "-0" is 0: a negative zero would show, and could divide, as one */
    }
    if (!(v >= in->min && v <= in->max)) return range_error(in, value, err);
    if (in->type == TYNDAU_PT_REAL)
        *real_field(p, i) = v;
    else
        *int_field(p, i) = (int)v;
    return TYNDAU_OK;
}

void tyndau_params_put(tyndau_params *p, size_t i, double v)
{
    if (tyndau_param_table[i].type == TYNDAU_PT_REAL)
        *real_field(p, i) = v;
    else
        *int_field(p, i) = (int)lround(v);
}

int tyndau_params_dated(size_t i) { return tyndau_param_table[i].dated == TYNDAU_DATED; }

static tyndau_status not_dated(size_t param, tyndau_error *err)
{
    return TYNDAU_ERR(err, TYNDAU_EINPUT,
                      "key '%s' cannot change on a date: it is fixed when the model is created; set it in "
                      "section [%s] instead",
                      tyndau_param_table[param].name, tyndau_param_table[param].category);
}

tyndau_status tyndau_params_add_change(tyndau_params *p, int date, size_t param, double value,
                                       tyndau_error *err)
{
    if (param >= tyndau_n_params) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "no parameter %zu", param);
    if (!tyndau_params_dated(param)) return not_dated(param, err);
    if (p->n_changes >= TYNDAU_MAX_CHANGES)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected at most %d dated changes in all",
                          tyndau_param_table[param].name, TYNDAU_MAX_CHANGES);
    int k = p->n_changes;
    while (k > 0 && p->changes[k - 1].date > date) {
        p->changes[k] = p->changes[k - 1];
        k--;
    }
    p->changes[k] = (tyndau_change){date, (int)param, value};
    p->n_changes++;
    return TYNDAU_OK;
}

void tyndau_params_on(const tyndau_params *p, int date, tyndau_params *out)
{
    if (out != p) *out = *p;
    for (int k = 0; k < p->n_changes && p->changes[k].date <= date; k++)
        tyndau_params_put(out, (size_t)p->changes[k].param, p->changes[k].value);
}

static tyndau_status check_values(const tyndau_params *p, tyndau_error *err);

tyndau_status tyndau_params_check(const tyndau_params *p, tyndau_error *err)
{
    tyndau_status rc = check_values(p, err);
    if (rc != TYNDAU_OK || p->n_changes == 0) return rc;
    if (p->n_changes < 0 || p->n_changes > TYNDAU_MAX_CHANGES)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%d dated changes", p->n_changes);
    tyndau_params q = *p;
    for (int k = 0; k < p->n_changes; k++) {
        const tyndau_change *c = &p->changes[k];
        char d[16], s[16], e[16];
        tyndau_date_format(c->date, d, sizeof d);
        if (c->param < 0 || (size_t)c->param >= tyndau_n_params || (k > 0 && c->date < p->changes[k - 1].date))
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "dated changes out of order");
        const char *name = tyndau_param_table[c->param].name;
        if (!tyndau_params_dated((size_t)c->param)) return not_dated((size_t)c->param, err);
        if (c->date < p->start_date || c->date > p->end_date) {
            tyndau_date_format(p->start_date, s, sizeof s);
            tyndau_date_format(p->end_date, e, sizeof e);
            return TYNDAU_ERR(err, TYNDAU_EINPUT,
                              "dated change of '%s' on %s: expected a date in the simulated period, %s to %s",
                              name, d, s, e);
        }
        tyndau_params_put(&q, (size_t)c->param, c->value);
        if (k + 1 < p->n_changes && p->changes[k + 1].date == c->date) continue;
        tyndau_error e2;
        tyndau_error_clear(&e2);
        if (check_values(&q, &e2) != TYNDAU_OK)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "with the dated changes of %s: %s", d, e2.msg);
    }
    return TYNDAU_OK;
}

static tyndau_status check_values(const tyndau_params *p, tyndau_error *err)
{
    for (size_t i = 0; i < tyndau_n_params; i++) {
        const tyndau_param_info *in = &tyndau_param_table[i];
        double v = tyndau_params_get(p, i);
        if (!(v >= in->min && v <= in->max)) {
            char buf[40];
            tyndau_params_format(p, i, buf, sizeof buf);
            return range_error(in, buf, err);
        }
    }
    double age = p->age_share_18_29 + p->age_share_30_45 + p->age_share_46_60;
    if (age > 1.0 + 1e-12)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "keys 'age_share_18_29' + 'age_share_30_45' + 'age_share_46_60': expected a "
                          "sum of at most 1 (61+ is the remainder), got %g",
                          age);
    if (p->income_low_share + p->income_high_share > 1.0 + 1e-12)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "keys 'income_low_share' + 'income_high_share': expected a sum of at most 1, got %g",
                          p->income_low_share + p->income_high_share);
    if (p->edu_share_higher + p->edu_share_vocational > 1.0 + 1e-12)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "keys 'edu_share_higher' + 'edu_share_vocational': expected a sum of at most 1 (general "
                          "secondary or less is the remainder), got %g",
                          p->edu_share_higher + p->edu_share_vocational);
    if (p->egov_share > p->internet_share)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "key 'egov_share': expected at most 'internet_share' (%g), got %g",
                          p->internet_share, p->egov_share);
    if (p->end_date < p->start_date)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "key 'end_date': expected a date not before 'start_date'");
    if (p->end_date - p->start_date > 40000)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "keys 'start_date'..'end_date': expected at most 40000 days");
    if (p->survey_date < p->start_date || p->survey_date > p->end_date)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "key 'survey_date': expected a date from 'start_date' to 'end_date' (the survey runs "
                          "inside the simulation)");
    if (p->platform_full_date < p->platform_start_date)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "key 'platform_full_date': expected a date not before 'platform_start_date'");
    return TYNDAU_OK;
}

/* Markdown cells may not hold '|'. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
    }
}

void tyndau_params_markdown(FILE *out)
{
    fputs("# tyndau parameters\n\n"
          "Generated by `tyndau params --markdown` from `model/params.def`, the single source of\n"
          "truth; do not edit by hand (`make docs` rewrites it, and a test fails when it is stale).\n"
          "A source of \"assumption\" marks a candidate for calibration or sweeps. Dates are\n"
          "YYYY-MM-DD. Observed survey figures: Kurmanov, Selteyev & Almaganbetov (2024), *Central\n"
          "Asian Survey* 43(2), 235-256, doi:10.1080/02634937.2023.2268652; other sources are listed\n"
          "in `docs/ODD.md`.  \"On a date\": whether a scenario may change the parameter in a\n"
          "`[from YYYY-MM-DD]` section (it is read as the model runs) or not (it is fixed when the\n"
          "citizens, their ties and the offices are created).\n",
          out);
    const char *cat = "";
    tyndau_params defaults;
    tyndau_params_default(&defaults);
    for (size_t i = 0; i < tyndau_n_params; i++) {
        const tyndau_param_info *in = &tyndau_param_table[i];
        if (strcmp(cat, in->category) != 0) {
            cat = in->category;
            fprintf(out, "\n## %s\n\n| name | type | default | min | max | unit | on a date | description | "
                         "source |\n|---|---|---|---|---|---|---|---|---|\n", cat);
        }
        char def[40], lo[32], hi[32];
        tyndau_params_format(&defaults, i, def, sizeof def);
        format_bound(in, in->min, lo, sizeof lo);
        format_bound(in, in->max, hi, sizeof hi);
        fprintf(out, "| `%s` | %s | %s | %s | %s | ", in->name, type_names[in->type], def, lo, hi);
        md_cell(out, in->unit);
        fputs(in->dated == TYNDAU_DATED ? " | may change | " : " | fixed | ", out);
        md_cell(out, in->description);
        fputs(" | ", out);
        md_cell(out, in->source);
        fputs(" |\n", out);
    }
}
