/* common/nn/transformer.c — the Transformer as GPT and BERT build it; see nn/transformer.h.
 *
 * Sources: Vaswani et al., "Attention Is All You Need", NeurIPS 2017 (post-LN blocks, the
 * sinusoidal table §3.5); Radford et al. 2019, GPT-2, and Karpathy's nanoGPT model.py (pre-LN
 * blocks, ln_f, the tied head, the initialisation, the parameter names); Devlin et al. 2019,
 * BERT (token-type embeddings, the embedding LayerNorm, the pooler); Pope et al. 2022 and
 * every generate() for the KV cache; Hu et al. 2021, LoRA.
 * The training forward runs on the tape with the course's ops (op_linear's fused GEMM,
 * op_attention, op_layernorm); four small ops live here because only this model needs them:
 * the fused embedding sum, a Linear without bias, the tied head x·wteᵀ, which reads wte in
 * place (gemm_ex with a transposed operand) instead of a transposed copy, and a GELU whose erf
 * vectorises (libm's erff made GELU a fifth of a training step).
 * The KV cache runs plain loops on the weights, a row vector times each (in, out) matrix
 * (contiguous rows, vectorised), without the tape.
 */
#include "nn/transformer.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "kernels/fastmath.h"
#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/shape.h"

// The hot loops of the KV cache step: gcc vectorises them only at -O3 (the Makefile raises
// kernels/ and ops/ to -O3, not nn/); no sum changes order.
#if defined(__GNUC__) && !defined(__clang__)
#define DL_HOT __attribute__((optimize("O3")))
#else
#define DL_HOT
#endif

#define LN_EPS 1e-5f
#define LORA_CHUNK 64   // the KV cache's scratch for an adapter's x·a, any rank in chunks

// ---- configuration ----

static GptConfig resolved(const GptConfig *c)
{
    GptConfig r = *c;
    if (r.ffn == 0) r.ffn = 4 * r.C;
    if (r.init_std == 0.0f) r.init_std = 0.02f;
    return r;
}

bool gpt_config_check(const GptConfig *c, char *err, size_t errlen)
{
    const struct { const char *name; int v; } sizes[] = {
        {"vocab_size V", c->V}, {"block_size T", c->T}, {"n_layer L", c->L},
        {"n_head NH", c->NH}, {"n_embd C", c->C}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].v < 1) {
            snprintf(err, errlen, "%s = %d must be >= 1; give a positive size", sizes[i].name,
                     sizes[i].v);
            return false;
        }
    if (c->C % c->NH != 0) {
        snprintf(err, errlen, "n_head %d does not divide d_model %d; choose n_head among the "
                 "divisors of d_model (e.g. %d)", c->NH, c->C, c->C % 4 == 0 ? 4 : 1);
        return false;
    }
    if (c->ffn < 0) {
        snprintf(err, errlen, "ffn = %d must be >= 0 (0: 4·d_model)", c->ffn);
        return false;
    }
    if (c->n_segments < 0) {
        snprintf(err, errlen, "n_segments = %d must be >= 0 (0: no token-type embeddings)",
                 c->n_segments);
        return false;
    }
    if (!(c->init_std >= 0.0f) || !isfinite(c->init_std)) {
        snprintf(err, errlen, "init_std = %g must be >= 0 and finite (0: 0.02)",
                 (double)c->init_std);
        return false;
    }
    if ((int)c->pos < POS_LEARNED || (int)c->pos > POS_NONE) {
        snprintf(err, errlen, "pos = %d is not a positional-encoding kind; use POS_LEARNED, "
                 "POS_SINUSOIDAL or POS_NONE", (int)c->pos);
        return false;
    }
    return true;
}

size_t lora_param_count(int in, int out, int r)
{
    return (size_t)r * ((size_t)in + (size_t)out);
}

// Parameters of a Linear in → out, with or without its bias.
static size_t linear_count(size_t in, size_t out, bool bias) { return in * out + (bias ? out : 0); }

size_t gpt_param_count(const GptConfig *cfg)
{
    GptConfig c = resolved(cfg);
    size_t C = (size_t)c.C, ln = c.bias ? 2 * C : C;
    size_t n = (size_t)c.V * C;                                   // wte (also the tied head)
    if (c.pos == POS_LEARNED) n += (size_t)c.T * C;               // wpe
    n += (size_t)c.n_segments * C;                                // token types (BERT)
    if (c.emb_ln) n += ln;
    size_t block = 2 * ln + linear_count(C, 3 * C, c.bias) + linear_count(C, C, c.bias) +
                   linear_count(C, (size_t)c.ffn, c.bias) + linear_count((size_t)c.ffn, C, c.bias);
    n += (size_t)c.L * block;
    if (!c.post_ln) n += ln;                                      // ln_f
    if (c.untied_head) n += linear_count(C, (size_t)c.V, c.bias);
    if (c.pooler) n += linear_count(C, C, c.bias);
    return n;
}

