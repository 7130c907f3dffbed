# stackwatch: build the module against a kernel (default: Debian's stock
# kernel, whose Rust metadata scripts/stock-kernel.sh regenerates; or one of
# our cached test kernels, KERNEL=riscv64-8k ...; or any KDIR), and the entry
# points for everything else. `make help` lists the targets: it prints the
# `## ` comment above each one (tests/docs.rs checks every target has one).
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

.PHONY: all module kernel stock-kernel setup test test-riscv test-arm64 test-kernels demo torture bench clean help host-test docs deb

## build stackwatch.ko against KDIR (default KERNEL=debian: Debian's stock kernel; KERNEL=riscv64-8k ... for ours)
all: module

## the same as `make`
module:
	@test -f "$(KDIR)/.stackwatch-built" || test -f "$(KDIR)/.stackwatch-toolroot" || test -f "$(KDIR)/Module.symvers" || \
	  { echo "stackwatch: no kernel to build against at KDIR='$(KDIR)': run 'make kernel' (or set KDIR)" >&2; exit 1; }
	$(KMAKE) M=$(CURDIR) modules

## install what is missing (Debian packages, QEMU, clang-19, rust-src, bindgen); quiet when nothing is
setup:
	scripts/setup.sh

## make KERNEL ready (stock: metadata, image, modules; ours: build; cached)
kernel: setup
	bash -c '. scripts/lib.sh && prepare_kernel $(KERNEL) && echo $$KDIR'

## regenerate a Debian kernel's Rust metadata (KDIR overlay): make stock-kernel [RELEASE=7.3.4+deb13-amd64]
stock-kernel: setup
	scripts/stock-kernel.sh $(RELEASE)

## cargo test of the host crates (rust/core, rust/format, rust/cli), no kernel needed
host-test:
	cd rust/core && cargo test
	cd rust/format && cargo test
	cd rust/cli && cargo test

## set up and run the whole test suite (ends "N passed, N failed"; suites: docs/testing.md)
test:
	tests/run.sh

## riscv64 16K, 8K and 4K kernels (make test has 4K only; 8K and 16K are left out for CI time)
test-riscv:
	tests/run.sh riscv

## Debian's arm64 flavour, cross-built and booted under qemu-system-aarch64 (TCG): basic, chains, smoke
test-arm64:
	tests/run.sh arm64

## every Rust-enabled Debian flavour (amd64, cloud-amd64, rt-amd64; arm64, arm64-16k, cloud-arm64, rt-arm64 under qemu-system-aarch64): metadata, stackwatch built and loaded, dkms build (amd64)
test-kernels:
	tests/run.sh kernels

## the Debian packages stackwatch-dkms and stackwatch, into deb/ (root; docs/install.md)
deb:
	scripts/make-deb.sh

## set up, build, boot QEMU, build XFS on LVM over NFS, run a workload, print the report (cost: README)
demo:
	scripts/demo.sh

## the long XFS-on-LVM-over-NFS torture run (results outside the checkout)
torture:
	tests/torture.sh long

## benchmarks: per-hit cost, workload slowdown, attach/detach, memory
bench:
	scripts/bench.sh

## remove build products from the checkout
clean:
	-test -d "$(KDIR)" && $(KMAKE) M=$(CURDIR) clean
	rm -rf rust/target deb

## regenerate the CLI reference and man pages from the clap definitions (docs/cli.md, docs/man/)
docs:
	cd rust/cli && cargo run --quiet --example gen-docs -- $(CURDIR)

## this list
help:
	@awk '/^## / { d = substr($$0, 4); next } \
	     /^[a-z][a-z0-9-]*:/ && d != "" { split($$0, t, ":"); printf "make %-13s %s\n", t[1], d } \
	     { d = "" }' $(firstword $(MAKEFILE_LIST))
