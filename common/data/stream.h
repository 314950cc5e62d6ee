/* common/data/stream.h — a token stream in B parallel rows cut into BPTT windows of T steps.
 *
 * The layout of Zaremba et al.'s reader (ptb_iterator) and of char-rnn: the stream of n tokens
 * is split into B contiguous rows of L = ⌊n / B⌋ tokens (the tail is dropped); batch k holds,
 * for every row b, the window x[b] = row_b[kT … kT+T) and its targets y[b] = row_b[kT+1 … kT+T]
 * (the next token of each position). Window k+1 of a row continues where window k ended, so a
 * recurrent model carries its state from one batch to the next (nn/recurrent.h); the first
 * batch of an epoch has Batch.reset_state set. An epoch is ⌊(L - 1) / T⌋ batches, always in
 * this order (no shuffling: the order is the point).
 */
#ifndef DL_DATA_STREAM_H
#define DL_DATA_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/rng.h"
#include "data/batch.h"

typedef struct TokenBatcher {
    BatchSource src;        // first member: a TokenBatcher is a BatchSource; src.state[0] is
                            // the next window k
    const int *tokens;      // (n) not owned
    size_t n;
    int B, T;
    size_t L;               // tokens per row
    int *x, *y;             // (B, T) the batch handed out
    int pos;                // storage of src.state (the next window k, 0 … steps)
} TokenBatcher;

/* Check the sizes and set up (tokens are not copied: they must outlive tb; tb must not be
 * copied or moved after init, as src.state points into it). Errors (false, err filled, naming
 * the numbers and the fix): B < 1, T < 1, or a stream too short for one window per row
 * (n < B·(T + 1)): "batch larger than the corpus allows". */
bool token_batcher_init(TokenBatcher *tb, const int *tokens, size_t n, int B, int T, char *err,
                        size_t errlen);
/* Batches per epoch, ⌊(L - 1) / T⌋. */
int token_batcher_steps(const TokenBatcher *tb);
void token_batcher_free(TokenBatcher *tb);

// ---- random windows (nanoGPT's get_batch) ----
/* B windows of T tokens at offsets drawn uniformly from [0, n − T − 1] (with replacement) for
 * every batch, targets the next tokens: how GPTs are trained on a token stream (Karpathy's
 * nanoGPT, train.py get_batch). No state is carried between windows (reset_state is false).
 * An "epoch" is steps_per_epoch such batches (the loop evaluates after each). */
typedef struct WindowSampler {
    BatchSource src;        // first member; src.state[0] is the batches drawn this epoch
    const int *tokens;      // (n) not owned
    size_t n;
    int B, T;
    Rng *rng;               // not owned: the loop's (saved in checkpoints)
    int *x, *y;             // (B, T)
    int pos;
} WindowSampler;

/* Errors (false, err filled naming the numbers and the fix): B < 1, T < 1, steps < 1, or
 * n < T + 2 ("the text is shorter than one window"). ws must not be moved after init. */
bool window_sampler_init(WindowSampler *ws, const int *tokens, size_t n, int B, int T,
                         int steps_per_epoch, Rng *rng, char *err, size_t errlen);
void window_sampler_free(WindowSampler *ws);

#endif
