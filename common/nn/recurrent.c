/* common/nn/recurrent.c — a stack of recurrent layers and its carried state; see
 * nn/recurrent.h. */
#include "nn/recurrent.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "ops/regularize.h"

// A name that outlives the call: params keep the tensor's name pointer.
static const char *layer_name(Arena *a, const char *what, int l)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s_l%d", what, l);
    char *s = arena_alloc(a, strlen(buf) + 1);
    memcpy(s, buf, strlen(buf) + 1);
    return s;
}

void recurrent_init(Recurrent *r, Arena *params, CellKind kind, int C, int H, int L,
                    float init_range, Rng *rng, Params *list)
{
    DL_CHECK(L >= 1 && L <= DL_MAX_RNN_LAYERS, "recurrent_init: %d layers; need 1 to %d", L,
             DL_MAX_RNN_LAYERS);
    DL_CHECK(C >= 1 && H >= 1, "recurrent_init: sizes must be >= 1, got C=%d H=%d", C, H);
    DL_CHECK(init_range >= 0.0f, "recurrent_init: init_range %g must be >= 0", init_range);
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->C = C;
    r->H = H;
    r->L = L;
    const int GH = cell_gates(kind) * H;
    // torch.nn.RNNBase.reset_parameters: every weight U(-1/√H, 1/√H)
    const float k = init_range > 0.0f ? init_range : 1.0f / sqrtf((float)H);
    for (int l = 0; l < L; l++) {
        int Cl = l == 0 ? C : H;
        r->w_ih[l] = tensor_param(params, 2, (int[]){Cl, GH}, layer_name(params, "w_ih", l));
        r->w_hh[l] = tensor_param(params, 2, (int[]){H, GH}, layer_name(params, "w_hh", l));
        r->b_ih[l] = tensor_param(params, 1, (int[]){GH}, layer_name(params, "b_ih", l));
        r->b_hh[l] = tensor_param(params, 1, (int[]){GH}, layer_name(params, "b_hh", l));
        Tensor *ts[] = {r->w_ih[l], r->w_hh[l], r->b_ih[l], r->b_hh[l]};
        for (int i = 0; i < 4; i++) {
            tensor_fill_uniform(ts[i], rng, -k, k);
            if (list) params_add(list, ts[i]);
        }
    }
}

size_t recurrent_param_count(CellKind kind, int C, int H, int L)
{
    size_t G = (size_t)cell_gates(kind), n = 0;
    for (int l = 0; l < L; l++) {
        size_t Cl = l == 0 ? (size_t)C : (size_t)H;
        n += G * (Cl * H + (size_t)H * H + 2 * (size_t)H);
    }
    return n;
}

void recurrent_state_init(RecurrentState *s, Arena *a, const Recurrent *r, int B,
                          Params *list, const char *name)
{
    DL_CHECK(B >= 1, "recurrent_state_init: B = %d; need >= 1", B);
    size_t n = (size_t)r->L * B * r->H;
    s->L = r->L;
    s->B = B;
    s->H = r->H;
    s->h = arena_alloc(a, n * sizeof(float));
    s->c = r->kind == CELL_LSTM ? arena_alloc(a, n * sizeof(float)) : NULL;
    if (list) {
        DL_CHECK(name, "recurrent_state_init: a state added to a Params list needs a name");
        char buf[DL_PARAM_NAME];
        snprintf(buf, sizeof buf, "%s.h", name);
        params_add_buffer(list, buf, s->h, n);
        if (s->c) {
            snprintf(buf, sizeof buf, "%s.c", name);
            params_add_buffer(list, buf, s->c, n);
        }
    }
}

void recurrent_state_reset(RecurrentState *s)
{
    size_t n = (size_t)s->L * s->B * s->H;
    memset(s->h, 0, n * sizeof(float));
    if (s->c) memset(s->c, 0, n * sizeof(float));
}

// A copy of one layer's slice of the carried state, on the tape's arena: the op reads h0 and
// c0 again in backward, after s has been overwritten with the new final states.
static Tensor *state_slice(Tape *tp, const float *src, int B, int H)
{
    Tensor *t = tensor_new_uninit(tp->arena, 2, (int[]){B, H});
    memcpy(t->data, src, (size_t)B * H * sizeof(float));
    return t;
}

Tensor *recurrent_forward(Tape *tp, const Recurrent *r, Tensor *x, RecurrentState *s,
                          float dropout, bool train, Rng *rng, float *dh_norm)
{
    char sx[64];
    DL_CHECK(x->ndim == 3 && x->shape[2] == r->C, "recurrent_forward: input %s; the layer "
             "expects (B, T, %d)", tensor_shape_str(x, sx, sizeof sx), r->C);
    const int B = x->shape[0], H = r->H;
    if (s) {
        DL_CHECK(s->B == B && s->L == r->L && s->H == H, "recurrent_forward: the carried state "
                 "is (L=%d, B=%d, H=%d), the input needs (L=%d, B=%d, H=%d)", s->L, s->B, s->H,
                 r->L, B, H);
    }
    Tensor *h = x;
    for (int l = 0; l < r->L; l++) {
        if (l > 0 && dropout > 0.0f && train) h = op_dropout(tp, h, dropout, rng, train);
        size_t off = (size_t)l * B * H;
        RecurrentArgs a = {
            .kind = r->kind, .w_ih = r->w_ih[l], .w_hh = r->w_hh[l], .b_ih = r->b_ih[l],
            .b_hh = r->b_hh[l],
            .h0 = s ? state_slice(tp, s->h + off, B, H) : NULL,
            .c0 = s && s->c ? state_slice(tp, s->c + off, B, H) : NULL,
            .h_n = s ? s->h + off : NULL,
            .c_n = s && s->c ? s->c + off : NULL,
            .dh_norm = l == r->L - 1 ? dh_norm : NULL,
        };
        h = op_recurrent(tp, h, &a);
    }
    return h;
}
