/* tests/test_decode.c — decoding strategies (common/train/decode.h) on toy language models
 * whose next-token distribution is a fixed table: greedy is the argmax chain; beam 1 is
 * greedy; beam search finds the brute-force most likely continuation where greedy does not;
 * top-p frequencies over many draws match the renormalised nucleus (chi-square); top-k 1 and
 * temperature → 0 are greedy; the same seed gives the same text; prefixes are cropped to the
 * model's context; bad configurations die naming the field.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "base/rng.h"
#include "train/decode.h"

// ---- toy models ----

/* A bigram model: logits of the next token = table[last token]. */
typedef struct Bigram {
    int V;
    const float *table;   // (V, V)
    int calls;
} Bigram;

static void bigram_logits(void *ctx, const int *prefix, int n, float *logits)
{
    Bigram *b = ctx;
    b->calls++;
    memcpy(logits, b->table + (size_t)prefix[n - 1] * b->V, (size_t)b->V * sizeof *logits);
}

static LanguageModel bigram_lm(Bigram *b, int max_T)
{
    return (LanguageModel){.ctx = b, .V = b->V, .max_T = max_T, .logits = bigram_logits};
}

static float *random_table(int V, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    float *t = malloc((size_t)V * V * sizeof *t);
    for (int i = 0; i < V * V; i++) t[i] = 2.0f * rng_normal(&r);
    return t;
}

static double log_prob(const float *logits, int V, int t)
{
    double m = -INFINITY, s = 0.0;
    for (int i = 0; i < V; i++) m = logits[i] > m ? logits[i] : m;
    for (int i = 0; i < V; i++) s += exp(logits[i] - m);
    return logits[t] - m - log(s);
}

// ---- greedy ----

START_TEST(test_greedy_is_the_argmax_chain)
{
    int V = 7, n_new = 30;
    float *table = random_table(V, 3);
    Bigram b = {V, table, 0};
    LanguageModel lm = bigram_lm(&b, 64);
    DecodeConfig c = {.kind = DECODE_GREEDY};
    int prompt[2] = {4, 2}, out[32];
    double lp = decode(&lm, &c, prompt, 2, n_new, NULL, out);
    ck_assert_int_eq(out[0], 4);
    ck_assert_int_eq(out[1], 2);
    int last = 2;
    double want_lp = 0.0;
    for (int s = 0; s < n_new; s++) {
        const float *row = table + last * V;
        int best = 0;
        for (int i = 1; i < V; i++) best = row[i] > row[best] ? i : best;
        ck_assert_int_eq(out[2 + s], best);
        want_lp += log_prob(row, V, best);
        last = best;
    }
    ck_assert_msg(fabs(lp - want_lp) < 1e-9, "log-prob %.12g, want %.12g", lp, want_lp);
    ck_assert_int_eq(b.calls, n_new);
    free(table);
}
END_TEST

START_TEST(test_greedy_equivalents)
{
    int V = 9, n_new = 40;
    float *table = random_table(V, 5);
    Bigram b = {V, table, 0};
    LanguageModel lm = bigram_lm(&b, 64);
    int prompt[1] = {0}, greedy[41], other[41];
    DecodeConfig g = {.kind = DECODE_GREEDY};
    double lp_g = decode(&lm, &g, prompt, 1, n_new, NULL, greedy);
    Rng r;
    rng_seed(&r, 1);
    DecodeConfig cases[] = {
        {.kind = DECODE_BEAM, .beam = 1},
        {.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_k = 1},
        {.kind = DECODE_SAMPLE, .temperature = 1e-7f},
        {.kind = DECODE_SAMPLE, .temperature = 0.0f, .top_p = 0.9f},
        {.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_k = 1, .top_p = 0.5f},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char d[64];
        double lp = decode(&lm, &cases[k], prompt, 1, n_new, &r, other);
        ck_assert_msg(memcmp(greedy, other, sizeof greedy) == 0, "%s differs from greedy",
                      decode_describe(&cases[k], d, sizeof d));
        ck_assert(fabs(lp - lp_g) < 1e-9);
    }
    free(table);
}
END_TEST

// ---- beam search ----

