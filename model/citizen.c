/*
 * citizen.c - one block of citizens on one day: delivered messages, then
 * each citizen whose next event is today (problems and channel choice,
 * media, platform news, proactive contact, telling ties).
 *
 * Only this block's citizens are written, and only the block's RNG stream is
 * drawn from, in a fixed order; what the block says to others (appeals,
 * messages to ties) goes into the block's own buffers.  Hence the day's
 * result does not depend on which thread runs which block.
 */
#include <math.h>

#include "internal.h"

static uint8_t sat_add(uint8_t a, unsigned b)
{
    unsigned v = a + b;
    return (uint8_t)(v > 255 ? 255 : v);
}

int tyndau_belief_category(const uint8_t ev[4], tyndau_level lev)
{
    unsigned pos = ev[EV(lev, 0)], neg = ev[EV(lev, 1)];
    if (pos + neg == 0) return BEL_DK;
    return pos > neg ? BEL_PAYS : neg > pos ? BEL_NO : BEL_SPLIT;
}

/* A citizen's state as a packed key of the four time-series categories. */
static unsigned state_key(const tyndau_citizens *c, size_t i)
{
    uint8_t a = c->aware[i];
    return (unsigned)AW_CONCEPT(a) | (unsigned)AW_PLATFORM(a) << 2 |
           (unsigned)tyndau_belief_category(c->evidence[i], LEV_CENTRAL) << 4 |
           (unsigned)tyndau_belief_category(c->evidence[i], LEV_LOCAL) << 6;
}

static void count_key(const tyndau_citizens *c, size_t i, unsigned key, int64_t sign,
                      int64_t state[][N_STATE_SERIES])
{
    int g[N_GTYPE];
    tyndau_groups_of(c->demo[i], c->region[i], g);
    int s0 = (int)(key & 3u), s1 = N_CONCEPT + (int)(key >> 2 & 3u);
    int s2 = N_CONCEPT + N_PLATFORM + (int)(key >> 4 & 3u);
    int s3 = N_CONCEPT + N_PLATFORM + N_BELIEF + (int)(key >> 6 & 3u);
    for (int t = 0; t < N_GTYPE; t++) {
        int64_t *row = state[g[t]];
        row[s0] += sign;
        row[s1] += sign;
        row[s2] += sign;
        row[s3] += sign;
    }
}

void tyndau_state_count(const tyndau_model *m, size_t i, int64_t sign, int64_t state[][N_STATE_SERIES])
{
    count_key(&m->c, i, state_key(&m->c, i), sign, state);
}

/* Record the change of citizen i's state from `before` to now. */
static void state_changed(const tyndau_citizens *c, size_t i, unsigned before, tyndau_day_counts *cnt)
{
    unsigned after = state_key(c, i);
    if (after == before) return;
    count_key(c, i, before, -1, cnt->state);
    count_key(c, i, after, +1, cnt->state);
}

static void reschedule(tyndau_citizens *c, size_t i)
{
    uint16_t nx = c->t_problem[i];
    if (c->t_media[i] < nx) nx = c->t_media[i];
    if (c->t_platform[i] < nx) nx = c->t_platform[i];
    if (c->t_contact[i] < nx) nx = c->t_contact[i];
    if (c->t_tell[i] < nx) nx = c->t_tell[i];
    c->next[i] = nx;
}

/* Day index `day + 1 + floor(Exp(mean))`, or NEVER past the end. */
static uint16_t after_delay(const tyndau_model *m, gsl_rng *r, int day, double mean)
{
    double t = (double)day + 1.0 + floor(gsl_ran_exponential(r, mean));
    return t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
}

static void schedule_tell(tyndau_model *m, gsl_rng *r, size_t i, int day)
{
    uint16_t t = after_delay(m, r, day, m->p.tell_delay);
    if (t < m->c.t_tell[i]) m->c.t_tell[i] = t;
}

static double belief_mean(const tyndau_model *m, const uint8_t ev[4], tyndau_level lev)
{
    double a = m->p.belief_prior;
    return (ev[EV(lev, 0)] + a) / (ev[EV(lev, 0)] + ev[EV(lev, 1)] + 2.0 * a);
}

