/* tests/test_sparse.c — chapter 6's sparse representations (common/data/sparse.c) and logistic
 * regression (06_embeddings/logreg.c, #included).
 *
 * TF-IDF against tests/fixtures/sparse_tfidf.txt (scripts/gen_fixtures_sparse.py: numpy, the
 * lecture's formulas) on a toy corpus — counts, df, idf, raw and sublinear TF-IDF, train and
 * test rows, unigrams and bigrams, min_df 1 and 2; the one-hot cosine; L2 norms; bad input.
 * Logistic regression: its gradient against central differences, AdaGrad's first step and its
 * end point (the gradient vanishes there, the lazy L2 shrink included), 100 % on separable data (sparse and dense), the same weights with 1 and 2 threads,
 * dense rows and CSR rows giving the same model. Section 2 (classic.c) end to end on synthetic
 * reviews (the real IMDb run is the chapter's golden test).
 */
#include "testutil.h"
#include "fixture.h"

#include <math.h>

#include "base/rng.h"
#include "base/threads.h"
#include "data/sparse.h"

#include "../06_embeddings/logreg.c"
#include "../06_embeddings/classic.c"

#define FIXTURE "tests/fixtures/sparse_tfidf.txt"

// the corpus of scripts/gen_fixtures_sparse.py
static const char *const TRAIN[] = {"the movie was good good good", "the movie was not good",
                                    "a brilliant brilliant film", "an awful film the end the end"};
static const char *const TEST[] = {"the good film was brilliant", "unseen words only"};

// ---- token lists by hand (white-space split; the tokenizer is tested in its own suite) ----

static void toks_from(const char *s, TokenList *t)
{
    *t = (TokenList){0};
    t->buf = strdup(s);
    t->tok = malloc((strlen(s) / 2 + 2) * sizeof *t->tok);
    for (char *p = strtok(t->buf, " "); p; p = strtok(NULL, " ")) t->tok[t->n++] = p;
}

static TokenList *docs_from(const char *const *s, int n)
{
    TokenList *d = calloc((size_t)n + 1, sizeof *d);
    for (int i = 0; i < n; i++) toks_from(s[i], &d[i]);
    return d;
}

static void docs_free(TokenList *d, int n)
{
    for (int i = 0; i < n; i++) {
        free(d[i].buf);
        free(d[i].tok);
    }
    free(d);
}

// A CSR matrix as a dense (rows, cols) array.
static float *densify(const Csr *m)
{
    float *x = calloc((size_t)m->n_rows * m->n_cols + 1, sizeof *x);
    for (int r = 0; r < m->n_rows; r++) {
        for (int64_t k = m->row_ptr[r]; k < m->row_ptr[r + 1]; k++) {
            ck_assert_msg(k == m->row_ptr[r] || m->col[k] > m->col[k - 1], "row %d: columns not ascending", r);
            x[(size_t)r * m->n_cols + m->col[k]] = m->val[k];
        }
    }
    return x;
}

static void ck_block(Fixture *f, const char *name, const Csr *m)
{
    FixBlock *b = fixture_get(f, name);
    ck_assert_int_eq(b->shape[0], m->n_rows);
    ck_assert_int_eq(b->shape[1], m->n_cols);
    float *x = densify(m);
    dl_ck_close(name, x, b->v, b->n, 1e-6, 1e-5);
    free(x);
}

// ---- TF-IDF against the numpy reference ----

