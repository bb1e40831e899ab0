/*
 * anchors.c - the secondary anchors (anchors.h) from a finished run's counters:
 * the daily series of choices (filed) and of decided cases (model.c), the whole-run
 * tables of decided cases by working days and by how they were decided, and the
 * count of citizens whose own appeals were decided in the anchor year (the two
 * high bits of each citizen's `problem` byte, internal.h).  Sums are of integers,
 * then scaled, so every value is a function of the counters alone.
 */
#include "anchors.h"

#include <math.h>
#include <string.h>

#include "internal.h"

#define SRC_PRESIDENT "the President, January 2021; facts file H"
#define SRC_TK "Transparency Kazakhstan / UNDP monitoring; facts file M-H"
#define SRC_PAVLODAR "Pavlodar region, one region before the reform; SCIENCE_NOTES s3"
#define SRC_APPC "APPC art. 76, in force 1 July 2021, a legal limit, not a measured time; facts file H"
#define SRC_PORTAL "Open Dialogue portal counts cited in a thesis; facts file M"
#define SRC_ATYRAU "Atyrau region's akimats, regional report; facts file M"

static const int formal_channel[N_CHANNEL] = {0, 1, 1, 1, 1, 0}; /* online, offline, social, President */

static double ratio(double a, double b) { return b > 0.0 ? a / b : NAN; }

typedef struct {
    const tyndau_model *m;
    tyndau_anchor *out;
    size_t n;
    int year, complete;
} builder;

static void add(builder *b, const char *name, const char *definition, const char *unit, double value,
                double reported, const char *reported_text, int reported_year, const char *source)
{
    if (b->n >= TYNDAU_N_ANCHOR_MAX) return;
    b->out[b->n++] = (tyndau_anchor){name, definition, unit, value, b->year, b->complete, reported,
                                     reported_text, reported_year, source};
}

/* Days [d0, d1) of the run: the anchor year's days that were simulated. */
static void year_days(const tyndau_model *m, int y0, int y1, int *d0, int *d1)
{
    *d0 = y0 > 0 ? y0 : 0;
    *d1 = y1 < m->n_days ? y1 : m->n_days;
    if (*d1 < *d0) *d1 = *d0;
}

/* Decided cases on days [d0, d1) of level `lev` (-1: both), channel ch, outcome o (-1: all). */
static int64_t decided(const tyndau_model *m, int d0, int d1, int lev, int ch, int o)
{
    int64_t s = 0;
    for (int d = d0; d < d1; d++)
        for (int l = 0; l < N_LEVEL; l++) {
            if (lev >= 0 && l != lev) continue;
            for (int k = 0; k < N_OUTCOME; k++)
                if (o < 0 || k == o) s += tyndau_model_day_decided(m, d, (tyndau_level)l, (tyndau_channel)ch, (tyndau_outcome)k);
        }
    return s;
}

static int64_t filed(const tyndau_model *m, int d0, int d1, int ch)
{
    int64_t s = 0;
    for (int d = d0; d < d1; d++) s += tyndau_model_day_choices(m, d, (tyndau_channel)ch);
    return s;
}

/* Mean, median and 90th percentile of a histogram of working days (the open last bin at its
 * lower edge); NaN when empty. */
static void hist_stats(const int64_t *h, double st[3])
{
    int64_t n = 0;
    double s = 0.0;
    for (int k = 0; k < TYNDAU_ANSWER_WD_MAX; k++) {
        n += h[k];
        s += (double)k * (double)h[k];
    }
    st[0] = st[1] = st[2] = NAN;
    if (n == 0) return;
    st[0] = s / (double)n;
    const double q[2] = {0.5, 0.9};
    for (int j = 0; j < 2; j++) {
        int64_t c = 0;
        for (int k = 0; k < TYNDAU_ANSWER_WD_MAX; k++) {
            c += h[k];
            if ((double)c >= q[j] * (double)n) {
                st[1 + j] = k;
                break;
            }
        }
    }
}