/* Multinomial-logit channel choice against silence (MODEL_BRIEF s3). */
static tyndau_channel choose_channel(const tyndau_model *m, gsl_rng *r, size_t i, int day, double sev)
{
    const tyndau_params *p = &m->p;
    const tyndau_citizens *c = &m->c;
    uint8_t d = c->demo[i], a = c->aware[i];
    double skill = c->skill[i] / 255.0;
    double cov = m->coverage[day];
    double bc = belief_mean(m, c->evidence[i], LEV_CENTRAL), bl = belief_mean(m, c->evidence[i], LEV_LOCAL);
    double eff_mixed = p->local_share * bl + (1.0 - p->local_share) * bc;
    double eff_social = p->social_local_share * bl + (1.0 - p->social_local_share) * bc;
    double base = p->beta_severity * sev;
    double w[N_CHANNEL] = {1.0, 0, 0, 0, 0, 0};
    int date = p->start_date + day;
    if (DEMO_DIGITAL(d) == DIG_EGOV && AW_PLATFORM(a) == PA_KNOWS && cov > 0.0 && gsl_rng_uniform(r) < cov)
        w[CH_ONLINE] = exp(p->asc_online + base + p->beta_efficacy * (2 * eff_mixed - 1) - p->cost_skill * (1 - skill));
    double offline_cost = (DEMO_SETTLEMENT(d) == SET_RURAL ? p->cost_rural_travel : 0.0) +
                          (DEMO_AGE(d) == AGE_61P ? p->cost_61plus_travel : 0.0) - p->natizhe_saving * cov;
    w[CH_OFFLINE] = exp(p->asc_offline + base + p->beta_efficacy * (2 * eff_mixed - 1) - offline_cost);
    if (DEMO_DIGITAL(d) != DIG_NONE && date >= p->officials_social_date)
        w[CH_SOCIAL] = exp(p->asc_social + base + p->beta_efficacy * (2 * eff_social - 1) - p->cost_skill * (1 - skill));
    w[CH_PRESIDENT] = exp(p->asc_president + base + p->beta_efficacy * (2 * bc - 1));
    w[CH_INFORMAL] = exp(p->asc_informal + base + p->beta_efficacy * (2 * bl - 1) +
                         (DEMO_INCOME(d) == INC_HIGH ? p->informal_high_income : 0.0));
    double total = 0.0;
    for (int k = 0; k < N_CHANNEL; k++) total += w[k];
    double u = gsl_rng_uniform(r) * total;
    for (int k = 0; k < N_CHANNEL - 1; k++) {
        if (u < w[k]) return (tyndau_channel)k;
        u -= w[k];
    }
    return CH_INFORMAL;
}

static void event_problem(tyndau_model *m, gsl_rng *r, size_t b, size_t i, int day, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    int dom;
    if (c->problem[i] & PROB_RETRY) {
        dom = c->problem[i] & 7u; /* the same problem, raised again */
    } else {
        dom = (int)gsl_ran_discrete(r, m->domain_table);
        c->severity[i] = (uint8_t)(gsl_ran_beta(r, 2.0, 3.0) * 255.0);
    }
    c->problem[i] = (uint8_t)dom;
    int g[N_GTYPE];
    tyndau_groups_of(c->demo[i], c->region[i], g);
    for (int t = 0; t < N_GTYPE; t++) cnt->problems[g[t]][dom]++;
    tyndau_channel ch = choose_channel(m, r, i, day, c->severity[i] / 255.0);
    for (int t = 0; t < N_GTYPE; t++) cnt->choices[g[t]][ch]++;
    if (ch != CH_SILENCE) {
        int office = tyndau_office_for(m, ch, (tyndau_domain)dom, c->region[i], gsl_rng_uniform(r));
        tyndau_appeal ap = {(uint32_t)i, (uint16_t)day, (uint16_t)office, (uint8_t)ch, (uint8_t)dom,
                            c->demo[i], c->region[i], c->ties[i], c->severity[i]};
        if (tyndau_appealbuf_push(&m->block_appeals[b], ap) != 0) cnt->alloc_failed = 1;
        c->appeals[i] = sat_add(c->appeals[i], 1);
        /* a visit to a centre that has joined the system tells of the platform */
        if (ch == CH_OFFLINE && AW_PLATFORM(c->aware[i]) == PA_NONE && gsl_rng_uniform(r) < m->coverage[day]) {
            c->aware[i] = AW_MAKE(AW_CONCEPT(c->aware[i]), AW_CCHANNEL(c->aware[i]), PA_HEARD);
            c->news[i] |= NEWS_PLATFORM;
            schedule_tell(m, r, i, day);
        }
    }
    /* memoryless arrivals: the next problem is drawn afresh after any problem event */
    double rate = m->problem_rate[DEMO_INCOME(c->demo[i]) == INC_LOW][DEMO_SETTLEMENT(c->demo[i])]
                                 [DEMO_AGE(c->demo[i]) == AGE_61P];
    double t = rate > 0 ? (double)day + 1.0 + floor(gsl_ran_exponential(r, 1.0) / rate) : INFINITY;
    c->t_problem[i] = t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
    (void)p;
}

