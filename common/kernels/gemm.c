/* common/kernels/gemm.c — the GEMM ladder: C (+)= A·B, every rung side by side, oldest first.
 * Build: part of libdl.a (make lib)      Bench: ./02_backprop/run --bench      Test: test_gemm
 * Rungs: v0 naive i-j-k | v1 i-k-j | v2 cache-blocked | v3 packed + AVX2 6x16 micro-kernel |
 *        v3 packed + AVX-512 14x32 micro-kernel | v4 v3's best micro-kernel on threads
 * Shapes: A (M, K), B (K, N), C (M, N), row-major with row strides lda, ldb, ldc; 2·M·N·K FLOP.
 * Source: Goto & van de Geijn, ACM TOMS 34(3), 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS
 * 41(3), 2015; Low et al., "Analytical Modeling Is Enough for High-Performance BLIS", 2016.
 *
 * The SIMD rungs are compiled with per-function target attributes and chosen at run time
 * (__builtin_cpu_supports), so one binary runs on any x86-64 and the file also builds off
 * x86 (there `available()` is false for v3, and v4 runs a portable C micro-kernel).
 */
#include "kernels/gemm.h"

#include "base/error.h"
#include "kernels/gemm_bf16.h"
#include "base/threads.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && !defined(DL_NO_SIMD)   // -DDL_NO_SIMD: test the portable path on x86
#include <immintrin.h>
#define GEMM_X86 1
#else
#define GEMM_X86 0
#endif

// Shape and stride checks shared by every rung: a bad call is a programming error that
// would otherwise read or write out of bounds, so it stops the program with the fix.
static void gemm_check_args(const char *who, int M, int N, int K, const float *A, int lda,
                            const float *B, int ldb, const float *C, int ldc)
{
    if (M < 0 || N < 0 || K < 0)
        dl_die("%s: negative size M=%d N=%d K=%d; sizes must be >= 0", who, M, N, K);
    if (lda < (K > 1 ? K : 1) || ldb < (N > 1 ? N : 1) || ldc < (N > 1 ? N : 1))
        dl_die("%s: row strides lda=%d ldb=%d ldc=%d are too small for M=%d N=%d K=%d; "
               "need lda >= K, ldb >= N, ldc >= N (row-major)", who, lda, ldb, ldc, M, N, K);
    if ((M > 0 && K > 0 && !A) || (K > 0 && N > 0 && !B) || (M > 0 && N > 0 && !C))
        dl_die("%s: NULL matrix pointer for a non-empty M=%d N=%d K=%d product", who, M, N, K);
}

// C = 0 for the rungs that accumulate into C in place (v1, v2) and for K = 0.
static void gemm_zero_c(int M, int N, float *C, int ldc)
{
    for (int i = 0; i < M; i++) memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof(float));
}

// ---- v0_naive ----
// v0: the definition, C[i][j] = sum_k A[i][k]·B[k][j]. The k loop walks B down a column,
// ldb floats apart, so every step touches a new cache line once B outgrows the cache.
static void gemm_v0_naive(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                          float *C, int ldc, bool accumulate)
{
    gemm_check_args("gemm v0_naive", M, N, K, A, lda, B, ldb, C, ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
            float *c = &C[(size_t)i * ldc + j];
            *c = accumulate ? *c + s : s;
        }
}