double gpt_forward_flops(const GptConfig *cfg, int B, int T)
{
    GptConfig c = resolved(cfg);
    DL_CHECK(B >= 1 && T >= 1 && T <= c.T, "gpt_forward_flops: B %d, T %d (block size %d)", B, T,
             c.T);
    const double C = c.C, F = c.ffn, V = c.V, tokens = (double)B * T;
    const double gemm = 2.0 * (C * 3 * C + C * C + C * F + F * C);          // per token, block
    const double pairs = c.causal ? (double)T * (T + 1) / 2.0 : (double)T * T; // per sequence
    const double attn = 2.0 * 2.0 * C * pairs;   // QKᵀ and PV: 2·HS per pair, NH heads
    return (double)c.L * (gemm * tokens + attn * B) + 2.0 * C * V * tokens;
}

double gpt_train_flops(const GptConfig *c, int B, int T)
{
    return 3.0 * gpt_forward_flops(c, B, T);
}

// ---- building ----

// A parameter named "<name>" (kept in the params arena: Tensor.name must outlive the call).
static Tensor *new_param(Model *m, int ndim, const int *shape, const char *name)
{
    size_t len = strlen(name) + 1;
    char *keep = arena_alloc(&m->params, len);
    memcpy(keep, name, len);
    Tensor *t = tensor_param(&m->params, ndim, shape, keep);
    params_add(&m->p, t);
    return t;
}

static void norm_init(Model *m, Tensor **g, Tensor **b, int C, bool bias, const char *name)
{
    char s[DL_PARAM_NAME];
    snprintf(s, sizeof s, "%s.weight", name);
    *g = new_param(m, 1, (int[]){C}, s);
    tensor_fill(*g, 1.0f);
    *b = NULL;
    if (bias) {
        snprintf(s, sizeof s, "%s.bias", name);
        *b = new_param(m, 1, (int[]){C}, s);
    }
}

static void lin_init(Model *m, Linear *l, int in, int out, bool bias, float std, Rng *rng,
                     const char *name)
{
    char s[DL_PARAM_NAME];
    l->in = in;
    l->out = out;
    snprintf(s, sizeof s, "%s.weight", name);
    l->w = new_param(m, 2, (int[]){in, out}, s);
    tensor_fill_normal(l->w, rng, 0.0f, std);
    l->b = NULL;
    if (bias) {
        snprintf(s, sizeof s, "%s.bias", name);
        l->b = new_param(m, 1, (int[]){out}, s);
    }
}

// PE(pos, 2i) = sin(pos / 10000^{2i/C}), PE(pos, 2i+1) = cos(…) (Vaswani et al. §3.5).
static void sinusoid_fill(float *pe, int T, int C)
{
    for (int p = 0; p < T; p++)
        for (int i = 0; i < C; i += 2) {
            double a = p / pow(10000.0, (double)i / C);
            pe[(size_t)p * C + i] = (float)sin(a);
            if (i + 1 < C) pe[(size_t)p * C + i + 1] = (float)cos(a);
        }
}

void gpt_init(Gpt *g, Model *m, const GptConfig *cfg, Rng *rng)
{
    char err[256];
    if (!gpt_config_check(cfg, err, sizeof err)) dl_die("gpt_init: %s", err);
    memset(g, 0, sizeof *g);
    g->cfg = resolved(cfg);
    g->m = m;
    const GptConfig *c = &g->cfg;
    const int C = c->C;
    const float std = c->init_std, res_std = std / sqrtf(2.0f * (float)c->L);
    params_scope(&m->p, "");

    g->wte = new_param(m, 2, (int[]){c->V, C}, "wte.weight");
    tensor_fill_normal(g->wte, rng, 0.0f, std);
    if (c->pos == POS_LEARNED) {
        g->wpe = new_param(m, 2, (int[]){c->T, C}, "wpe.weight");
        tensor_fill_normal(g->wpe, rng, 0.0f, std);
    } else if (c->pos == POS_SINUSOIDAL) {
        g->wpe = tensor_new(&m->params, 2, (int[]){c->T, C});   // no grad: not trained
        g->wpe->name = "wpe.sinusoidal";
        sinusoid_fill(g->wpe->data, c->T, C);
        params_add_buffer(&m->p, "wpe.sinusoidal", g->wpe->data, g->wpe->size);
    }
    if (c->n_segments > 0) {
        g->wtt = new_param(m, 2, (int[]){c->n_segments, C}, "wtt.weight");
        tensor_fill_normal(g->wtt, rng, 0.0f, std);
    }
    if (c->emb_ln) norm_init(m, &g->lne_g, &g->lne_b, C, c->bias, "ln_e");

    g->blocks = arena_alloc(&m->params, (size_t)c->L * sizeof *g->blocks);
    for (int l = 0; l < c->L; l++) {
        GptBlock *k = &g->blocks[l];
        char s[DL_PARAM_NAME];
#define NAME(x) (snprintf(s, sizeof s, "h.%d." x, l), s)
        norm_init(m, &k->ln1_g, &k->ln1_b, C, c->bias, NAME("ln_1"));
        lin_init(m, &k->qkv, C, 3 * C, c->bias, std, rng, NAME("attn.c_attn"));
        lin_init(m, &k->proj, C, C, c->bias, res_std, rng, NAME("attn.c_proj"));
        norm_init(m, &k->ln2_g, &k->ln2_b, C, c->bias, NAME("ln_2"));
        lin_init(m, &k->fc, C, c->ffn, c->bias, std, rng, NAME("mlp.c_fc"));
        lin_init(m, &k->fc_proj, c->ffn, C, c->bias, res_std, rng, NAME("mlp.c_proj"));
#undef NAME
    }
    if (!c->post_ln) norm_init(m, &g->lnf_g, &g->lnf_b, C, c->bias, "ln_f");
    if (c->untied_head) lin_init(m, &g->head, C, c->V, c->bias, std, rng, "lm_head");
    if (c->pooler) lin_init(m, &g->pooler, C, C, c->bias, std, rng, "pooler");
}

