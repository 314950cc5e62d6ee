/* 02_backprop/exercises/ex3_linear_backward.c — exercise 3: the backward pass of a Linear layer.
 * Read: 02_backprop/README.md, "The math" (matmul backward: dA = dC·Bᵀ, dB = Aᵀ·dC).
 * Graded by: make grade.
 */
#include "exercises.h"

void ex_linear_backward(const float *x, const float *w, const float *dy, int B, int in, int out,
                        float *dx, float *dw, float *db)
{
    // TODO: with x (B, in), w (in, out), dy (B, out), all row-major (x[b*in + i], …):
    //   dx[b][i] += Σ_o dy[b][o]·w[i][o]      (dx = dy·wᵀ)
    //   dw[i][o] += Σ_b x[b][i]·dy[b][o]      (dw = xᵀ·dy)
    //   db[o]    += Σ_b dy[b][o]
    // Check the shapes first: each gradient has the shape of what it is the gradient of.
    EX_TODO(x, w, dy, B, in, out, dx, dw, db);
}
