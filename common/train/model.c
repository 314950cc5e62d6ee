/* common/train/model.c — see train/model.h. */
#include "train/model.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"

void model_init(Model *m, const char *name)
{
    DL_CHECK(name && strlen(name) < sizeof m->name, "model_init: the name '%s' is longer than "
             "%zu characters", name ? name : "(null)", sizeof m->name - 1);
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    arena_init(&m->params, "params");
    arena_init(&m->state, "optimizer state");
    arena_init(&m->step, "step");
    tape_init(&m->tp, &m->step);
    params_init(&m->p, &m->params);
}

void model_free(Model *m)
{
    arena_free(&m->step);
    arena_free(&m->state);
    arena_free(&m->params);
}

Tensor *batch_input(Tape *tp, const Batch *b)
{
    DL_CHECK(b->x && b->B >= 1 && b->dim >= 1, "batch_input: the batch has no features (B = %d, "
             "dim = %d)", b->B, b->dim);
    Tensor *x = arena_alloc(tp->arena, sizeof *x);
    *x = (Tensor){.ndim = 2, .shape = {b->B, b->dim}, .size = (size_t)b->B * (size_t)b->dim,
                  .data = b->x};
    return x;
}
