/*
 * citizen.c - one block of citizens on one day: delivered messages, then
 * each citizen whose next event is today (problems and channel choice,
 * mass media, platform news in the media and in the eGov portal, telling ties).
 *
 * Only this block's citizens are written, each drawing from its own random
 * stream (rng.h); what the block says to others (appeals, messages to ties)
 * goes into the block's own buffers.  Hence the day's result does not depend
 * on which thread runs which block.
 */
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"
#include "sample.h"

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

void tyndau_state_count(const tyndau_model *m, size_t i, int64_t state[][N_STATE_SERIES])
{
    const tyndau_citizen *c = &m->c.s[i];
    unsigned key = key_of(raw_state(c));
    int g[N_GTYPE];
    tyndau_groups_of(c->demo, c->region, g);
    for (int part = 0; part < 4; part++)
        for (int t = 0; t < N_GTYPE; t++) state[g[t]][state_offset[part] + (int)(key >> (2 * part) & 3u)]++;
}

/* Record the change of citizen i's state from `before` (raw_state) to now.  Most
 * events change neither awareness nor evidence: they cost one comparison. */
static void state_changed(const tyndau_citizens *c, size_t i, uint64_t before, tyndau_day_counts *cnt)
{
    uint64_t now = raw_state(&c->s[i]);
    if (now == before) return;
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

static void reschedule(tyndau_citizens *c, size_t i)
{
    uint16_t nx = c->s[i].t_problem;
    if (c->s[i].t_media < nx) nx = c->s[i].t_media;
    if (c->s[i].t_platform < nx) nx = c->s[i].t_platform;
    if (c->s[i].t_portal < nx) nx = c->s[i].t_portal;
    if (c->s[i].t_tell < nx) nx = c->s[i].t_tell;
    if (c->s[i].t_retry < nx) nx = c->s[i].t_retry;
    c->next[i] = nx;
}

/* Day index `day + 1 + floor(Exp(mean))`, or NEVER past the end. */
static uint16_t after_delay(const tyndau_model *m, tyndau_ctr_state *r, int day, double mean)
{
    double t = (double)day + 1.0 + floor(tyndau_ctr_exponential(r, mean));
    return t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
}

static void schedule_tell(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    uint16_t t = after_delay(m, r, day, m->p.tell_delay);
    if (t < m->c.s[i].t_tell) m->c.s[i].t_tell = t;
}

/* Digital skill, with what a help centre makes up for those it serves. */
static double skill_of(const tyndau_model *m, const tyndau_citizen *c)
{
    double s = c->skill / 255.0;
    if (m->p.help_skill > 0.0 && tyndau_help_target(c->demo)) s += m->p.help_skill * (1.0 - s);
    return s;
}

static double belief_mean(const tyndau_model *m, const uint8_t ev[4], tyndau_level lev)
{
    double a = m->p.belief_prior;
    return (ev[EV(lev, 0)] + a) / (ev[EV(lev, 0)] + ev[EV(lev, 1)] + 2.0 * a);
}

/* Multinomial-logit channel choice against silence (MODEL_BRIEF s3). */
static tyndau_channel choose_channel(const tyndau_model *m, tyndau_ctr_state *r, size_t i, int day, double sev)
{
    const tyndau_params *p = &m->p;
    const tyndau_citizens *c = &m->c;
    uint8_t d = c->s[i].demo, a = c->s[i].aware;
    double skill = skill_of(m, &c->s[i]);
    double cov = m->coverage[day];
    double bc = belief_mean(m, c->s[i].evidence, LEV_CENTRAL), bl = belief_mean(m, c->s[i].evidence, LEV_LOCAL);
    double eff_mixed = p->local_share * bl + (1.0 - p->local_share) * bc;
    double eff_social = p->social_local_share * bl + (1.0 - p->social_local_share) * bc;
    double base = p->beta_severity * sev;
    double w[N_CHANNEL] = {1.0, 0, 0, 0, 0, 0};
    int date = p->start_date + day;
    /* online: a working eGov account and knowing the platform, or a help centre's staff for
       those it serves who have heard of the platform (help_access) */
    int online = DEMO_DIGITAL(d) == DIG_EGOV && AW_PLATFORM(a) == PA_KNOWS;
    if (!online && p->help_access > 0.0 && AW_PLATFORM(a) != PA_NONE && tyndau_help_target(d))
        online = tyndau_ctr_uniform(r) < p->help_access;
    if (online && cov > 0.0 && tyndau_ctr_uniform(r) < cov)
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
    double u = tyndau_ctr_uniform(r) * total;
    for (int k = 0; k < N_CHANNEL - 1; k++) {
        if (u < w[k]) return (tyndau_channel)k;
        u -= w[k];
    }
    return CH_INFORMAL;
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
        dom = (int)PROBLEM_DOMAIN(c->problem);
        sev = c->severity;
        c->t_retry = TYNDAU_NEVER;
        cnt->run.events[EVT_RETRY]++;
    } else {
        dom = (int)tyndau_ctr_discrete(r, m->domain_table);
        sev = (uint8_t)tyndau_ctr_discrete(r, m->severity_table);
        /* arrivals form a Bernoulli process per day (probability 1 - exp(-rate)) */
        double rate = m->problem_rate[DEMO_INCOME(c->demo) == INC_LOW][DEMO_SETTLEMENT(c->demo)]
                                     [DEMO_AGE(c->demo) == AGE_61P];
        double t = rate > 0 ? (double)day + 1.0 + floor(tyndau_ctr_exponential(r, 1.0) / rate) : INFINITY;
        c->t_problem = t < (double)m->n_days ? (uint16_t)t : TYNDAU_NEVER;
    }
    int g[N_GTYPE];
    tyndau_groups_of(c->demo, c->region, g);
    for (int t = 0; t < N_GTYPE; t++) cnt->day.problems[g[t]][dom]++;
    tyndau_channel ch = choose_channel(m, r, i, day, sev / 255.0);
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
    double rec = tyndau_reception(m, &c->s[i]);
    const double *md = &m->media_day[(size_t)day * N_MEDIA_SOURCE];
    double w[N_MEDIA_SOURCE], total = 0.0;
    for (int k = 0; k < N_MEDIA_SOURCE; k++) total += (w[k] = md[k] * m->media_reach[cls][k]);
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
    size_t n1 = (size_t)m->n_days + 1;
    /* reception scales the citizen's exposure rate: the next exposure is the inversion of its
       cumulative intensity times `rec` */
    c->s[i].t_media = tyndau_next_from_table(m->lam_media + (size_t)cls * n1, m->n_days, day,
                                             tyndau_ctr_exponential(r, 1.0) / rec);
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
        tyndau_ctr_uniform(r) < m->p.platform_learn * skill_of(m, c))
        a = AW_MAKE(AW_CONCEPT(a), AW_CCHANNEL(a), PA_KNOWS);
    c->aware = a;
}

