/* common/ops/recurrent.h — one recurrent layer over a whole sequence (RNN, LSTM, GRU), with
 * back-propagation through time (BPTT) in its backward.
 *
 * The cells, with PyTorch's gate order and its two bias vectors (so that a layer here and
 * torch.nn.RNN / nn.LSTM / nn.GRU with the same weights give the same numbers):
 *   RNN  (1 gate)  h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)                  (Elman 1990)
 *   LSTM (4 gates: i, f, g, o)                          (Hochreiter & Schmidhuber 1997; Gers 2000)
 *        [i f g o] = x_t W_ih + b_ih + h_{t-1} W_hh + b_hh
 *        i = σ(i), f = σ(f), g = tanh(g), o = σ(o)
 *        c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 *   GRU  (3 gates: r, z, n)                                                  (Cho et al. 2014)
 *        r = σ(x_t W_ir + b_ir + h_{t-1} W_hr + b_hr)
 *        z = σ(x_t W_iz + b_iz + h_{t-1} W_hz + b_hz)
 *        n = tanh(x_t W_in + b_in + r ⊙ (h_{t-1} W_hn + b_hn))
 *        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
 * Weights are stored as our Linear stores them, inputs times weight (the transpose of
 * PyTorch's weight_ih_l0 (G·H, C)): w_ih (C, G·H), w_hh (H, G·H), b_ih and b_hh (G·H), the G
 * gates side by side in the order above. Parameters per layer: G·(C·H + H·H + 2·H), so for
 * equal sizes RNN : GRU : LSTM = 1 : 3 : 4.
 * Backward is BPTT: from t = T down to 1, dh_t = dL/dh_t (from the output) + the gradient
 * flowing back from step t + 1 (and dc_t through the LSTM's additive cell path), then the
 * gate derivatives, then the weight gradients summed over all steps (lecture 5; Werbos 1990).
 * How fast: the rung of kernels/recurrent.h selected with --kernel rnn=… does the work.
 * Results do not depend on the thread count.
 */
#ifndef DL_OPS_RECURRENT_H
#define DL_OPS_RECURRENT_H

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "kernels/recurrent.h"   // CellKind (the kernels need it too), RNN_LADDER

/* Gates G of a cell: RNN 1, LSTM 4, GRU 3. */
int cell_gates(CellKind kind);
/* "RNN", "LSTM", "GRU". */
const char *cell_name(CellKind kind);
/* Parse "rnn" | "lstm" | "gru"; false for anything else. */
bool cell_from_name(const char *name, CellKind *out);

typedef struct RecurrentArgs {
    CellKind kind;
    Tensor *w_ih;        // (C, G·H)
    Tensor *w_hh;        // (H, G·H)
    Tensor *b_ih;        // (G·H)
    Tensor *b_hh;        // (G·H)
    Tensor *h0;          // (B, H) initial hidden state, or NULL for zeros; gets a grad when it
                         // requires one
    Tensor *c0;          // (B, H) initial cell state (LSTM only), or NULL for zeros
    float *h_n;          // (B, H) out: the final hidden state h_T, or NULL
    float *c_n;          // (B, H) out: the final cell state c_T (LSTM), or NULL
                         // (h_n, c_n are values only, detached: no gradient flows into them,
                         // which is what carrying state across BPTT windows needs)
    float *dh_norm;      // (T) or NULL: filled by backward with ‖dL/dh_t‖₂ over the whole batch,
                         // the total gradient reaching h_t (through the output at t and back
                         // through time) — chapter 5 plots it to show vanishing/exploding
                         // gradients. Must stay valid until backward has run.
} RecurrentArgs;

/* Run the cell over x (B, T, C) (batch first, as nn.LSTM(batch_first=True)) from h0 (and c0):
 * (one autograd node; backward reads x, the weights, h0 and c0 again, so their data must not
 * change before backward — nn/recurrent.c copies a carried state before passing it as h0)
 * returns the output sequence (B, T, H) = h_1 … h_T on tp, and writes h_n (and c_n) when
 * asked. PyTorch's return values: RNN/GRU (output, h_n), LSTM (output, (h_n, c_n)).
 * Dies with a message naming the tensor and both shapes when a shape does not fit. */
Tensor *op_recurrent(Tape *tp, Tensor *x, const RecurrentArgs *a);

#endif
