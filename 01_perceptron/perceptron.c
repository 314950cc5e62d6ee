/* 01_perceptron/perceptron.c — lecture 1: from Rosenblatt's perceptron to softmax regression
 * on MNIST, and why a deep network needs non-linearities.
 * Build: make chapter1        Run: ./01_perceptron/run --quick        Bench: ./01_perceptron/run --bench
 * Without make, from the repository root:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -pthread -Icommon 01_perceptron/perceptron.c $(find common -name '*.c') -lm -o 01_perceptron/run
 * Kernels (regions dot, matvec): v0 naive | v1 4 scalar accumulators | v2 AVX2/FMA | v3 threads
 * Shapes: examples x (n, D) row-major, labels y (n); perceptron w (D) and b;
 *         Linear w (D, K) and b (K); logits (B, K).
 * Regions, in lecture order: perceptron, logistic, xor, collapse, activations, mnist, dot,
 * matvec, bench, main.
 * MNIST is checked before anything runs: a missing data set fails in the first second with
 * the loader's message (which names `make data`), not after the synthetic sections.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/synthetic.h"
#include "kernels/gemm.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "optim/optimizer.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "report/progress.h"

// What every section needs: the flags, the metrics, two arenas and the tape.
typedef struct Run {
    const Cli *cli;
    Metrics *metrics;
    Arena params;         // parameters of the current section (reset between sections)
    Arena step;           // activations and tape nodes (reset after every step)
    Tape tp;
} Run;

// Sizes for --quick / default / --full; --epochs and --lr override the softmax ones.
typedef struct Config {
    int mnist_train, mnist_test;   // examples used; 0 = all
    int perceptron_epochs;         // MNIST 0-vs-1 perceptron: at most this many epochs
    int softmax_epochs, batch;
    float softmax_lr;
} Config;

// A tensor that borrows memory it does not own (tensors never own memory; tensor.h).
static Tensor view_2d(float *data, int rows, int cols)
{
    return (Tensor){.ndim = 2, .shape = {rows, cols}, .size = (size_t)rows * (size_t)cols,
                    .data = data};
}

static float dot(const float *a, const float *b, size_t n);   // region dot: the fastest rung

// region: perceptron
// Rosenblatt (1958): predict class 1 when w·x + b > 0. Labels become y = ±1; on a mistake,
// y (w·x + b) <= 0, move the boundary towards the example: w += lr·y·x, b += lr·y.
// Nothing changes on a correct answer. If a hyperplane separates the classes with margin γ
// and every |x| <= R, the rule makes at most (R/γ)² mistakes (Novikoff, 1962), in any
// order — so on separable data it stops; on non-separable data it never does.
typedef struct Perceptron {
    int D;
    float *w;             // (D)
    float b;
} Perceptron;

static void perceptron_init(Perceptron *p, Arena *a, int D)
{
    p->D = D;
    p->w = arena_alloc(a, (size_t)D * sizeof(float));   // zeroed: the boundary starts at 0
    p->b = 0.0f;
}

static float perceptron_score(const Perceptron *p, const float *x)
{
    return dot(p->w, x, (size_t)p->D) + p->b;
}

// One pass over d in a fresh random order (order: scratch (n)); returns the mistakes made.
static int perceptron_epoch(Perceptron *p, const Dataset *d, int *order, Rng *r, float lr)
{
    rng_shuffle(r, order, (size_t)d->n);
    int mistakes = 0;
    for (int k = 0; k < d->n; k++) {
        const float *x = d->x + (size_t)order[k] * d->dim;
        float y = d->y[order[k]] == 1 ? 1.0f : -1.0f;
        if (y * perceptron_score(p, x) <= 0.0f) {     // wrong side, or on the boundary
            for (int j = 0; j < p->D; j++) p->w[j] += lr * y * x[j];
            p->b += lr * y;
            mistakes++;
        }
    }
    return mistakes;
}

// Epochs until one without a mistake (converged) or max_epochs; mistakes[e] per epoch
// (mistakes has room for PERCEPTRON_MAX_EPOCHS). Returns the number of epochs run.
#define PERCEPTRON_MAX_EPOCHS 100

static int perceptron_train(Perceptron *p, const Dataset *d, int max_epochs, Rng *r,
                            int *mistakes)
{
    DL_CHECK(max_epochs >= 1 && max_epochs <= PERCEPTRON_MAX_EPOCHS,
             "perceptron_train: max_epochs = %d, expected 1 to %d", max_epochs,
             PERCEPTRON_MAX_EPOCHS);
    int *order = malloc((size_t)d->n * sizeof *order);
    DL_CHECK(order, "perceptron_train: out of memory for %d indices", d->n);
    for (int i = 0; i < d->n; i++) order[i] = i;
    int e = 0;
    while (e < max_epochs) {
        int m = perceptron_epoch(p, d, order, r, 1.0f);   // lr = 1: from w = 0 it only scales w
        mistakes[e++] = m;
        if (m == 0) break;
    }
    free(order);
    return e;
}

static void print_mistakes(const int *mistakes, int epochs)
{
    printf("  mistakes per epoch:");
    for (int e = 0; e < epochs; e++) printf(" %d", mistakes[e]);
    printf("\n");
}
// endregion

// region: logistic
// Logistic regression: P(y = 1 | x) = σ(x·w + b), trained by gradient descent on the binary
// cross-entropy L = -mean(y log p + (1-y) log(1-p)). Its gradient, (p - y)·x per example, is
// the perceptron update made smooth: every example pulls, in proportion to its error.
// Built from ops, so the tape (autograd.h) computes the gradient for us.

// A binary classifier made of ops: returns P(y = 1 | x) as a (B, 1) tensor.
typedef Tensor *(*BinaryForward)(Tape *tp, const void *model, Tensor *x);

static Tensor *logreg_forward(Tape *tp, const void *model, Tensor *x)
{
    return op_sigmoid(tp, linear_forward(tp, model, x));
}

// The perceptron in the same shape, so that the plots and accuracies below treat all
// models alike: "probability" 1 on the positive side of the boundary, 0 on the other.
static Tensor *perceptron_forward(Tape *tp, const void *model, Tensor *x)
{
    const Perceptron *p = model;
    int B = x->shape[0];
    Tensor *out = tape_output(tp, 2, (int[]){B, 1}, NULL, 0);
    for (int i = 0; i < B; i++)
        out->data[i] = perceptron_score(p, x->data + (size_t)i * p->D) > 0.0f ? 1.0f : 0.0f;
    return out;
}

// Full-batch gradient descent on the BCE for `steps` steps; returns the last loss.
static float binary_train(Run *R, BinaryForward f, const void *model, Params *ps,
                          const Dataset *d, int steps, float lr)
{
    float *yv = malloc((size_t)d->n * sizeof *yv);   // (n, 1) targets as floats
    DL_CHECK(yv, "binary_train: out of memory for %d targets", d->n);
    for (int i = 0; i < d->n; i++) yv[i] = (float)d->y[i];
    Tensor x = view_2d(d->x, d->n, d->dim), y = view_2d(yv, d->n, 1);
    float loss = 0.0f;
    for (int s = 0; s < steps; s++) {
        params_zero_grad(ps);
        Tensor *l = op_bce(&R->tp, f(&R->tp, model, &x), &y);
        loss = tensor_item(l);
        tape_backward(&R->tp, l);
        sgd_step(ps, lr);
        tape_reset(&R->tp);
    }
    free(yv);
    return loss;
}

// P(y = 1) for n points x (n, D) into prob (n), without recording; leaves the tape empty.
static void binary_prob(Run *R, BinaryForward f, const void *model, float *x, int n, int D,
                        float *prob)
{
    tape_set_recording(&R->tp, false);
    Tensor xt = view_2d(x, n, D);
    memcpy(prob, f(&R->tp, model, &xt)->data, (size_t)n * sizeof(float));
    tape_set_recording(&R->tp, true);
    tape_reset(&R->tp);
}

// Fraction of examples where (P(y = 1) > 0.5) matches the label.
static double binary_accuracy(Run *R, BinaryForward f, const void *model, const Dataset *d)
{
    float *prob = malloc((size_t)d->n * sizeof *prob);
    DL_CHECK(prob, "binary_accuracy: out of memory for %d values", d->n);
    binary_prob(R, f, model, d->x, d->n, d->dim, prob);
    int correct = 0;
    for (int i = 0; i < d->n; i++) correct += (prob[i] > 0.5f) == (d->y[i] == 1);
    free(prob);
    return (double)correct / d->n;
}

// The classifier on a G x G grid spanning the data (plus a 10% margin), drawn with the data.
static void plot_boundary(Run *R, const char *name, const char *title, BinaryForward f,
                          const void *model, const Dataset *d)
{
    enum { G = 120 };
    float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < d->n; i++)
        for (int k = 0; k < 2; k++) {
            lo[k] = fminf(lo[k], d->x[2 * i + k]);
            hi[k] = fmaxf(hi[k], d->x[2 * i + k]);
        }
    for (int k = 0; k < 2; k++) {
        float m = 0.1f * (hi[k] - lo[k]);
        lo[k] -= m;
        hi[k] += m;
    }
    float *grid = malloc(2 * G * G * sizeof *grid), *prob = malloc(G * G * sizeof *prob);
    DL_CHECK(grid && prob, "plot_boundary: out of memory");
    for (int r = 0; r < G; r++)          // row 0 = lo[1], as plot_decision expects
        for (int c = 0; c < G; c++) {
            grid[2 * (r * G + c)] = lo[0] + (hi[0] - lo[0]) * (float)c / (G - 1);
            grid[2 * (r * G + c) + 1] = lo[1] + (hi[1] - lo[1]) * (float)r / (G - 1);
        }
    binary_prob(R, f, model, grid, G * G, 2, prob);
    plot_decision(R->cli->out_dir, name, title, prob, G, G, lo[0], hi[0], lo[1], hi[1], d->x,
                  d->y, d->n);
    free(grid);
    free(prob);
}

static void section_blobs(Run *R)
{
    printf("\n== 1-2. Two linearly separable blobs (200 points, gap 1.0)\n");
    Rng r;
    rng_seed(&r, R->cli->seed + 1);
    Dataset d;
    dataset_blobs(&d, 200, 1.0f, &r);
    arena_reset(&R->params);

    Perceptron p;
    perceptron_init(&p, &R->params, 2);
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_train(&p, &d, 100, &r, mistakes);
    printf("perceptron: %s after %d epochs\n",
           mistakes[epochs - 1] == 0 ? "converged (an epoch without a mistake)" : "NOT converged",
           epochs);
    print_mistakes(mistakes, epochs);
    double acc_p = binary_accuracy(R, perceptron_forward, &p, &d);
    printf("  train accuracy %.1f%%, boundary %.3f·x0 + %.3f·x1 + %.3f = 0\n", 100 * acc_p,
           p.w[0], p.w[1], p.b);
    metrics_set(R->metrics, "perceptron_blobs_epochs", epochs);
    metrics_set(R->metrics, "perceptron_blobs_acc", acc_p);
    plot_boundary(R, "blobs_perceptron", "perceptron on separable blobs", perceptron_forward,
                  &p, &d);

    Params ps;
    params_init(&ps, &R->params);
    Linear lr;
    linear_init(&lr, &R->params, 2, 1, INIT_ZERO, &r, &ps);
    float loss = binary_train(R, logreg_forward, &lr, &ps, &d, 300, 0.5f);
    double acc_l = binary_accuracy(R, logreg_forward, &lr, &d);
    printf("logistic regression (300 steps of gradient descent, lr 0.5): BCE %.4f, "
           "train accuracy %.1f%%\n", loss, 100 * acc_l);
    metrics_set(R->metrics, "logreg_blobs_loss", loss);
    metrics_set(R->metrics, "logreg_blobs_acc", acc_l);
    plot_boundary(R, "blobs_logreg", "logistic regression: P(class 1)", logreg_forward, &lr, &d);
    dataset_free(&d);
}
// endregion

// region: xor
// XOR puts class 1 on one diagonal and class 0 on the other: no line separates them
// (Minsky & Papert, 1969). One hidden layer h = tanh(x·W1 + b1) bends the plane so that a
// line in h-space does: P(y = 1) = σ(h·W2 + b2).
typedef struct Mlp {
    Linear l1, l2;        // (2 -> H), (H -> 1)
} Mlp;

static Tensor *mlp_forward(Tape *tp, const void *model, Tensor *x)
{
    const Mlp *m = model;
    Tensor *h = op_tanh(tp, linear_forward(tp, &m->l1, x));   // (B, H)
    return op_sigmoid(tp, linear_forward(tp, &m->l2, h));     // (B, 1)
}

// Train a 2-H-1 MLP on d; returns its train accuracy (and the final loss in *loss).
static double mlp_fit(Run *R, Mlp *m, const Dataset *d, int H, int steps, float lr, Rng *r,
                      float *loss)
{
    Params ps;
    params_init(&ps, &R->params);
    linear_init(&m->l1, &R->params, 2, H, INIT_XAVIER_UNIFORM, r, &ps);
    linear_init(&m->l2, &R->params, H, 1, INIT_XAVIER_UNIFORM, r, &ps);
    *loss = binary_train(R, mlp_forward, m, &ps, d, steps, lr);
    return binary_accuracy(R, mlp_forward, m, d);
}

static void section_xor(Run *R)
{
    printf("\n== 3. XOR (200 points, noise 0.25): not linearly separable\n");
    Rng r;
    rng_seed(&r, R->cli->seed + 2);
    Dataset d;
    dataset_xor(&d, 200, 0.25f, &r);
    arena_reset(&R->params);

    Perceptron p;
    perceptron_init(&p, &R->params, 2);
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_train(&p, &d, 100, &r, mistakes);
    double acc_p = binary_accuracy(R, perceptron_forward, &p, &d);
    printf("perceptron, %d epochs: %s, %d mistakes in the last; accuracy %.1f%%\n", epochs,
           mistakes[epochs - 1] ? "never converges" : "converged", mistakes[epochs - 1],
           100 * acc_p);

    Params ps;
    params_init(&ps, &R->params);
    Linear lr;
    linear_init(&lr, &R->params, 2, 1, INIT_ZERO, &r, &ps);
    float loss_l = binary_train(R, logreg_forward, &lr, &ps, &d, 500, 0.5f);
    double acc_l = binary_accuracy(R, logreg_forward, &lr, &d);
    printf("logistic regression, 500 steps: BCE %.4f (ln 2 = 0.6931: no better than a coin), "
           "accuracy %.1f%%\n", loss_l, 100 * acc_l);

    Mlp m;
    float loss_m;
    double acc_m = mlp_fit(R, &m, &d, 8, 1000, 0.5f, &r, &loss_m);
    printf("MLP 2-8-1 (tanh, sigmoid), 1000 steps: BCE %.4f, accuracy %.1f%%\n", loss_m,
           100 * acc_m);
    metrics_set(R->metrics, "xor_perceptron_acc", acc_p);
    metrics_set(R->metrics, "xor_logreg_acc", acc_l);
    metrics_set(R->metrics, "xor_mlp_loss", loss_m);
    metrics_set(R->metrics, "xor_mlp_acc", acc_m);
    plot_boundary(R, "xor_logreg", "XOR: logistic regression", logreg_forward, &lr, &d);
    plot_boundary(R, "xor_mlp", "XOR: MLP 2-8-1", mlp_forward, &m, &d);
    dataset_free(&d);

    // The same recipe, wider, on two interleaving half-moons.
    dataset_moons(&d, 200, 0.1f, &r);
    arena_reset(&R->params);
    double acc_s = mlp_fit(R, &m, &d, 16, 1000, 1.0f, &r, &loss_m);
    printf("MLP 2-16-1 on two moons (200 points, noise 0.1), 1000 steps: BCE %.4f, "
           "accuracy %.1f%%\n", loss_m, 100 * acc_s);
    metrics_set(R->metrics, "moons_mlp_loss", loss_m);
    metrics_set(R->metrics, "moons_mlp_acc", acc_s);
    plot_boundary(R, "moons_mlp", "two moons: MLP 2-16-1", mlp_forward, &m, &d);
    dataset_free(&d);
}
// endregion

// region: collapse
// Two linear layers with nothing in between are one linear layer:
//   (x·W1 + b1)·W2 + b2 = x·(W1·W2) + (b1·W2 + b2) = x·W + b.
// Depth without non-linearity buys nothing. We check it numerically, then put a ReLU in
// between and check that the map is no longer even affine: for an affine f,
// f(a + c) - f(a) - f(c) + f(0) = 0 for all a, c.
static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
    return m;
}

// f(x) = l2(act(l1(x))) with act = ReLU or nothing; result in the step arena.
static Tensor *two_layers(Tape *tp, const Linear *l1, const Linear *l2, Tensor *x, bool relu)
{
    Tensor *h = linear_forward(tp, l1, x);
    return linear_forward(tp, l2, relu ? op_relu(tp, h) : h);
}

static void section_collapse(Run *R)
{
    printf("\n== 4. Stacked linear layers collapse to one\n");
    enum { B = 64, D = 16, H = 32, K = 8 };
    Rng r;
    rng_seed(&r, R->cli->seed + 3);
    arena_reset(&R->params);
    Linear l1, l2;
    linear_init(&l1, &R->params, D, H, INIT_TORCH_DEFAULT, &r, NULL);
    linear_init(&l2, &R->params, H, K, INIT_TORCH_DEFAULT, &r, NULL);
    Tensor *x = tensor_2d(&R->params, B, D), *b1 = tensor_2d(&R->params, 1, H);
    tensor_fill_normal(x, &r, 0.0f, 1.0f);
    memcpy(b1->data, l1.b->data, H * sizeof(float));   // b1 as a (1, H) row

    Tape *tp = &R->tp;
    tape_set_recording(tp, false);
    // W (D, K) = W1·W2 and b (K) = b1·W2 + b2: the single layer the two add up to.
    Linear one = {.in = D, .out = K, .w = op_matmul(tp, l1.w, l2.w)};
    Tensor *bw = op_matmul(tp, b1, l2.w);                      // (1, K)
    one.b = tensor_1d(&R->step, K);
    for (int k = 0; k < K; k++) one.b->data[k] = bw->data[k] + l2.b->data[k];

    Tensor *y1 = linear_forward(tp, &one, x);
    float err_lin = max_abs_diff(two_layers(tp, &l1, &l2, x, false)->data, y1->data, B * K);
    float err_relu = max_abs_diff(two_layers(tp, &l1, &l2, x, true)->data, y1->data, B * K);

    // Affinity test on pairs (row i, row i+1) of x: f(a + c) - f(a) - f(c) + f(0).
    Tensor *sum = tensor_2d(&R->step, B - 1, D), *a = tensor_2d(&R->step, B - 1, D);
    Tensor *c = tensor_2d(&R->step, B - 1, D), *zero = tensor_2d(&R->step, B - 1, D);
    memcpy(a->data, x->data, (B - 1) * D * sizeof(float));
    memcpy(c->data, x->data + D, (B - 1) * D * sizeof(float));
    for (int i = 0; i < (B - 1) * D; i++) sum->data[i] = a->data[i] + c->data[i];
    float affine[2];
    for (int relu = 0; relu < 2; relu++) {
        const float *fs = two_layers(tp, &l1, &l2, sum, relu)->data;
        const float *fa = two_layers(tp, &l1, &l2, a, relu)->data;
        const float *fc = two_layers(tp, &l1, &l2, c, relu)->data;
        const float *f0 = two_layers(tp, &l1, &l2, zero, relu)->data;
        affine[relu] = 0.0f;
        for (int i = 0; i < (B - 1) * K; i++)
            affine[relu] = fmaxf(affine[relu], fabsf(fs[i] - fa[i] - fc[i] + f0[i]));
    }
    tape_set_recording(tp, true);
    tape_reset(tp);

    printf("layers %d->%d->%d, batch %d, W = W1·W2 (%dx%d), b = b1·W2 + b2\n", D, H, K, B, D, K);
    printf("  linear, linear:       max|f(x) - (x·W + b)| = %.2e   "
           "max|f(a+c) - f(a) - f(c) + f(0)| = %.2e\n", err_lin, affine[0]);
    printf("  linear, ReLU, linear: max|f(x) - (x·W + b)| = %.2e   "
           "max|f(a+c) - f(a) - f(c) + f(0)| = %.2e\n", err_relu, affine[1]);
    printf("  (float32 rounding is ~1e-7 relative: the first line is exact up to rounding, the "
           "second is not affine at all)\n");
    metrics_set(R->metrics, "collapse_max_err", err_lin);
    metrics_set(R->metrics, "collapse_affine_err", affine[0]);
    metrics_set(R->metrics, "collapse_relu_max_err", err_relu);
    metrics_set(R->metrics, "collapse_relu_affine_err", affine[1]);
}
// endregion

// region: activations
// Each activation's derivative, taken from the autograd (run the op, backward from
// L = Σ_i f(x_i), so x.grad[i] = f'(x_i)) and compared with the closed form, in double.
typedef Tensor *(*UnaryOp)(Tape *tp, Tensor *x);
static Tensor *leaky_relu_01(Tape *tp, Tensor *x) { return op_leaky_relu(tp, x, 0.1f); }

static double gelu_cdf(double x) { return 0.5 * (1.0 + erf(x / sqrt(2.0))); }

// f'(x) in closed form, by name.
static double act_derivative(const char *name, double x)
{
    if (strcmp(name, "sigmoid") == 0) {
        double s = 1.0 / (1.0 + exp(-x));
        return s * (1.0 - s);                           // σ' = σ (1 - σ)
    }
    if (strcmp(name, "tanh") == 0) return 1.0 - tanh(x) * tanh(x);   // 1 - tanh²
    if (strcmp(name, "relu") == 0) return x > 0 ? 1.0 : 0.0;
    if (strcmp(name, "leaky_relu") == 0) return x > 0 ? 1.0 : 0.1;
    // GELU = x·Φ(x):  Φ(x) + x·φ(x)
    return gelu_cdf(x) + x * exp(-0.5 * x * x) / sqrt(2.0 * 3.14159265358979323846);
}

static void section_activations(Run *R)
{
    printf("\n== 5. Activation functions: autograd derivatives vs closed forms\n");
    enum { N = 400, A = 5 };
    static const struct { const char *name, *title; UnaryOp op; } ACTS[A] = {
        {"sigmoid", "sigmoid", op_sigmoid}, {"tanh", "tanh", op_tanh},
        {"relu", "ReLU", op_relu}, {"leaky_relu", "leaky ReLU (0.1)", leaky_relu_01},
        {"gelu", "GELU", op_gelu},
    };
    static float xs[N], ys[A][N], dys[A][N];
    for (int i = 0; i < N; i++) xs[i] = -4.0f + 8.0f * ((float)i + 0.5f) / N;   // never 0: ReLU's kink
    arena_reset(&R->params);
    Tensor *x = tensor_param(&R->params, 1, (int[]){N}, "x");
    memcpy(x->data, xs, sizeof xs);
    double worst = 0.0;
    for (int a = 0; a < A; a++) {
        tensor_zero_grad(x);
        Tensor *y = ACTS[a].op(&R->tp, x);
        tape_backward(&R->tp, op_sum(&R->tp, y));
        double diff = 0.0;
        for (int i = 0; i < N; i++) {
            ys[a][i] = y->data[i];
            dys[a][i] = x->grad[i];
            diff = fmax(diff, fabs(x->grad[i] - act_derivative(ACTS[a].name, xs[i])));
        }
        tape_reset(&R->tp);
        printf("  %-10s max|autograd - closed form| over [-4, 4] = %.2e\n", ACTS[a].name, diff);
        char key[64];
        snprintf(key, sizeof key, "act_%s_grad_diff", ACTS[a].name);
        metrics_set(R->metrics, key, diff);
        worst = fmax(worst, diff);
    }
    metrics_set(R->metrics, "act_grad_max_diff", worst);
    PlotSeries f[A], df[A];
    for (int a = 0; a < A; a++) {
        f[a] = (PlotSeries){ACTS[a].title, xs, ys[a], N, "lines lw 2"};
        df[a] = (PlotSeries){ACTS[a].title, xs, dys[a], N, "lines lw 2"};
    }
    plot_lines(R->cli->out_dir, "activations", "activation functions", "x", "f(x)", f, A, false);
    plot_lines(R->cli->out_dir, "activation_grads", "their derivatives (from the autograd)", "x",
               "f'(x)", df, A, false);
}
// endregion

// region: mnist
// Real data. First the perceptron on MNIST digits 0 vs 1 (784 pixels in [0, 1]), then
// softmax regression on all ten classes: logits z = x·W + b (W: 784 x 10), trained by
// mini-batch SGD on the cross-entropy -log softmax(z)_y. Zero initialisation is fine here:
// the loss is convex in (W, b) (chapter 2 shows why hidden layers need random weights).
static void section_mnist01(Run *R, const Dataset *train, const Dataset *test, const Config *c)
{
    static const int CLASSES[2] = {0, 1};
    Dataset tr, te;
    dataset_filter_classes(train, CLASSES, 2, &tr);
    dataset_filter_classes(test, CLASSES, 2, &te);
    bool fashion = strcmp(train->name, "fashion-mnist") == 0;
    printf("\n== 6a. The perceptron on %s %s (%d train, %d test images)\n", train->name,
           fashion ? "T-shirt vs trouser (classes 0, 1)" : "0 vs 1", tr.n, te.n);
    Rng r;
    rng_seed(&r, R->cli->seed + 4);
    arena_reset(&R->params);
    Perceptron p;
    perceptron_init(&p, &R->params, tr.dim);
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_train(&p, &tr, c->perceptron_epochs, &r, mistakes);
    print_mistakes(mistakes, epochs);
    double acc_tr = binary_accuracy(R, perceptron_forward, &p, &tr);
    double acc_te = binary_accuracy(R, perceptron_forward, &p, &te);
    printf("  %s after %d epochs; train accuracy %.2f%%, test accuracy %.2f%% (%d of %d wrong)\n",
           mistakes[epochs - 1] == 0 ? "converged" : "stopped", epochs, 100 * acc_tr,
           100 * acc_te, (int)lround((1 - acc_te) * te.n), te.n);
    metrics_set(R->metrics, "mnist01_perceptron_epochs", epochs);
    metrics_set(R->metrics, "mnist01_perceptron_train_acc", acc_tr);
    metrics_set(R->metrics, "mnist01_perceptron_test_acc", acc_te);
    dataset_free(&tr);
    dataset_free(&te);
}

// Mean cross-entropy and accuracy of the softmax model on d, in chunks, without recording;
// confusion (10 x 10, rows = true class) is filled when not NULL.
static void softmax_evaluate(Run *R, const Linear *l, const Dataset *d, double *loss,
                             double *acc, float *confusion)
{
    enum { CHUNK = 1000 };
    double total = 0.0;
    int correct = 0;
    tape_set_recording(&R->tp, false);
    for (int s = 0; s < d->n; s += CHUNK) {
        int B = d->n - s < CHUNK ? d->n - s : CHUNK, K = l->out;
        Tensor x = view_2d(d->x + (size_t)s * d->dim, B, d->dim);
        Tensor *z = linear_forward(&R->tp, l, &x);                    // (B, K)
        total += (double)tensor_item(op_cross_entropy(&R->tp, z, d->y + s)) * B;
        for (int i = 0; i < B; i++) {
            const float *zi = z->data + (size_t)i * K;
            int best = 0;
            for (int k = 1; k < K; k++) best = zi[k] > zi[best] ? k : best;
            correct += best == d->y[s + i];
            if (confusion) confusion[d->y[s + i] * K + best] += 1.0f;
        }
        tape_reset(&R->tp);
    }
    tape_set_recording(&R->tp, true);
    *loss = total / d->n;
    *acc = (double)correct / d->n;
}

static void section_softmax(Run *R, const Dataset *train, const Dataset *test, const Config *c)
{
    enum { K = 10 };
    const int D = train->dim, E = c->softmax_epochs;
    printf("\n== 6b. Softmax regression on all of %s: linear %d->%d + cross-entropy, "
           "SGD batch %d, lr %g, %d epochs\n", train->name, D, K, c->batch, c->softmax_lr, E);
    Rng r;
    rng_seed(&r, R->cli->seed + 5);
    arena_reset(&R->params);
    Params ps;
    params_init(&ps, &R->params);
    Linear l;
    linear_init(&l, &R->params, D, K, INIT_ZERO, &r, &ps);

    Batcher bt;
    batcher_init(&bt, train, c->batch, true, &r);
    int steps_per_epoch = batcher_steps_per_epoch(&bt), total_steps = E * steps_per_epoch;
    float *xb = arena_alloc(&R->params, (size_t)c->batch * D * sizeof(float));   // (batch, D)
    int *yb = arena_alloc(&R->params, (size_t)c->batch * sizeof(int));          // (batch)
    float *step_loss = arena_alloc(&R->params, (size_t)total_steps * sizeof(float));
    float *ep_x = arena_alloc(&R->params, (size_t)E * sizeof(float));    // epoch ends, in steps
    float *ep_train = arena_alloc(&R->params, (size_t)E * sizeof(float));
    float *ep_test = arena_alloc(&R->params, (size_t)E * sizeof(float));
    double test_loss = 0.0, test_acc = 0.0;

    printf("epoch  train loss  test loss  test acc   time\n");
    int step = 0;
    for (int e = 0; e < E; e++) {
        double t0 = now_seconds(), sum = 0.0;
        int B, seen = 0;
        Progress pr;
        progress_start(&pr, "softmax", steps_per_epoch);
        while ((B = batcher_next(&bt, xb, yb)) > 0) {
            Tensor x = view_2d(xb, B, D);
            params_zero_grad(&ps);
            Tensor *loss = op_cross_entropy(&R->tp, linear_forward(&R->tp, &l, &x), yb);
            tape_backward(&R->tp, loss);
            sgd_step(&ps, c->softmax_lr);
            step_loss[step++] = tensor_item(loss);
            sum += (double)tensor_item(loss) * B;
            seen += B;
            tape_reset(&R->tp);
            if (step == 1 || step == 10 || step == 100) {
                char key[64];
                snprintf(key, sizeof key, "softmax_loss_step%d", step);
                metrics_set(R->metrics, key, step_loss[step - 1]);
            }
            progress_update(&pr, step - e * steps_per_epoch, NULL);
        }
        progress_end(&pr);
        softmax_evaluate(R, &l, test, &test_loss, &test_acc, NULL);
        ep_x[e] = (float)step;
        ep_train[e] = (float)(sum / seen);
        ep_test[e] = (float)test_loss;
        printf("%5d  %10.4f  %9.4f  %7.2f%%  %5.2fs\n", e + 1, sum / seen, test_loss,
               100 * test_acc, now_seconds() - t0);
        char key[64];
        snprintf(key, sizeof key, "softmax_train_loss_epoch%d", e + 1);
        metrics_set(R->metrics, key, sum / seen);
        snprintf(key, sizeof key, "softmax_test_acc_epoch%d", e + 1);
        metrics_set(R->metrics, key, test_acc);
    }
    batcher_free(&bt);
    static float confusion[K * K];
    memset(confusion, 0, sizeof confusion);
    softmax_evaluate(R, &l, test, &test_loss, &test_acc, confusion);
    printf("test accuracy %.2f%% (%d of %d wrong), %zu parameters\n", 100 * test_acc,
           (int)lround((1 - test_acc) * test->n), test->n, params_count(&ps));
    metrics_set(R->metrics, "softmax_test_loss", test_loss);
    metrics_set(R->metrics, "softmax_test_acc", test_acc);

    PlotSeries s[3] = {
        {"train loss per step", NULL, step_loss, total_steps, "lines lc rgb '#b0b0b0'"},
        {"train loss, epoch mean", ep_x, ep_train, E, "linespoints lw 2 pt 7"},
        {"test loss", ep_x, ep_test, E, "linespoints lw 2 pt 5"},
    };
    plot_lines(R->cli->out_dir, "softmax_loss", "softmax regression: cross-entropy", "step",
               "loss", s, 3, true);
    plot_heatmap(R->cli->out_dir, "softmax_confusion", "test confusion matrix", "predicted",
                 "true class", confusion, K, K);
}
// endregion

// region: dot
// The dot product s = Σ_i a_i·b_i is the perceptron's whole forward pass; a matrix-vector
// product is M of them. It reads 2n floats = 8n bytes for 2n FLOP (0.25 FLOP/byte), so once
// the vectors leave the cache its speed is set by memory bandwidth, not by arithmetic.
typedef float (*DotFn)(const float *a, const float *b, size_t n);

// v0: one accumulator, in order. Each addition waits for the one before (a float add takes
// ~4 cycles), and without -ffast-math the compiler may not reorder a float sum, so this
// does ~1 element per 4 cycles however wide the vector unit is.
static float dot_naive(const float *a, const float *b, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

// v1: four independent accumulators: four dependency chains in flight hide the add
// latency. Still plain C. The summation order differs from v0, hence so does the rounding
// (pairwise-ish sums are usually the *more* accurate ones).
static float dot_unroll4(const float *a, const float *b, size_t n)
{
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__)
// v2: AVX2 + FMA, compiled for those instructions whatever the build flags and called only
// when the CPU has them (runtime dispatch). 8 floats per register, 4 register accumulators
// = 32 elements per iteration. Each FMA needs two loads and a core issues 2-3 loads per
// cycle, so ~1 FMA per cycle is the ceiling; 4 chains cover the 4-cycle FMA latency.
__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    // Horizontal sum of the 8 lanes: 8 -> 4 -> 2 -> 1.
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    float t = _mm_cvtss_f32(q);
    for (; i < n; i++) t += a[i] * b[i];   // the last n mod 8 elements
    return t;
}
#endif

static bool cpu_any(void) { return true; }

static bool cpu_avx2(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// The fastest single-thread rung this CPU has.
static DotFn dot_single_best(void)
{
#if defined(__x86_64__)
    if (cpu_avx2()) return dot_avx2;
#endif
    return dot_unroll4;
}

static float dot(const float *a, const float *b, size_t n) { return dot_single_best()(a, b, n); }

// v3: cut the vectors into chunks, one parallel_for index each (threads.h), the best
// single-thread rung on each, and the partial sums added in chunk order — so the result
// depends on n only, never on the thread count. Worth it out of cache, where one core
// cannot keep the memory bus busy. Chunks are >= 64K floats (cheap to hand out) and at most
// DOT_MAX_CHUNKS (the partial sums live on the stack).
#define DOT_MIN_CHUNK ((size_t)1 << 16)
#define DOT_MAX_CHUNKS 1024

typedef struct DotJob {
    const float *a, *b;
    size_t n, chunk;
    float *partial;       // (chunks)
    DotFn fn;
} DotJob;

static void dot_chunk(void *ctx, int c)
{
    DotJob *j = ctx;
    size_t lo = (size_t)c * j->chunk, len = j->n - lo < j->chunk ? j->n - lo : j->chunk;
    j->partial[c] = j->fn(j->a + lo, j->b + lo, len);
}

static float dot_threads(const float *a, const float *b, size_t n)
{
    if (n <= DOT_MIN_CHUNK) return dot_single_best()(a, b, n);
    size_t chunk = (n + DOT_MAX_CHUNKS - 1) / DOT_MAX_CHUNKS;
    chunk = chunk < DOT_MIN_CHUNK ? DOT_MIN_CHUNK : (chunk + 31) / 32 * 32;
    float partial[DOT_MAX_CHUNKS];
    DotJob j = {a, b, n, chunk, partial, dot_single_best()};
    int chunks = (int)((n + chunk - 1) / chunk);
    parallel_for(chunks, dot_chunk, &j);
    float s = 0.0f;
    for (int c = 0; c < chunks; c++) s += partial[c];
    return s;
}
// endregion

// region: matvec
// y (M) = A (M, N) · x (N), A row-major: one dot product per row, all sharing x. A is read
// once and x stays in cache after the first row, so bytes = 4·(M·N + N) read + 4·M written.
typedef void (*MatvecFn)(const float *A, const float *x, float *y, int M, int N);

static void matvec_with(DotFn dotfn, const float *A, const float *x, float *y, int M, int N)
{
    for (int i = 0; i < M; i++) y[i] = dotfn(A + (size_t)i * N, x, (size_t)N);
}

// v0..v2: each row with the dot rung of the same name.
static void matvec_naive(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_naive, A, x, y, M, N);
}
static void matvec_unroll4(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_unroll4, A, x, y, M, N);
}
#if defined(__x86_64__)
static void matvec_avx2(const float *A, const float *x, float *y, int M, int N)
{
    matvec_with(dot_avx2, A, x, y, M, N);
}
#endif

// v3: rows shared among the threads in contiguous blocks of 16 rows (one parallel_for
// index each); every row is computed exactly as in the best single-thread rung, so the
// results are identical to it for any thread count. Below MATVEC_MIN_PARALLEL elements of A
// (4 MB: the matrix is in cache and the whole product takes microseconds) waking the
// threads costs more than it saves, and one thread does it.
#define MATVEC_MIN_PARALLEL ((size_t)1 << 20)
typedef struct MatvecJob {
    const float *A, *x;
    float *y;
    int M, N;
} MatvecJob;

static void matvec_block(void *ctx, int blk)
{
    MatvecJob *j = ctx;
    int lo = blk * 16, hi = lo + 16 < j->M ? lo + 16 : j->M;
    matvec_with(dot_single_best(), j->A + (size_t)lo * j->N, j->x, j->y + lo, hi - lo, j->N);
}

static void matvec_threads(const float *A, const float *x, float *y, int M, int N)
{
    if ((size_t)M * N < MATVEC_MIN_PARALLEL) {   // waking threads costs more than it saves
        matvec_with(dot_single_best(), A, x, y, M, N);
        return;
    }
    MatvecJob j = {A, x, y, M, N};
    parallel_for((M + 15) / 16, matvec_block, &j);
}
// endregion

// region: bench
// One table for both kernels, so the bench and the tests see the same list.
typedef struct VecImpl {
    const char *name;
    DotFn dot;
    MatvecFn matvec;
    bool (*available)(void);
    bool threaded;
} VecImpl;

static const VecImpl VEC_IMPLS[] = {
    {"v0_naive", dot_naive, matvec_naive, cpu_any, false},
    {"v1_unroll4", dot_unroll4, matvec_unroll4, cpu_any, false},
#if defined(__x86_64__)
    {"v2_avx2", dot_avx2, matvec_avx2, cpu_avx2, false},
#endif
    {"v3_threads", dot_threads, matvec_threads, cpu_any, true},
};
enum { N_VEC_IMPLS = sizeof VEC_IMPLS / sizeof VEC_IMPLS[0] };

// One timed problem: a dot of length n (M = 0) or an (M, N) matvec.
typedef struct BenchCase {
    const VecImpl *impl;
    const float *a, *b;   // dot: a (n), b (n);  matvec: A (M, N), x (N)
    float *y;             // matvec output (M)
    size_t n;
    int M, N;
    float result;         // dot's result, kept so the call is not optimised away
} BenchCase;

static void bench_call(BenchCase *c)
{
    if (c->M == 0) c->result = c->impl->dot(c->a, c->b, c->n);
    else c->impl->matvec(c->a, c->b, c->y, c->M, c->N);
}

// Median seconds per call over `runs` (>= 11) timed runs after one warm-up call; a run
// repeats the call until it lasts >= 1 ms, far above the clock's resolution.
static double bench_case_seconds(BenchCase *c, int runs)
{
    bench_call(c);
    int reps = 1;
    double t0 = now_seconds();
    bench_call(c);
    double once = now_seconds() - t0;
    if (once < 1e-3) reps = (int)(1e-3 / fmax(once, 1e-8)) + 1;
    double t[64];
    for (int k = 0; k < runs; k++) {
        t0 = now_seconds();
        for (int rep = 0; rep < reps; rep++) bench_call(c);
        t[k] = (now_seconds() - t0) / reps;
    }
    return bench_median(t, runs);
}

static float *random_floats(size_t n, Rng *r)
{
    float *v = malloc(n * sizeof *v);
    DL_CHECK(v, "bench: out of memory for %zu floats (%.0f MB)", n, n * 4.0 / 1e6);
    for (size_t i = 0; i < n; i++) v[i] = rng_uniform_range(r, -1.0f, 1.0f);
    return v;
}

// The exact answer, to within double rounding: y64 (M) = A·x in double (a dot when M = 1).
static void matvec_fp64(const float *A, const float *x, double *y64, int M, size_t N)
{
    for (int i = 0; i < M; i++) {
        double s = 0.0;
        for (size_t j = 0; j < N; j++) s += (double)A[(size_t)i * N + j] * x[j];
        y64[i] = s;
    }
}

// Time every available rung on one problem and print a row each; bytes as stated in the
// regions above (dot: 8n; matvec: 4(MN + N + M)). bw: the memory bandwidth to compare with
// (<= 0: not measured, no % column). Errors: max |y - y_v0| and max |y - y_fp64|.
// Records <key>_<rung>_gbs and returns the best speedup over v0.
static double bench_problem(Metrics *m, const char *key, const char *label, size_t n, int M,
                            int N, double bw, int runs, Rng *r)
{
    bool is_dot = M == 0;
    size_t na = is_dot ? n : (size_t)M * N, nb = is_dot ? n : (size_t)N;
    double bytes = is_dot ? 8.0 * n : 4.0 * ((double)M * N + N + M);
    float *a = random_floats(na, r), *b = random_floats(nb, r);
    int ny = is_dot ? 1 : M;
    float *y = malloc((size_t)ny * sizeof *y), *y0 = malloc((size_t)ny * sizeof *y0);
    double *y64 = malloc((size_t)ny * sizeof *y64);
    DL_CHECK(y && y0 && y64, "bench: out of memory for %d outputs", ny);
    matvec_fp64(a, b, y64, ny, nb);
    double t_naive = 0.0, best = 1.0;
    for (int v = 0; v < N_VEC_IMPLS; v++) {
        const VecImpl *im = &VEC_IMPLS[v];
        if (!im->available()) continue;
        BenchCase c = {im, a, b, y, n, M, N, 0.0f};
        double t = bench_case_seconds(&c, runs);
        if (is_dot) y[0] = c.result;
        if (v == 0) {
            t_naive = t;
            memcpy(y0, y, (size_t)ny * sizeof *y);
        }
        double err64 = 0.0;
        for (int i = 0; i < ny; i++) err64 = fmax(err64, fabs(y[i] - y64[i]));
        double gbs = bytes / t / 1e9;
        char pct[16] = "-";
        if (bw > 0) snprintf(pct, sizeof pct, "%.0f%%", 100 * gbs / bw);
        printf("%-16s %-11s %10.2f %8.2f %6s %7.1fx %9.2e %9.2e\n", v == 0 ? label : "",
               im->name, t * 1e6, gbs, pct, t_naive / t, max_abs_diff(y, y0, (size_t)ny),
               err64);
        best = fmax(best, t_naive / t);
        char k[64];
        snprintf(k, sizeof k, "%s_%s_gbs", key, im->name);
        metrics_set(m, k, gbs);
    }
    free(a);
    free(b);
    free(y);
    free(y0);
    free(y64);
    return best;
}

static void bench_header(void)
{
    printf("%-16s %-11s %10s %8s %6s %8s %9s %9s\n", "problem", "version", "us/call", "GB/s",
           "% bw", "speedup", "|y-y_v0|", "|y-exact|");
}

// Every run: one in-cache size of each kernel (~0.1 s), so the naive -> fast ratio is
// always in front of the reader. No bandwidth measurement here (that is --bench).
static void section_kernels(Run *R)
{
    printf("\n== 7. Kernels: dot and matvec, naive -> SIMD (median of 11; --bench for more)\n");
    Rng r;
    rng_seed(&r, R->cli->seed + 6);
    bench_header();
    double sd = bench_problem(R->metrics, "dot", "dot n=65536", (size_t)1 << 16, 0, 0, 0, 11,
                              &r);
    double sm = bench_problem(R->metrics, "matvec", "matvec 512x512", 0, 512, 512, 0, 11, &r);
    printf("|y-y_v0|: max difference from v0; |y-exact|: max error against a sum in double\n");
    metrics_set(R->metrics, "dot_speedup", sd);
    metrics_set(R->metrics, "matvec_speedup", sm);
}

// --bench: sizes from L1 to DRAM, against the measured memory bandwidth (peak.h). This
// machine's caches are not assumed: 4K floats fit in L1, 64K in L2, 1M in a last-level
// cache of >= 8 MB, and 32M (256 MB for a dot) in none.
static void run_bench(Run *R)
{
    int T = threads_get();
    printf("measuring memory bandwidth (STREAM triad, 3 x 160 MiB arrays) ...\n");
    double bw1 = stream_triad_gbs(1, 160), bwT = T > 1 ? stream_triad_gbs(T, 160) : bw1;
    double bw = fmax(bw1, bwT);
    printf("triad bandwidth: %.1f GB/s on 1 thread, %.1f GB/s on %d threads; %% bw below is "
           "against the larger, %.1f GB/s\n", bw1, bwT, T, bw);
    metrics_set(R->metrics, "bench_triad_gbs_1thread", bw1);
    metrics_set(R->metrics, "bench_triad_gbs", bwT);
    metrics_set(R->metrics, "bench_threads", T);
    Rng r;
    rng_seed(&r, R->cli->seed + 7);
    printf("\ndot: bytes = 8n (a and b read once), 2n FLOP; median of 11 runs\n");
    bench_header();
    static const size_t DOT_N[] = {(size_t)1 << 12, (size_t)1 << 16, (size_t)1 << 20,
                                   (size_t)1 << 25};
    for (size_t i = 0; i < sizeof DOT_N / sizeof DOT_N[0]; i++) {
        char label[32], key[32];
        snprintf(label, sizeof label, "dot n=%zu", DOT_N[i]);
        snprintf(key, sizeof key, "bench_dot_%zu", DOT_N[i]);
        bench_problem(R->metrics, key, label, DOT_N[i], 0, 0, bw, 11, &r);
    }
    printf("\nmatvec: bytes = 4(MN + N + M) (A and x read, y written), 2MN FLOP\n");
    bench_header();
    static const int MV_N[] = {64, 256, 1024, 8192};
    for (size_t i = 0; i < sizeof MV_N / sizeof MV_N[0]; i++) {
        char label[32], key[32];
        snprintf(label, sizeof label, "matvec %dx%d", MV_N[i], MV_N[i]);
        snprintf(key, sizeof key, "bench_matvec_%d", MV_N[i]);
        bench_problem(R->metrics, key, label, 0, MV_N[i], MV_N[i], bw, 11, &r);
    }
}
// endregion

// region: main
// MNIST split for this run: the first n_train / n_test examples (all when 0).
static void load_mnist(const Cli *cli, const Config *c, Dataset *train, Dataset *test)
{
    char err[1024];
    Dataset full;
    for (int split = 0; split < 2; split++) {
        if (!mnist_load(cli->data_dir, split == 0, &full, err, sizeof err))
            dl_die("%s", err);
        int want = split == 0 ? c->mnist_train : c->mnist_test;
        Dataset *dst = split == 0 ? train : test;
        if (want > 0 && want < full.n) {
            dataset_slice(&full, 0, want, dst);
            dataset_free(&full);
        } else {
            *dst = full;
        }
    }
}

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Cli cli;
    int epochs = 0;
    float lr = 0.1f;
    const CliExtra extras[] = {
        {"epochs", 'i', &epochs, 0, "softmax regression epochs; 0: 5 with --quick, 10, 30 with --full"},
        {"lr", 'f', &lr, 0, "softmax regression learning rate"},
    };
    cli_parse(&cli, argc, argv,
              "01_perceptron: the perceptron, logistic and softmax regression, XOR, and the "
              "dot/matvec kernels", extras, 2);
    if (epochs < 0 || epochs > 1000)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in [0, 1000], got %d", epochs);
    if (!(lr > 0.0f && lr <= 100.0f))
        dl_die_status(DL_EXIT_USAGE, "--lr must be in (0, 100], got %g", lr);
    double t_start = now_seconds();

    Config c = {0, 0, 10, 10, 64, lr};
    if (cli.quick) c = (Config){2000, 1000, 5, 5, 64, lr};
    if (cli.full) c = (Config){0, 0, 50, 30, 64, lr};
    if (epochs) c.softmax_epochs = epochs;

    static Metrics metrics;
    metrics_init(&metrics, cli.out_dir);
    Run R = {.cli = &cli, .metrics = &metrics};
    arena_init(&R.params, "params");
    arena_init(&R.step, "step");
    tape_init(&R.tp, &R.step);
    metrics_set(&metrics, "seed", (double)cli.seed);

    if (cli.bench) {
        run_bench(&R);
    } else {
        Dataset train, test;
        load_mnist(&cli, &c, &train, &test);   // first: fail fast when the data is missing
        bool fashion = strcmp(train.name, "fashion-mnist") == 0;
        printf("data: %s from %s (%d train, %d test images)%s\n", train.name, cli.data_dir,
               train.n, test.n,
               fashion ? " -- Fashion-MNIST, not MNIST: the digit figures in README do not "
                         "apply" : "");
        printf("GEMM rung %s, %d thread%s, seed %llu\n", ladder_selected(&GEMM_LADDER)->name, threads_get(),
               threads_get() > 1 ? "s" : "", (unsigned long long)cli.seed);
        metrics_set(&metrics, "data_fashion", fashion);
        section_blobs(&R);
        section_xor(&R);
        section_collapse(&R);
        section_activations(&R);
        section_mnist01(&R, &train, &test, &c);
        section_softmax(&R, &train, &test, &c);
        section_kernels(&R);
        dataset_free(&train);
        dataset_free(&test);
    }
    double total = now_seconds() - t_start;
    metrics_set(&metrics, "time_total_s", total);
    bool ok = metrics_write(&metrics);
    metrics_free(&metrics);
    printf("\ntotal %.1f s; metrics in %s/metrics.tsv%s\n", total, cli.out_dir,
           plot_available() ? ", plots (PNG) next to it" : "");
    arena_free(&R.params);
    arena_free(&R.step);
    return ok ? 0 : DL_EXIT_ERROR;
}
#endif
// endregion
