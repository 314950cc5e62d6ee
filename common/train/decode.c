/* common/train/decode.c — greedy decoding, sampling (temperature, top-k, top-p) and beam search
 * over any LanguageModel; see train/decode.h.
 *
 * Sources: nucleus sampling is Holtzman, Buys, Du, Forbes & Choi, "The Curious Case of Neural
 * Text Degeneration", ICLR 2020 (sort by probability, keep the smallest prefix whose mass
 * reaches p, renormalise); top-k is Fan, Lewis & Dauphin 2018; beam search as in Sutskever,
 * Vinyals & Le 2014 and Hugging Face's generate (scores are sums of log-probabilities, the final
 * choice divided by length^α, Wu et al. 2016). Everything is deterministic: ties go to the lower
 * token id (and, in the beam, to the better-ranked parent), and sampling draws one uniform per
 * token.
 */
#include "train/decode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "train/generate.h"

// ---- one token ----
// region: sample

typedef struct Ranked {
    float logit;
    int id;
} Ranked;

/* Larger logit first; equal logits: the lower id first. */
static int cmp_ranked(const void *x, const void *y)
{
    const Ranked *a = x, *b = y;
    if (a->logit != b->logit) return a->logit > b->logit ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++) best = v[i] > v[best] ? i : best;
    return best;
}

int sample_token_nucleus(const float *logits, int V, float temperature, int top_k, float top_p,
                         Rng *rng)
{
    DL_CHECK(V >= 1, "sample_token_nucleus: V must be >= 1, got %d", V);
    DL_CHECK(temperature >= 0.0f, "sample_token_nucleus: temperature must be >= 0, got %g",
             (double)temperature);
    DL_CHECK(top_p >= 0.0f && top_p <= 1.0f, "sample_token_nucleus: top_p must be in [0, 1] "
             "(0 or 1: off), got %g", (double)top_p);
    if (top_p <= 0.0f || top_p >= 1.0f) return sample_token(logits, V, temperature, top_k, rng);
    if (temperature <= 1e-6f || top_k == 1) return argmax(logits, V);
    // Rank every token, keep the top k, weigh them at this temperature.
    Ranked *r = dl_malloc((size_t)V * sizeof *r, "sample_token_nucleus");
    for (int i = 0; i < V; i++) r[i] = (Ranked){logits[i], i};
    qsort(r, (size_t)V, sizeof *r, cmp_ranked);
    int kept = top_k > 0 && top_k < V ? top_k : V;
    double *w = dl_malloc((size_t)V * sizeof *w, "sample_token_nucleus");
    double total = 0.0;
    for (int j = 0; j < kept; j++) {
        w[j] = exp((double)(r[j].logit - r[0].logit) / temperature);
        total += w[j];
    }
    // The nucleus: the smallest prefix (in probability order) whose mass reaches top_p.
    double mass = 0.0;
    int nucleus = 0;
    while (nucleus < kept) {
        mass += w[nucleus++];
        if (mass >= (double)top_p * total) break;
    }
    // Inverse CDF over the nucleus in id order (as sample_token), one uniform draw.
    double *wid = dl_malloc((size_t)V * sizeof *wid, "sample_token_nucleus");
    memset(wid, 0, (size_t)V * sizeof *wid);
    for (int j = 0; j < nucleus; j++) wid[r[j].id] = w[j];
    double u = rng_uniform(rng) * mass, acc = 0.0;
    int pick = r[0].id;
    for (int i = 0; i < V; i++) {
        if (wid[i] == 0.0) continue;
        acc += wid[i];
        pick = i;
        if (u < acc) break;
    }
    free(wid);
    free(w);
    free(r);
    return pick;
}

// ---- describing a configuration ----
// region: describe

