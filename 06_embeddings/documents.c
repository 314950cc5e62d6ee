/* 06_embeddings/documents.c — document vectors (mean and TF-IDF pooling, a Deep Averaging
 * Network, a text CNN) measured on IMDb; see documents.h. Retrieval (section 9) is in
 * retrieval.c.
 *
 * Sources: Iyyer et al., "Deep Unordered Composition Rivals Syntactic Methods for Text
 * Classification", ACL 2015 (DAN, word dropout); Kim, "Convolutional Neural Networks for
 * Sentence Classification", EMNLP 2014 (filter widths 3, 4, 5, max over time, dropout 0.5);
 * Maas et al., ACL 2011 (the data); the lecture's idf = log(N / (1 + df)) + 1.
 */
#include "documents.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "data/tokenize.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/embedding.h"
#include "ops/regularize.h"
#include "ops/shape.h"
#include "optim/optimizer.h"
#include "train/eval.h"
#include "train/loop.h"

// ---- documents as word ids ----

void doc_ids_build(DocIds *d, char *const *texts, const size_t *len, const int *labels, int n,
                   const WordVectors *wv, int max_len)
{
    DL_CHECK(n >= 0 && max_len >= 0, "doc_ids_build: n = %d, max_len = %d; need both >= 0", n,
             max_len);
    *d = (DocIds){.n = n};
    d->start = dl_malloc((size_t)(n + 1) * sizeof *d->start, "document offsets");
    d->label = dl_malloc((size_t)(n > 0 ? n : 1) * sizeof *d->label, "document labels");
    size_t cap = 1 << 16, used = 0;
    d->ids = dl_malloc(cap * sizeof *d->ids, "document word ids");
    const TokenizeOptions opt = TOKENIZE_DEFAULT;
    TokenList tl = {0};
    for (int i = 0; i < n; i++) {
        d->start[i] = (int)used;
        d->label[i] = labels ? labels[i] : 0;
        tokenize(texts[i], len[i], &opt, &tl);
        d->n_tokens += tl.n;
        int kept = 0;
        for (int t = 0; t < tl.n; t++) {
            int id = wordvec_id(wv, tl.tok[t]);
            if (id < 0) { d->n_oov++; continue; }
            if (max_len && kept == max_len) { d->n_cut++; continue; }
            if (used == cap) {
                cap *= 2;
                int *grown = realloc(d->ids, cap * sizeof *d->ids);
                if (!grown) dl_die("out of memory: %zu word ids", cap);
                d->ids = grown;
            }
            d->ids[used++] = id;
            kept++;
        }
        DL_CHECK(used < (size_t)1 << 31, "doc_ids_build: more than 2^31 word ids; use max_len");
    }
    d->start[n] = (int)used;
    token_list_free(&tl);
}

void doc_ids_from_imdb(DocIds *d, const ImdbSplit *s, const WordVectors *wv, int max_len)
{
    doc_ids_build(d, s->text, s->len, s->label, s->n, wv, max_len);
}

void doc_ids_free(DocIds *d)
{
    free(d->start);
    free(d->ids);
    free(d->label);
    *d = (DocIds){0};
}

// df_v: the documents in which word v appears (counted once each); idf = log(N/(1+df)) + 1
void doc_idf(const DocIds *d, int V, float *idf)
{
    int *df = calloc((size_t)V, sizeof *df), *last = dl_malloc((size_t)V * sizeof *last, "idf");
    DL_CHECK(df != NULL, "out of memory: idf of %d words", V);
    for (int v = 0; v < V; v++) last[v] = -1;
    for (int i = 0; i < d->n; i++)
        for (int t = d->start[i]; t < d->start[i + 1]; t++) {
            int v = d->ids[t];
            DL_CHECK(v >= 0 && v < V, "doc_idf: word id %d outside [0, %d)", v, V);
            if (last[v] != i) { last[v] = i; df[v]++; }
        }
    for (int v = 0; v < V; v++) idf[v] = (float)(log((double)d->n / (1.0 + df[v])) + 1.0);
    free(df);
    free(last);
}

