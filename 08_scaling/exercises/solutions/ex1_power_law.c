/* 08_scaling/exercises/solutions/ex1_power_law.c — reference solution of exercise 1. */
#include <math.h>

#include "exercises.h"

double ex_power_law_fit(const double *x, const double *y, int n, double *k)
{
    double mu = 0, mv = 0;
    for (int i = 0; i < n; i++) {
        mu += log(x[i]);
        mv += log(y[i]);
    }
    mu /= n;
    mv /= n;
    double suv = 0, suu = 0;
    for (int i = 0; i < n; i++) {
        double du = log(x[i]) - mu, dv = log(y[i]) - mv;
        suv += du * dv;
        suu += du * du;
    }
    double e = suv / suu;
    *k = exp(mv - e * mu);
    return e;
}
