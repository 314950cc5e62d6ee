/* common/data/bpe.h — a byte-level byte-pair-encoding tokenizer (Sennrich, Haddow & Birch 2016;
 * Radford et al. 2019, GPT-2's byte-level variant; Karpathy's minbpe "basic" tokenizer).
 *
 * Token ids 0 … 255 are the bytes; training repeatedly finds the most frequent adjacent pair
 * of ids in the training text (ties: the pair seen first in the text) and replaces it
 * everywhere by a new id 256, 257, … until the vocabulary has V ids. Encoding applies the
 * merges in the order they were learned (always the learned pair with the lowest new id
 * present first); decoding concatenates each id's bytes. Any byte string round-trips:
 * decode(encode(s)) == s. The lecture's example: "aaabdaaabac" with 3 merges → merges
 * (a,a)→256, (256,a)→257, (257,b)→258 and tokens [258, 100, 258, 97, 99].
 *
 * File format (text, written atomically): a line "dl-bpe 1 V", then one line per merge
 * "left right" (ids, left to right in learning order: merge i makes id 256 + i).
 */
#ifndef DL_DATA_BPE_H
#define DL_DATA_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Bpe {
    int V;                     // vocabulary: 256 + n_merges
    int n_merges;
    int (*merges)[2];          // (n_merges) pair (left, right) that merge i replaced by 256 + i
    uint8_t **bytes;           // (V) the bytes of each id
    int *len;                  // (V) their lengths
} Bpe;

/* Learn V − 256 merges from text (n bytes). Errors (false, err names the value and the fix):
 * V < 256, V > 65536, or a text with no pair left to merge before V is reached. */
bool bpe_train(Bpe *t, const uint8_t *text, size_t n, int V, char *err, size_t errlen);

/* Encode n bytes into out (capacity n: never more tokens than bytes); returns the count. */
size_t bpe_encode(const Bpe *t, const uint8_t *text, size_t n, int *out);

/* Decode ids into out (capacity cap); returns the byte count, or −1 with err filled when an
 * id is outside [0, V) (naming it and its position) or out is too small. */
long bpe_decode(const Bpe *t, const int *ids, size_t n, uint8_t *out, size_t cap, char *err,
                size_t errlen);

/* Save (atomic: temp file + rename) / load the file format above. Load validates everything
 * (header, counts, each merge's ids < 256 + its index, trailing garbage) and names the line. */
bool bpe_save(const Bpe *t, const char *path, char *err, size_t errlen);
bool bpe_load(Bpe *t, const char *path, char *err, size_t errlen);
/* bpe_load on a buffer (the fuzz target's entry): name is used in messages. */
bool bpe_parse(Bpe *t, const char *buf, size_t len, const char *name, char *err, size_t errlen);

void bpe_free(Bpe *t);

#endif
