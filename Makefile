# Deep learning from scratch in C — one Makefile for the whole course.
#
#   make run          set up, get data, build and run every finished chapter in order
#   make test         set up, get data, build and run every Check suite
#   make bench        kernel benchmarks (dot/matvec, GEMM, Adam, conv ladders), naive -> fast
#   make data         fill data/ (MIRROR=DIR to copy from a local mirror)
#   make chapter1     build 01_perceptron/run   (also: make 01_perceptron)
#   make chapter2     build 02_backprop/run     (also: make 02_backprop)
#   make chapter3     build 03_optimizers/run   (also: make 03_optimizers)
#   make chapter4     build 04_cnn/run          (also: make 04_cnn)
#   make chapter5     build 05_rnn_lstm/run     (also: make 05_rnn_lstm)
#   make chapter6     build 06_embeddings/run   (also: make 06_embeddings)
#   make chapter7     build 07_transformer/run  (also: make 07_transformer)
#   make chapter8     build 08_scaling/run      (also: make 08_scaling)
#   make plots        redraw every out/*.png from its .gp/.dat
#   make grade        grade the exercises (CHAPTER=2 for one chapter; SOLUTIONS=1 grades the
#                     reference solutions); make expected, make student-edition DEST=dir
#   make fuzz         libFuzzer targets for the file loaders (clang); make fuzz-run FUZZ_SECONDS=60
#   make clean
# Options: PORTABLE=1 (no -march=native; automatic off x86-64), SANITIZE=1 (ASan+UBSan build
# in build/asan), CC=clang, ARGS="--quick" (flags passed to each chapter by make run).

CC       ?= cc
ARGS     ?=
MIRROR   ?=
ARCH     := $(shell uname -m)

CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     := -Wall -Wextra -Werror
# -ffp-contract=off: no silent a*b+c -> fma contraction, so gcc and clang round alike and
# results match the reference files; the SIMD kernels use FMA explicitly where they mean it.
OPT      := -O2 -ffp-contract=off
ifeq ($(ARCH),x86_64)
  ifneq ($(PORTABLE),1)
    OPT  += -march=native
  endif
endif

ifeq ($(SANITIZE),1)
  BUILD  := build/asan
  OPT    := -O1 -g -ffp-contract=off -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -DDL_POISON_UNINIT
  BINDIR := build/asan
else ifeq ($(PORTABLE),1)
  BUILD  := build/portable
  BINDIR := build/portable
else
  BUILD  := build/default
  BINDIR := .
endif

CFLAGS   := $(CSTD) $(WARN) $(OPT) -pthread -Icommon $(EXTRA_CFLAGS)
comma    := ,
LDLIBS   := -lm -pthread $(if $(filter 1,$(SANITIZE)),-fsanitize=address$(comma)undefined)

COMMON_SRC := $(wildcard common/*/*.c)
COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC))
COMMON_HDR := $(wildcard common/*/*.h)
LIB        := $(BUILD)/libdl.a

# Finished chapters; a chapter's program is every .c file in its folder (the lesson topic.c,
# its bench.c, and any helper it declares in a header there), linked with libdl.
CHAPTERS   := 01_perceptron 02_backprop 03_optimizers 04_cnn 05_rnn_lstm 06_embeddings 07_transformer \
              08_scaling
