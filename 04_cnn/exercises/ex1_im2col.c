/* 04_cnn/exercises/ex1_im2col.c — exercise 1: unfold an image into columns (im2col).
 * Read: 04_cnn/README.md, "The math" (im2col). Graded by: make grade (exact values).
 */
#include "exercises.h"

void ex_im2col(const float *x, int C, int H, int W, int KH, int KW, int stride, int pad,
               float *col)
{
    // TODO: H_out = (H + 2·pad − KH)/stride + 1, W_out likewise (integer division = floor).
    // For every channel c and kernel tap (r, s): row (c·KH + r)·KW + s of col (H_out·W_out
    // floats long). For every output position (p, q), its column p·W_out + q gets the pixel
    // x[c][h][w] with h = p·stride + r − pad, w = q·stride + s − pad — or 0 if h or w is
    // outside the image (the padding). Write every element: col starts as NaN.
    EX_TODO(x, C, H, W, KH, KW, stride, pad, col);
}
