/* common/data/bpe.c — a byte-level BPE tokenizer: training, encoding, decoding, its file; see
 * data/bpe.h.
 *
 * The algorithm is Sennrich, Haddow & Birch (2016) on bytes (Radford et al. 2019), with the
 * semantics of Karpathy's minbpe BasicTokenizer: each merge takes the most frequent adjacent
 * pair of the current sequence (ties: the pair whose first occurrence comes first) and replaces
 * its occurrences left to right ("aaa" with (a,a) gives [z, a]).
 *
 * Training does not recount every pair after every merge (that is O(n) per merge). The text is a
 * doubly linked list of symbols; a hash table keeps, for every pair ever seen, its count and
 * the positions where it occurred (a position is the original byte offset of the pair's left
 * symbol, so position order is text order). A merge visits only its pair's positions, and
 * around each one updates the counts of the pairs that disappear (left neighbour, the pair,
 * right neighbour) and appear (left, new) and (new, right). Positions go stale as the text
 * changes; they are checked when used and compacted when a pair's first occurrence is needed.
 * The most frequent pair is found by a scan over the table (tens of thousands of pairs: cheap
 * next to the merges; Sennrich's reference implementation keeps the same kind of index).
 *
 * Encoding applies merges by rank: a min-heap of (rank, position) over the adjacent pairs
 * that are merges; popping one that is still valid merges it and pushes the new pairs with
 * its neighbours. New pairs always have a higher rank than the merge that made them (merge i
 * only involves ids below 256 + i), so this equals minbpe's "merge the lowest-rank pair
 * everywhere, then the next".
 */
#include "data/bpe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

#define BPE_MAX_V 65536
#define BPE_MAX_FILE (64u << 20)   // a tokenizer file of 65,280 merges is < 1 MB

// ---- a hash table from a pair of ids to a small integer ----
// region: pairmap

typedef struct PairMap {
    uint64_t *keys;   // (cap) left·2³² + right, or UINT64_MAX for an empty slot
    int *vals;        // (cap)
    size_t cap, n;
} PairMap;

static uint64_t pair_key(int a, int b) { return (uint64_t)(uint32_t)a << 32 | (uint32_t)b; }

static size_t pair_hash(uint64_t k, size_t cap)
{
    k *= 0x9E3779B97F4A7C15ull;   // Fibonacci hashing (Knuth, TAOCP vol. 3, 6.4)
    return (size_t)(k >> 32) & (cap - 1);
}

static void pairmap_init(PairMap *m, size_t cap)
{
    size_t c = 16;
    while (c < 2 * cap) c *= 2;
    m->cap = c;
    m->n = 0;
    m->keys = dl_malloc(c * sizeof *m->keys, "a BPE pair table");
    m->vals = dl_malloc(c * sizeof *m->vals, "a BPE pair table");
    memset(m->keys, 0xff, c * sizeof *m->keys);
}

static void pairmap_free(PairMap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t pairmap_slot(const PairMap *m, uint64_t k)
{
    size_t i = pair_hash(k, m->cap);
    while (m->keys[i] != UINT64_MAX && m->keys[i] != k) i = (i + 1) & (m->cap - 1);
    return i;
}

static int pairmap_get(const PairMap *m, int a, int b)
{
    size_t i = pairmap_slot(m, pair_key(a, b));
    return m->keys[i] == UINT64_MAX ? -1 : m->vals[i];
}

static void pairmap_grow(PairMap *m)
{
    PairMap bigger;
    pairmap_init(&bigger, m->cap);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == UINT64_MAX) continue;
        size_t j = pairmap_slot(&bigger, m->keys[i]);
        bigger.keys[j] = m->keys[i];
        bigger.vals[j] = m->vals[i];
    }
    bigger.n = m->n;
    pairmap_free(m);
    *m = bigger;
}

/* Insert (a, b) → val when absent; returns the value stored. */
static int pairmap_put(PairMap *m, int a, int b, int val)
{
    if (2 * (m->n + 1) > m->cap) pairmap_grow(m);
    uint64_t k = pair_key(a, b);
    size_t i = pairmap_slot(m, k);
    if (m->keys[i] != UINT64_MAX) return m->vals[i];
    m->keys[i] = k;
    m->vals[i] = val;
    m->n++;
    return val;
}

// ---- the tokenizer's tables ----
// region: tables

static void bpe_zero(Bpe *t) { memset(t, 0, sizeof *t); }

void bpe_free(Bpe *t)
{
    if (t->bytes)
        for (int i = 0; i < t->V; i++) free(t->bytes[i]);
    free(t->bytes);
    free(t->len);
    free(t->merges);
    bpe_zero(t);
}

