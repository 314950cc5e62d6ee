/* tests/test_infer.c — the pure parts of chapter 8's section 6 (08_scaling/infer.h): the
 * addition task's encoding and answer parsing, the unbiased pass@k estimator and best-of-k
 * with a scoring verifier against brute force over every k-subset, majority voting and its
 * ties, the FLOPs of a decoding step against gpt_param_count, and the sampler: the KV cache
 * reused after the prompt gives decode()'s greedy answer, and 1 or 2 threads give the same
 * samples.
 */
#include "testutil.h"

#include "base/threads.h"
#include "../08_scaling/infer.c"

// ---- the task ----

START_TEST(test_encode_and_parse_round_trip)
{
    int tok[ADD_LEN];
    char text[ADD_LEN + 1];
    add_encode(123, 456, tok);
    ck_assert_str_eq(add_text(tok, ADD_LEN, text), ADD_REVERSED ? "123+456=9750" : "123+456=0579");
    add_encode(999, 7, tok);
    ck_assert_str_eq(add_text(tok, ADD_LEN, text), ADD_REVERSED ? "999+007=6001" : "999+007=1006");
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < 2000; i++) {
        const int a = (int)rng_below(&r, ADD_RANGE), b = (int)rng_below(&r, ADD_RANGE);
        add_encode(a, b, tok);
        ck_assert_int_eq(add_answer_value(tok + ADD_PROMPT), a + b);
        ck_assert_int_eq(tok[ADD_DIGITS], ADD_PLUS);
        ck_assert_int_eq(tok[ADD_PROMPT - 1], ADD_EQUALS);
    }
    const int bad[ADD_ANSWER] = {1, ADD_PLUS, 2, 3}, eq[ADD_ANSWER] = {0, 0, 0, ADD_EQUALS};
    ck_assert_int_eq(add_answer_value(bad), -1);
    ck_assert_int_eq(add_answer_value(eq), -1);
}
END_TEST

// ---- pass@k and best-of-k against every k-subset ----

// Visit every k-subset of [0, n) (as a bitmask) and average f over them.
static double subsets_mean(int n, int k, double (*f)(unsigned mask, const void *ctx), const void *ctx)
{
    double sum = 0;
    long count = 0;
    for (unsigned m = 0; m < 1u << n; m++) {
        if (__builtin_popcount(m) != k) continue;
        sum += f(m, ctx);
        count++;
    }
    return sum / (double)count;
}

typedef struct Samples {
    int n;
    const double *score;
    const bool *correct;
} Samples;

static double any_correct(unsigned m, const void *ctx)
{
    const Samples *s = ctx;
    for (int i = 0; i < s->n; i++) if (m >> i & 1 && s->correct[i]) return 1;
    return 0;
}

static double best_correct(unsigned m, const void *ctx)
{
    const Samples *s = ctx;
    int best = -1;
    for (int i = 0; i < s->n; i++)   // the first of the highest scores
        if (m >> i & 1 && (best < 0 || s->score[i] > s->score[best])) best = i;
    return s->correct[best];
}

START_TEST(test_pass_at_k_is_the_subset_probability)
{
    bool correct[10];
    for (int n = 1; n <= 10; n++)
        for (int c = 0; c <= n; c++) {
            for (int i = 0; i < n; i++) correct[i] = (n - 1 - i) * (i + 3) % (n + 2) < c;
            int right = 0;   // c or thereabouts, spread out: pass the true count
            for (int i = 0; i < n; i++) right += correct[i];
            Samples s = {n, NULL, correct};
            for (int k = 1; k <= n; k++)
                dl_ck_close1("pass@k", pass_at_k(n, right, k), subsets_mean(n, k, any_correct, &s),
                             1e-6, 1e-6);
        }
    ck_assert(pass_at_k(32, 0, 32) == 0.0);
    ck_assert(pass_at_k(32, 1, 32) == 1.0);
    dl_ck_close1("pass@1 = c/n", pass_at_k(200, 37, 1), 37.0 / 200, 1e-6, 1e-6);
}
END_TEST

START_TEST(test_best_of_k_is_the_subset_expectation)
{
    Rng r;
    rng_seed(&r, 11);
    double score[10];
    bool correct[10];
    for (int trial = 0; trial < 40; trial++) {
        const int n = 1 + (int)rng_below(&r, 10);
        for (int i = 0; i < n; i++) {
            score[i] = (double)(int)rng_below(&r, 4) - 3;   // few values: ties happen
            correct[i] = rng_below(&r, 3) == 0;
        }
        Samples s = {n, score, correct};
        for (int k = 1; k <= n; k++)
            dl_ck_close1("best-of-k", best_of_k(score, correct, n, k),
                         subsets_mean(n, k, best_correct, &s), 1e-6, 1e-6);
    }
}
END_TEST

// ---- majority voting ----

