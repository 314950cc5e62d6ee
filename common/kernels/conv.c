/* common/kernels/conv.c — the convolution ladder: every rung side by side, oldest first.
 * Build: part of libdl.a (make lib)      Bench: ./04_cnn/run --bench      Test: test_conv
 * Rungs: v0 direct loops | v1 im2col + gemm() per image | v2 implicit GEMM (AVX-512 micro-
 *        kernels reading the padded input directly), threaded over images
 * Shapes, formulas and sources: conv.h.
 */
#include "kernels/conv.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "kernels/gemm.h"
#include "base/threads.h"

#if defined(__x86_64__) && !defined(DL_NO_SIMD)   // -DDL_NO_SIMD: test the portable path on x86
#include <immintrin.h>
#define CONV_X86 1
#else
#define CONV_X86 0
#endif

// ---- shapes ----

int conv_out_size(int in, int k, int stride, int pad)
{
    if (in < 1 || k < 1 || stride < 1 || pad < 0 || k > in + 2 * pad) return 0;
    return (in + 2 * pad - k) / stride + 1;
}

const char *conv_shape_init(ConvShape *s, int B, int C_in, int H, int W, int C_out, int KH,
                            int KW, int stride, int pad)
{
    static _Thread_local char msg[256];
    if (B < 1 || C_in < 1 || H < 1 || W < 1 || C_out < 1 || KH < 1 || KW < 1) {
        snprintf(msg, sizeof msg, "conv2d: sizes must be >= 1 (got B=%d C_in=%d H=%d W=%d "
                 "C_out=%d kernel %dx%d)", B, C_in, H, W, C_out, KH, KW);
        return msg;
    }
    if (stride < 1) {
        snprintf(msg, sizeof msg, "conv2d: stride %d must be >= 1 (stride 1 visits every "
                 "position, 2 every other one)", stride);
        return msg;
    }
    if (pad < 0) {
        snprintf(msg, sizeof msg, "conv2d: padding %d must be >= 0", pad);
        return msg;
    }
    if (KH > H + 2 * pad || KW > W + 2 * pad) {
        snprintf(msg, sizeof msg, "conv2d: kernel %dx%d is larger than the padded input %dx%d "
                 "(H + 2*pad = %d + 2*%d); use a smaller kernel or more padding",
                 KH, KW, H + 2 * pad, W + 2 * pad, H, pad);
        return msg;
    }
    *s = (ConvShape){.B = B, .C_in = C_in, .H = H, .W = W, .C_out = C_out, .KH = KH, .KW = KW,
                     .stride = stride, .pad = pad,
                     .H_out = conv_out_size(H, KH, stride, pad),
                     .W_out = conv_out_size(W, KW, stride, pad)};
    return NULL;
}

double conv_flops(const ConvShape *s)
{
    return 2.0 * s->B * s->C_out * s->H_out * s->W_out * (double)s->C_in * s->KH * s->KW;
}

size_t conv_im2col_floats(const ConvShape *s)
{
    return (size_t)s->C_in * s->KH * s->KW * (size_t)s->H_out * s->W_out;
}

// ---- v0_direct ----
// v0: the definition, seven nested loops (n, k, p, q, c, r, s). Out-of-range input
// positions are the zero padding and are skipped.

static size_t conv_v0_workspace(const ConvShape *s)
{
    (void)s;
    return 0;
}

static void conv_v0_forward(const ConvShape *s, const float *x, const float *w, const float *b,
                            float *y, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->B; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float acc = b ? b[k] : 0.0f;
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                acc += w[(((size_t)k * C + c) * KH + r) * KW + t] *
                                       x[(((size_t)n * C + c) * H + h) * W + ww];
                            }
                        }
                    y[(((size_t)n * s->C_out + k) * P + p) * Q + q] = acc;
                }
}

static void conv_v0_backward_data(const ConvShape *s, const float *dy, const float *w,
                                  float *dx, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->B; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float g = dy[(((size_t)n * s->C_out + k) * P + p) * Q + q];
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                dx[(((size_t)n * C + c) * H + h) * W + ww] +=
                                    w[(((size_t)k * C + c) * KH + r) * KW + t] * g;
                            }
                        }
                }
}

static void conv_v0_backward_weight(const ConvShape *s, const float *x, const float *dy,
                                    float *dw, float *db, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->B; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float g = dy[(((size_t)n * s->C_out + k) * P + p) * Q + q];
                    if (db) db[k] += g;
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                dw[(((size_t)k * C + c) * KH + r) * KW + t] +=
                                    x[(((size_t)n * C + c) * H + h) * W + ww] * g;
                            }
                        }
                }
}

// ---- im2col / col2im ----
// Row (c·KH + r)·KW + t of col is the input channel c shifted by (r, t): entry (p, q) reads
// x1[c][p·stride + r − pad][q·stride + t − pad]. For each (r, t) the columns q whose input
// column lies inside the image form one range [q_lo, q_hi) (computed once, not tested per
// element); the rest is padding. `ldc` is the row stride of col (H_out·W_out for one image,
// larger when several images sit side by side in one buffer).

// First q with q·stride + off >= 0, and one past the last q with q·stride + off < W.
static void conv_q_range(const ConvShape *s, int t, int *q_lo, int *q_hi)
{
    int off = t - s->pad, lo = 0, hi = s->W_out;
    if (off < 0) lo = (-off + s->stride - 1) / s->stride;
    if (off + (s->W_out - 1) * s->stride >= s->W) {
        int last = s->W - 1 - off;   // largest allowed q·stride
        hi = last < 0 ? 0 : last / s->stride + 1;
    }
    if (lo > hi) lo = hi;
    *q_lo = lo;
    *q_hi = hi;
}

