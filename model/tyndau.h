/*
 * tyndau.h - public API of libtyndau, the simulation library.
 *
 * A tyndau_model owns everything one run needs (citizens, offices, RNG
 * streams, counters, results); there is no global state, so any number of
 * models can live in one process and run on their own threads.  Life cycle:
 *
 *   tyndau_params p; tyndau_params_default(&p);   ... set, check ...
 *   tyndau_model *m = tyndau_model_new(&p, n_agents, seed, &err);
 *   tyndau_model_run(m, progress, user, &err);     (all days, then the survey)
 *     or tyndau_model_step(m, days, ...) repeatedly, tyndau_model_set(m, key, value, &err) between
 *   tyndau_model_write(m, "out.h5", &meta, &err);  (HDF5, temporary name + rename)
 *   tyndau_model_free(m);
 */
#ifndef TYNDAU_H
#define TYNDAU_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "codes.h"
#include "error.h"
#include "params.h"
#include "targets.h"

#define TYNDAU_VERSION "0.1.0"
/* Bins of the working-days-to-a-decision histograms: 0 .. TYNDAU_ANSWER_WD_MAX-1, the last open. */
#define TYNDAU_ANSWER_WD_MAX 128

typedef struct tyndau_model tyndau_model;

/* Bytes a model of n agents is expected to need (checked before allocating). */
size_t tyndau_model_bytes(const tyndau_params *p, size_t n_agents);

/* Threads worth giving a model of n agents, of `available`: one per TYNDAU_AGENTS_PER_THREAD
 * agents, at least 1.  Below that a day's work is too small to pay for handing it between
 * threads on a machine where other programs take turns on the cores.  A model uses the
 * OpenMP thread count (omp_get_max_threads) whatever this says, up to one thread per block of
 * 4,096 agents; `tyndau run` takes this as its default. */
#define TYNDAU_AGENTS_PER_THREAD 131072
int tyndau_model_threads_for(size_t n_agents, int available);

/* Create the population, the offices and the schedule.  TYNDAU_EINPUT for bad
 * parameters or a size that cannot be represented. */
tyndau_model *tyndau_model_new(const tyndau_params *p, size_t n_agents, uint64_t seed,
                               tyndau_error *err);
void tyndau_model_free(tyndau_model *m);

/* Called after each simulated day with (day index, number of days). */
typedef void (*tyndau_progress_fn)(int day, int n_days, void *user);

/* Run every day from start_date to end_date; the virtual survey runs at the
 * end of survey_date when that lies in the run. */
tyndau_status tyndau_model_run(tyndau_model *m, tyndau_progress_fn progress, void *user,
                               tyndau_error *err);

/* Run the next `days` days (fewer where the run ends sooner), as OpenABM's one_day: steps
 * that cover the run give tyndau_model_run's results bit for bit; the survey runs in the step
 * that holds survey_date, the run's totals are made by the step that ends the run.
 * TYNDAU_EINPUT for days < 1 or a run that is over. */
tyndau_status tyndau_model_step(tyndau_model *m, int days, tyndau_progress_fn progress, void *user,
                                tyndau_error *err);
/* A flag of the caller's (a signal handler's, say; NULL: none) that the day loop reads after
 * every day: when it is nonzero, tyndau_model_run and tyndau_model_step return at the end of
 * that day with TYNDAU_EINTERNAL, "stopped after day D of N".  The days done are as they would
 * be in an uninterrupted run (a later step continues from them); nothing else is changed. */
void tyndau_model_set_stop(tyndau_model *m, const volatile sig_atomic_t *stop);
/* Days done: 0 before the first step, tyndau_model_days(m) when the run is over. */
int tyndau_model_days_done(const tyndau_model *m);
/* Between steps: parameter `name` takes `value` (text as in a scenario file) from the next day
 * on, recorded as a dated change of that day (the same results, and the same /parameters in
 * the output file, as the scenario's section [from DATE]).  TYNDAU_EINPUT, naming the key,
 * for an unknown key, a value out of range, a parameter fixed at creation, one that sets the
 * schedule's daily rates (events are drawn ahead from them; give it as a dated change of the
 * scenario), before the first step (the model was created with the values of start_date: set
 * it in the scenario), or a run that is over. */
tyndau_status tyndau_model_set(tyndau_model *m, const char *name, const char *value, tyndau_error *err);

/* Compare the survey with published targets (copies what it needs). */
tyndau_status tyndau_model_set_targets(tyndau_model *m, const tyndau_targets *t, tyndau_error *err);

/* What the output file records about how the run was made. */
typedef struct {
    const char *program;       /* argv[0] basename or "tyndau" */
    const char *command_line;  /* as typed */
    const char *scenario_name;
    const char *scenario_source;
    const char *scenario_text; /* verbatim */
    const char *const *overrides;
    size_t n_overrides;
    const char *targets_source;
    int threads;
    const char *git_commit; /* of the program's build */
    const char *cflags;     /* the program's compiler flags */
    /* the files the scenario inherits from (outermost first) and their texts */
    const char *const *base_sources, *const *base_texts;
    size_t n_bases;
    const char *mpi_version;     /* the MPI library the program is built with (NULL: none) */
    const char *scenario_joined; /* the inherited texts, then scenario_text (NULL: scenario_text) */
    /* where each parameter's value came from, [tyndau_n_params] (tyndau_scenario_origin; NULL:
     * each is written as "unknown") */
    const char *const *param_origins;
} tyndau_meta;