/* Allocate V ids with their bytes from the merges (already in t->merges). */
static void bpe_build_bytes(Bpe *t)
{
    t->bytes = dl_malloc((size_t)t->V * sizeof *t->bytes, "BPE token bytes");
    t->len = dl_malloc((size_t)t->V * sizeof *t->len, "BPE token lengths");
    for (int i = 0; i < 256; i++) {
        t->bytes[i] = dl_malloc(1, "BPE token bytes");
        t->bytes[i][0] = (uint8_t)i;
        t->len[i] = 1;
    }
    for (int i = 0; i < t->n_merges; i++) {
        int a = t->merges[i][0], b = t->merges[i][1], z = 256 + i;
        t->len[z] = t->len[a] + t->len[b];
        t->bytes[z] = dl_malloc((size_t)t->len[z], "BPE token bytes");
        memcpy(t->bytes[z], t->bytes[a], (size_t)t->len[a]);
        memcpy(t->bytes[z] + t->len[a], t->bytes[b], (size_t)t->len[b]);
    }
}

// ---- training ----
// region: train

typedef struct PairStat {
    int a, b;
    long count;
    int first;        // earliest valid position, or -1 when unknown (recomputed on demand)
    int *pos;         // positions where the pair occurred (some stale)
    int n_pos, cap_pos;
} PairStat;

typedef struct Trainer {
    int *id, *prev, *next;   // (n) the linked list of symbols; id −1 = removed
    PairMap map;             // pair → index into st
    PairStat *st;
    int n_st, cap_st;
} Trainer;

static bool occurs_at(const Trainer *tr, const PairStat *s, int p)
{
    return tr->id[p] == s->a && tr->next[p] >= 0 && tr->id[tr->next[p]] == s->b;
}

static PairStat *stat_of(Trainer *tr, int a, int b)
{
    int k = pairmap_put(&tr->map, a, b, tr->n_st);
    if (k == tr->n_st) {
        if (tr->n_st == tr->cap_st) {
            tr->cap_st = tr->cap_st ? 2 * tr->cap_st : 1024;
            tr->st = realloc(tr->st, (size_t)tr->cap_st * sizeof *tr->st);
            if (!tr->st) dl_die("out of memory: BPE pair statistics (%d pairs)", tr->cap_st);
        }
        tr->st[k] = (PairStat){.a = a, .b = b, .first = -1};
        tr->n_st++;
    }
    return &tr->st[k];
}

static void stat_add(Trainer *tr, int a, int b, int p)
{
    PairStat *s = stat_of(tr, a, b);
    if (s->count == 0) s->first = p;
    else if (s->first >= 0 && p < s->first) s->first = p;
    s->count++;
    if (s->n_pos == s->cap_pos) {
        s->cap_pos = s->cap_pos ? 2 * s->cap_pos : 4;
        s->pos = realloc(s->pos, (size_t)s->cap_pos * sizeof *s->pos);
        if (!s->pos) dl_die("out of memory: BPE pair positions");
    }
    s->pos[s->n_pos++] = p;
}

