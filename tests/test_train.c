/* tests/test_train.c — the training library (common/train/): the loop against a hand-written
 * one, early stopping (parameters AND buffers restored), divergence, clipping, penalties,
 * schedules, per-epoch metrics; checkpoints (round trip, refusals of truncated, corrupt,
 * other-version, other-model and other-shape files); Ctrl-C and --resume giving the same
 * numbers bit for bit; and evaluation (classifier, per-class scores, binary, language model).
 *
 * The toy network is chapter 1's XOR problem through Linear(2, H) → BatchNorm1d → ReLU →
 * dropout → Linear(H, 2): it has parameters, buffers and draws from the RNG, so every part of
 * a checkpoint matters.
 */
#include "testutil.h"

#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/rng.h"
#include "data/batch.h"
#include "data/synthetic.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/regularize.h"
#include "optim/clip.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/checkpoint.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

// ---- the toy network ----

typedef struct Toy {
    Linear l1, l2;
    BatchNorm bn;
    float p_drop;
} Toy;

static Tensor *toy_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    Toy *t = net;
    Tensor *h = linear_forward(tp, &t->l1, batch_input(tp, b));
    h = op_relu(tp, batchnorm_forward(tp, &t->bn, h, train));
    h = op_dropout(tp, h, t->p_drop, rng, train);
    return linear_forward(tp, &t->l2, h);
}

static void toy_init(Toy *t, Model *m, const char *name, int hidden, float p_drop, uint64_t seed)
{
    model_init(m, name);
    Rng r;
    rng_seed(&r, seed);
    params_scope(&m->p, "l1");
    linear_init(&t->l1, &m->params, 2, hidden, INIT_HE_NORMAL, &r, &m->p);
    params_scope(&m->p, "bn");
    batchnorm_init(&t->bn, &m->params, hidden, &m->p);
    params_scope(&m->p, "l2");
    linear_init(&t->l2, &m->params, hidden, 2, INIT_HE_NORMAL, &r, &m->p);
    t->p_drop = p_drop;
}

typedef struct Fixture {
    Dataset tr, val;
} Fixture;

static Fixture fixture(void)
{
    Fixture f;
    Rng r;
    rng_seed(&r, 7);
    dataset_xor(&f.tr, 200, 0.25f, &r);
    dataset_xor(&f.val, 100, 0.25f, &r);
    return f;
}

static void fixture_free(Fixture *f)
{
    dataset_free(&f->tr);
    dataset_free(&f->val);
}

static TrainConfig adam_config(int epochs)
{
    TrainConfig c = {.label = "toy", .epochs = epochs, .opt = optim_defaults(OPT_ADAM)};
    c.opt.lr = 0.02f;
    return c;
}

// Every float of a model's parameters and buffers, in order (params_snapshot), for comparisons.
static float *snapshot(const Model *m, size_t *n)
{
    *n = params_snapshot_size(&m->p);
    float *s = malloc(*n * sizeof *s);
    ck_assert_ptr_nonnull(s);
    params_snapshot(&m->p, s);
    return s;
}

static void assert_same_bits(const char *what, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&a[i], &b[i], sizeof a[i]) == 0, "%s: element %zu differs: %.9g vs "
                      "%.9g", what, i, (double)a[i], (double)b[i]);
}

// ---- the loop ----

START_TEST(test_train_run_learns_xor_and_logs_consistently)
{
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/toy", 16, 0.1f, 1);
    Rng rng;
    rng_seed(&rng, 2);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, true, &rng);
    TrainConfig c = adam_config(30);
    c.val = &f.val;
    c.eval_before = true;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, &rng, &log);
    ck_assert_int_eq(log.epochs_run, 30);
    ck_assert_int_eq(log.steps_per_epoch, 13);   // ceil(200 / 16)
    ck_assert_int_eq(log.steps, 30 * 13);
    ck_assert_msg(log.val_acc_pct[30] > 90, "XOR val accuracy %.2f%% after 30 epochs",
                  (double)log.val_acc_pct[30]);
    ck_assert_msg(log.val_loss[30] < 0.5f * log.val_loss[0], "val loss %g -> %g",
                  (double)log.val_loss[0], (double)log.val_loss[30]);
    // the epoch's train loss is the batch-size-weighted mean of its step losses (12 × 16 + 8)
    for (int e = 1; e <= 30; e++) {
        double s = 0;
        for (int k = 0; k < 13; k++) s += log.step_loss[(e - 1) * 13 + k] * (k < 12 ? 16 : 8);
        dl_ck_close1("train loss of an epoch", log.train_loss[e], s / 200, 1e-6, 1e-6);
        ck_assert(log.seconds[e] >= log.seconds[e - 1]);
    }
    ck_assert(isnan(log.train_loss[0]) && isnan(log.train_eval_loss[5]));
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    fixture_free(&f);
}
END_TEST