START_TEST(test_tfidf_matches_numpy)
{
    static const struct { int ngram, min_df; const char *tag; } CASES[] = {
        {1, 1, "n1_df1"}, {2, 1, "n2_df1"}, {2, 2, "n2_df2"}};
    Fixture f;
    fixture_load(&f, FIXTURE);
    TokenList *tr = docs_from(TRAIN, 4), *te = docs_from(TEST, 2);
    for (int c = 0; c < 3; c++) {
        char err[256], name[64];
        SparseVocab v;
        ck_assert_msg(sparse_vocab_fit(&v, tr, 4, CASES[c].ngram, CASES[c].min_df, err, sizeof err), "%s", err);
        snprintf(name, sizeof name, "%s_df", CASES[c].tag);
        FixBlock *df = fixture_get(&f, name);
        ck_assert_int_eq(v.n_features, df->shape[0]);
        for (int j = 0; j < v.n_features; j++) ck_assert_int_eq(v.df[j], (int)df->v[j]);
        snprintf(name, sizeof name, "%s_idf", CASES[c].tag);
        dl_ck_close(name, v.idf, fixture_get(&f, name)->v, (size_t)v.n_features, 1e-6, 1e-6);
        Csr xtr, xte, raw;
        sparse_count(&v, tr, 4, &xtr);
        sparse_count(&v, tr, 4, &raw);
        sparse_count(&v, te, 2, &xte);
        snprintf(name, sizeof name, "%s_count_train", CASES[c].tag);
        ck_block(&f, name, &xtr);
        snprintf(name, sizeof name, "%s_count_test", CASES[c].tag);
        ck_block(&f, name, &xte);
        sparse_tfidf(&v, &raw, false);
        sparse_tfidf(&v, &xtr, true);
        sparse_tfidf(&v, &xte, true);
        snprintf(name, sizeof name, "%s_raw_train", CASES[c].tag);
        ck_block(&f, name, &raw);
        snprintf(name, sizeof name, "%s_sub_train", CASES[c].tag);
        ck_block(&f, name, &xtr);
        snprintf(name, sizeof name, "%s_sub_test", CASES[c].tag);
        ck_block(&f, name, &xte);
        ck_assert_int_eq(xte.row_ptr[2] - xte.row_ptr[1], 0);   // "unseen words only"
        csr_free(&xtr);
        csr_free(&xte);
        csr_free(&raw);
        sparse_vocab_free(&v);
    }
    docs_free(tr, 4);
    docs_free(te, 2);
    fixture_free(&f);
}
END_TEST

// Bigrams are features of their own, joined by one space, in reading order; min_df drops the rare.
START_TEST(test_bigrams_and_min_df)
{
    TokenList *tr = docs_from(TRAIN, 4);
    char err[256];
    SparseVocab v;
    ck_assert(sparse_vocab_fit(&v, tr, 4, 2, 1, err, sizeof err));
    ck_assert_int_eq(v.n_by_order[1], 11);
    ck_assert_int_eq(v.n_by_order[2], 14);
    ck_assert_int_eq(v.n_seen[2], 14);
    ck_assert_int_ge(sparse_vocab_find(&v, "not good"), 0);
    ck_assert_int_eq(sparse_vocab_find(&v, "good not"), -1);
    ck_assert_int_eq(sparse_vocab_find(&v, "notgood"), -1);
    ck_assert_int_eq(v.df[sparse_vocab_find(&v, "the movie")], 2);
    ck_assert_int_eq(v.df[sparse_vocab_find(&v, "the end")], 1);   // twice in one review: df 1
    sparse_vocab_free(&v);
    ck_assert(sparse_vocab_fit(&v, tr, 4, 2, 2, err, sizeof err));
    ck_assert_int_eq(v.n_features, 7);
    ck_assert_int_eq(v.n_by_order[2], 2);            // "the movie", "movie was"
    ck_assert_int_eq(sparse_vocab_find(&v, "not good"), -1);
    ck_assert_int_eq(v.n_seen[1], 11);               // counted before min_df
    sparse_vocab_free(&v);
    ck_assert(sparse_vocab_fit(&v, tr, 4, 3, 1, err, sizeof err));
    ck_assert_int_ge(sparse_vocab_find(&v, "was not good"), 0);
    ck_assert_int_eq(v.n_by_order[3], 13);
    sparse_vocab_free(&v);
    docs_free(tr, 4);
}
END_TEST