void doc_pool(const WordVectors *wv, const int *ids, int n, const float *weight, float *out)
{
    const int D = wv->D;
    memset(out, 0, (size_t)D * sizeof *out);
    double total = 0;
    for (int t = 0; t < n; t++) {
        const float w = weight ? weight[ids[t]] : 1.0f;
        const float *v = wv->vec + (size_t)ids[t] * D;
        for (int j = 0; j < D; j++) out[j] += w * v[j];
        total += w;
    }
    if (total == 0) return;
    const float s = (float)(1.0 / total);
    for (int j = 0; j < D; j++) out[j] *= s;
}

void doc_pool_all(const DocIds *d, const WordVectors *wv, const float *weight, float *out)
{
    for (int i = 0; i < d->n; i++)
        doc_pool(wv, d->ids + d->start[i], d->start[i + 1] - d->start[i], weight,
                 out + (size_t)i * wv->D);
}

void doc_unit_rows(float *x, int n, int D)
{
    for (int i = 0; i < n; i++) {
        float *r = x + (size_t)i * D;
        double ss = 0;
        for (int j = 0; j < D; j++) ss += (double)r[j] * r[j];
        if (ss == 0) continue;
        const float s = (float)(1.0 / sqrt(ss));
        for (int j = 0; j < D; j++) r[j] *= s;
    }
}

void doc_top_k(const float *docs, int n, int D, const float *q, int k, int *idx, float *sim)
{
    DL_CHECK(k >= 1 && k <= n, "doc_top_k: k = %d with %d documents; need 1 <= k <= n", k, n);
    float *best = dl_malloc((size_t)k * sizeof *best, "top-k scores");
    int have = 0;
    for (int i = 0; i < n; i++) {
        const float *r = docs + (size_t)i * D;
        float s = 0;
        for (int j = 0; j < D; j++) s += r[j] * q[j];
        if (have == k && !(s > best[k - 1])) continue;   // ties keep the lower row
        int p = have < k ? have++ : k - 1;
        while (p > 0 && s > best[p - 1]) {
            best[p] = best[p - 1];
            idx[p] = idx[p - 1];
            p--;
        }
        best[p] = s;
        idx[p] = i;
    }
    if (sim) memcpy(sim, best, (size_t)k * sizeof *sim);
    free(best);
}

void doc_dataset(const DocIds *d, int T, Dataset *out)
{
    DL_CHECK(T >= 1, "doc_dataset: T = %d; need T >= 1", T);
    dataset_alloc(out, "imdb-ids", d->n, T, 2);
    for (int i = 0; i < d->n; i++) {
        const int len = d->start[i + 1] - d->start[i];
        float *row = out->x + (size_t)i * T;
        for (int t = 0; t < T; t++) row[t] = t < len ? (float)d->ids[d->start[i] + t] : -1.0f;
        out->y[i] = d->label[i];
    }
}

void doc_dense_dataset(const float *x, const int *y, int n, int D, const char *name,
                       Dataset *out)
{
    dataset_alloc(out, name, n, D, 2);
    memcpy(out->x, x, (size_t)n * D * sizeof *x);
    memcpy(out->y, y, (size_t)n * sizeof *y);
}

// ---- logistic regression ----

typedef struct LogReg { Linear lin; } LogReg;

static Tensor *logreg_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train;
    (void)rng;
    return linear_forward(tp, &((LogReg *)net)->lin, batch_input(tp, b));
}

