/* 05_rnn_lstm/timing.c — section 4 of the run, the kernel lesson: every rung of the recurrent
 * ladder (common/kernels/recurrent.c) on one LSTM layer of Zaremba et al.'s small model, forward
 * and back-propagation through time, side by side. (--bench, in bench.c, times the whole training
 * step against PyTorch.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "kernels/recurrent.h"
#include "ops/recurrent.h"

#include "bench.h"

// region: rnn_timing
// The work of one layer, counted in multiply-adds of its matrix products (the elementwise gate
// math is small beside them): forward B·T·(C + H)·G·H (x_t·W_ih and h_{t-1}·W_hh); backward
// twice that (dX, dh and dW_ih, dW_hh). 1 multiply-add = 2 FLOP.
static double layer_flop(int B, int T, int C, int H, int G)
{
    return 3.0 * 2.0 * B * T * (double)(C + H) * G * H;
}

void rnn_timing_section(bool quick, uint64_t seed, Metrics *m)
{
    const int B = 20, T = 20, C = 200, H = 200, G = 4, GH = G * H;   // Zaremba small, one layer
    const int reps = quick ? 3 : 15;
    Rng rng;
    rng_seed(&rng, seed);
    const size_t nx = (size_t)B * T * C, ny = (size_t)B * T * H;
    float *buf[12];
    const size_t sizes[12] = {nx, (size_t)C * GH, (size_t)H * GH, GH, GH, ny, (size_t)B * T * GH,
                              ny, ny, ny, nx, (size_t)C * GH};
    for (int i = 0; i < 12; i++) {
        buf[i] = calloc(sizes[i], sizeof(float));
        if (!buf[i]) { fprintf(stderr, "error: out of memory for the ladder timing\n"); exit(1); }
    }
    for (int i = 0; i < 5; i++) rng_fill_uniform(&rng, buf[i], sizes[i]);
    for (int i = 1; i < 5; i++)
        for (size_t k = 0; k < sizes[i]; k++) buf[i][k] = (buf[i][k] - 0.5f) * 0.2f;   // U(±0.1)
    rng_fill_uniform(&rng, buf[9], ny);                                               // dy
    float *ref_y = malloc(ny * sizeof(float)), *ref_dx = malloc(nx * sizeof(float));
    float *dw_ih = calloc((size_t)C * GH, sizeof(float)), *dw_hh = calloc((size_t)H * GH, sizeof(float));
    float *db_ih = calloc(GH, sizeof(float)), *db_hh = calloc(GH, sizeof(float));
    Arena scratch;
    arena_init(&scratch, "ladder timing");
    const double peak = peak_gflops(threads_get()), flop = layer_flop(B, T, C, H, G);
    printf("one LSTM layer, B = %d, T = %d, C = H = %d (the small PTB model), forward + BPTT; "
           "%d thread(s), peak %.0f GFLOP/s (%s)\n", B, T, H, threads_get(), peak, peak_isa());
    printf("  %-18s %10s %12s %10s %9s %12s\n", "rung", "ms/step", "tokens/s", "GFLOP/s",
           "of peak", "max|Δ| v0");
    double t_first = 0;
    for (int r = 0; r < RNN_LADDER.n_rungs; r++) {
        const KernelRung *rung = &RNN_LADDER.rungs[r];
        if (!rung_available(rung)) continue;
        const RecurrentImpl *impl = recurrent_impl(rung);
        RnnLayer l = {.kind = CELL_LSTM, .B = B, .T = T, .C = C, .H = H, .x = buf[0],
                      .w_ih = buf[1], .w_hh = buf[2], .b_ih = buf[3], .b_hh = buf[4],
                      .y = buf[5], .act = buf[6], .aux = buf[7], .aux2 = buf[8], .dy = buf[9],
                      .dx = buf[10], .dw_ih = dw_ih, .dw_hh = dw_hh, .db_ih = db_ih,
                      .db_hh = db_hh, .scratch = &scratch};
        double t[15];
        for (int k = 0; k < reps; k++) {
            memset(buf[10], 0, nx * sizeof(float));
            double t0 = now_seconds();
            impl->forward(&l);
            impl->backward(&l);
            t[k] = now_seconds() - t0;
            arena_reset(&scratch);
        }
        double sec = bench_median(t, reps), diff = 0;
        if (r == 0) {
            memcpy(ref_y, buf[5], ny * sizeof(float));
            memcpy(ref_dx, buf[10], nx * sizeof(float));
            t_first = sec;
        } else {
            double dy = bench_max_abs_diff(buf[5], ref_y, ny), dxd = bench_max_abs_diff(buf[10], ref_dx, nx);
            diff = dy > dxd ? dy : dxd;
        }
        printf("  %-18s %10.3f %12.0f %10.2f %8.1f%% %12.2e  (%.1fx v0)\n", rung->name, sec * 1e3,
               B * T / sec, flop / sec / 1e9, 100 * flop / sec / 1e9 / peak, diff, t_first / sec);
        metrics_setf(m, B * T / sec, "ladder_%s_tokens_per_s", rung->name);
        metrics_setf(m, diff, "ladder_%s_max_abs_diff", rung->name);
    }
    arena_free(&scratch);
    for (int i = 0; i < 12; i++) free(buf[i]);
    free(ref_y), free(ref_dx), free(dw_ih), free(dw_hh), free(db_ih), free(db_hh);
}
// endregion
