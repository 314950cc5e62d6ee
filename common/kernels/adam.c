/* common/kernels/adam.c — see adam.h: the Adam/AdamW step, naive → fused → SIMD → threads.
 *
 * The lesson: an optimizer step does ~10 flops per parameter but must stream the parameter,
 * its gradient and two moment buffers through memory, so its speed is set by bytes, not
 * flops. v0 makes six passes (64 bytes per parameter for AdamW); v1 makes one (28 bytes);
 * v2/v3 then only make sure that one pass runs at the machine's memory bandwidth.
 *
 * Arithmetic (v1, v2, v3) follows torch.optim.Adam/AdamW (1.13, single-tensor path), in the
 * same order, with the scalars computed in double and rounded to float once per step:
 *   x  = θ·(1 − lr·wd)            AdamW only (decoupled decay)
 *   gi = g + wd·x                 Adam + L2 only
 *   m  = β1·m + (1−β1)·gi
 *   v  = β2·v + (1−β2)·gi·gi
 *   θ  = x + (−lr/(1−β1ᵗ))·m / (√v / √(1−β2ᵗ) + ε)
 * ε sits outside the bias correction of v exactly as in torch (and Kingma & Ba's Algorithm 1:
 * √(v/(1−β2ᵗ)) = √v/√(1−β2ᵗ)). No fused multiply-add anywhere (the Makefile builds with
 * -ffp-contract=off and the SIMD code uses separate mul/add): sqrt and division are correctly
 * rounded in IEEE 754, in scalar and vector form alike, so v1, v2 (any ISA) and v3 (any thread
 * count) give the same bits. v0 rounds differently (it divides m and v by the corrections
 * first, as the paper writes it) and agrees to a few ulp.
 */
#include "kernels/adam.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "bench/peak.h"
#include "base/threads.h"

#if defined(__x86_64__) && !defined(DL_NO_SIMD)   // -DDL_NO_SIMD: test the portable path on x86
#include <immintrin.h>
#define ADAM_X86 1
#else
#define ADAM_X86 0
#endif

// The per-step constants of the update, shared by every rung.
typedef struct AdamScalars {
    float decay;      // 1 − lr·wd (AdamW), else 1
    float l2;         // wd (Adam + L2), else 0
    float b1, c1;     // β1, 1 − β1
    float b2, c2;     // β2, 1 − β2
    float neg_step;   // −lr / (1 − β1ᵗ)
    float bc2_sqrt;   // √(1 − β2ᵗ)
    float eps;
    float bc1, bc2;   // 1 − β1ᵗ, 1 − β2ᵗ (v0's textbook form)
    float lr;
} AdamScalars;

static AdamScalars adam_scalars(float lr, float beta1, float beta2, float eps, float wd,
                                bool decoupled, long t)
{
    DL_CHECK(t >= 1, "adam: step t = %ld; t counts from 1 (the bias correction divides by "
             "1 − β^t)", t);
    double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    AdamScalars s = {
        .decay = decoupled ? (float)(1.0 - (double)lr * wd) : 1.0f,
        .l2 = decoupled ? 0.0f : wd,
        .b1 = beta1, .c1 = (float)(1.0 - beta1),
        .b2 = beta2, .c2 = (float)(1.0 - beta2),
        .neg_step = (float)(-(double)lr / bc1),
        .bc2_sqrt = (float)sqrt(bc2),
        .eps = eps, .bc1 = (float)bc1, .bc2 = (float)bc2, .lr = lr,
    };
    return s;
}

// One parameter, the fused form: v1's loop body and the tail of v2.
static inline void adam_one(const AdamScalars *s, float *th, float g, float *m, float *v)
{
    float x = *th * s->decay;
    float gi = g + s->l2 * x;
    float mi = s->b1 * *m + s->c1 * gi;
    float vi = s->b2 * *v + s->c2 * gi * gi;
    float denom = sqrtf(vi) / s->bc2_sqrt + s->eps;
    *m = mi;
    *v = vi;
    *th = x + s->neg_step * mi / denom;
}

