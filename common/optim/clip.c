/* common/optim/clip.c — gradient clipping by global norm; see optim/clip.h. */
#include "optim/clip.h"

#include <math.h>

#include "base/error.h"

float clip_grad_norm(Params *p, float max_norm)
{
    DL_CHECK(max_norm > 0.0f, "clip_grad_norm: max_norm %g must be > 0, e.g. 1.0",
             (double)max_norm);
    double sq = 0.0;   // sum of squares in double: millions of float terms
    for (int i = 0; i < p->n; i++)
        for (size_t k = 0; k < p->items[i]->size; k++) {
            double g = p->items[i]->grad[k];
            sq += g * g;
        }
    double norm = sqrt(sq);   // a NaN/inf norm is returned as is and nothing is scaled
    double coef = (double)max_norm / (norm + 1e-6);   // torch: clamp(coef, max = 1)
    if (coef < 1.0) {
        float cf = (float)coef;
        for (int i = 0; i < p->n; i++)
            for (size_t k = 0; k < p->items[i]->size; k++) p->items[i]->grad[k] *= cf;
    }
    return (float)norm;
}
