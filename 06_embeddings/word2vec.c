/* 06_embeddings/word2vec.c — see word2vec.h: skip-gram, CBOW and FastText's subword skip-gram with
 * negative sampling, and the chapter's Word2Vec and FastText sections.
 *
 * The training loop is word2vec.c's (Mikolov 2013), step by step:
 *   - the corpus is cut into "sentences" of W2V_SENTENCE kept words (text8 has no line breaks,
 *     so word2vec.c does the same); a window never crosses a sentence's end;
 *   - subsampling: a word seen `count` times of `total` is kept with probability
 *     (√(count/(t·total)) + 1)·t·total/count, drawn again every epoch (word2vec.c's formula,
 *     which is not the paper's 1 − √(t/f): it keeps a little more);
 *   - dynamic window: each centre draws b uniform in 1 … window and uses the words at distance
 *     <= b, so near words are trained more often (on average (window+1) context words per centre);
 *   - skip-gram: for each context word c of centre w, h = in[c], positive target w; CBOW: h =
 *     the mean of the context rows, positive target w, and dh added to every context row
 *     (word2vec.c with cbow 1 does not divide dh by the count; gensim's cbow_mean=1 neither);
 *   - K negatives drawn from the noise distribution; a negative equal to the positive is skipped
 *     (word2vec.c: `if (target == word) continue;`);
 *   - lr decays linearly from lr to lr·1e-4 over all epochs (word2vec.c: alpha = starting_alpha ·
 *     (1 − words done / (iter·train_words + 1)), floored at starting_alpha·1e-4), updated here at
 *     each sentence;
 *   - init: input rows uniform in (−1/D, 1/D), output rows 0 — gensim 4's prep_vectors and
 *     fastText's Matrix::uniform(1/dim); word2vec.c draws from (−0.5/D, 0.5/D). Measured on the
 *     text8 prefix, skip-gram on one thread, seeds 1–3: after 5 epochs ±0.5/D gives 3.21 / 3.32 /
 *     3.44 % analogy accuracy and ±1/D 3.84 / 4.31 / 4.44 % (gensim: 4.17 / 4.54 / 4.28 %); after
 *     15 epochs they agree (seeds 1–2: 7.44 / 7.97 % and 7.46 / 7.90 %).
 * FastText (Bojanowski et al. 2017; fastText's skipgram): input = the CENTRE word's rows (its own
 * and its n-grams'), h = their MEAN (fastText's computeHidden averages; the paper writes the
 * score as a sum over n-grams), target = each context word; the whole gradient dh is added to
 * every one of those rows (fastText's Model::update divides by the row count only for supervised
 * models). fastText discards frequent words with its own formula; here it is word2vec's for both,
 * so the two models see the same corpus.
 * Threads (rung v3_hogwild): thread t trains on the t-th contiguous slice of the corpus with its
 * own RNG (seed + t) and its own lr schedule (its progress through its slice), writing the shared
 * matrices without locks (Recht et al. 2011). Threads race on frequent rows: results vary from run
 * to run, as word2vec.c's and gensim's do with more than one worker.
 */
#include "word2vec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"

W2vConfig w2v_config_default(W2vArch arch)
{
    W2vConfig c = {
        .arch = arch, .noise = NOISE_UNIGRAM75, .D = 100, .window = 5, .negative = 5,
        .epochs = 5, .threads = 0, .lr = arch == W2V_SKIPGRAM ? 0.025f : 0.05f, .sample = 1e-4f,
        .seed = 1, .minn = 3, .maxn = 6, .buckets = 500000, .rung = NULL,
    };
    return c;
}

double w2v_keep_prob(int64_t count, int64_t total, double t)
{
    if (t <= 0.0 || count <= 0) return 1.0;
    double tt = t * (double)total;
    double keep = (sqrt((double)count / tt) + 1.0) * tt / (double)count;
    return keep < 1.0 ? keep : 1.0;
}

