/* tests/fuzz/fuzz_imdb.c — libFuzzer target for chapter 6's text input: imdb_check_review
 * (data/imdb.h) on a file name and a review's bytes, and tokenize (data/tokenize.h) on those
 * bytes with the options chosen by the input (stop words and Porter stemming included).
 * Build and run: make fuzz-run-imdb FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_imdb build/fuzz/artifacts/imdb/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/imdb/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0       settings: bit 0 → the pos/ folder (else neg/), bits 1-6 → the tokenizer's
 *                strip_html, strip_urls, lowercase, drop_punct, drop_stopwords, stem
 *   byte 1       k, the length of the file name (at most what follows)
 *   k bytes      the file name (up to its first NUL, as a directory entry would be)
 *   the rest     the review, copied into a malloc'ed block of exactly its length (ASan sees a
 *                read past its end)
 * Beyond "no crash, no leak, no hang" the target checks the contracts and aborts when one is
 * broken: a refusal fills err; an accepted review has a rating in its folder's range, a
 * non-negative id, 1 byte … 1 MB and no NUL; every token is non-empty, holds no white space or
 * NUL, has no A–Z when lower-casing, a letter, digit or byte >= 0x80 when punctuation is
 * dropped, is no stop word when they are dropped; there are at most as many tokens as bytes;
 * tokenizing again into the same list gives the same tokens.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/imdb.h"
#include "data/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_imdb: broken contract: %s\n", what);
        abort();
    }
}

static void check_tokens(const TokenList *t, size_t n, const TokenizeOptions *o)
{
    contract(t->n >= 0 && (size_t)t->n <= n, "at most one token per byte");
    for (int i = 0; i < t->n; i++) {
        const unsigned char *w = (const unsigned char *)t->tok[i];
        size_t k = strlen((const char *)w);
        contract(k > 0, "no empty token");
        bool word = false;
        for (size_t j = 0; j < k; j++) {
            unsigned char c = w[j];
            contract(c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v',
                     "no white space in a token");
            contract(!o->lowercase || !(c >= 'A' && c <= 'Z'), "lower case when asked");
            word |= (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
            word |= (c >= '0' && c <= '9') || c >= 0x80;
        }
        contract(!o->drop_punct || word, "no punctuation-only token when it is dropped");
        contract(!o->drop_stopwords || o->stem || !stopword_is((const char *)w),
                 "no stop word when they are dropped");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    bool pos = data[0] & 1;
    TokenizeOptions o = {.strip_html = data[0] >> 1 & 1, .strip_urls = data[0] >> 2 & 1,
                         .lowercase = data[0] >> 3 & 1, .drop_punct = data[0] >> 4 & 1,
                         .drop_stopwords = data[0] >> 5 & 1, .stem = data[0] >> 6 & 1};
    size_t k = data[1] < size - 2 ? data[1] : size - 2;
    char name[256];
    memcpy(name, data + 2, k);
    name[k] = 0;
    size_t n = size - 2 - k;
    char *bytes = malloc(n ? n : 1);
    if (!bytes) return 0;
    memcpy(bytes, data + 2 + k, n);

    char err[512] = "";
    int id = -1, rating = -1;
    if (imdb_check_review(name, bytes, n, pos, &id, &rating, err, sizeof err)) {
        contract(id >= 0, "an accepted review has an id >= 0");
        contract(pos ? rating >= 7 && rating <= 10 : rating >= 1 && rating <= 4,
                 "an accepted rating belongs in its folder");
        contract(n >= 1 && n <= (1u << 20) && !memchr(bytes, 0, n), "an accepted review's bytes");
    } else {
        contract(err[0] != '\0', "a refusal says why");
    }

    TokenList t = {0}, u = {0};
    tokenize(bytes, n, &o, &t);
    check_tokens(&t, n, &o);
    tokenize(bytes, n, &o, &u);                 // a fresh list ...
    tokenize(bytes, n, &o, &t);                 // ... and the reused one agree
    contract(t.n == u.n, "the same number of tokens again");
    for (int i = 0; i < t.n; i++)
        contract(strcmp(t.tok[i], u.tok[i]) == 0, "the same tokens again");
    token_list_free(&t);
    token_list_free(&u);
    free(bytes);
    return 0;
}