/* News of the platforms in the mass media (television, news sites), at the citizen's reception. */
static void event_platform(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    platform_news(m, r, i, day);
    m->c.s[i].t_platform = tyndau_next_from_table(m->lam_platform, m->n_days, day,
                                                  tyndau_ctr_exponential(r, 1.0) / tyndau_reception(m, &m->c.s[i]));
}

/* A full eGov user meets E-Otinish inside the eGov portal (its services, SMS and app notices):
 * platform news, and, since the user is on the portal, a chance to learn how to use it each
 * time (learning by use of eGov services). */
static void event_portal(tyndau_model *m, tyndau_ctr_state *r, size_t i, int day)
{
    platform_news(m, r, i, day);
    m->c.s[i].t_portal = tyndau_next_from_table(m->lam_portal, m->n_days, day, tyndau_ctr_exponential(r, 1.0));
}

static void event_tell(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    int k = c->s[i].ties;
    for (int j = 0; j < k; j++) {
        if (tyndau_ctr_uniform(r) >= m->p.tell_prob) continue;
        size_t t = tyndau_tie(m, i, j);
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
            c->s[i].flags |= FL_STORY; /* second-hand experience of appeal handling */
        }
        return;
    }
    /* MSG_OUTCOME: the citizen's own appeal was decided */
    tyndau_outcome o = (tyndau_outcome)msg->payload;
    int lev = msg->aware & 1u, dom = msg->aware >> 1;
    int good = o == OUT_RESOLVED;
    c->s[i].evidence[EV(lev, !good)] = sat_add(c->s[i].evidence[EV(lev, !good)], (unsigned)p->weight_own);
    if (o == OUT_BRIBE_PAID) c->s[i].bribes = sat_add(c->s[i].bribes, 1);
    c->s[i].news = (uint8_t)((c->s[i].news & (NEWS_CONCEPT | NEWS_PLATFORM)) | (good ? NEWS_GOOD : NEWS_BAD) |
                           (lev == LEV_CENTRAL ? NEWS_CENTRAL : 0u));
    schedule_tell(m, r, i, day);
    if (o != OUT_RESOLVED && o != OUT_BRIBE_PAID && tyndau_ctr_uniform(r) < p->problem_persist) {
        /* the problem will be raised again (a pending one is replaced by this newer one) */
        c->s[i].problem = (uint8_t)((c->s[i].problem & ~7u) | (unsigned)dom);
        c->s[i].severity = msg->extra;
        c->s[i].t_retry = after_delay(m, r, day, p->problem_persist_days);
    }
}

