/* 05_rnn_lstm/forecast.c — time series: monthly sunspot numbers forecast one month ahead.
 *
 * The recipe of lecture 5's time-series part, on the monthly mean sunspot numbers 1749–1983
 * (../shared/data/timeseries/, see SOURCES.md; 2820 months):
 *   1. the autocorrelation function of the training part, and the window length W = the first
 *      lag where it falls below 0.5 (how far back the series still "remembers" itself);
 *   2. a chronological 70/15/15 split — never shuffled: the model is tested on the future of
 *      what it was trained on — and min-max scaling fitted on the training part only;
 *   3. three forecasters of y_t from y_{t−W} … y_{t−1}, scored on the same months:
 *        persistence  ŷ_t = y_{t−1}                      (the baseline every forecaster must beat)
 *        linear AR    ŷ_t = c + Σ_i a_i y_{t−i}          (least squares, normal equations, here)
 *        LSTM         one LSTM layer over the W scaled values, its last output → Linear → ŷ_t
 *      with their RMSE in sunspot numbers on the validation and test months.
 *
 * Regression through the classification-shaped data path: a Batch carries x (B, dim) floats and
 * integer labels only (data/batch.h). Each training example is therefore one row of W + 1
 * scaled values, [y_{t−W} … y_{t−1} | y_t]: the forward pass reads the first W columns, the
 * loss (ts_loss) reads the last one as the target; the integer label is an unused 0. The
 * Batcher shuffles whole rows, so a window and its target always travel together. (Shuffling the
 * training windows is fine: the split is what must be chronological, and it is.)
 */
#include "forecast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "data/batch.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "nn/linear.h"
#include "nn/recurrent.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "report/plot.h"
#include "train/loop.h"
#include "train/model.h"

#define TS_FILE        "timeseries/monthly-sunspots.csv"
#define TS_ACF_MAX_LAG 240    // 20 years: two solar cycles and a bit
#define TS_ACF_LEVEL   0.5    // the window rule's threshold

// ---- the arithmetic ----
// region: ts_math

void ts_acf(const double *y, int n, int max_lag, double *acf)
{
    DL_CHECK(n >= 1 && max_lag >= 0 && max_lag < n, "ts_acf: lags 0 … %d asked of a series of "
             "%d values; the largest lag must be < n", max_lag, n);
    double mean = 0.0;
    for (int t = 0; t < n; t++) mean += y[t];
    mean /= n;
    double den = 0.0;
    for (int t = 0; t < n; t++) den += (y[t] - mean) * (y[t] - mean);
    for (int k = 0; k <= max_lag; k++) {
        double num = 0.0;
        for (int t = 0; t + k < n; t++) num += (y[t] - mean) * (y[t + k] - mean);
        acf[k] = den > 0 ? num / den : (k == 0 ? 1.0 : 0.0);
    }
}

int ts_first_lag_below(const double *acf, int max_lag, double threshold)
{
    for (int k = 1; k <= max_lag; k++)
        if (acf[k] < threshold) return k;
    return -1;
}

TsSplit ts_split(int n)
{
    TsSplit s = {(int)((long)n * 70 / 100), (int)((long)n * 15 / 100), 0};
    s.n_test = n - s.n_train - s.n_val;
    return s;
}

MinMax ts_minmax_fit(const double *y, int n)
{
    DL_CHECK(n >= 1, "ts_minmax_fit: needs at least one value, got %d", n);
    MinMax m = {y[0], y[0]};
    for (int t = 1; t < n; t++) {
        if (y[t] < m.lo) m.lo = y[t];
        if (y[t] > m.hi) m.hi = y[t];
    }
    if (m.hi <= m.lo) m.hi = m.lo + 1.0;
    return m;
}

double ts_scale(MinMax m, double y) { return (y - m.lo) / (m.hi - m.lo); }
double ts_unscale(MinMax m, double s) { return m.lo + s * (m.hi - m.lo); }

