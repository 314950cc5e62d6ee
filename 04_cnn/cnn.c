/* 04_cnn/cnn.c — convolutional networks: why convolutions, the output-size formula, padding,
 * stride, pooling, BatchNorm2d and dropout, the lecture's DigitCNN on MNIST, data
 * augmentation, class imbalance and transfer learning.
 * Build: make chapter4    Run: ./04_cnn/run --quick    Bench: ./04_cnn/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 04_cnn/cnn.c 04_cnn/bench.c $(find common -name '*.c') -lm -pthread -o 04_cnn/run
 * Sections (lecture order): 1 why_cnn, 2 output_size, 3 layers and model (the DigitCNN),
 *   4 conv_timing (in bench.c), 5 digit_cnn, 6 augmentation, 7 imbalance, 8 transfer; every
 *   run trains through the library's loop (train_run) with this file's forward and loss
 *   (region train). --bench (bench.c): the conv ladder, then training images/s vs PyTorch.
 * The ops, layers and the conv ladder live in common/ (ops/, nn/, kernels/conv.c).
 * Shapes (NCHW): images x (B, 1, 28, 28); conv weight (C_out, C_in, KH, KW); logits (B, 10).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
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
#include "train/chapter.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

#define IMG 28                 // MNIST and Fashion-MNIST images are 28×28, one channel
#define N_CLASSES 10
#define MAX_EPOCHS 50
#define EVAL_BATCH 250         // evaluation batch: activations of 250 images fit in ~60 MB

static const char *const FASHION_NAMES[N_CLASSES] = {
    "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"};

// region: why_cnn
// A dense layer connects every input to every unit: in·out + out parameters; a conv layer
// slides one small kernel over the image: (K·K·C_in + 1)·C_out, whatever the image size.
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
typedef struct SizeCase { const char *name; int k, stride, pad; } SizeCase;

static const SizeCase SIZE_CASES[] = {
    {"same (K=3, S=1, P=1)", 3, 1, 1}, {"valid (K=3, S=1, P=0)", 3, 1, 0},
    {"K=2, S=2, P=0", 2, 2, 0}, {"K=5, S=1, P=2", 5, 1, 2}, {"K=3, S=2, P=1", 3, 2, 1},
};
#define N_SIZE_CASES (int)(sizeof SIZE_CASES / sizeof SIZE_CASES[0])

// Conv2d(c_in → c_out, k, stride, pad) on a zero image (1, img_c, 28, 28): the output's width.
int conv_demo_width(int img_c, int c_in, int c_out, int k, int stride, int pad, Rng *rng,
                    char *shape, size_t shape_len)
{
    Model m;   // the demos' arenas and tape
    model_init(&m, "04_cnn/demo");
    tape_set_recording(&m.tp, false);
    Conv2d c;
    conv2d_init(&c, &m.params, c_in, c_out, k, stride, pad, INIT_TORCH_DEFAULT, rng, NULL);
    Tensor *y = conv2d_forward(&m.tp, &c, tensor_new(&m.params, 4, (int[]){1, img_c, IMG, IMG}));
    if (shape) tensor_shape_str(y, shape, shape_len);
    int w = y->shape[3];
    model_free(&m);
    return w;
}

void output_size_section(const int *user, Rng *rng, Metrics *m)
{
    printf("W_out = floor((W_in - K + 2P)/S) + 1, W_in = 28; the formula against op_conv2d on a "
           "(1, 1, 28, 28) zero image:\n  %-24s %8s %18s\n", "case", "formula", "layer output");
    bool all_ok = true;
    char shape[64];
    for (int i = 0; i < N_SIZE_CASES; i++) {
        const SizeCase *c = &SIZE_CASES[i];
        int f = conv_out_size(IMG, c->k, c->stride, c->pad);
        int w = conv_demo_width(1, 1, 1, c->k, c->stride, c->pad, rng, shape, sizeof shape);
        all_ok = all_ok && f == w;
        printf("  %-24s %8d %18s%s\n", c->name, f, shape, f == w ? "" : "  MISMATCH");
        metrics_setf(m, w, "outsize_case%d", i + 1);
    }
    printf("  max-pooling 2x2, stride 2 is the same formula with P = 0: 28 -> %d -> %d\n",
           conv_out_size(IMG, 2, 2, 0), conv_out_size(conv_out_size(IMG, 2, 2, 0), 2, 2, 0));
    metrics_set(m, "outsize_all_match", all_ok);
    if (user) {   // --conv-k/--conv-stride/--conv-pad/--conv-in: the user's own layer
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
    Model md;   // x in md.params; the ops' outputs on md.tp's arena, rewound by tape_reset
    model_init(&md, "04_cnn/demo");
    Tape *tp = &md.tp;
    static const float X[16] = {1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 3, 3, 2, 6, 1, 0};
    Tensor *x = tensor_param(&md.params, 4, (int[]){1, 1, 4, 4}, "x");
    tensor_copy_from(x, X, 16);
    // max pool: dL/dy = 1 everywhere, so dx shows where each window's maximum was
    Tensor *y = op_maxpool2d(tp, x, 2, 2);
    tape_backward(tp, op_sum(tp, y));
    printf("max-pooling 2x2, stride 2, on a 4x4 input; backward of sum(y) routes each dy to the "
           "arg-max kept by forward (first max on ties):\n");
    print_grid("x", x->data, 4, 4);
    print_grid("y = max", y->data, 2, 2);
    print_grid("dL/dx", x->grad, 4, 4);
    double gsum = 0, nz = 0;
    for (int i = 0; i < 16; i++) { gsum += x->grad[i]; nz += x->grad[i] != 0; }
    metrics_set(m, "maxpool_grad_sum", gsum);
    metrics_set(m, "maxpool_grad_nonzero", nz);
    tensor_zero_grad(x);
    tape_reset(tp);
    Tensor *ya = op_avgpool2d(tp, x, 2, 2);
    tape_backward(tp, op_sum(tp, ya));
    printf("average pooling: every input of a window gets dy/(k·k):\n");
    print_grid("y = mean", ya->data, 2, 2);
    print_grid("dL/dx", x->grad, 4, 4);
    metrics_set(m, "avgpool_y0", ya->data[0]);
    metrics_set(m, "avgpool_grad", x->grad[0]);
    tape_reset(tp);
    Tensor *g = op_global_avgpool(tp, x);
    char s1[64], s2[64];
    printf("global average pooling %s -> %s: %.4f (the mean of all 16 values; no parameters, "
           "any input size)\n", tensor_shape_str(x, s1, sizeof s1),
           tensor_shape_str(g, s2, sizeof s2), (double)g->data[0]);
    metrics_set(m, "global_avgpool", g->data[0]);
    model_free(&md);
}

void batchnorm2d_demo(Rng *rng, Metrics *m)
{
    Model md;
    model_init(&md, "04_cnn/demo");
    Tape *tp = &md.tp;
    tape_set_recording(tp, false);
    enum { B = 8, C = 3, H = 5, W = 5 };
    static const float MU[C] = {2.0f, -1.0f, 0.5f}, SD[C] = {3.0f, 0.5f, 1.0f};
    Tensor *x = tensor_new(&md.params, 4, (int[]){B, C, H, W});
    for (int n = 0; n < B; n++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H * W; i++)
                x->data[((size_t)n * C + c) * H * W + i] = MU[c] + SD[c] * rng_normal(rng);
    BatchNorm bn;
    batchnorm_init(&bn, &md.params, C, NULL);
    Tensor *y = batchnorm2d_forward(tp, &bn, x, true);
    printf("BatchNorm2d on x (%d, %d, %d, %d), channel c drawn from N(mu_c, sd_c²); statistics per "
           "channel over B·H·W = %d values:\n  %-3s %8s %8s | %10s %10s | %13s %12s\n", B, C, H,
           W, B * H * W, "c", "mu_c", "sd_c", "train mean", "train var", "running mean",
           "running var");
    double worst_mean = 0, worst_var = 0;
    for (int c = 0; c < C; c++) {
        double s = 0, s2 = 0;
        for (int n = 0; n < B; n++)
            for (int i = 0; i < H * W; i++) {
                double v = y->data[((size_t)n * C + c) * H * W + i];
                s += v;
                s2 += v * v;
            }
        double mean = s / (B * H * W), var = s2 / (B * H * W) - mean * mean;
        worst_mean = fmax(worst_mean, fabs(mean));
        worst_var = fmax(worst_var, fabs(var - 1));
        printf("  %-3d %8.2f %8.2f | %10.2e %10.6f | %13.4f %12.4f\n", c, (double)MU[c],
               (double)SD[c], mean, var, (double)bn.running_mean[c], (double)bn.running_var[c]);
    }
    // eval mode uses the running statistics: after one step they are 0.9·(0, 1) + 0.1·batch
    Tensor *ye = batchnorm2d_forward(tp, &bn, x, false);
    double se = 0;
    for (int n = 0; n < B; n++)
        for (int i = 0; i < H * W; i++) se += ye->data[((size_t)n * C + 0) * H * W + i];
    printf("  train mode: every channel has mean 0, variance 1 - eps-ish (biased, ÷B·H·W); the "
           "running statistics moved 10%% toward the batch's (momentum 0.1).\n  eval mode "
           "normalises with those running statistics instead: channel 0's mean is then %.3f, not "
           "0 — a model needs many training steps before eval mode matches.\n", se / (B * H * W));
    metrics_set(m, "bn2d_train_max_abs_mean", worst_mean);
    metrics_set(m, "bn2d_train_max_var_err", worst_var);
    metrics_set(m, "bn2d_running_mean_c0", bn.running_mean[0]);
    metrics_set(m, "bn2d_eval_mean_c0", se / (B * H * W));
    model_free(&md);
}

void dropout_demo(Rng *rng, Metrics *m)
{
    Model md;
    model_init(&md, "04_cnn/demo");
    tape_set_recording(&md.tp, false);
    Tensor *x = tensor_new(&md.params, 4, (int[]){4, 32, 14, 14});
    tensor_fill(x, 1.0f);
    printf("dropout on %zu ones (train mode): ", x->size);
    const float ps[2] = {0.25f, 0.5f};
    for (int i = 0; i < 2; i++) {
        Tensor *y = op_dropout(&md.tp, x, ps[i], rng, true);
        double zeros = 0, sum = 0;
        for (size_t j = 0; j < y->size; j++) { zeros += y->data[j] == 0; sum += y->data[j]; }
        printf("p = %.2f zeroes %.4f of them, the rest become %.4f, mean %.4f;%s", (double)ps[i],
               zeros / y->size, 1.0 / (1.0 - ps[i]), sum / y->size,
               i == 0 ? " " : "\n");
        metrics_setf(m, zeros / y->size, "dropout_p%02d_zero_frac", (int)(ps[i] * 100));
    }
    printf("  eval mode returns x itself (inverted dropout: the 1/(1-p) scaling is done in "
           "training).\n");
    model_free(&md);
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

/* The conv blocks, Conv → BN → ReLU → MaxPool → Dropout twice: x (B, 1, 28, 28) → (B, 3136);
 * maps (if not NULL) gets the post-ReLU maps (B, 32, 28, 28) and (B, 64, 14, 14). BN and ReLU
 * are one fused op (batchnorm2d_relu_forward: op_relu(batchnorm2d_forward(…))'s numbers). */
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