static void im2col_ld(const ConvShape *s, const float *x1, float *col, size_t ldc)
{

    const int H = s->H, W = s->W, KH = s->KH, KW = s->KW, P = s->H_out, Q = s->W_out;
    const int st = s->stride;
    for (int t = 0; t < KW; t++) {
        int q_lo, q_hi;
        conv_q_range(s, t, &q_lo, &q_hi);
        int off = t - s->pad;
        for (int c = 0; c < s->C_in; c++)
            for (int r = 0; r < KH; r++) {
                float *row = col + ((size_t)(c * KH + r) * KW + t) * ldc;
                for (int p = 0; p < P; p++) {
                    float *dst = row + (size_t)p * Q;
                    int h = p * st + r - s->pad;
                    if (h < 0 || h >= H) {
                        memset(dst, 0, (size_t)Q * sizeof *dst);
                        continue;
                    }
                    const float *src = x1 + ((size_t)c * H + h) * W + off;
                    for (int q = 0; q < q_lo; q++) dst[q] = 0.0f;
                    if (st == 1)   // a loop, not memcpy: rows are short (14 floats in conv2)
                        for (int q = q_lo; q < q_hi; q++) dst[q] = src[q];
                    else
                        for (int q = q_lo; q < q_hi; q++) dst[q] = src[q * st];
                    for (int q = q_hi; q < Q; q++) dst[q] = 0.0f;
                }
            }
    }
}

// The adjoint: the same index map, read col and add into dx1 (padding entries are dropped).
static void col2im_ld(const ConvShape *s, const float *dcol, size_t ldc, float *dx1)
{
    const int H = s->H, W = s->W, KH = s->KH, KW = s->KW, P = s->H_out, Q = s->W_out;
    const int st = s->stride;
    for (int c = 0; c < s->C_in; c++)
        for (int r = 0; r < KH; r++)
            for (int t = 0; t < KW; t++) {
                int q_lo, q_hi;
                conv_q_range(s, t, &q_lo, &q_hi);
                int off = t - s->pad;
                const float *row = dcol + ((size_t)(c * KH + r) * KW + t) * ldc;
                for (int p = 0; p < P; p++) {
                    int h = p * st + r - s->pad;
                    if (h < 0 || h >= H) continue;
                    const float *src = row + (size_t)p * Q;
                    float *dst = dx1 + ((size_t)c * H + h) * W + off;
                    if (st == 1)
                        for (int q = q_lo; q < q_hi; q++) dst[q] += src[q];
                    else
                        for (int q = q_lo; q < q_hi; q++) dst[q * st] += src[q];
                }
            }
}

void conv_im2col(const ConvShape *s, const float *x1, float *col)
{
    im2col_ld(s, x1, col, (size_t)s->H_out * s->W_out);
}

void conv_col2im(const ConvShape *s, const float *dcol, float *dx1)
{
    col2im_ld(s, dcol, (size_t)s->H_out * s->W_out, dx1);
}

// dst (cols, rows) = src (rows, cols)ᵀ, row strides lds and ldd. On x86-64 in 4 x 4 blocks
// through SSE registers (baseline x86-64, no dispatch needed): four 16-byte loads and
// stores per 16 floats instead of one scalar load and store each (a plain loop here is
// vectorized by the compiler into slow gathers).
static void transpose(int rows, int cols, const float *src, size_t lds, float *dst, size_t ldd)
{
    int i0 = 0;
#if CONV_X86
    for (; i0 + 4 <= rows; i0 += 4) {
        const float *s0 = src + (size_t)i0 * lds;
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            __m128 r0 = _mm_loadu_ps(s0 + j), r1 = _mm_loadu_ps(s0 + lds + j);
            __m128 r2 = _mm_loadu_ps(s0 + 2 * lds + j), r3 = _mm_loadu_ps(s0 + 3 * lds + j);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = dst + (size_t)j * ldd + i0;
            _mm_storeu_ps(d, r0);
            _mm_storeu_ps(d + ldd, r1);
            _mm_storeu_ps(d + 2 * ldd, r2);
            _mm_storeu_ps(d + 3 * ldd, r3);
        }
        for (; j < cols; j++)
            for (int i = i0; i < i0 + 4; i++) dst[(size_t)j * ldd + i] = src[(size_t)i * lds + j];
    }
#endif
    for (int i = i0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * ldd + i] = src[(size_t)i * lds + j];
}

// Σ v[0..n) with 16 independent partial sums (lane j takes every 16th element), added in a
// fixed order at the end: vectorizable, and no 4-cycle add latency chain per element.
static float sum_lanes(const float *v, size_t n)
{
    float l[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) l[j] += v[i + j];
    for (int j = 0; i < n; i++, j++) l[j] += v[i];
    for (int j = 8; j > 0; j /= 2)
        for (int k = 0; k < j; k++) l[k] += l[k + j];
    return l[0];
}

// ---- v1_im2col ----
// v1: v0 reads each input value KH·KW·C_out times through scattered, bounds-checked loads.
// Unfolding one image into col (C_in·KH·KW, H_out·W_out) once turns the whole layer into a
// matrix product that the chapter-2 GEMM ladder (gemm(), the selected rung) runs at near its
// peak:   y_n = w · col_n,   dw += dy_n · col_nᵀ,   dcol = wᵀ · dy_n then col2im into dx_n.
// Our gemm has no transpose flags, so col_nᵀ and wᵀ are made explicitly (transpose()).
// Workspace: col and colᵀ of one image, plus wᵀ.

static size_t conv_v1_workspace(const ConvShape *s)
{
    size_t kd = (size_t)s->C_in * s->KH * s->KW;
    return 2 * conv_im2col_floats(s) + kd * s->C_out;
}

static void conv_v1_forward(const ConvShape *s, const float *x, const float *w, const float *b,
                            float *y, float *work)
{
    const int kd = s->C_in * s->KH * s->KW, pq = s->H_out * s->W_out;
    for (int n = 0; n < s->B; n++) {
        float *yn = y + (size_t)n * s->C_out * pq;
        conv_im2col(s, x + (size_t)n * s->C_in * s->H * s->W, work);
        gemm(s->C_out, pq, kd, w, kd, work, pq, yn, pq, false);
        if (b)
            for (int k = 0; k < s->C_out; k++)
                for (int i = 0; i < pq; i++) yn[(size_t)k * pq + i] += b[k];
    }
}

static void conv_v1_backward_data(const ConvShape *s, const float *dy, const float *w,
                                  float *dx, float *work)
{
    const int kd = s->C_in * s->KH * s->KW, pq = s->H_out * s->W_out;
    float *dcol = work, *wt = work + conv_im2col_floats(s);   // wt (kd, C_out)
    transpose(s->C_out, kd, w, kd, wt, s->C_out);
    for (int n = 0; n < s->B; n++) {
        gemm(kd, pq, s->C_out, wt, s->C_out, dy + (size_t)n * s->C_out * pq, pq, dcol, pq,
             false);
        conv_col2im(s, dcol, dx + (size_t)n * s->C_in * s->H * s->W);
    }
}