// ---- the ops only this model needs ----

typedef struct EmbedSaved {
    Tensor *wte, *wpe, *wtt;   // wpe, wtt may be NULL
    int *tokens;               // (B·T)
    int B, T;
} EmbedSaved;

// x[b,t] = wte[tok] + wpe[t] + wtt[0]:  d wte[tok] += dx,  d wpe[t] += dx,  d wtt[0] += dx,
// rows in order on one thread (the same bits whatever the thread count).
static void embed_backward(Node *n)
{
    const EmbedSaved *s = n->saved;
    const int C = s->wte->shape[1];
    const float *dy = n->out->grad;
    for (int i = 0; i < s->B * s->T; i++) {
        const float *d = dy + (size_t)i * C;
        if (s->wte->grad) {
            float *g = s->wte->grad + (size_t)s->tokens[i] * C;
            for (int j = 0; j < C; j++) g[j] += d[j];
        }
        if (s->wpe && s->wpe->grad) {
            float *g = s->wpe->grad + (size_t)(i % s->T) * C;
            for (int j = 0; j < C; j++) g[j] += d[j];
        }
        if (s->wtt && s->wtt->grad)
            for (int j = 0; j < C; j++) s->wtt->grad[j] += d[j];
    }
}

// The summed embeddings (B·T, C) of tokens (B, T): wpe (positions) and wtt (segment 0) may
// be NULL.
static Tensor *embed_op(Tape *tp, Tensor *wte, Tensor *wpe, Tensor *wtt, const int *tokens,
                        int B, int T)
{
    const int C = wte->shape[1];
    Tensor *ins[3] = {wte};
    int k = 1;
    if (wpe) ins[k++] = wpe;
    if (wtt) ins[k++] = wtt;
    Tensor *x = tape_output(tp, 2, (int[]){B * T, C}, ins, k);
    for (int i = 0; i < B * T; i++) {
        float *y = x->data + (size_t)i * C;
        const float *e = wte->data + (size_t)tokens[i] * C;
        for (int j = 0; j < C; j++) y[j] = e[j];
        if (wpe) {
            const float *p = wpe->data + (size_t)(i % T) * C;
            for (int j = 0; j < C; j++) y[j] += p[j];
        }
        if (wtt)
            for (int j = 0; j < C; j++) y[j] += wtt->data[j];
    }
    Node *n = tape_record(tp, "gpt_embed", embed_backward, x, ins, k);
    if (n) {
        EmbedSaved *s = arena_alloc(tp->arena, sizeof *s);
        s->wte = wte;
        s->wpe = wpe;
        s->wtt = wtt;
        s->tokens = arena_alloc_uninit(tp->arena, (size_t)B * T * sizeof(int));
        memcpy(s->tokens, tokens, (size_t)B * T * sizeof(int));
        s->B = B;
        s->T = T;
        n->saved = s;
    }
    return x;
}

// y = x·w (no bias): dx += dy·wᵀ, dw += xᵀ·dy, the transposed operands read in place.
static void nobias_backward(Node *n)
{
    Tensor *x = n->in[0], *w = n->in[1];
    const float *dy = n->out->grad;
    const int N = x->shape[0], K = x->shape[1], M = w->shape[1];
    if (w->grad) gemm_ex(true, false, K, M, N, x->data, K, dy, M, w->grad, M, true);
    if (x->grad) gemm_ex(false, true, N, K, M, dy, M, w->data, M, x->grad, K, true);
}

