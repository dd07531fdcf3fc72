# SPEC §7, §11: -BUSY, -NOSCRIPT and -LOADING never stop the daemon nor
# lose or double a count.
#   BUSY: a script that loops (busy-reply-threshold 100 ms) refuses our
#         flushes until SCRIPT KILL.
#   NOSCRIPT: SCRIPT FLUSH under a running daemon: the sink loads the
#         script again and re-sends the same EVALSHA.
#   LOADING: Redis restarted on a data set that takes about a second to
#         load (key-load-delay, a Redis test knob): the handshake gets
#         -LOADING, the link goes down and is retried until it is done.
. "$(dirname "$0")/lib.sh"

R=(--busy-reply-threshold 100 --enable-debug-command local)
write_config
start_redis "${R[@]}"
for i in $(seq 1 30); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon
expect_count Punishment 30

# BUSY
redis-cli -s "$SOCK" EVAL 'while true do end' 0 > "$T/busy.out" 2>&1 & BPID=$!
wait_for 50 0.1 bash -c "redis-cli -s '$SOCK' PING 2>&1 | grep -q BUSY" ||
	fail "Redis not busy"
for i in $(seq 1 20); do line 461 Punishment "b$i"; done >> "$LOGS/a.log"
wait_for 50 0.1 grep -q "flush refused: BUSY" "$T/daemon.log" ||
	fail "no BUSY refusal"
redis-cli -s "$SOCK" SCRIPT KILL >/dev/null
wait "$BPID" 2>/dev/null || true
expect_count Punishment 50
expect_offsets

# NOSCRIPT
rc SCRIPT FLUSH >/dev/null
for i in $(seq 1 15); do line 473 ServiceUnavailable "c$i"; done >> "$LOGS/a.log"
expect_count ServiceUnavailable 15
expect_count Punishment 50
rc SCRIPT FLUSH >/dev/null
for i in $(seq 1 5); do line 473 ServiceUnavailable "d$i"; done >> "$LOGS/a.log"
expect_count ServiceUnavailable 20
expect_offsets

# LOADING: 20000 keys at 100 us each, saved with our counts.
rc DEBUG POPULATE 20000 filler 10 >/dev/null
rc SAVE >/dev/null
start_redis_loading() {
	rm -f "$SOCK"
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --dir "$T" --daemonize yes \
	    --pidfile "$T/redis.pid" --logfile "$T/redis.log" \
	    --key-load-delay 100 --loading-process-events-interval-bytes 1024 "${R[@]}"
}
# Restarted at once, so the daemon's backoff is still short.
kill_redis
start_redis_loading
for i in $(seq 1 10); do line 500 InternalError "e$i"; done >> "$LOGS/a.log"
wait_for 100 0.05 grep -q "LOADING" "$T/daemon.log" ||
	fail "no LOADING seen (load too fast?)"
expect_count InternalError 10
expect_count Punishment 50
expect_count ServiceUnavailable 20
expect_offsets
kill -0 "$DPID" || fail "errwatchd died"
stop_daemon
echo "once_redis_busy: all passed"
