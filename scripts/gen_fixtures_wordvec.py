#!/usr/bin/env python3
"""scripts/gen_fixtures_wordvec.py — a word-vector file written by gensim, for tests/test_wordvec.c.

Run:  /usr/bin/python3 scripts/gen_fixtures_wordvec.py     (needs gensim; tested with 4.2)
Writes (committed, so the tests need no Python):
  tests/fixtures/wordvec_gensim.txt   KeyedVectors.save_word2vec_format(binary=False)
The vectors follow a formula the test recomputes: row i, column d holds
float32(sin(i * D + d + 1)), so the C loader's values are checked one by one. The words include
UTF-8 ("naïve", "café") and punctuation ("it's", "u.s."), as real vocabularies do.
"""
import os

import numpy as np
from gensim.models import KeyedVectors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ["the", "of", "and", "naïve", "café", "it's", "u.s.", "king", "queen", "x1",
         "brilliant", "awful"]
D = 7


def main():
    V = len(WORDS)
    vec = np.array([[np.sin(i * D + d + 1) for d in range(D)] for i in range(V)],
                   dtype=np.float32)
    kv = KeyedVectors(vector_size=D)
    kv.add_vectors(WORDS, vec)
    path = os.path.join(ROOT, "tests", "fixtures", "wordvec_gensim.txt")
    kv.save_word2vec_format(path, binary=False)
    back = KeyedVectors.load_word2vec_format(path, binary=False)
    assert back.index_to_key == WORDS and np.array_equal(back.vectors, vec)
    print(f"wrote {path}: {V} words of {D} values")


if __name__ == "__main__":
    main()
