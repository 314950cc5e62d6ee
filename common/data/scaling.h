/* common/data/scaling.h — scaling-law points (N, D, C, loss) from a CSV file (chapter 8).
 *
 * Two layouts, recognised by their header row (columns found by name, in any order):
 *   Epoch AI's extraction of Hoffmann et al. 2022 (../shared/data/chinchilla/svg_extracted_data.csv):
 *     "Model Size" (N, parameters), "Training FLOP" (C), "loss"; D = C / (6N) (Epoch's rule)
 *   the chapter's own sweep (08_scaling writes it): "N", "D", "flops", "loss" (+ any other
 *     columns, ignored)
 * Built on csv_parse (data/csv.h). Errors (false, err names the file, the line and the fix): an
 * empty file or no rows, a missing column ("no column 'loss'"), a field that is not a finite number
 * (NaN, inf, text), a non-positive N, D, C or loss.
 */
#ifndef DL_DATA_SCALING_H
#define DL_DATA_SCALING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ScalingPoint {
    double N;        // parameters
    double D;        // training tokens
    double C;        // training FLOPs (Epoch's file: as given; ours: counted)
    double loss;     // final loss, nats per token
} ScalingPoint;

typedef struct ScalingSet {
    char path[512];
    ScalingPoint *p; // (n) malloc'ed
    size_t n;
} ScalingSet;

bool scaling_parse(const char *text, size_t len, const char *file, ScalingSet *out, char *err,
                   size_t errlen);
bool scaling_load(const char *path, ScalingSet *out, char *err, size_t errlen);
void scaling_free(ScalingSet *s);

#endif
