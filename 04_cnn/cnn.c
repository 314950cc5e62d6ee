/* 04_cnn/cnn.c — convolutional networks: why convolutions, the output-size formula, padding,
 * stride, pooling, BatchNorm2d and dropout, the lecture's DigitCNN on MNIST, data
 * augmentation, class imbalance and transfer learning; bench: the conv ladder and training
 * throughput against PyTorch.
 * Build: make chapter4    Run: ./04_cnn/run --quick    Bench: ./04_cnn/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 04_cnn/cnn.c $(find common -name '*.c') -lm -pthread -o 04_cnn/run
 * Sections (lecture order): 1 why_cnn, 2 output_size, 3 layers (pooling, BatchNorm2d,
 *   dropout, the standard block), 4 conv_timing (the kernel lesson), 5 train (DigitCNN),
 *   6 augmentation, 7 imbalance, 8 transfer; bench: conv_bench + training images/s vs PyTorch.
 * The ops (op_conv2d, op_maxpool2d, …) live in common/ops_cnn.c, the layers in
 * common/nn_cnn.c, the conv ladder in common/kernels/conv.c; this file uses them.
 * Shapes (NCHW): images x (B, 1, 28, 28); conv weight (C_out, C_in, K, K); logits (B, 10).
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/conv_bench.h"
#include "data/augment.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "kernels/conv.h"
#include "nn/batchnorm.h"
#include "nn/conv2d.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/regularize.h"
#include "ops/shape.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "report/progress.h"

#define IMG 28                 // MNIST and Fashion-MNIST images are 28×28, one channel
#define N_CLASSES 10
#define MAX_EPOCHS 50
#define EVAL_BATCH 250         // evaluation batch: activations of 250 images fit in ~60 MB

static const char *const FASHION_NAMES[N_CLASSES] = {
    "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"};

static Tensor image_view(float *data, int n)   // (n, 1, 28, 28) over n flat images
{
    return (Tensor){.ndim = 4, .shape = {n, 1, IMG, IMG}, .size = (size_t)n * IMG * IMG,
                    .data = data};
}

static void shape_str4(const Tensor *t, char *buf, size_t len)
{
    tensor_shape_str(t, buf, len);
}

// region: why_cnn
// A dense layer connects every input value to every unit; a conv layer slides one small
// kernel over the image, so its parameter count does not depend on the image size.
//   dense:  in·out + out                   conv:  (K·K·C_in + 1)·C_out
long long dense_params(long long in, long long out) { return in * out + out; }
long long conv_params(int k, int c_in, int c_out) { return ((long long)k * k * c_in + 1) * c_out; }

void why_section(Metrics *m)
{
    long long in = 224LL * 224 * 3, dense = dense_params(in, 1024), conv = conv_params(3, 3, 32);
    printf("a 224x224x3 image has %lld inputs\n", in);
    printf("  dense layer, 1024 units:   %lld·1024 + 1024 = %lld parameters (%.1f M)\n", in,
           dense, dense / 1e6);
    printf("  Conv2d(3→32, K=3):         (3·3·3 + 1)·32 = %lld parameters — the same for any "
           "image size\n", conv);
    printf("  ratio dense/conv = %.0fx; the conv layer still has 224·224·32 = %lld outputs, "
           "each from a 3x3x3 window\n", (double)dense / conv, 224LL * 224 * 32);
    metrics_set(m, "why_dense_params", (double)dense);
    metrics_set(m, "why_conv_params", (double)conv);
}
// endregion

// region: output_size
// W_out = ⌊(W_in − K + 2P)/S⌋ + 1 (conv_out_size in common/kernels/conv.c), checked against
// the shape that op_conv2d actually produces on a dummy image.
typedef struct SizeCase {
    const char *name;
    int k, stride, pad;
} SizeCase;

static const SizeCase SIZE_CASES[] = {
    {"same (K=3, S=1, P=1)", 3, 1, 1},
    {"valid (K=3, S=1, P=0)", 3, 1, 0},
    {"K=2, S=2, P=0", 2, 2, 0},
    {"K=5, S=1, P=2", 5, 1, 2},
    {"K=3, S=2, P=1", 3, 2, 1},
};
#define N_SIZE_CASES (int)(sizeof SIZE_CASES / sizeof SIZE_CASES[0])

/* Run Conv2d(c_in → c_out, k, stride, pad) on a zero image (1, img_c, 28, 28) and return the
 * output's width (dies, with op_conv2d's message, when the layer does not fit the image). */
int conv_demo_width(int img_c, int c_in, int c_out, int k, int stride, int pad, Rng *rng,
                    char *shape, size_t shape_len)
{
    Arena a;
    arena_init(&a, "demo");
    Tape tp;
    tape_init(&tp, &a);
    tape_set_recording(&tp, false);
    Conv2d c;
    conv2d_init(&c, &a, c_in, c_out, k, stride, pad, INIT_TORCH_DEFAULT, rng, NULL);
    Tensor *x = tensor_new(&a, 4, (int[]){1, img_c, IMG, IMG});
    Tensor *y = conv2d_forward(&tp, &c, x);
    if (shape) shape_str4(y, shape, shape_len);
    int w = y->shape[3];
    arena_free(&a);
    return w;
}

void output_size_section(const int *user, Rng *rng, Metrics *m)
{
    printf("W_out = floor((W_in - K + 2P)/S) + 1, W_in = 28; the formula against op_conv2d on a "
           "(1, 1, 28, 28) zero image:\n  %-24s %8s %18s\n", "case", "formula", "layer output");
    bool all_ok = true;
    for (int i = 0; i < N_SIZE_CASES; i++) {
        const SizeCase *c = &SIZE_CASES[i];
        int f = conv_out_size(IMG, c->k, c->stride, c->pad);
        char shape[64];
        int w = conv_demo_width(1, 1, 1, c->k, c->stride, c->pad, rng, shape, sizeof shape);
        all_ok = all_ok && f == w;
        printf("  %-24s %8d %18s%s\n", c->name, f, shape, f == w ? "" : "  MISMATCH");
        char key[64];
        snprintf(key, sizeof key, "outsize_case%d", i + 1);
        metrics_set(m, key, w);
    }
    printf("  max-pooling 2x2, stride 2 is the same formula with P = 0: 28 -> %d -> %d\n",
           conv_out_size(IMG, 2, 2, 0), conv_out_size(conv_out_size(IMG, 2, 2, 0), 2, 2, 0));
    metrics_set(m, "outsize_all_match", all_ok);
    if (user) {   // --conv-k/--conv-stride/--conv-pad/--conv-in: the user's own layer
        char shape[64];
        int w = conv_demo_width(1, user[3], 8, user[0], user[1], user[2], rng, shape,
                                sizeof shape);
        printf("  your layer Conv2d(%d→8, K=%d, S=%d, P=%d) on (1, 1, 28, 28): formula %d, "
               "layer output %s\n", user[3], user[0], user[1], user[2],
               conv_out_size(IMG, user[0], user[1], user[2]), shape);
        metrics_set(m, "outsize_user", w);
    }
}
// endregion

// region: layers
// Pooling, BatchNorm2d and dropout on small tensors whose answers can be read off by eye.
static void print_grid(const char *label, const float *v, int h, int w)
{
    for (int i = 0; i < h; i++) {
        printf("  %-10s", i == 0 ? label : "");
        for (int j = 0; j < w; j++) printf(" %5.2f", (double)v[i * w + j]);
        putchar('\n');
    }
}

