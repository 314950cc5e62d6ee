/* common/data/wordvec.c — word vocabularies with counts and word vectors; see data/wordvec.h.
 *
 * The vocabulary is word2vec.c's (Mikolov et al. 2013, LearnVocabFromTrainFile + SortVocab):
 * every word of the corpus counted, those below min_count dropped, the rest sorted by
 * descending count (word2vec.c's qsort is not stable; ties here keep the order of first
 * appearance, so the ids do not depend on the C library). Counting and finding words use the
 * hash tables of data/wordcount.h.
 *
 * The vector file is word2vec.c's text output (-binary 0): a header "V D", then per line a
 * word and D numbers separated by spaces. word2vec.c ends each line with a space before the
 * newline and gensim does not; both are read, as are tabs and CRLF line ends.
 */
#include "data/wordvec.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"
#include "data/text.h"
#include "data/wordcount.h"

#define WV_MAX_V 10000000   // sanity limits of a vector file (see wordvec_parse_text)
#define WV_MAX_D 10000
#define WV_MAX_NUMBER 64    // bytes of one number's text ("-1.2345678901234567e-308" is 24)

// ---- words ----
// region: words

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char *str_copy(const char *p, size_t len)
{
    char *s = dl_malloc(len + 1, "a word");
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

// ---- vocabulary ----
// region: vocab

/* The vocabulary from counted words: sort, keep count >= min_count, copy, hash. */
static bool vocab_from_counter(WordVocab *v, WordCounter *c, int min_count, char *err, size_t errlen)
{
    if (c->n == 0) {
        snprintf(err, errlen, "the corpus holds no word (only white space): give a text with "
                 "words separated by spaces or line ends");
        word_counter_free(c);
        return false;
    }
    word_counter_sort(c, 0);
    int V = 0;
    while (V < c->n && c->words[V].count >= min_count) V++;
    if (V == 0) {
        snprintf(err, errlen, "no word is seen min-count = %d times (the most frequent, \"%.*s\", "
                 "is seen %lld times in %lld tokens): lower --min-count or give a longer corpus",
                 min_count, (int)(c->words[0].len < 40 ? c->words[0].len : 40), c->words[0].p,
                 (long long)c->words[0].count, (long long)c->tokens);
        word_counter_free(c);
        return false;
    }
    v->V = V;
    v->n_tokens = c->tokens;
    v->words = dl_malloc((size_t)V * sizeof *v->words, "vocabulary words");
    v->count = dl_malloc((size_t)V * sizeof *v->count, "vocabulary counts");
    for (int k = 0; k < V; k++) {
        v->words[k] = str_copy(c->words[k].p, c->words[k].len);
        v->count[k] = c->words[k].count;
    }
    word_counter_free(c);
    int dup = word_table_build(v->words, V, &v->table, &v->table_size);
    DL_CHECK(dup < 0, "word_vocab_build: word %d repeated after counting (a bug)", dup);
    return true;
}

static bool check_min_count(int min_count, char *err, size_t errlen)
{
    if (min_count >= 1) return true;
    snprintf(err, errlen, "min-count = %d: a word must be seen at least once; use 1 or more "
             "(word2vec's default is 5)", min_count);
    return false;
}

/* A NUL byte in text[0 … n): false with a message naming its offset and line. */
static bool check_no_nul(const char *text, size_t n, char *err, size_t errlen)
{
    const char *nul = memchr(text, 0, n);
    if (!nul) return true;
    size_t off = (size_t)(nul - text), line = 1;
    for (size_t i = 0; i < off; i++) line += text[i] == '\n';
    snprintf(err, errlen, "a NUL byte at offset %zu (line %zu): not a text file? A word "
             "vocabulary needs text", off, line);
    return false;
}

/* The next word of text[*i … n): its start in *start and its length (0 at the end). */
static size_t next_word(const char *text, size_t n, size_t *i, size_t *start)
{
    while (*i < n && is_space((unsigned char)text[*i])) (*i)++;
    *start = *i;
    while (*i < n && !is_space((unsigned char)text[*i])) (*i)++;
    return *i - *start;
}

bool word_vocab_build(WordVocab *v, const char *text, size_t n, int min_count, char *err,
                      size_t errlen)
{
    *v = (WordVocab){0};
    if (!check_min_count(min_count, err, errlen) || !check_no_nul(text, n, err, errlen))
        return false;
    WordCounter c;
    word_counter_init(&c);
    size_t i = 0, start = 0, len;
    while ((len = next_word(text, n, &i, &start)) > 0) word_counter_add(&c, text + start, len);
    return vocab_from_counter(v, &c, min_count, err, errlen);
}

bool word_vocab_build_tokens(WordVocab *v, char *const *tokens, size_t n_tokens, int min_count,
                             char *err, size_t errlen)
{
    *v = (WordVocab){0};
    if (!check_min_count(min_count, err, errlen)) return false;
    WordCounter c;
    word_counter_init(&c);
    for (size_t k = 0; k < n_tokens; k++) {
        size_t len = strlen(tokens[k]);
        if (len) word_counter_add(&c, tokens[k], len);   // an empty token is no word
    }
    return vocab_from_counter(v, &c, min_count, err, errlen);
}

int word_vocab_id(const WordVocab *v, const char *word)
{
    return word_table_find(v->table, v->table_size, v->words, word, strlen(word));
}

/* Errors: a NUL byte. A text with no word of the vocabulary gives *n_ids = 0 and true (a review
 * made only of rare words is still a document). */
bool word_vocab_encode(const WordVocab *v, const char *text, size_t n, int **ids, size_t *n_ids,
                       size_t *n_dropped, char *err, size_t errlen)
{
    *ids = NULL;
    *n_ids = *n_dropped = 0;
    if (!check_no_nul(text, n, err, errlen)) return false;
    size_t cap = 64, k = 0, dropped = 0;
    int *out = dl_malloc(cap * sizeof *out, "word ids");
    size_t i = 0, start = 0, len;
    while ((len = next_word(text, n, &i, &start)) > 0) {
        int id = word_table_find(v->table, v->table_size, v->words, text + start, len);
        if (id < 0) {
            dropped++;
            continue;
        }
        if (k == cap) {
            cap *= 2;
            int *o2 = realloc(out, cap * sizeof *o2);
            DL_CHECK(o2, "word_vocab_encode: out of memory for %zu ids", cap);
            out = o2;
        }
        out[k++] = id;
    }
    *ids = out;
    *n_ids = k;
    *n_dropped = dropped;
    return true;
}

void word_vocab_free(WordVocab *v)
{
    for (int k = 0; k < v->V && v->words; k++) free(v->words[k]);
    free(v->words);
    free(v->count);
    free(v->table);
    *v = (WordVocab){0};
}

// ---- vectors ----
// region: vectors

void wordvec_init(WordVectors *wv, int V, int D, char *const *words)
{
    DL_CHECK(V >= 1 && D >= 1 && (size_t)V <= SIZE_MAX / sizeof(float) / (size_t)D,
             "wordvec_init: V = %d, D = %d, expected both >= 1", V, D);
    *wv = (WordVectors){.V = V, .D = D};
    wv->words = dl_malloc((size_t)V * sizeof *wv->words, "word vector words");
    for (int k = 0; k < V; k++) wv->words[k] = str_copy(words[k], strlen(words[k]));
    wv->vec = calloc((size_t)V * (size_t)D, sizeof *wv->vec);
    DL_CHECK(wv->vec, "out of memory: %d x %d word vectors", V, D);
    int dup = word_table_build(wv->words, V, &wv->table, &wv->table_size);
    DL_CHECK(dup < 0, "wordvec_init: word %d \"%s\" repeats an earlier word; the words must be "
             "distinct", dup, wv->words[dup]);
}

int wordvec_id(const WordVectors *wv, const char *word)
{
    return word_table_find(wv->table, wv->table_size, wv->words, word, strlen(word));
}

void wordvec_unit_rows(const WordVectors *wv, float *out)
{
    size_t D = (size_t)wv->D;
    for (size_t i = 0; i < (size_t)wv->V; i++) {
        const float *x = wv->vec + i * D;
        float *y = out + i * D;
        double ss = 0;
        for (size_t d = 0; d < D; d++) ss += (double)x[d] * x[d];
        float s = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t d = 0; d < D; d++) y[d] = x[d] * s;
    }
}

