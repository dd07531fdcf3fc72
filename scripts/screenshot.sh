#!/usr/bin/env bash
# scripts/screenshot.sh [BUILD]: docs/dashboard.png, the dashboard during a
# Punishment spike, taken by headless chromium. A private redis-server,
# errwatchd on generated logs (steady traffic on three hosts' worth of
# classes, a Punishment burst in the middle), errwatch-web on the same
# Redis; after about 80 s the page is shot at 1280x1500. Real components
# only: nothing on the picture is drawn by hand.
set -euo pipefail

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC/$BUILD/errwatchd
WEB=$SRC/$BUILD/errwatch-web
OUT=${OUT:-$SRC/docs/dashboard.png}
D=$(mktemp -d /tmp/errwatch-shot.XXXXXX)
SOCK=$D/redis.sock
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT

redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' \
    --appendonly no --dir "$D" --daemonize yes --pidfile "$D/redis.pid" \
    --logfile "$D/redis.log"
for _ in $(seq 50); do redis-cli -s "$SOCK" ping >/dev/null 2>&1 && break; sleep 0.1; done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

for h in gw-01 gw-02 match-01; do
	mkdir -p "$D/$h"
	cat > "$D/$h.yaml" <<YAML
host: $h
table: $SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: 500ms
inputs:
  - name: app
    paths: ["$D/$h/*.log"]
    start_at: beginning
alerts:
  rules:
    - {match: Punishment, threshold: 30, window: 10s, severity: critical}
    - {match: "category:success", enabled: false}
web:
  listen: "127.0.0.1:$PORT"
  assets: $SRC/web
  refresh: 2s
YAML
	"$BIN" -c "$D/$h.yaml" 2>> "$D/errwatchd.log" &
	PIDS+=($!)
done
"$WEB" -c "$D/gw-01.yaml" 2>> "$D/web.log" &
PIDS+=($!)

# 75 s of traffic; the Punishment burst on gw-01 from second 50 on: the
# shot is taken while it fires.
for ((t = 0; t < 75; t++)); do
	for h in gw-01 gw-02 match-01; do
		{
		for ((i = 0; i < 3 + RANDOM % 4; i++)); do
			case $((RANDOM % 6)) in
			0) echo "code=473 name=ServiceUnavailable" ;;
			1) echo "code=401 name=AuthFailure" ;;
			2) echo "code=2001 name=NetworkFailure" ;;
			3) echo "code=7001 name=ExceedDailyUsage" ;;
			4) echo "code=4242" ;;
			*) echo "code=200 name=Success" ;;
			esac
		done
		if [ $h = gw-01 ] && ((t >= 50)); then
			for ((i = 0; i < 12; i++)); do echo "code=461 name=Punishment"; done
		fi
		} >> "$D/$h/app.log"
	done
	sleep 1
done

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$D/chromium" --hide-scrollbars --window-size=1280,1500 \
    --virtual-time-budget=5000 --screenshot="$OUT" \
    "http://127.0.0.1:$PORT/" 2>> "$D/chromium.log"
echo "wrote $OUT"
