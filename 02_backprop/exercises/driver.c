/* 02_backprop/exercises/driver.c — runs one chapter 2 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I02_backprop/exercises \
 *      -DEXERCISE_ex3_linear_backward 02_backprop/exercises/driver.c <your file> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/<exercise>.txt.
 * Gradients start from a non-zero value, so a backward that overwrites instead of adding
 * (+=) is caught; outputs that must be written start as NaN, so a forgotten one shows up as
 * "produced NaN". Inputs are fixed (seeded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercises.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/rng.h"
#include "kernels/gemm.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "grader.h"

__attribute__((unused)) static void fill_normal(float *v, int n, Rng *r)   // (not every exercise uses it)
{
    for (int i = 0; i < n; i++) v[i] = rng_normal(r);
}

#if defined(EXERCISE_ex1_hand_backprop)
// The lecture's example first (L = 4, dL/dw1 = -8, dL/dw2 = -4), then one with the ReLU
// off (z < 0: no gradient reaches w1) and two more.
static void run(void)
{
    static const float cases[][4] = {{2, 0.5f, 1, 3}, {2, -0.5f, 1, 3}, {1.5f, 2, -0.5f, 1},
                                     {-1, -3, 2, 0.5f}};
    for (int i = 0; i < 4; i++) {
        float loss = NAN, dw1 = NAN, dw2 = NAN;
        ex_hand_backprop(cases[i][0], cases[i][1], cases[i][2], cases[i][3], &loss, &dw1, &dw2);
        ex_put("loss", i, loss);
        ex_put("dw1", i, dw1);
        ex_put("dw2", i, dw2);
    }
}

#elif defined(EXERCISE_ex2_relu_backward)
static void run(void)
{
    enum { N = 37 };
    float x[N], dy[N], dx[N];
    Rng r;
    rng_seed(&r, 2);
    for (int i = 0; i < N; i++) {
        x[i] = -2.25f + 0.125f * (float)i;       // a grid through 0 exactly (i = 18)
        dy[i] = rng_normal(&r);
        dx[i] = 0.25f * (float)i;                // non-zero: the backward must add
    }
    ex_relu_backward(x, dy, dx, N);
    ex_put_array("dx", dx, N);
}

#elif defined(EXERCISE_ex3_linear_backward)
static void run(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {4, 3, 5}, {7, 33, 10}};   // (B, in, out)
    Rng r;
    rng_seed(&r, 3);
    for (int s = 0; s < 3; s++) {
        int B = shapes[s][0], in = shapes[s][1], out = shapes[s][2];
        float x[7 * 33], w[33 * 10], dy[7 * 10], dx[7 * 33], dw[33 * 10], db[10];
        fill_normal(x, B * in, &r);
        fill_normal(w, in * out, &r);
        fill_normal(dy, B * out, &r);
        for (int i = 0; i < B * in; i++) dx[i] = 0.5f;
        for (int i = 0; i < in * out; i++) dw[i] = 0.5f;
        for (int i = 0; i < out; i++) db[i] = 0.5f;
        ex_linear_backward(x, w, dy, B, in, out, dx, dw, db);
        char name[32];
        snprintf(name, sizeof name, "case%d_dx", s);
        ex_put_array(name, dx, B * in);
        snprintf(name, sizeof name, "case%d_dw", s);
        ex_put_array(name, dw, in * out);
        snprintf(name, sizeof name, "case%d_db", s);
        ex_put_array(name, db, out);
    }
}

#elif defined(EXERCISE_ex4_gemm_blocked)
static GemmFn naive_gemm(void)
{
    const KernelRung *r = ladder_find(&GEMM_LADDER, "v0_naive");
    if (r) return gemm_rung_fn(r);
    fprintf(stderr, "driver: no v0_naive rung in GEMM_LADDER\n");
    exit(1);
}

// Seconds for one C = A·B of size n with fn.
static double time_gemm(GemmFn fn, int n, const float *A, const float *B, float *C)
{
    double t0 = now_seconds();
    fn(n, n, n, A, n, B, n, C, n, false);
    return now_seconds() - t0;
}

static void run(void)
{
    // Awkward shapes (1, 7, 33, 65, … not multiples of any tile), accumulate on and off,
    // and one case with padded rows (lda > K, ldb > N, ldc > N): the whole ldc-wide rows of
    // C are reported, so a write into the padding is caught too.
    static const int cases[][7] = {   // M, N, K, lda, ldb, ldc, accumulate
        {1, 1, 1, 1, 1, 1, 0},        {7, 33, 65, 65, 33, 33, 1},
        {33, 65, 7, 10, 70, 67, 0},   {65, 67, 129, 129, 67, 67, 0},
    };
    Rng r;
    rng_seed(&r, 44);
    for (int c = 0; c < 4; c++) {
        int M = cases[c][0], N = cases[c][1], K = cases[c][2];
        int lda = cases[c][3], ldb = cases[c][4], ldc = cases[c][5];
        float *A = malloc(sizeof(float) * (size_t)M * lda), *B = malloc(sizeof(float) * (size_t)K * ldb);
        float *C = malloc(sizeof(float) * (size_t)M * ldc);
        if (!A || !B || !C) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (int i = 0; i < M * lda; i++) A[i] = rng_uniform_range(&r, -1, 1);
        for (int i = 0; i < K * ldb; i++) B[i] = rng_uniform_range(&r, -1, 1);
        for (int i = 0; i < M * ldc; i++) C[i] = rng_uniform_range(&r, -1, 1);
        ex_gemm_blocked(M, N, K, A, lda, B, ldb, C, ldc, cases[c][6] != 0);
        char name[32];
        snprintf(name, sizeof name, "case%d_C", c);
        ex_put_array(name, C, M * ldc);
        free(A);
        free(B);
        free(C);
    }

    // Speed: n = 256 (A, B, C 256 KiB each), where the naive rung's walk down the columns
    // of B misses the cache. 2·n³ FLOP per call either way; best of 5 interleaved rounds,
    // so load on the machine slows both alike and the least disturbed round counts.
    enum { NS = 256, ROUNDS = 5 };
    float *A = malloc(sizeof(float) * NS * NS), *B = malloc(sizeof(float) * NS * NS);
    float *C = malloc(sizeof(float) * NS * NS);
    if (!A || !B || !C) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    for (int i = 0; i < NS * NS; i++) { A[i] = rng_uniform_range(&r, -1, 1); B[i] = rng_uniform_range(&r, -1, 1); }
    GemmFn naive = naive_gemm();
    time_gemm(ex_gemm_blocked, NS, A, B, C);      // warm-up
    double t_naive = INFINITY, t_fast = INFINITY;
    for (int k = 0; k < ROUNDS; k++) {
        t_naive = fmin(t_naive, time_gemm(naive, NS, A, B, C));
        t_fast = fmin(t_fast, time_gemm(ex_gemm_blocked, NS, A, B, C));
    }
    ex_put_speedup(t_naive / t_fast);
    free(A);
    free(B);
    free(C);
}

#elif defined(EXERCISE_ex5_mlp_step)
// A 4 → 8 → 3 MLP, Xavier-initialised from seed 5, five SGD steps (lr 0.5) on one batch of
// 6 examples: the loss before each step, then every parameter. ladder_select(&GEMM_LADDER, "naive") makes
// the numbers identical on every CPU (the SIMD rungs round differently).
static void run(void)
{
    enum { B = 6, IN = 4, HID = 8, OUT = 3, STEPS = 5 };
    Arena params_arena, step_arena;
    arena_init(&params_arena, "params");
    arena_init(&step_arena, "step");
    Tape tp;
    tape_init(&tp, &step_arena);
    ladder_select(&GEMM_LADDER, "naive");
    Rng r;
    rng_seed(&r, 5);
    Params params;
    params_init(&params, &params_arena);
    Linear l1, l2;
    linear_init(&l1, &params_arena, IN, HID, INIT_XAVIER_UNIFORM, &r, &params);
    linear_init(&l2, &params_arena, HID, OUT, INIT_XAVIER_UNIFORM, &r, &params);
    Tensor *x = tensor_2d(&params_arena, B, IN);     // the batch lives as long as the model
    tensor_fill_normal(x, &r, 0.0f, 1.0f);
    static const int y[B] = {0, 1, 2, 0, 1, 2};
    for (int s = 0; s < STEPS; s++) {
        ex_put("loss", s, ex_mlp_step(&tp, &l1, &l2, &params, x, y, 0.5f));
        tape_reset(&tp);
    }
    ex_put_array("l1_w", l1.w->data, IN * HID);
    ex_put_array("l1_b", l1.b->data, HID);
    ex_put_array("l2_w", l2.w->data, HID * OUT);
    ex_put_array("l2_b", l2.b->data, OUT);
    arena_free(&step_arena);
    arena_free(&params_arena);
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
