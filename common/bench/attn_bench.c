/* common/bench/attn_bench.c — the attention ladder benchmark; see bench/attn_bench.h. */
#include "bench/attn_bench.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "bench/timing.h"
#include "kernels/attention.h"
#include "ops/attention.h"

#define BENCH_REPS 7            // median of this many timed runs ...
#define BENCH_SLOW_REPS 2       // ... or of 2 when the warm-up run took longer than BENCH_SLOW_RUN
#define BENCH_SLOW_RUN 0.3      // seconds

// A reproducible input without an RNG stream: a hash of the index, mapped to [-1, 1).
static float hash_unit(uint64_t i, uint64_t salt)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ salt;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (float)((double)(x >> 40) / (double)(1ull << 23) - 1.0);
}

typedef struct Bench {
    Arena params, step;
    Tape tp;
    Tensor *qkv;
    float *dout;
    int NH;
    bool causal;
} Bench;

// One op_attention forward (and backward: dout fed straight into the node's backward, as
// tape_backward would after a loss). Returns the output tensor (in the step arena).
static Tensor *bench_step(Bench *b, bool backward)
{
    tape_reset(&b->tp);
    Tensor *y = op_attention(&b->tp, b->qkv, b->NH, b->causal);
    if (backward) {
        DL_CHECK(y->grad && y->node, "attn_bench: the output has no gradient to back-propagate");
        memcpy(y->grad, b->dout, y->size * sizeof(float));
        y->node->backward(y->node);
    }
    return y;
}

// Median seconds of bench_step; *runs gets the number of timed runs.
static double bench_time(Bench *b, bool backward, int *runs)
{
    double t0 = now_seconds();
    bench_step(b, backward);                               // warm-up
    double warm = now_seconds() - t0;
    int reps = warm > BENCH_SLOW_RUN ? BENCH_SLOW_REPS : BENCH_REPS;
    double ts[BENCH_REPS];
    for (int r = 0; r < reps; r++) {
        t0 = now_seconds();
        bench_step(b, backward);
        ts[r] = now_seconds() - t0;
    }
    *runs = reps;
    return bench_median(ts, reps);
}

// Bytes the op takes from a fresh step arena over one forward + backward (its high-water mark),
// minus the output and its gradient (each B·T·C floats, rounded up to the arena's alignment).
static double bench_peak_bytes(Bench *b)
{
    Arena fresh;
    arena_init(&fresh, "attn bench peak");
    Tape tp;
    tape_init(&tp, &fresh);
    Tensor *y = op_attention(&tp, b->qkv, b->NH, b->causal);
    memcpy(y->grad, b->dout, y->size * sizeof(float));
    y->node->backward(y->node);
    const size_t out_bytes =
        (y->size * sizeof(float) + DL_ARENA_ALIGN - 1) / DL_ARENA_ALIGN * DL_ARENA_ALIGN;
    double peak = (double)fresh.peak - 2.0 * (double)out_bytes;
    arena_free(&fresh);
    return peak;
}