size_t tyndau_model_anchors(const tyndau_model *m, tyndau_anchor out[TYNDAU_N_ANCHOR_MAX])
{
    if (m == NULL || m->day < m->n_days || m->n_days <= 0 || m->s_decided == NULL || m->s_choices == NULL) return 0;
    builder b = {m, out, 0, TYNDAU_ANCHOR_YEAR, m->anchor_d0 >= 0 && m->anchor_d1 <= m->n_days};
    int d0, d1;
    year_days(m, m->anchor_d0, m->anchor_d1, &d0, &d1);
    double sc = m->scale;

    int64_t formal = 0;
    for (int ch = 0; ch < N_CHANNEL; ch++)
        if (formal_channel[ch]) formal += decided(m, d0, d1, -1, ch, -1);
    add(&b, "formal_appeals_decided",
        "cases decided by offices (any outcome, late ones included) in the year that came through the formal "
        "channels (online, offline, social media, the President), times scale; an escalated social-media case "
        "counts once, when the ministry decides it; a re-raised problem counts again",
        "appeals", (double)formal * sc, 1.9e6, "more than 1.9 million appeals considered by state bodies", 2020,
        SRC_PRESIDENT);
    add(&b, "president_appeals_filed",
        "appeals to the President's office filed in the year (the daily choices series), times scale", "appeals",
        (double)filed(m, d0, d1, CH_PRESIDENT) * sc, 32000.0, "more than 32,000 (a third more than 2019)", 2020,
        SRC_PRESIDENT);
    add(&b, "corruption_share",
        "of citizens with at least one own appeal decided in the year, the share of whom a bribe was demanded "
        "(paid or not) in one of them (informal route included)",
        "percent", 100.0 * ratio((double)m->anchor_bribe, (double)m->anchor_decided), 11.3,
        "11.3% of those who dealt with a state body met corruption", 2020, SRC_TK);

    /* the channel mix of appeals filed in the year */
    int64_t ch_filed[N_CHANNEL], all = 0;
    for (int ch = 1; ch < N_CHANNEL; ch++) all += ch_filed[ch] = filed(m, d0, d1, ch);
    static const char *const share_name[N_CHANNEL] = {"", "channel_share_online", "channel_share_offline",
                                                      "channel_share_social", "channel_share_president",
                                                      "channel_share_informal"};
    for (int ch = 1; ch < N_CHANNEL; ch++)
        add(&b, share_name[ch], "share of the appeals filed in the year that went through this channel", "percent",
            100.0 * ratio((double)ch_filed[ch], (double)all), NAN, "", 0, "");
    double written = (double)(ch_filed[CH_ONLINE] + ch_filed[CH_OFFLINE]);
    add(&b, "online_share_of_written",
        "online (E-Otinish) appeals filed in the year over online and offline ones (written appeals)", "percent",
        100.0 * ratio((double)ch_filed[CH_ONLINE], written), 10.0, "about 10% of written appeals via eGov", 2018,
        SRC_PAVLODAR);
    add(&b, "social_to_written",
        "social-media appeals filed in the year over online and offline ones", "ratio",
        ratio((double)ch_filed[CH_SOCIAL], written), 6.0, "the akim's blog took six times the written appeals",
        2018, SRC_PAVLODAR);

    /* working days from filing to the decision, cases decided in the year */
    static const char *const wd_name[N_CHANNEL][3] = {
        {"", "", ""},
        {"answer_wd_mean_online", "answer_wd_median_online", "answer_wd_p90_online"},
        {"answer_wd_mean_offline", "answer_wd_median_offline", "answer_wd_p90_offline"},
        {"answer_wd_mean_social", "answer_wd_median_social", "answer_wd_p90_social"},
        {"answer_wd_mean_president", "answer_wd_median_president", "answer_wd_p90_president"},
        {"answer_wd_mean_informal", "answer_wd_median_informal", "answer_wd_p90_informal"}};
    static const char *const wd_def[3] = {
        "mean working days from filing to the decision (late ones at their deadline), cases decided in the year",
        "median working days from filing to the decision, cases decided in the year",
        "90th percentile of working days from filing to the decision, cases decided in the year"};
    for (int ch = 1; ch < N_CHANNEL; ch++) {
        double st[3];
        hist_stats(m->answer_wd_year[ch], st);
        for (int k = 0; k < 3; k++)
            add(&b, wd_name[ch][k], wd_def[k], "working days", st[k], formal_channel[ch] ? 15.0 : NAN,
                formal_channel[ch] ? "the legal deadline: 15 working days (from July 2021)" : "",
                formal_channel[ch] ? 2021 : 0, formal_channel[ch] ? SRC_APPC : "");
    }

    /* what binds: how formal cases decided in the year met their deadlines */
    int64_t how[N_DECISION] = {0}, nf = 0;
    for (int ch = 0; ch < N_CHANNEL; ch++)
        if (formal_channel[ch])
            for (int k = 0; k < N_DECISION; k++) how[k] += m->decisions_year[ch][k];
    for (int k = 0; k < N_DECISION; k++) nf += how[k];
    static const char *const how_name[N_DECISION] = {"decided_on_time", "decided_extended", "decided_rescued",
                                                     "decided_late", "decided_lapsed", ""};
    static const char *const how_def[N_DECISION] = {
        "formal cases decided in the year: answered within the deadline (a redirection within redirect_days)",
        "formal cases decided in the year: answered within an extended deadline, after the ordinary one",
        "formal cases decided in the year: not prepared by the deadline, a formal answer on the deadline day "
        "under monitoring",
        "formal cases decided in the year: not answered by the deadline (preparation or capacity)",
        "formal cases decided in the year: let lapse by the bureaucrat, reported at the deadline", ""};
    for (int k = 0; k < DEC_INFORMAL; k++)
        add(&b, how_name[k], how_def[k], "percent", 100.0 * ratio((double)how[k], (double)nf), NAN, "", 0, "");

    /* the akimats: answered at all, and resolved */
    int64_t loc = 0, loc_late = 0;
    for (int ch = 0; ch < N_CHANNEL; ch++)
        if (formal_channel[ch]) {
            loc += decided(m, d0, d1, LEV_LOCAL, ch, -1);
            loc_late += decided(m, d0, d1, LEV_LOCAL, ch, OUT_LATE_IGNORED);
        }
    add(&b, "akimat_answer_rate",
        "formal cases decided by local akimats in the year that got an answer (any outcome but late_or_ignored)",
        "percent", 100.0 * ratio((double)(loc - loc_late), (double)loc), 89.0,
        "about 89% (Almaty city 72.9%)", 2024, SRC_PORTAL);

    /* Atyrau's "satisfied" share, January-April 2021, against all akimats of the model */
    int a0 = TYNDAU_YMD(TYNDAU_ANCHOR_YEAR + 1, 1, 1) - m->p.start_date, a1 = TYNDAU_YMD(TYNDAU_ANCHOR_YEAR + 1, 5, 1) - m->p.start_date;
    int e0, e1;
    year_days(m, a0, a1, &e0, &e1);
    int64_t sat = 0, sat_n = 0;
    for (int ch = 0; ch < N_CHANNEL; ch++)
        if (formal_channel[ch]) {
            sat_n += decided(m, e0, e1, LEV_LOCAL, ch, -1);
            sat += decided(m, e0, e1, LEV_LOCAL, ch, OUT_RESOLVED);
        }
    b.year = TYNDAU_ANCHOR_YEAR + 1;
    b.complete = a0 >= 0 && a1 <= m->n_days;
    add(&b, "akimat_resolved_share",
        "formal cases decided by local akimats (all regions) from January to April of the following year that "
        "were resolved",
        "percent", 100.0 * ratio((double)sat, (double)sat_n), 10.0,
        "10.0% of appeals 'satisfied' (1,328 of 13,234; 47% about land)", 2021, SRC_ATYRAU);
    return b.n;
}