void pooling_demo(Metrics *m)
{
    Arena a, pa;   // step arena (rewound by tape_reset), and one for the input x
    arena_init(&a, "pool");
    arena_init(&pa, "pool input");
    Tape tp;
    tape_init(&tp, &a);
    static const float X[16] = {1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 3, 3, 2, 6, 1, 0};
    Tensor *x = tensor_param(&pa, 4, (int[]){1, 1, 4, 4}, "x");
    tensor_copy_from(x, X, 16);
    // max pool: dL/dy = 1 everywhere, so dx shows where each window's maximum was
    Tensor *y = op_maxpool2d(&tp, x, 2, 2);
    tape_backward(&tp, op_sum(&tp, y));
    printf("max-pooling 2x2, stride 2, on a 4x4 input; backward of sum(y) routes each dy to the "
           "arg-max kept by forward (first max on ties):\n");
    print_grid("x", x->data, 4, 4);
    print_grid("y = max", y->data, 2, 2);
    print_grid("dL/dx", x->grad, 4, 4);
    double gsum = 0;
    int nz = 0;
    for (int i = 0; i < 16; i++) { gsum += x->grad[i]; nz += x->grad[i] != 0; }
    metrics_set(m, "maxpool_grad_sum", gsum);
    metrics_set(m, "maxpool_grad_nonzero", nz);
    tensor_zero_grad(x);
    tape_reset(&tp);
    Tensor *ya = op_avgpool2d(&tp, x, 2, 2);
    tape_backward(&tp, op_sum(&tp, ya));
    printf("average pooling: every input of a window gets dy/(k·k):\n");
    print_grid("y = mean", ya->data, 2, 2);
    print_grid("dL/dx", x->grad, 4, 4);
    metrics_set(m, "avgpool_y0", ya->data[0]);
    metrics_set(m, "avgpool_grad", x->grad[0]);
    tape_reset(&tp);
    Tensor *g = op_global_avgpool(&tp, x);
    char s1[64], s2[64];
    tensor_shape_str(x, s1, sizeof s1);
    tensor_shape_str(g, s2, sizeof s2);
    printf("global average pooling %s -> %s: %.4f (the mean of all 16 values; no parameters, "
           "any input size)\n", s1, s2, (double)g->data[0]);
    metrics_set(m, "global_avgpool", g->data[0]);
    arena_free(&a);
    arena_free(&pa);
}

void batchnorm2d_demo(Rng *rng, Metrics *m)
{
    Arena a;
    arena_init(&a, "bn");
    Tape tp;
    tape_init(&tp, &a);
    tape_set_recording(&tp, false);
    enum { N = 8, C = 3, H = 5, W = 5 };
    static const float MU[C] = {2.0f, -1.0f, 0.5f}, SD[C] = {3.0f, 0.5f, 1.0f};
    Tensor *x = tensor_new(&a, 4, (int[]){N, C, H, W});
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H * W; i++)
                x->data[((size_t)n * C + c) * H * W + i] = MU[c] + SD[c] * rng_normal(rng);
    BatchNorm bn;
    batchnorm_init(&bn, &a, C, NULL);
    Tensor *y = batchnorm2d_forward(&tp, &bn, x, true);
    printf("BatchNorm2d on x (%d, %d, %d, %d), channel c drawn from N(mu_c, sd_c²); statistics per "
           "channel over N·H·W = %d values:\n  %-3s %8s %8s | %10s %10s | %13s %12s\n", N, C, H,
           W, N * H * W, "c", "mu_c", "sd_c", "train mean", "train var", "running mean",
           "running var");
    double worst_mean = 0, worst_var = 0;
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < H * W; i++) {
                double v = y->data[((size_t)n * C + c) * H * W + i];
                s += v;
                s2 += v * v;
            }
        double mean = s / (N * H * W), var = s2 / (N * H * W) - mean * mean;
        worst_mean = fmax(worst_mean, fabs(mean));
        worst_var = fmax(worst_var, fabs(var - 1));
        printf("  %-3d %8.2f %8.2f | %10.2e %10.6f | %13.4f %12.4f\n", c, (double)MU[c],
               (double)SD[c], mean, var, (double)bn.running_mean[c], (double)bn.running_var[c]);
    }
    // eval mode uses the running statistics: after one step they are 0.9·(0, 1) + 0.1·batch
    Tensor *ye = batchnorm2d_forward(&tp, &bn, x, false);
    double se = 0;
    for (int n = 0; n < N; n++)
        for (int i = 0; i < H * W; i++) se += ye->data[((size_t)n * C + 0) * H * W + i];
    printf("  train mode: every channel has mean 0, variance 1 - eps-ish (biased, ÷N·H·W); the "
           "running statistics moved 10%% toward the batch's (momentum 0.1).\n  eval mode "
           "normalises with those running statistics instead: channel 0's mean is then %.3f, not "
           "0 — a model needs many training steps before eval mode matches.\n", se / (N * H * W));
    metrics_set(m, "bn2d_train_max_abs_mean", worst_mean);
    metrics_set(m, "bn2d_train_max_var_err", worst_var);
    metrics_set(m, "bn2d_running_mean_c0", bn.running_mean[0]);
    metrics_set(m, "bn2d_eval_mean_c0", se / (N * H * W));
    arena_free(&a);
}

void dropout_demo(Rng *rng, Metrics *m)
{
    Arena a;
    arena_init(&a, "dropout");
    Tape tp;
    tape_init(&tp, &a);
    tape_set_recording(&tp, false);
    Tensor *x = tensor_new(&a, 4, (int[]){4, 32, 14, 14});
    tensor_fill(x, 1.0f);
    printf("dropout on %zu ones (train mode): ", x->size);
    const float ps[2] = {0.25f, 0.5f};
    for (int i = 0; i < 2; i++) {
        Tensor *y = op_dropout(&tp, x, ps[i], rng, true);
        size_t zeros = 0;
        double sum = 0;
        for (size_t j = 0; j < y->size; j++) { zeros += y->data[j] == 0; sum += y->data[j]; }
        printf("p = %.2f zeroes %.4f of them, the rest become %.4f, mean %.4f;%s", (double)ps[i],
               (double)zeros / y->size, 1.0 / (1.0 - ps[i]), sum / y->size,
               i == 0 ? " " : "\n");
        char key[64];
        snprintf(key, sizeof key, "dropout_p%02d_zero_frac", (int)(ps[i] * 100));
        metrics_set(m, key, (double)zeros / y->size);
    }
    printf("  eval mode returns x itself (inverted dropout: the 1/(1-p) scaling is done in "
           "training).\n");
    arena_free(&a);
}
// endregion

// region: model
// DigitCNN, the lecture's network:
//   Conv(1→32, 3, p1) → BN → ReLU → MaxPool 2 → Dropout 0.25
//   Conv(32→64, 3, p1) → BN → ReLU → MaxPool 2 → Dropout 0.25 → flatten 64·7·7 = 3136
//   Linear(3136→128) → ReLU → Dropout 0.5 → Linear(128→10)
typedef struct DigitCNN {
    Conv2d c1, c2;          // 1→32 and 32→64, 3×3, stride 1, pad 1 ("same")
    BatchNorm bn1, bn2;     // 32 and 64 channels
    Linear fc1, fc2;        // (3136, 128) and (128, 10)
    float p_conv, p_fc;     // dropout after each conv block, and in the classifier
} DigitCNN;

#define FLAT_DIM (64 * 7 * 7)

/* The conv blocks: x (B, 1, 28, 28) → (B, 3136). maps, if not NULL, receives the two
 * post-ReLU feature maps, (B, 32, 28, 28) and (B, 64, 14, 14). Each block is
 * Conv → BN → ReLU → MaxPool → Dropout; BN and ReLU run as one fused op
 * (batchnorm2d_relu_forward: the same numbers as op_relu(batchnorm2d_forward(…)), one pass
 * over memory fewer — README § Making it fast). */
Tensor *digitcnn_features(Tape *tp, DigitCNN *m, Tensor *x, bool train, Rng *rng, Tensor **maps)
{
    Tensor *h = conv2d_forward(tp, &m->c1, x);
    h = batchnorm2d_relu_forward(tp, &m->bn1, h, train);
    if (maps) maps[0] = h;
    h = op_dropout(tp, op_maxpool2d(tp, h, 2, 2), m->p_conv, rng, train);
    h = conv2d_forward(tp, &m->c2, h);
    h = batchnorm2d_relu_forward(tp, &m->bn2, h, train);
    if (maps) maps[1] = h;
    h = op_dropout(tp, op_maxpool2d(tp, h, 2, 2), m->p_conv, rng, train);
    return op_flatten(tp, h);
}

/* The classifier: features (B, 3136) → logits (B, 10). */
Tensor *digitcnn_head(Tape *tp, DigitCNN *m, Tensor *f, bool train, Rng *rng)
{
    Tensor *h = op_relu(tp, linear_forward(tp, &m->fc1, f));
    h = op_dropout(tp, h, m->p_fc, rng, train);
    return linear_forward(tp, &m->fc2, h);
}

Tensor *digitcnn_forward(Tape *tp, DigitCNN *m, Tensor *x, bool train, Rng *rng)
{
    return digitcnn_head(tp, m, digitcnn_features(tp, m, x, train, rng, NULL), train, rng);
}

