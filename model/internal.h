/*
 * internal.h - the model's state, shared by the library's modules only.
 *
 * Citizens are stored as an array of 32-byte records, sorted by (region, settlement) cell so that ties (implicit, see ties.c) and blocks stay local.
 * Citizens are cut into fixed blocks of TYNDAU_BLOCK; a block is the unit of
 * parallel work and owns one RNG stream, so results do not depend on how
 * blocks are shared among threads.
 *
 * Time is an integer day index from start_date; TYNDAU_NEVER marks an event
 * that is not scheduled.  A citizen's next event day is the minimum of its pending
 * event days (t_problem, t_media, t_platform, t_portal, t_tell, t_retry,
 * tyndau_next_day); the daily loop visits exactly the citizens whose next event is
 * today, found through each block's calendar (calendar.c).
 */
#ifndef TYNDAU_INTERNAL_H
#define TYNDAU_INTERNAL_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <signal.h>
#include <stdint.h>

#include "rng.h"
#include "sample.h"
#include "tyndau.h"

#define TYNDAU_BLOCK 4096 /* at most 65536: a calendar entry is a uint16 index within the block */
#define TYNDAU_WINDOW 64  /* days a block's calendar covers at a time (calendar.c) */
#define TYNDAU_NEVER UINT16_MAX
#define TYNDAU_WAIT_MAX 400 /* time-to-answer histogram: days 0..WAIT_MAX-1, last bin open */
#define TYNDAU_COUNT_MAX 32 /* appeals / bribes per citizen histogram: 0..COUNT_MAX-1, last bin open */
#define TYNDAU_PREP_MAX 512 /* preparation times 0..PREP_MAX-1 working days (the tail beyond is put on the last) */

/* demo byte: age(2) | income(2)<<2 | settlement(1)<<4 | sex(1)<<5 | digital(2)<<6 */
#define DEMO_AGE(d) ((tyndau_age)((d)&3u))
#define DEMO_INCOME(d) ((tyndau_income)(((d) >> 2) & 3u))
#define DEMO_SETTLEMENT(d) ((tyndau_settlement)(((d) >> 4) & 1u))
#define DEMO_SEX(d) ((tyndau_sex)(((d) >> 5) & 1u))
#define DEMO_DIGITAL(d) ((tyndau_digital)(((d) >> 6) & 3u))
/* aware byte: concept(2) | cchannel(3)<<2 | platform(2)<<5 */
#define AW_CONCEPT(a) ((tyndau_concept)((a)&3u))
#define AW_CCHANNEL(a) ((tyndau_cchannel)(((a) >> 2) & 7u))
#define AW_PLATFORM(a) ((tyndau_platform)(((a) >> 5) & 3u))
#define AW_MAKE(c, ch, p) ((uint8_t)((unsigned)(c) | ((unsigned)(ch) << 2) | ((unsigned)(p) << 5)))
/* news byte: what a citizen will tell its ties at its next tell event */
#define NEWS_CONCEPT 0x01u
#define NEWS_PLATFORM 0x02u
#define NEWS_GOOD 0x04u    /* an own appeal was resolved */
#define NEWS_BAD 0x08u     /* an own appeal was not */
#define NEWS_CENTRAL 0x10u /* the outcome's level: central if set, else local */

/* flags byte: disengaged(1) | education(2)<<1; the rest unused */
#define FL_DISENGAGED 0x01u /* pays no attention to public affairs (fixed at creation) */
#define FL_EDU(f) ((tyndau_edu)(((f) >> 1) & 3u))
/* problem byte: the domain of the problem to raise again in its low 3 bits (PROBLEM_DOMAIN);
 * the two high bits are the secondary anchors' record of the anchor year (anchors.h): */
#define PROBLEM_DOMAIN 0x07u
#define PROBLEM_ANCHOR_DECIDED 0x40u /* an own appeal was decided in the anchor year */
#define PROBLEM_ANCHOR_BRIBE 0x80u   /* ... and a bribe was demanded in one of them (paid or not) */
/* strata of a cell: age, income, education (this order, education fastest) */
#define N_STRATUM (N_AGE * N_INCOME * N_EDU)
#define STRATUM(age, income, edu) (((int)(age)*N_INCOME + (int)(income)) * N_EDU + (int)(edu))

