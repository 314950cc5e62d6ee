/* common/autograd/gradcheck.c — see autograd/gradcheck.h. */
#include "autograd/gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

// f's value at the current inputs, without recording (and so without touching grads).
static double eval(Tape *tp, GradcheckFn f, Tensor **in, int n_in, void *ctx)
{
    bool was = tp->recording;
    tape_set_recording(tp, false);
    double v = tensor_item(f(tp, in, n_in, ctx));
    tape_set_recording(tp, was);
    return v;
}

GradcheckResult gradcheck(Tape *tp, GradcheckFn f, Tensor **in, int n_in, void *ctx, float h)
{
    GradcheckResult r = {0};
    for (int k = 0; k < n_in; k++) {
        DL_CHECK(in[k]->grad, "gradcheck: input %d has no grad buffer", k);
        tensor_zero_grad(in[k]);
    }
    // Analytic gradients, copied out before the tape is reused.
    tape_backward(tp, f(tp, in, n_in, ctx));
    size_t total = 0;
    for (int k = 0; k < n_in; k++) total += in[k]->size;
    double *analytic = malloc(total * sizeof *analytic);
    DL_CHECK(analytic, "gradcheck: out of memory (%zu doubles)", total);
    for (int k = 0, off = 0; k < n_in; off += (int)in[k]->size, k++)
        for (size_t i = 0; i < in[k]->size; i++) analytic[off + i] = in[k]->grad[i];
    tape_reset(tp);

    double diff2 = 0.0, a2 = 0.0, n2 = 0.0;
    r.worst_input = r.worst_index = -1;
    size_t off = 0;
    for (int k = 0; k < n_in; k++) {
        for (size_t i = 0; i < in[k]->size; i++) {
            float saved = in[k]->data[i];
            in[k]->data[i] = saved + h;
            double fp = eval(tp, f, in, n_in, ctx);
            tape_reset(tp);
            in[k]->data[i] = saved - h;
            double fm = eval(tp, f, in, n_in, ctx);
            tape_reset(tp);
            in[k]->data[i] = saved;
            // Divide by the step actually taken: saved ± h is rounded to float.
            double step = (double)(saved + h) - (double)(saved - h);
            double numeric = (fp - fm) / step, an = analytic[off + i];
            double d = fabs(an - numeric);
            diff2 += d * d;
            a2 += an * an;
            n2 += numeric * numeric;
            if (d > r.max_abs_diff || r.worst_input < 0) {
                r.max_abs_diff = d;
                r.worst_input = k;
                r.worst_index = (int)i;
                r.worst_analytic = an;
                r.worst_numeric = numeric;
            }
        }
        off += in[k]->size;
    }
    double denom = sqrt(a2) + sqrt(n2);
    r.rel_error = denom > 0.0 ? sqrt(diff2) / denom : 0.0;
    free(analytic);
    return r;
}