static void stat_remove(Trainer *tr, int a, int b, int p)
{
    PairStat *s = &tr->st[pairmap_get(&tr->map, a, b)];
    s->count--;
    if (p == s->first) s->first = -1;
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* Drop stale positions (keeping order) and return the earliest valid one. */
static int stat_first(Trainer *tr, PairStat *s)
{
    if (s->first >= 0) return s->first;
    int m = 0, first = INT_MAX;
    for (int i = 0; i < s->n_pos; i++) {
        int p = s->pos[i];
        if (!occurs_at(tr, s, p)) continue;
        s->pos[m++] = p;
        first = p < first ? p : first;
    }
    s->n_pos = m;
    s->first = first;
    return first;
}

/* The pair to merge: the highest count, ties to the earliest first occurrence. */
static int best_pair(Trainer *tr)
{
    int best = -1;
    for (int k = 0; k < tr->n_st; k++) {
        PairStat *s = &tr->st[k];
        if (s->count <= 0) continue;
        if (best < 0 || s->count > tr->st[best].count) { best = k; continue; }
        if (s->count == tr->st[best].count &&
            stat_first(tr, s) < stat_first(tr, &tr->st[best]))
            best = k;
    }
    return best;
}

/* Replace the occurrences of st[k] by z, left to right, updating the neighbours' counts. */
static void apply_merge(Trainer *tr, int k, int z)
{
    // Copy the pair's positions: stat_add below may move tr->st (realloc).
    PairStat *s = &tr->st[k];
    int a = s->a, b = s->b, n_pos = s->n_pos;
    int *pos = s->pos;
    s->pos = NULL;
    s->n_pos = s->cap_pos = 0;
    qsort(pos, (size_t)n_pos, sizeof *pos, cmp_int);
    for (int i = 0; i < n_pos; i++) {
        int p = pos[i];
        if (tr->id[p] != a || tr->next[p] < 0 || tr->id[tr->next[p]] != b) continue;
        int q = tr->next[p], L = tr->prev[p], R = tr->next[q];
        if (L >= 0) stat_remove(tr, tr->id[L], a, L);
        stat_remove(tr, a, b, p);
        if (R >= 0) stat_remove(tr, b, tr->id[R], q);
        tr->id[p] = z;
        tr->id[q] = -1;
        tr->next[p] = R;
        if (R >= 0) tr->prev[R] = p;
        if (L >= 0) stat_add(tr, tr->id[L], z, L);
        if (R >= 0) stat_add(tr, z, tr->id[R], p);
    }
    free(pos);
}

static void trainer_free(Trainer *tr)
{
    for (int k = 0; k < tr->n_st; k++) free(tr->st[k].pos);
    free(tr->st);
    free(tr->id);
    free(tr->prev);
    free(tr->next);
    pairmap_free(&tr->map);
}

bool bpe_train(Bpe *t, const uint8_t *text, size_t n, int V, char *err, size_t errlen)
{
    bpe_zero(t);
    if (V < 256 || V > BPE_MAX_V) {
        snprintf(err, errlen, "BPE vocabulary size %d is out of range: a byte-level BPE has the "
                 "256 bytes plus its merges, so give a V from 256 to %d", V, BPE_MAX_V);
        return false;
    }
    if (n > (size_t)INT_MAX - 1) {
        snprintf(err, errlen, "BPE training text of %zu bytes is too long: train on at most "
                 "%d bytes (a sample of the corpus is enough)", n, INT_MAX - 1);
        return false;
    }
    int n_merges = V - 256;
    Trainer tr = {0};
    int m = (int)n;
    tr.id = dl_malloc((size_t)m * sizeof *tr.id, "BPE training");
    tr.prev = dl_malloc((size_t)m * sizeof *tr.prev, "BPE training");
    tr.next = dl_malloc((size_t)m * sizeof *tr.next, "BPE training");
    pairmap_init(&tr.map, 4096);
    for (int i = 0; i < m; i++) {
        tr.id[i] = text[i];
        tr.prev[i] = i - 1;
        tr.next[i] = i + 1 < m ? i + 1 : -1;
    }
    for (int i = 0; i + 1 < m; i++) stat_add(&tr, tr.id[i], tr.id[i + 1], i);
    t->merges = dl_malloc((size_t)(n_merges ? n_merges : 1) * sizeof *t->merges, "BPE merges");
    for (int i = 0; i < n_merges; i++) {
        int k = best_pair(&tr);
        if (k < 0) {
            snprintf(err, errlen, "BPE training ran out of pairs after %d merges: the text "
                     "(%zu bytes) is too short for a vocabulary of %d; give a longer text or a "
                     "V of at most %d", i, n, V, 256 + i);
            free(t->merges);
            bpe_zero(t);
            trainer_free(&tr);
            return false;
        }
        t->merges[i][0] = tr.st[k].a;
        t->merges[i][1] = tr.st[k].b;
        apply_merge(&tr, k, 256 + i);
    }
    trainer_free(&tr);
    t->V = V;
    t->n_merges = n_merges;
    bpe_build_bytes(t);
    return true;
}

// ---- encoding and decoding ----
// region: encode

/* A binary min-heap of (rank << 32 | position). */
typedef struct Heap {
    uint64_t *v;
    size_t n, cap;
} Heap;

static void heap_push(Heap *h, uint64_t x)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        if (!h->v) dl_die("out of memory: BPE encoding heap");
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2] > x) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
}

static uint64_t heap_pop(Heap *h)
{
    uint64_t top = h->v[0], x = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->v[c + 1] < h->v[c]) c++;
        if (h->v[c] >= x) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = x;
    return top;
}

