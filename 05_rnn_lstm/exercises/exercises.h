/* 05_rnn_lstm/exercises/exercises.h — the functions the chapter 5 exercises implement.
 * Each exK_name.c defines one of them; exercises/driver.c calls it on fixed inputs and
 * the grader compares the results with expected/ (see EXERCISES.md for the rules).
 * Plain float arrays, row-major, without the library's recurrent ops, GEMM or clipping: you
 * write the loops yourself. Dimension letters as in common/autograd/tensor.h: B batch,
 * C input features, H hidden units. Weights are stored (in, out), the transpose of PyTorch's
 * (out, in), so that a batch of row vectors multiplies them on the right: x · W.
 */
#ifndef CH05_EXERCISES_H
#define CH05_EXERCISES_H

#include "grader.h"    // EX_TODO

/* ex1_rnn_forward: one step of a vanilla (Elman) RNN for a batch,
 *   h[b][j] = tanh( Σ_i x[b][i]·W_xh[i][j] + Σ_k h_prev[b][k]·W_hh[k][j] + bias[j] )
 * i.e. h_t = tanh(x_t W_xh + h_{t-1} W_hh + b) (torch.nn.RNN with one bias b = b_ih + b_hh).
 * x (B, C), h_prev (B, H), W_xh (C, H), W_hh (H, H), bias (H); h (B, H) is overwritten
 * (every element written; h never aliases h_prev). */
void ex_rnn_step_forward(const float *x, const float *h_prev, const float *W_xh,
                         const float *W_hh, const float *bias, float *h, int B, int C, int H);

/* ex2_rnn_backward: back-propagation through that step (one step of BPTT). Given the step's
 * inputs x (B, C), h_prev (B, H), its output h (B, H) and dh = dL/dh_t (B, H) — the loss's
 * gradient at h_t, already including what flows back from step t + 1 —:
 *   da      = dh ⊙ (1 − h²)           (B, H)  the gradient at the pre-activation (tanh' = 1 − tanh²)
 *   dx      = da · W_xhᵀ              (B, C)  overwritten
 *   dh_prev = da · W_hhᵀ              (B, H)  overwritten: the caller adds it to step t − 1's dh
 *   dW_xh  += x_tᵀ · da               (C, H)  ADDED to: the same weights are used at every
 *   dW_hh  += h_prevᵀ · da            (H, H)  step, so BPTT sums their gradient over all steps
 *   dbias  += Σ_b da[b][·]            (H)
 * W_xh (C, H), W_hh (H, H) as in ex1. */
void ex_rnn_step_backward(const float *x, const float *h_prev, const float *h, const float *dh,
                          const float *W_xh, const float *W_hh, float *dx, float *dh_prev,
                          float *dW_xh, float *dW_hh, float *dbias, int B, int C, int H);

/* ex3_lstm_cell: one step of an LSTM cell, PyTorch's torch.nn.LSTMCell exactly. The four
 * gates' pre-activations, for each row b of the batch:
 *   gates = x_t W_ih + b_ih + h_{t-1} W_hh + b_hh            (B, 4H)
 * with the columns in PyTorch's gate order i, f, g, o: columns [0, H) input gate,
 * [H, 2H) forget gate, [2H, 3H) candidate ("cell gate"), [3H, 4H) output gate. Then
 *   i = σ(gates_i), f = σ(gates_f), g = tanh(gates_g), o = σ(gates_o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g                                  (B, H)
 *   h_t = o ⊙ tanh(c_t)                                        (B, H)
 * Layout: x (B, C), h_prev (B, H), c_prev (B, H); W_ih (C, 4H) and W_hh (H, 4H) are the
 * transposes of PyTorch's weight_ih (4H, C) and weight_hh (4H, H) (element [i][k] of ours
 * is weight_ih[k][i]); b_ih, b_hh (4H) as PyTorch's (two bias vectors, simply added).
 * h, c (B, H) are overwritten; they never alias the inputs. */
void ex_lstm_cell_forward(const float *x, const float *h_prev, const float *c_prev,
                          const float *W_ih, const float *W_hh, const float *b_ih,
                          const float *b_hh, float *h, float *c, int B, int C, int H);

/* ex4_clip_grad_norm: gradient clipping by global norm, torch.nn.utils.clip_grad_norm_
 * (Pascanu, Mikolov & Bengio 2013). grads[k] points at n[k] floats (k < n_grads); the norm is
 * over all of them together, as if they were one vector:
 *   norm = sqrt( Σ_k Σ_i grads[k][i]² )
 *   if norm > max_norm: every grads[k][i] *= max_norm / (norm + 1e-6)   (in place)
 * (PyTorch multiplies by min(1, max_norm / (norm + 1e-6)): the same up to 1e-6.) Returns
 * norm, measured before clipping. max_norm > 0; n[k] >= 0; all-zero grads give 0, untouched. */
float ex_clip_grad_norm(float *const *grads, const int *n, int n_grads, float max_norm);

/* Plain C only: the library's recurrent ops, GEMM and clipping are off limits in these
 * exercises (a call is a compile error "attempt to use poisoned …"). Write your own loops —
 * a helper of your own needs another name than these. */
#pragma GCC poison gemm gemm_rung_fn GEMM_LADDER op_matmul
#pragma GCC poison op_recurrent recurrent_forward recurrent_init clip_grad_norm

#endif
