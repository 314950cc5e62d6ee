/* common/bench/conv_bench.h — the convolution ladder benchmark behind chapter 4's `--bench`.
 *
 * For the two conv layers of the chapter's DigitCNN at batch 64 (batch 16 with quick):
 *   conv1: x (B, 1, 28, 28)  → 32 channels, 3x3, stride 1, pad 1
 *   conv2: x (B, 32, 14, 14) → 64 channels, 3x3, stride 1, pad 1
 * it times every rung of CONV_LADDER on each pass (forward, backward_data, backward_weight
 * with bias) and prints one row per (layer, pass, rung):
 *   version  threads  reps  ms  GFLOP/s  %peak  speedup  max|err|
 * GFLOP/s = conv_flops(s) / time (each pass has the forward's FLOP count); time = median of
 * 7 runs after a warm-up (3 for v0_direct). %peak is against peak_gflops() measured in the
 * same run on the thread count the rung uses: 1 for v0_direct (plain loops), `threads` for
 * v1_im2col (its GEMM is the selected rung, v4_threads by default) and for the threaded v2.
 * speedup is vs v0_direct; max|err| is the largest |out - out_v0| on that pass. A memory
 * line per layer gives the im2col buffer of one image and of the whole batch
 * (conv_im2col_floats · 4 bytes · N) and the workspace each rung asks for.
 * Inputs are uniform in [-1, 1) from a fixed seed. Takes ~1.5 s quick, ~5-10 s full (v0_direct
 * is most of it). The last line is v2's conv time for one training step (step_ms below).
 */
#ifndef DL_CONV_BENCH_H
#define DL_CONV_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#define CONV_BENCH_LAYERS 2
#define CONV_BENCH_PASSES 3        // 0 forward, 1 backward_data, 2 backward_weight
#define CONV_BENCH_MAX_RUNGS 6

/* Figures for one layer. Rung j is CONV_LADDER.rungs[j]; pass p as above. */
typedef struct ConvBenchLayer {
    const char *name;                                          // "conv1", "conv2"
    int B, C_in, H, W, C_out, KH, KW;                          // shape
    double gflop;                                              // conv_flops per pass / 1e9
    double ms[CONV_BENCH_MAX_RUNGS][CONV_BENCH_PASSES];        // median time, milliseconds
    double gflops[CONV_BENCH_MAX_RUNGS][CONV_BENCH_PASSES];    // conv_flops / time / 1e9
    double max_err[CONV_BENCH_MAX_RUNGS][CONV_BENCH_PASSES];   // max |out - out_v0|
    double im2col_mib_image, im2col_mib_batch;                 // one image / the whole batch
    double work_mib[CONV_BENCH_MAX_RUNGS];                     // workspace(s) · 4 bytes
} ConvBenchLayer;

typedef struct ConvBenchResult {
    int threads;                 // thread count of v1's GEMM and of v2
    int batch;                   // B used (64, or 16 with quick)
    const char *isa;             // peak_isa()
    double peak1_gflops;         // measured peak, 1 thread
    double peak_gflops;          // measured peak, `threads` threads
    int n_rungs;
    ConvBenchLayer layer[CONV_BENCH_LAYERS];
    // a training step's conv work with the last rung (v2), ms: conv1 forward +
    // backward_weight (its input needs no gradient), conv2 forward + backward_data +
    // backward_weight
    double step_ms;
} ConvBenchResult;

/* Run the benchmark on `threads` threads (>= 1; restores threads_get() afterwards). The
 * table goes to `out`; when `res` is not NULL it receives the figures above. */
void conv_bench(int threads, bool quick, FILE *out, ConvBenchResult *res);

#endif
