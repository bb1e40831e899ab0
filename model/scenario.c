/*
 * scenario.c - reading scenario files (see scenario.h for the format).
 *
 * libinih does the parsing; this file feeds it lines and judges what it finds.
 * One load_state lives for one load:
 *
 *   - read_line(), the ini_reader, hands inih exactly one physical line per call,
 *     so st->lineno is the number of the line inih is working on whenever the
 *     handler runs.  It strips leading whitespace (no continuation lines) and the
 *     UTF-8 byte-order mark, and swallows a line that is too long whole (inih
 *     would otherwise split it and miscount lines), recording the first such
 *     line in st->long_line.
 *   - on_key(), the ini_handler, applies one key and records its FIRST failure
 *     in st->herr (message already prefixed "SOURCE:LINE: ") with the line it
 *     is about (st->herr_line; the section header for an unknown section) and
 *     the line inih was on (st->herr_call_line).  Later failures are ignored,
 *     and it returns nonzero for them so that inih's own result stays the line
 *     of the first failure.
 *   - ini_parse_stream() returns the first line that was malformed or whose
 *     handler call failed: when it is not st->herr_call_line it is a malformed
 *     line.  The error reported is the earliest of the three kinds.
 *
 * Invariant: st->param_line[i] is the line that set parameter i (0: not set), so
 * a second setting is found at once and both lines are named.
 *
 * The scenario is built in a local tyndau_scenario and moved into the caller's
 * only on success, so the caller's struct is untouched (and freeable) on error.
 */
#include "scenario.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scenario larger than this is surely not one. */
#define MAX_FILE_BYTES (1u << 20)

typedef struct {
    const char *pos;    /* next unread character of the text */
    const char *source; /* for messages */
    tyndau_params *p;
    tyndau_scenario *sc; /* the scenario being built */

    int lineno;       /* number of the line last handed to inih */
    int section_line; /* line of the last section header seen */
    int long_line;    /* first line that was too long (0: none) */
    size_t long_len;  /* its length */
    int bad_line;     /* first line inih would misread (tyndau_text_ini_problem; 0: none) */
    char bad_why[160];
    int unknown_line;  /* first header of an unknown section (0: none); the handler says more when a key */
    char unknown[48];  /* follows it (the category of that key), so this counts only without one */

    tyndau_error herr;  /* first failure of the handler */
    int herr_line;      /* the line that message is about (0: none) */
    int herr_call_line; /* the line inih was on then */

    int *param_line; /* [tyndau_n_params]: line that set each parameter, 0 if none */
    int name_line, description_line, base_line;
    char base[TYNDAU_SCENARIO_MAX_LINE + 1]; /* the first pass's `base` value */
    tyndau_params scratch; /* values of dated changes are parsed here */
} load_state;

/* The files being loaded, innermost last: for circular inheritance. */
typedef struct {
    char *real[TYNDAU_SCENARIO_MAX_DEPTH + 1];
    const char *shown[TYNDAU_SCENARIO_MAX_DEPTH + 1];
    int n;
    const char *root_text, *root_source; /* the base of a file without one (NULL: none) */
} chain;

static tyndau_status load_text(tyndau_scenario *s, tyndau_params *p, const char *text, const char *source,
                               chain *ch, tyndau_error *err);
static tyndau_status adopt(tyndau_scenario *sc, tyndau_scenario *bs, const char *source, tyndau_error *err);
static tyndau_status load_file(tyndau_scenario *s, tyndau_params *p, const char *path, chain *ch,
                               tyndau_error *err);

