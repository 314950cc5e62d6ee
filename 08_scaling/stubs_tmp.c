/* 08_scaling/stubs_tmp.c — TEMPORARY: empty sections (and the bf16 ladder) until the helpers'
 * files land (laws.c, sweep.c, ddp.c, infer.c, bf16.c, bench.c, common/kernels/gemm_bf16.c,
 * common/data/scaling.c). Each part is removed when its real file is merged; the file is deleted
 * when nothing is left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/scaling.h"
#include "kernels/gemm_bf16.h"
#include "kernels/ladder.h"

#include "scaling.h"

void ddp_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("5. Data-parallel (not merged yet)"); }
void inference_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("6. Inference-time compute (not merged yet)"); }
void bf16_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("7. bf16 (not merged yet)"); }
void bench_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("bench (not merged yet)"); }

static const KernelRung STUB_RUNGS[] = {{"v0_naive", NULL, NULL}};
KernelLadder GEMM_BF16_LADDER = {"gemm_bf16", "bf16 GEMM (stub)", STUB_RUNGS, 1, "v0_naive", NULL};

