/* common/ops/shape.c — views that change a shape without copying; see ops/shape.h. */
#include "ops/shape.h"

#include <string.h>

#include "base/error.h"
#include "ops/internal.h"

// ---- views ----

// A view: a new Tensor header over x's data, and over x's grad when x takes part in autograd
// (the same rule as tape_output). No node is recorded: whatever the consumers of the view add
// into its grad lands directly in x->grad, which x's producer reads when its own node runs —
// and that node was recorded before the view's consumers, so the tape's reverse order still
// holds. The view keeps x's node so that tape_backward on a view starts in the right place.
Tensor *op_reshape(Tape *tp, Tensor *x, int ndim, const int *shape)
{
    char sx[64];
    DL_CHECK(ndim >= 0 && ndim <= DL_MAX_DIMS, "reshape: %d dimensions asked, at most %d "
             "supported", ndim, DL_MAX_DIMS);
    size_t size = 1;
    for (int i = 0; i < ndim; i++) {
        DL_CHECK(shape[i] >= 1, "reshape: dimension %d has size %d; sizes must be >= 1", i,
                 shape[i]);
        size *= (size_t)shape[i];
    }
    Tensor view = {.ndim = ndim, .size = size};
    for (int i = 0; i < ndim; i++) view.shape[i] = shape[i];
    char sv[64];
    DL_CHECK(size == x->size, "reshape: cannot view %s (%zu elements) as %s (%zu elements); the "
             "sizes must match", tensor_shape_str(x, sx, sizeof sx), x->size,
             tensor_shape_str(&view, sv, sizeof sv), size);
    Tensor *y = arena_alloc(tp->arena, sizeof *y);
    *y = view;
    y->data = x->data;
    if (tp->recording && x->requires_grad && x->grad) {
        y->grad = x->grad;
        y->requires_grad = true;
        y->node = x->node;
    }
    y->name = x->name;
    return y;
}

Tensor *op_flatten(Tape *tp, Tensor *x)
{
    char sx[64];
    DL_CHECK(x->ndim >= 1, "flatten: needs a tensor with a batch dimension, got shape %s",
             tensor_shape_str(x, sx, sizeof sx));
    return op_reshape(tp, x, 2, (int[]){x->shape[0], (int)(x->size / (size_t)x->shape[0])});
}

// ---- concatenation ----

// dx_i += dy[:, off_i : off_i + C_i] for every input i (offsets in node order).
static void concat_backward(Node *n)
{
    const Tensor *y = n->out;
    const int C = y->shape[y->ndim - 1];
    const size_t rows = y->size / (size_t)C;
    int off = 0;
    for (int i = 0; i < n->n_in; i++) {
        Tensor *x = n->in[i];
        const int Ci = x->shape[x->ndim - 1];
        if (x->grad)
            for (size_t r = 0; r < rows; r++) {
                const float *dy = y->grad + r * (size_t)C + off;
                float *dx = x->grad + r * (size_t)Ci;
                for (int j = 0; j < Ci; j++) dx[j] += dy[j];
            }
        off += Ci;
    }
}

Tensor *op_concat(Tape *tp, Tensor *const *xs, int n)
{
    DL_CHECK(n >= 1 && xs, "concat: need at least one tensor, got %d", n);
    const Tensor *x0 = xs[0];
    const int nd = x0->ndim;
    DL_CHECK(nd >= 1, "concat: the inputs need a last dimension (got a scalar)");
    int shape[DL_MAX_DIMS], C = 0;
    for (int i = 0; i < n; i++) {
        char a[64], b[64];
        bool same = xs[i]->ndim == nd;
        for (int d = 0; same && d + 1 < nd; d++) same = xs[i]->shape[d] == x0->shape[d];
        DL_CHECK(same, "concat: input %d has shape %s, input 0 has %s; they may differ only in "
                 "the last dimension", i, tensor_shape_str(xs[i], a, sizeof a),
                 tensor_shape_str(x0, b, sizeof b));
        C += xs[i]->shape[nd - 1];
    }
    for (int d = 0; d + 1 < nd; d++) shape[d] = x0->shape[d];
    shape[nd - 1] = C;
    Tensor *y = tape_output(tp, nd, shape, xs, n);
    const size_t rows = y->size / (size_t)C;
    int off = 0;
    for (int i = 0; i < n; i++) {
        const int Ci = xs[i]->shape[nd - 1];
        for (size_t r = 0; r < rows; r++)
            memcpy(y->data + r * (size_t)C + off, xs[i]->data + r * (size_t)Ci,
                   (size_t)Ci * sizeof(float));
        off += Ci;
    }
    tape_record(tp, "concat", concat_backward, y, xs, n);
    return y;
}

