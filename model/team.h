/*
 * team.h - threads working through a sequence of phases, each a number of items, with no
 * barrier between the phases.
 *
 * A thread claims the current phase's items one at a time from a counter; the thread that
 * finishes the phase's last item runs the serial work that must come next (job->open) and
 * so opens the next phase.  A thread never waits for another thread to arrive anywhere,
 * only for items that another has claimed and not finished: one that the operating system
 * does not run (another program holds its core) delays nobody unless it holds a claim,
 * and then by at most one item.  A thread with nothing to claim spins for a few
 * microseconds, then sleeps until the next phase opens (team.c says why so briefly).
 */
#ifndef TYNDAU_TEAM_H
#define TYNDAU_TEAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct {
    /* Serial: the work between two phases, and the next phase's number of items (0 for an
     * empty phase, -1 when the job is done).  Called first before any phase. */
    long (*open)(void *arg);
    /* Item k of the phase that open last opened, in thread tid (0 .. threads - 1). */
    void (*work)(void *arg, int tid, long k);
    void *arg;
} tyndau_team_job;

typedef struct {
    const tyndau_team_job *job;
    atomic_uint_fast64_t claim;   /* phase << 32 | the next item to claim */
    atomic_uint_fast64_t current; /* phase << 32 | the phase's number of items */
    atomic_long done;             /* items of the current phase finished */
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* how many threads claim items (tid < active), adapted to what they spend waiting for one
     * another (team.c): written by the thread that opens a phase */
    int n;
    atomic_int active;
    atomic_llong idle_ns;   /* waiting at the ends of phases, by active threads, this window */
    long long window_t0;    /* when this window of phases began */
    unsigned window_phases, windows_since_probe, probe_every, probing;
} tyndau_team;

/* For n threads; opens the job's first phase (job->open, in the calling thread): -1 when the
 * team cannot be set up. */
int tyndau_team_init(tyndau_team *t, const tyndau_team_job *job, int n);
void tyndau_team_destroy(tyndau_team *t);
/* Every thread of the team calls this (with its own tid); it returns when the job is done. */
void tyndau_team_work(tyndau_team *t, int tid);

#endif
