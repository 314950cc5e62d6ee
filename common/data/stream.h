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

#endif
