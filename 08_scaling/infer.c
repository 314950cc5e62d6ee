/* 08_scaling/infer.c — section 6: inference-time compute. Two GPTs of chapter 7's kind, a
 * "small" and a "large", learn three-digit addition (infer.h: "123+456=0579"); then each test problem gets a greedy answer and n sampled ones (KV cache,
 * temperature 1: the model's own distribution), scored against n as
 *   pass@n       best-of-n with the exact checker as an oracle verifier: the unbiased
 *                estimator of Chen et al. (2021) from the n samples;
 *   log-prob@n   best-of-n with a realistic verifier: the model's own log-probability picks
 *                the most likely of the n answers (exact expectation over n-subsets);
 *   vote@n       majority voting, self-consistency (Wang et al. 2023): the most common answer.
 * (The answer is written most significant digit first, infer.h says why.)
 * Every answer's generation is counted in FLOPs (infer.h gpt_step_flops: the prompt's
 * prefill once, then each sample's decoding steps), and the question of Snell et al. (2024,
 * "Scaling LLM test-time compute optimally can be more effective than scaling model
 * parameters") is asked at toy scale: does the small model with n samples reach the large
 * one's greedy accuracy, and at what n and what compute?
 * Training: every step draws B fresh problems uniformly from the 10⁶ (a, b) pairs, never one
 * of the test problems (rejected by a bitmap), and the loss is the cross-entropy of the four
 * answer digits only: the operands are uniform random digits, their loss is ln 10 whatever the
 * model does, and the model is only ever asked p(answer | prompt).
 * Deterministic: the problems, the initialisation and the batches come from the chapter's
 * seed; each test problem's samples from its own stream (seed, model, problem), so any thread
 * count gives the same numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "ops/shape.h"
#include "report/plot.h"
#include "train/loop.h"

#include "infer.h"
#include "scaling.h"

// region: the task and its scoring (infer.h)

void add_encode(int a, int b, int *tokens)
{
    DL_CHECK(a >= 0 && a < ADD_RANGE && b >= 0 && b < ADD_RANGE,
             "add_encode: operands %d, %d must be in [0, %d)", a, b, ADD_RANGE);
    int s = a + b;
    for (int i = ADD_DIGITS - 1; i >= 0; i--, a /= 10) tokens[i] = a % 10;
    tokens[ADD_DIGITS] = ADD_PLUS;
    for (int i = 2 * ADD_DIGITS; i > ADD_DIGITS; i--, b /= 10) tokens[i] = b % 10;
    tokens[2 * ADD_DIGITS + 1] = ADD_EQUALS;
    for (int i = 0; i < ADD_ANSWER; i++, s /= 10)
        tokens[ADD_PROMPT + (ADD_REVERSED ? i : ADD_ANSWER - 1 - i)] = s % 10;
}

int add_answer_value(const int *answer)
{
    int v = 0;
    for (int i = 0; i < ADD_ANSWER; i++) {
        const int d = answer[ADD_REVERSED ? ADD_ANSWER - 1 - i : i];
        if (d < 0 || d > 9) return -1;
        v = 10 * v + d;
    }
    return v;
}

const char *add_text(const int *tokens, int n, char *buf)
{
    for (int i = 0; i < n; i++)
        buf[i] = tokens[i] == ADD_PLUS ? '+' : tokens[i] == ADD_EQUALS ? '=' : (char)('0' + tokens[i]);
    buf[n] = 0;
    return buf;
}

double pass_at_k(int n, int c, int k)
{
    DL_CHECK(k >= 1 && k <= n && c >= 0 && c <= n, "pass_at_k: need 1 <= k <= n and 0 <= c <= n, "
             "got n %d, c %d, k %d", n, c, k);
    if (n - c < k) return 1.0;
    double fail = 1.0;
    for (int i = n - c + 1; i <= n; i++) fail *= 1.0 - (double)k / i;
    return 1.0 - fail;
}

// Sample order by descending score, ties by index (a stable insertion sort: n is small).
static void rank_by_score(const double *score, int n, int *order)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && score[order[j - 1]] < score[i]) { order[j] = order[j - 1]; j--; }
        order[j] = i;
    }
}

double best_of_k(const double *score, const bool *correct, int n, int k)
{
    DL_CHECK(k >= 1 && k <= n, "best_of_k: need 1 <= k <= n, got n %d, k %d", n, k);
    int *order = dl_malloc((size_t)n * sizeof *order, "best_of_k order");
    rank_by_score(score, n, order);
    // P(rank r is the subset's best) = C(n−1−r, k−1)/C(n, k); w runs through these from r = 0:
    // w_0 = k/n, w_{r+1} = w_r · (n−r−k)/(n−r−1).
    double acc = 0.0, w = (double)k / n;
    for (int r = 0; r + k <= n; r++) {
        if (correct[order[r]]) acc += w;
        if (r + 1 < n) w *= (double)(n - r - k) / (n - r - 1);
    }
    free(order);
    return acc;
}

int majority_vote(const int *value, const double *score, int k)
{
    DL_CHECK(k >= 1, "majority_vote: k = %d must be >= 1", k);
    int best = -1, best_count = 0;
    double best_score = -INFINITY;
    for (int i = 0; i < k; i++) {
        if (value[i] < 0) continue;
        int count = 0;
        bool seen = false;
        for (int j = 0; j < k; j++) {
            if (value[j] != value[i]) continue;
            if (j < i) { seen = true; break; }
            count++;
        }
        if (seen) continue;   // counted at its first occurrence
        if (count > best_count || (count == best_count && score[i] > best_score))
            best = value[i], best_count = count, best_score = score[i];
    }
    return best;
}

double majority_at_k(const int *value, const double *score, int n, int k, int truth)
{
    DL_CHECK(k >= 1 && k <= n, "majority_at_k: need 1 <= k <= n, got n %d, k %d", n, k);
    const int groups = n / k;
    int right = 0;
    for (int g = 0; g < groups; g++) right += majority_vote(value + g * k, score + g * k, k) == truth;
    return (double)right / groups;
}

double gpt_step_flops(const GptConfig *c, int pos)
{
    const double C = c->C, F = c->ffn > 0 ? c->ffn : 4.0 * c->C;
    const double per_layer = 2.0 * (3 * C * C + C * C + 2 * C * F) + 2.0 * 2.0 * (pos + 1) * C;
    return c->L * per_layer + 2.0 * C * c->V;
}

// endregion
// region: training on the task

#define TEST_BITS ((size_t)ADD_RANGE * ADD_RANGE)

/* A BatchSource of B random problems per step, none in the test set: tokens (B, ADD_LEN − 1)
 * (the prompt and the first three answer digits: every position whose next token is an answer
 * digit), y (B · ADD_ANSWER) the answer digits, b-major. No checkpoint state (cli is NULL). */
