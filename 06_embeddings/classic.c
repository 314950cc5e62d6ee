/* 06_embeddings/classic.c — section 2: the classical representations of a document, measured on
 * IMDb (Maas et al. 2011): one-hot, bag of words, n-grams, TF-IDF (data/sparse.h), and logistic
 * regression on them (logreg.c), beside the published anchors:
 *     TF-IDF + logistic regression ≈ 89–90 % (the lecture), NBSVM with bigrams 91.2 % (Wang &
 *     Manning, "Baselines and Bigrams", ACL 2012).
 * Every model: min_df 2, λ = 1/n, 10 epochs of AdaGrad (logreg.c); the same reviews, features and
 * penalty as scripts/bench_sklearn_tfidf.py.
 * Also classic_bench: the TF-IDF + bigram pipeline against scikit-learn's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "bench/peer.h"
#include "data/tokenize.h"

#include "classic.h"
#include "embed.h"

// The settings of every model in the table (and of the scikit-learn peer): features seen in
// fewer than 2 training reviews are dropped; L2 penalty λ = 1/n (scikit-learn's C = 1).
#define CLASSIC_MIN_DF 2
#define CLASSIC_EPOCHS 10
#define CLASSIC_TOP 15

// ---- tokenizing a split in parallel ----

typedef struct TokCtx {
    const ImdbSplit *s;
    TokenList *out;
} TokCtx;

static void tok_one(void *ctx_, int i)
{
    TokCtx *c = ctx_;
    TokenizeOptions o = TOKENIZE_DEFAULT;
    tokenize(c->s->text[i], c->s->len[i], &o, &c->out[i]);
}

// Token lists of every review of s (zeroed, then tokenized with TOKENIZE_DEFAULT).
static TokenList *tokenize_split(const ImdbSplit *s)
{
    TokenList *t = dl_malloc((size_t)(s->n + 1) * sizeof *t, "token lists");
    memset(t, 0, (size_t)(s->n + 1) * sizeof *t);
    TokCtx c = {s, t};
    parallel_for(s->n, tok_one, &c);
    return t;
}

static void free_tokens(TokenList *t, int n)
{
    for (int i = 0; i < n; i++) token_list_free(&t[i]);
    free(t);
}

// ---- one model of the table ----

typedef struct Model {
    const char *key, *label;
    int ngram_max;
    bool tfidf;
} Model;

typedef struct Result {
    double acc, vec_s, train_s;
    int features;
} Result;

static LogregOptions classic_options(const Chapter *ch, int n)
{
    return (LogregOptions){.epochs = CLASSIC_EPOCHS, .batch = 32, .l2 = 1.0f / (float)n,
                           .seed = ch->cli.seed};
}

// Fit the features on train (or use *keep_v when it already holds them: reused == true),
// vectorize both splits, train, test. The model is kept in *keep_lr and the vocabulary in *keep_v
// when they are non-NULL (else freed).
static Result run_model(const Chapter *ch, const Model *md, const TokenList *tr, const ImdbSplit *train,
                        const TokenList *te, const ImdbSplit *test, SparseVocab *keep_v, bool reused,
                        Logreg *keep_lr)
{
    Result r = {0};
    char err[512];
    double t0 = now_seconds();
    SparseVocab v;
    if (reused) v = *keep_v;
    else if (!sparse_vocab_fit(&v, tr, train->n, md->ngram_max, CLASSIC_MIN_DF, err, sizeof err))
        dl_die("%s: %s", md->label, err);
    Csr xtr, xte;
    sparse_count(&v, tr, train->n, &xtr);
    sparse_count(&v, te, test->n, &xte);
    if (md->tfidf) {
        sparse_tfidf(&v, &xtr, true);
        sparse_tfidf(&v, &xte, true);
    }
    double t1 = now_seconds();
    LogregOptions o = classic_options(ch, train->n);
    Logreg lr;
    logreg_train_csr(&xtr, train->label, &o, &lr);
    double t2 = now_seconds();
    r.acc = logreg_accuracy_csr(&lr, &xte, test->label);
    r.vec_s = t1 - t0;
    r.train_s = t2 - t1;
    r.features = v.n_features;
    csr_free(&xtr);
    csr_free(&xte);
    if (keep_lr) *keep_lr = lr;
    else logreg_free(&lr);
    if (keep_v) *keep_v = v;
    else if (!reused) sparse_vocab_free(&v);
    return r;
}

// ---- the section's parts ----

static void one_hot_part(Chapter *ch, const SparseVocab *v)
{
    static const char *const W[][2] = {{"brilliant", "awful"}, {"good", "great"}, {"good", "good"}};
    printf("One-hot: a word is a %d-wide vector with one 1 at its id.\n", v->n_features);
    for (int k = 0; k < 3; k++) {
        Csr a, b;
        sparse_one_hot(v, W[k][0], &a);
        sparse_one_hot(v, W[k][1], &b);
        double c = csr_row_cosine(&a, 0, &b, 0);
        printf("  cos(%-9s, %-6s) = %.1f   (ids %d and %d)\n", W[k][0], W[k][1], c,
               sparse_vocab_find(v, W[k][0]), sparse_vocab_find(v, W[k][1]));
        if (k == 1) metrics_set(&ch->metrics, "sparse_onehot_cos_good_great", c);
        csr_free(&a);
        csr_free(&b);
    }
    printf("  → any two different words are orthogonal: \"good\" is as far from \"great\" as from "
           "\"awful\".\n");
}

static void bow_part(Chapter *ch, const SparseVocab *v, const TokenList *tr, int n)
{
    Csr x;
    sparse_count(v, tr, n, &x);
    double nnz = (double)csr_nnz(&x);
    printf("\nBag of words: review d → counts x[d][j] of each word j (order lost). Training "
           "matrix %d × %d, %.0f nonzeros: %.1f distinct words per review, density %.3f %%.\n",
           x.n_rows, x.n_cols, nnz, nnz / n, 100 * nnz / ((double)n * x.n_cols));
    metrics_set(&ch->metrics, "sparse_bow_nnz_per_doc", nnz / n);
    // the first review's most frequent words: the commonest are function words
    int best[5] = {-1, -1, -1, -1, -1};
    for (int64_t k = x.row_ptr[0]; k < x.row_ptr[1]; k++)
        for (int s = 0; s < 5; s++) {
            if (best[s] < 0 || x.val[k] > x.val[best[s]]) {
                memmove(best + s + 1, best + s, (size_t)(4 - s) * sizeof *best);
                best[s] = (int)k;
                break;
            }
        }
    printf("  review 0's commonest words:");
    for (int s = 0; s < 5 && best[s] >= 0; s++)
        printf(" %s×%.0f", v->feature[x.col[best[s]]], x.val[best[s]]);
    printf("\n");
    csr_free(&x);
}

static void growth_part(Chapter *ch, const TokenList *tr, int n)
{
    SparseVocab v;
    char err[512];
    double t0 = now_seconds();
    if (!sparse_vocab_fit(&v, tr, n, 3, 1, err, sizeof err)) dl_die("n-gram growth: %s", err);
    printf("\nVocabulary growth with n (distinct n-grams in the %d training reviews, %.1f s):\n", n,
           now_seconds() - t0);
    printf("  %-9s %12s %14s %14s\n", "n-gram", "distinct", "cumulative", "df >= 2");
    static const char *const NAME[] = {"", "unigrams", "bigrams", "trigrams"};
    static const char *const KEY[] = {"", "uni", "bi", "tri"};
    int64_t cum = 0, kept[4] = {0};
    for (int j = 0; j < v.n_features; j++) {
        if (v.df[j] < CLASSIC_MIN_DF) continue;
        int order = 1;
        for (const char *c = v.feature[j]; *c; c++) order += *c == ' ';
        kept[order]++;
    }
    for (int k = 1; k <= 3; k++) {
        cum += v.n_seen[k];
        printf("  %-9s %12lld %14lld %14lld\n", NAME[k], (long long)v.n_seen[k], (long long)cum,
               (long long)kept[k]);
        metrics_setf(&ch->metrics, (double)v.n_seen[k], "sparse_vocab_%s", KEY[k]);
    }
    printf("  bigrams ×%.1f and trigrams ×%.1f the unigrams; %.0f %% of the trigrams appear in a "
           "single review — the sparsity that makes every n-gram a separate, rarely seen column\n",
           (double)v.n_seen[2] / v.n_seen[1], (double)v.n_seen[3] / v.n_seen[1],
           100.0 * (1 - (double)kept[3] / v.n_seen[3]));
    metrics_set(&ch->metrics, "sparse_trigram_hapax_pct", 100.0 * (1 - (double)kept[3] / v.n_seen[3]));
    sparse_vocab_free(&v);
}

static void idf_part(const SparseVocab *v)
{
    static const char *const W[] = {"the", "movie", "good", "brilliant", "awful", "hitchcock"};
    printf("\nTF-IDF: idf = ln(N / (1 + df)) + 1 with N = %d training reviews; tf' = 1 + ln tf "
           "(sublinear); rows L2-normalised.\n", v->n_docs);
    printf("  %-10s %8s %7s\n", "word", "df", "idf");
    for (size_t k = 0; k < sizeof W / sizeof W[0]; k++) {
        int j = sparse_vocab_find(v, W[k]);
        if (j < 0) continue;
        printf("  %-10s %8d %7.2f\n", W[k], v->df[j], v->idf[j]);
    }
}

// The k largest (sign +1) or smallest (-1) weights' columns, by selection (k is small).
static void top_k(const float *w, int D, int sign, int k, int *out)
{
    for (int s = 0; s < k; s++) out[s] = -1;
    for (int j = 0; j < D; j++) {
        float x = sign * w[j];
        for (int s = 0; s < k; s++)
            if (out[s] < 0 || x > sign * w[out[s]]) {
                memmove(out + s + 1, out + s, (size_t)(k - 1 - s) * sizeof *out);
                out[s] = j;
                break;
            }
    }
}

static void features_part(const SparseVocab *v, const Logreg *lr)
{
    int pos[CLASSIC_TOP], neg[CLASSIC_TOP];
    top_k(lr->w, lr->D, +1, CLASSIC_TOP, pos);
    top_k(lr->w, lr->D, -1, CLASSIC_TOP, neg);
    printf("\nThe TF-IDF model's strongest words (weight w_j):\n  %-24s %-24s\n", "positive",
           "negative");
    bool number = false;
    for (int s = 0; s < CLASSIC_TOP; s++) {
        printf("  %-16s %+6.2f   %-16s %+6.2f\n", pos[s] >= 0 ? v->feature[pos[s]] : "",
               pos[s] >= 0 ? lr->w[pos[s]] : 0, neg[s] >= 0 ? v->feature[neg[s]] : "",
               neg[s] >= 0 ? lr->w[neg[s]] : 0);
        for (int k = 0; k < 2; k++) {
            int j = k ? neg[s] : pos[s];
            if (j >= 0 && v->feature[j][0] >= '0' && v->feature[j][0] <= '9') number = true;
        }
    }
    if (number)
        printf("  (the numbers are the reviewers' own scores: \"7/10\" tokenizes to \"7\" \"10\")\n");
}

void sparse_section(Chapter *ch, const ImdbSplit *train, const ImdbSplit *test)
{
    Metrics *mt = &ch->metrics;
    double t0 = now_seconds();
    TokenList *tr = tokenize_split(train), *te = tokenize_split(test);
    printf("Tokenized %d training and %d test reviews (TOKENIZE_DEFAULT) in %.1f s.\n", train->n,
           test->n, now_seconds() - t0);
    metrics_set(mt, "sparse_tokenize_s", now_seconds() - t0);

    static const Model M[] = {
        {"bow", "bag of words (counts)", 1, false},
        {"tfidf", "TF-IDF", 1, true},
        {"tfidf_bigram", "TF-IDF + bigrams", 2, true},
    };
    Result r[3];
    SparseVocab v1;
    Logreg lr1;
    r[1] = run_model(ch, &M[1], tr, train, te, test, &v1, false, &lr1);
    one_hot_part(ch, &v1);
    bow_part(ch, &v1, tr, train->n);
    growth_part(ch, tr, train->n);
    idf_part(&v1);

    printf("\nLogistic regression (mini-batch AdaGrad, %d epochs, batch 32, λ = 1/n, min_df %d) on the "
           "%d test reviews:\n", CLASSIC_EPOCHS, CLASSIC_MIN_DF, test->n);
    r[0] = run_model(ch, &M[0], tr, train, te, test, &v1, true, NULL);   // the same unigrams
    r[2] = run_model(ch, &M[2], tr, train, te, test, NULL, false, NULL);
    printf("  %-24s %10s %9s %12s %10s\n", "features", "columns", "test acc", "vectorize s",
           "train s");
    for (int k = 0; k < 3; k++) {
        printf("  %-24s %10d %8.2f%% %12.1f %10.1f\n", M[k].label, r[k].features, r[k].acc,
               r[k].vec_s, r[k].train_s);
        metrics_setf(mt, r[k].acc, "sparse_%s_acc_pct", M[k].key);
        metrics_setf(mt, r[k].train_s, "sparse_%s_train_s", M[k].key);
        metrics_setf(mt, r[k].features, "sparse_%s_features", M[k].key);
    }
    printf("  %-24s %10s %8s%% %12s %10s   (the lecture)\n", "anchor: TF-IDF + LR", "", "89–90",
           "", "");
    printf("  %-24s %10s %8.1f%% %12s %10s   (Wang & Manning 2012)\n", "anchor: NBSVM bigrams", "",
           91.2, "", "");
    if (train->n < 25000)
        printf("  (--quick: %d training reviews; the anchors are for all 25,000)\n", train->n);
    features_part(&v1, &lr1);
    metrics_set(mt, "sparse_section_s", now_seconds() - t0);
    printf("\n(section 2: %.1f s)\n", now_seconds() - t0);
    logreg_free(&lr1);
    sparse_vocab_free(&v1);
    free_tokens(tr, train->n);
    free_tokens(te, test->n);
}

// ---- --bench: ours beside scikit-learn's ----

void classic_bench(const Cli *cli, Metrics *mt, const ImdbSplit *train, const ImdbSplit *test,
                   int per_class)
{
    double t0 = now_seconds();
    TokenList *tr = tokenize_split(train), *te = tokenize_split(test);
    Chapter ch = {.cli = *cli};
    static const Model M = {"tfidf_bigram", "TF-IDF + bigrams", 2, true};
    Result r = run_model(&ch, &M, tr, train, te, test, NULL, false, NULL);
    double ours = now_seconds() - t0;
    free_tokens(tr, train->n);
    free_tokens(te, test->n);
    printf("TF-IDF + bigrams + logistic regression on IMDb (%d train, %d test reviews), %d "
           "thread(s):\n", train->n, test->n, threads_get());
    printf("  %-14s %9s %9s %10s\n", "", "test acc", "seconds", "features");
    printf("  %-14s %8.2f%% %9.1f %10d   (tokenize + vectorize + train + test)\n", "ours", r.acc,
           ours, r.features);
    metrics_set(mt, "bench_tfidf_acc_pct", r.acc);
    metrics_set(mt, "bench_tfidf_s", ours);
    static const char *const KEYS[] = {"sklearn_acc_pct", "sklearn_seconds", "sklearn_features"};
    double val[3];
    char why[600], dir[700], per[32];
    // the script reads the same reviews: the folder and the per-class limit through its environment
    snprintf(dir, sizeof dir, "%s/%s", cli->data_dir, IMDB_DIR);
    snprintf(per, sizeof per, "%d", per_class);
    setenv("DL_IMDB_DIR", dir, 1);
    setenv("DL_IMDB_PER_CLASS", per, 1);
    if (peer_script_values(cli->argv ? cli->argv[0] : "./run", "bench_sklearn_tfidf.py",
                           threads_get(), 3, KEYS, val, why, sizeof why) < 3) {
        printf("  %-14s skipped: %s\n", "scikit-learn", why);
        return;
    }
    printf("  %-14s %8.2f%% %9.1f %10.0f   (vectorize + train + test; its own tokens)\n",
           "scikit-learn", val[0], val[1], val[2]);
    printf("  → ours is %.2f× scikit-learn's speed, %+.2f points of accuracy\n", val[1] / ours,
           r.acc - val[0]);
    metrics_set(mt, "bench_tfidf_sklearn_acc_pct", val[0]);
    metrics_set(mt, "bench_tfidf_sklearn_s", val[1]);
}
