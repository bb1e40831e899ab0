/*
 * rng.h - the model's random-number streams.
 *
 * Every random number of a run comes from a counter-based stream (below) whose
 * key is derived from (run seed, kind, index) with SplitMix64: a citizen, an
 * appeal at an office, a bureaucrat's trait, the survey.  A stream is used by
 * one thread at a time, in a fixed order, so every draw is a function of the
 * seed and the model's state, whatever the thread count.
 */
#ifndef TYNDAU_RNG_H
#define TYNDAU_RNG_H

/* How the model's random numbers are made, for the files' provenance (attribute rng). */
#define TYNDAU_RNG_TEXT                                                                           \
    "counter-based SplitMix64 streams (GSL generator type tyndau_ctr): one per citizen, "        \
    "appeal, bureaucrat trait and the survey, keyed by SplitMix64(seed, kind, index)"

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of stream: one per citizen at creation, one per citizen for its life, one
 * per appeal at each office, one per bureaucrat trait, one for the survey, and those
 * of community outreach (outreach.c). */
enum {
    KEY_CITIZEN_INIT = 16,
    KEY_CITIZEN,
    KEY_APPEAL,
    KEY_TRAIT,
    KEY_SURVEY,
    KEY_OUTREACH,             /* a citizen's hearing of its locality's outreach events */
    KEY_OUTREACH_LOCALITY,    /* a locality's outreach events */
    KEY_OUTREACH_LOCALITY_OF  /* which locality a citizen lives in (a hash, no stream) */
};
/* Ties (ties.c) are hashes of (seed xor this, citizen, tie) ("ties" in ASCII). */
#define KEY_TIES 0x7469657300000000ULL

/* A kind hashed, not drawn from: whether a citizen knows someone at the akimat (offices.c). */
#define KEY_ACQUAINTANCE 48

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

/*
 * Counter-based streams ("tyndau_ctr", a GSL generator type): draw n of the stream
 * with key k is tyndau_mix64(k + n * golden ratio), i.e. SplitMix64 started at k.
 * A citizen's draws come from its own stream, keyed by (run seed, citizen), and
 * its position (how many it has drawn) is kept in the citizen's record; an
 * appeal's handling draws from a stream keyed by (run seed, office, citizen,
 * day, the citizen's position when it appealed).  So one citizen's draws do not
 * depend on how many draws any other citizen or appeal made: two runs with the
 * same seed but different parameters keep their random numbers aligned citizen by
 * citizen (common random numbers, docs/ODD.md s7.11).  A gsl_rng of this type
 * is pointed at a stream with tyndau_ctr_seek and used with every gsl_ran_*.
 */
typedef struct {
    uint64_t key, pos;
} tyndau_ctr_state;

extern const gsl_rng_type *tyndau_rng_ctr;

#define TYNDAU_CTR_GAMMA 0x9e3779b97f4a7c15ULL

/* The hot paths (a citizen's events) draw through these inline functions on a stream
 * state of their own instead of a gsl_rng: the same numbers as the GSL generator type
 * and as the GSL samplers named, without an indirect call per draw. */
static inline uint64_t tyndau_ctr_u64(tyndau_ctr_state *s)
{
    return tyndau_mix64(s->key + (s->pos++) * TYNDAU_CTR_GAMMA);
}

/* 53 random bits in [0, 1): gsl_rng_uniform on a tyndau_ctr generator */
static inline double tyndau_ctr_uniform(tyndau_ctr_state *s)
{
    return (double)(tyndau_ctr_u64(s) >> 11) * 0x1.0p-53;
}

static inline void tyndau_ctr_seek(gsl_rng *r, uint64_t key, uint64_t pos)
{
    tyndau_ctr_state *s = (tyndau_ctr_state *)r->state;
    s->key = key;
    s->pos = pos;
}

static inline uint64_t tyndau_ctr_pos(const gsl_rng *r)
{
    return ((const tyndau_ctr_state *)r->state)->pos;
}

#endif
