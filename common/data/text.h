/* common/data/text.h — text corpora and vocabularies for language models (chapters 5–7).
 *
 * A corpus is a file of bytes (tiny Shakespeare, Penn Treebank, your own text). A vocabulary
 * maps tokens to ids 0 … V-1 and back:
 *   character level   one token per distinct byte of the text, ids in byte order (char-rnn);
 *   word level        tokens separated by white space, a line end is the token "<eos>"
 *                     (Mikolov's PTB convention), "<unk>" stands for every word outside the
 *                     vocabulary (PTB already has it: its 10k vocabulary is its word set).
 * All checks live in functions on bytes in memory (vocab_build_*, vocab_encode_*), which
 * text_load feeds from a file and tests/fuzz/fuzz_text.c feeds random bytes. Functions that can
 * fail on input return false and write a message (naming the file, the line or the character,
 * and the fix) into err.
 */
#ifndef DL_DATA_TEXT_H
#define DL_DATA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Text {
    unsigned char *bytes;   // (n) the file's bytes, plus a terminating 0 (not counted in n)
    size_t n;
} Text;

/* Read a whole file (any bytes; t->bytes[n] = 0). Errors (false, err filled): the file is
 * missing or not a regular file ("…: no such file (run: make data)"), unreadable, or empty. */
bool text_load(const char *path, Text *t, char *err, size_t errlen);
void text_free(Text *t);

#define VOCAB_UNK "<unk>"
#define VOCAB_EOS "<eos>"

typedef struct Vocab {
    int V;                  // tokens
    bool chars;             // character (byte) level, else word level
    char **tokens;          // (V) each token as a 0-terminated string ("a", "\n", "the", "<eos>")
    int byte_id[256];       // character level: id of each byte, -1 when not in the vocabulary
    int unk, eos;           // word level: ids of "<unk>" and "<eos>" (-1 for character level)
    // word level: an open-addressing hash table from token to id
    int *table;             // (table_size) ids, -1 = empty
    int table_size;
} Vocab;

/* Character vocabulary: the distinct bytes of text, in byte order (id k = the k-th smallest
 * byte; tokens[k] is that byte as a 1-character string, "" for a NUL byte). Error: n = 0. */
bool vocab_build_chars(Vocab *v, const unsigned char *text, size_t n, char *err, size_t errlen);

/* Character vocabulary from a list of V distinct byte values, id k = bytes[k] (what a
 * checkpoint stores). Errors: V outside 1 … 256, a byte listed twice. */
bool vocab_from_bytes(Vocab *v, const unsigned char *bytes, int V, char *err, size_t errlen);

/* Word vocabulary of text: "<unk>" is id 0 and "<eos>" id 1 (also when the text holds them as
 * words, as PTB holds "<unk>": their occurrences do not make a second entry), then the words by
 * descending count, ties in order of first appearance; at most max_words tokens in all,
 * <unk> and <eos> included (0: no limit; else >= 3), the rest become <unk>. Words are maximal
 * runs of bytes other than ' ', '\t', '\r', '\v', '\f' and '\n' (so CRLF files work).
 * PTB's ptb.train.txt gives V = 10000. Errors: no word at all; a NUL byte in the text; a bad
 * max_words. */
bool vocab_build_words(Vocab *v, const unsigned char *text, size_t n, int max_words, char *err,
                       size_t errlen);

/* Id of a token string, or -1 (character level: a 1-byte string). */
int vocab_id(const Vocab *v, const char *token);

/* Character level: ids of text[0 … n) into out (n). A byte outside the vocabulary is an
 * error that lists every such character once, in order of first appearance (printable ASCII
 * as 'c', any other byte as \xNN), e.g. for a --prompt; the caller names the file or flag. */
bool vocab_encode_chars(const Vocab *v, const unsigned char *text, size_t n, int *out,
                        char *err, size_t errlen);

/* Word level: the ids of text's words with "<eos>" for every '\n' (an empty line gives one
 * too, as Zaremba's reader; a last line with words but no '\n' gets one), words outside the
 * vocabulary as <unk>. Returns a malloc'ed array (free it) and its length in *n_out; false
 * with err filled (and *out = NULL) when the text holds no token. */
bool vocab_encode_words(const Vocab *v, const unsigned char *text, size_t n, int **out,
                        size_t *n_out, char *err, size_t errlen);

/* The string of token id (0 <= id < V). */
const char *vocab_token(const Vocab *v, int id);

void vocab_free(Vocab *v);

#endif
