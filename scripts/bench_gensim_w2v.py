#!/usr/bin/env python3
"""scripts/bench_gensim_w2v.py — gensim's Word2Vec on the same corpus and settings as chapter 6's
skip-gram (or CBOW), the peer of its --bench: training words per second and analogy accuracy.

Settings (word2vec.c's, which both sides use): vector_size 100, window 5, negative 5, sample 1e-4,
min_count 5, hs 0, alpha 0.025 (skip-gram) / 0.05 (CBOW, cbow_mean 1), --epochs passes,
workers = --threads (gensim also runs one producer thread that cuts the corpus into jobs).
The corpus is read by gensim's Text8Corpus (sentences of 10,000 words; any white-space text).

Timing: the vocabulary is built first (not timed, as the C side's), then model.train() is timed
with a monotonic clock. words_per_s = raw corpus words × epochs / seconds — the same rule as the
C figure (06_embeddings/bench.c): every word of the text counts, kept or not.
Accuracy: gensim's evaluate_word_analogies(questions-words.txt, restrict_vocab=30000,
case_insensitive=True), word2vec.c's compute-accuracy rule; --save FILE also writes the vectors
in word2vec's text format so the chapter scores them with its own analogy code.

Chapter 6 calls it as
  /usr/bin/python3 scripts/bench_gensim_w2v.py --threads 2 --corpus data/text8_prefix.txt \
      --epochs 3 --arch sg --questions data/questions-words.txt [--save out/gensim_sg.vec]
It is OPTIONAL: without gensim it prints a notice on stderr and exits with status 3, which the
chapter treats as "skip the comparison".
Output (stdout), one line each:
  gensim_words_per_s <float>
  gensim_seconds <float>
  gensim_analogy_acc_pct <float>      (when --questions is given)
  gensim_version <str>
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
EXIT_NO_GENSIM = 3


def main():
    ap = argparse.ArgumentParser(description="gensim Word2Vec words/s and analogy accuracy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--corpus", default="data/text8_prefix.txt")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--arch", choices=["sg", "cbow"], default="sg")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--questions", default="")
    ap.add_argument("--save", default="")
    a = ap.parse_args()
    try:
        import gensim
        from gensim.models import Word2Vec
        from gensim.models.word2vec import Text8Corpus
    except ImportError as e:
        print(f"gensim is not installed for /usr/bin/python3 ({e}); apt install python3-gensim",
              file=sys.stderr)
        return EXIT_NO_GENSIM
    if not os.path.exists(a.corpus):
        print(f"{a.corpus}: no such file (make data)", file=sys.stderr)
        return 2
    sg = 1 if a.arch == "sg" else 0
    corpus = Text8Corpus(a.corpus)
    model = Word2Vec(vector_size=a.dim, window=a.window, negative=a.negative, hs=0,
                     sample=a.sample, min_count=a.min_count, sg=sg, cbow_mean=1,
                     alpha=0.025 if sg else 0.05, workers=a.threads, seed=a.seed)
    model.build_vocab(corpus)
    raw = model.corpus_total_words
    t0 = time.monotonic()
    model.train(corpus, total_examples=model.corpus_count, epochs=a.epochs)
    secs = time.monotonic() - t0
    print(f"gensim_words_per_s {raw * a.epochs / secs:.0f}")
    print(f"gensim_seconds {secs:.3f}")
    if a.questions:
        score, _ = model.wv.evaluate_word_analogies(a.questions, restrict_vocab=30000,
                                                    case_insensitive=True)
        print(f"gensim_analogy_acc_pct {100 * score:.2f}")
    if a.save:
        model.wv.save_word2vec_format(a.save, binary=False)
    print(f"gensim_version {gensim.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