/* Every continuation of length n after token `first`, the most likely by brute force. */
static double brute_best(const float *table, int V, int first, int n, int *best_seq)
{
    double best = -INFINITY;
    int total = 1;
    for (int i = 0; i < n; i++) total *= V;
    int seq[8];
    for (int code = 0; code < total; code++) {
        int c = code, last = first;
        double lp = 0.0;
        for (int i = n - 1; i >= 0; i--) seq[i] = c % V, c /= V;   // lexicographic order
        for (int i = 0; i < n; i++) lp += log_prob(table + last * V, V, seq[i]), last = seq[i];
        if (lp > best) best = lp, memcpy(best_seq, seq, (size_t)n * sizeof *seq);
    }
    return best;
}

START_TEST(test_beam_finds_the_best_sequence_greedy_misses)
{
    // From token 0 greedy takes 1 (p .5) but then everything is uniform (1/3); 2 (p .4) is
    // followed by 0 with p .95: the best two tokens are "2 0" (.38 > .167).
    const int V = 3;
    float table[9] = {
        logf(0.1f), logf(0.5f), logf(0.4f),
        logf(1.0f / 3), logf(1.0f / 3), logf(1.0f / 3),
        logf(0.95f), logf(0.03f), logf(0.02f),
    };
    Bigram b = {V, table, 0};
    LanguageModel lm = bigram_lm(&b, 16);
    int prompt[1] = {0}, n = 4, brute[8], out[8];
    double best = brute_best(table, V, 0, n, brute);
    DecodeConfig g = {.kind = DECODE_GREEDY};
    double lp_greedy = decode(&lm, &g, prompt, 1, n, NULL, out);
    ck_assert_msg(lp_greedy < best - 0.1, "greedy %.4f should miss the best %.4f", lp_greedy,
                  best);
    for (int beam = 2; beam <= 27; beam += 25) {   // 2, and 27 = V^(n-1): exhaustive
        DecodeConfig c = {.kind = DECODE_BEAM, .beam = beam};
        double lp = decode(&lm, &c, prompt, 1, n, NULL, out);
        ck_assert_msg(fabs(lp - best) < 1e-9, "beam %d: %.6f, brute force %.6f", beam, lp, best);
        for (int i = 0; i < n; i++) ck_assert_int_eq(out[1 + i], brute[i]);
    }
    // with a length penalty the choice among equal-length beams does not change
    DecodeConfig lpen = {.kind = DECODE_BEAM, .beam = 4, .length_penalty = 0.6f};
    ck_assert(fabs(decode(&lm, &lpen, prompt, 1, n, NULL, out) - best) < 1e-9);
}
END_TEST

START_TEST(test_wide_beam_is_exhaustive_on_random_tables)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        int V = 4, n = 5, brute[8], out[8], prompt[1] = {(int)seed % 4};
        float *table = random_table(V, 100 + seed);
        Bigram b = {V, table, 0};
        LanguageModel lm = bigram_lm(&b, 16);
        double best = brute_best(table, V, prompt[0], n, brute);
        DecodeConfig g = {.kind = DECODE_GREEDY}, wide = {.kind = DECODE_BEAM, .beam = 256},
                     b3 = {.kind = DECODE_BEAM, .beam = 3};
        double lg = decode(&lm, &g, prompt, 1, n, NULL, out);
        double l3 = decode(&lm, &b3, prompt, 1, n, NULL, out);
        double lw = decode(&lm, &wide, prompt, 1, n, NULL, out);
        ck_assert(lg <= best + 1e-9 && l3 <= best + 1e-9);   // nothing beats the best
        ck_assert_msg(fabs(lw - best) < 1e-9, "seed %d: wide beam %.6f, best %.6f", (int)seed, lw,
                      best);
        for (int i = 0; i < n; i++) ck_assert_int_eq(out[1 + i], brute[i]);
        free(table);
    }
}
END_TEST

// ---- sampling ----

