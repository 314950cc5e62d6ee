/* tests/test_data.c — the data module: MNIST from data/, corrupt IDX files, synthetic sets,
 * slicing and the Batcher.
 * Run from the repo root (make test does): the real-MNIST tests read data/mnist/, which
 * `make data` fills; without it they fail and say so.
 */
#include "testutil.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rng.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/synthetic.h"

// ---- helpers: tiny IDX files written into a temporary folder ----

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void write_bytes(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* An IDX image file of n images of rows x cols, pixel (i, p) = (i + p) % 256, with `extra`
 * bytes more (> 0, trailing junk) or fewer (< 0, truncated) than a valid file. */
static void write_images(const char *path, uint32_t magic, uint32_t n, uint32_t rows,
                         uint32_t cols, long extra)
{
    size_t len = 16 + (size_t)n * rows * cols;
    len = (size_t)((long)len + extra);
    unsigned char *buf = calloc(len > 16 ? len : 16, 1);
    ck_assert_ptr_nonnull(buf);
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    for (size_t i = 16; i < len; i++) buf[i] = (unsigned char)(i - 16);
    write_bytes(path, buf, len);
    free(buf);
}

/* Only the 16-byte header of an image file, claiming n images of rows x cols. */
static void write_header(const char *path, uint32_t n, uint32_t rows, uint32_t cols)
{
    unsigned char h[16];
    put_be32(h, 2051);
    put_be32(h + 4, n);
    put_be32(h + 8, rows);
    put_be32(h + 12, cols);
    write_bytes(path, h, sizeof h);
}

/* An IDX label file holding labels[0..n). */
static void write_labels(const char *path, uint32_t magic, const unsigned char *labels,
                         uint32_t n)
{
    unsigned char *buf = malloc(8 + (size_t)n);
    ck_assert_ptr_nonnull(buf);
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    memcpy(buf + 8, labels, n);
    write_bytes(path, buf, 8 + (size_t)n);
    free(buf);
}

static char tmp[64], img_path[128], lbl_path[128];
static const unsigned char LABELS3[3] = {7, 0, 9};

// A fresh folder with a valid 3-image 2x2 set: img_path, lbl_path.
static void setup_tmp(void)
{
    dl_tmpdir(tmp, sizeof tmp);
    snprintf(img_path, sizeof img_path, "%s/images", tmp);
    snprintf(lbl_path, sizeof lbl_path, "%s/labels", tmp);
    write_images(img_path, 2051, 3, 2, 2, 0);
    write_labels(lbl_path, 2049, LABELS3, 3);
}
static void teardown_tmp(void) { dl_rm_rf(tmp); }

/* The whole of `path` (malloc'ed, *len bytes), or NULL when it is not a readable regular file. */
static unsigned char *read_bytes(const char *path, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return NULL;
    }
    *len = (size_t)st.st_size;
    unsigned char *buf = malloc(*len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

/* s with every `from` replaced by `to`, in place (to is no longer than from). */
static void replace_all(char *s, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to);
    for (char *p = strstr(s, from); p; p = strstr(p + nt, from)) {
        memmove(p + nt, p + nf, strlen(p + nf) + 1);
        memcpy(p, to, nt);
    }
}

/* idx_load must fail, leave d empty, and say `phrase`. When both files can be read, idx_parse
 * on their bytes must fail with the same message, with "images" and "labels" for the paths:
 * there is one validation path. */
static void expect_load_error(const char *phrase)
{
    Dataset d;
    char err[512] = "";
    bool ok = idx_load(img_path, lbl_path, &d, err, sizeof err);
    ck_assert_msg(!ok, "idx_load accepted a bad file (expected an error about '%s')", phrase);
    ck_assert_msg(strstr(err, phrase) != NULL, "error message '%s' lacks '%s'", err, phrase);
    ck_assert_ptr_null(d.x);
    ck_assert_ptr_null(d.y);
    dataset_free(&d);   // harmless on an empty dataset

    size_t im_len = 0, lb_len = 0;
    unsigned char *im = read_bytes(img_path, &im_len), *lb = read_bytes(lbl_path, &lb_len);
    if (im && lb) {
        char perr[512] = "";
        ck_assert_msg(!idx_parse(im, im_len, lb, lb_len, &d, perr, sizeof perr),
                      "idx_parse accepted the bytes idx_load rejected ('%s')", err);
        if (strcmp(img_path, lbl_path) != 0) {   // one file as both: its name is ambiguous
            replace_all(err, img_path, "images");
            replace_all(err, lbl_path, "labels");
            ck_assert_str_eq(perr, err);
        }
        ck_assert_ptr_null(d.x);
        ck_assert_ptr_null(d.y);
    }
    free(im);
    free(lb);
}

/* idx_load must fail and its message contain every phrase (NULL-terminated list): the problem
 * and the file it names. */
static void expect_load_error_all(const char *const *phrases)
{
    for (int i = 0; phrases[i]; i++) expect_load_error(phrases[i]);
}
#define EXPECT_LOAD_ERROR(...) expect_load_error_all((const char *const[]){__VA_ARGS__, NULL})

// ---- the real data set (data/mnist, or data/fashion-mnist when make data had to fall back) ----
// `make data` puts MNIST in data/mnist, or — when MNIST cannot be had — Fashion-MNIST in
// data/fashion-mnist; mnist_load() prefers the first. These tests check whichever one it finds
// against that set's published facts, so they hold on every machine `make test` supports.

typedef struct KnownSet {
    const char *name;
    int n, first_label, counts[10];
    double mean_pixel;    // of the training images; < 0: not checked
} KnownSet;

static const KnownSet MNIST_TRAIN = {"mnist", 60000, 5,
    {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 0.1306605};   // the well-known 0.1307
static const KnownSet MNIST_TEST = {"mnist", 10000, 7,
    {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, -1};
static const KnownSet FASHION_TRAIN = {"fashion-mnist", 60000, 9,
    {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000}, 0.2860406};  // the well-known 0.2860
static const KnownSet FASHION_TEST = {"fashion-mnist", 10000, 9,
    {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, -1};

static void require_data(void)
{
    if (access("data/mnist/train-images-idx3-ubyte", R_OK) != 0 &&
        access("data/fashion-mnist/train-images-idx3-ubyte", R_OK) != 0)
        ck_abort_msg("neither data/mnist nor data/fashion-mnist holds the IDX files: run "
                     "`make data` first (and run the tests from the repo root, as `make test` does)");
}

/* Checks size, first label, class counts, that pixels span exactly [0, 1], and the mean pixel. */
static void check_known(const Dataset *d, const KnownSet *want)
{
    ck_assert_str_eq(d->name, want->name);
    ck_assert_int_eq(d->n, want->n);
    ck_assert_int_eq(d->dim, 784);
    ck_assert_int_eq(d->rows, 28);
    ck_assert_int_eq(d->cols, 28);
    ck_assert_int_eq(d->n_classes, 10);
    ck_assert_int_eq(d->y[0], want->first_label);
    int hist[10] = {0};
    for (int i = 0; i < d->n; i++) {
        ck_assert_msg(d->y[i] >= 0 && d->y[i] < 10, "label %d of example %d", d->y[i], i);
        hist[d->y[i]]++;
    }
    for (int c = 0; c < 10; c++)
        ck_assert_msg(hist[c] == want->counts[c], "%s class %d: %d examples, want %d", want->name,
                      c, hist[c], want->counts[c]);
    float lo = 1, hi = 0;
    double sum = 0;
    size_t count = (size_t)d->n * d->dim;
    for (size_t i = 0; i < count; i++) {
        lo = fminf(lo, d->x[i]);
        hi = fmaxf(hi, d->x[i]);
        sum += d->x[i];
    }
    ck_assert_msg(lo == 0.0f && hi == 1.0f, "pixels span [%g, %g], want [0, 1]", lo, hi);
    if (want->mean_pixel >= 0) dl_ck_close1("mean pixel", sum / (double)count, want->mean_pixel, 1e-6, 0);
}

START_TEST(test_mnist_load_train_split_matches_published_facts)
{
    require_data();
    Dataset d;
    char err[512];
    ck_assert_msg(mnist_load("data", true, &d, err, sizeof err), "%s", err);
    check_known(&d, strcmp(d.name, "mnist") == 0 ? &MNIST_TRAIN : &FASHION_TRAIN);
    dataset_free(&d);
}
END_TEST

START_TEST(test_mnist_load_test_split_matches_published_facts)
{
    require_data();
    Dataset d;
    char err[512];
    ck_assert_msg(mnist_load("data", false, &d, err, sizeof err), "%s", err);
    check_known(&d, strcmp(d.name, "mnist") == 0 ? &MNIST_TEST : &FASHION_TEST);
    dataset_free(&d);
}
END_TEST

// ---- IDX files, good and bad (each in a fresh temporary folder) ----

START_TEST(test_idx_small_file_loads_and_scales_pixels)
{
    Dataset d;
    char err[512];
    ck_assert_msg(idx_load(img_path, lbl_path, &d, err, sizeof err), "%s", err);
    ck_assert_int_eq(d.n, 3);
    ck_assert_int_eq(d.dim, 4);
    ck_assert_int_eq(d.rows, 2);
    ck_assert_int_eq(d.cols, 2);
    ck_assert_int_eq(d.n_classes, 10);
    for (int i = 0; i < 12; i++) dl_ck_close1("pixel", d.x[i], i / 255.0, 0, 1e-7);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(d.y[i], LABELS3[i]);
    dataset_free(&d);
    ck_assert_ptr_null(d.x);
}
END_TEST

START_TEST(test_idx_parse_in_memory_equals_idx_load_of_the_same_bytes)
{
    static const unsigned char L5[5] = {3, 1, 4, 1, 5};
    write_images(img_path, 2051, 5, 3, 4, 0);
    write_labels(lbl_path, 2049, L5, 5);
    size_t im_len = 0, lb_len = 0;
    unsigned char *im = read_bytes(img_path, &im_len), *lb = read_bytes(lbl_path, &lb_len);
    ck_assert_ptr_nonnull(im);
    ck_assert_ptr_nonnull(lb);
    ck_assert_uint_eq(im_len, 16 + 5 * 3 * 4);
    Dataset a, b;
    char err[512];
    ck_assert_msg(idx_load(img_path, lbl_path, &a, err, sizeof err), "%s", err);
    ck_assert_msg(idx_parse(im, im_len, lb, lb_len, &b, err, sizeof err), "%s", err);
    ck_assert_str_eq(b.name, a.name);
    ck_assert_int_eq(b.n, a.n);
    ck_assert_int_eq(b.dim, a.dim);
    ck_assert_int_eq(b.rows, a.rows);
    ck_assert_int_eq(b.cols, a.cols);
    ck_assert_int_eq(b.n_classes, a.n_classes);
    ck_assert_int_eq(a.n, 5);
    ck_assert_int_eq(a.dim, 12);
    ck_assert_msg(memcmp(b.x, a.x, (size_t)a.n * a.dim * sizeof *a.x) == 0, "pixels differ");
    ck_assert_msg(memcmp(b.y, a.y, (size_t)a.n * sizeof *a.y) == 0, "labels differ");
    for (int i = 0; i < 5; i++) ck_assert_int_eq(b.y[i], L5[i]);
    dataset_free(&a);
    dataset_free(&b);
    free(im);
    free(lb);
}
END_TEST

START_TEST(test_idx_parse_empty_buffers_rejected)
{
    Dataset d;
    char err[512] = "";
    ck_assert(!idx_parse(NULL, 0, NULL, 0, &d, err, sizeof err));
    ck_assert_str_eq(err, "images: file is 0 bytes, too short for an IDX image file "
                          "(truncated download? run: make data)");
    ck_assert_ptr_null(d.x);
}
END_TEST

START_TEST(test_idx_missing_or_not_a_file_says_make_data)
{
    snprintf(img_path, sizeof img_path, "%s/no-such-file", tmp);
    expect_load_error("cannot open");
    expect_load_error("make data");
    expect_load_error("no-such-file");
    snprintf(img_path, sizeof img_path, "%s", tmp);   // a directory, which fopen accepts
    expect_load_error("not a regular file");
}
END_TEST

START_TEST(test_idx_truncated_images_rejected)
{
    write_images(img_path, 2051, 3, 2, 2, -5);
    expect_load_error("file is 23 bytes, expected 28 for 3 images of 2x2 (truncated");
}
END_TEST

START_TEST(test_idx_trailing_bytes_rejected)
{
    write_images(img_path, 2051, 3, 2, 2, 7);
    expect_load_error("file is 35 bytes, expected 28 for 3 images of 2x2 (trailing bytes");
}
END_TEST

START_TEST(test_idx_short_header_rejected)
{
    write_images(img_path, 2051, 3, 2, 2, -26);   // 2 bytes
    expect_load_error("too short");
    write_images(img_path, 2051, 3, 2, 2, -18);   // the magic and half a header
    expect_load_error("too short for the 16-byte IDX header");
}
END_TEST

START_TEST(test_idx_wrong_image_magic_rejected)
{
    write_images(img_path, 0x12345678u, 3, 2, 2, 0);
    EXPECT_LOAD_ERROR("not an IDX image file", "magic 0x12345678",
                      "expected 0x00000803", img_path);
}
END_TEST

START_TEST(test_idx_wrong_label_magic_rejected)
{
    write_labels(lbl_path, 0x12345678u, LABELS3, 3);
    EXPECT_LOAD_ERROR("not an IDX label file", "magic 0x12345678",
                      "expected 0x00000801", lbl_path);
}
END_TEST

// The whole 32-bit magic is compared: a loader that looks only at its low 16 bits (0x0803,
// 0x0801) or only at its last byte would accept these.
START_TEST(test_idx_magic_wrong_only_in_high_bytes_rejected)
{
    static const uint32_t image_magics[] = {0x01000803u, 0x00010803u};
    static const uint32_t label_magics[] = {0x00010801u, 0x01000801u};
    for (int i = 0; i < 2; i++) {
        char magic[32];
        write_images(img_path, image_magics[i], 3, 2, 2, 0);
        snprintf(magic, sizeof magic, "magic 0x%08x", (unsigned)image_magics[i]);
        EXPECT_LOAD_ERROR("not an IDX image file", magic, img_path);
        write_images(img_path, 2051, 3, 2, 2, 0);
        write_labels(lbl_path, label_magics[i], LABELS3, 3);
        snprintf(magic, sizeof magic, "magic 0x%08x", (unsigned)label_magics[i]);
        EXPECT_LOAD_ERROR("not an IDX label file", magic, lbl_path);
        write_labels(lbl_path, 2049, LABELS3, 3);
    }
}
END_TEST

// An image file where the labels belong and a label file where the images belong: each is
// rejected by name, and the message points at the mix-up.
START_TEST(test_idx_image_and_label_files_swapped_rejected)
{
    char images[128], labels[128];
    snprintf(images, sizeof images, "%s", img_path);
    snprintf(labels, sizeof labels, "%s", lbl_path);

    snprintf(lbl_path, sizeof lbl_path, "%s", images);   // images given as the label file
    EXPECT_LOAD_ERROR("not an IDX label file", "magic 0x00000803",
                      "this is an image file: arguments swapped?", images);
    snprintf(lbl_path, sizeof lbl_path, "%s", labels);
    snprintf(img_path, sizeof img_path, "%s", labels);   // labels given as the image file
    EXPECT_LOAD_ERROR("not an IDX image file", "magic 0x00000801",
                      "this is a label file: arguments swapped?", labels);
    snprintf(lbl_path, sizeof lbl_path, "%s", images);   // both swapped
    EXPECT_LOAD_ERROR("not an IDX image file", "arguments swapped?", labels);
}
END_TEST

START_TEST(test_idx_gzip_file_says_still_compressed)
{
    static const unsigned char GZ[20] = {0x1f, 0x8b, 0x08, 0x08, 0x3a, 0x1b, 0x90, 0x32};
    write_bytes(img_path, GZ, sizeof GZ);
    expect_load_error("magic 0x1f8b0808: still gzip-compressed? run: make data");
}
END_TEST

START_TEST(test_idx_zero_dimension_rejected)
{
    write_images(img_path, 2051, 3, 0, 2, 0);
    expect_load_error("dimension 1 of the IDX header is 0");
    write_images(img_path, 2051, 0, 2, 2, 0);
    expect_load_error("dimension 0 of the IDX header is 0");
}
END_TEST

START_TEST(test_idx_huge_dimensions_rejected)
{
    write_header(img_path, 3, 65536, 65536);      // rows * cols overflows 32 bits
    expect_load_error("implausible IDX sizes");
    write_header(img_path, 0xffffffffu, 1, 1);
    expect_load_error("implausible IDX sizes");
}
END_TEST

START_TEST(test_idx_label_count_mismatch_rejected)
{
    static const unsigned char L4[4] = {1, 2, 3, 4};
    write_labels(lbl_path, 2049, L4, 4);
    expect_load_error("has 4 labels but");
    expect_load_error("has 3 images; the counts must match");
}
END_TEST

START_TEST(test_idx_label_out_of_range_rejected)
{
    static const unsigned char L3[3] = {1, 10, 2};
    write_labels(lbl_path, 2049, L3, 3);
    expect_load_error("label 10 of example 1 is out of range, expected 0..9");
}
END_TEST

START_TEST(test_mnist_load_missing_says_make_data)
{
    Dataset d;
    char err[512] = "";
    ck_assert(!mnist_load(tmp, true, &d, err, sizeof err));
    ck_assert_msg(strstr(err, "MNIST not found: looked for") && strstr(err, "/mnist/train-images-idx3-ubyte")
                  && strstr(err, "make data"), "unhelpful message: %s", err);
    ck_assert_ptr_null(d.x);
}
END_TEST

START_TEST(test_mnist_load_falls_back_to_fashion_mnist)
{
    char dir[128], p[200];
    snprintf(dir, sizeof dir, "%s/fashion-mnist", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_images(p, 2051, 3, 2, 2, 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_labels(p, 2049, LABELS3, 3);
    Dataset d;
    char err[512];
    ck_assert_msg(mnist_load(tmp, false, &d, err, sizeof err), "%s", err);
    ck_assert_str_eq(d.name, "fashion-mnist");
    ck_assert_int_eq(d.n, 3);
    dataset_free(&d);
    // A broken file in the chosen folder is reported, not skipped.
    write_labels(p, 2049, LABELS3, 2);
    ck_assert(!mnist_load(tmp, false, &d, err, sizeof err));
    ck_assert_msg(strstr(err, "counts must match"), "%s", err);
}
END_TEST

// ---- synthetic sets ----

typedef void (*MakeFn)(Dataset *, int, float, Rng *);
static const struct { const char *name; MakeFn make; } SETS[] = {
    {"blobs", dataset_blobs}, {"xor", dataset_xor},
    {"spirals", dataset_spirals}, {"moons", dataset_moons},
};

START_TEST(test_synthetic_sets_deterministic_and_balanced)
{
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        Dataset a, b, c;
        Rng ra, rb, rc;
        rng_seed(&ra, 42);
        rng_seed(&rb, 42);
        rng_seed(&rc, 43);
        SETS[s].make(&a, 101, 0.1f, &ra);
        SETS[s].make(&b, 101, 0.1f, &rb);
        SETS[s].make(&c, 101, 0.1f, &rc);
        ck_assert_str_eq(a.name, SETS[s].name);
        ck_assert_int_eq(a.n, 101);
        ck_assert_int_eq(a.dim, 2);
        ck_assert_int_eq(a.n_classes, 2);
        ck_assert_msg(memcmp(a.x, b.x, 101 * 2 * sizeof(float)) == 0 &&
                      memcmp(a.y, b.y, 101 * sizeof(int)) == 0,
                      "%s: same seed, different data", a.name);
        ck_assert_msg(memcmp(a.x, c.x, 101 * 2 * sizeof(float)) != 0,
                      "%s: seeds 42 and 43 gave the same data", a.name);
        int ones = 0;
        for (int i = 0; i < a.n; i++) {
            ck_assert_msg(a.y[i] == 0 || a.y[i] == 1, "%s: label %d", a.name, a.y[i]);
            ck_assert_msg(isfinite(a.x[2 * i]) && isfinite(a.x[2 * i + 1]), "%s: NaN", a.name);
            ones += a.y[i];
        }
        ck_assert_msg(ones == 50 || ones == 51, "%s: %d of 101 labels are 1", a.name, ones);
        dataset_free(&a);
        dataset_free(&b);
        dataset_free(&c);
    }
}
END_TEST

START_TEST(test_blobs_linearly_separable_with_gap)
{
    Rng r;
    rng_seed(&r, 7);
    Dataset d;
    const float gap = 0.5f;
    dataset_blobs(&d, 1000, gap, &r);
    // Margin along (1, 1)/√2: at least gap/2 on the label's side of 0.
    for (int i = 0; i < d.n; i++) {
        float proj = (d.x[2 * i] + d.x[2 * i + 1]) * 0.70710678f;
        float signed_proj = d.y[i] ? proj : -proj;
        ck_assert_msg(signed_proj >= gap / 2 - 1e-6f, "example %d is %g from the boundary",
                      i, (double)signed_proj);
    }
    // Independent evidence: the perceptron rule finds a separating line (Novikoff: it
    // converges on separable data).
    float w0 = 0, w1 = 0, bias = 0;
    int mistakes = 1, epochs = 0;
    for (; mistakes && epochs < 1000; epochs++) {
        mistakes = 0;
        for (int i = 0; i < d.n; i++) {
            float t = d.y[i] ? 1.0f : -1.0f;
            if (t * (w0 * d.x[2 * i] + w1 * d.x[2 * i + 1] + bias) <= 0) {
                w0 += t * d.x[2 * i];
                w1 += t * d.x[2 * i + 1];
                bias += t;
                mistakes++;
            }
        }
    }
    ck_assert_msg(mistakes == 0, "perceptron still makes %d mistakes after %d epochs",
                  mistakes, epochs);
    dataset_free(&d);
}
END_TEST

START_TEST(test_noiseless_sets_lie_on_their_curves)
{
    Rng r;
    rng_seed(&r, 3);
    Dataset d;
    const double pi = 3.14159265358979323846;

    dataset_xor(&d, 40, 0.0f, &r);
    for (int i = 0; i < d.n; i++) {
        float x = d.x[2 * i], y = d.x[2 * i + 1];
        ck_assert_msg(fabsf(x) == 1 && fabsf(y) == 1, "xor point (%g, %g)", x, y);
        ck_assert_int_eq(d.y[i], x * y < 0);
    }
    dataset_free(&d);

    // moons: label 0 on the unit circle's upper half, label 1 on the one centred (1, 0.5).
    dataset_moons(&d, 41, 0.0f, &r);
    int zeros = 0;
    for (int i = 0; i < d.n; i++) {
        double x = d.x[2 * i], y = d.x[2 * i + 1];
        double cx = d.y[i] ? 1.0 : 0.0, cy = d.y[i] ? 0.5 : 0.0;
        dl_ck_close1("moon radius", hypot(x - cx, y - cy), 1.0, 1e-6, 0);
        ck_assert(d.y[i] ? y <= 0.5 + 1e-6 : y >= -1e-6);
        zeros += d.y[i] == 0;
    }
    ck_assert_int_eq(zeros, 20);   // n/2 outer points, as make_moons
    dataset_free(&d);

    // spirals: angle = 3π·radius + label·π (mod 2π).
    dataset_spirals(&d, 200, 0.0f, &r);
    for (int i = 0; i < d.n; i++) {
        double x = d.x[2 * i], y = d.x[2 * i + 1], t = hypot(x, y);
        ck_assert(t < 1.0);
        if (t < 1e-3) continue;    // the angle is ill-defined near the centre
        double want = 3 * pi * t + d.y[i] * pi;
        double diff = remainder(atan2(y, x) - want, 2 * pi);
        ck_assert_msg(fabs(diff) < 1e-4, "spiral point %d off its arm by %g rad", i, diff);
    }
    dataset_free(&d);
}
END_TEST

// ---- slicing ----

/* n examples of dim 3 with x[i] = (i, i + 0.25, i + 0.5) and labels i % n_classes. */
static void make_counting(Dataset *d, int n, int n_classes)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "counting");
    d->n = n;
    d->dim = 3;
    d->rows = 1;
    d->cols = 3;
    d->n_classes = n_classes;
    d->x = malloc((size_t)n * 3 * sizeof(float));
    d->y = malloc((size_t)n * sizeof(int));
    ck_assert(d->x && d->y);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 3; j++) d->x[3 * i + j] = (float)i + 0.25f * (float)j;
        d->y[i] = i % n_classes;
    }
}

START_TEST(test_slice_copies_the_range)
{
    Dataset d, s;
    make_counting(&d, 10, 4);
    dataset_slice(&d, 3, 5, &s);
    ck_assert_str_eq(s.name, "counting");
    ck_assert_int_eq(s.n, 5);
    ck_assert_int_eq(s.dim, 3);
    ck_assert_int_eq(s.n_classes, 4);
    for (int i = 0; i < 5; i++) {
        ck_assert(s.x[3 * i + 2] == (float)(i + 3) + 0.5f);
        ck_assert_int_eq(s.y[i], (i + 3) % 4);
    }
    dataset_free(&s);
    dataset_slice(&d, 10, 0, &s);   // an empty slice at the end is allowed
    ck_assert_int_eq(s.n, 0);
    dataset_free(&s);
    dataset_free(&d);
}
END_TEST

START_TEST(test_filter_classes_keeps_and_relabels)
{
    Dataset d, f;
    make_counting(&d, 20, 5);
    const int keep[2] = {3, 1};   // 3 -> 0, 1 -> 1
    dataset_filter_classes(&d, keep, 2, &f);
    ck_assert_int_eq(f.n, 8);
    ck_assert_int_eq(f.n_classes, 2);
    ck_assert_int_eq(f.dim, 3);
    static const int SRC[8] = {1, 3, 6, 8, 11, 13, 16, 18};   // labels 1 and 3, in order
    for (int i = 0; i < f.n; i++) {
        ck_assert(f.x[3 * i] == (float)SRC[i] && f.x[3 * i + 1] == (float)SRC[i] + 0.25f);
        ck_assert_int_eq(f.y[i], SRC[i] % 5 == 3 ? 0 : 1);
    }
    dataset_free(&f);
    dataset_free(&d);
}
END_TEST

// ---- Batcher ----

/* Runs one epoch; seen[i] counts how often example i came; order[] gets the sequence.
 * Returns the number of batches; sizes[] gets their sizes. */
static int run_epoch(Batcher *b, int *seen, int *order, int *sizes)
{
    const Dataset *d = b->d;
    float *x = malloc((size_t)b->batch * d->dim * sizeof(float));
    int *y = malloc((size_t)b->batch * sizeof(int));
    ck_assert(x && y);
    int batches = 0, pos = 0, m;
    while ((m = batcher_next(b, x, y)) > 0) {
        sizes[batches++] = m;
        for (int i = 0; i < m; i++) {
            int k = (int)x[i * d->dim];            // make_counting: x[k][0] = k
            ck_assert(k >= 0 && k < d->n);
            ck_assert_int_eq(y[i], d->y[k]);       // the label travels with its example
            ck_assert(x[i * d->dim + 2] == d->x[k * d->dim + 2]);
            seen[k]++;
            order[pos++] = k;
        }
    }
    ck_assert_int_eq(pos, d->n);
    free(x);
    free(y);
    return batches;
}

START_TEST(test_batcher_each_example_once_per_epoch)
{
    Dataset d;
    make_counting(&d, 103, 10);
    Rng r;
    rng_seed(&r, 11);
    Batcher b;
    batcher_init(&b, &d, 10, true, &r);
    ck_assert_int_eq(batcher_steps_per_epoch(&b), 11);
    int order1[103], order2[103], sizes[16];
    for (int epoch = 0; epoch < 2; epoch++) {
        int seen[103] = {0};
        int batches = run_epoch(&b, seen, epoch ? order2 : order1, sizes);
        ck_assert_int_eq(batches, 11);
        for (int i = 0; i < 10; i++) ck_assert_int_eq(sizes[i], 10);
        ck_assert_int_eq(sizes[10], 3);             // the last batch is the remainder
        for (int i = 0; i < 103; i++) ck_assert_msg(seen[i] == 1, "example %d seen %d times", i, seen[i]);
    }
    ck_assert_msg(memcmp(order1, order2, sizeof order1) != 0, "epoch 2 repeated epoch 1's order");
    int in_place = 0;
    for (int i = 0; i < 103; i++) in_place += order1[i] == i;
    ck_assert_msg(in_place < 10, "the first epoch is barely shuffled (%d in place)", in_place);
    batcher_free(&b);
    dataset_free(&d);
}
END_TEST

START_TEST(test_batcher_deterministic_for_a_seed)
{
    Dataset d;
    make_counting(&d, 50, 3);
    int orders[2][3][50], sizes[16], seen[50];
    for (int run = 0; run < 2; run++) {
        Rng r;
        rng_seed(&r, 2024);
        Batcher b;
        batcher_init(&b, &d, 8, true, &r);
        for (int epoch = 0; epoch < 3; epoch++) run_epoch(&b, seen, orders[run][epoch], sizes);
        batcher_free(&b);
    }
    ck_assert(memcmp(orders[0], orders[1], sizeof orders[0]) == 0);
    dataset_free(&d);
}
END_TEST

START_TEST(test_batcher_without_shuffle_keeps_order)
{
    Dataset d;
    make_counting(&d, 7, 2);
    Batcher b;
    batcher_init(&b, &d, 7, false, NULL);
    ck_assert_int_eq(batcher_steps_per_epoch(&b), 1);
    int order[7], sizes[4], seen[7] = {0};
    ck_assert_int_eq(run_epoch(&b, seen, order, sizes), 1);
    ck_assert_int_eq(sizes[0], 7);
    for (int i = 0; i < 7; i++) ck_assert_int_eq(order[i], i);
    batcher_free(&b);
    dataset_free(&d);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *mnist = tcase_create("mnist");
    tcase_set_timeout(mnist, 60);
    tcase_add_test(mnist, test_mnist_load_train_split_matches_published_facts);
    tcase_add_test(mnist, test_mnist_load_test_split_matches_published_facts);
    suite_add_tcase(s, mnist);

    TCase *idx = tcase_create("idx");
    tcase_add_checked_fixture(idx, setup_tmp, teardown_tmp);
    tcase_add_test(idx, test_idx_small_file_loads_and_scales_pixels);
    tcase_add_test(idx, test_idx_parse_in_memory_equals_idx_load_of_the_same_bytes);
    tcase_add_test(idx, test_idx_parse_empty_buffers_rejected);
    tcase_add_test(idx, test_idx_missing_or_not_a_file_says_make_data);
    tcase_add_test(idx, test_idx_truncated_images_rejected);
    tcase_add_test(idx, test_idx_trailing_bytes_rejected);
    tcase_add_test(idx, test_idx_short_header_rejected);
    tcase_add_test(idx, test_idx_wrong_image_magic_rejected);
    tcase_add_test(idx, test_idx_wrong_label_magic_rejected);
    tcase_add_test(idx, test_idx_magic_wrong_only_in_high_bytes_rejected);
    tcase_add_test(idx, test_idx_image_and_label_files_swapped_rejected);
    tcase_add_test(idx, test_idx_gzip_file_says_still_compressed);
    tcase_add_test(idx, test_idx_zero_dimension_rejected);
    tcase_add_test(idx, test_idx_huge_dimensions_rejected);
    tcase_add_test(idx, test_idx_label_count_mismatch_rejected);
    tcase_add_test(idx, test_idx_label_out_of_range_rejected);
    tcase_add_test(idx, test_mnist_load_missing_says_make_data);
    tcase_add_test(idx, test_mnist_load_falls_back_to_fashion_mnist);
    suite_add_tcase(s, idx);

    TCase *syn = tcase_create("synthetic");
    tcase_add_test(syn, test_synthetic_sets_deterministic_and_balanced);
    tcase_add_test(syn, test_blobs_linearly_separable_with_gap);
    tcase_add_test(syn, test_noiseless_sets_lie_on_their_curves);
    tcase_add_test(syn, test_slice_copies_the_range);
    tcase_add_test(syn, test_filter_classes_keeps_and_relabels);
    tcase_add_test(syn, test_batcher_each_example_once_per_epoch);
    tcase_add_test(syn, test_batcher_deterministic_for_a_seed);
    tcase_add_test(syn, test_batcher_without_shuffle_keeps_order);
    suite_add_tcase(s, syn);
    return s;
}

DL_TEST_MAIN(data_suite)