// A random corpus: every TF-IDF row has norm 1, the one-hot cosine of two words is 0.
START_TEST(test_norms_and_one_hot)
{
    enum { N = 300, WORDS = 40 };    // up to 119 n-grams a review: the sort's quicksort path
    char *s[N];
    Rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < N; i++) {
        s[i] = calloc(512, 1);
        int len = 1 + (int)rng_below(&r, 60);
        for (int k = 0; k < len; k++) {
            char w[16];
            snprintf(w, sizeof w, "%sw%u", k ? " " : "", rng_below(&r, WORDS));
            strcat(s[i], w);
        }
    }
    TokenList *d = docs_from((const char *const *)s, N);
    char err[256];
    SparseVocab v;
    ck_assert(sparse_vocab_fit(&v, d, N, 2, 1, err, sizeof err));
    Csr x;
    sparse_count(&v, d, N, &x);
    // counts: columns strictly ascending (densify checks), each n-gram counted once
    float *dense = densify(&x);
    for (int i = 0; i < N; i++) {
        double sum = 0;
        for (int j = 0; j < x.n_cols; j++) sum += dense[(size_t)i * x.n_cols + j];
        ck_assert_double_eq(sum, 2 * d[i].n - 1);
        ck_assert_double_eq(dense[(size_t)i * x.n_cols + sparse_vocab_find(&v, d[i].tok[0])] > 0, 1);
    }
    free(dense);
    sparse_tfidf(&v, &x, true);
    for (int i = 0; i < N; i++)
        ck_assert_double_eq_tol(csr_row_dot(&x, i, &x, i), 1.0, 1e-5);
    Csr a, b, c;
    sparse_one_hot(&v, "w3", &a);
    sparse_one_hot(&v, "w4", &b);
    sparse_one_hot(&v, "no-such-word", &c);
    ck_assert_int_eq(csr_nnz(&a), 1);
    ck_assert_double_eq(csr_row_cosine(&a, 0, &b, 0), 0.0);
    ck_assert_double_eq_tol(csr_row_cosine(&a, 0, &a, 0), 1.0, 1e-12);
    ck_assert_int_eq(csr_nnz(&c), 0);
    ck_assert_double_eq(csr_row_cosine(&a, 0, &c, 0), 0.0);
    csr_free(&a);
    csr_free(&b);
    csr_free(&c);
    csr_free(&x);
    sparse_vocab_free(&v);
    docs_free(d, N);
    for (int i = 0; i < N; i++) free(s[i]);
}
END_TEST

// Bad input: a clear message, no crash, nothing allocated.
START_TEST(test_bad_input_is_reported)
{
    char err[256];
    SparseVocab v;
    ck_assert(!sparse_vocab_fit(&v, NULL, 0, 1, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "empty corpus"), "%s", err);
    TokenList *empty = docs_from((const char *const[]){"", ""}, 2);
    ck_assert(!sparse_vocab_fit(&v, empty, 2, 1, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "empty corpus") && strstr(err, "2 document"), "%s", err);
    docs_free(empty, 2);
    TokenList *tr = docs_from(TRAIN, 4);
    ck_assert(!sparse_vocab_fit(&v, tr, 4, 1, 5, err, sizeof err));
    ck_assert_msg(strstr(err, "min_df 5") && strstr(err, "3 of the 4") && strstr(err, "lower min_df"), "%s", err);
    ck_assert(!sparse_vocab_fit(&v, tr, 4, 4, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "n-gram order 4"), "%s", err);
    ck_assert(!sparse_vocab_fit(&v, tr, 4, 1, 0, err, sizeof err));
    ck_assert_msg(strstr(err, "min_df 0"), "%s", err);
    docs_free(tr, 4);
}
END_TEST

// ---- logistic regression ----

// A random CSR matrix (n, D) with about `per_row` nonzeros per row, and labels.
static void random_csr(uint64_t seed, int n, int D, int per_row, Csr *m, int *y)
{
    Rng r;
    rng_seed(&r, seed);
    m->n_rows = n;
    m->n_cols = D;
    m->row_ptr = malloc((size_t)(n + 1) * sizeof *m->row_ptr);
    m->col = malloc((size_t)n * D * sizeof *m->col);
    m->val = malloc((size_t)n * D * sizeof *m->val);
    int64_t k = 0;
    m->row_ptr[0] = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++)
            if ((int)rng_below(&r, (uint32_t)D) < per_row) {
                m->col[k] = j;
                m->val[k++] = rng_uniform_range(&r, -1.5f, 1.5f);
            }
        m->row_ptr[i + 1] = k;
        y[i] = (int)rng_below(&r, 2);
    }
}

