/* common/kernels/gemm_bf16.c — bfloat16 storage, float32 accumulation: conversions, the bf16
 * GEMM ladder and the switch behind gemm_set_bf16 (see kernels/gemm_bf16.h).
 * Build: part of libdl.a (make lib)     Bench: ./08_scaling/run --bench     Test: test_bf16
 * Rungs: v0 portable i-k-j loops, each bf16 widened to float by a 16-bit shift |
 *        v1 packed (K/2, N, 2) pairs + a 14x32 VDPBF16PS micro-kernel, blocks of C on threads
 * Shapes: A (M, K), B (K, N) bf16 row-major (dense), C (M, N) float32; 2·M·N·K FLOP.
 * Source: Kalamkar et al., "A Study of BFLOAT16 for Deep Learning Training", 2019 (the format
 * and round-to-nearest-even); Intel 64 and IA-32 Architectures Software Developer's Manual,
 * VDPBF16PS; Goto & van de Geijn, ACM TOMS 34(3), 2008 (the packed loop nest).
 *
 * The AVX512-BF16 rung is compiled with a per-function target attribute and chosen at run time
 * (__builtin_cpu_supports("avx512bf16")), so the file builds with PORTABLE=1, with clang and off
 * x86; where the CPU lacks the instructions the rung is marked n/a and "auto" is v0_portable.
 */
#include "kernels/gemm_bf16.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"

#if defined(__x86_64__) && !defined(DL_NO_SIMD)
#include <immintrin.h>
#define BF16_X86 1
#else
#define BF16_X86 0
#endif