typedef struct AddSource {
    BatchSource src;
    int B, step;
    const unsigned char *test;   // (TEST_BITS / 8) bitmap of the test problems a·1000 + b
    Rng *rng;
    int *tokens, *y;
} AddSource;

static bool in_test(const unsigned char *bits, int a, int b)
{
    const size_t i = (size_t)a * ADD_RANGE + (size_t)b;
    return bits[i / 8] >> (i % 8) & 1;
}

static int add_next(BatchSource *s, Batch *b)
{
    AddSource *a = (AddSource *)s;
    if (a->step == s->steps_per_epoch) { a->step = 0; return 0; }
    a->step++;
    int tok[ADD_LEN];
    for (int i = 0; i < a->B; i++) {
        int x, y;
        do {
            x = (int)rng_below(a->rng, ADD_RANGE);
            y = (int)rng_below(a->rng, ADD_RANGE);
        } while (in_test(a->test, x, y));
        add_encode(x, y, tok);
        memcpy(a->tokens + (size_t)i * (ADD_LEN - 1), tok, (ADD_LEN - 1) * sizeof *tok);
        memcpy(a->y + (size_t)i * ADD_ANSWER, tok + ADD_PROMPT, ADD_ANSWER * sizeof *tok);
    }
    *b = (Batch){.B = a->B, .T = ADD_LEN - 1, .tokens = a->tokens, .y = a->y};
    return a->B;
}

/* ForwardFn: the GPT's hidden states at the four positions that predict an answer digit
 * (ADD_PROMPT − 1 … ADD_LEN − 2), gathered (B · ADD_ANSWER, C) b-major, through the head:
 * logits (B · ADD_ANSWER, V) against the batch's y. */
