/* 06_embeddings/embed.h — what the chapter's files share: its flags and the data paths.
 * Each part declares its own section functions in its own header (pipeline.h, classic.h,
 * word2vec.h, evaluate.h, glove.h, documents.h, bench.h); embed.c's main() calls them in
 * lecture order.
 */
#ifndef CH06_EMBED_H
#define CH06_EMBED_H

#include <stdbool.h>

#include "train/chapter.h"

// Data files under --data DIR (`make data` writes them; SOURCES.md in the mirror says where from).
#define TEXT8_FILE      "text8_prefix.txt"       // the first 6,877,825 bytes of text8
#define IMDB_DIR        "imdb/aclImdb"           // {train,test}/{pos,neg}/<id>_<rating>.txt
#define ANALOGY_FILE    "questions-words.txt"    // Google analogies (Mikolov et al. 2013)
#define WORDSIM_FILE    "wordsim353.tsv"         // WordSim-353 (Finkelstein et al. 2002)
#define SIMLEX_FILE     "simlex999.txt"          // SimLex-999 (Hill et al. 2015)

// The chapter's own flags (main() fills them from the command line; 0 / "" = the default,
// resolved once in main() before any section runs).
typedef struct Flags {
    char corpus[512];        // --corpus FILE: word2vec's text instead of the text8 prefix
    char save_vectors[512];  // --save-vectors FILE: the main skip-gram vectors, word2vec text format
    int epochs;              // --epochs N: word2vec's passes (0: 15; 1 with --quick)
    int dim;                 // --dim D: vector width (0: 100)
    int window;              // --window N: maximum context distance (0: 5)
    int negative;            // --negative K: noise words per positive pair (0: 5)
    int min_count;           // --min-count N: rarer words are dropped (0: 5)
    float sample;            // --sample t: frequent-word subsampling threshold (1e-4)
} Flags;

#endif
