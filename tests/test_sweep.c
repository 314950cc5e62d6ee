/* tests/test_sweep.c — the counted FLOPs of chapter 8's IsoFLOP sweep (nn/transformer.h
 * gpt_forward_flops, gpt_train_flops).
 *
 * Hand count: a tiny decoder (V 5, T 4, L 1, NH 2, C 4, ffn 16) on B 2 × T 3 tokens, every
 * term written out below, exact; the same model bidirectional (all T² attention pairs).
 * Identity with the parameter count: without biases and with a tied head and learned
 * positions, the GEMMs are exactly 6·(N − T_c·C − (2L+1)·C) per token (every weight matrix
 * but the position table, once per token, the tied wte as the head), plus attention
 * 6·L·C·T(T+1) per sequence — checked at chapter 7's size and at a few of the sweep's.
 * Close to Kaplan's 6·N·tokens: within 10 % at chapter 7's size (V 65, T 64, L 4, C 128).
 * Attention against kernels/attention.c's own count (attn_forward_flops: T²/2 pairs):
 * ours counts the T(T+1)/2 pairs the kernel computes, a factor (T+1)/T.
 * The sweep's plan (08_scaling/sweep.c, #included with the fitter it calls): in every mode each
 * run's counted FLOPs are its budget within half a step, D = steps·B·T, no run needs more than
 * the training characters of text8's prefix, each budget has per_budget consecutive sizes, and
 * --full has >= 3 budgets × >= 5 sizes. One tiny run on a periodic text learns (held-out loss far
 * below ln V) and gives the same loss twice (same seed).
 */
#include "testutil.h"

#include "kernels/attention.h"
#include "nn/transformer.h"

#include "../08_scaling/fit.c"
#include "../08_scaling/sweep.c"

START_TEST(test_hand_count_tiny)
{
    GptConfig c = {.V = 5, .T = 4, .L = 1, .NH = 2, .C = 4, .causal = true, .pos = POS_LEARNED};
    // per token and block: qkv 2·4·12 = 96, proj 2·4·4 = 32, fc 2·4·16 = 128, fc_proj 2·16·4
    // = 128 → 384; 6 tokens → 2304. Head 2·4·5 = 40 per token → 240. Attention, causal T 3:
    // 1 + 2 + 3 = 6 (query, key) pairs per head, QKᵀ 2·HS + PV 2·HS = 8 FLOPs each, 2 heads,
    // 2 sequences → 192. Forward 2304 + 240 + 192 = 2736; training 3× = 8208.
    ck_assert_double_eq(gpt_forward_flops(&c, 2, 3), 2736.0);
    ck_assert_double_eq(gpt_train_flops(&c, 2, 3), 8208.0);
    // bidirectional: 9 pairs per head → 8·9·2·2 = 288
    c.causal = false;
    ck_assert_double_eq(gpt_forward_flops(&c, 2, 3), 2304.0 + 240.0 + 288.0);
    // an explicit ffn and two layers: block (96 + 32 + 2·4·8 + 2·8·4 = 256) × 2 layers × 4
    // tokens = 2048; head 40 × 4 = 160; causal T 4: 10 pairs × 8 × 2 heads × 2 layers = 320
    GptConfig d = {.V = 5, .T = 4, .L = 2, .NH = 2, .C = 4, .ffn = 8, .causal = true};
    ck_assert_double_eq(gpt_forward_flops(&d, 1, 4), 2048.0 + 160.0 + 320.0);
}
END_TEST

// 6·(N − T_c·C − (2L+1)·C)·B·T + 6·L·C·T(T+1)·B, exactly (no bias, tied head, learned pos).
static double from_params(const GptConfig *c, int B, int T)
{
    const double N = (double)gpt_param_count(c), C = c->C;
    const double weights = N - (double)c->T * C - (2.0 * c->L + 1.0) * C;
    return 6.0 * weights * B * T + 6.0 * c->L * C * (double)T * (T + 1) * B;
}

START_TEST(test_equals_six_n_plus_attention)
{
    const GptConfig sizes[] = {
        {.V = 65, .T = 64, .L = 4, .NH = 4, .C = 128, .causal = true},   // chapter 7
        {.V = 27, .T = 64, .L = 1, .NH = 2, .C = 32, .causal = true},    // the sweep's ends
        {.V = 27, .T = 64, .L = 6, .NH = 6, .C = 192, .causal = true},
        {.V = 27, .T = 128, .L = 3, .NH = 3, .C = 96, .causal = true},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const GptConfig *c = &sizes[i];
        for (int T = 1; T <= c->T; T += c->T / 4 + 1) {
            const double got = gpt_train_flops(c, 3, T), want = from_params(c, 3, T);
            ck_assert_msg(fabs(got - want) <= 1e-12 * want, "L %d C %d T %d: %.17g vs %.17g",
                          c->L, c->C, T, got, want);
        }
    }
    // Kaplan's 6N per token is close at chapter 7's size: attention adds ~5 %, the position
    // table and LayerNorms take ~1 % off
    const GptConfig *c = &sizes[0];
    const double six_nd = 6.0 * (double)gpt_param_count(c) * 12 * 64;
    const double ratio = gpt_train_flops(c, 12, 64) / six_nd;
    ck_assert_msg(ratio > 1.0 && ratio < 1.1, "counted / 6ND = %.4f", ratio);
}
END_TEST