/* evidence index: [level*2 + 0] positive, [level*2 + 1] negative */
#define EV(level, neg) ((level)*2 + (neg))

/* One citizen's state: 32 bytes, so that the events of one citizen touch one
 * cache line (fields of a random citizen are read together when messages arrive). */
typedef struct {
    uint8_t demo, region, skill, ties; /* fixed at creation */
    uint8_t aware, news;
    uint8_t problem, severity; /* the unresolved problem to raise again at t_retry: domain, severity */
    uint8_t evidence[4];
    uint8_t attention; /* quantile bucket (0..255) of the citizen's political involvement beyond its
                          group's mean (fixed at creation); sets its reception of mass media */
    uint8_t appeals, bribes;
    uint8_t flags; /* FL_*: disengaged, education, second-hand appeal experience */
    uint16_t t_problem, t_media, t_platform, t_portal, t_tell, t_retry;
    uint32_t draws; /* position in the citizen's random stream (rng.h) */
} tyndau_citizen;
_Static_assert(sizeof(tyndau_citizen) == 32, "a citizen is half a cache line");

typedef struct {
    size_t n;
    tyndau_citizen *s; /* 64-byte aligned */
} tyndau_citizens;

/* A citizen's next event day: the least of its t_*. */
static inline uint16_t tyndau_next_day(const tyndau_citizen *c)
{
    uint16_t nx = c->t_problem;
    if (c->t_media < nx) nx = c->t_media;
    if (c->t_platform < nx) nx = c->t_platform;
    if (c->t_portal < nx) nx = c->t_portal;
    if (c->t_tell < nx) nx = c->t_tell;
    if (c->t_retry < nx) nx = c->t_retry;
    return nx;
}

/* The citizens of one block (indices within it) entered on one day of the calendar. */
typedef struct {
    uint16_t *v;
    uint32_t n, cap;
} tyndau_duelist;

/* A block's calendar: the days of the current window (calendar.c). */
typedef struct {
    tyndau_duelist day[TYNDAU_WINDOW];
} tyndau_calendar;

/* An appeal waiting in an office queue; carries the complainant's fixed traits so
 * office threads never read citizen state that changes. */
typedef struct {
    uint32_t citizen;
    uint16_t day, office;
    uint8_t channel, domain, demo, region, ties;
    uint8_t severity;
    uint16_t seq; /* the complainant's stream position when it appealed: with citizen
                     and day, the key of the appeal's own stream (rng.h) */
} tyndau_appeal;

/* A message delivered to a citizen at the start of the next day. */
enum { MSG_TOLD, MSG_OUTCOME };
typedef struct {
    uint32_t target;
    uint8_t kind;    /* MSG_* */
    uint8_t payload; /* TOLD: teller's news byte; OUTCOME: outcome */
    uint8_t aware;   /* TOLD: teller's aware byte; OUTCOME: level | domain << 1 */
    uint8_t extra;   /* OUTCOME: severity */
} tyndau_msg;

typedef struct {
    tyndau_msg *v;
    size_t n, cap;
} tyndau_msgbuf;

typedef struct {
    tyndau_appeal *v;
    size_t n, cap;
} tyndau_appealbuf;

typedef struct {
    float corruption, resistance, favouritism, sensitivity;
} tyndau_bureaucrat;

/* A case an office has registered: the appeal, the outcome its bureaucrat decided at
 * registration, and when it can be answered (docs/ODD.md 7.4).  Working days are
 * numbered as m->wd (W(d)); TYNDAU_NEVER as `due` means no deadline (informal). */
enum {
    CASE_INFORMAL = 1,   /* through an acquaintance: no deadline, served first */
    CASE_LAPSED = 2,     /* let lapse: reported at its deadline, never answered */
    CASE_UNPREPARED = 4, /* its preparation outlasts its deadline: leaves the calendar on the deadline day */
    CASE_EXTENDED = 8    /* its deadline was extended (APPC art. 76) */
};
typedef struct {
    tyndau_appeal a;
    uint32_t seq;  /* registration order at the office: cases of one calendar day keep it */
    uint32_t bur;  /* the bureaucrat it is assigned to */
    uint16_t key;  /* the working day it leaves the calendar (ready, or its deadline) */
    uint16_t due;  /* the last working day of its deadline */
    uint8_t out;   /* tyndau_outcome decided at registration */
    uint8_t flags; /* CASE_* */
} tyndau_case;

