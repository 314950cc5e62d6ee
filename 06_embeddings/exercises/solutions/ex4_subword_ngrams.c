/* 06_embeddings/exercises/solutions/ex4_subword_ngrams.c — reference solution of exercise 4. */
#include <stdlib.h>
#include <string.h>

#include "exercises.h"

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)(int8_t)s[i];                  // fastText's signed-char quirk
        h *= 16777619u;
    }
    return h;
}

static int continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

int ex_subword_buckets(const char *word, int minn, int maxn, uint32_t buckets, uint32_t *ids)
{
    size_t len = strlen(word) + 2;
    char *w = malloc(len + 1);
    if (!w) abort();
    w[0] = '<';
    memcpy(w + 1, word, len - 2);
    w[len - 1] = '>';
    w[len] = 0;
    int count = 0;
    for (size_t i = 0; i < len; i++) {
        if (continuation(w[i])) continue;
        size_t j = i;
        for (int n = 1; j < len && n <= maxn; n++) {
            j++;                                      // one more character: its lead byte ...
            while (j < len && continuation(w[j])) j++;   // ... and its continuation bytes
            if (n >= minn && !(n == 1 && (i == 0 || j == len)))
                ids[count++] = fnv1a(w + i, j - i) % buckets;
        }
    }
    free(w);
    return count;
}
