/*
 * model.c - the model's life cycle and its day, as a list of phases:
 *
 *   deliver   yesterday's messages (word of mouth, appeal outcomes) are
 *             sorted by the target's block (stable counting sort, so the
 *             order is fixed by the sources' order, not by threads);
 *   citizens  every block, in parallel: messages, then today's events;
 *   submit    appeals move, block by block, into their offices' queues;
 *   offices   every office, in parallel: a working day's cases (register, prepare,
 *             answer, deadlines: offices.c);
 *   record    per-thread integer counters are summed into the series;
 *   survey    at the end of survey_date, the virtual survey.
 *
 * Integer counters are summed in any order with the same result, and floating
 * point sums are made in a fixed order, so one seed gives the same datasets
 * with any number of threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"
#include "team.h"

/* Bytes per citizen: its state, and about one calendar entry (calendar.c). */
#define CITIZEN_BYTES (sizeof(tyndau_citizen) + sizeof(uint16_t))

size_t tyndau_model_bytes(const tyndau_params *p, size_t n)
{
    size_t days = (size_t)(p->end_date - p->start_date + 1);
    size_t series = days * (TYNDAU_N_GROUP * (N_DOMAIN + N_CHANNEL + N_OUTCOME + N_STATE_SERIES) +
                            N_LEVEL * N_CHANNEL * N_OUTCOME) * 8;
    /* citizens, plus message and appeal buffers (a few per cent of citizens a day) */
    return n * CITIZEN_BYTES + n / 8 * sizeof(tyndau_msg) + series + ((size_t)64 << 20);
}

