/*
 * output.c - the HDF5 run file (schema "tyndau-run", docs/output_schema.md): its sections,
 * written through the HDF5 layer (h5.c), which checks every call, describes every dataset,
 * compresses and checksums them and gives every axis a dimension scale.  The file is built
 * under a temporary name and renamed onto its path once complete (tyndau_h5_open).  The reader
 * that prints /survey is output_print.c.
 *
 * Coded axes: each axis named below gets the attribute "<axis>_codes" on every dataset that
 * has it, listing what index 0, 1, ... mean, and a coordinate of those names (group also
 * group_type_codes); coded values (/offices) get "<dataset>_codes".
 */
#include "output.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "h5.h"
#include "internal.h"

enum { AX_GROUP, AX_GROUP_TYPE, AX_DOMAIN, AX_CHANNEL, AX_OUTCOME, AX_STATE, AX_LEVEL, AX_BELIEF, AX_REGION,
       AX_DECISION, N_AX };
static const char *const axis_names[N_AX] = {"group", "group_type", "domain", "channel", "outcome",
                                             "state", "level",      "belief", "region", "decision"};
static const char *const code_attrs[N_AX] = {"group_codes",   "group_type_codes", "domain_codes", "channel_codes",
                                             "outcome_codes", "state_codes",      "level_codes",  "belief_codes",
                                             "region_codes",  "decision_codes"};

/* The code lists, comma-joined ("18-29,30-45,..."). */
typedef struct {
    char v[N_AX][1024];
} code_lists;

/* Append names[0..n-1] to buf, each as "prefix:name" when prefix is given. */
static void join_names(char *buf, size_t len, const char *prefix, const char *const *names, size_t n)
{
    size_t used = strlen(buf);
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s", used ? "," : "", prefix ? prefix : "",
                                 prefix ? ":" : "", names[i]);
}

static void make_codes(code_lists *c)
{
    memset(c, 0, sizeof *c);
    const char *gname[TYNDAU_N_GROUP], *gtype[TYNDAU_N_GROUP], *rname[TYNDAU_N_REGION];
    for (int g = 0; g < TYNDAU_N_GROUP; g++) {
        gname[g] = tyndau_group_name(g);
        gtype[g] = tyndau_gtype_names[tyndau_group_type(g)];
    }
    for (int r = 0; r < TYNDAU_N_REGION; r++) rname[r] = tyndau_group_name(TYNDAU_GROUP_REGION + r);
    size_t len = sizeof c->v[0];
    join_names(c->v[AX_GROUP], len, NULL, gname, TYNDAU_N_GROUP);
    join_names(c->v[AX_GROUP_TYPE], len, NULL, gtype, TYNDAU_N_GROUP);
    join_names(c->v[AX_DOMAIN], len, NULL, tyndau_domain_names, N_DOMAIN);
    join_names(c->v[AX_CHANNEL], len, NULL, tyndau_channel_names, N_CHANNEL);
    join_names(c->v[AX_OUTCOME], len, NULL, tyndau_outcome_names, N_OUTCOME);
    /* the column order of s_state (N_STATE_SERIES) */
    join_names(c->v[AX_STATE], len, "concept", tyndau_concept_names, N_CONCEPT);
    join_names(c->v[AX_STATE], len, "platform", tyndau_platform_names, N_PLATFORM);
    join_names(c->v[AX_STATE], len, "central", tyndau_belief_names, N_BELIEF);
    join_names(c->v[AX_STATE], len, "local", tyndau_belief_names, N_BELIEF);
    join_names(c->v[AX_LEVEL], len, NULL, tyndau_level_names, N_LEVEL);
    join_names(c->v[AX_BELIEF], len, NULL, tyndau_belief_names, N_BELIEF);
    join_names(c->v[AX_REGION], len, NULL, rname, TYNDAU_N_REGION);
    join_names(c->v[AX_DECISION], len, NULL, tyndau_decision_names, N_DECISION);
}

static const char *text_or_empty(const char *s) { return s != NULL ? s : ""; }

static void oom(tyndau_h5 *w, const char *what)
{
    tyndau_h5_fail(w, TYNDAU_EINTERNAL, "%s: out of memory writing %s", w->path, what);
}

static void write_root(tyndau_h5 *w, const tyndau_model *m, const tyndau_meta *meta)
{
    char start[16], end[16], survey[16];
    tyndau_date_format(m->p.start_date, start, sizeof start);
    tyndau_date_format(m->p.end_date, end, sizeof end);
    tyndau_date_format(m->p.survey_date, survey, sizeof survey);
    tyndau_h5_prov prov = {.schema_name = TYNDAU_SCHEMA_NAME, .schema_version = TYNDAU_SCHEMA_VERSION, .seed = m->seed};
    if (meta != NULL) {
        prov.program = meta->program, prov.git_commit = meta->git_commit, prov.cflags = meta->cflags;
        prov.mpi_version = meta->mpi_version, prov.threads = meta->threads, prov.command_line = meta->command_line;
        prov.scenario_source = meta->scenario_source;
        prov.scenario_text = meta->scenario_joined != NULL ? meta->scenario_joined : meta->scenario_text;
    }
    hid_t f = w->file;
    tyndau_h5_provenance(w, f, &prov);
    tyndau_h5_attr_u64(w, f, "agents", (uint64_t)m->c.n);
    tyndau_h5_attr_f64(w, f, "scale", m->scale);
    tyndau_h5_attr_str(w, f, "start_date", start);
    tyndau_h5_attr_str(w, f, "end_date", end);
    tyndau_h5_attr_str(w, f, "survey_date", survey);
    tyndau_h5_attr_str(w, f, "scenario_name", meta != NULL ? meta->scenario_name : NULL);
    tyndau_h5_attr_str(w, f, "targets_source", meta != NULL ? meta->targets_source : NULL);
}

