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

#endif