static void conv_v1_backward_weight(const ConvShape *s, const float *x, const float *dy,
                                    float *dw, float *db, float *work)
{
    const int kd = s->C_in * s->KH * s->KW, pq = s->H_out * s->W_out;
    float *col = work, *colt = work + conv_im2col_floats(s);   // colt (pq, kd)
    for (int n = 0; n < s->B; n++) {
        const float *dyn = dy + (size_t)n * s->C_out * pq;
        conv_im2col(s, x + (size_t)n * s->C_in * s->H * s->W, col);
        transpose(kd, pq, col, pq, colt, kd);
        gemm(s->C_out, kd, pq, dyn, pq, colt, kd, dw, kd, true);
        if (db)
            for (int k = 0; k < s->C_out; k++) db[k] += sum_lanes(dyn + (size_t)k * pq, pq);
    }
}

// ---- v2_implicit_threads ----
// v2: v1 materializes col (C_in·KH·KW x H_out·W_out per image, written by im2col, then
// copied again by the GEMM's packing of B, and for backward scattered back by col2im) and
// runs one small GEMM per image (conv2 of the DigitCNN: 64 x 196 x 288, edge tiles in both
// directions). Batching images per GEMM (the fallback below) helps, but perf still showed
// only 35-50% of its time in the GEMM micro-kernel on conv2, the rest in im2col, packing and
// transposes: about 55-75 GFLOP/s on one AVX-512 core, against 85-100 for what follows.
// v2 removes the col matrix altogether for stride 1 (implicit GEMM, below), and spreads
// whole images over threads_get() threads, with results that do not depend on the count.
//
// Implicit GEMM (stride 1, AVX-512). Zero-pad one image into xp (C, Hp, Wp) and number the
// output positions "wide", j = p·Wp + q with q < Wp (the columns q >= Q are computed and
// thrown away: 14% extra work for conv2). Then row k = (c, r, t) of the im2col matrix is xp
// read from offset off[k] = c·Hp·Wp + r·Wp + t:
//   out[m][j] = Σ_k w[m][k] · xp[off[k] + j],
// a GEMM whose B operand is a set of shifted views of xp. The micro-kernel (8 output
// channels x 48 positions in 24 zmm registers) loads its three B vectors per k straight from
// xp + off[k] — no im2col, no packing of B, no col2im — and xp (32 KiB for conv2) stays in
// L1. Only w is packed, once per call, into 8-row panels. Threads take contiguous ranges of
// images; each output is one in-order sum over k in one register lane, so the result does
// not depend on the thread count.
// backward_data is the same kernel: for stride 1, dx is the "full" convolution of dy (padding
// KH−1−pad, KW−1−pad) with w flipped in space and with C_in and C_out swapped.
// backward_weight has its own kernel (below), with dy transposed instead of w.
//
// Everything else — stride > 1, a CPU without AVX-512, and the shapes where the implicit
// kernel's tiles would be mostly empty (conv1's backward_data: one output channel) — takes
// the fallback at the end of this section: chunks of images through im2col and the
// single-thread packed GEMM, also threaded over images.
#define IG_MR 8
#define IG_NR 48
#define IG_MIN_KD 8   // shortest sum over k worth the implicit kernel (see ig_worth)

