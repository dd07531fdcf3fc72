# SPEC §7, §8, §11: Redis down at start. errwatchd starts anyway, logs the
# outage once (not once per retry), keeps its files open, moves no count
# and no offset while Redis is away, and writes everything exactly once
# when Redis comes.
. "$(dirname "$0")/lib.sh"

write_config
for i in $(seq 1 40); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
for i in $(seq 1 25); do line 473 ServiceUnavailable "b$i"; done > "$LOGS/b.log"
start_daemon_bg
# Up and retrying: about 3 s of backoff (100 ms doubling to 5 s).
wait_for 100 0.05 grep -q "redis: .* -> down" "$T/daemon.log" ||
	fail "no line about Redis being down"
t_end=$(( $(date +%s) + 3 ))
while [ "$(date +%s)" -lt $t_end ]; do
	kill -0 "$DPID" || fail "errwatchd died while Redis was down"
	# SPEC §6: the files stay open (the daemon keeps reading)
	n=$(ls -l /proc/$DPID/fd 2>/dev/null | grep -c "$LOGS/" || true)
	[ "$n" -eq 2 ] || fail "errwatchd holds $n of 2 files open"
	sleep 0.5
done
for i in $(seq 1 10); do line 461 Punishment "c$i"; done >> "$LOGS/a.log"
n=$(grep -c -- "-> down" "$T/daemon.log" || true)
[ "$n" -eq 1 ] || fail "the outage was logged $n times, want once"

start_redis
expect_count Punishment 50
expect_count ServiceUnavailable 25
expect_offsets
# Nothing counted twice once everything settled.
for i in $(seq 1 5); do line 461 Punishment "d$i"; done >> "$LOGS/a.log"
expect_count Punishment 55
expect_offsets
[ "$(count ServiceUnavailable)" = 25 ] || fail "ServiceUnavailable moved"
grep -q "redis: .* -> ready" "$T/daemon.log" || fail "no line about ready"
stop_daemon
[ "$(count Punishment)" = 55 ] || fail "after stop Punishment = $(count Punishment)"
echo "once_redis_down: all passed"