bool wordvec_save_text(const WordVectors *wv, const char *path, char *err, size_t errlen)
{
    for (int k = 0; k < wv->V; k++) {
        const char *w = wv->words[k];
        bool bad = w[0] == '\0';
        for (const char *p = w; *p && !bad; p++) bad = is_space((unsigned char)*p);
        if (bad) {
            snprintf(err, errlen, "%s: word %d \"%.40s\" is empty or holds white space, which "
                     "word2vec's text format cannot store: build the words with word_vocab_build",
                     path, k, w);
            return false;
        }
    }
    FILE *f = atomic_open(path);
    if (!f) {
        snprintf(err, errlen, "%s: cannot write the vectors (does the folder exist? is it "
                 "writable?)", path);
        return false;
    }
    fprintf(f, "%d %d\n", wv->V, wv->D);
    for (int k = 0; k < wv->V; k++) {
        fputs(wv->words[k], f);
        const float *x = wv->vec + (size_t)k * wv->D;
        for (int d = 0; d < wv->D; d++) fprintf(f, " %.6g", (double)x[d]);
        fputc('\n', f);
    }
    if (!atomic_close(f, path)) {
        snprintf(err, errlen, "%s: writing the vectors failed (disk full?)", path);
        return false;
    }
    return true;
}

// A reader over bytes that knows its line.
typedef struct Reader {
    const char *p;
    size_t n, i;
    size_t line;
    const char *name;
} Reader;

