# SPEC §15, the fleet's cost: a host with nothing new sends exactly one
# flush every 10 s (its heartbeat in `P hosts` and stats:<host>), however
# short flush_interval is, and the bucket closes due meanwhile ride on
# it; a busy host still flushes every interval. Redis counts the flushes
# itself (INFO commandstats, EVALSHA); every flush stamps last_flush_ms,
# so the stamps give the time between them.
. "$(dirname "$0")/lib.sh"

FLUSH=200ms
start_redis
write_config
for i in $(seq 1 20); do line 461 Punishment "p$i"; done > "$LOGS/app.log"
start_daemon
expect_count Punishment 20

evalsha_calls() {
	rc INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p' | grep . ||
	    echo 0
}
stamp() {
	rc HGET errwatch:stats:testhost last_flush_ms
}

# One heartbeat first: from there on the daemon has nothing new.
s0=$(stamp)
stamp_moved() {
	[ "$(stamp)" != "$s0" ]
}
wait_for 150 0.1 stamp_moved || fail "no heartbeat within 15 s of the last flush"
rc CONFIG RESETSTAT >/dev/null
prev=$(stamp)
s1=$prev
series0=$(rc XLEN errwatch:series:10s)

# The next three heartbeats, each seen as a new stamp (polled every
# 0.1 s, 100 times the rate), 150 ticks of 200 ms apart at least. Late
# timers on a loaded machine may stretch a period, never shorten it.
n=0
deadline=$(( $(date +%s) + 40 ))
while [ $n -lt 3 ]; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "$n heartbeats in 40 s, want 3 (one per 10 s)"
	kill -0 "$DPID" || fail "errwatchd died"
	cur=$(stamp)
	if [ "$cur" != "$prev" ]; then
		gap=$(( cur - prev ))
		n=$((n + 1))
		echo "heartbeat $n: ${gap} ms after the one before"
		[ $gap -ge 9950 ] || fail "heartbeat $n came ${gap} ms after the last, before 10 s"
		[ $gap -le 12000 ] || fail "heartbeat $n came ${gap} ms after the last"
		score=$(rc ZSCORE errwatch:hosts testhost)
		[ "$score" = $(( cur / 1000 )) ] ||
			fail "P hosts says $score, the flush was at $cur ms"
		prev=$cur
	fi
	sleep 0.1
done
calls=$(evalsha_calls)
[ "$calls" = 3 ] || fail "Redis saw $calls flushes (EVALSHA) for 3 heartbeats"
# The buckets that closed meanwhile went with the heartbeats (one or two
# 10 s buckets each, depending on where the heartbeat falls).
closed=$(( $(rc XLEN errwatch:series:10s) - series0 ))
[ $closed -ge 2 ] || fail "$closed 10 s buckets closed in 30 s"
echo "idle: 3 flushes in $(( (prev - s1) / 1000 )) s, $closed buckets closed"

# Busy: a line every 200 ms for 4 s, and a flush follows each interval.
rc CONFIG RESETSTAT >/dev/null
for i in $(seq 1 20); do
	line 461 Punishment "b$i" >> "$LOGS/app.log"
	sleep 0.2
done
expect_count Punishment 40
calls=$(evalsha_calls)
echo "busy: $calls flushes in about 4 s (20 ticks)"
# Late timers and reads that catch two lines at once may merge a few
# intervals; an idle host would have sent 0 or 1.
[ "$calls" -ge 10 ] || fail "a busy host flushed only $calls times in 20 intervals"
[ "$calls" -le 24 ] || fail "$calls flushes in 20 intervals"
expect_offsets
stop_daemon
echo "fleet_idle_flush: all passed"
