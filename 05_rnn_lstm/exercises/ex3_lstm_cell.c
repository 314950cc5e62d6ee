/* 05_rnn_lstm/exercises/ex3_lstm_cell.c — exercise 3: one step of an LSTM cell (PyTorch's).
 * Read: exercises/EXERCISES.md § 3 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

void ex_lstm_cell_forward(const float *x, const float *h_prev, const float *c_prev,
                          const float *W_ih, const float *W_hh, const float *b_ih,
                          const float *b_hh, float *h, float *c, int B, int C, int H)
{
    // TODO: for every row b, the 4H gate pre-activations
    //   gates[k] = b_ih[k] + b_hh[k] + Σ_i x[b][i]·W_ih[i][k] + Σ_j h_prev[b][j]·W_hh[j][k]
    // (W_ih[i][k] is W_ih[i·4H + k]); then for every unit j, in PyTorch's order i, f, g, o:
    //   i = σ(gates[j]), f = σ(gates[H + j]), g = tanh(gates[2H + j]), o = σ(gates[3H + j])
    //   c[b][j] = f·c_prev[b][j] + i·g,   h[b][j] = o·tanh(c[b][j])
    // σ(a) = 1/(1 + e^−a). A scratch row of 4H floats (malloc, free) holds the gates.
    EX_TODO(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, h, c, B, C, H);
}