static void skip_blanks(Reader *r)   // spaces and tabs, not line ends
{
    while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t')) r->i++;
}

/* The next field of the current line (maximal run without white space); 0 at a line end. */
static size_t field(Reader *r, size_t *start)
{
    skip_blanks(r);
    *start = r->i;
    while (r->i < r->n && !is_space((unsigned char)r->p[r->i])) r->i++;
    return r->i - *start;
}

/* True at the end of the current line (after blanks and an optional '\r'): consumes the '\n'. */
static bool line_end(Reader *r)
{
    skip_blanks(r);
    if (r->i < r->n && r->p[r->i] == '\r') r->i++;
    if (r->i >= r->n) return true;
    if (r->p[r->i] == '\n') {
        r->i++;
        r->line++;
        return true;
    }
    return false;
}

/* An integer field of the header into *out (0 … limit); false on anything else. */
static bool header_int(Reader *r, long *out, long limit)
{
    size_t s, len = field(r, &s);
    if (len == 0 || len > 9) return false;
    long x = 0;
    for (size_t k = 0; k < len; k++) {
        char c = r->p[s + k];
        if (c < '0' || c > '9') return false;
        x = x * 10 + (c - '0');
    }
    if (x > limit) return false;
    *out = x;
    return true;
}

bool wordvec_parse_text(const char *bytes, size_t n, const char *name, WordVectors *wv, char *err,
                        size_t errlen)
{
    *wv = (WordVectors){0};
    Reader r = {.p = bytes, .n = n, .line = 1, .name = name};
    const char *nul = memchr(bytes, 0, n);
    if (nul) {
        size_t off = (size_t)(nul - bytes), line = 1;
        for (size_t i = 0; i < off; i++) line += bytes[i] == '\n';
        snprintf(err, errlen, "%s: a NUL byte at offset %zu (line %zu): word2vec's binary format "
                 "(-binary 1)? Only the text format is read: save with binary=False / -binary 0",
                 name, off, line);
        return false;
    }
    long V = 0, D = 0;
    if (!header_int(&r, &V, LONG_MAX / 2) || !header_int(&r, &D, LONG_MAX / 2) || !line_end(&r)) {
        snprintf(err, errlen, "%s: line 1 is not a header \"V D\" (two whole numbers, the word "
                 "count and the vector width): not word2vec's text format?", name);
        return false;
    }
    if (V < 1 || V > WV_MAX_V || D < 1 || D > WV_MAX_D) {
        snprintf(err, errlen, "%s: header says %ld words of %ld values; expected 1 … %d words of "
                 "1 … %d values (corrupt file?)", name, V, D, WV_MAX_V, WV_MAX_D);
        return false;
    }
    // Each line holds at least a 1-byte word and D (separator + digit) pairs: a header that
    // promises more than the bytes can hold is rejected before anything is allocated.
    if ((unsigned long long)V * (unsigned long long)(2 * D + 2) > (unsigned long long)(n - r.i) + 1) {
        snprintf(err, errlen, "%s: header says %ld words of %ld values but only %zu bytes follow, "
                 "too few for that (truncated file?)", name, V, D, n - r.i);
        return false;
    }
    WordVectors w = {.V = (int)V, .D = (int)D};
    w.words = calloc((size_t)V, sizeof *w.words);
    w.vec = malloc((size_t)V * (size_t)D * sizeof *w.vec);
    if (!w.words || !w.vec) {
        free(w.words);
        free(w.vec);
        snprintf(err, errlen, "%s: out of memory for %ld vectors of %ld values", name, V, D);
        return false;
    }
    int k = 0;
    for (; k < (int)V; k++) {
        size_t s, len = field(&r, &s);
        if (len == 0) {
            if (r.i >= r.n)
                snprintf(err, errlen, "%s: the file ends after %d of the %ld vectors its header "
                         "promises (truncated file?)", name, k, V);
            else
                snprintf(err, errlen, "%s: line %zu is empty or starts with white space, "
                         "expected a word and %ld values", name, r.line, D);
            goto fail;
        }
        w.words[k] = str_copy(bytes + s, len);
        float *x = w.vec + (size_t)k * (size_t)D;
        for (long d = 0; d < D; d++) {
            size_t ns, nlen = field(&r, &ns);
            if (nlen == 0) {
                snprintf(err, errlen, "%s: line %zu (\"%.40s\") has %ld values, expected %ld "
                         "(a short line: truncated file or a different width?)", name, r.line,
                         w.words[k], d, D);
                goto fail;
            }
            char buf[WV_MAX_NUMBER + 1];
            char *end = buf;
            float val = 0;
            if (nlen <= WV_MAX_NUMBER) {
                memcpy(buf, bytes + ns, nlen);
                buf[nlen] = '\0';
                val = strtof(buf, &end);
            }
            if (nlen > WV_MAX_NUMBER || end != buf + nlen || !isfinite(val)) {
                snprintf(err, errlen, "%s: line %zu (\"%.40s\"), value %ld: \"%.*s\" is not a "
                         "finite number", name, r.line, w.words[k], d + 1,
                         (int)(nlen < 40 ? nlen : 40), bytes + ns);
                goto fail;
            }
            x[d] = val;
        }
        if (!line_end(&r)) {
            snprintf(err, errlen, "%s: line %zu (\"%.40s\") has more than %ld values (a different "
                     "width than the header's?)", name, r.line, w.words[k], D);
            goto fail;
        }
    }
    // Only white space may follow the V lines.
    while (r.i < r.n && is_space((unsigned char)r.p[r.i])) r.line += r.p[r.i++] == '\n';
    if (r.i < r.n) {
        snprintf(err, errlen, "%s: more lines than the %ld words of the header (line %zu holds "
                 "more; a wrong header?)", name, V, r.line);
        goto fail;
    }
    int dup = word_table_build(w.words, w.V, &w.table, &w.table_size);
    if (dup >= 0) {
        int first = -1;
        for (int j = 0; j < dup && first < 0; j++)
            if (strcmp(w.words[j], w.words[dup]) == 0) first = j;
        snprintf(err, errlen, "%s: the word \"%.40s\" is repeated (vectors %d and %d, lines %d and "
                 "%d): each word has one vector", name, w.words[dup], first + 1, dup + 1,
                 first + 2, dup + 2);
        goto fail;
    }
    *wv = w;
    return true;
fail:
    w.V = k + 1 <= (int)V ? k + 1 : (int)V;   // words[k] may be set; calloc'ed rest are NULL
    wordvec_free(&w);
    return false;
}

bool wordvec_load_text(const char *path, WordVectors *wv, char *err, size_t errlen)
{
    *wv = (WordVectors){0};
    Text t;
    if (!text_load(path, &t, err, errlen)) return false;
    bool ok = wordvec_parse_text((const char *)t.bytes, t.n, path, wv, err, errlen);
    text_free(&t);
    return ok;
}

void wordvec_free(WordVectors *wv)
{
    for (int k = 0; k < wv->V && wv->words; k++) free(wv->words[k]);
    free(wv->words);
    free(wv->vec);
    free(wv->table);
    *wv = (WordVectors){0};
}
