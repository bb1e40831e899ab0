/*
 * citizen.c - one block of citizens on one day: delivered messages, then
 * each citizen whose next event is today, from the block's calendar (problems and channel choice,
 * mass media, platform news in the media and in the eGov portal, telling ties).
 *
 * Only this block's citizens are written, each drawing from its own random
 * stream (rng.h); what the block says to others (appeals, messages to ties)
 * goes into the block's own buffers.  Hence the day's result does not depend
 * on which thread runs which block.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

static uint8_t sat_add(uint8_t a, unsigned b)
{
    unsigned v = a + b;
    return (uint8_t)(v > 255 ? 255 : v);
}

/* The bytes the time-series state depends on: awareness and evidence. */
static uint64_t raw_state(const tyndau_citizen *c)
{
    uint32_t ev;
    memcpy(&ev, c->evidence, sizeof ev);
    return (uint64_t)c->aware << 32 | ev;
}

/* A citizen's state as a packed key of the four time-series categories. */
static unsigned key_of(uint64_t raw)
{
    uint8_t a = (uint8_t)(raw >> 32), ev[4];
    uint32_t e = (uint32_t)raw;
    memcpy(ev, &e, sizeof ev);
    return (unsigned)AW_CONCEPT(a) | (unsigned)AW_PLATFORM(a) << 2 |
           (unsigned)tyndau_belief_category(ev, LEV_CENTRAL) << 4 |
           (unsigned)tyndau_belief_category(ev, LEV_LOCAL) << 6;
}

/* Where each of the key's four 2-bit parts starts in a row of the state series. */
static const int state_offset[4] = {0, N_CONCEPT, N_CONCEPT + N_PLATFORM, N_CONCEPT + N_PLATFORM + N_BELIEF};
static const int state_size[4] = {N_CONCEPT, N_PLATFORM, N_BELIEF, N_BELIEF};

void tyndau_state_cells_add(tyndau_state_cells n, const tyndau_citizen *c)
{
    uint32_t(*cell)[4] = n[tyndau_fine_cell(c->demo, c->region)];
    cell[0][AW_CONCEPT(c->aware)]++;
    cell[1][AW_PLATFORM(c->aware)]++;
    cell[2][tyndau_belief_category(c->evidence, LEV_CENTRAL)]++;
    cell[3][tyndau_belief_category(c->evidence, LEV_LOCAL)]++;
}

void tyndau_state_cells_expand(const tyndau_state_cells n, int64_t state[][N_STATE_SERIES],
                               int64_t group_size[TYNDAU_N_GROUP])
{
    for (int cell = 0; cell < TYNDAU_N_FINE_CELL; cell++) {
        uint8_t demo, region;
        tyndau_fine_cell_demo(cell, &demo, &region);
        int g[N_GTYPE];
        tyndau_groups_of(demo, region, g);
        int64_t size = 0;
        for (int v = 0; v < 4; v++) size += n[cell][0][v];
        for (int t = 0; t < N_GTYPE; t++) {
            group_size[g[t]] += size;
            for (int part = 0; part < 4; part++)
                for (int v = 0; v < state_size[part]; v++) state[g[t]][state_offset[part] + v] += n[cell][part][v];
        }
    }
}

/* Record the change of citizen i's state from `before` (raw_state) to now (state_changed).
 * Most events change neither awareness nor evidence: they cost one comparison. */
static void state_moved(const tyndau_citizens *c, size_t i, uint64_t before, uint64_t now, tyndau_day_counts *cnt)
{
    unsigned kb = key_of(before), ka = key_of(now);
    if (ka == kb) return;
    int g[N_GTYPE];
    tyndau_groups_of(c->s[i].demo, c->s[i].region, g);
    for (int part = 0; part < 4; part++) { /* only the series that changed */
        int from = state_offset[part] + (int)(kb >> (2 * part) & 3u);
        int to = state_offset[part] + (int)(ka >> (2 * part) & 3u);
        if (from == to) continue;
        for (int t = 0; t < N_GTYPE; t++) {
            cnt->day.state[g[t]][from]--;
            cnt->day.state[g[t]][to]++;
        }
    }
}

static inline void state_changed(const tyndau_citizens *c, size_t i, uint64_t before, tyndau_day_counts *cnt)
{
    uint64_t now = raw_state(&c->s[i]);
    if (now != before) state_moved(c, i, before, now, cnt);
}