double doc_logreg(const Dataset *tr, const Dataset *te, int epochs, uint64_t seed,
                  double *train_acc)
{
    const int D = tr->dim;
    DL_CHECK(te->dim == D && epochs >= 1, "doc_logreg: train has %d features, test %d, %d "
             "epochs; need equal widths and epochs >= 1", D, te->dim, epochs);
    // standardise with the training set's statistics (both copies)
    Dataset a, t;
    dataset_slice(tr, 0, tr->n, &a);
    dataset_slice(te, 0, te->n, &t);
    for (int j = 0; j < D; j++) {
        double s = 0, ss = 0;
        for (int i = 0; i < a.n; i++) s += a.x[(size_t)i * D + j];
        const double mean = s / a.n;
        for (int i = 0; i < a.n; i++) {
            double c = a.x[(size_t)i * D + j] - mean;
            ss += c * c;
        }
        const double sd = sqrt(ss / a.n) + 1e-8;
        for (int i = 0; i < a.n; i++)
            a.x[(size_t)i * D + j] = (float)((a.x[(size_t)i * D + j] - mean) / sd);
        for (int i = 0; i < t.n; i++)
            t.x[(size_t)i * D + j] = (float)((t.x[(size_t)i * D + j] - mean) / sd);
    }
    Model m;
    model_init(&m, "06_embeddings/logreg");
    Rng rng;
    rng_seed(&rng, seed);
    LogReg lr;
    linear_init(&lr.lin, &m.params, D, 2, INIT_ZERO, &rng, &m.p);
    Batcher bt;
    batcher_init(&bt, &a, 100, true, &rng);
    TrainConfig tc = {.label = "logreg", .epochs = epochs, .opt = optim_defaults(OPT_ADAM)};
    tc.opt.lr = 0.01f;
    TrainTask task = {&m, &lr, logreg_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, &rng, &log);
    ClassifierEval e;
    eval_classifier(&m, &lr, logreg_forward, &t, 1000, false, &e);
    double acc = e.acc_pct;
    eval_free(&e);
    if (train_acc) {
        eval_classifier(&m, &lr, logreg_forward, &a, 1000, false, &e);
        *train_acc = e.acc_pct;
        eval_free(&e);
    }
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    dataset_free(&a);
    dataset_free(&t);
    return acc;
}

// ---- models trained end to end ----

Tensor *doc_embedding_init(Model *m, const WordVectors *wv, bool train)
{
    const int shape[2] = {wv->V, wv->D};
    Tensor *e = train ? tensor_param(&m->params, 2, shape, "emb")
                      : tensor_new(&m->params, 2, shape);
    tensor_copy_from(e, wv->vec, (size_t)wv->V * wv->D);
    if (train) params_add(&m->p, e);
    return e;
}

// The batch's ids (B, T), stored as floats, as ints on the step arena.
static int *batch_ids(Tape *tp, const Batch *b)
{
    const size_t n = (size_t)b->B * b->dim;
    int *ids = arena_alloc_uninit(tp->arena, n * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int)b->x[i];
    return ids;
}

void dan_init(Dan *n, Model *m, const WordVectors *wv, int T, int hidden, float word_dropout,
              Rng *r)
{
    DL_CHECK(T >= 1 && hidden >= 1 && word_dropout >= 0 && word_dropout < 1,
             "dan_init: T = %d, hidden = %d, word dropout %g; need T, hidden >= 1 and "
             "0 <= p < 1", T, hidden, (double)word_dropout);
    n->T = T;
    n->word_dropout = word_dropout;
    n->emb = doc_embedding_init(m, wv, true);
    params_scope(&m->p, "h1");
    linear_init(&n->h1, &m->params, wv->D, hidden, INIT_TORCH_DEFAULT, r, &m->p);
    params_scope(&m->p, "h2");
    linear_init(&n->h2, &m->params, hidden, hidden, INIT_TORCH_DEFAULT, r, &m->p);
    params_scope(&m->p, "out");
    linear_init(&n->out, &m->params, hidden, 2, INIT_TORCH_DEFAULT, r, &m->p);
    params_scope(&m->p, NULL);
}

Tensor *dan_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    Dan *n = net;
    DL_CHECK(b->dim == n->T, "dan_forward: batch rows of %d ids, the network expects T = %d",
             b->dim, n->T);
    int *ids = batch_ids(tp, b);
    if (train && n->word_dropout > 0) {   // drop words, keep the first when all would go
        for (int i = 0; i < b->B; i++) {
            int *row = ids + (size_t)i * n->T, first = row[0], kept = 0;
            for (int t = 0; t < n->T && row[t] >= 0; t++) {
                if (rng_uniform(rng) < n->word_dropout) row[t] = -1;
                else kept++;
            }
            if (!kept) row[0] = first;
        }
    }
    Tensor *h = op_embedding_mean(tp, n->emb, ids, b->B, n->T);
    h = op_relu(tp, linear_forward(tp, &n->h1, h));
    h = op_relu(tp, linear_forward(tp, &n->h2, h));
    return linear_forward(tp, &n->out, h);
}

