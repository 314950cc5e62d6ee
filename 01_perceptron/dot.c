/* 01_perceptron/dot.c — the kernel under chapter 1: the dot product and the matrix-vector
 * product, from a naive loop to AVX2 and threads, registered as one kernel ladder (dot.h).
 * Part of the chapter's program (the Makefile links every .c of the folder); the lesson is
 * perceptron.c, whose section 7 and --bench (bench.c) time these rungs.
 * Rungs (regions dot, matvec): v0 naive | v1 4 scalar accumulators | v2 AVX2/FMA | v3 threads
 */
#include "dot.h"

#include <stdbool.h>
#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "base/threads.h"
#include "kernels/ladder.h"

// region: dot
// The dot product s = Σ_i a_i·b_i is the perceptron's whole forward pass; a matrix-vector
// product is M of them. It reads 2n floats = 8n bytes for 2n FLOP (0.25 FLOP/byte), so once
// the vectors leave the cache its speed is set by memory bandwidth, not by arithmetic.

// v0: one accumulator, in order. Each addition waits for the one before (a float add takes
// ~4 cycles), and without -ffast-math the compiler may not reorder a float sum, so this
// does ~1 element per 4 cycles however wide the vector unit is.
static float dot_naive(const float *a, const float *b, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

// v1: four independent accumulators: four dependency chains in flight hide the add
// latency. Still plain C. The summation order differs from v0, hence so does the rounding
// (pairwise-ish sums are usually the *more* accurate ones).
static float dot_unroll4(const float *a, const float *b, size_t n)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__)
// v2: AVX2 + FMA, compiled for those instructions whatever the build flags and called only
// when the CPU has them (runtime dispatch). 8 floats per register, 4 register accumulators
// = 32 elements per iteration. Each FMA needs two loads and a core issues 2-3 loads per
// cycle, so ~1 FMA per cycle is the ceiling; 4 chains cover the 4-cycle FMA latency.
__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    // Horizontal sum of the 8 lanes: 8 -> 4 -> 2 -> 1.
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    float t = _mm_cvtss_f32(q);
    for (; i < n; i++) t += a[i] * b[i];   // the last n mod 8 elements
    return t;
}

// v2 runs only where the CPU has AVX2 and FMA (the rung's `available` test).
static bool cpu_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

// The fastest single-thread rung this CPU runs, found by name once: what v3 gives each thread.
static const VecImpl *single_best(void)
{
    static const VecImpl *best;
    if (!best) {
        const KernelRung *r = ladder_find(&DOT_LADDER, "v2_avx2");
        best = vec_impl(r ? r : ladder_find(&DOT_LADDER, "v1_unroll4"));
    }
    return best;
}

float dot(const float *a, const float *b, size_t n)
{
    return vec_impl(ladder_selected(&DOT_LADDER))->dot(a, b, n);
}

// v3: cut the vectors into chunks, one parallel_for index each (threads.h), the best
// single-thread rung on each, and the partial sums added in chunk order — so the result
// depends on n only, never on the thread count. Worth it out of cache, where one core
// cannot keep the memory bus busy. Chunks are >= 64K floats (cheap to hand out) and at most
// DOT_MAX_CHUNKS (the partial sums live on the stack).
#define DOT_MIN_CHUNK ((size_t)1 << 16)
#define DOT_MAX_CHUNKS 1024

typedef struct DotJob {
    const float *a, *b;
    size_t n, chunk;
    float *partial;       // (chunks)
    DotFn fn;
} DotJob;

static void dot_chunk(void *ctx, int c)
{
    DotJob *j = ctx;
    size_t lo = (size_t)c * j->chunk, len = j->n - lo < j->chunk ? j->n - lo : j->chunk;
    j->partial[c] = j->fn(j->a + lo, j->b + lo, len);
}

