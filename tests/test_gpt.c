/* tests/test_gpt.c — the Transformer of common/nn/transformer.h, as a whole model.
 *
 * PyTorch (llm.c's test_gpt2 idea): a tiny nanoGPT (V 11, T 8, L 2, NH 2, C 16; bias and no
 * bias; tests/fixtures/gpt_torch.txt from scripts/gen_fixtures_gpt.py) is loaded by name into
 * gpt_init'ed parameters (names and order must match nanoGPT's state_dict); then
 *   logits      |got − want| <= 1e-5 + 1e-4·|want|   (float64 reference; our float32 sums of
 *               ≤ 64 terms through 2 blocks round to a few 1e-7 … 1e-6)
 *   loss        |got − want| <= 1e-5
 *   gradients   every parameter, |got − want| <= 5e-6 + 1e-4·|want| (measured: max 4e-7; the
 *               margin is for other attention rungs' summation orders)
 *   10 AdamW    losses at each step (lr 1e-3, betas (0.9, 0.99), wd 0.1 on ndim >= 2 only:
 *               decay_min_ndim 2) within 2e-5 of PyTorch's float32 run (measured: 2.4e-7;
 *               Adam's m/√v divides two rounded numbers, which can amplify a gradient's
 *               rounding on small entries) and the loss falls by more than 0.3.
 * Finite differences (autograd/gradcheck.h; h 1e-2, rel < 2e-3 as tests/gradcheck_util.h) of
 * every parameter of a tiny decoder (pre-LN, causal, learned positions, tied head) and a tiny
 * encoder (post-LN, bidirectional, sinusoidal positions, token types, embedding LayerNorm,
 * untied head), with LoRA adapters on the decoder.
 * The KV cache: gpt_decode_step equals gpt_next_logits at every position (1e-5 + 1e-4·|x|),
 * with and without bias and with adapters (rank 4 and 70); GptLm reuses the cache when the
 * prefix extends it and restarts when it does not (a cropped context).
 * Threads: one training step's loss and gradients are the same bits with 1 and 2 threads.
 * LoRA: r·(in + out) per adapter, the adapted model starts equal to the base, differs after a
 * random b, and gpt_merge_lora gives the adapted outputs back (1e-5).
 * Parameter counts: GPT-2 small 124,439,808 and BERT-base 109,482,240 (Hugging Face's
 * BertModel for bert-base-uncased) from the formula, checked term by term and against the
 * counts of the same layouts built from torch modules (the fixture); built in C and
 * counted: GPT-2 small itself (~1 s) and a BERT-shaped encoder at a small size (building
 * BERT-base too would double the test's second and gigabyte for no new structure).
 */
#include "testutil.h"
#include "fixture.h"
#include "gradcheck_util.h"

#include <math.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "base/rng.h"
#include "base/threads.h"
#include "nn/params.h"
#include "nn/transformer.h"
#include "ops/loss.h"
#include "optim/optimizer.h"
#include "train/model.h"

#define FIX "tests/fixtures/gpt_torch.txt"

static GptConfig tiny_decoder(bool bias)
{
    return (GptConfig){.V = 11, .T = 8, .L = 2, .NH = 2, .C = 16, .bias = bias, .causal = true,
                       .pos = POS_LEARNED};
}

static int *fix_ints(Fixture *f, const char *name, int *n)
{
    FixBlock *b = fixture_get(f, name);
    int *v = malloc(b->n * sizeof *v);
    for (size_t i = 0; i < b->n; i++) v[i] = (int)lrintf(b->v[i]);
    *n = (int)b->n;
    return v;
}

// Load "<tag>.p.<name>" into every parameter, checking that the fixture lists the same names in
// the same order (nanoGPT's state_dict) and nothing more.
static void load_by_name(Gpt *g, Fixture *f, const char *tag)
{
    char pre[16];
    snprintf(pre, sizeof pre, "%s.p.", tag);
    int k = 0;
    for (int i = 0; i < f->n; i++) {
        if (strncmp(f->b[i].name, pre, strlen(pre)) != 0) continue;
        const char *name = f->b[i].name + strlen(pre);
        ck_assert_msg(k < g->m->p.n, "fixture has more parameters than the model (%s)", name);
        ck_assert_msg(strcmp(name, g->m->p.names[k]) == 0, "parameter %d: model has '%s', "
                      "nanoGPT has '%s'", k, g->m->p.names[k], name);
        Tensor *t = g->m->p.items[k];
        ck_assert_msg(t->size == f->b[i].n, "%s: %zu values, fixture %zu", name, t->size, f->b[i].n);
        tensor_copy_from(t, f->b[i].v, t->size);
        k++;
    }
    ck_assert_int_eq(k, g->m->p.n);
}