static void event_media(tyndau_model *m, gsl_rng *r, size_t i, int day)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    uint8_t a = c->aware[i];
    int cls = (DEMO_DIGITAL(c->demo[i]) != DIG_NONE) * N_AGE + (int)DEMO_AGE(c->demo[i]);
    const double *md = &m->media_day[(size_t)day * 4];
    double w[4], total = 0.0;
    for (int k = 0; k < 4; k++) total += (w[k] = md[k] * m->media_reach[cls][k]);
    int ch = CC_MONITORING;
    double u = gsl_rng_uniform(r) * total;
    for (int k = 0; k < 3; k++) {
        if (u < w[k]) {
            ch = k;
            break;
        }
        u -= w[k];
    }
    if (AW_CONCEPT(a) == CA_NONE) {
        c->aware[i] = AW_MAKE(CA_HEARD, ch, AW_PLATFORM(a));
        c->news[i] |= NEWS_CONCEPT;
        schedule_tell(m, r, i, day);
    } else if (AW_CONCEPT(a) == CA_HEARD && gsl_rng_uniform(r) < p->full_per_exposure) {
        c->aware[i] = AW_MAKE(CA_FULL, AW_CCHANNEL(a), AW_PLATFORM(a));
    }
    if (ch == CC_PRESIDENT && gsl_rng_uniform(r) < p->media_trust_central)
        c->evidence[i][EV(LEV_CENTRAL, 0)] = sat_add(c->evidence[i][EV(LEV_CENTRAL, 0)], 1);
    size_t n1 = (size_t)m->n_days + 1;
    c->t_media[i] = tyndau_next_from_table(m->lam_media + (size_t)cls * n1, m->n_days, day, gsl_ran_exponential(r, 1.0));
}

static void event_platform(tyndau_model *m, gsl_rng *r, size_t i, int day)
{
    tyndau_citizens *c = &m->c;
    uint8_t a = c->aware[i];
    if (AW_PLATFORM(a) == PA_NONE) {
        c->aware[i] = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_HEARD);
        c->news[i] |= NEWS_PLATFORM;
        schedule_tell(m, r, i, day);
    } else if (AW_PLATFORM(a) == PA_HEARD && DEMO_DIGITAL(c->demo[i]) != DIG_NONE &&
               gsl_rng_uniform(r) < m->p.platform_learn * (c->skill[i] / 255.0)) {
        c->aware[i] = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_KNOWS);
    }
    c->t_platform[i] = tyndau_next_from_table(m->lam_platform, m->n_days, day, gsl_ran_exponential(r, 1.0));
}

static void event_contact(tyndau_model *m, gsl_rng *r, size_t i, int day)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    if (gsl_rng_uniform(r) < p->contact_notice) {
        if (day <= m->survey_day && day > m->survey_day - 365) c->contacts[i] = sat_add(c->contacts[i], 1);
        int neg = gsl_rng_uniform(r) >= p->contact_positive;
        c->evidence[i][EV(LEV_LOCAL, neg)] = sat_add(c->evidence[i][EV(LEV_LOCAL, neg)], 1);
    }
    size_t n1 = (size_t)m->n_days + 1;
    int rural = DEMO_SETTLEMENT(c->demo[i]);
    c->t_contact[i] = tyndau_next_from_table(m->lam_contact + (size_t)rural * n1, m->n_days, day,
                                             gsl_ran_exponential(r, 1.0));
}

static void event_tell(tyndau_model *m, gsl_rng *r, size_t b, size_t i, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    int k = c->ties[i];
    for (int j = 0; j < k; j++) {
        if (gsl_rng_uniform(r) >= m->p.tell_prob) continue;
        size_t t = tyndau_tie(m, i, j);
        if (t == SIZE_MAX) continue;
        tyndau_msg msg = {(uint32_t)t, MSG_TOLD, c->news[i], c->aware[i], 0};
        if (tyndau_msgbuf_push(&m->block_out[b], msg) != 0) cnt->alloc_failed = 1;
        cnt->told++;
    }
    c->news[i] = 0;
    c->t_tell[i] = TYNDAU_NEVER;
}

