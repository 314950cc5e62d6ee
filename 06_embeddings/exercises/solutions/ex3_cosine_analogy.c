/* 06_embeddings/exercises/solutions/ex3_cosine_analogy.c — reference solution of exercise 3. */
#include <math.h>
#include <stdlib.h>

#include "exercises.h"

float ex_cosine(const float *a, const float *b, int D)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < D; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? (float)(ab / sqrt(aa * bb)) : 0.0f;
}

static double norm_of(const float *e, int D)
{
    double s = 0;
    for (int i = 0; i < D; i++) s += (double)e[i] * e[i];
    return sqrt(s);
}

int ex_analogy_3cosadd(const float *E, int V, int D, int a, int b, int c)
{
    double *t = malloc(sizeof(double) * (size_t)D);
    if (!t) abort();
    double na = norm_of(E + (size_t)a * D, D), nb = norm_of(E + (size_t)b * D, D);
    double nc = norm_of(E + (size_t)c * D, D), tt = 0;
    for (int i = 0; i < D; i++) {
        t[i] = E[(size_t)b * D + i] / nb - E[(size_t)a * D + i] / na + E[(size_t)c * D + i] / nc;
        tt += t[i] * t[i];
    }
    int best = -1;
    double best_cos = -INFINITY, nt = sqrt(tt);
    for (int w = 0; w < V; w++) {
        if (w == a || w == b || w == c) continue;
        const float *e = E + (size_t)w * D;
        double dot = 0;
        for (int i = 0; i < D; i++) dot += e[i] * t[i];
        double cs = dot / (norm_of(e, D) * (nt > 0 ? nt : 1));
        if (cs > best_cos) { best_cos = cs; best = w; }
    }
    free(t);
    return best;
}