START_TEST(test_top_p_frequencies_match_the_nucleus)
{
    const double p[6] = {0.05, 0.4, 0.1, 0.25, 0.15, 0.05};
    float logits[6];
    for (int i = 0; i < 6; i++) logits[i] = (float)log(p[i]) + 3.0f;
    struct { int top_k; float top_p; double want[6]; } cases[] = {
        // sorted .4 (1), .25 (3), .15 (4): mass .8 >= .7, renormalised
        {0, 0.7f, {0, 0.4 / 0.8, 0, 0.25 / 0.8, 0.15 / 0.8, 0}},
        {0, 0.3f, {0, 1, 0, 0, 0, 0}},
        {2, 0.9f, {0, 0.4 / 0.65, 0, 0.25 / 0.65, 0, 0}},
        // .05 twice (tokens 0 and 5): the lower id enters the nucleus first
        {0, 0.93f, {0.05 / 0.95, 0.4 / 0.95, 0.1 / 0.95, 0.25 / 0.95, 0.15 / 0.95, 0}},
    };
    Rng r;
    rng_seed(&r, 42);
    int draws = 40000;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int count[6] = {0};
        for (int d = 0; d < draws; d++)
            count[sample_token_nucleus(logits, 6, 1.0f, cases[k].top_k, cases[k].top_p, &r)]++;
        double chi2 = 0.0;
        int dof = -1;
        for (int i = 0; i < 6; i++) {
            double e = cases[k].want[i] * draws;
            if (e == 0.0) {
                ck_assert_msg(count[i] == 0, "case %zu: token %d outside the nucleus drawn %d "
                              "times", k, i, count[i]);
                continue;
            }
            chi2 += (count[i] - e) * (count[i] - e) / e;
            dof++;
        }
        // chi-square 99.9 % quantiles for 0 … 4 degrees of freedom
        const double limit[5] = {1e-9, 10.83, 13.82, 16.27, 18.47};
        ck_assert_msg(chi2 <= limit[dof], "case %zu: chi-square %.2f > %.2f (%d dof)", k, chi2,
                      limit[dof], dof);
    }
    // temperature applies before the nucleus: at 0.5 the probabilities are ∝ p² (sum .26), so
    // token 1 alone (.16/.26 = .62) is below .7 and tokens 1 and 3 (.2225/.26 = .86) reach it
    int count[6] = {0};
    for (int d = 0; d < draws; d++) count[sample_token_nucleus(logits, 6, 0.5f, 0, 0.7f, &r)]++;
    ck_assert_int_eq(count[0] + count[2] + count[4] + count[5], 0);
    double f1 = (double)count[1] / draws, w1 = 0.16 / 0.2225;
    ck_assert_msg(fabs(f1 - w1) < 0.01, "temperature 0.5: token 1 %.4f, want %.4f", f1, w1);
    // ties: the lower id enters the nucleus first
    float flat[4] = {1, 1, 1, 1};
    int seen[4] = {0};
    for (int d = 0; d < 2000; d++) seen[sample_token_nucleus(flat, 4, 1.0f, 0, 0.5f, &r)]++;
    ck_assert(seen[0] > 800 && seen[1] > 800 && seen[2] == 0 && seen[3] == 0);
}
END_TEST

START_TEST(test_same_seed_same_text)
{
    int V = 8, n_new = 60;
    float *table = random_table(V, 9);
    Bigram b = {V, table, 0};
    LanguageModel lm = bigram_lm(&b, 64);
    int prompt[1] = {3}, a[61], c2[61], d[61];
    DecodeConfig c = {.kind = DECODE_SAMPLE, .temperature = 1.2f, .top_k = 6, .top_p = 0.95f};
    Rng r;
    rng_seed(&r, 7);
    double la = decode(&lm, &c, prompt, 1, n_new, &r, a);
    rng_seed(&r, 7);
    double lc = decode(&lm, &c, prompt, 1, n_new, &r, c2);
    ck_assert(memcmp(a, c2, sizeof a) == 0);
    ck_assert(la == lc);
    rng_seed(&r, 8);
    decode(&lm, &c, prompt, 1, n_new, &r, d);
    ck_assert_msg(memcmp(a, d, sizeof a) != 0, "another seed gives the same 60 tokens");
    free(table);
}
END_TEST

// ---- context cropping ----

/* Next token = (sum of the tokens fed) mod V, as a one-hot logit; checks n <= max_T. */
typedef struct SumModel {
    int V, max_T, max_n;
} SumModel;

static void sum_logits(void *ctx, const int *prefix, int n, float *logits)
{
    SumModel *s = ctx;
    ck_assert_int_le(n, s->max_T);
    s->max_n = n > s->max_n ? n : s->max_n;
    int sum = 0;
    for (int i = 0; i < n; i++) sum += prefix[i];
    for (int i = 0; i < s->V; i++) logits[i] = i == sum % s->V ? 5.0f : 0.0f;
}