/* One network with its arenas: params (weights, grads, BN statistics), optimizer state, and
 * the step arena that tape_reset rewinds after every step. */
typedef struct CnnModel {
    Arena params, state, step;
    Tape tp;
    Params all;             // every parameter
    Params head;            // fc1, fc2 only (the frozen-feature transfer trains these)
    DigitCNN net;
} CnnModel;

void cnn_model_init(CnnModel *md, Rng *rng)
{
    arena_init(&md->params, "params");
    arena_init(&md->state, "optimizer state");
    arena_init(&md->step, "step");
    tape_init(&md->tp, &md->step);
    params_init(&md->all, &md->params);
    params_init(&md->head, &md->params);
    DigitCNN *n = &md->net;
    // nn.Conv2d / nn.Linear's default initialisation, as the PyTorch comparison uses
    conv2d_init(&n->c1, &md->params, 1, 32, 3, 1, 1, INIT_TORCH_DEFAULT, rng, &md->all);
    batchnorm_init(&n->bn1, &md->params, 32, &md->all);
    conv2d_init(&n->c2, &md->params, 32, 64, 3, 1, 1, INIT_TORCH_DEFAULT, rng, &md->all);
    batchnorm_init(&n->bn2, &md->params, 64, &md->all);
    linear_init(&n->fc1, &md->params, FLAT_DIM, 128, INIT_TORCH_DEFAULT, rng, &md->all);
    linear_init(&n->fc2, &md->params, 128, N_CLASSES, INIT_TORCH_DEFAULT, rng, &md->all);
    params_add(&md->head, n->fc1.w);
    params_add(&md->head, n->fc1.b);
    params_add(&md->head, n->fc2.w);
    params_add(&md->head, n->fc2.b);
    n->p_conv = 0.25f;
    n->p_fc = 0.5f;
}

void cnn_model_free(CnnModel *md)
{
    arena_free(&md->step);
    arena_free(&md->state);
    arena_free(&md->params);
}

static void copy_tensor(Tensor *dst, const Tensor *src)
{
    memcpy(dst->data, src->data, src->size * sizeof(float));
}

static void copy_bn(BatchNorm *dst, const BatchNorm *src)
{
    copy_tensor(dst->gamma, src->gamma);
    copy_tensor(dst->beta, src->beta);
    memcpy(dst->running_mean, src->running_mean, (size_t)src->C * sizeof(float));
    memcpy(dst->running_var, src->running_var, (size_t)src->C * sizeof(float));
}

/* Transfer: copy the conv blocks (weights, BN parameters and running statistics) of src. */
void digitcnn_copy_features(DigitCNN *dst, const DigitCNN *src)
{
    copy_tensor(dst->c1.w, src->c1.w);
    copy_tensor(dst->c1.b, src->c1.b);
    copy_tensor(dst->c2.w, src->c2.w);
    copy_tensor(dst->c2.b, src->c2.b);
    copy_bn(&dst->bn1, &src->bn1);
    copy_bn(&dst->bn2, &src->bn2);
}

/* Everything a trained model's predictions depend on, in a fixed order: the parameters and
 * the BN running statistics. save=true copies them into buf, false copies them back. */
static size_t model_snapshot(CnnModel *md, float *buf, bool save)
{
    if (buf && save) params_snapshot(&md->all, buf);
    else if (buf) params_restore(&md->all, buf);
    return params_snapshot_size(&md->all);
}

/* Mean cross-entropy and accuracy on d in eval mode (running BN statistics, no dropout),
 * recording off; pred (d->n), if not NULL, receives every prediction. */
void cnn_evaluate(CnnModel *md, const Dataset *d, double *loss, double *acc, int *pred)
{
    Tape *tp = &md->tp;
    bool was = tp->recording;
    tape_set_recording(tp, false);
    double total = 0;
    int correct = 0;
    for (int start = 0; start < d->n; start += EVAL_BATCH) {
        int B = d->n - start < EVAL_BATCH ? d->n - start : EVAL_BATCH;
        Tensor x = image_view(d->x + (size_t)start * d->dim, B);
        const int *y = d->y + start;
        Tensor *logits = digitcnn_forward(tp, &md->net, &x, false, NULL);
        total += (double)tensor_item(op_cross_entropy(tp, logits, y)) * B;
        for (int i = 0; i < B; i++) {
            const float *row = logits->data + (size_t)i * N_CLASSES;
            int best = 0;
            for (int j = 1; j < N_CLASSES; j++) best = row[j] > row[best] ? j : best;
            correct += best == y[i];
            if (pred) pred[start + i] = best;
        }
        tape_reset(tp);
    }
    tape_set_recording(tp, was);
    if (loss) *loss = total / d->n;
    if (acc) *acc = (double)correct / d->n;
}
// endregion

// region: train
typedef struct TrainCfg {
    int epochs, batch;
    float lr;                 // Adam; decayed by a cosine schedule to lr/20 over the run
    float aug_shift, aug_deg; // augmentation of the training batches (0, 0: none)
    const float *class_weight;// (10) weighted cross-entropy, or NULL
    bool sampler;             // draw batches with P(i) ∝ 1/count(y_i) (WeightedRandomSampler)
    bool frozen;              // train the classifier only, on features computed in eval mode
    bool keep_best;           // restore the weights of the epoch with the lowest val loss
} TrainCfg;

typedef struct TrainLog {
    int epochs_run, steps, best_epoch;
    float train_loss[MAX_EPOCHS + 1];   // mean mini-batch loss of each epoch ([0]: unused)
    float val_loss[MAX_EPOCHS + 1], val_acc[MAX_EPOCHS + 1];   // [0] = before training
    double seconds;                     // training time, evaluation excluded
} TrainLog;

#define DIVERGE_FACTOR 10.0f

/* Train md on tr (validation on val after every epoch, if val is not NULL). One step: zero
 * grads, forward (train mode), loss, divergence check, backward, Adam, tape_reset — the step
 * arena is rewound, so no step calls malloc. A loss that is not finite, or more than
 * DIVERGE_FACTOR x the first step's, stops the program with a message (exit status 1). */
