/* codes.c - name tables of the enums in codes.h; the order matches the enums. */
#include "codes.h"

#include <string.h>

#include "regions.h"

const char *const tyndau_age_names[N_AGE] = {"18-29", "30-45", "46-60", "61+"};
const char *const tyndau_income_names[N_INCOME] = {"low", "middle", "high"};
const char *const tyndau_settlement_names[N_SETTLEMENT] = {"urban", "rural"};
const char *const tyndau_sex_names[N_SEX] = {"male", "female"};
const char *const tyndau_digital_names[N_DIGITAL] = {"no_internet", "internet_no_egov", "full_egov"};
const char *const tyndau_edu_names[N_EDU] = {"general_secondary_or_less", "vocational", "higher"};
const char *const tyndau_concept_names[N_CONCEPT] = {"first_time", "heard_something", "fully_aware"};
const char *const tyndau_cchannel_names[N_CCHANNEL] = {
    "president_responds_on_social_media", "officials_reply_on_blogs_and_social_media",
    "akims_react_on_social_media", "appeals_monitoring_system_works", "other"};
const char *const tyndau_platform_names[N_PLATFORM] = {"first_time", "heard_not_how", "knows_how_to_use"};
const char *const tyndau_domain_names[N_DOMAIN] = {"health", "education", "employment_social",
                                                   "police_security", "land", "housing_utilities"};
const char *const tyndau_channel_names[N_CHANNEL] = {"silence", "online_e_otinish", "offline_reception",
                                                     "social_media", "president_office", "informal"};
const char *const tyndau_outcome_names[N_OUTCOME] = {"resolved", "formal_answer", "redirected",
                                                     "late_or_ignored", "bribe_paid", "bribe_refused"};
const char *const tyndau_level_names[N_LEVEL] = {"central", "local"};
const char *const tyndau_decision_names[N_DECISION] = {"on_time", "extended", "rescued", "late", "lapsed",
                                                       "informal"};
const char *const tyndau_belief_names[N_BELIEF] = {"pays_attention", "no_attention", "split", "dont_know"};
const char *const tyndau_gtype_names[N_GTYPE] = {"total", "age", "income", "settlement", "sex", "region"};
const char *const tyndau_event_names[N_EVENT] = {"problem", "retry", "media", "platform", "portal", "tell", "message", "case"};

const char *tyndau_group_name(int g)
{
    if (g == TYNDAU_GROUP_TOTAL) return "all";
    if (g < TYNDAU_GROUP_INCOME) return tyndau_age_names[g - TYNDAU_GROUP_AGE];
    if (g < TYNDAU_GROUP_SETTLEMENT) return tyndau_income_names[g - TYNDAU_GROUP_INCOME];
    if (g < TYNDAU_GROUP_SEX) return tyndau_settlement_names[g - TYNDAU_GROUP_SETTLEMENT];
    if (g < TYNDAU_GROUP_REGION) return tyndau_sex_names[g - TYNDAU_GROUP_SEX];
    return tyndau_regions[g - TYNDAU_GROUP_REGION].name;
}

tyndau_gtype tyndau_group_type(int g)
{
    if (g == TYNDAU_GROUP_TOTAL) return GT_TOTAL;
    if (g < TYNDAU_GROUP_INCOME) return GT_AGE;
    if (g < TYNDAU_GROUP_SETTLEMENT) return GT_INCOME;
    if (g < TYNDAU_GROUP_SEX) return GT_SETTLEMENT;
    if (g < TYNDAU_GROUP_REGION) return GT_SEX;
    return GT_REGION;
}

int tyndau_group_find(const char *type, const char *name)
{
    for (int g = 0; g < TYNDAU_N_GROUP; g++)
        if (strcmp(tyndau_gtype_names[tyndau_group_type(g)], type) == 0 && strcmp(tyndau_group_name(g), name) == 0)
            return g;
    return -1;
}
