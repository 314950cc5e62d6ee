/* common/ops/recurrent.c — one recurrent layer over a sequence as one autograd node; see
 * ops/recurrent.h for the cells and kernels/recurrent.h for how the work is done.
 *
 * Forward runs the selected rung of RNN_LADDER and keeps in the step arena what backward
 * needs: the gate activations of every step (B, T, G·H) and, for the LSTM, c_t and tanh(c_t)
 * (B, T, H) each, for the GRU the recurrent part of its candidate h_{t-1}·W_hn + b_hn
 * (B, T, H). The hidden states h_1 … h_T are the output itself. Backward (BPTT) is the rung's
 * backward: it adds into the grads of x, the four weights, h0 and c0 where they exist.
 */
#include "ops/recurrent.h"

#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "ops/internal.h"

int cell_gates(CellKind kind)
{
    switch (kind) {
    case CELL_RNN: return 1;
    case CELL_LSTM: return 4;
    case CELL_GRU: return 3;
    }
    dl_die("cell_gates: unknown cell kind %d", (int)kind);
}

const char *cell_name(CellKind kind)
{
    switch (kind) {
    case CELL_RNN: return "RNN";
    case CELL_LSTM: return "LSTM";
    case CELL_GRU: return "GRU";
    }
    dl_die("cell_name: unknown cell kind %d", (int)kind);
}

bool cell_from_name(const char *name, CellKind *out)
{
    static const CellKind kinds[] = {CELL_RNN, CELL_LSTM, CELL_GRU};
    for (int i = 0; i < 3; i++)
        if (name && strcasecmp(name, cell_name(kinds[i])) == 0) {
            *out = kinds[i];
            return true;
        }
    return false;
}

// Dies unless t has exactly the expected shape (ndim entries of want).
static void require_shape(const char *what, const Tensor *t, int ndim, const int *want)
{
    Tensor w = {.ndim = ndim};
    for (int i = 0; i < ndim; i++) w.shape[i] = want[i];
    char st[64], sw[64];
    DL_CHECK(tensor_same_shape(t, &w), "recurrent: %s has shape %s, expected %s", what,
             tensor_shape_str(t, st, sizeof st), tensor_shape_str(&w, sw, sizeof sw));
}

typedef struct RecSaved {
    RnnLayer l;
    Tensor *x, *w_ih, *w_hh, *b_ih, *b_hh, *h0, *c0;
    Arena *arena;
} RecSaved;

static void recurrent_backward(Node *n)
{
    RecSaved *s = n->saved;
    RnnLayer l = s->l;
    l.dy = n->out->grad;
    l.dx = s->x->grad;
    l.dw_ih = s->w_ih->grad;
    l.dw_hh = s->w_hh->grad;
    l.db_ih = s->b_ih->grad;
    l.db_hh = s->b_hh->grad;
    l.dh0 = s->h0 ? s->h0->grad : NULL;
    l.dc0 = s->c0 ? s->c0->grad : NULL;
    l.scratch = s->arena;
    rnn_layer_backward(&l);
}

Tensor *op_recurrent(Tape *tp, Tensor *x, const RecurrentArgs *a)
{
    char sx[64];
    DL_CHECK(x->ndim == 3, "recurrent: input x must be (B, T, C), got shape %s",
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(a->w_ih && a->w_hh && a->b_ih && a->b_hh, "recurrent: all four weights are needed");
    const int B = x->shape[0], T = x->shape[1], C = x->shape[2];
    const int G = cell_gates(a->kind);
    DL_CHECK(a->w_hh->ndim == 2 && a->w_hh->shape[1] % G == 0,
             "recurrent: w_hh must be (H, G·H) with G = %d for a %s", G, cell_name(a->kind));
    const int H = a->w_hh->shape[0], GH = G * H;
    require_shape("w_ih", a->w_ih, 2, (int[]){C, GH});
    require_shape("w_hh", a->w_hh, 2, (int[]){H, GH});
    require_shape("b_ih", a->b_ih, 1, (int[]){GH});
    require_shape("b_hh", a->b_hh, 1, (int[]){GH});
    if (a->h0) require_shape("h0", a->h0, 2, (int[]){B, H});
    if (a->c0) {
        DL_CHECK(a->kind == CELL_LSTM, "recurrent: c0 given to a %s (only an LSTM has a cell "
                 "state)", cell_name(a->kind));
        require_shape("c0", a->c0, 2, (int[]){B, H});
    }
    Tensor *in[7];
    int n_in = 0;
    Tensor *all[] = {x, a->w_ih, a->w_hh, a->b_ih, a->b_hh, a->h0, a->c0};
    for (int i = 0; i < 7; i++)
        if (all[i]) in[n_in++] = all[i];
    Tensor *y = tape_output(tp, 3, (int[]){B, T, H}, in, n_in);
    const size_t bt = (size_t)B * T;
    RnnLayer l = {
        .kind = a->kind, .B = B, .T = T, .C = C, .H = H,
        .x = x->data, .w_ih = a->w_ih->data, .w_hh = a->w_hh->data,
        .b_ih = a->b_ih->data, .b_hh = a->b_hh->data,
        .h0 = a->h0 ? a->h0->data : NULL, .c0 = a->c0 ? a->c0->data : NULL,
        .y = y->data, .h_n = a->h_n, .c_n = a->kind == CELL_LSTM ? a->c_n : NULL,
        .act = arena_alloc_uninit(tp->arena, bt * GH * sizeof(float)),
        .aux = a->kind == CELL_RNN ? NULL : arena_alloc_uninit(tp->arena, bt * H * sizeof(float)),
        .aux2 = a->kind == CELL_LSTM ? arena_alloc_uninit(tp->arena, bt * H * sizeof(float)) : NULL,
        .dh_norm = a->dh_norm,
        .scratch = tp->arena,
    };
    rnn_layer_forward(&l);
    if (a->c_n && a->kind != CELL_LSTM) memset(a->c_n, 0, (size_t)B * H * sizeof(float));
    Node *n = tape_record(tp, "recurrent", recurrent_backward, y, in, n_in);
    if (n) {
        RecSaved *s = arena_alloc(tp->arena, sizeof *s);
        *s = (RecSaved){.l = l, .x = x, .w_ih = a->w_ih, .w_hh = a->w_hh, .b_ih = a->b_ih,
                        .b_hh = a->b_hh, .h0 = a->h0, .c0 = a->c0, .arena = tp->arena};
        n->saved = s;
    }
    return y;
}
