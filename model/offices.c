/*
 * offices.c - offices and bureaucrats (MODEL_BRIEF s2).
 *
 * Offices: the President's office; one ministry per domain (central); one
 * akimat department per region and domain (local).  Each office's appeal
 * handlers are a share of the civil service; its capacity (cases per
 * working day) is scaled to the number of agents so that a smaller model
 * keeps the same load per citizen.  Up to handlers_per_office_max
 * bureaucrats are drawn per office; a case goes to one of them at random and
 * their traits decide its outcome.  Queues are first in, first out.  An
 * office is processed by one thread with its own RNG stream.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "internal.h"
#include "regions.h"

#define OFFICE_PRESIDENT 0
#define OFFICE_MINISTRY(dom) (1 + (dom))
#define OFFICE_LOCAL(region, dom) (1 + N_DOMAIN + (region)*N_DOMAIN + (dom))

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

/* Beta with the given mean and concentration; exact 0 or 1 at the ends so that
 * degenerate parameters give exact results. */
static double beta_mean(gsl_rng *r, double mean, double conc)
{
    if (mean <= 0.0) return 0.0;
    if (mean >= 1.0) return 1.0;
    return gsl_ran_beta(r, mean * conc, (1.0 - mean) * conc);
}

tyndau_status tyndau_offices_init(tyndau_model *m, tyndau_error *err)
{
    const tyndau_params *p = &m->p;
    m->n_offices = 1 + N_DOMAIN + TYNDAU_N_REGION * N_DOMAIN;
    m->office = tyndau_calloc((size_t)m->n_offices, sizeof *m->office);
    if (m->office == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for offices");
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
    if (o->q_len == o->q_cap) {
        size_t cap = o->q_cap ? 2 * o->q_cap : 64;
        tyndau_appeal *q = tyndau_calloc(cap, sizeof *q);
        if (q == NULL) return -1;
        for (size_t k = 0; k < o->q_len; k++) q[k] = o->queue[(o->q_head + k) % o->q_cap];
        free(o->queue);
        o->queue = q;
        o->q_cap = cap;
        o->q_head = 0;
    }
    o->queue[(o->q_head + o->q_len) % o->q_cap] = *a;
    o->q_len++;
    o->received++;
    return 0;
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
    if (m->office == NULL) return;
    for (int k = 0; k < m->n_offices; k++) {
        free(m->office[k].bur);
        free(m->office[k].queue);
        free(m->office[k].out.v);
        free(m->office[k].escalate.v);
        if (m->office[k].rng) gsl_rng_free(m->office[k].rng);
    }
    free(m->office);
    m->office = NULL;
}

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

/* The outcome of one case handled by bureaucrat b (see docs/ODD.md, submodel "appeal handling"). */
static tyndau_outcome decide(const tyndau_model *m, const tyndau_office *o, const tyndau_bureaucrat *b,
                             const tyndau_appeal *a, int day)
{
    const tyndau_params *p = &m->p;
    gsl_rng *r = o->rng;
    /* the rules in force when the appeal was filed apply to it */
    int filed = p->start_date + a->day;
    int deadline = filed >= p->code_date ? p->deadline_code : p->deadline_before_code;
    if ((int)m->wd[day] - (int)m->wd[a->day] > deadline) return OUT_LATE_IGNORED;
    double pb = b->corruption * domain_corruption(p, a->domain) * (1.0 - p->detection);
    if (pb > 0.0 && gsl_rng_uniform(r) < pb) {
        const double pay[N_INCOME] = {p->bribe_pay_low, p->bribe_pay_middle, p->bribe_pay_high};
        return gsl_rng_uniform(r) < pay[DEMO_INCOME(a->demo)] ? OUT_BRIBE_PAID : OUT_BRIBE_REFUSED;
    }
    double mon = m->monitoring[day] * b->sensitivity;
    if (gsl_rng_uniform(r) < b->resistance * (1.0 - mon)) return OUT_LATE_IGNORED;
    double pr = p->resolve_base * (1.0 - b->resistance) * (1.0 + b->favouritism * visibility(p, a)) *
                (1.0 + p->monitor_resolve_effect * mon);
    if (gsl_rng_uniform(r) < pr) return OUT_RESOLVED;
    return gsl_rng_uniform(r) < p->redirect_share ? OUT_REDIRECTED : OUT_FORMAL;
}

void tyndau_office_day(tyndau_model *m, tyndau_office *o, int day, tyndau_day_counts *cnt)
{
    if (o->q_len > o->max_queue) o->max_queue = o->q_len;
    if (tyndau_weekday(m->p.start_date + day) >= 5) return;
    double acc = o->carry + o->capacity;
    double k = floor(acc);
    o->carry = acc - k;
    while (k >= 1.0 && o->q_len > 0) {
        tyndau_appeal a = o->queue[o->q_head];
        o->q_head = (o->q_head + 1) % o->q_cap;
        o->q_len--;
        k -= 1.0;
        /* the appeal's own stream (rng.h) */
        tyndau_ctr_seek(o->rng, tyndau_mix64(o->key ^ ((uint64_t)a.citizen << 32 | (uint64_t)a.day << 16 | a.seq)), 0);
        const tyndau_bureaucrat *b = &o->bur[gsl_rng_uniform_int(o->rng, (unsigned long)o->n_bureaucrats)];
        tyndau_outcome out = decide(m, o, b, &a, day);
        /* an unresolved complaint on an akim's public account may be taken up by the
         * ministry (MODEL_BRIEF s3: "public and visible, may escalate") */
        if (a.channel == CH_SOCIAL && o->level == LEV_LOCAL &&
            (out == OUT_FORMAL || out == OUT_REDIRECTED || out == OUT_LATE_IGNORED) &&
            gsl_rng_uniform(o->rng) < m->p.social_escalation) {
            a.day = (uint16_t)day; /* a new case for the ministry, with its own deadline */
            if (tyndau_appealbuf_push(&o->escalate, a) != 0) cnt->alloc_failed = 1;
            o->escalated++;
            cnt->run.escalated++;
            continue;
        }
        int g[N_GTYPE];
        tyndau_groups_of(a.demo, a.region, g);
        for (int t = 0; t < N_GTYPE; t++) cnt->day.outcomes[g[t]][out]++;
        cnt->run.outcome_channel[a.channel][out]++;
        int wait = day - a.day;
        int wbin = wait < TYNDAU_WAIT_MAX ? wait : TYNDAU_WAIT_MAX - 1;
        cnt->run.wait[a.channel][wbin]++;
        for (int t = 0; t < N_GTYPE; t++) {
            cnt->run.wait_group[g[t]][wbin]++;
            cnt->run.outcome_group_channel[g[t]][a.channel][out]++;
        }
        if (out == OUT_RESOLVED || out == OUT_BRIBE_PAID) cnt->run.resolve_wait[a.channel][wbin]++;
        o->processed++;
        o->by_outcome[out]++;
        o->wait_sum += (uint64_t)wait;
        tyndau_msg msg = {a.citizen, MSG_OUTCOME, (uint8_t)out, (uint8_t)((unsigned)o->level | (unsigned)a.domain << 1u),
                          a.severity};
        if (tyndau_msgbuf_push(&o->out, msg) != 0) cnt->alloc_failed = 1;
    }
}
