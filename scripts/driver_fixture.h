/* scripts/driver_fixture.h — what the exercise drivers of chapters 5–7 share: float buffers,
 * the largest difference from a reference, and the reference fixture of expected/.
 *
 * A fixture is a text file of blocks: a line "@ name d0 [d1]" then d0·d1 values, one per line,
 * written by the chapter's scripts/gen_fixtures_exNN.py (PyTorch, numpy or an independent
 * transcription). A driver defines, before including this header,
 *   EX_CHAPTER_DIR     "05_rnn_lstm": where expected/ is, from the repository root
 *   EX_FIXTURE_FILE    the file in expected/ ("references.txt" unless defined)
 *   EX_FIXTURE_SCRIPT  the script that writes it, named in the messages
 * Every function exits with a message naming the file, the block and the fix on bad input: a
 * driver is a test harness, not a library.
 */
#ifndef DL_DRIVER_FIXTURE_H
#define DL_DRIVER_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EX_FIXTURE_FILE
#define EX_FIXTURE_FILE "references.txt"
#endif
#ifndef EX_FIXTURE_SCRIPT
#error "define EX_FIXTURE_SCRIPT (the script that writes the fixture) before including driver_fixture.h"
#endif

__attribute__((unused)) static float *alloc_floats(size_t n, float fill)
{
    float *v = malloc(sizeof(float) * (n ? n : 1));
    if (!v) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) v[i] = fill;
    return v;
}

__attribute__((unused)) static double max_abs_diff(const float *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;                     // a NaN propagates
    }
    return m;
}

// ---- the reference fixture (ex1, ex2): '@ name d0 [d1]' blocks of one value per line ----
typedef struct Block { char name[48]; size_t n; double *v; } Block;
typedef struct Fixture { Block *b; int n; } Fixture;

__attribute__((unused)) static Fixture fixture_load(void)
{
    const char *path = EX_CHAPTER_DIR "/expected/" EX_FIXTURE_FILE;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "driver: cannot open %s, the reference fixture of this exercise: run the driver "
                "through the grader (make grade), or by hand from the repository root; if the file is "
                "missing, instructors: /usr/bin/python3 " EX_FIXTURE_SCRIPT "\n", path);
        exit(1);
    }
    Fixture fx = {0};
    int cap = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '@') continue;
        if (fx.n == cap) {
            cap = cap ? 2 * cap : 64;
            fx.b = realloc(fx.b, (size_t)cap * sizeof *fx.b);
            if (!fx.b) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        }
        Block *b = &fx.b[fx.n++];
        int d0 = 1, d1 = 1;
        int got = sscanf(line, "@ %47s %d %d", b->name, &d0, &d1);
        if (got < 1 || d0 < 0 || d1 < 0) { fprintf(stderr, "driver: %s: bad line '%s'\n", path, line); exit(1); }
        if (got < 3) d1 = 1;
        if (got < 2) d0 = 1;
        b->n = (size_t)d0 * (size_t)d1;
        b->v = malloc(sizeof(double) * (b->n ? b->n : 1));
        if (!b->v) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (size_t i = 0; i < b->n; i++)
            if (!fgets(line, sizeof line, f) || sscanf(line, "%lf", &b->v[i]) != 1) {
                fprintf(stderr, "driver: %s: block %s is short\n", path, b->name);
                exit(1);
            }
    }
    fclose(f);
    return fx;
}

// Block "<prefix>.<name>" with n values (n = 0: any); exits when it is missing or wrong.
__attribute__((unused)) static const Block *fixture_block(const Fixture *fx, const char *prefix,
                                                          const char *name, size_t n)
{
    char full[64];
    snprintf(full, sizeof full, "%s.%s", prefix, name);
    for (int i = 0; i < fx->n; i++)
        if (!strcmp(fx->b[i].name, full)) {
            if (n && fx->b[i].n != n) {
                fprintf(stderr, "driver: fixture block %s has %zu values, expected %zu\n", full, fx->b[i].n, n);
                exit(1);
            }
            return &fx->b[i];
        }
    fprintf(stderr, "driver: the fixture has no block %s (instructors: " EX_FIXTURE_SCRIPT ")\n", full);
    exit(1);
}

__attribute__((unused)) static const double *fixture_get(const Fixture *fx, const char *prefix,
                                                         const char *name, size_t n)
{
    return fixture_block(fx, prefix, name, n)->v;
}

__attribute__((unused)) static void fixture_free(Fixture *fx)
{
    for (int i = 0; i < fx->n; i++) free(fx->b[i].v);
    free(fx->b);
}

__attribute__((unused)) static float *floats_of(const double *v, size_t n)
{
    float *f = alloc_floats(n, 0.0f);
    for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
    return f;
}

#endif
