/* common/ops/internal.h — helpers shared by the op files in common/ops/ (not for chapters).
 *
 * Every op has the same two halves:
 *   forward  — check shapes, allocate the output on the tape, compute, record a Node;
 *   backward — read out->grad (dL/dy) and ADD dL/dx into each input's grad (when it has one).
 * The local derivative is written above each backward in the notation of lecture 2.
 * Threads: an op on a large tensor (more than DL_PAR_MIN elements) spreads its planes or
 * channels over parallel_for. Every task writes only its own outputs, and every sum runs
 * inside one task in a fixed order, so results do not depend on the thread count.
 * Vectorization: gcc at -O2 only vectorizes loops whose trip count is a known multiple of the
 * vector width; the op files are compiled at -O3 by the Makefile (clang vectorizes them at
 * -O2). No floating-point sum changes order, so the results are the same bit for bit.
 */
#ifndef DL_OPS_INTERNAL_H
#define DL_OPS_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/error.h"
#include "base/threads.h"

#define DL_PAR_MIN 65536   // elements: below this a thread hand-off costs more than it saves

static inline void require_same_shape(const char *op, const Tensor *a, const Tensor *b)
{
    char sa[64], sb[64];
    DL_CHECK(tensor_same_shape(a, b), "%s: shapes %s and %s differ (both inputs need the same "
             "shape)", op, tensor_shape_str(a, sa, sizeof sa), tensor_shape_str(b, sb, sizeof sb));
}

static inline Tensor *output_like(Tape *tp, Tensor *a, Tensor *const *in, int n_in)
{
    return tape_output(tp, a->ndim, a->shape, in, n_in);
}

static inline Tensor *scalar_output(Tape *tp, Tensor *const *in, int n_in)
{
    return tape_output(tp, 0, NULL, in, n_in);
}

static inline void require_4d(const char *op, const char *what, const Tensor *t)
{
    char s[64];
    DL_CHECK(t->ndim == 4, "%s: %s must be 4-D (B, C, H, W), got shape %s", op, what,
             tensor_shape_str(t, s, sizeof s));
}

// fn(ctx, i) for i in [0, n): on the pool when the op touches more than DL_PAR_MIN elements.
static inline void run_tasks(int n, ParallelFn fn, void *ctx, size_t elements)
{
    if (elements > DL_PAR_MIN && threads_get() > 1 && n > 1) {
        parallel_for(n, fn, ctx);
    } else {
        for (int i = 0; i < n; i++) fn(ctx, i);
    }
}

// Row-wise log-softmax of one row x (C): out[j] = x[j] - m - log Σ_k exp(x[k] - m), m = max_k
// x[k]. Subtracting the max keeps every exp() in (0, 1]: no overflow for any logits.
// (softmax, log_softmax and the cross-entropies all use it.)
static inline void log_softmax_row(const float *x, float *out, int C)
{
    float m = x[0];
    for (int j = 1; j < C; j++) m = x[j] > m ? x[j] : m;
    double s = 0.0;
    for (int j = 0; j < C; j++) s += exp((double)(x[j] - m));
    float lse = m + (float)log(s);
    for (int j = 0; j < C; j++) out[j] = x[j] - lse;
}

// Sums in double over 8 lanes (element i goes to lane i mod 8, the lanes are added in a fixed
// order at the end): the same result on every run and thread count, and 8 independent
// additions per step instead of one long dependency chain.
typedef struct Lanes { double v[8]; } Lanes;

static inline double lanes_total(const Lanes *l)
{
    return ((l->v[0] + l->v[1]) + (l->v[2] + l->v[3])) + ((l->v[4] + l->v[5]) + (l->v[6] + l->v[7]));
}

// l += Σ x[i]
static inline void lanes_add(Lanes *l, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) l->v[j] += (double)x[i + j];
    for (int j = 0; i < n; i++, j++) l->v[j] += (double)x[i];
}

// l += Σ (x[i] - m)²
static inline void lanes_add_sq_dev(Lanes *l, const float *x, size_t n, double m)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            double d = (double)x[i + j] - m;
            l->v[j] += d * d;
        }
    for (int j = 0; i < n; i++, j++) {
        double d = (double)x[i] - m;
        l->v[j] += d * d;
    }
}

#endif