// ---- v1_ikj ----
// v1: swap the two inner loops (i-k-j). The inner loop now runs along a row of B and a row
// of C, unit stride: each cache line brought in is used 16 times and the hardware
// prefetcher sees a stream. It also lets the compiler vectorize C[i][:] += a·B[k][:] (the
// kernels are built at -O3 for that; v0's k-sum cannot be vectorized without reordering it).
static void gemm_v1_ikj(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, bool accumulate)
{
    gemm_check_args("gemm v1_ikj", M, N, K, A, lda, B, ldb, C, ldc);
    if (!accumulate) gemm_zero_c(M, N, C, ldc);
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        for (int k = 0; k < K; k++) {
            float a = A[(size_t)i * lda + k];
            const float *b = B + (size_t)k * ldb;
            for (int j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

// ---- v2_blocked ----
// v2: v1 re-reads all of B (K·N floats) for every row of C, from memory once B outgrows the
// caches. Tiling i, k and j keeps a V2_KB x V2_NB block of B (128 KiB) in L2 while V2_MB rows
// of C use it, and the V2_NB-wide strip of a C row (1 KiB) in L1 across the k loop.
#define V2_MB 64
#define V2_KB 128
#define V2_NB 256
static void gemm_v2_blocked(int M, int N, int K, const float *A, int lda, const float *B,
                            int ldb, float *C, int ldc, bool accumulate)
{
    gemm_check_args("gemm v2_blocked", M, N, K, A, lda, B, ldb, C, ldc);
    if (!accumulate) gemm_zero_c(M, N, C, ldc);
    for (int j0 = 0; j0 < N; j0 += V2_NB) {
        int j1 = j0 + V2_NB < N ? j0 + V2_NB : N;
        for (int k0 = 0; k0 < K; k0 += V2_KB) {
            int k1 = k0 + V2_KB < K ? k0 + V2_KB : K;
            for (int i0 = 0; i0 < M; i0 += V2_MB) {
                int i1 = i0 + V2_MB < M ? i0 + V2_MB : M;
                for (int i = i0; i < i1; i++) {
                    float *c = C + (size_t)i * ldc;
                    for (int k = k0; k < k1; k++) {
                        float a = A[(size_t)i * lda + k];
                        const float *b = B + (size_t)k * ldb;
                        for (int j = j0; j < j1; j++) c[j] += a * b[j];
                    }
                }
            }
        }
    }
}

// ---- packing buffers ----
// Each thread that runs a packed rung owns one PackBuf (a pthread key, so pool workers and
// any thread of the caller's get their own), grown to the largest size needed and reused:
// no malloc per call in steady state. A worker's buffer is freed when the worker exits
// (threads_shutdown), the exiting thread's own by an atexit handler.
typedef struct PackBuf {
    float *a; size_t a_cap;   // packed A block, MC x KC, in MR-row micro-panels
    float *b; size_t b_cap;   // packed B block, KC x NC, in NR-column micro-panels
    float *ra; size_t ra_cap; // bf16 mode (gemm_set_bf16): A and B rounded to bf16
    float *rb; size_t rb_cap;
} PackBuf;

static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;

static void packbuf_free(void *p)
{
    PackBuf *pb = p;
    if (!pb) return;
    free(pb->a);
    free(pb->b);
    free(pb->ra);
    free(pb->rb);
    free(pb);
}

static void packbuf_free_at_exit(void)
{
    packbuf_free(pthread_getspecific(pack_key));
    pthread_setspecific(pack_key, NULL);
}

static void packbuf_init(void)
{
    if (pthread_key_create(&pack_key, packbuf_free) != 0)
        dl_die("gemm: pthread_key_create failed (too many thread-specific keys in use)");
    atexit(packbuf_free_at_exit);
}

static PackBuf *packbuf_get(void)
{
    pthread_once(&pack_once, packbuf_init);
    PackBuf *pb = pthread_getspecific(pack_key);
    if (!pb) {
        pb = calloc(1, sizeof *pb);
        if (!pb || pthread_setspecific(pack_key, pb) != 0)
            dl_die("gemm: out of memory allocating a packing buffer descriptor");
    }
    return pb;
}

// A 64-byte aligned buffer of at least n floats (cache-line and zmm aligned).
static float *packbuf_reserve(float **p, size_t *cap, size_t n)
{
    if (n > *cap) {
        free(*p);
        size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
        *p = aligned_alloc(64, bytes);
        if (!*p) dl_die("gemm: out of memory allocating a %zu-byte packing buffer", bytes);
        *cap = bytes / sizeof(float);
    }
    return *p;
}

// ---- packed GEMM framework (shared by v3 and v4) ----
// Goto's loop nest, five loops around a micro-kernel (BLIS names):
//   jc: NC columns of B and C      pc: KC rows of B -> pack B~ (KC x NC), lives in L3
//   ic: MC rows of A and C -> pack A~ (MC x KC), lives in L2
//   jr: NR columns -> one micro-panel of B~ (KC x NR), reused from L1/L2 by the ir loop
//   ir: MR rows -> micro-kernel: an MR x NR tile of C held in registers for all KC steps
// Packing copies each block once into exactly the order the micro-kernel reads it (unit
// stride, aligned, zero-padded to whole MR/NR tiles), so the kernel never branches on edges
// and never misses the TLB. Each C tile is summed over k within a KC block in order, then
// added to C: the result depends on KC, not on how tiles are shared among threads.

/* A micro-kernel: tile = sum_k a[k·MR + r]·b[k·NR + j] over k < kc (from zero), then
 * c[r·ldc + j] = tile (add = false) or c + tile (add = true), for r < MR, j < NR. */
typedef void (*MicroKernel)(int kc, const float *a, const float *b, float *c, int ldc,
                            bool add);

typedef struct Ukr {
    const char *isa;
    int mr, nr;           // register tile
    int mc, kc, nc;       // cache blocks (mc multiple of mr, nc multiple of nr)
    MicroKernel kernel;
} Ukr;

// ---- transposing copies with AVX-512 ----
// Packing an operand whose contraction index k runs along its rows (A in every GEMM, Bᵀ in
// gemm_ex) is a transposition: 16 rows x 16 k are loaded as 16 vectors, transposed in registers
// (Intel's 16x16 pattern: unpack ps, unpack pd, two rounds of 128-bit lane shuffles: 64
// shuffles for 256 floats) and stored as 16 k-rows. A copy, so the values are those of the
// scalar loops; only faster (the scalar form is a load and a store per float).
#if GEMM_X86
__attribute__((target("avx512f")))
static inline void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {
        __m512d a0 = _mm512_castps_pd(t[4 * g]), a1 = _mm512_castps_pd(t[4 * g + 1]);
        __m512d a2 = _mm512_castps_pd(t[4 * g + 2]), a3 = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
        __m512 v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
        __m512 w0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
        r[c] = _mm512_shuffle_f32x4(v0, w0, 0x88);
        r[c + 8] = _mm512_shuffle_f32x4(v0, w0, 0xDD);
        r[c + 4] = _mm512_shuffle_f32x4(v1, w1, 0x88);
        r[c + 12] = _mm512_shuffle_f32x4(v1, w1, 0xDD);
    }
}

// dst[k·dstride + r] = src[r·ld + k] for r < rows (<= 16), k < kc; lanes rows … width − 1 of
// each stored k-row are 0 (width <= 16 lanes are written per k).
__attribute__((target("avx512f")))
static void transpose_rows16(const float *src, int ld, int rows, int width, int kc, float *dst,
                             int dstride)
{
    const __mmask16 wmask = (__mmask16)((1u << width) - 1);
    __m512 r[16];
    for (int k0 = 0; k0 < kc; k0 += 16) {
        int n = kc - k0 < 16 ? kc - k0 : 16;
        const __mmask16 kmask = (__mmask16)((1u << n) - 1);
        for (int i = 0; i < 16; i++)
            r[i] = i < rows ? _mm512_maskz_loadu_ps(kmask, src + (size_t)i * ld + k0)
                            : _mm512_setzero_ps();
        transpose16(r);
        for (int k = 0; k < n; k++)
            _mm512_mask_storeu_ps(dst + (size_t)(k0 + k) * dstride, wmask, r[k]);
    }
}
#endif

static bool transpose_simd(void)
{
#if GEMM_X86
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

// Pack rows [0, mc) x cols [0, kc) of A (stride lda) into MR-row micro-panels: panel p
// holds a[(p·kc + k)·MR + r] = A[p·MR + r][k], rows past mc zero.
static void pack_a(int mc, int kc, const float *A, int lda, int MR, float *dst)
{
#if GEMM_X86
    if (MR <= 16 && transpose_simd()) {
        for (int p = 0; p < mc; p += MR, dst += (size_t)kc * MR)
            transpose_rows16(A + (size_t)p * lda, lda, mc - p < MR ? mc - p : MR, MR, kc, dst, MR);
        return;
    }
#endif
    for (int p = 0; p < mc; p += MR, dst += (size_t)kc * MR) {
        int rows = mc - p < MR ? mc - p : MR;
        // 16 k at a time: the MR x 16 destination block (<= 4 KiB) stays in L1 while the rows
        // are read, instead of MR passes over a kc·MR panel (the same copies, so the same values)
        for (int k0 = 0; k0 < kc; k0 += 16) {
            int k1 = k0 + 16 < kc ? k0 + 16 : kc;
            for (int r = 0; r < rows; r++) {
                const float *src = A + (size_t)(p + r) * lda;
                for (int k = k0; k < k1; k++) dst[(size_t)k * MR + r] = src[k];
            }
            for (int r = rows; r < MR; r++)
                for (int k = k0; k < k1; k++) dst[(size_t)k * MR + r] = 0.0f;
        }
    }
}

// Pack micro-panel `p` of B (cols [p·NR, p·NR + NR) of a kc x nc block, stride ldb):
// dst[k·NR + j] = B[k][p·NR + j], columns past nc zero.
static void pack_b_panel(int kc, int nc, const float *B, int ldb, int NR, int p, float *dst)
{
    int j0 = p * NR, cols = nc - j0 < NR ? nc - j0 : NR;
    dst += (size_t)p * kc * NR;
    for (int k = 0; k < kc; k++) {
        memcpy(dst + (size_t)k * NR, B + (size_t)k * ldb + j0, (size_t)cols * sizeof(float));
        for (int j = cols; j < NR; j++) dst[(size_t)k * NR + j] = 0.0f;
    }
}

// gemm_ex: the same micro-panels packed from a transposed operand, so that Aᵀ·B and A·Bᵀ
// need no transposed copy. From At (stride lda; At[k][i] = A[i][k]): dst[(p·kc + k)·MR + r] =
// At[k][p·MR + r] — unit-stride reads along r. From Bt (stride ldb; Bt[j][k] = B[k][j]):
// dst[k·NR + j] = Bt[p·NR + j][k] — each of the NR rows of Bt read once, unit stride.
// The packed values are the same as packing the transposed copy, so the results are too.
static void pack_a_t(int mc, int kc, const float *At, int lda, int MR, float *dst)
{
    for (int p = 0; p < mc; p += MR, dst += (size_t)kc * MR) {
        int rows = mc - p < MR ? mc - p : MR;
        for (int k = 0; k < kc; k++) {
            const float *src = At + (size_t)k * lda + p;
            float *d = dst + (size_t)k * MR;
            for (int r = 0; r < rows; r++) d[r] = src[r];
            for (int r = rows; r < MR; r++) d[r] = 0.0f;
        }
    }
}

static void pack_bt_panel(int kc, int nc, const float *Bt, int ldb, int NR, int p, float *dst)
{
    int j0 = p * NR, cols = nc - j0 < NR ? nc - j0 : NR;
    dst += (size_t)p * kc * NR;
    const float *src = Bt + (size_t)j0 * ldb;
#if GEMM_X86
    if (NR % 16 == 0 && transpose_simd()) {
        for (int h = 0; h < NR; h += 16) {
            int rows = cols - h <= 0 ? 0 : cols - h > 16 ? 16 : cols - h;
            transpose_rows16(src + (size_t)h * ldb, ldb, rows, 16, kc, dst + h, NR);
        }
        return;
    }
#endif
    // k outer, j inner: the NR source rows advance together (each cache line read serves 16
    // k), the destination is written in order
    for (int k = 0; k < kc; k++) {
        float *d = dst + (size_t)k * NR;
        for (int j = 0; j < cols; j++) d[j] = src[(size_t)j * ldb + k];
        for (int j = cols; j < NR; j++) d[j] = 0.0f;
    }
}

// Everything one GEMM call's blocks need, shared with the pool's threads.
typedef struct PackedJob {
    const Ukr *u;
    int M, K;
    const float *A; int lda;
    const float *B; int ldb;
    float *C; int ldc;
    bool accumulate;
    bool a_t, b_t;        // gemm_ex: A stored as Aᵀ (K, M), B stored as Bᵀ (N, K)
    // the current (jc, pc) block
    int jc, nc, pc, kc;
    float *bp;            // packed B~ of this block (the calling thread's buffer)
    int tm, tn;           // C tiles of this block are shared out on a tm x tn grid
} PackedJob;

static void packed_pack_b(void *ctx, int p)
{
    PackedJob *j = ctx;
    if (j->b_t)
        pack_bt_panel(j->kc, j->nc, j->B + (size_t)j->jc * j->ldb + j->pc, j->ldb, j->u->nr, p,
                      j->bp);
    else
        pack_b_panel(j->kc, j->nc, j->B + (size_t)j->pc * j->ldb + j->jc, j->ldb, j->u->nr, p,
                     j->bp);
}

// Chunk `t` of the (jc, pc) block: C tiles [m0, m1) x [n0, n1) (units of MR and NR) of the
// grid cell (t / tn, t % tn). It packs its own A~ rows and runs the micro-kernel on them.
static void packed_compute(void *ctx, int t)
{
    const PackedJob *j = ctx;
    const Ukr *u = j->u;
    const int MR = u->mr, NR = u->nr;
    int tiles_m = (j->M + MR - 1) / MR, tiles_n = (j->nc + NR - 1) / NR;
    int gm = t / j->tn, gn = t % j->tn;
    int m0 = (int)((long long)tiles_m * gm / j->tm) * MR;
    int m1 = (int)((long long)tiles_m * (gm + 1) / j->tm) * MR;
    int n0 = (int)((long long)tiles_n * gn / j->tn) * NR;
    int n1 = (int)((long long)tiles_n * (gn + 1) / j->tn) * NR;
    if (m1 > j->M) m1 = j->M;
    if (n1 > j->nc) n1 = j->nc;
    if (m0 >= m1 || n0 >= n1) return;

    PackBuf *pb = packbuf_get();
    float *ap = packbuf_reserve(&pb->a, &pb->a_cap, (size_t)u->mc * j->kc);
    bool add = j->accumulate || j->pc > 0;
    _Alignas(64) float tmp[16 * 64];   // one edge tile, MR x NR <= 16 x 64
    for (int ic = m0; ic < m1; ic += u->mc) {
        int mc = m1 - ic < u->mc ? m1 - ic : u->mc;
        if (j->a_t) pack_a_t(mc, j->kc, j->A + (size_t)j->pc * j->lda + ic, j->lda, MR, ap);
        else pack_a(mc, j->kc, j->A + (size_t)ic * j->lda + j->pc, j->lda, MR, ap);
        for (int jr = n0; jr < n1; jr += NR) {
            int nr = n1 - jr < NR ? n1 - jr : NR;
            const float *bpanel = j->bp + (size_t)(jr / NR) * j->kc * NR;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = mc - ir < MR ? mc - ir : MR;
                const float *apanel = ap + (size_t)ir * j->kc;
                float *c = j->C + (size_t)(ic + ir) * j->ldc + j->jc + jr;
                if (mr == MR && nr == NR) {
                    u->kernel(j->kc, apanel, bpanel, c, j->ldc, add);
                } else {   // edge tile: full tile into tmp, then the valid part into C
                    u->kernel(j->kc, apanel, bpanel, tmp, NR, false);
                    for (int r = 0; r < mr; r++)
                        for (int q = 0; q < nr; q++) {
                            float *cc = &c[(size_t)r * j->ldc + q];
                            *cc = add ? *cc + tmp[r * NR + q] : tmp[r * NR + q];
                        }
                }
            }
        }
    }
}

// Choose the tm x tn grid (tm·tn = T) that gives the fewest tiles to the busiest thread;
// ties go to splitting M, so each thread packs only its own rows of A.
static void packed_grid(int tiles_m, int tiles_n, int T, int *tm, int *tn)
{
    long best = -1;
    for (int a = T; a >= 1; a--) {
        if (T % a) continue;
        int b = T / a;
        long load = (long)((tiles_m + a - 1) / a) * ((tiles_n + b - 1) / b);
        if (best < 0 || load < best) { best = load; *tm = a; *tn = b; }
    }
}

// The packed GEMM on `T` threads (1 = the caller alone) with micro-kernel `u`; a_t, b_t: the
// operands are given transposed (gemm_ex).
static void gemm_packed_t(const Ukr *u, int T, int M, int N, int K, const float *A, int lda,
                          const float *B, int ldb, float *C, int ldc, bool accumulate,
                          bool a_t, bool b_t)
{
    if (M == 0 || N == 0) return;
    if (K == 0) {
        if (!accumulate) gemm_zero_c(M, N, C, ldc);
        return;
    }
    PackBuf *pb = packbuf_get();
    PackedJob j = {.u = u, .M = M, .K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .C = C,
                   .ldc = ldc, .accumulate = accumulate, .a_t = a_t, .b_t = b_t};
    int ncap = N < u->nc ? (N + u->nr - 1) / u->nr * u->nr : u->nc;
    int kcap = K < u->kc ? K : u->kc;
    j.bp = packbuf_reserve(&pb->b, &pb->b_cap, (size_t)kcap * ncap);
    for (j.jc = 0; j.jc < N; j.jc += u->nc) {
        j.nc = N - j.jc < u->nc ? N - j.jc : u->nc;
        int tiles_m = (M + u->mr - 1) / u->mr, tiles_n = (j.nc + u->nr - 1) / u->nr;
        packed_grid(tiles_m, tiles_n, T, &j.tm, &j.tn);
        for (j.pc = 0; j.pc < K; j.pc += u->kc) {
            j.kc = K - j.pc < u->kc ? K - j.pc : u->kc;
            if (T == 1) {
                for (int p = 0; p < tiles_n; p++) packed_pack_b(&j, p);
                packed_compute(&j, 0);
            } else {   // two parallel_for: the return of the first is the barrier
                parallel_for(tiles_n, packed_pack_b, &j);
                parallel_for(T, packed_compute, &j);
            }
        }
    }
}

static void gemm_packed(const Ukr *u, int T, int M, int N, int K, const float *A, int lda,
                        const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    gemm_packed_t(u, T, M, N, K, A, lda, B, ldb, C, ldc, accumulate, false, false);
}

// ---- portable micro-kernel (fallback for v3/v4 on CPUs without AVX2) ----
// Same packed loop nest with a plain-C 4x16 tile; the fixed-size inner loop lets the
// compiler keep the tile in registers and vectorize it with whatever the target has.
#define GEN_MR 4
#define GEN_NR 16
static void ukr_generic(int kc, const float *a, const float *b, float *c, int ldc, bool add)
{
    float t[GEN_MR][GEN_NR] = {{0}};
    for (int k = 0; k < kc; k++, a += GEN_MR, b += GEN_NR)
        for (int r = 0; r < GEN_MR; r++)
            for (int q = 0; q < GEN_NR; q++) t[r][q] += a[r] * b[q];
    for (int r = 0; r < GEN_MR; r++)
        for (int q = 0; q < GEN_NR; q++) {
            float *cc = &c[(size_t)r * ldc + q];
            *cc = add ? *cc + t[r][q] : t[r][q];
        }
}
static const Ukr UKR_GENERIC = {"scalar", GEN_MR, GEN_NR, 128, 256, 4096, ukr_generic};

// ---- v3_avx2 ----
// v3: v2 still moves C through memory on every k step and does one multiply and one add
// per FLOP pair. Here a 6x16 tile of C lives in 12 ymm registers for all KC steps: per k,
// 2 loads of B~, 6 broadcasts of A~ and 12 fused multiply-adds (8 FLOP each) — 192 FLOP
// per 8 loads, enough to keep both FMA units busy. Packing (above) feeds it unit-stride,
// aligned data; KC = 256 keeps a 16 KiB B~ micro-panel in L1, MC = 120 a 120 KiB A~ in L2.
#if GEMM_X86
__attribute__((target("avx2,fma")))
static void ukr_avx2_6x16(int kc, const float *a, const float *b, float *c, int ldc, bool add)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++, a += 6, b += 16) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8), x;
        x = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    }