// ---- FastText's subwords ----
uint32_t fasttext_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = h ^ (uint32_t)(int8_t)s[i];
        h = h * 16777619u;
    }
    return h;
}

// Calls fn(ctx, ngram, len) for every n-gram of "<word>" (fastText's computeSubwords: start at
// each UTF-8 character, extend by whole characters, keep lengths minn … maxn, but never the lone
// "<" or ">").
typedef void (*NgramFn)(void *ctx, const char *g, size_t len);

static void for_each_ngram(const char *word, int minn, int maxn, NgramFn fn, void *ctx)
{
    size_t wl = strlen(word);
    char *w = dl_malloc(wl + 3, "fasttext n-grams");
    w[0] = '<';
    memcpy(w + 1, word, wl);
    w[wl + 1] = '>';
    w[wl + 2] = '\0';
    size_t len = wl + 2;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)w[i] & 0xC0) == 0x80) continue;      // inside a UTF-8 character
        size_t j = i;
        for (int nch = 1; j < len && nch <= maxn; nch++) {
            j++;
            while (j < len && ((unsigned char)w[j] & 0xC0) == 0x80) j++;
            if (nch >= minn && !(nch == 1 && (i == 0 || j == len))) fn(ctx, w + i, j - i);
        }
    }
    free(w);
}

typedef struct NgramText { char *out; size_t cap, used; int count; } NgramText;

static void ngram_text(void *ctx, const char *g, size_t len)
{
    NgramText *t = ctx;
    t->count++;
    size_t need = (t->used > 0 ? 1 : 0) + len;
    if (t->used + need + 1 > t->cap) return;                    // truncated: keep counting
    if (t->used > 0) t->out[t->used++] = ' ';
    memcpy(t->out + t->used, g, len);
    t->used += len;
    t->out[t->used] = '\0';
}

int fasttext_ngrams(const char *word, int minn, int maxn, char *out, size_t outlen)
{
    NgramText t = {out, outlen, 0, 0};
    if (outlen > 0) out[0] = '\0';
    for_each_ngram(word, minn, maxn, ngram_text, &t);
    return t.count;
}

typedef struct NgramRows { int *rows, max, count, V, buckets; } NgramRows;

static void ngram_row(void *ctx, const char *g, size_t len)
{
    NgramRows *r = ctx;
    if (r->count < r->max)
        r->rows[r->count++] = r->V + (int)(fasttext_hash(g, len) % (uint32_t)r->buckets);
}

int fasttext_ngram_rows(const char *word, int minn, int maxn, int V, int buckets, int *rows,
                        int max_rows)
{
    NgramRows r = {rows, max_rows, 0, V, buckets};
    for_each_ngram(word, minn, maxn, ngram_row, &r);
    return r.count;
}

#define FT_MAX_ROWS 512     // rows of one word: its own + n-grams (a 100-byte word has < 500)

void fasttext_word_vector(const W2vModel *m, const WordVocab *v, const char *word, float *out)
{
    DL_CHECK(m->cfg.arch == W2V_FASTTEXT, "fasttext_word_vector: the model is not FastText");
    int rows[FT_MAX_ROWS], n = 0;
    int id = word_vocab_id(v, word);
    if (id >= 0) rows[n++] = id;
    n += fasttext_ngram_rows(word, m->cfg.minn, m->cfg.maxn, m->V, m->cfg.buckets, rows + n,
                             FT_MAX_ROWS - n);
    for (int d = 0; d < m->D; d++) out[d] = 0.0f;
    for (int i = 0; i < n; i++) {
        const float *r = m->in + (size_t)rows[i] * m->D;
        for (int d = 0; d < m->D; d++) out[d] += r[d];
    }
    if (n > 0)
        for (int d = 0; d < m->D; d++) out[d] /= (float)n;
}

// ---- training ----
typedef struct Trainer {
    const W2vConfig *c;
    const W2vImpl *impl;
    W2vModel *m;
    const int *ids;
    size_t n;
    int T;                         // threads (slices)
    float *keep;                   // (V) subsampling keep probability
    W2vSampler noise;
    Rng *rng;                      // (T) one per thread, kept across epochs
    int epoch;
    double *loss;                  // (T) this epoch's summed loss, per thread
    int64_t *updates, *pairs, *kept;   // (T)
} Trainer;

