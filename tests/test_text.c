/* tests/test_text.c — the text layer of the language models (common/data/text.h, stream.h):
 * character and word vocabularies against hand-written expectations, encode errors, file
 * errors; the token-stream batcher's layout, epochs, reset_state and resumable position; the
 * delayed step schedule of Zaremba et al.; the training loop validating a language model on a
 * token stream; and, when `make data` fetched them, the counts of the real corpora (PTB's
 * 10,000-word vocabulary and 929,589 training tokens, tiny Shakespeare's 65 characters).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "data/stream.h"
#include "data/text.h"
#include "nn/linear.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

#define U (const unsigned char *)

// ---- character vocabulary ----

START_TEST(test_char_vocab_byte_order_ids_and_round_trip)
{
    const char *s = "hello world\n";
    Vocab v;
    char err[256];
    ck_assert(vocab_build_chars(&v, U s, strlen(s), err, sizeof err));
    // distinct bytes in byte order: '\n' ' ' d e h l o r w
    const char *want = "\n dehlorw";
    ck_assert_int_eq(v.V, 9);
    ck_assert(v.chars);
    ck_assert_int_eq(v.unk, -1);
    ck_assert_int_eq(v.eos, -1);
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(v.byte_id[(unsigned char)want[i]], i);
        ck_assert_int_eq(vocab_token(&v, i)[0], want[i]);
        ck_assert_int_eq(vocab_token(&v, i)[1], 0);
    }
    ck_assert_int_eq(v.byte_id['x'], -1);
    ck_assert_int_eq(vocab_id(&v, "o"), 6);
    ck_assert_int_eq(vocab_id(&v, "x"), -1);
    ck_assert_int_eq(vocab_id(&v, "ol"), -1);
    int ids[12];
    ck_assert(vocab_encode_chars(&v, U s, strlen(s), ids, err, sizeof err));
    const int want_ids[12] = {4, 3, 5, 5, 6, 1, 8, 6, 7, 5, 2, 0};
    char back[13];
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(ids[i], want_ids[i]);
        back[i] = vocab_token(&v, ids[i])[0];
    }
    back[12] = 0;
    ck_assert_str_eq(back, s);
    vocab_free(&v);
}
END_TEST

START_TEST(test_char_vocab_from_bytes_keeps_the_given_order)
{
    Vocab v;
    char err[256];
    ck_assert(vocab_from_bytes(&v, U "zab", 3, err, sizeof err));
    ck_assert_int_eq(v.byte_id['z'], 0);
    ck_assert_int_eq(v.byte_id['a'], 1);
    ck_assert_str_eq(vocab_token(&v, 2), "b");
    vocab_free(&v);
    ck_assert(!vocab_from_bytes(&v, U "aba", 3, err, sizeof err));
    ck_assert_msg(strstr(err, "0x61") && strstr(err, "twice"), "%s", err);
    ck_assert(!vocab_from_bytes(&v, U "a", 0, err, sizeof err));
    ck_assert_msg(strstr(err, "1 to 256"), "%s", err);
    ck_assert(!vocab_build_chars(&v, U "", 0, err, sizeof err));
    ck_assert_msg(strstr(err, "empty"), "%s", err);
}
END_TEST

START_TEST(test_encode_chars_lists_every_unknown_character_once)
{
    Vocab v;
    char err[512];
    ck_assert(vocab_build_chars(&v, U "abc", 3, err, sizeof err));
    const char *p = "abXd\x07Xc\xe9";
    int ids[8];
    ck_assert(!vocab_encode_chars(&v, U p, strlen(p), ids, err, sizeof err));
    ck_assert_msg(strstr(err, "4 characters are not in the vocabulary of the 3"), "%s", err);
    ck_assert_msg(strstr(err, ": 'X' 'd' \\x07 \\xe9;"), "%s", err);
    ck_assert(!vocab_encode_chars(&v, U "Q", 1, ids, err, sizeof err));
    ck_assert_msg(strstr(err, "1 character is not") && strstr(err, "'Q'"), "%s", err);
    vocab_free(&v);
}
END_TEST

// ---- word vocabulary ----

START_TEST(test_word_vocab_order_counts_ties_and_eos)
{
    // counts b 3, c 2, a 1, d 1 (a appears before d); the last line has no '\n'
    const char *s = "b a  b\tc\nc b\r\nd";
    Vocab v;
    char err[256];
    ck_assert(vocab_build_words(&v, U s, strlen(s), 0, err, sizeof err));
    ck_assert(!v.chars);
    ck_assert_int_eq(v.V, 6);
    const char *want[6] = {"<unk>", "<eos>", "b", "c", "a", "d"};
    for (int i = 0; i < 6; i++) {
        ck_assert_str_eq(vocab_token(&v, i), want[i]);
        ck_assert_int_eq(vocab_id(&v, want[i]), i);
    }
    ck_assert_int_eq(v.unk, 0);
    ck_assert_int_eq(v.eos, 1);
    ck_assert_int_eq(vocab_id(&v, "e"), -1);
    ck_assert_int_eq(vocab_id(&v, "bb"), -1);
    ck_assert_int_eq(vocab_id(&v, ""), -1);
    int *ids;
    size_t n;
    ck_assert(vocab_encode_words(&v, U s, strlen(s), &ids, &n, err, sizeof err));
    const int want_ids[] = {2, 4, 2, 3, 1, 3, 2, 1, 5, 1};
    ck_assert_uint_eq(n, 10);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(ids[i], want_ids[i]);
    free(ids);
    // words outside the vocabulary, an empty line (its own <eos>), a trailing '\n' (no extra)
    const char *t = "a zz b\n\nq\n";
    ck_assert(vocab_encode_words(&v, U t, strlen(t), &ids, &n, err, sizeof err));
    const int want_t[] = {4, 0, 2, 1, 1, 0, 1};
    ck_assert_uint_eq(n, 7);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(ids[i], want_t[i]);
    free(ids);
    vocab_free(&v);
}
END_TEST

START_TEST(test_word_vocab_max_words_and_unk_in_the_text)
{
    const char *s = "b a b c\nc b\nd\n";
    Vocab v;
    char err[256];
    ck_assert(vocab_build_words(&v, U s, strlen(s), 4, err, sizeof err));
    ck_assert_int_eq(v.V, 4);   // <unk> <eos> b c
    ck_assert_int_eq(vocab_id(&v, "a"), -1);
    int *ids;
    size_t n;
    ck_assert(vocab_encode_words(&v, U s, strlen(s), &ids, &n, err, sizeof err));
    const int want[] = {2, 0, 2, 3, 1, 3, 2, 1, 0, 1};
    ck_assert_uint_eq(n, 10);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(ids[i], want[i]);
    free(ids);
    vocab_free(&v);
    // PTB holds "<unk>" as a word: it is id 0, not a second entry
    const char *p = "x <unk> x <unk> <unk>\n";
    ck_assert(vocab_build_words(&v, U p, strlen(p), 0, err, sizeof err));
    ck_assert_int_eq(v.V, 3);
    ck_assert_int_eq(vocab_id(&v, "<unk>"), 0);
    ck_assert_int_eq(vocab_id(&v, "x"), 2);
    vocab_free(&v);
    // a text of only "<unk>" (a fuzzer's find): V = 2, no word besides <unk> and <eos>
    ck_assert(vocab_build_words(&v, U " <unk>", 6, 7, err, sizeof err));
    ck_assert_int_eq(v.V, 2);
    vocab_free(&v);
    // many distinct words: the hash table grows (rehashes) and still finds every one
    char *big = malloc(20000 * 7);
    size_t len = 0;
    for (int i = 0; i < 20000; i++) len += (size_t)sprintf(big + len, "w%d ", i);
    ck_assert(vocab_build_words(&v, U big, len, 0, err, sizeof err));
    ck_assert_int_eq(v.V, 20002);
    for (int i = 0; i < 20000; i += 997) {
        char w[16];
        snprintf(w, sizeof w, "w%d", i);
        ck_assert_int_eq(vocab_id(&v, w), i + 2);   // equal counts: order of appearance
    }
    vocab_free(&v);
    free(big);
}
END_TEST

START_TEST(test_word_vocab_errors)
{
    Vocab v;
    char err[256];
    ck_assert(!vocab_build_words(&v, U " \t\r\n\n ", 6, 0, err, sizeof err));
    ck_assert_msg(strstr(err, "no word"), "%s", err);
    ck_assert(!vocab_build_words(&v, U "ab\ncd\0e", 7, 0, err, sizeof err));
    ck_assert_msg(strstr(err, "NUL byte at offset 5 (line 2)"), "%s", err);
    ck_assert(!vocab_build_words(&v, U "a b", 3, 2, err, sizeof err));
    ck_assert_msg(strstr(err, "max_words = 2"), "%s", err);
    ck_assert(!vocab_build_words(&v, U "a b", 3, -1, err, sizeof err));
    ck_assert(vocab_build_words(&v, U "a b", 3, 0, err, sizeof err));
    int *ids = (int *)&v;   // must be reset to NULL on failure
    size_t n = 99;
    ck_assert(!vocab_encode_words(&v, U "  \t ", 4, &ids, &n, err, sizeof err));
    ck_assert_msg(strstr(err, "no token"), "%s", err);
    ck_assert_ptr_null(ids);
    ck_assert_uint_eq(n, 0);
    vocab_free(&v);
}
END_TEST

// ---- files ----

START_TEST(test_text_load_reads_bytes_and_names_bad_files)
{
    char dir[64], path[128], err[512];
    dl_tmpdir(dir, sizeof dir);
    Text t;
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    ck_assert(!text_load(path, &t, err, sizeof err));
    ck_assert_msg(strstr(err, path) && strstr(err, "no such file (run: make data)"), "%s", err);
    ck_assert(!text_load(dir, &t, err, sizeof err));
    ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert(!text_load(path, &t, err, sizeof err));
    ck_assert_msg(strstr(err, path) && strstr(err, "empty"), "%s", err);
    snprintf(path, sizeof path, "%s/a.txt", dir);
    f = fopen(path, "wb");
    fwrite("ab\0c\n", 1, 5, f);
    fclose(f);
    ck_assert(text_load(path, &t, err, sizeof err));
    ck_assert_uint_eq(t.n, 5);
    ck_assert(memcmp(t.bytes, "ab\0c\n", 6) == 0);   // and the terminating 0
    text_free(&t);
    ck_assert_ptr_null(t.bytes);
    dl_rm_rf(dir);
}
END_TEST

// ---- the token stream ----

static int *iota(int n)
{
    int *t = malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) t[i] = i;
    return t;
}

START_TEST(test_token_batcher_layout_epochs_and_reset_state)
{
    // 21 tokens, B = 2: rows 0…9 and 10…19 (token 20 dropped), T = 3: ⌊9 / 3⌋ = 3 windows
    static const int X[3][2][3] = {{{0, 1, 2}, {10, 11, 12}}, {{3, 4, 5}, {13, 14, 15}},
                                   {{6, 7, 8}, {16, 17, 18}}};
    int *tok = iota(21);
    TokenBatcher tb;
    char err[256];
    ck_assert(token_batcher_init(&tb, tok, 21, 2, 3, err, sizeof err));
    ck_assert_int_eq(token_batcher_steps(&tb), 3);
    ck_assert_int_eq(tb.src.steps_per_epoch, 3);
    ck_assert_uint_eq(tb.L, 10);
    ck_assert_uint_eq(tb.src.n_state, 1);
    for (int epoch = 0; epoch < 2; epoch++) {
        Batch b;
        for (int k = 0; k < 3; k++) {
            ck_assert_int_eq(tb.src.next(&tb.src, &b), 2);
            ck_assert_int_eq(b.B, 2);
            ck_assert_int_eq(b.T, 3);
            ck_assert_int_eq(b.dim, 0);
            ck_assert_ptr_null(b.x);
            ck_assert_int_eq(b.reset_state, k == 0);
            for (int r = 0; r < 2; r++)
                for (int t = 0; t < 3; t++) {
                    ck_assert_int_eq(b.tokens[r * 3 + t], X[k][r][t]);
                    ck_assert_int_eq(b.y[r * 3 + t], X[k][r][t] + 1);
                }
        }
        ck_assert_int_eq(tb.src.next(&tb.src, &b), 0);   // end of the epoch
    }
    token_batcher_free(&tb);
    free(tok);
}
END_TEST

START_TEST(test_token_batcher_resumes_from_its_state)
{
    int *tok = iota(100);
    TokenBatcher a, b;
    char err[256];
    ck_assert(token_batcher_init(&a, tok, 100, 3, 4, err, sizeof err));
    Batch ba, bb;
    a.src.next(&a.src, &ba);
    a.src.next(&a.src, &ba);
    int saved = a.src.state[0];   // what a checkpoint stores
    ck_assert_int_eq(saved, 2);
    ck_assert_int_eq(a.src.next(&a.src, &ba), 3);
    ck_assert(token_batcher_init(&b, tok, 100, 3, 4, err, sizeof err));
    memcpy(b.src.state, &saved, sizeof saved);
    ck_assert_int_eq(b.src.next(&b.src, &bb), 3);
    ck_assert(!bb.reset_state);
    ck_assert(memcmp(ba.tokens, bb.tokens, 12 * sizeof(int)) == 0);
    ck_assert(memcmp(ba.y, bb.y, 12 * sizeof(int)) == 0);
    ck_assert_int_eq(ba.tokens[0], 8);   // row 0, window 2
    token_batcher_free(&a);
    token_batcher_free(&b);
    free(tok);
}
END_TEST

START_TEST(test_token_batcher_refuses_a_batch_larger_than_the_corpus)
{
    int *tok = iota(8);
    TokenBatcher tb;
    char err[256];
    ck_assert(token_batcher_init(&tb, tok, 8, 2, 3, err, sizeof err));   // exactly B·(T + 1)
    ck_assert_int_eq(token_batcher_steps(&tb), 1);
    token_batcher_free(&tb);
    ck_assert(!token_batcher_init(&tb, tok, 7, 2, 3, err, sizeof err));
    ck_assert_msg(strstr(err, "batch larger than the corpus allows") && strstr(err, "need 8") &&
                  strstr(err, "has 7"), "%s", err);
    ck_assert(!token_batcher_init(&tb, tok, 8, 0, 3, err, sizeof err));
    ck_assert_msg(strstr(err, "B = 0"), "%s", err);
    ck_assert(!token_batcher_init(&tb, tok, 8, 2, 0, err, sizeof err));
    ck_assert_msg(strstr(err, "T = 0"), "%s", err);
    free(tok);
}
END_TEST

// ---- the delayed step schedule ----

START_TEST(test_schedule_delay_matches_zaremba)
{
    // ptb_word_lm.py: lr = 1 · 0.5 ** max(i + 1 − 4, 0) in 0-based epoch i.
    const int S = 7;
    Schedule s = {.kind = SCHED_STEP, .base_lr = 1, .step_size = S, .gamma = 0.5f,
                  .delay_steps = 3 * S};
    for (int i = 0; i < 13; i++) {
        double want = pow(0.5, i + 1 - 4 > 0 ? i + 1 - 4 : 0);
        for (int j = 0; j < S; j++)
            ck_assert_msg(schedule_lr(&s, i * S + j) == (float)want, "epoch %d step %d: %g, want "
                          "%g", i, j, (double)schedule_lr(&s, i * S + j), want);
    }
    // after a warm-up of 2 steps: the delay counts from its end
    Schedule w = {.kind = SCHED_EXPONENTIAL, .base_lr = 2, .gamma = 0.5f, .warmup_steps = 2,
                  .delay_steps = 3};
    const float want_w[8] = {2.0f / 3, 4.0f / 3, 2, 2, 2, 2, 1, 0.5f};
    for (int k = 0; k < 8; k++) dl_ck_close1("warm-up, delay", schedule_lr(&w, k), want_w[k], 1e-7,
                                             1e-6);
}
END_TEST

// ---- the training loop with a language model's validation stream ----

// A bigram model: logits of the next token = row `token` of a (V, V) table, through a Linear
// on one-hot inputs; net is the Linear.
enum { LM_V = 4 };

static Tensor *onehot_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train;
    (void)rng;
    const int n = b->B * b->T;
    Tensor *x = tensor_new(tp->arena, 2, (int[]){n, LM_V});
    for (int i = 0; i < n; i++)
        for (int v = 0; v < LM_V; v++) x->data[i * LM_V + v] = b->tokens[i] == v;
    return linear_forward(tp, net, x);
}

// A Markov chain: after token a comes (a + 1) mod V with probability 0.7, else a random one.
static int *markov(int n, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    int *t = malloc((size_t)n * sizeof *t);
    t[0] = 0;
    for (int i = 1; i < n; i++)
        t[i] = rng_uniform(&r) < 0.7f ? (t[i - 1] + 1) % LM_V : (int)(rng_u32(&r) % LM_V);
    return t;
}

// Mean cross-entropy of the model on the targets eval_lm scores, one token at a time.
static double hand_lm_loss(Model *m, Linear *lin, const int *tok, size_t n, int B, int T)
{
    const size_t L = n / (size_t)B, K = (L - 1) / (size_t)T;
    double sum = 0;
    long cnt = 0;
    for (int b = 0; b < B; b++)
        for (size_t j = 1; j <= K * (size_t)T; j++) {
            int in = tok[(size_t)b * L + j - 1], target = tok[(size_t)b * L + j];
            Batch one = {.B = 1, .T = 1, .tokens = &in, .y = &target};
            Tensor *z = onehot_forward(lin, &m->tp, &one, false, NULL);
            double mx = z->data[0], se = 0;
            for (int v = 1; v < LM_V; v++) mx = fmax(mx, z->data[v]);
            for (int v = 0; v < LM_V; v++) se += exp(z->data[v] - mx);
            sum += -(z->data[target] - mx - log(se));
            cnt++;
            tape_reset(&m->tp);
        }
    return sum / cnt;
}

START_TEST(test_train_run_validates_a_language_model_on_a_token_stream)
{
    int *tr = markov(3000, 1), *val = markov(403, 2);
    Model m;
    model_init(&m, "test/lm");
    Rng r;
    rng_seed(&r, 3);
    Linear lin;
    linear_init(&lin, &m.params, LM_V, LM_V, INIT_ZERO, &r, &m.p);   // uniform: ppl = V
    tape_set_recording(&m.tp, false);
    double uniform = hand_lm_loss(&m, &lin, val, 403, 3, 5);
    tape_set_recording(&m.tp, true);
    dl_ck_close1("a uniform model's loss is log V", uniform, log(LM_V), 1e-6, 1e-6);
    TokenBatcher tb;
    char err[256];
    ck_assert(token_batcher_init(&tb, tr, 3000, 4, 10, err, sizeof err));
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    Metrics met;
    metrics_init(&met, dir);
    TrainConfig cfg = {.label = "lm", .epochs = 3, .opt = optim_defaults(OPT_SGD),
                       .val_tokens = val, .n_val_tokens = 403, .val_B = 3, .val_T = 5,
                       .eval_before = true, .keep_best = true, .print = true, .metrics = &met,
                       .prefix = "lm"};
    cfg.opt.lr = 0.5f;
    TrainTask task = {.model = &m, .net = &lin, .forward = onehot_forward};
    TrainLog lg;
    // the printed lines go to a file, to check the columns
    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", dir);
    fflush(stdout);
    int saved = dup(1);
    FILE *o = fopen(out_path, "w");
    dup2(fileno(o), 1);
    train_run(&task, &tb.src, &cfg, &r, &lg);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(o);
    char text[4096] = "";
    o = fopen(out_path, "r");
    size_t got = fread(text, 1, sizeof text - 1, o);
    text[got] = 0;
    fclose(o);
    ck_assert_msg(strstr(text, "val loss") && strstr(text, "val ppl") && !strstr(text, "acc"),
                  "%s", text);

    dl_ck_close1("epoch 0: the uniform model", lg.val_loss[0], log(LM_V), 1e-6, 1e-6);
    ck_assert_int_eq(lg.epochs_run, 3);
    double best = INFINITY;
    int best_e = 0;
    for (int e = 0; e <= 3; e++) {
        ck_assert(isnan(lg.val_acc_pct[e]));
        ck_assert(isfinite(lg.val_loss[e]));
        if (e >= 1 && lg.val_loss[e] < best) best = lg.val_loss[e], best_e = e;
        if (e == 0) continue;   // the loop sets metric keys for epochs 1 … only
        double v;
        char key[64];
        snprintf(key, sizeof key, "lm_val_loss_epoch_%d", e);
        ck_assert_msg(metrics_get(&met, key, &v) && v == lg.val_loss[e], "%s", key);
        snprintf(key, sizeof key, "lm_val_ppl_epoch_%d", e);
        ck_assert_msg(metrics_get(&met, key, &v), "%s", key);
        dl_ck_close1("ppl = exp(loss)", v, exp(lg.val_loss[e]), 1e-9, 1e-9);
    }
    ck_assert(lg.val_loss[3] < lg.val_loss[0] - 0.1);   // it learned the chain
    ck_assert_int_eq(lg.best_epoch, best_e);
    // keep_best restored the best epoch: its loss, computed one token at a time
    tape_set_recording(&m.tp, false);
    double hand = hand_lm_loss(&m, &lin, val, 403, 3, 5);
    tape_set_recording(&m.tp, true);
    dl_ck_close1("val loss of the restored best epoch", hand, best, 1e-5, 1e-5);
    LmEval e = eval_lm(&m, &lin, onehot_forward, val, 403, 3, 5);
    ck_assert_int_eq(e.tokens, 3 * 26 * 5);   // L = 134, K = ⌊133 / 5⌋ = 26
    dl_ck_close1("eval_lm", e.loss, hand, 1e-6, 1e-6);

    train_log_free(&lg);
    metrics_free(&met);
    dl_rm_rf(dir);
    token_batcher_free(&tb);
    model_free(&m);
    free(tr);
    free(val);
}
END_TEST

static const int lm_short_val[6] = {0, 1, 2, 3, 0, 1};
static void run_lm_short_val(void)
{
    Model m;
    model_init(&m, "test/lm");
    Rng r;
    rng_seed(&r, 3);
    Linear lin;
    linear_init(&lin, &m.params, LM_V, LM_V, INIT_ZERO, &r, &m.p);
    int *tr = markov(100, 1);
    TokenBatcher tb;
    char err[256];
    token_batcher_init(&tb, tr, 100, 2, 5, err, sizeof err);
    TrainConfig cfg = {.label = "lm", .epochs = 1, .opt = optim_defaults(OPT_SGD),
                       .val_tokens = lm_short_val, .n_val_tokens = 6, .val_B = 2, .val_T = 5};
    TrainTask task = {.model = &m, .net = &lin, .forward = onehot_forward};
    TrainLog log;
    train_run(&task, &tb.src, &cfg, &r, &log);
}

START_TEST(test_train_run_refuses_a_validation_stream_too_short)
{
    static const DlDeathCase cases[] = {
        {"6 validation tokens, B = 2, T = 5", run_lm_short_val,
         {"lm: the validation token stream", "batch larger than the corpus allows"}},
    };
    dl_check_deaths(cases, 1);
}
END_TEST

// ---- Ctrl-C and --resume in the middle of a token stream ----

// A language-model run: the bigram model on a Markov stream in a TokenBatcher (B = 4, T = 5:
// 29 windows an epoch), Zaremba's delayed halving (from epoch 3 on), a validation stream,
// keep_best; its final parameters (*params) and log.
static void lm_resumable_run(const Cli *cli, float **params, size_t *n, TrainLog *lg)
{
    int *tr = markov(600, 5), *val = markov(103, 6);
    Model m;
    model_init(&m, "test/lm-resumable");
    Rng rng;
    rng_seed(&rng, 7);
    Linear lin;
    linear_init(&lin, &m.params, LM_V, LM_V, INIT_XAVIER_UNIFORM, &rng, &m.p);
    TokenBatcher tb;
    char err[256];
    ck_assert(token_batcher_init(&tb, tr, 600, 4, 5, err, sizeof err));
    const int S = token_batcher_steps(&tb);
    TrainConfig cfg = {.label = "lm", .epochs = 4, .opt = optim_defaults(OPT_SGD),
                       .schedule = {.kind = SCHED_STEP, .step_size = S, .gamma = 0.5f,
                                    .delay_steps = 2 * S},
                       .clip_norm = 5, .val_tokens = val, .n_val_tokens = 103, .val_B = 2,
                       .val_T = 5, .eval_before = true, .keep_best = true, .cli = cli,
                       .save = true};
    cfg.opt.lr = 1;
    TrainTask task = {.model = &m, .net = &lin, .forward = onehot_forward};
    train_run(&task, &tb.src, &cfg, &rng, lg);
    *n = params_snapshot_size(&m.p);
    *params = malloc(*n * sizeof **params);
    params_snapshot(&m.p, *params);
    token_batcher_free(&tb);
    model_free(&m);
    free(tr);
    free(val);
}

typedef struct LmCli {
    Cli cli;
    char *argv[1];
} LmCli;

static void lm_cli(LmCli *r, const char *dir, const char *resume_from)
{
    memset(r, 0, sizeof *r);
    snprintf(r->cli.out_dir, sizeof r->cli.out_dir, "%s", dir);
    if (resume_from) snprintf(r->cli.resume_path, sizeof r->cli.resume_path, "%s", resume_from);
    r->argv[0] = "lm";
    r->cli.argc = 1;
    r->cli.argv = r->argv;
}

static char lm_dir[64];

static void lm_interrupted_child(void)
{
    setenv("DL_INTERRUPT_AT_STEP", "40", 1);   // epoch 2, window 11 of 29
    if (!freopen("/dev/null", "w", stdout)) _exit(99);
    LmCli r;
    lm_cli(&r, lm_dir, NULL);
    float *p;
    size_t n;
    TrainLog lg;
    lm_resumable_run(&r.cli, &p, &n, &lg);
    _exit(0);   // not reached: the interrupt exits with 130
}

START_TEST(test_lm_run_interrupted_mid_stream_resumes_bit_for_bit)
{
    dl_tmpdir(lm_dir, sizeof lm_dir);
    char out[2048];
    int st = dl_run_child(lm_interrupted_child, out, sizeof out);
    ck_assert_msg(st == 130, "exit status %d, want 130; stderr: %s", st, out);
    char ckpt[128];
    snprintf(ckpt, sizeof ckpt, "%s/interrupted.ckpt", lm_dir);
    LmCli full, again;
    lm_cli(&full, lm_dir, NULL);
    lm_cli(&again, lm_dir, ckpt);
    float *pa, *pb;
    size_t na, nb;
    TrainLog la, lb;
    if (!freopen("/dev/null", "w", stdout)) ck_abort();
    lm_resumable_run(&full.cli, &pa, &na, &la);
    lm_resumable_run(&again.cli, &pb, &nb, &lb);
    ck_assert(lb.resumed && !la.resumed);
    ck_assert_int_eq(la.steps, 4 * 29);
    ck_assert_int_eq(lb.steps, la.steps);
    ck_assert_int_eq(lb.best_epoch, la.best_epoch);
    ck_assert(memcmp(la.step_loss, lb.step_loss, (size_t)la.steps * sizeof(float)) == 0);
    ck_assert(memcmp(la.val_loss, lb.val_loss, 5 * sizeof(float)) == 0);
    ck_assert(memcmp(la.train_loss, lb.train_loss, 5 * sizeof(float)) == 0);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(pa, pb, na * sizeof(float)) == 0);
    free(pa);
    free(pb);
    train_log_free(&la);
    train_log_free(&lb);
    dl_rm_rf(lm_dir);
}
END_TEST

// ---- the real corpora (when make data fetched them) ----

START_TEST(test_ptb_vocabulary_and_token_counts)
{
    Text t;
    char err[512];
    ck_assert_msg(text_load("data/ptb/ptb.train.txt", &t, err, sizeof err), "%s", err);
    ck_assert_uint_eq(t.n, 5101618);
    Vocab v;
    ck_assert_msg(vocab_build_words(&v, t.bytes, t.n, 0, err, sizeof err), "%s", err);
    ck_assert_int_eq(v.V, 10000);   // 9,999 word types with <unk>, plus <eos>
    int *ids;
    size_t n;
    ck_assert(vocab_encode_words(&v, t.bytes, t.n, &ids, &n, err, sizeof err));
    ck_assert_uint_eq(n, 929589);   // 887,521 words + 42,068 <eos>
    size_t eos = 0, unk = 0;
    for (size_t i = 0; i < n; i++) eos += ids[i] == v.eos, unk += ids[i] == v.unk;
    ck_assert_uint_eq(eos, 42068);
    ck_assert_uint_gt(unk, 0);   // PTB's own <unk>s map to id 0
    ck_assert_str_eq(vocab_token(&v, 2), "the");   // the most frequent word
    free(ids);
    text_free(&t);
    // the validation set has no word outside the training vocabulary but its own <unk>
    ck_assert_msg(text_load("data/ptb/ptb.valid.txt", &t, err, sizeof err), "%s", err);
    Vocab vv;
    ck_assert(vocab_build_words(&vv, t.bytes, t.n, 0, err, sizeof err));
    for (int i = 0; i < vv.V; i++) ck_assert_int_ge(vocab_id(&v, vocab_token(&vv, i)), 0);
    vocab_free(&vv);
    text_free(&t);
    vocab_free(&v);
}
END_TEST

START_TEST(test_tiny_shakespeare_has_65_characters)
{
    Text t;
    char err[512];
    ck_assert_msg(text_load("data/tinyshakespeare.txt", &t, err, sizeof err), "%s", err);
    ck_assert_uint_eq(t.n, 1115394);
    Vocab v;
    ck_assert(vocab_build_chars(&v, t.bytes, t.n, err, sizeof err));
    ck_assert_int_eq(v.V, 65);
    ck_assert_int_eq(v.byte_id['\n'], 0);
    ck_assert_int_eq(v.byte_id[' '], 1);
    vocab_free(&v);
    text_free(&t);
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *voc = tcase_create("vocab");
    tcase_add_test(voc, test_char_vocab_byte_order_ids_and_round_trip);
    tcase_add_test(voc, test_char_vocab_from_bytes_keeps_the_given_order);
    tcase_add_test(voc, test_encode_chars_lists_every_unknown_character_once);
    tcase_add_test(voc, test_word_vocab_order_counts_ties_and_eos);
    tcase_add_test(voc, test_word_vocab_max_words_and_unk_in_the_text);
    tcase_add_test(voc, test_word_vocab_errors);
    tcase_add_test(voc, test_text_load_reads_bytes_and_names_bad_files);
    suite_add_tcase(s, voc);
    TCase *st = tcase_create("stream");
    tcase_add_test(st, test_token_batcher_layout_epochs_and_reset_state);
    tcase_add_test(st, test_token_batcher_resumes_from_its_state);
    tcase_add_test(st, test_token_batcher_refuses_a_batch_larger_than_the_corpus);
    tcase_add_test(st, test_schedule_delay_matches_zaremba);
    tcase_add_test(st, test_train_run_validates_a_language_model_on_a_token_stream);
    tcase_add_test(st, test_train_run_refuses_a_validation_stream_too_short);
    dl_tcase_add_test_if(st, test_lm_run_interrupted_mid_stream_resumes_bit_for_bit,
                         dl_check_forks(), "needs Check's fork mode (stdout is redirected)");
    suite_add_tcase(s, st);
    TCase *real = tcase_create("corpora");
    tcase_set_timeout(real, 30);
    dl_tcase_add_test_if(real, test_ptb_vocabulary_and_token_counts,
                         access("data/ptb/ptb.train.txt", R_OK) == 0 &&
                         access("data/ptb/ptb.valid.txt", R_OK) == 0,
                         "data/ptb is absent (make data could not get it)");
    dl_tcase_add_test_if(real, test_tiny_shakespeare_has_65_characters,
                         access("data/tinyshakespeare.txt", R_OK) == 0,
                         "data/tinyshakespeare.txt is absent (make data could not get it)");
    suite_add_tcase(s, real);
    return s;
}

DL_TEST_MAIN(text_suite)
