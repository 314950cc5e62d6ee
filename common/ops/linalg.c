/* common/ops/linalg.c — matmul and bias_add; see ops/linalg.h. */
#include "ops/linalg.h"

#include <string.h>

#include "kernels/gemm.h"
#include "ops/internal.h"

// ---- linear algebra ----

// Transpose a (rows, cols) matrix into a new (cols, rows) buffer in the arena.
static float *transposed(Arena *arena, const float *x, int rows, int cols)
{
    float *t = arena_alloc(arena, (size_t)rows * (size_t)cols * sizeof(float));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) t[(size_t)j * rows + i] = x[(size_t)i * cols + j];
    return t;
}

// C = A·B with A (M, K), B (K, N):
//   dA += dC·Bᵀ   (M, N)·(N, K)
//   dB += Aᵀ·dC   (K, M)·(M, N)
// Transposed copies cost O(MK + KN) against the O(MNK) multiply; the backward pass
// reaches the same GEMM rung as the forward pass.
static void matmul_backward(Node *n)
{
    Tensor *a = n->in[0], *b = n->in[1], *c = n->out;
    int M = a->shape[0], K = a->shape[1], N = b->shape[1];
    Arena *arena = (Arena *)n->saved;
    if (a->grad) {
        float *bt = transposed(arena, b->data, K, N);   // (N, K)
        gemm(M, K, N, c->grad, N, bt, K, a->grad, K, true);
    }
    if (b->grad) {
        float *at = transposed(arena, a->data, M, K);   // (K, M)
        gemm(K, N, M, at, M, c->grad, N, b->grad, N, true);
    }
}

Tensor *op_matmul(Tape *tp, Tensor *a, Tensor *b)
{
    int M, K, K2, N;
    tensor_require_2d(a, "matmul (left operand)", &M, &K);
    tensor_require_2d(b, "matmul (right operand)", &K2, &N);
    char sa[64], sb[64];
    DL_CHECK(K == K2, "matmul: inner dimensions differ: %s · %s (need (M, K) · (K, N))",
             tensor_shape_str(a, sa, sizeof sa), tensor_shape_str(b, sb, sizeof sb));
    Tensor *in[] = {a, b};
    Tensor *c = tape_output(tp, 2, (int[]){M, N}, in, 2);
    gemm(M, N, K, a->data, K, b->data, N, c->data, N, false);
    Node *n = tape_record(tp, "matmul", matmul_backward, c, in, 2);
    if (n) n->saved = tp->arena;
    return c;
}

// y[i, j] = x[i, j] + b[j]:  dx += dy, db[j] += Σ_i dy[i, j]
static void bias_add_backward(Node *n)
{
    Tensor *x = n->in[0], *b = n->in[1];
    const float *dy = n->out->grad;
    int B = x->shape[0], C = x->shape[1];
    if (x->grad)
        for (size_t i = 0; i < x->size; i++) x->grad[i] += dy[i];
    if (b->grad)
        for (int i = 0; i < B; i++)
            for (int j = 0; j < C; j++) b->grad[j] += dy[(size_t)i * C + j];
}

Tensor *op_bias_add(Tape *tp, Tensor *x, Tensor *b)
{
    int B, C;
    tensor_require_2d(x, "bias_add (input)", &B, &C);
    char sx[64], sb[64];
    DL_CHECK(b->ndim == 1 && b->shape[0] == C,
             "bias_add: bias of shape %s does not match input %s (need (C) for (B, C))",
             tensor_shape_str(b, sb, sizeof sb), tensor_shape_str(x, sx, sizeof sx));
    Tensor *in[] = {x, b};
    Tensor *y = output_like(tp, x, in, 2);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < C; j++) y->data[(size_t)i * C + j] = x->data[(size_t)i * C + j] + b->data[j];
    tape_record(tp, "bias_add", bias_add_backward, y, in, 2);
    return y;
}

// ---- the fused linear layer ----

typedef struct ColSum {
    const float *dy;
    float *db;
    int rows, cols, chunk;
} ColSum;

// db[j] += Σ_i dy[i, j] for the columns of chunk k, rows in order (the same sums whatever the
// split: each column is summed by one task, top to bottom).
static void colsum_task(void *ctx, int k)
{
    const ColSum *c = ctx;
    int j0 = k * c->chunk, j1 = j0 + c->chunk < c->cols ? j0 + c->chunk : c->cols;
    for (int i = 0; i < c->rows; i++) {
        const float *row = c->dy + (size_t)i * c->cols;
        for (int j = j0; j < j1; j++) c->db[j] += row[j];
    }
}

// y = x·W + b:  dx += dy·Wᵀ,  dW += xᵀ·dy,  db += Σ_rows dy — the transposed operands read
// in place by gemm_ex (kernels/gemm.h), no copies.
static void linear_backward(Node *n)
{
    Tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    const float *dy = n->out->grad;
    const int N = x->shape[0], K = x->shape[1], M = w->shape[1];
    if (b->grad) {
        int parts = threads_get() > 1 && (size_t)N * M > DL_PAR_MIN ? threads_get() : 1;
        int chunk = ((M + parts - 1) / parts + 15) / 16 * 16;   // whole cache lines
        ColSum c = {dy, b->grad, N, M, chunk};
        run_tasks((M + chunk - 1) / chunk, colsum_task, &c, (size_t)N * M);
    }
    if (w->grad) gemm_ex(true, false, K, M, N, x->data, K, dy, M, w->grad, M, true);   // xᵀ·dy
    if (x->grad) gemm_ex(false, true, N, K, M, dy, M, w->data, M, x->grad, K, true);   // dy·wᵀ
}

typedef struct RowFill {
    float *y;
    const float *b;
    int M;
} RowFill;

static void fill_row(void *ctx, int i)
{
    const RowFill *f = ctx;
    memcpy(f->y + (size_t)i * f->M, f->b, (size_t)f->M * sizeof(float));
}

Tensor *op_linear(Tape *tp, Tensor *x, Tensor *w, Tensor *b)
{
    int N, K, K2, M;
    tensor_require_2d(x, "linear (input)", &N, &K);
    tensor_require_2d(w, "linear (weight)", &K2, &M);
    char sx[64], sw[64], sb[64];
    DL_CHECK(K == K2, "linear: input %s does not fit weight %s (need (N, K) · (K, M))",
             tensor_shape_str(x, sx, sizeof sx), tensor_shape_str(w, sw, sizeof sw));
    DL_CHECK(b->ndim == 1 && b->shape[0] == M, "linear: bias of shape %s does not match weight "
             "%s (need (M))", tensor_shape_str(b, sb, sizeof sb), tensor_shape_str(w, sw, sizeof sw));
    Tensor *in[] = {x, w, b};
    Tensor *y = tape_output(tp, 2, (int[]){N, M}, in, 3);
    RowFill f = {y->data, b->data, M};
    run_tasks(N, fill_row, &f, (size_t)N * M);                   // every row starts as b
    gemm(N, M, K, x->data, K, w->data, M, y->data, M, true);
    tape_record(tp, "linear", linear_backward, y, in, 3);
    return y;
}
