/* 06_embeddings/bench.h — chapter 6's timings: the skip-gram ladder in the default run (section
 * 5) and --bench (every rung on the corpus, then our skip-gram beside gensim's and fastText's on
 * the same corpus and settings, words/s and analogy accuracy). */
#ifndef CH06_BENCH_H
#define CH06_BENCH_H

#include "train/chapter.h"

#include "word2vec.h"

/* Section 4: the σ table's error, then each rung of W2V_LADDER for one epoch of skip-gram on the
 * first 200,000 corpus words (20,000 with --quick): seconds, words/s, speed-up over v0, the
 * epoch's mean loss (the rungs must agree on it). Metrics w2v_rung_<rung>_words_per_s,
 * w2v_sigmoid_table_max_err. */
void w2v_ladder_section(Chapter *ch, const W2vCorpus *c);

/* --bench: every rung on the whole corpus (1 epoch; v3 at 1 and 2 threads), then, for 1 and 2
 * threads, skip-gram for E epochs (5; 1 with --quick, 15 with --full) by our v3_hogwild, by gensim
 * (scripts/bench_gensim_w2v.py) and by fastText's CLI without subwords (-maxn 0), then FastText
 * with subwords (ours vs fastText's): raw corpus words × epochs / training seconds and 3CosAdd
 * accuracy by our evaluation (evaluate.h) on ev; a peer that is missing is skipped with a notice.
 * Metrics bench_w2v_*, bench_gensim_*, bench_fasttext_*. */
void bench_run(Chapter *ch, const W2vCorpus *c, const WordEval *ev);

#endif