static Tensor *add_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    Gpt *g = net;
    const int C = g->cfg.C;
    Tensor *h = gpt_hidden(g, tp, b->tokens, b->B, b->T);
    h = op_reshape(tp, h, 3, (int[]){b->B, b->T, C});
    Tensor *cols[ADD_ANSWER];
    for (int i = 0; i < ADD_ANSWER; i++) cols[i] = op_time_step(tp, h, ADD_PROMPT - 1 + i);
    Tensor *cat = op_concat(tp, cols, ADD_ANSWER);
    return gpt_logits(g, tp, op_reshape(tp, cat, 2, (int[]){b->B * ADD_ANSWER, C}));
}

typedef struct InferModel {
    const char *name;            // "small", "large"
    GptConfig cfg;
    int iters, B;
    float lr;
    Model m;
    Gpt g;
    size_t params;
    double train_s, final_loss;
} InferModel;

static void train_model(Chapter *ch, InferModel *im, const unsigned char *test)
{
    Rng rng;
    rng_seed(&rng, ch->cli.seed + (im->cfg.C * 131 + im->cfg.L));
    char model[64], label[64], prefix[64];
    snprintf(model, sizeof model, "08_scaling/add_%s", im->name);
    snprintf(label, sizeof label, "%s adder", im->name);
    snprintf(prefix, sizeof prefix, "infer_%s", im->name);
    model_init(&im->m, model);
    gpt_init(&im->g, &im->m, &im->cfg, &rng);
    im->params = params_count(&im->m.p);
    const int epochs = 5;
    AddSource src = {.src = {.next = add_next, .steps_per_epoch = (im->iters + epochs - 1) / epochs},
                     .B = im->B, .test = test, .rng = &rng};
    src.tokens = dl_malloc((size_t)im->B * (ADD_LEN - 1) * sizeof *src.tokens, "addition tokens");
    src.y = dl_malloc((size_t)im->B * ADD_ANSWER * sizeof *src.y, "addition targets");
    OptConfig opt = optim_defaults(OPT_ADAMW);
    opt.lr = im->lr;
    opt.beta2 = 0.99f;
    opt.weight_decay = 0.1f;
    opt.decay_min_ndim = 2;
    const int warmup = im->iters / 20;
    Schedule sched = {.kind = SCHED_COSINE, .warmup_steps = warmup, .min_lr = im->lr / 10,
                      .total_steps = im->iters - warmup > 0 ? im->iters - warmup : 1};
    TrainConfig tc = {.label = label, .epochs = epochs, .max_steps = im->iters, .opt = opt,
                      .schedule = sched, .clip_norm = 1.0f, .print = true,
                      .metrics = &ch->metrics, .prefix = prefix};
    TrainTask task = {&im->m, &im->g, add_forward, NULL, NULL};
    TrainLog log;
    train_run(&task, &src.src, &tc, &rng, &log);
    im->train_s = log.seconds[log.epochs_run];
    // the mean loss of the last tenth of the steps: less noisy than the last step's
    const long from = log.steps - (log.steps + 9) / 10;
    double sum = 0;
    for (long i = from; i < log.steps; i++) sum += log.step_loss[i];
    im->final_loss = sum / (double)(log.steps - from);
    train_log_free(&log);
    free(src.tokens);
    free(src.y);
}

// endregion
// region: sampling the answers

typedef struct Answers {
    int n;                       // samples per problem
    int *greedy;                 // (P) the greedy answer's value
    int *value;                  // (P, n) sampled answers' values (-1: not a number)
    double *logp;                // (P, n) their log-probabilities under the model (T = 1), nats
} Answers;

typedef struct SampleJob {
    Gpt *g;
    const int *a, *b;            // (P) the test problems
    float temperature;
    uint64_t seed;
    Answers *ans;
} SampleJob;

static double log_softmax_at(const float *z, int V, int k)
{
    float mx = z[0];
    for (int i = 1; i < V; i++) if (z[i] > mx) mx = z[i];
    double s = 0;
    for (int i = 0; i < V; i++) s += exp((double)(z[i] - mx));
    return (double)(z[k] - mx) - log(s);
}