bool ts_cholesky_solve(double *A, double *b, int p)
{
    // A = L Lᵀ, column by column: L_jj = √(A_jj − Σ_{k<j} L_jk²),
    // L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj for i > j.
    for (int j = 0; j < p; j++) {
        double d = A[j * p + j];
        for (int k = 0; k < j; k++) d -= A[j * p + k] * A[j * p + k];
        if (!(d > 0)) return false;
        double ljj = sqrt(d);
        A[j * p + j] = ljj;
        for (int i = j + 1; i < p; i++) {
            double s = A[i * p + j];
            for (int k = 0; k < j; k++) s -= A[i * p + k] * A[j * p + k];
            A[i * p + j] = s / ljj;
        }
    }
    for (int i = 0; i < p; i++) {            // L z = b (forward substitution)
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[i * p + k] * b[k];
        b[i] = s / A[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) {       // Lᵀ x = z (back substitution)
        double s = b[i];
        for (int k = i + 1; k < p; k++) s -= A[k * p + i] * b[k];
        b[i] = s / A[i * p + i];
    }
    return true;
}

bool ts_ar_fit(const double *y, int n_fit, int W, double *coef)
{
    DL_CHECK(W >= 1, "ts_ar_fit: order %d; needs W >= 1", W);
    const int p = W + 1;                     // θ = (c, a_1 … a_W); row x_t = (1, y_{t−1} … y_{t−W})
    if (n_fit - W < p) return false;
    double *A = calloc((size_t)p * p, sizeof *A), *row = malloc((size_t)p * sizeof *row);
    DL_CHECK(A && row, "ts_ar_fit: out of memory for a %dx%d system", p, p);
    for (int i = 0; i < p; i++) coef[i] = 0.0;
    for (int t = W; t < n_fit; t++) {        // XᵀX += x_t x_tᵀ, Xᵀy += x_t y_t
        row[0] = 1.0;
        for (int i = 1; i <= W; i++) row[i] = y[t - i];
        for (int i = 0; i < p; i++) {
            coef[i] += row[i] * y[t];
            for (int j = 0; j <= i; j++) A[i * p + j] += row[i] * row[j];
        }
    }
    double trace = 0.0;
    for (int i = 0; i < p; i++) trace += A[i * p + i];
    for (int i = 0; i < p; i++) {
        A[i * p + i] += 1e-9 * trace / p;
        for (int j = 0; j < i; j++) A[j * p + i] = A[i * p + j];   // the upper half, for clarity
    }
    bool ok = ts_cholesky_solve(A, coef, p);
    free(A);
    free(row);
    return ok;
}

double ts_ar_predict(const double *coef, int W, const double *y, int t)
{
    double s = coef[0];
    for (int i = 1; i <= W; i++) s += coef[i] * y[t - i];
    return s;
}

double ts_rmse(const double *pred, const double *truth, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (pred[i] - truth[i]) * (pred[i] - truth[i]);
    return n > 0 ? sqrt(s / n) : NAN;
}
// endregion

// ---- the LSTM forecaster ----
// region: ts_lstm

typedef struct TsNet {
    Recurrent rnn;          // LSTM, 1 input feature, H units, 1 layer
    Linear head;            // (H) → (1)
    int W;                  // window length: the steps of every sequence
} TsNet;

/* A batch of rows [window (W) | target] (B, W + 1) → forecasts (B, 1), scaled units:
 * the windows as sequences (B, W, 1) through the LSTM, its output at the last step (B, H)
 * (op_time_step) through the Linear head. The target column is not read here. */
static Tensor *ts_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    const TsNet *n = net;
    const int W = n->W;
    Tensor *x = tensor_new_uninit(tp->arena, 3, (int[]){b->B, W, 1});
    for (int i = 0; i < b->B; i++)
        memcpy(x->data + (size_t)i * W, b->x + (size_t)i * (W + 1), (size_t)W * sizeof(float));
    Tensor *h = recurrent_forward(tp, &n->rnn, x, NULL, 0.0f, train, rng, NULL);   // (B, W, H)
    return linear_forward(tp, &n->head, op_time_step(tp, h, W - 1));
}

