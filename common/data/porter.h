/* common/data/porter.h — the Porter stemmer: M. F. Porter, "An algorithm for suffix stripping",
 * Program 14(3), 1980, as in Porter's own reference implementation (tartarus.org/martin/
 * PorterStemmer, the "ANSI C thread-safe" version) — which Snowball's `stemwords -l porter`
 * (Debian libstemmer-tools) reproduces; tests/fixtures/porter_voc.txt holds its output on a
 * word list.
 */
#ifndef DL_DATA_PORTER_H
#define DL_DATA_PORTER_H

#include <stddef.h>

/* Stem the lower-case word w[0 … n) in place (w need not be 0-terminated); returns the stem's
 * length (<= n; words of 1 or 2 letters are returned unchanged). */
size_t porter_stem(char *w, size_t n);

#endif