size_t bpe_encode(const Bpe *t, const uint8_t *text, size_t n, int *out)
{
    DL_CHECK(n <= (size_t)INT_MAX - 1, "bpe_encode: %zu bytes is more than the %d it takes "
             "at once; encode the text in pieces", n, INT_MAX - 1);
    if (n == 0) return 0;
    int m = (int)n;
    int *id = dl_malloc((size_t)m * sizeof *id, "BPE encoding");
    int *next = dl_malloc((size_t)m * sizeof *next, "BPE encoding");
    int *prev = dl_malloc((size_t)m * sizeof *prev, "BPE encoding");
    PairMap rank;
    pairmap_init(&rank, (size_t)t->n_merges);
    for (int i = 0; i < t->n_merges; i++) pairmap_put(&rank, t->merges[i][0], t->merges[i][1], i);
    Heap h = {0};
    for (int i = 0; i < m; i++) {
        id[i] = text[i];
        prev[i] = i - 1;
        next[i] = i + 1 < m ? i + 1 : -1;
    }
    for (int i = 0; i + 1 < m; i++) {
        int r = pairmap_get(&rank, id[i], id[i + 1]);
        if (r >= 0) heap_push(&h, (uint64_t)r << 32 | (uint32_t)i);
    }
    while (h.n) {
        uint64_t x = heap_pop(&h);
        int r = (int)(x >> 32), p = (int)(uint32_t)x;
        int q = next[p];
        if (id[p] != t->merges[r][0] || q < 0 || id[q] != t->merges[r][1]) continue;   // stale
        int z = 256 + r, L = prev[p], R = next[q];
        id[p] = z;
        id[q] = -1;
        next[p] = R;
        if (R >= 0) prev[R] = p;
        int rl = L >= 0 ? pairmap_get(&rank, id[L], z) : -1;
        if (rl >= 0) heap_push(&h, (uint64_t)rl << 32 | (uint32_t)L);
        int rr = R >= 0 ? pairmap_get(&rank, z, id[R]) : -1;
        if (rr >= 0) heap_push(&h, (uint64_t)rr << 32 | (uint32_t)p);
    }
    size_t k = 0;
    for (int p = 0; p >= 0; p = next[p]) out[k++] = id[p];
    free(h.v);
    pairmap_free(&rank);
    free(id);
    free(next);
    free(prev);
    return k;
}

long bpe_decode(const Bpe *t, const int *ids, size_t n, uint8_t *out, size_t cap, char *err,
                size_t errlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->V) {
            snprintf(err, errlen, "token id %d at position %zu is outside the vocabulary "
                     "[0, %d): decode ids made by this tokenizer", ids[i], i, t->V);
            return -1;
        }
        size_t l = (size_t)t->len[ids[i]];
        if (k + l > cap || k + l > (size_t)LONG_MAX) {
            snprintf(err, errlen, "decoding %zu tokens needs more than the %zu bytes given "
                     "(ran out at token %zu): give a buffer of at least the tokens' bytes",
                     n, cap, i);
            return -1;
        }
        memcpy(out + k, t->bytes[ids[i]], l);
        k += l;
    }
    return (long)k;
}

// ---- the file ----
// region: file

bool bpe_save(const Bpe *t, const char *path, char *err, size_t errlen)
{
    FILE *f = atomic_open(path);
    if (!f) {
        snprintf(err, errlen, "cannot write the tokenizer to %s: %s (check that the folder "
                 "exists and is writable)", path, strerror(errno));
        return false;
    }
    fprintf(f, "dl-bpe 1 %d\n", t->V);
    for (int i = 0; i < t->n_merges; i++) fprintf(f, "%d %d\n", t->merges[i][0], t->merges[i][1]);
    if (!atomic_close(f, path)) {
        snprintf(err, errlen, "writing the tokenizer to %s failed: %s (disk full?)", path,
                 strerror(errno));
        return false;
    }
    return true;
}

/* A decimal integer of at most 9 digits at *p (no sign, no spaces); advances *p. */
static bool read_uint(const char **p, const char *end, long *v)
{
    const char *s = *p;
    long x = 0;
    int d = 0;
    while (s < end && *s >= '0' && *s <= '9' && d < 10) x = 10 * x + (*s++ - '0'), d++;
    if (d == 0 || d > 9) return false;
    *p = s;
    *v = x;
    return true;
}

/* The line that starts at p, without its '\n' (and a '\r' before it): [p, *line_end). */
static const char *line_end_of(const char *p, const char *end)
{
    const char *e = memchr(p, '\n', (size_t)(end - p));
    return e ? e : end;
}

#define PARSE_FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

