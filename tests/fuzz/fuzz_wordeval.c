/* tests/fuzz/fuzz_wordeval.c — libFuzzer target for the word-vector evaluation sets
 * (data/wordeval.h): analogy_parse or simpairs_parse on any bytes.
 * Build and run: make fuzz-run-wordeval FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_wordeval build/fuzz/artifacts/wordeval/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/wordeval/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0       even: an analogy file (questions-words.txt); odd: a similarity file
 *   the rest     the file, copied into a malloc'ed block of exactly its length
 * Contracts checked (abort when broken): a refusal fills err and leaves the set empty; an
 * analogy set has n >= 1 questions of 4 non-empty lower-case words without white space, each
 * in a section 0 … n_sections-1, syntactic exactly for names starting "gram"; a pair set has
 * n >= 1 pairs of such words with finite scores.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/wordeval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_wordeval: broken contract: %s\n", what);
        abort();
    }
}

static bool good_word(const char *w)
{
    if (!w[0]) return false;
    for (; *w; w++)
        if (strchr(" \t\n\r\v\f", *w) || (*w >= 'A' && *w <= 'Z')) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool pairs = size && (data[0] & 1);
    size_t n = size ? size - 1 : 0;
    char *bytes = malloc(n ? n : 1);
    if (!bytes) abort();
    if (n) memcpy(bytes, data + 1, n);
    char err[512];
    err[0] = '\0';
    if (!pairs) {
        AnalogySet a;
        if (analogy_parse(bytes, n, "fuzz", &a, err, sizeof err)) {
            contract(a.n >= 1 && a.n_sections >= 1, "a parsed set has questions and sections");
            for (int i = 0; i < a.n; i++) {
                for (int k = 0; k < 4; k++) contract(good_word(a.q[i][k]), "lower-case words");
                contract(a.section[i] >= 0 && a.section[i] < a.n_sections, "sections in range");
            }
            for (int s = 0; s < a.n_sections; s++)
                contract(a.syntactic[s] == (strncmp(a.section_name[s], "gram", 4) == 0),
                         "syntactic = gram*");
        } else {
            contract(err[0] != '\0' && a.n == 0 && !a.q, "a rejection says why, leaves it empty");
        }
        analogy_free(&a);
    } else {
        SimPairs p;
        if (simpairs_parse(bytes, n, "fuzz", &p, err, sizeof err)) {
            contract(p.n >= 1, "a parsed set has pairs");
            for (int i = 0; i < p.n; i++)
                contract(good_word(p.w1[i]) && good_word(p.w2[i]) && isfinite(p.score[i]),
                         "pairs of lower-case words with finite scores");
        } else {
            contract(err[0] != '\0' && p.n == 0 && !p.w1, "a rejection says why, leaves it empty");
        }
        simpairs_free(&p);
    }
    free(bytes);
    return 0;
}
