/* common/ops/embedding.c — the embedding lookup and its scatter-add backward; see
 * ops/embedding.h.
 *
 * Backward: dtable[tokens[i], :] += dy[i, :] for i in order, so a token seen twice gets the
 * sum of both rows in the same order every run. When the table is big (more than DL_PAR_MIN
 * floats of dy) and threads are on, the D columns are split among the threads: each thread
 * adds its own column range for every i in order, so the sums (and the bits) are the same as
 * with one thread.
 */
#include "ops/embedding.h"

#include <string.h>

#include "base/error.h"
#include "ops/internal.h"

typedef struct EmbSaved {
    int *tokens;
    int n;
} EmbSaved;

typedef struct EmbTask {
    const int *tokens;
    int n, D, chunk;
    const float *dy;
    float *dt;
} EmbTask;

static void embedding_scatter(void *ctx, int k)
{
    const EmbTask *e = ctx;
    int j0 = k * e->chunk, j1 = j0 + e->chunk < e->D ? j0 + e->chunk : e->D;
    for (int i = 0; i < e->n; i++) {
        float *row = e->dt + (size_t)e->tokens[i] * e->D;
        const float *g = e->dy + (size_t)i * e->D;
        for (int j = j0; j < j1; j++) row[j] += g[j];
    }
}

static void embedding_backward(Node *nd)
{
    Tensor *table = nd->in[0];
    if (!table->grad) return;
    const EmbSaved *s = nd->saved;
    const int D = table->shape[1];
    int parts = threads_get();
    if ((size_t)s->n * D <= DL_PAR_MIN || parts < 2 || D < 32) parts = 1;
    int chunk = (D + parts - 1) / parts;
    chunk = (chunk + 15) / 16 * 16;        // whole cache lines per thread
    parts = (D + chunk - 1) / chunk;
    EmbTask e = {s->tokens, s->n, D, chunk, nd->out->grad, table->grad};
    run_tasks(parts, embedding_scatter, &e, parts > 1 ? (size_t)DL_PAR_MIN + 1 : 0);
}

Tensor *op_embedding(Tape *tp, Tensor *table, const int *tokens, int n)
{
    int V, D;
    tensor_require_2d(table, "embedding (table)", &V, &D);
    DL_CHECK(n >= 1, "embedding: %d tokens; need at least 1", n);
    for (int i = 0; i < n; i++)
        DL_CHECK(tokens[i] >= 0 && tokens[i] < V, "embedding: token %d at position %d is "
                 "outside the vocabulary [0, %d)", tokens[i], i, V);
    Tensor *in[] = {table};
    Tensor *y = tape_output(tp, 2, (int[]){n, D}, in, 1);
    for (int i = 0; i < n; i++)
        memcpy(y->data + (size_t)i * D, table->data + (size_t)tokens[i] * D, (size_t)D * sizeof(float));
    Node *nd = tape_record(tp, "embedding", embedding_backward, y, in, 1);
    if (nd) {
        EmbSaved *s = arena_alloc(tp->arena, sizeof *s);
        s->tokens = arena_alloc_uninit(tp->arena, (size_t)n * sizeof(int));
        memcpy(s->tokens, tokens, (size_t)n * sizeof(int));
        s->n = n;
        nd->saved = s;
    }
    return y;
}