/* ---- reader ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_category(const char *s);

static char *read_line(char *buf, int num, void *stream)
{
    load_state *st = stream;
    if (*st->pos == '\0' || num < 2) return NULL;
    const char *b = st->pos;
    const char *nl = strchr(b, '\n');
    size_t len = nl != NULL ? (size_t)(nl - b) + 1 : strlen(b);
    const char *end = b + len;
    st->pos = end;
    st->lineno++;

    if (st->lineno == 1 && len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;
    /* length without the line ending */
    const char *cend = end;
    if (cend > b && cend[-1] == '\n') cend--;
    if (cend > b && cend[-1] == '\r') cend--;
    size_t content = (size_t)(cend - b);
    /* inih needs room for "\r\n" and the terminating NUL */
    size_t limit = TYNDAU_SCENARIO_MAX_LINE;
    if ((size_t)num < limit + 3) limit = num > 3 ? (size_t)num - 3 : 0;
    if (content > limit) {
        if (st->long_line == 0) {
            st->long_line = st->lineno;
            st->long_len = content;
        }
        buf[0] = '\0'; /* inih sees an empty line */
        return buf;
    }
    const char *why = tyndau_text_ini_problem(b, content);
    while (b < end && is_blank(*b)) b++;
    const char *close = b < end && *b == '[' ? memchr(b, ']', (size_t)(end - b)) : NULL;
    if (close != NULL) {
        st->section_line = st->lineno;
        /* a dated section is checked here: without keys the handler would never see it */
        int date;
        char d[16] = "";
        if (why == NULL && close - b > 6 && strncmp(b + 1, "from ", 5) == 0 && st->bad_line == 0) {
            snprintf(d, sizeof d, "%.*s", (int)(close - b - 6), b + 6);
            if (tyndau_date_parse(d, &date) != 0) {
                st->bad_line = st->lineno;
                snprintf(st->bad_why, sizeof st->bad_why,
                         "section [from %.20s]: expected [from YYYY-MM-DD] with a valid date", d);
            }
        } else if (why == NULL) {
            /* so is an unknown one (the handler names it too, but only at a key under it) */
            char sec[64];
            const char *n = b + 1, *ne = close;
            while (n < ne && is_blank(*n)) n++;
            while (ne > n && is_blank(ne[-1])) ne--;
            snprintf(sec, sizeof sec, "%.*s", (int)(ne - n), n);
            int dated = strncmp(sec, "from", 4) == 0 && is_blank(sec[4]);
            if (st->unknown_line == 0 &&
                ((size_t)(ne - n) >= sizeof sec || (strcmp(sec, "scenario") != 0 && !dated && !is_category(sec)))) {
                st->unknown_line = st->lineno;
                snprintf(st->unknown, sizeof st->unknown, "%.40s", sec);
            }
        }
    }
    if (why != NULL && st->bad_line == 0) {
        st->bad_line = st->lineno;
        snprintf(st->bad_why, sizeof st->bad_why, "%s", why);
    }
    size_t n = (size_t)(end - b);
    memcpy(buf, b, n);
    buf[n] = '\0';
    return buf;
}

/* ---- handler ---- */

