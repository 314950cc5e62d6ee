/* common/data/batch.h — mini-batches: a shuffled pass over a Dataset, and weighted sampling. */
#ifndef DL_DATA_BATCH_H
#define DL_DATA_BATCH_H

#include <stdbool.h>

#include "base/rng.h"
#include "data/dataset.h"

/* Draw m indices in [0, n) with replacement, P(i) = weights[i] / Σ weights — torch's
 * WeightedRandomSampler(weights, m, replacement=True). Inverse-CDF sampling: a binary search
 * in the cumulative sums (kept in double). Dies if a weight is negative or not finite, or the
 * sum is 0. Deterministic for a given rng state. */
void sample_weighted(Rng *r, const float *weights, int n, int *out, int m);

// ---- shuffled mini-batches ----
typedef struct Batcher {
    const Dataset *d;
    int batch;            // batch size B
    int *perm;            // (n), a fresh permutation every epoch
    int pos;              // next position in perm
    bool shuffle;
    Rng *rng;
} Batcher;

/* Iterate over d in batches of `batch` (the last one of an epoch may be smaller), in a
 * new random order every epoch when shuffle is true (rng used; not owned). */
void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng);
/* Copy the next batch into x (batch, dim) and y (batch); returns its size, or 0 at the
 * end of the epoch (after which the next call starts a new, reshuffled epoch). */
int batcher_next(Batcher *b, float *x, int *y);
/* Number of batches per epoch: ceil(n / batch). */
int batcher_steps_per_epoch(const Batcher *b);
void batcher_free(Batcher *b);

#endif
