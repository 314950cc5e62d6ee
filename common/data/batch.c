/* common/data/batch.c — shuffled mini-batches and weighted sampling; see data/batch.h. */
#include "data/batch.h"

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"

// cum (n) = the running sums of weights, in double so that 60000 small weights still add up
// without losing the last ones to rounding; dies on a bad weight.
static void weights_cumsum(const float *weights, int n, double *cum)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        DL_CHECK(isfinite(weights[i]) && weights[i] >= 0, "sample_weighted: weights[%d] = %g; "
                 "weights must be finite and >= 0", i, (double)weights[i]);
        s += weights[i];
        cum[i] = s;
    }
    DL_CHECK(s > 0 && isfinite(s), "sample_weighted: the %d weights sum to %g; need a positive, "
             "finite sum (at least one weight > 0)", n, s);
}

// m draws from the distribution whose cumulative sums are cum (n).
static void weighted_draws(Rng *r, const float *weights, const double *cum, int n, int *out,
                           int m)
{
    double s = cum[n - 1];
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
}

void sample_weighted(Rng *r, const float *weights, int n, int *out, int m)
{
    DL_CHECK(n >= 1 && weights, "sample_weighted: need n >= 1 weights (got n = %d)", n);
    DL_CHECK(m >= 0 && (m == 0 || out), "sample_weighted: need m >= 0 draws and an output "
             "array (got m = %d)", m);
    double *cum = dl_malloc((size_t)n * sizeof *cum, "cumulative weights");
    weights_cumsum(weights, n, cum);
    weighted_draws(r, weights, cum, n, out, m);
    free(cum);
}

// ---- a Dataset in mini-batches ----

static int batcher_source_next(BatchSource *s, Batch *b)
{
    Batcher *bt = (Batcher *)s;
    int B = batcher_next(bt, bt->x, bt->y);
    *b = (Batch){.B = B, .dim = bt->d->dim, .x = bt->x, .y = bt->y};
    return B;
}

void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng)
{
    DL_CHECK(batch > 0, "batcher_init: batch size %d, expected > 0", batch);
    DL_CHECK(!shuffle || rng, "batcher_init: shuffle needs an Rng (got NULL)");
    DL_CHECK(d->n >= 1, "batcher_init: dataset '%s' is empty", d->name);
    *b = (Batcher){.d = d, .batch = batch, .shuffle = shuffle, .rng = rng};
    int *state = dl_malloc((size_t)(d->n + 1) * sizeof *state, "batcher state");
    state[0] = 0;
    b->perm = state + 1;
    for (int i = 0; i < d->n; i++) b->perm[i] = i;
    b->x = dl_malloc((size_t)batch * (size_t)d->dim * sizeof *b->x, "batch examples");
    b->y = dl_malloc((size_t)batch * sizeof *b->y, "batch labels");
    b->src = (BatchSource){.next = batcher_source_next,
                           .steps_per_epoch = batcher_steps_per_epoch(b),
                           .state = state, .n_state = (size_t)d->n + 1};
}

void batcher_init_weighted(Batcher *b, const Dataset *d, int batch, const float *weights,
                           Rng *rng)
{
    DL_CHECK(weights && rng, "batcher_init_weighted: needs weights (n = %d) and an Rng", d->n);
    batcher_init(b, d, batch, false, rng);
    b->weights = weights;
    b->cum = dl_malloc((size_t)d->n * sizeof *b->cum, "cumulative weights");
    weights_cumsum(weights, d->n, b->cum);
    b->idx = dl_malloc((size_t)batch * sizeof *b->idx, "drawn indices");
    b->src.n_state = 1;   // only the count of batches drawn this epoch
}

int batcher_next(Batcher *b, float *x, int *y)
{
    const Dataset *d = b->d;
    const size_t dim = (size_t)d->dim;
    int *pos = &b->src.state[0];
    if (b->weights) {   // weighted sampling: steps_per_epoch batches of `batch` draws
        if (*pos >= b->src.steps_per_epoch) {
            *pos = 0;
            return 0;
        }
        weighted_draws(b->rng, b->weights, b->cum, d->n, b->idx, b->batch);
        for (int i = 0; i < b->batch; i++) {
            memcpy(x + i * dim, d->x + (size_t)b->idx[i] * dim, dim * sizeof(float));
            y[i] = d->y[b->idx[i]];
        }
        (*pos)++;
        return b->batch;
    }
    if (*pos >= d->n) {      // end of the epoch: report it, and start over next call
        *pos = 0;
        return 0;
    }
    if (*pos == 0 && b->shuffle) rng_shuffle(b->rng, b->perm, (size_t)d->n);
    int m = d->n - *pos < b->batch ? d->n - *pos : b->batch;
    for (int i = 0; i < m; i++) {
        int k = b->perm[*pos + i];
        memcpy(x + i * dim, d->x + (size_t)k * dim, dim * sizeof(float));
        y[i] = d->y[k];
    }
    *pos += m;
    return m;
}

int batcher_steps_per_epoch(const Batcher *b)
{
    return (b->d->n + b->batch - 1) / b->batch;
}

void batcher_free(Batcher *b)
{
    free(b->src.state);
    free(b->cum);
    free(b->idx);
    free(b->x);
    free(b->y);
    *b = (Batcher){0};
}
