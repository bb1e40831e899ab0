/*
 * prior.c - parameter distributions (see prior.h).
 */
#include "prior.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

const char *const shape_names[N_SHAPE] = {"uniform", "loguniform", "normal"};

/* "uniform LO HI" | "loguniform LO HI" | "normal MEAN SD [LO HI]" */
int prior_parse_real(const char *s, double *out)
{
    char *end;
    /* decimal only, as the scenario reader: strtod would take "0x1p-3" too */
    if (strpbrk(s, "xX") != NULL) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return -1;
    while (*end == ' ' || *end == '\t') end++;
    if (*end != '\0') return -1;
    *out = v;
    return 0;
}

tyndau_status prior_parse(prior_t *pr, const char *key, const char *value, double pmin, double pmax,
                          tyndau_error *err)
{
    char shape[32];
    double v[4];
    int n = 0, used = 0;
    if (sscanf(value, "%31s%n", shape, &used) != 1)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected a prior 'uniform LO HI', 'loguniform LO HI' or "
                        "'normal MEAN SD [LO HI]', got '%s'", key, value);
    const char *s = value + used;
    char tok[64];
    while (n < 5 && sscanf(s, "%63s%n", tok, &used) == 1) {
        double x;
        if (n == 4 || prior_parse_real(tok, &x) != 0)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected numbers after '%s', got '%s'", key, shape, tok);
        v[n++] = x;
        s += used;
    }
    snprintf(pr->name, sizeof pr->name, "%s", key);
    pr->line = 0;
    if (strcmp(shape, "uniform") == 0 || strcmp(shape, "loguniform") == 0) {
        pr->shape = shape[0] == 'u' ? SH_UNIFORM : SH_LOGUNIFORM;
        if (n != 2)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected '%s LO HI' (2 numbers), got %d", key, shape, n);
        pr->a = pr->lo = v[0];
        pr->b = pr->hi = v[1];
        if (!(v[0] < v[1]))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected LO < HI, got %g and %g", key, v[0], v[1]);
        if (pr->shape == SH_LOGUNIFORM && !(v[0] > 0.0))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': loguniform needs LO > 0, got %g", key, v[0]);
    } else if (strcmp(shape, "normal") == 0) {
        pr->shape = SH_NORMAL;
        if (n != 2 && n != 4)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected 'normal MEAN SD [LO HI]', got %d numbers", key, n);
        pr->a = v[0];
        pr->b = v[1];
        if (!(v[1] > 0.0)) return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected SD > 0, got %g", key, v[1]);
        pr->lo = n == 4 ? v[2] : pmin;
        pr->hi = n == 4 ? v[3] : pmax;
        if (!(pr->lo < pr->hi))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': expected LO < HI, got %g and %g", key, pr->lo, pr->hi);
        double mass = gsl_cdf_gaussian_P(pr->hi - pr->a, pr->b) - gsl_cdf_gaussian_P(pr->lo - pr->a, pr->b);
        if (!(mass > 1e-9))
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': the normal prior has no mass inside [%g, %g]", key, pr->lo, pr->hi);
    } else {
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': unknown prior shape '%s', expected uniform, loguniform or normal",
                        key, shape);
    }
    if (pr->lo < pmin || pr->hi > pmax)
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "key '%s': prior support [%g, %g] lies outside the parameter's allowed "
                        "range [%g, %g]", key, pr->lo, pr->hi, pmin, pmax);
    return TYNDAU_OK;
}

double prior_g(const prior_t *p, double x) { return p->shape == SH_LOGUNIFORM ? log(x) : x; }
static double g_inv(const prior_t *p, double g) { return p->shape == SH_LOGUNIFORM ? exp(g) : g; }

double prior_z_to_x(const prior_t *p, double z)
{
    double u = 1.0 / (1.0 + exp(-z));
    double glo = prior_g(p, p->lo), ghi = prior_g(p, p->hi);
    double x = g_inv(p, glo + u * (ghi - glo));
    return fmin(fmax(x, p->lo), p->hi);
}

double prior_x_to_z(const prior_t *p, double x)
{
    double glo = prior_g(p, p->lo), ghi = prior_g(p, p->hi);
    double u = (prior_g(p, x) - glo) / (ghi - glo);
    u = fmin(fmax(u, 1e-15), 1.0 - 1e-15);
    return log(u / (1.0 - u));
}

/* Log prior density of z (up to a constant): log p_x(x) + log |dx/dz|. */
double prior_log_density_z(const prior_t *p, double z)
{
    double lu = -log1p(exp(-z)), l1u = -log1p(exp(z)); /* log u, log (1-u) */
    double v = lu + l1u;
    if (p->shape == SH_NORMAL) {
        double x = prior_z_to_x(p, z);
        v -= 0.5 * (x - p->a) * (x - p->a) / (p->b * p->b);
    }
    return v;
}

double prior_draw(const prior_t *p, gsl_rng *r)
{
    if (p->shape == SH_UNIFORM) return p->lo + gsl_rng_uniform(r) * (p->hi - p->lo);
    if (p->shape == SH_LOGUNIFORM) return exp(log(p->lo) + gsl_rng_uniform(r) * (log(p->hi) - log(p->lo)));
    double plo = gsl_cdf_gaussian_P(p->lo - p->a, p->b), phi = gsl_cdf_gaussian_P(p->hi - p->a, p->b);
    double x = p->a + gsl_cdf_gaussian_Pinv(plo + gsl_rng_uniform_pos(r) * (phi - plo), p->b);
    return fmin(fmax(x, p->lo), p->hi);
}

double prior_quantile(const prior_t *p, double q)
{
    if (p->shape == SH_UNIFORM) return p->lo + q * (p->hi - p->lo);
    if (p->shape == SH_LOGUNIFORM) return exp(log(p->lo) + q * (log(p->hi) - log(p->lo)));
    double plo = gsl_cdf_gaussian_P(p->lo - p->a, p->b), phi = gsl_cdf_gaussian_P(p->hi - p->a, p->b);
    return fmin(fmax(p->a + gsl_cdf_gaussian_Pinv(plo + q * (phi - plo), p->b), p->lo), p->hi);
}

double prior_from_unit(const prior_t *p, double u) { return prior_quantile(p, u); }

double prior_cdf(const prior_t *p, double x)
{
    double q;
    if (p->shape == SH_UNIFORM) q = (x - p->lo) / (p->hi - p->lo);
    else if (p->shape == SH_LOGUNIFORM) q = (log(x) - log(p->lo)) / (log(p->hi) - log(p->lo));
    else {
        double plo = gsl_cdf_gaussian_P(p->lo - p->a, p->b), phi = gsl_cdf_gaussian_P(p->hi - p->a, p->b);
        q = (gsl_cdf_gaussian_P(x - p->a, p->b) - plo) / (phi - plo);
    }
    return fmin(fmax(q, 0.0), 1.0);
}