// ∂loss/∂w and ∂loss/∂b against central differences of the loss (in double).
START_TEST(test_logreg_gradient_matches_finite_differences)
{
    enum { N = 12, D = 9 };
    Csr x;
    int y[N];
    random_csr(3, N, D, 4, &x, y);
    float w[D], dw[D], db;
    Rng r;
    rng_seed(&r, 11);
    for (int j = 0; j < D; j++) w[j] = rng_uniform_range(&r, -1, 1);
    Logreg m = {.D = D, .w = w, .b = 0.3f};
    const float l2 = 0.05f, eps = 1e-2f;
    logreg_loss_csr(&m, &x, y, l2, dw, &db);
    for (int j = 0; j < D; j++) {
        float keep = w[j];
        w[j] = keep + eps;
        double up = logreg_loss_csr(&m, &x, y, l2, NULL, NULL);
        w[j] = keep - eps;
        double down = logreg_loss_csr(&m, &x, y, l2, NULL, NULL);
        w[j] = keep;
        ck_assert_double_eq_tol(dw[j], (up - down) / (2 * eps), 2e-4);
    }
    m.b = 0.3f + eps;
    double up = logreg_loss_csr(&m, &x, y, l2, NULL, NULL);
    m.b = 0.3f - eps;
    double down = logreg_loss_csr(&m, &x, y, l2, NULL, NULL);
    ck_assert_double_eq_tol(db, (up - down) / (2 * eps), 2e-4);
    // AdaGrad's first full-batch step from w = 0: −η g / |g| per weight, then the step's L2
    // shrink exp(−λ η / √G) with G = g²
    Logreg zero = {.D = D, .w = calloc(D, sizeof(float))}, step;
    float g0[D], gb0;
    logreg_loss_csr(&zero, &x, y, l2, g0, &gb0);
    LogregOptions o = {.epochs = 1, .batch = N, .lr = 0.5f, .l2 = l2, .seed = 1};
    logreg_train_csr(&x, y, &o, &step);
    for (int j = 0; j < D; j++)
        ck_assert_double_eq_tol(step.w[j], g0[j] == 0 ? 0 : -0.5 * g0[j] / fabsf(g0[j]) *
                                exp(-l2 * 0.5 / fabsf(g0[j])), 1e-6);
    ck_assert_double_eq_tol(step.b, -0.5 * gb0 / fabsf(gb0), 1e-6);
    logreg_free(&step);
    // trained to the end, mini-batches of 4 and the lazy shrink: the gradient is ~0 there
    LogregOptions lo = {.epochs = 400, .batch = 4, .lr = 0.5f, .l2 = l2, .seed = 3};
    logreg_train_csr(&x, y, &lo, &step);
    float gw[D], gbias;
    double at = logreg_loss_csr(&step, &x, y, l2, gw, &gbias);
    for (int j = 0; j < D; j++) ck_assert_msg(fabsf(gw[j]) < 2e-3f, "dloss/dw[%d] = %g at the end", j, gw[j]);
    ck_assert_msg(fabsf(gbias) < 2e-3f, "dloss/db = %g at the end", gbias);
    ck_assert_double_eq_tol(step.loss, at, 1e-6);
    logreg_free(&step);
    free(zero.w);
    csr_free(&x);
}
END_TEST

