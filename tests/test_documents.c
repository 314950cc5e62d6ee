/* tests/test_documents.c — chapter 6's document vectors and retrieval (06_embeddings/documents.c):
 * pooling and idf by hand on a toy, the DAN and text-CNN shapes, a tiny separable task learned to
 * 100 % by logistic regression, the DAN and the CNN, retrieval that finds a document from its own
 * text first, and the same bits for the same seed whatever the thread count.
 */
#include "testutil.h"

#include "base/threads.h"
#include "data/tokenize.h"

#include "../06_embeddings/documents.c"
#include "../06_embeddings/retrieval.c"

// A WordVectors of V words "w0" … "w<V-1>" with the given rows (or U(-1, 1) from seed).
static void toy_vectors(WordVectors *wv, int V, int D, const float *rows, uint64_t seed)
{
    char **words = malloc((size_t)V * sizeof *words);
    for (int i = 0; i < V; i++) {
        words[i] = malloc(16);
        snprintf(words[i], 16, "w%d", i);
    }
    wordvec_init(wv, V, D, words);
    if (rows) {
        memcpy(wv->vec, rows, (size_t)V * D * sizeof(float));
    } else {
        Rng r;
        rng_seed(&r, seed);
        for (int i = 0; i < V * D; i++) wv->vec[i] = rng_uniform_range(&r, -1, 1);
    }
    for (int i = 0; i < V; i++) free(words[i]);
    free(words);
}

START_TEST(test_pooling_and_idf_by_hand)
{
    // 3 words in 2-D: w0 = (1, 0), w1 = (0, 2), w2 = (4, 4)
    static const float rows[] = {1, 0, 0, 2, 4, 4};
    WordVectors wv;
    toy_vectors(&wv, 3, 2, rows, 0);
    // 4 documents; "zzz" and "W0"… have no vector ("W0" is lower-cased to w0 by the tokenizer)
    char *texts[] = {"w0 w0 w1 zzz", "w1", "W0 w2.", ""};
    size_t len[4];
    for (int i = 0; i < 4; i++) len[i] = strlen(texts[i]);
    int labels[] = {1, 0, 1, 0};
    DocIds d;
    doc_ids_build(&d, texts, len, labels, 4, &wv, 0);
    ck_assert_int_eq(d.n, 4);
    ck_assert_int_eq(d.start[1] - d.start[0], 3);   // w0 w0 w1 (zzz dropped)
    ck_assert_int_eq(d.start[4] - d.start[3], 0);   // the empty review
    ck_assert_int_eq((int)d.n_oov, 1);
    ck_assert_int_eq(d.label[2], 1);
    float out[2];
    // mean of w0, w0, w1 = (2/3, 2/3)
    doc_pool(&wv, d.ids + d.start[0], 3, NULL, out);
    ck_assert_float_eq_tol(out[0], 2.0f / 3, 1e-6f);
    ck_assert_float_eq_tol(out[1], 2.0f / 3, 1e-6f);
    // idf: df(w0) = 2, df(w1) = 2, df(w2) = 1, N = 4 → log(4/3) + 1, log(4/3) + 1, log(2) + 1
    float idf[3];
    doc_idf(&d, 3, idf);
    ck_assert_float_eq_tol(idf[0], (float)(log(4.0 / 3) + 1), 1e-6f);
    ck_assert_float_eq_tol(idf[1], (float)(log(4.0 / 3) + 1), 1e-6f);
    ck_assert_float_eq_tol(idf[2], (float)(log(2.0) + 1), 1e-6f);
    // TF-IDF pooling of document 2 (w0 w2): (i0·(1,0) + i2·(4,4)) / (i0 + i2)
    doc_pool(&wv, d.ids + d.start[2], 2, idf, out);
    double i0 = idf[0], i2 = idf[2];
    ck_assert_float_eq_tol(out[0], (float)((i0 + 4 * i2) / (i0 + i2)), 1e-5f);
    ck_assert_float_eq_tol(out[1], (float)(4 * i2 / (i0 + i2)), 1e-5f);
    // the empty document pools to zeros; unit rows leave a zero row alone
    float all[8];
    doc_pool_all(&d, &wv, idf, all);
    ck_assert_float_eq(all[6], 0.0f);
    ck_assert_float_eq(all[7], 0.0f);
    doc_unit_rows(all, 4, 2);
    ck_assert_float_eq_tol(all[2], 0.0f, 1e-7f);   // document 1 = w1 = (0, 2) → (0, 1)
    ck_assert_float_eq_tol(all[3], 1.0f, 1e-7f);
    ck_assert_float_eq(all[7], 0.0f);
    // truncation: the first 2 words of document 0
    DocIds d2;
    doc_ids_build(&d2, texts, len, labels, 4, &wv, 2);
    ck_assert_int_eq(d2.start[1], 2);
    ck_assert_int_eq((int)d2.n_cut, 1);
    // the dataset rows: ids as floats, -1 padding
    Dataset ds;
    doc_dataset(&d2, 3, &ds);
    ck_assert_float_eq(ds.x[0], 0.0f);
    ck_assert_float_eq(ds.x[2], -1.0f);
    ck_assert_float_eq(ds.x[9], -1.0f);   // the empty review: all padding
    ck_assert_int_eq(ds.y[2], 1);
    dataset_free(&ds);
    doc_ids_free(&d2);
    doc_ids_free(&d);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_top_k_order_and_ties)
{
    // 5 documents in 1-D: scores = the values with q = (1)
    static const float docs[] = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
    static const float q[] = {1.0f};
    int idx[5];
    float sim[3];
    doc_top_k(docs, 5, 1, q, 3, idx, sim);
    ck_assert_int_eq(idx[0], 1);   // tie 2.0: the lower row first
    ck_assert_int_eq(idx[1], 3);
    ck_assert_int_eq(idx[2], 4);
    ck_assert_float_eq(sim[2], 1.0f);
    doc_top_k(docs, 5, 1, q, 5, idx, NULL);
    ck_assert_int_eq(idx[4], 2);
}
END_TEST

