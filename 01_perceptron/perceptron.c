/* 01_perceptron/perceptron.c — lecture 1: from Rosenblatt's perceptron to softmax regression
 * on MNIST, and why a deep network needs non-linearities.
 * Build: make chapter1        Run: ./01_perceptron/run --quick        Bench: ./01_perceptron/run --bench
 * Without make, from the repository root:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -pthread -Icommon 01_perceptron/perceptron.c 01_perceptron/dot.c 01_perceptron/bench.c $(find common -name '*.c') -lm -o 01_perceptron/run
 * Sections (lecture order): 1-2 perceptron + logistic (blobs), 3 xor, 4 collapse,
 *   5 activations, 6 mnist (the perceptron on 0 vs 1; softmax regression, the main run),
 *   7 kernels. Every gradient-descent run goes through the library's training loop
 *   (common/train/loop.h); the perceptron's own mistake-driven rule is the lesson and is here.
 * The dot/matvec ladder is in dot.c, its timing harness and --bench in bench.c.
 * Shapes: examples x (B, C_in) row-major, labels y (B); perceptron w (C_in) and b;
 *         Linear w (C_in, C_out) and b (C_out); logits (B, C_out).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/synthetic.h"
#include "kernels/gemm.h"
#include "kernels/ladder.h"
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
#include "train/chapter.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

// region: perceptron
// Rosenblatt (1958): predict class 1 when w·x + b > 0. Labels become y = ±1; on a mistake,
// y (w·x + b) <= 0, move the boundary towards the example: w += lr·y·x, b += lr·y.
// Nothing changes on a correct answer. If a hyperplane separates the classes with margin γ
// and every |x| <= R, the rule makes at most (R/γ)² mistakes (Novikoff, 1962), in any
// order — so on separable data it stops; on non-separable data it never does.
typedef struct Perceptron {
    int C_in;
    float *w;             // (C_in)
    float b;
} Perceptron;

static void perceptron_init(Perceptron *p, Arena *a, int C_in)
{
    p->C_in = C_in;
    p->w = arena_alloc(a, (size_t)C_in * sizeof(float));   // zeroed: the boundary starts at 0
    p->b = 0.0f;
}

static float perceptron_score(const Perceptron *p, const float *x)
{
    return dot(p->w, x, (size_t)p->C_in) + p->b;   // dot.c: the rung --kernel dot= picks
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
            for (int j = 0; j < p->C_in; j++) p->w[j] += lr * y * x[j];
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
    int *order = dl_malloc((size_t)d->n * sizeof *order, "perceptron order");
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
// Logistic regression: P(y = 1 | x) = σ(z), z = x·w + b, trained by gradient descent on the
// binary cross-entropy L = -mean(y log p + (1-y) log(1-p)). Its gradient, (p - y)·x per
// example, is the perceptron update made smooth: every example pulls, in proportion to its
// error. Built from ops, so the tape (autograd/tape.h) computes the gradient for us, and
// trained by the library's loop (train/loop.h) like every network of the course.
//
// Every 2-D model here — the perceptron, logistic regression, the MLP — is a score z (B, 1)
// with class 1 when z > 0 (P(y = 1) = σ(z) > 0.5). Seen as the two logits (0, z), its softmax
// is (1 - σ(z), σ(z)): the arg-max is the same class and the cross-entropy is the BCE, so the
// library's classifier evaluation (train/eval.h) scores every model alike.
typedef struct BinaryModel {
    Model m;              // arenas, tape and parameters; m.name labels its checkpoints
    ForwardFn score;      // z (B, 1)
    void *net;            // the network, in m.params
    bool hard;            // a perceptron: it outputs a class, not a probability
} BinaryModel;

// A model called "01_perceptron/<run>" whose network of `size` bytes (zeroed) is returned.
static void *binary_init(BinaryModel *bm, const char *run, ForwardFn score, size_t size)
{
    char name[DL_MODEL_NAME];
    snprintf(name, sizeof name, "01_perceptron/%s", run);
    model_init(&bm->m, name);
    bm->score = score;
    bm->net = arena_alloc(&bm->m.params, size);
    bm->hard = false;
    return bm->net;
}

static Tensor *logreg_score(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    return linear_forward(tp, net, batch_input(tp, b));
}

// The perceptron in the same shape (no gradient: it never trains by gradient descent).
static Tensor *perceptron_score_batch(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    const Perceptron *p = net;
    Tensor *z = tape_output(tp, 2, (int[]){b->B, 1}, NULL, 0);
    for (int i = 0; i < b->B; i++) z->data[i] = perceptron_score(p, b->x + (size_t)i * p->C_in);
    return z;
}

// The two-logit view (0, z) (B, 2) of a BinaryModel: what eval_classifier reads.
static Tensor *binary_logits(void *model, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    BinaryModel *bm = model;
    Tensor *z = bm->score(bm->net, tp, b, train, rng);
    Tensor *two = tape_output(tp, 2, (int[]){b->B, 2}, NULL, 0);
    for (int i = 0; i < b->B; i++) {
        two->data[2 * i] = 0.0f;
        two->data[2 * i + 1] = z->data[i];
    }
    return two;
}

// The training loss: BCE of σ(z) against the labels as floats (B, 1).
static Tensor *bce_of_score(void *net, Tape *tp, Tensor *z, const Batch *b)
{
    (void)net;
    Tensor *y = tensor_2d(tp->arena, b->B, 1);   // rewound with the step arena
    for (int i = 0; i < b->B; i++) y->data[i] = (float)b->y[i];
    return op_bce(tp, op_sigmoid(tp, z), y);
}

// Full-batch gradient descent on the BCE for `steps` steps (train_run: one "epoch" is one
// step over the whole of d, in order; SGD with rate lr); returns the last step's loss.
static float binary_fit(Chapter *ch, BinaryModel *bm, const Dataset *d, int steps, float lr,
                        Rng *r)
{
    Batcher all;
    batcher_init(&all, d, d->n, false, NULL);
    TrainConfig tc = {.label = bm->m.name, .epochs = steps, .opt = optim_defaults(OPT_SGD),
                      .cli = &ch->cli};
    tc.opt.lr = lr;
    TrainTask task = {&bm->m, bm->net, bm->score, bce_of_score, NULL};
    TrainLog log;
    train_run(&task, &all.src, &tc, r, &log);
    float loss = log.step_loss[log.steps - 1];
    train_log_free(&log);
    batcher_free(&all);
    return loss;
}

// Accuracy (%) on d, in one batch as the chapter always scored them (eval_classifier).
static double binary_acc_pct(BinaryModel *bm, const Dataset *d)
{
    ClassifierEval e;
    eval_classifier(&bm->m, bm, binary_logits, d, d->n, false, &e);
    return e.acc_pct;
}

// The classifier on a G x G grid spanning the data (plus a 10% margin), drawn with the data:
// P(y = 1) = σ(z), or the class itself (0 or 1) for a perceptron.
static void plot_boundary(Chapter *ch, const char *name, const char *title, BinaryModel *bm,
                          const Dataset *d)
{
    enum { G = 120 };
    float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < d->n; i++)
        for (int k = 0; k < 2; k++) {
            lo[k] = fminf(lo[k], d->x[2 * i + k]);
            hi[k] = fmaxf(hi[k], d->x[2 * i + k]);
        }
    for (int k = 0; k < 2; k++) {
        float margin = 0.1f * (hi[k] - lo[k]);
        lo[k] -= margin;
        hi[k] += margin;
    }
    float *grid = dl_malloc(2 * G * G * sizeof *grid, "boundary grid");   // (G·G, 2)
    float *prob = dl_malloc(G * G * sizeof *prob, "boundary values");     // (G·G)
    for (int r = 0; r < G; r++)          // row 0 = lo[1], as plot_decision expects
        for (int c = 0; c < G; c++) {
            grid[2 * (r * G + c)] = lo[0] + (hi[0] - lo[0]) * (float)c / (G - 1);
            grid[2 * (r * G + c) + 1] = lo[1] + (hi[1] - lo[1]) * (float)r / (G - 1);
        }
    Tape *tp = &bm->m.tp;
    tape_set_recording(tp, false);
    Batch b = {.B = G * G, .dim = 2, .x = grid};
    Tensor *z = bm->score(bm->net, tp, &b, false, NULL);
    const float *p = bm->hard ? NULL : op_sigmoid(tp, z)->data;
    for (int i = 0; i < G * G; i++) prob[i] = p ? p[i] : z->data[i] > 0.0f ? 1.0f : 0.0f;
    tape_reset(tp);
    tape_set_recording(tp, true);
    plot_decision(ch->cli.out_dir, name, title, prob, G, G, lo[0], hi[0], lo[1], hi[1], d->x,
                  d->y, d->n);
    free(grid);
    free(prob);
}

// A perceptron trained by its rule on d (up to max_epochs); prints how it went, returns its
// number of epochs.
static int perceptron_fit(BinaryModel *bm, const char *run, const Dataset *d, int max_epochs,
                          Rng *r, int *mistakes)
{
    Perceptron *p = binary_init(bm, run, perceptron_score_batch, sizeof *p);
    bm->hard = true;
    perceptron_init(p, &bm->m.params, d->dim);
    return perceptron_train(p, d, max_epochs, r, mistakes);
}

static void section_blobs(Chapter *ch)
{
    chapter_section("1-2. Two linearly separable blobs (200 points, gap 1.0)");
    Metrics *mt = &ch->metrics;
    Rng r;
    rng_seed(&r, ch->cli.seed + 1);
    Dataset d;
    dataset_blobs(&d, 200, 1.0f, &r);

    BinaryModel pm;
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_fit(&pm, "blobs_perceptron", &d, 100, &r, mistakes);
    const Perceptron *p = pm.net;
    printf("perceptron: %s after %d epochs\n",
           mistakes[epochs - 1] == 0 ? "converged (an epoch without a mistake)" : "NOT converged",
           epochs);
    print_mistakes(mistakes, epochs);
    double acc_p = binary_acc_pct(&pm, &d);
    printf("  train accuracy %.1f%%, boundary %.3f·x0 + %.3f·x1 + %.3f = 0\n", acc_p, p->w[0],
           p->w[1], p->b);
    metrics_set(mt, "blobs_perceptron_epochs", epochs);
    metrics_set(mt, "blobs_perceptron_acc_pct", acc_p);
    plot_boundary(ch, "blobs_perceptron", "perceptron on separable blobs", &pm, &d);
    model_free(&pm.m);

    BinaryModel lm;
    Linear *l = binary_init(&lm, "blobs_logreg", logreg_score, sizeof *l);
    linear_init(l, &lm.m.params, 2, 1, INIT_ZERO, &r, &lm.m.p);
    float loss = binary_fit(ch, &lm, &d, 300, 0.5f, &r);
    double acc_l = binary_acc_pct(&lm, &d);
    printf("logistic regression (300 steps of gradient descent, lr 0.5): BCE %.4f, "
           "train accuracy %.1f%%\n", loss, acc_l);
    metrics_set(mt, "blobs_logreg_loss", loss);
    metrics_set(mt, "blobs_logreg_acc_pct", acc_l);
    plot_boundary(ch, "blobs_logreg", "logistic regression: P(class 1)", &lm, &d);
    model_free(&lm.m);
    dataset_free(&d);
}
// endregion

// region: xor
// XOR puts class 1 on one diagonal and class 0 on the other: no line separates them
// (Minsky & Papert, 1969). One hidden layer h = tanh(x·W1 + b1) bends the plane so that a
// line in h-space does: z = h·W2 + b2, P(y = 1) = σ(z).
typedef struct Mlp {
    Linear l1, l2;        // (2 -> C_hid), (C_hid -> 1)
} Mlp;

static Tensor *mlp_score(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    const Mlp *m = net;
    Tensor *h = op_tanh(tp, linear_forward(tp, &m->l1, batch_input(tp, b)));   // (B, C_hid)
    return linear_forward(tp, &m->l2, h);                                      // (B, 1)
}

// A 2-C_hid-1 MLP called "01_perceptron/<run>", trained on d; returns its train accuracy (%)
// and its last loss in *loss. The model stays alive for the plot (model_free after).
static double mlp_fit(Chapter *ch, BinaryModel *bm, const char *run, const Dataset *d,
                      int C_hid, int steps, float lr, Rng *r, float *loss)
{
    Mlp *m = binary_init(bm, run, mlp_score, sizeof *m);
    params_scope(&bm->m.p, "fc1");
    linear_init(&m->l1, &bm->m.params, 2, C_hid, INIT_XAVIER_UNIFORM, r, &bm->m.p);
    params_scope(&bm->m.p, "fc2");
    linear_init(&m->l2, &bm->m.params, C_hid, 1, INIT_XAVIER_UNIFORM, r, &bm->m.p);
    *loss = binary_fit(ch, bm, d, steps, lr, r);
    return binary_acc_pct(bm, d);
}

static void section_xor(Chapter *ch)
{
    chapter_section("3. XOR (200 points, noise 0.25): not linearly separable");
    Metrics *mt = &ch->metrics;
    Rng r;
    rng_seed(&r, ch->cli.seed + 2);
    Dataset d;
    dataset_xor(&d, 200, 0.25f, &r);

    BinaryModel pm, lm, mm;
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_fit(&pm, "xor_perceptron", &d, 100, &r, mistakes);
    double acc_p = binary_acc_pct(&pm, &d);
    printf("perceptron, %d epochs: %s, %d mistakes in the last; accuracy %.1f%%\n", epochs,
           mistakes[epochs - 1] ? "never converges" : "converged", mistakes[epochs - 1], acc_p);
    model_free(&pm.m);

    Linear *l = binary_init(&lm, "xor_logreg", logreg_score, sizeof *l);
    linear_init(l, &lm.m.params, 2, 1, INIT_ZERO, &r, &lm.m.p);
    float loss_l = binary_fit(ch, &lm, &d, 500, 0.5f, &r);
    double acc_l = binary_acc_pct(&lm, &d);
    printf("logistic regression, 500 steps: BCE %.4f (ln 2 = 0.6931: no better than a coin), "
           "accuracy %.1f%%\n", loss_l, acc_l);

    float loss_m;
    double acc_m = mlp_fit(ch, &mm, "xor_mlp", &d, 8, 1000, 0.5f, &r, &loss_m);
    printf("MLP 2-8-1 (tanh, sigmoid), 1000 steps: BCE %.4f, accuracy %.1f%%\n", loss_m, acc_m);
    metrics_set(mt, "xor_perceptron_acc_pct", acc_p);
    metrics_set(mt, "xor_logreg_loss", loss_l);
    metrics_set(mt, "xor_logreg_acc_pct", acc_l);
    metrics_set(mt, "xor_mlp_loss", loss_m);
    metrics_set(mt, "xor_mlp_acc_pct", acc_m);
    plot_boundary(ch, "xor_logreg", "XOR: logistic regression", &lm, &d);
    plot_boundary(ch, "xor_mlp", "XOR: MLP 2-8-1", &mm, &d);
    model_free(&lm.m);
    model_free(&mm.m);
    dataset_free(&d);

    // The same recipe, wider, on two interleaving half-moons.
    dataset_moons(&d, 200, 0.1f, &r);
    double acc_s = mlp_fit(ch, &mm, "moons_mlp", &d, 16, 1000, 1.0f, &r, &loss_m);
    printf("MLP 2-16-1 on two moons (200 points, noise 0.1), 1000 steps: BCE %.4f, "
           "accuracy %.1f%%\n", loss_m, acc_s);
    metrics_set(mt, "moons_mlp_loss", loss_m);
    metrics_set(mt, "moons_mlp_acc_pct", acc_s);
    plot_boundary(ch, "moons_mlp", "two moons: MLP 2-16-1", &mm, &d);
    model_free(&mm.m);
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

static void section_collapse(Chapter *ch)
{
    chapter_section("4. Stacked linear layers collapse to one");
    enum { B = 64, C_IN = 16, C_HID = 32, C_OUT = 8 };
    Rng r;
    rng_seed(&r, ch->cli.seed + 3);
    Model m;   // no training here: the arenas and the tape
    model_init(&m, "01_perceptron/collapse");
    Linear l1, l2;
    linear_init(&l1, &m.params, C_IN, C_HID, INIT_TORCH_DEFAULT, &r, NULL);
    linear_init(&l2, &m.params, C_HID, C_OUT, INIT_TORCH_DEFAULT, &r, NULL);
    Tensor *x = tensor_2d(&m.params, B, C_IN), *b1 = tensor_2d(&m.params, 1, C_HID);
    tensor_fill_normal(x, &r, 0.0f, 1.0f);
    memcpy(b1->data, l1.b->data, C_HID * sizeof(float));   // b1 as a (1, C_hid) row

    Tape *tp = &m.tp;
    tape_set_recording(tp, false);
    // W (C_in, C_out) = W1·W2 and b (C_out) = b1·W2 + b2: the single layer the two add up to.
    Linear one = {.in = C_IN, .out = C_OUT, .w = op_matmul(tp, l1.w, l2.w)};
    Tensor *bw = op_matmul(tp, b1, l2.w);                      // (1, C_out)
    one.b = tensor_1d(&m.step, C_OUT);
    for (int k = 0; k < C_OUT; k++) one.b->data[k] = bw->data[k] + l2.b->data[k];

    Tensor *y1 = linear_forward(tp, &one, x);
    float err_lin = max_abs_diff(two_layers(tp, &l1, &l2, x, false)->data, y1->data, B * C_OUT);
    float err_relu = max_abs_diff(two_layers(tp, &l1, &l2, x, true)->data, y1->data, B * C_OUT);

    // Affinity test on pairs (row i, row i+1) of x: f(a + c) - f(a) - f(c) + f(0).
    Tensor *sum = tensor_2d(&m.step, B - 1, C_IN), *a = tensor_2d(&m.step, B - 1, C_IN);
    Tensor *c = tensor_2d(&m.step, B - 1, C_IN), *zero = tensor_2d(&m.step, B - 1, C_IN);
    memcpy(a->data, x->data, (B - 1) * C_IN * sizeof(float));
    memcpy(c->data, x->data + C_IN, (B - 1) * C_IN * sizeof(float));
    for (int i = 0; i < (B - 1) * C_IN; i++) sum->data[i] = a->data[i] + c->data[i];
    float affine[2];
    for (int relu = 0; relu < 2; relu++) {
        const float *fs = two_layers(tp, &l1, &l2, sum, relu)->data;
        const float *fa = two_layers(tp, &l1, &l2, a, relu)->data;
        const float *fc = two_layers(tp, &l1, &l2, c, relu)->data;
        const float *f0 = two_layers(tp, &l1, &l2, zero, relu)->data;
        affine[relu] = 0.0f;
        for (int i = 0; i < (B - 1) * C_OUT; i++)
            affine[relu] = fmaxf(affine[relu], fabsf(fs[i] - fa[i] - fc[i] + f0[i]));
    }
    model_free(&m);

    printf("layers %d->%d->%d, batch %d, W = W1·W2 (%dx%d), b = b1·W2 + b2\n", C_IN, C_HID,
           C_OUT, B, C_IN, C_OUT);
    printf("  linear, linear:       max|f(x) - (x·W + b)| = %.2e   "
           "max|f(a+c) - f(a) - f(c) + f(0)| = %.2e\n", err_lin, affine[0]);
    printf("  linear, ReLU, linear: max|f(x) - (x·W + b)| = %.2e   "
           "max|f(a+c) - f(a) - f(c) + f(0)| = %.2e\n", err_relu, affine[1]);
    printf("  (float32 rounding is ~1e-7 relative: the first line is exact up to rounding, the "
           "second is not affine at all)\n");
    metrics_set(&ch->metrics, "collapse_max_err", err_lin);
    metrics_set(&ch->metrics, "collapse_affine_err", affine[0]);
    metrics_set(&ch->metrics, "collapse_relu_max_err", err_relu);
    metrics_set(&ch->metrics, "collapse_relu_affine_err", affine[1]);
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

static void section_activations(Chapter *ch)
{
    chapter_section("5. Activation functions: autograd derivatives vs closed forms");
    enum { N_X = 400, A = 5 };
    static const struct { const char *name, *title; UnaryOp op; } ACTS[A] = {
        {"sigmoid", "sigmoid", op_sigmoid}, {"tanh", "tanh", op_tanh},
        {"relu", "ReLU", op_relu}, {"leaky_relu", "leaky ReLU (0.1)", leaky_relu_01},
        {"gelu", "GELU", op_gelu},
    };
    static float xs[N_X], ys[A][N_X], dys[A][N_X];
    for (int i = 0; i < N_X; i++)   // never exactly 0: ReLU's kink
        xs[i] = -4.0f + 8.0f * ((float)i + 0.5f) / N_X;
    Model m;   // the arenas and the tape
    model_init(&m, "01_perceptron/activations");
    Tensor *x = tensor_param(&m.params, 1, (int[]){N_X}, "x");
    memcpy(x->data, xs, sizeof xs);
    double worst = 0.0;
    for (int a = 0; a < A; a++) {
        tensor_zero_grad(x);
        Tensor *y = ACTS[a].op(&m.tp, x);
        tape_backward(&m.tp, op_sum(&m.tp, y));
        double diff = 0.0;
        for (int i = 0; i < N_X; i++) {
            ys[a][i] = y->data[i];
            dys[a][i] = x->grad[i];
            diff = fmax(diff, fabs(x->grad[i] - act_derivative(ACTS[a].name, xs[i])));
        }
        tape_reset(&m.tp);
        printf("  %-10s max|autograd - closed form| over [-4, 4] = %.2e\n", ACTS[a].name, diff);
        metrics_setf(&ch->metrics, diff, "act_%s_grad_diff", ACTS[a].name);
        worst = fmax(worst, diff);
    }
    model_free(&m);
    metrics_set(&ch->metrics, "act_grad_max_diff", worst);
    PlotSeries f[A], df[A];
    for (int a = 0; a < A; a++) {
        f[a] = (PlotSeries){ACTS[a].title, xs, ys[a], N_X, "lines lw 2"};
        df[a] = (PlotSeries){ACTS[a].title, xs, dys[a], N_X, "lines lw 2"};
    }
    plot_lines(ch->cli.out_dir, "activations", "activation functions", "x", "f(x)", f, A, false);
    plot_lines(ch->cli.out_dir, "activation_grads", "their derivatives (from the autograd)", "x",
               "f'(x)", df, A, false);
}
// endregion

// region: mnist
// Real data. First the perceptron on MNIST digits 0 vs 1 (784 pixels in [0, 1]), then
// softmax regression on all ten classes: logits z = x·W + b (W: 784 x 10), trained by
// mini-batch SGD on the cross-entropy -log softmax(z)_y. Zero initialisation is fine here:
// the loss is convex in (W, b) (chapter 2 shows why hidden layers need random weights).

// Sizes for --quick / default / --full; --epochs and --lr override the softmax ones.
typedef struct Config {
    int mnist_train, mnist_test;   // examples used; 0 = all
    int perceptron_epochs;         // MNIST 0-vs-1 perceptron: at most this many epochs
    int softmax_epochs, batch;
    float softmax_lr;
} Config;

static void section_mnist01(Chapter *ch, const Dataset *train, const Dataset *test,
                            const Config *c)
{
    static const int CLASSES[2] = {0, 1};
    Dataset tr, te;
    dataset_filter_classes(train, CLASSES, 2, &tr);
    dataset_filter_classes(test, CLASSES, 2, &te);
    bool fashion = strcmp(train->name, "fashion-mnist") == 0;
    char title[128];
    snprintf(title, sizeof title, "6a. The perceptron on %s %s (%d train, %d test images)",
             train->name, fashion ? "T-shirt vs trouser (classes 0, 1)" : "0 vs 1", tr.n, te.n);
    chapter_section(title);
    Rng r;
    rng_seed(&r, ch->cli.seed + 4);
    BinaryModel pm;
    int mistakes[PERCEPTRON_MAX_EPOCHS];
    int epochs = perceptron_fit(&pm, "mnist01_perceptron", &tr, c->perceptron_epochs, &r,
                                mistakes);
    print_mistakes(mistakes, epochs);
    double acc_tr = binary_acc_pct(&pm, &tr), acc_te = binary_acc_pct(&pm, &te);
    printf("  %s after %d epochs; train accuracy %.2f%%, test accuracy %.2f%% (%d of %d wrong)\n",
           mistakes[epochs - 1] == 0 ? "converged" : "stopped", epochs, acc_tr, acc_te,
           (int)lround((100 - acc_te) / 100 * te.n), te.n);
    metrics_set(&ch->metrics, "mnist01_perceptron_epochs", epochs);
    metrics_set(&ch->metrics, "mnist01_perceptron_train_acc_pct", acc_tr);
    metrics_set(&ch->metrics, "mnist01_perceptron_test_acc_pct", acc_te);
    model_free(&pm.m);
    dataset_free(&tr);
    dataset_free(&te);
}

// The linear layer as the training loop and the evaluation call it: logits (B, 10).
static Tensor *softmax_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    return linear_forward(tp, net, batch_input(tp, b));
}

// The chapter's main run ("01_perceptron/softmax"): --save writes its checkpoint, Ctrl-C
// stops it with one, --resume continues it. Evaluated on the test set after every epoch in
// chunks of 1000 images.
static void section_softmax(Chapter *ch, const Dataset *train, const Dataset *test,
                            const Config *c)
{
    enum { C_OUT = 10, EVAL_BATCH = 1000 };
    Metrics *mt = &ch->metrics;
    const int C_in = train->dim;
    char title[160];
    snprintf(title, sizeof title, "6b. Softmax regression on all of %s: linear %d->%d + "
             "cross-entropy, SGD batch %d, lr %g, %d epochs", train->name, C_in, C_OUT, c->batch,
             (double)c->softmax_lr, c->softmax_epochs);
    chapter_section(title);
    Rng r;
    rng_seed(&r, ch->cli.seed + 5);
    Model m;
    model_init(&m, "01_perceptron/softmax");
    Linear l;
    linear_init(&l, &m.params, C_in, C_OUT, INIT_ZERO, &r, &m.p);
    Batcher bt;
    batcher_init(&bt, train, c->batch, true, &r);
    TrainConfig tc = {.label = "softmax", .epochs = c->softmax_epochs,
                      .opt = optim_defaults(OPT_SGD), .val = test, .val_name = "test",
                      .eval_batch = EVAL_BATCH, .print = true, .metrics = mt,
                      .prefix = "softmax", .cli = &ch->cli, .save = true};
    tc.opt.lr = c->softmax_lr;
    TrainTask task = {&m, &l, softmax_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, &r, &log);
    static const int STEPS[] = {1, 10, 100};
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++)
        if (STEPS[i] <= log.steps)
            metrics_setf(mt, log.step_loss[STEPS[i] - 1], "softmax_loss_step_%d", STEPS[i]);

    ClassifierEval e;
    eval_classifier(&m, &l, softmax_forward, test, EVAL_BATCH, true, &e);
    printf("test accuracy %.2f%% (%d of %d wrong), %zu parameters\n", e.acc_pct,
           (int)lround((100 - e.acc_pct) / 100 * test->n), test->n, params_count(&m.p));
    metrics_set(mt, "softmax_test_loss", e.loss);
    metrics_set(mt, "softmax_test_acc_pct", e.acc_pct);
    train_log_plot(&log, ch->cli.out_dir, "softmax_loss", "softmax_accuracy",
                   "softmax regression: cross-entropy", true);
    eval_plot_confusion(&e, ch->cli.out_dir, "softmax_confusion", "test confusion matrix");
    eval_free(&e);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
}
// endregion

// region: kernels
// Every run: one in-cache size of each kernel of dot.c (~0.1 s), so the naive -> fast ratio
// is always in front of the reader. No bandwidth measurement here (that is --bench).
static void section_kernels(Chapter *ch)
{
    chapter_section("7. Kernels: dot and matvec, naive -> SIMD (median of 11; --bench for more)");
    Rng r;
    rng_seed(&r, ch->cli.seed + 6);
    bench_header();
    double sd = bench_problem(&ch->metrics, "dot", "dot n=65536", (size_t)1 << 16, 0, 0, 0, 11,
                              &r);
    double sm = bench_problem(&ch->metrics, "matvec", "matvec 512x512", 0, 512, 512, 0, 11, &r);
    printf("|y-y_v0|: max difference from v0; |y-exact|: max error against a sum in double\n");
    metrics_set(&ch->metrics, "dot_speedup", sd);
    metrics_set(&ch->metrics, "matvec_speedup", sm);
}
// endregion

#ifndef NO_MAIN
// region: main
void bench_run(const Cli *cli);   // bench.c: the dot/matvec ladder from L1 to DRAM

// The first `n` examples of the training (train=true) or test split (all of it when n is 0).
static void load_split(Chapter *ch, bool train, int n, Dataset *d)
{
    Dataset full;
    chapter_load_images(ch, train, &full);
    if (n <= 0 || n >= full.n) {
        *d = full;
        return;
    }
    dataset_slice(&full, 0, n, d);
    dataset_free(&full);
}

int main(int argc, char **argv)
{
    int epochs = 0;
    float lr = 0.1f;
    const CliExtra extras[] = {
        {"epochs", 'i', &epochs, 0, "softmax regression epochs; 0: 5 with --quick, 10, 30 with --full"},
        {"lr", 'f', &lr, 0, "softmax regression learning rate"},
    };
    kernels_register(&DOT_LADDER);   // before the flags: --kernel dot=RUNG, --help lists it
    Chapter ch;
    chapter_begin(&ch, "01_perceptron", argc, argv, "01_perceptron: the perceptron, logistic "
                  "and softmax regression, XOR, and the dot/matvec kernels", extras, 2);
    const Cli *cli = &ch.cli;
    if (epochs < 0 || epochs > 1000)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in [0, 1000], got %d", epochs);
    if (!(lr > 0.0f && lr <= 100.0f))
        dl_die_status(DL_EXIT_USAGE, "--lr must be in (0, 100], got %g", lr);
    if (cli->bench) {
        bench_run(cli);
        metrics_free(&ch.metrics);
        return 0;
    }
    Config c = {0, 0, 10, 10, 64, lr};
    if (cli->quick) c = (Config){2000, 1000, 5, 5, 64, lr};
    if (cli->full) c = (Config){0, 0, 50, 30, 64, lr};
    if (epochs) c.softmax_epochs = epochs;

    Dataset train, test;   // first: a missing data set fails at once, naming `make data`
    load_split(&ch, true, c.mnist_train, &train);
    load_split(&ch, false, c.mnist_test, &test);
    printf("data: %s from %s (%d train, %d test images)%s\n", train.name, cli->data_dir, train.n,
           test.n, strcmp(train.name, "fashion-mnist") == 0 ? " -- Fashion-MNIST, not MNIST: "
           "the digit figures in README do not apply" : "");
    printf("kernels: gemm %s, dot %s; %d thread%s, seed %llu\n",
           ladder_selected(&GEMM_LADDER)->name, ladder_selected(&DOT_LADDER)->name,
           threads_get(), threads_get() > 1 ? "s" : "", (unsigned long long)cli->seed);
    section_blobs(&ch);
    section_xor(&ch);
    section_collapse(&ch);
    section_activations(&ch);
    section_mnist01(&ch, &train, &test, &c);
    section_softmax(&ch, &train, &test, &c);
    section_kernels(&ch);
    dataset_free(&train);
    dataset_free(&test);
    return chapter_end(&ch);
}
// endregion
#endif
