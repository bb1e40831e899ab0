/*
 * offices.c - offices and bureaucrats (MODEL_BRIEF s2).
 *
 * Offices: the President's office; one ministry per domain (central); one
 * akimat department per region and domain (local).  Each office's appeal
 * handlers are a share of the civil service; its capacity (cases per
 * working day) is scaled to the number of agents so that a smaller model
 * keeps the same load per citizen.  Up to handlers_per_office_max
 * bureaucrats are drawn per office; a case goes to one of them at random and
 * their traits decide its outcome.  An office is processed by one thread.
 *
 * A case's life at an office (docs/ODD.md 7.4), on the office's working days:
 *
 *   received    appended to `in` by the serial submit phase;
 *   registered  on the next working day, in arrival order: assigned to a bureaucrat,
 *               who decides its outcome, and given a preparation time, a deadline
 *               and perhaps an extension; it enters the calendar;
 *   calendar    a binary min-heap by (key, seq): `key` is the working day the case
 *               is ready, or its deadline when it cannot be ready in time (then it
 *               is "unprepared") or when it was let lapse;
 *   ready       on its key day it moves to a first-in, first-out queue (an
 *               acquaintance's cases to their own queue, served first); each
 *               working day the office's capacity takes cases from the heads;
 *   deadline    at the end of a working day, every case of the normal queue whose
 *               deadline is that day is late.
 *
 * Invariant: every formal case (not informal) is decided no later than the last
 * working day of its deadline, and a case that was not answered in time (late,
 * lapsed) is decided on exactly that day.  Each case draws only from its own
 * stream (rng.h): its decision at positions 0, 1, ...; its preparation, extension,
 * rescue and escalation at fixed positions of the same stream (POS_*), so that one
 * decision's draws never shift another's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "anchors.h"
#include "internal.h"
#include "regions.h"

#define OFFICE_PRESIDENT 0
#define OFFICE_MINISTRY(dom) (1 + (dom))
#define OFFICE_LOCAL(region, dom) (1 + N_DOMAIN + (region)*N_DOMAIN + (dom))

/* Positions in a case's stream of the draws that are not part of its decision. */
#define POS_PREP ((uint64_t)1 << 32)
#define POS_EXTEND (POS_PREP + 1)
#define POS_RESCUE (POS_PREP + 2)
#define POS_ESCALATE (POS_PREP + 3)

int tyndau_office_for(const tyndau_model *m, tyndau_channel ch, tyndau_domain domain, int region, double u)
{
    int dom = (int)domain;
    const tyndau_params *p = &m->p;
    switch (ch) {
    case CH_PRESIDENT: return OFFICE_PRESIDENT;
    case CH_SOCIAL: return u < p->social_local_share ? OFFICE_LOCAL(region, dom) : OFFICE_MINISTRY(dom);
    case CH_INFORMAL: return OFFICE_LOCAL(region, dom);
    default: return u < p->local_share ? OFFICE_LOCAL(region, dom) : OFFICE_MINISTRY(dom);
    }
}

int tyndau_informal_available(const tyndau_model *m, size_t i, unsigned ties)
{
    /* each tie independently can push a case; the uniform is a hash of (seed, citizen), so a
       higher informal_tie_share only adds citizens who know someone (common random numbers) */
    double u = (double)(tyndau_mix64(m->key_acquaintance ^ (uint64_t)i) >> 11) * 0x1.0p-53; /* tyndau_key(seed, KEY_ACQUAINTANCE, i) */
    return u < m->know[ties < 256 ? ties : 255];
}

/* Beta with the given mean and concentration; exact 0 or 1 at the ends so that
 * degenerate parameters give exact results. */
static double beta_mean(gsl_rng *r, double mean, double conc)
{
    if (mean <= 0.0) return 0.0;
    if (mean >= 1.0) return 1.0;
    return gsl_ran_beta(r, mean * conc, (1.0 - mean) * conc);
}

