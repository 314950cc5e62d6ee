/* common/train/checkpoint.c — see train/checkpoint.h. */
#include "train/checkpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

static const uint8_t MAGIC[8] = {'D', 'L', 'C', 'K', 'P', 'T', '\r', '\n'};
#define MAX_FILE ((size_t)1 << 34)   // 16 GiB: far above any model of the course

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {   // the table of the reflected polynomial 0xEDB88320, built once
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static size_t type_size(CkptType t)
{
    switch (t) {
    case DL_CKPT_F32: case DL_CKPT_I32: return 4;
    case DL_CKPT_F64: case DL_CKPT_U64: return 8;
    }
    return 0;
}

// ---- writing ----

static void put_bytes(CkptWriter *w, const void *p, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 1 << 16;
        while (cap < w->len + n) cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        DL_CHECK(b, "checkpoint: out of memory for %zu bytes", cap);
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_le(CkptWriter *w, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, (size_t)bytes);
}

static void put_name(CkptWriter *w, const char *name)
{
    size_t n = strlen(name);
    DL_CHECK(n >= 1 && n < DL_CKPT_NAME, "checkpoint: the name '%s' must have 1 to %d characters",
             name, DL_CKPT_NAME - 1);
    put_le(w, n, 2);
    put_bytes(w, name, n);
}

void ckpt_writer_init(CkptWriter *w, const char *model)
{
    *w = (CkptWriter){0};
    put_bytes(w, MAGIC, sizeof MAGIC);
    put_le(w, DL_CKPT_VERSION, 4);
    put_name(w, model);
    w->count_at = w->len;
    put_le(w, 0, 4);   // the record count, filled in by ckpt_writer_save
}

void ckpt_put(CkptWriter *w, const char *name, CkptType type, const void *values, int ndim,
              const int *shape)
{
    DL_CHECK(type_size(type) && ndim >= 0 && ndim <= DL_CKPT_MAX_DIMS,
             "checkpoint: record '%s' has type %d and %d dimensions", name, (int)type, ndim);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        DL_CHECK(shape[i] >= 0, "checkpoint: record '%s' has a negative size", name);
        count *= (size_t)shape[i];
    }
    put_name(w, name);
    put_le(w, (uint64_t)type, 1);
    put_le(w, (uint64_t)ndim, 1);
    for (int i = 0; i < ndim; i++) put_le(w, (uint64_t)shape[i], 4);
    const size_t es = type_size(type);
    const uint8_t *p = values;
    for (size_t i = 0; i < count; i++, p += es) {   // little-endian whatever the machine
        uint64_t v = 0;
        if (es == 4) {
            uint32_t u;
            memcpy(&u, p, 4);
            v = u;
        } else {
            memcpy(&v, p, 8);
        }
        put_le(w, v, (int)es);
    }
    w->n_records++;
}

void ckpt_put_f32(CkptWriter *w, const char *name, const float *x, size_t n)
{
    ckpt_put(w, name, DL_CKPT_F32, x, 1, (int[]){(int)n});
}
void ckpt_put_i32(CkptWriter *w, const char *name, const int *x, size_t n)
{
    ckpt_put(w, name, DL_CKPT_I32, x, 1, (int[]){(int)n});
}
void ckpt_put_f64(CkptWriter *w, const char *name, const double *x, size_t n)
{
    ckpt_put(w, name, DL_CKPT_F64, x, 1, (int[]){(int)n});
}
void ckpt_put_u64(CkptWriter *w, const char *name, uint64_t v)
{
    ckpt_put(w, name, DL_CKPT_U64, &v, 0, NULL);
}

bool ckpt_writer_save(CkptWriter *w, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < 4; i++) w->buf[w->count_at + i] = (uint8_t)(w->n_records >> (8 * i));
    put_le(w, crc32_update(0, w->buf, w->len), 4);
    bool ok = false;
    FILE *f = atomic_open(path);
    if (f) {
        bool wrote = fwrite(w->buf, 1, w->len, f) == w->len;
        if (wrote) ok = atomic_close(f, path);
        else atomic_abort(f, path);
    }
    if (!ok)
        snprintf(err, errlen, "cannot write the checkpoint %s: %s (is the folder writable and "
                 "the disk not full?)", path, strerror(errno));
    free(w->buf);
    *w = (CkptWriter){0};
    return ok;
}