// The library loop and the loop a student writes by hand (lecture 2) give the same bits.
START_TEST(test_train_run_matches_a_hand_written_loop_bit_for_bit)
{
    Fixture f = fixture();
    Model a, b;
    Toy ta, tb;
    toy_init(&ta, &a, "test/a", 8, 0.2f, 3);
    toy_init(&tb, &b, "test/b", 8, 0.2f, 3);
    Rng ra, rb;
    rng_seed(&ra, 4);
    rng_seed(&rb, 4);
    Batcher ba, bb;
    batcher_init(&ba, &f.tr, 32, true, &ra);
    batcher_init(&bb, &f.tr, 32, true, &rb);
    TrainConfig c = adam_config(3);
    c.schedule = (Schedule){.kind = SCHED_COSINE, .total_steps = 3 * 7, .min_lr = 0.001f};
    TrainTask task = {&a, &ta, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &ba.src, &c, &ra, &log);

    Optimizer opt;
    optim_init(&opt, &c.opt, &b.p, &b.state);
    Schedule sch = c.schedule;
    sch.base_lr = c.opt.lr;
    int step = 0;
    for (int e = 0; e < 3; e++) {
        Batch batch;
        while (bb.src.next(&bb.src, &batch) > 0) {
            params_zero_grad(&b.p);
            Tensor *loss = op_cross_entropy(&b.tp, toy_forward(&tb, &b.tp, &batch, true, &rb),
                                            batch.y);
            ck_assert_float_eq(tensor_item(loss), log.step_loss[step]);
            tape_backward(&b.tp, loss);
            optim_step(&opt, schedule_lr(&sch, step++));
            tape_reset(&b.tp);
        }
    }
    size_t na, nb;
    float *sa = snapshot(&a, &na), *sb = snapshot(&b, &nb);
    ck_assert_uint_eq(na, nb);
    assert_same_bits("library vs hand-written loop", sa, sb, na);
    free(sa);
    free(sb);
    train_log_free(&log);
    batcher_free(&ba);
    batcher_free(&bb);
    model_free(&a);
    model_free(&b);
    fixture_free(&f);
}
END_TEST

// Early stopping restores the best epoch's parameters AND BatchNorm running statistics: the
// result equals a fresh run of exactly best_epoch epochs, bit for bit.
START_TEST(test_early_stopping_restores_parameters_and_buffers)
{
    Fixture f = fixture();
    Dataset small;
    dataset_slice(&f.tr, 0, 40, &small);   // few examples, a wide net, a high lr: it over-fits
    Model a, b;
    Toy ta, tb;
    toy_init(&ta, &a, "test/a", 64, 0, 5);
    toy_init(&tb, &b, "test/b", 64, 0, 5);
    Rng ra, rb;
    rng_seed(&ra, 6);
    rng_seed(&rb, 6);
    Batcher ba, bb;
    batcher_init(&ba, &small, 8, true, &ra);
    batcher_init(&bb, &small, 8, true, &rb);
    TrainConfig c = adam_config(60);
    c.opt.lr = 0.05f;
    c.val = &f.val;
    c.patience = 3;
    TrainTask task = {&a, &ta, toy_forward, NULL, NULL};
    TrainLog la;
    train_run(&task, &ba.src, &c, &ra, &la);
    ck_assert_msg(la.epochs_run < 60 && la.best_epoch < la.epochs_run,
                  "no early stop: ran %d epochs, best %d", la.epochs_run, la.best_epoch);
    ck_assert_int_eq(la.epochs_run - la.best_epoch, 3);
    TrainConfig cb = adam_config(la.best_epoch);
    cb.opt.lr = 0.05f;
    TrainTask tb_task = {&b, &tb, toy_forward, NULL, NULL};
    TrainLog lb;
    train_run(&tb_task, &bb.src, &cb, &rb, &lb);
    size_t na, nb;
    float *sa = snapshot(&a, &na), *sb = snapshot(&b, &nb);
    assert_same_bits("restored best epoch vs a run that stopped there", sa, sb, na);
    // the buffers are part of it: the running mean moved away from its initial zeros
    ck_assert(ta.bn.running_mean[0] != 0 && ta.bn.running_mean[0] == tb.bn.running_mean[0]);
    free(sa);
    free(sb);
    train_log_free(&la);
    train_log_free(&lb);
    batcher_free(&ba);
    batcher_free(&bb);
    model_free(&a);
    model_free(&b);
    dataset_free(&small);
    fixture_free(&f);
}
END_TEST

START_TEST(test_divergence_is_recorded_when_asked)
{
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/toy", 16, 0, 1);
    Rng rng;
    rng_seed(&rng, 2);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, true, &rng);
    TrainConfig c = {.label = "toy", .epochs = 5, .opt = optim_defaults(OPT_SGD),
                     .stop_on_divergence = true};
    c.opt.lr = 1e4f;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, &rng, &log);
    ck_assert(log.diverged);
    ck_assert_int_ge(log.diverged_step, 2);
    ck_assert_int_eq(log.steps, log.diverged_step);
    ck_assert(!isfinite(log.diverged_loss) || log.diverged_loss > 10 * log.step_loss[0]);
    ck_assert_int_lt(log.epochs_run, 5);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    fixture_free(&f);
}
END_TEST

static void diverge_and_die(void)
{
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/toy", 16, 0, 1);
    Rng rng;
    rng_seed(&rng, 2);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, true, &rng);
    TrainConfig c = {.label = "toy run", .epochs = 5, .opt = optim_defaults(OPT_SGD)};
    c.opt.lr = 1e4f;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, &rng, &log);
}

static void bad_epochs(void)
{
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/toy", 4, 0, 1);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, false, NULL);
    TrainConfig c = adam_config(0);
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, NULL, &log);
}

