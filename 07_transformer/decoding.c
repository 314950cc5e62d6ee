/* 07_transformer/decoding.c — section 10: turning the trained character GPT into text with
 * each decoding strategy, and the KV cache that makes generation fast.
 *
 * The strategies are common/train/decode.h's (greedy; sampling with temperature, Ackley, Hinton
 * & Sejnowski 1985; top-k, Fan, Lewis & Dauphin 2018; top-p, Holtzman et al. 2020; beam search,
 * Sutskever et al. 2014). Each prints its text and the log-probability the model gives it (at
 * temperature 1): greedy and beam search look for likely text and find repetitive text; sampling
 * gives up likelihood for variety. The KV cache (nn/transformer.h) keeps every layer's keys and
 * values so that a new token costs one position's work instead of a forward pass over the whole
 * prefix; the same seed must give the same characters with and without it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "train/decode.h"
#include "transformer.h"

/* The prompt's ids; a character outside the corpus's vocabulary or a prompt longer than the
 * context is a usage error naming it. */
static int *prompt_ids(const Vocab *chars, const char *prompt, int T, int *n)
{
    size_t len = strlen(prompt);
    if (len == 0)
        dl_die_status(DL_EXIT_USAGE, "--prompt is empty: give at least one character");
    if (len > (size_t)T)
        dl_die_status(DL_EXIT_USAGE, "--prompt is %zu characters, longer than the model's "
                      "context of T = %d: give a prompt of at most %d characters", len, T, T);
    int *ids = dl_malloc(len * sizeof *ids, "prompt ids");
    char err[512];
    if (!vocab_encode_chars(chars, (const unsigned char *)prompt, len, ids, err, sizeof err))
        dl_die_status(DL_EXIT_USAGE, "--prompt \"%s\": %s (the model knows only the characters "
                      "of its training text)", prompt, err);
    *n = (int)len;
    return ids;
}

/* The text, each line indented; a run of more than two line ends is shown as a count. */
static void print_text(const Vocab *chars, const int *ids, int n)
{
    fputs("  | ", stdout);
    for (int i = 0; i < n; i++) {
        const char *t = vocab_token(chars, ids[i]);
        if (strcmp(t, "\n") != 0) {
            fputs(t, stdout);
            continue;
        }
        int run = 1;
        while (i + run < n && strcmp(vocab_token(chars, ids[i + run]), "\n") == 0) run++;
        if (run > 2) {
            printf("\n  | (%d line ends)\n  | ", run);
            i += run - 1;
        } else {
            fputs("\n  | ", stdout);
        }
    }
    fputc('\n', stdout);
}

/* Generate `rounds` samples of n_new tokens with lm (seeds seed, seed + 1, …) into out (rounds,
 * n_prompt + n_new); returns the tokens per second. */
static double timed_samples(GptLm *glm, const DecodeConfig *dc, const int *prompt, int n_prompt,
                            int n_new, int rounds, uint64_t seed, int *out)
{
    double t0 = now_seconds();
    for (int r = 0; r < rounds; r++) {
        Rng rng;
        rng_seed(&rng, seed + (uint64_t)r);
        decode(&glm->lm, dc, prompt, n_prompt, n_new, &rng,
               out + (size_t)r * (size_t)(n_prompt + n_new));
    }
    double s = now_seconds() - t0;
    return (double)rounds * n_new / (s > 1e-9 ? s : 1e-9);
}

