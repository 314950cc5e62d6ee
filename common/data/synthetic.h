/* common/data/synthetic.h — small synthetic 2-D sets for chapter 1 (dim = 2, two classes,
 * deterministic for a given Rng state). */
#ifndef DL_DATA_SYNTHETIC_H
#define DL_DATA_SYNTHETIC_H

#include "base/rng.h"
#include "data/dataset.h"

void dataset_blobs(Dataset *d, int n, float gap, Rng *r);        // 2 linearly separable Gaussian blobs
void dataset_xor(Dataset *d, int n, float noise, Rng *r);        // 4 clusters at (±1, ±1), label = x·y < 0
void dataset_spirals(Dataset *d, int n, float noise, Rng *r);    // two interleaved spirals
void dataset_moons(Dataset *d, int n, float noise, Rng *r);      // two half-moons (as sklearn's make_moons)

#endif
