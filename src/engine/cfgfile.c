/*
 * cfgfile.c - INI files of the run-many commands (see cfgfile.h).
 */
#include "cfgfile.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "text.h"

int cfg_error(cfg_file *f, const char *fmt, ...)
{
    if (f->err.status != TYNDAU_OK) return 0;
    char buf[sizeof f->err.msg - 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    TYNDAU_ERR(&f->err, TYNDAU_EINPUT, "%s:%d: %s", f->path, f->lineno, buf);
    return 0;
}

int cfg_seen(cfg_file *f, const char *section, const char *key)
{
    char full[80];
    snprintf(full, sizeof full, "%.30s/%.48s", section, key);
    for (int k = 0; k < f->n_seen; k++)
        if (strcmp(f->seen[k], full) == 0) return 1;
    if (f->n_seen < (int)(sizeof f->seen / sizeof f->seen[0])) snprintf(f->seen[f->n_seen++], sizeof f->seen[0], "%s", full);
    return 0;
}

/* A section header [name ... close): one of f->sections, else reported. */
static void unknown_section(cfg_file *f, const char *name, const char *close)
{
    while (name < close && (*name == ' ' || *name == '\t')) name++;
    while (close > name && (close[-1] == ' ' || close[-1] == '\t')) close--;
    size_t n = (size_t)(close - name);
    char expected[160] = "";
    size_t k = 0, used = 0;
    for (; f->sections[k] != NULL; k++) {
        if (strlen(f->sections[k]) == n && memcmp(f->sections[k], name, n) == 0) return;
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s[%s]",
                                 k == 0 ? "" : f->sections[k + 1] == NULL ? " or " : ", ", f->sections[k]);
        if (used >= sizeof expected) used = sizeof expected - 1;
    }
    cfg_error(f, "unknown section [%.*s], expected %s", (int)(n < 40 ? n : 40), name, expected);
}

/* One physical line per call, leading blanks removed (inih would take an indented line as a
 * continuation), so f->lineno is the line inih is on. */
static char *read_line(char *buf, int num, void *stream)
{
    cfg_file *f = stream;
    if (*f->pos == '\0') return NULL;
    const char *e = strchr(f->pos, '\n');
    size_t len = e ? (size_t)(e - f->pos) : strlen(f->pos);
    f->lineno++;
    const char *s = f->pos;
    f->pos += len + (e != NULL);
    if (f->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, len -= 3;
    const char *why = tyndau_text_ini_problem(s, len);
    if (why != NULL) cfg_error(f, "%s", why);
    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    const char *close = len > 0 && *s == '[' ? memchr(s, ']', len) : NULL;
    if (why == NULL && close != NULL) unknown_section(f, s + 1, close);
    /* libinih's line buffer (num: 200 bytes in Debian's build) holds the line, its ending and a NUL */
    size_t limit = num > 3 && (size_t)num - 3 < CFG_MAX_LINE ? (size_t)num - 3 : CFG_MAX_LINE;
    if (len > limit) {
        cfg_error(f, "line of %zu characters: expected at most %zu (the INI reader's limit; a long 'outputs' list "
                  "can go on several 'outputs =' lines)", len, limit);
        len = 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

tyndau_status cfg_parse(cfg_file *f, const char *path, const char *const *sections, cfg_handler handler, void *user)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->sections = sections;
    tyndau_error_clear(&f->err);
    if (tyndau_text_read(&f->text, path, NULL, 0, &f->err) != TYNDAU_OK) return f->err.status;
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(f->dir, sizeof f->dir, "%.*s", (int)(slash - path), path);
    f->pos = f->text;
    int rc = ini_parse_stream(read_line, f, handler, user);
    if (f->err.status != TYNDAU_OK) return f->err.status;
    if (rc > 0)
        return TYNDAU_ERR(&f->err, TYNDAU_EINPUT,
                          "%s:%d: malformed line, expected '[section]', 'key = value' or a comment", path, rc);
    if (rc < 0) return TYNDAU_ERR(&f->err, TYNDAU_EINTERNAL, "%s: cannot parse (out of memory)", path);
    return TYNDAU_OK;
}

int cfg_path(const cfg_file *f, const char *value, char *dst, size_t len)
{
    int n = value[0] == '/' || f->dir[0] == '\0' ? snprintf(dst, len, "%s", value)
                                                  : snprintf(dst, len, "%s/%s", f->dir, value);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int cfg_count(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || v < lo || v > hi) return -1;
    *out = (size_t)v;
    return 0;
}

int cfg_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0') return -1;
    *out = (uint64_t)v;
    return 0;
}

int cfg_key_count(cfg_file *f, const char *key, const char *value, size_t lo, size_t hi, size_t *out)
{
    if (cfg_count(value, lo, hi, out) != 0)
        return cfg_error(f, "key '%s': expected a whole number from %zu to %zu, got '%s'", key, lo, hi, value);
    return 1;
}

int cfg_key_u64(cfg_file *f, const char *key, const char *value, uint64_t *out)
{
    if (cfg_u64(value, out) != 0) return cfg_error(f, "key '%s': expected an unsigned 64-bit integer, got '%s'", key, value);
    return 1;
}

int cfg_key_path(cfg_file *f, const char *key, const char *value, char *dst)
{
    if (cfg_path(f, value, dst, PATH_MAX) != 0) return cfg_error(f, "key '%s': path too long", key);
    return 1;
}

int cfg_key_param(cfg_file *f, const char *name, const char *value, const char *what, prior_t *pr)
{
    int i = tyndau_params_find(name);
    if (i < 0) {
        const char *near = tyndau_params_nearest(name);
        return cfg_error(f, "unknown parameter '%s'%s%s%s", name, near ? " (did you mean '" : "", near ? near : "",
                         near ? "'?)" : "");
    }
    const tyndau_param_info *info = &tyndau_param_table[i];
    if (info->type != TYNDAU_PT_REAL)
        return cfg_error(f, "key '%s': only real-valued parameters can be %s (this one is %s)", name, what,
                         info->type == TYNDAU_PT_INT ? "an integer" : "a date");
    if (!cfg_key_prior(f, name, value, info->min, info->max, pr)) return 0;
    pr->param = i;
    return 1;
}

int cfg_key_prior(cfg_file *f, const char *key, const char *value, double pmin, double pmax, prior_t *pr)
{
    tyndau_error e;
    if (prior_parse(pr, key, value, pmin, pmax, &e) != TYNDAU_OK) return cfg_error(f, "%s", e.msg);
    pr->line = f->lineno;
    return 1;
}

uint64_t cfg_hash(uint64_t h, const char *s)
{
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

uint64_t cfg_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}
