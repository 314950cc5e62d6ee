/* common/data/batch.h — mini-batches: what the training loop reads, and where they come from.
 *
 * The training loop (train/loop.h) reads a stream of Batches from a BatchSource, one epoch
 * after another, and never looks at where they come from. A Batch carries either features
 * (images, 2-D points: x (B, dim) with class labels y (B)) or token ids (language models:
 * tokens (B, T) with next-token targets y (B, T)). Sources here:
 *   Batcher     a pass over a Dataset in a new random order every epoch (or in order), or
 *               B draws per step with replacement, P(i) ∝ weights[i] (a weighted sampler)
 *   TokenBatcher  a token stream in B parallel rows cut into windows of T (data/stream.h)
 * Every source is a struct whose first member is a BatchSource.
 *
 * A source's position is a plain int array (BatchSource.state), so a checkpoint can save it
 * and a resumed run continues with exactly the batches an uninterrupted one would have seen.
 * Random draws (shuffles, samples) come from the Rng the source was given: the training loop
 * saves that Rng in checkpoints too.
 */
#ifndef DL_DATA_BATCH_H
#define DL_DATA_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/rng.h"
#include "data/dataset.h"

typedef struct Batch {
    int B;                // examples in this batch (the last of an epoch may be smaller)
    int dim;              // features per example: x is (B, dim); 0 for token batches
    float *x;             // (B, dim) features, or NULL
    int T;                // tokens per example (0 for feature batches)
    int *tokens;          // (B, T) input token ids, or NULL
    int *y;               // targets: (B) class labels, or (B, T) next-token ids
    bool reset_state;     // true on the first window of an epoch of a token stream
                          // (data/stream.h): a recurrent model resets the state it carries
                          // between windows; false for everything else
} Batch;

typedef struct BatchSource BatchSource;
struct BatchSource {
    /* Fill b with the next batch and return its size B, or return 0 at the end of an epoch
     * (the call after that starts the next epoch). The arrays b points to belong to the
     * source and stay valid until the next call. */
    int (*next)(BatchSource *s, Batch *b);
    int steps_per_epoch;  // batches in one epoch
    int *state;           // (n_state) the source's whole position, for checkpoints
    size_t n_state;
};

/* Draw m indices in [0, n) with replacement, P(i) = weights[i] / Σ weights — torch's
 * WeightedRandomSampler(weights, m, replacement=True). Inverse-CDF sampling: a binary search
 * in the cumulative sums (kept in double). Dies if a weight is negative or not finite, or the
 * sum is 0. Deterministic for a given rng state. */
void sample_weighted(Rng *r, const float *weights, int n, int *out, int m);

// ---- a Dataset in mini-batches ----
typedef struct Batcher {
    BatchSource src;      // first member: a Batcher is a BatchSource
    const Dataset *d;
    int batch;            // batch size B
    bool shuffle;         // a new random order every epoch
    Rng *rng;             // not owned
    int *perm;            // (n) the order of this epoch: src.state[1 …]; src.state[0] is the
                          // position in perm (or the batches drawn this epoch, weighted)
    const float *weights; // weighted sampling: (n), not owned; NULL for a pass
    double *cum;          // (n) cumulative weights, for weighted sampling
    int *idx;             // (batch) drawn indices, for weighted sampling
    float *x;             // (batch, dim) the batch handed out by src.next
    int *y;               // (batch)
} Batcher;

/* Iterate over d in batches of `batch` (the last one of an epoch may be smaller), in a new
 * random order every epoch when shuffle is true (drawn from rng at the first batch of the
 * epoch; rng not owned, may be NULL without shuffle). Dies on batch < 1. */
void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng);
/* Instead of a pass: every batch is `batch` draws with replacement, P(i) ∝ weights[i]
 * (sample_weighted; weights (n) not owned); an epoch is ceil(n / batch) such batches. */
void batcher_init_weighted(Batcher *b, const Dataset *d, int batch, const float *weights,
                           Rng *rng);
/* Copy the next batch into x (batch, dim) and y (batch); returns its size, or 0 at the
 * end of the epoch (after which the next call starts a new, reshuffled epoch). */
int batcher_next(Batcher *b, float *x, int *y);
/* Number of batches per epoch: ceil(n / batch). */
int batcher_steps_per_epoch(const Batcher *b);
void batcher_free(Batcher *b);

#endif
