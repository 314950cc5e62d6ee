/* 06_embeddings/embed.c — word and document representations: from one-hot and TF-IDF to
 * Word2Vec, GloVe and FastText, on real text (IMDb reviews, the text8 prefix of Wikipedia).
 * Build: make chapter6    Run: ./06_embeddings/run --quick    Bench: ./06_embeddings/run --bench
 * Sections (lecture order): 1 text pipeline, 2 sparse representations and logistic regression
 *   on IMDb, 3 Word2Vec, 4 evaluation, 5 the skip-gram kernel ladder, 6 GloVe, 7 FastText,
 *   8 the method comparison, 9 document vectors, 10 retrieval.
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "data/imdb.h"
#include "base/threads.h"
#include "report/cli.h"
#include "train/chapter.h"

#include "embed.h"
#include "classic.h"
#include "pipeline.h"

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Flags f = {.sample = 1e-4f};
    const CliExtra extras[] = {
        {"corpus", 's', f.corpus, sizeof f.corpus, "train word2vec on this text (words separated "
                                                   "by white space) instead of the text8 prefix"},
        {"save-vectors", 's', f.save_vectors, sizeof f.save_vectors,
         "write the skip-gram vectors here in word2vec's text format"},
        {"epochs", 'i', &f.epochs, 0, "word2vec's epochs (0: 15, 1 --quick)"},
        {"dim", 'i', &f.dim, 0, "vector width D (0: 100)"},
        {"window", 'i', &f.window, 0, "maximum context distance (0: 5)"},
        {"negative", 'i', &f.negative, 0, "noise words per positive pair (0: 5)"},
        {"min-count", 'i', &f.min_count, 0, "drop words seen fewer times (0: 5)"},
        {"sample", 'f', &f.sample, 0, "frequent-word subsampling threshold t"},
    };
    Chapter ch;
    chapter_begin(&ch, "06_embeddings", argc, argv, "Chapter 6: representations of words and "
                  "documents — TF-IDF and logistic regression on IMDb, Word2Vec (skip-gram, CBOW, "
                  "negative sampling), GloVe, FastText, document vectors and retrieval; --bench: "
                  "the skip-gram ladder vs gensim, fastText and scikit-learn", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    printf("data: %s; %d thread(s), seed %llu%s\n", ch.cli.data_dir, threads_get(),
           (unsigned long long)ch.cli.seed, ch.cli.quick ? ", --quick" : "");
    // The IMDb training split (--quick: the 1,000 lowest ids of each class).
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/%s", ch.cli.data_dir, IMDB_DIR);
    ImdbSplit train;
    if (!imdb_load(path, "train", ch.cli.quick ? 1000 : 0, &train, err, sizeof err))
        dl_die("%s", err);
    printf("IMDb: %d training reviews from %s\n", train.n, path);
    chapter_section("1. The text pipeline: from raw reviews to tokens");
    pipeline_section(&ch, &train);
    ImdbSplit test;
    if (!imdb_load(path, "test", ch.cli.quick ? 1000 : 0, &test, err, sizeof err)) dl_die("%s", err);
    chapter_section("2. Sparse representations: one-hot, bag of words, n-grams, TF-IDF");
    sparse_section(&ch, &train, &test);
    // sections are added here as their parts land
    imdb_free(&test);
    imdb_free(&train);
    return chapter_end(&ch);
}
#endif