START_TEST(test_attention_against_kernel_count)
{
    GptConfig c = {.V = 27, .T = 64, .L = 2, .NH = 4, .C = 64, .causal = true};
    for (int causal = 0; causal <= 1; causal++) {
        c.causal = causal;
        const int B = 3, T = 64;
        const double total = gpt_forward_flops(&c, B, T);
        // the GEMMs of one token: T = 1 has one attention pair per head (4·C per layer)
        const double per_token = gpt_forward_flops(&c, 1, 1) - 4.0 * c.C * c.L;
        const double attn = total - per_token * B * T;
        AttnShape s = {.B = B, .T = T, .NH = c.NH, .HS = c.C / c.NH, .causal = causal};
        const double kernel = c.L * attn_forward_flops(&s);
        const double want = causal ? kernel * (T + 1) / T : kernel;
        ck_assert_msg(fabs(attn - want) <= 1e-9 * want, "causal %d: %.17g vs %.17g", causal,
                      attn, want);
    }
}
END_TEST

START_TEST(test_plan_every_mode)
{
    const size_t n_text8 = 6877825, n_train = n_text8 - n_text8 / 20;
    const bool modes[3][2] = {{true, false}, {false, false}, {false, true}};
    for (int m = 0; m < 3; m++) {
        const SweepPlan p = plan_for(modes[m][0], modes[m][1]);
        SweepRun runs[64];
        const int n = plan_runs(&p, 27, n_train, runs, 64);
        ck_assert_int_eq(n, p.n_budgets * p.per_budget);
        if (modes[m][1]) ck_assert(p.n_budgets >= 3 && p.per_budget >= 5 && p.check);
        for (int i = 0; i < n; i++) {
            const SweepRun *r = &runs[i];
            const double step = gpt_train_flops(&r->cfg, p.B, p.T);
            ck_assert_msg(fabs(r->flops - r->budget) <= step / 2 + 1, "%s run %d: %.4g vs %.4g",
                          p.mode, i, r->flops, r->budget);
            ck_assert(r->D == (double)r->steps * p.B * p.T);
            ck_assert_msg(r->D <= (double)n_train, "%s run %d repeats its data", p.mode, i);
            ck_assert(r->N == (double)gpt_param_count(&r->cfg));
            ck_assert(r->steps >= 20);
            if (i % p.per_budget) {   // consecutive sizes, growing N, the same budget
                ck_assert_int_eq(r->size, runs[i - 1].size + 1);
                ck_assert(r->N > runs[i - 1].N && r->budget == runs[i - 1].budget);
            }
        }
    }
}
END_TEST

START_TEST(test_parabola_ls_exact)
{
    const double x[5] = {-1, 0, 0.5, 2, 3};
    double y[5], a, b, c;
    for (int i = 0; i < 5; i++) y[i] = 2 * x[i] * x[i] - 3 * x[i] + 1;
    parabola_ls(x, y, 5, &a, &b, &c);
    ck_assert(fabs(a - 2) < 1e-9 && fabs(b + 3) < 1e-9 && fabs(c - 1) < 1e-9);
}
END_TEST

START_TEST(test_tiny_run_learns_and_repeats)
{
    enum { N = 40000 };
    static int ids[N];
    for (int i = 0; i < N; i++) ids[i] = (i * 7 + i / 13) % 5;   // periodic: predictable
    const SweepData d = {ids, ids + N - 4000, N - 4000, 4000, 5};
    const SweepPlan p = {"test", 8, 32, {2e8}, 1, 1, 4000, false};
    Chapter ch;
    memset(&ch, 0, sizeof ch);
    ch.cli.seed = 7;
    SweepRun r1 = plan_run(&p, 2e8, 1, 5), r2 = r1;   // L 1, C 16
    train_one(&ch, &p, &d, &r1);
    train_one(&ch, &p, &d, &r2);
    ck_assert_msg(r1.loss < 0.5 * log(5.0), "loss %.4f after %ld steps", r1.loss, r1.steps);
    ck_assert_msg(r1.loss == r2.loss, "%.9g vs %.9g", r1.loss, r2.loss);
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *t = tcase_create("flops");
    tcase_add_test(t, test_hand_count_tiny);
    tcase_add_test(t, test_equals_six_n_plus_attention);
    tcase_add_test(t, test_attention_against_kernel_count);
    suite_add_tcase(s, t);
    TCase *q = tcase_create("plan");
    tcase_set_timeout(q, 60);
    tcase_add_test(q, test_plan_every_mode);
    tcase_add_test(q, test_parabola_ls_exact);
    tcase_add_test(q, test_tiny_run_learns_and_repeats);
    suite_add_tcase(s, q);
    return s;
}

DL_TEST_MAIN(sweep_suite)
