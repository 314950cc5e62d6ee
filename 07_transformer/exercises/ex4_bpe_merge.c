/* 07_transformer/exercises/ex4_bpe_merge.c — exercise 4: one byte-pair merge step.
 * Read: exercises/EXERCISES.md § 4 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

int ex_bpe_merge(int *ids, int n, int new_id, int *pair)
{
    // TODO: count the pairs (ids[i], ids[i+1]); pick the most frequent (ties: the pair seen
    // first); write it to pair; replace its non-overlapping occurrences, left to right, by
    // new_id in place; return the new length.
    EX_TODO(ids, n, new_id, pair);
}