static int threads_available(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int tyndau_model_threads_for(size_t n_agents, int available)
{
    size_t n = n_agents / TYNDAU_AGENTS_PER_THREAD;
    if (n < 1) n = 1;
    return available < 1 ? 1 : n < (size_t)available ? (int)n : available;
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

tyndau_model *tyndau_model_new(const tyndau_params *p, size_t n_agents, uint64_t seed, tyndau_error *err)
{
    if (tyndau_params_check(p, err) != TYNDAU_OK) return NULL;
    if (n_agents == 0 || n_agents > UINT32_MAX - 1) {
        TYNDAU_ERR(err, TYNDAU_EINPUT, "agents: expected 1 to %u, got %zu", UINT32_MAX - 1, n_agents);
        return NULL;
    }
    tyndau_model *m = tyndau_calloc(1, sizeof *m);
    if (m == NULL) {
        TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
        return NULL;
    }
    m->p0 = *p;
    /* today's parameters: the changes dated on start_date are in force from the start */
    tyndau_params_on(p, p->start_date, &m->p);
    while (m->next_change < p->n_changes && p->changes[m->next_change].date <= p->start_date) m->next_change++;
    m->seed = seed;
    m->c.n = n_agents;
    m->scale = (double)p->population_national / (double)n_agents;
    m->n_days = p->end_date - p->start_date + 1;
    m->survey_day = p->survey_date - p->start_date;
    m->n_blocks = (n_agents + TYNDAU_BLOCK - 1) / TYNDAU_BLOCK;
    m->n_threads = threads_available();
    if ((size_t)m->n_threads > m->n_blocks) m->n_threads = (int)m->n_blocks; /* a thread is given a block or more */
    m->key_citizen = tyndau_mix64(tyndau_mix64(seed) ^ KEY_CITIZEN);
    m->key_ties = tyndau_mix64(seed ^ KEY_TIES);
    m->key_acquaintance = tyndau_mix64(tyndau_mix64(seed) ^ KEY_ACQUAINTANCE);
    tyndau_zig_init(&m->zig);
    m->cal = tyndau_calloc(m->n_blocks, sizeof *m->cal);
    m->block_out = tyndau_calloc(m->n_blocks, sizeof *m->block_out);
    m->block_appeals = tyndau_calloc(m->n_blocks, sizeof *m->block_appeals);
    m->inbox_start = tyndau_calloc(m->n_blocks + 1, sizeof *m->inbox_start);
    m->thread_counts = tyndau_calloc((size_t)m->n_threads, sizeof *m->thread_counts);
    size_t per_day = TYNDAU_N_GROUP;
    size_t nd = (size_t)m->n_days;
    m->s_problems = tyndau_calloc(nd * per_day * N_DOMAIN, sizeof(int64_t));
    m->s_choices = tyndau_calloc(nd * per_day * N_CHANNEL, sizeof(int64_t));
    m->s_outcomes = tyndau_calloc(nd * per_day * N_OUTCOME, sizeof(int64_t));
    m->s_state = tyndau_calloc(nd * per_day * N_STATE_SERIES, sizeof(int64_t));
    m->s_decided = tyndau_calloc(nd * N_LEVEL * N_CHANNEL * N_OUTCOME, sizeof(int64_t));
    if (!m->cal || !m->block_out || !m->block_appeals || !m->inbox_start || !m->thread_counts ||
        !m->s_problems || !m->s_choices || !m->s_outcomes || !m->s_state || !m->s_decided) {
        TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for %zu agents", n_agents);
        tyndau_model_free(m);
        return NULL;
    }
    double dw[N_DOMAIN] = {p->domain_weight_health, p->domain_weight_education, p->domain_weight_employment,
                           p->domain_weight_police, p->domain_weight_land, p->domain_weight_housing};
    double dsum = 0;
    for (int d = 0; d < N_DOMAIN; d++) dsum += dw[d];
    if (dsum <= 0.0) {
        TYNDAU_ERR(err, TYNDAU_EINPUT, "keys 'domain_weight_*': expected at least one positive weight");
        tyndau_model_free(m);
        return NULL;
    }
    m->domain_table = gsl_ran_discrete_preproc(N_DOMAIN, dw);
    if (m->domain_table != NULL) tyndau_choice_derived(m); /* the choice's tables (citizen.c) */
    if (m->domain_table == NULL || tyndau_schedule_init(m, err) != TYNDAU_OK ||
        tyndau_population_init(m, err) != TYNDAU_OK || tyndau_offices_init(m, err) != TYNDAU_OK) {
        if (m->domain_table == NULL) TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
        tyndau_model_free(m);
        return NULL;
    }
    return m;
}

void tyndau_model_free(tyndau_model *m)
{
    if (m == NULL) return;
    tyndau_citizens_free(&m->c);
    if (m->cal)
        for (size_t b = 0; b < m->n_blocks; b++) tyndau_calendar_free(&m->cal[b]);
    free(m->cal);
    if (m->block_out)
        for (size_t b = 0; b < m->n_blocks; b++) free(m->block_out[b].v);
    free(m->block_out);
    if (m->block_appeals)
        for (size_t b = 0; b < m->n_blocks; b++) free(m->block_appeals[b].v);
    free(m->block_appeals);
    free(m->inbox);
    free(m->inbox_start);
    tyndau_schedule_free(m);
    gsl_ran_discrete_t *tables[] = {m->domain_table, m->ties_table[0], m->ties_table[1], m->skill_table[0],
                                    m->skill_table[1], m->skill_table[2], m->severity_table};
    for (size_t k = 0; k < sizeof tables / sizeof *tables; k++)
        if (tables[k]) gsl_ran_discrete_free(tables[k]);
    for (size_t k = 0; k < N_LEVEL * 2 * 2; k++)
        if ((&m->prior_table[0][0][0])[k]) gsl_ran_discrete_free((&m->prior_table[0][0][0])[k]);
    tyndau_offices_free(m);
    free(m->thread_counts);
    free(m->s_problems);
    free(m->s_choices);
    free(m->s_outcomes);
    free(m->s_state);
    free(m->s_decided);
    free(m->survey);
    tyndau_targets_free(&m->targets);
    free(m);
}

/* Count a buffer's messages by target block (start[block + 1]). */
static void count_targets(const tyndau_msgbuf *buf, size_t *start)
{
    for (size_t k = 0; k < buf->n; k++) start[buf->v[k].target / TYNDAU_BLOCK + 1]++;
}

/* Move a buffer's messages to their blocks' cursors in the inbox, and empty it. */
static void scatter(tyndau_msgbuf *buf, tyndau_msg *inbox, size_t *cursor)
{
    for (size_t k = 0; k < buf->n; k++) inbox[cursor[buf->v[k].target / TYNDAU_BLOCK]++] = buf->v[k];
    buf->n = 0;
}

/* Phase "deliver": yesterday's messages into today's per-block inbox, a stable counting
 * sort over the sources in a fixed order (blocks, then offices). */
static int deliver(tyndau_model *m)
{
    size_t total = 0;
    for (size_t b = 0; b < m->n_blocks; b++) total += m->block_out[b].n;
    for (int k = 0; k < m->n_offices; k++) total += m->office[k].out.n;
    if (total > m->inbox_cap) {
        size_t cap = total + total / 2;
        tyndau_msg *v = tyndau_reallocarray(m->inbox, cap, sizeof *v);
        if (v == NULL) return -1;
        m->inbox = v;
        m->inbox_cap = cap;
    }
    size_t *start = m->inbox_start;
    memset(start, 0, (m->n_blocks + 1) * sizeof *start);
    for (size_t b = 0; b < m->n_blocks; b++) count_targets(&m->block_out[b], start);
    for (int o = 0; o < m->n_offices; o++) count_targets(&m->office[o].out, start);
    for (size_t b = 0; b < m->n_blocks; b++) start[b + 1] += start[b];
    /* fill using start[] as cursors, then shift back */
    for (size_t b = 0; b < m->n_blocks; b++) scatter(&m->block_out[b], m->inbox, start);
    for (int o = 0; o < m->n_offices; o++) scatter(&m->office[o].out, m->inbox, start);
    for (size_t b = m->n_blocks; b > 0; b--) start[b] = start[b - 1];
    start[0] = 0;
    return 0;
}

/* Phase "record": sum the threads' daily counters into day d of the series. */
static int record(tyndau_model *m, int d)
{
    size_t G = TYNDAU_N_GROUP, dd = (size_t)d;
    int64_t *prob = m->s_problems + dd * G * N_DOMAIN, *cho = m->s_choices + dd * G * N_CHANNEL;
    int64_t *out = m->s_outcomes + dd * G * N_OUTCOME, *st = m->s_state + dd * G * N_STATE_SERIES;
    const int64_t *prev = d > 0 ? m->s_state + (dd - 1) * G * N_STATE_SERIES : &m->s_state0[0][0];
    memcpy(st, prev, G * N_STATE_SERIES * sizeof *st);
    int64_t *dec = m->s_decided + dd * N_LEVEL * N_CHANNEL * N_OUTCOME;
    int failed = 0;
    for (int t = 0; t < m->n_threads; t++) {
        tyndau_day_counts *c = &m->thread_counts[t];
        for (size_t k = 0; k < N_LEVEL * N_CHANNEL * N_OUTCOME; k++) dec[k] += (&c->day.decided[0][0][0])[k];
        for (size_t g = 0; g < G; g++) {
            for (int k = 0; k < N_DOMAIN; k++) prob[g * N_DOMAIN + (size_t)k] += c->day.problems[g][k];
            for (int k = 0; k < N_CHANNEL; k++) cho[g * N_CHANNEL + (size_t)k] += c->day.choices[g][k];
            for (int k = 0; k < N_OUTCOME; k++) out[g * N_OUTCOME + (size_t)k] += c->day.outcomes[g][k];
            for (int k = 0; k < N_STATE_SERIES; k++) st[g * N_STATE_SERIES + (size_t)k] += c->day.state[g][k];
        }
        failed |= c->alloc_failed;
        c->alloc_failed = 0;
        memset(&c->day, 0, sizeof c->day);
    }
    return failed ? -1 : 0;
}

/* Phase "change": at the start of a day, the dated changes of that day take effect;
 * what the model derived from the parameters it reads at events is derived again
 * (the per-day tables already hold every day's rates). */
static void apply_changes(tyndau_model *m, int d)
{
    int date = m->p0.start_date + d, any = 0;
    for (; m->next_change < m->p0.n_changes && m->p0.changes[m->next_change].date <= date; m->next_change++) {
        const tyndau_change *c = &m->p0.changes[m->next_change];
        tyndau_params_put(&m->p, (size_t)c->param, c->value);
        any = 1;
    }
    if (!any) return;
    tyndau_choice_derived(m);
    tyndau_schedule_derived(m);
    tyndau_offices_capacity(m);
    tyndau_offices_traits(m);
}

/*
 * The day loop's threads (team.h): one parallel region for the whole run, whose phases
 * are, day by day, the citizen blocks (a few blocks an item) and the offices (one an
 * item), and on the survey's day the survey's population sums; the serial phases of the
 * day (dated changes, deliver, submit, escalate, record, the survey's start and end) run
 * between them, in whichever thread finishes a phase's last item.  What they write is read
 * only by the items of the phases they open.
 */
typedef enum { PH_BLOCKS, PH_OFFICES, PH_SURVEY } phase_kind;

#define SURVEY_ITEM ((size_t)4 * TYNDAU_BLOCK) /* citizens per item of the survey's sums */

typedef struct {
    tyndau_model *m;
    int day;           /* the day running */
    int end;           /* the day after the step's last */
    phase_kind kind;   /* of the phase open now */
    int started;
    long block_chunk;  /* blocks per item, for the first `chunked` items; one per item after them, */
    long chunked, block_items; /* so that the thread that finishes a phase waits for one block at most */
    tyndau_survey_work *survey;
    const char *failed; /* what a serial phase ran out of memory for, or NULL */
    int failed_day;
    tyndau_status survey_status;
    tyndau_error *err;
    tyndau_progress_fn progress;
    void *user;
    int stopped; /* the caller's stop flag was set at the end of a day */
} day_job;

static long fail(day_job *j, const char *what)
{
    j->failed = what;
    j->failed_day = j->day;
    return -1;
}

/* The day's dated changes and yesterday's messages; its blocks come next. */
static long open_day(day_job *j)
{
    tyndau_model *m = j->m;
    if (j->day >= j->end) return -1;
    apply_changes(m, j->day);
    if (deliver(m) != 0) return fail(j, "messages");
    j->kind = PH_BLOCKS;
    return j->block_items;
}

static long day_open(void *arg)
{
    day_job *j = arg;
    tyndau_model *m = j->m;
    if (!j->started) {
        j->started = 1;
        return open_day(j);
    }
    int d = j->day;
    switch (j->kind) {
    case PH_BLOCKS: { /* the day's appeals into their offices' queues, block by block */
        int failed = 0;
        for (size_t b = 0; b < m->n_blocks; b++) {
            tyndau_appealbuf *ab = &m->block_appeals[b];
            for (size_t k = 0; k < ab->n; k++) failed |= tyndau_office_enqueue(&m->office[ab->v[k].office], &ab->v[k]);
            ab->n = 0;
        }
        if (failed) return fail(j, "office queues");
        j->kind = PH_OFFICES;
        return m->n_offices;
    }
    case PH_OFFICES:
        if (tyndau_offices_escalate(m) != 0) return fail(j, "office queues");
        if (record(m, d) != 0) return fail(j, "buffers");
        m->day = d + 1;
        if (d == m->survey_day) {
            if ((j->survey = tyndau_survey_begin(m)) == NULL) return fail(j, "the survey");
            j->kind = PH_SURVEY;
            return (long)((m->c.n + SURVEY_ITEM - 1) / SURVEY_ITEM);
        }
        break;
    case PH_SURVEY:
        j->survey_status = tyndau_survey_end(m, j->survey, j->err);
        j->survey = NULL;
        if (j->survey_status != TYNDAU_OK) return -1;
        break;
    }
    if (j->progress) j->progress(d + 1, m->n_days, j->user);
    j->day = d + 1;
    if (m->stop != NULL && *m->stop != 0 && j->day < j->end) { /* the caller's flag: the step ends here */
        j->stopped = 1;
        return -1;
    }
    return open_day(j);
}

static void day_work(void *arg, int tid, long k)
{
    day_job *j = arg;
    tyndau_model *m = j->m;
    tyndau_day_counts *cnt = &m->thread_counts[tid];
    switch (j->kind) {
    case PH_BLOCKS: { /* item k: block_chunk blocks, the phase's last items one block each */
        long b = k < j->chunked ? k * j->block_chunk : j->chunked * j->block_chunk + (k - j->chunked);
        long e = k < j->chunked ? b + j->block_chunk : b + 1;
        for (; b < e; b++) tyndau_block_day(m, (size_t)b, j->day, cnt);
        break;
    }
    case PH_OFFICES: tyndau_office_day(m, &m->office[k], j->day, cnt); break;
    case PH_SURVEY: {
        size_t i0 = (size_t)k * SURVEY_ITEM, i1 = i0 + SURVEY_ITEM < m->c.n ? i0 + SURVEY_ITEM : m->c.n;
        tyndau_survey_part(m, j->survey, tid, i0, i1);
        break;
    }
    }
}

/* The run's totals, once its last day is done: the threads' counters (integers, so the order of
 * the steps and of the threads does not matter) and the citizens' histograms. */
static void finish(tyndau_model *m);

tyndau_status tyndau_model_run(tyndau_model *m, tyndau_progress_fn progress, void *user, tyndau_error *err)
{
    if (m->day != 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "tyndau_model_run called twice on one model");
    return tyndau_model_step(m, m->n_days, progress, user, err);
}

int tyndau_model_days_done(const tyndau_model *m) { return m->day; }

void tyndau_model_set_stop(tyndau_model *m, const volatile sig_atomic_t *stop) { m->stop = stop; }

/* Steps run the same day loop as one run, over [day, day + days): a day's phases do not know
 * where a step began, so steps that cover the run give the run's results bit for bit. */
tyndau_status tyndau_model_step(tyndau_model *m, int days, tyndau_progress_fn progress, void *user, tyndau_error *err)
{
    if (days < 1) return TYNDAU_ERR(err, TYNDAU_EINPUT, "days: expected 1 or more, got %d", days);
    if (m->day >= m->n_days)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "days: the run is over (all %d days done)", m->n_days);
    day_job j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.day = m->day;
    j.end = days < m->n_days - m->day ? m->day + days : m->n_days;
    j.err = err;
    j.progress = progress;
    j.user = user;
    j.survey_status = TYNDAU_OK;
    long nb = (long)m->n_blocks, chunk = nb / (32L * m->n_threads), tail = 4L * m->n_threads;
    j.block_chunk = chunk < 1 ? 1 : chunk > 8 ? 8 : chunk;
    j.chunked = nb > tail ? (nb - tail) / j.block_chunk : 0;
    j.block_items = j.chunked + (nb - j.chunked * j.block_chunk);
    tyndau_team_job job = {day_open, day_work, &j};
    tyndau_team team;
    if (tyndau_team_init(&team, &job, m->n_threads) != 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "cannot start the day loop's threads");
    if (m->n_threads == 1)
        tyndau_team_work(&team, 0);
    else {
#pragma omp parallel num_threads(m->n_threads)
        tyndau_team_work(&team, thread_id());
    }
    tyndau_team_destroy(&team);
    if (j.survey_status != TYNDAU_OK) return j.survey_status;
    if (j.failed != NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory for %s on day %d", j.failed, j.failed_day);
    if (j.stopped) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "stopped after day %d of %d", m->day, m->n_days);
    if (m->day == m->n_days) finish(m);
    return TYNDAU_OK;
}

static void finish(tyndau_model *m)
{
    for (int t = 0; t < m->n_threads; t++) {
        tyndau_day_counts *c = &m->thread_counts[t];
        for (int ch = 0; ch < N_CHANNEL; ch++) {
            for (int k = 0; k < N_OUTCOME; k++) m->outcome_channel[ch][k] += c->run.outcome_channel[ch][k];
            for (int k = 0; k < TYNDAU_WAIT_MAX; k++) m->wait_hist[ch][k] += c->run.wait[ch][k];
        }
        for (int g = 0; g < TYNDAU_N_GROUP; g++) {
            for (int k = 0; k < TYNDAU_WAIT_MAX; k++) m->wait_group_hist[g][k] += c->run.wait_group[g][k];
            for (int ch = 0; ch < N_CHANNEL; ch++)
                for (int k = 0; k < N_OUTCOME; k++) m->outcome_group_channel[g][ch][k] += c->run.outcome_group_channel[g][ch][k];
        }
        for (int ch = 0; ch < N_CHANNEL; ch++) {
            for (int k = 0; k < TYNDAU_WAIT_MAX; k++) m->resolve_wait_hist[ch][k] += c->run.resolve_wait[ch][k];
            for (int o = 0; o < N_OUTCOME; o++)
                for (int k = 0; k < TYNDAU_ANSWER_WD_MAX; k++) m->answer_wd[ch][o][k] += c->run.answer_wd[ch][o][k];
            for (int k = 0; k < TYNDAU_ANSWER_WD_MAX; k++) m->answer_wd_year[ch][k] += c->run.answer_wd_year[ch][k];
            for (int k = 0; k < N_DECISION; k++) {
                m->decisions[ch][k] += c->run.decisions[ch][k];
                m->decisions_year[ch][k] += c->run.decisions_year[ch][k];
            }
        }
        m->escalated += c->run.escalated;
        m->told += c->run.told;
        for (int e = 0; e < N_EVENT; e++) m->events[e] += c->run.events[e];
        memset(&c->run, 0, sizeof c->run);
    }
    for (int k = 0; k < m->n_offices; k++) m->events[EVT_CASE] += (int64_t)(m->office[k].processed + m->office[k].escalated);
    m->messages = m->events[EVT_MESSAGE];
    m->retries = m->events[EVT_RETRY];
    for (size_t i = 0; i < m->c.n; i++) {
        unsigned a = m->c.s[i].appeals, b = m->c.s[i].bribes;
        m->appeals_hist[a < TYNDAU_COUNT_MAX ? a : TYNDAU_COUNT_MAX - 1]++;
        m->bribes_hist[b < TYNDAU_COUNT_MAX ? b : TYNDAU_COUNT_MAX - 1]++;
        m->anchor_decided += (m->c.s[i].problem & PROBLEM_ANCHOR_DECIDED) != 0;
        m->anchor_bribe += (m->c.s[i].problem & PROBLEM_ANCHOR_BRIBE) != 0;
    }
}

/* A change between steps is a dated change on the next day to run, recorded in the
 * parameters as given (so the output file holds it as a scenario's [from DATE] section would)
 * and applied by that day's phase "change". */
tyndau_status tyndau_model_set(tyndau_model *m, const char *name, const char *value, tyndau_error *err)
{
    if (m->day >= m->n_days) return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': the run is over, nothing left to change", name);
    /* on start_date a scenario's change is in force when the citizens and offices are created;
       here they exist already */
    if (m->day == 0)
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "key '%s': no day has run yet: set it in the scenario (an override, or Scenario.set) "
                          "rather than between steps",
                          name);
    tyndau_params v = m->p;
    if (tyndau_params_set(&v, name, value, err) != TYNDAU_OK) return TYNDAU_EINPUT;
    size_t i = (size_t)tyndau_params_find(name);
    int date = m->p0.start_date + m->day;
    tyndau_params q = m->p0;
    if (tyndau_params_add_change(&q, date, i, tyndau_params_get(&v, i), err) != TYNDAU_OK) return TYNDAU_EINPUT;
    if (tyndau_params_check(&q, err) != TYNDAU_OK) return TYNDAU_EINPUT;
    int same = tyndau_schedule_same(m, &q);
    if (same < 0) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    if (!same) {
        char when[16];
        tyndau_date_format(date, when, sizeof when);
        return TYNDAU_ERR(err, TYNDAU_EINPUT,
                          "key '%s': cannot change between steps: it sets the schedule's daily rates, from which "
                          "events are drawn ahead; give it as a dated change of the scenario ([from %s] %s = %s)",
                          name, when, name, value);
    }
    m->p0 = q;
    return TYNDAU_OK;
}

