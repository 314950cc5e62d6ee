/* 02_backprop/exercises/solutions/ex1_hand_backprop.c — reference solution of exercise 1. */
#include "exercises.h"

void ex_hand_backprop(float x, float w1, float w2, float y, float *loss, float *dw1, float *dw2)
{
    float z = w1 * x, h = z > 0 ? z : 0, yhat = w2 * h;
    *loss = (yhat - y) * (yhat - y);
    float dyhat = 2 * (yhat - y);
    *dw2 = dyhat * h;
    float dh = dyhat * w2;
    float dz = z > 0 ? dh : 0;          // ReLU passes the gradient only where it was active
    *dw1 = dz * x;
}
