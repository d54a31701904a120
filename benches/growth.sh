#!/usr/bin/env bash
# Growth benchmark: does a message cost the same on a tenant that already holds a million
# tickets? One SQLite database grows in steps (omnibridge seed: tickets, customers, chat
# sessions of which about a quarter wait in the queue); at each step a release server is
# measured with wrk: stored messages (a new chat every 10 messages) and stored messages that
# each open a new chat. Prints one CSV line per step and writes them to $OUT (growth.csv);
# benches/growth_chart.py draws them.
#
#   benches/growth.sh                             # 0, 250k, 500k and 1M tickets
#   STEPS="0 100000" DURATION=5s benches/growth.sh
#
# Needs wrk. DURATION (default 10s) per run, CONNECTIONS (default 32).
set -euo pipefail
# Measures the server, not its rate limits (limits.*).
export OMNIBRIDGE__LIMITS__KEY_PER_SECOND=0 OMNIBRIDGE__LIMITS__ADDRESS_PER_SECOND=0
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

STEPS=${STEPS:-0 250000 500000 1000000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18082}
OUT=${OUT:-growth.csv}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/omnibridge
export OMNIBRIDGE__SERVER__PORT=$PORT OMNIBRIDGE__DATABASE__URL=$work/growth.db \
  OMNIBRIDGE__ATTACHMENTS__DIR=$work/files OMNIBRIDGE__MAIL__DIR=$work/mail \
  OMNIBRIDGE__SERVER__WAIT_ALERT_SECONDS=0 RUST_LOG=${RUST_LOG:-warn}
$bin tenant create --name growth >/dev/null
token=$($bin chat-account create --tenant 1 --name growth --token growthwebchat01 \
  | sed -E 's/.*"chatAccountToken":"([^"]+)".*/\1/')
key=$($bin api-key create --tenant 1 --permission API_CHAT | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
export OB_API_KEY=$key OB_TOKEN=$token
url="http://127.0.0.1:$PORT"
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }
sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$OMNIBRIDGE__DATABASE__URL" "$1"; }

echo "tickets,waiting,stored_per_s,stored_p99_ms,new_chat_per_s,new_chat_p99_ms" | tee "$OUT"
# The 20 agents first, at every step the same: each new chat notifies every agent.
$bin seed --tenant 1 --tickets 0 --agents 20 >/dev/null
seeded=0
for step in $STEPS; do
  if [ "$step" -gt "$seeded" ]; then
    $bin seed --tenant 1 --tickets $(( step - seeded )) --agents 0 >/dev/null
    seeded=$step
  fi
  $bin serve & server=$!
  for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
  tickets=$(sql "SELECT COUNT(*) FROM tickets")
  waiting=$(sql "SELECT COUNT(*) FROM chat_sessions WHERE state = 'waiting'")
  OB_RUN="warm$step" wrk -t1 -c4 -d2s -s benches/chat_message.lua "$url" >/dev/null
  stored=$(OB_RUN="s$step" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/chat_message.lua "$url" | grep '^RESULT')
  fresh=$(OB_RUN="n$step" OB_PER_CHAT=1 wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/chat_message.lua "$url" | grep '^RESULT')
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  for result in "$stored" "$fresh"; do
    [ "$(field errors_status "$result")" -eq 0 ] || { echo "FAIL: non-2xx answers: $result" >&2; exit 1; }
  done
  echo "$tickets,$waiting,$(field rps "$stored"),$(field p99_ms "$stored"),$(field rps "$fresh"),$(field p99_ms "$fresh")" | tee -a "$OUT"
done
