/* common/optim/clip.c — gradient clipping by global norm; see optim/clip.h.
 *
 * The sum of squares runs over every gradient element (millions: chapter 5's PTB model has 4.6 M),
 * so it is organised for speed without giving up determinism: each parameter is cut into
 * chunks of CLIP_CHUNK elements (a fixed size, whatever the thread count); a chunk is summed in
 * double over 8 lanes (element i to lane i mod 8, the lanes added in a fixed tree — 8 independent
 * additions per step instead of one long dependency chain, which the compiler vectorizes);
 * the chunks' sums are added in order. Chunks are shared among the threads (parallel_for), and
 * so is the scaling pass: the norm and the clipped grads are the same bits for any thread count.
 */
#include "optim/clip.h"

#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/threads.h"

#define CLIP_CHUNK 65536   // elements per task: below this a thread hand-off costs more

typedef struct ClipJob {
    Params *p;
    int *first;           // (n + 1) first chunk of each parameter, chunks in order
    double *part;         // (chunks) Σ g² of each chunk
    float scale;
} ClipJob;

// Parameter and element range of global chunk c.
static void chunk_range(const ClipJob *j, int c, float **g, size_t *n)
{
    int i = 0;
    while (j->first[i + 1] <= c) i++;
    const Tensor *t = j->p->items[i];
    size_t lo = (size_t)(c - j->first[i]) * CLIP_CHUNK;
    size_t hi = lo + CLIP_CHUNK < t->size ? lo + CLIP_CHUNK : t->size;
    *g = t->grad + lo;
    *n = hi - lo;
}

static void sumsq_task(void *ctx, int c)
{
    ClipJob *j = ctx;
    float *g;
    size_t n;
    chunk_range(j, c, &g, &n);
    double l[8] = {0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int q = 0; q < 8; q++) l[q] += (double)g[k + q] * (double)g[k + q];
    for (int q = 0; k < n; k++, q++) l[q] += (double)g[k] * (double)g[k];
    j->part[c] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

static void scale_task(void *ctx, int c)
{
    ClipJob *j = ctx;
    float *g;
    size_t n;
    chunk_range(j, c, &g, &n);
    for (size_t k = 0; k < n; k++) g[k] *= j->scale;
}

static void run_chunks(int chunks, ParallelFn fn, ClipJob *j)
{
    if (threads_get() > 1 && chunks > 1) parallel_for(chunks, fn, j);
    else for (int c = 0; c < chunks; c++) fn(j, c);
}

float clip_grad_norm(Params *p, float max_norm)
{
    DL_CHECK(max_norm > 0.0f, "clip_grad_norm: max_norm %g must be > 0, e.g. 1.0",
             (double)max_norm);
    int first_small[65];
    int *first = p->n < 64 ? first_small : dl_malloc((size_t)(p->n + 1) * sizeof *first, "clip");
    first[0] = 0;
    for (int i = 0; i < p->n; i++)
        first[i + 1] = first[i] + (int)((p->items[i]->size + CLIP_CHUNK - 1) / CLIP_CHUNK);
    const int chunks = first[p->n];
    double part_small[256];
    double *part = chunks <= 256 ? part_small : dl_malloc((size_t)chunks * sizeof *part, "clip");
    ClipJob j = {p, first, part, 1.0f};
    run_chunks(chunks, sumsq_task, &j);
    double sq = 0.0;   // sum of squares in double: millions of float terms
    for (int c = 0; c < chunks; c++) sq += part[c];
    double norm = sqrt(sq);   // a NaN/inf norm is returned as is and nothing is scaled
    double coef = (double)max_norm / (norm + 1e-6);   // torch: clamp(coef, max = 1)
    if (coef < 1.0) {
        j.scale = (float)coef;
        run_chunks(chunks, scale_task, &j);
    }
    if (part != part_small) free(part);
    if (first != first_small) free(first);
    return (float)norm;
}
