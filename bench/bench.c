/*
 * bench.c - time one model configuration: create, run, write, repeated.
 *
 *   bench AGENTS THREADS REPS OUT.h5
 *
 * Prints one line of key=value figures: medians over REPS of the creation, run and write
 * times, the events the day loop handled (tyndau_model_events) and the run's cost per event,
 * creation's cost per citizen, citizen-days per second per thread, the survey's share of
 * the run (from the progress callback's clock: the survey's day less a median day), and
 * the peak resident memory of the process (one model alive at a time).
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

/* the clock at the end of each day (progress is called after day d - 1 as d) */
typedef struct {
    double *t;
    int n;
} clock_log;

static void on_progress(int day, int n_days, void *user)
{
    clock_log *c = user;
    if (day >= 0 && day <= n_days && day < c->n) c->t[day] = omp_get_wtime();
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
    tyndau_error perr;
    if (tyndau_scenario_prepare(&sc, &p, NULL, "", "(defaults)", NULL, 0, &perr) != TYNDAU_OK) {
        fprintf(stderr, "bench: %s\n", perr.msg);
        return 2;
    }
    tyndau_scenario_free(&sc);
    double t_new[99], t_run[99], t_write[99], t_total[99], t_survey[99];
    int days = 0;
    uint64_t events = 0;
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
        days = tyndau_model_days(m);
        clock_log cl = {calloc((size_t)days + 2, sizeof(double)), days + 2};
        if (cl.t == NULL) return 1;
        if (tyndau_model_run(m, on_progress, &cl, &err) != TYNDAU_OK) {
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
        events = 0;
        for (int e = 0; e < N_EVENT; e++) events += tyndau_model_events(m, (tyndau_event)e);
        /* the survey: its day (the last, for the baseline) less the median of the other days */
        int sd = p.survey_date - p.start_date;
        double *dt = calloc((size_t)days, sizeof *dt);
        int nd = 0;
        for (int d = 1; d < days; d++)
            if (d != sd) dt[nd++] = cl.t[d + 1] - cl.t[d];
        t_survey[k] = sd >= 1 && sd < days && nd > 0 ? cl.t[sd + 1] - cl.t[sd] - median(dt, nd) : 0.0;
        free(dt);
        free(cl.t);
        tyndau_model_free(m);
        t_new[k] = t1 - t0;
        t_run[k] = t2 - t1;
        t_write[k] = t3 - t2;
        t_total[k] = t3 - t0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double total = median(t_total, reps), run = median(t_run, reps), new_s = median(t_new, reps);
    double survey = median(t_survey, reps);
    printf("agents=%zu threads=%d reps=%d days=%d new_s=%.3f run_s=%.3f survey_s=%.3f write_s=%.3f total_s=%.3f "
           "min_total_s=%.3f max_total_s=%.3f events=%llu ns_per_event=%.1f ns_per_event_days=%.1f "
           "ns_per_citizen_new=%.1f cd_per_s_per_thread=%.3g us_per_citizen=%.3f peak_mib=%.0f\n",
           agents, threads, reps, days, new_s, run, survey, median(t_write, reps), total, t_total[0],
           t_total[reps - 1], (unsigned long long)events, 1e9 * run / (double)events,
           1e9 * (run - survey) / (double)events, 1e9 * new_s / (double)agents,
           (double)agents * days / total / threads, 1e6 * total / (double)agents, (double)ru.ru_maxrss / 1024.0);
    return 0;
}