/* Bounds and defaults in the form the reader accepts (as tyndau_params_format does for values). */
static void format_value(tyndau_param_type type, double v, char *buf, size_t len)
{
    switch (type) {
    case TYNDAU_PT_REAL:
        snprintf(buf, len, "%.15g", v);
        if (strtod(buf, NULL) != v && !isnan(v)) snprintf(buf, len, "%.17g", v);
        break;
    case TYNDAU_PT_INT: snprintf(buf, len, "%.0f", v); break;
    default: tyndau_date_format((int)v, buf, len); break;
    }
}

enum { PF_NAME, PF_TYPE, PF_VALUE, PF_DEFAULT, PF_MIN, PF_MAX, PF_UNIT, PF_CATEGORY, PF_DESCRIPTION,
       PF_SOURCE, N_PF };
static const char *const pf_names[N_PF] = {"name", "type",     "value",       "default", "min",
                                           "max",  "unit",     "category",    "description", "source"};
static const char *const ptype_names[TYNDAU_N_PT] = {"real", "integer", "date"};

typedef struct {
    const char *f[N_PF];
} param_row;
typedef struct {
    char v[4][48]; /* value, default, min, max */
} param_text;

static void write_parameters(tyndau_h5 *w, hid_t file, const tyndau_params *p)
{
    const char *where = "/parameters";
    hid_t g = tyndau_h5_group(w, file, where,
                              "Every model parameter: one scalar attribute each (REAL double, INT int32, "
                              "DATE YYYY-MM-DD string), and the full table with bounds and sources.");
    if (g < 0) return;
    for (size_t i = 0; i < tyndau_n_params; i++) {
        const tyndau_param_info *in = &tyndau_param_table[i];
        double v = tyndau_params_get(p, i);
        char date[16];
        switch (in->type) {
        case TYNDAU_PT_REAL: tyndau_h5_attr_f64(w, g, in->name, v); break;
        case TYNDAU_PT_INT: tyndau_h5_attr_int(w, g, in->name, (int)v); break;
        default:
            tyndau_date_format((int)v, date, sizeof date);
            tyndau_h5_attr_str(w, g, in->name, date);
            break;
        }
    }

    size_t n = tyndau_n_params;
    param_row *rows = tyndau_calloc(n, sizeof *rows);
    param_text *text = tyndau_calloc(n, sizeof *text);
    hid_t t = -1;
    if (rows == NULL || text == NULL) oom(w, "/parameters/table");
    if (w->st == TYNDAU_OK) {
        for (size_t i = 0; i < n; i++) {
            const tyndau_param_info *in = &tyndau_param_table[i];
            tyndau_params_format(p, i, text[i].v[0], sizeof text[i].v[0]);
            format_value(in->type, in->def, text[i].v[1], sizeof text[i].v[1]);
            format_value(in->type, in->min, text[i].v[2], sizeof text[i].v[2]);
            format_value(in->type, in->max, text[i].v[3], sizeof text[i].v[3]);
            rows[i].f[PF_NAME] = in->name;
            rows[i].f[PF_TYPE] = ptype_names[in->type];
            for (int k = 0; k < 4; k++) rows[i].f[PF_VALUE + k] = text[i].v[k];
            rows[i].f[PF_UNIT] = text_or_empty(in->unit);
            rows[i].f[PF_CATEGORY] = text_or_empty(in->category);
            rows[i].f[PF_DESCRIPTION] = text_or_empty(in->description);
            rows[i].f[PF_SOURCE] = text_or_empty(in->source);
        }
        t = H5Tcreate(H5T_COMPOUND, sizeof(param_row));
        if (!tyndau_h5_check(w, t, "/parameters/table", NULL))
            for (int k = 0; k < N_PF; k++) {
                size_t off = offsetof(param_row, f) + (size_t)k * sizeof(const char *);
                tyndau_h5_check(w, H5Tinsert(t, pf_names[k], off, w->str), "/parameters/table", NULL);
            }
    }
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "table", .kind = TYNDAU_H5_COMPOUND, .type = t, .rank = 1,
                                             .dims = {n}, .data = rows,
                                             .description = "One row per parameter, in params.def order: name, type "
                                                            "(real, integer, date), value as used in this run, "
                                                            "default, min, max (text in the form the scenario "
                                                            "reader accepts), unit, category, description, source.",
                                             .units = "none (see the unit column)", .axes = "parameter"});
    if (t >= 0) tyndau_h5_check(w, H5Tclose(t), "/parameters/table", NULL);
    free(rows);
    free(text);

    /* dated changes: three parallel string arrays (possibly empty) */
    size_t nc = (size_t)p->n_changes;
    char (*buf)[2][40] = tyndau_calloc(nc ? nc : 1, sizeof *buf);
    const char **cd = tyndau_calloc(nc ? nc : 1, sizeof *cd), **cp = tyndau_calloc(nc ? nc : 1, sizeof *cp);
    const char **cv = tyndau_calloc(nc ? nc : 1, sizeof *cv);
    if (buf == NULL || cd == NULL || cp == NULL || cv == NULL) oom(w, "/parameters/change_*");
    if (w->st == TYNDAU_OK) {
        tyndau_params q = *p;
        for (size_t k = 0; k < nc; k++) {
            const tyndau_change *c = &p->changes[k];
            tyndau_date_format(c->date, buf[k][0], sizeof buf[k][0]);
            tyndau_params_put(&q, (size_t)c->param, c->value);
            tyndau_params_format(&q, (size_t)c->param, buf[k][1], sizeof buf[k][1]);
            cd[k] = buf[k][0];
            cp[k] = tyndau_param_table[c->param].name;
            cv[k] = buf[k][1];
        }
        const char *names[3] = {"change_date", "change_parameter", "change_value"};
        const char **cols[3] = {cd, cp, cv};
        const char *desc[3] = {"Dated changes: the day (YYYY-MM-DD) from which the parameter takes the value; "
                               "the attributes and the table hold the values on start_date.",
                               "Dated changes: the parameter's name.",
                               "Dated changes: the new value, as text in the form the scenario reader accepts."};
        for (int k = 0; k < 3; k++)
            tyndau_h5_vector(w, g, names[k], TYNDAU_H5_STR, nc, cols[k], "change",
                             desc[k], "none");
    }
    free(buf), free(cd), free(cp), free(cv);
    tyndau_h5_close_obj(w, g);
}

