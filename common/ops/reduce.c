/* common/ops/reduce.c — sum and mean to a scalar; see ops/reduce.h. */
#include "ops/reduce.h"

#include "ops/internal.h"

// ---- reductions ----

// y = c · Σ a_i  (c = 1 for sum, 1/n for mean):  da_i += c·dy
static void sum_backward(Node *n)
{
    float g = n->out->grad[0] * n->fparam;
    float *da = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++) da[i] += g;
}

static Tensor *reduce_sum(Tape *tp, Tensor *a, float c, const char *op)
{
    Tensor *y = scalar_output(tp, &a, 1);
    double s = 0.0;   // double accumulator: the sum of 1e6 floats keeps ~7 digits
    for (size_t i = 0; i < a->size; i++) s += a->data[i];
    y->data[0] = (float)(s * c);
    Node *n = tape_record(tp, op, sum_backward, y, &a, 1);
    if (n) n->fparam = c;
    return y;
}

Tensor *op_sum(Tape *tp, Tensor *a) { return reduce_sum(tp, a, 1.0f, "sum"); }
Tensor *op_mean(Tape *tp, Tensor *a) { return reduce_sum(tp, a, 1.0f / (float)a->size, "mean"); }
