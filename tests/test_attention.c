/* tests/test_attention.c — chapter 7's attention kernel ladder (kernels/attention.h) and the
 * ops built on it (ops/attention.h: op_attention, op_layernorm), plus op_gelu against PyTorch.
 *
 * Values: PyTorch 1.13 in float64 from float32 inputs (tests/fixtures/attn_torch.txt,
 * scripts/gen_fixtures_attn.py; attention written out as softmax(QKᵀ/√HS + mask)V), shapes
 * B 2, T 5 / 17 / 1 / 40 (40: more than one 32-row tile, not a multiple of it), NH 1 / 2 / 3,
 * HS 4 / 8, causal and not. Every rung, output and dqkv: |got − want| <= 1e-5 + 1e-4·|want|
 * (float32 sums of ≤ 40 terms of size ~1; the worst differences are printed: out 3.6e-7, dqkv
 * 1.0e-6, LayerNorm 4.8e-7). GELU (op_gelu, the erf form) to 1e-6 + 1e-5·|want|.
 * Rungs against v0 on random shapes (odd HS, T = 1, T = 70 and 33 across the tile edge):
 * 1e-5 + 1e-4·|want| (v1/v2 use another summation order and kernels/fastmath.h's exp,
 * relative error < 2e-7); v1 and v2 give the same bits; v2 the same bits with 1 and 2 threads.
 * Gradients: finite differences (tests/gradcheck_util.h: rel < 2e-3 with h = 1e-2 in float32;
 * a wrong derivative gives 0.1 … 1) of op_attention for every rung, causal and not, and of
 * op_layernorm with and without beta.
 * Also: the backward accumulates (+=); evaluation (no recording) gives the same output;
 * attn_probs (rows sum to 1, zeros above the diagonal, P·V = out); the benchmark's memory column
 * is measured (v0's B·NH·T² floats of P, v1/v2's O(T)) and agrees with the rungs' formulas.
 * Bad shapes are programming errors: one death test checks the messages.
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include <math.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/attn_bench.h"
#include "kernels/attention.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

#define FIXTURE "tests/fixtures/attn_torch.txt"
#define N_ATTN_CASES 6

static void select_attn(int k)
{
    ck_assert(ladder_select(&ATTN_LADDER, ATTN_LADDER.rungs[k].name));
    ck_assert_ptr_eq(ladder_selected(&ATTN_LADDER), &ATTN_LADDER.rungs[k]);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;    // NaN wins
    }
    return m;
}

// One forward + backward of op_attention with L = Σ out ⊙ R: out and dqkv copied into the
// caller's buffers (B·T·C and B·T·3C floats).
static void run_attention(const AttnShape *s, const float *qkv, const float *R, float *out,
                          float *dqkv)
{
    const int C = s->NH * s->HS;
    Arena a;
    arena_init(&a, "test");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x = tensor_param(&a, 3, (int[]){s->B, s->T, 3 * C}, "qkv");
    tensor_copy_from(x, qkv, x->size);
    Tensor *r = tensor_new(&a, 3, (int[]){s->B, s->T, C});
    tensor_copy_from(r, R, r->size);
    Tensor *y = op_attention(&tp, x, s->NH, s->causal);
    tape_backward(&tp, op_sum(&tp, op_mul(&tp, y, r)));
    memcpy(out, y->data, y->size * sizeof(float));
    memcpy(dqkv, x->grad, x->size * sizeof(float));
    arena_free(&a);
}

// ---- against PyTorch ----

START_TEST(test_attention_matches_pytorch_every_rung)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    for (int c = 0; c < N_ATTN_CASES; c++) {
        char name[48];
        snprintf(name, sizeof name, "attn%d.cfg", c);
        const FixBlock *cfg = fixture_get(&f, name);
        AttnShape s = {(int)cfg->v[0], (int)cfg->v[1], (int)cfg->v[2], (int)cfg->v[3],
                       cfg->v[4] != 0.0f};
        const size_t n_out = (size_t)s.B * s.T * s.NH * s.HS, n_in = 3 * n_out;
        snprintf(name, sizeof name, "attn%d.qkv", c);
        const FixBlock *qkv = fixture_get(&f, name);
        snprintf(name, sizeof name, "attn%d.R", c);
        const FixBlock *R = fixture_get(&f, name);
        snprintf(name, sizeof name, "attn%d.out", c);
        const FixBlock *want_out = fixture_get(&f, name);
        snprintf(name, sizeof name, "attn%d.grad.qkv", c);
        const FixBlock *want_grad = fixture_get(&f, name);
        ck_assert(qkv->n == n_in && want_out->n == n_out && want_grad->n == n_in);
        float *out = malloc(n_out * sizeof(float)), *dqkv = malloc(n_in * sizeof(float));
        for (int k = 0; k < ATTN_LADDER.n_rungs; k++) {
            select_attn(k);
            run_attention(&s, qkv->v, R->v, out, dqkv);
            char what[160];
            snprintf(what, sizeof what, "%s: out, case %d (B %d T %d NH %d HS %d causal %d)",
                     ATTN_LADDER.rungs[k].name, c, s.B, s.T, s.NH, s.HS, s.causal);
            dl_ck_close(what, out, want_out->v, n_out, 1e-5, 1e-4);
            snprintf(what, sizeof what, "%s: dqkv, case %d (B %d T %d NH %d HS %d causal %d)",
                     ATTN_LADDER.rungs[k].name, c, s.B, s.T, s.NH, s.HS, s.causal);
            dl_ck_close(what, dqkv, want_grad->v, n_in, 1e-5, 1e-4);
            printf("attention vs torch, %-16s case %d (B %d T %2d NH %d HS %d causal %d): "
                   "max|out err| %.2e  max|dqkv err| %.2e\n", ATTN_LADDER.rungs[k].name, c,
                   s.B, s.T, s.NH, s.HS, s.causal, max_abs_diff(out, want_out->v, n_out),
                   max_abs_diff(dqkv, want_grad->v, n_in));
        }
        free(out);
        free(dqkv);
    }
    ladder_select(&ATTN_LADDER, "auto");
    fixture_free(&f);
}
END_TEST

START_TEST(test_layernorm_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    for (int c = 0; c < 2; c++) {
        char name[48];
        snprintf(name, sizeof name, "ln%d.cfg", c);
        const FixBlock *cfg = fixture_get(&f, name);
        const int rows = (int)cfg->v[0], C = (int)cfg->v[1];
        const bool has_beta = cfg->v[2] != 0.0f;
        Arena a;
        arena_init(&a, "test");
        Tape tp;
        tape_init(&tp, &a);
#define T_(suffix, grad) (snprintf(name, sizeof name, "ln%d." suffix, c), \
                          fixture_tensor(&a, &f, name, grad))
#define B_(suffix) (snprintf(name, sizeof name, "ln%d." suffix, c), fixture_get(&f, name))
        Tensor *x = T_("x", true), *gamma = T_("gamma", true);
        Tensor *beta = has_beta ? T_("beta", true) : NULL;
        Tensor *R = T_("R", false);
        Tensor *y = op_layernorm(&tp, x, gamma, beta, 1e-5f);
        ck_assert_int_eq(y->ndim, 2);
        tape_backward(&tp, op_sum(&tp, op_mul(&tp, y, R)));
        dl_ck_close("layernorm y", y->data, B_("y")->v, (size_t)rows * C, 1e-5, 1e-4);
        dl_ck_close("layernorm dx", x->grad, B_("grad.x")->v, (size_t)rows * C, 1e-5, 1e-4);
        dl_ck_close("layernorm dgamma", gamma->grad, B_("grad.gamma")->v, (size_t)C, 1e-5, 1e-4);
        if (has_beta)
            dl_ck_close("layernorm dbeta", beta->grad, B_("grad.beta")->v, (size_t)C, 1e-5, 1e-4);
        printf("layernorm vs torch, case %d (rows %d C %d beta %d): max|y err| %.2e  "
               "max|dx err| %.2e  max|dgamma err| %.2e\n", c, rows, C, has_beta,
               max_abs_diff(y->data, B_("y")->v, (size_t)rows * C),
               max_abs_diff(x->grad, B_("grad.x")->v, (size_t)rows * C),
               max_abs_diff(gamma->grad, B_("grad.gamma")->v, (size_t)C));
#undef T_
#undef B_
        arena_free(&a);
    }
    fixture_free(&f);
}
END_TEST

START_TEST(test_gelu_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    Arena a;
    arena_init(&a, "test");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x = fixture_tensor(&a, &f, "gelu.x", true);
    Tensor *R = fixture_tensor(&a, &f, "gelu.R", false);
    Tensor *y = op_gelu(&tp, x);
    tape_backward(&tp, op_sum(&tp, op_mul(&tp, y, R)));
    dl_ck_close("gelu y", y->data, fixture_get(&f, "gelu.y")->v, y->size, 1e-6, 1e-5);
    dl_ck_close("gelu dx", x->grad, fixture_get(&f, "gelu.grad.x")->v, x->size, 1e-6, 1e-5);
    arena_free(&a);
    fixture_free(&f);
}
END_TEST

// ---- the rungs against each other ----

static const AttnShape RANDOM_SHAPES[] = {
    {2, 1, 3, 4, true},  {2, 1, 2, 5, false}, {2, 33, 3, 5, true}, {1, 33, 2, 8, false},
    {1, 70, 2, 16, true}, {2, 70, 1, 7, false}, {1, 64, 2, 32, true},
};

static void random_case(const AttnShape *s, Rng *r, float **qkv, float **R)
{
    const size_t n = (size_t)s->B * s->T * s->NH * s->HS;
    *qkv = malloc(3 * n * sizeof(float));
    *R = malloc(n * sizeof(float));
    // spread ±2: scores up to ~HS·4/√HS, far enough from uniform for the softmax to matter
    for (size_t i = 0; i < 3 * n; i++) (*qkv)[i] = 4.0f * rng_uniform(r) - 2.0f;
    for (size_t i = 0; i < n; i++) (*R)[i] = 2.0f * rng_uniform(r) - 1.0f;
}

START_TEST(test_rungs_agree_with_v0_and_threads)
{
    Rng r;
    rng_seed(&r, 7);
    const int n_shapes = sizeof RANDOM_SHAPES / sizeof RANDOM_SHAPES[0];
    for (int c = 0; c < n_shapes; c++) {
        const AttnShape *s = &RANDOM_SHAPES[c];
        const size_t n = (size_t)s->B * s->T * s->NH * s->HS;
        float *qkv, *R;
        random_case(s, &r, &qkv, &R);
        float *out[4], *dq[4];   // v0, v1, v2 (1 thread), v2 (2 threads)
        for (int k = 0; k < 4; k++) {
            out[k] = malloc(n * sizeof(float));
            dq[k] = malloc(3 * n * sizeof(float));
            select_attn(k < 3 ? k : 2);
            threads_set(k == 3 ? 2 : 1);
            run_attention(s, qkv, R, out[k], dq[k]);
        }
        threads_set(1);
        char what[160];
        for (int k = 1; k < 3; k++) {
            snprintf(what, sizeof what, "%s vs v0: out (B %d T %d NH %d HS %d causal %d)",
                     ATTN_LADDER.rungs[k].name, s->B, s->T, s->NH, s->HS, s->causal);
            dl_ck_close(what, out[k], out[0], n, 1e-5, 1e-4);
            snprintf(what, sizeof what, "%s vs v0: dqkv (B %d T %d NH %d HS %d causal %d)",
                     ATTN_LADDER.rungs[k].name, s->B, s->T, s->NH, s->HS, s->causal);
            dl_ck_close(what, dq[k], dq[0], 3 * n, 1e-5, 1e-4);
        }
        ck_assert_msg(memcmp(out[1], out[2], n * sizeof(float)) == 0 &&
                      memcmp(dq[1], dq[2], 3 * n * sizeof(float)) == 0,
                      "v2_threads differs from v1_flash (it should do the same arithmetic)");
        ck_assert_msg(memcmp(out[2], out[3], n * sizeof(float)) == 0 &&
                      memcmp(dq[2], dq[3], 3 * n * sizeof(float)) == 0,
                      "v2_threads: 1 and 2 threads give different bits (B %d T %d NH %d)",
                      s->B, s->T, s->NH);
        for (int k = 0; k < 4; k++) {
            free(out[k]);
            free(dq[k]);
        }
        free(qkv);
        free(R);
    }
    ladder_select(&ATTN_LADDER, "auto");
}
END_TEST

// The backward accumulates (+=) into dqkv: two backward passes give twice one.
START_TEST(test_backward_accumulates)
{
    Rng r;
    rng_seed(&r, 11);
    const AttnShape s = {2, 37, 2, 4, true};
    const size_t n = (size_t)s.B * s.T * s.NH * s.HS;
    float *qkv, *R;
    random_case(&s, &r, &qkv, &R);
    float *out = malloc(n * sizeof(float)), *dq = malloc(3 * n * sizeof(float));
    float *dq2 = calloc(3 * n, sizeof(float));
    for (int k = 0; k < ATTN_LADDER.n_rungs; k++) {
        const AttnImpl *impl = ATTN_LADDER.rungs[k].impl;
        float *saved = malloc(impl->saved_floats(&s) * sizeof(float));
        float *scratch = malloc(impl->scratch_floats(&s) * sizeof(float));
        impl->forward(&s, qkv, out, saved, scratch);
        memset(dq2, 0, 3 * n * sizeof(float));
        impl->backward(&s, qkv, out, saved, R, dq2, scratch);
        memcpy(dq, dq2, 3 * n * sizeof(float));
        impl->backward(&s, qkv, out, saved, R, dq2, scratch);
        for (size_t i = 0; i < 3 * n; i++) dq[i] *= 2.0f;
        dl_ck_close(ATTN_LADDER.rungs[k].name, dq2, dq, 3 * n, 1e-6, 1e-6);
        free(saved);
        free(scratch);
    }
    free(qkv);
    free(R);
    free(out);
    free(dq);
    free(dq2);
}
END_TEST

// attn_probs: rows of P sum to 1, zeros above the diagonal when causal, and P·V is the output.
START_TEST(test_attn_probs_rows_and_output)
{
    Rng r;
    rng_seed(&r, 3);
    const AttnShape s = {2, 9, 3, 4, true};
    const int C = s.NH * s.HS;
    const size_t n = (size_t)s.B * s.T * C;
    float *qkv, *R;
    random_case(&s, &r, &qkv, &R);
    float *out = malloc(n * sizeof(float)), *dq = malloc(3 * n * sizeof(float));
    select_attn(1);
    run_attention(&s, qkv, R, out, dq);
    ladder_select(&ATTN_LADDER, "auto");
    float P[81];
    const int b = 1, h = 2;
    attn_probs(&s, qkv, b, h, P);
    for (int i = 0; i < s.T; i++) {
        double sum = 0.0;
        for (int j = 0; j < s.T; j++) {
            sum += P[i * s.T + j];
            if (j > i) ck_assert_msg(P[i * s.T + j] == 0.0f, "P[%d][%d] = %g above the diagonal",
                                     i, j, P[i * s.T + j]);
        }
        dl_ck_close1("row sum of P", sum, 1.0, 1e-6, 0);
        for (int d = 0; d < s.HS; d++) {
            double o = 0.0;
            for (int j = 0; j < s.T; j++)
                o += P[i * s.T + j] * qkv[((size_t)b * s.T + j) * 3 * C + 2 * C + h * s.HS + d];
            dl_ck_close1("P·V", o, out[((size_t)b * s.T + i) * C + h * s.HS + d], 1e-5, 1e-4);
        }
    }
    // FLOPs: 4·B·NH·T²·HS, halved when causal
    ck_assert(attn_forward_flops(&s) == 2.0 * 2 * 3 * 81 * 4);
    AttnShape full = s;
    full.causal = false;
    ck_assert(attn_forward_flops(&full) == 4.0 * 2 * 3 * 81 * 4);
    // what the rungs keep: v0 the T×T P per head, v1/v2 T floats per head
    ck_assert_uint_eq(((const AttnImpl *)ATTN_LADDER.rungs[0].impl)->saved_floats(&s), 2 * 3 * 81);
    ck_assert_uint_eq(((const AttnImpl *)ATTN_LADDER.rungs[1].impl)->saved_floats(&s), 2 * 3 * 9);
    free(qkv);
    free(R);
    free(out);
    free(dq);
}
END_TEST

// Evaluation (tape not recording): the same output, no node, no grad.
START_TEST(test_attention_without_recording)
{
    Rng r;
    rng_seed(&r, 13);
    const AttnShape s = {2, 35, 2, 8, true};
    const size_t n = (size_t)s.B * s.T * s.NH * s.HS;
    float *qkv, *R;
    random_case(&s, &r, &qkv, &R);
    float *out = malloc(n * sizeof(float)), *dq = malloc(3 * n * sizeof(float));
    for (int k = 0; k < ATTN_LADDER.n_rungs; k++) {
        select_attn(k);
        run_attention(&s, qkv, R, out, dq);
        Arena a;
        arena_init(&a, "eval");
        Tape tp;
        tape_init(&tp, &a);
        tape_set_recording(&tp, false);
        Tensor *x = tensor_param(&a, 3, (int[]){s.B, s.T, 3 * s.NH * s.HS}, "qkv");
        tensor_copy_from(x, qkv, x->size);
        Tensor *y = op_attention(&tp, x, s.NH, s.causal);
        ck_assert_ptr_null(y->node);
        ck_assert_ptr_null(y->grad);
        ck_assert_msg(memcmp(y->data, out, n * sizeof(float)) == 0,
                      "%s: evaluation output differs from the recorded one",
                      ATTN_LADDER.rungs[k].name);
        arena_free(&a);
    }
    ladder_select(&ATTN_LADDER, "auto");
    free(qkv);
    free(R);
    free(out);
    free(dq);
}
END_TEST

// The benchmark's memory column is measured, not computed: v0 keeps the B·NH·T² matrix P,
// v1/v2 only T floats per head (plus a fixed scratch), and the measured arena peak agrees with
// saved_floats + scratch_floats to within the op's few bookkeeping bytes.
START_TEST(test_bench_measures_memory)
{
    FILE *sink = tmpfile();
    ck_assert_ptr_nonnull(sink);
    AttnBenchConfig c = {.B = 1, .NH = 2, .HS = 16, .max_T = 256};
    AttnBenchResult res;
    attn_bench_rungs(&c, 1, sink, NULL, &res);
    fclose(sink);
    ck_assert_int_eq(res.n_T, 1);
    ck_assert_int_eq(res.T[0], 256);
    const double p_mb = 2.0 * 256 * 256 * 4 / 1e6;     // v0's P
    const AttnBenchCell *v0 = &res.cell[0][0];
    ck_assert(!v0->skipped);
    ck_assert_msg(v0->peak_mb >= p_mb && v0->peak_mb < 1.05 * p_mb,
                  "v0 measured %.4f MB, its P alone is %.4f MB", v0->peak_mb, p_mb);
    for (int k = 0; k < res.n_rungs; k++) {
        const AttnBenchCell *cell = &res.cell[0][k];
        ck_assert_msg(fabs(cell->peak_mb - cell->formula_mb) < 0.002,
                      "%s: measured %.4f MB vs formula %.4f MB", ATTN_LADDER.rungs[k].name,
                      cell->peak_mb, cell->formula_mb);
        ck_assert_msg(cell->max_err < 1e-5, "%s: max|err| vs v0 %g", ATTN_LADDER.rungs[k].name,
                      cell->max_err);
        ck_assert(cell->ms_fwd > 0 && cell->ms_fwdbwd > 0 && cell->gflops_fwd > 0);
        if (k > 0) ck_assert_msg(cell->peak_mb < v0->peak_mb / 10, "%s: %.4f MB, v0 %.4f MB",
                                 ATTN_LADDER.rungs[k].name, cell->peak_mb, v0->peak_mb);
    }
    // v0 skipped where its P exceeds the cap
    AttnBenchConfig cap = c;
    cap.v0_max_mb = 0.1;
    sink = tmpfile();
    attn_bench_rungs(&cap, 1, sink, NULL, &res);
    fclose(sink);
    ck_assert(res.cell[0][0].skipped && !res.cell[0][1].skipped);
}
END_TEST

// ---- gradient checks ----

typedef struct AttnCtx { int NH; bool causal; } AttnCtx;

static Tensor *build_attention(Tape *tp, Tensor **in, void *ctx)
{
    const AttnCtx *c = ctx;
    return op_attention(tp, in[0], c->NH, c->causal);
}

START_TEST(test_gradcheck_attention_every_rung)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 5);
    for (int k = 0; k < ATTN_LADDER.n_rungs; k++)
        for (int causal = 0; causal < 2; causal++) {
            select_attn(k);
            Tensor *qkv = tensor_param(&params, 3, (int[]){2, 6, 3 * 6}, "qkv");
            tensor_fill_uniform(qkv, &r, -1.5f, 1.5f);
            AttnCtx c = {2, causal != 0};
            char what[80];
            snprintf(what, sizeof what, "attention %s causal %d", ATTN_LADDER.rungs[k].name,
                     causal);
            assert_gradcheck(what, run_gradcheck(build_attention, &c, &qkv, 1, &params, &r));
        }
    ladder_select(&ATTN_LADDER, "auto");
    arena_free(&params);
}
END_TEST

static Tensor *build_layernorm(Tape *tp, Tensor **in, void *ctx)
{
    const int *n_in = ctx;
    return op_layernorm(tp, in[0], in[1], *n_in > 2 ? in[2] : NULL, 1e-5f);
}

START_TEST(test_gradcheck_layernorm)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 9);
    for (int n_in = 2; n_in <= 3; n_in++) {
        Tensor *in[3];
        in[0] = tensor_param(&params, 3, (int[]){2, 3, 5}, "x");
        tensor_fill_uniform(in[0], &r, -2.0f, 2.0f);
        in[1] = tensor_param(&params, 1, (int[]){5}, "gamma");
        tensor_fill_uniform(in[1], &r, 0.5f, 1.5f);
        in[2] = tensor_param(&params, 1, (int[]){5}, "beta");
        tensor_fill_uniform(in[2], &r, -1.0f, 1.0f);
        assert_gradcheck(n_in == 3 ? "layernorm with beta" : "layernorm without beta",
                         run_gradcheck(build_layernorm, &n_in, in, n_in, &params, &r));
    }
    arena_free(&params);
}
END_TEST

// ---- bad shapes: programming errors ----

static void bad_heads(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    op_attention(&tp, tensor_new(&a, 3, (int[]){2, 4, 30}), 4, true);
}

static void bad_qkv_width(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    op_attention(&tp, tensor_new(&a, 3, (int[]){2, 4, 31}), 1, true);
}

static void bad_qkv_rank(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    op_attention(&tp, tensor_new(&a, 2, (int[]){4, 30}), 1, true);
}

static void bad_gamma(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    op_layernorm(&tp, tensor_new(&a, 2, (int[]){4, 6}), tensor_1d(&a, 5), NULL, 1e-5f);
}

START_TEST(test_bad_shapes_exit_with_message)
{
    static const DlDeathCase cases[] = {
        {"heads not dividing C", bad_heads, {"4 heads do not divide C = 10", "(2, 4, 30)"}},
        {"qkv width not 3C", bad_qkv_width, {"not a multiple of 3", "(2, 4, 31)"}},
        {"qkv not 3-D", bad_qkv_rank, {"must be 3-D", "(4, 30)"}},
        {"gamma of the wrong size", bad_gamma, {"gamma (5) must be (C) = (6)", "(4, 6)"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *attention_suite(void)
{
    Suite *s = suite_create("attention");
    TCase *t = tcase_create("pytorch");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_attention_matches_pytorch_every_rung);
    tcase_add_test(t, test_layernorm_matches_pytorch);
    tcase_add_test(t, test_gelu_matches_pytorch);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("properties");
    tcase_set_timeout(p, 60);
    tcase_add_test(p, test_rungs_agree_with_v0_and_threads);
    tcase_add_test(p, test_backward_accumulates);
    tcase_add_test(p, test_attn_probs_rows_and_output);
    tcase_add_test(p, test_attention_without_recording);
    tcase_add_test(p, test_bench_measures_memory);
    suite_add_tcase(s, p);
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 60);
    tcase_add_test(g, test_gradcheck_attention_every_rung);
    tcase_add_test(g, test_gradcheck_layernorm);
    suite_add_tcase(s, g);
    TCase *e = tcase_create("errors");
    tcase_set_timeout(e, 30);
    tcase_add_test(e, test_bad_shapes_exit_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(attention_suite)
