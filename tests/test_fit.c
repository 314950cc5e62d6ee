/* tests/test_fit.c — chapter 8's fitter (08_scaling/fit.c): L-BFGS on Rosenbrock and a
 * quadratic, the Huber objective's analytic gradient against central differences, the
 * Chinchilla fit recovering known parameters from synthetic points (the same with 1 and 2
 * threads), the fit on Epoch AI's points against scipy's L-BFGS-B from the same grid
 * (tests/fixtures/fit_chinchilla.txt, scripts/gen_fixtures_fit.py), chinchilla_optimal against
 * Hoffmann's eq. 4 worked by hand, isoflop_minima on synthetic parabolas, power_law_fit, and the
 * bootstrap (intervals hold the estimate; the same seed gives the same intervals).
 */
#include "testutil.h"

#include <unistd.h>

#include "base/threads.h"

#include "../08_scaling/fit.c"

#define FIX "tests/fixtures/fit_chinchilla.txt"

static double rosenbrock(void *ctx, const double *x, double *g, int n)
{
    (void)ctx;
    double f = 0;
    for (int i = 0; i < n; i++) g[i] = 0;
    for (int i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        f += 100 * a * a + b * b;
        g[i] += -400 * a * x[i] - 2 * b;
        g[i + 1] += 200 * a;
    }
    return f;
}

/* f = Σ (i+1)/2 (x_i − i)², minimum 0 at x_i = i; counts its calls in *ctx. */
static double quadratic(void *ctx, const double *x, double *g, int n)
{
    (*(int *)ctx)++;
    double f = 0;
    for (int i = 0; i < n; i++) {
        double d = x[i] - i;
        f += 0.5 * (i + 1) * d * d;
        g[i] = (i + 1) * d;
    }
    return f;
}

START_TEST(test_lbfgs_rosenbrock_and_quadratic)
{
    double x[2] = {-1.2, 1.0};
    LbfgsResult r = lbfgs_minimize(rosenbrock, NULL, x, 2, NULL);
    ck_assert_msg(r.converged, "Rosenbrock: not converged after %d iterations", r.iters);
    ck_assert_double_eq_tol(x[0], 1.0, 1e-6);
    ck_assert_double_eq_tol(x[1], 1.0, 1e-6);
    ck_assert_double_lt(r.f, 1e-12);
    ck_assert_int_lt(r.iters, 100);            // N&W report ~35 iterations for L-BFGS here
    double y[6] = {5, -3, 1, 0, 2, 7};
    LbfgsResult r6 = lbfgs_minimize(rosenbrock, NULL, y, 6, NULL);
    for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(y[i], 1.0, 1e-5);
    ck_assert(r6.converged);
    int calls = 0;
    double z[10] = {0};
    LbfgsResult q = lbfgs_minimize(quadratic, &calls, z, 10, &(LbfgsConfig){.m = 5, .ftol = 1e-30});
    for (int i = 0; i < 10; i++) ck_assert_double_eq_tol(z[i], i, 1e-8);
    ck_assert_int_eq(q.evals, calls);
    ck_assert_int_lt(q.iters, 60);
}
END_TEST

/* Synthetic runs: N on a grid, D on a grid, loss from c (times exp(noise·N(0,1)) if noise). */
static size_t synth(const Chinchilla *c, double noise, uint64_t seed, ScalingPoint *p)
{
    Rng r;
    rng_seed(&r, seed);
    size_t n = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            double N = 5e7 * pow(3.0, i), D = 1e9 * pow(3.0, j);
            double L = chinchilla_loss(c, N, D) * exp(noise * rng_normal(&r));
            p[n++] = (ScalingPoint){N, D, 6 * N * D, L};
        }
    return n;
}

static const Chinchilla TRUE_LAW = {.E = 1.8, .A = 400, .B = 1200, .alpha = 0.33, .beta = 0.31};

