/* 03_optimizers/exercises/solutions/ex2_adam_bias_correction.c — reference solution of
 * exercise 2. */
#include <math.h>

#include "exercises.h"

void ex_adam_step(float *theta, float *m, float *v, const float *g, int n, int t, float lr,
                  float beta1, float beta2, float eps)
{
    // The corrections are the same for every element: compute them once.
    float bc1 = 1.0f - powf(beta1, (float)t), bc2 = 1.0f - powf(beta2, (float)t);
    for (int i = 0; i < n; i++) {
        m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
        float m_hat = m[i] / bc1, v_hat = v[i] / bc2;
        theta[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
    }
}
