/* common/data.c — IDX (MNIST) loader, synthetic 2-D sets, slicing, mini-batches; see data.h.
 *
 * IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte big-endian magic
 * number 0x000008nd (08 = unsigned bytes, nd = number of dimensions), nd big-endian 32-bit
 * sizes, then the payload in row-major order. Images: magic 2051 (0x803), sizes n, rows,
 * cols. Labels: magic 2049 (0x801), size n.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   // fileno, fstat
#endif
#include "data.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

#define IDX_MAGIC_IMAGES 2051u
#define IDX_MAGIC_LABELS 2049u
#define IDX_MAX_N        (1u << 26)   // sanity limits: far above MNIST, far below overflow
#define IDX_MAX_PIXELS   (1u << 20)   // rows * cols
#define IDX_CLASSES      10

// malloc that dies with the size asked for (synthetic sets, slices, batchers).
static void *xmalloc(size_t bytes, const char *what)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) dl_die("out of memory: %zu bytes for %s", bytes, what);
    return p;
}

static void dataset_alloc(Dataset *d, const char *name, int n, int dim, int n_classes)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->n = n;
    d->dim = dim;
    d->rows = 1;
    d->cols = dim;
    d->n_classes = n_classes;
    d->x = xmalloc((size_t)n * (size_t)dim * sizeof(float), "dataset examples");
    d->y = xmalloc((size_t)n * sizeof(int), "dataset labels");
}

void dataset_free(Dataset *d)
{
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

// ---- IDX ----
// region: idx

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One IDX file read into memory: the dimension sizes and the payload bytes. */
typedef struct IdxFile {
    uint32_t dims[3];
    unsigned char *payload;   // (dims[0] * dims[1] * …) bytes; malloc'ed
} IdxFile;

/* Read `path`, which must be an IDX file with the given magic and `ndims` dimensions;
 * `kind` ("image", "label") names it in messages. On error returns false, fills err and
 * leaves nothing allocated. */
