/* common/data/sparse.c — n-gram vocabularies, count and TF-IDF matrices in CSR; see
 * data/sparse.h for the formulas and their sources.
 *
 * The vocabulary is an open-addressing hash table (linear probing, FNV-1a hashes — Fowler, Noll
 * & Vo) over the n-gram strings; while fitting, each entry remembers the last document that
 * counted it, so a document adds at most 1 to a feature's df however often it repeats it.
 */
#include "data/sparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "data/wordcount.h"

// ---- CSR ----

void csr_free(Csr *m)
{
    free(m->row_ptr);
    free(m->col);
    free(m->val);
    memset(m, 0, sizeof *m);
}

double csr_row_dot(const Csr *a, int i, const Csr *b, int j)
{
    DL_CHECK(a->n_cols == b->n_cols, "csr_row_dot: %d vs %d columns", a->n_cols, b->n_cols);
    int64_t p = a->row_ptr[i], pe = a->row_ptr[i + 1], q = b->row_ptr[j], qe = b->row_ptr[j + 1];
    double s = 0;
    while (p < pe && q < qe) {
        if (a->col[p] < b->col[q]) p++;
        else if (a->col[p] > b->col[q]) q++;
        else s += (double)a->val[p++] * b->val[q++];
    }
    return s;
}

double csr_row_cosine(const Csr *a, int i, const Csr *b, int j)
{
    double na = csr_row_dot(a, i, a, i), nb = csr_row_dot(b, j, b, j);
    if (na == 0 || nb == 0) return 0;
    return csr_row_dot(a, i, b, j) / sqrt(na * nb);
}

void csr_normalize_rows(Csr *m)
{
    for (int r = 0; r < m->n_rows; r++) {
        double s = 0;
        for (int64_t k = m->row_ptr[r]; k < m->row_ptr[r + 1]; k++) s += (double)m->val[k] * m->val[k];
        if (s == 0) continue;
        float inv = (float)(1 / sqrt(s));
        for (int64_t k = m->row_ptr[r]; k < m->row_ptr[r + 1]; k++) m->val[k] *= inv;
    }
}

// ---- hashing an n-gram: tokens joined by ' ' ----

// tok[0 … n) joined by ' ' into buf (large enough); returns the length.
static size_t join_ngram(char *const *tok, const int *len, int n, char *buf)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i) buf[k++] = ' ';
        memcpy(buf + k, tok[i], (size_t)len[i]);
        k += (size_t)len[i];
    }
    buf[k] = '\0';
    return k;
}

// Bytes a document's longest n-gram can need: all its tokens joined, plus the terminator.
static size_t doc_scratch(const TokenList *d, int *len)
{
    size_t total = 1;
    for (int i = 0; i < d->n; i++) {
        len[i] = (int)strlen(d->tok[i]);
        total += (size_t)len[i] + 1;
    }
    return total;
}

// ---- fitting ----

typedef struct Entry {
    uint64_t hash;
    int64_t off;             // in the pool
    int len, df, last_doc, order;
} Entry;

typedef struct Builder {
    Entry *e;
    int64_t n, cap;
    int *table;              // (size) entry ids, -1 empty
    int64_t size;
    char *pool;
    int64_t pool_n, pool_cap;
} Builder;

static void builder_grow_table(Builder *b)
{
    int64_t size = b->size ? b->size * 2 : 1 << 16;
    int *t = dl_malloc((size_t)size * sizeof *t, "n-gram hash table");
    memset(t, 0xff, (size_t)size * sizeof *t);
    for (int64_t i = 0; i < b->n; i++) {
        int64_t h = (int64_t)(b->e[i].hash & (uint64_t)(size - 1));
        while (t[h] >= 0) h = (h + 1) & (size - 1);
        t[h] = (int)i;
    }
    free(b->table);
    b->table = t;
    b->size = size;
}