// ---- v0: the textbook, one array operation per line ----
// Kingma & Ba's Algorithm 1 written as whole-array statements (as NumPy, or a framework
// running one kernel per op, would execute it). Each line is a pass over memory:
//   AdamW:  θ ← θ·(1 − lr·wd)              reads θ,        writes θ      8 B
//   L2:     gt ← g + wd·θ  (temporary)     reads g, θ,     writes gt    12 B
//           m ← β1·m + (1−β1)·g           reads m, g,     writes m     12 B
//           v ← β2·v + (1−β2)·g²          reads v, g,     writes v     12 B
//           m̂ ← m / (1−β1ᵗ)  (temporary)   reads m,        writes m̂      8 B
//           v̂ ← v / (1−β2ᵗ)  (temporary)   reads v,        writes v̂      8 B
//           θ ← θ − lr·m̂ / (√v̂ + ε)        reads θ, m̂, v̂,  writes θ     16 B
// = 56 B per parameter, + 8 for AdamW's decay or + 12 for L2: 64 B in the bench (AdamW),
// 2.3x the fused pass's 28 B. The temporaries are malloc'ed (n floats each): this rung is the
// reference, not something to call in a training loop.
static void adam_v0_naive(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                          float beta1, float beta2, float eps, float weight_decay,
                          bool decoupled, long t)
{
    AdamScalars s = adam_scalars(lr, beta1, beta2, eps, weight_decay, decoupled, t);
    if (n == 0) return;
    bool l2 = !decoupled && weight_decay != 0.0f;
    float *mh = malloc(n * sizeof *mh), *vh = malloc(n * sizeof *vh);
    float *gt = l2 ? malloc(n * sizeof *gt) : NULL;
    if (!mh || !vh || (l2 && !gt))
        dl_die("adam v0_naive: out of memory for its temporaries (%zu floats each); use a "
               "fused rung", n);
    if (decoupled && weight_decay != 0.0f)
        for (size_t i = 0; i < n; i++) theta[i] = theta[i] * s.decay;
    if (l2) {
        for (size_t i = 0; i < n; i++) gt[i] = g[i] + weight_decay * theta[i];
        g = gt;
    }
    for (size_t i = 0; i < n; i++) m[i] = s.b1 * m[i] + s.c1 * g[i];
    for (size_t i = 0; i < n; i++) v[i] = s.b2 * v[i] + s.c2 * g[i] * g[i];
    for (size_t i = 0; i < n; i++) mh[i] = m[i] / s.bc1;
    for (size_t i = 0; i < n; i++) vh[i] = v[i] / s.bc2;
    for (size_t i = 0; i < n; i++) theta[i] = theta[i] - lr * mh[i] / (sqrtf(vh[i]) + eps);
    free(mh);
    free(vh);
    free(gt);
}

// ---- v1: one fused pass ----
// What changed: all the lines of v0 happen while θ[i], g[i], m[i], v[i] sit in registers.
// Memory traffic drops to what cannot be avoided: read θ, g, m, v (16 B), write θ, m, v
// (12 B) = 28 B per parameter, and no temporaries. Measured, it is hardly faster than v0:
// the compiler does not vectorize the loop (sqrtf must be able to set errno for a negative
// argument, so each call stays a scalar square root with a check), and one scalar sqrt plus
// two divides per parameter take longer than moving its 28 bytes. The loop is compute-bound.
static void adam_v1_fused(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                          float beta1, float beta2, float eps, float weight_decay,
                          bool decoupled, long t)
{
    AdamScalars s = adam_scalars(lr, beta1, beta2, eps, weight_decay, decoupled, t);
    for (size_t i = 0; i < n; i++) adam_one(&s, &theta[i], g[i], &m[i], &v[i]);
}

// ---- v2: the fused pass, 8 or 16 parameters per instruction ----
// What changed: explicit AVX2 (8 floats) / AVX-512 (16 floats) arithmetic, chosen at run time,
// with v1's scalar body for the tail and on CPUs without them. One vector sqrt and two vector
// divides now serve 8 or 16 parameters, the arithmetic falls below the memory time, and the
// loop becomes what it should be: memory-bound.
#if ADAM_X86
__attribute__((target("avx512f")))
static size_t adam_body_avx512(const AdamScalars *s, float *theta, const float *g, float *m,
                               float *v, size_t n)
{
    const __m512 decay = _mm512_set1_ps(s->decay), l2 = _mm512_set1_ps(s->l2);
    const __m512 b1 = _mm512_set1_ps(s->b1), c1 = _mm512_set1_ps(s->c1);
    const __m512 b2 = _mm512_set1_ps(s->b2), c2 = _mm512_set1_ps(s->c2);
    const __m512 step = _mm512_set1_ps(s->neg_step), bc2s = _mm512_set1_ps(s->bc2_sqrt);
    const __m512 eps = _mm512_set1_ps(s->eps);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_mul_ps(_mm512_loadu_ps(theta + i), decay);
        __m512 gi = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_mul_ps(l2, x));
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), bc2s), eps);
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(theta + i, _mm512_add_ps(x, _mm512_div_ps(_mm512_mul_ps(step, mi), denom)));
    }
    return i;
}

