# SPEC §6 start_at, at the very first start (empty Redis): lines already
# in the files are skipped with end and counted with beginning; lines
# appended after the start and files created after it count in both,
# the new files from their first byte.
. "$(dirname "$0")/lib.sh"

start_redis
for mode in end beginning; do
	rc FLUSHALL > /dev/null
	rm -f "$LOGS"/*.log
	burst 50 461 Punishment "old-$mode-" > "$LOGS/a.log"
	burst 30 461 Punishment "old-$mode-" > "$LOGS/b.log"
	START_AT=$mode write_config
	start_daemon
	burst 10 473 ServiceUnavailable "app-$mode-" >> "$LOGS/a.log"
	burst 7 500 InternalError "new-$mode-" > "$LOGS/c.log"
	expect_count ServiceUnavailable 10
	expect_count InternalError 7
	want=0
	[ $mode = beginning ] && want=80
	expect_count Punishment $want
	# the new file's first line was not skipped: it appears in full
	burst 1 401 AuthFailure "late-$mode-" >> "$LOGS/c.log"
	expect_count AuthFailure 1
	# a restart goes by the stored offsets, not by start_at
	stop_daemon
	burst 2 401 AuthFailure "restart-$mode-" >> "$LOGS/b.log"
	start_daemon
	expect_count AuthFailure 3
	[ "$(count Punishment)" = $want ] || fail "$mode: Punishment $(count Punishment) after restart, want $want"
	[ "$(count ServiceUnavailable)" = 10 ] || fail "$mode: ServiceUnavailable after restart"
	stop_daemon
	echo "start_at $mode: exact"
done
echo "follow_start_at: all passed"
