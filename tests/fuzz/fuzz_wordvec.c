/* tests/fuzz/fuzz_wordvec.c — libFuzzer target for word vectors and vocabularies (data/wordvec.h):
 * wordvec_parse_text on any bytes, and word_vocab_build + word_vocab_encode on the same bytes.
 * Build and run: make fuzz-run-wordvec FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_wordvec build/fuzz/artifacts/wordvec/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/wordvec/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0       settings: bits 0-1 → min_count = 1 … 4 for the vocabulary
 *   the rest     the bytes, copied into a malloc'ed block of exactly their length (ASan sees a
 *                read past its end)
 * Beyond "no crash, no leak, no hang" the target checks the contracts and aborts when one is
 * broken: a refusal fills err and leaves the result empty; parsed vectors are V x D finite
 * values with distinct words without white space, each found under its own row; a vocabulary
 * has counts descending and >= min_count that sum to at most the tokens counted, every word
 * found under its own id, and encoding gives ids in 0 … V-1 with kept + dropped = the tokens.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "data/wordvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_wordvec: broken contract: %s\n", what);
        abort();
    }
}

static bool has_space(const char *w)
{
    for (; *w; w++)
        if (strchr(" \t\n\r\v\f", *w)) return true;
    return false;
}

static void vectors(const char *bytes, size_t n)
{
    WordVectors wv;
    char err[512];
    err[0] = '\0';
    if (wordvec_parse_text(bytes, n, "fuzz", &wv, err, sizeof err)) {
        contract(wv.V >= 1 && wv.D >= 1 && wv.vec && wv.words, "parsed vectors have a shape");
        for (int i = 0; i < wv.V; i++) {
            contract(wv.words[i][0] != '\0' && !has_space(wv.words[i]), "words are non-empty "
                     "runs without white space");
            contract(wordvec_id(&wv, wv.words[i]) == i, "each word is found under its row");
        }
        for (size_t k = 0; k < (size_t)wv.V * (size_t)wv.D; k++)
            contract(isfinite(wv.vec[k]), "values are finite");
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(wv.V == 0 && !wv.vec && !wv.words, "a rejected file leaves the vectors empty");
    }
    wordvec_free(&wv);
}

static void vocab(const char *bytes, size_t n, int min_count)
{
    WordVocab v;
    char err[512];
    err[0] = '\0';
    if (!word_vocab_build(&v, bytes, n, min_count, err, sizeof err)) {
        contract(err[0] != '\0', "a rejection says why");
        contract(v.V == 0 && !v.words, "a rejected vocabulary is empty");
        return;
    }
    int64_t sum = 0;
    for (int i = 0; i < v.V; i++) {
        contract(v.count[i] >= min_count, "kept words reach min_count");
        contract(i == 0 || v.count[i] <= v.count[i - 1], "counts descend");
        contract(word_vocab_id(&v, v.words[i]) == i, "each word is found under its id");
        contract(v.words[i][0] != '\0' && !has_space(v.words[i]), "words have no white space");
        sum += v.count[i];
    }
    contract(sum <= v.n_tokens, "kept counts sum to at most the tokens");
    int *ids;
    size_t n_ids, dropped;
    contract(word_vocab_encode(&v, bytes, n, &ids, &n_ids, &dropped, err, sizeof err),
             "a text the vocabulary was built from encodes");
    contract((int64_t)(n_ids + dropped) == v.n_tokens, "kept + dropped = the tokens");
    contract((int64_t)n_ids == sum, "kept tokens = the kept words' counts");
    for (size_t k = 0; k < n_ids; k++) contract(ids[k] >= 0 && ids[k] < v.V, "ids in range");
    free(ids);
    word_vocab_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int min_count = size ? 1 + (data[0] & 3) : 1;
    size_t n = size ? size - 1 : 0;
    char *bytes = malloc(n ? n : 1);
    if (!bytes) abort();
    if (n) memcpy(bytes, data + 1, n);
    vectors(bytes, n);
    vocab(bytes, n, min_count);
    free(bytes);
    return 0;
}
