/* 03_optimizers/exercises/solutions/ex3_cosine_schedule.c — reference solution of exercise 3. */
#include <math.h>

#include "exercises.h"

float ex_cosine_lr(int step, float base_lr, float min_lr, int warmup_steps, int anneal_steps)
{
    if (step < warmup_steps) return base_lr * (float)(step + 1) / (float)(warmup_steps + 1);
    int t = step - warmup_steps;
    if (t >= anneal_steps) return min_lr;
    const double pi = acos(-1.0);
    return min_lr + (base_lr - min_lr) * (float)(0.5 * (1.0 + cos(pi * t / anneal_steps)));
}