static Tensor *loss_of(Gpt *g, Tape *tp, const int *tok, const int *tgt, int B, int T)
{
    Tensor *logits = gpt_logits(g, tp, gpt_hidden(g, tp, tok, B, T));
    return op_cross_entropy(tp, logits, tgt);
}

static void whole_model_case(const char *tag, bool bias)
{
    Fixture f;
    fixture_load(&f, FIX);
    char nm[64];
    snprintf(nm, sizeof nm, "%s.cfg", tag);
    FixBlock *cfgb = fixture_get(&f, nm);
    GptConfig cfg = tiny_decoder(bias);
    ck_assert(cfgb->v[0] == cfg.V && cfgb->v[1] == cfg.T && cfgb->v[2] == cfg.L &&
              cfgb->v[3] == cfg.NH && cfgb->v[4] == cfg.C && cfgb->v[5] == (float)bias);
    Model m;
    model_init(&m, "test/gpt");
    Rng r;
    rng_seed(&r, 1);
    Gpt g;
    gpt_init(&g, &m, &cfg, &r);
    ck_assert_uint_eq(params_count(&m.p), gpt_param_count(&cfg));
    load_by_name(&g, &f, tag);
    int n, n2;
    snprintf(nm, sizeof nm, "%s.tokens", tag);
    int *tok = fix_ints(&f, nm, &n);
    snprintf(nm, sizeof nm, "%s.targets", tag);
    int *tgt = fix_ints(&f, nm, &n2);
    const int B = 2, T = 8;
    ck_assert_int_eq(n, B * T);

    params_zero_grad(&m.p);
    Tensor *logits = gpt_logits(&g, &m.tp, gpt_hidden(&g, &m.tp, tok, B, T));
    Tensor *loss = op_cross_entropy(&m.tp, logits, tgt);
    snprintf(nm, sizeof nm, "%s.logits", tag);
    dl_ck_close("logits", logits->data, fixture_get(&f, nm)->v, logits->size, 1e-5, 1e-4);
    snprintf(nm, sizeof nm, "%s.loss", tag);
    dl_ck_close1("loss", tensor_item(loss), fixture_get(&f, nm)->v[0], 1e-5, 0.0);
    tape_backward(&m.tp, loss);
    double worst = 0;
    for (int i = 0; i < m.p.n; i++) {
        snprintf(nm, sizeof nm, "%s.g.%s", tag, m.p.names[i]);
        FixBlock *gb = fixture_get(&f, nm);
        dl_ck_close(m.p.names[i], m.p.items[i]->grad, gb->v, gb->n, 5e-6, 1e-4);
        for (size_t j = 0; j < gb->n; j++) {
            double d = fabs(m.p.items[i]->grad[j] - gb->v[j]);
            if (d > worst) worst = d;
        }
    }
    tape_reset(&m.tp);

    OptConfig oc = optim_defaults(OPT_ADAMW);
    oc.lr = 1e-3f;
    oc.beta1 = 0.9f;
    oc.beta2 = 0.99f;
    oc.eps = 1e-8f;
    oc.weight_decay = 0.1f;
    oc.decay_min_ndim = 2;
    Optimizer o;
    optim_init(&o, &oc, &m.p, &m.state);
    snprintf(nm, sizeof nm, "%s.losses", tag);
    FixBlock *lb = fixture_get(&f, nm);
    float losses[10];
    for (int s = 0; s < 10; s++) {
        params_zero_grad(&m.p);
        Tensor *l = loss_of(&g, &m.tp, tok, tgt, B, T);
        losses[s] = tensor_item(l);
        tape_backward(&m.tp, l);
        optim_step(&o, oc.lr);
        tape_reset(&m.tp);
    }
    double wl = 0;
    for (int s = 0; s < 10; s++) wl = fmax(wl, fabs(losses[s] - lb->v[s]));
    printf("gpt vs PyTorch (%s): logits, loss, grads (max |diff| %.2g), 10 AdamW losses %.6f → "
           "%.6f (max |diff| %.2g)\n", tag, worst, losses[0], losses[9], wl);
    dl_ck_close("AdamW losses", losses, lb->v, 10, 2e-5, 0.0);
    ck_assert(losses[9] < losses[0] - 0.3f);
    free(tok);
    free(tgt);
    model_free(&m);
    fixture_free(&f);
}

