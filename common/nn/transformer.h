/* common/nn/transformer.h — the Transformer (Vaswani et al. 2017) as GPT and BERT build it.
 *
 * A stack of L blocks on token + position embeddings (lecture 7):
 *   x = wte[tokens] + pos                        (B·T, C); pos learned (wpe, GPT/BERT) or
 *                                                sinusoidal (Vaswani §3.5), or none
 *   pre-LN block (GPT-2, nanoGPT):  x = x + proj(attn(qkv(LN1(x))));  x = x + mlp(LN2(x))
 *   post-LN block (Vaswani, BERT):  x = LN1(x + proj(attn(qkv(x))));  x = LN2(x + mlp(x))
 *   mlp(x) = fc_proj(GELU(fc(x))), fc: C → ffn (4C), fc_proj: ffn → C
 *   pre-LN ends with a final LayerNorm ln_f; logits = x · wteᵀ (tied head, Press & Wolf 2017)
 *   or x · head.w (+ b)
 * attn is ops/attention.h's op_attention (causal for a decoder, bidirectional for an encoder);
 * qkv is one Linear C → 3C (nanoGPT's c_attn), proj is W^O (c_proj).
 * Initialisation as nanoGPT/GPT-2: every weight N(0, init_std²), the residual projections
 * (proj, fc_proj) N(0, (init_std/√(2L))²), biases 0, LayerNorm γ = 1, β = 0.
 * Parameters are added to m->p in the order (and with the names) of nanoGPT's state_dict
 * (wte, wpe, h.<l>.ln_1 …), which scripts/gen_fixtures_gpt.py relies on.
 *
 * Also here: the KV cache for generation, a LanguageModel adapter for train/decode.h, LoRA
 * adapters (Hu et al. 2021), and the parameter count of a configuration.
 */
#ifndef DL_NN_TRANSFORMER_H
#define DL_NN_TRANSFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/rng.h"
#include "data/batch.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "train/decode.h"
#include "train/model.h"

typedef enum { POS_LEARNED, POS_SINUSOIDAL, POS_NONE } PosKind;

typedef struct GptConfig {
    int V;               // vocabulary
    int T;               // context length (block_size): the longest sequence
    int L;               // layers (n_layer)
    int NH;              // heads (n_head); must divide C
    int C;               // model width (d_model, n_embd)
    int ffn;             // hidden width of the MLP (0: 4C)
    bool bias;           // biases in every Linear and LayerNorm (nanoGPT's bias=False: none)
    bool causal;         // decoder (GPT); false: encoder (BERT, bidirectional)
    bool post_ln;        // post-LN blocks (Vaswani, BERT); false: pre-LN + ln_f (GPT-2)
    PosKind pos;
    bool untied_head;    // false (default): logits = x·wteᵀ; true: a separate head Linear C → V
    float init_std;      // 0: 0.02
    // BERT's extra parameters (counted and built so that BERT-base's count can be checked):
    int n_segments;      // token-type embeddings (2 in BERT; 0: none); segment 0 is added
    bool emb_ln;         // a LayerNorm on the summed embeddings (BERT)
    bool pooler;         // the [CLS] pooler Linear C → C (BERT; unused by the forward)
} GptConfig;

/* The parameter count of a configuration, from the formula (no allocation): e.g. GPT-2 small
 * (V 50257, T 1024, L 12, NH 12, C 768, bias, tied) = 124,439,808. */
size_t gpt_param_count(const GptConfig *c);

/* False with err filled (naming the field, its value and the fix) when a configuration is
 * unusable: any size < 1, NH not dividing C ("n_head 5 does not divide d_model 128"), … */
bool gpt_config_check(const GptConfig *c, char *err, size_t errlen);

/* Counted FLOPs of a forward pass over B sequences of T tokens (T <= c->T), layer by layer
 * (Kaplan et al. 2020 Table 1; Hoffmann et al. 2022 Appendix F), a multiply-add = 2 FLOPs:
 *   every GEMM 2·M·N·K: per block qkv 2·C·3C, proj 2·C·C, fc 2·C·ffn, fc_proj 2·ffn·C per
 *   token; the LM head 2·C·V per token (tied or not);
 *   attention QKᵀ and P·V per head, 2·HS per (query, key) pair each, over the pairs the kernel
 *   computes: causal (a decoder) the T(T+1)/2 of the lower triangle — kernels/attention.c skips
 *   the masked tiles — so 2·C·T(T+1) per sequence and layer; bidirectional all T², 4·C·T².
 * Not counted (O(C) per token, under 1 % at these widths): embeddings (lookups), LayerNorm,
 * softmax, GELU, biases, residual adds, the loss. The unused pooler is not counted. */
double gpt_forward_flops(const GptConfig *c, int B, int T);

/* Forward + backward FLOPs of one training step: the backward of every GEMM is two GEMMs of
 * the same size (dX and dW; attention's dQ, dK from dS and dV, dP), so 3 × gpt_forward_flops.
 * The flash kernel's recomputation of S in the backward is not counted (the algorithm's FLOPs,
 * not the implementation's). Compare 6·N·B·T (Kaplan's C ≈ 6N per token): with a tied head
 * and learned positions the GEMMs above are 6·(N − T_c·C − LayerNorm params)·B·T, plus
 * attention 6·L·C·T(T+1)·B (causal). */
double gpt_train_flops(const GptConfig *c, int B, int T);