static Tensor *op_linear_nobias(Tape *tp, Tensor *x, Tensor *w)
{
    int N, K, K2, M;
    tensor_require_2d(x, "linear (input)", &N, &K);
    tensor_require_2d(w, "linear (weight)", &K2, &M);
    DL_CHECK(K == K2, "linear: input has %d features, the weight expects %d", K, K2);
    Tensor *in[] = {x, w};
    Tensor *y = tape_output(tp, 2, (int[]){N, M}, in, 2);
    gemm(N, M, K, x->data, K, w->data, M, y->data, M, false);
    tape_record(tp, "linear_nobias", nobias_backward, y, in, 2);
    return y;
}

// logits = h·wteᵀ, h (N, C), wte (V, C):  dh += dy·wte,  dwte += dyᵀ·h.
static void tied_head_backward(Node *n)
{
    Tensor *h = n->in[0], *w = n->in[1];
    const float *dy = n->out->grad;
    const int N = h->shape[0], C = h->shape[1], V = w->shape[0];
    if (h->grad) gemm(N, C, V, dy, V, w->data, C, h->grad, C, true);
    if (w->grad) gemm_ex(true, false, V, C, N, dy, V, h->data, C, w->grad, C, true);
}

static Tensor *op_tied_head(Tape *tp, Tensor *h, Tensor *wte)
{
    int N, C, V, C2;
    tensor_require_2d(h, "tied head (hidden)", &N, &C);
    tensor_require_2d(wte, "tied head (wte)", &V, &C2);
    DL_CHECK(C == C2, "tied head: hidden has %d features, wte has %d", C, C2);
    Tensor *in[] = {h, wte};
    Tensor *y = tape_output(tp, 2, (int[]){N, V}, in, 2);
    gemm_ex(false, true, N, V, C, h->data, C, wte->data, C, y->data, V, false);
    tape_record(tp, "tied_head", tied_head_backward, y, in, 2);
    return y;
}

// GELU(x) = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)) (Hendrycks & Gimpel 2016; nn.GELU(), exact form),
// with erf from Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, about float rounding) and the
// vectorisable exp of kernels/fastmath.h: libm's erff is a call per element, which made GELU a
// fifth of a training step. The KV cache uses the same function, so both paths agree.
//   dGELU/dx = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
static inline float gelu_cdf(float x)
{
    const float z = fabsf(x) * 0.70710678118654752f;
    const float t = 1.0f / (1.0f + 0.3275911f * z);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    const float erf_abs = 1.0f - poly * t * dl_fast_expf(-z * z);
    return 0.5f + 0.5f * copysignf(erf_abs, x);
}

#define GELU_CHUNK 16384

typedef struct GeluJob {
    const float *x, *dy;
    float *y;                  // forward: GELU(x); backward: dx (+=)
    size_t n;
} GeluJob;

DL_HOT static void gelu_fwd_chunk(void *ctx, int k)
{
    const GeluJob *j = ctx;
    size_t lo = (size_t)k * GELU_CHUNK, hi = lo + GELU_CHUNK < j->n ? lo + GELU_CHUNK : j->n;
    for (size_t i = lo; i < hi; i++) j->y[i] = j->x[i] * gelu_cdf(j->x[i]);
}

DL_HOT static void gelu_bwd_chunk(void *ctx, int k)
{
    const GeluJob *j = ctx;
    size_t lo = (size_t)k * GELU_CHUNK, hi = lo + GELU_CHUNK < j->n ? lo + GELU_CHUNK : j->n;
    for (size_t i = lo; i < hi; i++) {
        const float x = j->x[i];
        const float pdf = 0.39894228040143268f * dl_fast_expf(-0.5f * x * x);
        j->y[i] += j->dy[i] * (gelu_cdf(x) + x * pdf);
    }
}

static void gelu_run(ParallelFn fn, GeluJob *j)
{
    int chunks = (int)((j->n + GELU_CHUNK - 1) / GELU_CHUNK);
    if (threads_get() > 1 && chunks > 1) parallel_for(chunks, fn, j);
    else for (int k = 0; k < chunks; k++) fn(j, k);
}

static void gelu_backward(Node *n)
{
    Tensor *x = n->in[0];
    if (!x->grad) return;
    GeluJob j = {x->data, n->out->grad, x->grad, x->size};
    gelu_run(gelu_bwd_chunk, &j);
}

static Tensor *op_gelu_fast(Tape *tp, Tensor *x)
{
    Tensor *y = tape_output(tp, x->ndim, x->shape, &x, 1);
    GeluJob j = {x->data, NULL, y->data, x->size};
    gelu_run(gelu_fwd_chunk, &j);
    tape_record(tp, "gelu", gelu_backward, y, &x, 1);
    return y;
}

static Tensor *lin(Tape *tp, const Linear *l, Tensor *x)
{
    return l->b ? op_linear(tp, x, l->w, l->b) : op_linear_nobias(tp, x, l->w);
}

