/* common/optim.c — see optim.h. */
#include "optim.h"

#include "error.h"

void params_add(Params *p, Tensor *t)
{
    DL_CHECK(p->n < DL_MAX_PARAMS, "params_add: more than %d parameter tensors", DL_MAX_PARAMS);
    DL_CHECK(t->grad, "params_add: tensor '%s' has no grad buffer (make it with tensor_param)",
             t->name ? t->name : "?");
    p->items[p->n++] = t;
}

size_t params_count(const Params *p)
{
    size_t n = 0;
    for (int i = 0; i < p->n; i++) n += p->items[i]->size;
    return n;
}

void params_zero_grad(Params *p)
{
    for (int i = 0; i < p->n; i++) tensor_zero_grad(p->items[i]);
}

void sgd_step(Params *p, float lr)
{
    for (int i = 0; i < p->n; i++) {
        Tensor *t = p->items[i];
        for (size_t k = 0; k < t->size; k++) t->data[k] -= lr * t->grad[k];
    }
}