static void kv_cache_comparison(Chapter *ch, Gpt *g, const CharCorpus *c, const int *prompt,
                                int n_prompt)
{
    int T = g->cfg.T, n_new = T - n_prompt, rounds = ch->cli.quick ? 2 : 10;
    if (n_new < 1) {
        printf("\nThe KV cache: the prompt fills the whole context (T = %d); nothing to time.\n", T);
        return;
    }
    DecodeConfig dc = {.kind = DECODE_SAMPLE, .temperature = 0.8f, .top_k = 40};
    char desc[64];
    size_t per = (size_t)(n_prompt + n_new);
    int *plain = dl_malloc((size_t)rounds * per * sizeof *plain, "KV cache comparison");
    int *cached = dl_malloc((size_t)rounds * per * sizeof *cached, "KV cache comparison");
    GptLm a, b;
    gpt_lm_init(&a, g, false);
    gpt_lm_init(&b, g, true);
    double tps_plain = timed_samples(&a, &dc, prompt, n_prompt, n_new, rounds, ch->cli.seed, plain);
    double tps_cache = timed_samples(&b, &dc, prompt, n_prompt, n_new, rounds, ch->cli.seed, cached);
    gpt_lm_free(&a);
    gpt_lm_free(&b);
    size_t first_diff = (size_t)-1;
    for (size_t i = 0; i < (size_t)rounds * per && first_diff == (size_t)-1; i++)
        if (plain[i] != cached[i]) first_diff = i;
    printf("\nThe KV cache: %d samples of %d characters (%s, seeds %llu …), the prompt plus the "
           "new characters\nfilling the context of T = %d, at batch 1 (%s):\n", rounds, n_new,
           decode_describe(&dc, desc, sizeof desc), (unsigned long long)ch->cli.seed, T,
           "one sequence at a time");
    printf("  without the cache %9.0f tokens/s   (every token: a forward pass over the prefix)\n",
           tps_plain);
    printf("  with the cache    %9.0f tokens/s   (every token: one position, cached keys/values)"
           "\n  → %.1f× faster; ", tps_cache, tps_cache / tps_plain);
    if (first_diff == (size_t)-1)
        printf("the %d × %d tokens are identical\n", rounds, n_new);
    else
        printf("the tokens DIFFER from sample %zu, position %zu (float rounding at a sampling "
               "boundary)\n", first_diff / per, first_diff % per);
    (void)c;
    metrics_set(&ch->metrics, "decode_nocache_tok_s", tps_plain);
    metrics_set(&ch->metrics, "decode_cache_tok_s", tps_cache);
    metrics_set(&ch->metrics, "decode_cache_speedup", tps_cache / tps_plain);
    metrics_set(&ch->metrics, "decode_cache_identical", first_diff == (size_t)-1);
    free(plain);
    free(cached);
}

void decoding_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c)
{
    chapter_section("10. Decoding: greedy, temperature, top-k, top-p, beam search; the KV cache");
    const char *prompt = f->prompt[0] ? f->prompt : "ROMEO:";
    int n_prompt, n_new = f->tokens > 0 ? f->tokens : 300;
    if (ch->cli.quick && n_new > 60) n_new = 60;
    int *ids = prompt_ids(&c->chars, prompt, g->cfg.T, &n_prompt);
    // Beam search calls the model `beam` times a token without a useful cache (the beams'
    // prefixes differ): its text is shorter.
    int beam_new = n_new < (ch->cli.quick ? 30 : 100) ? n_new : (ch->cli.quick ? 30 : 100);
    static const struct { DecodeConfig dc; const char *key; } S[] = {
        {{.kind = DECODE_GREEDY}, "greedy"},
        {{.kind = DECODE_SAMPLE, .temperature = 0.8f}, "temp08"},
        {{.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_k = 40}, "topk40"},
        {{.kind = DECODE_SAMPLE, .temperature = 1.0f, .top_p = 0.9f}, "topp09"},
        {{.kind = DECODE_BEAM, .beam = 4}, "beam4"},
    };
    printf("Prompt \"%s\", %d new characters each (beam search %d), seed %llu; the log-probability "
           "is the model's\n(temperature 1) for the new characters: higher is more likely text.\n",
           prompt, n_new, beam_new, (unsigned long long)ch->cli.seed);
    int *out = dl_malloc((size_t)(n_prompt + n_new) * sizeof *out, "decoded ids");
    GptLm glm;
    gpt_lm_init(&glm, g, true);
    for (size_t k = 0; k < sizeof S / sizeof S[0]; k++) {
        char desc[64];
        int n = S[k].dc.kind == DECODE_BEAM ? beam_new : n_new;
        Rng rng;
        rng_seed(&rng, ch->cli.seed);
        double t0 = now_seconds();
        double lp = decode(&glm.lm, &S[k].dc, ids, n_prompt, n, &rng, out);
        double s = now_seconds() - t0;
        printf("\n%s: log-prob %.1f nats, %.3f per character (%.2f s)\n",
               decode_describe(&S[k].dc, desc, sizeof desc), lp, lp / n, s);
        print_text(&c->chars, out, n_prompt + n);
        metrics_setf(&ch->metrics, lp / n, "decode_%s_logprob_per_char", S[k].key);
        // distinct characters in the new text: greedy and beam repeat themselves
        bool seen[256] = {false};
        int distinct = 0;
        for (int i = n_prompt; i < n_prompt + n; i++)
            if (out[i] < 256 && !seen[out[i]]) seen[out[i]] = true, distinct++;
        metrics_setf(&ch->metrics, distinct, "decode_%s_distinct_chars", S[k].key);
    }
    gpt_lm_free(&glm);
    kv_cache_comparison(ch, g, c, ids, n_prompt);
    free(out);
    free(ids);
}