/* Record the handler's first failure, about line `line`; returns 0 for inih. */
static int fail(load_state *st, int line, tyndau_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(load_state *st, int line, tyndau_status status, const char *fmt, ...)
{
    char buf[sizeof st->herr.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    TYNDAU_ERR(&st->herr, status, "%s:%d: %s", st->source, line, buf);
    st->herr_line = line;
    st->herr_call_line = st->lineno;
    return 0;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof ((tyndau_scenario *)0)->name) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') return 0;
    return 1;
}

static int is_category(const char *s)
{
    for (size_t i = 0; i < tyndau_n_params; i++)
        if (strcmp(tyndau_param_table[i].category, s) == 0) return 1;
    return 0;
}

static int scenario_key(load_state *st, const char *key, const char *value)
{
    int line = st->lineno;
    int *seen;
    if (strcmp(key, "name") == 0)
        seen = &st->name_line;
    else if (strcmp(key, "description") == 0)
        seen = &st->description_line;
    else if (strcmp(key, "base") == 0)
        seen = &st->base_line; /* read by the first pass; here only checked */
    else if (tyndau_params_find(key) >= 0)
        return fail(st, line, TYNDAU_EINPUT,
                    "key '%s' belongs in section [%s], not [scenario]", key,
                    tyndau_param_table[tyndau_params_find(key)].category);
    else
        return fail(st, line, TYNDAU_EINPUT,
                    "unknown key '%s' in [scenario]; expected 'name', 'description' or 'base'", key);
    if (*seen != 0)
        return fail(st, line, TYNDAU_EINPUT, "key '%s' given twice (first on line %d)", key, *seen);
    if (*value == '\0') return fail(st, line, TYNDAU_EINPUT, "key '%s': expected a value", key);
    if (seen == &st->base_line) {
        *seen = line;
        return 1;
    }
    if (seen == &st->name_line) {
        if (!valid_name(value))
            return fail(st, line, TYNDAU_EINPUT,
                        "key 'name': expected a short identifier (letters, digits, '-', '_', '.'; "
                        "at most %zu characters), got '%s'",
                        sizeof st->sc->name - 1, value);
        snprintf(st->sc->name, sizeof st->sc->name, "%s", value);
    } else {
        char *d = tyndau_strdup(value);
        if (d == NULL) return fail(st, line, TYNDAU_EINTERNAL, "out of memory");
        free(st->sc->description);
        st->sc->description = d;
    }
    *seen = line;
    return 1;
}

/* A key under [from DATE]: a dated change. */
static int dated_key(load_state *st, const char *sec, const char *key, const char *value)
{
    int line = st->lineno, sline = st->section_line > 0 ? st->section_line : line;
    const char *d = sec + 4;
    while (is_blank(*d)) d++;
    int date;
    if (tyndau_date_parse(d, &date) != 0)
        return fail(st, sline, TYNDAU_EINPUT, "section [%s]: expected [from YYYY-MM-DD] with a valid date", sec);
    int idx = tyndau_params_find(key);
    tyndau_error e;
    tyndau_error_clear(&e);
    if (idx < 0) {
        tyndau_status rc = tyndau_params_set(&st->scratch, key, value, &e);
        return fail(st, line, rc != TYNDAU_OK ? rc : TYNDAU_EINTERNAL, "%s", e.msg);
    }
    tyndau_scenario *sc = st->sc;
    for (size_t k = 0; k < sc->n_changes; k++)
        if (sc->changes[k].source == NULL && sc->changes[k].date == date && sc->changes[k].param == idx)
            return fail(st, line, TYNDAU_EINPUT, "key '%s' given twice for %s (first on line %d)", key, d,
                        sc->changes[k].line);
    if (*value == '\0') return fail(st, line, TYNDAU_EINPUT, "key '%s': expected a value", key);
    tyndau_status rc = tyndau_params_set(&st->scratch, key, value, &e);
    if (rc != TYNDAU_OK) return fail(st, line, rc, "%s", e.msg);
    double v = tyndau_params_get(&st->scratch, (size_t)idx);
    rc = tyndau_params_add_change(st->p, date, (size_t)idx, v, &e);
    if (rc != TYNDAU_OK) return fail(st, line, rc, "%s", e.msg);
    tyndau_scenario_change *grown = tyndau_reallocarray(sc->changes, sc->n_changes + 1, sizeof *grown);
    if (grown == NULL) return fail(st, line, TYNDAU_EINTERNAL, "out of memory");
    sc->changes = grown;
    /* source NULL marks this file's own changes until the load ends */
    sc->changes[sc->n_changes++] = (tyndau_scenario_change){date, idx, line, v, NULL};
    return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    load_state *st = user;
    if (st->herr_line != 0) return 1; /* only the first failure is reported */
    /* inih takes "key = ; note" as the value "; note": it is an empty value */
    if (*value == ';') value = "";
    int line = st->lineno;
    if (*key == '\0')
        return fail(st, line, TYNDAU_EINPUT,
                    "malformed line: expected 'key = value', '[section]' or a comment");

    /* the section name, trimmed ("[ state ]" is [state]) */
    char sec[64];
    while (is_blank(*section)) section++;
    snprintf(sec, sizeof sec, "%s", section);
    for (size_t n = strlen(sec); n > 0 && is_blank(sec[n - 1]); n--) sec[n - 1] = '\0';

    if (strcmp(sec, "scenario") == 0) return scenario_key(st, key, value);
    if (strncmp(sec, "from", 4) == 0 && (sec[4] == ' ' || sec[4] == '\t' || sec[4] == '\0'))
        return dated_key(st, sec, key, value);

    int idx = tyndau_params_find(key);
    if (*sec != '\0' && !is_category(sec))
        return fail(st, st->section_line > 0 ? st->section_line : line, TYNDAU_EINPUT,
                    "unknown section [%s]; expected [scenario] or a parameter category such as [%s]",
                    sec, tyndau_param_table[idx >= 0 ? (size_t)idx : 0].category);
    tyndau_error e;
    tyndau_error_clear(&e);
    if (idx < 0) {
        tyndau_status rc = tyndau_params_set(st->p, key, value, &e);
        return fail(st, line, rc != TYNDAU_OK ? rc : TYNDAU_EINTERNAL, "%s", e.msg);
    }
    const tyndau_param_info *in = &tyndau_param_table[idx];
    if (*sec != '\0' && strcmp(sec, in->category) != 0)
        return fail(st, line, TYNDAU_EINPUT, "key '%s' belongs in section [%s], not [%s]", key,
                    in->category, sec);
    if (st->param_line[idx] != 0)
        return fail(st, line, TYNDAU_EINPUT, "key '%s' given twice (first on line %d)", key,
                    st->param_line[idx]);
    if (*value == '\0') return fail(st, line, TYNDAU_EINPUT, "key '%s': expected a value", key);
    tyndau_status rc = tyndau_params_set(st->p, key, value, &e);
    if (rc != TYNDAU_OK) return fail(st, line, rc, "%s", e.msg);
    st->param_line[idx] = line;
    return 1;
}

/* ---- loading ---- */

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Default name from the source: see scenario.h. */
static void stem_of(const char *source, char *out, size_t outlen)
{
    const char *b = source;
    size_t n = strlen(b);
    if (n >= 2 && b[0] == '(' && b[n - 1] == ')') {
        b++;
        n -= 2;
        for (size_t i = n; i > 0; i--)
            if (b[i - 1] == ' ') {
                b += i;
                n -= i;
                break;
            }
    }
    for (size_t i = n; i > 0; i--)
        if (b[i - 1] == '/') {
            b += i;
            n -= i;
            break;
        }
    for (size_t i = n; i > 1; i--)
        if (b[i - 1] == '.') {
            n = i - 1;
            break;
        }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outlen; i++) out[k++] = name_char(b[i]) ? b[i] : '_';
    out[k] = '\0';
    if (k == 0) snprintf(out, outlen, "scenario");
}

