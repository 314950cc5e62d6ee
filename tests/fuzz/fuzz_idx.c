/* tests/fuzz/fuzz_idx.c — libFuzzer target for the IDX (MNIST) loader: idx_parse() on any bytes.
 * Build and run: make fuzz && make fuzz-run FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_idx build/fuzz/artifacts/idx/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/idx/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   bytes 0..1   k, big-endian: the length of the image file (clamped to what is left)
 *   next k bytes the image "file"
 *   the rest     the label "file"
 * Inputs shorter than 2 bytes are an empty image file and an empty label file.
 *
 * Each part is copied into its own malloc'ed block of exactly its length, so ASan reports a
 * read past the end of either "file" (in one buffer, a read past the images would land in the
 * labels unnoticed). Beyond "no crash, no leak, no hang", the target checks the loader's
 * contract and aborts (a crash to libFuzzer) when it is broken: on failure err is filled and d
 * is empty; on success the shape is consistent, pixels lie in [0, 1] and labels in 0..9.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_idx: broken contract: %s\n", what);
        abort();
    }
}

/* A malloc'ed copy of src[0..n) (malloc(1) for n == 0, so the pointer is never NULL). */
static unsigned char *copy(const uint8_t *src, size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    if (!p) abort();
    if (n) memcpy(p, src, n);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t k = 0, rest = size;
    if (size >= 2) {
        k = (size_t)data[0] << 8 | data[1];
        rest = size - 2;
        data += 2;
        if (k > rest) k = rest;
    } else {
        rest = 0;
    }
    unsigned char *images = copy(data, k), *labels = copy(data + k, rest - k);

    Dataset d;
    char err[512];
    err[0] = '\0';
    if (idx_parse(images, k, labels, rest - k, &d, err, sizeof err)) {
        contract(d.n > 0 && d.rows > 0 && d.cols > 0 && d.dim == d.rows * d.cols,
                 "a parsed dataset has a consistent shape");
        contract((size_t)d.n * (size_t)d.dim + 16 == k && (size_t)d.n + 8 == rest - k,
                 "the parsed sizes account for every byte");
        contract(d.n_classes == 10 && d.x && d.y, "a parsed dataset owns its data");
        for (size_t i = 0; i < (size_t)d.n * (size_t)d.dim; i++)
            contract(d.x[i] >= 0.0f && d.x[i] <= 1.0f, "pixels lie in [0, 1]");
        for (int i = 0; i < d.n; i++) contract(d.y[i] >= 0 && d.y[i] < 10, "labels lie in 0..9");
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(!d.x && !d.y && d.n == 0, "a rejected dataset is left empty");
    }
    dataset_free(&d);
    free(images);
    free(labels);
    return 0;
}
