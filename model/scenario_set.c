/*
 * scenario_set.c - what is done to a scenario after its files are read (scenario.h): the
 * command line's --set KEY=VALUE overrides (one key once), the text of the scenario with the
 * files it inherits from (what a run records), and the check that every dated change falls in
 * the simulated period.  tyndau_scenario_prepare (scenario.c) calls them in that order.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "scenario.h"

/* The key of "KEY=VALUE" (blanks around it trimmed) is key. */
static int set_key_is(const char *kv, const char *key)
{
    while (isspace((unsigned char)*kv)) kv++;
    const char *eq = strchr(kv, '=');
    size_t n = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
    while (n > 0 && isspace((unsigned char)kv[n - 1])) n--;
    return n == strlen(key) && strncmp(kv, key, n) == 0;
}

tyndau_status tyndau_scenario_apply_set(tyndau_scenario *s, tyndau_params *p, const char *kv,
                                        tyndau_error *err)
{
    if (kv == NULL) kv = "";
    const char *eq = strchr(kv, '=');
    if (eq == NULL) return TYNDAU_ERR(err, TYNDAU_EINPUT, "--set '%s': expected key=value", kv);
    char *copy = tyndau_strdup(kv);
    if (copy == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "--set '%s': out of memory", kv);
    /* split the copy at '=' and trim both halves */
    char *key = copy, *value = copy + (eq - kv) + 1;
    value[-1] = '\0';
    while (isspace((unsigned char)*key)) key++;
    for (size_t n = strlen(key); n > 0 && isspace((unsigned char)key[n - 1]); n--) key[n - 1] = '\0';
    while (isspace((unsigned char)*value)) value++;
    for (size_t n = strlen(value); n > 0 && isspace((unsigned char)value[n - 1]); n--)
        value[n - 1] = '\0';
    if (*key == '\0' || *value == '\0') {
        free(copy);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "--set '%s': expected key=value", kv);
    }
    /* as a key twice in a file: the later one would silently win */
    for (size_t k = 0; k < s->n_overrides; k++)
        if (set_key_is(s->overrides[k], key)) {
            tyndau_status twice = TYNDAU_ERR(err, TYNDAU_EINPUT, "--set '%s': key '%s' given twice (first --set '%s')",
                                             kv, key, s->overrides[k]);
            free(copy);
            return twice;
        }
    /* allocate first so that a failure leaves *p unchanged */
    char *given = tyndau_strdup(kv);
    char **grown = given != NULL ? tyndau_reallocarray(s->overrides, s->n_overrides + 1,
                                                       sizeof *s->overrides)
                                 : NULL;
    if (grown == NULL) {
        free(given);
        free(copy);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "--set '%s': out of memory", kv);
    }
    s->overrides = grown;
    tyndau_error e;
    tyndau_error_clear(&e);
    tyndau_status rc = tyndau_params_set(p, key, value, &e);
    int idx = tyndau_params_find(key);
    free(copy);
    if (rc != TYNDAU_OK) {
        free(given);
        return TYNDAU_ERR(err, rc, "--set '%s': %s", kv, e.msg);
    }
    s->overrides[s->n_overrides++] = given;
    if (idx >= 0 && s->origin != NULL) s->origin[idx] = (int)s->n_bases + 1, s->origin_line[idx] = 0;
    return TYNDAU_OK;
}

char *tyndau_scenario_joined_text(const tyndau_scenario *s, const char *own)
{
    static const char head[] = "; ---- inherited: ";
    if (own == NULL) own = "";
    size_t len = strlen(own) + 1;
    for (size_t k = 0; k < s->n_bases; k++)
        len += sizeof head + strlen(s->base_sources[k]) + 1 + strlen(s->base_texts[k]);
    char *out = tyndau_calloc(len, 1), *p = out;
    if (out == NULL) return NULL;
    for (size_t k = 0; k < s->n_bases; k++)
        p += sprintf(p, "%s%s\n%s", head, s->base_sources[k], s->base_texts[k]);
    strcpy(p, own);
    return out;
}

tyndau_status tyndau_scenario_check(const tyndau_scenario *s, const tyndau_params *p, tyndau_error *err)
{
    for (size_t k = 0; k < s->n_changes; k++) {
        const tyndau_scenario_change *c = &s->changes[k];
        if (c->date >= p->start_date && c->date <= p->end_date) continue;
        char d[16], a[16], b[16];
        tyndau_date_format(c->date, d, sizeof d);
        tyndau_date_format(p->start_date, a, sizeof a);
        tyndau_date_format(p->end_date, b, sizeof b);
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "%s:%d: dated change of '%s' on %s: expected a date in the simulated period, %s to %s",
                          c->source ? c->source : "(scenario)", c->line, tyndau_param_table[c->param].name, d, a,
                          b);
    }
    return TYNDAU_OK;
}