// Reviews made of "good"/"great" words are positive, of "bad"/"awful" words negative: 100 %.
START_TEST(test_logreg_separable_sparse_and_dense)
{
    enum { N = 200 };
    static const char *const POS[] = {"good", "great", "brilliant"}, *const NEG[] = {"bad", "awful", "dull"};
    static const char *const NEUTRAL[] = {"the", "movie", "a", "film", "and"};
    char *s[N];
    int y[N];
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        s[i] = calloc(256, 1);
        for (int k = 0; k < 8; k++) {
            strcat(s[i], k ? " " : "");
            strcat(s[i], k == 3 ? (y[i] ? POS : NEG)[rng_below(&r, 3)] : NEUTRAL[rng_below(&r, 5)]);
        }
    }
    TokenList *d = docs_from((const char *const *)s, N);
    char err[256];
    SparseVocab v;
    ck_assert(sparse_vocab_fit(&v, d, N, 1, 1, err, sizeof err));
    Csr x;
    sparse_count(&v, d, N, &x);
    sparse_tfidf(&v, &x, true);
    LogregOptions o = {.epochs = 20, .l2 = 1e-4f, .seed = 9};
    Logreg m;
    logreg_train_csr(&x, y, &o, &m);
    ck_assert_double_eq(logreg_accuracy_csr(&m, &x, y), 100.0);
    ck_assert_float_gt(m.w[sparse_vocab_find(&v, "great")], 0.5f);
    ck_assert_float_lt(m.w[sparse_vocab_find(&v, "awful")], -0.5f);
    ck_assert_float_lt(fabsf(m.w[sparse_vocab_find(&v, "the")]), m.w[sparse_vocab_find(&v, "great")]);
    // the same rows dense: the same model (zeros add nothing to a sum)
    float *xd = densify(&x);
    Logreg md;
    logreg_train_dense(xd, y, N, x.n_cols, &o, &md);
    dl_ck_close("dense vs CSR weights", md.w, m.w, (size_t)m.D, 1e-6, 1e-5);
    ck_assert_double_eq(logreg_accuracy_dense(&md, xd, y, N), 100.0);
    // two Gaussian clouds far apart, dense, unnormalised: the default learning rate copes
    enum { D = 5 };
    float g[N * D];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) g[i * D + j] = 3 * rng_normal(&r) + (y[i] ? 20.0f : -20.0f) * (j == 0);
    Logreg mg;
    LogregOptions og = {.seed = 2};
    logreg_train_dense(g, y, N, D, &og, &mg);
    ck_assert_double_eq(logreg_accuracy_dense(&mg, g, y, N), 100.0);
    ck_assert(isfinite(mg.loss) && mg.loss < 0.1f);
    logreg_free(&mg);
    logreg_free(&md);
    logreg_free(&m);
    free(xd);
    csr_free(&x);
    sparse_vocab_free(&v);
    docs_free(d, N);
    for (int i = 0; i < N; i++) free(s[i]);
}
END_TEST

// Same seed, 1 or 2 threads: the same counts and bit-identical weights.
START_TEST(test_same_result_with_1_and_2_threads)
{
    enum { N = 500, D = 300 };
    Csr x;
    int y[N];
    random_csr(21, N, D, 12, &x, y);
    LogregOptions o = {.epochs = 3, .batch = 64, .l2 = 1e-3f, .seed = 4};
    Logreg m[2];
    float p[2][N];
    for (int t = 0; t < 2; t++) {
        threads_set(t + 1);
        logreg_train_csr(&x, y, &o, &m[t]);
        logreg_predict_csr(&m[t], &x, p[t]);
    }
    ck_assert_int_eq(memcmp(m[0].w, m[1].w, D * sizeof(float)), 0);
    ck_assert(m[0].b == m[1].b);
    ck_assert_int_eq(memcmp(p[0], p[1], sizeof p[0]), 0);
    // the seed matters: another one gives other weights
    Logreg other;
    o.seed = 5;
    logreg_train_csr(&x, y, &o, &other);
    ck_assert_int_ne(memcmp(m[0].w, other.w, D * sizeof(float)), 0);
    // parallel counting
    char *s[N];
    Rng r;
    rng_seed(&r, 8);
    for (int i = 0; i < N; i++) {
        s[i] = calloc(400, 1);
        for (int k = 0; k < 40; k++) {
            char w[16];
            snprintf(w, sizeof w, "%sw%u", k ? " " : "", rng_below(&r, 100));
            strcat(s[i], w);
        }
    }
    TokenList *d = docs_from((const char *const *)s, N);
    char err[256];
    SparseVocab v;
    ck_assert(sparse_vocab_fit(&v, d, N, 2, 1, err, sizeof err));
    Csr c[2];
    for (int t = 0; t < 2; t++) {
        threads_set(t + 1);
        sparse_count(&v, d, N, &c[t]);
    }
    ck_assert(csr_nnz(&c[0]) == csr_nnz(&c[1]));
    ck_assert_int_eq(memcmp(c[0].col, c[1].col, (size_t)csr_nnz(&c[0]) * sizeof(int32_t)), 0);
    ck_assert_int_eq(memcmp(c[0].val, c[1].val, (size_t)csr_nnz(&c[0]) * sizeof(float)), 0);
    threads_set(1);
    for (int t = 0; t < 2; t++) {
        csr_free(&c[t]);
        logreg_free(&m[t]);
    }
    logreg_free(&other);
    sparse_vocab_free(&v);
    docs_free(d, N);
    for (int i = 0; i < N; i++) free(s[i]);
    csr_free(&x);
}
END_TEST

// ---- section 2 on synthetic reviews: every number it records, none of IMDb needed ----