// ---- conversions ----
// A float is sign (1) | exponent (8) | mantissa (23); a bf16 is its top 16 bits. Rounding to
// nearest even adds 0x7FFF plus the lowest kept bit to the 16 dropped bits and truncates: a
// dropped part above half rounds up, below half down, exactly half up only when the kept part is
// odd. The carry walks into the exponent as it should (the largest floats round to infinity,
// as torch's do). A NaN would be carried to infinity that way, so it is kept as a quiet NaN
// with its sign. Subnormals need no special case: their bits round the same way.
bf16 bf16_from_float(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (bf16)((u >> 16) | 0x0040u);   // NaN, quiet
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

float bf16_to_float(bf16 h)
{
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

void bf16_from_floats(const float *x, bf16 *out, size_t n)
{
    DL_CHECK(n == 0 || (x && out), "bf16_from_floats: NULL pointer for %zu values", n);
    for (size_t i = 0; i < n; i++) out[i] = bf16_from_float(x[i]);
}

static void bf16_check_args(const char *who, int M, int N, int K, const bf16 *A, const bf16 *B,
                            const float *C)
{
    if (M < 0 || N < 0 || K < 0)
        dl_die("%s: negative size M=%d N=%d K=%d; sizes must be >= 0", who, M, N, K);
    if ((M > 0 && K > 0 && !A) || (K > 0 && N > 0 && !B) || (M > 0 && N > 0 && !C))
        dl_die("%s: NULL matrix pointer for a non-empty M=%d N=%d K=%d product", who, M, N, K);
}

// ---- v0_portable ----
// v0: chapter 2's v1_ikj with bf16 operands: C[i][:] += a·B[k][:], each bf16 widened to float
// on the fly (a shift: the product of two bf16 is exact in float32, only the sums round). Each
// C element is summed over k in order — the reference the faster rung is checked against.
static void gemm_bf16_v0_portable(int M, int N, int K, const bf16 *A, const bf16 *B, float *C)
{
    bf16_check_args("gemm_bf16 v0_portable", M, N, K, A, B, C);
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * N;
        memset(c, 0, (size_t)N * sizeof(float));
        for (int k = 0; k < K; k++) {
            float a = bf16_to_float(A[(size_t)i * K + k]);
            const bf16 *b = B + (size_t)k * N;
            for (int j = 0; j < N; j++) c[j] += a * bf16_to_float(b[j]);
        }
    }
}

// ---- v1_avx512bf16 ----
// v1: VDPBF16PS takes two zmm of 32 bf16 each, seen as 16 pairs, and adds to each of 16 float
// lanes the sum of its pair's two products: lane j += a[2p]·b[2p][j] + a[2p+1]·b[2p+1][j]. So
// the k index must be interleaved in pairs: B is packed as (K/2, N, 2) — for each pair of rows
// p and column j one 32-bit word {B[2p][j], B[2p+1][j]} — in 32-column micro-panels; A's pairs
// are already adjacent in a row, and are packed into 14-row micro-panels of 32-bit words so
// the kernel broadcasts one word per row. The 14x32 tile of C is 28 zmm accumulators (as in
// chapter 2's v3_avx512); per k pair: 2 loads + 14 broadcasts feed 28 VDPBF16PS (1792 FLOP),
// twice the FLOP per instruction of the float32 FMA kernel, from half the bytes. An odd K gets
// a zero partner. KC = 256 pairs keeps a B micro-panel (32 KiB) in L1/L2 while the 6
// micro-panels of A (MC = 84 rows, 84 KiB) sit in L2. Blocks of MC rows of C are shared among
// threads_get() threads; each C element is summed in the same order whatever the split.
// VDPBF16PS rounds to nearest even and treats subnormal inputs and outputs as zero (Intel SDM).
#define V1_MR 14
#define V1_NR 32
#define V1_MC (V1_MR * 6)
#define V1_KC 256

static bool have_avx512bf16(void)
{
#if BF16_X86
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

#if BF16_X86
// Pack B (K, N) into panels of V1_NR columns over all kp = ceil(K/2) pairs:
// bp[(q·kp + p)·V1_NR + j] = {B[2p][32q + j], B[2p+1][32q + j]} (low half first), zero-padded.
typedef struct Bf16Job {
    int M, N, K, kp;
    const bf16 *A, *B;
    float *C;
    uint32_t *ap, *bp;
} Bf16Job;

static void pack_b_panel(void *ctx, int q)
{
    const Bf16Job *j = ctx;
    uint32_t *dst = j->bp + (size_t)q * j->kp * V1_NR;
    int j0 = q * V1_NR, nr = j->N - j0 < V1_NR ? j->N - j0 : V1_NR;
    for (int p = 0; p < j->kp; p++, dst += V1_NR) {
        const bf16 *b0 = j->B + (size_t)(2 * p) * j->N + j0;
        const bf16 *b1 = 2 * p + 1 < j->K ? b0 + j->N : NULL;
        for (int c = 0; c < nr; c++) dst[c] = b0[c] | (uint32_t)(b1 ? b1[c] : 0) << 16;
        for (int c = nr; c < V1_NR; c++) dst[c] = 0;
    }
}

// Pack rows [i0, i0 + mc) of A: ap[(r0/MR·kp + p)·MR + r] = {A[i][2p], A[i][2p+1]}, i = r0 + r.
static void pack_a_block(const Bf16Job *j, int i0, int mc)
{
    for (int r0 = 0; r0 < mc; r0 += V1_MR) {
        uint32_t *dst = j->ap + (size_t)(i0 + r0) / V1_MR * j->kp * V1_MR;
        for (int r = 0; r < V1_MR; r++) {
            int i = i0 + r0 + r;
            const bf16 *a = j->A + (size_t)i * j->K;
            for (int p = 0; p < j->kp; p++) {
                uint32_t w = 0;
                if (r0 + r < mc) w = a[2 * p] | (uint32_t)(2 * p + 1 < j->K ? a[2 * p + 1] : 0) << 16;
                dst[(size_t)p * V1_MR + r] = w;
            }
        }
    }
}

#define V1_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
// tile = sum over kc pairs of a (kc, MR) words · b (kc, NR) words; c = tile or c + tile.
__attribute__((target("avx512f,avx512bf16")))
static void ukr_bf16_14x32(int kc, const uint32_t *a, const uint32_t *b, float *c, int ldc,
                           bool add)
{
#define V1_DECL(r) __m512 c##r##_0 = _mm512_setzero_ps(), c##r##_1 = _mm512_setzero_ps();
    V1_ROWS(V1_DECL)
#undef V1_DECL
    for (int p = 0; p < kc; p++, a += V1_MR, b += V1_NR) {
        __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)b);
        __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(b + 16));
#define V1_DOT(r)                                                              \
        {                                                                      \
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r]);               \
            c##r##_0 = _mm512_dpbf16_ps(c##r##_0, x, b0);                      \
            c##r##_1 = _mm512_dpbf16_ps(c##r##_1, x, b1);                      \
        }
        V1_ROWS(V1_DOT)
#undef V1_DOT
    }
