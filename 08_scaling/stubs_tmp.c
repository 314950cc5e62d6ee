/* 08_scaling/stubs_tmp.c — TEMPORARY: the sections whose files have not landed yet (infer.c,
 * bench.c). Each is removed when its real file is merged; the file is deleted when nothing is
 * left. */
#include "scaling.h"

void inference_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("6. Inference-time compute (not merged yet)"); }
void bench_section(Chapter *ch, const Flags *f) { (void)ch; (void)f; chapter_section("bench (not merged yet)"); }