// y = x·w + b (+ (α/r)·(x·a)·b_lora)
static Tensor *lin_lora(Tape *tp, const Linear *l, const Lora *a, Tensor *x)
{
    Tensor *y = lin(tp, l, x);
    if (a->r > 0) {
        Tensor *d = op_matmul(tp, op_matmul(tp, x, a->a), a->b);
        y = op_add(tp, y, op_scale(tp, d, a->alpha / (float)a->r));
    }
    return y;
}

// ---- the forward pass ----

static void check_tokens(const Gpt *g, const int *tokens, int B, int T, const char *who)
{
    DL_CHECK(B >= 1 && T >= 1, "%s: need B, T >= 1, got B %d T %d", who, B, T);
    DL_CHECK(T <= g->cfg.T, "%s: sequence of %d tokens is longer than the context block_size "
             "%d; crop it to the last %d tokens", who, T, g->cfg.T, g->cfg.T);
    for (int i = 0; i < B * T; i++)
        DL_CHECK(tokens[i] >= 0 && tokens[i] < g->cfg.V, "%s: token %d at position %d is "
                 "outside the vocabulary [0, %d)", who, tokens[i], i, g->cfg.V);
}

// The stack up to layer `stop` (its qkv into *qkv_out and return NULL) or to the end.
static Tensor *forward_to(Gpt *g, Tape *tp, const int *tokens, int B, int T, int stop,
                          Tensor **qkv_out)
{
    const GptConfig *c = &g->cfg;
    const int N = B * T, C = c->C;
    Tensor *x = embed_op(tp, g->wte, g->wpe, g->wtt, tokens, B, T);
    if (c->emb_ln) x = op_layernorm(tp, x, g->lne_g, g->lne_b, LN_EPS);
    for (int l = 0; l < c->L; l++) {
        GptBlock *k = &g->blocks[l];
        Tensor *h = c->post_ln ? x : op_layernorm(tp, x, k->ln1_g, k->ln1_b, LN_EPS);
        Tensor *qkv = lin_lora(tp, &k->qkv, &k->lora_qkv, h);
        if (l == stop) {
            *qkv_out = qkv;
            return NULL;
        }
        Tensor *a = op_attention(tp, op_reshape(tp, qkv, 3, (int[]){B, T, 3 * C}), c->NH, c->causal);
        a = lin_lora(tp, &k->proj, &k->lora_proj, op_reshape(tp, a, 2, (int[]){N, C}));
        x = op_add(tp, x, a);
        if (c->post_ln) x = op_layernorm(tp, x, k->ln1_g, k->ln1_b, LN_EPS);
        h = c->post_ln ? x : op_layernorm(tp, x, k->ln2_g, k->ln2_b, LN_EPS);
        Tensor *f = lin(tp, &k->fc_proj, op_gelu_fast(tp, lin(tp, &k->fc, h)));
        x = op_add(tp, x, f);
        if (c->post_ln) x = op_layernorm(tp, x, k->ln2_g, k->ln2_b, LN_EPS);
    }
    if (!c->post_ln) x = op_layernorm(tp, x, g->lnf_g, g->lnf_b, LN_EPS);
    return x;
}

Tensor *gpt_hidden(Gpt *g, Tape *tp, const int *tokens, int B, int T)
{
    check_tokens(g, tokens, B, T, "gpt_hidden");
    return forward_to(g, tp, tokens, B, T, -1, NULL);
}

Tensor *gpt_logits(Gpt *g, Tape *tp, Tensor *hidden)
{
    return g->cfg.untied_head ? lin(tp, &g->head, hidden) : op_tied_head(tp, hidden, g->wte);
}

Tensor *gpt_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train;   // no dropout (nanoGPT's CPU configuration: dropout 0)
    (void)rng;
    Gpt *g = net;
    DL_CHECK(b->tokens && b->T >= 1, "gpt_forward: the batch has no tokens (a token batch "
             "(B, T) is needed)");
    return gpt_logits(g, tp, gpt_hidden(g, tp, b->tokens, b->B, b->T));
}

void gpt_attention_maps(Gpt *g, const int *tokens, int T, int layer, float *P)
{
    DL_CHECK(layer >= 0 && layer < g->cfg.L, "gpt_attention_maps: layer %d outside [0, %d)",
             layer, g->cfg.L);
    check_tokens(g, tokens, 1, T, "gpt_attention_maps");
    Tape *tp = &g->m->tp;
    const bool was = tp->recording;
    tape_set_recording(tp, false);
    Tensor *qkv = NULL;
    forward_to(g, tp, tokens, 1, T, layer, &qkv);
    AttnShape s = {1, T, g->cfg.NH, g->cfg.C / g->cfg.NH, g->cfg.causal};
    for (int h = 0; h < g->cfg.NH; h++) attn_probs(&s, qkv->data, 0, h, P + (size_t)h * T * T);
    tape_reset(tp);
    tape_set_recording(tp, was);
}

