/* 05_rnn_lstm/exercises/driver.c — runs one chapter 5 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I05_rnn_lstm/exercises -DEX_CHAPTER_DIR='"<abs path>"' \
 *      -DEXERCISE_ex1_rnn_forward 05_rnn_lstm/exercises/driver.c <your ex1_rnn_forward.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_rnn_forward.txt.
 * Besides the values themselves, each exercise reports how far they are from an independent
 * reference, which must come out near 0 (the same tolerance applies):
 *   ex1, ex2  the driver's own float64 computation of the definition; for ex2 also central
 *             finite differences of the whole BPTT loss (a gradient check);
 *   ex3, ex4  PyTorch (nn.LSTMCell, nn.LSTM, clip_grad_norm_): expected/torch_lstm_clip.txt,
 *             written by scripts/gen_fixtures_ex05.py and read here from EX_CHAPTER_DIR.
 * Inputs are fixed (seeded); outputs that must be written start as NaN, so a forgotten one
 * shows up as "produced NaN"; gradients start non-zero (0.25), so a backward that overwrites
 * instead of adding (+=) is caught.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grader.h"
#include "base/rng.h"
#include "exercises.h" // last: it poisons the library's recurrent/GEMM/clipping names

#ifndef EX_CHAPTER_DIR
#define EX_CHAPTER_DIR "05_rnn_lstm"   // run by hand from the repository root
#endif

#define EX_FIXTURE_FILE "torch_lstm_clip.txt"
#define EX_FIXTURE_SCRIPT "scripts/gen_fixtures_ex05.py"
#include "driver_fixture.h"

__attribute__((unused)) static void fill_uniform(float *v, size_t n, Rng *r, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = rng_uniform_range(r, lo, hi);
}

// PyTorch's weight (4H, in) → our W (in, 4H).
__attribute__((unused)) static float *transpose_of(const double *w, int rows, int cols)
{
    float *t = alloc_floats((size_t)rows * cols, 0.0f);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) t[(size_t)c * rows + r] = (float)w[(size_t)r * cols + c];
    return t;
}

#if defined(EXERCISE_ex1_rnn_forward) || defined(EXERCISE_ex2_rnn_backward)
// The driver's own reference of one RNN step, in float64 from the same float inputs:
// h = tanh(x W_xh + h_prev W_hh + b).
static void rnn_step_ref(const double *x, const double *h_prev, const double *W_xh,
                         const double *W_hh, const double *bias, double *h, int B, int C, int H)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            double a = bias[j];
            for (int i = 0; i < C; i++) a += x[b * C + i] * W_xh[i * H + j];
            for (int k = 0; k < H; k++) a += h_prev[b * H + k] * W_hh[k * H + j];
            h[b * H + j] = tanh(a);
        }
}

static double *doubles_of(const float *v, size_t n)
{
    double *d = malloc(sizeof(double) * (n ? n : 1));
    if (!d) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) d[i] = v[i];
    return d;
}
#endif

#if defined(EXERCISE_ex1_rnn_forward)
// Five shapes, from 1x1x1 to a batch of 4 with 16 inputs and 32 hidden units (C != H, so a
// transposed weight is caught), and one sequence of 6 steps with large weights (tanh
// saturates; each step's h_prev is your previous h). Reported: h of every step, and
// caseK_maxdiff = max |h − the driver's float64 h| over the case (must be ~0).
static void run(void)
{
    typedef struct Case { int B, C, H, T; float wscale; } Case;
    static const Case cases[] = {
        {1, 1, 1, 1, 1.0f}, {2, 3, 4, 1, 0.5f}, {3, 5, 7, 1, 0.5f}, {4, 16, 32, 1, 0.25f},
        {2, 4, 6, 6, 1.5f},
    };
    Rng rng;
    rng_seed(&rng, 51);
    char name[48];
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        Case s = cases[k];
        size_t nx = (size_t)s.B * s.C, nh = (size_t)s.B * s.H;
        float *W_xh = alloc_floats((size_t)s.C * s.H, 0), *W_hh = alloc_floats((size_t)s.H * s.H, 0);
        float *bias = alloc_floats((size_t)s.H, 0), *h_prev = alloc_floats(nh, 0);
        float *x = alloc_floats(nx * s.T, 0), *h = alloc_floats(nh * s.T, NAN);
        fill_uniform(W_xh, (size_t)s.C * s.H, &rng, -s.wscale, s.wscale);
        fill_uniform(W_hh, (size_t)s.H * s.H, &rng, -s.wscale, s.wscale);
        fill_uniform(bias, (size_t)s.H, &rng, -0.5f, 0.5f);
        fill_uniform(h_prev, nh, &rng, -1, 1);
        fill_uniform(x, nx * s.T, &rng, -1, 1);
        double *dW_xh = doubles_of(W_xh, (size_t)s.C * s.H), *dW_hh = doubles_of(W_hh, (size_t)s.H * s.H);
        double *dbias = doubles_of(bias, (size_t)s.H), *ref = malloc(sizeof(double) * nh);
        double maxdiff = 0;
        for (int t = 0; t < s.T; t++) {
            const float *hp = t ? h + (size_t)(t - 1) * nh : h_prev;
            float *ht = h + (size_t)t * nh;
            ex_rnn_step_forward(x + (size_t)t * nx, hp, W_xh, W_hh, bias, ht, s.B, s.C, s.H);
            double *dx = doubles_of(x + (size_t)t * nx, nx), *dhp = doubles_of(hp, nh);
            rnn_step_ref(dx, dhp, dW_xh, dW_hh, dbias, ref, s.B, s.C, s.H);
            double d = max_abs_diff(ht, ref, nh);
            if (!(d <= maxdiff)) maxdiff = d;
            free(dx);
            free(dhp);
        }
        snprintf(name, sizeof name, "case%d_h", k);
        ex_put_array(name, h, (int)(nh * s.T));
        snprintf(name, sizeof name, "case%d_maxdiff", k);
        ex_put(name, 0, maxdiff);
        free(W_xh); free(W_hh); free(bias); free(h_prev); free(x); free(h);
        free(dW_xh); free(dW_hh); free(dbias); free(ref);
    }
}

#elif defined(EXERCISE_ex2_rnn_backward)
// Truncated BPTT over a whole short sequence, with your step backward called once per step
// from the last to the first. The loss is L = Σ_t Σ_{b,j} g_t[b][j] · h_t[b][j] for fixed
// random g_t, so the gradient arriving at h_t is g_t plus the dh_prev your call for step t + 1
// returned. The forward is the driver's (float64, rounded to float). Reported: dx of every
// step, dh_0 (the gradient at the initial state), dW_xh, dW_hh and dbias (which start at 0.25
// and must ADD the sum over the steps), and caseK_gradcheck = the largest
// |your gradient − central finite difference of L| over every weight, bias, input and h_0
// (float64 differences with step 1e-5; must be ~0).

typedef struct Seq {
    int B, C, H, T;
    double *x, *h0, *W_xh, *W_hh, *bias, *g;     // x (T, B, C), h0 (B, H), g (T, B, H)
} Seq;

// L of the sequence, in float64, and every h_t (T + 1 of them, h[0] = h0) when hs != NULL.
static double seq_loss(const Seq *q, double *hs)
{
    size_t nh = (size_t)q->B * q->H, nx = (size_t)q->B * q->C;
    double *buf = hs ? hs : malloc(sizeof(double) * nh * (q->T + 1));
    if (!buf) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
    memcpy(buf, q->h0, sizeof(double) * nh);
    double L = 0;
    for (int t = 0; t < q->T; t++) {
        double *h = buf + (size_t)(t + 1) * nh;
        rnn_step_ref(q->x + (size_t)t * nx, buf + (size_t)t * nh, q->W_xh, q->W_hh, q->bias, h, q->B, q->C, q->H);
        for (size_t i = 0; i < nh; i++) L += q->g[(size_t)t * nh + i] * h[i];
    }
    if (!hs) free(buf);
    return L;
}

// max |analytic[i] − offset − dL/dv[i]| by central differences on v (n values).
static double check_grad(Seq *q, double *v, size_t n, const float *analytic, double offset)
{
    const double eps = 1e-5;
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + eps;
        double lp = seq_loss(q, NULL);
        v[i] = keep - eps;
        double lm = seq_loss(q, NULL);
        v[i] = keep;
        double d = fabs((double)analytic[i] - offset - (lp - lm) / (2 * eps));
        if (!(d <= m)) m = d;
    }
    return m;
}

static void run(void)
{
    static const int cases[][4] = {{1, 1, 1, 1}, {2, 3, 4, 1}, {2, 3, 5, 4}, {3, 4, 3, 6}};  // B C H T
    Rng rng;
    rng_seed(&rng, 52);
    char name[48];
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        int B = cases[k][0], C = cases[k][1], H = cases[k][2], T = cases[k][3];
        size_t nx = (size_t)B * C, nh = (size_t)B * H, nwx = (size_t)C * H, nwh = (size_t)H * H;
        float *x = alloc_floats(nx * T, 0), *h0 = alloc_floats(nh, 0), *W_xh = alloc_floats(nwx, 0);
        float *W_hh = alloc_floats(nwh, 0), *bias = alloc_floats((size_t)H, 0), *g = alloc_floats(nh * T, 0);
        fill_uniform(x, nx * T, &rng, -1, 1);
        fill_uniform(h0, nh, &rng, -0.5f, 0.5f);
        fill_uniform(W_xh, nwx, &rng, -0.8f, 0.8f);
        fill_uniform(W_hh, nwh, &rng, -0.8f, 0.8f);
        fill_uniform(bias, (size_t)H, &rng, -0.3f, 0.3f);
        fill_uniform(g, nh * T, &rng, -1, 1);
        Seq q = {B, C, H, T, doubles_of(x, nx * T), doubles_of(h0, nh), doubles_of(W_xh, nwx),
                 doubles_of(W_hh, nwh), doubles_of(bias, (size_t)H), doubles_of(g, nh * T)};
        // The forward: h_0 .. h_T, rounded to float as a float forward would keep them.
        double *hs_d = malloc(sizeof(double) * nh * (T + 1));
        if (!hs_d) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        seq_loss(&q, hs_d);
        float *hs = alloc_floats(nh * (T + 1), 0);
        for (size_t i = 0; i < nh * (T + 1); i++) hs[i] = (float)hs_d[i];
        memcpy(hs, h0, sizeof(float) * nh);
        // The backward, last step first.
        float *dW_xh = alloc_floats(nwx, 0.25f), *dW_hh = alloc_floats(nwh, 0.25f);
        float *dbias = alloc_floats((size_t)H, 0.25f), *dx = alloc_floats(nx * T, NAN);
        float *dh = alloc_floats(nh, 0), *dh_next = alloc_floats(nh, 0);
        for (int t = T - 1; t >= 0; t--) {
            for (size_t i = 0; i < nh; i++) dh[i] = g[(size_t)t * nh + i] + dh_next[i];
            for (size_t i = 0; i < nh; i++) dh_next[i] = NAN;
            ex_rnn_step_backward(x + (size_t)t * nx, hs + (size_t)t * nh, hs + (size_t)(t + 1) * nh, dh,
                                 W_xh, W_hh, dx + (size_t)t * nx, dh_next, dW_xh, dW_hh, dbias, B, C, H);
        }
        double gc = 0;
        gc = fmax(gc, check_grad(&q, q.W_xh, nwx, dW_xh, 0.25));
        gc = fmax(gc, check_grad(&q, q.W_hh, nwh, dW_hh, 0.25));
        gc = fmax(gc, check_grad(&q, q.bias, (size_t)H, dbias, 0.25));
        gc = fmax(gc, check_grad(&q, q.x, nx * T, dx, 0));
        gc = fmax(gc, check_grad(&q, q.h0, nh, dh_next, 0));
        for (size_t i = 0; i < nx * T; i++) if (isnan(dx[i])) gc = NAN;        // fmax drops NaNs
        for (size_t i = 0; i < nh; i++) if (isnan(dh_next[i])) gc = NAN;
        snprintf(name, sizeof name, "case%d_dx", k);
        ex_put_array(name, dx, (int)(nx * T));
        snprintf(name, sizeof name, "case%d_dh0", k);
        ex_put_array(name, dh_next, (int)nh);
        snprintf(name, sizeof name, "case%d_dW_xh", k);
        ex_put_array(name, dW_xh, (int)nwx);
        snprintf(name, sizeof name, "case%d_dW_hh", k);
        ex_put_array(name, dW_hh, (int)nwh);
        snprintf(name, sizeof name, "case%d_dbias", k);
        ex_put_array(name, dbias, H);
        snprintf(name, sizeof name, "case%d_gradcheck", k);
        ex_put(name, 0, gc);
        free(x); free(h0); free(W_xh); free(W_hh); free(bias); free(g); free(hs_d); free(hs);
        free(dW_xh); free(dW_hh); free(dbias); free(dx); free(dh); free(dh_next);
        free(q.x); free(q.h0); free(q.W_xh); free(q.W_hh); free(q.bias); free(q.g);
    }
}

#elif defined(EXERCISE_ex3_lstm_cell)
// Against PyTorch (expected/torch_lstm_clip.txt): one step of nn.LSTMCell for two shapes
// (cell_a: B 2, C 3, H 4; cell_b: B 3, C 5, H 7), from non-zero (h0, c0); then a sequence of
// 5 steps (seq_a: B 2, C 4, H 6) through your cell, each step starting from your previous
// (h, c), against nn.LSTM(batch_first=True): its output (every h_t) and (h_n, c_n). The
// weights are PyTorch's, transposed here into W_ih (C, 4H), W_hh (H, 4H); a wrong gate order
// or a forgotten bias is off by ~0.1. Reported: h and c (seq: output, h_n, c_n) and
// <case>_maxdiff_torch = the largest |yours − PyTorch's| (must be ~0).
typedef struct Lstm { int C, H; float *W_ih, *W_hh, *b_ih, *b_hh; } Lstm;

static Lstm lstm_of(const Fixture *fx, const char *p, int C, int H)
{
    Lstm l = {C, H, transpose_of(fixture_get(fx, p, "weight_ih", (size_t)4 * H * C), 4 * H, C),
              transpose_of(fixture_get(fx, p, "weight_hh", (size_t)4 * H * H), 4 * H, H),
              floats_of(fixture_get(fx, p, "bias_ih", (size_t)4 * H), (size_t)4 * H),
              floats_of(fixture_get(fx, p, "bias_hh", (size_t)4 * H), (size_t)4 * H)};
    return l;
}

static void lstm_free(Lstm *l) { free(l->W_ih); free(l->W_hh); free(l->b_ih); free(l->b_hh); }

static void run(void)
{
    Fixture fx = fixture_load();
    char name[48];
    static const char *const cells[] = {"cell_a", "cell_b"};
    for (int k = 0; k < 2; k++) {
        const char *p = cells[k];
        const double *cfg = fixture_get(&fx, p, "cfg", 3);
        int B = (int)cfg[0], C = (int)cfg[1], H = (int)cfg[2];
        size_t nh = (size_t)B * H;
        Lstm l = lstm_of(&fx, p, C, H);
        float *x = floats_of(fixture_get(&fx, p, "x", (size_t)B * C), (size_t)B * C);
        float *h0 = floats_of(fixture_get(&fx, p, "h0", nh), nh), *c0 = floats_of(fixture_get(&fx, p, "c0", nh), nh);
        float *h = alloc_floats(nh, NAN), *c = alloc_floats(nh, NAN);
        ex_lstm_cell_forward(x, h0, c0, l.W_ih, l.W_hh, l.b_ih, l.b_hh, h, c, B, C, H);
        double d = fmax(max_abs_diff(h, fixture_get(&fx, p, "h1.f64", nh), nh),
                        max_abs_diff(c, fixture_get(&fx, p, "c1.f64", nh), nh));
        if (isnan(h[0]) || isnan(c[0])) d = NAN;
        snprintf(name, sizeof name, "%s_h", p);
        ex_put_array(name, h, (int)nh);
        snprintf(name, sizeof name, "%s_c", p);
        ex_put_array(name, c, (int)nh);
        snprintf(name, sizeof name, "%s_maxdiff_torch", p);
        ex_put(name, 0, d);
        lstm_free(&l);
        free(x); free(h0); free(c0); free(h); free(c);
    }
    {
        const char *p = "seq_a";
        const double *cfg = fixture_get(&fx, p, "cfg", 4);
        int B = (int)cfg[0], T = (int)cfg[1], C = (int)cfg[2], H = (int)cfg[3];
        size_t nh = (size_t)B * H;
        Lstm l = lstm_of(&fx, p, C, H);
        const double *xs = fixture_get(&fx, p, "x", (size_t)B * T * C);
        float *h = floats_of(fixture_get(&fx, p, "h0", nh), nh), *c = floats_of(fixture_get(&fx, p, "c0", nh), nh);
        float *hn = alloc_floats(nh, NAN), *cn = alloc_floats(nh, NAN), *x = alloc_floats((size_t)B * C, 0);
        float *out = alloc_floats((size_t)B * T * H, NAN);
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++)           // batch first: row b·T + t of x
                for (int i = 0; i < C; i++) x[b * C + i] = (float)xs[((size_t)b * T + t) * C + i];
            for (size_t i = 0; i < nh; i++) hn[i] = cn[i] = NAN;
            ex_lstm_cell_forward(x, h, c, l.W_ih, l.W_hh, l.b_ih, l.b_hh, hn, cn, B, C, H);
            for (int b = 0; b < B; b++)
                memcpy(out + ((size_t)b * T + t) * H, hn + (size_t)b * H, sizeof(float) * H);
            memcpy(h, hn, sizeof(float) * nh);
            memcpy(c, cn, sizeof(float) * nh);
        }
        double d = max_abs_diff(out, fixture_get(&fx, p, "output.f64", (size_t)B * T * H), (size_t)B * T * H);
        d = fmax(d, max_abs_diff(h, fixture_get(&fx, p, "h_n.f64", nh), nh));
        d = fmax(d, max_abs_diff(c, fixture_get(&fx, p, "c_n.f64", nh), nh));
        if (isnan(out[0]) || isnan(h[0]) || isnan(c[0])) d = NAN;
        ex_put_array("seq_a_output", out, B * T * H);
        ex_put_array("seq_a_h_n", h, (int)nh);
        ex_put_array("seq_a_c_n", c, (int)nh);
        ex_put("seq_a_maxdiff_torch", 0, d);
        lstm_free(&l);
        free(h); free(c); free(hn); free(cn); free(x); free(out);
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex4_clip_grad_norm)
// Two cases against torch.nn.utils.clip_grad_norm_ (expected/torch_lstm_clip.txt): clip_a,
// three grads of total norm 5.38 clipped to 1; clip_b, two grads of norm 1.003, under the
// limit 5, left alone. Then the driver's own cases: two grads of norm 3 each with max_norm 4
// (each alone is under the limit, together, 4.24, they are not: clipping each grad by its own
// norm leaves them untouched, which is wrong), all-zero grads (norm 0: nothing to scale, and
// no 0/0), a list with an empty grad, and 5129 values of norm ~41 clipped to 5. Reported: the
// norm you return and every grad afterwards (every 13th value of the long ones); for the PyTorch cases also
// <case>_maxdiff_torch = the largest |yours − PyTorch's| over the norm and the grads.
static void run(void)
{
    Fixture fx = fixture_load();
    char name[48];
    static const char *const cases[] = {"clip_a", "clip_b"};
    for (int k = 0; k < 2; k++) {
        const char *p = cases[k];
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int n_grads = (int)cfg[0];
        float max_norm = (float)cfg[1];
        float *grads[8];
        int n[8];
        if (n_grads > 8) { fprintf(stderr, "driver: %s: too many grads\n", p); exit(1); }
        for (int i = 0; i < n_grads; i++) {
            char gname[32];
            snprintf(gname, sizeof gname, "g%d", i);
            const Block *gb = fixture_block(&fx, p, gname, 0);
            n[i] = (int)gb->n;
            grads[i] = floats_of(gb->v, gb->n);
        }
        float norm = ex_clip_grad_norm(grads, n, n_grads, max_norm);
        double d = fabs((double)norm - fixture_get(&fx, p, "norm.f32", 1)[0]);
        if (isnan(norm)) d = NAN;
        snprintf(name, sizeof name, "%s_norm", p);
        ex_put(name, 0, norm);
        for (int i = 0; i < n_grads; i++) {
            char gname[32];
            snprintf(gname, sizeof gname, "g%d.out.f32", i);
            double di = max_abs_diff(grads[i], fixture_get(&fx, p, gname, (size_t)n[i]), (size_t)n[i]);
            d = isnan(di) ? NAN : fmax(d, di);
            snprintf(name, sizeof name, "%s_g%d", p, i);
            ex_put_array(name, grads[i], n[i]);
            free(grads[i]);
        }
        snprintf(name, sizeof name, "%s_maxdiff_torch", p);
        ex_put(name, 0, d);
    }
    fixture_free(&fx);

    typedef struct Case { int n_grads; int n[3]; float max_norm; int kind; } Case;   // kind 0 random, 1 zeros, 2 norm-3 pair
    static const Case own[] = {
        {2, {6, 10, 0}, 4.0f, 2}, {3, {5, 0, 7}, 1.0f, 1}, {3, {4, 0, 9}, 0.5f, 0}, {3, {4096, 1000, 33}, 5.0f, 0},
    };
    Rng rng;
    rng_seed(&rng, 54);
    for (int k = 0; k < (int)(sizeof own / sizeof own[0]); k++) {
        Case s = own[k];
        float *grads[3];
        for (int i = 0; i < s.n_grads; i++) {
            grads[i] = alloc_floats((size_t)s.n[i], 0.0f);
            if (s.kind == 0) fill_uniform(grads[i], (size_t)s.n[i], &rng, -1, 1);
            if (s.kind == 2) {   // exactly norm 3: 3/sqrt(n) in every entry, alternating signs
                for (int j = 0; j < s.n[i]; j++) grads[i][j] = (j % 2 ? -3.0f : 3.0f) / sqrtf((float)s.n[i]);
            }
        }
        float norm = ex_clip_grad_norm(grads, s.n, s.n_grads, s.max_norm);
        snprintf(name, sizeof name, "own%d_norm", k);
        ex_put(name, 0, norm);
        for (int i = 0; i < s.n_grads; i++) {
            snprintf(name, sizeof name, "own%d_g%d", k, i);
            int every = s.n[i] > 100 ? 13 : 1;       // every 13th of the long ones
            for (int j = 0, m = 0; j < s.n[i]; j += every, m++) ex_put(name, m, grads[i][j]);
            free(grads[i]);
        }
    }
}

#else
#error "build with -DEXERCISE_<name> (the grader does: make grade)"
#endif

int main(void)
{
    run();
    ex_end();
    return 0;
}
