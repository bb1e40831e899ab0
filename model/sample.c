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