/* Working-day number W(d) of day index d >= 0 (Monday-Friday days in [0, d)), also past the run. */
static unsigned wd_at(const tyndau_model *m, int d)
{
    if (d <= m->n_days) return m->wd[d];
    unsigned w = m->wd[m->n_days];
    int a = m->p.start_date + m->n_days, b = m->p.start_date + d;
    w += (unsigned)((b - a) / 7 * 5);
    for (int x = a + (b - a) / 7 * 7; x < b; x++) w += tyndau_weekday(x) < 5;
    return w;
}

static int days_in_month(long y, long mo)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mo == 2 && leap ? 29 : n[mo - 1];
}

/* `months` calendar months after day number `days` (the day of the month kept, or the month's
 * last day when it has fewer): Hinnant's civil_from_days, as tyndau_date_format. */
static int add_months(int days, int months)
{
    long z = (long)days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long mo = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (mo <= 2);
    long k = (mo - 1) + months;
    y += k / 12;
    mo = k % 12 + 1;
    if (d > days_in_month(y, mo)) d = days_in_month(y, mo);
    return (int)TYNDAU_YMD(y, mo, d);
}

/* Cumulative table of the negative binomial with mean `mean` and size `size` on
 * 0 .. TYNDAU_PREP_MAX-1 (the tail beyond is put on the last entry), from the log
 * probabilities so that no term underflows. */
static void prep_table(double mean, double size, double *cdf)
{
    double acc = 0.0;
    for (int k = 0; k < TYNDAU_PREP_MAX; k++) {
        double pk = mean <= 0.0 ? (k == 0)
                                : exp(lgamma(k + size) - lgamma(size) - lgamma(k + 1.0) +
                                      size * log(size / (size + mean)) + k * log(mean / (size + mean)));
        acc += pk;
        cdf[k] = acc < 1.0 ? acc : 1.0;
    }
    cdf[TYNDAU_PREP_MAX - 1] = 1.0;
}

/* Inversion: the least k with u < cdf[k].  One uniform per case, so a longer mean
 * moves every case's preparation the same way (common random numbers). */