/* Day index `day + 1 + floor(Exp(mean))`, or NEVER past the end. */
static uint16_t after_delay(const tyndau_model *m, tyndau_ctr_state *r, int day, double mean)
{
    double t = (double)day + 1.0 + floor(mean * tyndau_zig_exp(&m->zig, r));
    return t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
}

static void schedule_tell(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    uint16_t t = after_delay(m, r, day, m->p.tell_delay);
    if (t < m->c.s[i].t_tell) m->c.s[i].t_tell = t;
}

/* Digital skill, with what a help centre makes up for those it serves. */
static double skill_of(const tyndau_params *p, uint8_t skill, int served)
{
    double s = skill / 255.0;
    if (p->help_skill > 0.0 && served) s += p->help_skill * (1.0 - s);
    return s;
}

static double belief_mean(const tyndau_params *p, unsigned pos, unsigned neg)
{
    double a = p->belief_prior;
    return (pos + a) / (pos + neg + 2.0 * a);
}

static double belief_factor_exp(const tyndau_params *p, double x, unsigned pos, unsigned neg)
{
    return exp(p->beta_efficacy * x * (2.0 * belief_mean(p, pos, neg) - 1.0));
}

void tyndau_choice_derived(tyndau_model *m)
{
    const tyndau_params *p = &m->p;
    tyndau_choice *t = &m->choice;
    m->tell_skip = -log1p(-p->tell_prob);
    t->x[BW_LOCAL] = p->local_share;
    t->x[BW_LOCAL_CENTRAL] = 1.0 - p->local_share;
    t->x[BW_SOCIAL] = p->social_local_share;
    t->x[BW_SOCIAL_CENTRAL] = 1.0 - p->social_local_share;
    t->x[BW_ONE] = 1.0;
    for (int k = 0; k < N_BW; k++)
        for (unsigned pos = 0; pos < BELIEF_TAB; pos++)
            for (unsigned neg = 0; neg < BELIEF_TAB; neg++) t->belief[k][pos][neg] = belief_factor_exp(p, t->x[k], pos, neg);
    for (int s = 0; s < 256; s++) {
        t->severity[s] = exp(p->beta_severity * (s / 255.0));
        for (int served = 0; served < 2; served++)
            t->skill[served][s] = exp(-p->cost_skill * (1.0 - skill_of(p, (uint8_t)s, served)));
    }
    t->online = exp(p->asc_online);
    t->social = exp(p->asc_social);
    t->president = exp(p->asc_president);
    for (int rural = 0; rural < 2; rural++)
        for (int old = 0; old < 2; old++)
            t->offline[rural][old] =
                exp(p->asc_offline - (rural ? p->cost_rural_travel : 0.0) - (old ? p->cost_61plus_travel : 0.0));
    t->informal[0] = exp(p->asc_informal);
    t->informal[1] = exp(p->asc_informal + p->informal_high_income);
}

/* The belief factor of weight k for evidence (pos, neg). */
static inline double belief_factor(const tyndau_model *m, int k, unsigned pos, unsigned neg)
{
    if (pos < BELIEF_TAB && neg < BELIEF_TAB) return m->choice.belief[k][pos][neg];
    return belief_factor_exp(&m->p, m->choice.x[k], pos, neg);
}

/* Multinomial-logit channel choice against silence (MODEL_BRIEF s3).  Each channel's weight
 * is exp(its utility), a product of tabulated factors (tyndau_choice): exp(asc and fixed
 * costs) x exp(beta_severity s) x the belief factors of its efficacy x exp(-skill cost). */