// A fixed sample to watch the objective with: every (input, target) pair of the first
// W2V_FIXED_TOKENS corpus positions within the full window (no subsampling, no random window;
// CBOW: one per centre, its whole context averaged), each with K noise words from a generator
// seeded the same every time, scored with the weights frozen and the exact σ. Unlike the online loss it sees the same pairs after every epoch, so it
// falls as long as the model improves on them.
#define W2V_FIXED_TOKENS 20000

// −ln σ(u_target·x) − Σ_k ln σ(−u_{n_k}·x), K noise words drawn from r, exact and overflow-safe.
static double sgns_pair_loss(const float *x, const float *out, int target, const W2vSampler *noise,
                        Rng *r, int K, int D)
{
    double loss = 0.0;
    for (int k = 0; k <= K; k++) {
        const float *u = out + (size_t)(k == 0 ? target : w2v_sample(noise, r)) * D;
        double dot = 0.0;
        for (int d = 0; d < D; d++) dot += (double)x[d] * u[d];
        double z = k == 0 ? -dot : dot;             // −ln σ(−z) = ln(1 + e^z)
        loss += z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    }
    return loss;
}

static double fixed_sample_loss(const Trainer *tr)
{
    const W2vConfig *c = tr->c;
    const W2vModel *m = tr->m;
    const int D = m->D, W = c->window, K = c->negative;
    size_t N = tr->n < W2V_FIXED_TOKENS ? tr->n : W2V_FIXED_TOKENS;
    float *h = dl_malloc((size_t)D * sizeof *h, "w2v fixed-sample h");
    Rng r;
    rng_seed(&r, 0x9E3779B97F4A7C15ull);
    double loss = 0.0;
    int64_t terms = 0;
    for (size_t i = 0; i < N; i++) {
        size_t lo = i >= (size_t)W ? i - (size_t)W : 0, hi = i + (size_t)W < N ? i + W : N - 1;
        if (c->arch == W2V_CBOW) {                  // the context's mean predicts the centre
            for (int d = 0; d < D; d++) h[d] = 0.0f;
            for (size_t j = lo; j <= hi; j++)
                if (j != i) w2v_axpy(D, 1.0f / (float)(hi - lo), m->in + (size_t)tr->ids[j] * D, h);
            if (hi > lo) loss += sgns_pair_loss(h, m->out, tr->ids[i], &tr->noise, &r, K, D), terms++;
            continue;
        }
        for (size_t j = lo; j <= hi; j++) {
            if (j == i) continue;
            if (c->arch == W2V_FASTTEXT) {          // the centre's rows' mean predicts j
                int w = tr->ids[i], a = m->sub_start[w], ns = m->sub_start[w + 1] - a;
                for (int d = 0; d < D; d++) h[d] = 0.0f;
                for (int q = 0; q < ns; q++)
                    w2v_axpy(D, 1.0f / (float)ns, m->in + (size_t)m->sub_rows[a + q] * D, h);
                loss += sgns_pair_loss(h, m->out, tr->ids[j], &tr->noise, &r, K, D);
            } else {                                // skip-gram: the context's row predicts i
                loss += sgns_pair_loss(m->in + (size_t)tr->ids[j] * D, m->out, tr->ids[i], &tr->noise,
                                  &r, K, D);
            }
            terms++;
        }
    }
    free(h);
    return terms ? loss / (double)terms : 0.0;
}