/* First in, first out ring of cases. */
typedef struct {
    tyndau_case *v;
    size_t head, n, cap;
} tyndau_caseq;

enum { Q_PRIORITY, Q_NORMAL, N_QUEUE }; /* an acquaintance's cases are served first */

typedef struct {
    tyndau_level level;
    int domain; /* -1 for the President's office */
    int region; /* -1 for central offices */
    double staff;       /* appeal handlers represented (national scale) */
    double capacity;    /* cases per working day at the model's scale */
    double credit;      /* unused capacity in cases: its fraction always, up to capacity_bank_days of it */
    int n_bureaucrats;
    tyndau_bureaucrat *bur;
    tyndau_appealbuf in;  /* received since its last working day, not yet registered */
    tyndau_case *cal;     /* calendar of cases not yet ready: a binary min-heap by (key, seq) */
    size_t cal_n, cal_cap;
    tyndau_caseq ready[N_QUEUE]; /* ready cases waiting for capacity */
    uint16_t min_due;           /* at most the least deadline in ready[Q_NORMAL] */
    uint32_t seq;               /* cases registered so far */
    double vis_sum, vis_n;      /* favouritism budget: sums of p v and p over the cases that reached the merits
                                   (p their resolution probability without favouritism), decayed by working day */
    gsl_rng *rng;             /* counter-based: pointed at each appeal's stream */
    uint64_t key;             /* key of this office's appeal streams */
    tyndau_msgbuf out;        /* outcome messages of today */
    tyndau_appealbuf escalate; /* today's social-media cases passed up to the ministry */
    /* statistics */
    uint64_t received, processed, by_outcome[N_OUTCOME], wait_sum, max_queue, escalated;
    uint64_t extended, by_decision[N_DECISION];
} tyndau_office;

/* Per-thread counters.  `day` is summed into the model's series after each day and
 * cleared; `run` (whole-run distributions) is summed once, at the end.  Integer sums
 * do not depend on the order of addition, hence not on the threads. */
#define N_STATE_SERIES (N_CONCEPT + N_PLATFORM + 2 * N_BELIEF)
typedef struct {
    struct {
        int64_t problems[TYNDAU_N_GROUP][N_DOMAIN];
        int64_t choices[TYNDAU_N_GROUP][N_CHANNEL];
        int64_t outcomes[TYNDAU_N_GROUP][N_OUTCOME];
        int64_t state[TYNDAU_N_GROUP][N_STATE_SERIES]; /* changes of state counts */
        int64_t decided[N_LEVEL][N_CHANNEL][N_OUTCOME]; /* cases decided by offices */
    } day;
    struct {
        int64_t outcome_channel[N_CHANNEL][N_OUTCOME];
        int64_t wait[N_CHANNEL][TYNDAU_WAIT_MAX];
        int64_t wait_group[TYNDAU_N_GROUP][TYNDAU_WAIT_MAX]; /* days to an answer, by complainant's group */
        int64_t resolve_wait[N_CHANNEL][TYNDAU_WAIT_MAX];    /* days to a resolution (resolved, bribe paid) */
        int64_t outcome_group_channel[TYNDAU_N_GROUP][N_CHANNEL][N_OUTCOME];
        int64_t answer_wd[N_CHANNEL][N_OUTCOME][TYNDAU_ANSWER_WD_MAX]; /* working days to a decision */
        int64_t answer_wd_year[N_CHANNEL][TYNDAU_ANSWER_WD_MAX];       /* the same, decided in the anchor year */
        int64_t decisions[N_CHANNEL][N_DECISION], decisions_year[N_CHANNEL][N_DECISION];
        int64_t told, escalated;
        int64_t events[N_EVENT]; /* what the day loop handled (EVT_CASE: from the offices' totals) */
        int64_t group_size[TYNDAU_N_GROUP]; /* used once, at creation */
    } run;
    int alloc_failed; /* a buffer could not grow */
} tyndau_day_counts;

/* Sources of news of the concept: the four reform channels (tyndau_cchannel order),
 * then the two policy campaigns (targeted; social media). */
