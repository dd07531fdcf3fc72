# SPEC §7, §11: -OOM replies (maxmemory set tiny under a running daemon).
# The flush script's first write is refused, so nothing of the batch is
# applied (Redis only refuses a script's first write for OOM); errwatchd
# logs it once, keeps reading and re-sends the same batch; once memory is
# raised the counts are exact.
. "$(dirname "$0")/lib.sh"

write_config
start_redis
for i in $(seq 1 30); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon
expect_count Punishment 30
rc CONFIG SET maxmemory 1 >/dev/null
for i in $(seq 1 25); do line 461 Punishment "b$i"; done >> "$LOGS/a.log"
for i in $(seq 1 12); do line 473 ServiceUnavailable "c$i"; done > "$LOGS/b.log"
wait_for 100 0.05 grep -q "flush refused: .*OOM" "$T/daemon.log" ||
	fail "no OOM refusal"
t_end=$(( $(date +%s) + 2 ))
while [ "$(date +%s)" -lt $t_end ]; do
	[ "$(count Punishment)" = 30 ] || fail "counted under OOM: $(count Punishment)"
	for i in 1 2; do line 461 Punishment "d$i"; done >> "$LOGS/a.log"
	sleep 0.2
done
n=$(grep -c "flush refused" "$T/daemon.log")
[ "$n" -eq 1 ] || fail "OOM logged $n times, want once"
kill -0 "$DPID" || fail "errwatchd died"
want=$(grep -c 'name=Punishment' "$LOGS/a.log")
rc CONFIG SET maxmemory 0 >/dev/null
expect_count Punishment "$want"
expect_count ServiceUnavailable 12
expect_offsets
grep -q "flush accepted again" "$T/daemon.log" || fail "recovery not logged"
stop_daemon
echo "once_oom: all passed"