static void synthetic_split(ImdbSplit *s, int n, uint64_t seed)
{
    static const char *const FILL[] = {"the", "movie", "was", "a", "plot", "and", "actors", "it's"};
    static const char *const POS[] = {"great", "brilliant", "loved"}, *const NEG[] = {"awful", "boring", "waste"};
    Rng r;
    rng_seed(&r, seed);
    *s = (ImdbSplit){.n = n, .text = calloc(n, sizeof(char *)), .len = calloc(n, sizeof(size_t)),
                     .label = calloc(n, sizeof(int)), .rating = calloc(n, sizeof(int)),
                     .id = calloc(n, sizeof(int))};
    for (int i = 0; i < n; i++) {
        s->label[i] = i >= n / 2;
        s->text[i] = calloc(512, 1);
        for (int k = 0; k < 12; k++) {
            strcat(s->text[i], k ? (k == 6 ? ".<br /><br />" : " ") : "");
            strcat(s->text[i], k % 4 == 1 ? (s->label[i] ? POS : NEG)[rng_below(&r, 3)]
                                          : FILL[rng_below(&r, 8)]);
        }
        s->len[i] = strlen(s->text[i]);
    }
}

static void synthetic_free(ImdbSplit *s)
{
    for (int i = 0; i < s->n; i++) free(s->text[i]);
    free(s->text);
    free(s->len);
    free(s->label);
    free(s->rating);
    free(s->id);
}

START_TEST(test_section_on_synthetic_reviews)
{
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    Chapter ch = {.name = "06_embeddings"};
    ch.cli.seed = 42;
    metrics_init(&ch.metrics, dir);
    ImdbSplit tr, te;
    synthetic_split(&tr, 80, 1);
    synthetic_split(&te, 40, 2);
    sparse_section(&ch, &tr, &te);
    double v;
    static const char *const ACC[] = {"sparse_bow_acc_pct", "sparse_tfidf_acc_pct", "sparse_tfidf_bigram_acc_pct"};
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(metrics_get(&ch.metrics, ACC[k], &v), "%s missing", ACC[k]);
        ck_assert_msg(v == 100.0, "%s = %g on separable reviews", ACC[k], v);
    }
    ck_assert(metrics_get(&ch.metrics, "sparse_onehot_cos_good_great", &v) && v == 0);
    double uni, bi, tri, f1, f2;
    ck_assert(metrics_get(&ch.metrics, "sparse_vocab_uni", &uni));
    ck_assert(metrics_get(&ch.metrics, "sparse_vocab_bi", &bi));
    ck_assert(metrics_get(&ch.metrics, "sparse_vocab_tri", &tri));
    ck_assert_double_eq(uni, 15);           // 9 filler tokens ("it's" → "it" "'s"), 3 + 3 sentiment
    ck_assert(bi > uni && tri > bi);
    ck_assert(metrics_get(&ch.metrics, "sparse_tfidf_features", &f1));
    ck_assert(metrics_get(&ch.metrics, "sparse_tfidf_bigram_features", &f2));
    ck_assert(f1 == uni && f2 > f1);        // every unigram is in 2+ of 80 reviews
    synthetic_free(&tr);
    synthetic_free(&te);
    metrics_free(&ch.metrics);
    dl_rm_rf(dir);
}
END_TEST

static Suite *sparse_suite(void)
{
    Suite *s = suite_create("sparse");
    TCase *tc = tcase_create("tfidf");
    tcase_add_test(tc, test_tfidf_matches_numpy);
    tcase_add_test(tc, test_bigrams_and_min_df);
    tcase_add_test(tc, test_norms_and_one_hot);
    tcase_add_test(tc, test_bad_input_is_reported);
    suite_add_tcase(s, tc);
    TCase *lr = tcase_create("logreg");
    tcase_add_test(lr, test_logreg_gradient_matches_finite_differences);
    tcase_add_test(lr, test_logreg_separable_sparse_and_dense);
    tcase_add_test(lr, test_same_result_with_1_and_2_threads);
    suite_add_tcase(s, lr);
    TCase *sec = tcase_create("section");
    tcase_add_test(sec, test_section_on_synthetic_reviews);
    suite_add_tcase(s, sec);
    return s;
}

DL_TEST_MAIN(sparse_suite)
