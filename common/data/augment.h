/* common/data/augment.h — data augmentation for images: random small shifts and rotations.
 *
 * Applied to the TRAINING batches only (never to validation or test data, whose accuracy must
 * measure the real distribution). Each image gets its own random transform, drawn from `r`:
 * a rotation by θ ~ U(−max_deg, max_deg) degrees about the image centre, then a shift by
 * (dx, dy) ~ U(−max_shift, max_shift)² pixels. The output is sampled by inverse mapping with
 * bilinear interpolation; pixels that map outside the source are 0 (MNIST's background).
 * Source: Simard, Steinkraus & Platt, "Best Practices for Convolutional Neural Networks
 * Applied to Visual Document Analysis", ICDAR 2003 (affine distortions for MNIST);
 * torchvision.transforms.RandomAffine(degrees, translate).
 */
#ifndef DL_AUGMENT_H
#define DL_AUGMENT_H

#include "base/rng.h"

/* x (n, h, w) → y (n, h, w), row-major single-channel images; x and y must not overlap.
 * max_shift >= 0 in pixels, max_deg >= 0 in degrees (0 and 0 copy x). Draws exactly 3
 * numbers per image from r, so a run is reproducible from its seed. Dies on n, h, w < 1 or a
 * negative or non-finite bound. */
void augment_shift_rotate(const float *x, float *y, int n, int h, int w, float max_shift,
                          float max_deg, Rng *r);

/* One given transform of one image, x (h, w) → y (h, w), x and y not overlapping: rotate by
 * deg degrees about the centre ((w−1)/2, (h−1)/2), counter-clockwise as the image is seen
 * (row 0 at the top; torchvision's convention), then shift by dx pixels to the right and dy
 * pixels down. Bilinear, zero fill, as augment_shift_rotate (which calls it once per image).
 * E.g. deg 90 turns y[i][j] into x[j][w−1−i]; dx 2 moves every column 2 to the right with
 * zeros entering on the left. Dies on h, w < 1 or a non-finite deg, dx, dy. */
void augment_affine(const float *x, float *y, int h, int w, float deg, float dx, float dy);

#endif
