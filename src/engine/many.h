/*
 * many.h - the run-many layer: seeds, OpenMP and MPI distribution, failure records.
 *
 * Every command that runs many models (calibrate, compare, sweep) goes through this
 * layer, so that all of them share three guarantees:
 *
 *  - Seeds come from the root seed and the run's coordinates only
 *    (many_seed(root, a, b, c)), never from the order in which runs happen to
 *    execute, so results are identical whatever the number of threads or ranks.
 *  - Jobs are spread over MPI ranks (when the program was started by mpirun)
 *    and, within a rank, over OpenMP threads, one model per thread (small models
 *    are cheaper run side by side than split across threads).  Every rank ends
 *    with every job's results, placed by job index.
 *  - A job that fails records its status and message; the other jobs go on.
 */
#ifndef TYNDAU_MANY_H
#define TYNDAU_MANY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "prior.h"
#include "tyndau.h"

/* A job's message as recorded (in /runs/error): the start of its tyndau_error's. */
#define MANY_ERRLEN 200

typedef struct {
    int rank, size;  /* MPI rank and number of ranks (0, 1 without MPI) */
    int threads;     /* OpenMP threads per rank */
    int mpi;         /* 1 when MPI was initialised by many_init */
} many_ctx;

/* Start MPI when the environment says the program was launched by mpirun
 * (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK set); otherwise run as one process.
 * threads <= 0: OpenMP's default.  TYNDAU_EINTERNAL when MPI cannot start, or when mpirun
 * started a build without MPI (each rank would repeat the whole job). */
tyndau_status many_init(many_ctx *c, int *argc, char ***argv, int threads, tyndau_error *err);
void many_finalize(many_ctx *c);
/* Every rank gets rank 0's integer (e.g. an exit status decided there). */
int many_bcast_int(const many_ctx *c, int v);

/* A seed from a root seed and three coordinates: the model's own mixer (rng.h, SplitMix64),
 * tyndau_mix64(tyndau_key(root, a, b) ^ c); never 0. */
uint64_t many_seed(uint64_t root, uint64_t a, uint64_t b, uint64_t c);

/* The random stream of a study's own draws (priors, proposals, resampling, designs, bootstraps):
 * the model's counter-based generator (gsl_rng type tyndau_ctr, rng.h) at the 64-bit key
 * many_seed(root, a, b, c), position 0.  Every bit of the key is used (a generator seeded through
 * gsl_rng_set with a 32-bit state, such as taus2, keeps 32 of them: two of the ~10^5 streams of a
 * calibration would then coincide with probability ~1 - exp(-n^2 / 2^33)).  NULL when out of
 * memory; free with gsl_rng_free. */
gsl_rng *many_stream(uint64_t root, uint64_t a, uint64_t b, uint64_t c);

/*
 * SIGTERM and SIGINT (a cluster's time limit, Ctrl-C) while a study runs: many_catch_stop
 * installs a handler that only notes the signal (and gives the next one its default effect,
 * so a second Ctrl-C kills at once); the study looks at many_stop_signal() between batches
 * (sweep, compare) or generations (calibrate), stops there with everything done so far on disk,
 * and exits with a line that says how to continue.  The one piece of process state of the
 * program: a signal can reach nothing else.  0 when no signal came.
 */
void many_catch_stop(void);
int many_stop_signal(void);
/* The flag itself, for a loop that reads it as it goes (tyndau_model_set_stop). */
const volatile sig_atomic_t *many_stop_flag(void);
/* "SIGTERM", "SIGINT" */
const char *many_signal_name(int sig);

/* The MPI library's own version text ("none: built without MPI"), for the files' provenance. */
const char *many_mpi_version(void);

/*
 * One job: fill out[0..n_out) for job i (on any thread of any rank): TYNDAU_OK, or the status of
 * its failure with the message in *err.  Must be thread-safe: it may run concurrently with
 * other jobs.
 */
typedef tyndau_status (*many_job_fn)(size_t i, double *out, tyndau_error *err, void *user);

/* What a job takes from its finished model: out[0 .. n_out), or a failure in *err. */
typedef tyndau_status (*many_extract_fn)(const tyndau_model *m, double *out, tyndau_error *err, void *user);

/*
 * The one way a job runs one model: the parameters base with x[k] put into parameter
 * par[k].param for k < d (par[k].param < 0, a quantity that is no model parameter, is
 * skipped), checked, a model of `agents` citizens with `seed`, run, then extract.
 */
tyndau_status many_model(const tyndau_params *base, const prior_t *par, const double *x, size_t d, size_t agents,
                         uint64_t seed, many_extract_fn extract, void *user, double *out, tyndau_error *err);

/*
 * Run jobs 0..n-1: job i goes to rank i % size, and within a rank to the next free thread.
 * On return on every rank: out[i * n_out ..] holds job i's results (NaN for a failed job),
 * status[i] its status and errmsg[i] the start of its message ("" on success).  Returns the
 * number of failed jobs.
 */
size_t many_run(const many_ctx *c, size_t n, size_t n_out, many_job_fn fn, void *user, double *out,
                int *status, char (*errmsg)[MANY_ERRLEN]);

#endif
