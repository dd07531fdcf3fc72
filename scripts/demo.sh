#!/usr/bin/env bash
# make demo: a private redis-server in a temp dir, generated logs written
# in real time (with a Punishment spike), errwatchd following them, the
# counts shown live from Redis; then everything it started is stopped.
set -euo pipefail

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC/$BUILD/errwatchd
[ -x "$BIN" ] || BIN=$BUILD/errwatchd
D=$(mktemp -d /tmp/errwatch-demo.XXXXXX)
SOCK=$D/redis.sock
DPID="" WPID=""

cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null || true
	[ -n "${WEBPID:-}" ] && kill "$WEBPID" 2>/dev/null || true
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT

rcli() { redis-cli -s "$SOCK" "$@"; }

echo "== private redis-server on $SOCK"
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' \
    --appendonly no --dir "$D" --daemonize yes --pidfile "$D/redis.pid" \
    --logfile "$D/redis.log"
for _ in $(seq 50); do rcli ping >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$D/logs"
cat > "$D/errwatch.yaml" <<YAML
host: demo
table: $SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: 500ms
inputs:
  - name: gateway
    paths: ["$D/logs/*.log"]
    start_at: beginning
alerts:
  rules:
    - {match: Punishment, threshold: 30, window: 5s, severity: critical}
    - {match: "category:success", enabled: false}
YAML

echo "== errwatchd --check-config"
"$BIN" --check-config -c "$D/errwatch.yaml"

# The writer: ordinary traffic on two files, a Punishment burst from
# second 6 to 9. One line per write, as applications do.
writer() {
	local t i f
	for ((t = 0; t < 14; t++)); do
		for ((i = 0; i < 20; i++)); do
			f=$D/logs/gateway.log
			((i % 2)) && f=$D/logs/match.log
			case $((RANDOM % 10)) in
			0) echo "ts=$(date +%s) level=error code=473 name=ServiceUnavailable" >> "$f" ;;
			1) echo "ts=$(date +%s) level=error code=500" >> "$f" ;;
			2) echo "ts=$(date +%s) level=warn code=401 name=AuthFailure" >> "$f" ;;
			3) echo "ts=$(date +%s) level=info code=200 name=Success" >> "$f" ;;
			*) echo "ts=$(date +%s) level=info msg=\"room joined\" path=/rooms/461/join dur_ms=473" >> "$f" ;;
			esac
			if ((t >= 6 && t < 9)); then
				echo "ts=$(date +%s) level=error code=461 name=Punishment user=u$i" >> "$D/logs/gateway.log"
			fi
		done
		sleep 1
	done
}

echo "== errwatchd following $D/logs/*.log"
"$BIN" -c "$D/errwatch.yaml" 2> "$D/errwatchd.log" &
DPID=$!

# errwatch-web (SPEC §14): the dashboard, on the demo's Redis.
WEB_PORT=${WEB_PORT:-$(python3 -c 'import socket; s=socket.socket()
try: s.bind(("127.0.0.1", 8080))
except OSError: s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')}
printf 'web:\n  listen: "127.0.0.1:%s"\n  assets: %s/web\n  refresh: 2s\n' \
    "$WEB_PORT" "$SRC" >> "$D/errwatch.yaml"
"${BIN%/*}/errwatch-web" -c "$D/errwatch.yaml" 2> "$D/errwatch-web.log" &
WEBPID=$!
echo "== dashboard: http://127.0.0.1:$WEB_PORT/  (errwatch-web, pid $WEBPID)"
writer &
WPID=$!

for ((s = 0; s < 20; s++)); do
	sleep 1
	printf '\n== t=%2ds  redis-cli HGETALL errwatch:count:total\n' "$s"
	rcli HGETALL errwatch:count:total | paste - - |
	    awk -F'\t' '{ printf "   %-22s %6d\n", $1, $2 }'
	active=$(rcli HLEN errwatch:alerts:active 2>/dev/null || echo 0)
	[ "$active" != "0" ] && echo "   alerts firing: $(rcli HKEYS errwatch:alerts:active | tr '\n' ' ')"
done
wait "$WPID" 2>/dev/null || true
WPID=""

echo
echo "== redis-cli XRANGE errwatch:alerts - +   (the Punishment spike: firing, then resolved)"
rcli XRANGE errwatch:alerts - + | paste -s -d' ' | sed 's/ [0-9]*-[0-9]* event /\n   event /g; s/^[0-9]*-[0-9]* event /   event /'
echo
echo "== redis-cli XREVRANGE errwatch:series:10s + - COUNT 3"
rcli XREVRANGE errwatch:series:10s + - COUNT 3 | paste -s -d' ' | sed 's/ \([0-9]*-1\) / \n   \1 /g; s/^/   /'
echo
echo "== redis-cli HGETALL errwatch:stats:demo"
rcli HGETALL errwatch:stats:demo | paste - - | sed 's/^/   /'
echo "== the daemon's log"
sed 's/^/   /' "$D/errwatchd.log"
echo "== done: stopping errwatchd and redis-server"