static bool conv_have_avx512(void)
{
#if CONV_X86
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

typedef struct IgShape {
    int B, C, H, W;          // input (B, C, H, W)
    int M, KH, KW;           // output channels, kernel
    int padh, padw;          // padding per side, may differ (backward_data with KH != KW)
    int P, Q;                // output (B, M, P, Q)
    int Hp, Wp;              // padded input plane
    int n_pan;               // panels of IG_NR wide positions covering P·Wp
    size_t kd, xp_floats;    // C·KH·KW; padded image + slack read by the last panel
} IgShape;

static IgShape ig_shape(int B, int C, int H, int W, int M, int KH, int KW, int padh, int padw)
{
    IgShape g = {B, C, H, W, M, KH, KW, padh, padw, 0, 0, 0, 0, 0, 0, 0};
    g.Hp = H + 2 * padh;
    g.Wp = W + 2 * padw;
    g.P = g.Hp - KH + 1;
    g.Q = g.Wp - KW + 1;
    g.n_pan = (g.P * g.Wp + IG_NR - 1) / IG_NR;
    g.kd = (size_t)C * KH * KW;
    // largest offset + largest wide position read + 1
    g.xp_floats = (size_t)(C - 1) * g.Hp * g.Wp + (size_t)(KH - 1) * g.Wp + (size_t)KW +
                  (size_t)g.n_pan * IG_NR;
    return g;
}

// Workspace: packed weights (⌈M/8⌉·8·kd) + offsets (kd, as ints) + per thread xp and a tile.
static size_t ig_shared(const IgShape *g)
{
    return (size_t)(g->M + IG_MR - 1) / IG_MR * IG_MR * g->kd + g->kd;
}
static size_t ig_per_thread(const IgShape *g)
{
    return g->xp_floats + IG_MR * IG_NR;
}

typedef struct IgJob {
    const IgShape *g;
    const float *in, *ap, *bias;
    const int *off;
    float *out, *work;   // work: the per-thread area
    bool accumulate;
    int T;
} IgJob;

#if CONV_X86
// tile (8, 48) = Σ_k a[k·8 + r] · b[off[k] + j], one fused multiply-add per (k, r, vector).
__attribute__((target("avx512f")))
static void ig_kernel(int kd, const float *a, const float *b, const int *off, float *tile)
{
#define IG_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define IG_DECL(r) __m512 c##r##_0 = _mm512_setzero_ps(), c##r##_1 = _mm512_setzero_ps(), \
                          c##r##_2 = _mm512_setzero_ps();
    IG_ROWS(IG_DECL)
#undef IG_DECL
    for (int k = 0; k < kd; k++, a += IG_MR) {
        const float *bk = b + off[k];
        __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16),
               b2 = _mm512_loadu_ps(bk + 32);
#define IG_FMA(r)                                                              \
        {                                                                      \
            __m512 x = _mm512_set1_ps(a[r]);                                   \
            c##r##_0 = _mm512_fmadd_ps(x, b0, c##r##_0);                       \
            c##r##_1 = _mm512_fmadd_ps(x, b1, c##r##_1);                       \
            c##r##_2 = _mm512_fmadd_ps(x, b2, c##r##_2);                       \
        }
        IG_ROWS(IG_FMA)
#undef IG_FMA
    }
#define IG_STORE(r)                                                            \
    _mm512_storeu_ps(tile + (r) * IG_NR, c##r##_0);                            \
    _mm512_storeu_ps(tile + (r) * IG_NR + 16, c##r##_1);                       \
    _mm512_storeu_ps(tile + (r) * IG_NR + 32, c##r##_2);
    IG_ROWS(IG_STORE)
#undef IG_STORE
#undef IG_ROWS
}
#endif

// Images [B·t/T, B·(t+1)/T) of thread t: pad each into xp, then every (panel, 8-row tile).
static void ig_task(void *ctx, int t)
{
#if CONV_X86
    const IgJob *j = ctx;
    const IgShape *g = j->g;
    float *xp = j->work + (size_t)t * ig_per_thread(g), *tile = xp + g->xp_floats;
    const size_t plane = (size_t)g->Hp * g->Wp, in_n = (size_t)g->C * g->H * g->W;
    const size_t out_n = (size_t)g->M * g->P * g->Q;
    int n0 = (int)((long long)g->B * t / j->T), n1 = (int)((long long)g->B * (t + 1) / j->T);
    // The valid positions of a panel form runs (at most one per output row it touches):
    // run i copies tile columns [jj[i], jj[i] + len[i]) to output positions from dst[i].
    int run_jj[IG_NR], run_len[IG_NR], run_dst[IG_NR];
    for (int n = n0; n < n1; n++) {
        memset(xp, 0, g->xp_floats * sizeof *xp);
        const float *in = j->in + n * in_n;
        for (int c = 0; c < g->C; c++)
            for (int h = 0; h < g->H; h++)
                memcpy(xp + c * plane + (size_t)(h + g->padh) * g->Wp + g->padw,
                       in + ((size_t)c * g->H + h) * g->W, (size_t)g->W * sizeof *xp);
        float *out = j->out + n * out_n;
        for (int pn = 0; pn < g->n_pan; pn++) {
            int j0 = pn * IG_NR, n_runs = 0;
            for (int jj = 0; jj < IG_NR;) {
                int p = (j0 + jj) / g->Wp, q = (j0 + jj) % g->Wp;
                if (p >= g->P) break;
                int len = g->Wp - q < IG_NR - jj ? g->Wp - q : IG_NR - jj;   // to row end
                if (q < g->Q) {
                    run_jj[n_runs] = jj;
                    run_len[n_runs] = (g->Q - q < len ? g->Q - q : len);
                    run_dst[n_runs++] = p * g->Q + q;
                }
                jj += len;
            }
            for (int m0 = 0; m0 < g->M; m0 += IG_MR) {
                ig_kernel((int)g->kd, j->ap + (size_t)m0 * g->kd, xp + j0, j->off, tile);
                int rows = g->M - m0 < IG_MR ? g->M - m0 : IG_MR;
                for (int r = 0; r < rows; r++) {
                    float *o = out + (size_t)(m0 + r) * g->P * g->Q;
                    float bias = j->bias ? j->bias[m0 + r] : 0.0f;
                    for (int i = 0; i < n_runs; i++) {
                        const float *src = tile + r * IG_NR + run_jj[i];
                        float *dst = o + run_dst[i];
                        if (j->accumulate)
                            for (int e = 0; e < run_len[i]; e++) dst[e] += src[e];
                        else
                            for (int e = 0; e < run_len[i]; e++) dst[e] = src[e] + bias;
                    }
                }
            }
        }
    }
#else
    (void)ctx;
    (void)t;
#endif
}

// Runs the implicit GEMM. The caller has put the packed weights at the start of `work`
// (8-row panels: ap[m0·kd + k·8 + r] = weight of output m0 + r at k, zero past M); the
// offsets table goes after them, the per-thread areas after that.
static void ig_run(const IgShape *g, const float *in, const float *bias, float *out,
                   bool accumulate, float *work)
{
    int *off = (int *)(work + ig_shared(g) - g->kd);
    for (int c = 0, k = 0; c < g->C; c++)
        for (int r = 0; r < g->KH; r++)
            for (int t = 0; t < g->KW; t++, k++) off[k] = (c * g->Hp + r) * g->Wp + t;
    IgJob j = {.g = g, .in = in, .ap = work, .bias = bias, .off = off, .out = out,
               .work = work + ig_shared(g), .accumulate = accumulate, .T = threads_get()};
    parallel_for(j.T, ig_task, &j);
}

static IgShape ig_forward_shape(const ConvShape *s)
{
    return ig_shape(s->B, s->C_in, s->H, s->W, s->C_out, s->KH, s->KW, s->pad, s->pad);
}

// backward_data as a forward convolution: input dy (B, C_out, H_out, W_out), output dx.
static IgShape ig_backward_shape(const ConvShape *s)
{
    return ig_shape(s->B, s->C_out, s->H_out, s->W_out, s->C_in, s->KH, s->KW,
                    s->KH - 1 - s->pad, s->KW - 1 - s->pad);
}

// Worth it when the 8-row tiles are at least 3/4 full and the sum over k is not tiny (the
// tile is scattered into the output after kd steps). conv1's forward (k = 9, 32 channels)
// qualifies: 0.79 ms instead of the fallback's 0.98 at batch 64 on one core; its
// backward_data (a single output channel) does not.
static bool ig_worth(int M, size_t kd)
{
    return kd >= IG_MIN_KD && 4 * M >= 3 * ((M + IG_MR - 1) / IG_MR * IG_MR);
}

static bool ig_forward_ok(const ConvShape *s)
{
    return CONV_X86 && s->stride == 1 && conv_have_avx512() &&
           ig_worth(s->C_out, (size_t)s->C_in * s->KH * s->KW);
}

static bool ig_backward_ok(const ConvShape *s)
{
    return CONV_X86 && s->stride == 1 && conv_have_avx512() && s->pad <= s->KH - 1 &&
           s->pad <= s->KW - 1 && ig_worth(s->C_in, (size_t)s->C_out * s->KH * s->KW);
}

static size_t ig_workspace(const ConvShape *s)
{
    size_t need = 0;
    int T = threads_get();
    if (ig_forward_ok(s)) {
        IgShape g = ig_forward_shape(s);
        need = ig_shared(&g) + (size_t)T * ig_per_thread(&g);
    }
    if (ig_backward_ok(s)) {
        IgShape g = ig_backward_shape(s);
        size_t b = ig_shared(&g) + (size_t)T * ig_per_thread(&g);
        if (b > need) need = b;
    }
    return need;
}

static void ig_forward(const ConvShape *s, const float *x, const float *w, const float *b,
                       float *y, float *work)
{
    IgShape g = ig_forward_shape(s);
    float *ap = work;
    for (int m0 = 0; m0 < g.M; m0 += IG_MR)
        for (size_t k = 0; k < g.kd; k++)
            for (int r = 0; r < IG_MR; r++)
                ap[(size_t)m0 * g.kd + k * IG_MR + r] =
                    m0 + r < g.M ? w[(size_t)(m0 + r) * g.kd + k] : 0.0f;
    ig_run(&g, x, b, y, false, work);
}

static void ig_backward_data(const ConvShape *s, const float *dy, const float *w, float *dx,
                             float *work)
{
    // w'[c][k][r][t] = w[k][c][KH−1−r][KW−1−t]: rows c (C_in), k' = (k, r, t) over C_out
    IgShape g = ig_backward_shape(s);
    const int KH = s->KH, KW = s->KW, C = s->C_in;
    float *ap = work;
    for (int m0 = 0; m0 < g.M; m0 += IG_MR)
        for (int k = 0, kk = 0; k < s->C_out; k++)
            for (int r = 0; r < KH; r++)
                for (int t = 0; t < KW; t++, kk++)
                    for (int i = 0; i < IG_MR; i++) {
                        int c = m0 + i;
                        ap[(size_t)m0 * g.kd + (size_t)kk * IG_MR + i] =
                            c < C ? w[(((size_t)k * C + c) * KH + (KH - 1 - r)) * KW +
                                      (KW - 1 - t)] : 0.0f;
                    }
    ig_run(&g, dy, NULL, dx, true, work);
}

// backward_weight, same idea: dwᵀ[k][m] = Σ_n Σ_j xp_n[off[k] + j] · dy_n[m][j] over the
// wide positions j (dy is 0 at the thrown-away columns). The batch goes in fixed chunks of
// IGW_CHUNK images; a thread takes whole chunks. For each image of its chunk it pads x into
// xp_n and transposes dy into dyᵀ_n (wide positions x C_out rounded up to 32, zeros at the
// thrown-away positions) while the chunk stays in L2, then computes every tile of the
// chunk's partial dwᵀ: 12 values of k x 32 output channels in 24 zmm accumulators, per
// position j one row of dyᵀ (2 loads) meets 12 broadcasts of xp, 24 FMAs. The chunks'
// partial dwᵀ and db are added in chunk order at the end, so dw and db do not depend on the
// thread count.
#define IGW_MR 12
#define IGW_NR 32
#define IGW_CHUNK 8   // images per partial sum: fixed, so dw does not depend on the threads

typedef struct IgwLayout {
    IgShape g;
    size_t L;                 // wide positions per image, H_out·Wp
    size_t np;                // C_out rounded up to IGW_NR
    size_t kt, mt;            // tiles along k and along C_out
    size_t n_chunks;          // ⌈B / IGW_CHUNK⌉
    size_t part;              // floats of one chunk's partial: kt·12·np (dwᵀ tiles) + np (db)
    size_t per_thread;        // IGW_CHUNK padded images and transposed dy
} IgwLayout;

static IgwLayout igw_layout(const ConvShape *s)
{
    IgwLayout l;
    l.g = ig_forward_shape(s);
    l.L = (size_t)l.g.P * l.g.Wp;
    l.np = (size_t)(s->C_out + IGW_NR - 1) / IGW_NR * IGW_NR;
    l.kt = (l.g.kd + IGW_MR - 1) / IGW_MR;
    l.mt = l.np / IGW_NR;
    l.n_chunks = ((size_t)s->B + IGW_CHUNK - 1) / IGW_CHUNK;
    l.part = l.kt * IGW_MR * l.np + l.np;
    l.per_thread = IGW_CHUNK * (l.g.xp_floats + l.L * l.np);
    return l;
}

static bool igw_ok(const ConvShape *s)
{
    size_t kd = (size_t)s->C_in * s->KH * s->KW;
    int np = (s->C_out + IGW_NR - 1) / IGW_NR * IGW_NR;
    return CONV_X86 && s->stride == 1 && conv_have_avx512() && kd >= IG_MIN_KD &&
           4 * s->C_out >= 3 * np;
}

// Workspace: the chunks' partials, the offsets (as ints), then each thread's chunk buffer.
static size_t igw_workspace(const ConvShape *s)
{
    if (!igw_ok(s)) return 0;
    IgwLayout l = igw_layout(s);
    return l.n_chunks * l.part + l.kt * IGW_MR + (size_t)threads_get() * l.per_thread;
}

typedef struct IgwJob {
    const ConvShape *s;
    const IgwLayout *l;
    const float *x, *dy;
    float *parts, *bufs;
    const int *off;
    int T;
} IgwJob;

#if CONV_X86
// acc (12, 32) += Σ_{j < L} xp[off[r] + j] · b[j·ldb + (0..31)]
__attribute__((target("avx512f")))
static void igw_kernel(int L, const float *xp, const int *off, const float *b, size_t ldb,
                       float *acc)
{
#define IGW_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define IGW_DECL(r) __m512 c##r##_0 = _mm512_loadu_ps(acc + (r) * IGW_NR),             \
                           c##r##_1 = _mm512_loadu_ps(acc + (r) * IGW_NR + 16);         \
                    const float *a##r = xp + off[r];
    IGW_ROWS(IGW_DECL)
#undef IGW_DECL
    for (int jj = 0; jj < L; jj++, b += ldb) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define IGW_FMA(r)                                                             \
        {                                                                      \
            __m512 x = _mm512_set1_ps(a##r[jj]);                               \
            c##r##_0 = _mm512_fmadd_ps(x, b0, c##r##_0);                       \
            c##r##_1 = _mm512_fmadd_ps(x, b1, c##r##_1);                       \
        }
        IGW_ROWS(IGW_FMA)
#undef IGW_FMA
    }
#define IGW_STORE(r)                                                           \
    _mm512_storeu_ps(acc + (r) * IGW_NR, c##r##_0);                            \
    _mm512_storeu_ps(acc + (r) * IGW_NR + 16, c##r##_1);
    IGW_ROWS(IGW_STORE)
#undef IGW_STORE
#undef IGW_ROWS
}
#endif

// Thread t: chunks [n_chunks·t/T, n_chunks·(t+1)/T).
static void igw_task(void *ctx, int t)
{
#if CONV_X86
    const IgwJob *j = ctx;
    const ConvShape *s = j->s;
    const IgwLayout *l = j->l;
    const IgShape *g = &l->g;
    const size_t plane = (size_t)g->Hp * g->Wp, PQ = (size_t)s->H_out * s->W_out;
    const size_t dyt_n = l->L * l->np, n_tiles = l->kt * l->mt;
    float *xps = j->bufs + (size_t)t * l->per_thread, *dyts = xps + IGW_CHUNK * g->xp_floats;
    size_t c0 = l->n_chunks * (size_t)t / (size_t)j->T;
    size_t c1 = l->n_chunks * (size_t)(t + 1) / (size_t)j->T;
    for (size_t ch = c0; ch < c1; ch++) {
        int n0 = (int)ch * IGW_CHUNK, nb = s->B - n0 < IGW_CHUNK ? s->B - n0 : IGW_CHUNK;
        float *part = j->parts + ch * l->part, *db = part + l->kt * IGW_MR * l->np;
        memset(part, 0, l->part * sizeof *part);
        for (int i = 0; i < nb; i++) {
            float *xp = xps + i * g->xp_floats, *dyt = dyts + i * dyt_n;
            const float *x = j->x + (size_t)(n0 + i) * s->C_in * s->H * s->W;
            const float *dy = j->dy + (size_t)(n0 + i) * s->C_out * PQ;
            memset(xp, 0, g->xp_floats * sizeof *xp);
            for (int c = 0; c < s->C_in; c++)
                for (int h = 0; h < s->H; h++)
                    memcpy(xp + c * plane + (size_t)(h + g->padh) * g->Wp + g->padw,
                           x + ((size_t)c * s->H + h) * s->W, (size_t)s->W * sizeof *xp);
            for (int p = 0; p < s->H_out; p++) {   // rows q < Q of output row p, columns m
                float *row = dyt + (size_t)p * g->Wp * l->np;
                transpose(s->C_out, s->W_out, dy + (size_t)p * s->W_out, PQ, row, l->np);
                if (l->np > (size_t)s->C_out)   // columns past C_out
                    for (int q = 0; q < s->W_out; q++)
                        memset(row + q * l->np + s->C_out, 0,
                               (l->np - (size_t)s->C_out) * sizeof *row);
                // the thrown-away positions q >= Q
                memset(row + (size_t)s->W_out * l->np, 0,
                       (size_t)(g->Wp - s->W_out) * l->np * sizeof *row);
            }
            for (int m = 0; m < s->C_out; m++) db[m] += sum_lanes(dy + (size_t)m * PQ, PQ);
        }
        for (size_t tile = 0; tile < n_tiles; tile++) {
            size_t kt = tile / l->mt, mt = tile % l->mt;
            float *acc = part + tile * IGW_MR * IGW_NR;
            for (int i = 0; i < nb; i++)
                igw_kernel((int)l->L, xps + i * g->xp_floats, j->off + kt * IGW_MR,
                           dyts + i * dyt_n + mt * IGW_NR, l->np, acc);
        }
    }
#else
    (void)ctx;
    (void)t;
#endif
}

static void igw_backward_weight(const ConvShape *s, const float *x, const float *dy, float *dw,
                                float *db, float *work)
{
    IgwLayout l = igw_layout(s);
    IgwJob j = {.s = s, .l = &l, .x = x, .dy = dy, .parts = work, .T = threads_get()};
    int *off = (int *)(work + l.n_chunks * l.part);
    j.bufs = work + l.n_chunks * l.part + l.kt * IGW_MR;
    for (size_t k = 0; k < l.kt * IGW_MR; k++) {   // rows past kd read offset 0, discarded
        int c = (int)(k / ((size_t)s->KH * s->KW)), r = (int)(k / s->KW % s->KH),
            t = (int)(k % s->KW);
        off[k] = k < l.g.kd ? (c * l.g.Hp + r) * l.g.Wp + t : 0;
    }
    j.off = off;
    parallel_for(j.T, igw_task, &j);
    // the chunks' partials in chunk order; tile (kt, mt) row r, column e holds
    // dwᵀ[kt·12 + r][mt·32 + e]
    for (size_t ch = 1; ch < l.n_chunks; ch++)
        for (size_t e = 0; e < l.part; e++) j.parts[e] += j.parts[ch * l.part + e];
    for (size_t k = 0; k < l.g.kd; k++) {
        size_t kt = k / IGW_MR, r = k % IGW_MR;
        for (int m = 0; m < s->C_out; m++) {
            size_t mt = (size_t)m / IGW_NR, e = (size_t)m % IGW_NR;
            dw[(size_t)m * l.g.kd + k] += j.parts[((kt * l.mt + mt) * IGW_MR + r) * IGW_NR + e];
        }
    }
    if (db)
        for (int m = 0; m < s->C_out; m++) db[m] += j.parts[l.kt * IGW_MR * l.np + m];
}

// ---- v2's fallback: chunks of images, im2col and the single-thread packed GEMM ----
// Versus v1:
//  1. Images go in fixed chunks of CH (CH·H_out·W_out >= ~768 columns; 4 images for conv2):
//     im2col writes the CH images side by side into one (C_in·KH·KW, CH·HW) buffer, so one
//     GEMM does CH images with full-width micro-tiles (784 = 24.5 tiles of 32 instead of
//     196 = 6.1) and packs w once per chunk.
//  2. Threads work on whole chunks (ranges fixed by the static schedule, each thread its own
//     slice of the workspace), each calling the single-thread AVX-512 (else AVX2, else
//     portable) packed GEMM rung directly: no synchronisation inside a chunk, and never the
//     threaded GEMM rung (parallel_for is not reentrant).
//  3. backward_weight computes dwᵀ (C_in·KH·KW, C_out) = col · dyᵀ instead of dy · colᵀ:
//     transposing dy (C_out·HW floats) is cheaper than transposing col (C_in·KH·KW·HW) once
//     C_in·KH·KW > C_out. Each chunk writes its own partial dwᵀ and db; they are added in
//     chunk order at the end, so dw does not depend on the thread count (CH is fixed by the
//     shape). Forward and backward_data outputs are each one GEMM dot product over the same
//     K: bitwise identical for any thread count too.

// The single-thread GEMM rung used inside the worker threads.
static GemmFn conv_v2_gemm(void)
{
    static GemmFn fn;
    if (fn) return fn;
    // v3_avx512 where the CPU has it, else v3_avx2, whose function runs on every CPU (it
    // falls back to the portable micro-kernel without AVX2).
    const KernelRung *r = ladder_find(&GEMM_LADDER, "v3_avx512");
    for (int i = 0; !r && i < GEMM_LADDER.n_rungs; i++)
        if (strcmp(GEMM_LADDER.rungs[i].name, "v3_avx2") == 0) r = &GEMM_LADDER.rungs[i];
    DL_CHECK(r, "conv v2: GEMM_LADDER has no rung v3_avx2");
    fn = gemm_rung_fn(r);
    return fn;
}

#define V2_CHUNK_COLS 768   // aim for at least this many GEMM columns per chunk

static int v2_chunk(const ConvShape *s)
{
    int pq = s->H_out * s->W_out, ch = (V2_CHUNK_COLS + pq - 1) / pq;
    return ch < s->B ? ch : s->B;
}

// Workspace layout (floats): [shared: wᵀ (kd·C_out) | partials: n_chunks·(kd·C_out + C_out)]
// then per thread [col (kd·CH·pq) | buf (C_out·CH·pq)].
typedef struct V2Layout {
    int ch, n_chunks, T;
    size_t kd, pq, cw;            // kd = C_in·KH·KW, pq = H_out·W_out, cw = CH·pq
    size_t shared, per_thread;    // floats
} V2Layout;

static V2Layout v2_layout(const ConvShape *s)
{
    V2Layout l;
    l.ch = v2_chunk(s);
    l.n_chunks = (s->B + l.ch - 1) / l.ch;
    l.T = threads_get();
    l.kd = (size_t)s->C_in * s->KH * s->KW;
    l.pq = (size_t)s->H_out * s->W_out;
    l.cw = (size_t)l.ch * l.pq;
    l.shared = l.kd * s->C_out + (size_t)l.n_chunks * (l.kd * s->C_out + s->C_out);
    l.per_thread = l.kd * l.cw + (size_t)s->C_out * l.cw;
    return l;
}

static size_t conv_v2_workspace(const ConvShape *s)
{
    // The most any pass needs: its implicit-GEMM kernel's, or the fallback's whole layout
    // when a pass takes the fallback.
    V2Layout l = v2_layout(s);
    size_t need = ig_workspace(s), igw = igw_workspace(s);
    if (igw > need) need = igw;
    if (!ig_forward_ok(s) || !ig_backward_ok(s) || !igw_ok(s)) {
        size_t fb = l.shared + (size_t)l.T * l.per_thread;
        if (fb > need) need = fb;
    }
    return need;
}

typedef struct V2Job {
    const ConvShape *s;
    V2Layout l;
    GemmFn g;
    const float *x, *w, *b, *dy;
    float *y, *dx, *work, *wt, *part;
    bool want_db;
} V2Job;

// Thread t's chunks [c0, c1) and its slice of the workspace.
static void v2_range(const V2Job *j, int t, int *c0, int *c1, float **col, float **buf)
{
    *c0 = (int)((long long)j->l.n_chunks * t / j->l.T);
    *c1 = (int)((long long)j->l.n_chunks * (t + 1) / j->l.T);
    *col = j->work + j->l.shared + (size_t)t * j->l.per_thread;
    *buf = *col + j->l.kd * j->l.cw;
}

static void v2_forward_task(void *ctx, int t)
{
    const V2Job *j = ctx;
    const ConvShape *s = j->s;
    const size_t pq = j->l.pq, xn = (size_t)s->C_in * s->H * s->W, yn = (size_t)s->C_out * pq;
    int c0, c1;
    float *col, *buf;
    v2_range(j, t, &c0, &c1, &col, &buf);
    for (int c = c0; c < c1; c++) {
        int n0 = c * j->l.ch, nb = s->B - n0 < j->l.ch ? s->B - n0 : j->l.ch;
        int cols = (int)(nb * pq);
        for (int i = 0; i < nb; i++) im2col_ld(s, j->x + (n0 + i) * xn, col + i * pq, cols);
        if (nb == 1) {   // one image per chunk (large images): the GEMM writes y_n itself
            float *yc = j->y + n0 * yn;
            j->g(s->C_out, cols, (int)j->l.kd, j->w, (int)j->l.kd, col, cols, yc, cols, false);
            if (j->b)
                for (int k = 0; k < s->C_out; k++)
                    for (size_t e = 0; e < pq; e++) yc[(size_t)k * pq + e] += j->b[k];
            continue;
        }
        // buf (C_out, cols) = w (C_out, kd) · col (kd, cols)
        j->g(s->C_out, cols, (int)j->l.kd, j->w, (int)j->l.kd, col, cols, buf, cols, false);
        for (int i = 0; i < nb; i++)
            for (int k = 0; k < s->C_out; k++) {
                const float *src = buf + (size_t)k * cols + i * pq;
                float *dst = j->y + (n0 + i) * yn + (size_t)k * pq, bk = j->b ? j->b[k] : 0.0f;
                for (size_t e = 0; e < pq; e++) dst[e] = src[e] + bk;
            }
    }
}

static void conv_v2_forward(const ConvShape *s, const float *x, const float *w, const float *b,
                            float *y, float *work)
{
    V2Job j = {.s = s, .l = v2_layout(s), .g = conv_v2_gemm(), .x = x, .w = w, .b = b, .y = y,
               .work = work};
    if (ig_forward_ok(s)) {
        ig_forward(s, x, w, b, y, work);
        return;
    }
    parallel_for(j.l.T, v2_forward_task, &j);
}

static void v2_backward_data_task(void *ctx, int t)
{
    const V2Job *j = ctx;
    const ConvShape *s = j->s;
    const size_t pq = j->l.pq, xn = (size_t)s->C_in * s->H * s->W, yn = (size_t)s->C_out * pq;
    int c0, c1;
    float *col, *buf;
    v2_range(j, t, &c0, &c1, &col, &buf);
    for (int c = c0; c < c1; c++) {
        int n0 = c * j->l.ch, nb = s->B - n0 < j->l.ch ? s->B - n0 : j->l.ch;
        int cols = (int)(nb * pq);
        for (int i = 0; i < nb; i++)   // buf (C_out, cols): the chunk's dy side by side
            for (int k = 0; k < s->C_out; k++)
                memcpy(buf + (size_t)k * cols + i * pq, j->dy + (n0 + i) * yn + (size_t)k * pq,
                       pq * sizeof(float));
        // dcol (kd, cols) = wᵀ (kd, C_out) · buf (C_out, cols)
        j->g((int)j->l.kd, cols, s->C_out, j->wt, s->C_out, buf, cols, col, cols, false);
        for (int i = 0; i < nb; i++) col2im_ld(s, col + i * pq, cols, j->dx + (n0 + i) * xn);
    }
}

static void conv_v2_backward_data(const ConvShape *s, const float *dy, const float *w,
                                  float *dx, float *work)
{
    V2Job j = {.s = s, .l = v2_layout(s), .g = conv_v2_gemm(), .w = w, .dy = dy, .dx = dx,
               .work = work, .wt = work};
    if (ig_backward_ok(s)) {
        ig_backward_data(s, dy, w, dx, work);
        return;
    }
    transpose(s->C_out, (int)j.l.kd, w, j.l.kd, j.wt, s->C_out);
    parallel_for(j.l.T, v2_backward_data_task, &j);
}

static void v2_backward_weight_task(void *ctx, int t)
{
    const V2Job *j = ctx;
    const ConvShape *s = j->s;
    const size_t pq = j->l.pq, xn = (size_t)s->C_in * s->H * s->W, yn = (size_t)s->C_out * pq;
    const size_t part_floats = j->l.kd * s->C_out + s->C_out;
    int c0, c1;
    float *col, *buf;
    v2_range(j, t, &c0, &c1, &col, &buf);
    for (int c = c0; c < c1; c++) {
        int n0 = c * j->l.ch, nb = s->B - n0 < j->l.ch ? s->B - n0 : j->l.ch;
        int cols = (int)(nb * pq);
        float *pw = j->part + c * part_floats, *db = pw + j->l.kd * s->C_out;
        for (int i = 0; i < nb; i++) im2col_ld(s, j->x + (n0 + i) * xn, col + i * pq, cols);
        // buf (cols, C_out): dy of image i transposed into rows i·pq …
        for (int i = 0; i < nb; i++)
            transpose(s->C_out, (int)pq, j->dy + (n0 + i) * yn, pq, buf + i * pq * s->C_out,
                      s->C_out);
        // dwᵀ (kd, C_out) = col (kd, cols) · dyᵀ (cols, C_out)
        j->g((int)j->l.kd, s->C_out, cols, col, cols, buf, s->C_out, pw, s->C_out, false);
        if (j->want_db)
            for (int k = 0; k < s->C_out; k++) {
                float acc = 0.0f;
                for (int i = 0; i < nb; i++) acc += sum_lanes(j->dy + (n0 + i) * yn + (size_t)k * pq, pq);
                db[k] = acc;
            }
    }
}

static void conv_v2_backward_weight(const ConvShape *s, const float *x, const float *dy,
                                    float *dw, float *db, float *work)
{
    if (igw_ok(s)) {
        igw_backward_weight(s, x, dy, dw, db, work);
        return;
    }
    V2Job j = {.s = s, .l = v2_layout(s), .g = conv_v2_gemm(), .x = x, .dy = dy, .work = work,
               .want_db = db != NULL};
    j.part = work + j.l.kd * s->C_out;
    parallel_for(j.l.T, v2_backward_weight_task, &j);
    // Sum the partials in chunk order (fixed by the shape), then dw += (Σ dwᵀ)ᵀ.
    const size_t part_floats = j.l.kd * s->C_out + s->C_out;
    for (int c = 1; c < j.l.n_chunks; c++) {
        const float *src = j.part + c * part_floats;
        for (size_t e = 0; e < part_floats; e++) j.part[e] += src[e];
    }
    const float *pw = j.part;
    for (int k = 0; k < s->C_out; k++)
        for (size_t e = 0; e < j.l.kd; e++)
            dw[(size_t)k * j.l.kd + e] += pw[e * s->C_out + k];
    if (db)
        for (int k = 0; k < s->C_out; k++) db[k] += pw[j.l.kd * s->C_out + k];
}

// ---- the table and the selection ----

static const ConvImpl V0 = {conv_v0_workspace, conv_v0_forward, conv_v0_backward_data,
                            conv_v0_backward_weight};
static const ConvImpl V1 = {conv_v1_workspace, conv_v1_forward, conv_v1_backward_data,
                            conv_v1_backward_weight};
static const ConvImpl V2 = {conv_v2_workspace, conv_v2_forward, conv_v2_backward_data,
                            conv_v2_backward_weight};
static const KernelRung CONV_RUNGS[] = {
    {"v0_direct", &V0, NULL}, {"v1_im2col", &V1, NULL}, {"v2_implicit_threads", &V2, NULL},
};
KernelLadder CONV_LADDER = {"conv", "2-D convolution, forward and backward (chapter 4)",
                            CONV_RUNGS, sizeof CONV_RUNGS / sizeof CONV_RUNGS[0],
                            "v2_implicit_threads", NULL};