START_TEST(test_whole_model_matches_pytorch_bias)
{
    whole_model_case("b", true);
}
END_TEST

START_TEST(test_whole_model_matches_pytorch_no_bias)
{
    whole_model_case("nb", false);
}
END_TEST

// ---- finite differences ----

typedef struct GcCtx {
    Gpt *g;
    const int *tok, *tgt;
    int B, T;
    Tensor *w;      // fixed random weights on the logits
} GcCtx;

static Tensor *gc_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    (void)in;
    (void)n_in;
    GcCtx *c = ctx;
    Tensor *logits = gpt_logits(c->g, tp, gpt_hidden(c->g, tp, c->tok, c->B, c->T));
    // the loss plus Σ w ⊙ logits: every logit gets its own weight
    return op_add(tp, op_cross_entropy(tp, logits, c->tgt), project(tp, logits, c->w));
}

static void gradcheck_model(const GptConfig *cfg, bool lora, const char *what)
{
    Model m;
    model_init(&m, "test/gc");
    Rng r;
    rng_seed(&r, 7);
    Gpt g;
    gpt_init(&g, &m, cfg, &r);
    // non-trivial LayerNorm gains and biases
    for (int i = 0; i < m.p.n; i++)
        if (m.p.items[i]->ndim == 1)
            for (size_t j = 0; j < m.p.items[i]->size; j++)
                m.p.items[i]->data[j] += 0.2f * rng_normal(&r);
    if (lora) {
        gpt_add_lora(&g, 2, 4.0f, &r, NULL);
        for (int l = 0; l < cfg->L; l++) {
            tensor_fill_normal(g.blocks[l].lora_qkv.b, &r, 0.0f, 0.05f);
            tensor_fill_normal(g.blocks[l].lora_proj.b, &r, 0.0f, 0.05f);
        }
    }
    const int B = 2, T = cfg->T;
    int tok[2 * 8], tgt[2 * 8];
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)rng_below(&r, (uint32_t)cfg->V);
        tgt[i] = (int)rng_below(&r, (uint32_t)cfg->V);
    }
    GcCtx c = {&g, tok, tgt, B, T, tensor_new(&m.params, 2, (int[]){B * T, cfg->V})};
    tensor_fill_uniform(c.w, &r, -1.0f, 1.0f);
    GradcheckResult res = gradcheck(&m.tp, gc_fn, m.p.items, m.p.n, &c, GC_H);
    printf("gradcheck %s: rel error %.2g over %zu parameters\n", what, res.rel_error,
           params_count(&m.p));
    assert_gradcheck(what, res);
    model_free(&m);
}

START_TEST(test_gradcheck_decoder_and_encoder)
{
    GptConfig dec = {.V = 7, .T = 5, .L = 2, .NH = 2, .C = 8, .bias = true, .causal = true,
                     .pos = POS_LEARNED, .init_std = 0.3f};
    gradcheck_model(&dec, false, "decoder (pre-LN, causal, tied)");
    dec.bias = false;
    gradcheck_model(&dec, true, "decoder without bias, with LoRA");
    GptConfig enc = {.V = 7, .T = 5, .L = 2, .NH = 2, .C = 8, .ffn = 12, .bias = true,
                     .causal = false, .post_ln = true, .pos = POS_SINUSOIDAL, .untied_head = true,
                     .init_std = 0.3f, .n_segments = 2, .emb_ln = true, .pooler = true};
    gradcheck_model(&enc, false, "encoder (post-LN, bidirectional, sinusoidal, untied)");
}
END_TEST

// ---- KV cache ----

