# Reading a guest's console log, binary-safe: sourced by qemu/run.sh and the
# harness test (tests/host/console-scan.sh). A serial console can hold NUL
# bytes (the debug kernel's held 1,563 in one run) and stray non-UTF-8 bytes;
# plain grep then takes the file for binary and prints no line, so a kernel
# report would go unseen, and a line that NULs precede would not match an
# anchored pattern. Every scan here drops the NULs and reads the rest as
# text (-a).

# What counts as a kernel report on a console.
CONSOLE_BAD='Oops|BUG:|WARNING:|stack guard page was hit|Kernel panic|kernel BUG at|general protection fault|Unable to handle kernel|Insufficient stack space|possible circular locking|INFO: task .* blocked|detected stalls|UBSAN:|KASAN:|Kernel stack overflow|refcount_t:'
# The first line of stackwatch's own (the module, or the guest's init).
CONSOLE_SW='stackwatch: |stackwatch-guest:'

# console_clean FILE: drops the NUL bytes from FILE in place; prints how
# many there were.
console_clean() {
  local n
  n=$(LC_ALL=C tr -cd '\000' < "$1" | wc -c)
  if [ "$n" -gt 0 ]; then
    LC_ALL=C tr -d '\000' < "$1" > "$1.clean" && mv "$1.clean" "$1"
  fi
  echo "$n"
}

# console_text FILE: FILE without its NUL bytes.
# console_first_report FILE [ALLOW]: the first kernel report line of FILE
# (not a guest script's own "[guest]" line, nor one matching ALLOW).
console_text() { LC_ALL=C tr -d '\000' < "$1"; }

console_first_report() {
  console_text "$1" | LC_ALL=C grep -av '^\[guest\]' | LC_ALL=C grep -aE "$CONSOLE_BAD" | LC_ALL=C grep -avE "${2:-^$}" | head -n 1 || true
}

# console_report_precedes_stackwatch FILE [ALLOW]: true if FILE's first
# kernel report comes before any line of stackwatch's (the kernel's own
# trouble while booting, not ours).
console_report_precedes_stackwatch() {
  local bad sw
  bad=$(console_text "$1" | LC_ALL=C grep -naE "$CONSOLE_BAD" | LC_ALL=C grep -av '^[0-9]*:\[guest\]' | LC_ALL=C grep -avE "${2:-^$}" | head -n 1 | cut -d: -f1 || true)
  sw=$(console_text "$1" | LC_ALL=C grep -naE "$CONSOLE_SW" | head -n 1 | cut -d: -f1 || true)
  [ -n "$bad" ] && { [ -z "$sw" ] || [ "$bad" -lt "$sw" ]; }
}
