/* tests/test_ch04.c — chapter 4: the parameter-count and output-size formulas against the
 * layers, the DigitCNN's shapes, size and parameter names, snapshots and the transfer copy,
 * frozen training, thread-count independence of a training run, augmentation in the training
 * forward only, and a golden --quick run of the built program with its bad-input exits.
 *
 * Builds 04_cnn/cnn.c with -DNO_MAIN (by #including it) to test its functions; the golden
 * and error-path tests run the program itself (dl_chapter_bin). The conv, pooling and
 * BatchNorm2d ops themselves are checked against PyTorch in tests/test_cnn_ops.c.
 * Golden run: tests/fixtures/golden_ch04_<data>.tsv (first line: the command that made it).
 */
#include "testutil.h"
#include "golden.h"
#include "train/checkpoint.h"

#define NO_MAIN
#include "../04_cnn/cnn.c"

// ---- 1. formulas against the layers ----

START_TEST(test_parameter_counts_match_the_lecture)
{
    ck_assert(dense_params(224LL * 224 * 3, 1024) == 154141696LL);
    ck_assert(conv_params(3, 3, 32) == 896);
    ck_assert(conv_params(3, 1, 32) == 320);
    ck_assert(conv_params(3, 32, 64) == 18496);
    ck_assert(dense_params(3136, 128) == 401536);
    ck_assert(dense_params(128, 10) == 1290);
    // and the model built from nn/'s layers has exactly those tensors, named by layer
    Rng rng;
    rng_seed(&rng, 1);
    CnnModel md;
    cnn_model_init(&md, "test", &rng);
    ck_assert_str_eq(md.m.name, "04_cnn/test");
    ck_assert_uint_eq(md.net.c1.w->size + md.net.c1.b->size, 320);
    ck_assert_uint_eq(md.net.c2.w->size + md.net.c2.b->size, 18496);
    ck_assert_uint_eq(md.net.fc1.w->size + md.net.fc1.b->size, 401536);
    ck_assert_uint_eq(params_count(&md.m.p), 320 + 64 + 18496 + 128 + 401536 + 1290);
    ck_assert_uint_eq(params_count(&md.head), 401536 + 1290);
    ck_assert_int_eq(md.m.p.n, 12);
    ck_assert_int_eq(md.m.p.n_buffers, 4);   // running mean and variance of bn1 and bn2
    ck_assert_str_eq(md.m.p.names[0], "conv1.conv2d.w");
    ck_assert_str_eq(md.m.p.names[11], "fc2.linear.b");
    ck_assert_str_eq(md.m.p.buffers[2].name, "bn2.batchnorm.running_mean");
    model_free(&md.m);
}
END_TEST

START_TEST(test_output_size_formula_matches_conv_layers)
{
    Rng rng;
    rng_seed(&rng, 2);
    const int want[N_SIZE_CASES] = {28, 26, 14, 28, 14};   // the lecture's cases, by hand
    for (int i = 0; i < N_SIZE_CASES; i++) {
        const SizeCase *c = &SIZE_CASES[i];
        int w = conv_demo_width(1, 1, 1, c->k, c->stride, c->pad, &rng, NULL, 0);
        ck_assert_msg(w == want[i] && w == conv_out_size(IMG, c->k, c->stride, c->pad),
                      "%s: layer %d, formula %d, expected %d", c->name, w,
                      conv_out_size(IMG, c->k, c->stride, c->pad), want[i]);
    }
}
END_TEST

START_TEST(test_digitcnn_shapes)
{
    Rng rng;
    rng_seed(&rng, 3);
    CnnModel md;
    cnn_model_init(&md, "test", &rng);
    float *x = calloc(2 * IMG * IMG, sizeof(float));
    ck_assert_ptr_nonnull(x);
    Batch b = {.B = 2, .dim = IMG * IMG, .x = x};
    Tensor *maps[2];
    Tensor *f = digitcnn_features(&md.m.tp, &md.net, batch_images(&md.m.tp, &b), true, &rng, maps);
    const int m0[4] = {2, 32, 28, 28}, m1[4] = {2, 64, 14, 14};
    for (int d = 0; d < 4; d++) {
        ck_assert_int_eq(maps[0]->shape[d], m0[d]);
        ck_assert_int_eq(maps[1]->shape[d], m1[d]);
    }
    ck_assert_int_eq(f->ndim, 2);
    ck_assert_int_eq(f->shape[1], FLAT_DIM);
    Tensor *lg = digitcnn_head(&md.m.tp, &md.net, f, true, &rng);
    ck_assert_int_eq(lg->shape[0], 2);
    ck_assert_int_eq(lg->shape[1], N_CLASSES);
    free(x);
    model_free(&md.m);
}
END_TEST

