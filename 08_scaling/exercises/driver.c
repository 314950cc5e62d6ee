/* 08_scaling/exercises/driver.c — runs one chapter 8 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I08_scaling/exercises -DEX_CHAPTER_DIR='"<abs path>"' \
 *      -DEXERCISE_ex1_power_law 08_scaling/exercises/driver.c <your ex1_power_law.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_power_law.txt.
 * Besides the values themselves, each exercise reports how far they are from an independent
 * reference, which must come out near 0 (the same tolerance applies): numpy's polyfit (ex1), the
 * optimum found by bisection (ex2), the FLOPs of every matrix product enumerated (ex3) and the
 * ring simulated message by message in Python (ex4), all in expected/references.txt, written by
 * scripts/gen_fixtures_ex08.py and read here from EX_CHAPTER_DIR. Exercise 3 is also compared
 * with the chapter's own count, gpt_forward_flops (nn/transformer.h).
 * Outputs that must be written start as NaN, so a forgotten one shows up as "produced NaN".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grader.h"
#include "exercises.h"

#ifndef EX_CHAPTER_DIR
#define EX_CHAPTER_DIR "08_scaling"   // run by hand from the repository root
#endif

#define EX_FIXTURE_SCRIPT "scripts/gen_fixtures_ex08.py"
#include "driver_fixture.h"

// |got − want| / |want|: the references are printed with 9 significant digits.
__attribute__((unused)) static double rel_diff(double got, double want)
{
    double d = fabs(got - want) / fabs(want);
    return d == d ? d : INFINITY;
}

#if defined(EXERCISE_ex1_power_law)
// Four point sets (an exact y = 2x^-0.5, Kaplan's L(N), a noisy L(C), two points). Reported: the
// exponent and prefactor, and <case>_e_maxdiff_numpy (absolute) and <case>_k_maxdiff_numpy
// (relative) against numpy.polyfit on the logs (~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"pl_a", "pl_b", "pl_c", "pl_d"};
    char name[48];
    for (int c = 0; c < 4; c++) {
        const char *p = cases[c];
        int n = (int)fixture_get(&fx, p, "cfg", 1)[0];
        const double *x = fixture_get(&fx, p, "x", (size_t)n), *y = fixture_get(&fx, p, "y", (size_t)n);
        double k = NAN;
        double e = ex_power_law_fit(x, y, n, &k);
        snprintf(name, sizeof name, "%s_e", p);
        ex_put(name, 0, e);
        snprintf(name, sizeof name, "%s_k", p);
        ex_put(name, 0, k);
        snprintf(name, sizeof name, "%s_e_maxdiff_numpy", p);
        double de = fabs(e - fixture_get(&fx, p, "e", 1)[0]);
        ex_put(name, 0, de == de ? de : INFINITY);
        snprintf(name, sizeof name, "%s_k_maxdiff_numpy", p);
        ex_put(name, 0, rel_diff(k, fixture_get(&fx, p, "k", 1)[0]));
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex2_chinchilla_optimal)
// Five laws and budgets (Hoffmann's fit at 1e21, 5.76e23 and 1e25 FLOP, Epoch's at 5.76e23, a
// symmetric law). Reported: N_opt, D_opt, <case>_N_maxdiff_bisect and <case>_D_maxdiff_bisect
// (relative, against the numerical optimum: ~0) and <case>_6ND_maxdiff = |6·N·D/C − 1| (~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"co_a", "co_b", "co_c", "co_d", "co_e"};
    char name[48];
    for (int c = 0; c < 5; c++) {
        const char *p = cases[c];
        const double *cfg = fixture_get(&fx, p, "cfg", 5);
        double N = NAN, D = NAN;
        ex_chinchilla_optimal(cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], &N, &D);
        snprintf(name, sizeof name, "%s_N", p);
        ex_put(name, 0, N);
        snprintf(name, sizeof name, "%s_D", p);
        ex_put(name, 0, D);
        snprintf(name, sizeof name, "%s_N_maxdiff_bisect", p);
        ex_put(name, 0, rel_diff(N, fixture_get(&fx, p, "N", 1)[0]));
        snprintf(name, sizeof name, "%s_D_maxdiff_bisect", p);
        ex_put(name, 0, rel_diff(D, fixture_get(&fx, p, "D", 1)[0]));
        snprintf(name, sizeof name, "%s_6ND_maxdiff", p);
        ex_put(name, 0, rel_diff(6 * N * D, cfg[4]));
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex3_gpt_flops)
#include "nn/transformer.h"
// Four configurations (chapter 7's --quick and default GPTs, GPT-2 small, a 1024-wide model on
// two sequences). Reported: the FLOPs, <case>_maxdiff_enumerated (relative, against every matrix
// product enumerated in Python: ~0) and <case>_maxdiff_library (relative, against the chapter's
// gpt_forward_flops: ~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"fl_a", "fl_b", "fl_c", "fl_d"};
    char name[48];
    for (int c = 0; c < 4; c++) {
        const char *p = cases[c];
        const double *cfg = fixture_get(&fx, p, "cfg", 6);
        int V = (int)cfg[0], T = (int)cfg[1], L = (int)cfg[2], NH = (int)cfg[3], C = (int)cfg[4],
            B = (int)cfg[5];
        double fl = ex_gpt_forward_flops(V, T, L, NH, C, B);
        GptConfig g = {.V = V, .T = T, .L = L, .NH = NH, .C = C, .causal = true,
                       .pos = POS_LEARNED};
        snprintf(name, sizeof name, "%s_flops", p);
        ex_put(name, 0, fl);
        snprintf(name, sizeof name, "%s_maxdiff_enumerated", p);
        ex_put(name, 0, rel_diff(fl, fixture_get(&fx, p, "flops", 1)[0]));
        snprintf(name, sizeof name, "%s_maxdiff_library", p);
        ex_put(name, 0, rel_diff(fl, gpt_forward_flops(&g, B, T)));
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex4_ring_allreduce)
// Five rings (p × n = 4×16, 3×10 uneven chunks, 1×5, 8×1000, 5×3 with empty chunks). Reported:
// every rank's buffer after the all-reduce, the bytes each rank sent, <case>_maxdiff_numpy = the
// largest |buf − numpy's float64 sum| over all ranks (~1e-7: float32 sums in another order),
// <case>_bytes_wrong_sim = how many ranks' byte counts differ from the Python simulation's (0)
// and, when p divides n, <case>_bytes_wrong_formula = how many differ from 2(p−1)/p·n·4 (0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"ar_a", "ar_b", "ar_c", "ar_d", "ar_e"};
    char name[48];
    for (int c = 0; c < 5; c++) {
        const char *p = cases[c];
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int P = (int)cfg[0], n = (int)cfg[1];
        const double *g = fixture_get(&fx, p, "g", (size_t)P * n);
        const double *sum = fixture_get(&fx, p, "sum.f64", (size_t)n);
        const double *want = fixture_get(&fx, p, "bytes", (size_t)P);
        float **buf = malloc(sizeof(float *) * (size_t)P);
        double *bytes = malloc(sizeof(double) * (size_t)P);
        if (!buf || !bytes) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (int r = 0; r < P; r++) {
            buf[r] = floats_of(g + (size_t)r * n, (size_t)n);
            bytes[r] = NAN;
        }
        ex_ring_allreduce(buf, P, n, bytes);
        double md = 0, wrong_sim = 0, wrong_formula = 0;
        for (int r = 0; r < P; r++) {
            snprintf(name, sizeof name, "%s_rank%d", p, r);
            ex_put_array(name, buf[r], n);
            double d = max_abs_diff(buf[r], sum, (size_t)n);
            if (!(d <= md)) md = d;
            wrong_sim += !(fabs(bytes[r] - want[r]) < 0.5);
            wrong_formula += !(fabs(bytes[r] - 2.0 * (P - 1) / P * n * 4) < 0.5);
        }
        snprintf(name, sizeof name, "%s_bytes", p);
        for (int r = 0; r < P; r++) ex_put(name, r, bytes[r]);
        snprintf(name, sizeof name, "%s_maxdiff_numpy", p);
        ex_put(name, 0, md);
        snprintf(name, sizeof name, "%s_bytes_wrong_sim", p);
        ex_put(name, 0, wrong_sim);
        if (n % P == 0) {
            snprintf(name, sizeof name, "%s_bytes_wrong_formula", p);
            ex_put(name, 0, wrong_formula);
        }
        for (int r = 0; r < P; r++) free(buf[r]);
        free(buf);
        free(bytes);
    }
    fixture_free(&fx);
}

#else
#error "build with -DEXERCISE_<name> (the grader does: make grade)"
#endif

int main(void)
{
    run();
    ex_end();
    return 0;
}
