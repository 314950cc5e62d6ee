/* common/data/idx.c — the IDX (MNIST) loader; see data/idx.h.
 *
 * IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte big-endian magic
 * number 0x000008nd (08 = unsigned bytes, nd = number of dimensions), nd big-endian 32-bit
 * sizes, then the payload in row-major order. Images: magic 2051 (0x803), sizes n, rows,
 * cols. Labels: magic 2049 (0x801), size n.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   // fileno, fstat
#endif
#include "data/idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"

#define IDX_MAGIC_IMAGES 2051u
#define IDX_MAGIC_LABELS 2049u
#define IDX_MAX_N        (1u << 26)   // sanity limits: far above MNIST, far below overflow
#define IDX_MAX_PIXELS   (1u << 20)   // rows * cols
#define IDX_CLASSES      10

// ---- IDX ----
// region: idx

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One IDX file's header, checked: the dimension sizes and where the payload starts. */
typedef struct IdxHeader {
    uint32_t dims[3];
    size_t hsize;   // bytes before the payload: magic + one 32-bit size per dimension
} IdxHeader;

/* Check the start of an IDX file against the file's total size: `h` holds its first `got`
 * bytes (got >= min(size, 4 + 4 * ndims)), `size` is the whole file's length in bytes. The
 * file must have the given magic, `ndims` dimensions, sizes > 0 within the limits, and be
 * exactly header + payload long. `name` (a path) and `kind` ("image", "label") name it in
 * messages. The one validator of the loader: idx_parse() runs it on a whole buffer, and
 * idx_load() on a file's first bytes before it allocates anything. */
static bool idx_check_header(const unsigned char *h, size_t got, size_t size, uint32_t magic,
                             int ndims, const char *name, const char *kind, IdxHeader *out,
                             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    long long fsize = (long long)size;
    size_t hsize = 4 + 4 * (size_t)ndims;
    if (got > hsize) got = hsize;
    if (got >= 2 && h[0] == 0x1f && h[1] == 0x8b) {   // the gzip signature
        snprintf(err, errlen, "%s: not an IDX %s file (magic 0x%08x: still gzip-compressed? "
                 "run: make data)", name, kind, got >= 4 ? (unsigned)be32(h) : 0x1f8b0000u);
        return false;
    }
    if (got < 4) {
        snprintf(err, errlen, "%s: file is %lld bytes, too short for an IDX %s file "
                 "(truncated download? run: make data)", name, fsize, kind);
        return false;
    }
    uint32_t m = be32(h);
    if (m != magic) {
        const char *hint = m == IDX_MAGIC_IMAGES ? "this is an image file: arguments swapped?"
                         : m == IDX_MAGIC_LABELS ? "this is a label file: arguments swapped?"
                                                 : "not an MNIST file? run: make data";
        snprintf(err, errlen, "%s: not an IDX %s file (magic 0x%08x = %u, expected 0x%08x = %u; %s)",
                 name, kind, (unsigned)m, (unsigned)m, (unsigned)magic, (unsigned)magic, hint);
        return false;
    }
    if (got < hsize) {
        snprintf(err, errlen, "%s: file is %lld bytes, too short for the %zu-byte IDX header "
                 "(truncated download? run: make data)", name, fsize, hsize);
        return false;
    }

    for (int i = 0; i < ndims; i++) {
        out->dims[i] = be32(h + 4 + 4 * i);
        if (out->dims[i] == 0) {
            snprintf(err, errlen, "%s: dimension %d of the IDX header is 0; a valid file has "
                     "sizes > 0 (corrupt file? run: make data)", name, i);
            return false;
        }
    }
    uint64_t pixels = ndims == 3 ? (uint64_t)out->dims[1] * out->dims[2] : 1;
    if (out->dims[0] > IDX_MAX_N || pixels > IDX_MAX_PIXELS) {
        snprintf(err, errlen, "%s: implausible IDX sizes (%u examples of %llu values; the "
                 "limits are %u and %u): corrupt file? run: make data", name,
                 (unsigned)out->dims[0], (unsigned long long)pixels, IDX_MAX_N, IDX_MAX_PIXELS);
        return false;
    }
    uint64_t payload = out->dims[0] * pixels;   // < 2^46 after the limits above

    uint64_t want = hsize + payload;
    if ((uint64_t)size != want) {
        char shape[64];
        if (ndims == 3)
            snprintf(shape, sizeof shape, "%u images of %ux%u", (unsigned)out->dims[0],
                     (unsigned)out->dims[1], (unsigned)out->dims[2]);
        else
            snprintf(shape, sizeof shape, "%u labels", (unsigned)out->dims[0]);
        snprintf(err, errlen, "%s: file is %lld bytes, expected %llu for %s (%s run: make data)",
                 name, fsize, (unsigned long long)want, shape,
                 (uint64_t)size < want ? "truncated download?"
                                       : "trailing bytes after the data: not an MNIST file?");
        return false;
    }
    out->hsize = hsize;
    return true;
}