/* MSE (scaled units) of the forecasts (B, 1) against the rows' last column (TrainTask.loss). */
static Tensor *ts_loss(void *net, Tape *tp, Tensor *out, const Batch *b)
{
    const int W = ((const TsNet *)net)->W;
    Tensor *y = tensor_new_uninit(tp->arena, 2, (int[]){b->B, 1});
    for (int i = 0; i < b->B; i++) y->data[i] = b->x[(size_t)i * (W + 1) + W];
    return op_mse(tp, out, y);
}

/* The examples with targets t = t0 … t1 − 1 of the scaled series s: rows [s_{t−W} … s_t]. */
static void ts_windows(const double *s, int t0, int t1, int W, Dataset *d)
{
    dataset_alloc(d, "sunspots", t1 - t0, W + 1, 1);
    for (int t = t0; t < t1; t++) {
        float *row = d->x + (size_t)(t - t0) * (W + 1);
        for (int i = 0; i <= W; i++) row[i] = (float)s[t - W + i];
        d->y[t - t0] = 0;
    }
}

/* Forecasts (d->n, scaled) of the trained net for every row of d, in eval mode, tape off. */
static void ts_predict(Model *m, TsNet *net, const Dataset *d, double *pred)
{
    bool was = m->tp.recording;
    tape_set_recording(&m->tp, false);
    for (int i0 = 0; i0 < d->n; i0 += 256) {
        int B = d->n - i0 < 256 ? d->n - i0 : 256;
        Batch b = {.B = B, .dim = d->dim, .x = d->x + (size_t)i0 * d->dim, .y = d->y + i0};
        Tensor *out = ts_forward(net, &m->tp, &b, false, NULL);
        for (int i = 0; i < B; i++) pred[i0 + i] = out->data[i];
        tape_reset(&m->tp);
    }
    tape_set_recording(&m->tp, was);
}
// endregion

// ---- the section ----

/* "1749-01" → 1749.0, "1749-02" → 1749.083…; the month index when the label is not a date. */
static float year_of(const CsvColumn *c, int t)
{
    int yr, mo;
    if (c->labels && sscanf(c->labels[t], "%d-%d", &yr, &mo) == 2 && mo >= 1 && mo <= 12)
        return (float)yr + (float)(mo - 1) / 12.0f;
    return (float)t;
}

