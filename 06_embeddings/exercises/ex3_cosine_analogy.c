/* 06_embeddings/exercises/ex3_cosine_analogy.c — exercise 3: cosine similarity and 3CosAdd.
 * Read: exercises/EXERCISES.md § 3 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

float ex_cosine(const float *a, const float *b, int D)
{
    // TODO: a · b / (‖a‖ ‖b‖), and 0 when ‖a‖ or ‖b‖ is 0.
    EX_TODO(a, b, D);
}

int ex_analogy_3cosadd(const float *E, int V, int D, int a, int b, int c)
{
    // TODO: target = ê_b − ê_a + ê_c with ê = the row scaled to unit length; return the w that
    // is not a, b or c with the largest cos(ê_w, target) (the lowest index on a tie).
    EX_TODO(E, V, D, a, b, c);
}
