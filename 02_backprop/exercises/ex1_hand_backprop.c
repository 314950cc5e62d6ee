/* 02_backprop/exercises/ex1_hand_backprop.c — exercise 1: the lecture's backprop example by hand.
 * Read: 02_backprop/README.md, "The math" (the hand-computed example). Graded by: make grade.
 */
#include "exercises.h"

void ex_hand_backprop(float x, float w1, float w2, float y, float *loss, float *dw1, float *dw2)
{
    // TODO: forward z = w1·x, h = relu(z), ŷ = w2·h, L = (ŷ - y)²; then backward, one local
    // derivative per step: dL/dŷ = 2(ŷ - y), dL/dw2 = dL/dŷ·h, dL/dh = dL/dŷ·w2,
    // dL/dz = dL/dh·[z > 0], dL/dw1 = dL/dz·x. Write *loss, *dw1, *dw2.
    // Check: x = 2, w1 = 0.5, w2 = 1, y = 3 gives L = 4, dw1 = -8, dw2 = -4.
    EX_TODO(x, w1, w2, y, loss, dw1, dw2);
}