/* First pass: only [scenario] base. */
static int base_only(void *user, const char *section, const char *key, const char *value)
{
    load_state *st = user;
    while (is_blank(*section)) section++;
    size_t n = strlen(section);
    while (n > 0 && is_blank(section[n - 1])) n--;
    if (n == 8 && strncmp(section, "scenario", 8) == 0 && strcmp(key, "base") == 0 && st->base_line == 0 &&
        *value != ';' && *value != '\0') {
        st->base_line = st->lineno;
        snprintf(st->base, sizeof st->base, "%s", value);
    }
    return 1;
}

static int push_string(char ***v, size_t n, const char *s)
{
    char *d = tyndau_strdup(s);
    char **g = d != NULL ? tyndau_reallocarray(*v, n + 1, sizeof **v) : NULL;
    if (g == NULL) {
        free(d);
        return -1;
    }
    g[n] = d;
    *v = g;
    return 0;
}

/* Take the loaded base *bs into *sc (which holds nothing yet): the base's own bases, then the
 * base itself, its changes as they are, and its origins, whose layer numbers stay the same (the
 * base's bases come first in sc too, the base next). *bs is freed. */
static tyndau_status adopt(tyndau_scenario *sc, tyndau_scenario *bs, const char *source, tyndau_error *err)
{
    int bad = 0;
    for (size_t k = 0; k < bs->n_bases && !bad; k++)
        bad = push_string(&sc->base_sources, sc->n_bases, bs->base_sources[k]) != 0 ||
              push_string(&sc->base_texts, sc->n_bases, bs->base_texts[k]) != 0 || (sc->n_bases++, 0);
    if (!bad)
        bad = push_string(&sc->base_sources, sc->n_bases, bs->source) != 0 ||
              push_string(&sc->base_texts, sc->n_bases, bs->text) != 0 || (sc->n_bases++, 0);
    if (!bad) {
        sc->changes = bs->changes;
        sc->n_changes = bs->n_changes;
        bs->changes = NULL;
        bs->n_changes = 0;
        memcpy(sc->origin, bs->origin, tyndau_n_params * sizeof *sc->origin);
        memcpy(sc->origin_line, bs->origin_line, tyndau_n_params * sizeof *sc->origin_line);
        sc->no_base = bs->no_base;
    }
    tyndau_scenario_free(bs);
    if (bad) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory reading scenario", source);
    return TYNDAU_OK;
}