tyndau_status tyndau_model_set_targets(tyndau_model *m, const tyndau_targets *t, tyndau_error *err)
{
    tyndau_targets_free(&m->targets);
    m->targets.cells = tyndau_calloc(t->n, sizeof *t->cells);
    if (m->targets.cells == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "out of memory");
    memcpy(m->targets.cells, t->cells, t->n * sizeof *t->cells);
    m->targets.n = t->n;
    m->have_targets = 1;
    return TYNDAU_OK;
}

const tyndau_params *tyndau_model_params(const tyndau_model *m) { return &m->p0; }
const tyndau_params *tyndau_model_params_now(const tyndau_model *m) { return &m->p; }
size_t tyndau_model_agents(const tyndau_model *m) { return m->c.n; }
int tyndau_model_days(const tyndau_model *m) { return m->n_days; }

uint64_t tyndau_model_total_problems(const tyndau_model *m)
{
    uint64_t s = 0;
    for (size_t d = 0; d < (size_t)m->n_days; d++)
        for (int k = 0; k < N_DOMAIN; k++) s += (uint64_t)m->s_problems[d * TYNDAU_N_GROUP * N_DOMAIN + (size_t)k];
    return s;
}

void tyndau_model_state_total(const tyndau_model *m, int day, int64_t out[N_CONCEPT + N_PLATFORM])
{
    const int64_t *row = m->s_state + (size_t)day * TYNDAU_N_GROUP * N_STATE_SERIES; /* group 0: total */
    for (int k = 0; k < N_CONCEPT + N_PLATFORM; k++) out[k] = row[k];
}

