# SPEC §7, §11: a server that accepts connections and never answers. The
# daemon's own connect time-out drops it, it retries with backoff, and
# once a real Redis takes the address the counts are exact.
. "$(dirname "$0")/lib.sh"

REDIS_EXTRA="  connect_timeout: 300ms"
write_config
python3 - "$SOCK" > "$T/silent.log" 2>&1 <<'PY' & SPID=$!
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
conns = []
while True:
    c, _ = s.accept()        # accept, read nothing back, answer nothing
    conns.append(c)
    print("accepted", len(conns), flush=True)
PY
wait_for 100 0.05 test -S "$SOCK" || fail "silent server did not start"
for i in $(seq 1 40); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon_bg
wait_for 100 0.05 grep -q "not ready within 300 ms" "$T/daemon.log" ||
	fail "no connect time-out"
wait_for 100 0.05 bash -c "[ \$(grep -c accepted '$T/silent.log') -ge 3 ]" ||
	fail "no reconnect attempts"
kill -0 "$DPID" || fail "errwatchd died"
n=$(grep -c "not ready within" "$T/daemon.log")
[ "$n" -eq 1 ] || fail "time-out logged $n times, want once"
kill "$SPID"; wait "$SPID" 2>/dev/null || true
for i in $(seq 1 10); do line 473 ServiceUnavailable "b$i"; done >> "$LOGS/a.log"
start_redis
expect_count Punishment 40
expect_count ServiceUnavailable 10
expect_offsets

# Now a server that answers the handshake and then goes silent: the reply
# time-out (5 s) drops the link; the batch is re-sent whole and counted
# once. SIGSTOP freezes Redis with our flush unanswered.
kill -STOP "$(cat "$T/redis.pid")"
for i in $(seq 1 15); do line 461 Punishment "c$i"; done >> "$LOGS/a.log"
wait_for 100 0.1 grep -q "no reply within" "$T/daemon.log" ||
	{ kill -CONT "$(cat "$T/redis.pid")"; fail "no reply time-out"; }
kill -CONT "$(cat "$T/redis.pid")"
expect_count Punishment 55
expect_count ServiceUnavailable 10
expect_offsets
stop_daemon
echo "once_silent_server: all passed"