static void random_model(Gpt *g, Model *m, const GptConfig *cfg, uint64_t seed)
{
    model_init(m, "test/kv");
    Rng r;
    rng_seed(&r, seed);
    gpt_init(g, m, cfg, &r);
    for (int i = 0; i < m->p.n; i++) tensor_fill_normal(m->p.items[i], &r, 0.0f, 0.2f);
    for (int l = 0; l < cfg->L; l++) {   // gains around 1
        for (int j = 0; j < cfg->C; j++) {
            g->blocks[l].ln1_g->data[j] += 1.0f;
            g->blocks[l].ln2_g->data[j] += 1.0f;
        }
    }
}

static void kv_case(const GptConfig *cfg, int lora_r)
{
    Model m;
    Gpt g;
    random_model(&g, &m, cfg, 11);
    if (lora_r) {
        Rng r;
        rng_seed(&r, 3);
        gpt_add_lora(&g, lora_r, 2.0f * (float)lora_r, &r, NULL);
        for (int l = 0; l < cfg->L; l++) {
            tensor_fill_normal(g.blocks[l].lora_qkv.b, &r, 0.0f, 0.1f);
            tensor_fill_normal(g.blocks[l].lora_proj.b, &r, 0.0f, 0.1f);
        }
    }
    Rng r;
    rng_seed(&r, 5);
    int tok[32];
    for (int i = 0; i < cfg->T; i++) tok[i] = (int)rng_below(&r, (uint32_t)cfg->V);
    float *a = malloc((size_t)cfg->V * sizeof *a), *b = malloc((size_t)cfg->V * sizeof *b);
    KvCache kv;
    kv_cache_init(&kv, &g);
    for (int n = 1; n <= cfg->T; n++) {
        gpt_decode_step(&g, &kv, tok[n - 1], a);
        gpt_next_logits(&g, tok, n, b);
        dl_ck_close("KV cache vs whole forward", a, b, (size_t)cfg->V, 1e-5, 1e-4);
    }
    ck_assert_int_eq(kv.n, cfg->T);
    kv_cache_free(&kv);

    // GptLm: extend, then a cropped context (the prefix shifted by one) restarts the cache
    GptLm glm;
    gpt_lm_init(&glm, &g, true);
    int ctx[33];
    for (int i = 0; i < cfg->T + 1; i++) ctx[i] = (int)rng_below(&r, (uint32_t)cfg->V);
    for (int n = 1; n <= cfg->T; n++) {
        glm.lm.logits(glm.lm.ctx, ctx, n, a);
        ck_assert_int_eq(glm.kv.n, n);
        gpt_next_logits(&g, ctx, n, b);
        dl_ck_close("GptLm extending", a, b, (size_t)cfg->V, 1e-5, 1e-4);
    }
    glm.lm.logits(glm.lm.ctx, ctx + 1, cfg->T, a);   // cropped: the last T of T + 1
    gpt_next_logits(&g, ctx + 1, cfg->T, b);
    dl_ck_close("GptLm cropped context", a, b, (size_t)cfg->V, 1e-5, 1e-4);
    glm.lm.logits(glm.lm.ctx, ctx + 1, cfg->T, a);   // the same prefix again
    dl_ck_close("GptLm same prefix twice", a, b, (size_t)cfg->V, 1e-5, 1e-4);
    gpt_lm_free(&glm);
    free(a);
    free(b);
    model_free(&m);
}

START_TEST(test_kv_cache_equals_whole_forward)
{
    GptConfig c = {.V = 13, .T = 12, .L = 2, .NH = 4, .C = 16, .bias = true, .causal = true,
                   .pos = POS_LEARNED};
    kv_case(&c, 0);
    c.bias = false;
    kv_case(&c, 4);
    kv_case(&c, 70);   // a rank above the cache's 64-column chunk
    c.pos = POS_SINUSOIDAL;
    c.untied_head = true;
    c.ffn = 24;
    kv_case(&c, 0);
    c.post_ln = true;   // Vaswani's decoder: post-LN, no ln_f; with an embedding LayerNorm
    c.emb_ln = true;
    kv_case(&c, 3);
}
END_TEST

// ---- threads ----