static void print_number(FILE *out, double v, const char *unit)
{
    if (isnan(v))
        fprintf(out, "%12s", "-");
    else if (strcmp(unit, "appeals") == 0)
        fprintf(out, "%12.0f", v);
    else
        fprintf(out, "%12.2f", v);
}

void tyndau_anchors_print(const tyndau_anchor *a, size_t n, FILE *out)
{
    if (n == 0) return;
    fprintf(out, "\nSecondary anchors: the model beside figures reported outside the survey (outputs, not fitted)\n");
    fprintf(out, "  %-26s %12s %12s  %-12s %-9s %s\n", "anchor", "model", "reported", "unit", "year", "reported as");
    for (size_t k = 0; k < n; k++) {
        fprintf(out, "  %-26s ", a[k].name);
        print_number(out, a[k].value, a[k].unit);
        fputc(' ', out);
        print_number(out, a[k].reported, a[k].unit);
        char year[16];
        snprintf(year, sizeof year, "%d%s", a[k].year, a[k].complete ? "" : " (part)");
        fprintf(out, "  %-12s %-*s", a[k].unit, a[k].reported_year > 0 ? 9 : 0, year);
        if (a[k].reported_year > 0) {
            int same = k > 0 && strcmp(a[k].reported_text, a[k - 1].reported_text) == 0 &&
                       strcmp(a[k].source, a[k - 1].source) == 0;
            if (same)
                fprintf(out, " (as above)");
            else
                fprintf(out, " %s, %d (%s)", a[k].reported_text, a[k].reported_year, a[k].source);
        }
        fputc('\n', out);
    }
}
