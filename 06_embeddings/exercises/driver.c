/* 06_embeddings/exercises/driver.c — runs one chapter 6 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I06_embeddings/exercises -DEX_CHAPTER_DIR='"<abs path>"' \
 *      -DEXERCISE_ex1_tfidf 06_embeddings/exercises/driver.c <your ex1_tfidf.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_tfidf.txt.
 * Besides the values themselves, each exercise reports how far they are from an independent
 * reference, which must come out near 0 (the same tolerance applies):
 *   ex1   numpy's TF-IDF by the lecture's formulas, ex2 PyTorch's autograd, ex4 gensim's
 *         fastText n-gram hashes: all in expected/references.txt, written by
 *         scripts/gen_fixtures_ex06.py and read here from EX_CHAPTER_DIR;
 *   ex3   the driver's own float64 computation of the definitions.
 * Outputs that must be written start as NaN, so a forgotten one shows up as "produced NaN".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grader.h"
#include "base/rng.h"
#include "exercises.h"

#ifndef EX_CHAPTER_DIR
#define EX_CHAPTER_DIR "06_embeddings"   // run by hand from the repository root
#endif

#define EX_FIXTURE_SCRIPT "scripts/gen_fixtures_ex06.py"
#include "driver_fixture.h"

#if defined(EXERCISE_ex1_tfidf)
// The toy corpus of EXERCISES.md § 1 (4 reviews, 11 words) and a random one with a word in
// every document (df = N: idf = ln(N/(N+1)) + 1 < 1), a word in none and an empty document.
// Reported: every weight, and <case>_maxdiff_numpy = the largest |yours − numpy's| (~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"tfidf_toy", "tfidf_rand"};
    char name[48];
    for (int k = 0; k < 2; k++) {
        const char *p = cases[k];
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int N = (int)cfg[0], V = (int)cfg[1];
        size_t nv = (size_t)N * V;
        const double *cd = fixture_get(&fx, p, "counts", nv);
        int *counts = malloc(sizeof(int) * nv);
        if (!counts) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (size_t i = 0; i < nv; i++) counts[i] = (int)cd[i];
        float *out = alloc_floats(nv, NAN);
        ex_tfidf(counts, N, V, out);
        snprintf(name, sizeof name, "%s_w", p);
        ex_put_array(name, out, (int)nv);
        snprintf(name, sizeof name, "%s_maxdiff_numpy", p);
        ex_put(name, 0, max_abs_diff(out, fixture_get(&fx, p, "out.f64", nv), nv));
        free(counts);
        free(out);
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex2_sgns_step)
// Four steps against PyTorch's autograd (D 3 … 16, K 1 … 8, lr 0.025 … 0.5, small and large
// vectors). Reported: the loss and every vector after the step, and
// <case>_maxdiff_torch = the largest |yours − PyTorch's| over them (~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"sgns_a", "sgns_b", "sgns_c", "sgns_d"};
    char name[48];
    for (int k = 0; k < 4; k++) {
        const char *p = cases[k];
        const double *cfg = fixture_get(&fx, p, "cfg", 3);
        int D = (int)cfg[0], K = (int)cfg[1];
        float lr = (float)cfg[2];
        float *v = floats_of(fixture_get(&fx, p, "v", (size_t)D), (size_t)D);
        float *up = floats_of(fixture_get(&fx, p, "u_pos", (size_t)D), (size_t)D);
        float *un = floats_of(fixture_get(&fx, p, "u_neg", (size_t)K * D), (size_t)K * D);
        float loss = ex_sgns_step(v, up, un, K, D, lr);
        double d = fabs((double)loss - fixture_get(&fx, p, "loss.f64", 1)[0]);
        if (isnan(loss)) d = NAN;
        double dv = max_abs_diff(v, fixture_get(&fx, p, "v.out.f64", (size_t)D), (size_t)D);
        double dp = max_abs_diff(up, fixture_get(&fx, p, "u_pos.out.f64", (size_t)D), (size_t)D);
        double dn = max_abs_diff(un, fixture_get(&fx, p, "u_neg.out.f64", (size_t)K * D), (size_t)K * D);
        if (isnan(dv) || isnan(dp) || isnan(dn)) d = NAN;
        else d = fmax(d, fmax(dv, fmax(dp, dn)));
        snprintf(name, sizeof name, "%s_loss", p);
        ex_put(name, 0, loss);
        snprintf(name, sizeof name, "%s_v", p);
        ex_put_array(name, v, D);
        snprintf(name, sizeof name, "%s_u_pos", p);
        ex_put_array(name, up, D);
        snprintf(name, sizeof name, "%s_u_neg", p);
        ex_put_array(name, un, K * D);
        snprintf(name, sizeof name, "%s_maxdiff_torch", p);
        ex_put(name, 0, d);
        free(v); free(up); free(un);
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex3_cosine_analogy)
static double cos_ref(const float *a, const float *b, int D)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < D; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

// The float64 3CosAdd answer, and the margin between the best and the second-best cosine.
static int analogy_ref(const float *E, int V, int D, int a, int b, int c, double *margin)
{
    double *t = malloc(sizeof(double) * (size_t)D), best = -INFINITY, second = -INFINITY;
    if (!t) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    double s[3] = {0, 0, 0};
    for (int i = 0; i < D; i++) {
        s[0] += (double)E[(size_t)a * D + i] * E[(size_t)a * D + i];
        s[1] += (double)E[(size_t)b * D + i] * E[(size_t)b * D + i];
        s[2] += (double)E[(size_t)c * D + i] * E[(size_t)c * D + i];
    }
    double na = sqrt(s[0]), nb = sqrt(s[1]), nc = sqrt(s[2]);
    for (int i = 0; i < D; i++)
        t[i] = E[(size_t)b * D + i] / nb - E[(size_t)a * D + i] / na + E[(size_t)c * D + i] / nc;
    int arg = -1;
    for (int w = 0; w < V; w++) {
        if (w == a || w == b || w == c) continue;
        double dot = 0, ee = 0, tt = 0;
        for (int i = 0; i < D; i++) {
            dot += E[(size_t)w * D + i] * t[i];
            ee += (double)E[(size_t)w * D + i] * E[(size_t)w * D + i];
            tt += t[i] * t[i];
        }
        double cs = dot / sqrt(ee * tt);
        if (cs > best) { second = best; best = cs; arg = w; }
        else if (cs > second) second = cs;
    }
    free(t);
    *margin = best - second;
    return arg;
}

// Cosine: identical, opposite, orthogonal and one-hot pairs (1, −1, 0, 0), a zero vector (0),
// large and tiny magnitudes, random pairs of 50 dimensions; cos_maxdiff = the largest
// |yours − float64| (~0).
// 3CosAdd: a hand-made vocabulary (EXERCISES.md § 3: king − man + woman), in which a query
// word is closest to the target (so it must be excluded) and the rows have very different
// lengths (so they must be normalised); then 40 random queries over 300 words of 20
// dimensions with lengths from 0.2 to 5, each with a clear winner (a margin > 1e-4 in float64);
// analogy_wrong = how many of your answers differ from the driver's float64 ones (0).
static void run(void)
{
    Rng rng;
    rng_seed(&rng, 61);
    // cosine
    enum { DC = 50, NR = 6 };
    float pairs[8][2][4] = {
        {{1, 2, 3, 4}, {1, 2, 3, 4}}, {{1, -2, 0.5f, 3}, {-1, 2, -0.5f, -3}}, {{1, 0, 2, 0}, {0, 3, 0, -1}},
        {{0, 0, 1, 0}, {0, 1, 0, 0}}, {{0, 0, 0, 0}, {1, 2, 3, 4}}, {{1e3f, -2e3f, 5e2f, 1e3f}, {2e3f, 1e3f, 1e3f, -5e2f}},
        {{1e-3f, 2e-3f, -1e-3f, 0}, {3e-3f, 1e-3f, 1e-3f, 2e-3f}}, {{3, 1, 4, 1}, {5, 9, 2, 6}},
    };
    float cs[8 + NR];
    double md = 0;
    for (int k = 0; k < 8; k++) {
        cs[k] = ex_cosine(pairs[k][0], pairs[k][1], 4);
        double d = fabs(cs[k] - cos_ref(pairs[k][0], pairs[k][1], 4));
        if (!(d <= md)) md = d;
    }
    for (int k = 0; k < NR; k++) {
        float a[DC], b[DC];
        for (int i = 0; i < DC; i++) a[i] = rng_uniform_range(&rng, -1, 1), b[i] = rng_uniform_range(&rng, -1, 1) + 0.5f * a[i];
        cs[8 + k] = ex_cosine(a, b, DC);
        double d = fabs(cs[8 + k] - cos_ref(a, b, DC));
        if (!(d <= md)) md = d;
    }
    ex_put_array("cos", cs, 8 + NR);
    ex_put("cos_maxdiff", 0, md);

    // 3CosAdd on the hand-made vocabulary: 0 king, 1 queen, 2 man, 3 woman, 4 prince,
    // 5 princess, 6 apple, 7 car (D = 3: royalty, gender, thing), lengths from 0.5 to 8: the
    // unit scaling and the exclusion of the query words each change some answers.
    static const float HAND[8][3] = {
        {8.0f, 1.6f, 0.0f}, {0.9f, -0.9f, 0.05f}, {0.1f, 1.0f, 0.1f}, {0.05f, -0.5f, 0.05f},
        {0.7f, 0.5f, 0.1f}, {3.5f, -2.6f, 0.2f}, {0.0f, 0.1f, 2.0f}, {0.2f, 0.0f, 1.5f},
    };
    static const int Q[][3] = {{2, 0, 3}, {3, 1, 2}, {0, 1, 4}, {2, 3, 0}, {1, 0, 5}, {6, 7, 6}};
    int nq = (int)(sizeof Q / sizeof Q[0]), wrong = 0;
    for (int q = 0; q < nq; q++) {
        double margin;
        int got = ex_analogy_3cosadd(&HAND[0][0], 8, 3, Q[q][0], Q[q][1], Q[q][2]);
        int want = analogy_ref(&HAND[0][0], 8, 3, Q[q][0], Q[q][1], Q[q][2], &margin);
        ex_put("hand_answer", q, got);
        wrong += got != want;
    }
    enum { V = 300, D = 20, NQ = 40 };
    float *E = alloc_floats((size_t)V * D, 0);
    for (int w = 0; w < V; w++) {
        float len = rng_uniform_range(&rng, 0.2f, 5.0f);
        for (int i = 0; i < D; i++) E[(size_t)w * D + i] = len * rng_uniform_range(&rng, -1, 1);
    }
    for (int q = 0; q < NQ;) {
        int a = (int)rng_below(&rng, V), b = (int)rng_below(&rng, V), c = (int)rng_below(&rng, V);
        double margin;
        int want = analogy_ref(E, V, D, a, b, c, &margin);
        if (margin < 1e-4) continue;              // no clear winner: draw another query
        int got = ex_analogy_3cosadd(E, V, D, a, b, c);
        ex_put("rand_answer", q, got);
        wrong += got != want;
        q++;
    }
    ex_put("analogy_wrong", 0, wrong);
    free(E);
}

#elif defined(EXERCISE_ex4_subword_ngrams)
// Eleven words against gensim's ft_ngram_hashes (fastText's computeSubwords): fastText's
// defaults (n = 3 … 6, 2,000,000 buckets), a one-letter word, UTF-8 words (naïve, café,
// ünïcödé, über-cool: characters of several bytes, and bytes >= 0x80 that fastText hashes as
// signed chars), minn = 1 (the lone "<" and ">" are left out), few buckets. Reported: the count
// and the ids of each word; <case>_wrong_gensim = how many ids differ from gensim's (or 1000 +
// the count's error when the count is wrong): 0.
static void run(void)
{
    Fixture fx = fixture_load();
    char name[48], p[16];
    for (int k = 0; k < 11; k++) {
        snprintf(p, sizeof p, "ng_%d", k);
        const double *cfg = fixture_get(&fx, p, "cfg", 3);
        int minn = (int)cfg[0], maxn = (int)cfg[1];
        uint32_t buckets = (uint32_t)cfg[2];
        const Block *wblk = fixture_block(&fx, p, "word", 0), *iblk = fixture_block(&fx, p, "ids", 0);
        const double *wb = wblk->v, *want = iblk->v;
        size_t nb = wblk->n, want_n = iblk->n;
        char *word = malloc(nb + 1);
        if (!word) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (size_t i = 0; i < nb; i++) word[i] = (char)(unsigned char)wb[i];
        word[nb] = 0;
        size_t cap = (nb + 2) * (size_t)maxn + 1;
        uint32_t *ids = malloc(sizeof(uint32_t) * cap);
        if (!ids) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (size_t i = 0; i < cap; i++) ids[i] = 0xFFFFFFFFu;
        int n = ex_subword_buckets(word, minn, maxn, buckets, ids);
        double wrong = 0;
        if (n < 0 || (size_t)n != want_n) wrong = 1000 + fabs((double)n - (double)want_n);
        else
            for (int i = 0; i < n; i++) wrong += ids[i] != (uint32_t)want[i];
        snprintf(name, sizeof name, "%s_count", p);
        ex_put(name, 0, n);
        snprintf(name, sizeof name, "%s_ids", p);
        for (int i = 0; i < n && (size_t)i < cap; i++) ex_put(name, i, ids[i]);
        snprintf(name, sizeof name, "%s_wrong_gensim", p);
        ex_put(name, 0, wrong);
        free(word);
        free(ids);
    }
    fixture_free(&fx);
}

#else
#error "build with -DEXERCISE_<name> (the grader does: make grade)"
#endif

int main(void)
{
    run();
    ex_end();
    return 0;
}