// Train thread t's slice for one epoch.
static void train_slice(void *ctx, int t)
{
    Trainer *tr = ctx;
    const W2vConfig *c = tr->c;
    W2vModel *m = tr->m;
    const int D = m->D, W = c->window, K = c->negative;
    W2vUpdateFn update = tr->impl->update;
    size_t a = tr->n * (size_t)t / (size_t)tr->T, b = tr->n * (size_t)(t + 1) / (size_t)tr->T;
    double slice = (double)(b - a), total = slice * c->epochs + 1.0;
    Rng local = tr->rng[t], *r = &local;   // a private copy: the threads' generators would
                                           // share a cache line, written at every draw
    float *dh = dl_malloc((size_t)D * sizeof *dh, "w2v dh");
    float *h = dl_malloc((size_t)D * sizeof *h, "w2v h");
    int sent[W2V_SENTENCE], rows[W2V_MAX_TARGETS], sub[FT_MAX_ROWS];
    double loss = 0.0;
    int64_t updates = 0, pairs = 0, kept = 0;
    size_t pos = a;
    while (pos < b) {
        double done = (double)tr->epoch * slice + (double)(pos - a);
        float lr = c->lr * (float)(1.0 - done / total);
        if (lr < c->lr * 1e-4f) lr = c->lr * 1e-4f;
        int L = 0;
        for (; pos < b && L < W2V_SENTENCE; pos++) {
            int w = tr->ids[pos];
            if (tr->keep[w] < 1.0f && rng_uniform(r) >= tr->keep[w]) continue;
            sent[L++] = w;
        }
        kept += L;
        for (int i = 0; i < L; i++) {
            int w = sent[i];
            int bw = 1 + (int)rng_below(r, (uint32_t)W);        // window 1 … W
            int lo = i - bw < 0 ? 0 : i - bw, hi = i + bw >= L ? L - 1 : i + bw;
            if (c->arch == W2V_CBOW) {
                int cw = 0;
                for (int d = 0; d < D; d++) h[d] = 0.0f;
                for (int j = lo; j <= hi; j++) {
                    if (j == i) continue;
                    w2v_axpy(D, 1.0f, m->in + (size_t)sent[j] * D, h);
                    cw++;
                }
                if (cw == 0) continue;
                for (int d = 0; d < D; d++) h[d] /= (float)cw;
                int nr = 0;
                rows[nr++] = w;
                for (int k = 0; k < K; k++) {
                    int s = w2v_sample(&tr->noise, r);
                    if (s != w) rows[nr++] = s;
                }
                for (int d = 0; d < D; d++) dh[d] = 0.0f;
                loss += update(h, dh, m->out, rows, nr, D, lr);
                updates++;
                pairs++;
                for (int j = lo; j <= hi; j++)
                    if (j != i) w2v_axpy(D, 1.0f, dh, m->in + (size_t)sent[j] * D);
                continue;
            }
            int ns = 0;
            if (c->arch == W2V_FASTTEXT) {
                ns = m->sub_start[w + 1] - m->sub_start[w];
                memcpy(sub, m->sub_rows + m->sub_start[w], (size_t)ns * sizeof *sub);
            }
            for (int j = lo; j <= hi; j++) {
                if (j == i) continue;
                int target, nr = 0;
                float *x;                 // the input vector h
                if (c->arch == W2V_SKIPGRAM) {
                    x = m->in + (size_t)sent[j] * D;       // word2vec.c: h = the context's row
                    target = w;
                } else {                                   // FastText: the centre's rows' mean
                    float inv = 1.0f / (float)ns;
                    for (int d = 0; d < D; d++) h[d] = 0.0f;
                    for (int q = 0; q < ns; q++) w2v_axpy(D, inv, m->in + (size_t)sub[q] * D, h);
                    x = h;
                    target = sent[j];
                }
                rows[nr++] = target;
                for (int k = 0; k < K; k++) {
                    int s = w2v_sample(&tr->noise, r);
                    if (s != target) rows[nr++] = s;
                }
                for (int d = 0; d < D; d++) dh[d] = 0.0f;
                loss += update(x, dh, m->out, rows, nr, D, lr);
                updates++;
                pairs++;
                if (c->arch == W2V_SKIPGRAM) w2v_axpy(D, 1.0f, dh, x);
                else
                    for (int q = 0; q < ns; q++) w2v_axpy(D, 1.0f, dh, m->in + (size_t)sub[q] * D);
            }
        }
    }
    tr->rng[t] = local;
    tr->loss[t] = loss;
    tr->updates[t] = updates;
    tr->pairs[t] += pairs;
    tr->kept[t] += kept;
    free(dh);
    free(h);
}

