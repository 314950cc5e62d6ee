/* 04_cnn/exercises/ex4_conv_speed.c — exercise 4: a faster convolution, in plain C.
 * Read: 04_cnn/README.md, "Making it fast" (the conv ladder). Graded by: make grade (values,
 * and >= 3x the speed of the seven naive loops, measured in the same run).
 */
#include "exercises.h"

void ex_conv_forward_fast(const float *x, const float *w, const float *b, float *y, int B,
                          int C_in, int H, int W, int C_out, int K, int pad)
{
    // TODO: y[n][k][p][q] = b[k] + Σ_c,r,s w[k][c][r][s] · x[n][c][p + r − pad][q + s − pad]
    // (stride 1; x is 0 in the padding), H_out = H + 2·pad − K + 1, W_out likewise.
    // The seven loops of the definition keep one running sum per output: every addition waits
    // for the previous one. Faster, for each image n:
    // 1. im2col (exercise 1, stride 1) into a malloc'ed col (C_in·K·K, H_out·W_out);
    // 2. y_n (C_out, H_out·W_out) = w (C_out, C_in·K·K) · col, with b[k] as the start of row k,
    //    in i-k-j order: the innermost loop runs along a row of col and of y (unit stride,
    //    many independent sums, vectorized by the compiler).
    // Free the buffer before returning. No library calls (gemm, conv_*): your own loops.
    EX_TODO(x, w, b, y, B, C_in, H, W, C_out, K, pad);
}
