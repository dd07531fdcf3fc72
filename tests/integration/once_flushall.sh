# SPEC §8, §11: FLUSHALL while running. Documented behaviour: the offsets
# hash is gone, so the next flush answers WIPED: errwatchd keeps its
# positions (history is not recounted), logs the loss once, writes the
# codes again, and from then on Redis holds exactly the lines written
# after the FLUSHALL.
. "$(dirname "$0")/lib.sh"

write_config
start_redis
for i in $(seq 1 60); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
for i in $(seq 1 10); do line 473 ServiceUnavailable "b$i"; done > "$LOGS/b.log"
start_daemon
expect_count Punishment 60
expect_count ServiceUnavailable 10
expect_offsets
for round in 1 2; do
	rc FLUSHALL >/dev/null
	for i in $(seq 1 25); do line 461 Punishment "c$i"; done >> "$LOGS/a.log"
	expect_count Punishment 25
	[ "$(count ServiceUnavailable)" = 0 ] || fail "ServiceUnavailable recounted"
	for i in $(seq 1 5); do line 473 ServiceUnavailable "d$i"; done >> "$LOGS/b.log"
	expect_count ServiceUnavailable 5
	expect_count Punishment 25
	# b.log's record comes back with its next move; a.log's with its own.
	expect_offsets
	wait_for 50 0.1 bash -c "[ \$(redis-cli -s '$SOCK' HLEN errwatch:codes) -gt 30 ]" ||
		fail "codes not written again"
done
n=$(grep -c "was gone" "$T/daemon.log")
[ "$n" -eq 2 ] || fail "wipe logged $n times, want 2 (once per FLUSHALL)"
stop_daemon
echo "once_flushall: all passed"