static void citizen_day(tyndau_model *m, tyndau_ctr_state *r, size_t b, size_t i, int day, tyndau_day_counts *cnt);

/* Bit k set when next[k] == today, for k < n <= 32. */
static inline uint32_t due_mask(const uint16_t *next, int n, uint16_t today)
{
#ifdef __SSE2__
    if (n == 32) {
        __m128i t = _mm_set1_epi16((short)today);
        __m128i a = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)next), t);
        __m128i b = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)(next + 8)), t);
        __m128i c = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)(next + 16)), t);
        __m128i d = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(const void *)(next + 24)), t);
        uint32_t lo = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(a, b));
        uint32_t hi = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(c, d));
        return lo | hi << 16;
    }
#endif
    uint32_t mask = 0;
    for (int k = 0; k < n; k++) mask |= (uint32_t)(next[k] == today) << k;
    return mask;
}

void tyndau_block_day(tyndau_model *m, size_t b, int day, tyndau_day_counts *cnt)
{
    tyndau_citizens *c = &m->c;
    tyndau_ctr_state stream, *r = &stream; /* pointed at each citizen's stream in turn */
    for (size_t k = m->inbox_start[b]; k < m->inbox_start[b + 1]; k++) {
        const tyndau_msg *msg = &m->inbox[k];
        size_t i = msg->target;
        uint64_t before = raw_state(&c->s[i]);
        tyndau_citizen_rng(m, r, i);
        receive(m, r, msg, day);
        tyndau_citizen_rng_done(m, r, i);
        state_changed(c, i, before, cnt);
        reschedule(c, i);
    }
    cnt->run.events[EVT_MESSAGE] += (int64_t)(m->inbox_start[b + 1] - m->inbox_start[b]);
    size_t i0 = b * TYNDAU_BLOCK, i1 = i0 + TYNDAU_BLOCK < c->n ? i0 + TYNDAU_BLOCK : c->n;
    /* Most citizens have nothing today (about 1 in 100 has): find the ones that do
     * 32 at a time with a bit mask, then visit only those. */
    for (size_t j = i0; j < i1; j += 32) {
        uint32_t mask = due_mask(c->next + j, j + 32 <= i1 ? 32 : (int)(i1 - j), (uint16_t)day);
        while (mask) {
            int k = __builtin_ctz(mask);
            mask &= mask - 1;
            citizen_day(m, r, b, j + (size_t)k, day, cnt);
        }
    }
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
    reschedule(c, i);
}
