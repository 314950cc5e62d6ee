/* common/ops/elementwise.c — add, sub, mul, scale; see ops/elementwise.h. */
#include "ops/elementwise.h"

#include "ops/internal.h"

// ---- element-wise ----

// y = a + b:  da += dy, db += dy
static void add_backward(Node *n)
{
    const float *dy = n->out->grad;
    for (int k = 0; k < 2; k++) {
        float *dx = n->in[k]->grad;
        if (dx)
            for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i];
    }
}

Tensor *op_add(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("add", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] + b->data[i];
    tape_record(tp, "add", add_backward, y, in, 2);
    return y;
}

// y = a - b:  da += dy, db -= dy
static void sub_backward(Node *n)
{
    const float *dy = n->out->grad;
    float *da = n->in[0]->grad, *db = n->in[1]->grad;
    for (size_t i = 0; i < n->out->size; i++) {
        if (da) da[i] += dy[i];
        if (db) db[i] -= dy[i];
    }
}

Tensor *op_sub(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("sub", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] - b->data[i];
    tape_record(tp, "sub", sub_backward, y, in, 2);
    return y;
}

// y = a ⊙ b:  da += dy ⊙ b, db += dy ⊙ a
static void mul_backward(Node *n)
{
    const float *dy = n->out->grad, *a = n->in[0]->data, *b = n->in[1]->data;
    float *da = n->in[0]->grad, *db = n->in[1]->grad;
    for (size_t i = 0; i < n->out->size; i++) {
        if (da) da[i] += dy[i] * b[i];
        if (db) db[i] += dy[i] * a[i];
    }
}

Tensor *op_mul(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("mul", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] * b->data[i];
    tape_record(tp, "mul", mul_backward, y, in, 2);
    return y;
}

// y = s·a:  da += s·dy
static void scale_backward(Node *n)
{
    const float *dy = n->out->grad;
    float *da = n->in[0]->grad, s = n->fparam;
    for (size_t i = 0; i < n->out->size; i++) da[i] += s * dy[i];
}

Tensor *op_scale(Tape *tp, Tensor *a, float s)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) y->data[i] = s * a->data[i];
    Node *n = tape_record(tp, "scale", scale_backward, y, &a, 1);
    if (n) n->fparam = s;
    return y;
}