/* A DigitCNN in a Model (train/model.h: arenas, tape, parameters and BN buffers by name,
 * "conv1.conv2d.w", …) named "04_cnn/<run>", the name its checkpoints carry. */
typedef struct CnnModel {
    Model m;
    DigitCNN net;
    Params head;            // fc1, fc2 only: what the frozen-feature transfer trains
} CnnModel;

void cnn_model_init(CnnModel *md, const char *run, Rng *rng)
{
    char name[DL_MODEL_NAME];
    snprintf(name, sizeof name, "04_cnn/%s", run);
    model_init(&md->m, name);
    Arena *a = &md->m.params;
    Params *p = &md->m.p;
    DigitCNN *n = &md->net;
    // nn.Conv2d / nn.Linear's default initialisation, as the PyTorch comparison uses
    params_scope(p, "conv1");
    conv2d_init(&n->c1, a, 1, 32, 3, 1, 1, INIT_TORCH_DEFAULT, rng, p);
    params_scope(p, "bn1");
    batchnorm_init(&n->bn1, a, 32, p);
    params_scope(p, "conv2");
    conv2d_init(&n->c2, a, 32, 64, 3, 1, 1, INIT_TORCH_DEFAULT, rng, p);
    params_scope(p, "bn2");
    batchnorm_init(&n->bn2, a, 64, p);
    params_scope(p, "fc1");
    linear_init(&n->fc1, a, FLAT_DIM, 128, INIT_TORCH_DEFAULT, rng, p);
    params_scope(p, "fc2");
    linear_init(&n->fc2, a, 128, N_CLASSES, INIT_TORCH_DEFAULT, rng, p);
    params_scope(p, NULL);
    params_init(&md->head, a);
    Tensor *head[4] = {n->fc1.w, n->fc1.b, n->fc2.w, n->fc2.b};
    for (int i = 0; i < 4; i++) params_add(&md->head, head[i]);
    n->p_conv = 0.25f;
    n->p_fc = 0.5f;
}

