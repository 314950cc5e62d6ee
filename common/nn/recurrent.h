/* common/nn/recurrent.h — a stack of recurrent layers (RNN, LSTM or GRU), as torch.nn.LSTM
 * with num_layers = L and batch_first = True, and the state it carries between windows.
 *
 * Layer l reads the output sequence of layer l - 1 (layer 0 reads the input, C features) and
 * every layer has H units; each is one op_recurrent (ops/recurrent.h). Parameters, added to
 * the Params list under the names PyTorch uses (with our transposed layout, see
 * ops/recurrent.h): "w_ih_l<l>" (C_l, G·H), "w_hh_l<l>" (H, G·H), "b_ih_l<l>", "b_hh_l<l>" (G·H).
 * Parameter count: Σ_l G·(C_l·H + H·H + 2·H), C_0 = C, C_l = H after.
 *
 * Truncated BPTT on a long stream (Zaremba et al. 2014; lecture 5): the text is cut into
 * windows of T steps; the last hidden (and cell) state of one window is the first state of the
 * next, but as plain values — the gradient stops at the window's edge (it is "detached").
 * A RecurrentState holds that carried state, (L, B, H) for h (and c).
 */
#ifndef DL_NN_RECURRENT_H
#define DL_NN_RECURRENT_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "nn/params.h"
#include "ops/recurrent.h"

#define DL_MAX_RNN_LAYERS 8

typedef struct Recurrent {
    CellKind kind;
    int C, H, L;                         // input features, hidden units, layers
    Tensor *w_ih[DL_MAX_RNN_LAYERS];     // (C_l, G·H)
    Tensor *w_hh[DL_MAX_RNN_LAYERS];     // (H, G·H)
    Tensor *b_ih[DL_MAX_RNN_LAYERS];     // (G·H)
    Tensor *b_hh[DL_MAX_RNN_LAYERS];     // (G·H)
} Recurrent;

typedef struct RecurrentState {
    int L, B, H;
    float *h;                            // (L, B, H)
    float *c;                            // (L, B, H) for an LSTM, else NULL
} RecurrentState;

/* Allocate the L layers in `params` and add them to `list` (if not NULL). Every weight and bias
 * is drawn from U(-init_range, init_range); init_range 0 means PyTorch's default,
 * U(-1/√H, 1/√H). Dies unless 1 <= L <= DL_MAX_RNN_LAYERS and C, H >= 1. */
void recurrent_init(Recurrent *r, Arena *params, CellKind kind, int C, int H, int L,
                    float init_range, Rng *rng, Params *list);

/* Scalars in all layers (the formula above). */
size_t recurrent_param_count(CellKind kind, int C, int H, int L);

/* A zeroed carried state for batches of B sequences, in arena a. When `list` is not NULL the
 * state is also added to it as buffers "<name>.h" (and "<name>.c"), so that a checkpoint saves
 * it and a resumed run continues mid-epoch with the state an uninterrupted run would have. */
void recurrent_state_init(RecurrentState *s, Arena *a, const Recurrent *r, int B,
                          Params *list, const char *name);
/* Back to zeros (the first window of an epoch, or a new text). */
void recurrent_state_reset(RecurrentState *s);

/* x (B, T, C) through all layers → the last layer's outputs (B, T, H). With a state s (its B
 * must match), the layers start from s (no gradient into it) and s is overwritten with their
 * final states; with s = NULL they start from zeros. Between layers (not after the last),
 * inverted dropout with probability `dropout` when train (masks from rng). dh_norm (T) or
 * NULL: passed to the LAST layer's op (see RecurrentArgs). */
Tensor *recurrent_forward(Tape *tp, const Recurrent *r, Tensor *x, RecurrentState *s,
                          float dropout, bool train, Rng *rng, float *dh_norm);

#endif
