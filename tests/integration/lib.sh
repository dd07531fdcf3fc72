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
	[ -n "${EW_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip WHY: the scenario cannot run here; ctest reports SKIP (exit 77,
# SKIP_RETURN_CODE in CMakeLists.txt), never a pass.
skip() {
	echo "SKIP: $*"
	exit 77
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

# write_config: one input over $LOGS/*.log, or over the glob PATHS, or
# over PATHS_LIST (YAML flow items: PATHS_LIST='"/a/*.log", "/b/*.log*"').
write_config() {
	local paths="\"${PATHS:-$LOGS/*.log}\""
	[ -z "${PATHS_LIST:-}" ] || paths=$PATHS_LIST
	cat > "$CFG" <<YAML
host: testhost
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: ${FLUSH:-200ms}
${REDIS_EXTRA:-}
inputs:
  - name: app
    paths: [$paths]
    start_at: ${START_AT:-beginning}
    rotate_wait: ${ROTATE_WAIT:-1s}
YAML
}

# start_daemon [args]: EW_WRAP, if set, is a command prefix that must exec
# errwatchd in place (setpriv ...), so DPID stays the daemon's pid.
start_daemon() {
	${EW_WRAP:-} "$EW_BIN" -c "$CFG" "$@" >> "$T/daemon.log" 2>&1 &
	DPID=$!
	wait_for 400 0.05 grep -q "stored offsets loaded" "$T/daemon.log" ||
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

# kill_redis: SIGKILL, as a crash: nothing is saved on the way down.
kill_redis() {
	local pid
	pid=$(cat "$T/redis.pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null || true
	wait_for 100 0.05 bash -c "! kill -0 $pid" || fail "redis $pid lives"
	rm -f "$T/redis.pid"
}

# kill_daemon: SIGKILL errwatchd (no flush on the way down).
kill_daemon() {
	[ -n "$DPID" ] || return 0
	kill -9 "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=""
}

# start_daemon_bg: starts errwatchd without waiting for Redis (it may be
# down on purpose).
start_daemon_bg() {
	"$EW_BIN" -c "$CFG" "$@" >> "$T/daemon.log" 2>&1 &
	DPID=$!
}

# offsets_exact: every file under $LOGS has a stored offset record equal
# to its size (all its lines counted, SPEC §8). Prints the first mismatch.
offsets_exact() {
	python3 - "$LOGS" "$(rc --raw HGETALL errwatch:offsets:testhost)" <<'PY'
import os, sys
logs, raw = sys.argv[1], sys.argv[2].split("\n")
stored = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
bad = 0
for n in sorted(os.listdir(logs)):
    st = os.stat(os.path.join(logs, n))
    field = "%d:%d" % (st.st_dev, st.st_ino)
    off = int(stored[field].split(" ")[0]) if field in stored else -1
    if off != st.st_size:
        print("%s: stored %d, size %d" % (n, off, st.st_size))
        bad = 1
sys.exit(bad)
PY
}

# expect_offsets: waits up to 10 s for offsets_exact.
expect_offsets() {
	wait_for 100 0.1 offsets_exact || { offsets_exact || true;
		fail "stored offsets differ from the file sizes"; }
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

# burst N CODE NAME TAG: N logfmt error lines (tags TAG1..TAGN), with no
# process per line, for scenarios that write thousands.
burst() {
	local n=$1 code=$2 name=$3 tag=$4 i
	for ((i = 1; i <= n; i++)); do
		printf 'ts=%s level=error code=%s name=%s tag=%s%d\n' \
		    "$EPOCHREALTIME" "$code" "$name" "$tag" "$i"
	done
}

# holds_fd PATH: true while errwatchd has a descriptor on PATH (also
# when PATH was deleted: the link then ends in " (deleted)").
holds_fd() {
	local l
	for l in /proc/"$DPID"/fd/*; do
		case $(readlink "$l" 2>/dev/null) in
		"$1" | "$1 (deleted)") return 0 ;;
		esac
	done
	return 1
}

no_fd_on() {
	! holds_fd "$1"
}

# vmhwm: the daemon's peak resident memory, as /proc says it ("N kB").
vmhwm() {
	awk '/^VmHWM/ { print $2, $3 }' /proc/"$DPID"/status
}

# wait_flushes N: N times, appends one marker line (9900 AppTerminate,
# which no scenario writes otherwise) to SYNC_LOG (default
# $LOGS/zz-sync.log; a scenario whose globs do not match it sets its own)
# and waits until the daemon has counted it. Each is an observable
# flush: the daemon reads every file before each flush (SPEC §6), so when
# a marker is counted, everything written before it was read and flushed.
# "Nothing more happened" checks wait on this, never on a bare sleep; N
# markers take at least N flush intervals.
SYNCS=0
wait_flushes() {
	local i
	for ((i = 0; i < $1; i++)); do
		SYNCS=$((SYNCS + 1))
		printf 'ts=%s level=info code=9900 name=AppTerminate tag=sync%d\n' \
		    "$EPOCHREALTIME" "$SYNCS" >> "${SYNC_LOG:-$LOGS/zz-sync.log}"
		wait_for 100 0.05 count_is AppTerminate $SYNCS ||
			fail "marker $SYNCS not counted: the daemon stopped reading or flushing"
	done
}

# expect_le CLASS N: count:total CLASS is at most N right now.
expect_le() {
	local c
	c=$(count "$1")
	[ "$c" -le "$2" ] || fail "count:total $1 = $c, more than the $2 written"
}

# --- errwatch-alerts (SPEC §13) ----------------------------------------
# The helpers below start a webhook receiver (receiver.py), Debian's
# prometheus-alertmanager and errwatch-alerts; every process they start
# is in EXTRA_PIDS and killed by cleanup.
: "${EW_ALERTS_BIN:=$(dirname "$EW_BIN")/errwatch-alerts}"
: "${EW_WEB_BIN:=$(dirname "$EW_BIN")/errwatch-web}"
EXTRA_PIDS=""
APID=""

cleanup_extra() {
	local p
	for p in $EXTRA_PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	for p in $EXTRA_PIDS; do	# gone before their files are removed
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$APID" ] && [ "${1:-0}" -ne 0 ]; then
		echo "--- errwatch-alerts log (last 30 lines) ---"
		tail -n 30 "$T/alerts.log" 2>/dev/null || true
	fi
}
# set +e: under set -e the (exit rc) below would end the trap before
# cleanup ran, leaving redis-server and the temp dir behind on a failure.
trap 'ew_rc=$?; set +e; cleanup_extra $ew_rc; (exit $ew_rc); cleanup' EXIT

# free_port: a loopback TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_receiver: the test's webhook receiver; sets RPORT. Requests are
# logged one JSON line each to $T/recv.log.
start_receiver() {
	rm -f "$T/recv.port"
	python3 "$EW_SRC/tests/integration/receiver.py" "$T/recv.port" \
	    "$T/recv.log" &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	wait_for 100 0.05 test -s "$T/recv.port" || fail "receiver did not start"
	RPORT=$(cat "$T/recv.port")
	: >> "$T/recv.log"
}

# start_alertmanager [PORT]: Debian's prometheus-alertmanager on loopback
# with config/alertmanager.yml as written, its webhook pointed at the
# receiver; sets AMPORT and AMPID. Skips when it is not installed.
start_alertmanager() {
	command -v prometheus-alertmanager >/dev/null ||
		skip "prometheus-alertmanager is not installed"
	AMPORT=${1:-$(free_port)}
	sed "s#url: http://127.0.0.1:5001/#url: http://127.0.0.1:$RPORT/#" \
	    "$EW_SRC/config/alertmanager.yml" > "$T/alertmanager.yml"
	mkdir -p "$T/am"
	prometheus-alertmanager --config.file="$T/alertmanager.yml" \
	    --storage.path="$T/am" --cluster.listen-address= \
	    --web.listen-address="127.0.0.1:$AMPORT" >> "$T/am.log" 2>&1 &
	AMPID=$!
	EXTRA_PIDS="$EXTRA_PIDS $AMPID"
	wait_for 100 0.1 curl -sf "http://127.0.0.1:$AMPORT/-/ready" ||
		fail "alertmanager did not start: $(tail -n 5 "$T/am.log")"
}

stop_alertmanager() {
	kill -TERM "$AMPID" 2>/dev/null || true
	wait "$AMPID" 2>/dev/null || true
}

# start_alerts [CONFIG]: errwatch-alerts on $CFG (or CONFIG); sets APID
# and waits until its group exists.
start_alerts() {
	"$EW_ALERTS_BIN" -c "${1:-$CFG}" ${ALERTS_ARGS:-} >> "$T/alerts.log" 2>&1 &
	APID=$!
	EXTRA_PIDS="$EXTRA_PIDS $APID"
	wait_for 100 0.05 grep -q "consumer .*-$APID of group" "$T/alerts.log" ||
		fail "errwatch-alerts did not start"
}

stop_alerts() {
	local st=0
	kill -TERM "$APID"
	wait "$APID" || st=$?
	[ $st -eq 0 ] || fail "errwatch-alerts exited $st on SIGTERM"
}

# xadd_event EVENT NAME HOST [FIELD VALUE ...]: one alert event in the
# stream, as errwatchd writes it; prints its id.
xadd_event() {
	local ev=$1 name=$2 host=$3
	shift 3
	rc XADD errwatch:alerts '*' event "$ev" id "$host:1:$RANDOM" \
	    name "$name" code 461 category account severity critical \
	    host "$host" rule static match "$name" scope host window_s 60 \
	    count 57 baseline 2.1 threshold 50 ts "$(date +%s%3N)" "$@"
}

# pending GROUP: entries read by GROUP and not acknowledged.
pending() {
	rc XPENDING errwatch:alerts "$1" | head -n 1
}

pending_is() {
	[ "$(pending "$1")" = "$2" ]
}

# notes STATUS: Alertmanager notifications with that status ("firing",
# "resolved") the receiver got.
notes() {
	python3 - "$T/recv.log" "$1" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/alertmanager" and \
            json.loads(r["body"]).get("status") == sys.argv[2]:
        n += 1
print(n)
PY
}

notes_are() {
	[ "$(notes "$1")" = "$2" ]
}

# received PATTERN: requests the receiver got whose JSON line matches.
received() {
	grep -c -- "$1" "$T/recv.log" || true
}

received_is() {
	[ "$(received "$1")" = "$2" ]
}