tyndau_status tyndau_model_write(const tyndau_model *m, const char *path, const tyndau_meta *meta,
                                 tyndau_error *err);

/* ---- read access for tests and the command line ---- */
/* The parameters as given (values on start_date, and the dated changes). */
const tyndau_params *tyndau_model_params(const tyndau_model *m);
/* The parameters in effect on the last day run (dated changes applied). */
const tyndau_params *tyndau_model_params_now(const tyndau_model *m);
size_t tyndau_model_agents(const tyndau_model *m);
int tyndau_model_days(const tyndau_model *m);
/* Totals over the whole run. */
uint64_t tyndau_model_total_problems(const tyndau_model *m); /* new problems and retries */
uint64_t tyndau_model_total_retries(const tyndau_model *m);  /* unresolved problems raised again */
uint64_t tyndau_model_total_escalated(const tyndau_model *m); /* social-media cases passed to a ministry */
/* Events the day loop handled over the whole run, by kind (codes.h; a case counts once at each
 * office that decides or escalates it): the denominator of the benchmarks' cost per event. */
uint64_t tyndau_model_events(const tyndau_model *m, tyndau_event e);
/* Sums over offices: appeals received (escalated ones count again at the ministry),
 * processed, escalated, and still queued at the end. */
void tyndau_model_office_totals(const tyndau_model *m, uint64_t *received, uint64_t *processed,
                                uint64_t *escalated, uint64_t *queued);
/* Citizens by awareness of the concept (N_CONCEPT) then of the platforms (N_PLATFORM)
 * at the end of day `day`, from the time series. */
void tyndau_model_state_total(const tyndau_model *m, int day, int64_t out[N_CONCEPT + N_PLATFORM]);
uint64_t tyndau_model_total_channel(const tyndau_model *m, tyndau_channel c);
uint64_t tyndau_model_total_outcome(const tyndau_model *m, tyndau_outcome o);
/* Daily counts of the whole population, day 0 .. days-1: appeals filed through channel c; cases
 * decided by offices of level l that came through channel c, with outcome o. */
int64_t tyndau_model_day_choices(const tyndau_model *m, int day, tyndau_channel c);
int64_t tyndau_model_day_decided(const tyndau_model *m, int day, tyndau_level l, tyndau_channel c, tyndau_outcome o);
/* Whole-run counts of decided cases through channel c: with outcome o and `wd` working days from
 * filing to the decision (the last bin, TYNDAU_ANSWER_WD_MAX-1, is open); by how they were decided
 * against their deadline (codes.h).  Cases whose deadline was extended (decided or not). */
int64_t tyndau_model_answer_wd(const tyndau_model *m, tyndau_channel c, tyndau_outcome o, int wd);
int64_t tyndau_model_decisions(const tyndau_model *m, tyndau_channel c, tyndau_decision k);
uint64_t tyndau_model_total_extended(const tyndau_model *m);
/* Citizen attributes (for tests): demographics and state at the end of the run. */
typedef struct {
    tyndau_age age;
    tyndau_income income;
    tyndau_settlement settlement;
    tyndau_sex sex;
    tyndau_digital digital;
    int region;
    double skill;
    int ties;
    tyndau_concept concept;
    tyndau_cchannel cchannel;
    tyndau_platform platform;
    int evidence[N_LEVEL][2]; /* [level][0 = positive, 1 = negative] */
    tyndau_edu edu;
    double reception;        /* multiplier of exposure to television and the news (mean 1 over the population) */
    double reception_social; /* ... to social media (mean 1) */
    int appeals, bribes;
    int contacts; /* outreach events heard of in the 12 months up to the survey day */
    int disengaged;
    int anchor_decided, anchor_bribe; /* an own appeal decided in the anchor year; a bribe demanded in one */
} tyndau_citizen_view;
void tyndau_model_citizen(const tyndau_model *m, size_t i, tyndau_citizen_view *v);
/* Citizen i's j-th tie (j < ties), or SIZE_MAX when it has none. */
size_t tyndau_model_tie(const tyndau_model *m, size_t i, int j);

/* The survey's results: one row per (question, group, response, sample). */
typedef struct {
    const char *question, *base, *response;
    int group;          /* 0 .. TYNDAU_N_GROUP-1 */
    int quota;          /* 1 quota sample, 0 whole population */
    double simulated;   /* percent */
    double observed;    /* percent, NaN where unpublished */
    double lo95, hi95;  /* observed's 95% interval, NaN where unpublished */
    double n_base;      /* respondents behind the observed value (estimated) */
    int inside;         /* 1, 0, or -1 where unpublished */
} tyndau_survey_row;
/* NULL / 0 before the survey has run. */
const tyndau_survey_row *tyndau_model_survey(const tyndau_model *m, size_t *n_rows);
/* Whether the survey asks `question` with answer `response` (every group gets every such
 * row): 1, 0 for an unknown question, -1 for a known question without that response.  For
 * checking a request before any model runs. */
int tyndau_survey_has_cell(const char *question, const char *response);

#endif