// ---- 2. the chapter's training runs (cnn_run on train_run) ----

// n random "images" with labels from their mean brightness: learnable, no data files needed.
static void toy_dataset(Dataset *d, int n, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    dataset_alloc(d, "toy", n, IMG * IMG, N_CLASSES);
    d->rows = d->cols = IMG;
    for (int i = 0; i < n; i++) {
        d->y[i] = i % N_CLASSES;
        for (int j = 0; j < d->dim; j++)
            d->x[(size_t)i * d->dim + j] = rng_uniform(&r) * (0.2f + 0.08f * d->y[i]);
    }
}

// Loss and accuracy of md on d in eval mode (the chapter's forward through eval_classifier).
static ClassifierEval toy_eval(CnnModel *md, const Dataset *d)
{
    CnnRun view = {.md = md};
    ClassifierEval e;
    eval_classifier(&md->m, &view, cnn_forward, d, EVAL_BATCH, false, &e);
    return e;
}

// Restoring a snapshot (params_snapshot: parameters AND BN running statistics) restores the
// predictions exactly; training from the same seed starts from the same initialisation.
START_TEST(test_snapshot_restores_predictions)
{
    Dataset d;
    toy_dataset(&d, 40, 5);
    Rng rng;
    rng_seed(&rng, 4);
    CnnModel init, md;
    cnn_model_init(&init, "test", &rng);   // what cnn_run builds from seed 4, untrained
    size_t n = params_snapshot_size(&init.m.p);
    ck_assert_uint_eq(n, params_count(&init.m.p) + 2 * (32 + 64));
    float *buf = malloc(n * sizeof(float));
    ck_assert_ptr_nonnull(buf);
    params_snapshot(&init.m.p, buf);
    ClassifierEval e0 = toy_eval(&init, &d);
    CnnRun r = {.name = "test", .label = "test", .seed = 4, .epochs = 1, .lr = 1e-3f, .keep = &md};
    cnn_run(&r, &d, NULL, NULL);
    ck_assert_ptr_eq(r.md, &md);
    ClassifierEval e1 = toy_eval(&md, &d);
    ck_assert_msg(e1.loss != e0.loss, "training did not change the loss (%g)", e0.loss);
    params_restore(&md.m.p, buf);
    ClassifierEval e2 = toy_eval(&md, &d);
    ck_assert_msg(e2.loss == e0.loss && e2.acc_pct == e0.acc_pct, "restored: loss %.9g vs %.9g",
                  e2.loss, e0.loss);
    free(buf);
    model_free(&init.m);
    model_free(&md.m);
    dataset_free(&d);
}
END_TEST

// Frozen transfer trains the classifier only: the copied conv blocks (and BN parameters and
// statistics) stay the pre-trained ones bit for bit, the head moves from its initialisation.
START_TEST(test_frozen_training_changes_only_the_head)
{
    Dataset d;
    toy_dataset(&d, 64, 7);
    Rng rng;
    rng_seed(&rng, 6);
    CnnModel pre, init, md;
    cnn_model_init(&pre, "pre", &rng);
    rng_seed(&rng, 8);
    cnn_model_init(&init, "init", &rng);   // what cnn_run builds from seed 8, before the copy
    CnnRun r = {.name = "test", .label = "test", .seed = 8, .epochs = 2, .lr = 1e-3f,
                .features = &pre, .frozen = true, .keep = &md};
    cnn_run(&r, &d, NULL, NULL);
    ck_assert(memcmp(md.net.c1.w->data, pre.net.c1.w->data, md.net.c1.w->size * 4) == 0);
    ck_assert(memcmp(md.net.c2.w->data, pre.net.c2.w->data, md.net.c2.w->size * 4) == 0);
    ck_assert(memcmp(md.net.bn2.gamma->data, pre.net.bn2.gamma->data, 64 * 4) == 0);
    ck_assert(memcmp(md.net.bn1.running_mean, pre.net.bn1.running_mean, 32 * 4) == 0);
    ck_assert(memcmp(md.net.bn2.running_var, pre.net.bn2.running_var, 64 * 4) == 0);
    ck_assert_msg(memcmp(md.net.c1.w->data, init.net.c1.w->data, md.net.c1.w->size * 4) != 0,
                  "the conv blocks were not copied");
    ck_assert_msg(memcmp(md.net.fc2.w->data, init.net.fc2.w->data, md.net.fc2.w->size * 4) != 0,
                  "the head did not train");
    model_free(&pre.m);
    model_free(&init.m);
    model_free(&md.m);
    dataset_free(&d);
}
END_TEST