// Decode ADD_ANSWER tokens after the prefilled prompt (kv at ADD_PROMPT positions, logits0 the
// prompt's next-token logits): greedy when rng is NULL. Returns the answer's log-probability.
static double answer_from(Gpt *g, KvCache *kv, const float *logits0, float temperature, Rng *rng,
                          int *answer, float *logits)
{
    kv->n = ADD_PROMPT;   // the prompt's keys and values stay; the answer's are overwritten
    memcpy(logits, logits0, ADD_V * sizeof *logits);
    double lp = 0;
    for (int i = 0; i < ADD_ANSWER; i++) {
        const int t = sample_token_nucleus(logits, ADD_V, rng ? temperature : 0.0f, 0, 1.0f, rng);
        lp += log_softmax_at(logits, ADD_V, t);
        answer[i] = t;
        if (i + 1 < ADD_ANSWER) gpt_decode_step(g, kv, t, logits);
    }
    return lp;
}

static void sample_problem(void *ctx, int p)
{
    SampleJob *j = ctx;
    Answers *an = j->ans;
    KvCache kv;
    kv_cache_init(&kv, j->g);
    int tok[ADD_LEN], answer[ADD_ANSWER];
    float logits0[ADD_V], logits[ADD_V];
    add_encode(j->a[p], j->b[p], tok);
    for (int i = 0; i < ADD_PROMPT; i++) gpt_decode_step(j->g, &kv, tok[i], logits0);
    answer_from(j->g, &kv, logits0, 0, NULL, answer, logits);
    an->greedy[p] = add_answer_value(answer);
    Rng rng;   // the problem's own stream: the same samples for any thread count
    rng_seed(&rng, j->seed * 1000003u + (uint64_t)p);
    for (int s = 0; s < an->n; s++) {
        const size_t at = (size_t)p * an->n + s;
        an->logp[at] = answer_from(j->g, &kv, logits0, j->temperature, &rng, answer, logits);
        an->value[at] = add_answer_value(answer);
    }
    kv_cache_free(&kv);
}

// endregion
// region: section 6

#define MAX_KS 6
static const int KS[MAX_KS] = {1, 2, 4, 8, 16, 32};
enum { M_GREEDY, M_PASS, M_LOGP, M_VOTE, N_METHODS };
static const char *const METHOD_KEY[N_METHODS] = {"greedy", "pass", "logprob", "vote"};

typedef struct Scores {
    int nk;                      // the ks used (KS[0 … nk))
    double acc[N_METHODS][MAX_KS];   // percent; greedy in [M_GREEDY][0]
    double flops[MAX_KS];        // generation FLOPs per problem with k samples
    double flops_greedy;
} Scores;

static void score_answers(const Answers *an, const int *truth, int P, const GptConfig *cfg,
                          int nk, Scores *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->nk = nk;
    const int n = an->n;
    bool *correct = dl_malloc((size_t)n * sizeof *correct, "correct samples");
    int greedy_right = 0;
    for (int p = 0; p < P; p++) {
        greedy_right += an->greedy[p] == truth[p];
        const int *v = an->value + (size_t)p * n;
        const double *lp = an->logp + (size_t)p * n;
        int c = 0;
        for (int s = 0; s < n; s++) c += correct[s] = v[s] == truth[p];
        for (int i = 0; i < nk; i++) {
            sc->acc[M_PASS][i] += pass_at_k(n, c, KS[i]);
            sc->acc[M_LOGP][i] += best_of_k(lp, correct, n, KS[i]);
            sc->acc[M_VOTE][i] += majority_at_k(v, lp, n, KS[i], truth[p]);
        }
    }
    free(correct);
    sc->acc[M_GREEDY][0] = 100.0 * greedy_right / P;
    for (int m = M_PASS; m < N_METHODS; m++)
        for (int i = 0; i < nk; i++) sc->acc[m][i] *= 100.0 / P;
    double prompt = 0, sample = 0;
    for (int pos = 0; pos < ADD_PROMPT; pos++) prompt += gpt_step_flops(cfg, pos);
    for (int pos = ADD_PROMPT; pos < ADD_LEN - 1; pos++) sample += gpt_step_flops(cfg, pos);
    sc->flops_greedy = prompt + sample;
    for (int i = 0; i < nk; i++) sc->flops[i] = prompt + KS[i] * sample;
}

