/* 05_rnn_lstm/bench.h — chapter 5's timings (bench.c): the recurrent ladder in the default run
 * (section 4) and --bench (every rung, then training tokens/s of the Zaremba small model beside
 * PyTorch's nn.LSTM). */
#ifndef CH05_BENCH_H
#define CH05_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/recurrent.h"
#include "report/cli.h"
#include "report/metrics.h"

/* Section 4 of the run: every rung of RNN_LADDER (kernels/recurrent.h) on one LSTM layer of the
 * PTB model, forward and backward: times, GFLOP/s, % of the peak measured now, tokens/s, and the
 * relative difference from v0's outputs and gradients. */
void rnn_timing_section(bool quick, uint64_t seed, Metrics *m);

/* Tokens/s of whole training steps (embedding, L recurrent layers of `kind`, the V-word softmax
 * head, backward, clipping at 5, SGD lr 1) of Zaremba et al.'s small model (V = 10000,
 * D = H = 200, L = 2, T = 20, B = 20) through train_run on random tokens, under the rungs in
 * use: after `warmup` untimed steps, the `steps` timed ones are cut into 3 consecutive windows
 * and the fastest window's B·T·(its steps) / (its summed step times) is returned (1 window when
 * steps < 3). */
double lm_train_tokens_per_s(CellKind kind, int steps, int warmup, uint64_t seed);

/* --bench: the full ladder, then whole-step training tokens/s vs PyTorch (1 and 2 threads). */
void bench_run(const Cli *cli);

#endif
