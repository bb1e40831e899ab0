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

/* Serial: open phases from `phase` on until one has items (an empty phase is over as soon as
 * it opens) or the job is done, and publish it. */
static void open_next(tyndau_team *t, uint32_t phase)
{
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

/* Until the claim word has left `phase`. */
static void wait_past(tyndau_team *t, uint32_t phase)
{
    long long t0 = 0;
    for (unsigned spins = 1;; spins++) {
        if (phase_of(atomic_load_explicit(&t->claim, memory_order_acquire)) != phase) return;
        cpu_relax();
        if (spins % 64 == 0) {
            long long now = now_ns();
            if (t0 == 0)
                t0 = now;
            else if (now - t0 > TEAM_SPIN_NS)
                break;
        }
    }
    pthread_mutex_lock(&t->mu);
    atomic_fetch_add(&t->sleepers, 1); /* seq_cst: before the read of claim */
    while (phase_of(atomic_load(&t->claim)) == phase) pthread_cond_wait(&t->cv, &t->mu);
    atomic_fetch_sub(&t->sleepers, 1);
    pthread_mutex_unlock(&t->mu);
}

int tyndau_team_init(tyndau_team *t, const tyndau_team_job *job)
{
    t->job = job;
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
        wait_past(t, phase);
    }
}
