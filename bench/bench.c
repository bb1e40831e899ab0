/*
 * bench.c - time one model configuration: create, run, write, repeated.
 *
 *   bench AGENTS THREADS REPS OUT.h5
 *
 * Prints one line of key=value figures: medians over REPS of the creation,
 * run and write times, citizen-days per second per thread, and the peak
 * resident memory of the process (one model alive at a time).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "scenario.h"
#include "tyndau.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench AGENTS THREADS REPS OUT.h5\n");
        return 2;
    }
    size_t agents = strtoul(argv[1], NULL, 10);
    int threads = atoi(argv[2]), reps = atoi(argv[3]);
    if (agents == 0 || threads < 1 || reps < 1 || reps > 99) {
        fprintf(stderr, "bench: bad arguments\n");
        return 2;
    }
    omp_set_num_threads(threads);
    /* the default parameters, checked the way every command gets its parameters */
    tyndau_params p;
    tyndau_scenario sc = {0};
    tyndau_error e;
    if (tyndau_scenario_prepare(&sc, &p, NULL, "", "(defaults)", NULL, 0, &e) != TYNDAU_OK) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return 2;
    }
    tyndau_scenario_free(&sc);
    double t_new[99], t_run[99], t_write[99], t_total[99];
    int days = 0;
    for (int k = 0; k < reps; k++) {
        tyndau_error err;
        tyndau_error_clear(&err);
        double t0 = omp_get_wtime();
        tyndau_model *m = tyndau_model_new(&p, agents, 1, &err);
        if (m == NULL) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        double t1 = omp_get_wtime();
        if (tyndau_model_run(m, NULL, NULL, &err) != TYNDAU_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        double t2 = omp_get_wtime();
        tyndau_meta meta;
        memset(&meta, 0, sizeof meta);
        meta.program = "bench";
        meta.threads = threads;
        if (tyndau_model_write(m, argv[4], &meta, &err) != TYNDAU_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        double t3 = omp_get_wtime();
        days = tyndau_model_days(m);
        tyndau_model_free(m);
        t_new[k] = t1 - t0;
        t_run[k] = t2 - t1;
        t_write[k] = t3 - t2;
        t_total[k] = t3 - t0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double total = median(t_total, reps), run = median(t_run, reps);
    printf("agents=%zu threads=%d reps=%d days=%d new_s=%.2f run_s=%.2f write_s=%.2f total_s=%.2f "
           "min_total_s=%.2f max_total_s=%.2f cd_per_s_per_thread=%.3g us_per_citizen=%.3f peak_mib=%.0f\n",
           agents, threads, reps, days, median(t_new, reps), run, median(t_write, reps), total, t_total[0],
           t_total[reps - 1], (double)agents * days / total / threads, 1e6 * total / (double)agents,
           (double)ru.ru_maxrss / 1024.0);
    return 0;
}
