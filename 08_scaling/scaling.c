/* 08_scaling/scaling.c — chapter 8's program: scaling laws fitted in C, our own IsoFLOP sweep,
 * data-parallel training over MPI, inference-time compute and bf16.
 * Build: make chapter8    Run: ./08_scaling/run --quick    Bench: ./08_scaling/run --bench
 * Sections (lecture order, scaling.h says which file holds each):
 *   1–3 Kaplan et al. (2020)'s laws with their published constants; Hoffmann et al. (2022)'s
 *       Approach 3 fitted (Huber + L-BFGS) on the 245 runs Epoch AI extracted (Besiroglu et al.
 *       2024), bootstrap intervals, compute-optimal allocation, Approach 2 (laws.c, fit.c);
 *   4   our own IsoFLOP sweep of chapter 7's GPT on the text8 prefix, fitted the same way
 *       (sweep.c); 5 data-parallel training and the ring all-reduce (ddp.c, mpi/);
 *   6   inference-time compute: best-of-n and majority voting (infer.c);
 *   7   bf16 storage with fp32 accumulation (bf16.c). --bench: bench.c.
 * The end of the run gathers every section's headline figure, with the range a normal run gives
 * and the published anchor, into one table (the README's "is my result normal").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "base/threads.h"
#include "data/scaling.h"
#include "kernels/gemm_bf16.h"
#include "kernels/ladder.h"
#include "report/cli.h"
#include "report/metrics.h"

#include "scaling.h"

// region: flags and data

// Resolve the defaults once; a bad value is a usage error naming the flag (exit 2).
static void resolve_flags(const Cli *cli, Flags *f)
{
    f->full = cli->full;
    if (f->boot == 0 && !cli_flag_given(cli, "boot")) f->boot = cli->quick ? 20 : 200;
    if (f->boot < 1 || f->boot > 100000)
        dl_die_status(DL_EXIT_USAGE, "--boot must be 1 … 100000 resamples, got %d", f->boot);
}

/* The data, before any section runs (a missing or bad file costs no time): Epoch AI's CSV, or
 * --points FILE, must load (data/scaling.h checks its columns and values); the sweep's text8
 * prefix and tiny Shakespeare (sections 5 and 7) must be there. Dies naming the file, the problem and the fix. */
static void check_data(const Cli *cli, const Flags *f)
{
    char path[1024], err[1024];
    ScalingSet s;
    if (f->points[0]) {
        if (!scaling_load(f->points, &s, err, sizeof err))
            dl_die("--points %s: %s", f->points, err);
    } else {
        path_join(path, sizeof path, cli->data_dir, CHINCHILLA_FILE);
        if (!scaling_load(path, &s, err, sizeof err))
            dl_die("%s (chapter 8 fits Epoch AI's extraction of the Chinchilla runs: run `make "
                   "data`, or give --points FILE)", err);
    }
    printf("data: %s, %zu runs", s.path, s.n);
    scaling_free(&s);
    if (cli->bench) { printf("\n"); return; }
    path_join(path, sizeof path, cli->data_dir, TEXT8_FILE);
    if (access(path, R_OK) != 0)
        dl_die("%s: not found (chapter 8's sweep trains on the text8 prefix: run `make data`)",
               path);
    printf("; %s", path);
    path_join(path, sizeof path, cli->data_dir, SHAKESPEARE_FILE);
    if (access(path, R_OK) != 0)
        dl_die("%s: not found (chapter 8's data-parallel and bf16 runs train chapter 7's GPT on "
               "tiny Shakespeare: run `make data`)", path);
    printf("; %s\n", path);
}

// endregion
// region: the summary

/* One row of "is my result normal": a metric some section recorded, the range a normal run on
 * this machine gives (lo … hi; the README explains each), and the published anchor. */
typedef struct SummaryRow {
    const char *key, *what;
    double lo, hi;
    const char *anchor;
} SummaryRow;