/* LoRA on one Linear (Hu et al. 2021): W' = W + (α/r)·B·A in PyTorch's (out, in) terms. Here,
 * with w stored (in, out): y = x·w + (α/r)·(x·a)·b, a (in, r) ~ N(0, 1/r)…, b (r, out) = 0,
 * so the adapted layer starts equal to the base. r = 0: no adapter. */
typedef struct Lora {
    int r;
    float alpha;
    Tensor *a;           // (in, r)
    Tensor *b;           // (r, out), zero at the start
} Lora;

/* Trainable parameters of a rank-r adapter on an in × out weight: r·(in + out)
 * (4096 × 4096, r = 8: 65,536 against 16,777,216). */
size_t lora_param_count(int in, int out, int r);

typedef struct GptBlock {
    Tensor *ln1_g, *ln1_b;     // (C); _b NULL without bias
    Linear qkv;                // C → 3C
    Linear proj;               // C → C (W^O)
    Tensor *ln2_g, *ln2_b;
    Linear fc;                 // C → ffn
    Linear fc_proj;            // ffn → C
    Lora lora_qkv, lora_proj;  // r = 0 until gpt_add_lora
} GptBlock;

typedef struct Gpt {
    GptConfig cfg;             // resolved (ffn, init_std filled in)
    Model *m;                  // where the parameters live; its tape runs the forward
    Tensor *wte;               // (V, C)
    Tensor *wpe;               // (T, C): learned (a parameter) or the sinusoidal table (not
                               // trained); NULL for POS_NONE
    Tensor *wtt;               // (n_segments, C) or NULL
    Tensor *lne_g, *lne_b;     // embedding LayerNorm (emb_ln) or NULL
    GptBlock *blocks;          // (L)
    Tensor *lnf_g, *lnf_b;     // final LayerNorm (pre-LN) or NULL
    Linear head;               // untied_head only
    Linear pooler;             // pooler only
} Gpt;

/* Build the model's parameters into m (m->params, m->p) drawing from rng. Dies (with
 * gpt_config_check's message) on a bad configuration. */
void gpt_init(Gpt *g, Model *m, const GptConfig *cfg, Rng *rng);

/* tokens (B, T') with T' <= cfg.T → the last hidden states (B·T', C) (after ln_f for pre-LN):
 * what the LM head, or BERT's masked-LM head on the masked rows, reads. Dies on a token
 * outside [0, V) or T' > cfg.T, naming them. */
Tensor *gpt_hidden(Gpt *g, Tape *tp, const int *tokens, int B, int T);

/* hidden (N, C) → logits (N, V). */
Tensor *gpt_logits(Gpt *g, Tape *tp, Tensor *hidden);

/* ForwardFn (train/model.h): b->tokens (B, T) → logits (B·T, V). net is the Gpt. */
Tensor *gpt_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);

/* The attention probabilities of every head of layer `layer` for one sequence tokens (T'):
 * P (NH, T', T'), from a forward run without recording on g->m's tape (rewound after). */
void gpt_attention_maps(Gpt *g, const int *tokens, int T, int layer, float *P);

/* Logits (V) of the token after tokens[0 … n), n <= cfg.T, by a whole forward pass (no cache). */
void gpt_next_logits(Gpt *g, const int *tokens, int n, float *logits);

// ---- generation with a KV cache (lecture 7): each new token attends to the cached keys and
// values of the tokens before it, so a step costs O(n·C) for attention instead of a whole
// forward pass over the prefix. Plain loops on the model's weights, no tape. ----
typedef struct KvCache {
    int max_T;                 // cfg.T
    int n;                     // positions cached
    float *k, *v;              // (L, max_T, C)
    float *scratch;            // the step's activations
} KvCache;

void kv_cache_init(KvCache *kv, const Gpt *g);
void kv_cache_reset(KvCache *kv);
void kv_cache_free(KvCache *kv);

/* Feed token at position kv->n (< max_T): append its keys/values, write the next-token logits
 * (V). Equal to gpt_next_logits on the same prefix within float rounding. */
void gpt_decode_step(Gpt *g, KvCache *kv, int token, float *logits);

/* A LanguageModel (train/decode.h) over g: with use_cache, a prefix that extends the cached
 * one feeds only its new tokens; otherwise (or when the prefix changed, e.g. another beam or
 * a cropped context) the cache restarts. Without use_cache every call is gpt_next_logits. */
typedef struct GptLm {
    LanguageModel lm;          // first member: pass &glm->lm to decode()
    Gpt *g;
    bool use_cache;
    KvCache kv;
    int *cached;               // (cfg.T) the tokens in the cache
} GptLm;

void gpt_lm_init(GptLm *glm, Gpt *g, bool use_cache);
void gpt_lm_free(GptLm *glm);

// ---- LoRA ----
/* Add rank-r adapters with scale alpha/r to the attention projections (qkv and proj) of every
 * block, their a/b added to `trainable` (and to g->m->p, so checkpoints carry them). The base
 * weights are not in `trainable`: train with TrainTask.trainable = trainable. */
void gpt_add_lora(Gpt *g, int r, float alpha, Rng *rng, Params *trainable);

/* W ← W + (α/r)·a·b for every adapter, then b ← 0: the same outputs without the extra
 * matmuls (within float rounding). */
void gpt_merge_lora(Gpt *g);

#endif
