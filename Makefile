# stackwatch: build the module against a kernel (default: Debian's stock
# kernel, whose Rust metadata scripts/stock-kernel.sh regenerates; or one of
# our cached test kernels, KERNEL=riscv64-8k ...; or any KDIR), and the entry
# points for everything else. `make help` lists the targets.
KERNEL ?= debian
LLVM ?= -19
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib
HOME ?= $(shell getent passwd $$(id -u) | cut -d: -f6)
export HOME
export PATH := $(HOME)/.cargo/bin:$(PATH)
KDIR ?= $(shell bash -c '. scripts/lib.sh && kernel_kdir $(KERNEL)' 2>/dev/null)
# A stock kernel's KDIR (scripts/stock-kernel.sh) names the root whose
# toolchain built it and the compiler arguments its .config asks for; the
# build runs there. Our own kernels are built with clang (LLVM=-19).
TOOLROOT = $(shell cat $(KDIR)/.stackwatch-toolroot 2>/dev/null)
KMAKE = $(if $(TOOLROOT),scripts/toolroot.sh --run $(TOOLROOT) make -C $(KDIR) $(shell cat $(KDIR)/.stackwatch-make),\
	$(MAKE) -C $(KDIR) ARCH=$(shell bash -c '. scripts/lib.sh && kernel_arch $(KERNEL)') LLVM=$(LLVM))

.PHONY: all module kernel stock-kernel setup test test-riscv demo torture bench clean help host-test deb

all: module

module:
	@test -f "$(KDIR)/.stackwatch-built" || test -f "$(KDIR)/.stackwatch-toolroot" || test -f "$(KDIR)/Module.symvers" || \
	  { echo "stackwatch: no kernel to build against at KDIR='$(KDIR)': run 'make kernel' (or set KDIR)" >&2; exit 1; }
	$(KMAKE) M=$(CURDIR) modules

setup:
	scripts/setup.sh

kernel: setup
	bash -c '. scripts/lib.sh && prepare_kernel $(KERNEL) && echo $$KDIR'

stock-kernel: setup
	scripts/stock-kernel.sh $(RELEASE)

host-test:
	cd rust/core && cargo test
	cd rust/format && cargo test
	cd rust/cli && cargo test

test:
	tests/run.sh

test-riscv:
	tests/run.sh riscv

deb:
	scripts/make-deb.sh

demo:
	scripts/demo.sh

torture:
	tests/torture.sh long

bench:
	scripts/bench.sh

clean:
	-test -d "$(KDIR)" && $(KMAKE) M=$(CURDIR) clean
	rm -rf rust/target deb

help:
	@echo "make            build stackwatch.ko against KDIR (default: KERNEL=$(KERNEL), Debian's stock kernel)"
	@echo "make kernel     install prerequisites and make KERNEL ready (stock: metadata, image, modules; ours: build; cached)"
	@echo "make stock-kernel [RELEASE=7.3.4+deb13-amd64]  regenerate a Debian kernel's Rust metadata (KDIR overlay)"
	@echo "make deb        the Debian packages stackwatch-dkms and stackwatch, into deb/"
	@echo "make demo       set up, build, boot QEMU, run a workload, print the report"
	@echo "make test       set up and run the whole test suite"
	@echo "make test-riscv  riscv64 16K, 8K and 4K kernels (make test has 8K and 4K; 16K is left out for CI time)"
	@echo "make torture    the long XFS-on-LVM-over-NFS torture run (results outside the checkout)"
	@echo "make bench      benchmarks: per-hit cost, workload slowdown, attach/detach, memory"
	@echo "make clean      remove build products from the checkout"