void cnn_train(CnnModel *md, const Dataset *tr, const Dataset *val, const TrainCfg *cfg, Rng *rng,
               const char *what, TrainLog *log)
{
    DL_CHECK(cfg->epochs >= 1 && cfg->epochs <= MAX_EPOCHS, "cnn_train: %d epochs, need 1..%d",
             cfg->epochs, MAX_EPOCHS);
    Params *plist = cfg->frozen ? &md->head : &md->all;
    OptConfig oc = optim_defaults(OPT_ADAM);
    oc.lr = cfg->lr;
    Optimizer opt;
    optim_init(&opt, &oc, plist, &md->state);
    int B = cfg->batch, spe = (tr->n + B - 1) / B, total = spe * cfg->epochs;
    Schedule sch = {.kind = SCHED_COSINE, .base_lr = cfg->lr, .total_steps = total,
                    .min_lr = cfg->lr / 20};
    Batcher bt;
    batcher_init(&bt, tr, B, true, rng);
    float *xbuf = malloc((size_t)B * tr->dim * sizeof(float));   // (B, 784)
    float *abuf = malloc((size_t)B * tr->dim * sizeof(float));   // augmented copy
    int *ybuf = malloc((size_t)B * sizeof(int)), *idx = malloc((size_t)B * sizeof(int));
    float *sw = NULL;   // sampler: per-example weights 1/count(class)
    size_t snap_n = model_snapshot(md, NULL, false);
    float *best = cfg->keep_best && val ? malloc(snap_n * sizeof(float)) : NULL;
    DL_CHECK(xbuf && abuf && ybuf && idx && (best || !cfg->keep_best || !val),
             "cnn_train: out of memory");
    if (cfg->sampler) {
        int counts[N_CLASSES];
        dataset_class_counts(tr, counts);
        sw = malloc((size_t)tr->n * sizeof(float));
        DL_CHECK(sw, "cnn_train: out of memory");
        for (int i = 0; i < tr->n; i++) sw[i] = 1.0f / (float)counts[tr->y[i]];
    }
    memset(log, 0, sizeof *log);
    double l, a;
    if (val) {
        cnn_evaluate(md, val, &l, &a, NULL);
        log->val_loss[0] = (float)l;
        log->val_acc[0] = (float)a;
    }
    Tape *tp = &md->tp;
    float first = NAN;
    Progress pg;
    progress_start(&pg, what, total);
    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        double t0 = now_seconds(), sum = 0;
        int nb = 0;
        for (int s = 0; s < spe; s++) {
            int b;
            if (cfg->sampler) {   // B draws with replacement, P(i) ∝ 1/count(y_i)
                b = B;
                sample_weighted(rng, sw, tr->n, idx, B);
                for (int i = 0; i < B; i++) {
                    memcpy(xbuf + (size_t)i * tr->dim, tr->x + (size_t)idx[i] * tr->dim,
                           (size_t)tr->dim * sizeof(float));
                    ybuf[i] = tr->y[idx[i]];
                }
            } else {
                b = batcher_next(&bt, xbuf, ybuf);
                if (b == 0) b = batcher_next(&bt, xbuf, ybuf);   // the epoch boundary
            }
            float *xin = xbuf;
            if (cfg->aug_shift > 0 || cfg->aug_deg > 0) {
                augment_shift_rotate(xbuf, abuf, b, IMG, IMG, cfg->aug_shift, cfg->aug_deg, rng);
                xin = abuf;
            }
            Tensor x = image_view(xin, b);
            params_zero_grad(plist);
            Tensor *logits;
            if (cfg->frozen) {   // features as constants: no nodes, no grads for the conv part
                tape_set_recording(tp, false);
                Tensor *f = digitcnn_features(tp, &md->net, &x, false, NULL, NULL);
                tape_set_recording(tp, true);
                logits = digitcnn_head(tp, &md->net, f, true, rng);
            } else {
                logits = digitcnn_forward(tp, &md->net, &x, true, rng);
            }
            Tensor *loss = cfg->class_weight
                               ? op_cross_entropy_weighted(tp, logits, ybuf, cfg->class_weight)
                               : op_cross_entropy(tp, logits, ybuf);
            float lv = tensor_item(loss);
            if (log->steps == 0) first = lv;
            log->steps++;
            if (!isfinite(lv) || lv > DIVERGE_FACTOR * first)
                dl_die("%s: training diverged at step %d (epoch %d): the loss is %g, first step "
                       "%.4f; the learning rate %g is too large for Adam here — use a smaller "
                       "one (the default --lr is 1e-3)", what, log->steps, epoch, (double)lv,
                       (double)first, (double)cfg->lr);
            sum += lv;
            nb++;
            if ((log->steps & 15) == 0) {
                char note[48];
                snprintf(note, sizeof note, "epoch %d loss %.4f", epoch, sum / nb);
                progress_update(&pg, log->steps, note);
            }
            tape_backward(tp, loss);
            optim_step(&opt, schedule_lr(&sch, log->steps - 1));
            tape_reset(tp);
        }
        log->seconds += now_seconds() - t0;
        log->epochs_run = epoch;
        log->train_loss[epoch] = (float)(sum / nb);
        if (val) {
            cnn_evaluate(md, val, &l, &a, NULL);
            log->val_loss[epoch] = (float)l;
            log->val_acc[epoch] = (float)a;
            if (log->best_epoch == 0 || log->val_loss[epoch] < log->val_loss[log->best_epoch]) {
                log->best_epoch = epoch;
                if (best) model_snapshot(md, best, true);
            }
        }
    }
    progress_end(&pg);
    if (best && log->best_epoch != cfg->epochs) model_snapshot(md, best, false);
    free(best);
    free(sw);
    free(xbuf);
    free(abuf);
    free(ybuf);
    free(idx);
    batcher_free(&bt);
}

// Per-class recall (10) and the confusion matrix (10 × 10, rows = true class), from pred.
static void confusion(const int *y, const int *pred, int n, float *cm, double *recall)
{
    int counts[N_CLASSES] = {0};
    memset(cm, 0, N_CLASSES * N_CLASSES * sizeof(float));
    for (int i = 0; i < n; i++) {
        cm[y[i] * N_CLASSES + pred[i]] += 1;
        counts[y[i]]++;
    }
    for (int c = 0; c < N_CLASSES; c++)
        recall[c] = counts[c] ? cm[c * N_CLASSES + c] / counts[c] : 0;
}
// endregion

// region: conv_timing
// The kernel lesson in the default run: every rung of the conv ladder on the DigitCNN conv
// layers at batch B, forward and both backward passes, against v0_direct's numbers.
// (--bench runs the full conv_bench of common/kernels/conv_bench.c.)
static double time_call(void (*fn)(void *), void *ctx, double budget, int *reps_out)
{
    double t0 = now_seconds();
    fn(ctx);
    double one = now_seconds() - t0, best = one;
    int reps = 1;
    while (reps < 50 && (reps + 1) * one < budget) {
        t0 = now_seconds();
        fn(ctx);
        double t = now_seconds() - t0;
        best = t < best ? t : best;
        reps++;
    }
    *reps_out = reps;
    return best;
}

typedef struct ConvRun {
    const ConvImpl *impl;
    const ConvShape *s;
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw, *db, *work;
} ConvRun;

static void run_fwd(void *p)
{
    ConvRun *r = p;
    r->impl->forward(r->s, r->x, r->w, r->b, r->y, r->work);
}

static void run_bwd(void *p)
{
    ConvRun *r = p;
    memset(r->dx, 0, (size_t)r->s->N * r->s->C_in * r->s->H * r->s->W * sizeof(float));
    memset(r->dw, 0, (size_t)r->s->C_out * r->s->C_in * r->s->KH * r->s->KW * sizeof(float));
    memset(r->db, 0, (size_t)r->s->C_out * sizeof(float));
    r->impl->backward_data(r->s, r->dy, r->w, r->dx, r->work);
    r->impl->backward_weight(r->s, r->x, r->dy, r->dw, r->db, r->work);
}

static double max_rel_diff(const float *a, const float *ref, size_t n)
{
    double d = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    return scale > 0 ? d / scale : d;
}

void conv_timing_section(int batch, double budget, uint64_t seed, Metrics *m)
{
    static const struct { const char *name; int c_in, hw, c_out; } LAYERS[2] = {
        {"conv1", 1, 28, 32}, {"conv2", 32, 14, 64}};
    Rng rng;
    rng_seed(&rng, seed);
    printf("the DigitCNN conv layers, batch %d, %d thread(s); time = best of up to 50 runs within "
           "%.2g s; error = max |difference| / max |v0| over y, dx, dw\n", batch, threads_get(),
           budget);
    printf("  %-6s %-20s %10s %9s %11s %9s %10s\n", "layer", "rung", "fwd ms", "GFLOP/s",
           "bwd ms", "GFLOP/s", "error");
    for (int l = 0; l < 2; l++) {
        ConvShape s;
        const char *err = conv_shape_init(&s, batch, LAYERS[l].c_in, LAYERS[l].hw, LAYERS[l].hw,
                                          LAYERS[l].c_out, 3, 3, 1, 1);
        DL_CHECK(!err, "conv timing: %s", err);
        size_t nx = (size_t)s.N * s.C_in * s.H * s.W, nw = (size_t)s.C_out * s.C_in * 9,
               ny = (size_t)s.N * s.C_out * s.H_out * s.W_out;
        float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
        float *b = malloc((size_t)s.C_out * sizeof(float)), *dy = malloc(ny * sizeof(float));
        float *ref = malloc((ny + nx + nw) * sizeof(float));   // v0's y, dx, dw
        float *y = malloc(ny * sizeof(float)), *dx = malloc(nx * sizeof(float));
        float *dw = malloc(nw * sizeof(float)), *db = malloc((size_t)s.C_out * sizeof(float));
        DL_CHECK(x && w && b && dy && ref && y && dx && dw && db, "conv timing: out of memory");
        for (size_t i = 0; i < nx; i++) x[i] = rng_uniform(&rng);
        for (size_t i = 0; i < nw; i++) w[i] = rng_uniform_range(&rng, -0.3f, 0.3f);
        for (int i = 0; i < s.C_out; i++) b[i] = rng_uniform_range(&rng, -0.1f, 0.1f);
        for (size_t i = 0; i < ny; i++) dy[i] = rng_uniform_range(&rng, -1, 1);
        double flops = conv_flops(&s);
        for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
            const KernelRung *rung = &CONV_LADDER.rungs[k];
            const ConvImpl *impl = conv_impl(rung);
            size_t ws = impl->workspace(&s);
            float *work = ws ? malloc(ws * sizeof(float)) : NULL;
            DL_CHECK(!ws || work, "conv timing: out of memory");
            ConvRun r = {impl, &s, x, w, b, dy, y, dx, dw, db, work};
            int rf, rb;
            double tf = time_call(run_fwd, &r, budget, &rf);
            double tb = time_call(run_bwd, &r, 2 * budget, &rb);
            double e = 0;
            if (k == 0) {
                memcpy(ref, y, ny * sizeof(float));
                memcpy(ref + ny, dx, nx * sizeof(float));
                memcpy(ref + ny + nx, dw, nw * sizeof(float));
            } else {
                e = fmax(max_rel_diff(y, ref, ny), fmax(max_rel_diff(dx, ref + ny, nx),
                                                        max_rel_diff(dw, ref + ny + nx, nw)));
            }
            printf("  %-6s %-20s %10.3f %9.2f %11.3f %9.2f %10.1e\n", LAYERS[l].name, rung->name,
                   1e3 * tf, flops / tf / 1e9, 1e3 * tb, 2 * flops / tb / 1e9, e);
            // keys by rung number ("v2"), which stays when a rung is renamed
            char key[96], tag[8];
            snprintf(tag, sizeof tag, "%.*s", (int)strcspn(rung->name, "_"), rung->name);
            snprintf(key, sizeof key, "convtime_%s_%s_fwd_seconds", LAYERS[l].name, tag);
            metrics_set(m, key, tf);
            snprintf(key, sizeof key, "convtime_%s_%s_bwd_seconds", LAYERS[l].name, tag);
            metrics_set(m, key, tb);
            snprintf(key, sizeof key, "convtime_%s_%s_rel_err", LAYERS[l].name, tag);
            metrics_set(m, key, e);
            free(work);
        }
        free(x); free(w); free(b); free(dy); free(ref); free(y); free(dx); free(dw); free(db);
    }
    printf("  op_conv2d uses '%s' (--kernel conv=v0|v1|v2|auto)\n",
           ladder_selected(&CONV_LADDER)->name);
}
// endregion

