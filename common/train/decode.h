/* common/train/decode.h — turning a language model into text: greedy, sampling, beam search.
 *
 * A LanguageModel is anything that gives next-token logits for a prefix (a GPT with or
 * without its KV cache, nn/transformer.h; a bigram table in the tests). The strategies
 * (lecture 7, "decoding"; as Hugging Face's generate):
 *   greedy       argmax at every step
 *   sampling     p = softmax(logits / temperature) (Ackley, Hinton & Sejnowski 1985),
 *                optionally only the top-k tokens (Fan, Lewis & Dauphin 2018) and/or the
 *                smallest set whose probability reaches top_p (nucleus; Holtzman et al. 2020),
 *                renormalised
 *   beam search  keep the `beam` prefixes of highest total log-probability, extend each by
 *                every token, keep the best `beam` again (Graves 2012; Sutskever et al. 2014);
 *                the best finished beam by total log-probability (length_penalty α: divided
 *                by length^α, as Wu et al. 2016 / HF; 0: none)
 * When a prefix is longer than the model's context (max_T), only its last max_T tokens are
 * fed (nanoGPT's generate crops the same way).
 */
#ifndef DL_TRAIN_DECODE_H
#define DL_TRAIN_DECODE_H

#include <stdbool.h>

#include "base/rng.h"

typedef struct LanguageModel {
    void *ctx;
    int V;                     // vocabulary
    int max_T;                 // context length: at most this many tokens are fed
    /* logits (V) of the token after prefix[0 … n), 1 <= n <= max_T. */
    void (*logits)(void *ctx, const int *prefix, int n, float *logits);
} LanguageModel;

typedef enum { DECODE_GREEDY, DECODE_SAMPLE, DECODE_BEAM } DecodeKind;

typedef struct DecodeConfig {
    DecodeKind kind;
    float temperature;         // DECODE_SAMPLE: > 0 (1: the model's distribution)
    int top_k;                 // DECODE_SAMPLE: keep the k most likely (0: all)
    float top_p;               // DECODE_SAMPLE: nucleus mass in (0, 1] (1 or 0: off)
    int beam;                  // DECODE_BEAM: beam width >= 1 (1 is greedy)
    float length_penalty;      // DECODE_BEAM: α (0: none)
} DecodeConfig;

/* "greedy", "temperature 0.8", "top-k 40 (temperature 1.0)", "top-p 0.9", "beam 4": the
 * settings in words, for the chapter's printout. buf of at least 64 bytes; returns buf. */
const char *decode_describe(const DecodeConfig *c, char *buf, int len);

/* Generate n_new tokens after prompt (n_prompt >= 1 tokens): out (n_prompt + n_new) receives
 * the prompt then the new tokens. Sampling draws from rng (one uniform per token; NULL allowed
 * for greedy and beam). Deterministic for a given rng state. Dies on a bad config (naming the
 * field) or n_prompt < 1. Returns the total log-probability (nats) of the new tokens under the
 * model at temperature 1 (for comparing strategies). */
double decode(const LanguageModel *lm, const DecodeConfig *c, const int *prompt, int n_prompt,
              int n_new, Rng *rng, int *out);

/* One token from logits (V) with temperature / top-k / top-p as in DecodeConfig (ties: the
 * lower id first). temperature <= 1e-6 is argmax. Extends train/generate.h's sample_token
 * with top_p. */
int sample_token_nucleus(const float *logits, int V, float temperature, int top_k, float top_p,
                         Rng *rng);

#endif
