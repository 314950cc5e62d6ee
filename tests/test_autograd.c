/* tests/test_autograd.c — every differentiable op against finite differences, the tape's
 * mechanics, and shape errors.
 *
 * Each op is checked inside L = Σ w ⊙ op(x) with a fixed random w, so every output element
 * influences the loss with its own weight (a plain Σ would hide, e.g., a softmax gradient,
 * which sums to zero). Inputs are drawn away from kinks (|x| >= 0.1 for ReLU-like ops).
 * Tolerance: rel = ||g - g_fd|| / (||g|| + ||g_fd||) < 2e-3 with h = 1e-2 in float32: the
 * truncation error is O(h²) ~ 1e-4 and rounding ~ 6e-8·|L|/h ~ 1e-5; a wrong derivative
 * gives rel ~ 0.1 … 1.
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include <unistd.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "kernels/gemm.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/shape.h"
#include "optim/optimizer.h"


typedef enum { UNARY, BINARY } Arity;

typedef struct OpCase {
    const char *name;
    Arity arity;
    Tensor *(*unary)(Tape *, Tensor *);
    Tensor *(*binary)(Tape *, Tensor *, Tensor *);
    Tensor *w;              // projection weights, shape of the op's output
} OpCase;

static Tensor *op_case_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    (void)n_in;
    OpCase *c = ctx;
    Tensor *y = c->arity == UNARY ? c->unary(tp, in[0]) : c->binary(tp, in[0], in[1]);
    return project(tp, y, c->w);
}

// Inputs (B, K) in ±[0.1, 1.5]: away from 0 where relu/leaky_relu have their kink.
static Tensor *rand_input(Arena *a, Rng *r, int B, int K, bool positive)
{
    Tensor *t = tensor_param(a, 2, (int[]){B, K}, "x");
    for (size_t i = 0; i < t->size; i++) {
        float m = rng_uniform_range(r, 0.1f, 1.5f);
        t->data[i] = positive || rng_uniform(r) < 0.5f ? m : -m;
    }
    return t;
}

static void check_op(OpCase *c, Tensor *x0, Tensor *x1, Arena *params, Rng *r)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *in[2] = {x0, x1};
    // Output shape: run once without recording.
    tape_set_recording(&tp, false);
    Tensor *y = c->arity == UNARY ? c->unary(&tp, x0) : c->binary(&tp, x0, x1);
    c->w = tensor_new(params, y->ndim, y->shape);
    tensor_fill_uniform(c->w, r, -1.0f, 1.0f);
    tape_reset(&tp);
    tape_set_recording(&tp, true);
    GradcheckResult g = gradcheck(&tp, op_case_fn, in, c->arity == UNARY ? 1 : 2, c, GC_H);
    arena_free(&step);
    ck_assert_msg(g.rel_error < GC_TOL,
                  "%s: gradient check failed: rel error %.3g >= %.1g; worst at input %d [%d]: "
                  "autograd %.6g vs finite difference %.6g",
                  c->name, g.rel_error, GC_TOL, g.worst_input, g.worst_index, g.worst_analytic,
                  g.worst_numeric);
}

static Tensor *leaky(Tape *tp, Tensor *x) { return op_leaky_relu(tp, x, 0.1f); }
static Tensor *scale3(Tape *tp, Tensor *x) { return op_scale(tp, x, -3.0f); }

START_TEST(test_gradcheck_elementwise_and_activations)
{
    static OpCase cases[] = {
        {"add", BINARY, NULL, op_add, NULL},   {"sub", BINARY, NULL, op_sub, NULL},
        {"mul", BINARY, NULL, op_mul, NULL},   {"scale", UNARY, scale3, NULL, NULL},
        {"relu", UNARY, op_relu, NULL, NULL},  {"leaky_relu", UNARY, leaky, NULL, NULL},
        {"sigmoid", UNARY, op_sigmoid, NULL, NULL}, {"tanh", UNARY, op_tanh, NULL, NULL},
        {"gelu", UNARY, op_gelu, NULL, NULL},  {"softmax", UNARY, op_softmax, NULL, NULL},
        {"log_softmax", UNARY, op_log_softmax, NULL, NULL},
        {"sum", UNARY, op_sum, NULL, NULL},    {"mean", UNARY, op_mean, NULL, NULL},
    };
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Tensor *x0 = rand_input(&params, &r, 3, 5, false);
        Tensor *x1 = rand_input(&params, &r, 3, 5, false);
        check_op(&cases[i], x0, x1, &params, &r);
    }
    arena_free(&params);
}
END_TEST

// op_matmul's forward and backward under every rung of GEMM_LADDER, selected by the rung's own
// name (two rungs share the --kernel name "simd", so selecting by that would run one of them
// twice and never the other). A rung this CPU cannot run is named on stdout, not checked.
START_TEST(test_gradcheck_matmul_every_gemm_rung)
{
    OpCase c = {"matmul", BINARY, NULL, op_matmul, NULL};
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 2);
    int checked = 0;
    for (int k = 0; k < GEMM_LADDER.n_rungs; k++) {
        if (!rung_available(&GEMM_LADDER.rungs[k])) {
            printf("note: test_gradcheck_matmul_every_gemm_rung: %s not checked (this CPU "
                   "cannot run it)\n", GEMM_LADDER.rungs[k].name);
            continue;
        }
        ck_assert_msg(ladder_select(&GEMM_LADDER, GEMM_LADDER.rungs[k].name), "ladder_select(gemm, \"%s\") failed",
                      GEMM_LADDER.rungs[k].name);
        ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, GEMM_LADDER.rungs[k].name);
        char name[64];
        snprintf(name, sizeof name, "matmul with gemm rung %s", GEMM_LADDER.rungs[k].name);
        c.name = name;
        Tensor *a = rand_input(&params, &r, 7, 5, false);   // awkward sizes: (7, 5) · (5, 9)
        Tensor *b = rand_input(&params, &r, 5, 9, false);
        check_op(&c, a, b, &params, &r);
        checked++;
    }
    ck_assert_int_ge(checked, 4);   // v0, v1, v2, v4 run everywhere
    ladder_select(&GEMM_LADDER, "auto");
    arena_free(&params);
}
END_TEST

static Tensor *bias_add_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)n;
    return project(tp, op_bias_add(tp, in[0], in[1]), ctx);
}

START_TEST(test_gradcheck_bias_add)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 3);
    Tensor *in[] = {rand_input(&params, &r, 4, 6, false), tensor_param(&params, 1, (int[]){6}, "b")};
    tensor_fill_uniform(in[1], &r, -1, 1);
    Tensor *w = tensor_2d(&params, 4, 6);
    tensor_fill_uniform(w, &r, -1, 1);
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    GradcheckResult g = gradcheck(&tp, bias_add_fn, in, 2, w, GC_H);
    ck_assert_msg(g.rel_error < GC_TOL, "bias_add: rel error %.3g", g.rel_error);
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// Losses: the input is the only tensor with a gradient; targets are constants.
typedef struct { int kind; const int *classes; Tensor *target; } LossCtx;

static Tensor *loss_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)n;
    LossCtx *c = ctx;
    switch (c->kind) {
    case 0: return op_cross_entropy(tp, in[0], c->classes);
    case 1: return op_bce(tp, op_sigmoid(tp, in[0]), c->target);
    default: return op_mse(tp, in[0], c->target);
    }
}

START_TEST(test_gradcheck_losses)
{
    static const char *names[] = {"cross_entropy", "bce (after sigmoid)", "mse"};
    static const int classes[] = {2, 0, 4, 1};
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 4);
    for (int kind = 0; kind < 3; kind++) {
        Tensor *x = rand_input(&params, &r, 4, 5, false);
        Tensor *t = tensor_2d(&params, 4, 5);
        tensor_fill_uniform(t, &r, 0, 1);   // soft targets in [0, 1] for BCE
        LossCtx c = {kind, classes, t};
        Arena step;
        arena_init(&step, "step");
        Tape tp;
        tape_init(&tp, &step);
        GradcheckResult g = gradcheck(&tp, loss_fn, &x, 1, &c, GC_H);
        arena_free(&step);
        ck_assert_msg(g.rel_error < GC_TOL, "%s: rel error %.3g", names[kind], g.rel_error);
    }
    arena_free(&params);
}
END_TEST

// A whole MLP (Linear-ReLU-Linear-tanh-Linear, cross-entropy) through linear_forward: checks
// how ops compose, with the gradient flowing into every parameter.
typedef struct { Linear l1, l2, l3; const int *classes; } Mlp;

static Tensor *mlp_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)in, (void)n;
    Mlp *m = ctx;
    Tensor *x = in[0];
    Tensor *h = op_relu(tp, linear_forward(tp, &m->l1, x));
    h = op_tanh(tp, linear_forward(tp, &m->l2, h));
    return op_cross_entropy(tp, linear_forward(tp, &m->l3, h), m->classes);
}

START_TEST(test_gradcheck_mlp_all_parameters)
{
    static const int classes[] = {0, 2, 1};
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 5);
    Mlp m = {.classes = classes};
    linear_init(&m.l1, &params, 4, 6, INIT_TORCH_DEFAULT, &r, NULL);
    linear_init(&m.l2, &params, 6, 5, INIT_XAVIER_UNIFORM, &r, NULL);
    linear_init(&m.l3, &params, 5, 3, INIT_HE_NORMAL, &r, NULL);
    tensor_fill_uniform(m.l2.b, &r, -0.5f, 0.5f);
    Tensor *x = rand_input(&params, &r, 3, 4, false);
    Tensor *in[] = {x, m.l1.w, m.l1.b, m.l2.w, m.l2.b, m.l3.w, m.l3.b};
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    GradcheckResult g = gradcheck(&tp, mlp_fn, in, 7, &m, 1e-3f);
    arena_free(&step);
    arena_free(&params);
    ck_assert_msg(g.rel_error < GC_TOL, "mlp: rel error %.3g (worst input %d)", g.rel_error,
                  g.worst_input);
}
END_TEST

// ---- every op against PyTorch (tests/fixtures/ops_torch.txt, scripts/gen_fixtures_ch02.py) ----
// For each op the fixture holds its inputs x (and b or target), an upstream gradient dy, and
// PyTorch's float64 output and input gradients of L = Σ out ⊙ dy. Tolerance: the STYLE
// float32 defaults (atol 1e-5, rtol 1e-4); every output here sums at most 5 terms.

// The fixture block "<op>.<what>", or NULL.
static FixBlock *op_block(Fixture *f, const char *op, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", op, what);
    return fixture_find(f, name);
}

START_TEST(test_ops_match_pytorch)
{
    static const char *ops[] = {"add", "sub", "mul", "scale", "matmul", "bias_add", "sum", "mean",
                                "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax",
                                "log_softmax", "cross_entropy", "bce", "mse"};
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/ops_torch.txt");
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const char *op = ops[k];
        FixBlock *bx = op_block(f, op, "x"), *bb = op_block(f, op, "b");
        FixBlock *by = op_block(f, op, "y"), *bt = op_block(f, op, "t");
        ck_assert_msg(bx && op_block(f, op, "dy"), "fixture has no block for op %s", op);
        Tensor *x = fixture_block_tensor(&a, bx, true);
        Tensor *b = bb ? fixture_block_tensor(&a, bb, true) : NULL;
        Tensor *y = by ? fixture_block_tensor(&a, by, false) : NULL;
        int targets[16];
        if (bt)
            for (size_t i = 0; i < bt->n; i++) targets[i] = (int)bt->v[i];
        Tensor *out;
        if (!strcmp(op, "add")) out = op_add(&tp, x, b);
        else if (!strcmp(op, "sub")) out = op_sub(&tp, x, b);
        else if (!strcmp(op, "mul")) out = op_mul(&tp, x, b);
        else if (!strcmp(op, "scale")) out = op_scale(&tp, x, 0.7f);
        else if (!strcmp(op, "matmul")) out = op_matmul(&tp, x, b);
        else if (!strcmp(op, "bias_add")) out = op_bias_add(&tp, x, b);
        else if (!strcmp(op, "sum")) out = op_sum(&tp, x);
        else if (!strcmp(op, "mean")) out = op_mean(&tp, x);
        else if (!strcmp(op, "relu")) out = op_relu(&tp, x);
        else if (!strcmp(op, "leaky_relu")) out = op_leaky_relu(&tp, x, 0.01f);
        else if (!strcmp(op, "sigmoid")) out = op_sigmoid(&tp, x);
        else if (!strcmp(op, "tanh")) out = op_tanh(&tp, x);
        else if (!strcmp(op, "gelu")) out = op_gelu(&tp, x);
        else if (!strcmp(op, "softmax")) out = op_softmax(&tp, x);
        else if (!strcmp(op, "log_softmax")) out = op_log_softmax(&tp, x);
        else if (!strcmp(op, "cross_entropy")) out = op_cross_entropy(&tp, x, targets);
        else if (!strcmp(op, "bce")) out = op_bce(&tp, x, y);
        else out = op_mse(&tp, x, y);
        char what[96];
        FixBlock *want = op_block(f, op, "out.f64");
        snprintf(what, sizeof what, "%s forward vs PyTorch", op);
        dl_ck_close(what, out->data, want->v, want->n, DL_ATOL, DL_RTOL);
        // L = Σ out ⊙ dy, so dL/d(out) = dy.
        tape_backward(&tp, op_sum(&tp, op_mul(&tp, out, fixture_block_tensor(&a, op_block(f, op, "dy"), false))));
        want = op_block(f, op, "dx.f64");
        snprintf(what, sizeof what, "%s dL/dx vs PyTorch", op);
        dl_ck_close(what, x->grad, want->v, want->n, DL_ATOL, DL_RTOL);
        if (b) {
            want = op_block(f, op, "db.f64");
            snprintf(what, sizeof what, "%s dL/db vs PyTorch", op);
            dl_ck_close(what, b->grad, want->v, want->n, DL_ATOL, DL_RTOL);
        }
        tape_reset(&tp);
    }
    arena_free(&a);
    fixture_free(f);
}
END_TEST

// ---- values and mechanics ----

START_TEST(test_forward_values_known)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *z = tensor_2d(&a, 1, 3);
    tensor_copy_from(z, (float[]){1000.0f, 1001.0f, 1002.0f}, 3);   // would overflow naive exp
    Tensor *p = op_softmax(&tp, z);
    const float want[] = {0.0900305732f, 0.244728471f, 0.665240956f};
    dl_ck_close("softmax of large logits", p->data, want, 3, DL_ATOL, DL_RTOL);
    float ce = tensor_item(op_cross_entropy(&tp, z, (int[]){2}));
    dl_ck_close1("cross_entropy", ce, 0.407605964f, DL_ATOL, DL_RTOL);
    Tensor *x = tensor_2d(&a, 1, 3);
    tensor_copy_from(x, (float[]){-1.0f, 0.0f, 2.0f}, 3);
    const float gelu[] = {-0.158655254f, 0.0f, 1.95449972f};   // x·Φ(x)
    dl_ck_close("gelu", op_gelu(&tp, x)->data, gelu, 3, DL_ATOL, DL_RTOL);
    const float sig[] = {0.268941421f, 0.5f, 0.880797078f};
    dl_ck_close("sigmoid", op_sigmoid(&tp, x)->data, sig, 3, DL_ATOL, DL_RTOL);
    Tensor *big = tensor_2d(&a, 1, 2);
    tensor_copy_from(big, (float[]){-200.0f, 200.0f}, 2);
    const float sig_big[] = {0.0f, 1.0f};
    dl_ck_close("sigmoid saturates without overflow", op_sigmoid(&tp, big)->data, sig_big, 2,
                DL_ATOL, DL_RTOL);
    arena_free(&a);
}
END_TEST

START_TEST(test_backward_accumulates_and_reset_clears_tape)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *x = tensor_param(&params, 1, (int[]){2}, "x");
    tensor_copy_from(x, (float[]){3.0f, -2.0f}, 2);
    // L = Σ x ⊙ x  →  dL/dx = 2x; two backward passes add up to 4x.
    for (int rep = 0; rep < 2; rep++) {
        tape_backward(&tp, op_sum(&tp, op_mul(&tp, x, x)));
        tape_reset(&tp);
        ck_assert_uint_eq(tp.n_nodes, 0);
    }
    const float want[] = {12.0f, -8.0f};
    dl_ck_close("accumulated grad", x->grad, want, 2, DL_ATOL, DL_RTOL);
    // Using the same tensor twice in one expression sums both paths (x·x).
    tensor_zero_grad(x);
    tape_set_recording(&tp, false);
    Tensor *y = op_mul(&tp, x, x);
    ck_assert_ptr_null(y->grad);   // evaluation mode records nothing
    ck_assert_uint_eq(tp.n_nodes, 0);
    arena_free(&step);
    arena_free(&params);
}
END_TEST

START_TEST(test_sgd_step_and_param_count)
{
    Arena params;
    arena_init(&params, "params");
    Rng r;
    rng_seed(&r, 6);
    Params list;
    params_init(&list, &params);
    Linear l;
    linear_init(&l, &params, 784, 256, INIT_HE_NORMAL, &r, &list);
    ck_assert_uint_eq(params_count(&list), 784 * 256 + 256);
    tensor_fill(l.w, 1.0f);
    for (size_t i = 0; i < l.w->size; i++) l.w->grad[i] = 2.0f;
    sgd_step(&list, 0.25f);
    ck_assert_float_eq(l.w->data[0], 0.5f);
    params_zero_grad(&list);
    ck_assert_float_eq(l.w->grad[7], 0.0f);
    arena_free(&params);
}
END_TEST

// ---- shape errors: a clear message and exit status 1, never a crash ----

static void mismatch_matmul(void)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    op_matmul(&tp, tensor_2d(&a, 2, 3), tensor_2d(&a, 4, 5));
}

// ---- a node with many inputs: concatenation ----

typedef struct ConcatCase {
    int n;
    Tensor *w;    // projection, (B, Σ C_i)
} ConcatCase;

static Tensor *concat_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    ConcatCase *c = ctx;
    (void)n_in;
    return project(tp, op_concat(tp, in, c->n), c->w);
}

// One node with 7 inputs (an autograd node once took at most 3): torch.cat's values, and its
// gradient — each input gets its own block of columns of dy — by finite differences.
START_TEST(test_concat_of_seven_inputs_forward_and_gradcheck)
{
    enum { B = 3, N = 7 };
    static const int W[N] = {1, 3, 2, 4, 5, 1, 2};   // widths; Σ = 18
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 77);
    Tensor *in[N];
    for (int i = 0; i < N; i++) in[i] = rand_input(&params, &r, B, W[i], false);
    Tensor *y = op_concat(&tp, in, N);
    ck_assert_int_eq(y->ndim, 2);
    ck_assert_int_eq(y->shape[0], B);
    ck_assert_int_eq(y->shape[1], 18);
    ck_assert_int_eq(y->node->n_in, N);
    for (int b = 0, off = 0; b < B; b++, off = 0)
        for (int i = 0; i < N; off += W[i], i++)
            for (int j = 0; j < W[i]; j++)
                ck_assert_float_eq(y->data[b * 18 + off + j], in[i]->data[b * W[i] + j]);
    tape_reset(&tp);
    ConcatCase c = {N, tensor_new(&params, 2, (int[]){B, 18})};
    tensor_fill_uniform(c.w, &r, -1.0f, 1.0f);
    assert_gradcheck("concat of 7", gradcheck(&tp, concat_fn, in, N, &c, GC_H));
    arena_free(&step);
    arena_free(&params);
}
END_TEST

static void concat_mismatch(void)
{
    Arena a;
    arena_init(&a, "a");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x[2] = {tensor_2d(&a, 3, 2), tensor_2d(&a, 4, 2)};
    op_concat(&tp, x, 2);
}

START_TEST(test_concat_shape_mismatch_names_both_shapes)
{
    static const DlDeathCase cases[] = {
        {"concat (3, 2) with (4, 2)", concat_mismatch, {"input 1 has shape (4, 2)", "(3, 2)"}},
    };
    dl_check_deaths(cases, 1);
}
END_TEST

START_TEST(test_matmul_shape_mismatch_exits)
{
    mismatch_matmul();
}
END_TEST

START_TEST(test_add_shape_mismatch_exits)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    op_add(&tp, tensor_2d(&a, 2, 3), tensor_2d(&a, 3, 2));
}
END_TEST

START_TEST(test_cross_entropy_bad_target_exits)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    op_cross_entropy(&tp, tensor_2d(&a, 1, 3), (int[]){3});
}
END_TEST

START_TEST(test_shape_error_message_names_shapes)
{
    char out[512];
    ck_assert_int_eq(dl_run_child(mismatch_matmul, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "matmul") && strstr(out, "(2, 3)") && strstr(out, "(4, 5)"),
                  "message should name the op and both shapes, got: %s", out);
}
END_TEST

static Suite *autograd_suite(void)
{
    Suite *s = suite_create("autograd");
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 60);
    tcase_add_test(g, test_gradcheck_elementwise_and_activations);
    tcase_add_test(g, test_gradcheck_matmul_every_gemm_rung);
    tcase_add_test(g, test_gradcheck_bias_add);
    tcase_add_test(g, test_gradcheck_losses);
    tcase_add_test(g, test_gradcheck_mlp_all_parameters);
    tcase_add_test(g, test_concat_of_seven_inputs_forward_and_gradcheck);
    tcase_add_test(g, test_concat_shape_mismatch_names_both_shapes);
    suite_add_tcase(s, g);
    TCase *m = tcase_create("mechanics");
    tcase_add_test(m, test_ops_match_pytorch);
    tcase_add_test(m, test_forward_values_known);
    tcase_add_test(m, test_backward_accumulates_and_reset_clears_tape);
    tcase_add_test(m, test_sgd_step_and_param_count);
    tcase_add_exit_test(m, test_matmul_shape_mismatch_exits, 1);
    tcase_add_exit_test(m, test_add_shape_mismatch_exits, 1);
    tcase_add_exit_test(m, test_cross_entropy_bad_target_exits, 1);
    tcase_add_test(m, test_shape_error_message_names_shapes);
    suite_add_tcase(s, m);
    return s;
}

DL_TEST_MAIN(autograd_suite)