/* Section 3's table: the DigitCNN block by block, parameters counted from its tensors. */
void block_section(uint64_t seed, Metrics *m)
{
    Rng rng;
    rng_seed(&rng, seed);
    CnnModel md;
    cnn_model_init(&md, "digitcnn", &rng);
    const DigitCNN *n = &md.net;
    const struct { const char *name, *key; size_t count; } rows[6] = {
        {"conv1 (1→32, 3x3)", "params_conv1", n->c1.w->size + n->c1.b->size},
        {"bn1 (γ, β)", "params_bn1", 2 * (size_t)n->bn1.C},
        {"conv2 (32→64, 3x3)", "params_conv2", n->c2.w->size + n->c2.b->size},
        {"bn2 (γ, β)", "params_bn2", 2 * (size_t)n->bn2.C},
        {"fc1 (3136→128)", "params_fc1", n->fc1.w->size + n->fc1.b->size},
        {"fc2 (128→10)", "params_fc2", n->fc2.w->size + n->fc2.b->size}};
    size_t conv = 0, fc = 0;
    printf("DigitCNN, block by block (Conv -> BN -> ReLU -> MaxPool -> Dropout), parameters "
           "counted from its tensors:\n");
    for (int i = 0; i < 6; i++) {
        printf("  %-20s %9zu\n", rows[i].name, rows[i].count);
        metrics_set(m, rows[i].key, (double)rows[i].count);
        if (i < 4) conv += rows[i].count; else fc += rows[i].count;
    }
    printf("  conv blocks %zu (%.1f%%), classifier %zu (%.1f%%), total %zu; formula check: "
           "conv1 (3·3·1 + 1)·32 = %lld, conv2 (3·3·32 + 1)·64 = %lld\n", conv,
           100.0 * conv / (conv + fc), fc, 100.0 * fc / (conv + fc), conv + fc,
           conv_params(3, 1, 32), conv_params(3, 32, 64));
    printf("  dropout 0.25 after the conv blocks (few, shared weights; neighbouring pixels are "
           "correlated, so dropping one hides little), 0.5 in the classifier, where %.0f%% of "
           "the parameters — and the over-fitting — are\n", 100.0 * fc / (conv + fc));
    metrics_set(m, "params_total", (double)(conv + fc));
    model_free(&md.m);
}
// endregion

