/* common/kernels/conv.h — 2-D convolution on raw float arrays, the course's conv ladder.
 *
 * Layout NCHW, as PyTorch: input x (B, C_in, H, W), weight w (C_out, C_in, KH, KW),
 * bias b (C_out), output y (B, C_out, H_out, W_out), all contiguous row-major. Zero padding
 * `pad` on every side, the same `stride` in both directions (lecture 4):
 *   H_out = ⌊(H + 2·pad − KH) / stride⌋ + 1,   W_out likewise.
 *   y[n][k][p][q] = b[k] + Σ_c Σ_r Σ_s w[k][c][r][s] · x[n][c][p·stride + r − pad][q·stride + s − pad]
 * (cross-correlation, as every deep-learning library; out-of-range x reads as 0).
 * Backward, with dy = dL/dy:
 *   dx[n][c][h][w] += Σ_k Σ_r Σ_s w[k][c][r][s] · dy[n][k][p][q]   over (p, q, r, s) with
 *                      p·stride + r − pad = h and q·stride + s − pad = w
 *   dw[k][c][r][s] += Σ_n Σ_p Σ_q dy[n][k][p][q] · x[n][c][p·stride + r − pad][q·stride + s − pad]
 *   db[k]          += Σ_n Σ_p Σ_q dy[n][k][p][q]
 * Cost: forward 2·B·C_out·H_out·W_out·C_in·KH·KW FLOP (conv_flops); each backward the same.
 *
 * Every rung has the same three entry points and lives in conv.c, oldest first:
 *   v0_direct   the seven nested loops of the definition, the reference
 *   v1_im2col   unfold each image into columns (im2col), then one GEMM with the chapter-2
 *               ladder (gemm(), the selected rung): y_n (C_out, HW_out) = w (C_out, C_in·KH·KW)
 *               · col_n (C_in·KH·KW, HW_out); backward by GEMMs and col2im
 *   v2_implicit_threads  the fast rung, threaded over threads_get() threads: for stride 1 an
 *               implicit GEMM (AVX-512 micro-kernels read shifted views of the zero-padded
 *               image, no col matrix; backward_data is the same kernel on dy with w flipped),
 *               else chunks of images through im2col and the single-thread packed GEMM
 * Source: Chellapilla, Puri & Simard, "High Performance Convolutional Neural Networks for
 * Document Processing", 2006 (im2col); Chetlur et al., "cuDNN", arXiv:1410.0759 (implicit
 * GEMM, workspaces); Dumoulin & Visin, "A guide to convolution arithmetic", arXiv:1603.07285.
 */
#ifndef DL_CONV_H
#define DL_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ladder.h"

typedef struct ConvShape {
    int B, C_in, H, W;                 // input x (B, C_in, H, W)
    int C_out, KH, KW;                 // weight w (C_out, C_in, KH, KW)
    int stride, pad;                   // the same in both spatial directions
    int H_out, W_out;                  // output y (B, C_out, H_out, W_out)
} ConvShape;

/* ⌊(in + 2·pad − k) / stride⌋ + 1, or 0 when the kernel does not fit (k > in + 2·pad),
 * stride < 1, pad < 0, k < 1 or in < 1. */
int conv_out_size(int in, int k, int stride, int pad);

/* Fill *s and compute H_out, W_out. Returns NULL when the shape is valid, else a message
 * (static storage) that names the problem and the fix: a size < 1, stride < 1, pad < 0,
 * or a kernel larger than the padded input ("kernel 5x5 is larger than the padded input
 * 3x3 (H + 2·pad = …); use a smaller kernel or more padding"). */
const char *conv_shape_init(ConvShape *s, int B, int C_in, int H, int W, int C_out, int KH,
                            int KW, int stride, int pad);

/* Forward FLOP: 2·B·C_out·H_out·W_out·C_in·KH·KW (a multiply and an add per weight use). */
double conv_flops(const ConvShape *s);

/* Floats of im2col buffer for one image: C_in·KH·KW · H_out·W_out (the --bench memory line
 * multiplies by B and 4 bytes to show what a whole-batch im2col would cost). */
size_t conv_im2col_floats(const ConvShape *s);

/* The unfolding itself, for one image: x1 (C_in, H, W) → col (C_in·KH·KW, H_out·W_out),
 * row (c·KH + r)·KW + s, column p·W_out + q holds x1[c][p·stride + r − pad][q·stride + s − pad]
 * (0 in the padding). col2im is its adjoint: dx1 += the scatter of dcol back (overlapping
 * windows add). */
void conv_im2col(const ConvShape *s, const float *x1, float *col);
void conv_col2im(const ConvShape *s, const float *dcol, float *dx1);

/* One rung. All three functions take a workspace of workspace(s) floats (may be NULL when
 * that is 0), allocated by the caller (ops/conv.c takes it from the step arena, so it is reused
 * every step without malloc). The workspace size may depend on threads_get(): query it
 * again after threads_set().
 *   forward:         y = conv(x, w) + b   (overwrites y; b may be NULL)
 *   backward_data:   dx += dL/dx
 *   backward_weight: dw += dL/dw, db += dL/db   (db may be NULL)
 * Results do not depend on the thread count (each output element is summed in a fixed
 * order). The rungs differ only by float rounding (summation order). */
typedef struct ConvImpl {
    size_t (*workspace)(const ConvShape *s);
    void (*forward)(const ConvShape *s, const float *x, const float *w, const float *b,
                    float *y, float *work);
    void (*backward_data)(const ConvShape *s, const float *dy, const float *w, float *dx,
                          float *work);
    void (*backward_weight)(const ConvShape *s, const float *x, const float *dy, float *dw,
                            float *db, float *work);
} ConvImpl;

/* Every rung, oldest first (kernels/ladder.h): v0_direct v1_im2col v2_implicit_threads;
 * "auto" is v2. Benches and tests iterate over CONV_LADDER.rungs; --kernel conv=… picks the
 * rung op_conv2d runs. */
extern KernelLadder CONV_LADDER;

/* The entry points of one conv rung, and of the rung in use. */
static inline const ConvImpl *conv_impl(const KernelRung *r)
{
    return (const ConvImpl *)r->impl;
}
static inline const ConvImpl *conv_selected(void)
{
    return conv_impl(ladder_selected(&CONV_LADDER));
}

#endif
