/* tests/fuzz/fuzz_scaling.c — libFuzzer target for the scaling-law point loader:
 * scaling_parse() (data/scaling.h) on any bytes.
 * Build and run: make fuzz-run-scaling FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_scaling build/fuzz/artifacts/scaling/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/scaling/ follow it; scripts/make_fuzz_seeds.sh
 * writes them): the whole input is the CSV text (Epoch AI's layout or the sweep's).
 *
 * The text is copied into a malloc'ed block of exactly its length (no terminating NUL), so
 * ASan reports any read past its end. Beyond "no crash, no leak, no hang", the target checks
 * the loader's contract and aborts when it is broken: on failure err is filled, names the file
 * and the set is empty; on success there is at least one point and every N, D, C and loss is
 * finite and positive.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/scaling.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scaling: broken contract: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text) abort();
    if (size) memcpy(text, data, size);

    ScalingSet s;
    char err[512];
    err[0] = '\0';
    if (scaling_parse(text, size, "fuzz.csv", &s, err, sizeof err)) {
        contract(s.n > 0 && s.p, "a parsed set has points");
        for (size_t i = 0; i < s.n; i++) {
            const ScalingPoint *p = &s.p[i];
            contract(isfinite(p->N) && isfinite(p->D) && isfinite(p->C) && isfinite(p->loss),
                     "values are finite");
            contract(p->N > 0 && p->D > 0 && p->C > 0 && p->loss > 0, "values are positive");
        }
        contract(strcmp(s.path, "fuzz.csv") == 0, "the set names its file");
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(strncmp(err, "fuzz.csv", 8) == 0, "a rejection names the file");
        contract(!s.p && s.n == 0, "a rejected set is left empty");
    }
    scaling_free(&s);
    free(text);
    return 0;
}