bool bpe_parse(Bpe *t, const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
    bpe_zero(t);
    PairMap seen = {0};
    const char *p = buf, *end = buf + len;
    const char *fix = "write it with bpe_save (the chapter's tokenizer section) or train again";
    const char *e = line_end_of(p, end);
    const char *q = p;
    long V = 0, version = 0;
    static const char magic[] = "dl-bpe ";
    if ((size_t)(e - p) < sizeof magic - 1 || memcmp(p, magic, sizeof magic - 1) != 0)
        PARSE_FAIL("%s: line 1 is not a BPE tokenizer header (want \"dl-bpe 1 V\"): %s", name,
                   fix);
    q = p + sizeof magic - 1;
    if (!read_uint(&q, e, &version) || q >= e || *q != ' ')
        PARSE_FAIL("%s: line 1: bad header (want \"dl-bpe 1 V\"): %s", name, fix);
    if (version != 1)
        PARSE_FAIL("%s: line 1: tokenizer format version %ld, this program reads version 1: %s",
                   name, version, fix);
    q++;
    if (!read_uint(&q, e, &V) || !(q == e || (q + 1 == e && *q == '\r')))
        PARSE_FAIL("%s: line 1: bad vocabulary size in the header (want \"dl-bpe 1 V\" with a "
                   "number V): %s", name, fix);
    if (V < 256 || V > BPE_MAX_V)
        PARSE_FAIL("%s: line 1: vocabulary size %ld is out of range [256, %d]: %s", name, V,
                   BPE_MAX_V, fix);
    int n_merges = (int)V - 256;
    t->merges = dl_malloc((size_t)(n_merges ? n_merges : 1) * sizeof *t->merges, "BPE merges");
    pairmap_init(&seen, (size_t)n_merges);
    p = e < end ? e + 1 : end;
    for (int i = 0; i < n_merges; i++) {
        int line = i + 2;
        if (p >= end)
            PARSE_FAIL("%s: truncated: the header promises %d merges (V %ld) but the file ends "
                       "after %d (line %d): %s", name, n_merges, V, i, line, fix);
        e = line_end_of(p, end);
        q = p;
        long a, b;
        if (!read_uint(&q, e, &a) || q >= e || *q != ' ' || (q++, !read_uint(&q, e, &b)) ||
            !(q == e || (q + 1 == e && *q == '\r')))
            PARSE_FAIL("%s: line %d: want a merge \"left right\" (two token ids), got \"%.*s\": "
                       "%s", name, line, (int)(e - p < 60 ? e - p : 60), p, fix);
        if (a >= 256 + i || b >= 256 + i)
            PARSE_FAIL("%s: line %d: merge %d (%ld %ld) uses id %ld, but merge %d may only use "
                       "ids below %d (the bytes and earlier merges): %s", name, line, i, a, b,
                       a >= 256 + i ? a : b, i, 256 + i, fix);
        if (pairmap_put(&seen, (int)a, (int)b, i) != i)
            PARSE_FAIL("%s: line %d: merge %d (%ld %ld) repeats merge %d: %s", name, line, i, a,
                       b, pairmap_get(&seen, (int)a, (int)b), fix);
        t->merges[i][0] = (int)a;
        t->merges[i][1] = (int)b;
        p = e < end ? e + 1 : end;
    }
    if (p < end)
        PARSE_FAIL("%s: line %d: trailing data after the %d merges the header promises (V %ld): "
                   "%s", name, n_merges + 2, n_merges, V, fix);
    pairmap_free(&seen);
    t->V = (int)V;
    t->n_merges = n_merges;
    bpe_build_bytes(t);
    return true;
fail:
    if (seen.keys) pairmap_free(&seen);
    free(t->merges);
    bpe_zero(t);
    return false;
}

bool bpe_load(Bpe *t, const char *path, char *err, size_t errlen)
{
    bpe_zero(t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the tokenizer %s: %s (train one with the chapter's "
                 "tokenizer section, which saves bpe.txt in its out folder)", path,
                 strerror(errno));
        return false;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = dl_malloc(cap, "a tokenizer file");
    for (;;) {
        if (n == cap) {
            if (cap >= BPE_MAX_FILE) {
                snprintf(err, errlen, "%s is larger than %u bytes: not a tokenizer file (one "
                         "of %d merges is < 1 MB)", path, BPE_MAX_FILE, BPE_MAX_V - 256);
                free(buf);
                fclose(f);
                return false;
            }
            cap *= 2;
            char *b = realloc(buf, cap);
            if (!b) dl_die("out of memory: %zu bytes for the tokenizer %s", cap, path);
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        snprintf(err, errlen, "reading the tokenizer %s failed", path);
        free(buf);
        return false;
    }
    bool ok = bpe_parse(t, buf, n, path, err, errlen);
    free(buf);
    return ok;
}
