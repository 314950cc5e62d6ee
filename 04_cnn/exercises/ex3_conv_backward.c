/* 04_cnn/exercises/ex3_conv_backward.c — exercise 3: the weight and bias gradients of a convolution.
 * Read: 04_cnn/README.md, "The math" (the convolution's backward). Graded by: make grade.
 */
#include "exercises.h"

void ex_conv_backward_weight(const float *x, const float *dy, float *dw, float *db, int B,
                             int C_in, int H, int W, int C_out, int K, int stride, int pad)
{
    // TODO: H_out = (H + 2·pad − K)/stride + 1, W_out likewise.
    // For every weight (k, c, r, s): sum over n, p, q of dy[n][k][p][q] · x[n][c][h][w] with
    // h = p·stride + r − pad, w = q·stride + s − pad, skipping positions in the padding
    // (x = 0 there); add the sum into dw[k][c][r][s]. For every k: db[k] += Σ_n,p,q dy[n][k][p][q].
    // Add (+=): dw and db already hold values.
    EX_TODO(x, dy, dw, db, B, C_in, H, W, C_out, K, stride, pad);
}
