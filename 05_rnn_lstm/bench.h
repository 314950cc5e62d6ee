/* 05_rnn_lstm/bench.h — chapter 5's timings (bench.c): the recurrent ladder in the default run
 * (section 4) and --bench (every rung, then training tokens/s of the Zaremba small model beside
 * PyTorch's nn.LSTM). */
#ifndef CH05_BENCH_H
#define CH05_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "report/cli.h"
#include "report/metrics.h"

/* Section 4 of the run: every rung of RNN_LADDER (kernels/recurrent.h) on one LSTM layer,
 * forward and backward, tokens/s and GFLOP/s, and its largest difference from v0. */
void rnn_timing_section(bool quick, uint64_t seed, Metrics *m);

/* --bench: the full ladder, then whole-step training tokens/s vs PyTorch (1 and 2 threads). */
void bench_run(const Cli *cli);

#endif
