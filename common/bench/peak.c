/* common/bench/peak.c — see bench/peak.h: the machine's measured FLOP/s and bandwidth ceilings.
 *
 * Both loops are runtime-dispatched like gemm.c (target attributes + __builtin_cpu_supports),
 * run on `threads` plain pthreads started here (not the pool: the ceilings must not depend
 * on threads_set), and are timed with a monotonic clock.
 */
#include "base/clock.h"
#include "bench/peak.h"

#include "base/error.h"

#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && !defined(DL_NO_SIMD)   // -DDL_NO_SIMD: test the portable path on x86
#include <immintrin.h>
#define PEAK_X86 1
#else
#define PEAK_X86 0
#endif

// Run fn(arg_t) on T threads (thread 0 is the caller) and return the wall time in seconds.
typedef struct PeakArg { long iters; int t, T; double sink; void *ctx; } PeakArg;
static double run_threads(void *(*fn)(void *), PeakArg *args, int T)
{
    pthread_t tid[64];
    double t0 = now_seconds();
    for (int t = 1; t < T; t++)
        if (pthread_create(&tid[t], NULL, fn, &args[t]) != 0)
            dl_die("peak: could not start thread %d of %d; use fewer threads", t + 1, T);
    fn(&args[0]);
    for (int t = 1; t < T; t++) pthread_join(tid[t], NULL);
    return now_seconds() - t0;
}

// ---- peak FLOP/s ----
// 2 FMA units x 4-cycle latency need >= 8 independent FMAs in flight; 16 accumulators leave
// margin. Each step is acc = acc·m + s with m just below 1, so values stay finite and normal.
#define PEAK_ACC 16

#if PEAK_X86
// The 16 accumulators are spelled out (not an array) so they stay in registers at -O2.
#define PEAK_REGS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
                     X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
__attribute__((target("avx512f")))
static double fma_loop_avx512(long iters)
{
    __m512 m = _mm512_set1_ps(0.999999f), s = _mm512_set1_ps(1e-6f);
#define P_DECL(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define P_STEP(i) acc##i = _mm512_fmadd_ps(acc##i, m, s);
#define P_SUM(i) t = _mm512_add_ps(t, acc##i);
    PEAK_REGS(P_DECL)
    for (long n = 0; n < iters; n++) { PEAK_REGS(P_STEP) }
    __m512 t = _mm512_setzero_ps();
    PEAK_REGS(P_SUM)
#undef P_DECL
#undef P_STEP
#undef P_SUM
    return _mm512_reduce_add_ps(t);
}

__attribute__((target("avx2,fma")))
static double fma_loop_avx2(long iters)
{
    __m256 m = _mm256_set1_ps(0.999999f), s = _mm256_set1_ps(1e-6f);
#define P_DECL(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define P_STEP(i) acc##i = _mm256_fmadd_ps(acc##i, m, s);
#define P_SUM(i) t = _mm256_add_ps(t, acc##i);
    PEAK_REGS(P_DECL)
    for (long n = 0; n < iters; n++) { PEAK_REGS(P_STEP) }
    __m256 t = _mm256_setzero_ps();
    PEAK_REGS(P_SUM)
#undef P_DECL
#undef P_STEP
#undef P_SUM
    float v[8];
    _mm256_storeu_ps(v, t);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}
#endif

static double fma_loop_scalar(long iters)
{
    float acc[PEAK_ACC];
    for (int i = 0; i < PEAK_ACC; i++) acc[i] = (float)i;
    for (long n = 0; n < iters; n++)
        for (int i = 0; i < PEAK_ACC; i++) acc[i] = acc[i] * 0.999999f + 1e-6f;
    double t = 0;
    for (int i = 0; i < PEAK_ACC; i++) t += acc[i];
    return t;
}

static int isa_lanes(void)   // floats per vector of the widest ISA; 1 = scalar
{
#if PEAK_X86
    if (__builtin_cpu_supports("avx512f")) return 16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 8;
#endif
    return 1;
}

const char *peak_isa(void)
{
    int w = isa_lanes();
    return w == 16 ? "avx512" : w == 8 ? "avx2+fma" : "scalar";
}

static void *peak_worker(void *p)
{
    PeakArg *a = p;
#if PEAK_X86
    int w = isa_lanes();
    if (w == 16) { a->sink = fma_loop_avx512(a->iters); return NULL; }
    if (w == 8) { a->sink = fma_loop_avx2(a->iters); return NULL; }
#endif
    a->sink = fma_loop_scalar(a->iters);
    return NULL;
}

double peak_gflops(int threads)
{
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    PeakArg args[64];
    // FLOP per loop iteration per thread: PEAK_ACC FMAs x lanes x 2 (a scalar "FMA" is a
    // multiply and an add here, also 2 FLOP).
    double flop_per_iter = 2.0 * PEAK_ACC * isa_lanes();
    long iters = 1 << 14;
    double dt;
    for (;;) {   // double the work until one pass takes >= 50 ms
        for (int t = 0; t < threads; t++) args[t] = (PeakArg){.iters = iters, .t = t, .T = threads};
        dt = run_threads(peak_worker, args, threads);
        if (dt >= 0.05 || iters >= (1L << 40)) break;
        iters *= 2;
    }
    double best = flop_per_iter * (double)iters * threads / dt / 1e9;
    for (int pass = 1; pass < 4; pass++) {   // best of 4 passes: the least disturbed one
        dt = run_threads(peak_worker, args, threads);
        double g = flop_per_iter * (double)iters * threads / dt / 1e9;
        if (g > best) best = g;
    }
    return best;
}

