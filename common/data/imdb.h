/* common/data/imdb.h — the IMDb movie reviews (Maas et al., "Learning Word Vectors for Sentiment
 * Analysis", ACL 2011): 25,000 training and 25,000 test reviews, half positive (rating >= 7),
 * half negative (rating <= 4), as `make data` unpacks them:
 *     <dir>/{train,test}/{pos,neg}/<id>_<rating>.txt        (one review per file, UTF-8)
 * Reviews come in a fixed order whatever the file system lists: negatives then positives, each by
 * ascending id; a limit per class takes the lowest ids. Every file name is checked
 * (<id>_<rating>.txt, rating 1–4 in neg/, 7–10 in pos/, no id twice; entries starting with '.'
 * are ignored), and every file loaded: its size (1 byte … 1 MB), no NUL byte.
 */
#ifndef DL_DATA_IMDB_H
#define DL_DATA_IMDB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ImdbSplit {
    int n;                 // reviews
    char **text;           // (n) 0-terminated review text, as in the file
    size_t *len;           // (n) its bytes
    int *label;            // (n) 1 positive, 0 negative
    int *rating;           // (n) 1–10, from the file name
    int *id;               // (n) from the file name
} ImdbSplit;

/* Load dir/<split>/{neg,pos} (split "train" or "test"), at most per_class reviews of each class
 * (0: all). Errors (false, err filled): a missing folder ("… (run: make data)"), a file whose
 * name, rating, size or bytes are wrong (named), an empty class. */
bool imdb_load(const char *dir, const char *split, int per_class, ImdbSplit *out, char *err,
               size_t errlen);
/* Check one review's name and bytes (what imdb_load does per file; the fuzz target calls it).
 * pos: the folder it is in. On success *id and *rating are set. */
bool imdb_check_review(const char *name, const char *bytes, size_t n, bool pos, int *id,
                       int *rating, char *err, size_t errlen);
void imdb_free(ImdbSplit *s);

#endif
