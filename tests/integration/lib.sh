# lib.sh: sourced by every integration scenario. Makes a temp dir, starts
# a private redis-server on a unix socket in it, runs the real errwatchd,
# and stops everything on exit. Waits are bounded polls, never bare sleeps.
set -euo pipefail

: "${EW_BIN:?EW_BIN: path of errwatchd}"
: "${EW_SRC:?EW_SRC: source dir}"
: "${EW_BUILD:=$(dirname "$EW_BIN")}"

T=$(mktemp -d /tmp/ew-test.XXXXXX)
LOGS=$T/logs
mkdir -p "$LOGS"
DPID=""
SOCK=$T/redis.sock
CFG=$T/errwatch.yaml

cleanup() {
	local rc=$?
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
	[ -f "$T/redis.pid" ] && kill -9 "$(cat "$T/redis.pid")" 2>/dev/null || true
	if [ $rc -ne 0 ]; then
		echo "--- daemon log (last 40 lines) ---"
		tail -n 40 "$T/daemon.log" 2>/dev/null || true
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# wait_for TRIES INTERVAL CMD...: polls CMD until it succeeds.
wait_for() {
	local tries=$1 interval=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$interval"
	done
	return 1
}

start_redis() {
	rm -f "$SOCK"
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$T" --daemonize yes \
	    --pidfile "$T/redis.pid" --logfile "$T/redis.log" "$@"
	wait_for 100 0.05 redis-cli -s "$SOCK" ping ||
		fail "redis-server did not start"
}

stop_redis() {
	redis-cli -s "$SOCK" shutdown nosave >/dev/null 2>&1 || true
	wait_for 100 0.05 bash -c "! [ -S '$SOCK' ]" || true
}

rc() {
	redis-cli -s "$SOCK" "$@"
}

# write_config [extra top-level yaml...]: one input over $LOGS/*.log.
write_config() {
	cat > "$CFG" <<YAML
host: testhost
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: ${FLUSH:-200ms}
inputs:
  - name: app
    paths: ["$LOGS/*.log"]
    start_at: ${START_AT:-beginning}
    rotate_wait: ${ROTATE_WAIT:-1s}
YAML
}

start_daemon() {
	"$EW_BIN" -c "$CFG" "$@" >> "$T/daemon.log" 2>&1 &
	DPID=$!
	wait_for 100 0.05 grep -q "stored offsets loaded" "$T/daemon.log" ||
		fail "errwatchd did not load its offsets"
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID"
	local st=0
	wait "$DPID" || st=$?
	DPID=""
	[ $st -eq 0 ] || fail "errwatchd exited $st on SIGTERM"
}

# count CLASS: the class's count in count:total (0 when absent).
count() {
	local v
	v=$(rc HGET errwatch:count:total "$1")
	echo "${v:-0}"
}

# count_is CLASS N: true when count:total holds exactly N.
count_is() {
	[ "$(count "$1")" = "$2" ]
}

# expect_count CLASS N: waits up to 10 s for the exact count.
expect_count() {
	local cls=$1 want=$2
	if ! wait_for 100 0.1 count_is "$cls" "$want"; then
		fail "count:total $cls = $(count "$cls"), want $want"
	fi
}

# line CODE NAME [TAG]: one logfmt error line.
line() {
	printf 'ts=%s level=error code=%s name=%s tag=%s\n' \
	    "$(date +%s%N)" "$1" "$2" "${3:-x}"
}