enum { MS_TARGETED = CC_OTHER, MS_SOCIAL, N_MEDIA_SOURCE };
/* Media classes: internet user, age band, low income. */
#define N_MEDIA_CLASS (2 * N_AGE * 2)
static inline int tyndau_media_class(uint8_t demo)
{
    return ((DEMO_DIGITAL(demo) != DIG_NONE) * N_AGE + (int)DEMO_AGE(demo)) * 2 + (DEMO_INCOME(demo) == INC_LOW);
}
/* Served by help centres: rural, 61+ or low income. */
static inline int tyndau_help_target(uint8_t demo)
{
    return DEMO_SETTLEMENT(demo) == SET_RURAL || DEMO_AGE(demo) == AGE_61P || DEMO_INCOME(demo) == INC_LOW;
}

/* A cumulative intensity table L[0..n_days] with a direct index over its values, for the
 * inversion that draws an event's next day (schedule.c). */
typedef struct {
    const double *lam;
    int n_days, n_bucket;
    double scale;    /* buckets per unit of L */
    uint16_t *start; /* [n_bucket + 2]; NULL when L is 0 throughout */
} tyndau_intensity;

/* Channel choice (citizen.c): the exp() of each utility as a product of factors tabulated from
 * today's parameters (tyndau_choice_derived), so that a choice multiplies a few table entries
 * instead of calling exp() five times.  A belief factor is exp(beta_efficacy x (2 b - 1)) for the
 * belief b = (pos + a) / (pos + neg + 2a) of one level and the weight x that level has in the
 * channel's efficacy (docs/ODD.md 7.2); evidence counts beyond the table call exp(). */
#define BELIEF_TAB 32
enum { BW_LOCAL, BW_LOCAL_CENTRAL, BW_SOCIAL, BW_SOCIAL_CENTRAL, BW_ONE, N_BW };
typedef struct {
    double x[N_BW]; /* local_share, 1 - local_share, social_local_share, 1 - ..., 1 */
    double belief[N_BW][BELIEF_TAB][BELIEF_TAB]; /* [weight][pos][neg] */
    double severity[256];  /* exp(beta_severity s), s = severity byte / 255 */
    double skill[2][256];  /* exp(-cost_skill (1 - skill)), [served by a help centre][skill byte] */
    double online, social, president; /* exp(asc_*) */
    double offline[2][2];             /* exp(asc_offline - travel costs), [rural][61+] */
    double informal[2];               /* exp(asc_informal (+ informal_high_income)), [high income] */
} tyndau_choice;