uint64_t tyndau_model_total_retries(const tyndau_model *m) { return (uint64_t)m->retries; }
uint64_t tyndau_model_events(const tyndau_model *m, tyndau_event e) { return (uint64_t)m->events[e]; }
uint64_t tyndau_model_total_escalated(const tyndau_model *m) { return (uint64_t)m->escalated; }

void tyndau_model_office_totals(const tyndau_model *m, uint64_t *received, uint64_t *processed,
                                uint64_t *escalated, uint64_t *queued)
{
    *received = *processed = *escalated = *queued = 0;
    for (int k = 0; k < m->n_offices; k++) {
        *received += m->office[k].received;
        *processed += m->office[k].processed;
        *escalated += m->office[k].escalated;
        *queued += tyndau_office_pending(&m->office[k]);
    }
}

uint64_t tyndau_model_total_extended(const tyndau_model *m)
{
    uint64_t s = 0;
    for (int k = 0; k < m->n_offices; k++) s += m->office[k].extended;
    return s;
}

int64_t tyndau_model_day_choices(const tyndau_model *m, int day, tyndau_channel c)
{
    if (day < 0 || day >= m->n_days) return 0;
    return m->s_choices[(size_t)day * TYNDAU_N_GROUP * N_CHANNEL + (size_t)c];
}

