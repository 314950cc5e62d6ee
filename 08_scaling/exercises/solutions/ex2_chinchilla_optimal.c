/* 08_scaling/exercises/solutions/ex2_chinchilla_optimal.c — reference solution of exercise 2. */
#include <math.h>

#include "exercises.h"

void ex_chinchilla_optimal(double A, double B, double alpha, double beta, double C, double *N_opt,
                           double *D_opt)
{
    const double s = alpha + beta;
    const double G = pow(alpha * A / (beta * B), 1.0 / s);
    *N_opt = G * pow(C / 6.0, beta / s);
    *D_opt = pow(C / 6.0, alpha / s) / G;
}
