/* common/nn/params.h — a model's state: its parameters and its buffers, by name.
 *
 * Parameters are the tensors an optimizer trains (each has a grad); buffers are state that
 * the forward pass keeps but no optimizer touches (BatchNorm's running mean and variance).
 * Together they are everything a trained model's predictions depend on — PyTorch's
 * state_dict() — so early stopping snapshots both, and a checkpoint saves both
 * (train/checkpoint.h). Layers add their tensors as they are built (nn/linear.h …), in a fixed
 * order, each under a name: "<scope>.<tensor name>" ("fc1.linear.w") when the builder set a
 * scope with params_scope(), else the tensor's own name.
 * The lists grow as needed (no fixed limit) inside the arena given to params_init — the
 * model's params arena, which also holds the tensors — so there is nothing to free.
 */
#ifndef DL_NN_PARAMS_H
#define DL_NN_PARAMS_H

#include <stddef.h>

#include "autograd/tensor.h"
#include "base/arena.h"

#define DL_PARAM_NAME 64   // bytes of a parameter or buffer name, with its terminating 0

typedef struct ParamBuffer {
    char name[DL_PARAM_NAME];
    float *data;                       // (n), the owner's memory
    size_t n;
} ParamBuffer;

typedef struct Params {
    Arena *arena;                      // where the lists live (params_init)
    Tensor **items;                    // (n) trainable tensors, each with a grad
    char (*names)[DL_PARAM_NAME];      // (n)
    int n, cap;
    ParamBuffer *buffers;              // (n_buffers)
    int n_buffers, cap_buffers;
    char scope[DL_PARAM_NAME / 2];     // prefix of the names added next ("" = none)
} Params;

/* An empty list whose storage comes from arena a (usually the params arena). */
void params_init(Params *p, Arena *a);

/* Names added from now on start with "<scope>." ("" or NULL: no prefix). */
void params_scope(Params *p, const char *scope);

/* Append a parameter (which must have a grad buffer: made by tensor_param). */
void params_add(Params *p, Tensor *t);

/* Append a buffer of n floats (the caller's memory, e.g. in the params arena). */
void params_add_buffer(Params *p, const char *name, float *data, size_t n);

/* Total number of scalars in all parameters (buffers not counted: they are not learned). */
size_t params_count(const Params *p);

/* Set every parameter's grad to zero (call before the forward pass). */
void params_zero_grad(Params *p);

/* Snapshots for early stopping and transfer: floats in all parameters and buffers; copy them
 * all, in order, into dst (params_snapshot_size floats) or back from src. */
size_t params_snapshot_size(const Params *p);
void params_snapshot(const Params *p, float *dst);
void params_restore(Params *p, const float *src);

#endif
