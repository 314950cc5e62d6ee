/* tests/gradcheck_util.h — the shared pieces of the finite-difference gradient checks.
 *
 * Each op is checked inside L = Σ w ⊙ op(x) with a fixed random w (project), so every output
 * element influences the loss with its own weight (a plain Σ would hide, e.g., a softmax
 * gradient, which sums to zero). Tolerance: rel = ||g - g_fd|| / (||g|| + ||g_fd||) < GC_TOL
 * = 2e-3 with step GC_H = 1e-2 in float32: the truncation error is O(h²) ~ 1e-4 and rounding
 * ~ 6e-8·|L|/h ~ 1e-5; a wrong derivative gives rel ~ 0.1 … 1 (common/gradcheck.h).
 */
#ifndef DL_TEST_GRADCHECK_UTIL_H
#define DL_TEST_GRADCHECK_UTIL_H

#include <check.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

#define GC_H 1e-2f
#define GC_TOL 2e-3

/* L = Σ y ⊙ w (y itself when it is already a scalar loss). */
static inline Tensor *project(Tape *tp, Tensor *y, Tensor *w)
{
    if (y->size == 1) return y;
    return op_sum(tp, op_mul(tp, y, w));
}

/* Fails with where the worst component is and both values. */
static inline void assert_gradcheck(const char *what, GradcheckResult g)
{
    ck_assert_msg(g.rel_error < GC_TOL,
                  "%s: gradient check failed: rel error %.3g >= %.1g; worst at input %d [%d]: "
                  "autograd %.6g vs finite difference %.6g", what, g.rel_error, GC_TOL,
                  g.worst_input, g.worst_index, g.worst_analytic, g.worst_numeric);
}

/* run_gradcheck: the gradient check of `build` (an op, or a few, on inputs in[0 … n_in)) inside
 * L = Σ w ⊙ build(in), with w drawn from r in U(-1, 1) and shaped like build's output (which is
 * run once without recording to learn the shape). */
typedef Tensor *(*BuildFn)(Tape *tp, Tensor **in, void *ctx);

typedef struct GcCase {
    BuildFn build;
    void *ctx;
    Tensor *w;
} GcCase;

static inline Tensor *gc_case_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    (void)n_in;
    GcCase *c = ctx;
    return project(tp, c->build(tp, in, c->ctx), c->w);
}

static inline GradcheckResult run_gradcheck(BuildFn build, void *ctx, Tensor **in, int n_in,
                                            Arena *params, Rng *r)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    tape_set_recording(&tp, false);
    Tensor *y = build(&tp, in, ctx);
    GcCase c = {build, ctx, tensor_new(params, y->ndim, y->shape)};
    tensor_fill_uniform(c.w, r, -1.0f, 1.0f);
    tape_reset(&tp);
    tape_set_recording(&tp, true);
    GradcheckResult g = gradcheck(&tp, gc_case_fn, in, n_in, &c, GC_H);
    arena_free(&step);
    return g;
}

#endif