static void receive(tyndau_model *m, gsl_rng *r, const tyndau_msg *msg, int day)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    size_t i = msg->target;
    uint8_t a = c->aware[i];
    if (msg->kind == MSG_TOLD) {
        uint8_t news = msg->payload;
        if ((news & NEWS_CONCEPT) && AW_CONCEPT(a) == CA_NONE && gsl_rng_uniform(r) < p->wom_concept) {
            int ch = gsl_rng_uniform(r) < p->wom_channel_inherit ? (int)AW_CCHANNEL(msg->aware) : CC_OTHER;
            a = AW_MAKE(CA_HEARD, ch, AW_PLATFORM(a));
            c->news[i] |= NEWS_CONCEPT;
            schedule_tell(m, r, i, day);
        }
        if ((news & NEWS_PLATFORM) && AW_PLATFORM(a) == PA_NONE && gsl_rng_uniform(r) < p->wom_platform) {
            a = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_HEARD);
            c->news[i] |= NEWS_PLATFORM;
            schedule_tell(m, r, i, day);
        }
        c->aware[i] = a;
        if (news & (NEWS_GOOD | NEWS_BAD)) {
            int lev = (news & NEWS_CENTRAL) ? LEV_CENTRAL : LEV_LOCAL;
            int neg = (news & NEWS_BAD) != 0;
            c->evidence[i][EV(lev, neg)] = sat_add(c->evidence[i][EV(lev, neg)], 1);
        }
        return;
    }
    /* MSG_OUTCOME: the citizen's own appeal was decided */
    tyndau_outcome o = (tyndau_outcome)msg->payload;
    int lev = msg->aware & 1u, dom = msg->aware >> 1;
    int good = o == OUT_RESOLVED;
    c->evidence[i][EV(lev, !good)] = sat_add(c->evidence[i][EV(lev, !good)], (unsigned)p->weight_own);
    if (o == OUT_BRIBE_PAID) c->bribes[i] = sat_add(c->bribes[i], 1);
    c->news[i] = (uint8_t)((c->news[i] & (NEWS_CONCEPT | NEWS_PLATFORM)) | (good ? NEWS_GOOD : NEWS_BAD) |
                           (lev == LEV_CENTRAL ? NEWS_CENTRAL : 0u));
    schedule_tell(m, r, i, day);
    if (o != OUT_RESOLVED && o != OUT_BRIBE_PAID && gsl_rng_uniform(r) < p->problem_persist) {
        c->problem[i] = (uint8_t)((unsigned)dom | PROB_RETRY);
        c->severity[i] = msg->extra;
        uint16_t t = after_delay(m, r, day, p->problem_persist_days);
        if (t < c->t_problem[i]) c->t_problem[i] = t;
    }
}

void tyndau_block_day(tyndau_model *m, size_t b, int day, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    gsl_rng *r = m->block_rng[b];
    for (size_t k = m->inbox_start[b]; k < m->inbox_start[b + 1]; k++) {
        const tyndau_msg *msg = &m->inbox[k];
        size_t i = msg->target;
        unsigned before = state_key(c, i);
        receive(m, r, msg, day);
        state_changed(c, i, before, cnt);
        reschedule(c, i);
    }
    cnt->messages += (int64_t)(m->inbox_start[b + 1] - m->inbox_start[b]);
    size_t i0 = b * TYNDAU_BLOCK, i1 = i0 + TYNDAU_BLOCK < c->n ? i0 + TYNDAU_BLOCK : c->n;
    const uint16_t today = (uint16_t)day;
    for (size_t i = i0; i < i1; i++) {
        if (c->next[i] != today) continue;
        unsigned before = state_key(c, i);
        if (c->t_contact[i] == today) event_contact(m, r, i, day);
        if (c->t_media[i] == today) event_media(m, r, i, day);
        if (c->t_platform[i] == today) event_platform(m, r, i, day);
        if (c->t_problem[i] == today) event_problem(m, r, b, i, day, cnt);
        if (c->t_tell[i] == today) event_tell(m, r, b, i, cnt);
        state_changed(c, i, before, cnt);
        reschedule(c, i);
    }
}