void text_cnn_init(TextCnn *c, Model *m, const WordVectors *wv, int T, int filters,
                   float dropout, bool train_emb, Rng *r)
{
    static const int widths[TEXT_CNN_WIDTHS] = {3, 4, 5};
    DL_CHECK(T >= widths[TEXT_CNN_WIDTHS - 1] && filters >= 1 && dropout >= 0 && dropout < 1,
             "text_cnn_init: T = %d, %d filters, dropout %g; need T >= %d, filters >= 1 and "
             "0 <= dropout < 1", T, filters, (double)dropout, widths[TEXT_CNN_WIDTHS - 1]);
    c->T = T;
    c->D = wv->D;
    c->filters = filters;
    c->dropout = dropout;
    c->emb = doc_embedding_init(m, wv, train_emb);
    static const char *wname[TEXT_CNN_WIDTHS] = {"conv3.w", "conv4.w", "conv5.w"};
    static const char *bname[TEXT_CNN_WIDTHS] = {"conv3.b", "conv4.b", "conv5.b"};
    for (int i = 0; i < TEXT_CNN_WIDTHS; i++) {
        const int k = widths[i];
        c->width[i] = k;
        c->w[i] = tensor_param(&m->params, 4, (int[]){filters, c->D, 1, k}, wname[i]);
        c->b[i] = tensor_param(&m->params, 1, (int[]){filters}, bname[i]);
        // as nn.Conv1d(D, F, k): fan_in = D·k
        init_weights(c->w[i], c->b[i], INIT_TORCH_DEFAULT, k * c->D, filters * k * c->D, r);
        params_add(&m->p, c->w[i]);
        params_add(&m->p, c->b[i]);
    }
    params_scope(&m->p, "out");
    linear_init(&c->out, &m->params, TEXT_CNN_WIDTHS * filters, 2, INIT_TORCH_DEFAULT, r, &m->p);
    params_scope(&m->p, NULL);
}

Tensor *text_cnn_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    TextCnn *c = net;
    DL_CHECK(b->dim == c->T, "text_cnn_forward: batch rows of %d ids, the network expects "
             "T = %d", b->dim, c->T);
    int *ids = batch_ids(tp, b);
    Tensor *e = op_embedding_padded(tp, c->emb, ids, b->B * c->T);      // (B·T, D)
    e = op_transpose(tp, op_reshape(tp, e, 3, (int[]){b->B, c->T, c->D})); // (B, D, T)
    Tensor *x = op_reshape(tp, e, 4, (int[]){b->B, c->D, 1, c->T});     // D channels over time
    Tensor *feat[TEXT_CNN_WIDTHS];
    for (int i = 0; i < TEXT_CNN_WIDTHS; i++)   // (B, F, 1, T - k + 1) → max over time → (B, F)
        feat[i] = op_global_maxpool(tp, op_relu(tp, op_conv2d(tp, x, c->w[i], c->b[i], 1, 0)));
    Tensor *h = op_concat(tp, feat, TEXT_CNN_WIDTHS);
    h = op_dropout(tp, h, c->dropout, rng, train);
    return linear_forward(tp, &c->out, h);
}

float text_cnn_activation(const TextCnn *c, int wi, int f, const int *ids, int n, int t)
{
    const int k = c->width[wi], D = c->D;
    DL_CHECK(t >= 0 && t + k <= n, "text_cnn_activation: position %d, width %d, %d words", t, k,
             n);
    const float *w = c->w[wi]->data + (size_t)f * D * k;   // (D, 1, k)
    float a = c->b[wi]->data[f];
    for (int r = 0; r < k; r++) {
        const float *e = c->emb->data + (size_t)ids[t + r] * D;
        for (int j = 0; j < D; j++) a += w[(size_t)j * k + r] * e[j];
    }
    return a > 0 ? a : 0;
}

// ---- the section ----

void doc_space_free(DocSpace *s)
{
    free(s->idf);
    free(s->vec);
    free(s->index);
    free(s->label);
    *s = (DocSpace){0};
}

// Reviews of s to use: all, or the first per_class of each class (--quick).
static int pick_reviews(const ImdbSplit *s, int per_class, int *idx)
{
    int n = 0, seen[2] = {0, 0};
    for (int i = 0; i < s->n; i++) {
        int c = s->label[i] ? 1 : 0;
        if (per_class && seen[c] >= per_class) continue;
        seen[c]++;
        idx[n++] = i;
    }
    return n;
}

