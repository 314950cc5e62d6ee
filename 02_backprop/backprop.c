/* 02_backprop/backprop.c — backpropagation: the chain rule by hand, a scalar autograd, the
 * tensor autograd checked against finite differences, and an MLP that learns MNIST.
 * Build: make chapter2      Run: ./02_backprop/run --quick      Bench: ./02_backprop/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 02_backprop/backprop.c 02_backprop/bench.c $(find common -name '*.c') -lm -pthread -o 02_backprop/run
 * Sections (lecture order): 1 hand_example, 2 scalar_autograd + cross_check,
 *   3 gradcheck_ops, 4 mlp (trained by the library's loop, common/train/loop.h),
 *   5 gemm_ladder (the same training step with the naive and the fast GEMM);
 *   --bench (bench.c): the GEMM ladder against OpenBLAS.
 * Shapes: images x (B, 784), logits (B, 10); Linear w (C_in, C_out), b (C_out); batches are rows.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/timing.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "kernels/gemm.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/chapter.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

// region: hand_example
// The lecture's network has one hidden unit and two weights:
//   z = w1·x,  h = relu(z),  ŷ = w2·h,  L = (ŷ - y)²
// Backward is the chain rule, one local derivative per step, from the loss down:
//   dL/dŷ = 2(ŷ - y)   dL/dw2 = dL/dŷ · h   dL/dh = dL/dŷ · w2
//   dL/dz = dL/dh · [z > 0]   dL/dw1 = dL/dz · x

typedef struct HandNet {
    double x, w1, w2, y;
} HandNet;

typedef struct HandPass {
    double z, h, yhat, loss;              // forward
    double dyhat, dw2, dh, dz, dw1;       // backward
} HandPass;

HandPass hand_pass(HandNet n)
{
    HandPass p;
    p.z = n.w1 * n.x;
    p.h = p.z > 0.0 ? p.z : 0.0;
    p.yhat = n.w2 * p.h;
    p.loss = (p.yhat - n.y) * (p.yhat - n.y);
    p.dyhat = 2.0 * (p.yhat - n.y);
    p.dw2 = p.dyhat * p.h;
    p.dh = p.dyhat * n.w2;
    p.dz = p.z > 0.0 ? p.dh : 0.0;
    p.dw1 = p.dz * n.x;
    return p;
}

static const HandNet HAND = {.x = 2.0, .w1 = 0.5, .w2 = 1.0, .y = 3.0};
#define HAND_LR 0.1

void hand_example_print(Metrics *m)
{
    HandNet n = HAND;
    HandPass p = hand_pass(n);
    printf("x = %g, w1 = %g, w2 = %g, target y = %g;   z = w1·x, h = relu(z), ŷ = w2·h, "
           "L = (ŷ - y)²\n", n.x, n.w1, n.w2, n.y);
    printf("forward:   z = %g   h = %g   ŷ = %g   L = %g\n", p.z, p.h, p.yhat, p.loss);
    printf("backward:  dL/dŷ  = 2(ŷ - y)      = %g\n", p.dyhat);
    printf("           dL/dw2 = dL/dŷ · h     = %g\n", p.dw2);
    printf("           dL/dh  = dL/dŷ · w2    = %g\n", p.dh);
    printf("           dL/dz  = dL/dh · [z>0] = %g\n", p.dz);
    printf("           dL/dw1 = dL/dz · x     = %g\n", p.dw1);
    // One SGD step on w2 alone, then on both weights, each from the original weights.
    HandNet only2 = n;
    only2.w2 = n.w2 - HAND_LR * p.dw2;
    HandPass q = hand_pass(only2);
    printf("step w2 only (lr %g): w2 = %g - %g·(%g) = %g   ŷ = %g   L = %g\n", HAND_LR, n.w2,
           HAND_LR, p.dw2, only2.w2, q.yhat, q.loss);
    HandNet both = n;
    both.w1 = n.w1 - HAND_LR * p.dw1;
    both.w2 = n.w2 - HAND_LR * p.dw2;
    HandPass r = hand_pass(both);
    printf("step both   (lr %g): w1 = %g, w2 = %g   ŷ = %g   L = %g\n", HAND_LR, both.w1,
           both.w2, r.yhat, r.loss);
    metrics_set(m, "hand_loss", p.loss);
    metrics_set(m, "hand_dw1", p.dw1);
    metrics_set(m, "hand_dw2", p.dw2);
    metrics_set(m, "hand_loss_after_w2_step", q.loss);
    metrics_set(m, "hand_loss_after_both_step", r.loss);
}
// endregion

// region: scalar_autograd
// A micrograd-style engine (Karpathy, 2020) on doubles. Every arithmetic result is a Value
// that remembers its operands and its op; value_backward() visits the graph in reverse
// topological order and lets each node add its local derivative times its own grad into its
// operands (the chain rule, one node at a time). Values live in an Arena: no frees.

typedef enum { V_LEAF, V_ADD, V_MUL, V_POW, V_RELU, V_TANH, V_EXP } ValueOp;

typedef struct Value {
    double data, grad;
    ValueOp op;
    struct Value *a, *b;                  // operands (b is NULL for unary ops)
    double k;                             // the exponent of V_POW
    bool visited;                         // for the topological sort
    struct Value *next;                   // next node in backward order
} Value;

static Value *value_node(Arena *ar, double data, ValueOp op, Value *a, Value *b)
{
    Value *v = arena_alloc(ar, sizeof *v);   // zeroed: grad = 0, visited = false
    v->data = data;
    v->op = op;
    v->a = a;
    v->b = b;
    return v;
}

Value *value(Arena *ar, double x) { return value_node(ar, x, V_LEAF, NULL, NULL); }
Value *value_add(Arena *ar, Value *a, Value *b)
{
    return value_node(ar, a->data + b->data, V_ADD, a, b);
}
Value *value_mul(Arena *ar, Value *a, Value *b)
{
    return value_node(ar, a->data * b->data, V_MUL, a, b);
}
Value *value_relu(Arena *ar, Value *a)
{
    return value_node(ar, a->data > 0 ? a->data : 0, V_RELU, a, NULL);
}
Value *value_tanh(Arena *ar, Value *a) { return value_node(ar, tanh(a->data), V_TANH, a, NULL); }
Value *value_exp(Arena *ar, Value *a) { return value_node(ar, exp(a->data), V_EXP, a, NULL); }

Value *value_pow(Arena *ar, Value *a, double k)
{
    Value *v = value_node(ar, pow(a->data, k), V_POW, a, NULL);
    v->k = k;
    return v;
}

// a - b = a + (-1)·b: no new derivative to write.
Value *value_sub(Arena *ar, Value *a, Value *b)
{
    return value_add(ar, a, value_mul(ar, value(ar, -1.0), b));
}

// Add d(v)/d(operand) · v->grad into each operand's grad.
static void value_local_backward(Value *v)
{
    double g = v->grad;
    switch (v->op) {
    case V_LEAF: break;
    case V_ADD: v->a->grad += g; v->b->grad += g; break;               // ∂(a+b)/∂a = 1
    case V_MUL:                                                         // ∂(ab)/∂a = b
        v->a->grad += v->b->data * g;
        v->b->grad += v->a->data * g;
        break;
    case V_POW: v->a->grad += v->k * pow(v->a->data, v->k - 1.0) * g; break;   // k a^(k-1)
    case V_RELU: v->a->grad += v->a->data > 0 ? g : 0.0; break;         // [a > 0]
    case V_TANH: v->a->grad += (1.0 - v->data * v->data) * g; break;    // 1 - tanh²
    case V_EXP: v->a->grad += v->data * g; break;                       // e^a
    }
}

// Depth-first post-order adds a node only after everything it depends on; pushing each
// finished node on the front of a list leaves the list in reverse topological order, root
// first: every node comes before its operands, so its grad is complete when it is visited.
// (Recursion depth = the longest path in the graph: fine for the small graphs here.)
static void value_topo(Value *v, Value **head)
{
    if (!v || v->visited) return;
    v->visited = true;
    value_topo(v->a, head);
    value_topo(v->b, head);
    v->next = *head;
    *head = v;
}

void value_backward(Value *root)
{
    Value *order = NULL;
    value_topo(root, &order);
    root->grad = 1.0;
    for (Value *v = order; v; v = v->next) value_local_backward(v);
}
// endregion

// region: cross_check
// The same gradients three more ways: the scalar engine above, the tensor autograd of
// common/ (ops on 1x1 tensors), and central finite differences (f(w+h) - f(w-h)) / 2h.

typedef struct HandGrads {
    double loss, dw1, dw2;
} HandGrads;

HandGrads hand_scalar_autograd(HandNet n)
{
    Arena ar;
    arena_init(&ar, "scalar");
    Value *x = value(&ar, n.x), *w1 = value(&ar, n.w1), *w2 = value(&ar, n.w2);
    Value *yhat = value_mul(&ar, w2, value_relu(&ar, value_mul(&ar, w1, x)));
    Value *loss = value_pow(&ar, value_sub(&ar, yhat, value(&ar, n.y)), 2.0);
    value_backward(loss);
    HandGrads g = {loss->data, w1->grad, w2->grad};
    arena_free(&ar);
    return g;
}

HandGrads hand_tensor_autograd(HandNet n)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    const int one[2] = {1, 1};
    Tensor *x = tensor_new(&params, 2, one), *y = tensor_new(&params, 2, one);
    Tensor *w1 = tensor_param(&params, 2, one, "w1"), *w2 = tensor_param(&params, 2, one, "w2");
    x->data[0] = (float)n.x;
    y->data[0] = (float)n.y;
    w1->data[0] = (float)n.w1;
    w2->data[0] = (float)n.w2;
    Tensor *yhat = op_matmul(&tp, op_relu(&tp, op_matmul(&tp, x, w1)), w2);
    Tensor *loss = op_mse(&tp, yhat, y);   // mean over one element = (ŷ - y)²
    tape_backward(&tp, loss);
    HandGrads g = {tensor_item(loss), w1->grad[0], w2->grad[0]};
    arena_free(&step);
    arena_free(&params);
    return g;
}

HandGrads hand_finite_diff(HandNet n, double h)
{
    HandNet p = n, m = n;
    p.w1 += h;
    m.w1 -= h;
    double dw1 = (hand_pass(p).loss - hand_pass(m).loss) / (2 * h);
    p = m = n;
    p.w2 += h;
    m.w2 -= h;
    double dw2 = (hand_pass(p).loss - hand_pass(m).loss) / (2 * h);
    return (HandGrads){hand_pass(n).loss, dw1, dw2};
}

void cross_check_print(Metrics *m)
{
    HandPass p = hand_pass(HAND);
    HandGrads s = hand_scalar_autograd(HAND), t = hand_tensor_autograd(HAND);
    HandGrads f = hand_finite_diff(HAND, 1e-5);
    printf("\n%-8s %12s %16s %16s %22s\n", "", "by hand", "scalar autograd", "tensor autograd",
           "central diff h=1e-5");
    printf("%-8s %12g %16g %16g %22.10g\n", "L", p.loss, s.loss, t.loss, f.loss);
    printf("%-8s %12g %16g %16g %22.10g\n", "dL/dw1", p.dw1, s.dw1, t.dw1, f.dw1);
    printf("%-8s %12g %16g %16g %22.10g\n", "dL/dw2", p.dw2, s.dw2, t.dw2, f.dw2);
    double worst = fmax(fmax(fabs(s.dw1 - p.dw1), fabs(s.dw2 - p.dw2)),
                        fmax(fmax(fabs(t.dw1 - p.dw1), fabs(t.dw2 - p.dw2)),
                             fmax(fabs(f.dw1 - p.dw1), fabs(f.dw2 - p.dw2))));
    printf("largest disagreement with the hand values: %.3g\n", worst);
    metrics_set(m, "hand_max_disagreement", worst);
}

// A tiny 2-layer net, z = tanh(x·w1 + b1)·w2 + b2, L = mean (z - t)², computed by both
// engines from the same weights: the scalar one builds one Value per multiply-add.
#define TINY_B 4
#define TINY_IN 3
#define TINY_H 4
#define TINY_OUT 2

typedef struct TinyNetCheck {
    double loss_scalar, loss_tensor;
    double max_diff[4];                   // per parameter: w1, b1, w2, b2
    double norm_scalar[4], norm_tensor[4];
} TinyNetCheck;

// out (B, N) = in (B, K) · w (K, N) + b (N), one Value per multiply and add.
static void scalar_linear(Arena *ar, Value **out, Value **in, Value **w, Value **b, int B, int K,
                          int N)
{
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++) {
            Value *s = b[j];
            for (int k = 0; k < K; k++)
                s = value_add(ar, s, value_mul(ar, in[i * K + k], w[k * N + j]));
            out[i * N + j] = s;
        }
}

TinyNetCheck tiny_net_check(uint64_t seed)
{
    Arena params, step, ar;
    arena_init(&params, "params");
    arena_init(&step, "step");
    arena_init(&ar, "scalar");
    Rng rng;
    rng_seed(&rng, seed);
    Tape tp;
    tape_init(&tp, &step);
    Tensor *x = tensor_2d(&params, TINY_B, TINY_IN), *t = tensor_2d(&params, TINY_B, TINY_OUT);
    tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    tensor_fill_normal(t, &rng, 0.0f, 1.0f);
    Linear l1, l2;
    linear_init(&l1, &params, TINY_IN, TINY_H, INIT_TORCH_DEFAULT, &rng, NULL);
    linear_init(&l2, &params, TINY_H, TINY_OUT, INIT_TORCH_DEFAULT, &rng, NULL);
    Tensor *p[4] = {l1.w, l1.b, l2.w, l2.b};

    // ---- tensor autograd ----
    Tensor *z = linear_forward(&tp, &l2, op_tanh(&tp, linear_forward(&tp, &l1, x)));
    Tensor *loss = op_mse(&tp, z, t);
    tape_backward(&tp, loss);
    TinyNetCheck r = {.loss_tensor = tensor_item(loss)};

    // ---- scalar autograd, from the same float weights ----
    Value *vx[TINY_B * TINY_IN], *vh[TINY_B * TINY_H];
    Value *vt[TINY_B * TINY_OUT], *vz[TINY_B * TINY_OUT];
    Value *vp[4][TINY_IN * TINY_H];       // the largest parameter, w1, has TINY_IN·TINY_H
    for (int i = 0; i < TINY_B * TINY_IN; i++) vx[i] = value(&ar, x->data[i]);
    for (int i = 0; i < TINY_B * TINY_OUT; i++) vt[i] = value(&ar, t->data[i]);
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < p[k]->size; i++) vp[k][i] = value(&ar, p[k]->data[i]);
    scalar_linear(&ar, vh, vx, vp[0], vp[1], TINY_B, TINY_IN, TINY_H);
    for (int i = 0; i < TINY_B * TINY_H; i++) vh[i] = value_tanh(&ar, vh[i]);
    scalar_linear(&ar, vz, vh, vp[2], vp[3], TINY_B, TINY_H, TINY_OUT);
    Value *sum = value(&ar, 0.0);
    for (int i = 0; i < TINY_B * TINY_OUT; i++)
        sum = value_add(&ar, sum, value_pow(&ar, value_sub(&ar, vz[i], vt[i]), 2.0));
    Value *vloss = value_mul(&ar, sum, value(&ar, 1.0 / (TINY_B * TINY_OUT)));
    value_backward(vloss);
    r.loss_scalar = vloss->data;

    for (int k = 0; k < 4; k++) {
        double ns = 0, nt = 0;
        for (size_t i = 0; i < p[k]->size; i++) {
            double gs = vp[k][i]->grad, gt = p[k]->grad[i];
            r.max_diff[k] = fmax(r.max_diff[k], fabs(gs - gt));
            ns += gs * gs;
            nt += gt * gt;
        }
        r.norm_scalar[k] = sqrt(ns);
        r.norm_tensor[k] = sqrt(nt);
    }
    arena_free(&ar);
    arena_free(&step);
    arena_free(&params);
    return r;
}

void tiny_net_print(uint64_t seed, Metrics *m)
{
    static const char *names[4] = {"w1", "b1", "w2", "b2"};
    static const char *shapes[4] = {"(3, 4)", "(4)", "(4, 2)", "(2)"};   // TINY_IN, _H, _OUT
    TinyNetCheck r = tiny_net_check(seed);
    printf("tiny net %d -> %d (tanh) -> %d, MSE, batch %d: loss scalar %.9g, tensor %.9g\n",
           TINY_IN, TINY_H, TINY_OUT, TINY_B, r.loss_scalar, r.loss_tensor);
    printf("%-6s %-8s %16s %16s %12s\n", "param", "shape", "||grad|| scalar", "||grad|| tensor",
           "max|diff|");
    double worst = 0;
    for (int k = 0; k < 4; k++) {
        printf("%-6s %-8s %16.9g %16.9g %12.3g\n", names[k], shapes[k], r.norm_scalar[k],
               r.norm_tensor[k], r.max_diff[k]);
        worst = fmax(worst, r.max_diff[k]);
    }
    printf("(the scalar engine works in double, the tensor one in float: differences ~1e-7 "
           "are rounding)\n");
    metrics_set(m, "tiny_net_max_grad_diff", worst);
}
// endregion

// region: gradcheck_ops
// Every op in ops.h against central differences (gradcheck.h). Each op is wrapped in
// L = Σ w ⊙ op(x) with a fixed random w, so that every output element reaches the loss with
// its own weight (a plain Σ would hide, e.g., a softmax gradient, whose rows sum to zero).
// float32 and h = 1e-2: truncation error O(h²) ~ 1e-4, rounding ~ 6e-8·|L|/h ~ 1e-5.
#define GC_H 1e-2f
#define GC_TOL 2e-3

typedef enum {
    OC_ADD, OC_SUB, OC_MUL, OC_SCALE, OC_MATMUL, OC_BIAS_ADD, OC_SUM, OC_MEAN, OC_RELU,
    OC_LEAKY_RELU, OC_SIGMOID, OC_TANH, OC_GELU, OC_SOFTMAX, OC_LOG_SOFTMAX, OC_CROSS_ENTROPY,
    OC_BCE, OC_MSE, OC_COUNT
} OpId;

typedef struct OpCheck {
    const char *name;
    int rows, cols;                       // x
    int b_rows, b_cols;                   // second input: (b_rows, b_cols); b_rows 1 means
                                          // a vector (b_cols), 0 means no second input
} OpCheck;

static const OpCheck OP_CHECKS[OC_COUNT] = {
    [OC_ADD] = {"add", 3, 4, 3, 4},           [OC_SUB] = {"sub", 3, 4, 3, 4},
    [OC_MUL] = {"mul", 3, 4, 3, 4},           [OC_SCALE] = {"scale(0.7)", 3, 4, 0, 0},
    [OC_MATMUL] = {"matmul", 3, 4, 4, 5},     [OC_BIAS_ADD] = {"bias_add", 3, 4, 1, 4},
    [OC_SUM] = {"sum", 3, 4, 0, 0},           [OC_MEAN] = {"mean", 3, 4, 0, 0},
    [OC_RELU] = {"relu", 3, 4, 0, 0},         [OC_LEAKY_RELU] = {"leaky_relu(0.01)", 3, 4, 0, 0},
    [OC_SIGMOID] = {"sigmoid", 3, 4, 0, 0},   [OC_TANH] = {"tanh", 3, 4, 0, 0},
    [OC_GELU] = {"gelu", 3, 4, 0, 0},         [OC_SOFTMAX] = {"softmax", 3, 5, 0, 0},
    [OC_LOG_SOFTMAX] = {"log_softmax", 3, 5, 0, 0},
    [OC_CROSS_ENTROPY] = {"cross_entropy", 4, 5, 0, 0},
    [OC_BCE] = {"bce", 3, 4, 0, 0},           [OC_MSE] = {"mse", 3, 4, 0, 0},
};

typedef struct OpCheckCtx {
    OpId op;
    Tensor *w;                            // projection weights, the output's shape
    Tensor *target;                       // bce / mse target (gets no gradient)
    int targets[4];                       // cross_entropy classes
} OpCheckCtx;

static Tensor *op_check_apply(Tape *tp, OpCheckCtx *c, Tensor *x, Tensor *b)
{
    switch (c->op) {
    case OC_ADD: return op_add(tp, x, b);
    case OC_SUB: return op_sub(tp, x, b);
    case OC_MUL: return op_mul(tp, x, b);
    case OC_SCALE: return op_scale(tp, x, 0.7f);
    case OC_MATMUL: return op_matmul(tp, x, b);
    case OC_BIAS_ADD: return op_bias_add(tp, x, b);
    case OC_SUM: return op_sum(tp, x);
    case OC_MEAN: return op_mean(tp, x);
    case OC_RELU: return op_relu(tp, x);
    case OC_LEAKY_RELU: return op_leaky_relu(tp, x, 0.01f);
    case OC_SIGMOID: return op_sigmoid(tp, x);
    case OC_TANH: return op_tanh(tp, x);
    case OC_GELU: return op_gelu(tp, x);
    case OC_SOFTMAX: return op_softmax(tp, x);
    case OC_LOG_SOFTMAX: return op_log_softmax(tp, x);
    case OC_CROSS_ENTROPY: return op_cross_entropy(tp, x, c->targets);
    case OC_BCE: return op_bce(tp, x, c->target);
    case OC_MSE: return op_mse(tp, x, c->target);
    case OC_COUNT: break;
    }
    dl_die("op_check_apply: unknown op %d", (int)c->op);
}

static Tensor *op_check_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    OpCheckCtx *c = ctx;
    Tensor *y = op_check_apply(tp, c, in[0], n_in > 1 ? in[1] : NULL);
    return y->size == 1 ? y : op_sum(tp, op_mul(tp, y, c->w));
}

// Relative error of op `id` on inputs drawn from `rng`.
GradcheckResult op_check_run(OpId id, Rng *rng)
{
    const OpCheck *oc = &OP_CHECKS[id];
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    OpCheckCtx c = {.op = id};
    Tensor *in[2];
    int n_in = oc->b_rows ? 2 : 1;
    in[0] = tensor_param(&params, 2, (int[]){oc->rows, oc->cols}, "x");
    for (size_t i = 0; i < in[0]->size; i++) {
        // ±[0.1, 1.5]: away from relu's kink at 0 (h = 1e-2 never crosses it);
        // probabilities for bce in [0.1, 0.9].
        float mag = rng_uniform_range(rng, 0.1f, 1.5f);
        in[0]->data[i] = id == OC_BCE ? rng_uniform_range(rng, 0.1f, 0.9f)
                                      : rng_uniform(rng) < 0.5f ? -mag : mag;
    }
    if (n_in == 2) {
        in[1] = oc->b_rows == 1 ? tensor_param(&params, 1, (int[]){oc->b_cols}, "b")
                                : tensor_param(&params, 2, (int[]){oc->b_rows, oc->b_cols}, "b");
        tensor_fill_uniform(in[1], rng, -1.5f, 1.5f);
    }
    c.target = tensor_2d(&params, oc->rows, oc->cols);
    tensor_fill_uniform(c.target, rng, 0.0f, 1.0f);
    for (int i = 0; i < 4; i++) c.targets[i] = (int)rng_below(rng, (uint32_t)oc->cols);
    // The projection w has the output's shape: run the op once without recording to see it.
    tape_set_recording(&tp, false);
    Tensor *y = op_check_apply(&tp, &c, in[0], n_in > 1 ? in[1] : NULL);
    c.w = tensor_new(&params, y->ndim, y->shape);
    tensor_fill_uniform(c.w, rng, -1.0f, 1.0f);
    tape_reset(&tp);
    tape_set_recording(&tp, true);
    GradcheckResult r = gradcheck(&tp, op_check_fn, in, n_in, &c, GC_H);
    arena_free(&step);
    arena_free(&params);
    return r;
}

void gradcheck_ops_print(uint64_t seed, Metrics *m)
{
    Rng rng;
    rng_seed(&rng, seed);
    printf("%-18s %-16s %12s %14s\n", "op", "input shape", "rel. error", "max|diff|");
    int failed = 0;
    for (int id = 0; id < OC_COUNT; id++) {
        const OpCheck *oc = &OP_CHECKS[id];
        GradcheckResult r = op_check_run((OpId)id, &rng);
        char shape[48];
        int len = snprintf(shape, sizeof shape, "(%d,%d)", oc->rows, oc->cols);
        if (oc->b_rows == 1)
            snprintf(shape + len, sizeof shape - len, " (%d)", oc->b_cols);
        else if (oc->b_rows)
            snprintf(shape + len, sizeof shape - len, " (%d,%d)", oc->b_rows, oc->b_cols);
        bool ok = r.rel_error < GC_TOL;
        failed += !ok;
        printf("%-18s %-16s %12.2e %14.2e  %s\n", oc->name, shape, r.rel_error, r.max_abs_diff,
               ok ? "ok" : "FAILED");
        char key[64];
        snprintf(key, sizeof key, "gradcheck_rel_%s", oc->name);
        key[strcspn(key, "(")] = '\0';
        metrics_set(m, key, r.rel_error);
    }
    printf("rel = ||g - g_fd|| / (||g|| + ||g_fd||), central differences with h = %g in float32; "
           "pass below %g: %d of %d ops pass\n", (double)GC_H, GC_TOL, OC_COUNT - failed, OC_COUNT);
    if (failed) dl_die("%d op(s) failed the gradient check: the autograd is wrong", failed);
}
// endregion

// region: mlp
// A multi-layer perceptron: Linear layers with ReLU between them, logits out.
#define MLP_MAX_LAYERS 8

typedef struct Mlp {
    int n_layers;
    Linear layers[MLP_MAX_LAYERS];
} Mlp;

// sizes[0] inputs -> sizes[1] -> … -> sizes[n_sizes - 1] outputs.
void mlp_init(Mlp *m, Arena *params, const int *sizes, int n_sizes, Init init, Rng *rng,
              Params *list)
{
    DL_CHECK(n_sizes >= 2 && n_sizes - 1 <= MLP_MAX_LAYERS,
             "mlp_init: %d sizes given, need 2 to %d", n_sizes, MLP_MAX_LAYERS + 1);
    m->n_layers = n_sizes - 1;
    for (int i = 0; i < m->n_layers; i++) {
        char scope[16];
        snprintf(scope, sizeof scope, "fc%d", i + 1);
        if (list) params_scope(list, scope);
        linear_init(&m->layers[i], params, sizes[i], sizes[i + 1], init, rng, list);
    }
}

// logits (B, out) = L_n(relu(… relu(L_1(x)))): no ReLU after the last layer.
Tensor *mlp_forward(Tape *tp, const Mlp *m, Tensor *x)
{
    Tensor *h = x;
    for (int i = 0; i < m->n_layers; i++) {
        h = linear_forward(tp, &m->layers[i], h);
        if (i + 1 < m->n_layers) h = op_relu(tp, h);
    }
    return h;
}

// The MLP as the training loop and the evaluation call it (train/model.h ForwardFn): the
// batch's rows are viewed as x (B, 784) in place. No dropout or batch norm: train, rng unused.
static Tensor *mlp_batch_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train;
    (void)rng;
    return mlp_forward(tp, net, batch_input(tp, b));
}

// Parameters by the formula Σ (in·out + out), printed layer by layer.
size_t mlp_param_count(const int *sizes, int n_sizes, bool print)
{
    size_t total = 0;
    for (int i = 0; i + 1 < n_sizes; i++) {
        size_t n = (size_t)sizes[i] * sizes[i + 1] + sizes[i + 1];
        if (print)
            printf("  layer %d: %4d x %-4d + %4d = %7zu\n", i + 1, sizes[i], sizes[i + 1],
                   sizes[i + 1], n);
        total += n;
    }
    return total;
}
// endregion

// region: train
// Mini-batch SGD on the cross-entropy with the course's training loop (common/train/loop.h):
// per step, zero grads, forward, loss, NaN check, backward, θ -= lr·∇θ, tape_reset — the step
// arena is rewound, so the loop never calls malloc. The learning rate is halved every
// `decay_every` epochs (a step schedule), and the network is evaluated on the validation set
// before the first epoch and after every one.
static const int MLP_SIZES[] = {784, 256, 128, 10};
#define MLP_N_SIZES 4

typedef struct MlpConfig {
    int epochs, batch, decay_every;
    float lr;
    Init init;
    const char *init_name;
} MlpConfig;

void mlp_section(Chapter *ch, const Dataset *tr, const Dataset *val, const Dataset *te,
                        const MlpConfig *c)
{
    Metrics *mt = &ch->metrics;
    printf("data: %s, %d train / %d validation / %d test images%s\n", tr->name, tr->n, val->n,
           te->n, ch->cli.quick ? " (--quick slice)" : "");
    size_t n_formula = mlp_param_count(MLP_SIZES, MLP_N_SIZES, true);
    Model m;
    model_init(&m, "02_backprop/mlp");
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    Mlp mlp;
    mlp_init(&mlp, &m.params, MLP_SIZES, MLP_N_SIZES, c->init, &rng, &m.p);
    size_t n_params = params_count(&m.p);
    printf("  total parameters: %zu (params_count on the built model: %zu)\n", n_formula,
           n_params);
    DL_CHECK(n_params == n_formula, "parameter count %zu != formula %zu", n_params, n_formula);

    Batcher bt;
    batcher_init(&bt, tr, c->batch, true, &rng);
    const int spe = bt.src.steps_per_epoch;
    TrainConfig tc = {.label = "MLP", .epochs = c->epochs, .opt = optim_defaults(OPT_SGD),
                      .val = val, .eval_before = true, .print = true, .metrics = mt,
                      .prefix = "mlp", .cli = &ch->cli, .save = true};
    tc.opt.lr = c->lr;
    if (c->decay_every)   // halve the rate every decay_every epochs: torch's StepLR(γ = 0.5)
        tc.schedule = (Schedule){.kind = SCHED_STEP, .step_size = c->decay_every * spe,
                                 .gamma = 0.5f};
    printf("SGD: batch %d, lr %g halved every %d epochs (0: never), %d epochs, init %s, kernel "
           "%s, %d thread(s), seed %llu\n", c->batch, (double)c->lr, c->decay_every, c->epochs,
           c->init_name,
           ladder_selected(&GEMM_LADDER)->name, threads_get(),
           (unsigned long long)ch->cli.seed);
    TrainTask task = {&m, &mlp, mlp_batch_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, &rng, &log);
    double secs = log.seconds[log.epochs_run];

    ClassifierEval test;
    eval_classifier(&m, &mlp, mlp_batch_forward, te, 1000, true, &test);
    printf("test: loss %.4f, accuracy %.2f%% (%d images); training took %.1f s (%.2f s/epoch)\n",
           test.loss, test.acc_pct, te->n, secs, secs / c->epochs);
    eval_report_classes(&test, NULL, mt, "mlp_test");
    metrics_set(mt, "mlp_params", (double)n_params);
    metrics_set(mt, "mlp_steps", (double)log.steps);
    static const int golden_steps[] = {1, 2, 5, 10, 20, 50, 100, 150, 500, 1000, 5000};
    for (size_t i = 0; i < sizeof golden_steps / sizeof golden_steps[0]; i++)
        if (golden_steps[i] <= log.steps)
            metrics_setf(mt, log.step_loss[golden_steps[i] - 1], "mlp_loss_step_%d",
                         golden_steps[i]);
    metrics_set(mt, "mlp_val_acc_pct", log.val_acc_pct[log.epochs_run]);
    metrics_set(mt, "mlp_test_loss", test.loss);
    metrics_set(mt, "mlp_test_acc_pct", test.acc_pct);
    metrics_set(mt, "mlp_train_s", secs);

    char title[96];
    snprintf(title, sizeof title, "Chapter 2: MLP on %s, cross-entropy", tr->name);
    train_log_plot(&log, ch->cli.out_dir, "loss", "accuracy", title, true);
    eval_plot_confusion(&test, ch->cli.out_dir, "confusion", "Test-set confusion matrix");
    eval_free(&test);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
}
// endregion

// region: gemm_ladder
// The same training step with two GEMM rungs: all the MLP's FLOPs are in op_matmul, so the
// kernel decides the epoch time. The loop times every step; the median after two warm-up steps
// (the first allocates the step arena's blocks) is what a busy machine disturbs least.

// Median seconds per training step with GEMM rung `rung` over `steps` steps, on a fresh model.
double time_train_steps(const char *rung, const Dataset *tr, int batch, float lr, int steps,
                        uint64_t seed)
{
    DL_CHECK(ladder_select(&GEMM_LADDER, rung), "time_train_steps: unknown GEMM rung '%s'",
             rung);
    Model m;
    model_init(&m, "02_backprop/timing");
    Rng rng;
    rng_seed(&rng, seed);
    Mlp mlp;
    mlp_init(&mlp, &m.params, MLP_SIZES, MLP_N_SIZES, INIT_HE_NORMAL, &rng, &m.p);
    Batcher bt;
    batcher_init(&bt, tr, batch, true, &rng);
    TrainConfig tc = {.label = "timing", .epochs = (steps + 2) / bt.src.steps_per_epoch + 1,
                      .max_steps = steps + 2, .opt = optim_defaults(OPT_SGD)};
    tc.opt.lr = lr;
    TrainTask task = {&m, &mlp, mlp_batch_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, &rng, &log);
    double *t = dl_malloc((size_t)steps * sizeof *t, "step times");
    for (int s = 0; s < steps; s++) t[s] = log.step_seconds[s + 2];
    double median = bench_median(t, steps);
    free(t);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    return median;
}

void gemm_ladder_section(Chapter *ch, const Dataset *tr, const MlpConfig *c, int steps)
{
    Metrics *mt = &ch->metrics;
    double fast = time_train_steps("auto", tr, c->batch, c->lr, steps, ch->cli.seed);
    const char *fast_name = ladder_selected(&GEMM_LADDER)->name;
    double naive = time_train_steps("naive", tr, c->batch, c->lr, steps, ch->cli.seed);
    const char *naive_name = ladder_selected(&GEMM_LADDER)->name;
    kernels_select(ch->cli.kernel, NULL, 0);   // back to what --kernel asked for
    const int spe = (tr->n + c->batch - 1) / c->batch;
    printf("%-12s %12s %18s %9s\n", "kernel", "ms/step", "s/epoch (est.)", "speedup");
    printf("%-12s %12.2f %18.1f %8.1fx\n", naive_name, 1e3 * naive, naive * spe, 1.0);
    printf("%-12s %12.2f %18.1f %8.1fx\n", fast_name, 1e3 * fast, fast * spe, naive / fast);
    printf("epoch times are extrapolated: median of %d timed steps (batch %d, after 2 warm-up "
           "steps) x %d steps per epoch\n", steps, c->batch, spe);
    metrics_set(mt, "gemm_step_naive_ms", 1e3 * naive);
    metrics_set(mt, "gemm_step_fast_ms", 1e3 * fast);
    metrics_set(mt, "gemm_epoch_naive_est_s", naive * spe);
    metrics_set(mt, "gemm_epoch_fast_est_s", fast * spe);
    metrics_set(mt, "gemm_speedup", naive / fast);
}
// endregion

#ifndef NO_MAIN
// region: main
void bench_run(const Cli *cli);   // bench.c: the GEMM ladder against OpenBLAS

int main(int argc, char **argv)
{
    MlpConfig c = {.epochs = 0, .batch = 64, .lr = 0.1f, .decay_every = -1};
    char init_name[16] = "he";
    int time_steps = 0;
    const CliExtra extras[] = {
        {"epochs", 'i', &c.epochs, 0, "training epochs; 0: 10, 2 with --quick, 30 with --full"},
        {"lr", 'f', &c.lr, 0, "SGD learning rate"},
        {"batch", 'i', &c.batch, 0, "mini-batch size"},
        {"decay-every", 'i', &c.decay_every, 0,
         "halve the lr every N epochs; 0: never, -1: 4, 1 with --quick"},
        {"init", 's', init_name, sizeof init_name, "weight init: he | torch | xavier | zero"},
        {"time-steps", 'i', &time_steps, 0,
         "steps timed per kernel in section 5; 0: 50, 5 with --quick"},
    };
    Chapter ch;
    chapter_begin(&ch, "02_backprop", argc, argv, "Chapter 2: backpropagation — by hand, scalar "
                  "and tensor autograd, gradient checks, an MLP on MNIST", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    if (!init_from_name(init_name, &c.init))
        dl_die_status(DL_EXIT_USAGE, "--init expects he | torch | xavier | zero, got '%s'",
                      init_name);
    c.init_name = init_name;
    if (c.epochs == 0) c.epochs = cli->quick ? 2 : cli->full ? 30 : 10;
    if (time_steps == 0) time_steps = cli->quick ? 5 : 50;
    if (c.decay_every == -1) c.decay_every = cli->quick ? 1 : 4;
    if (c.epochs < 1 || c.batch < 1 || time_steps < 1 || c.decay_every < 0 || !(c.lr > 0))
        dl_die_status(DL_EXIT_USAGE, "--epochs, --batch, --time-steps and --lr must be positive "
                      "(--decay-every >= 0)");
    if (cli->bench) {
        bench_run(cli);
        metrics_free(&ch.metrics);
        return 0;
    }
    // Data first: a missing file should cost no time. The last 5,000 training images are held
    // out for validation; the test set is used once, at the end.
    Dataset train_all, test_all, tr, val, te;
    chapter_load_images(&ch, true, &train_all);
    chapter_load_images(&ch, false, &test_all);
    dataset_split(&train_all, cli->quick ? 5000 : train_all.n - 5000, cli->quick ? 1000 : 5000,
                  &tr, &val);
    dataset_slice(&test_all, 0, cli->quick ? 1000 : test_all.n, &te);
    dataset_free(&train_all);
    dataset_free(&test_all);

    chapter_section("1. The chain rule by hand");
    hand_example_print(&ch.metrics);
    cross_check_print(&ch.metrics);
    chapter_section("2. Scalar autograd vs tensor autograd");
    tiny_net_print(cli->seed, &ch.metrics);
    chapter_section("3. Gradient check of every op in common/ops/");
    gradcheck_ops_print(cli->seed, &ch.metrics);
    chapter_section("4. An MLP 784 -> 256 -> 128 -> 10 on MNIST");
    mlp_section(&ch, &tr, &val, &te, &c);
    chapter_section("5. The GEMM ladder inside the training loop");
    gemm_ladder_section(&ch, &tr, &c, time_steps);

    dataset_free(&tr), dataset_free(&val), dataset_free(&te);
    return chapter_end(&ch);
}
// endregion
#endif