static unsigned prep_draw(const double *cdf, double u)
{
    unsigned lo = 0, hi = TYNDAU_PREP_MAX - 1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (u < cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

tyndau_status tyndau_offices_init(tyndau_model *m, tyndau_error *err)
{
    const tyndau_params *p = &m->p;
    m->n_offices = 1 + N_DOMAIN + TYNDAU_N_REGION * N_DOMAIN;
    m->office = tyndau_calloc((size_t)m->n_offices, sizeof *m->office);
    m->ext_due = tyndau_calloc((size_t)m->n_days, sizeof *m->ext_due);
    if (m->office == NULL || m->ext_due == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for offices");
    m->anchor_d0 = TYNDAU_YMD(TYNDAU_ANCHOR_YEAR, 1, 1) - p->start_date;
    m->anchor_d1 = TYNDAU_YMD(TYNDAU_ANCHOR_YEAR + 1, 1, 1) - p->start_date;
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_office *o = &m->office[k];
        if (k == OFFICE_PRESIDENT) {
            o->level = LEV_CENTRAL;
            o->domain = -1;
            o->region = -1;
        } else if (k < OFFICE_LOCAL(0, 0)) {
            o->level = LEV_CENTRAL;
            o->domain = k - 1;
            o->region = -1;
        } else {
            int j = k - OFFICE_LOCAL(0, 0);
            o->level = LEV_LOCAL;
            o->domain = j % N_DOMAIN;
            o->region = j / N_DOMAIN;
        }
        o->min_due = TYNDAU_NEVER;
    }
    tyndau_offices_capacity(m);
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_office *o = &m->office[k];
        double nb = floor(o->staff + 0.5);
        o->n_bureaucrats = nb < 1 ? 1 : nb > p->handlers_per_office_max ? p->handlers_per_office_max : (int)nb;
        o->bur = tyndau_calloc((size_t)o->n_bureaucrats, sizeof *o->bur);
        o->rng = gsl_rng_alloc(tyndau_rng_ctr);
        if (o->bur == NULL || o->rng == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for offices");
        o->key = tyndau_key(m->seed, KEY_APPEAL, (uint64_t)k);
    }
    tyndau_offices_traits(m);
    return TYNDAU_OK;
}

void tyndau_offices_capacity(tyndau_model *m)
{
    const tyndau_params *p = &m->p;
    double dw[N_DOMAIN] = {p->domain_weight_health, p->domain_weight_education, p->domain_weight_employment,
                           p->domain_weight_police, p->domain_weight_land, p->domain_weight_housing};
    double dsum = 0.0, popsum = 0.0;
    for (int d = 0; d < N_DOMAIN; d++) dsum += dw[d];
    for (int r = 0; r < TYNDAU_N_REGION; r++) popsum += tyndau_regions[r].population;
    double handlers = (double)p->civil_servants * p->handler_share;
    double central = handlers * p->central_staff_share;
    double agents_share = (double)m->c.n / (double)p->population_national; /* model scale */
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_office *o = &m->office[k];
        if (k == OFFICE_PRESIDENT)
            o->staff = central * p->president_staff_share;
        else if (o->level == LEV_CENTRAL)
            o->staff = central * (1.0 - p->president_staff_share) * (dsum > 0 ? dw[o->domain] / dsum : 0.0);
        else
            o->staff = (handlers - central) * tyndau_regions[o->region].population / popsum *
                       (dsum > 0 ? dw[o->domain] / dsum : 0.0);
        o->capacity = o->staff * p->cases_per_day * agents_share;
    }
    for (int k = 0; k < 256; k++) m->know[k] = 1.0 - pow(1.0 - p->informal_tie_share, (double)k);
    /* what registration reads: the preparation distributions and the extended deadlines */
    prep_table(p->prep_mean, p->prep_size, m->prep_cdf[0]);
    prep_table(p->prep_mean * p->informal_prep_factor, p->prep_size, m->prep_cdf[1]);
    for (int d = 0; d < m->n_days; d++) {
        /* the last working day on or before the day `extension_months` after filing */
        int e = add_months(p->start_date + d, p->extension_months) - p->start_date;
        unsigned w = wd_at(m, e + 1);
        w = w > 0 ? w - 1 : 0;
        m->ext_due[d] = (uint16_t)(w < TYNDAU_NEVER ? w : TYNDAU_NEVER - 1);
    }
}

/* One trait of one bureaucrat, from its own stream: the same stream whatever the
 * trait's mean, so a change of the mean moves every bureaucrat's value the same way
 * (common random numbers, and dated changes of the means). */
static float trait(const tyndau_model *m, gsl_rng *r, int office, int b, int t, double mean)
{
    tyndau_ctr_seek(r, tyndau_key(m->seed, KEY_TRAIT, ((uint64_t)office << 32) | ((uint64_t)b << 2) | (uint64_t)t), 0);
    return (float)beta_mean(r, mean, m->p.trait_concentration);
}

void tyndau_offices_traits(tyndau_model *m)
{
    const tyndau_params *p = &m->p;
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_office *o = &m->office[k];
        for (int b = 0; b < o->n_bureaucrats; b++) {
            tyndau_bureaucrat *bu = &o->bur[b];
            bu->corruption = trait(m, o->rng, k, b, 0, p->corruption_mean);
            bu->resistance = trait(m, o->rng, k, b, 1, p->resistance_mean);
            bu->favouritism = trait(m, o->rng, k, b, 2, p->favouritism_mean);
            bu->sensitivity = trait(m, o->rng, k, b, 3, p->monitor_sensitivity_mean);
        }
    }
}

int tyndau_office_enqueue(tyndau_office *o, const tyndau_appeal *a)
{
    if (tyndau_appealbuf_push(&o->in, *a) != 0) return -1;
    o->received++;
    return 0;
}

size_t tyndau_office_pending(const tyndau_office *o)
{
    return o->in.n + o->cal_n + o->ready[Q_PRIORITY].n + o->ready[Q_NORMAL].n;
}

/* Serial: today's escalated cases join their ministries' queues, office by office
 * (a fixed order, so the queues do not depend on threads). */
int tyndau_offices_escalate(tyndau_model *m)
{
    int failed = 0;
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_appealbuf *e = &m->office[k].escalate;
        for (size_t j = 0; j < e->n; j++) {
            e->v[j].office = (uint16_t)OFFICE_MINISTRY(e->v[j].domain);
            failed |= tyndau_office_enqueue(&m->office[OFFICE_MINISTRY(e->v[j].domain)], &e->v[j]);
        }
        e->n = 0;
    }
    return failed;
}