// Count the n-gram s (length len, hash h) once for document d.
static void builder_add(Builder *b, const char *s, int len, uint64_t h, int d, int order)
{
    int64_t p = (int64_t)(h & (uint64_t)(b->size - 1));
    for (; b->table[p] >= 0; p = (p + 1) & (b->size - 1)) {
        Entry *e = &b->e[b->table[p]];
        if (e->hash == h && e->len == len && memcmp(b->pool + e->off, s, (size_t)len) == 0) {
            if (e->last_doc != d) { e->df++; e->last_doc = d; }
            return;
        }
    }
    DL_CHECK(b->n < INT32_MAX - 1, "sparse_vocab_fit: more than 2^31 distinct n-grams");
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1 << 15;
        b->e = realloc(b->e, (size_t)b->cap * sizeof *b->e);
        DL_CHECK(b->e, "out of memory: %lld n-gram entries", (long long)b->cap);
    }
    if (b->pool_n + len + 1 > b->pool_cap) {
        while (b->pool_n + len + 1 > b->pool_cap) b->pool_cap = b->pool_cap ? b->pool_cap * 2 : 1 << 20;
        b->pool = realloc(b->pool, (size_t)b->pool_cap);
        DL_CHECK(b->pool, "out of memory: %lld bytes of n-grams", (long long)b->pool_cap);
    }
    memcpy(b->pool + b->pool_n, s, (size_t)len + 1);
    b->e[b->n] = (Entry){.hash = h, .off = b->pool_n, .len = len, .df = 1, .last_doc = d,
                         .order = order};
    b->pool_n += len + 1;
    b->table[p] = (int)b->n++;
    if (2 * b->n > b->size) builder_grow_table(b);
}

static int64_t vocab_slot(const SparseVocab *v, const char *s, size_t len, uint64_t h)
{
    int64_t p = (int64_t)(h & (uint64_t)(v->table_size - 1));
    for (; v->table[p] >= 0; p = (p + 1) & (v->table_size - 1)) {
        int id = v->table[p];
        if (v->hash[id] == h && strncmp(v->feature[id], s, len) == 0 && v->feature[id][len] == '\0')
            return p;
    }
    return p;
}

