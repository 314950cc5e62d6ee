/* 08_scaling/exercises/ex1_power_law.c — exercise 1: a power law fitted by hand in log-log.
 * Read: exercises/EXERCISES.md § 1 and exercises.h. Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

double ex_power_law_fit(const double *x, const double *y, int n, double *k)
{
    // TODO: u_i = log x_i, v_i = log y_i; the slope e = Σ(u−ū)(v−v̄) / Σ(u−ū)², the intercept
    // v̄ − e·ū = log k.
    EX_TODO(x, y, n, k);
    return 0;
}
