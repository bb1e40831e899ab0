/* rng.c - the counter-based generator type (see rng.h). */
#include "rng.h"

#define CTR_GAMMA 0x9e3779b97f4a7c15ULL

static void ctr_set(void *vs, unsigned long seed)
{
    tyndau_ctr_state *s = vs;
    s->key = tyndau_mix64((uint64_t)seed);
    s->pos = 0;
}

static uint64_t ctr_next(tyndau_ctr_state *s)
{
    return tyndau_mix64(s->key + (s->pos++) * CTR_GAMMA);
}

static unsigned long ctr_get(void *vs)
{
    return (unsigned long)(ctr_next(vs) >> 32);
}

/* 53 random bits in [0, 1) */
static double ctr_get_double(void *vs)
{
    return (double)(ctr_next(vs) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type ctr_type = {"tyndau_ctr", 0xffffffffUL, 0, sizeof(tyndau_ctr_state), ctr_set,
                                      ctr_get, ctr_get_double};
const gsl_rng_type *tyndau_rng_ctr = &ctr_type;

