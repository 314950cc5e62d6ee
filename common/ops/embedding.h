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

#endif
