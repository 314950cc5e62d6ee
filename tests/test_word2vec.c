/* tests/test_word2vec.c — the skip-gram kernel ladder (kernels/word2vec.h) and the Word2Vec /
 * FastText trainer (06_embeddings/word2vec.c, #included).
 *
 * Checks: every rung's update against v0's (v1 to float rounding, v2 to the σ table's measured
 * error); the update against finite differences of the SGNS loss; the σ table's error bound; the
 * alias and unigram-table samplers' frequencies over 1e6 draws; the subsampling keep probability;
 * the dynamic window's expected pair count; determinism (same seed → same vectors; v3 with one
 * thread = v2); fastText's FNV-1a hash and n-grams; a small training run whose loss falls; bad
 * configurations and corpora refused with a message.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/rng.h"
#include "base/threads.h"
#include "kernels/word2vec.h"

#include "../06_embeddings/word2vec.c"

// Random h (D), dh = 0, U (R rows), rows[0 … n).
static void random_update_inputs(Rng *r, int D, int R, float *h, float *U, float scale)
{
    for (int d = 0; d < D; d++) h[d] = (rng_uniform(r) - 0.5f) * scale;
    for (int i = 0; i < R * D; i++) U[i] = (rng_uniform(r) - 0.5f) * scale;
}

START_TEST(test_rungs_agree_with_v0)
{
    const int Ds[] = {100, 37, 8, 1}, R = 20, n = 6;
    const int rows[6] = {3, 7, 0, 19, 7, 12};     // a repeated negative: updated twice
    for (size_t di = 0; di < sizeof Ds / sizeof Ds[0]; di++) {
        int D = Ds[di];
        Rng r;
        rng_seed(&r, 42 + (uint64_t)D);
        float h[100], U0[20 * 100], h0[100], dh0[100] = {0};
        random_update_inputs(&r, D, R, h, U0, 1.0f);
        memcpy(h0, h, sizeof h);
        float Uref[20 * 100];
        memcpy(Uref, U0, sizeof U0);
        const W2vImpl *v0 = w2v_impl(&W2V_LADDER.rungs[0]);
        float loss0 = v0->update(h0, dh0, Uref, rows, n, D, 0.1f);
        double tab_err = w2v_sigmoid_table_max_error();
        for (int k = 1; k < W2V_LADDER.n_rungs; k++) {
            const KernelRung *rung = &W2V_LADDER.rungs[k];
            float U[20 * 100], dh[100] = {0};
            memcpy(U, U0, sizeof U0);
            float loss = w2v_impl(rung)->update(h, dh, U, rows, n, D, 0.1f);
            bool table = strstr(rung->name, "table") || strstr(rung->name, "hogwild");
            // g = lr·(l − σ): the table moves σ by at most tab_err, so g by 0.1·tab_err, and
            // dh and U by |g error|·|u|, |h| (< 0.5) per target (6 targets).
            double atol = table ? 6 * 0.1 * tab_err * 0.5 * 1.5 : 1e-6;
            char what[96];
            snprintf(what, sizeof what, "%s dh (D=%d)", rung->name, D);
            dl_ck_close(what, dh, dh0, (size_t)D, atol, 1e-5);
            snprintf(what, sizeof what, "%s U (D=%d)", rung->name, D);
            dl_ck_close(what, U, Uref, (size_t)(R * D), atol, 1e-5);
            // the loss from the −log σ table: its slope is < 1, so off by < one bin (12/1000)
            ck_assert_msg(fabsf(loss - loss0) <= (table ? 6 * 0.013f : 1e-5f),
                          "%s loss %g vs v0 %g", rung->name, loss, loss0);
        }
    }
}
END_TEST

// L(h, U) = −log σ(u_0·h) − Σ_k log σ(−u_k·h), in double.
static double sgns_loss(const float *h, const float *U, const int *rows, int n, int D)
{
    double L = 0;
    for (int t = 0; t < n; t++) {
        double f = 0;
        for (int d = 0; d < D; d++) f += (double)h[d] * U[(size_t)rows[t] * D + d];
        double x = t == 0 ? f : -f;
        L += log1p(exp(-x));
    }
    return L;
}

START_TEST(test_update_is_minus_lr_times_the_gradient)
{
    // With distinct rows, v0's dh = −lr·∂L/∂h and its change of u_c = −lr·∂L/∂u_c.
    const int D = 12, R = 6, n = 4, rows[4] = {2, 0, 5, 3};
    const float lr = 0.5f;
    Rng r;
    rng_seed(&r, 7);
    float h[12], U[6 * 12], dh[12] = {0}, Unew[6 * 12];
    random_update_inputs(&r, D, R, h, U, 2.0f);
    memcpy(Unew, U, sizeof U);
    w2v_impl(&W2V_LADDER.rungs[0])->update(h, dh, Unew, rows, n, D, lr);
    const double eps = 1e-3;
    float want_dh[12], got_du[6 * 12], want_du[6 * 12];
    for (int d = 0; d < D; d++) {
        float hp[12], hm[12];
        memcpy(hp, h, sizeof h);
        memcpy(hm, h, sizeof h);
        hp[d] += (float)eps;
        hm[d] -= (float)eps;
        double gd = (sgns_loss(hp, U, rows, n, D) - sgns_loss(hm, U, rows, n, D)) /
                    ((double)hp[d] - hm[d]);
        want_dh[d] = (float)(-lr * gd);
    }
    for (int i = 0; i < R * D; i++) {
        float Up[6 * 12], Um[6 * 12];
        memcpy(Up, U, sizeof U);
        memcpy(Um, U, sizeof U);
        Up[i] += (float)eps;
        Um[i] -= (float)eps;
        double gd = (sgns_loss(h, Up, rows, n, D) - sgns_loss(h, Um, rows, n, D)) /
                    ((double)Up[i] - Um[i]);
        want_du[i] = (float)(-lr * gd);
        got_du[i] = Unew[i] - U[i];
    }
    dl_ck_close("dh vs −lr·dL/dh", dh, want_dh, D, 2e-4, 1e-3);
    dl_ck_close("Δu vs −lr·dL/du", got_du, want_du, (size_t)(R * D), 2e-4, 1e-3);
}
END_TEST

START_TEST(test_sigmoid_table_error)
{
    double e = w2v_sigmoid_table_max_error();
    // One bin is 12/1000 wide and σ' <= 1/4: the truncated lookup is off by at most 0.003;
    // beyond ±6 the clamp to 0/1 is off by σ(−6) = 0.00247.
    ck_assert_msg(e > 1e-4 && e < 0.0031, "σ table max error %g", e);
    ck_assert_float_eq(w2v_sigmoid_table(7.0f), 1.0f);
    ck_assert_float_eq(w2v_sigmoid_table(-7.0f), 0.0f);
    ck_assert(fabsf(w2v_sigmoid_table(0.0f) - 0.5f) < 0.003f);
}
END_TEST

static void check_sampler(W2vSamplerKind kind, size_t table_size)
{
    const int V = 50;
    double w[50], total = 0;
    for (int i = 0; i < V; i++) {
        w[i] = pow(1000.0 / (i + 1), 0.75);     // Zipf counts ^ 0.75, like the noise
        if (i == 17) w[i] = 0.0;               // a word never drawn
        total += w[i];
    }
    W2vSampler s;
    w2v_sampler_init(&s, kind, w, V, table_size);
    Rng r;
    rng_seed(&r, 3);
    static int hist[50];
    memset(hist, 0, sizeof hist);
    const int N = 1000000;
    int bad = 0;
    for (int k = 0; k < N; k++) {
        int x = w2v_sample(&s, &r);
        if (x < 0 || x >= V) bad++;
        else hist[x]++;
    }
    ck_assert_int_eq(bad, 0);
    double worst = 0;
    for (int i = 0; i < V; i++) {
        double p = w[i] / total, got = (double)hist[i] / N;
        // 5 standard deviations of a binomial frequency, + the table's rounding (1/size)
        double lim = 5 * sqrt(p * (1 - p) / N) + (table_size ? 2.0 / (double)table_size : 0);
        ck_assert_msg(fabs(got - p) <= lim + 1e-12, "kind %d word %d: frequency %g, want %g",
                      (int)kind, i, got, p);
        if (fabs(got - p) > worst) worst = fabs(got - p);
    }
    ck_assert_int_eq(hist[17], 0);
    ck_assert(worst < 0.003);
    w2v_sampler_free(&s);
}

START_TEST(test_alias_sampler_frequencies) { check_sampler(W2V_SAMPLER_ALIAS, 0); }
END_TEST
START_TEST(test_unigram_table_frequencies) { check_sampler(W2V_SAMPLER_TABLE, 100000); }
END_TEST

START_TEST(test_keep_probability)
{
    // word2vec.c: (√(c/(t·N)) + 1)·t·N/c. c = 1000 of N = 1e6, t = 1e-4: t·N = 100,
    // (√10 + 1)·100/1000 = 0.41623.
    ck_assert(fabs(w2v_keep_prob(1000, 1000000, 1e-4) - 0.416227766) < 1e-8);
    ck_assert(w2v_keep_prob(50, 1000000, 1e-4) == 1.0);       // rare words: always kept
    ck_assert(w2v_keep_prob(1000, 1000000, 0.0) == 1.0);      // t = 0: off
    // c = t·N·(1+√5)/2 … keep = 1 exactly at c = t·N·φ² … for c = 10·t·N: (√10+1)/10·… < 1
    ck_assert(w2v_keep_prob(100000, 1000000, 1e-4) < 0.05);
}
END_TEST

// A corpus of n ids cycling through V words (all counts equal).
static void cyclic_corpus(WordVocab *v, int **ids, size_t n, int V)
{
    char *text = dl_malloc(n * 8 + 1, "test corpus");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) at += (size_t)sprintf(text + at, "w%d ", (int)(i % (size_t)V));
    char err[256];
    ck_assert_msg(word_vocab_build(v, text, at, 1, err, sizeof err), "%s", err);
    size_t n_ids, dropped;
    ck_assert(word_vocab_encode(v, text, at, ids, &n_ids, &dropped, err, sizeof err));
    ck_assert_uint_eq(n_ids, n);
    free(text);
}

START_TEST(test_dynamic_window_pair_count)
{
    const size_t n = 20000;
    const int W = 5;
    WordVocab v;
    int *ids;
    cyclic_corpus(&v, &ids, n, 50);
    W2vConfig c = w2v_config_default(W2V_SKIPGRAM);
    c.D = 8;
    c.epochs = 1;
    c.sample = 0.0f;
    c.window = W;
    c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
    WordVectors wv;
    W2vStats st;
    char err[256];
    ck_assert_msg(w2v_train(&v, ids, n, &c, &wv, &st, err, sizeof err), "%s", err);
    // Expected pairs: per sentence of L = 1000 words, position i with window b (uniform 1 … W)
    // has min(b, i) + min(b, L−1−i) context words.
    double want = 0;
    for (int i = 0; i < W2V_SENTENCE; i++)
        for (int b = 1; b <= W; b++)
            want += (double)((b < i ? b : i) + (b < W2V_SENTENCE - 1 - i ? b : W2V_SENTENCE - 1 - i)) / W;
    want *= (double)n / W2V_SENTENCE;
    ck_assert_msg(fabs((double)st.pairs - want) < 0.01 * want, "pairs %lld, want ≈ %.0f",
                  (long long)st.pairs, want);
    // ≈ (W + 1) per word: the near words are trained more often
    ck_assert(fabs((double)st.pairs / n - (W + 1)) < 0.1);
    ck_assert_int_eq(st.kept, (int64_t)n);
    wordvec_free(&wv);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_subsampling_keeps_the_expected_share)
{
    // Zipf-like corpus: word k appears ∝ 1/(k+1). Kept tokens ≈ Σ count·keep.
    WordVocab v;
    int *ids;
    size_t n = 0;
    {
        char *text = dl_malloc(2000000, "test corpus");
        size_t at = 0;
        Rng r;
        rng_seed(&r, 5);
        for (int i = 0; i < 100000; i++) {
            // inverse-CDF draw of a Zipf(1) over 200 words
            int k = (int)(expf(rng_uniform(&r) * logf(201.0f))) - 1;
            at += (size_t)sprintf(text + at, "z%d ", k);
        }
        char err[256];
        ck_assert(word_vocab_build(&v, text, at, 1, err, sizeof err));
        size_t dropped;
        ck_assert(word_vocab_encode(&v, text, at, &ids, &n, &dropped, err, sizeof err));
        free(text);
    }
    W2vConfig c = w2v_config_default(W2V_CBOW);
    c.D = 4;
    c.epochs = 2;
    c.sample = 1e-3f;
    c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
    double want = 0;
    for (int w = 0; w < v.V; w++)
        want += (double)v.count[w] * w2v_keep_prob(v.count[w], (int64_t)n, c.sample);
    want *= c.epochs;
    WordVectors wv;
    W2vStats st;
    char err[256];
    ck_assert_msg(w2v_train(&v, ids, n, &c, &wv, &st, err, sizeof err), "%s", err);
    ck_assert_msg(fabs((double)st.kept - want) < 0.02 * want, "kept %lld, want ≈ %.0f",
                  (long long)st.kept, want);
    ck_assert((double)st.kept < 0.7 * (double)n * c.epochs);     // it does drop words
    wordvec_free(&wv);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

// Sentences "a<i> b<i> c<i> … " with a structure to learn: word k of group g follows word k−1.
static void grouped_corpus(WordVocab *v, int **ids, size_t *n)
{
    char *text = dl_malloc(1000000, "test corpus");
    size_t at = 0;
    Rng r;
    rng_seed(&r, 9);
    for (int s = 0; s < 6000; s++) {
        int g = (int)rng_below(&r, 20);
        for (int k = 0; k < 6; k++) at += (size_t)sprintf(text + at, "g%dw%d ", g, k);
    }
    char err[256];
    ck_assert(word_vocab_build(v, text, at, 1, err, sizeof err));
    size_t dropped;
    ck_assert(word_vocab_encode(v, text, at, ids, n, &dropped, err, sizeof err));
    free(text);
}

static void train_or_fail(const WordVocab *v, const int *ids, size_t n, const W2vConfig *c,
                          WordVectors *wv, W2vStats *st)
{
    char err[256];
    ck_assert_msg(w2v_train(v, ids, n, c, wv, st, err, sizeof err), "%s", err);
}

START_TEST(test_loss_falls_and_neighbours_learned)
{
    WordVocab v;
    int *ids;
    size_t n;
    grouped_corpus(&v, &ids, &n);
    W2vArch archs[3] = {W2V_SKIPGRAM, W2V_CBOW, W2V_FASTTEXT};
    for (int a = 0; a < 3; a++) {
        W2vConfig c = w2v_config_default(archs[a]);
        c.D = 16;
        c.epochs = 4;
        c.sample = 0.0f;
        c.window = 3;
        c.buckets = 5000;
        c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
        WordVectors wv;
        W2vStats st;
        train_or_fail(&v, ids, n, &c, &wv, &st);
        ck_assert_msg(st.loss[c.epochs - 1] < 0.8 * st.loss[0], "arch %d: loss %g → %g", a,
                      st.loss[0], st.loss[c.epochs - 1]);
        // the fixed-sample loss (weights frozen after each epoch) falls epoch after epoch
        for (int e = 1; e < c.epochs; e++)
            ck_assert_msg(st.fixed_loss[e] < st.fixed_loss[e - 1], "arch %d: fixed-sample loss "
                          "%g after epoch %d, %g after %d", a, st.fixed_loss[e], e + 1,
                          st.fixed_loss[e - 1], e);
        // g3w2's nearest word (cosine) is from group 3
        float *unit = dl_malloc((size_t)wv.V * wv.D * sizeof *unit, "test");
        wordvec_unit_rows(&wv, unit);
        int q = wordvec_id(&wv, "g3w2"), best = -1;
        float bc = -2;
        for (int w = 0; w < wv.V; w++) {
            if (w == q) continue;
            float s = 0;
            for (int d = 0; d < wv.D; d++) s += unit[(size_t)q * wv.D + d] * unit[(size_t)w * wv.D + d];
            if (s > bc) { bc = s; best = w; }
        }
        ck_assert_msg(strncmp(wv.words[best], "g3w", 3) == 0, "arch %d: neighbour of g3w2 is %s",
                      a, wv.words[best]);
        free(unit);
        wordvec_free(&wv);
    }
    free(ids);
    word_vocab_free(&v);
}
END_TEST

static bool same_vectors(const WordVectors *a, const WordVectors *b)
{
    return a->V == b->V && a->D == b->D &&
           memcmp(a->vec, b->vec, (size_t)a->V * a->D * sizeof(float)) == 0;
}

START_TEST(test_deterministic_for_a_seed)
{
    WordVocab v;
    int *ids;
    size_t n;
    grouped_corpus(&v, &ids, &n);
    W2vConfig c = w2v_config_default(W2V_SKIPGRAM);
    c.D = 16;
    c.epochs = 2;
    c.sample = 1e-2f;
    c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
    WordVectors a, b, d, e;
    W2vStats st;
    train_or_fail(&v, ids, n, &c, &a, &st);
    train_or_fail(&v, ids, n, &c, &b, &st);
    ck_assert(same_vectors(&a, &b));
    c.rung = ladder_find(&W2V_LADDER, "v3_hogwild");
    c.threads = 1;
    train_or_fail(&v, ids, n, &c, &d, &st);
    ck_assert_int_eq(st.threads, 1);
    ck_assert_msg(same_vectors(&a, &d), "v3_hogwild with 1 thread must give v2's bits");
    c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
    c.seed = 2;
    train_or_fail(&v, ids, n, &c, &e, &st);
    ck_assert(!same_vectors(&a, &e));
    wordvec_free(&a);
    wordvec_free(&b);
    wordvec_free(&d);
    wordvec_free(&e);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_hogwild_two_threads_runs)
{
    WordVocab v;
    int *ids;
    size_t n;
    grouped_corpus(&v, &ids, &n);
    W2vConfig c = w2v_config_default(W2V_SKIPGRAM);
    c.D = 16;
    c.epochs = 2;
    c.threads = 2;
    c.rung = ladder_find(&W2V_LADDER, "v3_hogwild");
    WordVectors a;
    W2vStats st;
    int before = threads_get();
    train_or_fail(&v, ids, n, &c, &a, &st);
    ck_assert_int_eq(st.threads, 2);
    ck_assert_int_eq(threads_get(), before);            // the pool size is restored
    ck_assert(st.loss[1] < st.loss[0]);
    wordvec_free(&a);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_fasttext_hash_and_ngrams)
{
    // references: fastText's Dictionary::hash in Python (bytes sign-extended, FNV-1a 32-bit)
    ck_assert_uint_eq(fasttext_hash("<wh", 3), 1048167652u);
    ck_assert_uint_eq(fasttext_hash("where", 5), 90969176u);
    ck_assert_uint_eq(fasttext_hash("<where>", 7), 2319392596u);
    ck_assert_uint_eq(fasttext_hash("", 0), 2166136261u);
    ck_assert_uint_eq(fasttext_hash("\xc3\xa9", 2), 1023043777u);   // "é": sign extension
    char buf[512];
    // the paper's example (Bojanowski et al. 2017, §3.2), n = 3
    ck_assert_int_eq(fasttext_ngrams("where", 3, 3, buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "<wh whe her ere re>");
    // 3 … 6: 5 + 4 + 3 + 2 n-grams of the 7 characters "<where>"
    ck_assert_int_eq(fasttext_ngrams("where", 3, 6, buf, sizeof buf), 14);
    ck_assert_str_eq(buf, "<wh <whe <wher <where whe wher where where> her here here> ere ere> re>");
    // UTF-8: "é" is one character
    ck_assert_int_eq(fasttext_ngrams("\xc3\xa9t\xc3\xa9", 3, 3, buf, sizeof buf), 3);
    ck_assert_str_eq(buf, "<\xc3\xa9t \xc3\xa9t\xc3\xa9 t\xc3\xa9>");
    // a short word: "<a>" is its only 3-gram; truncation keeps counting
    ck_assert_int_eq(fasttext_ngrams("a", 3, 6, buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "<a>");
    ck_assert_int_eq(fasttext_ngrams("where", 3, 6, buf, 7), 14);
    ck_assert_str_eq(buf, "<wh");
    int rows[32];
    ck_assert_int_eq(fasttext_ngram_rows("where", 3, 3, 10, 1000, rows, 32), 5);
    ck_assert_int_eq(rows[0], 10 + (int)(1048167652u % 1000u));
}
END_TEST

START_TEST(test_fasttext_oov_vector)
{
    WordVocab v;
    int *ids;
    size_t n;
    grouped_corpus(&v, &ids, &n);
    W2vConfig c = w2v_config_default(W2V_FASTTEXT);
    c.D = 16;
    c.epochs = 2;
    c.buckets = 5000;
    c.rung = ladder_find(&W2V_LADDER, "v2_table_alias");
    W2vModel m;
    W2vStats st;
    char err[256];
    ck_assert_msg(w2v_train_model(&v, ids, n, &c, &m, &st, err, sizeof err), "%s", err);
    WordVectors wv;
    w2v_model_vectors(&m, &v, &wv);
    float x[16], oov[16];
    // an in-vocabulary word: the same vector as the table
    fasttext_word_vector(&m, &v, "g3w2", x);
    dl_ck_close("in-vocabulary vector", x, wv.vec + (size_t)wordvec_id(&wv, "g3w2") * 16, 16, 0,
                0);
    // an unseen string: its n-grams only, not zero, and closest to the words sharing them
    fasttext_word_vector(&m, &v, "g3w2x", oov);
    float nrm = 0;
    for (int d = 0; d < 16; d++) nrm += oov[d] * oov[d];
    ck_assert(nrm > 0);
    // the hand-made mean of its n-gram rows
    int rows[64], k = fasttext_ngram_rows("g3w2x", 3, 6, v.V, 5000, rows, 64);
    float want[16] = {0};
    for (int i = 0; i < k; i++)
        for (int d = 0; d < 16; d++) want[d] += m.in[(size_t)rows[i] * 16 + d] / (float)k;
    dl_ck_close("OOV vector = mean of n-gram rows", oov, want, 16, 1e-6, 1e-5);
    wordvec_free(&wv);
    w2v_model_free(&m);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_bad_input_says_why)
{
    WordVocab v;
    int *ids;
    size_t n;
    grouped_corpus(&v, &ids, &n);
    W2vConfig c = w2v_config_default(W2V_SKIPGRAM);
    WordVectors wv;
    char err[256];
    ck_assert(!w2v_train(&v, ids, 0, &c, &wv, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "empty"), "%s", err);
    c.window = 0;
    ck_assert(!w2v_train(&v, ids, n, &c, &wv, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "window") && strstr(err, "--window"), "%s", err);
    c = w2v_config_default(W2V_SKIPGRAM);
    c.negative = 100;
    ck_assert(!w2v_train(&v, ids, n, &c, &wv, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "negative"), "%s", err);
    c = w2v_config_default(W2V_SKIPGRAM);
    c.epochs = 0;
    ck_assert(!w2v_train(&v, ids, n, &c, &wv, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "epochs"), "%s", err);
    c = w2v_config_default(W2V_SKIPGRAM);
    ids[5] = v.V;
    ck_assert(!w2v_train(&v, ids, n, &c, &wv, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "position 5"), "%s", err);
    free(ids);
    word_vocab_free(&v);
}
END_TEST

static Suite *word2vec_suite(void)
{
    Suite *s = suite_create("word2vec");
    TCase *tc = tcase_create("kernel");
    tcase_add_test(tc, test_rungs_agree_with_v0);
    tcase_add_test(tc, test_update_is_minus_lr_times_the_gradient);
    tcase_add_test(tc, test_sigmoid_table_error);
    tcase_add_test(tc, test_alias_sampler_frequencies);
    tcase_add_test(tc, test_unigram_table_frequencies);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("trainer");
    tcase_add_test(tc, test_keep_probability);
    tcase_add_test(tc, test_dynamic_window_pair_count);
    tcase_add_test(tc, test_subsampling_keeps_the_expected_share);
    tcase_add_test(tc, test_loss_falls_and_neighbours_learned);
    tcase_add_test(tc, test_deterministic_for_a_seed);
    tcase_add_test(tc, test_hogwild_two_threads_runs);
    tcase_add_test(tc, test_fasttext_hash_and_ngrams);
    tcase_add_test(tc, test_fasttext_oov_vector);
    tcase_add_test(tc, test_bad_input_says_why);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(word2vec_suite)
