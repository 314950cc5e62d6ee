/* common/bench/attn_bench.h — the attention ladder benchmark behind chapter 7's --bench: time
 * and memory of every rung of ATTN_LADDER (kernels/attention.h) as the sequence grows.
 *
 * For each rung and T in {256, 512, 1024, 2048, 4096} (up to max_T), one op_attention
 * (ops/attention.h) on qkv (B, T, 3C), causal by default: the median time of the forward and of
 * forward + backward, GFLOP/s from attn_forward_flops (backward counted as twice the forward,
 * so forward + backward is 3× the forward's FLOPs; v1/v2 also recompute P, not counted), the
 * PEAK MEMORY of the op measured as the high-water mark of a fresh step arena (base/arena.h)
 * around one forward + backward, minus the output and its gradient (2·B·T·C floats, the same
 * for every rung) — i.e. what the rung keeps for backward plus its scratch: v0's B·NH·T² matrix
 * P against v1's B·NH·T log-sum-exp — beside the same from the rung's saved_floats +
 * scratch_floats, and the largest |out − out_v0|. v0 is skipped where its P would exceed
 * v0_max_mb.
 */
#ifndef DL_BENCH_ATTN_BENCH_H
#define DL_BENCH_ATTN_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#include "report/metrics.h"

#define ATTN_BENCH_MAX_T 5          // T = 256, 512, 1024, 2048, 4096
#define ATTN_BENCH_MAX_RUNGS 4

typedef struct AttnBenchConfig {
    int B, NH, HS;                  // 0: the defaults 1, 4, 32
    bool bidirectional;             // false (default): causal, as a decoder
    int max_T;                      // the largest T timed (0: 4096); e.g. 512 for --quick
    double v0_max_mb;               // skip v0 where B·NH·T² floats exceed this (0: 1024 MB)
} AttnBenchConfig;

typedef struct AttnBenchCell {
    bool skipped;                   // v0 above v0_max_mb (nothing else measured)
    int runs;                       // timed runs (medians of this many)
    double ms_fwd, ms_fwdbwd;       // median milliseconds
    double gflops_fwd, gflops_fwdbwd;
    double peak_mb;                 // measured: arena high-water − out − dout, MB (1e6 bytes)
    double formula_mb;              // (saved_floats + scratch_floats)·4 bytes, MB
    double max_err;                 // max |out − out_v0| (NaN when v0 was skipped at this T)
} AttnBenchCell;

typedef struct AttnBenchResult {
    int threads, B, NH, HS;
    bool causal;
    int n_T, n_rungs;               // rows T[0 … n_T), rungs in ATTN_LADDER order
    int T[ATTN_BENCH_MAX_T];
    AttnBenchCell cell[ATTN_BENCH_MAX_T][ATTN_BENCH_MAX_RUNGS];
} AttnBenchResult;

/* Benchmark every rung of ATTN_LADDER on `threads` threads (the pool is restored after, and so
 * is the selected rung). cfg NULL: all defaults. Prints a table (rows rung × T; columns ms fwd,
 * ms fwd+bwd, GFLOP/s of each, MB peak measured and from the formula, max|err| vs v0) to out;
 * when m is not NULL sets, per rung r and T t,
 *   attn_<r>_T<t>_fwd_ms, attn_<r>_T<t>_fwdbwd_ms, attn_<r>_T<t>_gflops, attn_<r>_T<t>_peak_mb
 * (gflops: forward + backward); fills res when not NULL. Runs take about 5 s at max_T 1024 on
 * one core, about a minute at 4096 (v0's T² loops dominate). */
void attn_bench_rungs(const AttnBenchConfig *cfg, int threads, FILE *out, Metrics *m,
                      AttnBenchResult *res);

#endif