static bool check_config(const W2vConfig *c, char *err, size_t errlen)
{
#define RANGE(cond, ...)                                                                          \
    if (!(cond)) {                                                                                \
        snprintf(err, errlen, __VA_ARGS__);                                                       \
        return false;                                                                             \
    }
    RANGE(c->D >= 1 && c->D <= 10000, "word2vec: dimension D = %d; use 1 … 10000 (--dim)", c->D);
    RANGE(c->window >= 1 && c->window <= 100, "word2vec: window = %d; use 1 … 100 (--window)",
          c->window);
    RANGE(c->negative >= 0 && c->negative < W2V_MAX_TARGETS,
          "word2vec: negative = %d; use 0 … %d (--negative)", c->negative, W2V_MAX_TARGETS - 1);
    RANGE(c->epochs >= 1 && c->epochs <= W2V_MAX_EPOCHS,
          "word2vec: epochs = %d; use 1 … %d (--epochs)", c->epochs, W2V_MAX_EPOCHS);
    RANGE(c->lr > 0.0f && c->lr <= 10.0f, "word2vec: learning rate %g; use (0, 10]", c->lr);
    RANGE(c->sample >= 0.0f && c->sample < 1.0f,
          "word2vec: sample = %g; use 0 (off) or a small threshold such as 1e-4 (--sample)",
          c->sample);
    RANGE(c->threads >= 0 && c->threads <= 64, "word2vec: threads = %d; use 0 … 64", c->threads);
    if (c->arch == W2V_FASTTEXT) {
        RANGE(c->minn >= 1 && c->maxn >= c->minn && c->maxn <= 20,
              "fasttext: n-gram lengths minn %d, maxn %d; need 1 <= minn <= maxn <= 20", c->minn,
              c->maxn);
        RANGE(c->buckets >= 1 && c->buckets <= 100000000,
              "fasttext: buckets = %d; use 1 … 100,000,000", c->buckets);
    }
    RANGE(c->arch == W2V_SKIPGRAM || c->arch == W2V_CBOW || c->arch == W2V_FASTTEXT,
          "word2vec: unknown architecture %d", (int)c->arch);
    RANGE(c->noise == NOISE_UNIGRAM75 || c->noise == NOISE_UNIFORM || c->noise == NOISE_UNIGRAM,
          "word2vec: unknown noise distribution %d", (int)c->noise);
#undef RANGE
    return true;
}

