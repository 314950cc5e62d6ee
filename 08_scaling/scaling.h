/* 08_scaling/scaling.h — what the chapter's files share: its flags, the data path and the
 * sections, which scaling.c's main() calls in lecture order.
 *
 *   laws.c      1–3  Kaplan's laws with the published constants; Chinchilla Approach 3 fitted
 *                    (L-BFGS + Huber, fit.c) on Epoch AI's 245 runs, bootstrap intervals,
 *                    compute-optimal allocation and the models table; Approach 2
 *   sweep.c     4    our own IsoFLOP sweep of chapter 7's GPT on the text8 prefix, the laws
 *                    fitted to it, the prediction for a 4× budget (--full: trained and checked)
 *   ddp.c       5    data-parallel training: the ring all-reduce's cost model, and the 2-rank run
 *                    of mpi/ddp (mpirun) when Open MPI is installed
 *   infer.c     6    inference-time compute: best-of-n with a verifier and majority voting on
 *                    multi-digit addition, a small model with n samples against a larger one
 *   bf16.c      7    bf16 storage with fp32 accumulation: the GEMM, then a GPT trained in bf16
 *   bench.c     --bench: the bf16 GEMM ladder beside fp32 (and the fit's objective, naive vs fast)
 */
#ifndef CH08_SCALING_H
#define CH08_SCALING_H

#include <stdbool.h>

#include "train/chapter.h"

#define CHINCHILLA_FILE "chinchilla/svg_extracted_data.csv"  // Epoch AI's extraction (Besiroglu et al. 2024)
#define TEXT8_FILE      "text8_prefix.txt"                   // the sweep's corpus
#define SHAKESPEARE_FILE "tinyshakespeare.txt"               // sections 5 and 7: chapter 7's GPT

typedef struct Flags {
    bool full;            // --full: the sweep with >= 3 budgets × >= 5 sizes and the 4× check
    char points[512];     // --points FILE: fit this CSV (data/scaling.h) instead of Chinchilla's
    int boot;             // --boot N: bootstrap resamples (0: 200; --quick 20)
} Flags;

void laws_section(Chapter *ch, const Flags *f);        // laws.c, 1–3
void sweep_section(Chapter *ch, const Flags *f);       // sweep.c, 4
void ddp_section(Chapter *ch, const Flags *f);         // ddp.c, 5
void inference_section(Chapter *ch, const Flags *f);   // infer.c, 6
void bf16_section(Chapter *ch, const Flags *f);        // bf16.c, 7
void bench_section(Chapter *ch, const Flags *f);       // bench.c

#endif