bool sparse_vocab_fit(SparseVocab *v, const TokenList *docs, int n_docs, int ngram_max,
                      int min_df, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    if (ngram_max < 1 || ngram_max > SPARSE_NGRAM_MAX) {
        snprintf(err, errlen, "n-gram order %d is outside 1 … %d (1: words, 2: + bigrams, "
                 "3: + trigrams)", ngram_max, SPARSE_NGRAM_MAX);
        return false;
    }
    if (min_df < 1) {
        snprintf(err, errlen, "min_df %d: a feature must appear in at least 1 document (use >= 1)",
                 min_df);
        return false;
    }
    int64_t tokens = 0;
    for (int d = 0; d < n_docs; d++) tokens += docs[d].n;
    if (n_docs < 1 || tokens == 0) {
        snprintf(err, errlen, "empty corpus: %d document(s) with no token at all (check the data "
                 "folder and the tokenizer options)", n_docs);
        return false;
    }
    Builder b = {0};
    builder_grow_table(&b);
    char *buf = NULL;
    int *len = NULL;
    size_t buf_cap = 0;
    int len_cap = 0;
    for (int d = 0; d < n_docs; d++) {
        const TokenList *t = &docs[d];
        if (t->n > len_cap) {
            len_cap = t->n;
            free(len);
            len = dl_malloc((size_t)len_cap * sizeof *len, "token lengths");
        }
        size_t need = doc_scratch(t, len);
        if (need > buf_cap) {
            buf_cap = need;
            free(buf);
            buf = dl_malloc(buf_cap, "n-gram scratch");
        }
        for (int n = 1; n <= ngram_max; n++)
            for (int i = 0; i + n <= t->n; i++) {
                size_t k = join_ngram(t->tok + i, len + i, n, buf);
                builder_add(&b, buf, (int)k, word_hash(buf, k), d, n);
            }
    }
    free(buf);
    free(len);
    // keep df >= min_df, in order of first appearance
    int kept = 0, max_df = 0;
    int64_t bytes = 0;
    for (int64_t i = 0; i < b.n; i++) {
        v->n_seen[b.e[i].order]++;
        if (b.e[i].df > max_df) max_df = b.e[i].df;
        if (b.e[i].df >= min_df) { kept++; bytes += b.e[i].len + 1; }
    }
    if (kept == 0) {
        snprintf(err, errlen, "min_df %d leaves no feature: the most frequent n-gram is in %d of "
                 "the %d documents (lower min_df)", min_df, max_df, n_docs);
        free(b.e); free(b.table); free(b.pool);
        memset(v, 0, sizeof *v);
        return false;
    }
    v->ngram_max = ngram_max;
    v->min_df = min_df;
    v->n_docs = n_docs;
    v->n_features = kept;
    v->feature = dl_malloc((size_t)kept * sizeof *v->feature, "features");
    v->df = dl_malloc((size_t)kept * sizeof *v->df, "document frequencies");
    v->idf = dl_malloc((size_t)kept * sizeof *v->idf, "idf");
    v->hash = dl_malloc((size_t)kept * sizeof *v->hash, "feature hashes");
    v->pool = dl_malloc((size_t)bytes, "feature strings");
    v->table_size = 1;
    while (v->table_size < 2 * (int64_t)kept) v->table_size *= 2;
    v->table = dl_malloc((size_t)v->table_size * sizeof *v->table, "feature table");
    memset(v->table, 0xff, (size_t)v->table_size * sizeof *v->table);
    int c = 0;
    int64_t off = 0;
    for (int64_t i = 0; i < b.n; i++) {
        const Entry *e = &b.e[i];
        if (e->df < min_df) continue;
        memcpy(v->pool + off, b.pool + e->off, (size_t)e->len + 1);
        v->feature[c] = v->pool + off;
        off += e->len + 1;
        v->df[c] = e->df;
        v->idf[c] = (float)(log((double)n_docs / (1.0 + e->df)) + 1.0);
        v->hash[c] = e->hash;
        v->n_by_order[e->order]++;
        v->table[vocab_slot(v, v->feature[c], (size_t)e->len, e->hash)] = c;
        c++;
    }
    free(b.e);
    free(b.table);
    free(b.pool);
    return true;
}

void sparse_vocab_free(SparseVocab *v)
{
    free(v->feature);
    free(v->df);
    free(v->idf);
    free(v->pool);
    free(v->table);
    free(v->hash);
    memset(v, 0, sizeof *v);
}

int sparse_vocab_find(const SparseVocab *v, const char *feature)
{
    size_t n = strlen(feature);
    return v->table[vocab_slot(v, feature, n, word_hash(feature, n))];
}

// ---- counting ----

typedef struct Row {
    int n;
    int32_t *col;            // (n) ascending
    float *val;              // (n) counts
} Row;

typedef struct CountCtx {
    const SparseVocab *v;
    const TokenList *docs;
    Row *rows;
} CountCtx;