static void doc_ids_subset(DocIds *d, const ImdbSplit *s, const int *idx, int n,
                           const WordVectors *wv, int max_len)
{
    char **texts = dl_malloc((size_t)n * sizeof *texts, "review subset");
    size_t *len = dl_malloc((size_t)n * sizeof *len, "review subset");
    int *lab = dl_malloc((size_t)n * sizeof *lab, "review subset");
    for (int i = 0; i < n; i++) {
        texts[i] = s->text[idx[i]];
        len[i] = s->len[idx[i]];
        lab[i] = s->label[idx[i]];
    }
    doc_ids_build(d, texts, len, lab, n, wv, max_len);
    free(texts);
    free(len);
    free(lab);
}

// Every k-th example of src (i % k == k - 1) into held, the others into keep: a validation
// set with both classes in their proportions, whatever the order of src.
static void split_every(const Dataset *src, int k, Dataset *keep, Dataset *held)
{
    const int n_held = src->n / k, n_keep = src->n - n_held;
    dataset_alloc(keep, src->name, n_keep, src->dim, src->n_classes);
    dataset_alloc(held, src->name, n_held, src->dim, src->n_classes);
    int a = 0, b = 0;
    for (int i = 0; i < src->n; i++) {
        Dataset *to = i % k == k - 1 && b < n_held ? held : keep;
        int j = to == held ? b++ : a++;
        memcpy(to->x + (size_t)j * src->dim, src->x + (size_t)i * src->dim,
               (size_t)src->dim * sizeof(float));
        to->y[j] = src->y[i];
    }
}

// A run of an end-to-end model: train on tr, validate after every epoch on val and keep the
// parameters of the best validation epoch (train/loop.h), then test once; returns test acc.
static double train_doc_model(Chapter *ch, Model *m, void *net, ForwardFn fwd, const char *label,
                              const char *prefix, const Dataset *tr, const Dataset *val,
                              const Dataset *te, int epochs, int batch, float lr, Rng *rng,
                              double *secs)
{
    Batcher bt;
    batcher_init(&bt, tr, batch, true, rng);
    TrainConfig tc = {.label = label, .epochs = epochs, .opt = optim_defaults(OPT_ADAM),
                      .val = val, .eval_batch = 250, .keep_best = true, .print = true,
                      .metrics = &ch->metrics, .prefix = prefix, .cli = &ch->cli};
    tc.opt.lr = lr;
    TrainTask task = {m, net, fwd, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, rng, &log);
    *secs = log.seconds[log.epochs_run];
    ClassifierEval e;
    eval_classifier(m, net, fwd, te, 250, false, &e);
    double acc = e.acc_pct;
    printf("%s: best validation epoch %d; test accuracy %.2f %% (%d reviews)\n", label,
           log.best_epoch, acc, te->n);
    eval_free(&e);
    train_log_free(&log);
    batcher_free(&bt);
    return acc;
}

// The most frequent word ids of d (by occurrences), the top `k` into top (k).
static void top_words(const DocIds *d, int V, int k, int *top)
{
    long *cnt = calloc((size_t)V, sizeof *cnt);
    DL_CHECK(cnt != NULL, "out of memory: word counts");
    for (int t = 0; t < d->start[d->n]; t++) cnt[d->ids[t]]++;
    for (int i = 0; i < k; i++) {
        int best = -1;
        for (int v = 0; v < V; v++) {
            bool taken = false;
            for (int j = 0; j < i; j++) taken |= top[j] == v;
            if (!taken && (best < 0 || cnt[v] > cnt[best])) best = v;
        }
        top[i] = best;
    }
    free(cnt);
}