static bool idx_read(const char *path, uint32_t magic, int ndims, const char *kind,
                     IdxFile *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s); get the data with: make data", path,
                 strerror(errno));
        return false;
    }
    // The file size first, so that nothing is allocated for a file of the wrong shape.
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a directory?); expected an IDX %s "
                 "file, get it with: make data", path, kind);
        goto fail;
    }
    long long fsize = (long long)st.st_size;

    size_t hsize = 4 + 4 * (size_t)ndims;   // magic + one 32-bit size per dimension
    unsigned char h[16];
    size_t got = fread(h, 1, hsize, f);
    if (got >= 2 && h[0] == 0x1f && h[1] == 0x8b) {   // the gzip signature
        snprintf(err, errlen, "%s: not an IDX %s file (magic 0x%08x: still gzip-compressed? "
                 "run: make data)", path, kind, got >= 4 ? (unsigned)be32(h) : 0x1f8b0000u);
        goto fail;
    }
    if (got < 4) {
        snprintf(err, errlen, "%s: file is %lld bytes, too short for an IDX %s file "
                 "(truncated download? run: make data)", path, fsize, kind);
        goto fail;
    }
    uint32_t m = be32(h);
    if (m != magic) {
        const char *hint = m == IDX_MAGIC_IMAGES ? "this is an image file: arguments swapped?"
                         : m == IDX_MAGIC_LABELS ? "this is a label file: arguments swapped?"
                                                 : "not an MNIST file? run: make data";
        snprintf(err, errlen, "%s: not an IDX %s file (magic 0x%08x = %u, expected 0x%08x = %u; %s)",
                 path, kind, (unsigned)m, (unsigned)m, (unsigned)magic, (unsigned)magic, hint);
        goto fail;
    }
    if (got < hsize) {
        snprintf(err, errlen, "%s: file is %lld bytes, too short for the %zu-byte IDX header "
                 "(truncated download? run: make data)", path, fsize, hsize);
        goto fail;
    }

    for (int i = 0; i < ndims; i++) {
        out->dims[i] = be32(h + 4 + 4 * i);
        if (out->dims[i] == 0) {
            snprintf(err, errlen, "%s: dimension %d of the IDX header is 0; a valid file has "
                     "sizes > 0 (corrupt file? run: make data)", path, i);
            goto fail;
        }
    }
    uint64_t pixels = ndims == 3 ? (uint64_t)out->dims[1] * out->dims[2] : 1;
    if (out->dims[0] > IDX_MAX_N || pixels > IDX_MAX_PIXELS) {
        snprintf(err, errlen, "%s: implausible IDX sizes (%u examples of %llu values; the "
                 "limits are %u and %u): corrupt file? run: make data", path,
                 (unsigned)out->dims[0], (unsigned long long)pixels, IDX_MAX_N, IDX_MAX_PIXELS);
        goto fail;
    }
    uint64_t payload = out->dims[0] * pixels;   // < 2^46 after the limits above

    uint64_t want = hsize + payload;
    if ((uint64_t)fsize != want) {
        char shape[64];
        if (ndims == 3)
            snprintf(shape, sizeof shape, "%u images of %ux%u", (unsigned)out->dims[0],
                     (unsigned)out->dims[1], (unsigned)out->dims[2]);
        else
            snprintf(shape, sizeof shape, "%u labels", (unsigned)out->dims[0]);
        snprintf(err, errlen, "%s: file is %lld bytes, expected %llu for %s (%s run: make data)",
                 path, fsize, (unsigned long long)want, shape,
                 (uint64_t)fsize < want ? "truncated download?"
                                        : "trailing bytes after the data: not an MNIST file?");
        goto fail;
    }
    if (payload > SIZE_MAX) {
        snprintf(err, errlen, "%s: %llu bytes do not fit in memory on this machine", path,
                 (unsigned long long)payload);
        goto fail;
    }

    out->payload = malloc((size_t)payload);
    if (!out->payload) {
        snprintf(err, errlen, "%s: out of memory reading %llu bytes", path,
                 (unsigned long long)payload);
        goto fail;
    }
    if (fread(out->payload, 1, (size_t)payload, f) != (size_t)payload) {
        snprintf(err, errlen, "%s: read error (%s); is the file being rewritten? run: make data",
                 path, ferror(f) ? strerror(errno) : "file shrank while reading");
        goto fail;
    }
    fclose(f);
    return true;
fail:
    fclose(f);
    free(out->payload);
    out->payload = NULL;
    return false;
}

bool idx_load(const char *images_path, const char *labels_path, Dataset *d, char *err,
              size_t errlen)
{
    memset(d, 0, sizeof *d);
    IdxFile im, lb;
    if (!idx_read(images_path, IDX_MAGIC_IMAGES, 3, "image", &im, err, errlen)) return false;
    if (!idx_read(labels_path, IDX_MAGIC_LABELS, 1, "label", &lb, err, errlen)) {
        free(im.payload);
        return false;
    }

    bool ok = false;
    uint32_t n = im.dims[0];
    if (lb.dims[0] != n) {
        snprintf(err, errlen, "%s has %u labels but %s has %u images; the counts must match "
                 "(files from different sets? run: make data)", labels_path,
                 (unsigned)lb.dims[0], images_path, (unsigned)n);
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (lb.payload[i] >= IDX_CLASSES) {
            snprintf(err, errlen, "%s: label %u of example %u is out of range, expected 0..%d "
                     "(corrupt file? run: make data)", labels_path, (unsigned)lb.payload[i],
                     (unsigned)i, IDX_CLASSES - 1);
            goto done;
        }
    }

    size_t dim = (size_t)im.dims[1] * im.dims[2];
    size_t count = (size_t)n * dim;
    float *x = malloc(count * sizeof *x);
    int *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        snprintf(err, errlen, "%s: out of memory for %u images (%zu bytes)", images_path,
                 (unsigned)n, count * sizeof *x + (size_t)n * sizeof *y);
        goto done;
    }
    for (size_t i = 0; i < count; i++) x[i] = (float)im.payload[i] / 255.0f;   // [0, 1]
    for (uint32_t i = 0; i < n; i++) y[i] = lb.payload[i];

    snprintf(d->name, sizeof d->name, "idx");
    d->n = (int)n;
    d->dim = (int)dim;
    d->rows = (int)im.dims[1];
    d->cols = (int)im.dims[2];
    d->n_classes = IDX_CLASSES;
    d->x = x;
    d->y = y;
    ok = true;