static void write_scenario(tyndau_h5 *w, hid_t file, const tyndau_meta *meta)
{
    const char *where = "/scenario";
    hid_t g = tyndau_h5_group(w, file, where, "The scenario the run was configured with, verbatim.");
    if (g < 0) return;
    tyndau_h5_attr_str(w, g, "name", meta != NULL ? meta->scenario_name : NULL);
    tyndau_h5_attr_str(w, g, "source", meta != NULL ? meta->scenario_source : NULL);
    const char *text = meta != NULL ? text_or_empty(meta->scenario_text) : "";
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "text", .kind = TYNDAU_H5_STR, .rank = 0, .data = &text,
                                             .description = "The scenario file's text, verbatim (empty if none "
                                                            "was given).",
                                             .units = "none"});
    size_t n = meta != NULL && meta->overrides != NULL ? meta->n_overrides : 0;
    const char **ov = tyndau_calloc(n, sizeof *ov);
    if (ov == NULL) oom(w, "/scenario/overrides");
    for (size_t i = 0; ov != NULL && i < n; i++) ov[i] = text_or_empty(meta->overrides[i]);
    tyndau_h5_vector(w, g, "overrides", TYNDAU_H5_STR, n, ov, "override",
                     "Parameter overrides given on the command line (KEY=VALUE), "
                     "applied after the scenario, in order.", "none");
    free(ov);
    /* inherited files (base = ...), outermost first */
    size_t nb = meta != NULL && meta->base_sources != NULL && meta->base_texts != NULL ? meta->n_bases : 0;
    const char **bs = tyndau_calloc(nb ? nb : 1, sizeof *bs), **bt = tyndau_calloc(nb ? nb : 1, sizeof *bt);
    if (bs == NULL || bt == NULL) oom(w, "/scenario/base_*");
    for (size_t i = 0; bs != NULL && bt != NULL && i < nb; i++) {
        bs[i] = text_or_empty(meta->base_sources[i]);
        bt[i] = text_or_empty(meta->base_texts[i]);
    }
    const char *names[2] = {"base_sources", "base_texts"}, **cols[2] = {bs, bt};
    const char *desc[2] = {"The files the scenario inherits from (base = ...), outermost first: each is applied "
                           "before the next and the scenario last.",
                           "The text of each inherited file, verbatim, in base_sources order."};
    for (int k = 0; k < 2 && bs != NULL && bt != NULL; k++)
        tyndau_h5_vector(w, g, names[k], TYNDAU_H5_STR, nb, cols[k], "base",
                         desc[k], "none");
    free(bs), free(bt);
    /* without origins from the caller (a program of its own over the library) every one is "unknown" */
    const char **org = tyndau_calloc(tyndau_n_params, sizeof *org);
    if (org == NULL) oom(w, "/scenario/origin");
    for (size_t i = 0; org != NULL && i < tyndau_n_params; i++)
        org[i] = meta != NULL && meta->param_origins != NULL ? meta->param_origins[i] : "unknown";
    if (org != NULL)
        tyndau_h5_vector(w, g, "origin", TYNDAU_H5_STR, tyndau_n_params, org,
                         "parameter",
                         "Where each parameter's value on start_date came from, in params.def order (as "
                         "/parameters/table): 'default' (params.def), 'calibrated, SOURCE:LINE' (a value of the "
                         "calibrated baseline outside its [schedule]), 'baseline, SOURCE:LINE' (its [schedule]), 'SOURCE:LINE' (the "
                         "scenario or a file it inherits from), '--set', or 'unknown' (not given by the "
                         "program that wrote the file).",
                         "none");
    free(org);
    tyndau_h5_close_obj(w, g);
}

