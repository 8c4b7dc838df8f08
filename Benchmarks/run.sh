#!/usr/bin/env bash
# FastReceiver's performance on this machine, in one command:
#
#   Benchmarks/run.sh [seconds]
#
# 1. builds the release binary;
# 2. when the shared comparison harness is present (COMPARE, default ../shared/bench/compare.py),
#    runs it: nginx returning 200, the Flask seed, Hummingbird and FastReceiver side by side in
#    one run, server on one CPU, wrk with distinct DT-signed events on another;
# 3. runs FastReceiver alone on the last CPU with `fast-receiver send` on the first: the
#    closed-loop peak with 64 connections, then an open-loop run at 80 % of that peak, whose
#    latencies are measured from each request's scheduled time;
# 4. prints the results as a table.
#
# Every server runs with fsync durability (the default) and a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
secret="bench-signature-secret-0123456789"
compare="${COMPARE:-../shared/bench/compare.py}"
cpus=($(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))'))
client_cpu="${cpus[0]}"
server_cpu="${cpus[${#cpus[@]}-1]}"

swift build -c release --product fast-receiver >&2
binary="$PWD/.build/release/fast-receiver"

if [ -f "$compare" ]; then
  echo "== side by side (${compare}, 256 connections, distinct events) =="
  python3 "$compare" --target "fast-receiver=$binary serve --host 127.0.0.1" \
    --connections 256 --duration 5 --pool 700000
  echo
fi

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
DT_SIGNATURE_SECRET="$secret" taskset -c "$server_cpu" "$binary" serve --host 127.0.0.1 --port "$port" \
  --data-dir "$data" --log-level warning &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  "$binary" healthcheck --url "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.1
done

send() {
  DT_SIGNATURE_SECRET="$secret" taskset -c "$client_cpu" "$binary" send --url "http://127.0.0.1:$port/" --json "$@"
}
peak_json="$(send --concurrency 64 --duration 5)"
peak="$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["rate"]))' "$peak_json")"
rate=$((peak * 8 / 10))
open_json="$(send --rate "$rate" --concurrency 256 --duration "$seconds")"

python3 - "$peak_json" "$open_json" <<'PY'
import json, sys
peak, open_loop = (json.loads(a) for a in sys.argv[1:3])
def row(name, r):
    l = r["latencyMicroseconds"]
    return (f"{name:<34}{r['rate']:>10.0f}{l['p50']:>9}{l['p90']:>9}{l['p99']:>9}{l['p999']:>9}"
            f"{r['non2xx']:>9}{r['connectionErrors']:>8}")
print("== FastReceiver alone (fast-receiver send, fsync durability) ==")
print(f"{'run':<34}{'req/s':>10}{'p50 us':>9}{'p90 us':>9}{'p99 us':>9}{'p99.9 us':>9}{'non-2xx':>9}{'errors':>8}")
print(row("closed loop, 64 connections", peak))
print(row(f"open loop at 80 % ({open_loop['targetRate']:.0f}/s)", open_loop))
PY
