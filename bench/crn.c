/*
 * bench/crn.c - how much noise common random numbers remove from a likelihood ratio.
 *
 *   crn AGENTS SEEDS DELTA...   (run from the repository root; bench/calibrate.sh builds and runs it)
 *
 * For each of SEEDS seeds s, the baseline (scenarios/baseline.ini) at parameters theta and at
 * theta' (prior_disengaged + DELTA, media_platform x (1 + DELTA)) is simulated with AGENTS
 * citizens and scored by the observation model (multinomial, the 2021 targets).  Prints, per
 * DELTA, the SD over seeds of ll(theta', s) - ll(theta, s) (same seed: common random numbers)
 * and of ll(theta', s) - ll(theta, s + 1) (independent seeds), and the SD of ll itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "calibrate/obs.h"
#include "scenario.h"
#include "tyndau.h"

static double loglik(const tyndau_params *p, const tyndau_obs *o, size_t n, uint64_t seed)
{
    tyndau_error e;
    double *prob = malloc(o->n_rows * TYNDAU_OBS_STRIDE * sizeof *prob);
    tyndau_model *m = tyndau_model_new(p, n, seed, &e);
    double ll = NAN;
    if (prob && m && tyndau_model_run(m, NULL, NULL, &e) == TYNDAU_OK &&
        tyndau_obs_extract(o, m, prob, &e) == TYNDAU_OK)
        ll = tyndau_obs_loglik(o, prob, 0.0);
    tyndau_model_free(m);
    free(prob);
    return ll;
}

static double sd(const double *x, int k)
{
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < k; i++) s += x[i], s2 += x[i] * x[i];
    return sqrt((s2 - s * s / k) / (k - 1));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: crn AGENTS SEEDS DELTA...\n");
        return 2;
    }
    size_t n = (size_t)atol(argv[1]);
    int k = atoi(argv[2]);
    tyndau_params p;
    tyndau_scenario sc = {0};
    tyndau_targets t = {NULL, 0};
    tyndau_obs o;
    tyndau_error e;
    if (tyndau_scenario_prepare(&sc, &p, "scenarios/baseline.ini", NULL, NULL, NULL, 0, &e) != TYNDAU_OK ||
        tyndau_targets_load(&t, "data/survey_2021/marginals.csv", NULL, &e) != TYNDAU_OK) {
        fprintf(stderr, "crn: %s\n", e.msg);
        return 2;
    }
    double age[4] = {p.age_share_18_29, p.age_share_30_45, p.age_share_46_60,
                     1.0 - p.age_share_18_29 - p.age_share_30_45 - p.age_share_46_60};
    if (tyndau_obs_build(&o, &t, 1200.0, age, 0.02, &e) != TYNDAU_OK) {
        fprintf(stderr, "crn: %s\n", e.msg);
        return 2;
    }
    double *a = malloc((size_t)k * sizeof *a), *b = malloc((size_t)k * sizeof *b);
    double *same = malloc((size_t)k * sizeof *same), *indep = malloc((size_t)k * sizeof *indep);
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < k; i++) a[i] = loglik(&p, &o, n, 1000 + (uint64_t)i);
    for (int d = 3; d < argc; d++) {
        double delta = atof(argv[d]);
        tyndau_params q = p;
        q.prior_disengaged += delta;
        q.media_platform *= 1.0 + delta;
#pragma omp parallel for schedule(dynamic, 1)
        for (int i = 0; i < k; i++) b[i] = loglik(&q, &o, n, 1000 + (uint64_t)i);
        for (int i = 0; i < k; i++) same[i] = b[i] - a[i], indep[i] = b[i] - a[(i + 1) % k];
        printf("crn agents=%zu seeds=%d delta=%g sd_same_seed=%.3f sd_independent=%.3f sd_loglik=%.3f\n", n, k,
               delta, sd(same, k), sd(indep, k), sd(a, k));
    }
    free(a), free(b), free(same), free(indep);
    tyndau_obs_free(&o);
    tyndau_targets_free(&t);
    tyndau_scenario_free(&sc);
    return 0;
}