// Why mean pooling loses: the share of a pooled vector's weight that frequent words carry.
static void pooling_weights_report(Chapter *ch, const DocIds *tr, const WordVectors *wv,
                                   const float *idf)
{
    enum { TOP = 20 };
    int top[TOP];
    top_words(tr, wv->V, TOP, top);
    char *is_top = calloc((size_t)wv->V, 1);
    DL_CHECK(is_top != NULL, "out of memory");
    for (int i = 0; i < TOP; i++) is_top[top[i]] = 1;
    double mean_share = 0, tfidf_share = 0;
    int docs = 0;
    for (int i = 0; i < tr->n; i++) {
        double n_top = 0, n_all = 0, w_top = 0, w_all = 0;
        for (int t = tr->start[i]; t < tr->start[i + 1]; t++) {
            int v = tr->ids[t];
            n_all += 1;
            w_all += idf[v];
            if (is_top[v]) { n_top += 1; w_top += idf[v]; }
        }
        if (n_all == 0) continue;
        mean_share += n_top / n_all;
        tfidf_share += w_top / w_all;
        docs++;
    }
    mean_share = docs ? 100 * mean_share / docs : 0;
    tfidf_share = docs ? 100 * tfidf_share / docs : 0;
    printf("why mean pooling loses: the %d most frequent words (", TOP);
    for (int i = 0; i < 8; i++) printf("%s%s", i ? " " : "", wv->words[top[i]]);
    printf(" …) are %.1f %% of an average review's words, so they carry %.1f %% of its mean "
           "vector;\n  with TF-IDF weights they carry %.1f %%. idf (log(N/(1+df)) + 1, %d "
           "training reviews):", mean_share, mean_share, tfidf_share, tr->n);
    static const char *show[] = {"the", "and", "movie", "brilliant", "awful", "masterpiece"};
    for (size_t i = 0; i < sizeof show / sizeof show[0]; i++) {
        int v = wordvec_id(wv, show[i]);
        if (v >= 0) printf(" %s %.2f", show[i], (double)idf[v]);
    }
    printf("\n");
    metrics_set(&ch->metrics, "docs_top20_weight_mean_pct", mean_share);
    metrics_set(&ch->metrics, "docs_top20_weight_tfidf_pct", tfidf_share);
    free(is_top);
}

// The n-gram that most excites filter f of width wi: the top `K` distinct ones over docs.
static void print_top_ngrams(const TextCnn *c, const WordVectors *wv, const DocIds *d, int wi,
                             int f, int max_docs)
{
    enum { K = 5 };
    float best[K];
    int doc[K], pos[K], have = 0;
    const int k = c->width[wi];
    for (int i = 0; i < d->n && i < max_docs; i++) {
        const int *ids = d->ids + d->start[i];
        const int n = d->start[i + 1] - d->start[i];
        for (int t = 0; t + k <= n && t + k <= c->T; t++) {
            float a = text_cnn_activation(c, wi, f, ids, n, t);
            int same = -1;   // the same n-gram already listed: keep the larger activation
            for (int j = 0; j < have && same < 0; j++)
                if (!memcmp(ids + t, d->ids + d->start[doc[j]] + pos[j], (size_t)k * sizeof(int)))
                    same = j;
            if (same >= 0) {
                if (a <= best[same]) continue;
                for (int j = same; j + 1 < have; j++) {   // remove it, re-insert below
                    best[j] = best[j + 1];
                    doc[j] = doc[j + 1];
                    pos[j] = pos[j + 1];
                }
                have--;
            }
            if (have == K && a <= best[K - 1]) continue;
            int p = have < K ? have++ : K - 1;
            while (p > 0 && a > best[p - 1]) {
                best[p] = best[p - 1];
                doc[p] = doc[p - 1];
                pos[p] = pos[p - 1];
                p--;
            }
            best[p] = a;
            doc[p] = i;
            pos[p] = t;
        }
    }
    for (int j = 0; j < have; j++) {
        printf("%s\"", j ? ", " : "    ");
        for (int r = 0; r < k; r++)
            printf("%s%s", r ? " " : "", wv->words[d->ids[d->start[doc[j]] + pos[j] + r]]);
        printf("\" %.2f", (double)best[j]);
    }
    printf("\n");
}

// Filters of width 3 whose feature pushes the logits most towards positive / negative.
static void cnn_detectors_report(const TextCnn *c, const WordVectors *wv, const DocIds *te)
{
    const int F = c->filters;
    const float *w = c->out.w->data;   // (3F, 2)
    int pick[4] = {-1, -1, -1, -1};    // 2 most positive, 2 most negative
    for (int s = 0; s < 4; s++) {
        const float sign = s < 2 ? 1.0f : -1.0f;
        for (int f = 0; f < F; f++) {
            if (f == pick[0] || f == pick[1] || f == pick[2]) continue;
            float g = sign * (w[2 * f + 1] - w[2 * f]);
            if (pick[s] < 0 || g > sign * (w[2 * pick[s] + 1] - w[2 * pick[s]])) pick[s] = f;
        }
    }
    printf("learned trigram detectors (width-3 filters, top activations over %d test reviews):\n",
           te->n < 2000 ? te->n : 2000);
    for (int s = 0; s < 4 && s < F; s++) {
        const int f = pick[s];
        printf("  filter %d (head weight positive − negative %+.3f, a %s detector):\n", f,
               (double)(w[2 * f + 1] - w[2 * f]), s < 2 ? "positive" : "negative");
        print_top_ngrams(c, wv, te, 0, f, 2000);
    }
}