bool w2v_train_model(const WordVocab *v, const int *ids, size_t n, const W2vConfig *cfg,
                     W2vModel *m, W2vStats *st, char *err, size_t errlen)
{
    if (!check_config(cfg, err, errlen)) return false;
    if (n == 0 || v->V < 1) {
        snprintf(err, errlen, "word2vec: the corpus is empty (no word of the vocabulary in it); "
                 "give a text with words separated by white space, or lower --min-count");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= v->V) {
            snprintf(err, errlen, "word2vec: corpus position %zu holds id %d, outside the "
                     "vocabulary [0, %d); encode the text with word_vocab_encode", i, ids[i],
                     v->V);
            return false;
        }
    const KernelRung *rung = cfg->rung ? cfg->rung : ladder_selected(&W2V_LADDER);
    const W2vImpl *impl = w2v_impl(rung);
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->cfg.rung = rung;
    const W2vConfig *c = &m->cfg;
    int V = v->V, D = c->D;
    m->V = V;
    m->D = D;
    m->rows = (size_t)V + (c->arch == W2V_FASTTEXT ? (size_t)c->buckets : 0);
    m->in = dl_malloc(m->rows * (size_t)D * sizeof *m->in, "word2vec input vectors");
    m->out = dl_malloc((size_t)V * D * sizeof *m->out, "word2vec output vectors");
    memset(m->out, 0, (size_t)V * D * sizeof *m->out);
    Rng init;
    rng_seed(&init, c->seed ^ 0x5851F42D4C957F2Dull);
    float scale = 2.0f / (float)D;   // uniform in (−1/D, 1/D): see the top of this file
    for (size_t i = 0; i < m->rows * (size_t)D; i++)
        m->in[i] = (rng_uniform(&init) - 0.5f) * scale;
    if (c->arch == W2V_FASTTEXT) {
        int tmp[FT_MAX_ROWS];
        m->sub_start = dl_malloc(((size_t)V + 1) * sizeof *m->sub_start, "fasttext rows");
        size_t total = 0;
        for (int w = 0; w < V; w++)
            total += 1 + (size_t)fasttext_ngram_rows(v->words[w], c->minn, c->maxn, V, c->buckets,
                                                     tmp, FT_MAX_ROWS - 1);
        m->sub_rows = dl_malloc(total * sizeof *m->sub_rows, "fasttext rows");
        size_t at = 0;
        for (int w = 0; w < V; w++) {
            m->sub_start[w] = (int)at;
            m->sub_rows[at++] = w;
            at += (size_t)fasttext_ngram_rows(v->words[w], c->minn, c->maxn, V, c->buckets,
                                              m->sub_rows + at, FT_MAX_ROWS - 1);
        }
        m->sub_start[V] = (int)at;
    }

    Trainer tr = {.c = c, .impl = impl, .m = m, .ids = ids, .n = n};
    int saved_threads = threads_get();
    tr.T = 1;
    if (impl->hogwild) {
        tr.T = c->threads > 0 ? c->threads : saved_threads;
        if ((size_t)tr.T > n) tr.T = (int)n;
        if (tr.T != saved_threads) threads_set(tr.T);
    }
    int64_t total = 0;
    for (int w = 0; w < V; w++) total += v->count[w];
    tr.keep = dl_malloc((size_t)V * sizeof *tr.keep, "word2vec keep");
    double *weight = dl_malloc((size_t)V * sizeof *weight, "word2vec noise");
    for (int w = 0; w < V; w++) {
        tr.keep[w] = (float)w2v_keep_prob(v->count[w], total, c->sample);
        double cnt = (double)v->count[w];
        weight[w] = c->noise == NOISE_UNIFORM ? 1.0 : c->noise == NOISE_UNIGRAM ? cnt
                                                                                 : pow(cnt, 0.75);
    }
    w2v_sampler_init(&tr.noise, impl->sampler, weight, V,
                     impl->sampler == W2V_SAMPLER_TABLE ? W2V_UNIGRAM_TABLE : 0);
    free(weight);
    tr.rng = dl_malloc((size_t)tr.T * sizeof *tr.rng, "word2vec rng");
    for (int t = 0; t < tr.T; t++) rng_seed(&tr.rng[t], c->seed + (uint64_t)t);
    tr.loss = calloc((size_t)tr.T, sizeof *tr.loss);
    tr.updates = calloc((size_t)tr.T, sizeof *tr.updates);
    tr.pairs = calloc((size_t)tr.T, sizeof *tr.pairs);
    tr.kept = calloc((size_t)tr.T, sizeof *tr.kept);
    if (!tr.loss || !tr.updates || !tr.pairs || !tr.kept) dl_die("word2vec: out of memory");

    W2vStats s = {.epochs = c->epochs, .threads = tr.T, .rung = rung->name};
    double t0 = now_seconds();
    for (int e = 0; e < c->epochs; e++) {
        tr.epoch = e;
        if (tr.T == 1) train_slice(&tr, 0);
        else parallel_for(tr.T, train_slice, &tr);
        double l = 0.0;
        int64_t u = 0;
        for (int t = 0; t < tr.T; t++) { l += tr.loss[t]; u += tr.updates[t]; }
        s.loss[e] = u > 0 ? l / (double)u : 0.0;
        double tf = now_seconds();                  // not training time
        s.fixed_loss[e] = fixed_sample_loss(&tr);
        t0 += now_seconds() - tf;
    }
    s.seconds = now_seconds() - t0;
    for (int t = 0; t < tr.T; t++) { s.pairs += tr.pairs[t]; s.kept += tr.kept[t]; }
    s.words_per_s = s.seconds > 0 ? (double)n * c->epochs / s.seconds : 0.0;
    if (st) *st = s;
    if (threads_get() != saved_threads) threads_set(saved_threads);
    w2v_sampler_free(&tr.noise);
    free(tr.keep);
    free(tr.rng);
    free(tr.loss);
    free(tr.updates);
    free(tr.pairs);
    free(tr.kept);
    return true;
}

