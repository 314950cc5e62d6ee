/* common/train/generate.h — drawing the next token from a language model's logits.
 *
 * Sampling with temperature τ: p_i = softmax(logits / τ)_i. τ < 1 sharpens the distribution
 * (safer, more repetitive text), τ > 1 flattens it (more surprising, more mistakes), τ → 0 is
 * greedy decoding (argmax). Top-k sampling keeps only the k most likely tokens and renormalises
 * (Fan, Lewis & Dauphin, "Hierarchical Neural Story Generation", ACL 2018). Lecture 5 (char-rnn
 * samples) and lecture 7 (GPT decoding); as nanoGPT's sample.py.
 */
#ifndef DL_TRAIN_GENERATE_H
#define DL_TRAIN_GENERATE_H

#include "base/rng.h"

/* One token id in [0, V) from logits (V): temperature > 0 (<= 1e-6 means argmax), top_k > 0 keeps
 * the k largest logits (ties: the lower id first), 0 keeps all. One uniform draw from rng
 * (none for argmax). Deterministic for a given rng state. Dies on V < 1 or temperature < 0. */
int sample_token(const float *logits, int V, float temperature, int top_k, Rng *rng);

#endif