#define V3_STORE_ROW(r)                                                        \
    do {                                                                       \
        float *cr = c + (size_t)(r) * ldc;                                     \
        if (add) {                                                             \
            c##r##0 = _mm256_add_ps(_mm256_loadu_ps(cr), c##r##0);             \
            c##r##1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), c##r##1);         \
        }                                                                      \
        _mm256_storeu_ps(cr, c##r##0);                                         \
        _mm256_storeu_ps(cr + 8, c##r##1);                                     \
    } while (0)
    V3_STORE_ROW(0); V3_STORE_ROW(1); V3_STORE_ROW(2);
    V3_STORE_ROW(3); V3_STORE_ROW(4); V3_STORE_ROW(5);
#undef V3_STORE_ROW
}
static const Ukr UKR_AVX2 = {"avx2+fma", 6, 16, 120, 256, 4080, ukr_avx2_6x16};
#endif

static bool have_avx2(void)
{
#if GEMM_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// On a CPU without AVX2/FMA this rung runs the portable micro-kernel instead.
static void gemm_v3_avx2(int M, int N, int K, const float *A, int lda, const float *B,
                         int ldb, float *C, int ldc, bool accumulate)
{
    gemm_check_args("gemm v3_avx2", M, N, K, A, lda, B, ldb, C, ldc);
#if GEMM_X86
    if (have_avx2()) {
        gemm_packed(&UKR_AVX2, 1, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_packed(&UKR_GENERIC, 1, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// ---- v3_avx512 ----
// v3 (512-bit): the same loop nest with zmm registers, which hold 16 floats and number 32
// instead of 16. The tile grows to 14x32: 28 accumulators + 2 B~ vectors + 1 broadcast = 31
// registers; per k, 2 loads + 14 broadcasts feed 28 FMAs (896 FLOP), twice the work per
// instruction of the AVX2 tile. Blocks, measured on a 48 KiB L1 / 2 MiB L2 core (Sapphire
// Rapids; interleaved runs of KC 256..1024 x MC 56..336): KC = 512 loads and stores each C
// tile once per 512 k steps instead of per 256, which beats keeping the B~ micro-panel
// (KC x 32 floats = 64 KiB) inside L1 — it streams from L2 at 128 B per 14 cycles, well under
// L2 bandwidth. MC = 84 (6 micro-panels, A~ = 168 KiB) leaves most of L2 to B~.
#if GEMM_X86
#define Z_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define Z_MR 14
__attribute__((target("avx512f")))
static void ukr_avx512_14x32(int kc, const float *a, const float *b, float *c, int ldc,
                             bool add)
{
#define Z_DECL(r) __m512 c##r##_0 = _mm512_setzero_ps(), c##r##_1 = _mm512_setzero_ps();
    Z_ROWS(Z_DECL)
#undef Z_DECL
    for (int k = 0; k < kc; k++, a += Z_MR, b += 32) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define Z_FMA(r)                                                               \
        {                                                                      \
            __m512 x = _mm512_set1_ps(a[r]);                                   \
            c##r##_0 = _mm512_fmadd_ps(x, b0, c##r##_0);                       \
            c##r##_1 = _mm512_fmadd_ps(x, b1, c##r##_1);                       \
        }
        Z_ROWS(Z_FMA)
#undef Z_FMA
    }
#define Z_STORE(r)                                                             \
    {                                                                          \
        float *cr = c + (size_t)(r) * ldc;                                     \
        if (add) {                                                             \
            c##r##_0 = _mm512_add_ps(_mm512_loadu_ps(cr), c##r##_0);           \
            c##r##_1 = _mm512_add_ps(_mm512_loadu_ps(cr + 16), c##r##_1);      \
        }                                                                      \
        _mm512_storeu_ps(cr, c##r##_0);                                        \
        _mm512_storeu_ps(cr + 16, c##r##_1);                                   \
    }
    Z_ROWS(Z_STORE)
#undef Z_STORE
}
static const Ukr UKR_AVX512 = {"avx512", Z_MR, 32, 14 * 6, 512, 4096, ukr_avx512_14x32};
#endif

static bool have_avx512(void)
{
#if GEMM_X86
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

// On a CPU without AVX-512 this rung runs v3_avx2 (or the portable kernel) instead.
static void gemm_v3_avx512(int M, int N, int K, const float *A, int lda, const float *B,
                           int ldb, float *C, int ldc, bool accumulate)
{
#if GEMM_X86
    if (have_avx512()) {
        gemm_check_args("gemm v3_avx512", M, N, K, A, lda, B, ldb, C, ldc);
        gemm_packed(&UKR_AVX512, 1, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
#endif
    gemm_v3_avx2(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// ---- v4_threads ----
// v4: the widest micro-kernel the CPU has, with each (jc, pc) block's C tiles shared out
// among threads_get() threads on micro-tile boundaries (packed_grid; usually a split of M,
// so each thread packs only its own rows of A) after the threads pack B~ together. Every
// thread uses the same KC blocks and the same kernel, so C is bitwise identical for any
// thread count. Small products (< 2^23 FLOP, about 128³·4) stay on one thread: waking a
// sleeping worker costs microseconds, and on a busy machine a whole scheduler time slice.
static const Ukr *best_ukr(void)
{
#if GEMM_X86
    if (have_avx512()) return &UKR_AVX512;
    if (have_avx2()) return &UKR_AVX2;
#endif
    return &UKR_GENERIC;
}

static void gemm_v4_threads(int M, int N, int K, const float *A, int lda, const float *B,
                            int ldb, float *C, int ldc, bool accumulate)
{
    gemm_check_args("gemm v4_threads", M, N, K, A, lda, B, ldb, C, ldc);
    int T = threads_get();
    if (2.0 * M * N * K < (double)(1 << 23)) T = 1;
    gemm_packed(best_ukr(), T, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// ---- the ladder ----
static const GemmImpl V0 = {gemm_v0_naive}, V1 = {gemm_v1_ikj}, V2 = {gemm_v2_blocked},
                      V3_AVX2 = {gemm_v3_avx2}, V3_AVX512 = {gemm_v3_avx512},
                      V4 = {gemm_v4_threads};
static const KernelRung GEMM_RUNGS[] = {
    {"v0_naive", &V0, NULL},          {"v1_ikj", &V1, NULL},
    {"v2_blocked", &V2, NULL},        {"v3_avx2", &V3_AVX2, have_avx2},
    {"v3_avx512", &V3_AVX512, have_avx512}, {"v4_threads", &V4, NULL},
};
KernelLadder GEMM_LADDER = {"gemm", "C = A·B, every matmul (chapter 2)", GEMM_RUNGS,
                            sizeof GEMM_RUNGS / sizeof GEMM_RUNGS[0], "v4_threads", NULL};

// ---- mixed-precision emulation (gemm_set_bf16, kernels/gemm_bf16.h) ----
// When it is on, gemm() and gemm_ex() multiply copies of A and B rounded to bf16 (nearest
// even) and kept as floats: the products are those of bf16 storage, the sums the float32
// GEMM's — results equal "round, then multiply in float32" exactly, in the rung's own order.
// The stored (rows, cols) operand with row stride ld → dst (rows, cols) dense, each value
// rounded to bf16 and widened back: bf16_to_float(bf16_from_float(x)) without a branch, so the
// loop vectorizes (a NaN becomes the quiet NaN with its top bits, as bf16_from_float makes it).
static void bf16_round_rows(const float *x, int rows, int cols, int ld, float *dst)
{
    for (int i = 0; i < rows; i++) {
        const float *src = x + (size_t)i * ld;
        float *out = dst + (size_t)i * cols;
        for (int j = 0; j < cols; j++) {
            uint32_t u;
            memcpy(&u, &src[j], sizeof u);
            uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
            uint32_t q = (u | 0x00400000u) & 0xFFFF0000u;
            r = (u & 0x7FFFFFFFu) > 0x7F800000u ? q : r;
            memcpy(&out[j], &r, sizeof r);
        }
    }
}

// The rounded copies live in the calling thread's PackBuf (reused, like the packing buffers):
// the fp32 rung then packs from them into its own buffers a, b.
static void bf16_rounded_pair(const float *A, int ra, int ca, int lda, const float *B, int rb,
                              int cb, int ldb, float **a, float **b)
{
    PackBuf *pb = packbuf_get();
    *a = packbuf_reserve(&pb->ra, &pb->ra_cap, (size_t)ra * ca);
    *b = packbuf_reserve(&pb->rb, &pb->rb_cap, (size_t)rb * cb);
    bf16_round_rows(A, ra, ca, lda, *a);
    bf16_round_rows(B, rb, cb, ldb, *b);
}

void gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
          int ldc, bool accumulate)
{
    GemmFn fn = gemm_rung_fn(ladder_selected(&GEMM_LADDER));
    if (gemm_bf16_enabled() && M > 0 && N > 0 && K > 0) {
        gemm_check_args("gemm (bf16 mode)", M, N, K, A, lda, B, ldb, C, ldc);
        float *a, *b;
        bf16_rounded_pair(A, M, K, lda, B, K, N, ldb, &a, &b);
        fn(M, N, K, a, K, b, N, C, ldc, accumulate);
        return;
    }
    fn(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// ---- transposed operands ----
// A (rows, cols) with stride ld → (cols, rows) dense, in 32 x 32 tiles; malloc'ed.
static float *transposed_copy(const float *x, int rows, int cols, int ld)
{
    size_t n = (size_t)rows * cols;
    float *t = malloc((n > 0 ? n : 1) * sizeof(float));
    if (!t) dl_die("gemm_ex: out of memory for a %d x %d transposed operand", cols, rows);
    for (int i0 = 0; i0 < rows; i0 += 32)
        for (int j0 = 0; j0 < cols; j0 += 32)
            for (int i = i0; i < i0 + 32 && i < rows; i++)
                for (int j = j0; j < j0 + 32 && j < cols; j++)
                    t[(size_t)j * rows + i] = x[(size_t)i * ld + j];
    return t;
}

static void gemm_ex_f32(bool trans_a, bool trans_b, int M, int N, int K, const float *A,
                        int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

void gemm_ex(bool trans_a, bool trans_b, int M, int N, int K, const float *A, int lda,
             const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    if (gemm_bf16_enabled() && M > 0 && N > 0 && K > 0) {   // bf16 mode: rounded copies
        int ra = trans_a ? K : M, ca = trans_a ? M : K, rb = trans_b ? N : K, cb = trans_b ? K : N;
        if (lda < ca || ldb < cb || ldc < N)
            dl_die("gemm_ex: row strides lda=%d ldb=%d ldc=%d are too small for M=%d N=%d K=%d "
                   "(transposed: A %d, B %d)", lda, ldb, ldc, M, N, K, trans_a, trans_b);
        if (!A || !B || !C) dl_die("gemm_ex: NULL matrix pointer for a non-empty product");
        float *a, *b;
        bf16_rounded_pair(A, ra, ca, lda, B, rb, cb, ldb, &a, &b);
        gemm_ex_f32(trans_a, trans_b, M, N, K, a, ca, b, cb, C, ldc, accumulate);
        return;
    }
    gemm_ex_f32(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// gemm_ex on float32 operands as given.
static void gemm_ex_f32(bool trans_a, bool trans_b, int M, int N, int K, const float *A,
                        int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    const KernelRung *r = ladder_selected(&GEMM_LADDER);
    if (gemm_rung_fn(r) == gemm_v4_threads) {
        if (M < 0 || N < 0 || K < 0)
            dl_die("gemm_ex: negative size M=%d N=%d K=%d; sizes must be >= 0", M, N, K);
        int need_a = trans_a ? M : K, need_b = trans_b ? K : N;
        if (lda < (need_a > 1 ? need_a : 1) || ldb < (need_b > 1 ? need_b : 1) ||
            ldc < (N > 1 ? N : 1))
            dl_die("gemm_ex: row strides lda=%d ldb=%d ldc=%d are too small for M=%d N=%d K=%d "
                   "(transposed: A %d, B %d)", lda, ldb, ldc, M, N, K, trans_a, trans_b);
        // A lower bar for threads than v4's 2^23 FLOP: the recurrent steps' (20, 200)·(200, 800)
        // products (6.4 MFLOP, 60 µs) sit in a sequential loop, where a 5 µs hand-off pays.
        int T = threads_get();
        if (2.0 * M * N * K < (double)(1 << 21)) T = 1;
        gemm_packed_t(best_ukr(), T, M, N, K, A, lda, B, ldb, C, ldc, accumulate, trans_a,
                      trans_b);
        return;
    }
    // other rungs: the transposed copies, then the rung itself
    float *at = trans_a ? transposed_copy(A, K, M, lda) : NULL;
    float *bt = trans_b ? transposed_copy(B, N, K, ldb) : NULL;
    gemm_rung_fn(r)(M, N, K, at ? at : A, at ? K : lda, bt ? bt : B, bt ? N : ldb, C, ldc,
                    accumulate);
    free(at);
    free(bt);
}
