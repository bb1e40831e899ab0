/*
 * team.c - threads working through phases of items without barriers (team.h).
 *
 * Two words say where the job stands: `current` = (phase, its number of items), written
 * only by the thread that opens a phase; `claim` = (phase, the next item), which every
 * thread advances with one atomic add to claim an item.  A claim whose phase is no longer
 * current, or whose item is past the phase's last, claims nothing.  `done` counts the
 * current phase's finished items; the thread that finishes the last one opens the next
 * phase: it runs job->open (the serial work between phases), clears `done`, writes
 * `current`, then `claim` (which publishes both), then wakes the sleepers.
 *
 * A thread with nothing to claim spins on `claim` for at most TEAM_SPIN_NS, then sleeps
 * on a condition variable.  Spinning briefly keeps a quiet machine's phase changes cheap
 * (the serial work between phases takes microseconds); sleeping soon frees the core when
 * the thread that must finish the phase is not running at all, so that the operating
 * system can run it there at once instead of after its time slice.  (OpenMP barriers spin
 * for about 300,000 iterations before they sleep, and every thread must reach them: that
 * is what made two threads many times slower than one on a busy machine.)
 *
 * Lost wake-ups: a sleeper registers (sleepers++) and re-reads `claim` under the mutex;
 * the opener writes `claim`, then reads `sleepers`, and broadcasts under the mutex.  Both
 * pairs are sequentially consistent, so either the sleeper sees the new phase or the
 * opener sees the sleeper.
 */
#include <time.h>

#include "team.h"

/* How long a thread with nothing to claim spins before it sleeps. */
#define TEAM_SPIN_NS 20000
#define PHASE_DONE 0xffffffffu
/* Adapting the threads that claim items: every TEAM_WINDOW phases, one fewer when the active
 * threads spent more than TEAM_IDLE_MAX of their time waiting for one another (all cores
 * taken by other programs: a thread the system does not run holds up the others at every
 * phase's end, and one thread less is faster); every TEAM_PROBE windows one more, to find out
 * whether the cores are free again (a try that fails waits twice as long for the next).  Only
 * the time changes, never a result. */
#define TEAM_WINDOW 32
#define TEAM_IDLE_MAX 0.2
#define TEAM_PROBE 8      /* windows between tries, doubled after each that fails, */
#define TEAM_PROBE_MAX 256 /* up to this */

static uint32_t phase_of(uint64_t w) { return (uint32_t)(w >> 32); }
static uint32_t index_of(uint64_t w) { return (uint32_t)w; }

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Serial: one window of phases more; the threads to claim items in the next. */
static void adapt(tyndau_team *t)
{
    if (t->n <= 1 || ++t->window_phases < TEAM_WINDOW) return;
    long long now = now_ns(), elapsed = now - t->window_t0;
    int active = atomic_load_explicit(&t->active, memory_order_relaxed);
    double idle = (double)atomic_exchange_explicit(&t->idle_ns, 0, memory_order_relaxed);
    if (active > 1 && idle > TEAM_IDLE_MAX * (double)elapsed * (double)active) {
        active--;
        t->windows_since_probe = 0;
        if (t->probing && t->probe_every < TEAM_PROBE_MAX) t->probe_every *= 2; /* the probe failed */
    } else {
        if (t->probing) t->probe_every = TEAM_PROBE; /* it held */
        if (active < t->n && ++t->windows_since_probe >= t->probe_every) {
            active++;
            t->windows_since_probe = 0;
            t->probing = 2;
        }
    }
    if (t->probing) t->probing--;
    atomic_store_explicit(&t->active, active, memory_order_relaxed);
    t->window_phases = 0;
    t->window_t0 = now;
}

/* Serial: open phases from `phase` on until one has items (an empty phase is over as soon as
 * it opens) or the job is done, and publish it. */
static void open_next(tyndau_team *t, uint32_t phase)
{
    adapt(t);
    long n;
    while ((n = t->job->open(t->job->arg)) == 0) phase++;
    if (n < 0 || phase == PHASE_DONE) {
        phase = PHASE_DONE;
        n = 0;
    }
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    atomic_store_explicit(&t->current, (uint64_t)phase << 32 | (uint64_t)n, memory_order_release);
    atomic_store(&t->claim, (uint64_t)phase << 32); /* seq_cst: before the read of sleepers */
    if (atomic_load(&t->sleepers) > 0) {
        pthread_mutex_lock(&t->mu);
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
}

/* Until the claim word has left `phase`; the time waited counts as idle when
 * `counted` (an active thread waiting for the others). */
static void wait_past(tyndau_team *t, uint32_t phase, int counted)
{
    long long t0 = counted ? now_ns() : 0;
    for (unsigned spins = 1;; spins++) {
        if (phase_of(atomic_load_explicit(&t->claim, memory_order_acquire)) != phase) goto done;
        cpu_relax();
        if (spins % 64 == 0) {
            if (t0 == 0) t0 = now_ns();
            if (now_ns() - t0 > TEAM_SPIN_NS) break;
        }
    }
    pthread_mutex_lock(&t->mu);
    atomic_fetch_add(&t->sleepers, 1); /* seq_cst: before the read of claim */
    while (phase_of(atomic_load(&t->claim)) == phase) pthread_cond_wait(&t->cv, &t->mu);
    atomic_fetch_sub(&t->sleepers, 1);
    pthread_mutex_unlock(&t->mu);
done:
    if (counted) atomic_fetch_add_explicit(&t->idle_ns, now_ns() - t0, memory_order_relaxed);
}

int tyndau_team_init(tyndau_team *t, const tyndau_team_job *job, int n)
{
    t->job = job;
    t->n = n < 1 ? 1 : n;
    atomic_init(&t->active, t->n);
    atomic_init(&t->idle_ns, 0);
    t->window_t0 = now_ns();
    t->window_phases = t->windows_since_probe = 0;
    t->probe_every = TEAM_PROBE;
    t->probing = 0;
    atomic_init(&t->claim, 0);
    atomic_init(&t->current, 0);
    atomic_init(&t->done, 0);
    atomic_init(&t->sleepers, 0);
    if (pthread_mutex_init(&t->mu, NULL) != 0) return -1;
    if (pthread_cond_init(&t->cv, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        return -1;
    }
    open_next(t, 0);
    return 0;
}

void tyndau_team_destroy(tyndau_team *t)
{
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
}

void tyndau_team_work(tyndau_team *t, int tid)
{
    for (;;) {
        if (tid >= atomic_load_explicit(&t->active, memory_order_relaxed)) { /* sitting this one out */
            uint64_t w = atomic_load_explicit(&t->claim, memory_order_acquire);
            if (phase_of(w) == PHASE_DONE) return;
            wait_past(t, phase_of(w), 0);
            continue;
        }
        uint64_t w = atomic_fetch_add_explicit(&t->claim, 1, memory_order_acquire);
        uint32_t phase = phase_of(w), k = index_of(w);
        if (phase == PHASE_DONE) return;
        uint64_t cur = atomic_load_explicit(&t->current, memory_order_acquire);
        if (phase_of(cur) == phase && k < index_of(cur)) {
            t->job->work(t->job->arg, tid, (long)k);
            if (atomic_fetch_add_explicit(&t->done, 1, memory_order_acq_rel) + 1 == (long)index_of(cur))
                open_next(t, phase + 1);
            continue;
        }
        wait_past(t, phase, 1);
    }
}
