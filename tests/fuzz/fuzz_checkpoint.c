/* tests/fuzz/fuzz_checkpoint.c — libFuzzer target for the checkpoint loader: checkpoint_parse()
 * on any bytes, then checkpoint_find / checkpoint_get on every record it returns.
 * Build and run: make fuzz && make fuzz-run-checkpoint FUZZ_SECONDS=60   (see fuzz.mk)
 * Reproduce a crash: build/fuzz/fuzz_checkpoint build/fuzz/artifacts/checkpoint/crash-<sha1>
 *
 * Input layout (the seeds in tests/fuzz/corpus/checkpoint/ follow it; scripts/make_fuzz_seeds.sh
 * writes them):
 *   byte 0      the mode: bit 0 set (odd) = fix the checksum; bit 1 set = parse with path NULL
 *   the rest    the checkpoint "file"
 * The empty input is an empty file in mode 0.
 *
 * Why the checksum mode: the file ends with a CRC-32 of everything before it, so nearly every
 * random mutation of a valid seed is refused at the checksum, and the paths that follow a
 * successful parse (the records handed out, checkpoint_get) would almost never run. In an odd
 * mode the target overwrites the last 4 bytes of the file with the CRC-32 of the bytes before
 * them (crc32_update, little-endian, as ckpt_writer_save writes it) before parsing, so a
 * structurally mutated file has a correct checksum and is parsed, and accepted or refused, on
 * its structure alone. An even mode parses the bytes exactly as they are (the checksum check
 * itself, and files shorter than 4 bytes). The library knows nothing of this: the patching
 * happens here, on the target's own copy.
 *
 * The file is copied into a malloc'ed block of exactly its length, so ASan reports any read past
 * its end. Beyond "no crash, no leak, no hang", the target checks the loader's contract and
 * aborts (a crash to libFuzzer) when it is broken:
 *   - on failure err is filled, names the file, and the Checkpoint holds nothing;
 *   - on success the Checkpoint owns a copy of exactly the input, the header fields are in
 *     range, every record's name, type, shape and count are consistent, and the records, laid
 *     end to end from the header, account for every byte up to the checksum (so each record's
 *     data lies inside the copy, where the format puts it); the checksum matches;
 *   - checkpoint_find finds each record's name; checkpoint_get with the found record's own type
 *     and count succeeds and copies exactly its little-endian values; with one value more or
 *     fewer, another type or a name that cannot exist, it fails with a message;
 *   - checkpoint_free leaves the Checkpoint empty, and calling it again is harmless.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "fuzz.ckpt"

static void contract(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_checkpoint: broken contract: %s\n", what);
        abort();
    }
}

/* A malloc'ed block of n bytes (malloc(1) for n == 0, so the pointer is never NULL). */
static uint8_t *alloc(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

static size_t elem_size(CkptType t)
{
    switch (t) {
    case DL_CKPT_F32: case DL_CKPT_I32: return 4;
    case DL_CKPT_F64: case DL_CKPT_U64: return 8;
    }
    return 0;
}

static uint64_t le(const uint8_t *p, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Is s a terminated string of 1 .. DL_CKPT_NAME - 1 characters inside its array? */
static int name_ok(const char *s)
{
    const char *end = memchr(s, '\0', DL_CKPT_NAME);
    return end && end > s;
}

/* The checks after a successful parse of file[0..len). */
static void check_accepted(const Checkpoint *c, const uint8_t *file, size_t len, const char *path)
{
    contract(c->buf && c->buf != file && c->len == len, "an accepted checkpoint owns a copy");
    contract(memcmp(c->buf, file, len) == 0, "the copy holds the input bytes");
    contract(strcmp(c->path, path ? path : "(memory)") == 0, "the checkpoint knows its path");
    contract(c->version == DL_CKPT_VERSION, "an accepted checkpoint has this version");
    contract(name_ok(c->model), "the model name is 1 to 95 characters");
    contract(c->n_records >= 0 && c->records, "the records are there");

    // Walk the format from the header and compare with what the parser handed out.
    const uintptr_t base = (uintptr_t)c->buf;
    size_t pos = 8 + 4 + 2 + strlen(c->model) + 4;
    contract(pos <= len && le(c->buf + pos - 4, 4) == (uint64_t)c->n_records,
             "the record count is the header's");
    for (int i = 0; i < c->n_records; i++) {
        const CkptRecord *r = &c->records[i];
        contract(name_ok(r->name), "a record name is 1 to 95 characters");
        const size_t es = elem_size(r->type);
        contract(es != 0, "a record has a known type");
        contract(r->ndim >= 0 && r->ndim <= DL_CKPT_MAX_DIMS, "a record has 0 to 4 dimensions");
        size_t count = 1;
        for (int d = 0; d < r->ndim; d++) {
            contract(r->shape[d] >= 0, "a record's sizes are not negative");
            count *= (size_t)r->shape[d];
        }
        contract(r->count == count, "a record's count is the product of its shape");
        pos += 2 + strlen(r->name) + 1 + 1 + 4 * (size_t)r->ndim;
        // Compare addresses as integers: an out-of-range pointer must not be formed here.
        const uintptr_t at = (uintptr_t)r->data;
        contract(at >= base && at - base <= len, "a record's data lies inside the copy");
        contract(at - base == pos, "a record's data sits right after its header");
        contract(count <= (len - pos) / es, "a record's data ends inside the copy");
        pos += count * es;
    }
    contract(pos <= len && len - pos == 4, "the records and the checksum account for every byte");
    contract(crc32_update(0, c->buf, pos) == (uint32_t)le(c->buf + pos, 4),
             "an accepted checkpoint has a matching checksum");

    char err[700];
    for (int i = 0; i < c->n_records; i++) {
        const CkptRecord *r = &c->records[i];
        const CkptRecord *f = checkpoint_find(c, r->name);
        // Names may repeat (the format does not forbid it); find returns the first.
        contract(f && f >= c->records && f <= r && strcmp(f->name, r->name) == 0,
                 "checkpoint_find finds each record's name, at or before the record");
        const size_t es = elem_size(f->type);
        // Exactly count values, and a copy of them: ASan catches a write past dst.
        uint8_t *dst = alloc(f->count * es);
        err[0] = '\0';
        contract(checkpoint_get(c, f->name, f->type, dst, f->count, err, sizeof err),
                 "checkpoint_get succeeds with the record's own type and count");
        for (size_t k = 0; k < f->count; k++) {
            uint64_t want = le(f->data + k * es, es), got;
            if (es == 4) {
                uint32_t u;
                memcpy(&u, dst + k * 4, 4);
                got = u;
            } else {
                memcpy(&got, dst + k * 8, 8);
            }
            contract(got == want, "checkpoint_get copies the little-endian values");
        }
        // The error paths: one value more, one fewer, another type. dst is never written.
        err[0] = '\0';
        contract(!checkpoint_get(c, f->name, f->type, dst, f->count + 1, err, sizeof err) &&
                 err[0] && strstr(err, "values"), "checkpoint_get refuses a wrong count");
        if (f->count > 0) {
            err[0] = '\0';
            contract(!checkpoint_get(c, f->name, f->type, dst, f->count - 1, err, sizeof err) &&
                     err[0], "checkpoint_get refuses a smaller count");
        }
        const CkptType other = f->type == DL_CKPT_F32 ? DL_CKPT_I32 : DL_CKPT_F32;
        err[0] = '\0';
        contract(!checkpoint_get(c, f->name, other, dst, f->count, err, sizeof err) && err[0],
                 "checkpoint_get refuses another type");
        free(dst);
    }
    err[0] = '\0';
    contract(!checkpoint_find(c, "") && !checkpoint_get(c, "", DL_CKPT_F32, NULL, 0, err,
                                                        sizeof err) && err[0],
             "no record has an empty name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned mode = size ? data[0] : 0;
    const size_t len = size ? size - 1 : 0;
    uint8_t *file = alloc(len);
    if (len) memcpy(file, data + 1, len);
    if ((mode & 1) && len >= 4) {   // the checksum mode: see the top of this file
        const uint32_t crc = crc32_update(0, file, len - 4);
        for (int i = 0; i < 4; i++) file[len - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    }
    const char *path = (mode & 2) ? NULL : PATH;

    Checkpoint c;
    char err[700];
    err[0] = '\0';
    if (checkpoint_parse(file, len, path, &c, err, sizeof err)) {
        check_accepted(&c, file, len, path);
    } else {
        contract(err[0] != '\0' && strlen(err) < sizeof err, "a rejection says why");
        contract(strstr(err, path ? path : "(memory)") != NULL, "a rejection names the file");
        contract(!c.buf && !c.records && c.n_records == 0, "a rejected checkpoint holds nothing");
    }
    checkpoint_free(&c);
    contract(!c.buf && !c.records && c.n_records == 0, "checkpoint_free empties the checkpoint");
    checkpoint_free(&c);   // a second free is harmless
    free(file);
    return 0;
}
