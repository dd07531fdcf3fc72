# SPEC §6, last points: durations run on the monotonic clock, the wall
# clock only names buckets and stamps events. errwatchd runs under
# libfaketime (Debian's faketime) with its wall clock read from a file at
# every call and the monotonic clock left alone. While a Punishment spike
# is firing and the file is being written, the wall clock steps back 1 h,
# then forward 2 h: the alert neither resolves nor fires again, and the
# counts are exact.
. "$(dirname "$0")/lib.sh"

FT_LIB=""
for d in /usr/lib/x86_64-linux-gnu/faketime /usr/lib/*/faketime \
    /usr/lib/faketime /usr/local/lib/faketime; do
	[ -f "$d/libfaketime.so.1" ] && { FT_LIB=$d/libfaketime.so.1; break; }
done
[ -n "$FT_LIB" ] || skip "libfaketime not installed (Debian package faketime)"
# Under ASan the preloaded library comes before the runtime: allowed.
asan=""
# grep without -q reads all of ldd's output: under pipefail, -q
# quitting early can kill ldd with SIGPIPE and fail the pipeline
if ldd "$EW_BIN" | grep libasan >/dev/null; then
	asan="ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}"
	asan="${asan}verify_asan_link_order=0"
fi

echo "+0" > "$T/faketime"
EW_WRAP="env LD_PRELOAD=$FT_LIB FAKETIME_TIMESTAMP_FILE=$T/faketime \
FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 $asan"

start_redis
write_config
cat >> "$CFG" <<YAML
alerts:
  rules:
    - {match: Punishment, threshold: 20, window: 10s, severity: critical}
    - {match: "category:success", enabled: false}
YAML
: > "$LOGS/game.log"
start_daemon

# The daemon's wall clock, as its last flush stamped it (unix s).
flush_s() {
	local ms
	ms=$(rc HGET errwatch:stats:testhost last_flush_ms)
	echo $(( ${ms:-0} / 1000 ))
}
acked() {
	local n
	n=$(rc HGET errwatch:stats:testhost flushes)
	echo "${n:-0}"
}
# wait_acked N: N more flushes acknowledged (the stats counter).
WANT=0
flushed_enough() {
	[ "$(acked)" -ge "$WANT" ]
}
wait_acked() {
	WANT=$(( $(acked) + $1 ))
	wait_for 100 0.1 flushed_enough || fail "no flushes"
}
alerts() {
	rc XLEN errwatch:alerts
}

# 4 Punishment and 2 Success lines a second for 36 s: about 40 in every
# 10 s window, twice the level, so the alert fires and stays firing.
(
	for i in $(seq 1 144); do
		line 461 Punishment "p$i"
		[ $((i % 2)) = 0 ] && line 200 Success "s$i"
		sleep 0.25
	done >> "$LOGS/game.log"
) &
WPID=$!

alerts_are_1() {
	[ "$(alerts)" = 1 ]
}
wait_for 150 0.1 alerts_are_1 || fail "no firing alert"
rc XRANGE errwatch:alerts - + | grep -qx firing || fail "not firing"
wait_acked 5
[ "$(alerts)" = 1 ] || fail "alerts before the step: $(alerts)"

# Back 1 h.
echo "-3600" > "$T/faketime"
wait_acked 10
now=$(date +%s)
d=$(( now - $(flush_s) ))
[ $d -ge 3590 ] && [ $d -le 3610 ] ||
	fail "the daemon's wall clock is $d s behind, not 3600 (faketime?)"
[ "$(alerts)" = 1 ] || fail "the step back changed the alerts: \
$(rc XRANGE errwatch:alerts - +)"

# Forward 2 h: 1 h ahead of the real time.
echo "+3600" > "$T/faketime"
wait_acked 10
d=$(( $(flush_s) - $(date +%s) ))
[ $d -ge 3590 ] && [ $d -le 3610 ] ||
	fail "the daemon's wall clock is $d s ahead, not 3600"
[ "$(alerts)" = 1 ] || fail "the step forward changed the alerts: \
$(rc XRANGE errwatch:alerts - +)"

wait "$WPID"
expect_count Punishment 144
expect_count Success 72
expect_offsets
[ "$(alerts)" = 1 ] || fail "alerts: $(rc XRANGE errwatch:alerts - +)"
[ "$(rc HEXISTS errwatch:alerts:active Punishment@testhost)" = 1 ] ||
	fail "alerts:active lost the firing alert"
stop_daemon
echo "once_clock_step: all passed"
