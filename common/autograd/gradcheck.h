/* common/autograd/gradcheck.h — compare autograd's gradients with finite differences.
 *
 * For a function f mapping the inputs to a scalar, the central difference
 *   ∂f/∂x_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)
 * has error O(h^2) (plus rounding error ~ eps·|f| / h). The checker reports
 *   rel = ||g_autograd - g_numeric|| / (||g_autograd|| + ||g_numeric||)
 * over all inputs, which is ~1e-4 or below for a correct op in float32 with h = 1e-3
 * and O(1) for a wrong one.
 */
#ifndef DL_GRADCHECK_H
#define DL_GRADCHECK_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* Builds the scalar to check from `in` (tensors with grads) on tape `tp`; `ctx` is
 * passed through. Must be deterministic. */
typedef Tensor *(*GradcheckFn)(Tape *tp, Tensor **in, int n_in, void *ctx);

typedef struct GradcheckResult {
    double rel_error;                  // the relative error above
    double max_abs_diff;               // worst single component
    int worst_input, worst_index;      // where it is
    double worst_analytic, worst_numeric;
} GradcheckResult;

/* Run f once with backward to get analytic grads, then 2 forward passes per input
 * element for the numeric ones (step h). The tape must be empty and recording;
 * it is reset before returning. */
GradcheckResult gradcheck(Tape *tp, GradcheckFn f, Tensor **in, int n_in, void *ctx, float h);

#endif