static tyndau_channel choose_channel(const tyndau_model *m, tyndau_ctr_state *r, size_t i, int day, uint8_t sev)
{
    const tyndau_params *p = &m->p;
    const tyndau_choice *t = &m->choice;
    const tyndau_citizen *c = &m->c.s[i];
    uint8_t d = c->demo, a = c->aware;
    int served = tyndau_help_target(d);
    double cov = m->coverage[day];
    unsigned pc = c->evidence[EV(LEV_CENTRAL, 0)], nc = c->evidence[EV(LEV_CENTRAL, 1)];
    unsigned pl = c->evidence[EV(LEV_LOCAL, 0)], nl = c->evidence[EV(LEV_LOCAL, 1)];
    double base = t->severity[sev];
    double mixed = belief_factor(m, BW_LOCAL, pl, nl) * belief_factor(m, BW_LOCAL_CENTRAL, pc, nc);
    double w[N_CHANNEL] = {1.0, 0, 0, 0, 0, 0};
    int date = p->start_date + day;
    /* online: a working eGov account and knowing the platform, or a help centre's staff for
       those it serves who have heard of the platform (help_access) */
    int online = DEMO_DIGITAL(d) == DIG_EGOV && AW_PLATFORM(a) == PA_KNOWS;
    if (!online && p->help_access > 0.0 && AW_PLATFORM(a) != PA_NONE && served)
        online = tyndau_ctr_uniform(r) < p->help_access;
    if (online && cov > 0.0 && tyndau_ctr_uniform(r) < cov) w[CH_ONLINE] = t->online * base * mixed * t->skill[served][c->skill];
    w[CH_OFFLINE] = t->offline[DEMO_SETTLEMENT(d) == SET_RURAL][DEMO_AGE(d) == AGE_61P] * m->offline_saving[day] * base * mixed;
    if (DEMO_DIGITAL(d) != DIG_NONE && date >= p->officials_social_date)
        w[CH_SOCIAL] = t->social * base * belief_factor(m, BW_SOCIAL, pl, nl) * belief_factor(m, BW_SOCIAL_CENTRAL, pc, nc) *
                       t->skill[served][c->skill];
    w[CH_PRESIDENT] = t->president * base * belief_factor(m, BW_ONE, pc, nc);
    /* informal: only for those who know someone who can push the case (offices.c) */
    if (tyndau_informal_available(m, i, c->ties))
        w[CH_INFORMAL] = t->informal[DEMO_INCOME(d) == INC_HIGH] * base * belief_factor(m, BW_ONE, pl, nl);
    double total = 0.0;
    for (int k = 0; k < N_CHANNEL; k++) total += w[k];
    double u = tyndau_ctr_uniform(r) * total;
    for (int k = 0; k < N_CHANNEL - 1; k++) {
        if (u < w[k]) return (tyndau_channel)k;
        u -= w[k];
    }
    return w[CH_INFORMAL] > 0.0 ? CH_INFORMAL : CH_OFFLINE; /* rounding never picks an unavailable route */
}

static void platform_news(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day);

/* A problem is voiced or not (channel choice) and, if voiced, becomes an appeal in
 * this block's buffer.  `retry`: the unresolved problem stored in the citizen
 * (domain in `problem`, `severity`) is raised again; otherwise a new problem of a
 * random domain and severity arises, and the next one is drawn. */
static void event_problem(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, int day, int retry,
                          tyndau_day_counts *cnt)
{
    tyndau_citizen *c = &m->c.s[i];
    int dom;
    uint8_t sev;
    if (retry) {
        dom = c->problem & PROBLEM_DOMAIN;
        sev = c->severity;
        c->t_retry = TYNDAU_NEVER;
        cnt->run.events[EVT_RETRY]++;
    } else {
        dom = (int)tyndau_ctr_discrete(r, m->domain_table);
        sev = (uint8_t)tyndau_ctr_discrete(r, m->severity_table);
        /* arrivals form a Bernoulli process per day (probability 1 - exp(-rate)) */
        double rate = m->problem_rate[DEMO_INCOME(c->demo) == INC_LOW][DEMO_SETTLEMENT(c->demo)]
                                     [DEMO_AGE(c->demo) == AGE_61P];
        double t = rate > 0 ? (double)day + 1.0 + floor(tyndau_zig_exp(&m->zig, r) / rate) : INFINITY;
        c->t_problem = t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
    }
    int g[N_GTYPE];
    tyndau_groups_of(c->demo, c->region, g);
    for (int t = 0; t < N_GTYPE; t++) cnt->day.problems[g[t]][dom]++;
    tyndau_channel ch = choose_channel(m, r, i, day, sev);
    for (int t = 0; t < N_GTYPE; t++) cnt->day.choices[g[t]][ch]++;
    if (ch == CH_SILENCE) return;
    int office = tyndau_office_for(m, ch, (tyndau_domain)dom, c->region, tyndau_ctr_uniform(r));
    tyndau_appeal ap = {(uint32_t)i, (uint16_t)day, (uint16_t)office, (uint8_t)ch, (uint8_t)dom,
                        c->demo, c->region, c->ties, sev, (uint16_t)r->pos};
    if (tyndau_appealbuf_push(&m->block_appeals[b], ap) != 0) cnt->alloc_failed = 1;
    c->appeals = sat_add(c->appeals, 1);
    /* a visit to a centre that has joined the system is news of the platform, and
     * its staff may show how to use it */
    if (ch == CH_OFFLINE && tyndau_ctr_uniform(r) < m->coverage[day]) platform_news(m, r, i, day);
}