void forecast_section(Chapter *ch)
{
    const Cli *cli = &ch->cli;
    char path[600], err[512];
    if (!path_join(path, sizeof path, cli->data_dir, TS_FILE)) {
        printf("skipped: the data folder path %s is too long\n", cli->data_dir);
        return;
    }
    CsvColumn col;
    if (!csv_load(path, 1, &col, err, sizeof err)) {
        printf("skipped: the sunspot series is needed and could not be read:\n  %s\n"
               "  `make data` copies it into %s/timeseries/ (or downloads it).\n", err,
               cli->data_dir);
        return;
    }
    const int N = (int)col.n;
    const double *y = col.values;
    const TsSplit sp = ts_split(N);
    const int t_val = sp.n_train, t_test = sp.n_train + sp.n_val;
    printf("%s: %d months, %s to %s (column \"%s\"); split chronologically, never shuffled:\n"
           "  train %d months (%s … %s), validation %d (%s … %s), test %d (%s … %s)\n",
           TS_FILE, N, col.labels[0], col.labels[N - 1], col.name, sp.n_train, col.labels[0],
           col.labels[t_val - 1], sp.n_val, col.labels[t_val], col.labels[t_test - 1], sp.n_test,
           col.labels[t_test], col.labels[N - 1]);
    Metrics *mt = &ch->metrics;
    metrics_set(mt, "ts_months", N);
    metrics_set(mt, "ts_n_train", sp.n_train);
    metrics_set(mt, "ts_n_val", sp.n_val);
    metrics_set(mt, "ts_n_test", sp.n_test);

    // ---- 1. the ACF of the training part, and the window ----
    const int max_lag = TS_ACF_MAX_LAG < sp.n_train - 1 ? TS_ACF_MAX_LAG : sp.n_train - 1;
    double *acf = dl_malloc((size_t)(max_lag + 1) * sizeof *acf, "ACF");
    ts_acf(y, sp.n_train, max_lag, acf);
    int W = ts_first_lag_below(acf, max_lag, TS_ACF_LEVEL);
    if (W < 0) W = max_lag;
    int kmin = 1;
    for (int k = 1; k <= max_lag; k++) if (acf[k] < acf[kmin]) kmin = k;
    printf("\nAutocorrelation of the training months (ACF, lag in months):\n ");
    for (int k0 = W - 2 > 1 ? W - 2 : 1, k = k0; k <= W + 1 && k <= max_lag; k++)
        printf("%s acf(%d) = %.3f%s", k > k0 ? "," : "", k, acf[k],
               k == W ? " (first below 0.5)" : "");
    printf("\n  lowest: acf(%d) = %.3f (half a solar cycle: %.1f years), so one cycle ≈ %.1f years\n",
           kmin, acf[kmin], kmin / 12.0, 2 * kmin / 12.0);
    printf("  window W = %d months: the first lag where the ACF falls below %.1f (older months "
           "add little that the last %d do not already say)\n", W, TS_ACF_LEVEL, W);
    metrics_set(mt, "ts_window", W);
    metrics_set(mt, "ts_acf_at_window", acf[W]);
    {
        float *lx = dl_malloc((size_t)(max_lag + 1) * 3 * sizeof *lx, "ACF plot");
        float *ly = lx + max_lag + 1, *lv = ly + max_lag + 1;
        for (int k = 0; k <= max_lag; k++) {
            lx[k] = (float)k;
            ly[k] = (float)acf[k];
            lv[k] = (float)TS_ACF_LEVEL;
        }
        float wx[2] = {(float)W, (float)W}, wy[2] = {-0.5f, 1.0f};
        char wt[64];
        snprintf(wt, sizeof wt, "window W = %d", W);
        PlotSeries s[3] = {{"ACF (training months)", lx, ly, max_lag + 1, "lines lw 2"},
                           {"0.5", lx, lv, max_lag + 1, "lines dt 2 lc rgb 'gray'"},
                           {wt, wx, wy, 2, "lines lw 1 lc rgb 'red'"}};
        plot_lines(cli->out_dir, "ts_acf", "Sunspots: autocorrelation by lag", "lag (months)",
                   "autocorrelation", s, 3, false);
        free(lx);
    }

    // ---- 2. scaling fitted on the training part only ----
    const MinMax mm = ts_minmax_fit(y, sp.n_train);
    double *s = dl_malloc((size_t)N * sizeof *s, "scaled series");
    for (int t = 0; t < N; t++) s[t] = ts_scale(mm, y[t]);
    double vmax = y[t_val];
    for (int t = t_val; t < N; t++) vmax = y[t] > vmax ? y[t] : vmax;
    printf("\nMin-max scaling fitted on the training months only: [%.1f, %.1f] → [0, 1]; the "
           "later months reach %.1f (scaled %.3f)%s\n", mm.lo, mm.hi, vmax, ts_scale(mm, vmax),
           vmax > mm.hi ? ": outside the training range, as the future may be" : "");

    // ---- 3. the forecasters; every one is scored on the months t_val … N − 1 ----
    // Every model predicts y_t from the W months before it; targets of the training part are
    // t = W … n_train − 1, and the first validation forecast may look back into training months
    // (they are the past, known at forecast time).
    const int n_eval = N - t_val;
    const double *truth = y + t_val;
    double *p_pers = dl_malloc((size_t)n_eval * 3 * sizeof *p_pers, "forecasts");
    double *p_ar = p_pers + n_eval, *p_lstm = p_ar + n_eval;
    for (int i = 0; i < n_eval; i++) p_pers[i] = y[t_val + i - 1];

    double *coef = dl_malloc((size_t)(W + 1) * sizeof *coef, "AR coefficients");
    bool ar_ok = ts_ar_fit(y, sp.n_train, W, coef);
    if (ar_ok) {
        for (int i = 0; i < n_eval; i++) p_ar[i] = ts_ar_predict(coef, W, y, t_val + i);
        printf("\nLinear AR(%d) by least squares on %d training targets (normal equations, "
               "Cholesky, in double):\n  ŷ_t = %.2f", W, sp.n_train - W, coef[0]);
        for (int i = 1; i <= 3 && i <= W; i++)
            printf(" %+.3f·y_{t-%d}", coef[i], i);
        printf(" …  (Σ a_i = ");
        double sa = 0;
        for (int i = 1; i <= W; i++) sa += coef[i];
        printf("%.3f)\n", sa);
    } else {
        printf("\nLinear AR(%d): the normal equations are singular; no AR forecast\n", W);
        for (int i = 0; i < n_eval; i++) p_ar[i] = NAN;
    }

    // the LSTM: sizes and budget by mode (the default chosen on the validation months among
    // H 32/64, batch 16/32/64, lr 3e-3…1e-2, 40–80 epochs: all land within 0.1 of each other)
    const int H = cli->quick ? 16 : 32, epochs = cli->quick ? 3 : 60, batch = 64;
    const float lr = 1e-2f;
    Rng rng;
    rng_seed(&rng, cli->seed);
    Model m;
    model_init(&m, "05_rnn_lstm/sunspots_lstm");
    TsNet net = {.W = W};
    params_scope(&m.p, "lstm");
    recurrent_init(&net.rnn, &m.params, CELL_LSTM, 1, H, 1, 0.0f, &rng, &m.p);
    params_scope(&m.p, "head");
    linear_init(&net.head, &m.params, H, 1, INIT_TORCH_DEFAULT, &rng, &m.p);
    params_scope(&m.p, NULL);
    Dataset tr, ev;
    ts_windows(s, W, sp.n_train, W, &tr);
    ts_windows(s, t_val, N, W, &ev);
    Batcher bt;
    batcher_init(&bt, &tr, batch, true, &rng);
    TrainConfig tc = {.label = "sunspot LSTM", .epochs = epochs, .opt = optim_defaults(OPT_ADAM),
                      .schedule = {.kind = SCHED_COSINE, .min_lr = lr / 20,
                                   .total_steps = epochs * bt.src.steps_per_epoch},
                      .cli = cli};
    tc.opt.lr = lr;
    TrainTask task = {&m, &net, ts_forward, ts_loss, NULL};
    printf("\nLSTM forecaster: windows of W = %d scaled months → LSTM (%d units) → last step → "
           "Linear → next month; %zu parameters;\n  %d training windows, batch %d, Adam lr %g "
           "cosine to %g, %d epochs, MSE loss on the scaled values\n", W, H,
           params_count(&m.p), tr.n, batch, (double)lr, (double)lr / 20, epochs);
    TrainLog log;
    train_run(&task, &bt.src, &tc, &rng, &log);
    double secs = log.seconds[log.epochs_run];
    printf("  training MSE (scaled) by epoch:");
    for (int e = 1; e <= log.epochs_run; e++)
        if (e == 1 || e == log.epochs_run || e % 10 == 0)
            printf(" %d: %.5f", e, (double)log.train_loss[e]);
    printf("  (%.1f s; the last epoch's √MSE is %.1f in sunspot numbers)\n", secs,
           sqrt((double)log.train_loss[log.epochs_run]) * (mm.hi - mm.lo));
    ts_predict(&m, &net, &ev, p_lstm);
    for (int i = 0; i < n_eval; i++) p_lstm[i] = ts_unscale(mm, p_lstm[i]);
    metrics_set(mt, "ts_lstm_params", (double)params_count(&m.p));
    metrics_set(mt, "ts_lstm_epochs", log.epochs_run);
    metrics_set(mt, "ts_lstm_train_seconds", secs);
    metrics_set(mt, "ts_lstm_final_train_mse", log.train_loss[log.epochs_run]);

    // ---- 4. the table ----
    struct { const char *name, *key; const double *p; } rows[3] = {
        {"persistence  ŷ_t = y_{t-1}", "persistence", p_pers},
        {"linear AR(W)", "ar", p_ar},
        {"LSTM", "lstm", p_lstm}};
    printf("\nOne-month-ahead RMSE in sunspot numbers (the same months for every model):\n");
    printf("  %-28s %12s %12s\n", "model", "validation", "test");
    for (int r = 0; r < 3; r++) {
        double v = ts_rmse(rows[r].p, truth, sp.n_val);
        double te = ts_rmse(rows[r].p + sp.n_val, truth + sp.n_val, sp.n_test);
        printf("  %-28s %12.2f %12.2f\n", rows[r].name, v, te);
        metrics_setf(mt, v, "ts_%s_val_rmse", rows[r].key);
        metrics_setf(mt, te, "ts_%s_test_rmse", rows[r].key);
    }
    double mu = 0, sd = 0;
    for (int i = sp.n_val; i < n_eval; i++) mu += truth[i];
    mu /= sp.n_test;
    for (int i = sp.n_val; i < n_eval; i++) sd += (truth[i] - mu) * (truth[i] - mu);
    sd = sqrt(sd / sp.n_test);
    printf("  (validation %s … %s, test %s … %s; for scale: the test months' standard deviation "
           "is %.1f, their mean %.1f)\n", col.labels[t_val], col.labels[t_test - 1],
           col.labels[t_test], col.labels[N - 1], sd, mu);

    double vp = ts_rmse(p_pers, truth, sp.n_val), va = ts_rmse(p_ar, truth, sp.n_val),
           vl = ts_rmse(p_lstm, truth, sp.n_val);
    printf("  validation RMSE relative to persistence: linear AR %+.1f%%, LSTM %+.1f%%; LSTM "
           "relative to linear AR: %+.1f%% (negative: better)\n", 100 * (va / vp - 1), 100 * (vl / vp - 1),
           100 * (vl / va - 1));

    // ---- 5. the forecasts over the test years ----
    {
        float *px = dl_malloc((size_t)sp.n_test * 5 * sizeof *px, "forecast plot");
        float *pt = px + sp.n_test, *pp = pt + sp.n_test, *pa = pp + sp.n_test,
              *pl = pa + sp.n_test;
        for (int i = 0; i < sp.n_test; i++) {
            px[i] = year_of(&col, t_test + i);
            pt[i] = (float)truth[sp.n_val + i];
            pp[i] = (float)p_pers[sp.n_val + i];
            pa[i] = (float)p_ar[sp.n_val + i];
            pl[i] = (float)p_lstm[sp.n_val + i];
        }
        PlotSeries ps[4] = {{"truth", px, pt, sp.n_test, "lines lw 2 lc rgb 'black'"},
                            {"persistence", px, pp, sp.n_test, "lines lw 1 dt 3"},
                            {"linear AR", px, pa, sp.n_test, "lines lw 1"},
                            {"LSTM", px, pl, sp.n_test, "lines lw 1"}};
        plot_lines(cli->out_dir, "ts_forecast", "Sunspots: one-month-ahead forecasts on the test "
                   "years", "year", "sunspot number", ps, 4, false);
        free(px);
    }
    printf("  plots: ts_acf.png (the ACF and the window), ts_forecast.png (forecasts against the "
           "truth over the test years)\n");

    train_log_free(&log);
    batcher_free(&bt);
    dataset_free(&tr);
    dataset_free(&ev);
    model_free(&m);
    free(coef);
    free(p_pers);
    free(s);
    free(acf);
    csv_free(&col);
}