void documents_section(Chapter *ch, const ImdbSplit *train, const ImdbSplit *test,
                       const WordVectors *wv, DocSpace *space)
{
    const bool quick = ch->cli.quick;
    const int per_class = quick ? 1000 : 0;
    // Sizes for the time budget (≈ 2 minutes on 2 threads): the CNN, by far the costliest,
    // reads the first 256 words (a review has ≈ 240 on average, printed) with 50 filters per
    // width.
    const int T = quick ? 100 : 400, T_cnn = quick ? 100 : 256;
    const int dan_epochs = quick ? 5 : 4, cnn_epochs = quick ? 3 : 2, lr_epochs = quick ? 5 : 10;
    const int cnn_filters = quick ? 16 : 50;
    Metrics *mt = &ch->metrics;
    double t0 = now_seconds();

    int *itr = dl_malloc((size_t)train->n * sizeof *itr, "review indices");
    int *ite = dl_malloc((size_t)test->n * sizeof *ite, "review indices");
    int ntr = pick_reviews(train, per_class, itr), nte = pick_reviews(test, per_class, ite);
    DocIds dtr, dte;
    doc_ids_subset(&dtr, train, itr, ntr, wv, T);
    doc_ids_subset(&dte, test, ite, nte, wv, T);
    printf("reviews: %d train, %d test%s; words with a vector (%d words, D = %d) kept, the first "
           "%d of each review\n", ntr, nte, quick ? " (--quick: the first 1000 of each class)" : "",
           wv->V, wv->D, T);
    printf("train tokens %ld (%.0f per review): %.1f %% without a vector, %.1f %% beyond %d "
           "words; tokenized in %.1f s\n", dtr.n_tokens, (double)dtr.n_tokens / (ntr ? ntr : 1),
           100.0 * dtr.n_oov / (dtr.n_tokens ? dtr.n_tokens : 1),
           100.0 * dtr.n_cut / (dtr.n_tokens ? dtr.n_tokens : 1), T, now_seconds() - t0);

    // (a) mean pooling, (b) TF-IDF pooling, each + logistic regression
    const int D = wv->D;
    float *idf = dl_malloc((size_t)wv->V * sizeof *idf, "idf");
    doc_idf(&dtr, wv->V, idf);
    float *xtr = dl_malloc((size_t)ntr * D * sizeof *xtr, "pooled vectors");
    float *xte = dl_malloc((size_t)nte * D * sizeof *xte, "pooled vectors");
    double acc[4], secs[4], tracc[2];
    for (int method = 0; method < 2; method++) {
        double t = now_seconds();
        const float *w = method == 0 ? NULL : idf;
        doc_pool_all(&dtr, wv, w, xtr);
        doc_pool_all(&dte, wv, w, xte);
        Dataset a, b;
        doc_dense_dataset(xtr, dtr.label, ntr, D, "pooled-train", &a);
        doc_dense_dataset(xte, dte.label, nte, D, "pooled-test", &b);
        acc[method] = doc_logreg(&a, &b, lr_epochs, ch->cli.seed, &tracc[method]);
        secs[method] = now_seconds() - t;
        dataset_free(&a);
        dataset_free(&b);
    }
    printf("(a) mean pooling + logistic regression: test %.2f %% (train %.2f %%)\n", acc[0],
           tracc[0]);
    printf("(b) TF-IDF-weighted pooling + logistic regression: test %.2f %% (train %.2f %%)\n",
           acc[1], tracc[1]);
    pooling_weights_report(ch, &dtr, wv, idf);
    printf("TF-IDF weighting moves the weight from function words to content words, and changes "
           "the accuracy by %+.2f points here: either average of %d numbers has lost which of "
           "the %d words occurred, which the sparse TF-IDF + logistic regression of section 2 "
           "keeps; the end-to-end models below learn which words matter instead\n",
           acc[1] - acc[0], D, wv->V);

    // (c) DAN and (d) text CNN, end to end
    printf("the end-to-end models train on 9 of every 10 training reviews and keep the epoch "
           "with the lowest loss on the 10th (validation); the test set is used once, at the "
           "end\n");
    Dataset sall, str, sval, ste;
    doc_dataset(&dtr, T, &sall);
    split_every(&sall, 10, &str, &sval);
    dataset_free(&sall);
    doc_dataset(&dte, T, &ste);
    {
        Model m;
        model_init(&m, "06_embeddings/dan");
        Rng rng;
        rng_seed(&rng, ch->cli.seed);
        Dan dan;
        dan_init(&dan, &m, wv, T, 128, 0.3f, &rng);
        printf("(c) Deep Averaging Network: embeddings (%d, %d) from the word vectors, trained "
               "too → mean → 128 → 128 → 2, word dropout 0.3, Adam lr 1e-3, batch 64, %d "
               "epochs; %zu parameters\n", wv->V, D, dan_epochs, params_count(&m.p));
        acc[2] = train_doc_model(ch, &m, &dan, dan_forward, "DAN", "docs_dan", &str, &sval,
                                 &ste, dan_epochs, 64, 1e-3f, &rng, &secs[2]);
        model_free(&m);
    }
    Dataset ctr, cval, cte;
    const Dataset *ptr = &str, *pval = &sval, *pte = &ste;
    if (T_cnn != T) {
        doc_dataset(&dtr, T_cnn, &sall);
        split_every(&sall, 10, &ctr, &cval);
        dataset_free(&sall);
        doc_dataset(&dte, T_cnn, &cte);
        ptr = &ctr;
        pval = &cval;
        pte = &cte;
    }
    {
        Model m;
        model_init(&m, "06_embeddings/textcnn");
        Rng rng;
        rng_seed(&rng, ch->cli.seed);
        TextCnn cnn;
        text_cnn_init(&cnn, &m, wv, T_cnn, cnn_filters, 0.5f, false, &rng);
        printf("(d) text CNN: the word vectors fixed (CNN-static), %d filters of each width 3, "
               "4, 5 over %d words, ReLU, max over time, dropout 0.5, Adam lr 1e-3, batch 50, "
               "%d epochs; %zu trained parameters\n", cnn_filters, T_cnn, cnn_epochs,
               params_count(&m.p));
        acc[3] = train_doc_model(ch, &m, &cnn, text_cnn_forward, "TextCNN", "docs_cnn", ptr,
                                 pval, pte, cnn_epochs, 50, 1e-3f, &rng, &secs[3]);
        cnn_detectors_report(&cnn, wv, &dte);
        model_free(&m);
    }
    if (T_cnn != T) {
        dataset_free(&ctr);
        dataset_free(&cval);
        dataset_free(&cte);
    }
    dataset_free(&str);
    dataset_free(&sval);
    dataset_free(&ste);

    static const char *names[4] = {"mean", "tfidf", "dan", "cnn"};
    for (int i = 0; i < 4; i++) {   // main() prints them in one table with section 2's
        metrics_setf(mt, acc[i], "docs_%s_acc_pct", names[i]);
        metrics_setf(mt, secs[i], "docs_%s_s", names[i]);
    }
    metrics_set(mt, "docs_train_reviews", ntr);
    metrics_set(mt, "docs_test_reviews", nte);
    metrics_set(mt, "docs_section_s", now_seconds() - t0);
    printf("section time %.1f s\n", now_seconds() - t0);

    if (space) {   // the TF-IDF-pooled test reviews, unit length: retrieval's index
        *space = (DocSpace){.wv = wv, .idf = idf, .n = nte, .D = D};
        space->vec = dl_malloc((size_t)nte * D * sizeof(float), "document index");
        doc_pool_all(&dte, wv, idf, space->vec);
        doc_unit_rows(space->vec, nte, D);
        space->index = ite;
        space->label = dl_malloc((size_t)nte * sizeof(int), "document labels");
        memcpy(space->label, dte.label, (size_t)nte * sizeof(int));
        idf = NULL;
        ite = NULL;
    }
    free(idf);
    free(ite);
    free(itr);
    free(xtr);
    free(xte);
    doc_ids_free(&dtr);
    doc_ids_free(&dte);
}