// Sort a[0 … n) ascending: quicksort (median of three) down to insertion sort below 16 elements —
// qsort's call per comparison was most of the counting time.
static void sort_ints(int *a, int n)
{
    while (n > 16) {
        int x = a[0], y = a[n / 2], z = a[n - 1];
        int pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {                                 // Hoare partition
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            int t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        // a[0 … j] <= pivot <= a[j+1 … n): recurse on the smaller side, loop on the larger
        if (j + 1 < n - j - 1) {
            sort_ints(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_ints(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (int i = 1; i < n; i++) {
        int v = a[i], k = i;
        for (; k > 0 && a[k - 1] > v; k--) a[k] = a[k - 1];
        a[k] = v;
    }
}

static void count_doc(void *ctx_, int d)
{
    CountCtx *ctx = ctx_;
    const SparseVocab *v = ctx->v;
    const TokenList *t = &ctx->docs[d];
    int *len = dl_malloc((size_t)(t->n + 1) * sizeof *len, "token lengths");
    char *buf = dl_malloc(doc_scratch(t, len), "n-gram scratch");
    int *ids = dl_malloc((size_t)(t->n * v->ngram_max + 1) * sizeof *ids, "feature ids");
    int m = 0;
    for (int n = 1; n <= v->ngram_max; n++)
        for (int i = 0; i + n <= t->n; i++) {
            size_t k = join_ngram(t->tok + i, len + i, n, buf);
            int id = v->table[vocab_slot(v, buf, k, word_hash(buf, k))];
            if (id >= 0) ids[m++] = id;
        }
    sort_ints(ids, m);
    Row *r = &ctx->rows[d];
    r->col = dl_malloc((size_t)(m + 1) * sizeof *r->col, "row columns");
    r->val = dl_malloc((size_t)(m + 1) * sizeof *r->val, "row values");
    r->n = 0;
    for (int i = 0; i < m; i++) {
        if (r->n > 0 && r->col[r->n - 1] == ids[i]) r->val[r->n - 1] += 1;
        else { r->col[r->n] = ids[i]; r->val[r->n] = 1; r->n++; }
    }
    free(ids);
    free(buf);
    free(len);
}

void sparse_count(const SparseVocab *v, const TokenList *docs, int n_docs, Csr *out)
{
    DL_CHECK(n_docs >= 0, "sparse_count: %d documents", n_docs);
    CountCtx ctx = {v, docs, dl_malloc((size_t)(n_docs + 1) * sizeof(Row), "rows")};
    parallel_for(n_docs, count_doc, &ctx);
    out->n_rows = n_docs;
    out->n_cols = v->n_features;
    out->row_ptr = dl_malloc((size_t)(n_docs + 1) * sizeof *out->row_ptr, "CSR row pointers");
    out->row_ptr[0] = 0;
    for (int d = 0; d < n_docs; d++) out->row_ptr[d + 1] = out->row_ptr[d] + ctx.rows[d].n;
    int64_t nnz = out->row_ptr[n_docs];
    out->col = dl_malloc((size_t)(nnz + 1) * sizeof *out->col, "CSR columns");
    out->val = dl_malloc((size_t)(nnz + 1) * sizeof *out->val, "CSR values");
    for (int d = 0; d < n_docs; d++) {
        Row *r = &ctx.rows[d];
        memcpy(out->col + out->row_ptr[d], r->col, (size_t)r->n * sizeof *r->col);
        memcpy(out->val + out->row_ptr[d], r->val, (size_t)r->n * sizeof *r->val);
        free(r->col);
        free(r->val);
    }
    free(ctx.rows);
}

void sparse_tfidf(const SparseVocab *v, Csr *m, bool sublinear)
{
    DL_CHECK(m->n_cols == v->n_features, "sparse_tfidf: matrix has %d columns, vocabulary %d",
             m->n_cols, v->n_features);
    int64_t nnz = csr_nnz(m);
    for (int64_t k = 0; k < nnz; k++) {
        float tf = m->val[k];
        if (sublinear && tf > 0) tf = 1 + logf(tf);
        m->val[k] = tf * v->idf[m->col[k]];
    }
    csr_normalize_rows(m);
}

void sparse_one_hot(const SparseVocab *v, const char *word, Csr *out)
{
    int id = sparse_vocab_find(v, word);
    out->n_rows = 1;
    out->n_cols = v->n_features;
    out->row_ptr = dl_malloc(2 * sizeof *out->row_ptr, "one-hot row");
    out->col = dl_malloc(sizeof *out->col, "one-hot column");
    out->val = dl_malloc(sizeof *out->val, "one-hot value");
    out->row_ptr[0] = 0;
    out->row_ptr[1] = id >= 0;
    out->col[0] = id >= 0 ? id : 0;
    out->val[0] = 1;
}