// ---- STREAM triad ----
typedef struct Triad { float *a, *b, *c; size_t n; } Triad;

#if PEAK_X86
__attribute__((target("avx512f")))
static void triad_avx512(float *a, const float *b, const float *c, float s, size_t n)
{
    __m512 vs = _mm512_set1_ps(s);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(a + i,
                         _mm512_fmadd_ps(vs, _mm512_loadu_ps(c + i), _mm512_loadu_ps(b + i)));
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}
__attribute__((target("avx2,fma")))
static void triad_avx2(float *a, const float *b, const float *c, float s, size_t n)
{
    __m256 vs = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(a + i,
                         _mm256_fmadd_ps(vs, _mm256_loadu_ps(c + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}
#endif

static void triad(float *a, const float *b, const float *c, float s, size_t n)
{
#if PEAK_X86
    int w = isa_lanes();
    if (w == 16) { triad_avx512(a, b, c, s, n); return; }
    if (w == 8) { triad_avx2(a, b, c, s, n); return; }
#endif
    for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

// Thread p->t of p->T takes elements [lo, hi) of n: contiguous, fixed, near-equal slices.
static void slice_of(size_t n, const PeakArg *p, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)p->t / (size_t)p->T;
    *hi = n * (size_t)(p->t + 1) / (size_t)p->T;
}

static void *triad_init_worker(void *p)   // first touch by the thread that will use the slice
{
    PeakArg *a = p;
    Triad *tr = a->ctx;
    size_t lo, hi;
    slice_of(tr->n, a, &lo, &hi);
    for (size_t i = lo; i < hi; i++) { tr->a[i] = 0.0f; tr->b[i] = 1.0f; tr->c[i] = 2.0f; }
    return NULL;
}

static void *triad_worker(void *p)
{
    PeakArg *a = p;
    Triad *tr = a->ctx;
    size_t lo, hi;
    slice_of(tr->n, a, &lo, &hi);
    triad(tr->a + lo, tr->b + lo, tr->c + lo, 3.0f, hi - lo);
    return NULL;
}

double stream_triad_gbs(int threads, int mib)
{
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (mib < 1) mib = 1;
    Triad tr = {.n = (size_t)mib * 1024 * 1024 / sizeof(float)};
    size_t bytes = tr.n * sizeof(float);
    tr.a = aligned_alloc(64, bytes);
    tr.b = aligned_alloc(64, bytes);
    tr.c = aligned_alloc(64, bytes);
    if (!tr.a || !tr.b || !tr.c)
        dl_die("stream_triad_gbs: out of memory for 3 arrays of %d MiB; pass a smaller size",
               mib);
    PeakArg args[64];
    for (int t = 0; t < threads; t++) args[t] = (PeakArg){.t = t, .T = threads, .ctx = &tr};
    run_threads(triad_init_worker, args, threads);
    double best = 0;
    for (int pass = 0; pass < 6; pass++) {   // pass 0 warms up; best of the other 5
        double dt = run_threads(triad_worker, args, threads);
        double gbs = 3.0 * (double)bytes / dt / 1e9;   // read b, read c, write a
        if (pass > 0 && gbs > best) best = gbs;
    }
    free(tr.a);
    free(tr.b);
    free(tr.c);
    return best;
}

// ---- in-place update (an optimizer step's traffic, with no arithmetic to speak of) ----
typedef struct Update { float *x, *g, *m, *v; size_t n; } Update;

static void *update_init_worker(void *p)   // first touch by the thread that will use the slice
{
    PeakArg *a = p;
    Update *u = a->ctx;
    size_t lo, hi;
    slice_of(u->n, a, &lo, &hi);
    for (size_t i = lo; i < hi; i++) { u->x[i] = 0.0f; u->g[i] = 1e-3f; u->m[i] = 0.0f; u->v[i] = 0.0f; }
    return NULL;
}

static void *update_worker(void *p)
{
    PeakArg *a = p;
    Update *u = a->ctx;
    size_t lo, hi;
    slice_of(u->n, a, &lo, &hi);
    float *restrict x = u->x, *restrict m = u->m, *restrict v = u->v;
    const float *restrict g = u->g;
    for (size_t i = lo; i < hi; i++) {   // restrict: no aliasing, so one vectorized pass
        x[i] += g[i];
        m[i] += g[i];
        v[i] += g[i];
    }
    return NULL;
}

double stream_update_gbs(int threads, int mib)
{
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if (mib < 1) mib = 1;
    Update u = {.n = (size_t)mib * 1024 * 1024 / sizeof(float)};
    size_t bytes = u.n * sizeof(float);
    u.x = aligned_alloc(64, bytes);
    u.g = aligned_alloc(64, bytes);
    u.m = aligned_alloc(64, bytes);
    u.v = aligned_alloc(64, bytes);
    if (!u.x || !u.g || !u.m || !u.v)
        dl_die("stream_update_gbs: out of memory for 4 arrays of %d MiB; pass a smaller size",
               mib);
    PeakArg args[64];
    for (int t = 0; t < threads; t++) args[t] = (PeakArg){.t = t, .T = threads, .ctx = &u};
    run_threads(update_init_worker, args, threads);
    double best = 0;
    for (int pass = 0; pass < 6; pass++) {   // pass 0 warms up; best of the other 5
        double dt = run_threads(update_worker, args, threads);
        double gbs = 7.0 * (double)bytes / dt / 1e9;   // read x, g, m, v; write x, m, v
        if (pass > 0 && gbs > best) best = gbs;
    }
    free(u.x);
    free(u.g);
    free(u.m);
    free(u.v);
    return best;
}
