/* 06_embeddings/exercises/solutions/ex1_tfidf.c — reference solution of exercise 1. */
#include <math.h>

#include "exercises.h"

void ex_tfidf(const int *counts, int N, int V, float *out)
{
    for (int t = 0; t < V; t++) {
        int df = 0;
        for (int d = 0; d < N; d++) df += counts[d * V + t] > 0;
        double idf = log((double)N / (1 + df)) + 1;
        for (int d = 0; d < N; d++) {
            int c = counts[d * V + t];
            out[d * V + t] = c > 0 ? (float)((1 + log((double)c)) * idf) : 0.0f;
        }
    }
    for (int d = 0; d < N; d++) {
        double sq = 0;
        for (int t = 0; t < V; t++) sq += (double)out[d * V + t] * out[d * V + t];
        if (sq > 0) {
            double inv = 1 / sqrt(sq);
            for (int t = 0; t < V; t++) out[d * V + t] = (float)(out[d * V + t] * inv);
        }
    }
}
