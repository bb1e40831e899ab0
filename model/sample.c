/* sample.c - the ziggurat's tables (see sample.h). */
#include <math.h>

#include "sample.h"

/* Marsaglia & Tsang (2000), 256 layers of area V under exp(-x); R is the base strip's right
 * edge, beyond which lies the tail. */
#define ZIG_R 7.69711747013104972
#define ZIG_V 3.949659822581572e-3

void tyndau_zig_init(tyndau_zig *z)
{
    double x[TYNDAU_ZIG_N + 1];
    x[0] = ZIG_V / exp(-ZIG_R); /* the base strip, tail included, as a rectangle of area V */
    x[1] = ZIG_R;
    for (int i = 1; i < TYNDAU_ZIG_N - 1; i++) x[i + 1] = -log(ZIG_V / x[i] + exp(-x[i]));
    x[TYNDAU_ZIG_N] = 0.0;
    for (int i = 0; i < TYNDAU_ZIG_N; i++) {
        z->k[i] = (uint64_t)(x[i + 1] / x[i] * 0x1.0p53);
        z->w[i] = x[i] * 0x1.0p-53;
    }
    for (int i = 0; i <= TYNDAU_ZIG_N; i++) z->f[i] = exp(-x[i]);
    z->r = ZIG_R;
}

double tyndau_zig_exp_slow(const tyndau_zig *z, tyndau_ctr_state *s, unsigned i, double x)
{
    for (;;) {
        if (i == 0) return z->r - log1p(-tyndau_ctr_uniform(s));
        if (z->f[i] + tyndau_ctr_uniform(s) * (z->f[i + 1] - z->f[i]) < exp(-x)) return x;
        uint64_t b = tyndau_ctr_u64(s);
        i = (unsigned)(b & (TYNDAU_ZIG_N - 1));
        uint64_t j = b >> 11;
        x = (double)(int64_t)j * z->w[i];
        if (j < z->k[i]) return x;
    }
}
