/* tests/test_docs_ops.c — the ops of chapter 6's document models: op_embedding_mean
 * (EmbeddingBag "mean"), op_embedding_padded (padding_idx) in common/ops/embedding.h,
 * op_global_maxpool (max over time) in common/ops/conv.h, op_transpose in common/ops/shape.h,
 * and the text-CNN block they make with op_conv2d, in both layouts: a (K, D) kernel over the
 * (T, D) sentence matrix (Kim 2014) and a (1, K) kernel over D channels (nn.Conv1d).
 *
 * Gradients: finite differences inside L = Σ w ⊙ op(x) (tests/gradcheck_util.h: rel < 2e-3 with
 * h = 1e-2; a wrong derivative gives rel ~ 0.1 … 1). Max-pool inputs are distinct values 0.05
 * apart, so a ±h step never moves an arg-max.
 * Values: PyTorch in float64 (tests/fixtures/docs_torch.txt, scripts/gen_fixtures_docs.py),
 * |got − want| <= 1e-5 + 1e-4·|want|. Bad tokens exit with status 1 and a message.
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "base/threads.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/embedding.h"
#include "ops/shape.h"

#define FIX "tests/fixtures/docs_torch.txt"

// Token ids of a fixture block (stored as floats).
static int *fix_ints(Fixture *f, const char *name, int *n)
{
    FixBlock *b = fixture_get(f, name);
    int *v = malloc(b->n * sizeof *v);
    for (size_t i = 0; i < b->n; i++) v[i] = (int)b->v[i];
    *n = (int)b->n;
    return v;
}

// L = Σ R ⊙ y on a fresh tape; backward; returns y (in step).
static Tensor *loss_backward(Tape *tp, Tensor *y, Arena *a, Fixture *f, const char *R)
{
    Tensor *r = fixture_tensor(a, f, R, false);
    ck_assert_uint_eq(r->size, y->size);
    Tensor *rr = op_reshape(tp, r, y->ndim, y->shape);
    tape_backward(tp, op_sum(tp, op_mul(tp, y, rr)));
    return y;
}

// ---- values and gradients against PyTorch ----

START_TEST(test_embedding_mean_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIX);
    Arena a, step;
    arena_init(&a, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    FixBlock *cfg = fixture_get(&f, "bag.cfg");
    int B = (int)cfg->v[2], T = (int)cfg->v[3], n;
    int *tok = fix_ints(&f, "bag.tokens", &n);
    ck_assert_int_eq(n, B * T);
    Tensor *table = fixture_tensor(&a, &f, "bag.table", true);
    Tensor *y = op_embedding_mean(&tp, table, tok, B, T);
    ck_assert_int_eq(y->shape[0], B);
    ck_assert_int_eq(y->shape[1], table->shape[1]);
    loss_backward(&tp, y, &a, &f, "bag.R");
    FixBlock *out = fixture_get(&f, "bag.out"), *g = fixture_get(&f, "bag.grad.table");
    dl_ck_close("embedding_mean out", y->data, out->v, out->n, DL_ATOL, DL_RTOL);
    dl_ck_close("embedding_mean dtable", table->grad, g->v, g->n, DL_ATOL, DL_RTOL);
    // the all-padding row (2) is zeros, as EmbeddingBag's empty bag
    for (int j = 0; j < y->shape[1]; j++) ck_assert_float_eq(y->data[2 * y->shape[1] + j], 0.0f);
    free(tok);
    arena_free(&step);
    arena_free(&a);
    fixture_free(&f);
}
END_TEST

START_TEST(test_embedding_padded_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIX);
    Arena a, step;
    arena_init(&a, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    int n;
    int *tok = fix_ints(&f, "pad.tokens", &n);
    Tensor *table = fixture_tensor(&a, &f, "pad.table", true);
    Tensor *y = op_embedding_padded(&tp, table, tok, n);
    loss_backward(&tp, y, &a, &f, "pad.R");
    FixBlock *out = fixture_get(&f, "pad.out"), *g = fixture_get(&f, "pad.grad.table");
    dl_ck_close("embedding_padded out", y->data, out->v, out->n, DL_ATOL, DL_RTOL);
    dl_ck_close("embedding_padded dtable", table->grad, g->v, g->n, DL_ATOL, DL_RTOL);
    free(tok);
    arena_free(&step);
    arena_free(&a);
    fixture_free(&f);
}
END_TEST

START_TEST(test_global_maxpool_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIX);
    Arena a, step;
    arena_init(&a, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    FixBlock *xb = fixture_get(&f, "gmp.x");
    Tensor *x = tensor_param(&a, 4, (int[]){2, 3, 5, 1}, "x");
    tensor_copy_from(x, xb->v, xb->n);
    Tensor *y = op_global_maxpool(&tp, x);
    ck_assert_int_eq(y->ndim, 2);
    loss_backward(&tp, y, &a, &f, "gmp.R");
    FixBlock *out = fixture_get(&f, "gmp.out"), *g = fixture_get(&f, "gmp.grad.x");
    dl_ck_close("global_maxpool out", y->data, out->v, out->n, DL_ATOL, DL_RTOL);
    dl_ck_close("global_maxpool dx", x->grad, g->v, g->n, DL_ATOL, DL_RTOL);
    arena_free(&step);
    arena_free(&a);
    fixture_free(&f);
}
END_TEST

// The Kim-2014 block, two layouts of the same numbers: padded embeddings (B·T, D) →
//   kim:      (B, 1, T, D), conv with w (C_out, 1, K, D)          (Kim's picture)
//   channels: (B, D, T) by op_transpose → (B, D, 1, T), w (C_out, D, 1, K)   (nn.Conv1d's)
// → ReLU → max over time → (B, C_out).
static Tensor *cnn_block(Tape *tp, Tensor *table, const int *tok, int B, int T, Tensor *w,
                         Tensor *b, bool channels)
{
    const int D = table->shape[1];
    Tensor *e = op_embedding_padded(tp, table, tok, B * T);
    Tensor *x;
    if (channels) {
        e = op_transpose(tp, op_reshape(tp, e, 3, (int[]){B, T, D}));
        x = op_reshape(tp, e, 4, (int[]){B, D, 1, T});
    } else {
        x = op_reshape(tp, e, 4, (int[]){B, 1, T, D});
    }
    return op_global_maxpool(tp, op_relu(tp, op_conv2d(tp, x, w, b, 1, 0)));
}

// w (C, K·D) in Kim's layout [c][r][j] ↔ (C, D·K) in the channels layout [c][j][r]
static void kim_to_channels(const float *src, float *dst, int C, int K, int D)
{
    for (int c = 0; c < C; c++)
        for (int r = 0; r < K; r++)
            for (int j = 0; j < D; j++)
                dst[((size_t)c * D + j) * K + r] = src[((size_t)c * K + r) * D + j];
}

START_TEST(test_text_cnn_block_matches_pytorch)
{
    Fixture f;
    fixture_load(&f, FIX);
    FixBlock *cfg = fixture_get(&f, "cnn.cfg");
    int D = (int)cfg->v[1], B = (int)cfg->v[2], T = (int)cfg->v[3], C = (int)cfg->v[4],
        K = (int)cfg->v[5], n;
    int *tok = fix_ints(&f, "cnn.tokens", &n);
    FixBlock *out = fixture_get(&f, "cnn.out"), *gt = fixture_get(&f, "cnn.grad.table"),
             *wb = fixture_get(&f, "cnn.w"), *gw = fixture_get(&f, "cnn.grad.w"),
             *gb = fixture_get(&f, "cnn.grad.b");
    float *want_gw = malloc(gw->n * sizeof(float));
    for (int channels = 0; channels < 2; channels++) {
        Arena a, step;
        arena_init(&a, "params");
        arena_init(&step, "step");
        Tape tp;
        tape_init(&tp, &step);
        Tensor *table = fixture_tensor(&a, &f, "cnn.table", true);
        Tensor *w = channels ? tensor_param(&a, 4, (int[]){C, D, 1, K}, "w")
                             : tensor_param(&a, 4, (int[]){C, 1, K, D}, "w");
        if (channels) {
            kim_to_channels(wb->v, w->data, C, K, D);
            kim_to_channels(gw->v, want_gw, C, K, D);
        } else {
            tensor_copy_from(w, wb->v, wb->n);
            memcpy(want_gw, gw->v, gw->n * sizeof(float));
        }
        Tensor *b = fixture_tensor(&a, &f, "cnn.b", true);
        Tensor *y = cnn_block(&tp, table, tok, B, T, w, b, channels);
        ck_assert_int_eq(y->shape[0], B);
        ck_assert_int_eq(y->shape[1], C);
        loss_backward(&tp, y, &a, &f, "cnn.R");
        dl_ck_close("text cnn out", y->data, out->v, out->n, DL_ATOL, DL_RTOL);
        dl_ck_close("text cnn dtable", table->grad, gt->v, gt->n, DL_ATOL, DL_RTOL);
        dl_ck_close("text cnn dw", w->grad, want_gw, gw->n, DL_ATOL, DL_RTOL);
        dl_ck_close("text cnn db", b->grad, gb->v, gb->n, DL_ATOL, DL_RTOL);
        arena_free(&step);
        arena_free(&a);
    }
    free(want_gw);
    free(tok);
    fixture_free(&f);
}
END_TEST

// ---- finite differences ----

typedef struct { const int *tok; int B, T; } TokCtx;

static Tensor *mean_build(Tape *tp, Tensor **in, void *ctx)
{
    TokCtx *c = ctx;
    return op_embedding_mean(tp, in[0], c->tok, c->B, c->T);
}

static Tensor *padded_build(Tape *tp, Tensor **in, void *ctx)
{
    TokCtx *c = ctx;
    return op_embedding_padded(tp, in[0], c->tok, c->B * c->T);
}

static Tensor *gmp_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    return op_global_maxpool(tp, in[0]);
}

static Tensor *cnn_build(Tape *tp, Tensor **in, void *ctx)
{
    TokCtx *c = ctx;
    return cnn_block(tp, in[0], c->tok, c->B, c->T, in[1], in[2], true);
}

static Tensor *transpose_build(Tape *tp, Tensor **in, void *ctx)
{
    (void)ctx;
    return op_transpose(tp, in[0]);
}

START_TEST(test_gradcheck_document_ops)
{
    Arena a;
    arena_init(&a, "params");
    Rng r;
    rng_seed(&r, 611);
    // 3 rows of 6 tokens from 5 words: repeats, padding, an empty row
    static const int tok[18] = {0, 1, 1, 4, -1, -1, 2, -1, 3, 0, 0, 2, -1, -1, -1, -1, -1, -1};
    TokCtx c = {tok, 3, 6};
    Tensor *table = tensor_param(&a, 2, (int[]){5, 4}, "table");
    tensor_fill_uniform(table, &r, -1, 1);
    assert_gradcheck("embedding_mean", run_gradcheck(mean_build, &c, &table, 1, &a, &r));
    assert_gradcheck("embedding_padded", run_gradcheck(padded_build, &c, &table, 1, &a, &r));

    Tensor *x = tensor_param(&a, 4, (int[]){2, 3, 4, 2}, "x");
    int n = (int)x->size;
    int perm[48];
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(&r, perm, (size_t)n);
    for (int i = 0; i < n; i++) x->data[i] = 0.05f * (float)(perm[i] - n / 2);
    assert_gradcheck("global_maxpool", run_gradcheck(gmp_build, NULL, &x, 1, &a, &r));

    // the CNN block: 2 rows of 6 tokens (no empty row: a row of padding has ReLU(b) ties)
    static const int tok2[12] = {0, 1, 2, 3, 4, -1, 3, 3, 1, 0, -1, -1};
    TokCtx c2 = {tok2, 2, 6};
    Tensor *w = tensor_param(&a, 4, (int[]){3, 4, 1, 2}, "w");
    Tensor *b = tensor_param(&a, 1, (int[]){3}, "b");
    tensor_fill_uniform(w, &r, -0.8f, 0.8f);
    tensor_fill_uniform(b, &r, 0.5f, 1.0f);     // conv outputs mostly > 0: few ReLU kinks
    Tensor *in[] = {table, w, b};
    assert_gradcheck("text cnn block", run_gradcheck(cnn_build, &c2, in, 3, &a, &r));

    Tensor *m = tensor_param(&a, 3, (int[]){2, 3, 5}, "m");
    tensor_fill_uniform(m, &r, -1, 1);
    assert_gradcheck("transpose", run_gradcheck(transpose_build, NULL, &m, 1, &a, &r));
    arena_free(&a);
}
END_TEST

// ---- threads: the same bits with 1 and 2 threads (big enough to be split) ----

static void mean_step(int threads, float **out, float **grad, size_t *n_out, size_t *n_grad)
{
    threads_set(threads);
    Arena a, step;
    arena_init(&a, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 7);
    const int V = 300, D = 64, B = 32, T = 80;
    Tensor *table = tensor_param(&a, 2, (int[]){V, D}, "table");
    tensor_fill_uniform(table, &r, -1, 1);
    int *tok = malloc((size_t)B * T * sizeof *tok);
    for (int i = 0; i < B * T; i++) tok[i] = rng_below(&r, 10) == 0 ? -1 : (int)rng_below(&r, V);
    Tensor *y = op_embedding_mean(&tp, table, tok, B, T);
    Tensor *R = tensor_new(&a, 2, y->shape);
    tensor_fill_uniform(R, &r, -1, 1);
    tape_backward(&tp, op_sum(&tp, op_mul(&tp, y, R)));
    *n_out = y->size;
    *n_grad = table->size;
    *out = malloc(y->size * sizeof(float));
    *grad = malloc(table->size * sizeof(float));
    memcpy(*out, y->data, y->size * sizeof(float));
    memcpy(*grad, table->grad, table->size * sizeof(float));
    free(tok);
    arena_free(&step);
    arena_free(&a);
}

START_TEST(test_embedding_mean_independent_of_thread_count)
{
    int saved = threads_get();
    float *o1, *g1, *o2, *g2;
    size_t no1, ng1, no2, ng2;
    mean_step(1, &o1, &g1, &no1, &ng1);
    mean_step(2, &o2, &g2, &no2, &ng2);
    threads_set(saved);
    ck_assert_uint_eq(no1, no2);
    ck_assert_uint_eq(ng1, ng2);
    ck_assert_msg(memcmp(o1, o2, no1 * sizeof(float)) == 0, "output differs with threads");
    ck_assert_msg(memcmp(g1, g2, ng1 * sizeof(float)) == 0, "dtable differs with threads");
    free(o1);
    free(g1);
    free(o2);
    free(g2);
}
END_TEST

// ---- bad input ----

static Arena bad_a, bad_step;
static Tape bad_tp;
static Tensor *bad_table(void)
{
    arena_init(&bad_a, "params");
    arena_init(&bad_step, "step");
    tape_init(&bad_tp, &bad_step);
    return tensor_param(&bad_a, 2, (int[]){4, 3}, "table");
}
static void mean_token_too_big(void)
{
    static const int tok[4] = {0, 1, 4, -1};
    op_embedding_mean(&bad_tp, bad_table(), tok, 2, 2);
}
static void mean_token_below_padding(void)
{
    static const int tok[2] = {0, -2};
    op_embedding_mean(&bad_tp, bad_table(), tok, 1, 2);
}
static void padded_token_too_big(void)
{
    static const int tok[3] = {0, 9, -1};
    op_embedding_padded(&bad_tp, bad_table(), tok, 3);
}
static void plain_embedding_padding(void)
{
    static const int tok[2] = {0, -1};
    op_embedding(&bad_tp, bad_table(), tok, 2);
}
static void gmp_2d_input(void)
{
    op_global_maxpool(&bad_tp, bad_table());
}
static void transpose_2d_input(void)
{
    op_transpose(&bad_tp, bad_table());
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"embedding_mean token >= V", mean_token_too_big, {"token 4 at position 2", "[-1, 4)"}},
        {"embedding_mean token -2", mean_token_below_padding, {"token -2", "-1 is padding"}},
        {"embedding_padded token >= V", padded_token_too_big, {"embedding_padded", "token 9"}},
        {"plain embedding refuses -1", plain_embedding_padding, {"token -1", "[0, 4)"}},
        {"global_maxpool of a 2-D tensor", gmp_2d_input, {"global_maxpool", "(4, 3)"}},
        {"transpose of a 2-D tensor", transpose_2d_input, {"transpose", "(4, 3)"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *docs_ops_suite(void)
{
    Suite *s = suite_create("docs_ops");
    TCase *t = tcase_create("pytorch");
    tcase_add_test(t, test_embedding_mean_matches_pytorch);
    tcase_add_test(t, test_embedding_padded_matches_pytorch);
    tcase_add_test(t, test_global_maxpool_matches_pytorch);
    tcase_add_test(t, test_text_cnn_block_matches_pytorch);
    suite_add_tcase(s, t);
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 60);
    tcase_add_test(g, test_gradcheck_document_ops);
    tcase_add_test(g, test_embedding_mean_independent_of_thread_count);
    suite_add_tcase(s, g);
    TCase *e = tcase_create("errors");
    tcase_add_test(e, test_bad_input_exits_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(docs_ops_suite)
