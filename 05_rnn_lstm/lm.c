/* 05_rnn_lstm/lm.c — chapter 5's language model; see lm.h. */
#include "lm.h"

#include <string.h>

#include "base/error.h"
#include "nn/init.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/embedding.h"
#include "ops/regularize.h"
#include "ops/shape.h"

void lm_init(RnnLM *lm, Model *m, const LmConfig *cfg, Rng *rng)
{
    const LmConfig *c = cfg;
    DL_CHECK(c->V >= 1 && c->D >= 1 && c->H >= 1 && c->L >= 1 && c->B >= 1 && c->B_eval >= 1,
             "lm_init: V, D, H, L, B and B_eval must be >= 1");
    memset(lm, 0, sizeof *lm);
    lm->cfg = *c;
    Params *p = &m->p;
    params_scope(p, "embed");
    lm->embed = tensor_param(&m->params, 2, (int[]){c->V, c->D}, "w");
    if (c->init_range > 0) tensor_fill_uniform(lm->embed, rng, -c->init_range, c->init_range);
    else tensor_fill_normal(lm->embed, rng, 0.0f, 1.0f);      // torch.nn.Embedding: N(0, 1)
    params_add(p, lm->embed);
    params_scope(p, "rnn");
    recurrent_init(&lm->rnn, &m->params, c->kind, c->D, c->H, c->L, c->init_range, rng, p);
    params_scope(p, "head");
    linear_init(&lm->head, &m->params, c->H, c->V, INIT_TORCH_DEFAULT, rng, p);
    if (c->init_range > 0) {
        tensor_fill_uniform(lm->head.w, rng, -c->init_range, c->init_range);
        tensor_fill_uniform(lm->head.b, rng, -c->init_range, c->init_range);
    }
    params_scope(p, NULL);
    recurrent_state_init(&lm->train_state, &m->params, &lm->rnn, c->B, p, "state");
    recurrent_state_init(&lm->eval_state, &m->params, &lm->rnn, c->B_eval, NULL, NULL);
}

Tensor *lm_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    RnnLM *lm = net;
    const LmConfig *c = &lm->cfg;
    RecurrentState *s = train ? &lm->train_state : &lm->eval_state;
    DL_CHECK(b->tokens && b->T >= 1, "lm_forward: the batch holds no tokens");
    DL_CHECK(b->B == s->B, "lm_forward: a batch of %d rows, but the model's %s state has %d "
             "(LmConfig.%s)", b->B, train ? "training" : "evaluation", s->B,
             train ? "B" : "B_eval");
    if (b->reset_state) recurrent_state_reset(s);
    const int BT = b->B * b->T;
    Tensor *x = op_embedding(tp, lm->embed, b->tokens, BT);                  // (B·T, D)
    x = op_reshape(tp, x, 3, (int[]){b->B, b->T, c->D});                     // (B, T, D)
    Tensor *h = recurrent_forward(tp, &lm->rnn, x, s, c->dropout, train, rng, NULL); // (B, T, H)
    h = op_dropout(tp, h, c->dropout, rng, train);
    h = op_reshape(tp, h, 2, (int[]){BT, c->H});                             // (B·T, H)
    return op_linear(tp, h, lm->head.w, lm->head.b);                         // (B·T, V)
}

Tensor *lm_loss(void *net, Tape *tp, Tensor *out, const Batch *b)
{
    (void)net;
    return op_cross_entropy_fast(tp, out, b->y);
}

void lm_step(RnnLM *lm, Model *m, RecurrentState *s, int token, float *logits)
{
    DL_CHECK(s->B == 1, "lm_step: the generation state must have B = 1, has %d", s->B);
    Tape *tp = &m->tp;
    const bool was = tp->recording;
    tape_set_recording(tp, false);
    Tensor *x = op_embedding(tp, lm->embed, &token, 1);
    x = op_reshape(tp, x, 3, (int[]){1, 1, lm->cfg.D});
    Tensor *h = recurrent_forward(tp, &lm->rnn, x, s, 0.0f, false, NULL, NULL);
    h = op_reshape(tp, h, 2, (int[]){1, lm->cfg.H});
    Tensor *y = op_linear(tp, h, lm->head.w, lm->head.b);
    memcpy(logits, y->data, (size_t)lm->cfg.V * sizeof *logits);
    tape_reset(tp);
    tape_set_recording(tp, was);
}
