#!/usr/bin/env bash
# "No panic path" as a check: fails (naming them) if the module references a
# panic, bounds-check, overflow or sanitizer-report symbol: Rust's panics and
# their failure paths (core::panicking::*, panic_const_* from overflow
# checks, panic_bounds_check, slice/str index failures, unwrap/expect
# failures), and the C side's UBSAN reports and fortify panics.
#   tests/host/check-no-panic.sh MODULE.ko
set -euo pipefail
ko=${1:?usage: check-no-panic.sh MODULE.ko}
nm=$(command -v llvm-nm-19 || command -v llvm-nm) || { echo "no llvm-nm to read $ko" >&2; exit 2; }
pattern='core::panicking::|panic_const_|panic_bounds_check|panic_fmt|panic_nounwind|slice_index_|slice_[a-z_]*_fail|slice_error_fail|str_index_overflow_fail|__ubsan_handle_|__fortify_panic|rust_begin_unwind|unwrap_failed|expect_failed|rust_panic'
syms=$("$nm" --demangle "$ko") || { echo "cannot read the symbols of $ko" >&2; exit 2; }
bad=$(grep -E "$pattern" <<<"$syms" | awk '{ print $NF }' | sort -u || true)
if [ -n "$bad" ]; then
  echo "$ko has a panic path: $(wc -l <<<"$bad") symbols: $(tr '\n' ' ' <<<"$bad")"
  exit 1
fi
echo "$ko: no panic, bounds-check, overflow or sanitizer-report symbol among $(wc -l <<<"$syms") symbols"