// region: train
// Every run trains through the library's loop (common/train/loop.h, train_run: batches, zero
// grads, forward, loss, divergence check, backward, Adam, tape_reset, evaluation, keep_best,
// checkpoints). One CnnRun (sections 5–8, the bench, the tests) is a fresh DigitCNN
// "04_cnn/<name>" from `seed` (conv blocks copied from `features`: transfer) that cnn_run trains
// by the chapter's recipe — Adam at lr, cosine-decayed to lr/20, batch 64, shuffled or drawn
// by sample_weight — with the forward and loss below, then evaluates on test (if not NULL)
// into e, with detail (eval_free it).
typedef struct CnnRun {
    const char *name, *label;     // the model's name, and the run's on the progress bar
    uint64_t seed;                // init, batch order, augmentation and dropout draw from it
    int epochs; long max_steps;   // max_steps 0: no limit
    float lr, aug_shift, aug_deg; // augmentation of the training batches (0, 0: none)
    const float *class_weight;    // (10) class-weighted cross-entropy (cnn_loss), or NULL
    const float *sample_weight;   // (tr->n) draw batches with P(i) ∝ sample_weight[i], or NULL
    const CnnModel *features;     // copy these conv blocks first, or NULL
    bool frozen;                  // train the head only, on features computed in eval mode
    const Dataset *val;           // evaluated before training and after every epoch, or NULL
    Metrics *metrics; const char *prefix;   // per-epoch keys <prefix>_…_epoch_<n>, or NULL
    bool main;                    // the main run: printed, best epoch kept, --save writes it
    const Cli *cli;               // Ctrl-C, --save, --resume (NULL: no checkpoints)
    CnnModel *keep;               // not NULL: receives the trained model (model_free its m)
    TrainLog *log;                // not NULL: receives the log (train_log_free it)
    CnnModel *md;                 // the model being trained (cnn_run sets it)
    double train_loss, seconds;   // out: the last epoch's mean training loss, training time
} CnnRun;

// A batch's rows (B, 784) as images (B, 1, 28, 28): a view, no copy.
static Tensor *batch_images(Tape *tp, const Batch *b)
{
    return op_reshape(tp, batch_input(tp, b), 4, (int[]){b->B, 1, IMG, IMG});
}

/* The DigitCNN as train_run and eval_classifier call it (a ForwardFn; net is a CnnRun). In
 * training the batch is first augmented when the run asks (a shift and rotation per image,
 * drawn from rng before the dropout masks) into step-arena scratch; a frozen run computes the
 * features in eval mode with the tape not recording and records only the classifier. */
Tensor *cnn_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    const CnnRun *r = net;
    DigitCNN *n = &r->md->net;
    Batch in = *b;
    if (train && (r->aug_shift > 0 || r->aug_deg > 0)) {
        in.x = arena_alloc_uninit(tp->arena, (size_t)b->B * b->dim * sizeof(float));
        augment_shift_rotate(b->x, in.x, b->B, IMG, IMG, r->aug_shift, r->aug_deg, rng);
    }
    Tensor *x = batch_images(tp, &in);
    if (!(train && r->frozen))
        return digitcnn_head(tp, n, digitcnn_features(tp, n, x, train, rng, NULL), train, rng);
    tape_set_recording(tp, false);
    Tensor *f = digitcnn_features(tp, n, x, false, NULL, NULL);
    tape_set_recording(tp, true);
    return digitcnn_head(tp, n, f, true, rng);
}

/* The loss of a run with class weights (TrainTask.loss): Σ_i w[y_i]·CE_i / Σ_i w[y_i]. */
static Tensor *cnn_loss(void *net, Tape *tp, Tensor *out, const Batch *b)
{
    return op_cross_entropy_weighted(tp, out, b->y, ((const CnnRun *)net)->class_weight);
}

void cnn_run(CnnRun *r, const Dataset *tr, const Dataset *test, ClassifierEval *e)
{
    Rng rng;
    rng_seed(&rng, r->seed);
    CnnModel own;
    r->md = r->keep ? r->keep : &own;
    cnn_model_init(r->md, r->name, &rng);
    const Params *f = r->features ? &r->features->m.p : NULL, *p = &r->md->m.p;
    for (int i = 0; f && i < f->n; i++)   // transfer: every parameter but the head's, and
        if (strncmp(f->names[i], "fc", 2) != 0)   // every buffer (BN running statistics)
            tensor_copy_from(p->items[i], f->items[i]->data, f->items[i]->size);
    for (int i = 0; f && i < f->n_buffers; i++)
        memcpy(p->buffers[i].data, f->buffers[i].data, f->buffers[i].n * sizeof(float));
    Batcher bt;
    if (r->sample_weight) batcher_init_weighted(&bt, tr, 64, r->sample_weight, &rng);
    else batcher_init(&bt, tr, 64, true, &rng);
    TrainConfig tc = {.label = r->label, .epochs = r->epochs, .max_steps = r->max_steps,
                      .opt = optim_defaults(OPT_ADAM), .val = r->val, .eval_batch = EVAL_BATCH,
                      .eval_before = r->main, .keep_best = r->main, .print = r->main,
                      .metrics = r->metrics, .prefix = r->prefix, .cli = r->cli, .save = r->main,
                      .schedule = {.kind = SCHED_COSINE, .min_lr = r->lr / 20,
                                   .total_steps = r->epochs * bt.src.steps_per_epoch}};
    tc.opt.lr = r->lr;
    TrainTask task = {&r->md->m, r, cnn_forward, r->class_weight ? cnn_loss : NULL,
                      r->frozen ? &r->md->head : NULL};
    TrainLog log;
    train_run(&task, &bt.src, &tc, &rng, &log);
    if (test) eval_classifier(&r->md->m, r, cnn_forward, test, EVAL_BATCH, true, e);
    r->train_loss = log.train_loss[log.epochs_run];
    r->seconds = log.seconds[log.epochs_run];
    if (r->log) *r->log = log;
    else train_log_free(&log);
    batcher_free(&bt);
    if (!r->keep) model_free(&r->md->m);
    r->md = r->keep;
}

