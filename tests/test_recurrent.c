/* tests/test_recurrent.c — the embedding lookup (common/ops/embedding.h), the recurrent op with
 * its kernel ladder (common/ops/recurrent.h, kernels/recurrent.h) and the recurrent stack with
 * its carried state (common/nn/recurrent.h).
 *
 * Gradients: finite differences (common/gradcheck.h) inside L = Σ w ⊙ op(x) with a fixed random
 * w, as tests/test_cnn_ops.c, same tolerance and reasoning (rel < 2e-3 with h = 1e-2 in
 * float32; a wrong derivative gives rel ~ 0.1 … 1), for every cell, every rung, grads into x,
 * h0, c0 and all four weights, at odd sizes, B = 1 and T = 1.
 * Values: PyTorch in float64 (tests/fixtures/rnn_torch.txt, scripts/gen_fixtures_rnn.py),
 * |got − want| <= 3e-5 + 1e-4·|want|: float32 sums of ≤ 20 terms of size ~1 per step, through
 * T = 5 steps and 2 layers, round to a few 1e-6.
 * Rungs agree with v0 to 1e-5 + 1e-4·|want| (same math, other summation orders); each rung
 * gives the same bits with 1 and 2 threads.
 * The speed paths of chapter 5's training step are checked here too: gemm_ex (transposed
 * operands read in place) gives the bits of gemm on transposed copies; op_linear and
 * op_cross_entropy_fast pass gradient checks and agree with op_bias_add(op_matmul) and
 * op_cross_entropy; kernels/fastmath.h's exp, σ and tanh against libm in double.
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include <math.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "base/threads.h"
#include "kernels/fastmath.h"
#include "kernels/gemm.h"
#include "kernels/recurrent.h"
#include "nn/params.h"
#include "nn/recurrent.h"
#include "ops/embedding.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/recurrent.h"
#include "ops/reduce.h"
#include "ops/shape.h"

#define FIXTURE "tests/fixtures/rnn_torch.txt"

static const CellKind KINDS[] = {CELL_RNN, CELL_LSTM, CELL_GRU};

static Tensor *rand_param(Arena *a, Rng *r, int ndim, const int *shape, float lo, float hi)
{
    Tensor *t = tensor_param(a, ndim, shape, "p");
    tensor_fill_uniform(t, r, lo, hi);
    return t;
}

static void select_rnn(int k)
{
    ck_assert(ladder_select(&RNN_LADDER, RNN_LADDER.rungs[k].name));
    ck_assert_ptr_eq(ladder_selected(&RNN_LADDER), &RNN_LADDER.rungs[k]);
}

// ---- embedding ----
typedef struct { const int *tokens; int n; } EmbCtx;

static Tensor *emb_build(Tape *tp, Tensor **in, void *ctx)
{
    EmbCtx *c = ctx;
    return op_embedding(tp, in[0], c->tokens, c->n);
}

START_TEST(test_gradcheck_embedding)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 7);
    static const int tokens[] = {2, 0, 2, 4, 2, 1};     // repeats; 3 never used
    Tensor *table = rand_param(&params, &r, 2, (int[]){5, 3}, -1.0f, 1.0f);
    EmbCtx c = {tokens, 6};
    assert_gradcheck("embedding", run_gradcheck(emb_build, &c, &table, 1, &params, &r));
    arena_free(&params);
}
END_TEST

START_TEST(test_embedding_matches_pytorch_and_threads)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    FixBlock *cfg = fixture_get(&f, "emb.cfg"), *tb = fixture_get(&f, "emb.tokens");
    const int V = (int)cfg->v[0], D = (int)cfg->v[1], N = (int)cfg->v[2];
    int tokens[64];
    ck_assert_int_le(N, 64);
    for (int i = 0; i < N; i++) tokens[i] = (int)tb->v[i];
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *table = fixture_tensor(&params, &f, "emb.table", true);
    Tensor *R = fixture_tensor(&params, &f, "emb.R", false);
    ck_assert_int_eq(table->shape[0], V);
    ck_assert_int_eq(table->shape[1], D);
    Tensor *y = op_embedding(&tp, table, tokens, N);
    tape_backward(&tp, project(&tp, y, R));
    dl_ck_close("embedding out", y->data, fixture_get(&f, "emb.out")->v, y->size, 1e-6, 1e-6);
    dl_ck_close("embedding grad", table->grad, fixture_get(&f, "emb.grad.table")->v,
                table->size, 1e-5, 1e-5);
    tape_reset(&tp);
    // a big table's backward is split over columns with 2 threads: the same bits
    Rng r;
    rng_seed(&r, 3);
    const int BV = 50, BD = 300, BN = 400;
    int *tok = malloc(BN * sizeof *tok);
    for (int i = 0; i < BN; i++) tok[i] = (int)(rng_below(&r, BV));
    Tensor *big = rand_param(&params, &r, 2, (int[]){BV, BD}, -1.0f, 1.0f);
    Tensor *w = tensor_new(&params, 2, (int[]){BN, BD});
    tensor_fill_uniform(w, &r, -1.0f, 1.0f);
    float *g1 = malloc(big->size * sizeof *g1);
    for (int th = 1; th <= 2; th++) {
        threads_set(th);
        tensor_zero_grad(big);
        tape_backward(&tp, project(&tp, op_embedding(&tp, big, tok, BN), w));
        tape_reset(&tp);
        if (th == 1) memcpy(g1, big->grad, big->size * sizeof *g1);
        else ck_assert_msg(memcmp(g1, big->grad, big->size * sizeof *g1) == 0,
                           "embedding backward differs between 1 and 2 threads");
    }
    threads_set(1);
    free(g1);
    free(tok);
    arena_free(&step);
    arena_free(&params);
    fixture_free(&f);
}
END_TEST

// ---- op_recurrent gradient checks ----
typedef struct { CellKind kind; bool h0, c0; } RecCtx;

// in: x, w_ih, w_hh, b_ih, b_hh, [h0], [c0]
static Tensor *rec_build(Tape *tp, Tensor **in, void *ctx)
{
    RecCtx *c = ctx;
    int k = 5;
    RecurrentArgs a = {.kind = c->kind, .w_ih = in[1], .w_hh = in[2], .b_ih = in[3],
                       .b_hh = in[4]};
    if (c->h0) a.h0 = in[k++];
    if (c->c0) a.c0 = in[k++];
    return op_recurrent(tp, in[0], &a);
}

// (B, T, C, H): odd sizes, B = 1, T = 1
static const int GC_SIZES[][4] = {{2, 3, 3, 4}, {1, 1, 2, 3}, {3, 4, 1, 5}, {1, 5, 2, 2}};

START_TEST(test_gradcheck_recurrent_every_cell_and_rung)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 11);
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
        select_rnn(k);
        for (int ci = 0; ci < 3; ci++)
            for (size_t s = 0; s < sizeof GC_SIZES / sizeof GC_SIZES[0]; s++) {
                const int B = GC_SIZES[s][0], T = GC_SIZES[s][1], C = GC_SIZES[s][2],
                          H = GC_SIZES[s][3], GH = cell_gates(KINDS[ci]) * H;
                RecCtx c = {KINDS[ci], s != 2, KINDS[ci] == CELL_LSTM && s != 2};
                Tensor *in[7] = {
                    rand_param(&params, &r, 3, (int[]){B, T, C}, -1.0f, 1.0f),
                    rand_param(&params, &r, 2, (int[]){C, GH}, -0.7f, 0.7f),
                    rand_param(&params, &r, 2, (int[]){H, GH}, -0.7f, 0.7f),
                    rand_param(&params, &r, 1, (int[]){GH}, -0.5f, 0.5f),
                    rand_param(&params, &r, 1, (int[]){GH}, -0.5f, 0.5f),
                    rand_param(&params, &r, 2, (int[]){B, H}, -0.8f, 0.8f),
                    rand_param(&params, &r, 2, (int[]){B, H}, -0.8f, 0.8f),
                };
                int n_in = 5 + c.h0 + c.c0;
                char what[128];
                snprintf(what, sizeof what, "%s %s B=%d T=%d C=%d H=%d%s",
                         RNN_LADDER.rungs[k].name, cell_name(KINDS[ci]), B, T, C, H,
                         c.h0 ? "" : " (zero h0)");
                assert_gradcheck(what, run_gradcheck(rec_build, &c, in, n_in, &params, &r));
            }
    }
    ladder_select(&RNN_LADDER, "auto");
    arena_free(&params);
}
END_TEST

// ---- ‖dL/dh_t‖ against an unrolled chain of T = 1 ops ----
// The same sequence run as T ops of one step each, h0 of step t the output of step t − 1
// (RNN and GRU: their whole state is h). After backward, the grad of step t's output holds
// everything that reaches h_t — from the loss at t and from every later step — which is what
// dh_norm[t] reports. (The LSTM's c_n is detached by design, so it cannot be chained here.)
START_TEST(test_dh_norm_equals_unrolled_gradient)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 5);
    enum { B = 3, T = 6, C = 4, H = 5 };
    static const CellKind kinds[] = {CELL_RNN, CELL_GRU};
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
        select_rnn(k);
        for (int ci = 0; ci < 2; ci++) {
            CellKind kind = kinds[ci];
            const int GH = cell_gates(kind) * H;
            Tensor *x = rand_param(&params, &r, 3, (int[]){B, T, C}, -1.0f, 1.0f);
            Tensor *w_ih = rand_param(&params, &r, 2, (int[]){C, GH}, -0.9f, 0.9f);
            Tensor *w_hh = rand_param(&params, &r, 2, (int[]){H, GH}, -0.9f, 0.9f);
            Tensor *b_ih = rand_param(&params, &r, 1, (int[]){GH}, -0.3f, 0.3f);
            Tensor *b_hh = rand_param(&params, &r, 1, (int[]){GH}, -0.3f, 0.3f);
            Tensor *R = tensor_new(&params, 3, (int[]){B, T, H});
            tensor_fill_uniform(R, &r, -1.0f, 1.0f);
            float norm[T];
            RecurrentArgs a = {.kind = kind, .w_ih = w_ih, .w_hh = w_hh, .b_ih = b_ih,
                               .b_hh = b_hh, .dh_norm = norm};
            Tensor *y = op_recurrent(&tp, x, &a);
            tape_backward(&tp, project(&tp, y, R));
            tape_reset(&tp);
            Tensor *ys[T], *h = NULL, *loss = NULL;
            for (int t = 0; t < T; t++) {
                Tensor *xt = tensor_new(&step, 3, (int[]){B, 1, C});
                Tensor *rt = tensor_new(&step, 3, (int[]){B, 1, H});
                for (int b = 0; b < B; b++) {
                    memcpy(xt->data + b * C, x->data + (b * T + t) * C, C * sizeof(float));
                    memcpy(rt->data + b * H, R->data + (b * T + t) * H, H * sizeof(float));
                }
                RecurrentArgs at = a;
                at.h0 = h;
                at.dh_norm = NULL;
                ys[t] = op_recurrent(&tp, xt, &at);
                h = op_reshape(&tp, ys[t], 2, (int[]){B, H});
                Tensor *lt = project(&tp, ys[t], rt);
                loss = loss ? op_add(&tp, loss, lt) : lt;
            }
            tape_backward(&tp, loss);
            for (int t = 0; t < T; t++) {
                double s = 0.0;
                for (size_t i = 0; i < ys[t]->size; i++) s += (double)ys[t]->grad[i] * ys[t]->grad[i];
                char what[96];
                snprintf(what, sizeof what, "%s %s dh_norm[%d]", RNN_LADDER.rungs[k].name,
                         cell_name(kind), t);
                dl_ck_close1(what, norm[t], sqrt(s), 1e-5, 1e-4);
            }
            tape_reset(&tp);
        }
    }
    ladder_select(&RNN_LADDER, "auto");
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- every rung against v0, and every rung with 1 and 2 threads ----
typedef struct RunOut {
    float *y, *h_n, *c_n, *norm, *g[7];     // g: x, w_ih, w_hh, b_ih, b_hh, h0, c0
    size_t n[7], ny, nh;
} RunOut;

static void run_free(RunOut *o)
{
    free(o->y);
    free(o->h_n);
    free(o->c_n);
    free(o->norm);
    for (int i = 0; i < 7; i++) free(o->g[i]);
}

static float *dupf(const float *p, size_t n)
{
    float *d = malloc(n * sizeof *d);
    memcpy(d, p, n * sizeof *d);
    return d;
}

// One forward + backward of a layer with inputs from seed, under the rung in use.
static RunOut run_layer(CellKind kind, int B, int T, int C, int H, uint64_t seed)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, seed);
    const int GH = cell_gates(kind) * H;
    Tensor *in[7] = {
        rand_param(&params, &r, 3, (int[]){B, T, C}, -1.0f, 1.0f),
        rand_param(&params, &r, 2, (int[]){C, GH}, -0.3f, 0.3f),
        rand_param(&params, &r, 2, (int[]){H, GH}, -0.3f, 0.3f),
        rand_param(&params, &r, 1, (int[]){GH}, -0.3f, 0.3f),
        rand_param(&params, &r, 1, (int[]){GH}, -0.3f, 0.3f),
        rand_param(&params, &r, 2, (int[]){B, H}, -0.8f, 0.8f),
        rand_param(&params, &r, 2, (int[]){B, H}, -0.8f, 0.8f),
    };
    Tensor *R = tensor_new(&params, 3, (int[]){B, T, H});
    tensor_fill_uniform(R, &r, -1.0f, 1.0f);
    RunOut o = {.ny = (size_t)B * T * H, .nh = (size_t)B * H};
    o.h_n = malloc(o.nh * sizeof(float));
    o.c_n = malloc(o.nh * sizeof(float));
    o.norm = malloc((size_t)T * sizeof(float));
    RecurrentArgs a = {.kind = kind, .w_ih = in[1], .w_hh = in[2], .b_ih = in[3],
                       .b_hh = in[4], .h0 = in[5], .c0 = kind == CELL_LSTM ? in[6] : NULL,
                       .h_n = o.h_n, .c_n = o.c_n, .dh_norm = o.norm};
    Tensor *y = op_recurrent(&tp, in[0], &a);
    tape_backward(&tp, project(&tp, y, R));
    o.y = dupf(y->data, o.ny);
    for (int i = 0; i < 7; i++) {
        o.n[i] = in[i]->size;
        o.g[i] = dupf(in[i]->grad, in[i]->size);
    }
    arena_free(&step);
    arena_free(&params);
    return o;
}

static const char *const GRAD_NAMES[7] = {"dx", "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0", "dc0"};

START_TEST(test_rungs_agree_with_v0)
{
    const int B = 5, T = 7, C = 6, H = 9;
    for (int ci = 0; ci < 3; ci++) {
        select_rnn(0);
        RunOut want = run_layer(KINDS[ci], B, T, C, H, 100 + ci);
        for (int k = 1; k < RNN_LADDER.n_rungs; k++) {
            select_rnn(k);
            RunOut got = run_layer(KINDS[ci], B, T, C, H, 100 + ci);
            char what[96];
            snprintf(what, sizeof what, "%s %s y", RNN_LADDER.rungs[k].name, cell_name(KINDS[ci]));
            dl_ck_close(what, got.y, want.y, want.ny, 1e-5, 1e-4);
            dl_ck_close(what, got.h_n, want.h_n, want.nh, 1e-5, 1e-4);
            if (KINDS[ci] == CELL_LSTM) dl_ck_close(what, got.c_n, want.c_n, want.nh, 1e-5, 1e-4);
            dl_ck_close(what, got.norm, want.norm, (size_t)T, 1e-5, 1e-4);
            for (int i = 0; i < 7; i++) {
                snprintf(what, sizeof what, "%s %s %s", RNN_LADDER.rungs[k].name,
                         cell_name(KINDS[ci]), GRAD_NAMES[i]);
                dl_ck_close(what, got.g[i], want.g[i], want.n[i], 1e-5, 1e-4);
            }
            run_free(&got);
        }
        run_free(&want);
    }
    ladder_select(&RNN_LADDER, "auto");
}
END_TEST

static bool same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

START_TEST(test_every_rung_independent_of_thread_count)
{
    // B = 20, H = 40: big enough that the GEMMs and the row loop both split among threads
    const int B = 20, T = 5, C = 30, H = 40;
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
        select_rnn(k);
        for (int ci = 0; ci < 3; ci++) {
            threads_set(1);
            RunOut one = run_layer(KINDS[ci], B, T, C, H, 7 + ci);
            threads_set(2);
            RunOut two = run_layer(KINDS[ci], B, T, C, H, 7 + ci);
            threads_set(1);
            const char *rn = RNN_LADDER.rungs[k].name, *cn = cell_name(KINDS[ci]);
            ck_assert_msg(same_bits(one.y, two.y, one.ny), "%s %s: y differs, 1 vs 2 threads", rn, cn);
            ck_assert_msg(same_bits(one.h_n, two.h_n, one.nh), "%s %s: h_n differs", rn, cn);
            ck_assert_msg(same_bits(one.norm, two.norm, (size_t)T), "%s %s: dh_norm differs", rn, cn);
            for (int i = 0; i < 7; i++)
                ck_assert_msg(same_bits(one.g[i], two.g[i], one.n[i]),
                              "%s %s: %s differs between 1 and 2 threads", rn, cn, GRAD_NAMES[i]);
            run_free(&one);
            run_free(&two);
        }
    }
    // v3 shares a step's rows among threads only from 65536 gate elements (B·G·H): a batch
    // that big, for the LSTM and the GRU
    ck_assert(ladder_select(&RNN_LADDER, "v3_fused_threads"));
    for (int ci = 1; ci < 3; ci++) {
        const int Bb = 64, Tb = 2, Cb = 8, Hb = 344;
        threads_set(1);
        RunOut one = run_layer(KINDS[ci], Bb, Tb, Cb, Hb, 31 + ci);
        threads_set(2);
        RunOut two = run_layer(KINDS[ci], Bb, Tb, Cb, Hb, 31 + ci);
        threads_set(1);
        const char *cn = cell_name(KINDS[ci]);
        ck_assert_msg(same_bits(one.y, two.y, one.ny), "v3 %s B=64: y differs, 1 vs 2 threads", cn);
        for (int i = 0; i < 7; i++)
            ck_assert_msg(same_bits(one.g[i], two.g[i], one.n[i]),
                          "v3 %s B=64: %s differs between 1 and 2 threads", cn, GRAD_NAMES[i]);
        run_free(&one);
        run_free(&two);
    }
    ladder_select(&RNN_LADDER, "auto");
}
END_TEST

// ---- PyTorch: nn.RNN / nn.LSTM / nn.GRU with 2 layers ----
static void rows_of(const FixBlock *b, int row0, int rows, float *dst)
{
    size_t cols = (size_t)b->shape[1];
    memcpy(dst, b->v + (size_t)row0 * cols, (size_t)rows * cols * sizeof(float));
}

START_TEST(test_layers_match_pytorch_every_rung)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    static const char *const names[] = {"rnn", "lstm", "gru"};
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
        select_rnn(k);
        for (int ci = 0; ci < 3; ci++) {
            const char *nm = names[ci];
            CellKind kind = KINDS[ci];
            char key[160];
#define FX(suffix) (snprintf(key, sizeof key, "%s.%s", nm, suffix), fixture_get(&f, key))
            FixBlock *cfg = FX("cfg");
            const int B = (int)cfg->v[0], T = (int)cfg->v[1], C = (int)cfg->v[2],
                      H = (int)cfg->v[3], L = (int)cfg->v[4];
            Arena params, step;
            arena_init(&params, "params");
            arena_init(&step, "step");
            Tape tp;
            tape_init(&tp, &step);
            Params list;
            params_init(&list, &params);
            Rng r;
            rng_seed(&r, 1);
            Recurrent rec;
            recurrent_init(&rec, &params, kind, C, H, L, 0.0f, &r, &list);
            // PyTorch's weights into ours (names as PyTorch's, transposed layout)
            for (int i = 0; i < list.n; i++) {
                FixBlock *b = FX(list.items[i]->name);
                ck_assert_uint_eq(b->n, list.items[i]->size);
                tensor_copy_from(list.items[i], b->v, b->n);
            }
            Tensor *x = tensor_param(&params, 3, (int[]){B, T, C}, "x");
            tensor_copy_from(x, FX("x")->v, x->size);
            Tensor *R = tensor_new(&params, 3, (int[]){B, T, H});
            tensor_copy_from(R, FX("R")->v, R->size);
            // layer by layer with h0 / c0 as tensors that take grads
            Tensor *h0[DL_MAX_RNN_LAYERS], *c0[DL_MAX_RNN_LAYERS];
            float *h_n = calloc((size_t)L * B * H, sizeof(float));
            float *c_n = calloc((size_t)L * B * H, sizeof(float));
            Tensor *h = x;
            for (int l = 0; l < L; l++) {
                h0[l] = tensor_param(&params, 2, (int[]){B, H}, "h0");
                rows_of(FX("h0"), l * B, B, h0[l]->data);
                c0[l] = NULL;
                if (kind == CELL_LSTM) {
                    c0[l] = tensor_param(&params, 2, (int[]){B, H}, "c0");
                    rows_of(FX("c0"), l * B, B, c0[l]->data);
                }
                RecurrentArgs a = {.kind = kind, .w_ih = rec.w_ih[l], .w_hh = rec.w_hh[l],
                                   .b_ih = rec.b_ih[l], .b_hh = rec.b_hh[l], .h0 = h0[l],
                                   .c0 = c0[l], .h_n = h_n + (size_t)l * B * H,
                                   .c_n = c_n + (size_t)l * B * H};
                h = op_recurrent(&tp, h, &a);
            }
            tape_backward(&tp, project(&tp, h, R));
            char what[96];
            const double atol = 3e-5, rtol = 1e-4;
#define CLOSE(label, got, blk, cnt) do { \
                snprintf(what, sizeof what, "%s %s %s", RNN_LADDER.rungs[k].name, nm, label); \
                FixBlock *fb_ = FX(blk); \
                ck_assert_uint_eq(fb_->n, (size_t)(cnt)); \
                dl_ck_close(what, got, fb_->v, cnt, atol, rtol); } while (0)
            CLOSE("output", h->data, "out", h->size);
            CLOSE("h_n", h_n, "h_n", (size_t)L * B * H);
            if (kind == CELL_LSTM) CLOSE("c_n", c_n, "c_n", (size_t)L * B * H);
            CLOSE("grad x", x->grad, "grad.x", x->size);
            float *g = malloc((size_t)L * B * H * sizeof(float));
            for (int l = 0; l < L; l++) memcpy(g + (size_t)l * B * H, h0[l]->grad, (size_t)B * H * sizeof(float));
            CLOSE("grad h0", g, "grad.h0", (size_t)L * B * H);
            if (kind == CELL_LSTM) {
                for (int l = 0; l < L; l++) memcpy(g + (size_t)l * B * H, c0[l]->grad, (size_t)B * H * sizeof(float));
                CLOSE("grad c0", g, "grad.c0", (size_t)L * B * H);
            }
            free(g);
            for (int i = 0; i < list.n; i++) {
                char blk[64];
                snprintf(blk, sizeof blk, "grad.%s", list.items[i]->name);
                CLOSE(blk, list.items[i]->grad, blk, list.items[i]->size);
            }
            tape_reset(&tp);
            // the stack's own forward with a carried state: the same values and final states
            RecurrentState s;
            recurrent_state_init(&s, &params, &rec, B, NULL, NULL);
            rows_of(FX("h0"), 0, L * B, s.h);
            if (s.c) rows_of(FX("c0"), 0, L * B, s.c);
            Tensor *y = recurrent_forward(&tp, &rec, x, &s, 0.0f, true, NULL, NULL);
            CLOSE("recurrent_forward output", y->data, "out", y->size);
            CLOSE("recurrent_forward state h", s.h, "h_n", (size_t)L * B * H);
            if (s.c) CLOSE("recurrent_forward state c", s.c, "c_n", (size_t)L * B * H);
#undef CLOSE
#undef FX
            free(h_n);
            free(c_n);
            arena_free(&step);
            arena_free(&params);
        }
    }
    ladder_select(&RNN_LADDER, "auto");
    fixture_free(&f);
}
END_TEST

// ---- the stack: carried state, parameter counts ----
START_TEST(test_two_windows_equal_one_long_window)
{
    enum { B = 3, T = 4, C = 5, H = 6, L = 3 };
    for (int ci = 0; ci < 3; ci++) {
        Arena params, step;
        arena_init(&params, "params");
        arena_init(&step, "step");
        Tape tp;
        tape_init(&tp, &step);
        Rng r;
        rng_seed(&r, 21);
        Recurrent rec;
        recurrent_init(&rec, &params, KINDS[ci], C, H, L, 0.0f, &r, NULL);
        Tensor *x = tensor_new(&params, 3, (int[]){B, 2 * T, C});
        tensor_fill_uniform(x, &r, -1.0f, 1.0f);
        RecurrentState one, two;
        recurrent_state_init(&one, &params, &rec, B, NULL, NULL);
        recurrent_state_init(&two, &params, &rec, B, NULL, NULL);
        // warm states that are not zero: one window first, into both states alike
        Tensor *w0 = tensor_new(&params, 3, (int[]){B, T, C});
        tensor_fill_uniform(w0, &r, -1.0f, 1.0f);
        recurrent_forward(&tp, &rec, w0, &one, 0.0f, false, NULL, NULL);
        recurrent_forward(&tp, &rec, w0, &two, 0.0f, false, NULL, NULL);
        Tensor *ylong = recurrent_forward(&tp, &rec, x, &one, 0.0f, false, NULL, NULL);
        Tensor *halves[2];
        for (int w = 0; w < 2; w++) {
            Tensor *xw = tensor_new(&step, 3, (int[]){B, T, C});
            for (int b = 0; b < B; b++)
                memcpy(xw->data + (size_t)b * T * C, x->data + ((size_t)b * 2 * T + w * T) * C,
                       (size_t)T * C * sizeof(float));
            halves[w] = recurrent_forward(&tp, &rec, xw, &two, 0.0f, false, NULL, NULL);
        }
        for (int b = 0; b < B; b++)
            for (int w = 0; w < 2; w++)
                dl_ck_close(cell_name(KINDS[ci]), halves[w]->data + (size_t)b * T * H,
                            ylong->data + ((size_t)b * 2 * T + w * T) * H, (size_t)T * H, 1e-6, 1e-5);
        dl_ck_close("carried h", two.h, one.h, (size_t)L * B * H, 1e-6, 1e-5);
        if (one.c) dl_ck_close("carried c", two.c, one.c, (size_t)L * B * H, 1e-6, 1e-5);
        recurrent_state_reset(&one);
        for (size_t i = 0; i < (size_t)L * B * H; i++) ck_assert(one.h[i] == 0.0f);
        arena_free(&step);
        arena_free(&params);
    }
}
END_TEST

START_TEST(test_param_counts_match_pytorch)
{
    Fixture f;
    fixture_load(&f, FIXTURE);
    FixBlock *c = fixture_get(&f, "counts");
    static const CellKind by_index[] = {CELL_RNN, CELL_LSTM, CELL_GRU};
    for (int i = 0; i < c->shape[0]; i++) {
        const float *row = c->v + (size_t)i * 5;
        CellKind kind = by_index[(int)row[0]];
        int C = (int)row[1], H = (int)row[2], L = (int)row[3];
        size_t want = (size_t)row[4];
        ck_assert_uint_eq(recurrent_param_count(kind, C, H, L), want);
        Arena params;
        arena_init(&params, "params");
        Params list;
        params_init(&list, &params);
        Rng r;
        rng_seed(&r, 1);
        Recurrent rec;
        recurrent_init(&rec, &params, kind, C, H, L, 0.1f, &r, &list);
        ck_assert_uint_eq(params_count(&list), want);
        ck_assert_int_eq(list.n, 4 * L);
        for (int k = 0; k < list.n; k++)      // U(-0.1, 0.1)
            for (size_t j = 0; j < list.items[k]->size; j++)
                ck_assert(fabsf(list.items[k]->data[j]) <= 0.1f);
        arena_free(&params);
    }
    // the lecture's ratio for equal sizes: RNN : GRU : LSTM = 1 : 3 : 4
    ck_assert_uint_eq(recurrent_param_count(CELL_GRU, 32, 32, 1),
                      3 * recurrent_param_count(CELL_RNN, 32, 32, 1));
    ck_assert_uint_eq(recurrent_param_count(CELL_LSTM, 32, 32, 1),
                      4 * recurrent_param_count(CELL_RNN, 32, 32, 1));
    CellKind k;
    ck_assert(cell_from_name("lstm", &k) && k == CELL_LSTM);
    ck_assert(cell_from_name("GRU", &k) && k == CELL_GRU);
    ck_assert(!cell_from_name("transformer", &k));
    fixture_free(&f);
}
END_TEST

// ---- the speed paths of the LM step: gemm_ex, op_linear, op_cross_entropy_fast, fastmath ----
static float *transposed_copy(const float *x, int rows, int cols, int ld)
{
    float *t = malloc((size_t)rows * cols * sizeof *t);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) t[(size_t)j * rows + i] = x[(size_t)i * ld + j];
    return t;
}

START_TEST(test_gemm_ex_equals_gemm_on_transposed_copies)
{
    static const int shapes[][3] = {{13, 37, 29}, {400, 200, 530}, {20, 800, 200}, {1, 1, 1},
                                    {29, 65, 1100}};
    static const char *const rungs[] = {"v4_threads", "v0_naive"};
    Rng r;
    rng_seed(&r, 17);
    for (int ri = 0; ri < 2; ri++) {
        ck_assert(ladder_select(&GEMM_LADDER, rungs[ri]));
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            if (ri == 1 && (size_t)M * N * K > 5000000) continue;   // v0 is slow
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    // stored operands with padded strides: A (M, K) or Aᵀ (K, M), +3 columns
                    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
                    int lda = ac + 3, ldb = bc + 3;
                    float *A = malloc((size_t)ar * lda * sizeof *A);
                    float *B = malloc((size_t)br * ldb * sizeof *B);
                    for (int i = 0; i < ar * lda; i++) A[i] = rng_uniform_range(&r, -1, 1);
                    for (int i = 0; i < br * ldb; i++) B[i] = rng_uniform_range(&r, -1, 1);
                    float *c0 = malloc((size_t)M * N * sizeof *c0);
                    for (int i = 0; i < M * N; i++) c0[i] = rng_uniform_range(&r, -1, 1);
                    float *want = malloc((size_t)M * N * sizeof *want);
                    float *got = malloc((size_t)M * N * sizeof *got);
                    float *at = ta ? transposed_copy(A, K, M, lda) : NULL;
                    float *bt = tb ? transposed_copy(B, N, K, ldb) : NULL;
                    memcpy(want, c0, (size_t)M * N * sizeof *want);
                    gemm(M, N, K, at ? at : A, at ? K : lda, bt ? bt : B, bt ? N : ldb, want, N, true);
                    for (int th = 1; th <= 2; th++) {
                        threads_set(th);
                        memcpy(got, c0, (size_t)M * N * sizeof *got);
                        gemm_ex(ta, tb, M, N, K, A, lda, B, ldb, got, N, true);
                        ck_assert_msg(memcmp(got, want, (size_t)M * N * sizeof *got) == 0,
                                      "gemm_ex(%d, %d) %dx%dx%d under %s, %d thread(s): not the "
                                      "bits of gemm on transposed copies", ta, tb, M, N, K,
                                      rungs[ri], th);
                    }
                    threads_set(1);
                    free(A); free(B); free(c0); free(want); free(got); free(at); free(bt);
                }
        }
    }
    ladder_select(&GEMM_LADDER, "auto");
}
END_TEST

static Tensor *linear_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    return op_linear(tp, in[0], in[1], in[2]);
}

typedef struct { const int *t; } CeCtx;

static Tensor *ce_fast_build(Tape *tp, Tensor **in, void *ctx)
{
    return op_cross_entropy_fast(tp, in[0], ((CeCtx *)ctx)->t);
}

START_TEST(test_gradcheck_linear_and_cross_entropy_fast)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 23);
    Tensor *in[3] = {rand_param(&params, &r, 2, (int[]){5, 7}, -1, 1),
                     rand_param(&params, &r, 2, (int[]){7, 19}, -1, 1),
                     rand_param(&params, &r, 1, (int[]){19}, -1, 1)};
    assert_gradcheck("op_linear", run_gradcheck(linear_build, NULL, in, 3, &params, &r));
    static const int targets[] = {3, 0, 18, 7, 7, 11};
    Tensor *z = rand_param(&params, &r, 2, (int[]){6, 19}, -2, 2);
    CeCtx c = {targets};
    assert_gradcheck("op_cross_entropy_fast", run_gradcheck(ce_fast_build, &c, &z, 1, &params, &r));
    arena_free(&params);
}
END_TEST

// op_linear against op_bias_add(op_matmul(…)), op_cross_entropy_fast against op_cross_entropy,
// values and grads; both give the same bits with 1 and 2 threads (sizes above DL_PAR_MIN).
START_TEST(test_fast_head_matches_reference_ops_and_threads)
{
    enum { N = 70, K = 33, V = 2001 };
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 29);
    Tensor *x = rand_param(&params, &r, 2, (int[]){N, K}, -1, 1);
    Tensor *w = rand_param(&params, &r, 2, (int[]){K, V}, -0.5f, 0.5f);
    Tensor *b = rand_param(&params, &r, 1, (int[]){V}, -0.5f, 0.5f);
    int targets[N];
    for (int i = 0; i < N; i++) targets[i] = (int)rng_below(&r, V);
    Tensor *ps[3] = {x, w, b};
    float *ref[4], *fast[2][4];
    for (int pass = 0; pass < 3; pass++) {           // reference, fast 1 thread, fast 2 threads
        threads_set(pass == 2 ? 2 : 1);
        for (int i = 0; i < 3; i++) tensor_zero_grad(ps[i]);
        Tensor *loss;
        if (pass == 0) loss = op_cross_entropy(&tp, op_bias_add(&tp, op_matmul(&tp, x, w), b), targets);
        else loss = op_cross_entropy_fast(&tp, op_linear(&tp, x, w, b), targets);
        tape_backward(&tp, loss);
        float **dst = pass == 0 ? ref : fast[pass - 1];
        dst[0] = dupf(loss->data, 1);
        for (int i = 0; i < 3; i++) dst[1 + i] = dupf(ps[i]->grad, ps[i]->size);
        tape_reset(&tp);
    }
    threads_set(1);
    dl_ck_close("fast head loss", fast[0][0], ref[0], 1, 1e-6, 1e-6);
    static const char *const names[] = {"dx", "dw", "db"};
    for (int i = 0; i < 3; i++) {
        dl_ck_close(names[i], fast[0][1 + i], ref[1 + i], ps[i]->size, 1e-7, 1e-4);
        ck_assert_msg(memcmp(fast[0][1 + i], fast[1][1 + i], ps[i]->size * sizeof(float)) == 0,
                      "fast head %s differs between 1 and 2 threads", names[i]);
    }
    ck_assert(memcmp(fast[0][0], fast[1][0], sizeof(float)) == 0);
    // evaluation (not recording: no softmax kept) gives the same loss
    tape_set_recording(&tp, false);
    Tensor *le = op_cross_entropy_fast(&tp, op_linear(&tp, x, w, b), targets);
    ck_assert_msg(memcmp(le->data, fast[0][0], sizeof(float)) == 0,
                  "cross_entropy_fast: %.9g not recording, %.9g recording", le->data[0], fast[0][0][0]);
    tape_reset(&tp);
    tape_set_recording(&tp, true);
    for (int i = 0; i < 4; i++) { free(ref[i]); free(fast[0][i]); free(fast[1][i]); }
    arena_free(&step);
    arena_free(&params);
}
END_TEST

START_TEST(test_fastmath_accuracy)
{
    double worst_exp = 0, worst_sig = 0, worst_tanh = 0;
    for (float x = -87.0f; x < 88.0f; x += 0.00731f) {
        double e = exp((double)x);
        worst_exp = fmax(worst_exp, fabs(dl_fast_expf(x) - e) / e);
    }
    for (float a = -20.0f; a < 20.0f; a += 0.000913f) {
        worst_sig = fmax(worst_sig, fabs(dl_fast_sigmoidf(a) - 1.0 / (1.0 + exp(-(double)a))));
        worst_tanh = fmax(worst_tanh, fabs(dl_fast_tanhf(a) - tanh((double)a)));
    }
    ck_assert_msg(worst_exp < 2e-7, "fast exp: relative error %.3g", worst_exp);
    ck_assert_msg(worst_sig < 2e-7, "fast sigmoid: absolute error %.3g", worst_sig);
    ck_assert_msg(worst_tanh < 3e-7, "fast tanh: absolute error %.3g", worst_tanh);
    ck_assert(dl_fast_expf(1000.0f) < INFINITY && dl_fast_expf(-1000.0f) > 0.0f);
    ck_assert(isnan(dl_fast_expf(NAN)));
}
END_TEST

// ---- bad input ----
static void bad_token(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *t = tensor_param(&a, 2, (int[]){4, 2}, "table");
    op_embedding(&tp, t, (int[]){1, 4}, 2);
}

static void bad_h0(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x = tensor_new(&a, 3, (int[]){2, 3, 4});
    RecurrentArgs r = {.kind = CELL_LSTM, .w_ih = tensor_new(&a, 2, (int[]){4, 20}),
                       .w_hh = tensor_new(&a, 2, (int[]){5, 20}), .b_ih = tensor_1d(&a, 20),
                       .b_hh = tensor_1d(&a, 20), .h0 = tensor_new(&a, 2, (int[]){3, 5})};
    op_recurrent(&tp, x, &r);
}

static void bad_w_ih(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x = tensor_new(&a, 3, (int[]){2, 3, 4});
    RecurrentArgs r = {.kind = CELL_GRU, .w_ih = tensor_new(&a, 2, (int[]){3, 15}),
                       .w_hh = tensor_new(&a, 2, (int[]){5, 15}), .b_ih = tensor_1d(&a, 15),
                       .b_hh = tensor_1d(&a, 15)};
    op_recurrent(&tp, x, &r);
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"token outside the vocabulary", bad_token, {"token 4 at position 1", "[0, 4)"}},
        {"h0 of the wrong batch", bad_h0, {"h0 has shape (3, 5)", "expected (2, 5)"}},
        {"w_ih of the wrong input size", bad_w_ih, {"w_ih has shape (3, 15)", "expected (4, 15)"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *recurrent_suite(void)
{
    Suite *s = suite_create("recurrent");
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 120);
    tcase_add_test(g, test_gradcheck_embedding);
    tcase_add_test(g, test_gradcheck_recurrent_every_cell_and_rung);
    tcase_add_test(g, test_dh_norm_equals_unrolled_gradient);
    tcase_add_test(g, test_gradcheck_linear_and_cross_entropy_fast);
    suite_add_tcase(s, g);
    TCase *t = tcase_create("pytorch");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_embedding_matches_pytorch_and_threads);
    tcase_add_test(t, test_layers_match_pytorch_every_rung);
    tcase_add_test(t, test_param_counts_match_pytorch);
    tcase_add_test(t, test_fast_head_matches_reference_ops_and_threads);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("properties");
    tcase_set_timeout(p, 120);
    tcase_add_test(p, test_rungs_agree_with_v0);
    tcase_add_test(p, test_every_rung_independent_of_thread_count);
    tcase_add_test(p, test_two_windows_equal_one_long_window);
    tcase_add_test(p, test_gemm_ex_equals_gemm_on_transposed_copies);
    tcase_add_test(p, test_fastmath_accuracy);
    suite_add_tcase(s, p);
    TCase *e = tcase_create("errors");
    tcase_set_timeout(e, 30);
    tcase_add_test(e, test_bad_input_exits_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(recurrent_suite)