static void write_timeseries(tyndau_h5 *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/timeseries";
    hsize_t nd = m->n_days > 0 ? (hsize_t)m->n_days : 0, G = TYNDAU_N_GROUP;
    if (nd > 0 && (m->s_problems == NULL || m->s_choices == NULL || m->s_outcomes == NULL || m->s_state == NULL ||
                   m->s_decided == NULL)) {
        if (w->st == TYNDAU_OK)
            w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /timeseries: the model has no series",
                               w->path);
        return;
    }
    hid_t g = tyndau_h5_group(w, file, where,
                              "Daily counts by population group, in agents: multiply by the attribute scale "
                              "for adults nationally.  Day 0 is start_date.");
    if (g < 0) return;
    char start[16];
    tyndau_date_format(m->p.start_date, start, sizeof start);
    tyndau_h5_attr_f64(w, g, "scale", m->scale);
    tyndau_h5_attr_str(w, g, "start_date", start);

    char(*dbuf)[16] = tyndau_calloc((size_t)nd, sizeof *dbuf);
    const char **dates = tyndau_calloc((size_t)nd, sizeof *dates);
    int32_t *day = tyndau_calloc((size_t)nd, sizeof *day);
    if (dbuf == NULL || dates == NULL || day == NULL) oom(w, "/timeseries/date");
    for (size_t d = 0; w->st == TYNDAU_OK && d < nd; d++) {
        tyndau_date_format(m->p.start_date + (int)d, dbuf[d], sizeof dbuf[d]);
        dates[d] = dbuf[d];
        day[d] = (int32_t)d;
    }
    /* the day axis's coordinate, in CF time: xarray reads it as dates */
    char since[32];
    snprintf(since, sizeof since, "days since %s", start);
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "day", .kind = TYNDAU_H5_I32, .rank = 1, .dims = {nd},
                                             .data = day, .description = "Day index, 0 = start_date.", .units = since,
                                             .calendar = "proleptic_gregorian", .axes = "day"});
    tyndau_h5_vector(w, g, "date", TYNDAU_H5_STR, nd, dates, "day",
                     "Calendar date of each simulated day.", "YYYY-MM-DD");
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "problems", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {nd, G, N_DOMAIN}, .data = m->s_problems,
                                             .description = "Problems that arose that day, by policy domain.",
                                             .units = "agents", .axes = "day,group,domain"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "choices", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {nd, G, N_CHANNEL}, .data = m->s_choices,
                                             .description = "What citizens with a problem chose that day: stay "
                                                            "silent or appeal through a channel.", .units = "agents",
                                             .axes = "day,group,channel"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "outcomes", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {nd, G, N_OUTCOME}, .data = m->s_outcomes,
                                             .description = "Appeals that reached an outcome that day, by outcome.",
                                             .units = "agents", .axes = "day,group,outcome"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "decided", .kind = TYNDAU_H5_I64, .rank = 4,
                                             .dims = {nd, N_LEVEL, N_CHANNEL, N_OUTCOME}, .data = m->s_decided,
                                             .description = "Cases decided by offices that day (the outcome sent to "
                                                            "the complainant), by the office's level, the channel "
                                                            "the case came through and the outcome.  Summed over "
                                                            "level and channel it is the group 'all' of outcomes.",
                                             .units = "agents", .axes = "day,level,channel,outcome"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "state", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {nd, G, N_STATE_SERIES}, .data = m->s_state,
                                             .description = "Citizens in each state at the end of the day: concept "
                                                            "awareness, platform awareness, belief that central / "
                                                            "local government pays attention.  Each of the four "
                                                            "blocks sums to the group size.", .units = "agents",
                                             .axes = "day,group,state"});
    free(dbuf);
    free(dates);
    free(day);
    tyndau_h5_close_obj(w, g);
}

