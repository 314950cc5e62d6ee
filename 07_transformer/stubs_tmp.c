/* 07_transformer/stubs_tmp.c — TEMPORARY: empty sections of the files other helpers are still
 * writing, so that the chapter links; each goes when its file arrives (deleted at integration). */
#include <stdio.h>
#include <stdlib.h>

#include "transformer.h"

void tokenizer_section(Chapter *ch, const Flags *f, const CharCorpus *c, Bpe *bpe)
{
    (void)ch, (void)f, (void)c, (void)bpe;
    chapter_section("5. Byte-level BPE (stub)");
}
void decoding_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c)
{
    (void)ch, (void)f, (void)g, (void)c;
    chapter_section("10. Decoding (stub)");
}
void lora_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c)
{
    (void)ch, (void)f, (void)g, (void)c;
    chapter_section("11. LoRA (stub)");
}
void bench_section(Chapter *ch, const Flags *f, const CharCorpus *c)
{
    (void)ch, (void)f, (void)c;
    printf("--bench: stub\n");
}

// TEMPORARY until common/train/decode.c arrives (helper-tok): sampling only.
#include "train/generate.h"
const char *decode_describe(const DecodeConfig *c, char *buf, int len)
{
    snprintf(buf, (size_t)len, "temperature %.1f, top-k %d", (double)c->temperature, c->top_k);
    return buf;
}
double decode(const LanguageModel *lm, const DecodeConfig *c, const int *prompt, int n_prompt,
              int n_new, Rng *rng, int *out)
{
    float *logits = malloc((size_t)lm->V * sizeof *logits);
    for (int i = 0; i < n_prompt; i++) out[i] = prompt[i];
    for (int i = 0; i < n_new; i++) {
        int n = n_prompt + i, s = n > lm->max_T ? n - lm->max_T : 0;
        lm->logits(lm->ctx, out + s, n - s, logits);
        out[n] = sample_token(logits, lm->V, c->temperature, c->top_k, rng);
    }
    free(logits);
    return 0;
}
