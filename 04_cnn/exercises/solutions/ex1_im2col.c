/* 04_cnn/exercises/solutions/ex1_im2col.c — reference solution of exercise 1. */
#include "exercises.h"

void ex_im2col(const float *x, int C, int H, int W, int KH, int KW, int stride, int pad,
               float *col)
{
    int H_out = (H + 2 * pad - KH) / stride + 1, W_out = (W + 2 * pad - KW) / stride + 1;
    int HW_out = H_out * W_out;
    // One row of col per (c, r, s): the input pixel each output position (p, q) sees
    // through kernel tap (r, s), or 0 when it lies in the padding.
    for (int c = 0; c < C; c++)
        for (int r = 0; r < KH; r++)
            for (int s = 0; s < KW; s++) {
                float *row = col + (size_t)((c * KH + r) * KW + s) * HW_out;
                for (int p = 0; p < H_out; p++) {
                    int h = p * stride + r - pad;
                    for (int q = 0; q < W_out; q++) {
                        int w = q * stride + s - pad;
                        row[p * W_out + q] = h >= 0 && h < H && w >= 0 && w < W
                                                 ? x[((size_t)c * H + h) * W + w] : 0.0f;
                    }
                }
            }
}