struct tyndau_model {
    tyndau_params p0; /* as given: values on start_date and the dated changes */
    tyndau_params p;  /* in effect today (dated changes applied as the run goes) */
    uint64_t seed;
    double scale; /* national adults per agent */
    int n_days, survey_day;
    tyndau_citizens c;
    size_t n_blocks;
    tyndau_calendar *cal;      /* [n_blocks] */
    uint64_t key_citizen;      /* citizen i's stream has key tyndau_mix64(key_citizen ^ i) */
    tyndau_zig zig;            /* the exponential sampler's tables (sample.h) */
    uint64_t key_ties;         /* tie j of citizen i: tyndau_mix64(tyndau_mix64(key_ties ^ i) ^ j) (ties.c) */
    uint64_t key_acquaintance; /* knowing someone who can push a case: tyndau_mix64(key_acquaintance ^ i) (offices.c) */
    /* cells: citizens of region r, settlement s are [cell_start[k], cell_start[k+1]) with k = 2r+s */
    size_t cell_start[2 * TYNDAU_N_REGION + 1];
    /* strata within a cell, laid out in STRATUM order: stratum s of cell k is
       [stratum_start[k][s], stratum_start[k][s+1]); stratum_start[k][N_STRATUM] = cell_start[k+1] */
    size_t stratum_start[2 * TYNDAU_N_REGION][N_STRATUM + 1];
    int localities[2 * TYNDAU_N_REGION]; /* outreach localities of each cell (>= 1) */
    /* derived per-day tables */
    uint16_t *wd;         /* working-day index of each day (cumulative) */
    double *coverage;     /* platform coverage on each day */
    double *monitoring;   /* monitoring strength on each day */
    /* cumulative concept-media intensity [class][day+1] (class: tyndau_media_class), of television
       and the news (scaled by a citizen's reception) and of social media (by its social reception) */
    double *lam_media_tv, *lam_media_soc;
    double *lam_platform; /* cumulative platform-media intensity [day+1] */
    double *lam_portal;   /* cumulative eGov-portal platform-news intensity (full eGov users) [day+1] */
    double *lam_outreach; /* cumulative rate of other outreach events per locality [settlement][day+1] */
    tyndau_intensity iplatform, iportal; /* the single-table searches, indexed */
    double *media_day;    /* concept-media rate of each source on each day [day][N_MEDIA_SOURCE] */
    /* reach of each source by class on television and the news, and on social media (parameters of
       today) */
    double reach_tv[N_MEDIA_CLASS][N_MEDIA_SOURCE], reach_soc[N_MEDIA_CLASS][N_MEDIA_SOURCE];
    double *offline_saving; /* exp(natizhe_saving cov(d)): what joining the system saves an office visit [day] */
    tyndau_choice choice;   /* channel choice factors (parameters of today) */
    double tell_skip;       /* -log(1 - tell_prob): the rate of the geometric gaps between ties told */
    int next_change;      /* index of the first dated change not yet applied */
    double p_full[N_AGE][N_INCOME];   /* heard -> fully aware at an exposure, by age and income */
    gsl_ran_discrete_t *domain_table;
    /* distributions of small integers, sampled in O(1) by Walker's alias method */
    gsl_ran_discrete_t *ties_table[2];    /* ties - 1, [61+] */
    gsl_ran_discrete_t *prior_table[N_LEVEL][2][2]; /* prior evidence count by level, [61+], [negative] */
    uint64_t key_init;         /* citizen i's creation stream has key tyndau_mix64(key_init ^ i) */
    double engaged_u[N_AGE][N_EDU]; /* engaged when the involvement quantile u >= this (population.c) */
    gsl_ran_discrete_t *skill_table[N_DIGITAL]; /* skill byte 0..255 */
    gsl_ran_discrete_t *severity_table;   /* severity byte 0..255 */
    double problem_rate[2][2][2]; /* per day by [low income][rural][61+] */
    /* population model (population.c): cumulative-logit cut points of education, intercepts of
       income and digital access solved against the national shares */
    double edu_cut[2], intercept_low, intercept_high, intercept_internet, intercept_egov;
    double stratum_p[2][N_STRATUM];                  /* P(age, income, education | [rural]) */
    double p_internet[N_AGE][N_INCOME][N_EDU][2];    /* internet by age, income, education, [rural] */
    double p_egov[N_AGE][N_INCOME][N_EDU][2];        /* full eGov given internet */
    /* political involvement: z = involvement mean of (age, education) + e, e ~ N(0,1), stored as the
       quantile bucket of e; disengaged when z < involvement_cut; reception multiplier
       exp(reception_scale z) / mean on television and the news, exp(reception_social reception_scale z)
       / mean on social media */
    double involvement_cut;
    float reception[N_AGE][N_EDU][256], reception_soc[N_AGE][N_EDU][256];
    /* offices */
    int n_offices;
    tyndau_office *office;
    /* message plumbing */
    tyndau_msgbuf *block_out;      /* word of mouth emitted by each block today */
    tyndau_appealbuf *block_appeals;
    tyndau_msg *inbox;             /* today's messages sorted by target block */
    size_t *inbox_start;           /* [n_blocks + 1] */
    size_t inbox_cap;
    /* threads */
    int n_threads;
    tyndau_day_counts *thread_counts;
    /* results */
    int64_t *s_problems, *s_choices, *s_outcomes, *s_state; /* [day][group][...] */
    int64_t s_state0[TYNDAU_N_GROUP][N_STATE_SERIES];      /* state at the start */
    int64_t outcome_channel[N_CHANNEL][N_OUTCOME];
    int64_t wait_hist[N_CHANNEL][TYNDAU_WAIT_MAX];
    int64_t wait_group_hist[TYNDAU_N_GROUP][TYNDAU_WAIT_MAX];
    int64_t resolve_wait_hist[N_CHANNEL][TYNDAU_WAIT_MAX];
    int64_t outcome_group_channel[TYNDAU_N_GROUP][N_CHANNEL][N_OUTCOME];
    int64_t answer_wd[N_CHANNEL][N_OUTCOME][TYNDAU_ANSWER_WD_MAX];
    int64_t answer_wd_year[N_CHANNEL][TYNDAU_ANSWER_WD_MAX];
    int64_t decisions[N_CHANNEL][N_DECISION], decisions_year[N_CHANNEL][N_DECISION];
    int64_t *s_decided; /* [day][level][channel][outcome]: cases decided by offices */
    int64_t told, messages, retries, escalated; /* messages, retries: events[EVT_MESSAGE], [EVT_RETRY] */
    int64_t events[N_EVENT];
    int64_t group_size[TYNDAU_N_GROUP];
    /* secondary anchors (anchors.h): days [anchor_d0, anchor_d1) are the anchor year (may lie
       outside the run); citizens with an appeal decided in it, and of them with a bribe demand */
    int anchor_d0, anchor_d1;
    int64_t anchor_decided, anchor_bribe;
    /* offices: preparation-time distributions [formal, informal] as cumulative tables, and the
       last working day of the extended deadline of a case filed on each day */
    double prep_cdf[2][TYNDAU_PREP_MAX];
    uint16_t *ext_due;
    double know[256]; /* probability of knowing someone who can push a case, by number of ties */
    int day; /* days done */
    const volatile sig_atomic_t *stop; /* the caller's: nonzero ends a step at the end of a day */
    /* survey */
    tyndau_survey_row *survey;
    size_t n_survey;
    tyndau_targets targets;
    int have_targets;
    int64_t appeals_hist[TYNDAU_COUNT_MAX], bribes_hist[TYNDAU_COUNT_MAX];
};

