/* tests/test_glove.c — GloVe (06_embeddings/glove.h): the co-occurrence counts of a toy sequence
 * worked by hand (1/d weights, both orders, the diagonal counted twice) and of a random corpus
 * against a dense brute-force count, the same bits with 1 or 2 threads; f(X) at known points;
 * the gradient of an entry's loss against central differences; one AdaGrad step against
 * glove.c's formula computed in double; a tiny run whose loss falls, reproducibly; W + W̃; and
 * the section's metrics on a small synthetic corpus.
 */
#include "testutil.h"

#include <math.h>

#include "base/rng.h"
#include "base/threads.h"

#include "../06_embeddings/evaluate.c"
#include "../06_embeddings/glove.c"

START_TEST(test_cooccur_by_hand)
{
    // 0 1 2 0 1, window 2: (1,0)@1 (2,1)@1 (2,0)@2 (0,2)@1 (0,1)@2 (1,0)@1 (1,2)@2
    const int ids[] = {0, 1, 2, 0, 1};
    Cooc c;
    glove_cooccur(ids, 5, 3, 2, &c);
    ck_assert_int_eq(c.nnz, 3);
    dl_ck_close1("X01", cooc_get(&c, 0, 1), 2.5f, 0, 0);
    dl_ck_close1("X10", cooc_get(&c, 1, 0), 2.5f, 0, 0);
    dl_ck_close1("X02", cooc_get(&c, 0, 2), 1.5f, 0, 0);
    dl_ck_close1("X12", cooc_get(&c, 2, 1), 1.5f, 0, 0);
    dl_ck_close1("X00", cooc_get(&c, 0, 0), 0.0f, 0, 0);
    ck_assert_int_eq(cooc_entries(&c), 6);
    cooc_free(&c);
    // 0 0 1, window 2: (0,0)@1 counts twice on the diagonal; (1,0)@1 + (1,0)@2
    const int ids2[] = {0, 0, 1};
    glove_cooccur(ids2, 3, 2, 2, &c);
    dl_ck_close1("X00", cooc_get(&c, 0, 0), 2.0f, 0, 0);
    dl_ck_close1("X01", cooc_get(&c, 0, 1), 1.5f, 0, 0);
    ck_assert_int_eq(cooc_entries(&c), 3);
    ck_assert_int_eq(c.row[0], 0);
    ck_assert_int_eq(c.row[1], 2);
    ck_assert_int_eq(c.row[2], 2);
    cooc_free(&c);
}
END_TEST

START_TEST(test_cooccur_matches_brute_force_and_threads)
{
    enum { N = 3000, V = 70, W = 5 };
    int *ids = malloc(N * sizeof *ids);
    Rng r;
    rng_seed(&r, 3);
    for (int p = 0; p < N; p++) ids[p] = (int)(rng_below(&r, 8) == 0 ? rng_below(&r, V) : rng_below(&r, 10));
    double *X = calloc((size_t)V * V, sizeof *X);
    for (int p = 0; p < N; p++)
        for (int k = 1; k <= W && k <= p; k++) {
            X[ids[p] * V + ids[p - k]] += 1.0 / k;
            X[ids[p - k] * V + ids[p]] += 1.0 / k;
        }
    int saved = threads_get();
    threads_set(1);
    Cooc c1, c2;
    glove_cooccur(ids, N, V, W, &c1);
    threads_set(2);
    glove_cooccur(ids, N, V, W, &c2);
    threads_set(saved);
    size_t nz = 0;
    for (int i = 0; i < V; i++)
        for (int j = 0; j < V; j++) {
            nz += X[i * V + j] != 0;
            dl_ck_close1("X", cooc_get(&c1, i, j), X[i * V + j], 1e-5, 1e-6);
        }
    ck_assert_int_eq(cooc_entries(&c1), nz);
    ck_assert_int_eq(c1.nnz, c2.nnz);
    ck_assert(memcmp(c1.x, c2.x, c1.nnz * sizeof *c1.x) == 0);
    ck_assert(memcmp(c1.col, c2.col, c1.nnz * sizeof *c1.col) == 0);
    for (int i = 0; i < V; i++)   // columns ascend within each row, all >= the row
        for (size_t k = c1.row[i]; k < c1.row[i + 1]; k++)
            ck_assert(c1.col[k] >= i && (k == c1.row[i] || c1.col[k] > c1.col[k - 1]));
    cooc_free(&c1);
    cooc_free(&c2);
    free(X);
    free(ids);
}
END_TEST

