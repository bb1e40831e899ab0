/*
 * test_ident.c - the eigen-spectrum of the sensitivity matrix (src/calibrate/ident.c) on
 * Jacobians whose answer is known: two parameters that move the cells identically make a ridge
 * (eigenvalue 0 along (1, -1)/sqrt 2, and neither alone can lose more than half its prior
 * variance), a parameter that moves nothing a null direction (variance ratio exactly 1), an
 * independent one the eigenvalue |b|^2 w s^2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "calibrate/calib.h"

static void assert_near(double a, double b, double tol)
{
    if (!(fabs(a - b) <= tol)) fail_msg("%.17g != %.17g (tolerance %g)", a, b, tol);
}

static void test_ridge_and_null(void **state)
{
    (void)state;
    enum { NC = 4, D = 4 };
    /* a = (1, 2, 0, 0), b = (0, 0, 3, 2): orthogonal; columns a, a, b, 0 */
    const double a[NC] = {1, 2, 0, 0}, b[NC] = {0, 0, 3, 2};
    double J[NC * D], w[NC] = {1, 1, 1, 1}, eig[D], vec[D * D], vr[D];
    for (int c = 0; c < NC; c++) J[c * D + 0] = a[c], J[c * D + 1] = a[c], J[c * D + 2] = b[c], J[c * D + 3] = 0.0;
    double s2 = 2.0; /* prior variance */
    assert_int_equal(calib_ident_spectrum(J, w, NC, D, s2, eig, vec, vr), 0);
    double aa = 5.0, bb = 13.0; /* |a|^2, |b|^2 */
    assert_near(eig[0], s2 * bb, 1e-12);       /* b alone: |b|^2 s^2 = 26, along (0, 0, 1, 0) */
    assert_near(fabs(vec[0 * D + 2]), 1.0, 1e-12);
    assert_near(eig[1], s2 * 2.0 * aa, 1e-12); /* (1, 1)/sqrt 2: 2 |a|^2 s^2 = 20 */
    assert_near(fabs(vec[1 * D + 0]), sqrt(0.5), 1e-12);
    assert_near(vec[1 * D + 0], vec[1 * D + 1], 1e-12);
    assert_near(eig[2], 0.0, 1e-12);
    assert_near(eig[3], 0.0, 1e-12);
    /* the zero eigenspace is spanned by (1, -1, 0, 0)/sqrt 2 and (0, 0, 0, 1) */
    for (int i = 2; i < 4; i++) {
        const double *v = vec + i * D;
        assert_near(v[0] + v[1], 0.0, 1e-12);
        assert_near(v[2], 0.0, 1e-12);
    }
    assert_near(vr[3], 1.0, 1e-12);                             /* moves nothing: the prior */
    assert_near(vr[0], 0.5 / (1.0 + s2 * 2.0 * aa) + 0.5, 1e-12); /* the ridge: at least half */
    assert_near(vr[1], vr[0], 1e-12);
    assert_near(vr[2], 1.0 / (1.0 + s2 * bb), 1e-12);
    /* weights scale the information */
    double w2[NC] = {3, 3, 3, 3};
    assert_int_equal(calib_ident_spectrum(J, w2, NC, D, s2, eig, vec, vr), 0);
    assert_near(vr[2], 1.0 / (1.0 + 3.0 * s2 * bb), 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ridge_and_null)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