static void write_distributions(tyndau_h5 *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/distributions";
    const hsize_t G = TYNDAU_N_GROUP;
    hid_t g = tyndau_h5_group(w, file, where,
                              "Distributions over the whole run, in agents (multiply by the attribute scale "
                              "for adults nationally).");
    if (g < 0) return;
    tyndau_h5_attr_f64(w, g, "scale", m->scale);
    tyndau_h5_attr_u64(w, g, "retries", (uint64_t)m->retries);
    tyndau_h5_attr_u64(w, g, "escalated", (uint64_t)m->escalated);
    tyndau_h5_attr_u64(w, g, "told", (uint64_t)m->told);
    tyndau_h5_attr_u64(w, g, "messages", (uint64_t)m->messages);
    tyndau_h5_attr_int(w, g, "anchor_year", TYNDAU_ANCHOR_YEAR);

    /* Beliefs at the end of the run: the central and local blocks of the last day's state row. */
    int64_t beliefs[TYNDAU_N_GROUP][N_LEVEL][N_BELIEF];
    for (int gr = 0; gr < TYNDAU_N_GROUP; gr++) {
        const int64_t *row = m->n_days > 0 && m->s_state != NULL
                                 ? m->s_state + ((size_t)(m->n_days - 1) * TYNDAU_N_GROUP + (size_t)gr) *
                                                    N_STATE_SERIES
                                 : m->s_state0[gr];
        for (int l = 0; l < N_LEVEL; l++)
            for (int b = 0; b < N_BELIEF; b++) beliefs[gr][l][b] = row[N_CONCEPT + N_PLATFORM + l * N_BELIEF + b];
    }
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "time_to_answer", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {N_CHANNEL, TYNDAU_WAIT_MAX}, .data = m->wait_hist,
                                             .description = "Appeals processed, by channel and days from submission "
                                                            "to processing (bin d = d days; the last bin is "
                                                            "open-ended).", .units = "agents",
                                             .axes = "channel,wait_days"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "time_to_answer_by_group", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {TYNDAU_N_GROUP, TYNDAU_WAIT_MAX}, .data = m->wait_group_hist,
                                             .description = "Appeals processed, by the complainant's group and days "
                                                            "from submission to processing (bin d = d days; the "
                                                            "last bin is open-ended).", .units = "agents",
                                             .axes = "group,wait_days"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "time_to_resolution", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {N_CHANNEL, TYNDAU_WAIT_MAX}, .data = m->resolve_wait_hist,
                                             .description = "Appeals resolved (outcomes resolved and bribe_paid), "
                                                            "by channel and days from submission to resolution (bin "
                                                            "d = d days; the last bin is open-ended).",
                                             .units = "agents", .axes = "channel,wait_days"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "outcome_by_group_channel", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {TYNDAU_N_GROUP, N_CHANNEL, N_OUTCOME},
                                             .data = m->outcome_group_channel,
                                             .description = "Appeals that reached an outcome, by the complainant's "
                                                            "group, channel and outcome: resolution rates and the "
                                                            "responsiveness gap by group and channel.",
                                             .units = "agents", .axes = "group,channel,outcome"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "answer_working_days", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {N_CHANNEL, N_OUTCOME, TYNDAU_ANSWER_WD_MAX},
                                             .data = m->answer_wd,
                                             .description = "Cases decided, by channel, outcome and working days "
                                                            "(Monday to Friday) from filing to the decision (bin k "
                                                            "= k working days; the last bin is open-ended).  "
                                                            "Deadlines are counted in these days.", .units = "agents",
                                             .axes = "channel,outcome,working_days"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "answer_working_days_anchor_year", .kind = TYNDAU_H5_I64,
                                             .rank = 2, .dims = {N_CHANNEL, TYNDAU_ANSWER_WD_MAX},
                                             .data = m->answer_wd_year,
                                             .description = "The same for the cases decided in the anchor year "
                                                            "(attribute anchor_year), all outcomes.",
                                             .units = "agents", .axes = "channel,working_days"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "decisions", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {N_CHANNEL, N_DECISION}, .data = m->decisions,
                                             .description = "Cases decided, by channel and by how they met their "
                                                            "deadline: on_time, extended (answered within the "
                                                            "extended deadline), rescued (not prepared: a formal "
                                                            "answer on the deadline day under monitoring), late "
                                                            "(not answered by the deadline), lapsed (let lapse, "
                                                            "reported at the deadline), informal (no deadline).",
                                             .units = "agents", .axes = "channel,decision"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "decisions_anchor_year", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {N_CHANNEL, N_DECISION}, .data = m->decisions_year,
                                             .description = "The same for the cases decided in the anchor year.",
                                             .units = "agents", .axes = "channel,decision"});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "outcome_by_channel", .kind = TYNDAU_H5_I64, .rank = 2,
                                             .dims = {N_CHANNEL, N_OUTCOME}, .data = m->outcome_channel,
                                             .description = "Appeals that reached an outcome, by channel and outcome.",
                                             .units = "agents", .axes = "channel,outcome"});
    tyndau_h5_vector(w, g, "appeals_per_citizen", TYNDAU_H5_I64, TYNDAU_COUNT_MAX, m->appeals_hist, "count",
                     "Citizens by number of appeals made during the run (bin k = k "
                     "appeals; the last bin is open-ended).", "agents");
    tyndau_h5_vector(w, g, "bribes_per_citizen", TYNDAU_H5_I64, TYNDAU_COUNT_MAX, m->bribes_hist, "count",
                     "Citizens by number of bribes paid during the run (bin k = k "
                     "bribes; the last bin is open-ended).", "agents");
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "beliefs_by_group", .kind = TYNDAU_H5_I64, .rank = 3,
                                             .dims = {G, N_LEVEL, N_BELIEF}, .data = beliefs,
                                             .description = "Citizens at the end of the last day by belief that the "
                                                            "level of government pays attention (from "
                                                            "/timeseries/state).", .units = "agents",
                                             .axes = "group,level,belief"});
    tyndau_h5_vector(w, g, "group_size", TYNDAU_H5_I64, G, m->group_size, "group",
                     "Citizens in each population group.", "agents");
    tyndau_h5_close_obj(w, g);
}

