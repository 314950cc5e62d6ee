/* common/kernels/word2vec.c — see word2vec.h: the SGNS update v0 scalar → v1 SIMD → v2 σ table
 * and alias sampler → v3 Hogwild threads, and the two noise samplers.
 *
 * Sources: Mikolov et al. 2013 (NIPS), eq. 4 (negative sampling); word2vec.c (Mikolov, 2013,
 * code.google.com/p/word2vec) for the inner loop, the σ table and the unigram table; Walker 1977
 * and Vose 1991 ("A linear algorithm for generating random numbers with a given distribution")
 * for the alias method; Recht et al. 2011 (Hogwild!) for v3, whose threads live in the trainer
 * (06_embeddings/word2vec.c): the update itself is v2's.
 */
#include "kernels/word2vec.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#if defined(__x86_64__) && !defined(DL_NO_SIMD)
#include <immintrin.h>
#define W2V_X86 1
#else
#define W2V_X86 0
#endif

// v0 is the reference written as plain loops; with -O3 -march=native GCC would vectorize its
// axpys anyway, so it is compiled without the vectorizer to stay the scalar rung it claims.
#if defined(__GNUC__) && !defined(__clang__)
#define W2V_SCALAR __attribute__((optimize("no-tree-vectorize")))
#else
#define W2V_SCALAR
#endif

// −log σ(x) = softplus(−x), without overflow for large |x|.
static inline float neg_log_sigmoid(float x)
{
    return x >= 0.0f ? log1pf(expf(-x)) : -x + log1pf(expf(x));
}

// ---- v0: scalar loops, exact σ ----
W2V_SCALAR
static float w2v_v0_scalar(const float *h, float *dh, float *U, const int *rows, int n_rows,
                           int D, float lr)
{
    float loss = 0.0f;
    for (int t = 0; t < n_rows; t++) {
        float *u = U + (size_t)rows[t] * D;
        float f = 0.0f;
        for (int d = 0; d < D; d++) f += h[d] * u[d];
        float label = t == 0 ? 1.0f : 0.0f;
        loss += neg_log_sigmoid(t == 0 ? f : -f);
        float g = lr * (label - 1.0f / (1.0f + expf(-f)));
        for (int d = 0; d < D; d++) dh[d] += g * u[d];
        for (int d = 0; d < D; d++) u[d] += g * h[d];
    }
    return loss;
}

// ---- the vector primitives of v1+: dot, and the fused "dh += g·u; u += g·h" ----
// What changed from v0: 16 (AVX-512) or 8 (AVX2) lanes per instruction. The dot sums in lanes
// then across them, so it differs from v0's left-to-right sum by rounding (~1e-7 relative).
// The two axpys share one pass over u (read u once, write dh and u).
#if W2V_X86
__attribute__((target("avx512f")))
static float dot_avx512(const float *a, const float *b, int D)
{
    __m512 acc = _mm512_setzero_ps();
    int d = 0;
    for (; d + 16 <= D; d += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + d), _mm512_loadu_ps(b + d), acc);
    if (d < D) {
        __mmask16 m = (__mmask16)((1u << (D - d)) - 1u);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + d), _mm512_maskz_loadu_ps(m, b + d),
                              acc);
    }
    return _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx512f")))
static void axpy2_avx512(float g, const float *h, float *dh, float *u, int D)
{
    __m512 gv = _mm512_set1_ps(g);
    int d = 0;
    for (; d + 16 <= D; d += 16) {
        __m512 uu = _mm512_loadu_ps(u + d);
        _mm512_storeu_ps(dh + d, _mm512_fmadd_ps(gv, uu, _mm512_loadu_ps(dh + d)));
        _mm512_storeu_ps(u + d, _mm512_fmadd_ps(gv, _mm512_loadu_ps(h + d), uu));
    }
    if (d < D) {
        __mmask16 m = (__mmask16)((1u << (D - d)) - 1u);
        __m512 uu = _mm512_maskz_loadu_ps(m, u + d);
        _mm512_mask_storeu_ps(dh + d, m,
                              _mm512_fmadd_ps(gv, uu, _mm512_maskz_loadu_ps(m, dh + d)));
        _mm512_mask_storeu_ps(u + d, m,
                              _mm512_fmadd_ps(gv, _mm512_maskz_loadu_ps(m, h + d), uu));
    }
}

__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, int D)
{
    __m256 acc = _mm256_setzero_ps();
    int d = 0;
    for (; d + 8 <= D; d += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), acc);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    float r = _mm_cvtss_f32(s);
    for (; d < D; d++) r += a[d] * b[d];
    return r;
}