START_TEST(test_objective_gradient_vs_differences)
{
    ScalingPoint p[36];
    size_t n = synth(&TRUE_LAW, 0.01, 7, p);
    double buf[3 * CHIN_BLOCK] = {0};
    ChinData cd = chin_data(p, n, 1e-3, buf);
    // Far from the fit (most residuals in Huber's linear part) and near it (quadratic part).
    const double X[3][5] = {{6.0, 7.0, 0.6, 0.33, 0.31}, {5.0, 10.0, -0.5, 0.5, 0.45},
                            {log(400), log(1200), log(1.8), 0.33, 0.31}};
    for (int k = 0; k < 3; k++) {
        double g[5], gp[5], gm[5];
        chin_objective(&cd, X[k], g, 5);
        for (int i = 0; i < 5; i++) {
            double xp[5], xm[5], h = 1e-6;
            memcpy(xp, X[k], sizeof xp);
            memcpy(xm, X[k], sizeof xm);
            xp[i] += h;
            xm[i] -= h;
            double fd = (chin_objective(&cd, xp, gp, 5) - chin_objective(&cd, xm, gm, 5)) / (2 * h);
            ck_assert_msg(fabs(fd - g[i]) <= 1e-6 * fmax(1e-3, fabs(g[i])) + 1e-9,
                          "x%d, parameter %d: analytic %.10g, differences %.10g", k, i, g[i], fd);
        }
        // chinchilla_objective is the same function of (E, A, B, α, β).
        Chinchilla c = from_x(X[k]);
        ck_assert_double_eq_tol(chinchilla_objective(&c, p, n, 1e-3),
                                chin_objective(&cd, X[k], NULL, 5), 1e-15);
    }
}
END_TEST

/* The fast objective (polynomial exp and log, vectorised blocks) against the plain libm loop,
 * over 70 points (a full block and a partial one) and parameters from tiny to huge terms. */
START_TEST(test_fast_objective_vs_reference)
{
    ScalingPoint p[70];
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < 70; i++) {
        double N = exp(15 + 10 * rng_uniform(&r)), D = exp(18 + 10 * rng_uniform(&r));
        p[i] = (ScalingPoint){N, D, 6 * N * D, 1.5 + 3 * rng_uniform(&r)};
    }
    double buf[3 * 2 * CHIN_BLOCK] = {0};
    ChinData cd = chin_data(p, 70, 1e-3, buf);
    const double X[5][5] = {{6.0, 7.0, 0.6, 0.33, 0.31}, {0, 0, -1, 0, 0}, {25, 25, 1, 2, 2},
                            {25, 0, -1, 0.1, 2}, {-800, 5, 0.5, 1, 0.2}};
    for (int k = 0; k < 5; k++) {
        double gf[5], gr[5];
        double ff = chin_objective(&cd, X[k], gf, 5), fr = chin_objective_ref(&cd, X[k], gr, 5);
        ck_assert_msg(fabs(ff - fr) <= 1e-13 * fabs(fr) + 1e-300, "x%d: fast %.17g, ref %.17g",
                      k, ff, fr);
        for (int i = 0; i < 5; i++)
            ck_assert_msg(fabs(gf[i] - gr[i]) <= 1e-12 * fabs(gr[i]) + 1e-18,
                          "x%d, g%d: fast %.17g, ref %.17g", k, i, gf[i], gr[i]);
    }
    for (double x = -745; x <= 0; x += 0.37) {
        double want = exp(x < -700 ? -700 : x);
        ck_assert_msg(fabs(exp_nonpos(x) - want) <= 4e-16 * want, "exp(%g)", x);
    }
    for (double s = 1; s <= 3; s += 0.0137)
        ck_assert_msg(fabs(log_1to3(s) - log(s)) <= 4e-16 * fmax(log(s), 1e-300) + 1e-17,
                      "log(%g)", s);
}
END_TEST

