/* 05_rnn_lstm/exercises/ex1_rnn_forward.c — exercise 1: one step of a vanilla RNN, forward.
 * Read: exercises/EXERCISES.md § 1 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

void ex_rnn_step_forward(const float *x, const float *h_prev, const float *W_xh,
                         const float *W_hh, const float *bias, float *h, int B, int C, int H)
{
    // TODO: for every row b of the batch and every hidden unit j:
    //   a = bias[j] + Σ_i x[b][i]·W_xh[i][j] + Σ_k h_prev[b][k]·W_hh[k][j]
    //   h[b][j] = tanh(a)            (tanhf from <math.h>)
    // Row-major: x[b][i] is x[b·C + i], W_xh[i][j] is W_xh[i·H + j], W_hh[k][j] is W_hh[k·H + j].
    EX_TODO(x, h_prev, W_xh, W_hh, bias, h, B, C, H);
}