static void write_offices(tyndau_h5 *w, hid_t file, const tyndau_model *m, const code_lists *codes)
{
    const char *where = "/offices";
    size_t no = m->n_offices > 0 ? (size_t)m->n_offices : 0;
    hid_t g = tyndau_h5_group(w, file, where,
                              "One entry per state office (appeal handler) of the model, with its "
                              "statistics over the run.");
    if (g < 0) return;
    enum { B_LEVEL, B_DOMAIN, B_REGION, N_B };                                             /* int8 */
    enum { D_STAFF, D_CAPACITY, D_WAIT, D_CORR, D_RESIST, D_FAV, D_SENS, D_VIS, N_D };    /* double */
    enum { U_RECEIVED, U_PROCESSED, U_MAXQ, U_ESCALATED, U_EXTENDED, U_PENDING, N_U };     /* uint64 */
    int8_t *b = tyndau_calloc(no * N_B, sizeof *b);
    double *d = tyndau_calloc(no * N_D, sizeof *d);
    uint64_t *u = tyndau_calloc(no * (N_U + N_OUTCOME + N_DECISION), sizeof *u);
    int32_t *nbur = tyndau_calloc(no, sizeof *nbur);
    if (b == NULL || d == NULL || u == NULL || nbur == NULL) oom(w, where);
    if (no > 0 && m->office == NULL && w->st == TYNDAU_OK)
        w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /offices: the model has no offices", w->path);
    uint64_t *outc = u + no * N_U;                /* [office][outcome] */
    uint64_t *decs = outc + no * N_OUTCOME;       /* [office][decision] */
    for (size_t i = 0; w->st == TYNDAU_OK && i < no; i++) {
        const tyndau_office *o = &m->office[i];
        b[B_LEVEL * no + i] = (int8_t)o->level;
        b[B_DOMAIN * no + i] = (int8_t)o->domain;
        b[B_REGION * no + i] = (int8_t)o->region;
        d[D_STAFF * no + i] = o->staff;
        d[D_CAPACITY * no + i] = o->capacity;
        d[D_WAIT * no + i] = o->processed > 0 ? (double)o->wait_sum / (double)o->processed : NAN;
        double sum[4] = {0, 0, 0, 0};
        for (int k = 0; k < o->n_bureaucrats; k++) {
            sum[0] += o->bur[k].corruption;
            sum[1] += o->bur[k].resistance;
            sum[2] += o->bur[k].favouritism;
            sum[3] += o->bur[k].sensitivity;
        }
        for (int k = 0; k < 4; k++)
            d[(size_t)(D_CORR + k) * no + i] = o->n_bureaucrats > 0 ? sum[k] / o->n_bureaucrats : NAN;
        nbur[i] = o->n_bureaucrats;
        u[U_RECEIVED * no + i] = o->received;
        u[U_PROCESSED * no + i] = o->processed;
        u[U_MAXQ * no + i] = o->max_queue;
        u[U_ESCALATED * no + i] = o->escalated;
        u[U_EXTENDED * no + i] = o->extended;
        u[U_PENDING * no + i] = tyndau_office_pending(o);
        d[D_VIS * no + i] = o->vis_n > 0.0 ? o->vis_sum / o->vis_n : NAN;
        for (int k = 0; k < N_OUTCOME; k++) outc[i * N_OUTCOME + (size_t)k] = o->by_outcome[k];
        for (int k = 0; k < N_DECISION; k++) decs[i * N_DECISION + (size_t)k] = o->by_decision[k];
    }
    static const struct {
        const char *name, *description, *units;
    } dd[N_D] = {
        {"staff", "Appeal handlers the office stands for, at national scale.", "persons"},
        {"capacity", "Cases the office can process per working day, at the model's scale.",
         "agents per working day"},
        {"mean_wait_days", "Mean days from submission to processing of the appeals it processed (NaN if none).",
         "days"},
        {"corruption_mean", "Mean corruption of the office's bureaucrats.", "probability"},
        {"resistance_mean", "Mean resistance of the office's bureaucrats.", "probability"},
        {"favouritism_mean", "Mean favouritism of the office's bureaucrats.", "probability"},
        {"sensitivity_mean", "Mean sensitivity of the office's bureaucrats.", "probability"},
        {"visibility_mean", "The office's running mean visibility of the cases it registered, at the end "
                            "(favour_window; favouritism moves effort relative to it); NaN if none.",
         "visibility"},
    };
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "level", .kind = TYNDAU_H5_I8, .rank = 1, .dims = {no},
                                             .data = b + B_LEVEL * no, .description = "Level of government.",
                                             .units = "code", .axes = "office", .codes = codes->v[AX_LEVEL]});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "domain", .kind = TYNDAU_H5_I8, .rank = 1, .dims = {no},
                                             .data = b + B_DOMAIN * no,
                                             .description = "Policy domain handled; -1 = the President's office "
                                                            "(all domains).",
                                             .units = "code", .axes = "office", .codes = codes->v[AX_DOMAIN]});
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "region", .kind = TYNDAU_H5_I8, .rank = 1, .dims = {no},
                                             .data = b + B_REGION * no,
                                             .description = "Region of a local office; -1 = central.",
                                             .units = "code", .axes = "office", .codes = codes->v[AX_REGION]});
    for (int k = 0; k < N_D; k++)
        tyndau_h5_vector(w, g, dd[k].name, TYNDAU_H5_F64, no, d + (size_t)k * no, "office",
                         dd[k].description, dd[k].units);
    tyndau_h5_vector(w, g, "bureaucrats", TYNDAU_H5_I32, no, nbur, "office",
                     "Bureaucrat agents in the office.", "agents");
    tyndau_h5_vector(w, g, "received", TYNDAU_H5_U64, no, u + U_RECEIVED * no, "office",
                     "Appeals received during the run.", "agents");
    tyndau_h5_vector(w, g, "processed", TYNDAU_H5_U64, no, u + U_PROCESSED * no, "office",
                     "Appeals processed during the run.", "agents");
    tyndau_h5_vector(w, g, "max_queue", TYNDAU_H5_U64, no, u + U_MAXQ * no, "office",
                     "Most prepared cases waiting for capacity at once during the run.", "agents");
    tyndau_h5_vector(w, g, "extended", TYNDAU_H5_U64, no, u + U_EXTENDED * no, "office",
                     "Cases whose deadline was extended (their preparation outlasted it), "
                     "answered in time or not.", "agents");
    tyndau_h5_vector(w, g, "pending", TYNDAU_H5_U64, no, u + U_PENDING * no, "office",
                     "Cases held at the end of the run: received, in preparation or waiting "
                     "for capacity.", "agents");
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "decisions", .kind = TYNDAU_H5_U64, .rank = 2,
                                             .dims = {no, N_DECISION}, .data = decs,
                                             .description = "Cases decided, by how they met their deadline (see "
                                                            "/distributions/decisions).", .units = "agents",
                                             .axes = "office,decision"});
    tyndau_h5_vector(w, g, "escalated", TYNDAU_H5_U64, no, u + U_ESCALATED * no, "office",
                     "Social-media complaints it left unresolved that were passed to the "
                     "ministry of their domain (counted there again when processed).", "agents");
    tyndau_h5_write(w, g, &(tyndau_h5_dspec){.name = "outcomes", .kind = TYNDAU_H5_U64, .rank = 2,
                                             .dims = {no, N_OUTCOME}, .data = outc,
                                             .description = "Appeals processed, by outcome.", .units = "agents",
                                             .axes = "office,outcome"});
    free(b);
    free(d);
    free(u);
    free(nbur);
    tyndau_h5_close_obj(w, g);
}