const char *decode_describe(const DecodeConfig *c, char *buf, int len)
{
    bool top_p = c->top_p > 0.0f && c->top_p < 1.0f;
    switch (c->kind) {
    case DECODE_GREEDY:
        snprintf(buf, (size_t)len, "greedy");
        break;
    case DECODE_BEAM:
        if (c->length_penalty != 0.0f)
            snprintf(buf, (size_t)len, "beam %d (length penalty %.2g)", c->beam,
                     (double)c->length_penalty);
        else
            snprintf(buf, (size_t)len, "beam %d", c->beam);
        break;
    case DECODE_SAMPLE:
        if (c->top_k > 0 && top_p)
            snprintf(buf, (size_t)len, "top-k %d, top-p %.2g (temperature %.1f)", c->top_k,
                     (double)c->top_p, (double)c->temperature);
        else if (c->top_k > 0)
            snprintf(buf, (size_t)len, "top-k %d (temperature %.1f)", c->top_k,
                     (double)c->temperature);
        else if (top_p && c->temperature != 1.0f)
            snprintf(buf, (size_t)len, "top-p %.2g (temperature %.1f)", (double)c->top_p,
                     (double)c->temperature);
        else if (top_p)
            snprintf(buf, (size_t)len, "top-p %.2g", (double)c->top_p);
        else
            snprintf(buf, (size_t)len, "temperature %.2g", (double)c->temperature);
        break;
    default:
        snprintf(buf, (size_t)len, "unknown decoding %d", (int)c->kind);
    }
    return buf;
}

// ---- generation ----
// region: decode

/* logp[i] = log softmax(logits)_i in double. */
static void log_softmax(const float *logits, int V, double *logp)
{
    double m = logits[argmax(logits, V)], s = 0.0;
    for (int i = 0; i < V; i++) s += exp((double)logits[i] - m);
    double lse = m + log(s);
    for (int i = 0; i < V; i++) logp[i] = (double)logits[i] - lse;
}

/* The model's logits after seq[0 … len): only the last max_T tokens are fed. */
static void model_logits(const LanguageModel *lm, const int *seq, int len, float *logits)
{
    int n = len < lm->max_T ? len : lm->max_T;
    lm->logits(lm->ctx, seq + (len - n), n, logits);
}

static void check_config(const LanguageModel *lm, const DecodeConfig *c, int n_prompt, int n_new,
                         const Rng *rng)
{
    DL_CHECK(lm->V >= 1 && lm->max_T >= 1 && lm->logits, "decode: the language model needs V "
             ">= 1, max_T >= 1 and a logits function (got V %d, max_T %d)", lm->V, lm->max_T);
    DL_CHECK(n_prompt >= 1, "decode: the prompt needs at least one token, got %d", n_prompt);
    DL_CHECK(n_new >= 0, "decode: n_new must be >= 0, got %d", n_new);
    switch (c->kind) {
    case DECODE_GREEDY:
        break;
    case DECODE_SAMPLE:
        DL_CHECK(c->temperature >= 0.0f, "decode: DecodeConfig.temperature must be > 0 (<= 1e-6 "
                 "is greedy), got %g", (double)c->temperature);
        DL_CHECK(c->top_k >= 0, "decode: DecodeConfig.top_k must be >= 0 (0: all), got %d",
                 c->top_k);
        DL_CHECK(c->top_p >= 0.0f && c->top_p <= 1.0f, "decode: DecodeConfig.top_p must be in "
                 "[0, 1] (0 or 1: off), got %g", (double)c->top_p);
        DL_CHECK(rng != NULL, "decode: sampling needs an rng (DecodeConfig.kind is sample)");
        break;
    case DECODE_BEAM:
        DL_CHECK(c->beam >= 1, "decode: DecodeConfig.beam must be >= 1, got %d", c->beam);
        DL_CHECK(isfinite(c->length_penalty), "decode: DecodeConfig.length_penalty must be "
                 "finite, got %g", (double)c->length_penalty);
        break;
    default:
        dl_die("decode: DecodeConfig.kind %d is not greedy, sample or beam", (int)c->kind);
    }
}