static const SummaryRow SUMMARY[] = {
    {"laws_fit_E", "Chinchilla fit: E (irreducible loss)", 1.75, 1.90, "Hoffmann 1.69, Epoch 1.82"},
    {"laws_fit_A", "Chinchilla fit: A", 300, 700, "Hoffmann 406.4, Epoch 482.01"},
    {"laws_fit_B", "Chinchilla fit: B", 1000, 4000, "Hoffmann 410.7, Epoch 2085.43"},
    {"laws_fit_alpha", "Chinchilla fit: alpha (N exponent)", 0.32, 0.37, "Hoffmann 0.34, Epoch 0.3478"},
    {"laws_fit_beta", "Chinchilla fit: beta (D exponent)", 0.34, 0.40, "Hoffmann 0.28, Epoch 0.3658"},
    {"alloc_a", "Approach 3: N_opt ~ C^a, a = beta/(alpha+beta)", 0.49, 0.54, "Hoffmann 0.46, Epoch 0.51"},
    {"alloc_tokens_per_param_C1", "tokens per parameter at 5.76e23 FLOP", 14, 24, "Chinchilla 1.4e12/7e10 "
                                                                                  "= 20"},
    {"iso_a", "Approach 2 on Epoch's runs: N_opt ~ C^a", 0.40, 0.60, "Hoffmann 0.49 (Approach 2)"},
    {"sweep_a2_a", "our sweep, Approach 2: N_opt ~ C^a", 0.2, 0.9, "Chinchilla ~0.5, Kaplan 0.73"},
    {"sweep_check_err_pct", "--full: the 4x prediction's loss error, %", -10, 10, "a fit that "
                                                                                "extrapolates"},
    {"ddp_loss_max_diff", "2 ranks vs 1 process: max |loss diff|", 0, 1e-4, "equal to float rounding"},
    {"ddp_ring_vs_mpi_max_diff", "ring all-reduce vs MPI_Allreduce", 0, 1e-6, "equal"},
    {"infer_small_greedy_acc_pct", "addition, small GPT greedy: % right", 75, 95, "—"},
    {"infer_large_greedy_acc_pct", "addition, large GPT greedy: % right", 85, 99, "—"},
    {"infer_small_pass_at_32_acc_pct", "small GPT, pass@32 (oracle checker), %", 97, 100,
     "rises with n (Snell et al. 2024)"},
    {"infer_small_vote_at_32_acc_pct", "small GPT, majority vote of 32, %", 80, 95, "saturates "
                                                                                  "(Wang et al.)"},
    {"bf16_gemm_rel_err", "bf16 GEMM: relative error vs fp32", 1e-3, 4e-3, "2^-9 = 1.95e-3 per "
                                                                          "rounded operand"},
    {"bf16_loss_gap", "bf16 training: val loss minus fp32's", -0.02, 0.02, "mixed precision "
                                                                          "matches fp32"},
};

/* The headline figures of every section, read back from the metrics the sections recorded:
 * value, normal range and anchor. A key no section recorded (a section skipped) is left out. */
static void summary_section(Chapter *ch)
{
    chapter_section("Summary: is my result normal?");
    printf("  %-46s %12s   %-17s %s\n", "figure", "this run", "normal range", "anchor");
    int shown = 0;
    for (size_t i = 0; i < sizeof SUMMARY / sizeof SUMMARY[0]; i++) {
        const SummaryRow *r = &SUMMARY[i];
        double v;
        if (!metrics_get(&ch->metrics, r->key, &v)) continue;
        char range[40];
        snprintf(range, sizeof range, "%.3g … %.3g", r->lo, r->hi);
        const bool ok = v >= r->lo && v <= r->hi;
        printf("  %-46s %12.5g   %-17s %s%s\n", r->what, v, range, r->anchor,
               ok ? "" : "   <- outside the normal range (README)");
        shown++;
    }
    if (!shown) printf("  (no section recorded a headline figure)\n");
}

// endregion

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Flags f = {0};
    const CliExtra extras[] = {
        {"points", 's', f.points, sizeof f.points, "fit this CSV of runs (columns N, D, flops, "
                                                   "loss, or Epoch AI's) instead of Chinchilla's"},
        {"boot", 'i', &f.boot, 0, "bootstrap resamples for the confidence intervals (0: 200, "
                                  "20 --quick)"},
    };
    kernels_register(&GEMM_BF16_LADDER);   // --kernel gemm_bf16=… (before the flags are parsed)
    Chapter ch;
    chapter_begin(&ch, "08_scaling", argc, argv, "Chapter 8: scaling laws — Kaplan's and "
                  "Chinchilla's laws fitted in C (Huber + L-BFGS, bootstrap, compute-optimal "
                  "allocation), our own IsoFLOP sweep of the GPT, data-parallel training over MPI "
                  "(ring all-reduce), inference-time compute, bf16; --full: the larger sweep and "
                  "its 4× check; --bench: the bf16 GEMM ladder", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    resolve_flags(cli, &f);
    check_data(cli, &f);                   // data first: a missing file costs no time
    printf("%d thread(s), seed %llu, bf16 GEMM rung %s, %d bootstrap resamples%s%s\n",
           threads_get(), (unsigned long long)cli->seed, ladder_selected(&GEMM_BF16_LADDER)->name,
           f.boot, cli->quick ? ", --quick" : "", f.full ? ", --full" : "");
    if (cli->bench) {
        bench_section(&ch, &f);
    } else {
        laws_section(&ch, &f);             // 1–3
        sweep_section(&ch, &f);            // 4
        ddp_section(&ch, &f);              // 5
        inference_section(&ch, &f);        // 6
        bf16_section(&ch, &f);             // 7
        summary_section(&ch);
    }
    return chapter_end(&ch);
}
#endif
