/* 06_embeddings/exercises/ex4_subword_ngrams.c — exercise 4: fastText's hashed character n-grams.
 * Read: exercises/EXERCISES.md § 4 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

int ex_subword_buckets(const char *word, int minn, int maxn, uint32_t buckets, uint32_t *ids)
{
    // TODO: build "<" + word + ">"; for each start character i, grow the n-gram one character
    // (a lead byte plus its 10xxxxxx continuation bytes) at a time up to maxn characters; keep it
    // when n >= minn and it is not the lone "<" or ">"; write fnv1a(bytes) % buckets (each byte
    // cast to int8_t, then to uint32_t, before the xor) to ids; return the count.
    EX_TODO(word, minn, maxn, buckets, ids);
}