/* Load the base named on line `line` of `source` into *sc and *p. */
static tyndau_status load_base(tyndau_scenario *sc, tyndau_params *p, const char *source, int line,
                               const char *base, chain *ch, tyndau_error *err)
{
    char path[PATH_MAX];
    const char *slash = strrchr(source, '/');
    if (base[0] != '/' && source[0] != '(' && slash != NULL)
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - source), source, base);
    else
        snprintf(path, sizeof path, "%s", base);
    struct stat sb; /* stat, not open: a FIFO would block an open (tyndau_text_read refuses it) */
    if (stat(path, &sb) != 0 || access(path, R_OK) != 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'base': cannot read '%s': %s", source, line, path,
                          strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'base': cannot read '%s': expected a regular file", source,
                          line, path);
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) snprintf(real, sizeof real, "%s", path);
    for (int k = 0; k < ch->n; k++)
        if (strcmp(ch->real[k], real) == 0) {
            char trail[1024] = "";
            size_t used = 0;
            for (int j = k; j < ch->n && used < sizeof trail; j++)
                used += (size_t)snprintf(trail + used, sizeof trail - used, "%s -> ", ch->shown[j]);
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'base': circular inheritance: %s%s", source, line,
                              trail, path);
        }
    if (ch->n >= TYNDAU_SCENARIO_MAX_DEPTH)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: key 'base': expected at most %d files of inheritance",
                          source, line, TYNDAU_SCENARIO_MAX_DEPTH);
    tyndau_scenario bs;
    memset(&bs, 0, sizeof bs);
    tyndau_status rc = load_file(&bs, p, path, ch, err);
    if (rc != TYNDAU_OK) {
        tyndau_scenario_free(&bs);
        return rc;
    }
    return adopt(sc, &bs, source, err);
}

/* The calibrated baseline (the chain's root_text) under a file that names no base. */
static tyndau_status load_root(tyndau_scenario *sc, tyndau_params *p, const char *source, chain *ch,
                               tyndau_error *err)
{
    tyndau_scenario bs;
    memset(&bs, 0, sizeof bs);
    tyndau_status rc = load_text(&bs, p, ch->root_text, ch->root_source, ch, err);
    if (rc != TYNDAU_OK) {
        tyndau_scenario_free(&bs);
        return rc;
    }
    return adopt(sc, &bs, source, err);
}

tyndau_status tyndau_scenario_load_text(tyndau_scenario *s, tyndau_params *p, const char *text,
                                        const char *source, tyndau_error *err)
{
    chain ch;
    memset(&ch, 0, sizeof ch);
    return load_text(s, p, text, source, &ch, err);
}