int64_t tyndau_model_day_decided(const tyndau_model *m, int day, tyndau_level l, tyndau_channel c, tyndau_outcome o)
{
    if (day < 0 || day >= m->n_days) return 0;
    return m->s_decided[(((size_t)day * N_LEVEL + (size_t)l) * N_CHANNEL + (size_t)c) * N_OUTCOME + (size_t)o];
}

int64_t tyndau_model_answer_wd(const tyndau_model *m, tyndau_channel c, tyndau_outcome o, int wd)
{
    return wd >= 0 && wd < TYNDAU_ANSWER_WD_MAX ? m->answer_wd[c][o][wd] : 0;
}

int64_t tyndau_model_decisions(const tyndau_model *m, tyndau_channel c, tyndau_decision k)
{
    return m->decisions[c][k];
}

uint64_t tyndau_model_total_channel(const tyndau_model *m, tyndau_channel c)
{
    uint64_t s = 0;
    for (size_t d = 0; d < (size_t)m->n_days; d++) s += (uint64_t)m->s_choices[d * TYNDAU_N_GROUP * N_CHANNEL + c];
    return s;
}

uint64_t tyndau_model_total_outcome(const tyndau_model *m, tyndau_outcome o)
{
    uint64_t s = 0;
    for (size_t d = 0; d < (size_t)m->n_days; d++) s += (uint64_t)m->s_outcomes[d * TYNDAU_N_GROUP * N_OUTCOME + o];
    return s;
}

