/* 06_embeddings/exercises/ex1_tfidf.c — exercise 1: TF-IDF by hand.
 * Read: exercises/EXERCISES.md § 1 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

void ex_tfidf(const int *counts, int N, int V, float *out)
{
    // TODO: df of every term (documents where it occurs), idf = ln(N / (1 + df)) + 1; for every
    // document and term tf = 1 + ln(count) if count > 0 else 0, w = tf · idf; then divide each
    // document's row by its L2 norm (leave an all-zero row at zero).
    EX_TODO(counts, N, V, out);
}
