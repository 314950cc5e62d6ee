/* common/autograd/tensor.c — see autograd/tensor.h. */
#include "autograd/tensor.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"

// The shape checks and the struct; data is left NULL for the two public constructors.
static Tensor *tensor_header(Arena *a, int ndim, const int *shape)
{
    DL_CHECK(ndim >= 0 && ndim <= DL_MAX_DIMS,
             "tensor_new: %d dimensions asked, at most %d supported", ndim, DL_MAX_DIMS);
    Tensor *t = arena_alloc(a, sizeof *t);
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        DL_CHECK(shape[i] >= 1, "tensor_new: dimension %d has size %d; sizes must be >= 1", i,
                 shape[i]);
        t->shape[i] = shape[i];
        DL_CHECK(t->size <= ((size_t)1 << 40) / (size_t)shape[i],
                 "tensor_new: shape too large (more than 2^40 elements)");
        t->size *= (size_t)shape[i];
    }
    return t;
}

Tensor *tensor_new(Arena *a, int ndim, const int *shape)
{
    Tensor *t = tensor_header(a, ndim, shape);
    t->data = arena_alloc(a, t->size * sizeof(float));
    return t;
}

Tensor *tensor_new_uninit(Arena *a, int ndim, const int *shape)
{
    Tensor *t = tensor_header(a, ndim, shape);
    t->data = arena_alloc_uninit(a, t->size * sizeof(float));
    return t;
}

Tensor *tensor_scalar(Arena *a, float value)
{
    Tensor *t = tensor_new(a, 0, NULL);
    t->data[0] = value;
    return t;
}

Tensor *tensor_1d(Arena *a, int n) { return tensor_new(a, 1, (int[]){n}); }

Tensor *tensor_2d(Arena *a, int rows, int cols) { return tensor_new(a, 2, (int[]){rows, cols}); }

Tensor *tensor_param(Arena *a, int ndim, const int *shape, const char *name)
{
    Tensor *t = tensor_new(a, ndim, shape);
    t->grad = arena_alloc(a, t->size * sizeof(float));
    t->requires_grad = true;
    t->name = name;
    return t;
}

void tensor_copy_from(Tensor *t, const float *src, size_t n)
{
    DL_CHECK(n == t->size, "tensor_copy_from: %zu values given for a tensor of %zu", n, t->size);
    memcpy(t->data, src, n * sizeof(float));
}

void tensor_fill(Tensor *t, float value)
{
    for (size_t i = 0; i < t->size; i++) t->data[i] = value;
}

void tensor_fill_uniform(Tensor *t, Rng *r, float lo, float hi)
{
    for (size_t i = 0; i < t->size; i++) t->data[i] = rng_uniform_range(r, lo, hi);
}

void tensor_fill_normal(Tensor *t, Rng *r, float mean, float std)
{
    for (size_t i = 0; i < t->size; i++) t->data[i] = mean + std * rng_normal(r);
}

void tensor_zero_grad(Tensor *t)
{
    if (t->grad) parallel_zero(t->grad, t->size);
}

bool tensor_same_shape(const Tensor *a, const Tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

const char *tensor_shape_str(const Tensor *t, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < t->ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ", %d" : "%d", t->shape[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
    return buf;
}

void tensor_require_2d(const Tensor *t, const char *who, int *rows, int *cols)
{
    char s[64];
    DL_CHECK(t->ndim == 2, "%s: expected a 2-D tensor (rows, cols), got shape %s", who,
             tensor_shape_str(t, s, sizeof s));
    *rows = t->shape[0];
    *cols = t->shape[1];
}

float tensor_item(const Tensor *t)
{
    char s[64];
    DL_CHECK(t->size == 1, "tensor_item: tensor of shape %s is not a scalar",
             tensor_shape_str(t, s, sizeof s));
    return t->data[0];
}