// The same seed gives the same weights on 1 and on 2 threads (ops partition work by a fixed
// chunking, never by timing): bitwise equality after augmented, class-weighted, dropout
// training, and after weighted-sampler training.
START_TEST(test_training_does_not_depend_on_thread_count)
{
    Dataset d;
    toy_dataset(&d, 48, 8);
    float cw[N_CLASSES], sw[48];
    for (int c = 0; c < N_CLASSES; c++) cw[c] = 0.5f + 0.1f * c;
    for (int i = 0; i < 48; i++) sw[i] = 1.0f + (float)(i % 3);
    for (int kind = 0; kind < 2; kind++) {
        float *w[2] = {NULL, NULL};
        size_t n = 0;
        for (int t = 0; t < 2; t++) {
            threads_set(t + 1);
            CnnModel md;
            CnnRun r = {.name = "test", .label = "test", .seed = 9, .epochs = 1, .lr = 1e-3f,
                        .keep = &md};
            if (kind == 0) r.aug_shift = 2, r.aug_deg = 10, r.class_weight = cw;
            else r.sample_weight = sw;
            cnn_run(&r, &d, NULL, NULL);
            n = params_snapshot_size(&md.m.p);
            w[t] = malloc(n * sizeof(float));
            ck_assert_ptr_nonnull(w[t]);
            params_snapshot(&md.m.p, w[t]);
            model_free(&md.m);
        }
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) diff += w[0][i] != w[1][i];
        ck_assert_msg(diff == 0, "%s: %zu of %zu numbers differ between 1 and 2 threads",
                      kind ? "sampler" : "augmented", diff, n);
        free(w[0]);
        free(w[1]);
    }
    dataset_free(&d);
}
END_TEST

// cnn_forward augments in training only, drawing 3 numbers per image from the run's rng
// before the dropout masks (augment.h); in eval mode it is deterministic and draws nothing.
START_TEST(test_forward_augments_training_batches_only)
{
    Dataset d;
    toy_dataset(&d, 4, 10);
    Rng rng, r0;
    rng_seed(&rng, 11);
    CnnModel md;
    cnn_model_init(&md, "test", &rng);
    CnnRun plain = {.md = &md}, aug = {.md = &md, .aug_shift = 2, .aug_deg = 10};
    Batch b = {.B = 4, .dim = d.dim, .x = d.x, .y = d.y};
    tape_set_recording(&md.m.tp, false);
    Tape *tp = &md.m.tp;
    rng_seed(&rng, 12);
    r0 = rng;
    float e1 = cnn_forward(&aug, tp, &b, false, NULL)->data[0];
    float e2 = cnn_forward(&plain, tp, &b, false, NULL)->data[0];
    ck_assert_msg(e1 == e2, "eval mode: augmented run %g, plain %g", (double)e1, (double)e2);
    // train mode: the plain run draws only the dropout masks; the augmented one draws first
    cnn_forward(&plain, tp, &b, true, &rng);
    Rng after_plain = rng;
    rng = r0;
    cnn_forward(&aug, tp, &b, true, &rng);
    ck_assert_msg(after_plain.state != rng.state, "augmentation drew no random numbers");
    rng = r0;
    for (int i = 0; i < 3 * b.B; i++) rng_uniform(&rng);   // augment_shift_rotate's draws
    cnn_forward(&plain, tp, &b, true, &rng);
    Rng want = rng;
    rng = r0;
    cnn_forward(&aug, tp, &b, true, &rng);
    ck_assert_msg(want.state == rng.state, "augmentation should draw 3 numbers per image, before "
                  "the dropout masks");
    tape_reset(tp);
    model_free(&md.m);
    dataset_free(&d);
}
END_TEST

