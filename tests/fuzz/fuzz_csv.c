/* tests/fuzz/fuzz_csv.c — libFuzzer target for the CSV reader: csv_parse() on any bytes.
 * Build and run: make fuzz-run-csv FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_csv build/fuzz/artifacts/csv/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/csv/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0     the column to read, mod 4 (0 is the first column, which has no labels)
 *   the rest   the CSV text
 * An empty input is an empty file, column 0.
 *
 * The text is copied into a malloc'ed block of exactly its length (no terminating NUL), so
 * ASan reports any read past its end. Beyond "no crash, no leak, no hang", the target checks
 * the reader's contract and aborts (a crash to libFuzzer) when it is broken: on failure err is
 * filled and the column is empty; on success there is at least one row, every value is finite,
 * the name is a non-empty string, and labels are there exactly when the column is not the
 * first, each a string.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csv: broken contract: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int column = size ? data[0] % 4 : 0;
    size_t len = size ? size - 1 : 0;
    char *text = malloc(len ? len : 1);
    if (!text) abort();
    if (len) memcpy(text, data + 1, len);

    CsvColumn c;
    char err[512];
    err[0] = '\0';
    if (csv_parse(text, len, "fuzz.csv", column, &c, err, sizeof err)) {
        contract(c.n > 0 && c.values, "a parsed column has rows");
        contract(c.name[0] != '\0' && memchr(c.name, '\0', sizeof c.name), "the name is a string");
        for (size_t i = 0; i < c.n; i++) contract(isfinite(c.values[i]), "values are finite");
        contract((column > 0) == (c.labels != NULL), "labels exactly when the column is not the first");
        for (size_t i = 0; c.labels && i < c.n; i++)
            contract(c.labels[i] && strlen(c.labels[i]) < 256, "labels are short strings");
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(strncmp(err, "fuzz.csv", 8) == 0, "a rejection names the file");
        contract(!c.values && !c.labels && c.n == 0, "a rejected column is left empty");
    }
    csv_free(&c);
    free(text);
    return 0;
}