/* Point r at citizen i's stream, where it left off; tyndau_citizen_rng_done keeps the
 * new position. */
static inline void tyndau_citizen_rng(const tyndau_model *m, tyndau_ctr_state *r, size_t i)
{
    r->key = tyndau_mix64(m->key_citizen ^ (uint64_t)i);
    r->pos = m->c.s[i].draws;
}
static inline void tyndau_citizen_rng_done(tyndau_model *m, const tyndau_ctr_state *r, size_t i)
{
    m->c.s[i].draws = (uint32_t)r->pos;
}

/* A citizen's reception multiplier of mass media (mean 1 over the population). */
static inline double tyndau_reception(const tyndau_model *m, const tyndau_citizen *c)
{
    return m->reception[DEMO_AGE(c->demo)][FL_EDU(c->flags)][c->attention];
}
/* ... and of social media (mean 1). */
static inline double tyndau_reception_soc(const tyndau_model *m, const tyndau_citizen *c)
{
    return m->reception_soc[DEMO_AGE(c->demo)][FL_EDU(c->flags)][c->attention];
}
static inline int tyndau_disengaged(const tyndau_citizen *c) { return (c->flags & FL_DISENGAGED) != 0; }

/* Fine cells: every group is a union of them (age x income x settlement x sex x region). */
#define TYNDAU_N_FINE_CELL (N_AGE * N_INCOME * N_SETTLEMENT * N_SEX * TYNDAU_N_REGION)
static inline int tyndau_fine_cell(uint8_t demo, uint8_t region)
{
    return (((int)region * N_SEX + (int)DEMO_SEX(demo)) * N_SETTLEMENT + (int)DEMO_SETTLEMENT(demo)) * N_INCOME * N_AGE +
           (int)DEMO_INCOME(demo) * N_AGE + (int)DEMO_AGE(demo);
}
/* The demo bits (age, income, settlement, sex) and the region of fine cell k. */
static inline void tyndau_fine_cell_demo(int k, uint8_t *demo, uint8_t *region)
{
    int age = k % N_AGE, inc = k / N_AGE % N_INCOME, set = k / (N_AGE * N_INCOME) % N_SETTLEMENT;
    int sex = k / (N_AGE * N_INCOME * N_SETTLEMENT) % N_SEX;
    *demo = (uint8_t)(age | inc << 2 | set << 4 | sex << 5);
    *region = (uint8_t)(k / (N_AGE * N_INCOME * N_SETTLEMENT * N_SEX));
}