__attribute__((target("avx2,fma")))
static void axpy2_avx2(float g, const float *h, float *dh, float *u, int D)
{
    __m256 gv = _mm256_set1_ps(g);
    int d = 0;
    for (; d + 8 <= D; d += 8) {
        __m256 uu = _mm256_loadu_ps(u + d);
        _mm256_storeu_ps(dh + d, _mm256_fmadd_ps(gv, uu, _mm256_loadu_ps(dh + d)));
        _mm256_storeu_ps(u + d, _mm256_fmadd_ps(gv, _mm256_loadu_ps(h + d), uu));
    }
    for (; d < D; d++) {
        float uu = u[d];
        dh[d] += g * uu;
        u[d] += g * h[d];
    }
}

static bool have_avx512(void) { return __builtin_cpu_supports("avx512f"); }
static bool have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

static float dot_portable(const float *a, const float *b, int D)
{
    float acc[8] = {0};       // 8 partial sums: the compiler vectorizes this shape
    int d = 0;
    for (; d + 8 <= D; d += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[d + j] * b[d + j];
    float r = 0.0f;
    for (int j = 0; j < 8; j++) r += acc[j];
    for (; d < D; d++) r += a[d] * b[d];
    return r;
}

static void axpy2_portable(float g, const float *h, float *dh, float *u, int D)
{
    for (int d = 0; d < D; d++) {
        float uu = u[d];
        dh[d] += g * uu;
        u[d] += g * h[d];
    }
}

typedef float (*DotFn)(const float *, const float *, int);
typedef void (*Axpy2Fn)(float, const float *, float *, float *, int);

typedef enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512 } W2vIsa;

static W2vIsa w2v_isa(void)
{
#if W2V_X86
    if (have_avx512()) return ISA_AVX512;
    if (have_avx2()) return ISA_AVX2;
#endif
    return ISA_SCALAR;
}

static int ISA = ISA_SCALAR;          // set once by tables_init
static void tables_init(void);

const char *w2v_simd_isa(void)
{
    static const char *names[] = {"scalar", "avx2", "avx512"};
    return names[w2v_isa()];
}

// The update's body for one ISA: DOT/AXPY2 are the primitives, SIG the σ, LOSS the loss term.
#define W2V_BODY(DOT, AXPY2, SIG_AND_LOSS)                                                        \
    float loss = 0.0f;                                                                            \
    for (int t = 0; t < n_rows; t++) {                                                            \
        float *u = U + (size_t)rows[t] * D;                                                       \
        float f = DOT(h, u, D);                                                                   \
        float label = t == 0 ? 1.0f : 0.0f, sig, lt;                                              \
        SIG_AND_LOSS;                                                                             \
        loss += lt;                                                                               \
        AXPY2(lr * (label - sig), h, dh, u, D);                                                   \
    }                                                                                             \
    return loss;

#define EXACT_SIG                                                                                 \
    sig = 1.0f / (1.0f + expf(-f));                                                               \
    lt = neg_log_sigmoid(t == 0 ? f : -f)

// ---- v1: SIMD dot/axpy, σ exact ----
#if W2V_X86
__attribute__((target("avx512f")))
static float v1_avx512(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                       float lr)
{
    W2V_BODY(dot_avx512, axpy2_avx512, EXACT_SIG)
}
__attribute__((target("avx2,fma")))
static float v1_avx2(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                     float lr)
{
    W2V_BODY(dot_avx2, axpy2_avx2, EXACT_SIG)
}
#endif
static float v1_portable(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                         float lr)
{
    W2V_BODY(dot_portable, axpy2_portable, EXACT_SIG)
}

static float w2v_v1_simd(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                         float lr)
{
    tables_init();
#if W2V_X86
    if (ISA == ISA_AVX512) return v1_avx512(h, dh, U, rows, n_rows, D, lr);
    if (ISA == ISA_AVX2) return v1_avx2(h, dh, U, rows, n_rows, D, lr);
#endif
    return v1_portable(h, dh, U, rows, n_rows, D, lr);
}

// ---- v2: σ and log σ from tables ----
// What changed from v1: no expf / log1pf per target. word2vec.c's table: entry i holds
// σ((i / SIZE · 2 − 1) · MAX_EXP), looked up by truncating (x + MAX_EXP) · SIZE / (2 MAX_EXP)
// — a left Riemann step, so the error is up to one bin's rise of σ (≈ 12/1000 · 1/4 = 0.003;
// measured by w2v_sigmoid_table_max_error). Outside ±MAX_EXP σ is taken as exactly 1 or 0, as
// word2vec.c's negative-sampling branch does (its g = (label − 1)·α or (label − 0)·α).
// (word2vec.c writes the index scale as EXP_TABLE_SIZE / MAX_EXP / 2, integer division: 83
// instead of 83.33, so its top bins are never read; the float scale here uses the whole table.)
// The loss uses a second table, −log σ at the same points, and softplus's asymptotes outside.
static float SIG_TAB[W2V_EXP_TABLE_SIZE + 1], NLS_POS[W2V_EXP_TABLE_SIZE + 1],
             NLS_NEG[W2V_EXP_TABLE_SIZE + 1];