// A toy task: documents of 4–9 filler words (w4 … w19) with one sentiment word somewhere:
// w0 or w1 → positive, w2 or w3 → negative. Separable by one word.
static void toy_task(int n, uint64_t seed, char ***texts, size_t **len, int **labels)
{
    Rng r;
    rng_seed(&r, seed);
    *texts = malloc((size_t)n * sizeof **texts);
    *len = malloc((size_t)n * sizeof **len);
    *labels = malloc((size_t)n * sizeof **labels);
    for (int i = 0; i < n; i++) {
        int words = 4 + (int)rng_below(&r, 6), at = (int)rng_below(&r, (uint32_t)words);
        int y = (int)rng_below(&r, 2);
        char *t = malloc(256);
        t[0] = 0;
        for (int k = 0; k < words; k++) {
            int w = k == at ? (y ? 0 : 2) + (int)rng_below(&r, 2) : 4 + (int)rng_below(&r, 16);
            char buf[16];
            snprintf(buf, sizeof buf, "%sw%d", k ? " " : "", w);
            strcat(t, buf);
        }
        (*texts)[i] = t;
        (*len)[i] = strlen(t);
        (*labels)[i] = y;
    }
}

static void free_task(int n, char **texts, size_t *len, int *labels)
{
    for (int i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(len);
    free(labels);
}

// Train a DAN (cnn false) or a text CNN on the toy task; returns its training accuracy and the
// trained parameters' values (malloc'ed, *n_out floats) for determinism checks.
static double train_toy(bool cnn, int threads, float **params_out, size_t *n_out)
{
    threads_set(threads);
    WordVectors wv;
    toy_vectors(&wv, 20, 8, NULL, 5);
    char **texts;
    size_t *len;
    int *labels;
    const int n = 200, T = 10;
    toy_task(n, 9, &texts, &len, &labels);
    DocIds d;
    doc_ids_build(&d, texts, len, labels, n, &wv, T);
    Dataset ds;
    doc_dataset(&d, T, &ds);
    Model m;
    model_init(&m, cnn ? "test/textcnn" : "test/dan");
    Rng rng;
    rng_seed(&rng, 3);
    Dan dan;
    TextCnn tc;
    void *net;
    ForwardFn fwd;
    if (cnn) {
        text_cnn_init(&tc, &m, &wv, T, 4, 0.0f, true, &rng);
        net = &tc;
        fwd = text_cnn_forward;
    } else {
        dan_init(&dan, &m, &wv, T, 16, 0.0f, &rng);
        net = &dan;
        fwd = dan_forward;
    }
    // the forward shape: (B, 2) logits
    {
        Batch b = {.B = 3, .dim = T, .x = ds.x, .y = ds.y};
        Tensor *y = fwd(net, &m.tp, &b, false, NULL);
        ck_assert_int_eq(y->ndim, 2);
        ck_assert_int_eq(y->shape[0], 3);
        ck_assert_int_eq(y->shape[1], 2);
        tape_reset(&m.tp);
    }
    Batcher bt;
    batcher_init(&bt, &ds, 20, true, &rng);
    TrainConfig cfg = {.label = "toy", .epochs = 30, .opt = optim_defaults(OPT_ADAM)};
    cfg.opt.lr = 0.01f;
    TrainTask task = {&m, net, fwd, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &cfg, &rng, &log);
    ClassifierEval e;
    eval_classifier(&m, net, fwd, &ds, 1000, false, &e);
    double acc = e.acc_pct;
    eval_free(&e);
    *n_out = params_snapshot_size(&m.p);
    *params_out = malloc(*n_out * sizeof(float));
    params_snapshot(&m.p, *params_out);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    dataset_free(&ds);
    doc_ids_free(&d);
    free_task(n, texts, len, labels);
    wordvec_free(&wv);
    return acc;
}

START_TEST(test_dan_and_cnn_learn_a_separable_task_deterministically)
{
    int saved = threads_get();
    for (int cnn = 0; cnn < 2; cnn++) {
        float *p1, *p2, *p3;
        size_t n1, n2, n3;
        double a1 = train_toy(cnn, 1, &p1, &n1);
        double a2 = train_toy(cnn, 1, &p2, &n2);
        double a3 = train_toy(cnn, 2, &p3, &n3);
        ck_assert_msg(a1 == 100.0, "%s: toy training accuracy %.1f %%, want 100 %%",
                      cnn ? "text CNN" : "DAN", a1);
        ck_assert_uint_eq(n1, n2);
        ck_assert_uint_eq(n1, n3);
        ck_assert_msg(memcmp(p1, p2, n1 * sizeof(float)) == 0 && a2 == a1,
                      "same seed, different parameters");
        ck_assert_msg(memcmp(p1, p3, n1 * sizeof(float)) == 0 && a3 == a1,
                      "1 and 2 threads give different parameters");
        free(p1);
        free(p2);
        free(p3);
    }
    threads_set(saved);
}
END_TEST

START_TEST(test_logreg_on_pooled_vectors_learns_the_toy_task)
{
    // one-hot-ish vectors: the sentiment words point along ±e0, fillers are random in the rest
    WordVectors wv;
    toy_vectors(&wv, 20, 8, NULL, 5);
    for (int w = 0; w < 4; w++) {
        for (int j = 0; j < 8; j++) wv.vec[w * 8 + j] = 0;
        wv.vec[w * 8] = w < 2 ? 5.0f : -5.0f;
    }
    for (int w = 4; w < 20; w++) wv.vec[w * 8] = 0;
    char **texts;
    size_t *len;
    int *labels;
    toy_task(300, 11, &texts, &len, &labels);
    DocIds d;
    doc_ids_build(&d, texts, len, labels, 300, &wv, 0);
    float *x = malloc((size_t)300 * 8 * sizeof *x);
    doc_pool_all(&d, &wv, NULL, x);
    Dataset tr, te;
    doc_dense_dataset(x, d.label, 200, 8, "toy-train", &tr);
    doc_dense_dataset(x + 200 * 8, d.label + 200, 100, 8, "toy-test", &te);
    double train_acc, acc = doc_logreg(&tr, &te, 20, 1, &train_acc);
    ck_assert_msg(acc == 100.0 && train_acc == 100.0, "logistic regression on the toy: test "
                  "%.1f %%, train %.1f %%; want 100 %%", acc, train_acc);
    double again = doc_logreg(&tr, &te, 20, 1, NULL);
    ck_assert(again == acc);
    dataset_free(&tr);
    dataset_free(&te);
    free(x);
    doc_ids_free(&d);
    free_task(300, texts, len, labels);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_retrieval_finds_a_document_from_its_own_text)
{
    WordVectors wv;
    toy_vectors(&wv, 20, 8, NULL, 17);
    char **texts;
    size_t *len;
    int *labels;
    const int n = 40;
    toy_task(n, 23, &texts, &len, &labels);
    DocIds d;
    doc_ids_build(&d, texts, len, labels, n, &wv, 0);
    DocSpace sp = {.wv = &wv, .n = n, .D = wv.D};
    sp.idf = malloc((size_t)wv.V * sizeof(float));
    doc_idf(&d, wv.V, sp.idf);
    sp.vec = malloc((size_t)n * wv.D * sizeof(float));
    doc_pool_all(&d, &wv, sp.idf, sp.vec);
    doc_unit_rows(sp.vec, n, wv.D);
    float q[8];
    int found = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_int_gt(doc_embed_query(&sp, texts[i], q), 0);
        int idx[1];
        float sim[1];
        doc_top_k(sp.vec, n, wv.D, q, 1, idx, sim);
        // identical texts pool identically: the top hit is i or a document with the same words
        found += idx[0] == i;
        ck_assert_float_eq_tol(sim[0], 1.0f, 1e-5f);
    }
    ck_assert_int_ge(found, n - 2);
    // a query with no known word embeds to zeros
    ck_assert_int_eq(doc_embed_query(&sp, "qqq zzz", q), 0);
    for (int j = 0; j < 8; j++) ck_assert_float_eq(q[j], 0.0f);
    free(sp.idf);
    free(sp.vec);
    doc_ids_free(&d);
    free_task(n, texts, len, labels);
    wordvec_free(&wv);
}
END_TEST

