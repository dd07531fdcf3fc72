#!/usr/bin/env bash
# make demo: a private redis-server in a temp dir, generated logs written
# in real time (with a Punishment spike), errwatchd following them, the
# counts shown live from Redis; once the spike is in Redis, errwatch-alerts
# delivers it to a private Alertmanager (when prometheus-alertmanager is
# installed; else straight to a webhook receiver the demo starts), firing
# and then resolved; then everything it started is stopped.
set -euo pipefail

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC/$BUILD/errwatchd
[ -x "$BIN" ] || BIN=$BUILD/errwatchd
ABIN=$(dirname "$BIN")/errwatch-alerts
D=$(mktemp -d /tmp/errwatch-demo.XXXXXX)
SOCK=$D/redis.sock
DPID="" WPID="" APID="" AMPID="" RPID=""

cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null || true
	[ -n "${WEBPID:-}" ] && kill "$WEBPID" 2>/dev/null || true
	[ -n "$APID" ] && kill -TERM "$APID" 2>/dev/null && wait "$APID" 2>/dev/null || true
	[ -n "$AMPID" ] && kill -TERM "$AMPID" 2>/dev/null && wait "$AMPID" 2>/dev/null || true
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null || true
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

# Where errwatch-alerts delivers: a webhook receiver (the tests' own), and
# in front of it a private Alertmanager on loopback when one is installed.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
python3 "$SRC/tests/integration/receiver.py" "$D/recv.port" "$D/recv.log" &
RPID=$!
for _ in $(seq 50); do [ -s "$D/recv.port" ] && break; sleep 0.1; done
RPORT=$(cat "$D/recv.port")
: >> "$D/recv.log"
if command -v prometheus-alertmanager >/dev/null; then
	AMPORT=$(free_port)
	sed "s#url: http://127.0.0.1:5001/#url: http://127.0.0.1:$RPORT/#" \
	    "$SRC/config/alertmanager.yml" > "$D/alertmanager.yml"
	prometheus-alertmanager --config.file="$D/alertmanager.yml" \
	    --storage.path="$D/am" --cluster.listen-address= \
	    --web.listen-address="127.0.0.1:$AMPORT" > "$D/am.log" 2>&1 &
	AMPID=$!
	cat >> "$D/errwatch.yaml" <<YAML
delivery:
  alertmanager: ["http://127.0.0.1:$AMPORT"]
  resend: 5s
  dashboard_url: "http://127.0.0.1:8080/class/{name}"
YAML
	echo "== private Alertmanager on 127.0.0.1:$AMPORT (config/alertmanager.yml), webhook receiver on 127.0.0.1:$RPORT"
else
	cat >> "$D/errwatch.yaml" <<YAML
delivery:
  alertmanager: []
  webhooks: [{url: "http://127.0.0.1:$RPORT/webhook"}]
YAML
	echo "== prometheus-alertmanager is not installed: errwatch-alerts posts to a webhook receiver on 127.0.0.1:$RPORT"
fi

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
	if [ "$active" != "0" ] && [ -z "$APID" ]; then
		echo "== the spike is in Redis: starting errwatch-alerts beside it"
		"$ABIN" -c "$D/errwatch.yaml" 2> "$D/errwatch-alerts.log" &
		APID=$!
	fi
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

# notified STATUS: how many requests the receiver got with that status
# (an Alertmanager notification's "status", or a webhook event's "event").
notified() {
	python3 - "$D/recv.log" "$1" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    n += b.get("status", b.get("event")) == sys.argv[2]
print(n)
PY
}
echo
echo "== waiting for the alert to be delivered, then resolved (at most 40 s)"
for _ in $(seq 400); do
	[ "$(notified resolved)" -ge 1 ] && break
	sleep 0.1
done
if [ -n "$AMPID" ]; then
	echo "== curl http://127.0.0.1:$AMPORT/api/v2/alerts (Alertmanager's view)"
	curl -s "http://127.0.0.1:$AMPORT/api/v2/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    print("   %s %s endsAt %s" % (a["status"]["state"],
        json.dumps(a["labels"], sort_keys=True), a["endsAt"]))'
fi
echo "== what the webhook receiver got"
python3 - "$D/recv.log" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    b = json.loads(r["body"])
    if "alerts" in b:
        for a in b["alerts"]:
            print("   %s %s: %s" % (r["path"], b["status"],
                a["annotations"].get("description", "")))
            print("      labels %s" % json.dumps(a["labels"], sort_keys=True))
    else:
        print("   %s %s: %s" % (r["path"], b["event"], json.dumps(b)))
PY
echo "== errwatch-alerts' log"
sed 's/^/   /' "$D/errwatch-alerts.log"
echo "== done: stopping errwatch-alerts, Alertmanager, the receiver, errwatchd and redis-server"
