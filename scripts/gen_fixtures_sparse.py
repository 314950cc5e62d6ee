#!/usr/bin/env python3
"""scripts/gen_fixtures_sparse.py — reference TF-IDF matrices for common/data/sparse.c, computed
with numpy straight from the lecture's formulas (no library's vectorizer):
    features: n-grams (n = 1 … ngram_max) joined by ' ', kept when df >= min_df, in order of first
              appearance in the training documents (document by document; within a document all
              unigrams first, then all bigrams, …)
    idf = ln(N / (1 + df)) + 1,  tf' = tf or 1 + ln(tf),  rows divided by their L2 norm.

Run:  /usr/bin/python3 scripts/gen_fixtures_sparse.py
Writes (committed): tests/fixtures/sparse_tfidf.txt, in the format of tests/fixture.h
('#' comments, '@ <name> <dims...>' blocks, one %.9g value per line, row-major).
"""
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "sparse_tfidf.txt")

# the same strings are in tests/test_sparse.c (TRAIN, TEST)
TRAIN = ["the movie was good good good",
         "the movie was not good",
         "a brilliant brilliant film",
         "an awful film the end the end"]
TEST = ["the good film was brilliant", "unseen words only"]


def ngrams(toks, n):
    return [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def fit(docs, ngram_max, min_df):
    order, df = [], {}
    for d in docs:
        toks = d.split()
        seen = set()
        for n in range(1, ngram_max + 1):
            for g in ngrams(toks, n):
                if g not in df:
                    df[g] = 0
                    order.append(g)
                if g not in seen:
                    df[g] += 1
                    seen.add(g)
    feats = [g for g in order if df[g] >= min_df]
    return feats, np.array([df[g] for g in feats], dtype=np.float64)


def counts(docs, feats, ngram_max):
    col = {g: j for j, g in enumerate(feats)}
    x = np.zeros((len(docs), len(feats)))
    for i, d in enumerate(docs):
        toks = d.split()
        for n in range(1, ngram_max + 1):
            for g in ngrams(toks, n):
                if g in col:
                    x[i, col[g]] += 1
    return x


def tfidf(x, idf, sublinear):
    tf = np.where(x > 0, 1 + np.log(np.where(x > 0, x, 1)), 0) if sublinear else x
    w = tf * idf
    norm = np.sqrt((w * w).sum(axis=1, keepdims=True))
    return np.where(norm > 0, w / np.where(norm > 0, norm, 1), 0)


def main():
    lines = ["# sparse_tfidf: the lecture's TF-IDF on a toy corpus, by numpy "
             "(scripts/gen_fixtures_sparse.py)"]

    def block(name, a):
        a = np.asarray(a, dtype=np.float64)
        lines.append(("@ %s %s" % (name, " ".join(str(d) for d in a.shape))).rstrip())
        lines.extend("%.9g" % v for v in a.reshape(-1))

    for ngram_max, min_df in ((1, 1), (2, 1), (2, 2)):
        tag = "n%d_df%d" % (ngram_max, min_df)
        feats, df = fit(TRAIN, ngram_max, min_df)
        idf = np.log(len(TRAIN) / (1 + df)) + 1
        lines.append("# %s features: %s" % (tag, " | ".join(feats)))
        block(tag + "_df", df)
        block(tag + "_idf", idf)
        xtr, xte = counts(TRAIN, feats, ngram_max), counts(TEST, feats, ngram_max)
        block(tag + "_count_train", xtr)
        block(tag + "_count_test", xte)
        block(tag + "_raw_train", tfidf(xtr, idf, False))
        block(tag + "_sub_train", tfidf(xtr, idf, True))
        block(tag + "_sub_test", tfidf(xte, idf, True))
    with open(OUT + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(OUT + ".tmp", OUT)
    print("wrote %s (%d lines)" % (os.path.relpath(OUT, ROOT), len(lines)))


if __name__ == "__main__":
    main()