START_TEST(test_fit_recovers_known_law)
{
    ScalingPoint p[36];
    size_t n = synth(&TRUE_LAW, 0.0, 1, p);
    threads_set(1);
    ChinchillaFit f1 = chinchilla_fit(p, n, 1e-3, NULL);
    ck_assert_int_eq(f1.inits, 4500);
    ck_assert_double_lt(f1.objective, 1e-12);   // residuals ~1e-7: exact data
    ck_assert_double_eq_tol(f1.c.E, TRUE_LAW.E, 1e-4 * TRUE_LAW.E);
    ck_assert_double_eq_tol(f1.c.A, TRUE_LAW.A, 1e-3 * TRUE_LAW.A);
    ck_assert_double_eq_tol(f1.c.B, TRUE_LAW.B, 1e-3 * TRUE_LAW.B);
    ck_assert_double_eq_tol(f1.c.alpha, TRUE_LAW.alpha, 1e-4);
    ck_assert_double_eq_tol(f1.c.beta, TRUE_LAW.beta, 1e-4);
    threads_set(2);
    ChinchillaFit f2 = chinchilla_fit(p, n, 1e-3, NULL);
    threads_set(1);
    ck_assert_int_eq(f2.best_init, f1.best_init);
    ck_assert(f2.c.E == f1.c.E && f2.c.A == f1.c.A && f2.c.B == f1.c.B &&
              f2.c.alpha == f1.c.alpha && f2.c.beta == f1.c.beta && f2.evals == f1.evals);
    // From a start: the same law again.
    Chinchilla start = {2.0, 300, 900, 0.4, 0.4};
    ChinchillaFit fs = chinchilla_fit(p, n, 1e-3, &start);
    ck_assert_int_eq(fs.inits, 1);
    ck_assert_double_eq_tol(fs.c.alpha, TRUE_LAW.alpha, 1e-3);
}
END_TEST

static const char *epoch_file(void)
{
    static const char *const paths[2] = {"data/chinchilla/svg_extracted_data.csv",
                                         "../shared/data/chinchilla/svg_extracted_data.csv"};
    for (int k = 0; k < 2; k++)
        if (access(paths[k], R_OK) == 0) return paths[k];
    return NULL;
}

static double fixture_value(const char *key)
{
    FILE *fp = fopen(FIX, "r");
    ck_assert_msg(fp, "%s missing (run: /usr/bin/python3 scripts/gen_fixtures_fit.py)", FIX);
    char line[256], k[128];
    double v = NAN;
    while (fgets(line, sizeof line, fp)) {
        double x;
        if (line[0] != '#' && sscanf(line, "%127s %lf", k, &x) == 2 && strcmp(k, key) == 0) v = x;
    }
    fclose(fp);
    ck_assert_msg(!isnan(v), "%s: no key %s", FIX, key);
    return v;
}

static int cmp_loss(const void *a, const void *b)
{
    double x = ((const ScalingPoint *)a)->loss, y = ((const ScalingPoint *)b)->loss;
    return (x > y) - (x < y);
}