static float dot_threads(const float *a, const float *b, size_t n)
{
    DotFn best = single_best()->dot;
    if (n <= DOT_MIN_CHUNK) return best(a, b, n);
    size_t chunk = (n + DOT_MAX_CHUNKS - 1) / DOT_MAX_CHUNKS;
    chunk = chunk < DOT_MIN_CHUNK ? DOT_MIN_CHUNK : (chunk + 31) / 32 * 32;
    float partial[DOT_MAX_CHUNKS];
    DotJob j = {a, b, n, chunk, partial, best};
    int chunks = (int)((n + chunk - 1) / chunk);
    parallel_for(chunks, dot_chunk, &j);
    float s = 0.0f;
    for (int c = 0; c < chunks; c++) s += partial[c];
    return s;
}
// endregion

// region: matvec
// y (M) = A (M, N) · x (N), A row-major: one dot product per row, all sharing x. A is read
// once and x stays in cache after the first row, so bytes = 4·(M·N + N) read + 4·M written.
static void matvec_with(DotFn dotfn, const float *A, const float *x, float *y, int M, int N)
{
    for (int i = 0; i < M; i++) y[i] = dotfn(A + (size_t)i * N, x, (size_t)N);
}

// v0..v2: each row with the dot rung of the same name.
static void matvec_naive(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_naive, A, x, y, M, N);
}
static void matvec_unroll4(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_unroll4, A, x, y, M, N);
}
#if defined(__x86_64__)
static void matvec_avx2(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_avx2, A, x, y, M, N);
}
#endif

// v3: rows shared among the threads in contiguous blocks of 16 rows (one parallel_for
// index each); every row is computed exactly as in the best single-thread rung, so the
// results are identical to it for any thread count. Below MATVEC_MIN_PARALLEL elements of A
// (4 MB: the matrix is in cache and the whole product takes microseconds) waking the
// threads costs more than it saves, and one thread does it.
#define MATVEC_MIN_PARALLEL ((size_t)1 << 20)
typedef struct MatvecJob {
    const float *A, *x;
    float *y;
    int M, N;
    DotFn dot;            // the best single-thread rung
} MatvecJob;

static void matvec_block(void *ctx, int blk)
{
    MatvecJob *j = ctx;
    int lo = blk * 16, hi = lo + 16 < j->M ? lo + 16 : j->M;
    matvec_with(j->dot, j->A + (size_t)lo * j->N, j->x, j->y + lo, hi - lo, j->N);
}

static void matvec_threads(const float *A, const float *x, float *y, int M, int N)
{
    DotFn best = single_best()->dot;
    if ((size_t)M * N < MATVEC_MIN_PARALLEL) {   // waking threads costs more than it saves
        matvec_with(best, A, x, y, M, N);
        return;
    }
    MatvecJob j = {A, x, y, M, N, best};
    parallel_for((M + 15) / 16, matvec_block, &j);
}
// endregion

// region: ladder
// Every rung once, oldest first, so --kernel, --help, the bench and the tests see one list.
static const VecImpl V0 = {dot_naive, matvec_naive}, V1 = {dot_unroll4, matvec_unroll4};
static const VecImpl V3 = {dot_threads, matvec_threads};
#if defined(__x86_64__)
static const VecImpl V2 = {dot_avx2, matvec_avx2};
#endif
static const KernelRung DOT_RUNGS[] = {
    {"v0_naive", &V0, NULL},
    {"v1_unroll4", &V1, NULL},
#if defined(__x86_64__)
    {"v2_avx2", &V2, cpu_avx2},
#endif
    {"v3_threads", &V3, NULL},
};
// "auto" is v3_threads: below 64K floats (every call the perceptron makes) it is the best
// single-thread rung, above it the threads.
KernelLadder DOT_LADDER = {"dot", "s = a·b and y = A·x, the perceptron's score (chapter 1)",
                           DOT_RUNGS, sizeof DOT_RUNGS / sizeof DOT_RUNGS[0], "v3_threads",
                           NULL};
// endregion