/* For bench.c's throughput: a fresh DigitCNN trained on tr by the recipe for max_steps steps
 * (no evaluation, no checkpoints); log receives the step times (train_log_free it). */
void digitcnn_train_steps(const Dataset *tr, long max_steps, uint64_t seed, TrainLog *log)
{
    const long spe = (tr->n + 63) / 64;
    CnnRun r = {.name = "bench", .label = "timing", .seed = seed, .max_steps = max_steps,
                .epochs = (int)((max_steps + spe - 1) / spe), .lr = 1e-3f, .log = log};
    cnn_run(&r, tr, NULL, NULL);
}
// endregion

// region: digit_cnn
// The main run: DigitCNN on the training images minus a validation split, the best epoch's
// weights kept; then the test set, curves, confusion matrix, filters, maps and mistakes.
void main_section(Chapter *ch, CnnModel *md, const Dataset *tr, const Dataset *val,
                  const Dataset *test, int epochs, float lr, bool augment)
{
    Metrics *mt = &ch->metrics;
    const char *out = ch->cli.out_dir;
    const char *const *names = strcmp(test->name, "fashion-mnist") == 0 ? FASHION_NAMES : NULL;
    printf("DigitCNN: %s: %d training / %d validation / %d test images; Adam lr %g (cosine to "
           "%g), batch 64, %d epochs%s; the weights of the best validation epoch are kept\n",
           tr->name, tr->n, val->n, test->n, (double)lr, (double)lr / 20, epochs,
           augment ? ", augmented" : "");
    TrainLog log;
    ClassifierEval e;
    CnnRun r = {.name = "digitcnn", .label = "DigitCNN", .seed = ch->cli.seed, .epochs = epochs,
                .lr = lr, .aug_shift = augment ? 2.0f : 0, .aug_deg = augment ? 10.0f : 0,
                .val = val, .metrics = mt, .prefix = "main", .main = true, .cli = &ch->cli,
                .keep = md, .log = &log};
    cnn_run(&r, tr, test, &e);
    printf("  TEST (%d images, weights of epoch %d): loss %.4f, accuracy %.2f%%  (training "
           "%.1f s, %.0f images/s)\n", test->n, log.best_epoch, e.loss, e.acc_pct, r.seconds,
           log.steps * 64.0 / r.seconds);
    // the loss at a few steps: what the golden test checks tightly (a wrong gradient moves it)
    static const int STEPS[12] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4000};
    for (int i = 0; i < 12 && STEPS[i] <= log.steps; i++)
        metrics_setf(mt, log.step_loss[STEPS[i] - 1], "main_loss_step_%d", STEPS[i]);
    metrics_set(mt, "main_best_epoch", log.best_epoch);
    metrics_set(mt, "main_val_loss", log.val_loss[log.best_epoch]);
    metrics_set(mt, "main_val_acc_pct", log.val_acc_pct[log.best_epoch]);
    metrics_set(mt, "main_test_loss", e.loss);
    metrics_set(mt, "main_test_acc_pct", e.acc_pct);
    metrics_set(mt, "main_train_s", r.seconds);
    train_log_plot(&log, out, "loss", "accuracy", "DigitCNN: cross-entropy, accuracy", true);
    eval_plot_confusion(&e, out, "confusion", "DigitCNN confusion matrix, test set");
    ClassScores sc[N_CLASSES];
    eval_class_scores(&e, sc);
    int worst = 0, ti = 0, tj = 1;   // the lowest recall, the most frequent confusion
    for (int i = 0; i < N_CLASSES; i++) {
        worst = sc[i].recall < sc[worst].recall ? i : worst;
        for (int j = 0; j < N_CLASSES; j++)
            if (i != j && e.confusion[i * N_CLASSES + j] > e.confusion[ti * N_CLASSES + tj])
                ti = i, tj = j;
    }
    printf("  lowest recall: class %d (%s) %.2f%%; most frequent confusion: %d taken for %d (%d "
           "times) — confusion.png\n", worst, names ? names[worst] : "digit",
           100 * sc[worst].recall, ti, tj, e.confusion[ti * N_CLASSES + tj]);
    metrics_set(mt, "main_min_class_recall", sc[worst].recall);
    // what the layers learned: conv1's filters, the feature maps of test image 0; the mistakes
    plot_image_grid(out, "filters_conv1", "conv1: the 32 learned 3x3 filters",
                    md->net.c1.w->data, 32, 3, 3, 8, true, NULL);
    Tape *tp = &md->m.tp;
    tape_set_recording(tp, false);
    Batch one = {.B = 1, .dim = test->dim, .x = test->x, .y = test->y};
    Tensor *maps[2];
    digitcnn_features(tp, &md->net, batch_images(tp, &one), false, NULL, maps);
    char title[128];
    for (int k = 0; k < 2; k++) {
        snprintf(title, sizeof title, "Feature maps after conv%d-BN-ReLU of test image 0 (class "
                 "%d)", k + 1, test->y[0]);
        plot_image_grid(out, k ? "fmaps_conv2" : "fmaps_conv1", title, maps[k]->data,
                        maps[k]->shape[1], maps[k]->shape[2], maps[k]->shape[3], 8, true, NULL);
    }
    double active = 0;
    for (size_t i = 0; i < maps[1]->size; i++) active += maps[1]->data[i] > 0;
    metrics_set(mt, "fmaps_conv2_active_frac", active / maps[1]->size);
    tape_reset(tp);
    tape_set_recording(tp, true);
    int shown, wrong = eval_plot_mistakes(&e, test, names, 36, out, "misclassified", &shown);
    printf("  %d test images misclassified (misclassified.png shows %d); filters_conv1.png, "
           "fmaps_conv1.png, fmaps_conv2.png\n", wrong, shown);
    metrics_set(mt, "main_test_wrong", wrong);
    eval_free(&e);
    train_log_free(&log);
}
// endregion