/* Beam search; writes the best sequence into out and returns its log-probability. */
static double beam_search(const LanguageModel *lm, const DecodeConfig *c, const int *prompt,
                          int n_prompt, int n_new, int *out)
{
    int V = lm->V, B = c->beam, total = n_prompt + n_new;
    int *seq = dl_malloc((size_t)B * (size_t)total * sizeof *seq, "beam search");
    int *next_seq = dl_malloc((size_t)B * (size_t)total * sizeof *next_seq, "beam search");
    double *score = dl_malloc((size_t)B * sizeof *score, "beam search");
    double *cand = dl_malloc((size_t)B * sizeof *cand, "beam search");
    int *cand_h = dl_malloc((size_t)B * sizeof *cand_h, "beam search");
    int *cand_t = dl_malloc((size_t)B * sizeof *cand_t, "beam search");
    float *logits = dl_malloc((size_t)V * sizeof *logits, "beam search");
    double *logp = dl_malloc((size_t)V * sizeof *logp, "beam search");
    memcpy(seq, prompt, (size_t)n_prompt * sizeof *seq);
    score[0] = 0.0;
    int nb = 1;
    for (int step = 0; step < n_new; step++) {
        int len = n_prompt + step, nc = 0;
        for (int h = 0; h < nb; h++) {
            model_logits(lm, seq + (size_t)h * total, len, logits);
            log_softmax(logits, V, logp);
            for (int t = 0; t < V; t++) {
                double s = score[h] + logp[t];
                if (nc == B && !(s > cand[B - 1])) continue;   // ties keep the earlier
                int j = nc < B ? nc++ : B - 1;
                while (j > 0 && s > cand[j - 1]) {
                    cand[j] = cand[j - 1], cand_h[j] = cand_h[j - 1], cand_t[j] = cand_t[j - 1];
                    j--;
                }
                cand[j] = s, cand_h[j] = h, cand_t[j] = t;
            }
        }
        for (int j = 0; j < nc; j++) {
            int *dst = next_seq + (size_t)j * total;
            memcpy(dst, seq + (size_t)cand_h[j] * total, (size_t)len * sizeof *dst);
            dst[len] = cand_t[j];
            score[j] = cand[j];
        }
        int *tmp = seq;
        seq = next_seq, next_seq = tmp;
        nb = nc;
    }
    // Every beam has n_new tokens; the length penalty matters only with unequal lengths (an
    // end-of-text token), but it is applied as documented.
    int best = 0;
    double norm = n_new > 0 && c->length_penalty != 0.0f ? pow(n_new, c->length_penalty) : 1.0;
    for (int h = 1; h < nb; h++) best = score[h] / norm > score[best] / norm ? h : best;
    memcpy(out, seq + (size_t)best * total, (size_t)total * sizeof *out);
    double result = score[best];
    free(seq);
    free(next_seq);
    free(score);
    free(cand);
    free(cand_h);
    free(cand_t);
    free(logits);
    free(logp);
    return result;
}

double decode(const LanguageModel *lm, const DecodeConfig *c, const int *prompt, int n_prompt,
              int n_new, Rng *rng, int *out)
{
    check_config(lm, c, n_prompt, n_new, rng);
    if (c->kind == DECODE_BEAM) return beam_search(lm, c, prompt, n_prompt, n_new, out);
    int V = lm->V;
    float *logits = dl_malloc((size_t)V * sizeof *logits, "decode");
    double *logp = dl_malloc((size_t)V * sizeof *logp, "decode");
    memmove(out, prompt, (size_t)n_prompt * sizeof *out);
    double total = 0.0;
    for (int step = 0; step < n_new; step++) {
        int len = n_prompt + step;
        model_logits(lm, out, len, logits);
        int t = c->kind == DECODE_GREEDY
                    ? argmax(logits, V)
                    : sample_token_nucleus(logits, V, c->temperature, c->top_k, c->top_p, rng);
        log_softmax(logits, V, logp);
        total += logp[t];
        out[len] = t;
    }
    free(logits);
    free(logp);
    return total;
}
