#!/usr/bin/env bash
# Load benchmark, three rates in one run against one release server: GET /health (the HTTP
# ceiling); the multipart notifyUserNewChatMessage made invalid (a chatSessionID too short:
# parsed, key checked, validated, 400 — the parse ceiling); the same message stored (a new
# session every 10 messages). Prints each rate with p50/p99, their ratios, the p99 at half the
# peak stored rate, peak RSS, and checks that every 200 of the measured runs was committed.
#
#   benches/load.sh                       # SQLite in a temp dir
#   OB_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ob_bench benches/load.sh
#
# Needs wrk (apt-get install wrk). DURATION (default 20s), CONNECTIONS (default 32),
# THREADS (default 2), WORKERS (server workers, default: one per core), MESSAGES_PER_CHAT
# (default 10; 1 = every message opens a new chat, and the queue grows by one each time),
# BURST=1 (a chat's messages sent all at once, its first ones racing to open it; by default
# each connection's chats get their messages one after another, as from a chat server),
# OB_BIN (a binary to measure instead of this checkout's release build).
set -euo pipefail
# Measures the server, not its rate limits (limits.*).
export OMNIBRIDGE__LIMITS__KEY_PER_SECOND=0 OMNIBRIDGE__LIMITS__ADDRESS_PER_SECOND=0
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# OB_BIN: another build to measure (an older commit's, say), the same way.
if [ -n "${OB_BIN:-}" ]; then bin=$OB_BIN; else cargo build --release --quiet; bin=target/release/omnibridge; fi
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

export OB_API_KEY=$key OB_TOKEN=$token OB_PER_CHAT=${MESSAGES_PER_CHAT:-10}
# A thread's requests in flight each go to a chat of their own, unless BURST.
export OB_LANES=$(( ${BURST:-0} == 1 ? 1 : CONNECTIONS / THREADS ))
url="http://127.0.0.1:$PORT"
result() { grep '^RESULT' | tail -1; }
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

echo "== warm-up"
OB_RUN=warm wrk -t1 -c4 -d3s -s benches/chat_message.lua "$url" >/dev/null

run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | result; }
echo "== stored: notifyUserNewChatMessage, $CONNECTIONS connections, $DURATION"
msg=$(OB_RUN=peak run -s benches/chat_message.lua "$url")
echo "$msg"
echo "== parse ceiling: the same message with a chatSessionID too short (400, nothing stored)"
parse=$(OB_RUN=parse OB_INVALID=1 run -s benches/chat_message.lua "$url")
echo "$parse"
echo "== HTTP ceiling: GET /health"
health=$(run -s benches/health.lua "$url/health")
echo "$health"

peak=$(field rps "$msg")
half=$(awk -v p="$peak" 'BEGIN { printf "%d", p / 2 }')
# Each connection waits CONNECTIONS/half seconds between requests: about half the peak rate.
delay_ms=$(awk -v c="$CONNECTIONS" -v h="$half" 'BEGIN { printf "%d", c * 1000 / h }')
echo "== stored at about half the peak ($half/s)"
paced=$(OB_RUN=half OB_DELAY_MS=$delay_ms run -s benches/chat_message.lua "$url")
echo "$paced"

rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
# SQLite's write-ahead log file, before the server's exit removes it: SQLite never shrinks
# it, so its size is the most the log held at once.
wal_bytes=$(stat -c %s "${OMNIBRIDGE__DATABASE__URL#sqlite://}-wal" 2>/dev/null || echo 0)
kill $server; wait $server 2>/dev/null || true

# Every 200 of the measured runs committed: their messages end with the run's name, so the
# warm-up's (and the invalid run's, none) are not counted.
answered=$(( $(field requests "$msg") - $(field errors_status "$msg") + $(field requests "$paced") - $(field errors_status "$paced") ))
count_sql="SELECT COUNT(*) FROM messages WHERE body LIKE '% of peak' OR body LIKE '% of half'"
parse_sql="SELECT COUNT(*) FROM messages WHERE body LIKE '% of parse'"
if [[ "$OMNIBRIDGE__DATABASE__URL" == postgres* ]]; then
  stored=$(psql "$OMNIBRIDGE__DATABASE__URL" -Atc "$count_sql")
  leaked=$(psql "$OMNIBRIDGE__DATABASE__URL" -Atc "$parse_sql")
else
  sqlite() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$OMNIBRIDGE__DATABASE__URL" "$1"; }
  stored=$(sqlite "$count_sql")
  leaked=$(sqlite "$parse_sql")
fi

line() { printf '%-14s %9s/s  p50 %6s ms  p99 %6s ms  non-2xx %s\n' "$1" "$(field rps "$2")" "$(field p50_ms "$2")" "$(field p99_ms "$2")" "$(field errors_status "$2")"; }
echo
database=SQLite; [[ "$OMNIBRIDGE__DATABASE__URL" == postgres* ]] && database=Postgres
pattern="one after another"; [ "$OB_LANES" = 1 ] && pattern="all at once (BURST)"
echo "== summary ($(nproc) cores, $CONNECTIONS connections, $DURATION each, $database, a chat's messages $pattern)"
line "GET /health" "$health"
line "parse ceiling" "$parse"
line "stored" "$msg"
line "stored, half" "$paced"
awk -v m="$peak" -v p="$(field rps "$parse")" -v h="$(field rps "$health")" \
  'BEGIN { printf "ratios         stored/parse %.2f  stored/health %.3f  parse/health %.2f\n", m / p, m / h, p / h }'
printf 'peak RSS       %.1f MB\n' "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
if [ "$database" = SQLite ]; then printf 'SQLite WAL     %.1f MB at most\n' "$(awk -v b="$wal_bytes" 'BEGIN { print b / 1048576 }')"; fi
printf 'committed      %s messages stored for %s answers 200\n' "$stored" "$answered"
[ "$stored" -ge "$answered" ] || { echo "FAIL: fewer messages stored than 200s answered" >&2; exit 1; }
[ "$leaked" -eq 0 ] || { echo "FAIL: the invalid run stored $leaked messages" >&2; exit 1; }
