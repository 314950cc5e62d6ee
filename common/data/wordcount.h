/* common/data/wordcount.h — counting distinct words and finding a word's id: the two hash tables
 * every word vocabulary needs (data/text.h for chapter 5's language models, data/wordvec.h for
 * chapter 6's word2vec vocabulary).
 *
 * Both are open addressing with linear probing over 64-bit FNV-1a hashes (Fowler, Noll, Vo; the
 * offset basis 14695981039346656037 and prime 1099511628211), kept at most half full, sizes
 * powers of 2. The words' bytes are not copied while counting: they must outlive the counter.
 */
#ifndef DL_DATA_WORDCOUNT_H
#define DL_DATA_WORDCOUNT_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a of p[0 … len). */
uint64_t word_hash(const void *p, size_t len);

// A distinct word while counting: where its bytes are, its count, its order of first appearance.
typedef struct WordCount {
    const char *p;
    size_t len;
    int64_t count;
    int first;
} WordCount;

typedef struct WordCounter {
    WordCount *words;     // (n) distinct words, in order of first appearance until sorted
    int n, cap;
    int *slot;            // (size) indices into words, -1 = empty
    size_t size;
    int64_t tokens;       // occurrences added
} WordCounter;

void word_counter_init(WordCounter *c);
/* One occurrence of p[0 … len); returns the word's index in c->words. Dies (DL_CHECK) past
 * INT_MAX / 4 distinct words or when memory runs out. */
int word_counter_add(WordCounter *c, const char *p, size_t len);
/* Sort words[from … n) by descending count, ties by first appearance (word2vec.c's and PTB's
 * vocabulary order). The hash slots no longer match afterwards: add nothing more. */
void word_counter_sort(WordCounter *c, int from);
void word_counter_free(WordCounter *c);

/* A lookup table over words[0 … V) (distinct, 0-terminated) in *table / *size (free *table).
 * Returns -1, or the index of the first word that repeats an earlier one (then *table = NULL). */
int word_table_build(char *const *words, int V, int **table, int *size);
/* The index of p[0 … len) in words through table, or -1 (also when table is NULL). */
int word_table_find(const int *table, int size, char *const *words, const char *p, size_t len);

#endif
