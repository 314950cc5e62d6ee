/* 01_perceptron/exercises/driver.c — runs one chapter 1 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I01_perceptron/exercises \
 *      -DEXERCISE_ex1_sigmoid 01_perceptron/exercises/driver.c <your ex1_sigmoid.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_sigmoid.txt.
 * Outputs are filled with NaN before each call, so a value the exercise forgets to write
 * shows up as "produced NaN". Inputs are fixed (seeded), so every run sees the same numbers.
 */
#include <math.h>
#include <stdio.h>

#include "exercises.h"
#include "grader.h"
#include "base/clock.h"
#include "base/rng.h"

__attribute__((unused)) static void fill_nan(float *v, int n)   // (not every exercise uses it)
{
    for (int i = 0; i < n; i++) v[i] = NAN;
}

#if defined(EXERCISE_ex1_sigmoid)
// Large |x| included: e^1000 overflows a float, so only a stable formula stays finite.
static void run(void)
{
    static const float fixed[] = {-1000, -100, -88.5f, -20, -5, -1, -1e-3f, 0, 1e-3f, 1, 2.5f, 5,
                                  20, 88.5f, 100, 1000};
    enum { NF = sizeof fixed / sizeof fixed[0], NG = 33, N = NF + NG };
    float x[N], y[N], dy[N];
    for (int i = 0; i < NF; i++) x[i] = fixed[i];
    for (int i = 0; i < NG; i++) x[NF + i] = -8.0f + 0.5f * (float)i;   // a grid over [-8, 8]
    fill_nan(y, N);
    fill_nan(dy, N);
    ex_sigmoid(x, y, dy, N);
    ex_put_array("sigmoid", y, N);
    ex_put_array("dsigmoid", dy, N);
}

#elif defined(EXERCISE_ex2_perceptron_update)
// 8 linearly separable points in 3-D, labels ±1; three epochs from w = 0, b = 0, lr = 0.5.
static void run(void)
{
    enum { N = 8, D = 3 };
    static const float x[N * D] = {1, 2, 0.5f,   -1, -1.5f, 0,  2, 0.5f, -1,  -0.5f, -2, 1,
                                   1.5f, 1, 1,   -2, 0.5f, -0.5f,  0.5f, -0.5f, 2,  -1, 1, -1};
    static const int y[N] = {1, -1, 1, -1, 1, -1, 1, -1};
    float w[D] = {0, 0, 0}, b = 0;
    for (int e = 0; e < 3; e++) {
        int mistakes = ex_perceptron_epoch(x, y, N, D, 0.5f, w, &b);
        char name[32];
        snprintf(name, sizeof name, "epoch%d_w", e + 1);
        ex_put_array(name, w, D);
        snprintf(name, sizeof name, "epoch%d_b", e + 1);
        ex_put(name, 0, b);
        snprintf(name, sizeof name, "epoch%d_mistakes", e + 1);
        ex_put(name, 0, mistakes);
    }
}

#elif defined(EXERCISE_ex3_dot_unrolled)
// v0: the naive loop, one running sum: each addition waits for the previous one (latency).
// noinline + a volatile pointer: the compiler can neither inline nor hoist it out of the
// timing loop, so both versions are timed doing the same work.
__attribute__((noinline)) static float dot_naive(const float *a, const float *b, int n)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

typedef float (*DotFn)(const float *, const float *, int);

// Seconds for `reps` calls of *fn.
static double time_reps(DotFn volatile *fn, const float *a, const float *b, int n, int reps,
                           volatile float *sink)
{
    double t0 = now_seconds();
    for (int r = 0; r < reps; r++) *sink += (*fn)(a, b, n);
    return now_seconds() - t0;
}

static void run(void)
{
    enum { NMAX = 4099, NSPEED = 4096, REPS = 1000, ROUNDS = 21 };
    static float a[NMAX], b[NMAX];
    Rng r;
    rng_seed(&r, 1);
    for (int i = 0; i < NMAX; i++) {
        a[i] = rng_uniform_range(&r, -1, 1);
        b[i] = rng_uniform_range(&r, -1, 1);
    }
    static const int sizes[] = {0, 1, 3, 4, 5, 7, 8, 33, 1000, 4099};
    for (int k = 0; k < (int)(sizeof sizes / sizeof sizes[0]); k++)
        ex_put("dot", k, ex_dot_unrolled(a, b, sizes[k]));

    // Speed: 4096 floats per vector (2 x 16 KiB, in L1/L2), so the loop, not memory, is
    // what is measured. 2·n FLOP per call either way.
    DotFn volatile naive = dot_naive, fast = ex_dot_unrolled;
    volatile float sink = 0;
    double t_naive = INFINITY, t_fast = INFINITY;
    time_reps(&naive, a, b, NSPEED, REPS / 10, &sink);                    // warm-up
    time_reps(&fast, a, b, NSPEED, REPS / 10, &sink);
    // Best of ROUNDS interleaved rounds: load on the machine slows both versions alike, and
    // the minimum is the round least disturbed by it.
    for (int k = 0; k < ROUNDS; k++) {
        t_naive = fmin(t_naive, time_reps(&naive, a, b, NSPEED, REPS, &sink));
        t_fast = fmin(t_fast, time_reps(&fast, a, b, NSPEED, REPS, &sink));
    }
    ex_put_speedup(t_naive / t_fast);
}

#elif defined(EXERCISE_ex4_softmax_xent)
// Six examples: small logits, huge logits (e^1000 overflows), all equal and very negative
// (e^-1000 underflows to 0: a naive 0/0), one class, and ten random logits.
static void run(void)
{
    enum { ROWS = 6, VMAX = 10 };
    float z[ROWS][VMAX] = {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1000, 999, -1000},
                           {-1000, -1000, -1000, -1000}, {3}};
    const int V[ROWS] = {5, 5, 3, 4, 1, 10}, target[ROWS] = {4, 0, 1, 2, 0, 7};
    Rng r;
    rng_seed(&r, 4);
    for (int j = 0; j < VMAX; j++) z[5][j] = 3.0f * rng_normal(&r);
    for (int i = 0; i < ROWS; i++) {
        float dz[VMAX];
        fill_nan(dz, VMAX);
        float loss = ex_softmax_xent(z[i], V[i], target[i], dz);
        char name[32];
        snprintf(name, sizeof name, "row%d_loss", i);
        ex_put(name, 0, loss);
        snprintf(name, sizeof name, "row%d_dz", i);
        ex_put_array(name, dz, V[i]);
    }
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
