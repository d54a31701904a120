#!/usr/bin/env bash
# Load benchmark: multipart notifyUserNewChatMessage across many sessions (a new session every
# 10 messages) and GET /health, against one release server, in one run. Prints requests/s,
# p50/p99, the ratio of the two rates, the p99 at half the peak message rate, peak RSS, and
# checks that every 200 was committed.
#
#   benches/load.sh                       # SQLite in a temp dir
#   OB_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ob_bench benches/load.sh
#
# Needs wrk (apt-get install wrk). DURATION (default 20s), CONNECTIONS (default 32),
# THREADS (default 2), WORKERS (server workers, default: one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/omnibridge
export OMNIBRIDGE__SERVER__PORT=$PORT
export OMNIBRIDGE__DATABASE__URL=${OB_DATABASE_URL:-$work/bench.db}
export OMNIBRIDGE__ATTACHMENTS__DIR=$work/files
[ -n "${WORKERS:-}" ] && export OMNIBRIDGE__SERVER__WORKERS=$WORKERS
export RUST_LOG=${RUST_LOG:-warn}

if [[ "$OMNIBRIDGE__DATABASE__URL" == postgres* ]]; then
  base=${OMNIBRIDGE__DATABASE__URL%/*}; name=${OMNIBRIDGE__DATABASE__URL##*/}
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
fi

$bin tenant create --name bench >/dev/null
tenant=1
token=$($bin chat-account create --tenant $tenant --name bench --token benchwebchat01 | sed -E 's/.*"chatAccountToken":"([^"]+)".*/\1/')
key=$($bin api-key create --tenant $tenant --permission API_CHAT | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')

$bin serve & server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

export OB_API_KEY=$key OB_TOKEN=$token
url="http://127.0.0.1:$PORT"
result() { grep '^RESULT' | tail -1; }
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

echo "== warm-up"
OB_RUN=warm wrk -t1 -c4 -d3s -s benches/chat_message.lua "$url" >/dev/null

echo "== notifyUserNewChatMessage, $CONNECTIONS connections, $DURATION"
msg=$(OB_RUN=peak wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/chat_message.lua "$url" | result)
echo "$msg"
echo "== GET /health, $CONNECTIONS connections, $DURATION"
health=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/health.lua "$url/health" | result)
echo "$health"

peak=$(field rps "$msg")
half=$(awk -v p="$peak" 'BEGIN { printf "%d", p / 2 }')
# Each connection waits CONNECTIONS/half seconds between requests: about half the peak rate.
delay_ms=$(awk -v c="$CONNECTIONS" -v h="$half" 'BEGIN { printf "%d", c * 1000 / h }')
echo "== notifyUserNewChatMessage at about half the peak ($half/s)"
paced=$(OB_RUN=half OB_DELAY_MS=$delay_ms wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/chat_message.lua "$url" | result)
echo "$paced"

rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
kill $server; wait $server 2>/dev/null || true

ok=$(( $(field requests "$msg") - $(field errors_status "$msg") + $(field requests "$paced") - $(field errors_status "$paced") ))
if [[ "$OMNIBRIDGE__DATABASE__URL" == postgres* ]]; then
  stored=$(psql "$OMNIBRIDGE__DATABASE__URL" -Atc "SELECT COUNT(*) FROM messages WHERE body LIKE 'Hello, this is benchmark%'")
else
  stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM messages WHERE body LIKE 'Hello, this is benchmark%'\").fetchone()[0])" "$OMNIBRIDGE__DATABASE__URL")
fi
warm_stored=$(( stored - ok ))

echo
echo "== summary"
printf 'messages/s %s (p50 %s ms, p99 %s ms), non-2xx %s\n' "$peak" "$(field p50_ms "$msg")" "$(field p99_ms "$msg")" "$(field errors_status "$msg")"
printf 'health/s   %s (p50 %s ms, p99 %s ms)\n' "$(field rps "$health")" "$(field p50_ms "$health")" "$(field p99_ms "$health")"
awk -v m="$peak" -v h="$(field rps "$health")" 'BEGIN { printf "ratio      %.2f\n", m / h }'
printf 'half-peak  %s/s: p50 %s ms, p99 %s ms\n' "$(field rps "$paced")" "$(field p50_ms "$paced")" "$(field p99_ms "$paced")"
printf 'peak RSS   %.1f MB\n' "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
printf 'committed  %s messages stored for %s answers 200 (+%s from warm-up)\n' "$stored" "$ok" "$warm_stored"
[ "$warm_stored" -ge 0 ] || { echo "FAIL: fewer messages stored than 200s answered" >&2; exit 1; }