static void write_anchors(tyndau_h5 *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/anchors";
    tyndau_anchor a[TYNDAU_N_ANCHOR_MAX];
    size_t n = tyndau_model_anchors(m, a);
    hid_t g = tyndau_h5_group(w, file, where,
                              "The secondary anchors: figures reported outside the survey beside the model's "
                              "values (outputs, not fitted; docs/ODD.md 7.12).  One row per anchor.");
    if (g < 0) return;
    tyndau_h5_attr_int(w, g, "anchor_year", TYNDAU_ANCHOR_YEAR);
    enum { A_NAME, A_DEF, A_UNIT, A_TEXT, A_SOURCE, N_AS };
    enum { A_VALUE, A_REPORTED, N_AD };
    enum { A_YEAR, A_RYEAR, A_COMPLETE, N_AI };
    const char **sv = tyndau_calloc(N_AS * (n ? n : 1), sizeof *sv);
    double *dv = tyndau_calloc(N_AD * (n ? n : 1), sizeof *dv);
    int32_t *iv = tyndau_calloc(N_AI * (n ? n : 1), sizeof *iv);
    if (sv == NULL || dv == NULL || iv == NULL) oom(w, where);
    for (size_t i = 0; w->st == TYNDAU_OK && i < n; i++) {
        sv[A_NAME * n + i] = a[i].name;
        sv[A_DEF * n + i] = a[i].definition;
        sv[A_UNIT * n + i] = a[i].unit;
        sv[A_TEXT * n + i] = a[i].reported_text;
        sv[A_SOURCE * n + i] = a[i].source;
        dv[A_VALUE * n + i] = a[i].value;
        dv[A_REPORTED * n + i] = a[i].reported;
        iv[A_YEAR * n + i] = a[i].year;
        iv[A_RYEAR * n + i] = a[i].reported_year;
        iv[A_COMPLETE * n + i] = a[i].complete;
    }
    static const struct {
        const char *name, *description, *units;
    } sd[N_AS] = {{"name", "Anchor.", "none"},
                  {"definition", "What the model counts.", "none"},
                  {"unit", "Unit of value and reported.", "none"},
                  {"reported_text", "The reported figure as reported (empty where none).", "none"},
                  {"source", "Where the figure was reported, with the facts file's confidence (empty where none).",
                   "none"}},
      dd[N_AD] = {{"value", "The model's value (NaN where its denominator is zero); national counts are agents "
                            "times scale.", "see unit"},
                  {"reported", "The reported figure (NaN where none).", "see unit"}},
      id[N_AI] = {{"year", "Year of the model's value.", "year"},
                  {"reported_year", "Year of the reported figure (0 where none).", "year"},
                  {"complete", "1 if the run covers the whole year, 0 if the value covers part of it.", "none"}};
    for (int k = 0; k < N_AS; k++)
        tyndau_h5_vector(w, g, sd[k].name, TYNDAU_H5_STR, n, sv + (size_t)k * n, "anchor",
                         sd[k].description, sd[k].units);
    for (int k = 0; k < N_AD; k++)
        tyndau_h5_vector(w, g, dd[k].name, TYNDAU_H5_F64, n, dv + (size_t)k * n, "anchor",
                         dd[k].description, dd[k].units);
    for (int k = 0; k < N_AI; k++)
        tyndau_h5_vector(w, g, id[k].name, TYNDAU_H5_I32, n, iv + (size_t)k * n, "anchor",
                         id[k].description, id[k].units);
    free(sv);
    free(dv);
    free(iv);
    tyndau_h5_close_obj(w, g);
}