void tyndau_offices_free(tyndau_model *m)
{
    free(m->ext_due);
    m->ext_due = NULL;
    if (m->office == NULL) return;
    for (int k = 0; k < m->n_offices; k++) {
        tyndau_office *o = &m->office[k];
        free(o->bur);
        free(o->in.v);
        free(o->cal);
        for (int q = 0; q < N_QUEUE; q++) free(o->ready[q].v);
        free(o->out.v);
        free(o->escalate.v);
        if (o->rng) gsl_rng_free(o->rng);
    }
    free(m->office);
    m->office = NULL;
}

/* ---- the calendar (binary min-heap by key, then registration order) and the queues ---- */

static int case_before(const tyndau_case *a, const tyndau_case *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static int cal_push(tyndau_office *o, const tyndau_case *c)
{
    if (o->cal_n == o->cal_cap) {
        size_t cap = o->cal_cap ? 2 * o->cal_cap : 64;
        tyndau_case *v = tyndau_reallocarray(o->cal, cap, sizeof *v);
        if (v == NULL) return -1;
        o->cal = v;
        o->cal_cap = cap;
    }
    size_t k = o->cal_n++;
    while (k > 0 && case_before(c, &o->cal[(k - 1) / 2])) {
        o->cal[k] = o->cal[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    o->cal[k] = *c;
    return 0;
}

static tyndau_case cal_pop(tyndau_office *o)
{
    tyndau_case top = o->cal[0], last = o->cal[--o->cal_n];
    size_t k = 0, n = o->cal_n;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= n) break;
        if (c + 1 < n && case_before(&o->cal[c + 1], &o->cal[c])) c++;
        if (!case_before(&o->cal[c], &last)) break;
        o->cal[k] = o->cal[c];
        k = c;
    }
    if (n > 0) o->cal[k] = last;
    return top;
}

static int q_push(tyndau_caseq *q, const tyndau_case *c)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        tyndau_case *v = tyndau_calloc(cap, sizeof *v);
        if (v == NULL) return -1;
        for (size_t k = 0; k < q->n; k++) v[k] = q->v[(q->head + k) % q->cap];
        free(q->v);
        q->v = v;
        q->cap = cap;
        q->head = 0;
    }
    q->v[(q->head + q->n) % q->cap] = *c;
    q->n++;
    return 0;
}

static tyndau_case q_pop(tyndau_caseq *q)
{
    tyndau_case c = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return c;
}

/* ---- deciding a case ---- */

static double visibility(const tyndau_params *p, const tyndau_appeal *a)
{
    double v = 0.0;
    switch ((tyndau_channel)a->channel) {
    case CH_SOCIAL: v = p->visibility_social; break;
    case CH_PRESIDENT: v = p->visibility_president; break;
    case CH_ONLINE: v = p->visibility_online; break;
    case CH_INFORMAL: v = p->visibility_informal; break;
    default: break;
    }
    if (DEMO_INCOME(a->demo) == INC_HIGH) v += p->visibility_high_income;
    if (DEMO_DIGITAL(a->demo) == DIG_EGOV) v += p->visibility_egov;
    v += p->visibility_ties * a->ties / (double)p->ties_max;
    return v;
}

static double domain_corruption(const tyndau_params *p, int dom)
{
    switch (dom) {
    case DOM_HEALTH: return p->corruption_factor_health;
    case DOM_EDUCATION: return p->corruption_factor_education;
    case DOM_EMPLOYMENT: return p->corruption_factor_employment;
    case DOM_POLICE: return p->corruption_factor_police;
    case DOM_LAND: return p->corruption_factor_land;
    default: return p->corruption_factor_housing;
    }
}

