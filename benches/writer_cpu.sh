#!/usr/bin/env bash
# The SQLite writer thread's CPU per stored message: a 15 s peak run of load.sh's message
# (32 connections, a new chat every 10 messages) against a build, reading the writer thread's
# and the whole process' CPU time from /proc before and after. Steadier than a rate on a
# machine whose speed varies: compare two builds the same hour.
#
#   benches/writer_cpu.sh [BINARY]        # default: this checkout's release build
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
if [ -n "${1:-}" ]; then bin=$1; else cargo build --release --quiet; bin=target/release/omnibridge; fi
work=$(mktemp -d); PORT=${PORT:-18181}
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export OMNIBRIDGE__LIMITS__KEY_PER_SECOND=0 OMNIBRIDGE__LIMITS__ADDRESS_PER_SECOND=0 \
  OMNIBRIDGE__SERVER__PORT=$PORT OMNIBRIDGE__DATABASE__URL=$work/bench.db \
  OMNIBRIDGE__ATTACHMENTS__DIR=$work/files RUST_LOG=warn
$bin tenant create --name bench >/dev/null
token=$($bin chat-account create --tenant 1 --name bench --token benchwebchat01 | sed -E 's/.*"chatAccountToken":"([^"]+)".*/\1/')
key=$($bin api-key create --tenant 1 --permission API_CHAT | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
$bin serve & server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
export OB_API_KEY=$key OB_TOKEN=$token OB_PER_CHAT=10 OB_LANES=16
OB_RUN=warm wrk -t1 -c4 -d3s -s benches/chat_message.lua "http://127.0.0.1:$PORT" >/dev/null
tid=$(grep -l sqlite-writer /proc/$server/task/*/comm | head -1 | xargs dirname | xargs basename)
writer() { awk '{print $14+$15}' "/proc/$server/task/$tid/stat"; }
process() { awk '{print $14+$15}' "/proc/$server/stat"; }
w0=$(writer); p0=$(process)
out=$(OB_RUN=peak wrk -t2 -c32 -d15s --latency -s benches/chat_message.lua "http://127.0.0.1:$PORT" | grep '^RESULT' | tail -1)
w1=$(writer); p1=$(process)
n=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM messages WHERE body LIKE '% of peak'\").fetchone()[0])" "$work/bench.db")
sed -E 's/.* rps=([^ ]+).*p99_ms=([^ ]+).*/stored \1\/s  p99 \2 ms/' <<<"$out"
awk -v w=$((w1 - w0)) -v p=$((p1 - p0)) -v n="$n" -v t="$(getconf CLK_TCK)" \
  'BEGIN { printf "%d messages; writer thread %.1f us/message; whole process %.1f us/message\n", n, w * 1e6 / t / n, p * 1e6 / t / n }'
