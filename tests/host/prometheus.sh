#!/usr/bin/env bash
# Prometheus, read by the real thing, on a snapshot from a guest run: promtool
# checks the export and the sample alerting rules (and unit-tests them),
# systemd-analyze verifies the unit; then a real node_exporter
# (textfile collector only, on a free loopback port) serves what `stackwatch
# export --textfile DIR --interval` writes, /metrics is scraped over
# loopback, and every stackwatch sample must be there with the snapshot's
# values (rust/cli/tests/prometheus_live.rs). The exporter must stop cleanly
# on SIGTERM. Prints "ok - ..." / "not ok - ..." lines; exits 1 if any failed.
#   tests/host/prometheus.sh SNAPSHOT_DIR OUT_DIR
set -uo pipefail
snap=$(realpath "${1:?usage: prometheus.sh SNAPSHOT_DIR OUT_DIR}")
out=${2:?usage: prometheus.sh SNAPSHOT_DIR OUT_DIR}
cd "$(dirname "$0")/../.." || exit 1
sw=$PWD/rust/target/debug/stackwatch
rules=contrib/prometheus/stackwatch-rules.yml
bad=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; bad=1; }
mkdir -p "$out/textfile"; rm -f "$out/textfile/"*
node_pid='' export_pid=''
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  [ -z "$export_pid" ] || kill "$export_pid" 2>/dev/null
  [ -z "$node_pid" ] || { kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; }
}
trap cleanup EXIT

# Polls `$@` every half second until it succeeds, for at most $1 seconds
# (a cap far above what it takes), or until process $2 (if given) is gone.
wait_for() {
  local cap=$1 pid=$2 i; shift 2
  for ((i = 0; i < cap * 2; i++)); do
    "$@" && return 0
    [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

if "$sw" export --prometheus --from "$snap" > "$out/export.prom" 2> "$out/export.err" &&
   promtool check metrics < "$out/export.prom" > "$out/promtool-metrics.log" 2>&1; then
  ok "promtool check metrics: the export of $snap passes ($(grep -vc '^#' "$out/export.prom") samples)"
else nok "promtool check metrics on the export (log: $out/promtool-metrics.log, $out/export.err)"; fi

if promtool check rules "$rules" > "$out/promtool-rules.log" 2>&1; then
  ok "promtool check rules $rules ($(grep -o '[0-9]* rules found' "$out/promtool-rules.log"))"
else nok "promtool check rules $rules (log: $out/promtool-rules.log)"; fi
if promtool test rules tests/prometheus/stackwatch-rules.test.yml > "$out/promtool-test.log" 2>&1; then
  ok "promtool test rules: the alert fires below 2 KiB left, not at 2048, never for (all); staleness flagged"
else nok "promtool test rules tests/prometheus/stackwatch-rules.test.yml (log: $out/promtool-test.log)"; fi

# The systemd unit, with ExecStart pointing at the binary built here (no
# systemd needs to run for this).
unit=contrib/systemd/stackwatch-textfile.service
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/stackwatch|$sw|" "$unit" > "$out/stackwatch-textfile.service"
  if systemd-analyze verify "$out/stackwatch-textfile.service" > "$out/systemd-verify.log" 2>&1; then
    ok "systemd-analyze verify $unit"
  else nok "systemd-analyze verify $unit (log: $out/systemd-verify.log)"; fi
else echo "systemd-analyze not installed: $unit not verified"; fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$out/textfile" > "$out/node_exporter.log" 2>&1 &
node_pid=$!
url="http://127.0.0.1:$port/metrics"
if ! wait_for 60 "$node_pid" curl -sf -o /dev/null "$url"; then
  nok "node_exporter did not answer on 127.0.0.1:$port (log: $out/node_exporter.log)"; exit 1
fi
ok "node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }') serves 127.0.0.1:$port (textfile collector only)"

# The exporter as the systemd unit runs it, repeating until SIGTERM.
"$sw" export --prometheus --from "$snap" --textfile "$out/textfile" --interval 1s 2> "$out/export-interval.err" &
export_pid=$!
if wait_for 60 "$export_pid" test -s "$out/textfile/stackwatch.prom"; then
  ok "stackwatch export --textfile wrote $(ls "$out/textfile")"
else nok "stackwatch export --textfile wrote nothing (log: $out/export-interval.err)"; fi
curl -sf -o "$out/metrics" "$url" || nok "scrape $url"
kill -TERM "$export_pid"; wait "$export_pid"; rc=$?; export_pid=''
if [ "$rc" = 0 ]; then ok "stackwatch export --interval exits 0 on SIGTERM"
else nok "stackwatch export --interval exited $rc on SIGTERM (log: $out/export-interval.err)"; fi
leftover=$(find "$out/textfile" -name '.*' -type f)
[ -z "$leftover" ] || nok "temporary files left in the textfile directory: $leftover"

log="$out/prometheus-live.log"
if (cd rust/cli && STACKWATCH_LIVE_SCRAPE="$out/metrics" STACKWATCH_LIVE_SNAPSHOT="$snap" \
      cargo test --quiet --test prometheus_live -- --nocapture) > "$log" 2>&1 &&
   grep -q 'served by node_exporter' "$log"; then
  ok "scraped over loopback: $(grep -o '[0-9]* stackwatch samples served.*' "$log")"
else nok "node_exporter's /metrics against the snapshot (log: $log)"; fi
exit $bad