/* The outcome bureaucrat b decides for a case at registration (docs/ODD.md 7.4, steps 1-4),
 * drawing from the case's stream where the bureaucrat's draw left it.  `mon` is the effective
 * monitoring (0 for an acquaintance's case, which is not registered in the system).
 *
 * Favouritism moves a fixed effort: a case that reaches the merits has the resolution
 * probability p it would have without favouritism, times (1 + f v)/(1 + f vbar), with vbar the
 * office's running mean visibility of such cases weighted by their p.  Then the expected
 * resolutions of the office's cases, the sum of p (1 + f v)/(1 + f vbar), equal the sum of p:
 * what visible complainants gain, the others lose. */
static tyndau_outcome decide(const tyndau_model *m, tyndau_office *o, const tyndau_bureaucrat *b,
                             const tyndau_appeal *a, double mon)
{
    const tyndau_params *p = &m->p;
    gsl_rng *r = o->rng;
    int informal = a->channel == CH_INFORMAL;
    double pb = b->corruption * domain_corruption(p, a->domain) * (1.0 - p->detection);
    if (pb > 0.0 && gsl_rng_uniform(r) < pb) {
        const double pay[N_INCOME] = {p->bribe_pay_low, p->bribe_pay_middle, p->bribe_pay_high};
        return gsl_rng_uniform(r) < pay[DEMO_INCOME(a->demo)] ? OUT_BRIBE_PAID : OUT_BRIBE_REFUSED;
    }
    double res = b->resistance * (informal ? 1.0 - p->informal_resistance_cut : 1.0);
    if (gsl_rng_uniform(r) < res * (1.0 - mon)) return OUT_LATE_IGNORED;
    double pr = p->resolve_base * (1.0 - res) * (1.0 + p->monitor_resolve_effect * mon);
    if (pr > 1.0) pr = 1.0;
    if (informal) { /* the acquaintance's push on the odds scale (exactly pr when the odds ratio is 1) */
        double odds = p->informal_resolve_odds;
        if (odds != 1.0 && pr < 1.0) pr = odds * pr / (1.0 - pr + odds * pr);
    }
    double v = visibility(p, a), vbar = o->vis_n > 0.0 ? o->vis_sum / o->vis_n : v;
    o->vis_sum += pr * v;
    o->vis_n += pr;
    pr *= (1.0 + b->favouritism * v) / (1.0 + b->favouritism * vbar);
    if (gsl_rng_uniform(r) < pr) return OUT_RESOLVED;
    return gsl_rng_uniform(r) < p->redirect_share ? OUT_REDIRECTED : OUT_FORMAL;
}

static uint64_t case_key(const tyndau_office *o, const tyndau_appeal *a)
{
    return tyndau_mix64(o->key ^ ((uint64_t)a->citizen << 32 | (uint64_t)a->day << 16 | a->seq));
}

static double case_uniform(tyndau_office *o, const tyndau_appeal *a, uint64_t pos)
{
    tyndau_ctr_seek(o->rng, case_key(o, a), pos);
    return gsl_rng_uniform(o->rng);
}

static uint16_t wd16(unsigned w) { return (uint16_t)(w < TYNDAU_NEVER ? w : TYNDAU_NEVER - 1); }