done:
    free(im.payload);
    free(lb.payload);
    return ok;
}

// endregion

bool mnist_load(const char *data_dir, bool train, Dataset *d, char *err, size_t errlen)
{
    static const char *const SETS[] = {"mnist", "fashion-mnist"};
    const char *split = train ? "train" : "t10k";
    char images[4096], labels[4096];
    memset(d, 0, sizeof *d);
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        int a = snprintf(images, sizeof images, "%s/%s/%s-images-idx3-ubyte", data_dir, SETS[s], split);
        int b = snprintf(labels, sizeof labels, "%s/%s/%s-labels-idx1-ubyte", data_dir, SETS[s], split);
        if (a < 0 || b < 0 || (size_t)a >= sizeof images || (size_t)b >= sizeof labels) {
            snprintf(err, errlen, "data directory path is too long (%zu characters): %.64s...",
                     strlen(data_dir), data_dir);
            return false;
        }
        FILE *f = fopen(images, "rb");
        if (!f) continue;                  // not this set: try the next one
        fclose(f);
        if (!idx_load(images, labels, d, err, errlen)) return false;
        snprintf(d->name, sizeof d->name, "%s", SETS[s]);
        return true;
    }
    snprintf(err, errlen, "MNIST not found: looked for %s/mnist/%s-images-idx3-ubyte (and "
             "%s/fashion-mnist/); get it with: make data (or make data MIRROR=/path/to/mirror)",
             data_dir, split, data_dir);
    return false;
}

bool image_dataset_load(const char *data_dir, const char *dataset, bool train, Dataset *d,
                        char *err, size_t errlen)
{
    if (!dataset || !*dataset) return mnist_load(data_dir, train, d, err, errlen);
    memset(d, 0, sizeof *d);
    bool fashion = strcmp(dataset, "fashion") == 0;
    if (!fashion && strcmp(dataset, "mnist") != 0) {
        snprintf(err, errlen, "unknown dataset '%s' (expected mnist or fashion)", dataset);
        return false;
    }
    const char *folder = fashion ? "fashion-mnist" : "mnist";
    const char *split = train ? "train" : "t10k";
    char images[4096], labels[4096];
    int a = snprintf(images, sizeof images, "%s/%s/%s-images-idx3-ubyte", data_dir, folder, split);
    int b = snprintf(labels, sizeof labels, "%s/%s/%s-labels-idx1-ubyte", data_dir, folder, split);
    if (a < 0 || b < 0 || (size_t)a >= sizeof images || (size_t)b >= sizeof labels) {
        snprintf(err, errlen, "data directory path is too long (%zu characters): %.64s...",
                 strlen(data_dir), data_dir);
        return false;
    }
    FILE *f = fopen(images, "rb");
    if (!f) {
        snprintf(err, errlen, "%s not found: looked for %s; get it with: make data (or make data "
                 "MIRROR=/path/to/mirror)", fashion ? "Fashion-MNIST" : "MNIST", images);
        return false;
    }
    fclose(f);
    if (!idx_load(images, labels, d, err, errlen)) return false;
    snprintf(d->name, sizeof d->name, "%s", folder);
    return true;
}

// ---- synthetic 2-D sets ----
// Labels alternate with the index (0, 1, 0, 1, … or by cluster), so any slice of a set
// is balanced; the Batcher shuffles.

