/* common/data/porter.h — the Porter stemmer: M. F. Porter, "An algorithm for suffix stripping",
 * Program 14(3):130–137, 1980 — the PUBLISHED algorithm, as Snowball's porter.sbl states it
 * and Debian's `stemwords -l porter` (libstemmer-tools) runs it: step 2 has the paper's
 * "abli" → "able", not the "bli" → "ble" and "logi" → "log" that Porter's later reference C code
 * adds, and step 1b undoes only the doubles bb dd ff gg mm nn pp rr tt. tests/fixtures/porter_voc.txt holds
 * stemwords' output on 10,099 words (scripts/gen_fixtures_porter.sh), which this code matches.
 */
#ifndef DL_DATA_PORTER_H
#define DL_DATA_PORTER_H

#include <stddef.h>

/* Stem the lower-case word w[0 … n) in place (w need not be 0-terminated; nothing past w[n-1] is
 * touched); returns the stem's length (<= n). As in Snowball, short words are not special:
 * "is" → "i", "s" → "" (an empty stem). Bytes other than a–z count as consonants. */
size_t porter_stem(char *w, size_t n);

#endif