static tyndau_status load_text(tyndau_scenario *s, tyndau_params *p, const char *text, const char *source,
                               chain *ch, tyndau_error *err)
{
    if (source == NULL) source = "(scenario)";
    tyndau_scenario sc;
    memset(&sc, 0, sizeof sc);
    load_state st;
    memset(&st, 0, sizeof st);
    sc.text = tyndau_strdup(text);
    sc.source = tyndau_strdup(source);
    sc.description = tyndau_strdup("");
    st.param_line = tyndau_calloc(tyndau_n_params, sizeof *st.param_line);
    sc.origin = tyndau_calloc(tyndau_n_params, sizeof *sc.origin);
    sc.origin_line = tyndau_calloc(tyndau_n_params, sizeof *sc.origin_line);
    sc.calibrated = -2;
    for (size_t i = 0; sc.origin != NULL && i < tyndau_n_params; i++) sc.origin[i] = -1;
    if (sc.text == NULL || sc.source == NULL || sc.description == NULL || st.param_line == NULL ||
        sc.origin == NULL || sc.origin_line == NULL) {
        free(st.param_line);
        tyndau_scenario_free(&sc);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory reading scenario", source);
    }
    /* the base first, so that this file's values go on top */
    st.pos = text;
    st.source = source;
    if (ini_parse_stream(read_line, &st, base_only, &st) < 0) {
        free(st.param_line);
        tyndau_scenario_free(&sc);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory reading scenario", source);
    }
    int none = st.base_line > 0 && strcmp(st.base, "none") == 0;
    if (st.base_line > 0 || (ch->root_text != NULL && strcmp(text, ch->root_text) != 0)) {
        tyndau_status rc = TYNDAU_OK;
        if (none)
            sc.no_base = 1;
        else if (st.base_line > 0)
            rc = load_base(&sc, p, source, st.base_line, st.base, ch, err);
        else
            rc = load_root(&sc, p, source, ch, err);
        if (rc != TYNDAU_OK) {
            free(st.param_line);
            tyndau_scenario_free(&sc);
            return rc;
        }
    }
    int *param_line = st.param_line;
    memset(&st, 0, sizeof st);
    st.param_line = param_line;
    st.pos = text;
    st.source = source;
    st.p = p;
    st.sc = &sc;
    st.scratch = *p;
    tyndau_error_clear(&st.herr);

    int ret = ini_parse_stream(read_line, &st, on_key, &st);
    for (size_t i = 0; i < tyndau_n_params; i++)
        if (st.param_line[i] > 0) sc.origin[i] = (int)sc.n_bases, sc.origin_line[i] = st.param_line[i];
    free(st.param_line);
    if (ret < 0) {
        tyndau_scenario_free(&sc);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory reading scenario", source);
    }

    /* the earliest of: a malformed line, a line too long, a handler failure */
    int malformed = ret > 0 && ret != st.herr_call_line ? ret : 0;
    int first = 0;
    if (malformed > 0) first = malformed;
    if (st.long_line > 0 && (first == 0 || st.long_line < first)) first = st.long_line;
    if (st.herr_line > 0 && (first == 0 || st.herr_line < first)) first = st.herr_line;
    if (st.bad_line > 0 && (first == 0 || st.bad_line <= first)) first = st.bad_line;
    if (st.unknown_line > 0 && (first == 0 || st.unknown_line < first)) {
        tyndau_scenario_free(&sc);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: unknown section [%s]; expected [scenario], [from YYYY-MM-DD] "
                          "or a parameter category such as [schedule]", source, st.unknown_line, st.unknown);
    }
    if (first != 0) {
        tyndau_status rc;
        if (first == st.bad_line)
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: %s", source, st.bad_line, st.bad_why);
        else if (first == malformed)
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT,
                            "%s:%d: malformed line: expected 'key = value', '[section]' or a comment",
                            source, malformed);
        else if (first == st.long_line)
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT,
                            "%s:%d: line too long: expected at most %d characters, got %zu", source,
                            st.long_line, TYNDAU_SCENARIO_MAX_LINE, st.long_len);
        else {
            rc = st.herr.status;
            if (err != NULL) *err = st.herr;
        }
        tyndau_scenario_free(&sc);
        return rc;
    }

    if (st.name_line == 0) stem_of(source, sc.name, sizeof sc.name);
    for (size_t k = 0; k < sc.n_changes; k++)
        if (sc.changes[k].source == NULL && (sc.changes[k].source = tyndau_strdup(source)) == NULL) {
            tyndau_scenario_free(&sc);
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory reading scenario", source);
        }
    /* overrides belong to the scenario they were applied to: start afresh */
    tyndau_scenario_free(s);
    *s = sc;
    return TYNDAU_OK;
}