// region: digit_cnn
// The main run: DigitCNN on the training images minus a validation split, Adam, batch 64,
// cosine-decayed learning rate; then the test set, the curves, the confusion matrix, what the
// first layer learned and the mistakes.
static void caption(char *buf, size_t len, bool fashion, int t, int p)
{
    if (fashion) snprintf(buf, len, "%s→%s", FASHION_NAMES[t], FASHION_NAMES[p]);
    else snprintf(buf, len, "%d→%d", t, p);
}

void main_section(CnnModel *md, const Dataset *tr, const Dataset *val, const Dataset *test,
                  const TrainCfg *cfg, Rng *rng, bool fashion, const char *out_dir, Metrics *m)
{
    printf("DigitCNN: %zu parameters; %s: %d training / %d validation / %d test images; Adam lr "
           "%g (cosine to %g), batch %d, %d epochs; the weights of the best validation epoch "
           "are kept\n", params_count(&md->all), tr->name, tr->n, val->n, test->n,
           (double)cfg->lr, (double)cfg->lr / 20, cfg->batch, cfg->epochs);
    TrainLog log;
    cnn_train(md, tr, val, cfg, rng, "DigitCNN", &log);
    printf("  %5s %11s %9s %8s\n", "epoch", "train loss", "val loss", "val acc");
    static float ex[MAX_EPOCHS + 1], tl[MAX_EPOCHS + 1], vl[MAX_EPOCHS + 1], va[MAX_EPOCHS + 1];
    for (int e = 0; e <= log.epochs_run; e++) {
        ex[e] = (float)e;
        tl[e] = e ? log.train_loss[e] : NAN;
        vl[e] = log.val_loss[e];
        va[e] = 100 * log.val_acc[e];
        if (e) printf("  %5d %11.4f %9.4f %7.2f%%\n", e, (double)tl[e], (double)vl[e],
                      (double)va[e]);
    }
    int *pred = malloc((size_t)test->n * sizeof(int));
    DL_CHECK(pred, "out of memory");
    double tloss, tacc;
    cnn_evaluate(md, test, &tloss, &tacc, pred);
    double ips = log.steps * (double)cfg->batch / log.seconds;
    printf("  TEST (%d images, weights of epoch %d): loss %.4f, accuracy %.2f%%  (training "
           "%.1f s, %.0f images/s)\n", test->n, log.best_epoch, tloss, 100 * tacc, log.seconds,
           ips);
    metrics_set(m, "main_best_epoch", log.best_epoch);
    metrics_set(m, "main_val_loss", log.val_loss[log.best_epoch]);
    metrics_set(m, "main_val_acc_pct", 100 * log.val_acc[log.best_epoch]);
    metrics_set(m, "main_test_loss", tloss);
    metrics_set(m, "main_test_acc_pct", 100 * tacc);
    metrics_set(m, "main_train_seconds", log.seconds);
    PlotSeries ls[2] = {{"training (mean mini-batch loss)", ex + 1, tl + 1, log.epochs_run,
                         "linespoints pt 7"},
                        {"validation", ex, vl, log.epochs_run + 1, "linespoints pt 5"}};
    plot_lines(out_dir, "loss", "DigitCNN: cross-entropy per epoch", "epoch", "loss", ls, 2, true);
    PlotSeries as[1] = {{"validation accuracy", ex, va, log.epochs_run + 1, "linespoints pt 7"}};
    plot_lines(out_dir, "accuracy", "DigitCNN: validation accuracy", "epoch", "accuracy (%)", as,
               1, false);
    float cm[N_CLASSES * N_CLASSES];
    double rec[N_CLASSES];
    confusion(test->y, pred, test->n, cm, rec);
    plot_heatmap(out_dir, "confusion", "DigitCNN confusion matrix on the test set", "predicted",
                 "true class", cm, N_CLASSES, N_CLASSES);
    int worst = 0;
    for (int c = 1; c < N_CLASSES; c++) worst = rec[c] < rec[worst] ? c : worst;
    int ti = 0, tj = 1;   // the most frequent confusion
    for (int i = 0; i < N_CLASSES; i++)
        for (int j = 0; j < N_CLASSES; j++)
            if (i != j && cm[i * N_CLASSES + j] > cm[ti * N_CLASSES + tj]) { ti = i; tj = j; }
    printf("  lowest recall: class %d (%s) %.2f%%; most frequent confusion: %d taken for %d (%d "
           "times) — confusion.png\n", worst, fashion ? FASHION_NAMES[worst] : "digit",
           100 * rec[worst], ti, tj, (int)cm[ti * N_CLASSES + tj]);
    metrics_set(m, "main_min_class_recall", rec[worst]);

    // The 32 learned 3×3 filters of conv1, and the feature maps of the first test image.
    plot_image_grid(out_dir, "filters_conv1", "conv1: the 32 learned 3x3 filters",
                    md->net.c1.w->data, 32, 3, 3, 8, true, NULL);
    Tape *tp = &md->tp;
    tape_set_recording(tp, false);
    Tensor x = image_view(test->x, 1), *maps[2];
    digitcnn_features(tp, &md->net, &x, false, NULL, maps);
    char title[128];
    snprintf(title, sizeof title, "Feature maps after conv1-BN-ReLU of test image 0 (class %d)",
             test->y[0]);
    plot_image_grid(out_dir, "fmaps_conv1", title, maps[0]->data, 32, IMG, IMG, 8, true, NULL);
    snprintf(title, sizeof title, "Feature maps after conv2-BN-ReLU of test image 0 (class %d)",
             test->y[0]);
    plot_image_grid(out_dir, "fmaps_conv2", title, maps[1]->data, 64, 14, 14, 8, true, NULL);
    double active = 0;
    for (size_t i = 0; i < maps[1]->size; i++) active += maps[1]->data[i] > 0;
    metrics_set(m, "fmaps_conv2_active_frac", active / maps[1]->size);
    tape_reset(tp);
    tape_set_recording(tp, true);

    // Misclassified test images with "true→pred" captions.
    enum { MAX_WRONG = 36 };
    static float wimg[MAX_WRONG * IMG * IMG];
    static char caps[MAX_WRONG][32];
    const char *capp[MAX_WRONG];
    int nw = 0, n_wrong = 0;
    for (int i = 0; i < test->n; i++) {
        if (pred[i] == test->y[i]) continue;
        n_wrong++;
        if (nw == MAX_WRONG) continue;
        memcpy(wimg + (size_t)nw * IMG * IMG, test->x + (size_t)i * test->dim,
               IMG * IMG * sizeof(float));
        caption(caps[nw], sizeof caps[nw], fashion, test->y[i], pred[i]);
        capp[nw] = caps[nw];
        nw++;
    }
    if (nw > 0) {
        snprintf(title, sizeof title, "%d of the %d misclassified test images (true→predicted)",
                 nw, n_wrong);
        plot_image_grid(out_dir, "misclassified", title, wimg, nw, IMG, IMG, 9, false, capp);
    }
    printf("  %d test images misclassified (misclassified.png shows %d); filters_conv1.png, "
           "fmaps_conv1.png, fmaps_conv2.png\n", n_wrong, nw);
    metrics_set(m, "main_test_wrong", n_wrong);
    free(pred);
}
// endregion