/* population.c */
tyndau_status tyndau_population_init(tyndau_model *m, tyndau_error *err);
tyndau_status tyndau_population_tables(tyndau_model *m, tyndau_error *err);
void tyndau_citizens_free(tyndau_citizens *c);
/* groups of a citizen: out[GT] for every group type */
static inline void tyndau_groups_of(uint8_t demo, uint8_t region, int out[N_GTYPE])
{
    out[GT_TOTAL] = TYNDAU_GROUP_TOTAL;
    out[GT_AGE] = TYNDAU_GROUP_AGE + (int)DEMO_AGE(demo);
    out[GT_INCOME] = TYNDAU_GROUP_INCOME + (int)DEMO_INCOME(demo);
    out[GT_SETTLEMENT] = TYNDAU_GROUP_SETTLEMENT + (int)DEMO_SETTLEMENT(demo);
    out[GT_SEX] = TYNDAU_GROUP_SEX + (int)DEMO_SEX(demo);
    out[GT_REGION] = TYNDAU_GROUP_REGION + (int)region;
}
/* ties.c */
size_t tyndau_tie(const tyndau_model *m, size_t i, int j);
/* The same for the j-th tie with key = tyndau_tie_key(m, i), computed once for all of i's ties. */
uint64_t tyndau_tie_key(const tyndau_model *m, size_t i);
size_t tyndau_tie_of(const tyndau_model *m, size_t i, uint64_t key, int j);
/* schedule.c */
tyndau_status tyndau_schedule_init(tyndau_model *m, tyndau_error *err);
/* What the schedule derives from today's parameters and the model reads at events
 * (media reach, p_full); again after dated changes. */
void tyndau_schedule_derived(tyndau_model *m);
uint16_t tyndau_next_from_table(const double *lam, int n_days, int day, double e);
/* The same for the sum of two processes, wa x table la + wb x table lb. */
uint16_t tyndau_next_from_tables(const double *la, double wa, const double *lb, double wb, int n_days, int day,
                                 double e);
/* Citizen c's next concept-media exposure after `day` (its class's tables at its receptions). */
uint16_t tyndau_next_media(const tyndau_model *m, const tyndau_citizen *c, int day, double e);
/* Index the table lam[0..n_days] (kept by the caller); -1 when out of memory. */
int tyndau_intensity_init(tyndau_intensity *t, const double *lam, int n_days);
/* The same as tyndau_next_from_table on t's table, through its index. */
uint16_t tyndau_next_from_index(const tyndau_intensity *t, int day, double e);
void tyndau_schedule_free(tyndau_model *m);
/* Whether parameters q give the model's per-day tables bit for bit: 1, 0, -1 out of memory. */
int tyndau_schedule_same(const tyndau_model *m, const tyndau_params *q);
/* offices.c */
tyndau_status tyndau_offices_init(tyndau_model *m, tyndau_error *err);
void tyndau_offices_free(tyndau_model *m);
/* (Re)draw every bureaucrat's traits, and set every office's staff and capacity and the
 * tables registration and the informal route read (preparation times, extended deadlines,
 * knowing someone), from the current parameters (the number of bureaucrats stays as created). */
void tyndau_offices_traits(tyndau_model *m);
void tyndau_offices_capacity(tyndau_model *m);
int tyndau_office_for(const tyndau_model *m, tyndau_channel ch, tyndau_domain dom, int region, double u);
void tyndau_office_day(tyndau_model *m, tyndau_office *o, int day, tyndau_day_counts *cnt);
int tyndau_office_enqueue(tyndau_office *o, const tyndau_appeal *a);
int tyndau_offices_escalate(tyndau_model *m);
/* Cases an office holds: received, in preparation or waiting for capacity. */
size_t tyndau_office_pending(const tyndau_office *o);
/* 1 if citizen i (with `ties` ties) knows someone who can push a case at the akimat: a fixed
 * property of the citizen, from a hash of (seed, citizen), so nothing is stored ("Bake, Sake"). */
int tyndau_informal_available(const tyndau_model *m, size_t i, unsigned ties);
/* The anchor bits (PROBLEM_ANCHOR_*) a citizen's own outcome `o`, decided on day `day`, sets. */
static inline uint8_t tyndau_anchor_bits(const tyndau_model *m, int day, tyndau_outcome o)
{
    if (day < m->anchor_d0 || day >= m->anchor_d1) return 0;
    return (uint8_t)(PROBLEM_ANCHOR_DECIDED | (o == OUT_BRIBE_PAID || o == OUT_BRIBE_REFUSED ? PROBLEM_ANCHOR_BRIBE : 0u));
}
/* calendar.c */
int tyndau_duelist_grow(tyndau_duelist *l);
static inline int tyndau_duelist_push(tyndau_duelist *l, uint16_t k)
{
    if (l->n == l->cap && tyndau_duelist_grow(l) != 0) return -1;
    l->v[l->n++] = k;
    return 0;
}
/* On the first day of a window: enter each of the block's n citizens (s) whose next event falls
 * in the window. */