tyndau_status tyndau_scenario_load_file(tyndau_scenario *s, tyndau_params *p, const char *path,
                                        tyndau_error *err)
{
    chain ch;
    memset(&ch, 0, sizeof ch);
    return load_file(s, p, path, &ch, err);
}

static tyndau_status load_file(tyndau_scenario *s, tyndau_params *p, const char *path, chain *ch,
                               tyndau_error *err)
{
    char *buf;
    tyndau_status st = tyndau_text_read(&buf, path, "scenario", MAX_FILE_BYTES, err);
    if (st != TYNDAU_OK) return st;
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) snprintf(real, sizeof real, "%s", path);
    ch->real[ch->n] = real;
    ch->shown[ch->n] = path;
    ch->n++;
    tyndau_status rc = load_text(s, p, buf, path, ch, err);
    ch->n--;
    free(buf);
    return rc;
}

tyndau_status tyndau_scenario_prepare(tyndau_scenario *s, tyndau_params *p, const char *path, const char *text,
                                      const char *source, const char *const *sets, size_t n_sets,
                                      tyndau_error *err)
{
    tyndau_params_default(p);
    chain ch;
    memset(&ch, 0, sizeof ch);
    ch.root_text = text;
    ch.root_source = source;
    tyndau_status st = path != NULL ? load_file(s, p, path, &ch, err) : load_text(s, p, text, source, &ch, err);
    for (size_t k = 0; st == TYNDAU_OK && k < n_sets; k++) st = tyndau_scenario_apply_set(s, p, sets[k], err);
    if (st == TYNDAU_OK) st = tyndau_scenario_check(s, p, err);
    if (st == TYNDAU_OK && (st = tyndau_params_check(p, err)) == TYNDAU_EINPUT) st = tyndau_scenario_where_set(s, err);
    if (st == TYNDAU_OK && (s->joined = tyndau_scenario_joined_text(s, s->text)) == NULL)
        st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", s->source ? s->source : source);
    if (st != TYNDAU_OK) {
        tyndau_scenario_free(s);
        return st;
    }
    s->calibrated = -2;
    for (size_t k = 0; text != NULL && k <= s->n_bases && s->calibrated == -2; k++)
        if (strcmp(k < s->n_bases ? s->base_texts[k] : s->text, text) == 0) s->calibrated = (int)k;
    return TYNDAU_OK;
}

void tyndau_scenario_free(tyndau_scenario *s)
{
    if (s == NULL) return;
    free(s->joined);
    for (size_t i = 0; i < s->n_bases; i++) {
        free(s->base_sources[i]);
        free(s->base_texts[i]);
    }
    free(s->base_sources);
    free(s->base_texts);
    for (size_t i = 0; i < s->n_changes; i++) free(s->changes[i].source);
    free(s->changes);
    free(s->text);
    free(s->source);
    free(s->description);
    for (size_t i = 0; i < s->n_overrides; i++) free(s->overrides[i]);
    free(s->overrides);
    free(s->origin);
    free(s->origin_line);
    memset(s, 0, sizeof *s);
}
