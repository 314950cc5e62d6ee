/* 08_scaling/exercises/ex4_ring_allreduce.c — exercise 4: the ring all-reduce, simulated.
 * Read: exercises/EXERCISES.md § 4 and exercises.h. Graded by: make grade.
 */
#include <stdlib.h>
#include <string.h>

#include "exercises.h"

void ex_ring_allreduce(float *const *buf, int p, int n, double *bytes_sent)
{
    // TODO: reduce-scatter (p−1 steps: add the chunk received from rank r−1), then all-gather
    // (p−1 steps: copy it). Copy each step's outgoing chunks first: the sends are simultaneous.
    EX_TODO(buf, p, n, bytes_sent);
}