// loss and every gradient of one step of a B 4 × T 32 batch with n threads, into out
static void one_step(int n_threads, float *out)
{
    threads_set(n_threads);
    GptConfig c = {.V = 29, .T = 32, .L = 2, .NH = 4, .C = 64, .causal = true, .pos = POS_LEARNED};
    Model m;
    Gpt g;
    random_model(&g, &m, &c, 41);
    Rng r;
    rng_seed(&r, 2);
    int tok[4 * 32], tgt[4 * 32];
    for (int i = 0; i < 4 * 32; i++) {
        tok[i] = (int)rng_below(&r, 29);
        tgt[i] = (int)rng_below(&r, 29);
    }
    params_zero_grad(&m.p);
    Tensor *l = loss_of(&g, &m.tp, tok, tgt, 4, 32);
    tape_backward(&m.tp, l);
    out[0] = tensor_item(l);
    size_t k = 1;
    for (int i = 0; i < m.p.n; i++) {
        memcpy(out + k, m.p.items[i]->grad, m.p.items[i]->size * sizeof *out);
        k += m.p.items[i]->size;
    }
    model_free(&m);
    threads_set(1);
}

START_TEST(test_same_bits_with_1_and_2_threads)
{
    GptConfig c = {.V = 29, .T = 32, .L = 2, .NH = 4, .C = 64, .causal = true, .pos = POS_LEARNED};
    const size_t n = 1 + gpt_param_count(&c);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    one_step(1, a);
    one_step(2, b);
    ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "loss or gradients differ between 1 and 2 "
                  "threads");
    free(a);
    free(b);
}
END_TEST

// ---- attention maps ----

START_TEST(test_attention_maps_are_distributions)
{
    GptConfig c = {.V = 13, .T = 12, .L = 2, .NH = 4, .C = 16, .bias = true, .causal = true,
                   .pos = POS_LEARNED};
    for (int enc = 0; enc < 2; enc++) {
        c.causal = !enc;
        Model m;
        Gpt g;
        random_model(&g, &m, &c, 31);
        int tok[9] = {3, 1, 4, 1, 5, 9, 2, 6, 5};
        const int T = 9;
        float P[4 * 9 * 9];
        for (int l = 0; l < c.L; l++) {
            gpt_attention_maps(&g, tok, T, l, P);
            for (int h = 0; h < c.NH; h++)
                for (int i = 0; i < T; i++) {
                    double sum = 0;
                    for (int j = 0; j < T; j++) {
                        float p = P[((size_t)h * T + i) * T + j];
                        ck_assert(p >= 0.0f && p <= 1.0f);
                        if (c.causal && j > i) ck_assert(p == 0.0f);
                        if (!c.causal) ck_assert(p > 0.0f);
                        sum += p;
                    }
                    dl_ck_close1("a row of P sums to 1", sum, 1.0, 1e-5, 0.0);
                }
        }
        // the first query of a causal head can only look at itself
        if (c.causal) dl_ck_close1("P[0][0]", P[0], 1.0f, 1e-6, 0.0);
        ck_assert_uint_eq(m.tp.n_nodes, 0);   // nothing left on the tape
        model_free(&m);
    }
}
END_TEST

// ---- LoRA ----

START_TEST(test_lora_counts_start_and_merge)
{
    ck_assert_uint_eq(lora_param_count(4096, 4096, 8), 65536);
    ck_assert_uint_eq(lora_param_count(128, 384, 4), 4 * (128 + 384));
    GptConfig c = {.V = 13, .T = 10, .L = 3, .NH = 2, .C = 16, .bias = true, .causal = true,
                   .pos = POS_LEARNED};
    Model m;
    Gpt g;
    random_model(&g, &m, &c, 21);
    const size_t base = params_count(&m.p);
    int tok[10] = {1, 5, 2, 9, 12, 0, 3, 3, 7, 11};
    float before[13], after[13], merged[13], adapted[13];
    gpt_next_logits(&g, tok, 10, before);
    Params tr;
    params_init(&tr, &m.params);
    Rng r;
    rng_seed(&r, 4);
    gpt_add_lora(&g, 4, 8.0f, &r, &tr);
    ck_assert_uint_eq(params_count(&tr), (size_t)c.L * (lora_param_count(16, 48, 4) +
                                                       lora_param_count(16, 16, 4)));
    ck_assert_uint_eq(params_count(&m.p), base + params_count(&tr));
    gpt_next_logits(&g, tok, 10, after);
    dl_ck_close("LoRA starts equal to the base", after, before, 13, 0.0, 0.0);
    for (int l = 0; l < c.L; l++) {
        tensor_fill_normal(g.blocks[l].lora_qkv.b, &r, 0.0f, 0.1f);
        tensor_fill_normal(g.blocks[l].lora_proj.b, &r, 0.0f, 0.1f);
    }
    gpt_next_logits(&g, tok, 10, adapted);
    double moved = 0;
    for (int v = 0; v < 13; v++) moved = fmax(moved, fabs(adapted[v] - before[v]));
    ck_assert_msg(moved > 1e-2, "a random b should change the outputs (moved %g)", moved);
    gpt_merge_lora(&g);
    for (int l = 0; l < c.L; l++)
        for (size_t j = 0; j < g.blocks[l].lora_qkv.b->size; j++)
            ck_assert(g.blocks[l].lora_qkv.b->data[j] == 0.0f);
    gpt_next_logits(&g, tok, 10, merged);
    dl_ck_close("merged = adapted", merged, adapted, 13, 1e-5, 1e-5);
    model_free(&m);
}
END_TEST