void dataset_blobs(Dataset *d, int n, float gap, Rng *r)
{
    DL_CHECK(n > 0, "dataset_blobs: n = %d, expected n > 0", n);
    DL_CHECK(gap >= 0, "dataset_blobs: gap = %g, expected gap >= 0", (double)gap);
    dataset_alloc(d, "blobs", n, 2, 2);
    // Class c is a unit Gaussian centred at ±(gap/2 + 1)·u, u = (1, 1)/√2, cut at the
    // margin: a sample whose projection on u lies within gap/2 of 0, or on the wrong side,
    // is drawn again. So the classes are separated by the band |x·u| < gap/2, whose width
    // is `gap` — linearly separable by construction, and about 16% of draws are redone.
    const float u = 0.70710678f;
    const float half = 0.5f * gap, c = half + 1.0f;
    for (int i = 0; i < n; i++) {
        int label = i & 1;
        float s = label ? 1.0f : -1.0f;
        float x0, x1;
        do {
            x0 = s * c * u + rng_normal(r);
            x1 = s * c * u + rng_normal(r);
        } while (s * (x0 * u + x1 * u) < half);
        d->x[2 * i] = x0;
        d->x[2 * i + 1] = x1;
        d->y[i] = label;
    }
}

void dataset_xor(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_xor: n = %d, expected n > 0", n);
    dataset_alloc(d, "xor", n, 2, 2);
    // Example i belongs to corner i % 4 of the square (±1, ±1); its label is 1 when that
    // corner has x·y < 0. Noise moves the point, not the label, so with large noise some
    // points cross into a neighbour's quadrant (label noise near the axes).
    static const float CX[4] = {-1, 1, -1, 1}, CY[4] = {-1, 1, 1, -1};
    for (int i = 0; i < n; i++) {
        int k = i & 3;
        d->x[2 * i] = CX[k] + noise * rng_normal(r);
        d->x[2 * i + 1] = CY[k] + noise * rng_normal(r);
        d->y[i] = CX[k] * CY[k] < 0;
    }
}

void dataset_spirals(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_spirals: n = %d, expected n > 0", n);
    dataset_alloc(d, "spirals", n, 2, 2);
    // Arm c at parameter t in [0, 1): radius t, angle 3π·t + c·π (one and a half turns),
    // so the second arm is the first rotated by 180°, wound between its coils.
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < n; i++) {
        int c = i & 1;
        double t = rng_uniform(r);
        double a = 3.0 * pi * t + c * pi;
        d->x[2 * i] = (float)(t * cos(a)) + noise * rng_normal(r);
        d->x[2 * i + 1] = (float)(t * sin(a)) + noise * rng_normal(r);
        d->y[i] = c;
    }
}