void gpt_next_logits(Gpt *g, const int *tokens, int n, float *logits)
{
    check_tokens(g, tokens, 1, n, "gpt_next_logits");
    Tape *tp = &g->m->tp;
    const bool was = tp->recording;
    tape_set_recording(tp, false);
    Tensor *h = gpt_hidden(g, tp, tokens, 1, n);
    Tensor *last = tensor_new_uninit(tp->arena, 2, (int[]){1, g->cfg.C});
    memcpy(last->data, h->data + (size_t)(n - 1) * g->cfg.C, (size_t)g->cfg.C * sizeof(float));
    Tensor *y = gpt_logits(g, tp, last);
    memcpy(logits, y->data, (size_t)g->cfg.V * sizeof *logits);
    tape_reset(tp);
    tape_set_recording(tp, was);
}

// ---- the KV cache ----

// Scratch of one step: x, h, att, t (C each), qkv (3C), f (ffn), LoRA's 64, scores (T).
static size_t scratch_floats(const Gpt *g)
{
    const GptConfig *c = &g->cfg;
    return (size_t)c->C * 4 + 3 * (size_t)c->C + (size_t)c->ffn + LORA_CHUNK + (size_t)c->T;
}

void kv_cache_init(KvCache *kv, const Gpt *g)
{
    const GptConfig *c = &g->cfg;
    kv->max_T = c->T;
    kv->n = 0;
    size_t n = (size_t)c->L * c->T * c->C;
    kv->k = dl_malloc(n * sizeof(float), "KV cache keys");
    kv->v = dl_malloc(n * sizeof(float), "KV cache values");
    kv->scratch = dl_malloc(scratch_floats(g) * sizeof(float), "KV cache scratch");
}

void kv_cache_reset(KvCache *kv) { kv->n = 0; }

void kv_cache_free(KvCache *kv)
{
    free(kv->k);
    free(kv->v);
    free(kv->scratch);
    memset(kv, 0, sizeof *kv);
}

// y (out) = x (in) · w (in, out) [+ b]: for each block of MV_BLOCK outputs, the rows of w added
// in order into accumulators that stay in registers (8 vectors: enough independent adds to hide
// the add latency), so w is read once, contiguously, and y is stored once; the remainder column
// by column in the same order.
#ifdef __AVX512F__
#define MV_BLOCK 128
#else
#define MV_BLOCK 64
#endif
DL_HOT static void row_matvec(const float *restrict x, const float *restrict w,
                              const float *restrict b, float *restrict y, int in, int out)
{
    int j0 = 0;
    for (; j0 + MV_BLOCK <= out; j0 += MV_BLOCK) {
        float acc[MV_BLOCK];
        for (int j = 0; j < MV_BLOCK; j++) acc[j] = b ? b[j0 + j] : 0.0f;
        for (int i = 0; i < in; i++) {
            const float xi = x[i];
            const float *restrict wr = w + (size_t)i * out + j0;
            for (int j = 0; j < MV_BLOCK; j++) acc[j] += xi * wr[j];
        }
        for (int j = 0; j < MV_BLOCK; j++) y[j0 + j] = acc[j];
    }
    if (j0 == out) return;
    for (int j = j0; j < out; j++) y[j] = b ? b[j] : 0.0f;
    for (int i = 0; i < in; i++) {
        const float xi = x[i];
        const float *restrict wr = w + (size_t)i * out;
        for (int j = j0; j < out; j++) y[j] += xi * wr[j];
    }
}

// y += (α/r)·(x·a)·b for an adapter, LORA_CHUNK of its r columns at a time (t: as many floats
// of scratch).
static void row_lora(const Lora *a, const float *x, float *y, float *t, int in, int out)
{
    if (a->r <= 0) return;
    const int r = a->r;
    const float s = a->alpha / (float)r;
    for (int k0 = 0; k0 < r; k0 += LORA_CHUNK) {
        const int nk = r - k0 < LORA_CHUNK ? r - k0 : LORA_CHUNK;
        for (int k = 0; k < nk; k++) t[k] = 0.0f;
        for (int i = 0; i < in; i++) {
            const float xi = x[i], *ar = a->a->data + (size_t)i * r + k0;
            for (int k = 0; k < nk; k++) t[k] += xi * ar[k];
        }
        for (int k = 0; k < nk; k++) {
            const float tk = s * t[k];
            const float *br = a->b->data + (size_t)(k0 + k) * out;
            for (int j = 0; j < out; j++) y[j] += tk * br[j];
        }
    }
}

// In place: x ← (x − μ)/√(σ² + eps)·γ + β (as op_layernorm, in float with a double-free
// two-pass mean and variance).
DL_HOT static void row_layernorm(float *restrict x, const Tensor *g, const Tensor *b, int C)
{
    float mean = 0.0f, var = 0.0f;
    for (int j = 0; j < C; j++) mean += x[j];
    mean /= (float)C;
    for (int j = 0; j < C; j++) var += (x[j] - mean) * (x[j] - mean);
    var /= (float)C;
    const float rstd = 1.0f / sqrtf(var + LN_EPS);
    for (int j = 0; j < C; j++)
        x[j] = (x[j] - mean) * rstd * g->data[j] + (b ? b->data[j] : 0.0f);
}

