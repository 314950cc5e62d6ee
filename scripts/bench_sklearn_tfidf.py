#!/usr/bin/env python3
"""scripts/bench_sklearn_tfidf.py — scikit-learn's TF-IDF + logistic regression on IMDb, the peer
of chapter 6's TF-IDF + bigram pipeline (06_embeddings/classic.c, classic_bench).

The same task and settings as the C pipeline: the 25,000 training reviews of Maas et al. (2011)
(<data>/imdb/aclImdb/train/{neg,pos}/*.txt), lower-cased with "<br />" removed, unigrams and
bigrams with min_df 2, sublinear TF (1 + ln tf), L2-normalised rows, logistic regression with
C = 1 (L2 penalty 1/(C·n), what the C side uses); accuracy on the 25,000 test reviews.
Differences that remain: scikit-learn's default tokens (runs of 2+ word characters, so "it's"
gives "it" only) and its smooth idf ln((1 + N)/(1 + df)) + 1 against the lecture's
ln(N/(1 + df)) + 1; the solver (liblinear's trust-region Newton, to convergence, against 10 epochs of
mini-batch AdaGrad).

Timed (monotonic clock): vectorising train and test, training, predicting — not reading files.

Chapter 6 calls it as    /usr/bin/python3 scripts/bench_sklearn_tfidf.py --threads T
with DL_IMDB_DIR and DL_IMDB_PER_CLASS in the environment (the reviews the C side loaded)
(the system python with Debian's python3-sklearn). It is OPTIONAL: without scikit-learn it
prints a notice and exits 0 with no result line, which the chapter treats as "skip".
Output: one line per result,
  sklearn_acc_pct <float>
  sklearn_seconds <float>
  sklearn_features <int>
"""
import argparse
import os
import re
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in scripts/


def load(split_dir, per_class):
    texts, labels = [], []
    for label, sub in ((0, "neg"), (1, "pos")):
        d = os.path.join(split_dir, sub)
        names = sorted(os.listdir(d), key=lambda n: int(n.split("_")[0]))
        if per_class:
            names = names[:per_class]
        for n in names:
            with open(os.path.join(d, n), encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
            labels.append(label)
    return texts, labels


BR = re.compile(r"<[^>]*>")


def preprocess(s):
    return BR.sub(" ", s.lower())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="scikit-learn TF-IDF + logistic regression on IMDb")
    ap.add_argument("--threads", type=int, default=1, help="accepted for the peer convention; "
                    "liblinear is single-threaded")
    ap.add_argument("--data", default=os.environ.get("DL_IMDB_DIR") or
                    os.path.join(here, "..", "data", "imdb", "aclImdb"),
                    help="the aclImdb folder (default: $DL_IMDB_DIR, else <repo>/data/imdb/aclImdb)")
    ap.add_argument("--per-class", type=int, default=int(os.environ.get("DL_IMDB_PER_CLASS") or 0),
                    help="reviews per class, the lowest ids (default: $DL_IMDB_PER_CLASS, else 0: all)")
    ap.add_argument("--min-df", type=int, default=2)
    a = ap.parse_args()
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        import sklearn
    except ImportError:
        print("notice: scikit-learn is not installed (apt-get install python3-sklearn): "
              "comparison skipped")
        return 0
    if not os.path.isdir(os.path.join(a.data, "train")):
        print(f"notice: {a.data}/train not found (run: make data): comparison skipped")
        return 0
    xtr, ytr = load(os.path.join(a.data, "train"), a.per_class)
    xte, yte = load(os.path.join(a.data, "test"), a.per_class)
    t0 = time.monotonic()
    vec = TfidfVectorizer(preprocessor=preprocess, ngram_range=(1, 2), min_df=a.min_df,
                          sublinear_tf=True)
    Xtr = vec.fit_transform(xtr)
    Xte = vec.transform(xte)
    clf = LogisticRegression(C=1.0, solver="liblinear")
    clf.fit(Xtr, ytr)
    acc = 100.0 * (clf.predict(Xte) == yte).mean()
    secs = time.monotonic() - t0
    print(f"# scikit-learn {sklearn.__version__}: {len(xtr)} train, {len(xte)} test reviews",
          file=sys.stderr)
    print(f"sklearn_acc_pct {acc:.2f}")
    print(f"sklearn_seconds {secs:.2f}")
    print(f"sklearn_features {Xtr.shape[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
