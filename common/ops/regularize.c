/* common/ops/regularize.c — inverted dropout, L1 and L2 penalties; see ops/regularize.h. */
#include "ops/regularize.h"

#include <math.h>

#include "ops/internal.h"

// ---- regularisation ----

// Inverted dropout: y = x ⊙ m with m_i = 0 (probability p) or 1/(1-p) (probability 1-p), so
// that E[y_i] = x_i and nothing needs rescaling at inference (Srivastava et al., JMLR 2014,
// §10 describes the equivalent "scale the weights by 1-p at test time").
//   dx += dy ⊙ m     (m is saved by forward: the same mask for forward and backward)
static void dropout_backward(Node *n)
{
    const float *dy = n->out->grad, *m = n->saved;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i] * m[i];
}

Tensor *op_dropout(Tape *tp, Tensor *x, float p, Rng *rng, bool train)
{
    DL_CHECK(p >= 0.0f && p < 1.0f, "dropout: drop probability p = %g is outside [0, 1) "
             "(p is the fraction DROPPED; p = 1 would drop everything)", p);
    if (!train || p == 0.0f) return x;   // the identity: no node, no random numbers drawn
    DL_CHECK(rng, "dropout: train mode with p = %g needs an Rng for the mask (got NULL)", p);
    Tensor *y = output_like(tp, x, &x, 1);
    float *m = arena_alloc_uninit(tp->arena, x->size * sizeof(float));   // (size): 0 or 1/(1-p)
    const float keep_scale = 1.0f / (1.0f - p);
    rng_fill_uniform(rng, m, x->size);   // the uniforms first, in order; then one vector pass
    for (size_t i = 0; i < x->size; i++) {
        m[i] = m[i] < p ? 0.0f : keep_scale;
        y->data[i] = x->data[i] * m[i];
    }
    Node *n = tape_record(tp, "dropout", dropout_backward, y, &x, 1);
    if (n) n->saved = m;
    return y;
}

// L = Σ|x_i|:  dx_i += dL · sign(x_i), with sign(0) = 0 (the subgradient PyTorch's abs uses)
static void l1_backward(Node *n)
{
    float g = n->out->grad[0];
    const float *x = n->in[0]->data;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++)
        dx[i] += x[i] > 0.0f ? g : x[i] < 0.0f ? -g : 0.0f;
}

Tensor *op_l1(Tape *tp, Tensor *x)
{
    Tensor *y = scalar_output(tp, &x, 1);
    double s = 0.0;
    for (size_t i = 0; i < x->size; i++) s += fabs((double)x->data[i]);
    y->data[0] = (float)s;
    tape_record(tp, "l1", l1_backward, y, &x, 1);
    return y;
}

// L = ½ Σ x_i²:  dx_i += dL · x_i   (so λ·L adds λ·θ to the gradient: "weight decay")
static void l2_backward(Node *n)
{
    float g = n->out->grad[0];
    const float *x = n->in[0]->data;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++) dx[i] += g * x[i];
}

Tensor *op_l2(Tape *tp, Tensor *x)
{
    Tensor *y = scalar_output(tp, &x, 1);
    double s = 0.0;
    for (size_t i = 0; i < x->size; i++) s += (double)x->data[i] * x->data[i];
    y->data[0] = (float)(0.5 * s);
    tape_record(tp, "l2", l2_backward, y, &x, 1);
    return y;
}
