/* 03_optimizers/exercises/ex3_cosine_schedule.c — exercise 3: linear warm-up, then cosine
 * annealing.
 * Read: 03_optimizers/README.md, "The math" (learning-rate schedules: warm-up and cosine).
 * Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

float ex_cosine_lr(int step, float base_lr, float min_lr, int warmup_steps, int anneal_steps)
{
    // TODO: three pieces (W = warmup_steps, T = anneal_steps):
    //   step < W:          base_lr·(step + 1)/(W + 1)          (rises, never reaches base_lr)
    //   W <= step < W + T: min_lr + (base_lr - min_lr)·(1 + cos(π·(step - W)/T))/2
    //   otherwise:         min_lr
    // Careful with integer division: (step + 1)/(W + 1) in int is 0 for every warm-up step.
    // π: acos(-1.0), or M_PI where your system defines it.
    EX_TODO(step, base_lr, min_lr, warmup_steps, anneal_steps);
}