START_TEST(test_bad_runs_exit_with_a_message)
{
    static const DlDeathCase cases[] = {
        {"divergence", diverge_and_die, {"toy run: training diverged at step", "smaller"}},
        {"0 epochs", bad_epochs, {"toy: epochs = 0", "use 1 to"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

// A loss of our own: the mean squared error of the logits against one-hot targets.
static Tensor *onehot_mse(void *net, Tape *tp, Tensor *out, const Batch *b)
{
    (void)net;
    Tensor *t = tensor_new(tp->arena, 2, out->shape);
    for (int i = 0; i < b->B; i++) t->data[i * 2 + b->y[i]] = 1.0f;
    return op_mse(tp, out, t);
}

// Clipping, penalties and a custom loss act exactly as their hand-written forms.
START_TEST(test_clip_l2_and_custom_loss_match_hand_written_steps)
{
    Fixture f = fixture();
    Model a, b;
    Toy ta, tb;
    toy_init(&ta, &a, "test/a", 8, 0, 9);
    toy_init(&tb, &b, "test/b", 8, 0, 9);
    Batcher ba, bb;
    batcher_init(&ba, &f.tr, 50, false, NULL);
    batcher_init(&bb, &f.tr, 50, false, NULL);
    TrainConfig c = {.label = "toy", .epochs = 2, .opt = optim_defaults(OPT_SGD),
                     .clip_norm = 0.05f, .l2 = 0.01f};
    c.opt.lr = 0.1f;
    TrainTask task = {&a, &ta, toy_forward, onehot_mse, NULL};
    TrainLog log;
    train_run(&task, &ba.src, &c, NULL, &log);
    Batch batch;
    int step = 0;
    for (int e = 0; e < 2; e++)
        while (bb.src.next(&bb.src, &batch) > 0) {
            params_zero_grad(&b.p);
            Tensor *loss = onehot_mse(NULL, &b.tp, toy_forward(&tb, &b.tp, &batch, true, NULL),
                                      &batch);
            ck_assert_float_eq(tensor_item(loss), log.step_loss[step++]);   // data loss alone
            for (int i = 0; i < b.p.n; i++)
                loss = op_add(&b.tp, loss, op_scale(&b.tp, op_l2(&b.tp, b.p.items[i]), 0.01f));
            tape_backward(&b.tp, loss);
            float norm = clip_grad_norm(&b.p, 0.05f);
            ck_assert(norm > 0.05f);   // clipping really happened
            sgd_step(&b.p, 0.1f);
            tape_reset(&b.tp);
        }
    size_t na, nb;
    float *sa = snapshot(&a, &na), *sb = snapshot(&b, &nb);
    assert_same_bits("clip + L2 + custom loss", sa, sb, na);
    free(sa);
    free(sb);
    train_log_free(&log);
    batcher_free(&ba);
    batcher_free(&bb);
    model_free(&a);
    model_free(&b);
    fixture_free(&f);
}
END_TEST

START_TEST(test_per_epoch_metrics_and_max_steps)
{
    Fixture f = fixture();
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    Metrics mt;
    metrics_init(&mt, dir);
    Model m;
    Toy t;
    toy_init(&t, &m, "test/toy", 8, 0, 1);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, false, NULL);
    TrainConfig c = adam_config(4);
    c.max_steps = 20;                   // 13 steps per epoch: stops inside epoch 2
    c.val = &f.val;
    c.val_name = "test";
    c.metrics = &mt;
    c.prefix = "toy";
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, NULL, &log);
    ck_assert_int_eq(log.steps, 20);
    ck_assert_int_eq(log.epochs_run, 2);   // the cut-short epoch is evaluated and counted
    double v;
    ck_assert(metrics_get(&mt, "toy_train_loss_epoch_2", &v) && v == log.train_loss[2]);
    ck_assert(metrics_get(&mt, "toy_test_acc_pct_epoch_1", &v) && v == log.val_acc_pct[1]);
    ck_assert(metrics_get(&mt, "toy_test_loss_epoch_2", &v) && v == log.val_loss[2]);
    ck_assert(!metrics_get(&mt, "toy_train_loss_epoch_3", &v));
    metrics_free(&mt);
    train_log_free(&log);
    batcher_free(&bt);
    model_free(&m);
    fixture_free(&f);
    dl_rm_rf(dir);
}
END_TEST

// ---- checkpoints: Ctrl-C, --save and --resume ----

typedef struct ResumeRun {
    Cli cli;
    char *argv[2];
} ResumeRun;

static void resume_cli(ResumeRun *r, const char *dir, const char *save, const char *resume_from)
{
    memset(r, 0, sizeof *r);
    snprintf(r->cli.out_dir, sizeof r->cli.out_dir, "%s", dir);
    if (save) snprintf(r->cli.save_path, sizeof r->cli.save_path, "%s", save);
    if (resume_from) snprintf(r->cli.resume_path, sizeof r->cli.resume_path, "%s", resume_from);
    r->argv[0] = "toy";
    r->cli.argc = 1;
    r->cli.argv = r->argv;
}

// The run every resume test compares against: 4 epochs of 13 steps, dropout, BN, cosine lr,
// keep_best; its final parameters and buffers (*params) and log.
static void resumable_run(const Cli *cli, float **params, size_t *n, TrainLog *log)
{
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/resumable", 16, 0.2f, 11);
    Rng rng;
    rng_seed(&rng, 12);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, true, &rng);
    TrainConfig c = adam_config(4);
    c.schedule = (Schedule){.kind = SCHED_COSINE, .total_steps = 52, .min_lr = 0.002f};
    c.val = &f.val;
    c.eval_before = true;
    c.keep_best = true;
    c.cli = cli;
    c.save = true;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    train_run(&task, &bt.src, &c, &rng, log);
    *params = snapshot(&m, n);
    batcher_free(&bt);
    model_free(&m);
    fixture_free(&f);
}

static char child_dir[64];
static long child_step;

static void interrupted_child(void)
{
    char env[32];
    snprintf(env, sizeof env, "%ld", child_step);
    setenv("DL_INTERRUPT_AT_STEP", env, 1);
    if (!freopen("/dev/null", "w", stdout)) _exit(99);
    ResumeRun r;
    resume_cli(&r, child_dir, NULL, NULL);
    float *p;
    size_t n;
    TrainLog log;
    resumable_run(&r.cli, &p, &n, &log);
    _exit(0);   // not reached: the interrupt exits with 130
}

static void assert_same_log(const TrainLog *a, const TrainLog *b)
{
    ck_assert_int_eq(a->steps, b->steps);
    ck_assert_int_eq(a->epochs_run, b->epochs_run);
    ck_assert_int_eq(a->best_epoch, b->best_epoch);
    assert_same_bits("step losses", a->step_loss, b->step_loss, (size_t)a->steps);
    size_t E = (size_t)a->epochs + 1;
    assert_same_bits("train losses", a->train_loss, b->train_loss, E);
    assert_same_bits("val losses", a->val_loss, b->val_loss, E);
    for (size_t e = 0; e < E; e++)
        ck_assert_msg(memcmp(&a->val_acc_pct[e], &b->val_acc_pct[e], sizeof(double)) == 0,
                      "val accuracy of epoch %zu differs", e);
}

// Ctrl-C mid-epoch (step 20 of 52), at an epoch's last step (26) and at the very last step
// (52): the checkpoint plus --resume give the numbers of the uninterrupted run, bit for bit.
START_TEST(test_interrupt_then_resume_matches_an_uninterrupted_run)
{
    static const long AT[] = {20, 26, 52};
    for (size_t k = 0; k < sizeof AT / sizeof AT[0]; k++) {
        dl_tmpdir(child_dir, sizeof child_dir);
        child_step = AT[k];
        char out[2048];
        int st = dl_run_child(interrupted_child, out, sizeof out);
        ck_assert_msg(st == 130, "interrupted at step %ld: exit status %d, want 130; stderr: %s",
                      AT[k], st, out);
        char ckpt[128];
        snprintf(ckpt, sizeof ckpt, "%s/interrupted.ckpt", child_dir);
        ck_assert_msg(strstr(out, "resume with: toy --resume") && strstr(out, ckpt),
                      "the message should say how to resume: %s", out);
        ResumeRun full, again;
        char saved[128];
        snprintf(saved, sizeof saved, "%s/full.ckpt", child_dir);
        resume_cli(&full, child_dir, saved, NULL);
        resume_cli(&again, child_dir, NULL, ckpt);
        float *pa, *pb;
        size_t na, nb;
        TrainLog la, lb;
        if (!freopen("/dev/null", "w", stdout)) ck_abort();
        resumable_run(&full.cli, &pa, &na, &la);
        resumable_run(&again.cli, &pb, &nb, &lb);
        ck_assert(lb.resumed && !la.resumed);
        ck_assert(train_check_resumed(&again.cli));
        assert_same_log(&la, &lb);
        ck_assert_uint_eq(na, nb);
        assert_same_bits("parameters and buffers after resuming", pa, pb, na);
        free(pa);
        free(pb);
        train_log_free(&la);
        train_log_free(&lb);
        dl_rm_rf(child_dir);
    }
}
END_TEST

// The checkpoint --save writes at the end of a run reproduces it without training.
START_TEST(test_saved_run_resumes_to_the_same_end)
{
    char dir[64], ckpt[128];
    dl_tmpdir(dir, sizeof dir);
    snprintf(ckpt, sizeof ckpt, "%s/end.ckpt", dir);
    ResumeRun a, b;
    resume_cli(&a, dir, ckpt, NULL);
    resume_cli(&b, dir, NULL, ckpt);
    if (!freopen("/dev/null", "w", stdout)) ck_abort();
    float *pa, *pb;
    size_t na, nb;
    TrainLog la, lb;
    resumable_run(&a.cli, &pa, &na, &la);
    resumable_run(&b.cli, &pb, &nb, &lb);
    assert_same_log(&la, &lb);
    assert_same_bits("parameters and buffers", pa, pb, na);
    free(pa);
    free(pb);
    train_log_free(&la);
    train_log_free(&lb);
    dl_rm_rf(dir);
}
END_TEST

// A small checkpoint in memory: two records.
static void small_checkpoint(const char *path, const char *model)
{
    CkptWriter w;
    ckpt_writer_init(&w, model);
    float x[6] = {1, -2, 3.5f, 0, 1e-30f, -0.0f};
    ckpt_put(&w, "fc.w", DL_CKPT_F32, x, 2, (int[]){2, 3});
    ckpt_put_u64(&w, "train.steps", 12345678901ull);
    char err[256];
    ck_assert_msg(ckpt_writer_save(&w, path, err, sizeof err), "%s", err);
}

static size_t slurp_file(const char *path, uint8_t **buf)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    *buf = malloc((size_t)n);
    ck_assert(fread(*buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    return (size_t)n;
}

START_TEST(test_checkpoint_round_trip)
{
    char dir[64], path[128], err[512];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    small_checkpoint(path, "test/model");
    Checkpoint c;
    ck_assert_msg(checkpoint_read(path, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.model, "test/model");
    ck_assert_int_eq(c.n_records, 2);
    const CkptRecord *r = checkpoint_find(&c, "fc.w");
    ck_assert(r && r->ndim == 2 && r->shape[0] == 2 && r->shape[1] == 3 && r->count == 6);
    float x[6];
    ck_assert(checkpoint_get(&c, "fc.w", DL_CKPT_F32, x, 6, err, sizeof err));
    ck_assert(x[2] == 3.5f && x[4] == 1e-30f && signbit(x[5]));
    uint64_t steps;
    ck_assert(checkpoint_get(&c, "train.steps", DL_CKPT_U64, &steps, 1, err, sizeof err));
    ck_assert(steps == 12345678901ull);
    // a wrong size or type is refused with the record's name
    ck_assert(!checkpoint_get(&c, "fc.w", DL_CKPT_F32, x, 5, err, sizeof err));
    ck_assert_msg(strstr(err, "'fc.w' has 6 values, this run has 5"), "%s", err);
    ck_assert(!checkpoint_get(&c, "fc.w", DL_CKPT_I32, x, 6, err, sizeof err));
    ck_assert_msg(strstr(err, "float32") && strstr(err, "int32"), "%s", err);
    ck_assert(!checkpoint_get(&c, "fc.b", DL_CKPT_F32, x, 6, err, sizeof err));
    ck_assert_msg(strstr(err, "no record 'fc.b'"), "%s", err);
    checkpoint_free(&c);
    // the known CRC-32 of "123456789" (the check value of the IEEE polynomial)
    ck_assert_uint_eq(crc32_update(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    dl_rm_rf(dir);
}
END_TEST

// Every truncation is refused (never a crash), any changed byte is refused, and a changed
// version or magic is named as such.
START_TEST(test_checkpoint_refuses_truncated_corrupt_and_foreign_files)
{
    char dir[64], path[128], err[512];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    small_checkpoint(path, "test/model");
    uint8_t *buf;
    size_t n = slurp_file(path, &buf);
    Checkpoint c;
    for (size_t len = 0; len < n; len++) {
        ck_assert_msg(!checkpoint_parse(buf, len, path, &c, err, sizeof err),
                      "a checkpoint cut to %zu of %zu bytes was accepted", len, n);
        ck_assert_msg(strstr(err, path), "the message should name the file: %s", err);
    }
    ck_assert(checkpoint_parse(buf, n, path, &c, err, sizeof err));
    checkpoint_free(&c);
    for (size_t i = 0; i < n; i++) {   // one flipped bit anywhere
        buf[i] ^= 0x10;
        ck_assert_msg(!checkpoint_parse(buf, n, path, &c, err, sizeof err),
                      "byte %zu changed, still accepted", i);
        buf[i] ^= 0x10;
    }
    buf[8] = 2;   // version 2 (the checksum would fail too; the version is named first)
    ck_assert(!checkpoint_parse(buf, n, path, &c, err, sizeof err));
    ck_assert_msg(strstr(err, "version 2") && strstr(err, "reads version 1"), "%s", err);
    buf[8] = 1;
    buf[0] = 'X';
    ck_assert(!checkpoint_parse(buf, n, path, &c, err, sizeof err));
    ck_assert_msg(strstr(err, "not a checkpoint"), "%s", err);
    free(buf);
    ck_assert(!checkpoint_read("/nonexistent/x.ckpt", &c, err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/x.ckpt") && strstr(err, "No such file"), "%s", err);
    dl_rm_rf(dir);
}
END_TEST

// A record that is refused is named in the message, and the Checkpoint is left empty. The
// parser used to free the records before formatting the message, which then read the record's
// name from freed memory (found by tests/fuzz/fuzz_checkpoint.c; the input is kept as
// tests/fuzz/corpus/checkpoint/regress-record-name-after-free). Under glibc the freed block's
// first bytes, where record 1's name is, are overwritten, so the message comes out wrong even
// without a sanitizer; `make test SANITIZE=1` reports the read itself.
START_TEST(test_checkpoint_refusal_names_the_record)
{
    char dir[64], path[128], err[512];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    small_checkpoint(path, "test/model");
    uint8_t *buf;
    const size_t n = slurp_file(path, &buf);
    // The file: magic 8, version 4, model (2 + 10), count 4, then fc.w: name (2 + 4), type,
    // ndim, shape 2 × 4 bytes, 6 floats.
    const size_t rec = 8 + 4 + 2 + strlen("test/model") + 4, type_at = rec + 2 + 4,
                 ndim_at = type_at + 1, shape_at = ndim_at + 1, values_at = shape_at + 8;
    ck_assert_uint_eq(buf[type_at], DL_CKPT_F32);
    ck_assert_uint_eq(buf[ndim_at], 2);
    struct { size_t at; uint8_t byte; size_t len; const char *says; } cases[] = {
        {type_at, 7, n, "record 'fc.w' has type 7 and 2 dimensions"},
        {ndim_at, 5, n, "record 'fc.w' has type 1 and 5 dimensions"},
        {shape_at + 3, 0x80, n, "record 'fc.w' has a bad shape"},   // 2^31 + 2 rows
        {0, 'D', values_at + 10, "record 'fc.w' needs 24 bytes, the file has 10 left"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t was = buf[cases[i].at];
        buf[cases[i].at] = cases[i].byte;
        Checkpoint c;
        err[0] = '\0';
        ck_assert_msg(!checkpoint_parse(buf, cases[i].len, path, &c, err, sizeof err),
                      "case %zu was accepted", i);
        ck_assert_msg(strstr(err, path) && strstr(err, cases[i].says),
                      "case %zu: the message should say \"%s\": %s", i, cases[i].says, err);
        ck_assert(!c.records && !c.buf && c.n_records == 0);
        checkpoint_free(&c);
        buf[cases[i].at] = was;
    }
    free(buf);
    dl_rm_rf(dir);
}
END_TEST

static char foreign_ckpt[128];

static void resume_other_shape(void)
{
    if (!freopen("/dev/null", "w", stdout)) _exit(99);
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/resumable", 8, 0.2f, 11);   // 8 hidden units, the file has 16
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, false, NULL);
    ResumeRun r;
    resume_cli(&r, "/tmp", NULL, foreign_ckpt);
    TrainConfig c = adam_config(4);
    c.cli = &r.cli;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, NULL, &log);
}

static void resume_other_epochs_as(int epochs);
static void resume_other_epochs(void)
{
    resume_other_epochs_as(9);
}

static void resume_other_epochs_as(int epochs)
{
    if (!freopen("/dev/null", "w", stdout)) _exit(99);
    Fixture f = fixture();
    Model m;
    Toy t;
    toy_init(&t, &m, "test/resumable", 16, 0.2f, 11);
    Batcher bt;
    batcher_init(&bt, &f.tr, 16, false, NULL);
    ResumeRun r;
    resume_cli(&r, "/tmp", NULL, foreign_ckpt);
    TrainConfig c = adam_config(epochs);
    c.cli = &r.cli;
    TrainTask task = {&m, &t, toy_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &bt.src, &c, NULL, &log);
}

static void resume_corrupt(void)
{
    FILE *f = fopen(foreign_ckpt, "r+b");
    fseek(f, 40, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    resume_other_epochs();
}

// A checkpoint whose checksum is right but whose counters no run of this shape can reach
// (here: 99 epochs done of 4) is refused before anything indexes the history with them.
static void resume_inconsistent(void)
{
    uint8_t *buf;
    size_t n = slurp_file(foreign_ckpt, &buf);
    Checkpoint c;
    char err[256];
    if (!checkpoint_parse(buf, n, foreign_ckpt, &c, err, sizeof err)) _exit(98);
    const CkptRecord *r = checkpoint_find(&c, "train.epochs_run");
    if (!r) _exit(97);
    size_t at = (size_t)(r->data - c.buf);
    checkpoint_free(&c);
    buf[at] = 99;
    uint32_t crc = crc32_update(0, buf, n - 4);
    for (int i = 0; i < 4; i++) buf[n - 4 + i] = (uint8_t)(crc >> (8 * i));
    FILE *f = fopen(foreign_ckpt, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    free(buf);
    resume_other_epochs_as(4);
}

// A checkpoint of another shape, run length or model is refused with a message naming it.
START_TEST(test_resume_refuses_a_checkpoint_that_does_not_fit)
{
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    snprintf(foreign_ckpt, sizeof foreign_ckpt, "%s/r.ckpt", dir);
    ResumeRun a;
    resume_cli(&a, dir, foreign_ckpt, NULL);
    if (!freopen("/dev/null", "w", stdout)) ck_abort();
    float *p;
    size_t n;
    TrainLog log;
    resumable_run(&a.cli, &p, &n, &log);
    free(p);
    train_log_free(&log);
    static const DlDeathCase cases[] = {
        {"other layer sizes", resume_other_shape, {"parameter 'l1.linear.w' has shape (2, 16)",
                                                   "(2, 8) in this model"}},
        {"other epochs", resume_other_epochs, {"a run of 4 epochs, this one has 9",
                                               "same --epochs"}},
        {"inconsistent counters", resume_inconsistent, {"is inconsistent", "99 epochs done"}},
        {"corrupt", resume_corrupt, {"is corrupt", "checksum"}},   // last: it damages the file
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
    // a checkpoint of a model this program does not train is reported at the end
    ResumeRun b;
    resume_cli(&b, dir, NULL, "tests/fixtures/none.ckpt");
    small_checkpoint("/tmp/dltest_other_model.ckpt", "other/model");
    resume_cli(&b, dir, NULL, "/tmp/dltest_other_model.ckpt");
    resumable_run(&b.cli, &p, &n, &log);   // trains normally: the names differ
    ck_assert(!log.resumed);
    ck_assert(!train_check_resumed(&b.cli));
    free(p);
    train_log_free(&log);
    remove("/tmp/dltest_other_model.ckpt");
    dl_rm_rf(dir);
}
END_TEST

// ---- evaluation ----

// A fixed "network": logits are the features themselves (dim = classes).
static Tensor *identity_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)net;
    (void)train;
    (void)rng;
    return batch_input(tp, b);
}

START_TEST(test_eval_classifier_scores_by_hand)
{
    // 5 examples, 3 classes: predictions 0 1 2 2 0 for labels 0 1 1 2 2
    static const float X[15] = {3, 1, 0, 0, 2, 1, 0, 0, 5, 1, 1, 2, 9, 0, 0};
    static const int Y[5] = {0, 1, 1, 2, 2};
    Dataset d;
    dataset_alloc(&d, "hand", 5, 3, 3);
    memcpy(d.x, X, sizeof X);
    memcpy(d.y, Y, sizeof Y);
    Model m;
    model_init(&m, "test/identity");
    ClassifierEval e;
    eval_classifier(&m, NULL, identity_forward, &d, 2, true, &e);   // batches of 2, 2, 1
    double want = 0;
    for (int i = 0; i < 5; i++) {
        const float *z = X + 3 * i;
        double mx = fmax(fmax(z[0], z[1]), z[2]);
        double lse = mx + log(exp(z[0] - mx) + exp(z[1] - mx) + exp(z[2] - mx));
        want += (lse - z[Y[i]]) / 5;
    }
    dl_ck_close1("mean cross-entropy", e.loss, want, 1e-6, 1e-6);
    ck_assert_double_eq(e.acc_pct, 60.0);
    static const int PRED[5] = {0, 1, 2, 2, 0};
    for (int i = 0; i < 5; i++) ck_assert_int_eq(e.pred[i], PRED[i]);
    ck_assert_int_eq(e.confusion[1 * 3 + 2], 1);   // a true 1 taken for a 2
    ck_assert_int_eq(e.confusion[2 * 3 + 0], 1);
    ClassScores s[3];
    double macro = eval_class_scores(&e, s);
    // class 2: predicted twice (one right), 2 examples: P = R = F1 = 0.5
    ck_assert_double_eq(s[2].precision, 0.5);
    ck_assert_double_eq(s[2].recall, 0.5);
    ck_assert_double_eq(s[1].precision, 1.0);
    ck_assert_double_eq(s[1].recall, 0.5);
    ck_assert_int_eq(s[0].support, 1);
    dl_ck_close1("macro F1", macro, (2.0 / 3 + 2.0 / 3 + 0.5) / 3, 1e-12, 0);
    eval_free(&e);
    BinaryScores b = eval_binary((int[]){1, 0, 0, 1}, (int[]){1, 1, 0, 0}, 4);
    ck_assert(b.tp == 1 && b.fn == 1 && b.tn == 1 && b.fp == 1);
    ck_assert_double_eq(b.acc_pct, 50.0);
    BinaryScores none = eval_binary((int[]){0, 0}, (int[]){1, 0}, 2);
    ck_assert(none.precision == 0 && none.recall == 0 && none.f1 == 0);   // zero_division = 0
    model_free(&m);
    dataset_free(&d);
}
END_TEST

// The misclassified examples as a captioned image grid: in dataset order, at most max, with
// "true→predicted" captions by class name or number; the count of all mistakes is returned.
START_TEST(test_eval_plot_mistakes_shows_the_misclassified_in_order)
{
    enum { N = 6, H = 2, W = 3 };
    Dataset d;
    dataset_alloc(&d, "tiny", N, H * W, 3);
    d.rows = H;
    d.cols = W;
    for (int i = 0; i < N * H * W; i++) d.x[i] = (float)(i / (H * W) * 10 + i % (H * W));
    static const int Y[N] = {0, 1, 2, 0, 1, 2}, PRED[N] = {0, 2, 2, 1, 1, 0};   // 1, 3, 5 wrong
    memcpy(d.y, Y, sizeof Y);
    int pred[N];
    memcpy(pred, PRED, sizeof pred);
    ClassifierEval e = {.n = N, .n_classes = 3, .pred = pred};
    char dir[64], path[160];
    dl_tmpdir(dir, sizeof dir);
    int shown = -1;
    static const char *const NAMES[3] = {"zero", "one", "two"};
    ck_assert_int_eq(eval_plot_mistakes(&e, &d, NAMES, 2, dir, "wrong", &shown), 3);
    ck_assert_int_eq(shown, 2);   // the first two of the three, in dataset order
    snprintf(path, sizeof path, "%s/wrong.dat", dir);
    uint8_t *dat;
    size_t len = slurp_file(path, &dat);
    ck_assert_msg(len > 0, "no %s", path);
    dat = realloc(dat, len + 1);
    dat[len] = 0;
    const char *t = (const char *)dat;
    ck_assert_msg(strstr(t, "\"one\xe2\x86\x92two\"") && strstr(t, "\"zero\xe2\x86\x92one\"") &&
                  !strstr(t, "two\xe2\x86\x92zero"), "captions: %s", t);
    // image 1 (pixels 10..15) is the first block, image 3 (30..35) the second, image 5 absent
    ck_assert_msg(strstr(t, " 10\n") && strstr(t, " 35\n") && !strstr(t, " 50\n"), "pixels: %s",
                  t);
    free(dat);
    ck_assert_int_eq(eval_plot_mistakes(&e, &d, NULL, 36, dir, "numbers", &shown), 3);
    ck_assert_int_eq(shown, 3);
    snprintf(path, sizeof path, "%s/numbers.dat", dir);
    len = slurp_file(path, &dat);
    dat = realloc(dat, len + 1);
    dat[len] = 0;
    ck_assert_msg(strstr((char *)dat, "\"2\xe2\x86\x92" "0\""), "numbered captions: %s", dat);
    free(dat);
    memcpy(pred, Y, sizeof pred);   // no mistakes: nothing to draw, no file
    ck_assert_int_eq(eval_plot_mistakes(&e, &d, NULL, 36, dir, "none", &shown), 0);
    ck_assert_int_eq(shown, 0);
    snprintf(path, sizeof path, "%s/none.dat", dir);
    ck_assert_msg(access(path, F_OK) != 0, "%s was written for no mistakes", path);
    dl_rm_rf(dir);
    dataset_free(&d);
}
END_TEST

// A bigram "language model" whose logits are log-probabilities from a table: the evaluated
// cross-entropy is the mean of -log P(next | current) over the scored positions.
static const float BIGRAM[3][3] = {{0.5f, 0.25f, 0.25f}, {0.1f, 0.1f, 0.8f}, {0.6f, 0.3f, 0.1f}};

// net (when not NULL): an int[2] counting the batches seen and those with reset_state.
static Tensor *bigram_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train;
    (void)rng;
    if (net) {
        ((int *)net)[0]++;
        ((int *)net)[1] += b->reset_state;
    }
    Tensor *z = tensor_new(tp->arena, 2, (int[]){b->B * b->T, 3});
    for (int i = 0; i < b->B * b->T; i++)
        for (int v = 0; v < 3; v++) z->data[i * 3 + v] = logf(BIGRAM[b->tokens[i]][v]);
    return z;
}

START_TEST(test_eval_lm_cross_entropy_and_perplexity)
{
    // 17 tokens, B = 2 rows of L = 8 (token 16 dropped), T = 3: K = ⌊7 / 3⌋ = 2 windows per
    // row; the targets of row b are row[1 … 6] (row[7] is in no window).
    static const int S[] = {0, 1, 2, 0, 0, 2, 1, 2, 2, 0, 1, 1, 2, 1, 0, 0, 2};
    Model m;
    model_init(&m, "test/bigram");
    int seen[2] = {0, 0};
    LmEval e = eval_lm(&m, seen, bigram_forward, S, 17, 2, 3);
    double want = 0;
    int scored = 0;
    for (int b = 0; b < 2; b++)
        for (int j = 1; j <= 6; j++, scored++)
            want -= log(BIGRAM[S[b * 8 + j - 1]][S[b * 8 + j]]);
    want /= scored;
    ck_assert_int_eq(e.tokens, 12);
    ck_assert_int_eq(seen[0], 2);   // two batches, the first with reset_state
    ck_assert_int_eq(seen[1], 1);
    dl_ck_close1("LM cross-entropy", e.loss, want, 1e-6, 1e-6);
    dl_ck_close1("perplexity", e.ppl, exp(want), 1e-5, 1e-6);
    dl_ck_close1("bits per token", e.bits, want / log(2.0), 1e-6, 1e-6);
    model_free(&m);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *loop = tcase_create("loop");
    tcase_set_timeout(loop, 60);
    tcase_add_test(loop, test_train_run_learns_xor_and_logs_consistently);
    tcase_add_test(loop, test_train_run_matches_a_hand_written_loop_bit_for_bit);
    tcase_add_test(loop, test_early_stopping_restores_parameters_and_buffers);
    tcase_add_test(loop, test_divergence_is_recorded_when_asked);
    tcase_add_test(loop, test_bad_runs_exit_with_a_message);
    tcase_add_test(loop, test_clip_l2_and_custom_loss_match_hand_written_steps);
    tcase_add_test(loop, test_per_epoch_metrics_and_max_steps);
    suite_add_tcase(s, loop);
    TCase *ck = tcase_create("checkpoint");
    tcase_set_timeout(ck, 60);
    tcase_add_test(ck, test_interrupt_then_resume_matches_an_uninterrupted_run);
    tcase_add_test(ck, test_saved_run_resumes_to_the_same_end);
    tcase_add_test(ck, test_checkpoint_round_trip);
    tcase_add_test(ck, test_checkpoint_refuses_truncated_corrupt_and_foreign_files);
    tcase_add_test(ck, test_checkpoint_refusal_names_the_record);
    tcase_add_test(ck, test_resume_refuses_a_checkpoint_that_does_not_fit);
    suite_add_tcase(s, ck);
    TCase *ev = tcase_create("eval");
    tcase_add_test(ev, test_eval_classifier_scores_by_hand);
    tcase_add_test(ev, test_eval_plot_mistakes_shows_the_misclassified_in_order);
    tcase_add_test(ev, test_eval_lm_cross_entropy_and_perplexity);
    suite_add_tcase(s, ev);
    return s;
}

DL_TEST_MAIN(train_suite)