void attn_bench_rungs(const AttnBenchConfig *cfg, int threads, FILE *out, Metrics *m,
                      AttnBenchResult *res)
{
    static const int Ts[ATTN_BENCH_MAX_T] = {256, 512, 1024, 2048, 4096};
    AttnBenchConfig c = cfg ? *cfg : (AttnBenchConfig){0};
    if (c.B <= 0) c.B = 1;
    if (c.NH <= 0) c.NH = 4;
    if (c.HS <= 0) c.HS = 32;
    if (c.max_T <= 0) c.max_T = 4096;
    if (c.v0_max_mb <= 0) c.v0_max_mb = 1024.0;
    if (threads < 1) threads = 1;
    DL_CHECK(ATTN_LADDER.n_rungs <= ATTN_BENCH_MAX_RUNGS, "attn_bench: %d rungs, room for %d",
             ATTN_LADDER.n_rungs, ATTN_BENCH_MAX_RUNGS);
    const int saved_threads = threads_get();
    const KernelRung *saved_rung = ladder_selected(&ATTN_LADDER);
    threads_set(threads);

    AttnBenchResult r = {.threads = threads, .B = c.B, .NH = c.NH, .HS = c.HS,
                         .causal = !c.bidirectional, .n_rungs = ATTN_LADDER.n_rungs};
    for (int i = 0; i < ATTN_BENCH_MAX_T && Ts[i] <= c.max_T; i++) r.T[r.n_T++] = Ts[i];
    const int C = c.NH * c.HS;
    fprintf(out, "Attention ladder: B %d, NH %d, HS %d (C %d), %s, float32; %d thread%s\n", c.B,
            c.NH, c.HS, C, r.causal ? "causal" : "bidirectional", threads,
            threads == 1 ? "" : "s");
    fprintf(out, "  GFLOP/s: forward 4·B·NH·T²·HS%s, fwd+bwd 3× that (v1/v2's recomputation of P "
            "not counted)\n", r.causal ? "/2" : "");
    fprintf(out, "  MB peak: measured, the step arena's high-water mark over one forward + "
            "backward minus out and dout (2·B·T·C floats); formula: saved + scratch floats\n");
    fprintf(out, "  %-16s %5s %4s %9s %10s %8s %8s %9s %9s  %s\n", "rung", "T", "runs", "ms fwd",
            "ms fwd+bwd", "GF/s f", "GF/s f+b", "MB peak", "MB formula", "max|err| vs v0");

    for (int ti = 0; ti < r.n_T; ti++) {
        const int T = r.T[ti];
        Bench b = {.NH = c.NH, .causal = r.causal};
        arena_init(&b.params, "attn bench params");
        arena_init(&b.step, "attn bench step");
        tape_init(&b.tp, &b.step);
        b.qkv = tensor_param(&b.params, 3, (int[]){c.B, T, 3 * C}, "qkv");
        for (size_t i = 0; i < b.qkv->size; i++) b.qkv->data[i] = hash_unit(i, 1);
        const size_t n_out = (size_t)c.B * T * C;
        b.dout = dl_malloc(n_out * sizeof(float), "attn bench dout");
        for (size_t i = 0; i < n_out; i++) b.dout[i] = hash_unit(i, 2);
        float *ref = dl_malloc(n_out * sizeof(float), "attn bench reference");
        bool have_ref = false;
        const AttnShape sh = {c.B, T, c.NH, c.HS, r.causal};
        const double flops = attn_forward_flops(&sh);
        for (int k = 0; k < ATTN_LADDER.n_rungs; k++) {
            const KernelRung *rung = &ATTN_LADDER.rungs[k];
            AttnBenchCell *cell = &r.cell[ti][k];
            const double p_mb = (double)c.B * c.NH * T * (double)T * sizeof(float) / 1e6;
            if (k == 0 && p_mb > c.v0_max_mb) {
                cell->skipped = true;
                cell->max_err = NAN;
                fprintf(out, "  %-16s %5d  skipped: its P would take %.0f MB (> %.0f MB)\n",
                        rung->name, T, p_mb, c.v0_max_mb);
                continue;
            }
            DL_CHECK(ladder_select(&ATTN_LADDER, rung->name), "attn_bench: rung %s not available",
                     rung->name);
            const AttnImpl *impl = rung->impl;
            Tensor *y = bench_step(&b, false);
            if (k == 0) {
                memcpy(ref, y->data, n_out * sizeof(float));
                have_ref = true;
            }
            cell->max_err = have_ref ? bench_max_abs_diff(y->data, ref, n_out) : NAN;
            int runs_f, runs_fb;
            double tf = bench_time(&b, false, &runs_f), tfb = bench_time(&b, true, &runs_fb);
            cell->runs = runs_f < runs_fb ? runs_f : runs_fb;
            cell->ms_fwd = tf * 1e3;
            cell->ms_fwdbwd = tfb * 1e3;
            cell->gflops_fwd = flops / tf / 1e9;
            cell->gflops_fwdbwd = 3.0 * flops / tfb / 1e9;
            cell->peak_mb = bench_peak_bytes(&b) / 1e6;
            cell->formula_mb =
                (double)(impl->saved_floats(&sh) + impl->scratch_floats(&sh)) * sizeof(float) / 1e6;
            char err[32];
            if (isnan(cell->max_err)) snprintf(err, sizeof err, "-");
            else snprintf(err, sizeof err, "%.1e", cell->max_err);
            fprintf(out, "  %-16s %5d %4d %9.2f %10.2f %8.2f %8.2f %9.3f %9.3f  %s\n", rung->name,
                    T, cell->runs, cell->ms_fwd, cell->ms_fwdbwd, cell->gflops_fwd,
                    cell->gflops_fwdbwd, cell->peak_mb, cell->formula_mb, err);
            if (m) {
                metrics_setf(m, cell->ms_fwd, "attn_%s_T%d_fwd_ms", rung->name, T);
                metrics_setf(m, cell->ms_fwdbwd, "attn_%s_T%d_fwdbwd_ms", rung->name, T);
                metrics_setf(m, cell->gflops_fwdbwd, "attn_%s_T%d_gflops", rung->name, T);
                metrics_setf(m, cell->peak_mb, "attn_%s_T%d_peak_mb", rung->name, T);
            }
        }
        free(ref);
        free(b.dout);
        arena_free(&b.step);
        arena_free(&b.params);
    }
    if (saved_rung) ladder_select(&ATTN_LADDER, saved_rung->name);
    threads_set(saved_threads);
    if (res) *res = r;
}