// ---- decay_min_ndim ----

START_TEST(test_adamw_decay_min_ndim)
{
    Arena a;
    arena_init(&a, "p");
    Params p;
    params_init(&p, &a);
    Tensor *w = tensor_param(&a, 2, (int[]){2, 3}, "w"), *b = tensor_param(&a, 1, (int[]){3}, "b");
    tensor_fill(w, 2.0f);
    tensor_fill(b, 2.0f);
    params_add(&p, w);
    params_add(&p, b);
    OptConfig oc = optim_defaults(OPT_ADAMW);
    oc.weight_decay = 0.5f;
    oc.decay_min_ndim = 2;
    Optimizer o;
    optim_init(&o, &oc, &p, &a);
    optim_step(&o, 0.1f);   // zero grads: only the decay moves θ
    dl_ck_close1("2-D decays", w->data[0], 2.0f * (1.0f - 0.1f * 0.5f), 1e-7, 0.0);
    dl_ck_close1("1-D does not", b->data[0], 2.0f, 0.0, 0.0);
    arena_free(&a);
}
END_TEST

// ---- parameter counts ----

static GptConfig gpt2_small(void)
{
    return (GptConfig){.V = 50257, .T = 1024, .L = 12, .NH = 12, .C = 768, .bias = true,
                       .causal = true, .pos = POS_LEARNED};
}

static GptConfig bert_base(void)
{
    return (GptConfig){.V = 30522, .T = 512, .L = 12, .NH = 12, .C = 768, .bias = true,
                       .causal = false, .post_ln = true, .pos = POS_LEARNED, .n_segments = 2,
                       .emb_ln = true, .pooler = true};
}

START_TEST(test_param_counts_formula_and_built)
{
    GptConfig g2 = gpt2_small(), bb = bert_base();
    // by hand: wte + wpe + 12 blocks + ln_f
    const size_t C = 768, block = 4 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) +
                                  (4 * C * C + C);
    ck_assert_uint_eq(gpt_param_count(&g2), 50257 * C + 1024 * C + 12 * block + 2 * C);
    ck_assert_uint_eq(gpt_param_count(&g2), 124439808);
    // BertModel: word + position + token-type embeddings, their LayerNorm, 12 post-LN blocks,
    // the pooler (Hugging Face's bert-base-uncased: 109,482,240)
    ck_assert_uint_eq(gpt_param_count(&bb),
                      30522 * C + 512 * C + 2 * C + 2 * C + 12 * block + C * C + C);
    ck_assert_uint_eq(gpt_param_count(&bb), 109482240);
    // the same two counts from torch modules (scripts/gen_fixtures_gpt.py, on the meta device)
    Fixture f;
    fixture_load(&f, FIX);
    FixBlock *counts = fixture_get(&f, "counts");
    ck_assert_uint_eq(gpt_param_count(&g2), (size_t)counts->v[0]);
    ck_assert_uint_eq(gpt_param_count(&bb), (size_t)counts->v[1]);
    fixture_free(&f);
    GptConfig small = {.V = 65, .T = 64, .L = 4, .NH = 4, .C = 128, .causal = true,
                       .pos = POS_LEARNED};
    // the chapter's model without bias: 4·(4·128² + 8·128²) + 2·128·4 + 65·128 + 64·128 + 128
    ck_assert_uint_eq(gpt_param_count(&small), 4 * (12 * 128 * 128 + 2 * 128) + 65 * 128 +
                                                   64 * 128 + 128);
    // built layers: GPT-2 small itself (1 GB with its grads, once), and a BERT-shaped encoder
    // at a small size (every extra: token types, embedding LayerNorm, pooler, post-LN, no ln_f)
    GptConfig mini_bert = bb;
    mini_bert.V = 300;
    mini_bert.T = 32;
    mini_bert.L = 2;
    mini_bert.C = 48;
    const GptConfig *built[] = {&g2, &mini_bert, &small};
    for (int i = 0; i < 3; i++) {
        Model m;
        model_init(&m, "test/count");
        Rng r;
        rng_seed(&r, 1);
        Gpt g;
        gpt_init(&g, &m, built[i], &r);
        ck_assert_uint_eq(params_count(&m.p), gpt_param_count(built[i]));
        model_free(&m);
    }
}
END_TEST