START_TEST(test_weight_function)
{
    dl_ck_close1("f(50)", glove_weight(50, 100, 0.75f), pow(0.5, 0.75), 0, 1e-6);
    dl_ck_close1("f(1)", glove_weight(1, 100, 0.75f), pow(0.01, 0.75), 0, 1e-6);
    dl_ck_close1("f(x_max)", glove_weight(100, 100, 0.75f), 1.0, 0, 0);
    dl_ck_close1("f(> x_max)", glove_weight(1e4f, 100, 0.75f), 1.0, 0, 0);
    dl_ck_close1("f(5) x_max 10", glove_weight(5, 10, 0.75f), pow(0.5, 0.75), 0, 1e-6);
}
END_TEST

START_TEST(test_entry_gradient_vs_finite_differences)
{
    enum { V = 4, D = 6 };
    GloveModel m;
    glove_init(&m, V, D, 11);
    for (size_t k = 0; k < (size_t)V * (D + 1); k++) {   // larger values than the init's
        m.w[k] *= 20;
        m.wt[k] *= 20;
    }
    const float xs[3] = {0.5f, 30, 250};   // f < 1 and f = 1
    for (int t = 0; t < 3; t++) {
        int i = 1, j = t == 2 ? 1 : 3;
        float gi[D + 1], gj[D + 1];
        glove_entry_loss(&m, i, j, xs[t], 100, 0.75f, gi, gj);
        for (int side = 0; side < 2; side++)
            for (int d = 0; d <= D; d++) {
                float *p = (side ? m.wt + (size_t)j * (D + 1) : m.w + (size_t)i * (D + 1)) + d;
                float keep = *p, h = 1e-2f;
                *p = keep + h;
                double up = glove_entry_loss(&m, i, j, xs[t], 100, 0.75f, NULL, NULL);
                *p = keep - h;
                double dn = glove_entry_loss(&m, i, j, xs[t], 100, 0.75f, NULL, NULL);
                *p = keep;
                double num = (up - dn) / (2.0 * h);
                dl_ck_close1(side ? "dJ/dw~" : "dJ/dw", side ? gj[d] : gi[d], num, 2e-4, 2e-2);
            }
    }
    glove_free(&m);
}
END_TEST

START_TEST(test_one_adagrad_step_is_glove_c)
{
    enum { V = 3, D = 10 };   // 10: one AVX2 block of 8 and a scalar tail of 2
    GloveModel m;
    glove_init(&m, V, D, 5);
    for (size_t k = 0; k < (size_t)V * (D + 1); k++) m.gw[k] = 1.0f + 0.1f * (float)(k % 7);
    double w[D + 1], wt[D + 1], g[D + 1], gt[D + 1];
    int i = 2, j = 0;
    float x = 3.5f, lr = 0.05f;
    for (int d = 0; d <= D; d++) {
        w[d] = m.w[i * (D + 1) + d];
        wt[d] = m.wt[j * (D + 1) + d];
        g[d] = m.gw[i * (D + 1) + d];
        gt[d] = m.gwt[j * (D + 1) + d];
    }
    double diff = w[D] + wt[D] - log(x);
    for (int d = 0; d < D; d++) diff += w[d] * wt[d];
    double fdiff = pow(x / 10.0, 0.75) * diff * lr, want_w[D + 1], want_wt[D + 1];
    for (int d = 0; d < D; d++) {
        want_w[d] = w[d] - fdiff * wt[d] / sqrt(g[d]);
        want_wt[d] = wt[d] - fdiff * w[d] / sqrt(gt[d]);
    }
    want_w[D] = w[D] - fdiff / sqrt(g[D]);
    want_wt[D] = wt[D] - fdiff / sqrt(gt[D]);
    double cost = entry_step(m.w + i * (D + 1), m.wt + j * (D + 1), m.gw + i * (D + 1),
                             m.gwt + j * (D + 1), D, logf(x), glove_weight(x, 10, 0.75f), lr);
    dl_ck_close1("cost", cost, 0.5 * pow(x / 10.0, 0.75) * diff * diff, 1e-7, 1e-4);
    for (int d = 0; d <= D; d++) {
        dl_ck_close1("w", m.w[i * (D + 1) + d], want_w[d], 1e-7, 1e-5);
        dl_ck_close1("w~", m.wt[j * (D + 1) + d], want_wt[d], 1e-7, 1e-5);
        double t = d < D ? fdiff * wt[d] : fdiff;
        dl_ck_close1("G", m.gw[i * (D + 1) + d], g[d] + t * t, 1e-7, 1e-5);
    }
    glove_free(&m);
}
END_TEST

// A corpus with structure: words 0-9 follow each other in a cycle, words 10-19 in another.
static int *toy_corpus(size_t n, uint64_t seed)
{
    int *ids = malloc(n * sizeof *ids);
    Rng r;
    rng_seed(&r, seed);
    int w = 0;
    for (size_t p = 0; p < n; p++) {
        if (rng_below(&r, 50) == 0) w = (int)rng_below(&r, 20);
        ids[p] = w;
        w = w < 10 ? (w + 1) % 10 : 10 + (w - 9) % 10;
    }
    return ids;
}