// region: augmentation
// The same images, the same epochs, with and without random shifts and rotations of the
// training batches (data/augment.h, inside cnn_forward); test accuracy of both.
void augmentation_section(Chapter *ch, const Dataset *train_all, const Dataset *test)
{
    const bool q = ch->cli.quick;
    const int epochs = q ? 1 : ch->cli.full ? 8 : 3;
    const float shift = 2.0f, deg = 10.0f;
    Dataset sub;
    dataset_slice(train_all, 0, q ? 256 : 5000, &sub);
    // what the network sees: 8 training images and one random transform of each
    static float show[16 * IMG * IMG];
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    memcpy(show, sub.x, 8 * IMG * IMG * sizeof(float));
    augment_shift_rotate(sub.x, show + 8 * IMG * IMG, 8, IMG, IMG, shift, deg, &rng);
    plot_image_grid(ch->cli.out_dir, "augment_examples", "Top: training images; bottom: shifted "
                    "(±2 px) and rotated (±10°)", show, 16, IMG, IMG, 8, false, NULL);
    printf("%d training images, %d epochs each, batch 64, Adam 1e-3 (cosine); augmentation: shift "
           "U(±%g px), rotation U(±%g°), training batches only:\n", sub.n, epochs,
           (double)shift, (double)deg);
    double acc[2];
    for (int a = 0; a < 2; a++) {
        CnnRun r = {.name = a ? "aug_on" : "aug_off", .label = a ? "augmented run" : "plain run",
                    .seed = ch->cli.seed, .epochs = epochs, .lr = 1e-3f,
                    .aug_shift = a ? shift : 0, .aug_deg = a ? deg : 0, .cli = &ch->cli};
        ClassifierEval e;
        cnn_run(&r, &sub, test, &e);
        acc[a] = e.acc_pct;
        printf("  %-16s final train loss %.4f, TEST accuracy %.2f%%  (%.1f s)\n",
               a ? "with augment." : "without", r.train_loss, acc[a], r.seconds);
        metrics_setf(&ch->metrics, acc[a], "%s_test_acc_pct", r.name);
        metrics_setf(&ch->metrics, r.train_loss, "%s_train_loss", r.name);
        eval_free(&e);
    }
    printf("  augmentation changed test accuracy by %+.2f points (the training loss is higher: "
           "the task got harder; augment_examples.png)\n", acc[1] - acc[0]);
    dataset_free(&sub);
}
// endregion

// region: imbalance
// Some classes have only ~1.5 % as many training images as the others. Three cures compared
// by per-class recall on the (balanced) test set: nothing, class-weighted cross-entropy with
// w_c ∝ 1/count_c (cnn_loss), and a sampler that draws example i with P ∝ 1/count(y_i)
// (batcher_init_weighted).
static const int RARE[3] = {2, 5, 8};

