/* 06_embeddings/exercises/solutions/ex2_sgns_step.c — reference solution of exercise 2. */
#include <math.h>
#include <stdlib.h>

#include "exercises.h"

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

float ex_sgns_step(float *v, float *u_pos, float *u_neg, int K, int D, float lr)
{
    float *dv = calloc((size_t)D, sizeof *dv);
    if (!dv) abort();
    double s = 0, loss;
    for (int i = 0; i < D; i++) s += (double)u_pos[i] * v[i];
    loss = -log(sigmoid(s));
    double g = sigmoid(s) - 1;                            // ∂loss/∂s
    for (int i = 0; i < D; i++) {
        dv[i] += (float)(g * u_pos[i]);
        u_pos[i] -= lr * (float)(g * v[i]);               // v is still the old v
    }
    for (int k = 0; k < K; k++) {
        float *u = u_neg + (size_t)k * D;
        double sk = 0;
        for (int i = 0; i < D; i++) sk += (double)u[i] * v[i];
        loss -= log(sigmoid(-sk));
        double gk = sigmoid(sk);                          // ∂loss/∂s_k
        for (int i = 0; i < D; i++) {
            dv[i] += (float)(gk * u[i]);                  // the old u_neg[k]
            u[i] -= lr * (float)(gk * v[i]);
        }
    }
    for (int i = 0; i < D; i++) v[i] -= lr * dv[i];
    free(dv);
    return (float)loss;
}