DL_HOT static float dot(const float *restrict a, const float *restrict b, int n)
{
    // 8 partial sums: vectorisable without reassociation flags.
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
    float r = 0.0f;
    for (; i < n; i++) r += a[i] * b[i];
    for (int k = 0; k < 8; k++) r += s[k];
    return r;
}

DL_HOT void gpt_decode_step(Gpt *g, KvCache *kv, int token, float *logits)
{
    const GptConfig *c = &g->cfg;
    DL_CHECK(c->causal, "gpt_decode_step: the KV cache is for a causal decoder; this model is "
             "bidirectional (an encoder needs a whole forward pass)");
    DL_CHECK(kv->n < kv->max_T, "gpt_decode_step: the cache holds %d positions, the context "
             "block_size is %d; reset it and feed the last %d tokens", kv->n, kv->max_T,
             kv->max_T - 1);
    DL_CHECK(token >= 0 && token < c->V, "gpt_decode_step: token %d outside the vocabulary "
             "[0, %d)", token, c->V);
    const int C = c->C, NH = c->NH, HS = C / NH, pos = kv->n, F = c->ffn;
    float *x = kv->scratch, *h = x + C, *att = h + C, *t = att + C, *qkv = t + C,
          *f = qkv + 3 * (size_t)C, *lt = f + F, *sc = lt + LORA_CHUNK;
    const float *e = g->wte->data + (size_t)token * C;
    for (int j = 0; j < C; j++) x[j] = e[j];
    if (g->wpe)
        for (int j = 0; j < C; j++) x[j] += g->wpe->data[(size_t)pos * C + j];
    if (g->wtt)
        for (int j = 0; j < C; j++) x[j] += g->wtt->data[j];
    if (c->emb_ln) row_layernorm(x, g->lne_g, g->lne_b, C);
    const float scale = 1.0f / sqrtf((float)HS);
    for (int l = 0; l < c->L; l++) {
        const GptBlock *k = &g->blocks[l];
        memcpy(h, x, (size_t)C * sizeof *h);
        if (!c->post_ln) row_layernorm(h, k->ln1_g, k->ln1_b, C);
        row_matvec(h, k->qkv.w->data, k->qkv.b ? k->qkv.b->data : NULL, qkv, C, 3 * C);
        row_lora(&k->lora_qkv, h, qkv, lt, C, 3 * C);
        float *K = kv->k + ((size_t)l * kv->max_T) * C, *V = kv->v + ((size_t)l * kv->max_T) * C;
        memcpy(K + (size_t)pos * C, qkv + C, (size_t)C * sizeof(float));
        memcpy(V + (size_t)pos * C, qkv + 2 * C, (size_t)C * sizeof(float));
        for (int hd = 0; hd < NH; hd++) {
            const float *q = qkv + hd * HS;
            float mx = -INFINITY;
            for (int j = 0; j <= pos; j++) {
                sc[j] = dot(q, K + (size_t)j * C + hd * HS, HS) * scale;
                if (sc[j] > mx) mx = sc[j];
            }
            float sum = 0.0f;
            for (int j = 0; j <= pos; j++) {
                sc[j] = expf(sc[j] - mx);
                sum += sc[j];
            }
            float *o = att + hd * HS;
            for (int d = 0; d < HS; d++) o[d] = 0.0f;
            for (int j = 0; j <= pos; j++) {
                const float p = sc[j] / sum, *vr = V + (size_t)j * C + hd * HS;
                for (int d = 0; d < HS; d++) o[d] += p * vr[d];
            }
        }
        row_matvec(att, k->proj.w->data, k->proj.b ? k->proj.b->data : NULL, t, C, C);
        row_lora(&k->lora_proj, att, t, lt, C, C);
        for (int j = 0; j < C; j++) x[j] += t[j];
        if (c->post_ln) row_layernorm(x, k->ln1_g, k->ln1_b, C);
        memcpy(h, x, (size_t)C * sizeof *h);
        if (!c->post_ln) row_layernorm(h, k->ln2_g, k->ln2_b, C);
        row_matvec(h, k->fc.w->data, k->fc.b ? k->fc.b->data : NULL, f, C, F);
        for (int j = 0; j < F; j++) f[j] = f[j] * gelu_cdf(f[j]);
        row_matvec(f, k->fc_proj.w->data, k->fc_proj.b ? k->fc_proj.b->data : NULL, t, F, C);
        for (int j = 0; j < C; j++) x[j] += t[j];
        if (c->post_ln) row_layernorm(x, k->ln2_g, k->ln2_b, C);
    }
    if (!c->post_ln) row_layernorm(x, g->lnf_g, g->lnf_b, C);
    if (c->untied_head) {
        row_matvec(x, g->head.w->data, g->head.b ? g->head.b->data : NULL, logits, C, c->V);
    } else {
        for (int v = 0; v < c->V; v++) logits[v] = dot(x, g->wte->data + (size_t)v * C, C);
    }
    kv->n++;
}