#define V1_STORE(r)                                                            \
    {                                                                          \
        float *cr = c + (size_t)(r) * ldc;                                     \
        if (add) {                                                             \
            c##r##_0 = _mm512_add_ps(_mm512_loadu_ps(cr), c##r##_0);           \
            c##r##_1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), c##r##_1);      \
        }                                                                      \
        _mm512_storeu_ps(cr, c##r##_0);                                        \
        _mm512_storeu_ps(cr + 16, c##r##_1);                                   \
    }
    V1_ROWS(V1_STORE)
#undef V1_STORE
}
#undef V1_ROWS

// One block of MC rows of C: pack its rows of A, then every (pc, jr, ir) tile.
static void v1_block(void *ctx, int blk)
{
    const Bf16Job *j = ctx;
    int i0 = blk * V1_MC, mc = j->M - i0 < V1_MC ? j->M - i0 : V1_MC;
    pack_a_block(j, i0, mc);
    float tmp[V1_MR * V1_NR];
    for (int pc = 0; pc < j->kp; pc += V1_KC) {
        int kc = j->kp - pc < V1_KC ? j->kp - pc : V1_KC;
        bool add = pc > 0;
        for (int jr = 0; jr < j->N; jr += V1_NR) {
            int nr = j->N - jr < V1_NR ? j->N - jr : V1_NR;
            const uint32_t *bpanel = j->bp + ((size_t)(jr / V1_NR) * j->kp + pc) * V1_NR;
            for (int ir = 0; ir < mc; ir += V1_MR) {
                int mr = mc - ir < V1_MR ? mc - ir : V1_MR;
                const uint32_t *apanel = j->ap + ((size_t)(i0 + ir) / V1_MR * j->kp + pc) * V1_MR;
                float *c = j->C + (size_t)(i0 + ir) * j->N + jr;
                if (mr == V1_MR && nr == V1_NR) {
                    ukr_bf16_14x32(kc, apanel, bpanel, c, j->N, add);
                } else {   // edge tile: the whole tile into tmp, the valid part into C
                    ukr_bf16_14x32(kc, apanel, bpanel, tmp, V1_NR, false);
                    for (int r = 0; r < mr; r++)
                        for (int q = 0; q < nr; q++) {
                            float *cc = &c[(size_t)r * j->N + q];
                            *cc = add ? *cc + tmp[r * V1_NR + q] : tmp[r * V1_NR + q];
                        }
                }
            }
        }
    }
}

static void *bf16_aligned(size_t words)
{
    size_t bytes = (words * sizeof(uint32_t) + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!p) dl_die("gemm_bf16: out of memory for a %zu-byte packing buffer", bytes);
    return p;
}
#endif

// On a CPU without AVX512-BF16 (the rung is n/a there) this runs v0_portable.
static void gemm_bf16_v1_avx512bf16(int M, int N, int K, const bf16 *A, const bf16 *B,
                                    float *C)
{
    bf16_check_args("gemm_bf16 v1_avx512bf16", M, N, K, A, B, C);
#if BF16_X86
    if (have_avx512bf16() && M > 0 && N > 0 && K > 0) {
        Bf16Job j = {.M = M, .N = N, .K = K, .kp = (K + 1) / 2, .A = A, .B = B, .C = C};
        int panels = (N + V1_NR - 1) / V1_NR, blocks = (M + V1_MC - 1) / V1_MC;
        int mpad = (M + V1_MR - 1) / V1_MR * V1_MR;
        j.bp = bf16_aligned((size_t)panels * j.kp * V1_NR);
        j.ap = bf16_aligned((size_t)mpad * j.kp);
        bool threads = threads_get() > 1 && 2.0 * M * N * K >= (double)(1 << 23);
        if (threads) {
            parallel_for(panels, pack_b_panel, &j);
            parallel_for(blocks, v1_block, &j);
        } else {
            for (int q = 0; q < panels; q++) pack_b_panel(&j, q);
            for (int b = 0; b < blocks; b++) v1_block(&j, b);
        }
        free(j.ap);
        free(j.bp);
        return;
    }
#endif
    gemm_bf16_v0_portable(M, N, K, A, B, C);
}

// ---- the ladder ----
static const GemmBf16Impl BV0 = {gemm_bf16_v0_portable}, BV1 = {gemm_bf16_v1_avx512bf16};
static const KernelRung GEMM_BF16_RUNGS[] = {
    {"v0_portable", &BV0, NULL},
    {"v1_avx512bf16", &BV1, have_avx512bf16},
};
KernelLadder GEMM_BF16_LADDER = {"gemm_bf16", "C = A·B with bf16 A, B and float32 C (chapter 8)",
                                 GEMM_BF16_RUNGS, 2, "v1_avx512bf16", NULL};

// "auto" must name a rung this CPU runs (ladder_selected dies otherwise): v0 without the ISA.
// A constructor, so the ladder is right before main() lists or selects it.
__attribute__((constructor)) static void gemm_bf16_pick_auto(void)
{
#if BF16_X86
    __builtin_cpu_init();
#endif
    if (!have_avx512bf16()) GEMM_BF16_LADDER.auto_rung = "v0_portable";
}

void gemm_bf16(int M, int N, int K, const bf16 *A, const bf16 *B, float *C)
{
    const KernelRung *r = ladder_selected(&GEMM_BF16_LADDER);
    ((const GemmBf16Impl *)r->impl)->fn(M, N, K, A, B, C);
}

// ---- mixed-precision emulation ----
// The switch gemm()/gemm_ex() read (kernels/gemm.c rounds the operands when it is on). Set it
// between training runs, not while another thread multiplies.
static bool bf16_mode = false;

void gemm_set_bf16(bool on)
{
    bf16_mode = on;
}

bool gemm_bf16_enabled(void)
{
    return bf16_mode;
}
