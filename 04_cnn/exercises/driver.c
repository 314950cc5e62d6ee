/* 04_cnn/exercises/driver.c — runs one chapter 4 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I04_cnn/exercises \
 *      -DEXERCISE_ex1_im2col 04_cnn/exercises/driver.c <your ex1_im2col.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_im2col.txt.
 * Inputs are fixed (seeded); outputs that must be written start as NaN, so a forgotten one
 * shows up as "produced NaN"; gradients start non-zero, so a backward that overwrites instead
 * of adding (+=) is caught.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "grader.h"
#include "base/clock.h"
#include "base/rng.h"
#include "exercises.h" // last: it poisons the library's conv/GEMM names

__attribute__((unused)) static float *alloc_floats(size_t n, float fill)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    if (!v) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) v[i] = fill;
    return v;
}

__attribute__((unused)) static void fill_uniform(float *v, size_t n, Rng *r, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = rng_uniform_range(r, lo, hi);
}

#if defined(EXERCISE_ex1_im2col)
// Six images through six unfoldings: padding 1 and 2, stride 2 and 3, a 1x1 and a 5x5
// kernel, a non-square image and a non-square (2x3) kernel. Pixel x[c][h][w] holds
// 100·(c + 1) + 10·h + w (all H, W < 10), so a wrong value tells where it came from
// (213: channel 1, row 1, column 3) and 0 can only be padding. Exact: it is a copy.
static void run(void)
{
    static const int cases[][7] = {   // C, H, W, KH, KW, stride, pad
        {2, 5, 7, 3, 3, 1, 1}, {3, 6, 6, 3, 3, 2, 1}, {1, 5, 5, 5, 5, 1, 2},
        {4, 4, 3, 1, 1, 1, 0}, {2, 9, 7, 2, 3, 2, 0}, {1, 7, 5, 5, 5, 3, 2},
    };
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        int C = cases[k][0], H = cases[k][1], W = cases[k][2], KH = cases[k][3], KW = cases[k][4];
        int stride = cases[k][5], pad = cases[k][6];
        int H_out = (H + 2 * pad - KH) / stride + 1, W_out = (W + 2 * pad - KW) / stride + 1;
        float *x = alloc_floats((size_t)C * H * W, 0.0f);
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) x[(c * H + h) * W + w] = (float)(100 * (c + 1) + 10 * h + w);
        int n = C * KH * KW * H_out * W_out;
        float *col = alloc_floats((size_t)n, NAN);
        ex_im2col(x, C, H, W, KH, KW, stride, pad, col);
        char name[32];
        snprintf(name, sizeof name, "case%d_col", k);
        ex_put_array(name, col, n);
        free(x);
        free(col);
    }
}

#elif defined(EXERCISE_ex2_maxpool_backward)
// Forward (y, argmax) and backward (dx, starting at 0.5) for: 2x2 windows with stride 2 on
// 6x6 planes (the usual pool); 3x3 windows with stride 2 on 7x7 (overlapping: an input on a
// window border can win two windows and must get both gradients); 2x2 stride 2 on 5x8 (the
// odd last row is dropped); and planes built to tie (values from {-3, -2, -1}, all negative:
// the first maximum wins, and starting the max at 0 gives a wrong answer).
static void run(void)
{
    static const int cases[][5] = {   // B_C, H, W, k, stride
        {3, 6, 6, 2, 2}, {2, 7, 7, 3, 2}, {2, 5, 8, 2, 2}, {2, 6, 7, 3, 2},
    };
    Rng rng;
    rng_seed(&rng, 41);
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int NC = cases[c][0], H = cases[c][1], W = cases[c][2], k = cases[c][3], st = cases[c][4];
        int H_out = (H - k) / st + 1, W_out = (W - k) / st + 1;
        size_t nx = (size_t)NC * H * W, ny = (size_t)NC * H_out * W_out;
        float *x = alloc_floats(nx, 0.0f), *y = alloc_floats(ny, NAN), *dy = alloc_floats(ny, 0.0f);
        float *dx = alloc_floats(nx, 0.5f);
        int *argmax = malloc(sizeof(int) * ny);
        if (!argmax) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (size_t i = 0; i < ny; i++) argmax[i] = -1;
        if (c == 3) {
            for (size_t i = 0; i < nx; i++) x[i] = -1.0f - (float)rng_below(&rng, 3);
        } else {
            fill_uniform(x, nx, &rng, -1, 1);
        }
        fill_uniform(dy, ny, &rng, -1, 1);
        ex_maxpool_forward(x, NC, H, W, k, st, y, argmax);
        float *yf = alloc_floats(ny, 0.0f);
        for (size_t i = 0; i < ny; i++) yf[i] = (float)argmax[i];
        for (size_t i = 0; i < ny; i++)     // the backward indexes dx with argmax: keep it inside
            if (argmax[i] < 0 || argmax[i] >= H * W) argmax[i] = 0;
        ex_maxpool_backward(dy, argmax, NC, H, W, H_out, W_out, dx);
        char name[32];
        snprintf(name, sizeof name, "case%d_y", c);
        ex_put_array(name, y, (int)ny);
        snprintf(name, sizeof name, "case%d_argmax", c);
        ex_put_array(name, yf, (int)ny);
        snprintf(name, sizeof name, "case%d_dx", c);
        ex_put_array(name, dx, (int)nx);
        free(x); free(y); free(dy); free(dx); free(yf); free(argmax);
    }
}

#elif defined(EXERCISE_ex3_conv_backward)
// dw and db (both starting at 0.25) for four convolutions: 3x3 pad 1 (the DigitCNN's), a
// strided 3x3 without padding, a 5x5 with pad 2 on a 5x5 image (most taps read padding),
// and a 1x1; non-square images, several images per batch (the sum runs over n too).
static void run(void)
{
    static const int cases[][8] = {   // B, C_in, H, W, C_out, K, stride, pad
        {2, 3, 7, 6, 4, 3, 1, 1}, {3, 2, 9, 8, 3, 3, 2, 0}, {1, 2, 5, 5, 2, 5, 1, 2},
        {2, 3, 4, 5, 2, 1, 1, 0},
    };
    Rng rng;
    rng_seed(&rng, 43);
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int B = cases[c][0], C_in = cases[c][1], H = cases[c][2], W = cases[c][3];
        int C_out = cases[c][4], K = cases[c][5], st = cases[c][6], pad = cases[c][7];
        int H_out = (H + 2 * pad - K) / st + 1, W_out = (W + 2 * pad - K) / st + 1;
        size_t nx = (size_t)B * C_in * H * W, ny = (size_t)B * C_out * H_out * W_out;
        size_t nw = (size_t)C_out * C_in * K * K;
        float *x = alloc_floats(nx, 0.0f), *dy = alloc_floats(ny, 0.0f);
        float *dw = alloc_floats(nw, 0.25f), *db = alloc_floats((size_t)C_out, 0.25f);
        fill_uniform(x, nx, &rng, -1, 1);
        fill_uniform(dy, ny, &rng, -1, 1);
        ex_conv_backward_weight(x, dy, dw, db, B, C_in, H, W, C_out, K, st, pad);
        char name[32];
        snprintf(name, sizeof name, "case%d_dw", c);
        ex_put_array(name, dw, (int)nw);
        snprintf(name, sizeof name, "case%d_db", c);
        ex_put_array(name, db, C_out);
        free(x); free(dy); free(dw); free(db);
    }
}

#elif defined(EXERCISE_ex4_conv_speed)
// v0: the seven nested loops of the definition, one running sum per output: each addition
// waits for the previous one, and the compiler may not reorder float additions to
// vectorize it. noinline, and called through a volatile pointer like yours, so both are
// timed doing the same work.
__attribute__((noinline)) static void conv_naive(const float *x, const float *w, const float *b,
                                                 float *y, int B, int C_in, int H, int W, int C_out,
                                                 int K, int pad)
{
    int H_out = H + 2 * pad - K + 1, W_out = W + 2 * pad - K + 1;
    for (int n = 0; n < B; n++)
        for (int k = 0; k < C_out; k++)
            for (int p = 0; p < H_out; p++)
                for (int q = 0; q < W_out; q++) {
                    float s = b[k];
                    for (int c = 0; c < C_in; c++)
                        for (int r = 0; r < K; r++) {
                            int h = p + r - pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < K; t++) {
                                int wi = q + t - pad;
                                if (wi < 0 || wi >= W) continue;
                                s += w[((k * C_in + c) * K + r) * K + t] *
                                     x[(((size_t)n * C_in + c) * H + h) * W + wi];
                            }
                        }
                    y[(((size_t)n * C_out + k) * H_out + p) * W_out + q] = s;
                }
}

typedef void (*ConvFn)(const float *, const float *, const float *, float *, int, int, int, int,
                       int, int, int);

typedef struct Case { int B, C_in, H, W, C_out, K, pad; } Case;

static size_t out_floats(Case s)
{
    return (size_t)s.B * s.C_out * (s.H + 2 * s.pad - s.K + 1) * (s.W + 2 * s.pad - s.K + 1);
}

// Seconds for one call of *fn on shape s.
static double time_conv(ConvFn volatile *fn, Case s, const float *x, const float *w,
                        const float *b, float *y)
{
    double t0 = now_seconds();
    (*fn)(x, w, b, y, s.B, s.C_in, s.H, s.W, s.C_out, s.K, s.pad);
    return now_seconds() - t0;
}

static void run(void)
{
    // Values: awkward shapes (odd sizes, non-square, K = 1, 2, 3, 5, pad 0..2, one image or
    // several), every output reported; then the timed shape, of which every 37th output is
    // reported (all 100352 would make a 2 MB reference file).
    static const Case cases[] = {
        {1, 1, 5, 5, 1, 3, 1},  {2, 3, 7, 9, 5, 3, 1}, {2, 2, 6, 5, 3, 5, 2},
        {3, 4, 5, 7, 6, 1, 0},  {1, 3, 8, 6, 4, 2, 1}, {2, 5, 9, 9, 7, 3, 0},
    };
    // The DigitCNN's second convolution (32 → 64 channels, 3x3, pad 1, on 14x14 maps) on a
    // batch of 8: 2·8·64·196·32·9 = 57.8 MFLOP per call.
    const Case big = {8, 32, 14, 14, 64, 3, 1};
    Rng rng;
    rng_seed(&rng, 44);
    ConvFn volatile naive = conv_naive, fast = ex_conv_forward_fast;
    char name[32];
    for (int c = 0; c <= (int)(sizeof cases / sizeof cases[0]); c++) {
        Case s = c < (int)(sizeof cases / sizeof cases[0]) ? cases[c] : big;
        size_t nx = (size_t)s.B * s.C_in * s.H * s.W, nw = (size_t)s.C_out * s.C_in * s.K * s.K;
        size_t ny = out_floats(s);
        float *x = alloc_floats(nx, 0.0f), *w = alloc_floats(nw, 0.0f), *b = alloc_floats((size_t)s.C_out, 0.0f);
        float *y = alloc_floats(ny, NAN);
        fill_uniform(x, nx, &rng, -1, 1);
        float bound = 1.0f / sqrtf((float)(s.C_in * s.K * s.K));   // nn.Conv2d's init range
        fill_uniform(w, nw, &rng, -bound, bound);
        fill_uniform(b, (size_t)s.C_out, &rng, -bound, bound);
        time_conv(&fast, s, x, w, b, y);
        snprintf(name, sizeof name, "case%d_y", c);
        if (c < (int)(sizeof cases / sizeof cases[0])) {
            ex_put_array(name, y, (int)ny);
        } else {
            for (size_t i = 0, k = 0; i < ny; i += 37, k++) ex_put(name, (int)k, y[i]);
            // Speed: best of ROUNDS interleaved rounds, after the warm-up call above, so that
            // load on the machine slows both alike and the least disturbed round counts.
            enum { ROUNDS = 5 };
            float *y0 = alloc_floats(ny, 0.0f);
            double t_naive = INFINITY, t_fast = INFINITY;
            time_conv(&naive, s, x, w, b, y0);
            for (int k = 0; k < ROUNDS; k++) {
                t_naive = fmin(t_naive, time_conv(&naive, s, x, w, b, y0));
                t_fast = fmin(t_fast, time_conv(&fast, s, x, w, b, y));
            }
            ex_put_speedup(t_naive / t_fast);
            free(y0);
        }
        free(x); free(w); free(b); free(y);
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