START_TEST(test_fit_epoch_vs_scipy)
{
    ScalingSet s;
    char err[512];
    ck_assert_msg(scaling_load(epoch_file(), &s, err, sizeof err), "%s", err);
    qsort(s.p, s.n, sizeof *s.p, cmp_loss);
    size_t n = s.n - 5;
    ck_assert_uint_eq(n, (size_t)fixture_value("n_points"));
    // The objective itself against numpy's at the published parameters.
    Chinchilla h = {1.69, 406.4, 410.7, 0.34, 0.28}, e = {1.82, 482.01, 2085.43, 0.3478, 0.3658};
    ck_assert_double_eq_tol(chinchilla_objective(&h, s.p, n, 1e-3),
                            fixture_value("objective.hoffmann"), 1e-12);
    ck_assert_double_eq_tol(chinchilla_objective(&e, s.p, n, 1e-3),
                            fixture_value("objective.epoch"), 1e-12);
    threads_set(2);
    ChinchillaFit f = chinchilla_fit(s.p, n, 1e-3, NULL);
    threads_set(1);
    double ref = fixture_value("scipy.objective");
    // Ours must reach scipy's objective: at most 1e-6 relative above it.
    ck_assert_msg(f.objective <= ref * (1 + 1e-6), "ours %.12g, scipy %.12g", f.objective, ref);
    ck_assert_double_eq_tol(f.c.alpha, fixture_value("scipy.alpha"), 1e-3);
    ck_assert_double_eq_tol(f.c.beta, fixture_value("scipy.beta"), 1e-3);
    ck_assert_double_eq_tol(f.c.E, fixture_value("scipy.E"), 1e-3);
    ck_assert_double_lt(f.objective, chinchilla_objective(&e, s.p, n, 1e-3));
    scaling_free(&s);
}
END_TEST

START_TEST(test_optimal_by_hand)
{
    // α = β, A = B: G = 1, a = b = 1/2: N_opt = D_opt = √(C/6).
    Chinchilla sym = {1.5, 300, 300, 0.3, 0.3};
    double N, D;
    chinchilla_optimal(&sym, 6e20, &N, &D);
    ck_assert_double_eq_tol(N, 1e10, 1e-3);
    ck_assert_double_eq_tol(D, 1e10, 1e-3);
    // Hoffmann's published law at Gopher's budget, eq. 4 worked out step by step:
    // G = (0.34·406.4 / (0.28·410.7))^(1/0.62) = (138.176/114.996)^(1.6129) = 1.3447;
    // a = 0.28/0.62 = 0.45161; N_opt = 1.3441 · (9.6e22)^0.45161.
    Chinchilla h = {1.69, 406.4, 410.7, 0.34, 0.28};
    chinchilla_optimal(&h, 5.76e23, &N, &D);
    double G = pow(138.176 / 114.996, 1 / 0.62);
    ck_assert_double_eq_tol(G, 1.3447, 1e-4);
    ck_assert_double_eq_tol(N, G * pow(9.6e22, 0.28 / 0.62), 1e-9 * N);
    ck_assert_double_eq_tol(6 * N * D, 5.76e23, 1e-9 * 5.76e23);
    // And it is the minimum of L̂(N, C/6N) along the budget.
    double L0 = chinchilla_loss(&h, N, D);
    for (int s = -1; s <= 1; s += 2) {
        double Nn = N * (1 + s * 0.01);
        ck_assert_double_gt(chinchilla_loss(&h, Nn, 5.76e23 / (6 * Nn)), L0);
    }
}
END_TEST

