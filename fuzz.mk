# fuzz.mk — libFuzzer targets for every loader that reads a file; included by the Makefile.
#   make fuzz                       build build/fuzz/fuzz_<name> for every target (clang,
#                                   libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer)
#   make fuzz-run [FUZZ_SECONDS=60] run each target that long on a copy of its seed corpus;
#                                   fails on any crash, leak, sanitizer report or hang (> 10 s
#                                   on one input). make fuzz-run-<name> (fuzz-run-idx,
#                                   fuzz-run-checkpoint) runs one target.
# A target is tests/fuzz/fuzz_<name>.c (it defines LLVMFuzzerTestOneInput), its seeds are
# tests/fuzz/corpus/<name>/ (committed, small; scripts/make_fuzz_seeds.sh writes them) and an
# optional dictionary tests/fuzz/<name>.dict. Runs work in build/fuzz/corpus/<name>/ (the
# seeds plus what the fuzzer finds, kept between local runs), so the committed corpus never
# changes; an input that fails lands in build/fuzz/artifacts/<name>/.

# ---- the targets: adding a loader's target is adding its name here ----
#   idx         the IDX (MNIST) loader: idx_parse (data/idx.h) on an image and a label file
#   checkpoint  the checkpoint loader: checkpoint_parse, then checkpoint_find/checkpoint_get
#               on every record it accepts (train/checkpoint.h); an odd first input byte makes
#               the target fix the file's CRC-32 first, so mutated files get past the checksum
#   text        vocab_build_chars/words, vocab_encode_* and a TokenBatcher on the ids (data/text.h)
#   csv         the CSV reader: csv_parse (data/csv.h) on a column chosen by the first byte
#   wordvec     word2vec text vectors and word vocabularies: wordvec_parse_text, word_vocab_build
#               and word_vocab_encode on the same bytes (data/wordvec.h)
#   wordeval    the analogy questions or similarity pairs, by the first byte (data/wordeval.h)
#   imdb        an IMDb review's name and bytes: imdb_check_review (data/imdb.h), then tokenize
#               (data/tokenize.h) with options from the first byte, stemming included
#   bpe         the BPE tokenizer file: bpe_parse, then encode/decode of a short text with the
#               tokenizer it accepts, and bpe_train on that text (data/bpe.h)
#   scaling     the scaling-law points: scaling_parse (data/scaling.h), Epoch AI's layout or the
#               sweep's
FUZZ_TARGETS := idx checkpoint text csv wordvec wordeval imdb bpe scaling

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
# -O1 -g: fast enough to fuzz, readable stack traces. -fno-sanitize-recover: UBSan aborts, so
# libFuzzer counts undefined behaviour as a crash instead of printing it and going on.
FUZZ_CFLAGS  := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 \
                -fno-omit-frame-pointer -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
                -pthread -Icommon
# libFuzzer's flags: -timeout makes one slow input a failure (a hang); leaks are detected
# after each input; rss_limit_mb also caps a single malloc at 2 GB.
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1

# The whole library, compiled with the fuzz flags into its own archive (never the gcc-built
# libdl.a): a target links only the objects it uses, so a new target needs no source list.
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(COMMON_SRC))
FUZZ_LIB     := $(FUZZ_DIR)/libdl_fuzz.a
FUZZ_BINS    := $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/fuzz_$(t))

.PHONY: fuzz fuzz-run fuzz-toolchain

fuzz: $(FUZZ_BINS)

# Can $(FUZZ_CC) link a libFuzzer program? If not, scripts/fuzz_toolchain.sh says what is
# missing and how to install it, before anything is compiled (every fuzz object waits for it).
fuzz-toolchain:
	@scripts/fuzz_toolchain.sh "$(FUZZ_CC)" $(FUZZ_DIR)

$(FUZZ_DIR)/obj/%.o: %.c $(COMMON_HDR) fuzz.mk | fuzz-toolchain
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(COMMON_HDR) fuzz.mk | fuzz-toolchain
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_LIB) -lm -o $@

# One target: fresh artifacts folder, the committed seeds copied into the working corpus,
# then libFuzzer for FUZZ_SECONDS. Its output goes to build/fuzz/fuzz_<name>.log; shown are
# the totals, or on failure the report. `timeout` is a backstop should the fuzzer wedge.
fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@[ -d tests/fuzz/corpus/$* ] || { echo "error: fuzz_$* has no seed corpus: make tests/fuzz/corpus/$*/ with a few small inputs (scripts/make_fuzz_seeds.sh)" >&2; exit 1; }
	@rm -rf $(FUZZ_DIR)/artifacts/$*
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$*
	@cp -R tests/fuzz/corpus/$*/. $(FUZZ_DIR)/corpus/$*/
	@echo "==== fuzz_$*: $(FUZZ_SECONDS) s on $(FUZZ_DIR)/corpus/$* ($$(ls $(FUZZ_DIR)/corpus/$* | wc -l) inputs), log in $(FUZZ_DIR)/fuzz_$*.log"
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  timeout --kill-after=10 $$(($(FUZZ_SECONDS) + 120)) \
	  $(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_FLAGS) \
	  -artifact_prefix=$(FUZZ_DIR)/artifacts/$*/ \
	  $(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
	  $(FUZZ_DIR)/corpus/$* > $(FUZZ_DIR)/fuzz_$*.log 2>&1; \
	status=$$?; \
	if [ $$status -ne 0 ]; then \
	  tail -n 60 $(FUZZ_DIR)/fuzz_$*.log >&2; \
	  echo "error: fuzz_$* failed (exit $$status$$([ $$status -ge 124 ] && echo ': the fuzzer itself hung')): the input is in $(FUZZ_DIR)/artifacts/$*/" >&2; \
	  echo "  reproduce: $(FUZZ_DIR)/fuzz_$* $(FUZZ_DIR)/artifacts/$*/<file>; once fixed, add a regression test and" >&2; \
	  echo "  keep the input as tests/fuzz/corpus/$*/regress-<what>" >&2; \
	  exit 1; fi; \
	grep -E '^(INFO: Loaded|INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' \
	  $(FUZZ_DIR)/fuzz_$*.log | sed 's/^/  /'; \
	echo "  corpus now: $$(ls $(FUZZ_DIR)/corpus/$* | wc -l) inputs"

# Every target, each for FUZZ_SECONDS, even after one fails; non-zero if any failed.
fuzz-run: fuzz
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory fuzz-run-$$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "fuzz-run: FAILED:$$failed" >&2; exit 1; fi; \
	echo "fuzz-run: $(words $(FUZZ_TARGETS)) target(s), $(FUZZ_SECONDS) s each: no crash, leak or hang"
