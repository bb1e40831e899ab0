/*
 * scenario_origin.c - where each parameter of a prepared scenario got its value (scenario.h):
 * the layer numbers of tyndau_scenario.origin turned into words, "calibrated, SOURCE:LINE" and
 * the like, for `tyndau params SCENARIO`, the run's output and its /scenario/origin.
 */
#include <stdio.h>
#include <string.h>

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