// ---- reading ----

typedef struct Reader {
    const uint8_t *p;
    size_t len, pos;
} Reader;

static bool get_le(Reader *r, int bytes, uint64_t *v)
{
    if (r->len - r->pos < (size_t)bytes) return false;
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++) x |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += (size_t)bytes;
    *v = x;
    return true;
}

static bool get_name(Reader *r, char *out)
{
    uint64_t n;
    if (!get_le(r, 2, &n) || n < 1 || n >= DL_CKPT_NAME || r->len - r->pos < n) return false;
    memcpy(out, r->p + r->pos, n);
    out[n] = '\0';
    r->pos += n;
    return memchr(out, '\0', n) == NULL;   // no NUL inside a name
}

__attribute__((format(printf, 3, 4)))
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* fail() for a parse that has begun to fill c: the message first (it may name a record, which
 * lives in c->records), then c is emptied. */
__attribute__((format(printf, 4, 5)))
static bool refuse(Checkpoint *c, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    checkpoint_free(c);
    return false;
}

bool checkpoint_parse(const uint8_t *buf, size_t len, const char *path, Checkpoint *c,
                      char *err, size_t errlen)
{
    *c = (Checkpoint){0};
    snprintf(c->path, sizeof c->path, "%s", path ? path : "(memory)");
    const char *P = c->path;
    if (len < sizeof MAGIC || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        return fail(err, errlen, "%s is not a checkpoint of this course (its first bytes are not "
                    "\"DLCKPT\\r\\n\"); pass a file written by --save or by Ctrl-C", P);
    Reader r = {buf, len, sizeof MAGIC};
    uint64_t v;
    if (!get_le(&r, 4, &v))
        return fail(err, errlen, "%s is truncated: it ends inside the header (%zu bytes)", P, len);
    c->version = (uint32_t)v;
    if (c->version != DL_CKPT_VERSION)
        return fail(err, errlen, "%s has checkpoint format version %u, this program reads version "
                    "%d: it was written by another version of the course; train again (or use "
                    "the matching version)", P, c->version, DL_CKPT_VERSION);
    if (!get_name(&r, c->model))
        return fail(err, errlen, "%s is corrupt or truncated: bad model name in the header", P);
    if (!get_le(&r, 4, &v))
        return fail(err, errlen, "%s is truncated: it ends inside the header (%zu bytes)", P, len);
    // Each record takes at least 6 bytes, so a count above that bound is corrupt.
    if (v > (len - r.pos) / 6)
        return fail(err, errlen, "%s is corrupt or truncated: it claims %llu records in %zu "
                    "bytes", P, (unsigned long long)v, len);
    c->n_records = (int)v;
    c->records = calloc(c->n_records ? (size_t)c->n_records : 1, sizeof *c->records);
    DL_CHECK(c->records, "checkpoint: out of memory for %d records", c->n_records);
    for (int i = 0; i < c->n_records; i++) {
        CkptRecord *rec = &c->records[i];
        uint64_t type, ndim;
        if (!get_name(&r, rec->name) || !get_le(&r, 1, &type) || !get_le(&r, 1, &ndim))
            return refuse(c, err, errlen, "%s is truncated or corrupt: record %d of %d has no "
                          "valid header (at byte %zu of %zu)", P, i + 1, (int)v, r.pos, len);
        rec->type = (CkptType)type;
        rec->ndim = (int)ndim;
        size_t es = type_size(rec->type);
        if (!es || ndim > DL_CKPT_MAX_DIMS)
            return refuse(c, err, errlen, "%s is corrupt: record '%s' has type %d and %d "
                          "dimensions", P, rec->name, (int)type, (int)ndim);
        size_t count = 1;
        for (int d = 0; d < rec->ndim; d++) {
            uint64_t s;
            if (!get_le(&r, 4, &s) || s > 0x7fffffff || (s && count > MAX_FILE / s))
                return refuse(c, err, errlen, "%s is truncated or corrupt: record '%s' has a "
                              "bad shape", P, rec->name);
            rec->shape[d] = (int)s;
            count *= s;
        }
        rec->count = count;
        if ((len - r.pos) / es < count)
            return refuse(c, err, errlen, "%s is truncated: record '%s' needs %zu bytes, the "
                          "file has %zu left (an interrupted copy or download?)", P, rec->name,
                          count * es, len - r.pos);
        rec->data = buf + r.pos;   // re-pointed into the copy below
        r.pos += count * es;
    }
    size_t body = r.pos;
    if (!get_le(&r, 4, &v))
        return refuse(c, err, errlen, "%s is truncated: the checksum at the end is missing", P);
    if (r.pos != len)
        return refuse(c, err, errlen, "%s is corrupt: %zu bytes follow the checksum", P,
                      len - r.pos);
    uint32_t crc = crc32_update(0, buf, body);
    if (crc != (uint32_t)v)
        return refuse(c, err, errlen, "%s is corrupt: its checksum is %08x, the contents give "
                      "%08x (a changed or damaged file); use another checkpoint or train again",
                      P, (unsigned)v, (unsigned)crc);
    c->buf = dl_malloc(len, "checkpoint bytes");
    memcpy(c->buf, buf, len);
    c->len = len;
    for (int i = 0; i < c->n_records; i++)
        c->records[i].data = c->buf + (c->records[i].data - buf);
    return true;
}

bool checkpoint_read(const char *path, Checkpoint *c, char *err, size_t errlen)
{
    *c = (Checkpoint){0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "cannot open the checkpoint %s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE) {
                free(buf);
                fclose(f);
                return fail(err, errlen, "%s is larger than %zu bytes: not a checkpoint", path,
                            MAX_FILE);
            }
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *b = realloc(buf, cap);
            DL_CHECK(b, "checkpoint: out of memory reading %s (%zu bytes)", path, cap);
            buf = b;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    bool read_error = ferror(f);
    fclose(f);
    bool ok = !read_error && checkpoint_parse(buf, len, path, c, err, errlen);
    if (read_error) fail(err, errlen, "cannot read the checkpoint %s", path);
    free(buf);
    return ok;
}

void checkpoint_free(Checkpoint *c)
{
    free(c->buf);
    free(c->records);
    c->buf = NULL;
    c->records = NULL;
    c->n_records = 0;
}

const CkptRecord *checkpoint_find(const Checkpoint *c, const char *name)
{
    for (int i = 0; i < c->n_records; i++)
        if (strcmp(c->records[i].name, name) == 0) return &c->records[i];
    return NULL;
}

static const char *type_name(CkptType t)
{
    switch (t) {
    case DL_CKPT_F32: return "float32";
    case DL_CKPT_I32: return "int32";
    case DL_CKPT_F64: return "float64";
    case DL_CKPT_U64: return "uint64";
    }
    return "?";
}

bool checkpoint_get(const Checkpoint *c, const char *name, CkptType type, void *dst,
                    size_t count, char *err, size_t errlen)
{
    const CkptRecord *r = checkpoint_find(c, name);
    if (!r)
        return fail(err, errlen, "%s has no record '%s': it was written by a model of another "
                    "architecture or configuration", c->path, name);
    if (r->type != type)
        return fail(err, errlen, "%s: record '%s' holds %s values, expected %s", c->path, name,
                    type_name(r->type), type_name(type));
    if (r->count != count)
        return fail(err, errlen, "%s: record '%s' has %zu values, this run has %zu (another "
                    "model size, batch size or data set?)", c->path, name, r->count, count);
    const size_t es = type_size(type);
    uint8_t *out = dst;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = 0;
        for (size_t k = 0; k < es; k++) v |= (uint64_t)r->data[i * es + k] << (8 * k);
        if (es == 4) {
            uint32_t u = (uint32_t)v;
            memcpy(out + i * 4, &u, 4);
        } else {
            memcpy(out + i * 8, &v, 8);
        }
    }
    return true;
}