// ---- golden run of the program ----

#define CHAPTER_BIN dl_chapter_bin("04_cnn")

// Tolerances. On the course machine the default, PORTABLE=1, SANITIZE=1 and clang builds give
// bit-identical metrics (the same rungs are picked at run time and -ffp-contract=off keeps the
// roundings); a CPU without AVX-512 or AVX2 takes other GEMM/conv rungs, i.e. other summation
// orders, and those roundings grow over the training steps. Measured with --kernel
// gemm=v3_avx2,conv=v1 and gemm=v2_blocked,conv=v1 on MNIST and Fashion-MNIST, largest
// relative change of the main run's step losses: steps 1-2 1e-7, steps 5-20 8.7e-3, steps
// 50-100 3.3e-3; epoch and final losses 1.2e-3 (1.1e-2 for the validation loss after epoch
// 1); accuracies 0.2 points (main run, 1000 test images), 0.9 (the short side studies).
// The rules allow about 3x that. A wrong gradient moves far more: routing max-pool's dy to the
// wrong element of its window moves step 50 by 13 % and step 100 by 23 %, halving BatchNorm's
// x̂ term in backward moves them by 5 % and 7 %, and the final losses by 3-16 % (README § Tests).
// Formulas, counts and the small demos (no training) are held to float rounding. The last
// rule that matches a key wins: specific rules come after the general ones.
static const GoldenRule RULES[] = {
    {"", 0, 0},                          // counts, shapes, formulas, flags, best epoch: exact
    {"avgpool", 1e-6, 0},                // the pooling demo: means of 4 and 16 small numbers
    {"bn2d_", 1e-5, 1e-4},               // one BatchNorm2d step on 200 values per channel
    {"dropout_p", 1e-12, 0},             // a count of the seeded masks
    {"_rel_err", 1e-4, 0},               // rung vs v0: float rounding of <= 288-term sums
    {"_loss", 0, 5e-3},                  // epoch means, validation, test (drift 1.2e-3)
    {"val_loss_epoch_1", 0, 3e-2},       // one epoch in: drift 1.1e-2
    {"main_loss_step_1", 0, 1e-5},       // one forward pass: rounding only
    {"main_loss_step_2", 0, 1e-5},       // after one step: rounding only
    {"main_loss_step_5", 0, 3e-2},       // steps 5-20: drift 8.7e-3
    {"main_loss_step_10", 0, 3e-2},
    {"main_loss_step_20", 0, 3e-2},
    {"main_loss_step_50", 0, 1e-2},      // steps 50, 100: drift 3.3e-3, a wrong gradient 5-23 %
    {"main_loss_step_100", 0, 1e-2},
    {"_acc_pct", 2.0, 0},                // side studies, 1000 test images: drift 0.9 points
    {"main_val_acc_pct", 0.5, 0},        // 500 validation images: one image is 0.2 points
    {"main_test_acc_pct", 0.5, 0},       // 1000 test images: drift 0.2 points
    {"main_test_wrong", 5, 0},           // = 1000·(1 − accuracy): the same 0.5 points
    {"main_min_class_recall", 0.06, 0},  // the worst class's ~100 images; its argmin can switch
    {"rare_recall", 0.02, 0},            // mean over ~300 rare test images: drift 0.004
    {"imb_plain_rare_recall", 0.005, 0}, // plain CE never predicts the rare classes: 0, 1 image
    {"fmaps_conv2_active_frac", 0.01, 0},   // drift 0.005
};

START_TEST(test_quick_run_matches_golden)
{
    dl_check_golden_run(CHAPTER_BIN, "ch04", RULES, sizeof RULES / sizeof RULES[0], 60);
}
END_TEST

// Ctrl-C after step 60 of the main run's 100 (inside epoch 2, with epoch 1's best-weights
// snapshot in the checkpoint), then --resume: every metric equal to an uninterrupted run's,
// except the wall-clock ones.
START_TEST(test_interrupt_and_resume_give_the_uninterrupted_numbers)
{
    static const char *const TIMING[] = {"time_total_s", "main_train_s", "_fwd_s", "_bwd_s"};
    dl_check_interrupt_resume(CHAPTER_BIN, 60, TIMING, 4);
}
END_TEST