/* Registration on working day `day`: bureaucrat, outcome, preparation, deadline, extension. */
static void register_case(tyndau_model *m, tyndau_office *o, const tyndau_appeal *a, int day,
                          tyndau_day_counts *cnt)
{
    const tyndau_params *p = &m->p;
    tyndau_case c;
    memset(&c, 0, sizeof c);
    c.a = *a;
    c.seq = o->seq++;
    tyndau_ctr_seek(o->rng, case_key(o, a), 0);
    c.bur = (uint32_t)gsl_rng_uniform_int(o->rng, (unsigned long)o->n_bureaucrats);
    const tyndau_bureaucrat *b = &o->bur[c.bur];
    int informal = a->channel == CH_INFORMAL;
    double mon = informal ? 0.0 : m->monitoring[day] * b->sensitivity;
    tyndau_outcome out = decide(m, o, b, a, mon);
    c.out = (uint8_t)out;
    unsigned w_in = m->wd[a->day];
    unsigned prep = prep_draw(m->prep_cdf[informal], case_uniform(o, a, POS_PREP));
    if (informal) {
        c.flags = CASE_INFORMAL;
        c.due = TYNDAU_NEVER;
        c.key = wd16(w_in + prep);
    } else {
        int filed = p->start_date + a->day;
        unsigned deadline = (unsigned)(filed >= p->code_date ? p->deadline_code : p->deadline_before_code);
        if (out == OUT_LATE_IGNORED) { /* let lapse: the complainant learns when the deadline passes */
            c.flags = CASE_LAPSED;
            c.due = c.key = wd16(w_in + deadline);
        } else if (out == OUT_REDIRECTED) { /* not competent: forwarded within redirect_days */
            unsigned r = (unsigned)p->redirect_days;
            c.due = wd16(w_in + r);
            c.key = wd16(w_in + (prep < r ? prep : r));
        } else {
            unsigned due = w_in + deadline, ready = w_in + prep;
            if (ready > due && p->extension_months > 0 &&
                case_uniform(o, a, POS_EXTEND) < p->extension_base + p->extension_monitor * mon) {
                c.flags |= CASE_EXTENDED;
                o->extended++;
                if (m->ext_due[a->day] > due) due = m->ext_due[a->day];
            }
            c.due = wd16(due);
            if (ready > due) {
                c.flags |= CASE_UNPREPARED;
                c.key = c.due;
            } else {
                c.key = wd16(ready);
            }
        }
    }
    if (cal_push(o, &c) != 0) cnt->alloc_failed = 1;
}

/* The case's outcome reaches the complainant (or, for a public complaint an akimat left
 * unresolved, the ministry takes it up instead); counted by how it was decided. */
static void emit(tyndau_model *m, tyndau_office *o, const tyndau_case *c, tyndau_outcome out, tyndau_decision how,
                 int day, tyndau_day_counts *cnt)
{
    tyndau_appeal a = c->a;
    /* an unresolved complaint on an akim's public account may be taken up by the
     * ministry (MODEL_BRIEF s3: "public and visible, may escalate") */
    if (a.channel == CH_SOCIAL && o->level == LEV_LOCAL &&
        (out == OUT_FORMAL || out == OUT_REDIRECTED || out == OUT_LATE_IGNORED) &&
        case_uniform(o, &a, POS_ESCALATE) < m->p.social_escalation) {
        a.day = (uint16_t)day; /* a new case for the ministry, with its own deadline */
        if (tyndau_appealbuf_push(&o->escalate, a) != 0) cnt->alloc_failed = 1;
        o->escalated++;
        cnt->run.escalated++;
        return;
    }
    int g[N_GTYPE];
    tyndau_groups_of(a.demo, a.region, g);
    for (int t = 0; t < N_GTYPE; t++) cnt->day.outcomes[g[t]][out]++;
    cnt->day.decided[o->level][a.channel][out]++;
    cnt->run.outcome_channel[a.channel][out]++;
    int wait = day - a.day;
    int wbin = wait < TYNDAU_WAIT_MAX ? wait : TYNDAU_WAIT_MAX - 1;
    cnt->run.wait[a.channel][wbin]++;
    for (int t = 0; t < N_GTYPE; t++) {
        cnt->run.wait_group[g[t]][wbin]++;
        cnt->run.outcome_group_channel[g[t]][a.channel][out]++;
    }
    if (out == OUT_RESOLVED || out == OUT_BRIBE_PAID) cnt->run.resolve_wait[a.channel][wbin]++;
    int wd = (int)m->wd[day] - (int)m->wd[a.day];
    int dbin = wd < TYNDAU_ANSWER_WD_MAX ? wd : TYNDAU_ANSWER_WD_MAX - 1;
    cnt->run.answer_wd[a.channel][out][dbin]++;
    cnt->run.decisions[a.channel][how]++;
    if (day >= m->anchor_d0 && day < m->anchor_d1) {
        cnt->run.answer_wd_year[a.channel][dbin]++;
        cnt->run.decisions_year[a.channel][how]++;
    }
    o->processed++;
    o->by_outcome[out]++;
    o->by_decision[how]++;
    o->wait_sum += (uint64_t)wait;
    tyndau_msg msg = {a.citizen, MSG_OUTCOME, (uint8_t)out, (uint8_t)((unsigned)o->level | (unsigned)a.domain << 1u),
                      a.severity};
    if (tyndau_msgbuf_push(&o->out, msg) != 0) cnt->alloc_failed = 1;
}

