/* common/autograd/tensor.h — a Tensor is a shape plus contiguous row-major float data (+ grad).
 *
 * Tensors never own memory: data and grad come from an Arena (base/arena.h). `grad` is NULL
 * unless the tensor takes part in autograd (requires_grad). A tensor made by an op
 * remembers the tape Node that produced it, so backward() can walk the graph.
 * Shapes have 0 to DL_MAX_DIMS dimensions; a 0-d tensor is a scalar (size 1).
 *
 * Dimension letters — the same in every file, comment and message of the course (llm.c's
 * legend, PyTorch's order of dimensions):
 *   B      batch: examples in a mini-batch              T      time steps / sequence length
 *   C      channels or features (C_in, C_out)           H, W   height and width of an image
 *   KH, KW kernel height and width                       V      vocabulary or number of classes
 *   NH     attention heads                              HS     head size (C = NH·HS)
 *   D      embedding width
 *   M, N, K  the sizes of a matrix product C (M, N) = A (M, K) · B (K, N) — only inside GEMM
 * Activations are (B, C) for dense layers, (B, C, H, W) for images (NCHW, as PyTorch),
 * (B, T, C) for sequences; logits are (B, V) (or (B·T, V) for language models).
 */
#ifndef DL_TENSOR_H
#define DL_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/rng.h"

#define DL_MAX_DIMS 4

struct Node;

typedef struct Tensor {
    int ndim;
    int shape[DL_MAX_DIMS];
    size_t size;                       // product of shape; 1 for a scalar
    float *data;                       // (size), row-major
    float *grad;                       // (size) or NULL; d(loss)/d(data), accumulated by backward
    bool requires_grad;
    struct Node *node;                 // the op that made it; NULL for leaves (inputs, parameters)
    const char *name;                  // optional, for error messages and debugging
} Tensor;

/* New zero-filled tensor of the given shape in arena `a`. `shape` has `ndim` entries,
 * each >= 1. Dies with a message on a bad shape. */
Tensor *tensor_new(Arena *a, int ndim, const int *shape);

/* As tensor_new, but the data is not zeroed (arena_alloc_uninit): for an op's output, which
 * the op overwrites in full. tape_output uses it. */
Tensor *tensor_new_uninit(Arena *a, int ndim, const int *shape);

/* Shorthands for tensor_new: a scalar, a vector (n), a matrix (rows, cols). */
Tensor *tensor_scalar(Arena *a, float value);
Tensor *tensor_1d(Arena *a, int n);
Tensor *tensor_2d(Arena *a, int rows, int cols);

/* A leaf that takes part in autograd: allocates a zeroed grad buffer in `a`. */
Tensor *tensor_param(Arena *a, int ndim, const int *shape, const char *name);

/* Copy `n` floats into t->data; n must equal t->size. */
void tensor_copy_from(Tensor *t, const float *src, size_t n);

/* Fill with a constant / with U(lo, hi) / with N(mean, std^2). */
void tensor_fill(Tensor *t, float value);
void tensor_fill_uniform(Tensor *t, Rng *r, float lo, float hi);
void tensor_fill_normal(Tensor *t, Rng *r, float mean, float std);

/* Set t->grad to zero (no-op when grad is NULL). */
void tensor_zero_grad(Tensor *t);

/* True when both tensors have the same ndim and shape. */
bool tensor_same_shape(const Tensor *a, const Tensor *b);

/* Writes the shape as "(2, 3)" into buf (at least 64 bytes); returns buf. For messages. */
const char *tensor_shape_str(const Tensor *t, char *buf, size_t len);

/* Rows and columns of a 2-D tensor; dies with a message naming `who` if t is not 2-D. */
void tensor_require_2d(const Tensor *t, const char *who, int *rows, int *cols);

/* The value of a scalar (size-1) tensor. */
float tensor_item(const Tensor *t);

#endif
