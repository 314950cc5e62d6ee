/* common/autograd/tape.c — the tape; see autograd/tape.h. */
#include "autograd/tape.h"

#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "base/threads.h"

void tape_init(Tape *tp, Arena *step)
{
    tp->arena = step;
    tp->last = NULL;
    tp->n_nodes = 0;
    tp->recording = true;
}

void tape_reset(Tape *tp)
{
    tp->last = NULL;
    tp->n_nodes = 0;
    arena_reset(tp->arena);
}

void tape_set_recording(Tape *tp, bool on) { tp->recording = on; }

static bool any_requires_grad(Tensor *const *in, int n_in)
{
    for (int i = 0; i < n_in; i++)
        if (in[i] && in[i]->requires_grad) return true;
    return false;
}

Tensor *tape_output(Tape *tp, int ndim, const int *shape, Tensor *const *in, int n_in)
{
    Tensor *out = tensor_new_uninit(tp->arena, ndim, shape);   // the op writes every value
    if (tp->recording && any_requires_grad(in, n_in)) {
        out->grad = arena_alloc_uninit(tp->arena, out->size * sizeof(float));
        parallel_zero(out->grad, out->size);   // zeroed, on the threads when big
        out->requires_grad = true;
    }
    return out;
}

Node *tape_record(Tape *tp, const char *op, BackwardFn backward, Tensor *out,
                  Tensor *const *in, int n_in)
{
    if (!tp->recording || !out->requires_grad) return NULL;
    DL_CHECK(n_in >= 0, "tape_record: op '%s' has %d inputs", op, n_in);
    Node *n = arena_alloc(tp->arena, sizeof *n);
    n->in = arena_alloc(tp->arena, (size_t)(n_in ? n_in : 1) * sizeof *n->in);
    n->op = op;
    n->backward = backward;
    n->out = out;
    n->n_in = n_in;
    for (int i = 0; i < n_in; i++) n->in[i] = in[i];
    n->prev = tp->last;
    tp->last = n;
    tp->n_nodes++;
    out->node = n;
    return n;
}

void tape_backward(Tape *tp, Tensor *loss)
{
    char s[64];
    DL_CHECK(loss->size == 1, "backward: the loss must be a scalar, got shape %s",
             tensor_shape_str(loss, s, sizeof s));
    DL_CHECK(loss->grad, "backward: the loss does not depend on any tensor that requires grad "
                         "(was the tape recording?)");
    loss->grad[0] = 1.0f;
    // Nodes recorded after the loss cannot influence it; start at the loss's own node.
    Node *start = loss->node ? loss->node : tp->last;
    for (Node *n = start; n; n = n->prev) n->backward(n);
}
