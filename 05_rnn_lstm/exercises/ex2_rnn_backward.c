/* 05_rnn_lstm/exercises/ex2_rnn_backward.c — exercise 2: one step of back-propagation through
 * time for the vanilla RNN. Read: exercises/EXERCISES.md § 2 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

void ex_rnn_step_backward(const float *x, const float *h_prev, const float *h, const float *dh,
                          const float *W_xh, const float *W_hh, float *dx, float *dh_prev,
                          float *dW_xh, float *dW_hh, float *dbias, int B, int C, int H)
{
    // TODO: for every row b: da[j] = dh[b][j]·(1 − h[b][j]²)  (the gradient through tanh), then
    //   dx[b][i]      = Σ_j da[j]·W_xh[i][j]        (overwrite)
    //   dh_prev[b][k] = Σ_j da[j]·W_hh[k][j]        (overwrite)
    //   dW_xh[i][j]  += x[b][i]·da[j]               (add: dW_xh already holds other steps')
    //   dW_hh[k][j]  += h_prev[b][k]·da[j]          (add)
    //   dbias[j]     += da[j]                       (add)
    EX_TODO(x, h_prev, h, dh, W_xh, W_hh, dx, dh_prev, dW_xh, dW_hh, dbias, B, C, H);
}