// region: augmentation
// The same subset, the same epochs, with and without random shifts and rotations of the
// training batches (augment.h); test accuracy of both.
void augmentation_section(const Dataset *sub, const Dataset *test, int epochs, uint64_t seed,
                          const char *out_dir, Metrics *m)
{
    const float shift = 2.0f, deg = 10.0f;
    // what the network sees: 8 training images and one random transform of each
    static float show[16 * IMG * IMG];
    Rng r;
    rng_seed(&r, seed);
    int ns = sub->n < 8 ? sub->n : 8;
    memcpy(show, sub->x, (size_t)ns * IMG * IMG * sizeof(float));
    augment_shift_rotate(sub->x, show + (size_t)ns * IMG * IMG, ns, IMG, IMG, shift, deg, &r);
    plot_image_grid(out_dir, "augment_examples",
                    "Top: training images; bottom: shifted (±2 px) and rotated (±10°)", show,
                    2 * ns, IMG, IMG, ns, false, NULL);
    printf("%d training images, %d epochs each, batch 64, Adam 1e-3 (cosine); augmentation: shift "
           "U(±%g px), rotation U(±%g°), training batches only:\n", sub->n, epochs,
           (double)shift, (double)deg);
    double acc[2];
    for (int a = 0; a < 2; a++) {
        Rng rng;
        rng_seed(&rng, seed);
        CnnModel md;
        cnn_model_init(&md, &rng);
        TrainCfg cfg = {.epochs = epochs, .batch = 64, .lr = 1e-3f};
        if (a) { cfg.aug_shift = shift; cfg.aug_deg = deg; }
        TrainLog log;
        cnn_train(&md, sub, NULL, &cfg, &rng, a ? "augmented run" : "plain run", &log);
        cnn_evaluate(&md, test, NULL, &acc[a], NULL);
        printf("  %-16s final train loss %.4f, TEST accuracy %.2f%%  (%.1f s)\n",
               a ? "with augment." : "without", (double)log.train_loss[log.epochs_run],
               100 * acc[a], log.seconds);
        metrics_set(m, a ? "aug_on_test_acc_pct" : "aug_off_test_acc_pct", 100 * acc[a]);
        metrics_set(m, a ? "aug_on_train_loss" : "aug_off_train_loss",
                    log.train_loss[log.epochs_run]);
        cnn_model_free(&md);
    }
    printf("  augmentation changed test accuracy by %+.2f points (the training loss is higher: "
           "the task got harder; augment_examples.png)\n", 100 * (acc[1] - acc[0]));
}
// endregion

// region: imbalance
// Some classes have only ~1.5 % as many training images as the others. Three cures compared
// by per-class recall on the (balanced) test set: nothing, class-weighted cross-entropy with
// w_c ∝ 1/count_c, and a sampler that draws example i with P ∝ 1/count(y_i).
static const int RARE[3] = {2, 5, 8};

void imbalance_section(const Dataset *tr, const Dataset *test, int per_class, int rare_n,
                       int epochs, uint64_t seed, const char *out_dir, Metrics *m)
{
    int want[N_CLASSES], counts[N_CLASSES];
    for (int c = 0; c < N_CLASSES; c++) want[c] = per_class;
    for (int i = 0; i < 3; i++) want[RARE[i]] = rare_n;
    Dataset sub;
    dataset_subsample_per_class(tr, want, &sub);
    dataset_class_counts(&sub, counts);
    float cw[N_CLASSES];
    double wsum = 0;
    for (int c = 0; c < N_CLASSES; c++) wsum += 1.0 / counts[c];
    for (int c = 0; c < N_CLASSES; c++) cw[c] = (float)(N_CLASSES / (counts[c] * wsum));
    printf("imbalanced training set: %d images; per class:", sub.n);
    for (int c = 0; c < N_CLASSES; c++) printf(" %d", counts[c]);
    printf(" (classes %d, %d, %d at %.1f%% of the others)\n", RARE[0], RARE[1], RARE[2],
           100.0 * rare_n / per_class);
    printf("  class weights (∝ 1/count, mean 1): common %.3f, rare %.3f; %d epochs, batch 64, "
           "Adam 1e-3\n", (double)cw[0], (double)cw[RARE[0]], epochs);
    static const char *NAMES[3] = {"plain", "weighted_ce", "sampler"};
    static float table[3 * N_CLASSES];
    printf("  %-12s %8s %10s  recall per class 0..9 on the test set\n", "loss", "accuracy",
           "rare mean");
    for (int r = 0; r < 3; r++) {
        Rng rng;
        rng_seed(&rng, seed);
        CnnModel md;
        cnn_model_init(&md, &rng);
        TrainCfg cfg = {.epochs = epochs, .batch = 64, .lr = 1e-3f,
                        .class_weight = r == 1 ? cw : NULL, .sampler = r == 2};
        TrainLog log;
        cnn_train(&md, &sub, NULL, &cfg, &rng, NAMES[r], &log);
        int *pred = malloc((size_t)test->n * sizeof(int));
        DL_CHECK(pred, "out of memory");
        double acc, rec[N_CLASSES];
        float cm[N_CLASSES * N_CLASSES];
        cnn_evaluate(&md, test, NULL, &acc, pred);
        confusion(test->y, pred, test->n, cm, rec);
        double rare = 0;
        for (int i = 0; i < 3; i++) rare += rec[RARE[i]] / 3;
        printf("  %-12s %7.2f%% %9.2f%% ", NAMES[r], 100 * acc, 100 * rare);
        for (int c = 0; c < N_CLASSES; c++) {
            printf(" %5.1f", 100 * rec[c]);
            table[r * N_CLASSES + c] = (float)rec[c];
        }
        putchar('\n');
        char key[64];
        snprintf(key, sizeof key, "imb_%s_test_acc_pct", NAMES[r]);
        metrics_set(m, key, 100 * acc);
        snprintf(key, sizeof key, "imb_%s_rare_recall", NAMES[r]);
        metrics_set(m, key, rare);
        for (int i = 0; i < 3; i++) {
            snprintf(key, sizeof key, "imb_%s_recall_c%d", NAMES[r], RARE[i]);
            metrics_set(m, key, rec[RARE[i]]);
        }
        free(pred);
        cnn_model_free(&md);
    }
    plot_heatmap(out_dir, "imbalance_recall",
                 "Per-class test recall (rows: 0 plain, 1 weighted CE, 2 sampler)", "class",
                 "method", table, 3, N_CLASSES);
    dataset_free(&sub);
}
// endregion

// region: transfer
// The conv blocks trained on one data set, reused on another with only a small labelled
// slice: frozen features + a new classifier, full fine-tuning at a small learning rate, and
// the same network from scratch.
void transfer_section(const CnnModel *pre, const Dataset *small, const Dataset *test,
                      int epochs, uint64_t seed, const char *src_name, Metrics *m)
{
    static const struct { const char *name, *what; bool copy, frozen; float lr; } RUNS[3] = {
        {"frozen", "frozen features + new head", true, true, 1e-3f},
        {"finetune", "fine-tune all, small lr", true, false, 2e-4f},
        {"scratch", "from scratch", false, false, 1e-3f},
    };
    printf("%s conv blocks -> %s: %d labelled training images, %d epochs, batch 64, Adam "
           "(cosine); test on %d images\n", src_name, small->name, small->n, epochs, test->n);
    printf("  %-28s %8s %12s %10s\n", "run", "lr", "train loss", "TEST acc");
    for (int r = 0; r < 3; r++) {
        Rng rng;
        rng_seed(&rng, seed + 1);
        CnnModel md;
        cnn_model_init(&md, &rng);
        if (RUNS[r].copy) digitcnn_copy_features(&md.net, &pre->net);
        TrainCfg cfg = {.epochs = epochs, .batch = 64, .lr = RUNS[r].lr, .frozen = RUNS[r].frozen};
        TrainLog log;
        cnn_train(&md, small, NULL, &cfg, &rng, RUNS[r].name, &log);
        double acc;
        cnn_evaluate(&md, test, NULL, &acc, NULL);
        printf("  %-28s %8g %12.4f %9.2f%%\n", RUNS[r].what, (double)RUNS[r].lr,
               (double)log.train_loss[log.epochs_run], 100 * acc);
        char key[64];
        snprintf(key, sizeof key, "transfer_%s_test_acc_pct", RUNS[r].name);
        metrics_set(m, key, 100 * acc);
        cnn_model_free(&md);
    }
}
// endregion

