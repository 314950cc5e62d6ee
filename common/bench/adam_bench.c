/* common/bench/adam_bench.c — the Adam step ladder benchmark; see bench/adam_bench.h. */
#include "bench/adam_bench.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "kernels/adam.h"

// ---- bench ----

#define BENCH_REPS 11           // median of this many timed runs ...
#define BENCH_SLOW_REPS 5       // ... or of 5 when one run takes longer than BENCH_SLOW_RUN
#define BENCH_SLOW_RUN 0.25     // seconds
#define BENCH_STREAM_MIB 256    // per array of the bandwidth probes, far above any last-level cache
#define BENCH_LR 1e-3f
#define BENCH_WD 1e-2f          // AdamW with decoupled decay: the bytes counts above assume it

// A reproducible state without an RNG stream (so it can be rebuilt in place): a hash of the
// index, mapped to [-1, 1). m ~ 0.1·g-sized, v > 0 like a running mean of squares.
static float hash_unit(uint64_t i, uint64_t salt)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ salt;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return (float)((double)(x >> 40) / (double)(1ull << 23) - 1.0);
}

static void bench_fill(float *theta, float *g, float *m, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        theta[i] = hash_unit(i, 1);
        g[i] = hash_unit(i, 2);
        m[i] = 0.1f * hash_unit(i, 3);
        float q = hash_unit(i, 4);
        v[i] = 0.01f * q * q + 1e-4f;
    }
}

static void *bench_alloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes);
}

void adam_bench(int threads, bool quick, FILE *out, AdamBenchResult *res)
{
    static const size_t sizes[] = {1000000, 10000000, 100000000};
    int n_sizes = quick ? 1 : ADAM_BENCH_MAX_SIZES;
    if (threads < 1) threads = 1;
    int saved_threads = threads_get();
    threads_set(threads);

    AdamBenchResult r = {.threads = threads, .n_rows = n_sizes};
    r.triad_gbs = stream_triad_gbs(threads, BENCH_STREAM_MIB);
    r.update_gbs = stream_update_gbs(threads, BENCH_STREAM_MIB);
    fprintf(out, "Adam step ladder: AdamW (lr %g, wd %g), float32 θ, g, m, v; %d thread%s, "
            "v2 ISA %s\n", (double)BENCH_LR, (double)BENCH_WD, threads, threads == 1 ? "" : "s",
            adam_simd_isa());
    fprintf(out, "  bytes/param: v0 = 64 (6 passes: decay 8, m 12, v 12, m̂ 8, v̂ 8, update 16); "
            "v1-v3 = 28 (read θ,g,m,v 16 + write θ,m,v 12); write-allocate not counted\n");
    // The reference for the % column is the bandwidth of the same traffic with no arithmetic
    // (in-place update of 3 of 4 arrays). The triad writes a line it never read, which costs
    // an extra read (write-allocate), so its figure is lower and not this kernel's ceiling.
    fprintf(out, "  memory bandwidth, measured now on %d thread%s (arrays of %d MiB): in-place "
            "update x,m,v += g %.1f GB/s (the %%mem reference), STREAM triad %.1f GB/s\n",
            threads, threads == 1 ? "" : "s", BENCH_STREAM_MIB, r.update_gbs, r.triad_gbs);
    fprintf(out, "  %11s  %-11s %4s %10s %8s %7s  %s\n", "params", "version", "runs", "ms/step",
            "GB/s", "%mem", "max|err| vs v0");

    for (int si = 0; si < n_sizes; si++) {
        size_t n = sizes[si];
        AdamBenchRow *row = &r.rows[si];
        row->n = n;
        float *th = bench_alloc(n), *g = bench_alloc(n), *m = bench_alloc(n), *v = bench_alloc(n);
        float *ref = bench_alloc(n);
        // v0 also mallocs two n-float temporaries: probe for them too.
        float *probe = malloc(2 * n * sizeof(float));
        if (!th || !g || !m || !v || !ref || !probe) {
            row->skipped = true;
            fprintf(out, "  %11zu  skipped: could not allocate %.1f GB (θ, g, m, v, a reference "
                    "copy and v0's temporaries)\n", n, 7.0 * 4.0 * (double)n / 1e9);
            free(th); free(g); free(m); free(v); free(ref); free(probe);
            continue;
        }
        free(probe);
        // Reference: one v0 step (t = 10, so the bias corrections are not trivial).
        bench_fill(th, g, m, v, n);
        adam_impl(&ADAM_LADDER.rungs[0])->fn(th, g, m, v, n, BENCH_LR, 0.9f, 0.999f, 1e-8f, BENCH_WD, true, 10);
        memcpy(ref, th, n * sizeof(float));

        for (int k = 0; k < ADAM_LADDER.n_rungs; k++) {
            const KernelRung *rung = &ADAM_LADDER.rungs[k];
            const AdamImpl *im = adam_impl(rung);
            bench_fill(th, g, m, v, n);
            im->fn(th, g, m, v, n, BENCH_LR, 0.9f, 0.999f, 1e-8f, BENCH_WD, true, 10);
            double err = bench_max_abs_diff(th, ref, n);
            // Timing: the state keeps evolving (t = 11, 12, ...); the traffic is the same.
            long t = 11;
            double t0 = now_seconds();
            im->fn(th, g, m, v, n, BENCH_LR, 0.9f, 0.999f, 1e-8f, BENCH_WD, true, t++);   // warm-up
            double warm = now_seconds() - t0;
            int reps = warm > BENCH_SLOW_RUN ? BENCH_SLOW_REPS : BENCH_REPS;
            double ts[BENCH_REPS];
            for (int rep = 0; rep < reps; rep++) {
                t0 = now_seconds();
                im->fn(th, g, m, v, n, BENCH_LR, 0.9f, 0.999f, 1e-8f, BENCH_WD, true, t++);
                ts[rep] = now_seconds() - t0;
            }
            double sec = bench_median(ts, reps);
            double gbs = im->bytes_per_param * (double)n / sec / 1e9;   // bytes moved / time
            row->runs[k] = reps;
            row->seconds[k] = sec;
            row->gbs[k] = gbs;
            row->max_err[k] = err;
            fprintf(out, "  %11zu  %-11s %4d %10.3f %8.2f %6.1f%%  %.1e\n", n, rung->name, reps,
                    sec * 1e3, gbs, 100.0 * gbs / r.update_gbs, err);
        }
        free(th); free(g); free(m); free(v); free(ref);
    }
    bool slow = false;
    for (int si = 0; si < n_sizes; si++)
        for (int k = 0; k < ADAM_LADDER.n_rungs; k++)
            slow |= !r.rows[si].skipped && r.rows[si].runs[k] < BENCH_REPS;
    if (slow)
        fprintf(out, "  (runs = %d: one step took > %.2f s, so the median is of %d runs)\n",
                BENCH_SLOW_REPS, BENCH_SLOW_RUN, BENCH_SLOW_REPS);
    fprintf(out, "  (the state of 1M params, 16 MB, can sit in the last-level cache: above 100%% "
            "there is the cache, not DRAM)\n");
    threads_set(saved_threads);
    if (res) *res = r;
}