// The detector report's activation (text_cnn_activation, plain loops over the weights) must be
// what the model computes: its max over positions equals the CNN's pooled feature.
START_TEST(test_cnn_activation_matches_the_model)
{
    WordVectors wv;
    toy_vectors(&wv, 12, 6, NULL, 29);
    Model m;
    model_init(&m, "test/textcnn");
    Rng rng;
    rng_seed(&rng, 4);
    const int T = 9, F = 3;
    TextCnn c;
    text_cnn_init(&c, &m, &wv, T, F, 0.0f, false, &rng);
    static const int ids[9] = {3, 1, 4, 1, 5, 9, 2, 6, 5};
    Tensor *e = op_embedding_padded(&m.tp, c.emb, ids, T);
    e = op_transpose(&m.tp, op_reshape(&m.tp, e, 3, (int[]){1, T, wv.D}));
    Tensor *x = op_reshape(&m.tp, e, 4, (int[]){1, wv.D, 1, T});
    for (int wi = 0; wi < TEXT_CNN_WIDTHS; wi++) {
        Tensor *feat = op_global_maxpool(&m.tp, op_relu(&m.tp, op_conv2d(&m.tp, x, c.w[wi],
                                                                         c.b[wi], 1, 0)));
        for (int f = 0; f < F; f++) {
            float best = 0;
            for (int t = 0; t + c.width[wi] <= T; t++) {
                float a = text_cnn_activation(&c, wi, f, ids, T, t);
                if (a > best) best = a;
            }
            ck_assert_float_eq_tol(best, feat->data[f], 1e-5f);
        }
    }
    model_free(&m);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_validation_split_takes_every_tenth)
{
    Dataset d, keep, held;
    dataset_alloc(&d, "toy", 25, 1, 2);
    for (int i = 0; i < 25; i++) {
        d.x[i] = (float)i;
        d.y[i] = i < 12 ? 0 : 1;
    }
    split_every(&d, 10, &keep, &held);
    ck_assert_int_eq(keep.n, 23);
    ck_assert_int_eq(held.n, 2);
    ck_assert_float_eq(held.x[0], 9.0f);
    ck_assert_float_eq(held.x[1], 19.0f);
    ck_assert_int_eq(held.y[1], 1);
    ck_assert_float_eq(keep.x[9], 10.0f);
    ck_assert_float_eq(keep.x[22], 24.0f);
    dataset_free(&d);
    dataset_free(&keep);
    dataset_free(&held);
}
END_TEST

static void top_k_too_many(void)
{
    static const float docs[2] = {1, 2}, q[1] = {1};
    int idx[3];
    doc_top_k(docs, 2, 1, q, 3, idx, NULL);
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"top-k larger than the index", top_k_too_many, {"k = 3", "2 documents"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *documents_suite(void)
{
    Suite *s = suite_create("documents");
    TCase *t = tcase_create("documents");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_pooling_and_idf_by_hand);
    tcase_add_test(t, test_top_k_order_and_ties);
    tcase_add_test(t, test_dan_and_cnn_learn_a_separable_task_deterministically);
    tcase_add_test(t, test_logreg_on_pooled_vectors_learns_the_toy_task);
    tcase_add_test(t, test_retrieval_finds_a_document_from_its_own_text);
    tcase_add_test(t, test_cnn_activation_matches_the_model);
    tcase_add_test(t, test_validation_split_takes_every_tenth);
    tcase_add_test(t, test_bad_input_exits_with_message);
    suite_add_tcase(s, t);
    return s;
}

DL_TEST_MAIN(documents_suite)