// region: bench
// --bench: conv_bench (the full ladder), then the training throughput of DigitCNN — images/s
// of forward + backward + Adam at batch 64 — on 1 and 2 threads, next to PyTorch's.
#define BENCH_BATCH 64

/* Images per second of DigitCNN training steps (random images, Adam, batch 64) after 3
 * warm-up steps, timed over at least min_steps steps and min_seconds. */
double train_throughput(int min_steps, double min_seconds, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    CnnModel md;
    cnn_model_init(&md, &rng);
    float *x = malloc((size_t)BENCH_BATCH * IMG * IMG * sizeof(float));
    int y[BENCH_BATCH];
    DL_CHECK(x, "out of memory");
    for (size_t i = 0; i < (size_t)BENCH_BATCH * IMG * IMG; i++) x[i] = rng_uniform(&rng);
    for (int i = 0; i < BENCH_BATCH; i++) y[i] = (int)rng_below(&rng, N_CLASSES);
    OptConfig oc = optim_defaults(OPT_ADAM);
    Optimizer opt;
    optim_init(&opt, &oc, &md.all, &md.state);
    Tensor xt = image_view(x, BENCH_BATCH);
    double t0 = 0;
    int steps = 0;
    for (int s = 0;; s++) {
        if (s == 3) t0 = now_seconds();
        params_zero_grad(&md.all);
        Tensor *loss = op_cross_entropy(&md.tp, digitcnn_forward(&md.tp, &md.net, &xt, true, &rng),
                                        y);
        tape_backward(&md.tp, loss);
        optim_step(&opt, oc.lr);
        tape_reset(&md.tp);
        if (s >= 3) {
            steps++;
            if (steps >= min_steps && now_seconds() - t0 >= min_seconds) break;
        }
    }
    double ips = steps * (double)BENCH_BATCH / (now_seconds() - t0);
    free(x);
    cnn_model_free(&md);
    return ips;
}

/* PyTorch's images/s from scripts/bench_torch_cnn.py (found next to this program's chapter
 * folder), or 0 with the reason in why (torch missing: the script's own notice). */
static double torch_throughput(const char *argv0, int threads, char *why, size_t why_len)
{
    char exe[PATH_MAX], script[PATH_MAX + 64] = "";
    snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    else snprintf(exe, sizeof exe, ".");   // run through PATH from its folder
    static const char *const UP[3] = {"/..", "/../..", "/../../.."};   // 04_cnn/, build/x/04_cnn/
    for (int i = 0; i < 3; i++) {
        char c[PATH_MAX + 64];
        snprintf(c, sizeof c, "%s%s/scripts/bench_torch_cnn.py", exe, UP[i]);
        if (access(c, R_OK) == 0) { snprintf(script, sizeof script, "%s", c); break; }
    }
    if (!script[0]) {
        snprintf(why, why_len, "scripts/bench_torch_cnn.py not found next to %.300s", exe);
        return 0;
    }
    char cmd[PATH_MAX + 200], line[512], all[2048] = "";
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --threads %d 2>&1", script, threads);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_len, "could not run %.300s", cmd);
        return 0;
    }
    double ips = 0;
    while (fgets(line, sizeof line, p)) {
        char *hit = strstr(line, "torch_cnn images_per_s=");
        if (hit) ips = strtod(hit + strlen("torch_cnn images_per_s="), NULL);
        else if (strlen(all) + strlen(line) < sizeof all) strcat(all, line);
    }
    int st = pclose(p);
    if (ips <= 0) {
        size_t n = strlen(all);
        while (n && (all[n - 1] == '\n' || all[n - 1] == '\r')) all[--n] = '\0';
        snprintf(why, why_len, "%.400s (exit status %d)", n ? all : "no result line",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    return ips;
}

void bench_run(const Cli *cli, const char *argv0)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/bench", cli->out_dir);
    if (!make_dirs(dir)) dl_die("cannot create the folder %s", dir);
    ConvBenchResult res;
    conv_bench(cli->threads, cli->quick, stdout, &res);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "threads", cli->threads);
    printf("\nDigitCNN training throughput: forward + backward + Adam step, batch %d, %s "
           "(conv rung %s)\n", BENCH_BATCH, cli->quick ? "--quick: short timing" :
           "timed over >= 3 s after 3 warm-up steps", ladder_selected(&CONV_LADDER)->name);
    printf("  %7s %14s %16s %10s\n", "threads", "C images/s", "PyTorch images/s", "C/PyTorch");
    const int T[2] = {1, 2};
    for (int i = 0; i < 2; i++) {
        threads_set(T[i]);
        double c = train_throughput(cli->quick ? 3 : 20, cli->quick ? 0.2 : 3.0, cli->seed);
        char why[512] = "";
        double t = cli->quick ? 0 : torch_throughput(argv0, T[i], why, sizeof why);
        if (cli->quick) snprintf(why, sizeof why, "--quick: PyTorch not run");
        if (t > 0) printf("  %7d %14.0f %16.0f %9.2fx\n", T[i], c, t, c / t);
        else printf("  %7d %14.0f %16s %10s   (PyTorch skipped: %s)\n", T[i], c, "-", "-", why);
        char key[64];
        snprintf(key, sizeof key, "train_images_per_s_%dt", T[i]);
        metrics_set(&m, key, c);
        if (t > 0) {
            snprintf(key, sizeof key, "torch_images_per_s_%dt", T[i]);
            metrics_set(&m, key, t);
            snprintf(key, sizeof key, "c_over_torch_%dt", T[i]);
            metrics_set(&m, key, c / t);
        }
    }
    threads_set(cli->threads);
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    printf("\nwrote %s\n", m.path);
}
// endregion

#ifndef NO_MAIN
// region: main
static void section(const char *title)
{
    printf("\n== %s ", title);
    for (int i = (int)strlen(title); i < 72; i++) putchar('=');
    putchar('\n');
}

