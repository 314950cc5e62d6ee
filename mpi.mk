# mpi.mk — chapter 8's MPI program, included by the Makefile.
#   make ddp        build $(BINDIR)/08_scaling/mpi/ddp with mpicc against libdl (Open MPI:
#                   apt-get install openmpi-bin libopenmpi-dev); run it with
#                   mpirun -np 2 08_scaling/mpi/ddp --check   (as root, Open MPI also wants
#                   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
# Without mpicc (or with MPICC=false) `make ddp` prints a one-line notice and succeeds, so
# make chapter8 / make test still build and pass; chapter 8's section 5 and tests/test_ddp.c
# then skip the runs with a notice.
MPICC    ?= mpicc
HAVE_MPI := $(shell $(MPICC) --version >/dev/null 2>&1 && echo yes)
DDP_SRC  := $(wildcard 08_scaling/mpi/*.c)
DDP_HDR  := $(wildcard 08_scaling/mpi/*.h)
DDP_BIN  := $(BINDIR)/08_scaling/mpi/ddp

.PHONY: ddp chapter8
ifeq ($(HAVE_MPI),yes)
ddp: $(DDP_BIN)
# mpicc is a C compiler plus MPI's include and library flags: the library's own flags apply,
# and OMPI_CC makes Open MPI's mpicc wrap the compiler of the build (CC=clang builds too).
$(DDP_BIN): $(DDP_SRC) $(DDP_HDR) $(LIB) $(COMMON_HDR)
	@mkdir -p $(dir $@)
	OMPI_CC=$(CC) $(MPICC) $(CFLAGS) $(DDP_SRC) $(LIB) $(LDLIBS) -o $@
else
ddp:
	@echo "note: mpicc not found ($(MPICC)): 08_scaling/mpi/ddp is not built (apt-get install openmpi-bin libopenmpi-dev)"
endif

# The chapter (make chapter8, make chapters / make run) and the tests build it when they can.
chapter8 chapters: ddp
test-build: ddp
# tests/test_ddp.c compiles the ring's schedule and section 5's parser into itself.
$(BUILD)/tests/test_ddp: $(DDP_SRC) $(DDP_HDR) $(wildcard 08_scaling/ddp.c 08_scaling/ddp.h)
