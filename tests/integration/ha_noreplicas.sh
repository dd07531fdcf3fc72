# SPEC §7, §15: -NOREPLICAS (min-replicas-to-write not met, as when a
# master has lost its replicas) is a refused flush, handled like -OOM:
# logged once, the link kept (no reconnect, no rediscovery), the same
# batch sent again until it is taken; then the counts are exact.
. "$(dirname "$0")/lib.sh"

write_config
start_redis
for i in $(seq 1 30); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon
expect_count Punishment 30
rc CONFIG SET min-replicas-to-write 1 >/dev/null
for i in $(seq 1 25); do line 461 Punishment "b$i"; done >> "$LOGS/a.log"
for i in $(seq 1 12); do line 473 ServiceUnavailable "c$i"; done > "$LOGS/b.log"
wait_for 100 0.05 grep -q "flush refused: NOREPLICAS" "$T/daemon.log" ||
	fail "no NOREPLICAS refusal"
# A few refused flushes (200 ms each) while lines keep coming.
for r in $(seq 1 10); do
	[ "$(count Punishment)" = 30 ] || fail "counted without replicas: $(count Punishment)"
	line 461 Punishment "d$r" >> "$LOGS/a.log"
	sleep 0.2
done
n=$(grep -c "flush refused" "$T/daemon.log")
[ "$n" -eq 1 ] || fail "NOREPLICAS logged $n times, want once"
! grep -q -- "-> down" "$T/daemon.log" || fail "the link was dropped for NOREPLICAS"
rc CONFIG SET min-replicas-to-write 0 >/dev/null
expect_count Punishment 65
expect_count ServiceUnavailable 12
expect_offsets
grep -q "flush accepted again" "$T/daemon.log" || fail "recovery not logged"
! grep -q -- "-> down" "$T/daemon.log" || fail "the link was dropped"
stop_daemon
echo "ha_noreplicas: all passed"
