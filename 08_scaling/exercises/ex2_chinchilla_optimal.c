/* 08_scaling/exercises/ex2_chinchilla_optimal.c — exercise 2: N_opt and D_opt for a budget.
 * Read: exercises/EXERCISES.md § 2 and exercises.h. Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_chinchilla_optimal(double A, double B, double alpha, double beta, double C, double *N_opt,
                           double *D_opt)
{
    // TODO: G = (αA/(βB))^(1/(α+β)); N_opt = G·(C/6)^(β/(α+β)); D_opt = (C/6)^(α/(α+β)) / G.
    EX_TODO(A, B, alpha, beta, C, N_opt, D_opt);
}