static void print_scores(const char *name, size_t params, const Scores *sc)
{
    printf("  %-6s (%zu parameters) greedy: %.1f %% at %.3g FLOPs per problem\n", name, params,
           sc->acc[M_GREEDY][0], sc->flops_greedy);
    printf("  %6s %12s %10s %12s %10s\n", "n", "FLOPs", "pass@n", "log-prob@n", "vote@n");
    for (int i = 0; i < sc->nk; i++)
        printf("  %6d %12.3g %9.1f%% %11.1f%% %9.1f%%\n", KS[i], sc->flops[i], sc->acc[M_PASS][i],
               sc->acc[M_LOGP][i], sc->acc[M_VOTE][i]);
}

static void record_scores(Metrics *mt, const char *name, const InferModel *im, const Scores *sc)
{
    metrics_setf(mt, (double)im->params, "infer_%s_params", name);
    metrics_setf(mt, im->train_s, "infer_%s_train_s", name);
    metrics_setf(mt, im->final_loss, "infer_%s_final_loss", name);
    metrics_setf(mt, sc->acc[M_GREEDY][0], "infer_%s_greedy_acc_pct", name);
    metrics_setf(mt, sc->flops_greedy, "infer_%s_greedy_flops", name);
    for (int i = 0; i < sc->nk; i++) {
        for (int m = M_PASS; m < N_METHODS; m++)
            metrics_setf(mt, sc->acc[m][i], "infer_%s_%s_at_%d_acc_pct", name, METHOD_KEY[m], KS[i]);
        metrics_setf(mt, sc->flops[i], "infer_%s_flops_at_%d", name, KS[i]);
    }
}