#define TAB_SCALE ((float)W2V_EXP_TABLE_SIZE / (2.0f * W2V_MAX_EXP))

static pthread_once_t W2V_ONCE = PTHREAD_ONCE_INIT;

// Fill the tables and pick the ISA once, whichever thread comes first (pthread_once).
static void tables_fill(void)
{
    ISA = (int)w2v_isa();
    for (int i = 0; i <= W2V_EXP_TABLE_SIZE; i++) {
        double x = ((double)i / W2V_EXP_TABLE_SIZE * 2.0 - 1.0) * W2V_MAX_EXP;
        double e = exp(x);
        SIG_TAB[i] = (float)(e / (e + 1.0));
        NLS_POS[i] = (float)log1p(exp(-x));   // −log σ(x)
        NLS_NEG[i] = (float)log1p(exp(x));    // −log σ(−x)
    }
}

static void tables_init(void) { pthread_once(&W2V_ONCE, tables_fill); }

float w2v_sigmoid_table(float x)
{
    tables_init();
    if (x >= W2V_MAX_EXP) return 1.0f;
    if (x <= -W2V_MAX_EXP) return 0.0f;
    return SIG_TAB[(int)((x + W2V_MAX_EXP) * TAB_SCALE)];
}

double w2v_sigmoid_table_max_error(void)
{
    double worst = 0.0;
    for (int i = -800000; i <= 800000; i++) {     // steps of 1e-5 over [−8, 8]
        double x = i * 1e-5;
        double err = fabs((double)w2v_sigmoid_table((float)x) - 1.0 / (1.0 + exp(-x)));
        if (err > worst) worst = err;
    }
    return worst;
}

#define TABLE_SIG                                                                                 \
    if (f >= W2V_MAX_EXP) {                                                                       \
        sig = 1.0f;                                                                               \
        lt = t == 0 ? 0.0f : f;                                                                   \
    } else if (f <= -W2V_MAX_EXP) {                                                               \
        sig = 0.0f;                                                                               \
        lt = t == 0 ? -f : 0.0f;                                                                  \
    } else {                                                                                      \
        int i_ = (int)((f + W2V_MAX_EXP) * TAB_SCALE);                                            \
        sig = SIG_TAB[i_];                                                                        \
        lt = t == 0 ? NLS_POS[i_] : NLS_NEG[i_];                                                  \
    }

#if W2V_X86
__attribute__((target("avx512f")))
static float v2_avx512(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                       float lr)
{
    W2V_BODY(dot_avx512, axpy2_avx512, TABLE_SIG)
}
__attribute__((target("avx2,fma")))
static float v2_avx2(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                     float lr)
{
    W2V_BODY(dot_avx2, axpy2_avx2, TABLE_SIG)
}
#endif
static float v2_portable(const float *h, float *dh, float *U, const int *rows, int n_rows, int D,
                         float lr)
{
    W2V_BODY(dot_portable, axpy2_portable, TABLE_SIG)
}

static float w2v_v2_table(const float *h, float *dh, float *U, const int *rows, int n_rows,
                          int D, float lr)
{
    tables_init();
#if W2V_X86
    if (ISA == ISA_AVX512) return v2_avx512(h, dh, U, rows, n_rows, D, lr);
    if (ISA == ISA_AVX2) return v2_avx2(h, dh, U, rows, n_rows, D, lr);
#endif
    return v2_portable(h, dh, U, rows, n_rows, D, lr);
}

// ---- y += a·x for the trainer ----
#if W2V_X86
__attribute__((target("avx512f")))
static void axpy_avx512(int D, float a, const float *x, float *y)
{
    __m512 av = _mm512_set1_ps(a);
    int d = 0;
    for (; d + 16 <= D; d += 16)
        _mm512_storeu_ps(y + d, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + d), _mm512_loadu_ps(y + d)));
    if (d < D) {
        __mmask16 m = (__mmask16)((1u << (D - d)) - 1u);
        _mm512_mask_storeu_ps(y + d, m, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + d),
                                                        _mm512_maskz_loadu_ps(m, y + d)));
    }
}
__attribute__((target("avx2,fma")))
static void axpy_avx2(int D, float a, const float *x, float *y)
{
    __m256 av = _mm256_set1_ps(a);
    int d = 0;
    for (; d + 8 <= D; d += 8)
        _mm256_storeu_ps(y + d, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + d), _mm256_loadu_ps(y + d)));
    for (; d < D; d++) y[d] += a * x[d];
}
#endif