static void load_or_die(const Cli *cli, const char *dataset, bool train, Dataset *d)
{
    char err[600];
    if (!image_dataset_load(cli->data_dir, dataset, train, d, err, sizeof err))
        dl_die("%s", err);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Cli cli;
    float lr = 1e-3f;
    int epochs = 0, conv_k = -1, conv_stride = -1, conv_pad = -1, conv_in = -1;
    bool augment = false;
    const CliExtra extras[] = {
        {"lr", 'f', &lr, 0, "Adam learning rate of the main DigitCNN run (cosine-decayed to lr/20)"},
        {"epochs", 'i', &epochs, 0, "epochs of the main run; 0: 5 (MNIST) or 10 (Fashion-MNIST), "
                                    "1 with --quick, 12 with --full"},
        {"augment", 'b', &augment, 0, "augment the main run's training batches too (shift ±2 px, "
                                      "rotation ±10°)"},
        {"conv-k", 'i', &conv_k, 0, "section 2: also run your own Conv2d with this kernel size "
                                    "on a 1x28x28 image (-1: not asked; default 3 when another "
                                    "--conv-* flag is given)"},
        {"conv-stride", 'i', &conv_stride, 0, "its stride (-1: 1)"},
        {"conv-pad", 'i', &conv_pad, 0, "its zero padding (-1: 0)"},
        {"conv-in", 'i', &conv_in, 0, "its input channels (-1: 1; the image has 1, so another "
                                      "value shows the channel-mismatch error)"},
    };
    cli_parse(&cli, argc, argv, "Chapter 4: convolutional networks — output sizes, pooling, "
              "BatchNorm2d, DigitCNN on MNIST, augmentation, imbalance, transfer; --bench: the "
              "conv ladder and training speed vs PyTorch", extras,
              (int)(sizeof extras / sizeof extras[0]));
    if (!(lr > 0) || !isfinite(lr))
        dl_die_status(DL_EXIT_USAGE, "--lr must be a positive finite number, got %g", (double)lr);
    if (epochs < 0 || epochs > MAX_EPOCHS)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in 1..%d (0: default), got %d", MAX_EPOCHS,
                      epochs);
    // The user's layer: checked now with the library's own message, run in section 2.
    int user[4] = {conv_k, conv_stride, conv_pad, conv_in};
    bool user_layer = conv_k != -1 || conv_stride != -1 || conv_pad != -1 || conv_in != -1;
    if (user_layer) {
        static const int DEF[4] = {3, 1, 0, 1};
        for (int i = 0; i < 4; i++) if (user[i] == -1) user[i] = DEF[i];
        ConvShape s;
        const char *e = conv_shape_init(&s, 1, 1, IMG, IMG, 8, user[0], user[0], user[1], user[2]);
        if (e)
            dl_die_status(DL_EXIT_USAGE, "--conv-k %d --conv-stride %d --conv-pad %d on a 1x28x28 "
                          "image: %s", user[0], user[1], user[2], e);
        if (user[3] < 1)
            dl_die_status(DL_EXIT_USAGE, "--conv-in must be >= 1 (input channels), got %d",
                          user[3]);
    }
    if (cli.bench) {
        bench_run(&cli, argv[0]);
        return 0;
    }
    double t_start = now_seconds();

    Dataset train_all, test_all;
    load_or_die(&cli, cli.dataset, true, &train_all);
    load_or_die(&cli, cli.dataset, false, &test_all);
    bool fashion = strcmp(train_all.name, "fashion-mnist") == 0;
    if (epochs == 0) epochs = cli.quick ? 1 : cli.full ? 12 : fashion ? 10 : 5;
    printf("data: %s from %s; %d thread(s), seed %llu, conv rung %s%s\n", train_all.name,
           cli.data_dir, threads_get(), (unsigned long long)cli.seed, ladder_selected(&CONV_LADDER)->name,
           cli.quick ? ", --quick" : "");
    Metrics metrics;
    metrics_init(&metrics, cli.out_dir);
    metrics_set(&metrics, "data_fashion", fashion);
    Rng rng;
    rng_seed(&rng, cli.seed);
    // Validation: the last images of the training file, never trained on.
    int n_val = cli.quick ? 200 : 5000;
    int n_tr = cli.quick ? 512 : train_all.n - n_val;
    Dataset tr, val, test;
    dataset_slice(&train_all, 0, n_tr, &tr);
    dataset_slice(&train_all, train_all.n - n_val, n_val, &val);
    dataset_slice(&test_all, 0, cli.quick ? 300 : test_all.n, &test);

    section("1. Why convolutions: parameter counts");
    why_section(&metrics);

    section("2. The output size of a conv layer");
    output_size_section(user_layer ? user : NULL, &rng, &metrics);

    section("3. Pooling, BatchNorm2d, dropout and the standard block");
    pooling_demo(&metrics);
    batchnorm2d_demo(&rng, &metrics);
    dropout_demo(&rng, &metrics);
    Rng mrng;
    rng_seed(&mrng, cli.seed);
    CnnModel md;
    cnn_model_init(&md, &mrng);
    {
        const DigitCNN *n = &md.net;
        struct { const char *name; size_t count; } rows[6] = {
            {"conv1 (1→32, 3x3)", n->c1.w->size + n->c1.b->size},
            {"bn1 (γ, β)", 2 * (size_t)n->bn1.C},
            {"conv2 (32→64, 3x3)", n->c2.w->size + n->c2.b->size},
            {"bn2 (γ, β)", 2 * (size_t)n->bn2.C},
            {"fc1 (3136→128)", n->fc1.w->size + n->fc1.b->size},
            {"fc2 (128→10)", n->fc2.w->size + n->fc2.b->size}};
        static const char *const KEYS[6] = {"params_conv1", "params_bn1", "params_conv2",
                                            "params_bn2", "params_fc1", "params_fc2"};
        size_t conv = 0, fc = 0;
        printf("DigitCNN, block by block (Conv -> BN -> ReLU -> MaxPool -> Dropout), parameters "
               "counted from its tensors:\n");
        for (int i = 0; i < 6; i++) {
            printf("  %-20s %9zu\n", rows[i].name, rows[i].count);
            metrics_set(&metrics, KEYS[i], (double)rows[i].count);
            if (i < 4) conv += rows[i].count; else fc += rows[i].count;
        }
        printf("  conv blocks %zu (%.1f%%), classifier %zu (%.1f%%), total %zu; formula check: "
               "conv1 (3·3·1 + 1)·32 = %lld, conv2 (3·3·32 + 1)·64 = %lld\n", conv,
               100.0 * conv / (conv + fc), fc, 100.0 * fc / (conv + fc), conv + fc,
               conv_params(3, 1, 32), conv_params(3, 32, 64));
        printf("  dropout 0.25 after the conv blocks (few, shared weights; neighbouring pixels are "
               "correlated, so dropping one hides little), 0.5 in the classifier, where %.0f%% of "
               "the parameters — and the over-fitting — are\n", 100.0 * fc / (conv + fc));
        metrics_set(&metrics, "params_total", (double)(conv + fc));
    }

    section("4. The conv ladder on the DigitCNN layers (kernel lesson)");
    conv_timing_section(cli.quick ? 2 : 64, cli.quick ? 0 : 0.3, cli.seed, &metrics);

    section("5. DigitCNN on real data");
    TrainCfg main_cfg = {.epochs = epochs, .batch = 64, .lr = lr, .keep_best = true,
                         .aug_shift = augment ? 2.0f : 0, .aug_deg = augment ? 10.0f : 0};
    main_section(&md, &tr, &val, &test, &main_cfg, &mrng, fashion, cli.out_dir, &metrics);

    section("6. Data augmentation: shifts and rotations");
    Dataset aug_sub;
    dataset_slice(&train_all, 0, cli.quick ? 256 : 5000, &aug_sub);
    augmentation_section(&aug_sub, &test, cli.quick ? 1 : cli.full ? 8 : 3, cli.seed, cli.out_dir,
                         &metrics);
    dataset_free(&aug_sub);

    section("7. Class imbalance: plain, weighted cross-entropy, weighted sampler");
    imbalance_section(&tr, &test, cli.quick ? 40 : 400, cli.quick ? 2 : 6,
                      cli.quick ? 1 : cli.full ? 6 : 3, cli.seed, cli.out_dir, &metrics);

    section("8. Transfer learning");
    const char *other = fashion ? "mnist" : "fashion";
    Dataset o_train, o_test;
    char err[600];
    if (image_dataset_load(cli.data_dir, other, true, &o_train, err, sizeof err) &&
        image_dataset_load(cli.data_dir, other, false, &o_test, err, sizeof err)) {
        Dataset small, o_te;
        dataset_slice(&o_train, 0, cli.quick ? 128 : 1000, &small);
        dataset_slice(&o_test, 0, cli.quick ? 300 : o_test.n, &o_te);
        transfer_section(&md, &small, &o_te, cli.quick ? 1 : 8, cli.seed, train_all.name,
                         &metrics);
        metrics_set(&metrics, "transfer_skipped", 0);
        dataset_free(&small);
        dataset_free(&o_te);
        dataset_free(&o_train);
        dataset_free(&o_test);
    } else {
        printf("skipped: %s is needed as the target data set and is missing (%s).\n  `make data` "
               "gets both MNIST and Fashion-MNIST; Fashion-MNIST also comes from Debian's "
               "dataset-fashion-mnist package.\n", fashion ? "MNIST" : "Fashion-MNIST", err);
        metrics_set(&metrics, "transfer_skipped", 1);
    }

    double wall = now_seconds() - t_start;
    metrics_set(&metrics, "wall_seconds", wall);
    if (!metrics_write(&metrics)) dl_die("could not write %s", metrics.path);
    metrics_free(&metrics);
    printf("\nwrote %s and the plots to %s/; total %.1f s\n", metrics.path, cli.out_dir, wall);
    cnn_model_free(&md);
    dataset_free(&tr);
    dataset_free(&val);
    dataset_free(&test);
    dataset_free(&train_all);
    dataset_free(&test_all);
    return 0;
}
// endregion
#endif