__attribute__((target("avx2")))
static size_t adam_body_avx2(const AdamScalars *s, float *theta, const float *g, float *m,
                             float *v, size_t n)
{
    const __m256 decay = _mm256_set1_ps(s->decay), l2 = _mm256_set1_ps(s->l2);
    const __m256 b1 = _mm256_set1_ps(s->b1), c1 = _mm256_set1_ps(s->c1);
    const __m256 b2 = _mm256_set1_ps(s->b2), c2 = _mm256_set1_ps(s->c2);
    const __m256 step = _mm256_set1_ps(s->neg_step), bc2s = _mm256_set1_ps(s->bc2_sqrt);
    const __m256 eps = _mm256_set1_ps(s->eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_mul_ps(_mm256_loadu_ps(theta + i), decay);
        __m256 gi = _mm256_add_ps(_mm256_loadu_ps(g + i), _mm256_mul_ps(l2, x));
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2s), eps);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(theta + i, _mm256_add_ps(x, _mm256_div_ps(_mm256_mul_ps(step, mi), denom)));
    }
    return i;
}
#endif

typedef enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512 } AdamIsa;

static AdamIsa adam_isa(void)
{
#if ADAM_X86
    if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return ISA_AVX2;
#endif
    return ISA_SCALAR;
}

const char *adam_simd_isa(void)
{
    static const char *const names[] = {"scalar", "avx2", "avx512"};
    return names[adam_isa()];
}

static void adam_simd_range(const AdamScalars *s, float *theta, const float *g, float *m,
                            float *v, size_t n)
{
    size_t i = 0;
#if ADAM_X86
    switch (adam_isa()) {
    case ISA_AVX512: i = adam_body_avx512(s, theta, g, m, v, n); break;
    case ISA_AVX2: i = adam_body_avx2(s, theta, g, m, v, n); break;
    case ISA_SCALAR: break;
    }
#endif
    for (; i < n; i++) adam_one(s, &theta[i], g[i], &m[i], &v[i]);
}

static void adam_v2_simd(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                         float beta1, float beta2, float eps, float weight_decay,
                         bool decoupled, long t)
{
    AdamScalars s = adam_scalars(lr, beta1, beta2, eps, weight_decay, decoupled, t);
    adam_simd_range(&s, theta, g, m, v, n);
}

// ---- v3: the SIMD pass on every core ----
// What changed: the array is cut into threads_get() contiguous chunks (multiples of 16 floats
// = one 64-byte cache line, so no two threads write the same line), one per thread of the
// pool. One core often cannot keep enough cache misses in flight to saturate the memory
// controllers; two or more can. Each parameter is still updated by the same arithmetic, so
// the result does not depend on the thread count. Below ADAM_PAR_MIN parameters the pool's
// wake-up costs more than the work, and v2 runs inline.
#define ADAM_PAR_MIN ((size_t)1 << 15)

typedef struct AdamChunks {
    const AdamScalars *s;
    float *theta, *m, *v;
    const float *g;
    size_t n, chunk;
} AdamChunks;

static void adam_chunk(void *ctx, int i)
{
    const AdamChunks *c = ctx;
    size_t lo = (size_t)i * c->chunk, hi = lo + c->chunk;
    if (lo >= c->n) return;
    if (hi > c->n) hi = c->n;
    adam_simd_range(c->s, c->theta + lo, c->g + lo, c->m + lo, c->v + lo, hi - lo);
}

static void adam_v3_threads(float *theta, const float *g, float *m, float *v, size_t n,
                            float lr, float beta1, float beta2, float eps, float weight_decay,
                            bool decoupled, long t)
{
    AdamScalars s = adam_scalars(lr, beta1, beta2, eps, weight_decay, decoupled, t);
    int T = threads_get();
    if (T <= 1 || n < ADAM_PAR_MIN) {
        adam_simd_range(&s, theta, g, m, v, n);
        return;
    }
    size_t chunk = ((n + (size_t)T - 1) / (size_t)T + 15) / 16 * 16;
    AdamChunks c = {.s = &s, .theta = theta, .m = m, .v = v, .g = g, .n = n, .chunk = chunk};
    parallel_for(T, adam_chunk, &c);
}

// Bytes per parameter are those of the bench's AdamW step (see v0's comment for the passes).
static const AdamImpl V0 = {adam_v0_naive, 64.0}, V1 = {adam_v1_fused, 28.0},
                      V2 = {adam_v2_simd, 28.0}, V3 = {adam_v3_threads, 28.0};
static const KernelRung ADAM_RUNGS[] = {
    {"v0_naive", &V0, NULL}, {"v1_fused", &V1, NULL}, {"v2_simd", &V2, NULL},
    {"v3_threads", &V3, NULL},
};
KernelLadder ADAM_LADDER = {"adam", "the Adam/AdamW update, memory-bound (chapter 3)", ADAM_RUNGS,
                            sizeof ADAM_RUNGS / sizeof ADAM_RUNGS[0], "v3_threads", NULL};

void adam_update(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, bool decoupled, long t)
{
    adam_impl(ladder_selected(&ADAM_LADDER))->fn(theta, g, m, v, n, lr, beta1, beta2, eps,
                                                 weight_decay, decoupled, t);
}
