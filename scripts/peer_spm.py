#!/usr/bin/env python3
"""scripts/peer_spm.py — SentencePiece's BPE beside ours (chapter 7, section 5).

Run by 07_transformer's tokenizer section through common/bench/peer.h as
  /usr/bin/python3 scripts/peer_spm.py --threads N
with the inputs in the environment (the section writes the two files):
  DL_SPM_TRAIN   the training text (a file)       DL_SPM_VAL    the validation text (a file)
  DL_SPM_VOCAB   the vocabulary size V            DL_SPM_DIR    a folder for the model files
It trains with the Debian package's command-line tools (apt install sentencepiece):
  spm_train --model_type=bpe --vocab_size=V --character_coverage=1.0
            --normalization_rule_name=identity (no NFKC, so the bytes are the bytes)
  spm_encode --output_format=id  < val
and prints its results one a line (peer.h reads one key per line):
  spm_train_s <seconds>    spm_tokens <tokens of the validation text>    spm_val_bytes <bytes>
Without spm_train it prints why and exits 1, and the section shows the notice.
Note: SentencePiece reads lines as sentences (the newlines are not tokens) and splits at white
space (a piece never crosses a word start, "▁"); its V counts <unk>, <s>, </s>.
"""
import os
import shutil
import subprocess
import sys
import time


def main():
    threads = 1
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    for tool in ("spm_train", "spm_encode"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: apt install sentencepiece")
            return 1
    train, val = os.environ.get("DL_SPM_TRAIN"), os.environ.get("DL_SPM_VAL")
    vocab, folder = os.environ.get("DL_SPM_VOCAB"), os.environ.get("DL_SPM_DIR")
    if not (train and val and vocab and folder):
        print("DL_SPM_TRAIN, DL_SPM_VAL, DL_SPM_VOCAB and DL_SPM_DIR must be set (the chapter sets them)")
        return 1
    prefix = os.path.join(folder, "spm_bpe")
    cmd = ["spm_train", f"--input={train}", f"--model_prefix={prefix}", f"--vocab_size={vocab}",
           "--model_type=bpe", "--character_coverage=1.0", "--normalization_rule_name=identity",
           f"--num_threads={threads}", "--max_sentence_length=100000", "--minloglevel=2"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        last = [l for l in r.stdout.splitlines() if l.strip()][-3:]
        print("spm_train failed: " + " | ".join(last))
        return 1
    with open(val, "rb") as f:
        data = f.read()
    r = subprocess.run(["spm_encode", f"--model={prefix}.model", "--output_format=id"],
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("spm_encode failed: " + r.stderr.decode(errors="replace")[-300:])
        return 1
    tokens = sum(len(line.split()) for line in r.stdout.decode().splitlines())
    print(f"spm_train_s {seconds:.3f}")
    print(f"spm_tokens {tokens}")
    print(f"spm_val_bytes {len(data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
