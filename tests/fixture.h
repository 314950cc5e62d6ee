/* tests/fixture.h — read the PyTorch reference files in tests/fixtures/.
 *
 * Format (written by scripts/gen_fixtures_*.py, STYLE §5): '#' comment lines, then blocks
 *   @ <name> <d0> [<d1>]        a 0-, 1- or 2-d block (no dims = a scalar)
 *   <value>                     one per line, row-major, %.9g
 * Tests load a whole file, look blocks up by name, and make tensors from them.
 */
#ifndef DL_TEST_FIXTURE_H
#define DL_TEST_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tensor.h"
#include "base/arena.h"

typedef struct FixBlock {
    char name[48];
    int ndim, shape[2];
    size_t n;
    float *v;             // (n)
} FixBlock;

typedef struct Fixture {
    const char *path;
    FixBlock *b;
    int n, cap;
} Fixture;

static inline void fixture_load(Fixture *f, const char *path)
{
    FILE *in = fopen(path, "r");
    ck_assert_msg(in != NULL, "cannot open %s (run the tests from the repository root)", path);
    *f = (Fixture){.path = path};
    char line[256];
    while (fgets(line, sizeof line, in)) {
        if (line[0] != '@') continue;
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 64;
            f->b = realloc(f->b, (size_t)f->cap * sizeof *f->b);
            ck_assert_ptr_nonnull(f->b);
        }
        FixBlock *cur = &f->b[f->n++];
        int d0 = 0, d1 = 0;
        cur->ndim = sscanf(line, "@ %47s %d %d", cur->name, &d0, &d1) - 1;
        cur->shape[0] = d0;
        cur->shape[1] = d1;
        cur->n = cur->ndim == 0 ? 1 : cur->ndim == 1 ? (size_t)d0 : (size_t)d0 * d1;
        cur->v = calloc(cur->n, sizeof(float));
        for (size_t i = 0; i < cur->n; i++)
            ck_assert_msg(fgets(line, sizeof line, in) && sscanf(line, "%f", &cur->v[i]) == 1,
                          "%s: block %s is short", path, cur->name);
    }
    fclose(in);
}

/* The block called `name`, or NULL. */
static inline FixBlock *fixture_find(Fixture *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->b[i].name, name) == 0) return &f->b[i];
    return NULL;
}

/* The block called `name`; fails the test when the file has none. */
static inline FixBlock *fixture_get(Fixture *f, const char *name)
{
    FixBlock *b = fixture_find(f, name);
    ck_assert_msg(b != NULL, "%s has no block '%s' (regenerate it with its script in scripts/)",
                  f->path, name);
    return b;
}

/* A tensor holding block b (with a grad buffer when `grad`), allocated in `a`. */
static inline Tensor *fixture_block_tensor(Arena *a, const FixBlock *b, bool grad)
{
    Tensor *t = grad ? tensor_param(a, b->ndim, b->shape, b->name) : tensor_new(a, b->ndim, b->shape);
    tensor_copy_from(t, b->v, b->n);
    return t;
}

/* The same for the block called `name`. */
static inline Tensor *fixture_tensor(Arena *a, Fixture *f, const char *name, bool grad)
{
    return fixture_block_tensor(a, fixture_get(f, name), grad);
}

static inline void fixture_free(Fixture *f)
{
    for (int i = 0; i < f->n; i++) free(f->b[i].v);
    free(f->b);
    *f = (Fixture){0};
}

#endif
