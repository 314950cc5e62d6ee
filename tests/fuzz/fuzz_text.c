/* tests/fuzz/fuzz_text.c — libFuzzer target for the text layer: vocab_build_chars,
 * vocab_build_words, vocab_encode_chars / vocab_encode_words (data/text.h) on any bytes, and a
 * TokenBatcher (data/stream.h) over what they encode.
 * Build and run: make fuzz-run-text FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_text build/fuzz/artifacts/text/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/text/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0       settings: bits 0-1 → B = 1 … 4, bits 2-4 → T = 1 … 8, bits 5-7 → max_words
 *                (0 = no limit, else 2 … 8: 2 must be refused)
 *   the rest     the text, copied into a malloc'ed block of exactly its length (ASan sees a
 *                read past its end)
 * Beyond "no crash, no leak, no hang" the target checks the contracts and aborts when one is
 * broken: a refusal fills err; ids lie in 0 … V-1; characters decode back to the text; every
 * word token is found under its own id; <unk> and <eos> are ids 0 and 1; the batcher's windows
 * are the stream's rows, its targets the next tokens, reset_state on the first batch only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/stream.h"
#include "data/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_text: broken contract: %s\n", what);
        abort();
    }
}

// Two epochs (and a bit) of batches over ids (n), checked against the layout of data/stream.h.
static void batches(const int *ids, size_t n, int B, int T)
{
    TokenBatcher tb;
    char err[300] = "";
    if (!token_batcher_init(&tb, ids, n, B, T, err, sizeof err)) {
        contract(err[0] != '\0', "a refused batcher says why");
        contract(n < (size_t)B * (size_t)(T + 1), "only a too short stream is refused");
        return;
    }
    const size_t L = n / (size_t)B;
    const int K = token_batcher_steps(&tb);
    contract(K >= 1 && (size_t)K == (L - 1) / (size_t)T, "an epoch is (L - 1) / T batches");
    for (int e = 0; e < 2; e++) {
        Batch b;
        for (int k = 0; k < K; k++) {
            contract(tb.src.next(&tb.src, &b) == B && b.B == B && b.T == T, "a full batch");
            contract(b.reset_state == (k == 0), "reset_state on the first batch only");
            for (int r = 0; r < B; r++)
                for (int t = 0; t < T; t++) {
                    size_t at = (size_t)r * L + (size_t)k * T + (size_t)t;
                    contract(at + 1 < (size_t)(r + 1) * L, "a window stays in its row");
                    contract(b.tokens[r * T + t] == ids[at] && b.y[r * T + t] == ids[at + 1],
                             "windows and targets are the row's tokens");
                }
        }
        contract(tb.src.next(&tb.src, &b) == 0, "the epoch ends after K batches");
    }
    token_batcher_free(&tb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const int B = 1 + (data[0] & 3), T = 1 + (data[0] >> 2 & 7);
    const int mw = data[0] >> 5, max_words = mw ? mw + 1 : 0;
    const size_t n = size - 1;
    unsigned char *text = malloc(n ? n : 1);
    if (!text) abort();
    if (n) memcpy(text, data + 1, n);
    char err[700];

    // character level
    Vocab v;
    err[0] = '\0';
    if (vocab_build_chars(&v, text, n, err, sizeof err)) {
        contract(v.chars && v.V >= 1 && v.V <= 256, "a character vocabulary has 1 … 256 tokens");
        int *ids = malloc(n * sizeof *ids);
        if (!ids) abort();
        contract(vocab_encode_chars(&v, text, n, ids, err, sizeof err),
                 "the text encodes with its own vocabulary");
        for (size_t i = 0; i < n; i++) {
            contract(ids[i] >= 0 && ids[i] < v.V, "character ids lie in 0 … V-1");
            contract((unsigned char)vocab_token(&v, ids[i])[0] == text[i],
                     "characters decode back");
        }
        for (int i = 1; i < v.V; i++)
            contract((unsigned char)v.tokens[i - 1][0] < (unsigned char)v.tokens[i][0],
                     "characters in byte order");
        batches(ids, n, B, T);
        // the vocabulary from its own byte list is the same; a prompt of all bytes is refused
        // unless the text holds all 256
        unsigned char bytes[256], all[256];
        for (int i = 0; i < v.V; i++) bytes[i] = (unsigned char)v.tokens[i][0];
        for (int c = 0; c < 256; c++) all[c] = (unsigned char)c;
        Vocab w;
        contract(vocab_from_bytes(&w, bytes, v.V, err, sizeof err), "a vocabulary's own bytes");
        contract(memcmp(w.byte_id, v.byte_id, sizeof v.byte_id) == 0, "the same ids");
        vocab_free(&w);
        int all_ids[256];
        err[0] = '\0';
        bool ok = vocab_encode_chars(&v, all, 256, all_ids, err, sizeof err);
        contract(ok == (v.V == 256) && (ok || strstr(err, "not in the vocabulary")),
                 "unknown characters are listed");
        free(ids);
        vocab_free(&v);
    } else {
        contract(n == 0 && err[0] != '\0', "only an empty text is refused, with a message");
    }

    // word level
    err[0] = '\0';
    if (vocab_build_words(&v, text, n, max_words, err, sizeof err)) {
        contract(!v.chars && v.V >= 2 && (max_words == 0 || v.V <= max_words),
                 "a word vocabulary has <unk>, <eos> (a text of only \"<unk>\" has no more), "
                 "at most max_words tokens");
        contract(v.unk == 0 && v.eos == 1 && vocab_id(&v, VOCAB_UNK) == 0 &&
                 vocab_id(&v, VOCAB_EOS) == 1, "<unk> and <eos> are ids 0 and 1");
        for (int i = 0; i < v.V; i++) {
            const char *t = vocab_token(&v, i);
            contract(t[0] != '\0' && vocab_id(&v, t) == i, "every token is found under its id");
        }
        int *ids;
        size_t m;
        contract(vocab_encode_words(&v, text, n, &ids, &m, err, sizeof err) && m >= 2,
                 "the text encodes with its own vocabulary (a word and an <eos> at least)");
        for (size_t i = 0; i < m; i++) contract(ids[i] >= 0 && ids[i] < v.V, "word ids in range");
        contract(ids[m - 1] == v.eos, "the stream ends with <eos>");
        batches(ids, m, B, T);
        free(ids);
        vocab_free(&v);
    } else {
        contract(err[0] != '\0', "a refused word vocabulary says why");
    }
    free(text);
    return 0;
}