static void write_survey(tyndau_h5 *w, hid_t file, const tyndau_model *m)
{
    const char *where = "/survey";
    size_t n = m->survey != NULL ? m->n_survey : 0;
    hid_t g = tyndau_h5_group(w, file, where,
                              "The virtual survey at survey_date beside the published figures.  One row per "
                              "(question, group, response, sample): question, base (who was asked), group_type "
                              "and group (population subgroup), response, sample (quota: a simulated sample like "
                              "the survey's quota sample; population: every agent), simulated (percent), "
                              "observed (published percent, NaN if unpublished), lo95 and hi95 (observed's 95% "
                              "Wilson interval, NaN if unpublished), n_base (estimated respondents behind "
                              "observed), inside (1 if simulated lies in [lo95, hi95], 0 if not, -1 if "
                              "unpublished).");
    if (g < 0) return;
    enum { S_QUESTION, S_BASE, S_GTYPE, S_GROUP, S_RESPONSE, S_SAMPLE, N_S };
    enum { V_SIM, V_OBS, V_LO, V_HI, V_NBASE, N_V };
    const char **s = tyndau_calloc(n * N_S, sizeof *s);
    double *v = tyndau_calloc(n * N_V, sizeof *v);
    int8_t *inside = tyndau_calloc(n, sizeof *inside);
    if (s == NULL || v == NULL || inside == NULL) oom(w, where);
    int n_pub = 0, n_in_pop = 0, n_in_quota = 0;
    for (size_t i = 0; w->st == TYNDAU_OK && i < n; i++) {
        const tyndau_survey_row *r = &m->survey[i];
        if (r->group < 0 || r->group >= TYNDAU_N_GROUP) {
            w->st = TYNDAU_ERR(w->err, TYNDAU_EINTERNAL, "%s: cannot write /survey: row %zu has group %d",
                               w->path, i, r->group);
            break;
        }
        s[S_QUESTION * n + i] = text_or_empty(r->question);
        s[S_BASE * n + i] = text_or_empty(r->base);
        s[S_GTYPE * n + i] = tyndau_gtype_names[tyndau_group_type(r->group)];
        s[S_GROUP * n + i] = tyndau_group_name(r->group);
        s[S_RESPONSE * n + i] = text_or_empty(r->response);
        s[S_SAMPLE * n + i] = r->quota ? "quota" : "population";
        v[V_SIM * n + i] = r->simulated;
        v[V_OBS * n + i] = r->observed;
        v[V_LO * n + i] = r->lo95;
        v[V_HI * n + i] = r->hi95;
        v[V_NBASE * n + i] = r->n_base;
        inside[i] = (int8_t)(r->inside > 0 ? 1 : r->inside == 0 ? 0 : -1);
        if (!r->quota && r->inside >= 0) n_pub++;
        if (r->inside > 0 && r->quota) n_in_quota++;
        if (r->inside > 0 && !r->quota) n_in_pop++;
    }
    static const char *const sname[N_S] = {"question", "base", "group_type", "group", "response", "sample"};
    static const char *const sdesc[N_S] = {
        "Survey question (as in data/survey_2021/marginals.csv).",
        "Who was asked the question (all, or those aware of the concept, ...).",
        "Type of the population subgroup.",
        "Population subgroup.",
        "Response option.",
        "quota: a simulated sample drawn like the survey's quota sample; population: every agent."};
    static const struct {
        const char *name, *description, *units;
    } vd[N_V] = {
        {"simulated", "Simulated share giving the response, among the base in the group.", "percent"},
        {"observed", "Published share (NaN where unpublished).", "percent"},
        {"lo95", "Lower bound of observed's 95% Wilson interval (NaN where unpublished).", "percent"},
        {"hi95", "Upper bound of observed's 95% Wilson interval (NaN where unpublished).", "percent"},
        {"n_base", "Estimated respondents behind the observed value.", "respondents"},
    };
    for (int k = 0; k < N_S; k++)
        tyndau_h5_vector(w, g, sname[k], TYNDAU_H5_STR, n, s + (size_t)k * n, "row",
                         sdesc[k], "none");
    for (int k = 0; k < N_V; k++)
        tyndau_h5_vector(w, g, vd[k].name, TYNDAU_H5_F64, n, v + (size_t)k * n, "row",
                         vd[k].description, vd[k].units);
    tyndau_h5_vector(w, g, "inside", TYNDAU_H5_I8, n, inside, "row",
                     "1 if simulated lies in [lo95, hi95], 0 if not, -1 if unpublished.", "none");
    tyndau_h5_attr_int(w, g, "n_published", n_pub);
    tyndau_h5_attr_int(w, g, "n_inside_population", n_in_pop);
    tyndau_h5_attr_int(w, g, "n_inside_quota", n_in_quota);
    tyndau_h5_attr_str(w, g, "citation", TYNDAU_SURVEY_CITATION);
    free(s);
    free(v);
    free(inside);
    tyndau_h5_close_obj(w, g);
}

tyndau_status tyndau_model_write(const tyndau_model *m, const char *path, const tyndau_meta *meta,
                                 tyndau_error *err)
{
    if (m == NULL || path == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_model_write: no model or no path");
    code_lists codes;
    make_codes(&codes);
    tyndau_h5 h;
    if (tyndau_h5_open(&h, path, TYNDAU_H5_CREATE, err) == TYNDAU_OK) {
        tyndau_h5_axis_codes(&h, "group", "group_type_codes", codes.v[AX_GROUP_TYPE], 0);
        for (int a = 0; a < N_AX; a++) /* a group's type goes with group; regions are coded values only */
            if (a != AX_GROUP_TYPE && a != AX_REGION)
                tyndau_h5_axis_codes(&h, axis_names[a], code_attrs[a], codes.v[a], 1);
        write_root(&h, m, meta);
        write_parameters(&h, h.file, &m->p0);
        write_scenario(&h, h.file, meta);
        write_timeseries(&h, h.file, m);
        write_distributions(&h, h.file, m);
        write_offices(&h, h.file, m, &codes);
        write_anchors(&h, h.file, m);
        write_survey(&h, h.file, m);
        tyndau_output_headline(&h, h.file, m);
    }
    return tyndau_h5_close(&h);
}
