/* rng.c - the counter-based generator type (see rng.h). */
#include "rng.h"

static void ctr_set(void *vs, unsigned long seed)
{
    tyndau_ctr_state *s = vs;
    s->key = tyndau_mix64((uint64_t)seed);
    s->pos = 0;
}

static unsigned long ctr_get(void *vs)
{
    return (unsigned long)(tyndau_ctr_u64(vs) >> 32);
}

static double ctr_get_double(void *vs) { return tyndau_ctr_uniform(vs); }

static const gsl_rng_type ctr_type = {"tyndau_ctr", 0xffffffffUL, 0, sizeof(tyndau_ctr_state), ctr_set,
                                      ctr_get, ctr_get_double};
const gsl_rng_type *tyndau_rng_ctr = &ctr_type;

