#!/usr/bin/env python3
"""scripts/gen_fixtures_evaluate.py — gensim's and scipy's answers for tests/test_evaluate.c.

Run:  /usr/bin/python3 scripts/gen_fixtures_evaluate.py [DATA_DIR]
      (needs gensim, scipy, numpy; tested with gensim 4.2, scipy 1.10; DATA_DIR holds
      text8_prefix.txt or text8_prefix.gz, questions-words.txt and wordsim353.tsv; default data/,
      then /work/shared/data)
Writes (committed, so the tests need no Python):
  tests/fixtures/evaluate_vectors.txt    word vectors in word2vec's text format: a small skip-gram
                                         model trained by gensim on the text8 prefix (16 dims,
                                         3 epochs), cut to the analogy words plus the most frequent
                                         ones, in frequency order, values rounded to 4 decimals
  tests/fixtures/evaluate_questions.txt  a subset of questions-words.txt: up to 80 questions per
                                         section whose words are in the vectors, plus questions
                                         with a word outside them (skipped) or outside the cut
  tests/fixtures/evaluate_pairs.tsv      WordSim-353 as it is (the vectors hold the words of its pairs
                                         among the 4,000 most frequent; others are skipped)
  tests/fixtures/evaluate_gensim.txt     '@' blocks (tests/fixture.h): gensim's
      evaluate_word_analogies(restrict_vocab=R, case_insensitive=True) counts — correct and
      seen overall, semantic (sections not named gram*), syntactic — gensim's
      evaluate_word_pairs Spearman and pairs used; scipy.stats.spearmanr on data with ties.
"""
import gzip
import os
import sys

import numpy as np
from gensim.models import KeyedVectors, Word2Vec
from scipy.stats import spearmanr

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
D = 16
PER_SECTION = 80


def find(dirs, *names):
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if os.path.exists(p):
                return p
    raise SystemExit(f"none of {names} in {dirs}: run make data")


def main():
    dirs = [sys.argv[1]] if len(sys.argv) > 1 else [os.path.join(ROOT, "data"), "/work/shared/data"]
    t8 = find(dirs, "text8_prefix.txt", "text8_prefix.gz")
    raw = gzip.open(t8, "rt").read() if t8.endswith(".gz") else open(t8).read()
    words = raw.split()
    sents = [words[i:i + 10000] for i in range(0, len(words), 10000)]
    model = Word2Vec(sents, vector_size=D, window=5, min_count=5, sg=1, negative=5, sample=1e-4,
                     epochs=3, workers=1, seed=1)
    kv = model.wv

    # the questions, lower-cased, by section
    qpath = find(dirs, "questions-words.txt")
    sections = []
    for line in open(qpath):
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
        elif line.strip():
            sections[-1][1].append(line.lower().split())
    top = set(kv.index_to_key[:4000])
    keep_q, need = [], set()
    for name, qs in sections:
        ok = [q for q in qs if all(w in top for w in q)][:PER_SECTION]
        # and 3 questions per section with a word the vectors lack or that lies past the cut
        bad = [q for q in qs if not all(w in top for w in q)][:3]
        keep_q.append((name, ok + bad))
        need.update(w for q in ok for w in q)
    ppath = find(dirs, "wordsim353.tsv")
    for line in open(ppath):   # the pairs' words too, when frequent enough
        f = line.lower().split("\t")
        if not line.startswith("#") and len(f) == 3 and f[0] in top and f[1] in top:
            need.update(f[:2])
    vocab = [w for w in kv.index_to_key[:4000] if w in need or kv.key_to_index[w] < 150]
    R = len(vocab) - 40        # the cut: the last 40 rows are outside it
    vec = np.stack([kv[w] for w in vocab]).astype(np.float32)
    vec = np.round(vec, 4).astype(np.float32)
    out = KeyedVectors(vector_size=D)
    out.add_vectors(vocab, vec)
    vpath = os.path.join(FIX, "evaluate_vectors.txt")
    out.save_word2vec_format(vpath, binary=False)
    # Some question words upper-cased: the comparison is case-blind on both sides.
    qout = os.path.join(FIX, "evaluate_questions.txt")
    with open(qout, "w") as f:
        for k, (name, qs) in enumerate(keep_q):
            f.write(f": {name}\n")
            for j, q in enumerate(qs):
                if j % 7 == 0:
                    q = [q[0].capitalize()] + q[1:]
                f.write(" ".join(q) + "\n")
    back = KeyedVectors.load_word2vec_format(vpath, binary=False)
    score, secs = back.evaluate_word_analogies(qout, restrict_vocab=R, case_insensitive=True)
    tot = secs[-1]
    sem = [s for s in secs[:-1] if not s["section"].startswith("gram")]
    syn = [s for s in secs[:-1] if s["section"].startswith("gram")]
    c = lambda ss, k: sum(len(s[k]) for s in ss)
    n_total = sum(len(qs) for _, qs in keep_q)

    # similarity pairs: WordSim-353 as it is (many pairs lack a vector here)
    pout = os.path.join(FIX, "evaluate_pairs.tsv")
    with open(ppath) as fi, open(pout, "w") as fo:
        fo.write(fi.read())
    pear, spear, oov = back.evaluate_word_pairs(pout, restrict_vocab=len(vocab),
                                                case_insensitive=True)
    n_pairs = sum(1 for l in open(pout) if l.strip() and not l.startswith("#"))
    used = round(n_pairs * (1 - oov / 100))

    # spearman with ties
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=40), 1)
    y = np.round(x + rng.normal(size=40), 0)
    rho = spearmanr(x, y).correlation

    with open(os.path.join(FIX, "evaluate_gensim.txt"), "w") as f:
        f.write("# written by scripts/gen_fixtures_evaluate.py (gensim %s); see its docstring\n"
                % __import__("gensim").__version__)
        def put(name, vals):
            vals = np.atleast_1d(np.asarray(vals, dtype=np.float64))
            f.write(f"@ {name} {len(vals)}\n" if len(vals) > 1 else f"@ {name}\n")
            for v in vals:
                f.write("%.9g\n" % v)
        put("restrict", R)
        put("total", n_total)
        put("seen", c([tot], "correct") + c([tot], "incorrect"))
        put("correct", c([tot], "correct"))
        put("sem_seen", c(sem, "correct") + c(sem, "incorrect"))
        put("sem_correct", c(sem, "correct"))
        put("syn_seen", c(syn, "correct") + c(syn, "incorrect"))
        put("syn_correct", c(syn, "correct"))
        put("pairs_spearman", spear[0])
        put("pairs_used", used)
        put("pairs_total", n_pairs)
        put("spearman_x", x)
        put("spearman_y", y)
        put("spearman_rho", rho)
    print(f"V {len(vocab)} (cut {R}), {n_total} questions, gensim: {score*100:.2f} % "
          f"of {c([tot],'correct')+c([tot],'incorrect')} seen; pairs rho {spear[0]:.4f} "
          f"({used}/{n_pairs}); spearman ties {rho:.6f}")


if __name__ == "__main__":
    main()