/* A case answered with the outcome decided at registration. */
static void answer(tyndau_model *m, tyndau_office *o, const tyndau_case *c, int day, tyndau_day_counts *cnt)
{
    tyndau_decision how = (c->flags & CASE_INFORMAL) ? DEC_INFORMAL
                          : (c->flags & CASE_EXTENDED) ? DEC_EXTENDED
                                                       : DEC_ON_TIME;
    emit(m, o, c, (tyndau_outcome)c->out, how, day, cnt);
}

void tyndau_office_day(tyndau_model *m, tyndau_office *o, int day, tyndau_day_counts *cnt)
{
    if (tyndau_weekday(m->p.start_date + day) >= 5) return;
    const tyndau_params *p = &m->p;
    uint16_t w = m->wd[day];
    double decay = exp(-1.0 / p->favour_window);
    o->vis_sum *= decay;
    o->vis_n *= decay;
    /* 1. register what arrived since the last working day, in arrival order */
    for (size_t k = 0; k < o->in.n; k++) register_case(m, o, &o->in.v[k], day, cnt);
    o->in.n = 0;
    /* 2. cases whose day has come leave the calendar: lapsed ones are reported, the others
       wait for capacity */
    while (o->cal_n > 0 && o->cal[0].key <= w) {
        tyndau_case c = cal_pop(o);
        if (c.flags & CASE_LAPSED) {
            emit(m, o, &c, OUT_LATE_IGNORED, DEC_LAPSED, day, cnt);
            continue;
        }
        int q = (c.flags & CASE_INFORMAL) ? Q_PRIORITY : Q_NORMAL;
        if (q_push(&o->ready[q], &c) != 0) cnt->alloc_failed = 1;
        if (q == Q_NORMAL && c.due < o->min_due) o->min_due = c.due;
    }
    size_t waiting = o->ready[Q_PRIORITY].n + o->ready[Q_NORMAL].n;
    if (waiting > o->max_queue) o->max_queue = waiting;
    /* 3. capacity: each answer takes one unit; an acquaintance's cases first */
    o->credit += o->capacity;
    while (o->credit >= 1.0) {
        tyndau_caseq *q = o->ready[Q_PRIORITY].n > 0 ? &o->ready[Q_PRIORITY] : &o->ready[Q_NORMAL];
        if (q->n == 0) break;
        tyndau_case c = q_pop(q);
        if (c.flags & CASE_UNPREPARED) {
            /* its deadline is today and it is not ready: under monitoring a formal answer on
               time, else late (which takes no capacity) */
            double mon = m->monitoring[day] * o->bur[c.bur].sensitivity;
            if (case_uniform(o, &c.a, POS_RESCUE) < p->monitor_deadline * mon) {
                o->credit -= 1.0;
                emit(m, o, &c, OUT_FORMAL, DEC_RESCUED, day, cnt);
            } else {
                emit(m, o, &c, OUT_LATE_IGNORED, DEC_LATE, day, cnt);
            }
            continue;
        }
        o->credit -= 1.0;
        answer(m, o, &c, day, cnt);
    }
    /* 4. the deadline: cases of the normal queue whose last day is today are late */
    if (o->min_due <= w) {
        tyndau_caseq *q = &o->ready[Q_NORMAL];
        size_t kept = 0;
        uint16_t least = TYNDAU_NEVER;
        for (size_t k = 0; k < q->n; k++) {
            tyndau_case c = q->v[(q->head + k) % q->cap];
            if (c.due <= w) {
                emit(m, o, &c, OUT_LATE_IGNORED, DEC_LATE, day, cnt);
            } else {
                q->v[(q->head + kept) % q->cap] = c;
                kept++;
                if (c.due < least) least = c.due;
            }
        }
        q->n = kept;
        o->min_due = least;
    }
    /* 5. unused capacity is kept up to capacity_bank_days of it, and its fraction always */
    double frac = o->credit - floor(o->credit), bank = p->capacity_bank_days * o->capacity;
    double keep = bank > frac ? bank : frac;
    if (o->credit > keep) o->credit = keep;
}