// --save FILE: the main run (04_cnn/digitcnn), and only it, writes its checkpoint at its end.
START_TEST(test_save_writes_the_main_run_checkpoint)
{
    char dir[64], cmd[512], ckpt[128], err[700];
    static char out[16384];
    dl_tmpdir(dir, sizeof dir);
    snprintf(ckpt, sizeof ckpt, "%s/main.ckpt", dir);
    snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --data data --out %s --save %s", CHAPTER_BIN,
             dir, ckpt);
    int st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    Checkpoint c;
    ck_assert_msg(checkpoint_read(ckpt, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.model, "04_cnn/digitcnn");
    ck_assert_ptr_nonnull(checkpoint_find(&c, "conv1.conv2d.w"));
    ck_assert_ptr_nonnull(checkpoint_find(&c, "bn2.batchnorm.running_var"));
    ck_assert_msg(strstr(out, "checkpoint of '04_cnn/digitcnn' written to"), "%s", out);
    checkpoint_free(&c);
    dl_rm_rf(dir);
}
END_TEST

// Bad input: exit status `want` and a message naming the flag and the problem.
static void expect_error(const char *args, int want, const char *needle)
{
    char cmd[512], out[8192];
    snprintf(cmd, sizeof cmd, "%s %s --out /tmp/dltest_ch04_unused", CHAPTER_BIN, args);
    int status = dl_run(cmd, out, sizeof out);
    ck_assert_msg(status == want, "'%s' exited with %d, expected %d:\n%s", cmd, status, want, out);
    ck_assert_msg(strstr(out, needle), "'%s': message lacks '%s':\n%s", cmd, needle, out);
}

START_TEST(test_bad_input_exits_2_with_message)
{
    expect_error("--frobnicate", 2, "--frobnicate");
    expect_error("--kernel conv=winograd", 2, "winograd");
    expect_error("--lr -0.1", 2, "--lr");
    expect_error("--epochs 999", 2, "--epochs");
    expect_error("--conv-k 31", 2, "larger than the padded input");   // 31 > 28 + 2·0
    expect_error("--conv-k 5 --conv-pad 2 --conv-stride 0", 2, "stride");
    expect_error("--conv-k 0", 2, "--conv-k");
    expect_error("--conv-in 0", 2, "--conv-in");
    dl_rm_rf("/tmp/dltest_ch04_unused");
}
END_TEST

// A layer that expects 3 channels on a 1-channel image: op_conv2d's message, exit 1.
START_TEST(test_channel_mismatch_is_reported)
{
    expect_error("--quick --seed 42 --data data --conv-in 3", 1, "channels");
    dl_rm_rf("/tmp/dltest_ch04_unused");
}
END_TEST

// A learning rate of 1e4 makes the loss explode: detected, named, exit 1 — never NaN weights.
START_TEST(test_divergence_is_detected)
{
    expect_error("--quick --seed 42 --data data --lr 1e4", 1, "diverged");
    dl_rm_rf("/tmp/dltest_ch04_unused");
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch04_suite(void)
{
    Suite *s = suite_create("ch04_cnn");
    TCase *units = tcase_create("units");
    tcase_set_timeout(units, 300);
    tcase_add_test(units, test_parameter_counts_match_the_lecture);
    tcase_add_test(units, test_output_size_formula_matches_conv_layers);
    tcase_add_test(units, test_digitcnn_shapes);
    tcase_add_test(units, test_snapshot_restores_predictions);
    tcase_add_test(units, test_frozen_training_changes_only_the_head);
    tcase_add_test(units, test_training_does_not_depend_on_thread_count);
    tcase_add_test(units, test_forward_augments_training_batches_only);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 900);   // the sanitizer build on a busy 2-core machine
    tcase_add_test(golden, test_quick_run_matches_golden);
    tcase_add_test(golden, test_interrupt_and_resume_give_the_uninterrupted_numbers);
    tcase_add_test(golden, test_save_writes_the_main_run_checkpoint);
    tcase_add_test(golden, test_bad_input_exits_2_with_message);
    tcase_add_test(golden, test_channel_mismatch_is_reported);
    tcase_add_test(golden, test_divergence_is_detected);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch04_suite)