void imbalance_section(Chapter *ch, const Dataset *tr, const Dataset *test)
{
    const bool q = ch->cli.quick;
    const int per_class = q ? 100 : 400, rare_n = q ? 10 : 6;
    const int epochs = q ? 2 : ch->cli.full ? 6 : 3;
    int want[N_CLASSES], counts[N_CLASSES];
    for (int k = 0; k < N_CLASSES; k++) want[k] = per_class;
    for (int i = 0; i < 3; i++) want[RARE[i]] = rare_n;
    Dataset sub;
    dataset_subsample_per_class(tr, want, &sub);
    dataset_class_counts(&sub, counts);
    float cw[N_CLASSES], *sw = dl_malloc((size_t)sub.n * sizeof *sw, "sampler weights");
    double wsum = 0;
    for (int k = 0; k < N_CLASSES; k++) wsum += 1.0 / counts[k];
    for (int k = 0; k < N_CLASSES; k++) cw[k] = (float)(N_CLASSES / (counts[k] * wsum));
    for (int i = 0; i < sub.n; i++) sw[i] = 1.0f / (float)counts[sub.y[i]];
    printf("imbalanced training set: %d images; per class:", sub.n);
    for (int k = 0; k < N_CLASSES; k++) printf(" %d", counts[k]);
    printf(" (classes 2, 5, 8 at %.1f%% of the others)\n  class weights (∝ 1/count, mean 1): "
           "common %.3f, rare %.3f; %d epochs, batch 64, Adam 1e-3\n", 100.0 * rare_n / per_class,
           (double)cw[0], (double)cw[RARE[0]], epochs);
    static const char *NAMES[3] = {"imb_plain", "imb_weighted_ce", "imb_sampler"};
    static float table[3 * N_CLASSES];
    printf("  %-12s %8s %10s  recall per class 0..9 on the test set\n", "loss", "accuracy",
           "rare mean");
    for (int r = 0; r < 3; r++) {
        const char *name = NAMES[r], *label = name + 4;
        CnnRun run = {.name = name, .label = label, .seed = ch->cli.seed, .epochs = epochs,
                      .lr = 1e-3f, .class_weight = r == 1 ? cw : NULL,
                      .sample_weight = r == 2 ? sw : NULL, .cli = &ch->cli};
        ClassifierEval e;
        cnn_run(&run, &sub, test, &e);
        ClassScores sc[N_CLASSES];
        eval_class_scores(&e, sc);
        double rare = 0;
        for (int i = 0; i < 3; i++) rare += sc[RARE[i]].recall / 3;
        printf("  %-12s %7.2f%% %9.2f%% ", label, e.acc_pct, 100 * rare);
        for (int k = 0; k < N_CLASSES; k++) {
            printf(" %5.1f%s", 100 * sc[k].recall, k == N_CLASSES - 1 ? "\n" : "");
            table[r * N_CLASSES + k] = (float)sc[k].recall;
        }
        metrics_setf(&ch->metrics, e.acc_pct, "%s_test_acc_pct", name);
        metrics_setf(&ch->metrics, rare, "%s_rare_recall", name);
        eval_free(&e);
    }
    plot_heatmap(ch->cli.out_dir, "imbalance_recall", "Per-class test recall (rows: 0 plain, "
                 "1 weighted CE, 2 sampler)", "class", "method", table, 3, N_CLASSES);
    free(sw);
    dataset_free(&sub);
}
// endregion

// region: transfer
// The conv blocks trained on one data set, reused on the other with only a small labelled
// slice: frozen features + a new classifier, full fine-tuning at a small learning rate, and
// the same network from scratch.
void transfer_section(Chapter *ch, const CnnModel *pre, const char *src_name)
{
    static const struct { const char *name, *what; bool copy, frozen; float lr; } RUNS[3] = {
        {"transfer_frozen", "frozen features + new head", true, true, 1e-3f},
        {"transfer_finetune", "fine-tune all, small lr", true, false, 2e-4f},
        {"transfer_scratch", "from scratch", false, false, 1e-3f},
    };
    const bool q = ch->cli.quick, to_mnist = strcmp(src_name, "fashion-mnist") == 0;
    const char *dir = ch->cli.data_dir, *other = to_mnist ? "mnist" : "fashion";
    Dataset o_train, o_test, small, te;
    char err[600];
    if (!image_dataset_load(dir, other, true, &o_train, err, sizeof err) ||
        !image_dataset_load(dir, other, false, &o_test, err, sizeof err)) {
        dataset_free(&o_train);   // zeroed by a failed load: free(NULL) then
        printf("skipped: %s is needed as the target data set and is missing (%s).\n  `make data` "
               "gets both MNIST and Fashion-MNIST; Fashion-MNIST also comes from Debian's "
               "dataset-fashion-mnist package.\n", to_mnist ? "MNIST" : "Fashion-MNIST", err);
        metrics_set(&ch->metrics, "transfer_skipped", 1);
        return;
    }
    dataset_slice(&o_train, 0, q ? 256 : 1000, &small);
    dataset_slice(&o_test, 0, q ? 1000 : o_test.n, &te);
    dataset_free(&o_train), dataset_free(&o_test);
    const int epochs = q ? 2 : 8;
    printf("%s conv blocks -> %s: %d labelled training images, %d epochs, batch 64, Adam "
           "(cosine); test on %d images\n  %-28s %8s %12s %10s\n", src_name, small.name, small.n,
           epochs, te.n, "run", "lr", "train loss", "TEST acc");
    for (int r = 0; r < 3; r++) {
        CnnRun run = {.name = RUNS[r].name, .label = RUNS[r].name + 9, .seed = ch->cli.seed + 1,
                      .epochs = epochs, .lr = RUNS[r].lr, .cli = &ch->cli,
                      .features = RUNS[r].copy ? pre : NULL, .frozen = RUNS[r].frozen};
        ClassifierEval e;
        cnn_run(&run, &small, &te, &e);
        printf("  %-28s %8g %12.4f %9.2f%%\n", RUNS[r].what, (double)RUNS[r].lr, run.train_loss,
               e.acc_pct);
        metrics_setf(&ch->metrics, e.acc_pct, "%s_test_acc_pct", run.name);
        eval_free(&e);
    }
    metrics_set(&ch->metrics, "transfer_skipped", 0);
    dataset_free(&small), dataset_free(&te);
}
// endregion

#ifndef NO_MAIN
// region: main
// bench.c: section 4 (the conv ladder on the DigitCNN layers) and --bench
void conv_timing_section(int batch, double budget, uint64_t seed, Metrics *m);
void bench_run(const Cli *cli);