static void event_media(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    uint8_t a = c->s[i].aware;
    int cls = tyndau_media_class(c->s[i].demo);
    double rt = tyndau_reception(m, &c->s[i]), rs = tyndau_reception_soc(m, &c->s[i]);
    const double *md = &m->media_day[(size_t)day * N_MEDIA_SOURCE];
    double w[N_MEDIA_SOURCE], total = 0.0;
    for (int k = 0; k < N_MEDIA_SOURCE; k++)
        total += (w[k] = md[k] * (m->reach_tv[cls][k] * rt + m->reach_soc[cls][k] * rs));
    int src = N_MEDIA_SOURCE - 1;
    double u = tyndau_ctr_uniform(r) * total;
    for (int k = 0; k < N_MEDIA_SOURCE - 1; k++) {
        if (u < w[k]) {
            src = k;
            break;
        }
        u -= w[k];
    }
    /* where the citizen heard of it: the targeted campaign counts as "other", the social-media
       one as officials' social media */
    int ch = src == MS_TARGETED ? CC_OTHER : src == MS_SOCIAL ? CC_OFFICIALS : src;
    if (AW_CONCEPT(a) == CA_NONE) {
        c->s[i].aware = AW_MAKE(CA_HEARD, ch, AW_PLATFORM(a));
        c->s[i].news |= NEWS_CONCEPT;
        schedule_tell(m, r, i, day);
    } else if (AW_CONCEPT(a) == CA_HEARD &&
               tyndau_ctr_uniform(r) < m->p_full[DEMO_AGE(c->s[i].demo)][DEMO_INCOME(c->s[i].demo)]) {
        c->s[i].aware = AW_MAKE(CA_FULL, AW_CCHANNEL(a), AW_PLATFORM(a));
    }
    if (ch == CC_PRESIDENT && !tyndau_disengaged(&c->s[i]) && tyndau_ctr_uniform(r) < p->media_trust_central)
        c->s[i].evidence[EV(LEV_CENTRAL, 0)] = sat_add(c->s[i].evidence[EV(LEV_CENTRAL, 0)], 1);
    /* the campaigns explain the platforms too */
    if (src >= MS_TARGETED) platform_news(m, r, i, day);
    /* the citizen's receptions scale its class's television and social-media rates: the next
       exposure is the inversion of the sum of the two cumulative intensities so scaled */
    c->s[i].t_media = tyndau_next_media(m, &c->s[i], day, tyndau_zig_exp(&m->zig, r));
}

/* News of the platforms: "heard of it" for those who had not, and, the first time
 * included, a chance (times digital skill) that an internet user learns to use it. */
static void platform_news(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    tyndau_citizen *c = &m->c.s[i];
    uint8_t a = c->aware;
    if (AW_PLATFORM(a) == PA_NONE) {
        a = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_HEARD);
        c->news |= NEWS_PLATFORM;
        schedule_tell(m, r, i, day);
    }
    if (AW_PLATFORM(a) == PA_HEARD && DEMO_DIGITAL(c->demo) != DIG_NONE &&
        tyndau_ctr_uniform(r) < m->p.platform_learn * skill_of(&m->p, c->skill, tyndau_help_target(c->demo)))
        a = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_KNOWS);
    c->aware = a;
}

/* News of the platforms in the mass media (television, news sites), at the citizen's reception. */
static void event_platform(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    platform_news(m, r, i, day);
    m->c.s[i].t_platform =
        tyndau_next_from_index(&m->iplatform, day, tyndau_zig_exp(&m->zig, r) / tyndau_reception(m, &m->c.s[i]));
}

