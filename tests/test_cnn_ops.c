/* tests/test_cnn_ops.c — the CNN ops (common/ops/conv.h, ops/norm.h, ops/shape.h) and the
 * Conv2d / BatchNorm2d layers (common/nn/conv2d.h, nn/batchnorm.h).
 *
 * Gradients: finite differences (common/gradcheck.h) inside L = Σ w ⊙ op(x) with a fixed
 * random w, as tests/test_autograd.c, with the same tolerance and reasoning: rel < 2e-3 with
 * h = 1e-2 in float32 (truncation O(h²) ~ 1e-4, rounding ~ 6e-8·|L|/h ~ 1e-5; a wrong
 * derivative gives rel ~ 0.1 … 1). Max-pool inputs are distinct values 0.05 apart, so a ±h
 * step never changes a window's arg-max.
 * Values: PyTorch in float64 (tests/fixtures/cnn_torch.txt, scripts/gen_fixtures_cnn.py),
 * element-wise |got − want| <= atol + 1e-4·|want| with atol = 1e-5·sqrt(n) for an output
 * that sums n terms (STYLE §5).
 * Convolution runs under every rung of CONV_LADDER. Bad input must exit with status 1 and a
 * message naming the problem (checked in a child process).
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "base/threads.h"
#include "kernels/conv.h"
#include "nn/batchnorm.h"
#include "nn/conv2d.h"
#include "nn/init.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/shape.h"

// ---- helpers ----

static Tensor *rand_param(Arena *a, Rng *r, int ndim, const int *shape, float lo, float hi)
{
    Tensor *t = tensor_param(a, ndim, shape, "p");
    tensor_fill_uniform(t, r, lo, hi);
    return t;
}

// Distinct values 0.05 apart in a random order: no ties in any max-pool window.
static Tensor *distinct_param(Arena *a, Rng *r, int ndim, const int *shape)
{
    Tensor *t = tensor_param(a, ndim, shape, "x");
    int n = (int)t->size;
    int *perm = malloc((size_t)n * sizeof *perm);
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(r, perm, (size_t)n);
    for (int i = 0; i < n; i++) t->data[i] = 0.05f * (float)(perm[i] - n / 2);
    free(perm);
    return t;
}

// ---- gradient checks ----

typedef struct { int stride, pad; bool bias; } ConvCtx;

static Tensor *conv_build(Tape *tp, Tensor **in, void *ctx)
{
    ConvCtx *c = ctx;
    return op_conv2d(tp, in[0], in[1], c->bias ? in[2] : NULL, c->stride, c->pad);
}

// (N, C_in, H, W, C_out, K, stride, pad): stride 2, pad 0/1/2, 1x1 and 5x5, odd sizes, batch 1.
static const int CONV_GC_SHAPES[][8] = {
    {1, 2, 5, 6, 3, 3, 1, 1},
    {2, 3, 7, 7, 2, 5, 2, 2},
    {2, 2, 5, 4, 3, 1, 2, 0},
    {1, 1, 4, 5, 2, 2, 1, 0},
    {2, 3, 6, 5, 2, 3, 2, 1},
};

START_TEST(test_gradcheck_conv2d_every_rung_awkward_shapes)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 41);
    for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
        ck_assert(ladder_select(&CONV_LADDER, CONV_LADDER.rungs[k].name));
        ck_assert_ptr_eq(ladder_selected(&CONV_LADDER), &CONV_LADDER.rungs[k]);
        for (size_t i = 0; i < sizeof CONV_GC_SHAPES / sizeof CONV_GC_SHAPES[0]; i++) {
            const int *s = CONV_GC_SHAPES[i];
            Tensor *in[3] = {
                rand_param(&params, &r, 4, (int[]){s[0], s[1], s[2], s[3]}, -1.0f, 1.0f),
                rand_param(&params, &r, 4, (int[]){s[4], s[1], s[5], s[5]}, -0.5f, 0.5f),
                rand_param(&params, &r, 1, (int[]){s[4]}, -0.5f, 0.5f)};
            for (int bias = 1; bias >= 0; bias--) {
                ConvCtx c = {s[6], s[7], bias};
                char what[160];
                snprintf(what, sizeof what, "conv2d %s x(%d,%d,%d,%d) w(%d,%d,%d,%d) stride %d "
                         "pad %d%s", CONV_LADDER.rungs[k].name, s[0], s[1], s[2], s[3], s[4], s[1],
                         s[5], s[5], s[6], s[7], bias ? "" : " no bias");
                assert_gradcheck(what, run_gradcheck(conv_build, &c, in, bias ? 3 : 2, &params, &r));
            }
        }
    }
    ladder_select(&CONV_LADDER, "auto");
    arena_free(&params);
}
END_TEST

typedef struct { int k, stride; bool max; } PoolCtx;

static Tensor *pool_build(Tape *tp, Tensor **in, void *ctx)
{
    PoolCtx *c = ctx;
    return c->max ? op_maxpool2d(tp, in[0], c->k, c->stride)
                  : op_avgpool2d(tp, in[0], c->k, c->stride);
}

START_TEST(test_gradcheck_pooling)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 42);
    // (N, C, H, W, k, stride): non-overlapping (2/2, 3/3), overlapping (3/2, 3/1, 2/1), odd sizes
    static const int shapes[][6] = {
        {2, 3, 6, 7, 2, 2}, {1, 2, 7, 9, 3, 2}, {2, 1, 5, 5, 3, 1},
        {1, 2, 6, 6, 3, 3}, {1, 1, 4, 5, 2, 1}, {1, 1, 3, 3, 3, 1},
    };
    for (int max = 1; max >= 0; max--)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            const int *s = shapes[i];
            Tensor *x = distinct_param(&params, &r, 4, s);
            PoolCtx c = {s[4], s[5], max};
            char what[128];
            snprintf(what, sizeof what, "%s x(%d,%d,%d,%d) k %d stride %d",
                     max ? "maxpool2d" : "avgpool2d", s[0], s[1], s[2], s[3], s[4], s[5]);
            assert_gradcheck(what, run_gradcheck(pool_build, &c, &x, 1, &params, &r));
        }
    arena_free(&params);
}
END_TEST

static Tensor *gap_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    return op_global_avgpool(tp, in[0]);
}

// The flatten view between a conv and a linear layer, as in the chapter's network: the
// gradient must reach the conv's input and weights through the view.
static Tensor *conv_flatten_linear_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    Tensor *h = op_tanh(tp, op_conv2d(tp, in[0], in[1], NULL, 1, 1));   // smooth: no kink
    return op_matmul(tp, op_flatten(tp, h), in[2]);
}

static Tensor *reshape_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    // a view of a leaf and a view of an op output, both used
    Tensor *a = op_reshape(tp, in[0], 2, (int[]){6, 4});
    Tensor *b = op_reshape(tp, op_scale(tp, in[0], 1.5f), 2, (int[]){6, 4});
    return op_mul(tp, a, b);
}

START_TEST(test_gradcheck_global_avgpool_and_views)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 43);
    Tensor *x = rand_param(&params, &r, 4, (int[]){2, 3, 5, 3}, -1.0f, 1.0f);
    assert_gradcheck("global_avgpool", run_gradcheck(gap_build, NULL, &x, 1, &params, &r));
    Tensor *in[3] = {rand_param(&params, &r, 4, (int[]){2, 2, 4, 3}, -1.0f, 1.0f),
                     rand_param(&params, &r, 4, (int[]){3, 2, 3, 3}, -0.5f, 0.5f),
                     rand_param(&params, &r, 2, (int[]){3 * 4 * 3, 5}, -0.5f, 0.5f)};
    assert_gradcheck("conv -> tanh -> flatten -> matmul",
                     run_gradcheck(conv_flatten_linear_build, NULL, in, 3, &params, &r));
    Tensor *z = rand_param(&params, &r, 3, (int[]){2, 3, 4}, -1.0f, 1.0f);
    assert_gradcheck("reshape of a leaf and of an op output",
                     run_gradcheck(reshape_build, NULL, &z, 1, &params, &r));
    arena_free(&params);
}
END_TEST

typedef struct { BatchNorm *bn; bool train; } Bn2dCtx;

static Tensor *bn2d_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)in;
    Bn2dCtx *c = ctx;
    return batchnorm2d_forward(tp, c->bn, in[0], c->train);
}

START_TEST(test_gradcheck_batchnorm2d_train_and_eval)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 44);
    BatchNorm bn;
    batchnorm_init(&bn, &params, 3, NULL);
    tensor_fill_uniform(bn.gamma, &r, 0.5f, 1.5f);
    tensor_fill_uniform(bn.beta, &r, -0.5f, 0.5f);
    for (int j = 0; j < 3; j++) {
        bn.running_mean[j] = rng_uniform_range(&r, -0.3f, 0.3f);
        bn.running_var[j] = rng_uniform_range(&r, 0.5f, 2.0f);
    }
    // Batch 1 and 3 (statistics over H·W, or B·H·W), odd spatial sizes.
    static const int shapes[][4] = {{3, 3, 3, 2}, {1, 3, 3, 5}};
    for (int i = 0; i < 2; i++) {
        Tensor *in[3] = {rand_param(&params, &r, 4, shapes[i], -1.5f, 1.5f), bn.gamma, bn.beta};
        for (int train = 1; train >= 0; train--) {
            Bn2dCtx c = {&bn, train};
            char what[96];
            snprintf(what, sizeof what, "batchnorm2d %s x(%d,%d,%d,%d) (x, gamma, beta)",
                     train ? "train" : "eval", shapes[i][0], shapes[i][1], shapes[i][2],
                     shapes[i][3]);
            assert_gradcheck(what, run_gradcheck(bn2d_build, &c, in, 3, &params, &r));
        }
    }
    arena_free(&params);
}
END_TEST

typedef struct { const int *targets; const float *weight; } CewCtx;

static Tensor *cew_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    (void)n_in;
    CewCtx *c = ctx;
    return op_scale(tp, op_cross_entropy_weighted(tp, in[0], c->targets, c->weight), 0.7f);
}

START_TEST(test_gradcheck_cross_entropy_weighted)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 45);
    Tensor *z = rand_param(&params, &r, 2, (int[]){5, 4}, -2.0f, 2.0f);
    const int targets[] = {1, 0, 3, 3, 2};
    const float weight[] = {0.5f, 2.0f, 0.0f, 1.5f};   // a zero-weight class too
    CewCtx c = {targets, weight};
    assert_gradcheck("cross_entropy_weighted", gradcheck(&tp, cew_fn, &z, 1, &c, GC_H));
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- against PyTorch ----

static Tensor *fix4(Arena *a, Fixture *f, const char *name, const int *shape, bool grad)
{
    FixBlock *b = fixture_get(f, name);
    Tensor *t = grad ? tensor_param(a, 4, shape, name) : tensor_new(a, 4, shape);
    tensor_copy_from(t, b->v, b->n);
    return t;
}

static void check_fix(const char *what, const float *got, Fixture *f, const char *name,
                      size_t n, double atol)
{
    FixBlock *b = fixture_get(f, name);
    ck_assert_msg(b->n == n, "%s: fixture block %s has %zu values, the op made %zu", what, name,
                  b->n, n);
    dl_ck_close(what, got, b->v, n, atol, DL_RTOL);
}

START_TEST(test_conv2d_matches_pytorch_every_rung)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/cnn_torch.txt");
    static const char *cases[] = {"conv_a", "conv_b", "conv_c"};
    for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
        ck_assert(ladder_select(&CONV_LADDER, CONV_LADDER.rungs[k].name));
        ck_assert_ptr_eq(ladder_selected(&CONV_LADDER), &CONV_LADDER.rungs[k]);   // this rung, not a namesake
        for (int c = 0; c < 3; c++) {
            Arena step;
            arena_init(&step, "step");
            Tape tp;
            tape_init(&tp, &step);
            char nm[64], what[128];
            snprintf(nm, sizeof nm, "%s.cfg", cases[c]);
            const float *g = fixture_get(f, nm)->v;
            int N = (int)g[0], C = (int)g[1], H = (int)g[2], W = (int)g[3], K = (int)g[4],
                R = (int)g[5], stride = (int)g[6], pad = (int)g[7];
#define NM(s) (snprintf(nm, sizeof nm, "%s.%s", cases[c], s), nm)
#define WHAT(s) (snprintf(what, sizeof what, "%s %s %s vs PyTorch", cases[c], CONV_LADDER.rungs[k].name, s), what)
            Tensor *x = fix4(&step, f, NM("x"), (int[]){N, C, H, W}, true);
            Tensor *w = fix4(&step, f, NM("w"), (int[]){K, C, R, R}, true);
            Tensor *b = fixture_tensor(&step, f, NM("b"), true);
            Tensor *y = op_conv2d(&tp, x, w, b, stride, pad);
            Tensor *dy = tensor_new(&step, y->ndim, y->shape);
            tensor_copy_from(dy, fixture_get(f, NM("dy"))->v, dy->size);
            const int P = y->shape[2], Q = y->shape[3];
            check_fix(WHAT("forward"), y->data, f, NM("out.f64"), y->size,
                      DL_ATOL * sqrt((double)C * R * R + 1));
            tape_backward(&tp, project(&tp, y, dy));
            check_fix(WHAT("dL/dx"), x->grad, f, NM("dx.f64"), x->size,
                      DL_ATOL * sqrt((double)K * R * R));
            check_fix(WHAT("dL/dw"), w->grad, f, NM("dw.f64"), w->size,
                      DL_ATOL * sqrt((double)N * P * Q));
            check_fix(WHAT("dL/db"), b->grad, f, NM("db.f64"), b->size,
                      DL_ATOL * sqrt((double)N * P * Q));
#undef NM
#undef WHAT
            arena_free(&step);
        }
    }
    ladder_select(&CONV_LADDER, "auto");
    fixture_free(f);
}
END_TEST

START_TEST(test_pooling_matches_pytorch)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/cnn_torch.txt");
    static const char *cases[] = {"maxpool_a", "maxpool_b", "avgpool_a", "avgpool_b"};
    for (int c = 0; c < 4; c++) {
        Arena step;
        arena_init(&step, "step");
        Tape tp;
        tape_init(&tp, &step);
        char nm[64], what[128];
        snprintf(nm, sizeof nm, "%s.cfg", cases[c]);
        const float *g = fixture_get(f, nm)->v;
        int N = (int)g[0], C = (int)g[1], H = (int)g[2], W = (int)g[3], k = (int)g[4],
            stride = (int)g[5];
        bool max = c < 2;
#define NM(s) (snprintf(nm, sizeof nm, "%s.%s", cases[c], s), nm)
#define WHAT(s) (snprintf(what, sizeof what, "%s %s vs PyTorch", cases[c], s), what)
        Tensor *x = fix4(&step, f, NM("x"), (int[]){N, C, H, W}, true);
        Tensor *y = max ? op_maxpool2d(&tp, x, k, stride) : op_avgpool2d(&tp, x, k, stride);
        Tensor *dy = tensor_new(&step, y->ndim, y->shape);
        tensor_copy_from(dy, fixture_get(f, NM("dy"))->v, dy->size);
        // max: exact copies of inputs; avg: a sum of k² terms, dx sums up to ⌈k/stride⌉² terms
        check_fix(WHAT("forward"), y->data, f, NM("out.f64"), y->size,
                  max ? 0.0 : DL_ATOL * k);
        tape_backward(&tp, project(&tp, y, dy));
        check_fix(WHAT("dL/dx"), x->grad, f, NM("dx.f64"), x->size, DL_ATOL * k);
#undef NM
#undef WHAT
        arena_free(&step);
    }
    // Global average pooling: a mean of H·W = 20 values.
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    const float *g = fixture_get(f, "gap.cfg")->v;
    Tensor *x = fix4(&step, f, "gap.x", (int[]){(int)g[0], (int)g[1], (int)g[2], (int)g[3]}, true);
    Tensor *y = op_global_avgpool(&tp, x);
    ck_assert_int_eq(y->ndim, 2);
    check_fix("global_avgpool forward vs PyTorch", y->data, f, "gap.out.f64", y->size,
              DL_ATOL * sqrt(g[2] * g[3]));
    Tensor *gdy = tensor_new(&step, 2, y->shape);
    tensor_copy_from(gdy, fixture_get(f, "gap.dy")->v, gdy->size);
    tape_backward(&tp, project(&tp, y, gdy));
    check_fix("global_avgpool dL/dx vs PyTorch", x->grad, f, "gap.dx.f64", x->size, DL_ATOL);
    arena_free(&step);
    fixture_free(f);
}
END_TEST

START_TEST(test_batchnorm2d_matches_pytorch)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/cnn_torch.txt");
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    const float *g = fixture_get(f, "bn.cfg")->v;
    const int N = (int)g[0], C = (int)g[1], H = (int)g[2], W = (int)g[3];
    const double atol_sum = DL_ATOL * sqrt((double)N * H * W);   // sums over a channel
    BatchNorm bn;
    Params list;
    params_init(&list, &params);
    batchnorm_init(&bn, &params, C, &list);
    ck_assert_int_eq(list.n, 2);
    tensor_copy_from(bn.gamma, fixture_get(f, "bn.gamma")->v, (size_t)C);
    tensor_copy_from(bn.beta, fixture_get(f, "bn.beta")->v, (size_t)C);

    Tensor *x = fix4(&step, f, "bn.x", (int[]){N, C, H, W}, true);
    Tensor *y = batchnorm2d_forward(&tp, &bn, x, true);
    check_fix("batchnorm2d train forward vs PyTorch", y->data, f, "bn.out.f64", y->size, DL_ATOL);
    Tensor *dy = fix4(&step, f, "bn.dy", (int[]){N, C, H, W}, false);
    tape_backward(&tp, project(&tp, y, dy));
    check_fix("batchnorm2d train dL/dx vs PyTorch", x->grad, f, "bn.dx.f64", x->size, atol_sum);
    check_fix("batchnorm2d train dL/dgamma vs PyTorch", bn.gamma->grad, f, "bn.dgamma.f64", C, atol_sum);
    check_fix("batchnorm2d train dL/dbeta vs PyTorch", bn.beta->grad, f, "bn.dbeta.f64", C, atol_sum);
    check_fix("batchnorm2d running_mean after one step vs PyTorch", bn.running_mean, f,
              "bn.running_mean.f64", C, atol_sum);
    check_fix("batchnorm2d running_var (unbiased) after one step vs PyTorch", bn.running_var, f,
              "bn.running_var.f64", C, atol_sum);
    tape_reset(&tp);

    params_zero_grad(&list);
    Tensor *xe = fix4(&step, f, "bn.xe", (int[]){2, C, H, W}, true);
    float rm0 = bn.running_mean[0], rv0 = bn.running_var[0];
    Tensor *ye = batchnorm2d_forward(&tp, &bn, xe, false);
    ck_assert_msg(bn.running_mean[0] == rm0 && bn.running_var[0] == rv0,
                  "eval mode must not change the running statistics");
    check_fix("batchnorm2d eval forward vs PyTorch", ye->data, f, "bn.eval_out.f64", ye->size, DL_ATOL);
    tape_backward(&tp, project(&tp, ye, fix4(&step, f, "bn.dye", (int[]){2, C, H, W}, false)));
    check_fix("batchnorm2d eval dL/dx vs PyTorch", xe->grad, f, "bn.eval_dx.f64", xe->size, DL_ATOL);
    check_fix("batchnorm2d eval dL/dgamma vs PyTorch", bn.gamma->grad, f, "bn.eval_dgamma.f64", C,
              atol_sum);
    check_fix("batchnorm2d eval dL/dbeta vs PyTorch", bn.beta->grad, f, "bn.eval_dbeta.f64", C,
              atol_sum);
    arena_free(&step);
    arena_free(&params);
    fixture_free(f);
}
END_TEST

START_TEST(test_cross_entropy_weighted_matches_pytorch)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/cnn_torch.txt");
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *z = fixture_tensor(&step, f, "cew.logits", true);
    FixBlock *tb = fixture_get(f, "cew.targets");
    int targets[16];
    ck_assert_uint_le(tb->n, 16);
    for (size_t i = 0; i < tb->n; i++) targets[i] = (int)tb->v[i];
    const float *weight = fixture_get(f, "cew.weight")->v;
    Tensor *loss = op_cross_entropy_weighted(&tp, z, targets, weight);
    check_fix("cross_entropy_weighted value vs PyTorch", loss->data, f, "cew.loss.f64", 1,
              DL_ATOL * sqrt((double)z->shape[0]));
    tape_backward(&tp, op_scale(&tp, loss, fixture_get(f, "cew.dy")->v[0]));
    check_fix("cross_entropy_weighted dL/dlogits vs PyTorch", z->grad, f, "cew.dlogits.f64",
              z->size, DL_ATOL);
    arena_free(&step);
    fixture_free(f);
}
END_TEST

// ---- properties ----

// Every rung gives op_conv2d the same values up to float rounding of sums of C·K·K terms.
START_TEST(test_conv2d_same_result_under_every_rung)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 46);
    // (N, C, H, W, C_out, K, stride, pad): an odd-sized mid-sized layer and a strided one
    static const int shapes[][8] = {{3, 5, 13, 11, 7, 3, 1, 1}, {2, 3, 17, 16, 4, 5, 2, 2},
                                    {2, 8, 9, 9, 16, 1, 1, 0}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int *s = shapes[i];
        Tensor *x = rand_param(&params, &r, 4, (int[]){s[0], s[1], s[2], s[3]}, -1.0f, 1.0f);
        Tensor *w = rand_param(&params, &r, 4, (int[]){s[4], s[1], s[5], s[5]}, -0.5f, 0.5f);
        Tensor *b = rand_param(&params, &r, 1, (int[]){s[4]}, -0.5f, 0.5f);
        float *ref[4] = {NULL};   // y, dx, dw, db of rung 0
        for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
            ck_assert(ladder_select(&CONV_LADDER, CONV_LADDER.rungs[k].name));
            ck_assert_ptr_eq(ladder_selected(&CONV_LADDER), &CONV_LADDER.rungs[k]);   // this rung, not a namesake
            Arena step;
            arena_init(&step, "step");
            Tape tp;
            tape_init(&tp, &step);
            tensor_zero_grad(x);
            tensor_zero_grad(w);
            tensor_zero_grad(b);
            Tensor *y = op_conv2d(&tp, x, w, b, s[6], s[7]);
            Tensor *pw = tensor_new(&step, y->ndim, y->shape);
            Rng rp;
            rng_seed(&rp, 7);
            tensor_fill_uniform(pw, &rp, -1.0f, 1.0f);
            tape_backward(&tp, project(&tp, y, pw));
            const float *got[4] = {y->data, x->grad, w->grad, b->grad};
            size_t n[4] = {y->size, x->size, w->size, b->size};
            double terms[4] = {s[1] * s[5] * s[5], s[4] * s[5] * s[5],
                               (double)s[0] * y->shape[2] * y->shape[3],
                               (double)s[0] * y->shape[2] * y->shape[3]};
            static const char *names[4] = {"y", "dx", "dw", "db"};
            for (int q = 0; q < 4; q++) {
                if (k == 0) {
                    ref[q] = malloc(n[q] * sizeof(float));
                    memcpy(ref[q], got[q], n[q] * sizeof(float));
                } else {
                    char what[96];
                    snprintf(what, sizeof what, "shape %zu: %s %s vs %s", i, CONV_LADDER.rungs[k].name,
                             names[q], CONV_LADDER.rungs[0].name);
                    dl_ck_close(what, got[q], ref[q], n[q], DL_ATOL * sqrt(terms[q]), DL_RTOL);
                }
            }
            arena_free(&step);
        }
        for (int q = 0; q < 4; q++) free(ref[q]);
    }
    ladder_select(&CONV_LADDER, "auto");
    arena_free(&params);
}
END_TEST

// One training-sized step of every threaded op (tensors above the threading threshold), with
// 1 and with 2 threads: the outputs and gradients must be bit-identical.
static void cnn_step(int threads, float *out[6], size_t n[6])
{
    threads_set(threads);
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 47);
    Conv2d conv;
    conv2d_init(&conv, &params, 3, 16, 3, 1, 1, INIT_TORCH_DEFAULT, &r, NULL);
    BatchNorm bn;
    batchnorm_init(&bn, &params, 16, NULL);
    Tensor *x = rand_param(&params, &r, 4, (int[]){8, 3, 28, 28}, -1.0f, 1.0f);
    Tensor *h = batchnorm2d_forward(&tp, &bn, conv2d_forward(&tp, &conv, x), true);
    Tensor *a = op_avgpool2d(&tp, h, 3, 1);
    Tensor *m = op_maxpool2d(&tp, op_relu(&tp, a), 2, 2);
    Tensor *g = op_global_avgpool(&tp, m);
    Tensor *pw = tensor_new(&step, g->ndim, g->shape);
    tensor_fill_uniform(pw, &r, -1.0f, 1.0f);
    tape_backward(&tp, project(&tp, g, pw));
    const float *src[6] = {g->data, x->grad, conv.w->grad, conv.b->grad, bn.gamma->grad,
                           bn.running_var};
    size_t sz[6] = {g->size, x->size, conv.w->size, conv.b->size, 16, 16};
    for (int i = 0; i < 6; i++) {
        n[i] = sz[i];
        out[i] = malloc(sz[i] * sizeof(float));
        memcpy(out[i], src[i], sz[i] * sizeof(float));
    }
    arena_free(&step);
    arena_free(&params);
    threads_set(1);
}

START_TEST(test_cnn_ops_independent_of_thread_count)
{
    float *one[6], *two[6];
    size_t n1[6], n2[6];
    cnn_step(1, one, n1);
    cnn_step(2, two, n2);
    static const char *names[6] = {"output", "dx", "conv dw", "conv db", "bn dgamma",
                                   "bn running_var"};
    for (int i = 0; i < 6; i++) {
        ck_assert_uint_eq(n1[i], n2[i]);
        ck_assert_msg(memcmp(one[i], two[i], n1[i] * sizeof(float)) == 0,
                      "%s differs between 1 and 2 threads", names[i]);
        free(one[i]);
        free(two[i]);
    }
}
END_TEST

// The fused op_batchnorm2d_relu must give the unfused op_relu(op_batchnorm2d(…)) bit for bit:
// output, dx, dγ, dβ and the running statistics, in train and in eval mode. 4x5x6x7 inputs
// in [-2, 2) with γ, β random, so about half the BN outputs are clipped by the ReLU.
static void bn_relu_path(bool fused, bool train, float *out[6], size_t n[6])
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 53);
    BatchNorm bn;
    batchnorm_init(&bn, &params, 5, NULL);
    tensor_fill_uniform(bn.gamma, &r, 0.5f, 1.5f);
    tensor_fill_uniform(bn.beta, &r, -0.5f, 0.5f);
    for (int c = 0; c < 5; c++) {
        bn.running_mean[c] = 0.1f * (float)c;
        bn.running_var[c] = 0.5f + 0.2f * (float)c;
    }
    Tensor *x = rand_param(&params, &r, 4, (int[]){4, 5, 6, 7}, -2.0f, 2.0f);
    Tensor *y = fused ? batchnorm2d_relu_forward(&tp, &bn, x, train)
                      : op_relu(&tp, batchnorm2d_forward(&tp, &bn, x, train));
    Tensor *pw = tensor_new(&step, y->ndim, y->shape);
    tensor_fill_uniform(pw, &r, -1.0f, 1.0f);
    tape_backward(&tp, project(&tp, y, pw));
    const float *src[6] = {y->data, x->grad, bn.gamma->grad, bn.beta->grad, bn.running_mean,
                           bn.running_var};
    size_t sz[6] = {y->size, x->size, 5, 5, 5, 5};
    for (int i = 0; i < 6; i++) {
        n[i] = sz[i];
        out[i] = malloc(sz[i] * sizeof(float));
        memcpy(out[i], src[i], sz[i] * sizeof(float));
    }
    arena_free(&step);
    arena_free(&params);
}

START_TEST(test_batchnorm2d_relu_fused_equals_unfused)
{
    static const char *names[6] = {"y", "dx", "dgamma", "dbeta", "running_mean", "running_var"};
    for (int train = 0; train <= 1; train++) {
        float *a[6], *b[6];
        size_t na[6], nb[6];
        bn_relu_path(false, train, a, na);
        bn_relu_path(true, train, b, nb);
        int clipped = 0;
        for (size_t j = 0; j < na[0]; j++) clipped += a[0][j] == 0.0f;
        ck_assert_msg(clipped > (int)na[0] / 5 && clipped < (int)na[0] * 4 / 5,
                      "%d of %zu outputs clipped: the test should exercise both sides", clipped,
                      na[0]);
        for (int i = 0; i < 6; i++) {
            ck_assert_uint_eq(na[i], nb[i]);
            ck_assert_msg(memcmp(a[i], b[i], na[i] * sizeof(float)) == 0,
                          "%s mode: fused %s differs from op_relu(op_batchnorm2d)",
                          train ? "train" : "eval", names[i]);
            free(a[i]);
            free(b[i]);
        }
    }
}
END_TEST

START_TEST(test_views_share_data_and_record_nothing)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *x = tensor_param(&step, 4, (int[]){2, 3, 4, 5}, "x");
    Tensor *h = op_scale(&tp, x, 2.0f);
    size_t nodes = tp.n_nodes;
    Tensor *f = op_flatten(&tp, h);
    ck_assert_int_eq(f->ndim, 2);
    ck_assert_int_eq(f->shape[0], 2);
    ck_assert_int_eq(f->shape[1], 60);
    ck_assert_ptr_eq(f->data, h->data);
    ck_assert_ptr_eq(f->grad, h->grad);
    ck_assert_uint_eq(tp.n_nodes, nodes);
    Tensor *v = op_reshape(&tp, f, 1, (int[]){120});
    ck_assert_ptr_eq(v->data, h->data);
    // Not recording: a view gets no grad, as any op output.
    tape_set_recording(&tp, false);
    Tensor *e = op_flatten(&tp, h);
    ck_assert_ptr_null(e->grad);
    ck_assert(!e->requires_grad);
    tape_set_recording(&tp, true);
    // d/dx Σ_i i·v_i = 2·i (through the scale).
    Tensor *pw = tensor_1d(&step, 120);
    for (int i = 0; i < 120; i++) pw->data[i] = (float)i;
    tape_backward(&tp, project(&tp, v, pw));
    for (int i = 0; i < 120; i++) ck_assert_float_eq(x->grad[i], 2.0f * (float)i);
    arena_free(&step);
}
END_TEST

// The first layer's input has no grad (backward_data is skipped), and a frozen weight with a
// trained bias still gives the bias its gradient: db[k] = Σ_{n,p,q} dy.
START_TEST(test_conv2d_backward_only_where_grads_exist)
{
    Arena params, step;   // tensors in params: the tape is reset between the three passes
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 49);
    Tensor *x = tensor_new(&params, 4, (int[]){2, 3, 6, 5});
    tensor_fill_uniform(x, &r, -1.0f, 1.0f);
    Tensor *xg = tensor_param(&params, 4, x->shape, "xg");
    tensor_copy_from(xg, x->data, x->size);
    Tensor *w = rand_param(&params, &r, 4, (int[]){4, 3, 3, 3}, -0.5f, 0.5f);
    Tensor *b = rand_param(&params, &r, 1, (int[]){4}, -0.5f, 0.5f);
    // dw with and without a grad on x: the same
    tape_backward(&tp, op_sum(&tp, op_conv2d(&tp, xg, w, b, 2, 1)));
    float dw_ref[108], db_ref[4];
    memcpy(dw_ref, w->grad, sizeof dw_ref);
    memcpy(db_ref, b->grad, sizeof db_ref);
    tape_reset(&tp);
    tensor_zero_grad(w);
    tensor_zero_grad(b);
    tape_backward(&tp, op_sum(&tp, op_conv2d(&tp, x, w, b, 2, 1)));
    ck_assert_mem_eq(w->grad, dw_ref, sizeof dw_ref);
    ck_assert_mem_eq(b->grad, db_ref, sizeof db_ref);
    tape_reset(&tp);
    // frozen weight: only the bias learns; L = Σ y, so db[k] = N·P·Q = 2·3·3
    Tensor *wf = tensor_new(&params, 4, w->shape);
    tensor_copy_from(wf, w->data, w->size);
    tensor_zero_grad(b);
    tape_backward(&tp, op_sum(&tp, op_conv2d(&tp, x, wf, b, 2, 1)));
    for (int k = 0; k < 4; k++) ck_assert_float_eq(b->grad[k], 18.0f);
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// PyTorch's first-maximum rule on ties: the whole gradient goes to the first position in
// scan order.
START_TEST(test_maxpool_ties_route_to_first_maximum)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *x = tensor_param(&step, 4, (int[]){1, 1, 2, 4}, "x");
    tensor_copy_from(x, (float[]){1, 3, 5, 5, 3, 2, 5, 1}, 8);
    Tensor *y = op_maxpool2d(&tp, x, 2, 2);
    ck_assert_float_eq(y->data[0], 3.0f);
    ck_assert_float_eq(y->data[1], 5.0f);
    tape_backward(&tp, op_sum(&tp, y));
    const float want[8] = {0, 1, 1, 0, 0, 0, 0, 0};
    dl_ck_close("maxpool tie gradient", x->grad, want, 8, 0.0, 0.0);
    arena_free(&step);
}
END_TEST

START_TEST(test_conv2d_init_ranges_and_params)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 48);
    Conv2d c;
    Params list;
    params_init(&list, &params);
    conv2d_init(&c, &params, 6, 16, 5, 1, 2, INIT_TORCH_DEFAULT, &r, &list);
    ck_assert_int_eq(list.n, 2);
    ck_assert_uint_eq(params_count(&list), (5 * 5 * 6 + 1) * 16);
    ck_assert_int_eq(c.w->shape[0], 16);
    ck_assert_int_eq(c.w->shape[1], 6);
    const float a = 1.0f / sqrtf(150.0f);   // 1/sqrt(fan_in), fan_in = 6·5·5
    float wmax = 0.0f, bmax = 0.0f;
    for (size_t i = 0; i < c.w->size; i++) wmax = fmaxf(wmax, fabsf(c.w->data[i]));
    for (size_t i = 0; i < c.b->size; i++) bmax = fmaxf(bmax, fabsf(c.b->data[i]));
    // 2400 draws from U(±a): the largest is above 0.95·a unless 2400 draws avoid 5% of the range
    // (probability 0.95^2400 ~ 1e-53).
    ck_assert_msg(wmax <= a && wmax > 0.95f * a, "torch init: max|w| %g, want in (0.95, 1]·%g", wmax, a);
    ck_assert_msg(bmax <= a && bmax > 0.0f, "torch init: max|b| %g, want in (0, %g]", bmax, a);
    conv2d_init(&c, &params, 6, 16, 5, 1, 2, INIT_HE_NORMAL, &r, NULL);
    double s2 = 0.0;
    for (size_t i = 0; i < c.w->size; i++) s2 += (double)c.w->data[i] * c.w->data[i];
    // Sample variance of 2400 normals: relative sd sqrt(2/2400) ~ 0.029; 5 sd = 0.15.
    double var = s2 / (double)c.w->size;
    ck_assert_msg(fabs(var / (2.0 / 150.0) - 1.0) < 0.15, "he init: var %g, want 2/150", var);
    for (size_t i = 0; i < c.b->size; i++) ck_assert_float_eq(c.b->data[i], 0.0f);
    arena_free(&params);
}
END_TEST

// ---- bad input: exit status 1 with a message ----

static Tape bad_tp;
static Arena bad_arena;

static void bad_setup(void)
{
    arena_init(&bad_arena, "step");
    tape_init(&bad_tp, &bad_arena);
}
static Tensor *t4(int n, int c, int h, int w) { return tensor_new(&bad_arena, 4, (int[]){n, c, h, w}); }

static void conv_channel_mismatch(void)
{
    bad_setup();
    op_conv2d(&bad_tp, t4(2, 3, 5, 5), t4(4, 2, 3, 3), NULL, 1, 1);
}
static void conv_zero_stride(void)
{
    bad_setup();
    op_conv2d(&bad_tp, t4(2, 3, 5, 5), t4(4, 3, 3, 3), NULL, 0, 1);
}
static void conv_kernel_too_large(void)
{
    bad_setup();
    op_conv2d(&bad_tp, t4(1, 1, 3, 3), t4(1, 1, 5, 5), NULL, 1, 0);
}
static void conv_bias_mismatch(void)
{
    bad_setup();
    op_conv2d(&bad_tp, t4(1, 1, 3, 3), t4(4, 1, 3, 3), tensor_1d(&bad_arena, 3), 1, 1);
}
static void conv_layer_wrong_channels(void)
{
    bad_setup();
    Conv2d c;
    Rng r;
    rng_seed(&r, 1);
    conv2d_init(&c, &bad_arena, 3, 8, 3, 1, 1, INIT_HE_NORMAL, &r, NULL);
    conv2d_forward(&bad_tp, &c, t4(2, 1, 8, 8));
}
static void maxpool_window_too_large(void)
{
    bad_setup();
    op_maxpool2d(&bad_tp, t4(1, 2, 3, 4), 4, 4);
}
static void maxpool_zero_stride(void)
{
    bad_setup();
    op_maxpool2d(&bad_tp, t4(1, 2, 4, 4), 2, 0);
}
static void avgpool_zero_window(void)
{
    bad_setup();
    op_avgpool2d(&bad_tp, t4(1, 2, 4, 4), 0, 1);
}
static void pool_2d_input(void)
{
    bad_setup();
    op_maxpool2d(&bad_tp, tensor_2d(&bad_arena, 4, 4), 2, 2);
}
static void bn2d_one_value_train(void)
{
    bad_setup();
    BatchNorm bn;
    batchnorm_init(&bn, &bad_arena, 3, NULL);
    batchnorm2d_forward(&bad_tp, &bn, t4(1, 3, 1, 1), true);
}
static void bn2d_wrong_channels(void)
{
    bad_setup();
    BatchNorm bn;
    batchnorm_init(&bn, &bad_arena, 3, NULL);
    batchnorm2d_forward(&bad_tp, &bn, t4(2, 4, 3, 3), true);
}
static void reshape_wrong_size(void)
{
    bad_setup();
    op_reshape(&bad_tp, t4(2, 3, 4, 4), 2, (int[]){2, 47});
}
static void cew_bad_target(void)
{
    bad_setup();
    const float w[3] = {1, 1, 1};
    op_cross_entropy_weighted(&bad_tp, tensor_2d(&bad_arena, 2, 3), (int[]){0, 3}, w);
}
static void cew_zero_weight(void)
{
    bad_setup();
    const float w[3] = {1, 0, 1};
    op_cross_entropy_weighted(&bad_tp, tensor_2d(&bad_arena, 2, 3), (int[]){1, 1}, w);
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"conv channel mismatch", conv_channel_mismatch, {"3 channels", "C_in = 2"}},
        {"conv stride 0", conv_zero_stride, {"conv2d", "stride 0"}},
        {"conv kernel larger than the padded input", conv_kernel_too_large,
         {"kernel 5x5", "larger than the padded input 3x3"}},
        {"conv bias of the wrong size", conv_bias_mismatch, {"bias (3)", "(C_out) = (4)"}},
        {"conv layer on the wrong channel count", conv_layer_wrong_channels,
         {"(2, 1, 8, 8)", "3 -> 8"}},
        {"maxpool window larger than the input", maxpool_window_too_large,
         {"maxpool2d", "window 4x4 is larger than the input 3x4"}},
        {"maxpool stride 0", maxpool_zero_stride, {"maxpool2d", "stride 0"}},
        {"avgpool window 0", avgpool_zero_window, {"avgpool2d", "k = 0"}},
        {"pooling a 2-D tensor", pool_2d_input, {"maxpool2d", "(4, 4)"}},
        {"batchnorm2d train on one value per channel", bn2d_one_value_train,
         {"batchnorm2d", "at least 2"}},
        {"batchnorm2d wrong channel count", bn2d_wrong_channels, {"batchnorm2d", "expects 3"}},
        {"reshape to another size", reshape_wrong_size, {"reshape", "(2, 47)"}},
        {"weighted CE target out of range", cew_bad_target, {"target 3", "[0, 3)"}},
        {"weighted CE zero total weight", cew_zero_weight, {"total class weight", "> 0"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *cnn_ops_suite(void)
{
    Suite *s = suite_create("cnn_ops");
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 120);
    tcase_add_test(g, test_gradcheck_conv2d_every_rung_awkward_shapes);
    tcase_add_test(g, test_gradcheck_pooling);
    tcase_add_test(g, test_gradcheck_global_avgpool_and_views);
    tcase_add_test(g, test_gradcheck_batchnorm2d_train_and_eval);
    tcase_add_test(g, test_gradcheck_cross_entropy_weighted);
    suite_add_tcase(s, g);
    TCase *t = tcase_create("pytorch");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_conv2d_matches_pytorch_every_rung);
    tcase_add_test(t, test_pooling_matches_pytorch);
    tcase_add_test(t, test_batchnorm2d_matches_pytorch);
    tcase_add_test(t, test_cross_entropy_weighted_matches_pytorch);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("properties");
    tcase_set_timeout(p, 120);
    tcase_add_test(p, test_conv2d_same_result_under_every_rung);
    tcase_add_test(p, test_cnn_ops_independent_of_thread_count);
    tcase_add_test(p, test_batchnorm2d_relu_fused_equals_unfused);
    tcase_add_test(p, test_views_share_data_and_record_nothing);
    tcase_add_test(p, test_conv2d_backward_only_where_grads_exist);
    tcase_add_test(p, test_maxpool_ties_route_to_first_maximum);
    tcase_add_test(p, test_conv2d_init_ranges_and_params);
    suite_add_tcase(s, p);
    TCase *e = tcase_create("errors");
    tcase_set_timeout(e, 30);
    tcase_add_test(e, test_bad_input_exits_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(cnn_ops_suite)