int tyndau_calendar_fill(tyndau_calendar *cal, const tyndau_citizen *s, size_t n, int day);
/* Enter citizen k of the block on day nx, if nx lies in the window of `day` (nx > day). */
static inline int tyndau_calendar_enter(tyndau_calendar *cal, uint16_t k, uint16_t nx, int day)
{
    if ((int)nx >= day - day % TYNDAU_WINDOW + TYNDAU_WINDOW) return 0;
    return tyndau_duelist_push(&cal->day[nx % TYNDAU_WINDOW], k);
}
/* The citizens entered on `day`, each once, in index order, into out[] (TYNDAU_BLOCK entries);
 * the day's list is emptied.  Returns how many. */
size_t tyndau_calendar_take(tyndau_calendar *cal, int day, uint16_t *out);
void tyndau_calendar_free(tyndau_calendar *cal);
/* citizen.c */
void tyndau_block_day(tyndau_model *m, size_t b, int day, tyndau_day_counts *cnt);
/* The channel-choice factors and the gaps between ties told, from today's parameters
 * (at creation and again after dated changes, beside tyndau_schedule_derived). */
void tyndau_choice_derived(tyndau_model *m);
static inline int tyndau_belief_category(const uint8_t ev[4], tyndau_level lev)
{
    unsigned pos = ev[EV(lev, 0)], neg = ev[EV(lev, 1)];
    if (pos + neg == 0) return BEL_DK;
    return pos > neg ? BEL_PAYS : neg > pos ? BEL_NO : BEL_SPLIT;
}
/* The state counts at the start by fine cell (tyndau_fine_cell), state series part (concept,
 * platform, central belief, local belief) and that part's value: counted citizen by citizen,
 * then added to the series of every group a cell belongs to, with the groups' sizes. */
typedef uint32_t tyndau_state_cells[TYNDAU_N_FINE_CELL][4][4];
void tyndau_state_cells_add(tyndau_state_cells n, const tyndau_citizen *c);
void tyndau_state_cells_expand(const tyndau_state_cells n, int64_t state[][N_STATE_SERIES],
                               int64_t group_size[TYNDAU_N_GROUP]);
/* outreach.c: outreach events citizen i heard of in the 12 months up to the survey day */
int tyndau_outreach_heard(const tyndau_model *m, size_t i); /* -1 when out of memory */
/* The events of every locality in the window, drawn once for the survey: locality l of cell k
 * is events[start[k] + l]; free(events). */
typedef struct {
    unsigned *events;
    size_t start[2 * TYNDAU_N_REGION + 1];
    uint64_t key_of, key_heard; /* of the citizens' locality hashes and hearing streams */
    double miss[2]; /* not hearing of one event: [rural] */
} tyndau_outreach_events;
int tyndau_outreach_events_init(const tyndau_model *m, tyndau_outreach_events *ev); /* -1: out of memory */
/* The same count as tyndau_outreach_heard, from the localities' events drawn. */
int tyndau_outreach_heard_of(const tyndau_model *m, size_t i, const tyndau_outreach_events *ev);
/* survey.c */
/* The survey in three steps, so that the day loop's threads share its population sums:
 * begin (NULL when out of memory), parts of the population [i0, i1) in any order and threads
 * (tid < n_threads, each thread's own sums), then end (the sums in a fixed order, the quota
 * sample, the rows; frees w). */
typedef struct tyndau_survey_work tyndau_survey_work;
tyndau_survey_work *tyndau_survey_begin(tyndau_model *m);
void tyndau_survey_part(const tyndau_model *m, tyndau_survey_work *w, int tid, size_t i0, size_t i1);
tyndau_status tyndau_survey_end(tyndau_model *m, tyndau_survey_work *w, tyndau_error *err);
/* buffers.c */
int tyndau_msgbuf_push(tyndau_msgbuf *b, tyndau_msg msg);
int tyndau_appealbuf_push(tyndau_appealbuf *b, tyndau_appeal a);

#endif