void dataset_moons(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_moons: n = %d, expected n > 0", n);
    dataset_alloc(d, "moons", n, 2, 2);
    // sklearn.datasets.make_moons: n/2 points on the upper half circle (cos θ, sin θ) with
    // label 0, the rest on the lower one (1 - cos θ, 0.5 - sin θ) with label 1, θ evenly
    // spaced in [0, π]; then Gaussian noise on every coordinate, then a shuffle.
    const double pi = 3.14159265358979323846;
    int n_out = n / 2, n_in = n - n_out;
    int *perm = xmalloc((size_t)n * sizeof *perm, "dataset_moons order");
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(r, perm, (size_t)n);
    for (int i = 0; i < n; i++) {
        bool outer = i < n_out;
        int j = outer ? i : i - n_out, m = outer ? n_out : n_in;
        double th = m > 1 ? pi * j / (m - 1) : 0.0;   // np.linspace(0, π, m)
        float x0 = outer ? (float)cos(th) : (float)(1.0 - cos(th));
        float x1 = outer ? (float)sin(th) : (float)(0.5 - sin(th));
        int k = perm[i];
        d->x[2 * k] = x0 + noise * rng_normal(r);
        d->x[2 * k + 1] = x1 + noise * rng_normal(r);
        d->y[k] = outer ? 0 : 1;
    }
    free(perm);
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

void dataset_filter_classes(const Dataset *src, const int *classes, int k, Dataset *out)
{
    DL_CHECK(k >= 1, "dataset_filter_classes: k = %d, expected at least one class", k);
    // map[label] = new label, or -1 to drop the example
    int *map = xmalloc((size_t)src->n_classes * sizeof *map, "class map");
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
    int *left = xmalloc((size_t)src->n_classes * sizeof *left, "class quotas");
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

void sample_weighted(Rng *r, const float *weights, int n, int *out, int m)
{
    DL_CHECK(n >= 1 && weights, "sample_weighted: need n >= 1 weights (got n = %d)", n);
    DL_CHECK(m >= 0 && (m == 0 || out), "sample_weighted: need m >= 0 draws and an output "
             "array (got m = %d)", m);
    // cum[i] = weights[0] + ... + weights[i], in double so that 60000 small weights still
    // add up without losing the last ones to rounding.
    double *cum = xmalloc((size_t)n * sizeof *cum, "cumulative weights");
    double s = 0;
    for (int i = 0; i < n; i++) {
        DL_CHECK(isfinite(weights[i]) && weights[i] >= 0, "sample_weighted: weights[%d] = %g; "
                 "weights must be finite and >= 0", i, (double)weights[i]);
        s += weights[i];
        cum[i] = s;
    }
    DL_CHECK(s > 0 && isfinite(s), "sample_weighted: the %d weights sum to %g; need a positive, "
             "finite sum (at least one weight > 0)", n, s);
    for (int k = 0; k < m; k++) {
        // u in [0, s): 53 random bits from two draws, so the draw resolves tiny weights too.
        uint64_t bits = ((uint64_t)rng_u32(r) << 21) ^ (rng_u32(r) >> 11);
        double u = (double)bits * 0x1p-53 * s;
        // The first i with cum[i] > u; a zero weight has cum[i] == cum[i - 1], never chosen.
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (cum[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        // u < s = cum[n - 1] up to rounding; if u*s rounded up to s, step back to the last
        // positive weight.
        while (lo > 0 && weights[lo] == 0) lo--;
        out[k] = lo;
    }
    free(cum);
}

// ---- shuffled mini-batches ----

void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng)
{
    DL_CHECK(batch > 0, "batcher_init: batch size %d, expected > 0", batch);
    DL_CHECK(!shuffle || rng, "batcher_init: shuffle needs an Rng (got NULL)");
    b->d = d;
    b->batch = batch;
    b->perm = xmalloc((size_t)d->n * sizeof *b->perm, "batcher permutation");
    for (int i = 0; i < d->n; i++) b->perm[i] = i;
    b->pos = 0;
    b->shuffle = shuffle;
    b->rng = rng;
}

int batcher_next(Batcher *b, float *x, int *y)
{
    const Dataset *d = b->d;
    if (b->pos >= d->n) {      // end of the epoch: report it, and start over next call
        b->pos = 0;
        return 0;
    }
    if (b->pos == 0 && b->shuffle) rng_shuffle(b->rng, b->perm, (size_t)d->n);
    int m = d->n - b->pos < b->batch ? d->n - b->pos : b->batch;
    size_t dim = (size_t)d->dim;
    for (int i = 0; i < m; i++) {
        int k = b->perm[b->pos + i];
        memcpy(x + i * dim, d->x + k * dim, dim * sizeof(float));
        y[i] = d->y[k];
    }
    b->pos += m;
    return m;
}

int batcher_steps_per_epoch(const Batcher *b)
{
    return (b->d->n + b->batch - 1) / b->batch;
}

void batcher_free(Batcher *b)
{
    free(b->perm);
    memset(b, 0, sizeof *b);
}
