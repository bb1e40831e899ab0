/*
 * codes.h - the coded values of tyndau: every enum ends in an N_* sentinel that
 * sizes arrays, and has a name table beside it (codes.c).  The names are the
 * ones written into HDF5 code attributes and the survey's response labels, so
 * meaning never rests on enum order alone.
 */
#ifndef TYNDAU_CODES_H
#define TYNDAU_CODES_H

typedef enum { AGE_18_29, AGE_30_45, AGE_46_60, AGE_61P, N_AGE } tyndau_age;
typedef enum { INC_LOW, INC_MIDDLE, INC_HIGH, N_INCOME } tyndau_income;
typedef enum { SET_URBAN, SET_RURAL, N_SETTLEMENT } tyndau_settlement;
typedef enum { SEX_MALE, SEX_FEMALE, N_SEX } tyndau_sex;
typedef enum { DIG_NONE, DIG_INTERNET, DIG_EGOV, N_DIGITAL } tyndau_digital;
/* Highest education: general secondary or less, secondary specialised (vocational), higher. */
typedef enum { EDU_SECONDARY, EDU_VOCATIONAL, EDU_HIGHER, N_EDU } tyndau_edu;

/* Awareness of the "Listening State" concept; order is the survey's scale reversed. */
typedef enum { CA_NONE, CA_HEARD, CA_FULL, N_CONCEPT } tyndau_concept;
/* How the concept was learned = how the citizen understands it (concept_meaning). */
typedef enum { CC_PRESIDENT, CC_OFFICIALS, CC_AKIMS, CC_MONITORING, CC_OTHER, N_CCHANNEL } tyndau_cchannel;
typedef enum { PA_NONE, PA_HEARD, PA_KNOWS, N_PLATFORM } tyndau_platform;

typedef enum { DOM_HEALTH, DOM_EDUCATION, DOM_EMPLOYMENT, DOM_POLICE, DOM_LAND, DOM_HOUSING, N_DOMAIN } tyndau_domain;
typedef enum { CH_SILENCE, CH_ONLINE, CH_OFFLINE, CH_SOCIAL, CH_PRESIDENT, CH_INFORMAL, N_CHANNEL } tyndau_channel;
typedef enum {
    OUT_RESOLVED,      /* problem solved */
    OUT_FORMAL,        /* answered on time without resolution */
    OUT_REDIRECTED,    /* sent to another body */
    OUT_LATE_IGNORED,  /* past the deadline, or never answered */
    OUT_BRIBE_PAID,    /* bribe demanded and paid (problem solved informally) */
    OUT_BRIBE_REFUSED, /* bribe demanded, not paid: unresolved */
    N_OUTCOME
} tyndau_outcome;
typedef enum { LEV_CENTRAL, LEV_LOCAL, N_LEVEL } tyndau_level;
/* How an office decided a case against its deadline (docs/ODD.md 7.4). */
typedef enum {
    DEC_ON_TIME,  /* answered within the deadline (3 working days for a redirection) */
    DEC_EXTENDED, /* answered after the ordinary deadline, within the extended one (two months) */
    DEC_RESCUED,  /* not prepared by the deadline; under monitoring a formal answer on the deadline day */
    DEC_LATE,     /* not answered by the deadline (preparation or capacity): late, on the deadline day */
    DEC_LAPSED,   /* let lapse by its bureaucrat (resistance): late, reported on the deadline day */
    DEC_INFORMAL, /* through an acquaintance: not registered, no deadline */
    N_DECISION
} tyndau_decision;

/* Belief category for time series: pos > neg, neg > pos, pos == neg > 0, no evidence. */
typedef enum { BEL_PAYS, BEL_NO, BEL_SPLIT, BEL_DK, N_BELIEF } tyndau_belief;

/* What the day loop handles, counted per thread (tyndau_model_events): a citizen's new problem,
 * re-raised problem, mass-media exposure to the concept, platform news in the mass media, the
 * eGov portal's notice, a tell (one citizen telling its ties), a message delivered to a citizen
 * (word of mouth or an appeal's outcome), and a case decided by an office. */
typedef enum { EVT_PROBLEM, EVT_RETRY, EVT_MEDIA, EVT_PLATFORM, EVT_PORTAL, EVT_TELL, EVT_MESSAGE, EVT_CASE, N_EVENT } tyndau_event;

/* Group types and groups: every citizen is in exactly one group of each type. */
typedef enum { GT_TOTAL, GT_AGE, GT_INCOME, GT_SETTLEMENT, GT_SEX, GT_REGION, N_GTYPE } tyndau_gtype;
#define TYNDAU_N_REGION 17
#define TYNDAU_GROUP_TOTAL 0
#define TYNDAU_GROUP_AGE 1
#define TYNDAU_GROUP_INCOME (TYNDAU_GROUP_AGE + N_AGE)
#define TYNDAU_GROUP_SETTLEMENT (TYNDAU_GROUP_INCOME + N_INCOME)
#define TYNDAU_GROUP_SEX (TYNDAU_GROUP_SETTLEMENT + N_SETTLEMENT)
#define TYNDAU_GROUP_REGION (TYNDAU_GROUP_SEX + N_SEX)
#define TYNDAU_N_GROUP (TYNDAU_GROUP_REGION + TYNDAU_N_REGION)

extern const char *const tyndau_age_names[N_AGE];
extern const char *const tyndau_income_names[N_INCOME];
extern const char *const tyndau_settlement_names[N_SETTLEMENT];
extern const char *const tyndau_sex_names[N_SEX];
extern const char *const tyndau_digital_names[N_DIGITAL];
extern const char *const tyndau_edu_names[N_EDU];
extern const char *const tyndau_concept_names[N_CONCEPT];
extern const char *const tyndau_cchannel_names[N_CCHANNEL];
extern const char *const tyndau_platform_names[N_PLATFORM];
extern const char *const tyndau_domain_names[N_DOMAIN];
extern const char *const tyndau_channel_names[N_CHANNEL];
extern const char *const tyndau_outcome_names[N_OUTCOME];
extern const char *const tyndau_level_names[N_LEVEL];
extern const char *const tyndau_decision_names[N_DECISION];
extern const char *const tyndau_belief_names[N_BELIEF];
extern const char *const tyndau_gtype_names[N_GTYPE];
extern const char *const tyndau_event_names[N_EVENT];

/* Name of group g (0 .. TYNDAU_N_GROUP-1) and its type. */
const char *tyndau_group_name(int g);
tyndau_gtype tyndau_group_type(int g);
/* The group of that type and name ("age", "61+"), or -1. */
int tyndau_group_find(const char *type, const char *name);

#endif