// The flags, checked before any work (exit 2 naming the flag); the --conv-* layer runs in 2.
static bool check_flags(float lr, int epochs, int *user)
{
    if (!(lr > 0) || !isfinite(lr))
        dl_die_status(DL_EXIT_USAGE, "--lr must be a positive finite number, got %g", (double)lr);
    if (epochs < 0 || epochs > MAX_EPOCHS)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in 1..%d (0: default), got %d", MAX_EPOCHS,
                      epochs);
    if (user[0] == -1 && user[1] == -1 && user[2] == -1 && user[3] == -1) return false;
    static const int DEF[4] = {3, 1, 0, 1};
    for (int i = 0; i < 4; i++) user[i] = user[i] == -1 ? DEF[i] : user[i];
    ConvShape s;
    const char *e = conv_shape_init(&s, 1, 1, IMG, IMG, 8, user[0], user[0], user[1], user[2]);
    if (e)
        dl_die_status(DL_EXIT_USAGE, "--conv-k %d --conv-stride %d --conv-pad %d on a 1x28x28 "
                      "image: %s", user[0], user[1], user[2], e);
    if (user[3] < 1)
        dl_die_status(DL_EXIT_USAGE, "--conv-in must be >= 1 (input channels), got %d", user[3]);
    return true;
}

int main(int argc, char **argv)
{
    float lr = 1e-3f;
    int epochs = 0, user[4] = {-1, -1, -1, -1};   // --conv-k, -stride, -pad, -in
    bool augment = false;
    const CliExtra extras[] = {
        {"lr", 'f', &lr, 0, "Adam learning rate of the main run (cosine-decayed to lr/20)"},
        {"epochs", 'i', &epochs, 0, "main run; 0: 5 (MNIST), 10 (Fashion), 2 --quick, 12 --full"},
        {"augment", 'b', &augment, 0, "augment the main run's batches too (±2 px, ±10°)"},
        {"conv-k", 'i', &user[0], 0, "section 2 also runs your Conv2d with this kernel size on a "
                                     "1x28x28 image (-1: no; 3 when another --conv-* is given)"},
        {"conv-stride", 'i', &user[1], 0, "its stride (-1: 1)"},
        {"conv-pad", 'i', &user[2], 0, "its zero padding (-1: 0)"},
        {"conv-in", 'i', &user[3], 0, "its input channels (-1: 1; another shows the mismatch)"},
    };
    Chapter ch;
    chapter_begin(&ch, "04_cnn", argc, argv, "Chapter 4: convolutional networks — output sizes, "
                  "pooling, BatchNorm2d, DigitCNN on MNIST, augmentation, imbalance, transfer; "
                  "--bench: the conv ladder and training speed vs PyTorch", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    bool user_layer = check_flags(lr, epochs, user);
    if (cli->bench) {
        bench_run(cli);
        metrics_free(&ch.metrics);
        return 0;
    }
    // Data first (a missing file costs no time); validation: the end of the training file.
    Dataset train_all, test_all, tr, val, test;
    chapter_load_images(&ch, true, &train_all);
    chapter_load_images(&ch, false, &test_all);
    const bool q = cli->quick, fashion = strcmp(train_all.name, "fashion-mnist") == 0;
    if (epochs == 0) epochs = q ? 2 : cli->full ? 12 : fashion ? 10 : 5;
    dataset_split(&train_all, q ? 3200 : train_all.n - 5000, q ? 500 : 5000, &tr, &val);
    dataset_slice(&test_all, 0, q ? 1000 : test_all.n, &test);
    printf("data: %s from %s; %d thread(s), seed %llu, conv rung %s%s\n", train_all.name,
           cli->data_dir, threads_get(), (unsigned long long)cli->seed,
           ladder_selected(&CONV_LADDER)->name, q ? ", --quick" : "");
    Rng rng;   // the demos'; every training run seeds its own (cnn_run)
    rng_seed(&rng, cli->seed);

    chapter_section("1. Why convolutions: parameter counts");
    why_section(&ch.metrics);
    chapter_section("2. The output size of a conv layer");
    output_size_section(user_layer ? user : NULL, &rng, &ch.metrics);
    chapter_section("3. Pooling, BatchNorm2d, dropout and the standard block");
    pooling_demo(&ch.metrics);
    batchnorm2d_demo(&rng, &ch.metrics);
    dropout_demo(&rng, &ch.metrics);
    block_section(cli->seed, &ch.metrics);
    chapter_section("4. The conv ladder on the DigitCNN layers (kernel lesson)");
    conv_timing_section(q ? 2 : 64, q ? 0 : 0.3, cli->seed, &ch.metrics);
    chapter_section("5. DigitCNN on real data");
    CnnModel md;   // the main run's model: section 8 transfers its conv blocks
    main_section(&ch, &md, &tr, &val, &test, epochs, lr, augment);
    chapter_section("6. Data augmentation: shifts and rotations");
    augmentation_section(&ch, &train_all, &test);
    chapter_section("7. Class imbalance: plain, weighted cross-entropy, weighted sampler");
    imbalance_section(&ch, &tr, &test);
    chapter_section("8. Transfer learning");
    transfer_section(&ch, &md, train_all.name);

    model_free(&md.m);
    dataset_free(&tr), dataset_free(&val), dataset_free(&test);
    dataset_free(&train_all), dataset_free(&test_all);
    return chapter_end(&ch);
}
// endregion
#endif