// ---- one time step ----

// y[b, :] = x[b, t, :]  ⇒  dx[b, t, :] += dy[b, :] (the other steps are not touched).
static void time_step_backward(Node *n)
{
    Tensor *x = n->in[0];
    const Tensor *y = n->out;
    if (!x->grad) return;
    const int B = x->shape[0], T = x->shape[1], C = x->shape[2], t = n->iparam[0];
    for (int b = 0; b < B; b++) {
        float *dx = x->grad + ((size_t)b * T + t) * C;
        const float *dy = y->grad + (size_t)b * C;
        for (int c = 0; c < C; c++) dx[c] += dy[c];
    }
}

Tensor *op_time_step(Tape *tp, Tensor *x, int t)
{
    char sx[64];
    DL_CHECK(x->ndim == 3, "time_step: x must be 3-D (B, T, C), got shape %s",
             tensor_shape_str(x, sx, sizeof sx));
    const int B = x->shape[0], T = x->shape[1], C = x->shape[2];
    DL_CHECK(t >= 0 && t < T, "time_step: step %d asked of a sequence of T = %d steps (shape %s); "
             "steps are 0 … T - 1", t, T, tensor_shape_str(x, sx, sizeof sx));
    Tensor *y = tape_output(tp, 2, (int[]){B, C}, &x, 1);
    for (int b = 0; b < B; b++)
        memcpy(y->data + (size_t)b * C, x->data + ((size_t)b * T + t) * C,
               (size_t)C * sizeof(float));
    Node *nd = tape_record(tp, "time_step", time_step_backward, y, &x, 1);
    if (nd) {
        int *saved = arena_alloc(tp->arena, sizeof *saved);
        *saved = t;
        nd->iparam = saved;
    }
    return y;
}

// ---- transpose of the last two dimensions ----

// y[b][j][i] = x[b][i][j], in blocks of 32 x 32 (both sides stay in cache).
static void transpose_add(const float *x, float *y, int B, int M, int N, bool add)
{
    enum { BLK = 32 };
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * M * N;
        float *yb = y + (size_t)b * M * N;
        for (int i0 = 0; i0 < M; i0 += BLK)
            for (int j0 = 0; j0 < N; j0 += BLK) {
                const int i1 = i0 + BLK < M ? i0 + BLK : M, j1 = j0 + BLK < N ? j0 + BLK : N;
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++) {
                        float *d = yb + (size_t)j * M + i;
                        *d = add ? *d + xb[(size_t)i * N + j] : xb[(size_t)i * N + j];
                    }
            }
    }
}

// y = xᵀ per batch row:  dx[b][i][j] += dy[b][j][i]
static void transpose_backward(Node *n)
{
    Tensor *x = n->in[0];
    if (!x->grad) return;
    transpose_add(n->out->grad, x->grad, x->shape[0], x->shape[2], x->shape[1], true);
}

Tensor *op_transpose(Tape *tp, Tensor *x)
{
    char sx[64];
    DL_CHECK(x->ndim == 3, "transpose: x must be 3-D (B, M, N), got shape %s",
             tensor_shape_str(x, sx, sizeof sx));
    const int B = x->shape[0], M = x->shape[1], N = x->shape[2];
    Tensor *y = tape_output(tp, 3, (int[]){B, N, M}, &x, 1);
    transpose_add(x->data, y->data, B, M, N, false);
    tape_record(tp, "transpose", transpose_backward, y, &x, 1);
    return y;
}
