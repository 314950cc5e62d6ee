/* common/data/batch.c — shuffled mini-batches and weighted sampling; see data/batch.h. */
#include "data/batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

void sample_weighted(Rng *r, const float *weights, int n, int *out, int m)
{
    DL_CHECK(n >= 1 && weights, "sample_weighted: need n >= 1 weights (got n = %d)", n);
    DL_CHECK(m >= 0 && (m == 0 || out), "sample_weighted: need m >= 0 draws and an output "
             "array (got m = %d)", m);
    // cum[i] = weights[0] + ... + weights[i], in double so that 60000 small weights still
    // add up without losing the last ones to rounding.
    double *cum = dl_malloc((size_t)n * sizeof *cum, "cumulative weights");
    double s = 0;
    for (int i = 0; i < n; i++) {
        DL_CHECK(isfinite(weights[i]) && weights[i] >= 0, "sample_weighted: weights[%d] = %g; "
                 "weights must be finite and >= 0", i, (double)weights[i]);
        s += weights[i];
        cum[i] = s;
    }
    DL_CHECK(s > 0 && isfinite(s), "sample_weighted: the %d weights sum to %g; need a positive, "
             "finite sum (at least one weight > 0)", n, s);
    for (int k = 0; k < m; k++) {
        // u in [0, s): 53 random bits from two draws, so the draw resolves tiny weights too.
        uint64_t bits = ((uint64_t)rng_u32(r) << 21) ^ (rng_u32(r) >> 11);
        double u = (double)bits * 0x1p-53 * s;
        // The first i with cum[i] > u; a zero weight has cum[i] == cum[i - 1], never chosen.
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (cum[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        // u < s = cum[n - 1] up to rounding; if u*s rounded up to s, step back to the last
        // positive weight.
        while (lo > 0 && weights[lo] == 0) lo--;
        out[k] = lo;
    }
    free(cum);
}

// ---- shuffled mini-batches ----

void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng)
{
    DL_CHECK(batch > 0, "batcher_init: batch size %d, expected > 0", batch);
    DL_CHECK(!shuffle || rng, "batcher_init: shuffle needs an Rng (got NULL)");
    b->d = d;
    b->batch = batch;
    b->perm = dl_malloc((size_t)d->n * sizeof *b->perm, "batcher permutation");
    for (int i = 0; i < d->n; i++) b->perm[i] = i;
    b->pos = 0;
    b->shuffle = shuffle;
    b->rng = rng;
}

int batcher_next(Batcher *b, float *x, int *y)
{
    const Dataset *d = b->d;
    if (b->pos >= d->n) {      // end of the epoch: report it, and start over next call
        b->pos = 0;
        return 0;
    }
    if (b->pos == 0 && b->shuffle) rng_shuffle(b->rng, b->perm, (size_t)d->n);
    int m = d->n - b->pos < b->batch ? d->n - b->pos : b->batch;
    size_t dim = (size_t)d->dim;
    for (int i = 0; i < m; i++) {
        int k = b->perm[b->pos + i];
        memcpy(x + i * dim, d->x + k * dim, dim * sizeof(float));
        y[i] = d->y[k];
    }
    b->pos += m;
    return m;
}

int batcher_steps_per_epoch(const Batcher *b)
{
    return (b->d->n + b->batch - 1) / b->batch;
}

void batcher_free(Batcher *b)
{
    free(b->perm);
    memset(b, 0, sizeof *b);
}
