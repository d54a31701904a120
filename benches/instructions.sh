#!/usr/bin/env bash
# Instructions the server executes per stored message, counted by valgrind (callgrind): the
# same every run, where rates and CPU times on a shared machine vary by ±25 %. For comparing
# two builds, or a change to a message's path, without the noise:
#
#   benches/instructions.sh [BINARY] [MESSAGES]   # default: this checkout's release build, 10000
#
# The server runs under callgrind (about 50 times slower); a client sends MESSAGES of load.sh's
# message (8 at a time, a new chat every 10) and the counters are read before the server stops
# (its stop writes the event log: not a message's cost); a run with no messages is subtracted
# (start, migrations, idle timers). Counts are whole-process instructions, not time: a memset
# by `rep stosb` counts a step per byte, a cache miss counts nothing. What runs on a clock (the
# search index's catch-up every 100 ms) runs ~50 times as often per message as at full speed,
# so its fixed cost per run weighs more here than in a real second.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
if [ -n "${1:-}" ]; then bin=$(realpath "$1"); else cargo build --release --quiet; bin=$PWD/target/release/omnibridge; fi
messages=${2:-10000}
PORT=${PORT:-18182}

count() {
  local n=$1 work server token key
  work=$(mktemp -d)
  export OMNIBRIDGE__LIMITS__KEY_PER_SECOND=0 OMNIBRIDGE__LIMITS__ADDRESS_PER_SECOND=0 \
    OMNIBRIDGE__SERVER__PORT=$PORT OMNIBRIDGE__DATABASE__URL=$work/bench.db \
    OMNIBRIDGE__ATTACHMENTS__DIR=$work/files RUST_LOG=warn
  "$bin" tenant create --name bench >/dev/null
  token=$("$bin" chat-account create --tenant 1 --name bench --token benchwebchat01 | sed -E 's/.*"chatAccountToken":"([^"]+)".*/\1/')
  key=$("$bin" api-key create --tenant 1 --permission API_CHAT | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
  (cd "$work" && exec valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" serve 2>"$work/vg.log") &
  server=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
  python3 benches/send_messages.py "http://127.0.0.1:$PORT" "$key" "$token" "$n" 8 >&2
  # The counters now, before the stop's own work.
  callgrind_control -d "$server" >/dev/null 2>&1
  kill -TERM "$server"; wait "$server" || true
  # The first dump is the one asked for (cg.out.1); its totals line sums every thread.
  awk '/^(summary|totals):/ {print $2; exit}' "$work"/cg.out.1
  rm -rf "$work"
}

with=$(count "$messages")
without=$(count 0)
awk -v a="$with" -v b="$without" -v n="$messages" -v bin="$bin" \
  'BEGIN { printf "%s: %.0f instructions per stored message (whole process, %d messages)\n", bin, (a - b) / n, n }'
