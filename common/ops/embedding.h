/* common/ops/embedding.h — the embedding lookup: a token id selects a row of a table.
 *
 *   y[i, :] = table[tokens[i], :]          y (N, D), table (V, D), tokens (N)
 * Backward scatters: dtable[tokens[i], :] += dy[i, :] (a token seen twice gets both rows'
 * gradients). It is a one-hot row vector times the table, without building the one-hot
 * (lecture 5 and 6; torch.nn.Embedding / F.embedding). A big backward (more than DL_PAR_MIN
 * floats) splits the D columns among the threads; every row of dtable is still summed in token
 * order, so the bits do not depend on the thread count.
 */
#ifndef DL_OPS_EMBEDDING_H
#define DL_OPS_EMBEDDING_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* Rows of `table` (V, D) picked by tokens[0 … n): a new (n, D) tensor on tp. The tokens are
 * read during the call only (backward keeps its own copy). Dies with a message naming the
 * position and the id when a token is outside [0, V). */
Tensor *op_embedding(Tape *tp, Tensor *table, const int *tokens, int n);

/* The same with padding: a token -1 gives a row of zeros and sends no gradient anywhere
 * (torch.nn.Embedding's padding_idx, with the padding row kept out of the table). Documents of
 * different lengths padded to one T this way make a (B·T, D) batch whose padding reads as 0.
 * Dies on a token outside [-1, V). */
Tensor *op_embedding_padded(Tape *tp, Tensor *table, const int *tokens, int n);

/* The mean of each row's embeddings: tokens (B, T) row-major with -1 as padding → y (B, D),
 *   y[b, :] = (1/n_b) Σ_{t: tokens[b,t] >= 0} table[tokens[b,t], :],  n_b = non-padding tokens
 * (a row with none gives zeros) — torch.nn.EmbeddingBag(mode="mean") with per-bag offsets, the
 * first layer of a Deep Averaging Network (Iyyer et al., ACL 2015) and mean-pooled document
 * vectors, without the (B·T, D) intermediate. Backward scatters:
 * dtable[tokens[b,t], :] += dy[b, :] / n_b, in token order (the same bits for any thread
 * count, as op_embedding). Dies on a token outside [-1, V) or B, T < 1. */
Tensor *op_embedding_mean(Tape *tp, Tensor *table, const int *tokens, int B, int T);

#endif