void inference_section(Chapter *ch, const Flags *f)
{
    (void)f;
    chapter_section("6. Inference-time compute: best-of-n, majority voting, a small model with "
                    "many samples against a large one");
    const Cli *cli = &ch->cli;
    const bool quick = cli->quick;
    Metrics *mt = &ch->metrics;
    const int P = quick ? 24 : 300;             // test problems
    const int nk = quick ? 3 : MAX_KS, n = KS[nk - 1];
    const float temperature = 1.0f;
    // the test problems: P distinct pairs from the seed
    Rng rng;
    rng_seed(&rng, cli->seed ^ 0x1bf5a7c3u);
    unsigned char *test = dl_malloc(TEST_BITS / 8, "test bitmap");
    memset(test, 0, TEST_BITS / 8);
    int *ta = dl_malloc((size_t)P * sizeof *ta, "test a"), *tb = dl_malloc((size_t)P * sizeof *tb, "test b");
    int *truth = dl_malloc((size_t)P * sizeof *truth, "test sums");
    for (int p = 0; p < P; p++) {
        int a, b;
        do {
            a = (int)rng_below(&rng, ADD_RANGE);
            b = (int)rng_below(&rng, ADD_RANGE);
        } while (in_test(test, a, b));
        const size_t i = (size_t)a * ADD_RANGE + (size_t)b;
        test[i / 8] |= (unsigned char)(1u << (i % 8));
        ta[p] = a, tb[p] = b, truth[p] = a + b;
    }
    int tok[ADD_LEN];
    char text[ADD_LEN + 1];
    add_encode(ta[0], tb[0], tok);
    printf("task: a + b, a and b in [0, %d), written \"%s\" (%d + %d = %d: the answer's %d "
           "digits %s); V = %d tokens; %d test problems (never trained on), training draws "
           "fresh problems from the other %zu\n", ADD_RANGE, add_text(tok, ADD_LEN, text), ta[0],
           tb[0], truth[0], ADD_ANSWER, ADD_REVERSED ? "least significant first" :
           "most significant first, as written: the first one needs every carry at once",
           ADD_V, P, (size_t)TEST_BITS - (size_t)P);
    InferModel models[2] = {
        {.name = "small", .cfg = {.V = ADD_V, .T = ADD_LEN - 1, .L = quick ? 1 : 2, .NH = 2,
                                  .C = quick ? 16 : 48, .causal = true, .pos = POS_LEARNED},
         .iters = quick ? 30 : 1500, .B = 64, .lr = 3e-3f},
        {.name = "large", .cfg = {.V = ADD_V, .T = ADD_LEN - 1, .L = quick ? 1 : 3, .NH = 4,
                                  .C = quick ? 32 : 64, .causal = true, .pos = POS_LEARNED},
         .iters = quick ? 30 : 1500, .B = 64, .lr = 2e-3f},
    };
    printf("loss: cross-entropy of the 4 answer digits only; AdamW (β 0.9, 0.99, weight decay "
           "0.1), warm-up then cosine to lr/10, clip 1.0, batches of fresh problems\n");
    Scores sc[2];
    double eval_s = 0;
    for (int mi = 0; mi < 2; mi++) {
        InferModel *im = &models[mi];
        const GptConfig *c = &im->cfg;
        printf("%s GPT: %d layer(s), %d heads, d_model %d, context %d; %d steps of %d problems, "
               "lr %g\n", im->name, c->L, c->NH, c->C, c->T, im->iters, im->B, (double)im->lr);
        train_model(ch, im, test);
        printf("  %zu parameters, trained in %.1f s; answer loss %.4f nats/digit (mean of the "
               "last tenth of the steps)\n", im->params, im->train_s, im->final_loss);
        Answers an = {.n = n};
        an.greedy = dl_malloc((size_t)P * sizeof *an.greedy, "greedy answers");
        an.value = dl_malloc((size_t)P * n * sizeof *an.value, "sampled answers");
        an.logp = dl_malloc((size_t)P * n * sizeof *an.logp, "sample log-probabilities");
        SampleJob job = {.g = &im->g, .a = ta, .b = tb, .temperature = temperature,
                         .seed = cli->seed + 7919u * (uint64_t)(mi + 1), .ans = &an};
        const double t0 = now_seconds();
        parallel_for(P, sample_problem, &job);
        eval_s += now_seconds() - t0;
        score_answers(&an, truth, P, &im->g.cfg, nk, &sc[mi]);
        free(an.greedy);
        free(an.value);
        free(an.logp);
    }
    printf("\nsampling at temperature %.1f with the KV cache: %d samples per problem, %d problems "
           "per model in %.1f s (%d thread(s)); FLOPs per problem: the prompt's %d steps once, "
           "%d decoding steps per sample (gpt_step_flops)\n", (double)temperature, n, P, eval_s,
           threads_get(), ADD_PROMPT, ADD_ANSWER - 1);
    for (int mi = 0; mi < 2; mi++) {
        print_scores(models[mi].name, models[mi].params, &sc[mi]);
        record_scores(mt, models[mi].name, &models[mi], &sc[mi]);
    }
    printf("  (pass@n: the exact checker picks, an oracle — Chen et al.'s unbiased estimator from "
           "the %d samples; log-prob@n: the model's own most likely answer of n; vote@n: the most "
           "common answer of n, ties to the likelier, over disjoint groups of n)\n", n);
    metrics_set(mt, "infer_test_problems", P);
    metrics_set(mt, "infer_samples", n);
    metrics_set(mt, "infer_temperature", temperature);
    metrics_set(mt, "infer_sample_s", eval_s);

    // Snell et al. at toy scale: the small model's n against the large one's single answer.
    const Scores *s = &sc[0], *l = &sc[1];
    const double target = l->acc[M_GREEDY][0];
    printf("\ndoes the small model with n samples match the large one's greedy answer (%.1f %%, "
           "%.3g FLOPs per problem)?\n", target, l->flops_greedy);
    int same = 0;   // the largest n whose compute does not exceed the large model's greedy answer
    for (int i = 0; i < s->nk; i++) if (s->flops[i] <= l->flops_greedy) same = i;
    for (int m = M_PASS; m < N_METHODS; m++) {
        int at = -1;
        for (int i = 0; i < s->nk && at < 0 && target > 0; i++) if (s->acc[m][i] >= target) at = i;
        if (target <= 0) {
            printf("  %-8s the large model solves no test problem: nothing to match\n",
                   METHOD_KEY[m]);
        } else if (at >= 0) {
            printf("  %-8s yes at n = %d: %.1f %% for %.3g FLOPs, %.2f× the large model's "
                   "compute\n", METHOD_KEY[m], KS[at], s->acc[m][at], s->flops[at],
                   s->flops[at] / l->flops_greedy);
        } else {
            printf("  %-8s no: at most %.1f %% (n = %d, %.2f× the large model's compute)\n",
                   METHOD_KEY[m], s->acc[m][s->nk - 1], KS[s->nk - 1],
                   s->flops[s->nk - 1] / l->flops_greedy);
        }
        metrics_setf(mt, at >= 0 ? KS[at] : 0, "infer_match_n_%s", METHOD_KEY[m]);
    }
    printf("  at equal compute (small n = %d, %.3g FLOPs, against the large greedy %.3g): "
           "pass %.1f %%, log-prob %.1f %%, vote %.1f %% vs %.1f %%\n", KS[same], s->flops[same],
           l->flops_greedy, s->acc[M_PASS][same], s->acc[M_LOGP][same], s->acc[M_VOTE][same],
           target);
    metrics_set(mt, "infer_equal_compute_n", KS[same]);
    const int last = s->nk - 1;
    const double real_gain = fmax(s->acc[M_VOTE][last], s->acc[M_LOGP][last]) - s->acc[M_GREEDY][0];
    const double oracle_gain = s->acc[M_PASS][last] - s->acc[M_GREEDY][0];
    metrics_set(mt, "infer_small_real_gain_pct", real_gain);
    metrics_set(mt, "infer_small_oracle_gain_pct", oracle_gain);
    if (real_gain < 5 && oracle_gain > 5 + real_gain) printf("  the realistic verifiers move the small model from %.1f %% (greedy) to %.1f %% "
           "(vote@%d) and %.1f %% (log-prob@%d), while the oracle reaches %.1f %%: with no "
           "reasoning written before the answer, n samples at temperature 1 mostly estimate the "
           "model's most likely answer, which greedy decoding already gives, so voting and the "
           "model's own likelihood saturate near it. The oracle shows the right answer is among "
           "the samples; a verifier that knows more than the generator is what turns samples "
           "into accuracy (Cobbe et al. 2021; Snell et al. 2024), and voting gains most when "
           "many different chains of thought lead to one answer (Wang et al. 2023)\n",
           s->acc[M_GREEDY][0], s->acc[M_VOTE][last], KS[last], s->acc[M_LOGP][last], KS[last],
           s->acc[M_PASS][last]);

    // accuracy against log10 FLOPs (plot.h has no log x axis: the x values are the logarithms);
    // the small model in blues, the large in reds; the oracle dashed, greedy a square
    static const char *const STYLE[2][4] = {
        {"linespoints dt 2 pt 6 lc rgb '#6baed6'", "linespoints pt 7 lc rgb '#2171b5'",
         "linespoints pt 9 lc rgb '#08306b'", "points pt 5 ps 2 lc rgb '#2171b5'"},
        {"linespoints dt 2 pt 6 lc rgb '#fc9272'", "linespoints pt 7 lc rgb '#cb181d'",
         "linespoints pt 9 lc rgb '#67000d'", "points pt 5 ps 2 lc rgb '#cb181d'"}};
    float x[2][MAX_KS], y[2][N_METHODS][MAX_KS], gx[2], gy[2];
    PlotSeries ps[2 * N_METHODS];
    char titles[2 * N_METHODS][48];
    int ns = 0;
    for (int mi = 0; mi < 2; mi++) {
        for (int i = 0; i < sc[mi].nk; i++) x[mi][i] = (float)log10(sc[mi].flops[i]);
        for (int m = M_PASS; m < N_METHODS; m++) {
            for (int i = 0; i < sc[mi].nk; i++) y[mi][m][i] = (float)sc[mi].acc[m][i];
            snprintf(titles[ns], sizeof titles[ns], "%s: %s@n", models[mi].name, METHOD_KEY[m]);
            ps[ns] = (PlotSeries){titles[ns], x[mi], y[mi][m], sc[mi].nk, STYLE[mi][m - M_PASS]};
            ns++;
        }
        gx[mi] = (float)log10(sc[mi].flops_greedy);
        gy[mi] = (float)sc[mi].acc[M_GREEDY][0];
        snprintf(titles[ns], sizeof titles[ns], "%s: greedy", models[mi].name);
        ps[ns] = (PlotSeries){titles[ns], &gx[mi], &gy[mi], 1, STYLE[mi][3]};
        ns++;
    }
    plot_lines(cli->out_dir, "infer_acc_flops", "addition: test accuracy against inference "
               "compute (n = 1, 2, 4, … samples)", "log10 generation FLOPs per problem",
               "accuracy (%)", ps, ns, false);
    printf("plot: infer_acc_flops.png (accuracy against log10 FLOPs per problem, both models)\n");
    for (int mi = 0; mi < 2; mi++) model_free(&models[mi].m);
    free(test);
    free(ta);
    free(tb);
    free(truth);
}

// endregion