void w2v_model_vectors(const W2vModel *m, const WordVocab *v, WordVectors *out)
{
    wordvec_init(out, m->V, m->D, v->words);
    const int D = m->D;
    for (int w = 0; w < m->V; w++) {
        float *o = out->vec + (size_t)w * D;
        if (m->cfg.arch != W2V_FASTTEXT) {
            memcpy(o, m->in + (size_t)w * D, (size_t)D * sizeof *o);
            continue;
        }
        int a = m->sub_start[w], b = m->sub_start[w + 1];
        for (int d = 0; d < D; d++) o[d] = 0.0f;
        for (int q = a; q < b; q++) {
            const float *y = m->in + (size_t)m->sub_rows[q] * D;
            for (int d = 0; d < D; d++) o[d] += y[d];
        }
        for (int d = 0; d < D; d++) o[d] /= (float)(b - a);
    }
}

void w2v_model_free(W2vModel *m)
{
    free(m->in);
    free(m->out);
    free(m->sub_start);
    free(m->sub_rows);
    memset(m, 0, sizeof *m);
}

bool w2v_train(const WordVocab *v, const int *ids, size_t n, const W2vConfig *c,
               WordVectors *out, W2vStats *st, char *err, size_t errlen)
{
    W2vModel m;
    if (!w2v_train_model(v, ids, n, c, &m, st, err, errlen)) return false;
    w2v_model_vectors(&m, v, out);
    w2v_model_free(&m);
    return true;
}

// ---- the corpus ----
bool w2v_corpus_load(W2vCorpus *c, const char *path, size_t max_bytes, int min_count, char *err,
                     size_t errlen)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s); run `make data` or give --corpus FILE",
                 path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 20, n = 0;
    char *text = dl_malloc(cap, "corpus text");
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *t = realloc(text, cap);
            if (!t) dl_die("%s: out of memory reading %zu bytes", path, cap);
            text = t;
        }
        size_t want = cap - n;
        if (max_bytes > 0 && max_bytes + 1 - n < want) want = max_bytes + 1 - n;
        size_t got = fread(text + n, 1, want, f);
        n += got;
        if (got == 0 || (max_bytes > 0 && n > max_bytes)) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error; check the file", path);
        free(text);
        return false;
    }
    if (max_bytes > 0 && n > max_bytes) {           // cut at the last white space
        n = max_bytes;
        while (n > 0 && !strchr(" \t\n\r\v\f", text[n - 1])) n--;
    }
    bool ok = word_vocab_build(&c->vocab, text, n, min_count, err, errlen);
    if (ok && !word_vocab_encode(&c->vocab, text, n, &c->ids, &c->n, &c->n_dropped, err, errlen)) {
        word_vocab_free(&c->vocab);
        ok = false;
    }
    free(text);
    if (!ok) {
        char why[400];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", path, why);
        return false;
    }
    c->raw_words = c->vocab.n_tokens;
    snprintf(c->path, sizeof c->path, "%s", path);
    return true;
}

void w2v_corpus_free(W2vCorpus *c)
{
    word_vocab_free(&c->vocab);
    free(c->ids);
    memset(c, 0, sizeof *c);
}
