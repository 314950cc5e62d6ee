/* common/nn/params.c — see nn/params.h. */
#include "nn/params.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"

void params_init(Params *p, Arena *a)
{
    *p = (Params){.arena = a};
}

void params_scope(Params *p, const char *scope)
{
    const char *s = scope ? scope : "";
    DL_CHECK(strlen(s) < sizeof p->scope, "params_scope: '%s' is longer than %zu characters", s,
             sizeof p->scope - 1);
    snprintf(p->scope, sizeof p->scope, "%s", s);
}

// "<scope>.<name>" or "<name>" into out (DL_PARAM_NAME bytes).
static void full_name(const Params *p, const char *name, char *out)
{
    const char *n = name ? name : "?";
    int len = p->scope[0] ? snprintf(out, DL_PARAM_NAME, "%s.%s", p->scope, n)
                          : snprintf(out, DL_PARAM_NAME, "%s", n);
    DL_CHECK(len >= 0 && len < DL_PARAM_NAME, "params: the name '%s.%s' is longer than %d "
             "characters", p->scope, n, DL_PARAM_NAME - 1);
}

// Room for one more element in an array of n (capacity *cap) of `size` bytes each: a copy of
// twice the size in the arena (the old copy stays there unused; the waste is < 2x, once).
static void *grow(Arena *a, void *items, int *cap, int n, size_t size)
{
    if (n < *cap) return items;
    int c = *cap ? 2 * *cap : 16;
    void *q = arena_alloc(a, (size_t)c * size);
    if (n) memcpy(q, items, (size_t)n * size);
    *cap = c;
    return q;
}

void params_add(Params *p, Tensor *t)
{
    DL_CHECK(t->grad, "params_add: tensor '%s' has no grad buffer (make it with tensor_param)",
             t->name ? t->name : "?");
    DL_CHECK(p->arena, "params_add: call params_init(&params, arena) before adding '%s'",
             t->name ? t->name : "?");
    if (p->n == p->cap) {   // items and names grow together
        int cap = p->cap;
        p->items = grow(p->arena, p->items, &cap, p->n, sizeof *p->items);
        cap = p->cap;
        p->names = grow(p->arena, p->names, &cap, p->n, sizeof *p->names);
        p->cap = cap;
    }
    p->items[p->n] = t;
    full_name(p, t->name, p->names[p->n]);
    p->n++;
}

void params_add_buffer(Params *p, const char *name, float *data, size_t n)
{
    DL_CHECK(p->arena, "params_add_buffer: call params_init(&params, arena) before adding '%s'",
             name ? name : "?");
    p->buffers = grow(p->arena, p->buffers, &p->cap_buffers, p->n_buffers, sizeof *p->buffers);
    ParamBuffer *b = &p->buffers[p->n_buffers++];
    full_name(p, name, b->name);
    b->data = data;
    b->n = n;
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

size_t params_snapshot_size(const Params *p)
{
    size_t n = params_count(p);
    for (int i = 0; i < p->n_buffers; i++) n += p->buffers[i].n;
    return n;
}

void params_snapshot(const Params *p, float *dst)
{
    for (int i = 0; i < p->n; i++) {
        memcpy(dst, p->items[i]->data, p->items[i]->size * sizeof(float));
        dst += p->items[i]->size;
    }
    for (int i = 0; i < p->n_buffers; i++) {
        memcpy(dst, p->buffers[i].data, p->buffers[i].n * sizeof(float));
        dst += p->buffers[i].n;
    }
}

void params_restore(Params *p, const float *src)
{
    for (int i = 0; i < p->n; i++) {
        memcpy(p->items[i]->data, src, p->items[i]->size * sizeof(float));
        src += p->items[i]->size;
    }
    for (int i = 0; i < p->n_buffers; i++) {
        memcpy(p->buffers[i].data, src, p->buffers[i].n * sizeof(float));
        src += p->buffers[i].n;
    }
}
