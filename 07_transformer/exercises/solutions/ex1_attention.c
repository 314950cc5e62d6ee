/* 07_transformer/exercises/solutions/ex1_attention.c — reference solution of exercise 1. */
#include <math.h>

#include "exercises.h"

void ex_attention(const float *q, const float *k, const float *v, int T, int d, float *P,
                  float *out)
{
    float scale = 1.0f / sqrtf((float)d);
    for (int i = 0; i < T; i++) {
        float *p = P + (size_t)i * T;
        float mx = -INFINITY;
        for (int j = 0; j < T; j++) {
            float s = 0;
            for (int c = 0; c < d; c++) s += q[(size_t)i * d + c] * k[(size_t)j * d + c];
            p[j] = s * scale;
            if (p[j] > mx) mx = p[j];
        }
        float z = 0;
        for (int j = 0; j < T; j++) { p[j] = expf(p[j] - mx); z += p[j]; }
        for (int j = 0; j < T; j++) p[j] /= z;
        for (int c = 0; c < d; c++) {
            float acc = 0;
            for (int j = 0; j < T; j++) acc += p[j] * v[(size_t)j * d + c];
            out[(size_t)i * d + c] = acc;
        }
    }
}
