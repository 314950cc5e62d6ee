/* 04_cnn/exercises/ex2_maxpool_backward.c — exercise 2: max pooling, forward with argmax, backward.
 * Read: 04_cnn/README.md, "The math" (max pooling). Graded by: make grade.
 */
#include "exercises.h"

void ex_maxpool_forward(const float *x, int B_C, int H, int W, int k, int stride, float *y,
                        int *argmax)
{
    // TODO: H_out = (H − k)/stride + 1, W_out likewise. For each plane i and output (p, q):
    // scan the k x k window at (p·stride, q·stride) row by row; keep the first largest value
    // (start from the window's first element, not from 0: values may all be negative; a
    // later equal value does not replace it). y[i][p][q] = that value, argmax[i][p][q] = its
    // index h·W + w inside plane i.
    EX_TODO(x, B_C, H, W, k, stride, y, argmax);
}

void ex_maxpool_backward(const float *dy, const int *argmax, int B_C, int H, int W, int H_out,
                         int W_out, float *dx)
{
    // TODO: for each plane i and output (p, q): dx[i][argmax[i][p][q]] += dy[i][p][q].
    // Add (+=): dx already holds values, and overlapping windows may share a winner.
    EX_TODO(dy, argmax, B_C, H, W, H_out, W_out, dx);
}
