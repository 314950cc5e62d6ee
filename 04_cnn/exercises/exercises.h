/* 04_cnn/exercises/exercises.h — the functions the chapter 4 exercises implement.
 * Each exK_name.c defines one of them; exercises/driver.c calls it on fixed inputs and
 * the grader compares the results with expected/ (see EXERCISES.md for the rules).
 * The exercises work on plain float arrays, without the library's convolution or GEMM
 * (common/kernels/conv.h, gemm.h): you write the loops yourself. Layout NCHW, as PyTorch and
 * conv.h: a batch x (B, C, H, W), a weight w (C_out, C_in, K, K), all contiguous row-major,
 * so x[n][c][h][w] is x[((n·C + c)·H + h)·W + w]. Output sizes (no dilation):
 *   H_out = ⌊(H + 2·pad − K) / stride⌋ + 1,   W_out likewise.
 */
#ifndef CH04_EXERCISES_H
#define CH04_EXERCISES_H

#include "grader.h"    // EX_TODO

/* ex1_im2col: unfold ONE image x (C, H, W) into col (C·KH·KW, H_out·W_out):
 *   col[(c·KH + r)·KW + s][p·W_out + q] = x[c][p·stride + r − pad][q·stride + s − pad]
 * and 0 where that position falls in the zero padding (outside [0, H) x [0, W)).
 * Every element of col is written. stride >= 1, pad >= 0, the kernel fits the padded input. */
void ex_im2col(const float *x, int C, int H, int W, int KH, int KW, int stride, int pad,
               float *col);

/* ex2_maxpool_backward, forward: max pooling of B_C planes x (B_C, H, W) (B·C planes of a
 * batch, one after another) with a k x k window moved by `stride`, no padding:
 *   H_out = ⌊(H − k) / stride⌋ + 1,  W_out likewise;  y (B_C, H_out, W_out)
 *   y[i][p][q] = max over r, s in [0, k) of x[i][p·stride + r][q·stride + s]
 * and argmax[i][p][q] = the flat index h·W + w, within plane i, of that maximum; on a tie
 * the first in row-major window order wins (the smallest r, then the smallest s), as PyTorch. */
void ex_maxpool_forward(const float *x, int B_C, int H, int W, int k, int stride, float *y,
                        int *argmax);

/* ex2_maxpool_backward, backward: route each dy[i][p][q] to the input that won its window,
 *   dx[i][argmax[i][p][q]] += dy[i][p][q]
 * (add, as every backward does: dx is not zeroed here; with overlapping windows one input
 * can receive from several outputs). dy, argmax (B_C, H_out, W_out); dx (B_C, H, W). */
void ex_maxpool_backward(const float *dy, const int *argmax, int B_C, int H, int W, int H_out,
                         int W_out, float *dx);

/* ex3_conv_backward: the gradients of the weight and the bias of a convolution
 *   y[n][k][p][q] = b[k] + Σ_c Σ_r Σ_s w[k][c][r][s] · x[n][c][p·stride + r − pad][q·stride + s − pad]
 * from dy = dL/dy (B, C_out, H_out, W_out) and the input x (B, C_in, H, W):
 *   dw[k][c][r][s] += Σ_n Σ_p Σ_q dy[n][k][p][q] · x[n][c][p·stride + r − pad][q·stride + s − pad]
 *   db[k]          += Σ_n Σ_p Σ_q dy[n][k][p][q]
 * (x outside the image is 0, so those terms drop out). dw (C_out, C_in, K, K), db (C_out). */
void ex_conv_backward_weight(const float *x, const float *dy, float *dw, float *db, int B,
                             int C_in, int H, int W, int C_out, int K, int stride, int pad);

/* ex4_conv_speed: the forward convolution, stride 1, K x K kernel, zero padding pad:
 *   y[n][k][p][q] = b[k] + Σ_c Σ_r Σ_s w[k][c][r][s] · x[n][c][p + r − pad][q + s − pad]
 * x (B, C_in, H, W), w (C_out, C_in, K, K), b (C_out), y (B, C_out, H_out, W_out) with
 * H_out = H + 2·pad − K + 1 (overwritten). The same numbers as the seven nested loops of the
 * definition (up to float rounding), but faster: see EXERCISES.md. It may malloc a
 * workspace (free it before returning). */
void ex_conv_forward_fast(const float *x, const float *w, const float *b, float *y, int B,
                          int C_in, int H, int W, int C_out, int K, int pad);

/* Plain C only: the library's convolution and GEMM are off limits in these exercises (a
 * call is a compile error "attempt to use poisoned …"). Write your own loops — a helper of
 * your own needs another name than these. */
#pragma GCC poison gemm gemm_rung_fn GEMM_LADDER
#pragma GCC poison conv_im2col conv_col2im conv_impl conv_selected CONV_LADDER
#pragma GCC poison op_conv2d op_maxpool2d op_matmul conv2d_forward

#endif