START_TEST(test_majority_vote_and_its_ties)
{
    const double flat[6] = {0, 0, 0, 0, 0, 0};
    ck_assert_int_eq(majority_vote((int[]){5, 3, 5}, flat, 3), 5);
    ck_assert_int_eq(majority_vote((int[]){3, 5}, (double[]){-1.0, -0.5}, 2), 5);  // likelier
    ck_assert_int_eq(majority_vote((int[]){3, 5}, flat, 2), 3);                    // earlier
    ck_assert_int_eq(majority_vote((int[]){-1, -1, 7}, flat, 3), 7);   // unparseable never wins
    ck_assert_int_eq(majority_vote((int[]){-1, -1}, flat, 2), -1);
    ck_assert_int_eq(majority_vote((int[]){4, 9, 9, 4, 4, 1}, flat, 6), 4);
    // majority@k: k = 1 is the fraction correct, k = n one vote of all
    const int v[6] = {4, 9, 9, 4, 4, 1};
    dl_ck_close1("vote@1", majority_at_k(v, flat, 6, 1, 4), 3.0 / 6, 1e-6, 0);
    dl_ck_close1("vote@6", majority_at_k(v, flat, 6, 6, 4), 1.0, 1e-6, 0);
    // groups (4 9) (9 4) (4 1): ties to the earlier, votes 4, 9, 4
    dl_ck_close1("vote@2", majority_at_k(v, flat, 6, 2, 9), 1.0 / 3, 1e-6, 0);
    dl_ck_close1("vote@4", majority_at_k(v, flat, 6, 4, 4), 1.0, 1e-6, 0);    // one group: 4 9 9 4
}
END_TEST

// ---- FLOPs ----

START_TEST(test_step_flops_against_the_parameter_count)
{
    GptConfig c = {.V = ADD_V, .T = ADD_LEN - 1, .L = 3, .NH = 4, .C = 64, .causal = true,
                   .pos = POS_LEARNED};
    // Bias-free, tied head: N = V·C + T·C (embeddings) + L·(3C² + C² + 8C²) + (2L + 1)·C (LN γ).
    // Each weight of the matrices and of the tied head is one multiply-add per token.
    const double N = (double)gpt_param_count(&c);
    const double matmul = N - (double)c.T * c.C - (2.0 * c.L + 1) * c.C;
    for (int pos = 0; pos < c.T; pos++)
        dl_ck_close1("step FLOPs", gpt_step_flops(&c, pos),
                     2 * matmul + c.L * 4.0 * (pos + 1) * c.C, 0, 1e-6);
}
END_TEST

// ---- the sampler ----

static void random_gpt(Model *m, Gpt *g, uint64_t seed)
{
    GptConfig c = {.V = ADD_V, .T = ADD_LEN - 1, .L = 2, .NH = 2, .C = 16, .causal = true,
                   .pos = POS_LEARNED, .init_std = 0.5f};   // a wide init: varied answers
    Rng r;
    rng_seed(&r, seed);
    model_init(m, "test/adder");
    gpt_init(g, m, &c, &r);
}

START_TEST(test_cached_prompt_gives_decodes_greedy_answer)
{
    Model m;
    Gpt g;
    random_gpt(&m, &g, 3);
    GptLm glm;
    gpt_lm_init(&glm, &g, true);
    const DecodeConfig greedy = {.kind = DECODE_GREEDY};
    int a[8] = {0, 1, 999, 123, 500, 77, 640, 9}, b[8] = {0, 998, 999, 456, 500, 3, 12, 990};
    int greedy_ans[8], value[8 * 4];
    double logp[8 * 4];
    Answers an = {.n = 4, .greedy = greedy_ans, .value = value, .logp = logp};
    SampleJob job = {.g = &g, .a = a, .b = b, .temperature = 1.0f, .seed = 1, .ans = &an};
    for (int p = 0; p < 8; p++) {
        sample_problem(&job, p);
        int tok[ADD_LEN], out[ADD_LEN];
        add_encode(a[p], b[p], tok);
        decode(&glm.lm, &greedy, tok, ADD_PROMPT, ADD_ANSWER, NULL, out);
        ck_assert_int_eq(greedy_ans[p], add_answer_value(out + ADD_PROMPT));
        for (int s = 0; s < 4; s++) ck_assert(logp[p * 4 + s] < 0);
    }
    gpt_lm_free(&glm);
    model_free(&m);
}
END_TEST

START_TEST(test_samples_do_not_depend_on_threads)
{
    Model m;
    Gpt g;
    random_gpt(&m, &g, 4);
    enum { P = 16, N = 8 };
    int a[P], b[P];
    for (int p = 0; p < P; p++) a[p] = 61 * p, b[p] = 999 - 37 * p;
    int greedy[2][P], value[2][P * N];
    double logp[2][P * N];
    for (int t = 0; t < 2; t++) {
        threads_set(t + 1);
        Answers an = {.n = N, .greedy = greedy[t], .value = value[t], .logp = logp[t]};
        SampleJob job = {.g = &g, .a = a, .b = b, .temperature = 1.0f, .seed = 9, .ans = &an};
        parallel_for(P, sample_problem, &job);
    }
    threads_set(1);
    ck_assert(memcmp(greedy[0], greedy[1], sizeof greedy[0]) == 0);
    ck_assert(memcmp(value[0], value[1], sizeof value[0]) == 0);
    ck_assert(memcmp(logp[0], logp[1], sizeof logp[0]) == 0);
    int distinct = 0;   // the samples really vary (the test would be empty otherwise)
    for (int i = 1; i < P * N; i++) distinct += value[0][i] != value[0][0];
    ck_assert_int_gt(distinct, 0);
    model_free(&m);
}
END_TEST

static Suite *infer_suite(void)
{
    Suite *s = suite_create("infer");
    TCase *tc = tcase_create("infer");
    tcase_add_test(tc, test_encode_and_parse_round_trip);
    tcase_add_test(tc, test_pass_at_k_is_the_subset_probability);
    tcase_add_test(tc, test_best_of_k_is_the_subset_expectation);
    tcase_add_test(tc, test_majority_vote_and_its_ties);
    tcase_add_test(tc, test_step_flops_against_the_parameter_count);
    tcase_add_test(tc, test_cached_prompt_gives_decodes_greedy_answer);
    tcase_add_test(tc, test_samples_do_not_depend_on_threads);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(infer_suite)