START_TEST(test_tiny_run_loss_falls_reproducibly)
{
    int *ids = toy_corpus(20000, 1);
    Cooc c;
    glove_cooccur(ids, 20000, 20, 4, &c);
    GloveConfig cfg = glove_defaults();
    cfg.dim = 8;
    cfg.epochs = 20;
    GloveModel m1, m2;
    glove_init(&m1, 20, 8, 9);
    glove_init(&m2, 20, 8, 9);
    double before = glove_loss(&m1, &c, cfg.x_max, cfg.alpha), loss[20], loss2[20];
    glove_train(&m1, &c, &cfg, loss);
    glove_train(&m2, &c, &cfg, loss2);
    double after = glove_loss(&m1, &c, cfg.x_max, cfg.alpha);
    ck_assert_msg(loss[19] < 0.1 * loss[0] && after < 0.1 * before,
                  "loss %.4g → %.4g (epochs 1, 20: %.4g, %.4g)", before, after, loss[0], loss[19]);
    for (int e = 1; e < 20; e++) ck_assert_msg(loss[e] <= loss[e - 1] * 1.05, "epoch %d rose", e);
    ck_assert(memcmp(m1.w, m2.w, 20 * 9 * sizeof(float)) == 0);   // same seed, same bits
    ck_assert(loss[19] == loss2[19]);
    // W + W̃; and the two cycles separate: a word is closer to its own cycle's words
    WordVocab v = {.V = 20};
    char *names[20], buf[20][16];
    for (int k = 0; k < 20; k++) {
        snprintf(buf[k], sizeof buf[k], "w%d", k);
        names[k] = buf[k];
    }
    v.words = names;
    WordVectors wv;
    glove_vectors(&m1, &v, &wv);
    for (int d = 0; d < 8; d++)
        dl_ck_close1("W + W~", wv.vec[3 * 8 + d], m1.w[3 * 9 + d] + m1.wt[3 * 9 + d], 0, 0);
    ck_assert_msg(cosine_rows(&wv, 0, 1) > cosine_rows(&wv, 0, 15), "w0~w1 %.3f, w0~w15 %.3f",
                  cosine_rows(&wv, 0, 1), cosine_rows(&wv, 0, 15));
    wordvec_free(&wv);
    glove_free(&m1);
    glove_free(&m2);
    cooc_free(&c);
    free(ids);
}
END_TEST

START_TEST(test_section_records_metrics)
{
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    int *ids = toy_corpus(5000, 2);
    WordVocab v = {.V = 20};
    char *names[20], buf[20][16];
    for (int k = 0; k < 20; k++) {
        snprintf(buf[k], sizeof buf[k], "w%d", k);
        names[k] = buf[k];
    }
    v.words = names;
    Chapter ch = {0};
    ch.cli.quick = true;
    ch.cli.seed = 1;
    snprintf(ch.cli.out_dir, sizeof ch.cli.out_dir, "%s", dir);
    metrics_init(&ch.metrics, dir);
    WordEval ev = {0};
    char err[256];
    const char *q = ": s\nw0 w1 w2 w3\nw10 w11 w12 w13\n";
    ck_assert(analogy_parse(q, strlen(q), "q", &ev.analogy, err, sizeof err));
    WordVectors wv;
    glove_section(&ch, &v, ids, 5000, &ev, &wv);
    double x;
    ck_assert(metrics_get(&ch.metrics, "glove_cooc_nnz", &x) && x > 20);
    ck_assert(metrics_get(&ch.metrics, "glove_loss_epoch_3", &x) && x > 0);
    ck_assert(metrics_get(&ch.metrics, "glove_analogy_seen", &x) && x == 2);
    ck_assert(metrics_get(&ch.metrics, "glove_mean_f_xmax10", &x) && x > 0 && x <= 1);
    ck_assert_int_eq(wv.V, 20);
    ck_assert_int_eq(wv.D, 50);
    wordvec_free(&wv);
    word_eval_free(&ev);
    metrics_free(&ch.metrics);
    free(ids);
    dl_rm_rf(dir);
}
END_TEST

static Suite *glove_suite(void)
{
    Suite *s = suite_create("glove");
    TCase *tc = tcase_create("glove");
    tcase_add_test(tc, test_cooccur_by_hand);
    tcase_add_test(tc, test_cooccur_matches_brute_force_and_threads);
    tcase_add_test(tc, test_weight_function);
    tcase_add_test(tc, test_entry_gradient_vs_finite_differences);
    tcase_add_test(tc, test_one_adagrad_step_is_glove_c);
    tcase_add_test(tc, test_tiny_run_loss_falls_reproducibly);
    tcase_add_test(tc, test_section_records_metrics);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(glove_suite)
