/*
 * scenario_origin.c - where each parameter of a prepared scenario got its value (scenario.h):
 * the layer numbers of tyndau_scenario.origin turned into words, "calibrated, SOURCE:LINE" and
 * the like, for `tyndau params SCENARIO`, the run's output and its /scenario/origin; and the
 * place a cross-parameter check's message is put at.
 */
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "scenario.h"

const char *const tyndau_origin_names[TYNDAU_N_ORIGIN] = {"default", "calibrated", "baseline", "file", "--set"};

tyndau_origin tyndau_scenario_origin(const tyndau_scenario *s, size_t i, char *buf, size_t len)
{
    int o = s->origin != NULL && i < tyndau_n_params ? s->origin[i] : -1;
    if (o < 0) {
        snprintf(buf, len, "default");
        return TYNDAU_ORIGIN_DEFAULT;
    }
    if ((size_t)o > s->n_bases) {
        snprintf(buf, len, "--set");
        return TYNDAU_ORIGIN_SET;
    }
    const char *src = (size_t)o < s->n_bases ? s->base_sources[o] : s->source;
    int paren = src[0] == '(' && src[strlen(src) - 1] == ')'; /* "(embedded baseline.ini)" */
    int line = s->origin_line[i];
    if (o != s->calibrated) {
        snprintf(buf, len, "%.*s:%d", (int)strlen(src) - 2 * paren, src + paren, line);
        return TYNDAU_ORIGIN_FILE;
    }
    /* the calibrated baseline holds the reform's schedule and, in every other section, the
     * calibration's values (its header says which calibration) */
    int cal = strcmp(tyndau_param_table[i].category, "schedule") != 0;
    snprintf(buf, len, "%s, %.*s:%d", cal ? "calibrated" : "baseline", (int)strlen(src) - 2 * paren, src + paren,
             line);
    return cal ? TYNDAU_ORIGIN_CALIBRATED : TYNDAU_ORIGIN_BASELINE;
}

tyndau_status tyndau_scenario_where_set(const tyndau_scenario *s, tyndau_error *err)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    for (int pass = 0; pass < 3 && s->origin != NULL; pass++)
        for (const char *q = strchr(msg, '\''); q != NULL; q = strchr(q + 1, '\'')) {
            const char *e = strchr(q + 1, '\'');
            if (e == NULL) break;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(e - q - 1 < 63 ? e - q - 1 : 63), q + 1);
            q = e;
            int i = tyndau_params_find(name), o = i >= 0 ? s->origin[i] : -1;
            size_t layer = o < 0 ? 0 : (size_t)o;
            if (o < 0 || (pass == 0 && layer <= s->n_bases) || (pass == 1 && layer != s->n_bases)) continue;
            if (layer > s->n_bases) {
                const char *kv = "";
                for (size_t k = 0; k < s->n_overrides; k++)
                    if (strncmp(s->overrides[k], name, strlen(name)) == 0 && s->overrides[k][strlen(name)] == '=')
                        kv = s->overrides[k]; /* as typed; blanks around the key ("k = v") leave it unnamed */
                return TYNDAU_ERR(err, err->status, "--set '%s': %s", kv, msg);
            }
            const char *src = layer < s->n_bases ? s->base_sources[layer] : s->source;
            return TYNDAU_ERR(err, err->status, "%s:%d: %s", src, s->origin_line[i], msg);
        }
    return TYNDAU_ERR(err, err->status, "%s: %s", s->source ? s->source : "(scenario)", msg);
}
