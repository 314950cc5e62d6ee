# grade.mk — exercises and the grader; included by the top-level Makefile.
#   make grade [CHAPTER=2] [SOLUTIONS=1]   grade the exercises: every chapter, or one (1, 02,
#                                          02_backprop); SOLUTIONS=1 grades the reference
#   make expected [CHAPTER=2]              instructors: rewrite NN_topic/expected/ from the
#                                          reference solutions (exercises/solutions/)
#   make student-edition DEST=dir          a copy of the course without the reference solutions
# The grader (scripts/grader.c) compiles each exercise with its chapter's exercises/driver.c,
# runs it in a child process under time and memory limits, and compares with expected/.

GRADER := $(BUILD)/grader

# Student code is compiled like the course (-O2, -ffp-contract=off, -march=native where the
# course uses it) but never with sanitizers (the grader's memory limit and ASan's shadow
# memory do not mix) and without -Werror (a warning should not cost points; --strict, used by
# the tests, adds it). So it links a library built without sanitizers, also when SANITIZE=1.
GRADE_OPT := -O2 -ffp-contract=off
ifeq ($(ARCH),x86_64)
  ifneq ($(PORTABLE),1)
    GRADE_OPT += -march=native
  endif
endif
GRADE_CFLAGS := $(CSTD) -Wall -Wextra $(GRADE_OPT) -pthread
ifeq ($(SANITIZE),1)
  GRADE_LIB := $(if $(filter 1,$(PORTABLE)),build/portable,build/default)/libdl.a
  .PHONY: grade-lib
  grade-lib:
	@$(MAKE) --no-print-directory SANITIZE=0 lib
  $(GRADE_LIB): grade-lib
else
  GRADE_LIB := $(LIB)
endif

# The grader has the compiler, flags and library baked in; the stamp rebuilds it when any changes.
GRADER_STAMP := $(BUILD)/grader.flags
GRADER_SETTINGS := $(CC) | $(GRADE_CFLAGS) | $(GRADE_LIB)
.PHONY: grader-stamp-check
grader-stamp-check:
	@mkdir -p $(BUILD)
	@echo '$(GRADER_SETTINGS)' | cmp -s - $(GRADER_STAMP) || echo '$(GRADER_SETTINGS)' > $(GRADER_STAMP)
$(GRADER_STAMP): grader-stamp-check

$(GRADER): scripts/grader.c scripts/grader.h $(GRADER_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iscripts -DGRADER_CC='"$(CC)"' -DGRADER_CFLAGS='"$(GRADE_CFLAGS)"' \
	  -DGRADER_LIB='"$(GRADE_LIB)"' $< $(LDLIBS) -o $@

GRADE_ARGS := $(if $(filter 1,$(SOLUTIONS)),--solutions) $(CHAPTER)

.PHONY: grade expected student-edition grader
grader: $(GRADER)
grade: $(GRADER) $(GRADE_LIB)
	@$(GRADER) $(GRADE_ARGS)
expected: $(GRADER) $(GRADE_LIB)
	@$(GRADER) --write-expected $(CHAPTER)
student-edition:
	@scripts/student_edition.sh "$(DEST)"

# tests/test_grader.c runs the grader (its path is passed in) on the solutions, the stubs,
# the broken fixtures and a fresh student edition.
$(BUILD)/tests/test_grader: $(GRADER) $(GRADE_LIB)
$(BUILD)/tests/test_grader: CHECK_CFLAGS += -DGRADER_BIN='"$(GRADER)"'