/* idx_parse with the names that messages give the two files (their paths, for idx_load). */
static bool idx_parse_named(const unsigned char *images, size_t images_len, const char *images_name,
                            const unsigned char *labels, size_t labels_len, const char *labels_name,
                            Dataset *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    IdxHeader im, lb;
    if (!idx_check_header(images, images_len, images_len, IDX_MAGIC_IMAGES, 3, images_name,
                          "image", &im, err, errlen) ||
        !idx_check_header(labels, labels_len, labels_len, IDX_MAGIC_LABELS, 1, labels_name,
                          "label", &lb, err, errlen))
        return false;
    const unsigned char *pix = images + im.hsize;   // (n, rows, cols) bytes, all present
    const unsigned char *lab = labels + lb.hsize;   // (n) bytes

    uint32_t n = im.dims[0];
    if (lb.dims[0] != n) {
        snprintf(err, errlen, "%s has %u labels but %s has %u images; the counts must match "
                 "(files from different sets? run: make data)", labels_name,
                 (unsigned)lb.dims[0], images_name, (unsigned)n);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (lab[i] >= IDX_CLASSES) {
            snprintf(err, errlen, "%s: label %u of example %u is out of range, expected 0..%d "
                     "(corrupt file? run: make data)", labels_name, (unsigned)lab[i],
                     (unsigned)i, IDX_CLASSES - 1);
            return false;
        }
    }

    // count <= images_len, so it fits in size_t; count floats may not (32-bit machines).
    size_t dim = (size_t)im.dims[1] * im.dims[2];
    size_t count = (size_t)n * dim;
    float *x = count <= SIZE_MAX / sizeof *x ? malloc(count * sizeof *x) : NULL;
    int *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        snprintf(err, errlen, "%s: out of memory for %u images (%llu bytes)", images_name,
                 (unsigned)n, (unsigned long long)count * sizeof *x + (unsigned long long)n * sizeof *y);
        return false;
    }
    for (size_t i = 0; i < count; i++) x[i] = (float)pix[i] / 255.0f;   // [0, 1]
    for (uint32_t i = 0; i < n; i++) y[i] = lab[i];

    snprintf(d->name, sizeof d->name, "idx");
    d->n = (int)n;
    d->dim = (int)dim;
    d->rows = (int)im.dims[1];
    d->cols = (int)im.dims[2];
    d->n_classes = IDX_CLASSES;
    d->x = x;
    d->y = y;
    return true;
}

bool idx_parse(const unsigned char *images, size_t images_len, const unsigned char *labels,
               size_t labels_len, Dataset *d, char *err, size_t errlen)
{
    return idx_parse_named(images, images_len, "images", labels, labels_len, "labels", d, err,
                           errlen);
}

/* Read the whole of `path`, an IDX file with the given magic and `ndims` dimensions, into
 * *buf (malloc'ed, *len bytes). The header is checked against the file size before anything
 * is allocated, so a file of the wrong shape costs no memory; idx_parse_named then checks
 * the whole buffer again with the same function. On error returns false, fills err and
 * leaves nothing allocated. */
static bool idx_read_file(const char *path, uint32_t magic, int ndims, const char *kind,
                          unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s); get the data with: make data", path,
                 strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a directory?); expected an IDX %s "
                 "file, get it with: make data", path, kind);
        goto fail;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        snprintf(err, errlen, "%s: %lld bytes do not fit in memory on this machine", path,
                 (long long)st.st_size);
        goto fail;
    }
    size_t fsize = (size_t)st.st_size;

    unsigned char h[16];
    size_t got = fread(h, 1, 4 + 4 * (size_t)ndims, f);
    IdxHeader hdr;
    if (!idx_check_header(h, got, fsize, magic, ndims, path, kind, &hdr, err, errlen))
        goto fail;

    *buf = malloc(fsize);   // > 0: the header check passed
    if (!*buf) {
        snprintf(err, errlen, "%s: out of memory reading %zu bytes", path, fsize);
        goto fail;
    }
    memcpy(*buf, h, got);
    if (fread(*buf + got, 1, fsize - got, f) != fsize - got || fgetc(f) != EOF) {
        snprintf(err, errlen, "%s: read error (%s); is the file being rewritten? run: make data",
                 path, ferror(f) ? strerror(errno) : "file changed size while reading");
        goto fail;
    }
    fclose(f);
    *len = fsize;
    return true;
fail:
    fclose(f);
    free(*buf);
    *buf = NULL;
    return false;
}

bool idx_load(const char *images_path, const char *labels_path, Dataset *d, char *err,
              size_t errlen)
{
    memset(d, 0, sizeof *d);
    unsigned char *im, *lb;
    size_t im_len, lb_len;
    if (!idx_read_file(images_path, IDX_MAGIC_IMAGES, 3, "image", &im, &im_len, err, errlen))
        return false;
    if (!idx_read_file(labels_path, IDX_MAGIC_LABELS, 1, "label", &lb, &lb_len, err, errlen)) {
        free(im);
        return false;
    }
    bool ok = idx_parse_named(im, im_len, images_path, lb, lb_len, labels_path, d, err, errlen);
    free(im);
    free(lb);
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