// ---- the LanguageModel adapter ----

static void glm_logits(void *ctx, const int *prefix, int n, float *logits)
{
    GptLm *glm = ctx;
    Gpt *g = glm->g;
    DL_CHECK(n >= 1 && n <= g->cfg.T, "GptLm: prefix of %d tokens; need 1 … %d (the context)",
             n, g->cfg.T);
    if (!glm->use_cache) {
        gpt_next_logits(g, prefix, n, logits);
        return;
    }
    KvCache *kv = &glm->kv;
    int keep = kv->n < n ? kv->n : n - 1;   // reuse at most n − 1: the last token gives logits
    for (int i = 0; i < keep; i++)
        if (glm->cached[i] != prefix[i]) {
            keep = i;
            break;
        }
    kv->n = keep;
    for (int i = keep; i < n; i++) {
        glm->cached[i] = prefix[i];
        gpt_decode_step(g, kv, prefix[i], logits);
    }
}

void gpt_lm_init(GptLm *glm, Gpt *g, bool use_cache)
{
    memset(glm, 0, sizeof *glm);
    glm->g = g;
    glm->use_cache = use_cache;
    glm->lm = (LanguageModel){.ctx = glm, .V = g->cfg.V, .max_T = g->cfg.T, .logits = glm_logits};
    if (use_cache) {
        kv_cache_init(&glm->kv, g);
        glm->cached = dl_malloc((size_t)g->cfg.T * sizeof(int), "GptLm cached tokens");
    }
}

void gpt_lm_free(GptLm *glm)
{
    if (glm->use_cache) {
        kv_cache_free(&glm->kv);
        free(glm->cached);
    }
    memset(glm, 0, sizeof *glm);
}

// ---- LoRA ----

static void lora_init(Gpt *g, Lora *a, int in, int out, int r, float alpha, Rng *rng,
                      Params *trainable, const char *name)
{
    char s[DL_PARAM_NAME];
    a->r = r;
    a->alpha = alpha;
    snprintf(s, sizeof s, "%s.lora_A", name);
    a->a = new_param(g->m, 2, (int[]){in, r}, s);
    tensor_fill_normal(a->a, rng, 0.0f, 1.0f / sqrtf((float)r));
    snprintf(s, sizeof s, "%s.lora_B", name);
    a->b = new_param(g->m, 2, (int[]){r, out}, s);   // zero: the adapted layer starts equal
    if (trainable) {
        params_add(trainable, a->a);
        params_add(trainable, a->b);
    }
}

void gpt_add_lora(Gpt *g, int r, float alpha, Rng *rng, Params *trainable)
{
    DL_CHECK(r >= 1, "gpt_add_lora: rank r = %d must be >= 1", r);
    DL_CHECK(alpha > 0.0f && isfinite(alpha), "gpt_add_lora: alpha = %g must be > 0 (e.g. 2r)",
             (double)alpha);
    const int C = g->cfg.C;
    for (int l = 0; l < g->cfg.L; l++) {
        GptBlock *k = &g->blocks[l];
        DL_CHECK(k->lora_qkv.r == 0, "gpt_add_lora: layer %d already has adapters", l);
        char s[DL_PARAM_NAME];
        snprintf(s, sizeof s, "h.%d.attn.c_attn", l);
        lora_init(g, &k->lora_qkv, C, 3 * C, r, alpha, rng, trainable, s);
        snprintf(s, sizeof s, "h.%d.attn.c_proj", l);
        lora_init(g, &k->lora_proj, C, C, r, alpha, rng, trainable, s);
    }
}

// w (in, out) += (α/r)·a (in, r) · b (r, out); b ← 0.
static void merge_one(Linear *l, Lora *a)
{
    if (a->r <= 0) return;
    const float s = a->alpha / (float)a->r;
    for (int i = 0; i < l->in; i++) {
        float *w = l->w->data + (size_t)i * l->out;
        for (int k = 0; k < a->r; k++) {
            const float aik = s * a->a->data[(size_t)i * a->r + k];
            const float *b = a->b->data + (size_t)k * l->out;
            for (int j = 0; j < l->out; j++) w[j] += aik * b[j];
        }
    }
    tensor_fill(a->b, 0.0f);
}

void gpt_merge_lora(Gpt *g)
{
    for (int l = 0; l < g->cfg.L; l++) {
        merge_one(&g->blocks[l].qkv, &g->blocks[l].lora_qkv);
        merge_one(&g->blocks[l].proj, &g->blocks[l].lora_proj);
    }
}
