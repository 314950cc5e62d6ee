/* common/ops/embedding.c — the embedding lookup and its scatter-add backward, the padded lookup
 * and the mean of a row's embeddings (EmbeddingBag "mean"); see ops/embedding.h.
 *
 * Backward: dtable[tokens[i], :] += scale_i · dy[row_i, :] for i in order (scale 1 and row i for
 * the lookups; 1/n_b and row b = i / T for the mean), so a token seen twice gets the sum of both
 * rows in the same order every run; padding (-1) is skipped. When the table is big (more than
 * DL_PAR_MIN floats of dy) and threads are on, the D columns are split among the threads: each
 * thread adds its own column range for every i in order, so the sums (and the bits) are the
 * same as with one thread.
 */
#include "ops/embedding.h"

#include <string.h>

#include "base/error.h"
#include "ops/internal.h"

typedef struct EmbSaved {
    int *tokens;
    int n;
    int T;            // tokens per output row: 1 for the lookups, T for the mean
    float *scale;     // (n / T) 1/n_b per output row, or NULL (scale 1)
} EmbSaved;

typedef struct EmbTask {
    const EmbSaved *s;
    int D, chunk;
    const float *dy;
    float *dt;
} EmbTask;

static void embedding_scatter(void *ctx, int k)
{
    const EmbTask *e = ctx;
    const EmbSaved *s = e->s;
    int j0 = k * e->chunk, j1 = j0 + e->chunk < e->D ? j0 + e->chunk : e->D;
    for (int i = 0; i < s->n; i++) {
        if (s->tokens[i] < 0) continue;                   // padding
        int r = i / s->T;
        float *row = e->dt + (size_t)s->tokens[i] * e->D;
        const float *g = e->dy + (size_t)r * e->D;
        if (s->scale) {
            const float c = s->scale[r];
            for (int j = j0; j < j1; j++) row[j] += c * g[j];
        } else {
            for (int j = j0; j < j1; j++) row[j] += g[j];
        }
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
    EmbTask e = {s, D, chunk, nd->out->grad, table->grad};
    run_tasks(parts, embedding_scatter, &e, parts > 1 ? (size_t)DL_PAR_MIN + 1 : 0);
}

static void check_tokens(const char *op, const int *tokens, int n, int lo, int V)
{
    for (int i = 0; i < n; i++)
        DL_CHECK(tokens[i] >= lo && tokens[i] < V, "%s: token %d at position %d is outside "
                 "the vocabulary [%d, %d)%s", op, tokens[i], i, lo, V,
                 lo < 0 ? " (-1 is padding)" : "");
}

static EmbSaved *save_tokens(Tape *tp, const int *tokens, int n, int T)
{
    EmbSaved *s = arena_alloc(tp->arena, sizeof *s);
    s->tokens = arena_alloc_uninit(tp->arena, (size_t)n * sizeof(int));
    memcpy(s->tokens, tokens, (size_t)n * sizeof(int));
    s->n = n;
    s->T = T;
    s->scale = NULL;
    return s;
}

static Tensor *lookup(Tape *tp, const char *op, Tensor *table, const int *tokens, int n, int lo)
{
    int V, D;
    tensor_require_2d(table, op, &V, &D);
    DL_CHECK(n >= 1, "%s: %d tokens; need at least 1", op, n);
    check_tokens(op, tokens, n, lo, V);
    Tensor *in[] = {table};
    Tensor *y = tape_output(tp, 2, (int[]){n, D}, in, 1);
    for (int i = 0; i < n; i++) {
        float *dst = y->data + (size_t)i * D;
        if (tokens[i] < 0) memset(dst, 0, (size_t)D * sizeof(float));
        else memcpy(dst, table->data + (size_t)tokens[i] * D, (size_t)D * sizeof(float));
    }
    Node *nd = tape_record(tp, op, embedding_backward, y, in, 1);
    if (nd) nd->saved = save_tokens(tp, tokens, n, 1);
    return y;
}

Tensor *op_embedding(Tape *tp, Tensor *table, const int *tokens, int n)
{
    return lookup(tp, "embedding", table, tokens, n, 0);
}

Tensor *op_embedding_padded(Tape *tp, Tensor *table, const int *tokens, int n)
{
    return lookup(tp, "embedding_padded", table, tokens, n, -1);
}

// y[b] = (1/n_b) Σ_t table[tokens[b,t]]:  dtable[tokens[b,t]] += dy[b] / n_b
Tensor *op_embedding_mean(Tape *tp, Tensor *table, const int *tokens, int B, int T)
{
    int V, D;
    tensor_require_2d(table, "embedding_mean (table)", &V, &D);
    DL_CHECK(B >= 1 && T >= 1, "embedding_mean: tokens (%d, %d); need B, T >= 1", B, T);
    const int n = B * T;
    check_tokens("embedding_mean", tokens, n, -1, V);
    Tensor *in[] = {table};
    Tensor *y = tape_output(tp, 2, (int[]){B, D}, in, 1);
    float *scale = arena_alloc_uninit(tp->arena, (size_t)B * sizeof(float));
    for (int b = 0; b < B; b++) {
        float *dst = y->data + (size_t)b * D;
        memset(dst, 0, (size_t)D * sizeof(float));
        int cnt = 0;
        for (int t = 0; t < T; t++) {
            int id = tokens[(size_t)b * T + t];
            if (id < 0) continue;
            const float *src = table->data + (size_t)id * D;
            for (int j = 0; j < D; j++) dst[j] += src[j];
            cnt++;
        }
        scale[b] = cnt ? 1.0f / (float)cnt : 0.0f;
        for (int j = 0; j < D; j++) dst[j] *= scale[b];
    }
    Node *nd = tape_record(tp, "embedding_mean", embedding_backward, y, in, 1);
    if (nd) {
        EmbSaved *s = save_tokens(tp, tokens, n, T);
        s->scale = scale;
        nd->saved = s;
    }
    return y;
}
