# stackwatch: build the module against a cached test kernel, and the entry
# points for everything else. `make help` lists the targets.
KERNEL ?= x86_64-16k
LLVM ?= -19
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
HOME ?= $(shell getent passwd $$(id -u) | cut -d: -f6)
export HOME
export PATH := $(HOME)/.cargo/bin:$(PATH)
ARCH_OF = $(if $(filter riscv64-%,$(1)),riscv,x86_64)
KDIR ?= $(shell qemu/build-kernel.sh --print-dir $(KERNEL) 2>/dev/null)

.PHONY: all module kernel setup test test-riscv demo torture bench clean help host-test

all: module

module:
	@test -f "$(KDIR)/.stackwatch-built" || test -f "$(KDIR)/Module.symvers" || \
	  { echo "stackwatch: no built kernel at KDIR='$(KDIR)': run 'make kernel' (or set KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(call ARCH_OF,$(KERNEL)) LLVM=$(LLVM) modules

setup:
	scripts/setup.sh

kernel: setup
	qemu/build-kernel.sh $(KERNEL)

host-test:
	cd rust/core && cargo test
	cd rust/cli && cargo test

test:
	tests/run.sh

test-riscv:
	tests/run.sh riscv

demo:
	scripts/demo.sh

torture:
	tests/torture.sh long

bench:
	scripts/bench.sh

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf rust/core/target

help:
	@echo "make            build stackwatch.ko against KDIR (default: cached $(KERNEL) test kernel)"
	@echo "make kernel     install prerequisites and build the test kernel (cached)"
	@echo "make demo       set up, build, boot QEMU, run a workload, print the report"
	@echo "make test       set up and run the whole test suite"
	@echo "make test-riscv  riscv64 16K, 8K and 4K kernels (make test has 8K and 4K; 16K is left out for CI time)"
	@echo "make torture    the long XFS-on-LVM-over-NFS torture run (results outside the checkout)"
	@echo "make bench      benchmarks: per-hit cost, workload slowdown, attach/detach, memory"
	@echo "make clean      remove build products from the checkout"
