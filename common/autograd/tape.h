/* common/autograd/tape.h — reverse-mode automatic differentiation on a tape.
 *
 * The math: for a loss L computed by a chain of ops, each op knows its local derivative
 * and, given dL/d(out), adds dL/d(in) = (d out / d in)^T · dL/d(out) into its inputs'
 * grads (the chain rule; Rumelhart, Hinton & Williams, "Learning representations by
 * back-propagating errors", Nature 1986; lecture 2).
 * How: every op run while recording appends a Node to the tape. Ops are recorded in the
 * order they ran, which is a topological order of the graph, so tape_backward() only has
 * to replay the tape backwards. Nodes and intermediate tensors live in the tape's step
 * arena; tape_reset() drops them all at once after the optimizer step.
 */
#ifndef DL_AUTOGRAD_H
#define DL_AUTOGRAD_H

#include <stdbool.h>

#include "base/arena.h"
#include "autograd/tensor.h"

struct Node;
typedef void (*BackwardFn)(struct Node *n);

typedef struct Node {
    const char *op;                    // "matmul", "relu", … for messages
    BackwardFn backward;               // adds into in[i]->grad from out->grad
    Tensor *out;
    Tensor **in;                       // (n_in) the inputs, any number (op_concat takes many)
    int n_in;
    float fparam;                      // op constant (leaky-ReLU slope, …)
    const int *iparam;                 // op data (class targets for cross-entropy, …)
    void *saved;                       // values saved by forward for backward
    struct Node *prev;                 // the node recorded before this one
} Node;

typedef struct Tape {
    Arena *arena;                      // the step arena: outputs, nodes, scratch
    Node *last;                        // most recent node; the list runs backwards
    size_t n_nodes;
    bool recording;                    // false: ops compute values only (evaluation)
} Tape;

/* Start an empty tape whose ops allocate from `step` (not owned). Recording is on. */
void tape_init(Tape *tp, Arena *step);

/* Forget all nodes and reset the step arena: call after the optimizer step. */
void tape_reset(Tape *tp);

/* Turn recording off (evaluation: no nodes, no grads) or on again. */
void tape_set_recording(Tape *tp, bool on);

/* New output tensor for an op: allocated in the step arena, its data NOT zeroed (the op must
 * write every value; sanitizer builds fill it with NaN to catch one that does not); gets a
 * zeroed grad buffer when the tape is recording and any input requires grad. */
Tensor *tape_output(Tape *tp, int ndim, const int *shape, Tensor *const *in, int n_in);

/* Record that `out` was computed by `op` from in[0 … n_in) (any number; the list is copied into
 * the step arena); returns the node so the op can save what backward needs. Does nothing
 * (returns NULL) when `out` needs no grad. */
Node *tape_record(Tape *tp, const char *op, BackwardFn backward, Tensor *out,
                  Tensor *const *in, int n_in);

/* Back-propagate from a scalar `loss`: sets dloss/dloss = 1 and runs every node's
 * backward in reverse order. Gradients accumulate (+=): zero parameter grads before the
 * forward pass (optim.h: params_zero_grad). Dies if loss is not a scalar. */
void tape_backward(Tape *tp, Tensor *loss);

#endif