/* A full eGov user meets E-Otinish inside the eGov portal (its services, SMS and app notices):
 * platform news, and, since the user is on the portal, a chance to learn how to use it each
 * time (learning by use of eGov services). */
static void event_portal(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    platform_news(m, r, i, day);
    m->c.s[i].t_portal = tyndau_next_from_index(&m->iportal, day, tyndau_zig_exp(&m->zig, r));
}

static void event_tell(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    int k = c->s[i].ties;
    uint64_t key = tyndau_tie_key(m, i);
    /* each tie is told with probability tell_prob: the ties passed over before the next one told
       are geometric, floor(E / -log(1 - tell_prob)) with E ~ Exp(1), one draw per tie told */
    for (int j = 0;; j++) {
        double skip = tyndau_zig_exp(&m->zig, r) / m->tell_skip;
        if (!(skip < (double)(k - j))) break;
        j += (int)skip;
        size_t t = tyndau_tie_of(m, i, key, j);
        if (t == SIZE_MAX) continue;
        tyndau_msg msg = {(uint32_t)t, MSG_TOLD, c->s[i].news, c->s[i].aware, 0};
        if (tyndau_msgbuf_push(&m->block_out[b], msg) != 0) cnt->alloc_failed = 1;
        cnt->run.told++;
    }
    c->s[i].news = 0;
    c->s[i].t_tell = TYNDAU_NEVER;
}

static void receive(tyndau_model *m, tyndau_ctr_state *r, const tyndau_msg *msg, int day)
{
    tyndau_citizens *c = &m->c;
    const tyndau_params *p = &m->p;
    size_t i = msg->target;
    uint8_t a = c->s[i].aware;
    if (msg->kind == MSG_TOLD) {
        uint8_t news = msg->payload;
        if ((news & NEWS_CONCEPT) && AW_CONCEPT(a) == CA_NONE && tyndau_ctr_uniform(r) < p->wom_concept) {
            int ch = tyndau_ctr_uniform(r) < p->wom_channel_inherit ? (int)AW_CCHANNEL(msg->aware) : CC_OTHER;
            a = AW_MAKE(CA_HEARD, ch, AW_PLATFORM(a));
            c->s[i].news |= NEWS_CONCEPT;
            schedule_tell(m, r, i, day);
        }
        if ((news & NEWS_PLATFORM) && AW_PLATFORM(a) == PA_NONE && tyndau_ctr_uniform(r) < p->wom_platform) {
            a = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_HEARD);
            c->s[i].news |= NEWS_PLATFORM;
            schedule_tell(m, r, i, day);
        }
        c->s[i].aware = a;
        if ((news & (NEWS_GOOD | NEWS_BAD)) && !tyndau_disengaged(&c->s[i])) { /* others' stories pass them by */
            int lev = (news & NEWS_CENTRAL) ? LEV_CENTRAL : LEV_LOCAL;
            int neg = (news & NEWS_BAD) != 0;
            c->s[i].evidence[EV(lev, neg)] = sat_add(c->s[i].evidence[EV(lev, neg)], 1);
        }
        return;
    }
    /* MSG_OUTCOME: the citizen's own appeal was decided */
    tyndau_outcome o = (tyndau_outcome)msg->payload;
    int lev = msg->aware & 1u, dom = msg->aware >> 1;
    int good = o == OUT_RESOLVED;
    c->s[i].evidence[EV(lev, !good)] = sat_add(c->s[i].evidence[EV(lev, !good)], (unsigned)p->weight_own);
    if (o == OUT_BRIBE_PAID) c->s[i].bribes = sat_add(c->s[i].bribes, 1);
    c->s[i].problem |= tyndau_anchor_bits(m, day - 1, o); /* decided yesterday: messages take a day */
    c->s[i].news = (uint8_t)((c->s[i].news & (NEWS_CONCEPT | NEWS_PLATFORM)) | (good ? NEWS_GOOD : NEWS_BAD) |
                           (lev == LEV_CENTRAL ? NEWS_CENTRAL : 0u));
    schedule_tell(m, r, i, day);
    if (o != OUT_RESOLVED && o != OUT_BRIBE_PAID && tyndau_ctr_uniform(r) < p->problem_persist) {
        /* the problem will be raised again (a pending one is replaced by this newer one) */
        c->s[i].problem = (uint8_t)((c->s[i].problem & ~PROBLEM_DOMAIN) | (unsigned)dom);
        c->s[i].severity = msg->extra;
        c->s[i].t_retry = after_delay(m, r, day, p->problem_persist_days);
    }
}