// ---- errors ----

START_TEST(test_config_check_messages)
{
    char err[256];
    GptConfig c = {.V = 10, .T = 8, .L = 2, .NH = 5, .C = 128, .causal = true};
    ck_assert(!gpt_config_check(&c, err, sizeof err));
    ck_assert_msg(strstr(err, "n_head 5 does not divide d_model 128"), "%s", err);
    c.NH = 4;
    ck_assert(gpt_config_check(&c, err, sizeof err));
    c.L = 0;
    ck_assert(!gpt_config_check(&c, err, sizeof err));
    ck_assert_msg(strstr(err, "n_layer L = 0"), "%s", err);
}
END_TEST

static void die_bad_heads(void)
{
    Model m;
    model_init(&m, "x");
    Rng r;
    rng_seed(&r, 1);
    Gpt g;
    GptConfig c = {.V = 10, .T = 8, .L = 2, .NH = 5, .C = 128, .causal = true};
    gpt_init(&g, &m, &c, &r);
}

static void die_token(void)
{
    Model m;
    model_init(&m, "x");
    Rng r;
    rng_seed(&r, 1);
    Gpt g;
    GptConfig c = tiny_decoder(true);
    gpt_init(&g, &m, &c, &r);
    float l[11];
    gpt_next_logits(&g, (int[]){1, 11}, 2, l);
}

static void die_too_long(void)
{
    Model m;
    model_init(&m, "x");
    Rng r;
    rng_seed(&r, 1);
    Gpt g;
    GptConfig c = tiny_decoder(true);
    gpt_init(&g, &m, &c, &r);
    int tok[9] = {0};
    float l[11];
    gpt_next_logits(&g, tok, 9, l);
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"n_head not dividing d_model", die_bad_heads, {"n_head 5 does not divide d_model 128",
                                                        "gpt_init"}},
        {"token outside the vocabulary", die_token, {"token 11 at position 1", "[0, 11)"}},
        {"sequence longer than the context", die_too_long, {"9 tokens", "block_size 8"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *gpt_suite(void)
{
    Suite *s = suite_create("gpt");
    TCase *t = tcase_create("pytorch");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_whole_model_matches_pytorch_bias);
    tcase_add_test(t, test_whole_model_matches_pytorch_no_bias);
    suite_add_tcase(s, t);
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 120);
    tcase_add_test(g, test_gradcheck_decoder_and_encoder);
    suite_add_tcase(s, g);
    TCase *p = tcase_create("properties");
    tcase_set_timeout(p, 120);
    tcase_add_test(p, test_kv_cache_equals_whole_forward);
    tcase_add_test(p, test_same_bits_with_1_and_2_threads);
    tcase_add_test(p, test_attention_maps_are_distributions);
    tcase_add_test(p, test_lora_counts_start_and_merge);
    tcase_add_test(p, test_adamw_decay_min_ndim);
    tcase_add_test(p, test_param_counts_formula_and_built);
    suite_add_tcase(s, p);
    TCase *e = tcase_create("errors");
    tcase_set_timeout(e, 30);
    tcase_add_test(e, test_config_check_messages);
    tcase_add_test(e, test_bad_input_exits_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(gpt_suite)