$(foreach c,$(CHAPTERS),$(eval $(c)_SRC := $(wildcard $(c)/*.c)))
$(foreach c,$(CHAPTERS),$(eval $(c)_HDR := $(wildcard $(c)/*.h)))
CHAPTER_BINS := $(foreach c,$(CHAPTERS),$(BINDIR)/$(c)/run)

TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all lib chapters chapter1 chapter2 chapter3 chapter4 chapter5 chapter6 chapter7 chapter8 $(CHAPTERS) run test test-build bench data \
        setup setup-test plots clean

all: chapters test-build

lib: $(LIB)
chapters: $(CHAPTER_BINS)
chapter1 01_perceptron: $(BINDIR)/01_perceptron/run
chapter2 02_backprop: $(BINDIR)/02_backprop/run
chapter3 03_optimizers: $(BINDIR)/03_optimizers/run
chapter4 04_cnn: $(BINDIR)/04_cnn/run
chapter5 05_rnn_lstm: $(BINDIR)/05_rnn_lstm/run
chapter6 06_embeddings: $(BINDIR)/06_embeddings/run
chapter7 07_transformer: $(BINDIR)/07_transformer/run
chapter8 08_scaling: $(BINDIR)/08_scaling/run

$(BUILD)/%.o: %.c $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The kernels are compiled at -O3: it lets gcc vectorize the inner loops of the plain-C rungs
# (v1_ikj, v2_blocked), which is what their loop orders are for. No sum changes order, so the
# results are bit-identical to -O2.
$(BUILD)/common/kernels/%.o: CFLAGS += -O3
# The ops' element-wise loops likewise (ReLU, pooling, BatchNorm2d, …): gcc vectorizes them
# only at -O3. -O3 never reorders a floating-point sum, so results stay bit-identical.
$(BUILD)/common/ops/%.o: CFLAGS += -O3
# The optimizers' per-parameter updates and clipping's scaling pass, for the same reason (an
# SGD step over the 4.6 M parameters of chapter 5's PTB model); clipping's sum keeps its order.
$(BUILD)/common/optim/%.o: CFLAGS += -O3

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# A chapter's program: its .c files plus libdl (rebuilt when a header of its folder changes).
# (Built in place for the default build, so that `./01_perceptron/run` works; sanitizer/portable
# builds go under build/.)
.SECONDEXPANSION:
$(BINDIR)/%/run: $$($$*_SRC) $$($$*_HDR) $(LIB) $(COMMON_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $($*_SRC) $(LIB) $(LDLIBS) -o $@

# One Check binary per tests/test_*.c; a test that drives a chapter #includes its .c.
$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIB) $(COMMON_HDR) $(foreach c,$(CHAPTERS),$($(c)_SRC) $($(c)_HDR))
	@mkdir -p $(dir $@)
	@if [ -z "$(CHECK_LIBS)" ]; then echo "error: the Check library is missing: run 'make setup-test' (or: apt-get install check pkg-config)" >&2; exit 1; fi
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -DBINDIR='"$(BINDIR)"' $< $(LIB) $(CHECK_LIBS) $(LDLIBS) -o $@

setup:
	@scripts/setup.sh run
setup-test:
	@scripts/setup.sh test

data:
	@scripts/get_data.sh "$(MIRROR)"

test-build: $(TEST_BINS) $(CHAPTER_BINS)

# Set-up runs in its own make so that pkg-config sees a freshly installed Check.
test:
	@$(MAKE) --no-print-directory setup-test
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory test-build
	@scripts/run_tests.sh $(TEST_BINS)

run:
	@$(MAKE) --no-print-directory setup
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory chapters
	@set -e; for c in $(CHAPTERS); do \
	  echo; echo "==================== $$c ===================="; \
	  $(BINDIR)/$$c/run $(ARGS); done

bench: $(CHAPTER_BINS)
	$(BINDIR)/01_perceptron/run --bench $(ARGS)
	$(BINDIR)/02_backprop/run --bench $(ARGS)
	$(BINDIR)/03_optimizers/run --bench $(ARGS)
	$(BINDIR)/04_cnn/run --bench $(ARGS)
	$(BINDIR)/05_rnn_lstm/run --bench $(ARGS)
	$(BINDIR)/06_embeddings/run --bench $(ARGS)
	$(BINDIR)/07_transformer/run --bench $(ARGS)
	$(BINDIR)/08_scaling/run --bench $(ARGS)

plots:
	@scripts/plots.sh $(CHAPTERS)

clean:
	rm -rf build $(foreach c,$(CHAPTERS),$(c)/run)

# Exercises and the grader: make grade / expected / student-edition (see grade.mk).
include grade.mk
# libFuzzer targets for the file loaders: make fuzz / fuzz-run (see fuzz.mk).
include fuzz.mk
# Chapter 8's MPI program (mpicc): make ddp (see mpi.mk).
include mpi.mk