START_TEST(test_context_cropped_to_max_T)
{
    SumModel s = {11, 3, 0};
    LanguageModel lm = {.ctx = &s, .V = 11, .max_T = 3, .logits = sum_logits};
    int prompt[5] = {1, 2, 3, 4, 5}, out[25];
    DecodeConfig cs[2] = {{.kind = DECODE_GREEDY}, {.kind = DECODE_BEAM, .beam = 2}};
    for (int k = 0; k < 2; k++) {
        decode(&lm, &cs[k], prompt, 5, 20, NULL, out);
        int want[25];
        memcpy(want, prompt, sizeof prompt);
        for (int i = 5; i < 25; i++) want[i] = (want[i - 1] + want[i - 2] + want[i - 3]) % 11;
        for (int i = 0; i < 25; i++) ck_assert_int_eq(out[i], want[i]);
        ck_assert_int_eq(s.max_n, 3);
    }
    // a short prompt is fed whole
    s.max_n = 0;
    decode(&lm, &cs[0], prompt, 1, 1, NULL, out);
    ck_assert_int_eq(s.max_n, 1);
    ck_assert_int_eq(out[1], 1);
}
END_TEST

// ---- describing and bad configurations ----

START_TEST(test_describe)
{
    char buf[64];
    struct { DecodeConfig c; const char *want; } cases[] = {
        {{.kind = DECODE_GREEDY}, "greedy"},
        {{.kind = DECODE_SAMPLE, .temperature = 0.8f}, "temperature 0.8"},
        {{.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_k = 40}, "top-k 40 (temperature 1.0)"},
        {{.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_p = 0.9f}, "top-p 0.9"},
        {{.kind = DECODE_BEAM, .beam = 4}, "beam 4"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        ck_assert_str_eq(decode_describe(&cases[k].c, buf, sizeof buf), cases[k].want);
}
END_TEST

static float g_table[4] = {0, 1, 1, 0};
static void run_config(DecodeConfig c, int n_prompt, bool with_rng)
{
    Bigram b = {2, g_table, 0};
    LanguageModel lm = bigram_lm(&b, 8);
    int prompt[1] = {0}, out[8];
    Rng r;
    rng_seed(&r, 1);
    decode(&lm, &c, prompt, n_prompt, 3, with_rng ? &r : NULL, out);
}
static void die_top_p(void) { run_config((DecodeConfig){DECODE_SAMPLE, 1.0f, 0, 1.5f, 0, 0}, 1, true); }
static void die_temp(void) { run_config((DecodeConfig){DECODE_SAMPLE, -1.0f, 0, 0, 0, 0}, 1, true); }
static void die_top_k(void) { run_config((DecodeConfig){DECODE_SAMPLE, 1.0f, -2, 0, 0, 0}, 1, true); }
static void die_beam(void) { run_config((DecodeConfig){DECODE_BEAM, 1.0f, 0, 0, 0, 0}, 1, false); }
static void die_prompt(void) { run_config((DecodeConfig){DECODE_GREEDY, 1.0f, 0, 0, 0, 0}, 0, false); }
static void die_no_rng(void) { run_config((DecodeConfig){DECODE_SAMPLE, 1.0f, 0, 0, 0, 0}, 1, false); }
static void die_kind(void) { run_config((DecodeConfig){(DecodeKind)7, 1.0f, 0, 0, 0, 0}, 1, false); }

START_TEST(test_bad_configs_die_naming_the_field)
{
    const DlDeathCase cases[] = {
        {"top_p 1.5", die_top_p, {"top_p", "1.5"}},
        {"temperature -1", die_temp, {"temperature", "-1"}},
        {"top_k -2", die_top_k, {"top_k", "-2"}},
        {"beam 0", die_beam, {"beam", "got 0"}},
        {"empty prompt", die_prompt, {"prompt", "got 0"}},
        {"sampling without rng", die_no_rng, {"rng", "sample"}},
        {"kind 7", die_kind, {"kind 7", "greedy"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_greedy_is_the_argmax_chain);
    tcase_add_test(tc, test_greedy_equivalents);
    tcase_add_test(tc, test_beam_finds_the_best_sequence_greedy_misses);
    tcase_add_test(tc, test_wide_beam_is_exhaustive_on_random_tables);
    tcase_add_test(tc, test_top_p_frequencies_match_the_nucleus);
    tcase_add_test(tc, test_same_seed_same_text);
    tcase_add_test(tc, test_context_cropped_to_max_T);
    tcase_add_test(tc, test_describe);
    tcase_add_test(tc, test_bad_configs_die_naming_the_field);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(decode_suite)
