/* common/data/wordcount.c — the word counter and the word lookup table (wordcount.h). */
#include "data/wordcount.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

uint64_t word_hash(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int *empty_slots(size_t size)
{
    int *s = dl_malloc(size * sizeof *s, "word hash table");
    for (size_t i = 0; i < size; i++) s[i] = -1;
    return s;
}

// ---- counting ----

// Slot of p[0 … len) among words through slot[] (size a power of 2): where it is (*found) or the
// empty slot where it goes.
static size_t count_slot(const WordCount *words, const int *slot, size_t size, const char *p,
                         size_t len, bool *found)
{
    size_t mask = size - 1, i = (size_t)word_hash(p, len) & mask;
    while (slot[i] >= 0) {
        const WordCount *w = &words[slot[i]];
        if (w->len == len && memcmp(w->p, p, len) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

void word_counter_init(WordCounter *c)
{
    *c = (WordCounter){.cap = 1024, .size = 4096};
    c->words = dl_malloc((size_t)c->cap * sizeof *c->words, "word counts");
    c->slot = empty_slots(c->size);
}

int word_counter_add(WordCounter *c, const char *p, size_t len)
{
    c->tokens++;
    bool found;
    size_t i = count_slot(c->words, c->slot, c->size, p, len, &found);
    if (found) {
        c->words[c->slot[i]].count++;
        return c->slot[i];
    }
    DL_CHECK(c->n < INT_MAX / 4, "word counter: more than %d distinct words", INT_MAX / 4);
    if (c->n == c->cap) {
        c->cap *= 2;
        WordCount *w2 = realloc(c->words, (size_t)c->cap * sizeof *w2);
        DL_CHECK(w2, "word counter: out of memory for %d distinct words", c->cap);
        c->words = w2;
    }
    int k = c->n++;
    c->words[k] = (WordCount){.p = p, .len = len, .count = 1, .first = k};
    c->slot[i] = k;
    if ((size_t)c->n * 2 >= c->size) {   // at most half full: rehash into twice the size
        size_t size = c->size * 2;
        int *slot = empty_slots(size);
        for (int j = 0; j < c->n; j++)
            slot[count_slot(c->words, slot, size, c->words[j].p, c->words[j].len, &found)] = j;
        free(c->slot);
        c->slot = slot;
        c->size = size;
    }
    return k;
}

// Descending count, then first appearance.
static int by_count(const void *a, const void *b)
{
    const WordCount *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

void word_counter_sort(WordCounter *c, int from)
{
    if (c->n > from) qsort(c->words + from, (size_t)(c->n - from), sizeof *c->words, by_count);
}

void word_counter_free(WordCounter *c)
{
    free(c->words);
    free(c->slot);
    *c = (WordCounter){0};
}

// ---- lookup ----

static size_t table_slot(const int *table, int size, char *const *words, const char *p, size_t len,
                         bool *found)
{
    size_t mask = (size_t)size - 1, i = (size_t)word_hash(p, len) & mask;
    while (table[i] >= 0) {
        const char *w = words[table[i]];
        if (strncmp(w, p, len) == 0 && w[len] == '\0') {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

int word_table_build(char *const *words, int V, int **table, int *size)
{
    int s = 16;
    while (s < 2 * V + 2) s *= 2;
    int *t = empty_slots((size_t)s);
    for (int k = 0; k < V; k++) {
        bool found;
        size_t i = table_slot(t, s, words, words[k], strlen(words[k]), &found);
        if (found) {
            free(t);
            *table = NULL;
            *size = 0;
            return k;
        }
        t[i] = k;
    }
    *table = t;
    *size = s;
    return -1;
}

int word_table_find(const int *table, int size, char *const *words, const char *p, size_t len)
{
    if (!table) return -1;
    bool found;
    size_t i = table_slot(table, size, words, p, len, &found);
    return found ? table[i] : -1;
}
