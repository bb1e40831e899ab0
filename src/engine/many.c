/*
 * many.c - the run-many layer (see many.h).
 *
 * Distribution.  Static over ranks (job i on rank i % size), dynamic over the
 * threads of a rank (schedule(dynamic, 1): models differ in cost with their
 * parameters).  Results are exchanged with one MPI_Allreduce (sum) of
 * zero-initialised buffers: each entry is nonzero on exactly one rank, and
 * x + 0 = x exactly, so every rank ends with the same bits.  Failed jobs'
 * messages travel the same way (bitwise OR of bytes).
 */
#include "many.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef TYNDAU_MPI
#include <mpi.h>
#endif

static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMI_SIZE") != NULL ||
           getenv("PMIX_RANK") != NULL;
}

tyndau_status many_init(many_ctx *c, int *argc, char ***argv, int threads, tyndau_error *err)
{
    memset(c, 0, sizeof *c);
#ifdef __GLIBC__
    /* A process that creates and frees many models: keep freed memory for the next model
       instead of returning it to the kernel and faulting it in again (glibc's dynamic mmap
       threshold and heap trimming otherwise did that for every model: a 100-agent model took
       26 ms instead of 7.5, most of it in page faults, and the threads contended for them). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    c->size = 1;
#ifdef _OPENMP
    c->threads = threads > 0 ? threads : omp_get_max_threads();
#else
    c->threads = 1;
#endif
#ifdef TYNDAU_MPI
    if (launched_by_mpirun()) {
        int provided = 0;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "MPI_Init_thread failed");
        c->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    }
#else
    (void)argc;
    (void)argv;
    if (launched_by_mpirun() && getenv("TYNDAU_IGNORE_MPI") == NULL)
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "started by mpirun, but this build has no MPI (rebuild with "
                                                 "libopenmpi-dev installed); each rank would repeat the whole job");
#endif
    return TYNDAU_OK;
}

const char *many_mpi_version(void)
{
#ifdef TYNDAU_MPI
    static char text[MPI_MAX_LIBRARY_VERSION_STRING]; /* the library's constant text, read once */
    if (text[0] == '\0') {
        int len = 0;
        if (MPI_Get_library_version(text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "unknown");
        text[strcspn(text, "\n")] = '\0'; /* its first line: name and version */
    }
    return text;
#else
    return "none: built without MPI";
#endif
}

void many_finalize(many_ctx *c)
{
#ifdef TYNDAU_MPI
    if (c->mpi) MPI_Finalize();
#endif
    c->mpi = 0;
}

int many_bcast_int(const many_ctx *c, int v)
{
#ifdef TYNDAU_MPI
    if (c->mpi) MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    (void)c;
    return v;
}

uint64_t many_seed(uint64_t root, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = tyndau_mix64(tyndau_key(root, a, b) ^ c);
    return h ? h : 0x9E3779B97F4A7C15ull;
}

gsl_rng *many_stream(uint64_t root, uint64_t a, uint64_t b, uint64_t c)
{
    gsl_rng *r = gsl_rng_alloc(tyndau_rng_ctr);
    if (r != NULL) tyndau_ctr_seek(r, many_seed(root, a, b, c), 0);
    return r;
}

tyndau_status many_model(const tyndau_params *base, const prior_t *par, const double *x, size_t d, size_t agents,
                         uint64_t seed, many_extract_fn extract, void *user, double *out, tyndau_error *err)
{
    tyndau_params p = *base;
    for (size_t k = 0; k < d; k++)
        if (par[k].param >= 0) tyndau_params_put(&p, (size_t)par[k].param, x[k]);
    tyndau_status st = tyndau_params_check(&p, err);
    tyndau_model *m = st == TYNDAU_OK ? tyndau_model_new(&p, agents, seed, err) : NULL;
    if (st == TYNDAU_OK && m == NULL) st = err->status != TYNDAU_OK ? err->status : TYNDAU_EINTERNAL;
    if (st == TYNDAU_OK) st = tyndau_model_run(m, NULL, NULL, err);
    if (st == TYNDAU_OK) st = extract(m, out, err, user);
    tyndau_model_free(m);
    return st;
}

size_t many_run(const many_ctx *c, size_t n, size_t n_out, many_job_fn fn, void *user, double *out,
                int *status, char (*errmsg)[MANY_ERRLEN])
{
    memset(out, 0, n * n_out * sizeof *out);
    memset(status, 0, n * sizeof *status);
    memset(errmsg, 0, n * sizeof *errmsg);
    size_t mine = c->size > 1 ? (n + (size_t)(c->size - 1 - c->rank)) / (size_t)c->size : n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(c->threads)
    for (size_t j = 0; j < mine; j++) {
        size_t i = j * (size_t)c->size + (size_t)c->rank;
#ifdef _OPENMP
        omp_set_num_threads(1); /* the model inside runs on this thread alone */
#endif
        tyndau_error err;
        tyndau_error_clear(&err);
        tyndau_status st = fn(i, out + i * n_out, &err, user);
        if (st != TYNDAU_OK) {
            status[i] = (int)st;
            if (err.msg[0] != '\0') /* the start of the message: what the file records */
                snprintf(errmsg[i], MANY_ERRLEN, "%.*s", MANY_ERRLEN - 1, err.msg);
            else
                snprintf(errmsg[i], MANY_ERRLEN, "job %zu failed (status %d)", i, (int)st);
        }
    }
#ifdef TYNDAU_MPI
    if (c->mpi && c->size > 1) {
        MPI_Allreduce(MPI_IN_PLACE, out, (int)(n * n_out), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, status, (int)n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, errmsg, (int)(n * MANY_ERRLEN), MPI_BYTE, MPI_BOR, MPI_COMM_WORLD);
    }
#endif
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (status[i] != 0) {
            failed++;
            for (size_t k = 0; k < n_out; k++) out[i * n_out + k] = NAN;
        }
    }
    return failed;
}

/* ---- stopping on a signal ---- */

static volatile sig_atomic_t stop_signal; /* the program's, not the library's (many.h says why) */

static void on_stop(int sig)
{
    stop_signal = sig;
    struct sigaction dfl; /* the second signal: the default, at once (sigaction is async-signal-safe) */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
}

void many_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

int many_stop_signal(void) { return (int)stop_signal; }

const volatile sig_atomic_t *many_stop_flag(void) { return &stop_signal; }

const char *many_signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal"; }