START_TEST(test_isoflop_minima_and_power_law)
{
    // Three budgets, N_opt = 0.1 · C^0.5, loss = L0 + 0.05 (ln N − ln N_opt)² with C jittered by
    // up to 5 % within a budget; and two lone runs far away (no group of 3).
    const double CB[3] = {1e18, 1e19, 1e20}, OFF[5] = {-1.0, -0.4, 0.0, 0.5, 1.2};
    ScalingPoint p[17];
    int n = 0;
    for (int b = 0; b < 3; b++) {
        double No = 0.1 * sqrt(CB[b]), L0 = 3.0 - 0.2 * b;
        for (int k = 0; k < 5; k++) {
            double C = CB[b] * (1 + 0.01 * k), N = No * exp(OFF[k]);
            p[n++] = (ScalingPoint){N, C / (6 * N), C, L0 + 0.05 * OFF[k] * OFF[k]};
        }
    }
    p[n++] = (ScalingPoint){1e6, 1e9, 6e15, 4.0};
    p[n++] = (ScalingPoint){1e7, 1e9, 6e16, 3.9};
    IsoFlopMin m[8];
    int k = isoflop_minima(p, (size_t)n, 1.25, m, 8);
    ck_assert_int_eq(k, 3);
    double x[3], y[3];
    for (int b = 0; b < 3; b++) {
        double No = 0.1 * sqrt(CB[b]);
        ck_assert_int_eq(m[b].n_points, 5);
        ck_assert_double_eq_tol(m[b].N_opt, No, 1e-9 * No);
        ck_assert_double_eq_tol(m[b].loss, 3.0 - 0.2 * b, 1e-12);
        ck_assert_double_eq_tol(m[b].C, CB[b] * 1.02, 0.01 * CB[b]);   // the group's mean
        ck_assert_double_eq_tol(m[b].D_opt, m[b].C / (6 * m[b].N_opt), 1e-9 * m[b].D_opt);
        x[b] = CB[b];
        y[b] = No;
    }
    double kk, e = power_law_fit(x, y, 3, &kk);
    ck_assert_double_eq_tol(e, 0.5, 1e-12);
    ck_assert_double_eq_tol(kk, 0.1, 1e-12);
    // A downward parabola has no minimum: skipped.
    for (int j = 0; j < 5; j++) p[j].loss = 3.0 - 0.05 * OFF[j] * OFF[j];
    ck_assert_int_eq(isoflop_minima(p, (size_t)n, 1.25, m, 8), 2);
}
END_TEST

START_TEST(test_bootstrap_contains_and_repeats)
{
    ScalingPoint p[36];
    size_t n = synth(&TRUE_LAW, 0.005, 3, p);
    ChinchillaFit f = chinchilla_fit(p, n, 1e-3, &TRUE_LAW);
    double est[6] = {f.c.E, f.c.A, f.c.B, f.c.alpha, f.c.beta,
                     f.c.beta / (f.c.alpha + f.c.beta)};
    double lo[6], hi[6], lo2[6], hi2[6], lo3[6], hi3[6];
    Rng r;
    rng_seed(&r, 11);
    chinchilla_bootstrap(p, n, 1e-3, &f.c, 40, &r, lo, hi);
    for (int j = 0; j < 6; j++) {
        ck_assert_msg(lo[j] <= est[j] && est[j] <= hi[j], "parameter %d: %g not in [%g, %g]",
                      j, est[j], lo[j], hi[j]);
        ck_assert_double_lt(lo[j], hi[j]);
    }
    threads_set(2);
    rng_seed(&r, 11);
    chinchilla_bootstrap(p, n, 1e-3, &f.c, 40, &r, lo2, hi2);
    threads_set(1);
    rng_seed(&r, 12);
    chinchilla_bootstrap(p, n, 1e-3, &f.c, 40, &r, lo3, hi3);
    bool differ = false;
    for (int j = 0; j < 6; j++) {
        ck_assert(lo2[j] == lo[j] && hi2[j] == hi[j]);
        differ |= lo3[j] != lo[j] || hi3[j] != hi[j];
    }
    ck_assert_msg(differ, "another seed gave the same intervals");
}
END_TEST

static Suite *fit_suite(void)
{
    Suite *s = suite_create("fit");
    TCase *c = tcase_create("fit");
    tcase_set_timeout(c, 120);
    tcase_add_test(c, test_lbfgs_rosenbrock_and_quadratic);
    tcase_add_test(c, test_objective_gradient_vs_differences);
    tcase_add_test(c, test_fast_objective_vs_reference);
    tcase_add_test(c, test_fit_recovers_known_law);
    tcase_add_test(c, test_optimal_by_hand);
    tcase_add_test(c, test_isoflop_minima_and_power_law);
    tcase_add_test(c, test_bootstrap_contains_and_repeats);
    dl_tcase_add_test_if(c, test_fit_epoch_vs_scipy, epoch_file() != NULL,
                         "no data/chinchilla/svg_extracted_data.csv (run: make data)");
    suite_add_tcase(s, c);
    return s;
}

DL_TEST_MAIN(fit_suite)
