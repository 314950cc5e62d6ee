/* 05_rnn_lstm/lm.h — chapter 5's language model: embedding → L recurrent layers → softmax.
 *
 *   tokens (B, T) → embed (B·T, D) → view (B, T, D) → RNN/LSTM/GRU × L → (B, T, H)
 *                → [dropout] → view (B·T, H) → head (op_linear: matmul + bias in one op)
 *                → logits (B·T, V)
 * The loss is the mean next-token cross-entropy over the B·T positions (lm_loss). The model carries its recurrent state from one window of the stream to the next
 * (truncated BPTT, nn/recurrent.h): one state for training, saved in checkpoints as a buffer, and
 * one for evaluation; a batch with reset_state set (the first of an epoch) zeroes it.
 * Zaremba, Sutskever & Vinyals (2014), "small": V = 10000, D = H = 200, L = 2, T = 20, B = 20,
 * every weight U(-0.1, 0.1), no dropout. char-rnn (Karpathy 2015): bytes, D = V-sized one-hot in
 * the original; here a learned embedding.
 * Used by rnn.c (the lessons) and bench.c (the training-throughput benchmark).
 */
#ifndef CH05_LM_H
#define CH05_LM_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/rng.h"
#include "data/batch.h"
#include "nn/linear.h"
#include "nn/recurrent.h"
#include "train/model.h"

typedef struct LmConfig {
    CellKind kind;
    int V;              // vocabulary
    int D;              // embedding width
    int H;              // hidden units per layer
    int L;              // layers
    int B;              // training batch (rows of the stream); the training state is (L, B, H)
    int B_eval;         // evaluation batch (rows), its own state
    float init_range;   // U(-r, r) for every parameter; 0: PyTorch's defaults (N(0,1) embedding,
                        // U(±1/√H) recurrent, U(±1/√H) head)
    float dropout;      // between layers and before the head, when training (0: none)
} LmConfig;

typedef struct RnnLM {
    LmConfig cfg;
    Tensor *embed;              // (V, D)
    Recurrent rnn;              // D → H, L layers
    Linear head;                // H → V: w (H, V), b (V)
    RecurrentState train_state; // (L, B, H), a checkpoint buffer
    RecurrentState eval_state;  // (L, B_eval, H)
} RnnLM;

/* Build the model's layers into m (its params arena and list, in the order embed, rnn, head,
 * then the training state as buffers "state.h"/"state.c"), drawing from rng. */
void lm_init(RnnLM *lm, Model *m, const LmConfig *cfg, Rng *rng);

/* ForwardFn (train/model.h): b->tokens (B, T) → logits (B·T, V). Uses the training state when
 * train (its B must be cfg.B) else the evaluation state (cfg.B_eval); resets it first when
 * b->reset_state. */
Tensor *lm_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);

/* LossFn (train/loop.h) for TrainTask.loss: the mean next-token cross-entropy of the logits
 * against b->y (B·T), as the loop's default but with op_cross_entropy_fast (float32, vectorized,
 * threaded: the 10k-word softmax costs a tenth of op_cross_entropy's). */
Tensor *lm_loss(void *net, Tape *tp, Tensor *out, const Batch *b);

/* One step of generation: feed `token` (one sequence, its own state s of B = 1) and write the
 * next-token logits (V) into logits. Runs on m's tape without recording; rewinds it after. */
void lm_step(RnnLM *lm, Model *m, RecurrentState *s, int token, float *logits);

#endif
