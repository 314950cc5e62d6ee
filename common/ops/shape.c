/* common/ops/shape.c — views that change a shape without copying; see ops/shape.h. */
#include "ops/shape.h"

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
