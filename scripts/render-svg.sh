#!/usr/bin/env bash
# Renders an SVG (a flame graph from `stackwatch flamegraph`) to PNG with
# headless Chromium, at the SVG's own size: how the README's picture is made.
#   scripts/render-svg.sh IN.svg OUT.png
# Chromium comes from `scripts/setup.sh --docs`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -eq 2 ] || die "usage: scripts/render-svg.sh IN.svg OUT.png"
in=$(realpath "$1") out=$(realpath -m "$2")
[ -f "$in" ] || die "$1: no such file"
command -v chromium >/dev/null || "$here/setup.sh" --docs
# The size from the root element: <svg ... width="1600" height="830" ...>.
root=$(head -c 4096 "$in" | grep -o '<svg [^>]*>' | head -n1)
width=$(sed -n 's/.* width="\([0-9]*\)".*/\1/p' <<<"$root")
height=$(sed -n 's/.* height="\([0-9]*\)".*/\1/p' <<<"$root")
{ [ -n "$width" ] && [ -n "$height" ]; } || die "$1: no width and height on its <svg> element"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --screenshot="$out" \
  --window-size="$width,$height" "file://$in" 2>/dev/null
[ -s "$out" ] || die "chromium wrote no picture to $out"
echo "$out (${width}x$height)"
