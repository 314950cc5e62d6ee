/* tests/fuzz/fuzz_bpe.c — libFuzzer target for the BPE tokenizer (data/bpe.h): bpe_parse on any
 * bytes, then encode/decode of a short text with the tokenizer it accepts; bpe_train on that text.
 * Build and run: make fuzz-run-bpe FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_bpe build/fuzz/artifacts/bpe/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/bpe/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0       k: the length of the sample text (fewer when the input is shorter)
 *   byte 1       m: merges to train on the sample text (V = 256 + m)
 *   k bytes      the sample text (any bytes)
 *   the rest     the tokenizer file, copied into a malloc'ed block of exactly its length (ASan
 *                sees a read past its end)
 * Beyond "no crash, no leak, no hang" the target checks the contracts and aborts when one is
 * broken: a refusal fills err and leaves the tokenizer empty; an accepted tokenizer has
 * V = 256 + n_merges, each merge built from earlier ids and each id's bytes the concatenation
 * of its pair's; encoding gives at most one id per byte, all in [0, V), and decoding gives the
 * text back; a trained tokenizer does the same, or training says why it stopped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/bpe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_bpe: broken contract: %s\n", what);
        abort();
    }
}

static void round_trip(const Bpe *t, const uint8_t *text, size_t n)
{
    int *ids = malloc((n ? n : 1) * sizeof *ids);
    uint8_t *back = malloc(n ? n : 1);
    if (!ids || !back) abort();
    size_t k = bpe_encode(t, text, n, ids);
    contract(k <= n, "at most one token per byte");
    for (size_t i = 0; i < k; i++) contract(ids[i] >= 0 && ids[i] < t->V, "ids in [0, V)");
    char err[256];
    long got = bpe_decode(t, ids, k, back, n, err, sizeof err);
    contract(got == (long)n && memcmp(back, text, n) == 0, "decode(encode(s)) == s");
    if (k > 0) {   // one byte short: refused with a message
        err[0] = '\0';
        contract(bpe_decode(t, ids, k, back, n - 1, err, sizeof err) == -1 && err[0],
                 "a short buffer is refused");
    }
    free(ids);
    free(back);
}

static void check_tables(const Bpe *t)
{
    contract(t->V == 256 + t->n_merges && t->V <= 65536, "V = 256 + merges");
    for (int i = 0; i < t->n_merges; i++) {
        int a = t->merges[i][0], b = t->merges[i][1], z = 256 + i;
        contract(a >= 0 && b >= 0 && a < z && b < z, "merges use earlier ids");
        contract(t->len[z] == t->len[a] + t->len[b] &&
                 memcmp(t->bytes[z], t->bytes[a], (size_t)t->len[a]) == 0 &&
                 memcmp(t->bytes[z] + t->len[a], t->bytes[b], (size_t)t->len[b]) == 0,
                 "an id's bytes are its pair's");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t k = size ? data[0] : 0;
    int m = size > 1 ? data[1] : 0;
    size_t head = size < 2 ? size : 2;
    if (k > size - head) k = size - head;
    const uint8_t *text = data + head;
    size_t n_file = size - head - k;
    char *file = malloc(n_file ? n_file : 1);
    if (!file) abort();
    if (n_file) memcpy(file, data + head + k, n_file);

    Bpe t;
    char err[512];
    err[0] = '\0';
    if (bpe_parse(&t, file, n_file, "fuzz", err, sizeof err)) {
        check_tables(&t);
        round_trip(&t, text, k);
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(t.V == 0 && !t.merges && !t.bytes && !t.len, "a rejected file leaves t empty");
    }
    bpe_free(&t);

    err[0] = '\0';
    if (bpe_train(&t, text, k, 256 + m, err, sizeof err)) {
        check_tables(&t);
        round_trip(&t, text, k);
    } else {
        contract(err[0] != '\0', "a failed training says why");
        contract(t.V == 0 && !t.merges, "a failed training leaves t empty");
    }
    bpe_free(&t);
    free(file);
    return 0;
}