static void citizen_day(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, int day, tyndau_day_counts *cnt);

/* A block's day touches records in orders known in advance, the inbox's targets and the due
 * citizens: each is fetched this many records ahead in its list, so that the memory latency
 * of one overlaps the work on the ones before it, and both lists' first ones at once.
 * (Written as plain loops: GCC 12 dropped the prefetches of one helper serving both lists.) */
#define PREFETCH_AHEAD 8

void tyndau_block_day(tyndau_model *m, size_t b, int day, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    tyndau_calendar *cal = &m->cal[b];
    tyndau_ctr_state stream, *r = &stream; /* pointed at each citizen's stream in turn */
    size_t i0 = b * TYNDAU_BLOCK, i1 = i0 + TYNDAU_BLOCK < c->n ? i0 + TYNDAU_BLOCK : c->n;
    int failed = 0;
    if (day % TYNDAU_WINDOW == 0) failed |= tyndau_calendar_fill(cal, c->s + i0, i1 - i0, day);
    const tyndau_msg *in = m->inbox + m->inbox_start[b];
    size_t n_in = m->inbox_start[b + 1] - m->inbox_start[b];
    /* today's citizens (about 1 in 150 has an event on a given day); messages schedule events
       from tomorrow on, so they leave today's list as it is (they may make an entry stale) */
    uint16_t due[TYNDAU_BLOCK];
    size_t n_due = tyndau_calendar_take(cal, day, due);
    for (size_t k = 0; k < PREFETCH_AHEAD && k < n_in; k++) __builtin_prefetch(&c->s[in[k].target]);
    for (size_t k = 0; k < PREFETCH_AHEAD && k < n_due; k++) __builtin_prefetch(&c->s[i0 + due[k]]);
    for (size_t k = 0; k < n_in; k++) {
        if (k + PREFETCH_AHEAD < n_in) __builtin_prefetch(&c->s[in[k + PREFETCH_AHEAD].target]);
        size_t i = in[k].target;
        uint16_t was = tyndau_next_day(&c->s[i]);
        uint64_t before = raw_state(&c->s[i]);
        tyndau_citizen_rng(m, r, i);
        receive(m, r, &in[k], day);
        tyndau_citizen_rng_done(m, r, i);
        state_changed(c, i, before, cnt);
        uint16_t nx = tyndau_next_day(&c->s[i]);
        if (nx != was) failed |= tyndau_calendar_enter(cal, (uint16_t)(i - i0), nx, day);
    }
    cnt->run.events[EVT_MESSAGE] += (int64_t)n_in;
    for (size_t k = 0; k < n_due; k++) {
        if (k + PREFETCH_AHEAD < n_due) __builtin_prefetch(&c->s[i0 + due[k + PREFETCH_AHEAD]]);
        size_t i = i0 + due[k];
        if (tyndau_next_day(&c->s[i]) != day) continue; /* moved since it was entered */
        citizen_day(m, r, b, i, day, cnt);
        failed |= tyndau_calendar_enter(cal, due[k], tyndau_next_day(&c->s[i]), day);
    }
    if (failed) cnt->alloc_failed = 1;
}

static void citizen_day(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, int day, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    const uint16_t today = (uint16_t)day;
    uint64_t before = raw_state(&c->s[i]);
    tyndau_citizen_rng(m, r, i);
    int64_t *ev = cnt->run.events;
    if (c->s[i].t_media == today) event_media(m, r, i, day), ev[EVT_MEDIA]++;
    if (c->s[i].t_platform == today) event_platform(m, r, i, day), ev[EVT_PLATFORM]++;
    if (c->s[i].t_portal == today) event_portal(m, r, i, day), ev[EVT_PORTAL]++;
    if (c->s[i].t_problem == today) event_problem(m, r, b, i, day, 0, cnt), ev[EVT_PROBLEM]++;
    if (c->s[i].t_retry == today) event_problem(m, r, b, i, day, 1, cnt);
    if (c->s[i].t_tell == today) event_tell(m, r, b, i, cnt), ev[EVT_TELL]++;
    tyndau_citizen_rng_done(m, r, i);
    state_changed(c, i, before, cnt);
}