void tyndau_model_citizen(const tyndau_model *m, size_t i, tyndau_citizen_view *v)
{
    const tyndau_citizens *c = &m->c;
    uint8_t d = c->s[i].demo, a = c->s[i].aware;
    v->age = DEMO_AGE(d);
    v->income = DEMO_INCOME(d);
    v->settlement = DEMO_SETTLEMENT(d);
    v->sex = DEMO_SEX(d);
    v->digital = DEMO_DIGITAL(d);
    v->region = c->s[i].region;
    v->skill = c->s[i].skill / 255.0;
    v->ties = c->s[i].ties;
    v->concept = AW_CONCEPT(a);
    v->cchannel = AW_CCHANNEL(a);
    v->platform = AW_PLATFORM(a);
    for (int l = 0; l < N_LEVEL; l++)
        for (int k = 0; k < 2; k++) v->evidence[l][k] = c->s[i].evidence[EV(l, k)];
    v->appeals = c->s[i].appeals;
    v->bribes = c->s[i].bribes;
    v->edu = FL_EDU(c->s[i].flags);
    v->reception = tyndau_reception(m, &c->s[i]);
    v->reception_social = tyndau_reception_soc(m, &c->s[i]);
    v->disengaged = tyndau_disengaged(&c->s[i]);
    v->contacts = tyndau_outreach_heard(m, i);
    v->anchor_decided = (c->s[i].problem & PROBLEM_ANCHOR_DECIDED) != 0;
    v->anchor_bribe = (c->s[i].problem & PROBLEM_ANCHOR_BRIBE) != 0;
}

size_t tyndau_model_tie(const tyndau_model *m, size_t i, int j) { return tyndau_tie(m, i, j); }

const tyndau_survey_row *tyndau_model_survey(const tyndau_model *m, size_t *n_rows)
{
    *n_rows = m->n_survey;
    return m->survey;
}
