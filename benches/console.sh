#!/usr/bin/env bash
# Console benchmark: a tenant with N tickets (default 1,000,000, from `omnibridge seed`), an
# agent signed in to the console (a real session cookie), four typical views, and a ticket
# with 500 timeline entries. wrk, one connection, DURATION each, measures the server's answer
# for: the queue (`/`), each view's first page (`/tickets?view=ID`, 25 rows, with the
# navigation's counts of every view), a search that matches few tickets and one that matches
# all, and the ticket page. Prints p50/p99.
#
#   benches/console.sh                  # SQLite in a temp dir; seeding 1M tickets takes minutes
#   TICKETS=100000 benches/console.sh
#   WORK=/tmp/console-bench benches/console.sh   # keeps the seeded database for the next run
set -euo pipefail
# Measures the server, not its rate limits (limits.*).
export OMNIBRIDGE__LIMITS__KEY_PER_SECOND=0 OMNIBRIDGE__LIMITS__ADDRESS_PER_SECOND=0
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
TICKETS=${TICKETS:-1000000}
DURATION=${DURATION:-5s}
PORT=${PORT:-18084}
server=
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
  trap '[ -n "$server" ] && kill $server 2>/dev/null' EXIT
else
  work=$(mktemp -d)
  trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
fi

cargo build --release --quiet
bin=target/release/omnibridge
# The seeded tenant has tens of thousands of chats "waiting" for days: alerting every agent
# about each (a batch at a time) is not what is measured here.
export OMNIBRIDGE__SERVER__PORT=$PORT OMNIBRIDGE__DATABASE__URL=$work/console.db RUST_LOG=warn \
  OMNIBRIDGE__SERVER__WAIT_ALERT_SECONDS=0
base=http://127.0.0.1:$PORT
if [ ! -s "$work/console.db" ]; then
  $bin tenant create --name console >/dev/null
  echo "== seeding $TICKETS tickets"
  OMNIBRIDGE__DATABASE__SQLITE_SYNCHRONOUS=NORMAL $bin seed --tenant 1 --tickets "$TICKETS"
fi
run=$(date +%s)
perms=()
for p in TICKET_READ TICKET_UPDATE SET_STATUS MESSAGE_CREATE CUSTOMER_READ VIEW_READ VIEW_CUD USER_READ; do
  perms+=(--permission "$p")
done
me=$($bin user create --tenant 1 --name Bench --email "bench$run@console.example" \
  --password 'bench password' "${perms[@]}" | sed -E 's/.*"userId":([0-9]+).*/\1/')
key=$($bin api-key create --tenant 1 --user "$me" "${perms[@]}" | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
$bin serve & server=$!
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

cookie=$(curl -s -o /dev/null -D - "$base/login" -d "email=bench$run@console.example" \
  --data-urlencode 'password=bench password' | sed -nE 's/^[Ss]et-[Cc]ookie: ([^;]+);.*/\1/p')
[ -n "$cookie" ] || { echo "sign-in failed" >&2; exit 1; }

view() {
  curl -sf "$base/api/v2/view" -H "apiKey: $key" -H 'Content-Type: application/json' \
    -d "$1" | sed -E 's/.*"id":([0-9]+).*/\1/'
}
declare -A views=(
  ["open tickets"]='{"name":"Open","conditions":[{"field":"status","operator":"is","value":"open"}]}'
  ["my urgent open"]='{"name":"Mine","conditions":[{"field":"assigned_user_id","operator":"is","value":"me"},{"field":"priority","operator":"in","value":["high","urgent"]},{"field":"status","operator":"not_in","value":["solved","closed"]}]}'
  ["unassigned waiting chats"]='{"name":"Waiting","conditions":[{"field":"chat_state","operator":"is","value":"waiting"},{"field":"assigned_user_id","operator":"is_not_set"}],"sort":"created_at asc"}'
  ["vip, updated in 24h"]='{"name":"VIP","conditions":[{"field":"tags","operator":"has","value":"vip"},{"field":"last_update","operator":"newer_than","value":"-24h"}]}'
)
declare -A ids=()
for name in "${!views[@]}"; do ids[$name]=$(view "${views[$name]}"); done

# A ticket with 500 timeline entries: its own, plus notes up to 500.
ticket=$(curl -sf "$base/api/v2/ticket?itemLimit=1" -H "apiKey: $key" | sed -E 's/.*"items":\[\{"id":([0-9]+).*/\1/')
have=$(curl -sf "$base/api/v2/ticket/$ticket?getTicketHistory=true" -H "apiKey: $key" | grep -o '"created_at"' | wc -l)
for i in $(seq $((have)) 499); do
  curl -sf "$base/api/v2/message" -H "apiKey: $key" -H 'Content-Type: application/json' \
    -d "{\"ticketID\":$ticket,\"type\":\"note\",\"message\":\"Note number $i on this ticket\"}" >/dev/null
done
entries=$(curl -sf "$base/api/v2/ticket/$ticket?getTicketHistory=true" -H "apiKey: $key" | grep -o '"type":"\(message\|note\|event\|attachment\)"' | wc -l)

cat > "$work/get.lua" <<LUA
wrk.headers["Cookie"] = "$cookie"
function done(summary, latency, requests)
  io.write(string.format("p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status))
end
LUA
measure() {
  local result
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$2")
  [ "$status" = 200 ] || { echo "$1: $status" >&2; exit 1; }
  result=$(wrk -t1 -c1 -d"$DURATION" --latency -s "$work/get.lua" "$2" | grep '^p50_ms')
  printf '%-40s %s\n' "$1" "$result"
}
counted=$(curl -sf "$base/api/v2/view" -H "apiKey: $key" | sed -E 's/.*"itemTotal":([0-9]+).*/\1/')
echo "== the console over $TICKETS tickets ($counted views counted on every page)"
measure "queue (/)" "$base/"
for name in "${!views[@]}"; do
  measure "view: $name" "$base/tickets?view=${ids[$name]}"
done
measure "all tickets, page 1" "$base/tickets"
measure "search, 499 matches: \"note\"" "$base/tickets?q=note"
measure "search, every ticket matches: \"seeded\"" "$base/tickets?q=seeded"
measure "ticket page ($entries timeline entries)" "$base/tickets/$ticket"
