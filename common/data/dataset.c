/* common/data/dataset.c — datasets in memory: allocation, slices, class subsets and counts;
 * see data/dataset.h. */
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

void dataset_alloc(Dataset *d, const char *name, int n, int dim, int n_classes)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->n = n;
    d->dim = dim;
    d->rows = 1;
    d->cols = dim;
    d->n_classes = n_classes;
    d->x = dl_malloc((size_t)n * (size_t)dim * sizeof(float), "dataset examples");
    d->y = dl_malloc((size_t)n * sizeof(int), "dataset labels");
}

void dataset_free(Dataset *d)
{
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

// ---- slicing ----

void dataset_slice(const Dataset *src, int start, int count, Dataset *out)
{
    DL_CHECK(start >= 0 && count >= 0 && start <= src->n - count,
             "dataset_slice: examples [%d, %d + %d) are outside %s's %d examples",
             start, start, count, src->name, src->n);
    dataset_alloc(out, src->name, count, src->dim, src->n_classes);
    out->rows = src->rows;
    out->cols = src->cols;
    memcpy(out->x, src->x + (size_t)start * src->dim, (size_t)count * src->dim * sizeof(float));
    memcpy(out->y, src->y + start, (size_t)count * sizeof(int));
}

void dataset_split(const Dataset *src, int n_first, int n_last, Dataset *first, Dataset *last)
{
    DL_CHECK(n_first >= 0 && n_last >= 0 && (long)n_first + n_last <= src->n,
             "dataset_split: %s has %d examples; %d for the first part and %d for the last do "
             "not fit", src->name, src->n, n_first, n_last);
    dataset_slice(src, 0, n_first, first);
    dataset_slice(src, src->n - n_last, n_last, last);
}

void dataset_filter_classes(const Dataset *src, const int *classes, int k, Dataset *out)
{
    DL_CHECK(k >= 1, "dataset_filter_classes: k = %d, expected at least one class", k);
    // map[label] = new label, or -1 to drop the example
    int *map = dl_malloc((size_t)src->n_classes * sizeof *map, "class map");
    for (int c = 0; c < src->n_classes; c++) map[c] = -1;
    for (int i = 0; i < k; i++) {
        DL_CHECK(classes[i] >= 0 && classes[i] < src->n_classes,
                 "dataset_filter_classes: class %d is outside %s's classes 0..%d",
                 classes[i], src->name, src->n_classes - 1);
        DL_CHECK(map[classes[i]] < 0, "dataset_filter_classes: class %d is listed twice",
                 classes[i]);
        map[classes[i]] = i;
    }
    int count = 0;
    for (int i = 0; i < src->n; i++) {
        DL_CHECK(src->y[i] >= 0 && src->y[i] < src->n_classes,
                 "dataset_filter_classes: example %d of %s has label %d, outside 0..%d",
                 i, src->name, src->y[i], src->n_classes - 1);
        count += map[src->y[i]] >= 0;
    }
    dataset_alloc(out, src->name, count, src->dim, k);
    out->rows = src->rows;
    out->cols = src->cols;
    size_t dim = (size_t)src->dim;
    for (int i = 0, j = 0; i < src->n; i++) {
        if (map[src->y[i]] < 0) continue;
        memcpy(out->x + j * dim, src->x + i * dim, dim * sizeof(float));
        out->y[j++] = map[src->y[i]];
    }
    free(map);
}

// ---- class imbalance ----

void dataset_class_counts(const Dataset *d, int *counts)
{
    for (int c = 0; c < d->n_classes; c++) counts[c] = 0;
    for (int i = 0; i < d->n; i++) {
        DL_CHECK(d->y[i] >= 0 && d->y[i] < d->n_classes,
                 "dataset_class_counts: example %d of %s has label %d, outside 0..%d",
                 i, d->name, d->y[i], d->n_classes - 1);
        counts[d->y[i]]++;
    }
}

void dataset_subsample_per_class(const Dataset *src, const int *counts, Dataset *out)
{
    DL_CHECK(src->n_classes >= 1, "dataset_subsample_per_class: %s has %d classes, expected "
             ">= 1", src->name, src->n_classes);
    for (int c = 0; c < src->n_classes; c++)
        DL_CHECK(counts[c] >= 0, "dataset_subsample_per_class: counts[%d] = %d; use a count "
                 ">= 0 per class", c, counts[c]);
    // Two passes: count what is kept (so one allocation), then copy in the original order.
    int *left = dl_malloc((size_t)src->n_classes * sizeof *left, "class quotas");
    memcpy(left, counts, (size_t)src->n_classes * sizeof *left);
    int total = 0;
    for (int i = 0; i < src->n; i++) {
        int c = src->y[i];
        DL_CHECK(c >= 0 && c < src->n_classes, "dataset_subsample_per_class: example %d of %s "
                 "has label %d, outside 0..%d", i, src->name, c, src->n_classes - 1);
        if (left[c] > 0) { left[c]--; total++; }
    }
    dataset_alloc(out, src->name, total, src->dim, src->n_classes);
    out->rows = src->rows;
    out->cols = src->cols;
    memcpy(left, counts, (size_t)src->n_classes * sizeof *left);
    size_t dim = (size_t)src->dim;
    for (int i = 0, j = 0; i < src->n && j < total; i++) {
        int c = src->y[i];
        if (left[c] <= 0) continue;
        left[c]--;
        memcpy(out->x + j * dim, src->x + i * dim, dim * sizeof(float));
        out->y[j++] = c;
    }
    free(left);
}
