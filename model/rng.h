/*
 * rng.h - seed derivation for the model's random-number streams.
 *
 * Every stream is a GSL generator (taus2) seeded once from (run seed, stream
 * kind, index): a citizen block, an office, the survey.  A block's stream is
 * consumed only by the thread that owns the block that day, in a fixed order,
 * so every draw is a function of (seed, stream, block, day) whatever the
 * thread count.  taus2 takes a 32-bit seed, so derived seeds are made
 * distinct within a run (tyndau_rng_seeds) rather than trusted not to collide.
 */
#ifndef TYNDAU_RNG_H
#define TYNDAU_RNG_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { RNG_INIT, RNG_BLOCK, RNG_OFFICE, RNG_SURVEY, N_RNG_KIND } tyndau_rng_kind;

/* SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer. */
static inline uint64_t tyndau_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t tyndau_key(uint64_t seed, uint64_t kind, uint64_t index)
{
    return tyndau_mix64(tyndau_mix64(tyndau_mix64(seed) ^ kind) ^ index);
}

/* Fill seeds[k][i] (k < N_RNG_KIND, i < counts[k]) with distinct nonzero 32-bit seeds
 * derived from seed; the adjustment that makes them distinct is itself deterministic.
 * out must hold sum(counts) entries, laid out kind by kind.  0 on success. */
int tyndau_rng_seeds(uint64_t seed, const size_t counts[N_RNG_KIND], unsigned long *out);

#endif
