/*
 * schedule.c - the dated reform turned into per-day tables.
 *
 * Each time-varying rate is piecewise constant by day.  For a rate lambda(d)
 * the table holds the cumulative intensity L[k] = sum_{d<k} lambda(d), so the
 * next event after day d of a non-homogeneous Poisson process is the first
 * day k > d with L[k+1] >= L[d+1] + E, E ~ Exp(1) (inversion of the
 * cumulative intensity; e.g. Ross, Simulation, 5th ed., s5.5).  This lets a
 * citizen draw its next event once instead of being visited every day.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The least k in [lo, hi] with lam[k + 1] >= target, given lam[hi + 1] >= target. */
static int first_reaching(const double *lam, int lo, int hi, double target)
{
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (lam[mid + 1] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint16_t tyndau_next_from_table(const double *lam, int n_days, int day, double e)
{
    int lo = day + 1; /* first candidate day */
    if (lo >= n_days) return TYNDAU_NEVER;
    double target = lam[lo] + e;
    if (!(lam[n_days] >= target)) return TYNDAU_NEVER;
    return (uint16_t)first_reaching(lam, lo, n_days - 1, target);
}

/*
 * The same answer through a direct index over the table's values: with h = L[n] / B for B
 * buckets, start[j] is the least k with L[k+1] >= j h, so the least k with L[k+1] >= target
 * lies in [start[j], start[j+1]] for j = floor(target / h); the binary search is left with
 * that range, a day or two where the rate is smooth.  The ends are checked against the
 * table itself, so rounding in j cannot change the answer, only the work.  And the least k
 * at or after day + 1 is the greater of that k and day + 1 (L does not decrease).
 */
#define INDEX_PER_DAY 2

int tyndau_intensity_init(tyndau_intensity *t, const double *lam, int n_days)
{
    t->lam = lam;
    t->n_days = n_days;
    t->n_bucket = INDEX_PER_DAY * n_days;
    t->start = NULL;
    if (!(lam[n_days] > 0.0)) return 0; /* no events at all: the plain search */
    t->scale = (double)t->n_bucket / lam[n_days];
    t->start = tyndau_calloc((size_t)t->n_bucket + 2, sizeof *t->start);
    if (t->start == NULL) return -1;
    int k = 0;
    for (int j = 0; j <= t->n_bucket + 1; j++) {
        double threshold = (double)j / t->scale;
        while (k < n_days - 1 && lam[k + 1] < threshold) k++;
        t->start[j] = (uint16_t)k;
    }
    return 0;
}

uint16_t tyndau_next_from_index(const tyndau_intensity *t, int day, double e)
{
    const double *lam = t->lam;
    int n_days = t->n_days, lo = day + 1;
    if (lo >= n_days) return TYNDAU_NEVER;
    double target = lam[lo] + e;
    if (!(lam[n_days] >= target)) return TYNDAU_NEVER;
    if (t->start == NULL) return (uint16_t)first_reaching(lam, lo, n_days - 1, target);
    double x = target * t->scale;
    int j = x < (double)t->n_bucket ? (int)x : t->n_bucket;
    int a = t->start[j], b = t->start[j + 1];
    if (a > 0 && lam[a] >= target) a = 0;                   /* rounding put target below bucket j */
    if (lam[b + 1] < target) b = n_days - 1;                 /* ... or above it */
    int k = first_reaching(lam, a, b, target);
    return (uint16_t)(k > lo ? k : lo);
}

uint16_t tyndau_next_from_tables(const double *la, double wa, const double *lb, double wb, int n_days, int day,
                                 double e)
{
    int lo = day + 1;
    if (lo >= n_days) return TYNDAU_NEVER;
    double target = wa * la[lo] + wb * lb[lo] + e;
    if (!(wa * la[n_days] + wb * lb[n_days] >= target)) return TYNDAU_NEVER;
    int hi = n_days - 1; /* invariant: the sum at hi + 1 >= target */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (wa * la[mid + 1] + wb * lb[mid + 1] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint16_t)lo;
}

uint16_t tyndau_next_media(const tyndau_model *m, const tyndau_citizen *c, int day, double e)
{
    size_t n1 = (size_t)m->n_days + 1, off = (size_t)tyndau_media_class(c->demo) * n1;
    return tyndau_next_from_tables(m->lam_media_tv + off, tyndau_reception(m, c), m->lam_media_soc + off,
                                   tyndau_reception_soc(m, c), m->n_days, day, e);
}

/* Reach of each source of news (the four reform channels, the two campaigns) for a media class,
 * on television and the news (tv) and on social media (soc). */
static void media_reach(const tyndau_params *p, int cls, double tv[N_MEDIA_SOURCE], double soc[N_MEDIA_SOURCE])
{
    int low = cls % 2, age = cls / 2 % N_AGE, internet = cls / 2 / N_AGE;
    double social = internet ? (age == AGE_61P ? p->social_reach_61plus : age == AGE_46_60 ? p->social_reach_46_60 : 1.0)
                             : 0.0;
    for (int k = 0; k < N_MEDIA_SOURCE; k++) tv[k] = soc[k] = 0.0;
    /* the President's answering on social media, relayed on television to everyone */
    soc[CC_PRESIDENT] = social;
    tv[CC_PRESIDENT] = p->tv_relay;
    soc[CC_OFFICIALS] = social;
    soc[CC_AKIMS] = social;
    tv[CC_MONITORING] = 1.0; /* the appeals system: television, the news, the centres */
    tv[MS_TARGETED] = low || age == AGE_61P ? 1.0 : 0.0;
    soc[MS_SOCIAL] = social;
}

void tyndau_schedule_free(tyndau_model *m)
{
    free(m->wd);
    free(m->coverage);
    free(m->offline_saving);
    free(m->monitoring);
    free(m->media_day);
    free(m->lam_media_tv);
    free(m->lam_media_soc);
    free(m->lam_platform);
    free(m->lam_portal);
    free(m->lam_outreach);
    free(m->iplatform.start);
    free(m->iportal.start);
}

void tyndau_schedule_derived(tyndau_model *m)
{
    const tyndau_params *p = &m->p;
    for (int k = 0; k < N_MEDIA_CLASS; k++) media_reach(p, k, m->reach_tv[k], m->reach_soc[k]);
    /* heard -> fully aware: full_per_exposure on the odds scale times the odds ratios of age
       46+ and high income (exactly full_per_exposure when both are 1, and at 0 or 1) */
    for (int a = 0; a < N_AGE; a++)
        for (int y = 0; y < N_INCOME; y++) {
            double f = p->full_per_exposure, odds_ratio = (a >= AGE_46_60 ? p->full_odds_46plus : 1.0) *
                                                          (y == INC_HIGH ? p->full_odds_high_income : 1.0);
            m->p_full[a][y] = f <= 0.0 || f >= 1.0 || odds_ratio == 1.0
                                  ? f
                                  : f * odds_ratio / (1.0 - f + f * odds_ratio);
        }
}

/* The tables hold, for each day, the rates of the parameters in effect that day (dated
 * changes included), so that an event drawn ahead by inversion already follows them. */
tyndau_status tyndau_schedule_init(tyndau_model *m, tyndau_error *err)
{
    int n = m->n_days;
    size_t n1 = (size_t)n + 1;
    m->wd = tyndau_calloc(n1, sizeof *m->wd);
    m->coverage = tyndau_calloc(n1, sizeof *m->coverage);
    m->monitoring = tyndau_calloc(n1, sizeof *m->monitoring);
    m->media_day = tyndau_calloc(n1 * N_MEDIA_SOURCE, sizeof *m->media_day);
    m->lam_media_tv = tyndau_calloc(n1 * N_MEDIA_CLASS, sizeof *m->lam_media_tv);
    m->lam_media_soc = tyndau_calloc(n1 * N_MEDIA_CLASS, sizeof *m->lam_media_soc);
    m->lam_platform = tyndau_calloc(n1, sizeof *m->lam_platform);
    m->lam_portal = tyndau_calloc(n1, sizeof *m->lam_portal);
    m->lam_outreach = tyndau_calloc(n1 * N_SETTLEMENT, sizeof *m->lam_outreach);
    m->offline_saving = tyndau_calloc(n1, sizeof *m->offline_saving);
    if (!m->wd || !m->coverage || !m->monitoring || !m->media_day || !m->lam_media_tv || !m->lam_media_soc ||
        !m->lam_platform || !m->lam_portal || !m->lam_outreach || !m->offline_saving)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the schedule tables");

    tyndau_params pd = m->p; /* in effect on day d */
    int next = m->next_change;
    double tv[N_MEDIA_CLASS][N_MEDIA_SOURCE], soc[N_MEDIA_CLASS][N_MEDIA_SOURCE];
    for (int k = 0; k < N_MEDIA_CLASS; k++) media_reach(&pd, k, tv[k], soc[k]);
    const tyndau_params *p = &pd;
    uint16_t wd = 0;
    for (int d = 0; d < n; d++) {
        int date = p->start_date + d;
        if (next < m->p0.n_changes && m->p0.changes[next].date <= date) {
            for (; next < m->p0.n_changes && m->p0.changes[next].date <= date; next++)
                tyndau_params_put(&pd, (size_t)m->p0.changes[next].param, m->p0.changes[next].value);
            for (int k = 0; k < N_MEDIA_CLASS; k++) media_reach(&pd, k, tv[k], soc[k]);
        }
        m->wd[d] = wd;
        if (tyndau_weekday(date) < 5) wd++;
        double cov;
        if (date < p->platform_start_date)
            cov = 0.0;
        else if (date >= p->platform_full_date)
            cov = 1.0;
        else
            cov = (double)(date - p->platform_start_date) /
                  (double)(p->platform_full_date - p->platform_start_date);
        m->coverage[d] = cov;
        m->offline_saving[d] = exp(p->natizhe_saving * cov);
        double mon = p->monitor_platform * cov + (date >= p->code_date ? p->monitor_code : 0.0);
        m->monitoring[d] = mon > 1.0 ? 1.0 : mon;
        double *md = &m->media_day[(size_t)d * N_MEDIA_SOURCE];
        md[CC_PRESIDENT] = date >= p->announcement_date ? p->media_president : 0.0;
        md[CC_OFFICIALS] = date >= p->officials_social_date ? p->media_officials : 0.0;
        md[CC_AKIMS] = date >= p->officials_social_date ? p->media_akims : 0.0;
        md[CC_MONITORING] = p->media_monitoring * cov;
        md[MS_TARGETED] = p->campaign_targeted;
        md[MS_SOCIAL] = p->campaign_social;
        for (int k = 0; k < N_MEDIA_CLASS; k++) {
            double lt = 0.0, ls = 0.0;
            for (int c = 0; c < N_MEDIA_SOURCE; c++) lt += md[c] * tv[k][c], ls += md[c] * soc[k][c];
            size_t at = (size_t)k * n1 + (size_t)d;
            m->lam_media_tv[at + 1] = m->lam_media_tv[at] + lt;
            m->lam_media_soc[at + 1] = m->lam_media_soc[at] + ls;
        }
        m->lam_platform[d + 1] = m->lam_platform[d] + p->media_platform * cov;
        m->lam_portal[d + 1] = m->lam_portal[d] + p->egov_platform * cov;
        double reform = date >= p->announcement_date ? p->outreach_reform : 1.0;
        for (int s = 0; s < N_SETTLEMENT; s++) {
            double rate = (s == SET_RURAL ? p->outreach_extra_rural : p->outreach_extra_urban) / 365.25 * reform;
            m->lam_outreach[(size_t)s * n1 + (size_t)d + 1] = m->lam_outreach[(size_t)s * n1 + (size_t)d] + rate;
        }
    }
    m->wd[n] = wd;
    int bad = 0;
    bad |= tyndau_intensity_init(&m->iplatform, m->lam_platform, n);
    bad |= tyndau_intensity_init(&m->iportal, m->lam_portal, n);
    if (bad) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for the schedule tables");
    tyndau_schedule_derived(m);
    return TYNDAU_OK;
}

/* Whether parameters q (values on start_date and dated changes) give the model's per-day tables
 * bit for bit: the tables are built whole at creation and citizens draw events ahead from them,
 * so a change made between steps (tyndau_model_set) is the same as a dated change in the
 * scenario only when it leaves them as they are.  The tables of q are built in a scratch model
 * that holds nothing else.  1 the same, 0 not, -1 out of memory. */
int tyndau_schedule_same(const tyndau_model *m, const tyndau_params *q)
{
    tyndau_model *s = tyndau_calloc(1, sizeof *s);
    if (s == NULL) return -1;
    s->n_days = m->n_days;
    s->p0 = *q;
    tyndau_params_on(q, q->start_date, &s->p);
    while (s->next_change < q->n_changes && q->changes[s->next_change].date <= q->start_date) s->next_change++;
    int same = -1;
    if (tyndau_schedule_init(s, NULL) == TYNDAU_OK) {
        size_t n1 = (size_t)m->n_days + 1, d = sizeof(double);
        same = memcmp(s->coverage, m->coverage, n1 * d) == 0 && memcmp(s->monitoring, m->monitoring, n1 * d) == 0 &&
               memcmp(s->offline_saving, m->offline_saving, n1 * d) == 0 &&
               memcmp(s->media_day, m->media_day, n1 * N_MEDIA_SOURCE * d) == 0 &&
               memcmp(s->lam_media_tv, m->lam_media_tv, n1 * N_MEDIA_CLASS * d) == 0 &&
               memcmp(s->lam_media_soc, m->lam_media_soc, n1 * N_MEDIA_CLASS * d) == 0 &&
               memcmp(s->lam_platform, m->lam_platform, n1 * d) == 0 &&
               memcmp(s->lam_portal, m->lam_portal, n1 * d) == 0 &&
               memcmp(s->lam_outreach, m->lam_outreach, n1 * N_SETTLEMENT * d) == 0;
    }
    tyndau_schedule_free(s);
    free(s);
    return same;
}
