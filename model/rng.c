/* rng.c - distinct per-stream seeds (see rng.h). */
#include "rng.h"

#include <stdlib.h>

#include "error.h"

typedef struct {
    unsigned long seed;
    size_t slot;
} seed_slot;

static int cmp_seed(const void *a, const void *b)
{
    const seed_slot *x = a, *y = b;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return x->slot < y->slot ? -1 : (x->slot > y->slot);
}

int tyndau_rng_seeds(uint64_t seed, const size_t counts[N_RNG_KIND], unsigned long *out)
{
    size_t total = 0;
    for (int k = 0; k < N_RNG_KIND; k++) total += counts[k];
    seed_slot *s = tyndau_calloc(total, sizeof *s);
    if (s == NULL) return -1;
    size_t j = 0;
    for (int k = 0; k < N_RNG_KIND; k++)
        for (size_t i = 0; i < counts[k]; i++, j++) {
            uint64_t h = tyndau_key(seed, (uint64_t)k, i);
            /* in [1, 2^32 - 1 - total]: the bumps below stay within 32 bits and nonzero */
            s[j].seed = 1 + (unsigned long)(((h >> 32) ^ (h & 0xffffffffu)) % (0xffffffffUL - total));
            s[j].slot = j;
        }
    /* Sort by seed (ties by slot), then bump any repeat to the next unused value.
     * The sorted order and hence the bumps depend only on the seeds. */
    qsort(s, total, sizeof *s, cmp_seed);
    for (size_t i = 1; i < total; i++)
        if (s[i].seed <= s[i - 1].seed) s[i].seed = s[i - 1].seed + 1;
    for (size_t i = 0; i < total; i++) out[s[i].slot] = s[i].seed;
    free(s);
    return 0;
}