void w2v_axpy(int D, float a, const float *x, float *y)
{
    tables_init();
#if W2V_X86
    if (ISA == ISA_AVX512) { axpy_avx512(D, a, x, y); return; }
    if (ISA == ISA_AVX2) { axpy_avx2(D, a, x, y); return; }
#endif
    for (int d = 0; d < D; d++) y[d] += a * x[d];
}

// ---- samplers ----
void w2v_sampler_init(W2vSampler *s, W2vSamplerKind kind, const double *weight, int V,
                      size_t table_size)
{
    DL_CHECK(V >= 1, "w2v_sampler_init: V = %d; need at least one word", V);
    double total = 0.0;
    for (int i = 0; i < V; i++) {
        DL_CHECK(weight[i] >= 0.0 && isfinite(weight[i]),
                 "w2v_sampler_init: weight[%d] = %g; weights must be finite and >= 0", i,
                 weight[i]);
        total += weight[i];
    }
    DL_CHECK(total > 0.0, "w2v_sampler_init: the weights sum to 0; some word needs weight > 0");
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->V = V;
    if (kind == W2V_SAMPLER_TABLE) {
        // word2vec.c's InitUnigramTable: slot a holds word i while a / size < the cumulative
        // share of words 0 … i. (word2vec.c advances one word per slot with an `if`, so a word
        // of weight 0 still gets a slot; the `while` here skips it.)
        DL_CHECK(table_size >= 1, "w2v_sampler_init: table_size 0");
        s->table_size = table_size;
        s->table = dl_malloc(table_size * sizeof *s->table, "w2v sampler");
        int i = 0;
        double cum = weight[0] / total;
        for (size_t a = 0; a < table_size; a++) {
            while ((double)a / (double)table_size >= cum && i < V - 1) {
                i++;
                cum += weight[i] / total;
            }
            s->table[a] = i;
        }
        return;
    }
    // Vose's alias method: scale p_i·V; columns below 1 ("small") are topped up by one above
    // ("large"), which gives away 1 − p_small and goes back to small or large.
    s->prob = dl_malloc((size_t)V * sizeof *s->prob, "w2v sampler");
    s->alias = dl_malloc((size_t)V * sizeof *s->alias, "w2v sampler");
    double *p = dl_malloc((size_t)V * sizeof *p, "w2v sampler");
    int *small = dl_malloc((size_t)V * sizeof *small, "w2v sampler");
    int *large = dl_malloc((size_t)V * sizeof *large, "w2v sampler");
    int ns = 0, nl = 0;
    for (int i = 0; i < V; i++) {
        p[i] = weight[i] / total * V;
        if (p[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        int l = small[--ns], g = large[--nl];
        s->prob[l] = (float)p[l];
        s->alias[l] = g;
        p[g] = (p[g] + p[l]) - 1.0;
        if (p[g] < 1.0) small[ns++] = g;
        else large[nl++] = g;
    }
    while (nl > 0) { int g = large[--nl]; s->prob[g] = 1.0f; s->alias[g] = g; }
    while (ns > 0) { int l = small[--ns]; s->prob[l] = 1.0f; s->alias[l] = l; }   // rounding
    free(p);
    free(small);
    free(large);
}

void w2v_sampler_free(W2vSampler *s)
{
    free(s->table);
    free(s->prob);
    free(s->alias);
    memset(s, 0, sizeof *s);
}

// ---- the ladder ----
static const W2vImpl V0 = {w2v_v0_scalar, W2V_SAMPLER_TABLE, false},
                     V1 = {w2v_v1_simd, W2V_SAMPLER_TABLE, false},
                     V2 = {w2v_v2_table, W2V_SAMPLER_ALIAS, false},
                     V3 = {w2v_v2_table, W2V_SAMPLER_ALIAS, true};
static const KernelRung W2V_RUNGS[] = {
    {"v0_scalar", &V0, NULL},
    {"v1_simd", &V1, NULL},
    {"v2_table_alias", &V2, NULL},
    {"v3_hogwild", &V3, NULL},
};
KernelLadder W2V_LADDER = {"w2v", "one skip-gram negative-sampling update (chapter 6)", W2V_RUNGS,
                           sizeof W2V_RUNGS / sizeof W2V_RUNGS[0], "v3_hogwild", NULL};
